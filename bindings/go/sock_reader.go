package nats

/*
#include "shim.h"
#cgo noescape natsrs_connection_read_inline
#cgo nocallback natsrs_connection_read_inline
*/
import "C"

import (
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Inline reads: a goroutine per connection waits in Go's netpoller on a duplicate of the
// plain TCP socket's descriptor (natsrs_connection_read_attach) and, when it is readable, has
// the library read, parse and route the input on its own thread (natsrs_connection_read_inline).
// The subscriptions that got messages are reported back instead of having their notify fds
// signalled, and the reader wakes their goroutines through their wake channels (registered by
// sid in connCore.wakers): a Go channel send, so the woken goroutine runs next on this P, with
// no eventfd write, netpoller round or eventfd read in between. So no library I/O thread wakes
// up on a message's way to Go code. TLS connections are never attached; after the socket ends
// the reader attaches to the next one once reconnected. NATSRS_GO_INLINE_READ=0 turns it off.

// inlineReadEnabled is read once at start-up.
var inlineReadEnabled = os.Getenv("NATSRS_GO_INLINE_READ") != "0"

const (
	// sockRetryWait is how often the reader tries to attach while the connection reconnects.
	sockRetryWait = 100 * time.Millisecond
	// sockSoonWait and sockSoonTries: just after a connect the library may not serve the socket
	// yet; quick retries, then none (a TLS socket is never attachable).
	sockSoonWait  = 2 * time.Millisecond
	sockSoonTries = 25
	// sockSidRoom is how many signalled subscriptions one inline read reports (the library
	// signals the notify fds of any beyond it).
	sockSidRoom = 64
)

// sockReader is a connection's attachment to its socket.
type sockReader struct {
	c    *connCore // never the Conn: an abandoned Conn must stay collectable
	mu   sync.Mutex
	f    *os.File // the duplicate of the attached socket, nil when not attached
	gen  uint64
	stop bool          // Close or destroy: no library call any more (guarded by mu)
	kick chan struct{} // reconnected: try to attach now
	done chan struct{} // closed when the goroutine ends

	muxMu     sync.Mutex
	rmux      *reqMux // requests through one inbox subscription (request_mux.go)
	muxFailed bool

	// gaveUp: the socket was never attachable (TLS): no inline read will report anything
	gaveUp atomic.Bool

	flowWaits   atomic.Uint64 // flow.go: pump batches the reader waited for (tests)
	flowScratch []*pumpFlow   // flow.go: flowCheck's reused slice (the reader goroutine's own)

	reads    atomic.Uint64 // inline reads that found input (tests check the reader really reads)
	bytes    atomic.Uint64
	attaches atomic.Uint64
}

// startSockReader starts the reader of a just connected Conn (no-op when disabled).
func (c *connCore) startSockReader() {
	if !inlineReadEnabled || c.ptr == nil {
		return
	}
	r := &sockReader{c: c, kick: make(chan struct{}, 1), done: make(chan struct{})}
	c.mu.Lock()
	c.sock = r
	c.mu.Unlock()
	go r.run()
}

// stopSockReader detaches and ends the reader; runs before the connection is closed or freed.
func (c *connCore) stopSockReader() {
	c.mu.Lock()
	r := c.sock
	c.mu.Unlock()
	if r != nil {
		r.close()
	}
}

// kickSockReader makes a waiting reader try to attach now (the connection reconnected).
func (c *connCore) kickSockReader() {
	c.mu.Lock()
	r := c.sock
	c.mu.Unlock()
	if r != nil {
		select {
		case r.kick <- struct{}{}:
		default:
		}
	}
}

// sockReaderOf is the reader of nc (tests).
func sockReaderOf(nc *Conn) *sockReader {
	nc.core.mu.Lock()
	defer nc.core.mu.Unlock()
	return nc.core.sock
}

// localAddr is the attached socket's local address ("" when not attached).
func (r *sockReader) localAddr() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return ""
	}
	rc, err := r.f.SyscallConn()
	if err != nil {
		return ""
	}
	var sa syscall.Sockaddr
	_ = rc.Control(func(fd uintptr) { sa, _ = syscall.Getsockname(int(fd)) })
	switch a := sa.(type) {
	case *syscall.SockaddrInet4:
		return net.JoinHostPort(net.IP(a.Addr[:]).String(), strconv.Itoa(a.Port))
	case *syscall.SockaddrInet6:
		return net.JoinHostPort(net.IP(a.Addr[:]).String(), strconv.Itoa(a.Port))
	}
	return ""
}

func (r *sockReader) attached() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.f != nil
}

func (r *sockReader) close() {
	r.mu.Lock()
	if r.stop {
		r.mu.Unlock()
		return
	}
	r.stop = true
	f := r.dropLocked(true)
	r.mu.Unlock()
	closeDup(f)
	r.closeMux()
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// dropLocked gives reads back to the I/O thread (when detach) and returns the duplicate, for
// the caller to close without holding mu: Close waits until a goroutine reading the file
// returns, and that goroutine's callback takes mu.
func (r *sockReader) dropLocked(detach bool) *os.File {
	f := r.f
	if f == nil {
		return nil
	}
	if detach {
		C.natsrs_connection_read_detach(r.c.ptr, C.uint64_t(r.gen))
	}
	r.f = nil
	return f
}

// closeDup closes a dropped duplicate (and wakes a goroutine waiting on it).
func closeDup(f *os.File) {
	if f != nil {
		_ = f.Close()
	}
}

// attach returns the raw conn of the attached duplicate, or the status of a failed attach.
func (r *sockReader) attach() (syscall.RawConn, C.enum_natsrs_status) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stop {
		return nil, C.NATSRS_STATUS_CONNECTION_CLOSED
	}
	var fd C.int32_t
	var gen C.uint64_t
	st := C.natsrs_connection_read_attach(r.c.ptr, &fd, &gen)
	if st != C.NATSRS_STATUS_OK {
		return nil, st
	}
	f := os.NewFile(uintptr(fd), "natsrs-socket")
	rc, err := f.SyscallConn()
	if err != nil {
		C.natsrs_connection_read_detach(r.c.ptr, gen)
		_ = f.Close()
		return nil, C.NATSRS_STATUS_NOT_CONNECTED
	}
	r.f, r.gen = f, uint64(gen)
	r.attaches.Add(1)
	return rc, st
}

// closeMux ends the request mux (request_mux.go) for good.
func (r *sockReader) closeMux() {
	r.muxMu.Lock()
	m := r.rmux
	r.rmux = nil
	r.muxFailed = true // no new mux
	r.muxMu.Unlock()
	if m != nil {
		m.close()
	}
}

func (r *sockReader) run() {
	defer close(r.done)
	// the connection is closed or never attachable (TLS): requests use the core's
	defer r.closeMux()
	soon := sockSoonTries
	for {
		rc, st := r.attach()
		switch st {
		case C.NATSRS_STATUS_OK:
			r.serve(rc)
			soon = sockSoonTries
			continue
		case C.NATSRS_STATUS_NOT_CONNECTED:
		default:
			return // closed
		}
		var wait time.Duration
		switch C.natsrs_connection_status_get(r.c.ptr) {
		case C.NATSRS_CONNECTION_STATUS_RECONNECTING, C.NATSRS_CONNECTION_STATUS_CONNECTING,
			C.NATSRS_CONNECTION_STATUS_DISCONNECTED:
			wait = sockRetryWait
		case C.NATSRS_CONNECTION_STATUS_CLOSED:
			return
		default:
			if soon == 0 {
				r.gaveUp.Store(true)
				return // served but never attachable: TLS
			}
			soon--
			wait = sockSoonWait
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-r.kick:
			t.Stop()
		}
	}
}

// inlineReports tells whether inline reads may report the connection's subscriptions (a reader
// runs that has not given up): their goroutines then wait on wake channels (see wakeSid).
func (c *connCore) inlineReports() bool {
	c.mu.Lock()
	r := c.sock
	c.mu.Unlock()
	return r != nil && !r.gaveUp.Load()
}

// wakeSid wakes the goroutine waiting for subscription sid (an inline read queued messages for
// it). A sid without a registered channel has no waiter that could miss it: channels are
// registered before the notify fd exists, and only subscriptions with one are reported.
func (c *connCore) wakeSid(sid uint64) {
	if f, ok := c.inlineFns.Load(sid); ok {
		f.(func())()
		return
	}
	if v, ok := c.wakers.Load(sid); ok {
		select {
		case v.(chan struct{}) <- struct{}{}:
		default:
		}
	}
}

// serve reads the attached socket whenever it is readable, until it ends or the reader stops.
func (r *sockReader) serve(rc syscall.RawConn) {
	gone := false
	var n C.uint64_t
	var sids [sockSidRoom]C.uint64_t
	var count C.size_t
	var more C.bool
	defer func() {
		r.mu.Lock()
		var f *os.File
		if gone {
			f = r.dropLocked(false) // nil when close took it
		}
		r.mu.Unlock()
		closeDup(f)
	}()
	flow := r.c.flow
	for !gone {
		pause := false
		err := rc.Read(func(uintptr) bool {
			r.mu.Lock()
			if r.stop || r.f == nil {
				r.mu.Unlock()
				gone = true
				return true
			}
			st := C.natsrs_connection_read_inline(r.c.ptr, C.uint64_t(r.gen), &n, &sids[0], sockSidRoom, &count, &more)
			if st != C.NATSRS_STATUS_OK {
				// the socket ended: its duplicate goes (after Read returns); attach again after
				// the reconnect
				r.mu.Unlock()
				gone = true
				return true
			}
			r.mu.Unlock()
			for i := 0; i < int(count); i++ {
				r.c.wakeSid(uint64(sids[i]))
			}
			if n == 0 {
				return false // wait in the netpoller until readable
			}
			r.reads.Add(1)
			r.bytes.Add(uint64(n))
			if flow.nbehind.Load() > 0 {
				pause = true // a subscription is behind: check it outside Read (flow.go)
				return true
			}
			// Drained: wait for the next edge. Stopped at the read budget: Read returns and is
			// called again at once (the netpoller is edge-triggered and would not report the rest).
			return bool(more)
		})
		if err != nil {
			// the duplicate was closed (stop)
			return
		}
		if pause {
			if p := r.flowCheck(); p != nil {
				r.flowWait(p)
			}
		}
	}
}
