package seedtest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libnatsrs/natsrs/bindings/go"
)

// ## Basic usage
func TestSeedBasicUsage(t *testing.T) {
	timeout := 100 * time.Millisecond // (test scaffolding: the README leaves it undefined)

	nc, _ := nats.Connect(serverURL) // SEED EDIT: nats.DefaultURL -> serverURL

	// Simple Publisher
	nc.Publish("foo", []byte("Hello World"))

	// Simple Async Subscriber
	nc.Subscribe("foo", func(m *nats.Msg) {
		fmt.Printf("Received a message: %s\n", string(m.Data))
	})

	// Responding to a request message
	nc.Subscribe("request", func(m *nats.Msg) {
		m.Respond([]byte("answer is 42"))
	})

	// Simple Sync Subscriber
	sub, err := nc.SubscribeSync("foo")
	m, err := sub.NextMsg(timeout)

	// Channel Subscriber
	ch := make(chan *nats.Msg, 64)
	sub, err = nc.ChanSubscribe("foo", ch)   // SEED EDIT: ":=" -> "=" (no new variables; nats.go does not compile it either)
	nc.Publish("foo", []byte("Hello World")) // (test scaffolding: otherwise the next line waits forever)
	msg := <-ch

	// Unsubscribe
	sub.Unsubscribe()

	// Drain
	sub.Drain()

	// Requests
	msg, err = nc.Request("help", []byte("help me"), 10*time.Millisecond) // SEED EDIT: ":=" -> "="

	// Replies
	nc.Subscribe("help", func(m *nats.Msg) {
		nc.Publish(m.Reply, []byte("I can help!"))
	})

	// Drain connection (Preferred for responders)
	// Close() not needed if this is called.
	nc.Drain()

	// Close connection
	nc.Close()

	// (test checks)
	if msg == nil && err == nil {
		t.Fatal("no message")
	}
	if !errors.Is(err, nats.ErrNoResponders) && !errors.Is(err, nats.ErrTimeout) {
		t.Fatalf("request before any responder: %v", err)
	}
	_ = m
	if !nc.IsClosed() {
		t.Fatal("not closed")
	}
}

// ## Encoded Connections
type person struct {
	Name    string
	Address string
	Age     int
}

func TestSeedEncodedConnections(t *testing.T) {
	nc, _ := nats.Connect(serverURL) // SEED EDIT: nats.DefaultURL -> serverURL
	c, _ := nats.NewEncodedConn(nc, nats.JSON_ENCODER)
	defer c.Close()

	// Simple Publisher
	c.Publish("foo", "Hello World")

	// Simple Async Subscriber
	c.Subscribe("foo", func(s string) {
		fmt.Printf("Received a message: %s\n", s)
	})

	// EncodedConn can Publish any raw Go type using the registered Encoder
	// (type person: declared at package level above, SEED EDIT: local types cannot be used before
	// the closures that refer to them are declared in the same way in a test function)

	got := make(chan *person, 1) // (test scaffolding)
	// Go type Subscriber
	c.Subscribe("hello", func(p *person) {
		fmt.Printf("Received a person: %+v\n", p)
		got <- p
	})
	c.Flush() // (test scaffolding: the subscription is on the server before the publish)

	me := &person{Name: "derek", Age: 22, Address: "140 New Montgomery Street, San Francisco, CA"}

	// Go type Publisher
	c.Publish("hello", me)

	// Unsubscribe
	sub, err := c.Subscribe("foo", nil)
	// ...
	if err == nil { // SEED EDIT: a nil handler is an error (in nats.go too), sub is nil
		sub.Unsubscribe()
	}

	// Requests
	c.Subscribe("help", func(subj, reply string, msg string) { // (test scaffolding: the responder first)
		c.Publish(reply, "I can help!")
	})
	c.Flush()
	var response string
	err = c.Request("help", "help me", &response, 10*time.Millisecond)
	if err != nil {
		fmt.Printf("Request failed: %v\n", err)
	}

	// Replying
	c.Subscribe("help", func(subj, reply string, msg string) {
		c.Publish(reply, "I can help!")
	})

	// (test checks)
	select {
	case p := <-got:
		if *p != *me {
			t.Fatalf("person %+v", p)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no person")
	}
	if err != nil || response != "I can help!" {
		t.Fatalf("request: %q %v", response, err)
	}

	// Close connection
	c.Close()
}

// ## Using Go Channels (netchan)
func TestSeedNetchan(t *testing.T) {
	nc, _ := nats.Connect(serverURL) // SEED EDIT: nats.DefaultURL -> serverURL
	ec, _ := nats.NewEncodedConn(nc, nats.JSON_ENCODER)
	defer ec.Close()

	type person struct {
		Name    string
		Address string
		Age     int
	}

	recvCh := make(chan *person)
	ec.BindRecvChan("hello", recvCh)

	sendCh := make(chan *person)
	ec.BindSendChan("hello", sendCh)

	me := &person{Name: "derek", Age: 22, Address: "140 New Montgomery Street"}

	ec.Flush() // (test scaffolding)
	// Send via Go channels
	sendCh <- me

	// Receive via Go channels
	who := <-recvCh

	if *who != *me { // (test check)
		t.Fatalf("%+v", who)
	}
}

// ## Wildcard Subscriptions
func TestSeedWildcards(t *testing.T) {
	nc, _ := nats.Connect(serverURL) // (test scaffolding: the README block uses an existing nc)
	defer nc.Close()
	var n atomic.Int32 // (test scaffolding)

	// "*" matches any token, at any level of the subject.
	nc.Subscribe("foo.*.baz", func(m *nats.Msg) { // SEED EDIT: *Msg -> *nats.Msg (outside package nats)
		fmt.Printf("Msg received on [%s] : %s\n", m.Subject, string(m.Data))
		n.Add(1)
	})

	nc.Subscribe("foo.bar.*", func(m *nats.Msg) { // SEED EDIT: *Msg -> *nats.Msg
		fmt.Printf("Msg received on [%s] : %s\n", m.Subject, string(m.Data))
		n.Add(1)
	})

	// ">" matches any length of the tail of a subject, and can only be the last token
	// E.g. 'foo.>' will match 'foo.bar', 'foo.bar.baz', 'foo.foo.bar.bax.22'
	nc.Subscribe("foo.>", func(m *nats.Msg) { // SEED EDIT: *Msg -> *nats.Msg
		fmt.Printf("Msg received on [%s] : %s\n", m.Subject, string(m.Data))
		n.Add(1)
	})
	nc.Flush() // (test scaffolding)

	// Matches all of the above
	nc.Publish("foo.bar.baz", []byte("Hello World"))

	deadline := time.Now().Add(2 * time.Second) // (test check)
	for n.Load() != 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n.Load() != 3 {
		t.Fatalf("got %d of 3", n.Load())
	}
}

// ## Queue Groups
func TestSeedQueueGroups(t *testing.T) {
	nc, _ := nats.Connect(serverURL) // (test scaffolding)
	defer nc.Close()
	var received atomic.Int32 // (test scaffolding: an int in the README; atomic for -race)

	// All subscriptions with the same queue name will form a queue group.
	// Each message will be delivered to only one subscriber per queue group,
	// using queuing semantics. You can have as many queue groups as you wish.
	// Normal subscribers will continue to work as expected.

	nc.QueueSubscribe("foo", "job_workers", func(_ *nats.Msg) { // SEED EDIT: *Msg -> *nats.Msg
		received.Add(1) // SEED EDIT: received += 1 (atomic for -race)
	})
	nc.QueueSubscribe("foo", "job_workers", func(_ *nats.Msg) { received.Add(1) }) // (test: a second member)
	nc.Flush()
	for i := 0; i < 10; i++ {
		nc.Publish("foo", nil)
	}
	nc.Flush()
	time.Sleep(100 * time.Millisecond)
	if received.Load() != 10 {
		t.Fatalf("received %d, want 10 (once per message)", received.Load())
	}
}

// ## Advanced Usage
func TestSeedAdvancedUsage(t *testing.T) {
	reconnected := make(chan struct{}, 1) // (test scaffolding)
	port := freePort()                    // (test scaffolding: no server yet -> RetryOnFailedConnect)
	url := fmt.Sprintf("nats://127.0.0.1:%d", port)

	// Normally, the library will return an error when trying to connect and
	// there is no server running. The RetryOnFailedConnect option will set
	// the connection in reconnecting state if it failed to connect right away.
	nc, err := nats.Connect(url, // SEED EDIT: nats.DefaultURL -> url
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(10),
		nats.ReconnectWait(100*time.Millisecond), // SEED EDIT: time.Second -> 100ms (test time)
		nats.ReconnectHandler(func(_ *nats.Conn) {
			// Note that this will be invoked for the first asynchronous connect.
			reconnected <- struct{}{}
		}))
	if err != nil {
		// Should not return an error even if it can't connect, but you still
		// need to check in case there are some configuration errors.
		t.Fatal(err)
	}
	s, err := runServer(port) // (test scaffolding)
	if err != nil {
		t.Fatal(err)
	}
	defer s.stop()
	select {
	case <-reconnected:
	case <-time.After(10 * time.Second):
		t.Fatal("ReconnectHandler not invoked for the first asynchronous connect")
	}

	// Flush connection to server, returns when all messages have been processed.
	nc.Flush()
	fmt.Println("All clear!")

	// FlushTimeout specifies a timeout value as well.
	err = nc.FlushTimeout(1 * time.Second) // SEED EDIT: ":=" -> "="
	if err != nil {
		fmt.Println("All clear!")
	} else {
		fmt.Println("Flushed timed out!")
	}

	// Auto-unsubscribe after MAX_WANTED messages received
	const MAX_WANTED = 10
	sub, err := nc.SubscribeSync("foo") // SEED EDIT: nc.Subscribe("foo") has no handler (does not compile with nats.go)
	sub.AutoUnsubscribe(MAX_WANTED)

	// Multiple connections
	nc1, _ := nats.Connect(url) // SEED EDIT: nats.Connect returns (nc, err); "nats://host1:4222" -> url
	nc2, _ := nats.Connect(url) // SEED EDIT: same

	got := make(chan struct{}, 1)            // (test scaffolding)
	nc1.Subscribe("foo", func(m *nats.Msg) { // SEED EDIT: *Msg -> *nats.Msg
		fmt.Printf("Received a message: %s\n", string(m.Data))
		got <- struct{}{}
	})
	nc1.Flush()

	nc2.Publish("foo", []byte("Hello World!"))

	select { // (test checks)
	case <-got:
	case <-time.After(2 * time.Second):
		t.Fatal("nc1 got nothing")
	}
	for i := 0; i < MAX_WANTED; i++ {
		if _, err := sub.NextMsg(time.Second); err != nil && i == 0 {
			t.Fatal(err)
		}
	}
	nc.Close()
	nc1.Close()
	nc2.Close()
}

func someBackoffFunction(attempts int) time.Duration {
	return time.Duration(attempts) * 10 * time.Millisecond
}

// ## Clustered Usage
func TestSeedClusteredUsage(t *testing.T) {
	p := []int{freePort(), freePort(), freePort()} // (test scaffolding: a 3-node cluster)
	c := []int{freePort(), freePort(), freePort()}
	routes := fmt.Sprintf("nats://127.0.0.1:%d,nats://127.0.0.1:%d,nats://127.0.0.1:%d", c[0], c[1], c[2])
	for i := range p {
		s, err := runServer(p[i], "--cluster_name", "seed", "--cluster", fmt.Sprintf("nats://127.0.0.1:%d", c[i]), "--routes", routes, "--user", "foo", "--pass", "bar")
		if err != nil {
			t.Fatal(err)
		}
		defer s.stop()
	}

	var servers = fmt.Sprintf("nats://127.0.0.1:%d, nats://127.0.0.1:%d, nats://127.0.0.1:%d", p[0], p[1], p[2]) // SEED EDIT: ports

	nc, err := nats.Connect(servers, nats.UserInfo("foo", "bar")) // SEED EDIT: the servers need auth (for the block below)
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()

	// Optionally set ReconnectWait and MaxReconnect attempts.
	// This example means 10 seconds total per backend.
	nc, err = nats.Connect(servers, nats.MaxReconnects(5), nats.ReconnectWait(2*time.Second), nats.UserInfo("foo", "bar"))
	nc.Close()

	// Optionally disable randomization of the server pool
	nc, err = nats.Connect(servers, nats.ReconnectJitter(500*time.Millisecond, 2*time.Second), nats.UserInfo("foo", "bar"))
	nc.Close()

	// You can also specify a custom reconnect delay handler.
	nc, err = nats.Connect(servers, nats.CustomReconnectDelay(func(attempts int) time.Duration {
		return someBackoffFunction(attempts)
	}), nats.UserInfo("foo", "bar"))
	nc.Close()

	// Optionally disable randomization of the server pool
	nc, err = nats.Connect(servers, nats.DontRandomize(), nats.UserInfo("foo", "bar"))
	nc.Close()

	// Setup callbacks to be notified on disconnects, reconnects and connection closed.
	closed := make(chan struct{}) // (test scaffolding)
	nc, err = nats.Connect(servers,
		nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
			fmt.Printf("Got disconnected! Reason: %q\n", err)
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			fmt.Printf("Got reconnected to %v!\n", nc.ConnectedUrl())
		}),
		nats.ClosedHandler(func(nc *nats.Conn) {
			fmt.Printf("Connection closed. Reason: %q\n", nc.LastError())
			close(closed)
		}), // SEED EDIT: trailing comma (a syntax error without it)
		nats.UserInfo("foo", "bar"),
	)
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()
	<-closed

	// When connecting to a mesh of servers with auto-discovery capabilities,
	// you may need to provide a username/password or token in order to connect
	// to any server in that mesh when authentication is required.
	// Instead of providing the credentials in the initial URL, you will use
	// new option setters:
	nc, err = nats.Connect(fmt.Sprintf("nats://127.0.0.1:%d", p[0]), nats.UserInfo("foo", "bar")) // SEED EDIT: port
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()

	// For token based authentication:
	ts := startServer(t, "--auth", "S3cretT0ken") // (test scaffolding)
	nc, err = nats.Connect(ts.url, nats.Token("S3cretT0ken"))
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()

	// You can even pass the two at the same time in case one of the server
	// in the mesh requires token instead of user name and password.
	nc, err = nats.Connect(ts.url,
		nats.UserInfo("foo", "bar"),
		nats.Token("S3cretT0ken"))
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()

	// Note that if credentials are specified in the initial URLs, they take
	// precedence on the credentials specified through the options.
	nc, err = nats.Connect(fmt.Sprintf("nats://foo:bar@127.0.0.1:%d", p[0]), nats.UserInfo("my", "pwd")) // SEED EDIT: the server's user is foo/bar
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()
}

// ## Context support
func TestSeedContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()

	nc, err := nats.Connect(serverURL) // SEED EDIT: nats.DefaultURL -> serverURL
	defer nc.Close()
	nc.Subscribe("foo", func(m *nats.Msg) { m.Respond([]byte(`{"code":42}`)) }) // (test: a responder)
	nc.Flush()

	// Request with context
	msg, err := nc.RequestWithContext(ctx, "foo", []byte("bar"))
	if err != nil || string(msg.Data) != `{"code":42}` {
		t.Fatalf("%v %v", msg, err)
	}

	// Synchronous subscriber with context
	sub, err := nc.SubscribeSync("foo")
	nc.Publish("foo", []byte("x"))         // (test scaffolding)
	msg, err = sub.NextMsgWithContext(ctx) // SEED EDIT: ":=" -> "="
	if err != nil || string(msg.Data) != "x" {
		t.Fatalf("%v %v", msg, err)
	}
	sub.Unsubscribe()

	// Encoded Request with context
	c, err := nats.NewEncodedConn(nc, nats.JSON_ENCODER)
	type request struct {
		Message string `json:"message"`
	}
	type response struct {
		Code int `json:"code"`
	}
	req := &request{Message: "Hello"}
	resp := &response{}
	err = c.RequestWithContext(ctx, "foo", req, resp) // SEED EDIT: ":=" -> "="
	if err != nil || resp.Code != 42 {
		t.Fatalf("%+v %v", resp, err)
	}
}

// pki returns the directory of the repository's test security material, or skips.
func pki(t *testing.T) string {
	d := os.Getenv("NATSRS_TEST_PKI")
	if d == "" {
		t.Skip("NATSRS_TEST_PKI not set (scripts/test.sh sets it)")
	}
	return d
}

// ## Authentication (Nkeys and User Credentials)
func TestSeedAuthentication(t *testing.T) {
	dir := pki(t)
	op := startServer(t, "-c", filepath.Join(dir, "operator.conf"))
	url := op.url

	nc, err := nats.Connect(url, nats.UserCredentials(filepath.Join(dir, "user.creds"))) // SEED EDIT: file paths
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()

	nc, err = nats.Connect(url, nats.UserCredentials(filepath.Join(dir, "user.jwt"), filepath.Join(dir, "user.seed"))) // SEED EDIT: ":=" -> "=", paths
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()

	nk := startServer(t, "-c", filepath.Join(dir, "nkey.conf"))
	serverUrl := nk.url
	opt, err := nats.NkeyOptionFromSeed(filepath.Join(dir, "user.nk")) // SEED EDIT: path
	nc, err = nats.Connect(serverUrl, opt)                             // SEED EDIT: ":=" -> "="
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()
	// (UserJWT(jwtCB, sigCB) and Nkey(pubNkey, sigCB) need a signing function: the binding's own
	// tests cover them with ed25519 keys.)
}

// ## TLS
func TestSeedTLS(t *testing.T) {
	dir := pki(t)
	s := startServer(t, "-c", filepath.Join(dir, "tls.conf"))
	tlsURL := fmt.Sprintf("tls://localhost:%d", s.port)

	// If you are using a self-signed certificate, you need to have a tls.Config with RootCAs setup.
	// We provide a helper method to make this case easier.
	nc, err := nats.Connect(tlsURL, nats.RootCAs(filepath.Join(dir, "ca.pem")), // SEED EDIT: URL, path
		nats.ClientCert(filepath.Join(dir, "client-cert.pem"), filepath.Join(dir, "client-key.pem"))) // (the test server requires a client certificate)
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()

	// If the server requires client certificate, there is an helper function for that too:
	cert := nats.ClientCert(filepath.Join(dir, "client-cert.pem"), filepath.Join(dir, "client-key.pem"))
	nc, err = nats.Connect(tlsURL, cert, nats.RootCAs(filepath.Join(dir, "ca.pem")))
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()

	// You can also supply a complete tls.Config
	certFile := filepath.Join(dir, "client-cert.pem")
	keyFile := filepath.Join(dir, "client-key.pem")
	cert2, err := tls.LoadX509KeyPair(certFile, keyFile) // SEED EDIT: cert -> cert2 (cert is an Option above)
	if err != nil {
		t.Fatalf("error parsing X509 certificate/key pair: %v", err)
	}
	pool := x509.NewCertPool() // (test scaffolding: the README leaves pool undefined)
	caPEM, _ := os.ReadFile(filepath.Join(dir, "ca.pem"))
	pool.AppendCertsFromPEM(caPEM)

	config := &tls.Config{
		ServerName:   "localhost", // SEED EDIT: opts.Host
		Certificates: []tls.Certificate{cert2},
		RootCAs:      pool,
		MinVersion:   tls.VersionTLS12,
	}

	nc, err = nats.Connect(fmt.Sprintf("nats://localhost:%d", s.port), nats.Secure(config))
	if err != nil {
		t.Fatalf("Got an error on Connect with Secure Options: %+v\n", err)
	}
	nc.Close()
}
