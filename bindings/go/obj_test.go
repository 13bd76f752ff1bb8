package nats

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var objBucketSeq atomic.Int64

// objStore creates a fresh memory object store and deletes it at the end.
func objStore(t *testing.T, js JetStreamContext) ObjectStore {
	t.Helper()
	name := fmt.Sprintf("OB%d_%d", time.Now().UnixNano()%1000000, objBucketSeq.Add(1))
	os, err := js.CreateObjectStore(&ObjectStoreConfig{Bucket: name, Description: "test", Storage: MemoryStorage})
	if err != nil {
		t.Fatalf("CreateObjectStore: %v", err)
	}
	t.Cleanup(func() { js.DeleteObjectStore(name) })
	return os
}

// patternReader yields n deterministic bytes in short reads, without holding them.
type patternReader struct {
	n, off int
}

func (r *patternReader) Read(p []byte) (int, error) {
	if r.off >= r.n {
		return 0, io.EOF
	}
	k := min(len(p), r.n-r.off, 7000)
	for i := 0; i < k; i++ {
		p[i] = byte((r.off + i) * 31 % 251)
	}
	r.off += k
	return k, nil
}

func TestObjectStoreBasics(t *testing.T) {
	_, js := jsConn(t)
	obs := objStore(t, js)
	info, err := obs.PutString("hello", "world")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("world"))
	h := sha256.New()
	h.Write([]byte("world"))
	if info.Name != "hello" || info.Size != 5 || info.Chunks != 1 || info.NUID == "" || info.Digest != GetObjectDigestValue(h) {
		t.Fatalf("%+v", info)
	}
	if d, err := DecodeObjectDigest(info.Digest); err != nil || !bytes.Equal(d, sum[:]) {
		t.Fatalf("digest %x %v", d, err)
	}
	if info.ModTime.IsZero() {
		t.Fatalf("no mtime: %+v", info)
	}
	s, err := obs.GetString("hello")
	if err != nil || s != "world" {
		t.Fatalf("%q %v", s, err)
	}
	gi, err := obs.GetInfo("hello")
	if err != nil || gi.Size != 5 || gi.Bucket != info.Bucket {
		t.Fatalf("%+v %v", gi, err)
	}
	if _, err := obs.GetInfo("missing"); !errors.Is(err, ErrObjectNotFound) {
		t.Fatalf("missing: %v", err)
	}
	if _, err := obs.GetBytes("missing"); !errors.Is(err, ErrObjectNotFound) {
		t.Fatalf("missing get: %v", err)
	}
	// Empty object and meta.
	if _, err := obs.PutBytes("empty", nil); err != nil {
		t.Fatal(err)
	}
	if b, err := obs.GetBytes("empty"); err != nil || len(b) != 0 {
		t.Fatalf("%v %v", b, err)
	}
	meta := &ObjectMeta{Name: "withmeta", Description: "d", Headers: Header{"X-A": []string{"1"}}, Metadata: map[string]string{"k": "v"},
		Opts: &ObjectMetaOptions{ChunkSize: 1000}}
	info, err = obs.Put(meta, strings.NewReader(strings.Repeat("x", 4500)))
	if err != nil || info.Chunks != 5 || info.Size != 4500 {
		t.Fatalf("%+v %v", info, err)
	}
	gi, err = obs.GetInfo("withmeta")
	if err != nil || gi.Description != "d" || gi.Headers.Get("X-A") != "1" || gi.Metadata["k"] != "v" {
		t.Fatalf("%+v %v", gi, err)
	}
	if _, err := obs.Put(&ObjectMeta{}, nil); !errors.Is(err, ErrBadObjectMeta) {
		t.Fatal(err)
	}
	if _, err := obs.Put(&ObjectMeta{Name: "l", Opts: &ObjectMetaOptions{Link: &ObjectLink{Bucket: "x"}}}, nil); !errors.Is(err, ErrLinkNotAllowed) {
		t.Fatal(err)
	}
	// List, update meta, delete.
	list, err := obs.List()
	if err != nil || len(list) != 3 {
		t.Fatalf("%d %v", len(list), err)
	}
	if err := obs.UpdateMeta("hello", &ObjectMeta{Name: "hello2", Description: "renamed"}); err != nil {
		t.Fatal(err)
	}
	if s, err := obs.GetString("hello2"); err != nil || s != "world" {
		t.Fatalf("%q %v", s, err)
	}
	if _, err := obs.GetInfo("hello"); !errors.Is(err, ErrObjectNotFound) {
		t.Fatalf("old name: %v", err)
	}
	if err := obs.UpdateMeta("hello2", &ObjectMeta{Name: "empty"}); !errors.Is(err, ErrObjectAlreadyExists) {
		t.Fatalf("rename onto existing: %v", err)
	}
	if err := obs.Delete("hello2"); err != nil {
		t.Fatal(err)
	}
	if _, err := obs.GetInfo("hello2"); !errors.Is(err, ErrObjectNotFound) {
		t.Fatalf("deleted: %v", err)
	}
	if gi, err := obs.GetInfo("hello2", GetObjectInfoShowDeleted()); err != nil || !gi.Deleted {
		t.Fatalf("show deleted: %+v %v", gi, err)
	}
	if err := obs.UpdateMeta("hello2", &ObjectMeta{Name: "hello2", Description: "x"}); !errors.Is(err, ErrUpdateMetaDeleted) {
		t.Fatalf("update deleted: %v", err)
	}
	if list, err := obs.List(); err != nil || len(list) != 2 {
		t.Fatalf("%d %v", len(list), err)
	}
	if list, err := obs.List(ListObjectsShowDeleted()); err != nil || len(list) != 3 {
		t.Fatalf("%d %v", len(list), err)
	}
	// Status and seal.
	st, err := obs.Status()
	if err != nil || st.Description() != "test" || st.Storage() != MemoryStorage || st.Sealed() || st.BackingStore() != "JetStream" || st.Size() == 0 {
		t.Fatalf("%+v %v", st, err)
	}
	if err := obs.Seal(); err != nil {
		t.Fatal(err)
	}
	if st, err := obs.Status(); err != nil || !st.Sealed() {
		t.Fatalf("sealed: %v", err)
	}
	if _, err := obs.PutString("after", "seal"); err == nil {
		t.Fatal("put after seal worked")
	}
}

func TestObjectStoreManager(t *testing.T) {
	_, js := jsConn(t)
	if _, err := js.CreateObjectStore(nil); !errors.Is(err, ErrObjectConfigRequired) {
		t.Fatal(err)
	}
	if _, err := js.CreateObjectStore(&ObjectStoreConfig{Bucket: "bad.name"}); !errors.Is(err, ErrInvalidStoreName) {
		t.Fatal(err)
	}
	if _, err := js.ObjectStore("NOPE_NOT_THERE"); !errors.Is(err, ErrStreamNotFound) {
		t.Fatalf("bind missing: %v", err)
	}
	if err := js.DeleteObjectStore("NOPE_NOT_THERE"); !errors.Is(err, ErrStreamNotFound) {
		t.Fatalf("delete missing: %v", err)
	}
	a := objStore(t, js)
	b := objStore(t, js)
	sa, _ := a.Status()
	found := 0
	for n := range js.ObjectStoreNames() {
		if n == sa.Bucket() {
			found++
		}
	}
	if found != 1 {
		t.Fatalf("names: %d", found)
	}
	found = 0
	for s := range js.ObjectStores() {
		if s.Bucket() == sa.Bucket() && s.Description() == "test" {
			found++
		}
	}
	if found != 1 {
		t.Fatalf("stores: %d", found)
	}
	again, err := js.ObjectStore(sa.Bucket())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := again.PutString("x", "y"); err != nil {
		t.Fatal(err)
	}
	// Links within and across stores.
	target, err := b.PutString("target", "linked data")
	if err != nil {
		t.Fatal(err)
	}
	li, err := a.AddLink("ln", target)
	if err != nil || !li.isLink() || li.Opts.Link.Bucket != target.Bucket || li.Opts.Link.Name != "target" {
		t.Fatalf("%+v %v", li, err)
	}
	if s, err := a.GetString("ln"); err != nil || s != "linked data" {
		t.Fatalf("via link: %q %v", s, err)
	}
	r, err := a.Get("ln")
	if err != nil {
		t.Fatal(err)
	}
	if info, _ := r.Info(); info.Name != "target" {
		t.Fatalf("link result info: %+v", info)
	}
	r.Close()
	if _, err := a.AddLink("ln2", li); !errors.Is(err, ErrNoLinkToLink) {
		t.Fatal(err)
	}
	bl, err := a.AddBucketLink("dir", b)
	if err != nil || bl.Opts.Link.Name != "" || bl.Opts.Link.Bucket != target.Bucket {
		t.Fatalf("%+v %v", bl, err)
	}
	if _, err := a.Get("dir"); !errors.Is(err, ErrCantGetBucket) {
		t.Fatal(err)
	}
	if err := b.Delete("target"); err != nil {
		t.Fatal(err)
	}
	del, _ := b.GetInfo("target", GetObjectInfoShowDeleted())
	if _, err := a.AddLink("ln3", del); !errors.Is(err, ErrNoLinkToDeleted) {
		t.Fatal(err)
	}
	if err := js.DeleteObjectStore(sa.Bucket()); err != nil {
		t.Fatal(err)
	}
	if _, err := js.ObjectStore(sa.Bucket()); !errors.Is(err, ErrStreamNotFound) {
		t.Fatal(err)
	}
}

func TestObjectStoreStreaming(t *testing.T) {
	_, js := jsConn(t)
	obs := objStore(t, js)
	const size = 3<<20 + 12345
	info, err := obs.Put(&ObjectMeta{Name: "big"}, &patternReader{n: size})
	if err != nil || info.Size != size || info.Chunks != (size+128*1024-1)/(128*1024) {
		t.Fatalf("%+v %v", info, err)
	}
	r, err := obs.Get("big")
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil || n != size {
		t.Fatalf("%d %v", n, err)
	}
	if GetObjectDigestValue(h) != info.Digest {
		t.Fatal("digest differs")
	}
	want := &patternReader{n: size}
	wh := sha256.New()
	io.Copy(wh, want)
	if !bytes.Equal(wh.Sum(nil), h.Sum(nil)) {
		t.Fatal("data differs")
	}
	r.Close()
	// Closing early stops the get; reading then fails.
	r, err = obs.Get("big")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1000)
	if _, err := io.ReadFull(r, buf); err != nil {
		t.Fatal(err)
	}
	r.Close()
	if _, err := r.Read(buf); err == nil {
		t.Fatal("read after close")
	}
	// A reader error aborts the put and the error comes back.
	boom := errors.New("boom")
	if _, err := obs.Put(&ObjectMeta{Name: "bad"}, io.MultiReader(&patternReader{n: 300000}, errReader{boom})); !errors.Is(err, boom) {
		t.Fatalf("reader error: %v", err)
	}
	if _, err := obs.GetInfo("bad"); !errors.Is(err, ErrObjectNotFound) {
		t.Fatalf("aborted put left an object: %v", err)
	}
	// A panicking reader.
	if _, err := obs.Put(&ObjectMeta{Name: "bad"}, panicReader{}); !errors.Is(err, ErrCallbackPanic) {
		t.Fatalf("panic: %v", err)
	}
	// A cancelled context.
	ctx, cancel := context.WithCancel(context.Background())
	cr := &cancelReader{r: &patternReader{n: 1 << 20}, after: 200000, cancel: cancel}
	if _, err := obs.Put(&ObjectMeta{Name: "bad"}, cr, Context(ctx)); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancel: %v", err)
	}
	// Files.
	dir := t.TempDir()
	src := filepath.Join(dir, "src.bin")
	f, _ := os.Create(src)
	io.Copy(f, &patternReader{n: 500000})
	f.Close()
	fi, err := obs.PutFile(src)
	if err != nil || fi.Name != src || fi.Size != 500000 {
		t.Fatalf("%+v %v", fi, err)
	}
	dst := filepath.Join(dir, "dst.bin")
	if err := obs.GetFile(src, dst); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(src)
	b, _ := os.ReadFile(dst)
	if !bytes.Equal(a, b) {
		t.Fatal("file differs")
	}
	if err := obs.GetFile("missing", filepath.Join(dir, "x")); !errors.Is(err, ErrObjectNotFound) {
		t.Fatal(err)
	}
	if _, err := obs.PutFile(filepath.Join(dir, "nope")); err == nil {
		t.Fatal("missing file")
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

type panicReader struct{}

func (panicReader) Read([]byte) (int, error) { panic("reader panic") }

type cancelReader struct {
	r      io.Reader
	n      int
	after  int
	cancel func()
}

func (c *cancelReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	if c.n >= c.after {
		c.cancel()
	}
	return n, err
}

func TestObjectStoreWatch(t *testing.T) {
	_, js := jsConn(t)
	obs := objStore(t, js)
	obs.PutString("a", "1")
	obs.PutString("b", "2")
	w, err := obs.Watch()
	if err != nil {
		t.Fatal(err)
	}
	next := func(w ObjectWatcher) *ObjectInfo {
		t.Helper()
		select {
		case i, ok := <-w.Updates():
			if !ok {
				t.Fatal("closed")
			}
			return i
		case <-time.After(5 * time.Second):
			t.Fatal("no update")
		}
		return nil
	}
	got := map[string]bool{}
	for i := 0; i < 2; i++ {
		got[next(w).Name] = true
	}
	if !got["a"] || !got["b"] {
		t.Fatal(got)
	}
	if i := next(w); i != nil {
		t.Fatalf("no marker: %+v", i)
	}
	obs.PutString("c", "3")
	if i := next(w); i.Name != "c" || i.Size != 1 {
		t.Fatalf("%+v", i)
	}
	obs.Delete("a")
	if i := next(w); i.Name != "a" || !i.Deleted {
		t.Fatalf("%+v", i)
	}
	w.Stop()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-w.Updates():
			if !ok {
				goto closed
			}
		case <-deadline:
			t.Fatal("not closed after Stop")
		}
	}
closed:
	// UpdatesOnly: no initial values and no marker.
	w, err = obs.Watch(UpdatesOnly(), IgnoreDeletes())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	obs.Delete("b")
	obs.PutString("d", "4")
	if i := next(w); i == nil || i.Name != "d" {
		t.Fatalf("%+v", i)
	}
	if _, err := obs.Watch(UpdatesOnly(), IncludeHistory()); err == nil {
		t.Fatal("exclusive options")
	}
}

func TestObjectStoreGetsConcurrent(t *testing.T) {
	_, js := jsConn(t)
	obs := objStore(t, js)
	if _, err := obs.Put(&ObjectMeta{Name: "o"}, &patternReader{n: 700000}); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		go func() {
			b, err := obs.GetBytes("o")
			if err == nil && len(b) != 700000 {
				err = fmt.Errorf("len %d", len(b))
			}
			errs <- err
		}()
	}
	for i := 0; i < 8; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
}

// A put that a sealed store refuses carries nats.go's failed cleanup line; UpdateMeta of a
// missing object is ErrUpdateMetaDeleted.
func TestObjectStoreSealedPutAsNatsGo(t *testing.T) {
	_, js := jsConn(t)
	obs := objStore(t, js)
	if err := obs.UpdateMeta("missing", &ObjectMeta{Name: "other"}); err != ErrUpdateMetaDeleted {
		t.Fatalf("UpdateMeta of a missing object: %v", err)
	}
	if _, err := obs.PutString("x", "y"); err != nil {
		t.Fatal(err)
	}
	if err := obs.Seal(); err != nil {
		t.Fatal(err)
	}
	const sealed = "nats: invalid operation on sealed stream"
	want := sealed + "\ncould not cleanup bucket after erroneous put operation: " + sealed
	if _, err := obs.PutBytes("z", []byte("abc")); err == nil || err.Error() != want {
		t.Fatalf("PutBytes after Seal: %q", err)
	}
	if _, err := obs.Put(&ObjectMeta{Name: "r"}, bytes.NewReader([]byte("abc"))); err == nil || err.Error() != want {
		t.Fatalf("Put after Seal: %q", err)
	}
	if _, err := obs.Put(&ObjectMeta{Name: "r"}, nil); err == nil || err.Error() != sealed {
		t.Fatalf("Put of nothing after Seal: %q", err)
	}
	if err := obs.Delete("x"); err == nil || err.Error() != sealed {
		t.Fatalf("Delete after Seal: %q", err)
	}
}
