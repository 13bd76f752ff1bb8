package nats

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// JetStream tests: the default test server runs with -js (server_test.go).

var jsStreamSeq atomic.Int64

// jsStream creates a fresh stream capturing "<NAME>.>" and deletes it at the end.
func jsStream(t *testing.T, js JetStreamContext) string {
	t.Helper()
	name := fmt.Sprintf("T%d_%d", time.Now().UnixNano()%1000000, jsStreamSeq.Add(1))
	if _, err := js.AddStream(&StreamConfig{Name: name, Subjects: []string{name + ".>"}, Storage: MemoryStorage}); err != nil {
		t.Fatalf("AddStream: %v", err)
	}
	t.Cleanup(func() { js.DeleteStream(name) })
	return name
}

func jsConn(t *testing.T, opts ...JSOpt) (*Conn, JetStreamContext) {
	t.Helper()
	nc := connect(t)
	js, err := nc.JetStream(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}

func TestJSPublishAndStreamInfo(t *testing.T) {
	_, js := jsConn(t)
	name := jsStream(t, js)
	for i := 1; i <= 3; i++ {
		pa, err := js.Publish(name+".a", []byte(fmt.Sprint(i)))
		if err != nil {
			t.Fatal(err)
		}
		if pa.Stream != name || pa.Sequence != uint64(i) || pa.Duplicate {
			t.Fatalf("%+v", pa)
		}
	}
	m := NewMsg(name + ".b")
	m.Header.Set("X-K", "v")
	m.Data = []byte("hdr")
	pa, err := js.PublishMsg(m, MsgId("id-1"))
	if err != nil || pa.Sequence != 4 {
		t.Fatalf("%+v %v", pa, err)
	}
	pa, err = js.PublishMsg(m, MsgId("id-1"))
	if err != nil || !pa.Duplicate || pa.Sequence != 4 {
		t.Fatalf("duplicate: %+v %v", pa, err)
	}
	si, err := js.StreamInfo(name)
	if err != nil {
		t.Fatal(err)
	}
	if si.Config.Name != name || si.State.Msgs != 4 || si.State.LastSeq != 4 || si.Config.Storage != MemoryStorage {
		t.Fatalf("%+v", si)
	}
	raw, err := js.GetMsg(name, 4)
	if err != nil || raw.Subject != name+".b" || string(raw.Data) != "hdr" || raw.Header.Get("X-K") != "v" || raw.Sequence != 4 {
		t.Fatalf("GetMsg: %+v %v", raw, err)
	}
	raw, err = js.GetLastMsg(name, name+".a")
	if err != nil || string(raw.Data) != "3" {
		t.Fatalf("GetLastMsg: %+v %v", raw, err)
	}
	if _, err := js.GetMsg(name, 99); !errors.Is(err, ErrMsgNotFound) {
		t.Fatalf("GetMsg missing: %v", err)
	}
	if err := js.DeleteMsg(name, 1); err != nil {
		t.Fatal(err)
	}
	if err := js.SecureDeleteMsg(name, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := js.GetMsg(name, 1); !errors.Is(err, ErrMsgNotFound) {
		t.Fatalf("deleted: %v", err)
	}
}

func TestJSPublishErrors(t *testing.T) {
	_, js := jsConn(t)
	name := jsStream(t, js)
	_, err := js.Publish("nostream.here", []byte("x"), RetryAttempts(0))
	if err != ErrNoStreamResponse {
		t.Fatalf("no stream: %v", err)
	}
	if _, err := js.Publish(name+".x", []byte("1")); err != nil {
		t.Fatal(err)
	}
	_, err = js.Publish(name+".x", []byte("2"), ExpectLastSequence(7))
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode != JSErrCodeStreamWrongLastSequence {
		t.Fatalf("expect last seq: %v", err)
	}
	if _, err := js.Publish(name+".x", []byte("2"), ExpectLastSequence(1), ExpectStream(name)); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(name+".x", []byte("3"), ExpectStream("OTHER")); err == nil {
		t.Fatal("expected stream mismatch")
	}
	if _, err := js.Publish(name+".x", []byte("3"), ExpectLastSequencePerSubject(2), MsgId("m3")); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(name+".x", []byte("4"), ExpectLastMsgId("nope")); err == nil {
		t.Fatal("expected last msg id mismatch")
	}
	if _, err := js.Publish(name+".x", []byte("4"), ExpectLastMsgId("m3"), AckWait(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := js.StreamInfo("NOPE_NOT_THERE"); err != ErrStreamNotFound {
		t.Fatalf("stream info: %v", err)
	}
	if !errors.Is(js.DeleteStream("NOPE_NOT_THERE"), ErrStreamNotFound) {
		t.Fatal("delete missing stream")
	}
	if _, err := js.ConsumerInfo(name, "nope"); err != ErrConsumerNotFound {
		t.Fatalf("consumer info: %v", err)
	}
	if _, err := js.AddStream(&StreamConfig{Name: name, Subjects: []string{"other.>"}}); !errors.Is(err, ErrStreamNameAlreadyInUse) {
		t.Fatalf("name in use: %v", err)
	}
	if _, err := js.AddStream(nil); err != ErrStreamConfigRequired {
		t.Fatal(err)
	}
	if _, err := js.AddStream(&StreamConfig{Name: "a.b"}); err != ErrInvalidStreamName {
		t.Fatal(err)
	}
}
