//! The shared delivery pool for async subscriptions: order per subscription, a slow handler
//! delays only its own thread, unsubscribe/close semantics, and the thread count for many
//! subscriptions.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

mod common;

use common::{wait_until, NatsServer};
use natsrs::{Connection, Options};

fn pooled(srv: &NatsServer, threads: usize) -> common::Conn {
    let mut o = Options::default();
    o.set_url(&srv.url()).unwrap();
    o.delivery_pool_threads = threads;
    common::connect(o)
}

/// Threads of this process whose name starts with `prefix` (tests run in parallel, so only
/// the library's own named threads are counted).
fn named_threads(prefix: &str) -> usize {
    let Ok(d) = std::fs::read_dir("/proc/self/task") else { return 0 };
    d.filter_map(|e| e.ok()).filter(|e| std::fs::read_to_string(e.path().join("comm")).is_ok_and(|c| c.starts_with(prefix))).count()
}

#[test]
fn order_per_subscription_and_thread_count() {
    let srv = NatsServer::start();
    let nc = pooled(&srv, 2);
    let seen: Arc<Mutex<Vec<Vec<u32>>>> = Arc::new(Mutex::new(vec![Vec::new(); 200]));
    let mut subs = Vec::new();
    for i in 0..200 {
        let s = seen.clone();
        subs.push(
            nc.subscribe(
                &format!("pool.{i}"),
                None,
                Box::new(move |_s, m| {
                    let n: u32 = std::str::from_utf8(m.data()).unwrap().parse().unwrap();
                    s.lock().unwrap()[i].push(n);
                }),
            )
            .unwrap(),
        );
    }
    // 200 subscriptions: no thread of their own (other tests' pools may run alongside).
    assert_eq!(named_threads("natsrs-sub-"), 0);
    for n in 0..50u32 {
        for i in 0..200 {
            nc.publish(&format!("pool.{i}"), n.to_string().as_bytes()).unwrap();
        }
    }
    nc.flush(Duration::from_secs(5)).unwrap();
    assert!(wait_until(|| seen.lock().unwrap().iter().all(|v| v.len() == 50), Duration::from_secs(10)));
    for v in seen.lock().unwrap().iter() {
        assert_eq!(*v, (0..50).collect::<Vec<u32>>());
    }
}

#[test]
fn a_slow_handler_only_delays_its_own_thread() {
    let srv = NatsServer::start();
    let nc = pooled(&srv, 2);
    // sids 1 and 2 land on different threads (sid % 2).
    let release = Arc::new(AtomicBool::new(false));
    let r = release.clone();
    let _slow = nc
        .subscribe(
            "slow",
            None,
            Box::new(move |_s, _m| {
                while !r.load(Ordering::SeqCst) {
                    thread::sleep(Duration::from_millis(5));
                }
            }),
        )
        .unwrap();
    let fast_count = Arc::new(AtomicUsize::new(0));
    let f = fast_count.clone();
    let _fast = nc
        .subscribe(
            "fast",
            None,
            Box::new(move |_s, _m| {
                f.fetch_add(1, Ordering::SeqCst);
            }),
        )
        .unwrap();
    nc.publish("slow", b"").unwrap();
    for _ in 0..100 {
        nc.publish("fast", b"").unwrap();
    }
    nc.flush(Duration::from_secs(5)).unwrap();
    assert!(wait_until(|| fast_count.load(Ordering::SeqCst) == 100, Duration::from_secs(5)), "the fast subscription was held up");
    release.store(true, Ordering::SeqCst);
}

struct Flag(Arc<AtomicBool>);
impl Drop for Flag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn unsubscribe_waits_for_the_running_handler_and_releases_it() {
    let srv = NatsServer::start();
    let nc = pooled(&srv, 1);
    let dropped = Arc::new(AtomicBool::new(false));
    let finished = Arc::new(AtomicBool::new(false));
    let started = Arc::new(AtomicBool::new(false));
    let (flag, fin, st) = (Flag(dropped.clone()), finished.clone(), started.clone());
    let sub = nc
        .subscribe(
            "held",
            None,
            Box::new(move |_s, _m| {
                let _keep = &flag;
                st.store(true, Ordering::SeqCst);
                thread::sleep(Duration::from_millis(300));
                fin.store(true, Ordering::SeqCst);
            }),
        )
        .unwrap();
    nc.publish("held", b"").unwrap();
    nc.publish("held", b"").unwrap();
    assert!(wait_until(|| started.load(Ordering::SeqCst), Duration::from_secs(5)));
    sub.unsubscribe().unwrap();
    assert!(finished.load(Ordering::SeqCst), "unsubscribe returned while the handler ran");
    assert!(dropped.load(Ordering::SeqCst), "the handler was not released by unsubscribe");

    // Auto-unsubscribe: the handler is released after the last message; drain works too.
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    let s2 = nc
        .subscribe(
            "auto",
            None,
            Box::new(move |_s, _m| {
                c.fetch_add(1, Ordering::SeqCst);
            }),
        )
        .unwrap();
    s2.auto_unsubscribe(3).unwrap();
    for _ in 0..5 {
        nc.publish("auto", b"").unwrap();
    }
    nc.flush(Duration::from_secs(5)).unwrap();
    assert!(wait_until(|| count.load(Ordering::SeqCst) == 3, Duration::from_secs(5)));
    thread::sleep(Duration::from_millis(100));
    assert_eq!(count.load(Ordering::SeqCst), 3);
    let s3 = nc.subscribe("drained", None, Box::new(|_s, _m| {})).unwrap();
    nc.publish("drained", b"").unwrap();
    s3.drain().unwrap();
    s3.drain_wait(Duration::from_secs(5)).unwrap();

    // Handlers that unsubscribe themselves and close the connection do not deadlock.
    let c2 = nc.0.clone();
    let done = Arc::new(AtomicBool::new(false));
    let d = done.clone();
    let _s4 = nc
        .subscribe(
            "closer",
            None,
            Box::new(move |s, _m| {
                let _ = s.unsubscribe();
                c2.close();
                d.store(true, Ordering::SeqCst);
            }),
        )
        .unwrap();
    nc.publish("closer", b"").unwrap();
    assert!(wait_until(|| done.load(Ordering::SeqCst), Duration::from_secs(5)));
    let t = Instant::now();
    nc.close();
    assert!(t.elapsed() < Duration::from_secs(3));
}

#[test]
fn ten_thousand_pooled_subscriptions() {
    let srv = NatsServer::start();
    let nc = pooled(&srv, 4);
    let got = Arc::new(AtomicUsize::new(0));
    let mut subs = Vec::with_capacity(10_000);
    for i in 0..10_000 {
        let g = got.clone();
        subs.push(
            nc.subscribe(
                &format!("many.{i}"),
                None,
                Box::new(move |_s, _m| {
                    g.fetch_add(1, Ordering::Relaxed);
                }),
            )
            .unwrap(),
        );
    }
    nc.flush(Duration::from_secs(10)).unwrap();
    assert_eq!(named_threads("natsrs-sub-"), 0);
    nc.publish("many.9999", b"").unwrap();
    nc.publish("many.0", b"").unwrap();
    assert!(wait_until(|| got.load(Ordering::Relaxed) == 2, Duration::from_secs(5)));
    let _: &Connection = &nc;
    drop(subs);
}
