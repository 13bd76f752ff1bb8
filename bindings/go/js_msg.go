package nats

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Acks of JetStream messages are sent on the message's reply subject by the Go side, as nats.go
// does (the message's data is copied into Go memory once, the C message is freed at once).

// AckOpt is an option for the acknowledgement calls on a JetStream message (Ack, Nak, ...).
type AckOpt interface {
	configureAck(opts *ackOpts) error
}

type ackOpts struct {
	ttl      time.Duration
	ctx      context.Context
	nakDelay time.Duration
}

type nakDelay time.Duration

func (d nakDelay) configureAck(o *ackOpts) error {
	o.nakDelay = time.Duration(d)
	return nil
}

var (
	ackAck      = "+ACK"
	ackNak      = "-NAK"
	ackProgress = "+WPI"
	ackTerm     = "+TERM"
)

func (m *Msg) isAcked() bool { return atomic.LoadUint32(&m.ackd) == 1 }

func (m *Msg) checkReply() error {
	if m == nil || m.Sub == nil {
		return ErrMsgNotBound
	}
	if m.Reply == "" {
		return ErrMsgNoReply
	}
	return nil
}

// ackReply sends an ack of the given kind (sync: waits for the server's confirmation).
func (m *Msg) ackReply(kind, body string, sync bool, opts ...AckOpt) error {
	var o ackOpts
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt.configureAck(&o); err != nil {
			return err
		}
	}
	if err := m.checkReply(); err != nil {
		return err
	}
	if o.ctx != nil && o.ttl != 0 {
		return ErrContextAndTimeout
	}
	if m.isAcked() {
		return ErrMsgAlreadyAckd
	}
	sub := m.Sub
	if sub.jsi != nil && sub.jsi.ackNone {
		return ErrCantAckIfConsumerAckNone
	}
	nc := sub.conn
	if body == "" {
		body = kind
	}
	var err error
	if sync {
		wait := o.ttl
		if wait == 0 {
			wait = defaultRequestWait
			if sub.jsi != nil {
				wait = sub.jsi.js.opts.wait
			}
		}
		if o.ctx != nil {
			_, err = nc.RequestWithContext(o.ctx, m.Reply, []byte(body))
		} else {
			_, err = nc.Request(m.Reply, []byte(body), wait)
		}
	} else {
		err = nc.Publish(m.Reply, []byte(body))
	}
	if err == nil && kind != ackProgress {
		atomic.StoreUint32(&m.ackd, 1)
	}
	return err
}

// Ack tells the server that the message has been handled, so it is not delivered again.
func (m *Msg) Ack(opts ...AckOpt) error {
	return m.ackReply(ackAck, "", false, opts...)
}

// AckSync is Ack that waits for the server to confirm it received the acknowledgement.
func (m *Msg) AckSync(opts ...AckOpt) error {
	return m.ackReply(ackAck, "", true, opts...)
}

// Nak reports that the message was not handled; the server will deliver it again.
func (m *Msg) Nak(opts ...AckOpt) error {
	return m.ackReply(ackNak, "", false, opts...)
}

// NakWithDelay is Nak with a wait: the server delivers the message again only once delay has
// passed.
func (m *Msg) NakWithDelay(delay time.Duration, opts ...AckOpt) error {
	body := ackNak
	if delay > 0 {
		body = fmt.Sprintf(`%s {"delay": %d}`, ackNak, delay.Nanoseconds())
	}
	return m.ackReply(ackNak, body, false, opts...)
}

// Term tells the server never to deliver the message again, even if MaxDeliver is not reached.
func (m *Msg) Term(opts ...AckOpt) error {
	return m.ackReply(ackTerm, "", false, opts...)
}

// TermWithReason is Term with a reason the server puts in its advisory.
func (m *Msg) TermWithReason(reason string, opts ...AckOpt) error {
	body := ackTerm
	if reason != "" {
		body = ackTerm + " " + reason
	}
	return m.ackReply(ackTerm, body, false, opts...)
}

// InProgress tells the server that the message is still being handled, which restarts its
// AckWait timer.
func (m *Msg) InProgress(opts ...AckOpt) error {
	return m.ackReply(ackProgress, "", false, opts...)
}

// Metadata decodes the JetStream details of a delivered message from its $JS.ACK reply subject
// (v1 and v2 forms).
func (m *Msg) Metadata() (*MsgMetadata, error) {
	if err := m.checkReply(); err != nil {
		return nil, err
	}
	tok := strings.Split(m.Reply, ".")
	n := len(tok)
	if n < 9 || tok[0] != "$JS" || tok[1] != "ACK" {
		return nil, ErrNotJSMessage
	}
	// v1: $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>
	// v2: $JS.ACK.<domain>.<account hash>.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>[.<token>]
	md := &MsgMetadata{}
	var rest []string
	switch {
	case n == 9:
		md.Stream, md.Consumer, rest = tok[2], tok[3], tok[4:]
	case n >= 11:
		if tok[2] != "_" {
			md.Domain = tok[2]
		}
		md.Stream, md.Consumer, rest = tok[4], tok[5], tok[6:]
	default:
		return nil, ErrNotJSMessage
	}
	num := func(s string) uint64 {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0
		}
		return v
	}
	md.NumDelivered = num(rest[0])
	md.Sequence.Stream = num(rest[1])
	md.Sequence.Consumer = num(rest[2])
	md.Timestamp = time.Unix(0, int64(num(rest[3])))
	md.NumPending = num(rest[4])
	return md, nil
}
