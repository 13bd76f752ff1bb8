//! Inline reads (`Connection::read_attach` / `read_inline` / `read_detach`): a thread that polls
//! a dup of the plain socket reads and routes input itself; the I/O task still reads what an
//! attached thread leaves (every `ATTACHED_CHECK`), reads at once again after a detach, and a
//! socket's end reaches the attached thread as `Gone`.
//!
//! Every test starts its own server; every wait has a deadline.
use crate::common;

use std::os::fd::{AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use common::{connect, wait_until, NatsServer};
use natsrs::connection::{InlineRead, ATTACHED_CHECK};
use natsrs::error::Status;
use natsrs::Options;

const WAIT: Duration = Duration::from_secs(10);

fn conn(s: &NatsServer) -> common::Conn {
    let mut o = Options::default();
    o.set_url(&s.url()).expect("set_url");
    o.max_reconnect = -1;
    o.reconnect_wait = Duration::from_millis(50);
    connect(o)
}

/// Attaches, retrying while the socket is not served yet (right after connect or a reconnect).
fn attach(nc: &natsrs::Connection) -> (OwnedFd, u64) {
    let deadline = Instant::now() + WAIT;
    loop {
        match nc.read_attach() {
            Ok(a) => return a,
            Err(e) if e.status == Status::NotConnected && Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => panic!("attach: {e}"),
        }
    }
}

fn readable(fd: &OwnedFd, timeout: Duration) -> bool {
    let mut p = libc::pollfd { fd: fd.as_raw_fd(), events: libc::POLLIN, revents: 0 };
    // SAFETY: one valid pollfd for the duration of the call.
    let n = unsafe { libc::poll(&mut p, 1, timeout.as_millis() as i32) };
    n == 1
}

#[test]
fn the_attached_thread_routes_input_and_reports_signalled_subscriptions() {
    let s = NatsServer::start();
    let nc = conn(&s);
    let sub = nc.subscribe_sync("inl.a", None).unwrap();
    let _fd = sub.notify_fd().unwrap();
    nc.flush(WAIT).unwrap();
    let (dup, gen) = attach(&nc);
    // Held: the I/O task leaves all input to this thread (on a loaded machine this thread may
    // otherwise come to read only after the I/O task's check found the loop idle and read it).
    nc.read_hold(gen, true);
    let pc = conn(&s);
    for i in 0..100 {
        pc.publish("inl.a", format!("m{i}").as_bytes()).unwrap();
    }
    pc.flush(WAIT).unwrap();
    let mut got = 0usize;
    let mut bytes = 0usize;
    let mut signalled = Vec::new();
    let mut seen_sid = false;
    let deadline = Instant::now() + WAIT;
    while got < 100 && Instant::now() < deadline {
        if readable(&dup, Duration::from_millis(100)) {
            match nc.read_inline(gen, &mut signalled, 8) {
                InlineRead::Read { bytes: n, .. } => bytes += n,
                InlineRead::Gone => panic!("socket gone"),
            }
            seen_sid |= signalled.contains(&sub.sid());
        }
        got += sub.try_next_msgs(1000).unwrap().len();
    }
    assert_eq!(got, 100);
    assert!(bytes > 0, "the attached thread read nothing: the I/O task read it all");
    assert!(seen_sid, "the subscription's notify-fd signal was not reported");
    // a request-reply and a flush (its PONG read inline) while attached
    let rs = pc.subscribe_sync("inl.rr", None).unwrap();
    pc.flush(WAIT).unwrap();
    let t = std::thread::spawn(move || {
        let m = rs.next_msg(WAIT).unwrap();
        m.respond(b"pong").unwrap();
    });
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let r = {
        let nc2: natsrs::Connection = (*nc).clone();
        let stop2 = stop.clone();
        let reader = std::thread::spawn(move || {
            let mut v = Vec::new();
            while !stop2.load(std::sync::atomic::Ordering::Relaxed) {
                if readable(&dup, Duration::from_millis(20)) {
                    let _ = nc2.read_inline(gen, &mut v, 0);
                }
            }
        });
        let r = nc.request("inl.rr", b"ping", WAIT).unwrap();
        nc.flush(WAIT).unwrap();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        reader.join().unwrap();
        r
    };
    assert_eq!(r.data(), b"pong");
    t.join().unwrap();
    nc.read_detach(gen);
}

#[test]
fn input_an_attached_thread_leaves_is_read_by_the_io_task() {
    let s = NatsServer::start();
    let nc = conn(&s);
    let sub = nc.subscribe_sync("inl.b", None).unwrap();
    nc.flush(WAIT).unwrap();
    let (_dup, gen) = attach(&nc);
    // nobody reads inline: the I/O task's check picks the input up
    let t0 = Instant::now();
    nc.publish("inl.b", b"x").unwrap();
    let m = sub.next_msg(WAIT).expect("message read by the I/O task's check");
    assert_eq!(m.data(), b"x");
    nc.flush(WAIT).unwrap();
    assert!(t0.elapsed() < WAIT);
    // after a detach the I/O task reads as soon as input comes (many round trips, each far
    // shorter than the attached check interval)
    nc.read_detach(gen);
    let t1 = Instant::now();
    for _ in 0..20 {
        nc.flush(WAIT).unwrap();
    }
    let per = t1.elapsed() / 20;
    assert!(per < ATTACHED_CHECK * 50, "flush round trip {per:?}");
}

#[test]
fn a_socket_end_reaches_the_attached_thread_and_the_next_socket_can_be_attached() {
    let mut s = NatsServer::start();
    let nc = conn(&s);
    let sub = nc.subscribe_sync("inl.c", None).unwrap();
    nc.flush(WAIT).unwrap();
    let (dup, gen) = attach(&nc);
    s.restart();
    // the shut-down socket makes the dup readable; the inline read answers Gone
    let deadline = Instant::now() + WAIT;
    let mut v = Vec::new();
    let mut gone = false;
    while !gone && Instant::now() < deadline {
        if readable(&dup, Duration::from_millis(100)) {
            gone = nc.read_inline(gen, &mut v, 4) == InlineRead::Gone;
        }
    }
    assert!(gone, "the attached thread never saw the socket end");
    drop(dup);
    // (the inline read may see the end before the I/O task does: until then the status still
    // says Connected, so wait for the reconnect itself)
    assert!(wait_until(|| nc.reconnects() >= 1 && nc.status() == natsrs::connection::ConnectionStatus::Connected, WAIT));
    let (dup2, gen2) = attach(&nc);
    assert_ne!(gen, gen2);
    assert_eq!(nc.read_inline(gen, &mut v, 4), InlineRead::Gone, "the old generation is gone");
    let pc = conn(&s);
    pc.publish("inl.c", b"after").unwrap();
    pc.flush(WAIT).unwrap();
    let deadline = Instant::now() + WAIT;
    let mut got = None;
    while got.is_none() && Instant::now() < deadline {
        if readable(&dup2, Duration::from_millis(50)) {
            assert!(matches!(nc.read_inline(gen2, &mut v, 4), InlineRead::Read { .. }));
        }
        got = sub.try_next_msgs(1).unwrap().pop();
    }
    assert_eq!(got.expect("message after the reconnect").data(), b"after");
    nc.close();
    assert_eq!(nc.read_attach().unwrap_err().status, Status::ConnectionClosed);
    assert_eq!(nc.read_inline(gen2, &mut v, 4), InlineRead::Gone);
}

/// A read that stops at its budget says so (`more`), so an edge-triggered poller calls again
/// before it waits; a read that found the socket drained says it has nothing more.
#[test]
fn a_read_stopped_at_its_budget_says_more_is_waiting() {
    let s = NatsServer::start();
    let nc = conn(&s);
    let sub = nc.subscribe_sync("inl.flood", None).unwrap();
    sub.set_pending_limits(-1, -1).unwrap();
    nc.flush(WAIT).unwrap();
    let (dup, gen) = attach(&nc);
    let pc = conn(&s);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flood = {
        let stop = stop.clone();
        let payload = vec![b'x'; 32 * 1024];
        std::thread::spawn(move || {
            let deadline = Instant::now() + WAIT;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) && Instant::now() < deadline {
                for _ in 0..64 {
                    pc.publish("inl.flood", &payload).unwrap();
                }
                pc.flush(WAIT).unwrap();
            }
        })
    };
    let (mut more_seen, mut drained_seen) = (false, false);
    let mut v = Vec::new();
    let deadline = Instant::now() + WAIT;
    while !(more_seen && drained_seen) && Instant::now() < deadline {
        if !readable(&dup, Duration::from_millis(100)) {
            continue;
        }
        match nc.read_inline(gen, &mut v, 0) {
            InlineRead::Read { bytes, more } => {
                more_seen |= more;
                drained_seen |= bytes > 0 && !more;
            }
            InlineRead::Gone => panic!("socket gone"),
        }
        while !sub.try_next_msgs(10_000).unwrap().is_empty() {}
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    flood.join().unwrap();
    assert!(more_seen, "no read stopped at its budget during a flood");
    assert!(drained_seen, "no read reported a drained socket");
}

#[test]
fn a_hold_keeps_the_io_task_from_reading_until_released() {
    let s = NatsServer::start();
    let nc = conn(&s);
    let sub = nc.subscribe_sync("inl.hold", None).unwrap();
    nc.flush(WAIT).unwrap();
    let (dup, gen) = attach(&nc);
    nc.read_hold(gen, true);
    let pc = conn(&s);
    pc.publish("inl.hold", b"held").unwrap();
    pc.flush(WAIT).unwrap();
    assert!(readable(&dup, WAIT), "the message reached the socket");
    // several of the I/O task's checks pass: held input stays in the socket
    std::thread::sleep(ATTACHED_CHECK * 5);
    assert!(sub.try_next_msgs(10).unwrap().is_empty(), "the I/O task read held input");
    // released and still not read inline: the I/O task's check picks it up
    nc.read_hold(gen, false);
    let m = sub.next_msg(WAIT).expect("read by the I/O task after the release");
    assert_eq!(m.data(), b"held");
    // a hold on another generation changes nothing; a detach releases a hold
    nc.read_hold(gen + 1000, true);
    nc.read_hold(gen, true);
    nc.read_detach(gen);
    pc.publish("inl.hold", b"after").unwrap();
    assert_eq!(sub.next_msg(WAIT).expect("read after the detach").data(), b"after");
}
