package nats

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"
)

type testDialer struct{}

func (testDialer) Dial(network, address string) (net.Conn, error) { return net.Dial(network, address) }

type testInProcess struct{}

func (testInProcess) InProcessConn() (net.Conn, error) { return nil, errors.New("none") }

func TestCompatOptionsThatCannotBeHonouredFailConnect(t *testing.T) {
	for name, opt := range map[string]Option{
		"SetCustomDialer":   SetCustomDialer(testDialer{}),
		"InProcessServer":   InProcessServer(testInProcess{}),
		"ClientTLSConfig":   ClientTLSConfig(func() (tls.Certificate, error) { return tls.Certificate{}, nil }, nil),
		"ClientTLSConfigCA": ClientTLSConfig(nil, func() (*x509.CertPool, error) { return x509.NewCertPool(), nil }),
		"ReconnectToServer": ReconnectToServer(func([]Server, ServerInfo) (*Server, time.Duration) { return nil, 0 }),
	} {
		nc, err := Connect(defaultServer.URL, opt)
		if !errors.Is(err, ErrNotSupported) {
			if nc != nil {
				nc.Close()
			}
			t.Fatalf("%s: expected ErrNotSupported, got %v", name, err)
		}
	}
	if _, err := Connect(defaultServer.URL, ClientTLSConfig(nil, nil)); !errors.Is(err, ErrClientCertOrRootCAsRequired) {
		t.Fatalf("ClientTLSConfig(nil, nil): %v", err)
	}
}

func TestCompatOptionsWithoutEffectConnect(t *testing.T) {
	nc := connect(t, Compression(true), ProxyPath("/ws"), WriteBufferSize(1<<16), SkipHostLookup(),
		SkipSubjectValidation(), IgnoreAuthErrorAbort(), ReconnectOnFlusherError(),
		PermissionErrOnSubscribe(true), MultipathTCP(true),
		WebSocketConnectionHeaders(http.Header{"X": []string{"y"}}))
	sub, err := nc.SubscribeSync("compat.noeffect")
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Publish("compat.noeffect", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if m, err := sub.NextMsg(5 * time.Second); err != nil || string(m.Data) != "x" {
		t.Fatalf("%v %v", m, err)
	}
	if !nc.Opts.Compression || nc.Opts.WriteBufferSize != 1<<16 || !nc.Opts.SkipHostLookup {
		t.Fatalf("options not recorded: %+v", nc.Opts)
	}
	_, err = Connect(defaultServer.URL, WebSocketConnectionHeaders(http.Header{}),
		WebSocketConnectionHeadersHandler(func() (http.Header, error) { return nil, nil }))
	if !errors.Is(err, ErrWebSocketHeadersAlreadySet) {
		t.Fatalf("expected ErrWebSocketHeadersAlreadySet, got %v", err)
	}
}

func TestCompatDefaultOptionsConnect(t *testing.T) {
	opts := DefaultOptions
	opts.Url = defaultServer.URL
	nc, err := opts.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if !nc.IsConnected() || DefaultOptions.Url != "" {
		t.Fatalf("connected %v, DefaultOptions.Url %q", nc.IsConnected(), DefaultOptions.Url)
	}
}

func TestCompatDecodeHeadersMsg(t *testing.T) {
	h, err := DecodeHeadersMsg([]byte("NATS/1.0\r\nA: 1\r\nA: 2\r\nB: x y\r\n\r\n"))
	if err != nil || h.Get("B") != "x y" || len(h.Values("A")) != 2 {
		t.Fatalf("%v %v", h, err)
	}
	h, err = DecodeHeadersMsg([]byte("NATS/1.0 503\r\n\r\n"))
	if err != nil || h.Get("Status") != "503" {
		t.Fatalf("%v %v", h, err)
	}
	if _, err := DecodeHeadersMsg([]byte("HTTP/1.1 200\r\n\r\n")); !errors.Is(err, ErrBadHeaderMsg) {
		t.Fatalf("expected ErrBadHeaderMsg, got %v", err)
	}
}

func TestCompatStreamInfoRequest(t *testing.T) {
	_, js := jsConn(t)
	name := jsStream(t, js)
	for i := 0; i < 3; i++ {
		if _, err := js.Publish(name+".a", []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := js.Publish(name+".b", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := js.DeleteMsg(name, 2); err != nil {
		t.Fatal(err)
	}
	si, err := js.StreamInfo(name, &StreamInfoRequest{SubjectsFilter: ">", DeletedDetails: true})
	if err != nil {
		t.Fatal(err)
	}
	if si.State.Subjects[name+".a"] != 2 || si.State.Subjects[name+".b"] != 1 || len(si.State.Deleted) != 1 || si.State.Deleted[0] != 2 {
		t.Fatalf("subjects %v deleted %v", si.State.Subjects, si.State.Deleted)
	}
	si, err = js.StreamInfo(name, &StreamInfoRequest{SubjectsFilter: name + ".b"})
	if err != nil || len(si.State.Subjects) != 1 || si.Config.Name != name {
		t.Fatalf("%+v %v", si, err)
	}
	// without details: the core's stream info (no subject counts)
	si, err = js.StreamInfo(name)
	if err != nil || len(si.State.Subjects) != 0 || si.State.Msgs != 3 {
		t.Fatalf("%+v %v", si, err)
	}
	if _, err := js.StreamInfo("NOPE_"+name, &StreamInfoRequest{SubjectsFilter: ">"}); !errors.Is(err, ErrStreamNotFound) {
		t.Fatalf("expected ErrStreamNotFound, got %v", err)
	}
}

func TestCompatJetStreamOptionsNotSupported(t *testing.T) {
	nc, js := jsConn(t)
	name := jsStream(t, js)
	if _, err := js.Publish(name+".a", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := js.GetMsg(name, 1, DirectGetNext(name+".a")); !errors.Is(err, ErrNotSupported) {
		t.Fatalf("DirectGetNext: %v", err)
	}
	if _, err := nc.JetStream(ClientTrace{}); !errors.Is(err, ErrNotSupported) {
		t.Fatalf("ClientTrace: %v", err)
	}
	if _, err := js.StreamInfo(name, UseLegacyDurableConsumers()); err != nil {
		t.Fatalf("UseLegacyDurableConsumers: %v", err)
	}
	var seqErr error = &ErrConsumerSequenceMismatch{StreamResumeSequence: 5, ConsumerSequence: 3, LastConsumerSequence: 4}
	if seqErr.Error() == "" {
		t.Fatal("empty error text")
	}
}
