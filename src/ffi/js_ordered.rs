//! The ordered consumer from C (`natsrs_js_ordered_consumer`): gap-free, in-order, no-ack
//! reading of a stream that recreates its consumer on a sequence gap, missed heartbeats, a
//! deleted consumer or a reconnect. Read it with `_next` or hand it to `_consume`.

use std::ffi::c_void;

use parking_lot::Mutex;

use super::callbacks::UserData;
use super::handle::{self, borrow, box_into_raw, BoxOwned, Castable};
use super::js_config::natsrs_consumer_config;
use super::js_consumers::{natsrs_consume_context, natsrs_js_msg_handler};
use super::js_handles::{natsrs_js_stream, stream_of};
use super::js_info::{natsrs_consumer_info, put_consumer_info};
use super::js_iter::{consume_handlers, natsrs_js_consume_error_handler, natsrs_js_consume_options};
use super::msg::natsrs_msg;
use super::options::natsrs_userdata_free;
use super::status::natsrs_status;
use super::{guard, guard_val, nn, put};
use crate::error::{err, Result};
use crate::jetstream::{ConsumerConfig, OrderedConsumer, OrderedConsumerOptions, OrderedCurrent, StopHandle};

/// An ordered consumer. Opaque; release with natsrs_js_ordered_consumer_free (which stops it
/// and deletes its current server-side consumer in the background). `_next` may be called from
/// one thread at a time; `_stop` from any thread.
pub struct natsrs_js_ordered_consumer {
    /// None once handed to natsrs_js_ordered_consumer_consume.
    oc: Mutex<Option<OrderedConsumer>>,
    stop: StopHandle,
    /// The consumer in use now (readable also while consumed).
    current: OrderedCurrent,
}

// SAFETY: pointers to natsrs_js_ordered_consumer are only made by box_into_raw.
unsafe impl Castable for natsrs_js_ordered_consumer {
    type Ownership = BoxOwned;
}

/// The ordered-consumer options taken from a consumer config.
fn ordered_options(c: &ConsumerConfig) -> OrderedConsumerOptions {
    let mut filters: Vec<String> = c.filter_subjects.clone().unwrap_or_default();
    if let Some(f) = c.filter_subject.as_deref().filter(|f| !f.is_empty()) {
        filters.insert(0, f.to_string());
    }
    OrderedConsumerOptions {
        filter_subjects: filters,
        deliver_policy: c.deliver_policy,
        opt_start_seq: c.opt_start_seq,
        opt_start_time: c.opt_start_time.clone(),
        replay_policy: c.replay_policy,
        headers_only: c.headers_only.unwrap_or(false),
        name_prefix: c.consumer_name().map(str::to_string),
        consume: None,
    }
}

/// Creates an ordered consumer on the stream. `cfg` (may be NULL: the whole stream from the
/// first message) gives the filter subject(s), deliver policy and start sequence or time,
/// replay policy and headers-only; its name or durable name, if set, is the prefix of the
/// names of the consumers made on the server; other fields are ignored (the ordered consumer
/// is always ephemeral, in memory, one replica, ack none). `opts` (may be NULL) tunes the pull.
/// Returns an owned natsrs_js_ordered_consumer; release with natsrs_js_ordered_consumer_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_stream_ordered_consumer(
    stream: *mut natsrs_js_stream,
    cfg: *const natsrs_consumer_config,
    opts: *const natsrs_js_consume_options,
    out: *mut *mut natsrs_js_ordered_consumer,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `stream` live (or NULL, refused).
        let s = unsafe { stream_of(stream) }?;
        nn(out, "out")?;
        let mut o = if cfg.is_null() {
            OrderedConsumerOptions::default()
        } else {
            // SAFETY: non-NULL, live per the C contract.
            ordered_options(&unsafe { borrow(cfg, "cfg") }?.cfg)
        };
        if !opts.is_null() {
            // SAFETY: non-NULL, live per the C contract.
            o.consume = Some(unsafe { borrow(opts, "opts") }?.opts.clone());
        }
        let oc = s.st.ordered_consumer(o)?;
        let (stop, current) = (oc.stop_handle(), oc.current());
        // SAFETY: checked non-NULL above.
        unsafe { put(out, box_into_raw(natsrs_js_ordered_consumer { oc: Mutex::new(Some(oc)), stop, current })) };
        Ok(())
    })
}

/// Borrows an ordered consumer.
///
/// # Safety
/// `oc` is NULL or a live handle.
unsafe fn ordered_of<'a>(oc: *const natsrs_js_ordered_consumer) -> Result<&'a natsrs_js_ordered_consumer> {
    // SAFETY: forwarded caller guarantee.
    unsafe { borrow(oc, "oc") }
}

/// Waits up to `timeout_ms` for the next message in stream order (each exactly once; the
/// consumer is recreated behind the scenes when needed). NATSRS_STATUS_TIMEOUT when none came,
/// NATSRS_STATUS_INVALID_SUBSCRIPTION after natsrs_js_ordered_consumer_stop,
/// NATSRS_STATUS_ILLEGAL_STATE after natsrs_js_ordered_consumer_consume,
/// NATSRS_STATUS_NOT_FOUND when the stream is gone. Returns an owned natsrs_msg; release with
/// natsrs_msg_free (the message needs no ack).
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_ordered_consumer_next(
    oc: *mut natsrs_js_ordered_consumer,
    timeout_ms: i64,
    out: *mut *mut natsrs_msg,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `oc` live (or NULL, refused).
        let h = unsafe { ordered_of(oc) }?;
        nn(out, "out")?;
        let t = super::timeout_ms(timeout_ms, "timeout_ms")?;
        if h.stop.is_stopped() {
            return Err(StopHandle::stopped_error());
        }
        let mut g = h.oc.lock();
        let Some(o) = g.as_mut() else {
            return Err(err!(IllegalState, "the ordered consumer was handed to natsrs_js_ordered_consumer_consume"));
        };
        let m = o.next(t)?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, box_into_raw(natsrs_msg::from_js(m))) };
        Ok(())
    })
}

/// Hands the ordered consumer to a handler on its own thread (messages in stream order, each
/// exactly once, no acks needed); `error_handler` (may be NULL) as for
/// natsrs_js_consumer_consume. After this, `_next` is NATSRS_STATUS_ILLEGAL_STATE; stop with
/// natsrs_consume_context_stop/free (the ordered consumer handle still has to be freed).
/// `userdata_free` (may be NULL) runs once when the library is done with `userdata` (also on an
/// error status). Returns an owned natsrs_consume_context; release with
/// natsrs_consume_context_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_ordered_consumer_consume(
    oc: *mut natsrs_js_ordered_consumer,
    handler: natsrs_js_msg_handler,
    error_handler: natsrs_js_consume_error_handler,
    userdata: *mut c_void,
    userdata_free: natsrs_userdata_free,
    out: *mut *mut natsrs_consume_context,
) -> natsrs_status {
    let ud = UserData { ptr: userdata, free: userdata_free };
    guard(|| {
        let (on_msg, on_err) = consume_handlers(handler, error_handler, ud)?;
        // SAFETY: `oc` live (or NULL, refused).
        let h = unsafe { ordered_of(oc) }?;
        nn(out, "out")?;
        if h.stop.is_stopped() {
            return Err(StopHandle::stopped_error());
        }
        let Some(o) = h.oc.lock().take() else {
            return Err(err!(IllegalState, "the ordered consumer is already consumed"));
        };
        let ctx = o.consume(on_msg, on_err)?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, box_into_raw(natsrs_consume_context { ctx })) };
        Ok(())
    })
}

/// Last stream sequence handed out by `_next` (0 before the first, for NULL, while a `_next`
/// runs on another thread, and once the consumer was handed to `_consume`).
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_ordered_consumer_stream_seq(oc: *const natsrs_js_ordered_consumer) -> u64 {
    guard_val(0, || {
        // SAFETY: `oc` live (or NULL, refused).
        let h = unsafe { ordered_of(oc) }?;
        Ok(h.oc.try_lock().and_then(|g| g.as_ref().map(|o| o.stream_seq())).unwrap_or(0))
    })
}

/// The server's info on the consumer the ordered consumer uses now (it is recreated on a gap,
/// so the name changes; nats.go's ConsumerInfo on an ordered subscription). Works from any
/// thread, also while it is consumed. NATSRS_STATUS_NOT_FOUND between a reset and the next
/// consumer. Returns an owned natsrs_consumer_info; release with natsrs_consumer_info_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_ordered_consumer_consumer_info(
    oc: *const natsrs_js_ordered_consumer,
    out: *mut *mut natsrs_consumer_info,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `oc` live (or NULL, refused).
        let h = unsafe { ordered_of(oc) }?;
        nn(out, "out")?;
        let i = h.current.consumer_info()?;
        // SAFETY: checked non-NULL above.
        unsafe { put_consumer_info(out, i) };
        Ok(())
    })
}

/// Messages and bytes (headers and data) received by the consumer in use now and not yet handed out by
/// `_next` or to the consume handler (nats.go's Pending on an ordered subscription; status
/// answers and heartbeats in the queue count too). Works from any thread, also while it is
/// consumed. Either out-pointer may be NULL.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_ordered_consumer_pending(
    oc: *const natsrs_js_ordered_consumer,
    out_msgs: *mut i64,
    out_bytes: *mut i64,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `oc` live (or NULL, refused); out-pointers NULL or writable (C contract).
        unsafe { super::js_push_stats::put_pair(out_msgs, out_bytes, ordered_of(oc)?.current.pending()) };
        Ok(())
    })
}

/// Messages dropped over the client-side queue's limits, over every consumer the ordered
/// consumer made (its pulls stay within them: normally 0; nats.go's Dropped).
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_ordered_consumer_dropped(oc: *const natsrs_js_ordered_consumer, out: *mut u64) -> natsrs_status {
    guard(|| {
        // SAFETY: `oc` live (or NULL, refused).
        let d = unsafe { ordered_of(oc) }?.current.dropped();
        nn(out, "out")?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, d) };
        Ok(())
    })
}

/// The most messages and bytes the client-side queue held at once, over every consumer the
/// ordered consumer made since it started or since natsrs_js_ordered_consumer_clear_max_pending
/// (nats.go's MaxPending). Works from any thread. Either out-pointer may be NULL.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_ordered_consumer_max_pending(
    oc: *const natsrs_js_ordered_consumer,
    out_msgs: *mut i64,
    out_bytes: *mut i64,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `oc` live (or NULL, refused); out-pointers NULL or writable (C contract).
        unsafe { super::js_push_stats::put_pair(out_msgs, out_bytes, ordered_of(oc)?.current.max_pending()) };
        Ok(())
    })
}

/// Resets the high-water marks of natsrs_js_ordered_consumer_max_pending to zero.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_ordered_consumer_clear_max_pending(oc: *const natsrs_js_ordered_consumer) -> natsrs_status {
    guard(|| {
        // SAFETY: `oc` live (or NULL, refused).
        unsafe { ordered_of(oc) }?.current.clear_max_pending();
        Ok(())
    })
}

/// Limits of the client-side queue (messages, bytes; negative = unlimited, 0 is
/// NATSRS_STATUS_INVALID_ARGUMENT), kept for every consumer the ordered consumer makes after
/// this one too (nats.go's SetPendingLimits). Messages over them are dropped
/// (natsrs_js_ordered_consumer_dropped counts them); the gap makes the ordered consumer start
/// again after the last message it delivered, so none is lost or delivered twice.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_ordered_consumer_set_pending_limits(
    oc: *const natsrs_js_ordered_consumer,
    msgs: i64,
    bytes: i64,
) -> natsrs_status {
    // SAFETY: `oc` live (or NULL, refused).
    guard(|| unsafe { ordered_of(oc) }?.current.set_pending_limits(msgs, bytes))
}

/// Stops the ordered consumer from any thread: a waiting `_next` returns
/// NATSRS_STATUS_INVALID_SUBSCRIPTION at once, and so does every later one. Idempotent. (A
/// consume is stopped with natsrs_consume_context_stop instead.)
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_ordered_consumer_stop(oc: *mut natsrs_js_ordered_consumer) -> natsrs_status {
    guard(|| {
        // SAFETY: `oc` live (or NULL, refused).
        unsafe { ordered_of(oc) }?.stop.stop();
        Ok(())
    })
}

/// Stops and releases the ordered consumer (its server-side consumer is deleted in the
/// background). Not while a `_next` on it runs. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_ordered_consumer_free(oc: *mut natsrs_js_ordered_consumer) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle the caller gives up (C contract).
        drop(unsafe { handle::free_box(oc) });
        Ok(())
    });
}
