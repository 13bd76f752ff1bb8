//! `natsrs_jetstream`: the JetStream context and its options, the server's error codes of the
//! last failed call (`natsrs_last_error_api`), account info, and the small helpers the other
//! `js_*` C modules share (owned C strings, optional timeouts).

use std::ffi::{c_char, CString};
use std::time::Duration;

use super::boundary::last_error_api;
use super::connection::conn;
use super::handle::{self, borrow, borrow_mut, box_into_raw, BoxOwned, Castable};
use super::js_config::{natsrs_consumer_config, natsrs_stream_config};
use super::js_info::{natsrs_account_info, natsrs_consumer_info, natsrs_stream_info, put_consumer_info, put_stream_info};
use super::msg::{natsrs_msg, StoredPos};
use super::status::natsrs_status;
use super::{cstr, guard, nn, opt_cstr, put};
use crate::error::{err, Result};
use crate::jetstream::{JetStream, JetStreamOptions, PurgeOptions, StoredMsg};
use crate::msg::Msg;

/// A JetStream context. Opaque; release with natsrs_jetstream_free (it does not close the
/// connection, which must outlive it).
pub struct natsrs_jetstream {
    pub(crate) js: JetStream,
}

// SAFETY: pointers to natsrs_jetstream are only made by box_into_raw.
unsafe impl Castable for natsrs_jetstream {
    type Ownership = BoxOwned;
}

/// Options of a JetStream context. Opaque; release with natsrs_jetstream_options_free.
pub struct natsrs_jetstream_options {
    opts: JetStreamOptions,
}

// SAFETY: pointers to natsrs_jetstream_options are only made by box_into_raw.
unsafe impl Castable for natsrs_jetstream_options {
    type Ownership = BoxOwned;
}

/// Borrows the core context behind `js`.
///
/// # Safety
/// `js` is NULL or a live handle (between natsrs_jetstream_new and natsrs_jetstream_free).
pub(crate) unsafe fn js_of<'a>(js: *const natsrs_jetstream) -> Result<&'a JetStream> {
    // SAFETY: forwarded caller guarantee.
    Ok(&unsafe { borrow(js, "js") }?.js)
}

/// An owned C string for C (interior NULs become blanks); release with natsrs_string_free.
pub(crate) fn owned_cstring(s: &str) -> *mut c_char {
    CString::new(s.replace('\0', " ")).unwrap_or_default().into_raw()
}

/// Writes an owned copy of `s` to `out` after checking it.
///
/// # Safety
/// `out` is NULL (refused) or writable for a pointer.
pub(crate) unsafe fn put_string(out: *mut *mut c_char, s: &str) -> Result<()> {
    nn(out, "out")?;
    // SAFETY: checked non-NULL above; writable per the caller.
    unsafe { put(out, owned_cstring(s)) };
    Ok(())
}

/// A non-negative millisecond duration (0 allowed).
pub(crate) fn duration_ms(ms: i64, name: &str) -> Result<Duration> {
    if ms < 0 {
        return Err(err!(InvalidArgument, "'{}' must not be negative (got {})", name, ms));
    }
    Ok(Duration::from_millis(ms as u64))
}

/// Creates JetStream options with the defaults (API prefix `$JS.API`, timeout 5000 ms,
/// async-publish max pending 4000, stall wait 200 ms). Returns an owned
/// natsrs_jetstream_options; release with natsrs_jetstream_options_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_options_create(out: *mut *mut natsrs_jetstream_options) -> natsrs_status {
    guard(|| {
        nn(out, "out")?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, box_into_raw(natsrs_jetstream_options { opts: JetStreamOptions::default() })) };
        Ok(())
    })
}

/// Borrows options mutably.
///
/// # Safety
/// `o` is NULL or a live options handle not used from another thread at the same time.
unsafe fn opts_mut<'a>(o: *mut natsrs_jetstream_options) -> Result<&'a mut JetStreamOptions> {
    // SAFETY: forwarded caller guarantee.
    Ok(&mut unsafe { borrow_mut(o, "opts") }?.opts)
}

/// Sets the API subject prefix (e.g. `JS.acc1.API` for an imported account).
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_options_set_api_prefix(
    opts: *mut natsrs_jetstream_options,
    prefix: *const c_char,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `opts` is a live handle (or NULL, refused); `prefix` a C string.
        let (o, p) = unsafe { (opts_mut(opts)?, cstr(prefix, "prefix")?) };
        if p.trim_end_matches('.').is_empty() {
            return Err(err!(InvalidArgument, "'prefix' is empty"));
        }
        o.api_prefix = p.to_string();
        Ok(())
    })
}

/// Sets the JetStream domain (the prefix becomes `$JS.<domain>.API`); NULL or "" clears it.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_options_set_domain(opts: *mut natsrs_jetstream_options, domain: *const c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `opts` is a live handle (or NULL, refused); `domain` NULL or a C string.
        let (o, d) = unsafe { (opts_mut(opts)?, opt_cstr(domain, "domain")?) };
        o.domain = d.filter(|d| !d.is_empty()).map(str::to_string);
        Ok(())
    })
}

/// Sets the timeout of API calls and synchronous publishes (must be positive).
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_options_set_timeout_ms(opts: *mut natsrs_jetstream_options, timeout_ms: i64) -> natsrs_status {
    guard(|| {
        // SAFETY: `opts` is a live handle (or NULL, refused).
        let o = unsafe { opts_mut(opts) }?;
        o.timeout = super::timeout_ms(timeout_ms, "timeout_ms")?;
        Ok(())
    })
}

/// Sets how many async publishes may wait for their ack at once (at least 1).
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_options_set_publish_async_max_pending(
    opts: *mut natsrs_jetstream_options,
    max: i64,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `opts` is a live handle (or NULL, refused).
        let o = unsafe { opts_mut(opts) }?;
        if max <= 0 {
            return Err(err!(InvalidArgument, "'max' must be at least 1 (got {})", max));
        }
        o.publish_async_max_pending = usize::try_from(max).map_err(|_| err!(InvalidArgument, "'max' too large"))?;
        Ok(())
    })
}

/// Sets how long an async publish waits for a free slot before failing (0 = fail at once).
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_options_set_publish_async_stall_wait_ms(
    opts: *mut natsrs_jetstream_options,
    wait_ms: i64,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `opts` is a live handle (or NULL, refused).
        let o = unsafe { opts_mut(opts) }?;
        o.publish_async_stall_wait = duration_ms(wait_ms, "wait_ms")?;
        Ok(())
    })
}

/// Releases options. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_options_free(opts: *mut natsrs_jetstream_options) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle the caller gives up (C contract).
        drop(unsafe { handle::free_box(opts) });
        Ok(())
    });
}

/// Creates a JetStream context on `nc`; `opts` may be NULL (defaults) and is copied.
/// Returns an owned natsrs_jetstream; release with natsrs_jetstream_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_new(
    nc: *mut super::connection::natsrs_connection,
    opts: *const natsrs_jetstream_options,
    out: *mut *mut natsrs_jetstream,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `nc` is a live connection handle (or NULL, refused).
        let c = unsafe { conn(nc) }?;
        nn(out, "out")?;
        let o = if opts.is_null() {
            JetStreamOptions::default()
        } else {
            // SAFETY: non-NULL, a live options handle (C contract).
            unsafe { borrow(opts, "opts") }?.opts.clone()
        };
        let js = JetStream::with_options(c, o)?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, box_into_raw(natsrs_jetstream { js })) };
        Ok(())
    })
}

/// Releases a context. Async publishes still waiting for their ack complete with
/// NATSRS_STATUS_ILLEGAL_STATE (each callback runs once, possibly before this returns): call
/// natsrs_jetstream_publish_async_complete first to wait for them. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_free(js: *mut natsrs_jetstream) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle the caller gives up (C contract).
        drop(unsafe { handle::free_box(js) });
        Ok(())
    });
}

/// The server's error codes of the last failed call on this thread, when it failed with a
/// JetStream API error: `*out_code` gets the HTTP-like code (e.g. 400), `*out_err_code` the
/// JetStream error code (e.g. 10058 "stream name already in use"); either may be NULL. Returns
/// true if there were codes, false otherwise (outputs untouched). Does not change the last
/// error; read it right after the call, like natsrs_last_error_message.
#[no_mangle]
pub unsafe extern "C" fn natsrs_last_error_api(out_code: *mut i32, out_err_code: *mut u64) -> bool {
    match last_error_api() {
        Some((code, err_code)) => {
            if !out_code.is_null() {
                // SAFETY: non-NULL, writable per the C contract.
                unsafe { put(out_code, i32::from(code)) };
            }
            if !out_err_code.is_null() {
                // SAFETY: non-NULL, writable per the C contract.
                unsafe { put(out_err_code, err_code) };
            }
            true
        }
        None => false,
    }
}

/// Account usage and limits. Returns an owned natsrs_account_info; release with
/// natsrs_account_info_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_account_info(js: *mut natsrs_jetstream, out: *mut *mut natsrs_account_info) -> natsrs_status {
    guard(|| {
        // SAFETY: `js` is a live handle (or NULL, refused).
        let j = unsafe { js_of(js) }?;
        nn(out, "out")?;
        let info = j.account_info()?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, box_into_raw(natsrs_account_info { info })) };
        Ok(())
    })
}

/// Borrows a stream config handle.
///
/// # Safety
/// `c` is NULL or a live handle.
unsafe fn stream_cfg<'a>(c: *const natsrs_stream_config) -> Result<&'a crate::jetstream::StreamConfig> {
    // SAFETY: forwarded caller guarantee.
    Ok(&unsafe { borrow(c, "cfg") }?.cfg)
}

/// Borrows a consumer config handle.
///
/// # Safety
/// `c` is NULL or a live handle.
unsafe fn consumer_cfg<'a>(c: *const natsrs_consumer_config) -> Result<&'a crate::jetstream::ConsumerConfig> {
    // SAFETY: forwarded caller guarantee.
    Ok(&unsafe { borrow(c, "cfg") }?.cfg)
}

/// Writes stream info to `out` when `out` is not NULL.
///
/// # Safety
/// `out` is NULL or writable.
unsafe fn opt_stream_info(out: *mut *mut natsrs_stream_info, info: crate::jetstream::StreamInfo) {
    if !out.is_null() {
        // SAFETY: non-NULL and writable per the caller.
        unsafe { put_stream_info(out, info) };
    }
}

/// Writes consumer info to `out` when `out` is not NULL.
///
/// # Safety
/// `out` is NULL or writable.
unsafe fn opt_consumer_info(out: *mut *mut natsrs_consumer_info, info: crate::jetstream::ConsumerInfo) {
    if !out.is_null() {
        // SAFETY: non-NULL and writable per the caller.
        unsafe { put_consumer_info(out, info) };
    }
}

/// Creates a stream (NATSRS_STATUS_JETSTREAM with err_code 10058 if the name is in use with
/// another config). `*out_info` (`out_info` may be NULL) gets an owned natsrs_stream_info;
/// release with natsrs_stream_info_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_add_stream(
    js: *mut natsrs_jetstream,
    cfg: *const natsrs_stream_config,
    out_info: *mut *mut natsrs_stream_info,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `js` and `cfg` live (or NULL, refused).
        let (j, c) = unsafe { (js_of(js)?, stream_cfg(cfg)?) };
        let info = j.add_stream(c)?;
        // SAFETY: `out_info` NULL or writable.
        unsafe { opt_stream_info(out_info, info) };
        Ok(())
    })
}

/// Updates a stream's config; as natsrs_jetstream_add_stream otherwise.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_update_stream(
    js: *mut natsrs_jetstream,
    cfg: *const natsrs_stream_config,
    out_info: *mut *mut natsrs_stream_info,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `js` and `cfg` live (or NULL, refused).
        let (j, c) = unsafe { (js_of(js)?, stream_cfg(cfg)?) };
        let info = j.update_stream(c)?;
        // SAFETY: `out_info` NULL or writable.
        unsafe { opt_stream_info(out_info, info) };
        Ok(())
    })
}

/// A stream's info (NATSRS_STATUS_NOT_FOUND if there is no such stream). Returns an owned
/// natsrs_stream_info; release with natsrs_stream_info_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_stream_info(
    js: *mut natsrs_jetstream,
    stream: *const c_char,
    out: *mut *mut natsrs_stream_info,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `js` live (or NULL, refused); `stream` a C string.
        let (j, s) = unsafe { (js_of(js)?, cstr(stream, "stream")?) };
        nn(out, "out")?;
        let info = j.stream_info(s)?;
        // SAFETY: checked non-NULL above.
        unsafe { put_stream_info(out, info) };
        Ok(())
    })
}

/// Deletes a stream (NATSRS_STATUS_NOT_FOUND if there is no such stream).
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_delete_stream(js: *mut natsrs_jetstream, stream: *const c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `js` live (or NULL, refused); `stream` a C string.
        let (j, s) = unsafe { (js_of(js)?, cstr(stream, "stream")?) };
        j.delete_stream(s)
    })
}

/// Purges a stream: everything, or with `subject` (may be NULL) only that subject, with
/// `up_to_seq` > 0 only below that sequence, with `keep` > 0 all but the newest `keep`
/// (`up_to_seq` and `keep` exclude each other). `*out_purged` (may be NULL) gets the count.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_purge_stream(
    js: *mut natsrs_jetstream,
    stream: *const c_char,
    subject: *const c_char,
    up_to_seq: u64,
    keep: u64,
    out_purged: *mut u64,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `js` live (or NULL, refused); strings C strings (`subject` may be NULL).
        let (j, s, f) = unsafe { (js_of(js)?, cstr(stream, "stream")?, opt_cstr(subject, "subject")?) };
        if up_to_seq > 0 && keep > 0 {
            return Err(err!(InvalidArgument, "'up_to_seq' and 'keep' exclude each other"));
        }
        let o = PurgeOptions {
            subject: f.map(str::to_string),
            up_to_seq: (up_to_seq > 0).then_some(up_to_seq),
            keep: (keep > 0).then_some(keep),
        };
        let n = j.purge_stream_with(s, &o)?;
        if !out_purged.is_null() {
            // SAFETY: non-NULL, writable per the C contract.
            unsafe { put(out_purged, n) };
        }
        Ok(())
    })
}

/// Names of the streams (with `subject` not NULL: those capturing it), as a JSON array of
/// strings. Returns an owned string; release with natsrs_string_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_stream_names_json(
    js: *mut natsrs_jetstream,
    subject: *const c_char,
    out: *mut *mut c_char,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `js` live (or NULL, refused); `subject` NULL or a C string.
        let (j, f) = unsafe { (js_of(js)?, opt_cstr(subject, "subject")?) };
        nn(out, "out")?;
        let names = j.stream_names(f)?;
        // SAFETY: `out` checked above.
        unsafe { put_string(out, &serde_json::Value::from(names).to_string()) }
    })
}

/// Creates a consumer on `stream` (durable if the config has a durable name). `*out_info`
/// (`out_info` may be NULL) gets an owned natsrs_consumer_info; release with
/// natsrs_consumer_info_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_add_consumer(
    js: *mut natsrs_jetstream,
    stream: *const c_char,
    cfg: *const natsrs_consumer_config,
    out_info: *mut *mut natsrs_consumer_info,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `js` and `cfg` live (or NULL, refused); `stream` a C string.
        let (j, s, c) = unsafe { (js_of(js)?, cstr(stream, "stream")?, consumer_cfg(cfg)?) };
        let info = j.add_consumer(s, c)?;
        // SAFETY: `out_info` NULL or writable.
        unsafe { opt_consumer_info(out_info, info) };
        Ok(())
    })
}

/// Updates a consumer's config; as natsrs_jetstream_add_consumer otherwise.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_update_consumer(
    js: *mut natsrs_jetstream,
    stream: *const c_char,
    cfg: *const natsrs_consumer_config,
    out_info: *mut *mut natsrs_consumer_info,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `js` and `cfg` live (or NULL, refused); `stream` a C string.
        let (j, s, c) = unsafe { (js_of(js)?, cstr(stream, "stream")?, consumer_cfg(cfg)?) };
        let info = j.update_consumer(s, c)?;
        // SAFETY: `out_info` NULL or writable.
        unsafe { opt_consumer_info(out_info, info) };
        Ok(())
    })
}

/// A consumer's info (NATSRS_STATUS_NOT_FOUND if there is none). Returns an owned
/// natsrs_consumer_info; release with natsrs_consumer_info_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_consumer_info(
    js: *mut natsrs_jetstream,
    stream: *const c_char,
    consumer: *const c_char,
    out: *mut *mut natsrs_consumer_info,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `js` live (or NULL, refused); strings C strings.
        let (j, s, c) = unsafe { (js_of(js)?, cstr(stream, "stream")?, cstr(consumer, "consumer")?) };
        nn(out, "out")?;
        let info = j.consumer_info(s, c)?;
        // SAFETY: checked non-NULL above.
        unsafe { put_consumer_info(out, info) };
        Ok(())
    })
}

/// Deletes a consumer (NATSRS_STATUS_NOT_FOUND if there is none).
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_delete_consumer(
    js: *mut natsrs_jetstream,
    stream: *const c_char,
    consumer: *const c_char,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `js` live (or NULL, refused); strings C strings.
        let (j, s, c) = unsafe { (js_of(js)?, cstr(stream, "stream")?, cstr(consumer, "consumer")?) };
        j.delete_consumer(s, c)
    })
}

/// Names of a stream's consumers as a JSON array of strings. Returns an owned string; release
/// with natsrs_string_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_consumer_names_json(
    js: *mut natsrs_jetstream,
    stream: *const c_char,
    out: *mut *mut c_char,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `js` live (or NULL, refused); `stream` a C string.
        let (j, s) = unsafe { (js_of(js)?, cstr(stream, "stream")?) };
        nn(out, "out")?;
        let names = j.consumer_names(s)?;
        // SAFETY: `out` checked above.
        unsafe { put_string(out, &serde_json::Value::from(names).to_string()) }
    })
}

/// A stored message as a C message (subject, headers, payload, stored sequence and time; no
/// reply).
fn stored_to_msg(m: StoredMsg) -> Result<*mut natsrs_msg> {
    let mut msg = Msg::new(&m.subject, None, &m.data)?;
    if let Some(h) = m.headers {
        *msg.headers_mut() = h;
    }
    let mut c = natsrs_msg::borrowed(msg);
    c.stored = Some(StoredPos { seq: m.seq, time_ns: rfc3339_ns(&m.time) });
    Ok(box_into_raw(c))
}

/// Nanoseconds since the Unix epoch of the server's RFC 3339 time (0 when unparsable).
pub(crate) fn rfc3339_ns(t: &str) -> i64 {
    let d = crate::kv::entry::parse_rfc3339(t).duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

/// Gets the message with sequence `seq` from `stream` (direct get with `direct`, which the
/// stream must allow). NATSRS_STATUS_NOT_FOUND if there is none. Returns an owned natsrs_msg;
/// release with natsrs_msg_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_get_msg(
    js: *mut natsrs_jetstream,
    stream: *const c_char,
    seq: u64,
    direct: bool,
    out: *mut *mut natsrs_msg,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `js` live (or NULL, refused); `stream` a C string.
        let (j, s) = unsafe { (js_of(js)?, cstr(stream, "stream")?) };
        nn(out, "out")?;
        let m = if direct { j.direct_get_msg(s, seq)? } else { j.get_msg(s, seq)? };
        let p = stored_to_msg(m)?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, p) };
        Ok(())
    })
}

/// Gets the last message on `subject` in `stream` (direct get with `direct`). As
/// natsrs_jetstream_get_msg otherwise.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_get_last_msg(
    js: *mut natsrs_jetstream,
    stream: *const c_char,
    subject: *const c_char,
    direct: bool,
    out: *mut *mut natsrs_msg,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `js` live (or NULL, refused); strings C strings.
        let (j, s, f) = unsafe { (js_of(js)?, cstr(stream, "stream")?, cstr(subject, "subject")?) };
        nn(out, "out")?;
        let m = if direct { j.direct_get_last_msg(s, f)? } else { j.get_last_msg(s, f)? };
        let p = stored_to_msg(m)?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, p) };
        Ok(())
    })
}

/// Gets the first message with sequence `seq` or later whose subject matches `subject`
/// (wildcards allowed) from `stream` (direct get with `direct`); nats-py get_msg(next=True),
/// nats.go GetMsg with next-by-subject. NATSRS_STATUS_NOT_FOUND if there is none. Returns an
/// owned natsrs_msg (with natsrs_msg_stored_seq); release with natsrs_msg_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_get_next_msg(
    js: *mut natsrs_jetstream,
    stream: *const c_char,
    seq: u64,
    subject: *const c_char,
    direct: bool,
    out: *mut *mut natsrs_msg,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `js` live (or NULL, refused); strings C strings.
        let (j, s, f) = unsafe { (js_of(js)?, cstr(stream, "stream")?, cstr(subject, "subject")?) };
        nn(out, "out")?;
        let m = if direct { j.direct_get_next_msg(s, seq, f)? } else { j.get_next_msg(s, seq, f)? };
        let p = stored_to_msg(m)?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, p) };
        Ok(())
    })
}

/// Deletes the message with sequence `seq` from `stream` (`erase`: overwrite its data).
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_delete_msg(
    js: *mut natsrs_jetstream,
    stream: *const c_char,
    seq: u64,
    erase: bool,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `js` live (or NULL, refused); `stream` a C string.
        let (j, s) = unsafe { (js_of(js)?, cstr(stream, "stream")?) };
        j.delete_msg(s, seq, erase)
    })
}
