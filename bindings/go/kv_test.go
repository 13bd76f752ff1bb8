package nats

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

var kvBucketSeq atomic.Int64

// kvBucket creates a fresh memory bucket and deletes it at the end.
func kvBucket(t *testing.T, js JetStreamContext, history uint8) KeyValue {
	t.Helper()
	name := fmt.Sprintf("KB%d_%d", time.Now().UnixNano()%1000000, kvBucketSeq.Add(1))
	kv, err := js.CreateKeyValue(&KeyValueConfig{Bucket: name, History: history, Description: "test", Storage: MemoryStorage})
	if err != nil {
		t.Fatalf("CreateKeyValue: %v", err)
	}
	t.Cleanup(func() { js.DeleteKeyValue(name) })
	return kv
}

func TestKVBasics(t *testing.T) {
	_, js := jsConn(t)
	kv := kvBucket(t, js, 5)
	r1, err := kv.Put("a.b", []byte("1"))
	if err != nil || r1 != 1 {
		t.Fatal(r1, err)
	}
	r2, err := kv.PutString("a.b", "2")
	if err != nil || r2 != 2 {
		t.Fatal(r2, err)
	}
	e, err := kv.Get("a.b")
	if err != nil || string(e.Value()) != "2" || e.Revision() != 2 || e.Key() != "a.b" || e.Bucket() != kv.Bucket() ||
		e.Operation() != KeyValuePut || e.Created().IsZero() {
		t.Fatalf("%+v %v", e, err)
	}
	if e, err := kv.GetRevision("a.b", 1); err != nil || string(e.Value()) != "1" {
		t.Fatalf("%v %v", e, err)
	}
	if _, err := kv.Get("missing"); !errors.Is(err, ErrKeyNotFound) {
		t.Fatal(err)
	}
	if _, err := kv.Get("bad..key"); !errors.Is(err, ErrInvalidKey) {
		t.Fatal(err)
	}
	if _, err := kv.Put(".bad", nil); !errors.Is(err, ErrInvalidKey) {
		t.Fatal(err)
	}
	// Create / Update compare-and-set.
	if _, err := kv.Create("a.b", []byte("x")); !errors.Is(err, ErrKeyExists) {
		t.Fatalf("create existing: %v", err)
	}
	var apiErr *APIError
	if _, err := kv.Create("a.b", []byte("x")); !errors.As(err, &apiErr) || apiErr.ErrorCode != JSErrCodeStreamWrongLastSequence {
		t.Fatalf("create api error: %v", err)
	}
	rc, err := kv.Create("c", []byte("new"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Update("c", []byte("v2"), rc+100); !errors.Is(err, ErrKeyRevisionMismatch) {
		t.Fatalf("update mismatch: %v", err)
	}
	ru, err := kv.Update("c", []byte("v2"), rc)
	if err != nil || ru <= rc {
		t.Fatal(ru, err)
	}
	// Delete (with LastRevision), then Create works again.
	if err := kv.Delete("c", LastRevision(rc)); !errors.Is(err, ErrKeyRevisionMismatch) {
		t.Fatalf("delete mismatch: %v", err)
	}
	if err := kv.Delete("c", LastRevision(ru)); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Get("c"); !errors.Is(err, ErrKeyNotFound) {
		t.Fatal(err)
	}
	if _, err := kv.Create("c", []byte("again")); err != nil {
		t.Fatal(err)
	}
	// History and purge.
	h, err := kv.History("c")
	if err != nil || len(h) != 4 || h[2].Operation() != KeyValueDelete || string(h[3].Value()) != "again" {
		t.Fatalf("%d %v", len(h), err)
	}
	if _, err := kv.History("nope"); !errors.Is(err, ErrKeyNotFound) {
		t.Fatal(err)
	}
	if err := kv.Purge("c"); err != nil {
		t.Fatal(err)
	}
	h, err = kv.History("c")
	if err != nil || len(h) != 1 || h[0].Operation() != KeyValuePurge {
		t.Fatalf("after purge %d %v", len(h), err)
	}
	if err := kv.PurgeDeletes(DeleteMarkersOlderThan(-1)); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.History("c"); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("after purge deletes: %v", err)
	}
	// Keys.
	kv.Put("z", []byte("1"))
	keys, err := kv.Keys()
	if err != nil || len(keys) != 2 || keys[0] != "a.b" || keys[1] != "z" {
		t.Fatal(keys, err)
	}
	kl, err := kv.ListKeys()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for range kl.Keys() {
		n++
	}
	kl.Stop()
	if n != 2 {
		t.Fatal(n)
	}
	// Status.
	st, err := kv.Status()
	if err != nil || st.Bucket() != kv.Bucket() || st.History() != 5 || st.BackingStore() != "JetStream" || st.Values() == 0 {
		t.Fatalf("%+v %v", st, err)
	}
	if c := st.Config(); c.Description != "test" || c.Storage != MemoryStorage || c.History != 5 {
		t.Fatalf("%+v", c)
	}
}

func TestKVManager(t *testing.T) {
	_, js := jsConn(t)
	if _, err := js.CreateKeyValue(nil); !errors.Is(err, ErrKeyValueConfigRequired) {
		t.Fatal(err)
	}
	if _, err := js.CreateKeyValue(&KeyValueConfig{Bucket: "bad.name"}); !errors.Is(err, ErrInvalidBucketName) {
		t.Fatal(err)
	}
	if _, err := js.CreateKeyValue(&KeyValueConfig{Bucket: "H", History: 65}); !errors.Is(err, ErrHistoryToLarge) {
		t.Fatal(err)
	}
	if _, err := js.KeyValue("NO_SUCH_BUCKET"); !errors.Is(err, ErrBucketNotFound) {
		t.Fatal(err)
	}
	if err := js.DeleteKeyValue("NO_SUCH_BUCKET"); !errors.Is(err, ErrStreamNotFound) {
		t.Fatal(err)
	}
	kv := kvBucket(t, js, 1)
	kv.Put("k", []byte("v"))
	again, err := js.KeyValue(kv.Bucket())
	if err != nil {
		t.Fatal(err)
	}
	if e, err := again.Get("k"); err != nil || string(e.Value()) != "v" {
		t.Fatal(err)
	}
	// Same config again: fine; another config: the name is in use.
	if _, err := js.CreateKeyValue(&KeyValueConfig{Bucket: kv.Bucket(), History: 1, Description: "test", Storage: MemoryStorage}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateKeyValue(&KeyValueConfig{Bucket: kv.Bucket(), History: 9, Storage: MemoryStorage}); !errors.Is(err, ErrStreamNameAlreadyInUse) {
		t.Fatal(err)
	}
	found := 0
	for n := range js.KeyValueStoreNames() {
		if n == kv.Bucket() {
			found++
		}
	}
	if found != 1 {
		t.Fatal("names", found)
	}
	found = 0
	for s := range js.KeyValueStores() {
		if s.Bucket() == kv.Bucket() && s.Values() == 1 {
			found++
		}
	}
	if found != 1 {
		t.Fatal("stores", found)
	}
	if err := js.DeleteKeyValue(kv.Bucket()); err != nil {
		t.Fatal(err)
	}
	if _, err := js.KeyValue(kv.Bucket()); !errors.Is(err, ErrBucketNotFound) {
		t.Fatal(err)
	}
}

func nextEntry(t *testing.T, w KeyWatcher) KeyValueEntry {
	t.Helper()
	select {
	case e, ok := <-w.Updates():
		if !ok {
			t.Fatal("updates closed")
		}
		return e
	case <-time.After(5 * time.Second):
		t.Fatal("no update")
	}
	return nil
}

func TestKVWatch(t *testing.T) {
	_, js := jsConn(t)
	kv := kvBucket(t, js, 10)
	kv.PutString("a", "1")
	kv.PutString("a", "2")
	kv.PutString("b.x", "3")
	w, err := kv.WatchAll()
	if err != nil {
		t.Fatal(err)
	}
	if e := nextEntry(t, w); e.Key() != "a" || string(e.Value()) != "2" {
		t.Fatalf("%v", e)
	}
	if e := nextEntry(t, w); e.Key() != "b.x" {
		t.Fatalf("%v", e)
	}
	if e := nextEntry(t, w); e != nil {
		t.Fatalf("no marker: %v", e)
	}
	kv.Delete("a")
	if e := nextEntry(t, w); e.Key() != "a" || e.Operation() != KeyValueDelete {
		t.Fatalf("%v", e)
	}
	w.Stop()
	deadline := time.After(5 * time.Second)
	for open := true; open; {
		select {
		case _, open = <-w.Updates():
		case <-deadline:
			t.Fatal("not closed after Stop")
		}
	}
	// History, filtered.
	w, err = kv.Watch("a", IncludeHistory())
	if err != nil {
		t.Fatal(err)
	}
	var revs []uint64
	for e := nextEntry(t, w); e != nil; e = nextEntry(t, w) {
		revs = append(revs, e.Revision())
	}
	w.Stop()
	if len(revs) != 3 {
		t.Fatal(revs)
	}
	// Filters, IgnoreDeletes, MetaOnly.
	w, err = kv.WatchFiltered([]string{"a", "b.*"}, IgnoreDeletes(), MetaOnly())
	if err != nil {
		t.Fatal(err)
	}
	if e := nextEntry(t, w); e.Key() != "b.x" || len(e.Value()) != 0 {
		t.Fatalf("%v", e)
	}
	if e := nextEntry(t, w); e != nil {
		t.Fatalf("no marker: %v", e)
	}
	w.Stop()
	// UpdatesOnly: no initial values, no marker.
	w, err = kv.Watch("b.>", UpdatesOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	kv.PutString("b.y", "4")
	if e := nextEntry(t, w); e == nil || e.Key() != "b.y" || string(e.Value()) != "4" || e.Delta() != 0 {
		t.Fatalf("%v", e)
	}
	// Empty match: the marker at once.
	w2, err := kv.Watch("nothing.here")
	if err != nil {
		t.Fatal(err)
	}
	if e := nextEntry(t, w2); e != nil {
		t.Fatal(e)
	}
	w2.Stop()
	if _, err := kv.Watch("bad..f"); !errors.Is(err, ErrInvalidKey) {
		t.Fatal(err)
	}
}

// A key lister's Stop is nats.go's watcher Stop: once the lister has ended (or was stopped),
// Stop gives ErrBadSubscription.
func TestKVListKeysStopAsNatsGo(t *testing.T) {
	_, js := jsConn(t)
	kv := kvBucket(t, js, 1)
	lk, err := kv.ListKeys()
	if err != nil {
		t.Fatal(err)
	}
	for range lk.Keys() {
	}
	if err := lk.Stop(); err != ErrBadSubscription {
		t.Fatalf("Stop after the end: %v", err)
	}
	for i := 0; i < 600; i++ { // more than the channel holds: the lister is still running
		if _, err := kv.Put(fmt.Sprintf("k%d", i), []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	lk, err = kv.ListKeys()
	if err != nil {
		t.Fatal(err)
	}
	if err := lk.Stop(); err != nil {
		t.Fatalf("first Stop: %v", err)
	}
	if err := lk.Stop(); err != ErrBadSubscription {
		t.Fatalf("second Stop: %v", err)
	}
}

// Create, Update and Delete with a wrong revision read as nats.go's errors.
func TestKVWrongRevisionTextsAsNatsGo(t *testing.T) {
	_, js := jsConn(t)
	kv := kvBucket(t, js, 5)
	if _, err := kv.Put("k", []byte("1")); err != nil {
		t.Fatal(err)
	}
	_, err := kv.Create("k", []byte("2"))
	if !errors.Is(err, ErrKeyExists) || errors.Is(err, ErrKeyRevisionMismatch) || err.Error() != "nats: wrong last sequence: 1: key exists" {
		t.Fatalf("Create of an existing key: %q", err)
	}
	_, err = kv.Update("k", []byte("3"), 7)
	if !errors.Is(err, ErrKeyRevisionMismatch) || !errors.Is(err, ErrKeyExists) || err.Error() != "nats: wrong last sequence: 1: nats: key revision mismatch" {
		t.Fatalf("Update with a wrong revision: %q", err)
	}
	err = kv.Delete("k", LastRevision(9))
	if !errors.Is(err, ErrKeyRevisionMismatch) || err.Error() != "nats: wrong last sequence: 1: nats: key revision mismatch" {
		t.Fatalf("Delete with a wrong LastRevision: %q", err)
	}
}
