package nats

/*
#include "js_shim.h"
*/
import "C"

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// PullOpt is an option for one Fetch or FetchBatch call on a pull subscription.
type PullOpt interface {
	configurePull(opts *pullOpts) error
}

type pullOpts struct {
	maxBytes int
	ttl      time.Duration
	ctx      context.Context
	hb       time.Duration
}

// PullMaxBytes caps the total size of the messages a single fetch may return.
type PullMaxBytes int

func (n PullMaxBytes) configurePull(o *pullOpts) error {
	o.maxBytes = int(n)
	return nil
}

// PullHeartbeat asks the server to send heartbeats at this interval while a fetch request
// waits; the fetch ends with ErrNoHeartbeat (or the messages that came before) when two in a
// row are missed (natsrs_pull_subscription_fetch_heartbeat). It must be less than half the
// fetch's wait.
type PullHeartbeat time.Duration

func (h PullHeartbeat) configurePull(o *pullOpts) error {
	if h <= 0 {
		return fmt.Errorf("%w: idle heartbeat has to be greater than 0", ErrInvalidArg)
	}
	o.hb = time.Duration(h)
	return nil
}

// fetchTimeout resolves MaxWait / Context into the wait of one fetch.
func (s *Subscription) pullOptions(opts []PullOpt) (pullOpts, time.Duration, error) {
	var o pullOpts
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt.configurePull(&o); err != nil {
			return o, 0, err
		}
	}
	if o.ctx != nil && o.ttl != 0 {
		return o, 0, ErrContextAndTimeout
	}
	wait := o.ttl
	if wait == 0 {
		wait = s.jsi.js.opts.wait
	}
	if o.ctx != nil {
		if err := o.ctx.Err(); err != nil {
			return o, 0, err
		}
		if dl, ok := o.ctx.Deadline(); ok {
			wait = time.Until(dl)
			if wait <= 0 {
				return o, 0, context.DeadlineExceeded
			}
		} else if c, isOpt := o.ctx.(ContextOpt); isOpt && c.Context == context.Background() {
			return o, 0, ErrNoDeadlineContext // (nats.go refuses only the background context)
		}
		// (a context without a deadline: the context's wait bounds the fetch, as nats.go)
	}
	if o.hb > 0 && 2*o.hb >= wait {
		return o, 0, fmt.Errorf("%w: idle heartbeat value too large", ErrInvalidArg)
	}
	return o, wait, nil
}

// Fetch asks the pull consumer for up to batch messages and returns them when the batch is
// full or the server says no more are available; it returns ErrTimeout if none came within
// MaxWait (default: the context's wait, 5s).
func (s *Subscription) Fetch(batch int, opts ...PullOpt) ([]*Msg, error) {
	if s == nil {
		return nil, ErrBadSubscription
	}
	if batch < 1 {
		return nil, ErrInvalidArg
	}
	if s.jsi == nil || !s.jsi.pull {
		return nil, ErrTypeSubscription
	}
	o, wait, err := s.pullOptions(opts)
	if err != nil {
		return nil, err
	}
	if o.ctx != nil {
		return s.jsFetchCtx(o.ctx, batch, o.maxBytes, wait, o.hb)
	}
	return s.jsFetch(batch, o.maxBytes, wait, o.hb, false)
}

// fetch runs one C fetch and copies the messages into Go memory.
func (s *Subscription) jsFetch(batch, maxBytes int, wait, hb time.Duration, noWait bool) ([]*Msg, error) {
	j := s.jsi
	j.fetchMu.Lock() // one fetch at a time per subscription (as nats.go)
	defer j.fetchMu.Unlock()
	p, err := s.jsAcquire()
	if err != nil {
		return nil, err
	}
	var cm **C.natsrs_msg
	var cv *C.gn_msg_view
	var n C.size_t
	var je C.gn_jerr
	hbms := int64(0)
	if hb > 0 {
		hbms = max(ms(hb), 1)
	}
	st := C.gn_js_fetch((*C.natsrs_pull_subscription)(p), C.size_t(batch), C.size_t(maxBytes), C.int64_t(ms(wait)),
		C.int64_t(hbms), C.bool(noWait), &cm, &cv, &n, &je)
	j.release()
	if st == C.NATSRS_STATUS_TIMEOUT && hb > 0 && strings.Contains(freeJErr(&je), "missed heartbeats") {
		return nil, ErrNoHeartbeat
	}
	if err := jsErr(st, &je, jsCallConsumer); err != nil {
		return nil, err
	}
	views := unsafe.Slice(cv, int(n))
	out := make([]*Msg, 0, int(n))
	for i := range views {
		out = append(out, copyView(&views[i], s))
	}
	C.gn_js_free_fetch(cm, cv, n)
	s.delivered.Add(uint64(len(out)))
	return out, nil
}

// MessageBatch is the result of [Subscription.FetchBatch]: messages arrive on a channel while the
// request is served.
type MessageBatch interface {
	// Messages yields the fetched messages; it is closed when the batch ends.
	Messages() <-chan *Msg
	// Error returns what ended the batch early, or nil; read it after Done.
	Error() error
	// Done is closed once the batch has finished.
	Done() <-chan struct{}
}

type messageBatch struct {
	mu   sync.Mutex
	msgs chan *Msg
	err  error
	done chan struct{}
}

func (mb *messageBatch) Messages() <-chan *Msg { return mb.msgs }

func (mb *messageBatch) Error() error {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return mb.err
}

func (mb *messageBatch) Done() <-chan struct{} { return mb.done }

// FetchBatch requests up to batch messages from the pull consumer like Fetch but returns at
// once; the messages arrive on the batch's channel, and Done is closed at the end (a timeout with
// no messages is not an error, as in nats.go).
func (s *Subscription) FetchBatch(batch int, opts ...PullOpt) (MessageBatch, error) {
	if s == nil {
		return nil, ErrBadSubscription
	}
	if batch < 1 {
		return nil, ErrInvalidArg
	}
	if s.jsi == nil || !s.jsi.pull {
		return nil, ErrTypeSubscription
	}
	o, wait, err := s.pullOptions(opts)
	if err != nil {
		return nil, err
	}
	mb := &messageBatch{msgs: make(chan *Msg, batch), done: make(chan struct{})}
	go func() {
		var msgs []*Msg
		if o.ctx != nil {
			msgs, err = s.jsFetchCtx(o.ctx, batch, o.maxBytes, wait, o.hb)
		} else {
			msgs, err = s.jsFetch(batch, o.maxBytes, wait, o.hb, false)
		}
		for _, m := range msgs {
			mb.msgs <- m
		}
		close(mb.msgs)
		if err == ErrTimeout || (o.ctx != nil && err == context.DeadlineExceeded) {
			// (nats.go's batch ends without an error when its request expires: the server's
			// 408 comes before the context's deadline)
			err = nil
		}
		mb.mu.Lock()
		mb.err = err
		mb.mu.Unlock()
		close(mb.done)
	}()
	return mb, nil
}
