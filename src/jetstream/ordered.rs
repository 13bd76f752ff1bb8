//! Ordered consumer (protocol.md §2.9): gap-free, in-order, no-ack reading over a chain of
//! ephemeral pull consumers; a new one is made on a sequence gap, missed heartbeats, a deleted
//! consumer or a reconnect, starting after the last stream sequence delivered.

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::consume::{ConsumeContext, ConsumeErrorHandler, ConsumeOptions, Messages, MsgSource, StopHandle};
use super::consumer::{AckPolicy, ConsumerConfig, DeliverPolicy, ReplayPolicy};
use super::jsmsg::JsMsg;
use super::JetStream;
use crate::error::{err, Result, Status};
use crate::Subscription;

/// Inactivity after which the server removes an ordered consumer incarnation.
pub const ORDERED_INACTIVE_THRESHOLD: Duration = Duration::from_secs(5 * 60);
/// First wait before retrying a failed (re)creation; doubles up to the maximum.
pub const ORDERED_RETRY_FIRST: Duration = Duration::from_millis(250);
pub const ORDERED_RETRY_MAX: Duration = Duration::from_secs(10);
/// Idle heartbeat of each incarnation.
pub const ORDERED_HEARTBEAT: Duration = Duration::from_secs(5);
/// While waiting, how often `next` looks for messages dropped over the queue's limits (a gap
/// no later message would reveal).
pub const ORDERED_DROP_CHECK: Duration = Duration::from_secs(1);

/// Options of an ordered consumer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderedConsumerOptions {
    /// Subjects to read (empty = the whole stream).
    pub filter_subjects: Vec<String>,
    /// Where the first incarnation starts (default `All`).
    pub deliver_policy: Option<DeliverPolicy>,
    pub opt_start_seq: Option<u64>,
    /// RFC 3339 start time for `ByStartTime`.
    pub opt_start_time: Option<String>,
    pub replay_policy: Option<ReplayPolicy>,
    pub headers_only: bool,
    /// Prefix of the incarnations' names (default: a random one).
    pub name_prefix: Option<String>,
    /// Pull tuning; the heartbeat defaults to [`ORDERED_HEARTBEAT`].
    pub consume: Option<ConsumeOptions>,
}

/// An ordered consumer; read with [`OrderedConsumer::next`] or hand it to
/// [`OrderedConsumer::consume`].
pub struct OrderedConsumer {
    js: JetStream,
    stream: String,
    opts: OrderedConsumerOptions,
    prefix: String,
    serial: u64,
    name: String,
    msgs: Option<Messages>,
    stream_seq: u64,
    consumer_seq: u64,
    reconnects: u64,
    retry: Duration,
    resets: u64,
    stop_handle: StopHandle,
    /// The name of the current incarnation, shared with [`OrderedCurrent`] handles.
    current: Arc<Mutex<String>>,
    /// The queue of the current incarnation, shared with [`OrderedCurrent`] handles.
    queue: Arc<Mutex<Queue>>,
}

/// The client-side queue of the current incarnation (its pull replies), for the counters.
#[derive(Default)]
struct Queue {
    sub: Option<Subscription>,
    /// Drops of the incarnations before it.
    dropped_before: u64,
    /// The most (messages, bytes) the queues of the incarnations before it held at once.
    peak_before: (i64, i64),
    /// Limits set with [`OrderedCurrent::set_pending_limits`], applied to every incarnation.
    limits: Option<(i64, i64)>,
}

impl Queue {
    /// Takes the current incarnation's queue out, folding its counters into the totals.
    fn retire(&mut self) {
        if let Some(s) = self.sub.take() {
            self.dropped_before += s.dropped();
            let (m, b) = s.max_pending();
            self.peak_before = (self.peak_before.0.max(m), self.peak_before.1.max(b));
        }
    }

    /// Makes `sub` the current incarnation's queue, under the limits set so far.
    fn adopt(&mut self, sub: Subscription) {
        if let Some((m, b)) = self.limits {
            // Accepted once by set_pending_limits: cannot be refused here.
            let _ = sub.set_pending_limits(m, b);
        }
        self.sub = Some(sub);
    }
}

/// The current server-side consumer of an ordered consumer, readable from any thread, also
/// while the ordered consumer is consumed on a thread of its own (nats.go's ConsumerInfo on an
/// ordered subscription).
#[derive(Clone)]
pub struct OrderedCurrent {
    js: JetStream,
    stream: String,
    name: Arc<Mutex<String>>,
    queue: Arc<Mutex<Queue>>,
}

impl OrderedCurrent {
    /// Name of the consumer in use now ("" before the first one was made).
    pub fn consumer_name(&self) -> String {
        self.name.lock().clone()
    }

    /// The server's info on the consumer in use now (`NotFound` between a reset and the next
    /// incarnation).
    pub fn consumer_info(&self) -> Result<super::ConsumerInfo> {
        self.js.consumer_info(&self.stream, &self.consumer_name())
    }

    /// Messages (and their bytes, headers and data) received by the current incarnation and not yet handed out
    /// (status answers and heartbeats in the queue count too).
    pub fn pending(&self) -> (i64, i64) {
        self.queue.lock().sub.as_ref().map(|s| s.pending()).unwrap_or((0, 0))
    }

    /// Messages dropped over the queue's limits, over all incarnations (a pull stays within
    /// them: normally 0).
    pub fn dropped(&self) -> u64 {
        let q = self.queue.lock();
        q.dropped_before + q.sub.as_ref().map(|s| s.dropped()).unwrap_or(0)
    }

    /// Limits of the client-side queue (messages, bytes; negative: none, zero refused), for the
    /// consumer in use now and every one made after it. Messages over them are dropped; the
    /// gap then makes the ordered consumer start again after the last one it delivered.
    pub fn set_pending_limits(&self, msgs: i64, bytes: i64) -> Result<()> {
        if msgs == 0 || bytes == 0 {
            return Err(err!(InvalidArgument, "pending limits cannot be zero (use a negative value for unlimited)"));
        }
        let mut q = self.queue.lock();
        q.limits = Some((msgs, bytes));
        if let Some(s) = q.sub.as_ref() {
            s.set_pending_limits(msgs, bytes)?;
        }
        Ok(())
    }

    /// The most (messages, bytes) the client-side queue held at once, over every consumer made
    /// since the start or the last [`OrderedCurrent::clear_max_pending`].
    pub fn max_pending(&self) -> (i64, i64) {
        let q = self.queue.lock();
        let (m, b) = q.sub.as_ref().map(|s| s.max_pending()).unwrap_or((0, 0));
        (q.peak_before.0.max(m), q.peak_before.1.max(b))
    }

    /// Resets the high-water marks of [`OrderedCurrent::max_pending`].
    pub fn clear_max_pending(&self) {
        let mut q = self.queue.lock();
        q.peak_before = (0, 0);
        if let Some(s) = q.sub.as_ref() {
            s.clear_max_pending();
        }
    }
}

impl OrderedConsumer {
    pub(crate) fn new(js: JetStream, stream: &str, opts: OrderedConsumerOptions) -> Result<OrderedConsumer> {
        super::check_name("stream", stream)?;
        let prefix = match &opts.name_prefix {
            Some(p) => {
                super::check_name("consumer", p)?;
                p.clone()
            }
            None => {
                let inbox = js.0.conn.new_inbox();
                let tail = inbox.rsplit('.').next().unwrap_or("oc").to_string();
                format!("oc_{}", tail)
            }
        };
        let reconnects = js.0.conn.reconnects();
        let mut oc = OrderedConsumer {
            js,
            stream: stream.to_string(),
            opts,
            prefix,
            serial: 0,
            name: String::new(),
            msgs: None,
            stream_seq: 0,
            consumer_seq: 0,
            reconnects,
            retry: ORDERED_RETRY_FIRST,
            resets: 0,
            stop_handle: StopHandle::default(),
            current: Arc::new(Mutex::new(String::new())),
            queue: Arc::default(),
        };
        oc.create()?;
        Ok(oc)
    }

    /// Name of the current incarnation.
    pub fn consumer_name(&self) -> &str {
        &self.name
    }
    /// Last stream sequence delivered.
    pub fn stream_seq(&self) -> u64 {
        self.stream_seq
    }
    /// How many times the consumer was recreated.
    pub fn resets(&self) -> u64 {
        self.resets
    }
    /// A handle that reads the current consumer from any thread.
    pub fn current(&self) -> OrderedCurrent {
        OrderedCurrent { js: self.js.clone(), stream: self.stream.clone(), name: self.current.clone(), queue: self.queue.clone() }
    }
    /// A handle that stops this consumer from another thread (a waiting `next` returns
    /// `InvalidSubscription` at once, and so does every later one).
    pub fn stop_handle(&self) -> StopHandle {
        self.stop_handle.clone()
    }

    fn config(&self) -> ConsumerConfig {
        let mut c = ConsumerConfig {
            name: Some(self.name.clone()),
            ack_policy: Some(AckPolicy::None),
            mem_storage: Some(true),
            num_replicas: Some(1),
            inactive_threshold: Some(ORDERED_INACTIVE_THRESHOLD),
            replay_policy: self.opts.replay_policy,
            headers_only: if self.opts.headers_only { Some(true) } else { None },
            ..Default::default()
        };
        match self.opts.filter_subjects.len() {
            0 => {}
            1 => c.filter_subject = Some(self.opts.filter_subjects[0].clone()),
            _ => c.filter_subjects = Some(self.opts.filter_subjects.clone()),
        }
        if self.stream_seq == 0 {
            c.deliver_policy = Some(self.opts.deliver_policy.unwrap_or(DeliverPolicy::All));
            c.opt_start_seq = self.opts.opt_start_seq;
            c.opt_start_time = self.opts.opt_start_time.clone();
            if c.deliver_policy == Some(DeliverPolicy::LastPerSubject) && self.opts.filter_subjects.is_empty() {
                c.filter_subjects = Some(vec![">".to_string()]);
            }
        } else {
            c.deliver_policy = Some(DeliverPolicy::ByStartSequence);
            c.opt_start_seq = Some(self.stream_seq + 1);
        }
        c
    }

    fn create(&mut self) -> Result<()> {
        self.serial += 1;
        self.name = format!("{}_{}", self.prefix, self.serial);
        self.current.lock().clone_from(&self.name);
        self.consumer_seq = 0;
        let cfg = self.config();
        self.js.create_consumer_action(&self.stream, &cfg, "create")?;
        let mut co = self.opts.consume.clone().unwrap_or_default();
        if co.heartbeat.is_none() {
            co.heartbeat = Some(ORDERED_HEARTBEAT.min(co.expires / 2));
        }
        let msgs = Messages::with_stop(&self.js, &self.stream, &self.name, co, self.stop_handle.clone())?;
        self.queue.lock().adopt(msgs.queue());
        self.msgs = Some(msgs);
        self.reconnects = self.js.0.conn.reconnects();
        self.retry = ORDERED_RETRY_FIRST;
        Ok(())
    }

    fn reset(&mut self) {
        self.resets += 1;
        if let Some(mut m) = self.msgs.take() {
            m.stop();
            self.queue.lock().retire();
        }
        // Best effort, off the caller's thread: the old incarnation also expires by itself.
        let (js, stream, name) = (self.js.clone(), self.stream.clone(), self.name.clone());
        let _ = std::thread::Builder::new().name("natsrs-js-ordered-del".into()).spawn(move || {
            let _ = js.delete_consumer(&stream, &name);
        });
    }

    /// The next message in stream order, each exactly once. `Timeout` when none came in time.
    pub fn next(&mut self, timeout: Duration) -> Result<JsMsg> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if self.stop_handle.is_stopped() {
                return Err(StopHandle::stopped_error());
            }
            if left.is_zero() {
                return Err(err!(Timeout, "no message within {:?}", timeout));
            }
            if self.js.0.conn.is_closed() {
                return Err(err!(ConnectionClosed, "connection closed"));
            }
            if self.msgs.is_some() && self.js.0.conn.reconnects() != self.reconnects {
                self.reset();
            }
            if self.msgs.is_none() {
                if let Err(e) = self.create() {
                    if e.api.is_some_and(|(_, c)| c == super::error_codes::STREAM_NOT_FOUND) {
                        return Err(e);
                    }
                    let wait = self.retry.min(deadline.saturating_duration_since(Instant::now()));
                    self.retry = (self.retry * 2).min(ORDERED_RETRY_MAX);
                    if wait.is_zero() {
                        return Err(e);
                    }
                    std::thread::sleep(wait);
                    continue;
                }
            }
            let m = self.msgs.as_mut().expect("created above").next(left.min(ORDERED_DROP_CHECK));
            match m {
                Ok(m) => {
                    let Ok(md) = m.metadata() else { continue };
                    if md.consumer != self.name {
                        continue; // a stale incarnation
                    }
                    if md.consumer_seq != self.consumer_seq + 1 {
                        self.reset();
                        continue;
                    }
                    self.consumer_seq = md.consumer_seq;
                    self.stream_seq = md.stream_seq;
                    return Ok(m);
                }
                Err(e) if e.status == Status::Timeout && !e.message.contains("heartbeat") => {
                    // A message dropped over the limits leaves a gap: start again after the
                    // last one delivered. (The deadline is checked at the top.)
                    if self.queue.lock().sub.as_ref().is_some_and(|s| s.dropped() > 0) {
                        self.reset();
                    }
                }
                Err(e) if e.status == Status::ConnectionClosed => return Err(e),
                Err(_) if self.stop_handle.is_stopped() => return Err(StopHandle::stopped_error()),
                Err(_) => self.reset(),
            }
        }
    }

    /// Reads with a handler on its own thread until stopped.
    pub fn consume(self, handler: Box<dyn FnMut(JsMsg) + Send>, on_error: Option<ConsumeErrorHandler>) -> Result<ConsumeContext> {
        ConsumeContext::start(Box::new(self), handler, on_error)
    }

    /// Stops reading and deletes the current incarnation (best effort, in the background).
    pub fn stop(&mut self) {
        if self.msgs.is_some() {
            self.reset();
            self.resets -= 1;
        }
    }
}

impl MsgSource for OrderedConsumer {
    fn next_msg(&mut self, timeout: Duration) -> Result<JsMsg> {
        self.next(timeout)
    }
    fn stop_source(&mut self) {
        self.stop()
    }
}

impl Drop for OrderedConsumer {
    fn drop(&mut self) {
        self.stop();
    }
}
