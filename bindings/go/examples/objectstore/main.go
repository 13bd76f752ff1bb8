// Object store: create a store, put an object streamed from a reader (never whole in memory),
// read it back as a stream and check its digest, add a link, watch for changes, list and delete.
// The server (NATS_URL, default nats.DefaultURL) must run with JetStream (-js).
package main

import (
	"crypto/sha256"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"github.com/libnatsrs/natsrs/bindings/go"
)

// pattern yields n bytes of a repeating pattern.
type pattern struct{ n, off int }

func (p *pattern) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	k := min(len(b), p.n-p.off)
	for i := range k {
		b[i] = byte('a' + (p.off+i)%26)
	}
	p.off += k
	return k, nil
}

func main() {
	url := os.Getenv("NATS_URL")
	if url == "" {
		url = nats.DefaultURL
	}
	nc, err := nats.Connect(url)
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()
	js, err := nc.JetStream()
	if err != nil {
		log.Fatal(err)
	}

	obs, err := js.CreateObjectStore(&nats.ObjectStoreConfig{Bucket: "FILES", Description: "example files"})
	if err != nil {
		log.Fatal(err)
	}
	defer js.DeleteObjectStore("FILES")

	w, err := obs.Watch(nats.UpdatesOnly())
	if err != nil {
		log.Fatal(err)
	}
	defer w.Stop()

	// Put 5 MiB streamed from a reader.
	info, err := obs.Put(&nats.ObjectMeta{Name: "report.txt", Description: "a big report"}, &pattern{n: 5 << 20})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("put %s: %d bytes in %d chunks, %s\n", info.Name, info.Size, info.Chunks, info.Digest)

	select {
	case u := <-w.Updates():
		fmt.Printf("watch: %s changed\n", u.Name)
	case <-time.After(5 * time.Second):
		log.Fatal("no watch update")
	}

	// Get it back as a stream and check the digest.
	res, err := obs.Get("report.txt")
	if err != nil {
		log.Fatal(err)
	}
	h := sha256.New()
	n, err := io.Copy(h, res)
	res.Close()
	if err != nil {
		log.Fatal(err)
	}
	if nats.GetObjectDigestValue(h) != info.Digest {
		log.Fatal("digest mismatch")
	}
	fmt.Printf("got %d bytes back, digest ok\n", n)

	// Small objects, a link, a listing.
	if _, err := obs.PutString("hello.txt", "hello world"); err != nil {
		log.Fatal(err)
	}
	if _, err := obs.AddLink("latest", info); err != nil {
		log.Fatal(err)
	}
	s, err := obs.GetString("hello.txt")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("hello.txt: %q\n", s)
	list, err := obs.List()
	if err != nil {
		log.Fatal(err)
	}
	for _, o := range list {
		fmt.Printf("  %s (%d bytes)\n", o.Name, o.Size)
	}
	if err := obs.Delete("hello.txt"); err != nil {
		log.Fatal(err)
	}
	status, err := obs.Status()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("store %s: %d bytes stored\n", status.Bucket(), status.Size())
	fmt.Println("objectstore example done")
}
