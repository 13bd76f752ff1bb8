//! async-nats peer client for the libnatsrs bench harness.
//!
//! Usage: async-nats-bench <case> <url> [N]
//! Prints one JSON line (same schema as the other bench clients, see bench/README.md).
//! The time bound of the throughput cases comes from the env var BENCH_SECS (default 2.5).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;

mod js;

const CLIENT: &str = "async-nats";

fn cpu_ns() -> u64 {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let tv = |t: libc::timeval| t.tv_sec as u64 * 1_000_000_000 + t.tv_usec as u64 * 1_000;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

fn peak_rss_kb() -> u64 {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    ru.ru_maxrss as u64
}

fn vm_rss_kb() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    for line in s.lines() {
        if let Some(rest) = line.strip_prefix("VmRSS:") {
            return rest.trim().trim_end_matches("kB").trim().parse().unwrap_or(0);
        }
    }
    0
}

fn bench_secs() -> f64 {
    std::env::var("BENCH_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(2.5)
}

#[derive(Default)]
struct Res {
    msgs: Option<u64>,
    secs: Option<f64>,
    size: Option<usize>,
    cpu_ns: Option<u64>,
    p50_us: Option<f64>,
    p99_us: Option<f64>,
    peak_rss_kb: Option<u64>,
    dropped: Option<u64>,
    extra: Vec<(String, String)>,
}

fn f(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{:.3}", x),
        _ => "null".into(),
    }
}
fn u(v: Option<u64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_else(|| "null".into())
}

fn emit(case: &str, r: &Res) {
    let rate = match (r.msgs, r.secs) {
        (Some(m), Some(s)) if s > 0.0 => Some(m as f64 / s),
        _ => None,
    };
    let mb = match (rate, r.size) {
        (Some(rt), Some(sz)) => Some(rt * sz as f64 / 1e6),
        _ => None,
    };
    let cpm = match (r.cpu_ns, r.msgs) {
        (Some(c), Some(m)) if m > 0 => Some(c as f64 / m as f64),
        _ => None,
    };
    let mut s = format!(
        "{{\"client\":\"{}\",\"case\":\"{}\",\"msgs\":{},\"secs\":{},\"msgs_per_sec\":{},\"mb_per_sec\":{},\"cpu_ns_per_msg\":{},\"p50_us\":{},\"p99_us\":{},\"peak_rss_kb\":{},\"dropped\":{}",
        CLIENT, case, u(r.msgs), f(r.secs), f(rate), f(mb), f(cpm), f(r.p50_us), f(r.p99_us),
        u(r.peak_rss_kb), u(r.dropped)
    );
    for (k, v) in &r.extra {
        s.push_str(&format!(",\"{}\":{}", k, v));
    }
    s.push('}');
    println!("{}", s);
}

fn unsupported(case: &str) {
    println!("{{\"client\":\"{}\",\"case\":\"{}\",\"unsupported\":true}}", CLIENT, case);
}

async fn connect(url: &str) -> async_nats::Client {
    async_nats::connect(url).await.unwrap_or_else(|e| {
        eprintln!("connect {}: {}", url, e);
        std::process::exit(2)
    })
}

/// Round trip through the server: `Client::flush` only writes the buffer out, so to know that
/// the server has processed everything sent before (SUBs, PUBs) we send ourselves a message on a
/// fresh inbox and wait for it (the same guarantee a PING/PONG flush gives in the other clients).
async fn barrier(c: &async_nats::Client) {
    let subj = c.new_inbox();
    let mut s = c.subscribe(subj.clone()).await.unwrap();
    c.publish(subj, Bytes::new()).await.unwrap();
    c.flush().await.unwrap();
    tokio::time::timeout(Duration::from_secs(60), s.next()).await.expect("barrier timed out").expect("barrier subscription closed");
    let _ = s.unsubscribe().await;
}

async fn case_pub(url: &str, size: usize, n: u64) -> Res {
    let nc = connect(url).await;
    barrier(&nc).await;
    let payload = Bytes::from(vec![b'x'; size]);
    let limit = Duration::from_secs_f64(bench_secs());
    let c0 = cpu_ns();
    let t0 = Instant::now();
    let mut sent = 0u64;
    while sent < n {
        nc.publish("bench.pub", payload.clone()).await.unwrap();
        sent += 1;
        if sent & 255 == 0 && t0.elapsed() >= limit {
            break;
        }
    }
    barrier(&nc).await;
    let secs = t0.elapsed().as_secs_f64();
    let cpu = cpu_ns() - c0;
    Res { msgs: Some(sent), secs: Some(secs), size: Some(size), cpu_ns: Some(cpu), peak_rss_kb: Some(peak_rss_kb()), ..Default::default() }
}

async fn case_pubsub(url: &str, size: usize, n: u64) -> Res {
    let sc = connect(url).await;
    let pc = connect(url).await;
    let mut sub = sc.subscribe("bench.ps").await.unwrap();
    barrier(&sc).await;
    barrier(&pc).await;

    let count = Arc::new(AtomicU64::new(0));
    let target = Arc::new(AtomicU64::new(u64::MAX));
    let done_ns = Arc::new(AtomicU64::new(0));
    let t0 = Instant::now();
    let done = Arc::new(tokio::sync::Notify::new());
    {
        let (count, target, done_ns, done) = (count.clone(), target.clone(), done_ns.clone(), done.clone());
        tokio::spawn(async move {
            while let Some(_m) = sub.next().await {
                let c = count.fetch_add(1, Ordering::SeqCst) + 1;
                if c == target.load(Ordering::SeqCst) {
                    let _ = done_ns.compare_exchange(0, t0.elapsed().as_nanos() as u64, Ordering::SeqCst, Ordering::SeqCst);
                    done.notify_one();
                }
            }
        });
    }

    let payload = Bytes::from(vec![b'x'; size]);
    let limit = Duration::from_secs_f64(bench_secs());
    let c0 = cpu_ns();
    let mut sent = 0u64;
    while sent < n {
        pc.publish("bench.ps", payload.clone()).await.unwrap();
        sent += 1;
        if sent & 255 == 0 && t0.elapsed() >= limit {
            break;
        }
    }
    barrier(&pc).await;
    target.store(sent, Ordering::SeqCst);
    if count.load(Ordering::SeqCst) >= sent {
        let _ = done_ns.compare_exchange(0, t0.elapsed().as_nanos() as u64, Ordering::SeqCst, Ordering::SeqCst);
    }
    // Wait for the last message, giving up after 2 s without progress.
    let mut last = count.load(Ordering::SeqCst);
    let mut last_progress = Instant::now();
    let mut last_arrival = t0.elapsed();
    while done_ns.load(Ordering::SeqCst) == 0 {
        let _ = tokio::time::timeout(Duration::from_millis(50), done.notified()).await;
        let c = count.load(Ordering::SeqCst);
        if c != last {
            last = c;
            last_progress = Instant::now();
            last_arrival = t0.elapsed();
        } else if last_progress.elapsed() > Duration::from_secs(2) {
            break;
        }
    }
    let cpu = cpu_ns() - c0;
    let received = count.load(Ordering::SeqCst);
    let d = done_ns.load(Ordering::SeqCst);
    let secs = if d != 0 { d as f64 / 1e9 } else { last_arrival.as_secs_f64() };
    Res {
        msgs: Some(received),
        secs: Some(secs),
        size: Some(size),
        cpu_ns: Some(cpu),
        peak_rss_kb: Some(peak_rss_kb()),
        dropped: Some(sent.saturating_sub(received)),
        extra: vec![("sent".into(), sent.to_string()), ("timed_out".into(), (d == 0).to_string())],
        ..Default::default()
    }
}

async fn case_reqrep(url: &str, n: u64) -> Res {
    let rc = connect(url).await;
    let qc = connect(url).await;
    let mut sub = rc.subscribe("bench.rr").await.unwrap();
    barrier(&rc).await;
    {
        let rc = rc.clone();
        tokio::spawn(async move {
            while let Some(m) = sub.next().await {
                if let Some(reply) = m.reply {
                    rc.publish(reply, m.payload).await.unwrap();
                }
            }
        });
    }
    let payload = Bytes::from(vec![b'x'; 16]);
    let warm = std::cmp::min(1000, n / 10 + 1);
    for _ in 0..warm {
        qc.request("bench.rr", payload.clone()).await.unwrap();
    }
    let mut lat = Vec::with_capacity(n as usize);
    let c0 = cpu_ns();
    let t0 = Instant::now();
    for _ in 0..n {
        let s = Instant::now();
        qc.request("bench.rr", payload.clone()).await.unwrap();
        lat.push(s.elapsed().as_nanos() as u64);
    }
    let secs = t0.elapsed().as_secs_f64();
    let cpu = cpu_ns() - c0;
    lat.sort_unstable();
    let pct = |p: f64| lat[((lat.len() as f64 - 1.0) * p).round() as usize] as f64 / 1e3;
    Res { msgs: Some(n), secs: Some(secs), cpu_ns: Some(cpu), p50_us: Some(pct(0.50)), p99_us: Some(pct(0.99)), ..Default::default() }
}

async fn case_mem(url: &str, n: u64) -> Res {
    let nc = connect(url).await;
    barrier(&nc).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let base = vm_rss_kb();
    let mut subs = Vec::with_capacity(n as usize);
    for i in 0..n {
        subs.push(nc.subscribe(format!("bench.mem.{}", i)).await.unwrap());
    }
    barrier(&nc).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let rss = vm_rss_kb();
    let r = Res {
        msgs: None,
        peak_rss_kb: Some(peak_rss_kb()),
        extra: vec![("subs".into(), n.to_string()), ("rss_kb".into(), rss.to_string()), ("rss_before_subs_kb".into(), base.to_string())],
        ..Default::default()
    };
    drop(subs);
    r
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: {} <case> <url> [N]", args[0]);
        std::process::exit(2);
    }
    let case = args[1].as_str();
    let url = args[2].as_str();
    let n_arg: Option<u64> = args.get(3).and_then(|s| s.parse().ok());

    let r = if let Some(sz) = case.strip_prefix("pubsub_") {
        let size: usize = sz.parse().expect("size");
        case_pubsub(url, size, n_arg.unwrap_or(u64::MAX)).await
    } else if let Some(sz) = case.strip_prefix("pub_") {
        let size: usize = sz.parse().expect("size");
        case_pub(url, size, n_arg.unwrap_or(u64::MAX)).await
    } else if case == "reqrep" {
        case_reqrep(url, n_arg.unwrap_or(20_000)).await
    } else if case == "mem_10k_subs" {
        case_mem(url, n_arg.unwrap_or(10_000)).await
    } else if let Some(r) = js::run(case, url, n_arg).await {
        r
    } else {
        unsupported(case);
        return;
    };
    emit(case, &r);
}
