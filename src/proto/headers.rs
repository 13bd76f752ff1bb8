//! NATS header blocks (protocol.md §1.5):
//!
//! ```text
//! NATS/1.0[ <3-digit status>[ <description>]]\r\n
//! Name: value\r\n          (zero or more; a name may repeat)
//! \r\n
//! ```
//!
//! Design decisions:
//! * Names are case-sensitive and keep their insertion order; a name may have
//!   several values (kept in order). `len()` counts distinct names.
//! * The inline status / description are not stored as ordinary headers; use
//!   [`HeaderMap::status`] / [`HeaderMap::description`].
//! * Decoding is strict about structure: every line must end in CR LF, the block
//!   must end with the empty line and nothing may follow it. Folded
//!   continuation lines (a line starting with a blank, obsolete in HTTP/MIME)
//!   are rejected as `Malformed` rather than appended: no NATS client emits
//!   them, and joining would make `decode(encode(h)) == h` ambiguous.
//! * Blanks around a value are trimmed when decoding, so values that begin or
//!   end with blanks do not survive a round trip. Non-UTF-8 bytes in values and
//!   descriptions are decoded lossily (U+FFFD).

use memchr::memchr;
use std::fmt;

const VERSION: &[u8] = b"NATS/1.0";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderError {
    InvalidName(String),
    InvalidValue(String),
    Malformed(String),
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderError::InvalidName(n) => write!(f, "invalid header name {:?}", n),
            HeaderError::InvalidValue(v) => write!(f, "invalid header value {:?}", v),
            HeaderError::Malformed(m) => write!(f, "malformed header block: {}", m),
        }
    }
}

impl std::error::Error for HeaderError {}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderMap {
    /// Distinct names in insertion order; each has at least one value.
    entries: Vec<(String, Vec<String>)>,
    status: Option<u16>,
    description: Option<String>,
}

#[inline]
fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn trim_blanks(mut t: &[u8]) -> &[u8] {
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

/// Printable ASCII 33..=126 except ':', non-empty.
pub fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|&b| (33..=126).contains(&b) && b != b':')
}

/// Anything but CR and LF.
pub fn valid_value(value: &[u8]) -> bool {
    !value.iter().any(|&b| b == b'\r' || b == b'\n')
}

fn malformed<T>(msg: &str) -> Result<T, HeaderError> {
    Err(HeaderError::Malformed(msg.to_string()))
}

/// Next CR LF terminated line starting at `pos`: (line without CR LF, next pos).
fn next_line(block: &[u8], pos: usize) -> Result<(&[u8], usize), HeaderError> {
    let rest = &block[pos..];
    let lf = match memchr(b'\n', rest) {
        Some(i) => i,
        None => return malformed("truncated header block (missing terminating blank line)"),
    };
    if lf == 0 || rest[lf - 1] != b'\r' {
        return malformed("header line not terminated by CRLF");
    }
    let line = &rest[..lf - 1];
    if memchr(b'\r', line).is_some() {
        return malformed("stray CR in header line");
    }
    Ok((line, pos + lf + 1))
}

impl HeaderMap {
    pub fn new() -> Self {
        Self::default()
    }

    fn check(name: &str, value: &str) -> Result<(), HeaderError> {
        if !valid_name(name.as_bytes()) {
            return Err(HeaderError::InvalidName(name.to_string()));
        }
        if !valid_value(value.as_bytes()) {
            return Err(HeaderError::InvalidValue(value.to_string()));
        }
        Ok(())
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.entries.iter().position(|(n, _)| n == name)
    }

    /// Replaces all values of `name` with `value` (keeps the name's position).
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), HeaderError> {
        Self::check(name, value)?;
        match self.position(name) {
            Some(i) => {
                let values = &mut self.entries[i].1;
                values.clear();
                values.push(value.to_string());
            }
            None => self.entries.push((name.to_string(), vec![value.to_string()])),
        }
        Ok(())
    }

    /// Appends `value` to the values of `name`.
    pub fn add(&mut self, name: &str, value: &str) -> Result<(), HeaderError> {
        Self::check(name, value)?;
        self.push_unchecked(name, value.to_string());
        Ok(())
    }

    fn push_unchecked(&mut self, name: &str, value: String) {
        match self.position(name) {
            Some(i) => self.entries[i].1.push(value),
            None => self.entries.push((name.to_string(), vec![value])),
        }
    }

    /// First value of `name` (case-sensitive).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.get_all(name).first().map(|s| s.as_str())
    }

    /// All values of `name` in order; empty if absent.
    pub fn get_all(&self, name: &str) -> &[String] {
        match self.position(name) {
            Some(i) => &self.entries[i].1,
            None => &[],
        }
    }

    /// Removes `name` and all its values; `true` if it was present.
    pub fn remove(&mut self, name: &str) -> bool {
        match self.position(name) {
            Some(i) => {
                self.entries.remove(i);
                true
            }
            None => false,
        }
    }

    /// Distinct names in insertion order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(n, _)| n.as_str())
    }

    /// Every (name, value) pair in encoding order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().flat_map(|(n, vs)| vs.iter().map(move |v| (n.as_str(), v.as_str())))
    }

    /// Number of distinct names.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// No ordinary headers (a status may still be set).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Inline status code of the version line (e.g. 503, 404, 408, 409, 100).
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// Inline status description (e.g. "No Messages").
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// Sets the inline status. The status is always encoded as exactly 3 digits
    /// (zero-padded, like the decoder accepts), so codes above 999 cannot be
    /// encoded: they clear the status and description instead. CR/LF in the description
    /// are replaced by spaces and surrounding blanks trimmed; an empty
    /// description counts as none.
    pub fn set_status(&mut self, code: u16, description: Option<&str>) {
        if code > 999 {
            self.clear_status();
            return;
        }
        self.status = Some(code);
        self.description = description.and_then(|d| {
            let cleaned: String = d.chars().map(|c| if c == '\r' || c == '\n' { ' ' } else { c }).collect();
            let t = cleaned.trim_matches(|c| c == ' ' || c == '\t');
            if t.is_empty() {
                None
            } else {
                Some(t.to_string())
            }
        });
    }

    pub fn clear_status(&mut self) {
        self.status = None;
        self.description = None;
    }

    /// Decodes a complete header block (as delimited by `HMSG`'s header size).
    pub fn decode(block: &[u8]) -> Result<HeaderMap, HeaderError> {
        if !block.starts_with(VERSION) {
            return malformed("missing NATS/1.0 prefix");
        }
        let mut map = HeaderMap::new();
        let (first, mut pos) = next_line(block, 0)?;
        let rest = &first[VERSION.len()..];
        if !rest.is_empty() {
            if !is_blank(rest[0]) {
                return malformed("invalid version line");
            }
            let rest = trim_blanks(rest);
            if !rest.is_empty() {
                let code_end = rest.iter().position(|&b| is_blank(b)).unwrap_or(rest.len());
                let code = &rest[..code_end];
                if code.len() != 3 || !code.iter().all(u8::is_ascii_digit) {
                    return malformed("status must be exactly 3 digits");
                }
                let n = code.iter().fold(0u16, |a, &d| a * 10 + (d - b'0') as u16);
                map.status = Some(n);
                let desc = trim_blanks(&rest[code_end..]);
                if !desc.is_empty() {
                    map.description = Some(String::from_utf8_lossy(desc).into_owned());
                }
            }
        }
        loop {
            let (line, next) = next_line(block, pos)?;
            pos = next;
            if line.is_empty() {
                if pos != block.len() {
                    return malformed("unexpected bytes after the terminating blank line");
                }
                return Ok(map);
            }
            if is_blank(line[0]) {
                return malformed("folded continuation lines are not supported");
            }
            let colon = match memchr(b':', line) {
                Some(c) => c,
                None => return malformed("header line without ':'"),
            };
            let name = &line[..colon];
            if !valid_name(name) {
                return Err(HeaderError::InvalidName(String::from_utf8_lossy(name).into_owned()));
            }
            // valid_name guarantees ASCII.
            let name = std::str::from_utf8(name).unwrap_or_default();
            let value = String::from_utf8_lossy(trim_blanks(&line[colon + 1..])).into_owned();
            map.push_unchecked(name, value);
        }
    }

    /// Appends the complete block, including the terminating blank line.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.reserve(self.encoded_len());
        out.extend_from_slice(VERSION);
        if let Some(code) = self.status {
            out.push(b' ');
            out.push(b'0' + (code / 100 % 10) as u8);
            out.push(b'0' + (code / 10 % 10) as u8);
            out.push(b'0' + (code % 10) as u8);
            if let Some(d) = &self.description {
                out.push(b' ');
                out.extend_from_slice(d.as_bytes());
            }
        }
        out.extend_from_slice(b"\r\n");
        for (name, values) in &self.entries {
            for v in values {
                out.extend_from_slice(name.as_bytes());
                out.extend_from_slice(b": ");
                out.extend_from_slice(v.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
        }
        out.extend_from_slice(b"\r\n");
    }

    /// Exact number of bytes [`HeaderMap::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        let mut n = VERSION.len() + 2 + 2;
        if self.status.is_some() {
            n += 4;
            if let Some(d) = &self.description {
                n += 1 + d.len();
            }
        }
        for (name, values) in &self.entries {
            for v in values {
                n += name.len() + 2 + v.len() + 2;
            }
        }
        n
    }

    /// Convenience: encoded block as a new vector.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.encoded_len());
        self.encode(&mut v);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn malformed_err(b: &[u8]) -> bool {
        matches!(HeaderMap::decode(b), Err(HeaderError::Malformed(_)))
    }

    #[test]
    fn empty_block() {
        let h = HeaderMap::decode(b"NATS/1.0\r\n\r\n").unwrap();
        assert!(h.is_empty());
        assert_eq!(h.len(), 0);
        assert_eq!(h.status(), None);
        assert_eq!(h.description(), None);
        assert_eq!(h.to_bytes(), b"NATS/1.0\r\n\r\n");
        assert_eq!(HeaderMap::new().encoded_len(), 12);
        // blanks after the version only
        let h = HeaderMap::decode(b"NATS/1.0   \r\n\r\n").unwrap();
        assert_eq!(h.status(), None);
    }

    #[test]
    fn example_from_protocol() {
        let h = HeaderMap::decode(b"NATS/1.0\r\nX-Id: 17\r\n\r\n").unwrap();
        assert_eq!(h.get("X-Id"), Some("17"));
        assert_eq!(h.get("x-id"), None, "lookups are case-sensitive");
        assert_eq!(h.to_bytes(), b"NATS/1.0\r\nX-Id: 17\r\n\r\n");
    }

    #[test]
    fn set_add_get_remove() {
        let mut h = HeaderMap::new();
        h.set("A", "1").unwrap();
        h.add("B", "x").unwrap();
        h.add("A", "2").unwrap();
        h.add("a", "lower").unwrap();
        assert_eq!(h.len(), 3);
        assert_eq!(h.keys().collect::<Vec<_>>(), ["A", "B", "a"]);
        assert_eq!(h.get("A"), Some("1"));
        assert_eq!(h.get_all("A"), ["1", "2"]);
        assert_eq!(h.get_all("missing"), &[] as &[String]);
        assert_eq!(h.iter().collect::<Vec<_>>(), [("A", "1"), ("A", "2"), ("B", "x"), ("a", "lower")]);
        assert_eq!(h.to_bytes(), b"NATS/1.0\r\nA: 1\r\nA: 2\r\nB: x\r\na: lower\r\n\r\n");
        assert_eq!(h.encoded_len(), h.to_bytes().len());
        h.set("A", "3").unwrap();
        assert_eq!(h.get_all("A"), ["3"]);
        assert_eq!(h.keys().collect::<Vec<_>>(), ["A", "B", "a"], "set keeps position");
        assert!(h.remove("B"));
        assert!(!h.remove("B"));
        assert_eq!(h.keys().collect::<Vec<_>>(), ["A", "a"]);
        assert!(h.remove("A") && h.remove("a"));
        assert!(h.is_empty());
        // empty values are fine
        h.set("E", "").unwrap();
        assert_eq!(h.get("E"), Some(""));
        let round = HeaderMap::decode(&h.to_bytes()).unwrap();
        assert_eq!(round, h);
    }

    #[test]
    fn invalid_names_and_values() {
        let mut h = HeaderMap::new();
        for bad in ["", "a b", "a:b", ":", "tab\tname", "é", "nul\0", "del\x7f", "cr\r", "lf\n"] {
            assert_eq!(h.set(bad, "v"), Err(HeaderError::InvalidName(bad.to_string())), "{bad:?}");
            assert!(h.add(bad, "v").is_err());
        }
        for bad in ["a\rb", "a\nb", "\r\n", "x\r", "\n"] {
            assert_eq!(h.set("N", bad), Err(HeaderError::InvalidValue(bad.to_string())), "{bad:?}");
            assert!(h.add("N", bad).is_err());
        }
        assert!(h.is_empty(), "failed set/add must not modify the map");
        // every printable non-colon ASCII char is a valid name char
        let all: String = (33u8..=126).filter(|&b| b != b':').map(|b| b as char).collect();
        h.set(&all, "v").unwrap();
        // values: anything but CR/LF, incl. NUL, tabs, colons, unicode
        h.set("V", "a\0b\tc: d ü").unwrap();
        let round = HeaderMap::decode(&h.to_bytes()).unwrap();
        assert_eq!(round, h);
        let e = HeaderError::InvalidName("a b".into());
        assert!(e.to_string().contains("invalid header name"));
        assert!(HeaderError::InvalidValue("x".into()).to_string().contains("value"));
        assert!(HeaderError::Malformed("y".into()).to_string().contains("malformed"));
    }

    #[test]
    fn status_lines() {
        let cases: &[(&[u8], u16, Option<&str>)] = &[
            (b"NATS/1.0 503\r\n\r\n", 503, None),
            (b"NATS/1.0 503 No Responders\r\n\r\n", 503, Some("No Responders")),
            (b"NATS/1.0 408 Request Timeout\r\n\r\n", 408, Some("Request Timeout")),
            (b"NATS/1.0 404 No Messages\r\n\r\n", 404, Some("No Messages")),
            (b"NATS/1.0  404   No Messages\r\n\r\n", 404, Some("No Messages")),
            (b"NATS/1.0\t404\tNo Messages \t\r\n\r\n", 404, Some("No Messages")),
            (b"NATS/1.0 409 Consumer Deleted\r\n\r\n", 409, Some("Consumer Deleted")),
            (b"NATS/1.0 409 Exceeded MaxRequestBatch of 10\r\n\r\n", 409, Some("Exceeded MaxRequestBatch of 10")),
            (b"NATS/1.0 100 Idle Heartbeat\r\n\r\n", 100, Some("Idle Heartbeat")),
            (b"NATS/1.0 100 FlowControl Request\r\n\r\n", 100, Some("FlowControl Request")),
            (b"NATS/1.0 204 EOB\r\n\r\n", 204, Some("EOB")),
            (b"NATS/1.0 400 Bad Request - why\r\n\r\n", 400, Some("Bad Request - why")),
            (b"NATS/1.0 423 Nats-Wrong-Pin-Id\r\n\r\n", 423, Some("Nats-Wrong-Pin-Id")),
            (b"NATS/1.0 000\r\n\r\n", 0, None),
        ];
        for (block, code, desc) in cases {
            let h = HeaderMap::decode(block).unwrap();
            assert_eq!(h.status(), Some(*code), "{:?}", String::from_utf8_lossy(block));
            assert_eq!(h.description(), *desc);
            assert!(h.is_empty(), "status is not an ordinary header");
            assert_eq!(h.get("Status"), None);
            assert_eq!(h.get("Description"), None);
        }
        // status plus headers (idle heartbeat with stalled header)
        let h = HeaderMap::decode(b"NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: 7\r\nNats-Last-Stream: 9\r\n\r\n").unwrap();
        assert_eq!(h.status(), Some(100));
        assert_eq!(h.get("Nats-Last-Stream"), Some("9"));
        assert_eq!(h.len(), 2);
    }

    #[test]
    fn status_encode() {
        let mut h = HeaderMap::new();
        h.set_status(503, None);
        assert_eq!(h.to_bytes(), b"NATS/1.0 503\r\n\r\n");
        h.set_status(408, Some("Request Timeout"));
        h.add("K", "v").unwrap();
        assert_eq!(h.to_bytes(), b"NATS/1.0 408 Request Timeout\r\nK: v\r\n\r\n");
        assert_eq!(h.encoded_len(), h.to_bytes().len());
        assert_eq!(HeaderMap::decode(&h.to_bytes()).unwrap(), h);
        h.set_status(404, Some(" bad\r\ndesc "));
        assert_eq!(h.description(), Some("bad  desc"));
        assert_eq!(HeaderMap::decode(&h.to_bytes()).unwrap(), h);
        h.set_status(409, Some("  "));
        assert_eq!(h.description(), None);
        h.set_status(99, None);
        assert_eq!(h.to_bytes(), b"NATS/1.0 099\r\nK: v\r\n\r\n");
        assert_eq!(HeaderMap::decode(&h.to_bytes()).unwrap(), h);
        for code in [1000u16, 65535] {
            h.set_status(code, Some("x"));
            assert_eq!(h.status(), None, "{code}");
            assert_eq!(h.description(), None);
        }
        h.set_status(100, Some("FlowControl Request"));
        h.clear_status();
        assert_eq!(h.to_bytes(), b"NATS/1.0\r\nK: v\r\n\r\n");
    }

    #[test]
    fn decode_trims_and_multi_values() {
        let h = HeaderMap::decode(b"NATS/1.0\r\nA:1\r\nB:  two words \t\r\nA: \t3\r\nEmpty:\r\nEmpty2:   \r\nC: x:y\r\n\r\n").unwrap();
        assert_eq!(h.get_all("A"), ["1", "3"]);
        assert_eq!(h.get("B"), Some("two words"));
        assert_eq!(h.get("Empty"), Some(""));
        assert_eq!(h.get("Empty2"), Some(""));
        assert_eq!(h.get("C"), Some("x:y"));
        assert_eq!(h.keys().collect::<Vec<_>>(), ["A", "B", "Empty", "Empty2", "C"]);
    }

    #[test]
    fn decode_lossy_and_nul() {
        let h = HeaderMap::decode(b"NATS/1.0 404 caf\xe9\r\nK: a\xffb\0c\r\n\r\n").unwrap();
        assert_eq!(h.get("K"), Some("a\u{fffd}b\0c"));
        assert_eq!(h.description(), Some("caf\u{fffd}"));
        assert_eq!(HeaderMap::decode(&h.to_bytes()).unwrap(), h);
    }

    #[test]
    fn decode_long_line() {
        let mut block = b"NATS/1.0\r\nBig: ".to_vec();
        block.resize(block.len() + 64 * 1024, b'v');
        block.extend_from_slice(b"\r\n\r\n");
        let h = HeaderMap::decode(&block).unwrap();
        assert_eq!(h.get("Big").unwrap().len(), 64 * 1024);
    }

    #[test]
    fn decode_invalid() {
        let malformed_cases: &[&[u8]] = &[
            b"",
            b"NATS",
            b"NATS/1.",
            b"NATS/1.0",
            b"NATS/1.0\r",
            b"NATS/1.0\r\n",
            b"NATS/1.0\r\n\r",
            b"NATS/2.0\r\n\r\n",
            b"nats/1.0\r\n\r\n",
            b" NATS/1.0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\n\r\n",
            b"NATS/1.01\r\n\r\n",
            b"NATS/1.0X 503\r\n\r\n",
            // status: 1, 2, 4 digits, non-digits, sign
            b"NATS/1.0 5\r\n\r\n",
            b"NATS/1.0 50\r\n\r\n",
            b"NATS/1.0 5030\r\n\r\n",
            b"NATS/1.0 50x\r\n\r\n",
            b"NATS/1.0 +50\r\n\r\n",
            b"NATS/1.0 503desc\r\n\r\n",
            // missing terminating blank line / truncated
            b"NATS/1.0\r\nA: b\r\n",
            b"NATS/1.0\r\nA: b",
            b"NATS/1.0\r\nA: b\r\n\r",
            b"NATS/1.0 503\r\n",
            // bare LF line endings
            b"NATS/1.0\n\n",
            b"NATS/1.0\r\nA: b\n\r\n",
            b"NATS/1.0\r\nA: b\r\n\n",
            // stray CR
            b"NATS/1.0\r\nA: b\rc\r\n\r\n",
            b"NATS/1.0 503\r\r\n\r\n",
            // line without ':'
            b"NATS/1.0\r\nNoColon\r\n\r\n",
            b"NATS/1.0\r\nNo Colon value\r\n\r\n",
            // folded continuation lines
            b"NATS/1.0\r\nA: b\r\n continued\r\n\r\n",
            b"NATS/1.0\r\nA: b\r\n\tcontinued\r\n\r\n",
            b"NATS/1.0\r\n : x\r\n\r\n",
            // trailing bytes after the blank line
            b"NATS/1.0\r\n\r\nx",
            b"NATS/1.0\r\n\r\n\r\n",
        ];
        for c in malformed_cases {
            assert!(malformed_err(c), "{:?} -> {:?}", String::from_utf8_lossy(c), HeaderMap::decode(c));
        }
        let bad_names: &[(&[u8], &str)] = &[
            (b"NATS/1.0\r\n: empty name\r\n\r\n", ""),
            (b"NATS/1.0\r\nBad Name: x\r\n\r\n", "Bad Name"),
            (b"NATS/1.0\r\nName : x\r\n\r\n", "Name "),
            (b"NATS/1.0\r\nN\0: x\r\n\r\n", "N\0"),
            (b"NATS/1.0\r\nN\xff: x\r\n\r\n", "N\u{fffd}"),
        ];
        for (c, name) in bad_names {
            assert_eq!(HeaderMap::decode(c), Err(HeaderError::InvalidName(name.to_string())), "{:?}", String::from_utf8_lossy(c));
        }
    }
}
