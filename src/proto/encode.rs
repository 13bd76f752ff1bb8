//! Encoders for client → server frames. They append to a `Vec<u8>` without any
//! intermediate allocation and do not validate their arguments (use
//! `super::subject` first). An empty `reply` / `queue` is treated like `None`.

/// `PING\r\n`
pub const PING: &[u8] = b"PING\r\n";
/// `PONG\r\n`
pub const PONG: &[u8] = b"PONG\r\n";

/// Number of decimal digits of `n` (1 for 0).
#[inline]
pub fn u64_len(n: u64) -> usize {
    let mut len = 1;
    let mut v = n;
    while v >= 10_000 {
        v /= 10_000;
        len += 4;
    }
    if v >= 1000 {
        len + 3
    } else if v >= 100 {
        len + 2
    } else if v >= 10 {
        len + 1
    } else {
        len
    }
}

const DIGIT_PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Appends `n` in decimal.
#[inline]
pub fn write_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut tmp = [0u8; 20];
    let mut pos = tmp.len();
    while n >= 100 {
        let r = (n % 100) as usize * 2;
        n /= 100;
        pos -= 2;
        tmp[pos] = DIGIT_PAIRS[r];
        tmp[pos + 1] = DIGIT_PAIRS[r + 1];
    }
    if n >= 10 {
        let r = n as usize * 2;
        pos -= 2;
        tmp[pos] = DIGIT_PAIRS[r];
        tmp[pos + 1] = DIGIT_PAIRS[r + 1];
    } else {
        pos -= 1;
        tmp[pos] = b'0' + n as u8;
    }
    out.extend_from_slice(&tmp[pos..]);
}

#[inline]
fn non_empty(o: Option<&[u8]>) -> Option<&[u8]> {
    o.filter(|s| !s.is_empty())
}

/// Exact size of the frame written by [`write_pub`] (`reply_len == 0` = no reply).
#[inline]
pub fn pub_frame_len(subject_len: usize, reply_len: usize, payload_len: usize) -> usize {
    // "PUB " subject " " [reply " "] size "\r\n" payload "\r\n"
    4 + subject_len + 1 + if reply_len > 0 { reply_len + 1 } else { 0 } + u64_len(payload_len as u64) + 2 + payload_len + 2
}

/// Exact size of the frame written by [`write_hpub`] (`reply_len == 0` = no reply).
#[inline]
pub fn hpub_frame_len(subject_len: usize, reply_len: usize, headers_len: usize, payload_len: usize) -> usize {
    let total = headers_len + payload_len;
    // "HPUB " subject " " [reply " "] hdr " " total "\r\n" headers payload "\r\n"
    5 + subject_len
        + 1
        + if reply_len > 0 { reply_len + 1 } else { 0 }
        + u64_len(headers_len as u64)
        + 1
        + u64_len(total as u64)
        + 2
        + total
        + 2
}

/// `PUB <subject> [reply] <#bytes>\r\n<payload>\r\n`
#[inline]
pub fn write_pub(out: &mut Vec<u8>, subject: &[u8], reply: Option<&[u8]>, payload: &[u8]) {
    let reply = non_empty(reply);
    out.reserve(pub_frame_len(subject.len(), reply.map_or(0, |r| r.len()), payload.len()));
    out.extend_from_slice(b"PUB ");
    out.extend_from_slice(subject);
    out.push(b' ');
    if let Some(r) = reply {
        out.extend_from_slice(r);
        out.push(b' ');
    }
    write_u64(out, payload.len() as u64);
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(payload);
    out.extend_from_slice(b"\r\n");
}

/// `HPUB <subject> [reply] <#hdr> <#total>\r\n<headers><payload>\r\n`;
/// `headers` is a complete encoded block (ending in CR LF CR LF).
#[inline]
pub fn write_hpub(out: &mut Vec<u8>, subject: &[u8], reply: Option<&[u8]>, headers: &[u8], payload: &[u8]) {
    let reply = non_empty(reply);
    out.reserve(hpub_frame_len(subject.len(), reply.map_or(0, |r| r.len()), headers.len(), payload.len()));
    out.extend_from_slice(b"HPUB ");
    out.extend_from_slice(subject);
    out.push(b' ');
    if let Some(r) = reply {
        out.extend_from_slice(r);
        out.push(b' ');
    }
    write_u64(out, headers.len() as u64);
    out.push(b' ');
    write_u64(out, (headers.len() + payload.len()) as u64);
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(headers);
    out.extend_from_slice(payload);
    out.extend_from_slice(b"\r\n");
}

/// `SUB <subject> [queue] <sid>\r\n`
pub fn write_sub(out: &mut Vec<u8>, subject: &[u8], queue: Option<&[u8]>, sid: u64) {
    out.extend_from_slice(b"SUB ");
    out.extend_from_slice(subject);
    out.push(b' ');
    if let Some(q) = non_empty(queue) {
        out.extend_from_slice(q);
        out.push(b' ');
    }
    write_u64(out, sid);
    out.extend_from_slice(b"\r\n");
}

/// `UNSUB <sid> [max]\r\n`
pub fn write_unsub(out: &mut Vec<u8>, sid: u64, max: Option<u64>) {
    out.extend_from_slice(b"UNSUB ");
    write_u64(out, sid);
    if let Some(m) = max {
        out.push(b' ');
        write_u64(out, m);
    }
    out.extend_from_slice(b"\r\n");
}

/// `CONNECT <json>\r\n`
pub fn write_connect(out: &mut Vec<u8>, json: &[u8]) {
    out.reserve(json.len() + 10);
    out.extend_from_slice(b"CONNECT ");
    out.extend_from_slice(json);
    out.extend_from_slice(b"\r\n");
}

/// The PUB line of the last plain frame of a batch, kept to be copied for the next one with the
/// same subject and size (the writer's batches).
#[derive(Default)]
pub struct PubLine {
    line: Vec<u8>,
    subj_len: usize,
    size: usize,
}

impl PubLine {
    /// "PUB <subj> <size>\r\n", formatted only when the subject or size changed.
    #[inline]
    pub fn line(&mut self, subj: &[u8], size: usize) -> &[u8] {
        let cached = !self.line.is_empty() && self.size == size && self.subj_len == subj.len() && &self.line[4..4 + subj.len()] == subj;
        if !cached {
            self.line.clear();
            self.line.extend_from_slice(b"PUB ");
            self.line.extend_from_slice(subj);
            self.line.push(b' ');
            write_u64(&mut self.line, size as u64);
            self.line.extend_from_slice(b"\r\n");
            self.subj_len = subj.len();
            self.size = size;
        }
        &self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(n: u64) -> Vec<u8> {
        let mut v = Vec::new();
        write_u64(&mut v, n);
        v
    }

    #[test]
    fn u64_decimal() {
        let mut samples = vec![0u64, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 9999, 10_000, 12345];
        let mut p = 1u64;
        for _ in 0..19 {
            p *= 10;
            samples.extend([p - 1, p, p + 1]);
        }
        samples.extend([u64::MAX, u64::MAX - 1, u32::MAX as u64, 1 << 63]);
        for n in samples {
            assert_eq!(dec(n), n.to_string().as_bytes(), "{n}");
            assert_eq!(u64_len(n), n.to_string().len(), "{n}");
        }
        // appends, does not overwrite
        let mut v = b"x".to_vec();
        write_u64(&mut v, 42);
        assert_eq!(v, b"x42");
    }

    #[test]
    fn pub_exact() {
        let mut out = Vec::new();
        write_pub(&mut out, b"orders.new", None, b"hello");
        assert_eq!(out, b"PUB orders.new 5\r\nhello\r\n");
        assert_eq!(out.len(), pub_frame_len(10, 0, 5));
        out.clear();
        write_pub(&mut out, b"a", Some(b"_INBOX.1"), b"");
        assert_eq!(out, b"PUB a _INBOX.1 0\r\n\r\n");
        assert_eq!(out.len(), pub_frame_len(1, 8, 0));
        out.clear();
        write_pub(&mut out, b"a", Some(b""), b"x");
        assert_eq!(out, b"PUB a 1\r\nx\r\n");
        // payload with CRLF inside is copied verbatim
        out.clear();
        write_pub(&mut out, b"s", None, b"\r\nMSG x 1 1\r\n");
        assert_eq!(out, b"PUB s 13\r\n\r\nMSG x 1 1\r\n\r\n");
        // appends
        let before = out.len();
        write_pub(&mut out, b"s", None, b"1234567890");
        assert_eq!(&out[before..], b"PUB s 10\r\n1234567890\r\n");
        for (s, r, p) in [(1, 0, 0), (3, 5, 9), (3, 5, 10), (100, 100, 123456), (1, 1, 99999)] {
            let mut o = Vec::new();
            let reply = vec![b'r'; r];
            write_pub(&mut o, &vec![b's'; s], Some(&reply), &vec![0u8; p]);
            assert_eq!(o.len(), pub_frame_len(s, r, p));
        }
    }

    #[test]
    fn hpub_exact() {
        let mut out = Vec::new();
        let hdr = b"NATS/1.0\r\nX-Id: 17\r\n\r\n";
        write_hpub(&mut out, b"orders.new", Some(b"_INBOX.abc"), hdr, b"hello");
        assert_eq!(out, b"HPUB orders.new _INBOX.abc 22 27\r\nNATS/1.0\r\nX-Id: 17\r\n\r\nhello\r\n");
        assert_eq!(out.len(), hpub_frame_len(10, 10, 22, 5));
        out.clear();
        write_hpub(&mut out, b"a", None, b"NATS/1.0\r\n\r\n", b"");
        assert_eq!(out, b"HPUB a 12 12\r\nNATS/1.0\r\n\r\n\r\n");
        assert_eq!(out.len(), hpub_frame_len(1, 0, 12, 0));
    }

    #[test]
    fn sub_unsub_connect_exact() {
        let mut out = Vec::new();
        write_sub(&mut out, b"foo.*", None, 1);
        write_sub(&mut out, b"foo.>", Some(b"workers"), 18446744073709551615);
        write_sub(&mut out, b"x", Some(b""), 0);
        assert_eq!(out, b"SUB foo.* 1\r\nSUB foo.> workers 18446744073709551615\r\nSUB x 0\r\n");
        out.clear();
        write_unsub(&mut out, 7, None);
        write_unsub(&mut out, 7, Some(0));
        write_unsub(&mut out, 12, Some(100));
        assert_eq!(out, b"UNSUB 7\r\nUNSUB 7 0\r\nUNSUB 12 100\r\n");
        out.clear();
        write_connect(&mut out, br#"{"verbose":false}"#);
        assert_eq!(out, b"CONNECT {\"verbose\":false}\r\n");
        assert_eq!(PING, b"PING\r\n");
        assert_eq!(PONG, b"PONG\r\n");
    }
}
