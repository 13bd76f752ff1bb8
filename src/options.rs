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

impl ServerUrl {
    /// Parses `nats://user:pass@host:port`, `tls://token@host`, `host:port`, `[::1]:4222` ...
    pub fn parse(s: &str) -> Result<ServerUrl> {
        let s = s.trim();
        if s.is_empty() {
            return Err(err!(InvalidArgument, "empty server URL"));
        }
        let (scheme, rest) = match s.find("://") {
            Some(i) => (s[..i].to_ascii_lowercase(), &s[i + 3..]),
            None => ("nats".to_string(), s),
        };
        match scheme.as_str() {
            "nats" | "tls" => {}
            other => return Err(err!(InvalidArgument, "unsupported URL scheme '{}' in '{}'", other, s)),
        }
        let rest = rest.trim_end_matches('/');
        let (userinfo, hostport) = match rest.rfind('@') {
            Some(i) => (Some(&rest[..i]), &rest[i + 1..]),
            None => (None, rest),
        };
        let (mut user, mut password, mut token) = (None, None, None);
        if let Some(ui) = userinfo {
            match ui.find(':') {
                Some(i) => {
                    user = Some(percent_decode(&ui[..i]));
                    password = Some(percent_decode(&ui[i + 1..]));
                }
                None => token = Some(percent_decode(ui)),
            }
        }
        let (host, port) = if let Some(stripped) = hostport.strip_prefix('[') {
            let end = stripped
                .find(']')
                .ok_or_else(|| err!(InvalidArgument, "unterminated IPv6 address in '{}'", s))?;
            let host = &stripped[..end];
            let after = &stripped[end + 1..];
            let port = match after.strip_prefix(':') {
                Some(p) => parse_port(p, s)?,
                None if after.is_empty() => 4222,
                None => return Err(err!(InvalidArgument, "bad server URL '{}'", s)),
            };
            (host.to_string(), port)
        } else {
            match hostport.rfind(':') {
                Some(i) => (hostport[..i].to_string(), parse_port(&hostport[i + 1..], s)?),
                None => (hostport.to_string(), 4222),
            }
        };
        if host.is_empty() || host.contains(|c: char| c.is_whitespace() || c == '/') {
            return Err(err!(InvalidArgument, "bad host in server URL '{}'", s));
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

fn parse_port(p: &str, whole: &str) -> Result<u16> {
    p.parse::<u16>()
        .ok()
        .filter(|v| *v != 0)
        .ok_or_else(|| err!(InvalidArgument, "bad port in server URL '{}'", whole))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
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
}

impl Default for Options {
    fn default() -> Options {
        Options {
            servers: Vec::new(),
            name: None,
            no_echo: false,
            verbose: false,
            pedantic: false,
            inbox_prefix: "_INBOX".to_string(),
            ping_interval: Duration::from_secs(120),
            max_pings_out: 2,
            connect_timeout: Duration::from_secs(2),
            auth: crate::auth::AuthOptions::default(),
            tls: crate::tls::TlsOptions::default(),
            old_request_style: false,
            sub_pending_msgs: 512 * 1024,
            sub_pending_bytes: 64 * 1024 * 1024,
            drain_timeout: Duration::from_secs(30),
            delivery_pool_threads: 0,
            allow_reconnect: true,
            max_reconnect: 60,
            reconnect_wait: Duration::from_secs(2),
            reconnect_jitter: Duration::from_millis(100),
            reconnect_jitter_tls: Duration::from_secs(1),
            reconnect_buf_size: 8 * 1024 * 1024,
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

    #[test]
    fn url_forms() {
        let u = ServerUrl::parse("nats://alice:p%40ss@host.example:4223").unwrap();
        assert_eq!((u.host.as_str(), u.port, u.user.as_deref(), u.password.as_deref()), ("host.example", 4223, Some("alice"), Some("p@ss")));
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
