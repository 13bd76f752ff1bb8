//! Non-blocking fetch (`PullSubscription::fetch_async` / `cancel_fetch`): completions run on the
//! completion thread, a cancel keeps what the fetch received, a completion may start the next
//! fetch, dropping the subscription completes an outstanding fetch once with an error.
//!
//! Every test starts its own JetStream server; waits are on channels with deadlines.
use crate::common;

use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use common::{connect, NatsServer};
use natsrs::error::Result;
use natsrs::jetstream::{FetchOptions, JetStream, JsMsg, StorageType, StreamConfig, SubscribeOptions};
use natsrs::Options;

const WAIT: Duration = Duration::from_secs(30);

fn setup() -> (NatsServer, common::Conn, JetStream) {
    let s = NatsServer::start_jetstream();
    let mut o = Options::default();
    o.set_url(&s.url()).expect("set_url");
    let nc = connect(o);
    let js = JetStream::new(&nc);
    let mut cfg = StreamConfig::new("FA", &["fa.>"]);
    cfg.storage = Some(StorageType::Memory);
    js.add_stream(&cfg).unwrap();
    (s, nc, js)
}

type Outcome = (Result<Vec<JsMsg>>, String);

/// A completion that sends the outcome and the name of the thread it ran on.
fn sender(tx: mpsc::Sender<Outcome>) -> natsrs::connection::Completion<Vec<JsMsg>> {
    Box::new(move |r| {
        let name = std::thread::current().name().unwrap_or("").to_string();
        let _ = tx.send((r, name));
    })
}

fn datas(v: &[JsMsg]) -> Vec<Vec<u8>> {
    v.iter().map(|m| m.data().to_vec()).collect()
}

#[test]
fn fetch_async_completes_off_the_runtime_and_cancel_keeps_messages() {
    let (_s, _nc, js) = setup();
    let ps = js.pull_subscribe("fa.q", Some("D"), SubscribeOptions::default()).unwrap();
    for i in 0..3 {
        js.publish("fa.q", format!("{i}").as_bytes()).unwrap();
    }
    let (tx, rx) = mpsc::channel();
    let o = FetchOptions { batch: 3, timeout: WAIT, ..Default::default() };
    ps.fetch_async(&o, sender(tx.clone())).unwrap();
    let (r, thread) = rx.recv_timeout(WAIT).unwrap();
    let v = r.unwrap();
    assert_eq!(datas(&v), vec![b"0".to_vec(), b"1".to_vec(), b"2".to_vec()]);
    assert!(!thread.starts_with("natsrs-rt"), "completion ran on a runtime thread: {thread}");
    for m in &v {
        m.ack().unwrap();
    }

    // Waiting for 10, two arrive, then cancel: the blocking fetch gets both, once.
    let o = FetchOptions { batch: 10, timeout: WAIT, ..Default::default() };
    let id = ps.fetch_async(&o, sender(tx.clone())).unwrap();
    // Publish once the fetch's waiting request is on the server: published earlier, the two
    // could answer its first (no-wait) request, which ends the fetch with a short batch.
    assert!(common::wait_until(|| ps.consumer_info().is_ok_and(|ci| ci.num_waiting >= 1), WAIT), "no waiting pull request");
    js.publish("fa.q", b"3").unwrap();
    js.publish("fa.q", b"4").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(ps.cancel_fetch(id));
    assert!(!ps.cancel_fetch(id));
    let v = ps.fetch(10, Duration::from_secs(5)).unwrap();
    assert_eq!(datas(&v), vec![b"3".to_vec(), b"4".to_vec()]);
    assert!(v.iter().all(|m| m.metadata().unwrap().num_delivered == 1));
    assert!(rx.recv_timeout(Duration::from_millis(200)).is_err(), "a cancelled fetch completed");
}

#[test]
fn a_completion_may_start_the_next_fetch_and_drop_fails_the_outstanding_one() {
    let (_s, _nc, js) = setup();
    let ps = Arc::new(js.pull_subscribe("fa.r", Some("E"), SubscribeOptions::default()).unwrap());
    js.publish("fa.r", b"a").unwrap();
    let (tx, rx) = mpsc::channel();
    let ps2 = ps.clone();
    let tx2 = tx.clone();
    let o = FetchOptions { batch: 1, timeout: WAIT, ..Default::default() };
    let o2 = o.clone();
    ps.fetch_async(
        &o,
        Box::new(move |r| {
            // The fetch is no longer outstanding when its completion runs.
            let again = ps2.fetch_async(&o2, sender(tx2.clone())).map(|_| ());
            let _ = tx2.send((r.and_then(|v| again.map(|_| v)), String::new()));
        }),
    )
    .unwrap();
    let (r, _) = rx.recv_timeout(WAIT).unwrap();
    assert_eq!(datas(&r.unwrap()), vec![b"a".to_vec()]);
    // The second fetch waits; dropping the subscription ends it once, with an error.
    drop(ps);
    let (r, _) = rx.recv_timeout(WAIT).unwrap();
    assert!(r.is_err());
    assert!(rx.recv_timeout(Duration::from_millis(200)).is_err(), "completed twice");
}
