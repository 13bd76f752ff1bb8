package nats

/*
#include "js_shim.h"
*/
import "C"

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"
)

// JetStreamManager is the part of a JetStreamContext that creates, inspects and deletes streams
// and consumers.
type JetStreamManager interface {
	AddStream(cfg *StreamConfig, opts ...JSOpt) (*StreamInfo, error)
	UpdateStream(cfg *StreamConfig, opts ...JSOpt) (*StreamInfo, error)
	DeleteStream(name string, opts ...JSOpt) error
	StreamInfo(stream string, opts ...JSOpt) (*StreamInfo, error)
	PurgeStream(name string, opts ...JSOpt) error
	StreamsInfo(opts ...JSOpt) <-chan *StreamInfo
	Streams(opts ...JSOpt) <-chan *StreamInfo
	StreamNames(opts ...JSOpt) <-chan string
	GetMsg(name string, seq uint64, opts ...JSOpt) (*RawStreamMsg, error)
	GetLastMsg(name, subject string, opts ...JSOpt) (*RawStreamMsg, error)
	DeleteMsg(name string, seq uint64, opts ...JSOpt) error
	SecureDeleteMsg(name string, seq uint64, opts ...JSOpt) error
	AddConsumer(stream string, cfg *ConsumerConfig, opts ...JSOpt) (*ConsumerInfo, error)
	UpdateConsumer(stream string, cfg *ConsumerConfig, opts ...JSOpt) (*ConsumerInfo, error)
	DeleteConsumer(stream, consumer string, opts ...JSOpt) error
	ConsumerInfo(stream, name string, opts ...JSOpt) (*ConsumerInfo, error)
	ConsumersInfo(stream string, opts ...JSOpt) <-chan *ConsumerInfo
	Consumers(stream string, opts ...JSOpt) <-chan *ConsumerInfo
	ConsumerNames(stream string, opts ...JSOpt) <-chan string
	AccountInfo(opts ...JSOpt) (*AccountInfo, error)
	StreamNameBySubject(string, ...JSOpt) (string, error)
}

// manageArgs are the inputs of one gn_js_manage call.
type manageArgs struct {
	op    C.int
	a, b  string
	json  string
	u1    uint64
	u2    uint64
	flag  bool
	call  jsCall
	jsOps []JSOpt
}

// manage runs a management call on the C context (or a temporary one for per-call options);
// returns the JSON output and the number output.
func (j *js) manage(m manageArgs) (string, uint64, jsOpts, error) {
	o, p, done, err := j.callOpts(m.jsOps)
	if err != nil {
		return "", 0, o, err
	}
	defer done()
	var out *C.char
	var outU C.uint64_t
	var je C.gn_jerr
	pa, na := cstr(m.a)
	pb, nb := cstr(m.b)
	pj, nj := cstr(m.json)
	st := C.gn_js_manage(p, m.op, pa, na, pb, nb, pj, nj, C.uint64_t(m.u1), C.uint64_t(m.u2), C.bool(m.flag), &out, &outU, &je)
	runtime.KeepAlive(m.a)
	runtime.KeepAlive(m.b)
	runtime.KeepAlive(m.json)
	if err := jsErr(st, &je, m.call); err != nil {
		return "", 0, o, err
	}
	return natsString(out), uint64(outU), o, nil
}

func checkStreamName(name string) error {
	if name == "" {
		return ErrStreamNameRequired
	}
	if strings.ContainsAny(name, ">*. /\\\t\r\n") {
		return ErrInvalidStreamName
	}
	return nil
}

func checkConsumerName(name string) error {
	if name == "" {
		return ErrConsumerNameRequired
	}
	if strings.ContainsAny(name, ">*. /\\\t\r\n") {
		return ErrInvalidConsumerName
	}
	return nil
}

func decodeInfo[T any](s string) (*T, error) {
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, fmt.Errorf("nats: decoding the server's info: %w", err)
	}
	return &v, nil
}

// AddStream creates the stream described by cfg and returns its info.
func (j *js) AddStream(cfg *StreamConfig, opts ...JSOpt) (*StreamInfo, error) {
	return j.upsertStream(C.GN_JS_ADD_STREAM, cfg, opts)
}

// UpdateStream changes an existing stream's configuration to cfg and returns its info.
func (j *js) UpdateStream(cfg *StreamConfig, opts ...JSOpt) (*StreamInfo, error) {
	return j.upsertStream(C.GN_JS_UPDATE_STREAM, cfg, opts)
}

func (j *js) upsertStream(op C.int, cfg *StreamConfig, opts []JSOpt) (*StreamInfo, error) {
	if cfg == nil {
		return nil, ErrStreamConfigRequired
	}
	if err := checkStreamName(cfg.Name); err != nil {
		return nil, err
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	out, _, _, err := j.manage(manageArgs{op: op, json: string(b), call: jsCallStream, jsOps: opts})
	if err != nil {
		return nil, err
	}
	return decodeInfo[StreamInfo](out)
}

// StreamInfo fetches the configuration and state of the named stream.
func (j *js) StreamInfo(stream string, opts ...JSOpt) (*StreamInfo, error) {
	if err := checkStreamName(stream); err != nil {
		return nil, err
	}
	for _, opt := range opts {
		if req, ok := opt.(*StreamInfoRequest); ok && req != nil && (req.SubjectsFilter != "" || req.DeletedDetails) {
			o, _, done, err := j.callOpts(opts)
			if err != nil {
				return nil, err
			}
			done()
			return j.streamInfoDetailed(stream, req, o)
		}
	}
	out, _, _, err := j.manage(manageArgs{op: C.GN_JS_STREAM_INFO, a: stream, call: jsCallStream, jsOps: opts})
	if err != nil {
		return nil, err
	}
	return decodeInfo[StreamInfo](out)
}

// DeleteStream removes the named stream together with its messages and consumers.
func (j *js) DeleteStream(name string, opts ...JSOpt) error {
	if err := checkStreamName(name); err != nil {
		return err
	}
	_, _, _, err := j.manage(manageArgs{op: C.GN_JS_DELETE_STREAM, a: name, call: jsCallStream, jsOps: opts})
	return err
}

// PurgeStream purges a stream's messages (all, or as a *StreamPurgeRequest option says).
func (j *js) PurgeStream(name string, opts ...JSOpt) error {
	if err := checkStreamName(name); err != nil {
		return err
	}
	o := j.opts
	for _, opt := range opts {
		if opt != nil {
			if err := opt.configureJSContext(&o); err != nil {
				return err
			}
		}
	}
	var req StreamPurgeRequest
	if o.purge != nil {
		req = *o.purge
	}
	if req.Sequence > 0 && req.Keep > 0 {
		return fmt.Errorf("%w: invalid purge request body", ErrBadRequest) // (nats.go: the server says so)
	}
	_, _, _, err := j.manage(manageArgs{op: C.GN_JS_PURGE_STREAM, a: name, b: req.Subject, u1: req.Sequence, u2: req.Keep,
		call: jsCallStream, jsOps: opts})
	return err
}

// StreamNames sends the names of the account's streams (filtered with StreamListFilter) on the
// returned channel. The channel is closed at the end (also on an error, as nats.go).
func (j *js) StreamNames(opts ...JSOpt) <-chan string {
	ch := make(chan string)
	go func() {
		defer close(ch)
		for _, n := range j.streamNames(opts) {
			ch <- n
		}
	}()
	return ch
}

func (j *js) streamNames(opts []JSOpt) []string {
	o := j.opts
	for _, opt := range opts {
		if opt != nil {
			_ = opt.configureJSContext(&o)
		}
	}
	out, _, _, err := j.manage(manageArgs{op: C.GN_JS_STREAM_NAMES, b: o.listFilter, call: jsCallAPI, jsOps: opts})
	if err != nil {
		return nil
	}
	var names []string
	_ = json.Unmarshal([]byte(out), &names)
	return names
}

// Streams sends the info of every stream in the account on the returned channel
// (natsrs_jetstream_streams: all pages in one call; StreamListFilter applies).
func (j *js) Streams(opts ...JSOpt) <-chan *StreamInfo {
	ch := make(chan *StreamInfo)
	go func() {
		defer close(ch)
		infos, o, _ := infoList[StreamInfo](j, false, "", opts)
		sendAll(ch, infos, o.ctx)
	}()
	return ch
}

// StreamsInfo is the old name of Streams and behaves the same.
//
// Deprecated: call Streams.
func (j *js) StreamsInfo(opts ...JSOpt) <-chan *StreamInfo { return j.Streams(opts...) }

// StreamNameBySubject returns the one stream whose subjects cover subj; it fails with
// ErrNoMatchingStream when no stream, or more than one, matches.
func (j *js) StreamNameBySubject(subj string, opts ...JSOpt) (string, error) {
	out, _, _, err := j.manage(manageArgs{op: C.GN_JS_STREAM_NAMES, b: subj, call: jsCallAPI, jsOps: opts})
	if err != nil {
		return "", err
	}
	var names []string
	if err := json.Unmarshal([]byte(out), &names); err != nil {
		return "", err
	}
	if len(names) != 1 {
		return "", ErrNoMatchingStream
	}
	return names[0], nil
}

// AddConsumer creates a consumer on stream from cfg (durable when Durable or Name is set).
func (j *js) AddConsumer(stream string, cfg *ConsumerConfig, opts ...JSOpt) (*ConsumerInfo, error) {
	info, err := j.upsertConsumer(C.GN_JS_ADD_CONSUMER, stream, cfg, opts)
	var aerr *APIError
	if err != nil && errors.As(err, &aerr) && aerr.ErrorCode == jsErrCodeConsumerExists {
		// an existing consumer with another configuration, as nats.go words it
		name := cfg.Name
		if name == "" {
			name = cfg.Durable
		}
		return nil, fmt.Errorf("%w: creating consumer %q on stream %q", ErrConsumerNameAlreadyInUse, name, stream)
	}
	return info, err
}

// UpdateConsumer changes the configuration of an existing consumer on stream to cfg.
func (j *js) UpdateConsumer(stream string, cfg *ConsumerConfig, opts ...JSOpt) (*ConsumerInfo, error) {
	if cfg == nil {
		return nil, ErrConsumerConfigRequired
	}
	name := cfg.Durable
	if name == "" {
		name = cfg.Name
	}
	if err := checkConsumerName(name); err != nil {
		return nil, err
	}
	info, err := j.upsertConsumer(C.GN_JS_UPDATE_CONSUMER, stream, cfg, opts)
	var aerr *APIError
	if err != nil && (errors.Is(err, ErrConsumerNotFound) || errors.As(err, &aerr) && aerr.ErrorCode == jsErrCodeConsumerDoesNotExist) {
		// nats.go's UpdateConsumer is a create-or-update: a missing consumer is created
		return j.upsertConsumer(C.GN_JS_ADD_CONSUMER, stream, cfg, opts)
	}
	return info, err
}

func (j *js) upsertConsumer(op C.int, stream string, cfg *ConsumerConfig, opts []JSOpt) (*ConsumerInfo, error) {
	if err := checkStreamName(stream); err != nil {
		return nil, err
	}
	if cfg == nil {
		return nil, ErrConsumerConfigRequired
	}
	if cfg.Durable != "" {
		if err := checkConsumerName(cfg.Durable); err != nil {
			return nil, err // (nats.go: ErrInvalidConsumerName)
		}
	}
	if cfg.Name != "" {
		if err := checkConsumerName(cfg.Name); err != nil {
			return nil, err
		}
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	out, _, _, err := j.manage(manageArgs{op: op, a: stream, json: string(b), call: jsCallStream, jsOps: opts})
	if err != nil {
		return nil, err
	}
	return decodeInfo[ConsumerInfo](out)
}

// ConsumerInfo fetches the configuration and delivery state of a consumer of stream.
func (j *js) ConsumerInfo(stream, name string, opts ...JSOpt) (*ConsumerInfo, error) {
	if err := checkStreamName(stream); err != nil {
		return nil, err
	}
	if err := checkConsumerName(name); err != nil {
		return nil, err
	}
	out, _, _, err := j.manage(manageArgs{op: C.GN_JS_CONSUMER_INFO, a: stream, b: name, call: jsCallConsumer, jsOps: opts})
	if err != nil {
		return nil, err
	}
	return decodeInfo[ConsumerInfo](out)
}

// DeleteConsumer removes the named consumer from stream.
func (j *js) DeleteConsumer(stream, consumer string, opts ...JSOpt) error {
	if err := checkStreamName(stream); err != nil {
		return err
	}
	if err := checkConsumerName(consumer); err != nil {
		return err
	}
	_, _, _, err := j.manage(manageArgs{op: C.GN_JS_DELETE_CONSUMER, a: stream, b: consumer, call: jsCallConsumer, jsOps: opts})
	return err
}

func (j *js) consumerNames(stream string, opts []JSOpt) []string {
	if checkStreamName(stream) != nil {
		return nil
	}
	out, _, _, err := j.manage(manageArgs{op: C.GN_JS_CONSUMER_NAMES, a: stream, call: jsCallStream, jsOps: opts})
	if err != nil {
		return nil
	}
	var names []string
	_ = json.Unmarshal([]byte(out), &names)
	return names
}

// ConsumerNames sends the names of the stream's consumers on the returned channel, which is closed
// after the last one.
func (j *js) ConsumerNames(stream string, opts ...JSOpt) <-chan string {
	ch := make(chan string)
	go func() {
		defer close(ch)
		for _, n := range j.consumerNames(stream, opts) {
			ch <- n
		}
	}()
	return ch
}

// Consumers sends the info of every consumer of stream on the returned channel
// (natsrs_jetstream_consumers: all pages in one call).
func (j *js) Consumers(stream string, opts ...JSOpt) <-chan *ConsumerInfo {
	ch := make(chan *ConsumerInfo)
	go func() {
		defer close(ch)
		if checkStreamName(stream) != nil {
			return
		}
		infos, o, _ := infoList[ConsumerInfo](j, true, stream, opts)
		sendAll(ch, infos, o.ctx)
	}()
	return ch
}

// infoList gets the stream infos (consumers false; the context's StreamListFilter applies) or
// the consumer infos of `stream`.
func infoList[T any](j *js, consumers bool, stream string, opts []JSOpt) ([]*T, jsOpts, error) {
	o, p, done, err := j.callOpts(opts)
	if err != nil {
		return nil, o, err
	}
	defer done()
	name := stream
	if !consumers {
		name = o.listFilter
	}
	var out *C.char
	var je C.gn_jerr
	pn, nn := cstr(name)
	st := C.gn_js_infos(p, C.bool(consumers), pn, nn, &out, &je)
	runtime.KeepAlive(name)
	call := jsCallAPI
	if consumers {
		call = jsCallStream
	}
	if err := jsErr(st, &je, call); err != nil {
		return nil, o, err
	}
	var infos []*T
	if err := json.Unmarshal([]byte(goStringFree(out)), &infos); err != nil {
		return nil, o, err
	}
	return infos, o, nil
}

// sendAll sends the values on ch until ctx (may be nil) ends.
func sendAll[T any](ch chan<- *T, vs []*T, ctx context.Context) {
	var done <-chan struct{}
	if ctx != nil {
		done = ctx.Done()
	}
	for _, v := range vs {
		select {
		case ch <- v:
		case <-done:
			return
		}
	}
}

// ConsumersInfo is the old name of Consumers and behaves the same.
//
// Deprecated: call Consumers.
func (j *js) ConsumersInfo(stream string, opts ...JSOpt) <-chan *ConsumerInfo {
	return j.Consumers(stream, opts...)
}

// AccountInfo asks the server for the JetStream usage and limits of the account this connection
// belongs to.
func (j *js) AccountInfo(opts ...JSOpt) (*AccountInfo, error) {
	out, _, _, err := j.manage(manageArgs{op: C.GN_JS_ACCOUNT_INFO, call: jsCallAPI, jsOps: opts})
	if err != nil {
		return nil, err
	}
	return decodeInfo[AccountInfo](out)
}

// DeleteMsg removes the message with sequence seq from the stream; its bytes are only marked as
// deleted, not overwritten.
func (j *js) DeleteMsg(name string, seq uint64, opts ...JSOpt) error {
	return j.deleteMsg(name, seq, false, opts)
}

// SecureDeleteMsg removes the message with sequence seq from the stream and has the server
// overwrite its bytes.
func (j *js) SecureDeleteMsg(name string, seq uint64, opts ...JSOpt) error {
	return j.deleteMsg(name, seq, true, opts)
}

func (j *js) deleteMsg(name string, seq uint64, erase bool, opts []JSOpt) error {
	if err := checkStreamName(name); err != nil {
		return err
	}
	_, _, _, err := j.manage(manageArgs{op: C.GN_JS_DELETE_MSG, a: name, u1: seq, flag: erase, call: jsCallMsg, jsOps: opts})
	return err
}

// GetMsg reads the message with sequence seq from the stream (with DirectGet: through the direct
// get API), with its stored sequence and time.
func (j *js) GetMsg(name string, seq uint64, opts ...JSOpt) (*RawStreamMsg, error) {
	return j.getMsg(name, "", seq, opts)
}

// GetLastMsg reads the newest message on subject from the stream, with its stored sequence and
// time.
func (j *js) GetLastMsg(name, subject string, opts ...JSOpt) (*RawStreamMsg, error) {
	if subject == "" {
		return nil, ErrBadSubject
	}
	return j.getMsg(name, subject, 0, opts)
}

func (j *js) getMsg(name, subject string, seq uint64, opts []JSOpt) (*RawStreamMsg, error) {
	if err := checkStreamName(name); err != nil {
		return nil, err
	}
	o, p, done, err := j.callOpts(opts)
	if err != nil {
		return nil, err
	}
	defer done()
	var view C.gn_msg_view
	var out *C.natsrs_msg
	var je C.gn_jerr
	var sseq C.uint64_t
	var sns C.int64_t
	ps, ns := cstr(name)
	pf, nf := cstr(subject)
	st := C.gn_js_get_msg(p, ps, ns, pf, nf, C.uint64_t(seq), C.bool(o.directGet), &view, &out, &sseq, &sns, &je)
	runtime.KeepAlive(name)
	runtime.KeepAlive(subject)
	if err := jsErr(st, &je, jsCallMsg); err != nil {
		return nil, err
	}
	m := copyView(&view, nil)
	freeView(&view)
	C.natsrs_msg_free(out)
	raw := &RawStreamMsg{Subject: m.Subject, Sequence: uint64(sseq), Header: m.Header, Data: m.Data, Time: time.Unix(0, int64(sns)).UTC()}
	if raw.Header == nil {
		raw.Header = Header{}
	}
	return raw, nil
}
