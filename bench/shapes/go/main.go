// nats.go side of the shapes harness. Usage: shapes_natsgo <shape> <url>  -> one JSON line.
// Shapes: fanout_1conn fanout_100conn req32 conns1000 subs10k (same sizes and bounds as the C
// programs in bench/shapes). Default options everywhere.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
)

const (
	fanoutSubs     = 100
	fanoutMsgs     = 10000
	fanoutSize     = 16
	reqThreads     = 32
	reqPerThread   = 3000
	reqSize        = 16
	numConns       = 1000
	numSubs        = 10000
	stallTimeout   = 3 * time.Second
	hardTimeout    = 60 * time.Second
	requestTimeout = 5 * time.Second
)

const client = "natsgo"

func secs() time.Duration {
	if v, err := strconv.ParseFloat(os.Getenv("SHAPES_SECS"), 64); err == nil && v > 0 {
		return time.Duration(v * float64(time.Second))
	}
	return 3 * time.Second
}

func cpuNs() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// procStatus returns VmRSS (kB) and Threads from /proc/self/status.
func procStatus() (rss, threads int64) {
	rss, threads = -1, -1
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			rss, _ = strconv.ParseInt(strings.Fields(v)[0], 10, 64)
		}
		if v, ok := strings.CutPrefix(l, "Threads:"); ok {
			threads, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	return
}

func die(what string, err error) {
	fmt.Fprintf(os.Stderr, "shapes_natsgo: %s: %v\n", what, err)
	os.Exit(2)
}

func connect(url string) *nats.Conn {
	nc, err := nats.Connect(url)
	if err != nil {
		die("connect", err)
	}
	return nc
}

func emit(shape string, kv map[string]any) {
	kv["client"] = client
	kv["shape"] = shape
	b, _ := json.Marshal(kv)
	fmt.Println(string(b))
}

// waitCount waits until *c reaches target, or stallTimeout passes without progress, or
// hardTimeout since start; returns the time of the last progress and whether it fell short.
func waitCount(c *atomic.Uint64, target uint64, start time.Time) (time.Time, bool) {
	last, lastT := c.Load(), time.Now()
	for {
		v, now := c.Load(), time.Now()
		if v >= target {
			return now, false
		}
		if v != last {
			last, lastT = v, now
		}
		if now.Sub(lastT) > stallTimeout || now.Sub(start) > hardTimeout {
			return lastT, true
		}
		time.Sleep(200 * time.Microsecond)
	}
}

func fanout(url string, separate bool, shape string) {
	var got atomic.Uint64
	nconn := 1
	if separate {
		nconn = fanoutSubs
	}
	conns := make([]*nats.Conn, nconn)
	for i := range conns {
		conns[i] = connect(url)
	}
	subs := make([]*nats.Subscription, fanoutSubs)
	for i := range subs {
		c := conns[0]
		if separate {
			c = conns[i]
		}
		s, err := c.Subscribe("shapes.fan", func(*nats.Msg) { got.Add(1) })
		if err != nil {
			die("subscribe", err)
		}
		subs[i] = s
	}
	for _, c := range conns {
		if err := c.FlushTimeout(10 * time.Second); err != nil {
			die("flush", err)
		}
	}
	pc := connect(url)
	pc.FlushTimeout(10 * time.Second)
	payload := make([]byte, fanoutSize)
	for i := range payload {
		payload[i] = 'x'
	}
	limit := secs()
	var sent uint64
	c0, t0 := cpuNs(), time.Now()
	for sent < fanoutMsgs {
		if err := pc.Publish("shapes.fan", payload); err != nil {
			die("publish", err)
		}
		sent++
		if sent&63 == 0 && time.Since(t0) >= limit {
			break
		}
	}
	if err := pc.FlushTimeout(30 * time.Second); err != nil {
		die("flush", err)
	}
	t1, timedOut := waitCount(&got, sent*fanoutSubs, t0)
	c1, n := cpuNs(), got.Load()
	s := t1.Sub(t0).Seconds()
	cpu := -1.0
	if n > 0 {
		cpu = float64(c1-c0) / float64(n)
	}
	emit(shape, map[string]any{"subs": fanoutSubs, "conns": nconn, "size": fanoutSize, "sent": sent, "delivered": n,
		"expected": sent * fanoutSubs, "secs": s, "rate": float64(n) / s, "cpu_ns_per_delivery": cpu, "timed_out": timedOut})
	for _, sb := range subs {
		sb.Unsubscribe()
	}
	for _, c := range conns {
		c.Close()
	}
	pc.Close()
}

func req32(url string) {
	rc, qc := connect(url), connect(url)
	sub, err := rc.Subscribe("shapes.rr", func(m *nats.Msg) { m.Respond(m.Data) })
	if err != nil {
		die("subscribe", err)
	}
	rc.FlushTimeout(10 * time.Second)
	payload := make([]byte, reqSize)
	for i := range payload {
		payload[i] = 'x'
	}
	for i := 0; i < 200; i++ {
		if _, err := qc.Request("shapes.rr", payload, requestTimeout); err != nil {
			die("warm-up request", err)
		}
	}
	lats := make([][]time.Duration, reqThreads)
	var errs atomic.Uint64
	var wg sync.WaitGroup
	c0, t0 := cpuNs(), time.Now()
	deadline := t0.Add(secs())
	for w := 0; w < reqThreads; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			l := make([]time.Duration, 0, reqPerThread)
			for i := 0; i < reqPerThread; i++ {
				s := time.Now()
				if _, err := qc.Request("shapes.rr", payload, requestTimeout); err != nil {
					errs.Add(1)
				} else {
					l = append(l, time.Since(s))
				}
				if !time.Now().Before(deadline) {
					break
				}
			}
			lats[w] = l
		}(w)
	}
	wg.Wait()
	t1, c1 := time.Now(), cpuNs()
	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	pct := func(p float64) float64 {
		if len(all) == 0 {
			return -1
		}
		return float64(all[int(p*float64(len(all)-1)+0.5)].Nanoseconds()) / 1000
	}
	s := t1.Sub(t0).Seconds()
	cpu := -1.0
	if len(all) > 0 {
		cpu = float64(c1-c0) / float64(len(all))
	}
	emit("req32", map[string]any{"threads": reqThreads, "requests": len(all), "errors": errs.Load(), "secs": s,
		"rate": float64(len(all)) / s, "p50_us": pct(0.5), "p99_us": pct(0.99), "cpu_ns_per_request": cpu})
	sub.Unsubscribe()
	qc.Close()
	rc.Close()
}

func conns1000(url string) {
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) == nil && rl.Cur < rl.Max {
		rl.Cur = rl.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl)
	}
	rss0, thr0 := procStatus()
	cs := make([]*nats.Conn, 0, numConns)
	failure := ""
	t0 := time.Now()
	for len(cs) < numConns {
		nc, err := nats.Connect(url)
		if err != nil {
			failure = fmt.Sprintf("connect %d of %d: %v", len(cs)+1, numConns, err)
			fmt.Fprintln(os.Stderr, failure)
			break
		}
		cs = append(cs, nc)
		if time.Since(t0) > hardTimeout && len(cs) < numConns {
			failure = fmt.Sprintf("hard deadline after %d of %d connections", len(cs), numConns)
			break
		}
	}
	t1 := time.Now()
	time.Sleep(500 * time.Millisecond)
	rss1, thr1 := procStatus()
	t2 := time.Now()
	for _, c := range cs {
		c.Close()
	}
	t3 := time.Now()
	time.Sleep(200 * time.Millisecond)
	rss2, thr2 := procStatus()
	kv := map[string]any{"conns": len(cs), "connect_ms": ms(t1.Sub(t0)), "close_ms": ms(t3.Sub(t2)),
		"rss_kb": rss1, "threads": thr1, "rss_before_kb": rss0, "threads_before": thr0,
		"rss_after_close_kb": rss2, "threads_after_close": thr2}
	if failure != "" {
		kv["error"] = failure
	}
	emit("conns1000", kv)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func subs10k(url string) {
	nc, pc := connect(url), connect(url)
	nc.FlushTimeout(10 * time.Second)
	time.Sleep(200 * time.Millisecond)
	rss0, thr0 := procStatus()
	var got atomic.Uint64
	subs := make([]*nats.Subscription, numSubs)
	t0 := time.Now()
	for i := range subs {
		s, err := nc.Subscribe(fmt.Sprintf("shapes.sub.%d", i), func(*nats.Msg) { got.Add(1) })
		if err != nil {
			die("subscribe", err)
		}
		subs[i] = s
	}
	if err := nc.FlushTimeout(60 * time.Second); err != nil {
		die("flush", err)
	}
	t1 := time.Now()
	time.Sleep(500 * time.Millisecond)
	rss1, thr1 := procStatus()
	t2 := time.Now()
	for i := range subs {
		if err := pc.Publish(fmt.Sprintf("shapes.sub.%d", i), []byte{'x'}); err != nil {
			die("publish", err)
		}
	}
	pc.FlushTimeout(30 * time.Second)
	t3, timedOut := waitCount(&got, numSubs, t2)
	t4 := time.Now()
	for _, s := range subs {
		s.Unsubscribe()
	}
	t5 := time.Now()
	emit("subs10k", map[string]any{"pool_threads": 0, "subs": numSubs, "subscribe_ms": ms(t1.Sub(t0)), "rss_kb": rss1,
		"threads": thr1, "rss_before_kb": rss0, "threads_before": thr0, "delivered": got.Load(),
		"deliver_all_ms": ms(t3.Sub(t2)), "unsubscribe_ms": ms(t5.Sub(t4)), "timed_out": timedOut})
	pc.Close()
	nc.Close()
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: shapes_natsgo <shape> <url>")
		os.Exit(2)
	}
	shape, url := os.Args[1], os.Args[2]
	switch shape {
	case "fanout_1conn":
		fanout(url, false, shape)
	case "fanout_100conn":
		fanout(url, true, shape)
	case "req32":
		req32(url)
	case "conns1000":
		conns1000(url)
	case "subs10k":
		subs10k(url)
	default:
		fmt.Fprintln(os.Stderr, "unknown shape", shape)
		os.Exit(2)
	}
}
