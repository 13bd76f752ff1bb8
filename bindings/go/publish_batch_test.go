package nats

import (
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// nextInt reads the next message of a sync subscription as a decimal number.
func nextInt(t *testing.T, s *Subscription) int {
	t.Helper()
	m, err := s.NextMsg(10 * time.Second)
	if err != nil {
		t.Fatalf("next on %q: %v", s.Subject, err)
	}
	n, err := strconv.Atoi(string(m.Data))
	if err != nil {
		t.Fatalf("payload %q: %v", m.Data, err)
	}
	return n
}

// Many publishes interleaved with requests, flushes and subscriptions on one connection: the
// messages arrive in order and none is lost, and a subscription made after message k was
// published sees k first (its SUB went out after the publishes before it).
func TestPublishBatchOrderInterleaved(t *testing.T) {
	const total, every = 20000, 1000
	other := connect(t)
	all, err := other.SubscribeSync("batch.order")
	if err != nil {
		t.Fatal(err)
	}
	all.SetPendingLimits(-1, -1)
	if _, err := other.Subscribe("batch.order.rr", func(m *Msg) { m.Respond([]byte("ok")) }); err != nil {
		t.Fatal(err)
	}
	if err := other.Flush(); err != nil {
		t.Fatal(err)
	}

	nc := connect(t)
	type late struct {
		sub   *Subscription
		first int
	}
	var lates []late
	for i := 0; i < total; i++ {
		if i > 0 && i%every == 0 {
			switch (i / every) % 3 {
			case 0:
				if _, err := nc.Request("batch.order.rr", nil, 10*time.Second); err != nil {
					t.Fatalf("request after %d: %v", i, err)
				}
			case 1:
				if err := nc.Flush(); err != nil {
					t.Fatalf("flush after %d: %v", i, err)
				}
			}
			s, err := nc.SubscribeSync("batch.order")
			if err != nil {
				t.Fatal(err)
			}
			s.SetPendingLimits(-1, -1)
			lates = append(lates, late{s, i})
		}
		if err := nc.Publish("batch.order", []byte(strconv.Itoa(i))); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < total; i++ {
		if n := nextInt(t, all); n != i {
			t.Fatalf("message %d arrived as number %d", i, n)
		}
	}
	for _, l := range lates {
		if n := nextInt(t, l.sub); n != l.first {
			t.Fatalf("subscription made before message %d first got %d", l.first, n)
		}
		for i := l.first + 1; i < total; i++ {
			if n := nextInt(t, l.sub); n != i {
				t.Fatalf("late subscription: message %d arrived as %d", i, n)
			}
		}
	}
}

// Close right after publishing: everything published before Close reaches a subscriber on
// another connection.
func TestPublishBatchCloseLosesNothing(t *testing.T) {
	const total = 50000
	other := connect(t)
	var got atomic.Int64
	sub, err := other.Subscribe("batch.close", func(*Msg) { got.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	sub.SetPendingLimits(-1, -1)
	if err := other.Flush(); err != nil {
		t.Fatal(err)
	}
	nc, err := Connect(defaultServer.URL)
	if err != nil {
		t.Fatal(err)
	}
	payload := []byte(strings.Repeat("x", 100))
	for i := 0; i < total; i++ {
		if err := nc.Publish("batch.close", payload); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	nc.Close()
	waitFor(t, 20*time.Second, func() bool { return got.Load() == total })
	if err := other.Flush(); err != nil {
		t.Fatal(err)
	}
	if n := got.Load(); n != total {
		t.Fatalf("got %d of %d", n, total)
	}
}

// The connection's counters include what is still waiting in the Go buffer.
func TestPublishBatchStats(t *testing.T) {
	nc := connect(t)
	before := nc.Stats()
	for i := 0; i < 100; i++ {
		if err := nc.Publish("batch.stats", []byte("12345")); err != nil {
			t.Fatal(err)
		}
	}
	if err := nc.PublishRequest("batch.stats", "batch.reply", []byte("1234567890")); err != nil {
		t.Fatal(err)
	}
	s := nc.Stats()
	if d := s.OutMsgs - before.OutMsgs; d != 101 {
		t.Fatalf("OutMsgs grew by %d, want 101", d)
	}
	if d := s.OutBytes - before.OutBytes; d != 510 {
		t.Fatalf("OutBytes grew by %d, want 510", d)
	}
	if _, err := nc.Buffered(); err != nil {
		t.Fatal(err)
	}
}

// Argument errors are still returned by Publish itself, and nothing is sent for them.
func TestPublishBatchSyncErrors(t *testing.T) {
	nc := connect(t)
	before := nc.Stats().OutMsgs
	for _, subj := range []string{"", "a b", "a\tb", "a\r\nb", "a..b", ".a", "a."} {
		if err := nc.Publish(subj, []byte("x")); err != ErrBadSubject {
			t.Fatalf("Publish(%q): %v, want ErrBadSubject", subj, err)
		}
	}
	for _, reply := range []string{"", "r r", "r..s"} {
		if err := nc.PublishRequest("ok", reply, []byte("x")); err != ErrBadSubject {
			t.Fatalf("PublishRequest reply %q: %v, want ErrBadSubject", reply, err)
		}
	}
	if err := nc.PublishMsg(&Msg{Subject: "a b", Data: []byte("x")}); err != ErrBadSubject {
		t.Fatalf("PublishMsg bad subject: %v", err)
	}
	big := make([]byte, nc.MaxPayload()+1)
	if err := nc.Publish("batch.big", big); err != ErrMaxPayload {
		t.Fatalf("oversized publish: %v, want ErrMaxPayload", err)
	}
	if err := nc.Publish("batch.fits", big[:nc.MaxPayload()]); err != nil {
		t.Fatalf("publish at max payload: %v", err)
	}
	if d := nc.Stats().OutMsgs - before; d != 1 {
		t.Fatalf("OutMsgs grew by %d, want 1", d)
	}
	if nc.LastError() != nil {
		t.Fatalf("last error %v", nc.LastError())
	}
	nc.Close()
	if err := nc.Publish("batch.closed", []byte("x")); !errors.Is(err, ErrConnectionClosed) {
		t.Fatalf("publish after close: %v, want ErrConnectionClosed", err)
	}
	if err := nc.PublishRequest("batch.closed", "r", []byte("x")); !errors.Is(err, ErrConnectionClosed) {
		t.Fatalf("publish request after close: %v, want ErrConnectionClosed", err)
	}
}

// Publishes from many goroutines: every one arrives, and each goroutine's own order holds.
func TestPublishBatchConcurrent(t *testing.T) {
	const workers, each = 8, 5000
	other := connect(t)
	all, err := other.SubscribeSync("batch.conc.*")
	if err != nil {
		t.Fatal(err)
	}
	all.SetPendingLimits(-1, -1)
	if err := other.Flush(); err != nil {
		t.Fatal(err)
	}
	nc := connect(t)
	done := make(chan error, workers)
	for w := 0; w < workers; w++ {
		go func(w int) {
			subj := "batch.conc." + strconv.Itoa(w)
			for i := 0; i < each; i++ {
				if err := nc.Publish(subj, []byte(strconv.Itoa(i))); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}(w)
	}
	for w := 0; w < workers; w++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	next := make(map[string]int)
	for k := 0; k < workers*each; k++ {
		m, err := all.NextMsg(10 * time.Second)
		if err != nil {
			t.Fatalf("after %d messages: %v", k, err)
		}
		n, _ := strconv.Atoi(string(m.Data))
		if n != next[m.Subject] {
			t.Fatalf("%s: got %d, want %d", m.Subject, n, next[m.Subject])
		}
		next[m.Subject]++
	}
}

// An entry the core refuses at hand-over goes to the async error handler and LastError, and
// the entries after it are still published. (Publish never queues such an entry; the test puts
// one in the buffer itself.)
func TestPublishBatchHandOverError(t *testing.T) {
	other := connect(t)
	sub, err := other.SubscribeSync("batch.err.*")
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Flush(); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 4)
	nc := connect(t, ErrorHandler(func(_ *Conn, _ *Subscription, err error) { errs <- err }))
	c := nc.core
	c.pub.sendMu.Lock() // keep the flusher out while the buffer is filled
	c.pub.mu.Lock()
	c.pub.buf = appendPubFrame(c.pub.buf, "batch.err.1", "", []byte("1"))
	c.pub.buf = appendPubFrame(c.pub.buf, "batch..err", "", []byte("x"))
	c.pub.buf = appendPubFrame(c.pub.buf, "batch.err.2", "", []byte("2"))
	c.pub.busy.Store(true)
	c.pub.mu.Unlock()
	c.pub.sendMu.Unlock()
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errs:
		if err != ErrBadSubject {
			t.Fatalf("async error %v, want ErrBadSubject", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no async error")
	}
	if err := nc.LastError(); err != ErrBadSubject {
		t.Fatalf("LastError %v, want ErrBadSubject", err)
	}
	for _, want := range []string{"1", "2"} {
		m, err := sub.NextMsg(10 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if string(m.Data) != want {
			t.Fatalf("got %q, want %q", m.Data, want)
		}
	}
	if s := nc.Stats(); s.OutMsgs != 2 {
		t.Fatalf("OutMsgs %d, want 2", s.OutMsgs)
	}
}
