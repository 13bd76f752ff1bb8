//go:build natsgo

package main

// JetStream, key-value and object store cases for nats.go (its jetstream package). The Go
// binding of libnatsrs has no JetStream API yet: js_stub.go reports these cases unsupported.

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

const (
	jsStream  = "BENCHJS"
	jsSubject = "bench.js"
	jsSize    = 128
	jsWindow  = 256
	jsBatch   = 500
	jsFetchN  = 100000
	kvBucket  = "BENCHKV"
	kvSize    = 128
	kvN       = 20000
	objBucket = "BENCHOBJ"
	objSize   = 16 << 20
	apiWait   = 60 * time.Second
)

func ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), apiWait)
}

func newJS(nc *Conn) jetstream.JetStream {
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(jsWindow))
	if err != nil {
		die("jetstream", err)
	}
	return js
}

func storage(memory bool) jetstream.StorageType {
	if memory {
		return jetstream.MemoryStorage
	}
	return jetstream.FileStorage
}

func jsSetup(js jetstream.JetStream, memory bool) {
	c, cancel := ctx()
	defer cancel()
	js.DeleteStream(c, jsStream) // leftover of an aborted run
	if _, err := js.CreateStream(c, jetstream.StreamConfig{Name: jsStream, Subjects: []string{jsSubject}, Storage: storage(memory)}); err != nil {
		die("create stream", err)
	}
}

func jsTeardown(js jetstream.JetStream) {
	c, cancel := ctx()
	defer cancel()
	if err := js.DeleteStream(c, jsStream); err != nil {
		die("delete stream", err)
	}
}

func caseJSPub(url string, memory, async bool, n uint64) result {
	r := newResult()
	nc := mustConnect(url)
	defer nc.Close()
	js := newJS(nc)
	jsSetup(js, memory)
	payload := []byte(strings.Repeat("x", jsSize))
	limit := secsLimit()
	pubOpts := []jetstream.PublishOpt{jetstream.WithStallWait(apiWait)}
	c0, t0 := cpuNs(), time.Now()
	var sent uint64
	for sent < n {
		if async {
			if _, err := js.PublishAsync(jsSubject, payload, pubOpts...); err != nil {
				die("publish async", err)
			}
		} else {
			c, cancel := ctx()
			if _, err := js.Publish(c, jsSubject, payload); err != nil {
				die("publish", err)
			}
			cancel()
		}
		sent++
		if sent&63 == 0 && time.Since(t0) >= limit {
			break
		}
	}
	if async {
		select {
		case <-js.PublishAsyncComplete():
		case <-time.After(apiWait):
			die("publish async complete", fmt.Errorf("timeout"))
		}
	}
	r.secs = time.Since(t0).Seconds()
	r.cpuNs = cpuNs() - c0
	r.msgs = int64(sent)
	r.size = jsSize
	r.peakRSSKB = peakRSS()
	jsTeardown(js)
	return r
}

func caseJSFetch(url string, memory bool, n uint64) result {
	r := newResult()
	nc := mustConnect(url)
	defer nc.Close()
	js := newJS(nc)
	jsSetup(js, memory)
	payload := []byte(strings.Repeat("x", jsSize))
	for i := uint64(0); i < n; i++ {
		if _, err := js.PublishAsync(jsSubject, payload, jetstream.WithStallWait(apiWait)); err != nil {
			die("prefill", err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(2 * apiWait):
		die("prefill complete", fmt.Errorf("timeout"))
	}
	c, cancel := ctx()
	cons, err := js.CreateOrUpdateConsumer(c, jsStream, jetstream.ConsumerConfig{AckPolicy: jetstream.AckNonePolicy})
	cancel()
	if err != nil {
		die("create consumer", err)
	}
	var got, nbytes uint64
	c0, t0 := cpuNs(), time.Now()
	for got < n {
		batch, err := cons.Fetch(jsBatch, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			die("fetch", err)
		}
		k := 0
		for m := range batch.Messages() {
			nbytes += uint64(len(m.Data()))
			k++
		}
		if err := batch.Error(); err != nil {
			die("fetch batch", err)
		}
		if k == 0 {
			die("fetch", fmt.Errorf("empty batch after %d of %d", got, n))
		}
		got += uint64(k)
	}
	r.secs = time.Since(t0).Seconds()
	r.cpuNs = cpuNs() - c0
	r.msgs = int64(got)
	r.size = jsSize
	r.peakRSSKB = peakRSS()
	r.extra = fmt.Sprintf(",\"bytes\":%d", nbytes)
	jsTeardown(js)
	return r
}

func kvKey(i uint64) string { return "k" + strconv.FormatUint(i, 10) }

// kv_put: N puts of 128 B on distinct keys (bounded by BENCH_SECS); kv_get: N keys put first
// (untimed), then N gets of the latest value.
func caseKV(url string, get bool, n uint64) result {
	r := newResult()
	nc := mustConnect(url)
	defer nc.Close()
	js := newJS(nc)
	c, cancel := ctx()
	defer cancel()
	js.DeleteKeyValue(c, kvBucket)
	kv, err := js.CreateKeyValue(c, jetstream.KeyValueConfig{Bucket: kvBucket})
	if err != nil {
		die("create kv", err)
	}
	val := []byte(strings.Repeat("x", kvSize))
	if get {
		for i := uint64(0); i < n; i++ {
			if _, err := kv.Put(c, kvKey(i), val); err != nil {
				die("kv prefill", err)
			}
		}
	}
	limit := secsLimit()
	c0, t0 := cpuNs(), time.Now()
	var done uint64
	for done < n {
		if get {
			e, err := kv.Get(c, kvKey(done))
			if err != nil {
				die("kv get", err)
			}
			if len(e.Value()) != kvSize {
				die("kv get", fmt.Errorf("value of %d bytes", len(e.Value())))
			}
		} else if _, err := kv.Put(c, kvKey(done), val); err != nil {
			die("kv put", err)
		}
		done++
		if done&63 == 0 && time.Since(t0) >= limit {
			break
		}
	}
	r.secs = time.Since(t0).Seconds()
	r.cpuNs = cpuNs() - c0
	r.msgs = int64(done)
	r.size = kvSize
	r.peakRSSKB = peakRSS()
	if err := js.DeleteKeyValue(c, kvBucket); err != nil {
		die("delete kv", err)
	}
	return r
}

// obj_put_16m / obj_get_16m: one 16 MiB object put (or got) repeatedly until BENCH_SECS (at
// least once); msgs = objects, MB/s from the object size.
func caseObj(url string, get bool) result {
	r := newResult()
	nc := mustConnect(url)
	defer nc.Close()
	js := newJS(nc)
	c, cancel := context.WithTimeout(context.Background(), 10*apiWait)
	defer cancel()
	js.DeleteObjectStore(c, objBucket)
	obs, err := js.CreateObjectStore(c, jetstream.ObjectStoreConfig{Bucket: objBucket})
	if err != nil {
		die("create object store", err)
	}
	data := bytes.Repeat([]byte("x"), objSize)
	if get {
		if _, err := obs.PutBytes(c, "obj", data); err != nil {
			die("object prefill", err)
		}
	}
	limit := secsLimit()
	c0, t0 := cpuNs(), time.Now()
	var done int64
	for {
		if get {
			b, err := obs.GetBytes(c, "obj")
			if err != nil {
				die("object get", err)
			}
			if len(b) != objSize {
				die("object get", fmt.Errorf("%d bytes", len(b)))
			}
		} else if _, err := obs.PutBytes(c, "obj", data); err != nil {
			die("object put", err)
		}
		done++
		if time.Since(t0) >= limit {
			break
		}
	}
	r.secs = time.Since(t0).Seconds()
	r.cpuNs = cpuNs() - c0
	r.msgs = done
	r.size = objSize
	r.peakRSSKB = peakRSS()
	if err := js.DeleteObjectStore(c, objBucket); err != nil {
		die("delete object store", err)
	}
	return r
}

// jsCase runs a JetStream / KV / object store case; false if bcase is none of them.
func jsCase(bcase, url string, n uint64) (result, bool) {
	if strings.HasPrefix(bcase, "js_") {
		i := strings.LastIndexByte(bcase, '_')
		kind, st := bcase[3:i], bcase[i+1:]
		if st != "mem" && st != "file" {
			return result{}, false
		}
		memory := st == "mem"
		switch kind {
		case "pub_sync", "pub_async":
			if n == 0 {
				n = ^uint64(0)
			}
			return caseJSPub(url, memory, kind == "pub_async", n), true
		case "fetch":
			if n == 0 {
				n = jsFetchN
			}
			return caseJSFetch(url, memory, n), true
		}
		return result{}, false
	}
	if n == 0 {
		n = kvN
	}
	switch bcase {
	case "kv_put":
		return caseKV(url, false, n), true
	case "kv_get":
		return caseKV(url, true, n), true
	case "obj_put_16m":
		return caseObj(url, false), true
	case "obj_get_16m":
		return caseObj(url, true), true
	}
	return result{}, false
}
