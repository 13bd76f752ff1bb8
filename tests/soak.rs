//! Soak: a server killed and restarted 10 times under publish/subscribe load. Nothing may leak:
//! file descriptors, threads and RSS come back to where they were after the first connect.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

mod common;

use common::{wait_until, NatsServer};
use natsrs::{Connection, ConnectionStatus, Options};

const CYCLES: usize = 10;

fn fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map(|d| d.count()).unwrap_or(0)
}

fn status_field(name: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = s.lines().find(|l| l.starts_with(name)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn kill_and_restart_under_load_leaks_nothing() {
    let mut srv = NatsServer::start();
    let mut o = Options::default();
    o.set_url(&srv.url()).unwrap();
    o.max_reconnect = -1;
    o.reconnect_wait = Duration::from_millis(50);
    o.reconnect_jitter = Duration::ZERO;
    o.closed_cb = Some(Arc::new(|_c: &Connection| {}));
    let nc = common::connect(o);
    let got = Arc::new(AtomicU64::new(0));
    let g = got.clone();
    let _sub = nc.subscribe(
        "soak.>",
        None,
        Box::new(move |_s, _m| {
            g.fetch_add(1, Ordering::Relaxed);
        }),
    );
    let sync = nc.subscribe_sync("soak.sync", None).unwrap();
    nc.flush(Duration::from_secs(5)).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let (st, pc) = (stop.clone(), nc.0.clone());
    let publisher = thread::spawn(move || {
        let mut i = 0u64;
        while !st.load(Ordering::Relaxed) {
            let _ = pc.publish(if i.is_multiple_of(2) { "soak.a" } else { "soak.sync" }, b"payload of a soak message");
            i += 1;
            if i.is_multiple_of(256) {
                thread::sleep(Duration::from_millis(1));
            }
        }
    });
    // Warm up, then take the baseline.
    assert!(wait_until(|| got.load(Ordering::Relaxed) > 1000, Duration::from_secs(10)));
    let (fd0, th0, rss0) = (fds(), status_field("Threads:"), status_field("VmRSS:"));
    for cycle in 0..CYCLES {
        srv.kill_hard();
        assert!(wait_until(|| nc.status() == ConnectionStatus::Reconnecting, Duration::from_secs(10)), "cycle {cycle}: {:?}", nc.status());
        srv.restart();
        assert!(wait_until(|| nc.status() == ConnectionStatus::Connected, Duration::from_secs(10)), "cycle {cycle}: {:?}", nc.status());
        let before = got.load(Ordering::Relaxed);
        assert!(
            wait_until(|| got.load(Ordering::Relaxed) > before + 100, Duration::from_secs(10)),
            "cycle {cycle}: no traffic after the reconnect"
        );
        while sync.next_msg(Duration::from_millis(1)).is_ok() {}
    }
    stop.store(true, Ordering::Relaxed);
    publisher.join().unwrap();
    nc.flush(Duration::from_secs(5)).unwrap();
    while sync.next_msg(Duration::from_millis(1)).is_ok() {}
    let (fd1, th1, rss1) = (fds(), status_field("Threads:"), status_field("VmRSS:"));
    eprintln!("fds {fd0} -> {fd1}, threads {th0} -> {th1}, rss {rss0} -> {rss1} KiB; {} messages", got.load(Ordering::Relaxed));
    assert!(fd1 <= fd0 + 2, "fds {fd0} -> {fd1}");
    assert!(th1 <= th0 + 1, "threads {th0} -> {th1}");
    assert!(rss1 <= rss0 + 64 * 1024, "RSS {rss0} -> {rss1} KiB");
    assert_eq!(nc.stats().reconnects, CYCLES as u64);
}
