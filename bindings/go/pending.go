package nats

/*
#include "shim.h"
*/
import "C"

import "runtime"

// Buffered returns how many bytes are waiting to be written to the socket: published but not
// yet written, including what is kept for the next server while reconnecting
// (natsrs_connection_buffered).
func (nc *Conn) Buffered() (int, error) {
	p := nc.cptr()
	if p == nil || nc.IsClosed() {
		return -1, ErrConnectionClosed
	}
	var cerr *C.char
	var out C.size_t
	st := C.gn_buffered(p, &out, &cerr)
	runtime.KeepAlive(nc)
	if err := takeErr(st, cerr); err != nil {
		return -1, err
	}
	return int(out), nil
}

// MaxPending returns the highest queued message and byte counts the subscription has had (since
// it was made or since ClearMaxPending). These are the core's queue; the messages of the batch
// the binding already took for NextMsg are not in it.
func (s *Subscription) MaxPending() (int, int, error) {
	if s == nil {
		return -1, -1, ErrBadSubscription
	}
	if s.jsi != nil {
		c, err := s.jsCounters()
		if err != nil {
			return -1, -1, err
		}
		return int(c.max_msgs), int(c.max_bytes), nil
	}
	if s.typ == ChanSubscription {
		return -1, -1, ErrTypeSubscription
	}
	p := s.h.acquire()
	if p == nil {
		return -1, -1, ErrBadSubscription
	}
	var cerr *C.char
	var m, b C.int64_t
	st := C.gn_sub_max_pending(p, &m, &b, &cerr)
	s.h.release()
	if err := takeErr(st, cerr); err != nil {
		return -1, -1, err
	}
	return int(m), int(b), nil
}

// ClearMaxPending sets the subscription's high-water marks (see MaxPending) back to zero.
func (s *Subscription) ClearMaxPending() error {
	if s == nil {
		return ErrBadSubscription
	}
	if s.jsi != nil {
		return s.jsClearMaxPending()
	}
	if s.typ == ChanSubscription {
		return ErrTypeSubscription
	}
	p := s.h.acquire()
	if p == nil {
		return ErrBadSubscription
	}
	var cerr *C.char
	st := C.gn_sub_op(p, C.GN_SUB_CLEAR_MAX_PENDING, 0, 0, &cerr)
	s.h.release()
	return takeErr(st, cerr)
}

func (s *Subscription) counters() (int, int, uint64, uint64, error) {
	if s == nil {
		return 0, 0, 0, 0, ErrBadSubscription
	}
	if s.jsi != nil {
		c, err := s.jsCounters()
		return int(c.msgs), int(c.bytes), uint64(c.dropped), s.delivered.Load(), err
	}
	p := s.h.acquire()
	if p == nil {
		return 0, 0, 0, 0, ErrBadSubscription
	}
	var cerr *C.char
	var m, b C.int64_t
	var d, del C.uint64_t
	st := C.gn_sub_pending(p, &m, &b, &d, &del, &cerr)
	s.h.release()
	if err := takeErr(st, cerr); err != nil {
		return 0, 0, 0, 0, err
	}
	return int(m), int(b), uint64(d), uint64(del), nil
}

// Dropped counts the messages this subscription lost because its pending limits were exceeded.
func (s *Subscription) Dropped() (int, error) {
	_, _, d, _, err := s.counters()
	if err != nil {
		return -1, err
	}
	return int(d + s.chanDropped.Load()), nil
}

// Pending returns how many messages, and how many bytes, are queued in the client for this
// subscription and not yet delivered.
func (s *Subscription) Pending() (int, int, error) {
	if s != nil && s.typ == ChanSubscription {
		return -1, -1, ErrTypeSubscription
	}
	msgs, bytes, _, _, err := s.counters()
	if err != nil {
		return -1, -1, err
	}
	s.nextMu.Lock()
	for _, m := range s.local {
		msgs++
		bytes += len(m.Data)
	}
	s.nextMu.Unlock()
	return msgs, bytes, nil
}

// QueuedMsgs returns the message count part of Pending.
func (s *Subscription) QueuedMsgs() (int, error) {
	m, _, err := s.Pending()
	return m, err
}

// Delivered counts the messages handed to the application by this subscription so far.
func (s *Subscription) Delivered() (int64, error) {
	if s == nil {
		return -1, ErrBadSubscription
	}
	if s.typ == SyncSubscription || s.typ == AsyncSubscription {
		if s.closedF.Load() {
			return -1, ErrBadSubscription
		}
		return int64(s.delivered.Load()), nil
	}
	if s.typ == ChanSubscription && s.jsi == nil {
		if s.closedF.Load() {
			return -1, ErrBadSubscription
		}
		return int64(s.chanSent.Load()), nil
	}
	_, _, _, del, err := s.counters()
	if err != nil {
		return -1, err
	}
	return int64(del), nil
}

// SetPendingLimits caps the messages and bytes that may queue for this subscription; past a cap,
// messages are dropped. Zero is invalid; a negative value means no cap.
func (s *Subscription) SetPendingLimits(msgLimit, bytesLimit int) error {
	if s == nil {
		return ErrBadSubscription
	}
	if msgLimit == 0 || bytesLimit == 0 {
		return ErrInvalidArg
	}
	if s.jsi != nil {
		return s.jsSetPendingLimits(msgLimit, bytesLimit)
	}
	if s.typ == ChanSubscription {
		return ErrTypeSubscription
	}
	p := s.h.acquire()
	if p == nil {
		return ErrBadSubscription
	}
	var cerr *C.char
	st := C.gn_sub_op(p, C.GN_SUB_SET_PENDING_LIMITS, C.int64_t(msgLimit), C.int64_t(bytesLimit), &cerr)
	s.h.release()
	if err := takeErr(st, cerr); err != nil {
		return err
	}
	s.limMu.Lock()
	s.pMsgsLimit, s.pBytesLim = msgLimit, bytesLimit
	s.limMu.Unlock()
	return nil
}

// PendingLimits returns the message and byte limits last set with SetPendingLimits.
func (s *Subscription) PendingLimits() (int, int, error) {
	if s == nil || s.closedF.Load() {
		return -1, -1, ErrBadSubscription
	}
	if s.typ == ChanSubscription {
		return -1, -1, ErrTypeSubscription
	}
	s.limMu.Lock()
	defer s.limMu.Unlock()
	return s.pMsgsLimit, s.pBytesLim, nil
}
