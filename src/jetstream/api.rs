//! JetStream API requests and responses: the error envelope, account info.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::JetStream;
use crate::error::{Error, Result, Status};
use crate::msg::Msg;

/// The server's `err_code` values a client commonly branches on (ADR-1; never branch on text).
pub mod error_codes {
    pub const JETSTREAM_NOT_ENABLED: u64 = 10076;
    pub const JETSTREAM_NOT_ENABLED_FOR_ACCOUNT: u64 = 10039;
    pub const INSUFFICIENT_RESOURCES: u64 = 10023;
    pub const CONSUMER_NAME_EXISTS: u64 = 10013;
    pub const CONSUMER_NOT_FOUND: u64 = 10014;
    pub const MAX_CONSUMERS: u64 = 10026;
    pub const NO_MESSAGE_FOUND: u64 = 10037;
    pub const MESSAGE_TOO_LARGE: u64 = 10054;
    pub const STREAM_NAME_IN_USE: u64 = 10058;
    pub const STREAM_NOT_FOUND: u64 = 10059;
    pub const STREAM_MISMATCH: u64 = 10060;
    pub const WRONG_LAST_MSG_ID: u64 = 10070;
    pub const WRONG_LAST_SEQUENCE: u64 = 10071;
    pub const MAX_DELIVER_BACKOFF: u64 = 10116;
    pub const FILTER_MISMATCH: u64 = 10131;
    pub const CONSUMER_EXISTS: u64 = 10148;
    pub const CONSUMER_DOES_NOT_EXIST: u64 = 10149;
}

/// The server's error envelope: `{"code":404,"err_code":10059,"description":"stream not found"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// HTTP-like code (400, 404, 503, ...).
    pub code: u16,
    /// JetStream error code (10058, ...); 0 when the server did not send one.
    #[serde(default)]
    pub err_code: u64,
    #[serde(default)]
    pub description: String,
}

impl ApiError {
    /// The core error for this API error: `NotFound` for 404s, `Jetstream` otherwise; the
    /// codes are kept in [`Error::api`].
    pub fn into_error(self) -> Error {
        let status = if self.code == 404 { Status::NotFound } else { Status::Jetstream };
        let mut e = Error::new(status, format!("{} (code {}, err_code {})", self.description, self.code, self.err_code));
        e.api = Some((self.code, self.err_code));
        e
    }
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Error {
        e.into_error()
    }
}

/// Account statistics and limits (`$JS.API.INFO`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AccountInfo {
    #[serde(default)]
    pub memory: u64,
    #[serde(default)]
    pub storage: u64,
    #[serde(default)]
    pub streams: u64,
    #[serde(default)]
    pub consumers: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    #[serde(default)]
    pub limits: AccountLimits,
    #[serde(default)]
    pub api: ApiStats,
    /// Every other field of the server's reply.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl AccountInfo {
    /// The server's JSON form.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("account info serializes")
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AccountLimits {
    #[serde(default)]
    pub max_memory: i64,
    #[serde(default)]
    pub max_storage: i64,
    #[serde(default)]
    pub max_streams: i64,
    #[serde(default)]
    pub max_consumers: i64,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ApiStats {
    #[serde(default)]
    pub total: u64,
    #[serde(default)]
    pub errors: u64,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Turns the request error of an API call into the error reported to the user.
pub(crate) fn map_request_error(e: Error, subject: &str) -> Error {
    match e.status {
        Status::NoResponders => Error::new(
            Status::NoResponders,
            format!("JetStream not available: no responders on '{}' (is JetStream enabled, is the domain right?)", subject),
        ),
        Status::Timeout => Error::new(Status::Timeout, format!("JetStream API request '{}' timed out", subject)),
        _ => e,
    }
}

/// Parses a JSON reply: the error envelope becomes an error, otherwise `T`.
pub(crate) fn parse_response<T: DeserializeOwned>(data: &[u8]) -> Result<T> {
    let v: Value = serde_json::from_slice(data).map_err(|e| Error::new(Status::Jetstream, format!("bad JetStream API response: {}", e)))?;
    if let Some(err) = v.get("error") {
        if !err.is_null() {
            let ae: ApiError = serde_json::from_value(err.clone())
                .map_err(|e| Error::new(Status::Jetstream, format!("bad JetStream API error: {}", e)))?;
            return Err(ae.into_error());
        }
    }
    serde_json::from_value(v).map_err(|e| Error::new(Status::Jetstream, format!("unexpected JetStream API response: {}", e)))
}

#[derive(Deserialize)]
pub(crate) struct SuccessResponse {
    #[serde(default)]
    pub success: bool,
}

impl JetStream {
    /// Sends `body` to `<prefix><op>` and returns the raw reply.
    pub(crate) fn api_raw(&self, op: &str, body: &[u8], timeout: Option<Duration>) -> Result<Msg> {
        let subject = format!("{}{}", self.0.prefix, op);
        self.0.conn.request(&subject, body, timeout.unwrap_or(self.0.opts.timeout)).map_err(|e| map_request_error(e, &subject))
    }

    /// Sends a JSON request to `<prefix><op>` and parses the JSON reply (or its error).
    pub(crate) fn api_request<T: DeserializeOwned>(&self, op: &str, body: &[u8]) -> Result<T> {
        let m = self.api_raw(op, body, None)?;
        parse_response(m.data())
    }

    /// Sends any JSON `body` to `<prefix><op>` (e.g. `STREAM.INFO.ORDERS`) and returns the reply
    /// as JSON; an error envelope becomes an error. For calls this module does not wrap.
    pub fn api_request_json(&self, op: &str, body: &Value) -> Result<Value> {
        let b = if body.is_null() { Vec::new() } else { serde_json::to_vec(body).expect("JSON value") };
        self.api_request(op, &b)
    }

    /// Sends `body` (JSON text; empty for none) to `<prefix><op>` (e.g. `CONSUMER.PAUSE.S.C`),
    /// waiting up to `timeout` (`None`: the context's timeout), and returns the reply's JSON
    /// text as the server sent it; an error envelope becomes an error carrying the server's
    /// codes ([`Error::api`]). For API calls this module does not wrap.
    pub fn api_request_text(&self, op: &str, body: &[u8], timeout: Option<Duration>) -> Result<String> {
        let m = self.api_raw(op, body, timeout)?;
        parse_response::<Value>(m.data())?;
        String::from_utf8(m.data().to_vec()).map_err(|_| Error::new(Status::Jetstream, "bad JetStream API response: not UTF-8"))
    }

    /// Account statistics and limits.
    pub fn account_info(&self) -> Result<AccountInfo> {
        self.api_request("INFO", b"")
    }
}
