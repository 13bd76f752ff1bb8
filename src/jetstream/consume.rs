//! The newer consumer API (nats.go `jetstream` package): consumer handles, continuous pulls
//! with heartbeats ([`Messages`] iterator, [`ConsumeContext`] callback).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::consumer::ConsumerInfo;
use super::jsmsg::{handle_control, JsMsg};
use super::pull::{classify_status, pull_body, FetchOptions, PullCore, PullStatus};
use super::JetStream;
use crate::connection::Subscription;
use crate::error::{err, Error, Result, Status};

/// Messages buffered by a continuous pull (nats.go: 500).
pub const DEFAULT_CONSUME_MAX_MESSAGES: usize = 500;
/// Expiry of each pull request of a continuous pull (nats.go: 30 s).
pub const DEFAULT_CONSUME_EXPIRES: Duration = Duration::from_secs(30);
/// Shortest allowed expiry of a continuous pull.
pub const MIN_CONSUME_EXPIRES: Duration = Duration::from_secs(1);
/// Largest idle heartbeat (nats.go: 30 s); default heartbeat is expires / 2.
pub const MAX_CONSUME_HEARTBEAT: Duration = Duration::from_secs(30);
/// Re-pull when the outstanding messages drop to this percentage of `max_messages`.
pub const DEFAULT_CONSUME_THRESHOLD_PERCENT: usize = 50;
/// How long a `consume` thread waits for one message before checking whether it was stopped.
pub const CONSUME_POLL: Duration = Duration::from_millis(100);

/// Options of `messages()` / `consume()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumeOptions {
    /// Messages asked for ahead of the application.
    pub max_messages: usize,
    /// Bytes asked for ahead (0 = count messages only).
    pub max_bytes: usize,
    /// Expiry of each pull request.
    pub expires: Duration,
    /// Idle heartbeat asked from the server (default expires / 2, at most 30 s); two missed
    /// heartbeats are reported and followed by a fresh pull.
    pub heartbeat: Option<Duration>,
    /// Re-pull when outstanding messages fall to this many (default half of max_messages).
    pub threshold_messages: Option<usize>,
}

impl Default for ConsumeOptions {
    fn default() -> Self {
        ConsumeOptions {
            max_messages: DEFAULT_CONSUME_MAX_MESSAGES,
            max_bytes: 0,
            expires: DEFAULT_CONSUME_EXPIRES,
            heartbeat: None,
            threshold_messages: None,
        }
    }
}

impl ConsumeOptions {
    fn heartbeat(&self) -> Duration {
        self.heartbeat.unwrap_or_else(|| (self.expires / 2).min(MAX_CONSUME_HEARTBEAT))
    }
    fn threshold(&self) -> usize {
        self.threshold_messages.unwrap_or(self.max_messages * DEFAULT_CONSUME_THRESHOLD_PERCENT / 100)
    }
}

/// Stops a [`Messages`] iterator (or an ordered consumer) from any thread: a `next` waiting on
/// another thread returns at once with `InvalidSubscription`. Cheap to clone.
#[derive(Clone, Default)]
pub struct StopHandle(Arc<StopInner>);

#[derive(Default)]
struct StopInner {
    stopped: AtomicBool,
    /// The subscription a waiting `next` reads from (the current one).
    sub: Mutex<Option<Subscription>>,
}

impl StopHandle {
    /// Stops: the current and every later `next` fail with `InvalidSubscription`.
    pub fn stop(&self) {
        self.0.stopped.store(true, Ordering::Release);
        let s = self.0.sub.lock().take();
        if let Some(s) = s {
            let _ = s.unsubscribe();
        }
    }
    pub fn is_stopped(&self) -> bool {
        self.0.stopped.load(Ordering::Acquire)
    }
    /// Makes `sub` the one a stop ends (ends it at once when already stopped).
    pub(crate) fn watch(&self, sub: &Subscription) {
        *self.0.sub.lock() = Some(sub.clone());
        if self.is_stopped() {
            self.stop();
        }
    }
    /// The error a stopped message stream reports (`InvalidSubscription`).
    pub fn stopped_error() -> Error {
        err!(InvalidSubscription, "the message stream was stopped")
    }
}

/// A continuous pull from one consumer, read message by message (nats.go `Messages()`).
pub struct Messages {
    stop_handle: StopHandle,
    core: PullCore,
    opts: ConsumeOptions,
    pending_msgs: usize,
    pending_bytes: usize,
    last_seen: Instant,
    reconnects: u64,
    stopped: bool,
}

impl Messages {
    pub(crate) fn new(js: &JetStream, stream: &str, consumer: &str, opts: ConsumeOptions) -> Result<Messages> {
        Self::with_stop(js, stream, consumer, opts, StopHandle::default())
    }

    /// As `new`, stopped by `stop_handle` too (an ordered consumer shares one across incarnations).
    pub(crate) fn with_stop(
        js: &JetStream,
        stream: &str,
        consumer: &str,
        opts: ConsumeOptions,
        stop_handle: StopHandle,
    ) -> Result<Messages> {
        if opts.max_messages == 0 {
            return Err(err!(InvalidArgument, "max_messages must be positive"));
        }
        if opts.expires < MIN_CONSUME_EXPIRES {
            return Err(err!(InvalidArgument, "expires must be at least {:?}", MIN_CONSUME_EXPIRES));
        }
        if opts.heartbeat() * 2 > opts.expires {
            return Err(err!(InvalidArgument, "the heartbeat must be at most half of expires"));
        }
        let core = PullCore::new(js, stream, consumer)?;
        stop_handle.watch(&core.sub);
        let reconnects = core.conn.reconnects();
        Ok(Messages { stop_handle, core, opts, pending_msgs: 0, pending_bytes: 0, last_seen: Instant::now(), reconnects, stopped: false })
    }

    pub fn stream_name(&self) -> &str {
        &self.core.stream
    }
    pub fn consumer_name(&self) -> &str {
        &self.core.consumer
    }
    /// A handle that stops this iterator from another thread.
    pub fn stop_handle(&self) -> StopHandle {
        self.stop_handle.clone()
    }
    /// The subscription the pull replies queue on (for its counters).
    pub(crate) fn queue(&self) -> crate::Subscription {
        self.core.sub.clone()
    }

    fn pull_if_needed(&mut self) -> Result<()> {
        if self.pending_msgs > self.opts.threshold() {
            return Ok(());
        }
        let batch = self.opts.max_messages - self.pending_msgs;
        let bytes = if self.opts.max_bytes > 0 { self.opts.max_bytes.saturating_sub(self.pending_bytes) } else { 0 };
        if self.opts.max_bytes > 0 && bytes == 0 {
            return Ok(());
        }
        let body = pull_body(batch, bytes, Some(self.opts.expires), false, Some(self.opts.heartbeat()));
        self.core.pull(&body)?;
        self.pending_msgs += batch;
        self.pending_bytes += bytes;
        Ok(())
    }

    /// The next message. `Timeout` when none came in time; a `Timeout` whose message says
    /// "missed heartbeats" means the server went quiet (a fresh pull follows on the next call).
    /// Errors with status `Jetstream`/`NotFound` (consumer deleted) are terminal.
    pub fn next(&mut self, timeout: Duration) -> Result<JsMsg> {
        if self.stopped || self.stop_handle.is_stopped() {
            return Err(StopHandle::stopped_error());
        }
        let deadline = Instant::now() + timeout;
        let hb2 = self.opts.heartbeat() * 2;
        loop {
            let r = self.core.conn.reconnects();
            if r != self.reconnects {
                // Pull requests do not survive a reconnect: start over.
                self.reconnects = r;
                self.pending_msgs = 0;
                self.pending_bytes = 0;
                self.last_seen = Instant::now();
            }
            if self.core.conn.is_closed() {
                return Err(err!(ConnectionClosed, "connection closed"));
            }
            self.pull_if_needed()?;
            let now = Instant::now();
            let hb_left = hb2.saturating_sub(now.duration_since(self.last_seen));
            if hb_left.is_zero() {
                self.pending_msgs = 0;
                self.pending_bytes = 0;
                self.last_seen = now;
                return Err(err!(Timeout, "missed heartbeats from consumer '{}'", self.core.consumer));
            }
            let left = deadline.saturating_duration_since(now);
            if left.is_zero() {
                return Err(err!(Timeout, "no message within {:?}", timeout));
            }
            let m = match self.core.sub.next_msg(left.min(hb_left)) {
                Ok(m) => m,
                Err(e) if e.status == Status::Timeout => continue,
                Err(_) if self.stopped || self.stop_handle.is_stopped() => return Err(StopHandle::stopped_error()),
                Err(e) => return Err(e),
            };
            self.last_seen = Instant::now();
            if m.status_code() != 0 && m.data().is_empty() {
                if handle_control(&m, &self.core.conn) {
                    continue;
                }
                match classify_status(&m, &self.core.stream, &self.core.consumer) {
                    PullStatus::Control => {}
                    PullStatus::Ended { pending_msgs, pending_bytes } => {
                        self.pending_msgs = self.pending_msgs.saturating_sub(pending_msgs as usize);
                        self.pending_bytes = self.pending_bytes.saturating_sub(pending_bytes as usize);
                    }
                    PullStatus::Interrupted { .. } => {
                        // The request is gone: pull again (after the reconnect, if any).
                        self.pending_msgs = 0;
                        self.pending_bytes = 0;
                    }
                    PullStatus::Refused(e) => {
                        // Our request was not queued: it owes nothing.
                        self.pending_msgs = 0;
                        self.pending_bytes = 0;
                        return Err(e);
                    }
                    PullStatus::NoResponders => {
                        self.core.check_consumer()?;
                        self.pending_msgs = 0;
                        self.pending_bytes = 0;
                        std::thread::sleep(super::pull::PULL_NO_RESPONDERS_WAIT);
                    }
                    PullStatus::Terminal(e) => return Err(e),
                }
                continue;
            }
            let size = m.subject().len() + m.reply().map_or(0, |r| r.len()) + m.header_block().len() + m.data().len();
            self.pending_msgs = self.pending_msgs.saturating_sub(1);
            self.pending_bytes = self.pending_bytes.saturating_sub(size);
            return Ok(JsMsg::new(m, &self.core.conn));
        }
    }

    /// Stops pulling; messages already delivered but not read are left unacked (redelivered).
    pub fn stop(&mut self) {
        if !self.stopped {
            self.stopped = true;
            let _ = self.core.sub.unsubscribe();
        }
    }
}

impl Drop for Messages {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Source of messages for a consume thread (a [`Messages`] or an ordered consumer).
pub(crate) trait MsgSource: Send {
    fn next_msg(&mut self, timeout: Duration) -> Result<JsMsg>;
    fn stop_source(&mut self);
}

impl MsgSource for Messages {
    fn next_msg(&mut self, timeout: Duration) -> Result<JsMsg> {
        self.next(timeout)
    }
    fn stop_source(&mut self) {
        self.stop()
    }
}

/// Error handler of `consume`: missed heartbeats, refused pulls, terminal errors.
pub type ConsumeErrorHandler = Box<dyn FnMut(&Error) + Send>;

/// A running `consume`: the handler runs on its own thread, in order, until `stop`.
pub struct ConsumeContext {
    stop: Arc<AtomicBool>,
    thread: Mutex<Option<JoinHandle<()>>>,
    done: Arc<AtomicBool>,
}

impl ConsumeContext {
    pub(crate) fn start(
        mut src: Box<dyn MsgSource>,
        mut handler: Box<dyn FnMut(JsMsg) + Send>,
        mut on_error: Option<ConsumeErrorHandler>,
    ) -> Result<ConsumeContext> {
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicBool::new(false));
        let (s, d) = (stop.clone(), done.clone());
        let t = std::thread::Builder::new()
            .name("natsrs-js-consume".into())
            .spawn(move || {
                while !s.load(Ordering::Acquire) {
                    match src.next_msg(CONSUME_POLL) {
                        Ok(m) => handler(m),
                        Err(e) if e.status == Status::Timeout && !e.message.contains("heartbeat") => {}
                        Err(e) => {
                            // Missed heartbeats (Timeout) and refused pulls (Jetstream) are
                            // reported and consuming goes on; anything else ends it.
                            let terminal = !matches!(e.status, Status::Timeout | Status::Jetstream);
                            if let Some(h) = on_error.as_mut() {
                                h(&e);
                            }
                            if terminal {
                                break;
                            }
                            if e.status == Status::Jetstream {
                                std::thread::sleep(CONSUME_POLL);
                            }
                        }
                    }
                }
                src.stop_source();
                d.store(true, Ordering::Release);
            })
            .map_err(|e| err!(Io, "cannot start the consume thread: {}", e))?;
        Ok(ConsumeContext { stop, thread: Mutex::new(Some(t)), done })
    }

    /// Stops consuming; returns once the handler will not run again (unless called from it).
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Release);
        let t = self.thread.lock().take();
        if let Some(t) = t {
            if t.thread().id() != std::thread::current().id() {
                let _ = t.join();
            }
        }
    }

    /// True once consuming ended (stopped, or a terminal error such as a deleted consumer).
    pub fn is_closed(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }
}

impl Drop for ConsumeContext {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A handle on one consumer (nats.go `jetstream.Consumer`).
#[derive(Clone)]
pub struct ConsumerHandle {
    js: JetStream,
    info: ConsumerInfo,
    core: Arc<Mutex<Option<Arc<PullCore>>>>,
}

impl std::fmt::Debug for ConsumerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsumerHandle").field("stream", &self.info.stream_name).field("name", &self.info.name).finish()
    }
}

impl ConsumerHandle {
    pub(crate) fn new(js: JetStream, info: ConsumerInfo) -> ConsumerHandle {
        ConsumerHandle { js, info, core: Arc::new(Mutex::new(None)) }
    }
    pub fn name(&self) -> &str {
        &self.info.name
    }
    pub fn stream_name(&self) -> &str {
        &self.info.stream_name
    }
    pub fn cached_info(&self) -> &ConsumerInfo {
        &self.info
    }
    pub fn info(&mut self) -> Result<&ConsumerInfo> {
        self.info = self.js.consumer_info(&self.info.stream_name, &self.info.name)?;
        Ok(&self.info)
    }

    fn core(&self) -> Result<Arc<PullCore>> {
        let mut g = self.core.lock();
        if let Some(c) = g.as_ref() {
            return Ok(c.clone());
        }
        let c = Arc::new(PullCore::new(&self.js, &self.info.stream_name, &self.info.name)?);
        *g = Some(c.clone());
        Ok(c)
    }

    /// One batch (see [`super::PullSubscription::fetch`]).
    pub fn fetch(&self, batch: usize, timeout: Duration) -> Result<Vec<JsMsg>> {
        self.core()?.fetch(&FetchOptions { batch, timeout, ..Default::default() })
    }
    pub fn fetch_with(&self, o: &FetchOptions) -> Result<Vec<JsMsg>> {
        self.core()?.fetch(o)
    }
    /// The next message (a fetch of one).
    pub fn next(&self, timeout: Duration) -> Result<JsMsg> {
        let mut v = self.fetch(1, timeout)?;
        v.pop().ok_or_else(|| err!(Timeout, "no message within {:?}", timeout))
    }

    /// A continuous pull read message by message.
    pub fn messages(&self, opts: ConsumeOptions) -> Result<Messages> {
        Messages::new(&self.js, &self.info.stream_name, &self.info.name, opts)
    }

    /// Continuous pull with a handler on its own thread; `on_error` gets missed heartbeats and
    /// other errors (terminal ones, e.g. a deleted consumer, end the consume).
    pub fn consume(
        &self,
        handler: Box<dyn FnMut(JsMsg) + Send>,
        on_error: Option<ConsumeErrorHandler>,
        opts: ConsumeOptions,
    ) -> Result<ConsumeContext> {
        let m = self.messages(opts)?;
        ConsumeContext::start(Box::new(m), handler, on_error)
    }
}

impl Drop for PullCore {
    fn drop(&mut self) {
        let _ = self.sub.unsubscribe();
    }
}
