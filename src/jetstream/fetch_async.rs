//! Non-blocking fetch of a pull subscription: the fetch is a task on the library's runtime
//! that waits on the subscription's waker and a timer (no thread is held while it waits) and
//! hands its outcome to the connection's completion thread. Same rules as the blocking
//! `PullCore::fetch`; a cancel puts every message the fetch received back for the next fetch.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::sync::Notify;

use super::jsmsg::{handle_control, JsMsg};
use super::pull::{
    classify_status, effective_batch, pull_body, FetchOptions, PullCore, PullStatus, FETCH_EXPIRES_MARGIN, FETCH_PREALLOC_MAX,
    FETCH_STATE_POLL, PULL_NO_RESPONDERS_WAIT,
};
use crate::connection::{Completion, ConnectionStatus};
use crate::error::{err, Error, Result};
use crate::msg::Msg;

/// Ids of non-blocking fetches (unique in the process).
static NEXT_FETCH_ID: AtomicU64 = AtomicU64::new(1);

/// One outstanding non-blocking fetch.
pub(crate) struct AsyncFetch {
    id: u64,
    st: Mutex<FetchState>,
    /// Wakes the task after a cancel or a failure from outside (it then ends).
    wake: Notify,
}

/// The fetch's progress; whoever holds the lock decides.
struct FetchState {
    /// The completion; None once the fetch completed, was cancelled or failed.
    done: Option<Completion<Vec<JsMsg>>>,
    o: FetchOptions,
    batch: usize,
    timeout: Duration,
    deadline: Instant,
    /// Reply subject of the pull request that counts.
    reply: String,
    /// The request that waits (after the first no-wait one) was sent.
    waiting: bool,
    /// Messages for the caller (turned into `JsMsg` at completion).
    out: Vec<Msg>,
    bytes: usize,
    last_seen: Instant,
    reconnects: u64,
    /// Taken from the subscription, not yet looked at.
    local: VecDeque<Msg>,
}

/// What the task does next.
enum Step {
    /// Wait up to this long for a message (or a cancel).
    Wait(Duration),
    /// The consumer has no responders: check it exists (a blocking API call), wait, pull again.
    NoResponders,
    /// The fetch ended (an error when `Err`).
    Finish(Result<()>),
}

/// Starts a fetch (see `PullSubscription::fetch_async`).
pub(super) fn start(core: &Arc<PullCore>, o: &FetchOptions, done: Completion<Vec<JsMsg>>) -> Result<u64> {
    if o.timeout.is_zero() && !o.no_wait {
        return Err(err!(InvalidArgument, "fetch timeout must be positive"));
    }
    let rt = crate::runtime::handle().map_err(|e| err!(Io, "cannot start the runtime: {}", e))?;
    let batch = effective_batch(o);
    let start = Instant::now();
    let timeout = if o.no_wait && o.timeout.is_zero() { core.js.timeout() } else { o.timeout };
    let id = NEXT_FETCH_ID.fetch_add(1, Ordering::Relaxed);
    let mut slot = core.async_fetch.lock();
    if slot.is_some() || core.blocking.load(Ordering::Acquire) > 0 {
        return Err(err!(IllegalState, "a fetch is already outstanding on this pull subscription (one at a time)"));
    }
    // First a no-wait request, as the blocking fetch does.
    let reply = core.pull(&pull_body(batch, o.max_bytes, None, true, None))?;
    let f = Arc::new(AsyncFetch {
        id,
        st: Mutex::new(FetchState {
            done: Some(done),
            o: o.clone(),
            batch,
            timeout,
            deadline: start + timeout,
            reply,
            waiting: false,
            out: Vec::with_capacity(batch.min(FETCH_PREALLOC_MAX)),
            bytes: 0,
            last_seen: start,
            reconnects: core.conn.reconnects(),
            local: core.take_carry(),
        }),
        wake: Notify::new(),
    });
    *slot = Some(f.clone());
    drop(slot);
    let waker = core.sub.async_waker();
    rt.spawn(run(core.clone(), f, waker));
    Ok(id)
}

/// Cancels fetch `id`: true when its completion will not run (see `PullSubscription::cancel_fetch`).
pub(super) fn cancel(core: &PullCore, id: u64) -> bool {
    let f = {
        let slot = core.async_fetch.lock();
        match slot.as_ref() {
            Some(f) if f.id == id => f.clone(),
            _ => return false,
        }
    };
    let done = {
        let mut st = f.st.lock();
        let d = st.done.take();
        if d.is_some() {
            give_back(core, &mut st);
        }
        d
    };
    let Some(done) = done else { return false };
    release(core, &f);
    f.wake.notify_one();
    drop(done);
    true
}

/// Ends the outstanding fetch, if any, with `e` (the subscription goes away).
pub(super) fn fail(core: &PullCore, e: Error) {
    let Some(f) = core.async_fetch.lock().clone() else { return };
    let done = {
        let mut st = f.st.lock();
        let d = st.done.take();
        if d.is_some() {
            give_back(core, &mut st);
        }
        d
    };
    release(core, &f);
    f.wake.notify_one();
    if let Some(d) = done {
        core.conn.run_completion(d, Err(e));
    }
}

/// Puts what the fetch received (in order: the messages for the caller, then the unread
/// ones) back in front of the carried messages.
fn give_back(core: &PullCore, st: &mut FetchState) {
    let mut all: VecDeque<Msg> = st.out.drain(..).collect();
    all.extend(st.local.drain(..));
    core.keep(all);
}

/// Clears the outstanding slot if it still holds `f`.
fn release(core: &PullCore, f: &Arc<AsyncFetch>) {
    let mut slot = core.async_fetch.lock();
    if slot.as_ref().is_some_and(|s| Arc::ptr_eq(s, f)) {
        *slot = None;
    }
}

/// The fetch's task: steps under the lock, waits without it.
async fn run(core: Arc<PullCore>, f: Arc<AsyncFetch>, waker: Arc<Notify>) {
    loop {
        let step = {
            let mut st = f.st.lock();
            if st.done.is_none() {
                return;
            }
            st.step(&core)
        };
        match step {
            Step::Wait(d) => {
                tokio::select! {
                    _ = waker.notified() => {}
                    _ = f.wake.notified() => {}
                    _ = tokio::time::sleep(d) => {}
                }
            }
            Step::NoResponders => {
                let c = core.clone();
                let checked = tokio::task::spawn_blocking(move || c.check_consumer()).await;
                let checked = checked.unwrap_or_else(|e| Err(err!(Io, "consumer check failed: {}", e)));
                if let Err(e) = checked {
                    finish(&core, &f, Err(e));
                    return;
                }
                let left = f.st.lock().deadline.saturating_duration_since(Instant::now());
                if left <= PULL_NO_RESPONDERS_WAIT + FETCH_EXPIRES_MARGIN {
                    finish(&core, &f, Ok(()));
                    return;
                }
                tokio::select! {
                    _ = f.wake.notified() => {}
                    _ = tokio::time::sleep(PULL_NO_RESPONDERS_WAIT) => {}
                }
                let r = {
                    let mut st = f.st.lock();
                    if st.done.is_none() {
                        return;
                    }
                    st.repull(&core)
                };
                if let Err(e) = r {
                    finish(&core, &f, Err(e));
                    return;
                }
            }
            Step::Finish(r) => {
                finish(&core, &f, r);
                return;
            }
        }
    }
}

/// Completes the fetch with its messages (or the error; then what it received is kept for
/// the next fetch), unless a cancel or a failure came first.
fn finish(core: &PullCore, f: &Arc<AsyncFetch>, r: Result<()>) {
    let (done, outcome) = {
        let mut st = f.st.lock();
        let Some(done) = st.done.take() else { return };
        let local = std::mem::take(&mut st.local);
        core.keep(local);
        let outcome = match r {
            Err(e) => {
                give_back(core, &mut st);
                Err(e)
            }
            Ok(()) if st.out.is_empty() && !st.o.no_wait => Err(err!(Timeout, "fetch: no messages within {:?}", st.timeout)),
            Ok(()) => Ok(std::mem::take(&mut st.out).into_iter().map(|m| JsMsg::new(m, &core.conn)).collect()),
        };
        (done, outcome)
    };
    release(core, f);
    core.conn.run_completion(done, outcome);
}

impl FetchState {
    /// The error, or the end with what came, when something stops the fetch early.
    fn early(&self, e: Error) -> Step {
        if self.out.is_empty() {
            Step::Finish(Err(e))
        } else {
            Step::Finish(Ok(()))
        }
    }

    /// Sends the pull request that waits until just before the deadline (false: too late).
    fn pull_waiting(&mut self, core: &PullCore) -> Result<bool> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left <= FETCH_EXPIRES_MARGIN {
            return Ok(false);
        }
        let body = pull_body(self.batch, self.o.max_bytes, Some(left - FETCH_EXPIRES_MARGIN), false, self.o.heartbeat);
        self.reply = core.pull_with(&body, false)?;
        self.waiting = true;
        Ok(true)
    }

    /// Pulls again after a "no responders" answer (as the blocking fetch does).
    fn repull(&mut self, core: &PullCore) -> Result<()> {
        if self.waiting {
            self.pull_waiting(core)?;
        } else {
            self.reply = core.pull_with(&pull_body(self.batch, self.o.max_bytes, None, true, None), false)?;
        }
        Ok(())
    }

    /// Takes what is queued and handles it; says what to do next.
    fn step(&mut self, core: &PullCore) -> Step {
        loop {
            if self.local.is_empty() {
                if core.conn.status() != ConnectionStatus::Connected || core.conn.reconnects() != self.reconnects {
                    return self.early(err!(NotConnected, "disconnected during the fetch (the pull request is lost)"));
                }
                let want = self.batch - self.out.len();
                match core.sub.try_next_msgs(want) {
                    Ok(v) if !v.is_empty() => {
                        self.local.extend(v);
                        if self.o.heartbeat.is_some() {
                            self.last_seen = Instant::now();
                        }
                    }
                    Ok(_) => {
                        let now = Instant::now();
                        let mut wait = self.deadline.saturating_duration_since(now).min(FETCH_STATE_POLL);
                        if let Some(hb) = self.o.heartbeat {
                            let hb_left = (hb * 2).saturating_sub(now.duration_since(self.last_seen));
                            if hb_left.is_zero() {
                                return self.early(err!(
                                    Timeout,
                                    "fetch: missed heartbeats from consumer '{}' (idle heartbeat {:?})",
                                    core.consumer,
                                    hb
                                ));
                            }
                            wait = wait.min(hb_left);
                        }
                        if wait.is_zero() {
                            return Step::Finish(Ok(()));
                        }
                        return Step::Wait(wait);
                    }
                    Err(e) => return self.early(e),
                }
            }
            while let Some(m) = self.local.pop_front() {
                if m.data().is_empty() && m.status_code() != 0 {
                    if handle_control(&m, &core.conn) {
                        continue;
                    }
                    // Statuses of earlier requests are ignored, except the terminal ones.
                    let current = m.subject() == self.reply;
                    match classify_status(&m, &core.stream, &core.consumer) {
                        PullStatus::Terminal(e) => return Step::Finish(Err(e)),
                        _ if !current => {}
                        PullStatus::Control => {}
                        PullStatus::Ended { .. } => {
                            if self.waiting || self.o.no_wait || !self.out.is_empty() {
                                return Step::Finish(Ok(()));
                            }
                            match self.pull_waiting(core) {
                                Ok(true) => {}
                                Ok(false) => return Step::Finish(Ok(())),
                                Err(e) => return Step::Finish(Err(e)),
                            }
                        }
                        PullStatus::Interrupted { shutdown } => {
                            if !self.out.is_empty() {
                                return Step::Finish(Ok(()));
                            }
                            if shutdown {
                                return Step::Finish(Err(err!(
                                    NotConnected,
                                    "fetch: the server is shutting down (the pull request is lost)"
                                )));
                            }
                            match self.pull_waiting(core) {
                                Ok(true) => {}
                                Ok(false) => return Step::Finish(Ok(())),
                                Err(e) => return Step::Finish(Err(e)),
                            }
                        }
                        PullStatus::Refused(e) => return self.early(e),
                        PullStatus::NoResponders => {
                            if !self.out.is_empty() {
                                return Step::Finish(Ok(()));
                            }
                            return Step::NoResponders;
                        }
                    }
                    continue;
                }
                self.bytes += m.subject().len() + m.reply().map_or(0, |r| r.len()) + m.header_block().len() + m.data().len();
                self.out.push(m);
                if self.out.len() >= self.batch || (self.o.max_bytes > 0 && self.bytes >= self.o.max_bytes) {
                    return Step::Finish(Ok(()));
                }
            }
        }
    }
}
