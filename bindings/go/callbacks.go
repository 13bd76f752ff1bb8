package nats

/*
#include "shim.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"runtime/cgo"
	"sync/atomic"
	"time"
	"unsafe"
)

// The exported trampolines below are called by the C helpers in shim.c. Userdata is always a
// runtime/cgo.Handle; a panic in a user callback never crosses into C: it is recovered and
// reported through the connection's ErrorHandler.

// liveHandles counts the handles given to C that the core has not released yet (tests check
// that it goes back to zero: every userdata_free ran).
var liveHandles atomic.Int64

func newHandle(v any) cgo.Handle {
	liveHandles.Add(1)
	return cgo.NewHandle(v)
}

//export goHandleDelete
func goHandleDelete(ud C.uintptr_t) {
	h := cgo.Handle(ud)
	if r, ok := h.Value().(cReleaser); ok {
		r.releaseC()
	}
	h.Delete()
	liveHandles.Add(-1)
}

// cReleaser is a handle value that owns C memory, freed when the core releases the handle.
type cReleaser interface{ releaseC() }

// safeCall runs a user callback; a panic is recovered and reported to the ErrorHandler.
func (c *connCore) safeCall(sub *Subscription, f func()) {
	defer func() {
		if r := recover(); r != nil {
			c.reportError(sub, fmt.Errorf("%w: %v", ErrCallbackPanic, r))
		}
	}()
	f()
}

// reportError delivers an asynchronous error to the ErrorHandler (or prints it, like nats.go's
// default handler).
func (c *connCore) reportError(sub *Subscription, err error) {
	c.mu.Lock()
	cb := c.opts.AsyncErrorCB
	c.mu.Unlock()
	nc := c.self.Value()
	if cb == nil || nc == nil {
		var cid uint64 // as nats.go's default handler: the server's client id, 0 if unknown
		if nc != nil {
			cid, _ = nc.GetClientID()
		}
		if sub != nil {
			fmt.Fprintf(os.Stderr, "%s on connection [%d] for subscription on %q\n", err.Error(), cid, sub.Subject)
		} else {
			fmt.Fprintf(os.Stderr, "%s on connection [%d]\n", err.Error(), cid)
		}
		return
	}
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "nats: panic in ErrorHandler: %v (reporting %v)\n", r, err)
		}
	}()
	cb(nc, sub, err)
}

//export goOnConnEvent
func goOnConnEvent(ud C.uintptr_t, kind C.int, st C.int, text *C.char) {
	c, _ := handleValue(cgo.Handle(ud)).(*connCore)
	if c == nil {
		return
	}
	nc := c.self.Value()
	if nc == nil {
		return
	}
	c.mu.Lock()
	o := *c.opts
	c.mu.Unlock()
	// nats.go runs the disconnect handler (with a nil error) when an open connection closes.
	discOnClose := false
	switch kind {
	case C.GN_CB_CLOSED:
		discOnClose = c.linkUp.Swap(false)
		c.stopPub()
		c.emitStatus(CLOSED)
	case C.GN_CB_RECONNECTED, C.GN_CB_CONNECTED:
		c.linkUp.Store(true)
		c.clearLastErr()
		if kind == C.GN_CB_CONNECTED && c.retry {
			c.retryConnected.Store(true)
		}
		c.linkChanged(true)
		c.emitStatus(CONNECTED)
		c.kickSockReader() // inline reads (sock_reader.go)
	case C.GN_CB_DISCONNECTED:
		c.linkUp.Store(false)
		c.clearLastErr()
		c.linkChanged(false)
		// (the event may be handled after the reconnect already happened: decide by options)
		if o.AllowReconnect && !c.closed.Load() && nc.Status() != CLOSED {
			c.emitStatus(RECONNECTING)
		} else {
			c.emitStatus(DISCONNECTED)
		}
	}
	if o.NoCallbacksAfterClientClose && c.userClosed.Load() {
		if kind == C.GN_CB_CLOSED {
			c.closed.Store(true)
			go c.releaseSubs(false)
		}
		return
	}
	run := func(cb ConnHandler) {
		if cb != nil {
			c.safeCall(nil, func() { cb(nc) })
		}
	}
	switch kind {
	case C.GN_CB_CLOSED:
		c.closed.Store(true)
		if discOnClose {
			c.runDisconnected(nc, &o, nil)
		}
		if c.draining.Load() {
			// After a drain every message that reached the client is handled before the
			// ClosedHandler runs (as in nats.go).
			limit := o.DrainTimeout
			if limit <= 0 {
				limit = DefaultDrainTimeout
			}
			waitPumps(c.releaseSubs(true), limit)
			run(o.ClosedCB)
		} else {
			run(o.ClosedCB)
			go c.releaseSubs(false)
		}
	case C.GN_CB_RECONNECTED:
		run(o.ReconnectedCB)
	case C.GN_CB_CONNECTED:
		// RetryOnFailedConnect: the first connect happened in the background. As nats.go,
		// the ConnectHandler runs (not the ReconnectHandler); without a ConnectHandler the
		// ReconnectHandler runs, as the nats.go README's "Advanced Usage" promises.
		if o.ConnectedCB != nil || !c.retry {
			run(o.ConnectedCB)
		} else {
			run(o.ReconnectedCB)
		}
	case C.GN_CB_DISCOVERED:
		run(o.DiscoveredServersCB)
	case C.GN_CB_LAME_DUCK:
		run(o.LameDuckModeHandler)
	case C.GN_CB_DISCONNECTED:
		txt := ""
		if text != nil {
			txt = C.GoString(text)
		}
		c.runDisconnected(nc, &o, disconnectErr(int(st), txt))
	}
}

//export goOnReconnectError
func goOnReconnectError(ud C.uintptr_t, st C.int, text *C.char) {
	c, _ := handleValue(cgo.Handle(ud)).(*connCore)
	if c == nil {
		return
	}
	nc := c.self.Value()
	if nc == nil {
		return
	}
	c.mu.Lock()
	cb, quiet := c.opts.ReconnectErrCB, c.opts.NoCallbacksAfterClientClose
	c.mu.Unlock()
	if cb == nil || (quiet && c.userClosed.Load()) {
		return
	}
	txt := ""
	if text != nil {
		txt = C.GoString(text)
	}
	err := withVerifyErr(statusError(int(st), txt), c.tlsVerify)
	c.safeCall(nil, func() { cb(nc, err) })
}

//export goOnError
func goOnError(ud C.uintptr_t, sub *C.natsrs_subscription, st C.int, text *C.char) {
	c, _ := handleValue(cgo.Handle(ud)).(*connCore)
	if c == nil {
		return
	}
	var s *Subscription
	if sub != nil {
		c.mu.Lock()
		if w, ok := c.subs[uintptr(unsafe.Pointer(sub))]; ok {
			s = w.Value()
		}
		c.mu.Unlock()
	}
	txt := ""
	if text != nil {
		txt = C.GoString(text)
	}
	err := statusError(int(st), txt)
	if errors.Is(err, ErrSlowConsumer) {
		c.slowSeen.Store(true)
		if s != nil {
			s.slowConsumer()
		}
	}
	c.reportError(s, err)
}

// reportSlowConsumer reports a slow consumer the binding saw itself (a channel subscription
// whose channel was full) as the core's are reported: LastError, then the ErrorHandler.
func (c *connCore) reportSlowConsumer(s *Subscription) {
	c.slowSeen.Store(true)
	c.reportError(s, ErrSlowConsumer)
}

//export goOnReconnectDelay
func goOnReconnectDelay(ud C.uintptr_t, attempts C.uint64_t) C.int64_t {
	c, _ := handleValue(cgo.Handle(ud)).(*connCore)
	if c == nil {
		return 0
	}
	c.mu.Lock()
	cb := c.opts.CustomReconnectDelayCB
	c.mu.Unlock()
	if cb == nil {
		return 0
	}
	var d time.Duration
	c.safeCall(nil, func() { d = cb(int(attempts)) })
	return C.int64_t(d / time.Millisecond)
}

//export goOnString
func goOnString(ud C.uintptr_t, kind C.int) *C.char {
	a, _ := handleValue(cgo.Handle(ud)).(*authCB)
	if a == nil {
		return nil
	}
	var s string
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("%w: %v", ErrCallbackPanic, r)
			}
		}()
		switch kind {
		case C.GN_CB_TOKEN:
			s = a.token()
		case C.GN_CB_USER_JWT:
			s, err = a.jwt()
		}
	}()
	if err != nil {
		fmt.Fprintf(os.Stderr, "nats: user JWT/token callback failed: %v\n", err)
		return nil
	}
	return C.CString(s)
}

//export goOnSign
func goOnSign(ud C.uintptr_t, nonce *C.uint8_t, n C.size_t, sigOut *C.uint8_t) C.int {
	a, _ := handleValue(cgo.Handle(ud)).(*authCB)
	if a == nil || a.sig == nil {
		return C.int(stAuthorization)
	}
	in := C.GoBytes(unsafe.Pointer(nonce), C.int(n))
	var sig []byte
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("%w: %v", ErrCallbackPanic, r)
			}
		}()
		sig, err = a.sig(in)
	}()
	if err != nil || len(sig) != 64 {
		return C.int(stAuthorization)
	}
	copy(unsafe.Slice((*byte)(unsafe.Pointer(sigOut)), 64), sig)
	return C.int(stOK)
}
