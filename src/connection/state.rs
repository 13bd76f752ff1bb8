//! The state one connection shares between the caller's threads and its I/O task, and the
//! operations that span several parts of the engine: publish checks, subscribe, flush, drain,
//! close.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Mutex, RwLock};

use super::completions::{Completion, Completions, Slot};
use super::delivery_pool::DeliveryPool;
use super::dispatch::{self, in_handler};
use super::events::{Event, Events};
use super::pool::Pool;
use super::request::{self, RespMux};
use super::session::{self, IoDoneGuard, ReadyGuard};
use super::sub::{SubInner, SubKind};
use super::waiter::{Latch, Waiter};
use super::writer::{Appended, Frame, PongWaiter, SendMode, Writer};
use super::{ConnectionStatus, MsgHandler, Statistics, Subscription};
use crate::error::{err, Error, Result, Status};
use crate::options::Options;
use crate::proto::{encode, pub_wire, subject, ServerInfo};

/// max_payload assumed before the server said otherwise (and when it says 0 or less).
pub use crate::proto::info::DEFAULT_MAX_PAYLOAD;
/// Largest max_payload the client accepts from a server's INFO (it allocates for it).
pub use crate::proto::info::MAX_ACCEPTED_PAYLOAD;
/// Bad URLs of one INFO reported one by one (the rest are counted in one more error).
const MAX_REPORTED_BAD_URLS: usize = 16;
/// How long close() waits for the I/O task to push out what was published before it.
const CLOSE_IO_WAIT: Duration = Duration::from_secs(2);
/// Drain: flush time left when the subscriptions used up the whole timeout.
const DRAIN_MIN_FLUSH: Duration = Duration::from_millis(1);

pub(super) struct Inner {
    pub(super) opts: Options,
    pub(super) writer: Writer,
    pub(super) subs: RwLock<HashMap<u64, Arc<SubInner>>>,
    /// Bumped on every change of `subs` (the reader's routing cache checks it).
    pub(super) subs_gen: AtomicU64,
    pub(super) next_sid: AtomicU64,
    status: AtomicU8,
    pub(super) info: RwLock<Arc<ServerInfo>>,
    pub(super) max_payload: AtomicI64,
    headers_ok: AtomicBool,
    pub(super) in_msgs: AtomicU64,
    pub(super) in_bytes: AtomicU64,
    pub(super) reconnects: AtomicU64,
    pub(super) resp: Mutex<RespMux>,
    pub(super) events: Arc<Events>,
    pub(super) completions: Completions,
    /// The delivery pool of async subscriptions, when the options ask for one.
    pub(super) delivery: once_cell::sync::OnceCell<DeliveryPool>,
    /// Notified (all waiters) when the connection closes; see `closing`.
    shutdown: tokio::sync::Notify,
    pub(super) force_reconnect: tokio::sync::Notify,
    pub(super) pool: Mutex<Pool>,
    pub(super) last_error: Mutex<Option<Error>>,
    io_done: Latch,
    /// Opens when the first close() has done all its work (later calls wait for it).
    close_done: Latch,
    pub(super) ever_connected: AtomicBool,
    /// The last connection used TLS (selects the TLS reconnect jitter).
    pub(super) was_tls: AtomicBool,
    /// The plain TCP socket served now, for a loop that reads inline (see `inline_read`).
    pub(super) inline: super::inline_read::Slot,
    /// The socket of the last connection made (local address, TLS session).
    pub(super) session: Mutex<Arc<super::session_info::SessionInfo>>,
}

impl crate::msg::Responder for Inner {
    fn publish_reply(&self, subject: &[u8], headers: Option<&[u8]>, data: &[u8]) -> Result<()> {
        // A reply: someone waits for it; written at once when the writer is idle.
        self.publish_checked(subject, None, headers, data, SendMode::Urgent)
    }
}

impl crate::runtime::OnShutdown for Inner {
    fn on_shutdown(&self) {
        self.close(Some(err!(ConnectionClosed, "library shut down")));
    }
}

fn deadline_after(timeout: Duration) -> Option<Instant> {
    Instant::now().checked_add(timeout)
}

impl Inner {
    /// Starts a connection: the event thread (if any callback is set) and the I/O task; waits
    /// for the first connect to succeed or fail.
    pub(super) fn start(opts: Options) -> Result<Arc<Inner>> {
        let rt = crate::runtime::handle().map_err(|e| err!(Io, "cannot start the runtime: {}", e))?;
        let has_events = opts.closed_cb.is_some()
            || opts.connected_cb.is_some()
            || opts.disconnected_cb.is_some()
            || opts.reconnected_cb.is_some()
            || opts.discovered_servers_cb.is_some()
            || opts.lame_duck_cb.is_some()
            || opts.error_cb.is_some()
            || opts.reconnect_error_cb.is_some();
        let prefix = format!("{}.{}.", opts.inbox_prefix, super::nuid());
        let inner = Arc::new(Inner {
            writer: Writer::new(opts.reconnect_buf_size),
            subs: RwLock::new(HashMap::new()),
            subs_gen: AtomicU64::new(0),
            next_sid: AtomicU64::new(1),
            status: AtomicU8::new(ConnectionStatus::Connecting as u8),
            info: RwLock::new(Arc::new(ServerInfo::default())),
            max_payload: AtomicI64::new(DEFAULT_MAX_PAYLOAD),
            headers_ok: AtomicBool::new(true),
            in_msgs: AtomicU64::new(0),
            in_bytes: AtomicU64::new(0),
            reconnects: AtomicU64::new(0),
            resp: Mutex::new(RespMux::new(prefix)),
            events: Arc::new(Events::new()),
            completions: Completions::default(),
            delivery: once_cell::sync::OnceCell::new(),
            shutdown: tokio::sync::Notify::new(),
            force_reconnect: tokio::sync::Notify::new(),
            pool: Mutex::new(Pool::new(&opts.servers, opts.no_randomize)),
            last_error: Mutex::new(None),
            io_done: Latch::new(),
            close_done: Latch::new(),
            ever_connected: AtomicBool::new(false),
            was_tls: AtomicBool::new(false),
            inline: Mutex::new(None),
            session: Mutex::new(Arc::default()),
            opts,
        });
        if has_events {
            inner.events.start(Arc::downgrade(&inner))?;
        }
        crate::runtime::register(&(inner.clone() as Arc<dyn crate::runtime::OnShutdown>));
        let ready: Arc<Waiter<Result<()>>> = Arc::new(Waiter::new());
        let task = rt.spawn(session::main_task(inner.clone(), ReadyGuard(ready.clone()), IoDoneGuard(inner.clone())));
        // A panic in the I/O task must not leave the connection alive but dead: close it.
        let weak = Arc::downgrade(&inner);
        rt.spawn(async move {
            if let Err(e) = task.await {
                if let (true, Some(inner)) = (e.is_panic(), weak.upgrade()) {
                    let msg = super::panic_text(&*e.into_panic());
                    std::thread::spawn(move || inner.close(Some(err!(Panic, "the connection's I/O task failed: {}", msg))));
                }
            }
        });
        match ready.wait_until(None) {
            Some(Ok(())) => Ok(inner),
            Some(Err(e)) => {
                inner.events.stop_silently();
                Err(e)
            }
            None => Err(err!(Io, "connect task ended unexpectedly")),
        }
    }

    #[inline]
    pub(super) fn status(&self) -> ConnectionStatus {
        ConnectionStatus::from_u8(self.status.load(Ordering::Acquire))
    }

    /// Moves to `to` only from one of `from`; false if the status was something else.
    pub(super) fn status_transition(&self, from: &[ConnectionStatus], to: ConnectionStatus) -> bool {
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
    pub(super) fn set_status(&self, s: ConnectionStatus) -> bool {
        use ConnectionStatus::*;
        self.status_transition(&[Disconnected, Connecting, Connected, Reconnecting, DrainingSubs, DrainingPubs], s)
    }

    #[inline]
    pub(super) fn is_closed(&self) -> bool {
        self.status() == ConnectionStatus::Closed
    }

    /// Resolves once the connection is closed (checked after registering, so no wake is lost).
    pub(super) async fn closing(&self) {
        loop {
            let n = self.shutdown.notified();
            tokio::pin!(n);
            n.as_mut().enable();
            if self.is_closed() {
                return;
            }
            n.await;
        }
    }

    pub(super) fn stats(&self) -> Statistics {
        let (out_msgs, out_bytes) = self.writer.out_counts();
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

    pub(super) fn async_error(&self, sub: Option<Arc<SubInner>>, e: Error) {
        self.events.emit(Event::AsyncError(sub, e));
    }

    /// URLs in a server's connect_urls that could not be parsed are skipped and reported (the
    /// first `MAX_REPORTED_BAD_URLS` one by one, then how many more).
    pub(super) fn report_bad_urls(&self, bad: Vec<Error>) {
        let n = bad.len();
        for e in bad.into_iter().take(MAX_REPORTED_BAD_URLS) {
            self.async_error(None, e);
        }
        if n > MAX_REPORTED_BAD_URLS {
            self.async_error(None, err!(InvalidArgument, "the server announced {} more bad URLs", n - MAX_REPORTED_BAD_URLS));
        }
    }

    /// Limits from an INFO: max_payload (capped at what the client will allocate for) and,
    /// on connect, header support.
    pub(super) fn apply_info_limits(&self, info: &ServerInfo, on_connect: bool) {
        if info.max_payload > 0 {
            self.max_payload.store(info.max_payload.min(MAX_ACCEPTED_PAYLOAD), Ordering::Relaxed);
        } else if on_connect {
            self.max_payload.store(DEFAULT_MAX_PAYLOAD, Ordering::Relaxed);
        }
        if on_connect {
            self.headers_ok.store(info.headers, Ordering::Relaxed);
        }
    }

    // ---------- publish ----------

    #[inline]
    pub(super) fn publish_raw(&self, subj: &[u8], reply: Option<&[u8]>, hdrs: Option<&[u8]>, data: &[u8]) -> Result<()> {
        self.publish_checked(subj, reply, hdrs, data, SendMode::Queued)
    }

    /// A request's publish: written by the calling thread when the writer is idle (a reply,
    /// too: see `Responder`).
    pub(super) fn publish_request(&self, subj: &[u8], reply: &[u8], hdrs: Option<&[u8]>, data: &[u8]) -> Result<()> {
        self.publish_checked(subj, Some(reply), hdrs, data, SendMode::Urgent)
    }

    /// Publishes a batch under one writer lock; each entry is checked as a publish is. Returns
    /// how many were published and the first refusal (nothing after it is published).
    pub(super) fn publish_many<'a>(&self, entries: impl Iterator<Item = Result<Frame<'a>>>) -> (usize, Result<()>) {
        // A batch is mostly one subject: a plain entry with the subject of the last checked one
        // only needs its size checked.
        let mut checked: &[u8] = &[];
        self.writer.publish_many(entries.map(move |e| {
            e.and_then(|(s, r, h, d)| {
                if r.is_none() && h.is_none() && !checked.is_empty() && s == checked {
                    self.check_size(d.len())?;
                } else {
                    self.check_publish(s, r, h, d)?;
                    if r.is_none() && h.is_none() {
                        checked = s;
                    }
                }
                Ok((s, r, h, d))
            })
        }))
    }

    /// Publishes ready-made PUB frames (see [`pub_wire`]), each checked as a publish is. The
    /// frames before the first refused one go out together: straight from `wire` when a plain
    /// socket is up and the writer is idle (no copy into the write buffer), else through the
    /// buffer; while disconnected, one by one (the reconnect buffer's limit applies to each).
    /// Returns how many were published and the first refusal.
    pub(super) fn publish_wire(&self, wire: &[u8]) -> (usize, Result<()>) {
        let mut rest = wire;
        let (mut count, mut bytes) = (0usize, 0u64);
        let mut refused = Ok(());
        // A batch is mostly one subject and size: a frame whose PUB line repeats the last
        // checked one passed the same checks.
        let mut scan = pub_wire::WireScanner::default();
        while !rest.is_empty() {
            let (f, same) = match scan.next(rest) {
                Ok(f) => f,
                Err(e) => {
                    refused = Err(err!(InvalidArgument, "{}", e));
                    break;
                }
            };
            if !same {
                if let Err(e) = self.check_publish(f.subject, f.reply, None, f.payload) {
                    refused = Err(e);
                    break;
                }
            }
            count += 1;
            bytes += f.payload.len() as u64;
            rest = &rest[f.len..];
        }
        let valid = &wire[..wire.len() - rest.len()];
        if valid.is_empty() {
            return (0, refused);
        }
        match self.writer.publish_wire(valid, count as u64, bytes) {
            Some(Ok(())) => (count, refused),
            Some(Err(e)) => (0, Err(e)),
            None => {
                let mut left = valid;
                let frames = std::iter::from_fn(move || {
                    let f = pub_wire::next_frame(left).ok()?;
                    left = &left[f.len..];
                    Some(Ok((f.subject, f.reply, None, f.payload)))
                });
                match self.writer.publish_many(frames) {
                    (n, Ok(())) => (n, refused),
                    other => other,
                }
            }
        }
    }

    #[inline]
    fn publish_checked(&self, subj: &[u8], reply: Option<&[u8]>, hdrs: Option<&[u8]>, data: &[u8], mode: SendMode) -> Result<()> {
        self.check_publish(subj, reply, hdrs, data)?;
        self.writer.publish(subj, reply, hdrs, data, mode)
    }

    /// The checks of a publish: subjects, max_payload, header support.
    #[inline]
    fn check_publish(&self, subj: &[u8], reply: Option<&[u8]>, hdrs: Option<&[u8]>, data: &[u8]) -> Result<()> {
        if !subject::valid_publish_subject(subj) {
            return Err(err!(InvalidSubject, "invalid publish subject '{}'", String::from_utf8_lossy(subj)));
        }
        if let Some(r) = reply {
            if !subject::valid_publish_subject(r) {
                return Err(err!(InvalidSubject, "invalid reply subject '{}'", String::from_utf8_lossy(r)));
            }
        }
        self.check_size(data.len() + hdrs.map_or(0, |h| h.len()))?;
        if hdrs.is_some() && !self.headers_ok.load(Ordering::Relaxed) {
            return Err(err!(HeadersNotSupported, "the server does not support headers"));
        }
        Ok(())
    }

    /// A payload (with its headers) against the server's max_payload.
    #[inline]
    fn check_size(&self, total: usize) -> Result<()> {
        let maxp = self.max_payload.load(Ordering::Relaxed);
        if total as i64 > maxp {
            return Err(err!(MaxPayload, "payload of {} bytes exceeds the server's max_payload of {}", total, maxp));
        }
        Ok(())
    }

    // ---------- subscriptions ----------

    pub(super) fn subscribe(
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
            ConnectionStatus::DrainingSubs | ConnectionStatus::DrainingPubs => return Err(err!(Draining, "connection is draining")),
            _ => {}
        }
        let sid = self.next_sid.fetch_add(1, Ordering::Relaxed);
        let sub = SubInner::new(sid, subj, queue, kind, self, (self.opts.sub_pending_msgs, self.opts.sub_pending_bytes))?;
        if let Some(h) = handler {
            dispatch::start(self, &sub, h)?;
        }
        self.register_sub(&sub);
        Ok(Subscription(sub))
    }

    /// Adds the sub to the routing table and sends SUB if connected (atomically w.r.t. reconnect).
    pub(super) fn register_sub(&self, sub: &Arc<SubInner>) {
        self.writer.locked(|up, buf| {
            self.subs.write().insert(sub.sid, sub.clone());
            self.subs_gen.fetch_add(1, Ordering::Release);
            if up {
                encode::write_sub(buf, sub.subject.as_bytes(), sub.queue.as_ref().map(|q| q.as_bytes()), sub.sid);
            }
        });
    }

    pub(super) fn remove_sub(&self, sid: u64) -> Option<Arc<SubInner>> {
        let r = self.subs.write().remove(&sid);
        if r.is_some() {
            self.subs_gen.fetch_add(1, Ordering::Release);
        }
        r
    }

    /// Sends UNSUB (with an optional max) and, without a max, forgets the sid.
    pub(super) fn unsubscribe_sid(&self, sid: u64, max: Option<u64>) {
        if max.is_none() {
            self.remove_sub(sid);
        }
        self.writer.control(|b| encode::write_unsub(b, sid, max));
    }

    pub(super) fn drain_sub(&self, sub: &Arc<SubInner>) -> Result<()> {
        {
            let mut q = sub.q.lock();
            if q.input_closed || sub.is_stopped() {
                return Err(err!(InvalidSubscription, "subscription is no longer valid"));
            }
            if q.draining {
                return Ok(());
            }
            q.draining = true;
        }
        let sid = sub.sid;
        if self.writer.ping(|b| encode::write_unsub(b, sid, None), PongWaiter::DrainSub(sub.clone())).is_err() {
            self.remove_sub(sid);
            sub.close_input(Status::InvalidSubscription);
        }
        Ok(())
    }

    // ---------- flush / drain / close ----------

    pub(super) fn flush(&self, timeout: Duration) -> Result<()> {
        if timeout.is_zero() {
            return Err(err!(InvalidArgument, "flush timeout must be positive"));
        }
        let waiter = Arc::new(Waiter::new());
        match self.writer.ping(|_| {}, PongWaiter::Flush(waiter.clone())) {
            Ok(()) => {}
            Err((Appended::Closed, _)) => return Err(err!(ConnectionClosed, "connection closed")),
            Err(_) => return Err(err!(NotConnected, "not connected (reconnecting)")),
        }
        match waiter.wait_until(deadline_after(timeout)) {
            Some(r) => r,
            None => Err(err!(Timeout, "flush timed out after {:?}", timeout)),
        }
    }

    /// Starts a flush and returns at once: `done` runs once on the completion thread when the
    /// server's PONG arrives, at the timeout, or when the connection drops.
    pub(super) fn flush_async(self: &Arc<Self>, timeout: Duration, done: Completion<()>) -> Result<()> {
        if timeout.is_zero() {
            return Err(err!(InvalidArgument, "flush timeout must be positive"));
        }
        let rt = crate::runtime::handle().map_err(|e| err!(Io, "cannot start the runtime: {}", e))?;
        let slot = Slot::new(done);
        match self.writer.ping(|_| {}, PongWaiter::FlushAsync(slot.clone())) {
            Ok(()) => {}
            Err((Appended::Closed, _)) => return Err(err!(ConnectionClosed, "connection closed")),
            Err(_) => return Err(err!(NotConnected, "not connected (reconnecting)")),
        }
        let (weak_slot, weak) = (Arc::downgrade(&slot), Arc::downgrade(self));
        rt.spawn(async move {
            tokio::time::sleep(timeout).await;
            if let (Some(f), Some(inner)) = (weak_slot.upgrade().and_then(|s| s.take()), weak.upgrade()) {
                inner.completions.run(f, Err(err!(Timeout, "flush timed out after {:?}", timeout)));
            }
        });
        Ok(())
    }

    pub(super) fn drain(self: &Arc<Self>, timeout: Duration) -> Result<()> {
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
        let resp_sid = self.resp.lock().sid();
        let subs: Vec<Arc<SubInner>> = self.subs.read().values().filter(|s| Some(s.sid) != resp_sid).cloned().collect();
        for s in &subs {
            let _ = self.drain_sub(s);
        }
        let mut ok = true;
        for s in &subs {
            if dispatch::is_dispatcher_thread(s) {
                continue;
            }
            if !s.wait_done(deadline) {
                ok = false;
            }
        }
        self.set_status(ConnectionStatus::DrainingPubs);
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now())).unwrap_or(timeout);
        let flushed = self.flush(left.max(DRAIN_MIN_FLUSH));
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
    /// dispatchers stop, the closed callback runs. Idempotent: every call returns once that
    /// is done (a call from inside a callback does not wait for other callbacks).
    pub(super) fn close(&self, reason: Option<Error>) {
        let on_runtime = tokio::runtime::Handle::try_current().is_ok();
        let prev = self.status.swap(ConnectionStatus::Closed as u8, Ordering::AcqRel);
        if prev == ConnectionStatus::Closed as u8 {
            if !on_runtime && !in_handler() {
                self.close_done.wait_until(None);
            }
            return;
        }
        if let Some(e) = reason {
            *self.last_error.lock() = Some(e);
        }
        let pongs = self.writer.close();
        session::fail_pongs(self, pongs, || err!(ConnectionClosed, "connection closed"));
        self.shutdown.notify_waiters();
        request::fail_all(self, || err!(ConnectionClosed, "connection closed"));
        // Completions of failed calls run before close returns (userdata released).
        self.completions.finish();
        let subs: Vec<Arc<SubInner>> = self.subs.write().drain().map(|(_, s)| s).collect();
        self.subs_gen.fetch_add(1, Ordering::Release);
        for s in &subs {
            s.stop(Status::ConnectionClosed);
        }
        for s in &subs {
            dispatch::join(s);
        }
        if let Some(p) = self.delivery.get() {
            p.shutdown();
        }
        // Give the I/O task a moment to flush what was published before close.
        if !on_runtime {
            self.io_done.wait_until(deadline_after(CLOSE_IO_WAIT));
        }
        self.events.emit(Event::Closed);
        self.events.join();
        self.close_done.open();
    }

    /// The first connect failed (no retry): closed without the close() machinery, which has
    /// nothing to stop; later close() calls return at once.
    pub(super) fn first_connect_failed(&self) {
        if self.status_transition(&[ConnectionStatus::Connecting], ConnectionStatus::Closed) {
            self.close_done.open();
        }
        self.writer.close();
    }

    pub(super) fn io_finished(&self) {
        self.io_done.open();
    }
}
