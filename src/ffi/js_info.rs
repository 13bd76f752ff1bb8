//! Result handles: `natsrs_stream_info`, `natsrs_consumer_info`, `natsrs_pub_ack`,
//! `natsrs_account_info`, with getters for the common fields and the server's JSON.

use std::ffi::{c_char, CString};

use super::handle::{self, borrow, box_into_raw, BoxOwned, Castable};
use super::jetstream::put_string;
use super::js_config::{natsrs_consumer_config, natsrs_stream_config};
use super::status::natsrs_status;
use super::{guard, guard_val, nn, put};
use crate::jetstream::{AccountInfo, ConsumerInfo, PubAck, StreamInfo};

fn c(s: &str) -> CString {
    CString::new(s.replace('\0', " ")).unwrap_or_default()
}

/// Stream info. Opaque; release with natsrs_stream_info_free.
pub struct natsrs_stream_info {
    pub(crate) info: StreamInfo,
    name: CString,
}

/// Consumer info. Opaque; release with natsrs_consumer_info_free.
pub struct natsrs_consumer_info {
    pub(crate) info: ConsumerInfo,
    name: CString,
    stream: CString,
}

/// The server's ack of a JetStream publish. Opaque; release with natsrs_pub_ack_free (except
/// the borrowed one an async-publish callback receives).
pub struct natsrs_pub_ack {
    pub(crate) ack: PubAck,
    stream: CString,
    domain: Option<CString>,
}

/// JetStream account usage and limits. Opaque; release with natsrs_account_info_free.
pub struct natsrs_account_info {
    pub(crate) info: AccountInfo,
}

// SAFETY: pointers to these handles are only made by box_into_raw (the borrowed pub ack of an
// async-publish callback points at a value that lives for the call).
unsafe impl Castable for natsrs_stream_info {
    type Ownership = BoxOwned;
}
// SAFETY: as above.
unsafe impl Castable for natsrs_consumer_info {
    type Ownership = BoxOwned;
}
// SAFETY: as above.
unsafe impl Castable for natsrs_pub_ack {
    type Ownership = BoxOwned;
}
// SAFETY: as above.
unsafe impl Castable for natsrs_account_info {
    type Ownership = BoxOwned;
}

impl natsrs_stream_info {
    pub(crate) fn new(info: StreamInfo) -> natsrs_stream_info {
        natsrs_stream_info { name: c(&info.config.name), info }
    }
}

impl natsrs_consumer_info {
    pub(crate) fn new(info: ConsumerInfo) -> natsrs_consumer_info {
        natsrs_consumer_info { name: c(&info.name), stream: c(&info.stream_name), info }
    }
}

impl natsrs_pub_ack {
    pub(crate) fn new(ack: PubAck) -> natsrs_pub_ack {
        natsrs_pub_ack { stream: c(&ack.stream), domain: ack.domain.as_deref().map(c), ack }
    }
}

/// Writes an owned stream-info handle to `out` (checked by the caller).
///
/// # Safety
/// `out` is non-NULL and writable.
pub(crate) unsafe fn put_stream_info(out: *mut *mut natsrs_stream_info, info: StreamInfo) {
    // SAFETY: forwarded caller guarantee.
    unsafe { put(out, box_into_raw(natsrs_stream_info::new(info))) };
}

/// Writes an owned consumer-info handle to `out` (checked by the caller).
///
/// # Safety
/// `out` is non-NULL and writable.
pub(crate) unsafe fn put_consumer_info(out: *mut *mut natsrs_consumer_info, info: ConsumerInfo) {
    // SAFETY: forwarded caller guarantee.
    unsafe { put(out, box_into_raw(natsrs_consumer_info::new(info))) };
}

/// The value a getter returns for a NULL handle.
trait NullVal {
    fn null() -> Self;
}
impl NullVal for u64 {
    fn null() -> Self {
        0
    }
}
impl NullVal for bool {
    fn null() -> Self {
        false
    }
}
impl NullVal for *const c_char {
    fn null() -> Self {
        std::ptr::null()
    }
}

/// Messages in the stream.
#[no_mangle]
pub unsafe extern "C" fn natsrs_stream_info_messages(h: *const natsrs_stream_info) -> u64 {
    guard_val(<u64 as NullVal>::null(), || {
        // SAFETY: `h` is a live handle (or NULL, refused).
        let s = unsafe { borrow(h, "h") }?;
        Ok(s.info.state.messages)
    })
}

/// Bytes in the stream.
#[no_mangle]
pub unsafe extern "C" fn natsrs_stream_info_bytes(h: *const natsrs_stream_info) -> u64 {
    guard_val(<u64 as NullVal>::null(), || {
        // SAFETY: `h` is a live handle (or NULL, refused).
        let s = unsafe { borrow(h, "h") }?;
        Ok(s.info.state.bytes)
    })
}

/// First sequence in the stream.
#[no_mangle]
pub unsafe extern "C" fn natsrs_stream_info_first_seq(h: *const natsrs_stream_info) -> u64 {
    guard_val(<u64 as NullVal>::null(), || {
        // SAFETY: `h` is a live handle (or NULL, refused).
        let s = unsafe { borrow(h, "h") }?;
        Ok(s.info.state.first_seq)
    })
}

/// Last sequence in the stream.
#[no_mangle]
pub unsafe extern "C" fn natsrs_stream_info_last_seq(h: *const natsrs_stream_info) -> u64 {
    guard_val(<u64 as NullVal>::null(), || {
        // SAFETY: `h` is a live handle (or NULL, refused).
        let s = unsafe { borrow(h, "h") }?;
        Ok(s.info.state.last_seq)
    })
}

/// Number of consumers.
#[no_mangle]
pub unsafe extern "C" fn natsrs_stream_info_consumer_count(h: *const natsrs_stream_info) -> u64 {
    guard_val(<u64 as NullVal>::null(), || {
        // SAFETY: `h` is a live handle (or NULL, refused).
        let s = unsafe { borrow(h, "h") }?;
        Ok(s.info.state.consumer_count)
    })
}

/// Stream name. Borrowed; valid until natsrs_stream_info_free (NULL for a NULL handle).
#[no_mangle]
pub unsafe extern "C" fn natsrs_stream_info_name(h: *const natsrs_stream_info) -> *const c_char {
    guard_val(<*const c_char as NullVal>::null(), || {
        // SAFETY: `h` is a live handle (or NULL, refused).
        let s = unsafe { borrow(h, "h") }?;
        Ok(s.name.as_ptr())
    })
}

/// Consumer name. Borrowed; valid until natsrs_consumer_info_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_consumer_info_name(h: *const natsrs_consumer_info) -> *const c_char {
    guard_val(<*const c_char as NullVal>::null(), || {
        // SAFETY: `h` is a live handle (or NULL, refused).
        let c = unsafe { borrow(h, "h") }?;
        Ok(c.name.as_ptr())
    })
}

/// Stream name. Borrowed; valid until natsrs_consumer_info_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_consumer_info_stream_name(h: *const natsrs_consumer_info) -> *const c_char {
    guard_val(<*const c_char as NullVal>::null(), || {
        // SAFETY: `h` is a live handle (or NULL, refused).
        let c = unsafe { borrow(h, "h") }?;
        Ok(c.stream.as_ptr())
    })
}

/// Messages not yet delivered.
#[no_mangle]
pub unsafe extern "C" fn natsrs_consumer_info_num_pending(h: *const natsrs_consumer_info) -> u64 {
    guard_val(<u64 as NullVal>::null(), || {
        // SAFETY: `h` is a live handle (or NULL, refused).
        let c = unsafe { borrow(h, "h") }?;
        Ok(c.info.num_pending)
    })
}

/// Messages delivered and not acked yet.
#[no_mangle]
pub unsafe extern "C" fn natsrs_consumer_info_num_ack_pending(h: *const natsrs_consumer_info) -> u64 {
    guard_val(<u64 as NullVal>::null(), || {
        // SAFETY: `h` is a live handle (or NULL, refused).
        let c = unsafe { borrow(h, "h") }?;
        Ok(c.info.num_ack_pending)
    })
}

/// Messages redelivered.
#[no_mangle]
pub unsafe extern "C" fn natsrs_consumer_info_num_redelivered(h: *const natsrs_consumer_info) -> u64 {
    guard_val(<u64 as NullVal>::null(), || {
        // SAFETY: `h` is a live handle (or NULL, refused).
        let c = unsafe { borrow(h, "h") }?;
        Ok(c.info.num_redelivered)
    })
}

/// Pull requests waiting.
#[no_mangle]
pub unsafe extern "C" fn natsrs_consumer_info_num_waiting(h: *const natsrs_consumer_info) -> u64 {
    guard_val(<u64 as NullVal>::null(), || {
        // SAFETY: `h` is a live handle (or NULL, refused).
        let c = unsafe { borrow(h, "h") }?;
        Ok(c.info.num_waiting)
    })
}

/// Last delivered consumer sequence.
#[no_mangle]
pub unsafe extern "C" fn natsrs_consumer_info_delivered_consumer_seq(h: *const natsrs_consumer_info) -> u64 {
    guard_val(<u64 as NullVal>::null(), || {
        // SAFETY: `h` is a live handle (or NULL, refused).
        let c = unsafe { borrow(h, "h") }?;
        Ok(c.info.delivered.consumer_seq)
    })
}

/// Last delivered stream sequence.
#[no_mangle]
pub unsafe extern "C" fn natsrs_consumer_info_delivered_stream_seq(h: *const natsrs_consumer_info) -> u64 {
    guard_val(<u64 as NullVal>::null(), || {
        // SAFETY: `h` is a live handle (or NULL, refused).
        let c = unsafe { borrow(h, "h") }?;
        Ok(c.info.delivered.stream_seq)
    })
}

/// Stream sequence of the ack floor.
#[no_mangle]
pub unsafe extern "C" fn natsrs_consumer_info_ack_floor_stream_seq(h: *const natsrs_consumer_info) -> u64 {
    guard_val(<u64 as NullVal>::null(), || {
        // SAFETY: `h` is a live handle (or NULL, refused).
        let c = unsafe { borrow(h, "h") }?;
        Ok(c.info.ack_floor.stream_seq)
    })
}

/// Stream that stored the message. Borrowed; valid as long as the ack.
#[no_mangle]
pub unsafe extern "C" fn natsrs_pub_ack_stream(h: *const natsrs_pub_ack) -> *const c_char {
    guard_val(<*const c_char as NullVal>::null(), || {
        // SAFETY: `h` is a live handle (or NULL, refused).
        let a = unsafe { borrow(h, "h") }?;
        Ok(a.stream.as_ptr())
    })
}

/// Sequence of the message in the stream.
#[no_mangle]
pub unsafe extern "C" fn natsrs_pub_ack_seq(h: *const natsrs_pub_ack) -> u64 {
    guard_val(<u64 as NullVal>::null(), || {
        // SAFETY: `h` is a live handle (or NULL, refused).
        let a = unsafe { borrow(h, "h") }?;
        Ok(a.ack.seq)
    })
}

/// True if the message id was a duplicate (the message was not stored again).
#[no_mangle]
pub unsafe extern "C" fn natsrs_pub_ack_duplicate(h: *const natsrs_pub_ack) -> bool {
    guard_val(<bool as NullVal>::null(), || {
        // SAFETY: `h` is a live handle (or NULL, refused).
        let a = unsafe { borrow(h, "h") }?;
        Ok(a.ack.duplicate)
    })
}

/// JetStream domain, or NULL. Borrowed; valid as long as the ack.
#[no_mangle]
pub unsafe extern "C" fn natsrs_pub_ack_domain(h: *const natsrs_pub_ack) -> *const c_char {
    guard_val(<*const c_char as NullVal>::null(), || {
        // SAFETY: `h` is a live handle (or NULL, refused).
        let a = unsafe { borrow(h, "h") }?;
        Ok(a.domain.as_ref().map_or(std::ptr::null(), |d| d.as_ptr()))
    })
}

/// Memory storage in use (bytes).
#[no_mangle]
pub unsafe extern "C" fn natsrs_account_info_memory(h: *const natsrs_account_info) -> u64 {
    guard_val(<u64 as NullVal>::null(), || {
        // SAFETY: `h` is a live handle (or NULL, refused).
        let a = unsafe { borrow(h, "h") }?;
        Ok(a.info.memory)
    })
}

/// File storage in use (bytes).
#[no_mangle]
pub unsafe extern "C" fn natsrs_account_info_storage(h: *const natsrs_account_info) -> u64 {
    guard_val(<u64 as NullVal>::null(), || {
        // SAFETY: `h` is a live handle (or NULL, refused).
        let a = unsafe { borrow(h, "h") }?;
        Ok(a.info.storage)
    })
}

/// Number of streams.
#[no_mangle]
pub unsafe extern "C" fn natsrs_account_info_streams(h: *const natsrs_account_info) -> u64 {
    guard_val(<u64 as NullVal>::null(), || {
        // SAFETY: `h` is a live handle (or NULL, refused).
        let a = unsafe { borrow(h, "h") }?;
        Ok(a.info.streams)
    })
}

/// Number of consumers.
#[no_mangle]
pub unsafe extern "C" fn natsrs_account_info_consumers(h: *const natsrs_account_info) -> u64 {
    guard_val(<u64 as NullVal>::null(), || {
        // SAFETY: `h` is a live handle (or NULL, refused).
        let a = unsafe { borrow(h, "h") }?;
        Ok(a.info.consumers)
    })
}

/// The server's JSON. Returns an owned string; release with natsrs_string_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_stream_info_json(h: *const natsrs_stream_info, out: *mut *mut c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `h` is a live handle (or NULL, refused).
        let s = unsafe { borrow(h, "h") }?;
        // SAFETY: `out` is checked by put_string.
        unsafe { put_string(out, &s.info.to_json()) }
    })
}

/// Releases the handle. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn natsrs_stream_info_free(h: *mut natsrs_stream_info) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle the caller gives up (C contract).
        drop(unsafe { handle::free_box(h) });
        Ok(())
    });
}

/// The server's JSON. Returns an owned string; release with natsrs_string_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_consumer_info_json(h: *const natsrs_consumer_info, out: *mut *mut c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `h` is a live handle (or NULL, refused).
        let s = unsafe { borrow(h, "h") }?;
        // SAFETY: `out` is checked by put_string.
        unsafe { put_string(out, &s.info.to_json()) }
    })
}

/// Releases the handle. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn natsrs_consumer_info_free(h: *mut natsrs_consumer_info) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle the caller gives up (C contract).
        drop(unsafe { handle::free_box(h) });
        Ok(())
    });
}

/// The server's JSON. Returns an owned string; release with natsrs_string_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_pub_ack_json(h: *const natsrs_pub_ack, out: *mut *mut c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `h` is a live handle (or NULL, refused).
        let s = unsafe { borrow(h, "h") }?;
        // SAFETY: `out` is checked by put_string.
        unsafe { put_string(out, &s.ack.to_json()) }
    })
}

/// Releases the handle. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn natsrs_pub_ack_free(h: *mut natsrs_pub_ack) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle the caller gives up (C contract).
        drop(unsafe { handle::free_box(h) });
        Ok(())
    });
}

/// The server's JSON. Returns an owned string; release with natsrs_string_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_account_info_json(h: *const natsrs_account_info, out: *mut *mut c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `h` is a live handle (or NULL, refused).
        let s = unsafe { borrow(h, "h") }?;
        // SAFETY: `out` is checked by put_string.
        unsafe { put_string(out, &s.info.to_json()) }
    })
}

/// Releases the handle. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn natsrs_account_info_free(h: *mut natsrs_account_info) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle the caller gives up (C contract).
        drop(unsafe { handle::free_box(h) });
        Ok(())
    });
}

/// The stream's config. Returns an owned natsrs_stream_config; release with
/// natsrs_stream_config_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_stream_info_config(info: *const natsrs_stream_info, out: *mut *mut natsrs_stream_config) -> natsrs_status {
    guard(|| {
        // SAFETY: `info` is a live handle (or NULL, refused).
        let i = unsafe { borrow(info, "info") }?;
        nn(out, "out")?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, box_into_raw(natsrs_stream_config { cfg: i.info.config.clone() })) };
        Ok(())
    })
}

/// The consumer's config. Returns an owned natsrs_consumer_config; release with
/// natsrs_consumer_config_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_consumer_info_config(
    info: *const natsrs_consumer_info,
    out: *mut *mut natsrs_consumer_config,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `info` is a live handle (or NULL, refused).
        let i = unsafe { borrow(info, "info") }?;
        nn(out, "out")?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, box_into_raw(natsrs_consumer_config { cfg: i.info.config.clone() })) };
        Ok(())
    })
}
