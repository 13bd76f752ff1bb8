package interop

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	natsrs "github.com/libnatsrs/natsrs/bindings/go"
	natsgo "github.com/nats-io/nats.go"
)

// bigData is n deterministic bytes.
func bigData(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7 % 253)
	}
	return b
}

// Object stores in both directions: a store and objects the binding writes (several chunks,
// meta, links) read the same from nats.go, and nats.go's objects read the same from the binding.
func TestObjectStoreInterop(t *testing.T) {
	rs, gon := conns(t)
	rjs, err := rs.JetStream()
	if err != nil {
		t.Fatal(err)
	}
	gjs, err := gon.JetStream()
	if err != nil {
		t.Fatal(err)
	}
	ros, err := rjs.CreateObjectStore(&natsrs.ObjectStoreConfig{Bucket: "IOPOBJ", Description: "from natsrs", Storage: natsrs.MemoryStorage})
	if err != nil {
		t.Fatal(err)
	}
	defer rjs.DeleteObjectStore("IOPOBJ")
	data := bigData(400000)
	rinfo, err := ros.Put(&natsrs.ObjectMeta{Name: "big", Description: "d", Headers: natsrs.Header{"X-A": []string{"1"}},
		Metadata: map[string]string{"k": "v"}}, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ros.AddLink("ln", rinfo); err != nil {
		t.Fatal(err)
	}
	// nats.go reads what the binding wrote.
	gos, err := gjs.ObjectStore("IOPOBJ")
	if err != nil {
		t.Fatal(err)
	}
	got, err := gos.GetBytes("big")
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("nats.go get: %d %v", len(got), err)
	}
	gi, err := gos.GetInfo("big")
	if err != nil || gi.Digest != rinfo.Digest || gi.Chunks != rinfo.Chunks || gi.Description != "d" ||
		gi.Headers.Get("X-A") != "1" || gi.Metadata["k"] != "v" {
		t.Fatalf("nats.go info: %+v %v", gi, err)
	}
	if s, err := gos.GetBytes("ln"); err != nil || !bytes.Equal(s, data) {
		t.Fatalf("nats.go via link: %v", err)
	}
	st, err := gos.Status()
	if err != nil || st.Description() != "from natsrs" {
		t.Fatalf("%v %v", st, err)
	}
	// The binding reads what nats.go wrote.
	if _, err := gos.Put(&natsgo.ObjectMeta{Name: "fromgo", Opts: &natsgo.ObjectMetaOptions{ChunkSize: 5000}},
		strings.NewReader(strings.Repeat("go!", 10000))); err != nil {
		t.Fatal(err)
	}
	if _, err := gos.PutString("small", "tiny"); err != nil {
		t.Fatal(err)
	}
	r, err := ros.Get("fromgo")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	r.Close()
	if err != nil || string(b) != strings.Repeat("go!", 10000) {
		t.Fatalf("binding get: %d %v", len(b), err)
	}
	if info, _ := r.Info(); info.Chunks != 6 {
		t.Fatalf("%+v", info)
	}
	if s, err := ros.GetString("small"); err != nil || s != "tiny" {
		t.Fatalf("%q %v", s, err)
	}
	// A watch in the binding sees nats.go's changes; deletes cross too.
	w, err := ros.Watch(natsrs.UpdatesOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	if err := gos.Delete("small"); err != nil {
		t.Fatal(err)
	}
	select {
	case i := <-w.Updates():
		if i == nil || i.Name != "small" || !i.Deleted {
			t.Fatalf("%+v", i)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no update")
	}
	if _, err := ros.GetInfo("small"); err != natsrs.ErrObjectNotFound {
		t.Fatal(err)
	}
	if err := ros.Delete("big"); err != nil {
		t.Fatal(err)
	}
	if _, err := gos.GetInfo("big"); err != natsgo.ErrObjectNotFound {
		t.Fatal(err)
	}
	// A store nats.go made, seen from the binding.
	gos2, err := gjs.CreateObjectStore(&natsgo.ObjectStoreConfig{Bucket: "IOPOBJ2", Storage: natsgo.MemoryStorage})
	if err != nil {
		t.Fatal(err)
	}
	defer gjs.DeleteObjectStore("IOPOBJ2")
	gos2.PutString("x", "y")
	names := map[string]bool{}
	for n := range rjs.ObjectStoreNames() {
		names[n] = true
	}
	if !names["IOPOBJ"] || !names["IOPOBJ2"] {
		t.Fatal(names)
	}
	ros2, err := rjs.ObjectStore("IOPOBJ2")
	if err != nil {
		t.Fatal(err)
	}
	if s, err := ros2.GetString("x"); err != nil || s != "y" {
		t.Fatalf("%q %v", s, err)
	}
}
