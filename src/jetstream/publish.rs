//! Synchronous publish to a stream, with expectations and message id.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::api::ApiError;
use super::JetStream;
use crate::error::{err, Error, Result, Status};
use crate::msg::Msg;

pub const HDR_MSG_ID: &str = "Nats-Msg-Id";
pub const HDR_EXPECTED_STREAM: &str = "Nats-Expected-Stream";
pub const HDR_EXPECTED_LAST_SEQ: &str = "Nats-Expected-Last-Sequence";
pub const HDR_EXPECTED_LAST_SUBJECT_SEQ: &str = "Nats-Expected-Last-Subject-Sequence";
pub const HDR_EXPECTED_LAST_MSG_ID: &str = "Nats-Expected-Last-Msg-Id";
pub const HDR_TTL: &str = "Nats-TTL";

/// The stream's acknowledgement of a published message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PubAck {
    pub stream: String,
    #[serde(default)]
    pub seq: u64,
    /// True when the message id was already seen within the duplicate window (nothing stored).
    #[serde(default)]
    pub duplicate: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
}

impl PubAck {
    /// The server's JSON form.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("pub ack serializes")
    }
}

#[derive(Deserialize)]
struct PubAckReply {
    #[serde(default)]
    error: Option<ApiError>,
    #[serde(default)]
    stream: Option<String>,
    #[serde(default)]
    seq: u64,
    #[serde(default)]
    duplicate: bool,
    #[serde(default)]
    domain: Option<String>,
}

/// Per-publish options (all optional).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublishOptions {
    /// `Nats-Msg-Id`: the stream drops a second message with this id within its duplicate window.
    pub msg_id: Option<String>,
    /// The stream that must store it (10060 otherwise).
    pub expected_stream: Option<String>,
    /// The stream's last sequence must be this (10071 otherwise).
    pub expected_last_seq: Option<u64>,
    /// The last sequence on this subject must be this; 0 = no message on the subject (10071).
    pub expected_last_subject_seq: Option<u64>,
    /// The id of the stream's last message must be this (10070 otherwise).
    pub expected_last_msg_id: Option<String>,
    /// Per-message TTL (stream needs `allow_msg_ttl`).
    pub ttl: Option<Duration>,
    /// Ack timeout; default: the context's timeout.
    pub timeout: Option<Duration>,
    /// Retries when the server answers "no responders" (no stream, or no leader yet); default
    /// [`super::DEFAULT_PUBLISH_RETRY_ATTEMPTS`]. Async publishes retry within their ack timeout.
    pub retry_attempts: Option<u32>,
    /// Wait between those retries; default [`super::DEFAULT_PUBLISH_RETRY_WAIT`].
    pub retry_wait: Option<Duration>,
    /// Async publishes only: how long this publish waits for room when the window of
    /// outstanding acks is full (nats.go `StallWait`); default the context's
    /// `publish_async_stall_wait`.
    pub stall_wait: Option<Duration>,
}

impl PublishOptions {
    /// Adds the headers these options stand for to `m`.
    pub(crate) fn apply(&self, m: &mut Msg) -> Result<()> {
        let bad = |e| err!(InvalidArgument, "bad header value: {:?}", e);
        if self.msg_id.is_none()
            && self.expected_stream.is_none()
            && self.expected_last_seq.is_none()
            && self.expected_last_subject_seq.is_none()
            && self.expected_last_msg_id.is_none()
            && self.ttl.is_none()
        {
            return Ok(());
        }
        let h = m.headers_mut();
        if let Some(id) = &self.msg_id {
            h.set(HDR_MSG_ID, id).map_err(bad)?;
        }
        if let Some(s) = &self.expected_stream {
            h.set(HDR_EXPECTED_STREAM, s).map_err(bad)?;
        }
        if let Some(s) = self.expected_last_seq {
            h.set(HDR_EXPECTED_LAST_SEQ, &s.to_string()).map_err(bad)?;
        }
        if let Some(s) = self.expected_last_subject_seq {
            h.set(HDR_EXPECTED_LAST_SUBJECT_SEQ, &s.to_string()).map_err(bad)?;
        }
        if let Some(s) = &self.expected_last_msg_id {
            h.set(HDR_EXPECTED_LAST_MSG_ID, s).map_err(bad)?;
        }
        if let Some(t) = self.ttl {
            h.set(HDR_TTL, &format!("{}s", t.as_secs().max(1))).map_err(bad)?;
        }
        Ok(())
    }
}

/// Turns a reply to a publish (pub ack JSON, error envelope or status) into a result.
pub(crate) fn parse_pub_ack(m: &Msg) -> Result<PubAck> {
    if m.is_no_responders() {
        return Err(no_stream_error(m.subject()));
    }
    let status = m.status_code();
    if status != 0 && m.data().is_empty() {
        return Err(err!(Jetstream, "publish failed: status {}", status));
    }
    let r: PubAckReply = serde_json::from_slice(m.data()).map_err(|e| err!(Jetstream, "bad pub ack from the server: {}", e))?;
    if let Some(e) = r.error {
        return Err(e.into_error());
    }
    match r.stream {
        Some(stream) if !stream.is_empty() => Ok(PubAck { stream, seq: r.seq, duplicate: r.duplicate, domain: r.domain }),
        _ => Err(err!(Jetstream, "invalid pub ack: no stream name")),
    }
}

pub(crate) fn no_stream_error(subject: &str) -> Error {
    Error::new(
        Status::NoResponders,
        format!(
            "no stream answered the publish{}{} (no stream captures the subject, or it has no leader)",
            if subject.is_empty() { "" } else { " on " },
            subject
        ),
    )
}

impl JetStream {
    /// Publishes `data` to `subject` and waits for the stream's ack.
    pub fn publish(&self, subject: &str, data: &[u8]) -> Result<PubAck> {
        self.publish_with(subject, data, &PublishOptions::default())
    }

    /// Publishes with a message id, expectations and/or a timeout.
    pub fn publish_with(&self, subject: &str, data: &[u8], opts: &PublishOptions) -> Result<PubAck> {
        let m = Msg::new(subject, None, data)?;
        self.publish_msg(m, opts)
    }

    /// Publishes a message (its headers are kept; `opts` adds its own) and waits for the ack.
    /// "No stream" is `Status::NoResponders` after the retries; a timeout leaves the outcome
    /// unknown (use a message id to make a retry safe).
    pub fn publish_msg(&self, mut m: Msg, opts: &PublishOptions) -> Result<PubAck> {
        opts.apply(&mut m)?;
        let timeout = opts.timeout.unwrap_or(self.0.opts.timeout);
        let attempts = opts.retry_attempts.unwrap_or(super::DEFAULT_PUBLISH_RETRY_ATTEMPTS);
        let wait = opts.retry_wait.unwrap_or(super::DEFAULT_PUBLISH_RETRY_WAIT);
        let mut tries = 0;
        loop {
            match self.0.conn.request_msg(&m, timeout) {
                Ok(reply) => return parse_pub_ack(&reply),
                Err(e) if e.status == Status::NoResponders => {
                    if tries >= attempts {
                        return Err(no_stream_error(m.subject()));
                    }
                    tries += 1;
                    std::thread::sleep(wait);
                }
                Err(e) if e.status == Status::Timeout => {
                    return Err(err!(Timeout, "no ack for the publish on '{}' within {:?}", m.subject(), timeout))
                }
                Err(e) => return Err(e),
            }
        }
    }
}
