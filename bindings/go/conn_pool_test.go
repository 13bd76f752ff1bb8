package nats

import (
	"testing"
	"time"
)

func TestSetServerPool(t *testing.T) {
	a := startServer(t)
	b := startServer(t)
	reconnected := make(chan struct{}, 4)
	nc, err := Connect(a.URL, ReconnectWait(50*time.Millisecond), MaxReconnects(-1), DontRandomize(),
		ReconnectHandler(func(*Conn) { reconnected <- struct{}{} }))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if pool := nc.ServerPool(); len(pool) != 1 || pool[0].URL.Host != hostOf(a.URL) || pool[0].IsImplicit() {
		t.Fatalf("pool: %+v", pool)
	}
	if err := nc.SetServerPool([]string{b.URL, hostOf(a.URL)}); err != nil {
		t.Fatal(err)
	}
	pool := nc.ServerPool()
	if len(pool) != 2 || pool[0].URL.Host != hostOf(b.URL) || pool[1].URL.Host != hostOf(a.URL) {
		t.Fatalf("new pool: %+v", pool)
	}
	if nc.ConnectedUrl() != a.URL {
		t.Fatalf("SetServerPool must not reconnect: %s", nc.ConnectedUrl())
	}
	sub, err := nc.SubscribeSync("pool.x")
	if err != nil {
		t.Fatal(err)
	}
	nc.Flush()
	a.Stop()
	select {
	case <-reconnected:
	case <-time.After(20 * time.Second):
		t.Fatal("no reconnect")
	}
	if nc.ConnectedUrl() != b.URL {
		t.Fatalf("reconnected to %s, want %s", nc.ConnectedUrl(), b.URL)
	}
	nc.Publish("pool.x", []byte("on b"))
	if m, err := sub.NextMsg(5 * time.Second); err != nil || string(m.Data) != "on b" {
		t.Fatalf("%v %v", m, err)
	}
	if err := nc.SetServerPool([]string{"nats://127.0.0.1:notaport"}); err == nil {
		t.Fatal("bad URL accepted")
	}
	if err := nc.SetServerPool(nil); err == nil {
		t.Fatal("empty pool accepted")
	}
	if pool := nc.ServerPool(); len(pool) != 2 || pool[0].URL.Host != hostOf(b.URL) {
		t.Fatalf("a refused pool changed it: %+v", pool)
	}
	nc.Close()
	if err := nc.SetServerPool([]string{b.URL}); err != ErrConnectionClosed {
		t.Fatalf("closed: %v", err)
	}
}

func hostOf(u string) string {
	if i := len("nats://"); len(u) > i && u[:i] == "nats://" {
		return u[i:]
	}
	return u
}
