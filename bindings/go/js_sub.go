package nats

/*
#include "js_shim.h"
*/
import "C"

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"runtime/cgo"
	"strings"
	"sync"
	"time"
	"unsafe"
	"weak"
)

// ---- the subscription side --------------------------------------------------------------------

// jsSub is the C side of a JetStream subscription: a natsrs_js_subscription (push) or a
// natsrs_pull_subscription, freed once finished and no C call uses it.
type jsSub struct {
	js      *js
	pull    bool
	ordered bool // OrderedConsumer(): ptr is a gn_ordered (js_ordered.go)
	mu      sync.Mutex
	ptr     unsafe.Pointer
	refs    int
	closed  bool
	stream  string
	cons    string
	ackNone bool
	fetchMu sync.Mutex
}

func (j *jsSub) acquire() unsafe.Pointer {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed || j.ptr == nil {
		return nil
	}
	j.refs++
	return j.ptr
}

func (j *jsSub) release() {
	j.mu.Lock()
	j.refs--
	var p unsafe.Pointer
	if j.refs == 0 && j.closed {
		p, j.ptr = j.ptr, nil
	}
	j.mu.Unlock()
	j.free(p)
}

// close marks it finished; it is freed now or by the last release (off the caller's thread:
// a handler may unsubscribe its own subscription).
func (j *jsSub) close() {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return
	}
	j.closed = true
	var p unsafe.Pointer
	if j.refs == 0 {
		p, j.ptr = j.ptr, nil
	}
	j.mu.Unlock()
	j.free(p)
}

func (j *jsSub) free(p unsafe.Pointer) {
	if p == nil {
		return
	}
	pull := j.pull
	if j.ordered {
		go orderedFree(p)
		return
	}
	go func() {
		var je C.gn_jerr
		C.gn_js_sub_op(p, C.bool(pull), C.GN_JS_SUB_FREE, 0, nil, &je)
		freeJErr(&je)
	}()
}

// jsHandler is the userdata of a push subscription with a handler or channel.
type jsHandler struct {
	sub     weak.Pointer[Subscription]
	strong  *Subscription // kept until the subscription ends (as nats.go's connection does)
	cb      MsgHandler
	ch      chan *Msg
	autoAck bool
}

//export goOnJSMsg
func goOnJSMsg(ud C.uintptr_t, v *C.gn_msg_view) {
	hc, _ := handleValue(cgo.Handle(ud)).(*jsHandler)
	if hc == nil {
		return
	}
	s := hc.sub.Value()
	if s == nil || s.stopNow.Load() {
		return
	}
	n := s.delivered.Add(1)
	max := s.max.Load() // AutoUnsubscribe
	if max > 0 && n > max {
		return
	}
	m := copyView(v, s)
	if hc.ch != nil {
		select {
		case hc.ch <- m:
		case <-s.done:
		}
	} else {
		returned := false // a handler that panicked (reported to the ErrorHandler) does not ack
		s.conn.core.safeCall(s, func() { hc.cb(m); returned = true })
		s.handled.Add(1)
		if hc.autoAck && returned && !m.isAcked() {
			_ = m.Ack()
		}
	}
	if max > 0 && n == max {
		go s.Unsubscribe()
	}
}

func (j *js) newSubOpts(opts []SubOpt) (*subOpts, error) {
	o := &subOpts{cfg: &ConsumerConfig{DeliverPolicy: deliverPolicyNotSet, AckPolicy: ackPolicyNotSet, ReplayPolicy: replayPolicyNotSet}}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt.configureSubscribe(o); err != nil {
			return nil, err
		}
	}
	if len(o.unsup) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrNotSupported, strings.Join(o.unsup, ", "))
	}
	return o, nil
}

// cfgJSON is the base consumer config the library completes (deliver subject, filter).
func (o *subOpts) cfgJSON() (string, error) {
	c := *o.cfg
	c.DeliverSubject = "" // natsrs_js_subscribe_options_set_deliver_subject
	if c.DeliverPolicy == deliverPolicyNotSet {
		c.DeliverPolicy = DeliverAllPolicy
	}
	if c.AckPolicy == ackPolicyNotSet {
		c.AckPolicy = AckExplicitPolicy
	}
	if c.ReplayPolicy == replayPolicyNotSet {
		c.ReplayPolicy = ReplayInstantPolicy
	}
	b, err := json.Marshal(&c)
	return string(b), err
}

// Subscribe creates a JetStream subscription that calls cb with each message. Use Bind to attach
// to an existing consumer; otherwise the consumer named by Durable is used or created, or an
// ephemeral one is created (and deleted on Unsubscribe).
func (j *js) Subscribe(subj string, cb MsgHandler, opts ...SubOpt) (*Subscription, error) {
	if cb == nil {
		return nil, ErrBadSubscription
	}
	return j.subscribe(subj, "", cb, nil, C.GN_JS_PUSH, opts)
}

// SubscribeSync creates a JetStream subscription whose messages are read with NextMsg.
func (j *js) SubscribeSync(subj string, opts ...SubOpt) (*Subscription, error) {
	return j.subscribe(subj, "", nil, nil, C.GN_JS_PUSH_SYNC, opts)
}

// QueueSubscribe is Subscribe as a member of the queue group queue (the consumer's deliver
// group; the queue name is the durable name unless Durable says otherwise).
func (j *js) QueueSubscribe(subj, queue string, cb MsgHandler, opts ...SubOpt) (*Subscription, error) {
	if cb == nil {
		return nil, ErrBadSubscription
	}
	return j.subscribe(subj, queue, cb, nil, C.GN_JS_PUSH, opts)
}

// QueueSubscribeSync is SubscribeSync as a member of the queue group queue
// (natsrs_jetstream_queue_subscribe_sync: the members share the consumer's messages).
func (j *js) QueueSubscribeSync(subj, queue string, opts ...SubOpt) (*Subscription, error) {
	return j.subscribe(subj, queue, nil, nil, C.GN_JS_PUSH_SYNC, opts)
}

// ChanSubscribe creates a JetStream subscription that delivers its messages on ch.
func (j *js) ChanSubscribe(subj string, ch chan *Msg, opts ...SubOpt) (*Subscription, error) {
	if ch == nil {
		return nil, ErrBadSubscription
	}
	return j.subscribe(subj, "", nil, ch, C.GN_JS_PUSH, opts)
}

// ChanQueueSubscribe is ChanSubscribe as a member of the queue group queue.
func (j *js) ChanQueueSubscribe(subj, queue string, ch chan *Msg, opts ...SubOpt) (*Subscription, error) {
	if ch == nil {
		return nil, ErrBadSubscription
	}
	return j.subscribe(subj, queue, nil, ch, C.GN_JS_PUSH, opts)
}

// PullSubscribe binds a pull consumer to a Subscription whose messages are requested with Fetch
// or FetchBatch. An empty durable creates an ephemeral consumer.
func (j *js) PullSubscribe(subj, durable string, opts ...SubOpt) (*Subscription, error) {
	if durable != "" {
		opts = append(opts, Durable(durable))
	}
	return j.subscribe(subj, "", nil, nil, C.GN_JS_PULL, opts)
}

func (j *js) subscribe(subj, queue string, cb MsgHandler, ch chan *Msg, kind C.int, opts []SubOpt) (*Subscription, error) {
	o, err := j.newSubOpts(opts)
	if err != nil {
		return nil, err
	}
	if o.ctx == nil {
		return j.subscribeWith(subj, queue, cb, ch, kind, o)
	}
	// As nats.go: the consumer is made under the context, and the subscription ends when the
	// context is done.
	if err := o.ctx.Err(); err != nil {
		return nil, err
	}
	s, err := j.subscribeWith(subj, queue, cb, ch, kind, o)
	if err == nil && o.ctx.Done() != nil {
		go func(ctx context.Context) {
			select {
			case <-ctx.Done():
				s.Unsubscribe()
			case <-s.ended:
			}
		}(o.ctx)
	}
	return s, err
}

func (j *js) subscribeWith(subj, queue string, cb MsgHandler, ch chan *Msg, kind C.int, o *subOpts) (*Subscription, error) {
	if o.ordered {
		return j.subscribeOrdered(subj, queue, cb, ch, kind, o)
	}
	if kind == C.GN_JS_PULL && o.cfg.DeliverSubject != "" {
		return nil, ErrPullSubscribeToPushConsumer
	}
	if kind == C.GN_JS_PULL && o.mack {
		// (nats.go ignores ManualAck for pull subscriptions too: they never auto-ack.)
		o.mack = false
	}
	if o.cfg.MaxAckPending == 0 && o.cfg.AckPolicy != AckNonePolicy {
		// As nats.go: a consumer the library creates for a sync, channel or pull subscription
		// (not a callback one) gets its channel's capacity as MaxAckPending when none is set
		// (the library uses the config only when it creates the consumer).
		switch {
		case kind == C.GN_JS_PULL, kind == C.GN_JS_PUSH_SYNC:
			o.cfg.MaxAckPending = j.nc.Opts.SubChanLen
		case ch != nil:
			o.cfg.MaxAckPending = cap(ch)
		}
	}
	// As nats.go, an existing consumer (Bind, Durable, else a push queue's name) that filters on
	// another subject is refused before anything else is checked.
	name := o.consumer
	if name == "" {
		name = o.cfg.Durable
	}
	if name == "" && kind != C.GN_JS_PULL {
		name = queue
	}
	if j.filterMismatch(subj, o.stream, name) {
		return nil, ErrSubjectMismatch
	}
	cfgJSON, err := o.cfgJSON()
	if err != nil {
		return nil, err
	}
	s := &Subscription{
		Subject: subj, Queue: queue, conn: j.nc, mcb: cb, mch: ch,
		h: &subHandle{}, done: make(chan struct{}), ended: make(chan struct{}),
		pMsgsLimit: DefaultSubPendingMsgsLimit, pBytesLim: DefaultSubPendingBytesLimit,
	}
	switch {
	case kind == C.GN_JS_PULL:
		s.typ = PullSubscription
	case cb != nil:
		s.typ = AsyncSubscription
	case ch != nil:
		s.typ = ChanSubscription
	default:
		s.typ = SyncSubscription
	}
	jsub := &jsSub{js: j, pull: kind == C.GN_JS_PULL, ackNone: o.cfg.AckPolicy == AckNonePolicy}
	s.jsi = jsub
	var ud cgo.Handle
	var hc *jsHandler
	if kind == C.GN_JS_PUSH {
		hc = &jsHandler{sub: weak.Make(s), strong: s, cb: cb, ch: ch, autoAck: cb != nil && !o.mack && o.cfg.AckPolicy != AckNonePolicy}
		ud = newHandle(hc)
	}
	durable := o.cfg.Durable
	bind := o.consumer
	pullDurable := ""
	if kind == C.GN_JS_PULL {
		pullDurable, durable = durable, ""
		if bind != "" {
			pullDurable = bind
		}
	}
	q := queue
	if kind == C.GN_JS_PULL {
		q = pullDurable
	}
	sa := C.gn_sub_args{kind: kind, manual_ack: C.bool(o.mack), has_cfg: true}
	var out unsafe.Pointer
	var je C.gn_jerr
	ps, ns := cstr(subj)
	pq, nq := cstr(q)
	pst, nst := cstr(o.stream)
	pd, nd := cstr(durable)
	pb, nb := cstr(bind)
	pc, nc := cstr(cfgJSON)
	pdl, ndl := cstr(o.cfg.DeliverSubject)
	st := C.gn_js_subscribe(j.cp(), &sa, ps, ns, pq, nq, pst, nst, pd, nd, pb, nb, pc, nc, pdl, ndl, C.uintptr_t(ud), &out, &je)
	runtime.KeepAlive(j)
	runtime.KeepAlive(cfgJSON)
	runtime.KeepAlive(o)
	if err := jsErr(st, &je, jsCallSubscribe); err != nil {
		return nil, subscribeErr(err, kind)
	}
	jsub.ptr = out
	core := j.nc.core
	s.key = uintptr(out)
	core.mu.Lock()
	core.subs[s.key] = weak.Make(s)
	core.mu.Unlock()
	if hc != nil {
		s.h.closed = true // no core subscription handle: the hooks in sub.go go to jsi
	} else {
		s.h.closed = true
		runtime.AddCleanup(s, func(c subCleanup) {
			c.core.mu.Lock()
			if w, ok := c.core.subs[c.key]; ok && w.Value() == nil {
				delete(c.core.subs, c.key)
			}
			c.core.mu.Unlock()
		}, subCleanup{core, s.h, s.key})
		runtime.AddCleanup(s, func(js *jsSub) { js.close() }, jsub)
	}
	return s, nil
}

// subscribeErr maps what the core reports for a consumer of the wrong kind.
func subscribeErr(err error, kind C.int) error {
	e, ok := err.(*Error)
	if !ok || e.Status != stIllegalState {
		return err
	}
	switch {
	case strings.Contains(e.Detail, "pull consumer") && kind != C.GN_JS_PULL:
		return ErrPullSubscribeRequired
	case strings.Contains(e.Detail, "push") && kind == C.GN_JS_PULL:
		return ErrPullSubscribeToPushConsumer
	case strings.Contains(e.Detail, "already bound"):
		return errors.New("consumer is already bound to a subscription") // nats.go's text
	}
	return err
}

// filterMismatch: the consumer name of the stream (found from subj when not given) exists and
// filters on a subject other than subj.
func (j *js) filterMismatch(subj, stream, name string) bool {
	if name == "" {
		return false
	}
	if stream == "" {
		var err error
		if stream, err = j.StreamNameBySubject(subj); err != nil {
			return false
		}
	}
	info, err := j.ConsumerInfo(stream, name)
	if err != nil || info == nil {
		return false
	}
	return info.Config.FilterSubject != "" && info.Config.FilterSubject != subj
}

// jsEnd ends a JetStream subscription (Unsubscribe, Drain, connection closed).
func (s *Subscription) jsEnd() {
	s.stop()
	s.finish(false)
}

// jsUnsubscribe unsubscribes (the core deletes a consumer it created, as nats.go).
func (s *Subscription) jsUnsubscribe() error {
	if s.conn.IsClosed() {
		return ErrConnectionClosed
	}
	p := s.jsi.acquire()
	if p == nil {
		return ErrBadSubscription
	}
	s.stop()           // a handler blocked on a full channel returns (no more deliveries)
	if s.jsi.ordered { // its consumer is deleted when the handle is freed
		orderedStop(p)
		s.jsi.release()
		s.jsEnd()
		return nil
	}
	var je C.gn_jerr
	st := C.gn_js_sub_op(p, C.bool(s.jsi.pull), C.GN_JS_SUB_UNSUBSCRIBE, 0, nil, &je)
	s.jsi.release()
	err := jsErr(st, &je, jsCallConsumer)
	s.jsEnd()
	if err == ErrBadSubscription || err == ErrConsumerNotFound {
		err = nil
	}
	return err
}

// jsDrain drains in the background (as nats.go's Drain), then ends the subscription.
func (s *Subscription) jsDrain() error {
	if s.conn.IsClosed() {
		return ErrConnectionClosed
	}
	p := s.jsi.acquire()
	if p == nil {
		return ErrBadSubscription
	}
	s.draining.Store(true)
	s.changeStatus(SubscriptionDraining)
	if s.jsi.ordered { // nothing to ack: stop
		orderedStop(p)
		s.jsi.release()
		go s.jsEnd()
		return nil
	}
	timeout := s.conn.Opts.DrainTimeout
	if timeout <= 0 {
		timeout = DefaultDrainTimeout
	}
	go func() {
		var je C.gn_jerr
		st := C.gn_js_sub_op(p, C.bool(s.jsi.pull), C.GN_JS_SUB_DRAIN, C.int64_t(ms(timeout)), nil, &je)
		s.jsi.release()
		if err := jsErr(st, &je, jsCallConsumer); err == ErrTimeout {
			s.conn.core.reportError(s, ErrDrainTimeout)
		}
		s.jsEnd()
	}()
	return nil
}

// jsNextMsg is NextMsg of a synchronous push subscription.
func (s *Subscription) jsNextMsg(timeout time.Duration) (*Msg, error) {
	if s.jsi.pull {
		return nil, ErrTypeSubscription
	}
	if s.typ != SyncSubscription {
		return nil, ErrSyncSubRequired
	}
	if timeout <= 0 {
		timeout = time.Millisecond
	}
	p, err := s.jsAcquire()
	if err != nil {
		return nil, err
	}
	var m *Msg
	if s.jsi.ordered {
		var err error
		m, err = s.jsi.orderedNext(p, ms(timeout), s)
		s.jsi.release()
		if err != nil {
			return nil, err
		}
	} else {
		var view C.gn_msg_view
		var out *C.natsrs_msg
		var je C.gn_jerr
		st := C.gn_js_next((*C.natsrs_js_subscription)(p), C.int64_t(ms(timeout)), &view, &out, &je)
		s.jsi.release()
		if err := jsErr(st, &je, jsCallConsumer); err != nil {
			return nil, err
		}
		m = copyView(&view, s)
		freeView(&view)
		C.natsrs_msg_free(out)
	}
	n := s.delivered.Add(1)
	if max := s.max.Load(); max > 0 && n >= max { // AutoUnsubscribe
		if n > max {
			return nil, ErrMaxMessages
		}
		go s.Unsubscribe()
	}
	return m, nil
}

// jsNextMsgCtx waits in slices so that a cancelled context ends the wait.
func (s *Subscription) jsNextMsgCtx(ctx context.Context) (*Msg, error) {
	const slice = 100 * time.Millisecond
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		d := slice
		if dl, ok := ctx.Deadline(); ok {
			if left := time.Until(dl); left < d {
				d = left
			}
			if d <= 0 {
				return nil, context.DeadlineExceeded
			}
		}
		m, err := s.jsNextMsg(d)
		if err == ErrTimeout {
			continue
		}
		return m, err
	}
}

// ConsumerInfo returns the info of the consumer of a JetStream subscription.
func (s *Subscription) ConsumerInfo() (*ConsumerInfo, error) {
	if s == nil || s.jsi == nil {
		return nil, ErrTypeSubscription
	}
	p := s.jsi.acquire()
	if p == nil {
		return nil, ErrBadSubscription
	}
	var out *C.char
	var je C.gn_jerr
	var st C.natsrs_status
	if s.jsi.ordered { // the consumer it uses now (recreated on a gap, so the name changes)
		st = C.gn_js_ordered_info((*C.gn_ordered)(p), &out, &je)
	} else {
		st = C.gn_js_sub_op(p, C.bool(s.jsi.pull), C.GN_JS_SUB_INFO, 0, &out, &je)
	}
	s.jsi.release()
	if err := jsErr(st, &je, jsCallConsumer); err != nil {
		return nil, err
	}
	var ci ConsumerInfo
	if err := json.Unmarshal([]byte(natsString(out)), &ci); err != nil {
		return nil, err
	}
	return &ci, nil
}
