package nats

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// Default constants, as in nats.go.
const (
	Version                   = "1.55.0-natsrs"
	DefaultURL                = "nats://127.0.0.1:4222"
	DefaultPort               = 4222
	DefaultMaxReconnect       = 60
	DefaultReconnectWait      = 2 * time.Second
	DefaultReconnectJitter    = 100 * time.Millisecond
	DefaultReconnectJitterTLS = time.Second
	DefaultTimeout            = 2 * time.Second
	DefaultPingInterval       = 2 * time.Minute
	DefaultMaxPingOut         = 2
	DefaultMaxChanLen         = 64 * 1024
	DefaultReconnectBufSize   = 8 * 1024 * 1024
	RequestChanLen            = 8
	DefaultDrainTimeout       = 30 * time.Second
	DefaultFlusherTimeout     = time.Minute
	LangString                = "go"
	InboxPrefix               = "_INBOX."
)

// Pending limits of a subscription (nats.go's defaults, also the core's).
const (
	DefaultSubPendingMsgsLimit  = 512 * 1024
	DefaultSubPendingBytesLimit = 64 * 1024 * 1024
)

// ConnHandler is a callback for a connection event (connect, reconnect, close, ...).
type ConnHandler func(*Conn)

// ConnErrHandler is a callback for a connection event that may carry an error, such as a
// disconnect.
type ConnErrHandler func(*Conn, error)

// ErrHandler receives errors that happen in the background, such as a slow consumer; the
// subscription may be nil.
type ErrHandler func(*Conn, *Subscription, error)

// UserJWTHandler returns the user JWT to present to the server.
type UserJWTHandler func() (string, error)

// SignatureHandler signs the server's nonce with the user's nkey and returns the signature.
type SignatureHandler func([]byte) ([]byte, error)

// AuthTokenHandler returns the token to send, called at each connect and reconnect.
type AuthTokenHandler func() string

// UserInfoCB returns the user name and password to send when connecting.
type UserInfoCB func() (string, string)

// ReconnectDelayHandler returns how long to wait before the next round of reconnect attempts. It
// is called with the number of attempts so far, after every URL in the pool has failed once.
type ReconnectDelayHandler func(attempts int) time.Duration

// Option changes one setting of an Options value; pass options to Connect.
type Option func(*Options) error

// Options holds every setting of a connection (nats.go's field names; the fields that the
// libnatsrs core has no equivalent for are documented on the field).
type Options struct {
	Url                    string
	Servers                []string
	NoRandomize            bool
	NoEcho                 bool
	Name                   string
	Verbose                bool
	Pedantic               bool
	Secure                 bool
	TLSConfig              *tls.Config
	TLSHandshakeFirst      bool
	AllowReconnect         bool
	MaxReconnect           int
	ReconnectWait          time.Duration
	CustomReconnectDelayCB ReconnectDelayHandler
	ReconnectJitter        time.Duration
	ReconnectJitterTLS     time.Duration
	Timeout                time.Duration
	DrainTimeout           time.Duration
	// FlusherTimeout is kept for source compatibility; libnatsrs's writer never blocks a
	// publisher on a slow socket, so it has no effect.
	FlusherTimeout      time.Duration
	PingInterval        time.Duration
	MaxPingsOut         int
	ClosedCB            ConnHandler
	DisconnectedCB      ConnHandler
	DisconnectedErrCB   ConnErrHandler
	ReconnectErrCB      ConnErrHandler
	ConnectedCB         ConnHandler
	ReconnectedCB       ConnHandler
	DiscoveredServersCB ConnHandler
	AsyncErrorCB        ErrHandler
	ReconnectBufSize    int
	// SubChanLen is kept for source compatibility (libnatsrs queues per subscription with the
	// pending limits).
	SubChanLen              int
	UserJWT                 UserJWTHandler
	Nkey                    string
	SignatureCB             SignatureHandler
	User                    string
	Password                string
	UserInfo                UserInfoCB
	Token                   string
	TokenHandler            AuthTokenHandler
	Dialer                  *net.Dialer
	UseOldRequestStyle      bool
	LameDuckModeHandler     ConnHandler
	RetryOnFailedConnect    bool
	InboxPrefix             string
	IgnoreDiscoveredServers bool
	// NoCallbacksAfterClientClose: no connection callbacks once Close was called.
	NoCallbacksAfterClientClose bool

	// nats.go options libnatsrs cannot honour: Connect fails with an error wrapping
	// ErrNotSupported when one is set (see compat_api.go).
	CustomDialer        CustomDialer
	InProcessServer     InProcessConnProvider
	TLSCertCB           TLSCertHandler
	RootCAsCB           RootCAsHandler
	ReconnectToServerCB ReconnectToServerHandler
	// nats.go options with no effect here (WebSocket only, nats.go's own buffering, or what the
	// core does anyway; see the option functions in compat_api.go).
	Compression                       bool
	ProxyPath                         string
	WebSocketConnectionHeaders        http.Header
	WebSocketConnectionHeadersHandler WebSocketHeadersHandler
	WriteBufferSize                   int
	SkipHostLookup                    bool
	SkipSubjectValidation             bool
	IgnoreAuthErrorAbort              bool
	ReconnectOnFlusherError           bool
	PermissionErrOnSubscribe          bool
	AllowMultipathTCP                 bool

	// libnatsrs-specific (set by the options below).
	credsFile     string
	credsSeedFile string
	nkeySeedFile  string
	caFiles       []string
	certFile      string
	keyFile       string
}

// GetDefaultOptions returns an Options value filled with this binding's defaults.
func GetDefaultOptions() Options {
	return Options{
		AllowReconnect:     true,
		MaxReconnect:       DefaultMaxReconnect,
		ReconnectWait:      DefaultReconnectWait,
		ReconnectJitter:    DefaultReconnectJitter,
		ReconnectJitterTLS: DefaultReconnectJitterTLS,
		Timeout:            DefaultTimeout,
		PingInterval:       DefaultPingInterval,
		MaxPingsOut:        DefaultMaxPingOut,
		SubChanLen:         DefaultMaxChanLen,
		ReconnectBufSize:   DefaultReconnectBufSize,
		DrainTimeout:       DefaultDrainTimeout,
		FlusherTimeout:     DefaultFlusherTimeout,
	}
}

// Name sets the client name the server shows for this connection.
func Name(name string) Option {
	return func(o *Options) error { o.Name = name; return nil }
}

// Secure turns on TLS; the server certificate is verified. An optional tls.Config tunes it, but
// only the fields the core can honour are accepted (Certificates, ServerName, MinVersion,
// MaxVersion 1.3, InsecureSkipVerify); Connect fails with ErrNotSupported for any other field.
func Secure(tls ...*tls.Config) Option {
	return func(o *Options) error {
		o.Secure = true
		if len(tls) > 1 {
			return ErrMultipleTLSConfigs
		}
		if len(tls) == 1 {
			o.TLSConfig = tls[0]
		}
		return nil
	}
}

// RootCAs trusts the CA certificates in the given PEM files for verifying the server (and turns
// on TLS).
func RootCAs(file ...string) Option {
	return func(o *Options) error {
		for _, f := range file {
			if _, err := os.Stat(f); err != nil {
				return fmt.Errorf("nats: error loading or parsing rootCA file: %w", err)
			}
		}
		o.caFiles = append(o.caFiles, file...)
		o.Secure = true
		return nil
	}
}

// ClientCert presents the certificate and key in the given PEM files to the server (and turns on
// TLS).
func ClientCert(certFile, keyFile string) Option {
	return func(o *Options) error {
		if _, err := tls.LoadX509KeyPair(certFile, keyFile); err != nil {
			return fmt.Errorf("nats: error loading client certificate: %w", err)
		}
		o.certFile, o.keyFile = certFile, keyFile
		o.Secure = true
		return nil
	}
}

// NoReconnect makes a lost connection close instead of reconnecting.
func NoReconnect() Option {
	return func(o *Options) error { o.AllowReconnect = false; return nil }
}

// DontRandomize makes the client try the servers in the order given instead of shuffling them.
func DontRandomize() Option {
	return func(o *Options) error { o.NoRandomize = true; return nil }
}

// NoEcho asks the server not to deliver this connection's own publishes to its subscriptions.
func NoEcho() Option {
	return func(o *Options) error { o.NoEcho = true; return nil }
}

// ReconnectWait sets the pause between reconnect attempts to the same server.
func ReconnectWait(t time.Duration) Option {
	return func(o *Options) error { o.ReconnectWait = t; return nil }
}

// MaxReconnects limits the reconnect attempts to each server (negative: no limit).
func MaxReconnects(max int) Option {
	return func(o *Options) error { o.MaxReconnect = max; return nil }
}

// ReconnectJitter adds a random delay of at most jitter (jitterForTLS for TLS connections) to
// each ReconnectWait.
func ReconnectJitter(jitter, jitterForTLS time.Duration) Option {
	return func(o *Options) error {
		o.ReconnectJitter = jitter
		o.ReconnectJitterTLS = jitterForTLS
		return nil
	}
}

// CustomReconnectDelay sets a ReconnectDelayHandler that decides the wait between reconnect rounds.
func CustomReconnectDelay(cb ReconnectDelayHandler) Option {
	return func(o *Options) error { o.CustomReconnectDelayCB = cb; return nil }
}

// PingInterval sets how often the client PINGs the server to check the connection is alive.
func PingInterval(t time.Duration) Option {
	return func(o *Options) error { o.PingInterval = t; return nil }
}

// MaxPingsOutstanding sets how many PINGs may go without a PONG before the connection is
// considered stale and dropped.
func MaxPingsOutstanding(max int) Option {
	return func(o *Options) error { o.MaxPingsOut = max; return nil }
}

// ReconnectBufSize sets how many bytes of publishes are kept while reconnecting. Negative
// disables the buffer (publishes fail while disconnected).
func ReconnectBufSize(size int) Option {
	return func(o *Options) error { o.ReconnectBufSize = size; return nil }
}

// Timeout sets how long a connection attempt to one server may take.
func Timeout(t time.Duration) Option {
	return func(o *Options) error { o.Timeout = t; return nil }
}

// FlusherTimeout is kept for source compatibility; it has no effect with libnatsrs.
func FlusherTimeout(t time.Duration) Option {
	return func(o *Options) error { o.FlusherTimeout = t; return nil }
}

// DrainTimeout sets how long Drain may take before the connection is closed anyway.
func DrainTimeout(t time.Duration) Option {
	return func(o *Options) error { o.DrainTimeout = t; return nil }
}

// DisconnectErrHandler sets the callback run, with the cause, when the connection drops.
func DisconnectErrHandler(cb ConnErrHandler) Option {
	return func(o *Options) error { o.DisconnectedErrCB = cb; return nil }
}

// ReconnectErrHandler sets the callback run with the error of each failed reconnect attempt
// (also the background attempts of RetryOnFailedConnect).
func ReconnectErrHandler(cb ConnErrHandler) Option {
	return func(o *Options) error { o.ReconnectErrCB = cb; return nil }
}

// DisconnectHandler sets a disconnect callback that is not told the cause.
//
// Deprecated: Use DisconnectErrHandler instead.
func DisconnectHandler(cb ConnHandler) Option {
	return func(o *Options) error { o.DisconnectedCB = cb; return nil }
}

// ConnectHandler sets the callback run when the first connection is established.
func ConnectHandler(cb ConnHandler) Option {
	return func(o *Options) error { o.ConnectedCB = cb; return nil }
}

// ReconnectHandler sets the callback run after each successful reconnect. As in nats.go, a
// first connect made in the background (RetryOnFailedConnect) runs the ConnectHandler instead;
// without a ConnectHandler it runs this one (as the nats.go README describes).
func ReconnectHandler(cb ConnHandler) Option {
	return func(o *Options) error { o.ReconnectedCB = cb; return nil }
}

// ClosedHandler sets the callback run once the connection is closed for good.
func ClosedHandler(cb ConnHandler) Option {
	return func(o *Options) error { o.ClosedCB = cb; return nil }
}

// DiscoveredServersHandler sets the callback run when the server announces new cluster URLs.
func DiscoveredServersHandler(cb ConnHandler) Option {
	return func(o *Options) error { o.DiscoveredServersCB = cb; return nil }
}

// ErrorHandler sets the callback that receives asynchronous errors (e.g. slow consumers).
func ErrorHandler(cb ErrHandler) Option {
	return func(o *Options) error { o.AsyncErrorCB = cb; return nil }
}

// LameDuckModeHandler sets the callback run when the server says it is entering lame duck mode
// (about to shut down).
func LameDuckModeHandler(cb ConnHandler) Option {
	return func(o *Options) error { o.LameDuckModeHandler = cb; return nil }
}

// UserInfo sets the user name and password used when the URL carries none.
func UserInfo(user, password string) Option {
	return func(o *Options) error { o.User, o.Password = user, password; return nil }
}

// UserInfoHandler sets a callback that supplies the user name and password on every connect and
// reconnect (credentials in the server URL win over it). It cannot be combined with UserInfo
// (Connect fails with ErrUserInfoAlreadySet).
func UserInfoHandler(cb UserInfoCB) Option {
	return func(o *Options) error { o.UserInfo = cb; return nil }
}

// Token sets the auth token sent when connecting. It cannot be combined with TokenHandler
// (ErrTokenAlreadySet).
func Token(token string) Option {
	return func(o *Options) error {
		if o.TokenHandler != nil {
			return ErrTokenAlreadySet
		}
		o.Token = token
		return nil
	}
}

// TokenHandler sets a callback that supplies the auth token on every connect. It cannot be
// combined with Token (ErrTokenAlreadySet).
func TokenHandler(cb AuthTokenHandler) Option {
	return func(o *Options) error {
		if o.Token != "" {
			return ErrTokenAlreadySet
		}
		o.TokenHandler = cb
		return nil
	}
}

// UserCredentials authenticates with a user JWT and nkey seed read from files: one chained
// .creds file holding both, or a JWT file plus a seed file. The files are read by the core on
// every connect and reconnect.
func UserCredentials(userOrChainedFile string, seedFiles ...string) Option {
	return func(o *Options) error {
		if len(seedFiles) > 1 {
			return fmt.Errorf("nats: only one seed file is allowed: %w", ErrInvalidArg)
		}
		o.credsFile = userOrChainedFile
		o.credsSeedFile = ""
		if len(seedFiles) == 1 {
			o.credsSeedFile = seedFiles[0]
		}
		return nil
	}
}

// UserJWT authenticates with a JWT returned by userCB and a nonce signature made by sigCB. It
// cannot be combined with Nkey.
func UserJWT(userCB UserJWTHandler, sigCB SignatureHandler) Option {
	return func(o *Options) error {
		if userCB == nil {
			return ErrNoUserCB
		}
		if sigCB == nil {
			return ErrUserButNoSigCB
		}
		o.UserJWT = userCB
		o.SignatureCB = sigCB
		return nil
	}
}

// Nkey authenticates with the public nkey pubKey; sigCB signs the server's nonce.
func Nkey(pubKey string, sigCB SignatureHandler) Option {
	return func(o *Options) error {
		o.Nkey = pubKey
		o.SignatureCB = sigCB
		if pubKey != "" && sigCB == nil {
			return ErrNkeyButNoSigCB
		}
		return nil
	}
}

// NkeyOptionFromSeed returns an Option that authenticates with the nkey seed in seedFile. The
// core reads the seed file on every connect, signs the server nonce and wipes the seed.
func NkeyOptionFromSeed(seedFile string) (Option, error) {
	raw, err := os.ReadFile(seedFile)
	if err != nil {
		return nil, err
	}
	found := false
	for _, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "SU") {
			found = true
			break
		}
	}
	for i := range raw {
		raw[i] = 'x'
	}
	if !found {
		return nil, errors.New("nats: no nkey user seed found")
	}
	return func(o *Options) error {
		o.nkeySeedFile = seedFile
		return nil
	}, nil
}

// Dialer is accepted for compatibility only: libnatsrs opens its own sockets, so Connect fails
// with ErrNotSupported when a dialer is set.
func Dialer(dialer *net.Dialer) Option {
	return func(o *Options) error { o.Dialer = dialer; return nil }
}

// UseOldRequestStyle makes every request use its own new inbox subscription instead of the
// shared reply subscription.
func UseOldRequestStyle() Option {
	return func(o *Options) error { o.UseOldRequestStyle = true; return nil }
}

// RetryOnFailedConnect, when true, makes Connect return at once if no server is reachable; the
// connection then keeps trying in the background as if reconnecting.
func RetryOnFailedConnect(retry bool) Option {
	return func(o *Options) error { o.RetryOnFailedConnect = retry; return nil }
}

// CustomInboxPrefix replaces "_INBOX" as the prefix of the reply subjects used for requests.
func CustomInboxPrefix(p string) Option {
	return func(o *Options) error {
		if p == "" || strings.Contains(p, ">") || strings.Contains(p, "*") || strings.HasSuffix(p, ".") {
			return errors.New("nats: invalid custom prefix")
		}
		o.InboxPrefix = p
		return nil
	}
}

// TLSHandshakeFirst starts TLS as soon as the socket is open, before the server's INFO (the
// server must be configured for it); it also turns on TLS.
func TLSHandshakeFirst() Option {
	return func(o *Options) error {
		o.TLSHandshakeFirst = true
		o.Secure = true
		return nil
	}
}

// IgnoreDiscoveredServers will not add servers discovered from the cluster to the pool.
func IgnoreDiscoveredServers() Option {
	return func(o *Options) error { o.IgnoreDiscoveredServers = true; return nil }
}

// SyncQueueLen is kept for source compatibility (libnatsrs bounds queues with the pending
// limits).
func SyncQueueLen(max int) Option {
	return func(o *Options) error { return nil }
}
