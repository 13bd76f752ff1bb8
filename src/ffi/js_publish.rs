//! JetStream publish from C: `natsrs_js_publish_options`, synchronous publish returning a
//! `natsrs_pub_ack`, and async publish with a per-message completion callback.

use std::ffi::{c_char, c_void};

use super::handle::{self, borrow, borrow_mut, box_into_raw, BoxOwned, Castable};
use super::jetstream::{js_of, natsrs_jetstream};
use super::js_info::natsrs_pub_ack;
use super::msg::natsrs_msg;
use super::options::natsrs_userdata_free;
use super::status::natsrs_status;
use super::{cstr, guard, nn, payload, put, timeout_ms, UserData};
use crate::error::{err, Result};
use crate::jetstream::{PubAck, PubAckCallback, PublishOptions};
use crate::msg::Msg;

/// Options of one JetStream publish (message id, expectations, timeout). Opaque; release with
/// natsrs_js_publish_options_free.
pub struct natsrs_js_publish_options {
    opts: PublishOptions,
}

// SAFETY: pointers to natsrs_js_publish_options are only made by box_into_raw.
unsafe impl Castable for natsrs_js_publish_options {
    type Ownership = BoxOwned;
}

/// Completion of natsrs_jetstream_publish_async: runs once per message, on a library thread.
/// With NATSRS_STATUS_OK, `ack` is the server's ack, borrowed for the duration of the call;
/// otherwise (JETSTREAM, NO_RESPONDERS for "no stream", TIMEOUT, ...) `ack` is NULL, and
/// natsrs_last_error_message() / natsrs_last_error_api() called inside the callback give the
/// error's text and codes.
pub type natsrs_pub_ack_handler = Option<unsafe extern "C" fn(userdata: *mut c_void, status: natsrs_status, ack: *const natsrs_pub_ack)>;

/// Creates empty publish options. Returns an owned natsrs_js_publish_options; release with
/// natsrs_js_publish_options_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_publish_options_create(out: *mut *mut natsrs_js_publish_options) -> natsrs_status {
    guard(|| {
        nn(out, "out")?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, box_into_raw(natsrs_js_publish_options { opts: PublishOptions::default() })) };
        Ok(())
    })
}

/// Borrows publish options mutably.
///
/// # Safety
/// `o` is NULL or a live handle not used from another thread at the same time.
pub(super) unsafe fn po<'a>(o: *mut natsrs_js_publish_options) -> Result<&'a mut PublishOptions> {
    // SAFETY: forwarded caller guarantee.
    Ok(&mut unsafe { borrow_mut(o, "opts") }?.opts)
}

/// Sets the message id (`Nats-Msg-Id`): a repeat within the stream's duplicate window is
/// not stored again and its ack says duplicate.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_publish_options_set_msg_id(opts: *mut natsrs_js_publish_options, value: *const c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `opts` live (or NULL, refused); `value` a C string.
        let (o, v) = unsafe { (po(opts)?, cstr(value, "value")?) };
        if v.is_empty() {
            return Err(err!(InvalidArgument, "'value' is empty"));
        }
        o.msg_id = Some(v.to_string());
        Ok(())
    })
}

/// Expects the subject to be stored in this stream (`Nats-Expected-Stream`).
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_publish_options_set_expected_stream(
    opts: *mut natsrs_js_publish_options,
    value: *const c_char,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `opts` live (or NULL, refused); `value` a C string.
        let (o, v) = unsafe { (po(opts)?, cstr(value, "value")?) };
        if v.is_empty() {
            return Err(err!(InvalidArgument, "'value' is empty"));
        }
        o.expected_stream = Some(v.to_string());
        Ok(())
    })
}

/// Expects this id as the stream's last message id (`Nats-Expected-Last-Msg-Id`).
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_publish_options_set_expected_last_msg_id(
    opts: *mut natsrs_js_publish_options,
    value: *const c_char,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `opts` live (or NULL, refused); `value` a C string.
        let (o, v) = unsafe { (po(opts)?, cstr(value, "value")?) };
        if v.is_empty() {
            return Err(err!(InvalidArgument, "'value' is empty"));
        }
        o.expected_last_msg_id = Some(v.to_string());
        Ok(())
    })
}

/// Expects this as the stream's last sequence (`Nats-Expected-Last-Sequence`).
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_publish_options_set_expected_last_seq(opts: *mut natsrs_js_publish_options, seq: u64) -> natsrs_status {
    guard(|| {
        // SAFETY: `opts` live (or NULL, refused).
        unsafe { po(opts) }?.expected_last_seq = Some(seq);
        Ok(())
    })
}

/// Expects this as the last sequence of the subject (`Nats-Expected-Last-Subject-Sequence`).
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_publish_options_set_expected_last_subject_seq(
    opts: *mut natsrs_js_publish_options,
    seq: u64,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `opts` live (or NULL, refused).
        unsafe { po(opts) }?.expected_last_subject_seq = Some(seq);
        Ok(())
    })
}

/// Sets how long to wait for the ack (default: the context's timeout).
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_publish_options_set_timeout_ms(opts: *mut natsrs_js_publish_options, ms: i64) -> natsrs_status {
    guard(|| {
        // SAFETY: `opts` live (or NULL, refused).
        let o = unsafe { po(opts) }?;
        o.timeout = Some(timeout_ms(ms, "ms")?);
        Ok(())
    })
}

/// Releases publish options. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_publish_options_free(opts: *mut natsrs_js_publish_options) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle the caller gives up (C contract).
        drop(unsafe { handle::free_box(opts) });
        Ok(())
    });
}

/// The options behind a possibly NULL handle.
///
/// # Safety
/// `o` is NULL or a live handle.
pub(super) unsafe fn opts_or_default(o: *const natsrs_js_publish_options) -> Result<PublishOptions> {
    if o.is_null() {
        Ok(PublishOptions::default())
    } else {
        // SAFETY: non-NULL, live per the caller.
        Ok(unsafe { borrow(o, "opts") }?.opts.clone())
    }
}

/// Writes the ack to `out` when `out` is not NULL.
///
/// # Safety
/// `out` is NULL or writable.
unsafe fn put_ack(out: *mut *mut natsrs_pub_ack, ack: PubAck) {
    if !out.is_null() {
        // SAFETY: non-NULL, writable per the caller.
        unsafe { put(out, box_into_raw(natsrs_pub_ack::new(ack))) };
    }
}

/// Publishes `data` on `subject` and waits for the stream's ack. `opts` may be NULL. A
/// subject no stream captures gives NATSRS_STATUS_NO_RESPONDERS; a failed expectation
/// NATSRS_STATUS_JETSTREAM with the codes in natsrs_last_error_api. `*out_ack` (`out_ack` may be
/// NULL) gets an owned natsrs_pub_ack; release with natsrs_pub_ack_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_publish(
    js: *mut natsrs_jetstream,
    subject: *const c_char,
    data: *const u8,
    len: usize,
    opts: *const natsrs_js_publish_options,
    out_ack: *mut *mut natsrs_pub_ack,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `js` live (or NULL, refused); `subject` a C string; `data` `len` bytes.
        let (j, s, d) = unsafe { (js_of(js)?, cstr(subject, "subject")?, payload(data, len)?) };
        // SAFETY: `opts` NULL or live.
        let o = unsafe { opts_or_default(opts) }?;
        let ack = j.publish_with(s, d, &o)?;
        // SAFETY: `out_ack` NULL or writable.
        unsafe { put_ack(out_ack, ack) };
        Ok(())
    })
}

/// Like natsrs_jetstream_publish for a message (subject, headers, payload; its reply must be
/// NULL). The message is not consumed.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_publish_msg(
    js: *mut natsrs_jetstream,
    msg: *const natsrs_msg,
    opts: *const natsrs_js_publish_options,
    out_ack: *mut *mut natsrs_pub_ack,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `js` and `msg` live (or NULL, refused).
        let (j, m) = unsafe { (js_of(js)?, borrow(msg, "msg")?) };
        // SAFETY: `opts` NULL or live.
        let o = unsafe { opts_or_default(opts) }?;
        let ack = j.publish_msg(m.msg.clone(), &o)?;
        // SAFETY: `out_ack` NULL or writable.
        unsafe { put_ack(out_ack, ack) };
        Ok(())
    })
}

pub(super) fn completion(cb: unsafe extern "C" fn(*mut c_void, natsrs_status, *const natsrs_pub_ack), ud: UserData) -> PubAckCallback {
    Box::new(move |r: Result<PubAck>| {
        match r {
            Ok(a) => {
                let ack = natsrs_pub_ack::new(a);
                super::boundary::clear_last_error();
                // SAFETY: the C callback registered with this userdata, called once; `ack`
                // outlives the call.
                unsafe { cb(ud.ptr, natsrs_status::Ok, &ack) };
            }
            Err(e) => {
                // The callback can read the error's text and codes on this thread.
                let st = super::guard(|| Err(e));
                // SAFETY: as above, with no ack.
                unsafe { cb(ud.ptr, st, std::ptr::null()) };
            }
        }
        drop(ud);
    })
}

/// Publishes without waiting for the ack: returns at once unless max-pending acks are
/// outstanding (then waits up to the stall wait, then NATSRS_STATUS_TIMEOUT). `handler` (may be
/// NULL) runs once with the ack or the error; `userdata_free` (may be NULL) runs once after it.
/// On an error status the handler does not run and `userdata_free` has run. `opts` may be NULL.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_publish_async(
    js: *mut natsrs_jetstream,
    subject: *const c_char,
    data: *const u8,
    len: usize,
    opts: *const natsrs_js_publish_options,
    handler: natsrs_pub_ack_handler,
    userdata: *mut c_void,
    userdata_free: natsrs_userdata_free,
) -> natsrs_status {
    let ud = UserData { ptr: userdata, free: userdata_free };
    guard(|| {
        // SAFETY: `js` live (or NULL, refused); `subject` a C string; `data` `len` bytes.
        let (j, s, d) = unsafe { (js_of(js)?, cstr(subject, "subject")?, payload(data, len)?) };
        // SAFETY: `opts` NULL or live.
        let o = unsafe { opts_or_default(opts) }?;
        let cb = handler.map(|h| completion(h, ud));
        let m = Msg::new(s, None, d)?;
        j.publish_msg_async(m, &o, cb)?;
        Ok(())
    })
}

/// Waits up to `timeout_ms` until every async publish completed (acked or failed);
/// NATSRS_STATUS_TIMEOUT otherwise.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_publish_async_complete(js: *mut natsrs_jetstream, timeout_ms: i64) -> natsrs_status {
    guard(|| {
        // SAFETY: `js` live (or NULL, refused).
        let j = unsafe { js_of(js) }?;
        j.publish_async_complete(super::timeout_ms(timeout_ms, "timeout_ms")?)
    })
}

/// Number of async publishes still waiting for their ack.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_publish_async_pending(js: *mut natsrs_jetstream, out: *mut i64) -> natsrs_status {
    guard(|| {
        // SAFETY: `js` live (or NULL, refused).
        let j = unsafe { js_of(js) }?;
        nn(out, "out")?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, j.publish_async_pending() as i64) };
        Ok(())
    })
}
