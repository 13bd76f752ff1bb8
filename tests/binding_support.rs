//! What the Python and Go bindings need from the core, against real `nats-server`s: pending
//! high-water marks, bytes buffered, the reconnect error callback, the user info handler, the
//! TLS verify handler, and the packed batch calls (through the exported C functions).

use crate::common;
use crate::security_support;

use std::ffi::{CStr, CString};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{wait_until, NatsServer};
use natsrs::ffi::connection::{natsrs_connection, natsrs_connection_connect_to, natsrs_connection_flush, natsrs_connection_free};
use natsrs::ffi::packed::{natsrs_connection_publish_packed, natsrs_subscription_next_packed, natsrs_subscription_try_next_packed};
use natsrs::ffi::status::{natsrs_last_error_message, natsrs_status};
use natsrs::ffi::subscription::{natsrs_subscription, natsrs_subscription_free, natsrs_subscription_pending};
use natsrs::{Connection, Error, Options, Status};
use security_support::Pki;

const WAIT: Duration = Duration::from_secs(10);

fn opts(url: &str) -> Options {
    let mut o = Options::new();
    o.set_url(url).expect("url");
    o.reconnect_wait = Duration::from_millis(50);
    o.reconnect_jitter = Duration::ZERO;
    o.reconnect_jitter_tls = Duration::ZERO;
    o.max_reconnect = -1;
    o
}

#[test]
fn max_pending_and_buffered() {
    let mut srv = NatsServer::start();
    let c = Connection::connect(opts(&srv.url())).unwrap();
    let sub = c.subscribe_sync("bs.mp", None).unwrap();
    for _ in 0..5 {
        c.publish("bs.mp", b"12345").unwrap();
    }
    c.flush(WAIT).unwrap();
    assert_eq!(c.buffered(), 0, "a flush leaves nothing buffered");
    assert!(wait_until(|| sub.pending().0 == 5, WAIT));
    assert_eq!(sub.max_pending(), (5, 25));
    for _ in 0..5 {
        sub.next_msg(WAIT).unwrap();
    }
    assert_eq!(sub.pending(), (0, 0));
    assert_eq!(sub.max_pending(), (5, 25), "the high-water mark stays");
    sub.clear_max_pending();
    assert_eq!(sub.max_pending(), (0, 0));
    c.publish("bs.mp", b"xy").unwrap();
    c.flush(WAIT).unwrap();
    assert!(wait_until(|| sub.max_pending() == (1, 2), WAIT));

    // While disconnected, publishes wait in the reconnect buffer.
    srv.stop();
    assert!(wait_until(|| c.status() == natsrs::ConnectionStatus::Reconnecting, WAIT));
    c.publish("bs.mp", &[7u8; 100]).unwrap();
    assert!(c.buffered() >= 100, "buffered {}", c.buffered());
}

/// `publish_wire` (ready-made PUB frames from a binding): while disconnected the frames go
/// into the reconnect buffer one by one, so the buffer's limit refuses exactly the frame that
/// does not fit; after the reconnect the buffered ones arrive, and later batches go straight out.
#[test]
fn publish_wire_while_disconnected_fills_the_reconnect_buffer_frame_by_frame() {
    let mut srv = NatsServer::start();
    let mut o = opts(&srv.url());
    o.reconnect_buf_size = 300;
    let c = Connection::connect(o).unwrap();
    let sub = c.subscribe_sync("bs.wire", None).unwrap();
    c.flush(WAIT).unwrap();
    let frame = |tag: u8| {
        let mut f = b"PUB bs.wire 100\r\n".to_vec();
        f.extend_from_slice(&[tag; 100]);
        f.extend_from_slice(b"\r\n");
        f
    };
    srv.stop();
    assert!(wait_until(|| c.status() == natsrs::ConnectionStatus::Reconnecting, WAIT));
    let batch: Vec<u8> = [frame(b'a'), frame(b'b'), frame(b'c')].concat();
    let (n, r) = c.publish_wire(&batch);
    assert_eq!(n, 2, "two frames of 119 bytes fit in 300");
    assert_eq!(r.unwrap_err().status, Status::BufferFull);
    srv.restart();
    assert!(wait_until(|| c.reconnects() == 1, WAIT));
    let (n, r) = c.publish_wire(&frame(b'd'));
    assert_eq!((n, r.is_ok()), (1, true));
    c.flush(WAIT).unwrap();
    for tag in [b'a', b'b', b'd'] {
        let m = sub.next_msg(WAIT).unwrap();
        assert_eq!(m.data(), &[tag; 100][..]);
    }
    assert_eq!(c.stats().out_msgs, 3);
}

#[test]
fn reconnect_error_callback_per_failed_attempt() {
    let mut srv = NatsServer::start();
    // The only callback set: the event thread must run for it alone.
    let errors: Arc<Mutex<Vec<Error>>> = Arc::default();
    let mut o = opts(&srv.url());
    let e2 = errors.clone();
    o.reconnect_error_cb = Some(Arc::new(move |_c: &Connection, e: &Error| e2.lock().unwrap().push(e.clone())));
    let c = Connection::connect(o).unwrap();
    assert!(errors.lock().unwrap().is_empty());
    srv.stop();
    assert!(wait_until(|| errors.lock().unwrap().len() >= 3, WAIT), "one callback per failed attempt");
    for e in errors.lock().unwrap().iter() {
        assert_eq!(e.status, Status::Io, "{}", e);
        assert!(!e.message.is_empty());
    }
    srv.restart();
    assert!(wait_until(|| c.reconnects() == 1, WAIT));
    c.flush(WAIT).unwrap();
}

#[test]
fn user_info_handler_called_at_every_connect() {
    let mut srv = NatsServer::start_with_args(&["--user", "dyn", "--pass", "s3cret"]);
    let calls = Arc::new(AtomicUsize::new(0));
    let reconnected = Arc::new(AtomicUsize::new(0));
    let mut o = opts(&srv.url());
    let c2 = calls.clone();
    o.auth.user_info_handler = Some(Arc::new(move || {
        c2.fetch_add(1, Ordering::SeqCst);
        Ok(("dyn".to_string(), "s3cret".to_string()))
    }));
    let r2 = reconnected.clone();
    o.reconnected_cb = Some(Arc::new(move |_c: &Connection| {
        r2.fetch_add(1, Ordering::SeqCst);
    }));
    let c = Connection::connect(o).unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    srv.restart();
    assert!(wait_until(|| reconnected.load(Ordering::SeqCst) == 1, WAIT));
    assert!(calls.load(Ordering::SeqCst) >= 2, "called again for the reconnect");
    c.flush(WAIT).unwrap();

    // A wrong password from the handler is refused by the server.
    let mut o = opts(&srv.url());
    o.allow_reconnect = false;
    o.auth.user_info_handler = Some(Arc::new(|| Ok(("dyn".to_string(), "wrong".to_string()))));
    assert_eq!(Connection::connect(o).unwrap_err().status, Status::Authorization);
}

/// A TLS server with `pki`'s server certificate (or the one from the unrelated CA).
fn tls_server(pki: &Pki, other: bool) -> NatsServer {
    let cert = if other { &pki.other_server } else { &pki.server };
    NatsServer::start_with_config(&pki.server_tls_block(cert, false, false))
}

fn der_of(pem_path: &std::path::Path) -> Vec<u8> {
    let pem = std::fs::read(pem_path).unwrap();
    let der = rustls_pemfile::certs(&mut &pem[..]).next().unwrap().unwrap();
    der.as_ref().to_vec()
}

/// What the verify handler saw: (leaf DER, chain length, server name).
type Seen = (Vec<u8>, usize, String);

#[test]
fn tls_verify_handler_accepts_rejects_and_sees_the_leaf() {
    let pki = Pki::generate();
    let srv = tls_server(&pki, true);
    let url = format!("tls://127.0.0.1:{}", srv.port());
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();

    // Accept: connects although no CA is configured for the (unrelated) issuer.
    let mut o = opts(&url);
    let s2 = seen.clone();
    o.tls.verify_handler = Some(Arc::new(move |chain: &[&[u8]], name: &str| {
        s2.lock().unwrap().push((chain[0].to_vec(), chain.len(), name.to_string()));
        Ok(())
    }));
    let c = Connection::connect(o).unwrap();
    c.flush(WAIT).unwrap();
    {
        let v = seen.lock().unwrap();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].0, der_of(&pki.other_server.cert), "the leaf comes first");
        assert!(v[0].1 >= 1);
        assert_eq!(v[0].2, "127.0.0.1");
    }
    c.close();

    // Reject: a TLS error that says so; no connection.
    let mut o = opts(&url);
    o.allow_reconnect = false;
    o.tls.verify_handler = Some(Arc::new(|_: &[&[u8]], _: &str| Err(natsrs::Error::new(Status::Tls, "not my CA"))));
    let e = Connection::connect(o).unwrap_err();
    assert_eq!(e.status, Status::Tls);
    assert!(e.message.contains("verify handler") && e.message.contains("not my CA"), "{}", e.message);

    // Without the handler, the unrelated CA is refused as before.
    let mut o = opts(&url);
    o.allow_reconnect = false;
    o.tls.ca_file = Some(pki.ca.clone());
    assert_eq!(Connection::connect(o).unwrap_err().status, Status::Tls);
}

// ---- packed batches, through the C functions ----

fn entry(out: &mut Vec<u8>, subj: &[u8], reply: &[u8], hdr: &[u8], data: &[u8]) {
    for x in [subj, reply, hdr, data] {
        out.extend_from_slice(&(x.len() as u32).to_le_bytes());
    }
    for x in [subj, reply, hdr, data] {
        out.extend_from_slice(x);
    }
}

/// Splits a packed buffer (trusted: written by the library) into owned entries.
fn unpack(b: &[u8]) -> Vec<[Vec<u8>; 4]> {
    let mut v = Vec::new();
    let mut off = 0;
    while off < b.len() {
        let l: Vec<usize> = (0..4).map(|i| u32::from_le_bytes(b[off + 4 * i..off + 4 * i + 4].try_into().unwrap()) as usize).collect();
        let mut at = off + 16;
        let mut part = |n: usize| {
            let p = b[at..at + n].to_vec();
            at += n;
            p
        };
        v.push([part(l[0]), part(l[1]), part(l[2]), part(l[3])]);
        off = at;
    }
    v
}

fn last_error() -> String {
    // SAFETY: the library's per-thread text, copied at once.
    unsafe { CStr::from_ptr(natsrs_last_error_message()) }.to_string_lossy().into_owned()
}

#[test]
fn packed_round_trip_and_malformed_buffers() {
    const N: usize = 10_000;
    let srv = NatsServer::start();
    let url = CString::new(srv.url()).unwrap();
    let mut nc: *mut natsrs_connection = std::ptr::null_mut();
    let mut sub: *mut natsrs_subscription = std::ptr::null_mut();
    let subj = CString::new("bs.packed").unwrap();
    // SAFETY: C API calls with valid pointers, in the documented order; handles freed at the end.
    unsafe {
        assert_eq!(natsrs_connection_connect_to(url.as_ptr(), &mut nc), natsrs_status::Ok);
        assert_eq!(natsrs::ffi::connection::natsrs_connection_subscribe_sync(nc, subj.as_ptr(), &mut sub), natsrs_status::Ok);
        let mut buf = Vec::new();
        for i in 0..N {
            let data = format!("m{i}");
            if i % 100 == 0 {
                entry(&mut buf, b"bs.packed", b"bs.reply", b"NATS/1.0\r\nIdx: x\r\n\r\n", data.as_bytes());
            } else {
                entry(&mut buf, b"bs.packed", b"", b"", data.as_bytes());
            }
        }
        let mut count = 0usize;
        assert_eq!(natsrs_connection_publish_packed(nc, buf.as_ptr(), buf.len(), &mut count), natsrs_status::Ok);
        assert_eq!(count, N);
        assert_eq!(natsrs_connection_flush(nc, 10_000), natsrs_status::Ok);
        let pending = || {
            let mut m = 0i64;
            natsrs_subscription_pending(sub, &mut m, std::ptr::null_mut());
            m
        };
        assert!(wait_until(|| pending() == N as i64, WAIT));

        // A buffer too small for the first message: its size, nothing taken.
        let mut small = [0u8; 8];
        let (mut used, mut n) = (0usize, 0usize);
        let st = natsrs_subscription_try_next_packed(sub, small.as_mut_ptr(), small.len(), &mut used, &mut n);
        assert_eq!(st, natsrs_status::BufferTooSmall, "{}", last_error());
        assert_eq!((used, n), (16 + 9 + 8 + 20 + 2, 0));
        assert_eq!(pending(), N as i64);

        let mut got = Vec::new();
        let mut out = vec![0u8; 4096];
        while got.len() < N {
            let st = natsrs_subscription_try_next_packed(sub, out.as_mut_ptr(), out.len(), &mut used, &mut n);
            assert_eq!(st, natsrs_status::Ok, "{}", last_error());
            assert!(n > 1 && used <= out.len(), "a batch per call");
            let v = unpack(&out[..used]);
            assert_eq!(v.len(), n);
            got.extend(v);
        }
        for (i, [s, r, h, d]) in got.iter().enumerate() {
            assert_eq!(s, b"bs.packed");
            assert_eq!(d, format!("m{i}").as_bytes(), "order kept");
            if i % 100 == 0 {
                assert_eq!((r.as_slice(), h.as_slice()), (&b"bs.reply"[..], &b"NATS/1.0\r\nIdx: x\r\n\r\n"[..]));
            } else {
                assert!(r.is_empty() && h.is_empty());
            }
        }
        let st = natsrs_subscription_try_next_packed(sub, out.as_mut_ptr(), out.len(), &mut used, &mut n);
        assert_eq!((st, used, n), (natsrs_status::Ok, 0, 0), "nothing waiting");

        // Malformed: a length past the end publishes nothing, even the good entries before it.
        let mut bad = Vec::new();
        entry(&mut bad, b"bs.packed", b"", b"", b"ok");
        let mut tail = Vec::new();
        entry(&mut tail, b"bs.packed", b"", b"", b"cut");
        bad.extend_from_slice(&tail[..tail.len() - 1]);
        count = 99;
        let st = natsrs_connection_publish_packed(nc, bad.as_ptr(), bad.len(), &mut count);
        assert_eq!((st, count), (natsrs_status::InvalidArgument, 0));
        assert!(last_error().contains("packed entry 1"), "{}", last_error());
        // A refused entry (bad subject) stops there: the one before it went out.
        let mut bad = Vec::new();
        entry(&mut bad, b"bs.packed", b"", b"", b"first");
        entry(&mut bad, b"bad subject", b"", b"", b"x");
        entry(&mut bad, b"bs.packed", b"", b"", b"never");
        let st = natsrs_connection_publish_packed(nc, bad.as_ptr(), bad.len(), &mut count);
        assert_eq!((st, count), (natsrs_status::InvalidSubject, 1));
        // A malformed header block is an invalid argument.
        let mut bad = Vec::new();
        entry(&mut bad, b"bs.packed", b"", b"garbage", b"x");
        let st = natsrs_connection_publish_packed(nc, bad.as_ptr(), bad.len(), &mut count);
        assert_eq!((st, count), (natsrs_status::InvalidArgument, 0));
        assert_eq!(natsrs_connection_flush(nc, 10_000), natsrs_status::Ok);
        assert!(wait_until(|| pending() == 1, WAIT));
        let st = natsrs_subscription_try_next_packed(sub, out.as_mut_ptr(), out.len(), &mut used, &mut n);
        assert_eq!((st, n), (natsrs_status::Ok, 1));
        assert_eq!(unpack(&out[..used])[0][3], b"first");

        // The waiting form: a timeout on an empty queue (out-pointers untouched), then a batch
        // published by another thread while it waits.
        used = 77;
        let st = natsrs_subscription_next_packed(sub, out.as_mut_ptr(), out.len(), 20, &mut used, &mut n);
        assert_eq!((st, used), (natsrs_status::Timeout, 77));
        let nc_addr = nc as usize;
        let publisher = std::thread::spawn(move || {
            let mut b = Vec::new();
            for d in [&b"w1"[..], b"w2", b"w3"] {
                entry(&mut b, b"bs.packed", b"", b"", d);
            }
            std::thread::sleep(Duration::from_millis(20));
            let mut k = 0usize;
            // (Inside the test's unsafe block.) The connection outlives this thread: joined below.
            natsrs_connection_publish_packed(nc_addr as *mut natsrs_connection, b.as_ptr(), b.len(), &mut k)
        });
        let mut got = Vec::new();
        while got.len() < 3 {
            let st = natsrs_subscription_next_packed(sub, out.as_mut_ptr(), out.len(), 10_000, &mut used, &mut n);
            assert_eq!(st, natsrs_status::Ok, "{}", last_error());
            assert!(n >= 1);
            got.extend(unpack(&out[..used]).into_iter().map(|e| e[3].clone()));
        }
        assert_eq!(publisher.join().unwrap(), natsrs_status::Ok);
        assert_eq!(got, [b"w1".to_vec(), b"w2".to_vec(), b"w3".to_vec()]);
        assert_eq!(natsrs_subscription_next_packed(sub, out.as_mut_ptr(), out.len(), 0, &mut used, &mut n), natsrs_status::InvalidArgument);

        // NULL arguments.
        assert_eq!(
            natsrs_connection_publish_packed(std::ptr::null_mut(), bad.as_ptr(), bad.len(), &mut count),
            natsrs_status::NullParameter
        );
        assert_eq!(natsrs_connection_publish_packed(nc, std::ptr::null(), 5, &mut count), natsrs_status::NullParameter);
        assert_eq!(natsrs_subscription_try_next_packed(sub, std::ptr::null_mut(), 5, &mut used, &mut n), natsrs_status::NullParameter);
        natsrs_subscription_free(sub);
        natsrs_connection_free(nc);
    }
}

#[test]
fn reconnect_to_server_callback_picks_the_server() {
    let mut a = NatsServer::start();
    let (b, c_srv) = (NatsServer::start(), NatsServer::start());
    // Without the callback, B (next in the pool) would be tried first: the callback picks C.
    let want = format!(":{}", c_srv.port());
    let offered: Arc<Mutex<Vec<Vec<natsrs::options::ServerChoice>>>> = Arc::default();
    let mut o = opts(&format!("{},{},{}", a.url(), b.url(), c_srv.url()));
    o.no_randomize = true;
    o.ignore_discovered_servers = true;
    let (off2, want2) = (offered.clone(), want.clone());
    o.reconnect_to_server_cb = Some(Arc::new(move |_c: &Connection, servers: &[natsrs::options::ServerChoice]| {
        off2.lock().unwrap().push(servers.to_vec());
        (servers.iter().position(|s| s.url.ends_with(&want2)), Duration::from_millis(5))
    }));
    let c = Connection::connect(o).unwrap();
    assert!(c.connected_url().unwrap().ends_with(&format!(":{}", a.port())));
    a.stop();
    assert!(wait_until(|| c.reconnects() == 1, WAIT));
    assert!(c.connected_url().unwrap().ends_with(&want), "{:?}", c.connected_url());
    let v = offered.lock().unwrap();
    assert_eq!(v.len(), 1, "one choice, one successful attempt");
    assert_eq!(v[0].len(), 3, "every server offered: {:?}", v[0]);
    assert!(v[0][0].url.ends_with(&format!(":{}", b.port())), "pool order: {:?}", v[0]);
    assert!(v[0].iter().all(|s| s.reconnects == 0), "{:?}", v[0]);
}

#[test]
fn reconnect_to_server_callback_out_of_range_takes_the_first() {
    let mut a = NatsServer::start();
    let calls = Arc::new(AtomicUsize::new(0));
    let mut o = opts(&a.url());
    let c2 = calls.clone();
    o.reconnect_to_server_cb = Some(Arc::new(move |_c: &Connection, servers: &[natsrs::options::ServerChoice]| {
        c2.fetch_add(1, Ordering::SeqCst);
        assert_eq!(servers.len(), 1);
        (Some(7), Duration::from_millis(20))
    }));
    let c = Connection::connect(o).unwrap();
    a.stop();
    assert!(wait_until(|| calls.load(Ordering::SeqCst) >= 2, WAIT), "asked again after each failed attempt");
    a.restart();
    assert!(wait_until(|| c.reconnects() == 1, WAIT));
    c.flush(WAIT).unwrap();
}
