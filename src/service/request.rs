//! A request to a service endpoint, answered with data or with an error.

use std::sync::Arc;

use super::{Counters, DEFAULT_ERROR_CODE, ERROR_CODE_HEADER, ERROR_HEADER};
use crate::error::{err, Result};
use crate::Msg;

/// One request; borrowed by the handler for the duration of the call.
pub struct Request {
    msg: Msg,
    counters: Arc<Counters>,
}

impl Request {
    pub(super) fn new(msg: Msg, counters: Arc<Counters>) -> Request {
        Request { msg, counters }
    }

    /// The request message (subject, reply, headers, data).
    pub fn msg(&self) -> &Msg {
        &self.msg
    }

    pub fn subject(&self) -> &str {
        self.msg.subject()
    }

    pub fn data(&self) -> &[u8] {
        self.msg.data()
    }

    /// Answers with `data`.
    pub fn respond(&self, data: &[u8]) -> Result<()> {
        self.msg.respond(data)
    }

    /// Answers with headers and data (a message whose subject is ignored).
    pub fn respond_msg(&self, reply: &Msg) -> Result<()> {
        self.msg.respond_msg(reply)
    }

    /// Counts one error in the endpoint's stats with `text` as its `last_error`, without
    /// answering: for a handler that answers by itself and words its errors its own way.
    pub fn record_error(&self, text: &str) {
        self.counters.error(text.to_string());
    }

    /// Answers with an error: the `Nats-Service-Error` and `Nats-Service-Error-Code` headers
    /// (code "500" when empty) and `data`. Counts as an error in the endpoint's stats.
    pub fn respond_error(&self, code: &str, description: &str, data: &[u8]) -> Result<()> {
        let code = if code.is_empty() { DEFAULT_ERROR_CODE } else { code };
        self.counters.error(format!("{}:{}", code, description));
        let mut m = Msg::new("_", None, data)?;
        let h = m.headers_mut();
        h.set(ERROR_HEADER, description).map_err(|e| err!(InvalidArgument, "error description: {}", e))?;
        h.set(ERROR_CODE_HEADER, code).map_err(|e| err!(InvalidArgument, "error code: {}", e))?;
        self.msg.respond_msg(&m)
    }
}
