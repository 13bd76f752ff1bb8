//! Non-blocking calls for event loops (asyncio, Go contexts): request and flush with a
//! completion callback and a cancel call, and a subscription's notification fd with a
//! non-blocking batch receive.

use std::ffi::{c_char, c_void};

use super::connection::{conn, natsrs_connection};
use super::handle::borrow;
use super::msg::{natsrs_msg, owned_msg};
use super::options::natsrs_userdata_free;
use super::status::natsrs_status;
use super::subscription::natsrs_subscription;
use super::{cstr, guard, nn, payload, put, put_opt, UserData};
use crate::connection::{Completion, Subscription};
use crate::error::{err, Result};
use crate::msg::Msg;

/// Completion of natsrs_connection_request_async: runs once, on the connection's completion
/// thread (never a library I/O thread). With NATSRS_STATUS_OK, `msg` is the reply: an owned
/// natsrs_msg; release with natsrs_msg_free. Otherwise (TIMEOUT, NO_RESPONDERS,
/// CONNECTION_CLOSED, NOT_CONNECTED) `msg` is NULL.
pub type natsrs_request_handler = Option<unsafe extern "C" fn(userdata: *mut c_void, status: natsrs_status, msg: *mut natsrs_msg)>;

/// Completion of a non-blocking call without a result (natsrs_connection_flush_async): runs
/// once, on the connection's completion thread.
pub type natsrs_status_handler = Option<unsafe extern "C" fn(userdata: *mut c_void, status: natsrs_status)>;

fn request_completion(cb: unsafe extern "C" fn(*mut c_void, natsrs_status, *mut natsrs_msg), ud: UserData) -> Completion<Msg> {
    Box::new(move |r: Result<Msg>| {
        let (st, m) = match r {
            Ok(m) => (natsrs_status::Ok, owned_msg(m)),
            Err(e) => (natsrs_status::from(e.status), std::ptr::null_mut()),
        };
        // SAFETY: a C function the caller registered, called once with its own userdata; the
        // message (if any) becomes the callee's.
        unsafe { cb(ud.ptr, st, m) };
        drop(ud);
    })
}

/// Starts a request and returns at once; `handler` runs once with the reply or the error.
/// `*out_id` (may be NULL) gets an id for natsrs_connection_request_cancel. `userdata_free`
/// (may be NULL) runs once when the library is done with `userdata` (after the handler, or
/// at cancel). On an error status the handler does not run and `userdata_free` has run.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_request_async(
    nc: *mut natsrs_connection,
    subject: *const c_char,
    data: *const u8,
    len: usize,
    timeout_ms: i64,
    handler: natsrs_request_handler,
    userdata: *mut c_void,
    userdata_free: natsrs_userdata_free,
    out_id: *mut u64,
) -> natsrs_status {
    let ud = UserData { ptr: userdata, free: userdata_free };
    guard(|| {
        // SAFETY: `nc` is a handle from natsrs_connection_connect (or NULL, refused).
        let c = unsafe { conn(nc) }?;
        // SAFETY: NUL-terminated string and (data, len) payload from the caller, used during the call.
        let s = unsafe { cstr(subject, "subject") }?;
        // SAFETY: as above.
        let d = unsafe { payload(data, len) }?;
        let t = super::timeout_ms(timeout_ms, "timeout_ms")?;
        let cb = handler.ok_or_else(|| err!(NullParameter, "'handler' is NULL"))?;
        let id = c.request_async(s, d, t, request_completion(cb, ud))?;
        // SAFETY: `out_id` is NULL or a writable u64 (C contract).
        unsafe { put_opt(out_id, id) };
        Ok(())
    })
}

/// Like natsrs_connection_request_async, with the subject, headers and payload of `msg`
/// (borrowed for the call).
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_request_msg_async(
    nc: *mut natsrs_connection,
    msg: *const natsrs_msg,
    timeout_ms: i64,
    handler: natsrs_request_handler,
    userdata: *mut c_void,
    userdata_free: natsrs_userdata_free,
    out_id: *mut u64,
) -> natsrs_status {
    let ud = UserData { ptr: userdata, free: userdata_free };
    guard(|| {
        // SAFETY: `nc` is a handle from natsrs_connection_connect (or NULL, refused).
        let c = unsafe { conn(nc) }?;
        // SAFETY: `msg` is a natsrs_msg handle (or NULL, refused), borrowed for the call.
        let m = &unsafe { borrow(msg, "msg") }?.msg;
        let t = super::timeout_ms(timeout_ms, "timeout_ms")?;
        let cb = handler.ok_or_else(|| err!(NullParameter, "'handler' is NULL"))?;
        let id = c.request_msg_async(m, t, request_completion(cb, ud))?;
        // SAFETY: `out_id` is NULL or a writable u64 (C contract).
        unsafe { put_opt(out_id, id) };
        Ok(())
    })
}

/// Cancels a request started with natsrs_connection_request_async. NATSRS_STATUS_OK: it was
/// pending; its handler will not run and its `userdata_free` has run. NATSRS_STATUS_NOT_FOUND:
/// it already completed (the handler ran or is running), so no reply is lost.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_request_cancel(nc: *mut natsrs_connection, id: u64) -> natsrs_status {
    guard(|| {
        // SAFETY: `nc` is a handle from natsrs_connection_connect (or NULL, refused).
        let c = unsafe { conn(nc) }?;
        if c.cancel_request(id) {
            Ok(())
        } else {
            Err(err!(NotFound, "request {} is not pending (it completed already)", id))
        }
    })
}

/// Starts a flush and returns at once: `handler` runs once on the completion thread with OK
/// when the server has processed everything sent before, or TIMEOUT / NOT_CONNECTED /
/// CONNECTION_CLOSED. On an error status the handler does not run and `userdata_free` has run.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_flush_async(
    nc: *mut natsrs_connection,
    timeout_ms: i64,
    handler: natsrs_status_handler,
    userdata: *mut c_void,
    userdata_free: natsrs_userdata_free,
) -> natsrs_status {
    let ud = UserData { ptr: userdata, free: userdata_free };
    guard(|| {
        // SAFETY: `nc` is a handle from natsrs_connection_connect (or NULL, refused).
        let c = unsafe { conn(nc) }?;
        let t = super::timeout_ms(timeout_ms, "timeout_ms")?;
        let cb = handler.ok_or_else(|| err!(NullParameter, "'handler' is NULL"))?;
        c.flush_async(
            t,
            Box::new(move |r: Result<()>| {
                let st = r.err().map_or(natsrs_status::Ok, |e| natsrs_status::from(e.status));
                // SAFETY: a C function the caller registered, called once with its userdata.
                unsafe { cb(ud.ptr, st) };
                drop(ud);
            }),
        )
    })
}

/// # Safety
/// `sub` is NULL or a live natsrs_subscription handle.
unsafe fn sub_handle<'a>(sub: *mut natsrs_subscription) -> Result<&'a Subscription> {
    // SAFETY: forwarded caller guarantee.
    unsafe { borrow(sub, "sub") }?.subscription()
}

/// For a synchronous subscription: a file descriptor (eventfd; non-blocking, close-on-exec,
/// owned by the subscription and closed with it) that becomes readable when a message is
/// queued into an empty queue or the subscription ends. Read it (8 bytes) to clear it, then
/// drain with natsrs_subscription_try_next_msgs until it returns a count of 0. Borrowed; valid
/// until natsrs_subscription_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_subscription_notify_fd(sub: *mut natsrs_subscription, out_fd: *mut i32) -> natsrs_status {
    guard(|| {
        // SAFETY: `sub` is a handle (or NULL, refused).
        let s = unsafe { sub_handle(sub) }?;
        nn(out_fd, "out_fd")?;
        let fd = s.notify_fd()?;
        // SAFETY: checked non-NULL.
        unsafe { put(out_fd, fd) };
        Ok(())
    })
}

/// Non-blocking batched receive: up to `max` queued messages into `out_array` (room for `max`
/// pointers); `*out_count` gets the number, possibly 0. An ended subscription with nothing
/// queued gives its end status (as natsrs_subscription_next_msg). Each message is owned;
/// release each with natsrs_msg_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_subscription_try_next_msgs(
    sub: *mut natsrs_subscription,
    max: usize,
    out_array: *mut *mut natsrs_msg,
    out_count: *mut usize,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `sub` is a handle (or NULL, refused).
        let s = unsafe { sub_handle(sub) }?;
        nn(out_array, "out_array")?;
        nn(out_count, "out_count")?;
        let v = s.try_next_msgs(max)?;
        let n = v.len();
        for (i, m) in v.into_iter().enumerate() {
            // SAFETY: the caller gives room for `max` pointers and n <= max.
            unsafe { out_array.add(i).write(owned_msg(m)) };
        }
        // SAFETY: checked non-NULL.
        unsafe { put(out_count, n) };
        Ok(())
    })
}
