// Wildcard subscriptions (nats.go README "Wildcard Subscriptions").
package main

import (
	"fmt"
	"log"
	"os"
	"sync"
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
	defer nc.Close()
	var wg sync.WaitGroup
	wg.Add(3)
	handler := func(m *nats.Msg) {
		fmt.Printf("Msg received on [%s] : %s\n", m.Subject, string(m.Data))
		wg.Done()
	}
	// "*" matches any token, at any level of the subject.
	nc.Subscribe("foo.*.baz", handler)
	nc.Subscribe("foo.bar.*", handler)
	// ">" matches any length of the tail of a subject, and can only be the last token.
	nc.Subscribe("foo.>", handler)
	nc.Flush()

	// Matches all of the above
	nc.Publish("foo.bar.baz", []byte("Hello World"))

	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		log.Fatal("not every wildcard subscription got the message")
	}
	fmt.Println("wildcards: ok")
}
