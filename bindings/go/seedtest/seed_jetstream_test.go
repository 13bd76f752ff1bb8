package seedtest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/libnatsrs/natsrs/bindings/go"
)

// ## JetStream Basic Usage
func TestSeedJetStreamBasicUsage(t *testing.T) {
	timeout := 2 * time.Second // (test scaffolding: the README leaves it undefined)
	{                          // (test scaffolding: the README assumes a stream capturing ORDERS.*)
		nc, _ := nats.Connect(serverURL)
		js, _ := nc.JetStream()
		if _, err := js.AddStream(&nats.StreamConfig{Name: "ORDERS", Subjects: []string{"ORDERS.*"}}); err != nil {
			t.Fatal(err)
		}
		defer func() { js.DeleteStream("ORDERS"); nc.Close() }()
	}

	// 连接到NATS
	nc, _ := nats.Connect(serverURL) // SEED EDIT: nats.DefaultURL -> serverURL
	defer nc.Close()                 // (test scaffolding)

	// Create JetStream Context
	js, _ := nc.JetStream(nats.PublishAsyncMaxPending(256))

	// Simple Stream Publisher
	js.Publish("ORDERS.scratch", []byte("hello"))

	// Simple Async Stream Publisher
	for i := 0; i < 500; i++ {
		js.PublishAsync("ORDERS.scratch", []byte("hello"))
	}

	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(5 * time.Second):
		fmt.Println("Did not resolve in time")
		t.Fatal("PublishAsyncComplete did not resolve in time") // (test check)
	}
	if si, err := js.StreamInfo("ORDERS"); err != nil || si.State.Msgs != 501 { // (test check)
		t.Fatalf("stream has %+v, %v; want 501 messages", si, err)
	}

	// Simple Async Ephemeral Consumer
	received := make(chan struct{}, 501) // (test scaffolding)
	js.Subscribe("ORDERS.*", func(m *nats.Msg) {
		fmt.Printf("Received a JetStream message: %s\n", string(m.Data))
		received <- struct{}{} // (test scaffolding)
	})
	for i := 0; i < 501; i++ { // (test check)
		select {
		case <-received:
		case <-time.After(5 * time.Second):
			t.Fatalf("ephemeral consumer: got %d of 501", i)
		}
	}

	// Simple Sync Durable Consumer (optional SubOpts at the end)
	sub, err := js.SubscribeSync("ORDERS.*", nats.Durable("MONITOR"), nats.MaxDeliver(3))
	m, err := sub.NextMsg(timeout)
	if err != nil || string(m.Data) != "hello" { // (test check; also uses m, which Go requires)
		t.Fatalf("durable: %v %v", m, err)
	}

	// Simple Pull Consumer
	sub, err = js.PullSubscribe("ORDERS.*", "MONITOR") // SEED EDIT: ":=" -> "=" (no new variables; nats.go does not compile it either)
	// (test check: MONITOR is the push consumer just created, so nats.go refuses too.)
	if !errors.Is(err, nats.ErrPullSubscribeToPushConsumer) {
		t.Fatalf("pull on the push durable: %v", err)
	}
	msgs, err := sub.Fetch(10)
	if len(msgs) != 0 || err == nil { // (test check: sub is nil)
		t.Fatalf("fetch on nil subscription: %v %v", msgs, err)
	}

	// Unsubscribe
	sub.Unsubscribe()

	// Drain
	sub.Drain()

	// (test check: the pull consumer works with a durable name of its own)
	pull, err := js.PullSubscribe("ORDERS.*", "PULLER")
	if err != nil {
		t.Fatal(err)
	}
	msgs, err = pull.Fetch(10)
	if err != nil || len(msgs) != 10 {
		t.Fatalf("pull: %d %v", len(msgs), err)
	}
	for _, m := range msgs {
		m.Ack()
	}
	pull.Unsubscribe()
}

// ## JetStream Basic Management
func TestSeedJetStreamBasicManagement(t *testing.T) {
	// Connect to NATS
	nc, _ := nats.Connect(serverURL) // SEED EDIT: nats.DefaultURL -> serverURL
	defer nc.Close()                 // (test scaffolding)

	// Create JetStream Context
	js, _ := nc.JetStream()

	// Create a Stream
	js.AddStream(&nats.StreamConfig{
		Name:     "ORDERS",
		Subjects: []string{"ORDERS.*"},
	})
	if si, err := js.StreamInfo("ORDERS"); err != nil || si.Config.Subjects[0] != "ORDERS.*" { // (test check)
		t.Fatalf("%+v %v", si, err)
	}

	// Update a Stream
	js.UpdateStream(&nats.StreamConfig{
		Name:     "ORDERS",
		MaxBytes: 8,
	})
	if si, err := js.StreamInfo("ORDERS"); err != nil || si.Config.MaxBytes != 8 { // (test check)
		t.Fatalf("%+v %v", si, err)
	}

	// Create a Consumer
	js.AddConsumer("ORDERS", &nats.ConsumerConfig{
		Durable: "MONITOR",
	})
	if ci, err := js.ConsumerInfo("ORDERS", "MONITOR"); err != nil || ci.Config.Durable != "MONITOR" { // (test check)
		t.Fatalf("%+v %v", ci, err)
	}

	// Delete Consumer
	js.DeleteConsumer("ORDERS", "MONITOR")
	if _, err := js.ConsumerInfo("ORDERS", "MONITOR"); !errors.Is(err, nats.ErrConsumerNotFound) { // (test check)
		t.Fatalf("consumer still there: %v", err)
	}

	// Delete Stream
	js.DeleteStream("ORDERS")
	if _, err := js.StreamInfo("ORDERS"); !errors.Is(err, nats.ErrStreamNotFound) { // (test check)
		t.Fatalf("stream still there: %v", err)
	}
}
