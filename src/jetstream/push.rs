//! Push consumers (the seed's `js.Subscribe`, `js.SubscribeSync`, `js.QueueSubscribe`).

use std::time::Duration;

use super::consumer::{AckPolicy, ConsumerConfig, ConsumerInfo, DEFAULT_ACK_POLICY};
use super::jsmsg::{handle_control, JsMsg};
use super::JetStream;
use crate::connection::{Connection, ConnectionStatus, Subscription};
use crate::error::{err, Error, Result, Status};
use crate::msg::Msg;

/// A push consumer with an idle heartbeat is reported not active after this many heartbeat
/// intervals without a message or heartbeat (nats.go: 2).
pub const MISSED_HEARTBEATS_MULTIPLE: u32 = 2;

/// Handler of a push subscription; runs on the subscription's dispatcher thread, in order.
pub type JsMsgHandler = Box<dyn FnMut(JsMsg) + Send>;

/// Options of `subscribe`, `subscribe_sync`, `queue_subscribe` and `pull_subscribe`.
#[derive(Debug, Clone, Default)]
pub struct SubscribeOptions {
    /// The stream; default: the one stream whose subjects capture the subscription subject.
    pub stream: Option<String>,
    /// Durable consumer name: used if it exists, created otherwise.
    pub durable: Option<String>,
    /// Bind to this existing consumer (error if it does not exist); nothing is created.
    pub bind: Option<String>,
    /// Base config of a consumer the library creates (deliver policy, ack policy, ack wait, max
    /// deliver, backoff, heartbeat, flow control, ...). Name, deliver subject/group and filter
    /// subject are filled in by the library.
    pub config: ConsumerConfig,
    /// Push callback subscriptions: do not ack after the handler returns (the handler acks).
    pub manual_ack: bool,
    /// Whether unsubscribe/drain delete a consumer this subscription created (default true,
    /// as nats.go; nats-py keeps it). A consumer that was bound to is never deleted.
    pub delete_consumer: Option<bool>,
    /// Push subscriptions that create their consumer: deliver to this subject instead of a new
    /// inbox (nats.go `DeliverSubject`). Ignored when an existing consumer is used.
    pub deliver_subject: Option<String>,
}

/// What a subscribe call bound to.
pub(crate) struct Bound {
    pub stream: String,
    pub consumer: String,
    pub info: ConsumerInfo,
    pub created: bool,
}

fn not_found(e: &Error) -> bool {
    e.status == Status::NotFound
}

impl JetStream {
    pub(crate) fn resolve_stream(&self, subject: &str, opts: &SubscribeOptions) -> Result<String> {
        match &opts.stream {
            Some(s) if !s.is_empty() => Ok(s.clone()),
            _ => self.stream_name_by_subject(subject),
        }
    }

    /// Finds the consumer named by `opts` (bind or durable) or creates one with `make`.
    pub(crate) fn bind_or_create(&self, stream: &str, name: Option<&str>, bind: bool, cfg: ConsumerConfig) -> Result<Bound> {
        if let Some(n) = name {
            match self.consumer_info(stream, n) {
                Ok(info) => return Ok(Bound { stream: stream.to_string(), consumer: n.to_string(), info, created: false }),
                Err(e) if not_found(&e) && !bind => {}
                Err(e) => return Err(e),
            }
        }
        let info = self.add_consumer(stream, &cfg)?;
        Ok(Bound { stream: stream.to_string(), consumer: info.name.clone(), info, created: true })
    }

    fn push_subscribe(
        &self,
        subject: &str,
        queue: Option<&str>,
        handler: Option<JsMsgHandler>,
        opts: SubscribeOptions,
    ) -> Result<PushSubscription> {
        let stream = self.resolve_stream(subject, &opts)?;
        // nats.go: a queue subscription without a durable uses the queue name as durable.
        let name = opts.bind.clone().or(opts.durable.clone()).or_else(|| queue.map(|q| q.to_string()));
        let existing = match &name {
            Some(n) => match self.consumer_info(&stream, n) {
                Ok(i) => Some(i),
                Err(e) if not_found(&e) && opts.bind.is_none() => None,
                Err(e) => return Err(e),
            },
            None => None,
        };
        let conn = self.0.conn.clone();
        let (deliver, created_cfg) = match &existing {
            Some(info) => {
                let Some(ds) = info.config.deliver_subject.clone().filter(|s| !s.is_empty()) else {
                    return Err(err!(IllegalState, "consumer '{}' is a pull consumer: use pull_subscribe", info.name));
                };
                if info.config.deliver_group.as_deref().filter(|g| !g.is_empty()) != queue {
                    return Err(err!(
                        IllegalState,
                        "consumer '{}' has deliver group {:?}, the subscription asks for {:?}",
                        info.name,
                        info.config.deliver_group,
                        queue
                    ));
                }
                if queue.is_none() && info.push_bound {
                    return Err(err!(IllegalState, "consumer '{}' is already bound to a subscription", info.name));
                }
                (ds, None)
            }
            None => {
                let mut cfg = opts.config.clone();
                let ds = opts.deliver_subject.clone().filter(|d| !d.is_empty()).unwrap_or_else(|| conn.new_inbox());
                cfg.deliver_subject = Some(ds.clone());
                cfg.deliver_group = queue.map(|q| q.to_string());
                if let Some(n) = &name {
                    cfg.durable_name = Some(n.clone());
                }
                if cfg.filter_subject.is_none() && cfg.filter_subjects.is_none() {
                    cfg.filter_subject = Some(subject.to_string());
                }
                if cfg.ack_policy.is_none() {
                    cfg.ack_policy = Some(DEFAULT_ACK_POLICY);
                }
                (ds, Some(cfg))
            }
        };
        let heartbeat = match (&existing, &created_cfg) {
            (Some(i), _) => i.config.idle_heartbeat,
            (None, Some(c)) => c.idle_heartbeat,
            _ => None,
        }
        .filter(|h| !h.is_zero());
        let ack_policy = match (&existing, &created_cfg) {
            (Some(i), _) => i.config.ack_policy.unwrap_or(AckPolicy::Explicit),
            (None, Some(c)) => c.ack_policy.unwrap_or(AckPolicy::Explicit),
            _ => AckPolicy::Explicit,
        };
        // Subscribe before creating the consumer so that no early delivery is lost.
        let sub = match handler {
            Some(mut h) => {
                let auto_ack = !opts.manual_ack && ack_policy != AckPolicy::None;
                let c = conn.clone();
                conn.subscribe(
                    &deliver,
                    queue,
                    Box::new(move |_s, m: Msg| {
                        if handle_control(&m, &c) {
                            return;
                        }
                        let jm = JsMsg::new(m, &c);
                        let keep = if auto_ack { Some(jm.clone()) } else { None };
                        h(jm);
                        if let Some(k) = keep {
                            if !k.is_acked() {
                                let _ = k.ack();
                            }
                        }
                    }),
                )?
            }
            None => conn.subscribe_sync(&deliver, queue)?,
        };
        let (consumer, created) = match created_cfg {
            Some(cfg) => match self.add_consumer(&stream, &cfg) {
                Ok(info) => (info.name, true),
                Err(e) => {
                    let _ = sub.unsubscribe();
                    return Err(e);
                }
            },
            None => (existing.map(|i| i.name).unwrap_or_default(), false),
        };
        let monitor = heartbeat.and_then(|hb| HeartbeatMonitor::start(&conn, &sub, hb, &stream, &consumer));
        Ok(PushSubscription {
            js: self.clone(),
            conn,
            sub,
            stream,
            consumer,
            created,
            delete_consumer: opts.delete_consumer.unwrap_or(true),
            _monitor: monitor,
        })
    }

    /// Push subscription with a handler (seed: `js.Subscribe("ORDERS.*", cb)`): ephemeral unless
    /// `opts.durable`; the stream is found from the subject unless `opts.stream`. Messages are
    /// acked after the handler returns unless `opts.manual_ack` (or the handler acked).
    pub fn subscribe(&self, subject: &str, handler: JsMsgHandler, opts: SubscribeOptions) -> Result<PushSubscription> {
        self.push_subscribe(subject, None, Some(handler), opts)
    }

    /// Queue push subscription: members of `queue` share one consumer (durable `queue` unless
    /// `opts.durable` names another).
    pub fn queue_subscribe(&self, subject: &str, queue: &str, handler: JsMsgHandler, opts: SubscribeOptions) -> Result<PushSubscription> {
        self.push_subscribe(subject, Some(queue), Some(handler), opts)
    }

    /// Synchronous push subscription: read with [`PushSubscription::next_msg`], ack yourself.
    pub fn subscribe_sync(&self, subject: &str, opts: SubscribeOptions) -> Result<PushSubscription> {
        self.push_subscribe(subject, None, None, opts)
    }

    /// Synchronous queue push subscription.
    pub fn queue_subscribe_sync(&self, subject: &str, queue: &str, opts: SubscribeOptions) -> Result<PushSubscription> {
        self.push_subscribe(subject, Some(queue), None, opts)
    }
}

/// A push-consumer subscription.
pub struct PushSubscription {
    js: JetStream,
    conn: Connection,
    sub: Subscription,
    stream: String,
    consumer: String,
    created: bool,
    delete_consumer: bool,
    _monitor: Option<HeartbeatMonitor>,
}

/// Watches a push subscription whose consumer sends idle heartbeats: when nothing (message or
/// heartbeat) arrived for [`MISSED_HEARTBEATS_MULTIPLE`] intervals while connected, the
/// connection's error handler gets a `Timeout` error saying the consumer is not active (once
/// per episode; activity re-arms it). Stops with the subscription.
struct HeartbeatMonitor {
    task: tokio::task::JoinHandle<()>,
}

impl HeartbeatMonitor {
    fn start(conn: &Connection, sub: &Subscription, hb: Duration, stream: &str, consumer: &str) -> Option<HeartbeatMonitor> {
        let rt = crate::runtime::handle().ok()?;
        let window = hb * MISSED_HEARTBEATS_MULTIPLE;
        let (conn, sub) = (conn.clone(), sub.clone());
        let what = format!("consumer '{}' of stream '{}'", consumer, stream);
        // Messages and heartbeats that arrived so far: handed out, waiting, or dropped.
        let arrived = |s: &Subscription| s.delivered() + s.pending().0.max(0) as u64 + s.dropped();
        let task = rt.spawn(async move {
            let mut last = arrived(&sub);
            let mut reconnects = conn.reconnects();
            let mut reported = false;
            loop {
                tokio::time::sleep(window).await;
                if !sub.is_valid() || conn.is_closed() {
                    break;
                }
                // Activity: a message or heartbeat arrived since the last look (one that waits
                // unread in the queue since earlier does not count).
                let now = arrived(&sub);
                let active = now != last;
                last = now;
                let r = conn.reconnects();
                if conn.status() != ConnectionStatus::Connected || r != reconnects {
                    // No heartbeats while disconnected; a fresh window after a reconnect.
                    reconnects = r;
                    continue;
                }
                if active {
                    reported = false;
                } else if !reported {
                    reported = true;
                    let e = err!(
                        Timeout,
                        "missed heartbeats: {} is not active (no message or heartbeat for {:?}, idle heartbeat {:?})",
                        what,
                        window,
                        hb
                    );
                    conn.report_async_error(Some(&sub), e);
                }
            }
        });
        Some(HeartbeatMonitor { task })
    }
}

impl Drop for HeartbeatMonitor {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl std::fmt::Debug for PushSubscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushSubscription").field("stream", &self.stream).field("consumer", &self.consumer).finish()
    }
}

impl PushSubscription {
    pub fn stream_name(&self) -> &str {
        &self.stream
    }
    pub fn consumer_name(&self) -> &str {
        &self.consumer
    }
    /// True when this subscription created its consumer.
    pub fn created_consumer(&self) -> bool {
        self.created
    }
    /// The core subscription on the deliver subject.
    pub fn subscription(&self) -> &Subscription {
        &self.sub
    }
    pub fn consumer_info(&self) -> Result<ConsumerInfo> {
        self.js.consumer_info(&self.stream, &self.consumer)
    }
    /// Whether unsubscribe/drain delete the consumer this subscription created.
    pub fn set_delete_consumer(&mut self, delete: bool) {
        self.delete_consumer = delete;
    }

    /// Next message of a synchronous subscription (heartbeats and flow control are handled
    /// here and never returned).
    pub fn next_msg(&self, timeout: Duration) -> Result<JsMsg> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Err(err!(Timeout, "no message within {:?}", timeout));
            }
            let m = self.sub.next_msg(left)?;
            if handle_control(&m, &self.conn) {
                continue;
            }
            return Ok(JsMsg::new(m, &self.conn));
        }
    }

    fn cleanup(&self) -> Result<()> {
        if self.created && self.delete_consumer {
            match self.js.delete_consumer(&self.stream, &self.consumer) {
                Ok(()) => {}
                Err(e) if e.status == Status::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Stops the subscription; deletes the consumer if it created it (unless told not to).
    pub fn unsubscribe(&self) -> Result<()> {
        self.sub.unsubscribe()?;
        self.cleanup()
    }

    /// Drains: messages already on the way are still handled; waits up to `timeout` for that,
    /// then deletes the consumer if it created it (unless told not to).
    pub fn drain(&self, timeout: Duration) -> Result<()> {
        self.sub.drain()?;
        self.sub.drain_wait(timeout)?;
        self.cleanup()
    }
}
