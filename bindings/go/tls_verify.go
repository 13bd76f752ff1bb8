package nats

/*
#include "shim.h"
*/
import "C"

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"runtime/cgo"
	"sync"
	"time"
	"unsafe"
)

// tlsVerifier checks the server's certificate chain in Go, the way crypto/tls does for a
// tls.Config, when the config carries what only Go can evaluate (an x509.CertPool, the
// VerifyPeerCertificate / VerifyConnection callbacks). The core calls it through
// natsrs_options_set_tls_verify_handler during the handshake (it still checks the handshake
// signatures itself, so the server holds the key of the leaf accepted here). It is the
// userdata of that handler (a cgo.Handle; C keeps no Go pointer).
type tlsVerifier struct {
	cfg   *tls.Config // a clone, so later changes of the user's config do not race
	roots *x509.CertPool

	mu      sync.Mutex
	lastErr error // the last rejection, attached to Connect's error
}

// needsGoVerify reports whether cfg has something only the Go side can verify with.
func needsGoVerify(cfg *tls.Config) bool {
	if cfg == nil {
		return false
	}
	if cfg.VerifyPeerCertificate != nil || cfg.VerifyConnection != nil {
		return true
	}
	return (cfg.RootCAs != nil || cfg.Time != nil) && !cfg.InsecureSkipVerify
}

// newTLSVerifier builds the verifier: the roots are cfg.RootCAs plus the files of
// nats.RootCAs (nil: the system roots).
func newTLSVerifier(cfg *tls.Config, caFiles []string) (*tlsVerifier, error) {
	v := &tlsVerifier{cfg: cfg.Clone()}
	v.roots = cfg.RootCAs
	if len(caFiles) > 0 {
		if v.roots != nil {
			v.roots = v.roots.Clone()
		} else {
			v.roots = x509.NewCertPool()
		}
		for _, f := range caFiles {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("nats: error loading or parsing rootCA file: %w", err)
			}
			if !v.roots.AppendCertsFromPEM(b) {
				return nil, fmt.Errorf("nats: failed to parse root certificate from %q", f)
			}
		}
	}
	return v, nil
}

// verify runs crypto/tls's client-side checks on the chain (leaf first) for serverName.
func (v *tlsVerifier) verify(raw [][]byte, serverName string) error {
	if len(raw) == 0 {
		return errors.New("tls: server sent no certificate")
	}
	certs := make([]*x509.Certificate, len(raw))
	for i, der := range raw {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return fmt.Errorf("tls: failed to parse certificate from server: %w", err)
		}
		certs[i] = c
	}
	cfg := v.cfg
	if cfg.ServerName != "" {
		serverName = cfg.ServerName
	}
	var chains [][]*x509.Certificate
	if !cfg.InsecureSkipVerify {
		opts := x509.VerifyOptions{
			Roots:         v.roots,
			DNSName:       serverName,
			Intermediates: x509.NewCertPool(),
			KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}
		if cfg.Time != nil {
			opts.CurrentTime = cfg.Time()
		} else {
			opts.CurrentTime = time.Now()
		}
		for _, c := range certs[1:] {
			opts.Intermediates.AddCert(c)
		}
		var err error
		chains, err = certs[0].Verify(opts)
		if err != nil {
			return &tls.CertificateVerificationError{UnverifiedCertificates: certs, Err: err}
		}
	}
	if cfg.VerifyPeerCertificate != nil {
		if err := cfg.VerifyPeerCertificate(raw, chains); err != nil {
			return err
		}
	}
	if cfg.VerifyConnection != nil {
		// The state of the handshake so far: the chain and the name (version and cipher
		// suite are not known to the binding).
		st := tls.ConnectionState{ServerName: serverName, PeerCertificates: certs, VerifiedChains: chains}
		if err := cfg.VerifyConnection(st); err != nil {
			return err
		}
	}
	return nil
}

// takeLastErr returns and clears the last rejection.
func (v *tlsVerifier) takeLastErr() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	err := v.lastErr
	v.lastErr = nil
	return err
}

//export goOnTLSVerify
func goOnTLSVerify(ud C.uintptr_t, chain *C.natsrs_cert_der, n C.size_t, name *C.char) C.int {
	v, _ := handleValue(cgo.Handle(ud)).(*tlsVerifier)
	if v == nil {
		return C.int(stTLS)
	}
	raw := make([][]byte, int(n))
	if n > 0 {
		for i, c := range unsafe.Slice(chain, int(n)) {
			raw[i] = C.GoBytes(c.data, C.int(c.len))
		}
	}
	serverName := ""
	if name != nil {
		serverName = C.GoString(name)
	}
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("%w: %v", ErrCallbackPanic, r)
			}
		}()
		err = v.verify(raw, serverName)
	}()
	if err != nil {
		v.mu.Lock()
		v.lastErr = err
		v.mu.Unlock()
		return C.int(stTLS)
	}
	return C.int(stOK)
}

// withVerifyErr attaches the Go verifier's reason to a TLS failure of Connect, so that
// errors.As finds the x509 error as with nats.go (errors.Is(err, ErrTLS) still holds).
func withVerifyErr(err error, v *tlsVerifier) error {
	if v == nil {
		return err
	}
	vErr := v.takeLastErr()
	var e *Error
	if vErr == nil || !errors.As(err, &e) || e.Status != stTLS {
		return err
	}
	return fmt.Errorf("%w: %w", err, vErr)
}
