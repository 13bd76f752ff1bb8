//! Queue statistics and limits of a JetStream push subscription (`natsrs_js_subscription`):
//! pending, dropped, delivered, pending limits (nats.go's Subscription methods on a
//! JetStream subscription). The counts are those of the core subscription on the deliver
//! subject, so idle heartbeats and flow-control requests waiting in its queue count too.

use super::js_consumers::{natsrs_js_subscription, push_of};
use super::status::natsrs_status;
use super::{guard, guard_val, nn, put};

/// Writes a pair of optional out-pointers.
///
/// # Safety
/// Each pointer is NULL or writable.
unsafe fn put_pair(a: *mut i64, b: *mut i64, (x, y): (i64, i64)) {
    if !a.is_null() {
        // SAFETY: non-NULL and writable per the caller.
        unsafe { put(a, x) };
    }
    if !b.is_null() {
        // SAFETY: as above.
        unsafe { put(b, y) };
    }
}

/// Messages and bytes delivered by the server and queued in the client, not yet handed to
/// the handler or next_msg (nats.go Subscription.Pending). Either out-pointer may be NULL.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_subscription_pending(
    sub: *const natsrs_js_subscription,
    out_msgs: *mut i64,
    out_bytes: *mut i64,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `sub` live (or NULL, refused); out-pointers NULL or writable (C contract).
        unsafe { put_pair(out_msgs, out_bytes, push_of(sub)?.subscription().pending()) };
        Ok(())
    })
}

/// The most messages and bytes that were queued at once (nats.go Subscription.MaxPending).
/// Either out-pointer may be NULL.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_subscription_max_pending(
    sub: *const natsrs_js_subscription,
    out_msgs: *mut i64,
    out_bytes: *mut i64,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `sub` live (or NULL, refused); out-pointers NULL or writable (C contract).
        unsafe { put_pair(out_msgs, out_bytes, push_of(sub)?.subscription().max_pending()) };
        Ok(())
    })
}

/// Sets the client-side queue limits (messages, bytes; negative = unlimited, 0 invalid).
/// Messages over the limits are dropped (counted by natsrs_js_subscription_dropped, the
/// connection's error handler gets a slow-consumer error); the server redelivers those it
/// awaits an ack for (nats.go Subscription.SetPendingLimits).
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_subscription_set_pending_limits(
    sub: *mut natsrs_js_subscription,
    msgs: i64,
    bytes: i64,
) -> natsrs_status {
    // SAFETY: `sub` live (or NULL, refused).
    guard(|| unsafe { push_of(sub) }?.subscription().set_pending_limits(msgs, bytes))
}

/// Messages dropped because the pending limits were exceeded (nats.go Subscription.Dropped).
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_subscription_dropped(sub: *const natsrs_js_subscription, out: *mut u64) -> natsrs_status {
    guard(|| {
        // SAFETY: `sub` live (or NULL, refused).
        let d = unsafe { push_of(sub) }?.subscription().dropped();
        nn(out, "out")?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, d) };
        Ok(())
    })
}

/// Messages taken off the queue so far (handed to the handler or next_msg, heartbeats and
/// flow-control requests included; nats.go Subscription.Delivered).
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_subscription_delivered(sub: *const natsrs_js_subscription, out: *mut u64) -> natsrs_status {
    guard(|| {
        // SAFETY: `sub` live (or NULL, refused).
        let d = unsafe { push_of(sub) }?.subscription().delivered();
        nn(out, "out")?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, d) };
        Ok(())
    })
}

/// True while the subscription is active (false after unsubscribe, drain or connection
/// close, and for NULL; nats.go Subscription.IsValid).
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_subscription_is_valid(sub: *const natsrs_js_subscription) -> bool {
    // SAFETY: `sub` live (or NULL, refused).
    guard_val(false, || Ok(unsafe { push_of(sub) }?.subscription().is_valid()))
}
