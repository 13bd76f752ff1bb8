//! Unit tests that need no server: ack-subject metadata, config JSON round trips.

use std::time::Duration;

use super::*;

#[test]
fn metadata_v1() {
    let m = MsgMetadata::parse("$JS.ACK.ORDERS.MONITOR.2.10.7.1700000000000000000.5").unwrap();
    assert_eq!(m.stream, "ORDERS");
    assert_eq!(m.consumer, "MONITOR");
    assert_eq!((m.num_delivered, m.stream_seq, m.consumer_seq, m.num_pending), (2, 10, 7, 5));
    assert_eq!(m.timestamp_ns, 1_700_000_000_000_000_000);
    assert_eq!((m.domain, m.account_hash), (None, None));
}

#[test]
fn metadata_v2() {
    let m = MsgMetadata::parse("$JS.ACK.hub.ACCHASH.ORDERS.C1.1.3.2.1700000000000000001.0.rnd").unwrap();
    assert_eq!(m.domain.as_deref(), Some("hub"));
    assert_eq!(m.account_hash.as_deref(), Some("ACCHASH"));
    assert_eq!((m.stream.as_str(), m.consumer.as_str()), ("ORDERS", "C1"));
    assert_eq!((m.num_delivered, m.stream_seq, m.consumer_seq, m.num_pending), (1, 3, 2, 0));
    let m = MsgMetadata::parse("$JS.ACK._.H.S.C.1.3.2.5.0").unwrap();
    assert_eq!(m.domain, None);
}

#[test]
fn metadata_rejects() {
    for s in [
        "",
        "foo.bar",
        "$JS.ACK.S.C.1.2.3.4",     // 8 tokens
        "$JS.ACK.D.H.S.C.1.2.3.4", // 10 tokens
        "$JS.NAK.S.C.1.2.3.4.5",   // wrong prefix
        "$JS.ACK.S.C.x.2.3.4.5",   // bad number
    ] {
        assert!(MsgMetadata::parse(s).is_err(), "{s}");
    }
}

#[test]
fn stream_config_round_trip_keeps_unknown_fields() {
    let json = r#"{"name":"S","subjects":["a.>"],"max_age":1500000000,"storage":"memory",
        "duplicate_window":120000000000,"future_field":{"x":1},"retention":"workqueue"}"#;
    let c = StreamConfig::from_json(json).unwrap();
    assert_eq!(c.max_age, Some(Duration::from_millis(1500)));
    assert_eq!(c.storage, Some(StorageType::Memory));
    assert_eq!(c.retention, Some(RetentionPolicy::Workqueue));
    assert_eq!(c.extra["future_field"]["x"], 1);
    let back: serde_json::Value = serde_json::from_str(&c.to_json()).unwrap();
    assert_eq!(back["future_field"]["x"], 1);
    assert_eq!(back["max_age"], 1_500_000_000u64);
    assert!(back.get("max_msgs").is_none(), "unset fields are left to the server");
}

#[test]
fn consumer_config_durations_and_enums() {
    let c = ConsumerConfig {
        durable_name: Some("D".into()),
        ack_policy: Some(AckPolicy::Explicit),
        deliver_policy: Some(DeliverPolicy::ByStartSequence),
        backoff: Some(vec![Duration::from_millis(100), Duration::from_secs(1)]),
        ack_wait: Some(Duration::from_secs(30)),
        ..Default::default()
    };
    let v: serde_json::Value = serde_json::from_str(&c.to_json()).unwrap();
    assert_eq!(v["ack_policy"], "explicit");
    assert_eq!(v["deliver_policy"], "by_start_sequence");
    assert_eq!(v["backoff"], serde_json::json!([100_000_000u64, 1_000_000_000u64]));
    assert_eq!(v["ack_wait"], 30_000_000_000u64);
    let c2 = ConsumerConfig::from_json(&c.to_json()).unwrap();
    assert_eq!(c, c2);
}

#[test]
fn api_error_maps_to_status_and_codes() {
    let e = ApiError { code: 404, err_code: 10059, description: "stream not found".into() }.into_error();
    assert_eq!(e.status, crate::Status::NotFound);
    assert_eq!(e.api_error(), Some((404, 10059)));
    let e = ApiError { code: 400, err_code: 10058, description: "stream name already in use".into() }.into_error();
    assert_eq!(e.status, crate::Status::Jetstream);
    assert!(e.message.contains("stream name already in use"));
}

#[test]
fn pull_body_fields() {
    let b: serde_json::Value = serde_json::from_slice(&pull::pull_body(10, 0, Some(Duration::from_secs(1)), false, None)).unwrap();
    assert_eq!(b, serde_json::json!({"batch": 10, "expires": 1_000_000_000u64}));
    let b: serde_json::Value = serde_json::from_slice(&pull::pull_body(5, 100, None, true, None)).unwrap();
    assert_eq!(b, serde_json::json!({"batch": 5, "max_bytes": 100, "no_wait": true}));
}
