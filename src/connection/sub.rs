//! Subscriptions: the per-subscription queue with pending limits (filled by the reader), the
//! synchronous pull side, and the public `Subscription` handle.

use std::collections::VecDeque;
use std::ffi::CString;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::thread::{JoinHandle, ThreadId};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use once_cell::sync::OnceCell;
use parking_lot::{Condvar, Mutex};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use super::delivery_pool::PoolSlot;
use super::dispatch;
use super::notify_fd;
use super::state::Inner;
use crate::error::{err, Error, Result, Status};
use crate::msg::Msg;

/// Message handler of an async subscription; runs on the subscription's dispatcher thread.
pub type MsgHandler = Box<dyn FnMut(&Subscription, Msg) + Send>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SubKind {
    Async,
    Sync,
    /// The connection's request/reply multiplexer.
    Resp,
}

pub(super) struct SubQueue {
    pub(super) msgs: VecDeque<Msg>,
    pub(super) bytes: usize,
    /// Where small waiting messages are copied to (pages are freed as the queue drains).
    pub(super) arena: BytesMut,
    /// Address of a message from the read chunk seen last, and how many came from it.
    pub(super) chunk_at: usize,
    pub(super) chunk_run: u32,
    pub(super) limit_msgs: i64,
    pub(super) limit_bytes: i64,
    pub(super) received: u64,
    pub(super) max: u64,
    pub(super) dropped: u64,
    /// Most messages and bytes queued at once since creation or the last `clear_max_pending`.
    pub(super) peak_msgs: usize,
    pub(super) peak_bytes: usize,
    pub(super) slow: bool,
    pub(super) pending_err: Option<Error>,
    /// No more messages are accepted (max reached, drained, unsubscribed, closed).
    pub(super) input_closed: bool,
    pub(super) draining: bool,
    /// Everything is finished (dispatcher exited / sync queue consumed after input closed).
    pub(super) done: bool,
    pub(super) waiters: u32,
    /// The reader owes the waiters a wake-up (it wakes them once per read, see `push`).
    pub(super) wake_owed: bool,
    /// Why input closed, reported by next_msg once the queue is empty.
    pub(super) end_status: Status,
}

pub(super) struct SubInner {
    pub(super) sid: u64,
    pub(super) subject: CString,
    pub(super) queue: Option<CString>,
    pub(super) kind: SubKind,
    pub(super) conn: Weak<Inner>,
    pub(super) q: Mutex<SubQueue>,
    pub(super) cv: Condvar,
    /// Stopped at once (unsubscribed, freed, closed): queued messages are discarded.
    stopped: AtomicBool,
    pub(super) delivered: AtomicU64,
    pub(super) dispatcher: Mutex<Option<JoinHandle<()>>>,
    pub(super) dispatcher_id: Mutex<Option<ThreadId>>,
    /// An eventfd made readable when a message enters an empty queue or the input ends (sync
    /// subscriptions, on request: event loops watch it).
    notify: OnceCell<OwnedFd>,
    /// Woken like `notify` (a non-blocking JetStream fetch waits on it in the runtime).
    waker: OnceCell<Arc<tokio::sync::Notify>>,
    /// Set when the subscription is delivered by the connection's delivery pool.
    pub(super) pooled: OnceCell<Arc<PoolSlot>>,
}

/// What [`Subscription::try_next_msgs_fitting`] found.
#[derive(Debug)]
pub enum Fitting {
    /// The messages taken (none when the queue was empty).
    Taken(Vec<Msg>),
    /// The first waiting message alone needs this many bytes; nothing was taken.
    FirstNeeds(usize),
}

/// A subscription handle (cheap to clone).
#[derive(Clone)]
pub struct Subscription(pub(super) Arc<SubInner>);

/// Queued messages up to this frame size are copied out of their read chunk (see `push`);
/// larger ones keep their zero-copy view (they weigh enough to be charged fairly).
pub const COMPACT_MAX_FRAME: usize = 2048;
/// Messages from one read chunk that a queue copies before it keeps the chunk (dense).
const DENSE_RUN: u32 = 8;
/// Size of the buffers that hold copied messages.
const ARENA_PAGE: usize = 16 * 1024;

/// Most messages a dispatcher takes out of the queue in one go.
pub(super) const DISPATCH_BATCH: usize = 1024;

impl SubInner {
    pub(super) fn new(
        sid: u64,
        subject: &str,
        queue: Option<&str>,
        kind: SubKind,
        conn: &Arc<Inner>,
        limits: (i64, i64),
    ) -> Result<Arc<SubInner>> {
        let subject = CString::new(subject).map_err(|_| err!(InvalidSubject, "subject contains NUL"))?;
        let queue = match queue {
            Some(q) => Some(CString::new(q).map_err(|_| err!(InvalidQueue, "queue contains NUL"))?),
            None => None,
        };
        Ok(Arc::new(SubInner {
            sid,
            subject,
            queue,
            kind,
            conn: Arc::downgrade(conn),
            q: Mutex::new(SubQueue {
                msgs: VecDeque::new(),
                bytes: 0,
                arena: BytesMut::new(),
                chunk_at: 0,
                chunk_run: 0,
                limit_msgs: limits.0,
                limit_bytes: limits.1,
                received: 0,
                max: 0,
                dropped: 0,
                peak_msgs: 0,
                peak_bytes: 0,
                slow: false,
                pending_err: None,
                input_closed: false,
                draining: false,
                done: false,
                waiters: 0,
                wake_owed: false,
                end_status: Status::InvalidSubscription,
            }),
            cv: Condvar::new(),
            stopped: AtomicBool::new(false),
            delivered: AtomicU64::new(0),
            dispatcher: Mutex::new(None),
            dispatcher_id: Mutex::new(None),
            notify: OnceCell::new(),
            waker: OnceCell::new(),
            pooled: OnceCell::new(),
        }))
    }

    pub(super) fn subject_str(&self) -> &str {
        self.subject.to_str().unwrap_or("")
    }

    /// Called by the reader for every message routed to this subscription. Waiting threads
    /// (dispatcher, `next_msg`) are not woken here: when some wait, `wake` is set the first
    /// time and the reader calls [`SubInner::wake_waiters`] once it has routed everything it
    /// read, so a burst costs one wake-up rather than one per message.
    /// Returns (reached_max, slow_consumer_episode_started).
    #[inline]
    pub(super) fn push(&self, mut msg: Msg, wake: &mut bool) -> (bool, bool) {
        let mut q = self.q.lock();
        if q.input_closed {
            return (false, false);
        }
        q.received += 1;
        let size = msg.size();
        let over =
            (q.limit_msgs >= 0 && q.msgs.len() as i64 >= q.limit_msgs) || (q.limit_bytes >= 0 && (q.bytes + size) as i64 > q.limit_bytes);
        let mut started_slow = false;
        if over {
            q.dropped += 1;
            if !q.slow {
                q.slow = true;
                started_slow = true;
                if self.kind == SubKind::Sync {
                    q.pending_err = Some(err!(SlowConsumer, "messages dropped on subscription '{}'", self.subject_str()));
                }
            }
        } else {
            q.slow = false;
            q.bytes += size;
            if !q.msgs.is_empty() && msg.frame_len() <= COMPACT_MAX_FRAME && sparse_in_chunk(&mut q, msg.frame_addr()) {
                // It will wait behind others, and few of this queue's messages share its read
                // chunk: copy it out, so an unread message costs what it weighs rather than
                // the chunk it came in.
                msg.compact_into(&mut q.arena, ARENA_PAGE);
            }
            q.msgs.push_back(msg);
            q.peak_msgs = q.peak_msgs.max(q.msgs.len());
            q.peak_bytes = q.peak_bytes.max(q.bytes);
            if q.msgs.len() == 1 {
                self.signal();
            }
        }
        let reached = q.max > 0 && q.received >= q.max;
        if reached {
            q.input_closed = true;
            q.end_status = Status::MaxMessages;
        }
        if reached {
            // Ends the queue: wake now, as `close_input` does.
            self.cv.notify_all();
        } else if q.waiters > 0 && !q.wake_owed {
            q.wake_owed = true;
            *wake = true;
        }
        (reached, started_slow)
    }

    /// Wakes the threads waiting on the queue after the reader's pushes (see `push`).
    pub(super) fn wake_waiters(&self) {
        let mut q = self.q.lock();
        if std::mem::take(&mut q.wake_owed) {
            self.cv.notify_all();
        }
    }

    /// No more input; queued messages are still delivered.
    pub(super) fn close_input(&self, status: Status) {
        let mut q = self.q.lock();
        if !q.input_closed {
            q.input_closed = true;
            q.end_status = status;
        }
        self.mark_done_if_sync(&mut q);
        self.cv.notify_all();
        self.signal();
    }

    /// Makes the notification fd readable, if there is one, and schedules a pooled
    /// subscription. Called with the queue lock held.
    #[inline]
    fn signal(&self) {
        if let Some(fd) = self.notify.get() {
            // an inline read reports the sid to its caller instead (see `inline_read`)
            if !super::inline_read::take_signal(self.sid) {
                notify_fd::signal(fd);
            }
        }
        if let Some(w) = self.waker.get() {
            w.notify_one();
        }
        if let Some(p) = self.pooled.get() {
            p.schedule();
        }
    }

    pub(super) fn pooled(&self) -> Option<&Arc<PoolSlot>> {
        self.pooled.get()
    }

    fn mark_done_if_sync(&self, q: &mut SubQueue) {
        if self.kind != SubKind::Async && q.input_closed && q.msgs.is_empty() {
            self.set_done(q);
        }
    }

    /// Marks the queue consumed to its end and wakes the threads waiting for that (a
    /// `drain_wait` would otherwise sleep until its timeout).
    fn set_done(&self, q: &mut SubQueue) {
        if !q.done {
            q.done = true;
            if q.waiters > 0 {
                self.cv.notify_all();
            }
        }
    }

    /// Stops the subscription at once (queued messages are discarded). Returns false if it was stopped already.
    pub(super) fn stop(&self, status: Status) -> bool {
        let mut q = self.q.lock();
        if self.stopped.swap(true, Ordering::AcqRel) {
            return false;
        }
        if !q.input_closed {
            q.input_closed = true;
            q.end_status = status;
        }
        q.msgs.clear();
        q.bytes = 0;
        if self.kind != SubKind::Async {
            q.done = true;
        }
        self.cv.notify_all();
        self.signal();
        true
    }

    #[inline]
    pub(super) fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }

    /// Waits for the dispatcher thread to exit (not from a handler).
    pub(super) fn join_dispatcher(&self) {
        dispatch::join(self);
    }

    pub(super) fn next_msg(&self, timeout: Duration) -> Result<Msg> {
        if self.kind != SubKind::Sync {
            return Err(err!(IllegalState, "next_msg is only valid on a synchronous subscription"));
        }
        let deadline = Instant::now().checked_add(timeout);
        let mut q = self.q.lock();
        loop {
            if let Some(e) = q.pending_err.take() {
                return Err(e);
            }
            if let Some(m) = q.msgs.pop_front() {
                q.bytes -= m.size();
                self.delivered.fetch_add(1, Ordering::Relaxed);
                shrink_if_idle(&mut q);
                self.mark_done_if_sync(&mut q);
                return Ok(m);
            }
            if q.input_closed || self.is_stopped() {
                self.set_done(&mut q);
                return Err(end_error(q.end_status, self));
            }
            let timed_out = match deadline {
                Some(d) if Instant::now() >= d => true,
                Some(d) => {
                    q.waiters += 1;
                    let r = self.cv.wait_until(&mut q, d).timed_out();
                    q.waiters -= 1;
                    r && q.msgs.is_empty() && !q.input_closed && q.pending_err.is_none()
                }
                None => {
                    q.waiters += 1;
                    self.cv.wait(&mut q);
                    q.waiters -= 1;
                    false
                }
            };
            if timed_out {
                return Err(err!(Timeout, "no message received within the timeout"));
            }
        }
    }

    pub(super) fn next_msgs(&self, max: usize, timeout: Duration, out: &mut Vec<Msg>) -> Result<()> {
        if max == 0 {
            return Err(err!(InvalidArgument, "max must be at least 1"));
        }
        let first = self.next_msg(timeout)?;
        out.push(first);
        let mut q = self.q.lock();
        while out.len() < max {
            match q.msgs.pop_front() {
                Some(m) => {
                    q.bytes -= m.size();
                    out.push(m);
                }
                None => break,
            }
        }
        self.delivered.fetch_add(out.len() as u64 - 1, Ordering::Relaxed);
        shrink_if_idle(&mut q);
        self.mark_done_if_sync(&mut q);
        Ok(())
    }

    /// Waits until a message is queued, an error is pending or the input ended. Timeout when
    /// none of that happened by `deadline`.
    fn wait_ready(&self, deadline: Option<Instant>) -> Result<()> {
        let mut q = self.q.lock();
        loop {
            if !q.msgs.is_empty() || q.pending_err.is_some() || q.input_closed || self.is_stopped() {
                return Ok(());
            }
            q.waiters += 1;
            let timed_out = match deadline {
                Some(d) => self.cv.wait_until(&mut q, d).timed_out(),
                None => {
                    self.cv.wait(&mut q);
                    false
                }
            };
            q.waiters -= 1;
            if timed_out && q.msgs.is_empty() && q.pending_err.is_none() && !q.input_closed {
                return Err(err!(Timeout, "no message received within the timeout"));
            }
        }
    }

    /// Waits until the subscription is completely finished (e.g. after drain).
    pub(super) fn wait_done(&self, deadline: Option<Instant>) -> bool {
        let mut q = self.q.lock();
        loop {
            if q.done || (self.kind != SubKind::Async && q.input_closed && q.msgs.is_empty()) {
                return true;
            }
            q.waiters += 1;
            let timed_out = match deadline {
                Some(d) => self.cv.wait_until(&mut q, d).timed_out(),
                None => {
                    self.cv.wait(&mut q);
                    false
                }
            };
            q.waiters -= 1;
            if timed_out {
                return q.done;
            }
        }
    }
}

/// Whether a queued message at `addr` should be copied out of its read chunk: the first
/// `DENSE_RUN` messages this queue gets from a chunk are; after that the chunk is dense with
/// this queue's messages and keeping it costs little per message.
#[inline]
fn sparse_in_chunk(q: &mut SubQueue, addr: usize) -> bool {
    if addr.abs_diff(q.chunk_at) >= super::handshake::READ_CHUNK {
        q.chunk_at = addr;
        q.chunk_run = 1;
        return true;
    }
    q.chunk_run = q.chunk_run.saturating_add(1);
    q.chunk_run <= DENSE_RUN
}

/// Releases the memory of a large backlog once the queue is empty again.
#[inline]
pub(super) fn shrink_if_idle(q: &mut SubQueue) {
    if q.msgs.is_empty() && q.msgs.capacity() > 4 * DISPATCH_BATCH {
        q.msgs.shrink_to(DISPATCH_BATCH);
    }
}

fn end_error(status: Status, sub: &SubInner) -> Error {
    match status {
        Status::MaxMessages => err!(MaxMessages, "subscription '{}' reached its maximum", sub.subject_str()),
        Status::ConnectionClosed => err!(ConnectionClosed, "connection closed"),
        s => Error::new(s, format!("subscription '{}' is no longer valid", sub.subject_str())),
    }
}

impl Subscription {
    pub fn sid(&self) -> u64 {
        self.0.sid
    }
    pub fn subject(&self) -> &str {
        self.0.subject_str()
    }
    pub fn queue(&self) -> Option<&str> {
        self.0.queue.as_ref().and_then(|q| q.to_str().ok())
    }
    pub fn is_valid(&self) -> bool {
        !self.0.q.lock().input_closed
    }

    /// Next message of a synchronous subscription.
    pub fn next_msg(&self, timeout: Duration) -> Result<Msg> {
        let mut m = self.0.next_msg(timeout)?;
        if let Some(c) = self.0.conn.upgrade() {
            m.attach(&c);
        }
        Ok(m)
    }

    /// Waits up to `timeout` for the first message, then takes up to `max` queued ones.
    pub fn next_msgs(&self, max: usize, timeout: Duration) -> Result<Vec<Msg>> {
        let mut v = Vec::with_capacity(max.min(1024));
        self.0.next_msgs(max, timeout, &mut v)?;
        if let Some(c) = self.0.conn.upgrade() {
            for m in v.iter_mut() {
                m.attach(&c);
            }
        }
        Ok(v)
    }

    /// Takes up to `max` queued messages without waiting (possibly none). A synchronous
    /// subscription's errors come as from `next_msg` (slow consumer once; the end once empty).
    pub fn try_next_msgs(&self, max: usize) -> Result<Vec<Msg>> {
        if self.0.kind != SubKind::Sync {
            return Err(err!(IllegalState, "try_next_msgs is only valid on a synchronous subscription"));
        }
        if max == 0 {
            return Err(err!(InvalidArgument, "max must be at least 1"));
        }
        let mut v = Vec::new();
        {
            let mut q = self.0.q.lock();
            if let Some(e) = q.pending_err.take() {
                return Err(e);
            }
            while v.len() < max {
                match q.msgs.pop_front() {
                    Some(m) => {
                        q.bytes -= m.size();
                        v.push(m);
                    }
                    None => break,
                }
            }
            if v.is_empty() && (q.input_closed || self.0.is_stopped()) {
                self.0.set_done(&mut q);
                return Err(end_error(q.end_status, &self.0));
            }
            self.0.delivered.fetch_add(v.len() as u64, Ordering::Relaxed);
            shrink_if_idle(&mut q);
            self.0.mark_done_if_sync(&mut q);
        }
        if let Some(c) = self.0.conn.upgrade() {
            for m in v.iter_mut() {
                m.attach(&c);
            }
        }
        Ok(v)
    }

    /// Takes queued messages without waiting, in order, while the sum of `cost(msg)` stays
    /// within `budget` bytes; a message is never taken partly. If the first waiting message alone
    /// costs more than `budget`, nothing is taken and [`Fitting::FirstNeeds`] says its cost.
    /// Errors as [`Subscription::try_next_msgs`]. Synchronous subscriptions only.
    pub fn try_next_msgs_fitting(&self, budget: usize, cost: impl Fn(&Msg) -> usize) -> Result<Fitting> {
        if self.0.kind != SubKind::Sync {
            return Err(err!(IllegalState, "try_next_msgs_fitting is only valid on a synchronous subscription"));
        }
        let mut v = Vec::new();
        {
            let mut q = self.0.q.lock();
            if let Some(e) = q.pending_err.take() {
                return Err(e);
            }
            let mut used = 0usize;
            while let Some(m) = q.msgs.front() {
                let c = cost(m);
                if used.saturating_add(c) > budget {
                    if v.is_empty() {
                        return Ok(Fitting::FirstNeeds(c));
                    }
                    break;
                }
                used += c;
                let m = q.msgs.pop_front().expect("front exists");
                q.bytes -= m.size();
                v.push(m);
            }
            if v.is_empty() && (q.input_closed || self.0.is_stopped()) {
                self.0.set_done(&mut q);
                return Err(end_error(q.end_status, &self.0));
            }
            self.0.delivered.fetch_add(v.len() as u64, Ordering::Relaxed);
            shrink_if_idle(&mut q);
            self.0.mark_done_if_sync(&mut q);
        }
        if let Some(c) = self.0.conn.upgrade() {
            for m in v.iter_mut() {
                m.attach(&c);
            }
        }
        Ok(Fitting::Taken(v))
    }

    /// Like [`Subscription::try_next_msgs_fitting`], but first waits up to `timeout` for a
    /// message (Timeout if none came).
    pub fn next_msgs_fitting(&self, budget: usize, cost: impl Fn(&Msg) -> usize, timeout: Duration) -> Result<Fitting> {
        if self.0.kind != SubKind::Sync {
            return Err(err!(IllegalState, "next_msgs_fitting is only valid on a synchronous subscription"));
        }
        let deadline = Instant::now().checked_add(timeout);
        loop {
            self.0.wait_ready(deadline)?;
            match self.try_next_msgs_fitting(budget, &cost)? {
                // Another reader took what was there: wait again.
                Fitting::Taken(v) if v.is_empty() => continue,
                other => return Ok(other),
            }
        }
    }

    /// A file descriptor (eventfd, non-blocking, close-on-exec, owned by the subscription) that
    /// becomes readable when a message enters the empty queue or the subscription ends. Read it
    /// to clear it, then drain with `try_next_msgs` until it returns nothing. Synchronous
    /// subscriptions only.
    pub fn notify_fd(&self) -> Result<RawFd> {
        if self.0.kind != SubKind::Sync {
            return Err(err!(IllegalState, "notify_fd is only valid on a synchronous subscription"));
        }
        let fd = self.0.notify.get_or_try_init(notify_fd::create)?;
        // Anything queued or ended before the fd existed must be seen too.
        let q = self.0.q.lock();
        if !q.msgs.is_empty() || q.input_closed || q.pending_err.is_some() {
            notify_fd::signal(fd);
        }
        Ok(fd.as_raw_fd())
    }

    /// A task waker notified when a message enters the empty queue or the subscription ends
    /// (as `notify_fd`; a notification that comes while nobody waits is kept for the next
    /// wait). Synchronous subscriptions only.
    pub(crate) fn async_waker(&self) -> Arc<tokio::sync::Notify> {
        self.0.waker.get_or_init(|| Arc::new(tokio::sync::Notify::new())).clone()
    }

    /// Removes interest. No handler runs after this returns (unless called from the handler itself).
    pub fn unsubscribe(&self) -> Result<()> {
        if !self.0.stop(Status::InvalidSubscription) {
            return Err(err!(InvalidSubscription, "subscription already unsubscribed or closed"));
        }
        if let Some(c) = self.0.conn.upgrade() {
            c.unsubscribe_sid(self.0.sid, None);
        }
        self.0.join_dispatcher();
        Ok(())
    }

    /// Unsubscribes if still active, then waits until the handler has finished for good (its
    /// closure dropped), unless called from the handler itself. Unlike [`Subscription::unsubscribe`]
    /// it also waits when the subscription had already ended (e.g. unsubscribed from its handler).
    pub fn unsubscribe_and_wait(&self) {
        let _ = self.unsubscribe();
        self.0.join_dispatcher();
    }

    /// Unsubscribes automatically after `max` messages in total have been received.
    pub fn auto_unsubscribe(&self, max: u64) -> Result<()> {
        if max == 0 {
            return Err(err!(InvalidArgument, "max must be greater than 0"));
        }
        let reached = {
            let mut q = self.0.q.lock();
            if q.input_closed {
                return Err(err!(InvalidSubscription, "subscription is no longer valid"));
            }
            q.max = max;
            if q.received >= max {
                q.input_closed = true;
                q.end_status = Status::MaxMessages;
                self.0.cv.notify_all();
                true
            } else {
                false
            }
        };
        let conn = self.0.conn.upgrade().ok_or_else(|| err!(ConnectionClosed, "connection closed"))?;
        if reached {
            conn.unsubscribe_sid(self.0.sid, None);
        } else {
            conn.unsubscribe_sid(self.0.sid, Some(max));
        }
        Ok(())
    }

    /// Starts draining: interest is removed, messages already on the way are still delivered,
    /// then the subscription ends. Returns at once; see [`Subscription::drain_wait`].
    pub fn drain(&self) -> Result<()> {
        let conn = self.0.conn.upgrade().ok_or_else(|| err!(ConnectionClosed, "connection closed"))?;
        conn.drain_sub(&self.0)
    }

    /// Waits until a drain finished. Returns Timeout if it did not within `timeout`.
    pub fn drain_wait(&self, timeout: Duration) -> Result<()> {
        {
            let q = self.0.q.lock();
            if !q.input_closed && !q.draining {
                return Err(err!(IllegalState, "subscription is not draining"));
            }
        }
        let deadline = Instant::now().checked_add(timeout);
        if dispatch::is_dispatcher_thread(&self.0) {
            return Err(err!(IllegalState, "drain_wait cannot be called from the subscription's own handler"));
        }
        if self.0.wait_done(deadline) {
            Ok(())
        } else {
            Err(err!(Timeout, "drain did not complete in time"))
        }
    }

    pub fn set_pending_limits(&self, msgs: i64, bytes: i64) -> Result<()> {
        if msgs == 0 || bytes == 0 {
            return Err(err!(InvalidArgument, "pending limits cannot be zero (use a negative value for unlimited)"));
        }
        let mut q = self.0.q.lock();
        q.limit_msgs = msgs;
        q.limit_bytes = bytes;
        Ok(())
    }

    /// (pending messages, pending bytes)
    pub fn pending(&self) -> (i64, i64) {
        let q = self.0.q.lock();
        (q.msgs.len() as i64, q.bytes as i64)
    }
    pub fn dropped(&self) -> u64 {
        self.0.q.lock().dropped
    }
    /// The most (messages, bytes) that were queued at once, since the subscription was made or
    /// since the last [`Subscription::clear_max_pending`].
    pub fn max_pending(&self) -> (i64, i64) {
        let q = self.0.q.lock();
        (q.peak_msgs as i64, q.peak_bytes as i64)
    }
    /// Resets the high-water marks of [`Subscription::max_pending`] to zero.
    pub fn clear_max_pending(&self) {
        let mut q = self.0.q.lock();
        q.peak_msgs = 0;
        q.peak_bytes = 0;
    }
    pub fn delivered(&self) -> u64 {
        self.0.delivered.load(Ordering::Relaxed)
    }
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription").field("sid", &self.0.sid).field("subject", &self.subject()).field("queue", &self.queue()).finish()
    }
}
