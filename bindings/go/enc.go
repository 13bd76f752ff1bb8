package nats

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"time"

	"github.com/libnatsrs/natsrs/bindings/go/encoders/builtin"
)

// Encoder turns Go values into message payloads and back; see RegisterEncoder.
type Encoder interface {
	Encode(subject string, v any) ([]byte, error)
	Decode(subject string, data []byte, vPtr any) error
}

// Names of the encoders that are registered from the start.
const (
	JSON_ENCODER    = "json"
	GOB_ENCODER     = "gob"
	DEFAULT_ENCODER = "default"
)

var (
	encMu  sync.Mutex
	encReg = map[string]Encoder{
		JSON_ENCODER:    &builtin.JsonEncoder{},
		GOB_ENCODER:     &builtin.GobEncoder{},
		DEFAULT_ENCODER: &builtin.DefaultEncoder{},
	}
)

// RegisterEncoder adds enc to the registry under encType, replacing any encoder of that name.
func RegisterEncoder(encType string, enc Encoder) {
	encMu.Lock()
	defer encMu.Unlock()
	encReg[encType] = enc
}

// EncoderForType looks up the encoder registered as encType; it returns nil when there is none.
func EncoderForType(encType string) Encoder {
	encMu.Lock()
	defer encMu.Unlock()
	return encReg[encType]
}

// EncodedConn is a Conn with an Encoder: it publishes Go values by encoding them and hands
// decoded values to subscribers.
type EncodedConn struct {
	Conn *Conn
	Enc  Encoder
}

// NewEncodedConn wraps c so that values are marshalled with the encoder registered as encType.
func NewEncodedConn(c *Conn, encType string) (*EncodedConn, error) {
	if c == nil {
		return nil, errors.New("nats: Nil Connection")
	}
	if c.IsClosed() {
		return nil, ErrConnectionClosed
	}
	enc := EncoderForType(encType)
	if enc == nil {
		return nil, fmt.Errorf("no encoder registered for '%s'", encType)
	}
	return &EncodedConn{Conn: c, Enc: enc}, nil
}

// Publish encodes v with the connection's encoder and publishes the result to subject.
func (c *EncodedConn) Publish(subject string, v any) error {
	b, err := c.Enc.Encode(subject, v)
	if err != nil {
		return err
	}
	return c.Conn.Publish(subject, b)
}

// PublishRequest encodes v and publishes it to subject with reply as the reply subject.
func (c *EncodedConn) PublishRequest(subject, reply string, v any) error {
	b, err := c.Enc.Encode(subject, v)
	if err != nil {
		return err
	}
	return c.Conn.PublishRequest(subject, reply, b)
}

var msgPtrType = reflect.TypeOf(&Msg{})

func (c *EncodedConn) decodeReply(m *Msg, vPtr any) error {
	if mp, ok := vPtr.(*Msg); ok {
		*mp = *m
		return nil
	}
	return c.Enc.Decode(m.Subject, m.Data, vPtr)
}

// Request encodes v, sends it as a request to subject and decodes the reply into vPtr; it waits
// at most timeout.
func (c *EncodedConn) Request(subject string, v any, vPtr any, timeout time.Duration) error {
	b, err := c.Enc.Encode(subject, v)
	if err != nil {
		return err
	}
	m, err := c.Conn.Request(subject, b, timeout)
	if err != nil {
		return err
	}
	return c.decodeReply(m, vPtr)
}

// RequestWithContext is Request bounded by ctx instead of a timeout; the reply is decoded into
// vPtr.
func (c *EncodedConn) RequestWithContext(ctx context.Context, subject string, v any, vPtr any) error {
	if ctx == nil {
		return ErrInvalidContext
	}
	b, err := c.Enc.Encode(subject, v)
	if err != nil {
		return err
	}
	m, err := c.Conn.RequestWithContext(ctx, subject, b)
	if err != nil {
		return err
	}
	return c.decodeReply(m, vPtr)
}

// Handler is the callback an EncodedConn subscription accepts. It must be a func of one of
// these shapes (the last argument is decoded with the connection's encoder):
//
//	func(m *Msg)
//	func(v *T)
//	func(subject string, v *T)
//	func(subject, reply string, v *T)
type Handler any

// Subscribe subscribes to subject and calls cb, a Handler, with each message decoded.
func (c *EncodedConn) Subscribe(subject string, cb Handler) (*Subscription, error) {
	return c.subscribe(subject, "", cb)
}

// QueueSubscribe is Subscribe as a member of the queue group queue.
func (c *EncodedConn) QueueSubscribe(subject, queue string, cb Handler) (*Subscription, error) {
	return c.subscribe(subject, queue, cb)
}

// newValue returns a fresh pointer for decoding into type t, and how to turn it into the
// argument (the pointer itself for pointer types, the pointed-to value otherwise).
func newValue(t reflect.Type) (ptr reflect.Value, arg func() reflect.Value) {
	if t.Kind() == reflect.Ptr {
		p := reflect.New(t.Elem())
		return p, func() reflect.Value { return p }
	}
	p := reflect.New(t)
	return p, func() reflect.Value { return p.Elem() }
}

func (c *EncodedConn) decodeErr(m *Msg, err error, setLast bool) {
	if core := c.Conn.core; core != nil {
		e := errors.New("nats: Got an error trying to unmarshal: " + err.Error())
		if setLast {
			core.setGoErr(e)
		}
		core.reportError(m.Sub, e)
	}
}

func (c *EncodedConn) subscribe(subject, queue string, cb Handler) (*Subscription, error) {
	if cb == nil {
		return nil, errors.New("nats: Handler required for EncodedConn Subscription")
	}
	fv := reflect.ValueOf(cb)
	ft := fv.Type()
	if ft.Kind() != reflect.Func {
		panic("nats: Handler needs to be a func") // as nats.go
	}
	nargs := ft.NumIn()
	if nargs == 0 || nargs > 3 {
		return nil, errors.New("nats: Handler requires at least one argument")
	}
	last := ft.In(nargs - 1)
	raw := last == msgPtrType
	handler := func(m *Msg) {
		if raw && nargs == 1 {
			fv.Call([]reflect.Value{reflect.ValueOf(m)})
			return
		}
		var v reflect.Value
		if raw {
			v = reflect.ValueOf(m)
		} else {
			ptr, arg := newValue(last)
			if err := c.Enc.Decode(m.Subject, m.Data, ptr.Interface()); err != nil {
				c.decodeErr(m, err, false)
				return
			}
			v = arg()
		}
		switch nargs {
		case 1:
			fv.Call([]reflect.Value{v})
		case 2:
			fv.Call([]reflect.Value{reflect.ValueOf(m.Subject), v})
		case 3:
			fv.Call([]reflect.Value{reflect.ValueOf(m.Subject), reflect.ValueOf(m.Reply), v})
		}
	}
	if queue != "" {
		return c.Conn.QueueSubscribe(subject, queue, handler)
	}
	return c.Conn.Subscribe(subject, handler)
}

// BindSendChan publishes to subject, encoded, every value read from channel until the channel is
// closed.
func (c *EncodedConn) BindSendChan(subject string, channel any) error {
	ch := reflect.ValueOf(channel)
	if ch.Kind() != reflect.Chan {
		return ErrChanArg
	}
	go func() {
		for {
			v, ok := ch.Recv()
			if !ok {
				return
			}
			if err := c.Publish(subject, v.Interface()); err != nil {
				if core := c.Conn.core; core != nil {
					core.reportError(nil, err)
				}
				return
			}
		}
	}()
	return nil
}

// BindRecvChan subscribes to subject and sends every decoded message to channel, which must be
// a channel of the value type to decode into.
func (c *EncodedConn) BindRecvChan(subject string, channel any) (*Subscription, error) {
	return c.bindRecvChan(subject, "", channel)
}

// BindRecvQueueChan is BindRecvChan as a member of the queue group queue.
func (c *EncodedConn) BindRecvQueueChan(subject, queue string, channel any) (*Subscription, error) {
	return c.bindRecvChan(subject, queue, channel)
}

func (c *EncodedConn) bindRecvChan(subject, queue string, channel any) (*Subscription, error) {
	ch := reflect.ValueOf(channel)
	if ch.Kind() != reflect.Chan {
		return nil, ErrChanArg
	}
	elem := ch.Type().Elem()
	handler := func(m *Msg) {
		ptr, arg := newValue(elem)
		if err := c.Enc.Decode(m.Subject, m.Data, ptr.Interface()); err != nil {
			// (as nats.go: for a receive channel the error is also the connection's LastError)
			c.decodeErr(m, err, true)
			return
		}
		// Sending on a channel the user closed panics: end the subscription then.
		defer func() {
			if r := recover(); r != nil {
				m.Sub.Unsubscribe()
			}
		}()
		ch.Send(arg())
	}
	if queue != "" {
		return c.Conn.QueueSubscribe(subject, queue, handler)
	}
	return c.Conn.Subscribe(subject, handler)
}

// FlushTimeout calls FlushTimeout on the wrapped Conn.
func (c *EncodedConn) FlushTimeout(timeout time.Duration) error { return c.Conn.FlushTimeout(timeout) }

// Flush calls Flush on the wrapped Conn.
func (c *EncodedConn) Flush() error { return c.Conn.Flush() }

// Close closes the wrapped Conn.
func (c *EncodedConn) Close() { c.Conn.Close() }

// Drain drains the wrapped Conn.
func (c *EncodedConn) Drain() error { return c.Conn.Drain() }

// LastError returns the wrapped Conn's last error.
func (c *EncodedConn) LastError() error { return c.Conn.LastError() }
