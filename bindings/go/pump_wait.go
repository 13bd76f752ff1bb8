package nats

/*
#include "shim.h"
*/
import "C"

import (
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// maxDirectPumps is how many handler/channel subscriptions of the process wait on their own
// copy of the core's notify eventfd in Go's netpoller. A wake-up then runs the subscription's
// goroutine on the thread that saw the event (no hand-off from the shared poller goroutine,
// which costs a second thread wake per batch). Past this many, pumps share the poller
// (poll.go), so 10,000 subscriptions do not need 20,000 file descriptors.
const maxDirectPumps = 64

var directPumps atomic.Int32

// directWait is a pump's own, duplicated notify fd, registered with the netpoller.
type directWait struct {
	mu  sync.Mutex
	f   *os.File
	rc  syscall.RawConn
	buf [8]byte
}

// openPumpWait is openDirectWait for a subscription's pump, which Unsubscribe and Close must
// be able to interrupt (wakePump).
func (s *Subscription) openPumpWait() *directWait {
	if s.conn != nil && s.conn.core.inlineReports() {
		// An inline read reports this subscription to its wake channel (sock_reader.go): the
		// shared poller covers the rare signals of the library's I/O thread.
		return nil
	}
	w := openDirectWait(s.h)
	if w == nil {
		return nil
	}
	s.pumpMu.Lock()
	s.direct = w
	stopped := s.stopNow.Load() || isClosed(s.ended)
	s.pumpMu.Unlock()
	if stopped {
		w.interrupt()
	}
	return w
}

// openDirectWait duplicates the notify fd of h; nil when the budget is spent or anything fails
// (the caller then uses the shared poller).
func openDirectWait(h *subHandle) *directWait {
	if directPumps.Add(1) > maxDirectPumps {
		directPumps.Add(-1)
		return nil
	}
	p := h.acquire()
	if p == nil {
		directPumps.Add(-1)
		return nil
	}
	var fd C.int
	var cerr *C.char
	st := C.gn_notify_fd(p, &fd, &cerr)
	nfd := -1
	err := takeErr(st, cerr)
	if err == nil {
		// F_DUPFD_CLOEXEC: the copy shares the eventfd (and its O_NONBLOCK) with the core's fd
		// but is ours to close, so a fd number the core closed is never read here.
		r, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_DUPFD_CLOEXEC, 0)
		if e != 0 {
			err = e
		} else {
			nfd = int(r)
		}
	}
	h.release()
	if err != nil {
		directPumps.Add(-1)
		return nil
	}
	f := os.NewFile(uintptr(nfd), "natsrs-notify")
	rc, err := f.SyscallConn()
	if err != nil {
		_ = f.Close()
		directPumps.Add(-1)
		return nil
	}
	return &directWait{f: f, rc: rc}
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// wait parks the goroutine in the netpoller until the core signals a message (the eventfd is
// read, so the next message signals again) or interrupt is called.
func (w *directWait) wait() {
	_ = w.rc.Read(func(fd uintptr) bool {
		_, e := syscall.Read(int(fd), w.buf[:])
		return e != syscall.EAGAIN
	})
}

// interrupt ends the current and every later wait (the subscription ended or stopped).
func (w *directWait) interrupt() {
	_ = w.f.SetReadDeadline(time.Unix(1, 0))
}

func (w *directWait) close() {
	_ = w.f.Close()
	directPumps.Add(-1)
}

// wakePump interrupts the pump's direct wait, if it has one; called after done or ended is
// closed.
func (s *Subscription) wakePump() {
	s.pumpMu.Lock()
	w := s.direct
	s.pumpMu.Unlock()
	if w != nil {
		w.interrupt()
	}
}
