//! Object store (issue 10 item 2) against real `nats-server -js` processes: store management,
//! every operation, 0-byte / one-chunk / multi-chunk objects, a 50 MiB streamed put and get with
//! flat memory, digest mismatches, links, seal, watch, an R3 store on a 3-node cluster, and
//! interop with nats-py both ways.
mod common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{connect, Conn, NatsCluster, NatsServer};
use natsrs::jetstream::{JetStream, StorageType};
use natsrs::object_store::meta::digest_of;
use natsrs::object_store::{
    is_digest_mismatch, ObjectInfo, ObjectMeta, ObjectMetaOptions, ObjectStore, ObjectStoreConfig, ObjectWatchOptions, ObjectWatcher,
    OBJ_DEFAULT_CHUNK_SIZE,
};
use natsrs::{Options, Status};

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

fn store(js: &JetStream, name: &str) -> ObjectStore {
    js.create_object_store(&ObjectStoreConfig::new(name)).expect("create store")
}

/// Deterministic test data.
fn data(n: usize, seed: u8) -> Vec<u8> {
    (0..n).map(|i| (i as u32).wrapping_mul(2_654_435_761).rotate_left(seed as u32 % 31) as u8 ^ seed).collect()
}

/// Reads the watcher until the initial marker.
fn until_marker(w: &mut ObjectWatcher) -> Vec<ObjectInfo> {
    let mut out = Vec::new();
    while let Some(i) = w.next(NEXT).expect("watch next") {
        out.push(i);
    }
    out
}

#[test]
fn store_management() {
    let srv = NatsServer::start_jetstream();
    let (_nc, js) = setup(&srv);
    let mut c = ObjectStoreConfig::new("cfg");
    c.description = Some("a store".into());
    c.ttl = Some(Duration::from_secs(3600));
    c.max_bytes = Some(1 << 30);
    c.storage = Some(StorageType::Memory);
    c.metadata = Some(serde_json::json!({"owner": "tests"}));
    let os = js.create_object_store(&c).unwrap();
    assert_eq!((os.bucket(), os.stream_name()), ("cfg", "OBJ_cfg"));
    js.create_object_store(&c).unwrap();
    let sc = js.stream_info("OBJ_cfg").unwrap().config;
    assert_eq!(sc.subjects, vec!["$O.cfg.C.>", "$O.cfg.M.>"]);
    assert_eq!(sc.allow_rollup_hdrs, Some(true));
    assert_eq!(sc.allow_direct, Some(true));
    assert_eq!(sc.max_age, Some(Duration::from_secs(3600)));
    let st = os.status().unwrap();
    assert_eq!(st.bucket, "cfg");
    assert_eq!(st.description.as_deref(), Some("a store"));
    assert_eq!(st.ttl, Duration::from_secs(3600));
    assert_eq!(st.storage, StorageType::Memory);
    assert_eq!((st.replicas, st.sealed, st.backing_store), (1, false, "JetStream"));
    assert_eq!(st.metadata.as_ref().unwrap()["owner"], "tests");

    store(&js, "second");
    assert_eq!(js.object_store_names().unwrap(), vec!["cfg", "second"]);
    let all = js.object_stores().unwrap();
    assert_eq!(all.len(), 2);
    c.description = Some("changed".into());
    js.update_object_store(&c).unwrap();
    assert_eq!(js.object_store("cfg").unwrap().status().unwrap().description.as_deref(), Some("changed"));
    js.delete_object_store("second").unwrap();
    assert_eq!(js.object_store("second").unwrap_err().status, Status::NotFound);
    assert_eq!(js.object_store_names().unwrap(), vec!["cfg"]);
    for bad in ["", "a.b", "a b", "a*"] {
        assert_eq!(js.object_store(bad).unwrap_err().status, Status::InvalidArgument, "{}", bad);
        assert_eq!(js.create_object_store(&ObjectStoreConfig::new(bad)).unwrap_err().status, Status::InvalidArgument);
    }
}

#[test]
fn put_and_get_every_size() {
    let srv = NatsServer::start_jetstream();
    let (_nc, js) = setup(&srv);
    let os = store(&js, "sizes");
    let cases = [
        ("empty", 0usize, 0u32),
        ("one", 1, 1),
        ("exactly-one-chunk", OBJ_DEFAULT_CHUNK_SIZE, 1),
        ("one-chunk-plus-one", OBJ_DEFAULT_CHUNK_SIZE + 1, 2),
        ("multi", 5 * OBJ_DEFAULT_CHUNK_SIZE + 77, 6),
    ];
    for (name, n, chunks) in cases {
        let d = data(n, n as u8);
        let info = os.put_bytes(name, &d).unwrap();
        assert_eq!((info.size, info.chunks), (n as u64, chunks), "{}", name);
        assert_eq!(info.digest, digest_of(&d));
        assert_eq!(info.meta.options.as_ref().unwrap().max_chunk_size, Some(OBJ_DEFAULT_CHUNK_SIZE as u32));
        assert_eq!(info.bucket, "sizes");
        assert_eq!(info.nuid.len(), 22);
        let (gi, got) = os.get_bytes(name).unwrap();
        assert_eq!(got, d, "{}", name);
        assert_eq!(gi.digest, info.digest);
        // Through Read, in odd-sized pieces.
        let mut r = os.get(name).unwrap();
        let mut v = Vec::new();
        let mut piece = [0u8; 1000];
        loop {
            let k = r.read(&mut piece).unwrap();
            if k == 0 {
                break;
            }
            v.extend_from_slice(&piece[..k]);
        }
        assert_eq!(v, d);
    }

    // Own chunk size, meta fields.
    let d = data(10_000, 9);
    let mut headers = BTreeMap::new();
    headers.insert("X-A".to_string(), vec!["1".to_string(), "2".to_string()]);
    let meta = ObjectMeta {
        name: "small-chunks".into(),
        description: Some("desc".into()),
        headers: Some(headers.clone()),
        metadata: Some(BTreeMap::from([("k".to_string(), "v".to_string())])),
        options: Some(ObjectMetaOptions { link: None, max_chunk_size: Some(1024) }),
    };
    let info = os.put(meta, &mut &d[..]).unwrap();
    assert_eq!(info.chunks, 10);
    let i = os.info("small-chunks").unwrap();
    assert_eq!(i.meta.description.as_deref(), Some("desc"));
    assert_eq!(i.meta.headers, Some(headers));
    assert_eq!(i.meta.metadata.as_ref().unwrap()["k"], "v");
    assert!(i.modified() > std::time::UNIX_EPOCH);
    assert_eq!(os.get_bytes("small-chunks").unwrap().1, d);

    // Files both ways.
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("in.bin");
    let d = data(300_000, 3);
    std::fs::write(&src, &d).unwrap();
    let info = os.put_file(ObjectMeta::new("file"), &src).unwrap();
    assert_eq!((info.size, info.chunks), (300_000, 3));
    let dst = dir.path().join("out.bin");
    os.get_file("file", &dst).unwrap();
    assert_eq!(std::fs::read(&dst).unwrap(), d);
    let mut w = Vec::new();
    assert_eq!(os.get_to_writer("file", &mut w).unwrap().digest, digest_of(&d));
    assert_eq!(w, d);
    assert_eq!(os.put_file(ObjectMeta::new("x"), &dir.path().join("missing")).unwrap_err().status, Status::Io);
    assert_eq!(os.get_file("missing", &dir.path().join("never")).unwrap_err().status, Status::NotFound);
    assert!(!dir.path().join("never").exists());

    // Replacing an object purges the old chunks.
    let before = os.info("multi").unwrap();
    os.put_bytes("multi", b"short now").unwrap();
    assert_eq!(os.get_bytes("multi").unwrap().1, b"short now");
    let subjects = js.stream_info_subjects("OBJ_sizes", &os.chunk_subject(&before.nuid)).unwrap();
    assert!(subjects.state.extra.get("subjects").and_then(|s| s.as_object()).is_none_or(|m| m.is_empty()));
    assert_eq!(os.put_bytes("", b"x").unwrap_err().status, Status::InvalidArgument);
    assert_eq!(os.get("nope").unwrap_err().status, Status::NotFound);
}

#[test]
fn info_update_delete_list_watch() {
    let srv = NatsServer::start_jetstream();
    let (_nc, js) = setup(&srv);
    let os = store(&js, "ops");
    let mut w = os.watch(ObjectWatchOptions::default()).unwrap();
    assert!(w.next(NEXT).unwrap().is_none(), "empty store: marker first");
    os.put_bytes("a", b"alpha").unwrap();
    os.put_bytes("b", &data(200_000, 1)).unwrap();
    assert_eq!(w.next(NEXT).unwrap().unwrap().name(), "a");
    assert_eq!(w.next(NEXT).unwrap().unwrap().name(), "b");

    // Rename with new meta.
    let mut m = ObjectMeta::new("a2");
    m.description = Some("renamed".into());
    os.update_meta("a", &m).unwrap();
    assert_eq!(os.info("a").unwrap_err().status, Status::NotFound);
    assert_eq!(os.info("a2").unwrap().meta.description.as_deref(), Some("renamed"));
    assert_eq!(os.get_bytes("a2").unwrap().1, b"alpha");
    assert_eq!(w.next(NEXT).unwrap().unwrap().name(), "a2");
    // Onto an existing object: refused; same name, new description: fine.
    assert_eq!(os.update_meta("a2", &ObjectMeta::new("b")).unwrap_err().status, Status::IllegalState);
    os.update_meta("b", &ObjectMeta { name: "b".into(), description: Some("bee".into()), ..Default::default() }).unwrap();
    assert_eq!(os.info("b").unwrap().meta.description.as_deref(), Some("bee"));
    assert_eq!(os.get_bytes("b").unwrap().1, data(200_000, 1));
    assert_eq!(os.update_meta("zzz", &ObjectMeta::new("y")).unwrap_err().status, Status::NotFound);

    // Delete.
    let nuid = os.info("b").unwrap().nuid;
    os.delete("b").unwrap();
    assert_eq!(os.get("b").unwrap_err().status, Status::NotFound);
    assert_eq!(os.info("b").unwrap_err().status, Status::NotFound);
    let di = os.info_with("b", true).unwrap();
    assert!(di.deleted && di.size == 0 && di.chunks == 0 && di.digest.is_empty());
    let s = js.stream_info_subjects("OBJ_ops", &os.chunk_subject(&nuid)).unwrap();
    assert!(s.state.extra.get("subjects").and_then(|s| s.as_object()).is_none_or(|m| m.is_empty()), "chunks purged");
    assert_eq!(os.update_meta("b", &ObjectMeta::new("c")).unwrap_err().status, Status::IllegalState);
    assert_eq!(os.delete("never").unwrap_err().status, Status::NotFound);
    let e = w.next(NEXT).unwrap().unwrap();
    assert_eq!(e.name(), "b");
    let e = w.next(NEXT).unwrap().unwrap();
    assert!(e.name() == "b" && e.deleted);

    // List.
    let names = |v: Vec<ObjectInfo>| v.into_iter().map(|i| i.meta.name).collect::<Vec<_>>();
    assert_eq!(names(os.list(false).unwrap()), vec!["a2"]);
    let mut all = names(os.list(true).unwrap());
    all.sort();
    assert_eq!(all, vec!["a2", "b"]);
    // A deleted name can be put again.
    os.put_bytes("b", b"again").unwrap();
    assert_eq!(os.get_bytes("b").unwrap().1, b"again");

    // Watch options.
    let mut hist = os.watch(ObjectWatchOptions { include_history: true, ..Default::default() }).unwrap();
    // Meta rolls up: the history holds the latest meta of each name.
    let h = until_marker(&mut hist);
    assert_eq!(h.iter().map(|i| i.name()).collect::<Vec<_>>(), vec!["a2", "b"]);
    let mut nodel = os.watch(ObjectWatchOptions { ignore_deletes: true, ..Default::default() }).unwrap();
    let got = until_marker(&mut nodel);
    assert_eq!(got.len(), 2);
    let mut upd = os.watch(ObjectWatchOptions { updates_only: true, ..Default::default() }).unwrap();
    assert!(upd.next(NEXT).unwrap().is_none());
    os.delete("a2").unwrap();
    os.put_bytes("new", b"n").unwrap();
    assert!(upd.next(NEXT).unwrap().unwrap().deleted);
    assert_eq!(upd.next(NEXT).unwrap().unwrap().name(), "new");
    assert_eq!(nodel.next(NEXT).unwrap().unwrap().name(), "new", "deletes skipped");
    assert!(os.watch(ObjectWatchOptions { include_history: true, updates_only: true, ..Default::default() }).is_err());
}

#[test]
fn links_and_seal() {
    let srv = NatsServer::start_jetstream();
    let (_nc, js) = setup(&srv);
    let os = store(&js, "linksrc");
    let other = store(&js, "linkother");
    let d = data(300_000, 5);
    let target = other.put_bytes("target", &d).unwrap();
    let local = os.put_bytes("local", b"here").unwrap();

    let l = os.add_link("to-other", &target).unwrap();
    assert!(l.is_link());
    let link = l.link().unwrap();
    assert_eq!((link.bucket.as_str(), link.name.as_deref()), ("linkother", Some("target")));
    let (gi, got) = os.get_bytes("to-other").unwrap();
    assert_eq!(got, d);
    assert_eq!(gi.name(), "target");
    os.add_link("to-local", &local).unwrap();
    assert_eq!(os.get_bytes("to-local").unwrap().1, b"here");
    // A link may replace a link; not an object.
    os.add_link("to-local", &local).unwrap();
    assert_eq!(os.add_link("local", &target).unwrap_err().status, Status::IllegalState);
    // No links to links or deleted objects.
    let li = os.info("to-local").unwrap();
    assert_eq!(os.add_link("x", &li).unwrap_err().status, Status::InvalidArgument);
    let mut dead = target.clone();
    dead.deleted = true;
    assert_eq!(os.add_link("x", &dead).unwrap_err().status, Status::InvalidArgument);

    let bl = os.add_bucket_link("dir", &other).unwrap();
    assert_eq!(bl.link().unwrap().bucket, "linkother");
    assert_eq!(bl.link().unwrap().name, None);
    assert_eq!(os.get("dir").unwrap_err().status, Status::InvalidArgument);
    // Listing shows links too.
    assert_eq!(os.list(false).unwrap().len(), 4);
    // A link whose target is gone.
    other.delete("target").unwrap();
    assert_eq!(os.get("to-other").unwrap_err().status, Status::NotFound);

    // Seal: reads still work, writes fail.
    os.seal().unwrap();
    assert!(os.status().unwrap().sealed);
    assert_eq!(os.get_bytes("local").unwrap().1, b"here");
    assert!(os.put_bytes("late", b"no").is_err());
    assert!(os.delete("local").is_err());
    assert_eq!(os.get_bytes("local").unwrap().1, b"here");
}

#[test]
fn digest_mismatch_is_detected() {
    let srv = NatsServer::start_jetstream();
    let (nc, js) = setup(&srv);
    let os = store(&js, "corrupt");
    let d = data(3 * 1024, 7);
    let meta =
        ObjectMeta { name: "a".into(), options: Some(ObjectMetaOptions { link: None, max_chunk_size: Some(1024) }), ..Default::default() };
    let info = os.put(meta, &mut &d[..]).unwrap();
    assert_eq!(os.get_bytes("a").unwrap().1, d);

    // An extra chunk published straight onto the object's chunk subject.
    js.publish(&os.chunk_subject(&info.nuid), b"garbage").unwrap();
    let e = os.get_bytes("a").unwrap_err();
    assert!(is_digest_mismatch(&e), "{:?}", e);
    assert_eq!(e.status, Status::Io);
    assert!(e.message.contains("digest mismatch"), "{}", e.message);
    // Through Read the error comes as InvalidData.
    let mut r = os.get("a").unwrap();
    let mut sink = Vec::new();
    let ioe = r.read_to_end(&mut sink).unwrap_err();
    assert_eq!(ioe.kind(), std::io::ErrorKind::InvalidData);
    // get_file removes the partial file.
    let dir = tempfile::tempdir().unwrap();
    assert!(is_digest_mismatch(&os.get_file("a", &dir.path().join("f")).unwrap_err()));
    assert!(!dir.path().join("f").exists());

    // Meta rewritten with a wrong digest (same chunks).
    let good = os.put_bytes("b", &d).unwrap();
    let mut bad = good.clone();
    bad.digest = digest_of(b"something else");
    let mut m = natsrs::Msg::new(&os.meta_subject("b"), None, bad.to_json().as_bytes()).unwrap();
    m.headers_mut().set("Nats-Rollup", "sub").unwrap();
    js.publish_msg(m, &Default::default()).unwrap();
    assert!(is_digest_mismatch(&os.get_bytes("b").unwrap_err()));
    let mut w = Vec::new();
    assert!(is_digest_mismatch(&os.get_to_writer("b", &mut w).unwrap_err()));
    drop(nc);
}

/// Resident set size of this process, from /proc/self/status.
fn rss_bytes() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = s.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS");
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
}

/// Samples the RSS every few ms until stopped; returns the peak.
fn rss_peak_sampler(stop: Arc<AtomicBool>, peak: Arc<AtomicU64>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            peak.fetch_max(rss_bytes(), Ordering::Relaxed);
            std::thread::sleep(Duration::from_millis(5));
        }
    })
}

/// A reader producing `left` bytes of deterministic data without holding them.
struct GenReader {
    left: usize,
    pos: usize,
}

impl Read for GenReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.left).min(64 * 1024);
        for b in &mut buf[..n] {
            *b = (self.pos as u32).wrapping_mul(2_654_435_761).to_le_bytes()[3];
            self.pos += 1;
        }
        self.left -= n;
        Ok(n)
    }
}

/// A writer that only hashes and counts.
struct HashSink {
    h: sha2::Sha256,
    n: u64,
}

impl Write for HashSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        use sha2::Digest;
        self.h.update(buf);
        self.n += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs the 50 MiB test in a process of its own, so that no other test's memory counts.
#[test]
fn fifty_mib_streamed_with_flat_memory() {
    let exe = std::env::current_exe().unwrap();
    let out = Command::new(exe)
        .args(["--ignored", "--exact", "fifty_mib_streamed_in_own_process", "--nocapture", "--test-threads=1"])
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    for l in text.lines().filter(|l| l.contains("RSS")) {
        eprintln!("{}", l);
    }
    assert!(out.status.success() && text.contains("1 passed"), "{}", text);
}

#[test]
#[ignore = "run by fifty_mib_streamed_with_flat_memory in its own process"]
fn fifty_mib_streamed_in_own_process() {
    const SIZE: usize = 50 * 1024 * 1024;
    const MAX_GROWTH: u64 = 20 * 1024 * 1024;
    let srv = NatsServer::start_jetstream();
    let (_nc, js) = setup(&srv);
    let os = store(&js, "big");
    os.put_bytes("warmup", &data(4 * OBJ_DEFAULT_CHUNK_SIZE, 1)).unwrap();
    os.get_bytes("warmup").unwrap();

    let before = rss_bytes();
    let (stop, peak) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicU64::new(before)));
    let sampler = rss_peak_sampler(stop.clone(), peak.clone());
    let info = os.put(ObjectMeta::new("big"), &mut GenReader { left: SIZE, pos: 0 }).unwrap();
    assert_eq!(info.size, SIZE as u64);
    assert_eq!(info.chunks as usize, SIZE / OBJ_DEFAULT_CHUNK_SIZE);
    let mut sink = HashSink { h: Default::default(), n: 0 };
    let gi = os.get_to_writer("big", &mut sink).unwrap();
    stop.store(true, Ordering::Relaxed);
    sampler.join().unwrap();
    let after = rss_bytes();
    let peak = peak.load(Ordering::Relaxed).max(after);
    assert_eq!(sink.n, SIZE as u64);
    use sha2::Digest;
    let got = format!("SHA-256={}", data_encoding::BASE64URL.encode(&sink.h.finalize()));
    assert_eq!(got, gi.digest);
    let growth = peak.saturating_sub(before);
    eprintln!(
        "50 MiB put+get: RSS before {} KiB, peak {} KiB, after {} KiB, peak growth {} KiB",
        before / 1024,
        peak / 1024,
        after / 1024,
        growth / 1024
    );
    assert!(growth < MAX_GROWTH, "RSS grew by {} KiB during a 50 MiB streamed put+get", growth / 1024);
}

#[test]
fn r3_store_on_a_cluster() {
    let cluster = NatsCluster::start_jetstream(3);
    let nc = connect(opts(&cluster.url_list()));
    let js = JetStream::new(&nc);
    let mut c = ObjectStoreConfig::new("r3");
    c.replicas = 3;
    let os = (0..50)
        .find_map(|_| match js.create_object_store(&c) {
            Ok(os) => Some(os),
            Err(_) => {
                std::thread::sleep(Duration::from_millis(200));
                None
            }
        })
        .expect("create R3 store");
    assert_eq!(os.status().unwrap().replicas, 3);
    let d = data(3 * OBJ_DEFAULT_CHUNK_SIZE + 10, 4);
    let info = os.put_bytes("obj", &d).unwrap();
    assert_eq!(info.chunks, 4);
    for url in cluster.urls() {
        let nc2 = connect(opts(&url));
        let os2 = JetStream::new(&nc2).object_store("r3").unwrap();
        let (gi, got) = os2.get_bytes("obj").unwrap();
        assert_eq!(got, d);
        assert_eq!(gi.digest, info.digest);
    }
    os.delete("obj").unwrap();
    assert_eq!(os.get("obj").unwrap_err().status, Status::NotFound);
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
    let n = 3 * OBJ_DEFAULT_CHUNK_SIZE + 123;

    // nats-py puts, libnatsrs gets.
    let out = python(&format!(
        r#"
import asyncio, nats
from nats.js.api import ObjectMeta
async def main():
    nc = await nats.connect("{url}")
    js = nc.jetstream()
    obs = await js.create_object_store("frompy")
    data = bytes(((i * 7) ^ (i >> 8)) & 0xff for i in range({n}))
    info = await obs.put("dir/py object.bin", data, meta=ObjectMeta(name="dir/py object.bin", description="from python"))
    await obs.put("empty", b"")
    await obs.put("gone", b"x")
    await obs.delete("gone")
    print(info.digest)
    await nc.close()
asyncio.run(main())
"#,
        url = srv.url(),
        n = n
    ));
    let want: Vec<u8> = (0..n).map(|i| (((i * 7) ^ (i >> 8)) & 0xff) as u8).collect();
    let os = js.object_store("frompy").unwrap();
    let (info, got) = os.get_bytes("dir/py object.bin").unwrap();
    assert_eq!(got, want);
    assert_eq!(info.digest, out.trim());
    assert_eq!(info.digest, digest_of(&want));
    assert_eq!(info.chunks, 4);
    assert_eq!(info.meta.description.as_deref(), Some("from python"));
    assert_eq!(os.get_bytes("empty").unwrap().1, b"");
    assert_eq!(os.get("gone").unwrap_err().status, Status::NotFound);
    let mut names: Vec<String> = os.list(false).unwrap().into_iter().map(|i| i.meta.name).collect();
    names.sort();
    assert_eq!(names, vec!["dir/py object.bin", "empty"]);

    // libnatsrs puts, nats-py gets.
    let os = store(&js, "fromrs");
    let d = data(n, 11);
    let mut m = ObjectMeta::new("rs/obj 1");
    m.description = Some("from rust".into());
    m.metadata = Some(BTreeMap::from([("k".to_string(), "v".to_string())]));
    m.headers = Some(BTreeMap::from([("X-H".to_string(), vec!["1".to_string()])]));
    let info = os.put(m, &mut &d[..]).unwrap();
    os.put_bytes("other", b"small").unwrap();
    os.put_bytes("deleted", b"gone").unwrap();
    os.delete("deleted").unwrap();
    os.add_link("lnk", &os.info("other").unwrap()).unwrap();
    let out = python(&format!(
        r#"
import asyncio, hashlib, base64, json, nats
async def main():
    nc = await nats.connect("{url}")
    js = nc.jetstream()
    obs = await js.object_store("fromrs")
    r = await obs.get("rs/obj 1")
    i = await obs.get_info("rs/obj 1")
    l = await obs.get_info("lnk")
    names = sorted(o.name for o in await obs.list())
    try:
        await obs.get("deleted")
        deleted = "found"
    except Exception as e:
        deleted = type(e).__name__
    print(json.dumps({{
        "names": names, "deleted": deleted, "headers": i.headers,
        "sha": hashlib.sha256(r.data).hexdigest(), "len": len(r.data), "digest": r.info.digest,
        "chunks": i.chunks, "size": i.size, "desc": i.description,
        "link": [l.options.link.bucket, l.options.link.name],
        "other": (await obs.get("other")).data.decode(),
    }}))
    await nc.close()
asyncio.run(main())
"#,
        url = srv.url()
    ));
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    use sha2::Digest;
    let hex: String = sha2::Sha256::digest(&d).iter().map(|b| format!("{:02x}", b)).collect();
    assert_eq!(v["sha"], hex.as_str());
    assert_eq!(v["len"], n);
    assert_eq!(v["digest"], info.digest.as_str());
    assert_eq!(v["chunks"], 4);
    assert_eq!(v["size"], n);
    assert_eq!(v["desc"], "from rust");
    assert_eq!(v["link"], serde_json::json!(["fromrs", "other"]));
    assert_eq!(v["other"], "small");
    // nats-py lists deleted objects too by default.
    assert_eq!(v["names"], serde_json::json!(["deleted", "lnk", "other", "rs/obj 1"]));
    assert_eq!(v["deleted"], "ObjectNotFoundError", "nats-py sees the delete marker");
    assert_eq!(v["headers"], serde_json::json!({"X-H": ["1"]}));
}
