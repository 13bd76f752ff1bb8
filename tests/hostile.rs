//! Issue 8's hostile-server and race defects, each against a scripted TCP peer (behaviour a real
//! server never shows) or a real server: bad discovered URLs, a hanging dial during close, a PING
//! flood from a peer that never reads, an -ERR flood with a slow error handler, close and
//! unsubscribe races between handlers, unread messages that must not pin read chunks.

use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

mod common;
mod peer;

use common::{wait_until, NatsServer};
use natsrs::{Connection, ConnectionStatus, Error, Options, Subscription};

const INFO: &str = r#"{"server_id":"FAKE","version":"2.15.1","proto":1,"headers":true,"max_payload":1048576}"#;

/// The scripted peer's handshake; the test ends the connection if the client went away.
fn handshake(mut s: TcpStream, info_json: &str) -> (TcpStream, BufReader<TcpStream>) {
    let r = peer::handshake(&mut s, info_json).expect("the client completes the handshake");
    (s, r)
}

/// Answers every PING with PONG until the socket closes.
fn serve_pings(mut s: TcpStream, mut r: BufReader<TcpStream>) {
    peer::answer_pings(&mut s, &mut r);
}

/// Up to 20 connections.
fn peer<F>(script: F) -> u16
where
    F: Fn(usize, TcpStream) + Send + Sync + 'static,
{
    peer::peer(20, script)
}

fn opts(port: u16) -> Options {
    let mut o = Options::default();
    o.set_url(&format!("nats://127.0.0.1:{}", port)).unwrap();
    o.reconnect_wait = Duration::from_millis(50);
    o.reconnect_jitter = Duration::ZERO;
    o.connect_timeout = Duration::from_millis(500);
    o
}

fn errors_into(o: &mut Options) -> Arc<Mutex<Vec<Error>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    o.error_cb = Some(Arc::new(move |_c: &Connection, _s: Option<&Subscription>, e: &Error| s.lock().unwrap().push(e.clone())));
    seen
}

fn rss_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = s.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Defect 1: a multi-byte character after '%' in a discovered URL, in the first INFO and in a
/// later one: the URL is skipped and reported; the connection keeps working.
#[test]
fn bad_connect_urls_are_skipped_and_reported() {
    let bad_info = "{\"server_id\":\"FAKE\",\"proto\":1,\"headers\":true,\"max_payload\":1048576,\"connect_urls\":[\"a:%1\u{e9}@h:4222\",\"127.0.0.1:1\"]}";
    let port = peer(move |_, s| {
        let (mut s, r) = handshake(s, bad_info);
        thread::sleep(Duration::from_millis(200));
        let _ =
            s.write_all("INFO {\"server_id\":\"FAKE\",\"proto\":1,\"connect_urls\":[\"x:%2\u{20ac}@h:1\",\"127.0.0.1:1\"]}\r\n".as_bytes());
        serve_pings(s, r);
    });
    let mut o = opts(port);
    let errors = errors_into(&mut o);
    let nc = Connection::connect(o).expect("connect with a bad connect_urls entry");
    thread::sleep(Duration::from_millis(400));
    nc.flush(Duration::from_secs(2)).expect("the connection still works after a bad async INFO");
    assert_eq!(nc.status(), ConnectionStatus::Connected);
    assert!(nc.servers().iter().any(|u| u.ends_with(":1")), "{:?}", nc.servers());
    assert!(wait_until(|| errors.lock().unwrap().len() >= 2, Duration::from_secs(2)), "{:?}", errors.lock().unwrap());
    nc.close();
}

/// Issue 7: close during a reconnect whose dial hangs (the peer accepts and never sends INFO)
/// returns at once instead of waiting for the connect timeout.
#[test]
fn close_cancels_a_hanging_dial() {
    let port = peer(|_, s| {
        thread::sleep(Duration::from_secs(20));
        drop(s);
    });
    let mut o = opts(port);
    o.connect_timeout = Duration::from_secs(5);
    o.retry_on_failed_connect = true;
    let nc = Connection::connect(o).unwrap();
    thread::sleep(Duration::from_millis(300));
    let t = Instant::now();
    nc.close();
    assert!(t.elapsed() < Duration::from_millis(1500), "close took {:?}", t.elapsed());
}

/// Defect 6: a peer that floods PING and never reads gets no unbounded PONG queue; the
/// connection is treated as stale, and a publish does not block for long.
#[test]
fn ping_flood_from_a_peer_that_never_reads() {
    let stop = Arc::new(AtomicBool::new(false));
    let st = stop.clone();
    let port = peer(move |i, s| {
        let (mut s, _r) = handshake(s, INFO);
        if i > 0 {
            // Later connections behave.
            serve_pings(s, _r);
            return;
        }
        let flood = b"PING\r\n".repeat(10_000);
        let t = Instant::now();
        while !st.load(Ordering::Relaxed) && t.elapsed() < Duration::from_secs(20) {
            if s.write_all(&flood).is_err() {
                break;
            }
        }
    });
    let before = rss_kib();
    let mut o = opts(port);
    let disconnects = Arc::new(AtomicUsize::new(0));
    let d = disconnects.clone();
    o.disconnected_cb = Some(Arc::new(move |_c: &Connection, _e: &Error| {
        d.fetch_add(1, Ordering::SeqCst);
    }));
    let nc = Connection::connect(o).unwrap();
    let t = Instant::now();
    let mut slowest = Duration::ZERO;
    while disconnects.load(Ordering::SeqCst) == 0 && t.elapsed() < Duration::from_secs(15) {
        let p = Instant::now();
        let _ = nc.publish("x", b"0123456789abcdef");
        slowest = slowest.max(p.elapsed());
        thread::sleep(Duration::from_millis(20));
    }
    stop.store(true, Ordering::Relaxed);
    let grown = rss_kib().saturating_sub(before);
    assert!(disconnects.load(Ordering::SeqCst) >= 1, "the flooding peer was never dropped");
    assert!(grown < 128 * 1024, "RSS grew by {} KiB", grown);
    assert!(slowest < Duration::from_secs(7), "a publish blocked for {:?}", slowest);
    nc.close();
}

/// Defect 8: 20,000 -ERR lines with a 1 ms error handler: the error queue is bounded and close
/// returns promptly.
#[test]
fn error_flood_with_a_slow_handler_closes_promptly() {
    let port = peer(|_, s| {
        let (mut s, r) = handshake(s, INFO);
        let line = b"-ERR 'Permissions Violation for Publish to \"denied\"'\r\n".repeat(20_000);
        let _ = s.write_all(&line);
        serve_pings(s, r);
    });
    let mut o = opts(port);
    let handled = Arc::new(AtomicUsize::new(0));
    let h = handled.clone();
    o.error_cb = Some(Arc::new(move |_c: &Connection, _s: Option<&Subscription>, _e: &Error| {
        h.fetch_add(1, Ordering::SeqCst);
        thread::sleep(Duration::from_millis(1));
    }));
    let nc = Connection::connect(o).unwrap();
    nc.flush(Duration::from_secs(10)).unwrap();
    let t = Instant::now();
    nc.close();
    assert!(t.elapsed() < Duration::from_secs(2), "close took {:?}", t.elapsed());
    assert!(handled.load(Ordering::SeqCst) <= natsrs::connection::MAX_QUEUED_ASYNC_ERRORS + 2);
}

/// Defects 3 and 5: two handlers close the connection at the same time (no deadlock), and a
/// second close() from outside waits until the running handler is done.
#[test]
fn handlers_closing_at_once_and_a_second_close() {
    let srv = NatsServer::start();
    let mut o = Options::default();
    o.set_url(&srv.url()).unwrap();
    o.closed_cb = Some(Arc::new(|_c: &Connection| {}));
    let nc = Connection::connect(o).unwrap();
    let done = Arc::new(AtomicUsize::new(0));
    let mut subs = Vec::new();
    for subj in ["a", "b"] {
        let (c, d) = (nc.clone(), done.clone());
        subs.push(
            nc.subscribe(
                subj,
                None,
                Box::new(move |_s, _m| {
                    thread::sleep(Duration::from_millis(100));
                    c.close();
                    d.fetch_add(1, Ordering::SeqCst);
                }),
            )
            .unwrap(),
        );
    }
    nc.publish("a", b"").unwrap();
    nc.publish("b", b"").unwrap();
    assert!(wait_until(|| done.load(Ordering::SeqCst) == 2, Duration::from_secs(10)), "handlers deadlocked in close");
    assert!(nc.is_closed());

    // A handler that runs for 500 ms; close from two threads: both return after it finished.
    let nc = common::connect({
        let mut o = Options::default();
        o.set_url(&srv.url()).unwrap();
        o
    });
    let finished = Arc::new(AtomicBool::new(false));
    let f = finished.clone();
    let started = Arc::new(AtomicBool::new(false));
    let s2 = started.clone();
    let _sub = nc
        .subscribe(
            "slow",
            None,
            Box::new(move |_s, _m| {
                s2.store(true, Ordering::SeqCst);
                thread::sleep(Duration::from_millis(500));
                f.store(true, Ordering::SeqCst);
            }),
        )
        .unwrap();
    nc.publish("slow", b"").unwrap();
    assert!(wait_until(|| started.load(Ordering::SeqCst), Duration::from_secs(5)));
    let c1 = nc.0.clone();
    let first = thread::spawn(move || c1.close());
    thread::sleep(Duration::from_millis(100));
    nc.close();
    assert!(finished.load(Ordering::SeqCst), "the second close returned while a handler was still running");
    first.join().unwrap();
}

/// Defect 4: two handlers unsubscribe each other's subscription at the same time.
#[test]
fn handlers_unsubscribing_each_other() {
    let srv = NatsServer::start();
    let nc = common::connect({
        let mut o = Options::default();
        o.set_url(&srv.url()).unwrap();
        o
    });
    let other: Arc<Mutex<[Option<Subscription>; 2]>> = Arc::new(Mutex::new([None, None]));
    let done = Arc::new(AtomicUsize::new(0));
    for (i, subj) in ["x", "y"].into_iter().enumerate() {
        let (o2, d) = (other.clone(), done.clone());
        let s = nc
            .subscribe(
                subj,
                None,
                Box::new(move |_s, _m| {
                    thread::sleep(Duration::from_millis(100));
                    let peer = o2.lock().unwrap()[1 - i].clone();
                    if let Some(p) = peer {
                        let _ = p.unsubscribe();
                    }
                    d.fetch_add(1, Ordering::SeqCst);
                }),
            )
            .unwrap();
        other.lock().unwrap()[i] = Some(s);
    }
    nc.publish("x", b"").unwrap();
    nc.publish("y", b"").unwrap();
    assert!(wait_until(|| done.load(Ordering::SeqCst) == 2, Duration::from_secs(10)), "handlers deadlocked in unsubscribe");
}

/// Defect 9: unread small messages must not pin the read chunks they arrived in. Each small
/// message arrives between large ones that a second subscription consumes at once, so every
/// read chunk holds one unread 15-byte message: 4,000 of them must not keep 4,000 chunks.
#[test]
fn unread_messages_do_not_pin_read_chunks() {
    let srv = NatsServer::start();
    let url = srv.url();
    let nc = common::connect({
        let mut o = Options::default();
        o.set_url(&url).unwrap();
        o
    });
    let pinned = nc.subscribe_sync("pin", None).unwrap();
    let consumed = Arc::new(AtomicUsize::new(0));
    let c2 = consumed.clone();
    let _big = nc
        .subscribe(
            "big",
            None,
            Box::new(move |_s, _m| {
                c2.fetch_add(1, Ordering::Relaxed);
            }),
        )
        .unwrap();
    nc.flush(Duration::from_secs(5)).unwrap();
    let publisher = common::connect({
        let mut o = Options::default();
        o.set_url(&url).unwrap();
        o
    });
    let big = vec![b'x'; 60 * 1024];
    let before = rss_kib();
    for i in 0..4000 {
        publisher.publish("big", &big).unwrap();
        publisher.publish("pin", b"fifteen bytes!!").unwrap();
        if i % 8 == 0 {
            publisher.flush(Duration::from_secs(5)).unwrap();
        }
    }
    publisher.flush(Duration::from_secs(5)).unwrap();
    assert!(
        wait_until(|| pinned.pending().0 == 4000 && consumed.load(Ordering::Relaxed) == 4000, Duration::from_secs(20)),
        "{:?}",
        pinned.pending()
    );
    let grown = rss_kib().saturating_sub(before);
    eprintln!("RSS grew by {} KiB", grown);
    // 4,000 pinned 64 KiB chunks would be 250 MB; the messages themselves are 60 KB.
    assert!(grown < 48 * 1024, "RSS grew by {} KiB for 60 KB of unread messages", grown);
}
