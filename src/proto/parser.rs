//! Incremental, zero-copy parser for the frames a NATS server sends to a client
//! (`INFO`, `MSG`, `HMSG`, `PING`, `PONG`, `+OK`, `-ERR`).
//!
//! # Contract
//!
//! [`Parser::parse`] looks at the start of the caller's read buffer. It returns
//! `Ok(None)` when the buffer holds only a prefix of a frame, or `Ok(Some(frame))`
//! when `buf[..frame.len]` is one complete frame; every range in the frame is
//! relative to `buf[0]`. The caller then drops `frame.len` bytes from the front of
//! its buffer and calls again. After `Ok(None)` the caller appends more bytes and
//! calls again with the *same* (now longer) buffer; the parser remembers how far it
//! has already looked so that a long control line or a large payload is not
//! rescanned on every read. Frames and errors are identical for every way of
//! splitting the byte stream into reads. Call [`Parser::reset`] whenever the
//! buffer is discarded (e.g. after a reconnect). After an error the parser resets
//! itself; the connection is expected to be dropped.
//!
//! # Accepted syntax (protocol.md §1.1, §1.2, §4)
//!
//! * Operation names are case-insensitive. The operation must start at the first
//!   byte of the line (a leading blank is an error).
//! * Arguments are separated by runs of spaces and/or tabs. Blanks and CRs before
//!   the LF are ignored, and a bare LF also ends a control line. A CR anywhere
//!   else inside the arguments of `MSG` / `HMSG` is an error.
//! * `PING`, `PONG` and `+OK` take no arguments; anything but blanks after them is
//!   an error.
//! * `INFO` must be followed by at least one blank and a non-empty JSON text (the
//!   JSON itself is validated later by `ServerInfo::parse`). `INFO{}` is an
//!   unknown operation.
//! * `-ERR [text]`: the text has surrounding blanks and one pair of surrounding
//!   single quotes removed; its case is preserved.
//! * `MSG <subject> <sid> [reply] <#bytes>` (3 or 4 arguments) and
//!   `HMSG <subject> <sid> [reply] <#hdr> <#total>` (4 or 5 arguments). Numbers are
//!   unsigned decimal digits only (no sign, no hex, no overflow). For `HMSG`,
//!   `#hdr` must be in `1..=#total` (a header block is never empty; the block
//!   itself is validated lazily by `HeaderMap::decode`). `#total` must not exceed
//!   the configured maximum payload.
//! * Payload terminator policy: the payload **must** be followed by exactly CR LF.
//!   Anything else (`MSG a 1 3\r\nfooX\r\n`, or a bare LF) is a protocol error: the
//!   byte count and the stream disagree, so the stream can no longer be trusted
//!   (Go silently skips to the next LF instead; we prefer failing loudly and
//!   reconnecting over a possibly silent desynchronisation).
//! * A control line longer than `max_control_line` bytes (counted up to, but not
//!   including, the LF) is an error. This is also detected while the line is
//!   still incomplete, so a server that never sends LF cannot make the caller's
//!   buffer grow past the cap.

use memchr::memchr;
use std::fmt;
use std::ops::Range;

/// Default cap on a control line (INFO lines with many `connect_urls` can exceed
/// the server's own 4 KiB limit, so the client cap is much larger).
pub const DEFAULT_MAX_CONTROL_LINE: usize = 1 << 20;
/// Default cap on the `#bytes` / `#total` size of a single message.
pub const DEFAULT_MAX_PAYLOAD: usize = 64 << 20;

/// A protocol violation by the peer. The message says what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtoError(pub String);

impl fmt::Display for ProtoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ProtoError {}

/// One parsed server operation. Ranges are byte offsets into the buffer given to
/// [`Parser::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// `INFO <json>`; `json` is the JSON text without surrounding blanks.
    Info {
        json: Range<usize>,
    },
    /// `MSG` (`header_len == 0`) or `HMSG`. The header block is
    /// `buf[payload_start .. payload_start + header_len]`, the payload is
    /// `buf[payload_start + header_len .. payload_start + total_len]`.
    /// `buf[subject.end]` and (if present) `buf[reply.end]` are a blank byte
    /// (space or tab) inside the control line.
    Msg {
        subject: Range<usize>,
        sid: u64,
        reply: Option<Range<usize>>,
        header_len: usize,
        total_len: usize,
        payload_start: usize,
    },
    Ping,
    Pong,
    Ok,
    /// `-ERR` text, blanks and one pair of surrounding single quotes stripped.
    Err(String),
}

/// A complete frame: `len` is the total number of bytes it occupies at the start
/// of the buffer, including the trailing CR LF (of the payload, for messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub op: Op,
    pub len: usize,
}

/// Incremental parser; see the module documentation for the contract.
#[derive(Debug, Clone)]
pub struct Parser {
    max_control_line: usize,
    max_payload: usize,
    /// Bytes at the start of the buffer already known not to contain a LF
    /// (the current control line is incomplete).
    scanned: usize,
    /// A MSG/HMSG whose control line has been parsed and whose payload (plus
    /// CR LF) is not complete yet. `len` is the full frame length.
    pending: Option<Frame>,
}

impl Default for Parser {
    fn default() -> Self {
        Self::new()
    }
}

#[inline]
fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Shortened, printable excerpt of protocol bytes for error messages.
fn excerpt(b: &[u8]) -> String {
    const MAX: usize = 80;
    let cut = &b[..b.len().min(MAX)];
    let mut s = String::from_utf8_lossy(cut).escape_debug().to_string();
    if b.len() > MAX {
        s.push_str("...");
    }
    s
}

/// Unsigned decimal: at least one digit, digits only, no overflow.
#[inline]
fn parse_u64(tok: &[u8]) -> Option<u64> {
    if tok.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for &b in tok {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(d as u64)?;
    }
    Some(n)
}

#[cold]
fn err<T>(msg: String) -> Result<T, ProtoError> {
    Err(ProtoError(msg))
}

impl Parser {
    /// Parser with `max_control_line` = 1 MiB and `max_payload` = 64 MiB.
    pub fn new() -> Self {
        Self::with_limits(DEFAULT_MAX_CONTROL_LINE, DEFAULT_MAX_PAYLOAD)
    }

    pub fn with_limits(max_control_line: usize, max_payload: usize) -> Self {
        Parser { max_control_line, max_payload, scanned: 0, pending: None }
    }

    /// Changes the payload cap for control lines parsed from now on (e.g. from
    /// INFO `max_payload`). A message whose control line was already accepted is
    /// not affected.
    pub fn set_max_payload(&mut self, n: usize) {
        self.max_payload = n;
    }

    pub fn max_payload(&self) -> usize {
        self.max_payload
    }

    pub fn max_control_line(&self) -> usize {
        self.max_control_line
    }

    /// Forgets any incremental state (call when the read buffer is discarded).
    pub fn reset(&mut self) {
        self.scanned = 0;
        self.pending = None;
    }

    /// Parses one frame from the start of `buf`; see the module documentation.
    #[inline]
    pub fn parse(&mut self, buf: &[u8]) -> Result<Option<Frame>, ProtoError> {
        let r = self.parse_inner(buf);
        if r.is_err() {
            self.reset();
        }
        r
    }

    #[inline]
    fn parse_inner(&mut self, buf: &[u8]) -> Result<Option<Frame>, ProtoError> {
        if let Some(frame) = self.pending.take() {
            return self.finish_msg(buf, frame);
        }
        // Resume the LF search where the previous call stopped. `min` keeps us
        // panic-free even if the caller breaks the contract.
        let from = self.scanned.min(buf.len());
        let lf = match memchr(b'\n', &buf[from..]) {
            Some(i) => from + i,
            None => {
                if buf.len() > self.max_control_line {
                    return self.line_too_long();
                }
                self.scanned = buf.len();
                return Ok(None);
            }
        };
        self.scanned = 0;
        if lf > self.max_control_line {
            return self.line_too_long();
        }
        self.parse_line(buf, lf)
    }

    #[cold]
    fn line_too_long<T>(&self) -> Result<T, ProtoError> {
        err(format!("maximum control line exceeded: control line longer than {} bytes", self.max_control_line))
    }

    /// `buf[..lf]` is a complete control line (`buf[lf] == b'\n'`).
    #[inline]
    fn parse_line(&mut self, buf: &[u8], lf: usize) -> Result<Option<Frame>, ProtoError> {
        let line = &buf[..lf];
        // Ignore blanks and CRs before the LF (also makes a bare LF acceptable).
        let mut end = lf;
        while end > 0 && matches!(line[end - 1], b' ' | b'\t' | b'\r') {
            end -= 1;
        }
        if end == 0 {
            return err(if lf == 0 || line.iter().all(|&b| b == b'\r') {
                "empty control line".to_string()
            } else {
                format!("leading blank before operation: '{}'", excerpt(line))
            });
        }
        // Operation token: up to the first blank.
        let mut op_end = 0;
        while op_end < end && !is_blank(line[op_end]) {
            op_end += 1;
        }
        if op_end == 0 {
            return err(format!("leading blank before operation: '{}'", excerpt(line)));
        }
        let op = &line[..op_end];
        let frame_len = lf + 1;
        match op.len() {
            3 if op.eq_ignore_ascii_case(b"MSG") => self.parse_msg(buf, lf, op_end, end, false),
            4 if op.eq_ignore_ascii_case(b"HMSG") => self.parse_msg(buf, lf, op_end, end, true),
            4 if op.eq_ignore_ascii_case(b"PING") => {
                no_args("PING", line, op_end, end)?;
                Ok(Some(Frame { op: Op::Ping, len: frame_len }))
            }
            4 if op.eq_ignore_ascii_case(b"PONG") => {
                no_args("PONG", line, op_end, end)?;
                Ok(Some(Frame { op: Op::Pong, len: frame_len }))
            }
            3 if op.eq_ignore_ascii_case(b"+OK") => {
                no_args("+OK", line, op_end, end)?;
                Ok(Some(Frame { op: Op::Ok, len: frame_len }))
            }
            4 if op.eq_ignore_ascii_case(b"INFO") => {
                let mut start = op_end;
                while start < end && is_blank(line[start]) {
                    start += 1;
                }
                if start == end {
                    return err("invalid INFO: missing JSON".to_string());
                }
                Ok(Some(Frame { op: Op::Info { json: start..end }, len: frame_len }))
            }
            4 if op.eq_ignore_ascii_case(b"-ERR") => {
                let text = err_text(&line[op_end..end]);
                Ok(Some(Frame { op: Op::Err(String::from_utf8_lossy(text).into_owned()), len: frame_len }))
            }
            _ => err(format!("unknown protocol operation '{}'", excerpt(op))),
        }
    }

    /// MSG / HMSG arguments are `line[op_end..end]`.
    #[inline]
    fn parse_msg(&mut self, buf: &[u8], lf: usize, op_end: usize, end: usize, hmsg: bool) -> Result<Option<Frame>, ProtoError> {
        let name = if hmsg { "HMSG" } else { "MSG" };
        // Single pass over the arguments: split on runs of blanks, reject CR.
        let mut toks = [(0usize, 0usize); 5];
        let mut n = 0usize;
        // Offsets into `args` (one bounds check per byte); the tokens are stored as offsets
        // into `buf`.
        let args = &buf[op_end..end];
        let mut i = 0;
        loop {
            while i < args.len() && is_blank(args[i]) {
                i += 1;
            }
            if i >= args.len() {
                break;
            }
            let start = i;
            while i < args.len() {
                let b = args[i];
                if b <= b' ' {
                    if is_blank(b) {
                        break;
                    }
                    if b == b'\r' {
                        return err(format!("invalid {name} arguments: stray CR in '{}'", excerpt(&buf[..end])));
                    }
                }
                i += 1;
            }
            if n == toks.len() {
                return arg_count_err(name, buf, end);
            }
            toks[n] = (op_end + start, op_end + i);
            n += 1;
        }
        // (subject, sid, reply, hdr, total)
        let (subj, sid, reply, hdr, total) = match (hmsg, n) {
            (false, 3) => (toks[0], toks[1], None, None, toks[2]),
            (false, 4) => (toks[0], toks[1], Some(toks[2]), None, toks[3]),
            (true, 4) => (toks[0], toks[1], None, Some(toks[2]), toks[3]),
            (true, 5) => (toks[0], toks[1], Some(toks[2]), Some(toks[3]), toks[4]),
            _ => return arg_count_err(name, buf, end),
        };
        let tok = |t: (usize, usize)| &buf[t.0..t.1];
        let sid = match parse_u64(tok(sid)) {
            Some(v) => v,
            None => return err(format!("invalid {name} arguments: bad sid '{}'", excerpt(tok(sid)))),
        };
        let total_len = match parse_u64(tok(total)).and_then(|v| usize::try_from(v).ok()) {
            Some(v) => v,
            None => return err(format!("invalid {name} arguments: bad size '{}'", excerpt(tok(total)))),
        };
        let header_len = match hdr {
            None => 0,
            Some(h) => match parse_u64(tok(h)).and_then(|v| usize::try_from(v).ok()) {
                Some(v) => v,
                None => return err(format!("invalid {name} arguments: bad header size '{}'", excerpt(tok(h)))),
            },
        };
        if hmsg {
            if header_len == 0 {
                return err(format!("invalid {name} arguments: header size is 0"));
            }
            if header_len > total_len {
                return err(format!("invalid {name} arguments: header size {header_len} exceeds total size {total_len}"));
            }
        }
        if total_len > self.max_payload {
            return err(format!("maximum payload exceeded: {name} size {total_len} exceeds limit of {} bytes", self.max_payload));
        }
        let payload_start = lf + 1;
        let len = match payload_start.checked_add(total_len).and_then(|v| v.checked_add(2)) {
            Some(v) => v,
            None => return err(format!("invalid {name} arguments: size overflow")),
        };
        // Zero-copy guarantee for the engine: the byte after the subject (and
        // after the reply) is a blank inside the control line.
        debug_assert!(subj.1 < end && is_blank(buf[subj.1]));
        debug_assert!(reply.is_none_or(|r| r.1 < end && is_blank(buf[r.1])));
        let frame = Frame {
            op: Op::Msg { subject: subj.0..subj.1, sid, reply: reply.map(|r| r.0..r.1), header_len, total_len, payload_start },
            len,
        };
        self.finish_msg(buf, frame)
    }

    /// Checks the payload terminator as far as it is available; returns the
    /// frame when complete, otherwise remembers it.
    #[inline]
    fn finish_msg(&mut self, buf: &[u8], frame: Frame) -> Result<Option<Frame>, ProtoError> {
        let cr = frame.len - 2;
        if buf.len() > cr {
            if buf[cr] != b'\r' || (buf.len() > cr + 1 && buf[cr + 1] != b'\n') {
                return self.bad_terminator(&frame);
            }
            if buf.len() >= frame.len {
                return Ok(Some(frame));
            }
        }
        self.pending = Some(frame);
        Ok(None)
    }

    #[cold]
    fn bad_terminator<T>(&self, frame: &Frame) -> Result<T, ProtoError> {
        let total = match frame.op {
            Op::Msg { total_len, .. } => total_len,
            _ => 0,
        };
        err(format!("message payload of {total} bytes not followed by CRLF"))
    }
}

fn no_args(name: &str, line: &[u8], op_end: usize, end: usize) -> Result<(), ProtoError> {
    if op_end == end {
        Ok(())
    } else {
        err(format!("invalid {name}: unexpected arguments '{}'", excerpt(&line[op_end..end])))
    }
}

#[cold]
fn arg_count_err<T>(name: &str, buf: &[u8], end: usize) -> Result<T, ProtoError> {
    let want = if name == "MSG" { "3 or 4" } else { "4 or 5" };
    err(format!("invalid {name} arguments: expected {want} arguments in '{}'", excerpt(&buf[..end])))
}

/// `-ERR` text: trim blanks, drop one pair of surrounding single quotes, trim
/// blanks inside the quotes as well.
fn err_text(mut t: &[u8]) -> &[u8] {
    fn trim(mut t: &[u8]) -> &[u8] {
        while let [first, rest @ ..] = t {
            if is_blank(*first) {
                t = rest;
            } else {
                break;
            }
        }
        while let [rest @ .., last] = t {
            if is_blank(*last) {
                t = rest;
            } else {
                break;
            }
        }
        t
    }
    t = trim(t);
    if t.len() >= 2 && t[0] == b'\'' && t[t.len() - 1] == b'\'' {
        t = trim(&t[1..t.len() - 1]);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(input: &[u8]) -> Result<Option<Frame>, ProtoError> {
        Parser::new().parse(input)
    }

    #[test]
    fn parse_u64_rules() {
        assert_eq!(parse_u64(b"0"), Some(0));
        assert_eq!(parse_u64(b"007"), Some(7));
        assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64(b"18446744073709551616"), None);
        assert_eq!(parse_u64(b"99999999999999999999"), None);
        for bad in [&b""[..], b"-1", b"+5", b"0x10", b"3x", b" 1", b"1 ", b"1.0", b"/", b":"] {
            assert_eq!(parse_u64(bad), None, "{:?}", bad);
        }
    }

    #[test]
    fn err_text_rules() {
        assert_eq!(err_text(b" 'Stale Connection' "), b"Stale Connection");
        assert_eq!(err_text(b"Stale Connection"), b"Stale Connection");
        assert_eq!(err_text(b"''x''"), b"'x'");
        assert_eq!(err_text(b"''"), b"");
        assert_eq!(err_text(b"'"), b"'");
        assert_eq!(err_text(b"'abc"), b"'abc");
        assert_eq!(err_text(b"' x '"), b"x");
        assert_eq!(err_text(b""), b"");
    }

    #[test]
    fn msg_fields() {
        let buf = b"MSG foo.bar 9 _INBOX.x 5\r\nhello\r\nPING\r\n";
        let f = one(buf).unwrap().unwrap();
        match f.op {
            Op::Msg { subject, sid, reply, header_len, total_len, payload_start } => {
                assert_eq!(&buf[subject.clone()], b"foo.bar");
                assert_eq!(buf[subject.end], b' ');
                assert_eq!(sid, 9);
                let reply = reply.unwrap();
                assert_eq!(&buf[reply.clone()], b"_INBOX.x");
                assert_eq!(buf[reply.end], b' ');
                assert_eq!(header_len, 0);
                assert_eq!(total_len, 5);
                assert_eq!(&buf[payload_start..payload_start + total_len], b"hello");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(f.len, 33);
        assert_eq!(&buf[f.len..], b"PING\r\n");
    }

    #[test]
    fn error_resets_state() {
        let mut p = Parser::new();
        assert_eq!(p.parse(b"MSG a 1 3\r\nfo").unwrap(), None);
        assert!(p.parse(b"MSG a 1 3\r\nfooX").is_err());
        // After the error the parser starts fresh.
        assert_eq!(p.parse(b"PING\r\n").unwrap().unwrap().op, Op::Ping);
    }

    #[test]
    fn contract_violation_does_not_panic() {
        let mut p = Parser::new();
        assert_eq!(p.parse(b"MSG a 1 300\r\nxx").unwrap(), None);
        // Caller (wrongly) hands a shorter buffer: no panic, still waiting.
        assert_eq!(p.parse(b"M").unwrap(), None);
        p.reset();
        assert_eq!(p.parse(b"PIN").unwrap(), None);
        assert_eq!(p.parse(b"").unwrap(), None);
        assert_eq!(p.parse(b"PING\r\n").unwrap().unwrap().op, Op::Ping);
    }

    #[test]
    fn display_error() {
        let e = one(b"MSG a\r\n").unwrap_err();
        assert!(e.to_string().starts_with("invalid MSG arguments:"), "{e}");
        let _: &dyn std::error::Error = &e;
    }
}
