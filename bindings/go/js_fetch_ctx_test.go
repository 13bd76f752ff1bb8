package nats

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// Fetch with a context runs on the core's non-blocking fetch: cancelling the context ends the
// wait at once (not at the deadline), and the next fetch still gets every message.
func TestJSFetchContextCancel(t *testing.T) {
	_, js := jsConn(t)
	name := jsStream(t, js)
	sub, err := js.PullSubscribe(name+".*", "CTXPULL")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	if _, err := sub.Fetch(5, Context(ctx)); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled fetch: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("cancel took %v", d)
	}

	for i := 0; i < 3; i++ {
		if _, err := js.Publish(name+".a", []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	msgs, err := sub.Fetch(3, Context(ctx2))
	if err != nil || len(msgs) != 3 {
		t.Fatalf("fetch after cancel: %d %v", len(msgs), err)
	}
	for i, m := range msgs {
		if string(m.Data) != fmt.Sprint(i) {
			t.Fatalf("%d: %q", i, m.Data)
		}
		if err := m.AckSync(); err != nil {
			t.Fatal(err)
		}
	}

	// A deadline with nothing to fetch: the context's error, as nats.go.
	ctx3, cancel3 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel3()
	if _, err := sub.Fetch(1, Context(ctx3)); !errors.Is(err, context.DeadlineExceeded) && err != ErrTimeout {
		t.Fatalf("deadline: %v", err)
	}

	// FetchBatch with a context delivers on its channel.
	js.Publish(name+".a", []byte("b"))
	ctx4, cancel4 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel4()
	mb, err := sub.FetchBatch(2, Context(ctx4))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for m := range mb.Messages() {
		got = append(got, string(m.Data))
		m.Ack()
	}
	<-mb.Done()
	if len(got) != 1 || got[0] != "b" {
		t.Fatalf("batch: %v %v", got, mb.Error())
	}
}

// Many fetches cancelled while messages arrive lose none of them.
func TestJSFetchContextCancelKeepsMessages(t *testing.T) {
	_, js := jsConn(t)
	name := jsStream(t, js)
	sub, err := js.PullSubscribe(name+".*", "CTXKEEP")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	const total = 200
	go func() {
		for i := 0; i < total; i++ {
			js.Publish(name+".a", []byte(fmt.Sprint(i)))
		}
	}()
	seen := map[string]bool{}
	deadline := time.Now().Add(20 * time.Second)
	for len(seen) < total && time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		time.AfterFunc(time.Millisecond, cancel)
		msgs, err := sub.Fetch(50, Context(ctx))
		cancel()
		if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) && err != ErrTimeout {
			t.Fatal(err)
		}
		for _, m := range msgs {
			seen[string(m.Data)] = true
			m.Ack()
		}
	}
	if len(seen) != total {
		t.Fatalf("got %d of %d messages", len(seen), total)
	}
}

// Pending and Dropped on a pull subscription: what a cancelled fetch received waits, counted as
// pending, until the next fetch takes it.
func TestJSPullPending(t *testing.T) {
	_, js := jsConn(t)
	name := jsStream(t, js)
	sub, err := js.PullSubscribe(name+".*", "PENDPULL")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if n, _, err := sub.Pending(); err != nil || n != 0 {
		t.Fatalf("pending %d %v", n, err)
	}
	if d, err := sub.Dropped(); err != nil || d != 0 {
		t.Fatalf("dropped %d %v", d, err)
	}
	if m, b, err := sub.MaxPending(); err != nil || m != 0 || b != 0 {
		t.Fatalf("MaxPending on pull: %d %d %v", m, b, err)
	}
	if err := sub.SetPendingLimits(0, 10); err != ErrInvalidArg {
		t.Fatalf("zero limit: %v", err)
	}
	if err := sub.SetPendingLimits(100, -1); err != nil {
		t.Fatal(err)
	}
	if m, b, err := sub.PendingLimits(); err != nil || m != 100 || b != -1 {
		t.Fatalf("limits %d %d %v", m, b, err)
	}
	for i := 0; i < 3; i++ {
		js.Publish(name+".a", []byte("pend"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	cancel() // cancelled before the fetch starts: the error at once, nothing asked
	if _, err := sub.Fetch(3, Context(ctx)); !errors.Is(err, context.Canceled) {
		t.Fatalf("%v", err)
	}
	msgs, err := sub.Fetch(3, MaxWait(5*time.Second))
	if err != nil || len(msgs) != 3 {
		t.Fatalf("%d %v", len(msgs), err)
	}
	for _, m := range msgs {
		m.Ack()
	}
	if n, _, err := sub.Pending(); err != nil || n > 1 { // at most the status answer of the fetch's no-wait request
		t.Fatalf("pending after fetch %d %v", n, err)
	}
	// The queue held at least one of the three at once; ClearMaxPending starts the marks again.
	if m, b, err := sub.MaxPending(); err != nil || m < 1 || b < 4 {
		t.Fatalf("MaxPending after fetch: %d %d %v", m, b, err)
	}
	if err := sub.ClearMaxPending(); err != nil {
		t.Fatal(err)
	}
	if m, _, err := sub.MaxPending(); err != nil || m > 1 { // (a late status answer may come in)
		t.Fatalf("MaxPending after clear: %d %v", m, err)
	}
	sub.Unsubscribe()
	if err := sub.ClearMaxPending(); err != ErrBadSubscription {
		t.Fatalf("ClearMaxPending after unsubscribe: %v", err)
	}
}

// nats.go's context rules for pull fetches: a batch whose request expires on an empty consumer
// ends without an error; a context without a deadline (other than context.Background) is
// bounded by the JetStream wait; context.Background itself is refused.
func TestJSFetchContextAsNatsGo(t *testing.T) {
	_, js := jsConn(t, MaxWait(500*time.Millisecond))
	name := jsStream(t, js)
	sub, err := js.PullSubscribe(name+".*", "CTXRULES")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	mb, err := sub.FetchBatch(2, Context(ctx))
	if err != nil {
		t.Fatal(err)
	}
	for range mb.Messages() {
		t.Fatal("a message from an empty consumer")
	}
	if err := mb.Error(); err != nil {
		t.Fatalf("FetchBatch on an empty consumer: %v", err)
	}
	cancel()
	if _, err := sub.Fetch(1, Context(context.Background())); err != ErrNoDeadlineContext {
		t.Fatalf("Fetch with context.Background: %v", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	if _, err := sub.Fetch(1, Context(ctx)); err != context.Canceled {
		t.Fatalf("Fetch with a cancelled context without a deadline: %v", err)
	}
	start := time.Now()
	if _, err := sub.Fetch(1, Context(context.TODO())); err != context.DeadlineExceeded {
		t.Fatalf("Fetch with a context without a deadline: %v", err)
	}
	if d := time.Since(start); d < 400*time.Millisecond || d > 3*time.Second {
		t.Fatalf("Fetch with a context without a deadline took %v (the wait is 500ms)", d)
	}
}
