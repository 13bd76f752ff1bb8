package nats

import (
	"context"
	"io"
	"runtime"
	"testing"
	"time"
)

// Watchers of both stores end their goroutines (and free their C watchers) on Stop and on a
// cancelled context; a dropped ObjectResult ends its get.
func TestKVObjectWatchersRelease(t *testing.T) {
	_, js := jsConn(t)
	kv := kvBucket(t, js, 1)
	obs := objStore(t, js)
	kv.PutString("k", "v")
	obs.PutString("o", "v")
	g0 := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	for i := 0; i < 20; i++ {
		kw, err := kv.WatchAll()
		if err != nil {
			t.Fatal(err)
		}
		if e := nextEntry(t, kw); e == nil || e.Key() != "k" {
			t.Fatal(e)
		}
		kw.Stop()
		kc, err := kv.Watch("k", Context(ctx))
		if err != nil {
			t.Fatal(err)
		}
		if kc.Context() != ctx {
			t.Fatal("context")
		}
		ow, err := obs.Watch()
		if err != nil {
			t.Fatal(err)
		}
		ow.Stop()
	}
	cancel()
	settle(t, "watcher goroutines", 15*time.Second, func() bool { return runtime.NumGoroutine() <= g0+5 })
	// Dropped results of a large object.
	if _, err := obs.Put(&ObjectMeta{Name: "big"}, &patternReader{n: 2 << 20}); err != nil {
		t.Fatal(err)
	}
	g1 := runtime.NumGoroutine()
	for i := 0; i < 5; i++ {
		r, err := obs.Get("big")
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 10)
		r.Read(buf)
	}
	settle(t, "dropped results", 15*time.Second, func() bool {
		runtime.GC()
		return runtime.NumGoroutine() <= g1+2
	})
}

// A streamed put and get of an object much larger than a chunk allocates little Go memory:
// neither side holds the object.
func TestObjectStoreStreamsFlat(t *testing.T) {
	_, js := jsConn(t)
	obs := objStore(t, js)
	const size = 24 << 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if _, err := obs.Put(&ObjectMeta{Name: "big"}, &patternReader{n: size}); err != nil {
		t.Fatal(err)
	}
	r, err := obs.Get("big")
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, r)
	r.Close()
	if err != nil || n != size {
		t.Fatal(n, err)
	}
	runtime.ReadMemStats(&after)
	if grown := after.TotalAlloc - before.TotalAlloc; grown > size/4 {
		t.Fatalf("a %d byte put and get allocated %d bytes in Go", size, grown)
	}
}
