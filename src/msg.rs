//! Messages: received ones are zero-copy views into the connection's read buffer.

use std::ffi::{c_char, CString};
use std::sync::{Arc, Weak};

use bytes::{BufMut, Bytes, BytesMut};
use once_cell::sync::OnceCell;

use crate::connection::Inner;
use crate::error::{err, Result};
use crate::proto::HeaderMap;

/// NUL-terminated copies of the header names and values, built on first use by the C accessors.
#[derive(Default)]
pub(crate) struct CHeaders {
    pub keys: Vec<CString>,
    pub key_ptrs: Vec<*const c_char>,
    /// Per key (same order as `keys`): the values and their pointer array.
    pub values: Vec<(Vec<CString>, Vec<*const c_char>)>,
}
// SAFETY: the raw pointers point into the CStrings owned by the same struct, which is immutable once built.
unsafe impl Send for CHeaders {}
unsafe impl Sync for CHeaders {}

struct MsgExt {
    headers: Option<HeaderMap>,
    cheaders: OnceCell<CHeaders>,
}

/// A NATS message.
///
/// `frame` holds `subject\0`, optional `reply\0`, the raw header block and the payload, at the
/// recorded offsets. For received messages this is a slice of the read buffer (no copy).
pub struct Msg {
    frame: Bytes,
    subject: (u32, u32),
    reply: Option<(u32, u32)>,
    header_raw: (u32, u32),
    data: (u32, u32),
    /// Parsed headers and their C copies, built on first use (kept out of line so that a
    /// message without header access stays small).
    ext: OnceCell<Box<MsgExt>>,
    pub(crate) conn: Option<Weak<Inner>>,
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
                Some(e) => OnceCell::with_value(Box::new(MsgExt { headers: e.headers.clone(), cheaders: OnceCell::new() })),
                None => OnceCell::new(),
            },
            conn: self.conn.clone(),
        }
    }
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Msg")
            .field("subject", &self.subject())
            .field("reply", &self.reply())
            .field("data_len", &self.data().len())
            .finish()
    }
}

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
            reply: reply.map(|r| (r.start as u32, r.end as u32)),
            header_raw: (header.start as u32, header.end as u32),
            data: (data.start as u32, data.end as u32),
            ext: OnceCell::new(),
            conn: None,
        }
    }

    /// Creates a message to publish.
    pub fn new(subject: &str, reply: Option<&str>, data: &[u8]) -> Result<Msg> {
        if subject.as_bytes().contains(&0) || reply.map_or(false, |r| r.as_bytes().contains(&0)) {
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
            reply: rep,
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
    /// Pointer to the NUL-terminated subject.
    #[inline]
    pub(crate) fn subject_cptr(&self) -> *const c_char {
        self.frame[self.subject.0 as usize..].as_ptr() as *const c_char
    }
    pub fn reply(&self) -> Option<&str> {
        self.reply.map(|rr| std::str::from_utf8(&self.frame[r(rr)]).unwrap_or(""))
    }
    pub fn reply_bytes(&self) -> Option<&[u8]> {
        self.reply.map(|rr| &self.frame[r(rr)])
    }
    pub(crate) fn reply_cptr(&self) -> *const c_char {
        match self.reply {
            Some(rr) => self.frame[rr.0 as usize..].as_ptr() as *const c_char,
            None => std::ptr::null(),
        }
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
            Box::new(MsgExt { headers, cheaders: OnceCell::new() })
        })
    }

    /// Parsed headers (None when the message has none or they are malformed).
    pub fn headers(&self) -> Option<&HeaderMap> {
        self.ext().headers.as_ref()
    }

    /// NUL-terminated copies of the headers for the C accessors, built once.
    pub(crate) fn cheaders(&self, build: impl FnOnce(Option<&HeaderMap>) -> CHeaders) -> &CHeaders {
        let e = self.ext();
        e.cheaders.get_or_init(|| build(e.headers.as_ref()))
    }

    /// Mutable headers (creates an empty map on first use). Invalidates C caches.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        self.ext();
        let e = self.ext.get_mut().expect("initialised above");
        e.cheaders = OnceCell::new();
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
        let to = self
            .reply()
            .filter(|r| !r.is_empty())
            .ok_or_else(|| err!(IllegalState, "message has no reply subject"))?;
        let conn = self
            .conn
            .as_ref()
            .and_then(|w| w.upgrade())
            .ok_or_else(|| err!(IllegalState, "message is not bound to a connection"))?;
        let hdrs = reply.encoded_headers();
        conn.publish_raw(to.as_bytes(), None, hdrs.as_deref(), reply.data())
    }

    pub fn respond(&self, data: &[u8]) -> Result<()> {
        let reply = self
            .reply()
            .filter(|r| !r.is_empty())
            .ok_or_else(|| err!(IllegalState, "message has no reply subject"))?;
        let conn = self
            .conn
            .as_ref()
            .and_then(|w| w.upgrade())
            .ok_or_else(|| err!(IllegalState, "message is not bound to a connection"))?;
        conn.publish_raw(reply.as_bytes(), None, None, data)
    }

    pub(crate) fn attach(&mut self, conn: &Arc<Inner>) {
        if self.reply.is_some() {
            self.conn = Some(Arc::downgrade(conn));
        }
    }
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
    }
}
