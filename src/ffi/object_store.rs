//! `natsrs_object_store`: create, bind, delete and list stores; put from bytes, a file or a
//! read callback; get to bytes, a file or a write callback; info, meta update, delete, list,
//! links, seal, status and watch. Result handles are in obj_info.rs, configs and meta in
//! obj_config.rs.

use std::ffi::{c_char, c_void, CString};
use std::io::{Read, Write};
use std::path::Path;

use super::handle::{self, borrow, box_into_raw, BoxOwned, Castable};
use super::jetstream::{js_of, natsrs_jetstream, put_string};
use super::obj_config::{meta_ref, natsrs_object_meta, natsrs_object_store_config, store_cfg};
use super::obj_info::{
    info_ref, natsrs_object_info, natsrs_object_info_list, natsrs_object_store_status, natsrs_object_watcher, opt_put_info,
};
use super::status::natsrs_status;
use super::{cstr, guard, nn, payload, put};
use crate::error::{err, Result};
use crate::object_store::{ObjectMeta, ObjectStore, ObjectWatchOptions};

/// Read callback of natsrs_object_store_put_stream, called on the caller's thread during the
/// put: write up to `cap` bytes of the object's data into `buf` and return how many (1..cap);
/// return 0 only at the end of the data, a negative value to abort the put (it then fails with
/// NATSRS_STATUS_IO and the chunks already sent are purged). A short read is fine: the
/// callback is called again until the chunk is full or it returns 0.
pub type natsrs_object_read_fn = Option<unsafe extern "C" fn(userdata: *mut c_void, buf: *mut u8, cap: usize) -> i64>;

/// Write callback of natsrs_object_store_get_stream, called on the caller's thread during the
/// get with each chunk of data in order (`data` borrowed for the call): return 0 to go on,
/// anything else to abort the get (it then fails with NATSRS_STATUS_IO).
pub type natsrs_object_write_fn = Option<unsafe extern "C" fn(userdata: *mut c_void, data: *const u8, len: usize) -> i32>;

/// An object store bound to a JetStream context. Opaque; release with natsrs_object_store_free
/// (the context and connection must outlive it).
pub struct natsrs_object_store {
    pub(crate) os: ObjectStore,
    bucket: CString,
}

// SAFETY: pointers to natsrs_object_store are only made by box_into_raw.
unsafe impl Castable for natsrs_object_store {
    type Ownership = BoxOwned;
}

/// Borrows the core store behind `os`.
///
/// # Safety
/// `os` is NULL or a live handle.
unsafe fn store<'a>(os: *const natsrs_object_store) -> Result<&'a ObjectStore> {
    // SAFETY: forwarded caller guarantee.
    Ok(&unsafe { borrow(os, "os") }?.os)
}

/// Writes an owned store handle to `out` (checked by the caller).
///
/// # Safety
/// `out` is non-NULL and writable.
unsafe fn put_store(out: *mut *mut natsrs_object_store, os: ObjectStore) {
    let bucket = CString::new(os.bucket()).unwrap_or_default();
    // SAFETY: forwarded caller guarantee.
    unsafe { put(out, box_into_raw(natsrs_object_store { os, bucket })) };
}

/// Creates an object store (OK when one exists with the same config). Returns an owned
/// natsrs_object_store; release with natsrs_object_store_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_create_object_store(
    js: *mut natsrs_jetstream,
    cfg: *const natsrs_object_store_config,
    out: *mut *mut natsrs_object_store,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `js` and `cfg` live (or NULL, refused).
        let (j, c) = unsafe { (js_of(js)?, store_cfg(cfg)?) };
        nn(out, "out")?;
        let os = j.create_object_store(c)?;
        // SAFETY: checked non-NULL above.
        unsafe { put_store(out, os) };
        Ok(())
    })
}

/// Changes a store's config (description, TTL, limits, replicas ...). `*out` (`out` may be
/// NULL) gets an owned natsrs_object_store; release with natsrs_object_store_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_update_object_store(
    js: *mut natsrs_jetstream,
    cfg: *const natsrs_object_store_config,
    out: *mut *mut natsrs_object_store,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `js` and `cfg` live (or NULL, refused).
        let (j, c) = unsafe { (js_of(js)?, store_cfg(cfg)?) };
        let os = j.update_object_store(c)?;
        if !out.is_null() {
            // SAFETY: non-NULL, writable per the C contract.
            unsafe { put_store(out, os) };
        }
        Ok(())
    })
}

/// Binds to an existing store (NATSRS_STATUS_NOT_FOUND when there is none). Returns an owned
/// natsrs_object_store; release with natsrs_object_store_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_object_store(
    js: *mut natsrs_jetstream,
    bucket: *const c_char,
    out: *mut *mut natsrs_object_store,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `js` live (or NULL, refused); `bucket` a C string.
        let (j, b) = unsafe { (js_of(js)?, cstr(bucket, "bucket")?) };
        nn(out, "out")?;
        let os = j.object_store(b)?;
        // SAFETY: checked non-NULL above.
        unsafe { put_store(out, os) };
        Ok(())
    })
}

/// Deletes a store and all its objects (NATSRS_STATUS_NOT_FOUND when there is none).
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_delete_object_store(js: *mut natsrs_jetstream, bucket: *const c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `js` live (or NULL, refused); `bucket` a C string.
        let (j, b) = unsafe { (js_of(js)?, cstr(bucket, "bucket")?) };
        j.delete_object_store(b)
    })
}

/// The names of all object stores, sorted, as a JSON array of strings. Returns an owned
/// string; release with natsrs_string_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_object_store_names_json(js: *mut natsrs_jetstream, out: *mut *mut c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `js` live (or NULL, refused).
        let j = unsafe { js_of(js) }?;
        nn(out, "out")?;
        let names = j.object_store_names()?;
        // SAFETY: `out` checked above.
        unsafe { put_string(out, &serde_json::Value::from(names).to_string()) }
    })
}

/// The status of every object store as a JSON array of objects (`bucket`, `description`,
/// `ttl` (ns), `storage`, `replicas`, `sealed`, `size`, `backing_store`, `is_compressed`,
/// `metadata`). Returns an owned string; release with natsrs_string_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_object_store_statuses_json(js: *mut natsrs_jetstream, out: *mut *mut c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `js` live (or NULL, refused).
        let j = unsafe { js_of(js) }?;
        nn(out, "out")?;
        let all: Vec<String> = j.object_stores()?.iter().map(|s| s.to_json()).collect();
        // SAFETY: `out` checked above.
        unsafe { put_string(out, &format!("[{}]", all.join(","))) }
    })
}

/// Releases a store handle (the store itself stays). NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_store_free(os: *mut natsrs_object_store) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle the caller gives up (C contract).
        drop(unsafe { handle::free_box(os) });
        Ok(())
    });
}

/// The store's name. Borrowed; valid until the handle is freed. NULL for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_store_bucket(os: *const natsrs_object_store) -> *const c_char {
    // SAFETY: NULL or a live handle (C contract).
    super::guard_val(std::ptr::null(), || Ok(unsafe { borrow(os, "os") }?.bucket.as_ptr()))
}

/// The store's status. Returns an owned natsrs_object_store_status; release with
/// natsrs_object_store_status_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_store_get_status(
    os: *mut natsrs_object_store,
    out: *mut *mut natsrs_object_store_status,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `os` live (or NULL, refused).
        let s = unsafe { store(os) }?;
        nn(out, "out")?;
        let st = s.status()?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, box_into_raw(natsrs_object_store_status::new(st))) };
        Ok(())
    })
}

/// Seals the store: it becomes read-only (puts, deletes and meta updates then fail).
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_store_seal(os: *mut natsrs_object_store) -> natsrs_status {
    guard(|| {
        // SAFETY: `os` live (or NULL, refused).
        unsafe { store(os) }?.seal()
    })
}

/// Puts an object from a buffer ((NULL, 0) is an empty object), replacing one of the same
/// name. `*out_info` (`out_info` may be NULL) gets an owned natsrs_object_info; release with
/// natsrs_object_info_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_store_put_bytes(
    os: *mut natsrs_object_store,
    name: *const c_char,
    data: *const u8,
    len: usize,
    out_info: *mut *mut natsrs_object_info,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `os` live (or NULL, refused); `name` a C string; `data` readable for `len`.
        let (s, n, d) = unsafe { (store(os)?, cstr(name, "name")?, payload(data, len)?) };
        let info = s.put_bytes(n, d)?;
        // SAFETY: `out_info` NULL or writable.
        unsafe { opt_put_info(out_info, info) };
        Ok(())
    })
}

/// Puts an object from the file at `path`, streamed (never whole in memory). As
/// natsrs_object_store_put_bytes otherwise; NATSRS_STATUS_IO when the file cannot be read.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_store_put_file(
    os: *mut natsrs_object_store,
    name: *const c_char,
    path: *const c_char,
    out_info: *mut *mut natsrs_object_info,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `os` live (or NULL, refused); `name` and `path` C strings.
        let (s, n, p) = unsafe { (store(os)?, cstr(name, "name")?, cstr(path, "path")?) };
        let info = s.put_file(ObjectMeta::new(n), Path::new(p))?;
        // SAFETY: `out_info` NULL or writable.
        unsafe { opt_put_info(out_info, info) };
        Ok(())
    })
}

/// Adapts a C read callback to `Read`.
struct CReader {
    f: unsafe extern "C" fn(*mut c_void, *mut u8, usize) -> i64,
    userdata: *mut c_void,
}

impl Read for CReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        // SAFETY: the callback gets a buffer writable for `buf.len()` bytes, valid for the call;
        // `userdata` is passed back unchanged (the caller's contract covers it).
        let n = unsafe { (self.f)(self.userdata, buf.as_mut_ptr(), buf.len()) };
        if n < 0 {
            return Err(std::io::Error::other(format!("the read callback returned {}", n)));
        }
        if n as u64 > buf.len() as u64 {
            return Err(std::io::Error::other(format!("the read callback returned {} for a buffer of {}", n, buf.len())));
        }
        Ok(n as usize)
    }
}

/// Puts an object streamed from `read` (see natsrs_object_read_fn), in chunks of the meta's
/// chunk size (default 128 KiB); at most 32 chunks wait for their ack at once, so memory stays
/// bounded whatever the size. `meta` gives the name, description, headers and metadata.
/// `*out_info` (`out_info` may be NULL) gets an owned natsrs_object_info; release with
/// natsrs_object_info_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_store_put_stream(
    os: *mut natsrs_object_store,
    meta: *const natsrs_object_meta,
    read: natsrs_object_read_fn,
    userdata: *mut c_void,
    out_info: *mut *mut natsrs_object_info,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `os` and `meta` live (or NULL, refused).
        let (s, m) = unsafe { (store(os)?, meta_ref(meta)?) };
        let f = read.ok_or_else(|| err!(NullParameter, "'read' is NULL"))?;
        let info = s.put(m.clone(), &mut CReader { f, userdata })?;
        // SAFETY: `out_info` NULL or writable.
        unsafe { opt_put_info(out_info, info) };
        Ok(())
    })
}

/// Gets a whole object (following a link) into a new buffer: `*out_data` gets `*out_len` bytes
/// (as `void *`, to read as `uint8_t`) allocated with malloc (never NULL, even for 0 bytes);
/// release with natsrs_object_data_free (or free). The digest is checked: a mismatch is NATSRS_STATUS_IO with last error starting
/// "I/O error: object digest mismatch". NATSRS_STATUS_NOT_FOUND when there is no such object
/// (or it was deleted). `*out_info` (`out_info` may be NULL) gets an owned natsrs_object_info.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_store_get_bytes(
    os: *mut natsrs_object_store,
    name: *const c_char,
    out_data: *mut *mut c_void,
    out_len: *mut usize,
    out_info: *mut *mut natsrs_object_info,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `os` live (or NULL, refused); `name` a C string.
        let (s, n) = unsafe { (store(os)?, cstr(name, "name")?) };
        nn(out_data, "out_data")?;
        nn(out_len, "out_len")?;
        let mut r = s.get(n)?;
        let size = usize::try_from(r.info().size).map_err(|_| err!(Io, "object of {} bytes is too large for memory", r.info().size))?;
        // The object goes straight into the buffer handed out (one copy, one buffer).
        let buf = MallocBuf::zeroed(size)?;
        // SAFETY: `buf` owns `size` zeroed (initialised) bytes, not aliased while `w` lives.
        let mut w: &mut [u8] = unsafe { std::slice::from_raw_parts_mut(buf.0, size) };
        r.copy_to(&mut w)?;
        if !w.is_empty() {
            return Err(err!(Io, "object '{}' size mismatch: expected {} bytes, got {}", n, size, size - w.len()));
        }
        let info = r.info().clone();
        // SAFETY: the out pointers were checked non-NULL above.
        unsafe {
            put(out_data, buf.into_raw() as *mut c_void);
            put(out_len, size);
            opt_put_info(out_info, info);
        }
        Ok(())
    })
}

/// A malloc'd buffer (freed on drop unless handed out with `into_raw`).
struct MallocBuf(*mut u8);

impl MallocBuf {
    /// `len` zeroed bytes (at least one byte is allocated, so never NULL). calloc takes big
    /// buffers from fresh zero pages, so this does not write them.
    fn zeroed(len: usize) -> Result<MallocBuf> {
        // SAFETY: calloc of at least one byte; NULL is checked below.
        let p = unsafe { libc::calloc(len.max(1), 1) } as *mut u8;
        if p.is_null() {
            return Err(err!(Io, "out of memory for {} bytes", len));
        }
        Ok(MallocBuf(p))
    }

    fn into_raw(self) -> *mut u8 {
        let p = self.0;
        std::mem::forget(self);
        p
    }
}

impl Drop for MallocBuf {
    fn drop(&mut self) {
        // SAFETY: the pointer came from libc::calloc and was not handed out (into_raw forgets).
        unsafe { libc::free(self.0 as *mut c_void) };
    }
}

/// Releases a buffer from natsrs_object_store_get_bytes. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_data_free(data: *mut c_void) {
    if !data.is_null() {
        // SAFETY: the buffer came from libc::malloc in natsrs_object_store_get_bytes and the
        // caller gives it up.
        unsafe { libc::free(data) };
    }
}

/// Gets an object (following a link) into the file at `path` (created or truncated), streamed;
/// the file is removed again when the get fails (digest mismatch included). As
/// natsrs_object_store_get_bytes otherwise.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_store_get_file(
    os: *mut natsrs_object_store,
    name: *const c_char,
    path: *const c_char,
    out_info: *mut *mut natsrs_object_info,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `os` live (or NULL, refused); `name` and `path` C strings.
        let (s, n, p) = unsafe { (store(os)?, cstr(name, "name")?, cstr(path, "path")?) };
        let info = s.get_file(n, Path::new(p))?;
        // SAFETY: `out_info` NULL or writable.
        unsafe { opt_put_info(out_info, info) };
        Ok(())
    })
}

/// Adapts a C write callback to `Write`.
struct CWriter {
    f: unsafe extern "C" fn(*mut c_void, *const u8, usize) -> i32,
    userdata: *mut c_void,
}

impl Write for CWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // SAFETY: `buf` is readable for its length during the call; `userdata` is passed back
        // unchanged (the caller's contract covers it).
        let r = unsafe { (self.f)(self.userdata, buf.as_ptr(), buf.len()) };
        if r != 0 {
            return Err(std::io::Error::other(format!("the write callback returned {}", r)));
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Gets an object (following a link) streamed to `write` (see natsrs_object_write_fn), chunk by
/// chunk. The digest is checked after the last chunk: on a mismatch the data has been written
/// already and the call fails with NATSRS_STATUS_IO ("object digest mismatch"). As
/// natsrs_object_store_get_bytes otherwise.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_store_get_stream(
    os: *mut natsrs_object_store,
    name: *const c_char,
    write: natsrs_object_write_fn,
    userdata: *mut c_void,
    out_info: *mut *mut natsrs_object_info,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `os` live (or NULL, refused); `name` a C string.
        let (s, n) = unsafe { (store(os)?, cstr(name, "name")?) };
        let f = write.ok_or_else(|| err!(NullParameter, "'write' is NULL"))?;
        let info = s.get_to_writer(n, &mut CWriter { f, userdata })?;
        // SAFETY: `out_info` NULL or writable.
        unsafe { opt_put_info(out_info, info) };
        Ok(())
    })
}

/// An object's info (NATSRS_STATUS_NOT_FOUND when there is none, or it was deleted and
/// `show_deleted` is false). Returns an owned natsrs_object_info; release with
/// natsrs_object_info_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_store_info(
    os: *mut natsrs_object_store,
    name: *const c_char,
    show_deleted: bool,
    out: *mut *mut natsrs_object_info,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `os` live (or NULL, refused); `name` a C string.
        let (s, n) = unsafe { (store(os)?, cstr(name, "name")?) };
        nn(out, "out")?;
        let info = s.info_with(n, show_deleted)?;
        // SAFETY: checked non-NULL above.
        unsafe { opt_put_info(out, info) };
        Ok(())
    })
}

/// Changes an object's name (renames when `meta`'s name differs), description, headers and
/// metadata. Renaming onto an existing object, or updating a deleted one, is
/// NATSRS_STATUS_ILLEGAL_STATE. `*out_info` (`out_info` may be NULL) gets an owned
/// natsrs_object_info.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_store_update_meta(
    os: *mut natsrs_object_store,
    name: *const c_char,
    meta: *const natsrs_object_meta,
    out_info: *mut *mut natsrs_object_info,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `os` and `meta` live (or NULL, refused); `name` a C string.
        let (s, n, m) = unsafe { (store(os)?, cstr(name, "name")?, meta_ref(meta)?) };
        let info = s.update_meta(n, m)?;
        // SAFETY: `out_info` NULL or writable.
        unsafe { opt_put_info(out_info, info) };
        Ok(())
    })
}

/// Deletes an object (its chunks are purged; its info stays, marked deleted).
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_store_delete(os: *mut natsrs_object_store, name: *const c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `os` live (or NULL, refused); `name` a C string.
        let (s, n) = unsafe { (store(os)?, cstr(name, "name")?) };
        s.delete(n)
    })
}

/// Every object's info (deleted ones too with `show_deleted`); an empty store gives an empty
/// list. Returns an owned natsrs_object_info_list; release with natsrs_object_info_list_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_store_list(
    os: *mut natsrs_object_store,
    show_deleted: bool,
    out: *mut *mut natsrs_object_info_list,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `os` live (or NULL, refused).
        let s = unsafe { store(os) }?;
        nn(out, "out")?;
        let items = s.list(show_deleted)?.into_iter().map(natsrs_object_info::new).collect();
        // SAFETY: checked non-NULL above.
        unsafe { put(out, box_into_raw(natsrs_object_info_list { items })) };
        Ok(())
    })
}

/// Adds `name` as a link to the object `target` (an info from this or another store). Links to
/// links or to deleted objects are NATSRS_STATUS_INVALID_ARGUMENT; an existing object (not a
/// link) of that name is NATSRS_STATUS_ILLEGAL_STATE. `*out_info` (`out_info` may be NULL)
/// gets an owned natsrs_object_info.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_store_add_link(
    os: *mut natsrs_object_store,
    name: *const c_char,
    target: *const natsrs_object_info,
    out_info: *mut *mut natsrs_object_info,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `os` and `target` live (or NULL, refused); `name` a C string.
        let (s, n, t) = unsafe { (store(os)?, cstr(name, "name")?, info_ref(target)?) };
        let info = s.add_link(n, &t.info)?;
        // SAFETY: `out_info` NULL or writable.
        unsafe { opt_put_info(out_info, info) };
        Ok(())
    })
}

/// Adds `name` as a link to the whole store `target`. As natsrs_object_store_add_link otherwise.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_store_add_bucket_link(
    os: *mut natsrs_object_store,
    name: *const c_char,
    target: *const natsrs_object_store,
    out_info: *mut *mut natsrs_object_info,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `os` and `target` live (or NULL, refused); `name` a C string.
        let (s, n, t) = unsafe { (store(os)?, cstr(name, "name")?, store(target)?) };
        let info = s.add_bucket_link(n, t)?;
        // SAFETY: `out_info` NULL or writable.
        unsafe { opt_put_info(out_info, info) };
        Ok(())
    })
}

/// Watches the store's objects: first the latest info of each (every stored one with
/// `include_history`; none with `updates_only`), then the marker (a NULL info from
/// natsrs_object_watcher_next), then each change. `ignore_deletes` skips deleted objects.
/// Returns an owned natsrs_object_watcher; release with natsrs_object_watcher_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_store_watch(
    os: *mut natsrs_object_store,
    include_history: bool,
    ignore_deletes: bool,
    updates_only: bool,
    out: *mut *mut natsrs_object_watcher,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `os` live (or NULL, refused).
        let s = unsafe { store(os) }?;
        nn(out, "out")?;
        let w = s.watch(ObjectWatchOptions { include_history, ignore_deletes, updates_only })?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, box_into_raw(natsrs_object_watcher { w })) };
        Ok(())
    })
}
