package nats

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

func skipWithoutInlineReads(t *testing.T) {
	t.Helper()
	if !inlineReadEnabled {
		t.Skip("NATSRS_GO_INLINE_READ=0")
	}
}

func waitAttached(t *testing.T, nc *Conn) *sockReader {
	t.Helper()
	r := sockReaderOf(nc)
	if r == nil {
		t.Fatal("no socket reader")
	}
	waitFor(t, 10*time.Second, r.attached)
	return r
}

func waitDone(t *testing.T, r *sockReader) {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the socket reader did not end")
	}
}

// checkTraffic runs requests (a handler subscription answers), a channel subscription and a
// sync subscription over nc.
func checkTraffic(t *testing.T, nc *Conn, prefix string) {
	t.Helper()
	rsub, err := nc.Subscribe(prefix+".req", func(m *Msg) { _ = m.Respond(append([]byte("re:"), m.Data...)) })
	if err != nil {
		t.Fatal(err)
	}
	defer rsub.Unsubscribe()
	ch := make(chan *Msg, 64)
	csub, err := nc.ChanSubscribe(prefix+".chan", ch)
	if err != nil {
		t.Fatal(err)
	}
	defer csub.Unsubscribe()
	ssub, err := nc.SubscribeSync(prefix + ".sync")
	if err != nil {
		t.Fatal(err)
	}
	defer ssub.Unsubscribe()
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		want := fmt.Sprint(i)
		m, err := nc.Request(prefix+".req", []byte(want), 5*time.Second)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if string(m.Data) != "re:"+want {
			t.Fatalf("reply %q, want %q", m.Data, "re:"+want)
		}
	}
	for i := 0; i < 50; i++ {
		nc.Publish(prefix+".chan", []byte(fmt.Sprint(i)))
		nc.Publish(prefix+".sync", []byte(fmt.Sprint(i)))
	}
	for i := 0; i < 50; i++ {
		select {
		case m := <-ch:
			if string(m.Data) != fmt.Sprint(i) {
				t.Fatalf("chan message %q, want %d", m.Data, i)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("chan message %d missing", i)
		}
		m, err := ssub.NextMsg(5 * time.Second)
		if err != nil || string(m.Data) != fmt.Sprint(i) {
			t.Fatalf("sync message %d: %v %v", i, m, err)
		}
	}
}

func TestInlineReadTraffic(t *testing.T) {
	skipWithoutInlineReads(t)
	nc := connect(t)
	r := waitAttached(t, nc)
	reads0, bytes0 := r.reads.Load(), r.bytes.Load()
	checkTraffic(t, nc, "inl.traffic")
	if r.reads.Load() == reads0 || r.bytes.Load() == bytes0 {
		t.Fatalf("the reader read nothing (reads %d, bytes %d)", r.reads.Load(), r.bytes.Load())
	}
	if !r.attached() {
		t.Fatal("detached while connected")
	}
}

func TestInlineReadReattachAfterRestart(t *testing.T) {
	skipWithoutInlineReads(t)
	s := startServer(t)
	reconnected := make(chan struct{}, 4)
	nc, err := Connect(s.URL, ReconnectWait(50*time.Millisecond), MaxReconnects(-1),
		ReconnectHandler(func(*Conn) { reconnected <- struct{}{} }))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	r := waitAttached(t, nc)
	if n := r.attaches.Load(); n != 1 {
		t.Fatalf("attaches %d, want 1", n)
	}
	checkTraffic(t, nc, "inl.before")
	s.Restart(t)
	select {
	case <-reconnected:
	case <-time.After(15 * time.Second):
		t.Fatal("no reconnect")
	}
	waitFor(t, 10*time.Second, func() bool { return r.attaches.Load() >= 2 && r.attached() })
	reads0 := r.reads.Load()
	checkTraffic(t, nc, "inl.after")
	if r.reads.Load() == reads0 {
		t.Fatal("the reader read nothing after the reconnect")
	}
}

func TestInlineReadCloseEndsReader(t *testing.T) {
	skipWithoutInlineReads(t)
	runtime.GC()
	g0, fds0 := runtime.NumGoroutine(), openFDs()
	for i := 0; i < 20; i++ {
		nc, err := Connect(defaultServer.URL)
		if err != nil {
			t.Fatal(err)
		}
		r := waitAttached(t, nc)
		if _, err := nc.Request("inl.close.none", nil, 50*time.Millisecond); err == nil {
			t.Fatal("a request without responders got a reply")
		}
		nc.Close()
		waitDone(t, r)
		if r.attached() {
			t.Fatal("still attached after Close")
		}
	}
	settle(t, "goroutines", 10*time.Second, func() bool { return runtime.NumGoroutine() <= g0+2 })
	settle(t, "fds", 10*time.Second, func() bool { return openFDs() <= fds0+2 })
}

func TestInlineReadAbandonedConn(t *testing.T) {
	skipWithoutInlineReads(t)
	r := func() *sockReader {
		nc, err := Connect(defaultServer.URL)
		if err != nil {
			t.Fatal(err)
		}
		return waitAttached(t, nc)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC()
		select {
		case <-r.done:
			return
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("the reader of a collected Conn did not end")
		}
	}
}

func TestInlineReadDisabled(t *testing.T) {
	old := inlineReadEnabled
	inlineReadEnabled = false
	defer func() { inlineReadEnabled = old }()
	nc := connect(t)
	if sockReaderOf(nc) != nil {
		t.Fatal("a socket reader although disabled")
	}
	checkTraffic(t, nc, "inl.off")
}

func TestInlineReadTLSNotAttached(t *testing.T) {
	skipWithoutInlineReads(t)
	dir := testPKI(t)
	s := startServer(t, "-c", filepath.Join(dir, "tls.conf"))
	caPEM, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("bad CA PEM")
	}
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, "client-cert.pem"), filepath.Join(dir, "client-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	nc, err := Connect(fmt.Sprintf("tls://127.0.0.1:%d", s.Port), Secure(&tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}}))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	r := sockReaderOf(nc)
	if r == nil {
		t.Fatal("no socket reader")
	}
	waitDone(t, r) // gives up: a TLS socket is never attachable
	if r.attaches.Load() != 0 || r.reads.Load() != 0 {
		t.Fatalf("a TLS connection was attached (attaches %d, reads %d)", r.attaches.Load(), r.reads.Load())
	}
	checkTraffic(t, nc, "inl.tls")
}

func muxOf(t *testing.T, nc *Conn) *reqMux {
	t.Helper()
	r := sockReaderOf(nc)
	r.muxMu.Lock()
	defer r.muxMu.Unlock()
	if r.rmux == nil {
		t.Fatal("no request mux")
	}
	return r.rmux
}

func TestInlineRequestMux(t *testing.T) {
	skipWithoutInlineReads(t)
	if !muxRequestsEnabled {
		t.Skip("NATSRS_GO_INLINE_REQUEST=0")
	}
	nc := connect(t)
	waitAttached(t, nc)
	sub, err := nc.Subscribe("inl.mux", func(m *Msg) { _ = m.Respond(append([]byte("re:"), m.Data...)) })
	if err != nil {
		t.Fatal(err)
	}
	nc.Flush()
	if _, err := nc.Request("inl.mux", []byte("a"), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	m := muxOf(t, nc)
	sent0 := m.sent.Load()
	if sent0 == 0 {
		t.Fatal("the request did not go through the mux")
	}
	if n := nc.NumSubscriptions(); n != 1 {
		t.Fatalf("NumSubscriptions %d, want 1 (the mux is not the user's)", n)
	}
	// concurrent requests each get their own reply
	errs := make(chan error, 16)
	for g := 0; g < 16; g++ {
		go func(g int) {
			for i := 0; i < 50; i++ {
				want := fmt.Sprintf("%d-%d", g, i)
				r, err := nc.Request("inl.mux", []byte(want), 5*time.Second)
				if err == nil && string(r.Data) != "re:"+want {
					err = fmt.Errorf("reply %q for %q", r.Data, want)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}(g)
	}
	for g := 0; g < 16; g++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if m.sent.Load() < sent0+16*50 {
		t.Fatalf("mux requests %d, want >= %d", m.sent.Load(), sent0+16*50)
	}
	// a request with headers goes through the mux too
	sent1 := m.sent.Load()
	r, err := nc.RequestMsg(&Msg{Subject: "inl.mux", Data: []byte("h"), Header: Header{"X": []string{"1"}}}, 5*time.Second)
	if err != nil || string(r.Data) != "re:h" {
		t.Fatalf("RequestMsg: %v %v", r, err)
	}
	if m.sent.Load() != sent1+1 {
		t.Fatal("RequestMsg with headers did not go through the mux")
	}
	sub.Unsubscribe()
	nc.Flush()
	if _, err := nc.Request("inl.mux", nil, 5*time.Second); err != ErrNoResponders {
		t.Fatalf("no responders: %v", err)
	}
	// a responder that never answers: timeout, and the mux forgets the waiter
	quiet, _ := nc.SubscribeSync("inl.mux.quiet")
	defer quiet.Unsubscribe()
	nc.Flush()
	if _, err := nc.Request("inl.mux.quiet", nil, 50*time.Millisecond); err != ErrTimeout {
		t.Fatalf("timeout: %v", err)
	}
	m.mu.Lock()
	left := len(m.waiting)
	m.mu.Unlock()
	if left != 0 {
		t.Fatalf("%d waiters left", left)
	}
}

func TestInlineRequestMuxClose(t *testing.T) {
	skipWithoutInlineReads(t)
	if !muxRequestsEnabled {
		t.Skip("NATSRS_GO_INLINE_REQUEST=0")
	}
	runtime.GC()
	g0 := runtime.NumGoroutine()
	nc, err := Connect(defaultServer.URL)
	if err != nil {
		t.Fatal(err)
	}
	r := waitAttached(t, nc)
	quiet, _ := nc.SubscribeSync("inl.muxclose")
	nc.Flush()
	res := make(chan error, 1)
	go func() {
		_, err := nc.Request("inl.muxclose", nil, 30*time.Second)
		res <- err
	}()
	waitFor(t, 10*time.Second, func() bool {
		r.muxMu.Lock()
		defer r.muxMu.Unlock()
		return r.rmux != nil && r.rmux.sent.Load() == 1
	})
	_ = quiet
	nc.Close()
	select {
	case err := <-res:
		if err != ErrConnectionClosed {
			t.Fatalf("request at Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the request did not end at Close")
	}
	waitDone(t, r)
	settle(t, "goroutines", 10*time.Second, func() bool { return runtime.NumGoroutine() <= g0+2 })
}

func TestInlineRequestMuxAbandonedConn(t *testing.T) {
	skipWithoutInlineReads(t)
	r := func() *sockReader {
		nc, err := Connect(defaultServer.URL)
		if err != nil {
			t.Fatal(err)
		}
		r := waitAttached(t, nc)
		_, _ = nc.Request("inl.muxgc.none", nil, 50*time.Millisecond)
		return r
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC()
		select {
		case <-r.done:
			return
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("a Conn that made requests was not collected")
		}
	}
}

func TestInlineRequestMuxDrain(t *testing.T) {
	skipWithoutInlineReads(t)
	if !muxRequestsEnabled {
		t.Skip("NATSRS_GO_INLINE_REQUEST=0")
	}
	nc, err := Connect(defaultServer.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	r := waitAttached(t, nc)
	if _, err := nc.Request("inl.muxdrain.none", nil, time.Second); err != ErrNoResponders {
		t.Fatalf("no responders: %v", err)
	}
	m := muxOf(t, nc)
	if err := nc.Drain(); err != nil {
		t.Fatal(err)
	}
	waitDone(t, r)
	select {
	case <-m.sub.pumpDone:
	case <-time.After(10 * time.Second):
		t.Fatal("the mux pump did not end after the drain")
	}
}

// TestInlineReadWakesByChannel: on an attached connection a handler subscription waits on its
// wake channel (no own eventfd in the netpoller), an inline read wakes it directly (the eventfd
// is not written, so the poller never marks it dirty), and replies to the request mux are handed
// to their waiters by the reader goroutine.
func TestInlineReadWakesByChannel(t *testing.T) {
	skipWithoutInlineReads(t)
	if !muxRequestsEnabled {
		t.Skip("NATSRS_GO_INLINE_REQUEST=0")
	}
	nc := connect(t)
	waitAttached(t, nc)
	got := make(chan string, 300)
	sub, err := nc.Subscribe("inl.wake", func(m *Msg) {
		got <- string(m.Data)
		_ = m.Respond(m.Data)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	nc.Flush()
	for i := 0; i < 200; i++ {
		want := fmt.Sprint(i)
		r, err := nc.Request("inl.wake", []byte(want), 5*time.Second)
		if err != nil || string(r.Data) != want {
			t.Fatalf("request %d: %v %v", i, r, err)
		}
		if g := <-got; g != want {
			t.Fatalf("handler got %q, want %q", g, want)
		}
	}
	sub.pumpMu.Lock()
	direct := sub.direct
	sub.pumpMu.Unlock()
	if direct != nil {
		t.Fatal("the handler waits on its own eventfd on an attached connection")
	}
	if _, ok := nc.core.wakers.Load(sub.h.sid); !ok || sub.h.core == nil {
		t.Fatal("the subscription's wake channel is not registered by sid")
	}
	if sub.h.dirty.Load() {
		t.Fatal("the eventfd was written: the inline reads did not report the subscription")
	}
	if m := muxOf(t, nc); m.inline.Load() == 0 {
		t.Fatal("no reply was handed over by the reader goroutine")
	}
	// after the subscription ends its channel is forgotten
	sid := sub.h.sid
	sub.Unsubscribe()
	waitFor(t, 5*time.Second, func() bool { _, ok := nc.core.wakers.Load(sid); return !ok })
}
