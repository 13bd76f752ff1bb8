package nats

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// The rest of nats.go's exported API, so that a program written for nats.go compiles unchanged:
// constants and error values, the option functions and Options fields of features libnatsrs
// has no counterpart for, and a few JetStream helpers. An option that would change what the
// connection does but cannot be honoured makes Connect fail with an error wrapping
// ErrNotSupported; one that only matters for a transport libnatsrs does not have (WebSocket) or
// only tunes nats.go's own buffering is accepted and documented as having no effect.

// DefaultOptions is nats.go's (deprecated) default Options value; GetDefaultOptions returns a
// fresh copy.
var DefaultOptions = GetDefaultOptions()

// Sizes nats.go names.
const (
	// DefaultWriteBufSize is nats.go's write buffer size (see WriteBufferSize).
	DefaultWriteBufSize = 32768
	// MAX_CONTROL_LINE_SIZE is the longest protocol control line nats.go reads.
	MAX_CONTROL_LINE_SIZE = 4096
)

// Server -ERR texts nats.go names (the other ones are in errors.go).
const (
	AUTHENTICATION_REVOKED_ERR         = "user authentication revoked"
	ACCOUNT_AUTHENTICATION_EXPIRED_ERR = "account authentication expired"
	MAX_CONNECTIONS_ERR                = "maximum connections exceeded"
	MAX_ACCOUNT_CONNECTIONS_ERR        = `maximum account active connections exceeded`
	MAX_SUBSCRIPTIONS_ERR              = "maximum subscriptions exceeded"
)

// Headers of a message fetched with the direct get API.
const (
	JSStream       = "Nats-Stream"
	JSSequence     = "Nats-Sequence"
	JSTimeStamp    = "Nats-Time-Stamp"
	JSSubject      = "Nats-Subject"
	JSLastSequence = "Nats-Last-Sequence"
)

// MsgSize is the header that carries the original size of a message fetched headers-only.
const MsgSize = "Nats-Msg-Size"

// JSErrCodeStreamWrongLastSequenceConstant is the server's error code for a failed
// expected-last-sequence check on a stream with a constant subject.
const JSErrCodeStreamWrongLastSequenceConstant ErrorCode = 10164

// More of nats.go's error values. The WebSocket ones are never returned (libnatsrs has no
// WebSocket transport); the JetStream ones are returned where nats.go returns them.
var (
	ErrWebSocketHeadersAlreadySet = errors.New("nats: websocket connection headers already set")
	ErrMixingWebsocketSchemes     = errors.New("nats: mixing of websocket and non websocket URLs is not allowed")

	ErrStreamSubjectTransformNotSupported                = jsMsgError("stream subject transformation not supported by nats-server")
	ErrStreamSourceSubjectTransformNotSupported          = jsMsgError("stream subject transformation not supported by nats-server")
	ErrStreamSourceNotSupported                          = jsMsgError("stream sourcing is not supported by nats-server")
	ErrStreamSourceMultipleSubjectTransformsNotSupported = jsMsgError("stream sourcing with multiple subject transforms not supported by nats-server")
	ErrConsumerCreationResponseEmpty                     = jsMsgError("consumer creation response is empty")
	ErrConsumerMultipleFilterSubjectsNotSupported        = jsMsgError("multiple consumer filter subjects not supported by nats-server")
	ErrConsumerInfoOnOrderedReset                        = jsMsgError("cannot fetch consumer info; ordered consumer is being reset")
)

// CustomDialer dials the server's address for nats.go (see SetCustomDialer).
type CustomDialer interface {
	Dial(network, address string) (net.Conn, error)
}

// InProcessConnProvider gives nats.go a connection to an in-process server (see
// InProcessServer).
type InProcessConnProvider interface {
	InProcessConn() (net.Conn, error)
}

// TLSCertHandler returns the client certificate (see ClientTLSConfig).
type TLSCertHandler func() (tls.Certificate, error)

// RootCAsHandler returns the root CAs that verify the server (see ClientTLSConfig).
type RootCAsHandler func() (*x509.CertPool, error)

// WebSocketHeadersHandler returns the headers of a WebSocket upgrade request.
type WebSocketHeadersHandler func() (http.Header, error)

// ReconnectToServerHandler picks the server to reconnect to, and the delay before trying it.
type ReconnectToServerHandler func([]Server, ServerInfo) (*Server, time.Duration)

// SetCustomDialer sets a dialer for the connection's socket. libnatsrs's core opens its own
// sockets, so Connect fails with an error wrapping ErrNotSupported when one is set.
func SetCustomDialer(dialer CustomDialer) Option {
	return func(o *Options) error {
		o.CustomDialer = dialer
		return nil
	}
}

// InProcessServer connects to an in-process server through the provider. Not supported:
// Connect fails with an error wrapping ErrNotSupported.
func InProcessServer(server InProcessConnProvider) Option {
	return func(o *Options) error {
		o.InProcessServer = server
		return nil
	}
}

// ClientTLSConfig sets callbacks for the client certificate and the root CAs. Not supported
// (the core loads certificates from files or PEM: use ClientCert and RootCAs): Connect fails with
// an error wrapping ErrNotSupported.
func ClientTLSConfig(certCB TLSCertHandler, rootCAsCB RootCAsHandler) Option {
	return func(o *Options) error {
		if certCB == nil && rootCAsCB == nil {
			return ErrClientCertOrRootCAsRequired
		}
		o.TLSCertCB = certCB
		o.RootCAsCB = rootCAsCB
		o.Secure = true
		return nil
	}
}

// ReconnectToServer sets a callback that picks the server for each reconnect attempt. Not
// supported (the core walks its server pool itself): Connect fails with an error wrapping
// ErrNotSupported.
func ReconnectToServer(cb ReconnectToServerHandler) Option {
	return func(o *Options) error {
		o.ReconnectToServerCB = cb
		return nil
	}
}

// Compression turns on WebSocket compression in nats.go. No effect here: libnatsrs has no
// WebSocket transport (as with nats.go on a nats:// URL).
func Compression(enabled bool) Option {
	return func(o *Options) error {
		o.Compression = enabled
		return nil
	}
}

// ProxyPath sets the WebSocket upgrade path in nats.go. No effect here (no WebSocket
// transport).
func ProxyPath(path string) Option {
	return func(o *Options) error {
		o.ProxyPath = path
		return nil
	}
}

// WebSocketConnectionHeaders sets the headers of nats.go's WebSocket upgrade request. No effect
// here (no WebSocket transport).
func WebSocketConnectionHeaders(headers http.Header) Option {
	return func(o *Options) error {
		if o.WebSocketConnectionHeadersHandler != nil {
			return ErrWebSocketHeadersAlreadySet
		}
		o.WebSocketConnectionHeaders = headers
		return nil
	}
}

// WebSocketConnectionHeadersHandler sets a callback for the WebSocket upgrade request's headers.
// No effect here (no WebSocket transport).
func WebSocketConnectionHeadersHandler(cb WebSocketHeadersHandler) Option {
	return func(o *Options) error {
		if o.WebSocketConnectionHeaders != nil {
			return ErrWebSocketHeadersAlreadySet
		}
		o.WebSocketConnectionHeadersHandler = cb
		return nil
	}
}

// WriteBufferSize sets the size of nats.go's write buffer. No effect here: the core's writer
// gathers what publishers append (bounded by its own high-water mark).
func WriteBufferSize(size int) Option {
	return func(o *Options) error {
		o.WriteBufferSize = size
		return nil
	}
}

// SkipHostLookup makes nats.go dial a host name as given instead of each of its addresses. No
// effect here: the core resolves the name and tries its addresses.
func SkipHostLookup() Option {
	return func(o *Options) error {
		o.SkipHostLookup = true
		return nil
	}
}

// SkipSubjectValidation turns off nats.go's client-side subject checks. The core still refuses
// a subject with spaces or empty tokens (ErrBadSubject), as the server would.
func SkipSubjectValidation() Option {
	return func(o *Options) error {
		o.SkipSubjectValidation = true
		return nil
	}
}

// IgnoreAuthErrorAbort keeps nats.go reconnecting after repeated authorization errors. Recorded
// only: the core's reconnect loop does not stop on them.
func IgnoreAuthErrorAbort() Option {
	return func(o *Options) error {
		o.IgnoreAuthErrorAbort = true
		return nil
	}
}

// ReconnectOnFlusherError makes nats.go reconnect when its flusher fails to write. The core
// always does (a failed write ends the socket and the connection reconnects).
func ReconnectOnFlusherError() Option {
	return func(o *Options) error {
		o.ReconnectOnFlusherError = true
		return nil
	}
}

// PermissionErrOnSubscribe makes nats.go return a subscribe permission violation from NextMsg.
// Recorded only: the violation reaches the ErrorHandler (and LastError).
func PermissionErrOnSubscribe(enabled bool) Option {
	return func(o *Options) error {
		o.PermissionErrOnSubscribe = enabled
		return nil
	}
}

// MultipathTCP asks nats.go for multipath TCP sockets. No effect here (plain TCP).
func MultipathTCP(enabled bool) Option {
	return func(o *Options) error {
		o.AllowMultipathTCP = enabled
		return nil
	}
}

// unsupportedOptions is the Connect check for options that cannot be honoured.
func unsupportedOptions(o *Options) error {
	switch {
	case o.CustomDialer != nil:
		return fmt.Errorf("%w: CustomDialer (the core dials itself)", ErrNotSupported)
	case o.InProcessServer != nil:
		return fmt.Errorf("%w: InProcessServer", ErrNotSupported)
	case o.TLSCertCB != nil || o.RootCAsCB != nil:
		return fmt.Errorf("%w: ClientTLSConfig callbacks (use ClientCert and RootCAs)", ErrNotSupported)
	case o.ReconnectToServerCB != nil:
		return fmt.Errorf("%w: ReconnectToServer (the core walks its server pool)", ErrNotSupported)
	}
	return nil
}

// DecodeHeadersMsg parses a header block as sent on the wire ("NATS/1.0 ...\r\nKey: Value\r\n
// ...\r\n\r\n"); a status line's code becomes the Status header.
func DecodeHeadersMsg(data []byte) (Header, error) {
	if !bytes.HasPrefix(data, []byte("NATS/1.0")) {
		return nil, ErrBadHeaderMsg
	}
	return parseWireHeader(data), nil
}

// ErrConsumerSequenceMismatch reports a gap an ordered consumer found in its consumer sequence.
type ErrConsumerSequenceMismatch struct {
	// StreamResumeSequence is where the consumer should resume in the stream.
	StreamResumeSequence uint64
	// ConsumerSequence is the consumer sequence that was expected.
	ConsumerSequence uint64
	// LastConsumerSequence is the consumer sequence last seen.
	LastConsumerSequence uint64
}

func (ecs *ErrConsumerSequenceMismatch) Error() string {
	return fmt.Sprintf("nats: sequence mismatch for consumer at sequence %d (%d sequences behind), should restart consumer from stream sequence %d",
		ecs.ConsumerSequence,
		ecs.LastConsumerSequence-ecs.ConsumerSequence,
		ecs.StreamResumeSequence,
	)
}

// ClientTrace would see each JetStream API request and response in nats.go. Not supported (the
// core makes the API requests): a JetStream call given one fails with ErrNotSupported.
type ClientTrace struct {
	RequestSent      func(subj string, payload []byte)
	ResponseReceived func(subj string, payload []byte, hdr Header)
}

func (ct ClientTrace) configureJSContext(*jsOpts) error {
	return fmt.Errorf("%w: ClientTrace (the core makes the JetStream API requests)", ErrNotSupported)
}

// UseLegacyDurableConsumers makes nats.go create durable consumers through the older API
// subject. The server does the same either way, so it has no effect here.
func UseLegacyDurableConsumers() JSOpt {
	return jsOptFn(func(*jsOpts) error { return nil })
}

// DirectGetNext makes nats.go's GetMsg return the first message on subject at or after the
// sequence. Not supported: GetMsg given it fails with an error wrapping ErrNotSupported.
func DirectGetNext(subject string) JSOpt {
	return jsOptFn(func(*jsOpts) error {
		return fmt.Errorf("%w: DirectGetNext(%q)", ErrNotSupported, subject)
	})
}

// StreamInfoRequest asks StreamInfo for the stream's per-subject message counts (subjects
// matching SubjectsFilter) and the sequences of deleted messages (DeletedDetails). Pass it to
// StreamInfo as an option.
type StreamInfoRequest struct {
	DeletedDetails bool   `json:"deleted_details,omitempty"`
	SubjectsFilter string `json:"subjects_filter,omitempty"`
}

func (sir *StreamInfoRequest) configureJSContext(o *jsOpts) error {
	o.infoReq = sir
	return nil
}

// streamInfoDetailed is StreamInfo with a StreamInfoRequest: an API request of its own (the
// core's stream info asks for no details), paged as the server pages the subjects.
func (j *js) streamInfoDetailed(stream string, req *StreamInfoRequest, o jsOpts) (*StreamInfo, error) {
	subj := o.pre + "STREAM.INFO." + stream
	var out *StreamInfo
	offset := 0
	for {
		body, err := json.Marshal(struct {
			*StreamInfoRequest
			Offset int `json:"offset,omitempty"`
		}{req, offset})
		if err != nil {
			return nil, err
		}
		var m *Msg
		if o.ctx != nil {
			m, err = j.nc.RequestWithContext(o.ctx, subj, body)
		} else {
			m, err = j.nc.Request(subj, body, o.wait)
		}
		if err != nil {
			if errors.Is(err, ErrNoResponders) {
				return nil, ErrJetStreamNotEnabled
			}
			return nil, err
		}
		var resp struct {
			Error *APIError `json:"error,omitempty"`
			StreamInfo
			Total  int `json:"total"`
			Offset int `json:"offset"`
			Limit  int `json:"limit"`
		}
		if err := json.Unmarshal(m.Data, &resp); err != nil {
			return nil, err
		}
		if resp.Error != nil {
			if errors.Is(resp.Error, ErrStreamNotFound) {
				return nil, ErrStreamNotFound
			}
			return nil, resp.Error
		}
		if out == nil {
			si := resp.StreamInfo
			out = &si
		} else {
			for k, v := range resp.State.Subjects {
				out.State.Subjects[k] = v
			}
		}
		got := len(resp.State.Subjects)
		offset += got
		if got == 0 || resp.Total == 0 || offset >= resp.Total {
			return out, nil
		}
		if o.ctx != nil {
			if err := o.ctx.Err(); err != nil {
				return nil, err
			}
		}
	}
}
