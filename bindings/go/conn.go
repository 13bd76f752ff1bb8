package nats

/*
#include "shim.h"
*/
import "C"

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
	"weak"
)

// Status represents the state of the connection.
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

// Statistics tracks various stats received and sent on this connection.
type Statistics struct {
	InMsgs     uint64
	OutMsgs    uint64
	InBytes    uint64
	OutBytes   uint64
	Reconnects uint64
}

// MsgHandler is a callback function that processes messages delivered to asynchronous
// subscribers.
type MsgHandler func(msg *Msg)

// Conn represents a bare connection to a nats-server (backed by a libnatsrs connection).
type Conn struct {
	// Opts holds the configuration of the Conn.
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

	statusListeners map[chan Status][]Status // StatusChanged (guarded by mu)

	mu    sync.Mutex
	opts  *Options // handlers (guarded by mu for the Set* methods)
	subs  map[uintptr]weak.Pointer[Subscription]
	retry bool // RetryOnFailedConnect: run ReconnectedCB on the first async connect

	tlsVerify *tlsVerifier // the Go-side certificate check, if any (tls_verify.go)
}

// Connect will attempt to connect to the NATS system. The url can contain username/password
// semantics, e.g. nats://derek:pass@localhost:4222. Comma separated arrays are also supported,
// e.g. urlA, urlB.
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

// Connect will attempt to connect to a NATS server with multiple options.
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

	var copts *C.natsrs_options
	if st := C.natsrs_options_new(&copts); st != C.NATSRS_STATUS_OK {
		return nil, statusError(int(st), "natsrs_options_new")
	}
	defer C.natsrs_options_free(copts)

	core := &connCore{self: weak.Make(nc), subs: map[uintptr]weak.Pointer[Subscription]{}}
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
		// nats.go reports "no servers available" when no server could be reached.
		if e, ok := err.(*Error); ok && e.Status == stIO {
			e.base = ErrNoServers
		}
		return nil, err
	}
	core.ptr = cnc
	nc.core = core
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
	if c.freed.Swap(true) {
		return
	}
	C.natsrs_connection_free(c.ptr)
}

type optSetter struct {
	o   *C.natsrs_options
	err error
}

func (s *optSetter) check(st C.natsrs_status, cerr *C.char, what string) {
	err := takeErr(st, cerr)
	if err != nil && s.err == nil {
		s.err = fmt.Errorf("%s: %w", what, err)
	}
}

func (s *optSetter) b(which C.int, v bool, what string) {
	var cerr *C.char
	s.check(C.gn_opt_bool(s.o, which, C.bool(v), &cerr), cerr, what)
}

func (s *optSetter) i(which C.int, v, v2 int64, what string) {
	var cerr *C.char
	s.check(C.gn_opt_int(s.o, which, C.int64_t(v), C.int64_t(v2), &cerr), cerr, what)
}

func (s *optSetter) str(which C.int, a, b string, what string) {
	var cerr *C.char
	pa, na := cstr(a)
	pb, nb := cstr(b)
	s.check(C.gn_opt_str(s.o, which, pa, na, pb, nb, &cerr), cerr, what)
	runtime.KeepAlive(a)
	runtime.KeepAlive(b)
}

// cb registers callback `which` with a new handle to v (deleted by the core's userdata_free).
func (s *optSetter) cb(which C.int, v any, arg string, what string) {
	h := newHandle(v)
	var cerr *C.char
	pa, na := cstr(arg)
	// On failure too, the core has run userdata_free (the handle is deleted).
	st := C.gn_opt_cb(s.o, which, C.uintptr_t(h), pa, na, &cerr)
	s.check(st, cerr, what)
}

func ms(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	m := int64(d / time.Millisecond)
	if m == 0 {
		m = 1
	}
	return m
}

// authCB is the userdata of token / JWT / signature callbacks.
type authCB struct {
	token AuthTokenHandler
	jwt   UserJWTHandler
	sig   SignatureHandler
}

func applyOptions(co *C.natsrs_options, o *Options, core *connCore) error {
	s := &optSetter{o: co}
	servers := o.Servers
	if o.Url != "" {
		servers = append([]string{o.Url}, servers...)
	}
	if len(servers) == 0 {
		servers = []string{DefaultURL}
	}
	s.str(C.GN_OPT_URL, strings.Join(servers, ", "), "", "servers")
	if o.Name != "" {
		s.str(C.GN_OPT_NAME, o.Name, "", "Name")
	}
	s.b(C.GN_OPT_NO_ECHO, o.NoEcho, "NoEcho")
	s.b(C.GN_OPT_NO_RANDOMIZE, o.NoRandomize, "DontRandomize")
	s.b(C.GN_OPT_VERBOSE, o.Verbose, "Verbose")
	s.b(C.GN_OPT_PEDANTIC, o.Pedantic, "Pedantic")
	s.b(C.GN_OPT_ALLOW_RECONNECT, o.AllowReconnect, "AllowReconnect")
	s.b(C.GN_OPT_RETRY_ON_FAILED_CONNECT, o.RetryOnFailedConnect, "RetryOnFailedConnect")
	s.b(C.GN_OPT_OLD_REQUEST_STYLE, o.UseOldRequestStyle, "UseOldRequestStyle")
	s.b(C.GN_OPT_IGNORE_DISCOVERED, o.IgnoreDiscoveredServers, "IgnoreDiscoveredServers")
	if o.PingInterval > 0 {
		s.i(C.GN_OPT_PING_INTERVAL, ms(o.PingInterval), 0, "PingInterval")
	}
	if o.MaxPingsOut > 0 {
		s.i(C.GN_OPT_MAX_PINGS_OUT, int64(o.MaxPingsOut), 0, "MaxPingsOutstanding")
	}
	if o.Timeout > 0 {
		s.i(C.GN_OPT_CONNECT_TIMEOUT, ms(o.Timeout), 0, "Timeout")
	}
	if o.DrainTimeout > 0 {
		s.i(C.GN_OPT_DRAIN_TIMEOUT, ms(o.DrainTimeout), 0, "DrainTimeout")
	}
	if o.ReconnectWait > 0 {
		s.i(C.GN_OPT_RECONNECT_WAIT, ms(o.ReconnectWait), 0, "ReconnectWait")
	}
	max := int64(o.MaxReconnect)
	if max < 0 {
		max = -1
	}
	s.i(C.GN_OPT_MAX_RECONNECT, max, 0, "MaxReconnects")
	buf := int64(o.ReconnectBufSize)
	if buf < 0 {
		buf = 0
	}
	s.i(C.GN_OPT_RECONNECT_BUF_SIZE, buf, 0, "ReconnectBufSize")
	s.i(C.GN_OPT_JITTER, ms(o.ReconnectJitter), ms(o.ReconnectJitterTLS), "ReconnectJitter")
	if o.InboxPrefix != "" {
		s.str(C.GN_OPT_INBOX_PREFIX, o.InboxPrefix, "", "CustomInboxPrefix")
	}
	// Authentication.
	if o.User != "" || o.Password != "" {
		s.str(C.GN_OPT_USER_INFO, o.User, o.Password, "UserInfo")
	}
	if o.UserInfo != nil {
		s.cb(C.GN_CB_USER_INFO, &userInfoCB{cb: o.UserInfo, core: core}, "", "UserInfoHandler")
	}
	if o.Token != "" {
		s.str(C.GN_OPT_TOKEN, o.Token, "", "Token")
	}
	if o.TokenHandler != nil {
		s.cb(C.GN_CB_TOKEN, &authCB{token: o.TokenHandler}, "", "TokenHandler")
	}
	if o.credsFile != "" {
		if o.credsSeedFile != "" {
			s.str(C.GN_OPT_CREDS_FILES, o.credsFile, o.credsSeedFile, "UserCredentials")
		} else {
			s.str(C.GN_OPT_CREDS_FILE, o.credsFile, "", "UserCredentials")
		}
	} else if o.UserJWT != nil {
		s.cb(C.GN_CB_USER_JWT, &authCB{jwt: o.UserJWT, sig: o.SignatureCB}, "", "UserJWT")
	}
	if o.nkeySeedFile != "" {
		s.str(C.GN_OPT_NKEY_SEED_FILE, o.nkeySeedFile, "", "NkeyOptionFromSeed")
	} else if o.Nkey != "" {
		s.cb(C.GN_CB_NKEY, &authCB{sig: o.SignatureCB}, o.Nkey, "Nkey")
	}
	// TLS.
	if err := applyTLS(s, o, core); err != nil {
		return err
	}
	// Connection events: always registered, so that the Set*Handler methods work after Connect
	// and the default error handler prints like nats.go's.
	s.cb(C.GN_CB_CLOSED, core, "", "ClosedHandler")
	s.cb(C.GN_CB_DISCONNECTED, core, "", "DisconnectErrHandler")
	s.cb(C.GN_CB_RECONNECTED, core, "", "ReconnectHandler")
	s.cb(C.GN_CB_CONNECTED, core, "", "ConnectHandler")
	s.cb(C.GN_CB_DISCOVERED, core, "", "DiscoveredServersHandler")
	s.cb(C.GN_CB_LAME_DUCK, core, "", "LameDuckModeHandler")
	s.cb(C.GN_CB_ERROR, core, "", "ErrorHandler")
	if o.CustomReconnectDelayCB != nil {
		s.cb(C.GN_CB_RECONNECT_DELAY, core, "", "CustomReconnectDelay")
	}
	if o.ReconnectErrCB != nil {
		s.cb(C.GN_CB_RECONNECT_ERROR, core, "", "ReconnectErrHandler")
	}
	return s.err
}

func applyTLS(s *optSetter, o *Options, core *connCore) error {
	if o.Secure {
		s.b(C.GN_OPT_TLS_REQUIRED, true, "Secure")
	}
	if o.TLSHandshakeFirst {
		s.b(C.GN_OPT_TLS_HANDSHAKE_FIRST, true, "TLSHandshakeFirst")
	}
	c := o.TLSConfig
	if needsGoVerify(c) {
		// An x509.CertPool or a verification callback: the chain is checked in Go.
		v, err := newTLSVerifier(c, o.caFiles)
		if err != nil {
			return err
		}
		core.tlsVerify = v
		s.cb(C.GN_CB_TLS_VERIFY, v, "", "tls.Config.RootCAs")
	} else if len(o.caFiles) == 1 {
		s.str(C.GN_OPT_TLS_CA_FILE, o.caFiles[0], "", "RootCAs")
	} else if len(o.caFiles) > 1 {
		var all []byte
		for _, f := range o.caFiles {
			b, err := os.ReadFile(f)
			if err != nil {
				return fmt.Errorf("nats: error loading or parsing rootCA file: %w", err)
			}
			all = append(append(all, b...), '\n')
		}
		s.str(C.GN_OPT_TLS_CA_PEM, string(all), "", "RootCAs")
	}
	if o.certFile != "" {
		s.str(C.GN_OPT_TLS_CLIENT_CERT_FILE, o.certFile, o.keyFile, "ClientCert")
	}
	if c == nil {
		return s.err
	}
	// Only what the core (or the Go-side verifier) can honour; anything else is an error,
	// never silently ignored.
	var bad []string
	if c.GetCertificate != nil || c.GetClientCertificate != nil || c.GetConfigForClient != nil {
		bad = append(bad, "callbacks (GetClientCertificate, GetCertificate, GetConfigForClient)")
	}
	if len(c.CipherSuites) > 0 || len(c.CurvePreferences) > 0 {
		bad = append(bad, "CipherSuites/CurvePreferences")
	}
	if len(c.NextProtos) > 0 {
		bad = append(bad, "NextProtos")
	}
	if c.MaxVersion != 0 && c.MaxVersion < tls.VersionTLS13 {
		bad = append(bad, "MaxVersion below TLS 1.3")
	}
	if c.KeyLogWriter != nil || c.ClientSessionCache != nil || c.Renegotiation != 0 {
		bad = append(bad, "KeyLogWriter/ClientSessionCache/Renegotiation")
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: tls.Config field(s) %s", ErrNotSupported, strings.Join(bad, "; "))
	}
	switch c.MinVersion {
	case 0, tls.VersionTLS12:
	case tls.VersionTLS13:
		s.i(C.GN_OPT_TLS_MIN_VERSION, 13, 0, "tls.Config.MinVersion")
	default:
		return fmt.Errorf("%w: tls.Config.MinVersion below TLS 1.2", ErrNotSupported)
	}
	if c.ServerName != "" {
		s.str(C.GN_OPT_TLS_SERVER_NAME, c.ServerName, "", "tls.Config.ServerName")
	}
	if c.InsecureSkipVerify {
		s.b(C.GN_OPT_TLS_SKIP_VERIFY, true, "tls.Config.InsecureSkipVerify")
	}
	if len(c.Certificates) > 1 {
		return fmt.Errorf("%w: more than one tls.Config.Certificates entry", ErrNotSupported)
	}
	if len(c.Certificates) == 1 {
		certPEM, keyPEM, err := certToPEM(c.Certificates[0])
		if err != nil {
			return err
		}
		s.str(C.GN_OPT_TLS_CLIENT_CERT_PEM, string(certPEM), string(keyPEM), "tls.Config.Certificates")
		for i := range keyPEM {
			keyPEM[i] = 0
		}
	}
	return s.err
}

func certToPEM(c tls.Certificate) ([]byte, []byte, error) {
	if len(c.Certificate) == 0 || c.PrivateKey == nil {
		return nil, nil, fmt.Errorf("%w: empty tls.Certificate", ErrInvalidArg)
	}
	var certPEM []byte
	for _, der := range c.Certificate {
		certPEM = append(certPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	der, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		return nil, nil, fmt.Errorf("nats: client key: %w", err)
	}
	return certPEM, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ---- Conn methods -----------------------------------------------------------------------------

func (nc *Conn) cptr() *C.natsrs_connection {
	if nc == nil || nc.core == nil {
		return nil
	}
	return nc.core.ptr
}

// Publish publishes the data argument to the given subject. The data argument is left untouched
// and needs to be correctly interpreted on the receiver.
func (nc *Conn) Publish(subj string, data []byte) error {
	return nc.publish(subj, "", data)
}

// PublishRequest will perform a Publish() expecting a response on the reply subject.
func (nc *Conn) PublishRequest(subj, reply string, data []byte) error {
	if reply == "" {
		return ErrBadSubject
	}
	return nc.publish(subj, reply, data)
}

func (nc *Conn) publish(subj, reply string, data []byte) error {
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

// PublishMsg publishes the Msg structure, which includes the Subject, an optional Reply and an
// optional Data field.
func (nc *Conn) PublishMsg(m *Msg) error {
	if m == nil {
		return ErrInvalidMsg
	}
	if len(m.Header) == 0 {
		return nc.publish(m.Subject, m.Reply, m.Data)
	}
	p := nc.cptr()
	if p == nil {
		return ErrInvalidConnection
	}
	hdr := headerBuf(m.Header)
	var cerr *C.char
	ps, ns := cstr(m.Subject)
	pr, nr := cstr(m.Reply)
	ph, nh := cstr(hdr)
	pd, nd := cbytes(m.Data)
	st := C.gn_publish_msg(p, ps, ns, pr, nr, ph, nh, pd, nd, &cerr)
	runtime.KeepAlive(nc)
	runtime.KeepAlive(m)
	runtime.KeepAlive(hdr)
	return takeErr(st, cerr)
}

// Request will send a request payload and deliver the response message, or an error, including
// a timeout if no message was received properly.
func (nc *Conn) Request(subj string, data []byte, timeout time.Duration) (*Msg, error) {
	return nc.request(subj, "", data, timeout)
}

// RequestMsg will send a request payload including optional headers and deliver the response
// message, or an error, including a timeout if no message was received properly.
func (nc *Conn) RequestMsg(msg *Msg, timeout time.Duration) (*Msg, error) {
	if msg == nil {
		return nil, ErrInvalidMsg
	}
	return nc.request(msg.Subject, headerBuf(msg.Header), msg.Data, timeout)
}

func (nc *Conn) request(subj, hdr string, data []byte, timeout time.Duration) (*Msg, error) {
	p := nc.cptr()
	if p == nil {
		return nil, ErrInvalidConnection
	}
	if timeout <= 0 {
		return nil, ErrBadTimeout
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

// Flush will perform a round trip to the server and return when it receives the internal reply.
func (nc *Conn) Flush() error {
	return nc.FlushTimeout(10 * time.Second)
}

// FlushTimeout allows a Flush operation to have an associated timeout.
func (nc *Conn) FlushTimeout(timeout time.Duration) error {
	p := nc.cptr()
	if p == nil {
		return ErrInvalidConnection
	}
	if timeout <= 0 {
		return ErrBadTimeout
	}
	var cerr *C.char
	st := C.gn_flush(p, C.int64_t(ms(timeout)), &cerr)
	runtime.KeepAlive(nc)
	return takeErr(st, cerr)
}

// RTT calculates the round trip time between this client and the server.
func (nc *Conn) RTT() (time.Duration, error) {
	p := nc.cptr()
	if p == nil {
		return 0, ErrInvalidConnection
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

// Close will close the connection to the server. This call will release all blocking calls,
// such as Flush() and NextMsg(). It is idempotent.
func (nc *Conn) Close() {
	if nc == nil || nc.core == nil {
		return
	}
	c := nc.core
	c.userClosed.Store(true)
	if !c.closed.Swap(true) {
		var cerr *C.char
		st := C.gn_close(c.ptr, &cerr)
		_ = takeErr(st, cerr)
	}
	c.releaseSubs(false)
	runtime.KeepAlive(nc)
}

// releaseSubs frees the C handles of the connection's subscriptions (they cannot deliver any
// more once the connection is closed).
func (c *connCore) releaseSubs(soft bool) []*Subscription {
	c.mu.Lock()
	subs := make([]*Subscription, 0, len(c.subs))
	for _, w := range c.subs {
		if s := w.Value(); s != nil {
			subs = append(subs, s)
		}
	}
	c.mu.Unlock()
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

// Drain will put a connection into a drain state. All subscriptions will immediately be put
// into a drain state. Upon completion, the publishers will be drained and can not publish any
// additional messages. Upon draining of the publishers, the connection will be closed. Use the
// ClosedCB option to know when the connection has moved from draining to closed.
func (nc *Conn) Drain() error {
	p := nc.cptr()
	if p == nil {
		return ErrInvalidConnection
	}
	if nc.IsClosed() {
		return ErrConnectionClosed
	}
	timeout := nc.Opts.DrainTimeout
	if timeout <= 0 {
		timeout = DefaultDrainTimeout
	}
	nc.core.draining.Store(true)
	go func() {
		var cerr *C.char
		st := C.gn_drain(p, C.int64_t(ms(timeout)), &cerr)
		err := takeErr(st, cerr)
		if err == ErrTimeout {
			nc.core.reportError(nil, ErrDrainTimeout)
		}
		// The core closed the connection; the closed event delivered the batches in hand.
		if !nc.core.closed.Swap(true) {
			var cerr *C.char
			_ = takeErr(C.gn_close(p, &cerr), cerr)
		}
		nc.core.releaseSubs(true)
		runtime.KeepAlive(nc)
	}()
	return nil
}

// IsDraining tests if a Conn is in the draining state.
func (nc *Conn) IsDraining() bool {
	s := nc.Status()
	return s == DRAINING_SUBS || s == DRAINING_PUBS
}

// Status returns the current state of the connection.
func (nc *Conn) Status() Status {
	p := nc.cptr()
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

// IsClosed tests if a Conn has been closed.
func (nc *Conn) IsClosed() bool { return nc.Status() == CLOSED }

// IsReconnecting tests if a Conn is reconnecting.
func (nc *Conn) IsReconnecting() bool { return nc.Status() == RECONNECTING }

// IsConnected tests if a Conn is connected.
func (nc *Conn) IsConnected() bool {
	s := nc.Status()
	return s == CONNECTED || s == DRAINING_SUBS || s == DRAINING_PUBS
}

// Stats will return a race safe copy of the Statistics section for the connection.
func (nc *Conn) Stats() Statistics {
	p := nc.cptr()
	if p == nil {
		return Statistics{}
	}
	var s C.natsrs_statistics
	C.natsrs_connection_stats(p, &s)
	runtime.KeepAlive(nc)
	return Statistics{
		InMsgs: uint64(s.in_msgs), OutMsgs: uint64(s.out_msgs),
		InBytes: uint64(s.in_bytes), OutBytes: uint64(s.out_bytes),
		Reconnects: uint64(s.reconnects),
	}
}

// MaxPayload returns the size limit that a message payload can have. This is set by the server
// configuration and delivered to the client upon connect.
func (nc *Conn) MaxPayload() int64 {
	p := nc.cptr()
	if p == nil {
		return 0
	}
	var out C.int64_t
	C.natsrs_connection_max_payload(p, &out)
	runtime.KeepAlive(nc)
	return int64(out)
}

func stringsList(list *C.natsrs_strings) []string {
	n := int(C.natsrs_strings_count(list))
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, C.GoString(C.natsrs_strings_get(list, C.size_t(i))))
	}
	C.natsrs_strings_free(list)
	return out
}

// Servers returns the list of known server urls, including additional servers discovered after
// a connect but not including those that have been removed.
func (nc *Conn) Servers() []string {
	p := nc.cptr()
	if p == nil {
		return nil
	}
	var list *C.natsrs_strings
	if C.natsrs_connection_servers(p, &list) != C.NATSRS_STATUS_OK {
		return nil
	}
	runtime.KeepAlive(nc)
	return stringsList(list)
}

// DiscoveredServers returns only the server urls that have been discovered after a connection
// has been established.
func (nc *Conn) DiscoveredServers() []string {
	p := nc.cptr()
	if p == nil {
		return nil
	}
	var list *C.natsrs_strings
	if C.natsrs_connection_discovered_servers(p, &list) != C.NATSRS_STATUS_OK {
		return nil
	}
	runtime.KeepAlive(nc)
	return stringsList(list)
}

func (nc *Conn) strGetter(f func(*C.natsrs_connection, *C.char, C.size_t) C.enum_natsrs_status) string {
	p := nc.cptr()
	if p == nil {
		return ""
	}
	buf := (*C.char)(C.malloc(1024))
	defer C.free(unsafe.Pointer(buf))
	if f(p, buf, 1024) != C.NATSRS_STATUS_OK {
		return ""
	}
	runtime.KeepAlive(nc)
	return C.GoString(buf)
}

// ConnectedUrl reports the connected server's URL ("" when not connected).
func (nc *Conn) ConnectedUrl() string {
	if nc.Status() != CONNECTED {
		return ""
	}
	return nc.strGetter(func(p *C.natsrs_connection, b *C.char, n C.size_t) C.enum_natsrs_status {
		return C.natsrs_connection_connected_url(p, b, n)
	})
}

// ConnectedServerId reports the connected server's Id.
func (nc *Conn) ConnectedServerId() string {
	if nc.Status() != CONNECTED {
		return ""
	}
	return nc.strGetter(func(p *C.natsrs_connection, b *C.char, n C.size_t) C.enum_natsrs_status {
		return C.natsrs_connection_connected_server_id(p, b, n)
	})
}

// ConnectedServerName reports the connected server's name.
func (nc *Conn) ConnectedServerName() string {
	return nc.serverInfo(func(si *C.natsrs_server_info) string {
		return C.GoString(C.natsrs_server_info_server_name(si))
	})
}

// ConnectedServerVersion reports the connected server's version as a string.
func (nc *Conn) ConnectedServerVersion() string {
	return nc.serverInfo(func(si *C.natsrs_server_info) string {
		return C.GoString(C.natsrs_server_info_version(si))
	})
}

// HeadersSupported will return if the server supports headers.
func (nc *Conn) HeadersSupported() bool {
	return nc.serverInfo(func(si *C.natsrs_server_info) string {
		if C.natsrs_server_info_headers(si) {
			return "y"
		}
		return ""
	}) == "y"
}

func (nc *Conn) serverInfo(f func(*C.natsrs_server_info) string) string {
	p := nc.cptr()
	if p == nil || nc.Status() != CONNECTED {
		return ""
	}
	var si *C.natsrs_server_info
	if C.natsrs_connection_server_info(p, &si) != C.NATSRS_STATUS_OK {
		return ""
	}
	runtime.KeepAlive(nc)
	defer C.natsrs_server_info_free(si)
	return f(si)
}

// LastError reports the last error encountered via the connection. It can be used reliably
// within ClosedCB in order to find out reason why connection was closed for example.
func (nc *Conn) LastError() error {
	p := nc.cptr()
	if p == nil {
		return nil
	}
	var st C.natsrs_status
	buf := (*C.char)(C.malloc(1024))
	defer C.free(unsafe.Pointer(buf))
	if C.gn_last_error(p, &st, buf, 1024) != C.NATSRS_STATUS_OK {
		return nil
	}
	runtime.KeepAlive(nc)
	if st == C.NATSRS_STATUS_OK {
		return nil
	}
	return statusError(int(st), C.GoString(buf))
}

// NewInbox will return an inbox string which can be used for directed replies from subscribers.
// These are guaranteed to be unique, but can be shared and subscribed to by others.
func (nc *Conn) NewInbox() string {
	p := nc.cptr()
	if p == nil {
		return NewInbox()
	}
	var buf [256]C.char
	var cerr *C.char
	st := C.gn_new_inbox(p, &buf[0], C.size_t(len(buf)), &cerr)
	runtime.KeepAlive(nc)
	if takeErr(st, cerr) != nil {
		return NewInbox()
	}
	return C.GoString(&buf[0])
}

// NewRespInbox is the new format used for _INBOX. Its a unique subject (the core muxes replies on
// one wildcard subscription per connection).
func (nc *Conn) NewRespInbox() string { return nc.NewInbox() }

// NewInbox will return an inbox string which can be used for directed replies from subscribers.
func NewInbox() string { return InboxPrefix + nuid() }

// SetDisconnectErrHandler will set the disconnect event handler.
func (nc *Conn) SetDisconnectErrHandler(cb ConnErrHandler) {
	nc.core.mu.Lock()
	nc.Opts.DisconnectedErrCB = cb
	nc.core.opts.DisconnectedErrCB = cb
	nc.core.mu.Unlock()
}

// SetReconnectHandler will set the reconnect event handler.
func (nc *Conn) SetReconnectHandler(cb ConnHandler) {
	nc.core.mu.Lock()
	nc.Opts.ReconnectedCB = cb
	nc.core.opts.ReconnectedCB = cb
	nc.core.mu.Unlock()
}

// SetDiscoveredServersHandler will set the discovered servers handler.
func (nc *Conn) SetDiscoveredServersHandler(cb ConnHandler) {
	nc.core.mu.Lock()
	nc.Opts.DiscoveredServersCB = cb
	nc.core.opts.DiscoveredServersCB = cb
	nc.core.mu.Unlock()
}

// SetClosedHandler will set the closed event handler.
func (nc *Conn) SetClosedHandler(cb ConnHandler) {
	nc.core.mu.Lock()
	nc.Opts.ClosedCB = cb
	nc.core.opts.ClosedCB = cb
	nc.core.mu.Unlock()
}

// SetErrorHandler will set the async error handler.
func (nc *Conn) SetErrorHandler(cb ErrHandler) {
	nc.core.mu.Lock()
	nc.Opts.AsyncErrorCB = cb
	nc.core.opts.AsyncErrorCB = cb
	nc.core.mu.Unlock()
}

// NumSubscriptions returns active number of subscriptions.
func (nc *Conn) NumSubscriptions() int {
	nc.core.mu.Lock()
	defer nc.core.mu.Unlock()
	return len(nc.core.subs)
}

// ForceReconnect forces a reconnect attempt to the server.
func (nc *Conn) ForceReconnect() error {
	p := nc.cptr()
	if p == nil {
		return ErrInvalidConnection
	}
	st := C.natsrs_connection_force_reconnect(p)
	runtime.KeepAlive(nc)
	return statusError(int(st), "")
}
