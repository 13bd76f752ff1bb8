//! Inline reads: an event loop that polls a plain TCP socket (asyncio, through a dup of the
//! socket's descriptor) reads, parses and routes what arrived on its own thread, so a reply
//! reaches the loop without the I/O thread's wake-up and hand-off in between.
//!
//! Both readers share one `ReadState` under a lock, so frames are parsed in arrival order
//! whoever reads. While a loop is attached, the I/O task takes the socket's read descriptor out
//! of the runtime's poller (else both threads would wake for every arrival; the write side is
//! registered for writability only) and checks only every `ATTACHED_CHECK`: it reads when the
//! loop made no inline pass since the previous check, so a loop that stops polling delays input
//! by at most two checks and never stalls it, and a loop that reads has the socket to itself.
//! A loop may also hold input back (`read_hold`, flow control): the I/O task then leaves it.
//! The end of the socket, seen by either reader, ends the I/O task's serve; when the serve ends
//! the socket is shut down, which makes the loop's dup readable, and the next inline read
//! answers `Gone` so the loop can drop its dup and attach again after a reconnect.

use std::cell::RefCell;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use parking_lot::Mutex;
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;
use tokio::sync::Notify;

use super::reader::{eof, read_failed, Ended, ReadState};
use super::state::Inner;
use super::Connection;
use crate::error::{err, Result};

/// While a loop is attached, how often the I/O task reads what the loop left.
pub const ATTACHED_CHECK: Duration = Duration::from_millis(20);
/// Most socket reads of one pass (an inline call, or the I/O task before it yields).
pub const MAX_READS_PER_PASS: usize = 8;

/// Generations of served sockets (an attach names the socket it attached to).
static NEXT_GEN: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// During an inline pass on this thread: the sids of the subscriptions whose notify fds it
    /// would have signalled, up to the caller's room. Their fds are not signalled: the caller
    /// runs their readers itself, now rather than a loop turn later.
    static SIGNALLED: RefCell<Option<(Vec<u64>, usize)>> = const { RefCell::new(None) };
}

/// Takes over the notify-fd signal of subscription `sid` when an inline pass runs on this
/// thread and its caller has room for one more sid: true when the caller will run the reader
/// (the fd must not be signalled), false when the fd must be signalled as usual.
#[inline]
pub(super) fn take_signal(sid: u64) -> bool {
    SIGNALLED.with(|c| match c.borrow_mut().as_mut() {
        Some((v, room)) => {
            if v.contains(&sid) {
                true
            } else if v.len() < *room {
                v.push(sid);
                true
            } else {
                false
            }
        }
        None => false,
    })
}

/// The connection's currently served plain socket, when there is one.
pub(super) type Slot = Mutex<Option<Arc<SharedReader>>>;

/// What one inline read did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InlineRead {
    /// Read and routed this many bytes (0: nothing was there); `more`: the pass stopped at its
    /// read budget (`MAX_READS_PER_PASS`) with input perhaps still waiting, which an
    /// edge-triggered poller will not report again: call again.
    Read { bytes: usize, more: bool },
    /// The attached socket has ended (or another one is served now): drop the dup and attach
    /// again once reconnected.
    Gone,
}

/// One served plain socket, shared by the I/O task and an attached loop.
pub(super) struct SharedReader {
    gen: u64,
    /// The read descriptor (a second one of the socket), open as long as this lives.
    rd: std::net::TcpStream,
    state: Mutex<ReadState>,
    /// How the socket ended, when an inline read saw it (the I/O task returns it).
    end: Mutex<Option<Ended>>,
    attached: AtomicBool,
    /// The attached loop holds input back (flow control): the I/O task skips its periodic
    /// read while this is set and a loop is attached.
    held: AtomicBool,
    /// Inline passes so far: the I/O task leaves the socket to a loop that read since its
    /// last check.
    inline_passes: AtomicU64,
    /// Wakes the I/O task: attach, detach, or an end seen inline.
    poke: Notify,
}

impl SharedReader {
    pub(super) fn new(rd: std::net::TcpStream, buf: BytesMut) -> Arc<SharedReader> {
        Arc::new(SharedReader {
            gen: NEXT_GEN.fetch_add(1, Ordering::Relaxed),
            rd,
            state: Mutex::new(ReadState::new(buf)),
            end: Mutex::new(None),
            attached: AtomicBool::new(false),
            held: AtomicBool::new(false),
            inline_passes: AtomicU64::new(0),
            poke: Notify::new(),
        })
    }

    fn fd(&self) -> RawFd {
        self.rd.as_raw_fd()
    }

    /// Marks the socket ended and shuts it down (a loop polling its dup then sees it readable).
    pub(super) fn shut(&self) {
        let mut st = self.state.lock();
        st.closed = true;
        // SAFETY: the descriptor belongs to `self.rd`, alive as long as `self`; shutdown only
        // changes the socket's state and has no memory-safety preconditions.
        unsafe { libc::shutdown(self.fd(), libc::SHUT_RDWR) };
    }

    /// Routes what is buffered, then reads and routes until the socket would block, at most
    /// `MAX_READS_PER_PASS` reads. With `stop_short` (an attached loop's pass) a read that left
    /// room in the buffer ends the pass: the socket was drained, and a level-triggered poller
    /// reports it again if more arrived since, so the pass spares the read that would only say
    /// "would block". Ok((bytes read, stopped at the cap)); Err: the socket ended (now or
    /// before: the end an inline pass saw, which the I/O task returns).
    fn pass(&self, inner: &Arc<Inner>, stop_short: bool) -> std::result::Result<(usize, bool), Ended> {
        let mut st = self.state.lock();
        if st.closed {
            return Err(self.end.lock().take().unwrap_or_else(eof));
        }
        let r = (|| {
            st.process(inner)?;
            let mut total = 0;
            for _ in 0..MAX_READS_PER_PASS {
                st.reserve();
                let room = st.buf.capacity() - st.buf.len();
                match recv_into(self.fd(), &mut st.buf) {
                    Ok(0) => return Err(eof()),
                    Ok(n) => {
                        total += n;
                        st.process(inner)?;
                        if stop_short && n < room {
                            return Ok((total, false));
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok((total, false)),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(read_failed(e)),
                }
            }
            Ok((total, true))
        })();
        if r.is_err() {
            st.closed = true;
        }
        r
    }

    /// A pass by the attached loop's thread: an end it sees goes to the I/O task.
    fn inline_pass(&self, inner: &Arc<Inner>) -> InlineRead {
        self.inline_passes.fetch_add(1, Ordering::Release);
        match self.pass(inner, true) {
            Ok((bytes, more)) => InlineRead::Read { bytes, more },
            Err(end) => {
                *self.end.lock() = Some(end);
                self.poke.notify_one();
                InlineRead::Gone
            }
        }
    }
}

/// The read descriptor as the runtime's poller sees it (registered while no loop is attached).
struct ReadFd(RawFd);

impl AsRawFd for ReadFd {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

/// Reads what the socket has into the spare capacity of `buf`, without blocking.
fn recv_into(fd: RawFd, buf: &mut BytesMut) -> io::Result<usize> {
    let spare = buf.spare_capacity_mut();
    // SAFETY: recv writes at most `spare.len()` bytes into `spare`, memory owned by `buf` and
    // borrowed mutably here; `fd` is a live socket (its owner outlives the call).
    let n = unsafe { libc::recv(fd, spare.as_mut_ptr().cast(), spare.len(), libc::MSG_DONTWAIT) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let n = n as usize;
    // SAFETY: the kernel initialised the first `n` bytes of the spare capacity (n <= its length).
    unsafe { buf.set_len(buf.len() + n) };
    Ok(n)
}

/// The I/O task's reader of a plain socket: reads when readable while no loop is attached, and
/// while one is, every `ATTACHED_CHECK` when the loop made no inline pass since the last check
/// (it stopped polling) and does not hold input back; returns how the socket ended.
pub(super) async fn plain_reader_loop(inner: Arc<Inner>, sh: Arc<SharedReader>) -> Ended {
    // registered with the runtime's poller only while no loop is attached
    let mut polled: Option<AsyncFd<ReadFd>> = None;
    // inline passes seen at the last check (none yet: the first check after an attach waits)
    let mut seen = u64::MAX;
    loop {
        let attached = sh.attached.load(Ordering::Acquire);
        // While the attached loop holds input back until its consumers catch up (read_hold),
        // or when it read since the last check (its reads pick the rest up), the socket is
        // left to it. A hold does not count as a check: after one the loop's passes before it
        // still count as reading.
        let leave = attached
            && (sh.held.load(Ordering::Acquire) || {
                let passes = sh.inline_passes.load(Ordering::Acquire);
                std::mem::replace(&mut seen, passes) != passes
            });
        if leave && sh.end.lock().is_none() {
            polled = None;
            tokio::select! {
                _ = sh.poke.notified() => {}
                _ = tokio::time::sleep(ATTACHED_CHECK) => {}
            }
            continue;
        }
        match sh.pass(&inner, false) {
            Err(end) => return end,
            Ok((_, true)) => {
                tokio::task::yield_now().await;
                continue;
            }
            Ok((_, false)) => {}
        }
        if sh.attached.load(Ordering::Acquire) {
            polled = None;
            tokio::select! {
                _ = sh.poke.notified() => {}
                _ = tokio::time::sleep(ATTACHED_CHECK) => {}
            }
            continue;
        }
        if polled.is_none() {
            // SAFETY: the descriptor belongs to `sh.rd`, which `sh` (alive for this whole loop,
            // so beyond the registration) keeps open on the same socket; ReadFd always returns it.
            match unsafe { AsyncFd::register_with_interest(ReadFd(sh.fd()), Interest::READABLE) } {
                Ok(fd) => polled = Some(fd),
                Err(e) => return read_failed(e.into()),
            }
        }
        let Some(fd) = polled.as_ref() else { continue };
        tokio::select! {
            r = fd.readable() => match r {
                // cleared before the next pass reads, so an arrival after it sets it again
                Ok(mut g) => g.clear_ready(),
                Err(e) => return read_failed(e),
            },
            _ = sh.poke.notified() => {}
        }
    }
}

/// Clears the slot and shuts the socket down when a serve ends (however it ends).
pub(super) struct ServedGuard(pub(super) Arc<Inner>);

impl Drop for ServedGuard {
    fn drop(&mut self) {
        if let Some(sh) = self.0.inline.lock().take() {
            sh.shut();
        }
    }
}

impl Connection {
    /// Attaches the caller (an event loop on one thread) as a reader of the socket served now:
    /// returns a duplicate of its descriptor, owned by the caller, to poll for readability, and
    /// the socket's generation, to pass to `read_inline`. NotConnected when no plain TCP socket
    /// is served (reconnecting, or TLS, which only the I/O task reads).
    pub fn read_attach(&self) -> Result<(OwnedFd, u64)> {
        if self.0.is_closed() {
            return Err(err!(ConnectionClosed, "connection closed"));
        }
        let sh = self.0.inline.lock().clone();
        let Some(sh) = sh else {
            return Err(err!(NotConnected, "no plain TCP socket is served now (reconnecting, or TLS)"));
        };
        // SAFETY: F_DUPFD_CLOEXEC on a live descriptor (owned by `sh`) has no memory-safety
        // preconditions; the result is checked.
        let fd = unsafe { libc::fcntl(sh.fd(), libc::F_DUPFD_CLOEXEC, 0) };
        if fd < 0 {
            return Err(err!(Io, "dup of the socket failed: {}", io::Error::last_os_error()));
        }
        // SAFETY: `fd` was just created and nothing else owns it.
        let owned = unsafe { OwnedFd::from_raw_fd(fd) };
        sh.attached.store(true, Ordering::Release);
        sh.poke.notify_one();
        Ok((owned, sh.gen))
    }

    /// Reads, parses and routes what the socket of generation `gen` has, on the calling thread
    /// (see `read_attach`). `Gone` when that socket ended or another one is served. `signalled`
    /// (cleared first) gets the sids, up to `room` of them, of the subscriptions whose notify
    /// fds this read would have signalled: those fds are left alone and the caller must run
    /// their readers (room 0: every fd is signalled as usual).
    pub fn read_inline(&self, gen: u64, signalled: &mut Vec<u64>, room: usize) -> InlineRead {
        signalled.clear();
        let sh = self.0.inline.lock().clone();
        let Some(sh) = sh.filter(|sh| sh.gen == gen) else {
            return InlineRead::Gone;
        };
        SIGNALLED.with(|c| *c.borrow_mut() = Some((std::mem::take(signalled), room)));
        let r = sh.inline_pass(&self.0);
        if let Some((v, _)) = SIGNALLED.with(|c| c.borrow_mut().take()) {
            *signalled = v;
        }
        r
    }

    /// The attached loop stops reading the socket of generation `gen`: the I/O task reads it
    /// again as soon as it is readable. Nothing happens for another generation.
    pub fn read_detach(&self, gen: u64) {
        if let Some(sh) = self.0.inline.lock().as_ref() {
            if sh.gen == gen {
                sh.attached.store(false, Ordering::Release);
                sh.held.store(false, Ordering::Release);
                sh.poke.notify_one();
            }
        }
    }

    /// Flow control by the attached loop of socket `gen`: with `hold`, the I/O task stops its
    /// periodic read of what the loop left, so input waits in the socket (and the server, which
    /// then slows fast publishers down) while the loop's consumers catch up; without, it reads
    /// again. The loop itself simply does not call `read_inline` meanwhile. Detaching releases
    /// the hold. Nothing happens for another generation.
    pub fn read_hold(&self, gen: u64, hold: bool) {
        if let Some(sh) = self.0.inline.lock().as_ref() {
            if sh.gen == gen {
                // No poke on release: the loop reads on itself (a poke would have the I/O
                // task read too, before the loop's next pass).
                sh.held.store(hold, Ordering::Release);
            }
        }
    }
}
