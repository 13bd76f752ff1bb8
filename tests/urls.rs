//! Server URLs and INFO fields from a hostile or broken server (issue 8 defects 1, 7 and 12): a
//! bad URL in INFO `connect_urls` (first or later INFO) is skipped and the connection works; a
//! huge `connect_urls` is handled within the connect timeout and capped; an INFO `max_payload`
//! beyond what the client will allocate for is capped. Scripted TCP peers
//! (`tests/peer`), since a real server never announces such values.

use crate::peer;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use natsrs::connection::MAX_POOL_SERVERS;
use natsrs::{Connection, ConnectionStatus, Error, Options, Status};
use peer::{answer_pings, handshake, peer, within};

/// Longest a connect may take in these tests before it counts as a hang.
const CONNECT_LIMIT: Duration = Duration::from_secs(5);

/// URLs a server might announce that no client may accept (each used to panic the reader or
/// the connect task, or to name a bogus host).
const BAD_ANNOUNCED: [&str; 7] = ["a:%1é@h:4222", "a:%Aé@h:4222", "a:%2€@h:4222", "a:%é@h", "h:1:2", "h:+4222", "[::1"];

fn opts(port: u16) -> Options {
    let mut o = Options::default();
    o.set_url(&format!("nats://127.0.0.1:{port}")).unwrap();
    o.connect_timeout = Duration::from_secs(2);
    o.reconnect_wait = Duration::from_millis(50);
    o.no_randomize = true;
    o
}

fn info_with_urls(urls: &[&str], extra: &str) -> String {
    let list: Vec<String> = urls.iter().map(|u| serde_json::Value::String(u.to_string()).to_string()).collect();
    format!(
        r#"{{"server_id":"FAKE","version":"2.15.1","proto":1,"headers":true,"max_payload":1048576,"connect_urls":[{}]{}}}"#,
        list.join(","),
        extra
    )
}

#[test]
fn bad_connect_urls_in_the_first_info_are_skipped() {
    let mut urls = BAD_ANNOUNCED.to_vec();
    urls.push("127.0.0.1:1");
    let info = info_with_urls(&urls, "");
    let port = peer(1, move |_, mut s| {
        if let Some(mut r) = handshake(&mut s, &info) {
            answer_pings(&mut s, &mut r);
        }
    });
    let errors: Arc<Mutex<Vec<Error>>> = Arc::default();
    let mut o = opts(port);
    let e2 = errors.clone();
    o.error_cb = Some(Arc::new(move |_, _, e| e2.lock().unwrap().push(e.clone())));
    let nc = within("connect with bad connect_urls", CONNECT_LIMIT, move || Connection::connect(o)).unwrap();
    assert_eq!(nc.discovered_servers(), ["nats://127.0.0.1:1".to_string()]);
    nc.flush(Duration::from_secs(2)).unwrap();
    // Each bad URL is reported to the error handler.
    let t0 = Instant::now();
    while errors.lock().unwrap().len() < BAD_ANNOUNCED.len() && t0.elapsed() < Duration::from_secs(3) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let errors = errors.lock().unwrap().clone();
    assert_eq!(errors.len(), BAD_ANNOUNCED.len(), "{errors:?}");
    for (e, url) in errors.iter().zip(BAD_ANNOUNCED) {
        assert_eq!(e.status, Status::InvalidArgument);
        assert!(e.message.contains(url), "{url} not in {:?}", e.message);
    }
    nc.close();
}

#[test]
fn bad_connect_urls_in_a_later_info_keep_the_connection_working() {
    let mut urls = BAD_ANNOUNCED.to_vec();
    urls.push("127.0.0.1:2");
    let later = info_with_urls(&urls, "");
    let first = info_with_urls(&[], "");
    let port = peer(1, move |_, mut s| {
        use std::io::Write;
        if let Some(mut r) = handshake(&mut s, &first) {
            let _ = s.write_all(format!("INFO {later}\r\n").as_bytes());
            answer_pings(&mut s, &mut r);
        }
    });
    let nc = within("connect", CONNECT_LIMIT, move || Connection::connect(opts(port))).unwrap();
    let t0 = Instant::now();
    while nc.discovered_servers().is_empty() && t0.elapsed() < Duration::from_secs(3) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(nc.discovered_servers(), ["nats://127.0.0.1:2".to_string()]);
    // The reader is still alive: the PONG of a flush arrives.
    nc.flush(Duration::from_secs(2)).unwrap();
    nc.close();
}

/// Defect 7: 40,000 announced URLs in the first INFO and in five async INFOs after it (the
/// quadratic handling took 11 s for 50,000 and left the connection stuck): the connect returns
/// within the limit, the pool stays capped, and the reader has handled every INFO when the PONG
/// of a flush (sent after them) arrives.
#[test]
fn huge_connect_urls_are_capped_and_do_not_stall_the_connection() {
    const N: usize = 40_000;
    let info_of = |base: usize| {
        let urls: Vec<String> =
            (base..base + N).map(|j| format!("10.{}.{}.{}:4222", (j / 65536) % 256, (j / 256) % 256, j % 256)).collect();
        info_with_urls(&urls.iter().map(String::as_str).collect::<Vec<_>>(), "")
    };
    let first = info_of(0);
    let later: Vec<String> = (1..=5).map(|k| info_of(k * N)).collect();
    let port = peer(1, move |_, mut s| {
        use std::io::Write;
        if let Some(mut r) = handshake(&mut s, &first) {
            for l in &later {
                if s.write_all(format!("INFO {l}\r\n").as_bytes()).is_err() {
                    return;
                }
            }
            answer_pings(&mut s, &mut r);
        }
    });
    let nc = within("connect with 40,000 connect_urls", CONNECT_LIMIT, move || Connection::connect(opts(port))).unwrap();
    nc.flush(Duration::from_secs(5)).expect("the connection works after five huge async INFOs");
    assert_eq!(nc.status(), ConnectionStatus::Connected);
    let pool = nc.servers().len();
    assert!(pool <= MAX_POOL_SERVERS + 1, "pool of {pool} servers");
    nc.close();
}

#[test]
fn huge_max_payload_in_info_is_capped() {
    for (announced, want) in [("4611686018427387904", 64 << 20), ("-5", 1 << 20), ("0", 1 << 20), ("65536", 65536)] {
        let info = format!(r#"{{"server_id":"FAKE","proto":1,"headers":true,"max_payload":{announced}}}"#);
        let port = peer(1, move |_, mut s| {
            if let Some(mut r) = handshake(&mut s, &info) {
                answer_pings(&mut s, &mut r);
            }
        });
        let nc = within("connect", CONNECT_LIMIT, move || Connection::connect(opts(port))).unwrap();
        assert_eq!(nc.max_payload(), want, "INFO max_payload {announced}");
        // A publish over the cap fails at once, without a frame of that size being built.
        if want == 64 << 20 {
            let big = vec![0u8; (64 << 20) + 1];
            assert_eq!(nc.publish("x", &big).unwrap_err().status, Status::MaxPayload);
        }
        nc.close();
    }
}

#[test]
fn bad_user_urls_are_invalid_argument() {
    for bad in ["nats://a:%1é@h:4222", "nats://a:%Aé@h:4222", "nats://a:%2€@h:4222", "nats://h:+4222", "nats://h:1:2"] {
        let r = std::panic::catch_unwind(|| Options::new().set_url(bad)).unwrap_or_else(|_| panic!("set_url panicked on {bad:?}"));
        assert_eq!(r.unwrap_err().status, Status::InvalidArgument, "{bad:?}");
    }
}
