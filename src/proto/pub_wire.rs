//! Ready-made PUB frames, as a binding that formats its own publishes hands them over in one
//! buffer (natsrs_connection_publish_wire): `PUB <subject> [<reply>] <size>\r\n<payload>\r\n`,
//! back to back. The scanner checks the shape of each frame; what a subject may contain and how
//! large a payload may be are the connection's checks.

/// Longest size field accepted (digits); a larger number cannot be a real payload size.
const MAX_SIZE_DIGITS: usize = 12;

/// One frame of a wire buffer.
#[derive(Debug, PartialEq, Eq)]
pub struct WireFrame<'a> {
    pub subject: &'a [u8],
    pub reply: Option<&'a [u8]>,
    pub payload: &'a [u8],
    /// Bytes the whole frame takes in the buffer.
    pub len: usize,
}

/// Why a frame is not a PUB frame.
#[derive(Debug, PartialEq, Eq)]
pub enum WireError {
    /// Not `PUB ` at the start.
    NotPub,
    /// No `\r\n` ends the PUB line.
    NoLineEnd,
    /// The line has not two or three fields (or an empty one: two spaces in a row).
    Fields,
    /// The size field is not a decimal number.
    Size,
    /// The buffer ends inside the payload.
    Truncated,
    /// No `\r\n` after the payload.
    NoPayloadEnd,
}

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            WireError::NotPub => "frame does not start with 'PUB '",
            WireError::NoLineEnd => "PUB line without CRLF",
            WireError::Fields => "PUB line needs subject, optional reply and size, one space apart",
            WireError::Size => "PUB size is not a decimal number",
            WireError::Truncated => "buffer ends inside a payload",
            WireError::NoPayloadEnd => "payload not followed by CRLF",
        })
    }
}

/// The frame at the start of `buf`.
pub fn next_frame(buf: &[u8]) -> Result<WireFrame<'_>, WireError> {
    let line = buf.strip_prefix(b"PUB ").ok_or(WireError::NotPub)?;
    // One pass over the line: the (at most two) spaces and the CR that ends it.
    let mut spaces = [0usize; 2];
    let mut n_spaces = 0;
    let mut cr = None;
    for (i, &b) in line.iter().enumerate() {
        if b == b' ' {
            if n_spaces == 2 {
                return Err(WireError::Fields);
            }
            spaces[n_spaces] = i;
            n_spaces += 1;
        } else if b == b'\r' {
            cr = Some(i);
            break;
        }
    }
    let cr = cr.ok_or(WireError::NoLineEnd)?;
    if line.get(cr + 1) != Some(&b'\n') {
        return Err(WireError::NoLineEnd);
    }
    let (subject, reply, size) = match n_spaces {
        1 => (&line[..spaces[0]], None, &line[spaces[0] + 1..cr]),
        2 => (&line[..spaces[0]], Some(&line[spaces[0] + 1..spaces[1]]), &line[spaces[1] + 1..cr]),
        _ => return Err(WireError::Fields),
    };
    if subject.is_empty() || reply.is_some_and(|r| r.is_empty()) {
        return Err(WireError::Fields);
    }
    if size.is_empty() || size.len() > MAX_SIZE_DIGITS || !size.iter().all(u8::is_ascii_digit) {
        return Err(WireError::Size);
    }
    let n = size.iter().fold(0usize, |n, &d| n * 10 + usize::from(d - b'0'));
    let body_at = 4 + cr + 2;
    let end = body_at.checked_add(n).ok_or(WireError::Size)?;
    let payload = buf.get(body_at..end).ok_or(WireError::Truncated)?;
    match buf.get(end..end + 2) {
        Some(b"\r\n") => {}
        Some(_) => return Err(WireError::NoPayloadEnd),
        None if buf.len() > end => return Err(WireError::NoPayloadEnd),
        None => return Err(WireError::Truncated),
    }
    Ok(WireFrame { subject, reply, payload, len: end + 2 })
}

/// Frames of one buffer in order, remembering the PUB line of the last frame without a reply:
/// a batch is mostly one subject and one size, and a frame whose line is the same bytes needs
/// only its payload's end checked (and the caller's checks of that subject and size hold).
#[derive(Default)]
pub struct WireScanner<'a> {
    line: &'a [u8],
    subject: &'a [u8],
    size: usize,
}

impl<'a> WireScanner<'a> {
    /// The frame at the start of `buf`, and whether its line repeats the remembered one.
    #[inline]
    pub fn next(&mut self, buf: &'a [u8]) -> Result<(WireFrame<'a>, bool), WireError> {
        let l = self.line.len();
        if l != 0 && buf.starts_with(self.line) && buf.get(l + self.size..l + self.size + 2) == Some(b"\r\n") {
            let payload = &buf[l..l + self.size];
            return Ok((WireFrame { subject: self.subject, reply: None, payload, len: l + self.size + 2 }, true));
        }
        let f = next_frame(buf)?;
        if f.reply.is_none() {
            self.line = &buf[..f.len - f.payload.len() - 2];
            self.subject = f.subject;
            self.size = f.payload.len();
        }
        Ok((f, false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_with_and_without_reply() {
        let b = b"PUB a.b 5\r\nhello\r\nPUB x _INBOX.1 0\r\n\r\n";
        let f = next_frame(b).unwrap();
        assert_eq!(f, WireFrame { subject: b"a.b", reply: None, payload: b"hello", len: 18 });
        let g = next_frame(&b[f.len..]).unwrap();
        assert_eq!((g.subject, g.reply, g.payload, g.len), (&b"x"[..], Some(&b"_INBOX.1"[..]), &b""[..], b.len() - f.len));
    }

    #[test]
    fn every_malformed_shape_is_refused() {
        let cases: [(&[u8], WireError); 12] = [
            (b"HPUB a 1\r\nx\r\n", WireError::NotPub),
            (b"PUB a 1", WireError::NoLineEnd),
            (b"PUB a 1\rx\r\n", WireError::NoLineEnd),
            (b"PUB a\r\n", WireError::Fields),
            (b"PUB a b c 1\r\n", WireError::Fields),
            (b"PUB  a 1\r\nx\r\n", WireError::Fields),
            (b"PUB a  1\r\nx\r\n", WireError::Fields),
            (b"PUB a -1\r\nx\r\n", WireError::Size),
            (b"PUB a 9999999999999\r\n", WireError::Size),
            (b"PUB a 5\r\nab", WireError::Truncated),
            (b"PUB a 1\r\nxy\r\n", WireError::NoPayloadEnd),
            (b"PUB a 1\r\nx", WireError::Truncated),
        ];
        for (b, e) in cases {
            assert_eq!(next_frame(b), Err(e), "{:?}", String::from_utf8_lossy(b));
        }
        // Every prefix of a good frame is refused, never read past.
        let good = b"PUB a.b _R 3\r\nabc\r\n";
        for n in 0..good.len() {
            assert!(next_frame(&good[..n]).is_err(), "prefix {}", n);
        }
    }

    #[test]
    fn scanner_reuses_a_repeated_line_and_checks_its_end() {
        let b = b"PUB a.b 3\r\nxyz\r\nPUB a.b 3\r\nuvw\r\nPUB a.b 3\r\nuvwX\r\n";
        let mut sc = WireScanner::default();
        let (f, same) = sc.next(b).unwrap();
        assert!(!same);
        let (g, same) = sc.next(&b[f.len..]).unwrap();
        assert!(same);
        assert_eq!((g.subject, g.reply, g.payload, g.len), (&b"a.b"[..], None, &b"uvw"[..], f.len));
        // Same line, but the payload does not end where the size says.
        assert_eq!(sc.next(&b[f.len + g.len..]).unwrap_err(), WireError::NoPayloadEnd);
        // A leading zero is another line: parsed, same size.
        let z = b"PUB a.b 03\r\nxyz\r\n";
        let (h, same) = sc.next(z).unwrap();
        assert!(!same);
        assert_eq!((h.subject, h.payload), (&b"a.b"[..], &b"xyz"[..]));
        let (h, same) = sc.next(z).unwrap();
        assert!(same);
        assert_eq!((h.subject, h.payload, h.len), (&b"a.b"[..], &b"xyz"[..], z.len()));
    }
}
