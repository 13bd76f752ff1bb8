// Basic usage (nats.go README "Basic Usage"): publish, async/sync/channel subscriptions,
// request/reply, drain. The server URL comes from NATS_URL (default nats.DefaultURL).
package main

import (
	"fmt"
	"log"
	"os"
	"time"

	"github.com/libnatsrs/natsrs/bindings/go"
)

func main() {
	url := os.Getenv("NATS_URL")
	if url == "" {
		url = nats.DefaultURL
	}
	nc, err := nats.Connect(url)
	if err != nil {
		log.Fatal(err)
	}

	// Simple Async Subscriber
	got := make(chan string, 1)
	nc.Subscribe("foo", func(m *nats.Msg) {
		fmt.Printf("Received a message: %s\n", string(m.Data))
		got <- string(m.Data)
	})

	// Responding to a request message
	nc.Subscribe("request", func(m *nats.Msg) {
		m.Respond([]byte("answer is 42"))
	})

	// Simple Sync Subscriber
	sub, err := nc.SubscribeSync("foo")
	if err != nil {
		log.Fatal(err)
	}
	// Channel Subscriber
	ch := make(chan *nats.Msg, 64)
	chSub, err := nc.ChanSubscribe("foo", ch)
	if err != nil {
		log.Fatal(err)
	}
	nc.Flush()

	// Simple Publisher
	nc.Publish("foo", []byte("Hello World"))

	m, err := sub.NextMsg(2 * time.Second)
	if err != nil {
		log.Fatalf("sync subscriber: %v", err)
	}
	fmt.Printf("Sync subscriber got: %s\n", m.Data)
	msg := <-ch
	fmt.Printf("Channel subscriber got: %s\n", msg.Data)
	if s := <-got; s != "Hello World" {
		log.Fatalf("async subscriber got %q", s)
	}

	// Unsubscribe / Drain
	sub.Unsubscribe()
	chSub.Drain()

	// Requests
	resp, err := nc.Request("request", []byte("help me"), time.Second)
	if err != nil {
		log.Fatalf("request: %v", err)
	}
	fmt.Printf("Reply: %s\n", resp.Data)

	// Replies with Publish to m.Reply
	nc.Subscribe("help", func(m *nats.Msg) {
		nc.Publish(m.Reply, []byte("I can help!"))
	})
	if resp, err = nc.Request("help", []byte("help me"), time.Second); err != nil || string(resp.Data) != "I can help!" {
		log.Fatalf("help: %v %v", resp, err)
	}
	if _, err := nc.Request("nobody.listens", nil, time.Second); err != nats.ErrNoResponders {
		log.Fatalf("expected no responders, got %v", err)
	}

	// Drain connection (Preferred for responders); Close() not needed then.
	closed := make(chan struct{})
	nc.SetClosedHandler(func(*nats.Conn) { close(closed) })
	nc.Drain()
	<-closed
	fmt.Println("basic: ok")
}
