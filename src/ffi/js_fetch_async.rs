//! Non-blocking fetch of a pull subscription for event loops (asyncio, Go contexts): the
//! fetch returns at once and completes through a callback; no thread waits meanwhile.

use std::ffi::c_void;
use std::time::Duration;

use super::handle::box_into_raw;
use super::js_consumers::{natsrs_pull_subscription, pull_of};
use super::msg::natsrs_msg;
use super::options::natsrs_userdata_free;
use super::status::natsrs_status;
use super::{guard, put_opt, UserData};
use crate::connection::Completion;
use crate::error::{err, Result};
use crate::jetstream::{FetchOptions, JsMsg};

/// Completion of natsrs_pull_subscription_fetch_async: runs once, on the connection's
/// completion thread (never a library I/O thread). With NATSRS_STATUS_OK, `msgs` holds `count`
/// messages (`count` may be 0 only for a no-wait fetch): the array is valid during the call
/// only, and each message in it becomes the callee's (release each with natsrs_msg_free, ack
/// with natsrs_msg_ack etc. first). Otherwise (TIMEOUT when nothing came in time, NOT_FOUND
/// for a deleted consumer, INVALID_SUBSCRIPTION when the subscription was unsubscribed or
/// freed, NOT_CONNECTED, ...) `msgs` is NULL and `count` is 0.
pub type natsrs_fetch_handler =
    Option<unsafe extern "C" fn(userdata: *mut c_void, status: natsrs_status, msgs: *mut *mut natsrs_msg, count: usize)>;

fn fetch_completion(
    cb: unsafe extern "C" fn(*mut c_void, natsrs_status, *mut *mut natsrs_msg, usize),
    ud: UserData,
) -> Completion<Vec<JsMsg>> {
    Box::new(move |r: Result<Vec<JsMsg>>| {
        match r {
            Ok(v) => {
                let mut ptrs: Vec<*mut natsrs_msg> = v.into_iter().map(|m| box_into_raw(natsrs_msg::from_js(m))).collect();
                let arr = if ptrs.is_empty() { std::ptr::null_mut() } else { ptrs.as_mut_ptr() };
                // SAFETY: a C function the caller registered, called once with its userdata; the
                // array lives until the call returns and each message becomes the callee's.
                unsafe { cb(ud.ptr, natsrs_status::Ok, arr, ptrs.len()) };
            }
            Err(e) => {
                // SAFETY: as above, without messages.
                unsafe { cb(ud.ptr, natsrs_status::from(e.status), std::ptr::null_mut(), 0) };
            }
        }
        drop(ud);
    })
}

/// Starts a fetch of up to `batch` messages (and at most `max_bytes` in total unless
/// `max_bytes` is 0) and returns at once; `handler` runs once with the outcome, exactly as the blocking
/// fetch would return it: a short batch as soon as the server says there are no more,
/// NATSRS_STATUS_TIMEOUT when nothing came within `timeout_ms`. With `no_wait`, only what is
/// available now (possibly nothing: OK with count 0); `timeout_ms` may then be 0 (the
/// JetStream context's timeout bounds it). `heartbeat_ms` > 0 asks for idle heartbeats (as
/// natsrs_pull_subscription_fetch_heartbeat; at least 1 and less than half of `timeout_ms`);
/// 0 for none. `*out_id` (may be NULL) gets an id for natsrs_pull_subscription_fetch_cancel.
/// One fetch at a time per pull subscription: while one started here is outstanding, another
/// (blocking or not) fails with NATSRS_STATUS_ILLEGAL_STATE, as this call does while a
/// blocking fetch runs. Freeing or unsubscribing the subscription ends an outstanding fetch
/// (the handler runs once with an error). `userdata_free` (may be NULL) runs once when the
/// library is done with `userdata` (after the handler, or at cancel). On an error status the
/// handler does not run and `userdata_free` has run.
#[no_mangle]
pub unsafe extern "C" fn natsrs_pull_subscription_fetch_async(
    sub: *mut natsrs_pull_subscription,
    batch: usize,
    max_bytes: usize,
    timeout_ms: i64,
    heartbeat_ms: i64,
    no_wait: bool,
    handler: natsrs_fetch_handler,
    userdata: *mut c_void,
    userdata_free: natsrs_userdata_free,
    out_id: *mut u64,
) -> natsrs_status {
    let ud = UserData { ptr: userdata, free: userdata_free };
    guard(|| {
        // SAFETY: `sub` live (or NULL, refused).
        let s = unsafe { pull_of(sub) }?;
        let cb = handler.ok_or_else(|| err!(NullParameter, "'handler' is NULL"))?;
        if batch == 0 {
            return Err(err!(InvalidArgument, "'batch' must be at least 1"));
        }
        let timeout = if no_wait && timeout_ms == 0 { Duration::ZERO } else { super::timeout_ms(timeout_ms, "timeout_ms")? };
        let heartbeat = match heartbeat_ms {
            0 => None,
            h if no_wait => return Err(err!(InvalidArgument, "'heartbeat_ms' must be 0 with 'no_wait' (got {})", h)),
            h if h < 1 || h.saturating_mul(2) >= timeout_ms => {
                return Err(err!(InvalidArgument, "'heartbeat_ms' must be 0, or at least 1 and less than half of 'timeout_ms' (got {})", h))
            }
            h => Some(Duration::from_millis(h as u64)),
        };
        let o = FetchOptions { batch, max_bytes, timeout, no_wait, heartbeat };
        let id = s.fetch_async(&o, fetch_completion(cb, ud))?;
        // SAFETY: `out_id` is NULL or a writable u64 (C contract).
        unsafe { put_opt(out_id, id) };
        Ok(())
    })
}

/// Cancels the fetch `id` started with natsrs_pull_subscription_fetch_async. NATSRS_STATUS_OK:
/// it was outstanding; its handler will not run, its `userdata_free` has run, and every message
/// it had received is kept for the next fetch (nothing is lost). NATSRS_STATUS_NOT_FOUND: it is
/// not outstanding (the handler ran or is running).
#[no_mangle]
pub unsafe extern "C" fn natsrs_pull_subscription_fetch_cancel(sub: *mut natsrs_pull_subscription, id: u64) -> natsrs_status {
    guard(|| {
        // SAFETY: `sub` live (or NULL, refused).
        let s = unsafe { pull_of(sub) }?;
        if s.cancel_fetch(id) {
            Ok(())
        } else {
            Err(err!(NotFound, "fetch {} is not outstanding (it completed already)", id))
        }
    })
}
