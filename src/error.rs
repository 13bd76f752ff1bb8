//! Error and status types of the core. The C API mirrors `Status` as `natsrs_status`
//! (src/ffi/status.rs); nothing here knows about C.

use std::fmt;

/// What went wrong, in one word (the kind of an [`Error`]).
///
/// The discriminants are the values of the C API's `natsrs_status` (which the C layer maps
/// explicitly); they are never renumbered or reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Success.
    Ok = 0,
    /// A required pointer argument was NULL.
    NullParameter = 1,
    /// An argument had an invalid value (bad UTF-8, negative size, unknown option value, ...).
    InvalidArgument = 2,
    /// A subject was empty, contained blanks or empty tokens, or misused wildcards.
    InvalidSubject = 3,
    /// The operation did not complete within its timeout.
    Timeout = 4,
    /// A request had no responders (the server answered with status 503).
    NoResponders = 5,
    /// The connection is closed.
    ConnectionClosed = 6,
    /// The connection is not connected right now (e.g. reconnecting).
    NotConnected = 7,
    /// The payload is larger than the server's max_payload.
    MaxPayload = 8,
    /// A subscription dropped messages because its pending limits were exceeded.
    SlowConsumer = 9,
    /// A socket or file I/O error.
    Io = 10,
    /// The peer violated the NATS protocol (malformed frame, unexpected operation).
    Protocol = 11,
    /// The server rejected the credentials (Authorization Violation).
    Authorization = 12,
    /// A TLS error (handshake, certificate, configuration).
    Tls = 13,
    /// No server could be reached (or the server pool is exhausted).
    NoServers = 14,
    /// A JetStream API error.
    Jetstream = 15,
    /// The requested item does not exist (header key, stream, consumer, ...).
    NotFound = 16,
    /// The call is not valid in the object's current state.
    IllegalState = 17,
    /// A Rust panic was caught (at an API boundary).
    Panic = 18,
    /// A queue group name was empty or contained blanks.
    InvalidQueue = 19,
    /// The server does not support headers.
    HeadersNotSupported = 20,
    /// The connection or subscription is draining.
    Draining = 21,
    /// The reconnect buffer is full or disabled while disconnected.
    BufferFull = 22,
    /// The connection was declared stale (missed PONGs or server 'Stale Connection').
    StaleConnection = 23,
    /// The server reported a permissions violation.
    Permission = 24,
    /// The subscription is no longer valid (unsubscribed, drained or closed).
    InvalidSubscription = 25,
    /// A caller-provided buffer is too small.
    BufferTooSmall = 26,
    /// The subscription reached its auto-unsubscribe maximum.
    MaxMessages = 27,
    /// The server reported that the credentials expired.
    AuthExpired = 28,
    /// A credentials file, seed or key is malformed or unreadable.
    BadCredentials = 29,
    /// A key-value compare-and-set failed: the key's latest revision was not the expected one
    /// (create of a key that has a value, update, delete or purge with a revision check).
    WrongRevision = 30,
    /// The key's latest revision (or the one asked for) is a delete or purge marker: it has no
    /// value.
    KeyDeleted = 31,
}

impl Status {
    /// Every status, in numeric order.
    pub const ALL: [Status; 32] = [
        Status::Ok,
        Status::NullParameter,
        Status::InvalidArgument,
        Status::InvalidSubject,
        Status::Timeout,
        Status::NoResponders,
        Status::ConnectionClosed,
        Status::NotConnected,
        Status::MaxPayload,
        Status::SlowConsumer,
        Status::Io,
        Status::Protocol,
        Status::Authorization,
        Status::Tls,
        Status::NoServers,
        Status::Jetstream,
        Status::NotFound,
        Status::IllegalState,
        Status::Panic,
        Status::InvalidQueue,
        Status::HeadersNotSupported,
        Status::Draining,
        Status::BufferFull,
        Status::StaleConnection,
        Status::Permission,
        Status::InvalidSubscription,
        Status::BufferTooSmall,
        Status::MaxMessages,
        Status::AuthExpired,
        Status::BadCredentials,
        Status::WrongRevision,
        Status::KeyDeleted,
    ];

    /// Static description of the status.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::NullParameter => "NULL parameter",
            Status::InvalidArgument => "invalid argument",
            Status::InvalidSubject => "invalid subject",
            Status::Timeout => "timeout",
            Status::NoResponders => "no responders available for request",
            Status::ConnectionClosed => "connection closed",
            Status::NotConnected => "not connected",
            Status::MaxPayload => "maximum payload exceeded",
            Status::SlowConsumer => "slow consumer, messages dropped",
            Status::Io => "I/O error",
            Status::Protocol => "protocol error",
            Status::Authorization => "authorization violation",
            Status::Tls => "TLS error",
            Status::NoServers => "no servers available for connection",
            Status::Jetstream => "JetStream error",
            Status::NotFound => "not found",
            Status::IllegalState => "illegal state",
            Status::Panic => "internal panic",
            Status::InvalidQueue => "invalid queue name",
            Status::HeadersNotSupported => "headers not supported by this server",
            Status::Draining => "draining",
            Status::BufferFull => "outbound buffer limit exceeded",
            Status::StaleConnection => "stale connection",
            Status::Permission => "permissions violation",
            Status::InvalidSubscription => "invalid subscription",
            Status::BufferTooSmall => "buffer too small",
            Status::MaxMessages => "maximum messages delivered",
            Status::AuthExpired => "authentication expired",
            Status::BadCredentials => "bad credentials",
            Status::WrongRevision => "wrong last revision",
            Status::KeyDeleted => "key deleted",
        }
    }
}

/// An error: a status plus a human-readable message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub status: Status,
    pub message: String,
    /// For a JetStream API error: the server's `(code, err_code)` (e.g. `(400, 10058)`); the
    /// server's description is in `message`.
    pub api: Option<(u16, u64)>,
}

impl Error {
    pub fn new(status: Status, message: impl Into<String>) -> Error {
        Error { status, message: message.into(), api: None }
    }
    pub fn status(&self) -> Status {
        self.status
    }
    /// The JetStream API error `(code, err_code)` this error carries, if any.
    pub fn api_error(&self) -> Option<(u16, u64)> {
        self.api
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            f.write_str(self.status.as_str())
        } else {
            write!(f, "{}: {}", self.status.as_str(), self.message)
        }
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        let status = match e.kind() {
            std::io::ErrorKind::TimedOut => Status::Timeout,
            _ => Status::Io,
        };
        Error::new(status, e.to_string())
    }
}

pub type Result<T> = std::result::Result<T, Error>;

macro_rules! err {
    ($status:ident, $($arg:tt)*) => {
        $crate::error::Error::new($crate::error::Status::$status, format!($($arg)*))
    };
}
pub(crate) use err;
