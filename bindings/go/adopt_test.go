package nats

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Tests of the nats.go features backed by the C API's calls for the bindings
// (UserInfoHandler, ReconnectErrHandler, Buffered, MaxPending).

func TestUserInfoHandler(t *testing.T) {
	s := startServer(t, "--user", "foo", "--pass", "bar")
	handles0 := liveHandles.Load()
	var calls atomic.Int32
	handler := func() (string, string) {
		calls.Add(1)
		// Fresh strings, and a GC, so that a borrowed Go pointer would show.
		u, p := fmt.Sprintf("f%s", "oo"), strings.Repeat("bar", 1)
		runtime.GC()
		return u, p
	}
	reco := make(chan struct{}, 4)
	nc, err := Connect(s.URL, UserInfoHandler(handler),
		MaxReconnects(-1), ReconnectWait(50*time.Millisecond), ReconnectJitter(10*time.Millisecond, 10*time.Millisecond),
		ReconnectHandler(func(*Conn) { reco <- struct{}{} }))
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 1 {
		t.Fatalf("handler calls %d, want 1", calls.Load())
	}
	// Called again on reconnect.
	s.Stop()
	waitFor(t, 5*time.Second, nc.IsReconnecting)
	s.Restart(t)
	select {
	case <-reco:
	case <-time.After(10 * time.Second):
		t.Fatal("no reconnect")
	}
	if calls.Load() < 2 {
		t.Fatalf("handler calls %d after reconnect, want >= 2", calls.Load())
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	// Wrong credentials: authorization error.
	if _, err := Connect(s.URL, UserInfoHandler(func() (string, string) { return "foo", "wrong" })); !errors.Is(err, ErrAuthorization) {
		t.Fatalf("expected ErrAuthorization, got %v", err)
	}
	// Credentials in the URL win: the handler is not called.
	var urlCalls atomic.Int32
	u := strings.Replace(s.URL, "nats://", "nats://foo:bar@", 1)
	nc2, err := Connect(u, UserInfoHandler(func() (string, string) { urlCalls.Add(1); return "x", "y" }))
	if err != nil {
		t.Fatal(err)
	}
	nc2.Close()
	if urlCalls.Load() != 0 {
		t.Fatalf("handler called %d times despite URL credentials", urlCalls.Load())
	}
	// A panicking handler fails the connect (reported, never a crash).
	reported := make(chan error, 1)
	_, err = Connect(s.URL, UserInfoHandler(func() (string, string) { panic("boom") }),
		ErrorHandler(func(_ *Conn, _ *Subscription, err error) {
			select {
			case reported <- err:
			default:
			}
		}))
	if err == nil {
		t.Fatal("connect with a panicking user info handler succeeded")
	}
	// With both UserInfo and UserInfoHandler: refused as in nats.go.
	if _, err := Connect(s.URL, UserInfo("foo", "bar"), UserInfoHandler(handler)); err != ErrUserInfoAlreadySet {
		t.Fatalf("expected ErrUserInfoAlreadySet, got %v", err)
	}
	// Every handle (and the C copies of the credentials it owns) is released.
	nc.Close()
	nc = nil
	waitFor(t, 10*time.Second, func() bool {
		runtime.GC()
		return liveHandles.Load() <= handles0
	})
}

func TestReconnectErrHandler(t *testing.T) {
	s := startServer(t, "--user", "foo", "--pass", "bar")
	errs := make(chan error, 64)
	reco := make(chan struct{}, 4)
	var badPass atomic.Bool
	nc, err := Connect(s.URL,
		UserInfoHandler(func() (string, string) {
			if badPass.Load() {
				return "foo", "wrong"
			}
			return "foo", "bar"
		}),
		MaxReconnects(-1), ReconnectWait(50*time.Millisecond), ReconnectJitter(10*time.Millisecond, 10*time.Millisecond),
		ReconnectErrHandler(func(c *Conn, err error) {
			if c == nil {
				err = errors.New("nil *Conn")
			}
			select {
			case errs <- err:
			default:
			}
		}),
		ReconnectHandler(func(*Conn) { reco <- struct{}{} }))
	if err != nil {
		t.Fatal(err)
	}
	next := func(what string) error {
		t.Helper()
		select {
		case err := <-errs:
			if err == nil {
				t.Fatalf("%s: nil error", what)
			}
			return err
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: no reconnect error", what)
		}
		return nil
	}
	// Server gone: the failed attempts are reported.
	s.Stop()
	err = next("server down")
	if strings.Contains(err.Error(), "nil *Conn") {
		t.Fatal(err)
	}
	// Server back but the credentials are now refused: authorization errors.
	badPass.Store(true)
	s.Restart(t)
	deadline := time.Now().Add(10 * time.Second)
	for {
		err = next("bad credentials")
		if errors.Is(err, ErrAuthorization) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no authorization error, last %v", err)
		}
	}
	// Good credentials again: reconnects.
	badPass.Store(false)
	select {
	case <-reco:
	case <-time.After(10 * time.Second):
		t.Fatal("no reconnect")
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	nc.Close()

	// The background attempts of RetryOnFailedConnect are reported too.
	port := freePort()
	bg := make(chan error, 8)
	nc, err = Connect(fmt.Sprintf("nats://127.0.0.1:%d", port), RetryOnFailedConnect(true),
		MaxReconnects(-1), ReconnectWait(20*time.Millisecond),
		ReconnectErrHandler(func(_ *Conn, err error) {
			select {
			case bg <- err:
			default:
			}
		}))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-bg:
		if err == nil {
			t.Fatal("nil error")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no reconnect error for RetryOnFailedConnect")
	}
	nc.Close()
}

func TestBufferedAndMaxPending(t *testing.T) {
	s := startServer(t)
	reco := make(chan struct{}, 4)
	nc, err := Connect(s.URL, MaxReconnects(-1), ReconnectWait(50*time.Millisecond),
		ReconnectJitter(10*time.Millisecond, 10*time.Millisecond), ReconnectBufSize(1<<20),
		ReconnectHandler(func(*Conn) { reco <- struct{}{} }))
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if n, err := nc.Buffered(); err != nil || n != 0 {
		t.Fatalf("Buffered after Flush: %d %v", n, err)
	}

	// MaxPending: the high-water marks of the subscription's queue.
	sub, err := nc.SubscribeSync("maxp.foo")
	if err != nil {
		t.Fatal(err)
	}
	const n, size = 10, 100
	payload := make([]byte, size)
	for i := 0; i < n; i++ {
		nc.Publish("maxp.foo", payload)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, func() bool { m, _, _ := sub.Pending(); return m == n })
	msgs, bytes, err := sub.MaxPending()
	if err != nil || msgs != n || bytes < n*size {
		t.Fatalf("MaxPending %d %d %v, want %d and >= %d bytes", msgs, bytes, err, n, n*size)
	}
	for i := 0; i < n; i++ {
		if _, err := sub.NextMsg(5 * time.Second); err != nil {
			t.Fatal(err)
		}
	}
	// Taking the messages does not lower the marks; ClearMaxPending does.
	if msgs2, bytes2, _ := sub.MaxPending(); msgs2 != msgs || bytes2 != bytes {
		t.Fatalf("MaxPending changed by NextMsg: %d %d", msgs2, bytes2)
	}
	if err := sub.ClearMaxPending(); err != nil {
		t.Fatal(err)
	}
	if msgs, bytes, err := sub.MaxPending(); err != nil || msgs != 0 || bytes != 0 {
		t.Fatalf("MaxPending after ClearMaxPending: %d %d %v", msgs, bytes, err)
	}
	nc.Publish("maxp.foo", payload)
	nc.Flush()
	waitFor(t, 5*time.Second, func() bool { m, _, _ := sub.MaxPending(); return m == 1 })

	// Buffered: what is kept for the next server while reconnecting.
	s.Stop()
	waitFor(t, 5*time.Second, nc.IsReconnecting)
	for i := 0; i < n; i++ {
		if err := nc.Publish("maxp.foo", payload); err != nil {
			t.Fatal(err)
		}
	}
	if b, err := nc.Buffered(); err != nil || b < n*size {
		t.Fatalf("Buffered while reconnecting: %d %v, want >= %d", b, err, n*size)
	}
	s.Restart(t)
	select {
	case <-reco:
	case <-time.After(10 * time.Second):
		t.Fatal("no reconnect")
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if b, err := nc.Buffered(); err != nil || b != 0 {
		t.Fatalf("Buffered after reconnect and Flush: %d %v", b, err)
	}

	// Unsubscribed / closed: nats.go's errors.
	sub.Unsubscribe()
	if _, _, err := sub.MaxPending(); err != ErrBadSubscription {
		t.Fatalf("MaxPending after Unsubscribe: %v", err)
	}
	if err := sub.ClearMaxPending(); err != ErrBadSubscription {
		t.Fatalf("ClearMaxPending after Unsubscribe: %v", err)
	}
	var nilSub *Subscription
	if _, _, err := nilSub.MaxPending(); err != ErrBadSubscription {
		t.Fatalf("MaxPending on nil: %v", err)
	}
	nc.Close()
	if b, err := nc.Buffered(); b != -1 || err != ErrConnectionClosed {
		t.Fatalf("Buffered after Close: %d %v", b, err)
	}
}
