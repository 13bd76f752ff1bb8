package nats

/*
#include "kv_shim.h"
*/
import "C"

import (
	"context"
	"runtime"
	"sync"
	"time"
)

// Key-value watchers: natsrs_kv_watch[_all|_many] with the WatchOpts, and a goroutine that
// waits in natsrs_kv_watcher_next (in slices, so Stop and a context end it promptly) and feeds
// the Updates channel. As in nats.go, a nil entry marks the end of the initial values (none
// with UpdatesOnly), and the channel is closed after Stop.

// kvWatchPoll bounds each wait of a watcher's goroutine in C.
const kvWatchPoll = 250 * time.Millisecond

// kvWatchUpdates is the capacity of a watcher's updates channel (as nats.go).
const kvWatchUpdates = 256

type kvWatcher struct {
	ctx     context.Context
	updates chan KeyValueEntry
	errCh   chan error
	stop    chan struct{}
	once    sync.Once
	ptr     *C.natsrs_kv_watcher
}

func (w *kvWatcher) Context() context.Context      { return w.ctx }
func (w *kvWatcher) Updates() <-chan KeyValueEntry { return w.updates }
func (w *kvWatcher) Error() <-chan error           { return w.errCh }

// Stop stops the watcher; its updates channel is closed shortly after.
func (w *kvWatcher) Stop() error {
	w.once.Do(func() { close(w.stop) })
	return nil
}

// WatchAll watches every key.
func (kv *kvs) WatchAll(opts ...WatchOpt) (KeyWatcher, error) {
	return kv.watch(nil, opts)
}

// Watch watches a key or a filter ("*" a token, a final ">" the rest).
func (kv *kvs) Watch(keys string, opts ...WatchOpt) (KeyWatcher, error) {
	return kv.WatchFiltered([]string{keys}, opts...)
}

// WatchFiltered watches the keys matching any of the filters.
func (kv *kvs) WatchFiltered(keys []string, opts ...WatchOpt) (KeyWatcher, error) {
	for _, k := range keys {
		if !searchKeyValid(k) {
			return nil, ErrInvalidKey
		}
	}
	if len(keys) == 0 {
		keys = []string{AllKeys}
	}
	return kv.watch(keys, opts)
}

func (kv *kvs) watch(keys []string, opts []WatchOpt) (KeyWatcher, error) {
	o, err := watchOptions(opts)
	if err != nil {
		return nil, err
	}
	if o.ctx != nil && o.ctx.Err() != nil {
		return nil, o.ctx.Err()
	}
	buf := filterBuf(keys)
	var p *C.natsrs_kv_watcher
	var je C.gn_jerr
	pf, nf := cstr(buf)
	st := C.gn_kv_watch(kv.cp(), pf, nf, C.size_t(len(keys)), C.bool(o.includeHistory), C.bool(o.ignoreDeletes),
		C.bool(o.updatesOnly), C.bool(o.metaOnly), &p, &je)
	runtime.KeepAlive(buf)
	runtime.KeepAlive(kv)
	if err := kvErr(st, &je, false); err != nil {
		return nil, err
	}
	w := &kvWatcher{ctx: o.ctx, updates: make(chan KeyValueEntry, kvWatchUpdates), errCh: make(chan error, 1),
		stop: make(chan struct{}), ptr: p}
	ctx := o.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	go w.run(ctx, kv.name, o.updatesOnly)
	return w, nil
}

func (w *kvWatcher) run(ctx context.Context, bucket string, updatesOnly bool) {
	defer close(w.errCh)
	defer close(w.updates)
	defer C.natsrs_kv_watcher_free(w.ptr)
	for {
		select {
		case <-w.stop:
			return
		case <-ctx.Done():
			return
		default:
		}
		var e C.gn_kv_entry
		var marker C.bool
		var je C.gn_jerr
		st := C.gn_kv_watch_next(w.ptr, C.int64_t(ms(kvWatchPoll)), &e, &marker, &je)
		if st == C.NATSRS_STATUS_TIMEOUT {
			continue
		}
		if st != C.NATSRS_STATUS_OK {
			err := kvErr(st, &je, false)
			select {
			case w.errCh <- err:
			default:
			}
			return
		}
		var entry KeyValueEntry
		if marker {
			if updatesOnly {
				continue
			}
		} else {
			entry = takeEntry(bucket, &e)
		}
		select {
		case w.updates <- entry:
		case <-w.stop:
			return
		case <-ctx.Done():
			return
		}
	}
}
