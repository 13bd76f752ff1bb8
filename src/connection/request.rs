//! Request/reply: one wildcard inbox subscription per connection (`<prefix>.<id>.*`) and a map
//! from reply token to the waiting caller; the old inbox-per-request style as an option.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
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

/// Hashes the multiplexer's tokens (our own counter, never chosen by a peer) with one multiply
/// instead of SipHash.
#[derive(Default)]
struct TokenHasher(u64);

impl Hasher for TokenHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(TOKEN_HASH_MUL);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(TOKEN_HASH_MUL);
    }
}

/// Odd multiplier (2^64 / golden ratio) spreading sequential tokens over the hash's high bits.
const TOKEN_HASH_MUL: u64 = 0x9E37_79B9_7F4A_7C15;

/// Largest number of decimal digits of a token.
const TOKEN_DIGITS: usize = 20;

/// The request multiplexer's state.
pub(super) struct RespMux {
    prefix: String,
    sid: Option<u64>,
    next: u64,
    waiters: HashMap<u64, ReplySlot, BuildHasherDefault<TokenHasher>>,
}

impl RespMux {
    pub(super) fn new(prefix: String) -> RespMux {
        RespMux { prefix, sid: None, next: 1, waiters: HashMap::default() }
    }

    /// Takes the next token and its reply subject (`<prefix><token>`, built without the
    /// formatting machinery: this is on every request).
    fn next_reply(&mut self) -> (u64, String) {
        let token = self.next;
        self.next += 1;
        let mut digits = [0u8; TOKEN_DIGITS];
        let mut i = TOKEN_DIGITS;
        let mut n = token;
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        let mut reply = String::with_capacity(self.prefix.len() + TOKEN_DIGITS - i);
        reply.push_str(&self.prefix);
        for &d in &digits[i..] {
            reply.push(char::from(d));
        }
        (token, reply)
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
        let (token, reply) = r.next_reply();
        r.waiters.insert(token, ReplySlot::Blocking(waiter.clone()));
        (token, reply)
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
        let Some(token) = parse_token(rest) else { return };
        r.waiters.remove(&token)
    };
    if let Some(w) = waiter {
        w.complete(inner, Ok(msg));
    }
}

/// The token at the end of a reply subject: what `str::parse::<u64>` accepts (decimal digits,
/// an optional leading `+`, no overflow), without the UTF-8 check and the generic parser.
#[inline]
fn parse_token(s: &[u8]) -> Option<u64> {
    let digits = s.strip_prefix(b"+").unwrap_or(s);
    if digits.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(n)
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
        let (token, reply) = r.next_reply();
        r.waiters.insert(token, ReplySlot::Async(slot.clone(), what.clone()));
        (token, reply)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_parse_like_str_parse() {
        for t in ["0", "1", "42", "+7", "18446744073709551615", "18446744073709551616", "", "+", "-1", "1a", "1.2", " 1", "++1", "007"] {
            assert_eq!(parse_token(t.as_bytes()), t.parse::<u64>().ok(), "{t:?}");
        }
        assert_eq!(parse_token("\u{e9}".as_bytes()), None);
    }

    #[test]
    fn reply_subjects_are_prefix_and_decimal_token() {
        let mut r = RespMux::new("_INBOX.abc.".to_string());
        assert_eq!(r.next_reply(), (1, "_INBOX.abc.1".to_string()));
        r.next = 1234567890;
        assert_eq!(r.next_reply(), (1234567890, "_INBOX.abc.1234567890".to_string()));
        r.next = u64::MAX - 1;
        assert_eq!(r.next_reply(), (u64::MAX - 1, format!("_INBOX.abc.{}", u64::MAX - 1)));
    }
}
