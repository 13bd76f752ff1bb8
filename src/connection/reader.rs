//! The read side of a served socket: parse frames, route messages to subscriptions, answer
//! PINGs, complete PONG waiters, apply async INFO and handle -ERR.

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
            closed: false,
        }
    }

    /// Room for the next read: at least a quarter of `READ_CHUNK` (or of what is buffered).
    pub(super) fn reserve(&mut self) {
        let want = READ_CHUNK.max(self.buf.len());
        if self.buf.capacity() - self.buf.len() < want / 4 {
            self.buf.reserve(want);
        }
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
