package nats

/*
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
	"weak"
)

// Status is a connection's lifecycle state, as reported by the core (see Conn.Status).
type Status int

const (
	DISCONNECTED = Status(iota)
	CONNECTED
	CLOSED
	RECONNECTING
	CONNECTING
	DRAINING_SUBS
	DRAINING_PUBS
)

func (s Status) String() string {
	switch s {
	case DISCONNECTED:
		return "DISCONNECTED"
	case CONNECTED:
		return "CONNECTED"
	case CLOSED:
		return "CLOSED"
	case RECONNECTING:
		return "RECONNECTING"
	case CONNECTING:
		return "CONNECTING"
	case DRAINING_SUBS:
		return "DRAINING_SUBS"
	case DRAINING_PUBS:
		return "DRAINING_PUBS"
	}
	return "unknown status"
}

// Statistics are the connection's traffic counters (see Conn.Stats).
type Statistics struct {
	InMsgs     uint64
	OutMsgs    uint64
	InBytes    uint64
	OutBytes   uint64
	Reconnects uint64
}

// MsgHandler is the callback an asynchronous subscription calls with each message.
type MsgHandler func(msg *Msg)

// Conn is a client connection to a NATS server (backed by a libnatsrs connection).
type Conn struct {
	// Opts is the copy of the Options this Conn was made from.
	Opts Options
	core *connCore
}

// connCore is what C callbacks reach through their handles. It never points at the Conn
// strongly, so an abandoned Conn can be collected and its cleanup closes and frees the C side.
type connCore struct {
	ptr        *C.natsrs_connection
	self       weak.Pointer[Conn]
	closed     atomic.Bool
	freed      atomic.Bool
	draining   atomic.Bool // Drain called: deliver the batches in hand when the core closes
	userClosed atomic.Bool // Close called (NoCallbacksAfterClientClose)
	// drainSubs: Drain is waiting for the handler subscriptions (Status says DRAINING_SUBS
	// while the core, not draining yet, says CONNECTED); drainCalled: Drain ran once.
	drainSubs   atomic.Bool
	drainCalled atomic.Bool
	// slowSeen: a subscription was a slow consumer (LastError gives ErrSlowConsumer while the
	// core has no later error)
	slowSeen atomic.Bool
	// linkUp: connected, with no disconnect event since (a close then runs the disconnect
	// handler first, as nats.go's); retryConnected: the first connect happened in the
	// background (RetryOnFailedConnect: nats.go counts it as a reconnect). See conn_events.go.
	linkUp, retryConnected atomic.Bool
	// goErr: the last error recorded on the Go side (EncodedConn receive channels), for
	// LastError; errCleared: the core's error text when the link went down or came back up
	// (nats.go clears its last error then).
	goErr      atomic.Pointer[goLastErr]
	errCleared atomic.Pointer[string]
	// respPrefix: the inbox NewRespInbox adds its tokens to (made once)
	respOnce   sync.Once
	respPrefix string

	statusListeners map[chan Status][]Status // StatusChanged (guarded by mu)

	mu    sync.Mutex
	opts  *Options // handlers (guarded by mu for the Set* methods)
	subs  map[uintptr]weak.Pointer[Subscription]
	retry bool // RetryOnFailedConnect (the first connect may happen in the background)

	tlsVerify *tlsVerifier // the Go-side certificate check, if any (tls_verify.go)

	pub  pubBatcher  // publishes waiting in Go memory for the flusher (publish_batch.go)
	sock *sockReader // inline reads of the plain socket (sock_reader.go; guarded by mu)
	// wakers: sid -> the wake channel of the subscription's waiting goroutine, for the
	// subscriptions an inline read reports (sock_reader.go)
	wakers sync.Map
	// inlineFns: sid -> work an inline read runs itself on the reader goroutine for that
	// subscription (the request mux's: replies go straight to their waiters)
	inlineFns sync.Map
	// flow: flow control of inline reads (flow.go)
	flow *flowState
}

// Connect dials a server with GetDefaultOptions changed by options. url may hold several
// comma-separated server URLs and may carry credentials, as in nats://user:pass@host:4222.
func Connect(url string, options ...Option) (*Conn, error) {
	opts := GetDefaultOptions()
	opts.Servers = processUrlString(url)
	for _, opt := range options {
		if opt != nil {
			if err := opt(&opts); err != nil {
				return nil, err
			}
		}
	}
	return opts.Connect()
}

func processUrlString(url string) []string {
	urls := strings.Split(url, ",")
	out := urls[:0]
	for _, s := range urls {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, strings.TrimSuffix(s, "/"))
		}
	}
	return out
}

// Connect opens a connection to a server from the URLs and settings held in o.
func (o Options) Connect() (*Conn, error) {
	nc := &Conn{Opts: o}
	if nc.Opts.MaxPingsOut == 0 {
		nc.Opts.MaxPingsOut = DefaultMaxPingOut
	}
	if nc.Opts.ReconnectBufSize == 0 {
		nc.Opts.ReconnectBufSize = DefaultReconnectBufSize
	}
	if nc.Opts.Timeout == 0 {
		nc.Opts.Timeout = DefaultTimeout
	}
	if nc.Opts.UserJWT != nil && nc.Opts.Nkey != "" {
		return nil, ErrNkeyAndUser
	}
	if nc.Opts.Nkey != "" && nc.Opts.SignatureCB == nil {
		return nil, ErrNkeyButNoSigCB
	}
	if nc.Opts.UserInfo != nil && (nc.Opts.User != "" || nc.Opts.Password != "") {
		return nil, ErrUserInfoAlreadySet
	}
	if nc.Opts.Dialer != nil {
		return nil, fmt.Errorf("%w: Dialer (the core dials itself)", ErrNotSupported)
	}
	if err := unsupportedOptions(&nc.Opts); err != nil {
		return nil, err
	}
	if err := parseServerURLs(nc.Opts.Url, nc.Opts.Servers); err != nil {
		return nil, err // conn_events.go
	}

	var copts *C.natsrs_options
	if st := C.natsrs_options_new(&copts); st != C.NATSRS_STATUS_OK {
		return nil, statusError(int(st), "natsrs_options_new")
	}
	defer C.natsrs_options_free(copts)

	core := &connCore{self: weak.Make(nc), subs: map[uintptr]weak.Pointer[Subscription]{}, flow: newFlowState()}
	optsCopy := nc.Opts // the core must not point into the Conn (see connCore)
	core.opts = &optsCopy
	core.retry = nc.Opts.RetryOnFailedConnect
	if err := applyOptions(copts, &nc.Opts, core); err != nil {
		return nil, err
	}
	var cerr *C.char
	var cnc *C.natsrs_connection
	st := C.gn_connect(copts, &cnc, &cerr)
	if err := withVerifyErr(takeErr(st, cerr), core.tlsVerify); err != nil {
		// nats.go reports ErrNoServers itself (comparable with ==) when no server could be
		// reached.
		if e, ok := err.(*Error); ok && (e.Status == stIO || e.Status == stNoServers) {
			return nil, ErrNoServers
		}
		return nil, err
	}
	core.ptr = cnc
	nc.core = core
	core.linkUp.Store(C.natsrs_connection_status_get(cnc) == C.NATSRS_CONNECTION_STATUS_CONNECTED)
	var maxp C.int64_t
	C.natsrs_connection_max_payload(cnc, &maxp)
	core.startPub(C.natsrs_connection_status_get(cnc) == C.NATSRS_CONNECTION_STATUS_CONNECTED, int64(maxp))
	core.startSockReader() // inline reads (sock_reader.go)
	runtime.AddCleanup(nc, func(c *connCore) { go c.destroy() }, core)
	// nats.go runs the ConnectHandler (asynchronously) when the first connect succeeded in
	// Connect; the core's connected event covers the RetryOnFailedConnect case.
	if cb := nc.Opts.ConnectedCB; cb != nil && nc.Status() == CONNECTED {
		go core.safeCall(nil, func() { cb(nc) })
	}
	return nc, nil
}

// destroy closes and frees the C connection once (the Conn was garbage collected).
func (c *connCore) destroy() {
	if c.freed.Load() {
		return
	}
	c.stopPub()
	c.handOver()
	if c.freed.Swap(true) {
		return
	}
	c.stopSockReader() // inline reads (sock_reader.go)
	C.natsrs_connection_free(c.ptr)
}

// ---- Conn methods -----------------------------------------------------------------------------

// cptr is the C connection for any call that sends something or looks at the connection's
// state: it first hands the pending publishes over to the core (see publish_batch.go).
func (nc *Conn) cptr() *C.natsrs_connection {
	if nc == nil || nc.core == nil {
		return nil
	}
	nc.core.handOver()
	return nc.core.ptr
}

// rawptr is the C connection without the hand-over (for the publish path and for status
// reads that C callbacks make).
func (nc *Conn) rawptr() *C.natsrs_connection {
	if nc == nil || nc.core == nil {
		return nil
	}
	return nc.core.ptr
}

// Publish sends data to subj as it is; the binding does not look at or change the bytes.
func (nc *Conn) Publish(subj string, data []byte) error {
	return nc.publish(subj, "", data)
}

// PublishRequest publishes data to subj with reply as the subject for answers.
func (nc *Conn) PublishRequest(subj, reply string, data []byte) error {
	if reply == "" {
		return ErrBadSubject
	}
	return nc.publish(subj, reply, data)
}

// publishDirect publishes with one core call, after the pending batch.
func (nc *Conn) publishDirect(subj, reply string, data []byte) error {
	p := nc.cptr()
	if p == nil {
		return ErrInvalidConnection
	}
	var cerr *C.char
	ps, ns := cstr(subj)
	pr, nr := cstr(reply)
	pd, nd := cbytes(data)
	st := C.gn_publish(p, ps, ns, pr, nr, pd, nd, &cerr)
	runtime.KeepAlive(nc)
	if st == C.NATSRS_STATUS_OK {
		return nil
	}
	return takeErr(st, cerr)
}

// PublishMsg publishes m: its Subject, and its Reply, Header and Data when set.
func (nc *Conn) PublishMsg(m *Msg) error {
	if m == nil {
		return ErrInvalidMsg
	}
	if len(m.Header) == 0 {
		return nc.publish(m.Subject, m.Reply, m.Data)
	}
	hb, err := headerBuf(m.Header)
	if err != nil {
		return err
	}
	return nc.publishHdr(m.Subject, m.Reply, hb, m.Data)
}

// publishHdr publishes with a header block (NATS/1.0 ...), with one core call after the
// pending batch.
func (nc *Conn) publishHdr(subj, reply, hdr string, data []byte) error {
	p := nc.cptr()
	if p == nil {
		return ErrInvalidConnection
	}
	var cerr *C.char
	ps, ns := cstr(subj)
	pr, nr := cstr(reply)
	ph, nh := cstr(hdr)
	pd, nd := cbytes(data)
	st := C.gn_publish_msg(p, ps, ns, pr, nr, ph, nh, pd, nd, &cerr)
	runtime.KeepAlive(nc)
	runtime.KeepAlive(subj)
	runtime.KeepAlive(reply)
	runtime.KeepAlive(hdr)
	runtime.KeepAlive(data)
	return takeErr(st, cerr)
}

// Request publishes data to subj and waits up to timeout for the first reply, which it returns.
// Without a reply it returns ErrTimeout (or ErrNoResponders if nobody is subscribed).
func (nc *Conn) Request(subj string, data []byte, timeout time.Duration) (*Msg, error) {
	return nc.request(subj, "", data, timeout)
}

// RequestMsg is Request for a whole message (headers included): it sends msg to msg.Subject and
// returns the first reply, or an error such as ErrTimeout.
func (nc *Conn) RequestMsg(msg *Msg, timeout time.Duration) (*Msg, error) {
	if msg == nil {
		return nil, ErrInvalidMsg
	}
	hb, err := headerBuf(msg.Header)
	if err != nil {
		return nil, err
	}
	return nc.request(msg.Subject, hb, msg.Data, timeout)
}

func (nc *Conn) request(subj, hdr string, data []byte, timeout time.Duration) (*Msg, error) {
	p := nc.cptr()
	if p == nil {
		return nil, ErrInvalidConnection
	}
	if err := nc.drainingErr(); err != nil {
		return nil, err
	}
	if timeout <= 0 {
		// As nats.go: the request goes out and the wait for its reply ends at once.
		var err error
		if hdr == "" {
			err = nc.publish(subj, nc.NewInbox(), data)
		} else {
			err = nc.publishHdr(subj, nc.NewInbox(), hdr, data)
		}
		if err != nil {
			return nil, err
		}
		return nil, ErrTimeout
	}
	if m, err, ok := nc.core.muxRequest(nc, subj, hdr, data, timeout); ok { // request_mux.go
		return m, err
	}
	// Up to maxBlockingRequests requests wait in a blocking C call (lowest latency); more
	// concurrent ones use the non-blocking request and wait on a channel, so that thousands of
	// goroutines waiting for replies do not each hold an OS thread (Go stops at 10,000).
	if blockingRequests.Add(1) > maxBlockingRequests {
		blockingRequests.Add(-1)
		return nc.requestAsync(subj, hdr, data, timeout)
	}
	defer blockingRequests.Add(-1)
	var cerr *C.char
	var view C.gn_msg_view
	var out *C.natsrs_msg
	ps, ns := cstr(subj)
	ph, nh := cstr(hdr)
	pd, nd := cbytes(data)
	st := C.gn_request(p, ps, ns, ph, nh, pd, nd, C.int64_t(ms(timeout)), &view, &out, &cerr)
	runtime.KeepAlive(nc)
	runtime.KeepAlive(hdr)
	if err := takeErr(st, cerr); err != nil {
		return nil, err
	}
	m := copyView(&view, nil)
	freeView(&view)
	C.natsrs_msg_free(out)
	return m, nil
}

const maxBlockingRequests = 32

var blockingRequests atomic.Int32

func freeView(v *C.gn_msg_view) {
	if v.hdr != nil {
		C.free(unsafe.Pointer(v.hdr))
		v.hdr = nil
	}
}

// Flush sends a PING and waits (up to 10 seconds) for the PONG, so that everything published
// before it has reached the server.
func (nc *Conn) Flush() error {
	return nc.FlushTimeout(10 * time.Second)
}

// FlushTimeout is Flush with a caller-chosen deadline: it sends a PING and waits at most timeout
// for the server's PONG. A zero or negative timeout gives ErrBadTimeout.
func (nc *Conn) FlushTimeout(timeout time.Duration) error {
	p := nc.cptr()
	if p == nil {
		return ErrInvalidConnection
	}
	if timeout <= 0 {
		return ErrBadTimeout
	}
	deadline := time.Now().Add(timeout)
	var cerr *C.char
	st := C.gn_flush(p, C.int64_t(ms(timeout)), &cerr)
	runtime.KeepAlive(nc)
	err := takeErr(st, cerr)
	if err != nil {
		err, _ = nc.flushWhileReconnecting(err, deadline, nil) // conn_events.go
	}
	return err
}

// RTT measures one PING/PONG round trip to the server and returns how long it took.
func (nc *Conn) RTT() (time.Duration, error) {
	p := nc.cptr()
	if p == nil {
		return 0, ErrInvalidConnection
	}
	switch nc.Status() { // nats.go's errors, bare
	case CLOSED:
		return 0, ErrConnectionClosed
	case RECONNECTING:
		return 0, ErrDisconnected
	}
	var cerr *C.char
	var out C.double
	st := C.gn_rtt(p, &out, &cerr)
	runtime.KeepAlive(nc)
	if err := takeErr(st, cerr); err != nil {
		return 0, err
	}
	return time.Duration(float64(out) * float64(time.Millisecond)), nil
}

// Close shuts the connection down. Calls blocked on it, such as Flush and NextMsg, return;
// calling Close again does nothing.
func (nc *Conn) Close() {
	if nc == nil || nc.core == nil {
		return
	}
	c := nc.core
	c.userClosed.Store(true)
	// Everything published before Close goes to the core before it closes.
	c.stopPub()
	c.handOver()
	c.stopSockReader() // inline reads (sock_reader.go)
	if !c.closed.Swap(true) {
		var cerr *C.char
		st := C.gn_close(c.ptr, &cerr)
		_ = takeErr(st, cerr)
	}
	c.releaseSubs(false)
	runtime.KeepAlive(nc)
}

// liveSubs is a snapshot of the connection's subscriptions that are still reachable.
func (c *connCore) liveSubs() []*Subscription {
	c.mu.Lock()
	defer c.mu.Unlock()
	subs := make([]*Subscription, 0, len(c.subs))
	for _, w := range c.subs {
		if s := w.Value(); s != nil {
			subs = append(subs, s)
		}
	}
	return subs
}

// releaseSubs frees the C handles of the connection's subscriptions (they cannot deliver any
// more once the connection is closed).
func (c *connCore) releaseSubs(soft bool) []*Subscription {
	subs := c.liveSubs()
	for _, s := range subs {
		s.markClosed(true, soft)
	}
	return subs
}

// waitPumps waits (bounded) until the pumps of subs delivered what they hold.
func waitPumps(subs []*Subscription, limit time.Duration) {
	deadline := time.After(limit)
	for _, s := range subs {
		if s.pumpDone == nil {
			continue
		}
		select {
		case <-s.pumpDone:
		case <-deadline:
			return
		}
	}
}

// Drain closes the connection gracefully: subscriptions stop receiving new messages but handle
// those already queued, then pending publishes are flushed, and finally the connection is closed
// (the ClosedCB tells when). As in nats.go, the handler subscriptions are drained first and the
// connection waits until their handlers have returned for every message they had, so that what
// the handlers publish meanwhile (replies, acks) still goes out; publishes fail only once the
// subscriptions are drained. A second call does nothing.
func (nc *Conn) Drain() error {
	p := nc.cptr()
	if p == nil {
		return ErrInvalidConnection
	}
	if nc.IsClosed() {
		return ErrConnectionClosed
	}
	c := nc.core
	if c.drainCalled.Swap(true) {
		return nil
	}
	timeout := nc.Opts.DrainTimeout
	if timeout <= 0 {
		timeout = DefaultDrainTimeout
	}
	deadline := time.Now().Add(timeout)
	// Publishes during the drain are direct (the core refuses them once the subscriptions are
	// drained).
	c.draining.Store(true)
	c.drainSubs.Store(true)
	c.subsDraining()
	go func() {
		var wait []*Subscription
		for _, s := range c.liveSubs() {
			if s.jsi == nil && s.mcb != nil && s.pumpDone != nil && s.Drain() == nil {
				wait = append(wait, s)
			}
		}
		waitPumps(wait, time.Until(deadline))
		c.drainSubs.Store(false)
		left := time.Until(deadline)
		if left < time.Millisecond {
			left = time.Millisecond
		}
		var cerr *C.char
		st := C.gn_drain(p, C.int64_t(ms(left)), &cerr)
		err := takeErr(st, cerr)
		if err == ErrTimeout {
			c.reportError(nil, ErrDrainTimeout)
		}
		// The core closed the connection; the closed event delivered the batches in hand.
		if !c.closed.Swap(true) {
			var cerr *C.char
			_ = takeErr(C.gn_close(p, &cerr), cerr)
		}
		c.stopPub()
		c.releaseSubs(true)
		runtime.KeepAlive(nc)
	}()
	return nil
}

// drainingErr is ErrConnectionDraining while the connection drains (no new subscription or
// request then, as in nats.go), nil otherwise and once closed (the core says so).
func (nc *Conn) drainingErr() error {
	if nc.core.draining.Load() && !nc.core.closed.Load() {
		return ErrConnectionDraining
	}
	return nil
}

// IsDraining reports whether the connection is draining its subscriptions or its publishes.
func (nc *Conn) IsDraining() bool {
	s := nc.Status()
	return s == DRAINING_SUBS || s == DRAINING_PUBS
}

// Status returns the connection's state as the core sees it now; a nil or freed Conn is CLOSED.
func (nc *Conn) Status() Status {
	p := nc.rawptr()
	if p == nil {
		return CLOSED
	}
	st := C.natsrs_connection_status_get(p)
	runtime.KeepAlive(nc)
	switch st {
	case C.NATSRS_CONNECTION_STATUS_DISCONNECTED:
		return DISCONNECTED
	case C.NATSRS_CONNECTION_STATUS_CONNECTING:
		return CONNECTING
	case C.NATSRS_CONNECTION_STATUS_CONNECTED:
		if nc.core.drainSubs.Load() {
			return DRAINING_SUBS // Drain waits for the handlers; the core drains after
		}
		return CONNECTED
	case C.NATSRS_CONNECTION_STATUS_CLOSED:
		return CLOSED
	case C.NATSRS_CONNECTION_STATUS_RECONNECTING:
		return RECONNECTING
	case C.NATSRS_CONNECTION_STATUS_DRAINING_SUBS:
		return DRAINING_SUBS
	case C.NATSRS_CONNECTION_STATUS_DRAINING_PUBS:
		return DRAINING_PUBS
	}
	return DISCONNECTED
}

// IsClosed reports whether the connection has reached the CLOSED state.
func (nc *Conn) IsClosed() bool { return nc.Status() == CLOSED }

// IsReconnecting reports whether the connection has lost its server and is trying to reconnect.
func (nc *Conn) IsReconnecting() bool { return nc.Status() == RECONNECTING }

// IsConnected reports whether the connection is up; a draining connection still counts as up.
func (nc *Conn) IsConnected() bool {
	s := nc.Status()
	return s == CONNECTED || s == DRAINING_SUBS || s == DRAINING_PUBS
}

// SetDisconnectErrHandler replaces the callback run when the connection drops (it gets the error).
func (nc *Conn) SetDisconnectErrHandler(cb ConnErrHandler) {
	nc.core.mu.Lock()
	nc.Opts.DisconnectedErrCB = cb
	nc.core.opts.DisconnectedErrCB = cb
	nc.core.mu.Unlock()
}

// SetReconnectHandler replaces the callback run after the connection has been re-established.
func (nc *Conn) SetReconnectHandler(cb ConnHandler) {
	nc.core.mu.Lock()
	nc.Opts.ReconnectedCB = cb
	nc.core.opts.ReconnectedCB = cb
	nc.core.mu.Unlock()
}

// SetDiscoveredServersHandler replaces the callback run when the server announces new cluster URLs.
func (nc *Conn) SetDiscoveredServersHandler(cb ConnHandler) {
	nc.core.mu.Lock()
	nc.Opts.DiscoveredServersCB = cb
	nc.core.opts.DiscoveredServersCB = cb
	nc.core.mu.Unlock()
}

// SetClosedHandler replaces the callback run once the connection is closed for good.
func (nc *Conn) SetClosedHandler(cb ConnHandler) {
	nc.core.mu.Lock()
	nc.Opts.ClosedCB = cb
	nc.core.opts.ClosedCB = cb
	nc.core.mu.Unlock()
}

// SetErrorHandler replaces the callback that receives asynchronous errors (e.g. slow consumers).
func (nc *Conn) SetErrorHandler(cb ErrHandler) {
	nc.core.mu.Lock()
	nc.Opts.AsyncErrorCB = cb
	nc.core.opts.AsyncErrorCB = cb
	nc.core.mu.Unlock()
}

// NumSubscriptions counts the subscriptions this Conn currently tracks.
func (nc *Conn) NumSubscriptions() int {
	nc.core.mu.Lock()
	defer nc.core.mu.Unlock()
	return len(nc.core.subs)
}

// ForceReconnect asks the core to drop the current server connection and reconnect right away.
func (nc *Conn) ForceReconnect() error {
	p := nc.cptr()
	if p == nil {
		return ErrInvalidConnection
	}
	st := C.natsrs_connection_force_reconnect(p)
	runtime.KeepAlive(nc)
	return statusError(int(st), "")
}
