package nats

/*
#include "shim.h"
*/
import "C"

import (
	"context"
	"runtime"
	"runtime/cgo"
	"time"
)

// reqWaiter receives the completion of a non-blocking request.
type reqWaiter struct {
	ch chan reqResult
}

type reqResult struct {
	m   *Msg
	err error
}

//export goOnRequestDone
func goOnRequestDone(ud C.uintptr_t, st C.int, v *C.gn_msg_view) {
	w, _ := handleValue(cgo.Handle(ud)).(*reqWaiter)
	if w == nil {
		return
	}
	var r reqResult
	if st == C.int(stOK) && v != nil {
		r.m = copyView(v, nil)
	} else {
		r.err = statusError(int(st), "")
	}
	w.ch <- r // buffered (1)
}

//export goOnFlushDone
func goOnFlushDone(ud C.uintptr_t, st C.int) {
	w, _ := handleValue(cgo.Handle(ud)).(*reqWaiter)
	if w == nil {
		return
	}
	w.ch <- reqResult{err: statusError(int(st), "")}
}

func ctxTimeout(ctx context.Context) (int64, error) {
	if ctx == nil {
		return 0, ErrInvalidContext
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	// Without a deadline the core still needs one: the context's cancellation ends it earlier.
	d := 24 * time.Hour
	if dl, ok := ctx.Deadline(); ok {
		d = time.Until(dl)
		if d <= 0 {
			return 0, context.DeadlineExceeded
		}
	}
	return ms(d), nil
}

// RequestWithContext publishes data to subj and waits for one reply until ctx is done. The
// request is non-blocking in the core (request_async): cancelling the context cancels it
// without leaving a thread blocked.
func (nc *Conn) RequestWithContext(ctx context.Context, subj string, data []byte) (*Msg, error) {
	return nc.requestCtx(ctx, subj, "", data)
}

// RequestMsgWithContext is RequestWithContext for a whole message, headers included.
func (nc *Conn) RequestMsgWithContext(ctx context.Context, msg *Msg) (*Msg, error) {
	if msg == nil {
		return nil, ErrInvalidMsg
	}
	hb, err := headerBuf(msg.Header)
	if err != nil {
		return nil, err
	}
	return nc.requestCtx(ctx, msg.Subject, hb, msg.Data)
}

func (nc *Conn) requestCtx(ctx context.Context, subj, hdr string, data []byte) (*Msg, error) {
	p := nc.cptr()
	if p == nil {
		return nil, ErrInvalidConnection
	}
	tmo, err := ctxTimeout(ctx)
	if err != nil {
		return nil, err
	}
	if err := nc.drainingErr(); err != nil {
		return nil, err
	}
	w := &reqWaiter{ch: make(chan reqResult, 1)}
	h := newHandle(w)
	var id C.uint64_t
	var cerr *C.char
	ps, ns := cstr(subj)
	ph, nh := cstr(hdr)
	pd, nd := cbytes(data)
	st := C.gn_request_async(p, ps, ns, ph, nh, pd, nd, C.int64_t(tmo), C.uintptr_t(h), &id, &cerr)
	runtime.KeepAlive(hdr)
	if err := takeErr(st, cerr); err != nil {
		return nil, err // userdata_free has run
	}
	select {
	case r := <-w.ch:
		runtime.KeepAlive(nc)
		return r.m, mapCtxTimeout(ctx, r.err)
	case <-ctx.Done():
		if C.natsrs_connection_request_cancel(p, id) == C.NATSRS_STATUS_OK {
			runtime.KeepAlive(nc)
			return nil, ctx.Err()
		}
		// Already completed: take the result (no reply is lost).
		r := <-w.ch
		runtime.KeepAlive(nc)
		return r.m, mapCtxTimeout(ctx, r.err)
	}
}

// requestAsync is Request on the core's non-blocking request (see Conn.request).
func (nc *Conn) requestAsync(subj, hdr string, data []byte, timeout time.Duration) (*Msg, error) {
	p := nc.cptr()
	w := &reqWaiter{ch: make(chan reqResult, 1)}
	h := newHandle(w)
	var cerr *C.char
	ps, ns := cstr(subj)
	ph, nh := cstr(hdr)
	pd, nd := cbytes(data)
	st := C.gn_request_async(p, ps, ns, ph, nh, pd, nd, C.int64_t(ms(timeout)), C.uintptr_t(h), nil, &cerr)
	runtime.KeepAlive(hdr)
	if err := takeErr(st, cerr); err != nil {
		return nil, err // userdata_free has run
	}
	r := <-w.ch // the core ends the request at its timeout at the latest
	runtime.KeepAlive(nc)
	return r.m, r.err
}

// A core timeout that coincides with the context's deadline is the context's error, as in
// nats.go.
func mapCtxTimeout(ctx context.Context, err error) error {
	if err == ErrTimeout && ctx.Err() != nil {
		return ctx.Err()
	}
	if err == ErrTimeout {
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < 5*time.Millisecond {
			return context.DeadlineExceeded
		}
	}
	return err
}

// FlushWithContext is Flush bounded by ctx instead of a fixed timeout; ctx must not be nil and
// needs a deadline.
func (nc *Conn) FlushWithContext(ctx context.Context) error {
	p := nc.cptr()
	if p == nil {
		return ErrInvalidConnection
	}
	if ctx == nil {
		return ErrInvalidContext
	}
	if _, ok := ctx.Deadline(); !ok {
		return ErrNoDeadlineContext
	}
	tmo, err := ctxTimeout(ctx)
	if err != nil {
		return err
	}
	w := &reqWaiter{ch: make(chan reqResult, 1)}
	h := newHandle(w)
	var cerr *C.char
	st := C.gn_flush_async(p, C.int64_t(tmo), C.uintptr_t(h), &cerr)
	runtime.KeepAlive(nc)
	if err := takeErr(st, cerr); err != nil {
		if dl, ok := ctx.Deadline(); ok {
			err, _ = nc.flushWhileReconnecting(err, dl, ctx) // conn_events.go
		}
		return err
	}
	select {
	case r := <-w.ch:
		return mapCtxTimeout(ctx, r.err)
	case <-ctx.Done():
		// The flush completes (or times out) on its own in the core; nothing waits for it.
		return ctx.Err()
	}
}

// tryFetch takes what is queued without waiting (called with nextMu held, or by the pump).
func (s *Subscription) tryFetch(deliver func(*Msg)) (int, error) {
	p := s.h.acquire()
	if p == nil {
		return 0, s.endErr()
	}
	b := s.batch
	var cerr *C.char
	var n C.size_t
	pm, pv := b.ptrs()
	st := C.gn_try_batch(p, b.n, batchMax, pm, pv, &n, &cerr)
	s.h.release()
	b.n = n
	if err := takeErr(st, cerr); err != nil {
		return 0, err
	}
	for i := 0; i < int(n); i++ {
		deliver(copyView(&b.views[i], s))
	}
	return int(n), nil
}

// NextMsgWithContext waits for the next message of a synchronous subscription until one arrives
// or ctx is done. No OS thread is blocked while it waits (the subscription's notify fd is polled
// by Go's netpoller).
func (s *Subscription) NextMsgWithContext(ctx context.Context) (*Msg, error) {
	if ctx == nil {
		return nil, ErrInvalidContext
	}
	if s == nil {
		return nil, ErrBadSubscription
	}
	if s.jsi != nil {
		return s.jsNextMsgCtx(ctx)
	}
	if s.typ == ChanSubscription {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		done := make(chan time.Time)
		stop := context.AfterFunc(ctx, func() { close(done) })
		defer stop()
		return s.chanNext(done, ctx.Err)
	}
	if s.typ != SyncSubscription {
		return nil, ErrSyncSubRequired
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.nextMu.Lock()
	defer s.nextMu.Unlock()
	if len(s.local) > 0 {
		return s.popLocal()
	}
	m, err := s.waitNext(ctx.Done(), ctx.Err)
	return m, s.nextErr(err)
}

// waitNext waits for the next message on the notify fd (called with nextMu held): no OS thread
// is held. done/doneErr end the wait (a context, or a timer for NextMsg).
func (s *Subscription) waitNext(done <-chan struct{}, doneErr func() error) (*Msg, error) {
	fd, wake, err := s.notifyChan()
	if err != nil {
		return nil, err
	}
	for {
		_, err := s.tryFetch(func(m *Msg) { s.local = append(s.local, m) })
		if err != nil {
			s.fetchErr(err)
			return nil, err
		}
		if len(s.local) > 0 {
			return s.popLocal()
		}
		select {
		case <-wake:
			s.clearNotify(fd)
		case <-s.ended:
		case <-done:
			return nil, doneErr()
		}
	}
}

// fetchErr applies the end of a subscription reported by the core.
func (s *Subscription) fetchErr(err error) {
	switch err {
	case ErrTimeout:
	case ErrSlowConsumer:
		// nats.go reports the drop when it happens and goes back to active when NextMsg
		// returns ErrSlowConsumer; the core tells at NextMsg: both transitions now.
		s.slowConsumer()
		s.changeStatus(SubscriptionActive)
	case ErrConnectionClosed:
		s.finish(true)
	default:
		s.finish(false)
	}
}
