//! `-ERR` from the server: what it means and what the connection does about it, in one place.

use crate::error::{err, Error, Status};

/// What a `-ERR` received on an established connection asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    /// Report it through the error handler; the connection stays up.
    Report,
    /// A permissions violation: report it (to the subscription it names, if any).
    Permission,
    /// Drop this socket and reconnect (stale connection, auth expired or revoked, limits).
    Reconnect,
    /// Close the connection for good (an unknown protocol error).
    Close,
}

/// Maps a `-ERR` text to an error status and message.
pub(super) fn classify(text: &str) -> Error {
    let l = text.to_ascii_lowercase();
    if l.contains("authorization violation") || l.contains("authentication timeout") || l.contains("user authentication revoked") {
        err!(Authorization, "{}", text)
    } else if l.contains("authentication expired") {
        err!(AuthExpired, "{}", text)
    } else if l.contains("permissions violation") {
        err!(Permission, "{}", text)
    } else if l.contains("stale connection") {
        err!(StaleConnection, "{}", text)
    } else if l.contains("maximum payload") {
        err!(MaxPayload, "{}", text)
    } else if l.contains("secure connection") || l.contains("tls required") {
        err!(Tls, "{}", text)
    } else {
        err!(Protocol, "server error: {}", text)
    }
}

/// What the connection does about `e` (from `classify(text)`).
pub(super) fn action(e: &Error, text: &str) -> Action {
    match e.status {
        Status::Permission => Action::Permission,
        Status::StaleConnection | Status::Authorization | Status::AuthExpired => Action::Reconnect,
        _ => {
            let l = text.to_ascii_lowercase();
            if l.contains("maximum subscriptions exceeded") || l.contains("invalid subject") || l.contains("invalid publish subject") {
                Action::Report
            } else if l.contains("maximum connections exceeded") || l.contains("maximum account active connections") {
                Action::Reconnect
            } else {
                Action::Close
            }
        }
    }
}

/// Whether an error means the server refused our credentials (worth an async error while
/// reconnecting, and a reason to give up on a server).
pub(super) fn is_auth(status: Status) -> bool {
    matches!(status, Status::Authorization | Status::AuthExpired)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        let cases = [
            ("Authorization Violation", Status::Authorization, Action::Reconnect),
            ("User Authentication Expired", Status::AuthExpired, Action::Reconnect),
            ("Permissions Violation for Publish to \"x\"", Status::Permission, Action::Permission),
            ("Stale Connection", Status::StaleConnection, Action::Reconnect),
            ("Maximum Subscriptions Exceeded", Status::Protocol, Action::Report),
            ("maximum connections exceeded", Status::Protocol, Action::Reconnect),
            ("Unknown Protocol Operation", Status::Protocol, Action::Close),
        ];
        for (text, st, act) in cases {
            let e = classify(text);
            assert_eq!(e.status, st, "{}", text);
            assert_eq!(action(&e, text), act, "{}", text);
        }
    }
}
