package nats

/*
#include "js_shim.h"
*/
import "C"

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/cgo"
	"sync"
	"time"
)

// Headers of JetStream publishes (as nats.go).
const (
	MsgIdHdr               = "Nats-Msg-Id"
	ExpectedStreamHdr      = "Nats-Expected-Stream"
	ExpectedLastSeqHdr     = "Nats-Expected-Last-Sequence"
	ExpectedLastSubjSeqHdr = "Nats-Expected-Last-Subject-Sequence"
	ExpectedLastMsgIdHdr   = "Nats-Expected-Last-Msg-Id"
	MsgRollup              = "Nats-Rollup"
	MsgTTLHdr              = "Nats-TTL"

	// Values of the Nats-Rollup header.
	MsgRollupSubject = "sub"
	MsgRollupAll     = "all"
)

// Retries of a publish that found no stream (nats.go's defaults: the stream may be starting).
const (
	DefaultPubRetryWait     = 250 * time.Millisecond
	DefaultPubRetryAttempts = 2
)

// PubOpt is an option for a single JetStream publish (Publish, PublishMsg, PublishAsync...).
type PubOpt interface {
	configurePublish(opts *pubOpts) error
}

type pubOptFn func(opts *pubOpts) error

func (f pubOptFn) configurePublish(opts *pubOpts) error { return f(opts) }

type pubOpts struct {
	ctx    context.Context
	ttl    time.Duration
	id     string
	lid    string
	str    string
	seq    *uint64
	lss    *uint64
	rwait  time.Duration
	rnum   int
	stall  time.Duration
	msgTTL time.Duration
}

// MsgId gives the message an ID (Nats-Msg-Id) that the stream uses to drop duplicates.
func MsgId(id string) PubOpt {
	return pubOptFn(func(o *pubOpts) error { o.id = id; return nil })
}

// ExpectStream makes the publish fail unless the message lands in the named stream.
func ExpectStream(stream string) PubOpt {
	return pubOptFn(func(o *pubOpts) error { o.str = stream; return nil })
}

// ExpectLastSequence makes the publish fail unless the stream's last sequence is seq.
func ExpectLastSequence(seq uint64) PubOpt {
	return pubOptFn(func(o *pubOpts) error { o.seq = &seq; return nil })
}

// ExpectLastSequencePerSubject makes the publish fail unless the last message on its subject has
// sequence seq.
func ExpectLastSequencePerSubject(seq uint64) PubOpt {
	return pubOptFn(func(o *pubOpts) error { o.lss = &seq; return nil })
}

// ExpectLastMsgId makes the publish fail unless the stream's last message ID is id.
func ExpectLastMsgId(id string) PubOpt {
	return pubOptFn(func(o *pubOpts) error { o.lid = id; return nil })
}

// RetryWait sets how long a synchronous publish waits before it tries again when no stream
// answered (ErrNoStreamResponse).
func RetryWait(dur time.Duration) PubOpt {
	return pubOptFn(func(o *pubOpts) error { o.rwait = dur; return nil })
}

// RetryAttempts sets how many extra tries a synchronous publish makes when no stream answered
// (ErrNoStreamResponse); a negative value retries without limit.
func RetryAttempts(num int) PubOpt {
	return pubOptFn(func(o *pubOpts) error { o.rnum = num; return nil })
}

// StallWait bounds how long PublishAsync waits for room when too many acks are outstanding
// (natsrs_js_publish_options_set_stall_wait_ms; default the context's 200ms).
func StallWait(ttl time.Duration) PubOpt {
	return pubOptFn(func(o *pubOpts) error {
		if ttl <= 0 {
			return fmt.Errorf("nats: stall wait should be more than 0")
		}
		o.stall = ttl
		return nil
	})
}

// MsgTTL sets per msg TTL (the Nats-TTL header; the stream must allow it).
func MsgTTL(dur time.Duration) PubOpt {
	return pubOptFn(func(o *pubOpts) error { o.msgTTL = dur; return nil })
}

func (j *js) pubOptions(opts []PubOpt) (pubOpts, error) {
	o := pubOpts{rwait: DefaultPubRetryWait, rnum: DefaultPubRetryAttempts}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt.configurePublish(&o); err != nil {
			return o, err
		}
	}
	if o.ctx != nil && o.ttl != 0 {
		return o, ErrContextAndTimeout
	}
	return o, nil
}

// cPubOpts flattens the options for the C helpers (the strings are passed separately).
func (o *pubOpts) cPubOpts(timeout time.Duration) C.gn_pub_opts {
	var po C.gn_pub_opts
	if o.seq != nil {
		po.has_exp_last_seq = true
		po.exp_last_seq = C.uint64_t(*o.seq)
	}
	if o.lss != nil {
		po.has_exp_last_subj_seq = true
		po.exp_last_subj_seq = C.uint64_t(*o.lss)
	}
	if timeout > 0 {
		po.timeout_ms = C.int64_t(ms(timeout))
	}
	if o.stall > 0 {
		po.stall_ms = C.int64_t(max(ms(o.stall), 1))
	}
	return po
}

// Publish sends data to subj and waits for the stream's PubAck.
func (j *js) Publish(subj string, data []byte, opts ...PubOpt) (*PubAck, error) {
	return j.PublishMsg(&Msg{Subject: subj, Data: data}, opts...)
}

// PublishMsg sends m (with its headers) and waits for the stream's PubAck.
func (j *js) PublishMsg(m *Msg, opts ...PubOpt) (*PubAck, error) {
	if m == nil {
		return nil, ErrInvalidMsg
	}
	o, err := j.pubOptions(opts)
	if err != nil {
		return nil, err
	}
	timeout := o.ttl
	if o.ctx != nil {
		if err := o.ctx.Err(); err != nil {
			return nil, err
		}
		if dl, ok := o.ctx.Deadline(); ok {
			timeout = time.Until(dl)
			if timeout <= 0 {
				return nil, context.DeadlineExceeded
			}
		}
	}
	hdr := m.Header
	if o.msgTTL > 0 {
		hdr = cloneHeader(hdr)
		hdr.Set(MsgTTLHdr, o.msgTTL.String())
	}
	hb, err := headerBuf(hdr)
	if err != nil {
		return nil, err
	}
	for r := 0; ; r++ {
		pa, err := j.publishOnce(m.Subject, hb, m.Data, &o, timeout)
		if err == ErrNoStreamResponse && (r < o.rnum || o.rnum < 0) {
			if o.ctx != nil {
				select {
				case <-o.ctx.Done():
					return nil, err
				case <-time.After(o.rwait):
				}
			} else {
				time.Sleep(o.rwait)
			}
			continue
		}
		if err == ErrTimeout && o.ctx != nil && o.ctx.Err() != nil {
			err = o.ctx.Err()
		}
		return pa, err
	}
}

func (j *js) publishOnce(subj, hdr string, data []byte, o *pubOpts, timeout time.Duration) (*PubAck, error) {
	po := o.cPubOpts(timeout)
	var ack C.gn_pub_ack
	var je C.gn_jerr
	ps, ns := cstr(subj)
	ph, nh := cstr(hdr)
	pd, nd := cbytes(data)
	pi, ni := cstr(o.id)
	pstr, nstr := cstr(o.str)
	pl, nl := cstr(o.lid)
	st := C.gn_js_publish(j.cp(), ps, ns, ph, nh, pd, nd, pi, ni, pstr, nstr, pl, nl, &po, &ack, &je)
	runtime.KeepAlive(j)
	runtime.KeepAlive(hdr)
	if err := jsErr(st, &je, jsCallPublish); err != nil {
		return nil, err
	}
	return &PubAck{Stream: goStringFree(ack.stream), Sequence: uint64(ack.seq), Duplicate: bool(ack.duplicate), Domain: goStringFree(ack.domain)}, nil
}

func cloneHeader(h Header) Header {
	out := make(Header, len(h)+1)
	for k, v := range h {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// ---- async publishes --------------------------------------------------------------------------

// PubAckFuture is the pending result of an async publish.
type PubAckFuture interface {
	// Ok yields the PubAck once the stream has stored the message.
	Ok() <-chan *PubAck
	// Err yields the error if the publish failed.
	Err() <-chan error
	// Msg is the message this future belongs to.
	Msg() *Msg
}

type pubAckFuture struct {
	js   *js
	msg  *Msg
	mu   sync.Mutex
	done bool
	pa   *PubAck
	err  error
	okCh chan *PubAck
	erCh chan error
}

func (f *pubAckFuture) Ok() <-chan *PubAck {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.okCh == nil {
		f.okCh = make(chan *PubAck, 1)
		if f.done && f.pa != nil {
			f.okCh <- f.pa
		}
	}
	return f.okCh
}

func (f *pubAckFuture) Err() <-chan error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.erCh == nil {
		f.erCh = make(chan error, 1)
		if f.done && f.err != nil {
			f.erCh <- f.err
		}
	}
	return f.erCh
}

func (f *pubAckFuture) Msg() *Msg { return f.msg }

// resolve completes the future once, then the pending count.
func (f *pubAckFuture) resolve(pa *PubAck, err error) {
	f.mu.Lock()
	if f.done {
		f.mu.Unlock()
		return
	}
	f.done, f.pa, f.err = true, pa, err
	if pa != nil && f.okCh != nil {
		f.okCh <- pa
	}
	if err != nil && f.erCh != nil {
		f.erCh <- err
	}
	f.mu.Unlock()
	if err != nil && f.js.opts.aecb != nil {
		func() {
			defer func() {
				if r := recover(); r != nil {
					fmt.Fprintf(os.Stderr, "nats: panic in PublishAsyncErrHandler: %v\n", r)
				}
			}()
			f.js.opts.aecb(f.js, f.msg, err)
		}()
	}
	f.js.donePending()
}

func (j *js) addPending() {
	j.pmu.Lock()
	j.pending++
	j.pmu.Unlock()
}

func (j *js) donePending() {
	j.pmu.Lock()
	j.pending--
	var chs []chan struct{}
	if j.pending == 0 {
		chs, j.complete = j.complete, nil
	}
	j.pmu.Unlock()
	for _, ch := range chs {
		close(ch)
	}
}

//export goOnPubAck
func goOnPubAck(ud C.uintptr_t, st C.int, ack *C.gn_pub_ack, je *C.gn_jerr) {
	f, _ := handleValue(cgo.Handle(ud)).(*pubAckFuture)
	if f == nil {
		return
	}
	if st == C.int(stOK) {
		pa := &PubAck{}
		pa.Stream = C.GoString(ack.stream)
		pa.Sequence = uint64(ack.seq)
		pa.Duplicate = bool(ack.duplicate)
		if ack.domain != nil {
			pa.Domain = C.GoString(ack.domain)
		}
		f.resolve(pa, nil)
		return
	}
	// The message text is owned by the C caller (freed after this returns): copy it.
	var copyErr C.gn_jerr = *je
	if je.msg != nil {
		copyErr.msg = C.CString(C.GoString(je.msg))
	}
	f.resolve(nil, asyncPubErr(C.natsrs_status(st), &copyErr))
}

func asyncPubErr(st C.natsrs_status, je *C.gn_jerr) error {
	switch int(st) {
	case stNoResponders:
		freeJErr(je)
		return ErrNoResponders
	case stTimeout:
		freeJErr(je)
		return ErrAsyncPublishTimeout
	case stIllegalState:
		freeJErr(je)
		return ErrJetStreamPublisherClosed
	}
	return jsErr(st, je, jsCallAPI)
}

// PublishAsync sends data to subj without waiting; the PubAckFuture later carries the ack or
// the error.
func (j *js) PublishAsync(subj string, data []byte, opts ...PubOpt) (PubAckFuture, error) {
	return j.PublishMsgAsync(&Msg{Subject: subj, Data: data}, opts...)
}

// PublishMsgAsync is PublishAsync for a whole message (headers included). Do not modify m until
// its PubAckFuture has completed.
func (j *js) PublishMsgAsync(m *Msg, opts ...PubOpt) (PubAckFuture, error) {
	if m == nil {
		return nil, ErrInvalidMsg
	}
	if m.Reply != "" {
		return nil, ErrAsyncPublishReplySubjectSet
	}
	o, err := j.pubOptions(opts)
	if err != nil {
		return nil, err
	}
	if o.ttl != 0 || o.ctx != nil {
		return nil, fmt.Errorf("nats: context or timeout not allowed on async publish (use PublishAsyncTimeout)")
	}
	f := &pubAckFuture{js: j, msg: m}
	hdr := m.Header
	if o.msgTTL > 0 {
		hdr = cloneHeader(hdr)
		hdr.Set(MsgTTLHdr, o.msgTTL.String())
	}
	hb, err := headerBuf(hdr)
	if err != nil {
		return nil, err
	}
	j.addPending()
	h := newHandle(f)
	po := o.cPubOpts(j.opts.ackTimeout)
	var je C.gn_jerr
	ps, ns := cstr(m.Subject)
	ph, nh := cstr(hb)
	pd, nd := cbytes(m.Data)
	pi, ni := cstr(o.id)
	pstr, nstr := cstr(o.str)
	pl, nl := cstr(o.lid)
	st := C.gn_js_publish_async(j.cp(), ps, ns, ph, nh, pd, nd, pi, ni, pstr, nstr, pl, nl, &po, C.uintptr_t(h), &je)
	runtime.KeepAlive(j)
	runtime.KeepAlive(hb)
	if st != C.NATSRS_STATUS_OK {
		// The handle was released (userdata_free ran); the callback does not run.
		j.donePending()
		if int(st) == stTimeout {
			freeJErr(&je)
			return nil, ErrTooManyStalledMsgs
		}
		return nil, jsErr(st, &je, jsCallPublish)
	}
	return f, nil
}

// PublishAsyncPending counts this context's async publishes still waiting for an ack.
func (j *js) PublishAsyncPending() int {
	j.pmu.Lock()
	defer j.pmu.Unlock()
	return j.pending
}

// PublishAsyncComplete returns a channel that is closed once every outstanding async publish has
// its ack or error.
func (j *js) PublishAsyncComplete() <-chan struct{} {
	ch := make(chan struct{})
	j.pmu.Lock()
	if j.pending == 0 {
		close(ch)
	} else {
		j.complete = append(j.complete, ch)
	}
	j.pmu.Unlock()
	return ch
}

// CleanupPublisher waits (up to the context's wait) for the outstanding async publishes; the
// C context keeps no other per-publisher state to release.
func (j *js) CleanupPublisher() {
	select {
	case <-j.PublishAsyncComplete():
	case <-time.After(j.opts.wait):
	}
}
