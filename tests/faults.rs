//! Behaviour a real server never shows: a scripted TCP peer sends malformed frames, goes silent,
//! or glues frames together. Everything else is tested against real nats-server processes.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::common;

use common::wait_until;
use natsrs::{Connection, ConnectionStatus, Options, Status};

const INFO: &str = "INFO {\"server_id\":\"FAKE\",\"version\":\"2.15.1\",\"proto\":1,\"headers\":true,\"max_payload\":1048576}\r\n";

/// Accepts connections and runs `script(n, stream)` for the n-th one (0-based).
fn peer<F>(script: F) -> (u16, thread::JoinHandle<()>)
where
    F: Fn(usize, TcpStream) + Send + Sync + 'static,
{
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let script = Arc::new(script);
    let h = thread::spawn(move || {
        for (i, s) in l.incoming().enumerate() {
            let Ok(s) = s else { break };
            let sc = script.clone();
            thread::spawn(move || sc(i, s));
            if i > 20 {
                break;
            }
        }
    });
    (port, h)
}

/// Sends INFO, reads CONNECT + PING, answers PONG. Returns a line reader over the socket.
fn handshake(mut s: TcpStream) -> (TcpStream, BufReader<TcpStream>) {
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(INFO.as_bytes()).unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    assert!(line.starts_with("CONNECT {"), "{}", line);
    line.clear();
    r.read_line(&mut line).unwrap();
    assert_eq!(line, "PING\r\n");
    s.write_all(b"PONG\r\n").unwrap();
    (s, r)
}

fn read_until(r: &mut BufReader<TcpStream>, prefix: &str) -> String {
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return String::new();
        }
        if line.starts_with(prefix) {
            return line;
        }
    }
}

fn opts(port: u16) -> Options {
    let mut o = Options::default();
    o.set_url(&format!("nats://127.0.0.1:{}", port)).unwrap();
    o.reconnect_wait = Duration::from_millis(50);
    o.reconnect_jitter = Duration::ZERO;
    o.connect_timeout = Duration::from_millis(500);
    o
}

#[test]
fn malformed_frame_causes_protocol_error_and_reconnect() {
    let conns = Arc::new(AtomicUsize::new(0));
    let c2 = conns.clone();
    let (port, _h) = peer(move |i, s| {
        c2.fetch_add(1, Ordering::SeqCst);
        let (mut s, mut r) = handshake(s);
        if i == 0 {
            s.write_all(b"MSG foo bar baz\r\n").unwrap();
            thread::sleep(Duration::from_millis(500));
        } else {
            let sub = read_until(&mut r, "SUB ");
            let sid = sub.trim().rsplit(' ').next().unwrap().to_string();
            s.write_all(format!("MSG x {} 2\r\nok\r\n", sid).as_bytes()).unwrap();
            thread::sleep(Duration::from_secs(2));
        }
    });
    let errs: Arc<Mutex<Vec<Status>>> = Arc::default();
    let e2 = errs.clone();
    let mut o = opts(port);
    o.disconnected_cb = Some(Arc::new(move |_, e| e2.lock().unwrap().push(e.status)));
    let nc = Connection::connect(o).unwrap();
    let sub = nc.subscribe_sync("x", None).unwrap();
    let m = sub.next_msg(Duration::from_secs(5)).unwrap();
    assert_eq!(m.data(), b"ok");
    assert!(conns.load(Ordering::SeqCst) >= 2);
    assert_eq!(errs.lock().unwrap().first(), Some(&Status::Protocol));
    assert_eq!(nc.stats().reconnects, 1);
}

#[test]
fn silent_server_fails_connect_with_timeout() {
    let (port, _h) = peer(|_, s| {
        thread::sleep(Duration::from_secs(3));
        drop(s);
    });
    let t0 = Instant::now();
    let e = Connection::connect(opts(port)).unwrap_err();
    assert_eq!(e.status, Status::Timeout);
    assert!(t0.elapsed() < Duration::from_secs(3));
}

#[test]
fn first_frame_not_info_is_a_protocol_error() {
    let (port, _h) = peer(|_, mut s| {
        let _ = s.write_all(b"PONG\r\n");
        thread::sleep(Duration::from_secs(1));
    });
    assert_eq!(Connection::connect(opts(port)).unwrap_err().status, Status::Protocol);
    let (port, _h) = peer(|_, mut s| {
        let _ = s.write_all(b"HELLO WORLD\r\n");
        thread::sleep(Duration::from_secs(1));
    });
    assert_eq!(Connection::connect(opts(port)).unwrap_err().status, Status::Protocol);
}

#[test]
fn info_glued_to_handshake_pong_is_processed() {
    let (port, _h) = peer(|_, mut s| {
        s.write_all(INFO.as_bytes()).unwrap();
        let mut r = BufReader::new(s.try_clone().unwrap());
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        line.clear();
        r.read_line(&mut line).unwrap();
        s.write_all(b"PONG\r\nINFO {\"server_id\":\"FAKE\",\"proto\":1,\"headers\":true,\"max_payload\":4096,\"connect_urls\":[\"127.0.0.1:1\"]}\r\n")
            .unwrap();
        thread::sleep(Duration::from_secs(2));
    });
    let nc = Connection::connect(opts(port)).unwrap();
    assert!(wait_until(|| nc.max_payload() == 4096, Duration::from_secs(3)));
    assert!(nc.discovered_servers().contains(&"nats://127.0.0.1:1".to_string()));
}

#[test]
fn server_ping_gets_pong_and_fatal_err_closes_with_text() {
    let got_pong = Arc::new(AtomicUsize::new(0));
    let g2 = got_pong.clone();
    let (port, _h) = peer(move |_, s| {
        let (mut s, mut r) = handshake(s);
        s.write_all(b"PING\r\n").unwrap();
        if read_until(&mut r, "PONG") == "PONG\r\n" {
            g2.fetch_add(1, Ordering::SeqCst);
        }
        s.write_all(b"-ERR 'Unknown Protocol Operation'\r\n").unwrap();
        thread::sleep(Duration::from_millis(500));
    });
    let closed = Arc::new(AtomicUsize::new(0));
    let c2 = closed.clone();
    let mut o = opts(port);
    o.closed_cb = Some(Arc::new(move |_| {
        c2.fetch_add(1, Ordering::SeqCst);
    }));
    let nc = Connection::connect(o).unwrap();
    assert!(wait_until(|| nc.is_closed(), Duration::from_secs(5)));
    assert_eq!(got_pong.load(Ordering::SeqCst), 1);
    let e = nc.last_error().unwrap();
    assert!(e.message.contains("Unknown Protocol Operation"), "{}", e);
    assert!(wait_until(|| closed.load(Ordering::SeqCst) == 1, Duration::from_secs(2)));
}

#[test]
fn permission_violation_is_an_async_error_and_connection_stays() {
    let (port, _h) = peer(|_, s| {
        let (mut s, mut r) = handshake(s);
        read_until(&mut r, "SUB ");
        s.write_all(b"-ERR 'Permissions Violation for Subscription to \"secret\"'\r\n").unwrap();
        // Answer the client's flush.
        read_until(&mut r, "PING");
        s.write_all(b"PONG\r\n").unwrap();
        thread::sleep(Duration::from_secs(2));
    });
    let errs: Arc<Mutex<Vec<(Status, bool)>>> = Arc::default();
    let e2 = errs.clone();
    let mut o = opts(port);
    o.error_cb = Some(Arc::new(move |_, sub, e| e2.lock().unwrap().push((e.status, sub.is_some()))));
    let nc = Connection::connect(o).unwrap();
    let sub = nc.subscribe_sync("secret", None).unwrap();
    assert_eq!(sub.next_msg(Duration::from_secs(5)).unwrap_err().status, Status::Permission);
    nc.flush(Duration::from_secs(5)).unwrap();
    assert!(wait_until(|| !errs.lock().unwrap().is_empty(), Duration::from_secs(2)));
    assert_eq!(errs.lock().unwrap()[0], (Status::Permission, true));
    assert_eq!(nc.status(), ConnectionStatus::Connected);
}

#[test]
fn eof_mid_payload_resets_parser_and_reconnects() {
    let (port, _h) = peer(|i, s| {
        let (mut s, mut r) = handshake(s);
        let sub = read_until(&mut r, "SUB ");
        let sid = sub.trim().rsplit(' ').next().unwrap().to_string();
        if i == 0 {
            s.write_all(format!("MSG p {} 10\r\nabc", sid).as_bytes()).unwrap();
            s.flush().unwrap();
            thread::sleep(Duration::from_millis(100));
            let _ = s.shutdown(std::net::Shutdown::Both);
        } else {
            s.write_all(format!("MSG p {} 5\r\nwhole\r\n", sid).as_bytes()).unwrap();
            thread::sleep(Duration::from_secs(2));
        }
    });
    let nc = Connection::connect(opts(port)).unwrap();
    let sub = nc.subscribe_sync("p", None).unwrap();
    let m = sub.next_msg(Duration::from_secs(5)).unwrap();
    assert_eq!(m.data(), b"whole");
    assert!(sub.next_msg(Duration::from_millis(200)).is_err());
}

#[test]
fn frames_split_into_single_bytes_are_parsed() {
    let (port, _h) = peer(|_, s| {
        let (mut s, mut r) = handshake(s);
        let sub = read_until(&mut r, "SUB ");
        let sid = sub.trim().rsplit(' ').next().unwrap().to_string();
        s.set_nodelay(true).unwrap();
        let frames = format!("MSG a {sid} 3\r\none\r\nHMSG a {sid} rep 22 25\r\nNATS/1.0\r\nX-Id: 17\r\n\r\ntwo\r\nmsg a {sid} 0\r\n\r\n");
        for b in frames.as_bytes() {
            s.write_all(&[*b]).unwrap();
            thread::sleep(Duration::from_micros(200));
        }
        let mut buf = [0u8; 64];
        let _ = s.read(&mut buf);
        thread::sleep(Duration::from_secs(1));
    });
    let nc = Connection::connect(opts(port)).unwrap();
    let sub = nc.subscribe_sync("a", None).unwrap();
    let t = Duration::from_secs(5);
    assert_eq!(sub.next_msg(t).unwrap().data(), b"one");
    let m = sub.next_msg(t).unwrap();
    assert_eq!(m.data(), b"two");
    assert_eq!(m.reply(), Some("rep"));
    assert_eq!(m.headers().unwrap().get("X-Id"), Some("17"));
    assert_eq!(sub.next_msg(t).unwrap().data(), b"");
}
