package nats

import (
	"context"
	"errors"
	"io"
	"net/url"
	"strings"
	"time"
)

// Connection events as nats.go reports them: the error a DisconnectErrHandler gets, the
// disconnect handler nats.go runs when an open connection is closed, and the last error it
// forgets when the link goes down or comes back.

// goLastErr is an error recorded on the Go side, with the core's last error text at the time
// (a later core error replaces it).
type goLastErr struct {
	err  error
	core string
}

// setGoErr records err as the connection's last error (LastError).
func (c *connCore) setGoErr(err error) {
	c.goErr.Store(&goLastErr{err: err, core: c.coreLastErrText()})
}

// lastGoErr is the recorded Go-side error if the core recorded no other error since.
func (c *connCore) lastGoErr(coreText string) error {
	if g := c.goErr.Load(); g != nil && g.core == coreText {
		return g.err
	}
	return nil
}

// clearLastErr forgets the core's current last error (nats.go clears its error when it starts
// to reconnect and once reconnected).
func (c *connCore) clearLastErr() {
	t := c.coreLastErrText()
	c.errCleared.Store(&t)
}

// errWasCleared: coreText is the error clearLastErr forgot.
func (c *connCore) errWasCleared(coreText string) bool {
	t := c.errCleared.Load()
	return t != nil && *t == coreText
}

// disconnectErr is the error nats.go gives its DisconnectErrHandler: io.EOF when the server
// closed the socket, nil for a reconnect the application forced.
func disconnectErr(st int, text string) error {
	if st == 0 {
		return nil
	}
	switch {
	case st == stIO && strings.Contains(text, "connection closed by the server"):
		return io.EOF
	case st == stIO && strings.Contains(text, "reconnect forced by the application"):
		return nil
	}
	return statusError(st, text)
}

// runDisconnected runs the disconnect handler as nats.go does: DisconnectErrHandler, or else the
// deprecated DisconnectHandler (never both).
func (c *connCore) runDisconnected(nc *Conn, o *Options, err error) {
	switch {
	case o.DisconnectedErrCB != nil:
		c.safeCall(nil, func() { o.DisconnectedErrCB(nc, err) })
	case o.DisconnectedCB != nil:
		c.safeCall(nil, func() { o.DisconnectedCB(nc) })
	}
}

// waitReconnected waits while the connection is reconnecting (nats.go queues a flush's PING
// until the link is back, and the flush then completes or times out): nil once connected,
// ErrConnectionClosed if it closed, ErrTimeout at deadline, or ctx's error when done closes.
func (nc *Conn) waitReconnected(deadline time.Time, ctx context.Context) error {
	var done <-chan struct{}
	var expired <-chan time.Time
	if ctx != nil {
		done = ctx.Done() // (its deadline is ctx's: the error is ctx's)
	} else {
		timer := time.NewTimer(time.Until(deadline))
		defer timer.Stop()
		expired = timer.C
	}
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		switch nc.Status() {
		case CONNECTED:
			return nil
		case CLOSED:
			return ErrConnectionClosed
		case RECONNECTING, CONNECTING:
		default:
			return ErrDisconnected
		}
		select {
		case <-tick.C:
		case <-expired:
			return ErrTimeout
		case <-done:
			return ctx.Err()
		}
	}
}

// flushWhileReconnecting: a flush the core refused because the link is down waits for the
// reconnect as nats.go's does, then flushes in the time left.
func (nc *Conn) flushWhileReconnecting(err error, deadline time.Time, ctx context.Context) (error, bool) {
	if !errors.Is(err, ErrDisconnected) || !nc.IsReconnecting() {
		return err, false
	}
	if werr := nc.waitReconnected(deadline, ctx); werr != nil {
		return werr, true
	}
	if ctx != nil {
		return nc.FlushWithContext(ctx), true
	}
	left := time.Until(deadline)
	if left < time.Millisecond {
		return ErrTimeout, true
	}
	return nc.FlushTimeout(left), true
}

// parseServerURLs parses the server URLs as nats.go does before connecting (a URL without a
// scheme gets nats://), so that a malformed one fails Connect with url.Parse's error.
func parseServerURLs(u string, servers []string) error {
	all := servers
	if u != "" {
		all = append([]string{u}, servers...)
	}
	for _, s := range all {
		if !strings.Contains(s, "://") {
			s = "nats://" + s
		}
		if _, err := url.Parse(s); err != nil {
			return err
		}
	}
	return nil
}
