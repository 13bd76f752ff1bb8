package nats

/*
#include "shim.h"
#cgo noescape gn_try_packed
#cgo nocallback gn_try_packed
*/
import "C"

import (
	"encoding/binary"
	"strconv"
	"strings"
	"sync/atomic"
	"unsafe"
)

// The pump of a handler or channel subscription takes its batches packed
// (natsrs_subscription_try_next_packed): one C call copies the waiting messages into a Go
// scratch buffer, instead of a C handle, a view and six accessor calls per message; each
// message is then copied out of the scratch buffer into its own Go allocation (as copyView).

const (
	packedInitial = 64 << 10 // scratch buffer; grows to fit one larger message
	packedEntry   = 16       // four little-endian u32 lengths in front of every entry
	// A batch that fills at least 1/packedHandoffDiv of the buffer with at least
	// packedHandoffMin messages keeps the buffer: its messages' Data and Reply point into it
	// (one copy per message instead of two, one allocation per batch instead of one per
	// message) and the next call gets a fresh buffer. Smaller batches are copied out message
	// by message, so a message kept from a sparse batch does not pin a large buffer.
	packedHandoffDiv = 2
	packedHandoffMin = 8
)

// packedHandoffs counts batches whose buffer went to their messages (for tests).
var packedHandoffs atomic.Uint64

type packedBuf struct {
	buf []byte
}

// tryFetchPacked takes what is queued without waiting and hands each message to deliver.
func (s *Subscription) tryFetchPacked(pb *packedBuf, deliver func(*Msg)) (int, error) {
	n, _, err := s.tryFetchPackedLeft(pb, deliver)
	return n, err
}

// tryFetchPackedLeft is tryFetchPacked that also tells whether messages were still queued
// after the batch (false: the queue was empty, and the core signals the next message).
func (s *Subscription) tryFetchPackedLeft(pb *packedBuf, deliver func(*Msg)) (int, bool, error) {
	if pb.buf == nil {
		pb.buf = make([]byte, packedInitial)
	}
	for {
		p := s.h.acquire()
		if p == nil {
			return 0, false, s.endErr()
		}
		var cerr *C.char
		var used, n C.size_t
		var left C.int
		st := C.gn_try_packed(p, (*C.uint8_t)(unsafe.Pointer(&pb.buf[0])), C.size_t(len(pb.buf)), &used, &n, &left, &cerr)
		s.h.release()
		if int(st) == stBufferTooSmall {
			pb.buf = make([]byte, int(used))
			continue
		}
		if err := takeErr(st, cerr); err != nil {
			return 0, false, err
		}
		b := pb.buf[:int(used)]
		own := int(n) >= packedHandoffMin && int(used)*packedHandoffDiv >= len(pb.buf)
		if own {
			pb.buf = make([]byte, len(pb.buf))
			packedHandoffs.Add(1)
		}
		if err := s.unpack(b, int(n), own, deliver); err != nil {
			return 0, false, err
		}
		return int(n), left != 0, nil
	}
}

// unpack turns n packed entries into messages: copied out, or (own: b is theirs to keep)
// pointing into b.
func (s *Subscription) unpack(b []byte, n int, own bool, deliver func(*Msg)) error {
	for i := 0; i < n; i++ {
		if len(b) < packedEntry {
			return ErrBadSubscription
		}
		sl := int(binary.LittleEndian.Uint32(b[0:]))
		rl := int(binary.LittleEndian.Uint32(b[4:]))
		hl := int(binary.LittleEndian.Uint32(b[8:]))
		dl := int(binary.LittleEndian.Uint32(b[12:]))
		b = b[packedEntry:]
		if len(b) < sl+rl+hl+dl {
			return ErrBadSubscription
		}
		subj, reply, hdr, data := b[:sl], b[sl:sl+rl], b[sl+rl:sl+rl+hl], b[sl+rl+hl:sl+rl+hl+dl]
		b = b[sl+rl+hl+dl:]
		m := &Msg{Sub: s}
		if own {
			if s.Subject == string(subj) {
				m.Subject = s.Subject
			} else if sl > 0 {
				m.Subject = unsafe.String(&subj[0], sl)
			}
			if rl > 0 {
				m.Reply = unsafe.String(&reply[0], rl)
			}
			if dl > 0 {
				m.Data = data[:dl:dl]
			} else {
				m.Data = noData
			}
		} else {
			m.copyParts(s, subj, reply, data)
		}
		if hl > 0 {
			m.Header = parseWireHeader(hdr)
		}
		deliver(m)
	}
	return nil
}

// parseWireHeader parses a header block as on the wire ("NATS/1.0[ code[ text]]\r\nK: V\r\n...
// \r\n\r\n"); a status code becomes the Status header (as copyView does).
func parseWireHeader(b []byte) Header {
	h := Header{}
	raw := string(b)
	line, rest, _ := strings.Cut(raw, "\r\n")
	status := ""
	if st, ok := strings.CutPrefix(line, "NATS/1.0"); ok {
		st = strings.TrimSpace(st)
		if len(st) >= 3 {
			if _, err := strconv.Atoi(st[:3]); err == nil {
				status = st[:3]
			}
		}
	}
	for rest != "" {
		line, rest, _ = strings.Cut(rest, "\r\n")
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		k = strings.TrimSpace(k)
		if k == "" {
			continue
		}
		h[k] = append(h[k], strings.TrimSpace(v))
	}
	if status != "" && h.Get(statusHdr) == "" {
		h.Set(statusHdr, status)
	}
	return h
}
