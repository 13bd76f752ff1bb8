package nats

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestConnectAndStatus(t *testing.T) {
	connected := make(chan struct{})
	nc := connect(t, Name("go-test"), ConnectHandler(func(*Conn) { close(connected) }))
	select {
	case <-connected:
	case <-time.After(2 * time.Second):
		t.Fatal("ConnectHandler not called")
	}
	if !nc.IsConnected() || nc.Status() != CONNECTED || nc.IsClosed() || nc.IsReconnecting() {
		t.Fatalf("status %v", nc.Status())
	}
	if nc.MaxPayload() <= 0 {
		t.Fatalf("max payload %d", nc.MaxPayload())
	}
	if nc.ConnectedUrl() == "" || nc.ConnectedServerId() == "" {
		t.Fatalf("url %q id %q", nc.ConnectedUrl(), nc.ConnectedServerId())
	}
	if len(nc.Servers()) == 0 {
		t.Fatal("no servers")
	}
	if nc.DiscoveredServers() == nil {
		// an empty list is fine; nil too
	}
	if rtt, err := nc.RTT(); err != nil || rtt <= 0 {
		t.Fatalf("rtt %v %v", rtt, err)
	}
	if !nc.HeadersSupported() {
		t.Fatal("headers")
	}
	if nc.LastError() != nil {
		t.Fatalf("last error %v", nc.LastError())
	}
	nc.Close()
	nc.Close() // idempotent
	if !nc.IsClosed() || nc.Status() != CLOSED {
		t.Fatalf("status after close %v", nc.Status())
	}
	if err := nc.Publish("foo", nil); err != ErrConnectionClosed {
		t.Fatalf("publish after close: %v", err)
	}
	if _, err := nc.SubscribeSync("foo"); !errors.Is(err, ErrConnectionClosed) {
		t.Fatalf("subscribe after close: %v", err)
	}
	if err := nc.Flush(); err != ErrConnectionClosed {
		t.Fatalf("flush after close: %v", err)
	}
}

func TestConnectNoServers(t *testing.T) {
	_, err := Connect(fmt.Sprintf("nats://127.0.0.1:%d", freePort()), Timeout(500*time.Millisecond))
	if !errors.Is(err, ErrNoServers) {
		t.Fatalf("expected ErrNoServers, got %v", err)
	}
}

func TestPublishSubscribe(t *testing.T) {
	nc := connect(t)
	got := make(chan *Msg, 10)
	sub, err := nc.Subscribe("ps.foo", func(m *Msg) { got <- m })
	if err != nil {
		t.Fatal(err)
	}
	if sub.Type() != AsyncSubscription || !sub.IsValid() || sub.Subject != "ps.foo" {
		t.Fatal("sub state")
	}
	if err := nc.Publish("ps.foo", []byte("Hello World")); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if string(m.Data) != "Hello World" || m.Subject != "ps.foo" || m.Sub != sub {
			t.Fatalf("msg %+v", m)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no message")
	}
	if err := nc.Publish("bad subject", nil); err != ErrBadSubject {
		t.Fatalf("bad subject: %v", err)
	}
	if _, err := nc.Subscribe("", func(*Msg) {}); err != ErrBadSubject {
		t.Fatalf("bad sub subject: %v", err)
	}
	if err := sub.Unsubscribe(); err != nil {
		t.Fatal(err)
	}
	if sub.IsValid() {
		t.Fatal("valid after unsubscribe")
	}
	if err := sub.Unsubscribe(); err != ErrBadSubscription {
		t.Fatalf("second unsubscribe: %v", err)
	}
	if _, err := sub.Dropped(); err != ErrBadSubscription {
		t.Fatalf("dropped after unsubscribe: %v", err)
	}
	st := nc.Stats()
	if st.OutMsgs < 1 || st.InMsgs < 1 || st.OutBytes < 11 {
		t.Fatalf("stats %+v", st)
	}
}

func TestPublishMsgHeadersAndRespond(t *testing.T) {
	nc := connect(t)
	sub, err := nc.Subscribe("hdr.req", func(m *Msg) {
		r := NewMsg("")
		r.Header.Set("Echo", m.Header.Get("X-Key"))
		r.Header["Multi"] = m.Header.Values("Multi")
		r.Data = append([]byte("re:"), m.Data...)
		if err := m.RespondMsg(r); err != nil {
			t.Error(err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	req := NewMsg("hdr.req")
	req.Header.Set("X-Key", "v1")
	req.Header.Add("Multi", "a")
	req.Header.Add("Multi", "b")
	req.Data = []byte("q")
	resp, err := nc.RequestMsg(req, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Header.Get("Echo") != "v1" || strings.Join(resp.Header.Values("Multi"), ",") != "a,b" || string(resp.Data) != "re:q" {
		t.Fatalf("resp %+v", resp)
	}
	if resp.Sub != nil {
		t.Fatal("a reply is no message of a user's subscription")
	}
	// With headers and nobody listening: ErrNoResponders, as without.
	nr := NewMsg("hdr.nobody")
	nr.Header.Set("X-Key", "v")
	if _, err := nc.RequestMsg(nr, 2*time.Second); err != ErrNoResponders {
		t.Fatalf("no responders: %v", err)
	}
	h := Header{}
	h.Add("k", "1")
	h.Set("k", "2")
	h.Add("k", "3")
	if h.Get("k") != "2" || len(h.Values("k")) != 2 || h.Get("K") != "" {
		t.Fatal("header case-sensitive semantics")
	}
	h.Del("k")
	if h.Get("k") != "" {
		t.Fatal("del")
	}
	// PublishMsg with headers reaches a sync subscriber.
	ss, _ := nc.SubscribeSync("hdr.sync")
	m := NewMsg("hdr.sync")
	m.Header.Set("A", "b")
	m.Data = []byte("x")
	if err := nc.PublishMsg(m); err != nil {
		t.Fatal(err)
	}
	got, err := ss.NextMsg(2 * time.Second)
	if err != nil || got.Header.Get("A") != "b" || string(got.Data) != "x" {
		t.Fatalf("got %+v %v", got, err)
	}
	if (&Msg{Reply: "x"}).Respond(nil) != ErrMsgNotBound {
		t.Fatal("not bound")
	}
	if (&Msg{Sub: ss}).Respond(nil) != ErrMsgNoReply {
		t.Fatal("no reply")
	}
}

func TestSyncSubscription(t *testing.T) {
	nc := connect(t)
	sub, err := nc.SubscribeSync("sync.foo")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sub.NextMsg(50 * time.Millisecond); err != ErrTimeout {
		t.Fatalf("expected timeout, got %v", err)
	}
	for i := 0; i < 200; i++ {
		nc.Publish("sync.foo", []byte(fmt.Sprint(i)))
	}
	nc.Flush()
	waitFor(t, 2*time.Second, func() bool { n, _, _ := sub.Pending(); return n == 200 })
	for i := 0; i < 200; i++ {
		m, err := sub.NextMsg(time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if string(m.Data) != fmt.Sprint(i) {
			t.Fatalf("order: got %s want %d", m.Data, i)
		}
	}
	if n, _, _ := sub.Pending(); n != 0 {
		t.Fatalf("pending %d", n)
	}
	if d, _ := sub.Delivered(); d != 200 {
		t.Fatalf("delivered %d", d)
	}
	// Async subscriptions are not sync.
	as, _ := nc.Subscribe("sync.async", func(*Msg) {})
	if _, err := as.NextMsg(time.Millisecond); err != ErrSyncSubRequired {
		t.Fatalf("NextMsg on async: %v", err)
	}
	sub.Unsubscribe()
	if _, err := sub.NextMsg(time.Millisecond); err != ErrBadSubscription {
		t.Fatalf("NextMsg after unsubscribe: %v", err)
	}
	// Close wakes a sync subscriber with ErrConnectionClosed.
	s2, _ := nc.SubscribeSync("sync.bar")
	go func() { time.Sleep(50 * time.Millisecond); nc.Close() }()
	if _, err := s2.NextMsg(5 * time.Second); err != ErrConnectionClosed {
		t.Fatalf("NextMsg on close: %v", err)
	}
}

func TestChanSubscribe(t *testing.T) {
	nc := connect(t)
	ch := make(chan *Msg, 1024) // room for all: a full channel drops (TestChanSubscribeFullDrops)
	sub, err := nc.ChanSubscribe("chan.foo", ch)
	if err != nil {
		t.Fatal(err)
	}
	if sub.Type() != ChanSubscription {
		t.Fatal("type")
	}
	for i := 0; i < 1000; i++ {
		nc.Publish("chan.foo", []byte(fmt.Sprint(i)))
	}
	for i := 0; i < 1000; i++ {
		select {
		case m := <-ch:
			if string(m.Data) != fmt.Sprint(i) {
				t.Fatalf("order: %s vs %d", m.Data, i)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("missing message %d", i)
		}
	}
	if err := sub.Unsubscribe(); err != nil {
		t.Fatal(err)
	}
	nc.Publish("chan.foo", []byte("late"))
	nc.Flush()
	select {
	case m := <-ch:
		t.Fatalf("message after unsubscribe: %s", m.Data)
	case <-time.After(100 * time.Millisecond):
	}
	// Queue variant.
	qch := make(chan *Msg, 8)
	qs, err := nc.ChanQueueSubscribe("chan.q", "workers", qch)
	if err != nil || qs.Queue != "workers" {
		t.Fatal(err)
	}
	nc.Publish("chan.q", []byte("x"))
	select {
	case <-qch:
	case <-time.After(2 * time.Second):
		t.Fatal("queue chan")
	}
}

func TestQueueGroups(t *testing.T) {
	nc := connect(t)
	var a, b atomic.Int32
	s1, _ := nc.QueueSubscribe("q.foo", "job_workers", func(*Msg) { a.Add(1) })
	s2, _ := nc.QueueSubscribe("q.foo", "job_workers", func(*Msg) { b.Add(1) })
	s3, _ := nc.QueueSubscribeSync("q.foo", "other")
	nc.Flush()
	for i := 0; i < 100; i++ {
		nc.Publish("q.foo", nil)
	}
	nc.Flush()
	waitFor(t, 2*time.Second, func() bool { return a.Load()+b.Load() == 100 })
	for i := 0; i < 100; i++ {
		if _, err := s3.NextMsg(time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := nc.QueueSubscribe("q.foo", "bad queue", func(*Msg) {}); err != ErrBadQueueName {
		t.Fatalf("bad queue: %v", err)
	}
	s1.Unsubscribe()
	s2.Unsubscribe()
}

func TestWildcards(t *testing.T) {
	nc := connect(t)
	var mu sync.Mutex
	got := map[string][]string{}
	rec := func(name string) MsgHandler {
		return func(m *Msg) { mu.Lock(); got[name] = append(got[name], m.Subject); mu.Unlock() }
	}
	nc.Subscribe("foo.*.baz", rec("a"))
	nc.Subscribe("foo.bar.*", rec("b"))
	nc.Subscribe("foo.>", rec("c"))
	nc.Flush()
	nc.Publish("foo.bar.baz", []byte("Hello World"))
	nc.Publish("foo.x", nil)
	waitFor(t, 2*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got["a"]) == 1 && len(got["b"]) == 1 && len(got["c"]) == 2
	})
}

func TestRequestReply(t *testing.T) {
	nc := connect(t)
	nc.Subscribe("help", func(m *Msg) { nc.Publish(m.Reply, []byte("I can help!")) })
	nc.Subscribe("request", func(m *Msg) { m.Respond([]byte("answer is 42")) })
	nc.Flush()
	msg, err := nc.Request("help", []byte("help me"), time.Second)
	if err != nil || string(msg.Data) != "I can help!" {
		t.Fatalf("%v %v", msg, err)
	}
	msg, err = nc.Request("request", nil, time.Second)
	if err != nil || string(msg.Data) != "answer is 42" {
		t.Fatalf("%v %v", msg, err)
	}
	if _, err := nc.Request("nobody.home", nil, time.Second); err != ErrNoResponders {
		t.Fatalf("expected ErrNoResponders, got %v", err)
	}
	nc.Subscribe("slow", func(m *Msg) {})
	nc.Flush()
	if _, err := nc.Request("slow", nil, 50*time.Millisecond); err != ErrTimeout {
		t.Fatalf("expected ErrTimeout, got %v", err)
	}
	// PublishRequest + NewInbox
	inbox := nc.NewInbox()
	if !strings.HasPrefix(inbox, "_INBOX.") || nc.NewRespInbox() == inbox {
		t.Fatalf("inbox %q", inbox)
	}
	rs, _ := nc.SubscribeSync(inbox)
	if err := nc.PublishRequest("help", inbox, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if m, err := rs.NextMsg(time.Second); err != nil || string(m.Data) != "I can help!" {
		t.Fatalf("%v %v", m, err)
	}
}

func TestOldRequestStyle(t *testing.T) {
	nc := connect(t, UseOldRequestStyle())
	nc.Subscribe("old.help", func(m *Msg) { m.Respond([]byte("ok")) })
	nc.Flush()
	m, err := nc.Request("old.help", nil, time.Second)
	if err != nil || string(m.Data) != "ok" {
		t.Fatal(err)
	}
}

func TestFlushAndDrain(t *testing.T) {
	nc := connect(t)
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := nc.FlushTimeout(time.Second); err != nil {
		t.Fatal(err)
	}
	if err := nc.FlushTimeout(0); err != ErrBadTimeout {
		t.Fatal(err)
	}
	// Subscription drain delivers what is queued.
	var n atomic.Int32
	sub, _ := nc.Subscribe("drain.foo", func(*Msg) { n.Add(1) })
	for i := 0; i < 5000; i++ {
		nc.Publish("drain.foo", nil)
	}
	nc.Flush()
	if err := sub.Drain(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, func() bool { return !sub.IsValid() })
	if n.Load() != 5000 {
		t.Fatalf("drained %d of 5000", n.Load())
	}
	// The drain's wait in the library ends with it and the C handle is freed (the wait used to
	// sleep until the 30 s drain timeout, holding a thread).
	waitFor(t, 5*time.Second, func() bool {
		sub.h.mu.Lock()
		defer sub.h.mu.Unlock()
		return sub.h.ptr == nil
	})
	// Connection drain: handler sees every message, then closed handler runs.
	closed := make(chan struct{})
	var m, atClose atomic.Int32
	nc2 := connect(t, ClosedHandler(func(*Conn) { atClose.Store(m.Load()); close(closed) }))
	nc2.Subscribe("drain.bar", func(*Msg) { m.Add(1) })
	nc2.Flush()
	pub := connect(t)
	for i := 0; i < 5000; i++ {
		pub.Publish("drain.bar", nil)
	}
	pub.Flush()
	waitFor(t, 2*time.Second, func() bool { p, _ := nc2.NumSubscriptions(), 0; return p == 1 })
	time.Sleep(20 * time.Millisecond)
	if err := nc2.Drain(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("not closed after drain")
	}
	if m.Load() != 5000 || atClose.Load() != 5000 {
		t.Fatalf("drain delivered %d of 5000 (%d when the closed handler ran)", m.Load(), atClose.Load())
	}
	if !nc2.IsClosed() {
		t.Fatal("not closed")
	}
}

func TestAutoUnsubscribe(t *testing.T) {
	nc := connect(t)
	const MAX_WANTED = 10
	var n atomic.Int32
	sub, err := nc.Subscribe("auto.foo", func(*Msg) { n.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	sub.AutoUnsubscribe(MAX_WANTED)
	for i := 0; i < 20; i++ {
		nc.Publish("auto.foo", nil)
	}
	nc.Flush()
	waitFor(t, 2*time.Second, func() bool { return n.Load() == MAX_WANTED })
	time.Sleep(50 * time.Millisecond)
	if n.Load() != MAX_WANTED {
		t.Fatalf("got %d", n.Load())
	}
	waitFor(t, 2*time.Second, func() bool { return !sub.IsValid() })
	// sync variant
	ss, _ := nc.SubscribeSync("auto.bar")
	ss.AutoUnsubscribe(3)
	for i := 0; i < 5; i++ {
		nc.Publish("auto.bar", nil)
	}
	nc.Flush()
	for i := 0; i < 3; i++ {
		if _, err := ss.NextMsg(time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ss.NextMsg(100 * time.Millisecond); err != ErrMaxMessages && err != ErrBadSubscription {
		t.Fatalf("after max: %v", err)
	}
}

func TestPendingLimitsSlowConsumer(t *testing.T) {
	errs := make(chan error, 10)
	nc := connect(t, ErrorHandler(func(_ *Conn, s *Subscription, err error) {
		if s != nil && s.Subject == "slow.foo" {
			select {
			case errs <- err:
			default:
			}
		}
	}))
	block := make(chan struct{})
	sub, _ := nc.Subscribe("slow.foo", func(*Msg) { <-block })
	if err := sub.SetPendingLimits(10, 1024*1024); err != nil {
		t.Fatal(err)
	}
	if m, b, _ := sub.PendingLimits(); m != 10 || b != 1024*1024 {
		t.Fatal("limits")
	}
	if err := sub.SetPendingLimits(0, 1); err != ErrInvalidArg {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		nc.Publish("slow.foo", []byte("x"))
	}
	nc.Flush()
	select {
	case err := <-errs:
		if !errors.Is(err, ErrSlowConsumer) {
			t.Fatalf("err %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no slow consumer error")
	}
	waitFor(t, time.Second, func() bool { d, _ := sub.Dropped(); return d > 0 })
	if p, _, _ := sub.Pending(); p > 10 {
		t.Fatalf("pending %d", p)
	}
	close(block)
}

func TestCallbackPanicReported(t *testing.T) {
	errs := make(chan error, 1)
	nc := connect(t, ErrorHandler(func(_ *Conn, s *Subscription, err error) {
		select {
		case errs <- err:
		default:
		}
	}))
	var after atomic.Int32
	nc.Subscribe("panic.foo", func(m *Msg) {
		if string(m.Data) == "boom" {
			panic("boom")
		}
		after.Add(1)
	})
	nc.Publish("panic.foo", []byte("boom"))
	nc.Publish("panic.foo", []byte("ok"))
	select {
	case err := <-errs:
		if !errors.Is(err, ErrCallbackPanic) || !strings.Contains(err.Error(), "boom") {
			t.Fatalf("err %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("panic not reported")
	}
	waitFor(t, 2*time.Second, func() bool { return after.Load() == 1 })
}

func TestMaxPayload(t *testing.T) {
	nc := connect(t)
	big := bytes.Repeat([]byte("x"), int(nc.MaxPayload())+1)
	if err := nc.Publish("big", big); !errors.Is(err, ErrMaxPayload) {
		t.Fatalf("expected ErrMaxPayload, got %v", err)
	}
}

func TestUnsubscribeFromHandler(t *testing.T) {
	nc := connect(t)
	var n atomic.Int32
	var sub *Subscription
	ready := make(chan struct{})
	sub, _ = nc.Subscribe("unsub.self", func(m *Msg) {
		<-ready
		n.Add(1)
		m.Sub.Unsubscribe()
	})
	close(ready)
	for i := 0; i < 10; i++ {
		nc.Publish("unsub.self", nil)
	}
	nc.Flush()
	time.Sleep(100 * time.Millisecond)
	if n.Load() != 1 || sub.IsValid() {
		t.Fatalf("n=%d valid=%v", n.Load(), sub.IsValid())
	}
}

func TestNoHandlerCallsAfterCloseOrUnsubscribe(t *testing.T) {
	pub := connect(t)
	for _, viaClose := range []bool{false, true} {
		nc, err := Connect(defaultServer.URL)
		if err != nil {
			t.Fatal(err)
		}
		var n atomic.Int32
		var stopped atomic.Bool
		var late atomic.Int32
		sub, _ := nc.Subscribe("stop.foo", func(*Msg) {
			if stopped.Load() {
				late.Add(1)
			}
			n.Add(1)
			time.Sleep(10 * time.Microsecond)
		})
		nc.Flush()
		for i := 0; i < 20000; i++ {
			pub.Publish("stop.foo", nil)
		}
		pub.Flush()
		waitFor(t, 2*time.Second, func() bool { return n.Load() > 10 })
		if viaClose {
			nc.Close()
		} else {
			sub.Unsubscribe()
		}
		// A call that was already running may finish; none starts after the return.
		time.Sleep(5 * time.Millisecond)
		stopped.Store(true)
		time.Sleep(50 * time.Millisecond)
		if late.Load() != 0 {
			t.Fatalf("close=%v: %d handler calls after the return", viaClose, late.Load())
		}
		nc.Close()
	}
}

func TestServerInfoAccessors(t *testing.T) {
	closedCalls := make(chan struct{}, 1)
	nc := connect(t, NoCallbacksAfterClientClose(), ClosedHandler(func(*Conn) { closedCalls <- struct{}{} }))
	if id, err := nc.GetClientID(); err != nil || id == 0 {
		t.Fatalf("client id %d %v", id, err)
	}
	if ip, err := nc.GetClientIP(); err != nil || !ip.IsLoopback() {
		t.Fatalf("client ip %v %v", ip, err)
	}
	if nc.ConnectedAddr() == "" || nc.AuthRequired() || nc.TLSRequired() || nc.ConnectedServerVersion() == "" {
		t.Fatalf("addr %q auth %v tls %v version %q", nc.ConnectedAddr(), nc.AuthRequired(), nc.TLSRequired(), nc.ConnectedServerVersion())
	}
	if js, _ := nc.ConnectedServerJetStream(); !js && defaultServer.cmd != nil {
		t.Fatal("jetstream not reported")
	}
	nc.Close()
	select {
	case <-closedCalls:
		t.Fatal("closed handler ran despite NoCallbacksAfterClientClose")
	case <-time.After(50 * time.Millisecond):
	}
	if _, err := nc.GetClientID(); err != ErrConnectionClosed {
		t.Fatal(err)
	}
}
