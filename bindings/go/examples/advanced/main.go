// Advanced usage (nats.go README "Advanced Usage"): retry on failed connect, flush,
// auto-unsubscribe, multiple connections.
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
	nc, err := nats.Connect(url,
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(10),
		nats.ReconnectWait(time.Second),
		nats.ReconnectHandler(func(_ *nats.Conn) {
			// Note that this will be invoked for the first asynchronous connect.
		}))
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()

	// Flush connection to server, returns when all messages have been processed.
	if err := nc.Flush(); err != nil {
		log.Fatal(err)
	}
	fmt.Println("All clear!")
	if err := nc.FlushTimeout(time.Second); err != nil {
		log.Fatalf("Flushed timed out! %v", err)
	}

	// Auto-unsubscribe after MAX_WANTED messages received
	const MAX_WANTED = 10
	sub, err := nc.SubscribeSync("foo")
	if err != nil {
		log.Fatal(err)
	}
	sub.AutoUnsubscribe(MAX_WANTED)

	// Multiple connections
	nc1, err := nats.Connect(url)
	if err != nil {
		log.Fatal(err)
	}
	defer nc1.Close()
	nc2, err := nats.Connect(url)
	if err != nil {
		log.Fatal(err)
	}
	defer nc2.Close()
	got := make(chan struct{}, 1)
	nc1.Subscribe("foo", func(m *nats.Msg) {
		fmt.Printf("Received a message: %s\n", string(m.Data))
		select {
		case got <- struct{}{}:
		default:
		}
	})
	nc1.Flush()
	for i := 0; i < 2*MAX_WANTED; i++ {
		nc2.Publish("foo", []byte("Hello World!"))
	}
	nc2.Flush()
	<-got
	n := 0
	for {
		if _, err := sub.NextMsg(200 * time.Millisecond); err != nil {
			break
		}
		n++
	}
	if n != MAX_WANTED {
		log.Fatalf("auto-unsubscribe: got %d, want %d", n, MAX_WANTED)
	}
	fmt.Println("advanced: ok")
}
