package nats

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// Core behaviours where a nats.go program must see what nats.go gives (found by running the
// same programs against both).

func TestChanSubscribeFullChannelDrops(t *testing.T) {
	var reported atomic.Int32
	nc := connect(t, ErrorHandler(func(_ *Conn, s *Subscription, err error) {
		if errors.Is(err, ErrSlowConsumer) && s != nil && s.Subject == "cf.ch" {
			reported.Add(1)
		}
	}))
	ch := make(chan *Msg, 2)
	sub, err := nc.ChanSubscribe("cf.ch", ch)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		nc.Publish("cf.ch", []byte{byte('0' + i)})
	}
	nc.Flush()
	waitFor(t, 2*time.Second, func() bool { d, _ := sub.Dropped(); return d == 3 })
	// the other subscriptions of the connection are served meanwhile
	ss, _ := nc.SubscribeSync("cf.other")
	nc.Publish("cf.other", []byte("o"))
	if _, err := ss.NextMsg(time.Second); err != nil {
		t.Fatalf("other subscription: %v", err)
	}
	// NextMsg on a channel subscription receives from its channel
	got := ""
	for i := 0; i < 2; i++ {
		m, err := sub.NextMsg(time.Second)
		if err != nil {
			t.Fatalf("NextMsg on a channel subscription: %v", err)
		}
		got += string(m.Data)
	}
	if got != "01" {
		t.Fatalf("received %q, want the first two", got)
	}
	if _, err := sub.NextMsg(50 * time.Millisecond); err != ErrTimeout {
		t.Fatalf("NextMsg on an empty channel: %v", err)
	}
	if n, _ := sub.Delivered(); n != 2 {
		t.Fatalf("delivered %d, want 2", n)
	}
	if reported.Load() != 1 {
		t.Fatalf("slow consumer reported %d times, want once", reported.Load())
	}
	if err := nc.LastError(); err != ErrSlowConsumer {
		t.Fatalf("LastError %v, want ErrSlowConsumer", err)
	}
	if _, _, err := sub.Pending(); err != ErrTypeSubscription {
		t.Fatalf("Pending on a channel subscription: %v", err)
	}
	if err := sub.SetPendingLimits(10, 10); err != ErrTypeSubscription {
		t.Fatalf("SetPendingLimits on a channel subscription: %v", err)
	}
	// room again: delivered, and one more episode is reported once
	nc.Publish("cf.ch", []byte("5"))
	if m, err := sub.NextMsg(time.Second); err != nil || string(m.Data) != "5" {
		t.Fatalf("after the drops: %v %v", m, err)
	}
}

func TestNextMsgAfterAutoUnsubscribeLimit(t *testing.T) {
	nc := connect(t)
	sub, _ := nc.SubscribeSync("au.limit")
	if err := sub.AutoUnsubscribe(2); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		nc.Publish("au.limit", []byte("x"))
	}
	nc.Flush()
	for i := 0; i < 2; i++ {
		if _, err := sub.NextMsg(time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sub.NextMsg(100 * time.Millisecond); err != ErrMaxMessages {
		t.Fatalf("NextMsg past the limit: %v, want ErrMaxMessages", err)
	}
}

func TestSubscriptionCallsAfterUnsubscribeAndClose(t *testing.T) {
	nc := connect(t)
	sub, _ := nc.SubscribeSync("uc.a")
	sub.Unsubscribe()
	if err := sub.Drain(); err != nil {
		t.Fatalf("Drain after Unsubscribe: %v, want nil", err)
	}
	s2, _ := nc.SubscribeSync("uc.b")
	nc.Close()
	if _, _, err := s2.Pending(); err != ErrBadSubscription {
		t.Fatalf("Pending after Close: %v", err)
	}
	if _, err := s2.Delivered(); err != ErrBadSubscription {
		t.Fatalf("Delivered after Close: %v", err)
	}
	if _, _, err := s2.MaxPending(); err != ErrBadSubscription {
		t.Fatalf("MaxPending after Close: %v", err)
	}
}

func TestEmptyPayloadIsNotNil(t *testing.T) {
	nc := connect(t)
	ss, _ := nc.SubscribeSync("ep.sync")
	got := make(chan *Msg, 1)
	nc.Subscribe("ep.async", func(m *Msg) { got <- m })
	nc.Publish("ep.sync", nil)
	nc.Publish("ep.async", nil)
	m, err := ss.NextMsg(time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if m.Data == nil || len(m.Data) != 0 {
		t.Fatalf("sync: Data %#v, want empty and not nil", m.Data)
	}
	select {
	case m := <-got:
		if m.Data == nil || len(m.Data) != 0 {
			t.Fatalf("async: Data %#v, want empty and not nil", m.Data)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no message")
	}
}

func TestMsgSizeCountsHeaderBlock(t *testing.T) {
	m := NewMsg("abc")
	m.Data = []byte("12345")
	if m.Size() != 8 {
		t.Fatalf("no header: %d", m.Size())
	}
	m.Header.Set("K", "v")
	// "NATS/1.0\r\n" + "K: v\r\n" + "\r\n" = 18
	if m.Size() != 26 {
		t.Fatalf("with a header: %d, want 26", m.Size())
	}
}

// A connection drain waits for the handlers of messages in hand; what they publish meanwhile
// goes out, as in nats.go.
func TestDrainWaitsForRunningHandlers(t *testing.T) {
	obs := connect(t)
	seen, _ := obs.SubscribeSync("dw.out")
	obs.Flush()
	closed := make(chan struct{})
	nc := connect(t, ClosedHandler(func(*Conn) { close(closed) }))
	started := make(chan struct{})
	var pubErr atomic.Value
	nc.Subscribe("dw.in", func(m *Msg) {
		close(started)
		time.Sleep(300 * time.Millisecond)
		if err := nc.Publish("dw.out", []byte("from the handler")); err != nil {
			pubErr.Store(err)
		}
	})
	nc.Publish("dw.in", nil)
	nc.Flush()
	<-started
	if err := nc.Drain(); err != nil {
		t.Fatal(err)
	}
	if !nc.IsDraining() || nc.Status() != DRAINING_SUBS {
		t.Fatalf("during the drain: IsDraining %v, status %v", nc.IsDraining(), nc.Status())
	}
	if err := nc.Publish("dw.out", []byte("during")); err != nil {
		t.Fatalf("Publish during the drain: %v", err)
	}
	if _, err := nc.Request("dw.x", nil, time.Second); err != ErrConnectionDraining {
		t.Fatalf("Request during the drain: %v", err)
	}
	if _, err := nc.SubscribeSync("dw.y"); err != ErrConnectionDraining {
		t.Fatalf("Subscribe during the drain: %v", err)
	}
	if err := nc.Drain(); err != nil {
		t.Fatalf("second Drain: %v", err)
	}
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the drain did not close the connection")
	}
	if v := pubErr.Load(); v != nil {
		t.Fatalf("the handler's publish failed: %v", v)
	}
	want := map[string]bool{"during": true, "from the handler": true}
	for len(want) > 0 {
		m, err := seen.NextMsg(2 * time.Second)
		if err != nil {
			t.Fatalf("missing %v: %v", want, err)
		}
		delete(want, string(m.Data))
	}
}

func TestLastErrorAfterSlowConsumer(t *testing.T) {
	nc := connect(t, ErrorHandler(func(*Conn, *Subscription, error) {}))
	block := make(chan struct{})
	defer close(block)
	sub, _ := nc.Subscribe("le.slow", func(*Msg) { <-block })
	sub.SetPendingLimits(2, -1)
	for i := 0; i < 20; i++ {
		nc.Publish("le.slow", nil)
	}
	nc.Flush()
	waitFor(t, 2*time.Second, func() bool { d, _ := sub.Dropped(); return d > 0 })
	// (the core reports the drop through its event thread: LastError follows shortly)
	waitFor(t, 2*time.Second, func() bool { return nc.LastError() == ErrSlowConsumer })
}
