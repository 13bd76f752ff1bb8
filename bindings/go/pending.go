package nats

/*
#include "shim.h"
*/
import "C"

import "runtime"

// Buffered will return the number of bytes buffered to be sent to the server: published but
// not yet written to the socket, including what is kept for the next server while
// reconnecting (natsrs_connection_buffered).
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

// MaxPending returns the maximum number of queued messages and queued bytes seen so far (since
// the subscription was made or since ClearMaxPending). These are the core's queue; the
// messages of the batch the binding already took for NextMsg are not in it.
func (s *Subscription) MaxPending() (int, int, error) {
	if s == nil {
		return -1, -1, ErrBadSubscription
	}
	p := s.h.acquire()
	if p == nil {
		return -1, -1, s.endErr()
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

// ClearMaxPending resets the maximums seen so far.
func (s *Subscription) ClearMaxPending() error {
	if s == nil {
		return ErrBadSubscription
	}
	p := s.h.acquire()
	if p == nil {
		return s.endErr()
	}
	var cerr *C.char
	st := C.gn_sub_op(p, C.GN_SUB_CLEAR_MAX_PENDING, 0, 0, &cerr)
	s.h.release()
	return takeErr(st, cerr)
}
