//! `natsrs_connection`: connect, publish, subscribe, request, flush, drain, close, free, state.

use std::ffi::{c_char, c_void};
use std::sync::{Arc, OnceLock};

use super::callbacks::{self, ConnCtx};
use super::handle::{self, arc_into_raw, borrow, ArcOwned, Castable};
use super::msg::{natsrs_msg, owned_msg};
use super::options::{natsrs_options, natsrs_userdata_free};
use super::status::{natsrs_connection_status, natsrs_statistics, natsrs_status};
use super::subscription::{natsrs_msg_handler, natsrs_subscription};
use super::{cbytes, copy_to_buf, cstr, guard, guard_val, nn, payload, put};
use crate::connection::{Connection, ConnectionStatus};
use crate::error::{err, Result};
use crate::options::Options;

/// Default of natsrs_options_set_drain_timeout_ms, used by natsrs_connection_drain when its
/// timeout is 0 or negative (30 s, as in nats.go). The core's `Options::default()` holds the
/// same value (checked by a test); the header comments quote it.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) const DEFAULT_DRAIN_TIMEOUT_MS: i64 = 30_000;

/// A connection. Opaque; create with natsrs_connection_connect; release with natsrs_connection_free.
pub struct natsrs_connection {
    /// Set when connect returns, or by the first callback that runs before that.
    conn: OnceLock<Connection>,
    /// Callback userdata and subscription handles (shared with the core's closures).
    pub(crate) ctx: Arc<ConnCtx>,
}

// SAFETY: pointers to natsrs_connection are only made by arc_into_raw / arc_as_ptr.
unsafe impl Castable for natsrs_connection {
    type Ownership = ArcOwned;
}

impl natsrs_connection {
    /// The core connection behind the handle.
    pub(crate) fn connection(&self) -> Result<&Connection> {
        self.conn.get().ok_or_else(|| err!(IllegalState, "the connection is not set up yet"))
    }

    /// Records the core connection when a callback runs before connect returned.
    pub(crate) fn adopt(&self, c: &Connection) {
        let _ = self.conn.get_or_init(|| c.clone());
    }
}

/// Borrows the core connection behind `nc`.
///
/// # Safety
/// `nc` is NULL or a live handle (between connect and natsrs_connection_free).
pub(crate) unsafe fn conn<'a>(nc: *const natsrs_connection) -> Result<&'a Connection> {
    // SAFETY: forwarded caller guarantee.
    unsafe { borrow(nc, "nc") }?.connection()
}

fn connect_with(opts: Option<&natsrs_options>, core: Options) -> Result<*mut natsrs_connection> {
    let ctx = Arc::new(ConnCtx::new(opts.map(|o| &o.callbacks)));
    let handle = Arc::new(natsrs_connection { conn: OnceLock::new(), ctx: ctx.clone() });
    ctx.set_handle(handle::arc_as_ptr(&handle));
    let core = match opts {
        Some(o) => callbacks::install(&o.callbacks, core, &ctx),
        None => core,
    };
    match Connection::connect(core) {
        Ok(c) => {
            handle.adopt(&c);
            Ok(arc_into_raw(handle))
        }
        Err(e) => {
            ctx.release(handle);
            Err(e)
        }
    }
}

/// Connects using `opts` (NULL = defaults: nats://127.0.0.1:4222). Blocks until connected or
/// failed (with retry_on_failed_connect, returns at once in the RECONNECTING state).
/// Returns an owned natsrs_connection; release with natsrs_connection_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_connect(opts: *const natsrs_options, out: *mut *mut natsrs_connection) -> natsrs_status {
    guard(|| {
        nn(out, "out")?;
        // SAFETY: `opts` is NULL or a live natsrs_options (C contract).
        let o = if opts.is_null() { None } else { Some(unsafe { borrow(opts, "opts") }?) };
        let core = o.map_or_else(Options::default, |o| o.inner.clone());
        let h = connect_with(o, core)?;
        // SAFETY: `out` checked non-NULL above.
        unsafe { put(out, h) };
        Ok(())
    })
}

/// Connects with default options to `urls` (one URL or a comma-separated list).
/// Returns an owned natsrs_connection; release with natsrs_connection_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_connect_to(urls: *const c_char, out: *mut *mut natsrs_connection) -> natsrs_status {
    guard(|| {
        nn(out, "out")?;
        // SAFETY: `urls` is NULL or a NUL-terminated string (C contract).
        let urls = unsafe { cstr(urls, "urls") }?;
        let mut o = Options::default();
        o.set_url(urls)?;
        let h = connect_with(None, o)?;
        // SAFETY: `out` checked non-NULL above.
        unsafe { put(out, h) };
        Ok(())
    })
}

/// Publishes `len` bytes at `data` on `subject`. Buffered: use natsrs_connection_flush to wait
/// until the server has it. (NULL, 0) is an empty payload.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_publish(
    nc: *mut natsrs_connection,
    subject: *const c_char,
    data: *const u8,
    len: usize,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `nc` is NULL or a live handle, `subject` NULL or a NUL-terminated string,
        // `data` NULL or `len` readable bytes (C contract); all are used only during this call.
        let (c, s, d) = unsafe { (conn(nc)?, cbytes(subject, "subject")?, payload(data, len)?) };
        c.publish_bytes(s, None, d)
    })
}

/// Bytes published but not yet written to the socket (nats.go Conn.Buffered), including what
/// is kept for the next server while reconnecting.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_buffered(nc: *const natsrs_connection, out_bytes: *mut usize) -> natsrs_status {
    guard(|| {
        // SAFETY: `nc` is NULL or a live handle (C contract).
        let c = unsafe { conn(nc) }?;
        nn(out_bytes, "out_bytes")?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out_bytes, c.buffered()) };
        Ok(())
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
) -> natsrs_status {
    guard(|| {
        // SAFETY: as in natsrs_connection_publish; `reply` NULL or a NUL-terminated string.
        let (c, s, r, d) = unsafe { (conn(nc)?, cbytes(subject, "subject")?, cbytes(reply, "reply")?, payload(data, len)?) };
        c.publish_bytes(s, Some(r), d)
    })
}

/// Publishes a message with its subject, reply (if any), headers (if any) and data.
/// The message stays owned by the caller.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_publish_msg(nc: *mut natsrs_connection, msg: *const natsrs_msg) -> natsrs_status {
    guard(|| {
        // SAFETY: `nc` and `msg` are NULL or live handles (C contract).
        let (c, m) = unsafe { (conn(nc)?, borrow(msg, "msg")?) };
        c.publish_msg(&m.msg)
    })
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
) -> natsrs_status {
    let h = Some((handler, userdata, userdata_free));
    // SAFETY: forwarded C contract on every pointer.
    guard(|| unsafe { super::subscription::subscribe(nc, subject, None, h, out) })
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
) -> natsrs_status {
    let h = Some((handler, userdata, userdata_free));
    // SAFETY: forwarded C contract on every pointer.
    guard(|| unsafe { super::subscription::subscribe(nc, subject, Some(queue), h, out) })
}

/// Synchronous subscription: receive with natsrs_subscription_next_msg(s).
/// Returns an owned natsrs_subscription; release with natsrs_subscription_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_subscribe_sync(
    nc: *mut natsrs_connection,
    subject: *const c_char,
    out: *mut *mut natsrs_subscription,
) -> natsrs_status {
    // SAFETY: forwarded C contract on every pointer.
    guard(|| unsafe { super::subscription::subscribe(nc, subject, None, None, out) })
}

/// Synchronous queue subscription.
/// Returns an owned natsrs_subscription; release with natsrs_subscription_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_queue_subscribe_sync(
    nc: *mut natsrs_connection,
    subject: *const c_char,
    queue: *const c_char,
    out: *mut *mut natsrs_subscription,
) -> natsrs_status {
    // SAFETY: forwarded C contract on every pointer.
    guard(|| unsafe { super::subscription::subscribe(nc, subject, Some(queue), None, out) })
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
    timeout_ms: i64,
    out: *mut *mut natsrs_msg,
) -> natsrs_status {
    guard(|| {
        // SAFETY: as in natsrs_connection_publish.
        let c = unsafe { conn(nc) }?;
        nn(out, "out")?;
        // SAFETY: as above.
        let s = unsafe { cbytes(subject, "subject") }?;
        let t = super::timeout_ms(timeout_ms, "timeout_ms")?;
        // SAFETY: as above.
        let m = c.request_bytes(s, unsafe { payload(data, len) }?, t)?;
        // SAFETY: `out` checked non-NULL above.
        unsafe { put(out, owned_msg(m)) };
        Ok(())
    })
}

/// Sends `msg` (subject, headers, data; its reply is replaced by an inbox) as a request.
/// Returns an owned natsrs_msg; release with natsrs_msg_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_request_msg(
    nc: *mut natsrs_connection,
    msg: *const natsrs_msg,
    timeout_ms: i64,
    out: *mut *mut natsrs_msg,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `nc` and `msg` are NULL or live handles (C contract).
        let (c, m) = unsafe { (conn(nc)?, borrow(msg, "msg")?) };
        nn(out, "out")?;
        let r = c.request_msg(&m.msg, super::timeout_ms(timeout_ms, "timeout_ms")?)?;
        // SAFETY: `out` checked non-NULL above.
        unsafe { put(out, owned_msg(r)) };
        Ok(())
    })
}

/// Writes a new unique inbox subject (NUL-terminated) into `buf`.
/// NATSRS_STATUS_BUFFER_TOO_SMALL if it does not fit.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_new_inbox(nc: *mut natsrs_connection, buf: *mut c_char, buf_len: usize) -> natsrs_status {
    guard(|| {
        // SAFETY: `nc` NULL or live; `buf` NULL or writable for `buf_len` bytes (C contract).
        unsafe { copy_to_buf(conn(nc)?.new_inbox().as_bytes(), buf, buf_len) }
    })
}

/// Sends a PING and waits up to `timeout_ms` for the PONG: everything published before is then
/// processed by the server.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_flush(nc: *mut natsrs_connection, timeout_ms: i64) -> natsrs_status {
    guard(|| {
        // SAFETY: `nc` is NULL or a live handle (C contract).
        let c = unsafe { conn(nc) }?;
        c.flush(super::timeout_ms(timeout_ms, "timeout_ms")?)
    })
}

/// Measures the round-trip time to the server in milliseconds (fractional).
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_rtt(nc: *mut natsrs_connection, out_rtt_ms: *mut f64) -> natsrs_status {
    guard(|| {
        // SAFETY: `nc` is NULL or a live handle (C contract).
        let c = unsafe { conn(nc) }?;
        nn(out_rtt_ms, "out_rtt_ms")?;
        let d = c.rtt()?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out_rtt_ms, d.as_secs_f64() * 1000.0) };
        Ok(())
    })
}

/// Drains the connection: stops new subscriptions, lets every subscription deliver what already
/// reached the client, flushes publishes, then closes. Blocks up to `timeout_ms`; 0 or negative
/// means the options' drain timeout (natsrs_options_set_drain_timeout_ms, default 30000 ms,
/// as in nats.go). The connection is closed in any case;
/// NATSRS_STATUS_TIMEOUT if the drain did not finish in time.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_drain(nc: *mut natsrs_connection, timeout_ms: i64) -> natsrs_status {
    guard(|| {
        // SAFETY: `nc` is NULL or a live handle (C contract).
        let c = unsafe { conn(nc) }?;
        if timeout_ms <= 0 {
            c.drain_default()
        } else {
            c.drain(super::timeout_ms(timeout_ms, "timeout_ms")?)
        }
    })
}

/// Closes the connection (idempotent). Publishes already buffered get a short chance to be
/// written; pending requests and flushes fail; no subscription handler runs after this returns
/// (except one calling it); the closed handler has run when this returns.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_close(nc: *mut natsrs_connection) -> natsrs_status {
    guard(|| {
        // SAFETY: `nc` is NULL or a live handle (C contract).
        unsafe { conn(nc) }?.close();
        Ok(())
    })
}

/// Closes (if needed) and releases the connection. NULL is ignored. Call once per handle.
/// When it returns, no callback of the connection runs any more and the userdata of its
/// connection callbacks has been released (userdata_free has run) unless the options it was
/// made with are still alive (then natsrs_options_free releases it). Called from one of this
/// connection's own callbacks, the release happens when that callback returns.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_free(nc: *mut natsrs_connection) {
    let _ = guard(|| {
        // SAFETY: `nc` is NULL or a handle from connect that the caller gives up (C contract).
        let Some(h) = (unsafe { handle::free_arc(nc) }) else { return Ok(()) };
        if let Some(c) = h.conn.get() {
            c.close();
        }
        let ctx = h.ctx.clone();
        ctx.release(h);
        Ok(())
    });
}

/// Current status (NULL gives CLOSED).
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_status_get(nc: *const natsrs_connection) -> natsrs_connection_status {
    // SAFETY: `nc` is NULL or a live handle (C contract).
    guard_val(natsrs_connection_status::Closed, || Ok(unsafe { conn(nc) }?.status().into()))
}

/// True if the connection is closed (or `nc` is NULL).
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_is_closed(nc: *const natsrs_connection) -> bool {
    // SAFETY: `nc` is NULL or a live handle (C contract).
    guard_val(true, || Ok(unsafe { conn(nc) }?.is_closed()))
}

/// Forces a reconnect: the current socket is dropped and the normal reconnect loop runs.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_force_reconnect(nc: *mut natsrs_connection) -> natsrs_status {
    // SAFETY: `nc` is NULL or a live handle (C contract).
    guard(|| unsafe { conn(nc) }?.force_reconnect())
}

/// Copies the connection statistics into `*out`.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_stats(nc: *const natsrs_connection, out: *mut natsrs_statistics) -> natsrs_status {
    guard(|| {
        // SAFETY: `nc` is NULL or a live handle (C contract).
        let c = unsafe { conn(nc) }?;
        nn(out, "out")?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, c.stats().into()) };
        Ok(())
    })
}

/// The server's maximum payload in bytes.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_max_payload(nc: *const natsrs_connection, out: *mut i64) -> natsrs_status {
    guard(|| {
        // SAFETY: `nc` is NULL or a live handle (C contract).
        let c = unsafe { conn(nc) }?;
        nn(out, "out")?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, c.max_payload()) };
        Ok(())
    })
}

/// Writes the URL of the server currently connected to into `buf` (NUL-terminated).
/// NATSRS_STATUS_NOT_CONNECTED while disconnected; NATSRS_STATUS_BUFFER_TOO_SMALL if it does not fit.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_connected_url(nc: *const natsrs_connection, buf: *mut c_char, buf_len: usize) -> natsrs_status {
    guard(|| {
        // SAFETY: `nc` is NULL or a live handle (C contract).
        let c = unsafe { conn(nc) }?;
        let u = c.connected_url().ok_or_else(|| err!(NotConnected, "not connected"))?;
        // SAFETY: `buf` is NULL or writable for `buf_len` bytes (C contract).
        unsafe { copy_to_buf(u.as_bytes(), buf, buf_len) }
    })
}

/// Writes the id of the server currently connected to into `buf` (NUL-terminated).
/// NATSRS_STATUS_NOT_CONNECTED while disconnected; NATSRS_STATUS_BUFFER_TOO_SMALL if it does not fit.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_connected_server_id(
    nc: *const natsrs_connection,
    buf: *mut c_char,
    buf_len: usize,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `nc` is NULL or a live handle (C contract).
        let c = unsafe { conn(nc) }?;
        if c.status() != ConnectionStatus::Connected {
            return Err(err!(NotConnected, "not connected"));
        }
        // SAFETY: `buf` is NULL or writable for `buf_len` bytes (C contract).
        unsafe { copy_to_buf(c.server_info().server_id.as_bytes(), buf, buf_len) }
    })
}

/// The error that last disconnected or closed the connection: `*out_status` gets its status
/// (NATSRS_STATUS_OK if none) and, if `buf` is not NULL, its text is written to `buf`
/// (truncated to fit, always NUL-terminated when buf_len > 0).
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_last_error(
    nc: *const natsrs_connection,
    out_status: *mut natsrs_status,
    buf: *mut c_char,
    buf_len: usize,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `nc` is NULL or a live handle (C contract).
        let c = unsafe { conn(nc) }?;
        nn(out_status, "out_status")?;
        let (st, text) = match c.last_error() {
            Some(e) => (e.status.into(), e.to_string()),
            None => (natsrs_status::Ok, String::new()),
        };
        if !buf.is_null() && buf_len > 0 {
            let n = text.len().min(buf_len - 1);
            // SAFETY: `buf` is writable for `buf_len` bytes (C contract) and n < buf_len.
            unsafe {
                std::ptr::copy_nonoverlapping(text.as_ptr(), buf as *mut u8, n);
                *buf.add(n) = 0;
            }
        }
        // SAFETY: checked non-NULL above.
        unsafe { put(out_status, st) };
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn documented_drain_default_is_the_core_default() {
        let d = crate::options::Options::default().drain_timeout;
        assert_eq!(d, std::time::Duration::from_millis(super::DEFAULT_DRAIN_TIMEOUT_MS as u64));
    }
}
