//! The read side of a served socket: parse frames, route messages to subscriptions, answer
//! PINGs, complete PONG waiters, apply async INFO and handle -ERR.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt};

use super::events::Event;
use super::handshake::READ_CHUNK;
use super::request;
use super::server_error::{self, Action};
use super::state::Inner;
use super::sub::{SubInner, SubKind};
use super::writer::PongWaiter;
use crate::error::{err, Error, Status};
use crate::msg::Msg;
use crate::proto::{Op, Parser, ServerInfo};

/// Longest control line accepted from the server.
const MAX_CONTROL_LINE: usize = 1024 * 1024;
/// Read buffers given up while their frames were still queued, kept to be taken back in place
/// once those frames are gone (see `ReadState::reserve`).
pub const SPARE_READ_BUFFERS: usize = 16;
/// Incoming frames may be larger than max_payload by the header block; allow generous room.
pub(super) const MAX_INCOMING_PAYLOAD: usize = crate::proto::info::MAX_ACCEPTED_PAYLOAD as usize;

/// Why a served socket ended.
pub(super) enum Ended {
    Closed,
    Disconnected(Error),
    /// A server error after which the connection must not reconnect.
    Fatal(Error),
}

/// Per-read cache of the last routed subscription (avoids the map lookup for runs of one sid).
struct RouteCache {
    gen: u64,
    sid: u64,
    sub: Option<Arc<SubInner>>,
}

/// Subscriptions whose waiting threads are owed a wake-up for messages routed from the current
/// read: woken once everything read was routed (and on every way out of the loop), not per
/// message, so a dispatcher takes a burst in one go instead of trading the CPU with the reader
/// for every message.
struct OwedWakes(Vec<Arc<SubInner>>);

impl OwedWakes {
    fn wake(&mut self) {
        for s in self.0.drain(..) {
            s.wake_waiters();
        }
    }
}

impl Drop for OwedWakes {
    fn drop(&mut self) {
        self.wake();
    }
}

/// The parse-and-route state of one served socket: the bytes read and not yet parsed, the
/// parser and the routing cache. Owned by the I/O task, or shared with the thread that reads
/// inline (see `inline_read`).
pub(super) struct ReadState {
    parser: Parser,
    cache: RouteCache,
    owed: OwedWakes,
    pub(super) buf: BytesMut,
    /// Empty handles on earlier read buffers whose frames may still be queued (oldest first).
    spares: VecDeque<BytesMut>,
    /// The socket ended (set by whoever saw the end first); nothing reads it any more.
    pub(super) closed: bool,
}

impl ReadState {
    pub(super) fn new(buf: BytesMut) -> ReadState {
        ReadState {
            parser: Parser::with_limits(MAX_CONTROL_LINE, MAX_INCOMING_PAYLOAD),
            cache: RouteCache { gen: u64::MAX, sid: 0, sub: None },
            owed: OwedWakes(Vec::new()),
            buf,
            spares: VecDeque::new(),
            closed: false,
        }
    }

    /// Room for the next read: at least a quarter of `READ_CHUNK` (or of what is buffered).
    ///
    /// Queued messages share the read buffer, so while a subscription has a backlog the buffer
    /// cannot be taken back and every read chunk would need a fresh allocation (and the
    /// allocator, given the old ones back, returns their pages to the OS: page faults on every
    /// read into new memory). Instead the buffer given up keeps an empty handle among the
    /// spares, and a spare whose frames are all gone is taken back in place. Without a backlog
    /// the buffer is taken back itself and the spares are let go.
    pub(super) fn reserve(&mut self) {
        let len = self.buf.len();
        let want = READ_CHUNK.max(len);
        if self.buf.capacity() - len >= want / 4 {
            return;
        }
        if self.buf.try_reclaim(want) {
            self.spares.clear();
            return;
        }
        // oldest first: the likeliest to have no frame queued any more
        let spare = (0..self.spares.len()).find(|&i| self.spares[i].try_reclaim(len + want)).and_then(|i| self.spares.remove(i));
        let mut next = spare.unwrap_or_else(|| BytesMut::with_capacity(len + want));
        next.extend_from_slice(&self.buf);
        let mut old = std::mem::replace(&mut self.buf, next);
        old.clear();
        if self.spares.len() == SPARE_READ_BUFFERS {
            self.spares.pop_front();
        }
        self.spares.push_back(old);
    }

    /// Parses and routes every whole frame buffered, then wakes the waiting threads owed a
    /// wake-up. Returns how the socket must end when a frame ends it.
    pub(super) fn process(&mut self, inner: &Arc<Inner>) -> Result<(), Ended> {
        let r = self.parse_all(inner);
        self.owed.wake();
        r
    }

    fn parse_all(&mut self, inner: &Arc<Inner>) -> Result<(), Ended> {
        let ReadState { parser, cache, owed, buf, .. } = self;
        loop {
            let f = match parser.parse(buf) {
                Ok(Some(f)) => f,
                Ok(None) => return Ok(()),
                Err(e) => return Err(Ended::Disconnected(err!(Protocol, "{}", e))),
            };
            match f.op {
                Op::Msg { subject, sid, reply, header_len, total_len, payload_start } => {
                    let mut frame = buf.split_to(f.len);
                    frame[subject.end] = 0;
                    if let Some(r) = &reply {
                        frame[r.end] = 0;
                    }
                    // Counted before routing, so stats already include a message a user sees.
                    inner.in_msgs.fetch_add(1, Ordering::Relaxed);
                    inner.in_bytes.fetch_add(total_len as u64, Ordering::Relaxed);
                    let hdr = payload_start..payload_start + header_len;
                    let data = payload_start + header_len..payload_start + total_len;
                    let msg = Msg::from_frame(frame.freeze(), subject, reply, hdr, data);
                    route(inner, cache, owed, sid, msg);
                }
                Op::Ping => {
                    let _ = buf.split_to(f.len);
                    inner.writer.pong();
                }
                Op::Pong => {
                    let _ = buf.split_to(f.len);
                    on_pong(inner);
                }
                Op::Ok => {
                    let _ = buf.split_to(f.len);
                }
                Op::Info { json } => {
                    let frame = buf.split_to(f.len);
                    if let Ok(info) = ServerInfo::parse(&frame[json]) {
                        on_async_info(inner, info);
                    }
                }
                Op::Err(text) => {
                    let _ = buf.split_to(f.len);
                    if let Some(end) = on_server_error(inner, &text) {
                        return Err(end);
                    }
                }
            }
        }
    }
}

/// The reader of a socket only the I/O task reads (TLS): read, parse, route, until it ends.
pub(super) async fn reader_loop(inner: Arc<Inner>, mut rd: Box<dyn AsyncRead + Send + Unpin>, buf: BytesMut) -> Ended {
    let mut st = ReadState::new(buf);
    loop {
        if let Err(end) = st.process(&inner) {
            return end;
        }
        st.reserve();
        match rd.read_buf(&mut st.buf).await {
            Ok(0) => return eof(),
            Ok(_) => {}
            Err(e) => return read_failed(e),
        }
    }
}

pub(super) fn eof() -> Ended {
    Ended::Disconnected(err!(Io, "connection closed by the server"))
}

pub(super) fn read_failed(e: std::io::Error) -> Ended {
    Ended::Disconnected(err!(Io, "read failed: {}", e))
}

#[inline]
fn route(inner: &Arc<Inner>, cache: &mut RouteCache, owed: &mut OwedWakes, sid: u64, mut msg: Msg) {
    let gen = inner.subs_gen.load(Ordering::Acquire);
    if cache.gen != gen || cache.sid != sid {
        cache.sub = inner.subs.read().get(&sid).cloned();
        cache.gen = gen;
        cache.sid = sid;
    }
    let Some(sub) = cache.sub.as_ref() else { return };
    if sub.kind == SubKind::Resp {
        request::deliver_response(inner, msg);
        return;
    }
    msg.attach(inner);
    let mut wake = false;
    let (reached, slow) = sub.push(msg, &mut wake);
    if wake {
        owed.0.push(sub.clone());
    }
    if reached {
        inner.remove_sub(sid);
    }
    if slow {
        let s = sub.clone();
        let e = err!(SlowConsumer, "slow consumer: messages dropped on subscription '{}'", s.subject_str());
        inner.async_error(Some(s), e);
    }
}

fn on_pong(inner: &Inner) {
    match inner.writer.on_pong() {
        Some(PongWaiter::Flush(wt)) => {
            wt.complete(Ok(()));
        }
        Some(PongWaiter::FlushAsync(slot)) => {
            if let Some(f) = slot.take() {
                inner.completions.run(f, Ok(()));
            }
        }
        Some(PongWaiter::DrainSub(s)) => {
            inner.remove_sub(s.sid);
            s.close_input(Status::InvalidSubscription);
        }
        Some(PongWaiter::Timer) => inner.pool.lock().healthy(),
        Some(PongWaiter::Ignore) | None => {}
    }
}

fn on_async_info(inner: &Arc<Inner>, info: ServerInfo) {
    let (added, bad) = if inner.opts.ignore_discovered_servers {
        (false, Vec::new())
    } else {
        inner.pool.lock().apply_discovered(&info, inner.opts.no_randomize)
    };
    inner.report_bad_urls(bad);
    inner.apply_info_limits(&info, false);
    let ldm = info.ldm;
    *inner.info.write() = Arc::new(info);
    if added {
        inner.events.emit(Event::DiscoveredServers);
    }
    if ldm {
        inner.events.emit(Event::LameDuck);
    }
}

/// Handles -ERR. Returns Some when the socket must end.
fn on_server_error(inner: &Arc<Inner>, text: &str) -> Option<Ended> {
    let e = server_error::classify(text);
    match server_error::action(&e, text) {
        Action::Permission => {
            // Route to the subscription when the text names one of our subjects.
            let sub = if text.to_ascii_lowercase().contains("subscription") {
                inner.subs.read().values().find(|s| text.contains(&format!("\"{}\"", s.subject_str()))).cloned()
            } else {
                None
            };
            if let Some(s) = &sub {
                if s.kind == SubKind::Sync {
                    s.q.lock().pending_err = Some(e.clone());
                    s.cv.notify_all();
                }
            }
            inner.async_error(sub, e);
            None
        }
        Action::Report => {
            inner.async_error(None, e);
            None
        }
        Action::Reconnect => Some(Ended::Disconnected(e)),
        Action::Close => Some(Ended::Fatal(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fills the buffer's free room and splits it off as one queued frame.
    fn queue_all(st: &mut ReadState) -> bytes::Bytes {
        let room = st.buf.capacity() - st.buf.len();
        st.buf.resize(st.buf.len() + room, b'x');
        let n = st.buf.len();
        st.buf.split_to(n).freeze()
    }

    #[test]
    fn a_read_buffer_given_up_during_a_backlog_is_taken_back_once_its_frames_are_gone() {
        let mut st = ReadState::new(BytesMut::with_capacity(READ_CHUNK));
        let first = st.buf.as_ptr() as usize;
        let f1 = queue_all(&mut st);
        st.reserve();
        assert_ne!(st.buf.as_ptr() as usize, first, "a queued frame keeps the first buffer");
        assert_eq!(st.spares.len(), 1);
        let f2 = queue_all(&mut st);
        drop(f1);
        st.reserve();
        assert_eq!(st.buf.as_ptr() as usize, first, "the first buffer is taken back in place");
        assert_eq!(st.spares.len(), 1, "the second one waits for its frame");
        // a partial frame moves along with the buffer
        let room = st.buf.capacity() - st.buf.len();
        st.buf.resize(room - 11, b'x');
        let f3 = st.buf.split_to(room - 11).freeze();
        st.buf.extend_from_slice(b"MSG partial"); // fills the buffer: no room left
        assert_eq!(st.buf.capacity(), st.buf.len());
        drop(f2);
        st.reserve();
        assert_eq!(&st.buf[..], b"MSG partial");
        assert!(st.buf.capacity() - st.buf.len() >= READ_CHUNK);
        // no backlog: the buffer itself is taken back and the spares are let go
        drop(f3);
        st.buf.clear();
        let n = st.buf.capacity();
        st.buf.resize(n, b'z');
        let _ = st.buf.split_to(n);
        st.reserve();
        assert!(st.spares.is_empty());
        // never more spares than SPARE_READ_BUFFERS
        let held: Vec<_> = (0..SPARE_READ_BUFFERS + 3)
            .map(|_| {
                let f = queue_all(&mut st);
                st.reserve();
                f
            })
            .collect();
        assert_eq!(st.spares.len(), SPARE_READ_BUFFERS);
        drop(held);
    }
}
