package nats

/*
#include "kv_shim.h"
*/
import "C"

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// The key-value store (nats.go's KeyValueManager / KeyValue) runs on libnatsrs's KV C API
// (natsrs_kv_*, README "Key-value store from C"): a natsrs_kv handle per KeyValue; gets,
// writes, keys and history are one C call each; watchers wait in natsrs_kv_watcher_next in a
// goroutine (kv_watch.go).

// KeyValueManager creates, loads and deletes key-value buckets.
type KeyValueManager interface {
	KeyValue(bucket string) (KeyValue, error)
	CreateKeyValue(cfg *KeyValueConfig) (KeyValue, error)
	DeleteKeyValue(bucket string) error
	KeyValueStoreNames() <-chan string
	KeyValueStores() <-chan KeyValueStatus
}

// KeyValue is a bucket of keys and values (with history) in a JetStream stream.
type KeyValue interface {
	Get(key string) (entry KeyValueEntry, err error)
	GetRevision(key string, revision uint64) (entry KeyValueEntry, err error)
	Put(key string, value []byte) (revision uint64, err error)
	PutString(key string, value string) (revision uint64, err error)
	Create(key string, value []byte) (revision uint64, err error)
	Update(key string, value []byte, last uint64) (revision uint64, err error)
	Delete(key string, opts ...DeleteOpt) error
	Purge(key string, opts ...DeleteOpt) error
	Watch(keys string, opts ...WatchOpt) (KeyWatcher, error)
	WatchAll(opts ...WatchOpt) (KeyWatcher, error)
	WatchFiltered(keys []string, opts ...WatchOpt) (KeyWatcher, error)
	Keys(opts ...WatchOpt) ([]string, error)
	ListKeys(opts ...WatchOpt) (KeyLister, error)
	History(key string, opts ...WatchOpt) ([]KeyValueEntry, error)
	Bucket() string
	PurgeDeletes(opts ...PurgeOpt) error
	Status() (KeyValueStatus, error)
}

// KeyValueStatus is the status of a bucket.
type KeyValueStatus interface {
	Bucket() string
	Values() uint64
	History() int64
	TTL() time.Duration
	BackingStore() string
	Bytes() uint64
	IsCompressed() bool
	Config() KeyValueConfig
}

// KeyWatcher is what Watch returns.
type KeyWatcher interface {
	Context() context.Context
	// Updates returns the changes; a nil entry marks the end of the initial values.
	Updates() <-chan KeyValueEntry
	Stop() error
	Error() <-chan error
}

// KeyLister is what ListKeys returns.
type KeyLister interface {
	Keys() <-chan string
	Stop() error
	Error() <-chan error
}

// PurgeOpt configures PurgeDeletes.
type PurgeOpt interface {
	configurePurge(opts *purgeOpts) error
}

type purgeOpts struct {
	dmthr time.Duration
	ctx   context.Context
}

// DeleteMarkersOlderThan makes PurgeDeletes remove markers older than this entirely (newer
// ones only lose the revisions before them); the default is 30 minutes, a negative value
// removes every marker.
type DeleteMarkersOlderThan time.Duration

func (ttl DeleteMarkersOlderThan) configurePurge(opts *purgeOpts) error {
	opts.dmthr = time.Duration(ttl)
	return nil
}

func (ctx ContextOpt) configurePurge(opts *purgeOpts) error {
	opts.ctx = ctx
	return nil
}

// DeleteOpt configures Delete and Purge.
type DeleteOpt interface {
	configureDelete(opts *deleteOpts) error
}

type deleteOpts struct {
	purge    bool
	revision uint64
}

type deleteOptFn func(opts *deleteOpts) error

func (opt deleteOptFn) configureDelete(opts *deleteOpts) error { return opt(opts) }

// LastRevision makes Delete / Purge happen only when the key's latest revision is this one.
func LastRevision(revision uint64) DeleteOpt {
	return deleteOptFn(func(opts *deleteOpts) error {
		opts.revision = revision
		return nil
	})
}

// KeyValueConfig is the config of a bucket.
type KeyValueConfig struct {
	Bucket       string          `json:"bucket"`
	Description  string          `json:"description,omitempty"`
	MaxValueSize int32           `json:"max_value_size,omitempty"`
	History      uint8           `json:"history,omitempty"`
	TTL          time.Duration   `json:"ttl,omitempty"`
	MaxBytes     int64           `json:"max_bytes,omitempty"`
	Storage      StorageType     `json:"storage,omitempty"`
	Replicas     int             `json:"num_replicas,omitempty"`
	Placement    *Placement      `json:"placement,omitempty"`
	RePublish    *RePublish      `json:"republish,omitempty"`
	Mirror       *StreamSource   `json:"mirror,omitempty"`
	Sources      []*StreamSource `json:"sources,omitempty"`
	Compression  bool            `json:"compression,omitempty"`
}

// Key-value constants (as nats.go).
const (
	KeyValueMaxHistory = 64
	AllKeys            = ">"
)

// KeyValueOp is what an entry records.
type KeyValueOp uint8

const (
	KeyValuePut KeyValueOp = iota
	KeyValueDelete
	KeyValuePurge
)

func (op KeyValueOp) String() string {
	switch op {
	case KeyValuePut:
		return "KeyValuePutOp"
	case KeyValueDelete:
		return "KeyValueDeleteOp"
	case KeyValuePurge:
		return "KeyValuePurgeOp"
	default:
		return "Unknown Operation"
	}
}

// KeyValueEntry is a revision of a key (Get, History, Watch).
type KeyValueEntry interface {
	Bucket() string
	Key() string
	Value() []byte
	Revision() uint64
	Created() time.Time
	Delta() uint64
	Operation() KeyValueOp
}

// nats.go's key-value error values.
var (
	ErrKeyValueConfigRequired = errors.New("nats: config required")
	ErrInvalidBucketName      = errors.New("nats: invalid bucket name")
	ErrInvalidKey             = errors.New("nats: invalid key")
	ErrBucketNotFound         = errors.New("nats: bucket not found")
	ErrBadBucket              = errors.New("nats: bucket not valid key-value store")
	ErrKeyNotFound            = errors.New("nats: key not found")
	ErrKeyDeleted             = errors.New("nats: key was deleted")
	ErrHistoryToLarge         = errors.New("nats: history limited to a max of 64")
	ErrNoKeysFound            = errors.New("nats: no keys found")
	ErrKeyWatcherTimeout      = errors.New("nats: key watcher timed out waiting for initial keys")

	// ErrKeyExists is the error of Create on a key that has a value (it matches the server's
	// wrong-last-sequence API error by code).
	ErrKeyExists JetStreamError = &jsError{apiErr: &APIError{ErrorCode: JSErrCodeStreamWrongLastSequence, Code: 400}, message: "key exists"}
	// ErrKeyRevisionMismatch is the error of Update, and of Delete/Purge with LastRevision,
	// when the key's latest revision is another.
	ErrKeyRevisionMismatch JetStreamError = &jsError{message: "key revision mismatch"}
)

var (
	validKeyRe       = regexp.MustCompile(`^[-/_=\.a-zA-Z0-9]+$`)
	validSearchKeyRe = regexp.MustCompile(`^[-/_=\.a-zA-Z0-9*]*[>]?$`)
)

func keyValid(key string) bool {
	if len(key) == 0 || key[0] == '.' || key[len(key)-1] == '.' || strings.Contains(key, "..") {
		return false
	}
	return validKeyRe.MatchString(key)
}

func searchKeyValid(key string) bool {
	if len(key) == 0 || key[0] == '.' || key[len(key)-1] == '.' || strings.Contains(key, "..") {
		return false
	}
	return validSearchKeyRe.MatchString(key)
}

// kve is a KeyValueEntry.
type kve struct {
	bucket   string
	key      string
	value    []byte
	revision uint64
	created  time.Time
	delta    uint64
	op       KeyValueOp
}

func (e *kve) Bucket() string        { return e.bucket }
func (e *kve) Key() string           { return e.key }
func (e *kve) Value() []byte         { return e.value }
func (e *kve) Revision() uint64      { return e.revision }
func (e *kve) Created() time.Time    { return e.created }
func (e *kve) Delta() uint64         { return e.delta }
func (e *kve) Operation() KeyValueOp { return e.op }

// takeEntry copies a gn_kv_entry into Go memory and frees it.
func takeEntry(bucket string, e *C.gn_kv_entry) *kve {
	out := &kve{
		bucket: bucket, key: C.GoString(e.key), revision: uint64(e.revision), delta: uint64(e.delta),
		op: KeyValueOp(e.op),
	}
	if e.created_ns != 0 {
		out.created = time.Unix(0, int64(e.created_ns))
	}
	if e.value_len > 0 {
		out.value = C.GoBytes(unsafe.Pointer(e.value), C.int(e.value_len))
	}
	C.gn_kv_entry_clear(e)
	return out
}

// KeyValueBucketStatus is the status of a bucket (from its stream's info).
type KeyValueBucketStatus struct {
	nfo    *StreamInfo
	bucket string
}

func (s *KeyValueBucketStatus) Bucket() string          { return s.bucket }
func (s *KeyValueBucketStatus) Values() uint64          { return s.nfo.State.Msgs }
func (s *KeyValueBucketStatus) History() int64          { return s.nfo.Config.MaxMsgsPerSubject }
func (s *KeyValueBucketStatus) TTL() time.Duration      { return s.nfo.Config.MaxAge }
func (s *KeyValueBucketStatus) BackingStore() string    { return "JetStream" }
func (s *KeyValueBucketStatus) StreamInfo() *StreamInfo { return s.nfo }
func (s *KeyValueBucketStatus) Bytes() uint64           { return s.nfo.State.Bytes }
func (s *KeyValueBucketStatus) IsCompressed() bool      { return s.nfo.Config.Compression != NoCompression }

func (s *KeyValueBucketStatus) Config() KeyValueConfig {
	c := &s.nfo.Config
	return KeyValueConfig{
		Bucket: s.bucket, Description: c.Description, MaxValueSize: c.MaxMsgSize,
		History: uint8(c.MaxMsgsPerSubject), TTL: c.MaxAge, MaxBytes: c.MaxBytes, Storage: c.Storage,
		Replicas: c.Replicas, Placement: c.Placement, RePublish: c.RePublish, Mirror: c.Mirror,
		Sources: c.Sources, Compression: c.Compression != NoCompression,
	}
}

// decodeKVStatus decodes natsrs_kv_status_json.
func decodeKVStatus(s string) (*KeyValueBucketStatus, error) {
	var raw struct {
		Bucket     string          `json:"bucket"`
		StreamInfo json.RawMessage `json:"stream_info"`
	}
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return nil, fmt.Errorf("nats: decoding a bucket status: %w", err)
	}
	si, err := decodeInfo[StreamInfo](string(raw.StreamInfo))
	if err != nil {
		return nil, err
	}
	return &KeyValueBucketStatus{nfo: si, bucket: raw.Bucket}, nil
}

// kvs is a KeyValue: a natsrs_kv handle.
type kvs struct {
	name string
	js   *js
	ptr  *C.natsrs_kv
}

// kvErr maps a failed key-value call to nats.go's errors.
func kvErr(st C.natsrs_status, je *C.gn_jerr, bucketCall bool) error {
	if st == C.NATSRS_STATUS_OK {
		freeJErr(je)
		return nil
	}
	switch st {
	case C.NATSRS_STATUS_KEY_DELETED:
		freeJErr(je)
		return ErrKeyDeleted
	case C.NATSRS_STATUS_NOT_FOUND:
		if bucketCall {
			freeJErr(je)
			return ErrBucketNotFound
		}
		if !je.has_api {
			freeJErr(je)
			return ErrKeyNotFound
		}
	case C.NATSRS_STATUS_WRONG_REVISION:
		err := jsErr(st, je, jsCallAPI)
		if _, ok := err.(*APIError); !ok {
			err = &APIError{Code: 400, ErrorCode: JSErrCodeStreamWrongLastSequence, Description: "wrong last sequence"}
		}
		return err
	}
	return jsErr(st, je, jsCallStream)
}

func bucketValid(bucket string) bool { return bucket != "" && validBucketRe.MatchString(bucket) }

func (j *js) newKV(name string, p *C.natsrs_kv) *kvs {
	kv := &kvs{name: name, js: j, ptr: p}
	runtime.AddCleanup(kv, func(p *C.natsrs_kv) { go C.natsrs_kv_free(p) }, p)
	return kv
}

// CreateKeyValue creates a bucket (or returns the existing one with that config).
func (j *js) CreateKeyValue(cfg *KeyValueConfig) (KeyValue, error) {
	if cfg == nil {
		return nil, ErrKeyValueConfigRequired
	}
	if !bucketValid(cfg.Bucket) {
		return nil, ErrInvalidBucketName
	}
	if cfg.History > KeyValueMaxHistory {
		return nil, ErrHistoryToLarge
	}
	data, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	s := string(data)
	var out *C.natsrs_kv
	var je C.gn_jerr
	pj, nj := cstr(s)
	st := C.gn_kv_create(j.cp(), C.GN_KV_CREATE, pj, nj, &out, &je)
	runtime.KeepAlive(s)
	runtime.KeepAlive(j)
	if err := kvErr(st, &je, true); err != nil {
		return nil, err
	}
	return j.newKV(cfg.Bucket, out), nil
}

// KeyValue binds to an existing bucket.
func (j *js) KeyValue(bucket string) (KeyValue, error) {
	if !bucketValid(bucket) {
		return nil, ErrInvalidBucketName
	}
	var out *C.natsrs_kv
	var je C.gn_jerr
	pb, nb := cstr(bucket)
	st := C.gn_kv_bind(j.cp(), pb, nb, &out, &je)
	runtime.KeepAlive(bucket)
	runtime.KeepAlive(j)
	if err := kvErr(st, &je, true); err != nil {
		return nil, err
	}
	return j.newKV(bucket, out), nil
}

// DeleteKeyValue deletes a bucket and all its values.
func (j *js) DeleteKeyValue(bucket string) error {
	if !bucketValid(bucket) {
		return ErrInvalidBucketName
	}
	var je C.gn_jerr
	pb, nb := cstr(bucket)
	st := C.gn_kv_delete_bucket(j.cp(), pb, nb, &je)
	runtime.KeepAlive(bucket)
	runtime.KeepAlive(j)
	if err := kvErr(st, &je, true); err != nil {
		if err == ErrBucketNotFound {
			return ErrStreamNotFound
		}
		return err
	}
	return nil
}

// KeyValueStoreNames lists the bucket names (the channel closes at the end).
func (j *js) KeyValueStoreNames() <-chan string {
	ch := make(chan string)
	go func() {
		defer close(ch)
		var out *C.char
		var je C.gn_jerr
		st := C.gn_kv_names(j.cp(), &out, &je)
		runtime.KeepAlive(j)
		if kvErr(st, &je, true) != nil {
			return
		}
		var names []string
		if json.Unmarshal([]byte(goStringFree(out)), &names) != nil {
			return
		}
		for _, n := range names {
			ch <- n
		}
	}()
	return ch
}

// KeyValueStores lists the bucket statuses (the channel closes at the end).
func (j *js) KeyValueStores() <-chan KeyValueStatus {
	ch := make(chan KeyValueStatus)
	go func() {
		defer close(ch)
		var out *C.char
		var je C.gn_jerr
		st := C.gn_kv_statuses(j.cp(), &out, &je)
		runtime.KeepAlive(j)
		if kvErr(st, &je, true) != nil {
			return
		}
		var raws []json.RawMessage
		if json.Unmarshal([]byte(goStringFree(out)), &raws) != nil {
			return
		}
		for _, r := range raws {
			if s, err := decodeKVStatus(string(r)); err == nil {
				ch <- s
			}
		}
	}()
	return ch
}

// Bucket returns the bucket's name.
func (kv *kvs) Bucket() string { return kv.name }

func (kv *kvs) get(key string, revision uint64) (KeyValueEntry, error) {
	if !keyValid(key) {
		return nil, ErrInvalidKey
	}
	var e C.gn_kv_entry
	var je C.gn_jerr
	pk, nk := cstr(key)
	st := C.gn_kv_get(kv.cp(), pk, nk, C.uint64_t(revision), &e, &je)
	runtime.KeepAlive(key)
	runtime.KeepAlive(kv)
	if err := kvErr(st, &je, false); err != nil {
		C.gn_kv_entry_clear(&e)
		if err == ErrKeyDeleted {
			return nil, ErrKeyNotFound // as nats.go's Get and GetRevision
		}
		return nil, err
	}
	return takeEntry(kv.name, &e), nil
}

// Get returns the latest value of a key (ErrKeyNotFound when it has none).
func (kv *kvs) Get(key string) (KeyValueEntry, error) { return kv.get(key, 0) }

// GetRevision returns a given revision of a key.
func (kv *kvs) GetRevision(key string, revision uint64) (KeyValueEntry, error) {
	if revision == 0 {
		return nil, ErrKeyNotFound
	}
	return kv.get(key, revision)
}

func (kv *kvs) write(op C.int, key string, value []byte, rev uint64) (uint64, error) {
	if !keyValid(key) {
		return 0, ErrInvalidKey
	}
	var out C.uint64_t
	var je C.gn_jerr
	pk, nk := cstr(key)
	pv, nv := cbytes(value)
	st := C.gn_kv_write(kv.cp(), op, pk, nk, pv, nv, C.uint64_t(rev), &out, &je)
	runtime.KeepAlive(key)
	runtime.KeepAlive(value)
	runtime.KeepAlive(kv)
	if err := kvErr(st, &je, false); err != nil {
		if st == C.NATSRS_STATUS_WRONG_REVISION {
			if op == C.GN_KV_CREATE_KEY {
				if errors.Is(err, ErrKeyExists) { // (10071: matches by its code, as in nats.go)
					return 0, fmt.Errorf("%w: %s", err, ErrKeyExists.(*jsError).message)
				}
				return 0, fmt.Errorf("%w: %w", err, ErrKeyExists)
			}
			return 0, fmt.Errorf("%w: %w", err, ErrKeyRevisionMismatch)
		}
		return 0, err
	}
	return uint64(out), nil
}

// Put stores a value for a key.
func (kv *kvs) Put(key string, value []byte) (uint64, error) {
	return kv.write(C.GN_KV_PUT, key, value, 0)
}

// PutString stores a string value for a key.
func (kv *kvs) PutString(key string, value string) (uint64, error) {
	return kv.Put(key, []byte(value))
}

// Create stores a value only when the key has none (ErrKeyExists otherwise).
func (kv *kvs) Create(key string, value []byte) (uint64, error) {
	return kv.write(C.GN_KV_CREATE_KEY, key, value, 0)
}

// Update stores a value only when the key's latest revision is `last`
// (ErrKeyRevisionMismatch otherwise).
func (kv *kvs) Update(key string, value []byte, last uint64) (uint64, error) {
	return kv.write(C.GN_KV_UPDATE_KEY, key, value, last)
}

// Delete writes a delete marker for the key (its history stays).
func (kv *kvs) Delete(key string, opts ...DeleteOpt) error {
	var o deleteOpts
	for _, opt := range opts {
		if opt != nil {
			if err := opt.configureDelete(&o); err != nil {
				return err
			}
		}
	}
	op := C.int(C.GN_KV_DELETE)
	if o.purge {
		op = C.GN_KV_PURGE
	}
	_, err := kv.write(op, key, nil, o.revision)
	return err
}

// Purge writes a purge marker for the key and removes its older revisions.
func (kv *kvs) Purge(key string, opts ...DeleteOpt) error {
	return kv.Delete(key, append(opts, deleteOptFn(func(o *deleteOpts) error { o.purge = true; return nil }))...)
}

// kvDefaultPurgeDeletesMarkerThreshold is PurgeDeletes' default (as nats.go).
const kvDefaultPurgeDeletesMarkerThreshold = 30 * time.Minute

// PurgeDeletes removes delete and purge markers (see DeleteMarkersOlderThan).
func (kv *kvs) PurgeDeletes(opts ...PurgeOpt) error {
	var o purgeOpts
	for _, opt := range opts {
		if opt != nil {
			if err := opt.configurePurge(&o); err != nil {
				return err
			}
		}
	}
	if o.ctx != nil && o.ctx.Err() != nil {
		return o.ctx.Err()
	}
	var thr int64
	switch {
	case o.dmthr < 0:
		thr = -1
	case o.dmthr == 0:
		thr = ms(kvDefaultPurgeDeletesMarkerThreshold)
	default:
		thr = max(1, ms(o.dmthr))
	}
	var je C.gn_jerr
	st := C.gn_kv_purge_deletes(kv.cp(), C.int64_t(thr), &je)
	runtime.KeepAlive(kv)
	return kvErr(st, &je, false)
}

// Status returns the bucket's status.
func (kv *kvs) Status() (KeyValueStatus, error) {
	var out *C.char
	var je C.gn_jerr
	st := C.gn_kv_status(kv.cp(), &out, &je)
	runtime.KeepAlive(kv)
	if err := kvErr(st, &je, true); err != nil {
		return nil, err
	}
	s, err := decodeKVStatus(goStringFree(out))
	if err != nil {
		return nil, err
	}
	s.bucket = kv.name
	return s, nil
}

// filterBuf joins filters as "f1\0f2\0..." for the C helpers.
func filterBuf(keys []string) string { return strings.Join(keys, "\x00") }

func (kv *kvs) keys(opts []WatchOpt) ([]string, error) {
	o, err := watchOptions(opts)
	if err != nil {
		return nil, err
	}
	if o.ctx != nil && o.ctx.Err() != nil {
		return nil, o.ctx.Err()
	}
	var out *C.char
	var je C.gn_jerr
	st := C.gn_kv_keys(kv.cp(), nil, 0, 0, &out, &je)
	runtime.KeepAlive(kv)
	if err := kvErr(st, &je, false); err != nil {
		return nil, err
	}
	var keys []string
	if err := json.Unmarshal([]byte(goStringFree(out)), &keys); err != nil {
		return nil, err
	}
	return keys, nil
}

// Keys returns the keys that have a value, sorted (ErrNoKeysFound when there is none).
func (kv *kvs) Keys(opts ...WatchOpt) ([]string, error) {
	keys, err := kv.keys(opts)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, ErrNoKeysFound
	}
	slices.Sort(keys)
	return slices.Compact(keys), nil
}

// keyListerLen is the capacity of a key lister's channel (as nats.go).
const keyListerLen = 256

// keyLister hands out the keys of one natsrs_kv_keys call.
type keyLister struct {
	keys  chan string
	errCh chan error
	stop  chan struct{}
	once  sync.Once
	// sent: every key went to the channel; Stop then gives ErrBadSubscription, as nats.go's
	// lister, whose watcher has ended by then
	sent atomic.Bool
}

// ListKeys lists the keys that have a value on a channel.
func (kv *kvs) ListKeys(opts ...WatchOpt) (KeyLister, error) {
	keys, err := kv.keys(opts)
	if err != nil {
		return nil, err
	}
	kl := &keyLister{keys: make(chan string, keyListerLen), errCh: make(chan error, 1), stop: make(chan struct{})}
	stop := kl.stop
	go func() {
		defer close(kl.keys)
		for _, k := range keys {
			select {
			case kl.keys <- k:
			case <-stop:
				return
			}
		}
		kl.sent.Store(true)
	}()
	return kl, nil
}

func (kl *keyLister) Keys() <-chan string { return kl.keys }
func (kl *keyLister) Error() <-chan error { return kl.errCh }
func (kl *keyLister) Stop() error {
	if kl.sent.Load() {
		return ErrBadSubscription
	}
	stopped := true
	kl.once.Do(func() { close(kl.stop); stopped = false })
	if stopped {
		return ErrBadSubscription // (a second Stop: nats.go's watcher is unsubscribed already)
	}
	return nil
}

// History returns every stored revision of a key, oldest first, markers included.
func (kv *kvs) History(key string, opts ...WatchOpt) ([]KeyValueEntry, error) {
	if !keyValid(key) {
		return nil, ErrInvalidKey
	}
	o, err := watchOptions(opts)
	if err != nil {
		return nil, err
	}
	var es *C.gn_kv_entry
	var n C.size_t
	var je C.gn_jerr
	pk, nk := cstr(key)
	st := C.gn_kv_history(kv.cp(), pk, nk, &es, &n, &je)
	runtime.KeepAlive(key)
	runtime.KeepAlive(kv)
	if err := kvErr(st, &je, false); err != nil {
		return nil, err
	}
	defer C.gn_kv_entries_free(es, n)
	src := unsafe.Slice(es, int(n))
	out := make([]KeyValueEntry, 0, len(src))
	for i := range src {
		e := takeEntry(kv.name, &src[i])
		if o.ignoreDeletes && e.op != KeyValuePut {
			continue
		}
		if o.metaOnly {
			e.value = nil
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		return nil, ErrKeyNotFound
	}
	return out, nil
}
