package nats

import (
	"sync/atomic"
	"testing"
	"time"
)

// spin keeps the handler busy for about d (a handler that nearly keeps up with a flood).
func spin(d time.Duration) {
	for t0 := time.Now(); time.Since(t0) < d; {
	}
}

// A handler a little slower than its publisher, with pending limits far below the flood: the
// inline reader holds input back while the handler catches up, so the flood waits in the
// server (which slows the publisher down) and no message is dropped.
func TestFlowControlHoldsInputWhileAHandlerCatchesUp(t *testing.T) {
	skipWithoutInlineReads(t)
	sc, pc := connect(t), connect(t)
	r := waitAttached(t, sc)
	const total = 300_000
	var got atomic.Int64
	sub, err := sc.Subscribe("flow.hold", func(*Msg) {
		got.Add(1)
		spin(2 * time.Microsecond)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.SetPendingLimits(50_000, -1); err != nil {
		t.Fatal(err)
	}
	if err := sc.Flush(); err != nil {
		t.Fatal(err)
	}
	payload := make([]byte, 512)
	for i := 0; i < total; i++ {
		if err := pc.Publish("flow.hold", payload); err != nil {
			t.Fatal(err)
		}
	}
	if err := pc.Flush(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, func() bool {
		d, _ := sub.Dropped()
		return got.Load()+int64(d) >= total
	})
	if d, _ := sub.Dropped(); d != 0 {
		t.Fatalf("%d of %d messages dropped (flow waits %d)", d, total, r.flowWaits.Load())
	}
	if r.flowWaits.Load() == 0 {
		t.Fatal("the reader never held input back")
	}
	waitFor(t, 10*time.Second, func() bool { return sc.core.flow.nbehind.Load() == 0 })
}

// A handler that stops (waits for something) while over: the pause is given up within
// flowMaxWait, so the connection's other subscriptions still get their messages, and the
// stuck one drops at its pending limits as with nats.go.
func TestFlowControlGivesUpForAStuckHandler(t *testing.T) {
	skipWithoutInlineReads(t)
	sc, pc := connect(t), connect(t)
	r := waitAttached(t, sc)
	release := make(chan struct{})
	var n atomic.Int64
	stuck, err := sc.Subscribe("flow.stuck", func(*Msg) {
		if n.Add(1) > 20_000 {
			<-release // stops once well behind
			return
		}
		spin(2 * time.Microsecond)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer close(release)
	if err := stuck.SetPendingLimits(8000, -1); err != nil {
		t.Fatal(err)
	}
	other, err := sc.SubscribeSync("flow.other")
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.Flush(); err != nil {
		t.Fatal(err)
	}
	payload := make([]byte, 64)
	for i := 0; i < 50_000; i++ {
		if err := pc.Publish("flow.stuck", payload); err != nil {
			t.Fatal(err)
		}
	}
	if err := pc.Publish("flow.other", []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if err := pc.Flush(); err != nil {
		t.Fatal(err)
	}
	m, err := other.NextMsg(10 * time.Second)
	if err != nil || string(m.Data) != "hi" {
		t.Fatalf("other subscription: %v %v", m, err)
	}
	waitFor(t, 10*time.Second, func() bool { d, _ := stuck.Dropped(); return d > 0 })
	if r.flowWaits.Load() == 0 {
		t.Fatal("the reader never held input back")
	}
}
