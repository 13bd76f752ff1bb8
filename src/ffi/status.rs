//! `natsrs_status` (the C mirror of the core's `Status`), the other C mirrors of core types
//! (`natsrs_connection_status`, `natsrs_statistics`), status text, last error, version and
//! runtime shutdown.

use std::ffi::{c_char, CStr, CString};
use std::sync::OnceLock;

use super::boundary::{copy_last_error, guard, last_error_ptr};
use crate::connection::{ConnectionStatus, Statistics};
use crate::error::{err, Status};

/// Status code returned by every fallible libnatsrs function.
///
/// Values are explicit and never renumbered or reused. `NATSRS_STATUS_OK` is 0.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum natsrs_status {
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
    /// A key-value compare-and-set failed: the key's latest revision was not the expected one
    /// (natsrs_kv_create of a key that has a value, natsrs_kv_update, natsrs_kv_delete or
    /// natsrs_kv_purge with a revision check). natsrs_last_error_api gives 400/10071.
    WrongRevision = 30,
    /// The key's latest revision (or the one asked for) is a delete or purge marker: the key
    /// has no value (a key never written, or removed entirely, is NATSRS_STATUS_NOT_FOUND).
    KeyDeleted = 31,
}

/// Generates the two exhaustive conversions between the core's `Status` and `natsrs_status`
/// (a variant added to one enum and not the other fails to compile) and the table of values.
macro_rules! mirror_status {
    ($($v:ident),* $(,)?) => {
        impl From<Status> for natsrs_status {
            fn from(s: Status) -> natsrs_status {
                match s { $(Status::$v => natsrs_status::$v),* }
            }
        }
        impl From<natsrs_status> for Status {
            fn from(s: natsrs_status) -> Status {
                match s { $(natsrs_status::$v => Status::$v),* }
            }
        }
        /// Every status, in declaration order.
        const ALL_STATUSES: &[natsrs_status] = &[$(natsrs_status::$v),*];
    };
}
mirror_status!(
    Ok,
    NullParameter,
    InvalidArgument,
    InvalidSubject,
    Timeout,
    NoResponders,
    ConnectionClosed,
    NotConnected,
    MaxPayload,
    SlowConsumer,
    Io,
    Protocol,
    Authorization,
    Tls,
    NoServers,
    Jetstream,
    NotFound,
    IllegalState,
    Panic,
    InvalidQueue,
    HeadersNotSupported,
    Draining,
    BufferFull,
    StaleConnection,
    Permission,
    InvalidSubscription,
    BufferTooSmall,
    MaxMessages,
    AuthExpired,
    BadCredentials,
    WrongRevision,
    KeyDeleted
);

impl natsrs_status {
    /// Decodes a value that came from C (a callback's return value, an argument): None for a
    /// value that is not a declared status. Never a transmute.
    pub fn from_i32(v: i32) -> Option<natsrs_status> {
        ALL_STATUSES.iter().copied().find(|s| *s as i32 == v)
    }

    /// Static NUL-terminated description (the core's text for the same status).
    pub fn as_cstr(self) -> &'static CStr {
        static TEXTS: OnceLock<Vec<(natsrs_status, CString)>> = OnceLock::new();
        let texts =
            TEXTS.get_or_init(|| ALL_STATUSES.iter().map(|s| (*s, CString::new(Status::from(*s).as_str()).unwrap_or_default())).collect());
        texts.iter().find(|(s, _)| *s == self).map_or(c"unknown status", |(_, t)| t.as_c_str())
    }
}

/// Connection state as seen by users.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum natsrs_connection_status {
    Disconnected = 0,
    Connecting = 1,
    Connected = 2,
    Closed = 3,
    Reconnecting = 4,
    DrainingSubs = 5,
    DrainingPubs = 6,
}

impl From<ConnectionStatus> for natsrs_connection_status {
    fn from(s: ConnectionStatus) -> natsrs_connection_status {
        match s {
            ConnectionStatus::Disconnected => natsrs_connection_status::Disconnected,
            ConnectionStatus::Connecting => natsrs_connection_status::Connecting,
            ConnectionStatus::Connected => natsrs_connection_status::Connected,
            ConnectionStatus::Closed => natsrs_connection_status::Closed,
            ConnectionStatus::Reconnecting => natsrs_connection_status::Reconnecting,
            ConnectionStatus::DrainingSubs => natsrs_connection_status::DrainingSubs,
            ConnectionStatus::DrainingPubs => natsrs_connection_status::DrainingPubs,
        }
    }
}

/// Connection statistics.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct natsrs_statistics {
    pub in_msgs: u64,
    pub out_msgs: u64,
    pub in_bytes: u64,
    pub out_bytes: u64,
    pub reconnects: u64,
    pub dropped_msgs: u64,
}

impl From<Statistics> for natsrs_statistics {
    fn from(s: Statistics) -> natsrs_statistics {
        natsrs_statistics {
            in_msgs: s.in_msgs,
            out_msgs: s.out_msgs,
            in_bytes: s.in_bytes,
            out_bytes: s.out_bytes,
            reconnects: s.reconnects,
            dropped_msgs: s.dropped_msgs,
        }
    }
}

/// Returns a static description of a `natsrs_status` value (never NULL; values that are not a
/// declared status give "unknown status"). Borrowed; valid for the life of the process.
#[no_mangle]
pub extern "C" fn natsrs_status_str(status: i32) -> *const c_char {
    match natsrs_status::from_i32(status) {
        Some(s) => s.as_cstr().as_ptr(),
        None => c"unknown status".as_ptr(),
    }
}

/// Returns the detail message of the last failed call on this thread; "" when the last call
/// succeeded (every call that returns a status or a value clears it on success).
/// Borrowed; valid until the next libnatsrs call on this thread.
#[no_mangle]
pub extern "C" fn natsrs_last_error_message() -> *const c_char {
    last_error_ptr()
}

/// Copies this thread's last error message (see natsrs_last_error_message) into `buf`,
/// truncated to `buf_len - 1` bytes and always NUL-terminated when `buf_len > 0`; `buf` may be
/// NULL when `buf_len` is 0. Returns the length of the whole message (without the NUL), so a
/// result `>= buf_len` means it was truncated. Does not change the last error. For bindings
/// whose consecutive calls may run on different OS threads (Go's cgo): call the function and
/// this one in the same C helper (see README, "C API conventions").
#[no_mangle]
pub unsafe extern "C" fn natsrs_last_error_copy(buf: *mut c_char, buf_len: usize) -> usize {
    if buf.is_null() || buf_len == 0 {
        return copy_last_error(&mut []);
    }
    // SAFETY: the caller gives a buffer writable for `buf_len` bytes (the documented contract).
    let out = unsafe { std::slice::from_raw_parts_mut(buf as *mut u8, buf_len) };
    copy_last_error(out)
}

/// Returns the library version, e.g. "0.1.0". Borrowed; static.
#[no_mangle]
pub extern "C" fn natsrs_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr() as *const c_char
}

/// Stops the library's internal runtime, waiting up to `timeout_ms` (>= 0) for its threads.
/// Close every connection first; connections still open are cut off. A later connect starts a
/// new runtime.
#[no_mangle]
pub extern "C" fn natsrs_shutdown(timeout_ms: i64) -> natsrs_status {
    guard(|| {
        if timeout_ms < 0 {
            return Err(err!(InvalidArgument, "timeout_ms must not be negative"));
        }
        crate::runtime::shutdown(std::time::Duration::from_millis(timeout_ms as u64));
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_texts_match_the_core() {
        for (i, s) in ALL_STATUSES.iter().enumerate() {
            assert_eq!(*s as i32, i as i32, "values are dense and never renumbered");
            let core = Status::from(*s);
            assert_eq!(core as i32, *s as i32);
            assert_eq!(natsrs_status::from(core), *s);
            assert_eq!(s.as_cstr().to_str().unwrap(), core.as_str());
        }
        assert_eq!(ALL_STATUSES.len(), Status::ALL.len());
        assert_eq!(natsrs_status::from_i32(7777), None);
        assert_eq!(natsrs_status::from_i32(-1), None);
        assert_eq!(natsrs_status::from_i32(0), Some(natsrs_status::Ok));
    }
}
