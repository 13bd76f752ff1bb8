//! Acks of JetStream messages on `natsrs_msg` (ack, ack-sync, nak, nak with delay, term, term
//! with reason, in progress) and their metadata, parsed from the `$JS.ACK` reply subject.

use std::ffi::c_char;

use super::handle::borrow;
use super::jetstream::{duration_ms, put_string, rfc3339_ns};
use super::msg::{natsrs_msg, StoredPos};
use super::status::natsrs_status;
use super::{cstr, guard, nn, put};
use crate::error::{err, Result};
use crate::jetstream::{JsMsg, MsgMetadata};

/// The JetStream side of a message; ILLEGAL_STATE for a core message.
///
/// # Safety
/// `msg` is NULL or a live message (owned, or borrowed during its handler call).
unsafe fn js_msg<'a>(msg: *const natsrs_msg) -> Result<&'a JsMsg> {
    // SAFETY: forwarded caller guarantee.
    let m = unsafe { borrow(msg, "msg") }?;
    m.js.as_ref().ok_or_else(|| err!(IllegalState, "not a JetStream message (it did not come from a JetStream consumer)"))
}

/// Acknowledges a JetStream message (`+ACK`). ILLEGAL_STATE for a core message or a message
/// already acked, nak'ed or terminated.
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_ack(msg: *const natsrs_msg) -> natsrs_status {
    guard(|| {
        // SAFETY: `msg` live (or NULL, refused).
        unsafe { js_msg(msg) }?.ack()
    })
}

/// Negative ack: the server redelivers the message (`-NAK`).
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_nak(msg: *const natsrs_msg) -> natsrs_status {
    guard(|| {
        // SAFETY: `msg` live (or NULL, refused).
        unsafe { js_msg(msg) }?.nak()
    })
}

/// Stops redelivery of the message (`+TERM`).
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_term(msg: *const natsrs_msg) -> natsrs_status {
    guard(|| {
        // SAFETY: `msg` live (or NULL, refused).
        unsafe { js_msg(msg) }?.term()
    })
}

/// Tells the server the message is still being worked on (`+WPI`), resetting its ack wait;
/// may be sent several times before the final ack.
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_in_progress(msg: *const natsrs_msg) -> natsrs_status {
    guard(|| {
        // SAFETY: `msg` live (or NULL, refused).
        unsafe { js_msg(msg) }?.in_progress()
    })
}

/// Acknowledges and waits up to `timeout_ms` for the server to confirm it (double ack).
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_ack_sync(msg: *const natsrs_msg, timeout_ms: i64) -> natsrs_status {
    guard(|| {
        // SAFETY: `msg` live (or NULL, refused).
        let m = unsafe { js_msg(msg) }?;
        m.ack_sync(super::timeout_ms(timeout_ms, "timeout_ms")?)
    })
}

/// Negative ack asking the server to redeliver after `delay_ms` (0: at once).
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_nak_with_delay_ms(msg: *const natsrs_msg, delay_ms: i64) -> natsrs_status {
    guard(|| {
        // SAFETY: `msg` live (or NULL, refused).
        let m = unsafe { js_msg(msg) }?;
        m.nak_with_delay(duration_ms(delay_ms, "delay_ms")?)
    })
}

/// Terminates with a reason the server puts in its advisory.
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_term_with_reason(msg: *const natsrs_msg, reason: *const c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `msg` live (or NULL, refused); `reason` a C string.
        let (m, r) = unsafe { (js_msg(msg)?, cstr(reason, "reason")?) };
        m.term_with_reason(r)
    })
}

/// True once the message (or a clone of it) was acked, nak'ed or terminated; false for a core
/// message or NULL.
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_is_acked(msg: *const natsrs_msg) -> bool {
    super::guard_val(false, || {
        // SAFETY: `msg` live (or NULL, refused).
        Ok(unsafe { js_msg(msg) }?.is_acked())
    })
}

/// True for a message delivered by a JetStream consumer (it can be acked).
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_is_jetstream(msg: *const natsrs_msg) -> bool {
    super::guard_val(false, || {
        // SAFETY: `msg` live (or NULL, refused).
        Ok(unsafe { borrow(msg, "msg") }?.js.is_some())
    })
}

/// Metadata of a JetStream message, from its `$JS.ACK` reply subject.
#[repr(C)]
pub struct natsrs_msg_metadata {
    /// Sequence in the stream.
    pub stream_seq: u64,
    /// Sequence in the consumer.
    pub consumer_seq: u64,
    /// How often it was delivered (1 the first time).
    pub num_delivered: u64,
    /// Messages left in the consumer after this one.
    pub num_pending: u64,
    /// When the message was stored, ns since the Unix epoch.
    pub timestamp_ns: i64,
}

/// Parsed metadata (sequences, delivery count, pending, timestamp) into `*out`. ILLEGAL_STATE
/// for a message that did not come from JetStream. The stream, consumer and domain names are
/// in natsrs_msg_metadata_json.
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_get_metadata(msg: *const natsrs_msg, out: *mut natsrs_msg_metadata) -> natsrs_status {
    guard(|| {
        // SAFETY: `msg` live (or NULL, refused).
        let md = unsafe { metadata(msg) }?;
        nn(out, "out")?;
        let v = natsrs_msg_metadata {
            stream_seq: md.stream_seq,
            consumer_seq: md.consumer_seq,
            num_delivered: md.num_delivered,
            num_pending: md.num_pending,
            timestamp_ns: md.timestamp_ns,
        };
        // SAFETY: checked non-NULL above.
        unsafe { put(out, v) };
        Ok(())
    })
}

/// The metadata of `msg`.
///
/// # Safety
/// `msg` is NULL or a live message.
unsafe fn metadata(msg: *const natsrs_msg) -> Result<MsgMetadata> {
    // SAFETY: forwarded caller guarantee.
    let m = unsafe { borrow(msg, "msg") }?;
    match &m.js {
        Some(j) => j.metadata(),
        None => MsgMetadata::parse(m.msg.reply().unwrap_or("")),
    }
}

/// The metadata as JSON: `{"stream", "consumer", "domain", "stream_seq", "consumer_seq",
/// "num_delivered", "num_pending", "timestamp_ns"}`. Returns an owned string; release with
/// natsrs_string_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_metadata_json(msg: *const natsrs_msg, out: *mut *mut c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `msg` live (or NULL, refused).
        let md = unsafe { metadata(msg) }?;
        let v = serde_json::json!({
            "stream": md.stream,
            "consumer": md.consumer,
            "domain": md.domain,
            "stream_seq": md.stream_seq,
            "consumer_seq": md.consumer_seq,
            "num_delivered": md.num_delivered,
            "num_pending": md.num_pending,
            "timestamp_ns": md.timestamp_ns,
        });
        // SAFETY: `out` checked by put_string.
        unsafe { put_string(out, &v.to_string()) }
    })
}

/// Where and when the stream stored `msg`: from a stream read (get_msg, get_last_msg, direct
/// get), from the `$JS.ACK` reply of a consumer delivery, or from `Nats-Sequence` /
/// `Nats-Time-Stamp` headers (a raw direct-get reply).
///
/// # Safety
/// `msg` is NULL or a live message.
unsafe fn stored_pos(msg: *const natsrs_msg) -> Result<StoredPos> {
    // SAFETY: forwarded caller guarantee.
    let m = unsafe { borrow(msg, "msg") }?;
    if let Some(p) = m.stored {
        return Ok(p);
    }
    if let Some(j) = &m.js {
        let md = j.metadata()?;
        return Ok(StoredPos { seq: md.stream_seq, time_ns: md.timestamp_ns });
    }
    if let Ok(md) = MsgMetadata::parse(m.msg.reply().unwrap_or("")) {
        return Ok(StoredPos { seq: md.stream_seq, time_ns: md.timestamp_ns });
    }
    let h = m.msg.headers();
    match h.and_then(|h| h.get("Nats-Sequence")).and_then(|s| s.trim().parse::<u64>().ok()) {
        Some(seq) => {
            let time_ns = h.and_then(|h| h.get("Nats-Time-Stamp")).map_or(0, rfc3339_ns);
            Ok(StoredPos { seq, time_ns })
        }
        None => Err(err!(IllegalState, "not a stored message (it did not come from a stream read or a JetStream consumer)")),
    }
}

/// The stream sequence of a message read from a stream (natsrs_jetstream_get_msg,
/// natsrs_jetstream_get_last_msg, direct get) or delivered by a JetStream consumer, into
/// `*out` (nats.go RawStreamMsg.Sequence, nats-py RawStreamMsg.seq). ILLEGAL_STATE for a core
/// message.
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_stored_seq(msg: *const natsrs_msg, out: *mut u64) -> natsrs_status {
    guard(|| {
        // SAFETY: `msg` live (or NULL, refused).
        let p = unsafe { stored_pos(msg) }?;
        nn(out, "out")?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, p.seq) };
        Ok(())
    })
}

/// When the stream stored the message, in ns since the Unix epoch, into `*out` (nats.go
/// RawStreamMsg.Time). Same messages as natsrs_msg_stored_seq; ILLEGAL_STATE for a core
/// message.
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_stored_time_ns(msg: *const natsrs_msg, out: *mut i64) -> natsrs_status {
    guard(|| {
        // SAFETY: `msg` live (or NULL, refused).
        let p = unsafe { stored_pos(msg) }?;
        nn(out, "out")?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, p.time_ns) };
        Ok(())
    })
}
