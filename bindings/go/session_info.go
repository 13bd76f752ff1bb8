package nats

// The library's description of the socket in use (natsrs_connection_session_json), behind
// LocalAddr and TLSConnectionState.

/*
#include "shim.h"
*/
import "C"

import (
	"encoding/json"
	"runtime"
)

// sessionInfo is the JSON of natsrs_connection_session_json.
type sessionInfo struct {
	LocalAddr string          `json:"local_addr"`
	TLS       *sessionTLSInfo `json:"tls"`
}

type sessionTLSInfo struct {
	Version          uint16   `json:"version"`
	CipherSuite      uint16   `json:"cipher_suite"`
	ServerName       string   `json:"server_name"`
	ALPN             string   `json:"alpn"`
	PeerCertificates [][]byte `json:"peer_certificates"` // DER, standard base64 in the JSON
}

// session reads the socket in use; false when not connected (or closed).
func (nc *Conn) session() (*sessionInfo, bool) {
	p := nc.cptr()
	if p == nil {
		return nil, false
	}
	var out *C.char
	st := C.natsrs_connection_session_json(p, &out)
	runtime.KeepAlive(nc)
	if st != C.NATSRS_STATUS_OK {
		return nil, false
	}
	var s sessionInfo
	if err := json.Unmarshal([]byte(natsString(out)), &s); err != nil {
		return nil, false
	}
	return &s, true
}
