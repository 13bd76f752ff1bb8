//! Messages: received ones are zero-copy views into the connection's read buffer.

use std::ffi::CStr;
use std::sync::{Arc, Weak};

use bytes::{BufMut, Bytes, BytesMut};
use once_cell::sync::OnceCell;

use crate::error::{err, Result};
use crate::proto::HeaderMap;

/// Where [`Msg::respond`] publishes: the connection a message arrived on. Implemented by the
/// connection engine; a message holds it weakly, so a queued message never keeps a connection
/// alive.
pub(crate) trait Responder: Send + Sync {
    /// Publishes `data` (with an encoded header block, if any) on `subject`, without a reply
    /// subject.
    fn publish_reply(&self, subject: &[u8], headers: Option<&[u8]>, data: &[u8]) -> Result<()>;
}

struct MsgExt {
    headers: Option<HeaderMap>,
}

/// A NATS message.
///
/// `frame` holds `subject\0`, optional `reply\0`, the raw header block and the payload, at the
/// recorded offsets. For received messages this is a slice of the read buffer (no copy).
pub struct Msg {
    frame: Bytes,
    subject: (u32, u32),
    /// `NO_REPLY` when there is none (a sentinel rather than an Option keeps `Msg` small).
    reply: (u32, u32),
    header_raw: (u32, u32),
    data: (u32, u32),
    /// Parsed headers, built on first use (kept out of line so that a message without header
    /// access stays small).
    ext: OnceCell<Box<MsgExt>>,
    /// The connection to respond through (set for received messages with a reply subject).
    conn: Option<Weak<dyn Responder>>,
}

impl Clone for Msg {
    fn clone(&self) -> Msg {
        Msg {
            frame: self.frame.clone(),
            subject: self.subject,
            reply: self.reply,
            header_raw: self.header_raw,
            data: self.data,
            ext: match self.ext.get() {
                Some(e) => OnceCell::with_value(Box::new(MsgExt { headers: e.headers.clone() })),
                None => OnceCell::new(),
            },
            conn: self.conn.clone(),
        }
    }
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Msg").field("subject", &self.subject()).field("reply", &self.reply()).field("data_len", &self.data().len()).finish()
    }
}

/// `Msg::reply` of a message without a reply subject.
const NO_REPLY: (u32, u32) = (u32::MAX, u32::MAX);

#[inline]
fn r(range: (u32, u32)) -> std::ops::Range<usize> {
    range.0 as usize..range.1 as usize
}

impl Msg {
    /// Builds a message from a received frame. `subject`/`reply` ranges must be followed by a NUL
    /// byte inside `frame` (the reader writes it over the blank that follows them on the wire).
    #[inline]
    pub(crate) fn from_frame(
        frame: Bytes,
        subject: std::ops::Range<usize>,
        reply: Option<std::ops::Range<usize>>,
        header: std::ops::Range<usize>,
        data: std::ops::Range<usize>,
    ) -> Msg {
        Msg {
            frame,
            subject: (subject.start as u32, subject.end as u32),
            reply: reply.map_or(NO_REPLY, |r| (r.start as u32, r.end as u32)),
            header_raw: (header.start as u32, header.end as u32),
            data: (data.start as u32, data.end as u32),
            ext: OnceCell::new(),
            conn: None,
        }
    }

    /// Creates a message to publish.
    pub fn new(subject: &str, reply: Option<&str>, data: &[u8]) -> Result<Msg> {
        if subject.as_bytes().contains(&0) || reply.is_some_and(|r| r.as_bytes().contains(&0)) {
            return Err(err!(InvalidArgument, "subject or reply contains a NUL byte"));
        }
        let mut b = BytesMut::with_capacity(subject.len() + reply.map_or(0, |r| r.len() + 1) + 1 + data.len());
        b.put_slice(subject.as_bytes());
        b.put_u8(0);
        let s = (0u32, subject.len() as u32);
        let rep = reply.map(|rp| {
            let start = b.len();
            b.put_slice(rp.as_bytes());
            b.put_u8(0);
            (start as u32, (start + rp.len()) as u32)
        });
        let ds = b.len() as u32;
        b.put_slice(data);
        Ok(Msg {
            frame: b.freeze(),
            subject: s,
            reply: rep.unwrap_or(NO_REPLY),
            header_raw: (ds, ds),
            data: (ds, ds + data.len() as u32),
            ext: OnceCell::new(),
            conn: None,
        })
    }

    #[inline]
    pub fn subject(&self) -> &str {
        // Subjects are validated as UTF-8 lazily: the wire may carry any bytes.
        std::str::from_utf8(&self.frame[r(self.subject)]).unwrap_or("")
    }
    #[inline]
    pub fn subject_bytes(&self) -> &[u8] {
        &self.frame[r(self.subject)]
    }
    /// The subject as a borrowed NUL-terminated string: a view into the frame, which holds a
    /// NUL right after the subject (no copy).
    #[inline]
    pub fn subject_cstr(&self) -> &CStr {
        nul_terminated_at(&self.frame, self.subject)
    }
    pub fn reply(&self) -> Option<&str> {
        self.reply_range().map(|rr| std::str::from_utf8(&self.frame[r(rr)]).unwrap_or(""))
    }
    pub fn reply_bytes(&self) -> Option<&[u8]> {
        self.reply_range().map(|rr| &self.frame[r(rr)])
    }
    /// The reply subject as a borrowed NUL-terminated string (a view into the frame, no copy).
    pub fn reply_cstr(&self) -> Option<&CStr> {
        self.reply_range().map(|rr| nul_terminated_at(&self.frame, rr))
    }
    #[inline]
    fn reply_range(&self) -> Option<(u32, u32)> {
        (self.reply != NO_REPLY).then_some(self.reply)
    }
    #[inline]
    pub fn data(&self) -> &[u8] {
        &self.frame[r(self.data)]
    }
    /// The payload as a cheap reference-counted slice.
    pub fn data_bytes(&self) -> Bytes {
        self.frame.slice(r(self.data))
    }
    /// Raw header block as received (empty if none).
    pub fn header_block(&self) -> &[u8] {
        &self.frame[r(self.header_raw)]
    }
    /// Size used for pending-bytes accounting.
    /// Moves the message's bytes into `arena`, a dense buffer of queued messages, so that it no
    /// longer keeps its (much larger) read chunk alive. Offsets are relative to the frame, so
    /// they stay valid.
    pub(crate) fn compact_into(&mut self, arena: &mut BytesMut, page: usize) {
        let n = self.frame.len();
        if arena.capacity() - arena.len() < n {
            *arena = BytesMut::with_capacity(page.max(n));
        }
        arena.extend_from_slice(&self.frame);
        self.frame = arena.split().freeze();
    }

    /// Bytes of the frame this message views.
    #[inline]
    pub(crate) fn frame_len(&self) -> usize {
        self.frame.len()
    }

    /// Where the frame's bytes are (to tell which read chunk they live in).
    #[inline]
    pub(crate) fn frame_addr(&self) -> usize {
        self.frame.as_ptr() as usize
    }

    #[inline]
    pub(crate) fn size(&self) -> usize {
        (self.data.1 - self.data.0) as usize + (self.header_raw.1 - self.header_raw.0) as usize
    }

    fn ext(&self) -> &MsgExt {
        self.ext.get_or_init(|| {
            let blk = self.header_block();
            let headers = if blk.is_empty() { None } else { HeaderMap::decode(blk).ok() };
            Box::new(MsgExt { headers })
        })
    }

    /// Parsed headers (None when the message has none or they are malformed).
    pub fn headers(&self) -> Option<&HeaderMap> {
        self.ext().headers.as_ref()
    }

    /// Mutable headers (creates an empty map on first use).
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        self.ext();
        let e = self.ext.get_mut().expect("initialised above");
        e.headers.get_or_insert_with(HeaderMap::new)
    }

    /// Inline status code (503, 404, ...) or 0.
    pub fn status_code(&self) -> u16 {
        self.headers().and_then(|h| h.status()).unwrap_or(0)
    }

    /// True for the server's "no responders" answer.
    pub fn is_no_responders(&self) -> bool {
        self.data().is_empty() && self.status_code() == 503
    }

    /// Header block to put on the wire when publishing this message (None = plain PUB).
    pub(crate) fn encoded_headers(&self) -> Option<Vec<u8>> {
        match self.headers() {
            Some(h) if !h.is_empty() || h.status().is_some() => {
                let mut v = Vec::with_capacity(h.encoded_len());
                h.encode(&mut v);
                Some(v)
            }
            _ => None,
        }
    }

    /// Replies to this message on its reply subject through the connection it came from.
    /// Answers with `reply`'s headers and data (its subject is ignored: this message's reply
    /// subject is used).
    pub fn respond_msg(&self, reply: &Msg) -> Result<()> {
        let to = self.reply().filter(|r| !r.is_empty()).ok_or_else(|| err!(IllegalState, "message has no reply subject"))?;
        let conn =
            self.conn.as_ref().and_then(|w| w.upgrade()).ok_or_else(|| err!(IllegalState, "message is not bound to a connection"))?;
        let hdrs = reply.encoded_headers();
        conn.publish_reply(to.as_bytes(), hdrs.as_deref(), reply.data())
    }

    pub fn respond(&self, data: &[u8]) -> Result<()> {
        let reply = self.reply().filter(|r| !r.is_empty()).ok_or_else(|| err!(IllegalState, "message has no reply subject"))?;
        let conn =
            self.conn.as_ref().and_then(|w| w.upgrade()).ok_or_else(|| err!(IllegalState, "message is not bound to a connection"))?;
        conn.publish_reply(reply.as_bytes(), None, data)
    }

    /// Binds a received message to the connection it arrived on, for [`Msg::respond`] (only
    /// when it has a reply subject).
    #[inline]
    pub(crate) fn attach<R: Responder + 'static>(&mut self, conn: &Arc<R>) {
        if self.reply != NO_REPLY {
            let weak: Weak<dyn Responder> = Arc::downgrade(conn) as Weak<R>;
            self.conn = Some(weak);
        }
    }
}

/// The NUL-terminated string that starts at `range.0` in `frame` (the frame holds a NUL at
/// `range.1`; if the bytes in between hold a NUL, the string ends there, as C would read it).
#[inline]
fn nul_terminated_at(frame: &[u8], range: (u32, u32)) -> &CStr {
    let end = (range.1 as usize + 1).min(frame.len());
    CStr::from_bytes_until_nul(&frame[range.0 as usize..end]).unwrap_or(c"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn received_messages_stay_small() {
        // Every queued message costs this much besides its payload: keep it compact.
        assert!(std::mem::size_of::<Msg>() <= 96, "Msg is {} bytes", std::mem::size_of::<Msg>());
    }

    #[test]
    fn created_message_headers_and_clone() {
        let mut m = Msg::new("a.b", Some("r"), b"data").unwrap();
        assert!(m.headers().is_none());
        m.headers_mut().add("K", "1").unwrap();
        m.headers_mut().add("K", "2").unwrap();
        let c = m.clone();
        assert_eq!(c.headers().unwrap().get_all("K"), ["1", "2"]);
        assert_eq!((c.subject(), c.reply(), c.data()), ("a.b", Some("r"), &b"data"[..]));
        assert!(Msg::new("a\0b", None, b"").is_err());
        assert_eq!(c.subject_cstr(), c"a.b");
        assert_eq!(c.reply_cstr(), Some(c"r"));
        assert_eq!(Msg::new("x", None, b"").unwrap().reply_cstr(), None);
    }

    struct Echo(parking_lot::Mutex<Vec<(Vec<u8>, Vec<u8>)>>);
    impl Responder for Echo {
        fn publish_reply(&self, subject: &[u8], _headers: Option<&[u8]>, data: &[u8]) -> Result<()> {
            self.0.lock().push((subject.to_vec(), data.to_vec()));
            Ok(())
        }
    }

    #[test]
    fn respond_goes_through_the_attached_responder_weakly() {
        let r = Arc::new(Echo(parking_lot::Mutex::new(Vec::new())));
        let mut m = Msg::new("a", Some("inbox.1"), b"q").unwrap();
        assert_eq!(m.respond(b"x").unwrap_err().status, crate::error::Status::IllegalState);
        m.attach(&r);
        m.respond(b"answer").unwrap();
        assert_eq!(r.0.lock()[0], (b"inbox.1".to_vec(), b"answer".to_vec()));
        let mut plain = Msg::new("a", None, b"").unwrap();
        plain.attach(&r);
        assert_eq!(plain.respond(b"x").unwrap_err().status, crate::error::Status::IllegalState);
        drop(r);
        assert_eq!(m.respond(b"x").unwrap_err().status, crate::error::Status::IllegalState);
    }
}
