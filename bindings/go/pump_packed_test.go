package nats

import (
	"bytes"
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
