// Key-value (nats.go README "KeyValue"): create a bucket, put and get values, compare-and-set
// with Update, a watcher with the initial-values marker, history, keys, delete and purge. The
// server (NATS_URL, default nats.DefaultURL) must run with JetStream (-js).
package main

import (
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/libnatsrs/natsrs/bindings/go"
)

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

	kv, err := js.CreateKeyValue(&nats.KeyValueConfig{Bucket: "PROFILES", History: 5})
	if err != nil {
		log.Fatal(err)
	}
	defer js.DeleteKeyValue("PROFILES")

	rev, err := kv.PutString("alice.color", "blue")
	if err != nil {
		log.Fatal(err)
	}
	entry, err := kv.Get("alice.color")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s @ %d -> %q\n", entry.Key(), entry.Revision(), string(entry.Value()))

	// Compare-and-set: only the writer that saw the latest revision wins.
	if _, err := kv.Update("alice.color", []byte("red"), rev); err != nil {
		log.Fatal(err)
	}
	if _, err := kv.Update("alice.color", []byte("green"), rev); errors.Is(err, nats.ErrKeyRevisionMismatch) {
		fmt.Println("stale update refused")
	} else {
		log.Fatalf("stale update: %v", err)
	}
	if _, err := kv.Create("alice.color", []byte("x")); errors.Is(err, nats.ErrKeyExists) {
		fmt.Println("create of an existing key refused")
	}

	// A watcher: current values, a nil marker, then changes.
	w, err := kv.Watch("alice.*")
	if err != nil {
		log.Fatal(err)
	}
	defer w.Stop()
	timeout := time.After(5 * time.Second)
	for done := false; !done; {
		select {
		case e := <-w.Updates():
			if e == nil {
				fmt.Println("initial values done")
				done = true
				continue
			}
			fmt.Printf("watch: %s = %q (%s)\n", e.Key(), string(e.Value()), e.Operation())
		case <-timeout:
			log.Fatal("watcher timed out")
		}
	}
	kv.PutString("alice.city", "Paris")
	select {
	case e := <-w.Updates():
		fmt.Printf("watch: %s = %q (%s)\n", e.Key(), string(e.Value()), e.Operation())
	case <-time.After(5 * time.Second):
		log.Fatal("no update")
	}

	history, err := kv.History("alice.color")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("alice.color has %d revisions\n", len(history))
	keys, err := kv.Keys()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("keys: %v\n", keys)

	if err := kv.Delete("alice.city"); err != nil {
		log.Fatal(err)
	}
	if err := kv.Purge("alice.color"); err != nil {
		log.Fatal(err)
	}
	if _, err := kv.Get("alice.color"); errors.Is(err, nats.ErrKeyNotFound) {
		fmt.Println("alice.color purged")
	}
	status, err := kv.Status()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("bucket %s: %d values, history %d\n", status.Bucket(), status.Values(), status.History())
	fmt.Println("kv example done")
}
