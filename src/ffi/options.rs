//! `natsrs_options`: connection options and callback registration.

use std::ffi::{c_char, c_void};
use std::time::Duration;

use super::callbacks::{Reg, Registrations};
use super::connection::natsrs_connection;
use super::handle::{self, borrow_mut, box_into_raw, BoxOwned, Castable};
use super::status::natsrs_status;
use super::subscription::natsrs_subscription;
use super::{cstr, guard, nn, put};
use crate::error::{err, Result};
use crate::options::{parse_url_list, Options};

/// Connection options. Create with natsrs_options_new; release with natsrs_options_free.
pub struct natsrs_options {
    /// The core options (no C callbacks in them).
    pub(crate) inner: Options,
    /// The C callbacks and the userdata they own; installed per connection at connect.
    pub(crate) callbacks: Registrations,
}

// SAFETY: pointers to natsrs_options are only made by box_into_raw.
unsafe impl Castable for natsrs_options {
    type Ownership = BoxOwned;
}

/// Callback for connection events without extra data (closed, reconnected, connected,
/// discovered servers, lame duck). Runs on the connection's event thread.
pub type natsrs_connection_handler = Option<unsafe extern "C" fn(userdata: *mut c_void, nc: *mut natsrs_connection)>;

/// Callback for a lost connection, with the status and text of the error that caused it.
/// Runs on the connection's event thread.
pub type natsrs_disconnected_handler =
    Option<unsafe extern "C" fn(userdata: *mut c_void, nc: *mut natsrs_connection, status: natsrs_status, text: *const c_char)>;

/// Asynchronous error callback (slow consumer, permissions violation, drain timeout, ...).
/// `sub` is the subscription concerned or NULL. Runs on the connection's event thread.
pub type natsrs_error_handler = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        nc: *mut natsrs_connection,
        sub: *mut natsrs_subscription,
        status: natsrs_status,
        text: *const c_char,
    ),
>;

/// Custom reconnect delay: given the number of completed passes through the server pool,
/// returns the time to wait in milliseconds before the next pass (negative counts as 0).
pub type natsrs_reconnect_delay_handler =
    Option<unsafe extern "C" fn(userdata: *mut c_void, nc: *mut natsrs_connection, attempts: u64) -> i64>;

/// Called for every failed reconnect attempt (nats.go ReconnectErrHandler), with the status and
/// text of that attempt's error (e.g. NATSRS_STATUS_IO when the server refused the TCP
/// connection, NATSRS_STATUS_AUTHORIZATION, NATSRS_STATUS_TLS). Runs on the connection's event
/// thread.
pub type natsrs_reconnect_error_handler =
    Option<unsafe extern "C" fn(userdata: *mut c_void, nc: *mut natsrs_connection, status: natsrs_status, text: *const c_char)>;

/// Chooses the server of the next reconnect attempt (nats-py reconnect_to_server_handler):
/// `urls[i]` (`count` of them, borrowed for the call) are the servers still worth an attempt and
/// `reconnects[i]` their failed attempts since last connected. Return the index of the server to
/// try (negative or out of range: the first) and write the wait before that attempt in ms to
/// `*delay_ms_out` (it starts at 0). Runs on a library thread that is not an I/O thread.
pub type natsrs_reconnect_to_server_handler = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        nc: *mut natsrs_connection,
        urls: *const *const c_char,
        reconnects: *const u64,
        count: usize,
        delay_ms_out: *mut i64,
    ) -> i64,
>;

/// Called when the library is done with a callback's userdata (exactly once).
pub type natsrs_userdata_free = Option<unsafe extern "C" fn(userdata: *mut c_void)>;

/// Borrows the options behind `opts` mutably.
///
/// # Safety
/// `opts` is NULL or a live natsrs_options not used by another thread during the call.
pub(crate) unsafe fn opts_mut<'a>(opts: *mut natsrs_options) -> Result<&'a mut natsrs_options> {
    // SAFETY: forwarded caller guarantee.
    unsafe { borrow_mut(opts, "opts") }
}

/// Creates options with the defaults of nats.go (server nats://127.0.0.1:4222, reconnect on,
/// 60 attempts per server, 2 s wait, 2 min ping interval, ...).
/// Returns an owned natsrs_options; release with natsrs_options_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_new(out: *mut *mut natsrs_options) -> natsrs_status {
    guard(|| {
        nn(out, "out")?;
        let o = natsrs_options { inner: Options::default(), callbacks: Registrations::default() };
        // SAFETY: checked non-NULL above.
        unsafe { put(out, box_into_raw(o)) };
        Ok(())
    })
}

/// Releases options. NULL is ignored. Connections made with them are not affected. The
/// userdata of their callbacks is released (userdata_free runs) here, on the calling thread,
/// unless a connection made with them is still alive: then natsrs_connection_free of the last
/// such connection releases it.
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_free(opts: *mut natsrs_options) {
    let _ = guard(|| {
        // SAFETY: `opts` is NULL or a handle the caller gives up (C contract).
        drop(unsafe { handle::free_box(opts) });
        Ok(())
    });
}

/// Sets the server list: one URL or several separated by commas (blanks allowed), e.g.
/// "nats://a:4222, nats://user:pass@b:4223". Schemes: nats://, tls://.
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_url(opts: *mut natsrs_options, urls: *const c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `opts` NULL or live, `urls` NULL or a NUL-terminated string (C contract).
        let (o, u) = unsafe { (opts_mut(opts)?, cstr(urls, "urls")?) };
        o.inner.servers = parse_url_list(u)?;
        Ok(())
    })
}

/// Sets the server list from an array of `count` URLs.
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_servers(opts: *mut natsrs_options, urls: *const *const c_char, count: usize) -> natsrs_status {
    guard(|| {
        // SAFETY: `opts` is NULL or live (C contract).
        let o = unsafe { opts_mut(opts) }?;
        nn(urls, "urls")?;
        if count == 0 {
            return Err(err!(InvalidArgument, "count must be at least 1"));
        }
        let mut v = Vec::with_capacity(count);
        for i in 0..count {
            // SAFETY: `urls` points to `count` string pointers (C contract), i < count.
            let u = unsafe { cstr(*urls.add(i), "urls[i]") }?;
            v.push(crate::options::ServerUrl::parse(u)?);
        }
        o.inner.servers = v;
        Ok(())
    })
}

/// Applies `f` to the core options (NULL `opts` gives NULL_PARAMETER).
///
/// # Safety
/// As for [`opts_mut`].
pub(crate) unsafe fn with_opts(opts: *mut natsrs_options, f: impl FnOnce(&mut Options) -> Result<()>) -> natsrs_status {
    // SAFETY: forwarded caller guarantee.
    guard(|| f(&mut unsafe { opts_mut(opts) }?.inner))
}

/// # Safety
/// As for [`opts_mut`].
unsafe fn set_flag(opts: *mut natsrs_options, f: impl FnOnce(&mut Options)) -> natsrs_status {
    // SAFETY: forwarded caller guarantee.
    unsafe {
        with_opts(opts, |o| {
            f(o);
            Ok(())
        })
    }
}

/// Fail requests that wait for a reply with NATSRS_STATUS_NOT_CONNECTED as soon as the
/// connection drops (default false: they keep waiting for a reply after the reconnect, up to
/// their timeout).
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_fail_requests_on_disconnect(opts: *mut natsrs_options, on: bool) -> natsrs_status {
    // SAFETY: `opts` is NULL or live (C contract).
    unsafe { set_flag(opts, |o| o.fail_requests_on_disconnect = on) }
}

/// Do not deliver this connection's own publishes to its own subscriptions.
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_no_echo(opts: *mut natsrs_options, on: bool) -> natsrs_status {
    // SAFETY: `opts` is NULL or live (C contract).
    unsafe { set_flag(opts, |o| o.no_echo = on) }
}

/// Ask the server to acknowledge every protocol message with +OK.
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_verbose(opts: *mut natsrs_options, on: bool) -> natsrs_status {
    // SAFETY: `opts` is NULL or live (C contract).
    unsafe { set_flag(opts, |o| o.verbose = on) }
}

/// Ask the server for strict subject checking.
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_pedantic(opts: *mut natsrs_options, on: bool) -> natsrs_status {
    // SAFETY: `opts` is NULL or live (C contract).
    unsafe { set_flag(opts, |o| o.pedantic = on) }
}

/// Use one inbox subscription per request (the old style) instead of the shared muxed inbox.
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_old_request_style(opts: *mut natsrs_options, on: bool) -> natsrs_status {
    // SAFETY: `opts` is NULL or live (C contract).
    unsafe { set_flag(opts, |o| o.old_request_style = on) }
}

/// Allow reconnecting after a connection loss (default true).
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_allow_reconnect(opts: *mut natsrs_options, on: bool) -> natsrs_status {
    // SAFETY: `opts` is NULL or live (C contract).
    unsafe { set_flag(opts, |o| o.allow_reconnect = on) }
}

/// Keep the given server order instead of shuffling the pool (default false).
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_no_randomize(opts: *mut natsrs_options, on: bool) -> natsrs_status {
    // SAFETY: `opts` is NULL or live (C contract).
    unsafe { set_flag(opts, |o| o.no_randomize = on) }
}

/// Async subscriptions of connections made with these options share `threads` delivery threads
/// (each subscription sticks to one, so its order holds; a slow handler delays only the
/// subscriptions on its thread). 0 (the default): a thread per subscription. At most 1024.
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_delivery_pool_threads(opts: *mut natsrs_options, threads: i32) -> natsrs_status {
    if !(0..=MAX_DELIVERY_POOL_THREADS).contains(&threads) {
        return guard(|| Err(err!(InvalidArgument, "threads must be between 0 and {} (got {})", MAX_DELIVERY_POOL_THREADS, threads)));
    }
    // SAFETY: `opts` is NULL or live (C contract).
    unsafe { set_flag(opts, |o| o.delivery_pool_threads = threads as usize) }
}

/// Largest delivery pool natsrs_options_set_delivery_pool_threads accepts.
const MAX_DELIVERY_POOL_THREADS: i32 = 1024;

/// Do not add servers learned from the cluster (INFO connect_urls) to the pool.
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_ignore_discovered_servers(opts: *mut natsrs_options, on: bool) -> natsrs_status {
    // SAFETY: `opts` is NULL or live (C contract).
    unsafe { set_flag(opts, |o| o.ignore_discovered_servers = on) }
}

/// If the first connect fails, return a connection in the RECONNECTING state and keep trying
/// in the background; the connected handler fires on the first success.
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_retry_on_failed_connect(opts: *mut natsrs_options, on: bool) -> natsrs_status {
    // SAFETY: `opts` is NULL or live (C contract).
    unsafe { set_flag(opts, |o| o.retry_on_failed_connect = on) }
}

/// # Safety
/// As for [`opts_mut`].
unsafe fn set_duration(opts: *mut natsrs_options, ms: i64, allow_zero: bool, f: impl FnOnce(&mut Options, Duration)) -> natsrs_status {
    guard(|| {
        // SAFETY: forwarded caller guarantee.
        let o = &mut unsafe { opts_mut(opts) }?.inner;
        if ms < 0 || (ms == 0 && !allow_zero) {
            return Err(err!(InvalidArgument, "invalid duration {} ms", ms));
        }
        f(o, Duration::from_millis(ms as u64));
        Ok(())
    })
}

/// Interval between keep-alive PINGs (default 120000 ms).
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_ping_interval_ms(opts: *mut natsrs_options, ms: i64) -> natsrs_status {
    // SAFETY: `opts` is NULL or live (C contract).
    unsafe { set_duration(opts, ms, false, |o, d| o.ping_interval = d) }
}

/// Timeout for dialling and handshaking one server (default 2000 ms).
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_connect_timeout_ms(opts: *mut natsrs_options, ms: i64) -> natsrs_status {
    // SAFETY: `opts` is NULL or live (C contract).
    unsafe { set_duration(opts, ms, false, |o, d| o.connect_timeout = d) }
}

/// Timeout of natsrs_connection_drain when it is called with 0 or a negative timeout
/// (default 30000 ms, as in nats.go).
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_drain_timeout_ms(opts: *mut natsrs_options, ms: i64) -> natsrs_status {
    // SAFETY: `opts` is NULL or live (C contract).
    unsafe { set_duration(opts, ms, false, |o, d| o.drain_timeout = d) }
}

/// Wait after each full pass through the server pool while reconnecting (default 2000 ms).
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_reconnect_wait_ms(opts: *mut natsrs_options, ms: i64) -> natsrs_status {
    // SAFETY: `opts` is NULL or live (C contract).
    unsafe { set_duration(opts, ms, true, |o, d| o.reconnect_wait = d) }
}

/// Random extra wait added to the reconnect wait: up to `jitter_ms` for plain connections and up
/// to `jitter_tls_ms` for TLS connections (defaults 100 ms and 1000 ms).
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_reconnect_jitter_ms(
    opts: *mut natsrs_options,
    jitter_ms: i64,
    jitter_tls_ms: i64,
) -> natsrs_status {
    // SAFETY: `opts` NULL or live, string arguments NULL or NUL-terminated (C contract).
    guard(|| unsafe {
        let o = &mut opts_mut(opts)?.inner;
        if jitter_ms < 0 || jitter_tls_ms < 0 {
            return Err(err!(InvalidArgument, "jitter must not be negative"));
        }
        o.reconnect_jitter = Duration::from_millis(jitter_ms as u64);
        o.reconnect_jitter_tls = Duration::from_millis(jitter_tls_ms as u64);
        Ok(())
    })
}

/// Number of PINGs without a PONG after which the connection is stale (default 2).
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_max_pings_out(opts: *mut natsrs_options, n: i64) -> natsrs_status {
    // SAFETY: `opts` NULL or live, string arguments NULL or NUL-terminated (C contract).
    guard(|| unsafe {
        let o = &mut opts_mut(opts)?.inner;
        if !(1..=u32::MAX as i64).contains(&n) {
            return Err(err!(InvalidArgument, "max pings out must be at least 1"));
        }
        o.max_pings_out = n as u32;
        Ok(())
    })
}

/// Reconnect attempts per server before it is dropped from the pool; -1 = forever,
/// 0 = never reconnect (default 60).
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_max_reconnect(opts: *mut natsrs_options, max: i64) -> natsrs_status {
    // SAFETY: `opts` NULL or live, string arguments NULL or NUL-terminated (C contract).
    guard(|| unsafe {
        let o = &mut opts_mut(opts)?.inner;
        if max < -1 {
            return Err(err!(InvalidArgument, "max reconnect must be -1 or more"));
        }
        o.max_reconnect = max;
        Ok(())
    })
}

/// Bytes of publishes buffered while reconnecting (default 8 MiB). 0 or negative disables
/// buffering: publishing while disconnected fails with NATSRS_STATUS_BUFFER_FULL.
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_reconnect_buf_size(opts: *mut natsrs_options, bytes: i64) -> natsrs_status {
    guard(|| {
        // SAFETY: `opts` is NULL or live (C contract).
        unsafe { opts_mut(opts) }?.inner.reconnect_buf_size = bytes;
        Ok(())
    })
}

/// Client name sent to the server (shown in monitoring).
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_name(opts: *mut natsrs_options, name: *const c_char) -> natsrs_status {
    // SAFETY: `opts` NULL or live, string arguments NULL or NUL-terminated (C contract).
    guard(|| unsafe {
        let o = &mut opts_mut(opts)?.inner;
        o.name = Some(cstr(name, "name")?.to_string());
        Ok(())
    })
}

/// Prefix of inbox subjects (default "_INBOX").
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_inbox_prefix(opts: *mut natsrs_options, prefix: *const c_char) -> natsrs_status {
    // SAFETY: `opts` NULL or live, string arguments NULL or NUL-terminated (C contract).
    guard(|| unsafe {
        let o = &mut opts_mut(opts)?.inner;
        o.set_inbox_prefix(cstr(prefix, "prefix")?)
    })
}

/// User and password for servers whose URL carries no credentials. `password` may be NULL.
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_user_info(
    opts: *mut natsrs_options,
    user: *const c_char,
    password: *const c_char,
) -> natsrs_status {
    // SAFETY: `opts` NULL or live, string arguments NULL or NUL-terminated (C contract).
    guard(|| unsafe {
        let o = &mut opts_mut(opts)?.inner;
        o.auth.user = Some(cstr(user, "user")?.to_string());
        o.auth.password = super::opt_cstr(password, "password")?.map(|s| s.to_string());
        Ok(())
    })
}

/// Authentication token for servers whose URL carries no credentials.
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_token(opts: *mut natsrs_options, token: *const c_char) -> natsrs_status {
    // SAFETY: `opts` NULL or live, string arguments NULL or NUL-terminated (C contract).
    guard(|| unsafe {
        let o = &mut opts_mut(opts)?.inner;
        o.auth.token = Some(cstr(token, "token")?.to_string());
        Ok(())
    })
}

/// Default pending limits of new subscriptions: messages and bytes queued in the client before
/// new messages are dropped (slow consumer). Negative = unlimited; 0 is invalid.
/// Defaults: 524288 messages, 64 MiB.
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_pending_limits(opts: *mut natsrs_options, msgs: i64, bytes: i64) -> natsrs_status {
    // SAFETY: `opts` NULL or live, string arguments NULL or NUL-terminated (C contract).
    guard(|| unsafe {
        let o = &mut opts_mut(opts)?.inner;
        if msgs == 0 || bytes == 0 {
            return Err(err!(InvalidArgument, "pending limits cannot be zero (negative = unlimited)"));
        }
        o.sub_pending_msgs = msgs;
        o.sub_pending_bytes = bytes;
        Ok(())
    })
}

/// Sets (or with a NULL `cb`, removes) one callback slot; the old userdata is released
/// (unless a live connection still holds it).
///
/// # Safety
/// As for [`opts_mut`].
unsafe fn set_slot<F: Copy>(
    opts: *mut natsrs_options,
    cb: Option<F>,
    userdata: *mut c_void,
    userdata_free: natsrs_userdata_free,
    slot: impl FnOnce(&mut Registrations) -> &mut Option<Reg<F>>,
) -> natsrs_status {
    guard(|| {
        // SAFETY: forwarded caller guarantee.
        let o = unsafe { opts_mut(opts) }?;
        *slot(&mut o.callbacks) = Reg::new(cb, userdata, userdata_free);
        Ok(())
    })
}

/// Sets the handler called once when the connection is closed for good.
/// `cb` may be NULL to remove it. `userdata_free` (may be NULL) runs once when the library is
/// done with `userdata` (see natsrs_options_free). Runs on the connection's event thread.
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_closed_handler(
    opts: *mut natsrs_options,
    cb: natsrs_connection_handler,
    userdata: *mut c_void,
    userdata_free: natsrs_userdata_free,
) -> natsrs_status {
    // SAFETY: `opts` is NULL or live (C contract).
    unsafe { set_slot(opts, cb, userdata, userdata_free, |r| &mut r.closed) }
}

/// Sets the handler called after every successful reconnect.
/// `cb` may be NULL to remove it. `userdata_free` (may be NULL) runs once when the library is
/// done with `userdata` (see natsrs_options_free). Runs on the connection's event thread.
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_reconnected_handler(
    opts: *mut natsrs_options,
    cb: natsrs_connection_handler,
    userdata: *mut c_void,
    userdata_free: natsrs_userdata_free,
) -> natsrs_status {
    // SAFETY: `opts` is NULL or live (C contract).
    unsafe { set_slot(opts, cb, userdata, userdata_free, |r| &mut r.reconnected) }
}

/// Sets the handler called when a connection made with retry_on_failed_connect first succeeds.
/// `cb` may be NULL to remove it. `userdata_free` (may be NULL) runs once when the library is
/// done with `userdata` (see natsrs_options_free). Runs on the connection's event thread.
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_connected_handler(
    opts: *mut natsrs_options,
    cb: natsrs_connection_handler,
    userdata: *mut c_void,
    userdata_free: natsrs_userdata_free,
) -> natsrs_status {
    // SAFETY: `opts` is NULL or live (C contract).
    unsafe { set_slot(opts, cb, userdata, userdata_free, |r| &mut r.connected) }
}

/// Sets the handler called when the cluster announces servers not seen before.
/// `cb` may be NULL to remove it. `userdata_free` (may be NULL) runs once when the library is
/// done with `userdata` (see natsrs_options_free). Runs on the connection's event thread.
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_discovered_servers_handler(
    opts: *mut natsrs_options,
    cb: natsrs_connection_handler,
    userdata: *mut c_void,
    userdata_free: natsrs_userdata_free,
) -> natsrs_status {
    // SAFETY: `opts` is NULL or live (C contract).
    unsafe { set_slot(opts, cb, userdata, userdata_free, |r| &mut r.discovered_servers) }
}

/// Sets the handler called when the server enters lame duck mode (it will shut down soon).
/// `cb` may be NULL to remove it. `userdata_free` (may be NULL) runs once when the library is
/// done with `userdata` (see natsrs_options_free). Runs on the connection's event thread.
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_lame_duck_handler(
    opts: *mut natsrs_options,
    cb: natsrs_connection_handler,
    userdata: *mut c_void,
    userdata_free: natsrs_userdata_free,
) -> natsrs_status {
    // SAFETY: `opts` is NULL or live (C contract).
    unsafe { set_slot(opts, cb, userdata, userdata_free, |r| &mut r.lame_duck) }
}

/// Sets the handler called when the connection to a server is lost (with the cause).
/// `userdata_free` (may be NULL) runs once when the library is done with `userdata`.
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_disconnected_handler(
    opts: *mut natsrs_options,
    cb: natsrs_disconnected_handler,
    userdata: *mut c_void,
    userdata_free: natsrs_userdata_free,
) -> natsrs_status {
    // SAFETY: `opts` is NULL or live (C contract).
    unsafe { set_slot(opts, cb, userdata, userdata_free, |r| &mut r.disconnected) }
}

/// Sets the asynchronous error handler (slow consumers, permission violations, ...).
/// `userdata_free` (may be NULL) runs once when the library is done with `userdata`.
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_error_handler(
    opts: *mut natsrs_options,
    cb: natsrs_error_handler,
    userdata: *mut c_void,
    userdata_free: natsrs_userdata_free,
) -> natsrs_status {
    // SAFETY: `opts` is NULL or live (C contract).
    unsafe { set_slot(opts, cb, userdata, userdata_free, |r| &mut r.error) }
}

/// Sets a custom reconnect delay, replacing reconnect wait and jitter. The handler runs on a
/// library thread that is not the I/O thread; it must return quickly.
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_reconnect_delay_handler(
    opts: *mut natsrs_options,
    cb: natsrs_reconnect_delay_handler,
    userdata: *mut c_void,
    userdata_free: natsrs_userdata_free,
) -> natsrs_status {
    // SAFETY: `opts` is NULL or live (C contract).
    unsafe { set_slot(opts, cb, userdata, userdata_free, |r| &mut r.reconnect_delay) }
}

/// Sets the handler called for every failed reconnect attempt (also the background attempts of
/// retry_on_failed_connect), with that attempt's error (nats.go ReconnectErrHandler).
/// `cb` may be NULL to remove it. `userdata_free` (may be NULL) runs once when the library is
/// done with `userdata` (see natsrs_options_free). Runs on the connection's event thread.
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_reconnect_error_handler(
    opts: *mut natsrs_options,
    cb: natsrs_reconnect_error_handler,
    userdata: *mut c_void,
    userdata_free: natsrs_userdata_free,
) -> natsrs_status {
    // SAFETY: `opts` is NULL or live (C contract).
    unsafe { set_slot(opts, cb, userdata, userdata_free, |r| &mut r.reconnect_error) }
}

/// Lets `cb` pick the server of every reconnect attempt and the wait before it (see
/// natsrs_reconnect_to_server_handler), instead of trying the pool in order with reconnect wait
/// and jitter (and the reconnect delay handler) between passes. max_reconnect still drops
/// servers from the pool. `cb` may be NULL to remove it. `userdata_free` (may be NULL) runs once
/// when the library is done with `userdata`.
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_reconnect_to_server_handler(
    opts: *mut natsrs_options,
    cb: natsrs_reconnect_to_server_handler,
    userdata: *mut c_void,
    userdata_free: natsrs_userdata_free,
) -> natsrs_status {
    // SAFETY: `opts` is NULL or live (C contract).
    unsafe { set_slot(opts, cb, userdata, userdata_free, |r| &mut r.reconnect_to_server) }
}
