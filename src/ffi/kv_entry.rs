//! Key-value result handles: `natsrs_kv_entry` (one revision of one key) and its list
//! `natsrs_kv_entries` (a history), `natsrs_kv_status` (a bucket's state) and its list
//! `natsrs_kv_status_list` (every bucket).

use std::ffi::{c_char, CString};
use std::time::{Duration, UNIX_EPOCH};

use serde_json::{json, Value};

use super::handle::{self, borrow, box_into_raw, BoxOwned, Castable};
use super::jetstream::put_string;
use super::js_info::{natsrs_stream_info, put_stream_info};
use super::kv_config::{natsrs_kv_config, put_kv_config};
use super::status::natsrs_status;
use super::{guard, guard_val, nn, put};
use crate::error::{err, Result};
use crate::kv::{Entry, KvStatus, Operation};

fn c(s: &str) -> CString {
    CString::new(s.replace('\0', " ")).unwrap_or_default()
}

/// What a key-value entry records (natsrs_kv_entry_operation).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum natsrs_kv_operation {
    /// A value.
    Put = 0,
    /// A delete marker (natsrs_kv_delete): the key has no value, its history is kept.
    Delete = 1,
    /// A purge marker (natsrs_kv_purge, or an expiry marker of the server): older revisions
    /// are gone.
    Purge = 2,
}

impl From<Operation> for natsrs_kv_operation {
    fn from(o: Operation) -> natsrs_kv_operation {
        match o {
            Operation::Put => natsrs_kv_operation::Put,
            Operation::Delete => natsrs_kv_operation::Delete,
            Operation::Purge => natsrs_kv_operation::Purge,
        }
    }
}

/// One revision of one key (from a get, a history or a watcher). Opaque; release with
/// natsrs_kv_entry_free (except the borrowed ones of a natsrs_kv_entries list).
pub struct natsrs_kv_entry {
    entry: Entry,
    bucket: CString,
    key: CString,
}

/// A list of entries (natsrs_kv_history). Opaque; release with natsrs_kv_entries_free.
pub struct natsrs_kv_entries {
    items: Vec<natsrs_kv_entry>,
}

/// A bucket's state. Opaque; release with natsrs_kv_status_free (except the borrowed ones of
/// a natsrs_kv_status_list).
pub struct natsrs_kv_status {
    status: KvStatus,
    bucket: CString,
    backing_store: CString,
}

/// The states of several buckets (natsrs_jetstream_kv_stores). Opaque; release with
/// natsrs_kv_status_list_free.
pub struct natsrs_kv_status_list {
    items: Vec<natsrs_kv_status>,
}

// SAFETY: pointers to these handles are only made by box_into_raw (the borrowed items of a
// list point into the list, which is itself a box_into_raw handle).
unsafe impl Castable for natsrs_kv_entry {
    type Ownership = BoxOwned;
}
// SAFETY: as above.
unsafe impl Castable for natsrs_kv_entries {
    type Ownership = BoxOwned;
}
// SAFETY: as above.
unsafe impl Castable for natsrs_kv_status {
    type Ownership = BoxOwned;
}
// SAFETY: as above.
unsafe impl Castable for natsrs_kv_status_list {
    type Ownership = BoxOwned;
}

impl natsrs_kv_entry {
    pub(crate) fn new(entry: Entry) -> natsrs_kv_entry {
        natsrs_kv_entry { bucket: c(&entry.bucket), key: c(&entry.key), entry }
    }
}

impl natsrs_kv_status {
    pub(crate) fn new(status: KvStatus) -> natsrs_kv_status {
        natsrs_kv_status { bucket: c(&status.bucket), backing_store: c(status.backing_store), status }
    }
}

/// Writes an owned entry handle to `out` (checked by the caller).
///
/// # Safety
/// `out` is non-NULL and writable.
pub(crate) unsafe fn put_entry(out: *mut *mut natsrs_kv_entry, e: Entry) {
    // SAFETY: forwarded caller guarantee.
    unsafe { put(out, box_into_raw(natsrs_kv_entry::new(e))) };
}

/// Writes an owned entry list to `out` (checked by the caller).
///
/// # Safety
/// `out` is non-NULL and writable.
pub(crate) unsafe fn put_entries(out: *mut *mut natsrs_kv_entries, v: Vec<Entry>) {
    let items = v.into_iter().map(natsrs_kv_entry::new).collect();
    // SAFETY: forwarded caller guarantee.
    unsafe { put(out, box_into_raw(natsrs_kv_entries { items })) };
}

/// Writes an owned status handle to `out` (checked by the caller).
///
/// # Safety
/// `out` is non-NULL and writable.
pub(crate) unsafe fn put_status(out: *mut *mut natsrs_kv_status, s: KvStatus) {
    // SAFETY: forwarded caller guarantee.
    unsafe { put(out, box_into_raw(natsrs_kv_status::new(s))) };
}

/// Writes an owned status list to `out` (checked by the caller).
///
/// # Safety
/// `out` is non-NULL and writable.
pub(crate) unsafe fn put_status_list(out: *mut *mut natsrs_kv_status_list, v: Vec<KvStatus>) {
    let items = v.into_iter().map(natsrs_kv_status::new).collect();
    // SAFETY: forwarded caller guarantee.
    unsafe { put(out, box_into_raw(natsrs_kv_status_list { items })) };
}

/// Borrows an entry.
///
/// # Safety
/// `e` is NULL or a live entry handle.
unsafe fn ent<'a>(e: *const natsrs_kv_entry) -> Result<&'a natsrs_kv_entry> {
    // SAFETY: forwarded caller guarantee.
    unsafe { borrow(e, "entry") }
}

/// The entry's bucket. Borrowed; valid until the entry is released (NULL for a NULL entry).
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_entry_bucket(entry: *const natsrs_kv_entry) -> *const c_char {
    // SAFETY: `entry` is NULL (refused) or live.
    guard_val(std::ptr::null(), || Ok(unsafe { ent(entry) }?.bucket.as_ptr()))
}

/// The entry's key. Borrowed; valid until the entry is released (NULL for a NULL entry).
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_entry_key(entry: *const natsrs_kv_entry) -> *const c_char {
    // SAFETY: `entry` is NULL (refused) or live.
    guard_val(std::ptr::null(), || Ok(unsafe { ent(entry) }?.key.as_ptr()))
}

/// The value's bytes (not NUL-terminated; length from natsrs_kv_entry_value_len; a marker or a
/// meta-only watch has none: length 0). Borrowed; valid until the entry is released (NULL for
/// a NULL entry).
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_entry_value(entry: *const natsrs_kv_entry) -> *const u8 {
    // SAFETY: `entry` is NULL (refused) or live.
    guard_val(std::ptr::null(), || Ok(unsafe { ent(entry) }?.entry.value.as_ptr()))
}

/// The value's length in bytes (0 for a NULL entry).
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_entry_value_len(entry: *const natsrs_kv_entry) -> usize {
    // SAFETY: `entry` is NULL (refused) or live.
    guard_val(0, || Ok(unsafe { ent(entry) }?.entry.value.len()))
}

/// The revision (the stream sequence of this entry; 0 for a NULL entry).
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_entry_revision(entry: *const natsrs_kv_entry) -> u64 {
    // SAFETY: `entry` is NULL (refused) or live.
    guard_val(0, || Ok(unsafe { ent(entry) }?.entry.revision))
}

/// When the server stored this revision, in nanoseconds since the Unix epoch (UTC; 0 for a
/// NULL entry).
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_entry_created_ns(entry: *const natsrs_kv_entry) -> i64 {
    guard_val(0, || {
        // SAFETY: `entry` is NULL (refused) or live.
        let e = unsafe { ent(entry) }?;
        let d = e.entry.created.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
        Ok(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
    })
}

/// For an entry from a watcher or a history: how many newer entries matched when it was
/// delivered (0 for the latest; always 0 from a get or for a NULL entry).
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_entry_delta(entry: *const natsrs_kv_entry) -> u64 {
    // SAFETY: `entry` is NULL (refused) or live.
    guard_val(0, || Ok(unsafe { ent(entry) }?.entry.delta))
}

/// What the entry records: a value, a delete or a purge (NATSRS_KV_OPERATION_PUT for a NULL
/// entry, with the last error set).
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_entry_operation(entry: *const natsrs_kv_entry) -> natsrs_kv_operation {
    // SAFETY: `entry` is NULL (refused) or live.
    guard_val(natsrs_kv_operation::Put, || Ok(unsafe { ent(entry) }?.entry.operation.into()))
}

/// Releases an entry. NULL is ignored; never pass an entry borrowed from a natsrs_kv_entries.
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_entry_free(entry: *mut natsrs_kv_entry) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle the caller gives up (C contract).
        drop(unsafe { handle::free_box(entry) });
        Ok(())
    });
}

/// Number of entries in the list (0 for NULL).
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_entries_count(list: *const natsrs_kv_entries) -> usize {
    // SAFETY: `list` is NULL (refused) or live.
    guard_val(0, || Ok(unsafe { borrow(list, "list") }?.items.len()))
}

/// Entry `index` of the list (oldest first), or NULL when out of range. Borrowed; valid until
/// natsrs_kv_entries_free (do not free it).
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_entries_get(list: *const natsrs_kv_entries, index: usize) -> *const natsrs_kv_entry {
    guard_val(std::ptr::null(), || -> Result<*const natsrs_kv_entry> {
        // SAFETY: `list` is NULL (refused) or live.
        let l = unsafe { borrow(list, "list") }?;
        l.items.get(index).map(|e| e as *const natsrs_kv_entry).ok_or_else(|| err!(InvalidArgument, "index {} out of range", index))
    })
}

/// Releases an entry list and its entries. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_entries_free(list: *mut natsrs_kv_entries) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle the caller gives up (C contract).
        drop(unsafe { handle::free_box(list) });
        Ok(())
    });
}

/// Borrows a status.
///
/// # Safety
/// `s` is NULL or a live status handle.
unsafe fn st<'a>(s: *const natsrs_kv_status) -> Result<&'a natsrs_kv_status> {
    // SAFETY: forwarded caller guarantee.
    unsafe { borrow(s, "status") }
}

/// The bucket's name. Borrowed; valid until the status is released (NULL for NULL).
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_status_bucket(status: *const natsrs_kv_status) -> *const c_char {
    // SAFETY: `status` is NULL (refused) or live.
    guard_val(std::ptr::null(), || Ok(unsafe { st(status) }?.bucket.as_ptr()))
}

/// Messages stored: values and markers, every revision kept (0 for NULL).
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_status_values(status: *const natsrs_kv_status) -> u64 {
    // SAFETY: `status` is NULL (refused) or live.
    guard_val(0, || Ok(unsafe { st(status) }?.status.values))
}

/// Values kept per key (0 for NULL).
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_status_history(status: *const natsrs_kv_status) -> i64 {
    // SAFETY: `status` is NULL (refused) or live.
    guard_val(0, || Ok(unsafe { st(status) }?.status.history))
}

/// How long a value lives, in ms (0: forever, or NULL).
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_status_ttl_ms(status: *const natsrs_kv_status) -> i64 {
    // SAFETY: `status` is NULL (refused) or live.
    guard_val(0, || Ok(i64::try_from(unsafe { st(status) }?.status.ttl.as_millis()).unwrap_or(i64::MAX)))
}

/// Bytes stored (0 for NULL).
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_status_bytes(status: *const natsrs_kv_status) -> u64 {
    // SAFETY: `status` is NULL (refused) or live.
    guard_val(0, || Ok(unsafe { st(status) }?.status.bytes))
}

/// Whether the backing stream is compressed (false for NULL).
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_status_is_compressed(status: *const natsrs_kv_status) -> bool {
    // SAFETY: `status` is NULL (refused) or live.
    guard_val(false, || Ok(unsafe { st(status) }?.status.is_compressed))
}

/// The backing store's kind: "JetStream". Borrowed; valid until the status is released.
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_status_backing_store(status: *const natsrs_kv_status) -> *const c_char {
    // SAFETY: `status` is NULL (refused) or live.
    guard_val(std::ptr::null(), || Ok(unsafe { st(status) }?.backing_store.as_ptr()))
}

/// The backing stream's info (stream `KV_<bucket>`). Returns an owned natsrs_stream_info;
/// release with natsrs_stream_info_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_status_stream_info(status: *const natsrs_kv_status, out: *mut *mut natsrs_stream_info) -> natsrs_status {
    guard(|| {
        // SAFETY: `status` is NULL (refused) or live.
        let s = unsafe { st(status) }?;
        nn(out, "out")?;
        // SAFETY: checked non-NULL above.
        unsafe { put_stream_info(out, s.status.stream_info.clone()) };
        Ok(())
    })
}

/// The bucket's config as stored by the server (change it and pass it to
/// natsrs_jetstream_update_kv). Returns an owned natsrs_kv_config; release with
/// natsrs_kv_config_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_status_config(status: *const natsrs_kv_status, out: *mut *mut natsrs_kv_config) -> natsrs_status {
    guard(|| {
        // SAFETY: `status` is NULL (refused) or live.
        let s = unsafe { st(status) }?;
        nn(out, "out")?;
        // SAFETY: checked non-NULL above.
        unsafe { put_kv_config(out, s.status.config()) };
        Ok(())
    })
}

/// The status as JSON: `{"bucket","values","history","ttl" (ns),"bytes","is_compressed",
/// "backing_store","stream_info" (the server's stream info)}`. Returns an owned string;
/// release with natsrs_string_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_status_json(status: *const natsrs_kv_status, out: *mut *mut c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `status` is NULL (refused) or live.
        let s = &unsafe { st(status) }?.status;
        let info: Value = serde_json::from_str(&s.stream_info.to_json()).unwrap_or(Value::Null);
        let v = json!({
            "bucket": s.bucket,
            "values": s.values,
            "history": s.history,
            "ttl": u64::try_from(s.ttl.as_nanos()).unwrap_or(u64::MAX),
            "bytes": s.bytes,
            "is_compressed": s.is_compressed,
            "backing_store": s.backing_store,
            "stream_info": info,
        });
        // SAFETY: `out` is checked by put_string.
        unsafe { put_string(out, &v.to_string()) }
    })
}

/// Releases a status. NULL is ignored; never pass a status borrowed from a list.
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_status_free(status: *mut natsrs_kv_status) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle the caller gives up (C contract).
        drop(unsafe { handle::free_box(status) });
        Ok(())
    });
}

/// Number of statuses in the list (0 for NULL).
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_status_list_count(list: *const natsrs_kv_status_list) -> usize {
    // SAFETY: `list` is NULL (refused) or live.
    guard_val(0, || Ok(unsafe { borrow(list, "list") }?.items.len()))
}

/// Status `index` of the list, or NULL when out of range. Borrowed; valid until
/// natsrs_kv_status_list_free (do not free it).
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_status_list_get(list: *const natsrs_kv_status_list, index: usize) -> *const natsrs_kv_status {
    guard_val(std::ptr::null(), || -> Result<*const natsrs_kv_status> {
        // SAFETY: `list` is NULL (refused) or live.
        let l = unsafe { borrow(list, "list") }?;
        l.items.get(index).map(|s| s as *const natsrs_kv_status).ok_or_else(|| err!(InvalidArgument, "index {} out of range", index))
    })
}

/// Releases a status list and its statuses. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_status_list_free(list: *mut natsrs_kv_status_list) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle the caller gives up (C contract).
        drop(unsafe { handle::free_box(list) });
        Ok(())
    });
}
