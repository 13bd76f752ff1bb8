//! Packed batches: many messages in one caller buffer, so that a binding pays one foreign call
//! per batch instead of several per message (natsrs_subscription_try_next_packed,
//! natsrs_connection_publish_packed).
//!
//! Layout (both directions), entries back to back, no padding, no alignment:
//!
//! ```text
//! u32 subject_len | u32 reply_len | u32 header_len | u32 data_len     (little-endian, 16 bytes)
//! subject bytes | reply bytes | header bytes | data bytes
//! ```
//!
//! `reply_len` 0 = no reply subject; `header_len` 0 = no headers, else the raw header block as
//! on the wire (`NATS/1.0\r\n...\r\n\r\n`).

use super::connection::{conn, natsrs_connection};
use super::handle::borrow;
use super::status::natsrs_status;
use super::subscription::natsrs_subscription;
use super::{guard, nn, payload, put, timeout_ms as timeout_ms_arg};
use crate::connection::Fitting;
use crate::error::{err, Error, Result};
use crate::msg::Msg;

/// Bytes of the four little-endian u32 lengths in front of every entry.
pub(crate) const ENTRY_HEADER_LEN: usize = 16;

/// The parts of one message, in layout order.
fn parts(m: &Msg) -> [&[u8]; 4] {
    [m.subject_bytes(), m.reply_bytes().unwrap_or_default(), m.header_block(), m.data()]
}

/// Bytes one message takes in a packed buffer (`usize::MAX` if a part exceeds a u32).
pub(crate) fn entry_len(m: &Msg) -> usize {
    let p = parts(m);
    if p.iter().any(|x| u32::try_from(x.len()).is_err()) {
        return usize::MAX;
    }
    p.iter().fold(ENTRY_HEADER_LEN, |n, x| n.saturating_add(x.len()))
}

/// Appends one message in the packed layout (the tests' reference encoder).
#[cfg(test)]
pub(crate) fn encode_entry(out: &mut Vec<u8>, m: &Msg) {
    let p = parts(m);
    for x in &p {
        out.extend_from_slice(&(x.len() as u32).to_le_bytes());
    }
    for x in &p {
        out.extend_from_slice(x);
    }
}

/// One entry of a packed buffer: (subject, reply, header block, data).
pub(crate) type Entry<'a> = (&'a [u8], &'a [u8], &'a [u8], &'a [u8]);

/// Splits a packed buffer into entries, checking every length first: a truncated header or a
/// length running past the end is `InvalidArgument` (naming the entry and offset), as is an
/// empty subject.
#[cfg(test)]
pub(crate) fn decode(buf: &[u8]) -> Result<Vec<Entry<'_>>> {
    validate(buf)?;
    Ok(Entries::new(buf).collect())
}

/// The four lengths at the start of `rest` (at least `ENTRY_HEADER_LEN` bytes).
#[inline]
fn lengths(rest: &[u8]) -> [usize; 4] {
    let mut lens = [0usize; 4];
    for (i, l) in lens.iter_mut().enumerate() {
        let b: [u8; 4] = rest[4 * i..4 * i + 4].try_into().expect("4 bytes");
        *l = u32::from_le_bytes(b) as usize;
    }
    lens
}

/// Checks every entry of a packed buffer (see `decode`) without collecting them, so that a
/// malformed buffer is refused before anything in it is published. Returns the entry count.
pub(crate) fn validate(buf: &[u8]) -> Result<usize> {
    let mut off = 0usize;
    let mut idx = 0usize;
    while off < buf.len() {
        let rest = &buf[off..];
        if rest.len() < ENTRY_HEADER_LEN {
            return Err(err!(
                InvalidArgument,
                "packed entry {} at offset {}: {} bytes left, a header needs {}",
                idx,
                off,
                rest.len(),
                ENTRY_HEADER_LEN
            ));
        }
        let lens = lengths(rest);
        let body: usize = lens.iter().sum();
        if body > rest.len() - ENTRY_HEADER_LEN {
            return Err(err!(
                InvalidArgument,
                "packed entry {} at offset {}: its lengths need {} bytes, {} are left",
                idx,
                off,
                body,
                rest.len() - ENTRY_HEADER_LEN
            ));
        }
        if lens[0] == 0 {
            return Err(err!(InvalidArgument, "packed entry {} at offset {}: empty subject", idx, off));
        }
        off += ENTRY_HEADER_LEN + body;
        idx += 1;
    }
    Ok(idx)
}

/// The entries of a packed buffer, in order, without an allocation. For a buffer `validate`
/// accepted; on any other it stops at the first entry that does not fit.
pub(crate) struct Entries<'a> {
    rest: &'a [u8],
}

impl<'a> Entries<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Entries { rest: buf }
    }
}

impl<'a> Iterator for Entries<'a> {
    type Item = Entry<'a>;

    #[inline]
    fn next(&mut self) -> Option<Entry<'a>> {
        if self.rest.len() < ENTRY_HEADER_LEN {
            return None;
        }
        let [sl, rl, hl, dl] = lengths(self.rest);
        let body = self.rest.get(ENTRY_HEADER_LEN..)?;
        let (subject, body) = body.split_at_checked(sl)?;
        let (reply, body) = body.split_at_checked(rl)?;
        let (headers, body) = body.split_at_checked(hl)?;
        let (data, rest) = body.split_at_checked(dl)?;
        self.rest = rest;
        Some((subject, reply, headers, data))
    }
}

/// Copies as many waiting messages as fit into `buf` (`cap` bytes) in the packed layout (see
/// natsrs_connection_publish_packed), in order, never splitting one; does not wait.
/// `*out_used` gets the bytes written and `*out_count` the number of messages (0 and 0 when
/// none is waiting). Synchronous subscriptions only (see natsrs_subscription_notify_fd).
///
/// If the first waiting message alone does not fit, returns NATSRS_STATUS_BUFFER_TOO_SMALL,
/// copies nothing (the message stays queued), sets `*out_count` to 0 and `*out_used` to the
/// size that message needs: call again with a buffer at least that large. (This is the one
/// failure that writes the out-pointers.) An ended subscription with nothing queued gives its
/// end status, a slow consumer NATSRS_STATUS_SLOW_CONSUMER once, as natsrs_subscription_next_msg.
#[no_mangle]
pub unsafe extern "C" fn natsrs_subscription_try_next_packed(
    sub: *mut natsrs_subscription,
    buf: *mut u8,
    cap: usize,
    out_used: *mut usize,
    out_count: *mut usize,
) -> natsrs_status {
    // SAFETY: forwarded C contract on every pointer.
    guard(|| unsafe { next_packed(sub, buf, cap, None, out_used, out_count) })
}

/// As natsrs_subscription_try_next_packed, but first waits up to `timeout_ms` for a message:
/// NATSRS_STATUS_TIMEOUT if none came (out-pointers untouched). For blocking readers that want
/// a batch per call.
#[no_mangle]
pub unsafe extern "C" fn natsrs_subscription_next_packed(
    sub: *mut natsrs_subscription,
    buf: *mut u8,
    cap: usize,
    timeout_ms: i64,
    out_used: *mut usize,
    out_count: *mut usize,
) -> natsrs_status {
    guard(|| {
        let t = timeout_ms_arg(timeout_ms, "timeout_ms")?;
        // SAFETY: forwarded C contract on every pointer.
        unsafe { next_packed(sub, buf, cap, Some(t), out_used, out_count) }
    })
}

/// Both packed receives: takes what fits (waiting up to `wait` for the first message when
/// given) and copies it into the caller's buffer.
///
/// # Safety
/// `sub` NULL or a live handle; `buf` NULL or writable for `cap` bytes; the out-pointers NULL
/// or writable.
unsafe fn next_packed(
    sub: *mut natsrs_subscription,
    buf: *mut u8,
    cap: usize,
    wait: Option<std::time::Duration>,
    out_used: *mut usize,
    out_count: *mut usize,
) -> Result<()> {
    // SAFETY: forwarded caller guarantee.
    let s = unsafe { borrow(sub, "sub") }?.subscription()?;
    nn(buf, "buf")?;
    nn(out_used, "out_used")?;
    nn(out_count, "out_count")?;
    if cap > isize::MAX as usize {
        return Err(err!(InvalidArgument, "cap too large"));
    }
    let found = match wait {
        Some(t) => s.next_msgs_fitting(cap, entry_len, t)?,
        None => s.try_next_msgs_fitting(cap, entry_len)?,
    };
    let msgs = match found {
        Fitting::Taken(v) => v,
        Fitting::FirstNeeds(n) => {
            // SAFETY: both checked non-NULL above.
            unsafe {
                put(out_used, n);
                put(out_count, 0);
            }
            return Err(err!(BufferTooSmall, "the next message needs {} bytes, the buffer has {}", n, cap));
        }
    };
    let mut used = 0usize;
    for m in &msgs {
        let p = parts(m);
        let need = entry_len(m);
        assert!(need <= cap - used, "taken messages fit in the buffer");
        let mut lens = [0u8; ENTRY_HEADER_LEN];
        for (i, x) in p.iter().enumerate() {
            lens[4 * i..4 * i + 4].copy_from_slice(&(x.len() as u32).to_le_bytes());
        }
        // Each part is copied once, straight into the caller's buffer.
        for x in std::iter::once(&lens[..]).chain(p) {
            // SAFETY: `buf` is writable for `cap` bytes (caller guarantee) and this entry's
            // `need` bytes fit after `used` (asserted above; the parts and the lengths add up to
            // `need`); library memory and the caller's buffer do not overlap.
            unsafe { std::ptr::copy_nonoverlapping(x.as_ptr(), buf.add(used), x.len()) };
            used += x.len();
        }
    }
    // SAFETY: both checked non-NULL above.
    unsafe {
        put(out_used, used);
        put(out_count, msgs.len());
    }
    Ok(())
}

/// Publishes every message of a packed buffer (`len` bytes) in one call. Layout per message,
/// back to back with no padding: four little-endian uint32_t lengths (subject, reply, header
/// block, data; 16 bytes), then the subject, reply, header and data bytes. Reply length 0 = no
/// reply; header length 0 = no headers, else a raw header block (`NATS/1.0\r\n...\r\n\r\n`, as
/// natsrs_subscription_try_next_packed gives).
///
/// The whole buffer's lengths are checked first: a truncated entry, a length past the end or an
/// empty subject gives NATSRS_STATUS_INVALID_ARGUMENT and publishes nothing. Then the entries are
/// published in order; one that is refused (bad subject: INVALID_SUBJECT, too large: MAX_PAYLOAD,
/// malformed header block: INVALID_ARGUMENT, ...) stops the call with that status: the entries
/// before it were published, none after it. `*out_count` gets the number published, also on
/// failure (it may be NULL).
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_publish_packed(
    nc: *mut natsrs_connection,
    buf: *const u8,
    len: usize,
    out_count: *mut usize,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `nc` is NULL or a live handle; `buf` NULL or `len` readable bytes (C contract).
        let (c, b) = unsafe { (conn(nc)?, payload(buf, len)?) };
        let report = |n: usize| {
            if !out_count.is_null() {
                // SAFETY: non-NULL out-pointer (C contract: writable).
                unsafe { put(out_count, n) };
            }
        };
        if let Err(e) = validate(b) {
            report(0);
            return Err(e);
        }
        // Sent together at the end, inline when the writer is idle (a responder's replies do
        // not wait for the writer task's wake-up).
        let (count, r) = c.publish_batch(Entries::new(b).map(|(s, r, h, d)| (s, if r.is_empty() { None } else { Some(r) }, h, d)));
        report(count);
        r.map_err(|e| Error::new(e.status, format!("packed entry {}: {}", count, e.message)))
    })
}

/// Publishes ready-made PUB frames in one call: `PUB <subject> [<reply>] <size>\r\n`, the
/// payload and `\r\n`, back to back in `buf` (`len` bytes), as they go on the wire. For a
/// binding that formats its own publishes: when the connection's writer is idle, the frames are
/// written to the socket from `buf` itself, with no copy into the library's buffer.
///
/// Each frame is checked as natsrs_connection_publish checks a message (shape of the frame:
/// INVALID_ARGUMENT; subjects: INVALID_SUBJECT; size: MAX_PAYLOAD). The frames before the first
/// refused one are published and that status returned; none after it is. Frames with headers
/// (HPUB) are not accepted: use natsrs_connection_publish_packed. `*out_count` gets the number
/// published, also on failure (it may be NULL). Does not wait for the server.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_publish_wire(
    nc: *mut natsrs_connection,
    buf: *const u8,
    len: usize,
    out_count: *mut usize,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `nc` is NULL or a live handle; `buf` NULL or `len` readable bytes (C contract).
        let (c, b) = unsafe { (conn(nc)?, payload(buf, len)?) };
        let (count, r) = c.publish_wire(b);
        if !out_count.is_null() {
            // SAFETY: non-NULL out-pointer (C contract: writable).
            unsafe { put(out_count, count) };
        }
        r.map_err(|e| Error::new(e.status, format!("wire frame {}: {}", count, e.message)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Status;

    fn entry(s: &[u8], r: &[u8], h: &[u8], d: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        for x in [s, r, h, d] {
            v.extend_from_slice(&(x.len() as u32).to_le_bytes());
        }
        for x in [s, r, h, d] {
            v.extend_from_slice(x);
        }
        v
    }

    #[test]
    fn decode_round_trips_and_checks_every_length() {
        let mut b = entry(b"a.b", b"", b"", b"hello");
        b.extend(entry(b"c", b"inbox.1", b"NATS/1.0\r\nK: v\r\n\r\n", b""));
        let v = decode(&b).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0], (&b"a.b"[..], &b""[..], &b""[..], &b"hello"[..]));
        assert_eq!(v[1].1, b"inbox.1");
        assert!(decode(&[]).unwrap().is_empty());
        // Truncated header, length past the end, empty subject, huge length.
        for bad in [b[..10].to_vec(), b[..b.len() - 1].to_vec(), entry(b"", b"", b"", b"x"), {
            let mut x = entry(b"s", b"", b"", b"");
            x[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
            x
        }] {
            let e = decode(&bad).unwrap_err();
            assert_eq!(e.status, Status::InvalidArgument, "{}", e.message);
            assert!(e.message.contains("packed entry"), "{}", e.message);
        }
    }

    #[test]
    fn encode_matches_entry_len() {
        let m = Msg::new("x.y", Some("r"), b"data").unwrap();
        let mut v = Vec::new();
        encode_entry(&mut v, &m);
        assert_eq!(v.len(), entry_len(&m));
        assert_eq!(v, entry(b"x.y", b"r", b"", b"data"));
    }
}
