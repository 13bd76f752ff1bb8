//! Queue statistics and limits of JetStream subscriptions (nats.go's Subscription methods on a
//! JetStream subscription): for a push subscription (`natsrs_js_subscription`) pending,
//! dropped, delivered and pending limits, the counts of the core subscription on the deliver
//! subject (idle heartbeats and flow-control requests waiting in its queue count too); for a
//! pull subscription (`natsrs_pull_subscription`) the same for the queue of its reply
//! subscription (messages received and not yet returned by a fetch).

use super::js_consumers::{natsrs_js_subscription, natsrs_pull_subscription, pull_of, push_of};
use super::status::natsrs_status;
use super::{guard, guard_val, nn, put};

/// Writes a pair of optional out-pointers.
///
/// # Safety
/// Each pointer is NULL or writable.
pub(super) unsafe fn put_pair(a: *mut i64, b: *mut i64, (x, y): (i64, i64)) {
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

/// Messages and payload bytes received for a pull subscription and not yet returned by a fetch
/// (left over from an earlier fetch, or queued since; status answers of the server count too),
/// as nats.go's Pending on a pull subscription. Either out-pointer may be NULL.
#[no_mangle]
pub unsafe extern "C" fn natsrs_pull_subscription_pending(
    sub: *const natsrs_pull_subscription,
    out_msgs: *mut i64,
    out_bytes: *mut i64,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `sub` live (or NULL, refused); out-pointers NULL or writable (C contract).
        unsafe { put_pair(out_msgs, out_bytes, pull_of(sub)?.pending()) };
        Ok(())
    })
}

/// Messages a pull subscription dropped because its queue's pending limits were exceeded.
#[no_mangle]
pub unsafe extern "C" fn natsrs_pull_subscription_dropped(sub: *const natsrs_pull_subscription, out: *mut u64) -> natsrs_status {
    guard(|| {
        // SAFETY: `sub` live (or NULL, refused).
        let d = unsafe { pull_of(sub) }?.dropped();
        nn(out, "out")?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, d) };
        Ok(())
    })
}

/// Resets the high-water marks of natsrs_js_subscription_max_pending to zero (nats.go
/// Subscription.ClearMaxPending).
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_subscription_clear_max_pending(sub: *const natsrs_js_subscription) -> natsrs_status {
    guard(|| {
        // SAFETY: `sub` live (or NULL, refused).
        unsafe { push_of(sub) }?.subscription().clear_max_pending();
        Ok(())
    })
}

/// The most messages and bytes a pull subscription's queue held at once (nats.go
/// Subscription.MaxPending). Either out-pointer may be NULL.
#[no_mangle]
pub unsafe extern "C" fn natsrs_pull_subscription_max_pending(
    sub: *const natsrs_pull_subscription,
    out_msgs: *mut i64,
    out_bytes: *mut i64,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `sub` live (or NULL, refused); out-pointers NULL or writable (C contract).
        unsafe { put_pair(out_msgs, out_bytes, pull_of(sub)?.max_pending()) };
        Ok(())
    })
}

/// Limits of a pull subscription's queue (messages, bytes; negative = unlimited, 0 invalid):
/// messages over them are dropped (natsrs_pull_subscription_dropped counts them) and
/// redelivered by the server after the ack wait (nats.go Subscription.SetPendingLimits).
#[no_mangle]
pub unsafe extern "C" fn natsrs_pull_subscription_set_pending_limits(
    sub: *const natsrs_pull_subscription,
    msgs: i64,
    bytes: i64,
) -> natsrs_status {
    // SAFETY: `sub` live (or NULL, refused).
    guard(|| unsafe { pull_of(sub) }?.set_pending_limits(msgs, bytes))
}

/// Resets the high-water marks of natsrs_pull_subscription_max_pending to zero.
#[no_mangle]
pub unsafe extern "C" fn natsrs_pull_subscription_clear_max_pending(sub: *const natsrs_pull_subscription) -> natsrs_status {
    guard(|| {
        // SAFETY: `sub` live (or NULL, refused).
        unsafe { pull_of(sub) }?.clear_max_pending();
        Ok(())
    })
}
