package nats

/*
#include "shim.h"
*/
import "C"

import (
	"crypto/ed25519"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// ServerInfo is the part of the server's INFO the binding exposes (nats.go's field names).
type ServerInfo struct {
	ID           string   `json:"server_id"`
	Name         string   `json:"server_name"`
	Proto        int      `json:"proto"`
	Version      string   `json:"version"`
	Host         string   `json:"host"`
	Port         int      `json:"port"`
	Headers      bool     `json:"headers"`
	AuthRequired bool     `json:"auth_required,omitempty"`
	TLSRequired  bool     `json:"tls_required,omitempty"`
	TLSAvailable bool     `json:"tls_available,omitempty"`
	MaxPayload   int64    `json:"max_payload"`
	CID          uint64   `json:"client_id,omitempty"`
	ClientIP     string   `json:"client_ip,omitempty"`
	Cluster      string   `json:"cluster,omitempty"`
	ConnectURLs  []string `json:"connect_urls,omitempty"`
	LameDuckMode bool     `json:"ldm,omitempty"`
	JetStream    bool     `json:"jetstream,omitempty"`
	Domain       string   `json:"domain,omitempty"`

	IsSystemAccount bool   `json:"acc_is_sys,omitempty"`
	RemoteAccount   string `json:"remote_account,omitempty"`
	Nonce           string `json:"nonce,omitempty"`
	JSApiLevel      int    `json:"api_lvl,omitempty"`
}

// info returns the INFO of the connected server (ok false when not connected).
func (nc *Conn) info() (ServerInfo, bool) {
	var si ServerInfo
	raw := nc.serverInfo(func(p *C.natsrs_server_info) string {
		return C.GoString(C.natsrs_server_info_json(p))
	})
	if raw == "" {
		return si, false
	}
	if err := json.Unmarshal([]byte(raw), &si); err != nil {
		return si, false
	}
	return si, true
}

// ConnectedAddr returns the connected server's address ("" when not connected).
func (nc *Conn) ConnectedAddr() string {
	u := nc.ConnectedUrl()
	if u == "" {
		return ""
	}
	if pu, err := url.Parse(u); err == nil && pu.Host != "" {
		if host, port, err := net.SplitHostPort(pu.Host); err == nil {
			if ips, err := net.LookupIP(host); err == nil && len(ips) > 0 {
				return net.JoinHostPort(ips[0].String(), port)
			}
		}
		return pu.Host
	}
	return u
}

// ConnectedClusterName returns the cluster name from the server's INFO, or "" if it has none.
func (nc *Conn) ConnectedClusterName() string {
	si, _ := nc.info()
	return si.Cluster
}

// ConnectedServerJetStream reports whether the server's INFO advertises JetStream, together
// with its JetStream domain.
func (nc *Conn) ConnectedServerJetStream() (bool, string) {
	si, _ := nc.info()
	return si.JetStream, si.Domain
}

// AuthRequired reports whether the server's INFO said that clients must authenticate.
func (nc *Conn) AuthRequired() bool {
	si, _ := nc.info()
	return si.AuthRequired
}

// TLSRequired reports whether the server's INFO said that clients must use TLS.
func (nc *Conn) TLSRequired() bool {
	si, _ := nc.info()
	return si.TLSRequired
}

// GetClientID returns the numeric client ID (CID) the current server gave this connection. It
// fails with ErrConnectionClosed after Close, and with ErrClientIDNotSupported if there is none.
func (nc *Conn) GetClientID() (uint64, error) {
	if nc.IsClosed() {
		return 0, ErrConnectionClosed
	}
	si, _ := nc.info()
	if si.CID == 0 {
		return 0, ErrClientIDNotSupported
	}
	return si.CID, nil
}

// GetClientIP returns this client's address as the server sees it (from its INFO). It fails
// with ErrConnectionClosed after Close, and with ErrClientIPNotSupported if the server sent none.
func (nc *Conn) GetClientIP() (net.IP, error) {
	if nc.IsClosed() {
		return nil, ErrConnectionClosed
	}
	si, _ := nc.info()
	if si.ClientIP == "" {
		return nil, ErrClientIPNotSupported
	}
	return net.ParseIP(si.ClientIP), nil
}

// NoCallbacksAfterClientClose suppresses the connection callbacks (closed, disconnected, ...)
// that would otherwise run after the application itself called Close.
func NoCallbacksAfterClientClose() Option {
	return func(o *Options) error { o.NoCallbacksAfterClientClose = true; return nil }
}

// UserJWTAndSeed authenticates with a user JWT and an nkey seed given directly as strings.
func UserJWTAndSeed(jwt string, seed string) Option {
	userCB := func() (string, error) { return jwt, nil }
	sigCB := func(nonce []byte) ([]byte, error) {
		key, err := userSeedKey(seed)
		if err != nil {
			return nil, fmt.Errorf("unable to extract key pair from seed: %w", err)
		}
		defer wipe(key)
		return ed25519.Sign(key, nonce), nil
	}
	return UserJWT(userCB, sigCB)
}

// UserCredentialBytes authenticates with credentials held in memory: the bytes of a chained
// .creds file (JWT and seed), or a JWT followed by a separate seed.
func UserCredentialBytes(userOrChainedFileBytes []byte, seedFiles ...[]byte) Option {
	jwt, err := credsSection(userOrChainedFileBytes, "JWT")
	if err != nil {
		return func(*Options) error { return err }
	}
	src := userOrChainedFileBytes
	if len(seedFiles) > 0 {
		src = seedFiles[0]
	}
	seed, err := credsSection(src, "SEED")
	if err != nil {
		return func(*Options) error { return err }
	}
	return UserJWTAndSeed(jwt, seed)
}

// credsSection finds the JWT (eyJ...) or the user seed (SU...) in a decorated creds file, or
// the bare value.
func credsSection(b []byte, what string) (string, error) {
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if what == "JWT" && strings.HasPrefix(line, "eyJ") {
			return line, nil
		}
		if what == "SEED" && strings.HasPrefix(line, "SU") {
			return line, nil
		}
	}
	return "", fmt.Errorf("nats: no user %s found: %w", strings.ToLower(what), ErrBadCredentials)
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// userSeedKey decodes an nkey user seed ("SU..."): base32 of two prefix bytes, the 32-byte
// ed25519 seed and a CRC-16 (XMODEM, little endian) of everything before it.
func userSeedKey(seed string) (ed25519.PrivateKey, error) {
	raw, err := b32.DecodeString(strings.TrimSpace(seed))
	if err != nil {
		return nil, err
	}
	if len(raw) != 36 {
		return nil, errors.New("nats: invalid seed length")
	}
	body, sum := raw[:34], uint16(raw[34])|uint16(raw[35])<<8
	if crc16(body) != sum {
		return nil, errors.New("nats: invalid seed checksum")
	}
	// First byte: seed prefix (18<<3) plus the top bits of the type; second: the rest (user: 20<<3).
	if body[0]&0xf8 != 18<<3 || (body[0]&7)<<5|body[1]>>3 != 20<<3 {
		return nil, errors.New("nats: not a user seed")
	}
	key := ed25519.NewKeyFromSeed(body[2:34])
	wipe(raw)
	return key, nil
}

func crc16(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc ^= uint16(c) << 8
		for i := 0; i < 8; i++ {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

func wipe(b []byte) {
	for i := range b {
		b[i] = 'x'
	}
}

// StatusChanged returns a channel that receives the connection's state changes, limited to
// statuses if any are given (else CONNECTED, RECONNECTING, DISCONNECTED, CLOSED). The channel
// holds up to 10 events and drops new ones while full; it stays registered until
// RemoveStatusListener.
func (nc *Conn) StatusChanged(statuses ...Status) chan Status {
	if len(statuses) == 0 {
		statuses = []Status{CONNECTED, RECONNECTING, DISCONNECTED, CLOSED}
	}
	ch := make(chan Status, 10)
	c := nc.core
	c.mu.Lock()
	if c.statusListeners == nil {
		c.statusListeners = map[chan Status][]Status{}
	}
	c.statusListeners[ch] = statuses
	c.mu.Unlock()
	return ch
}

// RemoveStatusListener removes a status change listener. The channel is not closed.
func (nc *Conn) RemoveStatusListener(ch chan Status) {
	c := nc.core
	c.mu.Lock()
	delete(c.statusListeners, ch)
	c.mu.Unlock()
}

func (c *connCore) emitStatus(st Status) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for ch, want := range c.statusListeners {
		for _, w := range want {
			if w == st {
				select {
				case ch <- st:
				default:
				}
				break
			}
		}
	}
}
