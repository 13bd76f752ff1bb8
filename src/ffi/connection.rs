//! `natsrs_connection` and `natsrs_server_info`.

use std::ffi::{c_char, c_void, CString};
use std::sync::Arc;

use super::msg::{msg_ref, natsrs_msg, owned_msg};
use super::options::{natsrs_options, natsrs_userdata_free};
use super::subscription::{natsrs_msg_handler, sub_into_raw, natsrs_subscription};
use super::{cstr, guard, guard_val, nn, payload, put, timeout_ms, UserData};
use crate::connection::{Connection, ConnectionStatus, Inner, Statistics, SubKind};
use crate::error::{err, Result, Status};
use crate::options::Options;

/// A connection. Opaque; create with natsrs_connection_connect; release with natsrs_connection_free.
pub struct natsrs_connection {
    _private: [u8; 0],
}

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

/// Borrows the connection behind a handle (the handle holds one strong reference).
pub(crate) unsafe fn conn_ref<'a>(nc: *const natsrs_connection) -> Result<&'a Inner> {
    nn(nc, "nc")?;
    // SAFETY: the pointer came from Arc::into_raw in natsrs_connection_connect and the handle
    // keeps that reference alive until natsrs_connection_free.
    Ok(&*(nc as *const Inner))
}

/// A new strong reference to the connection behind a handle.
pub(crate) unsafe fn conn_arc(nc: *const natsrs_connection) -> Result<Arc<Inner>> {
    nn(nc, "nc")?;
    let p = nc as *const Inner;
    // SAFETY: as above; we add one reference and take ownership of it.
    Arc::increment_strong_count(p);
    Ok(Arc::from_raw(p))
}

fn into_handle(c: Connection) -> *mut natsrs_connection {
    Arc::into_raw(c.0) as *mut natsrs_connection
}

/// Connects using `opts` (NULL = defaults: nats://127.0.0.1:4222). Blocks until connected or
/// failed (with retry_on_failed_connect, returns at once in the RECONNECTING state).
/// Returns an owned natsrs_connection; release with natsrs_connection_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_connect(opts: *const natsrs_options, out: *mut *mut natsrs_connection) -> Status {
    guard(|| {
        nn(out, "out")?;
        let o = if opts.is_null() { Options::default() } else { (*opts).inner.clone() };
        let c = Connection::connect(o)?;
        put(out, into_handle(c));
        Ok(())
    })
}

/// Connects with default options to `urls` (one URL or a comma-separated list).
/// Returns an owned natsrs_connection; release with natsrs_connection_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_connect_to(urls: *const c_char, out: *mut *mut natsrs_connection) -> Status {
    guard(|| {
        nn(out, "out")?;
        let c = Connection::connect_to(cstr(urls, "urls")?)?;
        put(out, into_handle(c));
        Ok(())
    })
}

/// Publishes `len` bytes at `data` on `subject`. Buffered: use natsrs_connection_flush to wait
/// until the server has it. (NULL, 0) is an empty payload.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_publish(nc: *mut natsrs_connection, subject: *const c_char, data: *const u8, len: usize) -> Status {
    guard(|| {
        let c = conn_ref(nc)?;
        nn(subject, "subject")?;
        let s = std::ffi::CStr::from_ptr(subject).to_bytes();
        c.publish_raw(s, None, None, payload(data, len)?)
    })
}

/// Publishes with a reply subject.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_publish_request(
    nc: *mut natsrs_connection,
    subject: *const c_char,
    reply: *const c_char,
    data: *const u8,
    len: usize,
) -> Status {
    guard(|| {
        let c = conn_ref(nc)?;
        nn(subject, "subject")?;
        nn(reply, "reply")?;
        let s = std::ffi::CStr::from_ptr(subject).to_bytes();
        let r = std::ffi::CStr::from_ptr(reply).to_bytes();
        c.publish_raw(s, Some(r), None, payload(data, len)?)
    })
}

/// Publishes a message with its subject, reply (if any), headers (if any) and data.
/// The message stays owned by the caller.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_publish_msg(nc: *mut natsrs_connection, msg: *const natsrs_msg) -> Status {
    guard(|| {
        let c = conn_arc(nc)?;
        let m = msg_ref(msg)?;
        Connection(c).publish_msg(m)
    })
}

unsafe fn subscribe_common(
    nc: *mut natsrs_connection,
    subject: *const c_char,
    queue: Option<*const c_char>,
    handler: Option<(natsrs_msg_handler, *mut c_void, natsrs_userdata_free)>,
    out: *mut *mut natsrs_subscription,
) -> Result<()> {
    let c = conn_arc(nc)?;
    nn(out, "out")?;
    let subj = cstr(subject, "subject")?;
    let q = match queue {
        Some(p) => Some(cstr(p, "queue")?),
        None => None,
    };
    let sub = match handler {
        Some((cb, ud, ud_free)) => {
            let ud = UserData { ptr: ud, free: ud_free };
            let Some(cb) = cb else {
                drop(ud);
                return Err(err!(NullParameter, "'handler' is NULL"));
            };
            let h = super::subscription::make_handler(cb, ud);
            c.subscribe(subj, q, SubKind::Async, Some(h))?
        }
        None => c.subscribe(subj, q, SubKind::Sync, None)?,
    };
    put(out, sub_into_raw(sub));
    Ok(())
}

/// Subscribes with a message handler that runs on this subscription's own dispatcher thread,
/// one message at a time, in order. The message is borrowed for the duration of the call
/// (natsrs_msg_clone keeps it). `userdata_free` (may be NULL) runs once after the last callback.
/// Returns an owned natsrs_subscription; release with natsrs_subscription_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_subscribe(
    nc: *mut natsrs_connection,
    subject: *const c_char,
    handler: natsrs_msg_handler,
    userdata: *mut c_void,
    userdata_free: natsrs_userdata_free,
    out: *mut *mut natsrs_subscription,
) -> Status {
    guard(|| subscribe_common(nc, subject, None, Some((handler, userdata, userdata_free)), out))
}

/// Like natsrs_connection_subscribe, as a member of queue group `queue`: each message goes to
/// one member of the group.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_queue_subscribe(
    nc: *mut natsrs_connection,
    subject: *const c_char,
    queue: *const c_char,
    handler: natsrs_msg_handler,
    userdata: *mut c_void,
    userdata_free: natsrs_userdata_free,
    out: *mut *mut natsrs_subscription,
) -> Status {
    guard(|| subscribe_common(nc, subject, Some(queue), Some((handler, userdata, userdata_free)), out))
}

/// Synchronous subscription: receive with natsrs_subscription_next_msg(s).
/// Returns an owned natsrs_subscription; release with natsrs_subscription_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_subscribe_sync(
    nc: *mut natsrs_connection,
    subject: *const c_char,
    out: *mut *mut natsrs_subscription,
) -> Status {
    guard(|| subscribe_common(nc, subject, None, None, out))
}

/// Synchronous queue subscription.
/// Returns an owned natsrs_subscription; release with natsrs_subscription_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_queue_subscribe_sync(
    nc: *mut natsrs_connection,
    subject: *const c_char,
    queue: *const c_char,
    out: *mut *mut natsrs_subscription,
) -> Status {
    guard(|| subscribe_common(nc, subject, Some(queue), None, out))
}

/// Sends a request and waits up to `timeout_ms` for the first reply. Fails at once with
/// NATSRS_STATUS_NO_RESPONDERS when nobody listens on `subject`.
/// Returns an owned natsrs_msg; release with natsrs_msg_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_request(
    nc: *mut natsrs_connection,
    subject: *const c_char,
    data: *const u8,
    len: usize,
    timeout_ms_: i64,
    out: *mut *mut natsrs_msg,
) -> Status {
    guard(|| {
        let c = conn_arc(nc)?;
        nn(out, "out")?;
        nn(subject, "subject")?;
        let t = timeout_ms(timeout_ms_, "timeout_ms")?;
        let s = std::ffi::CStr::from_ptr(subject).to_bytes();
        let m = Connection(c).request_bytes(s, payload(data, len)?, t)?;
        put(out, owned_msg(m));
        Ok(())
    })
}

/// Sends `msg` (subject, headers, data; its reply is replaced by an inbox) as a request.
/// Returns an owned natsrs_msg; release with natsrs_msg_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_request_msg(
    nc: *mut natsrs_connection,
    msg: *const natsrs_msg,
    timeout_ms_: i64,
    out: *mut *mut natsrs_msg,
) -> Status {
    guard(|| {
        let c = conn_arc(nc)?;
        let m = msg_ref(msg)?;
        nn(out, "out")?;
        let t = timeout_ms(timeout_ms_, "timeout_ms")?;
        let r = Connection(c).request_msg(m, t)?;
        put(out, owned_msg(r));
        Ok(())
    })
}

/// Writes a new unique inbox subject (NUL-terminated) into `buf`.
/// NATSRS_STATUS_BUFFER_TOO_SMALL if it does not fit.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_new_inbox(nc: *mut natsrs_connection, buf: *mut c_char, buf_len: usize) -> Status {
    guard(|| {
        let c = conn_arc(nc)?;
        nn(buf, "buf")?;
        let inbox = Connection(c).new_inbox();
        if inbox.len() + 1 > buf_len {
            return Err(err!(BufferTooSmall, "inbox needs {} bytes, buffer has {}", inbox.len() + 1, buf_len));
        }
        std::ptr::copy_nonoverlapping(inbox.as_ptr(), buf as *mut u8, inbox.len());
        *buf.add(inbox.len()) = 0;
        Ok(())
    })
}

/// Sends a PING and waits up to `timeout_ms` for the PONG: everything published before is then
/// processed by the server.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_flush(nc: *mut natsrs_connection, timeout_ms_: i64) -> Status {
    guard(|| {
        let c = conn_ref(nc)?;
        c.flush(timeout_ms(timeout_ms_, "timeout_ms")?)
    })
}

/// Measures the round-trip time to the server in milliseconds (fractional).
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_rtt(nc: *mut natsrs_connection, out_rtt_ms: *mut f64) -> Status {
    guard(|| {
        let c = conn_arc(nc)?;
        nn(out_rtt_ms, "out_rtt_ms")?;
        let d = Connection(c).rtt()?;
        put(out_rtt_ms, d.as_secs_f64() * 1000.0);
        Ok(())
    })
}

/// Drains the connection: stops new subscriptions, lets every subscription deliver what already
/// reached the client, flushes publishes, then closes. Blocks up to `timeout_ms` (the connection
/// is closed in any case; NATSRS_STATUS_TIMEOUT if the drain did not finish in time).
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_drain(nc: *mut natsrs_connection, timeout_ms_: i64) -> Status {
    guard(|| {
        let c = conn_arc(nc)?;
        c.drain(timeout_ms(timeout_ms_, "timeout_ms")?)
    })
}

/// Closes the connection (idempotent). Publishes already buffered get a short chance to be
/// written; pending requests and flushes fail; no subscription handler runs after this returns
/// (except one calling it); the closed handler has run when this returns.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_close(nc: *mut natsrs_connection) -> Status {
    guard(|| {
        let c = conn_ref(nc)?;
        c.close(None);
        Ok(())
    })
}

/// Closes (if needed) and releases the connection. NULL is ignored. Call once per handle.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_free(nc: *mut natsrs_connection) {
    let _ = guard(|| {
        if nc.is_null() {
            return Ok(());
        }
        let arc = Arc::from_raw(nc as *const Inner);
        arc.close(None);
        drop(arc);
        Ok(())
    });
}

/// Current status (NULL gives CLOSED).
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_status_get(nc: *const natsrs_connection) -> ConnectionStatus {
    guard_val(ConnectionStatus::Closed, || Ok(conn_ref(nc)?.status()))
}

/// True if the connection is closed (or `nc` is NULL).
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_is_closed(nc: *const natsrs_connection) -> bool {
    guard_val(true, || Ok(conn_ref(nc)?.is_closed()))
}

/// Forces a reconnect: the current socket is dropped and the normal reconnect loop runs.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_force_reconnect(nc: *mut natsrs_connection) -> Status {
    guard(|| Connection(conn_arc(nc)?).force_reconnect())
}

/// Copies the connection statistics into `*out`.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_stats(nc: *const natsrs_connection, out: *mut Statistics) -> Status {
    guard(|| {
        let c = conn_ref(nc)?;
        nn(out, "out")?;
        put(out, c.stats());
        Ok(())
    })
}

/// The server's maximum payload in bytes.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_max_payload(nc: *const natsrs_connection, out: *mut i64) -> Status {
    guard(|| {
        let c = conn_ref(nc)?;
        nn(out, "out")?;
        put(out, c.max_payload.load(std::sync::atomic::Ordering::Relaxed));
        Ok(())
    })
}

fn cs(s: &str) -> CString {
    CString::new(s.replace('\0', "")).unwrap_or_default()
}

/// Takes a snapshot of the server's INFO and the connected URL.
/// Returns an owned natsrs_server_info; release with natsrs_server_info_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_server_info(nc: *const natsrs_connection, out: *mut *mut natsrs_server_info) -> Status {
    guard(|| {
        let c = conn_arc(nc)?;
        nn(out, "out")?;
        let conn = Connection(c);
        let i = conn.server_info();
        let si = natsrs_server_info {
            json: cs(&i.raw_json),
            server_id: cs(&i.server_id),
            server_name: cs(&i.server_name),
            version: cs(&i.version),
            connected_url: cs(&conn.connected_url().unwrap_or_default()),
            max_payload: i.max_payload,
            headers: i.headers,
            jetstream: i.jetstream,
        };
        put(out, Box::into_raw(Box::new(si)));
        Ok(())
    })
}

unsafe fn si_field(si: *const natsrs_server_info, f: impl FnOnce(&natsrs_server_info) -> &CString) -> *const c_char {
    guard_val(std::ptr::null(), || {
        nn(si, "si")?;
        Ok(f(&*si).as_ptr())
    })
}

/// The server's unique id.
/// Borrowed; valid until natsrs_server_info_free. NULL if `si` is NULL.
#[no_mangle]
pub unsafe extern "C" fn natsrs_server_info_server_id(si: *const natsrs_server_info) -> *const c_char {
    si_field(si, |s| &s.server_id)
}

/// The server's name.
/// Borrowed; valid until natsrs_server_info_free. NULL if `si` is NULL.
#[no_mangle]
pub unsafe extern "C" fn natsrs_server_info_server_name(si: *const natsrs_server_info) -> *const c_char {
    si_field(si, |s| &s.server_name)
}

/// The server's version, e.g. "2.15.1".
/// Borrowed; valid until natsrs_server_info_free. NULL if `si` is NULL.
#[no_mangle]
pub unsafe extern "C" fn natsrs_server_info_version(si: *const natsrs_server_info) -> *const c_char {
    si_field(si, |s| &s.version)
}

/// The URL connected to ("" while disconnected).
/// Borrowed; valid until natsrs_server_info_free. NULL if `si` is NULL.
#[no_mangle]
pub unsafe extern "C" fn natsrs_server_info_connected_url(si: *const natsrs_server_info) -> *const c_char {
    si_field(si, |s| &s.connected_url)
}

/// The raw INFO JSON.
/// Borrowed; valid until natsrs_server_info_free. NULL if `si` is NULL.
#[no_mangle]
pub unsafe extern "C" fn natsrs_server_info_json(si: *const natsrs_server_info) -> *const c_char {
    si_field(si, |s| &s.json)
}

/// Maximum payload in bytes (0 if `si` is NULL).
#[no_mangle]
pub unsafe extern "C" fn natsrs_server_info_max_payload(si: *const natsrs_server_info) -> i64 {
    guard_val(0, || {
        nn(si, "si")?;
        Ok((*si).max_payload)
    })
}

/// True if the server supports headers.
#[no_mangle]
pub unsafe extern "C" fn natsrs_server_info_headers(si: *const natsrs_server_info) -> bool {
    guard_val(false, || {
        nn(si, "si")?;
        Ok((*si).headers)
    })
}

/// True if the server has JetStream enabled.
#[no_mangle]
pub unsafe extern "C" fn natsrs_server_info_jetstream(si: *const natsrs_server_info) -> bool {
    guard_val(false, || {
        nn(si, "si")?;
        Ok((*si).jetstream)
    })
}

/// Releases a server info snapshot. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn natsrs_server_info_free(si: *mut natsrs_server_info) {
    let _ = guard(|| {
        if !si.is_null() {
            drop(Box::from_raw(si));
        }
        Ok(())
    });
}


/// A list of strings returned by the library. Opaque; release with natsrs_strings_free.
pub struct natsrs_strings {
    items: Vec<CString>,
}

fn strings_out(v: Vec<String>, out: *mut *mut natsrs_strings) {
    let items = v.into_iter().map(|s| cs(&s)).collect();
    // SAFETY: callers checked `out` for NULL.
    unsafe { put(out, Box::into_raw(Box::new(natsrs_strings { items }))) };
}

/// Every server in the pool (explicit and discovered), as URLs without credentials.
/// Returns an owned natsrs_strings; release with natsrs_strings_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_servers(nc: *const natsrs_connection, out: *mut *mut natsrs_strings) -> Status {
    guard(|| {
        let c = conn_arc(nc)?;
        nn(out, "out")?;
        strings_out(Connection(c).servers(), out);
        Ok(())
    })
}

/// The servers learned from the cluster (INFO connect_urls).
/// Returns an owned natsrs_strings; release with natsrs_strings_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_discovered_servers(nc: *const natsrs_connection, out: *mut *mut natsrs_strings) -> Status {
    guard(|| {
        let c = conn_arc(nc)?;
        nn(out, "out")?;
        strings_out(Connection(c).discovered_servers(), out);
        Ok(())
    })
}

/// Number of strings in the list (0 if `list` is NULL).
#[no_mangle]
pub unsafe extern "C" fn natsrs_strings_count(list: *const natsrs_strings) -> usize {
    guard_val(0, || {
        nn(list, "list")?;
        let l: &natsrs_strings = &*list;
        Ok(l.items.len())
    })
}

/// String `index` of the list, or NULL if out of range. Borrowed; valid until natsrs_strings_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_strings_get(list: *const natsrs_strings, index: usize) -> *const c_char {
    guard_val(std::ptr::null(), || {
        nn(list, "list")?;
        let l: &natsrs_strings = &*list;
        l.items
            .get(index)
            .map(|s| s.as_ptr())
            .ok_or_else(|| err!(InvalidArgument, "index {} out of range", index))
    })
}

/// Releases a string list. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn natsrs_strings_free(list: *mut natsrs_strings) {
    let _ = guard(|| {
        if !list.is_null() {
            drop(Box::from_raw(list));
        }
        Ok(())
    });
}

unsafe fn copy_to_buf(s: &str, buf: *mut c_char, buf_len: usize) -> Result<()> {
    nn(buf, "buf")?;
    if s.len() + 1 > buf_len {
        return Err(err!(BufferTooSmall, "needs {} bytes, buffer has {}", s.len() + 1, buf_len));
    }
    std::ptr::copy_nonoverlapping(s.as_ptr(), buf as *mut u8, s.len());
    *buf.add(s.len()) = 0;
    Ok(())
}

/// Writes the URL of the server currently connected to into `buf` (NUL-terminated).
/// NATSRS_STATUS_NOT_CONNECTED while disconnected; NATSRS_STATUS_BUFFER_TOO_SMALL if it does not fit.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_connected_url(nc: *const natsrs_connection, buf: *mut c_char, buf_len: usize) -> Status {
    guard(|| {
        let c = conn_arc(nc)?;
        let u = Connection(c).connected_url().ok_or_else(|| err!(NotConnected, "not connected"))?;
        copy_to_buf(&u, buf, buf_len)
    })
}

/// Writes the id of the server currently connected to into `buf` (NUL-terminated).
/// NATSRS_STATUS_NOT_CONNECTED while disconnected; NATSRS_STATUS_BUFFER_TOO_SMALL if it does not fit.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_connected_server_id(nc: *const natsrs_connection, buf: *mut c_char, buf_len: usize) -> Status {
    guard(|| {
        let c = conn_arc(nc)?;
        let conn = Connection(c);
        if conn.status() != ConnectionStatus::Connected {
            return Err(err!(NotConnected, "not connected"));
        }
        copy_to_buf(&conn.server_info().server_id, buf, buf_len)
    })
}

/// The error that last disconnected or closed the connection: `*out_status` gets its status
/// (NATSRS_STATUS_OK if none) and, if `buf` is not NULL, its text is written to `buf`
/// (truncated to fit, always NUL-terminated when buf_len > 0).
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_last_error(
    nc: *const natsrs_connection,
    out_status: *mut Status,
    buf: *mut c_char,
    buf_len: usize,
) -> Status {
    guard(|| {
        let c = conn_arc(nc)?;
        nn(out_status, "out_status")?;
        let e = Connection(c).last_error();
        let (st, text) = match e {
            Some(e) => (e.status, e.to_string()),
            None => (Status::Ok, String::new()),
        };
        if !buf.is_null() && buf_len > 0 {
            let n = text.len().min(buf_len - 1);
            std::ptr::copy_nonoverlapping(text.as_ptr(), buf as *mut u8, n);
            *buf.add(n) = 0;
        }
        put(out_status, st);
        Ok(())
    })
}
