package nats

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"sync/atomic"
	"testing"
	"time"
)

// Tests of the nats.go accessors and subscription helpers added in conn_extra.go, barrier.go
// and sub_status.go, against real servers.

func sameFunc(a, b any) bool {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if va.IsNil() || vb.IsNil() {
		return va.IsNil() == vb.IsNil()
	}
	return va.Pointer() == vb.Pointer()
}

func TestConnHandlerGetters(t *testing.T) {
	closed := func(*Conn) {}
	recon := func(*Conn) {}
	disc := func(*Conn) {}
	discErr := func(*Conn, error) {}
	errH := func(*Conn, *Subscription, error) {}
	nc := connect(t, ClosedHandler(closed), ReconnectHandler(recon), DiscoveredServersHandler(disc),
		DisconnectErrHandler(discErr), ErrorHandler(errH))
	if !sameFunc(nc.ClosedHandler(), closed) || !sameFunc(nc.ReconnectHandler(), recon) ||
		!sameFunc(nc.DiscoveredServersHandler(), disc) || !sameFunc(nc.DisconnectErrHandler(), discErr) ||
		!sameFunc(nc.ErrorHandler(), errH) {
		t.Fatal("getters do not return the handlers given as options")
	}
	nc.SetClosedHandler(recon)
	nc.SetReconnectHandler(nil)
	nc.SetErrorHandler(nil)
	if !sameFunc(nc.ClosedHandler(), recon) || nc.ReconnectHandler() != nil || nc.ErrorHandler() != nil {
		t.Fatal("getters do not follow the Set* calls")
	}
	var nilConn *Conn
	if nilConn.ClosedHandler() != nil || nilConn.ErrorHandler() != nil || nilConn.DisconnectErrHandler() != nil {
		t.Fatal("nil Conn")
	}
}

func TestSetDisconnectHandler(t *testing.T) {
	s := startServer(t)
	nc, err := Connect(s.URL, ReconnectWait(20*time.Millisecond), MaxReconnects(-1))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	got := make(chan struct{}, 4)
	nc.SetDisconnectHandler(func(c *Conn) {
		if c == nc {
			got <- struct{}{}
		}
	})
	s.Stop()
	select {
	case <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("the disconnect handler did not run")
	}
}

func TestConnectedUrlRedacted(t *testing.T) {
	s := startServer(t, "--user", "derek", "--pass", "s3cr3t")
	nc, err := Connect(fmt.Sprintf("nats://derek:s3cr3t@127.0.0.1:%d", s.Port))
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("nats://derek:xxxxx@127.0.0.1:%d", s.Port)
	if got := nc.ConnectedUrlRedacted(); got != want {
		t.Fatalf("redacted %q, want %q", got, want)
	}
	if got, want := nc.ConnectedUrl(), fmt.Sprintf("nats://derek:s3cr3t@127.0.0.1:%d", s.Port); got != want {
		t.Fatalf("ConnectedUrl %q, want %q (nats.go keeps the credentials)", got, want)
	}
	nc.Close()
	if got := nc.ConnectedUrlRedacted(); got != "" {
		t.Fatalf("closed: %q", got)
	}
	plain := connect(t)
	if got := plain.ConnectedUrlRedacted(); got != plain.ConnectedUrl() || got == "" {
		t.Fatalf("no credentials: %q vs %q", got, plain.ConnectedUrl())
	}
}

func TestConnInfoAccountDomain(t *testing.T) {
	nc := connect(t)
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	// The account comes in an INFO after the first PONG (nats.go's doc says to Flush first).
	waitFor(t, 2*time.Second, func() bool { return nc.RemoteAccount() == "$G" })
	if nc.IsSystemAccount() {
		t.Fatal("$G is not the system account")
	}
	if nc.ConnectedDomain() != "" {
		t.Fatalf("domain %q", nc.ConnectedDomain())
	}
	if inlineReadEnabled {
		waitAttached(t, nc)
	}
	// (attached: read from the reader's socket; else from the library)
	host, port, err := net.SplitHostPort(nc.LocalAddr())
	if err != nil || host != "127.0.0.1" || port == "0" || port == fmt.Sprint(defaultServer.Port) {
		t.Fatalf("LocalAddr %q: %v", nc.LocalAddr(), err)
	}
	if _, err := nc.TLSConnectionState(); !errors.Is(err, ErrConnectionNotTLS) {
		t.Fatalf("plain connection: %v", err)
	}

	dir := t.TempDir()
	conf := filepath.Join(dir, "js.conf")
	body := fmt.Sprintf("jetstream { domain: hub, store_dir: %q }\n", filepath.Join(dir, "js"))
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, "-c", conf)
	dnc, err := Connect(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer dnc.Close()
	if got := dnc.ConnectedDomain(); got != "hub" {
		t.Fatalf("domain %q, want hub", got)
	}
	dnc.Close()
	if dnc.ConnectedDomain() != "" || dnc.RemoteAccount() != "" {
		t.Fatal("closed connection reports server info")
	}
	if _, err := dnc.TLSConnectionState(); !errors.Is(err, ErrDisconnected) {
		t.Fatalf("closed: %v", err)
	}
}

func TestTLSConnectionState(t *testing.T) {
	dir := testPKI(t)
	s := startServer(t, "-c", filepath.Join(dir, "tls.conf"))
	ca, cert, key := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "client-cert.pem"), filepath.Join(dir, "client-key.pem")
	nc, err := Connect(fmt.Sprintf("tls://127.0.0.1:%d", s.Port), RootCAs(ca), ClientCert(cert, key))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	st, err := nc.TLSConnectionState()
	if err != nil {
		t.Fatalf("TLS connection: %v", err)
	}
	if !st.HandshakeComplete || (st.Version != tls.VersionTLS13 && st.Version != tls.VersionTLS12) {
		t.Fatalf("state %+v", st)
	}
	if tls.CipherSuiteName(st.CipherSuite) == "" || st.ServerName != "127.0.0.1" {
		t.Fatalf("cipher suite %#x, server name %q", st.CipherSuite, st.ServerName)
	}
	// The server's leaf, signed by the test CA, for 127.0.0.1.
	if len(st.PeerCertificates) == 0 {
		t.Fatal("no peer certificates")
	}
	pool := x509.NewCertPool()
	pemCA, _ := os.ReadFile(ca)
	pool.AppendCertsFromPEM(pemCA)
	if _, err := st.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: pool, DNSName: "127.0.0.1"}); err != nil {
		t.Fatalf("leaf: %v", err)
	}
	// LocalAddr on a TLS connection: this side's address.
	host, port, err := net.SplitHostPort(nc.LocalAddr())
	if err != nil || host != "127.0.0.1" || port == "0" || port == fmt.Sprint(s.Port) {
		t.Fatalf("LocalAddr %q: %v", nc.LocalAddr(), err)
	}
	nc.Close()
	if _, err := nc.TLSConnectionState(); !errors.Is(err, ErrDisconnected) {
		t.Fatalf("closed: %v", err)
	}
	if nc.LocalAddr() != "" {
		t.Fatal("LocalAddr after close")
	}
}

func TestBarrier(t *testing.T) {
	nc := connect(t)
	// No handler subscription (a sync one does not count): f runs right away.
	ssub, _ := nc.SubscribeSync("barrier.sync")
	defer ssub.Unsubscribe()
	ran := false
	if err := nc.Barrier(func() { ran = true }); err != nil || !ran {
		t.Fatalf("no async subscription: ran %v err %v", ran, err)
	}

	const n = 200
	gate := make(chan struct{})
	var a, b atomic.Int64
	subA, _ := nc.Subscribe("barrier.a", func(*Msg) {
		if a.Add(1) == 1 {
			<-gate
		}
	})
	subB, _ := nc.Subscribe("barrier.b", func(*Msg) { b.Add(1); time.Sleep(100 * time.Microsecond) })
	defer subA.Unsubscribe()
	defer subB.Unsubscribe()
	for i := 0; i < n; i++ {
		nc.Publish("barrier.a", nil)
		nc.Publish("barrier.b", nil)
	}
	if err := nc.Flush(); err != nil { // every message is in the client now
		t.Fatal(err)
	}
	seen := make(chan [2]int64, 1)
	if err := nc.Barrier(func() { seen <- [2]int64{a.Load(), b.Load()} }); err != nil {
		t.Fatal(err)
	}
	select {
	case <-seen:
		t.Fatal("the barrier ran while a handler was blocked")
	case <-time.After(50 * time.Millisecond):
	}
	close(gate)
	select {
	case got := <-seen:
		if got[0] != n || got[1] != n {
			t.Fatalf("barrier ran after %v handled, want %d each", got, n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the barrier did not run")
	}

	// A subscription that ends releases the barrier.
	block := make(chan struct{})
	subC, _ := nc.Subscribe("barrier.c", func(*Msg) { <-block })
	nc.Publish("barrier.c", nil)
	nc.Publish("barrier.c", nil)
	nc.Flush()
	done := make(chan struct{})
	nc.Barrier(func() { close(done) })
	subC.Unsubscribe()
	close(block)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the barrier did not run after the subscription ended")
	}

	nc.Close()
	if err := nc.Barrier(func() {}); err != ErrConnectionClosed {
		t.Fatalf("closed: %v", err)
	}
}

func TestBarrierJetStream(t *testing.T) {
	nc, js := jsConn(t)
	name := jsStream(t, js)
	const n = 50
	gate := make(chan struct{})
	var count atomic.Int64
	sub, err := js.Subscribe(name+".x", func(m *Msg) {
		if count.Add(1) == 1 {
			<-gate
		}
	}, AckNone())
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	// The first message blocks the handler; the others wait in the subscription's queue.
	if _, err := js.Publish(name+".x", []byte("m")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, func() bool { return count.Load() == 1 })
	for i := 1; i < n; i++ {
		if _, err := js.Publish(name+".x", []byte("m")); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 5*time.Second, func() bool { p, _, _ := sub.Pending(); return p == n-1 })
	seen := make(chan int64, 1)
	if err := nc.Barrier(func() { seen <- count.Load() }); err != nil {
		t.Fatal(err)
	}
	select {
	case <-seen:
		t.Fatal("the barrier ran while a handler was blocked")
	case <-time.After(50 * time.Millisecond):
	}
	close(gate)
	select {
	case got := <-seen:
		if got != n {
			t.Fatalf("barrier ran after %d handled, want %d", got, n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the barrier did not run")
	}
}

func TestSubscriptionMsgsIterators(t *testing.T) {
	nc := connect(t)
	sub, _ := nc.SubscribeSync("iter.foo")
	for i := 0; i < 3; i++ {
		nc.Publish("iter.foo", []byte(fmt.Sprint(i)))
	}
	nc.Flush()
	i := 0
	for m, err := range sub.Msgs() {
		if err != nil || string(m.Data) != fmt.Sprint(i) {
			t.Fatalf("msg %d: %v %v", i, m, err)
		}
		if i++; i == 3 {
			break
		}
	}
	// MsgsTimeout: ErrTimeout is yielded and the iteration goes on.
	nc.Publish("iter.foo", []byte("3"))
	var got []string
	timeouts := 0
	for m, err := range sub.MsgsTimeout(30 * time.Millisecond) {
		if err == ErrTimeout {
			if timeouts++; timeouts == 2 {
				break
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(m.Data))
	}
	if len(got) != 1 || got[0] != "3" || timeouts != 2 {
		t.Fatalf("got %v timeouts %d", got, timeouts)
	}
	// Msgs ends with an error when the subscription ends while it waits.
	ended := make(chan error, 1)
	go func() {
		for _, err := range sub.Msgs() {
			if err != nil {
				ended <- err
				return
			}
		}
		ended <- nil
	}()
	time.Sleep(20 * time.Millisecond)
	sub.Unsubscribe()
	select {
	case err := <-ended:
		if err != ErrBadSubscription {
			t.Fatalf("after Unsubscribe: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Msgs did not end")
	}
	// Not a sync subscription: an error at the first iteration.
	async, _ := nc.Subscribe("iter.async", func(*Msg) {})
	for _, err := range async.Msgs() {
		if err != ErrSyncSubRequired {
			t.Fatalf("async: %v", err)
		}
	}
	for _, err := range async.MsgsTimeout(time.Millisecond) {
		if err != ErrSyncSubRequired {
			t.Fatalf("async timeout: %v", err)
		}
	}
	// Closed connection.
	s2, _ := nc.SubscribeSync("iter.closed")
	nc.Close()
	n := 0
	for _, err := range s2.Msgs() {
		n++
		if err != ErrConnectionClosed && err != ErrBadSubscription {
			t.Fatalf("closed: %v", err)
		}
	}
	if n != 1 {
		t.Fatalf("%d iterations after close", n)
	}
}

func recvStatus(t *testing.T, ch <-chan SubStatus, want SubStatus) {
	t.Helper()
	select {
	case st, ok := <-ch:
		if !ok || st != want {
			t.Fatalf("got %v (open %v), want %v", st, ok, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("no %v", want)
	}
}

func expectClosedChan(t *testing.T, ch <-chan SubStatus) {
	t.Helper()
	select {
	case st, ok := <-ch:
		if ok {
			t.Fatalf("unexpected %v", st)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("channel not closed")
	}
}

func TestSubscriptionStatusChanged(t *testing.T) {
	nc := connect(t)
	sub, _ := nc.Subscribe("status.a", func(*Msg) {})
	all := sub.StatusChanged()
	onlyClosed := sub.StatusChanged(SubscriptionClosed)
	recvStatus(t, all, SubscriptionActive)
	if err := sub.Drain(); err != nil {
		t.Fatal(err)
	}
	recvStatus(t, all, SubscriptionDraining)
	recvStatus(t, all, SubscriptionClosed)
	expectClosedChan(t, all)
	recvStatus(t, onlyClosed, SubscriptionClosed)
	expectClosedChan(t, onlyClosed)
	// Asked after the end: Closed, then the channel is closed.
	late := sub.StatusChanged()
	recvStatus(t, late, SubscriptionClosed)
	expectClosedChan(t, late)
	if SubscriptionSlowConsumer.String() != "SlowConsumer" || SubscriptionActive.String() != "Active" {
		t.Fatal("String")
	}

	// Unsubscribe of a sync subscription.
	ss, _ := nc.SubscribeSync("status.b")
	ch := ss.StatusChanged(SubscriptionClosed, SubscriptionDraining)
	ss.Unsubscribe()
	recvStatus(t, ch, SubscriptionClosed)
	expectClosedChan(t, ch)

	// Slow consumer on a handler subscription, then active again.
	block := make(chan struct{})
	slow, _ := nc.Subscribe("status.slow", func(*Msg) { <-block })
	slow.SetPendingLimits(5, -1)
	sc := slow.StatusChanged(SubscriptionSlowConsumer, SubscriptionActive)
	recvStatus(t, sc, SubscriptionActive)
	for i := 0; i < 50; i++ {
		nc.Publish("status.slow", nil)
	}
	nc.Flush()
	recvStatus(t, sc, SubscriptionSlowConsumer)
	close(block)
	nc.Publish("status.slow", nil)
	recvStatus(t, sc, SubscriptionActive)

	// Connection drain: draining, then closed.
	d, _ := nc.Subscribe("status.d", func(*Msg) {})
	dch := d.StatusChanged(SubscriptionDraining, SubscriptionClosed)
	nc.Drain()
	recvStatus(t, dch, SubscriptionDraining)
	recvStatus(t, dch, SubscriptionClosed)
	expectClosedChan(t, dch)
}

func TestSyncSubStatusSlowConsumer(t *testing.T) {
	nc := connect(t, ErrorHandler(func(*Conn, *Subscription, error) {}))
	sub, _ := nc.SubscribeSync("status.sync")
	sub.SetPendingLimits(5, -1)
	ch := sub.StatusChanged(SubscriptionSlowConsumer, SubscriptionActive)
	recvStatus(t, ch, SubscriptionActive)
	for i := 0; i < 50; i++ {
		nc.Publish("status.sync", nil)
	}
	nc.Flush()
	recvStatus(t, ch, SubscriptionSlowConsumer)
	var err error
	for i := 0; i < 10 && err == nil; i++ {
		_, err = sub.NextMsg(time.Second)
	}
	if err != ErrSlowConsumer {
		t.Fatalf("NextMsg: %v", err)
	}
	recvStatus(t, ch, SubscriptionActive)
}

func TestInitialConsumerPending(t *testing.T) {
	nc, js := jsConn(t)
	name := jsStream(t, js)
	for i := 0; i < 5; i++ {
		if _, err := js.Publish(name+".x", []byte("m")); err != nil {
			t.Fatal(err)
		}
	}
	sub, err := js.SubscribeSync(name + ".x")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if n, err := sub.InitialConsumerPending(); err != nil || n != 5 {
		t.Fatalf("pending %d %v", n, err)
	}
	if _, err := sub.NextMsg(time.Second); err != nil {
		t.Fatal(err)
	}
	if n, err := sub.InitialConsumerPending(); err != nil || n != 5 {
		t.Fatalf("after a delivery: %d %v", n, err)
	}
	core, _ := nc.SubscribeSync("icp.core")
	if _, err := core.InitialConsumerPending(); !errors.Is(err, ErrTypeSubscription) {
		t.Fatalf("core subscription: %v", err)
	}
}

func TestJSSubscriptionMsgs(t *testing.T) {
	_, js := jsConn(t)
	name := jsStream(t, js)
	for i := 0; i < 3; i++ {
		if _, err := js.Publish(name+".x", []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	sub, err := js.SubscribeSync(name + ".x")
	if err != nil {
		t.Fatal(err)
	}
	ended := make(chan error, 1)
	got := make(chan string, 3)
	go func() {
		for m, err := range sub.Msgs() {
			if err != nil {
				ended <- err
				return
			}
			got <- string(m.Data)
		}
	}()
	for i := 0; i < 3; i++ {
		select {
		case d := <-got:
			if d != fmt.Sprint(i) {
				t.Fatalf("msg %d: %q", i, d)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no message")
		}
	}
	sub.Unsubscribe()
	select {
	case err := <-ended:
		if err == nil {
			t.Fatal("no error at the end")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Msgs did not end after Unsubscribe")
	}
	pull, err := js.PullSubscribe(name+".x", "")
	if err != nil {
		t.Fatal(err)
	}
	defer pull.Unsubscribe()
	for _, err := range pull.Msgs() {
		if err != ErrTypeSubscription {
			t.Fatalf("pull: %v", err)
		}
	}
}
