package nats

import (
	"fmt"
	"testing"
	"time"
)

func TestJSOrderedConsumer(t *testing.T) {
	_, js := jsConn(t)
	name := jsStream(t, js)
	handles0 := liveHandles.Load()
	for i := 0; i < 20; i++ {
		if _, err := js.Publish(fmt.Sprintf("%s.%d", name, i%3), []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	// Synchronous: every message once, in order; a deleted server consumer is recreated.
	sub, err := js.SubscribeSync(name+".>", OrderedConsumer())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		m, err := sub.NextMsg(5 * time.Second)
		if err != nil || string(m.Data) != fmt.Sprint(i) {
			t.Fatalf("%d: %v %v", i, m, err)
		}
		md, err := m.Metadata()
		if err != nil || md.Sequence.Stream != uint64(i+1) {
			t.Fatalf("%+v %v", md, err)
		}
		if err := m.Ack(); err != ErrCantAckIfConsumerAckNone {
			t.Fatalf("ack: %v", err)
		}
	}
	// Pending: it pulled ahead, the other ten wait in its queue (and at most a status answer).
	waitFor(t, 5*time.Second, func() bool { n, _, _ := sub.Pending(); return n >= 10 })
	if n, b, err := sub.Pending(); err != nil || n < 10 || n > 11 || b < 10 {
		t.Fatalf("ordered Pending: %d %d %v", n, b, err)
	}
	if d, err := sub.Dropped(); err != nil || d != 0 {
		t.Fatalf("ordered Dropped: %d %v", d, err)
	}
	if n, b, err := sub.MaxPending(); err != nil || n < 10 || b < 10 {
		t.Fatalf("ordered MaxPending: %d %d %v", n, b, err)
	}
	if err := sub.SetPendingLimits(0, 10); err == nil {
		t.Fatal("ordered SetPendingLimits(0, 10) accepted")
	}
	ci0, err := sub.ConsumerInfo()
	if err != nil || ci0.Stream != name {
		t.Fatalf("ordered ConsumerInfo: %+v %v", ci0, err)
	}
	for n := range js.ConsumerNames(name) {
		if n != ci0.Name {
			t.Fatalf("consumer %s is not the one in use (%s)", n, ci0.Name)
		}
		js.DeleteConsumer(name, n)
	}
	for i := 10; i < 20; i++ {
		m, err := sub.NextMsg(10 * time.Second)
		if err != nil || string(m.Data) != fmt.Sprint(i) {
			t.Fatalf("after reset %d: %v %v", i, m, err)
		}
	}
	// Limits: of ten more, those over three at a time are dropped, and it starts again after
	// the last one delivered: each comes once, in order.
	if err := sub.SetPendingLimits(3, -1); err != nil {
		t.Fatalf("ordered SetPendingLimits: %v", err)
	}
	if m, _, err := sub.PendingLimits(); err != nil || m != 3 {
		t.Fatalf("ordered PendingLimits: %d %v", m, err)
	}
	for i := 0; i < 10; i++ {
		if _, err := js.Publish(name+".x", []byte(fmt.Sprint("x", i))); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 10; i++ {
		m, err := sub.NextMsg(10 * time.Second)
		if err != nil || string(m.Data) != fmt.Sprint("x", i) {
			t.Fatalf("under limits %d: %v %v", i, m, err)
		}
	}
	if d, err := sub.Dropped(); err != nil || d == 0 {
		t.Fatalf("ordered Dropped under a limit of 3: %d %v", d, err)
	}
	if err := sub.ClearMaxPending(); err != nil {
		t.Fatalf("ordered ClearMaxPending: %v", err)
	}
	if n, _, err := sub.MaxPending(); err != nil || n > 3 {
		t.Fatalf("ordered MaxPending after clear: %d %v", n, err)
	}
	if _, err := sub.NextMsg(50 * time.Millisecond); err != ErrTimeout {
		t.Fatal(err)
	}
	if err := sub.Unsubscribe(); err != nil {
		t.Fatal(err)
	}
	if _, err := sub.NextMsg(10 * time.Millisecond); err != ErrBadSubscription {
		t.Fatalf("after unsubscribe: %v", err)
	}
	if _, _, err := sub.Pending(); err != ErrBadSubscription {
		t.Fatalf("Pending after unsubscribe: %v", err)
	}
	// Handler, with a filter and a start sequence.
	got := make(chan string, 20)
	hs, err := js.Subscribe(name+".1", func(m *Msg) { got <- string(m.Data) }, OrderedConsumer(), StartSequence(5))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"4", "7", "10", "13", "16", "19"} {
		select {
		case g := <-got:
			if g != want {
				t.Fatalf("got %s want %s", g, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no message")
		}
	}
	// ConsumerInfo: the consumer the ordered consumer uses now (read while it is consumed).
	ci, err := hs.ConsumerInfo()
	if err != nil || ci.Stream != name || ci.Name == "" || ci.Delivered.Stream < 19 {
		t.Fatalf("ordered ConsumerInfo: %+v %v", ci, err)
	}
	hs.Unsubscribe()
	// Channel, with DeliverLastPerSubject.
	ch := make(chan *Msg, 10)
	cs, err := js.ChanSubscribe(name+".>", ch, OrderedConsumer(), DeliverLastPerSubject())
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i := 0; i < 3; i++ {
		select {
		case m := <-ch:
			seen[string(m.Data)] = true
		case <-time.After(5 * time.Second):
			t.Fatal("no message")
		}
	}
	if !seen["17"] || !seen["18"] || !seen["19"] {
		t.Fatal(seen)
	}
	cs.Drain()
	// Options that do not go with an ordered consumer.
	if _, err := js.SubscribeSync(name+".>", OrderedConsumer(), Durable("D")); err == nil {
		t.Fatal("durable")
	}
	if _, err := js.QueueSubscribe(name+".>", "q", func(*Msg) {}, OrderedConsumer()); err == nil {
		t.Fatal("queue")
	}
	if _, err := js.PullSubscribe(name+".>", "", OrderedConsumer()); err == nil {
		t.Fatal("pull")
	}
	if _, err := js.SubscribeSync("nostream.ordered", OrderedConsumer()); err != ErrNoMatchingStream {
		t.Fatal(err)
	}
	// The handles of the handler and channel subscriptions are released by the library.
	waitFor(t, 10*time.Second, func() bool { return liveHandles.Load() <= handles0 })
}
