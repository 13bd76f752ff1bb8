//! The write side of a connection: one buffer that publishing threads append frames to under a
//! short lock, and the writer task that drains it to the socket.
//!
//! Two things decide who writes the buffer, and both are explicit states:
//! - [`Link`]: whether a socket is up (the buffer drains), down (the buffer is the reconnect
//!   buffer) or closed for good.
//! - [`Task`]: what the writer task is doing. An append wakes it only when it is `Parked`; when a
//!   publisher streams fast enough to fill [`INLINE_FLUSH`] bytes, the publisher writes the buffer
//!   to the socket itself (no thread hand-off) and the task is `Trailing`: appends do not wake it,
//!   and it writes whatever is left once [`TAIL_WAIT`] passed after the last inline write.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, MutexGuard};
use tokio::sync::Notify;

use super::completions::Slot;
use super::stream::{send_now, wait_writable, DirectSock, WriteHalf};
use super::waiter::Waiter;
use super::SubInner;
use crate::error::{err, Error, Result};
use crate::proto::encode;

/// Above this many buffered bytes, publishers wait for the writer (back-pressure), and control
/// frames (PONG replies) are no longer queued.
pub(super) const WRITE_HIGH_WATER: usize = 4 * 1024 * 1024;
/// From this many buffered bytes on, a publisher writes the buffer to the socket itself when
/// the writer task is idle (as a C client would), instead of handing it to another thread.
pub(super) const INLINE_FLUSH: usize = 32 * 1024;
/// Largest single inline write: one loopback/GSO segment (bigger writes were measured to cost
/// more CPU per byte).
const INLINE_CHUNK: usize = 64 * 1024;
/// How long a caller of `publish_wire` that writes its frames itself waits in all for a full
/// socket to take bytes again before it copies the rest into the buffer for the task.
const WIRE_WRITE_WAIT: Duration = Duration::from_millis(5);
/// While a publisher streams, what it leaves in the buffer goes out this long after its last
/// inline write at the latest.
pub(super) const TAIL_WAIT: Duration = Duration::from_millis(1);
/// A queued publish that finds the writer task parked and nothing else buffered is written by
/// the publisher itself when no write went to the socket for this long: a lone message (a reply
/// from a handler, a paced publisher) leaves without a thread hand-off, while a publisher that
/// streams still has its frames gathered into large writes by the task.
pub(super) const IDLE_INLINE_GAP: Duration = Duration::from_micros(50);
/// The writer task keeps a spare buffer of at most this size between writes.
const WRITE_KEEP: usize = 1024 * 1024;
/// Capacity of a fresh buffer.
const BUF_INITIAL: usize = 64 * 1024;
/// How long publishers wait on one back-pressure round before looking at the state again.
const SPACE_POLL: Duration = Duration::from_millis(50);
/// A socket that takes no byte for this long is dead (a peer that stopped reading).
pub const DEFAULT_WRITE_STALL_TIMEOUT: Duration = Duration::from_secs(5);

/// Who is waiting for a PONG, in the order the PINGs were written.
pub(super) enum PongWaiter {
    /// A keep-alive PING from the timer.
    Timer,
    /// A PING left over in a buffer from before a reconnect: its PONG is ignored.
    Ignore,
    Flush(Arc<Waiter<Result<()>>>),
    /// A non-blocking flush (its timer may have taken the completion already).
    FlushAsync(Arc<Slot<()>>),
    DrainSub(Arc<SubInner>),
}

/// Whether a socket is there to write to.
enum Link {
    /// No socket: appended frames wait for the next connection (bounded by the reconnect
    /// buffer size).
    Down,
    /// A socket is up. `direct` is the plain TCP socket that publishers may write inline
    /// (None for TLS).
    Up { direct: Option<Arc<DirectSock>> },
    /// Closed for good: no more appends; the task writes what is left and ends.
    Closed,
}

/// What the writer task is doing.
#[derive(Clone, Copy)]
enum Task {
    /// Waiting to be woken; the next append wakes it.
    Parked,
    /// Woken, about to take the buffer: appends do not wake it again.
    Woken,
    /// Writing a buffer it took; it looks again when done.
    Writing,
    /// A publisher writes full buffers itself; the task writes the rest once `TAIL_WAIT`
    /// passed after `last_inline`.
    Trailing { last_inline: Instant },
}

/// One publish's parts: subject, reply, header block, data.
pub(super) type Frame<'a> = (&'a [u8], Option<&'a [u8]>, Option<&'a [u8]>, &'a [u8]);

struct State {
    buf: Vec<u8>,
    link: Link,
    task: Task,
    pongs: VecDeque<PongWaiter>,
    /// PING frames in `buf` (not yet taken by the task); become `Ignore` waiters on reconnect.
    pings_in_buf: usize,
    pings_out: u32,
    out_msgs: u64,
    out_bytes: u64,
    space_waiters: u32,
    /// When a buffer last went to the socket (task or inline write); see [`IDLE_INLINE_GAP`].
    last_write: Instant,
    /// Leading bytes of `buf` that continue a frame partly written to the current socket by an
    /// inline write; dropped on disconnect, so a reconnect only replays whole frames.
    taken: usize,
}

/// What a frame append found.
pub(super) enum Appended {
    Queued,
    NotConnected,
    Closed,
}

/// How an appended frame gets to the socket.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum SendMode {
    /// The writer task sends it (woken if parked); a streaming publisher may write inline.
    Queued,
    /// Someone waits for an answer: written by the caller when the task is parked.
    Urgent,
}

/// The connection's write buffer and the writer task's state.
pub(super) struct Writer {
    st: Mutex<State>,
    space: Condvar,
    wake: Notify,
    /// Largest reconnect buffer (bytes); <= 0 refuses publishes while disconnected.
    reconnect_buf: i64,
}

/// Frames for a new connection, put in front of the publishes buffered while disconnected.
pub(super) type Preamble<'a> = &'a mut dyn FnMut(&mut Vec<u8>);

impl Writer {
    pub(super) fn new(reconnect_buf: i64) -> Writer {
        Writer {
            st: Mutex::new(State {
                buf: Vec::with_capacity(BUF_INITIAL),
                link: Link::Down,
                task: Task::Parked,
                pongs: VecDeque::new(),
                pings_in_buf: 0,
                pings_out: 0,
                out_msgs: 0,
                out_bytes: 0,
                space_waiters: 0,
                last_write: Instant::now(),
                taken: 0,
            }),
            space: Condvar::new(),
            wake: Notify::new(),
            reconnect_buf,
        }
    }

    /// Appends one PUB/HPUB frame: waits while the buffer is over the high-water mark, buffers
    /// while disconnected (up to the reconnect buffer size), writes inline when a publisher
    /// streams and the task is idle.
    #[inline]
    pub(super) fn publish(&self, subj: &[u8], reply: Option<&[u8]>, hdrs: Option<&[u8]>, data: &[u8], mode: SendMode) -> Result<()> {
        let mut w = self.st.lock();
        let before = self.append_locked(&mut w, subj, reply, hdrs, data, None)?;
        let lone = before == 0;
        let mut wake = match mode {
            SendMode::Urgent if urgent_flush(&mut w) => false,
            SendMode::Queued if lone && idle_for_inline(&w) && urgent_flush(&mut w) => false,
            _ => self.wake_on_append(&mut w),
        };
        if w.buf.len() >= INLINE_FLUSH {
            wake |= inline_flush(&mut w);
        }
        drop(w);
        if wake {
            self.wake.notify_one();
        }
        Ok(())
    }

    /// Publishes a batch under one lock (a packed batch from a binding): appends each entry in
    /// order, stops at the first refused one (an `Err` from the caller's checks, or the link's),
    /// then writes the buffer at once when the task is parked and a plain socket is up (no
    /// thread hand-off), else wakes the task. Returns how many were appended and the refusal.
    pub(super) fn publish_many<'a>(&self, entries: impl Iterator<Item = Result<Frame<'a>>>) -> (usize, Result<()>) {
        let mut w = self.st.lock();
        let mut wake = false;
        let mut count = 0;
        let mut res = Ok(());
        // The "PUB <subject> <size>\r\n" line of the last plain entry: a batch is mostly one
        // subject and one size, and then the line is copied rather than formatted again.
        let mut head = encode::PubLine::default();
        for e in entries {
            let appended = e.and_then(|(subj, reply, hdrs, data)| {
                let line = match (reply, hdrs) {
                    (None, None) => Some(head.line(subj, data.len())),
                    _ => None,
                };
                self.append_locked(&mut w, subj, reply, hdrs, data, line)
            });
            if let Err(err) = appended {
                res = Err(err);
                break;
            }
            count += 1;
            if w.buf.len() >= INLINE_FLUSH {
                wake |= inline_flush(&mut w);
            }
        }
        if !w.buf.is_empty() && !urgent_flush(&mut w) {
            wake |= self.wake_on_append(&mut w);
        }
        drop(w);
        if wake {
            self.wake.notify_one();
        }
        (count, res)
    }

    /// Publishes whole PUB frames formatted by the caller (`msgs` messages, `bytes` payload
    /// bytes, already checked), in order after what is buffered. With the buffer empty, the task
    /// idle and a plain socket up, the caller's bytes are written to the socket directly and only
    /// what the socket does not take is copied into the buffer (for the task). None, changing
    /// nothing, when no socket is up: the caller appends frame by frame instead.
    pub(super) fn publish_wire(&self, wire: &[u8], msgs: u64, bytes: u64) -> Option<Result<()>> {
        let mut w = self.st.lock();
        loop {
            match w.link {
                Link::Closed => return Some(Err(err!(ConnectionClosed, "connection closed"))),
                Link::Down => return None,
                Link::Up { .. } if w.buf.len() < WRITE_HIGH_WATER => break,
                Link::Up { .. } => {
                    w.space_waiters += 1;
                    self.space.wait_for(&mut w, SPACE_POLL);
                    w.space_waiters -= 1;
                }
            }
        }
        w.out_msgs += msgs;
        w.out_bytes += bytes;
        let direct = match &w.link {
            Link::Up { direct: Some(sock) } if w.buf.is_empty() && matches!(w.task, Task::Parked | Task::Trailing { .. }) => {
                Some(sock.clone())
            }
            _ => None,
        };
        let mut wake = false;
        if let Some(sock) = direct {
            let mut off = 0;
            let mut waited = Duration::ZERO;
            while off < wire.len() {
                let end = wire.len().min(off + INLINE_CHUNK);
                match send_now(&sock, &wire[off..end]) {
                    Ok(0) => break,
                    Ok(n) => off += n,
                    // A full socket: the caller waits for the server to read, as a blocking
                    // writer would (and as the caller's copy would have to, once the buffer
                    // reaches its high-water mark), for a bounded time; then the rest is copied
                    // for the task.
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock && waited < WIRE_WRITE_WAIT => {
                        let t = Instant::now();
                        let ok = wait_writable(&sock, WIRE_WRITE_WAIT - waited);
                        waited += t.elapsed();
                        if !ok {
                            break;
                        }
                    }
                    Err(_) => break,
                }
            }
            w.last_write = Instant::now();
            if off < wire.len() {
                // The socket is full (or failed): the task waits for writability and writes
                // the rest, which continues a frame on this socket when some bytes went out.
                w.buf.extend_from_slice(&wire[off..]);
                if off > 0 {
                    w.taken = w.buf.len();
                }
                wake = self.wake_now(&mut w);
            }
        } else {
            w.buf.extend_from_slice(wire);
            if w.buf.len() >= INLINE_FLUSH {
                wake |= inline_flush(&mut w);
            }
            if !w.buf.is_empty() && !urgent_flush(&mut w) {
                wake |= self.wake_on_append(&mut w);
            }
        }
        drop(w);
        if wake {
            self.wake.notify_one();
        }
        Some(Ok(()))
    }

    /// Appends one PUB/HPUB frame (waiting below the high-water mark while a socket is up;
    /// bounded by the reconnect buffer while none is). `line`: the frame's PUB line, already
    /// formatted (a plain frame). Returns the buffer length before it.
    fn append_locked(
        &self,
        w: &mut MutexGuard<'_, State>,
        subj: &[u8],
        reply: Option<&[u8]>,
        hdrs: Option<&[u8]>,
        data: &[u8],
        line: Option<&[u8]>,
    ) -> Result<usize> {
        let total = data.len() + hdrs.map_or(0, |h| h.len());
        loop {
            match w.link {
                Link::Closed => return Err(err!(ConnectionClosed, "connection closed")),
                Link::Up { .. } => {
                    if w.buf.len() < WRITE_HIGH_WATER {
                        break;
                    }
                    w.space_waiters += 1;
                    self.space.wait_for(w, SPACE_POLL);
                    w.space_waiters -= 1;
                }
                Link::Down => {
                    let reply_len = reply.map_or(0, |r| r.len());
                    let need = match hdrs {
                        None => encode::pub_frame_len(subj.len(), reply_len, data.len()),
                        Some(h) => encode::hpub_frame_len(subj.len(), reply_len, h.len(), data.len()),
                    };
                    let limit = self.reconnect_buf;
                    if limit <= 0 || w.buf.len() + need > limit as usize {
                        return Err(err!(
                            BufferFull,
                            "not connected and the reconnect buffer ({} bytes) cannot take this message",
                            limit.max(0)
                        ));
                    }
                    break;
                }
            }
        }
        let before = w.buf.len();
        match (hdrs, line) {
            (None, Some(line)) => {
                w.buf.reserve(line.len() + data.len() + 2);
                w.buf.extend_from_slice(line);
                w.buf.extend_from_slice(data);
                w.buf.extend_from_slice(b"\r\n");
            }
            (None, None) => encode::write_pub(&mut w.buf, subj, reply, data),
            (Some(h), _) => encode::write_hpub(&mut w.buf, subj, reply, h, data),
        }
        w.out_msgs += 1;
        w.out_bytes += total as u64;
        Ok(before)
    }

    /// After an append: moves a parked task to `Woken` when a socket is up. True when the
    /// caller must wake it.
    #[inline]
    fn wake_on_append(&self, w: &mut State) -> bool {
        if matches!(w.task, Task::Parked) && matches!(w.link, Link::Up { .. }) {
            w.task = Task::Woken;
            return true;
        }
        false
    }

    /// Like `wake_on_append`, but also ends a `Trailing` wait: control frames go out at once.
    fn wake_now(&self, w: &mut State) -> bool {
        if !matches!(w.link, Link::Up { .. }) {
            return false;
        }
        match w.task {
            Task::Parked | Task::Trailing { .. } => {
                w.task = Task::Woken;
                true
            }
            Task::Woken | Task::Writing => false,
        }
    }

    /// Appends a control frame (PONG, UNSUB, ...) when a socket is up; sent at once.
    pub(super) fn control(&self, f: impl FnOnce(&mut Vec<u8>)) -> Appended {
        self.locked(|up, buf| {
            if up {
                f(buf);
            }
        })
    }

    /// Runs `f(up, buffer)` under the write lock (so nothing can reconnect in between), and
    /// wakes the task if `f` appended while a socket is up.
    pub(super) fn locked(&self, f: impl FnOnce(bool, &mut Vec<u8>)) -> Appended {
        let mut w = self.st.lock();
        let up = matches!(w.link, Link::Up { .. });
        let before = w.buf.len();
        f(up, &mut w.buf);
        let res = match w.link {
            Link::Up { .. } => Appended::Queued,
            Link::Down => Appended::NotConnected,
            Link::Closed => Appended::Closed,
        };
        let wake = w.buf.len() != before && self.wake_now(&mut w);
        drop(w);
        if wake {
            self.wake.notify_one();
        }
        res
    }

    /// A PONG for the server's PING. A peer that floods PINGs without reading our replies
    /// gets none once the buffer is over the high-water mark.
    pub(super) fn pong(&self) {
        let mut w = self.st.lock();
        if !matches!(w.link, Link::Up { .. }) || w.buf.len() >= WRITE_HIGH_WATER {
            return;
        }
        w.buf.extend_from_slice(encode::PONG);
        let wake = self.wake_now(&mut w);
        drop(w);
        if wake {
            self.wake.notify_one();
        }
    }

    /// Appends `frames` (may be empty) and a PING whose PONG completes `waiter`. Fails with the
    /// link state when no socket is up (the waiter is returned).
    pub(super) fn ping(&self, frames: impl FnOnce(&mut Vec<u8>), waiter: PongWaiter) -> std::result::Result<(), (Appended, PongWaiter)> {
        let mut w = self.st.lock();
        match w.link {
            Link::Up { .. } => {}
            Link::Down => return Err((Appended::NotConnected, waiter)),
            Link::Closed => return Err((Appended::Closed, waiter)),
        }
        frames(&mut w.buf);
        w.buf.extend_from_slice(encode::PING);
        w.pings_in_buf += 1;
        w.pongs.push_back(waiter);
        let wake = self.wake_now(&mut w);
        drop(w);
        if wake {
            self.wake.notify_one();
        }
        Ok(())
    }

    /// The keep-alive PING. Returns false when `max_out` PINGs are unanswered (stale).
    pub(super) fn keepalive(&self, max_out: u32) -> bool {
        let mut w = self.st.lock();
        w.pings_out += 1;
        if w.pings_out > max_out {
            return false;
        }
        drop(w);
        let _ = self.ping(|_| {}, PongWaiter::Timer);
        true
    }

    /// A PONG arrived: the oldest waiter.
    pub(super) fn on_pong(&self) -> Option<PongWaiter> {
        let mut w = self.st.lock();
        w.pings_out = 0;
        w.pongs.pop_front()
    }

    /// A new socket is up: `preamble` writes the subscriptions in front of what was buffered
    /// while disconnected. Returns false (and changes nothing) when closed meanwhile or when
    /// `may_connect` says no (it runs under the lock).
    pub(super) fn go_up(&self, may_connect: impl FnOnce() -> bool, preamble: Preamble<'_>) -> bool {
        let mut w = self.st.lock();
        if matches!(w.link, Link::Closed) || !may_connect() {
            return false;
        }
        let pending = std::mem::take(&mut w.buf);
        let mut nb = Vec::with_capacity(pending.len() + 4096);
        preamble(&mut nb);
        nb.extend_from_slice(&pending);
        w.buf = nb;
        w.pongs.clear();
        let stale = w.pings_in_buf;
        w.pongs.extend((0..stale).map(|_| PongWaiter::Ignore));
        w.pings_out = 0;
        w.taken = 0;
        w.task = Task::Parked;
        w.link = Link::Up { direct: None };
        true
    }

    /// Lets publishers write inline to this plain TCP socket.
    pub(super) fn set_direct(&self, sock: Arc<DirectSock>) {
        let mut w = self.st.lock();
        if let Link::Up { direct } = &mut w.link {
            *direct = Some(sock);
        }
        w.task = Task::Parked;
    }

    /// Forgets the shared socket handle (so the socket really closes).
    pub(super) fn drop_direct(&self) {
        if let Link::Up { direct } = &mut self.st.lock().link {
            *direct = None;
        }
    }

    /// The socket is gone: frames wait for the next one, PONG waiters are returned to be failed.
    pub(super) fn go_down(&self) -> VecDeque<PongWaiter> {
        let mut w = self.st.lock();
        if matches!(w.link, Link::Up { .. }) {
            w.link = Link::Down;
        }
        w.task = Task::Parked;
        // The rest of a frame partly written to the dead socket must not be replayed.
        let n = std::mem::take(&mut w.taken).min(w.buf.len());
        w.buf.drain(..n);
        self.space.notify_all();
        std::mem::take(&mut w.pongs)
    }

    /// Closed for good: returns the PONG waiters to fail; the task writes what is left.
    pub(super) fn close(&self) -> VecDeque<PongWaiter> {
        let pongs = {
            let mut w = self.st.lock();
            w.link = Link::Closed;
            self.space.notify_all();
            std::mem::take(&mut w.pongs)
        };
        self.wake.notify_one();
        pongs
    }

    /// Bytes in the buffer, not yet taken by the writer task or an inline write.
    pub(super) fn buffered(&self) -> usize {
        self.st.lock().buf.len()
    }

    /// (messages, bytes) published so far.
    pub(super) fn out_counts(&self) -> (u64, u64) {
        let w = self.st.lock();
        (w.out_msgs, w.out_bytes)
    }

    /// The writer task of one socket. Ends with Ok when the connection closed (after writing
    /// what was left), with an error when the socket failed or stalled.
    pub(super) async fn run(&self, mut wr: WriteHalf, stall: Duration) -> Result<()> {
        let mut spare: Vec<u8> = Vec::with_capacity(BUF_INITIAL);
        loop {
            match self.next_step(&mut spare) {
                Step::Done(r) => return r,
                Step::Park => self.wake.notified().await,
                Step::SleepUntil(t) => {
                    let _ = tokio::time::timeout_at(t.into(), self.wake.notified()).await;
                }
                Step::Write => {
                    wr.write_all(&spare, stall).await.map_err(|e| write_error(&e, stall))?;
                    spare.clear();
                    if spare.capacity() > 8 * WRITE_KEEP {
                        spare = Vec::with_capacity(BUF_INITIAL);
                    }
                    let mut w = self.st.lock();
                    if matches!(w.task, Task::Writing) {
                        w.task = Task::Woken;
                    }
                }
            }
        }
    }

    /// Decides what the task does next, under the lock.
    fn next_step(&self, spare: &mut Vec<u8>) -> Step {
        let mut w = self.st.lock();
        if w.buf.is_empty() {
            return match (&w.link, w.task) {
                (Link::Closed, _) => Step::Done(Ok(())),
                (Link::Down, _) => Step::Done(Err(err!(Io, "disconnected"))),
                (Link::Up { .. }, Task::Trailing { last_inline }) if last_inline.elapsed() < TAIL_WAIT => {
                    Step::SleepUntil(last_inline + TAIL_WAIT)
                }
                _ => {
                    w.task = Task::Parked;
                    Step::Park
                }
            };
        }
        if let Task::Trailing { last_inline } = w.task {
            if last_inline.elapsed() < TAIL_WAIT && matches!(w.link, Link::Up { .. }) {
                return Step::SleepUntil(last_inline + TAIL_WAIT);
            }
        }
        std::mem::swap(&mut w.buf, spare);
        w.last_write = Instant::now();
        w.pings_in_buf = 0;
        w.taken = 0;
        w.task = Task::Writing;
        if w.space_waiters > 0 {
            self.space.notify_all();
        }
        Step::Write
    }
}

enum Step {
    Done(Result<()>),
    Park,
    SleepUntil(Instant),
    Write,
}

fn write_error(e: &std::io::Error, stall: Duration) -> Error {
    if e.kind() == std::io::ErrorKind::TimedOut {
        err!(StaleConnection, "the server took no data for {:?} (it stopped reading)", stall)
    } else {
        err!(Io, "write failed: {}", e)
    }
}

/// A caller that will wait for an answer (a request) writes the buffer itself when the task is
/// parked and a plain socket is up: the frame goes out without a thread hand-off. True when
/// everything was written (nothing to wake the task for); false when the task must take over.
fn urgent_flush(w: &mut State) -> bool {
    if w.pings_in_buf != 0 || !matches!(w.task, Task::Parked) || w.buf.len() > INLINE_FLUSH {
        return false;
    }
    let Link::Up { direct: Some(sock) } = &w.link else { return false };
    let res = send_now(sock, &w.buf);
    w.last_write = Instant::now();
    match res {
        Ok(n) if n == w.buf.len() => {
            w.buf.clear();
            true
        }
        Ok(n) => {
            // Partly written: the rest continues a frame on this socket; the task writes it.
            w.buf.drain(..n);
            if n > 0 {
                w.taken = w.buf.len();
            }
            false
        }
        Err(_) => false,
    }
}

/// A queued publish may be written inline (as an urgent one is) when the task is parked and no
/// buffer went to the socket for [`IDLE_INLINE_GAP`]: only then is the clock read, so a
/// streaming publisher (task woken or writing) pays nothing for the check.
#[inline]
fn idle_for_inline(w: &State) -> bool {
    matches!(w.task, Task::Parked) && matches!(w.link, Link::Up { direct: Some(_) }) && w.last_write.elapsed() >= IDLE_INLINE_GAP
}

/// A publisher writes the buffer itself while the task is idle: as much as the socket takes
/// without blocking, holding the write lock (so nothing is appended in between). Returns true
/// when bytes remain and the task must be woken to wait for writability.
fn inline_flush(w: &mut State) -> bool {
    if w.pings_in_buf != 0 || !matches!(w.task, Task::Parked | Task::Trailing { .. }) {
        return false;
    }
    let Link::Up { direct: Some(sock) } = &w.link else { return false };
    let sock = sock.clone();
    let mut off = 0;
    while off < w.buf.len() {
        let end = w.buf.len().min(off + INLINE_CHUNK);
        match send_now(&sock, &w.buf[off..end]) {
            Ok(0) | Err(_) => break,
            Ok(n) => off += n,
        }
    }
    if off == w.buf.len() {
        w.buf.clear();
        // Parked -> Trailing needs one wake, so the task starts its tail timer.
        let was_parked = matches!(w.task, Task::Parked);
        let now = Instant::now();
        w.last_write = now;
        w.task = Task::Trailing { last_inline: now };
        was_parked
    } else {
        // The socket is full: the task waits for writability and writes the rest.
        w.buf.drain(..off);
        if off > 0 {
            w.taken = w.buf.len();
        }
        w.task = Task::Woken;
        true
    }
}
