//! Reconnection against a single real `nats-server` (issue 3): restart on the same port,
//! subscriptions and publishes across an outage, the reconnect buffer, max reconnects,
//! retry-on-failed-connect, stale connections (SIGSTOP), reconnect delay/jitter, forced
//! reconnects, close during reconnect and requests in flight during a disconnect.
//!
//! Every test starts its own server(s) and closes its connections (see `Conn`), so the tests can
//! run in parallel threads. Waits are on conditions with generous deadlines, never fixed sleeps.
use crate::common;

use common::{connect, wait_until, Events};

use std::collections::HashSet;
use std::io::ErrorKind;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::NatsServer;
use natsrs::{Connection, ConnectionStatus, Options, Status};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Generous deadline for "eventually" conditions (reconnects, deliveries).
const LONG: Duration = Duration::from_secs(20);
/// Timeout for receiving one message that is expected to arrive.
const MSG: Duration = Duration::from_secs(5);

/// Options for `url` tuned for fast tests: short reconnect wait, small jitter, reconnect forever.
fn fast_opts(url: &str) -> Options {
    let mut o = Options::default();
    o.set_url(url).expect("set_url");
    o.reconnect_wait = Duration::from_millis(50);
    o.reconnect_jitter = Duration::from_millis(10);
    o.max_reconnect = -1;
    o
}

fn wait_status(nc: &Connection, want: ConnectionStatus) {
    assert!(wait_until(|| nc.status() == want, LONG), "status did not become {want:?} (is {:?})", nc.status());
}

fn text(m: &natsrs::Msg) -> String {
    String::from_utf8_lossy(m.data()).into_owned()
}

// ---------------------------------------------------------------------------------------------
// Scenario 1: server restart on the same port, plain subscription
// ---------------------------------------------------------------------------------------------

#[test]
fn restart_same_port_plain_sub_resumes() {
    let mut srv = NatsServer::start();
    let ev = Events::new();
    let mut o = fast_opts(&srv.url());
    ev.install(&mut o);
    let nc = connect(o);
    let sub = nc.subscribe_sync("rc.restart", None).unwrap();
    nc.publish("rc.restart", b"before").unwrap();
    assert_eq!(text(&sub.next_msg(MSG).unwrap()), "before");

    srv.restart();

    assert!(wait_until(|| ev.reconnected() == 1, LONG), "no reconnected callback");
    wait_status(&nc, ConnectionStatus::Connected);
    assert_eq!(ev.disconnected(), 1, "disconnected callback must fire once");
    assert_eq!(ev.closed(), 0);
    assert_eq!(ev.connected(), 0, "connected callback is only for retry_on_failed_connect");
    assert_eq!(nc.stats().reconnects, 1);
    assert_eq!(nc.connected_url().as_deref(), Some(srv.url().as_str()));

    // The SUB was re-sent: messages flow again.
    nc.publish("rc.restart", b"after").unwrap();
    nc.flush(MSG).unwrap();
    assert_eq!(text(&sub.next_msg(MSG).unwrap()), "after");
}

// ---------------------------------------------------------------------------------------------
// Scenario 2: subscribe / unsubscribe / publish while disconnected
// ---------------------------------------------------------------------------------------------

#[test]
fn subscription_made_while_disconnected_is_live_after_reconnect() {
    let mut srv = NatsServer::start();
    let ev = Events::new();
    let mut o = fast_opts(&srv.url());
    ev.install(&mut o);
    let nc = connect(o);
    let kept = nc.subscribe_sync("rc.kept", None).unwrap();
    let removed = nc.subscribe_sync("rc.removed", None).unwrap();
    nc.flush(MSG).unwrap();

    srv.stop();
    wait_status(&nc, ConnectionStatus::Reconnecting);

    // While disconnected: a new subscription, an unsubscribe, and buffered publishes.
    let added = nc.subscribe_sync("rc.added", None).unwrap();
    removed.unsubscribe().unwrap();
    nc.publish("rc.removed", b"must not arrive").unwrap();
    nc.publish("rc.kept", b"k").unwrap();
    nc.publish("rc.added", b"a").unwrap();

    srv.restart();
    assert!(wait_until(|| ev.reconnected() == 1, LONG), "no reconnect");

    // The buffered publishes go out after the resubscription, so both live subs see them.
    assert_eq!(text(&kept.next_msg(MSG).unwrap()), "k");
    assert_eq!(text(&added.next_msg(MSG).unwrap()), "a");

    // Fresh traffic after the reconnect reaches the new subscription too.
    nc.publish("rc.added", b"a2").unwrap();
    assert_eq!(text(&added.next_msg(MSG).unwrap()), "a2");

    // The removed subscription was not re-sent: the message published on it (before "k" and "a")
    // never came back to this connection.
    nc.flush(MSG).unwrap();
    assert_eq!(nc.stats().in_msgs, 3, "only k, a and a2 may be delivered");
    assert!(removed.next_msg(Duration::from_millis(50)).is_err());
}

#[test]
fn buffered_publishes_delivered_in_order_after_reconnect() {
    let mut srv = NatsServer::start();
    let ev = Events::new();
    let mut o = fast_opts(&srv.url());
    ev.install(&mut o);
    let nc = connect(o);
    let sub = nc.subscribe_sync("rc.buffered", None).unwrap();
    nc.flush(MSG).unwrap();

    srv.stop();
    wait_status(&nc, ConnectionStatus::Reconnecting);
    let e = nc.flush(MSG).unwrap_err();
    assert_eq!(e.status, Status::NotConnected, "flush while reconnecting fails at once: {e}");
    const N: usize = 500;
    for i in 0..N {
        nc.publish("rc.buffered", i.to_string().as_bytes()).expect("buffered publish");
    }
    srv.restart();
    assert!(wait_until(|| ev.reconnected() == 1, LONG), "no reconnect");

    for i in 0..N {
        let m = sub.next_msg(MSG).unwrap_or_else(|e| panic!("message {i} missing: {e}"));
        assert_eq!(text(&m), i.to_string(), "buffered publishes out of order");
    }
    nc.flush(MSG).unwrap();
    assert!(sub.next_msg(Duration::from_millis(100)).is_err(), "no duplicate replay");
}

// ---------------------------------------------------------------------------------------------
// Scenario 3: queue subscriptions across a restart
// ---------------------------------------------------------------------------------------------

/// Collects `n` messages from the queue members (each payload is a number) and checks that each
/// number 0..n arrived exactly once across all members.
fn collect_queue(members: &[natsrs::Subscription], n: usize, base: usize) {
    let mut seen = HashSet::new();
    let mut counts = vec![0usize; members.len()];
    let deadline = Instant::now() + LONG;
    while seen.len() < n && Instant::now() < deadline {
        for (i, s) in members.iter().enumerate() {
            if let Ok(m) = s.next_msg(Duration::from_millis(10)) {
                let v: usize = text(&m).parse().unwrap();
                assert!(seen.insert(v), "message {v} delivered to more than one member");
                counts[i] += 1;
            }
        }
    }
    assert_eq!(seen.len(), n, "not every queue message arrived");
    assert_eq!(seen, (base..base + n).collect::<HashSet<_>>());
    // Nothing more (no duplicates arrive late).
    for s in members {
        assert!(s.next_msg(Duration::from_millis(100)).is_err(), "extra queue message");
    }
}

#[test]
fn queue_subs_across_restart() {
    let mut srv = NatsServer::start();
    let (ea, eb, ep) = (Events::new(), Events::new(), Events::new());
    let mk = |ev: &Arc<Events>| {
        let mut o = fast_opts(&srv.url());
        ev.install(&mut o);
        connect(o)
    };
    let a = mk(&ea);
    let b = mk(&eb);
    let p = mk(&ep);
    let qa = a.subscribe_sync("rc.queue", Some("workers")).unwrap();
    let qb = b.subscribe_sync("rc.queue", Some("workers")).unwrap();
    a.flush(MSG).unwrap();
    b.flush(MSG).unwrap();

    const N: usize = 100;
    for i in 0..N {
        p.publish("rc.queue", i.to_string().as_bytes()).unwrap();
    }
    p.flush(MSG).unwrap();
    collect_queue(&[qa.clone(), qb.clone()], N, 0);

    srv.restart();
    assert!(
        wait_until(|| ea.reconnected() == 1 && eb.reconnected() == 1 && ep.reconnected() == 1, LONG),
        "not every connection reconnected"
    );
    a.flush(MSG).unwrap();
    b.flush(MSG).unwrap();
    for i in N..2 * N {
        p.publish("rc.queue", i.to_string().as_bytes()).unwrap();
    }
    p.flush(MSG).unwrap();
    collect_queue(&[qa, qb], N, N);
}

// ---------------------------------------------------------------------------------------------
// Scenario 4: auto-unsubscribe max across a restart
// ---------------------------------------------------------------------------------------------

#[test]
fn auto_unsubscribe_max_across_restart() {
    let mut srv = NatsServer::start();
    let ev = Events::new();
    let mut o = fast_opts(&srv.url());
    ev.install(&mut o);
    let nc = connect(o);
    let sub = nc.subscribe_sync("rc.autounsub", None).unwrap();
    const MAX: u64 = 10;
    sub.auto_unsubscribe(MAX).unwrap();

    for i in 0..5 {
        nc.publish("rc.autounsub", format!("{i}").as_bytes()).unwrap();
    }
    for _ in 0..5 {
        sub.next_msg(MSG).unwrap();
    }

    srv.restart();
    assert!(wait_until(|| ev.reconnected() == 1, LONG), "no reconnect");
    for i in 5..30 {
        nc.publish("rc.autounsub", format!("{i}").as_bytes()).unwrap();
    }
    nc.flush(MSG).unwrap();

    let mut got = 5u64;
    loop {
        match sub.next_msg(Duration::from_millis(300)) {
            Ok(_) => got += 1,
            Err(e) => {
                assert_ne!(e.status, Status::Timeout, "subscription should have ended at its max ({got} received)");
                assert_eq!(e.status, Status::MaxMessages);
                break;
            }
        }
        assert!(got <= MAX, "received more than the auto-unsubscribe max");
    }
    assert_eq!(got, MAX, "exactly max messages must be delivered in total");
    assert_eq!(sub.delivered(), MAX);
}

// ---------------------------------------------------------------------------------------------
// Scenario 5: the reconnect buffer
// ---------------------------------------------------------------------------------------------

#[test]
fn reconnect_buffer_overflow_fails_with_buffer_full() {
    let mut srv = NatsServer::start();
    let ev = Events::new();
    let mut o = fast_opts(&srv.url());
    o.reconnect_buf_size = 2048;
    ev.install(&mut o);
    let nc = connect(o);
    let sub = nc.subscribe_sync("rc.bufsize", None).unwrap();
    nc.flush(MSG).unwrap();

    srv.stop();
    wait_status(&nc, ConnectionStatus::Reconnecting);

    let payload = [b'x'; 100];
    let mut accepted = 0usize;
    let err = loop {
        match nc.publish("rc.bufsize", &payload) {
            Ok(()) => accepted += 1,
            Err(e) => break e,
        }
        assert!(accepted <= 2048 / 100, "the reconnect buffer accepted more than its size");
    };
    assert_eq!(err.status, Status::BufferFull, "unexpected error: {err}");
    assert!(accepted >= 1, "a 2 KiB buffer must take at least one 100-byte message");
    // Still full: the next publish fails synchronously too.
    assert_eq!(nc.publish("rc.bufsize", &payload).unwrap_err().status, Status::BufferFull);

    // The accepted messages are delivered after the reconnect; nothing else.
    srv.restart();
    assert!(wait_until(|| ev.reconnected() == 1, LONG), "no reconnect");
    for i in 0..accepted {
        sub.next_msg(MSG).unwrap_or_else(|e| panic!("buffered message {i} of {accepted} missing: {e}"));
    }
    nc.flush(MSG).unwrap();
    assert!(sub.next_msg(Duration::from_millis(100)).is_err());
    // Connected again: publishing is not limited by the reconnect buffer.
    for _ in 0..100 {
        nc.publish("rc.bufsize", &payload).unwrap();
    }
    nc.flush(MSG).unwrap();
}

#[test]
fn reconnect_buffer_disabled_fails_at_once() {
    let mut srv = NatsServer::start();
    let mk = |size: i64| {
        let mut o = fast_opts(&srv.url());
        o.reconnect_buf_size = size;
        connect(o)
    };
    let zero = mk(0);
    let negative = mk(-1);
    // Connected: publishing works whatever the reconnect buffer size.
    zero.publish("rc.nobuf", b"x").unwrap();
    negative.publish("rc.nobuf", b"x").unwrap();
    zero.flush(MSG).unwrap();
    negative.flush(MSG).unwrap();

    srv.stop();
    wait_status(&zero, ConnectionStatus::Reconnecting);
    wait_status(&negative, ConnectionStatus::Reconnecting);
    for nc in [&zero, &negative] {
        let e = nc.publish("rc.nobuf", b"x").unwrap_err();
        assert_eq!(e.status, Status::BufferFull, "unexpected error: {e}");
        let e = nc.publish("rc.nobuf", b"").unwrap_err();
        assert_eq!(e.status, Status::BufferFull, "even an empty message is refused: {e}");
    }
}

// ---------------------------------------------------------------------------------------------
// Scenario 11 / 13: max reconnects exhausted, reconnect disabled
// ---------------------------------------------------------------------------------------------

#[test]
fn max_reconnects_exhausted_closes_once() {
    let mut srv = NatsServer::start();
    let ev = Events::new();
    let mut o = fast_opts(&srv.url());
    o.max_reconnect = 3;
    o.reconnect_wait = Duration::from_millis(20);
    o.reconnect_jitter = Duration::ZERO;
    ev.install(&mut o);
    let nc = connect(o);

    srv.kill_hard();

    assert!(wait_until(|| ev.closed() >= 1, LONG), "closed callback did not fire");
    assert_eq!(nc.status(), ConnectionStatus::Closed);
    assert!(nc.is_closed());
    let last = nc.last_error().expect("last error after max reconnects");
    assert_eq!(last.status, Status::NoServers, "last error: {last}");
    // Give any duplicate event a chance to show up.
    thread::sleep(Duration::from_millis(300));
    assert_eq!(ev.closed(), 1, "closed callback must fire exactly once");
    assert_eq!(ev.disconnected(), 1, "disconnected callback must fire exactly once");
    assert_eq!(ev.reconnected(), 0);
    assert_eq!(nc.publish("rc.x", b"x").unwrap_err().status, Status::ConnectionClosed);
    // Closing again is harmless and fires nothing.
    nc.close();
    assert_eq!(ev.closed(), 1);
}

#[test]
fn reconnect_disabled_closes_on_first_drop() {
    let mut srv = NatsServer::start();
    let ev = Events::new();
    let mut o = fast_opts(&srv.url());
    o.allow_reconnect = false;
    ev.install(&mut o);
    let nc = connect(o);

    srv.stop();

    assert!(wait_until(|| ev.closed() == 1, LONG), "closed callback did not fire");
    assert_eq!(nc.status(), ConnectionStatus::Closed);
    thread::sleep(Duration::from_millis(200));
    assert_eq!(ev.closed(), 1);
    assert_eq!(ev.disconnected(), 1);
    assert_eq!(ev.reconnected(), 0);
    assert_eq!(nc.stats().reconnects, 0);
}

// ---------------------------------------------------------------------------------------------
// Scenario 14: retry on failed initial connect
// ---------------------------------------------------------------------------------------------

#[test]
fn retry_on_failed_connect_succeeds_when_server_starts_later() {
    let mut srv = NatsServer::start();
    srv.stop(); // keep its port, start it again below
    let ev = Events::new();
    let mut o = fast_opts(&srv.url());
    o.retry_on_failed_connect = true;
    ev.install(&mut o);

    let nc = connect(o); // returns at once although no server is up
    assert_ne!(nc.status(), ConnectionStatus::Connected);
    assert_ne!(nc.status(), ConnectionStatus::Closed);
    assert!(nc.connected_url().is_none());

    // Subscriptions and publishes made before the first connect take effect once connected.
    let sub = nc.subscribe_sync("rc.retry", None).unwrap();
    for i in 0..10 {
        nc.publish("rc.retry", i.to_string().as_bytes()).unwrap();
    }

    srv.restart();
    assert!(wait_until(|| ev.connected() == 1, LONG), "connected callback did not fire");
    wait_status(&nc, ConnectionStatus::Connected);
    for i in 0..10 {
        assert_eq!(text(&sub.next_msg(MSG).unwrap()), i.to_string());
    }
    assert_eq!(ev.reconnected(), 0, "the first connect is not a reconnect");
    assert_eq!(nc.stats().reconnects, 0);
    assert_eq!(ev.disconnected(), 0);
    assert_eq!(nc.connected_url().as_deref(), Some(srv.url().as_str()));
    nc.flush(MSG).unwrap();
}

#[test]
fn connect_without_retry_fails_when_no_server() {
    let mut srv = NatsServer::start();
    srv.stop();
    let mut o = fast_opts(&srv.url());
    o.retry_on_failed_connect = false;
    let r = Connection::connect(o);
    match r {
        Ok(c) => {
            c.close();
            panic!("connect to a stopped server must fail");
        }
        Err(e) => assert!(matches!(e.status, Status::Io | Status::NoServers | Status::Timeout), "unexpected error: {e}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Scenario 24: stale connection (server frozen with SIGSTOP)
// ---------------------------------------------------------------------------------------------

#[test]
fn stale_connection_detected_then_reconnects() {
    let srv = NatsServer::start();
    let ev = Events::new();
    let mut o = fast_opts(&srv.url());
    o.ping_interval = Duration::from_millis(100);
    o.max_pings_out = 2;
    o.connect_timeout = Duration::from_millis(500);
    ev.install(&mut o);
    let nc = connect(o);
    let sub = nc.subscribe_sync("rc.stale", None).unwrap();
    nc.flush(MSG).unwrap();

    srv.signal("STOP");
    let detected = wait_until(|| ev.disconnected() >= 1, LONG);
    let statuses = ev.disconnect_statuses();
    let status_while_stopped = nc.status();
    srv.signal("CONT");
    assert!(detected, "stale connection not detected");
    assert_eq!(statuses[0], Status::StaleConnection, "disconnect cause: {statuses:?}");
    assert_ne!(status_while_stopped, ConnectionStatus::Connected);

    assert!(wait_until(|| ev.reconnected() >= 1, LONG), "no reconnect after SIGCONT");
    wait_status(&nc, ConnectionStatus::Connected);
    nc.publish("rc.stale", b"alive").unwrap();
    nc.flush(MSG).unwrap();
    assert_eq!(text(&sub.next_msg(MSG).unwrap()), "alive");
    assert_eq!(ev.closed(), 0);
}

#[test]
fn stale_connection_without_reconnect_closes() {
    let srv = NatsServer::start();
    let ev = Events::new();
    let mut o = fast_opts(&srv.url());
    o.ping_interval = Duration::from_millis(100);
    o.max_pings_out = 2;
    o.allow_reconnect = false;
    ev.install(&mut o);
    let nc = connect(o);
    nc.flush(MSG).unwrap();

    srv.signal("STOP");
    let closed = wait_until(|| ev.closed() == 1, LONG);
    let last = nc.last_error();
    srv.signal("CONT");
    assert!(closed, "connection not closed after going stale");
    assert_eq!(nc.status(), ConnectionStatus::Closed);
    let last = last.expect("last error");
    assert_eq!(last.status, Status::StaleConnection, "last error: {last}");
    assert_eq!(ev.disconnect_statuses(), vec![Status::StaleConnection]);
}

// ---------------------------------------------------------------------------------------------
// Scenario 12: custom reconnect delay, jitter
// ---------------------------------------------------------------------------------------------

#[test]
fn custom_reconnect_delay_gets_growing_attempts() {
    let mut srv = NatsServer::start();
    let ev = Events::new();
    let attempts: Arc<Mutex<Vec<(u64, ConnectionStatus)>>> = Arc::new(Mutex::new(Vec::new()));
    let mut o = fast_opts(&srv.url());
    o.reconnect_wait = Duration::from_secs(30); // must be replaced by the callback's delay
    let a = attempts.clone();
    o.reconnect_delay_cb = Some(Arc::new(move |c: &Connection, n: u64| {
        a.lock().unwrap().push((n, c.status()));
        Duration::from_millis(20)
    }));
    ev.install(&mut o);
    let nc = connect(o);

    srv.stop();
    assert!(wait_until(|| attempts.lock().unwrap().len() >= 5, LONG), "delay callback called {} times", attempts.lock().unwrap().len());
    let seen: Vec<(u64, ConnectionStatus)> = attempts.lock().unwrap().clone();
    let numbers: Vec<u64> = seen.iter().map(|(n, _)| *n).collect();
    assert_eq!(numbers[0], 1, "first call is after the first full pass: {numbers:?}");
    for w in numbers.windows(2) {
        assert_eq!(w[1], w[0] + 1, "attempt numbers must grow by one per pass: {numbers:?}");
    }
    for (_, st) in &seen {
        assert_eq!(*st, ConnectionStatus::Reconnecting);
    }

    srv.restart();
    assert!(wait_until(|| ev.reconnected() == 1, LONG), "no reconnect with the custom delay");
    nc.flush(MSG).unwrap();
}

/// Runs a fake server on a loopback port that accepts TCP connections and closes them at once
/// (so every handshake fails) and records when each connection arrived.
struct RefusingServer {
    port: u16,
    accepts: Arc<Mutex<Vec<Instant>>>,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl RefusingServer {
    fn start() -> RefusingServer {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        let port = l.local_addr().unwrap().port();
        let accepts = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (a, s) = (accepts.clone(), stop.clone());
        let thread = thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                match l.accept() {
                    Ok((sock, _)) => {
                        a.lock().unwrap().push(Instant::now());
                        drop(sock);
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => thread::sleep(Duration::from_millis(1)),
                    Err(_) => thread::sleep(Duration::from_millis(1)),
                }
            }
        });
        RefusingServer { port, accepts, stop, thread: Some(thread) }
    }

    fn count(&self) -> usize {
        self.accepts.lock().unwrap().len()
    }
}

impl Drop for RefusingServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Intervals between reconnect attempts with the given wait and jitter, skipping the first
/// attempts (the initial connect and the first pass run back to back).
fn attempt_intervals(wait: Duration, jitter: Duration, samples: usize) -> Vec<Duration> {
    let fake = RefusingServer::start();
    let mut o = Options::default();
    o.set_url(&format!("nats://127.0.0.1:{}", fake.port)).unwrap();
    o.retry_on_failed_connect = true;
    o.max_reconnect = -1;
    o.reconnect_wait = wait;
    o.reconnect_jitter = jitter;
    // Must not be used for a plain nats:// pool.
    o.reconnect_jitter_tls = Duration::from_secs(5);
    let nc = connect(o);
    let need = samples + 3;
    assert!(wait_until(|| fake.count() >= need, Duration::from_secs(60)), "only {} reconnect attempts seen", fake.count());
    nc.close();
    let t = fake.accepts.lock().unwrap().clone();
    t.windows(2).skip(2).take(samples).map(|w| w[1] - w[0]).collect()
}

#[test]
fn reconnect_jitter_stays_in_bounds() {
    let wait = Duration::from_millis(100);
    let jitter = Duration::from_millis(100);
    let iv = attempt_intervals(wait, jitter, 10);
    let ms: Vec<u128> = iv.iter().map(|d| d.as_millis()).collect();
    // Lower bound: never earlier than the reconnect wait (small tolerance for timer rounding).
    for d in &iv {
        assert!(*d + Duration::from_millis(5) >= wait, "attempt came too early: {ms:?}");
    }
    // Upper bound, lenient for a loaded machine: wait + jitter + scheduling slack; the TLS
    // jitter (5 s) must not be used for a plain pool.
    for d in &iv {
        assert!(*d <= wait + jitter + Duration::from_millis(400), "attempt came too late: {ms:?}");
    }
    // The jitter is really applied: on average the waits are clearly above the plain wait.
    let mean = iv.iter().sum::<Duration>() / iv.len() as u32;
    assert!(mean >= wait + Duration::from_millis(10), "jitter not applied (mean {mean:?}): {ms:?}");
}

#[test]
fn reconnect_without_jitter_waits_the_plain_wait() {
    let wait = Duration::from_millis(100);
    let iv = attempt_intervals(wait, Duration::ZERO, 6);
    let ms: Vec<u128> = iv.iter().map(|d| d.as_millis()).collect();
    for d in &iv {
        assert!(*d + Duration::from_millis(5) >= wait, "attempt came too early: {ms:?}");
        assert!(*d <= wait + Duration::from_millis(400), "attempt came too late: {ms:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Scenario 15: forced reconnect
// ---------------------------------------------------------------------------------------------

#[test]
fn force_reconnect_restores_subscriptions() {
    let srv = NatsServer::start();
    let ev = Events::new();
    let mut o = fast_opts(&srv.url());
    // The first attempt after a forced reconnect does not wait.
    o.reconnect_wait = Duration::from_secs(30);
    ev.install(&mut o);
    let nc = connect(o);
    let sub = nc.subscribe_sync("rc.force", None).unwrap();
    nc.flush(MSG).unwrap();

    nc.force_reconnect().unwrap();
    assert!(wait_until(|| ev.reconnected() == 1, LONG), "no reconnect after force_reconnect");
    wait_status(&nc, ConnectionStatus::Connected);
    assert_eq!(ev.disconnected(), 1);
    assert_eq!(nc.stats().reconnects, 1);
    nc.publish("rc.force", b"one").unwrap();
    assert_eq!(text(&sub.next_msg(MSG).unwrap()), "one");

    // Repeated calls are safe: the connection ends up connected with its subscription live.
    for _ in 0..3 {
        nc.force_reconnect().unwrap();
    }
    assert!(wait_until(|| ev.reconnected() >= 2, LONG), "no reconnect after repeated force_reconnect");
    assert!(
        wait_until(|| nc.status() == ConnectionStatus::Connected && nc.flush(Duration::from_secs(1)).is_ok(), LONG),
        "not connected after repeated force_reconnect"
    );
    nc.publish("rc.force", b"two").unwrap();
    assert_eq!(text(&sub.next_msg(MSG).unwrap()), "two");
    assert_eq!(ev.closed(), 0);
    // Events are delivered asynchronously: wait for the last reconnected callback.
    assert!(
        wait_until(|| ev.disconnected() == ev.reconnected(), LONG),
        "one reconnect per disconnect: {} disconnected, {} reconnected",
        ev.disconnected(),
        ev.reconnected()
    );

    nc.close();
    assert_eq!(nc.force_reconnect().unwrap_err().status, Status::ConnectionClosed);
}

// ---------------------------------------------------------------------------------------------
// Scenario 13: close during reconnect
// ---------------------------------------------------------------------------------------------

#[test]
fn close_during_reconnect_returns_promptly() {
    let mut srv = NatsServer::start();
    let ev = Events::new();
    let mut o = fast_opts(&srv.url());
    o.reconnect_wait = Duration::from_secs(60);
    ev.install(&mut o);
    let nc = connect(o);

    srv.stop();
    wait_status(&nc, ConnectionStatus::Reconnecting);
    // Let the loop fail its first pass and go to sleep for the (long) reconnect wait.
    thread::sleep(Duration::from_millis(200));

    let (tx, rx) = mpsc::channel();
    let c = nc.0.clone();
    thread::spawn(move || {
        let t0 = Instant::now();
        c.close();
        let _ = tx.send(t0.elapsed());
    });
    let took = rx.recv_timeout(Duration::from_secs(10)).expect("close() did not return while the reconnect loop was sleeping");
    assert!(took < Duration::from_secs(10));
    assert_eq!(nc.status(), ConnectionStatus::Closed);
    assert!(wait_until(|| ev.closed() == 1, LONG), "closed callback did not fire");
    nc.close();
    thread::sleep(Duration::from_millis(200));
    assert_eq!(ev.closed(), 1, "closed callback must fire once");
    assert_eq!(ev.reconnected(), 0);
}

// ---------------------------------------------------------------------------------------------
// Scenario 32: request in flight during a disconnect
// ---------------------------------------------------------------------------------------------

#[test]
fn request_in_flight_during_disconnect_does_not_hang() {
    let mut srv = NatsServer::start();
    let ev = Events::new();
    let mut o = fast_opts(&srv.url());
    ev.install(&mut o);
    let nc = connect(o);
    // A responder that takes the request but never answers.
    let silent = connect(fast_opts(&srv.url()));
    let _silent_sub = silent.subscribe_sync("rc.req.slow", None).unwrap();
    silent.flush(MSG).unwrap();
    // Make sure the request muxer exists before the outage (it is re-subscribed afterwards).
    assert!(nc.request("rc.req.nobody", b"", Duration::from_secs(2)).is_err());

    let timeout = Duration::from_secs(2);
    let c = nc.0.clone();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let t0 = Instant::now();
        let r = c.request("rc.req.slow", b"ping", timeout);
        let _ = tx.send((r.map(|m| text(&m)), t0.elapsed()));
    });
    thread::sleep(Duration::from_millis(200));
    srv.stop();

    let (r, took) = rx.recv_timeout(timeout + Duration::from_secs(5)).expect("request hung past its timeout during a disconnect");
    let e = r.expect_err("a request nobody answered cannot succeed");
    assert_eq!(e.status, Status::Timeout, "documented: fails with a timeout at its deadline: {e}");
    assert!(took <= timeout + Duration::from_secs(3), "request returned late: {took:?}");

    // After the reconnect, requests work again (the muxer subscription was restored).
    srv.restart();
    assert!(wait_until(|| ev.reconnected() == 1, LONG), "no reconnect");
    let responder = connect(fast_opts(&srv.url()));
    let _rsub = responder
        .subscribe(
            "rc.req.echo",
            None,
            Box::new(|_s, m| {
                let _ = m.respond(m.data());
            }),
        )
        .unwrap();
    responder.flush(MSG).unwrap();
    let reply = nc.request("rc.req.echo", b"hello", MSG).expect("request after reconnect");
    assert_eq!(text(&reply), "hello");
}

// ---------------------------------------------------------------------------------------------
// Scenario 12: the reconnect wait comes after a full pass through the pool
// ---------------------------------------------------------------------------------------------

#[test]
fn reconnect_wait_applies_after_a_full_pass() {
    let fakes = [RefusingServer::start(), RefusingServer::start(), RefusingServer::start()];
    let mut o = Options::default();
    let list: Vec<String> = fakes.iter().map(|f| format!("nats://127.0.0.1:{}", f.port)).collect();
    o.set_url(&list.join(",")).unwrap();
    o.no_randomize = true;
    o.retry_on_failed_connect = true;
    o.max_reconnect = -1;
    o.reconnect_wait = Duration::from_millis(300);
    o.reconnect_jitter = Duration::ZERO;
    let nc = connect(o);
    assert!(wait_until(|| fakes.iter().all(|f| f.count() >= 6), Duration::from_secs(60)), "not enough reconnect attempts");
    nc.close();
    let mut all: Vec<(Instant, usize)> = Vec::new();
    for (i, f) in fakes.iter().enumerate() {
        all.extend(f.accepts.lock().unwrap().iter().map(|t| (*t, i)));
    }
    all.sort();
    // Group attempts into passes: a gap of at least the reconnect wait separates passes.
    let wait = Duration::from_millis(300);
    let mut passes: Vec<Vec<usize>> = vec![vec![]];
    for (k, (t, i)) in all.iter().enumerate() {
        if k > 0 && *t - all[k - 1].0 >= wait - Duration::from_millis(5) {
            passes.push(vec![]);
        }
        passes.last_mut().unwrap().push(*i);
    }
    // Drop the first group (the initial connect and the first pass may run back to back) and the
    // (possibly partial) last one; every pass in between tries each server once, in order,
    // without sleeping in between.
    passes.pop();
    assert!(passes.len() >= 3, "passes: {passes:?}");
    for p in passes.iter().skip(1) {
        assert_eq!(p, &vec![0, 1, 2], "each pass tries every server once, in order, then waits: {passes:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Scenario 6: heavy publishing during an outage
// ---------------------------------------------------------------------------------------------

#[test]
fn heavy_publishing_during_outage_does_not_deadlock() {
    let mut srv = NatsServer::start();
    let ev = Events::new();
    let mut o = fast_opts(&srv.url());
    o.reconnect_buf_size = 32 * 1024 * 1024;
    ev.install(&mut o);
    let nc = connect(o);
    let got = Arc::new(AtomicUsize::new(0));
    let g = got.clone();
    let _sub = nc
        .subscribe(
            "rc.heavy",
            None,
            Box::new(move |_s, _m| {
                g.fetch_add(1, Ordering::SeqCst);
            }),
        )
        .unwrap();
    nc.flush(MSG).unwrap();

    srv.stop();
    wait_status(&nc, ConnectionStatus::Reconnecting);
    // Two publishers hammer the connection while it is down.
    const PER_THREAD: usize = 50_000;
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let c = nc.0.clone();
            thread::spawn(move || {
                for i in 0..PER_THREAD {
                    c.publish("rc.heavy", format!("{i:08}").as_bytes()).expect("buffered publish");
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    srv.restart();
    assert!(wait_until(|| ev.reconnected() == 1, LONG), "no reconnect after heavy publishing");
    assert!(
        wait_until(|| got.load(Ordering::SeqCst) == 2 * PER_THREAD, LONG),
        "delivered {} of {}",
        got.load(Ordering::SeqCst),
        2 * PER_THREAD
    );
    nc.flush(MSG).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Scenario 32: a flush waiting for its PONG is released by a disconnect
// ---------------------------------------------------------------------------------------------

#[test]
fn pending_flush_fails_on_disconnect() {
    let mut srv = NatsServer::start();
    let mut o = fast_opts(&srv.url());
    o.connect_timeout = Duration::from_millis(500);
    let nc = connect(o);
    nc.flush(MSG).unwrap();

    srv.signal("STOP"); // the PONG will never come
    let c = nc.0.clone();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let t0 = Instant::now();
        let r = c.flush(Duration::from_secs(30));
        let _ = tx.send((r, t0.elapsed()));
    });
    thread::sleep(Duration::from_millis(200));
    srv.kill_hard(); // the kernel closes the socket: the client sees the connection drop

    let (r, took) = rx.recv_timeout(Duration::from_secs(15)).expect("flush not released by the disconnect");
    assert!(r.is_err(), "flush cannot succeed without a PONG");
    assert!(took < Duration::from_secs(15));
}

// ---------------------------------------------------------------------------------------------
// Scenario 34: drain vs reconnect
// ---------------------------------------------------------------------------------------------

#[test]
fn drain_while_reconnecting_errors_and_closes() {
    let mut srv = NatsServer::start();
    let ev = Events::new();
    let mut o = fast_opts(&srv.url());
    ev.install(&mut o);
    let nc = connect(o);
    let _sub = nc.subscribe_sync("rc.drain", None).unwrap();
    srv.stop();
    wait_status(&nc, ConnectionStatus::Reconnecting);
    assert!(nc.drain(Duration::from_secs(5)).is_err(), "drain while reconnecting must fail");
    assert!(wait_until(|| nc.status() == ConnectionStatus::Closed, LONG));
    assert!(wait_until(|| ev.closed() == 1, LONG));
}

#[test]
fn drained_sub_not_resent_on_reconnect() {
    let srv = NatsServer::start();
    let ev = Events::new();
    let mut o = fast_opts(&srv.url());
    ev.install(&mut o);
    let nc = connect(o);
    let got = Arc::new(AtomicUsize::new(0));
    let g = got.clone();
    let sub = nc
        .subscribe(
            "rc.drained",
            None,
            Box::new(move |_s, _m| {
                thread::sleep(Duration::from_millis(20));
                g.fetch_add(1, Ordering::SeqCst);
            }),
        )
        .unwrap();
    for _ in 0..10 {
        nc.publish("rc.drained", b"x").unwrap();
    }
    nc.flush(MSG).unwrap();
    sub.drain().unwrap();
    nc.force_reconnect().unwrap();
    assert!(wait_until(|| ev.reconnected() == 1, LONG), "no reconnect");
    sub.drain_wait(LONG).expect("drain finished");
    assert_eq!(got.load(Ordering::SeqCst), 10, "messages queued before the drain are handled");
    let before = nc.stats().in_msgs;
    nc.publish("rc.drained", b"late").unwrap();
    nc.flush(MSG).unwrap();
    thread::sleep(Duration::from_millis(100));
    assert_eq!(nc.stats().in_msgs, before, "the drained subscription was re-sent after reconnect");
    assert_eq!(got.load(Ordering::SeqCst), 10);
}

// ---------------------------------------------------------------------------------------------
// Scripted fake servers: scenarios 7, 24 (-ERR), 35 and 36
// ---------------------------------------------------------------------------------------------

mod fake {
    use std::io::{BufRead, BufReader, Write};
    use std::net::{TcpListener, TcpStream};
    use std::time::Duration;

    /// One client connection accepted by a scripted server.
    pub struct Client {
        pub r: BufReader<TcpStream>,
        pub w: TcpStream,
    }

    pub fn info(port: u16, extra: &str) -> String {
        format!(
            "INFO {{\"server_id\":\"FAKE\",\"server_name\":\"fake\",\"version\":\"2.10.0\",\"proto\":1,\
             \"host\":\"127.0.0.1\",\"port\":{port},\"headers\":true,\"max_payload\":1048576{extra}}}\r\n"
        )
    }

    impl Client {
        /// Accepts a client, sends INFO, waits for CONNECT + PING and answers PONG followed by
        /// `after_pong` in the same write.
        pub fn accept(l: &TcpListener, after_pong: &str) -> Client {
            let port = l.local_addr().unwrap().port();
            let (s, _) = l.accept().expect("accept");
            s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
            let mut c = Client { r: BufReader::new(s.try_clone().unwrap()), w: s };
            c.send(&info(port, ""));
            let connect = c.raw_line().expect("CONNECT");
            assert!(connect.starts_with("CONNECT "), "got {connect:?}");
            let ping = c.raw_line().expect("PING");
            assert_eq!(ping, "PING");
            c.send(&format!("PONG\r\n{after_pong}"));
            c
        }

        pub fn raw_line(&mut self) -> Option<String> {
            let mut l = String::new();
            match self.r.read_line(&mut l) {
                Ok(0) | Err(_) => None,
                Ok(_) => Some(l.trim_end().to_string()),
            }
        }

        pub fn send(&mut self, s: &str) {
            self.w.write_all(s.as_bytes()).expect("fake server write");
            self.w.flush().unwrap();
        }

        /// Next protocol line from the client (PINGs are answered and skipped).
        pub fn line(&mut self) -> Option<String> {
            loop {
                let l = self.raw_line()?;
                if l == "PING" {
                    self.send("PONG\r\n");
                    continue;
                }
                return Some(l);
            }
        }

        /// Waits for `SUB <subject> <sid>` and returns the sid.
        pub fn wait_sub(&mut self, subject: &str) -> u64 {
            loop {
                let l = self.line().expect("client went away before subscribing");
                let parts: Vec<&str> = l.split(' ').collect();
                if parts.first() == Some(&"SUB") && parts.get(1) == Some(&subject) {
                    return parts.last().unwrap().parse().unwrap();
                }
            }
        }

        /// Serves PINGs until the client disconnects.
        pub fn drain_until_eof(&mut self) {
            while self.line().is_some() {}
        }
    }
}

/// Runs a scripted fake server on a fresh port; the script gets the listener.
fn scripted(script: impl FnOnce(TcpListener) + Send + 'static) -> (u16, thread::JoinHandle<()>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    (port, thread::spawn(move || script(l)))
}

#[test]
fn disconnect_mid_frame_no_partial_replay_or_parse_error() {
    let (port, server) = scripted(|l| {
        // First connection: a MSG frame cut in the middle, then the socket closes.
        let mut c1 = fake::Client::accept(&l, "");
        let sid = c1.wait_sub("mid.frame");
        c1.send(&format!("MSG mid.frame {sid} 11\r\nhel"));
        thread::sleep(Duration::from_millis(50));
        drop(c1);
        // Second connection: the SUB comes again with the same sid; a complete frame follows.
        let mut c2 = fake::Client::accept(&l, "");
        let sid2 = c2.wait_sub("mid.frame");
        assert_eq!(sid2, sid, "resubscribe must keep the sid");
        c2.send(&format!("MSG mid.frame {sid} 5\r\nhello\r\n"));
        c2.drain_until_eof();
    });
    let ev = Events::new();
    let mut o = fast_opts(&format!("nats://127.0.0.1:{port}"));
    ev.install(&mut o);
    let nc = connect(o);
    let sub = nc.subscribe_sync("mid.frame", None).unwrap();

    let m = sub.next_msg(LONG).expect("message after reconnect");
    assert_eq!(text(&m), "hello", "a partial frame must never be delivered");
    assert!(wait_until(|| ev.reconnected() == 1, LONG));
    let causes = ev.disconnect_statuses();
    assert!(!causes.contains(&Status::Protocol), "a cut frame is an I/O loss, not a protocol error: {causes:?}");
    assert!(sub.next_msg(Duration::from_millis(100)).is_err());
    nc.close();
    server.join().expect("fake server script failed");
}

#[test]
fn server_stale_connection_error_triggers_reconnect() {
    let (port, server) = scripted(|l| {
        let mut c1 = fake::Client::accept(&l, "");
        c1.wait_sub("stale.err");
        c1.send("-ERR 'Stale Connection'\r\n");
        thread::sleep(Duration::from_millis(50));
        drop(c1);
        let mut c2 = fake::Client::accept(&l, "");
        let sid = c2.wait_sub("stale.err");
        c2.send(&format!("MSG stale.err {sid} 4\r\nback\r\n"));
        c2.drain_until_eof();
    });
    let ev = Events::new();
    let mut o = fast_opts(&format!("nats://127.0.0.1:{port}"));
    ev.install(&mut o);
    let nc = connect(o);
    let sub = nc.subscribe_sync("stale.err", None).unwrap();
    assert_eq!(text(&sub.next_msg(LONG).expect("message after reconnect")), "back");
    assert!(wait_until(|| ev.reconnected() == 1, LONG), "no reconnected callback");
    assert_eq!(ev.disconnect_statuses().first(), Some(&Status::StaleConnection));
    assert_eq!(ev.closed(), 0);
    nc.close();
    server.join().expect("fake server script failed");
}

#[test]
fn info_glued_to_handshake_pong_is_processed() {
    let other = 4; // a URL only announced by the glued INFO
    let (port, server) = scripted(move |l| {
        let glued = fake::info(l.local_addr().unwrap().port(), &format!(",\"connect_urls\":[\"127.0.0.1:{other}\"]"));
        let mut c = fake::Client::accept(&l, &glued);
        c.drain_until_eof();
    });
    let nc = connect(fast_opts(&format!("nats://127.0.0.1:{port}")));
    let want = vec![format!("nats://127.0.0.1:{other}")];
    assert!(
        wait_until(|| nc.discovered_servers() == want, LONG),
        "INFO right after the handshake PONG was lost: discovered {:?}",
        nc.discovered_servers()
    );
    nc.close();
    server.join().expect("fake server script failed");
}

#[test]
fn lame_duck_info_with_connect_urls_processed() {
    let other = 5;
    let (port, server) = scripted(move |l| {
        let p = l.local_addr().unwrap().port();
        let mut c = fake::Client::accept(&l, "");
        c.wait_sub("ldm.fake");
        c.send(&fake::info(p, &format!(",\"ldm\":true,\"connect_urls\":[\"127.0.0.1:{p}\",\"127.0.0.1:{other}\"]")));
        c.drain_until_eof();
    });
    let ev = Events::new();
    let mut o = fast_opts(&format!("nats://127.0.0.1:{port}"));
    ev.install(&mut o);
    let nc = connect(o);
    let _sub = nc.subscribe_sync("ldm.fake", None).unwrap();
    assert!(wait_until(|| ev.lame_duck.load(Ordering::SeqCst) == 1, LONG), "lame duck callback");
    assert!(wait_until(|| ev.discovered.load(Ordering::SeqCst) == 1, LONG), "discovered callback");
    assert_eq!(nc.discovered_servers(), vec![format!("nats://127.0.0.1:{other}")]);
    assert!(nc.server_info().ldm);
    nc.close();
    server.join().expect("fake server script failed");
}

// ---------------------------------------------------------------------------------------------
// More of scenarios 4, 11-13, 32
// ---------------------------------------------------------------------------------------------

/// The resubscription of an auto-unsubscribe subscription carries the remaining count.
#[test]
fn resubscribe_sends_remaining_auto_unsubscribe_count() {
    let (tx, rx) = mpsc::channel::<Vec<String>>();
    let (port, server) = scripted(move |l| {
        let mut c1 = fake::Client::accept(&l, "");
        let sid = c1.wait_sub("au.wire");
        assert_eq!(c1.line().as_deref(), Some(format!("UNSUB {sid} 10").as_str()));
        for i in 0..3 {
            c1.send(&format!("MSG au.wire {sid} 1\r\n{i}\r\n"));
        }
        // Wait until the client has them (it flushes), then cut the connection.
        while let Some(l) = c1.raw_line() {
            if l == "PING" {
                c1.send("PONG\r\n");
                break;
            }
        }
        thread::sleep(Duration::from_millis(50));
        drop(c1);
        let mut c2 = fake::Client::accept(&l, "");
        let sid2 = c2.wait_sub("au.wire");
        let mut lines = vec![format!("SUB au.wire {sid2}")];
        if let Some(l) = c2.line() {
            lines.push(l);
        }
        tx.send(lines).unwrap();
        c2.drain_until_eof();
    });
    let ev = Events::new();
    let mut o = fast_opts(&format!("nats://127.0.0.1:{port}"));
    ev.install(&mut o);
    let nc = connect(o);
    let sub = nc.subscribe_sync("au.wire", None).unwrap();
    sub.auto_unsubscribe(10).unwrap();
    for _ in 0..3 {
        sub.next_msg(LONG).expect("message before the cut");
    }
    // The fake server treats this flush's PING as "the client has the messages".
    nc.flush(MSG).expect("flush");
    let lines = rx.recv_timeout(LONG).expect("no resubscription");
    let sid = sub.sid();
    assert_eq!(lines, vec![format!("SUB au.wire {sid}"), format!("UNSUB {sid} 7")], "resubscribe with max - received");
    nc.close();
    server.join().expect("fake server script failed");
}

#[test]
fn max_reconnect_zero_closes_on_first_drop() {
    let mut srv = NatsServer::start();
    let ev = Events::new();
    let mut o = fast_opts(&srv.url());
    o.max_reconnect = 0;
    ev.install(&mut o);
    let nc = connect(o);
    srv.stop();
    assert!(wait_until(|| ev.closed() == 1, LONG), "closed callback did not fire");
    assert_eq!(nc.status(), ConnectionStatus::Closed);
    assert_eq!(ev.disconnected(), 1);
    assert_eq!(ev.reconnected(), 0);
    assert_eq!(nc.stats().reconnects, 0);
}

#[test]
fn reconnect_defaults_match_go() {
    let o = Options::default();
    assert!(o.allow_reconnect);
    assert_eq!(o.max_reconnect, 60);
    assert_eq!(o.reconnect_wait, Duration::from_secs(2));
    assert_eq!(o.reconnect_jitter, Duration::from_millis(100));
    assert_eq!(o.reconnect_jitter_tls, Duration::from_secs(1));
    assert_eq!(o.reconnect_buf_size, 8 * 1024 * 1024);
    assert_eq!(o.ping_interval, Duration::from_secs(120));
    assert_eq!(o.max_pings_out, 2);
    assert!(!o.no_randomize);
    assert!(!o.ignore_discovered_servers);
    assert!(!o.retry_on_failed_connect);
    // Default total reconnect time for one server: at least 2 minutes (60 x 2 s).
    assert!(o.reconnect_wait * o.max_reconnect as u32 >= Duration::from_secs(120));
}

/// close() while the reconnect loop is in the middle of a handshake (the server is frozen, so
/// the handshake hangs) must leave the connection closed even if that handshake completes later.
#[test]

fn close_during_reconnect_handshake_stays_closed() {
    let srv = NatsServer::start();
    let ev = Events::new();
    let mut o = fast_opts(&srv.url());
    o.ping_interval = Duration::from_millis(100);
    o.max_pings_out = 2;
    o.connect_timeout = Duration::from_secs(10);
    ev.install(&mut o);
    let nc = connect(o);
    nc.flush(MSG).unwrap();

    srv.signal("STOP");
    let stale = wait_until(|| ev.disconnected() == 1, LONG);
    // The first reconnect attempt starts at once and now waits for the frozen server's INFO.
    thread::sleep(Duration::from_millis(300));
    nc.close();
    let status_after_close = nc.status();
    srv.signal("CONT"); // the pending handshake can complete now
    assert!(stale, "stale connection not detected");
    assert_eq!(status_after_close, ConnectionStatus::Closed);
    assert!(wait_until(|| ev.closed() == 1, LONG));
    // Give the resumed handshake time to finish, then check nothing came back to life.
    thread::sleep(Duration::from_millis(500));
    assert_eq!(nc.status(), ConnectionStatus::Closed, "a handshake finishing after close() revived the connection");
    assert!(nc.is_closed());
    assert_eq!(nc.publish("rc.closed", b"x").unwrap_err().status, Status::ConnectionClosed);
    assert_eq!(ev.reconnected(), 0);
    assert_eq!(ev.closed(), 1);
}

/// Requests waiting for a reply are released by close() with a closed error (both styles).
#[test]
fn requests_in_flight_released_by_close() {
    let srv = NatsServer::start();
    let silent = connect(fast_opts(&srv.url()));
    let _s = silent.subscribe_sync("rc.req.never", None).unwrap();
    silent.flush(MSG).unwrap();
    for old_style in [false, true] {
        let mut o = fast_opts(&srv.url());
        o.old_request_style = old_style;
        let nc = connect(o);
        let c = nc.0.clone();
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let t0 = Instant::now();
            let r = c.request("rc.req.never", b"?", Duration::from_secs(30));
            let _ = tx.send((r.map(|m| text(&m)), t0.elapsed()));
        });
        thread::sleep(Duration::from_millis(200));
        nc.close();
        let (r, _took) =
            rx.recv_timeout(Duration::from_secs(10)).unwrap_or_else(|_| panic!("request (old style: {old_style}) not released by close"));
        let e = r.expect_err("request cannot succeed");
        assert_eq!(e.status, Status::ConnectionClosed, "old style {old_style}: {e}");
    }
}

#[test]
fn tls_jitter_used_for_tls_pool() {
    let fake = RefusingServer::start();
    let mut o = Options::default();
    o.set_url(&format!("tls://127.0.0.1:{}", fake.port)).unwrap();
    o.retry_on_failed_connect = true;
    o.max_reconnect = -1;
    o.reconnect_wait = Duration::from_millis(100);
    o.reconnect_jitter = Duration::ZERO;
    o.reconnect_jitter_tls = Duration::from_millis(100);
    let nc = connect(o);
    assert!(wait_until(|| fake.count() >= 13, Duration::from_secs(60)), "only {} attempts", fake.count());
    nc.close();
    let t = fake.accepts.lock().unwrap().clone();
    let iv: Vec<Duration> = t.windows(2).skip(2).take(10).map(|w| w[1] - w[0]).collect();
    let ms: Vec<u128> = iv.iter().map(|d| d.as_millis()).collect();
    for d in &iv {
        assert!(*d + Duration::from_millis(5) >= Duration::from_millis(100), "too early: {ms:?}");
        assert!(*d <= Duration::from_millis(600), "too late: {ms:?}");
    }
    let mean = iv.iter().sum::<Duration>() / iv.len() as u32;
    assert!(mean >= Duration::from_millis(110), "TLS jitter not applied to a tls:// pool (mean {mean:?}): {ms:?}");
}

/// A request whose reply comes after the reconnect still succeeds: the reply inbox is
/// resubscribed and the request keeps waiting until its deadline.
#[test]
fn request_in_flight_gets_reply_sent_after_reconnect() {
    let mut srv = NatsServer::start();
    let (ev, rev) = (Events::new(), Events::new());
    let nc = {
        let mut o = fast_opts(&srv.url());
        ev.install(&mut o);
        connect(o)
    };
    let responder = {
        let mut o = fast_opts(&srv.url());
        rev.install(&mut o);
        connect(o)
    };
    let go = Arc::new(AtomicBool::new(false));
    let got_request = Arc::new(AtomicBool::new(false));
    let (g, gr) = (go.clone(), got_request.clone());
    let _rsub = responder
        .subscribe(
            "rc.req.late",
            None,
            Box::new(move |_s, m| {
                gr.store(true, Ordering::SeqCst);
                // Answer only once both sides are back after the restart.
                let deadline = Instant::now() + Duration::from_secs(20);
                while !g.load(Ordering::SeqCst) && Instant::now() < deadline {
                    thread::sleep(Duration::from_millis(5));
                }
                let _ = m.respond(b"late answer");
            }),
        )
        .unwrap();
    responder.flush(MSG).unwrap();

    let c = nc.0.clone();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(c.request("rc.req.late", b"q", Duration::from_secs(15)).map(|m| text(&m)));
    });
    assert!(wait_until(|| got_request.load(Ordering::SeqCst), LONG), "responder never got the request");
    srv.restart();
    assert!(wait_until(|| ev.reconnected() == 1 && rev.reconnected() == 1, LONG), "no reconnect");
    nc.flush(MSG).unwrap();
    go.store(true, Ordering::SeqCst);
    let r = rx.recv_timeout(Duration::from_secs(20)).expect("request never returned");
    assert_eq!(r.expect("reply sent after the reconnect must arrive"), "late answer");
}

/// A request made while disconnected is buffered like a publish and answered after the
/// reconnect (the responder is on the same connection, so its SUB precedes the request).
#[test]
fn request_made_while_disconnected_is_buffered() {
    let mut srv = NatsServer::start();
    let ev = Events::new();
    let mut o = fast_opts(&srv.url());
    ev.install(&mut o);
    let nc = connect(o);
    let _rsub = nc
        .subscribe(
            "rc.req.buf",
            None,
            Box::new(|_s, m| {
                let _ = m.respond(b"pong");
            }),
        )
        .unwrap();
    assert_eq!(text(&nc.request("rc.req.buf", b"ping", MSG).unwrap()), "pong");

    srv.stop();
    wait_status(&nc, ConnectionStatus::Reconnecting);
    let c = nc.0.clone();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(c.request("rc.req.buf", b"ping", Duration::from_secs(15)).map(|m| text(&m)));
    });
    thread::sleep(Duration::from_millis(100)); // the request is now in the reconnect buffer
    srv.restart();
    let r = rx.recv_timeout(Duration::from_secs(20)).expect("request never returned");
    assert_eq!(r.expect("buffered request answered after the reconnect"), "pong");
    assert!(wait_until(|| ev.reconnected() == 1, LONG));
}

#[test]
fn requests_fail_fast_on_disconnect_when_asked() {
    let mut s = NatsServer::start();
    let mut o = fast_opts(&s.url());
    o.fail_requests_on_disconnect = true;
    let nc = connect(o);
    let _silent = nc.subscribe_sync("ff.silent", None).unwrap();
    nc.flush(MSG).unwrap();
    let nc2 = nc.0.clone();
    let h = thread::spawn(move || {
        let t0 = Instant::now();
        (nc2.request("ff.silent", b"?", Duration::from_secs(30)), t0.elapsed())
    });
    thread::sleep(Duration::from_millis(200));
    s.stop();
    let (r, took) = h.join().unwrap();
    assert_eq!(r.unwrap_err().status, Status::NotConnected);
    assert!(took < Duration::from_secs(20), "failed at the disconnect, not at the timeout ({:?})", took);
    s.restart();
    assert!(wait_until(|| nc.status() == ConnectionStatus::Connected, LONG));
}
