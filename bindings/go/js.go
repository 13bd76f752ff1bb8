package nats

/*
#include "js_shim.h"
*/
import "C"

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// JetStream in the binding (nats.go's legacy JetStreamContext API) runs on libnatsrs's
// JetStream C API (natsrs_jetstream_*): publishes, async publishes with their completion
// callback, push and pull subscriptions and the management calls. Configs cross as the server's
// JSON (the types below marshal with nats.go's json tags); infos come back as the server's JSON.

// Defaults of a JetStream context (as nats.go).
const (
	defaultAPIPrefix           = "$JS.API."
	defaultRequestWait         = 5 * time.Second
	defaultAsyncPubAckInflight = 4000
	defaultStallWait           = 200 * time.Millisecond
	jsDomainT                  = "$JS.%s.API."
)

// JetStream allows cross-cutting JetStream messaging: publishing to streams and subscribing
// through consumers.
type JetStream interface {
	Publish(subj string, data []byte, opts ...PubOpt) (*PubAck, error)
	PublishMsg(m *Msg, opts ...PubOpt) (*PubAck, error)
	PublishAsync(subj string, data []byte, opts ...PubOpt) (PubAckFuture, error)
	PublishMsgAsync(m *Msg, opts ...PubOpt) (PubAckFuture, error)
	PublishAsyncPending() int
	PublishAsyncComplete() <-chan struct{}
	CleanupPublisher()
	Subscribe(subj string, cb MsgHandler, opts ...SubOpt) (*Subscription, error)
	SubscribeSync(subj string, opts ...SubOpt) (*Subscription, error)
	ChanSubscribe(subj string, ch chan *Msg, opts ...SubOpt) (*Subscription, error)
	ChanQueueSubscribe(subj, queue string, ch chan *Msg, opts ...SubOpt) (*Subscription, error)
	QueueSubscribe(subj, queue string, cb MsgHandler, opts ...SubOpt) (*Subscription, error)
	QueueSubscribeSync(subj, queue string, opts ...SubOpt) (*Subscription, error)
	PullSubscribe(subj, durable string, opts ...SubOpt) (*Subscription, error)
}

// JetStreamContext allows JetStream messaging, stream management, key-value and the object
// store.
type JetStreamContext interface {
	JetStream
	JetStreamManager
	KeyValueManager
	ObjectStoreManager
}

// JSOpt configures a JetStream context (or a single management call).
type JSOpt interface {
	configureJSContext(opts *jsOpts) error
}

type jsOptFn func(opts *jsOpts) error

func (f jsOptFn) configureJSContext(opts *jsOpts) error { return f(opts) }

// MsgErrHandler is called with the context, the message and the error when an async publish
// fails.
type MsgErrHandler func(JetStream, *Msg, error)

type jsOpts struct {
	ctx        context.Context
	pre        string
	domain     string
	wait       time.Duration
	maxpa      int
	stallWait  time.Duration
	aecb       MsgErrHandler
	ackTimeout time.Duration
	purge      *StreamPurgeRequest
	directGet  bool
	listFilter string
	infoReq    *StreamInfoRequest // StreamInfo's details (compat_api.go)
}

// APIPrefix sets the subject prefix for JetStream API requests (default "$JS.API"), e.g. to reach
// JetStream in another account through an import.
func APIPrefix(pre string) JSOpt {
	return jsOptFn(func(o *jsOpts) error {
		if pre == "" {
			return nil
		}
		o.pre = pre
		if !strings.HasSuffix(o.pre, ".") {
			o.pre += "."
		}
		o.domain = ""
		return nil
	})
}

// Domain addresses the JetStream of another domain by making the API prefix
// "$JS.<domain>.API".
func Domain(domain string) JSOpt {
	return jsOptFn(func(o *jsOpts) error {
		if domain == "" {
			return nil
		}
		o.domain = domain
		o.pre = fmt.Sprintf(jsDomainT, domain)
		return nil
	})
}

// PublishAsyncMaxPending caps how many async publishes may await their ack at once; further
// PublishAsync calls wait (up to StallWait) for room.
func PublishAsyncMaxPending(max int) JSOpt {
	return jsOptFn(func(o *jsOpts) error {
		if max < 1 {
			return fmt.Errorf("nats: max ack pending should be >= 1")
		}
		o.maxpa = max
		return nil
	})
}

// PublishAsyncErrHandler sets the callback run with the message and the error when an async
// publish fails.
func PublishAsyncErrHandler(cb MsgErrHandler) JSOpt {
	return jsOptFn(func(o *jsOpts) error {
		o.aecb = cb
		return nil
	})
}

// PublishAsyncTimeout sets how long an async publish waits for its ack before it fails; by
// default the context's wait (5s) applies.
func PublishAsyncTimeout(dur time.Duration) JSOpt {
	return jsOptFn(func(o *jsOpts) error {
		o.ackTimeout = dur
		return nil
	})
}

// DirectGet makes GetMsg and GetLastMsg use the direct get API (the stream must allow it).
func DirectGet() JSOpt {
	return jsOptFn(func(o *jsOpts) error {
		o.directGet = true
		return nil
	})
}

// StreamListFilter restricts StreamNames and Streams (StreamsInfo) to the streams that listen on
// subject.
func StreamListFilter(subject string) JSOpt {
	return jsOptFn(func(o *jsOpts) error {
		o.listFilter = subject
		return nil
	})
}

// MaxWait bounds how long a JetStream API call (as a JSOpt) or a fetch (as a PullOpt) waits.
type MaxWait time.Duration

func (ttl MaxWait) configureJSContext(o *jsOpts) error {
	o.wait = time.Duration(ttl)
	return nil
}

func (ttl MaxWait) configurePull(o *pullOpts) error {
	o.ttl = time.Duration(ttl)
	return nil
}

// AckWait is a duration option. For a publish or an acknowledgement it bounds the wait for the
// server's reply; as a SubOpt it sets the consumer's AckWait (the time before redelivery).
type AckWait time.Duration

func (ttl AckWait) configurePublish(o *pubOpts) error {
	o.ttl = time.Duration(ttl)
	return nil
}

func (ttl AckWait) configureSubscribe(o *subOpts) error {
	o.cfg.AckWait = time.Duration(ttl)
	return nil
}

func (ttl AckWait) configureAck(o *ackOpts) error {
	o.ttl = time.Duration(ttl)
	return nil
}

// ContextOpt carries a context.Context into a JetStream call (its deadline bounds the call).
type ContextOpt struct {
	context.Context
}

func (ctx ContextOpt) configureJSContext(o *jsOpts) error {
	o.ctx = ctx
	return nil
}

func (ctx ContextOpt) configurePublish(o *pubOpts) error {
	o.ctx = ctx
	return nil
}

func (ctx ContextOpt) configureSubscribe(o *subOpts) error {
	o.ctx = ctx
	return nil
}

func (ctx ContextOpt) configurePull(o *pullOpts) error {
	o.ctx = ctx
	return nil
}

func (ctx ContextOpt) configureAck(o *ackOpts) error {
	o.ctx = ctx
	return nil
}

// Context wraps ctx as an option for JetStream calls that accept one (JSOpt, PubOpt, PullOpt,
// AckOpt...).
func Context(ctx context.Context) ContextOpt {
	return ContextOpt{ctx}
}

// js is the JetStreamContext: a natsrs_jetstream handle plus the Go side of async publishes.
type js struct {
	nc   *Conn
	opts jsOpts
	ptr  *C.natsrs_jetstream

	// Async publishes (counted here for PublishAsyncPending/Complete; the core bounds them).
	pmu      sync.Mutex
	pending  int
	complete []chan struct{}
}

// JetStream returns a JetStreamContext on this connection for publishing to, consuming from and
// managing streams and consumers.
func (nc *Conn) JetStream(opts ...JSOpt) (JetStreamContext, error) {
	if nc.cptr() == nil {
		return nil, ErrInvalidConnection
	}
	o := jsOpts{pre: defaultAPIPrefix, wait: defaultRequestWait, maxpa: defaultAsyncPubAckInflight, stallWait: defaultStallWait}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt.configureJSContext(&o); err != nil {
			return nil, err
		}
	}
	ptr, err := newCJS(nc, &o, o.wait)
	if err != nil {
		return nil, err
	}
	j := &js{nc: nc, opts: o, ptr: ptr}
	runtime.AddCleanup(j, func(p *C.natsrs_jetstream) { go C.natsrs_jetstream_free(p) }, ptr)
	return j, nil
}

// newCJS creates a natsrs_jetstream with the prefix/domain of o and the given API timeout.
func newCJS(nc *Conn, o *jsOpts, wait time.Duration) (*C.natsrs_jetstream, error) {
	p := nc.cptr()
	if p == nil {
		return nil, ErrInvalidConnection
	}
	pre, dom := o.pre, o.domain
	if dom != "" {
		pre = "" // the core derives the prefix from the domain
	} else if pre == defaultAPIPrefix {
		pre = ""
	} else {
		pre = strings.TrimSuffix(pre, ".")
	}
	if wait <= 0 {
		wait = defaultRequestWait
	}
	var out *C.natsrs_jetstream
	var je C.gn_jerr
	pp, np := cstr(pre)
	pd, nd := cstr(dom)
	st := C.gn_js_new(p, pp, np, pd, nd, C.int64_t(ms(wait)), C.int64_t(o.maxpa), C.int64_t(ms(o.stallWait)), &out, &je)
	runtime.KeepAlive(nc)
	if err := jsErr(st, &je, jsCallAPI); err != nil {
		return nil, err
	}
	return out, nil
}

// callOpts applies per-call JSOpts. When they change what the C context was created with (API
// timeout, prefix, domain, a context deadline), the call runs on a temporary C context.
func (j *js) callOpts(opts []JSOpt) (jsOpts, *C.natsrs_jetstream, func(), error) {
	o := j.opts
	o.ctx = nil
	o.purge = nil
	o.infoReq = nil
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt.configureJSContext(&o); err != nil {
			return o, nil, nil, err
		}
	}
	wait := o.wait
	if o.ctx != nil {
		if err := o.ctx.Err(); err != nil {
			return o, nil, nil, err
		}
		if dl, ok := o.ctx.Deadline(); ok {
			wait = time.Until(dl)
			if wait <= 0 {
				return o, nil, nil, context.DeadlineExceeded
			}
		}
	}
	if wait == j.opts.wait && o.pre == j.opts.pre && o.domain == j.opts.domain {
		return o, j.cp(), func() { runtime.KeepAlive(j) }, nil
	}
	p, err := newCJS(j.nc, &o, wait)
	if err != nil {
		return o, nil, nil, err
	}
	return o, p, func() { C.natsrs_jetstream_free(p) }, nil
}

// freeJErr releases the message of a gn_jerr.
func freeJErr(je *C.gn_jerr) string {
	if je.msg == nil {
		return ""
	}
	s := C.GoString(je.msg)
	C.free(unsafe.Pointer(je.msg))
	je.msg = nil
	return s
}

// goString copies and frees a malloc'd C string.
func goStringFree(p *C.char) string {
	if p == nil {
		return ""
	}
	s := C.GoString(p)
	C.free(unsafe.Pointer(p))
	return s
}

// natsString copies and frees a string returned by the library (natsrs_string_free).
func natsString(p *C.char) string {
	if p == nil {
		return ""
	}
	s := C.GoString(p)
	C.natsrs_string_free(p)
	return s
}
