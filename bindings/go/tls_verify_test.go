package nats

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// otherCA returns a pool with a freshly made CA that signed nothing.
func otherCA(t *testing.T) *x509.CertPool {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(7),
		Subject:               pkix.Name{CommonName: "other test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return pool
}

func TestTLSRootCAsPool(t *testing.T) {
	dir := testPKI(t)
	s := startServer(t, "-c", filepath.Join(dir, "tls.conf"))
	caPEM, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("bad CA PEM")
	}
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, "client-cert.pem"), filepath.Join(dir, "client-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	tlsURL := fmt.Sprintf("tls://127.0.0.1:%d", s.Port)
	hostURL := fmt.Sprintf("tls://localhost:%d", s.Port)

	// The right pool: connects (by IP and by name), messages flow.
	for _, u := range []string{tlsURL, hostURL} {
		nc, err := Connect(u, Secure(&tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}}))
		if err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		sub, _ := nc.SubscribeSync("pool.foo")
		nc.Publish("pool.foo", []byte("x"))
		if m, err := sub.NextMsg(5 * time.Second); err != nil || string(m.Data) != "x" {
			t.Fatalf("%v %v", m, err)
		}
		nc.Close()
	}
	// nats:// URL, ServerName and MinVersion with the pool (the seed README's config).
	nc, err := Connect(s.URL, Secure(&tls.Config{ServerName: "localhost", RootCAs: pool,
		Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}))
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()

	// A pool without the server's CA: fails with ErrTLS and the x509 reason.
	_, err = Connect(tlsURL, Secure(&tls.Config{RootCAs: otherCA(t), Certificates: []tls.Certificate{pair}}))
	if !errors.Is(err, ErrTLS) {
		t.Fatalf("expected ErrTLS, got %v", err)
	}
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Fatalf("expected x509.UnknownAuthorityError, got %v", err)
	}
	// An empty pool is a pool too (nothing trusted).
	if _, err := Connect(tlsURL, Secure(&tls.Config{RootCAs: x509.NewCertPool(), Certificates: []tls.Certificate{pair}})); !errors.Is(err, ErrTLS) {
		t.Fatalf("expected ErrTLS, got %v", err)
	}
	// The right pool but a name the certificate does not have.
	_, err = Connect(tlsURL, Secure(&tls.Config{RootCAs: pool, ServerName: "not-the-server.example", Certificates: []tls.Certificate{pair}}))
	var host x509.HostnameError
	if !errors.Is(err, ErrTLS) || !errors.As(err, &host) {
		t.Fatalf("expected ErrTLS with x509.HostnameError, got %v", err)
	}
	// nats.RootCAs(file) together with a pool: both are trusted.
	nc, err = Connect(tlsURL, Secure(&tls.Config{RootCAs: otherCA(t), Certificates: []tls.Certificate{pair}}),
		RootCAs(filepath.Join(dir, "ca.pem")))
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()
}

func TestTLSVerifyCallbacks(t *testing.T) {
	dir := testPKI(t)
	s := startServer(t, "-c", filepath.Join(dir, "tls.conf"))
	caPEM, _ := os.ReadFile(filepath.Join(dir, "ca.pem"))
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, "client-cert.pem"), filepath.Join(dir, "client-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	tlsURL := fmt.Sprintf("tls://127.0.0.1:%d", s.Port)

	// VerifyPeerCertificate after the pool check: gets the raw chain and the verified chains.
	var peerCalls, connCalls atomic.Int32
	cfg := &tls.Config{
		RootCAs:      pool,
		Certificates: []tls.Certificate{pair},
		VerifyPeerCertificate: func(raw [][]byte, chains [][]*x509.Certificate) error {
			if len(raw) == 0 || len(chains) == 0 {
				return errors.New("no chain")
			}
			peerCalls.Add(1)
			return nil
		},
		VerifyConnection: func(st tls.ConnectionState) error {
			if st.ServerName != "127.0.0.1" || len(st.PeerCertificates) == 0 {
				return fmt.Errorf("state %q %d", st.ServerName, len(st.PeerCertificates))
			}
			connCalls.Add(1)
			return nil
		},
	}
	nc, err := Connect(tlsURL, Secure(cfg))
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()
	if peerCalls.Load() == 0 || connCalls.Load() == 0 {
		t.Fatalf("callbacks not called: %d %d", peerCalls.Load(), connCalls.Load())
	}
	// A rejecting VerifyPeerCertificate fails the connect with its error.
	errPin := errors.New("pin mismatch")
	_, err = Connect(tlsURL, Secure(&tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair},
		VerifyPeerCertificate: func([][]byte, [][]*x509.Certificate) error { return errPin }}))
	if !errors.Is(err, ErrTLS) || !errors.Is(err, errPin) {
		t.Fatalf("expected ErrTLS and the callback's error, got %v", err)
	}
	// InsecureSkipVerify with VerifyPeerCertificate: no chain check, the callback decides
	// (verified chains nil, as with crypto/tls).
	var sawNil atomic.Bool
	nc, err = Connect(tlsURL, Secure(&tls.Config{InsecureSkipVerify: true, Certificates: []tls.Certificate{pair},
		VerifyPeerCertificate: func(raw [][]byte, chains [][]*x509.Certificate) error {
			sawNil.Store(chains == nil && len(raw) > 0)
			return nil
		}}))
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()
	if !sawNil.Load() {
		t.Fatal("VerifyPeerCertificate not called with the raw chain and nil verified chains")
	}
	// A panic in the callback is a rejection, never a crash.
	_, err = Connect(tlsURL, Secure(&tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair},
		VerifyConnection: func(tls.ConnectionState) error { panic("boom") }}))
	if !errors.Is(err, ErrTLS) || !errors.Is(err, ErrCallbackPanic) {
		t.Fatalf("expected ErrTLS with ErrCallbackPanic, got %v", err)
	}
}
