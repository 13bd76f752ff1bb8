//! Async publish: a window of outstanding publishes whose acks arrive on one wildcard inbox.
//!
//! Each context has one reply subscription `<inbox>.*`; every publish gets a token (the last
//! reply token) in a map. At most `publish_async_max_pending` acks are outstanding: a publish
//! over the limit blocks up to `publish_async_stall_wait`, then fails. A timer thread fails acks
//! that do not come in time and, when the connection drops or reconnects, every pending ack
//! (its outcome is unknown), so the window can never stay full. A publish counts as
//! outstanding (for the window, the pending count and `publish_async_complete`) until its
//! completion callback has returned.
//!
//! A publish answered by "no responders" (no stream leader for a moment) is sent again after
//! the retry wait, at most `retry_attempts` times, within its ack timeout.
//!
//! Completion callbacks run on the reply subscription's dispatcher thread (acks, errors from
//! the server) or on the context's ack-timer thread (timeouts, disconnects); never on an I/O
//! thread.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use parking_lot::{Condvar, Mutex};

use super::publish::{parse_pub_ack, PubAck, PublishOptions};
use super::JetStream;
use crate::connection::{Connection, ConnectionStatus, Subscription};
use crate::error::{err, Error, Result, Status};
use crate::msg::Msg;
use crate::proto::HeaderMap;

/// How often the ack timer looks at the connection state when no ack deadline is nearer.
pub const ACK_TIMER_TICK: Duration = Duration::from_millis(20);

/// A publisher stalled on a full window is woken once the outstanding count falls to
/// `max_pending / STALL_RESUME_DIVISOR` (the low-water mark), so that it refills the window in a
/// burst instead of one message per ack. Slots freed otherwise (timeouts, disconnects, failed
/// sends) wake it at once, and the ack timer wakes it on every tick.
pub const STALL_RESUME_DIVISOR: usize = 2;

/// Largest number of decimal digits of a reply token.
const TOKEN_DIGITS: usize = 20;

/// Completion callback of one async publish: the ack or the error.
pub type PubAckCallback = Box<dyn FnOnce(Result<PubAck>) + Send>;

struct Slot {
    res: Mutex<Option<Result<PubAck>>>,
    cv: Condvar,
}

/// The outcome of one async publish, to wait for or poll.
#[derive(Clone)]
pub struct PubAckFuture(Arc<Slot>);

impl std::fmt::Debug for PubAckFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PubAckFuture").field("done", &self.0.res.lock().is_some()).finish()
    }
}

impl PubAckFuture {
    /// Waits up to `timeout` for the outcome (`Timeout` if it is not known yet; the publish
    /// itself still completes at its own ack timeout).
    pub fn wait(&self, timeout: Duration) -> Result<PubAck> {
        let deadline = Instant::now().checked_add(timeout);
        let mut g = self.0.res.lock();
        loop {
            if let Some(r) = g.as_ref() {
                return r.clone();
            }
            match deadline {
                Some(d) => {
                    if self.0.cv.wait_until(&mut g, d).timed_out() && g.is_none() {
                        return Err(err!(Timeout, "the pub ack did not arrive within {:?}", timeout));
                    }
                }
                None => self.0.cv.wait(&mut g),
            }
        }
    }
    /// The outcome if it is known.
    pub fn try_result(&self) -> Option<Result<PubAck>> {
        self.0.res.lock().clone()
    }
}

/// The time limits of one async publish.
struct Limits {
    /// Ack timeout.
    timeout: Duration,
    /// Retries after "no responders" and the wait between them.
    retry: (u32, Duration),
    /// How long to wait for room in a full window (None: the context's).
    stall_wait: Option<Duration>,
}

struct Pending {
    slot: Arc<Slot>,
    cb: Option<PubAckCallback>,
    deadline: Instant,
    /// The message as sent (with its reply subject, without headers) and its encoded header
    /// block, kept (shared) to publish it again after a "no responders" answer (no stream
    /// leader for a moment).
    msg: Msg,
    hdrs: Option<Bytes>,
    retries_left: u32,
    retry_wait: Duration,
    /// The connection's reconnect count when it was published.
    epoch: u64,
}

struct State {
    pending: HashMap<u64, Pending>,
    deadlines: BTreeSet<(Instant, u64)>,
    /// Publishes to send again at the given time.
    retries: BTreeSet<(Instant, u64)>,
    closed: bool,
    /// Publishes taken out of `pending` whose completion (callback) has not returned yet: they
    /// still count as pending for `publish_async_complete` and `publish_async_pending`.
    completing: usize,
}

impl State {
    /// Publishes not yet completed: waiting for an ack or running their completion.
    fn outstanding(&self) -> usize {
        self.pending.len() + self.completing
    }
}

thread_local! {
    /// How many of the publishes counted in `completing` are this thread's to complete, so
    /// that `publish_async_complete` called from a callback does not wait for itself.
    static COMPLETING_HERE: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

pub(crate) struct AsyncPublisher {
    conn: Connection,
    /// `<inbox>.`; replies are `<inbox>.<token>`.
    prefix: String,
    sub: Mutex<Option<Subscription>>,
    /// The next reply token.
    next: AtomicU64,
    st: Mutex<State>,
    /// Wakes stalled publishers: at the low-water mark on acks, at once on other frees.
    freed: Condvar,
    /// Wakes `publish_async_complete`: signalled while nothing waits for an ack any more.
    idle: Condvar,
    max_pending: usize,
    /// See [`STALL_RESUME_DIVISOR`].
    low_water: usize,
    stall_wait: Duration,
}

impl AsyncPublisher {
    fn start(js: &JetStream) -> Result<Arc<AsyncPublisher>> {
        let conn = js.0.conn.clone();
        let prefix = format!("{}.", conn.new_inbox());
        let p = Arc::new(AsyncPublisher {
            conn: conn.clone(),
            prefix: prefix.clone(),
            sub: Mutex::new(None),
            next: AtomicU64::new(1),
            st: Mutex::new(State {
                pending: HashMap::new(),
                deadlines: BTreeSet::new(),
                retries: BTreeSet::new(),
                closed: false,
                completing: 0,
            }),
            freed: Condvar::new(),
            idle: Condvar::new(),
            max_pending: js.0.opts.publish_async_max_pending,
            low_water: js.0.opts.publish_async_max_pending / STALL_RESUME_DIVISOR,
            stall_wait: js.0.opts.publish_async_stall_wait,
        });
        let weak = Arc::downgrade(&p);
        let plen = prefix.len();
        let sub = conn.subscribe(
            &format!("{}*", prefix),
            None,
            Box::new(move |_s, m: Msg| {
                let Some(p) = weak.upgrade() else { return };
                let Some(token) = m.subject().get(plen..).and_then(|t| t.parse::<u64>().ok()) else { return };
                let res = parse_pub_ack(&m);
                if matches!(&res, Err(e) if e.status == Status::NoResponders) && p.schedule_retry(token) {
                    return;
                }
                p.resolve(token, res);
            }),
        )?;
        // Unlimited pending on the ack inbox: the window bounds it.
        let _ = sub.set_pending_limits(-1, -1);
        *p.sub.lock() = Some(sub);
        let weak = Arc::downgrade(&p);
        std::thread::Builder::new()
            .name("natsrs-js-acks".into())
            .spawn(move || timer_loop(weak))
            .map_err(|e| err!(Io, "cannot start the ack timer thread: {}", e))?;
        Ok(p)
    }

    /// Schedules a new attempt of a publish answered by "no responders"; false when it has no
    /// attempts left (or its ack deadline comes first).
    fn schedule_retry(&self, token: u64) -> bool {
        let mut st = self.st.lock();
        let Some(p) = st.pending.get_mut(&token) else { return true };
        let at = Instant::now() + p.retry_wait;
        if p.retries_left == 0 || at >= p.deadline {
            return false;
        }
        p.retries_left -= 1;
        st.retries.insert((at, token));
        true
    }

    /// Sends the publishes whose retry time came; returns the next retry time.
    fn send_retries(&self, now: Instant) -> Option<Instant> {
        let mut due = Vec::new();
        let next = {
            let mut st = self.st.lock();
            while let Some(&(t, token)) = st.retries.iter().next() {
                if t > now {
                    break;
                }
                st.retries.remove(&(t, token));
                if let Some(p) = st.pending.get(&token) {
                    due.push((p.msg.clone(), p.hdrs.clone()));
                }
            }
            st.retries.iter().next().map(|x| x.0)
        };
        for (m, h) in due {
            // A failure here surfaces as the ack timeout.
            let _ = self.send(&m, h.as_deref());
        }
        next
    }

    fn send(&self, msg: &Msg, hdrs: Option<&[u8]>) -> Result<()> {
        match hdrs {
            None => self.conn.publish_msg(msg),
            Some(h) => self.conn.publish_with_header_block(msg.subject_bytes(), msg.reply_bytes(), h, msg.data()),
        }
    }

    fn resolve(&self, token: u64, res: Result<PubAck>) {
        let p = {
            let mut st = self.st.lock();
            let Some(p) = st.pending.remove(&token) else { return };
            st.deadlines.remove(&(p.deadline, token));
            // Still outstanding until its callback returned: nobody to wake yet.
            st.completing += 1;
            p
        };
        self.complete(std::iter::once((p, res)), false);
    }

    /// Wakes the waiters the state allows: `publish_async_complete` once no ack is awaited
    /// (it checks the running completions itself), stalled publishers at the low-water mark
    /// or, with `any_room`, whenever a slot was freed.
    fn wake(&self, st: &State, any_room: bool) {
        if st.pending.is_empty() {
            self.idle.notify_all();
        }
        if any_room || st.outstanding() <= self.low_water {
            self.freed.notify_all();
        }
    }

    /// Runs the completions of publishes already taken out of `pending` (and counted in
    /// `completing`), then marks them done.
    fn complete(&self, done: impl ExactSizeIterator<Item = (Pending, Result<PubAck>)>, any_room: bool) {
        let n = done.len();
        if n == 0 {
            return;
        }
        COMPLETING_HERE.with(|c| c.set(c.get() + n));
        // Counted as done even if a callback panics (the panic still propagates).
        struct Finish<'a>(&'a AsyncPublisher, usize, bool);
        impl Drop for Finish<'_> {
            fn drop(&mut self) {
                COMPLETING_HERE.with(|c| c.set(c.get() - self.1));
                let mut st = self.0.st.lock();
                st.completing -= self.1;
                self.0.wake(&st, self.2);
            }
        }
        let _finish = Finish(self, n, any_room);
        for (p, res) in done {
            complete(p, res);
        }
    }

    fn fail_all(&self, mk: impl Fn() -> Error) {
        self.fail_before(u64::MAX, mk)
    }

    /// Fails the pending publishes made before reconnect number `epoch`.
    fn fail_before(&self, epoch: u64, mk: impl Fn() -> Error) {
        let all: Vec<Pending> = {
            let mut st = self.st.lock();
            let tokens: Vec<u64> = st.pending.iter().filter(|(_, p)| p.epoch < epoch).map(|(t, _)| *t).collect();
            let mut v = Vec::with_capacity(tokens.len());
            for t in tokens {
                if let Some(p) = st.pending.remove(&t) {
                    st.deadlines.remove(&(p.deadline, t));
                    st.retries.retain(|x| x.1 != t);
                    v.push(p);
                }
            }
            st.completing += v.len();
            v
        };
        self.complete(all.into_iter().map(|p| (p, Err(mk()))), true);
    }

    /// Fails the acks whose deadline passed; returns the next deadline.
    fn expire(&self, now: Instant) -> Option<Instant> {
        let mut expired = Vec::new();
        let next = {
            let mut st = self.st.lock();
            while let Some(&(d, token)) = st.deadlines.iter().next() {
                if d > now {
                    break;
                }
                st.deadlines.remove(&(d, token));
                if let Some(p) = st.pending.remove(&token) {
                    expired.push(p);
                }
            }
            st.completing += expired.len();
            st.deadlines.iter().next().map(|x| x.0)
        };
        self.complete(expired.into_iter().map(|p| (p, Err(err!(Timeout, "no pub ack within the ack timeout")))), true);
        next
    }

    fn publish(
        &self,
        subject: &str,
        headers: Option<&HeaderMap>,
        data: &[u8],
        limits: Limits,
        cb: Option<PubAckCallback>,
    ) -> Result<PubAckFuture> {
        let Limits { timeout, retry, stall_wait } = limits;
        let stall_wait = stall_wait.unwrap_or(self.stall_wait);
        let slot = Arc::new(Slot { res: Mutex::new(None), cv: Condvar::new() });
        // Built before taking the lock; the message is kept (shared, not copied) for retries.
        let token = self.next.fetch_add(1, Ordering::Relaxed);
        let msg = Msg::new(subject, Some(&reply_subject(&self.prefix, token)), data)?;
        let hdrs = headers.filter(|h| !h.is_empty()).map(|h| {
            let mut v = Vec::with_capacity(h.encoded_len());
            h.encode(&mut v);
            Bytes::from(v)
        });
        {
            let mut st = self.st.lock();
            // A publish made from a completion callback does not wait for that completion.
            let own = COMPLETING_HERE.with(|c| c.get());
            let full = |st: &State| st.outstanding().saturating_sub(own) >= self.max_pending;
            if full(&st) {
                let deadline = Instant::now() + stall_wait;
                while full(&st) && !st.closed {
                    if self.freed.wait_until(&mut st, deadline).timed_out() && full(&st) {
                        return Err(err!(
                            Timeout,
                            "stalled with too many outstanding async publishes ({} pending, max {}) for {:?}",
                            st.outstanding(),
                            self.max_pending,
                            stall_wait
                        ));
                    }
                }
            }
            if st.closed {
                return Err(err!(IllegalState, "the async publisher is closed"));
            }
            let deadline = Instant::now() + timeout;
            let epoch = self.conn.reconnects();
            let p = Pending {
                slot: slot.clone(),
                cb,
                deadline,
                msg: msg.clone(),
                hdrs: hdrs.clone(),
                retries_left: retry.0,
                retry_wait: retry.1,
                epoch,
            };
            st.pending.insert(token, p);
            st.deadlines.insert((deadline, token));
        }
        if let Err(e) = self.send(&msg, hdrs.as_deref()) {
            let mut st = self.st.lock();
            if let Some(p) = st.pending.remove(&token) {
                st.deadlines.remove(&(p.deadline, token));
            }
            self.wake(&st, true);
            return Err(e);
        }
        Ok(PubAckFuture(slot))
    }
}

impl Drop for AsyncPublisher {
    fn drop(&mut self) {
        self.st.lock().closed = true;
        if let Some(s) = self.sub.lock().take() {
            let _ = s.unsubscribe();
        }
        self.fail_all(|| err!(IllegalState, "the JetStream context was dropped before the ack arrived"));
    }
}

/// `<prefix><token>`, built without the formatting machinery (once per publish).
fn reply_subject(prefix: &str, token: u64) -> String {
    let mut digits = [0u8; TOKEN_DIGITS];
    let mut i = TOKEN_DIGITS;
    let mut n = token;
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let mut reply = String::with_capacity(prefix.len() + TOKEN_DIGITS - i);
    reply.push_str(prefix);
    for &d in &digits[i..] {
        reply.push(char::from(d));
    }
    reply
}

fn complete(p: Pending, res: Result<PubAck>) {
    // Only `Pending` holds the slot when the caller dropped its future: nobody can look at
    // the outcome there, so it is not copied for it.
    let watched = Arc::strong_count(&p.slot) > 1;
    let set = |r: Result<PubAck>| {
        *p.slot.res.lock() = Some(r);
        p.slot.cv.notify_all();
    };
    match p.cb {
        Some(cb) => {
            if watched {
                set(res.clone());
            }
            cb(res);
        }
        None if watched => set(res),
        None => {}
    }
}

fn timer_loop(weak: Weak<AsyncPublisher>) {
    let mut last_reconnects: Option<u64> = None;
    let mut was_connected = true;
    loop {
        let Some(p) = weak.upgrade() else { return };
        if p.st.lock().closed {
            return;
        }
        let status = p.conn.status();
        if status == ConnectionStatus::Closed {
            p.fail_all(|| err!(ConnectionClosed, "connection closed before the pub ack arrived"));
        }
        let connected = status == ConnectionStatus::Connected;
        let reconnects = p.conn.reconnects();
        let reconnected = last_reconnects.is_some_and(|r| r != reconnects);
        let lost = || Error::new(Status::NotConnected, "disconnected before the pub ack arrived (outcome unknown)");
        if was_connected && !connected {
            p.fail_all(lost);
        } else if reconnected {
            // Publishes made since this reconnect went out on the new connection: keep them.
            p.fail_before(reconnects, lost);
        }
        was_connected = connected;
        last_reconnects = Some(reconnects);
        let now = Instant::now();
        let next_retry = p.send_retries(now);
        // A stalled publisher waits for the low-water mark; if acks stopped above it, this
        // lets it use the slots that are free.
        p.freed.notify_all();
        let next = match (p.expire(now), next_retry) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let wait = next.map_or(ACK_TIMER_TICK, |d| d.saturating_duration_since(now).min(ACK_TIMER_TICK));
        drop(p);
        std::thread::sleep(wait.max(Duration::from_millis(1)));
    }
}

impl JetStream {
    fn async_publisher(&self) -> Result<Arc<AsyncPublisher>> {
        let mut g = self.0.async_pub.lock();
        if let Some(p) = g.as_ref() {
            return Ok(p.clone());
        }
        let p = AsyncPublisher::start(self)?;
        *g = Some(p.clone());
        Ok(p)
    }

    /// Publishes without waiting for the ack; see [`JetStream::publish_msg_async`].
    pub fn publish_async(&self, subject: &str, data: &[u8], cb: Option<PubAckCallback>) -> Result<PubAckFuture> {
        let p = self.async_publisher()?;
        let retry = (super::DEFAULT_PUBLISH_RETRY_ATTEMPTS, super::DEFAULT_PUBLISH_RETRY_WAIT);
        p.publish(subject, None, data, Limits { timeout: self.0.opts.timeout, retry, stall_wait: None }, cb)
    }

    /// Publishes without waiting for the ack. Returns at once unless the window is full (then
    /// waits up to the stall wait, `opts.stall_wait` or else the context's, then fails with
    /// `Timeout`). `cb` (optional) gets the ack or the error exactly once; the returned future
    /// gives the same outcome. The ack times out after `opts.timeout` (default: the context's
    /// timeout). Must not have a reply subject.
    pub fn publish_msg_async(&self, mut m: Msg, opts: &PublishOptions, cb: Option<PubAckCallback>) -> Result<PubAckFuture> {
        if m.reply().is_some() {
            return Err(err!(InvalidArgument, "an async-published message must not have a reply subject"));
        }
        opts.apply(&mut m)?;
        let p = self.async_publisher()?;
        let hdrs = m.headers().filter(|h| !h.is_empty());
        let retry = (
            opts.retry_attempts.unwrap_or(super::DEFAULT_PUBLISH_RETRY_ATTEMPTS),
            opts.retry_wait.unwrap_or(super::DEFAULT_PUBLISH_RETRY_WAIT),
        );
        let limits = Limits { timeout: opts.timeout.unwrap_or(self.0.opts.timeout), retry, stall_wait: opts.stall_wait };
        p.publish(m.subject(), hdrs, m.data(), limits, cb)
    }

    /// Number of async publishes still waiting for their ack.
    pub fn publish_async_pending(&self) -> usize {
        match self.0.async_pub.lock().as_ref() {
            Some(p) => p.st.lock().outstanding(),
            None => 0,
        }
    }

    /// Waits until every async publish completed (acked or failed, and its callback returned);
    /// `Timeout` otherwise. From inside a completion callback, that callback's own completion
    /// is not waited for.
    pub fn publish_async_complete(&self, timeout: Duration) -> Result<()> {
        let Some(p) = self.0.async_pub.lock().clone() else { return Ok(()) };
        let deadline = Instant::now().checked_add(timeout);
        let own = COMPLETING_HERE.with(|c| c.get());
        let mut st = p.st.lock();
        let busy = |st: &State| !st.pending.is_empty() || st.completing > own;
        while busy(&st) {
            match deadline {
                Some(d) => {
                    if p.idle.wait_until(&mut st, d).timed_out() && busy(&st) {
                        return Err(err!(Timeout, "{} async publishes still pending after {:?}", st.outstanding(), timeout));
                    }
                }
                None => p.idle.wait(&mut st),
            }
        }
        Ok(())
    }
}
