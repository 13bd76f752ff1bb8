package nats

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
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

func TestJSPublishAsync(t *testing.T) {
	_, js := jsConn(t, PublishAsyncMaxPending(256))
	name := jsStream(t, js)
	var futs []PubAckFuture
	for i := 0; i < 500; i++ {
		f, err := js.PublishAsync(name+".a", []byte("hello"))
		if err != nil {
			t.Fatal(err)
		}
		futs = append(futs, f)
	}
	// With headers (sent as a non-blocking request).
	hm := NewMsg(name + ".h")
	hm.Header.Set("K", "V")
	hf, err := js.PublishMsgAsync(hm, MsgId("h1"))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(10 * time.Second):
		t.Fatalf("not complete; pending %d", js.PublishAsyncPending())
	}
	if n := js.PublishAsyncPending(); n != 0 {
		t.Fatalf("pending %d", n)
	}
	seen := map[uint64]bool{}
	for _, f := range futs {
		select {
		case pa := <-f.Ok():
			if pa.Stream != name || seen[pa.Sequence] {
				t.Fatalf("%+v", pa)
			}
			seen[pa.Sequence] = true
		case err := <-f.Err():
			t.Fatal(err)
		case <-time.After(5 * time.Second):
			t.Fatal("future not resolved")
		}
		if string(f.Msg().Data) != "hello" {
			t.Fatal("Msg")
		}
	}
	select {
	case pa := <-hf.Ok():
		if pa.Sequence != 501 {
			t.Fatalf("%+v", pa)
		}
	case err := <-hf.Err():
		t.Fatal(err)
	}
	raw, err := js.GetMsg(name, 501)
	if err != nil || raw.Header.Get("K") != "V" || raw.Header.Get(MsgIdHdr) != "h1" {
		t.Fatalf("%+v %v", raw, err)
	}
	// Errors arrive on Err() and at the PublishAsyncErrHandler.
	errs := make(chan error, 2)
	_, js2 := jsConn(t, PublishAsyncErrHandler(func(_ JetStream, m *Msg, err error) { errs <- err }))
	f, err := js2.PublishAsync(name+".a", []byte("x"), ExpectLastSequence(1))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-f.Err():
		var ae *APIError
		if !errors.As(err, &ae) || ae.ErrorCode != JSErrCodeStreamWrongLastSequence {
			t.Fatalf("%v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no error")
	}
	select {
	case <-errs:
	case <-time.After(5 * time.Second):
		t.Fatal("no error handler call")
	}
	f, _ = js2.PublishAsync("nostream.async", []byte("x"))
	select {
	case err := <-f.Err():
		if err != ErrNoResponders {
			t.Fatalf("%v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no error")
	}
	if _, err := js.PublishMsgAsync(&Msg{Subject: name + ".a", Reply: "r"}); err != ErrAsyncPublishReplySubjectSet {
		t.Fatal(err)
	}
}

func TestJSSubscribeAsync(t *testing.T) {
	_, js := jsConn(t)
	name := jsStream(t, js)
	for i := 0; i < 10; i++ {
		js.Publish(name+".a", []byte(fmt.Sprint(i)))
	}
	got := make(chan *Msg, 100)
	sub, err := js.Subscribe(name+".*", func(m *Msg) { got <- m })
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		select {
		case m := <-got:
			if string(m.Data) != fmt.Sprint(i) {
				t.Fatalf("%d: %s", i, m.Data)
			}
			md, err := m.Metadata()
			if err != nil || md.Stream != name || md.Sequence.Stream != uint64(i+1) || md.NumDelivered != 1 || md.Timestamp.IsZero() {
				t.Fatalf("%+v %v", md, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("missing %d", i)
		}
	}
	ci, err := sub.ConsumerInfo()
	if err != nil {
		t.Fatal(err)
	}
	// Auto-ack: everything gets acked.
	waitFor(t, 5*time.Second, func() bool {
		ci, err = sub.ConsumerInfo()
		return err == nil && ci.NumAckPending == 0 && ci.Delivered.Stream == 10
	})
	if ci.Config.AckPolicy != AckExplicitPolicy || ci.Stream != name {
		t.Fatalf("%+v", ci)
	}
	consumer := ci.Name
	if !sub.IsValid() {
		t.Fatal("not valid")
	}
	if err := sub.Unsubscribe(); err != nil {
		t.Fatal(err)
	}
	if sub.IsValid() {
		t.Fatal("valid after unsubscribe")
	}
	// nats.go semantics: Unsubscribe deletes the ephemeral consumer it created.
	if _, err := js.ConsumerInfo(name, consumer); err != ErrConsumerNotFound {
		t.Fatalf("consumer still there: %v", err)
	}
	if err := sub.Unsubscribe(); err != ErrBadSubscription {
		t.Fatalf("second unsubscribe: %v", err)
	}
}

func TestJSManualAckNakTerm(t *testing.T) {
	_, js := jsConn(t)
	name := jsStream(t, js)
	js.Publish(name+".a", []byte("one"))
	js.Publish(name+".a", []byte("two"))
	got := make(chan *Msg, 100)
	sub, err := js.Subscribe(name+".a", func(m *Msg) { got <- m }, ManualAck(), Durable("MAN"), AckWait(time.Second), MaxDeliver(3), DeliverAll())
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	next := func() *Msg {
		t.Helper()
		select {
		case m := <-got:
			return m
		case <-time.After(5 * time.Second):
			t.Fatal("no message")
		}
		return nil
	}
	m1, m2 := next(), next()
	if err := m1.InProgress(); err != nil {
		t.Fatal(err)
	}
	if err := m1.Nak(); err != nil {
		t.Fatal(err)
	}
	if err := m1.Ack(); err != ErrMsgAlreadyAckd {
		t.Fatalf("ack after nak: %v", err)
	}
	if err := m2.TermWithReason("bad"); err != nil {
		t.Fatal(err)
	}
	r := next() // m1 redelivered
	md, _ := r.Metadata()
	if string(r.Data) != "one" || md.NumDelivered != 2 {
		t.Fatalf("%s %+v", r.Data, md)
	}
	if err := r.AckSync(); err != nil {
		t.Fatal(err)
	}
	ci, err := js.ConsumerInfo(name, "MAN")
	if err != nil || ci.Config.MaxDeliver != 3 || ci.Config.AckWait != time.Second || ci.NumAckPending != 0 {
		t.Fatalf("%+v %v", ci, err)
	}
	select {
	case m := <-got:
		t.Fatalf("unexpected redelivery %s", m.Data)
	case <-time.After(1500 * time.Millisecond):
	}
	if err := (&Msg{Subject: "x"}).Ack(); err != ErrMsgNotBound {
		t.Fatal(err)
	}
}

func TestJSNakWithDelay(t *testing.T) {
	_, js := jsConn(t)
	name := jsStream(t, js)
	js.Publish(name+".a", []byte("d"))
	sub, err := js.SubscribeSync(name+".a", AckExplicit())
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	m, err := sub.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.NakWithDelay(200 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	m, err = sub.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	md, _ := m.Metadata()
	if md.NumDelivered != 2 {
		t.Fatalf("%+v", md)
	}
	m.Term()
}

func TestJSSyncChanQueue(t *testing.T) {
	_, js := jsConn(t)
	name := jsStream(t, js)
	for i := 0; i < 5; i++ {
		js.Publish(name+".a", []byte(fmt.Sprint(i)))
	}
	sub, err := js.SubscribeSync(name+".*", Durable("MONITOR"), MaxDeliver(3))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		m, err := sub.NextMsg(5 * time.Second)
		if err != nil || string(m.Data) != fmt.Sprint(i) {
			t.Fatalf("%d: %v %v", i, m, err)
		}
		m.Ack()
	}
	if _, err := sub.NextMsg(100 * time.Millisecond); err != ErrTimeout {
		t.Fatalf("want timeout: %v", err)
	}
	ci, err := js.ConsumerInfo(name, "MONITOR")
	if err != nil || ci.Config.MaxDeliver != 3 || ci.Config.Durable != "MONITOR" {
		t.Fatalf("%+v %v", ci, err)
	}
	if err := sub.Unsubscribe(); err != nil {
		t.Fatal(err)
	}

	ch := make(chan *Msg, 16)
	csub, err := js.ChanSubscribe(name+".a", ch, DeliverLast())
	if err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-ch:
		if string(m.Data) != "4" {
			t.Fatalf("DeliverLast: %s", m.Data)
		}
		m.Ack()
	case <-time.After(5 * time.Second):
		t.Fatal("chan: nothing")
	}
	csub.Unsubscribe()

	// Queue group: each message goes to one member.
	var n1, n2 atomic.Int32
	q1, err := js.QueueSubscribe(name+".q", "workers", func(m *Msg) { n1.Add(1) }, DeliverNew())
	if err != nil {
		t.Fatal(err)
	}
	q2, err := js.QueueSubscribe(name+".q", "workers", func(m *Msg) { n2.Add(1) }, DeliverNew())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		js.Publish(name+".q", []byte("w"))
	}
	waitFor(t, 5*time.Second, func() bool { return n1.Load()+n2.Load() == 20 })
	q1.Unsubscribe()
	q2.Unsubscribe()
	// QueueSubscribeSync: two sync members share the messages.
	s1, err := js.QueueSubscribeSync(name+".q", "syncq", DeliverNew())
	if err != nil {
		t.Fatal(err)
	}
	s2, err := js.QueueSubscribeSync(name+".q", "syncq", DeliverNew())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		js.Publish(name+".q", []byte("s"))
	}
	total := 0
	for _, s := range []*Subscription{s1, s2} {
		for {
			m, err := s.NextMsg(300 * time.Millisecond)
			if err == ErrTimeout {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			m.Ack()
			total++
		}
	}
	if total != 10 {
		t.Fatalf("queue sync members got %d of 10", total)
	}
	s1.Unsubscribe()
	if _, err := s1.NextMsg(10 * time.Millisecond); err != ErrBadSubscription {
		t.Fatalf("after unsubscribe: %v", err)
	}
	s2.Unsubscribe()
	if _, err := js.SubscribeSync("nostream.sub"); err == nil {
		t.Fatal("subscribe without stream")
	}
}

func TestJSStartSequenceTimeBind(t *testing.T) {
	_, js := jsConn(t)
	name := jsStream(t, js)
	for i := 1; i <= 5; i++ {
		js.Publish(name+".a", []byte(fmt.Sprint(i)))
	}
	sub, err := js.SubscribeSync(name+".a", StartSequence(4), AckNone())
	if err != nil {
		t.Fatal(err)
	}
	m, err := sub.NextMsg(5 * time.Second)
	if err != nil || string(m.Data) != "4" {
		t.Fatalf("%v %v", m, err)
	}
	if err := m.Ack(); err != ErrCantAckIfConsumerAckNone {
		t.Fatalf("ack none: %v", err)
	}
	sub.Unsubscribe()
	sub, err = js.SubscribeSync(name+".a", StartTime(time.Now().Add(-time.Hour)), BindStream(name))
	if err != nil {
		t.Fatal(err)
	}
	if m, err := sub.NextMsg(5 * time.Second); err != nil || string(m.Data) != "1" {
		t.Fatalf("%v %v", m, err)
	}
	sub.Unsubscribe()
	// Bind to an existing push consumer; it is not deleted on Unsubscribe.
	inbox := NewInbox()
	if _, err := js.AddConsumer(name, &ConsumerConfig{Durable: "PUSH", DeliverSubject: inbox, AckPolicy: AckExplicitPolicy}); err != nil {
		t.Fatal(err)
	}
	sub, err = js.SubscribeSync(name+".a", Bind(name, "PUSH"))
	if err != nil {
		t.Fatal(err)
	}
	if m, err := sub.NextMsg(5 * time.Second); err != nil || string(m.Data) != "1" {
		t.Fatalf("%v %v", m, err)
	}
	sub.Unsubscribe()
	if _, err := js.ConsumerInfo(name, "PUSH"); err != nil {
		t.Fatalf("bound consumer deleted: %v", err)
	}
	if _, err := js.SubscribeSync(name+".a", Bind(name, "NOPE")); !errors.Is(err, ErrConsumerNotFound) {
		t.Fatalf("bind missing: %v", err)
	}
	if _, err := js.PullSubscribe(name+".a", "", Bind(name, "PUSH")); err != ErrPullSubscribeToPushConsumer {
		t.Fatalf("pull on push: %v", err)
	}
}

func TestJSPullFetch(t *testing.T) {
	_, js := jsConn(t)
	name := jsStream(t, js)
	for i := 0; i < 25; i++ {
		js.Publish(name+".a", []byte(fmt.Sprint(i)))
	}
	sub, err := js.PullSubscribe(name+".*", "PULLER")
	if err != nil {
		t.Fatal(err)
	}
	if sub.Type() != PullSubscription {
		t.Fatal(sub.Type())
	}
	msgs, err := sub.Fetch(10)
	if err != nil || len(msgs) != 10 {
		t.Fatalf("%d %v", len(msgs), err)
	}
	for i, m := range msgs {
		if string(m.Data) != fmt.Sprint(i) {
			t.Fatalf("%d: %s", i, m.Data)
		}
		if err := m.Ack(); err != nil {
			t.Fatal(err)
		}
	}
	msgs, err = sub.Fetch(100, MaxWait(2*time.Second))
	if err != nil || len(msgs) != 15 {
		t.Fatalf("short batch: %d %v", len(msgs), err)
	}
	for _, m := range msgs {
		m.AckSync()
	}
	if _, err := sub.Fetch(5, MaxWait(200*time.Millisecond)); err != ErrTimeout {
		t.Fatalf("empty: %v", err)
	}
	js.Publish(name+".a", []byte("late"))
	mb, err := sub.FetchBatch(5, MaxWait(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var got []*Msg
	for m := range mb.Messages() {
		got = append(got, m)
	}
	<-mb.Done()
	if mb.Error() != nil || len(got) != 1 || string(got[0].Data) != "late" {
		t.Fatalf("%v %v", got, mb.Error())
	}
	if _, err := sub.NextMsg(time.Millisecond); err != ErrTypeSubscription {
		t.Fatalf("NextMsg on pull: %v", err)
	}
	if _, err := sub.Fetch(1, MaxWait(time.Second), Context(nil)); err == nil {
		t.Fatal("context and timeout")
	}
	ci, err := sub.ConsumerInfo()
	if err != nil || ci.Name != "PULLER" || ci.NumAckPending != 1 {
		t.Fatalf("%+v %v", ci, err)
	}
	// Seed: a push subscription cannot bind a pull consumer.
	if _, err := js.SubscribeSync(name+".*", Durable("PULLER")); err != ErrPullSubscribeRequired {
		t.Fatalf("push on pull: %v", err)
	}
	if err := sub.Unsubscribe(); err != nil {
		t.Fatal(err)
	}
	if _, err := js.ConsumerInfo(name, "PULLER"); err != ErrConsumerNotFound {
		t.Fatalf("created durable not deleted: %v", err)
	}
	if _, err := sub.Fetch(1); err != ErrBadSubscription {
		t.Fatalf("fetch after unsubscribe: %v", err)
	}
}

func TestJSDrain(t *testing.T) {
	_, js := jsConn(t)
	name := jsStream(t, js)
	var n atomic.Int32
	sub, err := js.Subscribe(name+".a", func(m *Msg) { n.Add(1); time.Sleep(time.Millisecond) })
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		js.Publish(name+".a", nil)
	}
	waitFor(t, 5*time.Second, func() bool { return n.Load() > 0 })
	if err := sub.Drain(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, func() bool { return !sub.IsValid() })
	pull, err := js.PullSubscribe(name+".a", "DR")
	if err != nil {
		t.Fatal(err)
	}
	if err := pull.Drain(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, func() bool { return !pull.IsValid() })
}

func TestJSManagement(t *testing.T) {
	_, js := jsConn(t)
	name := jsStream(t, js)
	si, err := js.UpdateStream(&StreamConfig{Name: name, Subjects: []string{name + ".>"}, Storage: MemoryStorage, MaxMsgs: 100, MaxAge: time.Hour, Description: "upd"})
	if err != nil || si.Config.MaxMsgs != 100 || si.Config.MaxAge != time.Hour || si.Config.Description != "upd" {
		t.Fatalf("%+v %v", si, err)
	}
	for i := 0; i < 10; i++ {
		js.Publish(fmt.Sprintf("%s.s%d", name, i%2), []byte("x"))
	}
	if err := js.PurgeStream(name, &StreamPurgeRequest{Subject: name + ".s0"}); err != nil {
		t.Fatal(err)
	}
	si, _ = js.StreamInfo(name)
	if si.State.Msgs != 5 {
		t.Fatalf("after subject purge: %d", si.State.Msgs)
	}
	if err := js.PurgeStream(name, &StreamPurgeRequest{Keep: 2}); err != nil {
		t.Fatal(err)
	}
	si, _ = js.StreamInfo(name)
	if si.State.Msgs != 2 {
		t.Fatalf("after keep purge: %d", si.State.Msgs)
	}
	if err := js.PurgeStream(name); err != nil {
		t.Fatal(err)
	}
	si, _ = js.StreamInfo(name)
	if si.State.Msgs != 0 {
		t.Fatalf("after purge: %d", si.State.Msgs)
	}

	ci, err := js.AddConsumer(name, &ConsumerConfig{Durable: "C1", AckPolicy: AckExplicitPolicy, MaxDeliver: 5, FilterSubject: name + ".s1", Metadata: map[string]string{"k": "v"}})
	if err != nil || ci.Name != "C1" || ci.Config.MaxDeliver != 5 || ci.Config.Metadata["k"] != "v" {
		t.Fatalf("%+v %v", ci, err)
	}
	ci, err = js.UpdateConsumer(name, &ConsumerConfig{Durable: "C1", AckPolicy: AckExplicitPolicy, MaxDeliver: 7, FilterSubject: name + ".s1", Description: "d"})
	if err != nil || ci.Config.MaxDeliver != 7 || ci.Config.Description != "d" {
		t.Fatalf("update: %+v %v", ci, err)
	}
	if _, err := js.AddConsumer(name, &ConsumerConfig{Name: "C2", AckPolicy: AckNonePolicy, DeliverPolicy: DeliverNewPolicy}); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for n := range js.ConsumerNames(name) {
		names[n] = true
	}
	if len(names) != 2 || !names["C1"] || !names["C2"] {
		t.Fatalf("%v", names)
	}
	infos := 0
	for ci := range js.Consumers(name) {
		if ci.Stream != name {
			t.Fatal(ci)
		}
		infos++
	}
	if infos != 2 {
		t.Fatal(infos)
	}
	if err := js.DeleteConsumer(name, "C2"); err != nil {
		t.Fatal(err)
	}
	if err := js.DeleteConsumer(name, "C2"); !errors.Is(err, ErrConsumerNotFound) {
		t.Fatal(err)
	}
	found := false
	for n := range js.StreamNames() {
		found = found || n == name
	}
	if !found {
		t.Fatal("StreamNames")
	}
	filtered := 0
	for n := range js.StreamNames(StreamListFilter(name + ".s1")) {
		if n != name {
			t.Fatal(n)
		}
		filtered++
	}
	if filtered != 1 {
		t.Fatal(filtered)
	}
	found = false
	for si := range js.Streams() {
		found = found || si.Config.Name == name
	}
	if !found {
		t.Fatal("Streams")
	}
	filtered = 0
	for si := range js.Streams(StreamListFilter(name + ".s1")) {
		if si.Config.Name != name || si.State.Consumers != 1 {
			t.Fatalf("%+v", si)
		}
		filtered++
	}
	if filtered != 1 {
		t.Fatal("Streams filtered", filtered)
	}
	for range js.Consumers("NO_SUCH_STREAM_X") {
		t.Fatal("consumers of a missing stream")
	}
	if s, err := js.StreamNameBySubject(name + ".zz"); err != nil || s != name {
		t.Fatal(s, err)
	}
	ai, err := js.AccountInfo()
	if err != nil || ai.Streams < 1 || ai.Consumers < 1 {
		t.Fatalf("%+v %v", ai, err)
	}
	// Per-call options: a context deadline and MaxWait run on their own C context.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := js.StreamInfo(name, Context(ctx)); err != nil {
		t.Fatal(err)
	}
	if _, err := js.StreamInfo(name, MaxWait(time.Second)); err != nil {
		t.Fatal(err)
	}
	done, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if _, err := js.StreamInfo(name, Context(done)); err != context.Canceled {
		t.Fatal(err)
	}
	// JSON of the configs: nats.go's names.
	b, _ := json.Marshal(&ConsumerConfig{AckPolicy: AckAllPolicy, DeliverPolicy: DeliverLastPerSubjectPolicy, ReplayPolicy: ReplayOriginalPolicy})
	if !strings.Contains(string(b), `"ack_policy":"all"`) || !strings.Contains(string(b), `"deliver_policy":"last_per_subject"`) || !strings.Contains(string(b), `"replay_policy":"original"`) {
		t.Fatal(string(b))
	}
}

func TestJSNotEnabled(t *testing.T) {
	s := startServer(t) // no -js
	nc, err := Connect(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := nc.JetStream()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.AccountInfo(); !errors.Is(err, ErrJetStreamNotEnabled) {
		t.Fatalf("%v", err)
	}
	if _, err := js.AddStream(&StreamConfig{Name: "X"}); !errors.Is(err, ErrJetStreamNotEnabled) {
		t.Fatalf("%v", err)
	}
	if _, err := js.Publish("x", nil, RetryAttempts(0)); err != ErrNoStreamResponse {
		t.Fatalf("%v", err)
	}
}

// A closed connection ends JetStream subscriptions; every handle given to C is released.
func TestJSCloseReleases(t *testing.T) {
	handles0 := liveHandles.Load()
	func() {
		nc := connect(t)
		js, _ := nc.JetStream()
		name := jsStream(t, js)
		js.Publish(name+".a", []byte("x"))
		var subs []*Subscription
		for i := 0; i < 5; i++ {
			s, err := js.Subscribe(name+".a", func(*Msg) {})
			if err != nil {
				t.Fatal(err)
			}
			subs = append(subs, s)
		}
		sync, _ := js.SubscribeSync(name + ".a")
		pull, _ := js.PullSubscribe(name+".a", "")
		for i := 0; i < 50; i++ {
			js.PublishAsync(name+".a", []byte("y"))
		}
		<-js.PublishAsyncComplete()
		js2, _ := nc.JetStream()
		js.DeleteStream(name)
		_ = js2
		nc.Close()
		for _, s := range append(subs, sync, pull) {
			if s.IsValid() {
				t.Fatal("valid after close")
			}
		}
		if _, err := sync.NextMsg(10 * time.Millisecond); err != ErrConnectionClosed && err != ErrBadSubscription {
			t.Fatalf("%v", err)
		}
	}()
	waitFor(t, 10*time.Second, func() bool {
		runtime.GC()
		return liveHandles.Load() <= handles0
	})
}

func TestJSOptionsMisc(t *testing.T) {
	_, js := jsConn(t, APIPrefix("$JS.API"), MaxWait(3*time.Second), PublishAsyncTimeout(2*time.Second))
	name := jsStream(t, js)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := js.Publish(name+".a", []byte("1"), Context(ctx)); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(name+".a", []byte("1"), Context(ctx), AckWait(time.Second)); err != ErrContextAndTimeout {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		js.Publish(fmt.Sprintf("%s.f%d", name, i), []byte(fmt.Sprint(i)))
	}
	// Filter subjects, NextMsgWithContext, AutoUnsubscribe on a JetStream subscription.
	sub, err := js.SubscribeSync(name+".f0", ConsumerFilterSubjects(name+".f1", name+".f2"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"1", "2"} {
		m, err := sub.NextMsgWithContext(ctx)
		if err != nil || string(m.Data) != want {
			t.Fatalf("%v %v", m, err)
		}
	}
	short, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	if _, err := sub.NextMsgWithContext(short); err != context.DeadlineExceeded {
		t.Fatalf("%v", err)
	}
	sub.Unsubscribe()
	var n atomic.Int32
	ready := make(chan struct{}) // the first delivery waits until the limit is set
	asub, err := js.Subscribe(name+".>", func(*Msg) {
		<-ready
		n.Add(1)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := asub.AutoUnsubscribe(2); err != nil {
		t.Fatal(err)
	}
	close(ready)
	waitFor(t, 5*time.Second, func() bool { return !asub.IsValid() })
	if n.Load() != 2 {
		t.Fatalf("AutoUnsubscribe: %d", n.Load())
	}
	// Pull by bytes.
	pull, err := js.PullSubscribe(name+".>", "", AckNone())
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := pull.Fetch(10, PullMaxBytes(1024))
	if err != nil || len(msgs) != 5 {
		t.Fatalf("%d %v", len(msgs), err)
	}
	if _, err := pull.Fetch(1, PullHeartbeat(time.Second), MaxWait(time.Second)); !errors.Is(err, ErrInvalidArg) {
		t.Fatal(err)
	}
	pull.Unsubscribe()
	if _, err := js.PullSubscribe(name+".a", "", DeliverSubject("my.inbox")); err != ErrPullSubscribeToPushConsumer {
		t.Fatal(err)
	}
	if _, err := js.SubscribeSync(name+".a", Durable("a.b")); err != ErrInvalidConsumerName { // (nats.go 1.55)
		t.Fatal(err)
	}
	if _, err := js.PublishAsync(name+".a", nil, StallWait(0)); err == nil {
		t.Fatal("StallWait(0) accepted")
	}
	// Direct get and message TTLs (the stream allows both).
	dname := name + "D"
	if _, err := js.AddStream(&StreamConfig{Name: dname, Subjects: []string{dname + ".>"}, AllowDirect: true, AllowMsgTTL: true, Storage: MemoryStorage}); err != nil {
		t.Fatal(err)
	}
	defer js.DeleteStream(dname)
	if _, err := js.Publish(dname+".k", []byte("v1"), MsgTTL(time.Minute)); err != nil {
		t.Fatal(err)
	}
	f, err := js.PublishAsync(dname+".k", []byte("v2"), MsgTTL(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-f.Ok():
	case err := <-f.Err():
		t.Fatal(err)
	case <-time.After(5 * time.Second):
		t.Fatal("TTL publish not acked")
	}
	raw, err := js.GetLastMsg(dname, dname+".k", DirectGet())
	if err != nil || string(raw.Data) != "v2" || raw.Header.Get(MsgTTLHdr) != "1m0s" {
		t.Fatalf("%+v %v", raw, err)
	}
	raw, err = js.GetMsg(dname, 1, DirectGet())
	if err != nil || string(raw.Data) != "v1" {
		t.Fatalf("%+v %v", raw, err)
	}
	// A JetStream context on another domain's prefix finds nothing (no such API there).
	_, other := jsConn(t, Domain("nowhere"), MaxWait(500*time.Millisecond))
	if _, err := other.AccountInfo(); err == nil {
		t.Fatal("domain without JetStream answered")
	}
}

// A panic in a JetStream handler is recovered and reported; the message is not acked (it is
// redelivered).
func TestJSHandlerPanic(t *testing.T) {
	errs := make(chan error, 4)
	nc := connect(t, ErrorHandler(func(_ *Conn, _ *Subscription, err error) { errs <- err }))
	js, _ := nc.JetStream()
	name := jsStream(t, js)
	js.Publish(name+".a", []byte("p"))
	var calls atomic.Int32
	sub, err := js.Subscribe(name+".a", func(m *Msg) {
		if calls.Add(1) == 1 {
			panic("boom")
		}
	}, AckWait(500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	select {
	case err := <-errs:
		if !errors.Is(err, ErrCallbackPanic) {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("panic not reported")
	}
	waitFor(t, 10*time.Second, func() bool { return calls.Load() >= 2 })
}

// A consumer that SubscribeSync, ChanSubscribe or PullSubscribe creates gets its channel's
// capacity as MaxAckPending (nats.go); a callback subscription keeps the server's default.
func TestJSSubscribeMaxAckPendingAsNatsGo(t *testing.T) {
	nc, js := jsConn(t)
	name := jsStream(t, js)
	mapOf := func(durable string) int {
		t.Helper()
		info, err := js.ConsumerInfo(name, durable)
		if err != nil {
			t.Fatalf("ConsumerInfo %s: %v", durable, err)
		}
		return info.Config.MaxAckPending
	}
	if _, err := js.SubscribeSync(name+".a", Durable("SY"), ManualAck()); err != nil {
		t.Fatal(err)
	}
	if got := mapOf("SY"); got != nc.Opts.SubChanLen || got != 65536 {
		t.Fatalf("SubscribeSync: MaxAckPending %d", got)
	}
	if _, err := js.PullSubscribe(name+".b", "PU"); err != nil {
		t.Fatal(err)
	}
	if got := mapOf("PU"); got != 65536 {
		t.Fatalf("PullSubscribe: MaxAckPending %d", got)
	}
	if _, err := js.ChanSubscribe(name+".c", make(chan *Msg, 77), Durable("CH")); err != nil {
		t.Fatal(err)
	}
	if got := mapOf("CH"); got != 77 {
		t.Fatalf("ChanSubscribe: MaxAckPending %d", got)
	}
	if _, err := js.PullSubscribe(name+".d", "PM", MaxAckPending(5)); err != nil {
		t.Fatal(err)
	}
	if got := mapOf("PM"); got != 5 {
		t.Fatalf("PullSubscribe with MaxAckPending(5): %d", got)
	}
	if _, err := js.Subscribe(name+".e", func(*Msg) {}, Durable("CB")); err != nil {
		t.Fatal(err)
	}
	if got := mapOf("CB"); got != 1000 {
		t.Fatalf("Subscribe with a callback: MaxAckPending %d (the server's default)", got)
	}
	// binding to an existing consumer leaves it as it is
	if _, err := js.AddConsumer(name, &ConsumerConfig{Durable: "EX", FilterSubject: name + ".f", AckPolicy: AckExplicitPolicy}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.PullSubscribe(name+".f", "EX"); err != nil {
		t.Fatal(err)
	}
	if got := mapOf("EX"); got != 1000 {
		t.Fatalf("PullSubscribe onto an existing consumer: MaxAckPending %d", got)
	}
}

// A subscription onto an existing consumer that filters on another subject gives
// ErrSubjectMismatch before the consumer's kind is checked (nats.go's order).
func TestJSSubscribeSubjectMismatchFirst(t *testing.T) {
	_, js := jsConn(t)
	name := jsStream(t, js)
	if _, err := js.AddConsumer(name, &ConsumerConfig{Durable: "PUSH", DeliverSubject: "dlv." + name, FilterSubject: name + ".x", AckPolicy: AckExplicitPolicy}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.AddConsumer(name, &ConsumerConfig{Durable: "PULL", FilterSubject: name + ".y", AckPolicy: AckExplicitPolicy}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.PullSubscribe(name+".other", "PUSH"); err != ErrSubjectMismatch || err.Error() != "nats: subject does not match consumer" {
		t.Fatalf("PullSubscribe onto a push durable of another subject: %v", err)
	}
	if _, err := js.PullSubscribe(name+".x", "PUSH"); err != ErrPullSubscribeToPushConsumer {
		t.Fatalf("PullSubscribe onto a push durable of that subject: %v", err)
	}
	if _, err := js.SubscribeSync(name+".other", Durable("PULL")); err != ErrSubjectMismatch {
		t.Fatalf("SubscribeSync onto a pull durable of another subject: %v", err)
	}
	if _, err := js.SubscribeSync(name+".y", Durable("PULL")); err != ErrPullSubscribeRequired {
		t.Fatalf("SubscribeSync onto a pull durable of that subject: %v", err)
	}
}
