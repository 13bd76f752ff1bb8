package nats

/*
#include "shim.h"
#cgo noescape natsrs_subscription_pending
#cgo nocallback natsrs_subscription_pending
#cgo noescape natsrs_connection_read_hold
#cgo nocallback natsrs_connection_read_hold
*/
import "C"

import (
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Flow control of inline reads. The library reads, parses and queues far faster than a Go
// handler takes messages, so a flood used to pile up in a subscription's queue until its
// pending limits dropped messages, with the publisher never slowed down (nats.go's reader
// goroutine is about as slow as its handlers, so there the backlog stays in the server, which
// then stalls the publisher). Now a handler or channel subscription whose pump finds messages
// left after a batch is behind; after each read the connection's inline reader looks at the
// queues of the subscriptions that are behind, and while one holds more than flowHighMsgs or
// flowHighBytes (or a quarter of its pending limits, when lower), the reader reads no more
// until that pump has taken the queue down to half of that, and holds the library's own
// periodic read of the socket back meanwhile (natsrs_connection_read_hold): the backlog stays
// in the socket and the server, which stalls a fast publisher as it does for nats.go. A pump
// that does not finish a batch within flowMaxWait (a slow handler, or one waiting for
// something) ends the pause, and the reader then reads on as before for that pump's next
// flowSkipBatches batches. The pending limits and the slow consumer handling are unchanged.

const (
	flowHighMsgs  = 64 << 10 // queued messages that make the reader wait
	flowHighBytes = 1 << 20  // queued bytes that make the reader wait
	// flowMaxWait is how long the reader waits for a pump to finish its next batch before it
	// gives the pause up: only a handler that almost keeps up (a batch in well under this
	// time, with room for the scheduler's delays on a loaded machine) holds the connection's
	// input back; a slow one is left to its pending limits, as with nats.go, and delays the
	// connection's other subscriptions by at most this per flowSkipBatches of its batches.
	flowMaxWait = 20 * time.Millisecond
	// flowSkipBatches: after a pause given up, the reader reads on until the pump finished
	// this many more batches (or is no longer behind) before it may pause for it again.
	flowSkipBatches = 4
)

// flowState is a connection's flow control: the pumps that are behind, and the channel they
// signal after each batch while the reader waits.
type flowState struct {
	mu       sync.Mutex
	behind   map[*pumpFlow]struct{} // guarded by mu
	nbehind  atomic.Int32
	waiting  atomic.Bool
	progress chan struct{} // capacity 1
}

func newFlowState() *flowState {
	return &flowState{behind: map[*pumpFlow]struct{}{}, progress: make(chan struct{}, 1)}
}

// pumpFlow is one pump's part.
type pumpFlow struct {
	f       *flowState
	s       *Subscription
	behind  bool          // only the pump's goroutine uses it
	batches atomic.Uint64 // batches the pump finished
	skipTo  atomic.Uint64 // the reader does not pause for this pump before batches reaches it
}

// flowEnabled is read once at start-up: NATSRS_GO_FLOW=0 turns flow control off.
var flowEnabled = os.Getenv("NATSRS_GO_FLOW") != "0"

// pumpFlowOf returns the flow part of s's pump, or nil when inline reads do not feed s.
func (s *Subscription) pumpFlowOf() *pumpFlow {
	if !flowEnabled || s.conn == nil || s.conn.core.flow == nil || !s.conn.core.inlineReports() {
		return nil
	}
	return &pumpFlow{f: s.conn.core.flow, s: s}
}

// after runs after each batch the pump handled: left tells whether messages were still queued.
func (p *pumpFlow) after(left bool) {
	p.batches.Add(1)
	if p.f.waiting.Load() {
		select {
		case p.f.progress <- struct{}{}:
		default:
		}
	}
	if left != p.behind {
		p.setBehind(left)
	}
}

func (p *pumpFlow) setBehind(v bool) {
	p.behind = v
	f := p.f
	f.mu.Lock()
	if v {
		f.behind[p] = struct{}{}
	} else {
		delete(f.behind, p)
	}
	f.nbehind.Store(int32(len(f.behind)))
	f.mu.Unlock()
}

// end takes the pump's part back (the pump ends).
func (p *pumpFlow) end() {
	if p != nil && p.behind {
		p.setBehind(false)
	}
}

// queued is the subscription's queue in the library: messages and bytes.
func (s *Subscription) queued() (int64, int64, bool) {
	p := s.h.acquire()
	if p == nil {
		return 0, 0, false
	}
	var m, b C.int64_t
	st := C.natsrs_subscription_pending(p, &m, &b)
	s.h.release()
	return int64(m), int64(b), st == C.NATSRS_STATUS_OK
}

// flowHigh is where the subscription's queue makes the reader wait: flowHighMsgs and
// flowHighBytes, or a quarter of its pending limits when those are lower.
func (s *Subscription) flowHigh() (int64, int64) {
	s.limMu.Lock()
	lm, lb := s.pMsgsLimit, s.pBytesLim
	s.limMu.Unlock()
	hm, hb := int64(flowHighMsgs), int64(flowHighBytes)
	if lm > 0 && int64(lm)/4 < hm {
		hm = max(int64(lm)/4, 1)
	}
	if lb > 0 && int64(lb)/4 < hb {
		hb = max(int64(lb)/4, 1)
	}
	return hm, hb
}

// over tells whether p's queue is above its high mark (or, with low, above half of it).
func (p *pumpFlow) over(low bool) bool {
	m, b, ok := p.s.queued()
	if !ok {
		return false
	}
	hm, hb := p.s.flowHigh()
	if low {
		hm, hb = hm/2, hb/2
	}
	return m > hm || b > hb
}

// flowCheck runs after each inline read: the pump the reader must wait for, if any.
func (r *sockReader) flowCheck() *pumpFlow {
	f := r.c.flow
	if f.nbehind.Load() == 0 {
		return nil
	}
	// copied out (into the reader's reused scratch slice: no allocation per read) so the C
	// calls of over run without the lock the pumps take
	f.mu.Lock()
	ps := r.flowScratch[:0]
	for p := range f.behind {
		ps = append(ps, p)
	}
	f.mu.Unlock()
	var found *pumpFlow
	for _, p := range ps {
		if p.batches.Load() >= p.skipTo.Load() && p.over(false) {
			found = p
			break
		}
	}
	clear(ps) // no pump kept alive by the scratch slice
	r.flowScratch = ps[:0]
	return found
}

// flowWait holds the reader while p's queue is above half its high mark and p's pump keeps
// finishing batches; a pump that finishes none within flowMaxWait is skipped for its next
// flowSkipBatches batches. Returns at once when stop is signalled.
func (r *sockReader) flowWait(p *pumpFlow) {
	if !r.hold(true) {
		return
	}
	defer r.hold(false)
	f := r.c.flow
	f.waiting.Store(true)
	defer f.waiting.Store(false)
	t := time.NewTimer(flowMaxWait)
	defer t.Stop()
	for p.over(true) {
		b0 := p.batches.Load()
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
		t.Reset(flowMaxWait)
		for p.batches.Load() == b0 {
			select {
			case <-f.progress:
				continue
			case <-t.C:
			case <-r.kick:
				return // close (or a reconnect): the read loop finds out which
			}
			if p.batches.Load() == b0 {
				p.skipTo.Store(b0 + flowSkipBatches) // the pump is slow or stopped: read on
				return
			}
		}
		r.flowWaits.Add(1)
	}
}

// hold sets the library's hold on the attached socket; false when no socket is attached.
func (r *sockReader) hold(v bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stop || r.f == nil {
		return false
	}
	C.natsrs_connection_read_hold(r.c.ptr, C.uint64_t(r.gen), C.bool(v))
	return true
}
