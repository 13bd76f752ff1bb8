package nats

/*
#include "js_shim.h"
*/
import "C"

import (
	"errors"
	"runtime"
	"runtime/cgo"
	"unsafe"
	"weak"
)

// OrderedConsumer() subscriptions run on the ordered consumer C API
// (natsrs_js_stream_ordered_consumer): the library creates an ephemeral, ack-none consumer and
// recreates it behind the scenes on a gap, so each message arrives once, in stream order.
// Subscribe / ChanSubscribe consume it with a C→Go callback per message
// (natsrs_js_ordered_consumer_consume); SubscribeSync takes messages with
// natsrs_js_ordered_consumer_next.

// OrderedConsumer subscribes through an ordered consumer: an ephemeral consumer that needs no
// acks and delivers each message once, in stream order (Subscribe, ChanSubscribe and
// SubscribeSync).
func OrderedConsumer() SubOpt {
	return subOptFn(func(o *subOpts) error {
		o.ordered = true
		return nil
	})
}

// The errors of options that do not go with an ordered consumer.
var (
	errOrderedDurable = errors.New("nats: durable can not be set for an ordered consumer")
	errOrderedBind    = errors.New("nats: can not bind existing consumer for an ordered consumer")
	errOrderedQueue   = errors.New("nats: queues not be set for an ordered consumer")
	errOrderedAck     = errors.New("nats: ack policy can not be set for an ordered consumer")
	errOrderedPull    = errors.New("nats: ordered consumers not supported for pull subscriptions")
	errOrderedDeliver = errors.New("nats: deliver subject can not be set for an ordered consumer")
)

func (j *js) subscribeOrdered(subj, queue string, cb MsgHandler, ch chan *Msg, kind C.int, o *subOpts) (*Subscription, error) {
	switch {
	case kind == C.GN_JS_PULL:
		return nil, errOrderedPull
	case queue != "":
		return nil, errOrderedQueue
	case o.cfg.DeliverSubject != "":
		return nil, errOrderedDeliver
	case o.cfg.Durable != "":
		return nil, errOrderedDurable
	case o.consumer != "":
		return nil, errOrderedBind
	case o.mack || (o.cfg.AckPolicy != ackPolicyNotSet && o.cfg.AckPolicy != AckNonePolicy):
		return nil, errOrderedAck
	}
	stream := o.stream
	if stream == "" {
		var err error
		if stream, err = j.StreamNameBySubject(subj); err != nil {
			if errors.Is(err, ErrStreamNotFound) {
				return nil, ErrNoMatchingStream
			}
			return nil, err
		}
	}
	if len(o.cfg.FilterSubjects) == 0 {
		o.cfg.FilterSubject = subj
	}
	o.cfg.AckPolicy = AckNonePolicy
	cfgJSON, err := o.cfgJSON()
	if err != nil {
		return nil, err
	}
	s := &Subscription{
		Subject: subj, conn: j.nc, mcb: cb, mch: ch,
		h: &subHandle{closed: true}, done: make(chan struct{}), ended: make(chan struct{}),
		pMsgsLimit: DefaultSubPendingMsgsLimit, pBytesLim: DefaultSubPendingBytesLimit,
	}
	switch {
	case cb != nil:
		s.typ = AsyncSubscription
	case ch != nil:
		s.typ = ChanSubscription
	default:
		s.typ = SyncSubscription
	}
	jsub := &jsSub{js: j, ordered: true, ackNone: true, stream: stream}
	s.jsi = jsub
	var ud cgo.Handle
	if cb != nil || ch != nil {
		ud = newHandle(&jsHandler{sub: weak.Make(s), strong: s, cb: cb, ch: ch})
	}
	var out *C.gn_ordered
	var je C.gn_jerr
	ps, ns := cstr(stream)
	pc, nc := cstr(cfgJSON)
	st := C.gn_js_ordered_new(j.cp(), ps, ns, pc, nc, C.uintptr_t(ud), &out, &je)
	runtime.KeepAlive(j)
	runtime.KeepAlive(stream)
	runtime.KeepAlive(cfgJSON)
	if err := jsErr(st, &je, jsCallStream); err != nil {
		return nil, err
	}
	jsub.ptr = unsafe.Pointer(out)
	core := j.nc.core
	s.key = uintptr(jsub.ptr)
	core.mu.Lock()
	core.subs[s.key] = weak.Make(s)
	core.mu.Unlock()
	if ud == 0 {
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

// orderedNext takes the next message of a synchronous ordered subscription.
func (j *jsSub) orderedNext(p unsafe.Pointer, timeoutMs int64, s *Subscription) (*Msg, error) {
	var view C.gn_msg_view
	var out *C.natsrs_msg
	var je C.gn_jerr
	st := C.gn_js_ordered_next((*C.gn_ordered)(p), C.int64_t(timeoutMs), &view, &out, &je)
	if err := jsErr(st, &je, jsCallStream); err != nil {
		return nil, err
	}
	m := copyView(&view, s)
	freeView(&view)
	C.natsrs_msg_free(out)
	return m, nil
}

func orderedStop(p unsafe.Pointer) { C.gn_js_ordered_stop((*C.gn_ordered)(p)) }

func orderedFree(p unsafe.Pointer) { C.gn_js_ordered_free((*C.gn_ordered)(p)) }
