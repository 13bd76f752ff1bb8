package nats

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// More of nats.go's Conn accessors: the handlers in effect, the connected server's URL with
// the password redacted, account and domain from the server's INFO, the TLS state.

// handlers returns a copy of the options holding the handlers in effect.
func (nc *Conn) handlers() Options {
	if nc == nil || nc.core == nil {
		return Options{}
	}
	nc.core.mu.Lock()
	defer nc.core.mu.Unlock()
	return *nc.core.opts
}

// SetDisconnectHandler replaces the disconnect callback with one that does not take the error.
//
// Deprecated: Use SetDisconnectErrHandler.
func (nc *Conn) SetDisconnectHandler(dcb ConnHandler) {
	if nc == nil || nc.core == nil {
		return
	}
	nc.core.mu.Lock()
	nc.Opts.DisconnectedCB = dcb
	nc.core.opts.DisconnectedCB = dcb
	nc.core.mu.Unlock()
}

// DisconnectErrHandler returns the callback currently set for disconnects, or nil.
func (nc *Conn) DisconnectErrHandler() ConnErrHandler { return nc.handlers().DisconnectedErrCB }

// ReconnectHandler returns the callback currently set for reconnects, or nil.
func (nc *Conn) ReconnectHandler() ConnHandler { return nc.handlers().ReconnectedCB }

// DiscoveredServersHandler returns the callback currently set for newly announced servers, or nil.
func (nc *Conn) DiscoveredServersHandler() ConnHandler { return nc.handlers().DiscoveredServersCB }

// ClosedHandler returns the callback currently set for the final close, or nil.
func (nc *Conn) ClosedHandler() ConnHandler { return nc.handlers().ClosedCB }

// ErrorHandler returns the callback currently set for asynchronous errors, or nil.
func (nc *Conn) ErrorHandler() ErrHandler { return nc.handlers().AsyncErrorCB }

// ConnectedUrlRedacted returns the current server's URL with any password masked.
//
// The core reports the URL without credentials; the user and password are those of the
// server URL given in the options that has the same host and port (url.URL.Redacted
// replaces the password with "xxxxx", as nats.go).
func (nc *Conn) ConnectedUrlRedacted() string {
	u := nc.connectedURL()
	if u == nil {
		return ""
	}
	return u.Redacted()
}

// parseServerURL parses a server URL as nats.go does (scheme nats:// and port 4222 when
// missing); nil when it does not parse.
func parseServerURL(s string) *url.URL {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	if !strings.Contains(s, "://") {
		s = "nats://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return nil
	}
	if u.Port() == "" {
		u.Host = net.JoinHostPort(u.Hostname(), "4222")
	}
	return u
}

// LocalAddr returns the local address of the connection's socket ("ip:port"), or "" when not
// connected: from the socket the binding's inline reader is attached to (sock_reader.go), else
// from the library's description of the socket in use (TLS connections, a reader not attached).
func (nc *Conn) LocalAddr() string {
	if nc == nil || nc.core == nil || !nc.IsConnected() {
		return ""
	}
	if r := sockReaderOf(nc); r != nil {
		if a := r.localAddr(); a != "" {
			return a
		}
	}
	if s, ok := nc.session(); ok {
		return s.LocalAddr
	}
	return ""
}

// ConnectedDomain returns the JetStream domain named in the server's INFO, or "".
func (nc *Conn) ConnectedDomain() string {
	si, _ := nc.info()
	return si.Domain
}

// IsSystemAccount reports whether the server's INFO says this client is in the system account.
func (nc *Conn) IsSystemAccount() bool {
	si, _ := nc.info()
	return si.IsSystemAccount
}

// RemoteAccount returns the account this client was bound to by the server ("$G" on a server
// without accounts). The server reports it in an INFO that follows the PONG of the connection's
// first PING, and the binding handles that only after Connect returned: call Flush first if the
// value is needed right away (also after a reconnect).
func (nc *Conn) RemoteAccount() string {
	si, _ := nc.info()
	return si.RemoteAccount
}

// TLSConnectionState returns the state of the connection's TLS session: version, cipher suite,
// server name, negotiated protocol and the certificates the server sent (parsed, leaf first),
// from natsrs_connection_session_json. ErrDisconnected when not connected, ErrConnectionNotTLS
// for a plain TCP connection. The library verifies the server itself (rustls), so
// VerifiedChains, OCSP and SCT fields stay empty.
func (nc *Conn) TLSConnectionState() (tls.ConnectionState, error) {
	if !nc.IsConnected() {
		return tls.ConnectionState{}, ErrDisconnected
	}
	s, ok := nc.session()
	if !ok {
		return tls.ConnectionState{}, ErrDisconnected // disconnected since
	}
	if s.TLS == nil {
		return tls.ConnectionState{}, ErrConnectionNotTLS
	}
	cs := tls.ConnectionState{
		Version:            s.TLS.Version,
		HandshakeComplete:  true,
		CipherSuite:        s.TLS.CipherSuite,
		NegotiatedProtocol: s.TLS.ALPN,
		ServerName:         s.TLS.ServerName,
	}
	for _, der := range s.TLS.PeerCertificates {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return tls.ConnectionState{}, fmt.Errorf("nats: the server's certificate: %w", err)
		}
		cs.PeerCertificates = append(cs.PeerCertificates, c)
	}
	return cs, nil
}
