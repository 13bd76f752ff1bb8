//! The socket side: handshake, reader, writer, keep-alive and the reconnect loop.
//! Everything here runs on the internal runtime; no user callback is ever called from here.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

use super::waiter::Waiter;
use super::{fail_pongs, ConnectionStatus, Event, Inner, PongWaiter, SubInner, SubKind};
use crate::error::{err, Error, Result, Status};
use crate::msg::Msg;
use crate::options::ServerUrl;
use crate::proto::{encode, ConnectInfo, Op, Parser, ServerInfo};

const READ_CHUNK: usize = 64 * 1024;
/// Incoming frames may be larger than max_payload by the header block; allow generous room.
const MAX_INCOMING_PAYLOAD: usize = 64 * 1024 * 1024;

/// A plain or TLS socket.
pub(crate) enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

type ReadHalf = Box<dyn AsyncRead + Send + Unpin>;

/// The write side. A plain TCP socket is shared so that a publishing thread can write a large
/// buffer itself when the writer task is idle (no thread hand-off on the hot path).
pub(crate) enum WriteHalf {
    Plain(Arc<tokio::net::tcp::OwnedWriteHalf>),
    Boxed(Box<dyn AsyncWrite + Send + Unpin>),
}

impl WriteHalf {
    async fn write_all(&mut self, mut buf: &[u8]) -> std::io::Result<()> {
        match self {
            WriteHalf::Boxed(w) => w.write_all(buf).await,
            WriteHalf::Plain(w) => {
                while !buf.is_empty() {
                    match w.try_write(buf) {
                        Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
                        Ok(n) => buf = &buf[n..],
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => w.writable().await?,
                        Err(e) => return Err(e),
                    }
                }
                Ok(())
            }
        }
    }
}

impl Stream {
    fn split(self) -> (ReadHalf, WriteHalf) {
        match self {
            Stream::Plain(s) => {
                let (r, w) = s.into_split();
                (Box::new(r), WriteHalf::Plain(Arc::new(w)))
            }
            Stream::Tls(s) => {
                let (r, w) = tokio::io::split(*s);
                (Box::new(r), WriteHalf::Boxed(Box::new(w)))
            }
        }
    }
}

/// An established, handshaken connection.
pub(crate) struct Established {
    stream: Stream,
    rbuf: BytesMut,
    info: ServerInfo,
    url: ServerUrl,
}

/// Why `serve` returned.
enum Ended {
    Closed,
    Disconnected(Error),
    /// A server error after which the connection must not reconnect.
    Fatal(Error),
}

pub(crate) async fn main_task(inner: Arc<Inner>, ready: Arc<Waiter<Result<()>>>) {
    let first = try_pool_once(&inner, true).await;
    let mut next: Option<Established> = match first {
        Ok(est) => {
            if !activate(&inner, &est, false) {
                ready.complete(Err(err!(ConnectionClosed, "connection closed")));
                inner.io_finished();
                return;
            }
            ready.complete(Ok(()));
            Some(est)
        }
        Err(e) => {
            if inner.opts.retry_on_failed_connect && !inner.is_closed() {
                inner.set_status(ConnectionStatus::Reconnecting);
                ready.complete(Ok(()));
                None
            } else {
                inner.status_transition(&[ConnectionStatus::Connecting], ConnectionStatus::Closed);
                inner.w.lock().closed = true;
                ready.complete(Err(e));
                inner.io_finished();
                return;
            }
        }
    };
    loop {
        let est = match next.take() {
            Some(e) => e,
            None => match reconnect_loop(&inner).await {
                Some(e) => {
                    if !activate(&inner, &e, true) {
                        break;
                    }
                    e
                }
                None => break,
            },
        };
        let ended = serve(&inner, est).await;
        // Drop the shared socket handle so the socket really closes.
        inner.w.lock().direct = None;
        if inner.is_closed() {
            break;
        }
        match ended {
            Ended::Closed => break,
            Ended::Fatal(e) => {
                on_disconnect(&inner);
                inner.close(Some(e));
                break;
            }
            Ended::Disconnected(e) => {
                on_disconnect(&inner);
                if inner.is_closed() {
                    break;
                }
                *inner.last_error.lock() = Some(e.clone());
                inner.emit(Event::Disconnected(e.clone()));
                if !inner.opts.allow_reconnect {
                    close_from_task(&inner, e);
                    break;
                }
                inner.set_status(ConnectionStatus::Reconnecting);
            }
        }
    }
    inner.io_finished();
}

/// Closes from inside the runtime (close() must not block a worker on the I/O task itself).
fn close_from_task(inner: &Arc<Inner>, e: Error) {
    let inner = inner.clone();
    std::thread::spawn(move || inner.close(Some(e)));
}

/// Marks the connection as down: the writer stops, flush waiters fail.
fn on_disconnect(inner: &Inner) {
    let pongs = {
        let mut w = inner.w.lock();
        w.connected = false;
        w.direct = None;
        w.writer_busy = false;
        w.writer_polling = false;
        // The rest of a frame partly written to the dead socket must not be replayed.
        let taken = std::mem::take(&mut w.taken);
        let n = taken.min(w.buf.len());
        w.buf.drain(..n);
        inner.w_space.notify_all();
        std::mem::take(&mut w.pongs)
    };
    fail_pongs(pongs, || err!(NotConnected, "connection lost before the PONG arrived"));
    if inner.opts.fail_requests_on_disconnect {
        let waiters: Vec<_> = inner.resp.lock().waiters.drain().map(|(_, w)| w).collect();
        for w in waiters {
            w.complete(Err(err!(NotConnected, "connection lost while waiting for the reply")));
        }
    }
}

/// Tries every server in the pool once, in order. Used for the initial connect.
async fn try_pool_once(inner: &Arc<Inner>, initial: bool) -> Result<Established> {
    let urls: Vec<ServerUrl> = inner.pool.lock().servers.iter().map(|s| s.url.clone()).collect();
    let mut last = err!(NoServers, "no servers available for connection");
    for url in urls {
        if inner.is_closed() {
            return Err(err!(ConnectionClosed, "connection closed"));
        }
        match connect_one(inner, &url).await {
            Ok(est) => return Ok(est),
            Err(e) => {
                let _ = initial;
                last = e;
            }
        }
    }
    Err(last)
}

/// Dials one server and runs the handshake under the connect timeout.
async fn connect_one(inner: &Arc<Inner>, url: &ServerUrl) -> Result<Established> {
    let t = inner.opts.connect_timeout;
    match tokio::time::timeout(t, handshake(inner, url)).await {
        Ok(r) => r,
        Err(_) => Err(err!(Timeout, "connect to {} timed out after {:?}", url.display(), t)),
    }
}

async fn read_frame(stream: &mut Stream, buf: &mut BytesMut, parser: &mut Parser, host: &str) -> Result<(Op, BytesMut)> {
    loop {
        match parser.parse(buf) {
            Ok(Some(f)) => {
                let frame = buf.split_to(f.len);
                return Ok((f.op, frame));
            }
            Ok(None) => {}
            Err(e) => return Err(err!(Protocol, "{}", e)),
        }
        buf.reserve(READ_CHUNK);
        let n = match stream.read_buf(buf).await {
            Ok(n) => n,
            Err(e) => return Err(io_error(&e, host)),
        };
        if n == 0 {
            return Err(err!(Io, "connection closed by server during handshake"));
        }
    }
}

async fn handshake(inner: &Arc<Inner>, url: &ServerUrl) -> Result<Established> {
    let tcp = TcpStream::connect(url.addr())
        .await
        .map_err(|e| err!(Io, "cannot connect to {}: {}", url.display(), e))?;
    let _ = tcp.set_nodelay(true);
    let host = url.display();
    let want_tls = tls_wanted(inner, url);
    let mut stream = if want_tls && tls_first(inner) { tls_upgrade(inner, tcp, url).await? } else { Stream::Plain(tcp) };
    let mut parser = Parser::new();
    let mut buf = BytesMut::with_capacity(READ_CHUNK);
    let (op, frame) = read_frame(&mut stream, &mut buf, &mut parser, &host).await?;
    let info = match op {
        Op::Info { json } => ServerInfo::parse(&frame[json]).map_err(|e| err!(Protocol, "bad INFO: {}", e))?,
        _ => return Err(err!(Protocol, "expected INFO from {}", url.display())),
    };
    if let Stream::Plain(tcp) = stream {
        if info.tls_required || want_tls {
            if want_tls && !info.tls_required && !info.tls_available {
                return Err(err!(Tls, "TLS requested but server {} does not offer TLS", url.display()));
            }
            if !buf.is_empty() {
                return Err(err!(Protocol, "unexpected data after INFO before the TLS upgrade"));
            }
            stream = tls_upgrade(inner, tcp, url).await?;
        } else {
            stream = Stream::Plain(tcp);
        }
    }
    let is_tls = matches!(stream, Stream::Tls(_));
    inner.was_tls.store(is_tls, Ordering::Relaxed);
    let o = &inner.opts;
    let mut ci = ConnectInfo {
        verbose: o.verbose,
        pedantic: o.pedantic,
        tls_required: is_tls,
        name: o.name.clone(),
        lang: "rust-c".to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        protocol: 1,
        echo: !o.no_echo,
        headers: info.headers,
        no_responders: info.headers,
        ..Default::default()
    };
    // Credentials may come from files or user callbacks: compute them off the runtime workers.
    let (auth, u) = (o.auth.clone(), url.clone());
    let nonce = info.nonce.clone();
    let f = tokio::task::spawn_blocking(move || {
        auth.fields(u.user.as_deref(), u.password.as_deref(), u.token.as_deref(), nonce.as_deref())
    })
    .await
    .map_err(|_| err!(Panic, "authentication callback panicked"))??;
    ci.user = f.user;
    ci.pass = f.pass;
    ci.auth_token = f.auth_token;
    ci.nkey = f.nkey;
    ci.sig = f.sig;
    ci.jwt = f.jwt;
    let mut out = Vec::with_capacity(256);
    encode::write_connect(&mut out, &ci.to_json());
    out.extend_from_slice(encode::PING);
    stream.write_all(&out).await.map_err(|e| io_error(&e, &host))?;
    loop {
        let (op, _frame) = read_frame(&mut stream, &mut buf, &mut parser, &host).await?;
        match op {
            Op::Pong => break,
            Op::Ok => continue,
            Op::Ping => {
                stream.write_all(encode::PONG).await.map_err(|e| io_error(&e, &host))?;
            }
            Op::Info { .. } => continue,
            Op::Err(text) => return Err(server_error(&text)),
            Op::Msg { .. } => return Err(err!(Protocol, "unexpected MSG during handshake")),
        }
    }
    Ok(Established { stream, rbuf: buf, info, url: url.clone() })
}

/// An I/O error on the handshake path; TLS alerts keep their TLS status.
fn io_error(e: &std::io::Error, host: &str) -> Error {
    crate::tls::map_io_error(e, host).unwrap_or_else(|| err!(Io, "{}: {}", host, e))
}

/// Whether this server must be reached over TLS (tls:// URL or TLS required by the options).
fn tls_wanted(inner: &Inner, url: &ServerUrl) -> bool {
    url.is_tls() || inner.opts.tls.required || inner.opts.tls.handshake_first
}

/// TLS handshake before the INFO (server `handshake_first`).
fn tls_first(inner: &Inner) -> bool {
    inner.opts.tls.handshake_first
}

async fn tls_upgrade(inner: &Inner, tcp: TcpStream, url: &ServerUrl) -> Result<Stream> {
    let t = &inner.opts.tls;
    let cfg = crate::tls::load_client_config(t).await?;
    let host = t.server_name_for(url.tls_host.as_deref().unwrap_or(&url.host));
    let s = crate::tls::connect(tcp, cfg, host, t.handshake_timeout()).await?;
    Ok(Stream::Tls(Box::new(s)))
}

/// Maps a server -ERR text to an error.
pub(crate) fn server_error(text: &str) -> Error {
    let l = text.to_ascii_lowercase();
    if l.contains("authorization violation") || l.contains("authentication timeout") || l.contains("user authentication revoked") {
        err!(Authorization, "{}", text)
    } else if l.contains("authentication expired") {
        err!(AuthExpired, "{}", text)
    } else if l.contains("permissions violation") {
        err!(Permission, "{}", text)
    } else if l.contains("stale connection") {
        err!(StaleConnection, "{}", text)
    } else if l.contains("maximum payload") {
        err!(MaxPayload, "{}", text)
    } else if l.contains("secure connection") || l.contains("tls required") {
        err!(Tls, "{}", text)
    } else {
        err!(Protocol, "server error: {}", text)
    }
}

/// Switches the connection to CONNECTED: resubscribe, then replay buffered publishes.
/// Returns false (and changes nothing) if the connection was closed meanwhile.
fn activate(inner: &Arc<Inner>, est: &Established, background: bool) -> bool {
    let info = est.info.clone();
    inner.max_payload.store(if info.max_payload > 0 { info.max_payload } else { 1024 * 1024 }, Ordering::Relaxed);
    inner.headers_ok.store(info.headers, Ordering::Relaxed);
    let new_urls = {
        let mut pool = inner.pool.lock();
        pool.current = Some(est.url.clone());
        for s in pool.servers.iter_mut() {
            if s.url.host == est.url.host && s.url.port == est.url.port {
                s.reconnects = 0;
                s.did_connect = true;
                s.last_auth_error = None;
            }
        }
        add_discovered(inner, &mut pool, &info)
    };
    *inner.info.write() = Arc::new(info);
    {
        let mut w = inner.w.lock();
        // Only CONNECTING/RECONNECTING become CONNECTED; a close() that won the race stays closed.
        if w.closed || !inner.status_transition(&[ConnectionStatus::Connecting, ConnectionStatus::Reconnecting], ConnectionStatus::Connected) {
            return false;
        }
        let pending = std::mem::take(&mut w.buf);
        let stale_pings = w.pings_in_buf;
        let mut nb = Vec::with_capacity(pending.len() + 4096);
        for s in inner.subs.read().values() {
            let (live, remaining) = {
                let q = s.q.lock();
                (!q.input_closed && !q.draining, if q.max > 0 { Some(q.max.saturating_sub(q.received)) } else { None })
            };
            if !live {
                continue;
            }
            encode::write_sub(&mut nb, s.subject.as_bytes(), s.queue.as_ref().map(|q| q.as_bytes()), s.sid);
            if let Some(r) = remaining {
                encode::write_unsub(&mut nb, s.sid, Some(r));
            }
        }
        nb.extend_from_slice(&pending);
        w.buf = nb;
        w.pongs.clear();
        for _ in 0..stale_pings {
            w.pongs.push_back(PongWaiter::Ignore);
        }
        w.pings_out = 0;
        w.connected = true;
    }
    let first = !inner.ever_connected.swap(true, Ordering::AcqRel);
    if !first {
        inner.reconnects.fetch_add(1, Ordering::Relaxed);
        inner.emit(Event::Reconnected);
    } else if background {
        // retry_on_failed_connect: the first success happens after connect() returned.
        inner.emit(Event::Connected);
    }
    if new_urls && !first {
        inner.emit(Event::DiscoveredServers);
    }
    true
}

/// Adds servers from INFO connect_urls to the pool. Returns true if any was new.
/// Applies INFO connect_urls to the pool: unseen URLs join as implicit servers, implicit ones no
/// longer announced leave (never explicit ones or the current one). Returns true when a URL
/// never seen before was added (the discovered-servers event).
fn add_discovered(inner: &Inner, pool: &mut super::Pool, info: &ServerInfo) -> bool {
    if inner.opts.ignore_discovered_servers || info.connect_urls.is_empty() {
        return false;
    }
    let scheme = pool.current.as_ref().map(|u| u.scheme.clone()).unwrap_or_else(|| "nats".into());
    let (parsed, bad) = crate::options::parse_announced(&scheme, &info.connect_urls);
    bad.into_iter().for_each(|e| inner.async_error(None, e));
    let mut announced: Vec<ServerUrl> = Vec::with_capacity(parsed.len());
    for mut u in parsed {
        if let Some(cur) = pool.current.as_ref() {
            // Verify TLS against the name the user gave when the cluster announces bare IPs.
            if u.host.parse::<std::net::IpAddr>().is_ok() && cur.host.parse::<std::net::IpAddr>().is_err() {
                u.tls_host = Some(cur.tls_host.clone().unwrap_or_else(|| cur.host.clone()));
            }
        }
        announced.push(u);
    }
    let same = |a: &ServerUrl, b: &ServerUrl| a.host == b.host && a.port == b.port;
    let current = pool.current.clone();
    pool.servers.retain(|s| {
        !s.implicit || current.as_ref().is_some_and(|c| same(c, &s.url)) || announced.iter().any(|a| same(a, &s.url))
    });
    let before = pool.servers.len();
    let mut new_seen = false;
    for u in announced {
        if pool.servers.iter().any(|s| same(&s.url, &u)) {
            continue;
        }
        let key = (u.host.clone(), u.port);
        if !pool.ever_seen.contains(&key) {
            pool.ever_seen.push(key);
            new_seen = true;
        }
        pool.servers.push(super::PoolEntry { url: u, reconnects: 0, implicit: true, did_connect: false, last_auth_error: None, auth_abort: false });
    }
    if pool.servers.len() > before + 1 && !inner.opts.no_randomize {
        use rand::seq::SliceRandom;
        pool.servers[before..].shuffle(&mut rand::thread_rng());
    }
    new_seen
}

async fn serve(inner: &Arc<Inner>, est: Established) -> Ended {
    let Established { stream, rbuf, .. } = est;
    let (rd, wr) = stream.split();
    if let WriteHalf::Plain(p) = &wr {
        let mut w = inner.w.lock();
        w.direct = Some(p.clone());
        w.writer_busy = false;
        w.writer_polling = false;
    }
    let mut writer = tokio::spawn(writer_loop(inner.clone(), wr));
    let reader = reader_loop(inner.clone(), rd, rbuf);
    tokio::pin!(reader);
    let period = inner.opts.ping_interval.max(Duration::from_millis(10));
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            r = &mut reader => {
                writer.abort();
                return r;
            }
            w = &mut writer => {
                return match w {
                    Ok(Ok(())) => Ended::Closed,
                    Ok(Err(e)) => Ended::Disconnected(e),
                    Err(_) => Ended::Disconnected(err!(Io, "writer task failed")),
                };
            }
            _ = ticker.tick() => {
                let stale = {
                    let mut w = inner.w.lock();
                    w.pings_out += 1;
                    if w.pings_out > inner.opts.max_pings_out {
                        true
                    } else {
                        let was_empty = w.buf.is_empty();
                        w.buf.extend_from_slice(encode::PING);
                        w.pings_in_buf += 1;
                        w.pongs.push_back(PongWaiter::Timer);
                        drop(w);
                        if was_empty { inner.w_notify.notify_one(); }
                        false
                    }
                };
                if stale {
                    writer.abort();
                    return Ended::Disconnected(err!(StaleConnection, "no PONG from the server after {} PINGs", inner.opts.max_pings_out));
                }
            }
            _ = inner.force_reconnect.notified() => {
                writer.abort();
                return Ended::Disconnected(err!(Io, "reconnect forced by the application"));
            }
            _ = inner.shutdown.notified() => {
                // close(): let the writer push out what was published before close.
                let _ = tokio::time::timeout(Duration::from_secs(1), &mut writer).await;
                writer.abort();
                return Ended::Closed;
            }
        }
    }
}

async fn writer_loop(inner: Arc<Inner>, mut wr: WriteHalf) -> Result<()> {
    let mut spare: Vec<u8> = Vec::with_capacity(READ_CHUNK);
    loop {
        let idle = {
            let mut w = inner.w.lock();
            if w.buf.is_empty() {
                if w.closed {
                    return Ok(());
                }
                if !w.connected {
                    return Err(err!(Io, "disconnected"));
                }
                // While a publisher streams, refills may not wake us: poll every millisecond.
                let polling = w.last_inline.is_some_and(|t| t.elapsed() < Duration::from_millis(50));
                w.writer_polling = polling;
                Some(polling)
            } else {
                std::mem::swap(&mut w.buf, &mut spare);
                w.pings_in_buf = 0;
                w.taken = 0;
                w.writer_busy = true;
                if w.space_waiters > 0 {
                    inner.w_space.notify_all();
                }
                None
            }
        };
        match idle {
            Some(false) => {
                inner.w_notify.notified().await;
            }
            Some(true) => {
                let _ = tokio::time::timeout(Duration::from_millis(1), inner.w_notify.notified()).await;
            }
            None => {
                wr.write_all(&spare).await.map_err(|e| err!(Io, "write failed: {}", e))?;
                inner.w.lock().writer_busy = false;
                spare.clear();
                if spare.capacity() > 8 * WRITE_KEEP {
                    spare = Vec::with_capacity(READ_CHUNK);
                }
            }
        }
    }
}
const WRITE_KEEP: usize = 1024 * 1024;

/// Per-read cache of the last routed subscription (avoids the map lookup for runs of one sid).
struct RouteCache {
    gen: u64,
    sid: u64,
    sub: Option<Arc<SubInner>>,
}

async fn reader_loop(inner: Arc<Inner>, mut rd: ReadHalf, mut buf: BytesMut) -> Ended {
    let mut parser = Parser::with_limits(1024 * 1024, MAX_INCOMING_PAYLOAD);
    let mut cache = RouteCache { gen: u64::MAX, sid: 0, sub: None };
    loop {
        loop {
            let f = match parser.parse(&buf) {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => return Ended::Disconnected(err!(Protocol, "{}", e)),
            };
            match f.op {
                Op::Msg { subject, sid, reply, header_len, total_len, payload_start } => {
                    let mut frame = buf.split_to(f.len);
                    frame[subject.end] = 0;
                    if let Some(r) = &reply {
                        frame[r.end] = 0;
                    }
                    // Counted before routing, so stats already include a message a user sees.
                    inner.in_msgs.fetch_add(1, Ordering::Relaxed);
                    inner.in_bytes.fetch_add(total_len as u64, Ordering::Relaxed);
                    let hdr = payload_start..payload_start + header_len;
                    let data = payload_start + header_len..payload_start + total_len;
                    let msg = Msg::from_frame(frame.freeze(), subject, reply, hdr, data);
                    route(&inner, &mut cache, sid, msg);
                }
                Op::Ping => {
                    let _ = buf.split_to(f.len);
                    inner.write_control(|b| b.extend_from_slice(encode::PONG));
                }
                Op::Pong => {
                    let _ = buf.split_to(f.len);
                    on_pong(&inner);
                }
                Op::Ok => {
                    let _ = buf.split_to(f.len);
                }
                Op::Info { json } => {
                    let frame = buf.split_to(f.len);
                    if let Ok(info) = ServerInfo::parse(&frame[json]) {
                        on_async_info(&inner, info);
                    }
                }
                Op::Err(text) => {
                    let _ = buf.split_to(f.len);
                    if let Some(end) = on_server_error(&inner, &text) {
                        return end;
                    }
                }
            }
        }
        let want = READ_CHUNK.max(buf.len());
        if buf.capacity() - buf.len() < want / 4 {
            buf.reserve(want);
        }
        match rd.read_buf(&mut buf).await {
            Ok(0) => return Ended::Disconnected(err!(Io, "connection closed by the server")),
            Ok(_) => {}
            Err(e) => return Ended::Disconnected(err!(Io, "read failed: {}", e)),
        }
    }
}

#[inline]
fn route(inner: &Arc<Inner>, cache: &mut RouteCache, sid: u64, mut msg: Msg) {
    let gen = inner.subs_gen.load(Ordering::Acquire);
    if cache.gen != gen || cache.sid != sid {
        cache.sub = inner.subs.read().get(&sid).cloned();
        cache.gen = gen;
        cache.sid = sid;
    }
    let Some(sub) = cache.sub.as_ref() else { return };
    match sub.kind {
        SubKind::Resp => inner.deliver_response(msg),
        _ => {
            msg.attach(inner);
            let (reached, slow) = sub.push(msg);
            if reached {
                inner.remove_sub(sid);
            }
            if slow {
                let s = sub.clone();
                let e = err!(SlowConsumer, "slow consumer: messages dropped on subscription '{}'", s.subject_str());
                inner.async_error(Some(s), e);
            }
        }
    }
}

fn on_pong(inner: &Inner) {
    let p = {
        let mut w = inner.w.lock();
        w.pings_out = 0;
        w.pongs.pop_front()
    };
    match p {
        Some(PongWaiter::Flush(wt)) => {
            wt.complete(Ok(()));
        }
        Some(PongWaiter::DrainSub(s)) => {
            inner.remove_sub(s.sid);
            s.close_input(Status::InvalidSubscription);
        }
        _ => {}
    }
}

fn on_async_info(inner: &Arc<Inner>, info: ServerInfo) {
    let added = {
        let mut pool = inner.pool.lock();
        add_discovered(inner, &mut pool, &info)
    };
    if info.max_payload > 0 {
        inner.max_payload.store(info.max_payload, Ordering::Relaxed);
    }
    let ldm = info.ldm;
    *inner.info.write() = Arc::new(info);
    if added {
        inner.emit(Event::DiscoveredServers);
    }
    if ldm {
        inner.emit(Event::LameDuck);
    }
}

/// Handles -ERR. Returns Some when the connection must end.
fn on_server_error(inner: &Arc<Inner>, text: &str) -> Option<Ended> {
    let e = server_error(text);
    match e.status {
        Status::Permission => {
            // Route to the subscription when the text names one of our subjects.
            let sub = if text.to_ascii_lowercase().contains("subscription") {
                inner
                    .subs
                    .read()
                    .values()
                    .find(|s| text.contains(&format!("\"{}\"", s.subject_str())))
                    .cloned()
            } else {
                None
            };
            if let Some(s) = &sub {
                if s.kind == SubKind::Sync {
                    s.q.lock().pending_err = Some(e.clone());
                    s.cv.notify_all();
                }
            }
            inner.async_error(sub, e);
            None
        }
        Status::StaleConnection | Status::Authorization | Status::AuthExpired => Some(Ended::Disconnected(e)),
        _ => {
            let l = text.to_ascii_lowercase();
            if l.contains("maximum subscriptions exceeded") || l.contains("invalid subject") || l.contains("invalid publish subject") {
                inner.async_error(None, e);
                None
            } else if l.contains("maximum connections exceeded") || l.contains("maximum account active connections") {
                Some(Ended::Disconnected(e))
            } else {
                Some(Ended::Fatal(e))
            }
        }
    }
}

/// Runs until a server accepted the connection (Some) or the connection is closed (None).
async fn reconnect_loop(inner: &Arc<Inner>) -> Option<Established> {
    // Move the server we just lost to the back of the pool.
    {
        let mut pool = inner.pool.lock();
        if let Some(cur) = pool.current.take() {
            if let Some(i) = pool.servers.iter().position(|s| s.url.host == cur.host && s.url.port == cur.port) {
                let e = pool.servers.remove(i);
                pool.servers.push(e);
            }
        }
    }
    let mut passes: u64 = 0;
    let mut last_err = err!(NoServers, "no servers available for connection");
    loop {
        if inner.is_closed() {
            return None;
        }
        let candidates: Vec<ServerUrl> = {
            let mut pool = inner.pool.lock();
            let max = inner.opts.max_reconnect;
            // A server that refused the same credentials twice in a row is dropped, whatever the max.
            pool.servers.retain(|s| !s.auth_abort && (max < 0 || s.reconnects < max));
            pool.servers.iter().map(|s| s.url.clone()).collect()
        };
        if candidates.is_empty() {
            let e = if matches!(last_err.status, Status::Authorization | Status::AuthExpired | Status::BadCredentials) {
                last_err.clone()
            } else {
                err!(NoServers, "no servers available for connection (last error: {})", last_err)
            };
            let inner2 = inner.clone();
            std::thread::spawn(move || inner2.close(Some(e)));
            return None;
        }
        for url in candidates {
            if inner.is_closed() {
                return None;
            }
            {
                let mut pool = inner.pool.lock();
                if let Some(s) = pool.servers.iter_mut().find(|s| s.url == url) {
                    s.reconnects += 1;
                }
            }
            match connect_one(inner, &url).await {
                Ok(est) => return if inner.is_closed() { None } else { Some(est) },
                Err(e) => {
                    if matches!(e.status, Status::Authorization | Status::AuthExpired) {
                        let mut pool = inner.pool.lock();
                        if let Some(s) = pool.servers.iter_mut().find(|s| s.url == url) {
                            if s.last_auth_error.as_deref() == Some(e.message.as_str()) {
                                s.auth_abort = true;
                            }
                            s.last_auth_error = Some(e.message.clone());
                        }
                    }
                    // Credential problems are worth an async error; plain dial failures are not.
                    if matches!(e.status, Status::Authorization | Status::AuthExpired | Status::BadCredentials | Status::Tls) {
                        inner.async_error(None, e.clone());
                    }
                    last_err = e;
                }
            }
        }
        passes += 1;
        let c = super::Connection(inner.clone());
        let delay = match &inner.opts.reconnect_delay_cb {
            Some(cb) => {
                // A foreign callback: run it on a blocking-pool thread, never on a runtime worker.
                let (cb, c2) = (cb.clone(), c.clone());
                tokio::task::spawn_blocking(move || cb(&c2, passes)).await.unwrap_or(inner.opts.reconnect_wait)
            }
            None => {
                let jitter = if inner.opts.tls.required || inner.was_tls.load(Ordering::Relaxed) || inner.pool.lock().servers.iter().any(|s| s.url.is_tls()) {
                    inner.opts.reconnect_jitter_tls
                } else {
                    inner.opts.reconnect_jitter
                };
                let j = if jitter.is_zero() {
                    Duration::ZERO
                } else {
                    use rand::Rng;
                    Duration::from_nanos(rand::thread_rng().gen_range(0..=jitter.as_nanos() as u64))
                };
                inner.opts.reconnect_wait + j
            }
        };
        drop(c);
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = inner.shutdown.notified() => { return None; }
            _ = inner.force_reconnect.notified() => {}
        }
    }
}
