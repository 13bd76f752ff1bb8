//! `natsrs_server_info` (a snapshot of the server's INFO) and `natsrs_strings` (lists of
//! strings such as the server pool).

use std::ffi::{c_char, CString};

use super::connection::{conn, natsrs_connection};
use super::handle::{self, borrow, box_into_raw, BoxOwned, Castable};
use super::status::natsrs_status;
use super::{cstr, guard, guard_val, nn, put};
use crate::error::{err, Result};

/// Snapshot of the server's INFO at the time of the call. Opaque; release with natsrs_server_info_free.
pub struct natsrs_server_info {
    json: CString,
    server_id: CString,
    server_name: CString,
    version: CString,
    connected_url: CString,
    max_payload: i64,
    headers: bool,
    jetstream: bool,
}

// SAFETY: pointers to natsrs_server_info are only made by box_into_raw.
unsafe impl Castable for natsrs_server_info {
    type Ownership = BoxOwned;
}

/// A list of strings returned by the library. Opaque; release with natsrs_strings_free.
pub struct natsrs_strings {
    items: Vec<CString>,
}

// SAFETY: pointers to natsrs_strings are only made by box_into_raw.
unsafe impl Castable for natsrs_strings {
    type Ownership = BoxOwned;
}

/// A C copy of `s` (NULs dropped).
pub(crate) fn cs(s: &str) -> CString {
    CString::new(s.replace('\0', "")).unwrap_or_default()
}

/// Takes a snapshot of the server's INFO and the connected URL.
/// Returns an owned natsrs_server_info; release with natsrs_server_info_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_server_info(nc: *const natsrs_connection, out: *mut *mut natsrs_server_info) -> natsrs_status {
    guard(|| {
        // SAFETY: `nc` is NULL or a live handle (C contract).
        let c = unsafe { conn(nc) }?;
        nn(out, "out")?;
        let i = c.server_info();
        let si = natsrs_server_info {
            json: cs(&i.raw_json),
            server_id: cs(&i.server_id),
            server_name: cs(&i.server_name),
            version: cs(&i.version),
            connected_url: cs(&c.connected_url().unwrap_or_default()),
            max_payload: i.max_payload,
            headers: i.headers,
            jetstream: i.jetstream,
        };
        // SAFETY: checked non-NULL above.
        unsafe { put(out, box_into_raw(si)) };
        Ok(())
    })
}

/// Reads one field of a server info (NULL and last-error if `si` is NULL).
///
/// # Safety
/// `si` is NULL or a live natsrs_server_info.
unsafe fn si_get<T>(si: *const natsrs_server_info, default: T, f: impl FnOnce(&natsrs_server_info) -> T) -> T {
    // SAFETY: forwarded caller guarantee.
    guard_val(default, || Ok(f(unsafe { borrow(si, "si") }?)))
}

/// The server's unique id.
/// Borrowed; valid until natsrs_server_info_free. NULL if `si` is NULL.
#[no_mangle]
pub unsafe extern "C" fn natsrs_server_info_server_id(si: *const natsrs_server_info) -> *const c_char {
    // SAFETY: `si` is NULL or live (C contract).
    unsafe { si_get(si, std::ptr::null(), |s| s.server_id.as_ptr()) }
}

/// The server's name.
/// Borrowed; valid until natsrs_server_info_free. NULL if `si` is NULL.
#[no_mangle]
pub unsafe extern "C" fn natsrs_server_info_server_name(si: *const natsrs_server_info) -> *const c_char {
    // SAFETY: `si` is NULL or live (C contract).
    unsafe { si_get(si, std::ptr::null(), |s| s.server_name.as_ptr()) }
}

/// The server's version, e.g. "2.15.1".
/// Borrowed; valid until natsrs_server_info_free. NULL if `si` is NULL.
#[no_mangle]
pub unsafe extern "C" fn natsrs_server_info_version(si: *const natsrs_server_info) -> *const c_char {
    // SAFETY: `si` is NULL or live (C contract).
    unsafe { si_get(si, std::ptr::null(), |s| s.version.as_ptr()) }
}

/// The URL connected to ("" while disconnected).
/// Borrowed; valid until natsrs_server_info_free. NULL if `si` is NULL.
#[no_mangle]
pub unsafe extern "C" fn natsrs_server_info_connected_url(si: *const natsrs_server_info) -> *const c_char {
    // SAFETY: `si` is NULL or live (C contract).
    unsafe { si_get(si, std::ptr::null(), |s| s.connected_url.as_ptr()) }
}

/// The raw INFO JSON.
/// Borrowed; valid until natsrs_server_info_free. NULL if `si` is NULL.
#[no_mangle]
pub unsafe extern "C" fn natsrs_server_info_json(si: *const natsrs_server_info) -> *const c_char {
    // SAFETY: `si` is NULL or live (C contract).
    unsafe { si_get(si, std::ptr::null(), |s| s.json.as_ptr()) }
}

/// Maximum payload in bytes (0 if `si` is NULL).
#[no_mangle]
pub unsafe extern "C" fn natsrs_server_info_max_payload(si: *const natsrs_server_info) -> i64 {
    // SAFETY: `si` is NULL or live (C contract).
    unsafe { si_get(si, 0, |s| s.max_payload) }
}

/// True if the server supports headers.
#[no_mangle]
pub unsafe extern "C" fn natsrs_server_info_headers(si: *const natsrs_server_info) -> bool {
    // SAFETY: `si` is NULL or live (C contract).
    unsafe { si_get(si, false, |s| s.headers) }
}

/// True if the server has JetStream enabled.
#[no_mangle]
pub unsafe extern "C" fn natsrs_server_info_jetstream(si: *const natsrs_server_info) -> bool {
    // SAFETY: `si` is NULL or live (C contract).
    unsafe { si_get(si, false, |s| s.jetstream) }
}

/// Releases a server info snapshot. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn natsrs_server_info_free(si: *mut natsrs_server_info) {
    let _ = guard(|| {
        // SAFETY: `si` is NULL or a handle the caller gives up (C contract).
        drop(unsafe { handle::free_box(si) });
        Ok(())
    });
}

/// Writes a new string list to `out`.
///
/// # Safety
/// `out` is non-NULL and writable.
pub(crate) unsafe fn strings_out(v: Vec<String>, out: *mut *mut natsrs_strings) {
    let items = v.into_iter().map(|s| cs(&s)).collect();
    // SAFETY: per the function's contract.
    unsafe { put(out, box_into_raw(natsrs_strings { items })) };
}

/// Every server in the pool (explicit and discovered), as URLs without credentials.
/// Returns an owned natsrs_strings; release with natsrs_strings_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_servers(nc: *const natsrs_connection, out: *mut *mut natsrs_strings) -> natsrs_status {
    guard(|| {
        // SAFETY: `nc` is NULL or a live handle (C contract).
        let c = unsafe { conn(nc) }?;
        nn(out, "out")?;
        // SAFETY: checked non-NULL above.
        unsafe { strings_out(c.servers(), out) };
        Ok(())
    })
}

/// The servers learned from the cluster (INFO connect_urls).
/// Returns an owned natsrs_strings; release with natsrs_strings_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_discovered_servers(
    nc: *const natsrs_connection,
    out: *mut *mut natsrs_strings,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `nc` is NULL or a live handle (C contract).
        let c = unsafe { conn(nc) }?;
        nn(out, "out")?;
        // SAFETY: checked non-NULL above.
        unsafe { strings_out(c.discovered_servers(), out) };
        Ok(())
    })
}

/// Number of strings in the list (0 if `list` is NULL).
#[no_mangle]
pub unsafe extern "C" fn natsrs_strings_count(list: *const natsrs_strings) -> usize {
    // SAFETY: `list` is NULL or live (C contract).
    guard_val(0, || Ok(unsafe { borrow(list, "list") }?.items.len()))
}

/// String `index` of the list, or NULL if out of range. Borrowed; valid until natsrs_strings_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_strings_get(list: *const natsrs_strings, index: usize) -> *const c_char {
    guard_val(std::ptr::null(), || -> Result<*const c_char> {
        // SAFETY: `list` is NULL or live (C contract).
        let l = unsafe { borrow(list, "list") }?;
        l.items.get(index).map(|s| s.as_ptr()).ok_or_else(|| err!(InvalidArgument, "index {} out of range", index))
    })
}

/// Releases a string list. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn natsrs_strings_free(list: *mut natsrs_strings) {
    let _ = guard(|| {
        // SAFETY: `list` is NULL or a handle the caller gives up (C contract).
        drop(unsafe { handle::free_box(list) });
        Ok(())
    });
}

/// Replaces the server pool with the `count` URLs in `urls` (nats.go's SetServerPool, nats-py's
/// set_server_pool), in that order. The current connection stays; the new pool is used from the
/// next reconnect on (natsrs_connection_force_reconnect applies it at once). A server already
/// in the pool keeps its failed-attempt count; servers learned from the cluster are added again
/// from later INFO unless discovery is ignored. NATSRS_STATUS_INVALID_ARGUMENT for `count` 0 or
/// a URL that does not parse (nothing changes), NATSRS_STATUS_CONNECTION_CLOSED when closed.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_set_server_pool(
    nc: *const natsrs_connection,
    urls: *const *const c_char,
    count: usize,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `nc` is NULL or a live handle (C contract).
        let c = unsafe { conn(nc) }?;
        nn(urls, "urls")?;
        let mut v = Vec::with_capacity(count);
        for i in 0..count {
            // SAFETY: `urls` points to `count` string pointers (C contract), i < count.
            v.push(unsafe { cstr(*urls.add(i), "urls[i]") }?);
        }
        c.set_server_pool(&v)
    })
}

/// The server pool, in order, as a JSON array of objects: `{"url": <URL without credentials>,
/// "reconnects": <failed attempts since its last success>, "implicit": <learned from the
/// cluster>}`. Returns an owned string; release with natsrs_string_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_server_pool_json(nc: *const natsrs_connection, out: *mut *mut c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `nc` is NULL or a live handle (C contract).
        let c = unsafe { conn(nc) }?;
        nn(out, "out")?;
        let v: Vec<serde_json::Value> = c
            .server_pool()
            .into_iter()
            .map(|(url, reconnects, implicit)| serde_json::json!({"url": url, "reconnects": reconnects, "implicit": implicit}))
            .collect();
        let s = serde_json::Value::Array(v).to_string();
        // SAFETY: `out` checked non-NULL above.
        unsafe { super::jetstream::put_string(out, &s) }
    })
}

/// The socket in use, as JSON: `{"local_addr":"ip:port","tls":null}` for a plain connection;
/// over TLS, `tls` is `{"version":772,"cipher_suite":4865,"server_name":"...","alpn":"",
/// "peer_certificates":["<base64 DER>",...]}` (IANA numbers: version 771 is TLS 1.2, 772 TLS
/// 1.3; the server's chain leaf first, in standard base64). NOT_CONNECTED while disconnected,
/// CONNECTION_CLOSED once closed. Returns an owned string; release with natsrs_string_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_session_json(nc: *const natsrs_connection, out: *mut *mut c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `nc` is NULL or a live handle (C contract).
        let c = unsafe { conn(nc) }?;
        nn(out, "out")?;
        let json = c.session_info()?.to_json();
        // SAFETY: checked non-NULL above; the string is released with natsrs_string_free.
        unsafe { put(out, cs(&json).into_raw()) };
        Ok(())
    })
}
