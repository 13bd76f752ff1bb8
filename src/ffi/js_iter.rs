//! Continuous pulls on a consumer handle from C: `natsrs_js_consume_options`,
//! `natsrs_js_consumer_consume` (a handler on its own thread, giving a natsrs_consume_context)
//! and the message iterator `natsrs_js_messages` (`natsrs_js_consumer_messages`, `_next`,
//! `_stop`, `_free`). The ordered consumer (js_ordered.rs) uses the same options and handlers.

use std::ffi::{c_char, c_void};
use std::sync::Arc;

use parking_lot::Mutex;

use super::callbacks::{UdPtr, UserData};
use super::handle::{self, borrow, borrow_mut, box_into_raw, BoxOwned, Castable};
use super::jetstream::duration_ms;
use super::js_consumers::{natsrs_consume_context, natsrs_js_msg_handler};
use super::js_handles::{consumer_of, natsrs_js_consumer};
use super::msg::natsrs_msg;
use super::options::natsrs_userdata_free;
use super::status::natsrs_status;
use super::{error_to_cstring, guard, nn, put};
use crate::error::{err, Error, Result};
use crate::jetstream::{ConsumeErrorHandler, ConsumeOptions, JsMsg, JsMsgHandler, Messages, StopHandle};

/// Error callback of a consume: missed heartbeats (NATSRS_STATUS_TIMEOUT, consuming goes on
/// with a fresh pull), refused pulls (NATSRS_STATUS_JETSTREAM, goes on) and terminal errors
/// such as a deleted consumer (NATSRS_STATUS_NOT_FOUND; consuming ends). `text` is borrowed for
/// the call. Runs on the consume thread, between messages.
pub type natsrs_js_consume_error_handler = Option<unsafe extern "C" fn(userdata: *mut c_void, status: natsrs_status, text: *const c_char)>;

/// Tuning of a continuous pull (consume, message iterator, ordered consumer). Opaque; release
/// with natsrs_js_consume_options_free.
pub struct natsrs_js_consume_options {
    pub(crate) opts: ConsumeOptions,
}

// SAFETY: pointers to natsrs_js_consume_options are only made by box_into_raw.
unsafe impl Castable for natsrs_js_consume_options {
    type Ownership = BoxOwned;
}

/// Creates consume options with the defaults (500 messages ahead, no byte limit, pull requests
/// expiring after 30000 ms, heartbeat half of that, re-pull below half of max messages).
/// Returns an owned natsrs_js_consume_options; release with natsrs_js_consume_options_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_consume_options_create(out: *mut *mut natsrs_js_consume_options) -> natsrs_status {
    guard(|| {
        nn(out, "out")?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, box_into_raw(natsrs_js_consume_options { opts: ConsumeOptions::default() })) };
        Ok(())
    })
}

/// Borrows consume options mutably.
///
/// # Safety
/// `o` is NULL or a live handle not used from another thread at the same time.
unsafe fn co<'a>(o: *mut natsrs_js_consume_options) -> Result<&'a mut ConsumeOptions> {
    // SAFETY: forwarded caller guarantee.
    Ok(&mut unsafe { borrow_mut(o, "opts") }?.opts)
}

/// Sets how many messages are asked for ahead of the application (at least 1).
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_consume_options_set_max_messages(opts: *mut natsrs_js_consume_options, max: usize) -> natsrs_status {
    guard(|| {
        // SAFETY: `opts` live (or NULL, refused).
        let o = unsafe { co(opts) }?;
        if max == 0 {
            return Err(err!(InvalidArgument, "'max' must be at least 1"));
        }
        o.max_messages = max;
        Ok(())
    })
}

/// Sets how many bytes are asked for ahead (0: count messages only).
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_consume_options_set_max_bytes(opts: *mut natsrs_js_consume_options, max_bytes: usize) -> natsrs_status {
    guard(|| {
        // SAFETY: `opts` live (or NULL, refused).
        unsafe { co(opts) }?.max_bytes = max_bytes;
        Ok(())
    })
}

/// Sets the expiry of each pull request in ms (at least 1000).
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_consume_options_set_expires_ms(opts: *mut natsrs_js_consume_options, ms: i64) -> natsrs_status {
    guard(|| {
        // SAFETY: `opts` live (or NULL, refused).
        let o = unsafe { co(opts) }?;
        let d = super::timeout_ms(ms, "ms")?;
        if d < crate::jetstream::consume::MIN_CONSUME_EXPIRES {
            return Err(err!(InvalidArgument, "'ms' must be at least {}", crate::jetstream::consume::MIN_CONSUME_EXPIRES.as_millis()));
        }
        o.expires = d;
        Ok(())
    })
}

/// Sets the idle heartbeat asked from the server in ms (at most half of expires; 0: the
/// default, half of expires up to 30000). Two missed heartbeats are reported to the error
/// handler (or returned by `_next` as NATSRS_STATUS_TIMEOUT) and followed by a fresh pull.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_consume_options_set_heartbeat_ms(opts: *mut natsrs_js_consume_options, ms: i64) -> natsrs_status {
    guard(|| {
        // SAFETY: `opts` live (or NULL, refused).
        let o = unsafe { co(opts) }?;
        let d = duration_ms(ms, "ms")?;
        o.heartbeat = (!d.is_zero()).then_some(d);
        Ok(())
    })
}

/// Sets the re-pull threshold: pull again when this many or fewer messages are outstanding
/// (default half of max messages).
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_consume_options_set_threshold_messages(
    opts: *mut natsrs_js_consume_options,
    threshold: usize,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `opts` live (or NULL, refused).
        unsafe { co(opts) }?.threshold_messages = Some(threshold);
        Ok(())
    })
}

/// Releases consume options. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_consume_options_free(opts: *mut natsrs_js_consume_options) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle the caller gives up (C contract).
        drop(unsafe { handle::free_box(opts) });
        Ok(())
    });
}

/// The options behind a possibly NULL handle (copied).
///
/// # Safety
/// `o` is NULL or a live handle.
pub(crate) unsafe fn consume_opts_or_default(o: *const natsrs_js_consume_options) -> Result<ConsumeOptions> {
    if o.is_null() {
        Ok(ConsumeOptions::default())
    } else {
        // SAFETY: non-NULL, live per the caller.
        Ok(unsafe { borrow(o, "opts") }?.opts.clone())
    }
}

/// The message handler and error handler of a consume, sharing one userdata (released once,
/// when both closures are gone).
pub(crate) fn consume_handlers(
    handler: natsrs_js_msg_handler,
    error_handler: natsrs_js_consume_error_handler,
    ud: UserData,
) -> Result<(JsMsgHandler, Option<ConsumeErrorHandler>)> {
    let Some(cb) = handler else { return Err(err!(NullParameter, "'handler' is NULL")) };
    let ptr = UdPtr(ud.ptr);
    let owner = Arc::new(ud);
    let o1 = owner.clone();
    let on_msg = Box::new(move |m: JsMsg| {
        let _owner = &o1;
        let msg = natsrs_msg::from_js(m);
        // SAFETY: the C handler registered with this userdata; `msg` outlives the call.
        unsafe { cb(ptr.get(), &msg) };
    });
    let on_err = error_handler.map(|eh| {
        Box::new(move |e: &Error| {
            let _owner = &owner;
            let text = error_to_cstring(e);
            // SAFETY: the C error handler registered with this userdata; `text` outlives the call.
            unsafe { eh(ptr.get(), e.status.into(), text.as_ptr()) };
        }) as ConsumeErrorHandler
    });
    Ok((on_msg, on_err))
}

/// Consumes the consumer continuously (nats.go `Consumer.Consume`): pull requests are kept
/// open for max messages ahead and re-pulled below the threshold, with heartbeats; `handler`
/// runs on the consume thread for each message, in order, and acks (nothing is acked for it);
/// `error_handler` (may be NULL) gets the errors described at natsrs_js_consume_error_handler.
/// `opts` may be NULL (defaults). Consuming ends at natsrs_consume_context_stop/free or at a
/// terminal error (natsrs_consume_context_is_closed). `userdata` goes to both handlers;
/// `userdata_free` (may be NULL) runs once when the library is done with it (also on an error
/// status). Returns an owned natsrs_consume_context; release with natsrs_consume_context_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_consumer_consume(
    consumer: *mut natsrs_js_consumer,
    opts: *const natsrs_js_consume_options,
    handler: natsrs_js_msg_handler,
    error_handler: natsrs_js_consume_error_handler,
    userdata: *mut c_void,
    userdata_free: natsrs_userdata_free,
    out: *mut *mut natsrs_consume_context,
) -> natsrs_status {
    let ud = UserData { ptr: userdata, free: userdata_free };
    guard(|| {
        let (on_msg, on_err) = consume_handlers(handler, error_handler, ud)?;
        // SAFETY: `consumer` and `opts` NULL or live (C contract).
        let (h, o) = unsafe { (consumer_of(consumer)?, consume_opts_or_default(opts)?) };
        nn(out, "out")?;
        let ctx = h.c.consume(on_msg, on_err, o)?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, box_into_raw(natsrs_consume_context { ctx })) };
        Ok(())
    })
}

/// A message iterator over a continuous pull (nats.go `Consumer.Messages`). Opaque; release
/// with natsrs_js_messages_free. `_next` may be called from one thread at a time; `_stop` from
/// any thread.
pub struct natsrs_js_messages {
    it: Mutex<Messages>,
    stop: StopHandle,
}

// SAFETY: pointers to natsrs_js_messages are only made by box_into_raw.
unsafe impl Castable for natsrs_js_messages {
    type Ownership = BoxOwned;
}

/// Starts a message iterator on the consumer (`opts` may be NULL: defaults). Messages are
/// pulled ahead as for natsrs_js_consumer_consume and handed out by natsrs_js_messages_next.
/// Returns an owned natsrs_js_messages; release with natsrs_js_messages_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_consumer_messages(
    consumer: *mut natsrs_js_consumer,
    opts: *const natsrs_js_consume_options,
    out: *mut *mut natsrs_js_messages,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `consumer` and `opts` NULL or live (C contract).
        let (h, o) = unsafe { (consumer_of(consumer)?, consume_opts_or_default(opts)?) };
        nn(out, "out")?;
        let it = h.c.messages(o)?;
        let stop = it.stop_handle();
        // SAFETY: checked non-NULL above.
        unsafe { put(out, box_into_raw(natsrs_js_messages { it: Mutex::new(it), stop })) };
        Ok(())
    })
}

/// Waits up to `timeout_ms` for the next message: NATSRS_STATUS_TIMEOUT when none came (a
/// timeout whose last error message says "missed heartbeats" means the server went quiet; the
/// next call pulls again), NATSRS_STATUS_NOT_FOUND when the consumer was deleted,
/// NATSRS_STATUS_INVALID_SUBSCRIPTION after natsrs_js_messages_stop. Returns an owned natsrs_msg;
/// release with natsrs_msg_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_messages_next(it: *mut natsrs_js_messages, timeout_ms: i64, out: *mut *mut natsrs_msg) -> natsrs_status {
    guard(|| {
        // SAFETY: `it` live (or NULL, refused).
        let h = unsafe { borrow(it, "it") }?;
        nn(out, "out")?;
        let t = super::timeout_ms(timeout_ms, "timeout_ms")?;
        if h.stop.is_stopped() {
            return Err(StopHandle::stopped_error());
        }
        let m = h.it.lock().next(t)?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, box_into_raw(natsrs_msg::from_js(m))) };
        Ok(())
    })
}

/// Stops the iterator from any thread: a waiting natsrs_js_messages_next returns
/// NATSRS_STATUS_INVALID_SUBSCRIPTION at once, and so does every later one. Messages delivered
/// but not read stay unacked (the server redelivers them). Idempotent.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_messages_stop(it: *mut natsrs_js_messages) -> natsrs_status {
    guard(|| {
        // SAFETY: `it` live (or NULL, refused).
        unsafe { borrow(it, "it") }?.stop.stop();
        Ok(())
    })
}

/// Stops (if needed) and releases the iterator. Not while a `_next` on it runs. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_messages_free(it: *mut natsrs_js_messages) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle the caller gives up (C contract).
        if let Some(h) = unsafe { handle::free_box(it) } {
            h.stop.stop();
        }
        Ok(())
    });
}
