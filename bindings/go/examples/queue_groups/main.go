// Queue groups (nats.go README "Queue Groups"): each message goes to one member of the group.
package main

import (
	"fmt"
	"log"
	"os"
	"sync/atomic"
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
	var received, a, b atomic.Int32
	nc.QueueSubscribe("jobs", "job_workers", func(_ *nats.Msg) { received.Add(1); a.Add(1) })
	nc.QueueSubscribe("jobs", "job_workers", func(_ *nats.Msg) { received.Add(1); b.Add(1) })
	// A normal subscriber still sees every message.
	all, _ := nc.SubscribeSync("jobs")
	nc.Flush()
	for i := 0; i < 100; i++ {
		nc.Publish("jobs", []byte(fmt.Sprint(i)))
	}
	nc.Flush()
	deadline := time.Now().Add(5 * time.Second)
	for received.Load() < 100 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	if received.Load() != 100 {
		log.Fatalf("queue group received %d of 100", received.Load())
	}
	if n, _, _ := all.Pending(); n != 100 {
		log.Fatalf("plain subscriber has %d of 100", n)
	}
	fmt.Printf("worker a: %d, worker b: %d\n", a.Load(), b.Load())
	fmt.Println("queue_groups: ok")
}
