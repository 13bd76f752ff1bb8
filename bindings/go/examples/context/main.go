// Context support (nats.go README "Context support"): requests, sync subscriptions and encoded
// requests bounded by a context.
package main

import (
	"context"
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
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()

	nc, err := nats.Connect(url)
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()
	nc.Subscribe("foo", func(m *nats.Msg) { m.Respond([]byte(`{"code":200}`)) })
	nc.Flush()

	// Request with context
	msg, err := nc.RequestWithContext(ctx, "foo", []byte("bar"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("Reply: %s\n", msg.Data)

	// Synchronous subscriber with context
	sub, err := nc.SubscribeSync("bar")
	if err != nil {
		log.Fatal(err)
	}
	nc.Publish("bar", []byte("hello"))
	msg, err = sub.NextMsgWithContext(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("Sync subscriber got: %s\n", msg.Data)

	// A cancelled context ends the wait at once.
	short, cancelShort := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancelShort()
	if _, err := sub.NextMsgWithContext(short); err != context.DeadlineExceeded {
		log.Fatalf("expected deadline exceeded, got %v", err)
	}

	// Encoded Request with context
	c, err := nats.NewEncodedConn(nc, nats.JSON_ENCODER)
	if err != nil {
		log.Fatal(err)
	}
	type request struct {
		Message string `json:"message"`
	}
	type response struct {
		Code int `json:"code"`
	}
	req := &request{Message: "Hello"}
	resp := &response{}
	if err := c.RequestWithContext(ctx, "foo", req, resp); err != nil || resp.Code != 200 {
		log.Fatalf("%+v %v", resp, err)
	}
	fmt.Println("context: ok")
}
