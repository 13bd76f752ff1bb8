//! The life of a connection on the runtime: first connect, serving one socket (reader, writer,
//! keep-alive), losing it, and the reconnect loop over the server pool.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;

use super::events::Event;
use super::handshake::{connect_one, Established};
use super::inline_read::{plain_reader_loop, ServedGuard, SharedReader};
use super::reader::{reader_loop, Ended};
use super::request;
use super::server_error;
use super::state::Inner;
use super::stream::{ReadHalf, WriteHalf};
use super::waiter::Waiter;
use super::writer::{PongWaiter, DEFAULT_WRITE_STALL_TIMEOUT};
use super::ConnectionStatus;
use crate::error::{err, Error, Result, Status};
use crate::options::{ServerChoice, ServerUrl};
use crate::proto::encode;

/// Shortest keep-alive period the timer accepts.
const MIN_PING_INTERVAL: Duration = Duration::from_millis(10);
/// After close(), how long the writer may take to push out what was published before.
const CLOSE_FLUSH_WAIT: Duration = Duration::from_secs(1);

/// Completes the connect call's waiter with an error if the task ends, or is dropped (even
/// before its first poll, by a runtime shutdown), before it said anything.
pub(super) struct ReadyGuard(pub(super) Arc<Waiter<Result<()>>>);

impl Drop for ReadyGuard {
    fn drop(&mut self) {
        self.0.complete(Err(err!(ConnectionClosed, "the connection was closed while connecting")));
    }
}

/// Marks the I/O as finished however the task ends (also when a runtime shutdown drops it).
pub(super) struct IoDoneGuard(pub(super) Arc<Inner>);

impl Drop for IoDoneGuard {
    fn drop(&mut self) {
        self.0.io_finished();
    }
}

/// The connection's I/O task. The guards are made by the caller, so that they also act when a
/// runtime shutdown drops the task before its first poll.
pub(super) async fn main_task(inner: Arc<Inner>, ready: ReadyGuard, _io: IoDoneGuard) {
    let mut next: Option<Established> = match try_pool_once(&inner).await {
        Ok(est) => {
            if !activate(&inner, &est, false) {
                ready.0.complete(Err(err!(ConnectionClosed, "connection closed")));
                return;
            }
            ready.0.complete(Ok(()));
            Some(est)
        }
        Err(e) => {
            if inner.opts.retry_on_failed_connect && !inner.is_closed() {
                inner.set_status(ConnectionStatus::Reconnecting);
                ready.0.complete(Ok(()));
                None
            } else {
                inner.first_connect_failed();
                ready.0.complete(Err(e));
                return;
            }
        }
    };
    drop(ready);
    loop {
        let est = match next.take() {
            Some(e) => e,
            None => match reconnect_loop(&inner).await {
                Some(e) if activate(&inner, &e, true) => e,
                _ => break,
            },
        };
        let url = est.url.clone();
        let ended = serve(&inner, est).await;
        // Drop the shared socket handle so the socket really closes.
        inner.writer.drop_direct();
        if inner.is_closed() {
            break;
        }
        match ended {
            Ended::Closed => break,
            Ended::Fatal(e) => {
                on_disconnect(&inner);
                close_off_runtime(&inner, e);
                break;
            }
            Ended::Disconnected(e) => {
                on_disconnect(&inner);
                if inner.is_closed() {
                    break;
                }
                {
                    let mut pool = inner.pool.lock();
                    if server_error::is_auth(e.status) {
                        // Refused while connected (e.g. the JWT expired): the same refusal
                        // twice in a row drops the server, as for a refused handshake.
                        pool.auth_failed(&url, &e.message);
                    } else {
                        pool.healthy();
                    }
                }
                *inner.last_error.lock() = Some(e.clone());
                if server_error::is_auth(e.status) {
                    inner.async_error(None, e.clone());
                }
                inner.events.emit(Event::Disconnected(e.clone()));
                if !inner.opts.allow_reconnect {
                    close_off_runtime(&inner, e);
                    break;
                }
                inner.set_status(ConnectionStatus::Reconnecting);
            }
        }
    }
}

/// Closes from inside the runtime (close() must not block a worker on the I/O task itself).
fn close_off_runtime(inner: &Arc<Inner>, e: Error) {
    let inner = inner.clone();
    std::thread::spawn(move || inner.close(Some(e)));
}

/// Marks the connection as down: the writer stops, flush waiters fail.
fn on_disconnect(inner: &Inner) {
    let pongs = inner.writer.go_down();
    fail_pongs(inner, pongs, || err!(NotConnected, "connection lost before the PONG arrived"));
    if inner.opts.fail_requests_on_disconnect {
        request::fail_all(inner, || err!(NotConnected, "connection lost while waiting for the reply"));
    }
}

/// Fails flushes waiting for a PONG; drains waiting for one end.
pub(super) fn fail_pongs(inner: &Inner, pongs: impl IntoIterator<Item = PongWaiter>, mk: impl Fn() -> Error) {
    for p in pongs {
        match p {
            PongWaiter::Flush(w) => {
                w.complete(Err(mk()));
            }
            PongWaiter::FlushAsync(slot) => {
                if let Some(f) = slot.take() {
                    inner.completions.run(f, Err(mk()));
                }
            }
            PongWaiter::DrainSub(s) => {
                inner.remove_sub(s.sid);
                s.close_input(Status::InvalidSubscription);
            }
            PongWaiter::Timer | PongWaiter::Ignore => {}
        }
    }
}

/// Tries every server in the pool once, in order. Used for the initial connect.
async fn try_pool_once(inner: &Arc<Inner>) -> Result<Established> {
    let urls: Vec<ServerUrl> = inner.pool.lock().urls();
    let mut last = err!(NoServers, "no servers available for connection");
    for url in urls {
        if inner.is_closed() {
            return Err(err!(ConnectionClosed, "connection closed"));
        }
        match connect_one(inner, &url).await {
            Ok(est) => return Ok(est),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// Switches the connection to CONNECTED: resubscribe, then replay buffered publishes.
/// Returns false (and changes nothing) if the connection was closed meanwhile.
fn activate(inner: &Arc<Inner>, est: &Established, background: bool) -> bool {
    let info = est.info.clone();
    inner.apply_info_limits(&info, true);
    let (new_urls, bad) = {
        let mut pool = inner.pool.lock();
        pool.connected(&est.url);
        if inner.opts.ignore_discovered_servers {
            (false, Vec::new())
        } else {
            pool.apply_discovered(&info, inner.opts.no_randomize)
        }
    };
    inner.report_bad_urls(bad);
    *inner.info.write() = Arc::new(info);
    *inner.session.lock() = Arc::new(est.session.clone());
    let subs = inner.subs.read().values().cloned().collect::<Vec<_>>();
    let mut resubscribe = |nb: &mut Vec<u8>| {
        for s in &subs {
            let (live, remaining) = {
                let q = s.q.lock();
                (!q.input_closed && !q.draining, if q.max > 0 { Some(q.max.saturating_sub(q.received)) } else { None })
            };
            if !live {
                continue;
            }
            encode::write_sub(nb, s.subject.as_bytes(), s.queue.as_ref().map(|q| q.as_bytes()), s.sid);
            if let Some(r) = remaining {
                encode::write_unsub(nb, s.sid, Some(r));
            }
        }
    };
    // Only CONNECTING/RECONNECTING become CONNECTED; a close() that won the race stays closed.
    let may_connect =
        || inner.status_transition(&[ConnectionStatus::Connecting, ConnectionStatus::Reconnecting], ConnectionStatus::Connected);
    if !inner.writer.go_up(may_connect, &mut resubscribe) {
        return false;
    }
    let first = !inner.ever_connected.swap(true, Ordering::AcqRel);
    if !first {
        inner.reconnects.fetch_add(1, Ordering::Relaxed);
        inner.events.emit(Event::Reconnected);
    } else if background {
        // retry_on_failed_connect: the first success happens after connect() returned.
        inner.events.emit(Event::Connected);
    }
    if new_urls && !first {
        inner.events.emit(Event::DiscoveredServers);
    }
    true
}

/// Serves one socket until it ends: the reader runs here, the writer as its own task, and the
/// keep-alive timer beside them.
async fn serve(inner: &Arc<Inner>, est: Established) -> Ended {
    let Established { stream, rbuf, .. } = est;
    let (rd, wr) = match stream.split() {
        Ok(halves) => halves,
        Err(e) => return Ended::Disconnected(err!(Io, "socket setup failed: {}", e)),
    };
    if let WriteHalf::Plain(p) = &wr {
        inner.writer.set_direct(p.clone());
    }
    let w_inner = inner.clone();
    let mut writer = tokio::spawn(async move { w_inner.writer.run(wr, DEFAULT_WRITE_STALL_TIMEOUT).await });
    let _served = ServedGuard(inner.clone());
    let reader: Pin<Box<dyn Future<Output = Ended> + Send>> = match rd {
        ReadHalf::Plain(rd) => {
            let sh = SharedReader::new(rd, rbuf);
            *inner.inline.lock() = Some(sh.clone());
            Box::pin(plain_reader_loop(inner.clone(), sh))
        }
        ReadHalf::Boxed(rd) => Box::pin(reader_loop(inner.clone(), rd, rbuf)),
    };
    tokio::pin!(reader);
    let period = inner.opts.ping_interval.max(MIN_PING_INTERVAL);
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let closing = inner.closing();
    tokio::pin!(closing);
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
                if !inner.writer.keepalive(inner.opts.max_pings_out) {
                    writer.abort();
                    return Ended::Disconnected(err!(StaleConnection, "no PONG from the server after {} PINGs", inner.opts.max_pings_out));
                }
            }
            _ = inner.force_reconnect.notified() => {
                writer.abort();
                return Ended::Disconnected(err!(Io, "reconnect forced by the application"));
            }
            _ = &mut closing => {
                // close(): let the writer push out what was published before close.
                let _ = tokio::time::timeout(CLOSE_FLUSH_WAIT, &mut writer).await;
                writer.abort();
                return Ended::Closed;
            }
        }
    }
}

/// The delay after a full pass through the pool: the user's callback (run off the runtime
/// workers), or the reconnect wait plus a random jitter.
async fn reconnect_delay(inner: &Arc<Inner>, passes: u64) -> Duration {
    let o = &inner.opts;
    if let Some(cb) = &o.reconnect_delay_cb {
        let (cb, c) = (cb.clone(), super::Connection(inner.clone()));
        return tokio::task::spawn_blocking(move || cb(&c, passes)).await.unwrap_or(o.reconnect_wait);
    }
    let tls = o.tls.required || inner.was_tls.load(Ordering::Relaxed) || inner.pool.lock().any_tls();
    let jitter = if tls { o.reconnect_jitter_tls } else { o.reconnect_jitter };
    let j =
        if jitter.is_zero() { Duration::ZERO } else { Duration::from_nanos(rand::thread_rng().gen_range(0..=jitter.as_nanos() as u64)) };
    o.reconnect_wait + j
}

/// Runs until a server accepted the connection (Some) or the connection is closed (None).
async fn reconnect_loop(inner: &Arc<Inner>) -> Option<Established> {
    inner.pool.lock().lost_current();
    let mut passes: u64 = 0;
    let mut last_err = err!(NoServers, "no servers available for connection");
    loop {
        if inner.is_closed() {
            return None;
        }
        let candidates = inner.pool.lock().candidates(inner.opts.max_reconnect);
        if candidates.is_empty() {
            let e = if matches!(last_err.status, Status::Authorization | Status::AuthExpired | Status::BadCredentials) {
                last_err.clone()
            } else {
                err!(NoServers, "no servers available for connection (last error: {})", last_err)
            };
            close_off_runtime(inner, e);
            return None;
        }
        if let Some(cb) = &inner.opts.reconnect_to_server_cb {
            // The application picks one server and the wait before it.
            let (url, delay) = choose_server(inner, cb, candidates).await;
            if !sleep_unless_closed(inner, delay).await {
                return None;
            }
            match attempt(inner, &url, &mut last_err).await {
                Some(est) => return if inner.is_closed() { None } else { Some(est) },
                None => continue,
            }
        }
        for url in candidates {
            if inner.is_closed() {
                return None;
            }
            if let Some(est) = attempt(inner, &url, &mut last_err).await {
                return if inner.is_closed() { None } else { Some(est) };
            }
        }
        passes += 1;
        let delay = reconnect_delay(inner, passes).await;
        if !sleep_unless_closed(inner, delay).await {
            return None;
        }
    }
}

/// One reconnect attempt on `url`; a failure is reported and kept in `last_err`.
async fn attempt(inner: &Arc<Inner>, url: &ServerUrl, last_err: &mut Error) -> Option<Established> {
    inner.pool.lock().attempt(url);
    match connect_one(inner, url).await {
        Ok(est) => Some(est),
        Err(e) => {
            if server_error::is_auth(e.status) {
                inner.pool.lock().auth_failed(url, &e.message);
            }
            // Credential problems are worth an async error; plain dial failures are not.
            if matches!(e.status, Status::Authorization | Status::AuthExpired | Status::BadCredentials | Status::Tls) {
                inner.async_error(None, e.clone());
            }
            if inner.opts.reconnect_error_cb.is_some() && !inner.is_closed() {
                inner.events.emit(Event::ReconnectError(e.clone()));
            }
            *last_err = e;
            None
        }
    }
}

/// Asks the reconnect-to-server callback (off the runtime workers) which candidate to try and
/// how long to wait first; an index it does not know means the first candidate.
async fn choose_server(
    inner: &Arc<Inner>,
    cb: &crate::options::ReconnectToServerCallback,
    candidates: Vec<ServerUrl>,
) -> (ServerUrl, Duration) {
    let choices: Vec<ServerChoice> = {
        let pool = inner.pool.lock();
        candidates.iter().map(|u| ServerChoice { url: u.display(), reconnects: pool.reconnects(u) }).collect()
    };
    let (cb, c) = (cb.clone(), super::Connection(inner.clone()));
    let (pick, delay) = tokio::task::spawn_blocking(move || cb(&c, &choices)).await.unwrap_or((None, Duration::ZERO));
    let i = pick.filter(|i| *i < candidates.len()).unwrap_or(0);
    (candidates[i].clone(), delay)
}

/// Waits `delay` (cut short by a forced reconnect); false if the connection closed meanwhile.
async fn sleep_unless_closed(inner: &Arc<Inner>, delay: Duration) -> bool {
    let closing = inner.closing();
    tokio::select! {
        _ = tokio::time::sleep(delay) => true,
        _ = closing => false,
        _ = inner.force_reconnect.notified() => true,
    }
}
