//! `natsrs_subscription`.

use std::ffi::{c_char, c_void};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::msg::{natsrs_msg, owned_msg};
use super::{guard, guard_val, nn, put, timeout_ms, UserData};
use crate::connection::{MsgHandler, SubInner, Subscription};
use crate::error::{err, Result, Status};
use crate::msg::Msg;

/// A subscription. Opaque; release with natsrs_subscription_free.
pub struct natsrs_subscription {
    _private: [u8; 0],
}

/// Message handler of an async subscription. Runs on the subscription's dispatcher thread (never
/// on a library I/O thread), one message at a time, in order. `msg` is borrowed for the duration
/// of the call. Blocking natsrs_* calls (publish, request, flush, unsubscribe, free) are allowed.
pub type natsrs_msg_handler =
    Option<unsafe extern "C" fn(userdata: *mut c_void, sub: *mut natsrs_subscription, msg: *const natsrs_msg)>;

pub(crate) fn sub_into_raw(s: Subscription) -> *mut natsrs_subscription {
    Arc::into_raw(s.0) as *mut natsrs_subscription
}

pub(crate) unsafe fn sub_ref<'a>(sub: *const natsrs_subscription) -> Result<&'a SubInner> {
    nn(sub, "sub")?;
    // SAFETY: created by Arc::into_raw in sub_into_raw; the handle keeps it alive until free.
    Ok(&*(sub as *const SubInner))
}

unsafe fn sub_arc(sub: *const natsrs_subscription) -> Result<Subscription> {
    nn(sub, "sub")?;
    let p = sub as *const SubInner;
    // SAFETY: as above; adds one reference that the returned value owns.
    Arc::increment_strong_count(p);
    Ok(Subscription(Arc::from_raw(p)))
}

pub(crate) fn make_handler(
    cb: unsafe extern "C" fn(*mut c_void, *mut natsrs_subscription, *const natsrs_msg),
    ud: UserData,
) -> MsgHandler {
    Box::new(move |s: &Subscription, m: Msg| {
        let ud = &ud;
        let sp = Arc::as_ptr(&s.0) as *mut natsrs_subscription;
        let mp = &m as *const Msg as *const natsrs_msg;
        // SAFETY: C callback registered by the user; `m` outlives the call.
        unsafe { cb(ud.ptr, sp, mp) };
    })
}

/// Waits up to `timeout_ms` for the next message of a synchronous subscription.
/// NATSRS_STATUS_TIMEOUT if none arrived; NATSRS_STATUS_SLOW_CONSUMER once after drops;
/// NATSRS_STATUS_MAX_MESSAGES / INVALID_SUBSCRIPTION / CONNECTION_CLOSED once it has ended.
/// Returns an owned natsrs_msg; release with natsrs_msg_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_subscription_next_msg(sub: *mut natsrs_subscription, timeout_ms_: i64, out: *mut *mut natsrs_msg) -> Status {
    guard(|| {
        let s = sub_arc(sub)?;
        nn(out, "out")?;
        let m = s.next_msg(timeout_ms(timeout_ms_, "timeout_ms")?)?;
        put(out, owned_msg(m));
        Ok(())
    })
}

/// Batched receive: waits up to `timeout_ms` for the first message, then takes up to `max`
/// messages that are already queued, without waiting. `out_array` must have room for `max`
/// pointers; `*out_count` gets the number written. Each message is owned; release each with
/// natsrs_msg_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_subscription_next_msgs(
    sub: *mut natsrs_subscription,
    max: usize,
    timeout_ms_: i64,
    out_array: *mut *mut natsrs_msg,
    out_count: *mut usize,
) -> Status {
    guard(|| {
        let s = sub_arc(sub)?;
        nn(out_array, "out_array")?;
        nn(out_count, "out_count")?;
        if max == 0 {
            return Err(err!(InvalidArgument, "max must be at least 1"));
        }
        let v = s.next_msgs(max, timeout_ms(timeout_ms_, "timeout_ms")?)?;
        let n = v.len();
        for (i, m) in v.into_iter().enumerate() {
            out_array.add(i).write(owned_msg(m));
        }
        put(out_count, n);
        Ok(())
    })
}

/// Removes interest in the subject. After it returns, the handler does not run again (unless
/// it is called from that handler, which then finishes normally).
#[no_mangle]
pub unsafe extern "C" fn natsrs_subscription_unsubscribe(sub: *mut natsrs_subscription) -> Status {
    guard(|| sub_arc(sub)?.unsubscribe())
}

/// Unsubscribes automatically once `max` messages in total were received.
#[no_mangle]
pub unsafe extern "C" fn natsrs_subscription_auto_unsubscribe(sub: *mut natsrs_subscription, max: u64) -> Status {
    guard(|| sub_arc(sub)?.auto_unsubscribe(max))
}

/// Starts draining: interest is removed, messages already sent by the server are still delivered,
/// then the subscription ends. Returns at once; wait with natsrs_subscription_drain_wait.
#[no_mangle]
pub unsafe extern "C" fn natsrs_subscription_drain(sub: *mut natsrs_subscription) -> Status {
    guard(|| sub_arc(sub)?.drain())
}

/// Waits up to `timeout_ms` for a drain started with natsrs_subscription_drain to finish.
#[no_mangle]
pub unsafe extern "C" fn natsrs_subscription_drain_wait(sub: *mut natsrs_subscription, timeout_ms_: i64) -> Status {
    guard(|| sub_arc(sub)?.drain_wait(timeout_ms(timeout_ms_, "timeout_ms")?))
}

/// Sets this subscription's pending limits (messages, bytes); negative = unlimited, 0 invalid.
#[no_mangle]
pub unsafe extern "C" fn natsrs_subscription_set_pending_limits(sub: *mut natsrs_subscription, msgs: i64, bytes: i64) -> Status {
    guard(|| sub_arc(sub)?.set_pending_limits(msgs, bytes))
}

/// Messages and bytes queued in the client and not yet delivered. Either out-pointer may be NULL.
#[no_mangle]
pub unsafe extern "C" fn natsrs_subscription_pending(sub: *const natsrs_subscription, out_msgs: *mut i64, out_bytes: *mut i64) -> Status {
    guard(|| {
        let s = sub_arc(sub)?;
        let (m, b) = s.pending();
        if !out_msgs.is_null() {
            put(out_msgs, m);
        }
        if !out_bytes.is_null() {
            put(out_bytes, b);
        }
        Ok(())
    })
}

/// Messages dropped because the pending limits were exceeded.
#[no_mangle]
pub unsafe extern "C" fn natsrs_subscription_dropped(sub: *const natsrs_subscription, out: *mut u64) -> Status {
    guard(|| {
        let s = sub_arc(sub)?;
        nn(out, "out")?;
        put(out, s.dropped());
        Ok(())
    })
}

/// Messages delivered to the handler or returned by next_msg so far.
#[no_mangle]
pub unsafe extern "C" fn natsrs_subscription_delivered(sub: *const natsrs_subscription, out: *mut u64) -> Status {
    guard(|| {
        let s = sub_arc(sub)?;
        nn(out, "out")?;
        put(out, s.delivered());
        Ok(())
    })
}

/// The subscription's subject. Borrowed; valid until natsrs_subscription_free. NULL if `sub` is NULL.
#[no_mangle]
pub unsafe extern "C" fn natsrs_subscription_subject(sub: *const natsrs_subscription) -> *const c_char {
    guard_val(std::ptr::null(), || Ok(sub_ref(sub)?.subject.as_ptr()))
}

/// The queue group, or NULL if none. Borrowed; valid until natsrs_subscription_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_subscription_queue(sub: *const natsrs_subscription) -> *const c_char {
    guard_val(std::ptr::null(), || Ok(sub_ref(sub)?.queue.as_ref().map_or(std::ptr::null(), |q| q.as_ptr())))
}

/// The subscription id used on the wire (0 if `sub` is NULL).
#[no_mangle]
pub unsafe extern "C" fn natsrs_subscription_sid(sub: *const natsrs_subscription) -> u64 {
    guard_val(0, || Ok(sub_ref(sub)?.sid))
}

/// True while the subscription can still receive messages.
#[no_mangle]
pub unsafe extern "C" fn natsrs_subscription_is_valid(sub: *const natsrs_subscription) -> bool {
    guard_val(false, || Ok(sub_arc(sub)?.is_valid()))
}

/// Unsubscribes (if still active) and releases the handle. NULL is ignored. No handler runs
/// after it returns (when called from the handler itself, that call finishes first), and the
/// handler's userdata_free has run.
#[no_mangle]
pub unsafe extern "C" fn natsrs_subscription_free(sub: *mut natsrs_subscription) {
    let _ = guard(|| {
        if sub.is_null() {
            return Ok(());
        }
        let arc = Arc::from_raw(sub as *const SubInner);
        arc.handle_freed.store(true, Ordering::Release);
        let s = Subscription(arc);
        if s.0.stop(Status::InvalidSubscription) {
            if let Some(c) = s.0.conn.upgrade() {
                c.unsubscribe_sid(s.0.sid, None);
            }
        }
        s.0.join_dispatcher();
        Ok(())
    });
}
