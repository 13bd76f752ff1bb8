//! The connection engine: shared state, publish path, subscriptions, request/reply, flush, drain, close.

mod io;
mod sub;
mod waiter;

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicU8, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::{JoinHandle, ThreadId};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, RwLock};
use rand::Rng;

pub(crate) use sub::{SubInner, SubKind};
pub use sub::{MsgHandler, Subscription};
use waiter::Waiter;

use crate::error::{err, Error, Result, Status};
use crate::msg::Msg;
use crate::options::{Options, ServerUrl};
use crate::proto::{encode, subject, ServerInfo};

/// Connection state as seen by users.
#[repr(C)]
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
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Statistics {
    pub in_msgs: u64,
    pub out_msgs: u64,
    pub in_bytes: u64,
    pub out_bytes: u64,
    pub reconnects: u64,
    pub dropped_msgs: u64,
}

/// Above this many buffered bytes, publishers wait for the writer (back-pressure).
const WRITE_HIGH_WATER: usize = 4 * 1024 * 1024;
/// After an inline write, publishers count as streaming for this long (see `publish_raw`).
const STREAMING: Duration = Duration::from_micros(200);
/// From this many buffered bytes on, a publisher writes the buffer to the socket itself when
/// the writer task is idle (as a C client would), instead of handing it to another thread.
const INLINE_FLUSH: usize = 32 * 1024;
/// Largest single inline write: one loopback/GSO segment (bigger writes were measured to cost
/// more CPU per byte).
const INLINE_CHUNK: usize = 64 * 1024;

pub(crate) enum PongWaiter {
    /// A keep-alive PING from the timer.
    Timer,
    /// A PING left over in a buffer from before a reconnect: its PONG is ignored.
    Ignore,
    Flush(Arc<Waiter<Result<()>>>),
    DrainSub(Arc<SubInner>),
}

pub(crate) struct WriteState {
    pub buf: Vec<u8>,
    /// True while a socket is up and the writer drains `buf`.
    pub connected: bool,
    pub closed: bool,
    pub pongs: VecDeque<PongWaiter>,
    /// PING frames currently sitting in `buf` (not yet taken by the writer).
    pub pings_in_buf: usize,
    pub pings_out: u32,
    pub out_msgs: u64,
    pub out_bytes: u64,
    pub space_waiters: u32,
    /// The writer task has taken a buffer and is writing it.
    pub writer_busy: bool,
    /// The plain TCP socket, for inline writes by publishers while the writer is idle.
    pub direct: Option<Arc<tokio::net::tcp::OwnedWriteHalf>>,
    /// Leading bytes of `buf` that continue a frame partly written to the current socket
    /// (after an inline write). They are dropped on disconnect, so the reconnect buffer only
    /// ever replays whole frames.
    pub taken: usize,
    /// When a publisher last wrote the buffer itself (it is streaming).
    pub last_inline: Option<Instant>,
    /// The idle writer task looks at the buffer every millisecond without being woken.
    pub writer_polling: bool,
}

pub(crate) enum Event {
    Connected,
    Disconnected(Error),
    Reconnected,
    Closed,
    DiscoveredServers,
    LameDuck,
    AsyncError(Option<Arc<SubInner>>, Error),
}

pub(crate) struct PoolEntry {
    pub url: ServerUrl,
    pub reconnects: i64,
    pub implicit: bool,
    pub did_connect: bool,
    pub last_auth_error: Option<String>,
    /// Refused the same credentials twice in a row: dropped from the pool.
    pub auth_abort: bool,
}

pub(crate) struct Pool {
    pub servers: Vec<PoolEntry>,
    pub current: Option<ServerUrl>,
    /// Every (host, port) ever announced by the cluster (the discovered event fires once per URL).
    pub ever_seen: Vec<(String, u16)>,
}

pub(crate) struct RespMux {
    pub prefix: String,
    pub sid: Option<u64>,
    pub next: u64,
    pub waiters: HashMap<u64, Arc<Waiter<Result<Msg>>>>,
}

pub(crate) struct Inner {
    pub opts: Options,
    pub w: Mutex<WriteState>,
    pub w_space: Condvar,
    pub w_notify: tokio::sync::Notify,
    pub subs: RwLock<HashMap<u64, Arc<SubInner>>>,
    pub subs_gen: AtomicU64,
    pub next_sid: AtomicU64,
    status: AtomicU8,
    pub info: RwLock<Arc<ServerInfo>>,
    pub max_payload: AtomicI64,
    pub headers_ok: AtomicBool,
    pub in_msgs: AtomicU64,
    pub in_bytes: AtomicU64,
    pub reconnects: AtomicU64,
    pub resp: Mutex<RespMux>,
    events: Mutex<Option<mpsc::Sender<Event>>>,
    event_thread: Mutex<Option<JoinHandle<()>>>,
    event_thread_id: Mutex<Option<ThreadId>>,
    pub shutdown: tokio::sync::Notify,
    pub force_reconnect: tokio::sync::Notify,
    pub pool: Mutex<Pool>,
    pub last_error: Mutex<Option<Error>>,
    io_done: Waiter<()>,
    pub ever_connected: AtomicBool,
    /// The last connection used TLS (selects the TLS reconnect jitter).
    pub was_tls: AtomicBool,
}

/// A connection to a NATS server (cheap to clone; all clones share one connection).
#[derive(Clone)]
pub struct Connection(pub(crate) Arc<Inner>);

pub(crate) fn nuid() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::thread_rng();
    (0..22).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect()
}

fn deadline_after(timeout: Duration) -> Option<Instant> {
    Instant::now().checked_add(timeout)
}

impl Connection {
    /// Connects with the given options. Blocks until connected, failed, or (with
    /// retry_on_failed_connect) the first attempt failed and retries continue in the background.
    pub fn connect(opts: Options) -> Result<Connection> {
        let mut opts = opts;
        opts.auth.validate()?;
        opts.tls.validate()?;
        if opts.servers.is_empty() {
            opts.servers = vec![ServerUrl::parse("nats://127.0.0.1:4222")?];
        }
        let rt = crate::runtime::handle().map_err(|e| err!(Io, "cannot start the runtime: {}", e))?;
        let mut servers: Vec<PoolEntry> = opts
            .servers
            .iter()
            .map(|u| PoolEntry { url: u.clone(), reconnects: 0, implicit: false, did_connect: false, last_auth_error: None, auth_abort: false })
            .collect();
        if !opts.no_randomize && servers.len() > 1 {
            use rand::seq::SliceRandom;
            servers.shuffle(&mut rand::thread_rng());
        }
        let has_events = opts.closed_cb.is_some()
            || opts.connected_cb.is_some()
            || opts.disconnected_cb.is_some()
            || opts.reconnected_cb.is_some()
            || opts.discovered_servers_cb.is_some()
            || opts.lame_duck_cb.is_some()
            || opts.error_cb.is_some();
        let prefix = format!("{}.{}.", opts.inbox_prefix, nuid());
        let inner = Arc::new(Inner {
            w: Mutex::new(WriteState {
                buf: Vec::with_capacity(64 * 1024),
                connected: false,
                closed: false,
                pongs: VecDeque::new(),
                pings_in_buf: 0,
                pings_out: 0,
                out_msgs: 0,
                out_bytes: 0,
                space_waiters: 0,
                writer_busy: false,
                direct: None,
                taken: 0,
                last_inline: None,
                writer_polling: false,
            }),
            w_space: Condvar::new(),
            w_notify: tokio::sync::Notify::new(),
            subs: RwLock::new(HashMap::new()),
            subs_gen: AtomicU64::new(0),
            next_sid: AtomicU64::new(1),
            status: AtomicU8::new(ConnectionStatus::Connecting as u8),
            info: RwLock::new(Arc::new(ServerInfo::default())),
            max_payload: AtomicI64::new(1024 * 1024),
            headers_ok: AtomicBool::new(true),
            in_msgs: AtomicU64::new(0),
            in_bytes: AtomicU64::new(0),
            reconnects: AtomicU64::new(0),
            resp: Mutex::new(RespMux { prefix, sid: None, next: 1, waiters: HashMap::new() }),
            events: Mutex::new(None),
            event_thread: Mutex::new(None),
            event_thread_id: Mutex::new(None),
            shutdown: tokio::sync::Notify::new(),
            force_reconnect: tokio::sync::Notify::new(),
            pool: Mutex::new(Pool { servers, current: None, ever_seen: Vec::new() }),
            last_error: Mutex::new(None),
            io_done: Waiter::new(),
            ever_connected: AtomicBool::new(false),
            was_tls: AtomicBool::new(false),
            opts,
        });
        if has_events {
            inner.start_event_thread()?;
        }
        crate::runtime::register(&inner);
        let ready: Arc<Waiter<Result<()>>> = Arc::new(Waiter::new());
        rt.spawn(io::main_task(inner.clone(), ready.clone()));
        match ready.wait_until(None) {
            Some(Ok(())) => Ok(Connection(inner)),
            Some(Err(e)) => {
                inner.stop_event_thread_silently();
                Err(e)
            }
            None => Err(err!(Io, "connect task ended unexpectedly")),
        }
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
        self.0.request(subject.as_bytes(), None, data, timeout)
    }

    pub fn request_msg(&self, msg: &Msg, timeout: Duration) -> Result<Msg> {
        let hdrs = msg.encoded_headers();
        self.0.request(msg.subject_bytes(), hdrs.as_deref(), msg.data(), timeout)
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

    /// URL of the server currently connected to (None while disconnected).
    pub fn connected_url(&self) -> Option<String> {
        if self.status() != ConnectionStatus::Connected {
            return None;
        }
        self.0.pool.lock().current.as_ref().map(|u| u.display())
    }

    /// Every server in the pool (explicit and discovered).
    pub fn servers(&self) -> Vec<String> {
        self.0.pool.lock().servers.iter().map(|s| s.url.display()).collect()
    }

    /// Servers learned from the cluster (INFO connect_urls).
    pub fn discovered_servers(&self) -> Vec<String> {
        self.0.pool.lock().servers.iter().filter(|s| s.implicit).map(|s| s.url.display()).collect()
    }

    pub fn last_error(&self) -> Option<Error> {
        self.0.last_error.lock().clone()
    }
}

impl Inner {
    #[inline]
    pub(crate) fn status(&self) -> ConnectionStatus {
        ConnectionStatus::from_u8(self.status.load(Ordering::Acquire))
    }
    /// Moves to `to` only from one of `from`; false if the status was something else.
    pub(crate) fn status_transition(&self, from: &[ConnectionStatus], to: ConnectionStatus) -> bool {
        let mut cur = self.status.load(Ordering::Acquire);
        loop {
            if !from.iter().any(|f| *f as u8 == cur) {
                return false;
            }
            match self.status.compare_exchange(cur, to as u8, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return true,
                Err(now) => cur = now,
            }
        }
    }

    /// Sets the status unless the connection is closed (closed is final).
    pub(crate) fn set_status(&self, s: ConnectionStatus) -> bool {
        use ConnectionStatus::*;
        self.status_transition(&[Disconnected, Connecting, Connected, Reconnecting, DrainingSubs, DrainingPubs], s)
    }
    #[inline]
    pub(crate) fn is_closed(&self) -> bool {
        self.status() == ConnectionStatus::Closed
    }

    pub(crate) fn stats(&self) -> Statistics {
        let (out_msgs, out_bytes) = {
            let w = self.w.lock();
            (w.out_msgs, w.out_bytes)
        };
        let dropped = self.subs.read().values().map(|s| s.q.lock().dropped).sum();
        Statistics {
            in_msgs: self.in_msgs.load(Ordering::Relaxed),
            in_bytes: self.in_bytes.load(Ordering::Relaxed),
            out_msgs,
            out_bytes,
            reconnects: self.reconnects.load(Ordering::Relaxed),
            dropped_msgs: dropped,
        }
    }

    // ---------- events ----------

    fn start_event_thread(self: &Arc<Self>) -> Result<()> {
        let (tx, rx) = mpsc::channel::<Event>();
        let weak = Arc::downgrade(self);
        let h = std::thread::Builder::new()
            .name("natsrs-events".into())
            .spawn(move || event_loop(weak, rx))
            .map_err(|e| err!(Io, "cannot start event thread: {}", e))?;
        *self.event_thread_id.lock() = Some(h.thread().id());
        *self.event_thread.lock() = Some(h);
        *self.events.lock() = Some(tx);
        Ok(())
    }

    pub(crate) fn emit(&self, ev: Event) {
        if let Some(tx) = self.events.lock().as_ref() {
            let _ = tx.send(ev);
        }
    }

    fn stop_event_thread_silently(&self) {
        self.events.lock().take();
        self.join_event_thread();
    }

    fn join_event_thread(&self) {
        if *self.event_thread_id.lock() == Some(std::thread::current().id()) {
            return;
        }
        let h = self.event_thread.lock().take();
        if let Some(h) = h {
            let _ = h.join();
        }
    }

    pub(crate) fn async_error(&self, sub: Option<Arc<SubInner>>, e: Error) {
        self.emit(Event::AsyncError(sub, e));
    }

    // ---------- writing ----------

    /// Appends a control frame (SUB, UNSUB, PONG, ...) without back-pressure; only if connected.
    pub(crate) fn write_control(&self, f: impl FnOnce(&mut Vec<u8>)) -> bool {
        let mut w = self.w.lock();
        if !w.connected || w.closed {
            return false;
        }
        let was_empty = w.buf.is_empty();
        f(&mut w.buf);
        drop(w);
        if was_empty {
            self.w_notify.notify_one();
        }
        true
    }

    #[inline]
    pub(crate) fn publish_raw(&self, subj: &[u8], reply: Option<&[u8]>, hdrs: Option<&[u8]>, data: &[u8]) -> Result<()> {
        if !subject::valid_publish_subject(subj) {
            return Err(err!(InvalidSubject, "invalid publish subject '{}'", String::from_utf8_lossy(subj)));
        }
        if let Some(r) = reply {
            if !subject::valid_publish_subject(r) {
                return Err(err!(InvalidSubject, "invalid reply subject '{}'", String::from_utf8_lossy(r)));
            }
        }
        let hlen = hdrs.map_or(0, |h| h.len());
        let total = data.len() + hlen;
        let maxp = self.max_payload.load(Ordering::Relaxed);
        if total as i64 > maxp {
            return Err(err!(MaxPayload, "payload of {} bytes exceeds the server's max_payload of {}", total, maxp));
        }
        if hdrs.is_some() && !self.headers_ok.load(Ordering::Relaxed) {
            return Err(err!(HeadersNotSupported, "the server does not support headers"));
        }
        let mut w = self.w.lock();
        loop {
            if w.closed {
                return Err(err!(ConnectionClosed, "connection closed"));
            }
            if w.connected {
                if w.buf.len() < WRITE_HIGH_WATER {
                    break;
                }
                w.space_waiters += 1;
                self.w_space.wait_for(&mut w, Duration::from_millis(50));
                w.space_waiters -= 1;
                continue;
            }
            let limit = self.opts.reconnect_buf_size;
            let need = encode::pub_frame_len(subj.len(), reply.map_or(0, |r| r.len()), total) + if hlen > 0 { 24 } else { 0 };
            if limit <= 0 || w.buf.len() + need > limit as usize {
                return Err(err!(
                    BufferFull,
                    "not connected and the reconnect buffer ({} bytes) cannot take this message",
                    limit.max(0)
                ));
            }
            break;
        }
        let was_empty = w.buf.is_empty();
        match hdrs {
            None => encode::write_pub(&mut w.buf, subj, reply, data),
            Some(h) => encode::write_hpub(&mut w.buf, subj, reply, h, data),
        }
        w.out_msgs += 1;
        w.out_bytes += total as u64;
        let mut notify = was_empty && w.connected;
        if notify && (w.writer_busy || w.writer_polling) && w.last_inline.is_some_and(|t| t.elapsed() < STREAMING) {
            // A publisher is streaming and writes the buffer itself: do not wake the writer for
            // every refill. Only when the writer will look again by itself (it is writing, or
            // polling every millisecond), so a tail is never left behind.
            notify = false;
        }
        if w.buf.len() >= INLINE_FLUSH && w.connected && !w.writer_busy && w.pings_in_buf == 0 {
            notify |= inline_flush(&mut w);
            w.last_inline = Some(Instant::now());
        }
        drop(w);
        if notify {
            self.w_notify.notify_one();
        }
        Ok(())
    }

    // ---------- subscriptions ----------

    pub(crate) fn subscribe(
        self: &Arc<Self>,
        subj: &str,
        queue: Option<&str>,
        kind: SubKind,
        handler: Option<MsgHandler>,
    ) -> Result<Subscription> {
        if !subject::valid_subscribe_subject(subj.as_bytes()) {
            return Err(err!(InvalidSubject, "invalid subscription subject '{}'", subj));
        }
        if let Some(q) = queue {
            if !subject::valid_queue_name(q.as_bytes()) {
                return Err(err!(InvalidQueue, "invalid queue name '{}'", q));
            }
        }
        match self.status() {
            ConnectionStatus::Closed => return Err(err!(ConnectionClosed, "connection closed")),
            ConnectionStatus::DrainingSubs | ConnectionStatus::DrainingPubs => {
                return Err(err!(Draining, "connection is draining"))
            }
            _ => {}
        }
        let sid = self.next_sid.fetch_add(1, Ordering::Relaxed);
        let sub = SubInner::new(sid, subj, queue, kind, self, (self.opts.sub_pending_msgs, self.opts.sub_pending_bytes))?;
        if let Some(h) = handler {
            sub.start_dispatcher(h)?;
        }
        self.register_sub(&sub);
        Ok(Subscription(sub))
    }

    /// Adds the sub to the routing table and sends SUB if connected (atomically w.r.t. reconnect).
    pub(crate) fn register_sub(&self, sub: &Arc<SubInner>) {
        let mut w = self.w.lock();
        self.subs.write().insert(sub.sid, sub.clone());
        self.subs_gen.fetch_add(1, Ordering::Release);
        if w.connected && !w.closed {
            let was_empty = w.buf.is_empty();
            encode::write_sub(
                &mut w.buf,
                sub.subject.as_bytes(),
                sub.queue.as_ref().map(|q| q.as_bytes()),
                sub.sid,
            );
            drop(w);
            if was_empty {
                self.w_notify.notify_one();
            }
        }
    }

    pub(crate) fn remove_sub(&self, sid: u64) -> Option<Arc<SubInner>> {
        let r = self.subs.write().remove(&sid);
        if r.is_some() {
            self.subs_gen.fetch_add(1, Ordering::Release);
        }
        r
    }

    /// Sends UNSUB (with an optional max) and, without a max, forgets the sid.
    pub(crate) fn unsubscribe_sid(&self, sid: u64, max: Option<u64>) {
        if max.is_none() {
            self.remove_sub(sid);
        }
        self.write_control(|b| encode::write_unsub(b, sid, max));
    }

    pub(crate) fn drain_sub(&self, sub: &Arc<SubInner>) -> Result<()> {
        {
            let mut q = sub.q.lock();
            if q.input_closed || q.stopped {
                return Err(err!(InvalidSubscription, "subscription is no longer valid"));
            }
            if q.draining {
                return Ok(());
            }
            q.draining = true;
        }
        let mut w = self.w.lock();
        if w.connected && !w.closed {
            let was_empty = w.buf.is_empty();
            encode::write_unsub(&mut w.buf, sub.sid, None);
            w.buf.extend_from_slice(encode::PING);
            w.pings_in_buf += 1;
            w.pongs.push_back(PongWaiter::DrainSub(sub.clone()));
            drop(w);
            if was_empty {
                self.w_notify.notify_one();
            }
        } else {
            drop(w);
            self.remove_sub(sub.sid);
            sub.close_input(Status::InvalidSubscription);
        }
        Ok(())
    }

    // ---------- flush / request ----------

    pub(crate) fn flush(&self, timeout: Duration) -> Result<()> {
        if timeout.is_zero() {
            return Err(err!(InvalidArgument, "flush timeout must be positive"));
        }
        let waiter = Arc::new(Waiter::new());
        {
            let mut w = self.w.lock();
            if w.closed {
                return Err(err!(ConnectionClosed, "connection closed"));
            }
            if !w.connected {
                return Err(err!(NotConnected, "not connected (reconnecting)"));
            }
            w.buf.extend_from_slice(encode::PING);
            w.pings_in_buf += 1;
            w.pongs.push_back(PongWaiter::Flush(waiter.clone()));
            drop(w);
            // Always wake the writer: publishes may be waiting for the streaming tick.
            self.w_notify.notify_one();
        }
        match waiter.wait_until(deadline_after(timeout)) {
            Some(r) => r,
            None => Err(err!(Timeout, "flush timed out after {:?}", timeout)),
        }
    }

    fn ensure_resp_sub(self: &Arc<Self>, r: &mut RespMux) -> Result<()> {
        if r.sid.is_some() {
            return Ok(());
        }
        let sid = self.next_sid.fetch_add(1, Ordering::Relaxed);
        let subj = format!("{}*", r.prefix);
        let sub = SubInner::new(sid, &subj, None, SubKind::Resp, self, (-1, -1))?;
        self.register_sub(&sub);
        r.sid = Some(sid);
        Ok(())
    }

    pub(crate) fn request(self: &Arc<Self>, subj: &[u8], hdrs: Option<&[u8]>, data: &[u8], timeout: Duration) -> Result<Msg> {
        if timeout.is_zero() {
            return Err(err!(InvalidArgument, "request timeout must be positive"));
        }
        if self.is_closed() {
            return Err(err!(ConnectionClosed, "connection closed"));
        }
        if self.opts.old_request_style {
            return self.old_request(subj, hdrs, data, timeout);
        }
        let waiter = Arc::new(Waiter::new());
        let (token, reply) = {
            let mut r = self.resp.lock();
            self.ensure_resp_sub(&mut r)?;
            let token = r.next;
            r.next += 1;
            r.waiters.insert(token, waiter.clone());
            (token, format!("{}{}", r.prefix, token))
        };
        if let Err(e) = self.publish_raw(subj, Some(reply.as_bytes()), hdrs, data) {
            self.resp.lock().waiters.remove(&token);
            return Err(e);
        }
        let res = waiter.wait_until(deadline_after(timeout));
        match res {
            Some(Ok(m)) => {
                if m.is_no_responders() {
                    Err(err!(NoResponders, "no responders on '{}'", String::from_utf8_lossy(subj)))
                } else {
                    Ok(m)
                }
            }
            Some(Err(e)) => Err(e),
            None => {
                self.resp.lock().waiters.remove(&token);
                Err(err!(Timeout, "request on '{}' timed out after {:?}", String::from_utf8_lossy(subj), timeout))
            }
        }
    }

    fn old_request(self: &Arc<Self>, subj: &[u8], hdrs: Option<&[u8]>, data: &[u8], timeout: Duration) -> Result<Msg> {
        let inbox = format!("{}.{}", self.opts.inbox_prefix, nuid());
        let sub = self.subscribe(&inbox, None, SubKind::Sync, None)?;
        sub.auto_unsubscribe(1)?;
        let res = self
            .publish_raw(subj, Some(inbox.as_bytes()), hdrs, data)
            .and_then(|_| sub.next_msg(timeout));
        let _ = sub.unsubscribe();
        match res {
            Ok(m) if m.is_no_responders() => Err(err!(NoResponders, "no responders on '{}'", String::from_utf8_lossy(subj))),
            Ok(m) => Ok(m),
            Err(e) if e.status == Status::Timeout => Err(err!(
                Timeout,
                "request on '{}' timed out after {:?}",
                String::from_utf8_lossy(subj),
                timeout
            )),
            Err(e) => Err(e),
        }
    }

    /// Routes a reply arriving on the request multiplexer's wildcard inbox.
    pub(crate) fn deliver_response(&self, msg: Msg) {
        let token = {
            let s = msg.subject_bytes();
            let r = self.resp.lock();
            let pre = r.prefix.as_bytes();
            if !s.starts_with(pre) {
                return;
            }
            match std::str::from_utf8(&s[pre.len()..]).ok().and_then(|t| t.parse::<u64>().ok()) {
                Some(t) => t,
                None => return,
            }
        };
        let w = self.resp.lock().waiters.remove(&token);
        if let Some(w) = w {
            w.complete(Ok(msg));
        }
    }

    // ---------- drain / close ----------

    pub(crate) fn drain(self: &Arc<Self>, timeout: Duration) -> Result<()> {
        if timeout.is_zero() {
            return Err(err!(InvalidArgument, "drain timeout must be positive"));
        }
        match self.status() {
            ConnectionStatus::Closed => return Err(err!(ConnectionClosed, "connection closed")),
            ConnectionStatus::DrainingSubs | ConnectionStatus::DrainingPubs => {
                return Err(err!(Draining, "connection is already draining"))
            }
            ConnectionStatus::Connected => {}
            _ => {
                let e = err!(IllegalState, "drain called while not connected; connection closed");
                self.close(Some(e.clone()));
                return Err(e);
            }
        }
        let deadline = deadline_after(timeout);
        self.set_status(ConnectionStatus::DrainingSubs);
        let resp_sid = self.resp.lock().sid;
        let subs: Vec<Arc<SubInner>> =
            self.subs.read().values().filter(|s| Some(s.sid) != resp_sid).cloned().collect();
        for s in &subs {
            let _ = self.drain_sub(s);
        }
        let mut ok = true;
        for s in &subs {
            if s.is_dispatcher_thread() {
                continue;
            }
            if !s.wait_done(deadline) {
                ok = false;
            }
        }
        self.set_status(ConnectionStatus::DrainingPubs);
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now())).unwrap_or(Duration::from_secs(5));
        let flushed = self.flush(left.max(Duration::from_millis(1)));
        let result = if !ok {
            let e = err!(Timeout, "drain timed out before all subscriptions finished");
            self.async_error(None, e.clone());
            Err(e)
        } else {
            flushed
        };
        self.close(None);
        result
    }

    /// Closes the connection: pending writes get a short chance to go out, waiters fail,
    /// dispatchers stop, the closed callback runs. Idempotent.
    pub(crate) fn close(&self, reason: Option<Error>) {
        let prev = self.status.swap(ConnectionStatus::Closed as u8, Ordering::AcqRel);
        if prev == ConnectionStatus::Closed as u8 {
            self.join_event_thread();
            return;
        }
        if let Some(e) = reason {
            *self.last_error.lock() = Some(e);
        }
        let pongs = {
            let mut w = self.w.lock();
            w.closed = true;
            // No more inline writes; the writer task flushes what is left, then the socket closes.
            w.direct = None;
            self.w_space.notify_all();
            std::mem::take(&mut w.pongs)
        };
        fail_pongs(pongs, || err!(ConnectionClosed, "connection closed"));
        self.w_notify.notify_one();
        self.shutdown.notify_one();
        let waiters: Vec<_> = self.resp.lock().waiters.drain().map(|(_, w)| w).collect();
        for w in waiters {
            w.complete(Err(err!(ConnectionClosed, "connection closed")));
        }
        let subs: Vec<Arc<SubInner>> = self.subs.write().drain().map(|(_, s)| s).collect();
        self.subs_gen.fetch_add(1, Ordering::Release);
        for s in &subs {
            s.stop(Status::ConnectionClosed);
        }
        for s in &subs {
            s.join_dispatcher();
        }
        // Give the I/O task a moment to flush what was published before close.
        let on_runtime = tokio::runtime::Handle::try_current().is_ok();
        if !on_runtime {
            self.io_done.wait_until(deadline_after(Duration::from_secs(2)));
        }
        self.emit(Event::Closed);
        self.events.lock().take();
        self.join_event_thread();
    }

    pub(crate) fn io_finished(&self) {
        self.io_done.complete(());
    }
}

/// Writes as much of the buffer as the socket takes without blocking, holding the write lock
/// (so nothing can be appended in between). Returns true when bytes remain for the writer task.
fn inline_flush(w: &mut WriteState) -> bool {
    let Some(sock) = w.direct.clone() else { return false };
    let mut off = 0;
    while off < w.buf.len() {
        let end = w.buf.len().min(off + INLINE_CHUNK);
        match sock.try_write(&w.buf[off..end]) {
            Ok(0) | Err(_) => break,
            Ok(n) => off += n,
        }
    }
    if off == w.buf.len() {
        w.buf.clear();
        false
    } else {
        // The socket is full: hand the rest to the writer task, which waits for writability;
        // publishers stop writing inline until it has caught up.
        w.buf.drain(..off);
        if off > 0 {
            w.taken = w.buf.len();
        }
        w.writer_busy = true;
        true
    }
}

pub(crate) fn fail_pongs(pongs: VecDeque<PongWaiter>, mk: impl Fn() -> Error) {
    for p in pongs {
        match p {
            PongWaiter::Flush(w) => {
                w.complete(Err(mk()));
            }
            PongWaiter::DrainSub(s) => {
                if let Some(c) = s.conn.upgrade() {
                    c.remove_sub(s.sid);
                }
                s.close_input(Status::InvalidSubscription);
            }
            _ => {}
        }
    }
}

fn event_loop(conn: std::sync::Weak<Inner>, rx: mpsc::Receiver<Event>) {
    while let Ok(ev) = rx.recv() {
        let Some(inner) = conn.upgrade() else { break };
        let c = Connection(inner);
        let o = &c.0.opts;
        let last = matches!(ev, Event::Closed);
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match ev {
            Event::Connected => {
                if let Some(cb) = &o.connected_cb {
                    cb(&c)
                }
            }
            Event::Reconnected => {
                if let Some(cb) = &o.reconnected_cb {
                    cb(&c)
                }
            }
            Event::Disconnected(e) => {
                if let Some(cb) = &o.disconnected_cb {
                    cb(&c, &e)
                }
            }
            Event::Closed => {
                if let Some(cb) = &o.closed_cb {
                    cb(&c)
                }
            }
            Event::DiscoveredServers => {
                if let Some(cb) = &o.discovered_servers_cb {
                    cb(&c)
                }
            }
            Event::LameDuck => {
                if let Some(cb) = &o.lame_duck_cb {
                    cb(&c)
                }
            }
            Event::AsyncError(sub, e) => {
                if let Some(cb) = &o.error_cb {
                    let s = sub.map(Subscription);
                    cb(&c, s.as_ref(), &e)
                }
            }
        }));
        drop(run);
        if last {
            break;
        }
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection").field("status", &self.status()).field("url", &self.connected_url()).finish()
    }
}
