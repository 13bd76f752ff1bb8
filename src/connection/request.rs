//! Request/reply: one wildcard inbox subscription per connection (`<prefix>.<id>.*`) and a map
//! from reply token to the waiting caller; the old inbox-per-request style as an option.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::completions::{Completion, Slot};
use super::state::Inner;
use super::sub::{SubInner, SubKind};
use super::waiter::Waiter;
use crate::error::{err, Error, Result, Status};
use crate::msg::Msg;

/// Who waits for a reply: a blocked caller, or a completion.
pub(super) enum ReplySlot {
    Blocking(Arc<Waiter<Result<Msg>>>),
    /// The completion and the request's subject (for the no-responders message).
    Async(Arc<Slot<Msg>>, String),
}

impl ReplySlot {
    /// Hands the outcome over (async completions go to the completion thread).
    fn complete(self, inner: &Inner, r: Result<Msg>) {
        match self {
            ReplySlot::Blocking(w) => {
                w.complete(r);
            }
            ReplySlot::Async(slot, subject) => {
                if let Some(f) = slot.take() {
                    let r = match r {
                        Ok(m) if m.is_no_responders() => Err(no_responders(subject.as_bytes())),
                        r => r,
                    };
                    inner.completions.run(f, r);
                }
            }
        }
    }
}

/// The request multiplexer's state.
pub(super) struct RespMux {
    prefix: String,
    sid: Option<u64>,
    next: u64,
    waiters: HashMap<u64, ReplySlot>,
}

impl RespMux {
    pub(super) fn new(prefix: String) -> RespMux {
        RespMux { prefix, sid: None, next: 1, waiters: HashMap::new() }
    }

    pub(super) fn sid(&self) -> Option<u64> {
        self.sid
    }

    /// Takes every waiting request (to fail them).
    pub(super) fn take_all(&mut self) -> Vec<ReplySlot> {
        self.waiters.drain().map(|(_, w)| w).collect()
    }
}

/// Fails every waiting request with `e`.
pub(super) fn fail_all(inner: &Inner, e: impl Fn() -> Error) {
    let waiters = inner.resp.lock().take_all();
    for w in waiters {
        w.complete(inner, Err(e()));
    }
}

fn deadline_after(timeout: Duration) -> Option<Instant> {
    Instant::now().checked_add(timeout)
}

fn ensure_resp_sub(inner: &Arc<Inner>, r: &mut RespMux) -> Result<()> {
    if r.sid.is_some() {
        return Ok(());
    }
    let sid = inner.next_sid.fetch_add(1, Ordering::Relaxed);
    let subj = format!("{}*", r.prefix);
    let sub = SubInner::new(sid, &subj, None, SubKind::Resp, inner, (-1, -1))?;
    inner.register_sub(&sub);
    r.sid = Some(sid);
    Ok(())
}

fn no_responders(subj: &[u8]) -> Error {
    err!(NoResponders, "no responders on '{}'", String::from_utf8_lossy(subj))
}

fn timed_out(subj: &[u8], timeout: Duration) -> Error {
    err!(Timeout, "request on '{}' timed out after {:?}", String::from_utf8_lossy(subj), timeout)
}

pub(super) fn request(inner: &Arc<Inner>, subj: &[u8], hdrs: Option<&[u8]>, data: &[u8], timeout: Duration) -> Result<Msg> {
    if timeout.is_zero() {
        return Err(err!(InvalidArgument, "request timeout must be positive"));
    }
    if inner.is_closed() {
        return Err(err!(ConnectionClosed, "connection closed"));
    }
    if inner.opts.old_request_style {
        return old_request(inner, subj, hdrs, data, timeout);
    }
    let waiter = Arc::new(Waiter::new());
    let (token, reply) = {
        let mut r = inner.resp.lock();
        ensure_resp_sub(inner, &mut r)?;
        let token = r.next;
        r.next += 1;
        r.waiters.insert(token, ReplySlot::Blocking(waiter.clone()));
        (token, format!("{}{}", r.prefix, token))
    };
    if let Err(e) = inner.publish_request(subj, reply.as_bytes(), hdrs, data) {
        inner.resp.lock().waiters.remove(&token);
        return Err(e);
    }
    match waiter.wait_until(deadline_after(timeout)) {
        Some(Ok(m)) if m.is_no_responders() => Err(no_responders(subj)),
        Some(r) => r,
        None => {
            inner.resp.lock().waiters.remove(&token);
            Err(timed_out(subj, timeout))
        }
    }
}

fn old_request(inner: &Arc<Inner>, subj: &[u8], hdrs: Option<&[u8]>, data: &[u8], timeout: Duration) -> Result<Msg> {
    let inbox = format!("{}.{}", inner.opts.inbox_prefix, super::nuid());
    let sub = inner.subscribe(&inbox, None, SubKind::Sync, None)?;
    sub.auto_unsubscribe(1)?;
    let res = inner.publish_raw(subj, Some(inbox.as_bytes()), hdrs, data).and_then(|_| sub.next_msg(timeout));
    let _ = sub.unsubscribe();
    match res {
        Ok(m) if m.is_no_responders() => Err(no_responders(subj)),
        Err(e) if e.status == Status::Timeout => Err(timed_out(subj, timeout)),
        r => r,
    }
}

/// Routes a reply arriving on the multiplexer's wildcard inbox to its waiting request.
pub(super) fn deliver_response(inner: &Inner, msg: Msg) {
    let waiter = {
        let mut r = inner.resp.lock();
        let s = msg.subject_bytes();
        let Some(rest) = s.strip_prefix(r.prefix.as_bytes()) else { return };
        let Some(token) = std::str::from_utf8(rest).ok().and_then(|t| t.parse::<u64>().ok()) else { return };
        r.waiters.remove(&token)
    };
    if let Some(w) = waiter {
        w.complete(inner, Ok(msg));
    }
}

/// Starts a request and returns at once: `done` runs once on the completion thread with the
/// reply, a timeout, no responders or the close. Returns an id for `cancel`.
pub(super) fn request_async(
    inner: &Arc<Inner>,
    subj: &[u8],
    hdrs: Option<&[u8]>,
    data: &[u8],
    timeout: Duration,
    done: Completion<Msg>,
) -> Result<u64> {
    if timeout.is_zero() {
        return Err(err!(InvalidArgument, "request timeout must be positive"));
    }
    if inner.is_closed() {
        return Err(err!(ConnectionClosed, "connection closed"));
    }
    let rt = crate::runtime::handle().map_err(|e| err!(Io, "cannot start the runtime: {}", e))?;
    let slot = Slot::new(done);
    let what = String::from_utf8_lossy(subj).into_owned();
    let (token, reply) = {
        let mut r = inner.resp.lock();
        ensure_resp_sub(inner, &mut r)?;
        let token = r.next;
        r.next += 1;
        r.waiters.insert(token, ReplySlot::Async(slot.clone(), what.clone()));
        (token, format!("{}{}", r.prefix, token))
    };
    if let Err(e) = inner.publish_request(subj, reply.as_bytes(), hdrs, data) {
        inner.resp.lock().waiters.remove(&token);
        return Err(e);
    }
    let weak = Arc::downgrade(inner);
    rt.spawn(async move {
        tokio::time::sleep(timeout).await;
        let Some(inner) = weak.upgrade() else { return };
        let timed_out = inner.resp.lock().waiters.remove(&token);
        if let Some(w) = timed_out {
            w.complete(&inner, Err(err!(Timeout, "request on '{}' timed out after {:?}", what, timeout)));
        }
    });
    Ok(token)
}

/// Cancels a request started with `request_async`: true when its completion will not run
/// (it is dropped here), false when it already completed or is completing.
pub(super) fn cancel(inner: &Inner, id: u64) -> bool {
    let w = inner.resp.lock().waiters.remove(&id);
    match w {
        Some(ReplySlot::Async(slot, _)) => {
            drop(slot.take());
            true
        }
        Some(other) => {
            // Not ours to cancel: a blocking request with the same token cannot exist (tokens are
            // unique), but put it back rather than lose it.
            inner.resp.lock().waiters.insert(id, other);
            false
        }
        None => false,
    }
}
