package nats

/*
#include "obj_shim.h"
*/
import "C"

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/cgo"
	"sync"
	"time"
	"unsafe"
)

// Streaming between Go and the object store C API: Put hands the C read callback the caller's
// io.Reader (through a cgo.Handle, for the duration of the call), Get runs the C get in a
// goroutine whose write callback feeds an io.Pipe, so neither holds a whole object in memory.

// objWatchPoll bounds each wait of a watcher's goroutine in C (Stop takes effect within it).
const objWatchPoll = 250 * time.Millisecond

// objReader is the state of one streamed put.
type objReader struct {
	r   io.Reader
	ctx context.Context
	eof bool
	err error
}

// maxEmptyReads is how many (0, nil) reads in a row count as no progress (as io.ErrNoProgress).
const maxEmptyReads = 100

func (r *objReader) read(p []byte) (n int64) {
	defer func() {
		if v := recover(); v != nil {
			r.err = fmt.Errorf("%w: %v", ErrCallbackPanic, v)
			n = -1
		}
	}()
	if r.ctx != nil && r.ctx.Err() != nil {
		r.err = r.ctx.Err()
		return -1
	}
	if r.eof || r.r == nil {
		return 0
	}
	for i := 0; i < maxEmptyReads; i++ {
		k, err := r.r.Read(p)
		if err != nil && !errors.Is(err, io.EOF) {
			r.err = err
			return -1
		}
		if err != nil {
			r.eof = true
		}
		if k > 0 || r.eof {
			return int64(k)
		}
	}
	r.err = io.ErrNoProgress
	return -1
}

//export goObjRead
func goObjRead(ud C.uintptr_t, buf *C.uint8_t, capacity C.size_t) C.int64_t {
	r := handleValue(cgo.Handle(ud)).(*objReader)
	return C.int64_t(r.read(unsafe.Slice((*byte)(unsafe.Pointer(buf)), int(capacity))))
}

// objWriter is the state of one streamed get.
type objWriter struct {
	w   io.Writer
	ctx context.Context
	err error
}

//export goObjWrite
func goObjWrite(ud C.uintptr_t, data *C.uint8_t, n C.size_t) C.int32_t {
	w := handleValue(cgo.Handle(ud)).(*objWriter)
	if w.ctx != nil && w.ctx.Err() != nil {
		w.err = w.ctx.Err()
		return 1
	}
	if n == 0 {
		return 0
	}
	// The writer copies the data (io.Writer must not keep it); it is C memory borrowed for the call.
	if _, err := w.w.Write(unsafe.Slice((*byte)(unsafe.Pointer(data)), int(n))); err != nil {
		w.err = err
		return 1
	}
	return 0
}

// Put puts an object streamed from r (nil: an empty object).
func (o *obs) Put(meta *ObjectMeta, r io.Reader, opts ...ObjectOpt) (*ObjectInfo, error) {
	if meta == nil || meta.Name == "" {
		return nil, ErrBadObjectMeta
	}
	if meta.Opts != nil && meta.Opts.Link != nil {
		return nil, ErrLinkNotAllowed
	}
	ctx := objCtx(opts)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	data, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	s := string(data)
	rd := &objReader{r: r, ctx: ctx}
	h := cgo.NewHandle(rd)
	defer h.Delete()
	var out *C.char
	var je C.gn_jerr
	pj, nj := cstr(s)
	st := C.gn_obj_put(o.cp(), pj, nj, C.uintptr_t(h), &out, &je)
	runtime.KeepAlive(s)
	runtime.KeepAlive(o)
	if st != C.NATSRS_STATUS_OK && rd.err != nil {
		freeJErr(&je)
		return nil, rd.err
	}
	info, err := o.infoCall(st, out, &je, objCallObject)
	if r != nil {
		err = putCleanupErr(err) // (nats.go purges the partial object of a put with data)
	}
	return info, err
}

// objResult is a get in progress.
type objResult struct {
	info *ObjectInfo
	r    io.ReadCloser
	mu   sync.Mutex
	err  error
}

func (r *objResult) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		r.mu.Lock()
		r.err = err
		r.mu.Unlock()
	}
	return n, err
}

// Close stops the get (the rest of the data is not read).
func (r *objResult) Close() error { return r.r.Close() }

func (r *objResult) Info() (*ObjectInfo, error) { return r.info, r.Error() }

func (r *objResult) Error() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

type emptyReadCloser struct{}

func (emptyReadCloser) Read([]byte) (int, error) { return 0, io.EOF }
func (emptyReadCloser) Close() error             { return nil }

// Get starts reading an object (a link is followed); the data streams as it is read.
func (o *obs) Get(name string, opts ...GetObjectOpt) (ObjectResult, error) {
	var g getObjectOpts
	for _, opt := range opts {
		if opt != nil {
			if err := opt.configureGetObject(&g); err != nil {
				return nil, err
			}
		}
	}
	var infoOpts []GetObjectInfoOpt
	if g.showDeleted {
		infoOpts = append(infoOpts, GetObjectInfoShowDeleted())
	}
	info, err := o.GetInfo(name, infoOpts...)
	if err != nil {
		return nil, err
	}
	if info.NUID == "" {
		return nil, ErrBadObjectMeta
	}
	if info.isLink() {
		link := info.Opts.Link
		if link.Name == "" {
			return nil, ErrCantGetBucket
		}
		lobs, err := o.js.ObjectStore(link.Bucket)
		if err != nil {
			return nil, err
		}
		return lobs.Get(link.Name, opts...)
	}
	if info.Size == 0 || info.Deleted {
		return &objResult{info: info, r: emptyReadCloser{}}, nil
	}
	pr, pw := io.Pipe()
	res := &objResult{info: info, r: pr}
	// A result dropped without Close still ends the get (its write then fails).
	runtime.AddCleanup(res, func(pr *io.PipeReader) { pr.Close() }, pr)
	w := &objWriter{w: pw, ctx: g.ctx}
	go func() {
		h := cgo.NewHandle(w)
		var je C.gn_jerr
		pn, nn := cstr(name)
		st := C.gn_obj_get(o.cp(), pn, nn, C.uintptr_t(h), &je)
		runtime.KeepAlive(name)
		runtime.KeepAlive(o)
		h.Delete()
		err := objErr(st, &je, objCallObject)
		if err != nil && w.err != nil {
			err = w.err
		}
		pw.CloseWithError(err)
	}()
	return res, nil
}

// GetBytes reads a whole object into memory.
func (o *obs) GetBytes(name string, opts ...GetObjectOpt) ([]byte, error) {
	r, err := o.Get(name, opts...)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	info, _ := r.Info()
	buf := make([]byte, 0, int(info.Size))
	w := bytesWriter{&buf}
	if _, err := io.Copy(w, r); err != nil {
		return nil, err
	}
	return buf, nil
}

type bytesWriter struct{ b *[]byte }

func (w bytesWriter) Write(p []byte) (int, error) {
	*w.b = append(*w.b, p...)
	return len(p), nil
}

// GetString reads a whole object as a string.
func (o *obs) GetString(name string, opts ...GetObjectOpt) (string, error) {
	b, err := o.GetBytes(name, opts...)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// GetFile writes an object into the file `file` (streamed by the library; the file is removed
// again when the get fails).
func (o *obs) GetFile(name, file string, opts ...GetObjectOpt) error {
	var g getObjectOpts
	for _, opt := range opts {
		if opt != nil {
			if err := opt.configureGetObject(&g); err != nil {
				return err
			}
		}
	}
	if g.ctx != nil && g.ctx.Err() != nil {
		return g.ctx.Err()
	}
	if name == "" {
		return ErrNameRequired
	}
	var je C.gn_jerr
	pn, nn := cstr(name)
	pf, nf := cstr(file)
	st := C.gn_obj_get_file(o.cp(), pn, nn, pf, nf, &je)
	runtime.KeepAlive(name)
	runtime.KeepAlive(file)
	runtime.KeepAlive(o)
	return objErr(st, &je, objCallObject)
}

// objWatcher runs natsrs_object_watcher_next in a goroutine and feeds the updates channel.
type objWatcher struct {
	updates chan *ObjectInfo
	stop    chan struct{}
	once    sync.Once
	ptr     *C.natsrs_object_watcher
}

func (w *objWatcher) Updates() <-chan *ObjectInfo { return w.updates }

// Stop stops the watcher; its updates channel is closed shortly after.
func (w *objWatcher) Stop() error {
	w.once.Do(func() { close(w.stop) })
	return nil
}

// objWatchUpdates is the capacity of a watcher's updates channel (as nats.go).
const objWatchUpdates = 32

// Watch watches the store's objects: the current ones, a nil marker, then each change.
func (o *obs) Watch(opts ...WatchOpt) (ObjectWatcher, error) {
	wo, err := watchOptions(opts)
	if err != nil {
		return nil, err
	}
	var p *C.natsrs_object_watcher
	var je C.gn_jerr
	st := C.gn_obj_watch(o.cp(), C.bool(wo.includeHistory), C.bool(wo.ignoreDeletes), C.bool(wo.updatesOnly), &p, &je)
	runtime.KeepAlive(o)
	if err := objErr(st, &je, objCallStore); err != nil {
		return nil, err
	}
	w := &objWatcher{updates: make(chan *ObjectInfo, objWatchUpdates), stop: make(chan struct{}), ptr: p}
	ctx := wo.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	go w.run(ctx, wo.updatesOnly)
	return w, nil
}

func (w *objWatcher) run(ctx context.Context, updatesOnly bool) {
	defer close(w.updates)
	defer C.natsrs_object_watcher_free(w.ptr)
	for {
		select {
		case <-w.stop:
			return
		case <-ctx.Done():
			return
		default:
		}
		var out *C.char
		var marker C.bool
		var je C.gn_jerr
		st := C.gn_obj_watch_next(w.ptr, C.int64_t(ms(objWatchPoll)), &out, &marker, &je)
		if st == C.NATSRS_STATUS_TIMEOUT {
			continue
		}
		if st != C.NATSRS_STATUS_OK {
			freeJErr(&je)
			return
		}
		var info *ObjectInfo
		if marker {
			if updatesOnly {
				continue
			}
		} else {
			var err error
			if info, err = decodeObjectInfo(goStringFree(out)); err != nil {
				continue
			}
		}
		select {
		case w.updates <- info:
		case <-w.stop:
			return
		case <-ctx.Done():
			return
		}
	}
}
