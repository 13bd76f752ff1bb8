package nats

// What a connection reports about itself: statistics, servers, server info, inboxes.

/*
#include "shim.h"
*/
import "C"

import (
	"net/url"
	"runtime"
	"strings"
	"unsafe"
)

// Stats returns a snapshot of the connection's message, byte and reconnect counters, read from
// the core; a nil or freed Conn gives zero counters.
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
		Reconnects: uint64(s.reconnects) + retryReconnect(nc.core),
	}
}

// MaxPayload returns the largest payload the server accepts, as announced in its INFO.
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

// Servers returns the URLs in the connection's server pool: the configured ones plus those the
// cluster announced, minus any removed since.
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

// DiscoveredServers returns the pool URLs that came from the cluster's announcements rather than
// from the configuration.
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

// ConnectedUrl returns the URL of the server in use ("" when not connected). As in nats.go it
// carries the user and password of the matching server URL given in the options (the core
// reports the URL without credentials).
func (nc *Conn) ConnectedUrl() string {
	u := nc.connectedURL()
	if u == nil {
		return ""
	}
	return u.String()
}

// connectedURL is the core's connected URL with the credentials of the option's server URL
// that has the same host and port; nil when not connected.
func (nc *Conn) connectedURL() *url.URL {
	if nc.Status() != CONNECTED {
		return nil
	}
	cu := nc.strGetter(func(p *C.natsrs_connection, b *C.char, n C.size_t) C.enum_natsrs_status {
		return C.natsrs_connection_connected_url(p, b, n)
	})
	u, err := url.Parse(cu)
	if cu == "" || err != nil {
		return nil
	}
	for _, s := range append([]string{nc.Opts.Url}, nc.Opts.Servers...) {
		if su := parseServerURL(s); su != nil && su.User != nil && strings.EqualFold(su.Host, u.Host) {
			u.User = su.User
			break
		}
	}
	return u
}

// ConnectedServerId returns the ID from the current server's INFO ("" when not connected).
func (nc *Conn) ConnectedServerId() string {
	if nc.Status() != CONNECTED {
		return ""
	}
	return nc.strGetter(func(p *C.natsrs_connection, b *C.char, n C.size_t) C.enum_natsrs_status {
		return C.natsrs_connection_connected_server_id(p, b, n)
	})
}

// ConnectedServerName returns the name from the current server's INFO.
func (nc *Conn) ConnectedServerName() string {
	return nc.serverInfo(func(si *C.natsrs_server_info) string {
		return C.GoString(C.natsrs_server_info_server_name(si))
	})
}

// ConnectedServerVersion returns the version string from the server's INFO.
func (nc *Conn) ConnectedServerVersion() string {
	return nc.serverInfo(func(si *C.natsrs_server_info) string {
		return C.GoString(C.natsrs_server_info_version(si))
	})
}

// HeadersSupported reports whether the server's INFO says it accepts message headers.
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

// LastError returns the most recent error recorded on the connection, or nil; inside a ClosedCB
// it tells why the connection was closed.
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
	if err := nc.core.lastPubErr(); err != nil {
		return err
	}
	text := ""
	if st != C.NATSRS_STATUS_OK {
		text = C.GoString(buf)
	}
	if err := nc.core.lastGoErr(text); err != nil {
		return err
	}
	if st == C.NATSRS_STATUS_OK || nc.core.errWasCleared(text) {
		if nc.core.slowSeen.Load() {
			return ErrSlowConsumer
		}
		return nil
	}
	if st == stNoServers {
		return ErrNoServers // as nats.go, once the reconnect attempts are exhausted
	}
	return statusError(int(st), text)
}

// NewInbox returns a fresh, unique subject under the connection's inbox prefix, for use as a
// reply subject. Nothing stops other clients from subscribing to it.
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

// NewRespInbox returns a unique reply subject in nats.go's form for its request replies: one
// inbox of the connection's plus a token of 8 characters.
func (nc *Conn) NewRespInbox() string {
	if nc == nil || nc.core == nil {
		return NewInbox()
	}
	c := nc.core
	c.respOnce.Do(func() { c.respPrefix = nc.NewInbox() + "." })
	return c.respPrefix + nuid()[:8]
}

// NewInbox returns a fresh, unique reply subject under the default "_INBOX." prefix.
func NewInbox() string { return InboxPrefix + nuid() }

// retryReconnect: nats.go counts a first connect made in the background (RetryOnFailedConnect)
// as a reconnect.
func retryReconnect(c *connCore) uint64 {
	if c.retryConnected.Load() {
		return 1
	}
	return 0
}
