package nats

/*
#include "obj_shim.h"
*/
import "C"

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"regexp"
	"runtime"
	"strings"
	"time"
)

// The object store (nats.go's ObjectStoreManager / ObjectStore) runs on libnatsrs's object
// store C API (natsrs_object_store_*, README "Object store from C"): a store handle per
// ObjectStore, puts streamed from the caller's io.Reader through a read callback, gets streamed
// to an io.Pipe through a write callback (callbacks.go-style cgo.Handle userdata, obj_io.go).

// ObjectStoreManager is the part of a JetStreamContext that handles object store buckets.
type ObjectStoreManager interface {
	ObjectStore(bucket string) (ObjectStore, error)
	CreateObjectStore(cfg *ObjectStoreConfig) (ObjectStore, error)
	DeleteObjectStore(bucket string) error
	ObjectStoreNames(opts ...ObjectOpt) <-chan string
	ObjectStores(opts ...ObjectOpt) <-chan ObjectStoreStatus
}

// ObjectStore is a store of large objects, kept in chunks in a JetStream stream.
type ObjectStore interface {
	Put(obj *ObjectMeta, reader io.Reader, opts ...ObjectOpt) (*ObjectInfo, error)
	Get(name string, opts ...GetObjectOpt) (ObjectResult, error)
	PutBytes(name string, data []byte, opts ...ObjectOpt) (*ObjectInfo, error)
	GetBytes(name string, opts ...GetObjectOpt) ([]byte, error)
	PutString(name string, data string, opts ...ObjectOpt) (*ObjectInfo, error)
	GetString(name string, opts ...GetObjectOpt) (string, error)
	PutFile(file string, opts ...ObjectOpt) (*ObjectInfo, error)
	GetFile(name, file string, opts ...GetObjectOpt) error
	GetInfo(name string, opts ...GetObjectInfoOpt) (*ObjectInfo, error)
	UpdateMeta(name string, meta *ObjectMeta) error
	Delete(name string) error
	AddLink(name string, obj *ObjectInfo) (*ObjectInfo, error)
	AddBucketLink(name string, bucket ObjectStore) (*ObjectInfo, error)
	Seal() error
	Watch(opts ...WatchOpt) (ObjectWatcher, error)
	List(opts ...ListObjectsOpt) ([]*ObjectInfo, error)
	Status() (ObjectStoreStatus, error)
}

// ObjectOpt configures Put and the store listings (a Context).
type ObjectOpt interface {
	configureObject(opts *objOpts) error
}

type objOpts struct {
	ctx context.Context
}

func (ctx ContextOpt) configureObject(opts *objOpts) error {
	opts.ctx = ctx
	return nil
}

// ObjectWatcher is what Watch returns.
type ObjectWatcher interface {
	// Updates returns a channel of changes; a nil entry marks the end of the initial values.
	Updates() <-chan *ObjectInfo
	// Stop stops the watcher (the updates channel is closed).
	Stop() error
}

// nats.go's object store error values.
var (
	ErrObjectConfigRequired = errors.New("nats: object-store config required")
	ErrBadObjectMeta        = errors.New("nats: object-store meta information invalid")
	ErrObjectNotFound       = errors.New("nats: object not found")
	ErrInvalidStoreName     = errors.New("nats: invalid object-store name")
	ErrDigestMismatch       = errors.New("nats: received a corrupt object, digests do not match")
	ErrInvalidDigestFormat  = errors.New("nats: object digest hash has invalid format")
	ErrNoObjectsFound       = errors.New("nats: no objects found")
	ErrObjectAlreadyExists  = errors.New("nats: an object already exists with that name")
	ErrNameRequired         = errors.New("nats: name is required")
	ErrNeeds262             = errors.New("nats: object-store requires at least server version 2.6.2")
	ErrLinkNotAllowed       = errors.New("nats: link cannot be set when putting the object in bucket")
	ErrObjectRequired       = errors.New("nats: object required")
	ErrNoLinkToDeleted      = errors.New("nats: not allowed to link to a deleted object")
	ErrNoLinkToLink         = errors.New("nats: not allowed to link to another link")
	ErrCantGetBucket        = errors.New("nats: invalid Get, object is a link to a bucket")
	ErrBucketRequired       = errors.New("nats: bucket required")
	ErrBucketMalformed      = errors.New("nats: bucket malformed")
	ErrUpdateMetaDeleted    = errors.New("nats: cannot update meta for a deleted object")
)

// Object store constants (as nats.go).
const (
	objNameTmpl   = "OBJ_%s"
	objDigestType = "SHA-256="
)

var validBucketRe = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

// ObjectStoreConfig is the config of an object store.
type ObjectStoreConfig struct {
	Bucket      string            `json:"bucket"`
	Description string            `json:"description,omitempty"`
	TTL         time.Duration     `json:"max_age,omitempty"`
	MaxBytes    int64             `json:"max_bytes,omitempty"`
	Storage     StorageType       `json:"storage,omitempty"`
	Replicas    int               `json:"num_replicas,omitempty"`
	Placement   *Placement        `json:"placement,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
	Compression bool              `json:"compression,omitempty"`
}

// ObjectStoreStatus is the status of an object store.
type ObjectStoreStatus interface {
	Bucket() string
	Description() string
	TTL() time.Duration
	Storage() StorageType
	Replicas() int
	Sealed() bool
	Size() uint64
	BackingStore() string
	Metadata() map[string]string
	IsCompressed() bool
}

// ObjectMetaOptions are the options of an object (a link, the chunk size).
type ObjectMetaOptions struct {
	Link      *ObjectLink `json:"link,omitempty"`
	ChunkSize uint32      `json:"max_chunk_size,omitempty"`
}

// ObjectMeta is what a caller says about an object.
type ObjectMeta struct {
	Name        string             `json:"name"`
	Description string             `json:"description,omitempty"`
	Headers     Header             `json:"headers,omitempty"`
	Metadata    map[string]string  `json:"metadata,omitempty"`
	Opts        *ObjectMetaOptions `json:"options,omitempty"`
}

// ObjectInfo is an object's meta plus instance information.
type ObjectInfo struct {
	ObjectMeta
	Bucket  string    `json:"bucket"`
	NUID    string    `json:"nuid"`
	Size    uint64    `json:"size"`
	ModTime time.Time `json:"mtime"`
	Chunks  uint32    `json:"chunks"`
	Digest  string    `json:"digest,omitempty"`
	Deleted bool      `json:"deleted,omitempty"`
}

// ObjectLink links to another object, or (no name) to a whole store.
type ObjectLink struct {
	Bucket string `json:"bucket"`
	Name   string `json:"name,omitempty"`
}

// ObjectResult is a get in progress: an io.ReadCloser of the data plus the object's info.
type ObjectResult interface {
	io.ReadCloser
	Info() (*ObjectInfo, error)
	Error() error
}

func (info *ObjectInfo) isLink() bool {
	return info.ObjectMeta.Opts != nil && info.ObjectMeta.Opts.Link != nil
}

// GetObjectOpt configures Get.
type GetObjectOpt interface {
	configureGetObject(opts *getObjectOpts) error
}

type getObjectOpts struct {
	ctx         context.Context
	showDeleted bool
}

type getObjectFn func(opts *getObjectOpts) error

func (opt getObjectFn) configureGetObject(opts *getObjectOpts) error { return opt(opts) }

// GetObjectShowDeleted makes Get return a deleted object's (empty) result.
func GetObjectShowDeleted() GetObjectOpt {
	return getObjectFn(func(opts *getObjectOpts) error {
		opts.showDeleted = true
		return nil
	})
}

func (ctx ContextOpt) configureGetObject(opts *getObjectOpts) error {
	opts.ctx = ctx
	return nil
}

// GetObjectInfoOpt configures GetInfo.
type GetObjectInfoOpt interface {
	configureGetInfo(opts *getObjectInfoOpts) error
}

type getObjectInfoOpts struct {
	ctx         context.Context
	showDeleted bool
}

type getObjectInfoFn func(opts *getObjectInfoOpts) error

func (opt getObjectInfoFn) configureGetInfo(opts *getObjectInfoOpts) error { return opt(opts) }

// GetObjectInfoShowDeleted makes GetInfo return a deleted object's info.
func GetObjectInfoShowDeleted() GetObjectInfoOpt {
	return getObjectInfoFn(func(opts *getObjectInfoOpts) error {
		opts.showDeleted = true
		return nil
	})
}

func (ctx ContextOpt) configureGetInfo(opts *getObjectInfoOpts) error {
	opts.ctx = ctx
	return nil
}

// ListObjectsOpt configures List.
type ListObjectsOpt interface {
	configureListObjects(opts *listObjectOpts) error
}

type listObjectOpts struct {
	ctx         context.Context
	showDeleted bool
}

type listObjectsFn func(opts *listObjectOpts) error

func (opt listObjectsFn) configureListObjects(opts *listObjectOpts) error { return opt(opts) }

// ListObjectsShowDeleted makes List include deleted objects.
func ListObjectsShowDeleted() ListObjectsOpt {
	return listObjectsFn(func(opts *listObjectOpts) error {
		opts.showDeleted = true
		return nil
	})
}

func (ctx ContextOpt) configureListObjects(opts *listObjectOpts) error {
	opts.ctx = ctx
	return nil
}

// GetObjectDigestValue returns a digest string ("SHA-256=<base64url>") of a finished hash.
func GetObjectDigestValue(data hash.Hash) string {
	return objDigestType + base64.URLEncoding.EncodeToString(data.Sum(nil))
}

// DecodeObjectDigest returns the bytes of a digest string.
func DecodeObjectDigest(data string) ([]byte, error) {
	digest := strings.SplitN(data, "=", 2)
	if len(digest) != 2 {
		return nil, ErrInvalidDigestFormat
	}
	return base64.URLEncoding.DecodeString(digest[1])
}

// ObjectBucketStatus is the status of an object store (from its stream's info).
type ObjectBucketStatus struct {
	nfo    *StreamInfo
	bucket string
}

func (s *ObjectBucketStatus) Bucket() string              { return s.bucket }
func (s *ObjectBucketStatus) Description() string         { return s.nfo.Config.Description }
func (s *ObjectBucketStatus) TTL() time.Duration          { return s.nfo.Config.MaxAge }
func (s *ObjectBucketStatus) Storage() StorageType        { return s.nfo.Config.Storage }
func (s *ObjectBucketStatus) Replicas() int               { return s.nfo.Config.Replicas }
func (s *ObjectBucketStatus) Sealed() bool                { return s.nfo.Config.Sealed }
func (s *ObjectBucketStatus) Size() uint64                { return s.nfo.State.Bytes }
func (s *ObjectBucketStatus) BackingStore() string        { return "JetStream" }
func (s *ObjectBucketStatus) Metadata() map[string]string { return s.nfo.Config.Metadata }
func (s *ObjectBucketStatus) StreamInfo() *StreamInfo     { return s.nfo }
func (s *ObjectBucketStatus) IsCompressed() bool          { return s.nfo.Config.Compression != NoCompression }

// obs is an ObjectStore: a natsrs_object_store handle.
type obs struct {
	name string
	js   *js
	ptr  *C.natsrs_object_store
}

// What an object store call was about, to map NOT_FOUND like nats.go.
type objCall int

const (
	objCallStore objCall = iota
	objCallObject
)

// objErr maps a failed object store call to nats.go's errors.
func objErr(st C.natsrs_status, je *C.gn_jerr, call objCall) error {
	if st == C.NATSRS_STATUS_OK {
		freeJErr(je)
		return nil
	}
	if je.has_api {
		return jsErr(st, je, jsCallStream)
	}
	text := freeJErr(je)
	switch int(st) {
	case stNotFound:
		if call == objCallStore {
			return ErrStreamNotFound
		}
		return ErrObjectNotFound
	case stIO:
		if strings.Contains(text, "digest mismatch") {
			return ErrDigestMismatch
		}
	case stIllegalState:
		if strings.Contains(text, "deleted object") {
			return ErrUpdateMetaDeleted
		}
		if strings.Contains(text, "already exists") {
			return ErrObjectAlreadyExists
		}
	case stInvalidArgument:
		switch {
		case strings.Contains(text, "invalid object store name"):
			return ErrInvalidStoreName
		case strings.Contains(text, "link to deleted"):
			return ErrNoLinkToDeleted
		case strings.Contains(text, "link to link"), strings.Contains(text, "links to another link"):
			return ErrNoLinkToLink
		case strings.Contains(text, "link to store"):
			return ErrCantGetBucket
		case strings.Contains(text, "object name is empty"):
			return ErrNameRequired
		}
	}
	return statusError(int(st), text)
}

// decodeObjectInfo decodes an info JSON (an empty mtime is the zero time).
func decodeObjectInfo(s string) (*ObjectInfo, error) {
	type alias ObjectInfo
	var raw struct {
		alias
		ModTime string `json:"mtime"`
	}
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return nil, fmt.Errorf("nats: decoding an object info: %w", err)
	}
	info := ObjectInfo(raw.alias)
	if raw.ModTime != "" {
		t, err := time.Parse(time.RFC3339Nano, raw.ModTime)
		if err == nil {
			info.ModTime = t
		}
	}
	return &info, nil
}

func (j *js) newObs(name string, p *C.natsrs_object_store) *obs {
	o := &obs{name: name, js: j, ptr: p}
	runtime.AddCleanup(o, func(p *C.natsrs_object_store) { go C.natsrs_object_store_free(p) }, p)
	return o
}

// CreateObjectStore creates an object store (or returns the existing one with that config).
func (j *js) CreateObjectStore(cfg *ObjectStoreConfig) (ObjectStore, error) {
	if cfg == nil {
		return nil, ErrObjectConfigRequired
	}
	if !validBucketRe.MatchString(cfg.Bucket) {
		return nil, ErrInvalidStoreName
	}
	data, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	s := string(data)
	var out *C.natsrs_object_store
	var je C.gn_jerr
	pj, nj := cstr(s)
	st := C.gn_obj_create(j.cp(), pj, nj, false, &out, &je)
	runtime.KeepAlive(s)
	runtime.KeepAlive(j)
	if err := objErr(st, &je, objCallStore); err != nil {
		return nil, err
	}
	return j.newObs(cfg.Bucket, out), nil
}

// ObjectStore binds to an existing object store.
func (j *js) ObjectStore(bucket string) (ObjectStore, error) {
	if !validBucketRe.MatchString(bucket) {
		return nil, ErrInvalidStoreName
	}
	var out *C.natsrs_object_store
	var je C.gn_jerr
	pb, nb := cstr(bucket)
	st := C.gn_obj_bind(j.cp(), pb, nb, &out, &je)
	runtime.KeepAlive(bucket)
	runtime.KeepAlive(j)
	if err := objErr(st, &je, objCallStore); err != nil {
		return nil, err
	}
	return j.newObs(bucket, out), nil
}

// DeleteObjectStore deletes an object store and all its objects.
func (j *js) DeleteObjectStore(bucket string) error {
	if !validBucketRe.MatchString(bucket) {
		return ErrInvalidStoreName
	}
	var je C.gn_jerr
	pb, nb := cstr(bucket)
	st := C.gn_obj_delete_store(j.cp(), pb, nb, &je)
	runtime.KeepAlive(bucket)
	runtime.KeepAlive(j)
	return objErr(st, &je, objCallStore)
}

func (j *js) objectStoreNames() ([]string, error) {
	var out *C.char
	var je C.gn_jerr
	st := C.gn_obj_names(j.cp(), &out, &je)
	runtime.KeepAlive(j)
	if err := objErr(st, &je, objCallStore); err != nil {
		return nil, err
	}
	var names []string
	if err := json.Unmarshal([]byte(goStringFree(out)), &names); err != nil {
		return nil, err
	}
	return names, nil
}

// ObjectStoreNames lists the names of the object stores (the channel closes at the end).
func (j *js) ObjectStoreNames(opts ...ObjectOpt) <-chan string {
	ch := make(chan string)
	go func() {
		defer close(ch)
		names, _ := j.objectStoreNames()
		ctx := objCtx(opts)
		for _, n := range names {
			select {
			case ch <- n:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}

// ObjectStores lists the statuses of the object stores (the channel closes at the end).
func (j *js) ObjectStores(opts ...ObjectOpt) <-chan ObjectStoreStatus {
	ch := make(chan ObjectStoreStatus)
	go func() {
		defer close(ch)
		names, _ := j.objectStoreNames()
		ctx := objCtx(opts)
		for _, n := range names {
			os, err := j.ObjectStore(n)
			if err != nil {
				continue
			}
			s, err := os.Status()
			if err != nil {
				continue
			}
			select {
			case ch <- s:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}

func objCtx(opts []ObjectOpt) context.Context {
	var o objOpts
	for _, opt := range opts {
		if opt != nil {
			_ = opt.configureObject(&o)
		}
	}
	if o.ctx == nil {
		return context.Background()
	}
	return o.ctx
}

func (o *obs) infoCall(st C.natsrs_status, out *C.char, je *C.gn_jerr, call objCall) (*ObjectInfo, error) {
	if err := objErr(st, je, call); err != nil {
		return nil, err
	}
	return decodeObjectInfo(goStringFree(out))
}

// PutBytes puts an object from a byte slice.
func (o *obs) PutBytes(name string, data []byte, opts ...ObjectOpt) (*ObjectInfo, error) {
	if name == "" {
		return nil, ErrBadObjectMeta
	}
	if err := objCtx(opts).Err(); err != nil {
		return nil, err
	}
	var out *C.char
	var je C.gn_jerr
	pn, nn := cstr(name)
	pd, nd := cbytes(data)
	st := C.gn_obj_put_bytes(o.cp(), pn, nn, pd, nd, &out, &je)
	runtime.KeepAlive(name)
	runtime.KeepAlive(data)
	runtime.KeepAlive(o)
	info, err := o.infoCall(st, out, &je, objCallObject)
	return info, putCleanupErr(err)
}

// jsErrCodeStreamSealed is the server's error for a write to a sealed stream.
const jsErrCodeStreamSealed ErrorCode = 10109

// putCleanupErr: a put of data that a sealed store refused. nats.go then fails to purge the
// partial object too and joins that error to the put's.
func putCleanupErr(err error) error {
	var aerr *APIError
	if err == nil || !errors.As(err, &aerr) || aerr.ErrorCode != jsErrCodeStreamSealed {
		return err
	}
	return errors.Join(err, fmt.Errorf("could not cleanup bucket after erroneous put operation: %w", err))
}

// PutString puts an object from a string.
func (o *obs) PutString(name string, data string, opts ...ObjectOpt) (*ObjectInfo, error) {
	return o.PutBytes(name, []byte(data), opts...)
}

// PutFile puts the file at `file` as an object named by that path (streamed from the file).
func (o *obs) PutFile(file string, opts ...ObjectOpt) (*ObjectInfo, error) {
	if _, err := os.Stat(file); err != nil {
		return nil, err
	}
	if err := objCtx(opts).Err(); err != nil {
		return nil, err
	}
	var out *C.char
	var je C.gn_jerr
	pn, nn := cstr(file)
	st := C.gn_obj_put_file(o.cp(), pn, nn, pn, nn, &out, &je)
	runtime.KeepAlive(file)
	runtime.KeepAlive(o)
	return o.infoCall(st, out, &je, objCallObject)
}

// GetInfo returns an object's info (ErrObjectNotFound for a deleted one unless
// GetObjectInfoShowDeleted).
func (o *obs) GetInfo(name string, opts ...GetObjectInfoOpt) (*ObjectInfo, error) {
	if name == "" {
		return nil, ErrNameRequired
	}
	var gi getObjectInfoOpts
	for _, opt := range opts {
		if opt != nil {
			if err := opt.configureGetInfo(&gi); err != nil {
				return nil, err
			}
		}
	}
	var out *C.char
	var je C.gn_jerr
	pn, nn := cstr(name)
	st := C.gn_obj_info(o.cp(), pn, nn, C.bool(gi.showDeleted), &out, &je)
	runtime.KeepAlive(name)
	runtime.KeepAlive(o)
	return o.infoCall(st, out, &je, objCallObject)
}

// UpdateMeta changes an object's name, description, headers and metadata.
func (o *obs) UpdateMeta(name string, meta *ObjectMeta) error {
	if meta == nil {
		return ErrBadObjectMeta
	}
	if name == "" || meta.Name == "" {
		return ErrNameRequired
	}
	m := *meta
	m.Opts = nil
	data, err := json.Marshal(&m)
	if err != nil {
		return err
	}
	s := string(data)
	var je C.gn_jerr
	pn, nn := cstr(name)
	pj, nj := cstr(s)
	st := C.gn_obj_update_meta(o.cp(), pn, nn, pj, nj, &je)
	runtime.KeepAlive(name)
	runtime.KeepAlive(s)
	runtime.KeepAlive(o)
	if err := objErr(st, &je, objCallObject); err != ErrObjectNotFound {
		return err
	}
	return ErrUpdateMetaDeleted // (nats.go: a missing object is one that was deleted)
}

// Delete deletes an object (its chunks are purged; its info stays, marked deleted).
func (o *obs) Delete(name string) error {
	if name == "" {
		return ErrNameRequired
	}
	var je C.gn_jerr
	pn, nn := cstr(name)
	st := C.gn_obj_delete(o.cp(), pn, nn, &je)
	runtime.KeepAlive(name)
	runtime.KeepAlive(o)
	return objErr(st, &je, objCallObject)
}

// AddLink adds `name` as a link to the object `obj` (of this or another store).
func (o *obs) AddLink(name string, obj *ObjectInfo) (*ObjectInfo, error) {
	if name == "" {
		return nil, ErrNameRequired
	}
	if obj == nil || obj.Name == "" {
		return nil, ErrObjectRequired
	}
	if obj.Deleted {
		return nil, ErrNoLinkToDeleted
	}
	if obj.isLink() {
		return nil, ErrNoLinkToLink
	}
	var out *C.char
	var je C.gn_jerr
	pn, nn := cstr(name)
	pb, nb := cstr(obj.Bucket)
	pt, nt := cstr(obj.Name)
	st := C.gn_obj_add_link(o.cp(), o.js.ptr, pn, nn, pb, nb, pt, nt, &out, &je)
	runtime.KeepAlive(name)
	runtime.KeepAlive(obj)
	runtime.KeepAlive(o)
	return o.infoCall(st, out, &je, objCallObject)
}

// AddBucketLink stores an object called name that points to the whole store bucket.
func (o *obs) AddBucketLink(name string, bucket ObjectStore) (*ObjectInfo, error) {
	if name == "" {
		return nil, ErrNameRequired
	}
	if bucket == nil {
		return nil, ErrBucketRequired
	}
	t, ok := bucket.(*obs)
	if !ok {
		return nil, ErrBucketMalformed
	}
	var out *C.char
	var je C.gn_jerr
	pn, nn := cstr(name)
	st := C.gn_obj_add_bucket_link(o.cp(), pn, nn, t.ptr, &out, &je)
	runtime.KeepAlive(name)
	runtime.KeepAlive(t)
	runtime.KeepAlive(o)
	return o.infoCall(st, out, &je, objCallObject)
}

// Seal makes the store read-only.
func (o *obs) Seal() error {
	var je C.gn_jerr
	st := C.gn_obj_seal(o.cp(), &je)
	runtime.KeepAlive(o)
	return objErr(st, &je, objCallStore)
}

// Status returns the store's status.
func (o *obs) Status() (ObjectStoreStatus, error) {
	var out *C.char
	var je C.gn_jerr
	st := C.gn_obj_status(o.cp(), &out, &je)
	runtime.KeepAlive(o)
	if err := objErr(st, &je, objCallStore); err != nil {
		return nil, err
	}
	si, err := decodeInfo[StreamInfo](goStringFree(out))
	if err != nil {
		return nil, err
	}
	return &ObjectBucketStatus{nfo: si, bucket: o.name}, nil
}

// List returns the infos of the store's objects (ErrNoObjectsFound when there is none).
func (o *obs) List(opts ...ListObjectsOpt) ([]*ObjectInfo, error) {
	var lo listObjectOpts
	for _, opt := range opts {
		if opt != nil {
			if err := opt.configureListObjects(&lo); err != nil {
				return nil, err
			}
		}
	}
	var out *C.char
	var je C.gn_jerr
	st := C.gn_obj_list(o.cp(), C.bool(lo.showDeleted), &out, &je)
	runtime.KeepAlive(o)
	if err := objErr(st, &je, objCallStore); err != nil {
		return nil, err
	}
	var raws []json.RawMessage
	if err := json.Unmarshal([]byte(goStringFree(out)), &raws); err != nil {
		return nil, err
	}
	infos := make([]*ObjectInfo, 0, len(raws))
	for _, r := range raws {
		info, err := decodeObjectInfo(string(r))
		if err != nil {
			return nil, err
		}
		infos = append(infos, info)
	}
	if len(infos) == 0 {
		return nil, ErrNoObjectsFound
	}
	return infos, nil
}
