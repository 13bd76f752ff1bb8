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
)

// notifyPoller watches the notify eventfds of subscriptions (owned by the core, not duplicated)
// with one epoll instance and one goroutine for the whole process, and wakes the goroutine
// waiting for a subscription through a channel. So a waiting subscription costs no OS thread
// and no file descriptor of its own.
type notifyPoller struct {
	once  sync.Once
	epfd  int
	err   error
	mu    sync.Mutex
	next  uint64
	chans map[uint64]pollTarget
	file  *os.File
}

var poller notifyPoller

const epollET = 1 << 31

func (p *notifyPoller) start() error {
	p.once.Do(func() {
		p.epfd, p.err = syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if p.err != nil {
			return
		}
		if p.err = syscall.SetNonblock(p.epfd, true); p.err != nil {
			return
		}
		// The epoll fd itself waits in Go's netpoller: no OS thread blocks in epoll_wait, and a
		// wake-up is a plain goroutine wake (then the subscription's goroutine runs next).
		f := os.NewFile(uintptr(p.epfd), "natsrs-epoll")
		var rc syscall.RawConn
		if rc, p.err = f.SyscallConn(); p.err != nil {
			return
		}
		p.chans = map[uint64]pollTarget{}
		p.file = f // never closed: one epoll instance for the life of the process
		go p.loop(rc)
	})
	return p.err
}

func (p *notifyPoller) loop(rc syscall.RawConn) {
	events := make([]syscall.EpollEvent, 256)
	for {
		_ = rc.Read(func(fd uintptr) bool {
			n, err := syscall.EpollWait(int(fd), events, 0)
			if err != nil || n <= 0 {
				return false // wait in the netpoller until the epoll fd is readable
			}
			p.mu.Lock()
			for i := 0; i < n; i++ {
				tok := uint64(uint32(events[i].Fd)) | uint64(uint32(events[i].Pad))<<32
				if t, ok := p.chans[tok]; ok {
					t.dirty.Store(true) // before the wake: the waker reads the eventfd
					select {
					case t.ch <- struct{}{}:
					default:
					}
				}
			}
			p.mu.Unlock()
			return true
		})
	}
}

// add registers fd (edge-triggered: one wake per write of the core) to signal ch, and returns
// the token.
func (p *notifyPoller) add(fd int, ch chan struct{}, dirty *atomic.Bool) (uint64, error) {
	if err := p.start(); err != nil {
		return 0, err
	}
	p.mu.Lock()
	p.next++
	tok := p.next
	p.chans[tok] = pollTarget{ch, dirty}
	p.mu.Unlock()
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | epollET, Fd: int32(uint32(tok)), Pad: int32(uint32(tok >> 32))}
	if err := syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		p.mu.Lock()
		delete(p.chans, tok)
		p.mu.Unlock()
		return 0, err
	}
	return tok, nil
}

// remove must run before the core closes fd (natsrs_subscription_free).
func (p *notifyPoller) remove(fd int, tok uint64) {
	_ = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_DEL, fd, nil)
	p.mu.Lock()
	delete(p.chans, tok)
	p.mu.Unlock()
}

// pollTarget is what the poller wakes for an eventfd: the channel, after marking the eventfd
// as written (dirty).
type pollTarget struct {
	ch    chan struct{}
	dirty *atomic.Bool
}

// clearNotify reads the subscription's eventfd (non-blocking) when the poller saw it written, so
// that its counter does not grow (see clearNotifyFd). A wake from an inline read (sock_reader.go)
// left the eventfd alone: nothing to read then.
func (s *Subscription) clearNotify(fd int) {
	if s.h.dirty.Swap(false) {
		clearNotifyFd(s.h, fd)
	}
}

// clearNotifyFd holds a reference on the handle while it reads: the core closes the eventfd
// when the handle is freed, and from then on the same fd number may belong to another
// connection's socket, whose bytes must never be read here (seen once: 8 bytes of a new
// connection's INFO line were lost to a subscription closed a moment before).
func clearNotifyFd(h *subHandle, fd int) {
	if h.acquire() == nil {
		return
	}
	defer h.release()
	var buf [8]byte
	_, _ = syscall.Read(fd, buf[:])
}

// notifyChan registers the subscription's notify fd with the poller (once) and returns the
// fd and the wake channel.
func (s *Subscription) notifyChan() (int, chan struct{}, error) {
	var c *connCore
	if s.conn != nil {
		c = s.conn.core
	}
	fd, ch, err := s.h.notifyChan(c)
	if err == ErrBadSubscription {
		err = s.endErr()
	}
	return fd, ch, err
}

// notifyChan registers the handle's notify fd with the poller (once) and its wake channel with
// the connection c (when given) by sid, for inline reads to signal directly; ErrBadSubscription
// when the handle is closed. The channel starts signalled, so the first wait checks the queue.
func (h *subHandle) notifyChan(c *connCore) (int, chan struct{}, error) {
	h.mu.Lock()
	if h.wake != nil {
		fd, ch := h.notifyFd, h.wake
		h.mu.Unlock()
		return fd, ch, nil
	}
	h.mu.Unlock()
	p := h.acquire()
	if p == nil {
		return 0, nil, ErrBadSubscription
	}
	defer h.release()
	ch := make(chan struct{}, 1)
	ch <- struct{}{}
	// Registered before the fd exists: an inline read reports only subscriptions that have
	// one, so none of its reports can miss the channel.
	var sid uint64
	if c != nil {
		sid = uint64(C.natsrs_subscription_sid(p))
		c.wakers.Store(sid, ch)
	}
	forget := func() {
		if c != nil {
			c.wakers.CompareAndDelete(sid, ch)
		}
	}
	var fd C.int
	var cerr *C.char
	st := C.gn_notify_fd(p, &fd, &cerr)
	if err := takeErr(st, cerr); err != nil {
		forget()
		return 0, nil, err
	}
	tok, err := poller.add(int(fd), ch, &h.dirty)
	if err != nil {
		forget()
		return 0, nil, err
	}
	h.mu.Lock()
	h.notifyFd, h.notifyTok, h.wake = int(fd), tok, ch
	if c != nil {
		h.core, h.sid = c, sid
	}
	h.mu.Unlock()
	return int(fd), ch, nil
}
