package nats

/*
#include "shim.h"
*/
import "C"

import (
	"encoding/json"
	"net/url"
	"runtime"
	"unsafe"
)

// Server is one entry of the connection's server pool (nats.go's nats.Server): its URL and the
// failed reconnect attempts since it was last connected to.
type Server struct {
	URL        *url.URL
	Reconnects int
	isImplicit bool
}

// IsImplicit reports whether the server was learned from the cluster (INFO connect_urls)
// rather than given by the user.
func (s Server) IsImplicit() bool { return s.isImplicit }

// ServerPool returns a snapshot of the server pool in its current order (URLs without
// credentials).
func (nc *Conn) ServerPool() []Server {
	p := nc.cptr()
	if p == nil {
		return nil
	}
	var out *C.char
	st := C.natsrs_connection_server_pool_json(p, &out)
	runtime.KeepAlive(nc)
	if st != C.NATSRS_STATUS_OK || out == nil {
		return nil
	}
	raw := C.GoString(out)
	C.natsrs_string_free(out)
	var entries []struct {
		URL        string `json:"url"`
		Reconnects int    `json:"reconnects"`
		Implicit   bool   `json:"implicit"`
	}
	if json.Unmarshal([]byte(raw), &entries) != nil {
		return nil
	}
	servers := make([]Server, 0, len(entries))
	for _, e := range entries {
		u, err := url.Parse(e.URL)
		if err != nil {
			continue
		}
		servers = append(servers, Server{URL: u, Reconnects: e.Reconnects, isImplicit: e.Implicit})
	}
	return servers
}

// SetServerPool replaces the server pool with the given URLs, in that order. The current
// connection is kept; the new pool is used from the next reconnect on (ForceReconnect applies
// it at once). A server already in the pool keeps its reconnect count. Unless
// IgnoreDiscoveredServers is set, servers announced by the cluster are added again.
func (nc *Conn) SetServerPool(servers []string) error {
	p := nc.cptr()
	if p == nil {
		return ErrInvalidConnection
	}
	if nc.IsClosed() {
		return ErrConnectionClosed
	}
	urls := make([]*C.char, len(servers))
	for i, s := range servers {
		if !hasScheme(s) {
			s = "nats://" + s
		}
		urls[i] = C.CString(s)
	}
	defer func() {
		for _, u := range urls {
			C.free(unsafe.Pointer(u))
		}
	}()
	var first **C.char
	if len(urls) > 0 {
		first = &urls[0]
	}
	var cerr *C.char
	st := C.gn_set_server_pool(p, first, C.size_t(len(urls)), &cerr)
	runtime.KeepAlive(nc)
	return takeErr(st, cerr)
}

func hasScheme(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && u.Host != ""
}
