package interop

import (
	"fmt"
	"testing"
	"time"

	natsrs "github.com/libnatsrs/natsrs/bindings/go"
	natsgo "github.com/nats-io/nats.go"
)

// JetStream in both directions: the binding publishes (sync, async, with headers and message
// ids) and nats.go's JetStream consumes and acks; nats.go publishes and the binding consumes
// (push and pull) and acks; streams and consumers made by one are managed by the other.
func TestJetStreamBindingToNatsGo(t *testing.T) {
	rs, gon := conns(t)
	rjs, err := rs.JetStream()
	if err != nil {
		t.Fatal(err)
	}
	gjs, err := gon.JetStream()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rjs.AddStream(&natsrs.StreamConfig{Name: "IOP1", Subjects: []string{"iop1.*"}, Storage: natsrs.MemoryStorage}); err != nil {
		t.Fatal(err)
	}
	defer rjs.DeleteStream("IOP1")
	// nats.go sees the stream the binding made.
	si, err := gjs.StreamInfo("IOP1")
	if err != nil || si.Config.Storage != natsgo.MemoryStorage || si.Config.Subjects[0] != "iop1.*" {
		t.Fatalf("%+v %v", si, err)
	}
	for i := 0; i < 50; i++ {
		if _, err := rjs.Publish("iop1.a", []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	for i := 50; i < 100; i++ {
		if _, err := rjs.PublishAsync("iop1.a", []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-rjs.PublishAsyncComplete():
	case <-time.After(10 * time.Second):
		t.Fatal("async publishes not complete")
	}
	m := natsrs.NewMsg("iop1.h")
	m.Header.Set("X-From", "natsrs")
	m.Data = []byte("hdr")
	if _, err := rjs.PublishMsg(m, natsrs.MsgId("once")); err != nil {
		t.Fatal(err)
	}
	if pa, err := rjs.PublishMsg(m, natsrs.MsgId("once")); err != nil || !pa.Duplicate {
		t.Fatalf("dedup: %+v %v", pa, err)
	}
	sub, err := gjs.PullSubscribe("iop1.*", "GOPULL")
	if err != nil {
		t.Fatal(err)
	}
	var got []*natsgo.Msg
	for len(got) < 101 {
		msgs, err := sub.Fetch(101-len(got), natsgo.MaxWait(5*time.Second))
		if err != nil {
			t.Fatalf("after %d: %v", len(got), err)
		}
		got = append(got, msgs...)
	}
	for i, gm := range got[:100] {
		if string(gm.Data) != fmt.Sprint(i) {
			t.Fatalf("%d: %s", i, gm.Data)
		}
		gm.Ack()
	}
	last := got[100]
	if last.Header.Get("X-From") != "natsrs" || last.Header.Get(natsgo.MsgIdHdr) != "once" || string(last.Data) != "hdr" {
		t.Fatalf("%+v", last)
	}
	if err := last.AckSync(); err != nil {
		t.Fatal(err)
	}
	// The binding sees nats.go's consumer and its acks.
	ci, err := rjs.ConsumerInfo("IOP1", "GOPULL")
	if err != nil || ci.NumAckPending != 0 || ci.AckFloor.Stream != 101 {
		t.Fatalf("%+v %v", ci, err)
	}
}

func TestJetStreamNatsGoToBinding(t *testing.T) {
	rs, gon := conns(t)
	rjs, _ := rs.JetStream()
	gjs, _ := gon.JetStream()
	if _, err := gjs.AddStream(&natsgo.StreamConfig{Name: "IOP2", Subjects: []string{"iop2.*"}}); err != nil {
		t.Fatal(err)
	}
	defer gjs.DeleteStream("IOP2")
	for i := 0; i < 20; i++ {
		gm := natsgo.NewMsg("iop2.a")
		gm.Header.Set("N", fmt.Sprint(i))
		gm.Data = []byte(fmt.Sprint(i))
		if _, err := gjs.PublishMsg(gm); err != nil {
			t.Fatal(err)
		}
	}
	// Push consumer with a handler (auto-ack).
	got := make(chan *natsrs.Msg, 20)
	psub, err := rjs.Subscribe("iop2.*", func(m *natsrs.Msg) { got <- m }, natsrs.Durable("RSPUSH"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		select {
		case m := <-got:
			md, err := m.Metadata()
			if string(m.Data) != fmt.Sprint(i) || m.Header.Get("N") != fmt.Sprint(i) || err != nil || md.Stream != "IOP2" {
				t.Fatalf("%d: %+v %+v %v", i, m, md, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("missing %d", i)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		ci, err := gjs.ConsumerInfo("IOP2", "RSPUSH")
		if err == nil && ci.NumAckPending == 0 && ci.AckFloor.Stream == 20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("acks not seen by nats.go: %+v %v", ci, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	psub.Unsubscribe()
	// Pull from a consumer nats.go created.
	if _, err := gjs.AddConsumer("IOP2", &natsgo.ConsumerConfig{Durable: "GOMADE", AckPolicy: natsgo.AckExplicitPolicy}); err != nil {
		t.Fatal(err)
	}
	pull, err := rjs.PullSubscribe("iop2.*", "GOMADE")
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := pull.Fetch(20, natsrs.MaxWait(5*time.Second))
	if err != nil || len(msgs) != 20 {
		t.Fatalf("%d %v", len(msgs), err)
	}
	for _, m := range msgs {
		m.Ack()
	}
	if err := msgs[19].AckSync(); err != natsrs.ErrMsgAlreadyAckd {
		t.Fatalf("%v", err)
	}
	pull.Unsubscribe() // bound to an existing consumer: kept
	if _, err := gjs.ConsumerInfo("IOP2", "GOMADE"); err != nil {
		t.Fatalf("existing consumer deleted: %v", err)
	}
}
