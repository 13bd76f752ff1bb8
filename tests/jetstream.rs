//! JetStream (issue 9) against real `nats-server -js` processes with their store in a temp dir:
//! management, publish (dedupe, expectations), async publish, push and pull consumers, acks,
//! the newer consume/ordered API, and a 3-node cluster with an R3 stream.
//!
//! Every test starts its own server(s); waits are on conditions with deadlines.
use crate::common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::{connect, wait_until, Conn, NatsCluster, NatsServer};
use natsrs::jetstream::{
    error_codes, AckPolicy, ConsumeOptions, ConsumerConfig, DeliverPolicy, FetchOptions, JetStream, JetStreamOptions, JsMsg,
    OrderedConsumerOptions, PubAck, PublishOptions, PurgeOptions, StorageType, StreamConfig, SubscribeOptions,
};
use natsrs::{Error, Msg, Options, Status};

const WAIT: Duration = Duration::from_secs(10);
const MSG: Duration = Duration::from_secs(5);

fn opts(url: &str) -> Options {
    let mut o = Options::default();
    o.set_url(url).expect("set_url");
    o.reconnect_wait = Duration::from_millis(50);
    o.reconnect_jitter = Duration::from_millis(10);
    o.max_reconnect = -1;
    o
}

fn setup() -> (NatsServer, Conn, JetStream) {
    let s = NatsServer::start_jetstream();
    let nc = connect(opts(&s.url()));
    let js = JetStream::new(&nc);
    (s, nc, js)
}

fn stream(js: &JetStream, name: &str, subjects: &[&str]) {
    js.add_stream(&StreamConfig::new(name, subjects)).expect("add_stream");
}

fn api_code(e: &Error) -> u64 {
    e.api_error().map(|(_, c)| c).unwrap_or_else(|| panic!("not an API error: {e}"))
}

fn publish_n(js: &JetStream, subject: &str, n: usize) {
    for i in 0..n {
        js.publish(subject, format!("m{i}").as_bytes()).expect("publish");
    }
}

/// A fresh cluster may not know all its peers yet ("no suitable peers for placement"): retry.
fn add_stream_clustered(js: &JetStream, cfg: &StreamConfig) -> natsrs::jetstream::StreamInfo {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match js.add_stream(cfg) {
            Ok(i) => return i,
            Err(e) if Instant::now() < deadline => {
                eprintln!("add_stream (retrying): {e}");
                thread::sleep(Duration::from_millis(250));
            }
            Err(e) => panic!("add_stream: {e}"),
        }
    }
}

fn pub_opts() -> PublishOptions {
    PublishOptions::default()
}

// ---------------------------------------------------------------------------------------------
// Context and management
// ---------------------------------------------------------------------------------------------

#[test]
fn context_options_and_no_jetstream() {
    let s = NatsServer::start(); // no -js
    let nc = connect(opts(&s.url()));
    let js = JetStream::new(&nc);
    assert_eq!(js.api_prefix(), "$JS.API.");
    let e = js.account_info().unwrap_err();
    assert_eq!(e.status, Status::NoResponders, "{e}");
    let d = JetStream::with_options(&nc, JetStreamOptions { domain: Some("hub".into()), ..Default::default() }).unwrap();
    assert_eq!(d.api_prefix(), "$JS.hub.API.");
    let p = JetStream::with_options(&nc, JetStreamOptions { api_prefix: "JS.acc1.API.".into(), ..Default::default() }).unwrap();
    assert_eq!(p.api_prefix(), "JS.acc1.API.");
    assert!(JetStream::with_options(&nc, JetStreamOptions { domain: Some("a.b".into()), ..Default::default() }).is_err());
    assert!(JetStream::with_options(&nc, JetStreamOptions { timeout: Duration::ZERO, ..Default::default() }).is_err());
}

#[test]
fn stream_management() {
    let (_s, _nc, js) = setup();
    let ai = js.account_info().unwrap();
    assert_eq!(ai.streams, 0);

    let mut cfg = StreamConfig::new("ORDERS", &["ORDERS.*"]);
    cfg.storage = Some(StorageType::File);
    let info = js.add_stream(&cfg).unwrap();
    assert_eq!(info.config.name, "ORDERS");
    assert_eq!(info.config.subjects, vec!["ORDERS.*"]);
    assert_eq!(info.config.max_msgs, Some(-1), "server defaults come back");
    assert!(info.config.duplicate_window.is_some());
    // Same config again: idempotent; another config under the same name: 10058.
    js.add_stream(&cfg).unwrap();
    let mut other = cfg.clone();
    other.subjects = vec!["OTHER.*".into()];
    let e = js.add_stream(&other).unwrap_err();
    assert_eq!(api_code(&e), error_codes::STREAM_NAME_IN_USE, "{e}");
    assert_eq!(e.status, Status::Jetstream);
    assert!(e.message.contains("already in use"), "{e}");

    // Update (seed: MaxBytes), starting from the server's own config.
    let mut upd = js.stream_info("ORDERS").unwrap().config;
    upd.max_bytes = Some(1 << 20);
    let info = js.update_stream(&upd).unwrap();
    assert_eq!(info.config.max_bytes, Some(1 << 20));

    // JSON config with a field the typed struct does not know.
    let info = js.add_stream_json(r#"{"name":"JSONS","subjects":["json.>"],"storage":"memory","metadata":{"team":"a"}}"#).unwrap();
    assert_eq!(info.config.storage, Some(StorageType::Memory));
    assert_eq!(info.config.extra["metadata"]["team"], "a");
    stream(&js, "THIRD", &["third.>"]);

    // Names and list, with a subject filter.
    let mut names = js.stream_names(None).unwrap();
    names.sort();
    assert_eq!(names, vec!["JSONS", "ORDERS", "THIRD"]);
    assert_eq!(js.stream_names(Some("json.x")).unwrap(), vec!["JSONS"]);
    assert_eq!(js.stream_name_by_subject("ORDERS.new").unwrap(), "ORDERS");
    assert_eq!(js.stream_name_by_subject("nope").unwrap_err().status, Status::NotFound);
    let list = js.streams(None).unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(js.streams(Some("third.a")).unwrap()[0].config.name, "THIRD");
    assert_eq!(js.account_info().unwrap().streams, 3);

    // Info of a missing stream: NotFound with 10059.
    let e = js.stream_info("MISSING").unwrap_err();
    assert_eq!((e.status, api_code(&e)), (Status::NotFound, error_codes::STREAM_NOT_FOUND));
    assert_eq!(js.stream_info("bad.name").unwrap_err().status, Status::InvalidArgument);

    js.delete_stream("THIRD").unwrap();
    let e = js.delete_stream("THIRD").unwrap_err();
    assert_eq!(api_code(&e), error_codes::STREAM_NOT_FOUND);
    assert_eq!(js.stream_names(None).unwrap().len(), 2);
}

#[test]
fn purge_variants_and_message_get() {
    let (_s, _nc, js) = setup();
    let mut cfg = StreamConfig::new("P", &["p.>"]);
    cfg.allow_direct = Some(true);
    js.add_stream(&cfg).unwrap();
    for i in 0..10 {
        let subj = if i % 2 == 0 { "p.even" } else { "p.odd" };
        let mut m = Msg::new(subj, None, format!("v{i}").as_bytes()).unwrap();
        m.headers_mut().set("X-N", &i.to_string()).unwrap();
        js.publish_msg(m, &pub_opts()).unwrap();
    }
    // Get by sequence and last by subject, with headers.
    let m = js.get_msg("P", 3).unwrap();
    assert_eq!((m.subject.as_str(), m.seq, m.data.as_slice()), ("p.even", 3, &b"v2"[..]));
    assert_eq!(m.headers.as_ref().unwrap().get("X-N"), Some("2"));
    assert!(!m.time.is_empty());
    let m = js.get_last_msg("P", "p.odd").unwrap();
    assert_eq!((m.seq, m.data.as_slice()), (10, &b"v9"[..]));
    let e = js.get_msg("P", 99).unwrap_err();
    assert_eq!((e.status, api_code(&e)), (Status::NotFound, error_codes::NO_MESSAGE_FOUND));
    // Direct get.
    let m = js.direct_get_msg("P", 4).unwrap();
    assert_eq!((m.subject.as_str(), m.seq, m.data.as_slice()), ("p.odd", 4, &b"v3"[..]));
    assert_eq!(m.headers.as_ref().unwrap().get("X-N"), Some("3"));
    let m = js.direct_get_last_msg("P", "p.even").unwrap();
    assert_eq!(m.seq, 9);
    assert_eq!(js.direct_get_msg("P", 99).unwrap_err().status, Status::NotFound);
    // Delete one message.
    js.delete_msg("P", 1, false).unwrap();
    assert_eq!(js.get_msg("P", 1).unwrap_err().status, Status::NotFound);
    assert_eq!(js.stream_info("P").unwrap().state.messages, 9);

    // Purge by subject, keep, up to sequence, whole.
    assert_eq!(js.purge_stream_with("P", &PurgeOptions { subject: Some("p.even".into()), ..Default::default() }).unwrap(), 4);
    let st = js.stream_info("P").unwrap().state;
    assert_eq!(st.messages, 5);
    assert_eq!(js.purge_stream_with("P", &PurgeOptions { keep: Some(3), ..Default::default() }).unwrap(), 2);
    assert_eq!(js.stream_info("P").unwrap().state.first_seq, 6);
    assert_eq!(js.purge_stream_with("P", &PurgeOptions { up_to_seq: Some(9), ..Default::default() }).unwrap(), 2);
    assert_eq!(js.stream_info("P").unwrap().state.messages, 1);
    assert!(js.purge_stream_with("P", &PurgeOptions { up_to_seq: Some(1), keep: Some(1), ..Default::default() }).is_err());
    assert_eq!(js.purge_stream("P").unwrap(), 1);
    assert_eq!(js.stream_info("P").unwrap().state.messages, 0);
}

#[test]
fn consumer_management() {
    let (_s, _nc, js) = setup();
    stream(&js, "ORDERS", &["ORDERS.*"]);
    // Seed: AddConsumer with Durable "MONITOR".
    let info = js.add_consumer("ORDERS", &ConsumerConfig::durable("MONITOR")).unwrap();
    assert_eq!(info.name, "MONITOR");
    assert_eq!(info.stream_name, "ORDERS");
    // Same config: fine; different config: 10148 (exists).
    js.add_consumer("ORDERS", &ConsumerConfig::durable("MONITOR")).unwrap();
    let mut c2 = ConsumerConfig::durable("MONITOR");
    c2.max_deliver = Some(7);
    c2.ack_policy = Some(AckPolicy::Explicit);
    c2.deliver_policy = Some(DeliverPolicy::New);
    let e = js.add_consumer("ORDERS", &c2).unwrap_err();
    assert_eq!(api_code(&e), error_codes::CONSUMER_EXISTS, "{e}");
    // Update: allowed fields change.
    let mut upd = js.consumer_info("ORDERS", "MONITOR").unwrap().config;
    upd.max_deliver = Some(5);
    upd.description = Some("monitor".into());
    let info = js.update_consumer("ORDERS", &upd).unwrap();
    assert_eq!(info.config.max_deliver, Some(5));
    assert_eq!(info.config.description.as_deref(), Some("monitor"));
    // Update of a missing consumer: 10149.
    let e = js.update_consumer("ORDERS", &ConsumerConfig::durable("NOPE")).unwrap_err();
    assert_eq!(api_code(&e), error_codes::CONSUMER_DOES_NOT_EXIST, "{e}");
    // A pull consumer with a filter (created through the filtered subject form) and JSON.
    let mut pc = ConsumerConfig::durable("PULL");
    pc.filter_subject = Some("ORDERS.new".into());
    pc.ack_policy = Some(AckPolicy::Explicit);
    pc.ack_wait = Some(Duration::from_secs(7));
    pc.backoff = None;
    let info = js.add_consumer("ORDERS", &pc).unwrap();
    assert_eq!(info.config.ack_wait, Some(Duration::from_secs(7)));
    let info = js.add_consumer_json("ORDERS", r#"{"durable_name":"J","ack_policy":"all","metadata":{"k":"v"}}"#).unwrap();
    assert_eq!(info.config.ack_policy, Some(AckPolicy::All));
    assert_eq!(info.config.extra["metadata"]["k"], "v");
    // Ephemeral (no name): the server names it.
    let eph = js.add_consumer("ORDERS", &ConsumerConfig::default()).unwrap();
    assert!(!eph.name.is_empty());

    let mut names = js.consumer_names("ORDERS").unwrap();
    names.sort();
    let mut want = vec!["J".to_string(), "MONITOR".into(), "PULL".into(), eph.name.clone()];
    want.sort();
    assert_eq!(names, want);
    assert_eq!(js.consumers("ORDERS").unwrap().len(), 4);
    assert_eq!(js.stream_info("ORDERS").unwrap().state.consumer_count, 4);

    js.delete_consumer("ORDERS", "MONITOR").unwrap();
    let e = js.consumer_info("ORDERS", "MONITOR").unwrap_err();
    assert_eq!((e.status, api_code(&e)), (Status::NotFound, error_codes::CONSUMER_NOT_FOUND));
    let e = js.delete_consumer("ORDERS", "MONITOR").unwrap_err();
    assert_eq!(e.status, Status::NotFound);
    // Consumer on a missing stream.
    let e = js.add_consumer("MISSING", &ConsumerConfig::durable("X")).unwrap_err();
    assert_eq!(api_code(&e), error_codes::STREAM_NOT_FOUND);
    // Backoff longer than max_deliver allows: 10116.
    let mut bad = ConsumerConfig::durable("B");
    bad.ack_policy = Some(AckPolicy::Explicit);
    bad.max_deliver = Some(1);
    bad.backoff = Some(vec![Duration::from_secs(1), Duration::from_secs(2)]);
    assert_eq!(api_code(&js.add_consumer("ORDERS", &bad).unwrap_err()), error_codes::MAX_DELIVER_BACKOFF);
}

// ---------------------------------------------------------------------------------------------
// Publish
// ---------------------------------------------------------------------------------------------

#[test]
fn publish_ack_dedupe_and_expectations() {
    let (_s, _nc, js) = setup();
    stream(&js, "ORDERS", &["ORDERS.*"]);
    let a = js.publish("ORDERS.scratch", b"hello").unwrap();
    assert_eq!(a, PubAck { stream: "ORDERS".into(), seq: 1, duplicate: false, domain: None });

    // Dedupe by message id.
    let o = PublishOptions { msg_id: Some("id-1".into()), ..Default::default() };
    let a = js.publish_with("ORDERS.a", b"1", &o).unwrap();
    assert_eq!((a.seq, a.duplicate), (2, false));
    let a = js.publish_with("ORDERS.a", b"1 again", &o).unwrap();
    assert_eq!((a.seq, a.duplicate), (2, true));
    assert_eq!(js.stream_info("ORDERS").unwrap().state.messages, 2);

    // Expectations that hold.
    let ok = PublishOptions {
        expected_stream: Some("ORDERS".into()),
        expected_last_seq: Some(2),
        expected_last_msg_id: Some("id-1".into()),
        ..Default::default()
    };
    assert_eq!(js.publish_with("ORDERS.a", b"x", &ok).unwrap().seq, 3);
    let ok = PublishOptions { expected_last_subject_seq: Some(3), ..Default::default() };
    assert_eq!(js.publish_with("ORDERS.a", b"y", &ok).unwrap().seq, 4);
    let ok = PublishOptions { expected_last_subject_seq: Some(0), ..Default::default() };
    assert_eq!(js.publish_with("ORDERS.fresh", b"z", &ok).unwrap().seq, 5);

    // Each failing expectation with its server code.
    let cases: Vec<(PublishOptions, u64)> = vec![
        (PublishOptions { expected_stream: Some("OTHER".into()), ..Default::default() }, error_codes::STREAM_MISMATCH),
        (PublishOptions { expected_last_seq: Some(1), ..Default::default() }, error_codes::WRONG_LAST_SEQUENCE),
        (PublishOptions { expected_last_subject_seq: Some(1), ..Default::default() }, error_codes::WRONG_LAST_SEQUENCE),
        (PublishOptions { expected_last_subject_seq: Some(0), ..Default::default() }, error_codes::WRONG_LAST_SEQUENCE),
        (PublishOptions { expected_last_msg_id: Some("nope".into()), ..Default::default() }, error_codes::WRONG_LAST_MSG_ID),
    ];
    for (o, code) in cases {
        let e = js.publish_with("ORDERS.a", b"no", &o).unwrap_err();
        assert_eq!(e.status, Status::Jetstream, "{o:?}: {e}");
        assert_eq!(api_code(&e), code, "{o:?}: {e}");
    }
    assert_eq!(js.stream_info("ORDERS").unwrap().state.messages, 5);

    // Headers of the message are kept.
    let mut m = Msg::new("ORDERS.h", None, b"with headers").unwrap();
    m.headers_mut().add("A", "1").unwrap();
    m.headers_mut().add("A", "2").unwrap();
    let seq = js.publish_msg(m, &pub_opts()).unwrap().seq;
    assert_eq!(js.get_msg("ORDERS", seq).unwrap().headers.unwrap().get_all("A"), ["1", "2"]);

    // No stream: its own status, after the retries.
    let t = Instant::now();
    let e = js.publish_with("nostream.x", b"?", &PublishOptions { retry_attempts: Some(0), ..Default::default() }).unwrap_err();
    assert_eq!(e.status, Status::NoResponders, "{e}");
    assert!(t.elapsed() < Duration::from_secs(1));
    let t = Instant::now();
    let e = js.publish("nostream.x", b"?").unwrap_err();
    assert_eq!(e.status, Status::NoResponders);
    assert!(t.elapsed() >= Duration::from_millis(450), "two retries 250 ms apart");

    // A subject nobody answers (a plain subscriber that never replies): timeout.
    let _silent = _nc_silent(&js, "silent.>");
    let e =
        js.publish_with("silent.a", b"?", &PublishOptions { timeout: Some(Duration::from_millis(200)), ..Default::default() }).unwrap_err();
    assert_eq!(e.status, Status::Timeout, "{e}");
}

fn _nc_silent(js: &JetStream, subject: &str) -> natsrs::Subscription {
    js.connection().subscribe_sync(subject, None).unwrap()
}

#[test]
fn async_publish_100k_window_64_no_loss() {
    let (_s, nc, _) = setup();
    let js = JetStream::with_options(
        &nc,
        JetStreamOptions { publish_async_max_pending: 64, publish_async_stall_wait: Duration::from_secs(5), ..Default::default() },
    )
    .unwrap();
    let mut cfg = StreamConfig::new("ASYNC", &["async.>"]);
    cfg.storage = Some(StorageType::Memory);
    js.add_stream(&cfg).unwrap();
    const N: usize = 100_000;
    let acked = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let seqs = Arc::new(Mutex::new(Vec::with_capacity(N)));
    let max_seen = Arc::new(AtomicUsize::new(0));
    for i in 0..N {
        let (a, f, s) = (acked.clone(), failed.clone(), seqs.clone());
        js.publish_async(
            "async.x",
            format!("{i}").as_bytes(),
            Some(Box::new(move |r| match r {
                Ok(ack) => {
                    s.lock().unwrap().push(ack.seq);
                    a.fetch_add(1, Ordering::Relaxed);
                }
                Err(_) => {
                    f.fetch_add(1, Ordering::Relaxed);
                }
            })),
        )
        .expect("publish_async");
        let p = js.publish_async_pending();
        max_seen.fetch_max(p, Ordering::Relaxed);
        assert!(p <= 64, "pending {p} over the window");
    }
    js.publish_async_complete(Duration::from_secs(30)).unwrap();
    assert_eq!(js.publish_async_pending(), 0);
    assert!(wait_until(|| acked.load(Ordering::Relaxed) + failed.load(Ordering::Relaxed) == N, WAIT));
    assert_eq!(failed.load(Ordering::Relaxed), 0);
    let mut s = seqs.lock().unwrap().clone();
    s.sort_unstable();
    s.dedup();
    assert_eq!(s.len(), N);
    assert_eq!((s[0], s[N - 1]), (1, N as u64));
    assert_eq!(js.stream_info("ASYNC").unwrap().state.messages, N as u64);
    assert!(max_seen.load(Ordering::Relaxed) > 1, "the window was used");
}

#[test]
fn async_publish_stall_timeout_errors_and_futures() {
    let (_s, nc, _) = setup();
    let js = JetStream::with_options(
        &nc,
        JetStreamOptions {
            publish_async_max_pending: 2,
            publish_async_stall_wait: Duration::from_millis(100),
            timeout: Duration::from_millis(400),
            ..Default::default()
        },
    )
    .unwrap();
    stream(&js, "S", &["s.>"]);
    // Futures and callbacks see the same ack.
    let got = Arc::new(Mutex::new(None));
    let g = got.clone();
    let f = js.publish_async("s.1", b"a", Some(Box::new(move |r| *g.lock().unwrap() = Some(r)))).unwrap();
    let ack = f.wait(MSG).unwrap();
    assert_eq!((ack.stream.as_str(), ack.seq), ("S", 1));
    assert!(wait_until(|| got.lock().unwrap().is_some(), MSG));
    assert_eq!(got.lock().unwrap().clone().unwrap().unwrap(), ack);
    // Server errors come through the future: expectation failure, no stream (503).
    let f = js
        .publish_msg_async(Msg::new("s.1", None, b"b").unwrap(), &PublishOptions { expected_last_seq: Some(7), ..Default::default() }, None)
        .unwrap();
    assert_eq!(api_code(&f.wait(MSG).unwrap_err()), error_codes::WRONG_LAST_SEQUENCE);
    let f = js.publish_async("nostream.1", b"c", None).unwrap();
    assert_eq!(f.wait(MSG).unwrap_err().status, Status::NoResponders);

    // Acks that never come: a silent subscriber. The window fills, the next publish stalls
    // then fails; the pending ones time out and free their slots.
    let _silent = nc.subscribe_sync("silent.>", None).unwrap();
    let errs = Arc::new(Mutex::new(Vec::new()));
    for _ in 0..2 {
        let e = errs.clone();
        js.publish_async("silent.a", b"x", Some(Box::new(move |r| e.lock().unwrap().push(r.unwrap_err().status)))).unwrap();
    }
    assert_eq!(js.publish_async_pending(), 2);
    let t = Instant::now();
    let e = js.publish_async("silent.a", b"x", None).unwrap_err();
    assert_eq!(e.status, Status::Timeout, "{e}");
    assert!(e.message.contains("stalled"), "{e}");
    assert!(t.elapsed() >= Duration::from_millis(90));
    assert!(js.publish_async_complete(Duration::from_millis(50)).is_err());
    js.publish_async_complete(MSG).unwrap();
    assert_eq!(*errs.lock().unwrap(), vec![Status::Timeout, Status::Timeout]);
    assert_eq!(js.publish_async_pending(), 0);
    // The window works again.
    assert_eq!(js.publish_async("s.2", b"ok", None).unwrap().wait(MSG).unwrap().seq, 2);
}

#[test]
fn async_publish_disconnect_frees_the_window() {
    let (mut s, nc, _) = setup();
    let js = JetStream::with_options(
        &nc,
        JetStreamOptions { publish_async_max_pending: 8, timeout: Duration::from_secs(60), ..Default::default() },
    )
    .unwrap();
    let _silent = nc.subscribe_sync("silent.>", None).unwrap();
    let futs: Vec<_> = (0..8).map(|_| js.publish_async("silent.a", b"x", None).unwrap()).collect();
    assert_eq!(js.publish_async_pending(), 8);
    let t = Instant::now();
    s.restart();
    js.publish_async_complete(Duration::from_secs(10)).expect("window cleared after the disconnect");
    assert!(t.elapsed() < Duration::from_secs(10));
    for f in futs {
        assert_eq!(f.wait(MSG).unwrap_err().status, Status::NotConnected);
    }
    // After the reconnect, async publishing works, and a publish made right after it is not
    // failed as "disconnected" by the reconnect that came before it.
    assert!(wait_until(|| nc.status() == natsrs::ConnectionStatus::Connected, WAIT));
    let f = js.publish_async("silent.a", b"x", None).unwrap();
    thread::sleep(Duration::from_millis(300));
    assert!(f.try_result().is_none(), "{:?}", f.try_result());
    stream(&js, "S", &["s.>"]);
    assert_eq!(js.publish_async("s.1", b"ok", None).unwrap().wait(MSG).unwrap().seq, 1);
}

// ---------------------------------------------------------------------------------------------
// Push consumers
// ---------------------------------------------------------------------------------------------

#[test]
fn push_ephemeral_callback_auto_ack() {
    let (_s, _nc, js) = setup();
    stream(&js, "ORDERS", &["ORDERS.*"]);
    publish_n(&js, "ORDERS.a", 50);
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    let sub = js
        .subscribe(
            "ORDERS.*",
            Box::new(move |m: JsMsg| g.lock().unwrap().push(m.metadata().unwrap().stream_seq)),
            SubscribeOptions::default(),
        )
        .unwrap();
    assert_eq!(sub.stream_name(), "ORDERS");
    assert!(sub.created_consumer());
    publish_n(&js, "ORDERS.b", 50);
    assert!(wait_until(|| got.lock().unwrap().len() == 100, WAIT));
    assert_eq!(*got.lock().unwrap(), (1..=100).collect::<Vec<u64>>());
    // Auto-ack: nothing left pending.
    assert!(wait_until(|| sub.consumer_info().map(|i| i.num_ack_pending == 0 && i.ack_floor.stream_seq == 100).unwrap_or(false), WAIT));
    let name = sub.consumer_name().to_string();
    sub.unsubscribe().unwrap();
    assert_eq!(js.consumer_info("ORDERS", &name).unwrap_err().status, Status::NotFound);
}

#[test]
fn push_sync_durable_monitor_max_deliver() {
    let (_s, _nc, js) = setup();
    stream(&js, "ORDERS", &["ORDERS.*"]);
    // Seed: js.SubscribeSync("ORDERS.*", nats.Durable("MONITOR"), nats.MaxDeliver(3)).
    let mut o = SubscribeOptions { durable: Some("MONITOR".into()), ..Default::default() };
    o.config.max_deliver = Some(3);
    let sub = js.subscribe_sync("ORDERS.*", o.clone()).unwrap();
    assert_eq!(sub.consumer_name(), "MONITOR");
    js.publish("ORDERS.x", b"work").unwrap();
    // Naked three times: delivered exactly three times, then never again.
    for n in 1..=3 {
        let m = sub.next_msg(MSG).unwrap();
        let md = m.metadata().unwrap();
        assert_eq!((md.stream, md.consumer, md.num_delivered, md.stream_seq), ("ORDERS".into(), "MONITOR".into(), n, 1));
        m.nak().unwrap();
        assert_eq!(m.nak().unwrap_err().status, Status::IllegalState, "second ack refused");
    }
    assert_eq!(sub.next_msg(Duration::from_millis(500)).unwrap_err().status, Status::Timeout);
    let info = sub.consumer_info().unwrap();
    assert_eq!(info.config.max_deliver, Some(3));
    // A second plain subscription on the bound durable is refused; keep the consumer on
    // unsubscribe when asked to.
    assert!(js.subscribe_sync("ORDERS.*", o.clone()).is_err());
    let mut sub = sub;
    sub.set_delete_consumer(false);
    sub.unsubscribe().unwrap();
    assert!(wait_until(|| js.consumer_info("ORDERS", "MONITOR").map(|i| !i.push_bound).unwrap_or(false), WAIT));
    // Binding again resumes the durable.
    let sub2 = js.subscribe_sync("ORDERS.*", o).unwrap();
    assert!(!sub2.created_consumer());
    js.publish("ORDERS.y", b"more").unwrap();
    let m = sub2.next_msg(MSG).unwrap();
    assert_eq!(m.data(), b"more");
    m.ack_sync(MSG).unwrap();
    sub2.unsubscribe().unwrap();
    assert!(js.consumer_info("ORDERS", "MONITOR").is_ok(), "a consumer it did not create is kept");
}

#[test]
fn push_queue_subscribers_share_messages() {
    let (_s, _nc, js) = setup();
    stream(&js, "Q", &["q.>"]);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let counts: Vec<Arc<AtomicUsize>> = (0..2).map(|_| Arc::new(AtomicUsize::new(0))).collect();
    let mut subs = Vec::new();
    for c in &counts {
        let (c, s) = (c.clone(), seen.clone());
        subs.push(
            js.queue_subscribe(
                "q.>",
                "workers",
                Box::new(move |m: JsMsg| {
                    s.lock().unwrap().push(m.metadata().unwrap().stream_seq);
                    c.fetch_add(1, Ordering::Relaxed);
                    m.ack().unwrap();
                }),
                SubscribeOptions { manual_ack: true, ..Default::default() },
            )
            .unwrap(),
        );
    }
    assert_eq!(subs[0].consumer_name(), "workers");
    publish_n(&js, "q.job", 200);
    assert!(wait_until(|| seen.lock().unwrap().len() == 200, WAIT));
    let mut s = seen.lock().unwrap().clone();
    s.sort_unstable();
    s.dedup();
    assert_eq!(s.len(), 200, "each message once");
    assert!(counts.iter().all(|c| c.load(Ordering::Relaxed) > 0), "both members got work");
    thread::sleep(Duration::from_millis(200));
    assert_eq!(seen.lock().unwrap().len(), 200, "no redelivery after manual acks");
}

#[test]
fn acks_redelivery_nak_delay_term_progress() {
    let (_s, nc, js) = setup();
    stream(&js, "A", &["a.>"]);
    let mut o = SubscribeOptions::default();
    o.config.ack_wait = Some(Duration::from_millis(500));
    let sub = js.subscribe_sync("a.>", o).unwrap();

    // Ack-wait redelivery.
    js.publish("a.1", b"one").unwrap();
    let m = sub.next_msg(MSG).unwrap();
    assert_eq!(m.metadata().unwrap().num_delivered, 1);
    let t = Instant::now();
    let m = sub.next_msg(MSG).unwrap();
    assert!(t.elapsed() >= Duration::from_millis(300));
    let md = m.metadata().unwrap();
    assert_eq!((md.num_delivered, md.stream_seq), (2, 1));
    assert!(md.timestamp_ns > 1_600_000_000_000_000_000);
    // Double ack: second one refused.
    m.ack_sync(MSG).unwrap();
    assert!(m.is_acked());
    assert_eq!(m.ack().unwrap_err().status, Status::IllegalState);
    assert_eq!(m.clone().term().unwrap_err().status, Status::IllegalState, "clones share the state");

    // Nak with delay.
    js.publish("a.2", b"two").unwrap();
    let m = sub.next_msg(MSG).unwrap();
    let t = Instant::now();
    m.nak_with_delay(Duration::from_millis(300)).unwrap();
    let m = sub.next_msg(MSG).unwrap();
    assert!(t.elapsed() >= Duration::from_millis(250), "{:?}", t.elapsed());
    assert_eq!(m.metadata().unwrap().num_delivered, 2);
    // Term with reason: no more redelivery.
    m.term_with_reason("bad input").unwrap();
    // In progress keeps a message from being redelivered past ack wait.
    js.publish("a.3", b"three").unwrap();
    let m = sub.next_msg(MSG).unwrap();
    assert_eq!(m.data(), b"three");
    for _ in 0..4 {
        thread::sleep(Duration::from_millis(200));
        m.in_progress().unwrap();
    }
    m.ack().unwrap();
    assert_eq!(sub.next_msg(Duration::from_millis(700)).unwrap_err().status, Status::Timeout);

    // Acking a core message is an error.
    let core = nc.subscribe_sync("core.x", None).unwrap();
    nc.publish_request("core.x", "reply.x", b"c").unwrap();
    let cm = JsMsg::new(core.next_msg(MSG).unwrap(), &nc);
    assert_eq!(cm.ack().unwrap_err().status, Status::IllegalState);
    assert!(cm.metadata().is_err());
}

#[test]
fn backoff_redeliveries() {
    let (_s, _nc, js) = setup();
    stream(&js, "B", &["b.>"]);
    let mut o = SubscribeOptions::default();
    o.config.max_deliver = Some(3);
    o.config.backoff = Some(vec![Duration::from_millis(200), Duration::from_millis(1500)]);
    let sub = js.subscribe_sync("b.>", o).unwrap();
    js.publish("b.1", b"x").unwrap();
    let mut times = Vec::new();
    for _ in 0..3 {
        let _m = sub.next_msg(MSG).unwrap(); // never acked
        times.push(Instant::now());
    }
    let d1 = times[1] - times[0];
    let d2 = times[2] - times[1];
    assert!(d1 >= Duration::from_millis(150) && d1 < Duration::from_millis(1200), "{d1:?}");
    assert!(d2 >= Duration::from_millis(1300), "{d2:?}");
    assert_eq!(sub.next_msg(Duration::from_millis(2000)).unwrap_err().status, Status::Timeout);
}

// ---------------------------------------------------------------------------------------------
// Pull consumers
// ---------------------------------------------------------------------------------------------

#[test]
fn pull_fetch_short_batch_timeout_no_wait_bytes() {
    let (_s, _nc, js) = setup();
    stream(&js, "ORDERS", &["ORDERS.*"]);
    // Seed: js.PullSubscribe("ORDERS.*", "MONITOR"); sub.Fetch(10).
    let sub = js.pull_subscribe("ORDERS.*", Some("MONITOR"), SubscribeOptions::default()).unwrap();
    // Empty stream: no-wait returns nothing at once; fetch times out.
    let t = Instant::now();
    assert!(sub.fetch_no_wait(10).unwrap().is_empty());
    assert!(t.elapsed() < Duration::from_millis(500));
    let t = Instant::now();
    let e = sub.fetch(10, Duration::from_millis(300)).unwrap_err();
    assert_eq!(e.status, Status::Timeout);
    assert!(t.elapsed() >= Duration::from_millis(250) && t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());

    publish_n(&js, "ORDERS.a", 5);
    // Short batch: returned as soon as the server says there is no more.
    let t = Instant::now();
    let msgs = sub.fetch(10, Duration::from_secs(3)).unwrap();
    assert_eq!(msgs.len(), 5);
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    for m in &msgs {
        m.ack().unwrap();
    }
    publish_n(&js, "ORDERS.b", 5);
    let t = Instant::now();
    let msgs = sub.fetch_no_wait(10).unwrap();
    assert_eq!(msgs.len(), 5);
    assert!(t.elapsed() < Duration::from_millis(500), "no-wait short batch at once");
    msgs.iter().for_each(|m| m.ack().unwrap());
    // A full batch returns at once.
    publish_n(&js, "ORDERS.c", 20);
    let t = Instant::now();
    let msgs = sub.fetch(10, Duration::from_secs(5)).unwrap();
    assert_eq!(msgs.len(), 10);
    assert!(t.elapsed() < Duration::from_secs(1));
    msgs.iter().for_each(|m| m.ack().unwrap());
    // By bytes: each message is ~ "ORDERS.c" + ack subject + 2-3 bytes; 300 bytes is a few.
    let msgs = sub.fetch_bytes(300, Duration::from_secs(2)).unwrap();
    assert!(!msgs.is_empty() && msgs.len() < 10, "{}", msgs.len());
    msgs.iter().for_each(|m| m.ack().unwrap());
    let rest = sub.fetch_with(&FetchOptions { batch: 100, timeout: Duration::from_millis(500), ..Default::default() }).unwrap();
    assert!(!rest.is_empty());
    sub.unsubscribe().unwrap();
    assert!(js.consumer_info("ORDERS", "MONITOR").is_err(), "created durable deleted by default");
}

#[test]
fn pull_ephemeral_and_max_deliver_after_naks() {
    let (_s, _nc, js) = setup();
    stream(&js, "W", &["w.>"]);
    let mut o = SubscribeOptions::default();
    o.config.max_deliver = Some(2);
    o.delete_consumer = Some(false);
    let sub = js.pull_subscribe("w.>", None, o).unwrap();
    assert!(sub.created_consumer());
    js.publish("w.1", b"job").unwrap();
    for n in 1..=2 {
        let m = sub.fetch(1, MSG).unwrap().remove(0);
        assert_eq!(m.metadata().unwrap().num_delivered, n);
        m.nak().unwrap();
    }
    assert_eq!(sub.fetch(1, Duration::from_millis(500)).unwrap_err().status, Status::Timeout);
    let info = sub.consumer_info().unwrap();
    assert_eq!(info.config.inactive_threshold, Some(Duration::from_secs(300)));
    let name = sub.consumer_name().to_string();
    sub.drain(MSG).unwrap();
    assert!(js.consumer_info("W", &name).is_ok(), "kept when asked to");
}

#[test]
fn pull_consumer_deleted_is_a_clear_error() {
    let (_s, _nc, js) = setup();
    stream(&js, "D", &["d.>"]);
    let sub = Arc::new(js.pull_subscribe("d.>", Some("DUR"), SubscribeOptions::default()).unwrap());
    let s2 = sub.clone();
    let t = Instant::now();
    let h = thread::spawn(move || s2.fetch(10, Duration::from_secs(8)));
    thread::sleep(Duration::from_millis(300));
    js.delete_consumer("D", "DUR").unwrap();
    let e = h.join().unwrap().unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(4), "no hang: {:?}", t.elapsed());
    assert_eq!(e.status, Status::NotFound, "{e}");
    assert!(e.message.contains("deleted"), "{e}");
    // A fetch after the deletion fails at once too.
    let t = Instant::now();
    let e = sub.fetch(1, Duration::from_secs(5)).unwrap_err();
    assert_eq!(e.status, Status::NotFound, "{e}");
    assert!(t.elapsed() < Duration::from_secs(2));
}

#[test]
fn pull_bind_checks() {
    let (_s, _nc, js) = setup();
    stream(&js, "ORDERS", &["ORDERS.*"]);
    let e = js.pull_subscribe("ORDERS.*", None, SubscribeOptions { bind: Some("NOPE".into()), ..Default::default() }).unwrap_err();
    assert_eq!(e.status, Status::NotFound);
    let push = js.subscribe_sync("ORDERS.*", SubscribeOptions { durable: Some("P".into()), ..Default::default() }).unwrap();
    let e = js.pull_subscribe("ORDERS.*", Some("P"), SubscribeOptions::default()).unwrap_err();
    assert_eq!(e.status, Status::IllegalState);
    push.unsubscribe().unwrap();
    js.add_consumer(
        "ORDERS",
        &ConsumerConfig { durable_name: Some("PL".into()), ack_policy: Some(AckPolicy::Explicit), ..Default::default() },
    )
    .unwrap();
    let e = js.subscribe_sync("ORDERS.*", SubscribeOptions { bind: Some("PL".into()), ..Default::default() }).unwrap_err();
    assert_eq!(e.status, Status::IllegalState);
    let e = js.subscribe_sync("NOSTREAM.*", SubscribeOptions::default()).unwrap_err();
    assert_eq!(e.status, Status::NotFound);
}

// ---------------------------------------------------------------------------------------------
// Newer API: handles, consume, messages, ordered consumer
// ---------------------------------------------------------------------------------------------

#[test]
fn consume_and_messages() {
    let (_s, _nc, js) = setup();
    stream(&js, "C", &["c.>"]);
    let st = js.stream("C").unwrap();
    let c = st
        .create_or_update_consumer(&ConsumerConfig {
            durable_name: Some("CON".into()),
            ack_policy: Some(AckPolicy::Explicit),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(st.consumer_names().unwrap(), vec!["CON"]);
    publish_n(&js, "c.x", 1000);
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    let ctx = c
        .consume(
            Box::new(move |m: JsMsg| {
                g.lock().unwrap().push(m.metadata().unwrap().stream_seq);
                m.ack().unwrap();
            }),
            None,
            ConsumeOptions { max_messages: 100, ..Default::default() },
        )
        .unwrap();
    assert!(wait_until(|| got.lock().unwrap().len() == 1000, WAIT), "{}", got.lock().unwrap().len());
    publish_n(&js, "c.y", 10);
    assert!(wait_until(|| got.lock().unwrap().len() == 1010, WAIT));
    ctx.stop();
    assert!(ctx.is_closed());
    assert_eq!(*got.lock().unwrap(), (1..=1010).collect::<Vec<u64>>());

    // Iterator with a short heartbeat.
    publish_n(&js, "c.z", 5);
    let mut it = c
        .messages(ConsumeOptions {
            max_messages: 3,
            expires: Duration::from_secs(2),
            heartbeat: Some(Duration::from_millis(500)),
            ..Default::default()
        })
        .unwrap();
    for i in 0..5 {
        let m = it.next(MSG).unwrap();
        assert_eq!(m.metadata().unwrap().stream_seq, 1011 + i);
        m.ack().unwrap();
    }
    assert_eq!(it.next(Duration::from_millis(1500)).unwrap_err().status, Status::Timeout);
    // Its pull requests are still waiting on the server: they expire (2 s) and are answered
    // into a stopped iterator.
    it.stop();
    thread::sleep(Duration::from_millis(2100));
    // Fetch through the handle.
    publish_n(&js, "c.w", 2);
    assert_eq!(c.fetch(5, Duration::from_secs(1)).unwrap().len(), 2);

    // Deleting the consumer ends consume with an error.
    let errs = Arc::new(Mutex::new(Vec::new()));
    let e2 = errs.clone();
    let ctx = c
        .consume(Box::new(|_m| {}), Some(Box::new(move |e: &Error| e2.lock().unwrap().push(e.status))), ConsumeOptions::default())
        .unwrap();
    thread::sleep(Duration::from_millis(200));
    st.delete_consumer("CON").unwrap();
    assert!(wait_until(|| ctx.is_closed(), WAIT));
    assert_eq!(errs.lock().unwrap().last(), Some(&Status::NotFound));
}

#[test]
fn ordered_consumer_in_order_across_delete_and_restart() {
    let (mut s, nc, js) = setup();
    stream(&js, "O", &["o.>"]);
    publish_n(&js, "o.a", 100);
    let mut oc = js.stream("O").unwrap().ordered_consumer(OrderedConsumerOptions::default()).unwrap();
    let mut seen = Vec::new();
    for _ in 0..50 {
        seen.push(oc.next(MSG).unwrap().metadata().unwrap().stream_seq);
    }
    // Delete the current incarnation: a new one continues after the last delivered sequence.
    js.delete_consumer("O", oc.consumer_name()).unwrap();
    for _ in 0..50 {
        seen.push(oc.next(MSG).unwrap().metadata().unwrap().stream_seq);
    }
    assert_eq!(seen, (1..=100).collect::<Vec<u64>>());
    // Server restart.
    s.restart();
    assert!(wait_until(|| nc.status() == natsrs::ConnectionStatus::Connected, WAIT));
    assert!(wait_until(|| js.publish("o.b", b"after").is_ok(), WAIT));
    publish_n(&js, "o.b", 49);
    for _ in 0..50 {
        seen.push(oc.next(Duration::from_secs(15)).unwrap().metadata().unwrap().stream_seq);
    }
    let uniq: HashSet<u64> = seen.iter().copied().collect();
    assert_eq!(uniq.len(), seen.len(), "no duplicates");
    assert_eq!(seen, (1..=150).collect::<Vec<u64>>());
    assert!(oc.resets() >= 1);
}

#[test]
fn ordered_consumer_pending_limits_drop_and_restart_in_order() {
    let (_s, _nc, js) = setup();
    stream(&js, "OL", &["ol.>"]);
    let mut oc = js.stream("OL").unwrap().ordered_consumer(OrderedConsumerOptions::default()).unwrap();
    let cur = oc.current();
    assert_eq!(cur.set_pending_limits(0, 10).unwrap_err().status, Status::InvalidArgument);
    cur.set_pending_limits(5, -1).unwrap();
    publish_n(&js, "ol.a", 20);
    let mut seen = Vec::new();
    for _ in 0..20 {
        seen.push(oc.next(Duration::from_secs(15)).unwrap().metadata().unwrap().stream_seq);
    }
    // Every message once, in order, although most were dropped over the limit at first.
    assert_eq!(seen, (1..=20).collect::<Vec<u64>>());
    assert!(cur.dropped() > 0);
    assert!(oc.resets() >= 1);
    let (m, b) = cur.max_pending();
    assert!((1..=5).contains(&m) && b > 0, "max pending {m} {b}");
    cur.clear_max_pending();
    assert!(cur.max_pending().0 <= 1);
}

// ---------------------------------------------------------------------------------------------
// Cluster
// ---------------------------------------------------------------------------------------------

#[test]
fn cluster_r3_stream_publish_consume() {
    let c = NatsCluster::start_jetstream(3);
    let nc = connect(opts(&c.url_list()));
    let js = JetStream::new(&nc);
    let mut cfg = StreamConfig::new("R3", &["r3.>"]);
    cfg.num_replicas = Some(3);
    let info = add_stream_clustered(&js, &cfg);
    assert_eq!(info.config.num_replicas, Some(3));
    assert!(wait_until(|| js.stream_info("R3").map(|i| i.leader().is_some()).unwrap_or(false), WAIT));
    let info = js.stream_info("R3").unwrap();
    assert_eq!(info.cluster.as_ref().unwrap()["replicas"].as_array().map(|a| a.len()), Some(2));
    for i in 0..500 {
        js.publish_async("r3.x", format!("{i}").as_bytes(), None).unwrap();
    }
    js.publish_async_complete(WAIT).unwrap();
    assert_eq!(js.stream_info("R3").unwrap().state.messages, 500);
    let sub = js.pull_subscribe("r3.>", Some("RD"), SubscribeOptions::default()).unwrap();
    let mut n = 0;
    while n < 500 {
        let msgs = sub.fetch(100, MSG).unwrap();
        for m in &msgs {
            m.ack().unwrap();
        }
        n += msgs.len();
    }
    assert_eq!(n, 500);
}

#[test]
fn domain_prefix_and_v2_ack_metadata() {
    let s = NatsServer::start_with_config("jetstream {\n  domain: hub\n  store_dir: \"$TMPDIR/js\"\n}\n");
    let nc = connect(opts(&s.url()));
    let js = JetStream::with_options(&nc, JetStreamOptions { domain: Some("hub".into()), ..Default::default() }).unwrap();
    assert_eq!(js.account_info().unwrap().domain.as_deref(), Some("hub"));
    stream(&js, "D", &["dom.>"]);
    let ack = js.publish("dom.a", b"x").unwrap();
    assert_eq!(ack.domain.as_deref(), Some("hub"));
    let sub = js.pull_subscribe("dom.>", Some("C"), SubscribeOptions::default()).unwrap();
    let m = sub.fetch(1, MSG).unwrap().remove(0);
    let md = m.metadata().unwrap();
    // This server still sends the 9-token (v1) ack subject; v2 parsing is unit-tested.
    assert!(md.domain.is_none() || md.domain.as_deref() == Some("hub"), "{:?}", m.reply());
    assert_eq!((md.stream.as_str(), md.consumer.as_str(), md.stream_seq), ("D", "C", 1));
    m.ack_sync(MSG).unwrap();
    // A wrong domain: nobody answers.
    let bad = JetStream::with_options(&nc, JetStreamOptions { domain: Some("other".into()), ..Default::default() }).unwrap();
    assert_eq!(bad.account_info().unwrap_err().status, Status::NoResponders);
}

#[test]
fn lists_are_paged() {
    let (_s, _nc, js) = setup();
    // STREAM.LIST pages hold 256 infos: 300 streams take two pages.
    for i in 0..300 {
        let mut c = StreamConfig::new(&format!("S{i:03}"), &[&format!("pg.{i}")]);
        c.storage = Some(StorageType::Memory);
        js.add_stream(&c).unwrap();
    }
    let list = js.streams(None).unwrap();
    assert_eq!(list.len(), 300);
    let names: HashSet<String> = list.into_iter().map(|i| i.config.name).collect();
    assert_eq!(names.len(), 300);
    assert_eq!(js.stream_names(None).unwrap().len(), 300);
    assert_eq!(js.streams(Some("pg.7")).unwrap().len(), 1);
    // CONSUMER.LIST pages hold 256 infos too.
    for i in 0..260 {
        js.add_consumer("S000", &ConsumerConfig::durable(&format!("c{i}"))).unwrap();
    }
    assert_eq!(js.consumers("S000").unwrap().len(), 260);
    assert_eq!(js.consumer_names("S000").unwrap().len(), 260);
}

#[test]
fn push_flow_control_and_heartbeats_never_reach_the_app() {
    let (_s, _nc, js) = setup();
    stream(&js, "FC", &["fc.>"]);
    let payload = vec![b'x'; 64 * 1024];
    for _ in 0..600 {
        js.publish_async("fc.big", &payload, None).unwrap();
    }
    js.publish_async_complete(WAIT).unwrap();
    let mut o = SubscribeOptions::default();
    o.config.flow_control = Some(true);
    o.config.idle_heartbeat = Some(Duration::from_millis(200));
    o.config.ack_policy = Some(AckPolicy::None);
    let sub = js.subscribe_sync("fc.>", o).unwrap();
    let _ = sub.subscription().set_pending_limits(-1, -1);
    // 600 x 64 KiB = 37.5 MiB > the 32 MiB the server sends before it waits for a flow-control
    // reply: receiving everything means the replies were sent.
    for i in 0..600u64 {
        let m = sub.next_msg(MSG).unwrap_or_else(|e| panic!("message {i}: {e}"));
        assert_eq!(m.data().len(), 64 * 1024);
        assert_eq!(m.metadata().unwrap().stream_seq, i + 1);
    }
    // Idle: only heartbeats arrive, and next_msg does not return them.
    assert_eq!(sub.next_msg(Duration::from_millis(700)).unwrap_err().status, Status::Timeout);
}

#[test]
fn cluster_leader_killed_during_async_publish_keeps_every_acked_message() {
    let mut c = NatsCluster::start_jetstream(3);
    let nc = connect(opts(&c.url_list()));
    let js = JetStream::with_options(
        &nc,
        JetStreamOptions { publish_async_max_pending: 64, timeout: Duration::from_secs(2), ..Default::default() },
    )
    .unwrap();
    let mut cfg = StreamConfig::new("KL", &["kl.>"]);
    cfg.num_replicas = Some(3);
    add_stream_clustered(&js, &cfg);
    assert!(wait_until(|| js.stream_info("KL").map(|i| i.leader().is_some()).unwrap_or(false), WAIT));
    let leader = js.stream_info("KL").unwrap().leader().unwrap().to_string();
    let idx: usize = leader.trim_start_matches("node").parse().unwrap();

    let acked = Arc::new(Mutex::new(Vec::new()));
    let failed = Arc::new(AtomicUsize::new(0));
    let mut killed = false;
    let start = Instant::now();
    let mut i = 0u64;
    let mut last_failed = 0;
    // Publish until 4000 acks (2000 before the kill), pausing a little after failures (no
    // leader for a moment: "no responders"; the old connection's acks: disconnected).
    while acked.lock().unwrap().len() < 4000 && start.elapsed() < Duration::from_secs(40) {
        if !killed && acked.lock().unwrap().len() >= 2000 {
            c.kill(idx);
            killed = true;
        }
        let f = failed.load(Ordering::Relaxed);
        if f != last_failed {
            last_failed = f;
            thread::sleep(Duration::from_millis(10));
        }
        let (a, f) = (acked.clone(), failed.clone());
        let id = format!("m{i}");
        let r = js.publish_msg_async(
            Msg::new("kl.x", None, id.as_bytes()).unwrap(),
            &PublishOptions { msg_id: Some(id.clone()), ..Default::default() },
            Some(Box::new(move |r| match r {
                Ok(ack) => a.lock().unwrap().push((id, ack.seq)),
                Err(_) => {
                    f.fetch_add(1, Ordering::Relaxed);
                }
            })),
        );
        match r {
            Ok(_) => i += 1,
            Err(_) => thread::sleep(Duration::from_millis(20)), // stalled while the leader moves
        }
    }
    js.publish_async_complete(Duration::from_secs(20)).unwrap();
    let acked = acked.lock().unwrap().clone();
    assert!(killed);
    assert!(acked.len() >= 4000, "acked {} failed {}", acked.len(), failed.load(Ordering::Relaxed));
    // Every acked message is in the stream, at its sequence.
    assert!(wait_until(|| js.stream_info("KL").map(|i| i.leader().is_some()).unwrap_or(false), Duration::from_secs(20)));
    for (id, seq) in acked.iter().step_by(7) {
        let m = js.get_msg("KL", *seq).unwrap_or_else(|e| panic!("seq {seq}: {e}"));
        assert_eq!(m.data, id.as_bytes());
    }
    let st = js.stream_info("KL").unwrap().state;
    assert!(st.messages >= acked.len() as u64);
}

#[test]
fn fetch_interrupted_by_disconnect_then_works_again() {
    let (mut s, nc, js) = setup();
    stream(&js, "F", &["f.>"]);
    let sub = Arc::new(js.pull_subscribe("f.>", Some("FD"), SubscribeOptions::default()).unwrap());
    let s2 = sub.clone();
    let t = Instant::now();
    let h = thread::spawn(move || s2.fetch(5, Duration::from_secs(20)));
    thread::sleep(Duration::from_millis(300));
    s.restart();
    let e = h.join().unwrap().unwrap_err();
    assert_eq!(e.status, Status::NotConnected, "{e}");
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    assert!(wait_until(|| nc.status() == natsrs::ConnectionStatus::Connected, WAIT));
    assert!(wait_until(|| js.publish("f.1", b"again").is_ok(), WAIT));
    let m = sub.fetch(5, MSG).unwrap();
    assert_eq!(m[0].data(), b"again");
}

#[test]
fn push_drain_and_unsubscribe_delete_options() {
    let (_s, _nc, js) = setup();
    stream(&js, "PD", &["pd.>"]);
    publish_n(&js, "pd.a", 20);
    let n = Arc::new(AtomicUsize::new(0));
    let n2 = n.clone();
    let sub = js
        .subscribe(
            "pd.>",
            Box::new(move |_m| {
                thread::sleep(Duration::from_millis(5));
                n2.fetch_add(1, Ordering::Relaxed);
            }),
            SubscribeOptions { durable: Some("DR".into()), ..Default::default() },
        )
        .unwrap();
    assert!(wait_until(|| n.load(Ordering::Relaxed) >= 1, WAIT));
    sub.drain(MSG).unwrap();
    assert_eq!(n.load(Ordering::Relaxed), 20, "queued messages handled before the drain ended");
    assert_eq!(js.consumer_info("PD", "DR").unwrap_err().status, Status::NotFound, "created durable deleted");
    // nats-py style: keep it.
    let sub = js
        .subscribe(
            "pd.>",
            Box::new(|_m| {}),
            SubscribeOptions { durable: Some("KEEP".into()), delete_consumer: Some(false), ..Default::default() },
        )
        .unwrap();
    sub.unsubscribe().unwrap();
    assert!(js.consumer_info("PD", "KEEP").is_ok());
}

#[test]
fn messages_report_missed_heartbeats_then_resume() {
    let (s, _nc, js) = setup();
    stream(&js, "HB", &["hb.>"]);
    let c = js
        .stream("HB")
        .unwrap()
        .create_or_update_consumer(&ConsumerConfig {
            durable_name: Some("H".into()),
            ack_policy: Some(AckPolicy::Explicit),
            ..Default::default()
        })
        .unwrap();
    let mut it = c
        .messages(ConsumeOptions { expires: Duration::from_secs(2), heartbeat: Some(Duration::from_millis(500)), ..Default::default() })
        .unwrap();
    // Heartbeats keep it quiet while idle.
    assert_eq!(it.next(Duration::from_millis(1500)).unwrap_err().message, "no message within 1.5s");
    // A frozen server sends no heartbeats.
    s.signal("STOP");
    let t = Instant::now();
    let e = it.next(Duration::from_secs(5)).unwrap_err();
    s.signal("CONT");
    assert_eq!(e.status, Status::Timeout);
    assert!(e.message.contains("missed heartbeats"), "{e}");
    assert!(t.elapsed() < Duration::from_millis(2500), "{:?}", t.elapsed());
    // It pulls again and goes on.
    js.publish("hb.1", b"after").unwrap();
    let m = it.next(MSG).unwrap();
    assert_eq!(m.data(), b"after");
}

#[test]
fn fetch_with_heartbeat_reports_a_quiet_server() {
    let (s, _nc, js) = setup();
    stream(&js, "FHB", &["fhb.>"]);
    let sub = js.pull_subscribe("fhb.>", Some("F"), SubscribeOptions::default()).unwrap();
    let hb = |timeout: Duration| FetchOptions { batch: 10, timeout, heartbeat: Some(Duration::from_millis(200)), ..Default::default() };
    // Idle but alive: the server's heartbeats keep the fetch going until its own timeout.
    let e = sub.fetch_with(&hb(Duration::from_millis(1500))).unwrap_err();
    assert_eq!(e.status, Status::Timeout);
    assert!(!e.message.contains("missed heartbeats"), "{e}");
    // A frozen server sends no heartbeats: the fetch ends early, saying so.
    s.signal("STOP");
    let e = sub.fetch_with(&hb(Duration::from_secs(20))).unwrap_err();
    s.signal("CONT");
    assert_eq!(e.status, Status::Timeout);
    assert!(e.message.contains("missed heartbeats"), "{e}");
    // Messages still come with a heartbeat asked for.
    publish_n(&js, "fhb.a", 3);
    let msgs = sub.fetch_with(&hb(MSG)).unwrap();
    assert_eq!(msgs.len(), 3);
}
