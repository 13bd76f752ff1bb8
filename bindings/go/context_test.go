package nats

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"
)

func TestRequestWithContext(t *testing.T) {
	nc := connect(t)
	nc.Subscribe("ctx.foo", func(m *Msg) { m.Respond(append([]byte("re:"), m.Data...)) })
	nc.Subscribe("ctx.slow", func(m *Msg) {})
	nc.Flush()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	msg, err := nc.RequestWithContext(ctx, "ctx.foo", []byte("bar"))
	if err != nil || string(msg.Data) != "re:bar" {
		t.Fatalf("%v %v", msg, err)
	}
	// Headers
	req := NewMsg("ctx.foo")
	req.Header.Set("A", "1")
	if _, err := nc.RequestMsgWithContext(ctx, req); err != nil {
		t.Fatal(err)
	}
	// Cancellation: returns at once with the context's error.
	c2, cancel2 := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel2() }()
	start := time.Now()
	if _, err := nc.RequestWithContext(c2, "ctx.slow", nil); err != context.Canceled {
		t.Fatalf("expected context.Canceled, got %v", err)
	}
	if time.Since(start) > time.Second {
		t.Fatal("cancel took too long")
	}
	// Deadline.
	c3, cancel3 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel3()
	if _, err := nc.RequestWithContext(c3, "ctx.slow", nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("expected DeadlineExceeded, got %v", err)
	}
	if _, err := nc.RequestWithContext(ctx, "ctx.nobody", nil); err != ErrNoResponders {
		t.Fatalf("expected ErrNoResponders, got %v", err)
	}
	// Many cancelled requests do not leave threads behind (threads(): created so far).
	before := threads()
	for i := 0; i < 200; i++ {
		c, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { nc.RequestWithContext(c, "ctx.slow", nil); close(done) }()
		cancel()
		<-done
	}
	if after := threads(); after > before+20 {
		t.Fatalf("threads grew from %d to %d", before, after)
	}
}

func threads() int {
	n, _ := runtime.ThreadCreateProfile(nil)
	return n
}

func TestFlushWithContext(t *testing.T) {
	nc := connect(t)
	if err := nc.FlushWithContext(context.Background()); err != ErrNoDeadlineContext {
		t.Fatalf("no deadline: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := nc.FlushWithContext(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestNextMsgWithContext(t *testing.T) {
	nc := connect(t)
	sub, _ := nc.SubscribeSync("ctx.sync")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	go func() { time.Sleep(30 * time.Millisecond); nc.Publish("ctx.sync", []byte("hi")) }()
	m, err := sub.NextMsgWithContext(ctx)
	if err != nil || string(m.Data) != "hi" {
		t.Fatalf("%v %v", m, err)
	}
	for i := 0; i < 10; i++ {
		nc.Publish("ctx.sync", []byte(fmt.Sprint(i)))
	}
	for i := 0; i < 10; i++ {
		m, err := sub.NextMsgWithContext(ctx)
		if err != nil || string(m.Data) != fmt.Sprint(i) {
			t.Fatalf("%d: %v %v", i, m, err)
		}
	}
	c2, cancel2 := context.WithCancel(context.Background())
	go func() { time.Sleep(30 * time.Millisecond); cancel2() }()
	if _, err := sub.NextMsgWithContext(c2); err != context.Canceled {
		t.Fatalf("expected Canceled, got %v", err)
	}
	c3, cancel3 := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel3()
	if _, err := sub.NextMsgWithContext(c3); err != context.DeadlineExceeded {
		t.Fatalf("expected DeadlineExceeded, got %v", err)
	}
	// Works after a cancellation, and NextMsg mixes with it.
	nc.Publish("ctx.sync", []byte("again"))
	if m, err := sub.NextMsgWithContext(ctx); err != nil || string(m.Data) != "again" {
		t.Fatalf("%v %v", m, err)
	}
	nc.Publish("ctx.sync", []byte("plain"))
	if m, err := sub.NextMsg(time.Second); err != nil || string(m.Data) != "plain" {
		t.Fatalf("%v %v", m, err)
	}
	go func() { time.Sleep(30 * time.Millisecond); sub.Unsubscribe() }()
	if _, err := sub.NextMsgWithContext(ctx); err != ErrBadSubscription {
		t.Fatalf("after unsubscribe: %v", err)
	}
}

// Thousands of concurrent Requests do not hold an OS thread each.
func TestManyConcurrentRequests(t *testing.T) {
	nc := connect(t)
	nc.Subscribe("many.req", func(m *Msg) {
		go func() { time.Sleep(100 * time.Millisecond); m.Respond(m.Data) }()
	})
	nc.Flush()
	th0 := threads()
	const n = 3000
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func(i int) {
			m, err := nc.Request("many.req", []byte(fmt.Sprint(i)), 10*time.Second)
			if err == nil && string(m.Data) != fmt.Sprint(i) {
				err = fmt.Errorf("reply %q for %d", m.Data, i)
			}
			errs <- err
		}(i)
	}
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	// A goroutine that held an OS thread for its whole wait would add n threads. Short cgo calls
	// made at the same moment do add threads (the runtime hands their P to a new M), more on a
	// machine with more cores, so the bound is n/2 rather than a small constant.
	if th := threads() - th0; th > n/2 {
		t.Fatalf("%d more OS threads for %d concurrent requests", th, n)
	}
}

// Thousands of goroutines in NextMsg do not hold an OS thread each.
func TestManyConcurrentNextMsg(t *testing.T) {
	nc := connect(t)
	th0 := threads()
	const n = 2000
	subs := make([]*Subscription, n)
	for i := range subs {
		subs[i], _ = nc.SubscribeSync(fmt.Sprintf("many.next.%d", i))
	}
	nc.Flush()
	errs := make(chan error, n)
	for i := range subs {
		go func(i int) {
			m, err := subs[i].NextMsg(10 * time.Second)
			if err == nil && string(m.Data) != fmt.Sprint(i) {
				err = fmt.Errorf("got %q on %d", m.Data, i)
			}
			errs <- err
		}(i)
	}
	time.Sleep(100 * time.Millisecond)
	for i := range subs {
		nc.Publish(fmt.Sprintf("many.next.%d", i), []byte(fmt.Sprint(i)))
	}
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	// Timeouts on the non-blocking path too.
	for i := 0; i < 100; i++ {
		go func(i int) { _, err := subs[i].NextMsg(50 * time.Millisecond); errs <- err }(i)
	}
	for i := 0; i < 100; i++ {
		if err := <-errs; err != ErrTimeout {
			t.Fatalf("expected ErrTimeout, got %v", err)
		}
	}
	// See TestManyConcurrentRequests for why the bound is n/2.
	if th := threads() - th0; th > n/2 {
		t.Fatalf("%d more OS threads for %d goroutines in NextMsg", th, n)
	}
}
