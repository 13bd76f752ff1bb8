package nats

/*
#include "js_shim.h"
*/
import "C"

import (
	"context"
	"runtime/cgo"
	"time"
	"unsafe"
)

// Fetch and FetchBatch with a context (nats.Context) run on the core's non-blocking fetch
// (natsrs_pull_subscription_fetch_async): the goroutine waits on a channel, and a cancelled
// context cancels the C fetch (the messages it had received stay for the next fetch) instead of
// leaving a thread blocked until the deadline.

type fetchWaiter struct {
	s  *Subscription
	ch chan fetchResult
}

type fetchResult struct {
	msgs []*Msg
	st   int
}

//export goOnFetchDone
func goOnFetchDone(ud C.uintptr_t, st C.int, m **C.natsrs_msg, v *C.gn_msg_view, n C.size_t) {
	w, _ := handleValue(cgo.Handle(ud)).(*fetchWaiter)
	var out []*Msg
	if w != nil && n > 0 {
		views := unsafe.Slice(v, int(n))
		out = make([]*Msg, 0, int(n))
		for i := range views {
			out = append(out, copyView(&views[i], w.s))
		}
	}
	C.gn_js_free_fetch(m, v, n)
	if w != nil {
		w.ch <- fetchResult{msgs: out, st: int(st)} // buffered (1); runs once
	}
}

// fetchDeadlineSlack: a fetch that timed out this close to its context's deadline ended because
// of it.
const fetchDeadlineSlack = 20 * time.Millisecond

// jsFetchCtx is jsFetch for a context: it ends with the context's error when the context is
// cancelled first (no message is lost: the cancelled fetch keeps what it received).
func (s *Subscription) jsFetchCtx(ctx context.Context, batch, maxBytes int, wait, hb time.Duration) ([]*Msg, error) {
	j := s.jsi
	j.fetchMu.Lock()
	defer j.fetchMu.Unlock()
	p, err := s.jsAcquire()
	if err != nil {
		return nil, err
	}
	defer j.release()
	hbms := int64(0)
	if hb > 0 {
		hbms = max(ms(hb), 1)
	}
	w := &fetchWaiter{s: s, ch: make(chan fetchResult, 1)}
	h := newHandle(w)
	var id C.uint64_t
	var je C.gn_jerr
	start := time.Now()
	sub := (*C.natsrs_pull_subscription)(p)
	st := C.gn_js_fetch_async(sub, C.size_t(batch), C.size_t(maxBytes), C.int64_t(max(ms(wait), 1)), C.int64_t(hbms), C.uintptr_t(h), &id, &je)
	if err := jsErr(st, &je, jsCallConsumer); err != nil {
		return nil, err // userdata_free has run
	}
	var r fetchResult
	select {
	case r = <-w.ch:
	case <-ctx.Done():
		if C.natsrs_pull_subscription_fetch_cancel(sub, id) == C.NATSRS_STATUS_OK {
			return nil, ctx.Err()
		}
		r = <-w.ch // it completed meanwhile: its messages are ours
	}
	if r.st == stTimeout && hb > 0 && time.Since(start) < wait-hb {
		return nil, ErrNoHeartbeat // the fetch ended before its wait: heartbeats were missed
	}
	if r.st != stOK {
		var none C.gn_jerr
		err := jsErr(C.natsrs_status(r.st), &none, jsCallConsumer)
		if err == ErrTimeout {
			// The wait ended with the context's deadline (the library's timer may fire a moment
			// before the context's): the context's error, as nats.go gives.
			if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= fetchDeadlineSlack {
				select {
				case <-ctx.Done():
				case <-time.After(time.Until(dl) + time.Millisecond):
				}
			}
			if ctx.Err() != nil {
				err = ctx.Err()
			}
		}
		return nil, err
	}
	s.delivered.Add(uint64(len(r.msgs)))
	return r.msgs, nil
}
