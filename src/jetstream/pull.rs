//! Pull consumers: `pull_subscribe` + `fetch` (batch, bytes, no-wait).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde_json::json;

use super::consumer::{ConsumerConfig, ConsumerInfo, DEFAULT_ACK_POLICY, DEFAULT_EPHEMERAL_INACTIVE_THRESHOLD};
use super::fetch_async::AsyncFetch;
use super::jsmsg::{handle_control, JsMsg};
use super::push::SubscribeOptions;
use super::{nanos, JetStream};
use crate::connection::{Completion, Connection, ConnectionStatus, Subscription};
use crate::error::{err, Error, Result, Status};
use crate::msg::Msg;

/// Batch size used by a fetch by bytes (the byte limit ends it).
pub const FETCH_BYTES_BATCH: usize = 1_000_000;
/// The pull request expires this much before the client's fetch timeout, so the server's
/// "request timeout" arrives before the client gives up.
pub const FETCH_EXPIRES_MARGIN: Duration = Duration::from_millis(10);
/// How often a waiting fetch checks whether the connection dropped.
pub const FETCH_STATE_POLL: Duration = Duration::from_millis(100);
/// Wait before pulling again after a "no responders" answer for a consumer that exists.
pub const PULL_NO_RESPONDERS_WAIT: Duration = Duration::from_millis(100);
/// At most this many result slots are reserved up front (a larger batch grows as it fills).
pub const FETCH_PREALLOC_MAX: usize = 1024;
/// Shortest expiry sent to the server.
pub const MIN_PULL_EXPIRES: Duration = Duration::from_millis(1);

/// What one fetch asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchOptions {
    /// At most this many messages.
    pub batch: usize,
    /// At most this many bytes (0 = no limit).
    pub max_bytes: usize,
    /// Give up after this long (an empty result is a `Timeout`).
    pub timeout: Duration,
    /// Return at once with what is available (possibly nothing, which is not an error).
    pub no_wait: bool,
    /// Ask the server for idle heartbeats at this interval; two missed ones end the fetch.
    pub heartbeat: Option<Duration>,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions { batch: 1, max_bytes: 0, timeout: super::DEFAULT_TIMEOUT, no_wait: false, heartbeat: None }
    }
}

/// How a status message from the server affects a pull.
pub(crate) enum PullStatus {
    /// Heartbeat or flow control: nothing to do.
    Control,
    /// The request (or part of it) ended: no more messages for it. Carries the counts the
    /// server says the request still owed (`Nats-Pending-Messages`/`-Bytes`).
    Ended { pending_msgs: u64, pending_bytes: u64 },
    /// The server dropped the request (leadership change, server shutdown): pull again.
    /// `shutdown` is true when the server is going away.
    Interrupted { shutdown: bool },
    /// Nobody serves pulls for this consumer right now: it was deleted, or (in a cluster) its
    /// leader is not elected yet. See [`PullCore::check_consumer`].
    NoResponders,
    /// A warning (e.g. "Exceeded MaxWaiting"): the request was refused.
    Refused(Error),
    /// The consumer cannot serve pulls any more (deleted, push based, not found).
    Terminal(Error),
}

/// Classifies a status message received on a pull inbox.
pub(crate) fn classify_status(m: &Msg, stream: &str, consumer: &str) -> PullStatus {
    let code = m.status_code();
    let h = m.headers();
    let desc = h.and_then(|h| h.description()).unwrap_or("").to_string();
    let num = |k: &str| h.and_then(|h| h.get(k)).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    let ended = || PullStatus::Ended { pending_msgs: num("Nats-Pending-Messages"), pending_bytes: num("Nats-Pending-Bytes") };
    match code {
        100 => PullStatus::Control,
        404 | 408 => ended(),
        409 => {
            let d = desc.to_ascii_lowercase();
            if d.contains("consumer deleted") {
                PullStatus::Terminal(err!(NotFound, "consumer '{}' of stream '{}' was deleted", consumer, stream))
            } else if d.contains("push based") {
                PullStatus::Terminal(err!(IllegalState, "consumer '{}' is push based: it cannot be pulled from", consumer))
            } else if d.contains("leadership change") {
                PullStatus::Interrupted { shutdown: false }
            } else if d.contains("server shutdown") {
                PullStatus::Interrupted { shutdown: true }
            } else if d.contains("exceeds maxbytes") || d.contains("batch completed") {
                ended()
            } else {
                PullStatus::Refused(err!(Jetstream, "pull request refused: {} {}", code, desc))
            }
        }
        503 => PullStatus::NoResponders,
        _ => PullStatus::Refused(err!(Jetstream, "pull request failed: status {} {}", code, desc)),
    }
}

/// The pull request body.
pub(crate) fn pull_body(batch: usize, max_bytes: usize, expires: Option<Duration>, no_wait: bool, hb: Option<Duration>) -> Vec<u8> {
    let mut b = json!({ "batch": batch.max(1) });
    if max_bytes > 0 {
        b["max_bytes"] = json!(max_bytes);
    }
    if let Some(e) = expires {
        b["expires"] = json!(nanos::to_ns(&e.max(MIN_PULL_EXPIRES)));
    }
    if no_wait {
        b["no_wait"] = json!(true);
    }
    if let Some(h) = hb {
        b["idle_heartbeat"] = json!(nanos::to_ns(&h));
    }
    b.to_string().into_bytes()
}

/// One consumer's pull machinery: a sync subscription on `<inbox>.*` and the request subject.
pub(crate) struct PullCore {
    pub js: JetStream,
    pub conn: Connection,
    pub stream: String,
    pub consumer: String,
    pub sub: Subscription,
    /// `<inbox>.`; each pull request replies to `<inbox>.<id>`.
    pub prefix: String,
    pub next_subject: String,
    next_id: AtomicU64,
    /// Messages a fetch took from `sub` but did not return; the next fetch starts with them.
    carry: Mutex<VecDeque<Msg>>,
    /// The non-blocking fetch outstanding, if any (at most one; see `fetch_async`).
    pub(super) async_fetch: Mutex<Option<Arc<AsyncFetch>>>,
    /// Blocking fetches running (they may run together, but not with a non-blocking one).
    pub(super) blocking: AtomicUsize,
}

/// Counts a running blocking fetch while it lives.
struct BlockingGuard<'a>(&'a AtomicUsize);

impl Drop for BlockingGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl PullCore {
    pub fn new(js: &JetStream, stream: &str, consumer: &str) -> Result<PullCore> {
        let conn = js.0.conn.clone();
        let prefix = format!("{}.", conn.new_inbox());
        let sub = conn.subscribe_sync(&format!("{}*", prefix), None)?;
        Ok(PullCore {
            js: js.clone(),
            conn,
            stream: stream.to_string(),
            consumer: consumer.to_string(),
            sub,
            next_subject: format!("{}CONSUMER.MSG.NEXT.{}.{}", js.0.prefix, stream, consumer),
            prefix,
            next_id: AtomicU64::new(1),
            carry: Mutex::new(VecDeque::new()),
            async_fetch: Mutex::new(None),
            blocking: AtomicUsize::new(0),
        })
    }

    /// After a "no responders" answer: a clear error when the consumer is gone, Ok when it
    /// exists (no leader yet, or JetStream briefly unavailable) so the caller pulls again.
    pub fn check_consumer(&self) -> Result<()> {
        match self.js.consumer_info(&self.stream, &self.consumer) {
            Err(e) if e.status == Status::NotFound => Err(Error::new(
                Status::NotFound,
                format!("consumer '{}' of stream '{}' does not exist (deleted?): {}", self.consumer, self.stream, e.message),
            )),
            _ => Ok(()),
        }
    }

    /// Puts what a fetch took but did not look at back in front of the carried messages.
    pub(super) fn keep(&self, local: VecDeque<Msg>) {
        if local.is_empty() {
            return;
        }
        let mut c = self.carry.lock();
        for m in local.into_iter().rev() {
            c.push_front(m);
        }
    }

    /// Sends a pull request; returns its reply subject.
    pub fn pull(&self, body: &[u8]) -> Result<String> {
        self.pull_with(body, true)
    }

    /// Sends a pull request (written by the calling thread when `urgent`, else handed to the
    /// writer task); returns its reply subject.
    pub(super) fn pull_with(&self, body: &[u8], urgent: bool) -> Result<String> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let reply = format!("{}{}", self.prefix, id);
        if urgent {
            // The fetch waits for the answer: write the request now rather than hand it to the
            // writer task.
            self.conn.publish_request_urgent(&self.next_subject, &reply, body)?;
        } else {
            self.conn.publish_request(&self.next_subject, &reply, body)?;
        }
        Ok(reply)
    }

    /// Takes the carried messages (a fetch starts with them).
    pub(super) fn take_carry(&self) -> VecDeque<Msg> {
        std::mem::take(&mut *self.carry.lock())
    }

    pub fn fetch(&self, o: &FetchOptions) -> Result<Vec<JsMsg>> {
        if o.timeout.is_zero() && !o.no_wait {
            return Err(err!(InvalidArgument, "fetch timeout must be positive"));
        }
        let batch = effective_batch(o);
        let _running = {
            let a = self.async_fetch.lock();
            if a.is_some() {
                return Err(err!(IllegalState, "a non-blocking fetch is outstanding on this pull subscription (one at a time)"));
            }
            self.blocking.fetch_add(1, Ordering::AcqRel);
            BlockingGuard(&self.blocking)
        };
        let start = Instant::now();
        let timeout = if o.no_wait && o.timeout.is_zero() { self.js.timeout() } else { o.timeout };
        let deadline = start + timeout;
        // First a no-wait request: what is there comes at once and the server's "no messages"
        // ends a short batch right away; only when nothing came, a request that waits (expires
        // just before the client's timeout) follows.
        let mut reply = self.pull(&pull_body(batch, o.max_bytes, None, true, None))?;
        let mut waiting = false;
        let mut out = Vec::with_capacity(batch.min(FETCH_PREALLOC_MAX));
        let mut bytes = 0usize;
        let mut last_seen = start;
        let reconnects = self.conn.reconnects();
        // Messages taken from the subscription but not yet looked at: what is queued is taken
        // in one go (one lock, no clock read per message); what this fetch leaves goes back to
        // `carry` for the next one.
        let mut local: VecDeque<Msg> = self.take_carry();
        let mut run = || -> Result<()> {
            'fetch: loop {
                if local.is_empty() {
                    // A pull request does not survive a disconnect: end the fetch instead of
                    // waiting for its timeout.
                    if self.conn.status() != ConnectionStatus::Connected || self.conn.reconnects() != reconnects {
                        if out.is_empty() {
                            return Err(err!(NotConnected, "disconnected during the fetch (the pull request is lost)"));
                        }
                        break;
                    }
                    let want = batch - out.len();
                    let taken = match self.sub.try_next_msgs(want) {
                        Ok(v) if !v.is_empty() => Ok(v),
                        Ok(_) => {
                            let now = Instant::now();
                            let mut wait = deadline.saturating_duration_since(now).min(FETCH_STATE_POLL);
                            if let Some(hb) = o.heartbeat {
                                let hb_left = (hb * 2).saturating_sub(now.duration_since(last_seen));
                                if hb_left.is_zero() {
                                    if out.is_empty() {
                                        return Err(err!(
                                            Timeout,
                                            "fetch: missed heartbeats from consumer '{}' (idle heartbeat {:?})",
                                            self.consumer,
                                            hb
                                        ));
                                    }
                                    break;
                                }
                                wait = wait.min(hb_left);
                            }
                            if wait.is_zero() {
                                break;
                            }
                            match self.sub.next_msgs(want, wait) {
                                Err(e) if e.status == Status::Timeout => continue,
                                r => r,
                            }
                        }
                        Err(e) => Err(e),
                    };
                    match taken {
                        Ok(v) => local.extend(v),
                        Err(e) => {
                            if out.is_empty() {
                                return Err(e);
                            }
                            break;
                        }
                    }
                    if o.heartbeat.is_some() {
                        last_seen = Instant::now();
                    }
                }
                while let Some(m) = local.pop_front() {
                    // Status messages have no payload: test that first, a plain message's headers are
                    // then never parsed here.
                    if m.data().is_empty() && m.status_code() != 0 {
                        if handle_control(&m, &self.conn) {
                            continue;
                        }
                        let current = m.subject() == reply;
                        match classify_status(&m, &self.stream, &self.consumer) {
                            PullStatus::Control => continue,
                            PullStatus::Ended { .. } => {
                                if current {
                                    if waiting || o.no_wait || !out.is_empty() {
                                        break 'fetch;
                                    }
                                    let left = deadline.saturating_duration_since(Instant::now());
                                    if left <= FETCH_EXPIRES_MARGIN {
                                        break 'fetch;
                                    }
                                    let body = pull_body(batch, o.max_bytes, Some(left - FETCH_EXPIRES_MARGIN), false, o.heartbeat);
                                    reply = self.pull(&body)?;
                                    waiting = true;
                                }
                            }
                            PullStatus::Interrupted { shutdown } => {
                                if current {
                                    if !out.is_empty() {
                                        break 'fetch;
                                    }
                                    if shutdown {
                                        return Err(err!(NotConnected, "fetch: the server is shutting down (the pull request is lost)"));
                                    }
                                    let left = deadline.saturating_duration_since(Instant::now());
                                    if left <= FETCH_EXPIRES_MARGIN {
                                        break 'fetch;
                                    }
                                    let body = pull_body(batch, o.max_bytes, Some(left - FETCH_EXPIRES_MARGIN), false, o.heartbeat);
                                    reply = self.pull(&body)?;
                                    waiting = true;
                                }
                            }
                            PullStatus::Refused(e) => {
                                if current {
                                    if out.is_empty() {
                                        return Err(e);
                                    }
                                    break 'fetch;
                                }
                            }
                            PullStatus::NoResponders => {
                                if current {
                                    if !out.is_empty() {
                                        break 'fetch;
                                    }
                                    self.check_consumer()?;
                                    let left = deadline.saturating_duration_since(Instant::now());
                                    if left <= PULL_NO_RESPONDERS_WAIT + FETCH_EXPIRES_MARGIN {
                                        break 'fetch;
                                    }
                                    std::thread::sleep(PULL_NO_RESPONDERS_WAIT);
                                    let left = left - PULL_NO_RESPONDERS_WAIT;
                                    let body = if waiting {
                                        pull_body(batch, o.max_bytes, Some(left - FETCH_EXPIRES_MARGIN), false, o.heartbeat)
                                    } else {
                                        pull_body(batch, o.max_bytes, None, true, None)
                                    };
                                    reply = self.pull(&body)?;
                                }
                            }
                            PullStatus::Terminal(e) => return Err(e),
                        }
                        continue;
                    }
                    bytes += m.subject().len() + m.reply().map_or(0, |r| r.len()) + m.header_block().len() + m.data().len();
                    out.push(JsMsg::new(m, &self.conn));
                    if out.len() >= batch || (o.max_bytes > 0 && bytes >= o.max_bytes) {
                        break 'fetch;
                    }
                }
            }
            Ok(())
        };
        let r = run();
        self.keep(local);
        r?;
        if out.is_empty() && !o.no_wait {
            return Err(err!(Timeout, "fetch: no messages within {:?}", timeout));
        }
        Ok(out)
    }
}

/// The batch a fetch asks for (0 means "by bytes" when `max_bytes` is set, else 1).
pub(super) fn effective_batch(o: &FetchOptions) -> usize {
    if o.batch == 0 {
        if o.max_bytes > 0 {
            FETCH_BYTES_BATCH
        } else {
            1
        }
    } else {
        o.batch
    }
}

impl JetStream {
    /// Pull subscription (seed: `js.PullSubscribe("ORDERS.*", "MONITOR")`): binds to the durable
    /// consumer `durable` (created with `opts.config` if missing) or, without a name, creates an
    /// ephemeral one. The stream is found from the subject unless `opts.stream`.
    pub fn pull_subscribe(&self, subject: &str, durable: Option<&str>, opts: SubscribeOptions) -> Result<PullSubscription> {
        let stream = self.resolve_stream(subject, &opts)?;
        let name = opts.bind.as_deref().or(durable).or(opts.durable.as_deref());
        let mut cfg: ConsumerConfig = opts.config.clone();
        if let Some(n) = name {
            cfg.durable_name = Some(n.to_string());
        } else if cfg.inactive_threshold.is_none() {
            cfg.inactive_threshold = Some(DEFAULT_EPHEMERAL_INACTIVE_THRESHOLD);
        }
        if cfg.filter_subject.is_none() && cfg.filter_subjects.is_none() {
            cfg.filter_subject = Some(subject.to_string());
        }
        if cfg.ack_policy.is_none() {
            cfg.ack_policy = Some(DEFAULT_ACK_POLICY);
        }
        cfg.deliver_subject = None;
        let b = self.bind_or_create(&stream, name, opts.bind.is_some(), cfg)?;
        if b.info.config.deliver_subject.as_deref().is_some_and(|s| !s.is_empty()) {
            return Err(err!(IllegalState, "consumer '{}' is a push consumer: use subscribe", b.consumer));
        }
        let core = Arc::new(PullCore::new(self, &b.stream, &b.consumer)?);
        Ok(PullSubscription { core, created: b.created, delete_consumer: opts.delete_consumer.unwrap_or(true) })
    }
}

/// A pull-consumer subscription.
pub struct PullSubscription {
    core: Arc<PullCore>,
    created: bool,
    delete_consumer: bool,
}

impl std::fmt::Debug for PullSubscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PullSubscription").field("stream", &self.core.stream).field("consumer", &self.core.consumer).finish()
    }
}

impl PullSubscription {
    pub fn stream_name(&self) -> &str {
        &self.core.stream
    }
    pub fn consumer_name(&self) -> &str {
        &self.core.consumer
    }
    pub fn created_consumer(&self) -> bool {
        self.created
    }
    pub fn set_delete_consumer(&mut self, delete: bool) {
        self.delete_consumer = delete;
    }
    pub fn consumer_info(&self) -> Result<ConsumerInfo> {
        self.core.js.consumer_info(&self.core.stream, &self.core.consumer)
    }

    /// Up to `batch` messages; returns as soon as the batch is full or the server says there
    /// is no more (a short batch), `Timeout` when nothing came within `timeout`.
    pub fn fetch(&self, batch: usize, timeout: Duration) -> Result<Vec<JsMsg>> {
        self.core.fetch(&FetchOptions { batch, timeout, ..Default::default() })
    }

    /// Messages up to `max_bytes` in total (subject, reply, headers and payload).
    pub fn fetch_bytes(&self, max_bytes: usize, timeout: Duration) -> Result<Vec<JsMsg>> {
        if max_bytes == 0 {
            return Err(err!(InvalidArgument, "max_bytes must be positive"));
        }
        self.core.fetch(&FetchOptions { batch: 0, max_bytes, timeout, ..Default::default() })
    }

    /// What is available right now, up to `batch` (possibly nothing: not an error).
    pub fn fetch_no_wait(&self, batch: usize) -> Result<Vec<JsMsg>> {
        self.core.fetch(&FetchOptions { batch, no_wait: true, timeout: Duration::ZERO, ..Default::default() })
    }

    pub fn fetch_with(&self, o: &FetchOptions) -> Result<Vec<JsMsg>> {
        self.core.fetch(o)
    }

    /// Starts a fetch and returns at once with an id for [`PullSubscription::cancel_fetch`];
    /// `done` runs once, on the connection's completion thread, with what `fetch_with(o)`
    /// would have returned. No thread waits meanwhile. One fetch at a time: starting one while
    /// a non-blocking fetch is outstanding or a blocking one runs is `IllegalState`.
    pub fn fetch_async(&self, o: &FetchOptions, done: Completion<Vec<JsMsg>>) -> Result<u64> {
        super::fetch_async::start(&self.core, o, done)
    }

    /// Cancels the non-blocking fetch `id`. True: its completion will not run (it is dropped)
    /// and every message it had received is kept for the next fetch. False: it already
    /// completed or is completing.
    pub fn cancel_fetch(&self, id: u64) -> bool {
        super::fetch_async::cancel(&self.core, id)
    }

    /// Messages (and their payload bytes) received for this subscription and not yet returned
    /// by a fetch: those carried over from an earlier fetch plus those queued on its reply
    /// subscription, status answers of the server included (nats.go's Pending on a pull
    /// subscription counts its channel the same way).
    pub fn pending(&self) -> (i64, i64) {
        let (mut msgs, mut bytes) = self.core.sub.pending();
        for m in self.core.carry.lock().iter() {
            msgs += 1;
            bytes += m.data().len() as i64;
        }
        (msgs, bytes)
    }

    /// Messages dropped because the reply subscription's pending limits were exceeded.
    pub fn dropped(&self) -> u64 {
        self.core.sub.dropped()
    }

    /// Limits of the reply subscription's queue (messages, bytes; negative: none, zero refused):
    /// messages over them are dropped and redelivered by the server after the ack wait.
    pub fn set_pending_limits(&self, msgs: i64, bytes: i64) -> Result<()> {
        self.core.sub.set_pending_limits(msgs, bytes)
    }

    /// The most (messages, bytes) the reply subscription's queue held at once.
    pub fn max_pending(&self) -> (i64, i64) {
        self.core.sub.max_pending()
    }

    /// Resets the high-water marks of [`PullSubscription::max_pending`].
    pub fn clear_max_pending(&self) {
        self.core.sub.clear_max_pending()
    }

    fn cleanup(&self) -> Result<()> {
        if self.created && self.delete_consumer {
            match self.core.js.delete_consumer(&self.core.stream, &self.core.consumer) {
                Ok(()) => {}
                Err(e) if e.status == Status::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    pub fn unsubscribe(&self) -> Result<()> {
        self.core.sub.unsubscribe()?;
        self.cleanup()
    }

    pub fn drain(&self, timeout: Duration) -> Result<()> {
        // Interest ends after what is in flight arrived; unread messages stay unacked and are
        // redelivered by the server.
        self.core.sub.drain()?;
        let _ = self.core.conn.flush(timeout);
        let _ = self.core.sub.unsubscribe();
        self.cleanup()
    }
}

impl Drop for PullSubscription {
    fn drop(&mut self) {
        // A fetch still outstanding ends now, with an error (its completion runs once).
        super::fetch_async::fail(&self.core, err!(InvalidSubscription, "the pull subscription was freed while the fetch waited"));
    }
}
