package nats

import (
	"bytes"
	"crypto/rand"
	"strings"
)

const (
	statusHdr    = "Status"
	descrHdr     = "Description"
	noResponders = "503"
)

// Msg is one NATS message, either received by a subscription or built to be sent with
// PublishMsg. Each delivery gets its own Msg, with the data copied into Go memory once; the
// binding never reuses it, so a handler may hold on to it (and its Data) after returning.
type Msg struct {
	Subject string
	Reply   string
	Header  Header
	Data    []byte
	Sub     *Subscription

	ackd uint32 // JetStream: acked, nak'ed or terminated (atomic)
}

// NewMsg returns a message for subject with an empty, non-nil Header ready to be filled.
func NewMsg(subject string) *Msg {
	return &Msg{Subject: subject, Header: make(Header)}
}

// Equal reports whether two messages have the same subject, reply, data and headers; Sub is
// not compared.
func (m *Msg) Equal(msg *Msg) bool {
	if m == msg {
		return true
	}
	if m == nil || msg == nil {
		return false
	}
	if m.Subject != msg.Subject || m.Reply != msg.Reply || !bytes.Equal(m.Data, msg.Data) {
		return false
	}
	if len(m.Header) != len(msg.Header) {
		return false
	}
	for k, v := range m.Header {
		w, ok := msg.Header[k]
		if !ok || len(v) != len(w) {
			return false
		}
		for i := range v {
			if v[i] != w[i] {
				return false
			}
		}
	}
	return true
}

// Size returns the message's approximate size in bytes: subject, reply, data and headers.
func (m *Msg) Size() int {
	n := len(m.Subject) + len(m.Reply) + len(m.Data)
	if len(m.Header) > 0 {
		n += len(hdrPreamble) + 2 // "NATS/1.0\r\n" ... "\r\n"
		for k, vs := range m.Header {
			for _, v := range vs {
				n += len(k) + len(strings.TrimSpace(v)) + 4 // "k: v\r\n"
			}
		}
	}
	return n
}

// hdrPreamble is the first line of a header block.
const hdrPreamble = "NATS/1.0\r\n"

// noData is the Data of a received message without payload: empty but not nil, as in nats.go.
var noData = []byte{}

// Respond publishes data to the message's reply subject. The message must come from a
// subscription (else ErrMsgNotBound) and carry a reply subject (else ErrMsgNoReply).
func (m *Msg) Respond(data []byte) error {
	if m == nil || m.Sub == nil {
		return ErrMsgNotBound
	}
	if m.Reply == "" {
		return ErrMsgNoReply
	}
	return m.Sub.conn.Publish(m.Reply, data)
}

// RespondMsg sends msg, headers included, to the reply subject of m (it overwrites
// msg.Subject). The errors are those of Respond.
func (m *Msg) RespondMsg(msg *Msg) error {
	if m == nil || m.Sub == nil {
		return ErrMsgNotBound
	}
	if m.Reply == "" {
		return ErrMsgNoReply
	}
	msg.Subject = m.Reply
	return m.Sub.conn.PublishMsg(msg)
}

// Header holds a message's header fields, a key mapping to one or more values, like
// http.Header. Keys are case-sensitive (as in nats.go).
type Header map[string][]string

// Add appends value to the values stored under key; the key is used exactly as given.
func (h Header) Add(key, value string) {
	h[key] = append(h[key], value)
}

// Set stores value as the only value under key, dropping earlier ones; the key is used exactly
// as given.
func (h Header) Set(key, value string) {
	h[key] = []string{value}
}

// Get returns the first value stored under key, or "" if there is none (exact key match).
func (h Header) Get(key string) string {
	if h == nil {
		return ""
	}
	if v := h[key]; v != nil {
		return v[0]
	}
	return ""
}

// Values returns every value stored under key (exact key match).
func (h Header) Values(key string) []string {
	return h[key]
}

// Del removes key and all its values (exact key match).
func (h Header) Del(key string) {
	delete(h, key)
}

const nuidDigits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// nuid returns a random 22-character base62 identifier.
func nuid() string {
	var raw [22]byte
	_, _ = rand.Read(raw[:])
	for i := range raw {
		raw[i] = nuidDigits[int(raw[i])%len(nuidDigits)]
	}
	return string(raw[:])
}
