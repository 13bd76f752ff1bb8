//! Async publish completion (issue 9): `publish_async_complete` returns only after every
//! completion callback has returned, and the pending count includes callbacks still running.
//!
//! Every test starts its own JetStream server; waits are on conditions with deadlines.
use crate::common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use common::{connect, NatsServer};
use natsrs::jetstream::{JetStream, JetStreamOptions, StorageType, StreamConfig};
use natsrs::Options;

const WAIT: Duration = Duration::from_secs(30);

fn js_with(max_pending: usize) -> (NatsServer, common::Conn, JetStream) {
    let s = NatsServer::start_jetstream();
    let mut o = Options::default();
    o.set_url(&s.url()).expect("set_url");
    let nc = connect(o);
    let js = JetStream::with_options(
        &nc,
        JetStreamOptions { publish_async_max_pending: max_pending, publish_async_stall_wait: WAIT, ..Default::default() },
    )
    .unwrap();
    let mut cfg = StreamConfig::new("CB", &["cb.>"]);
    cfg.storage = Some(StorageType::Memory);
    js.add_stream(&cfg).unwrap();
    (s, nc, js)
}

#[test]
fn async_publish_complete_waits_for_the_last_callback() {
    let (_s, _nc, js) = js_with(64);
    let n = 200;
    for round in 0..10 {
        let acked = Arc::new(AtomicUsize::new(0));
        for i in 0..n {
            let a = acked.clone();
            // The last ones sleep so that complete() is entered while they are running.
            let slow = i >= n - 3;
            js.publish_async(
                "cb.x",
                b"x",
                Some(Box::new(move |r| {
                    r.expect("pub ack");
                    if slow {
                        thread::sleep(Duration::from_millis(5));
                    }
                    a.fetch_add(1, Ordering::SeqCst);
                })),
            )
            .unwrap();
        }
        js.publish_async_complete(WAIT).unwrap();
        assert_eq!(acked.load(Ordering::SeqCst), n, "round {round}: a callback was still running after complete");
        assert_eq!(js.publish_async_pending(), 0);
    }
}

#[test]
fn async_publish_pending_counts_a_running_callback() {
    let (_s, _nc, js) = js_with(8);
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let release_rx = std::sync::Mutex::new(release_rx);
    js.publish_async(
        "cb.y",
        b"y",
        Some(Box::new(move |r| {
            r.expect("pub ack");
            tx.send(()).unwrap();
            let _ = release_rx.lock().unwrap().recv_timeout(WAIT);
        })),
    )
    .unwrap();
    rx.recv_timeout(WAIT).expect("callback started");
    // The ack arrived, but its callback has not returned: still pending.
    assert_eq!(js.publish_async_pending(), 1);
    assert!(js.publish_async_complete(Duration::from_millis(50)).is_err());
    release_tx.send(()).unwrap();
    js.publish_async_complete(WAIT).unwrap();
    assert_eq!(js.publish_async_pending(), 0);
}

#[test]
fn async_publish_complete_from_a_callback_does_not_wait_for_itself() {
    let (_s, _nc, js) = js_with(8);
    let js2 = js.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    js.publish_async(
        "cb.z",
        b"z",
        Some(Box::new(move |r| {
            r.expect("pub ack");
            tx.send(js2.publish_async_complete(Duration::from_secs(5))).unwrap();
        })),
    )
    .unwrap();
    rx.recv_timeout(WAIT).expect("callback ran").expect("complete inside the callback");
    js.publish_async_complete(WAIT).unwrap();
}
