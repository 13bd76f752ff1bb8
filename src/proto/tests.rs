//! Cross-module protocol tests: every frame of protocol.md §4 fed whole, split at
//! every offset, byte by byte and glued between valid frames; bad inputs;
//! encoder/parser consistency; a seeded randomized round-trip and mutation test.

use super::encode;
use super::headers::HeaderMap;
use super::info::ServerInfo;
use super::parser::{Frame, Op, Parser, ProtoError};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A frame with its bytes copied out, so frames parsed at different buffer
/// offsets can be compared.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ev {
    Info(Vec<u8>),
    Msg { subject: Vec<u8>, sid: u64, reply: Option<Vec<u8>>, headers: Option<Vec<u8>>, payload: Vec<u8> },
    Ping,
    Pong,
    Ok,
    Err(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Outcome {
    events: Vec<Ev>,
    /// Error, if any (parsing stops there).
    error: Option<ProtoError>,
    /// Bytes left unconsumed at the end (only meaningful without error).
    leftover: usize,
}

/// Checks the documented invariants of a frame and copies it out.
fn to_ev(buf: &[u8], f: &Frame) -> Ev {
    assert!(f.len > 0 && f.len <= buf.len(), "frame len {} buf {}", f.len, buf.len());
    match &f.op {
        Op::Msg { subject, sid, reply, header_len, total_len, payload_start } => {
            assert_eq!(payload_start + total_len + 2, f.len);
            assert_eq!(&buf[f.len - 2..f.len], b"\r\n");
            assert_eq!(buf[payload_start - 1], b'\n');
            assert!(header_len <= total_len);
            assert!(!subject.is_empty());
            // Zero-copy guarantee: a blank follows subject and reply inside the line.
            assert!(subject.end < *payload_start);
            assert!(matches!(buf[subject.end], b' ' | b'\t'));
            if let Some(r) = reply {
                assert!(!r.is_empty());
                assert!(r.start > subject.end && r.end < *payload_start);
                assert!(matches!(buf[r.end], b' ' | b'\t'));
            }
            let hdr_end = payload_start + header_len;
            Ev::Msg {
                subject: buf[subject.clone()].to_vec(),
                sid: *sid,
                reply: reply.as_ref().map(|r| buf[r.clone()].to_vec()),
                headers: if *header_len > 0 { Some(buf[*payload_start..hdr_end].to_vec()) } else { None },
                payload: buf[hdr_end..payload_start + total_len].to_vec(),
            }
        }
        other => {
            assert_eq!(buf[f.len - 1], b'\n');
            match other {
                Op::Info { json } => {
                    assert!(json.end < f.len && !json.is_empty());
                    Ev::Info(buf[json.clone()].to_vec())
                }
                Op::Ping => Ev::Ping,
                Op::Pong => Ev::Pong,
                Op::Ok => Ev::Ok,
                Op::Err(s) => Ev::Err(s.clone()),
                Op::Msg { .. } => unreachable!(),
            }
        }
    }
}

/// Simulates the engine's read loop: append a chunk, parse repeatedly, drain
/// the consumed bytes, stop at the first error.
fn run_with<'a>(mut p: Parser, chunks: impl IntoIterator<Item = &'a [u8]>) -> Outcome {
    let mut buf: Vec<u8> = Vec::new();
    let mut events = Vec::new();
    for c in chunks {
        buf.extend_from_slice(c);
        loop {
            match p.parse(&buf) {
                Ok(Some(f)) => {
                    events.push(to_ev(&buf, &f));
                    buf.drain(..f.len);
                }
                Ok(None) => break,
                Err(e) => return Outcome { events, error: Some(e), leftover: 0 },
            }
        }
    }
    Outcome { events, error: None, leftover: buf.len() }
}

fn limits_parser(limits: (usize, usize)) -> Parser {
    Parser::with_limits(limits.0, limits.1)
}

const SMALL: (usize, usize) = (4096, 1024);

/// Feeds `input` whole, split in two at every offset, and one byte at a time;
/// asserts the outcomes are identical and returns it.
fn all_splits(input: &[u8], limits: (usize, usize)) -> Outcome {
    let whole = run_with(limits_parser(limits), [input]);
    for k in 0..=input.len() {
        let (a, b) = input.split_at(k);
        let got = run_with(limits_parser(limits), [a, b]);
        assert_eq!(got, whole, "split at {k} of {:?}", String::from_utf8_lossy(input));
        // Explicitly: a proper prefix of a single frame is "need more".
    }
    let bytes = run_with(limits_parser(limits), input.chunks(1));
    assert_eq!(bytes, whole, "byte by byte: {:?}", String::from_utf8_lossy(input));
    whole
}

/// (a)-(d): whole / every split / bytewise, plus glued between valid frames.
fn check_valid(input: &[u8], expected: &[Ev]) {
    let out = all_splits(input, SMALL);
    assert_eq!(out.error, None, "{:?}", String::from_utf8_lossy(input));
    assert_eq!(out.events, expected, "{:?}", String::from_utf8_lossy(input));
    assert_eq!(out.leftover, 0);
    // One frame: every strict prefix is "need more", and a stateful parser that
    // saw the prefix returns exactly the Frame (same ranges) a fresh one does.
    if expected.len() == 1 {
        let fresh = limits_parser(SMALL).parse(input).unwrap().unwrap();
        assert_eq!(fresh.len, input.len());
        for k in 0..input.len() {
            let mut p = limits_parser(SMALL);
            assert_eq!(p.parse(&input[..k]), Ok(None), "prefix {k}");
            assert_eq!(p.parse(input), Ok(Some(fresh.clone())), "prefix {k} then whole");
        }
    }
    let mut glued = b"PING\r\nMSG g 1 2\r\nhi\r\n".to_vec();
    glued.extend_from_slice(input);
    glued.extend_from_slice(b"PONG\r\n+OK\r\n");
    let out = all_splits(&glued, SMALL);
    let mut want = vec![Ev::Ping, msg(b"g", 1, None, b"hi")];
    want.extend_from_slice(expected);
    want.extend([Ev::Pong, Ev::Ok]);
    assert_eq!(out.error, None);
    assert_eq!(out.events, want);
}

/// Invalid input must give a ProtoError in every split (never panic), also when
/// glued after valid frames. Returns the error.
fn check_invalid(input: &[u8]) -> ProtoError {
    check_invalid_with(input, SMALL)
}

fn check_invalid_with(input: &[u8], limits: (usize, usize)) -> ProtoError {
    let out = all_splits(input, limits);
    let e = out.error.unwrap_or_else(|| panic!("no error for {:?}: {:?}", String::from_utf8_lossy(input), out.events));
    let mut glued = b"PING\r\nMSG g 1 2\r\nhi\r\n".to_vec();
    glued.extend_from_slice(input);
    let out = all_splits(&glued, limits);
    assert_eq!(out.error.as_ref(), Some(&e));
    assert_eq!(out.events[..2], [Ev::Ping, msg(b"g", 1, None, b"hi")]);
    e
}

fn msg(subject: &[u8], sid: u64, reply: Option<&[u8]>, payload: &[u8]) -> Ev {
    Ev::Msg { subject: subject.to_vec(), sid, reply: reply.map(|r| r.to_vec()), headers: None, payload: payload.to_vec() }
}

fn hmsg(subject: &[u8], sid: u64, reply: Option<&[u8]>, headers: &[u8], payload: &[u8]) -> Ev {
    Ev::Msg { subject: subject.to_vec(), sid, reply: reply.map(|r| r.to_vec()), headers: Some(headers.to_vec()), payload: payload.to_vec() }
}

// ---------------------------------------------------------------------------
// §4.1 every op, every split
// ---------------------------------------------------------------------------

#[test]
fn every_op_every_split() {
    check_valid(b"PING\r\n", &[Ev::Ping]);
    check_valid(b"PONG\r\n", &[Ev::Pong]);
    check_valid(b"+OK\r\n", &[Ev::Ok]);
    check_valid(b"-ERR 'x'\r\n", &[Ev::Err("x".into())]);
    check_valid(
        b"-ERR 'Permissions Violation for Publish to \"foo\"'\r\n",
        &[Ev::Err("Permissions Violation for Publish to \"foo\"".into())],
    );
    let info = br#"INFO {"server_id":"abc","headers":true,"max_payload":1048576,"connect_urls":["a:1","b:2"]}"#;
    let mut line = info.to_vec();
    line.extend_from_slice(b"\r\n");
    check_valid(&line, &[Ev::Info(info[5..].to_vec())]);
    check_valid(b"INFO {}\r\n", &[Ev::Info(b"{}".to_vec())]);
    check_valid(b"MSG foo.bar 9 5\r\nhello\r\n", &[msg(b"foo.bar", 9, None, b"hello")]);
    check_valid(b"MSG foo.bar 9 _INBOX.abc 5\r\nhello\r\n", &[msg(b"foo.bar", 9, Some(b"_INBOX.abc"), b"hello")]);
    check_valid(
        b"HMSG orders.new 3 22 27\r\nNATS/1.0\r\nX-Id: 17\r\n\r\nhello\r\n",
        &[hmsg(b"orders.new", 3, None, b"NATS/1.0\r\nX-Id: 17\r\n\r\n", b"hello")],
    );
    check_valid(
        b"HMSG orders.new 3 _INBOX.abc 22 27\r\nNATS/1.0\r\nX-Id: 17\r\n\r\nhello\r\n",
        &[hmsg(b"orders.new", 3, Some(b"_INBOX.abc"), b"NATS/1.0\r\nX-Id: 17\r\n\r\n", b"hello")],
    );
    // status-only header block, empty payload (no responders)
    check_valid(b"HMSG _INBOX.x.1 4 16 16\r\nNATS/1.0 503\r\n\r\n\r\n", &[hmsg(b"_INBOX.x.1", 4, None, b"NATS/1.0 503\r\n\r\n", b"")]);
}

#[test]
fn zero_byte_payload() {
    check_valid(b"MSG a 1 0\r\n\r\n", &[msg(b"a", 1, None, b"")]);
    check_valid(b"MSG a 1 r 0\r\n\r\n", &[msg(b"a", 1, Some(b"r"), b"")]);
    check_valid(b"HMSG a 1 12 12\r\nNATS/1.0\r\n\r\n\r\n", &[hmsg(b"a", 1, None, b"NATS/1.0\r\n\r\n", b"")]);
}

#[test]
fn payload_containing_frames() {
    // The payload contains CRLF and whole protocol lines; it must not be scanned.
    let payload = b"\r\nMSG x 1 3\r\nabc\r\nPING\r\n\r\n";
    let mut input = format!("MSG a 1 {}\r\n", payload.len()).into_bytes();
    input.extend_from_slice(payload);
    input.extend_from_slice(b"\r\n");
    check_valid(&input, &[msg(b"a", 1, None, payload)]);
    let hdr = b"NATS/1.0\r\nK: \r\n\r\n";
    let mut input = format!("HMSG a 1 r {} {}\r\n", hdr.len(), hdr.len() + payload.len()).into_bytes();
    input.extend_from_slice(hdr);
    input.extend_from_slice(payload);
    input.extend_from_slice(b"\r\n");
    check_valid(&input, &[hmsg(b"a", 1, Some(b"r"), hdr, payload)]);
    // payload that is just CRLF
    check_valid(b"MSG a 1 2\r\n\r\n\r\n", &[msg(b"a", 1, None, b"\r\n")]);
}

#[test]
fn max_payload_boundary() {
    let max = SMALL.1;
    let payload: Vec<u8> = (0..max).map(|i| (i % 251) as u8).collect();
    let mut input = format!("MSG big 1 {max}\r\n").into_bytes();
    input.extend_from_slice(&payload);
    input.extend_from_slice(b"\r\n");
    check_valid(&input, &[msg(b"big", 1, None, &payload)]);
    // one more byte: rejected from the control line alone
    let e = check_invalid(format!("MSG big 1 {}\r\n", max + 1).as_bytes());
    assert!(e.0.contains("maximum payload"), "{e}");
    let e = check_invalid(format!("HMSG big 1 12 {}\r\n", max + 1).as_bytes());
    assert!(e.0.contains("maximum payload"), "{e}");
    // set_max_payload applies to subsequent lines
    let mut p = Parser::with_limits(4096, 10);
    assert!(p.parse(b"MSG a 1 11\r\n").is_err());
    p.set_max_payload(11);
    assert_eq!(p.max_payload(), 11);
    assert!(p.parse(b"MSG a 1 11\r\n").unwrap().is_none());
}

#[test]
fn default_limits_large_payload() {
    let max = 64 << 20;
    let mut input = format!("MSG big 1 {max}\r\n").into_bytes();
    let hdr_len = input.len();
    input.resize(hdr_len + max, b'x');
    input.extend_from_slice(b"\r\n");
    let mut p = Parser::new();
    assert_eq!(p.max_payload(), max);
    assert_eq!(p.max_control_line(), 1 << 20);
    let f = p.parse(&input).unwrap().unwrap();
    assert_eq!(f.len, input.len());
    // Fed in 64 KiB reads: the payload is never rescanned.
    let out = run_with(Parser::new(), input.chunks(64 * 1024));
    assert_eq!(out.events.len(), 1);
    assert_eq!(out.error, None);
    let e = Parser::new().parse(format!("MSG big 1 {}\r\n", max + 1).as_bytes()).unwrap_err();
    assert!(e.0.contains("maximum payload"));
}

// ---------------------------------------------------------------------------
// §4.2 accepted variations
// ---------------------------------------------------------------------------

#[test]
fn mixed_case_ops() {
    check_valid(b"msg a 1 1\r\nx\r\n", &[msg(b"a", 1, None, b"x")]);
    check_valid(b"Msg a 1 1\r\nx\r\n", &[msg(b"a", 1, None, b"x")]);
    check_valid(b"hMsG a 1 12 12\r\nNATS/1.0\r\n\r\n\r\n", &[hmsg(b"a", 1, None, b"NATS/1.0\r\n\r\n", b"")]);
    check_valid(b"Info {}\r\n", &[Ev::Info(b"{}".to_vec())]);
    check_valid(b"pOnG\r\n", &[Ev::Pong]);
    check_valid(b"ping\r\n", &[Ev::Ping]);
    check_valid(b"+ok\r\n", &[Ev::Ok]);
    check_valid(b"-err 'Stale Connection'\r\n", &[Ev::Err("Stale Connection".into())]);
    // subjects stay case-sensitive
    check_valid(b"MSG Foo.BAR 1 0\r\n\r\n", &[msg(b"Foo.BAR", 1, None, b"")]);
}

#[test]
fn blanks_and_line_endings() {
    check_valid(b"MSG\ta\t1\t1\r\nx\r\n", &[msg(b"a", 1, None, b"x")]);
    check_valid(b"MSG  \t a \t\t 1   r  \t 1\r\nx\r\n", &[msg(b"a", 1, Some(b"r"), b"x")]);
    check_valid(b"MSG a 1 1   \r\nx\r\n", &[msg(b"a", 1, None, b"x")]);
    check_valid(b"MSG a 1 1\t \r\nx\r\n", &[msg(b"a", 1, None, b"x")]);
    check_valid(b"MSG a 1 1\nx\r\n", &[msg(b"a", 1, None, b"x")]);
    check_valid(b"HMSG a 1 12 12 \nNATS/1.0\r\n\r\n\r\n", &[hmsg(b"a", 1, None, b"NATS/1.0\r\n\r\n", b"")]);
    check_valid(b"PING  \r\n", &[Ev::Ping]);
    check_valid(b"PING\n", &[Ev::Ping]);
    check_valid(b"PING  \r  \n", &[Ev::Ping]);
    check_valid(b"PONG\t\r\n", &[Ev::Pong]);
    check_valid(b"+OK \n", &[Ev::Ok]);
    check_valid(b"INFO \t {\"a\": 1}  \r\n", &[Ev::Info(b"{\"a\": 1}".to_vec())]);
    check_valid(b"INFO\t{}\n", &[Ev::Info(b"{}".to_vec())]);
    check_valid(b"-ERR\n", &[Ev::Err(String::new())]);
    // leading zeros are plain decimal
    check_valid(b"MSG a 007 0003\r\nabc\r\n", &[msg(b"a", 7, None, b"abc")]);
}

#[test]
fn stray_cr_inside_args() {
    for bad in [
        &b"MSG a\r1 1\r\nx\r\n"[..],
        b"MSG a 1\r 1\r\nx\r\n",
        b"MSG a\r 1 1\r\nx\r\n",
        b"MSG a 1 r\rr 1\r\nx\r\n",
        b"HMSG a 1 12\r 12\r\nNATS/1.0\r\n\r\n\r\n",
        b"PI\rNG\r\n",
        b"PING \r x\r\n",
    ] {
        check_invalid(bad);
    }
}

// ---------------------------------------------------------------------------
// §4.3 payload terminator policy: must be exactly CRLF
// ---------------------------------------------------------------------------

#[test]
fn payload_not_followed_by_crlf() {
    for bad in [
        &b"MSG a 1 3\r\nfooX\r\n"[..],
        b"MSG a 1 3\r\nfoo\n",
        b"MSG a 1 3\r\nfoo\rX",
        b"MSG a 1 3\r\nfoo\n\r",
        b"MSG a 1 3\r\nfoo  \r\n",
        b"MSG a 1 2\r\nfoo\r\n",
        b"MSG a 1 0\r\nPING\r\n",
        b"HMSG a 1 12 13\r\nNATS/1.0\r\n\r\nxy\r\n",
        // header block shorter than declared: the next frame is swallowed and
        // the terminator check fails
        b"HMSG a 1 17 17\r\nNATS/1.0\r\n\r\n\r\nPING\r\n",
    ] {
        let e = check_invalid(bad);
        assert!(e.0.contains("not followed by CRLF"), "{e}");
    }
}

// ---------------------------------------------------------------------------
// §4.4 unknown or truncated ops
// ---------------------------------------------------------------------------

#[test]
fn unknown_or_truncated_ops() {
    for op in [
        "ZOO",
        "Px",
        "PIx",
        "POx",
        "PONx",
        "Mx",
        "MSx",
        "MSGx",
        "HMx",
        "+x",
        "+Ox",
        "-x",
        "-Ex",
        "-ERx",
        "-ERRx",
        "IxNFO",
        "INFx",
        "INFOx {}",
        "INFO{}",
        "PINGX",
        "PONGPONG",
        "MSGG a 1 1",
        "HMSGX a 1 1 1",
        "+OKK",
        "PUB a 1",
        "SUB a 1",
        "CONNECT {}",
        "P",
        "-",
        "+",
        "\0",
        "\u{7f}",
    ] {
        let line = format!("{op}\r\n");
        let e = check_invalid(line.as_bytes());
        assert!(e.0.contains("unknown protocol operation"), "{op}: {e}");
    }
    for bad in [&b" PING\r\n"[..], b"\tPING\r\n", b"  MSG a 1 1\r\nx\r\n", b"\r\n", b"\n", b"  \r\n", b"\r\r\n"] {
        check_invalid(bad);
    }
    let e = check_invalid(b" PING\r\n");
    assert!(e.0.contains("leading blank"), "{e}");
    let e = check_invalid(b"\r\n");
    assert!(e.0.contains("empty control line"), "{e}");
    // arguments where none are allowed
    for bad in [&b"PING x\r\n"[..], b"PONG 1\r\n", b"+OK ok\r\n"] {
        let e = check_invalid(bad);
        assert!(e.0.contains("unexpected arguments"), "{e}");
    }
    // INFO without JSON
    for bad in [&b"INFO\r\n"[..], b"INFO \r\n", b"INFO \t \n"] {
        let e = check_invalid(bad);
        assert!(e.0.contains("INFO"), "{e}");
    }
}

// ---------------------------------------------------------------------------
// §4.5 arg counts
// ---------------------------------------------------------------------------

#[test]
fn arg_count_errors() {
    for bad in [
        &b"MSG \r\n"[..],
        b"MSG\r\n",
        b"MSG a\r\n",
        b"MSG foo 1\r\n",
        b"MSG a b c d e\r\n",
        b"MSG a 1 r x 5\r\n",
        b"HMSG \r\n",
        b"HMSG a\r\n",
        b"HMSG a 1\r\n",
        b"HMSG a 1 2\r\n",
        b"HMSG a 1 r 2 3 4\r\n",
        b"HMSG a 1 r 2 3 4 5 6 7\r\n",
    ] {
        let e = check_invalid(bad);
        assert!(e.0.contains("arguments"), "{:?}: {e}", String::from_utf8_lossy(bad));
    }
    let e = check_invalid(b"MSG a\r\n");
    assert!(e.0.starts_with("invalid MSG arguments:"), "{e}");
    let e = check_invalid(b"HMSG a 1 2\r\n");
    assert!(e.0.starts_with("invalid HMSG arguments:"), "{e}");
}

// ---------------------------------------------------------------------------
// §4.6 bad numbers
// ---------------------------------------------------------------------------

#[test]
fn bad_numbers() {
    let bad: &[&[u8]] = &[
        b"MSG foo bar 1\r\n",
        b"MSG foo 1 bar baz\r\n",
        b"MSG foo 1 3x\r\n",
        b"MSG foo 1x 3\r\n",
        b"MSG foo -1 3\r\n",
        b"MSG foo 1 -1\r\n",
        b"MSG foo 1 +5\r\n",
        b"MSG foo +1 5\r\n",
        b"MSG foo 1 0x10\r\n",
        b"MSG foo 0x1 1\r\n",
        b"MSG foo 1 1.0\r\n",
        b"MSG foo 1 r 1e3\r\n",
        b"MSG foo 18446744073709551616 1\r\n",
        b"MSG foo 1 33333333333333333333333\r\n",
        b"MSG foo 99999999999999999999999999999999999999 1\r\n",
        b"HMSG foo 1 x 5\r\n",
        b"HMSG foo 1 2 x\r\n",
        b"HMSG foo 1 -2 5\r\n",
        b"HMSG foo 1 33333333333333333333333 1\r\n",
        b"HMSG foo x 2 5\r\n",
        b"HMSG foo 1 r x 5\r\n",
    ];
    for b in bad {
        let e = check_invalid(b);
        assert!(e.0.contains("arguments"), "{:?}: {e}", String::from_utf8_lossy(b));
    }
    // sizes that fit u64 but exceed max_payload / isize: rejected before any
    // allocation (the parser never allocates for payloads anyway)
    for b in [&b"MSG foo 1 18446744073709551615\r\n"[..], b"MSG foo 1 9223372036854775808\r\n"] {
        let e = check_invalid(b);
        assert!(e.0.contains("maximum payload"), "{e}");
    }
    let mut p = Parser::with_limits(4096, usize::MAX);
    assert!(p.parse(b"MSG foo 1 18446744073709551615\r\n").is_err(), "overflowing frame length");
    let mut p = Parser::with_limits(4096, usize::MAX);
    assert!(p.parse(b"HMSG foo 1 1 18446744073709551614\r\n").is_err());
}

#[test]
fn sid_edge_cases() {
    check_valid(b"MSG a 0 0\r\n\r\n", &[msg(b"a", 0, None, b"")]);
    check_valid(b"MSG a 18446744073709551615 0\r\n\r\n", &[msg(b"a", u64::MAX, None, b"")]);
    check_invalid(b"MSG a 18446744073709551616 0\r\n\r\n");
    // unsolicited / repeated PONG and +OK are just frames
    check_valid(b"PONG\r\nPONG\r\n+OK\r\n", &[Ev::Pong, Ev::Pong, Ev::Ok]);
}

// ---------------------------------------------------------------------------
// §4.7 HMSG sizes (header content itself: see headers.rs)
// ---------------------------------------------------------------------------

#[test]
fn hmsg_sizes() {
    let e = check_invalid(b"HMSG a 1 13 12\r\nNATS/1.0\r\n\r\n\r\n");
    assert!(e.0.contains("exceeds total"), "{e}");
    let e = check_invalid(b"HMSG a 1 0 5\r\nhello\r\n");
    assert!(e.0.contains("header size is 0"), "{e}");
    let e = check_invalid(b"HMSG a 1 0 0\r\n\r\n");
    assert!(e.0.contains("header size is 0"), "{e}");
    // a header block that decodes badly is still a valid frame for the parser
    let out = all_splits(b"HMSG a 1 3 5\r\nabcde\r\n", SMALL);
    assert_eq!(out.events, [hmsg(b"a", 1, None, b"abc", b"de")]);
    assert!(HeaderMap::decode(b"abc").is_err());
}

#[test]
fn hmsg_header_blocks_decode() {
    // one 64 KiB header line in an HMSG
    let mut h = HeaderMap::new();
    h.set("Big", &"v".repeat(64 * 1024)).unwrap();
    h.set_status(409, Some("Consumer Deleted"));
    let block = h.to_bytes();
    let mut input = format!("HMSG a 1 {} {}\r\n", block.len(), block.len() + 2).into_bytes();
    input.extend_from_slice(&block);
    input.extend_from_slice(b"ok\r\n");
    let mut p = Parser::new();
    let f = p.parse(&input).unwrap().unwrap();
    match f.op {
        Op::Msg { header_len, payload_start, total_len, .. } => {
            let decoded = HeaderMap::decode(&input[payload_start..payload_start + header_len]).unwrap();
            assert_eq!(decoded, h);
            assert_eq!(&input[payload_start + header_len..payload_start + total_len], b"ok");
        }
        other => panic!("{other:?}"),
    }
    // fed in small reads too
    let out = run_with(Parser::new(), input.chunks(1000));
    assert_eq!(out.events.len(), 1);
}

// ---------------------------------------------------------------------------
// §4.8 INFO
// ---------------------------------------------------------------------------

#[test]
fn info_cases() {
    // invalid JSON and trailing garbage pass the framing but fail ServerInfo::parse
    for (line, json) in [(&b"INFO {\r\n"[..], &b"{"[..]), (b"INFO {} garbage\r\n", b"{} garbage"), (b"INFO []\r\n", b"[]")] {
        let out = all_splits(line, SMALL);
        assert_eq!(out.events, [Ev::Info(json.to_vec())]);
        assert!(ServerInfo::parse(json).is_err());
    }
    // INFO {} without CR LF before EOF: incomplete, no frame, no error
    let out = all_splits(b"INFO {}", SMALL);
    assert_eq!(out, Outcome { events: vec![], error: None, leftover: 7 });
    // 100 KiB INFO with the default limits, fed in 1-byte and 4 KiB reads
    let urls: Vec<String> = (0..6000).map(|i| format!("10.1.{}.{}:4222", i / 256, i % 256)).collect();
    let json = serde_json::json!({"server_id": "S", "ldm": true, "connect_urls": urls}).to_string();
    assert!(json.len() > 100 * 1024);
    let line = format!("INFO {json}\r\n");
    for chunk in [1usize, 4096, line.len()] {
        let out = run_with(Parser::new(), line.as_bytes().chunks(chunk));
        assert_eq!(out.events, [Ev::Info(json.clone().into_bytes())], "chunk {chunk}");
        if let Ev::Info(j) = &out.events[0] {
            let i = ServerInfo::parse(j).unwrap();
            assert!(i.ldm);
            assert_eq!(i.connect_urls.len(), 6000);
        }
    }
    // INFO between two MSGs
    check_valid(
        b"MSG a 1 1\r\nx\r\nINFO {\"ldm\":true}\r\nMSG b 2 1\r\ny\r\n",
        &[msg(b"a", 1, None, b"x"), Ev::Info(b"{\"ldm\":true}".to_vec()), msg(b"b", 2, None, b"y")],
    );
    // INFO glued to the handshake PONG
    check_valid(b"PONG\r\nINFO {\"connect_urls\":[\"x:1\"]}\r\n", &[Ev::Pong, Ev::Info(b"{\"connect_urls\":[\"x:1\"]}".to_vec())]);
}

// ---------------------------------------------------------------------------
// §4.9 slow-loris / over-long lines
// ---------------------------------------------------------------------------

#[test]
fn over_long_control_line_is_bounded() {
    let max = 1024;
    // exactly max bytes before LF is fine, max + 1 is not
    let mut ok = b"INFO ".to_vec();
    ok.resize(max, b'x');
    ok.push(b'\n');
    let out = all_splits(&ok, (max, 100));
    assert_eq!(out.events.len(), 1);
    let mut bad = b"INFO ".to_vec();
    bad.resize(max + 1, b'x');
    bad.push(b'\n');
    let e = check_invalid_with(&bad, (max, 100));
    assert!(e.0.contains("maximum control line"), "{e}");
    // CR counts towards the line: max-1 bytes + CR is fine
    let mut ok = b"INFO ".to_vec();
    ok.resize(max - 1, b'x');
    ok.extend_from_slice(b"\r\n");
    assert_eq!(all_splits(&ok, (max, 100)).events.len(), 1);

    // A line that never ends: the error comes as soon as the buffer holds more
    // than max bytes, long before the sender stops.
    let mut p = Parser::with_limits(max, 100);
    let mut buf = Vec::new();
    let mut fed = 0;
    let err = loop {
        buf.extend_from_slice(&[b'A'; 100]);
        fed += 100;
        match p.parse(&buf) {
            Ok(None) => assert!(fed <= max, "still waiting after {fed} bytes"),
            Ok(Some(f)) => panic!("{f:?}"),
            Err(e) => break e,
        }
        assert!(fed < 100_000);
    };
    assert!(fed <= max + 100);
    assert!(err.0.contains("maximum control line"));

    // Default limit (1 MiB): slow-loris fed in 64 KiB reads.
    let mut p = Parser::new();
    let mut buf = Vec::new();
    let chunk = vec![b'x'; 64 * 1024];
    buf.extend_from_slice(b"MSG ");
    let mut fed = 4;
    loop {
        buf.extend_from_slice(&chunk);
        fed += chunk.len();
        match p.parse(&buf) {
            Ok(None) => assert!(fed <= 1 << 20),
            Err(e) => {
                assert!(e.0.contains("maximum control line"));
                break;
            }
            Ok(Some(_)) => panic!(),
        }
    }
    assert!(fed <= (1 << 20) + chunk.len());
}

#[test]
fn long_line_is_not_rescanned() {
    // 256 KiB INFO fed one byte at a time: quadratic rescanning would take
    // minutes; the incremental LF search makes it linear.
    let mut line = b"INFO {\"k\":\"".to_vec();
    line.resize(256 * 1024, b'v');
    line.extend_from_slice(b"\"}\r\n");
    let out = run_with(Parser::new(), line.chunks(1));
    assert_eq!(out.events.len(), 1);
    assert_eq!(out.error, None);
}

// ---------------------------------------------------------------------------
// §4.10 -ERR forms
// ---------------------------------------------------------------------------

#[test]
fn err_forms() {
    let cases: &[(&[u8], &str)] = &[
        (b"-ERR 'Unknown Protocol Operation'\r\n", "Unknown Protocol Operation"),
        (b"-ERR Unknown Protocol Operation\r\n", "Unknown Protocol Operation"),
        (b"-ERR    'Authorization Violation'   \r\n", "Authorization Violation"),
        (b"-ERR\t'x'\t\r\n", "x"),
        (b"-ERR ''nested''\r\n", "'nested'"),
        (b"-ERR 'it''s'\r\n", "it''s"),
        (b"-ERR ''\r\n", ""),
        (b"-ERR\r\n", ""),
        (b"-ERR \r\n", ""),
        (b"-ERR '\r\n", "'"),
        (b"-ERR 'unbalanced\r\n", "'unbalanced"),
        (b"-err 'STALE connection'\r\n", "STALE connection"),
        (b"-ERR 'caf\xc3\xa9'\r\n", "caf\u{e9}"),
        (b"-ERR 'bad \xff byte'\r\n", "bad \u{fffd} byte"),
        (
            b"-ERR 'Permissions Violation for Subscription to \"foo.>\" using queue \"q\"'\r\n",
            "Permissions Violation for Subscription to \"foo.>\" using queue \"q\"",
        ),
        (b"-ERR 'maximum control line exceeded'\r\n", "maximum control line exceeded"),
    ];
    for (line, want) in cases {
        check_valid(line, &[Ev::Err(want.to_string())]);
    }
    let catalogue = [
        "Unknown Protocol Operation",
        "Authorization Violation",
        "Authentication Timeout",
        "User Authentication Expired",
        "Account Authentication Expired",
        "User Authentication Revoked",
        "invalid client protocol",
        "maximum control line exceeded",
        "Maximum Payload Violation",
        "Secure Connection - TLS Required",
        "Stale Connection",
        "maximum connections exceeded",
        "maximum account active connections exceeded",
        "no responders requires headers support",
        "Attempted To Connect To Route Port",
        "Failed Account Registration",
        "Permissions Violation for Publish to \"x\"",
        "maximum subscriptions exceeded",
        "Invalid Subject",
        "Invalid Publish Subject",
    ];
    for text in catalogue {
        let line = format!("-ERR '{text}'\r\n");
        let out = run_with(Parser::new(), [line.as_bytes()]);
        assert_eq!(out.events, [Ev::Err(text.to_string())]);
    }
    // very long -ERR (but under the line cap)
    let long = "e".repeat(100_000);
    let line = format!("-ERR '{long}'\r\n");
    let out = run_with(Parser::new(), line.as_bytes().chunks(7777));
    assert_eq!(out.events, [Ev::Err(long)]);
}

// ---------------------------------------------------------------------------
// §4.12 read boundaries
// ---------------------------------------------------------------------------

#[test]
fn many_small_frames_in_one_read() {
    let mut input = Vec::new();
    let mut want = Vec::new();
    for i in 0..500u64 {
        match i % 5 {
            0 => {
                input.extend_from_slice(format!("MSG s.{i} {i} 1\r\n{}\r\n", i % 10).as_bytes());
                want.push(msg(format!("s.{i}").as_bytes(), i, None, format!("{}", i % 10).as_bytes()));
            }
            1 => {
                input.extend_from_slice(b"PING\r\n");
                want.push(Ev::Ping);
            }
            2 => {
                input.extend_from_slice(format!("HMSG h {i} r 12 13\r\nNATS/1.0\r\n\r\nz\r\n").as_bytes());
                want.push(hmsg(b"h", i, Some(b"r"), b"NATS/1.0\r\n\r\n", b"z"));
            }
            3 => {
                input.extend_from_slice(b"MSG e 1 0\r\n\r\n");
                want.push(msg(b"e", 1, None, b""));
            }
            _ => {
                input.extend_from_slice(b"+OK\r\n");
                want.push(Ev::Ok);
            }
        }
    }
    let out = run_with(Parser::new(), [input.as_slice()]);
    assert_eq!(out.events, want);
    assert_eq!(out.leftover, 0);
    for chunk in [1, 2, 3, 5, 13, 64, 1000] {
        assert_eq!(run_with(Parser::new(), input.chunks(chunk)), out, "chunk {chunk}");
    }
}

#[test]
fn cr_lf_at_read_boundaries() {
    // control line CR at the end of one read, LF in the next; payload CRLF split
    let out = run_with(Parser::new(), [&b"MSG a 1 3\r"[..], b"\nabc\r", b"\n"]);
    assert_eq!(out.events, [msg(b"a", 1, None, b"abc")]);
    let out = run_with(Parser::new(), [&b"MSG a 1 3\r\nabc"[..], b"\r\nPI", b"NG\r\n"]);
    assert_eq!(out.events, [msg(b"a", 1, None, b"abc"), Ev::Ping]);
    // the parser itself: incomplete terminator is "need more", a wrong one an error
    let mut p = Parser::new();
    assert_eq!(p.parse(b"MSG a 1 3\r\nabc\r").unwrap(), None);
    assert!(p.parse(b"MSG a 1 3\r\nabc\rX").is_err());
}

#[test]
fn reset_after_reconnect() {
    // mid-frame disconnect: the engine throws its buffer away and resets
    let mut p = Parser::new();
    assert_eq!(p.parse(b"MSG a 1 10\r\nabc").unwrap(), None);
    p.reset();
    let f = p.parse(b"PING\r\n").unwrap().unwrap();
    assert_eq!(f, Frame { op: Op::Ping, len: 6 });
    let mut p = Parser::new();
    assert_eq!(p.parse(b"INFO {\"a\":").unwrap(), None);
    p.reset();
    assert_eq!(p.parse(b"+OK\r\n").unwrap().unwrap().op, Op::Ok);
    // calling again with the same incomplete buffer is idempotent
    let mut p = Parser::new();
    for _ in 0..3 {
        assert_eq!(p.parse(b"MSG a 1 3\r\nab").unwrap(), None);
    }
    assert!(p.parse(b"MSG a 1 3\r\nabc\r\n").unwrap().is_some());
}

#[test]
fn zero_copy_blank_guarantee() {
    // the engine overwrites buf[subject.end] / buf[reply.end] with NUL
    for input in [
        &b"MSG subj 1 reply 2\r\nhi\r\n"[..],
        b"MSG subj\t1\treply\t2\r\nhi\r\n",
        b"HMSG subj 1 reply 12 12\r\nNATS/1.0\r\n\r\n\r\n",
        b"HMSG subj  1 12 12\r\nNATS/1.0\r\n\r\n\r\n",
        b"MSG subj 1 2\r\nhi\r\n",
    ] {
        let mut buf = input.to_vec();
        let f = Parser::new().parse(&buf).unwrap().unwrap();
        if let Op::Msg { subject, reply, payload_start, .. } = f.op {
            assert!(matches!(buf[subject.end], b' ' | b'\t'));
            assert!(subject.end < payload_start - 1);
            buf[subject.end] = 0;
            assert_eq!(std::ffi::CStr::from_bytes_until_nul(&buf[subject.start..]).unwrap().to_bytes(), b"subj");
            if let Some(r) = reply {
                assert!(matches!(buf[r.end], b' ' | b'\t'));
                assert!(r.end < payload_start - 1);
                buf[r.end] = 0;
                assert_eq!(std::ffi::CStr::from_bytes_until_nul(&buf[r.start..]).unwrap().to_bytes(), b"reply");
            }
        } else {
            panic!();
        }
    }
}

// ---------------------------------------------------------------------------
// encoder / parser consistency
// ---------------------------------------------------------------------------

/// Turns a client `PUB`/`HPUB` frame into the `MSG`/`HMSG` the server would
/// deliver for subscription `sid`.
fn pub_to_msg(frame: &[u8], sid: u64) -> Vec<u8> {
    let (op_len, new_op): (usize, &[u8]) = if frame.starts_with(b"HPUB ") { (5, b"HMSG ") } else { (4, b"MSG ") };
    let subj_end = op_len + frame[op_len..].iter().position(|&b| b == b' ').unwrap();
    let mut out = new_op.to_vec();
    out.extend_from_slice(&frame[op_len..subj_end]);
    out.extend_from_slice(format!(" {sid}").as_bytes());
    out.extend_from_slice(&frame[subj_end..]);
    out
}

#[test]
fn encoded_pub_parses_as_msg() {
    let mut h = HeaderMap::new();
    h.add("A", "1").unwrap();
    h.add("A", "2").unwrap();
    h.set_status(100, Some("Idle Heartbeat"));
    let block = h.to_bytes();
    let payloads: [&[u8]; 4] = [b"", b"x", b"\r\nMSG a 1 1\r\nx\r\n", &[0u8, 255, 13, 10, 10, 13]];
    for payload in payloads {
        for reply in [None, Some(&b"_INBOX.r"[..])] {
            let mut out = Vec::new();
            encode::write_pub(&mut out, b"sub.j", reply, payload);
            assert_eq!(out.len(), encode::pub_frame_len(5, reply.map_or(0, |r| r.len()), payload.len()));
            let m = pub_to_msg(&out, 42);
            let o = all_splits(&m, SMALL);
            assert_eq!(o.events, [msg(b"sub.j", 42, reply, payload)]);

            let mut out = Vec::new();
            encode::write_hpub(&mut out, b"sub.j", reply, &block, payload);
            let m = pub_to_msg(&out, 7);
            let o = all_splits(&m, SMALL);
            assert_eq!(o.events, [hmsg(b"sub.j", 7, reply, &block, payload)]);
            assert_eq!(HeaderMap::decode(&block).unwrap(), h);
        }
    }
}

// ---------------------------------------------------------------------------
// randomized round trip and mutations (fixed seeds: reproducible)
// ---------------------------------------------------------------------------

fn rand_token(rng: &mut StdRng, max: usize) -> Vec<u8> {
    let len = rng.gen_range(1..=max);
    (0..len)
        .map(|_| loop {
            let b: u8 = if rng.gen_bool(0.8) { rng.gen_range(b'!'..=b'~') } else { rng.gen() };
            if !matches!(b, b' ' | b'\t' | b'\r' | b'\n') {
                break b;
            }
        })
        .collect()
}

fn rand_payload(rng: &mut StdRng, max: usize) -> Vec<u8> {
    let len = if rng.gen_bool(0.1) { 0 } else { rng.gen_range(0..=max) };
    let mut p: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
    if len >= 12 && rng.gen_bool(0.3) {
        let at = rng.gen_range(0..=len - 12);
        p[at..at + 12].copy_from_slice(b"\r\nMSG a 1 1\r");
    }
    p
}

fn rand_case(rng: &mut StdRng, op: &str) -> Vec<u8> {
    op.bytes().map(|b| if rng.gen_bool(0.2) { b.to_ascii_lowercase() } else { b }).collect()
}

fn rand_sep(rng: &mut StdRng) -> Vec<u8> {
    if rng.gen_bool(0.8) {
        return b" ".to_vec();
    }
    (0..rng.gen_range(1..=3)).map(|_| if rng.gen() { b' ' } else { b'\t' }).collect()
}

fn rand_eol(rng: &mut StdRng) -> &'static [u8] {
    match rng.gen_range(0..10) {
        0 => b"\n",
        1 => b" \r\n",
        2 => b"\t \r\n",
        3 => b" \n",
        _ => b"\r\n",
    }
}

fn rand_num(rng: &mut StdRng, n: u64) -> Vec<u8> {
    let mut s = Vec::new();
    if rng.gen_bool(0.05) {
        s.extend_from_slice(b"00");
    }
    encode::write_u64(&mut s, n);
    s
}

fn rand_headers(rng: &mut StdRng) -> HeaderMap {
    let mut h = HeaderMap::new();
    if rng.gen_bool(0.3) {
        let code = [100u16, 404, 408, 409, 503, 204][rng.gen_range(0..6)];
        let desc = ["", "No Messages", "Request Timeout", "Idle Heartbeat", "a  b"][rng.gen_range(0..5)];
        h.set_status(code, Some(desc));
    }
    for _ in 0..rng.gen_range(0..4) {
        let name: String = (0..rng.gen_range(1..8))
            .map(|_| loop {
                let c = rng.gen_range(33u8..=126);
                if c != b':' {
                    break c as char;
                }
            })
            .collect();
        // value: no CR/LF, no leading/trailing blanks (trimmed by decode)
        let mut value: String = (0..rng.gen_range(0..12))
            .map(|_| match rng.gen_range(0..12) {
                0 => ' ',
                1 => '\t',
                2 => 'ü',
                3 => '\0',
                _ => rng.gen_range(b'!'..=b'~') as char,
            })
            .collect();
        value = value.trim_matches(|c| c == ' ' || c == '\t').to_string();
        if rng.gen() {
            h.add(&name, &value).unwrap();
        } else {
            h.set(&name, &value).unwrap();
        }
    }
    h
}

/// One random valid server frame: its wire bytes and the expected event.
fn rand_frame(rng: &mut StdRng, max_payload: usize) -> (Vec<u8>, Ev) {
    let mut w = Vec::new();
    let ev = match rng.gen_range(0..10) {
        0 => {
            w.extend(rand_case(rng, "PING"));
            Ev::Ping
        }
        1 => {
            w.extend(rand_case(rng, "PONG"));
            Ev::Pong
        }
        2 => {
            w.extend(rand_case(rng, "+OK"));
            Ev::Ok
        }
        3 => {
            w.extend(rand_case(rng, "-ERR"));
            let words: Vec<String> = (0..rng.gen_range(0..4))
                .map(|_| String::from_utf8(rand_token(rng, 6).into_iter().filter(|b| b.is_ascii_alphanumeric()).collect()).unwrap())
                .filter(|s| !s.is_empty())
                .collect();
            let text = words.join(" ");
            if !text.is_empty() || rng.gen() {
                w.extend(rand_sep(rng));
                if rng.gen() {
                    w.push(b'\'');
                    w.extend_from_slice(text.as_bytes());
                    w.push(b'\'');
                } else {
                    w.extend_from_slice(text.as_bytes());
                }
            }
            Ev::Err(text)
        }
        4 => {
            w.extend(rand_case(rng, "INFO"));
            w.extend(rand_sep(rng));
            let json = format!("{{\"server_id\":\"{}\",\"port\":{}}}", rng.gen::<u32>(), rng.gen::<u16>());
            w.extend_from_slice(json.as_bytes());
            Ev::Info(json.into_bytes())
        }
        k => {
            let hdr = k >= 8;
            w.extend(rand_case(rng, if hdr { "HMSG" } else { "MSG" }));
            let subject = rand_token(rng, 20);
            let sid: u64 = if rng.gen_bool(0.1) { u64::MAX } else { rng.gen_range(0..1000) };
            let reply = if rng.gen() { Some(rand_token(rng, 30)) } else { None };
            let headers = if hdr { Some(rand_headers(rng).to_bytes()) } else { None };
            let hlen = headers.as_ref().map_or(0, |h| h.len());
            let payload = rand_payload(rng, max_payload.saturating_sub(hlen).min(300));
            w.extend(rand_sep(rng));
            w.extend_from_slice(&subject);
            w.extend(rand_sep(rng));
            w.extend(rand_num(rng, sid));
            if let Some(r) = &reply {
                w.extend(rand_sep(rng));
                w.extend_from_slice(r);
            }
            if hdr {
                w.extend(rand_sep(rng));
                w.extend(rand_num(rng, hlen as u64));
            }
            w.extend(rand_sep(rng));
            w.extend(rand_num(rng, (hlen + payload.len()) as u64));
            w.extend_from_slice(rand_eol(rng));
            if let Some(h) = &headers {
                w.extend_from_slice(h);
            }
            w.extend_from_slice(&payload);
            w.extend_from_slice(b"\r\n");
            return (w, Ev::Msg { subject, sid, reply, headers, payload });
        }
    };
    w.extend_from_slice(rand_eol(rng));
    (w, ev)
}

fn rand_chunks<'a>(rng: &mut StdRng, input: &'a [u8]) -> Vec<&'a [u8]> {
    let mut chunks = Vec::new();
    let mut i = 0;
    while i < input.len() {
        let n = match rng.gen_range(0..4) {
            0 => 1,
            1 => rng.gen_range(1..=8),
            2 => rng.gen_range(1..=64),
            _ => rng.gen_range(1..=input.len() - i),
        };
        let n = n.min(input.len() - i);
        chunks.push(&input[i..i + n]);
        // occasionally an empty read
        if rng.gen_bool(0.02) {
            chunks.push(&input[i..i]);
        }
        i += n;
    }
    chunks
}

#[test]
fn randomized_round_trip() {
    let max_payload = 1024;
    for seed in [1u64, 2, 3, 0xdead_beef] {
        let mut rng = StdRng::seed_from_u64(seed);
        for iter in 0..2500 {
            let mut input = Vec::new();
            let mut want = Vec::new();
            for _ in 0..rng.gen_range(1..=8) {
                let (bytes, ev) = rand_frame(&mut rng, max_payload);
                input.extend_from_slice(&bytes);
                want.push(ev);
            }
            let limits = (4096, max_payload);
            let whole = run_with(limits_parser(limits), [input.as_slice()]);
            assert_eq!(whole.error, None, "seed {seed} iter {iter}: {:?}", String::from_utf8_lossy(&input));
            assert_eq!(whole.events, want, "seed {seed} iter {iter}");
            assert_eq!(whole.leftover, 0);
            let chunks = rand_chunks(&mut rng, &input);
            let split = run_with(limits_parser(limits), chunks);
            assert_eq!(split, whole, "seed {seed} iter {iter}");
            // header blocks round-trip through HeaderMap
            for ev in &want {
                if let Ev::Msg { headers: Some(h), .. } = ev {
                    let decoded = HeaderMap::decode(h).unwrap();
                    assert_eq!(&decoded.to_bytes(), h);
                }
            }
            // truncated stream: a prefix of the events, no error, rest is leftover
            let cut = rng.gen_range(0..=input.len());
            let part = run_with(limits_parser(limits), rand_chunks(&mut rng, &input[..cut]));
            assert_eq!(part.error, None);
            assert_eq!(part.events[..], want[..part.events.len()]);
        }
    }
}

fn mutate(rng: &mut StdRng, input: &mut Vec<u8>) {
    const INTERESTING: &[u8] = b" \t\r\n0123456789:'-+MSGHINFOPNK\xff\0";
    for _ in 0..rng.gen_range(1..=4) {
        let len = input.len();
        match rng.gen_range(0..6) {
            0 if len > 0 => {
                let i = rng.gen_range(0..len);
                input[i] = rng.gen();
            }
            1 if len > 0 => {
                let i = rng.gen_range(0..len);
                input[i] = INTERESTING[rng.gen_range(0..INTERESTING.len())];
            }
            2 => {
                let i = rng.gen_range(0..=len);
                input.insert(i, INTERESTING[rng.gen_range(0..INTERESTING.len())]);
            }
            3 if len > 0 => {
                let i = rng.gen_range(0..len);
                input.remove(i);
            }
            4 => {
                let i = rng.gen_range(0..=len);
                input.truncate(i);
            }
            _ if len > 0 => {
                // duplicate a slice
                let a = rng.gen_range(0..len);
                let b = rng.gen_range(a..=len.min(a + 16));
                let s = input[a..b].to_vec();
                let at = rng.gen_range(0..=input.len());
                input.splice(at..at, s);
            }
            _ => {}
        }
    }
}

#[test]
fn randomized_mutations_never_panic_and_split_invariant() {
    for seed in [10u64, 11, 12, 13] {
        let mut rng = StdRng::seed_from_u64(seed);
        for iter in 0..2500 {
            let mut input = Vec::new();
            for _ in 0..rng.gen_range(1..=5) {
                input.extend(rand_frame(&mut rng, 256).0);
            }
            mutate(&mut rng, &mut input);
            let limits = (rng.gen_range(4..200), rng.gen_range(0..300));
            let whole = run_with(limits_parser(limits), [input.as_slice()]);
            let split = run_with(limits_parser(limits), rand_chunks(&mut rng, &input));
            assert_eq!(split, whole, "seed {seed} iter {iter}: {:?}", String::from_utf8_lossy(&input));
            if iter % 50 == 0 {
                let bytes = run_with(limits_parser(limits), input.chunks(1));
                assert_eq!(bytes, whole, "seed {seed} iter {iter} bytewise");
            }
            // downstream decoders must not panic on whatever the parser accepted
            for ev in &whole.events {
                match ev {
                    Ev::Msg { headers: Some(h), .. } => {
                        if let Ok(m) = HeaderMap::decode(h) {
                            assert_eq!(HeaderMap::decode(&m.to_bytes()).unwrap(), m);
                        }
                    }
                    Ev::Info(j) => {
                        let _ = ServerInfo::parse(j);
                    }
                    _ => {}
                }
            }
        }
    }
}

#[test]
fn randomized_header_blocks() {
    let mut rng = StdRng::seed_from_u64(99);
    for _ in 0..3000 {
        let h = rand_headers(&mut rng);
        let block = h.to_bytes();
        assert_eq!(block.len(), h.encoded_len());
        let d = HeaderMap::decode(&block).unwrap();
        assert_eq!(d, h);
        // mutated blocks: never panic; whatever decodes re-encodes stably
        let mut m = block.clone();
        mutate(&mut rng, &mut m);
        if let Ok(d) = HeaderMap::decode(&m) {
            let again = d.to_bytes();
            assert_eq!(HeaderMap::decode(&again).unwrap(), d);
        }
    }
}
