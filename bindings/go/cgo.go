package nats

/*
#include "shim.h"
#cgo noescape gn_publish
#cgo nocallback gn_publish
#cgo noescape gn_publish_msg
#cgo nocallback gn_publish_msg
#cgo noescape gn_next_batch
#cgo nocallback gn_next_batch
#cgo noescape gn_request
#cgo nocallback gn_request
#cgo noescape gn_sub_pending
#cgo nocallback gn_sub_pending
#cgo noescape gn_try_batch
#cgo nocallback gn_try_batch
*/
import "C"

import (
	"net/textproto"
	"strconv"
	"strings"
	"unsafe"
)

// cstr passes a Go string to a C helper as (pointer, length); the helper copies it.
func cstr(s string) (*C.char, C.size_t) {
	if len(s) == 0 {
		return nil, 0
	}
	return (*C.char)(unsafe.Pointer(unsafe.StringData(s))), C.size_t(len(s))
}

func cbytes(b []byte) (*C.uint8_t, C.size_t) {
	if len(b) == 0 {
		return nil, 0
	}
	return (*C.uint8_t)(unsafe.Pointer(unsafe.SliceData(b))), C.size_t(len(b))
}

// takeErr turns a status and the message copied by the same C call into an error, and frees
// the message.
func takeErr(st C.natsrs_status, msg *C.char) error {
	if st == C.NATSRS_STATUS_OK {
		if msg != nil {
			C.free(unsafe.Pointer(msg))
		}
		return nil
	}
	text := ""
	if msg != nil {
		text = C.GoString(msg)
		C.free(unsafe.Pointer(msg))
	}
	return statusError(int(st), text)
}

// copyView copies a message view into Go memory: one allocation for subject, reply and data.
func copyView(v *C.gn_msg_view, sub *Subscription) *Msg {
	m := &Msg{Sub: sub}
	m.copyParts(sub,
		unsafe.Slice((*byte)(unsafe.Pointer(v.subject)), int(v.subject_len)),
		unsafe.Slice((*byte)(unsafe.Pointer(v.reply)), int(v.reply_len)),
		unsafe.Slice((*byte)(unsafe.Pointer(v.data)), int(v.data_len)))
	if v.hdr != nil {
		raw := unsafe.String((*byte)(unsafe.Pointer(v.hdr)), int(v.hdr_len))
		m.Header = parseHeaderBuf(raw)
	}
	if v.status > 0 {
		if m.Header == nil {
			m.Header = Header{}
		}
		if m.Header.Get(statusHdr) == "" {
			m.Header.Set(statusHdr, strconv.Itoa(int(v.status)))
		}
	}
	return m
}

// copyParts sets m's subject, reply and data from borrowed bytes, copied into one allocation
// (the subject is not copied when it is the subscription's own).
func (m *Msg) copyParts(sub *Subscription, subj, reply, data []byte) {
	sl, rl, dl := len(subj), len(reply), len(data)
	reuseSubj := sub != nil && sub.Subject == string(subj)
	n := rl + dl
	if !reuseSubj {
		n += sl
	}
	if n > 0 {
		buf := make([]byte, n)
		off := 0
		if !reuseSubj && sl > 0 {
			copy(buf, subj)
			m.Subject = unsafe.String(&buf[0], sl)
			off = sl
		}
		if rl > 0 {
			copy(buf[off:], reply)
			m.Reply = unsafe.String(&buf[off], rl)
			off += rl
		}
		if dl > 0 {
			copy(buf[off:], data)
			m.Data = buf[off : off+dl : off+dl]
		}
	}
	if reuseSubj {
		m.Subject = sub.Subject
	}
	if dl == 0 {
		m.Data = noData
	}
}

// parseHeaderBuf parses "key\0value\0..." (copied into Go strings).
func parseHeaderBuf(raw string) Header {
	h := Header{}
	for len(raw) > 0 {
		i := strings.IndexByte(raw, 0)
		if i < 0 {
			break
		}
		k := strings.Clone(raw[:i])
		raw = raw[i+1:]
		j := strings.IndexByte(raw, 0)
		if j < 0 {
			break
		}
		h[k] = append(h[k], strings.Clone(raw[:j]))
		raw = raw[j+1:]
	}
	return h
}

// headerBuf serializes a Header as "key\0value\0..." for the C helpers.
//
// As nats.go: a key must be printable ASCII without any of "()/,:;<=>?@[\]{} and the quote
// (else ErrBadHeaderMsg); values are trimmed of surrounding white space and their CR and LF
// become spaces.
func headerBuf(h Header) (string, error) {
	if len(h) == 0 {
		return "", nil
	}
	var b strings.Builder
	for k, vs := range h {
		if !validHeaderKey(k) {
			return "", ErrBadHeaderMsg
		}
		for _, v := range vs {
			b.WriteString(k)
			b.WriteByte(0)
			v = textproto.TrimString(v)
			if strings.ContainsAny(v, "\r\n") {
				v = headerValueNewlines.Replace(v)
			}
			b.WriteString(v)
			b.WriteByte(0)
		}
	}
	return b.String(), nil
}

var headerValueNewlines = strings.NewReplacer("\r", " ", "\n", " ")

func validHeaderKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c < 33 || c > 126 || strings.IndexByte(`"()/,:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// trimStatusPrefix drops the core's name of st ("illegal state: ", "JetStream error: ") from the
// front of a core error text: the Go error names the kind already (nats.go's texts have it
// once).
func trimStatusPrefix(st int, detail string) string {
	name := C.natsrs_status_str(C.int32_t(st))
	if name == nil {
		return detail
	}
	if rest, ok := strings.CutPrefix(detail, C.GoString(name)+": "); ok {
		return rest
	}
	return detail
}
