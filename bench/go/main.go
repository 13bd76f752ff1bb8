// Go bench for the libnatsrs harness: the Go binding (default build, client "natsrs-go") or
// nats.go (go build -tags natsgo, client "nats.go") running the same code.
//
//	go_bench <case> <url> [N]   -> one JSON line on stdout, the format of bench/natsc_bench.c
//
// Cases: pub_<size>, pubsub_<size>, reqrep; for nats.go also js_pub_sync_<mem|file>,
// js_pub_async_<mem|file>, js_fetch_<mem|file>, kv_put, kv_get, obj_put_16m, obj_get_16m
// (js_natsgo.go). Default options everywhere; BENCH_SECS limits the
// publishing time (default 2.5 s).
package main

import (
	"fmt"
	"math"
	"os"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	pubSubject = "bench.pub"
	psSubject  = "bench.ps"
	rrSubject  = "bench.rr"
	rrSize     = 16
	stall      = 2 * time.Second
)

type result struct {
	msgs      int64
	secs      float64
	size      int64
	cpuNs     int64
	p50, p99  float64
	peakRSSKB int64
	dropped   int64
	extra     string
}

func newResult() result {
	return result{msgs: -1, secs: math.NaN(), size: -1, cpuNs: -1, p50: math.NaN(), p99: math.NaN(), peakRSSKB: -1, dropped: -1}
}

func cpuNs() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return (ru.Utime.Sec+ru.Stime.Sec)*1e9 + (ru.Utime.Usec+ru.Stime.Usec)*1e3
}

func peakRSS() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Maxrss
}

func secsLimit() time.Duration {
	if v, err := strconv.ParseFloat(os.Getenv("BENCH_SECS"), 64); err == nil && v > 0 {
		return time.Duration(v * float64(time.Second))
	}
	return 2500 * time.Millisecond
}

func pd(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "null"
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

func pi(v int64) string {
	if v < 0 {
		return "null"
	}
	return strconv.FormatInt(v, 10)
}

func emit(bcase string, r result) {
	rate := math.NaN()
	if r.msgs >= 0 && r.secs > 0 {
		rate = float64(r.msgs) / r.secs
	}
	mb := math.NaN()
	if r.size >= 0 {
		mb = rate * float64(r.size) / 1e6
	}
	c := math.NaN()
	if r.cpuNs >= 0 && r.msgs > 0 {
		c = float64(r.cpuNs) / float64(r.msgs)
	}
	fmt.Printf("{\"client\":\"%s\",\"case\":\"%s\",\"msgs\":%s,\"secs\":%s,\"msgs_per_sec\":%s,"+
		"\"mb_per_sec\":%s,\"cpu_ns_per_msg\":%s,\"p50_us\":%s,\"p99_us\":%s,"+
		"\"peak_rss_kb\":%s,\"dropped\":%s%s}\n",
		clientName, bcase, pi(r.msgs), pd(r.secs), pd(rate), pd(mb), pd(c), pd(r.p50), pd(r.p99),
		pi(r.peakRSSKB), pi(r.dropped), r.extra)
}

func die(what string, err error) {
	fmt.Fprintf(os.Stderr, "go_bench (%s): %s: %v\n", clientName, what, err)
	os.Exit(2)
}

func mustConnect(url string) *Conn {
	nc, err := connect(url)
	if err != nil {
		die("connect", err)
	}
	return nc
}

func casePub(url string, size int, n uint64) result {
	r := newResult()
	nc := mustConnect(url)
	defer nc.Close()
	payload := []byte(strings.Repeat("x", size))
	if err := nc.FlushTimeout(10 * time.Second); err != nil {
		die("flush", err)
	}
	limit := secsLimit()
	c0, t0 := cpuNs(), time.Now()
	var sent uint64
	for sent < n {
		if err := nc.Publish(pubSubject, payload); err != nil {
			die("publish", err)
		}
		sent++
		if sent&255 == 0 && time.Since(t0) >= limit {
			break
		}
	}
	if err := nc.FlushTimeout(60 * time.Second); err != nil {
		die("flush", err)
	}
	r.secs = time.Since(t0).Seconds()
	r.cpuNs = cpuNs() - c0
	r.msgs = int64(sent)
	r.size = int64(size)
	r.peakRSSKB = peakRSS()
	return r
}

func casePubSub(url string, size int, n uint64) result {
	r := newResult()
	sc, pc := mustConnect(url), mustConnect(url)
	defer sc.Close()
	defer pc.Close()
	var count atomic.Uint64
	sub, err := sc.Subscribe(psSubject, func(*Msg) { count.Add(1) })
	if err != nil {
		die("subscribe", err)
	}
	sc.FlushTimeout(10 * time.Second)
	pc.FlushTimeout(10 * time.Second)
	payload := []byte(strings.Repeat("x", size))
	limit := secsLimit()
	c0, t0 := cpuNs(), time.Now()
	var sent uint64
	for sent < n {
		if err := pc.Publish(psSubject, payload); err != nil {
			die("publish", err)
		}
		sent++
		if sent&255 == 0 && time.Since(t0) >= limit {
			break
		}
	}
	if err := pc.FlushTimeout(60 * time.Second); err != nil {
		die("flush", err)
	}
	timedOut := false
	last, lastProg, lastArrival := count.Load(), time.Now(), time.Now()
	for count.Load() < sent {
		time.Sleep(100 * time.Microsecond)
		if cur := count.Load(); cur != last {
			last, lastProg, lastArrival = cur, time.Now(), time.Now()
		} else if time.Since(lastProg) > stall {
			timedOut = true
			break
		}
	}
	end := time.Now()
	if timedOut {
		end = lastArrival
	}
	got := count.Load()
	r.secs = end.Sub(t0).Seconds()
	r.cpuNs = cpuNs() - c0
	r.msgs = int64(got)
	r.size = int64(size)
	r.peakRSSKB = peakRSS()
	if sent > got {
		r.dropped = int64(sent - got)
	} else {
		r.dropped = 0
	}
	libDropped, _ := sub.Dropped()
	r.extra = fmt.Sprintf(",\"sent\":%d,\"timed_out\":%v,\"lib_dropped\":%d", sent, timedOut, libDropped)
	sub.Unsubscribe()
	return r
}

func caseReqRep(url string, n uint64) result {
	r := newResult()
	rc, qc := mustConnect(url), mustConnect(url)
	defer rc.Close()
	defer qc.Close()
	sub, err := rc.Subscribe(rrSubject, func(m *Msg) {
		if m.Reply != "" {
			rc.Publish(m.Reply, m.Data)
		}
	})
	if err != nil {
		die("subscribe", err)
	}
	defer sub.Unsubscribe()
	rc.FlushTimeout(10 * time.Second)
	payload := []byte(strings.Repeat("x", rrSize))
	warm := n/10 + 1
	if warm > 1000 {
		warm = 1000
	}
	for i := uint64(0); i < warm; i++ {
		if _, err := qc.Request(rrSubject, payload, 5*time.Second); err != nil {
			die("request", err)
		}
	}
	lat := make([]int64, n)
	c0, t0 := cpuNs(), time.Now()
	for i := range lat {
		s := time.Now()
		if _, err := qc.Request(rrSubject, payload, 5*time.Second); err != nil {
			die("request", err)
		}
		lat[i] = int64(time.Since(s))
	}
	r.secs = time.Since(t0).Seconds()
	r.cpuNs = cpuNs() - c0
	r.msgs = int64(n)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	r.p50 = float64(lat[int(math.Round(float64(n-1)*0.50))]) / 1e3
	r.p99 = float64(lat[int(math.Round(float64(n-1)*0.99))]) / 1e3
	r.peakRSSKB = peakRSS()
	return r
}

func vmRSSKB() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			v, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(l[6:]), "kB")), 10, 64)
			return v
		}
	}
	return -1
}

// mem_10k_subs: n sync subscriptions on distinct subjects, a flush, 200 ms, then VmRSS.
func caseMem(url string, n uint64) result {
	r := newResult()
	nc := mustConnect(url)
	defer nc.Close()
	nc.FlushTimeout(10 * time.Second)
	time.Sleep(100 * time.Millisecond)
	base := vmRSSKB()
	subs := make([]*Subscription, 0, n)
	for i := uint64(0); i < n; i++ {
		s, err := nc.SubscribeSync("bench.mem." + strconv.FormatUint(i, 10))
		if err != nil {
			die("subscribe sync", err)
		}
		subs = append(subs, s)
	}
	if err := nc.FlushTimeout(30 * time.Second); err != nil {
		die("flush", err)
	}
	time.Sleep(200 * time.Millisecond)
	rss := vmRSSKB()
	r.peakRSSKB = peakRSS()
	r.extra = fmt.Sprintf(",\"subs\":%d,\"rss_kb\":%d,\"rss_before_subs_kb\":%d", n, rss, base)
	for _, s := range subs {
		s.Unsubscribe()
	}
	return r
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintf(os.Stderr, "usage: %s <case> <url> [N]\n", os.Args[0])
		os.Exit(2)
	}
	bcase, url := os.Args[1], os.Args[2]
	if p := os.Getenv("BENCH_CPUPROFILE"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			die("cpuprofile", err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	var n uint64
	if len(os.Args) > 3 {
		n, _ = strconv.ParseUint(os.Args[3], 10, 64)
	}
	switch {
	case strings.HasPrefix(bcase, "pubsub_"):
		size, _ := strconv.Atoi(bcase[7:])
		if n == 0 {
			n = math.MaxUint64
		}
		emit(bcase, casePubSub(url, size, n))
	case strings.HasPrefix(bcase, "pub_"):
		size, _ := strconv.Atoi(bcase[4:])
		if n == 0 {
			n = math.MaxUint64
		}
		emit(bcase, casePub(url, size, n))
	case bcase == "mem_10k_subs":
		if n == 0 {
			n = 10000
		}
		emit(bcase, caseMem(url, n))
	case bcase == "reqrep":
		if n == 0 {
			n = 20000
		}
		emit(bcase, caseReqRep(url, n))
	default:
		if r, ok := jsCase(bcase, url, n); ok {
			emit(bcase, r)
			return
		}
		fmt.Printf("{\"client\":\"%s\",\"case\":\"%s\",\"unsupported\":true}\n", clientName, bcase)
	}
}
