package nats

// How Options become a natsrs_options: typed setters, callbacks, TLS material.

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
	"time"
)

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
