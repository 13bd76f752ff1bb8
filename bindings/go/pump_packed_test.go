package nats

import (
	"bytes"
	"strconv"
	"testing"
	"time"
)

// Handler and channel subscriptions take packed batches (pump_packed.go): headers, replies,
// large payloads and wildcard subjects come through as with a sync one; status lines of the
// header block become the Status header.

func TestParseWireHeader(t *testing.T) {
	h := parseWireHeader([]byte("NATS/1.0\r\nA: 1\r\nB:two \r\nA: 3\r\n\r\n"))
	if h.Get("A") != "1" || len(h.Values("A")) != 2 || h.Values("A")[1] != "3" || h.Get("B") != "two" || h.Get(statusHdr) != "" {
		t.Fatalf("%v", h)
	}
	h = parseWireHeader([]byte("NATS/1.0 503\r\n\r\n"))
	if h.Get(statusHdr) != "503" {
		t.Fatalf("%v", h)
	}
	h = parseWireHeader([]byte("NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: 5\r\n\r\n"))
	if h.Get(statusHdr) != "100" || h.Get("Nats-Last-Consumer") != "5" {
		t.Fatalf("%v", h)
	}
}

func TestPackedPump(t *testing.T) {
	nc := connect(t)
	got := make(chan *Msg, 16)
	sub, err := nc.Subscribe("packed.>", func(m *Msg) { got <- m })
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	ch := make(chan *Msg, 16)
	csub, err := nc.ChanSubscribe("packed.chan", ch)
	if err != nil {
		t.Fatal(err)
	}
	defer csub.Unsubscribe()
	nc.Flush()
	m := NewMsg("packed.h")
	m.Reply = "r.1"
	m.Header.Add("X-A", "1")
	m.Header.Add("X-A", "2")
	m.Data = []byte("with headers")
	if err := nc.PublishMsg(m); err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("z"), 200<<10) // larger than the scratch buffer
	nc.Publish("packed.big", big)
	nc.Publish("packed.empty", nil)
	nc.Publish("packed.chan", []byte("c"))
	want := []string{"packed.h", "packed.big", "packed.empty"}
	for i, subj := range want {
		select {
		case r := <-got:
			if r.Subject != subj || r.Sub != sub {
				t.Fatalf("%d: %q", i, r.Subject)
			}
			switch i {
			case 0:
				if r.Reply != "r.1" || string(r.Data) != "with headers" || len(r.Header.Values("X-A")) != 2 || r.Header.Values("X-A")[1] != "2" {
					t.Fatalf("%+v", r)
				}
			case 1:
				if !bytes.Equal(r.Data, big) || r.Header != nil {
					t.Fatal("big payload")
				}
			case 2:
				if len(r.Data) != 0 || r.Reply != "" {
					t.Fatalf("%+v", r)
				}
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("message %d not delivered", i)
		}
	}
	select {
	case r := <-ch:
		if r.Subject != "packed.chan" || string(r.Data) != "c" {
			t.Fatalf("%+v", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("channel message not delivered")
	}
}

// Full batches hand their buffer to the messages (no second copy): every message keeps its own
// subject, reply and payload, also after later batches, and appending to one payload does not
// touch its neighbour's.
func TestPackedPumpFullBatches(t *testing.T) {
	nc := connect(t)
	const total = 3000
	var kept []*Msg
	done := make(chan struct{})
	block := make(chan struct{})
	sub, err := nc.Subscribe("packedfull.*", func(m *Msg) {
		<-block // the first call waits, so the rest queue up into full batches
		kept = append(kept, m)
		if len(kept) == total {
			close(done)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := sub.SetPendingLimits(-1, -1); err != nil {
		t.Fatal(err)
	}
	nc.Flush()
	for i := 0; i < total; i++ {
		p := bytes.Repeat([]byte{byte('a' + i%26)}, 1000+i%7)
		if err := nc.PublishRequest("packedfull."+itoa(i%3), "reply."+itoa(i), p); err != nil {
			t.Fatal(err)
		}
	}
	nc.Flush()
	before := packedHandoffs.Load()
	close(block)
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("%d of %d delivered", len(kept), total)
	}
	for i, m := range kept {
		want := bytes.Repeat([]byte{byte('a' + i%26)}, 1000+i%7)
		if m.Subject != "packedfull."+itoa(i%3) || m.Reply != "reply."+itoa(i) || !bytes.Equal(m.Data, want) {
			t.Fatalf("message %d: %q %q %d bytes", i, m.Subject, m.Reply, len(m.Data))
		}
	}
	if packedHandoffs.Load() == before {
		t.Fatal("no batch was full enough to hand its buffer over")
	}
	kept[0].Data = append(kept[0].Data, "tail"...)
	if !bytes.Equal(kept[1].Data, bytes.Repeat([]byte{'b'}, 1001)) {
		t.Fatal("append to one payload changed the next one")
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
