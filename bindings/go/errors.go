package nats

import (
	"errors"
	"fmt"
	"strings"
)

// The error values of nats.go, so that errors.Is (and ==, where nats.go returns them bare) works
// the same way.
var (
	ErrConnectionClosed              = errors.New("nats: connection closed")
	ErrConnectionDraining            = errors.New("nats: connection draining")
	ErrDrainTimeout                  = errors.New("nats: draining connection timed out")
	ErrConnectionReconnecting        = errors.New("nats: connection reconnecting")
	ErrSecureConnRequired            = errors.New("nats: secure connection required")
	ErrSecureConnWanted              = errors.New("nats: secure connection not available")
	ErrBadSubscription               = errors.New("nats: invalid subscription")
	ErrTypeSubscription              = errors.New("nats: invalid subscription type")
	ErrBadSubject                    = errors.New("nats: invalid subject")
	ErrBadQueueName                  = errors.New("nats: invalid queue name")
	ErrSlowConsumer                  = errors.New("nats: slow consumer, messages dropped")
	ErrTimeout                       = errors.New("nats: timeout")
	ErrBadTimeout                    = errors.New("nats: timeout invalid")
	ErrAuthorization                 = errors.New("nats: authorization violation")
	ErrAuthExpired                   = errors.New("nats: authentication expired")
	ErrAuthRevoked                   = errors.New("nats: authentication revoked")
	ErrPermissionViolation           = errors.New("nats: permissions violation")
	ErrAccountAuthExpired            = errors.New("nats: account authentication expired")
	ErrNoServers                     = errors.New("nats: no servers available for connection")
	ErrJsonParse                     = errors.New("nats: connect message, json parse error")
	ErrChanArg                       = errors.New("nats: argument needs to be a channel type")
	ErrMaxPayload                    = errors.New("nats: maximum payload exceeded")
	ErrMaxMessages                   = errors.New("nats: maximum messages delivered")
	ErrSyncSubRequired               = errors.New("nats: illegal call on an async subscription")
	ErrMultipleTLSConfigs            = errors.New("nats: multiple tls.Configs not allowed")
	ErrClientCertOrRootCAsRequired   = errors.New("nats: at least one of certCB or rootCAsCB must be set")
	ErrNoInfoReceived                = errors.New("nats: protocol exception, INFO not received")
	ErrReconnectBufExceeded          = errors.New("nats: outbound buffer limit exceeded")
	ErrInvalidConnection             = errors.New("nats: invalid connection")
	ErrInvalidMsg                    = errors.New("nats: invalid message or message nil")
	ErrInvalidArg                    = errors.New("nats: invalid argument")
	ErrInvalidContext                = errors.New("nats: invalid context")
	ErrNoDeadlineContext             = errors.New("nats: context requires a deadline")
	ErrNoEchoNotSupported            = errors.New("nats: no echo option not supported by this server")
	ErrClientIDNotSupported          = errors.New("nats: client ID not supported by this server")
	ErrUserButNoSigCB                = errors.New("nats: user callback defined without a signature handler")
	ErrNkeyButNoSigCB                = errors.New("nats: nkey defined without a signature handler")
	ErrNoUserCB                      = errors.New("nats: user callback not defined")
	ErrNkeyAndUser                   = errors.New("nats: user callback and nkey defined")
	ErrNkeysNotSupported             = errors.New("nats: nkeys not supported by the server")
	ErrStaleConnection               = errors.New("nats: " + STALE_CONNECTION)
	ErrTokenAlreadySet               = errors.New("nats: token and token handler both set")
	ErrUserInfoAlreadySet            = errors.New("nats: cannot set user info callback and user/pass")
	ErrMsgNotBound                   = errors.New("nats: message is not bound to subscription/connection")
	ErrMsgNoReply                    = errors.New("nats: message does not have a reply")
	ErrClientIPNotSupported          = errors.New("nats: client IP not supported by this server")
	ErrDisconnected                  = errors.New("nats: server is disconnected")
	ErrHeadersNotSupported           = errors.New("nats: headers not supported by this server")
	ErrBadHeaderMsg                  = errors.New("nats: message could not decode headers")
	ErrNoResponders                  = errors.New("nats: no responders available for request")
	ErrMaxConnectionsExceeded        = errors.New("nats: server maximum connections exceeded")
	ErrMaxAccountConnectionsExceeded = errors.New("nats: maximum account active connections exceeded")
	ErrConnectionNotTLS              = errors.New("nats: connection is not tls")
	ErrTLS                           = errors.New("nats: tls error")
	ErrMaxSubscriptionsExceeded      = errors.New("nats: server maximum subscriptions exceeded")
	ErrServerNotInPool               = errors.New("nats: selected server is not in the pool")

	// Binding-specific.

	// ErrNotSupported is returned for an option or tls.Config field that the libnatsrs core
	// cannot honour (it is never silently ignored).
	ErrNotSupported = errors.New("nats: not supported by libnatsrs")
	// ErrIO wraps socket and file errors reported by the core.
	ErrIO = errors.New("nats: i/o error")
	// ErrProtocol wraps protocol violations reported by the core.
	ErrProtocol = errors.New("nats: protocol error")
	// ErrBadCredentials wraps unreadable or malformed credentials, seeds or keys.
	ErrBadCredentials = errors.New("nats: bad credentials")
	// ErrCallbackPanic wraps a panic recovered in a user callback (reported to the ErrorHandler).
	ErrCallbackPanic = errors.New("nats: panic in callback")
)

// Status texts as in nats.go.
const (
	STALE_CONNECTION           = "stale connection"
	PERMISSIONS_ERR            = "permissions violation"
	AUTHORIZATION_ERR          = "authorization violation"
	AUTHENTICATION_EXPIRED_ERR = "user authentication expired"
)

// Error is a failure reported by libnatsrs: the status, the detail text, and the nats.go error
// value it corresponds to (errors.Is(err, ErrAuthorization) etc.).
type Error struct {
	Status int    // natsrs_status value
	Detail string // natsrs_last_error_message() of the failed call
	base   error
	text   string // the text as nats.go gives it, when it is not base + detail
}

func (e *Error) Error() string {
	if e.text != "" {
		return e.text
	}
	if e.Detail == "" {
		return e.base.Error()
	}
	return e.base.Error() + ": " + e.Detail
}

func (e *Error) Unwrap() error { return e.base }

// Status values of natsrs_status (include/natsrs.h).
const (
	stOK                  = 0
	stNullParameter       = 1
	stInvalidArgument     = 2
	stInvalidSubject      = 3
	stTimeout             = 4
	stNoResponders        = 5
	stConnectionClosed    = 6
	stNotConnected        = 7
	stMaxPayload          = 8
	stSlowConsumer        = 9
	stIO                  = 10
	stProtocol            = 11
	stAuthorization       = 12
	stTLS                 = 13
	stNoServers           = 14
	stJetStream           = 15
	stNotFound            = 16
	stIllegalState        = 17
	stPanic               = 18
	stInvalidQueue        = 19
	stHeadersNotSupported = 20
	stDraining            = 21
	stBufferFull          = 22
	stStaleConnection     = 23
	stPermission          = 24
	stInvalidSubscription = 25
	stBufferTooSmall      = 26
	stMaxMessages         = 27
	stAuthExpired         = 28
	stBadCredentials      = 29
)

// statusError maps a natsrs_status to nats.go's error values. Where nats.go returns a bare
// sentinel (timeouts, no responders, closed, bad subject, ...) the sentinel itself is returned so
// that code comparing with == keeps working; failures whose detail matters are wrapped.
func statusError(st int, detail string) error {
	switch st {
	case stOK:
		return nil
	case stTimeout:
		return ErrTimeout
	case stNoResponders:
		return ErrNoResponders
	case stConnectionClosed:
		return ErrConnectionClosed
	case stInvalidSubject:
		return ErrBadSubject
	case stInvalidQueue:
		return ErrBadQueueName
	case stMaxPayload:
		return ErrMaxPayload
	case stSlowConsumer:
		return ErrSlowConsumer
	case stInvalidSubscription:
		return ErrBadSubscription
	case stMaxMessages:
		return ErrMaxMessages
	case stDraining:
		return ErrConnectionDraining
	case stBufferFull:
		return ErrReconnectBufExceeded
	case stStaleConnection:
		return ErrStaleConnection
	case stHeadersNotSupported:
		return ErrHeadersNotSupported
	}
	var base error
	switch st {
	case stNullParameter, stInvalidArgument:
		base = ErrInvalidArg
	case stNotConnected:
		base = ErrDisconnected
	case stIO:
		base = ErrIO
	case stProtocol:
		base = ErrProtocol
	case stAuthorization:
		base = ErrAuthorization
	case stTLS:
		base = ErrTLS
	case stNoServers:
		base = ErrNoServers
	case stPermission:
		base = ErrPermissionViolation
	case stAuthExpired:
		base = ErrAuthExpired
	case stBadCredentials:
		base = ErrBadCredentials
	default:
		base = fmt.Errorf("nats: %s", statusName(st))
	}
	e := &Error{Status: st, Detail: trimStatusPrefix(st, detail), base: base}
	if st == stAuthorization && strings.EqualFold(e.Detail, AUTHORIZATION_ERR) {
		e.text = "nats: " + e.Detail // the server's -ERR text, as nats.go reports it
	}
	return e
}

func statusName(st int) string {
	switch st {
	case stJetStream:
		return "jetstream error"
	case stNotFound:
		return "not found"
	case stIllegalState:
		return "illegal state"
	case stPanic:
		return "internal panic"
	case stBufferTooSmall:
		return "buffer too small"
	}
	return fmt.Sprintf("status %d", st)
}
