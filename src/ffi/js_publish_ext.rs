//! JetStream publish from C, continued: async publish of a whole message (headers included)
//! and the per-publish stall wait of async publishes.

use std::ffi::c_void;

use super::handle::borrow;
use super::jetstream::{js_of, natsrs_jetstream};
use super::js_publish::{completion, natsrs_js_publish_options, natsrs_pub_ack_handler, opts_or_default, po};
use super::msg::natsrs_msg;
use super::options::natsrs_userdata_free;
use super::status::natsrs_status;
use super::{guard, timeout_ms, UserData};

/// Sets how long an async publish with these options waits for room when the context's
/// max-pending acks are outstanding, before it fails with NATSRS_STATUS_TIMEOUT (nats.go
/// StallWait; default: the context's stall wait,
/// natsrs_jetstream_options_set_publish_async_stall_wait_ms). `ms` must be positive. Ignored by
/// synchronous publishes.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_publish_options_set_stall_wait_ms(opts: *mut natsrs_js_publish_options, ms: i64) -> natsrs_status {
    guard(|| {
        // SAFETY: `opts` live (or NULL, refused).
        let o = unsafe { po(opts) }?;
        o.stall_wait = Some(timeout_ms(ms, "ms")?);
        Ok(())
    })
}

/// Like natsrs_jetstream_publish_async for a message (subject, headers, payload; its reply
/// must be NULL, INVALID_ARGUMENT otherwise). The message is not consumed. Returns
/// at once unless max-pending acks are outstanding (then waits up to the stall wait: the
/// options' natsrs_js_publish_options_set_stall_wait_ms or the context's; then
/// NATSRS_STATUS_TIMEOUT). `handler` (may be NULL) runs once, on a library thread, with the ack
/// or the error; `userdata_free` (may be NULL) runs once after it. On an error status the
/// handler does not run and `userdata_free` has run. `opts` may be NULL.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_publish_msg_async(
    js: *mut natsrs_jetstream,
    msg: *const natsrs_msg,
    opts: *const natsrs_js_publish_options,
    handler: natsrs_pub_ack_handler,
    userdata: *mut c_void,
    userdata_free: natsrs_userdata_free,
) -> natsrs_status {
    let ud = UserData { ptr: userdata, free: userdata_free };
    guard(|| {
        // SAFETY: `js` and `msg` live (or NULL, refused).
        let (j, m) = unsafe { (js_of(js)?, borrow(msg, "msg")?) };
        // SAFETY: `opts` NULL or live.
        let o = unsafe { opts_or_default(opts) }?;
        let cb = handler.map(|h| completion(h, ud));
        j.publish_msg_async(m.msg.clone(), &o, cb)?;
        Ok(())
    })
}
