//! The newer consumer API from C (nats.go's `jetstream` package): stream handles
//! (`natsrs_js_stream`) and consumer handles (`natsrs_js_consumer`) with get, create, update,
//! info and fetch. Continuous pulls on a consumer handle (consume, message iterator) are in
//! js_iter.rs, the ordered consumer in js_ordered.rs.

use std::ffi::{c_char, CString};

use parking_lot::Mutex;

use super::handle::{self, borrow, box_into_raw, BoxOwned, Castable};
use super::jetstream::js_of;
use super::js_config::{natsrs_consumer_config, natsrs_stream_config};
use super::js_consumers::put_batch;
use super::js_info::{natsrs_consumer_info, natsrs_stream_info, put_consumer_info, put_stream_info};
use super::msg::natsrs_msg;
use super::status::natsrs_status;
use super::{cstr, guard, guard_val, nn, put};
use crate::error::{err, Result};
use crate::jetstream::{ConsumerHandle, ConsumerInfo, FetchOptions, StreamHandle, StreamInfo};

fn c(s: &str) -> CString {
    CString::new(s.replace('\0', " ")).unwrap_or_default()
}

/// A handle on one stream (nats.go `jetstream.Stream`). Opaque; release with
/// natsrs_js_stream_free. It does not own the JetStream context's connection, which must
/// outlive it. Usable from several threads at once.
pub struct natsrs_js_stream {
    pub(crate) st: StreamHandle,
    info: Mutex<StreamInfo>,
    name: CString,
}

// SAFETY: pointers to natsrs_js_stream are only made by box_into_raw.
unsafe impl Castable for natsrs_js_stream {
    type Ownership = BoxOwned;
}

/// A handle on one consumer (nats.go `jetstream.Consumer`): fetch, next, consume, messages.
/// Opaque; release with natsrs_js_consumer_free. Usable from several threads at once.
pub struct natsrs_js_consumer {
    pub(crate) c: ConsumerHandle,
    info: Mutex<ConsumerInfo>,
    name: CString,
    stream: CString,
}

// SAFETY: pointers to natsrs_js_consumer are only made by box_into_raw.
unsafe impl Castable for natsrs_js_consumer {
    type Ownership = BoxOwned;
}

fn new_stream(st: StreamHandle) -> *mut natsrs_js_stream {
    let info = st.cached_info().clone();
    box_into_raw(natsrs_js_stream { name: c(st.name()), info: Mutex::new(info), st })
}

fn new_consumer(ch: ConsumerHandle) -> *mut natsrs_js_consumer {
    let info = ch.cached_info().clone();
    box_into_raw(natsrs_js_consumer { name: c(ch.name()), stream: c(ch.stream_name()), info: Mutex::new(info), c: ch })
}

/// Borrows a stream handle.
///
/// # Safety
/// `s` is NULL or a live handle.
pub(crate) unsafe fn stream_of<'a>(s: *const natsrs_js_stream) -> Result<&'a natsrs_js_stream> {
    // SAFETY: forwarded caller guarantee.
    unsafe { borrow(s, "stream") }
}

/// Borrows a consumer handle.
///
/// # Safety
/// `c` is NULL or a live handle.
pub(crate) unsafe fn consumer_of<'a>(c: *const natsrs_js_consumer) -> Result<&'a natsrs_js_consumer> {
    // SAFETY: forwarded caller guarantee.
    unsafe { borrow(c, "consumer") }
}

/// Gets a handle on the existing stream `name` (NATSRS_STATUS_NOT_FOUND if there is none).
/// Returns an owned natsrs_js_stream; release with natsrs_js_stream_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_get_stream(
    js: *mut super::jetstream::natsrs_jetstream,
    name: *const c_char,
    out: *mut *mut natsrs_js_stream,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `js` live (or NULL, refused); `name` a C string.
        let (j, n) = unsafe { (js_of(js)?, cstr(name, "name")?) };
        nn(out, "out")?;
        let st = j.stream(n)?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, new_stream(st)) };
        Ok(())
    })
}

/// Creates a stream (NATSRS_STATUS_JETSTREAM with err_code 10058 when the name is in use with
/// another config) and gives its handle. Returns an owned natsrs_js_stream; release with
/// natsrs_js_stream_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_create_stream(
    js: *mut super::jetstream::natsrs_jetstream,
    cfg: *const natsrs_stream_config,
    out: *mut *mut natsrs_js_stream,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `js` and `cfg` live (or NULL, refused).
        let (j, cf) = unsafe { (js_of(js)?, borrow(cfg, "cfg")?) };
        nn(out, "out")?;
        let st = j.create_stream_handle(&cf.cfg)?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, new_stream(st)) };
        Ok(())
    })
}

/// Updates the stream named by `cfg`, or creates it when it does not exist, and gives its
/// handle. Returns an owned natsrs_js_stream; release with natsrs_js_stream_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_create_or_update_stream(
    js: *mut super::jetstream::natsrs_jetstream,
    cfg: *const natsrs_stream_config,
    out: *mut *mut natsrs_js_stream,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `js` and `cfg` live (or NULL, refused).
        let (j, cf) = unsafe { (js_of(js)?, borrow(cfg, "cfg")?) };
        nn(out, "out")?;
        let st = j.create_or_update_stream_handle(&cf.cfg)?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, new_stream(st)) };
        Ok(())
    })
}

/// The stream's name. Borrowed; valid until natsrs_js_stream_free (NULL for a NULL handle).
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_stream_name(stream: *const natsrs_js_stream) -> *const c_char {
    // SAFETY: `stream` live (or NULL, refused).
    guard_val(std::ptr::null(), || Ok(unsafe { stream_of(stream) }?.name.as_ptr()))
}

/// Fresh info from the server (also kept as the cached info). Returns an owned
/// natsrs_stream_info; release with natsrs_stream_info_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_stream_info(stream: *mut natsrs_js_stream, out: *mut *mut natsrs_stream_info) -> natsrs_status {
    guard(|| {
        // SAFETY: `stream` live (or NULL, refused).
        let s = unsafe { stream_of(stream) }?;
        nn(out, "out")?;
        let mut h = s.st.clone();
        let i = h.info()?.clone();
        *s.info.lock() = i.clone();
        // SAFETY: checked non-NULL above.
        unsafe { put_stream_info(out, i) };
        Ok(())
    })
}

/// The info received when the handle was made or last refreshed (no server call). Returns an
/// owned natsrs_stream_info; release with natsrs_stream_info_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_stream_cached_info(stream: *mut natsrs_js_stream, out: *mut *mut natsrs_stream_info) -> natsrs_status {
    guard(|| {
        // SAFETY: `stream` live (or NULL, refused).
        let s = unsafe { stream_of(stream) }?;
        nn(out, "out")?;
        let i = s.info.lock().clone();
        // SAFETY: checked non-NULL above.
        unsafe { put_stream_info(out, i) };
        Ok(())
    })
}

/// Replaces the stream's config (`cfg` must name this stream) and refreshes the cached info.
/// `*out_info` (`out_info` may be NULL) gets an owned natsrs_stream_info; release with
/// natsrs_stream_info_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_stream_update(
    stream: *mut natsrs_js_stream,
    cfg: *const natsrs_stream_config,
    out_info: *mut *mut natsrs_stream_info,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `stream` and `cfg` live (or NULL, refused).
        let (s, cf) = unsafe { (stream_of(stream)?, borrow(cfg, "cfg")?) };
        let mut h = s.st.clone();
        let i = h.update(&cf.cfg)?.clone();
        *s.info.lock() = i.clone();
        if !out_info.is_null() {
            // SAFETY: non-NULL, writable per the C contract.
            unsafe { put_stream_info(out_info, i) };
        }
        Ok(())
    })
}

/// Releases a stream handle (the stream itself stays). NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_stream_free(stream: *mut natsrs_js_stream) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle the caller gives up (C contract).
        drop(unsafe { handle::free_box(stream) });
        Ok(())
    });
}

/// Which consumer call to make on a stream handle.
enum ConsumerOp {
    Create,
    Update,
    CreateOrUpdate,
}

/// Creates/updates a consumer on `stream` and writes its handle.
///
/// # Safety
/// Pointers NULL or valid as documented on the exported calls.
unsafe fn consumer_call(
    stream: *const natsrs_js_stream,
    cfg: *const natsrs_consumer_config,
    op: ConsumerOp,
    out: *mut *mut natsrs_js_consumer,
) -> Result<()> {
    // SAFETY: forwarded caller guarantee.
    let (s, cf) = unsafe { (stream_of(stream)?, borrow(cfg, "cfg")?) };
    nn(out, "out")?;
    if cf.cfg.deliver_subject.as_deref().is_some_and(|d| !d.is_empty()) {
        return Err(err!(InvalidArgument, "consumer handles are pull consumers: the config must not set a deliver subject"));
    }
    let ch = match op {
        ConsumerOp::Create => s.st.create_consumer(&cf.cfg)?,
        ConsumerOp::Update => s.st.update_consumer(&cf.cfg)?,
        ConsumerOp::CreateOrUpdate => s.st.create_or_update_consumer(&cf.cfg)?,
    };
    // SAFETY: checked non-NULL above.
    unsafe { put(out, new_consumer(ch)) };
    Ok(())
}

/// Creates a pull consumer on the stream (durable when the config has a durable name,
/// otherwise ephemeral; fails with err_code 10148 when it exists with another config) and gives
/// its handle. Returns an owned natsrs_js_consumer; release with natsrs_js_consumer_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_stream_create_consumer(
    stream: *mut natsrs_js_stream,
    cfg: *const natsrs_consumer_config,
    out: *mut *mut natsrs_js_consumer,
) -> natsrs_status {
    // SAFETY: pointers as documented (C contract).
    guard(|| unsafe { consumer_call(stream, cfg, ConsumerOp::Create, out) })
}

/// Updates an existing consumer (err_code 10149 when it does not exist) and gives its handle.
/// Returns an owned natsrs_js_consumer; release with natsrs_js_consumer_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_stream_update_consumer(
    stream: *mut natsrs_js_stream,
    cfg: *const natsrs_consumer_config,
    out: *mut *mut natsrs_js_consumer,
) -> natsrs_status {
    // SAFETY: pointers as documented (C contract).
    guard(|| unsafe { consumer_call(stream, cfg, ConsumerOp::Update, out) })
}

/// Creates a consumer or updates the existing one, and gives its handle. Returns an owned
/// natsrs_js_consumer; release with natsrs_js_consumer_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_stream_create_or_update_consumer(
    stream: *mut natsrs_js_stream,
    cfg: *const natsrs_consumer_config,
    out: *mut *mut natsrs_js_consumer,
) -> natsrs_status {
    // SAFETY: pointers as documented (C contract).
    guard(|| unsafe { consumer_call(stream, cfg, ConsumerOp::CreateOrUpdate, out) })
}

/// Gets a handle on the existing consumer `name` of the stream (NATSRS_STATUS_NOT_FOUND if
/// there is none). Returns an owned natsrs_js_consumer; release with natsrs_js_consumer_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_stream_get_consumer(
    stream: *mut natsrs_js_stream,
    name: *const c_char,
    out: *mut *mut natsrs_js_consumer,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `stream` live (or NULL, refused); `name` a C string.
        let (s, n) = unsafe { (stream_of(stream)?, cstr(name, "name")?) };
        nn(out, "out")?;
        let ch = s.st.consumer(n)?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, new_consumer(ch)) };
        Ok(())
    })
}

/// Deletes the consumer `name` of the stream (NATSRS_STATUS_NOT_FOUND if there is none).
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_stream_delete_consumer(stream: *mut natsrs_js_stream, name: *const c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `stream` live (or NULL, refused); `name` a C string.
        let (s, n) = unsafe { (stream_of(stream)?, cstr(name, "name")?) };
        s.st.delete_consumer(n)
    })
}

/// The consumer's name. Borrowed; valid until natsrs_js_consumer_free (NULL for NULL).
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_consumer_name(consumer: *const natsrs_js_consumer) -> *const c_char {
    // SAFETY: `consumer` live (or NULL, refused).
    guard_val(std::ptr::null(), || Ok(unsafe { consumer_of(consumer) }?.name.as_ptr()))
}

/// The consumer's stream name. Borrowed; valid until natsrs_js_consumer_free (NULL for NULL).
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_consumer_stream_name(consumer: *const natsrs_js_consumer) -> *const c_char {
    // SAFETY: `consumer` live (or NULL, refused).
    guard_val(std::ptr::null(), || Ok(unsafe { consumer_of(consumer) }?.stream.as_ptr()))
}

/// Fresh info from the server (also kept as the cached info; NATSRS_STATUS_NOT_FOUND when the
/// consumer was deleted). Returns an owned natsrs_consumer_info; release with
/// natsrs_consumer_info_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_consumer_info(consumer: *mut natsrs_js_consumer, out: *mut *mut natsrs_consumer_info) -> natsrs_status {
    guard(|| {
        // SAFETY: `consumer` live (or NULL, refused).
        let h = unsafe { consumer_of(consumer) }?;
        nn(out, "out")?;
        let mut c = h.c.clone();
        let i = c.info()?.clone();
        *h.info.lock() = i.clone();
        // SAFETY: checked non-NULL above.
        unsafe { put_consumer_info(out, i) };
        Ok(())
    })
}

/// The info received when the handle was made or last refreshed (no server call). Returns an
/// owned natsrs_consumer_info; release with natsrs_consumer_info_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_consumer_cached_info(
    consumer: *mut natsrs_js_consumer,
    out: *mut *mut natsrs_consumer_info,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `consumer` live (or NULL, refused).
        let h = unsafe { consumer_of(consumer) }?;
        nn(out, "out")?;
        let i = h.info.lock().clone();
        // SAFETY: checked non-NULL above.
        unsafe { put_consumer_info(out, i) };
        Ok(())
    })
}

/// Runs one fetch and writes the messages to the caller's array.
///
/// # Safety
/// `out_array` has room for `room` pointers; pointers NULL or valid as documented.
unsafe fn fetch_into(
    consumer: *const natsrs_js_consumer,
    o: FetchOptions,
    room: usize,
    out_array: *mut *mut natsrs_msg,
    out_count: *mut usize,
) -> Result<()> {
    // SAFETY: forwarded caller guarantee.
    let h = unsafe { consumer_of(consumer) }?;
    nn(out_array, "out_array")?;
    nn(out_count, "out_count")?;
    if room == 0 {
        return Err(err!(InvalidArgument, "the batch must be at least 1"));
    }
    let v = h.c.fetch_with(&o)?;
    // SAFETY: room for `room` pointers (C contract); both checked non-NULL.
    unsafe { put_batch(v, room, out_array, out_count) };
    Ok(())
}

/// Fetches up to `batch` messages, waiting up to `timeout_ms`: a short batch comes back as soon
/// as the server says there are no more; none at all is NATSRS_STATUS_TIMEOUT. `out_array` must
/// have room for `batch` pointers; `*out_count` gets the number written. Each message is owned;
/// release each with natsrs_msg_free. A deleted consumer gives NATSRS_STATUS_NOT_FOUND.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_consumer_fetch(
    consumer: *mut natsrs_js_consumer,
    batch: usize,
    timeout_ms: i64,
    out_array: *mut *mut natsrs_msg,
    out_count: *mut usize,
) -> natsrs_status {
    guard(|| {
        let o = FetchOptions { batch, timeout: super::timeout_ms(timeout_ms, "timeout_ms")?, ..Default::default() };
        // SAFETY: pointers as documented (C contract).
        unsafe { fetch_into(consumer, o, batch, out_array, out_count) }
    })
}

/// Fetches messages up to `max_bytes` in total and at most `max_msgs` (the room in
/// `out_array`), waiting up to `timeout_ms`; as natsrs_js_consumer_fetch otherwise.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_consumer_fetch_bytes(
    consumer: *mut natsrs_js_consumer,
    max_bytes: usize,
    max_msgs: usize,
    timeout_ms: i64,
    out_array: *mut *mut natsrs_msg,
    out_count: *mut usize,
) -> natsrs_status {
    guard(|| {
        if max_bytes == 0 {
            return Err(err!(InvalidArgument, "'max_bytes' must be at least 1"));
        }
        let o = FetchOptions { batch: max_msgs, max_bytes, timeout: super::timeout_ms(timeout_ms, "timeout_ms")?, ..Default::default() };
        // SAFETY: pointers as documented (C contract).
        unsafe { fetch_into(consumer, o, max_msgs, out_array, out_count) }
    })
}

/// Fetches up to `batch` messages that are available now, without waiting for more; an empty
/// result is OK with `*out_count == 0`. Otherwise as natsrs_js_consumer_fetch.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_consumer_fetch_no_wait(
    consumer: *mut natsrs_js_consumer,
    batch: usize,
    out_array: *mut *mut natsrs_msg,
    out_count: *mut usize,
) -> natsrs_status {
    guard(|| {
        let o = FetchOptions { batch, no_wait: true, timeout: std::time::Duration::ZERO, ..Default::default() };
        // SAFETY: pointers as documented (C contract).
        unsafe { fetch_into(consumer, o, batch, out_array, out_count) }
    })
}

/// Waits up to `timeout_ms` for one message (a fetch of one; NATSRS_STATUS_TIMEOUT if none).
/// Returns an owned natsrs_msg; release with natsrs_msg_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_consumer_next(
    consumer: *mut natsrs_js_consumer,
    timeout_ms: i64,
    out: *mut *mut natsrs_msg,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `consumer` live (or NULL, refused).
        let h = unsafe { consumer_of(consumer) }?;
        nn(out, "out")?;
        let m = h.c.next(super::timeout_ms(timeout_ms, "timeout_ms")?)?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, box_into_raw(natsrs_msg::from_js(m))) };
        Ok(())
    })
}

/// Releases a consumer handle (the consumer itself stays; delete it with
/// natsrs_js_stream_delete_consumer). Not while a fetch on it runs. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_consumer_free(consumer: *mut natsrs_js_consumer) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle the caller gives up (C contract).
        drop(unsafe { handle::free_box(consumer) });
        Ok(())
    });
}
