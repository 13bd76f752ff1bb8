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
		return nil, fetchCtxErr(ctx, err) // userdata_free has run
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
		return nil, fetchCtxErr(ctx, jsErr(C.natsrs_status(r.st), &none, jsCallConsumer))
	}
	s.delivered.Add(uint64(len(r.msgs)))
	return r.msgs, nil
}

// fetchCtxErr is the error of a fetch bounded by ctx. A timeout is the context's: the server's
// expiry (sent a little shorter than the wait) can end the fetch a moment before the context's
// deadline, and nats.go waits for the context and gives its error. A context without a
// deadline is bounded by the JetStream wait, whose end nats.go also reports as
// context.DeadlineExceeded.
func fetchCtxErr(ctx context.Context, err error) error {
	if err != ErrTimeout {
		return err
	}
	if _, ok := ctx.Deadline(); !ok {
		return context.DeadlineExceeded
	}
	<-ctx.Done() // (it has a deadline, which the fetch's wait did not pass by much)
	return ctx.Err()
}
