package nats

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libnatsrs/natsrs/bindings/go/encoders/builtin"
)

// Behaviours of nats.go 1.55 checked against the binding (EncodedConn, headers, contexts,
// connection events).

func TestEncodedConnBuiltinTypesAndHandlerPanic(t *testing.T) {
	nc := connect(t)
	ec, err := NewEncodedConn(nc, JSON_ENCODER)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ec.Enc.(*builtin.JsonEncoder); !ok {
		t.Fatalf("Enc is %T, want *builtin.JsonEncoder", ec.Enc)
	}
	if _, ok := EncoderForType(GOB_ENCODER).(*builtin.GobEncoder); !ok {
		t.Fatal("gob encoder type")
	}
	if _, ok := EncoderForType(DEFAULT_ENCODER).(*builtin.DefaultEncoder); !ok {
		t.Fatal("default encoder type")
	}
	defer func() {
		if r := recover(); fmt.Sprint(r) != "nats: Handler needs to be a func" {
			t.Fatalf("recover()=%v", r)
		}
	}()
	ec.Subscribe("enc.nofunc", 42)
	t.Fatal("no panic for a non-func handler")
}

func TestEncodedRecvChanDecodeErrorIsLastError(t *testing.T) {
	errs := make(chan error, 4)
	nc := connect(t, ErrorHandler(func(_ *Conn, _ *Subscription, e error) { errs <- e }))
	ec, _ := NewEncodedConn(nc, JSON_ENCODER)
	ch := make(chan *struct{ A int }, 1)
	if _, err := ec.BindRecvChan("enc.bad", ch); err != nil {
		t.Fatal(err)
	}
	nc.Publish("enc.bad", []byte("}{"))
	nc.Flush()
	select {
	case e := <-errs:
		if !strings.HasPrefix(e.Error(), "nats: Got an error trying to unmarshal: ") {
			t.Fatalf("async error %v", e)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no async error")
	}
	if le := nc.LastError(); le == nil || !strings.HasPrefix(le.Error(), "nats: Got an error trying to unmarshal: ") {
		t.Fatalf("LastError=%v", le)
	}
}

func TestHeaderKeysAndValuesAsNatsGo(t *testing.T) {
	nc := connect(t)
	for _, k := range []string{"", "a b", "a:b", "Ключ"} {
		err := nc.PublishMsg(&Msg{Subject: "hdr.bad", Header: Header{k: {"v"}}})
		if err != ErrBadHeaderMsg {
			t.Fatalf("key %q: err=%v, want ErrBadHeaderMsg", k, err)
		}
		if _, err := nc.RequestMsg(&Msg{Subject: "hdr.bad", Header: Header{k: {"v"}}}, time.Second); err != ErrBadHeaderMsg {
			t.Fatalf("RequestMsg key %q: err=%v", k, err)
		}
	}
	sub, _ := nc.SubscribeSync("hdr.ok")
	if err := nc.PublishMsg(&Msg{Subject: "hdr.ok", Header: Header{"A": {" x\r\ny "}}}); err != nil {
		t.Fatal(err)
	}
	m, err := sub.NextMsg(2 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Header.Get("A"); got != "x  y" {
		t.Fatalf("value %q, want %q", got, "x  y")
	}
}

func TestRequestZeroTimeoutSendsAndTimesOut(t *testing.T) {
	nc := connect(t)
	sub, _ := nc.SubscribeSync("req.zero")
	nc.Flush()
	if _, err := nc.Request("req.zero", []byte("x"), 0); err != ErrTimeout {
		t.Fatalf("err=%v, want ErrTimeout", err)
	}
	if _, err := nc.Request("", nil, -1); err != ErrBadSubject {
		t.Fatalf("err=%v, want ErrBadSubject", err)
	}
	if m, err := sub.NextMsg(2 * time.Second); err != nil || string(m.Data) != "x" || m.Reply == "" {
		t.Fatalf("request not sent: %v %v", m, err)
	}
	if ri := nc.NewRespInbox(); !regexp.MustCompile(`^_INBOX\.[A-Za-z0-9]{22}\.[A-Za-z0-9]{8}$`).MatchString(ri) {
		t.Fatalf("NewRespInbox %q", ri)
	}
}

func TestJetStreamSubscribeContext(t *testing.T) {
	nc := connect(t)
	js, err := nc.JetStream()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.AddStream(&StreamConfig{Name: "MORECTX", Subjects: []string{"morectx.>"}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { js.DeleteStream("MORECTX") })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := js.PullSubscribe("morectx.a", "D1", Context(ctx)); err != context.Canceled {
		t.Fatalf("cancelled ctx: err=%v", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	sub, err := js.SubscribeSync("morectx.b", Context(ctx))
	if err != nil || !sub.IsValid() {
		t.Fatalf("subscribe: %v", err)
	}
	cancel()
	waitFor(t, 2*time.Second, func() bool { return !sub.IsValid() })
}

func TestConnectErrorsAsNatsGo(t *testing.T) {
	_, err := Connect(fmt.Sprintf("nats://127.0.0.1:%d", freePort()))
	if err != ErrNoServers {
		t.Fatalf("err=%v, want ErrNoServers itself", err)
	}
	_, err = Connect("nats://127.0.0.1:notaport")
	if err == nil || err.Error() != `parse "nats://127.0.0.1:notaport": invalid port ":notaport" after host` {
		t.Fatalf("err=%v", err)
	}
	s := startServer(t, "--user", "u", "--pass", "p")
	_, err = Connect(s.URL, UserInfo("u", "bad"))
	if err == nil || err.Error() != "nats: Authorization Violation" || !errors.Is(err, ErrAuthorization) {
		t.Fatalf("err=%v", err)
	}
}

type evLog struct {
	mu sync.Mutex
	ev []string
}

func (l *evLog) add(f string, a ...any) {
	l.mu.Lock()
	l.ev = append(l.ev, fmt.Sprintf(f, a...))
	l.mu.Unlock()
}

func (l *evLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.ev
	l.ev = nil
	return e
}

func TestDisconnectEventsAsNatsGo(t *testing.T) {
	s := startServer(t)
	var l evLog
	opts := []Option{
		ReconnectWait(50 * time.Millisecond), MaxReconnects(-1),
		DisconnectErrHandler(func(_ *Conn, err error) {
			if err == io.EOF {
				l.add("disc EOF")
			} else {
				l.add("disc %v", err)
			}
		}),
		DisconnectHandler(func(*Conn) { l.add("disc-old") }), // not run: the Err one is set
		ReconnectHandler(func(*Conn) { l.add("reconnect") }),
		ClosedHandler(func(*Conn) { l.add("closed") }),
	}
	nc, err := Connect(s.URL, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	s.Stop()
	waitFor(t, 3*time.Second, nc.IsReconnecting)
	time.Sleep(100 * time.Millisecond)
	if le := nc.LastError(); le != nil {
		t.Fatalf("LastError while reconnecting=%v", le)
	}
	if _, err := nc.RTT(); err != ErrDisconnected {
		t.Fatalf("RTT err=%v", err)
	}
	back := make(chan *testServer, 1)
	go func() {
		time.Sleep(200 * time.Millisecond)
		ns, _ := runServer(s.Port)
		back <- ns
	}()
	if err := nc.FlushTimeout(5 * time.Second); err != nil {
		t.Fatalf("flush while reconnecting: %v", err)
	}
	if ns := <-back; ns != nil {
		t.Cleanup(ns.Stop)
	}
	if le := nc.LastError(); le != nil {
		t.Fatalf("LastError after reconnect=%v", le)
	}
	time.Sleep(100 * time.Millisecond)
	nc.Close()
	waitFor(t, 2*time.Second, func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		return len(l.ev) >= 4
	})
	time.Sleep(50 * time.Millisecond)
	got := strings.Join(l.take(), ",")
	if got != "disc EOF,reconnect,disc <nil>,closed" {
		t.Fatalf("events %s", got)
	}
}

func TestFlushTimesOutWhileReconnecting(t *testing.T) {
	s := startServer(t)
	nc, err := Connect(s.URL, ReconnectWait(50*time.Millisecond), MaxReconnects(-1))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	s.Stop()
	waitFor(t, 3*time.Second, nc.IsReconnecting)
	if err := nc.FlushTimeout(100 * time.Millisecond); err != ErrTimeout {
		t.Fatalf("err=%v, want ErrTimeout", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := nc.FlushWithContext(ctx); err != context.DeadlineExceeded {
		t.Fatalf("err=%v, want context.DeadlineExceeded", err)
	}
}
