//! Key-value store (issue 10 item 1) against real `nats-server -js` processes: bucket
//! management, every operation, CAS conflicts, TTL expiry, watchers (order, markers, options),
//! keys and history, an R3 bucket on a 3-node cluster, and interop with nats-py both ways.
use crate::common;

use std::process::Command;
use std::time::Duration;

use common::{connect, wait_until, Conn, NatsCluster, NatsServer};
use natsrs::jetstream::{JetStream, StorageType};
use natsrs::kv::{self, Entry, KvConfig, Operation, WatchOptions, Watcher};
use natsrs::{Options, Status};

const WAIT: Duration = Duration::from_secs(10);
const NEXT: Duration = Duration::from_secs(5);

fn opts(url: &str) -> Options {
    let mut o = Options::default();
    o.set_url(url).expect("set_url");
    o.reconnect_wait = Duration::from_millis(50);
    o.max_reconnect = -1;
    o
}

fn setup(srv: &NatsServer) -> (Conn, JetStream) {
    let nc = connect(opts(&srv.url()));
    let js = JetStream::new(&nc);
    (nc, js)
}

fn bucket(js: &JetStream, name: &str, history: u8) -> kv::KeyValue {
    let mut c = KvConfig::new(name);
    c.history = history;
    js.create_key_value(&c).expect("create bucket")
}

fn is_cas_conflict(e: &natsrs::Error) -> bool {
    e.status == Status::Jetstream && e.api.map(|(_, c)| c) == Some(10071) && kv::store::is_wrong_last_sequence(e)
}

/// Reads entries until the initial marker; panics on a timeout.
fn until_marker(w: &mut Watcher) -> Vec<Entry> {
    let mut out = Vec::new();
    while let Some(e) = w.next(NEXT).expect("watch next") {
        out.push(e);
    }
    out
}

#[test]
fn bucket_management() {
    let srv = NatsServer::start_jetstream();
    let (_nc, js) = setup(&srv);
    let mut c = KvConfig::new("cfg");
    c.history = 5;
    c.ttl = Some(Duration::from_secs(3600));
    c.max_value_size = Some(1024);
    c.max_bytes = Some(1 << 20);
    c.storage = Some(StorageType::Memory);
    c.description = Some("test bucket".into());
    c.compression = false;
    let kv = js.create_key_value(&c).unwrap();
    assert_eq!(kv.bucket(), "cfg");
    assert_eq!(kv.stream_name(), "KV_cfg");
    // Same config again: fine.
    js.create_key_value(&c).unwrap();

    let info = js.stream_info("KV_cfg").unwrap();
    let sc = &info.config;
    assert_eq!(sc.subjects, vec!["$KV.cfg.>"]);
    assert_eq!(sc.max_msgs_per_subject, Some(5));
    assert_eq!(sc.max_age, Some(Duration::from_secs(3600)));
    assert_eq!(sc.max_msg_size, Some(1024));
    assert_eq!(sc.max_bytes, Some(1 << 20));
    assert_eq!(sc.allow_rollup_hdrs, Some(true));
    assert_eq!(sc.deny_delete, Some(true));
    assert_eq!(sc.allow_direct, Some(true));
    assert_eq!(sc.duplicate_window, Some(Duration::from_secs(120)));
    assert_eq!(sc.storage, Some(StorageType::Memory));

    let st = kv.status().unwrap();
    assert_eq!((st.bucket.as_str(), st.history, st.ttl, st.values), ("cfg", 5, Duration::from_secs(3600), 0));
    assert_eq!(st.backing_store, "JetStream");
    assert_eq!(st.stream_info.config.name, "KV_cfg");
    kv.put("k", b"v").unwrap();
    let st = kv.status().unwrap();
    assert_eq!(st.values, 1);
    assert!(st.bytes > 0);

    // Value size limit.
    assert!(kv.put("big", &[0u8; 2048]).is_err());

    // The stored config round-trips.
    let stored = kv.status().unwrap().config();
    assert_eq!((stored.history, stored.ttl, stored.max_value_size, stored.max_bytes), (5, c.ttl, Some(1024), Some(1 << 20)));
    assert_eq!((stored.storage, stored.replicas, stored.description.as_deref()), (Some(StorageType::Memory), 1, Some("test bucket")));

    // Update: more history.
    c.history = 10;
    js.update_key_value(&c).unwrap();
    assert_eq!(js.key_value("cfg").unwrap().status().unwrap().history, 10);

    bucket(&js, "other", 1);
    assert_eq!(js.key_value_store_names().unwrap(), vec!["cfg".to_string(), "other".to_string()]);
    assert_eq!(js.key_value_stores().unwrap().len(), 2);

    // Bind.
    let b = js.key_value("cfg").unwrap();
    assert_eq!(b.get("k").unwrap().value, b"v");
    assert_eq!(js.key_value("nope").unwrap_err().status, Status::NotFound);

    // Names.
    assert_eq!(js.key_value("a.b").unwrap_err().status, Status::InvalidArgument);
    assert!(js.create_key_value(&KvConfig::new("bad name")).is_err());
    let mut h = KvConfig::new("h");
    h.history = 65;
    assert_eq!(js.create_key_value(&h).unwrap_err().status, Status::InvalidArgument);

    // Delete.
    js.delete_key_value("other").unwrap();
    assert_eq!(js.key_value("other").unwrap_err().status, Status::NotFound);
    assert_eq!(js.key_value_store_names().unwrap(), vec!["cfg".to_string()]);

    // create_or_update on a new and an existing bucket.
    let mut u = KvConfig::new("upd");
    js.create_or_update_key_value(&u).unwrap();
    u.history = 3;
    js.create_or_update_key_value(&u).unwrap();
    assert_eq!(js.key_value("upd").unwrap().status().unwrap().history, 3);
}

#[test]
fn put_get_create_update_delete_purge() {
    let srv = NatsServer::start_jetstream();
    let (_nc, js) = setup(&srv);
    let kv = bucket(&js, "ops", 10);

    let r1 = kv.put("a", b"1").unwrap();
    let r2 = kv.put("a", b"2").unwrap();
    assert!(r2 > r1);
    let e = kv.get("a").unwrap();
    assert_eq!(
        (e.bucket.as_str(), e.key.as_str(), e.value.as_slice(), e.revision, e.operation),
        ("ops", "a", &b"2"[..], r2, Operation::Put)
    );
    assert_eq!(e.value_str(), Some("2"));
    let age = std::time::SystemTime::now().duration_since(e.created).unwrap();
    assert!(age < Duration::from_secs(60), "created {:?}", e.created);
    assert_eq!(kv.get_revision("a", r1).unwrap().value, b"1");
    // A revision of another key is not found.
    let rb = kv.put("b", b"x").unwrap();
    assert_eq!(kv.get_revision("a", rb).unwrap_err().status, Status::NotFound);
    assert_eq!(kv.get("missing").unwrap_err().status, Status::NotFound);

    // Create only if absent.
    let e = kv.create("a", b"3").unwrap_err();
    assert!(is_cas_conflict(&e), "{:?}", e);
    let rc = kv.create("c", b"new").unwrap();
    assert_eq!(kv.get("c").unwrap().revision, rc);

    // Update (CAS).
    let e = kv.update("a", b"x", r1).unwrap_err();
    assert!(is_cas_conflict(&e), "{:?}", e);
    let r3 = kv.update("a", b"3", r2).unwrap();
    assert_eq!(kv.get("a").unwrap().value, b"3");
    assert!(is_cas_conflict(&kv.update("nope", b"x", 5).unwrap_err()));

    // Delete: marker, get is NotFound, history kept, create allowed again.
    kv.delete("a").unwrap();
    assert_eq!(kv.get("a").unwrap_err().status, Status::NotFound);
    let h = kv.history("a").unwrap();
    assert_eq!(h.iter().map(|e| e.operation).collect::<Vec<_>>(), vec![Operation::Put, Operation::Put, Operation::Put, Operation::Delete]);
    assert_eq!(h[2].revision, r3);
    let ra = kv.create("a", b"again").unwrap();
    assert_eq!(kv.get("a").unwrap().value, b"again");

    // Delete and purge with the revision check.
    assert!(is_cas_conflict(&kv.delete_expect("a", r3).unwrap_err()));
    kv.delete_expect("a", ra).unwrap();
    let rx = kv.put("x", b"1").unwrap();
    assert!(is_cas_conflict(&kv.purge_expect("x", rx - 1).unwrap_err()));
    kv.purge_expect("x", rx).unwrap();
    assert_eq!(kv.get("x").unwrap_err().status, Status::NotFound);

    // Purge rolls up the history to the marker.
    kv.put("p", b"1").unwrap();
    kv.put("p", b"2").unwrap();
    kv.purge("p").unwrap();
    let h = kv.history("p").unwrap();
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].operation, Operation::Purge);
    kv.create("p", b"after purge").unwrap();
    assert_eq!(kv.get("p").unwrap().value, b"after purge");

    // Empty values are values.
    kv.put("empty", b"").unwrap();
    assert_eq!(kv.get("empty").unwrap().value, b"");

    // Key validation.
    for bad in ["", ".a", "a.", "a b", "a*", "a>"] {
        assert_eq!(kv.put(bad, b"x").unwrap_err().status, Status::InvalidArgument, "{:?}", bad);
        assert_eq!(kv.get(bad).unwrap_err().status, Status::InvalidArgument, "{:?}", bad);
    }
    kv.put("a-b/c_d=e.f", b"ok").unwrap();
    assert_eq!(kv.history("never").unwrap_err().status, Status::NotFound);
}

#[test]
fn keys_history_and_purge_deletes() {
    let srv = NatsServer::start_jetstream();
    let (_nc, js) = setup(&srv);
    let kv = bucket(&js, "keys", 5);
    assert!(kv.keys().unwrap().is_empty());
    for k in ["user.1", "user.2", "admin.1", "other"] {
        kv.put(k, b"v").unwrap();
    }
    kv.put("user.1", b"v2").unwrap();
    kv.delete("other").unwrap();
    let mut keys = kv.keys().unwrap();
    keys.sort();
    assert_eq!(keys, vec!["admin.1", "user.1", "user.2"]);
    let mut users = kv.keys_filtered(&["user.*"]).unwrap();
    users.sort();
    assert_eq!(users, vec!["user.1", "user.2"]);
    let mut two = kv.keys_filtered(&["user.2", "admin.>"]).unwrap();
    two.sort();
    assert_eq!(two, vec!["admin.1", "user.2"]);
    assert!(kv.keys_filtered(&["nobody.*"]).unwrap().is_empty());
    assert_eq!(kv.keys_filtered(&["a..b"]).unwrap_err().status, Status::InvalidArgument);

    let h = kv.history("user.1").unwrap();
    assert_eq!(h.iter().map(|e| e.value.clone()).collect::<Vec<_>>(), vec![b"v".to_vec(), b"v2".to_vec()]);
    assert!(h[0].revision < h[1].revision);

    // purge_deletes: a recent marker is kept (older revisions removed) by default; zero removes all.
    let before = kv.status().unwrap().values;
    assert_eq!(kv.purge_deletes(None).unwrap(), 1);
    assert_eq!(kv.status().unwrap().values, before - 1);
    assert_eq!(kv.history("other").unwrap().len(), 1);
    assert_eq!(kv.purge_deletes(Some(Duration::ZERO)).unwrap(), 1);
    assert_eq!(kv.history("other").unwrap_err().status, Status::NotFound);
    assert_eq!(kv.purge_deletes(None).unwrap(), 0);
}

#[test]
fn ttl_expiry() {
    let srv = NatsServer::start_jetstream();
    let (_nc, js) = setup(&srv);
    let mut c = KvConfig::new("ttl");
    c.ttl = Some(Duration::from_secs(1));
    let kv = js.create_key_value(&c).unwrap();
    assert_eq!(js.stream_info("KV_ttl").unwrap().config.duplicate_window, Some(Duration::from_secs(1)));
    kv.put("k", b"v").unwrap();
    assert_eq!(kv.get("k").unwrap().value, b"v");
    assert!(wait_until(|| kv.get("k").is_err_and(|e| e.status == Status::NotFound), WAIT), "value did not expire");
    assert!(kv.keys().unwrap().is_empty());
    assert_eq!(kv.status().unwrap().ttl, Duration::from_secs(1));
}

#[test]
fn watch_order_markers_and_options() {
    let srv = NatsServer::start_jetstream();
    let (_nc, js) = setup(&srv);
    let kv = bucket(&js, "w", 10);

    // Empty bucket: the marker comes first.
    let mut all = kv.watch_all(WatchOptions::default()).unwrap();
    assert!(all.next(NEXT).unwrap().is_none());
    assert!(all.init_done());
    kv.put("a", b"1").unwrap();
    kv.delete("a").unwrap();
    kv.put("b", b"2").unwrap();
    kv.purge("b").unwrap();
    let got: Vec<(String, Operation)> = (0..4).map(|_| all.next(NEXT).unwrap().unwrap()).map(|e| (e.key, e.operation)).collect();
    assert_eq!(
        got,
        vec![("a".into(), Operation::Put), ("a".into(), Operation::Delete), ("b".into(), Operation::Put), ("b".into(), Operation::Purge)]
    );
    assert_eq!(all.next(Duration::from_millis(200)).unwrap_err().status, Status::Timeout);
    all.stop();

    // Existing values: latest per key, then the marker, then updates.
    kv.put("a", b"3").unwrap();
    kv.put("c.x", b"4").unwrap();
    kv.put("c.y", b"5").unwrap();
    let mut w = kv.watch_all(WatchOptions::default()).unwrap();
    let init = until_marker(&mut w);
    let keys: Vec<(&str, Operation)> = init.iter().map(|e| (e.key.as_str(), e.operation)).collect();
    assert_eq!(keys, vec![("b", Operation::Purge), ("a", Operation::Put), ("c.x", Operation::Put), ("c.y", Operation::Put)]);
    assert_eq!(init.last().unwrap().delta, 0);
    assert!(init[0].delta > 0);
    kv.put("a", b"6").unwrap();
    let e = w.next(NEXT).unwrap().unwrap();
    assert_eq!((e.key.as_str(), e.value.as_slice()), ("a", &b"6"[..]));

    // Ignore deletes.
    let mut w = kv.watch_all(WatchOptions { ignore_deletes: true, ..Default::default() }).unwrap();
    let init = until_marker(&mut w);
    assert!(init.iter().all(|e| e.operation == Operation::Put));
    assert_eq!(init.len(), 3);

    // One key with history.
    let mut w = kv.watch("a", WatchOptions { include_history: true, ..Default::default() }).unwrap();
    let init = until_marker(&mut w);
    let vals: Vec<Vec<u8>> = init.iter().map(|e| e.value.clone()).collect();
    assert_eq!(vals, vec![b"1".to_vec(), b"".to_vec(), b"3".to_vec(), b"6".to_vec()]);

    // Wildcard.
    let mut w = kv.watch("c.*", WatchOptions::default()).unwrap();
    assert_eq!(until_marker(&mut w).iter().map(|e| e.key.clone()).collect::<Vec<_>>(), vec!["c.x", "c.y"]);
    kv.put("c.z", b"7").unwrap();
    kv.put("d", b"not matched").unwrap();
    assert_eq!(w.next(NEXT).unwrap().unwrap().key, "c.z");
    assert_eq!(w.next(Duration::from_millis(200)).unwrap_err().status, Status::Timeout);

    // Updates only: marker at once, no old values.
    let mut w = kv.watch_all(WatchOptions { updates_only: true, ..Default::default() }).unwrap();
    assert!(w.next(NEXT).unwrap().is_none());
    kv.put("u", b"8").unwrap();
    let e = w.next(NEXT).unwrap().unwrap();
    assert_eq!((e.key.as_str(), e.value.as_slice()), ("u", &b"8"[..]));

    // Meta only: no values.
    let mut w = kv.watch("a", WatchOptions { meta_only: true, ..Default::default() }).unwrap();
    let init = until_marker(&mut w);
    assert_eq!(init.len(), 1);
    assert!(init[0].value.is_empty());
    assert_eq!(init[0].key, "a");

    // Bad filters and option combinations.
    assert!(kv.watch("a.>.b", WatchOptions::default()).is_err());
    assert!(kv.watch_all(WatchOptions { include_history: true, updates_only: true, ..Default::default() }).is_err());
}

#[test]
fn r3_bucket_on_a_cluster() {
    let cluster = NatsCluster::start_jetstream(3);
    let nc = connect(opts(&cluster.url_list()));
    let js = JetStream::new(&nc);
    let mut c = KvConfig::new("r3");
    c.replicas = 3;
    c.history = 3;
    let kv = (0..50)
        .find_map(|_| match js.create_key_value(&c) {
            Ok(kv) => Some(kv),
            Err(_) => {
                std::thread::sleep(Duration::from_millis(200));
                None
            }
        })
        .expect("create R3 bucket");
    assert_eq!(kv.status().unwrap().stream_info.config.num_replicas, Some(3));
    let r = kv.put("k", b"v1").unwrap();
    kv.update("k", b"v2", r).unwrap();
    assert!(is_cas_conflict(&kv.update("k", b"v3", r).unwrap_err()));
    assert_eq!(kv.get("k").unwrap().value, b"v2");
    assert_eq!(kv.history("k").unwrap().len(), 2);
    let mut w = kv.watch_all(WatchOptions::default()).unwrap();
    assert_eq!(until_marker(&mut w).len(), 1);
    kv.delete("k").unwrap();
    assert_eq!(w.next(NEXT).unwrap().unwrap().operation, Operation::Delete);
    // Each node answers the direct get (allow_direct).
    for url in cluster.urls() {
        let nc2 = connect(opts(&url));
        let kv2 = JetStream::new(&nc2).key_value("r3").unwrap();
        assert_eq!(kv2.get("k").unwrap_err().status, Status::NotFound);
        assert_eq!(kv2.get_revision("k", r).unwrap().value, b"v1");
    }
}

fn python(script: &str) -> String {
    let py = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    assert!(py.exists(), "{} missing: run scripts/setup.sh", py.display());
    let out = Command::new(py).arg("-c").arg(script).output().unwrap();
    assert!(out.status.success(), "nats-py failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn interop_with_nats_py() {
    let srv = NatsServer::start_jetstream();
    let (_nc, js) = setup(&srv);

    // nats-py writes, libnatsrs reads.
    python(&format!(
        r#"
import asyncio, nats
async def main():
    nc = await nats.connect("{url}")
    js = nc.jetstream()
    kv = await js.create_key_value(bucket="frompy", history=5)
    await kv.put("a", b"1")
    await kv.put("a", b"2")
    await kv.put("b.x", b"bee")
    await kv.delete("b.x")
    await kv.put("c", b"see")
    await kv.purge("c")
    await kv.put("d", b"dee")
    await nc.close()
asyncio.run(main())
"#,
        url = srv.url()
    ));
    let kv = js.key_value("frompy").unwrap();
    assert_eq!(kv.status().unwrap().history, 5);
    assert_eq!(kv.get("a").unwrap().value, b"2");
    let h = kv.history("a").unwrap();
    assert_eq!(h.iter().map(|e| e.value.clone()).collect::<Vec<_>>(), vec![b"1".to_vec(), b"2".to_vec()]);
    assert_eq!(kv.get("b.x").unwrap_err().status, Status::NotFound);
    assert_eq!(kv.history("b.x").unwrap().iter().map(|e| e.operation).collect::<Vec<_>>(), vec![Operation::Put, Operation::Delete]);
    assert_eq!(kv.history("c").unwrap().iter().map(|e| e.operation).collect::<Vec<_>>(), vec![Operation::Purge]);
    let mut keys = kv.keys().unwrap();
    keys.sort();
    assert_eq!(keys, vec!["a", "d"]);
    kv.create("b.x", b"recreated").unwrap();

    // libnatsrs writes, nats-py reads.
    let mut c = KvConfig::new("fromrs");
    c.history = 5;
    let kv = js.create_key_value(&c).unwrap();
    kv.put("a", b"1").unwrap();
    let ra = kv.put("a", b"2").unwrap();
    kv.put("b.x", b"bee").unwrap();
    kv.delete("b.x").unwrap();
    kv.put("c", b"see").unwrap();
    kv.purge("c").unwrap();
    kv.put("d", b"dee").unwrap();
    let out = python(&format!(
        r#"
import asyncio, json, nats
from nats.js.errors import KeyDeletedError, KeyNotFoundError, NoKeysError
# nats-py's history() and keys() may see their watcher's start marker before the first value
# (a race in nats-py) and raise NoKeysError: retry a few times.
async def retry(f):
    for i in range(5):
        try:
            return await f()
        except NoKeysError:
            if i == 4:
                raise
            await asyncio.sleep(0.1)
async def main():
    nc = await nats.connect("{url}")
    js = nc.jetstream()
    kv = await js.key_value("fromrs")
    r = {{}}
    e = await kv.get("a")
    r["a"] = [e.value.decode(), e.revision]
    r["hist_a"] = [x.value.decode() for x in await retry(lambda: kv.history("a"))]
    r["ops_b"] = [x.operation for x in await retry(lambda: kv.history("b.x"))]
    r["ops_c"] = [x.operation for x in await retry(lambda: kv.history("c"))]
    for k in ["b.x", "c"]:
        try:
            await kv.get(k)
            r[k] = "found"
        except (KeyDeletedError, KeyNotFoundError) as e:
            r[k] = "notfound " + str(e.op)
    r["keys"] = sorted(await retry(kv.keys))
    st = await kv.status()
    r["history"] = st.history
    await kv.create("b.x", b"from py")
    await nc.close()
    print(json.dumps(r))
asyncio.run(main())
"#,
        url = srv.url()
    ));
    let r: serde_json::Value = serde_json::from_str(out.trim().lines().last().unwrap()).unwrap();
    assert_eq!(r["a"], serde_json::json!(["2", ra]));
    assert_eq!(r["hist_a"], serde_json::json!(["1", "2"]));
    assert_eq!(r["ops_b"], serde_json::json!([null, "DEL"]));
    assert_eq!(r["ops_c"], serde_json::json!(["PURGE"]));
    assert_eq!(r["b.x"], "notfound DEL");
    assert_eq!(r["c"], "notfound PURGE");
    assert_eq!(r["keys"], serde_json::json!(["a", "d"]));
    assert_eq!(r["history"], 5);
    assert_eq!(kv.get("b.x").unwrap().value, b"from py");
}

#[test]
fn sources_mirror_compression_republish() {
    let srv = NatsServer::start_jetstream();
    let (nc, js) = setup(&srv);
    let origin = bucket(&js, "origin", 1);
    origin.put("a", b"1").unwrap();

    // Sources: the origin's keys appear under the new bucket's name.
    let mut c = KvConfig::new("agg");
    c.sources = vec![serde_json::json!({ "name": "origin" })];
    let agg = js.create_key_value(&c).unwrap();
    let srcs = js.stream_info("KV_agg").unwrap().config.extra["sources"].clone();
    assert_eq!(srcs[0]["name"], "KV_origin");
    assert_eq!(srcs[0]["subject_transforms"][0]["dest"], "$KV.agg.>");
    assert!(wait_until(|| agg.get("a").is_ok_and(|e| e.value == b"1"), WAIT), "sourced value missing");

    // Mirror: read-only copy, keys keep the origin's subjects; puts go to the origin.
    let mut m = KvConfig::new("mir");
    m.mirror = Some(serde_json::json!({ "name": "origin" }));
    let mir = js.create_key_value(&m).unwrap();
    assert!(wait_until(|| mir.get("a").is_ok_and(|e| e.value == b"1"), WAIT), "mirrored value missing");
    mir.put("b", b"2").unwrap();
    // A direct get of the origin's key may be answered by the mirror, which may lag.
    assert!(wait_until(|| origin.get("b").is_ok_and(|e| e.value == b"2"), WAIT), "put through the mirror missing");
    assert!(wait_until(|| mir.keys().is_ok_and(|k| k.len() == 2), WAIT));
    let bound = js.key_value("mir").unwrap();
    assert!(wait_until(|| bound.get("b").is_ok(), WAIT));

    // Compression.
    let mut z = KvConfig::new("zip");
    z.compression = true;
    assert!(js.create_key_value(&z).unwrap().status().unwrap().is_compressed);

    // Republish.
    let mut r = KvConfig::new("rp");
    r.republish = Some(serde_json::json!({ "src": "$KV.rp.>", "dest": "repub.>" }));
    let rp = js.create_key_value(&r).unwrap();
    let sub = nc.subscribe_sync("repub.>", None).unwrap();
    nc.flush(WAIT).unwrap();
    rp.put("k", b"v").unwrap();
    let msg = sub.next_msg(NEXT).unwrap();
    assert!(msg.subject().starts_with("repub.") && msg.subject().ends_with(".k"), "{}", msg.subject());
    assert_eq!(msg.data(), b"v");
}

#[test]
fn per_key_ttl_and_limit_markers() {
    let srv = NatsServer::start_jetstream();
    let (_nc, js) = setup(&srv);
    let mut c = KvConfig::new("lm");
    c.limit_marker_ttl = Some(Duration::from_secs(5));
    let kv = js.create_key_value(&c).unwrap();
    assert_eq!(js.stream_info("KV_lm").unwrap().config.extra["allow_msg_ttl"], true);
    let mut w = kv.watch_all(WatchOptions::default()).unwrap();
    assert!(w.next(NEXT).unwrap().is_none());
    kv.create_with_ttl("t", b"short", Duration::from_secs(1)).unwrap();
    assert!(is_cas_conflict(&kv.create_with_ttl("t", b"again", Duration::from_secs(1)).unwrap_err()));
    assert_eq!(w.next(NEXT).unwrap().unwrap().operation, Operation::Put);
    // The server removes the value and leaves a marker (Nats-Marker-Reason: MaxAge) seen as a purge.
    assert!(wait_until(|| kv.get("t").is_err_and(|e| e.status == Status::NotFound), WAIT));
    let marker = w.next(WAIT).unwrap().unwrap();
    assert_eq!((marker.key.as_str(), marker.operation), ("t", Operation::Purge));
    kv.create("t", b"after expiry").unwrap();
    kv.purge_with_ttl("t", Duration::from_secs(1)).unwrap();
    assert_eq!(kv.get("t").unwrap_err().status, Status::NotFound);
}

#[test]
fn concurrent_cas_counter() {
    fn assert_send_sync<T: Send + Sync>() {}
    fn assert_send<T: Send>() {}
    assert_send_sync::<kv::KeyValue>();
    assert_send::<Watcher>();
    const THREADS: usize = 4;
    const INCREMENTS: usize = 10;
    let srv = NatsServer::start_jetstream();
    let (_nc, js) = setup(&srv);
    let kv = bucket(&js, "counter", 1);
    kv.put("n", b"0").unwrap();
    let conflicts = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                for _ in 0..INCREMENTS {
                    loop {
                        let e = kv.get("n").unwrap();
                        let n: u64 = e.value_str().unwrap().parse().unwrap();
                        match kv.update("n", (n + 1).to_string().as_bytes(), e.revision) {
                            Ok(_) => break,
                            Err(err) if is_cas_conflict(&err) => {
                                conflicts.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            }
                            Err(err) => panic!("{:?}", err),
                        }
                    }
                }
            });
        }
    });
    assert_eq!(kv.get("n").unwrap().value_str(), Some(((THREADS * INCREMENTS) as u64).to_string().as_str()));
}

#[test]
fn nats_py_watcher_sees_libnatsrs_writes_in_order() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let srv = NatsServer::start_jetstream();
    let (_nc, js) = setup(&srv);
    let kv = bucket(&js, "wpy", 5);
    kv.put("pre", b"0").unwrap();
    let py = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    let script = format!(
        r#"
import asyncio, json, nats
async def main():
    nc = await nats.connect("{url}")
    js = nc.jetstream()
    kv = await js.key_value("wpy")
    w = await kv.watchall()
    init = []
    while True:
        e = await w.updates(timeout=5)
        if e is None:
            break
        init.append(e.key)
    print("ready", flush=True)
    got = []
    for _ in range(3):
        e = await w.updates(timeout=10)
        got.append([e.key, e.operation, e.value.decode()])
    print(json.dumps({{"init": init, "got": got}}), flush=True)
    await nc.close()
asyncio.run(main())
"#,
        url = srv.url()
    );
    let mut child = Command::new(py).arg("-c").arg(script).stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while line.trim() != "ready" {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "the nats-py watcher did not start");
    }
    // The purge is of another key: a purge rolls up (removes) its key's older revisions, also
    // those the server has not sent to the watcher yet, so purging "a" could hide the put and
    // the delete from it.
    kv.put("a", b"1").unwrap();
    kv.delete("a").unwrap();
    kv.purge("c").unwrap();
    line.clear();
    out.read_line(&mut line).unwrap();
    assert!(child.wait().unwrap().success());
    let r: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
    assert_eq!(r["init"], serde_json::json!(["pre"]));
    assert_eq!(r["got"], serde_json::json!([["a", null, "1"], ["a", "DEL", ""], ["c", "PURGE", ""]]));
}
