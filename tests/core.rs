//! Core messaging against a real nats-server: pub/sub, queues, wildcards, request/reply,
//! headers, flush, drain, auto-unsubscribe, pending limits, statistics, server info, options.

use crate::common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{wait_until, NatsServer};
use natsrs::{Connection, ConnectionStatus, Msg, Options, Status};

const T: Duration = Duration::from_secs(5);

fn connect(s: &NatsServer) -> Connection {
    Connection::connect_to(&s.url()).expect("connect")
}

fn counter_handler(n: &Arc<AtomicUsize>) -> natsrs::connection::MsgHandler {
    let n = n.clone();
    Box::new(move |_, _| {
        n.fetch_add(1, Ordering::SeqCst);
    })
}

#[test]
fn pubsub_async_and_sync_exact_payloads() {
    let s = NatsServer::start();
    let nc = connect(&s);
    let got: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let g = got.clone();
    let _sub = nc.subscribe("core.a", None, Box::new(move |_, m| g.lock().unwrap().push(m.data().to_vec()))).unwrap();
    let sync = nc.subscribe_sync("core.a", None).unwrap();
    let payloads: Vec<Vec<u8>> =
        vec![b"".to_vec(), b"hello".to_vec(), (0u8..=255).collect(), b"\r\nMSG x 1 2\r\n".repeat(50), vec![7u8; 1 << 20]];
    for p in &payloads {
        nc.publish("core.a", p).unwrap();
    }
    nc.flush(T).unwrap();
    for p in &payloads {
        let m = sync.next_msg(T).unwrap();
        assert_eq!(m.subject(), "core.a");
        assert_eq!(m.data(), &p[..]);
    }
    assert!(wait_until(|| got.lock().unwrap().len() == payloads.len(), T));
    assert_eq!(*got.lock().unwrap(), payloads);
    let st = nc.stats();
    assert_eq!(st.out_msgs, payloads.len() as u64);
    assert_eq!(st.in_msgs, 2 * payloads.len() as u64);
    assert!(st.in_bytes >= st.out_bytes * 2);
}

#[test]
fn order_is_preserved_for_many_messages() {
    let s = NatsServer::start();
    let nc = connect(&s);
    let seen: Arc<Mutex<Vec<u32>>> = Arc::default();
    let sn = seen.clone();
    let _sub = nc
        .subscribe("core.order", None, Box::new(move |_, m| sn.lock().unwrap().push(u32::from_le_bytes(m.data().try_into().unwrap()))))
        .unwrap();
    let pubc = connect(&s);
    nc.flush(T).unwrap();
    for i in 0..50_000u32 {
        pubc.publish("core.order", &i.to_le_bytes()).unwrap();
    }
    pubc.flush(T).unwrap();
    assert!(wait_until(|| seen.lock().unwrap().len() == 50_000, Duration::from_secs(20)));
    assert!(seen.lock().unwrap().iter().enumerate().all(|(i, v)| *v == i as u32));
}

#[test]
fn queue_group_delivers_each_message_once() {
    let s = NatsServer::start();
    let nc = connect(&s);
    let counts: Vec<Arc<AtomicUsize>> = (0..3).map(|_| Arc::new(AtomicUsize::new(0))).collect();
    let subs: Vec<_> = counts.iter().map(|c| nc.subscribe("core.q", Some("workers"), counter_handler(c)).unwrap()).collect();
    nc.flush(T).unwrap();
    for _ in 0..300 {
        nc.publish("core.q", b"job").unwrap();
    }
    nc.flush(T).unwrap();
    assert!(wait_until(|| counts.iter().map(|c| c.load(Ordering::SeqCst)).sum::<usize>() == 300, T));
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(counts.iter().map(|c| c.load(Ordering::SeqCst)).sum::<usize>(), 300);
    assert!(counts.iter().filter(|c| c.load(Ordering::SeqCst) > 0).count() >= 2, "work was spread");
    drop(subs);
}

#[test]
fn wildcards_star_and_gt() {
    let s = NatsServer::start();
    let nc = connect(&s);
    let star = nc.subscribe_sync("w.*.x", None).unwrap();
    let gt = nc.subscribe_sync("w.>", None).unwrap();
    for subj in ["w.a.x", "w.b.x", "w.a.y", "w.a.x.z"] {
        nc.publish(subj, subj.as_bytes()).unwrap();
    }
    nc.flush(T).unwrap();
    let mut s1 = vec![];
    while let Ok(m) = star.next_msg(Duration::from_millis(200)) {
        s1.push(m.subject().to_string());
    }
    let mut s2 = vec![];
    while let Ok(m) = gt.next_msg(Duration::from_millis(200)) {
        s2.push(m.subject().to_string());
    }
    assert_eq!(s1, ["w.a.x", "w.b.x"]);
    assert_eq!(s2, ["w.a.x", "w.b.x", "w.a.y", "w.a.x.z"]);
}

#[test]
fn request_reply_no_responders_and_timeout() {
    let s = NatsServer::start();
    let nc = connect(&s);
    let _r = nc.subscribe("svc.echo", None, Box::new(|_, m| m.respond(&[b"re:", m.data()].concat()).unwrap())).unwrap();
    let _silent = nc.subscribe_sync("svc.silent", None).unwrap();
    nc.flush(T).unwrap();
    for i in 0..100 {
        let body = format!("x{}", i);
        let r = nc.request("svc.echo", body.as_bytes(), T).unwrap();
        assert_eq!(r.data(), format!("re:x{}", i).as_bytes());
    }
    let t0 = Instant::now();
    let e = nc.request("svc.nobody", b"?", Duration::from_secs(10)).unwrap_err();
    assert_eq!(e.status, Status::NoResponders);
    assert!(t0.elapsed() < Duration::from_secs(5), "no responders is immediate");
    let e = nc.request("svc.silent", b"?", Duration::from_millis(200)).unwrap_err();
    assert_eq!(e.status, Status::Timeout);
}

#[test]
fn old_request_style_and_custom_inbox_prefix() {
    let s = NatsServer::start();
    let mut o = Options::default();
    o.set_url(&s.url()).unwrap();
    o.old_request_style = true;
    o.set_inbox_prefix("_MY_INBOX").unwrap();
    let nc = Connection::connect(o).unwrap();
    let seen_reply: Arc<Mutex<String>> = Arc::default();
    let sr = seen_reply.clone();
    let _r = nc
        .subscribe(
            "svc.old",
            None,
            Box::new(move |_, m| {
                *sr.lock().unwrap() = m.reply().unwrap_or("").to_string();
                m.respond(b"ok").unwrap();
            }),
        )
        .unwrap();
    nc.flush(T).unwrap();
    assert_eq!(nc.request("svc.old", b"", T).unwrap().data(), b"ok");
    assert!(seen_reply.lock().unwrap().starts_with("_MY_INBOX."));
    assert_eq!(nc.request("svc.none", b"", T).unwrap_err().status, Status::NoResponders);
    assert!(nc.new_inbox().starts_with("_MY_INBOX."));
}

#[test]
fn requests_from_many_threads() {
    let s = NatsServer::start();
    let nc = connect(&s);
    let _r = nc.subscribe("svc.mt", None, Box::new(|_, m| m.respond(m.data()).unwrap())).unwrap();
    nc.flush(T).unwrap();
    let hs: Vec<_> = (0..8)
        .map(|t| {
            let nc = nc.clone();
            std::thread::spawn(move || {
                for i in 0..200 {
                    let b = format!("{}-{}", t, i);
                    assert_eq!(nc.request("svc.mt", b.as_bytes(), T).unwrap().data(), b.as_bytes());
                }
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
}

#[test]
fn headers_multi_value_roundtrip_and_status() {
    let s = NatsServer::start();
    let nc = connect(&s);
    let sub = nc.subscribe_sync("h.test", None).unwrap();
    let mut m = Msg::new("h.test", Some("h.reply"), b"body").unwrap();
    m.headers_mut().add("X-Multi", "one").unwrap();
    m.headers_mut().add("X-Multi", "two").unwrap();
    m.headers_mut().set("X-Single", "v").unwrap();
    nc.publish_msg(&m).unwrap();
    let r = sub.next_msg(T).unwrap();
    assert_eq!(r.data(), b"body");
    assert_eq!(r.reply(), Some("h.reply"));
    let h = r.headers().expect("headers");
    assert_eq!(h.get_all("X-Multi"), ["one", "two"]);
    assert_eq!(h.get("X-Single"), Some("v"));
    assert_eq!(h.get("x-single"), None, "lookups are case-sensitive");
    assert_eq!(r.status_code(), 0);
    assert!(m.headers_mut().set("bad:name", "x").is_err());
    assert!(m.headers_mut().set("X", "bad\r\nvalue").is_err());
}

#[test]
fn flush_rtt_server_info_and_max_payload() {
    let s = NatsServer::start_with_config("max_payload: 2048");
    let nc = connect(&s);
    nc.flush(T).unwrap();
    assert!(nc.rtt().unwrap() > Duration::ZERO);
    let i = nc.server_info();
    assert!(!i.server_id.is_empty());
    assert!(!i.version.is_empty());
    assert!(i.headers);
    assert_eq!(nc.max_payload(), 2048);
    assert!(nc.publish("mp", &vec![0u8; 2048]).is_ok());
    assert_eq!(nc.publish("mp", &vec![0u8; 2049]).unwrap_err().status, Status::MaxPayload);
    assert_eq!(nc.connected_url().unwrap(), s.url());
    assert_eq!(nc.status(), ConnectionStatus::Connected);
}

#[test]
fn invalid_subjects_and_queues_are_rejected_locally() {
    let s = NatsServer::start();
    let nc = connect(&s);
    for bad in ["", "a b", "a\tb", "a\r\nb", "a..b", ".a", "a."] {
        assert_eq!(nc.publish(bad, b"x").unwrap_err().status, Status::InvalidSubject, "{:?}", bad);
    }
    for bad in ["", "a..b", ".a", "a.", "a.>.b", "a.*b", "a b"] {
        assert_eq!(nc.subscribe_sync(bad, None).unwrap_err().status, Status::InvalidSubject, "{:?}", bad);
    }
    assert_eq!(nc.subscribe_sync("ok", Some("a b")).unwrap_err().status, Status::InvalidQueue);
    assert_eq!(nc.subscribe_sync("ok", Some("")).unwrap_err().status, Status::InvalidQueue);
    nc.flush(T).unwrap();
}

#[test]
fn unsubscribe_and_auto_unsubscribe() {
    let s = NatsServer::start();
    let nc = connect(&s);
    let n = Arc::new(AtomicUsize::new(0));
    let sub = nc.subscribe("au", None, counter_handler(&n)).unwrap();
    sub.auto_unsubscribe(10).unwrap();
    let sync = nc.subscribe_sync("au", None).unwrap();
    sync.auto_unsubscribe(3).unwrap();
    for _ in 0..25 {
        nc.publish("au", b"x").unwrap();
    }
    nc.flush(T).unwrap();
    assert!(wait_until(|| n.load(Ordering::SeqCst) == 10, T));
    for _ in 0..3 {
        sync.next_msg(T).unwrap();
    }
    assert_eq!(sync.next_msg(Duration::from_millis(100)).unwrap_err().status, Status::MaxMessages);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(n.load(Ordering::SeqCst), 10);
    let u = nc.subscribe_sync("un", None).unwrap();
    u.unsubscribe().unwrap();
    assert_eq!(u.unsubscribe().unwrap_err().status, Status::InvalidSubscription);
    nc.publish("un", b"x").unwrap();
    nc.flush(T).unwrap();
    assert!(u.next_msg(Duration::from_millis(100)).is_err());
}

#[test]
fn subscription_drain_delivers_everything_already_sent() {
    let s = NatsServer::start();
    let nc = connect(&s);
    let n = Arc::new(AtomicUsize::new(0));
    let n2 = n.clone();
    let sub = nc
        .subscribe(
            "dr",
            None,
            Box::new(move |_, _| {
                std::thread::sleep(Duration::from_micros(200));
                n2.fetch_add(1, Ordering::SeqCst);
            }),
        )
        .unwrap();
    nc.flush(T).unwrap();
    for _ in 0..2000 {
        nc.publish("dr", b"x").unwrap();
    }
    nc.flush(T).unwrap();
    sub.drain().unwrap();
    sub.drain_wait(Duration::from_secs(20)).unwrap();
    assert_eq!(n.load(Ordering::SeqCst), 2000);
    nc.publish("dr", b"late").unwrap();
    nc.flush(T).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(n.load(Ordering::SeqCst), 2000);
}

/// A thread waiting in `drain_wait` on a synchronous subscription wakes when another thread
/// takes the last message and then the end (it slept until its timeout before: the Go
/// binding's drain goroutines held a thread each for 30 s).
#[test]
fn drain_wait_wakes_when_a_reader_takes_the_end() {
    let s = NatsServer::start();
    let nc = connect(&s);
    let sub = nc.subscribe_sync("drs", None).unwrap();
    nc.flush(T).unwrap();
    for _ in 0..100 {
        nc.publish("drs", b"x").unwrap();
    }
    nc.flush(T).unwrap();
    sub.drain().unwrap();
    let waiter = sub.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(waiter.drain_wait(Duration::from_secs(60)));
    });
    std::thread::sleep(Duration::from_millis(50)); // the waiter is asleep
    let mut got = 0;
    loop {
        match sub.try_next_msgs(16) {
            Ok(v) if v.is_empty() => std::thread::sleep(Duration::from_millis(1)),
            Ok(v) => got += v.len(),
            Err(_) => break, // the end
        }
    }
    assert_eq!(got, 100);
    let r = rx.recv_timeout(Duration::from_secs(10)).expect("drain_wait still asleep after the end was taken");
    assert!(r.is_ok(), "{:?}", r);
}

#[test]
fn connection_drain_delivers_queued_messages_and_closes() {
    let s = NatsServer::start();
    let closed = Arc::new(AtomicUsize::new(0));
    let c2 = closed.clone();
    let mut o = Options::default();
    o.set_url(&s.url()).unwrap();
    o.closed_cb = Some(Arc::new(move |_| {
        c2.fetch_add(1, Ordering::SeqCst);
    }));
    let nc = Connection::connect(o).unwrap();
    let n = Arc::new(AtomicUsize::new(0));
    let n2 = n.clone();
    let _sub = nc
        .subscribe(
            "cdr",
            None,
            Box::new(move |_, _| {
                std::thread::sleep(Duration::from_micros(100));
                n2.fetch_add(1, Ordering::SeqCst);
            }),
        )
        .unwrap();
    let p = connect(&s);
    nc.flush(T).unwrap();
    for _ in 0..3000 {
        p.publish("cdr", b"x").unwrap();
    }
    p.flush(T).unwrap();
    nc.flush(T).unwrap();
    nc.drain(Duration::from_secs(30)).unwrap();
    assert_eq!(n.load(Ordering::SeqCst), 3000);
    assert_eq!(nc.status(), ConnectionStatus::Closed);
    assert_eq!(closed.load(Ordering::SeqCst), 1);
    assert_eq!(nc.publish("x", b"").unwrap_err().status, Status::ConnectionClosed);
    assert_eq!(nc.drain(T).unwrap_err().status, Status::ConnectionClosed);
}

#[test]
fn slow_consumer_drops_are_counted_and_reported() {
    let s = NatsServer::start();
    let errs = Arc::new(AtomicUsize::new(0));
    let e2 = errs.clone();
    let mut o = Options::default();
    o.set_url(&s.url()).unwrap();
    o.error_cb = Some(Arc::new(move |_, sub, e| {
        if e.status == Status::SlowConsumer && sub.is_some() {
            e2.fetch_add(1, Ordering::SeqCst);
        }
    }));
    let nc = Connection::connect(o).unwrap();
    let sub = nc.subscribe("slow", None, Box::new(|_, _| std::thread::sleep(Duration::from_millis(20)))).unwrap();
    sub.set_pending_limits(10, 1 << 20).unwrap();
    let sync = nc.subscribe_sync("slow", None).unwrap();
    sync.set_pending_limits(5, 1 << 20).unwrap();
    nc.flush(T).unwrap();
    for _ in 0..200 {
        nc.publish("slow", b"x").unwrap();
    }
    nc.flush(T).unwrap();
    assert!(wait_until(|| errs.load(Ordering::SeqCst) >= 1, T));
    assert!(sub.dropped() > 0);
    assert!(nc.stats().dropped_msgs > 0);
    assert_eq!(sync.next_msg(T).unwrap_err().status, Status::SlowConsumer);
    assert!(sync.next_msg(T).is_ok(), "slow consumer is reported once, then messages flow");
    assert!(nc.flush(T).is_ok(), "flush is unaffected by a slow consumer");
}

#[test]
fn no_echo_and_connect_options() {
    let s = NatsServer::start();
    let mut o = Options::default();
    o.set_url(&s.url()).unwrap();
    o.no_echo = true;
    o.name = Some("natsrs-test".into());
    o.verbose = true;
    o.pedantic = true;
    let nc = Connection::connect(o).unwrap();
    let sub = nc.subscribe_sync("echo", None).unwrap();
    let other = connect(&s);
    nc.flush(T).unwrap();
    nc.publish("echo", b"own").unwrap();
    other.publish("echo", b"other").unwrap();
    other.flush(T).unwrap();
    nc.flush(T).unwrap();
    assert_eq!(sub.next_msg(T).unwrap().data(), b"other");
    assert!(sub.next_msg(Duration::from_millis(200)).is_err());
}

#[test]
fn user_password_token_and_url_credentials() {
    let s = NatsServer::start_with_config("authorization { user: alice, password: s3cret }");
    let url = format!("nats://alice:s3cret@127.0.0.1:{}", s.port());
    let nc = Connection::connect_to(&url).unwrap();
    nc.flush(T).unwrap();
    let mut o = Options::default();
    o.set_url(&s.url()).unwrap();
    o.auth.user = Some("alice".into());
    o.auth.password = Some("s3cret".into());
    Connection::connect(o.clone()).unwrap().flush(T).unwrap();
    o.auth.password = Some("wrong".into());
    assert_eq!(Connection::connect(o).err().unwrap().status, Status::Authorization);
    // URL credentials win over options.
    let mut o = Options::default();
    o.set_url(&url).unwrap();
    o.auth.user = Some("bob".into());
    o.auth.password = Some("nope".into());
    Connection::connect(o).unwrap().flush(T).unwrap();

    let t = NatsServer::start_with_config("authorization { token: tok123 }");
    let mut o = Options::default();
    o.set_url(&t.url()).unwrap();
    o.auth.token = Some("tok123".into());
    Connection::connect(o).unwrap().flush(T).unwrap();
    Connection::connect_to(&format!("nats://tok123@127.0.0.1:{}", t.port())).unwrap().flush(T).unwrap();
    assert_eq!(Connection::connect_to(&t.url()).err().unwrap().status, Status::Authorization);
}

#[test]
fn connect_failure_is_clean() {
    let port = common::free_port();
    let e = Connection::connect_to(&format!("nats://127.0.0.1:{}", port)).err().unwrap();
    assert!(matches!(e.status, Status::Io | Status::NoServers | Status::Timeout), "{:?}", e);
    assert_eq!(Connection::connect_to("bogus://x").err().unwrap().status, Status::InvalidArgument);
}

#[test]
fn callbacks_can_call_back_into_the_library() {
    let s = NatsServer::start();
    let nc = connect(&s);
    let _svc = nc.subscribe("cb.svc", None, Box::new(|_, m| m.respond(b"pong").unwrap())).unwrap();
    let done = Arc::new(AtomicUsize::new(0));
    let (d2, nc2) = (done.clone(), nc.clone());
    let _sub = nc
        .subscribe(
            "cb.in",
            None,
            Box::new(move |sub, _m| {
                assert_eq!(nc2.request("cb.svc", b"ping", T).unwrap().data(), b"pong");
                nc2.publish("cb.out", b"x").unwrap();
                nc2.flush(T).unwrap();
                sub.unsubscribe().unwrap();
                d2.fetch_add(1, Ordering::SeqCst);
            }),
        )
        .unwrap();
    nc.flush(T).unwrap();
    nc.publish("cb.in", b"go").unwrap();
    nc.publish("cb.in", b"go").unwrap();
    assert!(wait_until(|| done.load(Ordering::SeqCst) == 1, T));
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(done.load(Ordering::SeqCst), 1, "unsubscribed from inside the handler");
}

#[test]
fn close_releases_waiters_and_stops_handlers() {
    let s = NatsServer::start();
    let nc = connect(&s);
    let _silent = nc.subscribe_sync("silent", None).unwrap();
    nc.flush(T).unwrap();
    let nc2 = nc.clone();
    let h = std::thread::spawn(move || nc2.request("silent", b"", Duration::from_secs(30)));
    std::thread::sleep(Duration::from_millis(200));
    let t0 = Instant::now();
    nc.close();
    let r = h.join().unwrap();
    assert_eq!(r.unwrap_err().status, Status::ConnectionClosed);
    assert!(t0.elapsed() < Duration::from_secs(5));
    nc.close(); // idempotent
    assert!(nc.is_closed());
}

#[test]
fn stale_connection_is_detected_when_server_is_stopped() {
    let s = NatsServer::start();
    let disc = Arc::new(Mutex::new(None));
    let d2 = disc.clone();
    let mut o = Options::default();
    o.set_url(&s.url()).unwrap();
    o.ping_interval = Duration::from_millis(100);
    o.max_pings_out = 2;
    o.allow_reconnect = false;
    o.disconnected_cb = Some(Arc::new(move |_, e| *d2.lock().unwrap() = Some(e.status)));
    let nc = Connection::connect(o).unwrap();
    s.signal("STOP");
    let ok = wait_until(|| nc.is_closed(), Duration::from_secs(5));
    s.signal("CONT");
    assert!(ok, "stale connection closed the connection");
    assert_eq!(nc.last_error().unwrap().status, Status::StaleConnection);
    assert_eq!(*disc.lock().unwrap(), Some(Status::StaleConnection));
}

#[test]
fn tail_of_a_burst_is_sent_without_flush() {
    // A burst large enough for publishers to write inline, then a small tail and no flush:
    // the tail must still go out (the writer task picks it up by itself).
    let s = NatsServer::start();
    let sub_c = connect(&s);
    let sub = sub_c.subscribe_sync("burst", None).unwrap();
    sub.set_pending_limits(-1, -1).unwrap();
    sub_c.flush(T).unwrap();
    let p = connect(&s);
    for round in 0..3u32 {
        let n = 20_000 + round * 7;
        for i in 0..n {
            p.publish("burst", &i.to_le_bytes()).unwrap();
        }
        for i in 0..n {
            let m = sub.next_msg(T).unwrap_or_else(|e| panic!("round {} message {} of {}: {}", round, i, n, e));
            assert_eq!(m.data(), &i.to_le_bytes());
        }
        std::thread::sleep(Duration::from_millis(if round == 0 { 1 } else { 100 }));
    }
}
