//! The defaults are named constants (issue 7 item 2), and the C header's comments and the README
//! state the same values: each documented default is checked against its constant here, so a
//! changed constant fails this test until the header comment (the doc comment in src/ffi) and the
//! README say the new value. No server needed.

use std::time::Duration;

use natsrs::options::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_DRAIN_TIMEOUT, DEFAULT_INBOX_PREFIX, DEFAULT_MAX_PINGS_OUT, DEFAULT_MAX_RECONNECT,
    DEFAULT_PING_INTERVAL, DEFAULT_RECONNECT_BUF_SIZE, DEFAULT_RECONNECT_JITTER, DEFAULT_RECONNECT_JITTER_TLS, DEFAULT_RECONNECT_WAIT,
    DEFAULT_SUB_PENDING_BYTES, DEFAULT_SUB_PENDING_MSGS, DEFAULT_URL,
};
use natsrs::tls::DEFAULT_HANDSHAKE_TIMEOUT;
use natsrs::Options;

fn read(rel: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The comment block right before the declaration of `func` in the header.
fn doc_of<'h>(header: &'h str, func: &str) -> &'h str {
    let decl = header.find(&format!(" {func}(")).unwrap_or_else(|| panic!("{func} not declared in include/natsrs.h"));
    let start = header[..decl].rfind("/**").unwrap_or_else(|| panic!("{func} has no comment"));
    &header[start..decl]
}

fn ms(d: Duration) -> u128 {
    d.as_millis()
}

fn mib(bytes: i64) -> String {
    assert_eq!(bytes % (1024 * 1024), 0, "{bytes} is not a whole number of MiB");
    format!("{} MiB", bytes / (1024 * 1024))
}

/// Comment text with the C comment decoration removed and white space collapsed.
fn flat(s: &str) -> String {
    s.lines().map(|l| l.trim().trim_start_matches("/**").trim_start_matches('*').trim()).collect::<Vec<_>>().join(" ")
}

#[test]
fn header_comments_state_the_named_defaults() {
    let h = read("include/natsrs.h");
    let cases: Vec<(&str, String)> = vec![
        ("natsrs_options_set_ping_interval_ms", format!("(default {} ms)", ms(DEFAULT_PING_INTERVAL))),
        ("natsrs_options_set_connect_timeout_ms", format!("(default {} ms)", ms(DEFAULT_CONNECT_TIMEOUT))),
        ("natsrs_options_set_drain_timeout_ms", format!("(default {} ms,", ms(DEFAULT_DRAIN_TIMEOUT))),
        ("natsrs_connection_drain", format!("default {} ms,", ms(DEFAULT_DRAIN_TIMEOUT))),
        ("natsrs_options_set_reconnect_wait_ms", format!("(default {} ms)", ms(DEFAULT_RECONNECT_WAIT))),
        (
            "natsrs_options_set_reconnect_jitter_ms",
            format!("(defaults {} ms and {} ms)", ms(DEFAULT_RECONNECT_JITTER), ms(DEFAULT_RECONNECT_JITTER_TLS)),
        ),
        ("natsrs_options_set_max_pings_out", format!("(default {})", DEFAULT_MAX_PINGS_OUT)),
        ("natsrs_options_set_max_reconnect", format!("(default {})", DEFAULT_MAX_RECONNECT)),
        ("natsrs_options_set_reconnect_buf_size", format!("(default {})", mib(DEFAULT_RECONNECT_BUF_SIZE))),
        ("natsrs_options_set_inbox_prefix", format!("(default \"{}\")", DEFAULT_INBOX_PREFIX)),
        (
            "natsrs_options_set_pending_limits",
            format!("Defaults: {} messages, {}.", DEFAULT_SUB_PENDING_MSGS, mib(DEFAULT_SUB_PENDING_BYTES)),
        ),
        ("natsrs_options_set_tls_handshake_timeout_ms", format!("(default {} ms)", ms(DEFAULT_HANDSHAKE_TIMEOUT))),
        ("natsrs_connection_connect", format!("(NULL = defaults: {})", DEFAULT_URL)),
    ];
    for (func, want) in cases {
        let doc = flat(doc_of(&h, func));
        assert!(doc.contains(&want), "the comment of {func} does not say {want:?}: {doc:?}");
    }
}

#[test]
fn readme_states_the_named_defaults() {
    let readme = read("README.md").split_whitespace().collect::<Vec<_>>().join(" ");
    assert_eq!(DEFAULT_PING_INTERVAL.as_secs() % 60, 0);
    let cases = [
        format!("ping interval (default {} min)", DEFAULT_PING_INTERVAL.as_secs() / 60),
        format!("`max_pings_out` (default {})", DEFAULT_MAX_PINGS_OUT),
        format!("`natsrs_options_set_drain_timeout_ms`, default {} ms", ms(DEFAULT_DRAIN_TIMEOUT)),
        format!("failed attempts (default {})", DEFAULT_MAX_RECONNECT),
        format!("**Handshake timeout** (default {} ms)", ms(DEFAULT_HANDSHAKE_TIMEOUT)),
    ];
    for want in cases {
        assert!(readme.contains(&want), "README does not say {want:?}");
    }
}

/// The constants are what `Options::default()` uses (the code side of "used alike").
#[test]
fn options_default_uses_the_constants() {
    let o = Options::default();
    assert_eq!(o.ping_interval, DEFAULT_PING_INTERVAL);
    assert_eq!(o.max_pings_out, DEFAULT_MAX_PINGS_OUT);
    assert_eq!(o.connect_timeout, DEFAULT_CONNECT_TIMEOUT);
    assert_eq!(o.drain_timeout, DEFAULT_DRAIN_TIMEOUT);
    assert_eq!(o.reconnect_wait, DEFAULT_RECONNECT_WAIT);
    assert_eq!(o.reconnect_jitter, DEFAULT_RECONNECT_JITTER);
    assert_eq!(o.reconnect_jitter_tls, DEFAULT_RECONNECT_JITTER_TLS);
    assert_eq!(o.max_reconnect, DEFAULT_MAX_RECONNECT);
    assert_eq!(o.reconnect_buf_size, DEFAULT_RECONNECT_BUF_SIZE);
    assert_eq!(o.inbox_prefix, DEFAULT_INBOX_PREFIX);
    assert_eq!((o.sub_pending_msgs, o.sub_pending_bytes), (DEFAULT_SUB_PENDING_MSGS, DEFAULT_SUB_PENDING_BYTES));
    // Unset: the TLS code falls back to DEFAULT_HANDSHAKE_TIMEOUT.
    assert_eq!(o.tls.handshake_timeout, None);
}
