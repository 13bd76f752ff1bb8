package nats

// Batched publishes. Publish and PublishRequest (and PublishMsg without headers) check their
// arguments at once, then append the message's PUB frame, as it goes on the wire, to a
// per-connection Go buffer; a flusher goroutine per connection hands the whole buffer to the
// core in one cgo call (as nats.go writes through a bufio.Writer that its flusher goroutine
// flushes). The core checks the frames and, when its writer is idle, writes them to the socket
// from this buffer (natsrs_connection_publish_wire): no second copy. Every other operation that sends something or looks at the connection's state
// first hands the pending buffer over (connCore.handOver, called by Conn.cptr), so the order
// of what goes out and what the counters say do not change.

/*
#include "shim.h"
#cgo noescape gn_publish_wire
#cgo nocallback gn_publish_wire
*/
import "C"

import (
	"bytes"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// pubBatchThreshold is the size at which a publisher hands the buffer over itself instead
	// of leaving it to the flusher (backpressure: it then waits as a direct publish would).
	pubBatchThreshold = 32 * 1024
	// pubSpareMaxCap is the largest buffer kept for reuse after a hand-over (a buffer grown by
	// one large message is dropped rather than held).
	pubSpareMaxCap = 4 * pubBatchThreshold
	// pubBatchMaxPayload is the largest payload that is batched: a larger one goes to the core
	// in its own call (after the pending batch), where the call's cost is small next to the
	// copy. (At 1 KiB batching still saves about a tenth of the client CPU of a publisher:
	// bench/go pub_1024, client and server pinned to their own CPU.)
	pubBatchMaxPayload = 2048
	// pubStreamGap and pubStreamDelay: a flusher kicked within pubStreamGap of the last
	// hand-over is following a publisher that streams; it waits pubStreamDelay first, so that
	// the publisher fills the buffer and hands it over itself in large writes, instead of a
	// second thread taking partial buffers (more, smaller writes, and a thread competing with
	// the server for the CPUs). A lone publish (no hand-over for longer) goes out at once.
	pubStreamGap   = 100 * time.Microsecond
	pubStreamDelay = 50 * time.Microsecond
)

// pubBatcher is a connection's publish buffer and the state of its flusher goroutine.
type pubBatcher struct {
	mu      sync.Mutex // guards buf, spare and stopped
	buf     []byte     // entries not yet handed to the core
	spare   []byte     // the other buffer (double buffering: no allocation per hand-over)
	stopped bool       // the flusher has been told to exit: publishes go straight to the core

	// busy: entries are waiting or being handed over (set under mu when buf becomes non-empty,
	// cleared under mu by a hand-over that leaves nothing behind): lets handOver return at
	// once on a connection with nothing pending.
	busy atomic.Bool

	// sendMu is held while a buffer is handed to the core, so that batches (and whatever an
	// operation sends after its hand-over) reach the core in order.
	sendMu sync.Mutex

	kick     chan struct{} // one slot: the buffer went from empty to non-empty
	lastOut  atomic.Int64  // when the last hand-over ended (unix ns)
	done     chan struct{} // closed by stop
	stopOnce sync.Once

	// direct: publish synchronously through the core (not connected, or the server's limits
	// are not known yet), so that errors such as a full reconnect buffer are returned.
	direct     atomic.Bool
	maxPayload atomic.Int64

	errMu       sync.Mutex
	lastErr     error  // the last error of a hand-over (see Conn.LastError)
	lastErrCore string // the core's last error text when lastErr was recorded
}

// startPub sets up the batcher and starts the flusher (the connection is open).
func (c *connCore) startPub(connected bool, maxPayload int64) {
	p := &c.pub
	p.kick = make(chan struct{}, 1)
	p.done = make(chan struct{})
	p.maxPayload.Store(maxPayload)
	p.direct.Store(!connected || maxPayload <= 0)
	go c.runFlusher()
}

// runFlusher hands the buffer over each time it is kicked, and once more when stopped.
func (c *connCore) runFlusher() {
	p := &c.pub
	for {
		select {
		case <-p.kick:
			if time.Now().UnixNano()-p.lastOut.Load() < int64(pubStreamGap) {
				time.Sleep(pubStreamDelay)
			}
			c.handOver()
		case <-p.done:
			c.handOver()
			return
		}
	}
}

// stopPub makes later publishes synchronous and lets the flusher exit (after a last
// hand-over). Safe to call more than once and from C callbacks (it never calls C).
func (c *connCore) stopPub() {
	p := &c.pub
	if p.done == nil {
		return
	}
	p.mu.Lock()
	p.stopped = true
	p.mu.Unlock()
	p.stopOnce.Do(func() { close(p.done) })
}

// linkChanged follows the core's connection events: batched publishes only while connected.
func (c *connCore) linkChanged(connected bool) {
	if connected {
		var out C.int64_t
		C.natsrs_connection_max_payload(c.ptr, &out)
		c.pub.maxPayload.Store(int64(out))
		c.pub.direct.Store(int64(out) <= 0)
	} else {
		c.pub.direct.Store(true)
	}
}

// subjectCheck results.
const (
	subjOK = iota
	subjBad
	subjDirect // valid for the core but not representable the same way in a packed entry
)

// checkPubSubject applies the core's publish subject rules (non-empty, no space, tab, CR or
// LF, no empty token). A NUL byte sends the publish the direct way, where the C string ends
// at it as before.
func checkPubSubject(s string) int {
	n := len(s)
	if n == 0 || s[0] == '.' || s[n-1] == '.' {
		return subjBad
	}
	prevDot := false
	for i := 0; i < n; i++ {
		b := s[i]
		if b > '.' {
			prevDot = false
			continue
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			return subjBad
		case 0:
			return subjDirect
		case '.':
			if prevDot {
				return subjBad
			}
			prevDot = true
		default:
			prevDot = false
		}
	}
	return subjOK
}

// appendPubFrame appends one message's frame, "PUB <subj> [<reply>] <size>\r\n<data>\r\n".
func appendPubFrame(b []byte, subj, reply string, data []byte) []byte {
	b = append(b, "PUB "...)
	b = append(b, subj...)
	b = append(b, ' ')
	if reply != "" {
		b = append(b, reply...)
		b = append(b, ' ')
	}
	b = strconv.AppendInt(b, int64(len(data)), 10)
	b = append(b, "\r\n"...)
	b = append(b, data...)
	return append(b, "\r\n"...)
}

// pubFrameLen is the size of the frame at the start of b (as appendPubFrame writes it), or 0
// when b does not start with a whole frame.
func pubFrameLen(b []byte) int {
	eol := bytes.IndexByte(b, '\r')
	if eol < 0 {
		return 0
	}
	sp := bytes.LastIndexByte(b[:eol], ' ')
	size, err := strconv.Atoi(string(b[sp+1 : eol]))
	if sp < 0 || err != nil || size < 0 || eol+2+size+2 > len(b) {
		return 0
	}
	return eol + 2 + size + 2
}

// publish checks a header-less publish and queues it for the flusher; it falls back to one
// direct core call when the connection is not in a state where batching keeps the result the
// same (closed, draining, not connected).
func (nc *Conn) publish(subj, reply string, data []byte) error {
	return nc.publishBatched(subj, reply, data, true)
}

// publishBatched is publish; without kick the flusher is not woken for a batch this publish
// starts, because the caller hands the buffer over itself right after (a request).
func (nc *Conn) publishBatched(subj, reply string, data []byte, kick bool) error {
	if nc == nil || nc.core == nil {
		return ErrInvalidConnection
	}
	c := nc.core
	p := &c.pub
	if len(data) > pubBatchMaxPayload || p.direct.Load() || c.closed.Load() || c.draining.Load() {
		return nc.publishDirect(subj, reply, data)
	}
	switch checkPubSubject(subj) {
	case subjBad:
		return ErrBadSubject
	case subjDirect:
		return nc.publishDirect(subj, reply, data)
	}
	if reply != "" {
		switch checkPubSubject(reply) {
		case subjBad:
			return ErrBadSubject
		case subjDirect:
			return nc.publishDirect(subj, reply, data)
		}
	}
	if int64(len(data)) > p.maxPayload.Load() {
		return ErrMaxPayload
	}
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return nc.publishDirect(subj, reply, data)
	}
	was := len(p.buf)
	if was == 0 {
		p.busy.Store(true)
	}
	p.buf = appendPubFrame(p.buf, subj, reply, data)
	full := len(p.buf) >= pubBatchThreshold
	p.mu.Unlock()
	if full {
		c.handOver()
	} else if was == 0 && kick {
		select {
		case p.kick <- struct{}{}:
		default:
		}
	}
	return nil
}

// pubErr is one refused entry of a hand-over.
type pubErr struct {
	st   C.natsrs_status
	err  error
	core string
}

// handOver gives the pending buffer to the core (waiting for a hand-over in progress), so
// that everything published before it is with the core when it returns. Errors (an entry the
// core refused) go to the async error handler and LastError.
func (c *connCore) handOver() {
	p := &c.pub
	if !p.busy.Load() || c.freed.Load() {
		return
	}
	p.sendMu.Lock()
	p.mu.Lock()
	out := p.buf
	if len(out) == 0 {
		p.busy.Store(false) // nothing pending, and nothing in flight (sendMu is held)
		p.mu.Unlock()
		p.sendMu.Unlock()
		return
	}
	p.buf, p.spare = p.spare[:0], nil
	p.mu.Unlock()
	errs := c.sendWire(out)
	p.lastOut.Store(time.Now().UnixNano())
	p.mu.Lock()
	if cap(out) <= pubSpareMaxCap {
		p.spare = out[:0]
	}
	if len(p.buf) == 0 {
		p.busy.Store(false)
	}
	p.mu.Unlock()
	p.sendMu.Unlock()
	for _, e := range errs {
		p.errMu.Lock()
		p.lastErr, p.lastErrCore = e.err, e.core
		p.errMu.Unlock()
		c.reportError(nil, e.err)
	}
}

// sendWire publishes the frames of buf in one call, going on after a refused frame (one error
// is kept per run of refusals with the same status; a closed connection refuses the rest).
func (c *connCore) sendWire(buf []byte) []pubErr {
	var errs []pubErr
	for len(buf) > 0 {
		var n C.size_t
		var cerr *C.char
		st := C.gn_publish_wire(c.ptr, (*C.uint8_t)(&buf[0]), C.size_t(len(buf)), &n, &cerr)
		if st == C.NATSRS_STATUS_OK {
			break
		}
		err := takeErr(st, cerr)
		if len(errs) == 0 || errs[len(errs)-1].st != st {
			errs = append(errs, pubErr{st: st, err: err, core: c.coreLastErrText()})
		}
		if st == C.NATSRS_STATUS_CONNECTION_CLOSED {
			break
		}
		// Skip the frames published and the refused one.
		for i := 0; i <= int(n) && len(buf) > 0; i++ {
			f := pubFrameLen(buf)
			if f == 0 {
				return errs // not a frame built here: nothing after it can be found
			}
			buf = buf[f:]
		}
	}
	return errs
}

// coreLastErrText is the core's last error on the connection, as text ("" when none).
func (c *connCore) coreLastErrText() string {
	var st C.natsrs_status
	var buf [256]C.char
	if C.gn_last_error(c.ptr, &st, &buf[0], C.size_t(len(buf))) != C.NATSRS_STATUS_OK || st == C.NATSRS_STATUS_OK {
		return ""
	}
	return C.GoString(&buf[0])
}

// lastPubErr is the last hand-over error if the core recorded no other error since.
func (c *connCore) lastPubErr() error {
	p := &c.pub
	p.errMu.Lock()
	err, core := p.lastErr, p.lastErrCore
	p.errMu.Unlock()
	if err == nil || c.coreLastErrText() != core {
		return nil
	}
	return err
}

// cp is the JetStream handle for a call: the connection's pending publishes go first.
func (j *js) cp() *C.natsrs_jetstream {
	if j.nc != nil && j.nc.core != nil {
		j.nc.core.handOver()
	}
	return j.ptr
}

// cp is the key-value handle for a call: the connection's pending publishes go first.
func (kv *kvs) cp() *C.natsrs_kv {
	kv.js.cp()
	return kv.ptr
}

// cp is the object store handle for a call: the connection's pending publishes go first.
func (o *obs) cp() *C.natsrs_object_store {
	o.js.cp()
	return o.ptr
}
