package nats

/*
#include "shim.h"
#include "js_shim.h"
*/
import "C"

import (
	"time"
)

// Barrier without a marker in the queues: the core's counts of what each handler
// subscription received are read at the call, and a goroutine polls the binding's counters
// until the handlers have returned for all of it; then f runs.

// barrierPoll is how often a pending Barrier checks the counters.
const barrierPoll = time.Millisecond

// jsDispatchBatch is the most messages the core's dispatcher of a JetStream push handler
// takes off the queue at once (DISPATCH_BATCH in src/connection/sub.rs).
const jsDispatchBatch = 1024

// jsQuietPolls is how many polls in a row a JetStream handler subscription must look idle
// (nothing queued, nothing handled, no handler running) for a Barrier to pass it.
const jsQuietPolls = 5

// Barrier arranges for f to run once every asynchronous subscription of the connection has
// caught up with the messages it had received when Barrier was called. With no such
// subscription f is called at once; on a closed connection Barrier returns ErrConnectionClosed.
//
// Here f runs on a goroutine of its own once every message that the connection's handler
// subscriptions had received when Barrier was called has been handed to its handler and the
// handler returned (or the subscription ended). For JetStream push subscriptions with a
// handler, which the core delivers from its own thread, it waits until their handlers have
// returned for what was queued at the call and no message is queued or being handled.
func (nc *Conn) Barrier(f func()) error {
	if nc == nil || nc.core == nil || nc.core.closed.Load() || nc.IsClosed() {
		return ErrConnectionClosed
	}
	nc.core.handOver() // what was published before goes out first, as with every other call
	var subs []*Subscription
	for _, s := range nc.core.liveSubs() {
		if s.typ == AsyncSubscription {
			subs = append(subs, s)
		}
	}
	if len(subs) == 0 {
		f()
		return nil
	}
	waits := make([]func(), 0, len(subs))
	for _, s := range subs {
		waits = append(waits, s.barrierWait())
	}
	go func() {
		for _, w := range waits {
			w()
		}
		f()
	}()
	return nil
}

// barrierWait reads what the subscription received so far and returns a wait until its
// handler has returned for all of it (or the subscription ended).
func (s *Subscription) barrierWait() func() {
	switch {
	case s.jsi == nil:
		target, ok := s.receivedCount()
		return func() {
			t := time.NewTicker(barrierPoll)
			defer t.Stop()
			for !ok { // messages were being taken at the call: count again
				select {
				case <-s.pumpDone:
					return
				case <-t.C:
				}
				target, ok = s.receivedCount()
			}
			for s.delivered.Load() <= target && s.handled.Load() < target {
				select {
				case <-s.pumpDone:
					return
				case <-t.C:
				}
			}
		}
	case s.jsi.ordered || s.jsi.pull:
		// No counters in the C API: wait until no handler runs (seen twice in a row).
		return func() { s.jsBarrierWait(func() (bool, bool) { return true, true }) }
	default:
		// A handler running across the whole read (the Go counters unchanged around it) is not
		// in the core's delivered count yet: one more to wait for.
		h1, s1 := s.handled.Load(), s.delivered.Load()
		d0, q0, stable, err := s.jsReceived()
		s2, h2 := s.delivered.Load(), s.handled.Load()
		// An unstable read counts some messages twice: then it only gives the upper bound.
		bound := d0 + uint64(max(q0, 0)) + jsDispatchBatch
		floor := uint64(0)
		if stable && err == nil {
			floor = d0 + uint64(max(q0, 0))
			if s1 == s2 && h1 == h2 && s1 > h1 {
				floor++
			}
		}
		if err != nil {
			bound = ^uint64(0) // ended: wait for the end or a quiet queue
		}
		prev := d0
		return func() {
			s.jsBarrierWait(func() (bool, bool) {
				d, q, _, err := s.jsReceived()
				if err != nil {
					return false, false
				}
				// The dispatcher handles in order, and at most jsDispatchBatch messages were
				// taken off the queue but not handled at the call: once that many more than
				// were queued have been handled, everything received at the call was.
				if d >= bound {
					return true, false
				}
				// Otherwise: what was queued and running at the call has been handled, and
				// nothing is queued or handled any more.
				quiet := q == 0 && d == prev && d >= floor
				prev = d
				return false, quiet
			})
		}
	}
}

// jsBarrierWait polls until check reports done, or until it reports a quiet queue while no
// handler runs, on jsQuietPolls polls in a row; or until the subscription ends.
func (s *Subscription) jsBarrierWait(check func() (done, quiet bool)) {
	t := time.NewTicker(barrierPoll)
	defer t.Stop()
	calm := 0
	for {
		done, quiet := check()
		if done {
			return
		}
		if quiet && s.delivered.Load() == s.handled.Load() {
			calm++
		} else {
			calm = 0
		}
		if calm >= jsQuietPolls {
			return
		}
		select {
		case <-s.ended:
			return
		case <-t.C:
		}
	}
}

// receivedCount is what the core subscription received and did not drop; ok is false when
// messages were being taken off the queue while it was counted. When the subscription ended
// it is the largest count (the wait lasts until the pump finished).
func (s *Subscription) receivedCount() (uint64, bool) {
	p := s.h.acquire()
	if p == nil {
		return ^uint64(0), true // ended: wait for the pump to finish
	}
	var cerr *C.char
	var out C.uint64_t
	var stable C.bool
	st := C.gn_sub_received(p, &out, &stable, &cerr)
	s.h.release()
	if takeErr(st, cerr) != nil {
		return ^uint64(0), true // ended: wait for the pump to finish
	}
	return uint64(out), bool(stable)
}

// jsReceived reads a push subscription's delivered and queued counts.
func (s *Subscription) jsReceived() (uint64, int64, bool, error) {
	p, err := s.jsPushPtr()
	if err != nil {
		return 0, 0, false, err
	}
	var d C.uint64_t
	var q C.int64_t
	var stable C.bool
	var je C.gn_jerr
	st := C.gn_js_sub_received(p, &d, &q, &stable, &je)
	s.jsi.release()
	if err := jsErr(st, &je, jsCallConsumer); err != nil {
		return 0, 0, false, err
	}
	return uint64(d), int64(q), bool(stable), nil
}
