//! A scripted NATS server peer for tests of what a real server never does (hostile INFO fields)
//! or of client-side failures that happen before any real exchange. Shared by `tests/urls.rs`,
//! `tests/files.rs` (modules of `tests/it.rs`) and `tests/hostile.rs`.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

/// How long a scripted peer waits for a line from the client.
pub const PEER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Accepts up to `max_conns` connections and runs `script(n, stream)` for the n-th (0-based),
/// each on its own thread. Returns the port.
pub fn peer<F>(max_conns: usize, script: F) -> u16
where
    F: Fn(usize, TcpStream) + Send + Sync + 'static,
{
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let script = Arc::new(script);
    thread::spawn(move || {
        for (i, s) in l.incoming().enumerate() {
            let Ok(s) = s else { break };
            let sc = script.clone();
            thread::spawn(move || sc(i, s));
            if i + 1 >= max_conns {
                break;
            }
        }
    });
    port
}

/// Sends `info_json` as INFO, reads CONNECT + PING, answers PONG. Returns a line reader over
/// the socket, or None when the client went away before finishing the handshake.
pub fn handshake(s: &mut TcpStream, info_json: &str) -> Option<BufReader<TcpStream>> {
    s.set_read_timeout(Some(PEER_READ_TIMEOUT)).ok()?;
    s.write_all(format!("INFO {info_json}\r\n").as_bytes()).ok()?;
    let mut r = BufReader::new(s.try_clone().ok()?);
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    if !line.starts_with("CONNECT {") {
        return None;
    }
    line.clear();
    r.read_line(&mut line).ok()?;
    if line != "PING\r\n" {
        return None;
    }
    s.write_all(b"PONG\r\n").ok()?;
    Some(r)
}

/// Answers every PING with PONG until the client goes away or `PEER_READ_TIMEOUT` passes.
pub fn answer_pings(s: &mut TcpStream, r: &mut BufReader<TcpStream>) {
    loop {
        let mut line = String::new();
        match r.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                if line == "PING\r\n" && s.write_all(b"PONG\r\n").is_err() {
                    return;
                }
            }
        }
    }
}

/// Runs `f` on its own thread and returns its result, or panics naming `what` when it has not
/// returned within `limit` (a hang fails the test instead of blocking the suite).
pub fn within<T: Send + 'static>(what: &str, limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit).unwrap_or_else(|_| panic!("{what} did not return within {limit:?}"))
}
