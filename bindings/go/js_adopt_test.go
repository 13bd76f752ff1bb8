package nats

import (
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"
)

// The C calls adopted late: deliver subject, fetch heartbeats, stored sequence and time,
// JetStream subscription queue counters, synchronous queue subscriptions.

func TestJSDeliverSubject(t *testing.T) {
	nc, js := jsConn(t)
	name := jsStream(t, js)
	deliver := "deliver." + name
	// A core subscription on the deliver subject sees what the consumer pushes there.
	spy, err := nc.SubscribeSync(deliver)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := js.SubscribeSync(name+".a", DeliverSubject(deliver))
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	ci, err := sub.ConsumerInfo()
	if err != nil || ci.Config.DeliverSubject != deliver {
		t.Fatalf("%+v %v", ci, err)
	}
	if _, err := js.Publish(name+".a", []byte("x")); err != nil {
		t.Fatal(err)
	}
	m, err := sub.NextMsg(5 * time.Second)
	if err != nil || string(m.Data) != "x" {
		t.Fatalf("%v %v", m, err)
	}
	if m.Ack() != nil {
		t.Fatal("ack")
	}
	sm, err := spy.NextMsg(5 * time.Second)
	if err != nil || sm.Subject != name+".a" || string(sm.Data) != "x" {
		t.Fatalf("spy: %v %v", sm, err)
	}
	// A callback subscription on a deliver subject too; an ordered consumer refuses one.
	got := make(chan *Msg, 1)
	cs, err := js.Subscribe(name+".a", func(m *Msg) { got <- m }, DeliverSubject(deliver+".cb"), DeliverLast())
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Unsubscribe()
	select {
	case m := <-got:
		if string(m.Data) != "x" {
			t.Fatal(string(m.Data))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no message on the callback subscription")
	}
	if _, err := js.SubscribeSync(name+".a", OrderedConsumer(), DeliverSubject(deliver+".o")); err == nil {
		t.Fatal("ordered consumer with a deliver subject")
	}
	if _, err := js.SubscribeSync(name+".a", DeliverSubject("bad subject")); err == nil {
		t.Fatal("bad deliver subject accepted")
	}
}

func TestJSPullHeartbeat(t *testing.T) {
	_, js := jsConn(t)
	name := jsStream(t, js)
	pull, err := js.PullSubscribe(name+".>", "HB")
	if err != nil {
		t.Fatal(err)
	}
	defer pull.Unsubscribe()
	for i := 0; i < 3; i++ {
		js.Publish(name+".a", []byte(fmt.Sprint(i)))
	}
	msgs, err := pull.Fetch(3, PullHeartbeat(100*time.Millisecond), MaxWait(5*time.Second))
	if err != nil || len(msgs) != 3 {
		t.Fatalf("%d %v", len(msgs), err)
	}
	for _, m := range msgs {
		m.Ack()
	}
	// Nothing there: the heartbeats come, so the fetch ends with a plain timeout.
	if _, err := pull.Fetch(1, PullHeartbeat(50*time.Millisecond), MaxWait(500*time.Millisecond)); err != ErrTimeout {
		t.Fatal(err)
	}
	js.Publish(name+".a", []byte("b"))
	mb, err := pull.FetchBatch(1, PullHeartbeat(100*time.Millisecond), MaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for m := range mb.Messages() {
		n++
		m.Ack()
	}
	<-mb.Done()
	if n != 1 || mb.Error() != nil {
		t.Fatal(n, mb.Error())
	}
	if _, err := pull.Fetch(1, PullHeartbeat(0)); !errors.Is(err, ErrInvalidArg) {
		t.Fatal(err)
	}
}

// A server that stops answering (SIGSTOP): the fetch ends with ErrNoHeartbeat after two
// missed heartbeats, long before its wait.
func TestJSPullHeartbeatMissed(t *testing.T) {
	srv := startServer(t, "-js", "-sd", t.TempDir())
	nc, err := Connect(srv.URL, MaxPingsOutstanding(1000))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := nc.JetStream()
	if err != nil {
		t.Fatal(err)
	}
	name := jsStream(t, js)
	pull, err := js.PullSubscribe(name+".>", "HB")
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	defer srv.cmd.Process.Signal(syscall.SIGCONT)
	_, err = pull.Fetch(1, PullHeartbeat(100*time.Millisecond), MaxWait(20*time.Second))
	srv.cmd.Process.Signal(syscall.SIGCONT)
	if err != ErrNoHeartbeat {
		t.Fatal(err)
	}
}

func TestJSGetMsgSequenceAndTime(t *testing.T) {
	_, js := jsConn(t)
	name := jsStream(t, js)
	dname := name + "D"
	if _, err := js.AddStream(&StreamConfig{Name: dname, Subjects: []string{dname + ".>"}, AllowDirect: true, Storage: MemoryStorage}); err != nil {
		t.Fatal(err)
	}
	defer js.DeleteStream(dname)
	before := time.Now().Add(-time.Minute)
	for _, s := range []string{name, dname} {
		for i := 1; i <= 3; i++ {
			if _, err := js.Publish(s+".a", []byte(fmt.Sprint(i))); err != nil {
				t.Fatal(err)
			}
		}
		js.Publish(s+".b", []byte("b"))
	}
	after := time.Now().Add(time.Minute)
	for _, s := range []string{name, dname} {
		for _, direct := range []bool{false, true} {
			if direct && s == name {
				continue
			}
			var opts []JSOpt
			if direct {
				opts = append(opts, DirectGet())
			}
			raw, err := js.GetMsg(s, 2, opts...)
			if err != nil || raw.Sequence != 2 || string(raw.Data) != "2" || raw.Time.Before(before) || raw.Time.After(after) {
				t.Fatalf("GetMsg %s direct=%v: %+v %v", s, direct, raw, err)
			}
			last, err := js.GetLastMsg(s, s+".a", opts...)
			if err != nil || last.Sequence != 3 || string(last.Data) != "3" || last.Time.Before(raw.Time) || last.Time.After(after) {
				t.Fatalf("GetLastMsg %s direct=%v: %+v %v", s, direct, last, err)
			}
			b, err := js.GetLastMsg(s, s+".b", opts...)
			if err != nil || b.Sequence != 4 || b.Time.Before(last.Time) {
				t.Fatalf("GetLastMsg b %s direct=%v: %+v %v", s, direct, b, err)
			}
		}
	}
}

func TestJSSubscriptionPending(t *testing.T) {
	_, js := jsConn(t)
	name := jsStream(t, js)
	sub, err := js.SubscribeSync(name+".a", AckNone())
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	for i := 0; i < 5; i++ {
		js.Publish(name+".a", []byte("12345"))
	}
	waitFor(t, 5*time.Second, func() bool { n, _, _ := sub.Pending(); return n == 5 })
	n, b, err := sub.Pending()
	if err != nil || n != 5 || b < 25 {
		t.Fatal(n, b, err)
	}
	if mm, mb, err := sub.MaxPending(); err != nil || mm < 5 || mb < 25 {
		t.Fatal(mm, mb, err)
	}
	if err := sub.ClearMaxPending(); err != nil {
		t.Fatal(err)
	}
	if mm, mb, err := sub.MaxPending(); err != nil || mm != 0 || mb != 0 {
		t.Fatal("after ClearMaxPending", mm, mb, err)
	}
	if q, err := sub.QueuedMsgs(); err != nil || q != 5 {
		t.Fatal(q, err)
	}
	if _, err := sub.NextMsg(time.Second); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := sub.Pending(); n != 4 {
		t.Fatal(n)
	}
	if d, err := sub.Dropped(); err != nil || d != 0 {
		t.Fatal(d, err)
	}
	// Limits: 2 messages; the rest is dropped (and counted).
	if err := sub.SetPendingLimits(0, 10); err != ErrInvalidArg {
		t.Fatal(err)
	}
	if err := sub.SetPendingLimits(6, -1); err != nil {
		t.Fatal(err)
	}
	if m, b, err := sub.PendingLimits(); err != nil || m != 6 || b != -1 {
		t.Fatal(m, b, err)
	}
	for i := 0; i < 10; i++ {
		js.Publish(name+".a", []byte("x"))
	}
	waitFor(t, 5*time.Second, func() bool { d, _ := sub.Dropped(); return d > 0 })
	if n, _, _ := sub.Pending(); n > 6 {
		t.Fatal(n)
	}
	// A pull subscription counts what it received and no fetch took yet (js_fetch_ctx_test.go).
	pull, err := js.PullSubscribe(name+".a", "")
	if err != nil {
		t.Fatal(err)
	}
	defer pull.Unsubscribe()
	if n, _, err := pull.Pending(); err != nil || n != 0 {
		t.Fatal(n, err)
	}
	sub.Unsubscribe()
	if _, _, err := sub.Pending(); err == nil {
		t.Fatal("pending after unsubscribe")
	}
}

func TestJSQueueSubscribeSyncPending(t *testing.T) {
	_, js := jsConn(t)
	name := jsStream(t, js)
	sub, err := js.QueueSubscribeSync(name+".q", "workers")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if sub.Type() != SyncSubscription {
		t.Fatal(sub.Type())
	}
	for i := 0; i < 3; i++ {
		js.Publish(name+".q", []byte(fmt.Sprint(i)))
	}
	waitFor(t, 5*time.Second, func() bool { n, _, _ := sub.Pending(); return n == 3 })
	for i := 0; i < 3; i++ {
		m, err := sub.NextMsg(5 * time.Second)
		if err != nil || string(m.Data) != fmt.Sprint(i) {
			t.Fatal(m, err)
		}
		m.Ack()
	}
	ci, err := sub.ConsumerInfo()
	if err != nil || ci.Config.DeliverGroup != "workers" || ci.Name != "workers" {
		t.Fatalf("%+v %v", ci, err)
	}
	if _, err := js.QueueSubscribeSync(name+".q", "workers", OrderedConsumer()); err == nil {
		t.Fatal("ordered queue subscription")
	}
}
