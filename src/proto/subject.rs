//! Subject and queue-name validation (protocol.md §1.7, ADR-6).

#[inline]
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Publish subject: non-empty, no space/tab/CR/LF, no empty tokens. One pass on the
/// hot path; wildcards are allowed (the server treats them literally when publishing).
#[inline]
pub fn valid_publish_subject(s: &[u8]) -> bool {
    // One pass: no blanks, no empty tokens (`a..b`, `.a`, `a.`).
    if s.is_empty() || s[0] == b'.' || s[s.len() - 1] == b'.' {
        return false;
    }
    let mut prev_dot = false;
    for &b in s {
        // Blanks and `.` all sort at or below `.`; letters, digits and `_` (nearly every byte
        // of a real subject) skip both checks.
        if b > b'.' {
            prev_dot = false;
            continue;
        }
        if is_ws(b) {
            return false;
        }
        let dot = b == b'.';
        if dot && prev_dot {
            return false;
        }
        prev_dot = dot;
    }
    true
}

/// Subscribe subject: like a publish subject, plus no empty tokens (`a..b`,
/// `.a`, `a.`), `*` and `>` only as whole tokens, and `>` only as the last token.
pub fn valid_subscribe_subject(s: &[u8]) -> bool {
    if !valid_publish_subject(s) {
        return false;
    }
    let mut tokens = s.split(|&b| b == b'.').peekable();
    while let Some(tok) = tokens.next() {
        if tok.is_empty() {
            return false;
        }
        let last = tokens.peek().is_none();
        if tok.len() > 1 && tok.iter().any(|&b| b == b'*' || b == b'>') {
            return false;
        }
        if tok == b">" && !last {
            return false;
        }
    }
    true
}

/// Queue group name: non-empty, no whitespace.
#[inline]
pub fn valid_queue_name(q: &[u8]) -> bool {
    !q.is_empty() && !q.iter().any(|&b| is_ws(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish() {
        for ok in [&b"a"[..], b"foo.bar", b"foo.*", b"foo.>", b">", b"\xc3\xa9t\xc3\xa9", b"a\0b"] {
            assert!(valid_publish_subject(ok), "{:?}", ok);
        }
        for bad in [&b""[..], b" ", b"a b", b"a\tb", b"a\rb", b"a\nb", b"foo ", b" foo", b"\r\n", b"a..b", b".a", b"a.", b"."] {
            assert!(!valid_publish_subject(bad), "{:?}", bad);
        }
    }

    /// The straightforward form of the publish rule, to check the fast path against.
    fn publish_reference(s: &[u8]) -> bool {
        !s.is_empty() && !s.iter().any(|&b| is_ws(b)) && s.split(|&b| b == b'.').all(|t| !t.is_empty())
    }

    #[test]
    fn publish_matches_reference_on_every_short_string() {
        let alphabet = [b'a', b'.', b' ', b'\t', b'\r', b'\n', b'-', b'*', b'/', b'0', b'>', b'_', 0u8, 0xc3];
        let mut s = Vec::new();
        for len in 1..=4u32 {
            for mut code in 0..alphabet.len().pow(len) {
                s.clear();
                for _ in 0..len {
                    s.push(alphabet[code % alphabet.len()]);
                    code /= alphabet.len();
                }
                assert_eq!(valid_publish_subject(&s), publish_reference(&s), "{:?}", s);
            }
        }
    }

    #[test]
    fn subscribe() {
        for ok in [
            &b"a"[..],
            b"foo.bar",
            b"*",
            b">",
            b"foo.*",
            b"foo.>",
            b"*.*.>",
            b"foo.*.bar",
            b"_INBOX.abc.*",
            b"$JS.API.>",
            b"a-b_c.d~e",
            b"\xc3\xa9.x",
        ] {
            assert!(valid_subscribe_subject(ok), "{:?}", ok);
        }
        for bad in [
            &b""[..],
            b".",
            b"..",
            b"a..b",
            b".a",
            b"a.",
            b"foo.>.bar",
            b">.a",
            b"foo.b*",
            b"foo.*b",
            b"foo.>>",
            b"foo.**",
            b"a>",
            b"a b",
            b"a\tb",
            b"a.\r",
            b"a\n",
            b"foo. bar",
            b"foo.*.",
        ] {
            assert!(!valid_subscribe_subject(bad), "{:?}", bad);
        }
    }

    #[test]
    fn queue() {
        for ok in [&b"q"[..], b"workers", b"a.b", b"*", b">"] {
            assert!(valid_queue_name(ok), "{:?}", ok);
        }
        for bad in [&b""[..], b" ", b"a b", b"a\t", b"\rq", b"q\n"] {
            assert!(!valid_queue_name(bad), "{:?}", bad);
        }
    }
}
