//! Connection options (the Rust side of `natsrs_options`).

use std::sync::Arc;
use std::time::Duration;

use crate::connection::{Connection, Subscription};
use crate::error::{err, Error, Result};

/// Callback for connection events without extra data (closed, reconnected, discovered servers, lame duck).
pub type ConnCallback = Arc<dyn Fn(&Connection) + Send + Sync>;
/// Callback for disconnection, with the error that caused it.
pub type DisconnectCallback = Arc<dyn Fn(&Connection, &Error) + Send + Sync>;
/// Asynchronous error callback; the subscription is set when the error concerns one.
pub type ErrorCallback = Arc<dyn Fn(&Connection, Option<&Subscription>, &Error) + Send + Sync>;
/// Custom reconnect delay: given the number of full passes through the pool, returns the wait.
pub type ReconnectDelayCallback = Arc<dyn Fn(&Connection, u64) -> Duration + Send + Sync>;
/// Chooses the server of the next reconnect attempt (nats-py `reconnect_to_server_handler`):
/// given the servers still worth an attempt, returns the index of the one to try (None or out
/// of range: the first) and how long to wait before trying it.
pub type ReconnectToServerCallback = Arc<dyn Fn(&Connection, &[ServerChoice]) -> (Option<usize>, Duration) + Send + Sync>;

/// A server offered to [`ReconnectToServerCallback`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerChoice {
    /// The server's URL as shown by `Connection::servers` (no credentials).
    pub url: String,
    /// Failed attempts on it since it was last connected to.
    pub reconnects: u64,
}

/// A parsed server URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerUrl {
    pub scheme: String,
    pub host: String,
    pub port: u16,
    pub user: Option<String>,
    pub password: Option<String>,
    pub token: Option<String>,
    /// Host name to verify in TLS when dialling an address learned from the cluster.
    pub tls_host: Option<String>,
}

/// Port used when a server URL names none.
pub const DEFAULT_PORT: u16 = 4222;
/// Scheme given to a URL written without one (`host:port`).
pub const DEFAULT_SCHEME: &str = "nats";
/// Server the connection uses when no URL was set.
pub const DEFAULT_URL: &str = "nats://127.0.0.1:4222";

impl ServerUrl {
    /// Parses `nats://user:pass@host:port`, `tls://token@host`, `host:port`, `[::1]:4222` ...
    ///
    /// The `url` crate does the parsing (WHATWG rules for a non-special scheme). On top of it:
    /// only `nats` and `tls`; no path (a trailing `/` is fine), query or fragment; a port in
    /// 1..=65535 (default 4222); credentials must be well-formed percent-encoded UTF-8; no
    /// input the URL standard would silently repair (tabs or newlines inside, control
    /// characters at the ends). Any other input gives `InvalidArgument`, never a panic.
    pub fn parse(s: &str) -> Result<ServerUrl> {
        let s = s.trim();
        if s.is_empty() {
            return Err(err!(InvalidArgument, "empty server URL"));
        }
        let bad = |why: &str| err!(InvalidArgument, "bad server URL '{}': {}", s, why);
        let with_scheme;
        let text = if s.contains("://") {
            s
        } else {
            with_scheme = format!("{DEFAULT_SCHEME}://{s}");
            &with_scheme
        };
        let violation = std::cell::Cell::new(None);
        let record = |v: url::SyntaxViolation| {
            use url::SyntaxViolation as V;
            if matches!(v, V::PercentDecode | V::TabOrNewlineIgnored | V::C0SpaceIgnored) && violation.get().is_none() {
                violation.set(Some(v));
            }
        };
        let u = url::Url::options().syntax_violation_callback(Some(&record)).parse(text).map_err(|e| bad(&e.to_string()))?;
        if let Some(v) = violation.get() {
            return Err(bad(v.description()));
        }
        let scheme = u.scheme().to_string();
        if scheme != "nats" && scheme != "tls" {
            return Err(err!(InvalidArgument, "unsupported URL scheme '{}' in '{}'", scheme, s));
        }
        if !(u.path().is_empty() || u.path() == "/") || u.query().is_some() || u.fragment().is_some() {
            return Err(bad("a server URL has no path, query or fragment"));
        }
        let host = match u.host() {
            Some(url::Host::Ipv6(a)) => a.to_string(),
            Some(url::Host::Ipv4(a)) => a.to_string(),
            Some(url::Host::Domain(d)) if !d.is_empty() && !d.contains('%') => d.to_string(),
            _ => return Err(err!(InvalidArgument, "bad host in server URL '{}'", s)),
        };
        let port = match u.port() {
            None => DEFAULT_PORT,
            Some(0) => return Err(err!(InvalidArgument, "bad port in server URL '{}'", s)),
            Some(p) => p,
        };
        let (mut user, mut password, mut token) = (None, None, None);
        let name = decode_credential(u.username()).ok_or_else(|| bad("the user name is not UTF-8 after percent-decoding"))?;
        let pass = match u.password() {
            Some(p) => Some(decode_credential(p).ok_or_else(|| bad("the password is not UTF-8 after percent-decoding"))?),
            // The url crate drops an empty password (`user:@host`); keep today's meaning,
            // user + empty password rather than a token, by looking for the ':' in the input.
            None if has_empty_password(text) => Some(String::new()),
            None => None,
        };
        match pass {
            Some(p) => {
                user = Some(name);
                password = Some(p);
            }
            None if !name.is_empty() => token = Some(name),
            None => {}
        }
        Ok(ServerUrl { scheme, host, port, user, password, token, tls_host: None })
    }

    /// `host:port` form for dialling (IPv6 hosts bracketed).
    pub fn addr(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// URL without credentials, e.g. `nats://127.0.0.1:4222`.
    pub fn display(&self) -> String {
        format!("{}://{}", self.scheme, self.addr())
    }

    pub fn is_tls(&self) -> bool {
        self.scheme == "tls"
    }
}

/// Percent-decodes a user name or password as the url crate returns it (escapes already
/// checked by the parser). None when the bytes are not UTF-8.
fn decode_credential(encoded: &str) -> Option<String> {
    percent_encoding::percent_decode_str(encoded).decode_utf8().ok().map(|c| c.into_owned())
}

/// True when the credentials of `url` (scheme present) end with `:` (`user:@host`). The
/// authority ends at the first `/`, `?` or `#`; the credentials at its last `@`.
fn has_empty_password(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    authority.rsplit_once('@').is_some_and(|(cred, _)| cred.ends_with(':'))
}

/// Splits a comma-separated URL list (blanks allowed around entries) and parses each.
pub fn parse_url_list(list: &str) -> Result<Vec<ServerUrl>> {
    let mut v = Vec::new();
    for part in list.split(',') {
        if part.trim().is_empty() {
            continue;
        }
        v.push(ServerUrl::parse(part)?);
    }
    if v.is_empty() {
        return Err(err!(InvalidArgument, "no server URL given"));
    }
    Ok(v)
}

/// Parses the URLs a server announces in INFO `connect_urls` (`host:port`, without a scheme),
/// giving each the scheme of the server the client is connected to. Returns the good ones in
/// order and an `InvalidArgument` error for each bad one, so the engine can skip and report
/// them; never panics, whatever the server sent.
pub fn parse_announced(scheme: &str, announced: &[String]) -> (Vec<ServerUrl>, Vec<Error>) {
    let mut good = Vec::with_capacity(announced.len());
    let mut bad = Vec::new();
    for a in announced {
        match ServerUrl::parse(&format!("{scheme}://{a}")) {
            Ok(u) => good.push(u),
            Err(e) => bad.push(err!(InvalidArgument, "the server announced a bad URL '{}': {}", a, e.message)),
        }
    }
    (good, bad)
}

/// All connection options. Defaults follow nats.go.
#[derive(Clone)]
pub struct Options {
    pub servers: Vec<ServerUrl>,
    pub name: Option<String>,
    pub no_echo: bool,
    pub verbose: bool,
    pub pedantic: bool,
    pub inbox_prefix: String,
    pub ping_interval: Duration,
    pub max_pings_out: u32,
    pub connect_timeout: Duration,
    /// User/password, token, nkey, JWT and creds authentication.
    pub auth: crate::auth::AuthOptions,
    /// TLS settings (a `tls://` URL also turns TLS on for that server).
    pub tls: crate::tls::TlsOptions,
    pub old_request_style: bool,
    /// Default pending limits for new subscriptions (negative = unlimited).
    pub sub_pending_msgs: i64,
    pub sub_pending_bytes: i64,
    pub drain_timeout: Duration,
    pub allow_reconnect: bool,
    /// Reconnect attempts per server; negative = forever.
    pub max_reconnect: i64,
    pub reconnect_wait: Duration,
    pub reconnect_jitter: Duration,
    pub reconnect_jitter_tls: Duration,
    /// Bytes buffered while reconnecting; negative disables buffering (publish fails at once).
    pub reconnect_buf_size: i64,
    pub no_randomize: bool,
    pub ignore_discovered_servers: bool,
    pub retry_on_failed_connect: bool,
    /// Fail requests waiting for a reply at once when the connection drops (instead of letting
    /// them wait for a reply after the reconnect or for their timeout).
    pub fail_requests_on_disconnect: bool,
    /// Async subscriptions of this connection share this many delivery threads (each
    /// subscription sticks to one); 0 (the default): a thread per subscription.
    pub delivery_pool_threads: usize,
    pub closed_cb: Option<ConnCallback>,
    pub connected_cb: Option<ConnCallback>,
    pub disconnected_cb: Option<DisconnectCallback>,
    pub reconnected_cb: Option<ConnCallback>,
    pub discovered_servers_cb: Option<ConnCallback>,
    pub lame_duck_cb: Option<ConnCallback>,
    pub error_cb: Option<ErrorCallback>,
    pub reconnect_delay_cb: Option<ReconnectDelayCallback>,
    /// Called with the error of every failed reconnect attempt (nats.go `ReconnectErrHandler`).
    pub reconnect_error_cb: Option<DisconnectCallback>,
    /// Picks the server of each reconnect attempt and the wait before it, instead of the
    /// round-robin passes with reconnect wait (and `reconnect_delay_cb`).
    pub reconnect_to_server_cb: Option<ReconnectToServerCallback>,
}

/// Prefix of inbox subjects (`_INBOX.<id>...`).
pub const DEFAULT_INBOX_PREFIX: &str = "_INBOX";
/// Keep-alive PING period.
pub const DEFAULT_PING_INTERVAL: Duration = Duration::from_secs(120);
/// Unanswered PINGs before the connection is stale.
pub const DEFAULT_MAX_PINGS_OUT: u32 = 2;
/// Time for dialling and handshaking one server.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Pending limit of a subscription, in messages.
pub const DEFAULT_SUB_PENDING_MSGS: i64 = 512 * 1024;
/// Pending limit of a subscription, in bytes.
pub const DEFAULT_SUB_PENDING_BYTES: i64 = 64 * 1024 * 1024;
/// Drain timeout used when drain is called without one (nats.go's default).
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(30);
/// Delivery threads shared by async subscriptions; 0 = a thread per subscription.
pub const DEFAULT_DELIVERY_POOL_THREADS: usize = 0;
/// Failed attempts per server before it leaves the pool (-1 = forever).
pub const DEFAULT_MAX_RECONNECT: i64 = 60;
/// Wait after a full pass through the pool.
pub const DEFAULT_RECONNECT_WAIT: Duration = Duration::from_secs(2);
/// Largest random extra wait (plain connections).
pub const DEFAULT_RECONNECT_JITTER: Duration = Duration::from_millis(100);
/// Largest random extra wait (TLS connections).
pub const DEFAULT_RECONNECT_JITTER_TLS: Duration = Duration::from_secs(1);
/// Bytes of publishes kept while disconnected.
pub const DEFAULT_RECONNECT_BUF_SIZE: i64 = 8 * 1024 * 1024;

impl Default for Options {
    fn default() -> Options {
        Options {
            servers: Vec::new(),
            name: None,
            no_echo: false,
            verbose: false,
            pedantic: false,
            inbox_prefix: DEFAULT_INBOX_PREFIX.to_string(),
            ping_interval: DEFAULT_PING_INTERVAL,
            max_pings_out: DEFAULT_MAX_PINGS_OUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            auth: crate::auth::AuthOptions::default(),
            tls: crate::tls::TlsOptions::default(),
            old_request_style: false,
            sub_pending_msgs: DEFAULT_SUB_PENDING_MSGS,
            sub_pending_bytes: DEFAULT_SUB_PENDING_BYTES,
            drain_timeout: DEFAULT_DRAIN_TIMEOUT,
            delivery_pool_threads: DEFAULT_DELIVERY_POOL_THREADS,
            allow_reconnect: true,
            max_reconnect: DEFAULT_MAX_RECONNECT,
            reconnect_wait: DEFAULT_RECONNECT_WAIT,
            reconnect_jitter: DEFAULT_RECONNECT_JITTER,
            reconnect_jitter_tls: DEFAULT_RECONNECT_JITTER_TLS,
            reconnect_buf_size: DEFAULT_RECONNECT_BUF_SIZE,
            no_randomize: false,
            ignore_discovered_servers: false,
            retry_on_failed_connect: false,
            fail_requests_on_disconnect: false,
            closed_cb: None,
            connected_cb: None,
            disconnected_cb: None,
            reconnected_cb: None,
            discovered_servers_cb: None,
            lame_duck_cb: None,
            error_cb: None,
            reconnect_delay_cb: None,
            reconnect_error_cb: None,
            reconnect_to_server_cb: None,
        }
    }
}

impl Options {
    pub fn new() -> Options {
        Options::default()
    }

    /// Sets the server list from a comma-separated string.
    pub fn set_url(&mut self, urls: &str) -> Result<()> {
        self.servers = parse_url_list(urls)?;
        Ok(())
    }

    pub fn set_inbox_prefix(&mut self, prefix: &str) -> Result<()> {
        let p = prefix.trim_end_matches('.');
        if p.is_empty() || !crate::proto::subject::valid_subscribe_subject(p.as_bytes()) || p.contains(['*', '>']) {
            return Err(err!(InvalidArgument, "invalid inbox prefix '{}'", prefix));
        }
        self.inbox_prefix = p.to_string();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Status;

    #[test]
    fn url_forms() {
        let u = ServerUrl::parse("nats://alice:p%40ss@host.example:4223").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.user.as_deref(), u.password.as_deref()),
            ("host.example", 4223, Some("alice"), Some("p@ss"))
        );
        let u = ServerUrl::parse("tls://tok@127.0.0.1").unwrap();
        assert!(u.is_tls());
        assert_eq!((u.port, u.token.as_deref()), (4222, Some("tok")));
        let u = ServerUrl::parse("[::1]:5000").unwrap();
        assert_eq!((u.host.as_str(), u.port, u.addr()), ("::1", 5000, "[::1]:5000".to_string()));
        assert_eq!(ServerUrl::parse("localhost").unwrap().display(), "nats://localhost:4222");
        for bad in ["", "http://x", "nats://:4222", "nats://h:0", "nats://h:99999", "nats://h:x", "[::1"] {
            assert!(ServerUrl::parse(bad).is_err(), "{:?}", bad);
        }
    }

    #[test]
    fn url_lists_allow_blanks() {
        let v = parse_url_list(" nats://a:1222, nats://b:1223 ,nats://c:1224").unwrap();
        assert_eq!(v.iter().map(|u| u.port).collect::<Vec<_>>(), [1222, 1223, 1224]);
        assert!(parse_url_list(" , ").is_err());
    }

    /// Issue 7 and issue 8 defect 1: a non-ASCII character after `%` panicked (byte slicing of
    /// a `&str`); a `%` that does not start a valid escape is now an invalid argument.
    #[test]
    fn bad_percent_escapes_are_invalid_argument_not_panic() {
        for bad in [
            "nats://a:%é@h",
            "nats://a:%1é@h:4222",
            "nats://a:%Aé@h:4222",
            "nats://a:%2€@h:4222",
            "nats://%1é@h",
            "nats://u%é:p@h",
            "nats://a:%@h",
            "nats://a:%4@h",
            "nats://a:%zz@h",
            "nats://a:%ff@h",
        ] {
            let r = std::panic::catch_unwind(|| ServerUrl::parse(bad)).unwrap_or_else(|_| panic!("ServerUrl::parse panicked on {bad:?}"));
            assert_eq!(r.unwrap_err().status, Status::InvalidArgument, "{bad:?}");
            let list = format!("nats://ok:4222, {bad}");
            let r = std::panic::catch_unwind(|| parse_url_list(&list)).unwrap_or_else(|_| panic!("parse_url_list panicked on {bad:?}"));
            assert_eq!(r.unwrap_err().status, Status::InvalidArgument, "{bad:?}");
            let r = std::panic::catch_unwind(|| Options::new().set_url(bad)).unwrap_or_else(|_| panic!("set_url panicked on {bad:?}"));
            assert_eq!(r.unwrap_err().status, Status::InvalidArgument, "{bad:?}");
        }
    }

    /// Issue 8 defect 12: a `+` sign or a second colon in the port was accepted (`h:1:2` became
    /// host `h:1`).
    #[test]
    fn ports_and_hosts_are_strict() {
        for bad in [
            "nats://h:+4222",
            "nats://h:1:2",
            "h:1:2",
            "h:+4222",
            "nats://h:-1",
            "nats://h: 4222",
            "nats://h:4222x",
            "nats://::1:4222",
            "nats://h/path",
            "nats://h?q=1",
            "nats://h#frag",
            "nats://h\n:4222",
            "nats://a b:4222",
            "nats://",
            "nats://u@",
            "nats:///h",
            "ws://h:4222",
            "wss://h:4222",
        ] {
            let r = std::panic::catch_unwind(|| ServerUrl::parse(bad)).unwrap_or_else(|_| panic!("panicked on {bad:?}"));
            assert_eq!(r.map(|u| u.display()).unwrap_err().status, Status::InvalidArgument, "{bad:?}");
        }
    }

    #[test]
    fn url_forms_and_credentials_are_kept() {
        let u = ServerUrl::parse("NATS://H.example:4223").unwrap();
        assert_eq!((u.scheme.as_str(), u.host.as_str(), u.port), ("nats", "H.example", 4223));
        let u = ServerUrl::parse("  host:5555/ ").unwrap();
        assert_eq!((u.display().as_str(), u.user.as_deref(), u.token.as_deref()), ("nats://host:5555", None, None));
        let u = ServerUrl::parse("tls://[::1]").unwrap();
        assert!(u.is_tls());
        assert_eq!((u.host.as_str(), u.port, u.display().as_str()), ("::1", 4222, "tls://[::1]:4222"));
        let u = ServerUrl::parse("nats://127.0.0.1:4222/").unwrap();
        assert_eq!((u.host.as_str(), u.port, u.tls_host.as_deref()), ("127.0.0.1", 4222, None));
        // user:password (first ':' splits; reserved characters percent-encoded or not)
        for (url, user, pass) in [
            ("nats://u:s3cr3t%21@h", "u", "s3cr3t!"),
            ("nats://u:p:x@h", "u", "p:x"),
            ("nats://u:p%3Ax@h", "u", "p:x"),
            ("nats://u:p%20w@h", "u", "p w"),
            ("nats://u%40corp:p@h", "u@corp", "p"),
            ("nats://u:p%C3%A9@h", "u", "pé"),
            ("nats://u:pé@h", "u", "pé"),
            ("nats://u:@h", "u", ""),
            ("nats://:pw@h", "", "pw"),
        ] {
            let u = ServerUrl::parse(url).unwrap();
            assert_eq!((u.user.as_deref(), u.password.as_deref(), u.token.as_deref()), (Some(user), Some(pass), None), "{url}");
            assert_eq!((u.host.as_str(), u.port), ("h", 4222), "{url}");
        }
        // token@ (the last '@' ends the credentials)
        for (url, token) in [("nats://t0k3n@h", "t0k3n"), ("nats://a@b@h:1", "a@b"), ("tok%2Fen@h", "tok/en")] {
            let u = ServerUrl::parse(url).unwrap();
            assert_eq!((u.user.as_deref(), u.password.as_deref(), u.token.as_deref()), (None, None, Some(token)), "{url}");
        }
    }

    #[test]
    fn announced_urls_are_parsed_or_reported() {
        let announced: Vec<String> =
            ["10.0.0.1:4222", "a:%1é@h:4222", "[::1]:4223", "h:1:2", "", "host"].iter().map(|s| s.to_string()).collect();
        let (good, bad) = parse_announced("tls", &announced);
        assert_eq!(good.iter().map(|u| u.display()).collect::<Vec<_>>(), ["tls://10.0.0.1:4222", "tls://[::1]:4223", "tls://host:4222"]);
        assert_eq!(bad.len(), 3);
        assert!(bad.iter().all(|e| e.status == Status::InvalidArgument && e.message.contains("announced a bad URL")));
        assert!(bad[0].message.contains("a:%1é@h:4222"), "{}", bad[0].message);
    }

    #[test]
    fn inbox_prefix_rules() {
        let mut o = Options::default();
        o.set_inbox_prefix("_X.Y.").unwrap();
        assert_eq!(o.inbox_prefix, "_X.Y");
        assert!(o.set_inbox_prefix("a b").is_err());
        assert!(o.set_inbox_prefix("a.*").is_err());
        assert!(o.set_inbox_prefix("").is_err());
    }
}
