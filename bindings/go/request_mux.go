package nats

/*
#include "shim.h"
*/
import "C"

import (
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Requests over an attached socket (sock_reader.go) go through one wildcard inbox subscription
// per connection (<inbox prefix><id>.*), whose pump hands each reply to the waiting goroutine
// through a channel keyed by the reply's last token. The reply is read and routed by the reader
// goroutine, the pump wakes in the netpoller on the same M, and the requester is woken by the
// Go scheduler: the whole round trip stays on Go's threads (the blocking C request would
// wake a blocked OS thread instead). Requests with headers, and any while not attached, use
// the core's request. NATSRS_GO_INLINE_REQUEST=0 turns this off.

var muxRequestsEnabled = os.Getenv("NATSRS_GO_INLINE_REQUEST") != "0"

type reqMux struct {
	prefix  string        // "<inbox prefix><id>."
	sub     *Subscription // on a shadow Conn holding only the core, so the user's Conn stays collectable
	mu      sync.Mutex
	next    uint64
	waiting map[string]chan *Msg
	sent    atomic.Uint64 // requests sent through the mux (tests)

	// Replies an inline read queued are taken and handed to their waiters by the reader
	// goroutine itself (drainInline), not by the subscription's goroutine a wake-up later.
	core   *connCore
	sid    uint64
	pb     packedBuf     // the reader goroutine's scratch buffer
	inline atomic.Uint64 // replies delivered by the reader goroutine (tests)
}

// mux returns the connection's request mux, making it on first use; nil when it cannot be made
// (the caller uses the core's request).
func (r *sockReader) mux() *reqMux {
	r.muxMu.Lock()
	defer r.muxMu.Unlock()
	if r.rmux != nil || r.muxFailed {
		return r.rmux
	}
	c := r.c
	c.mu.Lock()
	prefix := c.opts.InboxPrefix
	c.mu.Unlock()
	if prefix == "" {
		prefix = InboxPrefix
	} else if prefix[len(prefix)-1] != '.' {
		prefix += "."
	}
	m := &reqMux{prefix: prefix + nuid() + ".", waiting: map[string]chan *Msg{}}
	shadow := &Conn{core: c}
	sub, err := shadow.subscribe(m.prefix+"*", "", m.deliver, nil, false)
	if err != nil {
		r.muxFailed = true
		return nil
	}
	// not one of the user's subscriptions (NumSubscriptions, Close's release): stopSockReader
	// ends it
	c.mu.Lock()
	delete(c.subs, sub.key)
	c.mu.Unlock()
	m.sub = sub
	if p := sub.h.acquire(); p != nil {
		m.core, m.sid = c, uint64(C.natsrs_subscription_sid(p))
		sub.h.release()
		c.inlineFns.Store(m.sid, m.drainInline)
	}
	r.rmux = m
	return m
}

// drainInline runs on the reader goroutine when an inline read queued replies: it takes them
// and hands each to its waiter (a send on a channel with room). An error (the subscription
// ended) is left to the subscription's goroutine, woken for it.
func (m *reqMux) drainInline() {
	for {
		n, left, err := m.sub.tryFetchPackedLeft(&m.pb, m.deliverInline)
		if err == ErrSlowConsumer {
			continue
		}
		if err != nil {
			if v, ok := m.core.wakers.Load(m.sid); ok {
				select {
				case v.(chan struct{}) <- struct{}{}:
				default:
				}
			}
			return
		}
		if n == 0 || !left {
			return
		}
	}
}

func (m *reqMux) deliverInline(msg *Msg) {
	m.inline.Add(1)
	m.deliver(msg)
}

// deliver runs on the mux subscription's pump: the reply goes to its waiter, if still waiting.
func (m *reqMux) deliver(msg *Msg) {
	if len(msg.Subject) <= len(m.prefix) {
		return
	}
	tok := msg.Subject[len(m.prefix):]
	m.mu.Lock()
	ch := m.waiting[tok]
	delete(m.waiting, tok)
	m.mu.Unlock()
	if ch != nil {
		ch <- msg // room for one
	}
}

// close ends the mux subscription (the connection closes or is freed).
func (m *reqMux) close() {
	if m.core != nil {
		m.core.inlineFns.Delete(m.sid)
	}
	m.sub.markClosed(true, false)
}

// muxRequest is Request through the mux; ok false when the core's request must be used.
func (c *connCore) muxRequest(nc *Conn, subj, hdr string, data []byte, timeout time.Duration) (msg *Msg, err error, ok bool) {
	if !muxRequestsEnabled {
		return nil, nil, false
	}
	c.mu.Lock()
	r := c.sock
	c.mu.Unlock()
	if r == nil || !r.attached() {
		return nil, nil, false
	}
	m := r.mux()
	if m == nil {
		return nil, nil, false
	}
	ch := make(chan *Msg, 1)
	m.mu.Lock()
	m.next++
	tok := strconv.FormatUint(m.next, 36)
	m.waiting[tok] = ch
	m.mu.Unlock()
	forget := func() {
		m.mu.Lock()
		delete(m.waiting, tok)
		m.mu.Unlock()
	}
	var perr error
	if hdr == "" {
		perr = nc.publishBatched(subj, m.prefix+tok, data, false)
	} else {
		perr = nc.publishHdr(subj, m.prefix+tok, hdr, data)
	}
	if perr != nil {
		forget()
		return nil, perr, true
	}
	c.handOver() // someone waits for the answer: out now, not at the flusher's turn (publish_batch.go)
	m.sent.Add(1)
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case reply := <-ch:
		if len(reply.Data) == 0 && reply.Header.Get(statusHdr) == "503" {
			return nil, ErrNoResponders, true
		}
		reply.Sub = nil // as the core's request: not a message of a user's subscription
		return reply, nil, true
	case <-t.C:
		forget()
		return nil, ErrTimeout, true
	case <-m.sub.ended:
		forget()
		return nil, ErrConnectionClosed, true
	}
}
