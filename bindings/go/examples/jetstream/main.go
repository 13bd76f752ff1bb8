// JetStream (nats.go README "JetStream Basic Usage" and "JetStream Basic Management"): a
// stream, sync and async publishes, an ephemeral push consumer, a durable sync consumer, a pull
// consumer, then the management calls. The server (NATS_URL, default nats.DefaultURL) must run
// with JetStream (-js).
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
	defer nc.Close()

	// Create JetStream Context
	js, err := nc.JetStream(nats.PublishAsyncMaxPending(256))
	if err != nil {
		log.Fatal(err)
	}

	// Create a Stream
	if _, err := js.AddStream(&nats.StreamConfig{Name: "ORDERS", Subjects: []string{"ORDERS.*"}}); err != nil {
		log.Fatal(err)
	}
	defer js.DeleteStream("ORDERS")

	// Simple Stream Publisher
	ack, err := js.Publish("ORDERS.scratch", []byte("hello"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("Published to %s, sequence %d\n", ack.Stream, ack.Sequence)

	// Simple Async Stream Publisher
	for i := 0; i < 500; i++ {
		if _, err := js.PublishAsync("ORDERS.scratch", []byte("hello")); err != nil {
			log.Fatal(err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(5 * time.Second):
		log.Fatal("Did not resolve in time")
	}

	// Simple Async Ephemeral Consumer (acked after the handler returns)
	received := make(chan struct{}, 501)
	esub, err := js.Subscribe("ORDERS.*", func(m *nats.Msg) { received <- struct{}{} })
	if err != nil {
		log.Fatal(err)
	}
	for i := 0; i < 501; i++ {
		select {
		case <-received:
		case <-time.After(5 * time.Second):
			log.Fatalf("ephemeral consumer: %d of 501", i)
		}
	}
	esub.Unsubscribe() // deletes the ephemeral consumer

	// Simple Sync Durable Consumer (optional SubOpts at the end)
	sub, err := js.SubscribeSync("ORDERS.*", nats.Durable("MONITOR"), nats.MaxDeliver(3))
	if err != nil {
		log.Fatal(err)
	}
	m, err := sub.NextMsg(2 * time.Second)
	if err != nil {
		log.Fatal(err)
	}
	meta, _ := m.Metadata()
	fmt.Printf("Durable got stream seq %d (delivered %d time(s))\n", meta.Sequence.Stream, meta.NumDelivered)
	m.Ack()
	sub.Unsubscribe()

	// Simple Pull Consumer
	pull, err := js.PullSubscribe("ORDERS.*", "PULLER")
	if err != nil {
		log.Fatal(err)
	}
	msgs, err := pull.Fetch(10)
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range msgs {
		m.Ack()
	}
	fmt.Printf("Pulled %d messages\n", len(msgs))
	pull.Drain()

	// Update a Stream
	if _, err := js.UpdateStream(&nats.StreamConfig{Name: "ORDERS", Subjects: []string{"ORDERS.*"}, MaxBytes: 1 << 20}); err != nil {
		log.Fatal(err)
	}
	// Create a Consumer
	if _, err := js.AddConsumer("ORDERS", &nats.ConsumerConfig{Durable: "AUDIT"}); err != nil {
		log.Fatal(err)
	}
	for name := range js.ConsumerNames("ORDERS") {
		fmt.Println("Consumer:", name)
	}
	// Delete Consumer
	if err := js.DeleteConsumer("ORDERS", "AUDIT"); err != nil {
		log.Fatal(err)
	}
	si, err := js.StreamInfo("ORDERS")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("Stream %s holds %d messages\n", si.Config.Name, si.State.Msgs)
	fmt.Println("jetstream: ok")
}
