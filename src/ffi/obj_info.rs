//! Object store result handles: `natsrs_object_info` (getters and JSON),
//! `natsrs_object_info_list`, `natsrs_object_store_status`, and the watch iterator
//! `natsrs_object_watcher`.

use std::ffi::{c_char, CString};

use super::handle::{self, borrow, borrow_mut, box_into_raw, BoxOwned, Castable};
use super::jetstream::put_string;
use super::status::natsrs_status;
use super::{guard, guard_val, nn, put};
use crate::error::Result;
use crate::object_store::{ObjectInfo, ObjectStoreStatus, ObjectWatcher};

fn c(s: &str) -> CString {
    CString::new(s.replace('\0', " ")).unwrap_or_default()
}

fn ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(std::ptr::null(), |s| s.as_ptr())
}

/// An object's info. Opaque; release with natsrs_object_info_free (except the borrowed ones of
/// natsrs_object_info_list_get).
pub struct natsrs_object_info {
    pub(crate) info: ObjectInfo,
    name: CString,
    bucket: CString,
    nuid: CString,
    digest: CString,
    mtime: CString,
    description: Option<CString>,
    link_bucket: Option<CString>,
    link_name: Option<CString>,
}

// SAFETY: pointers to natsrs_object_info are only made by box_into_raw (the borrowed ones of a
// list point into the list's Vec, alive until the list is freed).
unsafe impl Castable for natsrs_object_info {
    type Ownership = BoxOwned;
}

impl natsrs_object_info {
    pub(crate) fn new(info: ObjectInfo) -> natsrs_object_info {
        let link = info.link();
        natsrs_object_info {
            name: c(&info.meta.name),
            bucket: c(&info.bucket),
            nuid: c(&info.nuid),
            digest: c(&info.digest),
            mtime: c(&info.mtime),
            description: info.meta.description.as_deref().map(c),
            link_bucket: link.map(|l| c(&l.bucket)),
            link_name: link.and_then(|l| l.name.as_deref()).map(c),
            info,
        }
    }
}

/// Writes an owned info handle to `out` when `out` is not NULL.
///
/// # Safety
/// `out` is NULL or writable.
pub(crate) unsafe fn opt_put_info(out: *mut *mut natsrs_object_info, info: ObjectInfo) {
    if !out.is_null() {
        // SAFETY: non-NULL and writable per the caller.
        unsafe { put(out, box_into_raw(natsrs_object_info::new(info))) };
    }
}

/// Borrows an info handle.
///
/// # Safety
/// `h` is NULL or a live handle.
pub(crate) unsafe fn info_ref<'a>(h: *const natsrs_object_info) -> Result<&'a natsrs_object_info> {
    // SAFETY: forwarded caller guarantee.
    unsafe { borrow(h, "info") }
}

/// Runs a getter on an info handle; `d` for NULL.
///
/// # Safety
/// `h` is NULL or a live handle.
unsafe fn get<T>(h: *const natsrs_object_info, d: T, f: impl FnOnce(&natsrs_object_info) -> T) -> T {
    // SAFETY: forwarded caller guarantee.
    guard_val(d, || Ok(f(unsafe { info_ref(h) }?)))
}

/// The object's name. Borrowed; valid until the info is freed. NULL for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_info_name(info: *const natsrs_object_info) -> *const c_char {
    // SAFETY: NULL or a live handle (C contract).
    unsafe { get(info, std::ptr::null(), |i| i.name.as_ptr()) }
}

/// The object's store. Borrowed; valid until the info is freed. NULL for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_info_bucket(info: *const natsrs_object_info) -> *const c_char {
    // SAFETY: NULL or a live handle (C contract).
    unsafe { get(info, std::ptr::null(), |i| i.bucket.as_ptr()) }
}

/// The NUID of this version of the object. Borrowed; valid until the info is freed.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_info_nuid(info: *const natsrs_object_info) -> *const c_char {
    // SAFETY: NULL or a live handle (C contract).
    unsafe { get(info, std::ptr::null(), |i| i.nuid.as_ptr()) }
}

/// The digest, `SHA-256=<base64url>` ("" for deleted objects and links). Borrowed; valid until
/// the info is freed.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_info_digest(info: *const natsrs_object_info) -> *const c_char {
    // SAFETY: NULL or a live handle (C contract).
    unsafe { get(info, std::ptr::null(), |i| i.digest.as_ptr()) }
}

/// The modification time, RFC 3339 UTC. Borrowed; valid until the info is freed.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_info_mtime(info: *const natsrs_object_info) -> *const c_char {
    // SAFETY: NULL or a live handle (C contract).
    unsafe { get(info, std::ptr::null(), |i| i.mtime.as_ptr()) }
}

/// The description, or NULL when there is none. Borrowed; valid until the info is freed.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_info_description(info: *const natsrs_object_info) -> *const c_char {
    // SAFETY: NULL or a live handle (C contract).
    unsafe { get(info, std::ptr::null(), |i| ptr(&i.description)) }
}

/// The object's size in bytes (0 for a NULL handle).
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_info_size(info: *const natsrs_object_info) -> u64 {
    // SAFETY: NULL or a live handle (C contract).
    unsafe { get(info, 0, |i| i.info.size) }
}

/// The number of chunks the object is stored in.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_info_chunks(info: *const natsrs_object_info) -> u32 {
    // SAFETY: NULL or a live handle (C contract).
    unsafe { get(info, 0, |i| i.info.chunks) }
}

/// Whether the object is deleted (only with show_deleted).
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_info_deleted(info: *const natsrs_object_info) -> bool {
    // SAFETY: NULL or a live handle (C contract).
    unsafe { get(info, false, |i| i.info.deleted) }
}

/// Whether the object is a link (to an object or a whole store).
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_info_is_link(info: *const natsrs_object_info) -> bool {
    // SAFETY: NULL or a live handle (C contract).
    unsafe { get(info, false, |i| i.info.is_link()) }
}

/// The store a link points to; NULL when not a link. Borrowed; valid until the info is freed.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_info_link_bucket(info: *const natsrs_object_info) -> *const c_char {
    // SAFETY: NULL or a live handle (C contract).
    unsafe { get(info, std::ptr::null(), |i| ptr(&i.link_bucket)) }
}

/// The object a link points to; NULL when not a link or a link to a whole store. Borrowed;
/// valid until the info is freed.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_info_link_name(info: *const natsrs_object_info) -> *const c_char {
    // SAFETY: NULL or a live handle (C contract).
    unsafe { get(info, std::ptr::null(), |i| ptr(&i.link_name)) }
}

/// The info as the JSON stored in the meta message (name, description, headers, metadata,
/// options, bucket, nuid, size, mtime, chunks, digest, deleted). Returns an owned string;
/// release with natsrs_string_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_info_json(info: *const natsrs_object_info, out: *mut *mut c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `info` live (or NULL, refused).
        let i = unsafe { info_ref(info) }?;
        // SAFETY: `out` is checked by put_string.
        unsafe { put_string(out, &i.info.to_json()) }
    })
}

/// Releases an info. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_info_free(info: *mut natsrs_object_info) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle the caller gives up (C contract).
        drop(unsafe { handle::free_box(info) });
        Ok(())
    });
}

/// A list of object infos (natsrs_object_store_list). Opaque; release with
/// natsrs_object_info_list_free.
pub struct natsrs_object_info_list {
    pub(crate) items: Vec<natsrs_object_info>,
}

// SAFETY: pointers to natsrs_object_info_list are only made by box_into_raw.
unsafe impl Castable for natsrs_object_info_list {
    type Ownership = BoxOwned;
}

/// The number of infos in the list (0 for NULL).
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_info_list_count(list: *const natsrs_object_info_list) -> usize {
    // SAFETY: NULL or a live handle (C contract).
    guard_val(0, || Ok(unsafe { borrow(list, "list") }?.items.len()))
}

/// The info at `index`, or NULL when out of range. Borrowed; valid until the list is freed.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_info_list_get(list: *const natsrs_object_info_list, index: usize) -> *const natsrs_object_info {
    guard_val(std::ptr::null(), || {
        // SAFETY: NULL or a live handle (C contract).
        let l = unsafe { borrow(list, "list") }?;
        Ok(l.items.get(index).map_or(std::ptr::null(), |i| i as *const natsrs_object_info))
    })
}

/// Releases a list and the infos it holds. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_info_list_free(list: *mut natsrs_object_info_list) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle the caller gives up (C contract).
        drop(unsafe { handle::free_box(list) });
        Ok(())
    });
}

/// A store's status. Opaque; release with natsrs_object_store_status_free.
pub struct natsrs_object_store_status {
    pub(crate) st: ObjectStoreStatus,
    bucket: CString,
    description: Option<CString>,
    backing: CString,
}

// SAFETY: pointers to natsrs_object_store_status are only made by box_into_raw.
unsafe impl Castable for natsrs_object_store_status {
    type Ownership = BoxOwned;
}

impl natsrs_object_store_status {
    pub(crate) fn new(st: ObjectStoreStatus) -> natsrs_object_store_status {
        natsrs_object_store_status {
            bucket: c(&st.bucket),
            description: st.description.as_deref().map(c),
            backing: c(st.backing_store),
            st,
        }
    }
}

/// Runs a getter on a status handle; `d` for NULL.
///
/// # Safety
/// `h` is NULL or a live handle.
unsafe fn sget<T>(h: *const natsrs_object_store_status, d: T, f: impl FnOnce(&natsrs_object_store_status) -> T) -> T {
    // SAFETY: forwarded caller guarantee.
    guard_val(d, || Ok(f(unsafe { borrow(h, "status") }?)))
}

/// The store's name. Borrowed; valid until the status is freed.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_store_status_bucket(status: *const natsrs_object_store_status) -> *const c_char {
    // SAFETY: NULL or a live handle (C contract).
    unsafe { sget(status, std::ptr::null(), |s| s.bucket.as_ptr()) }
}

/// The store's description, or NULL. Borrowed; valid until the status is freed.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_store_status_description(status: *const natsrs_object_store_status) -> *const c_char {
    // SAFETY: NULL or a live handle (C contract).
    unsafe { sget(status, std::ptr::null(), |s| ptr(&s.description)) }
}

/// The backing store ("JetStream"). Borrowed; valid until the status is freed.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_store_status_backing_store(status: *const natsrs_object_store_status) -> *const c_char {
    // SAFETY: NULL or a live handle (C contract).
    unsafe { sget(status, std::ptr::null(), |s| s.backing.as_ptr()) }
}

/// How long objects live, in ms (0 = forever).
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_store_status_ttl_ms(status: *const natsrs_object_store_status) -> i64 {
    // SAFETY: NULL or a live handle (C contract).
    unsafe { sget(status, 0, |s| s.st.ttl.as_millis().min(i64::MAX as u128) as i64) }
}

/// Bytes stored (chunks and meta).
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_store_status_size(status: *const natsrs_object_store_status) -> u64 {
    // SAFETY: NULL or a live handle (C contract).
    unsafe { sget(status, 0, |s| s.st.size) }
}

/// Number of replicas.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_store_status_replicas(status: *const natsrs_object_store_status) -> u32 {
    // SAFETY: NULL or a live handle (C contract).
    unsafe { sget(status, 0, |s| s.st.replicas) }
}

/// Storage (natsrs_storage_type value; -1 for NULL).
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_store_status_storage(status: *const natsrs_object_store_status) -> i32 {
    // SAFETY: NULL or a live handle (C contract).
    unsafe { sget(status, -1, |s| if s.st.storage == crate::jetstream::StorageType::Memory { 1 } else { 0 }) }
}

/// Whether the store is sealed.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_store_status_sealed(status: *const natsrs_object_store_status) -> bool {
    // SAFETY: NULL or a live handle (C contract).
    unsafe { sget(status, false, |s| s.st.sealed) }
}

/// Whether the backing stream is compressed.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_store_status_is_compressed(status: *const natsrs_object_store_status) -> bool {
    // SAFETY: NULL or a live handle (C contract).
    unsafe { sget(status, false, |s| s.st.is_compressed) }
}

/// The backing stream's info as the server's JSON. Returns an owned string; release with
/// natsrs_string_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_store_status_json(
    status: *const natsrs_object_store_status,
    out: *mut *mut c_char,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `status` live (or NULL, refused).
        let s = unsafe { borrow(status, "status") }?;
        // SAFETY: `out` is checked by put_string.
        unsafe { put_string(out, &s.st.stream_info.to_json()) }
    })
}

/// Releases a status. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_store_status_free(status: *mut natsrs_object_store_status) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle the caller gives up (C contract).
        drop(unsafe { handle::free_box(status) });
        Ok(())
    });
}

/// A running watch of a store's objects (natsrs_object_store_watch). Opaque; release with
/// natsrs_object_watcher_free (which stops it).
pub struct natsrs_object_watcher {
    pub(crate) w: ObjectWatcher,
}

// SAFETY: pointers to natsrs_object_watcher are only made by box_into_raw.
unsafe impl Castable for natsrs_object_watcher {
    type Ownership = BoxOwned;
}

/// Waits up to `timeout_ms` (positive) for the next change. On NATSRS_STATUS_OK `*out` is an
/// owned natsrs_object_info (release with natsrs_object_info_free), or NULL exactly once: the
/// marker that every object present when the watch started has been delivered.
/// NATSRS_STATUS_TIMEOUT when nothing came in time (`*out` untouched). Not for use from two
/// threads at once.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_watcher_next(
    watcher: *mut natsrs_object_watcher,
    timeout_ms: i64,
    out: *mut *mut natsrs_object_info,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `watcher` live and not used concurrently (or NULL, refused).
        let w = unsafe { borrow_mut(watcher, "watcher") }?;
        nn(out, "out")?;
        let t = super::timeout_ms(timeout_ms, "timeout_ms")?;
        let p = match w.w.next(t)? {
            Some(i) => box_into_raw(natsrs_object_info::new(i)),
            None => std::ptr::null_mut(),
        };
        // SAFETY: checked non-NULL above.
        unsafe { put(out, p) };
        Ok(())
    })
}

/// Stops a watch (later natsrs_object_watcher_next calls time out or fail).
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_watcher_stop(watcher: *mut natsrs_object_watcher) -> natsrs_status {
    guard(|| {
        // SAFETY: `watcher` live and not used concurrently (or NULL, refused).
        unsafe { borrow_mut(watcher, "watcher") }?.w.stop();
        Ok(())
    })
}

/// Stops and releases a watch. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_watcher_free(watcher: *mut natsrs_object_watcher) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle the caller gives up (C contract).
        drop(unsafe { handle::free_box(watcher) });
        Ok(())
    });
}
