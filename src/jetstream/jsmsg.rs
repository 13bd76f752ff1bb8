//! JetStream messages: acknowledgements and the metadata in the `$JS.ACK` reply subject.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::connection::Connection;
use crate::error::{err, Result};
use crate::msg::Msg;

/// Ack subject prefix (protocol.md §2.6).
pub const ACK_PREFIX: &str = "$JS.ACK.";
/// Timeout of `ack_sync` when the caller gives none.
pub const DEFAULT_ACK_SYNC_TIMEOUT: Duration = super::DEFAULT_TIMEOUT;

const ACK_NONE: u8 = 0;
const ACK_DONE: u8 = 1;

/// Metadata of a JetStream message, from its ack subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsgMetadata {
    /// JetStream domain (None when the subject has none or `_`).
    pub domain: Option<String>,
    /// Account hash (v2 layout only).
    pub account_hash: Option<String>,
    pub stream: String,
    pub consumer: String,
    /// How many times this message was delivered (1 the first time).
    pub num_delivered: u64,
    pub stream_seq: u64,
    pub consumer_seq: u64,
    /// When the stream stored the message, nanoseconds since the Unix epoch.
    pub timestamp_ns: i64,
    /// Messages still pending for the consumer after this one.
    pub num_pending: u64,
}

impl MsgMetadata {
    /// Parses an ack subject: v1 `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>`
    /// (9 tokens) or v2 `$JS.ACK.<domain>.<acchash>.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>[.<token>...]`
    /// (11 or more tokens).
    pub fn parse(reply: &str) -> Result<MsgMetadata> {
        let t: Vec<&str> = reply.split('.').collect();
        if t.len() < 9 || t.len() == 10 || t[0] != "$JS" || t[1] != "ACK" {
            return Err(err!(IllegalState, "not a JetStream message (reply subject '{}')", reply));
        }
        let (domain, hash, rest) = if t.len() == 9 {
            (None, None, &t[2..9])
        } else {
            let d = if t[2] == "_" || t[2].is_empty() { None } else { Some(t[2].to_string()) };
            (d, Some(t[3].to_string()), &t[4..11])
        };
        let num =
            |s: &str| -> Result<u64> { s.parse::<u64>().map_err(|_| err!(IllegalState, "bad number '{}' in ack subject '{}'", s, reply)) };
        Ok(MsgMetadata {
            domain,
            account_hash: hash,
            stream: rest[0].to_string(),
            consumer: rest[1].to_string(),
            num_delivered: num(rest[2])?,
            stream_seq: num(rest[3])?,
            consumer_seq: num(rest[4])?,
            timestamp_ns: rest[5].parse::<i64>().map_err(|_| err!(IllegalState, "bad timestamp in ack subject '{}'", reply))?,
            num_pending: num(rest[6])?,
        })
    }
}

/// A message delivered by a JetStream consumer. Clones share the ack state: once one clone is
/// acked (ack, nak, term), the others refuse a second ack.
#[derive(Clone)]
pub struct JsMsg {
    msg: Msg,
    conn: Connection,
    state: Arc<AtomicU8>,
}

impl std::fmt::Debug for JsMsg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsMsg").field("subject", &self.msg.subject()).field("reply", &self.msg.reply()).finish()
    }
}

impl JsMsg {
    /// Wraps a message received on `conn`; acks go through `conn`.
    pub fn new(msg: Msg, conn: &Connection) -> JsMsg {
        JsMsg { msg, conn: conn.clone(), state: Arc::new(AtomicU8::new(ACK_NONE)) }
    }
    pub fn msg(&self) -> &Msg {
        &self.msg
    }
    pub fn into_msg(self) -> Msg {
        self.msg
    }
    pub fn subject(&self) -> &str {
        self.msg.subject()
    }
    pub fn data(&self) -> &[u8] {
        self.msg.data()
    }
    pub fn headers(&self) -> Option<&crate::proto::HeaderMap> {
        self.msg.headers()
    }
    /// The ack subject.
    pub fn reply(&self) -> Option<&str> {
        self.msg.reply()
    }
    /// Metadata from the ack subject (error for a message that did not come from JetStream).
    pub fn metadata(&self) -> Result<MsgMetadata> {
        MsgMetadata::parse(self.msg.reply().unwrap_or(""))
    }
    /// True once ack, nak or term was sent for this message (or a clone of it).
    pub fn is_acked(&self) -> bool {
        self.state.load(Ordering::Acquire) == ACK_DONE
    }

    fn ack_subject(&self) -> Result<&str> {
        match self.msg.reply() {
            Some(r) if r.starts_with(ACK_PREFIX) => Ok(r),
            _ => Err(err!(IllegalState, "not a JetStream message: it has no $JS.ACK reply subject")),
        }
    }

    fn send(&self, body: &[u8], terminal: bool) -> Result<()> {
        let subj = self.ack_subject()?;
        if terminal {
            if self.state.swap(ACK_DONE, Ordering::AcqRel) == ACK_DONE {
                return Err(err!(IllegalState, "message was already acknowledged"));
            }
        } else if self.is_acked() {
            return Err(err!(IllegalState, "message was already acknowledged"));
        }
        let r = self.conn.publish(subj, body);
        if r.is_err() && terminal {
            self.state.store(ACK_NONE, Ordering::Release);
        }
        r
    }

    /// Acknowledges the message (`+ACK`).
    pub fn ack(&self) -> Result<()> {
        self.send(b"+ACK", true)
    }

    /// Acknowledges and waits until the server confirmed it stored the ack ("double ack").
    pub fn ack_sync(&self, timeout: Duration) -> Result<()> {
        let subj = self.ack_subject()?.to_string();
        if self.state.swap(ACK_DONE, Ordering::AcqRel) == ACK_DONE {
            return Err(err!(IllegalState, "message was already acknowledged"));
        }
        match self.conn.request(&subj, b"+ACK", if timeout.is_zero() { DEFAULT_ACK_SYNC_TIMEOUT } else { timeout }) {
            Ok(_) => Ok(()),
            Err(e) => {
                self.state.store(ACK_NONE, Ordering::Release);
                Err(e)
            }
        }
    }

    /// Negative ack: redeliver now (`-NAK`).
    pub fn nak(&self) -> Result<()> {
        self.send(b"-NAK", true)
    }

    /// Negative ack: redeliver after `delay`.
    pub fn nak_with_delay(&self, delay: Duration) -> Result<()> {
        let body = format!("-NAK {{\"delay\":{}}}", super::nanos::to_ns(&delay));
        self.send(body.as_bytes(), true)
    }

    /// Stops redelivery of this message (`+TERM`).
    pub fn term(&self) -> Result<()> {
        self.send(b"+TERM", true)
    }

    /// Stops redelivery, with a reason the server reports in its advisory.
    pub fn term_with_reason(&self, reason: &str) -> Result<()> {
        if reason.is_empty() {
            return self.term();
        }
        let body = format!("+TERM {}", reason);
        self.send(body.as_bytes(), true)
    }

    /// Work in progress: resets the ack-wait timer (`+WPI`); may be sent many times.
    pub fn in_progress(&self) -> Result<()> {
        self.send(b"+WPI", false)
    }
}

/// True for JetStream control messages (idle heartbeat, flow control): status 100, no payload.
pub(crate) fn is_control(m: &Msg) -> bool {
    m.data().is_empty() && m.status_code() == 100
}

/// Answers a flow-control request or a stalled heartbeat; returns true when `m` was a control message.
pub(crate) fn handle_control(m: &Msg, conn: &Connection) -> bool {
    if !is_control(m) {
        return false;
    }
    if let Some(r) = m.reply().filter(|r| !r.is_empty()) {
        // Flow control request: answer with an empty message.
        let _ = conn.publish(r, b"");
    } else if let Some(stalled) = m.headers().and_then(|h| h.get("Nats-Consumer-Stalled")) {
        let _ = conn.publish(stalled, b"");
    }
    true
}
