package nats

import (
	"crypto/ed25519"
	"crypto/tls"
	"encoding/base32"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var (
	pkiOnce sync.Once
	pkiDir  string
	pkiErr  error
)

// testPKI returns a directory with the repository's test security material (certificates,
// nkeys, JWTs, server configs), made by tests/tools gen_test_pki: $NATSRS_TEST_PKI if set, else
// generated with $NATSRS_GEN_TEST_PKI or ../../target/release/examples/gen_test_pki.
func testPKI(t *testing.T) string {
	t.Helper()
	pkiOnce.Do(func() {
		if d := os.Getenv("NATSRS_TEST_PKI"); d != "" {
			pkiDir = d
			return
		}
		bin := os.Getenv("NATSRS_GEN_TEST_PKI")
		if bin == "" {
			_, file, _, _ := runtime.Caller(0)
			bin = filepath.Join(filepath.Dir(file), "..", "..", "target", "release", "examples", "gen_test_pki")
		}
		if _, err := os.Stat(bin); err != nil {
			pkiErr = fmt.Errorf("gen_test_pki not built (%s): run cargo build --release --example gen_test_pki", bin)
			return
		}
		dir, err := os.MkdirTemp("", "natsrs-go-pki-")
		if err != nil {
			pkiErr = err
			return
		}
		if out, err := exec.Command(bin, dir).CombinedOutput(); err != nil {
			pkiErr = fmt.Errorf("gen_test_pki: %v: %s", err, out)
			return
		}
		pkiDir = dir
	})
	if pkiErr != nil {
		if os.Getenv("NATSRS_REQUIRE_PKI") != "" {
			t.Fatal(pkiErr)
		}
		t.Skip(pkiErr)
	}
	return pkiDir
}

// seedKey decodes an nkey seed (base32: 2 prefix bytes, 32-byte ed25519 seed, 2-byte CRC).
func seedKey(t *testing.T, path string) ed25519.PrivateKey {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var seed string
	for _, l := range strings.Split(string(raw), "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "SU") {
			seed = l
		}
	}
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(seed)
	if err != nil || len(b) != 36 {
		t.Fatalf("bad seed %q: %v", seed, err)
	}
	return ed25519.NewKeyFromSeed(b[2:34])
}

func TestUserInfoAndToken(t *testing.T) {
	s := startServer(t, "--user", "foo", "--pass", "bar")
	nc, err := Connect(s.URL, UserInfo("foo", "bar"))
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()
	if _, err := Connect(s.URL, UserInfo("foo", "wrong")); !errors.Is(err, ErrAuthorization) {
		t.Fatalf("expected ErrAuthorization, got %v", err)
	}
	// Credentials in the URL win over the options.
	u := strings.Replace(s.URL, "nats://", "nats://foo:bar@", 1)
	nc, err = Connect(u, UserInfo("x", "y"))
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()

	ts := startServer(t, "--auth", "S3cretT0ken")
	nc, err = Connect(ts.URL, Token("S3cretT0ken"))
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()
	// UserInfo and Token at the same time.
	nc, err = Connect(ts.URL, UserInfo("foo", "bar"), Token("S3cretT0ken"))
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()
	var calls atomic.Int32
	nc, err = Connect(ts.URL, TokenHandler(func() string { calls.Add(1); return "S3cretT0ken" }))
	if err != nil || calls.Load() == 0 {
		t.Fatalf("%v calls=%d", err, calls.Load())
	}
	nc.Close()
	if _, err := Connect(ts.URL, Token("nope")); !errors.Is(err, ErrAuthorization) {
		t.Fatalf("expected ErrAuthorization, got %v", err)
	}
	if _, err := Connect(ts.URL, Token("a"), TokenHandler(func() string { return "" })); err != ErrTokenAlreadySet {
		t.Fatalf("expected ErrTokenAlreadySet, got %v", err)
	}
	if _, err := Connect(ts.URL, UserInfo("a", "b"), UserInfoHandler(func() (string, string) { return "", "" })); err != ErrUserInfoAlreadySet {
		t.Fatalf("expected ErrUserInfoAlreadySet, got %v", err)
	}
}

func TestNkeys(t *testing.T) {
	dir := testPKI(t)
	s := startServer(t, "-c", filepath.Join(dir, "nkey.conf"))
	opt, err := NkeyOptionFromSeed(filepath.Join(dir, "user.nk"))
	if err != nil {
		t.Fatal(err)
	}
	nc, err := Connect(s.URL, opt)
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()
	pub, _ := os.ReadFile(filepath.Join(dir, "user.pub"))
	key := seedKey(t, filepath.Join(dir, "user.nk"))
	var signed atomic.Int32
	sigCB := func(nonce []byte) ([]byte, error) {
		signed.Add(1)
		return ed25519.Sign(key, nonce), nil
	}
	nc, err = Connect(s.URL, Nkey(strings.TrimSpace(string(pub)), sigCB))
	if err != nil || signed.Load() == 0 {
		t.Fatalf("%v signed=%d", err, signed.Load())
	}
	nc.Close()
	bad := func([]byte) ([]byte, error) { return nil, errors.New("no") }
	if _, err := Connect(s.URL, Nkey(strings.TrimSpace(string(pub)), bad)); err == nil {
		t.Fatal("bad signature accepted")
	}
	if _, err := Connect(s.URL, Nkey("UABC", nil)); err != ErrNkeyButNoSigCB {
		t.Fatalf("expected ErrNkeyButNoSigCB, got %v", err)
	}
	if _, err := NkeyOptionFromSeed(filepath.Join(dir, "ca.pem")); err == nil {
		t.Fatal("not a seed accepted")
	}
}

func TestUserCredentials(t *testing.T) {
	dir := testPKI(t)
	s := startServer(t, "-c", filepath.Join(dir, "operator.conf"))
	nc, err := Connect(s.URL, UserCredentials(filepath.Join(dir, "user.creds")))
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()
	nc, err = Connect(s.URL, UserCredentials(filepath.Join(dir, "user.jwt"), filepath.Join(dir, "user.seed")))
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()
	jwt, _ := os.ReadFile(filepath.Join(dir, "user.jwt"))
	key := seedKey(t, filepath.Join(dir, "user.seed"))
	var jwtLine string
	for _, l := range strings.Split(string(jwt), "\n") {
		if strings.HasPrefix(l, "eyJ") {
			jwtLine = strings.TrimSpace(l)
		}
	}
	jwtCB := func() (string, error) { return jwtLine, nil }
	sigCB := func(nonce []byte) ([]byte, error) { return ed25519.Sign(key, nonce), nil }
	nc, err = Connect(s.URL, UserJWT(jwtCB, sigCB))
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()
	if _, err := Connect(s.URL, UserCredentials(filepath.Join(dir, "ca.pem"))); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("expected ErrBadCredentials, got %v", err)
	}
	if _, err := Connect(s.URL); !errors.Is(err, ErrAuthorization) {
		t.Fatalf("expected ErrAuthorization, got %v", err)
	}
}

func TestTLS(t *testing.T) {
	dir := testPKI(t)
	s := startServer(t, "-c", filepath.Join(dir, "tls.conf"))
	url := fmt.Sprintf("tls://127.0.0.1:%d", s.Port)
	ca, cert, key := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "client-cert.pem"), filepath.Join(dir, "client-key.pem")
	nc, err := Connect(url, RootCAs(ca), ClientCert(cert, key))
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Publish("tls.foo", []byte("x")); err != nil {
		t.Fatal(err)
	}
	nc.Flush()
	nc.Close()
	// nats:// URL with Secure(tls.Config): certificate + server name + min version.
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{
		ServerName:   "localhost",
		Certificates: []tls.Certificate{pair},
		MinVersion:   tls.VersionTLS12,
	}
	nc, err = Connect(s.URL, Secure(cfg), RootCAs(ca))
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()
	// No CA: the server is not trusted.
	if _, err := Connect(url, ClientCert(cert, key)); !errors.Is(err, ErrTLS) {
		t.Fatalf("expected ErrTLS, got %v", err)
	}
	// Skip verify (tests only).
	nc, err = Connect(url, Secure(&tls.Config{InsecureSkipVerify: true, Certificates: []tls.Certificate{pair}}))
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()
	// A field the core cannot honour is an error, never ignored.
	getCert := func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &pair, nil }
	if _, err := Connect(url, Secure(&tls.Config{GetClientCertificate: getCert})); !errors.Is(err, ErrNotSupported) {
		t.Fatalf("expected ErrNotSupported, got %v", err)
	}
	if _, err := Connect(url, Secure(&tls.Config{MaxVersion: tls.VersionTLS12})); !errors.Is(err, ErrNotSupported) {
		t.Fatalf("expected ErrNotSupported, got %v", err)
	}
	if _, err := Connect(url, RootCAs(filepath.Join(dir, "missing.pem"))); err == nil {
		t.Fatal("missing CA file accepted")
	}
}

func TestReconnectHandlers(t *testing.T) {
	s := startServer(t)
	disc := make(chan error, 4)
	reco := make(chan struct{}, 4)
	closed := make(chan struct{})
	nc, err := Connect(s.URL,
		MaxReconnects(-1), ReconnectWait(50*time.Millisecond), ReconnectJitter(10*time.Millisecond, 10*time.Millisecond),
		DisconnectErrHandler(func(_ *Conn, err error) { disc <- err }),
		ReconnectHandler(func(c *Conn) { reco <- struct{}{} }),
		ClosedHandler(func(c *Conn) { close(closed) }),
		ReconnectBufSize(1<<20))
	if err != nil {
		t.Fatal(err)
	}
	sub, _ := nc.SubscribeSync("reco.foo")
	statuses := nc.StatusChanged(RECONNECTING, CONNECTED, CLOSED)
	nc.Flush()
	s.Stop()
	select {
	case <-disc:
	case <-time.After(5 * time.Second):
		t.Fatal("no disconnect")
	}
	waitFor(t, 2*time.Second, nc.IsReconnecting)
	// Published while disconnected: buffered and sent after the reconnect.
	if err := nc.Publish("reco.foo", []byte("buffered")); err != nil {
		t.Fatal(err)
	}
	s.Restart(t)
	select {
	case <-reco:
	case <-time.After(10 * time.Second):
		t.Fatal("no reconnect")
	}
	if m, err := sub.NextMsg(5 * time.Second); err != nil || string(m.Data) != "buffered" {
		t.Fatalf("%v %v", m, err)
	}
	if nc.Stats().Reconnects != 1 {
		t.Fatalf("reconnects %d", nc.Stats().Reconnects)
	}
	nc.Close()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("closed handler not called")
	}
	var seen []Status
	for len(seen) < 3 {
		select {
		case st := <-statuses:
			seen = append(seen, st)
		case <-time.After(2 * time.Second):
			t.Fatalf("status changes %v", seen)
		}
	}
	if seen[0] != RECONNECTING || seen[1] != CONNECTED || seen[2] != CLOSED {
		t.Fatalf("status changes %v", seen)
	}
	nc.RemoveStatusListener(statuses)
}

func TestRetryOnFailedConnect(t *testing.T) {
	port := freePort()
	url := fmt.Sprintf("nats://127.0.0.1:%d", port)
	reco := make(chan struct{}, 1)
	conn := make(chan struct{}, 1)
	var delays atomic.Int32
	nc, err := Connect(url,
		RetryOnFailedConnect(true),
		MaxReconnects(10),
		ReconnectWait(50*time.Millisecond),
		CustomReconnectDelay(func(attempts int) time.Duration { delays.Add(1); return 50 * time.Millisecond }),
		ReconnectHandler(func(_ *Conn) { reco <- struct{}{} }),
		ConnectHandler(func(_ *Conn) { conn <- struct{}{} }))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if nc.IsConnected() {
		t.Fatal("connected without a server")
	}
	if err := nc.Publish("retry.foo", []byte("early")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(150 * time.Millisecond)
	s, err := runServer(port)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	// As nats.go (1.55): the first connect made in the background runs the ConnectHandler
	// only (the ReconnectHandler when no ConnectHandler is set: seedtest's Advanced Usage),
	// and counts as a reconnect in Stats.
	select {
	case <-conn:
	case <-time.After(10 * time.Second):
		t.Fatal("ConnectHandler not called for the first asynchronous connect")
	}
	select {
	case <-reco:
		t.Fatal("ReconnectHandler called for the first asynchronous connect")
	case <-time.After(100 * time.Millisecond):
	}
	if r := nc.Stats().Reconnects; r != 1 {
		t.Fatalf("Reconnects=%d, want 1 (as nats.go)", r)
	}
	if !nc.IsConnected() || delays.Load() == 0 {
		t.Fatalf("connected=%v delays=%d", nc.IsConnected(), delays.Load())
	}
}

func TestClusterDiscoveryAndLameDuck(t *testing.T) {
	p1, p2 := freePort(), freePort()
	routes := fmt.Sprintf("nats://127.0.0.1:%d,nats://127.0.0.1:%d", p1, p2)
	s1 := startServer(t, "--cluster_name", "c", "--cluster", fmt.Sprintf("nats://127.0.0.1:%d", p1), "--routes", routes)
	discovered := make(chan struct{}, 4)
	ldm := make(chan struct{}, 1)
	nc, err := Connect(s1.URL, DontRandomize(),
		DiscoveredServersHandler(func(*Conn) { discovered <- struct{}{} }),
		LameDuckModeHandler(func(*Conn) { ldm <- struct{}{} }))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	s2 := startServer(t, "--cluster_name", "c", "--cluster", fmt.Sprintf("nats://127.0.0.1:%d", p2), "--routes", routes)
	select {
	case <-discovered:
	case <-time.After(10 * time.Second):
		t.Fatal("no discovered servers")
	}
	waitFor(t, 5*time.Second, func() bool { return len(nc.DiscoveredServers()) >= 1 && len(nc.Servers()) >= 2 })
	_ = s2
	// Lame duck mode on the connected server.
	if err := s1.cmd.Process.Signal(sigLameDuck); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ldm:
	case <-time.After(10 * time.Second):
		t.Fatal("no lame duck notification")
	}
}

func TestUserJWTAndSeedAndCredentialBytes(t *testing.T) {
	dir := testPKI(t)
	s := startServer(t, "-c", filepath.Join(dir, "operator.conf"))
	creds, err := os.ReadFile(filepath.Join(dir, "user.creds"))
	if err != nil {
		t.Fatal(err)
	}
	nc, err := Connect(s.URL, UserCredentialBytes(creds))
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()
	jwt, _ := os.ReadFile(filepath.Join(dir, "user.jwt"))
	seed, _ := os.ReadFile(filepath.Join(dir, "user.seed"))
	nc, err = Connect(s.URL, UserCredentialBytes(jwt, seed))
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()
	j, _ := credsSection(jwt, "JWT")
	sd, _ := credsSection(seed, "SEED")
	nc, err = Connect(s.URL, UserJWTAndSeed(j, sd))
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()
	// Corrupt a character in the middle (the last one may carry only padding bits), whatever
	// the generated seed has there.
	const at = 10
	repl := "A"
	if sd[at:at+1] == repl {
		repl = "B"
	}
	if _, err := userSeedKey(sd[:at] + repl + sd[at+1:]); err == nil {
		t.Fatal("corrupted seed accepted")
	}
}
