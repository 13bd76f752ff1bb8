//! `natsrs_kv`: a key-value bucket from C. Bucket management on a `natsrs_jetstream` (create,
//! update, create-or-update, bind, delete, names, list) and the operations (put, get, create,
//! update, delete, purge, purge-deletes, keys, history, status). A failed compare-and-set is
//! NATSRS_STATUS_WRONG_REVISION; a get of a deleted or purged key NATSRS_STATUS_KEY_DELETED, of
//! a key never written NATSRS_STATUS_NOT_FOUND.

use std::ffi::{c_char, CString};
use std::time::Duration;

use super::handle::{self, borrow, box_into_raw, BoxOwned, Castable};
use super::info::{natsrs_strings, strings_out};
use super::jetstream::{duration_ms, js_of, natsrs_jetstream};
use super::kv_config::natsrs_kv_config;
use super::kv_entry::{
    natsrs_kv_entries, natsrs_kv_entry, natsrs_kv_status, natsrs_kv_status_list, put_entries, put_entry, put_status, put_status_list,
};
use super::status::natsrs_status;
use super::{cstr, guard, nn, payload, put};
use crate::error::{err, Error, Result, Status};
use crate::kv::store::is_wrong_last_sequence;
use crate::kv::{Entry, KeyValue, KvConfig, Operation};

/// A key-value bucket. Opaque; release with natsrs_kv_free (the natsrs_jetstream it came from
/// may be released first; the connection must outlive it). Thread-safe.
pub struct natsrs_kv {
    pub(crate) kv: KeyValue,
    bucket: CString,
}

// SAFETY: pointers to natsrs_kv are only made by box_into_raw.
unsafe impl Castable for natsrs_kv {
    type Ownership = BoxOwned;
}

/// Borrows the bucket behind `kv`.
///
/// # Safety
/// `kv` is NULL or a live handle.
pub(crate) unsafe fn kv_of<'a>(kv: *const natsrs_kv) -> Result<&'a KeyValue> {
    // SAFETY: forwarded caller guarantee.
    Ok(&unsafe { borrow(kv, "kv") }?.kv)
}

/// Reads a C array of `n` strings.
///
/// # Safety
/// `p` is NULL (only with n == 0) or points to `n` NUL-terminated strings valid for the call.
pub(crate) unsafe fn str_list(p: *const *const c_char, n: usize, name: &str) -> Result<Vec<String>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    nn(p, name)?;
    (0..n)
        .map(|i| {
            // SAFETY: `p` has `n` entries (C contract), each a NUL-terminated string or NULL.
            let s = unsafe { cstr(*p.add(i), name) }?;
            Ok(s.to_string())
        })
        .collect()
}

/// A failed compare-and-set (err_code 10071) becomes NATSRS_STATUS_WRONG_REVISION, keeping
/// the server's codes for natsrs_last_error_api.
pub(crate) fn kv_err(e: Error) -> Error {
    if is_wrong_last_sequence(&e) {
        Error { status: Status::WrongRevision, ..e }
    } else {
        e
    }
}

/// Writes a new bucket handle to `out` (checked by the caller).
///
/// # Safety
/// `out` is non-NULL and writable.
unsafe fn put_kv(out: *mut *mut natsrs_kv, kv: KeyValue) {
    let bucket = CString::new(kv.bucket()).unwrap_or_default();
    // SAFETY: forwarded caller guarantee.
    unsafe { put(out, box_into_raw(natsrs_kv { kv, bucket })) };
}

/// Writes `v` to `out` when `out` is not NULL.
///
/// # Safety
/// `out` is NULL or writable.
unsafe fn opt_put<T>(out: *mut T, v: T) {
    if !out.is_null() {
        // SAFETY: non-NULL, writable per the caller.
        unsafe { put(out, v) };
    }
}

/// Shared body of the bucket create/update calls.
///
/// # Safety
/// `js` and `cfg` are NULL or live; `out` NULL or writable.
unsafe fn manage(
    js: *mut natsrs_jetstream,
    cfg: *const natsrs_kv_config,
    out: *mut *mut natsrs_kv,
    f: fn(&crate::jetstream::JetStream, &KvConfig) -> Result<KeyValue>,
) -> natsrs_status {
    guard(|| {
        // SAFETY: per the function's contract.
        let (j, c) = unsafe { (js_of(js)?, &borrow(cfg, "cfg")?.cfg) };
        nn(out, "out")?;
        let kv = f(j, c)?;
        // SAFETY: checked non-NULL above.
        unsafe { put_kv(out, kv) };
        Ok(())
    })
}

/// Creates a bucket (OK when one exists with the same config; NATSRS_STATUS_JETSTREAM with
/// err_code 10058 when it exists with another). Returns an owned natsrs_kv; release with
/// natsrs_kv_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_create_kv(
    js: *mut natsrs_jetstream,
    cfg: *const natsrs_kv_config,
    out: *mut *mut natsrs_kv,
) -> natsrs_status {
    // SAFETY: forwarded C contract.
    unsafe { manage(js, cfg, out, |j, c| j.create_key_value(c)) }
}

/// Changes an existing bucket's config (NATSRS_STATUS_NOT_FOUND if there is none). Returns an
/// owned natsrs_kv; release with natsrs_kv_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_update_kv(
    js: *mut natsrs_jetstream,
    cfg: *const natsrs_kv_config,
    out: *mut *mut natsrs_kv,
) -> natsrs_status {
    // SAFETY: forwarded C contract.
    unsafe { manage(js, cfg, out, |j, c| j.update_key_value(c)) }
}

/// Creates the bucket, or changes its config when it exists. Returns an owned natsrs_kv;
/// release with natsrs_kv_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_create_or_update_kv(
    js: *mut natsrs_jetstream,
    cfg: *const natsrs_kv_config,
    out: *mut *mut natsrs_kv,
) -> natsrs_status {
    // SAFETY: forwarded C contract.
    unsafe { manage(js, cfg, out, |j, c| j.create_or_update_key_value(c)) }
}

/// Binds to an existing bucket (NATSRS_STATUS_NOT_FOUND if there is none). Returns an owned
/// natsrs_kv; release with natsrs_kv_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_bind_kv(
    js: *mut natsrs_jetstream,
    bucket: *const c_char,
    out: *mut *mut natsrs_kv,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `js` live (or NULL, refused); `bucket` a C string.
        let (j, b) = unsafe { (js_of(js)?, cstr(bucket, "bucket")?) };
        nn(out, "out")?;
        let kv = j.key_value(b)?;
        // SAFETY: checked non-NULL above.
        unsafe { put_kv(out, kv) };
        Ok(())
    })
}

/// Deletes a bucket and all its values (NATSRS_STATUS_NOT_FOUND if there is none).
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_delete_kv(js: *mut natsrs_jetstream, bucket: *const c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `js` live (or NULL, refused); `bucket` a C string.
        let (j, b) = unsafe { (js_of(js)?, cstr(bucket, "bucket")?) };
        j.delete_key_value(b)
    })
}

/// The names of all buckets, sorted. Returns an owned natsrs_strings; release with
/// natsrs_strings_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_kv_store_names(js: *mut natsrs_jetstream, out: *mut *mut natsrs_strings) -> natsrs_status {
    guard(|| {
        // SAFETY: `js` live (or NULL, refused).
        let j = unsafe { js_of(js) }?;
        nn(out, "out")?;
        let names = j.key_value_store_names()?;
        // SAFETY: checked non-NULL above.
        unsafe { strings_out(names, out) };
        Ok(())
    })
}

/// The status of every bucket. Returns an owned natsrs_kv_status_list; release with
/// natsrs_kv_status_list_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_kv_stores(js: *mut natsrs_jetstream, out: *mut *mut natsrs_kv_status_list) -> natsrs_status {
    guard(|| {
        // SAFETY: `js` live (or NULL, refused).
        let j = unsafe { js_of(js) }?;
        nn(out, "out")?;
        let v = j.key_value_stores()?;
        // SAFETY: checked non-NULL above.
        unsafe { put_status_list(out, v) };
        Ok(())
    })
}

/// The bucket's name. Borrowed; valid until natsrs_kv_free (NULL for NULL).
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_bucket(kv: *const natsrs_kv) -> *const c_char {
    // SAFETY: `kv` is NULL (refused) or live.
    super::guard_val(std::ptr::null(), || Ok(unsafe { borrow(kv, "kv") }?.bucket.as_ptr()))
}

/// Stores `data[0..len]` as the value of `key` (`[-/_=.a-zA-Z0-9]+`, not starting or ending
/// with '.'; anything else is NATSRS_STATUS_INVALID_ARGUMENT). `*out_revision` (may be NULL)
/// gets the new revision.
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_put(
    kv: *mut natsrs_kv,
    key: *const c_char,
    data: *const u8,
    len: usize,
    out_revision: *mut u64,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `kv` live (or NULL, refused); `key` a C string; `data` `len` readable bytes.
        let (k, key, d) = unsafe { (kv_of(kv)?, cstr(key, "key")?, payload(data, len)?) };
        let rev = k.put(key, d)?;
        // SAFETY: `out_revision` NULL or writable.
        unsafe { opt_put(out_revision, rev) };
        Ok(())
    })
}

/// Stores a value only when `key` has none (never written, or deleted or purged last);
/// otherwise NATSRS_STATUS_WRONG_REVISION. `*out_revision` (may be NULL) gets the revision.
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_create(
    kv: *mut natsrs_kv,
    key: *const c_char,
    data: *const u8,
    len: usize,
    out_revision: *mut u64,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `kv` live (or NULL, refused); `key` a C string; `data` `len` readable bytes.
        let (k, key, d) = unsafe { (kv_of(kv)?, cstr(key, "key")?, payload(data, len)?) };
        let rev = k.create(key, d).map_err(kv_err)?;
        // SAFETY: `out_revision` NULL or writable.
        unsafe { opt_put(out_revision, rev) };
        Ok(())
    })
}

/// Like natsrs_kv_create, the value expiring after `ttl_ms` (> 0; the bucket needs
/// natsrs_kv_config_set_limit_marker_ttl_ms, server 2.11+).
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_create_with_ttl(
    kv: *mut natsrs_kv,
    key: *const c_char,
    data: *const u8,
    len: usize,
    ttl_ms: i64,
    out_revision: *mut u64,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `kv` live (or NULL, refused); `key` a C string; `data` `len` readable bytes.
        let (k, key, d) = unsafe { (kv_of(kv)?, cstr(key, "key")?, payload(data, len)?) };
        let ttl = super::timeout_ms(ttl_ms, "ttl_ms")?;
        let rev = k.create_with_ttl(key, d, ttl).map_err(kv_err)?;
        // SAFETY: `out_revision` NULL or writable.
        unsafe { opt_put(out_revision, rev) };
        Ok(())
    })
}

/// Stores a value only when the latest revision of `key` is `last_revision` (compare-and-set;
/// 0: only when the key was never written). A conflict is NATSRS_STATUS_WRONG_REVISION.
/// `*out_revision` (may be NULL) gets the new revision.
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_update(
    kv: *mut natsrs_kv,
    key: *const c_char,
    data: *const u8,
    len: usize,
    last_revision: u64,
    out_revision: *mut u64,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `kv` live (or NULL, refused); `key` a C string; `data` `len` readable bytes.
        let (k, key, d) = unsafe { (kv_of(kv)?, cstr(key, "key")?, payload(data, len)?) };
        let rev = k.update(key, d, last_revision).map_err(kv_err)?;
        // SAFETY: `out_revision` NULL or writable.
        unsafe { opt_put(out_revision, rev) };
        Ok(())
    })
}

/// A get's outcome: the value, or why there is none.
fn value_entry(key: &str, revision: Option<u64>, e: Option<Entry>) -> Result<Entry> {
    let what = match revision {
        Some(r) => format!("revision {} of key '{}'", r, key),
        None => format!("key '{}'", key),
    };
    match e {
        Some(e) if e.operation == Operation::Put => Ok(e),
        Some(e) => Err(Error::new(Status::KeyDeleted, format!("{} is a {} marker (revision {})", what, e.operation.as_str(), e.revision))),
        None => Err(Error::new(Status::NotFound, format!("{} not found", what))),
    }
}

/// The latest value of `key`: NATSRS_STATUS_NOT_FOUND when it was never written (or is gone
/// entirely, e.g. expired), NATSRS_STATUS_KEY_DELETED when it was deleted or purged last.
/// Returns an owned natsrs_kv_entry; release with natsrs_kv_entry_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_get(kv: *mut natsrs_kv, key: *const c_char, out: *mut *mut natsrs_kv_entry) -> natsrs_status {
    guard(|| {
        // SAFETY: `kv` live (or NULL, refused); `key` a C string.
        let (k, key) = unsafe { (kv_of(kv)?, cstr(key, "key")?) };
        nn(out, "out")?;
        let e = value_entry(key, None, k.entry_raw(key, None)?)?;
        // SAFETY: checked non-NULL above.
        unsafe { put_entry(out, e) };
        Ok(())
    })
}

/// Revision `revision` (> 0) of `key`: NATSRS_STATUS_NOT_FOUND when that revision is not this
/// key's (or is gone), NATSRS_STATUS_KEY_DELETED when it is a delete or purge marker. Returns
/// an owned natsrs_kv_entry; release with natsrs_kv_entry_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_get_revision(
    kv: *mut natsrs_kv,
    key: *const c_char,
    revision: u64,
    out: *mut *mut natsrs_kv_entry,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `kv` live (or NULL, refused); `key` a C string.
        let (k, key) = unsafe { (kv_of(kv)?, cstr(key, "key")?) };
        nn(out, "out")?;
        if revision == 0 {
            return Err(err!(InvalidArgument, "'revision' must be at least 1"));
        }
        let e = value_entry(key, Some(revision), k.entry_raw(key, Some(revision))?)?;
        // SAFETY: checked non-NULL above.
        unsafe { put_entry(out, e) };
        Ok(())
    })
}

/// Deletes `key`: writes a delete marker, its history is kept. With `last_revision` > 0 only
/// when that is the key's latest revision (else NATSRS_STATUS_WRONG_REVISION); 0: always.
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_delete(kv: *mut natsrs_kv, key: *const c_char, last_revision: u64) -> natsrs_status {
    guard(|| {
        // SAFETY: `kv` live (or NULL, refused); `key` a C string.
        let (k, key) = unsafe { (kv_of(kv)?, cstr(key, "key")?) };
        if last_revision > 0 {
            k.delete_expect(key, last_revision).map_err(kv_err)
        } else {
            k.delete(key)
        }
    })
}

/// Purges `key`: writes a purge marker and removes all its older revisions. With
/// `last_revision` > 0 only when that is the key's latest revision (else
/// NATSRS_STATUS_WRONG_REVISION); 0: always.
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_purge(kv: *mut natsrs_kv, key: *const c_char, last_revision: u64) -> natsrs_status {
    guard(|| {
        // SAFETY: `kv` live (or NULL, refused); `key` a C string.
        let (k, key) = unsafe { (kv_of(kv)?, cstr(key, "key")?) };
        if last_revision > 0 {
            k.purge_expect(key, last_revision).map_err(kv_err)
        } else {
            k.purge(key)
        }
    })
}

/// Purges `key` like natsrs_kv_purge (no revision check), the purge marker itself expiring
/// after `ttl_ms` (> 0; `Nats-TTL`, whole seconds on the wire): nats-py's purge(key, msg_ttl).
/// The bucket needs natsrs_kv_config_set_limit_marker_ttl_ms (server 2.11+); otherwise the
/// server refuses it (NATSRS_STATUS_JETSTREAM with its codes in natsrs_last_error_api).
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_purge_with_ttl(kv: *mut natsrs_kv, key: *const c_char, ttl_ms: i64) -> natsrs_status {
    guard(|| {
        // SAFETY: `kv` live (or NULL, refused); `key` a C string.
        let (k, key) = unsafe { (kv_of(kv)?, cstr(key, "key")?) };
        let ttl = super::timeout_ms(ttl_ms, "ttl_ms")?;
        k.purge_with_ttl(key, ttl).map_err(kv_err)
    })
}

/// Removes delete and purge markers, as nats.go's PurgeDeletes: markers older than
/// `older_than_ms` go entirely, newer ones only lose the revisions before them. 0 means the
/// default threshold (30 minutes); a negative value removes every marker entirely.
/// `*out_purged` (may be NULL) gets the number of keys purged.
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_purge_deletes(kv: *mut natsrs_kv, older_than_ms: i64, out_purged: *mut u64) -> natsrs_status {
    guard(|| {
        // SAFETY: `kv` live (or NULL, refused).
        let k = unsafe { kv_of(kv) }?;
        let older = match older_than_ms {
            0 => None,
            n if n < 0 => Some(Duration::ZERO),
            n => Some(duration_ms(n, "older_than_ms")?),
        };
        let n = k.purge_deletes(older)?;
        // SAFETY: `out_purged` NULL or writable.
        unsafe { opt_put(out_purged, n as u64) };
        Ok(())
    })
}

/// The keys that have a value, in stream order; with `filters[0..n]` (n > 0) only those
/// matching one of them (`*` matches a token, a final `>` the rest). An empty bucket gives an
/// empty list. Returns an owned natsrs_strings; release with natsrs_strings_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_keys(
    kv: *mut natsrs_kv,
    filters: *const *const c_char,
    n: usize,
    out: *mut *mut natsrs_strings,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `kv` live (or NULL, refused); `filters` has `n` C strings (C contract).
        let (k, f) = unsafe { (kv_of(kv)?, str_list(filters, n, "filters")?) };
        nn(out, "out")?;
        let keys = if f.is_empty() { k.keys()? } else { k.keys_filtered(&f.iter().map(String::as_str).collect::<Vec<_>>())? };
        // SAFETY: checked non-NULL above.
        unsafe { strings_out(keys, out) };
        Ok(())
    })
}

/// Every stored revision of `key`, oldest first, markers included (NATSRS_STATUS_NOT_FOUND
/// when there is none). Returns an owned natsrs_kv_entries; release with
/// natsrs_kv_entries_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_history(kv: *mut natsrs_kv, key: *const c_char, out: *mut *mut natsrs_kv_entries) -> natsrs_status {
    guard(|| {
        // SAFETY: `kv` live (or NULL, refused); `key` a C string.
        let (k, key) = unsafe { (kv_of(kv)?, cstr(key, "key")?) };
        nn(out, "out")?;
        let v = k.history(key)?;
        // SAFETY: checked non-NULL above.
        unsafe { put_entries(out, v) };
        Ok(())
    })
}

/// The bucket's status. Returns an owned natsrs_kv_status; release with natsrs_kv_status_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_bucket_status(kv: *mut natsrs_kv, out: *mut *mut natsrs_kv_status) -> natsrs_status {
    guard(|| {
        // SAFETY: `kv` live (or NULL, refused).
        let k = unsafe { kv_of(kv) }?;
        nn(out, "out")?;
        let s = k.status()?;
        // SAFETY: checked non-NULL above.
        unsafe { put_status(out, s) };
        Ok(())
    })
}

/// Releases a bucket handle (the bucket itself stays). NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_free(kv: *mut natsrs_kv) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle the caller gives up (C contract).
        drop(unsafe { handle::free_box(kv) });
        Ok(())
    });
}
