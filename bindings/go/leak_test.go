package nats

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func openFDs() int {
	ents, _ := os.ReadDir("/proc/self/fd")
	return len(ents)
}

// settle waits until the counters are back to (about) the baseline.
func settle(t *testing.T, what string, limit time.Duration, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not go back to the baseline", what)
		}
		runtime.GC()
		time.Sleep(20 * time.Millisecond)
	}
}

func TestThousandConnectionsNoLeak(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	runtime.GC()
	fds0, handles0, g0 := openFDs(), liveHandles.Load(), runtime.NumGoroutine()
	const total, par = 1000, 20
	var wg sync.WaitGroup
	errs := make(chan error, par)
	for w := 0; w < par; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < total/par; i++ {
				nc, err := Connect(defaultServer.URL)
				if err != nil {
					errs <- err
					return
				}
				if i%2 == 0 {
					nc.Publish("leak.conn", []byte("x"))
					nc.Flush()
				}
				if i%4 == 1 {
					// Subscriptions of every kind, left to Close.
					nc.Subscribe("leak.conn", func(*Msg) {})
					nc.ChanSubscribe("leak.conn", make(chan *Msg, 1))
					nc.SubscribeSync("leak.conn")
					nc.Publish("leak.conn", []byte("y"))
				}
				nc.Close()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	settle(t, "handles", 10*time.Second, func() bool { return liveHandles.Load() <= handles0 })
	settle(t, "fds", 10*time.Second, func() bool { return openFDs() <= fds0+5 })
	settle(t, "goroutines", 10*time.Second, func() bool { return runtime.NumGoroutine() <= g0+5 })
}

func TestTenThousandSubscriptionsNoLeak(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	nc := connect(t)
	runtime.GC()
	fds0, handles0, g0 := openFDs(), liveHandles.Load(), runtime.NumGoroutine()
	const rounds, per = 10, 1000
	for r := 0; r < rounds; r++ {
		subs := make([]*Subscription, 0, per)
		for i := 0; i < per; i++ {
			subj := fmt.Sprintf("leak.sub.%d.%d", r, i)
			var s *Subscription
			var err error
			switch i % 3 {
			case 0:
				s, err = nc.Subscribe(subj, func(*Msg) {})
			case 1:
				s, err = nc.SubscribeSync(subj)
			default:
				s, err = nc.ChanSubscribe(subj, make(chan *Msg, 1))
			}
			if err != nil {
				t.Fatal(err)
			}
			subs = append(subs, s)
		}
		nc.Publish(fmt.Sprintf("leak.sub.%d.1", r), []byte("x"))
		if err := nc.Flush(); err != nil {
			t.Fatal(err)
		}
		for i, s := range subs {
			if i%10 == 9 {
				continue // dropped without Unsubscribe: the GC cleanup / handle release covers it
			}
			if err := s.Unsubscribe(); err != nil {
				t.Fatal(err)
			}
		}
		for i := 9; i < per; i += 10 {
			if subs[i].Type() != SyncSubscription {
				subs[i].Unsubscribe() // async and chan subscriptions stay alive until unsubscribed (as in nats.go)
			}
		}
	}
	settle(t, "subscriptions", 10*time.Second, func() bool { return nc.NumSubscriptions() == 0 })
	settle(t, "handles", 10*time.Second, func() bool { return liveHandles.Load() <= handles0 })
	settle(t, "fds", 10*time.Second, func() bool { return openFDs() <= fds0+5 })
	settle(t, "goroutines", 10*time.Second, func() bool { return runtime.NumGoroutine() <= g0+5 })
}

func TestAbandonedConnIsFreed(t *testing.T) {
	runtime.GC()
	handles0 := liveHandles.Load()
	func() {
		nc, err := Connect(defaultServer.URL)
		if err != nil {
			t.Fatal(err)
		}
		nc.Publish("abandoned", nil)
		sub, _ := nc.SubscribeSync("abandoned")
		_ = sub
	}()
	// Neither Close nor Unsubscribe: the cleanup closes and frees the C side.
	settle(t, "handles of an abandoned connection", 10*time.Second, func() bool { return liveHandles.Load() <= handles0 })
}

// 10,000 subscriptions alive at once, all with a pumping goroutine (async and channel kinds):
// no OS thread per subscription, one file descriptor each (the core's eventfd).
func TestTenThousandLiveSubscriptions(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	nc := connect(t)
	runtime.GC()
	fds0, g0, th0 := openFDs(), runtime.NumGoroutine(), threads()
	const total = 10000
	var got atomic.Int32
	subs := make([]*Subscription, 0, total)
	for i := 0; i < total; i++ {
		subj := fmt.Sprintf("live.%d", i)
		var s *Subscription
		var err error
		if i%2 == 0 {
			s, err = nc.Subscribe(subj, func(*Msg) { got.Add(1) })
		} else {
			s, err = nc.ChanSubscribe(subj, make(chan *Msg, 1))
		}
		if err != nil {
			t.Fatalf("subscription %d: %v", i, err)
		}
		subs = append(subs, s)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < total; i += 2 {
		nc.Publish(fmt.Sprintf("live.%d", i), nil)
	}
	nc.Flush()
	settle(t, "deliveries", 10*time.Second, func() bool { return got.Load() == total/2 })
	// One eventfd per subscription (the core's), plus one duplicate for each of the first
	// maxDirectPumps handler pumps (pump_wait.go), plus a few.
	if n := openFDs() - fds0; n > total+maxDirectPumps+50 {
		t.Fatalf("%d file descriptors for %d subscriptions", n, total)
	}
	if n := threads() - th0; n > 100 {
		t.Fatalf("%d more OS threads for %d subscriptions", n, total)
	}
	for _, s := range subs {
		if err := s.Unsubscribe(); err != nil {
			t.Fatal(err)
		}
	}
	settle(t, "subscriptions", 10*time.Second, func() bool { return nc.NumSubscriptions() == 0 })
	settle(t, "fds", 10*time.Second, func() bool { return openFDs() <= fds0+5 })
	settle(t, "goroutines", 10*time.Second, func() bool { return runtime.NumGoroutine() <= g0+5 })
}
