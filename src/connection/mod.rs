//! The connection engine. `Connection` (this file) is its public API; each file below has one
//! job:
//! - `state`: the shared state of one connection and the operations spanning several parts
//!   (publish checks, subscribe, flush, drain, close)
//! - `writer`: the write buffer and the writer task (states as enums)
//! - `reader`: parsing, routing to subscriptions, PING/PONG, async INFO, -ERR
//! - `session`: first connect, serving a socket, the reconnect loop
//! - `handshake`: dial, TLS choice, INFO, CONNECT with credentials
//! - `pool`: the server pool
//! - `server_error`: what a -ERR means and what to do about it
//! - `sub`: subscription queues and the `Subscription` handle
//! - `dispatch`: dispatcher threads of async subscriptions, the callback-thread rule
//! - `events`: the connection event thread
//! - `request`: request/reply
//! - `stream`: plain/TLS socket types; `waiter`: one-shot waits

mod completions;
mod delivery_pool;
mod dispatch;
mod events;
mod handshake;
mod inline_read;
mod notify_fd;
mod pool;
mod reader;
mod request;
mod server_error;
mod session;
mod session_info;
mod state;
mod stream;
mod sub;
mod waiter;
mod writer;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use completions::Completion;
pub use delivery_pool::POOL_BATCH;
pub use events::MAX_QUEUED_ASYNC_ERRORS;
pub use inline_read::{InlineRead, ATTACHED_CHECK, MAX_READS_PER_PASS};
pub use pool::MAX_POOL_SERVERS;
pub use session_info::{SessionInfo, TlsSession};
use state::Inner;
pub use state::{DEFAULT_MAX_PAYLOAD, MAX_ACCEPTED_PAYLOAD};
pub use sub::{Fitting, MsgHandler, Subscription};
use sub::{SubInner, SubKind};
pub use writer::DEFAULT_WRITE_STALL_TIMEOUT;

pub use crate::options::DEFAULT_URL;

use crate::error::{err, Error, Result};
use crate::msg::Msg;
use crate::options::{Options, ServerUrl};
use crate::proto::ServerInfo;

/// Connection state as seen by users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionStatus {
    Disconnected = 0,
    Connecting = 1,
    Connected = 2,
    Closed = 3,
    Reconnecting = 4,
    DrainingSubs = 5,
    DrainingPubs = 6,
}

impl ConnectionStatus {
    fn from_u8(v: u8) -> ConnectionStatus {
        match v {
            1 => ConnectionStatus::Connecting,
            2 => ConnectionStatus::Connected,
            3 => ConnectionStatus::Closed,
            4 => ConnectionStatus::Reconnecting,
            5 => ConnectionStatus::DrainingSubs,
            6 => ConnectionStatus::DrainingPubs,
            _ => ConnectionStatus::Disconnected,
        }
    }
}

/// Connection statistics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Statistics {
    pub in_msgs: u64,
    pub out_msgs: u64,
    pub in_bytes: u64,
    pub out_bytes: u64,
    pub reconnects: u64,
    pub dropped_msgs: u64,
}

/// A connection to a NATS server (cheap to clone; all clones share one connection).
#[derive(Clone)]
pub struct Connection(Arc<Inner>);

/// The text of a panic payload.
pub(crate) fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

pub(crate) fn nuid() -> String {
    crate::nuid::next()
}

impl Connection {
    /// Connects with the given options. Blocks until connected, failed, or (with
    /// retry_on_failed_connect) the first attempt failed and retries continue in the background.
    pub fn connect(opts: Options) -> Result<Connection> {
        let mut opts = opts;
        opts.auth.validate()?;
        opts.tls.validate()?;
        if opts.servers.is_empty() {
            opts.servers = vec![ServerUrl::parse(DEFAULT_URL)?];
        }
        Inner::start(opts).map(Connection)
    }

    /// Connects to a comma-separated list of URLs with default options.
    pub fn connect_to(urls: &str) -> Result<Connection> {
        let mut o = Options::default();
        o.set_url(urls)?;
        Connection::connect(o)
    }

    pub fn publish(&self, subject: &str, data: &[u8]) -> Result<()> {
        self.0.publish_raw(subject.as_bytes(), None, None, data)
    }

    pub fn publish_request(&self, subject: &str, reply: &str, data: &[u8]) -> Result<()> {
        self.0.publish_raw(subject.as_bytes(), Some(reply.as_bytes()), None, data)
    }

    /// Like `publish_request`, for a caller that waits for the answer (a JetStream pull): the
    /// calling thread writes the frame itself when the writer is idle, instead of waking it.
    pub(crate) fn publish_request_urgent(&self, subject: &str, reply: &str, data: &[u8]) -> Result<()> {
        self.0.publish_request(subject.as_bytes(), reply.as_bytes(), None, data)
    }

    /// Publishes a message with its reply subject and headers.
    pub fn publish_msg(&self, msg: &Msg) -> Result<()> {
        let hdrs = msg.encoded_headers();
        self.0.publish_raw(msg.subject_bytes(), msg.reply_bytes(), hdrs.as_deref(), msg.data())
    }

    /// Async subscription: `handler` runs on this subscription's own dispatcher thread, in order.
    pub fn subscribe(&self, subject: &str, queue: Option<&str>, handler: MsgHandler) -> Result<Subscription> {
        self.0.subscribe(subject, queue, SubKind::Async, Some(handler))
    }

    /// Synchronous subscription: pull messages with `next_msg`.
    pub fn subscribe_sync(&self, subject: &str, queue: Option<&str>) -> Result<Subscription> {
        self.0.subscribe(subject, queue, SubKind::Sync, None)
    }

    pub fn request(&self, subject: &str, data: &[u8], timeout: Duration) -> Result<Msg> {
        request::request(&self.0, subject.as_bytes(), None, data, timeout)
    }

    /// Like `request` with the subject as bytes (validated like any subject).
    pub fn request_bytes(&self, subject: &[u8], data: &[u8], timeout: Duration) -> Result<Msg> {
        request::request(&self.0, subject, None, data, timeout)
    }

    pub fn request_msg(&self, msg: &Msg, timeout: Duration) -> Result<Msg> {
        let hdrs = msg.encoded_headers();
        request::request(&self.0, msg.subject_bytes(), hdrs.as_deref(), msg.data(), timeout)
    }

    /// Starts a request and returns at once with an id for [`Connection::cancel_request`].
    /// `done` runs once, on the connection's completion thread (never a runtime thread), with
    /// the reply or the error (timeout, no responders, connection closed).
    pub fn request_async(&self, subject: &str, data: &[u8], timeout: Duration, done: Completion<Msg>) -> Result<u64> {
        request::request_async(&self.0, subject.as_bytes(), None, data, timeout, done)
    }

    /// `request_async` with a message's headers.
    pub fn request_msg_async(&self, msg: &Msg, timeout: Duration, done: Completion<Msg>) -> Result<u64> {
        let hdrs = msg.encoded_headers();
        request::request_async(&self.0, msg.subject_bytes(), hdrs.as_deref(), msg.data(), timeout, done)
    }

    /// Cancels a request started with `request_async`. True: its completion will not run (it
    /// was dropped). False: it already completed or is completing (no reply is lost).
    pub fn cancel_request(&self, id: u64) -> bool {
        request::cancel(&self.0, id)
    }

    /// Runs `done(outcome)` on the connection's completion thread (in order with the other
    /// completions; never a runtime thread).
    pub(crate) fn run_completion<T: Send + 'static>(&self, done: Completion<T>, outcome: Result<T>) {
        self.0.completions.run(done, outcome)
    }

    /// Starts a flush and returns at once; `done` runs once on the completion thread.
    pub fn flush_async(&self, timeout: Duration, done: Completion<()>) -> Result<()> {
        self.0.flush_async(timeout, done)
    }

    pub fn new_inbox(&self) -> String {
        format!("{}.{}", self.0.opts.inbox_prefix, nuid())
    }

    pub fn flush(&self, timeout: Duration) -> Result<()> {
        self.0.flush(timeout)
    }

    /// Round-trip time to the server.
    pub fn rtt(&self) -> Result<Duration> {
        let start = Instant::now();
        self.0.flush(Duration::from_secs(10))?;
        Ok(start.elapsed())
    }

    pub fn drain(&self, timeout: Duration) -> Result<()> {
        self.0.drain(timeout)
    }

    /// Drains with the drain timeout of the connection's options (`Options::drain_timeout`).
    pub fn drain_default(&self) -> Result<()> {
        self.0.drain(self.0.opts.drain_timeout)
    }

    /// Publishes with the subject and optional reply given as bytes (validated like every
    /// subject, but not required to be UTF-8).
    pub fn publish_bytes(&self, subject: &[u8], reply: Option<&[u8]>, data: &[u8]) -> Result<()> {
        self.0.publish_raw(subject, reply, None, data)
    }

    /// Publishes with a raw header block as it appears on the wire (`NATS/1.0\r\n...\r\n\r\n`,
    /// e.g. [`Msg::header_block`] of a received message); an empty block is a plain PUB. The
    /// block is checked (`InvalidArgument` if malformed) and sent unchanged.
    pub fn publish_with_header_block(&self, subject: &[u8], reply: Option<&[u8]>, headers: &[u8], data: &[u8]) -> Result<()> {
        if headers.is_empty() {
            return self.0.publish_raw(subject, reply, None, data);
        }
        crate::proto::HeaderMap::decode(headers).map_err(|e| err!(InvalidArgument, "malformed header block: {}", e))?;
        self.0.publish_raw(subject, reply, Some(headers), data)
    }

    /// Publishes a batch of messages (subject, reply, raw header block or empty, data) and
    /// sends them together: written by the calling thread when the writer is idle, as a request
    /// is, rather than handed to the writer task. Stops at the first refused entry (the ones
    /// before it are sent); returns how many were published and the error, if any.
    pub fn publish_batch<'a>(
        &self,
        entries: impl IntoIterator<Item = (&'a [u8], Option<&'a [u8]>, &'a [u8], &'a [u8])>,
    ) -> (usize, Result<()>) {
        self.0.publish_many(entries.into_iter().map(|(subject, reply, headers, data)| {
            if headers.is_empty() {
                Ok((subject, reply, None, data))
            } else {
                crate::proto::HeaderMap::decode(headers)
                    .map(|_| (subject, reply, Some(headers), data))
                    .map_err(|e| err!(InvalidArgument, "malformed header block: {}", e))
            }
        }))
    }

    /// Publishes ready-made `PUB <subject> [<reply>] <size>\r\n<payload>\r\n` frames, back to
    /// back (a binding that formats its own publishes). Each frame is checked as a publish is
    /// (shape, subjects, max_payload); the ones before the first refused frame are sent, written
    /// straight from `wire` when the writer is idle. Returns how many were published and the
    /// refusal, if any.
    pub fn publish_wire(&self, wire: &[u8]) -> (usize, Result<()>) {
        self.0.publish_wire(wire)
    }

    /// Bytes published but not yet handed to the socket (nats.go `Conn.Buffered`), including
    /// what is kept for the next server while reconnecting.
    pub fn buffered(&self) -> usize {
        self.0.writer.buffered()
    }

    pub fn close(&self) {
        self.0.close(None);
    }

    pub fn force_reconnect(&self) -> Result<()> {
        if self.0.is_closed() {
            return Err(err!(ConnectionClosed, "connection closed"));
        }
        self.0.force_reconnect.notify_one();
        Ok(())
    }

    pub fn status(&self) -> ConnectionStatus {
        self.0.status()
    }

    pub fn is_closed(&self) -> bool {
        self.0.is_closed()
    }

    pub fn stats(&self) -> Statistics {
        self.0.stats()
    }

    /// Number of reconnects so far (one atomic load; `stats().reconnects` takes a lock).
    pub fn reconnects(&self) -> u64 {
        self.0.reconnects.load(Ordering::Relaxed)
    }

    pub fn max_payload(&self) -> i64 {
        self.0.max_payload.load(Ordering::Relaxed)
    }

    pub fn server_info(&self) -> Arc<ServerInfo> {
        self.0.info.read().clone()
    }

    /// The socket in use: local address and, over TLS, the negotiated session. `NotConnected`
    /// while disconnected, `ConnectionClosed` once closed.
    pub fn session_info(&self) -> Result<Arc<SessionInfo>> {
        match self.status() {
            ConnectionStatus::Connected | ConnectionStatus::DrainingSubs | ConnectionStatus::DrainingPubs => {
                Ok(self.0.session.lock().clone())
            }
            ConnectionStatus::Closed => Err(err!(ConnectionClosed, "connection closed")),
            _ => Err(err!(NotConnected, "not connected")),
        }
    }

    /// URL of the server currently connected to (None while disconnected).
    pub fn connected_url(&self) -> Option<String> {
        if self.status() != ConnectionStatus::Connected {
            return None;
        }
        self.0.pool.lock().current().map(|u| u.display())
    }

    /// Every server in the pool (explicit and discovered).
    pub fn servers(&self) -> Vec<String> {
        self.0.pool.lock().displays(false)
    }

    /// Servers learned from the cluster (INFO connect_urls).
    pub fn discovered_servers(&self) -> Vec<String> {
        self.0.pool.lock().displays(true)
    }

    /// Replaces the server pool (nats.go's `SetServerPool`, nats-py's `set_server_pool`): the
    /// new servers, in the given order, are used from the next reconnect on (the current
    /// connection stays); discovered servers are added again from later INFO unless discovery
    /// is ignored. A server already in the pool keeps its attempt count. Fails when closed, on
    /// an empty list and on a URL that does not parse (then nothing changes).
    pub fn set_server_pool<S: AsRef<str>>(&self, urls: &[S]) -> Result<()> {
        if urls.is_empty() {
            return Err(err!(InvalidArgument, "the server pool needs at least one server"));
        }
        let parsed = urls.iter().map(|u| ServerUrl::parse(u.as_ref())).collect::<Result<Vec<_>>>()?;
        let mut pool = self.0.pool.lock();
        if self.is_closed() {
            return Err(err!(ConnectionClosed, "connection closed"));
        }
        pool.replace(parsed);
        Ok(())
    }

    /// Every server in the pool, in order: (URL without credentials, failed attempts since its
    /// last success, learned from the cluster).
    pub fn server_pool(&self) -> Vec<(String, u64, bool)> {
        self.0.pool.lock().entries()
    }

    pub fn last_error(&self) -> Option<Error> {
        self.0.last_error.lock().clone()
    }

    /// Hands an asynchronous error to the error handler (on the event thread, queued like the
    /// engine's own slow-consumer reports). Layers built on the connection (JetStream) report
    /// their background failures this way, e.g. a push consumer's missed heartbeats.
    pub fn report_async_error(&self, sub: Option<&Subscription>, e: Error) {
        self.0.async_error(sub.map(|s| s.0.clone()), e)
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection").field("status", &self.status()).field("url", &self.connected_url()).finish()
    }
}
