package nats

/*
#include "js_shim.h"
*/
import "C"

import "unsafe"

// The client-side queue of a JetStream subscription: Pending, Dropped, MaxPending,
// ClearMaxPending and SetPendingLimits on natsrs_js_subscription_pending / _dropped /
// _max_pending / _clear_max_pending / _set_pending_limits for a push subscription, and the
// natsrs_pull_subscription_ ones for a pull subscription (its queue holds messages received and
// not yet fetched), and the natsrs_js_ordered_consumer_ ones for an ordered consumer (Pending:
// the queue of the consumer it uses now; Dropped and MaxPending: over every consumer it made;
// its limits hold for each one it makes, and a message dropped over them makes it start again
// after the last one delivered).

// jsAcquire acquires the C JetStream subscription (release with s.jsi.release): nil and
// ErrConnectionClosed or ErrBadSubscription once it is gone.
func (s *Subscription) jsAcquire() (unsafe.Pointer, error) {
	s.syncConn()
	p := s.jsi.acquire()
	if p == nil {
		if s.conn.IsClosed() {
			return nil, ErrConnectionClosed
		}
		return nil, ErrBadSubscription
	}
	return p, nil
}

// jsPushPtr acquires the C push subscription (release with s.jsi.release).
func (s *Subscription) jsPushPtr() (*C.natsrs_js_subscription, error) {
	if s.jsi.pull || s.jsi.ordered {
		return nil, ErrTypeSubscription
	}
	p, err := s.jsAcquire()
	if err != nil {
		return nil, err
	}
	return (*C.natsrs_js_subscription)(p), nil
}

func (s *Subscription) jsCounters() (C.gn_js_counters, error) {
	var c C.gn_js_counters
	if s.jsi.ordered {
		p, err := s.jsAcquire()
		if err != nil {
			return c, err
		}
		var je C.gn_jerr
		st := C.gn_js_ordered_counters((*C.gn_ordered)(p), &c, &je)
		s.jsi.release()
		return c, jsErr(st, &je, jsCallConsumer)
	}
	if s.jsi.pull {
		p, err := s.jsAcquire()
		if err != nil {
			return c, err
		}
		var je C.gn_jerr
		st := C.gn_js_pull_counters((*C.natsrs_pull_subscription)(p), &c, &je)
		s.jsi.release()
		return c, jsErr(st, &je, jsCallConsumer)
	}
	p, err := s.jsPushPtr()
	if err != nil {
		return c, err
	}
	var je C.gn_jerr
	st := C.gn_js_sub_counters(p, &c, &je)
	s.jsi.release()
	return c, jsErr(st, &je, jsCallConsumer)
}

func (s *Subscription) jsSetPendingLimits(msgs, bytes int) error {
	var je C.gn_jerr
	var st C.natsrs_status
	if s.jsi.ordered {
		p, err := s.jsAcquire()
		if err != nil {
			return err
		}
		st = C.gn_js_ordered_set_limits((*C.gn_ordered)(p), C.int64_t(msgs), C.int64_t(bytes), &je)
	} else if s.jsi.pull {
		p, err := s.jsAcquire()
		if err != nil {
			return err
		}
		st = C.gn_js_pull_set_limits((*C.natsrs_pull_subscription)(p), C.int64_t(msgs), C.int64_t(bytes), &je)
	} else {
		p, err := s.jsPushPtr()
		if err != nil {
			return err
		}
		st = C.gn_js_sub_set_limits(p, C.int64_t(msgs), C.int64_t(bytes), &je)
	}
	s.jsi.release()
	if err := jsErr(st, &je, jsCallConsumer); err != nil {
		return err
	}
	s.limMu.Lock()
	s.pMsgsLimit, s.pBytesLim = msgs, bytes
	s.limMu.Unlock()
	return nil
}

func (s *Subscription) jsClearMaxPending() error {
	p, err := s.jsAcquire()
	if err != nil {
		return err
	}
	var je C.gn_jerr
	var st C.natsrs_status
	if s.jsi.ordered {
		st = C.gn_js_ordered_clear_max_pending((*C.gn_ordered)(p), &je)
	} else {
		st = C.gn_js_clear_max_pending(p, C.bool(s.jsi.pull), &je)
	}
	s.jsi.release()
	return jsErr(st, &je, jsCallConsumer)
}
