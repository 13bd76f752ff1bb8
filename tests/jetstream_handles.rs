//! JetStream handles (issue 9, items 5 and 7 from C, and push heartbeats) against a real
//! `nats-server -js`: stream and consumer handles (create, create-or-update, update), stopping a
//! message iterator or an ordered consumer from another thread, and missed idle heartbeats on a
//! push subscription reported through the connection's error handler.
//!
//! Every test starts its own server; waits are on conditions with deadlines.
use crate::common;

use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use common::{connect, wait_until, NatsServer};
use natsrs::jetstream::{
    error_codes, AckPolicy, ConsumeOptions, ConsumerConfig, JetStream, OrderedConsumerOptions, StorageType, StreamConfig, SubscribeOptions,
};
use natsrs::{Error, Options, Status};

const WAIT: Duration = Duration::from_secs(10);
const MSG: Duration = Duration::from_secs(5);

fn mem_stream(name: &str, subject: &str) -> StreamConfig {
    let mut c = StreamConfig::new(name, &[subject]);
    c.storage = Some(StorageType::Memory);
    c
}

#[test]
fn stream_and_consumer_handles_create_update() {
    let s = NatsServer::start_jetstream();
    let nc = connect(opts(&s.url()));
    let js = JetStream::new(&nc);
    // create_or_update creates, then updates.
    let mut cfg = mem_stream("H", "h.>");
    let mut st = js.create_or_update_stream_handle(&cfg).unwrap();
    assert_eq!(st.name(), "H");
    cfg.max_msgs = Some(10);
    js.create_or_update_stream(&cfg).unwrap();
    assert_eq!(st.info().unwrap().config.max_msgs, Some(10));
    cfg.max_msgs = Some(20);
    assert_eq!(st.update(&cfg).unwrap().config.max_msgs, Some(20));
    let other = mem_stream("OTHER", "x.>");
    assert_eq!(st.update(&other).unwrap_err().status, Status::InvalidArgument);
    // create_stream_handle on an existing name with another config: 10058.
    let e = js.create_stream_handle(&mem_stream("H", "other.>")).unwrap_err();
    assert_eq!(e.api_error().map(|(_, c)| c), Some(error_codes::STREAM_NAME_IN_USE));

    for i in 0..5 {
        js.publish("h.a", format!("{i}").as_bytes()).unwrap();
    }
    let mut cc = ConsumerConfig::durable("D");
    cc.ack_policy = Some(AckPolicy::Explicit);
    let c = st.create_consumer(&cc).unwrap();
    assert_eq!(c.name(), "D");
    assert_eq!(c.stream_name(), "H");
    // Updating a consumer that does not exist fails; an existing one works.
    let e = st.update_consumer(&ConsumerConfig::durable("NOPE")).unwrap_err();
    assert_eq!(e.api_error().map(|(_, c)| c), Some(error_codes::CONSUMER_DOES_NOT_EXIST));
    cc.max_ack_pending = Some(7);
    let c2 = st.update_consumer(&cc).unwrap();
    assert_eq!(c2.cached_info().config.max_ack_pending, Some(7));
    let v = c.fetch(10, MSG).unwrap();
    assert_eq!(v.len(), 5);
    for m in v {
        m.ack().unwrap();
    }
    assert_eq!(st.consumers().unwrap().len(), 1);
}

fn opts(url: &str) -> Options {
    let mut o = Options::default();
    o.set_url(url).expect("set_url");
    o.reconnect_wait = Duration::from_millis(50);
    o
}

#[test]
fn iterator_and_ordered_consumer_stop_from_another_thread() {
    let s = NatsServer::start_jetstream();
    let nc = connect(opts(&s.url()));
    let js = JetStream::new(&nc);
    let st = js.create_stream_handle(&mem_stream("I", "i.>")).unwrap();
    js.publish("i.1", b"one").unwrap();
    let c = st.create_consumer(&ConsumerConfig::durable("C")).unwrap();
    let mut it = c.messages(ConsumeOptions::default()).unwrap();
    assert_eq!(it.next(MSG).unwrap().data(), b"one");
    let stop = it.stop_handle();
    let t = thread::spawn(move || it.next(Duration::from_secs(60)).map(|m| m.data().to_vec()));
    thread::sleep(Duration::from_millis(200));
    stop.stop();
    let e = t.join().unwrap().unwrap_err();
    assert_eq!(e.status, Status::InvalidSubscription, "{e}");

    let mut oc = st.ordered_consumer(OrderedConsumerOptions::default()).unwrap();
    assert_eq!(oc.next(MSG).unwrap().data(), b"one");
    let stop = oc.stop_handle();
    let t = thread::spawn(move || oc.next(Duration::from_secs(60)).map(|m| m.data().to_vec()));
    thread::sleep(Duration::from_millis(200));
    stop.stop();
    let e = t.join().unwrap().unwrap_err();
    assert_eq!(e.status, Status::InvalidSubscription, "{e}");
}

#[test]
fn push_missed_heartbeats_are_reported_to_the_error_handler() {
    let s = NatsServer::start_jetstream();
    let errors: Arc<Mutex<Vec<Error>>> = Arc::default();
    let mut o = opts(&s.url());
    let e2 = errors.clone();
    o.error_cb = Some(Arc::new(move |_c, _s, e: &Error| e2.lock().unwrap().push(e.clone())));
    let nc = connect(o);
    let js = JetStream::new(&nc);
    js.add_stream(&mem_stream("P", "p.>")).unwrap();
    let mut so = SubscribeOptions::default();
    so.config.idle_heartbeat = Some(Duration::from_millis(500));
    let sub = js.subscribe_sync("p.>", so).unwrap();
    // Heartbeats arrive while idle: several windows pass without a report.
    thread::sleep(Duration::from_millis(1600));
    assert!(errors.lock().unwrap().is_empty(), "{:?}", errors.lock().unwrap());
    js.publish("p.1", b"x").unwrap();
    // The consumer goes away: no more heartbeats, the handler hears about it (once), although
    // heartbeats and a message from before still wait unread in the queue.
    assert!(wait_until(|| sub.subscription().pending().0 > 0, WAIT));
    js.delete_consumer("P", sub.consumer_name()).unwrap();
    assert!(wait_until(|| !errors.lock().unwrap().is_empty(), WAIT));
    assert_eq!(sub.next_msg(MSG).unwrap().data(), b"x");
    let e = errors.lock().unwrap()[0].clone();
    assert_eq!(e.status, Status::Timeout);
    assert!(e.message.contains("missed heartbeats") && e.message.contains(sub.consumer_name()), "{e}");
    thread::sleep(Duration::from_millis(1200));
    assert_eq!(errors.lock().unwrap().len(), 1, "reported once per episode");
    let _ = sub.unsubscribe();

    // A callback subscription is watched the same way.
    let errors_before = errors.lock().unwrap().len();
    let mut so = SubscribeOptions::default();
    so.config.idle_heartbeat = Some(Duration::from_millis(500));
    let cb = js.subscribe("p.>", Box::new(|_m| {}), so).unwrap();
    js.delete_consumer("P", cb.consumer_name()).unwrap();
    assert!(wait_until(|| errors.lock().unwrap().len() > errors_before, WAIT));
    // Without a heartbeat nothing is watched.
    let quiet = js.subscribe_sync("p.>", SubscribeOptions::default()).unwrap();
    js.delete_consumer("P", quiet.consumer_name()).unwrap();
    let n = errors.lock().unwrap().len();
    thread::sleep(Duration::from_millis(1200));
    assert_eq!(errors.lock().unwrap().len(), n);
}
