//! Key-value watchers from C: `natsrs_kv_watch_options` and `natsrs_kv_watcher`, read with
//! `natsrs_kv_watcher_next`, which returns each entry in stream order and, once, a NULL entry
//! with NATSRS_STATUS_OK: the marker that the values present when the watch started have all
//! been delivered.

use std::ffi::c_char;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::handle::{self, borrow, borrow_mut, box_into_raw, BoxOwned, Castable};
use super::kv::{kv_of, natsrs_kv, str_list};
use super::kv_entry::{natsrs_kv_entry, put_entry};
use super::status::natsrs_status;
use super::{cstr, guard, guard_val, nn, put};
use crate::error::{err, Result, Status};
use crate::kv::{WatchOptions, Watcher};

/// The longest a natsrs_kv_watcher_next waits at once without looking at the stop flag: a
/// natsrs_kv_watcher_stop from another thread returns within about this time.
pub const KV_WATCH_NEXT_SLICE: Duration = Duration::from_millis(100);

/// Options of a watch. Opaque; release with natsrs_kv_watch_options_free.
pub struct natsrs_kv_watch_options {
    opts: WatchOptions,
}

/// A running watch. Opaque; release with natsrs_kv_watcher_free (which stops it).
pub struct natsrs_kv_watcher {
    w: Mutex<Watcher>,
    stopped: AtomicBool,
}

// SAFETY: pointers to these handles are only made by box_into_raw.
unsafe impl Castable for natsrs_kv_watch_options {
    type Ownership = BoxOwned;
}
// SAFETY: as above.
unsafe impl Castable for natsrs_kv_watcher {
    type Ownership = BoxOwned;
}

impl natsrs_kv_watcher {
    fn lock(&self) -> MutexGuard<'_, Watcher> {
        self.w.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Creates watch options with the defaults (the latest value of each key, then changes; markers
/// included; values included). Returns an owned natsrs_kv_watch_options; release with
/// natsrs_kv_watch_options_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_watch_options_create(out: *mut *mut natsrs_kv_watch_options) -> natsrs_status {
    guard(|| {
        nn(out, "out")?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, box_into_raw(natsrs_kv_watch_options { opts: WatchOptions::default() })) };
        Ok(())
    })
}

/// Borrows watch options mutably.
///
/// # Safety
/// `o` is NULL or a live handle not used from another thread at the same time.
unsafe fn wo<'a>(o: *mut natsrs_kv_watch_options) -> Result<&'a mut WatchOptions> {
    // SAFETY: forwarded caller guarantee.
    Ok(&mut unsafe { borrow_mut(o, "opts") }?.opts)
}

/// Delivers every stored revision first, not only the latest of each key (excludes
/// updates-only).
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_watch_options_set_include_history(opts: *mut natsrs_kv_watch_options, on: bool) -> natsrs_status {
    guard(|| {
        // SAFETY: `opts` live (or NULL, refused).
        unsafe { wo(opts) }?.include_history = on;
        Ok(())
    })
}

/// Skips delete and purge markers.
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_watch_options_set_ignore_deletes(opts: *mut natsrs_kv_watch_options, on: bool) -> natsrs_status {
    guard(|| {
        // SAFETY: `opts` live (or NULL, refused).
        unsafe { wo(opts) }?.ignore_deletes = on;
        Ok(())
    })
}

/// Delivers only changes made after the watch started (the initial-values marker comes first,
/// at once; excludes include-history).
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_watch_options_set_updates_only(opts: *mut natsrs_kv_watch_options, on: bool) -> natsrs_status {
    guard(|| {
        // SAFETY: `opts` live (or NULL, refused).
        unsafe { wo(opts) }?.updates_only = on;
        Ok(())
    })
}

/// Delivers entries without their values (value length 0).
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_watch_options_set_meta_only(opts: *mut natsrs_kv_watch_options, on: bool) -> natsrs_status {
    guard(|| {
        // SAFETY: `opts` live (or NULL, refused).
        unsafe { wo(opts) }?.meta_only = on;
        Ok(())
    })
}

/// Releases watch options. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_watch_options_free(opts: *mut natsrs_kv_watch_options) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle the caller gives up (C contract).
        drop(unsafe { handle::free_box(opts) });
        Ok(())
    });
}

/// Shared body of the watch calls.
///
/// # Safety
/// `kv` and `opts` are NULL or live (`opts` NULL means the defaults); `out` NULL or writable.
unsafe fn start(
    kv: *mut natsrs_kv,
    filters: Vec<String>,
    opts: *const natsrs_kv_watch_options,
    out: *mut *mut natsrs_kv_watcher,
) -> Result<()> {
    // SAFETY: per the function's contract.
    let k = unsafe { kv_of(kv) }?;
    let o = if opts.is_null() {
        WatchOptions::default()
    } else {
        // SAFETY: non-NULL, a live handle (C contract).
        unsafe { borrow(opts, "opts") }?.opts
    };
    nn(out, "out")?;
    if filters.is_empty() {
        return Err(err!(InvalidArgument, "no key filter"));
    }
    let w = k.watch_many(&filters.iter().map(String::as_str).collect::<Vec<_>>(), o)?;
    // SAFETY: checked non-NULL above.
    unsafe { put(out, box_into_raw(natsrs_kv_watcher { w: Mutex::new(w), stopped: AtomicBool::new(false) })) };
    Ok(())
}

/// Watches one key or a filter (`*` matches a token, a final `>` the rest); `opts` may be NULL
/// (defaults) and is copied. Returns an owned natsrs_kv_watcher; release with
/// natsrs_kv_watcher_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_watch(
    kv: *mut natsrs_kv,
    filter: *const c_char,
    opts: *const natsrs_kv_watch_options,
    out: *mut *mut natsrs_kv_watcher,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `filter` a C string (or NULL, refused); the rest per the C contract.
        let f = unsafe { cstr(filter, "filter") }?;
        // SAFETY: forwarded C contract.
        unsafe { start(kv, vec![f.to_string()], opts, out) }
    })
}

/// Watches every key of the bucket; as natsrs_kv_watch otherwise.
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_watch_all(
    kv: *mut natsrs_kv,
    opts: *const natsrs_kv_watch_options,
    out: *mut *mut natsrs_kv_watcher,
) -> natsrs_status {
    // SAFETY: forwarded C contract.
    guard(|| unsafe { start(kv, vec![">".to_string()], opts, out) })
}

/// Watches the keys matching any of `filters[0..n]` (n >= 1; server 2.10+ for more than one);
/// as natsrs_kv_watch otherwise.
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_watch_many(
    kv: *mut natsrs_kv,
    filters: *const *const c_char,
    n: usize,
    opts: *const natsrs_kv_watch_options,
    out: *mut *mut natsrs_kv_watcher,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `filters` has `n` C strings (C contract).
        let f = unsafe { str_list(filters, n, "filters") }?;
        // SAFETY: forwarded C contract.
        unsafe { start(kv, f, opts, out) }
    })
}

/// Waits up to `timeout_ms` (> 0) for the next change. On NATSRS_STATUS_OK `*out_entry` is
/// either an entry (owned; release with natsrs_kv_entry_free) or NULL: the initial-values
/// marker, given exactly once, after the entries that existed when the watch started (at once
/// when there were none, or with updates-only). NATSRS_STATUS_TIMEOUT when nothing came
/// (`*out_entry` untouched); NATSRS_STATUS_ILLEGAL_STATE after natsrs_kv_watcher_stop. Entries
/// come in stream (revision) order. One thread at a time may call it.
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_watcher_next(
    watcher: *mut natsrs_kv_watcher,
    timeout_ms: i64,
    out_entry: *mut *mut natsrs_kv_entry,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `watcher` live (or NULL, refused).
        let w = unsafe { borrow(watcher, "watcher") }?;
        nn(out_entry, "out_entry")?;
        let deadline = Instant::now() + super::timeout_ms(timeout_ms, "timeout_ms")?;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let r = {
                let mut g = w.lock();
                // Checked under the lock: a stopped watcher must not start its consumer again.
                if w.stopped.load(Ordering::Acquire) {
                    return Err(err!(IllegalState, "the watcher is stopped"));
                }
                g.next(left.min(KV_WATCH_NEXT_SLICE))
            };
            match r {
                Ok(Some(e)) => {
                    // SAFETY: checked non-NULL above.
                    unsafe { put_entry(out_entry, e) };
                    return Ok(());
                }
                Ok(None) => {
                    // SAFETY: checked non-NULL above.
                    unsafe { put(out_entry, std::ptr::null_mut()) };
                    return Ok(());
                }
                Err(e) if e.status == Status::Timeout && Instant::now() < deadline => continue,
                Err(e) => return Err(e),
            }
        }
    })
}

/// Whether the initial values have all been delivered (the NULL marker may still be unread;
/// false for NULL).
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_watcher_init_done(watcher: *const natsrs_kv_watcher) -> bool {
    // SAFETY: `watcher` live (or NULL, refused).
    guard_val(false, || Ok(unsafe { borrow(watcher, "watcher") }?.lock().init_done()))
}

/// Stops the watch (its consumer is deleted in the background); a later natsrs_kv_watcher_next
/// is NATSRS_STATUS_ILLEGAL_STATE. May be called from another thread while natsrs_kv_watcher_next
/// waits: both return within about 100 ms. Idempotent.
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_watcher_stop(watcher: *mut natsrs_kv_watcher) -> natsrs_status {
    guard(|| {
        // SAFETY: `watcher` live (or NULL, refused).
        let w = unsafe { borrow(watcher, "watcher") }?;
        if !w.stopped.swap(true, Ordering::AcqRel) {
            w.lock().stop();
        }
        Ok(())
    })
}

/// Stops the watch (if running) and releases the watcher. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_watcher_free(watcher: *mut natsrs_kv_watcher) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle the caller gives up (C contract).
        if let Some(w) = unsafe { handle::free_box(watcher) } {
            if !w.stopped.swap(true, Ordering::AcqRel) {
                w.lock().stop();
            }
        }
        Ok(())
    });
}
