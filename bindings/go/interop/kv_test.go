package interop

import (
	"errors"
	"testing"
	"time"

	natsrs "github.com/libnatsrs/natsrs/bindings/go"
	natsgo "github.com/nats-io/nats.go"
)

// Key-value in both directions: a bucket the binding makes and writes reads the same from
// nats.go (values, deletes, history, compare-and-set), and nats.go's writes reach the binding's
// gets and watchers.
func TestKeyValueInterop(t *testing.T) {
	rs, gon := conns(t)
	rjs, err := rs.JetStream()
	if err != nil {
		t.Fatal(err)
	}
	gjs, err := gon.JetStream()
	if err != nil {
		t.Fatal(err)
	}
	rkv, err := rjs.CreateKeyValue(&natsrs.KeyValueConfig{Bucket: "IOPKV", History: 5, Storage: natsrs.MemoryStorage})
	if err != nil {
		t.Fatal(err)
	}
	defer rjs.DeleteKeyValue("IOPKV")
	gkv, err := gjs.KeyValue("IOPKV")
	if err != nil {
		t.Fatal(err)
	}
	st, err := gkv.Status()
	if err != nil || st.History() != 5 {
		t.Fatalf("%v %v", st, err)
	}
	// The binding writes, nats.go reads.
	r1, _ := rkv.PutString("user.alice", "blue")
	r2, err := rkv.Update("user.alice", []byte("red"), r1)
	if err != nil {
		t.Fatal(err)
	}
	e, err := gkv.Get("user.alice")
	if err != nil || string(e.Value()) != "red" || e.Revision() != r2 {
		t.Fatalf("%v %v", e, err)
	}
	if err := rkv.Delete("user.alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := gkv.Get("user.alice"); !errors.Is(err, natsgo.ErrKeyNotFound) {
		t.Fatal(err)
	}
	h, err := gkv.History("user.alice")
	if err != nil || len(h) != 3 || h[2].Operation() != natsgo.KeyValueDelete {
		t.Fatalf("%d %v", len(h), err)
	}
	// nats.go writes, the binding reads and watches.
	w, err := rkv.Watch("user.*")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	next := func() natsrs.KeyValueEntry {
		select {
		case e := <-w.Updates():
			return e
		case <-time.After(5 * time.Second):
			t.Fatal("no update")
		}
		return nil
	}
	if e := next(); e == nil || e.Key() != "user.alice" || e.Operation() != natsrs.KeyValueDelete {
		t.Fatalf("initial: %v", e)
	}
	if e := next(); e != nil {
		t.Fatalf("marker: %v", e)
	}
	gr, err := gkv.Create("user.bob", []byte("green"))
	if err != nil {
		t.Fatal(err)
	}
	if e := next(); e == nil || e.Key() != "user.bob" || string(e.Value()) != "green" || e.Revision() != gr {
		t.Fatalf("%v", e)
	}
	if _, err := rkv.Create("user.bob", []byte("x")); !errors.Is(err, natsrs.ErrKeyExists) {
		t.Fatal(err)
	}
	if _, err := gkv.Create("user.bob", []byte("x")); !errors.Is(err, natsgo.ErrKeyExists) {
		t.Fatal(err)
	}
	if err := gkv.Purge("user.bob"); err != nil {
		t.Fatal(err)
	}
	if e := next(); e == nil || e.Key() != "user.bob" || e.Operation() != natsrs.KeyValuePurge {
		t.Fatalf("%v", e)
	}
	if _, err := rkv.Get("user.bob"); !errors.Is(err, natsrs.ErrKeyNotFound) {
		t.Fatal(err)
	}
	gkv.PutString("cfg.x", "1")
	keys, err := rkv.Keys()
	if err != nil || len(keys) != 1 || keys[0] != "cfg.x" {
		t.Fatal(keys, err)
	}
	gkeys, err := gkv.Keys()
	if err != nil || len(gkeys) != 1 {
		t.Fatal(gkeys, err)
	}
	// A bucket nats.go made, seen from the binding.
	g2, err := gjs.CreateKeyValue(&natsgo.KeyValueConfig{Bucket: "IOPKV2", TTL: time.Hour, Storage: natsgo.MemoryStorage})
	if err != nil {
		t.Fatal(err)
	}
	defer gjs.DeleteKeyValue("IOPKV2")
	g2.PutString("k", "v")
	r2kv, err := rjs.KeyValue("IOPKV2")
	if err != nil {
		t.Fatal(err)
	}
	if e, err := r2kv.Get("k"); err != nil || string(e.Value()) != "v" {
		t.Fatal(err)
	}
	if s, err := r2kv.Status(); err != nil || s.TTL() != time.Hour {
		t.Fatalf("%v %v", s, err)
	}
}
