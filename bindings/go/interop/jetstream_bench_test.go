package interop

import (
	"fmt"
	"testing"

	natsrs "github.com/libnatsrs/natsrs/bindings/go"
	natsgo "github.com/nats-io/nats.go"
)

// JetStream publish benchmarks, the binding next to nats.go on the same server (a memory
// stream): go test -run - -bench JS -benchtime 20000x (not part of ci.sh).

var benchStream int

func benchStreamName(b *testing.B, gjs natsgo.JetStreamContext) string {
	benchStream++
	name := fmt.Sprintf("BENCH%d", benchStream)
	if _, err := gjs.AddStream(&natsgo.StreamConfig{Name: name, Subjects: []string{name + ".*"}, Storage: natsgo.MemoryStorage}); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { gjs.DeleteStream(name) })
	return name
}

func BenchmarkJSPublishSync(b *testing.B) {
	payload := make([]byte, 128)
	b.Run("natsrs", func(b *testing.B) {
		rs, gon := conns(b)
		gjs, _ := gon.JetStream()
		name := benchStreamName(b, gjs)
		js, _ := rs.JetStream()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := js.Publish(name+".x", payload); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("natsgo", func(b *testing.B) {
		_, gon := conns(b)
		gjs, _ := gon.JetStream()
		name := benchStreamName(b, gjs)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := gjs.Publish(name+".x", payload); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkJSPublishAsync(b *testing.B) {
	payload := make([]byte, 128)
	b.Run("natsrs", func(b *testing.B) {
		rs, gon := conns(b)
		gjs, _ := gon.JetStream()
		name := benchStreamName(b, gjs)
		js, _ := rs.JetStream()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := js.PublishAsync(name+".x", payload); err != nil {
				b.Fatal(err)
			}
		}
		<-js.PublishAsyncComplete()
	})
	b.Run("natsgo", func(b *testing.B) {
		_, gon := conns(b)
		gjs, _ := gon.JetStream()
		name := benchStreamName(b, gjs)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := gjs.PublishAsync(name+".x", payload); err != nil {
				b.Fatal(err)
			}
		}
		<-gjs.PublishAsyncComplete()
	})
}

func BenchmarkJSPullFetch(b *testing.B) {
	payload := make([]byte, 128)
	fill := func(b *testing.B, gjs natsgo.JetStreamContext, name string) {
		for i := 0; i < b.N; i++ {
			gjs.PublishAsync(name+".x", payload)
		}
		<-gjs.PublishAsyncComplete()
	}
	b.Run("natsrs", func(b *testing.B) {
		rs, gon := conns(b)
		gjs, _ := gon.JetStream()
		name := benchStreamName(b, gjs)
		fill(b, gjs, name)
		js, _ := rs.JetStream()
		sub, err := js.PullSubscribe(name+".x", "", natsrs.AckNone())
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for got := 0; got < b.N; {
			msgs, err := sub.Fetch(256)
			if err != nil {
				b.Fatal(err)
			}
			got += len(msgs)
		}
	})
	b.Run("natsgo", func(b *testing.B) {
		_, gon := conns(b)
		gjs, _ := gon.JetStream()
		name := benchStreamName(b, gjs)
		fill(b, gjs, name)
		sub, err := gjs.PullSubscribe(name+".x", "", natsgo.AckNone())
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for got := 0; got < b.N; {
			msgs, err := sub.Fetch(256)
			if err != nil {
				b.Fatal(err)
			}
			got += len(msgs)
		}
	})
}
