//! `natsrs_subscription`: the C handle of a core `Subscription`, its message handler, receive,
//! unsubscribe, drain, limits, counters, free.

use std::ffi::{c_char, c_void, CString};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use super::callbacks::{ConnCtx, UdPtr, UserData};
use super::connection::natsrs_connection;
use super::handle::{self, arc_as_ptr, arc_into_raw, borrow, ArcOwned, Castable};
use super::msg::{natsrs_msg, owned_msg};
use super::options::natsrs_userdata_free;
use super::status::natsrs_status;
use super::{cstr, guard, guard_val, nn, put};
use crate::connection::Subscription;
use crate::error::{err, Result};
use crate::msg::Msg;

/// A subscription. Opaque; release with natsrs_subscription_free.
pub struct natsrs_subscription {
    /// Set when subscribe returns, or by the handler's first message if that comes first.
    sub: OnceLock<Subscription>,
    subject: CString,
    queue: Option<CString>,
    /// The handle was freed: the error callback passes NULL instead of it.
    freed: AtomicBool,
    ctx: Arc<ConnCtx>,
}

// SAFETY: pointers to natsrs_subscription are only made by arc_into_raw / arc_as_ptr.
unsafe impl Castable for natsrs_subscription {
    type Ownership = ArcOwned;
}

impl natsrs_subscription {
    /// The core subscription behind the handle.
    pub(crate) fn subscription(&self) -> Result<&Subscription> {
        self.sub.get().ok_or_else(|| err!(IllegalState, "the subscription is not set up yet"))
    }

    pub(crate) fn is_freed(&self) -> bool {
        self.freed.load(Ordering::Acquire)
    }
}

/// Borrows the core subscription behind `sub`.
///
/// # Safety
/// `sub` is NULL or a live handle (between subscribe and natsrs_subscription_free, or the
/// pointer a handler received, during that call).
unsafe fn sub_of<'a>(sub: *const natsrs_subscription) -> Result<&'a Subscription> {
    // SAFETY: forwarded caller guarantee.
    unsafe { borrow(sub, "sub") }?.subscription()
}

/// Message handler of an async subscription. Runs on the subscription's dispatcher thread (never
/// on a library I/O thread), one message at a time, in order. `msg` is borrowed for the duration
/// of the call. Blocking natsrs_* calls (publish, request, flush, unsubscribe, free) are allowed.
pub type natsrs_msg_handler = Option<unsafe extern "C" fn(userdata: *mut c_void, sub: *mut natsrs_subscription, msg: *const natsrs_msg)>;

/// The handler given to the core: calls C with the handle and a borrowed message. It owns the
/// userdata, so userdata_free runs when the dispatcher is done (before unsubscribe/free return).
fn make_handler(
    cb: unsafe extern "C" fn(*mut c_void, *mut natsrs_subscription, *const natsrs_msg),
    ud: UserData,
    handle: Arc<natsrs_subscription>,
) -> crate::connection::MsgHandler {
    let ptr = UdPtr(ud.ptr);
    Box::new(move |s: &Subscription, m: Msg| {
        let _owner = &ud;
        let _ = handle.sub.get_or_init(|| s.clone());
        let msg = natsrs_msg::borrowed(m);
        // SAFETY: the C handler registered with this userdata; the handle is kept alive by the
        // closure and `msg` outlives the call.
        unsafe { cb(ptr.get(), arc_as_ptr(&handle), &msg) };
    })
}

/// Subscribes (async with `handler`, else sync) and writes the new handle to `out`. As before
/// the split, the userdata is the library's (released on error) once the connection, `out`,
/// the subject and the queue were accepted.
///
/// # Safety
/// `nc` is NULL or a live connection; `subject`/`queue` NULL or NUL-terminated strings; `out`
/// NULL or writable.
pub(crate) unsafe fn subscribe(
    nc: *mut natsrs_connection,
    subject: *const c_char,
    queue: Option<*const c_char>,
    handler: Option<(natsrs_msg_handler, *mut c_void, natsrs_userdata_free)>,
    out: *mut *mut natsrs_subscription,
) -> Result<()> {
    // SAFETY: forwarded caller guarantee.
    let h = unsafe { borrow(nc, "nc") }?;
    let c = h.connection()?;
    nn(out, "out")?;
    // SAFETY: forwarded caller guarantee.
    let subj = unsafe { cstr(subject, "subject") }?;
    let q = match queue {
        // SAFETY: forwarded caller guarantee.
        Some(p) => Some(unsafe { cstr(p, "queue") }?),
        None => None,
    };
    let handle = Arc::new(natsrs_subscription {
        sub: OnceLock::new(),
        subject: CString::new(subj).map_err(|_| err!(InvalidSubject, "subject contains NUL"))?,
        queue: q.map(CString::new).transpose().map_err(|_| err!(InvalidQueue, "queue contains NUL"))?,
        freed: AtomicBool::new(false),
        ctx: h.ctx.clone(),
    });
    let sub = match handler {
        Some((cb, ptr, free)) => {
            // From here on the library owns the userdata (an error below releases it).
            let ud = UserData { ptr, free };
            let Some(cb) = cb else {
                drop(ud);
                return Err(err!(NullParameter, "'handler' is NULL"));
            };
            c.subscribe(subj, q, make_handler(cb, ud, handle.clone()))?
        }
        None => c.subscribe_sync(subj, q)?,
    };
    let sid = sub.sid();
    let _ = handle.sub.set(sub);
    h.ctx.add_sub(sid, &handle);
    // SAFETY: `out` checked non-NULL above.
    unsafe { put(out, arc_into_raw(handle)) };
    Ok(())
}

/// Waits up to `timeout_ms` for the next message of a synchronous subscription.
/// NATSRS_STATUS_TIMEOUT if none arrived; NATSRS_STATUS_SLOW_CONSUMER once after drops;
/// NATSRS_STATUS_MAX_MESSAGES / INVALID_SUBSCRIPTION / CONNECTION_CLOSED once it has ended.
/// Returns an owned natsrs_msg; release with natsrs_msg_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_subscription_next_msg(
    sub: *mut natsrs_subscription,
    timeout_ms: i64,
    out: *mut *mut natsrs_msg,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `sub` is NULL or a live handle (C contract).
        let s = unsafe { sub_of(sub) }?;
        nn(out, "out")?;
        let m = s.next_msg(super::timeout_ms(timeout_ms, "timeout_ms")?)?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, owned_msg(m)) };
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
    timeout_ms: i64,
    out_array: *mut *mut natsrs_msg,
    out_count: *mut usize,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `sub` is NULL or a live handle (C contract).
        let s = unsafe { sub_of(sub) }?;
        nn(out_array, "out_array")?;
        nn(out_count, "out_count")?;
        if max == 0 {
            return Err(err!(InvalidArgument, "max must be at least 1"));
        }
        let v = s.next_msgs(max, super::timeout_ms(timeout_ms, "timeout_ms")?)?;
        let n = v.len();
        for (i, m) in v.into_iter().enumerate() {
            // SAFETY: `out_array` has room for `max` pointers (C contract) and i < n <= max.
            unsafe { out_array.add(i).write(owned_msg(m)) };
        }
        // SAFETY: checked non-NULL above.
        unsafe { put(out_count, n) };
        Ok(())
    })
}

/// Removes interest in the subject. After it returns, the handler does not run again (unless
/// it is called from that handler, which then finishes normally).
#[no_mangle]
pub unsafe extern "C" fn natsrs_subscription_unsubscribe(sub: *mut natsrs_subscription) -> natsrs_status {
    // SAFETY: `sub` is NULL or a live handle (C contract).
    guard(|| unsafe { sub_of(sub) }?.unsubscribe())
}

/// Unsubscribes automatically once `max` messages in total were received.
#[no_mangle]
pub unsafe extern "C" fn natsrs_subscription_auto_unsubscribe(sub: *mut natsrs_subscription, max: u64) -> natsrs_status {
    // SAFETY: `sub` is NULL or a live handle (C contract).
    guard(|| unsafe { sub_of(sub) }?.auto_unsubscribe(max))
}

/// Starts draining: interest is removed, messages already sent by the server are still delivered,
/// then the subscription ends. Returns at once; wait with natsrs_subscription_drain_wait.
#[no_mangle]
pub unsafe extern "C" fn natsrs_subscription_drain(sub: *mut natsrs_subscription) -> natsrs_status {
    // SAFETY: `sub` is NULL or a live handle (C contract).
    guard(|| unsafe { sub_of(sub) }?.drain())
}

/// Waits up to `timeout_ms` for a drain started with natsrs_subscription_drain to finish.
#[no_mangle]
pub unsafe extern "C" fn natsrs_subscription_drain_wait(sub: *mut natsrs_subscription, timeout_ms: i64) -> natsrs_status {
    guard(|| {
        // SAFETY: `sub` is NULL or a live handle (C contract).
        let s = unsafe { sub_of(sub) }?;
        s.drain_wait(super::timeout_ms(timeout_ms, "timeout_ms")?)
    })
}

/// Sets this subscription's pending limits (messages, bytes); negative = unlimited, 0 invalid.
#[no_mangle]
pub unsafe extern "C" fn natsrs_subscription_set_pending_limits(sub: *mut natsrs_subscription, msgs: i64, bytes: i64) -> natsrs_status {
    // SAFETY: `sub` is NULL or a live handle (C contract).
    guard(|| unsafe { sub_of(sub) }?.set_pending_limits(msgs, bytes))
}

/// Messages and bytes queued in the client and not yet delivered. Either out-pointer may be NULL.
#[no_mangle]
pub unsafe extern "C" fn natsrs_subscription_pending(
    sub: *const natsrs_subscription,
    out_msgs: *mut i64,
    out_bytes: *mut i64,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `sub` is NULL or a live handle (C contract).
        let (m, b) = unsafe { sub_of(sub) }?.pending();
        if !out_msgs.is_null() {
            // SAFETY: non-NULL out-pointer (C contract: writable).
            unsafe { put(out_msgs, m) };
        }
        if !out_bytes.is_null() {
            // SAFETY: as above.
            unsafe { put(out_bytes, b) };
        }
        Ok(())
    })
}

/// The most messages and bytes that were queued at once (high-water marks), since the
/// subscription was made or since natsrs_subscription_clear_max_pending (nats.go
/// Subscription.MaxPending). Either out-pointer may be NULL.
#[no_mangle]
pub unsafe extern "C" fn natsrs_subscription_max_pending(
    sub: *const natsrs_subscription,
    out_msgs: *mut i64,
    out_bytes: *mut i64,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `sub` is NULL or a live handle (C contract).
        let (m, b) = unsafe { sub_of(sub) }?.max_pending();
        if !out_msgs.is_null() {
            // SAFETY: non-NULL out-pointer (C contract: writable).
            unsafe { put(out_msgs, m) };
        }
        if !out_bytes.is_null() {
            // SAFETY: as above.
            unsafe { put(out_bytes, b) };
        }
        Ok(())
    })
}

/// Resets the high-water marks of natsrs_subscription_max_pending to 0 (nats.go
/// Subscription.ClearMaxPending).
#[no_mangle]
pub unsafe extern "C" fn natsrs_subscription_clear_max_pending(sub: *mut natsrs_subscription) -> natsrs_status {
    guard(|| {
        // SAFETY: `sub` is NULL or a live handle (C contract).
        unsafe { sub_of(sub) }?.clear_max_pending();
        Ok(())
    })
}

/// Messages dropped because the pending limits were exceeded.
#[no_mangle]
pub unsafe extern "C" fn natsrs_subscription_dropped(sub: *const natsrs_subscription, out: *mut u64) -> natsrs_status {
    guard(|| {
        // SAFETY: `sub` is NULL or a live handle (C contract).
        let s = unsafe { sub_of(sub) }?;
        nn(out, "out")?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, s.dropped()) };
        Ok(())
    })
}

/// Messages delivered to the handler or returned by next_msg so far.
#[no_mangle]
pub unsafe extern "C" fn natsrs_subscription_delivered(sub: *const natsrs_subscription, out: *mut u64) -> natsrs_status {
    guard(|| {
        // SAFETY: `sub` is NULL or a live handle (C contract).
        let s = unsafe { sub_of(sub) }?;
        nn(out, "out")?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, s.delivered()) };
        Ok(())
    })
}

/// The subscription's subject. Borrowed; valid until natsrs_subscription_free. NULL if `sub` is NULL.
#[no_mangle]
pub unsafe extern "C" fn natsrs_subscription_subject(sub: *const natsrs_subscription) -> *const c_char {
    // SAFETY: `sub` is NULL or a live handle (C contract).
    guard_val(std::ptr::null(), || Ok(unsafe { borrow(sub, "sub") }?.subject.as_ptr()))
}

/// The queue group, or NULL if none. Borrowed; valid until natsrs_subscription_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_subscription_queue(sub: *const natsrs_subscription) -> *const c_char {
    guard_val(std::ptr::null(), || {
        // SAFETY: `sub` is NULL or a live handle (C contract).
        let h = unsafe { borrow(sub, "sub") }?;
        Ok(h.queue.as_ref().map_or(std::ptr::null(), |q| q.as_ptr()))
    })
}

/// The subscription id used on the wire (0 if `sub` is NULL).
#[no_mangle]
pub unsafe extern "C" fn natsrs_subscription_sid(sub: *const natsrs_subscription) -> u64 {
    // SAFETY: `sub` is NULL or a live handle (C contract).
    guard_val(0, || Ok(unsafe { sub_of(sub) }?.sid()))
}

/// True while the subscription can still receive messages.
#[no_mangle]
pub unsafe extern "C" fn natsrs_subscription_is_valid(sub: *const natsrs_subscription) -> bool {
    // SAFETY: `sub` is NULL or a live handle (C contract).
    guard_val(false, || Ok(unsafe { sub_of(sub) }?.is_valid()))
}

/// Unsubscribes (if still active) and releases the handle. NULL is ignored. No handler runs
/// after it returns (when called from the handler itself, that call finishes first), and the
/// handler's userdata_free has run.
#[no_mangle]
pub unsafe extern "C" fn natsrs_subscription_free(sub: *mut natsrs_subscription) {
    let _ = guard(|| {
        // SAFETY: `sub` is NULL or a handle the caller gives up (C contract).
        let Some(h) = (unsafe { handle::free_arc(sub) }) else { return Ok(()) };
        h.freed.store(true, Ordering::Release);
        if let Ok(s) = h.subscription() {
            h.ctx.remove_sub(s.sid());
            s.unsubscribe_and_wait();
        }
        Ok(())
    });
}
