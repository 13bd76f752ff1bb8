//! JetStream, key-value and object store cases for async-nats (`async_nats::jetstream`).
//!
//! js_pub_sync_<mem|file>, js_pub_async_<mem|file> (window of 256 ack futures in flight),
//! js_fetch_<mem|file> (pre-filled, then fetches of 500 from an ephemeral AckNone pull
//! consumer), kv_put, kv_get, obj_put_16m, obj_get_16m. Same shapes as bench/go/js_natsgo.go
//! and bench/natsrs_bench.c.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer, kv, object_store, stream};
use bytes::Bytes;
use futures_util::StreamExt;
use tokio::io::AsyncReadExt;

use crate::{bench_secs, connect, cpu_ns, peak_rss_kb, Res};

const STREAM: &str = "BENCHJS";
const SUBJECT: &str = "bench.js";
const SIZE: usize = 128;
const WINDOW: usize = 256;
const BATCH: usize = 500;
const FETCH_N: u64 = 100_000;
const KV_BUCKET: &str = "BENCHKV";
const KV_SIZE: usize = 128;
const KV_N: u64 = 20_000;
const OBJ_BUCKET: &str = "BENCHOBJ";
const OBJ_SIZE: usize = 16 << 20;

fn die(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("async-nats-bench: {}: {}", what, e);
    std::process::exit(2)
}

async fn setup(js: &jetstream::Context, memory: bool) {
    let _ = js.delete_stream(STREAM).await; // leftover of an aborted run
    let storage = if memory { stream::StorageType::Memory } else { stream::StorageType::File };
    js.create_stream(stream::Config { name: STREAM.into(), subjects: vec![SUBJECT.into()], storage, ..Default::default() })
        .await
        .unwrap_or_else(|e| die("create stream", e));
}

async fn teardown(js: &jetstream::Context) {
    js.delete_stream(STREAM).await.unwrap_or_else(|e| die("delete stream", e));
}

async fn case_js_pub(url: &str, memory: bool, is_async: bool, n: u64) -> Res {
    let nc = connect(url).await;
    let js = jetstream::new(nc);
    setup(&js, memory).await;
    let payload = Bytes::from(vec![b'x'; SIZE]);
    let limit = Duration::from_secs_f64(bench_secs());
    let mut window = VecDeque::with_capacity(WINDOW);
    let c0 = cpu_ns();
    let t0 = Instant::now();
    let mut sent = 0u64;
    while sent < n {
        let ack = js.publish(SUBJECT, payload.clone()).await.unwrap_or_else(|e| die("publish", e));
        if is_async {
            if window.len() == WINDOW {
                let f: jetstream::context::PublishAckFuture = window.pop_front().unwrap();
                f.await.unwrap_or_else(|e| die("ack", e));
            }
            window.push_back(ack);
        } else {
            ack.await.unwrap_or_else(|e| die("ack", e));
        }
        sent += 1;
        if sent & 63 == 0 && t0.elapsed() >= limit {
            break;
        }
    }
    for f in window {
        f.await.unwrap_or_else(|e| die("ack", e));
    }
    let secs = t0.elapsed().as_secs_f64();
    let cpu = cpu_ns() - c0;
    teardown(&js).await;
    Res { msgs: Some(sent), secs: Some(secs), size: Some(SIZE), cpu_ns: Some(cpu), peak_rss_kb: Some(peak_rss_kb()), ..Default::default() }
}

async fn case_js_fetch(url: &str, memory: bool, n: u64) -> Res {
    let nc = connect(url).await;
    let js = jetstream::new(nc);
    setup(&js, memory).await;
    let payload = Bytes::from(vec![b'x'; SIZE]);
    let mut window = VecDeque::with_capacity(WINDOW);
    for _ in 0..n {
        if window.len() == WINDOW {
            let f: jetstream::context::PublishAckFuture = window.pop_front().unwrap();
            f.await.unwrap_or_else(|e| die("prefill ack", e));
        }
        window.push_back(js.publish(SUBJECT, payload.clone()).await.unwrap_or_else(|e| die("prefill", e)));
    }
    for f in window {
        f.await.unwrap_or_else(|e| die("prefill ack", e));
    }
    let stream = js.get_stream(STREAM).await.unwrap_or_else(|e| die("get stream", e));
    let cons: consumer::PullConsumer = stream
        .create_consumer(consumer::pull::Config { ack_policy: consumer::AckPolicy::None, ..Default::default() })
        .await
        .unwrap_or_else(|e| die("create consumer", e));
    let (mut got, mut bytes) = (0u64, 0u64);
    let c0 = cpu_ns();
    let t0 = Instant::now();
    while got < n {
        let mut batch =
            cons.fetch().max_messages(BATCH).expires(Duration::from_secs(5)).messages().await.unwrap_or_else(|e| die("fetch", e));
        let mut k = 0u64;
        while let Some(m) = batch.next().await {
            let m = m.unwrap_or_else(|e| die("fetch message", e));
            bytes += m.payload.len() as u64;
            k += 1;
        }
        if k == 0 {
            die("fetch", format!("empty batch after {} of {}", got, n));
        }
        got += k;
    }
    let secs = t0.elapsed().as_secs_f64();
    let cpu = cpu_ns() - c0;
    teardown(&js).await;
    Res {
        msgs: Some(got),
        secs: Some(secs),
        size: Some(SIZE),
        cpu_ns: Some(cpu),
        peak_rss_kb: Some(peak_rss_kb()),
        extra: vec![("bytes".into(), bytes.to_string())],
        ..Default::default()
    }
}

async fn case_kv(url: &str, get: bool, n: u64) -> Res {
    let nc = connect(url).await;
    let js = jetstream::new(nc);
    let _ = js.delete_key_value(KV_BUCKET).await;
    let store =
        js.create_key_value(kv::Config { bucket: KV_BUCKET.into(), ..Default::default() }).await.unwrap_or_else(|e| die("create kv", e));
    let val = Bytes::from(vec![b'x'; KV_SIZE]);
    if get {
        for i in 0..n {
            store.put(format!("k{}", i), val.clone()).await.unwrap_or_else(|e| die("kv prefill", e));
        }
    }
    let limit = Duration::from_secs_f64(bench_secs());
    let c0 = cpu_ns();
    let t0 = Instant::now();
    let mut done = 0u64;
    while done < n {
        let key = format!("k{}", done);
        if get {
            let v = store.get(key).await.unwrap_or_else(|e| die("kv get", e));
            if v.map(|b| b.len()) != Some(KV_SIZE) {
                die("kv get", "missing or short value");
            }
        } else {
            store.put(key, val.clone()).await.unwrap_or_else(|e| die("kv put", e));
        }
        done += 1;
        if done & 63 == 0 && t0.elapsed() >= limit {
            break;
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    let cpu = cpu_ns() - c0;
    js.delete_key_value(KV_BUCKET).await.unwrap_or_else(|e| die("delete kv", e));
    Res {
        msgs: Some(done),
        secs: Some(secs),
        size: Some(KV_SIZE),
        cpu_ns: Some(cpu),
        peak_rss_kb: Some(peak_rss_kb()),
        ..Default::default()
    }
}

async fn case_obj(url: &str, get: bool) -> Res {
    let nc = connect(url).await;
    let js = jetstream::new(nc);
    let _ = js.delete_object_store(OBJ_BUCKET).await;
    let store = js
        .create_object_store(object_store::Config { bucket: OBJ_BUCKET.into(), ..Default::default() })
        .await
        .unwrap_or_else(|e| die("create object store", e));
    let data = vec![b'x'; OBJ_SIZE];
    if get {
        store.put("obj", &mut &data[..]).await.unwrap_or_else(|e| die("object prefill", e));
    }
    let limit = Duration::from_secs_f64(bench_secs());
    let c0 = cpu_ns();
    let t0 = Instant::now();
    let mut done = 0u64;
    loop {
        if get {
            let mut obj = store.get("obj").await.unwrap_or_else(|e| die("object get", e));
            let mut buf = Vec::with_capacity(OBJ_SIZE);
            obj.read_to_end(&mut buf).await.unwrap_or_else(|e| die("object read", e));
            if buf.len() != OBJ_SIZE {
                die("object get", format!("{} bytes", buf.len()));
            }
        } else {
            store.put("obj", &mut &data[..]).await.unwrap_or_else(|e| die("object put", e));
        }
        done += 1;
        if t0.elapsed() >= limit {
            break;
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    let cpu = cpu_ns() - c0;
    js.delete_object_store(OBJ_BUCKET).await.unwrap_or_else(|e| die("delete object store", e));
    Res {
        msgs: Some(done),
        secs: Some(secs),
        size: Some(OBJ_SIZE),
        cpu_ns: Some(cpu),
        peak_rss_kb: Some(peak_rss_kb()),
        ..Default::default()
    }
}

/// Runs a JetStream / KV / object store case; None if `case` is none of them.
pub async fn run(case: &str, url: &str, n: Option<u64>) -> Option<Res> {
    if let Some(rest) = case.strip_prefix("js_") {
        let (kind, st) = rest.rsplit_once('_')?;
        let memory = match st {
            "mem" => true,
            "file" => false,
            _ => return None,
        };
        return match kind {
            "pub_sync" => Some(case_js_pub(url, memory, false, n.unwrap_or(u64::MAX)).await),
            "pub_async" => Some(case_js_pub(url, memory, true, n.unwrap_or(u64::MAX)).await),
            "fetch" => Some(case_js_fetch(url, memory, n.unwrap_or(FETCH_N)).await),
            _ => None,
        };
    }
    match case {
        "kv_put" => Some(case_kv(url, false, n.unwrap_or(KV_N)).await),
        "kv_get" => Some(case_kv(url, true, n.unwrap_or(KV_N)).await),
        "obj_put_16m" => Some(case_obj(url, false).await),
        "obj_get_16m" => Some(case_obj(url, true).await),
        _ => None,
    }
}
