//! Feeds the input to `natsrs::proto::Parser` twice, the way the connection's
//! read loop does (append a read, parse until `None`, drain consumed bytes):
//! once whole and once split in two reads at `data[0]`. It must never panic,
//! and both runs must produce the same frames and the same error.
//! Accepted header blocks and INFO texts are passed on to their decoders.
#![no_main]

use libfuzzer_sys::fuzz_target;
use natsrs::proto::{HeaderMap, Op, Parser, ProtoError, ServerInfo};

#[derive(Debug, PartialEq, Eq)]
enum Ev {
    Info(Vec<u8>),
    Msg(Vec<u8>, u64, Option<Vec<u8>>, usize, Vec<u8>),
    Ping,
    Pong,
    Ok,
    Err(String),
}

fn run(reads: &[&[u8]], max_line: usize, max_payload: usize) -> (Vec<Ev>, Option<ProtoError>) {
    let mut p = Parser::with_limits(max_line, max_payload);
    let mut buf: Vec<u8> = Vec::new();
    let mut evs = Vec::new();
    for r in reads {
        buf.extend_from_slice(r);
        loop {
            match p.parse(&buf) {
                Ok(Some(f)) => {
                    assert!(f.len <= buf.len());
                    let ev = match f.op {
                        Op::Msg {
                            subject,
                            sid,
                            reply,
                            header_len,
                            total_len,
                            payload_start,
                        } => {
                            assert_eq!(payload_start + total_len + 2, f.len);
                            assert!(header_len <= total_len);
                            assert!(matches!(buf[subject.end], b' ' | b'\t'));
                            if let Some(r) = &reply {
                                assert!(matches!(buf[r.end], b' ' | b'\t'));
                            }
                            if header_len > 0 {
                                let block = &buf[payload_start..payload_start + header_len];
                                if let Ok(h) = HeaderMap::decode(block) {
                                    let again =
                                        HeaderMap::decode(&h.to_bytes()).expect("re-decode");
                                    assert_eq!(again, h);
                                }
                            }
                            Ev::Msg(
                                buf[subject].to_vec(),
                                sid,
                                reply.map(|r| buf[r].to_vec()),
                                header_len,
                                buf[payload_start..payload_start + total_len].to_vec(),
                            )
                        }
                        Op::Info { json } => {
                            let _ = ServerInfo::parse(&buf[json.clone()]);
                            Ev::Info(buf[json].to_vec())
                        }
                        Op::Ping => Ev::Ping,
                        Op::Pong => Ev::Pong,
                        Op::Ok => Ev::Ok,
                        Op::Err(s) => Ev::Err(s),
                    };
                    evs.push(ev);
                    buf.drain(..f.len);
                }
                Ok(None) => break,
                Err(e) => return (evs, Some(e)),
            }
        }
    }
    (evs, None)
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, input)) = data.split_first() else {
        return;
    };
    let split = first as usize % (input.len() + 1);
    let (a, b) = input.split_at(split);
    // Small limits so that the line and payload caps are exercised too.
    let (line, payload) = (256, 1024);
    let whole = run(&[input], line, payload);
    let two = run(&[a, b], line, payload);
    assert_eq!(whole, two, "split at {split} changed the result");
    // Default limits, one read.
    let _ = run(&[input], 1 << 20, 64 << 20);
});
