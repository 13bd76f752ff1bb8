package nats

/*
#include "shim.h"
*/
import "C"

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
	"weak"
)

// SubscriptionType tells how a Subscription delivers messages.
type SubscriptionType int

// Kinds of subscription returned by Subscription.Type.
const (
	AsyncSubscription = SubscriptionType(iota)
	SyncSubscription
	ChanSubscription
	NilSubscription
	PullSubscription
)

const batchMax = 64

const maxBlockingWaits = 32

var blockingWaits atomic.Int32

// batchBuf receives a batch of owned C messages and their views. It lives in C memory
// (newBatchBuf): passing its arrays to C then costs cgo's pointer check nothing (for Go memory
// the check copies both arrays into an interface and scans them, on every call). The batch is
// freed by the next gn_next_batch / gn_try_batch call.
type batchBuf struct {
	msgs  [batchMax]*C.natsrs_msg
	views [batchMax]C.gn_msg_view
	n     C.size_t
}

// newBatchBuf allocates a zeroed batchBuf in C memory; release with releaseBatchBuf.
func newBatchBuf() *batchBuf {
	return (*batchBuf)(C.calloc(1, C.size_t(unsafe.Sizeof(batchBuf{}))))
}

// releaseBatchBuf frees the batch in hand and the buffer (a cleanup of its Subscription).
func releaseBatchBuf(b *batchBuf) {
	b.free()
	C.free(unsafe.Pointer(b))
}

// ptrs gives the arrays as plain pointers (cgo checks an indexed argument by copying the
// whole array).
func (b *batchBuf) ptrs() (**C.natsrs_msg, *C.gn_msg_view) { return &b.msgs[0], &b.views[0] }

func (b *batchBuf) free() {
	if b.n > 0 {
		pm, pv := b.ptrs()
		C.gn_free_batch(pm, pv, b.n)
		b.n = 0
	}
}

// subHandle owns the C subscription handle: C calls hold a reference, and the handle is freed
// once the subscription is finished and no call uses it any more (or when the Subscription is
// garbage collected).
type subHandle struct {
	mu         sync.Mutex
	ptr        *C.natsrs_subscription
	refs       int
	closed     bool // finished: no new C call may start
	connClosed bool

	// Registration of the core's notify eventfd with the poller (removed before the free).
	wake      chan struct{}
	notifyFd  int
	notifyTok uint64
	core      *connCore // where the wake channel is registered by sid (nil: nowhere)
	sid       uint64
	dirty     atomic.Bool // the poller saw the eventfd written since it was last read
}

// free releases the C handle (h.ptr already taken); the poller forgets its fd first.
func (h *subHandle) free(p *C.natsrs_subscription) {
	h.mu.Lock()
	wake, fd, tok, core, sid := h.wake, h.notifyFd, h.notifyTok, h.core, h.sid
	h.mu.Unlock()
	if wake != nil {
		poller.remove(fd, tok)
	}
	if core != nil {
		core.wakers.CompareAndDelete(sid, wake)
	}
	C.natsrs_subscription_free(p)
}

func (h *subHandle) acquire() *C.natsrs_subscription {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed || h.ptr == nil {
		return nil
	}
	h.refs++
	return h.ptr
}

func (h *subHandle) release() {
	h.mu.Lock()
	h.refs--
	var p *C.natsrs_subscription
	if h.refs == 0 && h.closed && h.ptr != nil {
		p, h.ptr = h.ptr, nil
	}
	h.mu.Unlock()
	if p != nil {
		h.free(p)
	}
}

// close marks the handle finished; it is freed now or by the last release.
func (h *subHandle) close(connClosed bool) bool {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return false
	}
	h.closed = true
	h.connClosed = connClosed
	var p *C.natsrs_subscription
	if h.refs == 0 && h.ptr != nil {
		p, h.ptr = h.ptr, nil
	}
	h.mu.Unlock()
	if p != nil {
		h.free(p)
	}
	return true
}

// Subscription is the interest in one subject (possibly with wildcards) created by a Subscribe
// call.
type Subscription struct {
	// Subject is the subject given at subscribe time; with wildcards it differs from the
	// subjects of the messages received.
	Subject string
	// Optional queue group name.
	Queue string

	conn     *Conn
	typ      SubscriptionType
	mcb      MsgHandler
	mch      chan *Msg
	h        *subHandle
	key      uintptr
	done     chan struct{}
	pumpDone chan struct{} // closed when the pump goroutine exits (async and channel kinds)

	closedF   atomic.Bool
	stopNow   atomic.Bool // no more handler calls / channel sends, not even for a batch in hand
	draining  atomic.Bool
	delivered atomic.Uint64
	handled   atomic.Uint64 // handler calls returned (pump: stored per batch; Barrier reads it)
	max       atomic.Uint64

	// Channel subscriptions (as nats.go): a message that finds the channel full is dropped and
	// the subscription is a slow consumer until a message fits again.
	chanSent    atomic.Uint64
	chanDropped atomic.Uint64
	chanSlow    bool // the pump's own

	// Sync subscriptions: batches taken from the core, handed out one by one.
	nextMu sync.Mutex
	batch  *batchBuf
	local  []*Msg
	ended  chan struct{} // closed by finish

	pumpMu sync.Mutex
	direct *directWait // the pump's own notify fd in the netpoller (pump_wait.go), or nil

	limMu                 sync.Mutex
	pMsgsLimit, pBytesLim int
	closedCB              func(subject string)

	jsi *jsSub // JetStream subscriptions (js_sub.go): the C push or pull subscription

	stat subStatus      // StatusChanged (sub_status.go)
	icp  initialPending // InitialConsumerPending (sub_status.go)
}

// Subscribe registers interest in subj, which may contain wildcards, and calls cb with each
// message: one at a time, in order, on a thread of the subscription's own.
func (nc *Conn) Subscribe(subj string, cb MsgHandler) (*Subscription, error) {
	return nc.subscribe(subj, "", cb, nil, false)
}

// ChanSubscribe registers interest in subj and sends each message to ch.
func (nc *Conn) ChanSubscribe(subj string, ch chan *Msg) (*Subscription, error) {
	return nc.subscribe(subj, "", nil, ch, false)
}

// ChanQueueSubscribe is ChanSubscribe as a member of the queue group group: each message goes to
// just one member of the group.
func (nc *Conn) ChanQueueSubscribe(subj, group string, ch chan *Msg) (*Subscription, error) {
	return nc.subscribe(subj, group, nil, ch, false)
}

// QueueSubscribeSyncWithChan is syntactic sugar for ChanQueueSubscribe(subject, group, ch).
func (nc *Conn) QueueSubscribeSyncWithChan(subj, queue string, ch chan *Msg) (*Subscription, error) {
	return nc.subscribe(subj, queue, nil, ch, false)
}

// SubscribeSync registers interest in subj; the messages are read with NextMsg.
func (nc *Conn) SubscribeSync(subj string) (*Subscription, error) {
	return nc.subscribe(subj, "", nil, nil, true)
}

// QueueSubscribe is Subscribe as a member of the queue group queue: each message goes to just
// one member of the group.
func (nc *Conn) QueueSubscribe(subj, queue string, cb MsgHandler) (*Subscription, error) {
	return nc.subscribe(subj, queue, cb, nil, false)
}

// QueueSubscribeSync is SubscribeSync as a member of the queue group queue.
func (nc *Conn) QueueSubscribeSync(subj, queue string) (*Subscription, error) {
	return nc.subscribe(subj, queue, nil, nil, true)
}

func (nc *Conn) subscribe(subj, queue string, cb MsgHandler, ch chan *Msg, isSync bool) (*Subscription, error) {
	p := nc.cptr()
	if p == nil {
		return nil, ErrInvalidConnection
	}
	if err := nc.drainingErr(); err != nil {
		return nil, err
	}
	if cb == nil && ch == nil && !isSync {
		return nil, ErrBadSubscription
	}
	s := &Subscription{
		Subject: subj, Queue: queue, conn: nc, mcb: cb, mch: ch,
		h: &subHandle{}, done: make(chan struct{}), ended: make(chan struct{}),
		pMsgsLimit: DefaultSubPendingMsgsLimit, pBytesLim: DefaultSubPendingBytesLimit,
	}
	// Every kind is a sync subscription in the core: a goroutine (async and channel kinds) or
	// NextMsg (sync kind) takes the messages in batches, so there is no C->Go callback per
	// message and no OS thread per subscription (waits are in Go's netpoller).
	switch {
	case cb != nil:
		s.typ = AsyncSubscription
	case ch != nil:
		s.typ = ChanSubscription
	default:
		s.typ = SyncSubscription
	}
	var cerr *C.char
	var out *C.natsrs_subscription
	ps, ns := cstr(subj)
	pq, nq := cstr(queue)
	st := C.gn_subscribe(p, ps, ns, pq, nq, C.bool(false), 0, &out, &cerr)
	runtime.KeepAlive(nc)
	if err := takeErr(st, cerr); err != nil {
		return nil, err
	}
	s.h.ptr = out
	s.key = uintptr(unsafe.Pointer(out))
	s.batch = newBatchBuf()
	runtime.AddCleanup(s, releaseBatchBuf, s.batch)
	core := nc.core
	core.mu.Lock()
	core.subs[s.key] = weak.Make(s)
	core.mu.Unlock()
	// A forgotten (unreachable) subscription is freed by the garbage collector.
	runtime.AddCleanup(s, func(c subCleanup) {
		c.core.mu.Lock()
		if w, ok := c.core.subs[c.key]; ok && w.Value() == nil {
			delete(c.core.subs, c.key)
		}
		c.core.mu.Unlock()
		c.h.close(false)
	}, subCleanup{core, s.h, s.key})
	if s.typ != SyncSubscription {
		s.pumpDone = make(chan struct{})
		go s.pump()
	}
	return s, nil
}

type subCleanup struct {
	core *connCore
	h    *subHandle
	key  uintptr
}

// finish marks the subscription as finished: no more deliveries, the C handle is released.
func (s *Subscription) finish(connClosed bool) {
	// The handle closes before the flag is set: a call that sees the subscription finished
	// must not still get the handle (a second Unsubscribe would succeed).
	s.h.close(connClosed)
	if s.closedF.Swap(true) {
		if connClosed {
			s.h.mu.Lock()
			s.h.connClosed = true
			s.h.mu.Unlock()
		}
		return
	}
	if core := s.conn.core; core != nil {
		core.mu.Lock()
		delete(core.subs, s.key)
		core.mu.Unlock()
	}
	if s.jsi != nil {
		s.jsi.close()
	}
	close(s.ended)
	s.wakePump()
	s.changeStatus(SubscriptionClosed)
	s.limMu.Lock()
	cb := s.closedCB
	s.limMu.Unlock()
	if cb != nil {
		cb(s.Subject)
	}
}

// stop ends deliveries at once (Unsubscribe, Close): the batch a pump holds is dropped.
func (s *Subscription) stop() {
	if !s.stopNow.Swap(true) {
		close(s.done)
		s.wakePump()
	}
}

// markClosed is used when the connection closed; after a connection drain, the batches in hand
// are still delivered (soft), after Close they are not.
func (s *Subscription) markClosed(connClosed, soft bool) {
	if !soft {
		s.stop()
	}
	s.finish(connClosed)
}

func (s *Subscription) endErr() error {
	s.h.mu.Lock()
	defer s.h.mu.Unlock()
	if s.h.connClosed {
		return ErrConnectionClosed
	}
	return ErrBadSubscription
}

// pump delivers the messages of an async or channel subscription (handler or channel): batches are taken from the core's
// queue without waiting (no C->Go callback per message); between batches the goroutine parks on
// the subscription's notify fd in Go's netpoller, so no OS thread is held per subscription.
func (s *Subscription) pump() {
	b := s.batch
	defer close(s.pumpDone)
	defer b.free()
	var fd int
	var wake chan struct{}
	dw := s.openPumpWait()
	if dw != nil {
		defer dw.close()
	} else {
		var err error
		if fd, wake, err = s.notifyChan(); err != nil {
			s.finish(err == ErrConnectionClosed)
			return
		}
	}
	var msgs []*Msg
	var pb packedBuf
	collect := func(m *Msg) { msgs = append(msgs, m) }
	fl := s.pumpFlowOf()
	defer fl.end()
	for first := true; ; first = false {
		switch {
		case dw != nil:
			select {
			case <-s.done:
				return
			case <-s.ended:
			default:
				if !first {
					dw.wait()
				}
			}
		default:
			select {
			case <-wake:
				s.clearNotify(fd)
			case <-s.ended:
			case <-s.done:
				return
			}
		}
		for {
			msgs = msgs[:0]
			n, left, err := s.tryFetchPackedLeft(&pb, collect)
			switch err {
			case nil:
			case ErrSlowConsumer:
				s.slowConsumer()
				continue
			default:
				s.finish(err == ErrConnectionClosed)
				return
			}
			if n > 0 && s.stat.cur.Load() == int32(SubscriptionSlowConsumer) {
				s.changeStatus(SubscriptionActive)
			}
			for _, m := range msgs {
				if s.mcb != nil {
					if s.stopNow.Load() {
						return
					}
					n := s.delivered.Add(1)
					s.conn.core.safeCall(s, func() { s.mcb(m) })
					if max := s.max.Load(); max > 0 && n >= max {
						s.finish(false)
						return
					}
					continue
				}
				select {
				case s.mch <- m:
					s.chanSent.Add(1)
					if s.chanSlow {
						s.chanSlow = false
						if s.stat.cur.Load() == int32(SubscriptionSlowConsumer) {
							s.changeStatus(SubscriptionActive)
						}
					}
				default:
					s.chanDropped.Add(1)
					if !s.chanSlow {
						s.chanSlow = true
						s.slowConsumer()
						s.conn.core.reportSlowConsumer(s)
					}
				}
			}
			if s.mcb != nil && len(msgs) > 0 {
				// What the handlers published (replies, typically) goes out now, together,
				// rather than after the flusher's wake-up.
				s.conn.core.handOver()
			}
			s.handled.Store(s.delivered.Load())
			if fl != nil {
				fl.after(n > 0 && left)
			}
			if n == 0 || !left {
				break // the core signals the next message
			}
		}
	}
}

// Type returns how the subscription delivers messages; a nil one is NilSubscription.
func (s *Subscription) Type() SubscriptionType {
	if s == nil {
		return NilSubscription
	}
	return s.typ
}

// IsValid reports whether the subscription can still deliver messages; it is false once the
// subscription has been closed.
func (s *Subscription) IsValid() bool {
	if s == nil || s.closedF.Load() {
		return false
	}
	if s.draining.Load() {
		return true // until the drain finished
	}
	if s.jsi != nil {
		return !s.conn.IsClosed()
	}
	p := s.h.acquire()
	if p == nil {
		return false
	}
	v := bool(C.natsrs_subscription_is_valid(p))
	s.h.release()
	return v
}

// Unsubscribe ends the subscription at once; messages not yet delivered are dropped.
func (s *Subscription) Unsubscribe() error {
	if s == nil {
		return ErrBadSubscription
	}
	if s.jsi != nil {
		return s.jsUnsubscribe()
	}
	if s.conn.IsClosed() {
		return ErrConnectionClosed
	}
	if s.closedF.Load() {
		// Finished already (possibly by the pump, which may not have released the handle yet).
		return s.endErr()
	}
	if s.conn.core != nil && s.conn.core.draining.Load() {
		return ErrConnectionDraining
	}
	s.syncConn()
	p := s.h.acquire()
	if p == nil {
		return s.endErr()
	}
	var cerr *C.char
	st := C.gn_sub_op(p, C.GN_SUB_UNSUBSCRIBE, 0, 0, &cerr)
	s.h.release()
	err := takeErr(st, cerr)
	s.stop()
	s.finish(false)
	if err == ErrBadSubscription || err == ErrMaxMessages {
		err = nil
	}
	return err
}

// AutoUnsubscribe asks the server to end the subscription by itself after max messages in
// total, e.g. to collect a known number of replies to a request.
func (s *Subscription) AutoUnsubscribe(max int) error {
	if s == nil {
		return ErrBadSubscription
	}
	if s.conn.IsClosed() {
		return ErrConnectionClosed
	}
	if max <= 0 {
		return s.Unsubscribe()
	}
	if s.jsi != nil {
		if s.closedF.Load() {
			return ErrBadSubscription
		}
		s.max.Store(uint64(max))
		if s.delivered.Load() >= uint64(max) { // already delivered that many (as nats.go)
			go s.Unsubscribe()
		}
		return nil
	}
	s.syncConn()
	p := s.h.acquire()
	if p == nil {
		return s.endErr()
	}
	s.max.Store(uint64(max))
	var cerr *C.char
	st := C.gn_sub_op(p, C.GN_SUB_AUTO_UNSUBSCRIBE, C.int64_t(max), 0, &cerr)
	s.h.release()
	return takeErr(st, cerr)
}

// Drain unsubscribes but still delivers the messages already received before it ends.
func (s *Subscription) Drain() error {
	if s == nil {
		return ErrBadSubscription
	}
	if s.jsi != nil {
		return s.jsDrain()
	}
	if s.conn.IsClosed() {
		return ErrConnectionClosed
	}
	if s.closedF.Load() {
		return nil // ended already (unsubscribed): nothing left to drain (as nats.go)
	}
	s.syncConn()
	p := s.h.acquire()
	if p == nil {
		if err := s.endErr(); err == ErrConnectionClosed {
			return err
		}
		return nil
	}
	// (before the core's drain: the pump may see the end before the call returns; Conn.Drain
	// may have set it already)
	if SubStatus(s.stat.cur.Load()) != SubscriptionDraining {
		s.changeStatus(SubscriptionDraining)
	}
	var cerr *C.char
	st := C.gn_sub_op(p, C.GN_SUB_DRAIN, 0, 0, &cerr)
	if err := takeErr(st, cerr); err != nil {
		s.h.release()
		s.undoDraining()
		return err
	}
	s.draining.Store(true)
	timeout := s.conn.Opts.DrainTimeout
	if timeout <= 0 {
		timeout = DefaultDrainTimeout
	}
	go func() {
		var cerr *C.char
		st := C.gn_sub_op(p, C.GN_SUB_DRAIN_WAIT, C.int64_t(ms(timeout)), 0, &cerr)
		err := takeErr(st, cerr)
		s.h.release()
		if err == ErrTimeout {
			s.conn.core.reportError(s, ErrDrainTimeout)
		}
		// Async and channel subscriptions: the pump still delivers the batch it holds and ends
		// the subscription when the core reports the end. A synchronous subscription still hands
		// out the messages NextMsg already took.
		if err != nil {
			s.stop()
		}
		if s.typ == SyncSubscription || err != nil {
			s.finish(false)
		}
	}()
	return nil
}

// IsDraining reports whether Drain has been called and has not finished yet.
func (s *Subscription) IsDraining() bool {
	return s != nil && s.draining.Load() && !s.closedF.Load()
}

// SetClosedHandler sets a callback, given the subject, that runs when the subscription ends by
// Unsubscribe or Drain.
func (s *Subscription) SetClosedHandler(handler func(subject string)) {
	s.limMu.Lock()
	s.closedCB = handler
	s.limMu.Unlock()
}

// NextMsg waits up to timeout for the subscription's next message. It fails with
// ErrBadSubscription (invalid subscription), ErrConnectionClosed, ErrTimeout, or
// ErrNoResponders when the subscription awaits a request's reply and nobody was listening.
func (s *Subscription) NextMsg(timeout time.Duration) (*Msg, error) {
	if s == nil {
		return nil, ErrBadSubscription
	}
	if s.jsi != nil {
		return s.jsNextMsg(timeout)
	}
	if s.typ == ChanSubscription {
		if timeout <= 0 {
			timeout = time.Millisecond
		}
		t := time.NewTimer(timeout)
		defer t.Stop()
		return s.chanNext(t.C, func() error { return ErrTimeout })
	}
	if s.typ != SyncSubscription {
		return nil, ErrSyncSubRequired
	}
	m, err := s.nextMsgSync(timeout)
	return m, s.nextErr(err)
}

// nextErr is the error NextMsg gives for err: a subscription ended by its AutoUnsubscribe
// limit gives ErrMaxMessages (as nats.go).
func (s *Subscription) nextErr(err error) error {
	if err == ErrBadSubscription {
		if max := s.max.Load(); max > 0 && s.delivered.Load() >= max {
			return ErrMaxMessages
		}
	}
	return err
}

// chanNext is NextMsg on a channel subscription: it receives from the subscription's channel
// (as nats.go), until done.
func (s *Subscription) chanNext(done <-chan time.Time, doneErr func() error) (*Msg, error) {
	if s.conn.IsClosed() {
		return nil, ErrConnectionClosed
	}
	if s.closedF.Load() {
		return nil, s.nextErr(ErrBadSubscription)
	}
	select {
	case m := <-s.mch:
		return m, nil
	default:
	}
	select {
	case m := <-s.mch:
		return m, nil
	case <-done:
		return nil, doneErr()
	}
}

// nextMsgSync is NextMsg on a synchronous subscription.
func (s *Subscription) nextMsgSync(timeout time.Duration) (*Msg, error) {
	s.nextMu.Lock()
	defer s.nextMu.Unlock()
	if len(s.local) > 0 {
		return s.popLocal()
	}
	if timeout <= 0 {
		timeout = time.Millisecond
	}
	// Up to maxBlockingWaits NextMsg calls wait in a blocking C call; more concurrent ones wait
	// on the notify fd with a timer, so that many waiting goroutines do not hold OS threads.
	if blockingWaits.Add(1) > maxBlockingWaits {
		blockingWaits.Add(-1)
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		return s.waitNext(ctx.Done(), func() error { return ErrTimeout })
	}
	defer blockingWaits.Add(-1)
	if err := s.fetch(timeout); err != nil {
		return nil, err
	}
	return s.popLocal()
}

func (s *Subscription) popLocal() (*Msg, error) {
	m := s.local[0]
	s.local[0] = nil
	s.local = s.local[1:]
	s.delivered.Add(1)
	if len(m.Data) == 0 && m.Header.Get(statusHdr) == noResponders {
		return m, ErrNoResponders
	}
	return m, nil
}

// fetch takes the next batch from the core (called with nextMu held).
func (s *Subscription) fetch(timeout time.Duration) error {
	p := s.h.acquire()
	if p == nil {
		return s.endErr()
	}
	b := s.batch
	var cerr *C.char
	var n C.size_t
	pm, pv := b.ptrs()
	st := C.gn_next_batch(p, b.n, batchMax, C.int64_t(ms(timeout)), pm, pv, &n, &cerr)
	s.h.release()
	b.n = n
	if err := takeErr(st, cerr); err != nil {
		s.fetchErr(err)
		return err
	}
	for i := 0; i < int(n); i++ {
		s.local = append(s.local, copyView(&b.views[i], s))
	}
	return nil
}

// syncConn hands the connection's pending publishes to the core before s sends something, so
// that they go out first (see publish_batch.go).
func (s *Subscription) syncConn() {
	if s.conn != nil && s.conn.core != nil {
		s.conn.core.handOver()
	}
}
