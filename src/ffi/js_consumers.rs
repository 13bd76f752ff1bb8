//! JetStream consumers from C: `natsrs_js_subscribe_options`, push subscriptions
//! (`natsrs_js_subscription`: callback or synchronous, queue) and pull subscriptions
//! (`natsrs_pull_subscription`: fetch by count, by bytes, no-wait).

use std::ffi::{c_char, c_void};
use std::time::Duration;

use super::callbacks::UdPtr;
use super::handle::{self, borrow, borrow_mut, box_into_raw, BoxOwned, Castable};
use super::jetstream::{js_of, natsrs_jetstream};
use super::js_config::natsrs_consumer_config;
use super::js_info::{natsrs_consumer_info, put_consumer_info};
use super::msg::natsrs_msg;
use super::options::natsrs_userdata_free;
use super::status::natsrs_status;
use super::{cstr, guard, nn, opt_cstr, put, UserData};
use crate::error::{err, Result};
use crate::jetstream::{ConsumeContext, ConsumeOptions, JsMsg, JsMsgHandler, PullSubscription, PushSubscription, SubscribeOptions};

/// Options of the JetStream subscribe calls. Opaque; release with
/// natsrs_js_subscribe_options_free.
pub struct natsrs_js_subscribe_options {
    opts: SubscribeOptions,
}

// SAFETY: pointers to natsrs_js_subscribe_options are only made by box_into_raw.
unsafe impl Castable for natsrs_js_subscribe_options {
    type Ownership = BoxOwned;
}

/// A JetStream push subscription. Opaque; release with natsrs_js_subscription_free.
pub struct natsrs_js_subscription {
    sub: PushSubscription,
}

// SAFETY: pointers to natsrs_js_subscription are only made by box_into_raw.
unsafe impl Castable for natsrs_js_subscription {
    type Ownership = BoxOwned;
}

/// A JetStream pull subscription. Opaque; release with natsrs_pull_subscription_free.
pub struct natsrs_pull_subscription {
    sub: PullSubscription,
}

// SAFETY: pointers to natsrs_pull_subscription are only made by box_into_raw.
unsafe impl Castable for natsrs_pull_subscription {
    type Ownership = BoxOwned;
}

/// Message handler of a JetStream push subscription: runs on the subscription's dispatcher
/// thread, one message at a time; `msg` is borrowed for the call (natsrs_msg_clone keeps it).
/// Unless the options say manual ack, the message is acked after the handler returns (if the
/// handler did not ack, nak or term it).
pub type natsrs_js_msg_handler = Option<unsafe extern "C" fn(userdata: *mut c_void, msg: *const natsrs_msg)>;

/// Creates subscribe options with the defaults (stream found from the subject, ephemeral
/// consumer, auto-ack, a consumer the library created is deleted on unsubscribe). Returns an
/// owned natsrs_js_subscribe_options; release with natsrs_js_subscribe_options_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_subscribe_options_create(out: *mut *mut natsrs_js_subscribe_options) -> natsrs_status {
    guard(|| {
        nn(out, "out")?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, box_into_raw(natsrs_js_subscribe_options { opts: SubscribeOptions::default() })) };
        Ok(())
    })
}

/// Borrows subscribe options mutably.
///
/// # Safety
/// `o` is NULL or a live handle not used from another thread at the same time.
unsafe fn so<'a>(o: *mut natsrs_js_subscribe_options) -> Result<&'a mut SubscribeOptions> {
    // SAFETY: forwarded caller guarantee.
    Ok(&mut unsafe { borrow_mut(o, "opts") }?.opts)
}

/// Sets the stream (NULL: the one stream whose subjects capture the subject).
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_subscribe_options_set_stream(
    opts: *mut natsrs_js_subscribe_options,
    value: *const c_char,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `opts` live (or NULL, refused); `value` NULL or a C string.
        let (o, v) = unsafe { (so(opts)?, opt_cstr(value, "value")?) };
        o.stream = v.filter(|v| !v.is_empty()).map(str::to_string);
        Ok(())
    })
}

/// Sets a durable name: used if it exists, created otherwise (NULL: ephemeral).
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_subscribe_options_set_durable(
    opts: *mut natsrs_js_subscribe_options,
    value: *const c_char,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `opts` live (or NULL, refused); `value` NULL or a C string.
        let (o, v) = unsafe { (so(opts)?, opt_cstr(value, "value")?) };
        o.durable = v.filter(|v| !v.is_empty()).map(str::to_string);
        Ok(())
    })
}

/// Binds to this existing consumer; nothing is created (NOT_FOUND if it does not exist).
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_subscribe_options_set_bind(
    opts: *mut natsrs_js_subscribe_options,
    value: *const c_char,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `opts` live (or NULL, refused); `value` NULL or a C string.
        let (o, v) = unsafe { (so(opts)?, opt_cstr(value, "value")?) };
        o.bind = v.filter(|v| !v.is_empty()).map(str::to_string);
        Ok(())
    })
}

/// Sets the base config of a consumer the library creates (copied; name, deliver subject and
/// filter subject are filled in by the library).
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_subscribe_options_set_consumer_config(
    opts: *mut natsrs_js_subscribe_options,
    cfg: *const natsrs_consumer_config,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `opts` and `cfg` live (or NULL, refused).
        let (o, c) = unsafe { (so(opts)?, borrow(cfg, "cfg")?) };
        o.config = c.cfg.clone();
        Ok(())
    })
}

/// Manual ack: a push callback subscription does not ack after the handler returns.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_subscribe_options_set_manual_ack(opts: *mut natsrs_js_subscribe_options, manual: bool) -> natsrs_status {
    guard(|| {
        // SAFETY: `opts` live (or NULL, refused).
        unsafe { so(opts) }?.manual_ack = manual;
        Ok(())
    })
}

/// Whether unsubscribe, drain and free delete a consumer this subscription created (default
/// true, as nats.go; false keeps it, as nats-py). A bound consumer is never deleted.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_subscribe_options_set_delete_consumer(
    opts: *mut natsrs_js_subscribe_options,
    delete_consumer: bool,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `opts` live (or NULL, refused).
        unsafe { so(opts) }?.delete_consumer = Some(delete_consumer);
        Ok(())
    })
}

/// Push subscriptions that create their consumer deliver to `value` instead of a new inbox
/// (nats.go DeliverSubject; NULL: a new inbox). INVALID_SUBJECT for a subject that cannot be
/// published to. An existing consumer keeps its own deliver subject.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_subscribe_options_set_deliver_subject(
    opts: *mut natsrs_js_subscribe_options,
    value: *const c_char,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `opts` live (or NULL, refused); `value` NULL or a C string.
        let (o, v) = unsafe { (so(opts)?, opt_cstr(value, "value")?) };
        let v = v.filter(|v| !v.is_empty());
        if let Some(d) = v {
            if !crate::proto::subject::valid_publish_subject(d.as_bytes()) {
                return Err(err!(InvalidSubject, "invalid deliver subject '{}'", d));
            }
        }
        o.deliver_subject = v.map(str::to_string);
        Ok(())
    })
}

/// Releases subscribe options. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_subscribe_options_free(opts: *mut natsrs_js_subscribe_options) {
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
unsafe fn opts_or_default(o: *const natsrs_js_subscribe_options) -> Result<SubscribeOptions> {
    if o.is_null() {
        Ok(SubscribeOptions::default())
    } else {
        // SAFETY: non-NULL, live per the caller.
        Ok(unsafe { borrow(o, "opts") }?.opts.clone())
    }
}

fn make_handler(cb: unsafe extern "C" fn(*mut c_void, *const natsrs_msg), ud: UserData) -> JsMsgHandler {
    let ptr = UdPtr(ud.ptr);
    Box::new(move |m: JsMsg| {
        let _owner = &ud;
        let msg = natsrs_msg::from_js(m);
        // SAFETY: the C handler registered with this userdata; `msg` outlives the call.
        unsafe { cb(ptr.get(), &msg) };
    })
}

/// Subscribes with or without a handler and writes the handle.
///
/// # Safety
/// Pointers NULL or valid as documented on the exported calls.
unsafe fn push_subscribe(
    js: *mut natsrs_jetstream,
    subject: *const c_char,
    queue: Option<*const c_char>,
    handler: Option<(natsrs_js_msg_handler, UserData)>,
    opts: *const natsrs_js_subscribe_options,
    out: *mut *mut natsrs_js_subscription,
) -> Result<()> {
    // SAFETY: forwarded caller guarantee.
    let (j, s) = unsafe { (js_of(js)?, cstr(subject, "subject")?) };
    nn(out, "out")?;
    let q = match queue {
        // SAFETY: forwarded caller guarantee.
        Some(p) => Some(unsafe { cstr(p, "queue") }?),
        None => None,
    };
    // SAFETY: forwarded caller guarantee.
    let o = unsafe { opts_or_default(opts) }?;
    let sub = match handler {
        Some((cb, ud)) => {
            let Some(cb) = cb else { return Err(err!(NullParameter, "'handler' is NULL")) };
            let h = make_handler(cb, ud);
            match q {
                Some(q) => j.queue_subscribe(s, q, h, o)?,
                None => j.subscribe(s, h, o)?,
            }
        }
        None => match q {
            Some(q) => j.queue_subscribe_sync(s, q, o)?,
            None => j.subscribe_sync(s, o)?,
        },
    };
    // SAFETY: checked non-NULL above.
    unsafe { put(out, box_into_raw(natsrs_js_subscription { sub })) };
    Ok(())
}

/// Push subscription with a handler on `subject` (the stream is found from the subject unless
/// the options name it). `opts` may be NULL. `userdata_free` (may be NULL) runs once when the
/// library is done with `userdata` (also on an error status). Returns an owned
/// natsrs_js_subscription; release with natsrs_js_subscription_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_subscribe(
    js: *mut natsrs_jetstream,
    subject: *const c_char,
    handler: natsrs_js_msg_handler,
    userdata: *mut c_void,
    userdata_free: natsrs_userdata_free,
    opts: *const natsrs_js_subscribe_options,
    out: *mut *mut natsrs_js_subscription,
) -> natsrs_status {
    let ud = UserData { ptr: userdata, free: userdata_free };
    // SAFETY: pointers as documented (C contract).
    guard(|| unsafe { push_subscribe(js, subject, None, Some((handler, ud)), opts, out) })
}

/// Like natsrs_jetstream_subscribe, in queue group `queue` (the consumer's deliver group).
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_queue_subscribe(
    js: *mut natsrs_jetstream,
    subject: *const c_char,
    queue: *const c_char,
    handler: natsrs_js_msg_handler,
    userdata: *mut c_void,
    userdata_free: natsrs_userdata_free,
    opts: *const natsrs_js_subscribe_options,
    out: *mut *mut natsrs_js_subscription,
) -> natsrs_status {
    let ud = UserData { ptr: userdata, free: userdata_free };
    // SAFETY: pointers as documented (C contract).
    guard(|| unsafe { push_subscribe(js, subject, Some(queue), Some((handler, ud)), opts, out) })
}

/// Synchronous push subscription (natsrs_js_subscription_next_msg). `opts` may be NULL.
/// Returns an owned natsrs_js_subscription; release with natsrs_js_subscription_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_subscribe_sync(
    js: *mut natsrs_jetstream,
    subject: *const c_char,
    opts: *const natsrs_js_subscribe_options,
    out: *mut *mut natsrs_js_subscription,
) -> natsrs_status {
    // SAFETY: pointers as documented (C contract).
    guard(|| unsafe { push_subscribe(js, subject, None, None, opts, out) })
}

/// Synchronous push subscription in queue group `queue` (the consumer's deliver group; its
/// durable name is `queue` unless the options name one): members share the messages. `opts`
/// may be NULL. Returns an owned natsrs_js_subscription; release with
/// natsrs_js_subscription_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_queue_subscribe_sync(
    js: *mut natsrs_jetstream,
    subject: *const c_char,
    queue: *const c_char,
    opts: *const natsrs_js_subscribe_options,
    out: *mut *mut natsrs_js_subscription,
) -> natsrs_status {
    // SAFETY: pointers as documented (C contract).
    guard(|| unsafe { push_subscribe(js, subject, Some(queue), None, opts, out) })
}

/// Borrows a push subscription.
///
/// # Safety
/// `s` is NULL or a live handle.
pub(super) unsafe fn push_of<'a>(s: *const natsrs_js_subscription) -> Result<&'a PushSubscription> {
    // SAFETY: forwarded caller guarantee.
    Ok(&unsafe { borrow(s, "sub") }?.sub)
}

/// Waits up to `timeout_ms` for the next message of a synchronous push subscription
/// (TIMEOUT if none). Returns an owned natsrs_msg; release with natsrs_msg_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_subscription_next_msg(
    sub: *mut natsrs_js_subscription,
    timeout_ms: i64,
    out: *mut *mut natsrs_msg,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `sub` live (or NULL, refused).
        let s = unsafe { push_of(sub) }?;
        nn(out, "out")?;
        let m = s.next_msg(super::timeout_ms(timeout_ms, "timeout_ms")?)?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, box_into_raw(natsrs_msg::from_js(m))) };
        Ok(())
    })
}

/// The consumer's current info. Returns an owned natsrs_consumer_info; release with
/// natsrs_consumer_info_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_subscription_consumer_info(
    sub: *mut natsrs_js_subscription,
    out: *mut *mut natsrs_consumer_info,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `sub` live (or NULL, refused).
        let s = unsafe { push_of(sub) }?;
        nn(out, "out")?;
        let i = s.consumer_info()?;
        // SAFETY: checked non-NULL above.
        unsafe { put_consumer_info(out, i) };
        Ok(())
    })
}

/// Unsubscribes (and deletes a consumer it created unless the options said otherwise).
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_subscription_unsubscribe(sub: *mut natsrs_js_subscription) -> natsrs_status {
    // SAFETY: `sub` live (or NULL, refused).
    guard(|| unsafe { push_of(sub) }?.unsubscribe())
}

/// Drains: stops new deliveries, lets queued messages be handled, then unsubscribes; waits up
/// to `timeout_ms`.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_subscription_drain(sub: *mut natsrs_js_subscription, timeout_ms: i64) -> natsrs_status {
    guard(|| {
        // SAFETY: `sub` live (or NULL, refused).
        let s = unsafe { push_of(sub) }?;
        s.drain(super::timeout_ms(timeout_ms, "timeout_ms")?)
    })
}

/// Releases a push subscription (unsubscribing it if still active). NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_subscription_free(sub: *mut natsrs_js_subscription) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle the caller gives up (C contract).
        if let Some(s) = unsafe { handle::free_box(sub) } {
            let _ = s.sub.unsubscribe();
        }
        Ok(())
    });
}

/// Pull subscription on `subject` with durable name `durable` (NULL: ephemeral). `opts` may be
/// NULL. Returns an owned natsrs_pull_subscription; release with natsrs_pull_subscription_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_pull_subscribe(
    js: *mut natsrs_jetstream,
    subject: *const c_char,
    durable: *const c_char,
    opts: *const natsrs_js_subscribe_options,
    out: *mut *mut natsrs_pull_subscription,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `js` live (or NULL, refused); strings C strings (durable may be NULL).
        let (j, s, d) = unsafe { (js_of(js)?, cstr(subject, "subject")?, opt_cstr(durable, "durable")?) };
        nn(out, "out")?;
        // SAFETY: `opts` NULL or live.
        let o = unsafe { opts_or_default(opts) }?;
        let sub = j.pull_subscribe(s, d, o)?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, box_into_raw(natsrs_pull_subscription { sub })) };
        Ok(())
    })
}

/// Borrows a pull subscription.
///
/// # Safety
/// `s` is NULL or a live handle.
pub(crate) unsafe fn pull_of<'a>(s: *const natsrs_pull_subscription) -> Result<&'a PullSubscription> {
    // SAFETY: forwarded caller guarantee.
    Ok(&unsafe { borrow(s, "sub") }?.sub)
}

/// Writes fetched messages to the caller's array.
///
/// # Safety
/// `out_array` has room for `room` pointers and `out_count` is writable (both checked non-NULL).
pub(crate) unsafe fn put_batch(v: Vec<JsMsg>, room: usize, out_array: *mut *mut natsrs_msg, out_count: *mut usize) {
    let n = v.len().min(room);
    for (i, m) in v.into_iter().take(n).enumerate() {
        // SAFETY: i < n <= room, per the caller.
        unsafe { out_array.add(i).write(box_into_raw(natsrs_msg::from_js(m))) };
    }
    // SAFETY: per the caller.
    unsafe { put(out_count, n) };
}

/// Fetches up to `batch` messages, waiting up to `timeout_ms`: a short batch comes back as soon
/// as the server says there are no more; none at all is NATSRS_STATUS_TIMEOUT. `out_array` must
/// have room for `batch` pointers; `*out_count` gets the number written. Each message is owned;
/// release each with natsrs_msg_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_pull_subscription_fetch(
    sub: *mut natsrs_pull_subscription,
    batch: usize,
    timeout_ms: i64,
    out_array: *mut *mut natsrs_msg,
    out_count: *mut usize,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `sub` live (or NULL, refused).
        let s = unsafe { pull_of(sub) }?;
        nn(out_array, "out_array")?;
        nn(out_count, "out_count")?;
        if batch == 0 {
            return Err(err!(InvalidArgument, "'batch' must be at least 1"));
        }
        let v = s.fetch(batch, super::timeout_ms(timeout_ms, "timeout_ms")?)?;
        // SAFETY: room for `batch` pointers (C contract); both checked non-NULL.
        unsafe { put_batch(v, batch, out_array, out_count) };
        Ok(())
    })
}

/// Fetches messages up to `max_bytes` in total and at most `max_msgs` (the room in
/// `out_array`), waiting up to `timeout_ms`; as natsrs_pull_subscription_fetch otherwise.
#[no_mangle]
pub unsafe extern "C" fn natsrs_pull_subscription_fetch_bytes(
    sub: *mut natsrs_pull_subscription,
    max_bytes: usize,
    max_msgs: usize,
    timeout_ms: i64,
    out_array: *mut *mut natsrs_msg,
    out_count: *mut usize,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `sub` live (or NULL, refused).
        let s = unsafe { pull_of(sub) }?;
        nn(out_array, "out_array")?;
        nn(out_count, "out_count")?;
        if max_bytes == 0 || max_msgs == 0 {
            return Err(err!(InvalidArgument, "'max_bytes' and 'max_msgs' must be at least 1"));
        }
        let o = crate::jetstream::FetchOptions {
            batch: max_msgs,
            max_bytes,
            timeout: super::timeout_ms(timeout_ms, "timeout_ms")?,
            ..Default::default()
        };
        let v = s.fetch_with(&o)?;
        // SAFETY: room for `max_msgs` pointers (C contract); both checked non-NULL.
        unsafe { put_batch(v, max_msgs, out_array, out_count) };
        Ok(())
    })
}

/// Fetches up to `batch` messages (and at most `max_bytes` in total when `max_bytes` > 0),
/// waiting up to `timeout_ms`, with the server asked for an idle heartbeat every `heartbeat_ms`
/// while the pull request waits (nats.go's PullHeartbeat). When two heartbeats in a row are
/// missed (the server or the route went quiet), the fetch ends early: with the messages that
/// came before, or NATSRS_STATUS_TIMEOUT whose last error message says "missed heartbeats" when
/// none came. `heartbeat_ms` must be at least 1 and less than half of `timeout_ms`.
/// `out_array` must have room for `batch` pointers; otherwise as natsrs_pull_subscription_fetch.
#[no_mangle]
pub unsafe extern "C" fn natsrs_pull_subscription_fetch_heartbeat(
    sub: *mut natsrs_pull_subscription,
    batch: usize,
    max_bytes: usize,
    timeout_ms: i64,
    heartbeat_ms: i64,
    out_array: *mut *mut natsrs_msg,
    out_count: *mut usize,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `sub` live (or NULL, refused).
        let s = unsafe { pull_of(sub) }?;
        nn(out_array, "out_array")?;
        nn(out_count, "out_count")?;
        if batch == 0 {
            return Err(err!(InvalidArgument, "'batch' must be at least 1"));
        }
        let timeout = super::timeout_ms(timeout_ms, "timeout_ms")?;
        if heartbeat_ms < 1 || heartbeat_ms.saturating_mul(2) >= timeout_ms {
            return Err(err!(
                InvalidArgument,
                "'heartbeat_ms' must be at least 1 and less than half of 'timeout_ms' (got {})",
                heartbeat_ms
            ));
        }
        let o = crate::jetstream::FetchOptions {
            batch,
            max_bytes,
            timeout,
            heartbeat: Some(Duration::from_millis(heartbeat_ms as u64)),
            ..Default::default()
        };
        let v = s.fetch_with(&o)?;
        // SAFETY: room for `batch` pointers (C contract); both checked non-NULL.
        unsafe { put_batch(v, batch, out_array, out_count) };
        Ok(())
    })
}

/// Fetches up to `batch` messages that are available now, without waiting for more; an empty
/// result is OK with `*out_count == 0`. Otherwise as natsrs_pull_subscription_fetch.
#[no_mangle]
pub unsafe extern "C" fn natsrs_pull_subscription_fetch_no_wait(
    sub: *mut natsrs_pull_subscription,
    batch: usize,
    out_array: *mut *mut natsrs_msg,
    out_count: *mut usize,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `sub` live (or NULL, refused).
        let s = unsafe { pull_of(sub) }?;
        nn(out_array, "out_array")?;
        nn(out_count, "out_count")?;
        if batch == 0 {
            return Err(err!(InvalidArgument, "'batch' must be at least 1"));
        }
        let v = s.fetch_no_wait(batch)?;
        // SAFETY: room for `batch` pointers (C contract); both checked non-NULL.
        unsafe { put_batch(v, batch, out_array, out_count) };
        Ok(())
    })
}

/// The pull consumer's current info. Returns an owned natsrs_consumer_info; release with
/// natsrs_consumer_info_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_pull_subscription_consumer_info(
    sub: *mut natsrs_pull_subscription,
    out: *mut *mut natsrs_consumer_info,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `sub` live (or NULL, refused).
        let s = unsafe { pull_of(sub) }?;
        nn(out, "out")?;
        let i = s.consumer_info()?;
        // SAFETY: checked non-NULL above.
        unsafe { put_consumer_info(out, i) };
        Ok(())
    })
}

/// Unsubscribes (and deletes a consumer it created unless the options said otherwise).
#[no_mangle]
pub unsafe extern "C" fn natsrs_pull_subscription_unsubscribe(sub: *mut natsrs_pull_subscription) -> natsrs_status {
    // SAFETY: `sub` live (or NULL, refused).
    guard(|| unsafe { pull_of(sub) }?.unsubscribe())
}

/// Drains the pull subscription, waiting up to `timeout_ms`.
#[no_mangle]
pub unsafe extern "C" fn natsrs_pull_subscription_drain(sub: *mut natsrs_pull_subscription, timeout_ms: i64) -> natsrs_status {
    guard(|| {
        // SAFETY: `sub` live (or NULL, refused).
        let s = unsafe { pull_of(sub) }?;
        s.drain(super::timeout_ms(timeout_ms, "timeout_ms")?)
    })
}

/// Releases a pull subscription (unsubscribing it if still active). NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn natsrs_pull_subscription_free(sub: *mut natsrs_pull_subscription) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle the caller gives up (C contract).
        if let Some(s) = unsafe { handle::free_box(sub) } {
            let _ = s.sub.unsubscribe();
        }
        Ok(())
    });
}

/// A running `consume` (continuous pull with a handler). Opaque; release with
/// natsrs_consume_context_free (which stops it).
pub struct natsrs_consume_context {
    pub(crate) ctx: ConsumeContext,
}

// SAFETY: pointers to natsrs_consume_context are only made by box_into_raw.
unsafe impl Castable for natsrs_consume_context {
    type Ownership = BoxOwned;
}

/// Consumes the existing consumer `consumer` of `stream` continuously (nats.go's
/// `Consumer.Consume`): the library keeps pull requests open for `max_messages` ahead (0: the
/// default) and re-pulls below half of that, with heartbeats; and `handler` runs on its own thread for each
/// message, in order; the handler acks (nothing is acked for it). Consuming ends at
/// natsrs_consume_context_stop/free, or at a terminal error such as a deleted consumer
/// (natsrs_consume_context_is_closed). `userdata_free` (may be NULL) runs once when the library
/// is done with `userdata` (also on an error status). Returns an owned natsrs_consume_context;
/// release with natsrs_consume_context_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_consume(
    js: *mut natsrs_jetstream,
    stream: *const c_char,
    consumer: *const c_char,
    max_messages: usize,
    handler: natsrs_js_msg_handler,
    userdata: *mut c_void,
    userdata_free: natsrs_userdata_free,
    out: *mut *mut natsrs_consume_context,
) -> natsrs_status {
    let ud = UserData { ptr: userdata, free: userdata_free };
    guard(|| {
        // SAFETY: `js` live (or NULL, refused); strings C strings.
        let (j, s, c) = unsafe { (js_of(js)?, cstr(stream, "stream")?, cstr(consumer, "consumer")?) };
        nn(out, "out")?;
        let Some(cb) = handler else { return Err(err!(NullParameter, "'handler' is NULL")) };
        let mut o = ConsumeOptions::default();
        if max_messages > 0 {
            o.max_messages = max_messages;
        }
        let h = j.stream(s)?.consumer(c)?;
        let ctx = h.consume(make_handler(cb, ud), None, o)?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, box_into_raw(natsrs_consume_context { ctx })) };
        Ok(())
    })
}

/// Stops consuming; returns once the handler will not run again (unless called from it).
/// Idempotent.
#[no_mangle]
pub unsafe extern "C" fn natsrs_consume_context_stop(ctx: *mut natsrs_consume_context) -> natsrs_status {
    guard(|| {
        // SAFETY: `ctx` live (or NULL, refused).
        unsafe { borrow(ctx, "ctx") }?.ctx.stop();
        Ok(())
    })
}

/// True once consuming ended (stopped, or a terminal error); false for NULL.
#[no_mangle]
pub unsafe extern "C" fn natsrs_consume_context_is_closed(ctx: *const natsrs_consume_context) -> bool {
    super::guard_val(false, || {
        // SAFETY: `ctx` live (or NULL, refused).
        Ok(unsafe { borrow(ctx, "ctx") }?.ctx.is_closed())
    })
}

/// Stops consuming and releases the context. NULL is ignored. Not from the handler.
#[no_mangle]
pub unsafe extern "C" fn natsrs_consume_context_free(ctx: *mut natsrs_consume_context) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle the caller gives up (C contract).
        drop(unsafe { handle::free_box(ctx) });
        Ok(())
    });
}
