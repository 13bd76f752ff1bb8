//! Error and status types shared by the core and the C API.

use std::fmt;

/// Status code returned by every fallible libnatsrs function.
///
/// Values are explicit and never renumbered or reused. `NATSRS_STATUS_OK` is 0.
#[repr(C)]
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
    /// A Rust panic was caught at the C boundary; see natsrs_last_error_message().
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
}

impl Status {
    /// Every status, in numeric order.
    pub const ALL: [Status; 30] = [
        Status::Ok, Status::NullParameter, Status::InvalidArgument, Status::InvalidSubject, Status::Timeout,
        Status::NoResponders, Status::ConnectionClosed, Status::NotConnected, Status::MaxPayload,
        Status::SlowConsumer, Status::Io, Status::Protocol, Status::Authorization, Status::Tls,
        Status::NoServers, Status::Jetstream, Status::NotFound, Status::IllegalState, Status::Panic,
        Status::InvalidQueue, Status::HeadersNotSupported, Status::Draining, Status::BufferFull,
        Status::StaleConnection, Status::Permission, Status::InvalidSubscription, Status::BufferTooSmall,
        Status::MaxMessages, Status::AuthExpired, Status::BadCredentials,
    ];

    /// The status with this numeric value, if any.
    pub fn from_i32(v: i32) -> Option<Status> {
        Status::ALL.iter().copied().find(|s| *s as i32 == v)
    }

    /// Static description of the status.
    pub fn as_str(self) -> &'static str {
        // The table below is ASCII only.
        self.as_cstr().to_str().unwrap_or("unknown status")
    }

    /// Static NUL-terminated description of the status.
    pub fn as_cstr(self) -> &'static std::ffi::CStr {
        macro_rules! c {
            ($s:literal) => {
                // SAFETY: literal with a trailing NUL and no interior NUL.
                unsafe { std::ffi::CStr::from_bytes_with_nul_unchecked(concat!($s, "\0").as_bytes()) }
            };
        }
        match self {
            Status::Ok => c!("OK"),
            Status::NullParameter => c!("NULL parameter"),
            Status::InvalidArgument => c!("invalid argument"),
            Status::InvalidSubject => c!("invalid subject"),
            Status::Timeout => c!("timeout"),
            Status::NoResponders => c!("no responders available for request"),
            Status::ConnectionClosed => c!("connection closed"),
            Status::NotConnected => c!("not connected"),
            Status::MaxPayload => c!("maximum payload exceeded"),
            Status::SlowConsumer => c!("slow consumer, messages dropped"),
            Status::Io => c!("I/O error"),
            Status::Protocol => c!("protocol error"),
            Status::Authorization => c!("authorization violation"),
            Status::Tls => c!("TLS error"),
            Status::NoServers => c!("no servers available for connection"),
            Status::Jetstream => c!("JetStream error"),
            Status::NotFound => c!("not found"),
            Status::IllegalState => c!("illegal state"),
            Status::Panic => c!("internal panic"),
            Status::InvalidQueue => c!("invalid queue name"),
            Status::HeadersNotSupported => c!("headers not supported by this server"),
            Status::Draining => c!("draining"),
            Status::BufferFull => c!("outbound buffer limit exceeded"),
            Status::StaleConnection => c!("stale connection"),
            Status::Permission => c!("permissions violation"),
            Status::InvalidSubscription => c!("invalid subscription"),
            Status::BufferTooSmall => c!("buffer too small"),
            Status::MaxMessages => c!("maximum messages delivered"),
            Status::AuthExpired => c!("authentication expired"),
            Status::BadCredentials => c!("bad credentials"),
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
