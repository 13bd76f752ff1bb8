package nats

import (
	"errors"
	"testing"
	"time"
)

// Async publishes of messages with headers (natsrs_jetstream_publish_msg_async) and the
// per-publish stall wait (natsrs_js_publish_options_set_stall_wait_ms).

func waitFuture(t *testing.T, f PubAckFuture) (*PubAck, error) {
	t.Helper()
	select {
	case pa := <-f.Ok():
		return pa, nil
	case err := <-f.Err():
		return nil, err
	case <-time.After(10 * time.Second):
		t.Fatal("future not resolved")
		return nil, nil
	}
}

func TestJSPublishMsgAsyncHeaders(t *testing.T) {
	_, js := jsConn(t)
	name := jsStream(t, js)
	const n = 500
	futs := make([]PubAckFuture, 0, n)
	for i := 0; i < n; i++ {
		m := NewMsg(name + ".h")
		m.Header.Set("X-K", "v")
		m.Header.Add("X-Multi", "1")
		m.Header.Add("X-Multi", "2")
		m.Data = []byte("payload")
		f, err := js.PublishMsgAsync(m)
		if err != nil {
			t.Fatal(err)
		}
		futs = append(futs, f)
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(30 * time.Second):
		t.Fatalf("not complete; pending %d", js.PublishAsyncPending())
	}
	for i, f := range futs {
		pa, err := waitFuture(t, f)
		if err != nil || pa.Stream != name {
			t.Fatalf("%d: %+v %v", i, pa, err)
		}
		if f.Msg().Header.Get("X-K") != "v" {
			t.Fatal("future's message")
		}
	}
	raw, err := js.GetMsg(name, n)
	if err != nil || raw.Header.Get("X-K") != "v" || len(raw.Header.Values("X-Multi")) != 2 || string(raw.Data) != "payload" {
		t.Fatalf("%+v %v", raw, err)
	}
	// Options: a message id (duplicate the second time), a failed expectation.
	m := NewMsg(name + ".h")
	m.Header.Set("X-K", "id")
	f1, _ := js.PublishMsgAsync(m, MsgId("a-1"))
	f2, _ := js.PublishMsgAsync(m, MsgId("a-1"))
	pa1, err1 := waitFuture(t, f1)
	pa2, err2 := waitFuture(t, f2)
	if err1 != nil || err2 != nil || pa1.Duplicate || !pa2.Duplicate || pa1.Sequence != pa2.Sequence {
		t.Fatalf("%+v %v %+v %v", pa1, err1, pa2, err2)
	}
	f3, err := js.PublishMsgAsync(m, ExpectLastSequence(1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := waitFuture(t, f3); err == nil {
		t.Fatal("expectation did not fail")
	} else {
		var apiErr *APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode != JSErrCodeStreamWrongLastSequence {
			t.Fatalf("%T %v", err, err)
		}
	}
	// A subject no stream captures: the async error is ErrNoResponders, as nats.go.
	nm := NewMsg("nostream." + name)
	nm.Header.Set("X-K", "v")
	f4, err := js.PublishMsgAsync(nm)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := waitFuture(t, f4); !errors.Is(err, ErrNoResponders) {
		t.Fatal(err)
	}
	rm := NewMsg(name + ".h")
	rm.Reply = "r"
	if _, err := js.PublishMsgAsync(rm); err != ErrAsyncPublishReplySubjectSet {
		t.Fatal(err)
	}
	if js.PublishAsyncPending() != 0 {
		<-js.PublishAsyncComplete()
	}
}

// A window of one held by a publish nobody acks (a core subscriber takes it and never
// replies; its ack times out after 500ms): a short StallWait fails at once with
// ErrTooManyStalledMsgs, a long one waits for the slot and succeeds (the context's 200ms would
// have failed).
func TestJSStallWait(t *testing.T) {
	nc, js := jsConn(t, PublishAsyncMaxPending(1), PublishAsyncTimeout(500*time.Millisecond))
	name := jsStream(t, js)
	sink := "sink." + name
	sub, err := nc.SubscribeSync(sink)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	nc.Flush()
	for _, withHdr := range []bool{false, true} {
		held, err := js.PublishAsync(sink, []byte("held"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sub.NextMsg(5 * time.Second); err != nil {
			t.Fatal(err)
		}
		m := NewMsg(name + ".a")
		m.Data = []byte("x")
		if withHdr {
			m.Header.Set("X-K", "v")
		}
		if _, err := js.PublishMsgAsync(m, StallWait(10*time.Millisecond)); err != ErrTooManyStalledMsgs {
			t.Fatal(withHdr, err)
		}
		f, err := js.PublishMsgAsync(m, StallWait(20*time.Second))
		if err != nil {
			t.Fatal(withHdr, err)
		}
		if _, err := waitFuture(t, held); err != ErrAsyncPublishTimeout {
			t.Fatal(withHdr, err)
		}
		if pa, err := waitFuture(t, f); err != nil || pa.Stream != name {
			t.Fatal(withHdr, pa, err)
		}
	}
}
