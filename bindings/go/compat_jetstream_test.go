package nats

import (
	"context"
	"errors"
	"testing"
	"time"
)

// JetStream, key-value and object store errors as nats.go gives them (texts included), found by
// running the same programs against both.

func TestJSErrorsAsNatsGo(t *testing.T) {
	_, js := jsConn(t)
	name := jsStream(t, js)

	// a server error is "nats: <the server's description>"
	_, err := js.StreamInfo("NO_SUCH_STREAM_X")
	if !errors.Is(err, ErrStreamNotFound) || err.Error() != "nats: stream not found" {
		t.Fatalf("StreamInfo of a missing stream: %q", err)
	}
	if _, err := js.AddConsumer(name, &ConsumerConfig{Durable: "C1", AckPolicy: AckExplicitPolicy}); err != nil {
		t.Fatal(err)
	}
	_, err = js.AddConsumer(name, &ConsumerConfig{Durable: "C1", AckPolicy: AckExplicitPolicy, Description: "other"})
	want := `nats: consumer name already in use: creating consumer "C1" on stream "` + name + `"`
	if !errors.Is(err, ErrConsumerNameAlreadyInUse) || err.Error() != want {
		t.Fatalf("AddConsumer with another configuration: %q", err)
	}
	var aerr *APIError
	if _, err := js.AddStream(&StreamConfig{Name: name, Subjects: []string{"other.subject.x"}}); !errors.As(err, &aerr) ||
		aerr.Description == "" || aerr.Description[0] == 'J' {
		t.Fatalf("APIError.Description is the server's: %v", err)
	}
	// UpdateConsumer creates a missing consumer (nats.go's create-or-update)
	if _, err := js.UpdateConsumer(name, &ConsumerConfig{Durable: "NEW1", AckPolicy: AckExplicitPolicy}); err != nil {
		t.Fatalf("UpdateConsumer of a missing consumer: %v", err)
	}
	if _, err := js.ConsumerInfo(name, "NEW1"); err != nil {
		t.Fatal(err)
	}
	if _, err := js.AddConsumer(name, &ConsumerConfig{Durable: "a.b"}); err != ErrInvalidConsumerName {
		t.Fatalf("AddConsumer with a bad name: %v", err)
	}
	if _, err := js.SubscribeSync(name+".a", Durable("a.b")); err != ErrInvalidConsumerName {
		t.Fatalf("Durable with a bad name: %v", err)
	}
	// a durable already bound
	if _, err := js.SubscribeSync(name+".a", Durable("D1")); err != nil {
		t.Fatal(err)
	}
	if _, err := js.SubscribeSync(name+".a", Durable("D1")); err == nil ||
		err.Error() != "consumer is already bound to a subscription" {
		t.Fatalf("second subscription on a bound durable: %v", err)
	}
	err = js.PurgeStream(name, &StreamPurgeRequest{Sequence: 2, Keep: 1})
	if !errors.Is(err, ErrBadRequest) || err.Error() != "nats: bad request: invalid purge request body" {
		t.Fatalf("purge with sequence and keep: %q", err)
	}
	// a fetch that ends with its context's deadline gives the context's error
	pull, err := js.PullSubscribe(name+".a", "P1")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		_, err := pull.Fetch(1, Context(ctx))
		cancel()
		if err != context.DeadlineExceeded {
			t.Fatalf("fetch past the context's deadline: %v", err)
		}
	}
}

func TestKVAndObjectErrorsAsNatsGo(t *testing.T) {
	_, js := jsConn(t)
	kv := kvBucket(t, js, 5)
	lister, err := kv.ListKeys()
	if err != nil {
		t.Fatal(err)
	}
	for range lister.Keys() {
		t.Fatal("a key in an empty bucket")
	}
	if err := lister.Stop(); err != ErrBadSubscription {
		t.Fatalf("Stop of a finished lister: %v", err)
	}
	if _, err := kv.Put("k", []byte("1")); err != nil {
		t.Fatal(err)
	}
	_, err = kv.Create("k", []byte("2"))
	if !errors.Is(err, ErrKeyExists) || err.Error() != "nats: wrong last sequence: 1: key exists" {
		t.Fatalf("Create of an existing key: %q", err)
	}
	_, err = kv.Update("k", []byte("3"), 7)
	if !errors.Is(err, ErrKeyRevisionMismatch) || err.Error() != "nats: wrong last sequence: 1: nats: key revision mismatch" {
		t.Fatalf("Update with a wrong revision: %q", err)
	}
	os := objStore(t, js)
	if err := os.UpdateMeta("missing", &ObjectMeta{Name: "missing"}); err != ErrUpdateMetaDeleted {
		t.Fatalf("UpdateMeta of a missing object: %v", err)
	}
}
