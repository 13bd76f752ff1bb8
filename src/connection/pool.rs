//! The server pool: the servers a connection may use, explicit and discovered, with their
//! reconnect counters. One notion of "same server" (host and port) and one place that builds
//! entries.

use std::collections::HashSet;

use rand::seq::SliceRandom;

use crate::error::Error;
use crate::options::{parse_announced, ServerUrl, DEFAULT_SCHEME};
use crate::proto::ServerInfo;

/// Most servers a pool holds: discovered URLs past this are ignored (a hostile or broken
/// server could announce millions).
pub const MAX_POOL_SERVERS: usize = 1024;
/// Announced URLs looked at per INFO (the rest are ignored).
pub const MAX_ANNOUNCED_URLS: usize = 4 * MAX_POOL_SERVERS;

/// The identity of a server in the pool.
type Key = (String, u16);

fn key(u: &ServerUrl) -> Key {
    (u.host.clone(), u.port)
}

/// Whether two URLs name the same server (host and port; scheme and credentials do not count).
pub(super) fn same_server(a: &ServerUrl, b: &ServerUrl) -> bool {
    a.host == b.host && a.port == b.port
}

pub(super) struct Entry {
    pub(super) url: ServerUrl,
    /// Failed attempts since the last success.
    reconnects: i64,
    /// Learned from the cluster (INFO connect_urls), not given by the user.
    implicit: bool,
    last_auth_error: Option<String>,
    /// Refused the same credentials twice in a row: dropped from the pool.
    auth_abort: bool,
}

impl Entry {
    fn new(url: ServerUrl, implicit: bool) -> Entry {
        Entry { url, reconnects: 0, implicit, last_auth_error: None, auth_abort: false }
    }
}

pub(super) struct Pool {
    servers: Vec<Entry>,
    current: Option<ServerUrl>,
    /// Every server ever announced by the cluster (the discovered event fires once per URL).
    ever_seen: HashSet<Key>,
}

impl Pool {
    /// The user's servers, shuffled unless `no_randomize`.
    pub(super) fn new(urls: &[ServerUrl], no_randomize: bool) -> Pool {
        let mut servers: Vec<Entry> = urls.iter().map(|u| Entry::new(u.clone(), false)).collect();
        if !no_randomize && servers.len() > 1 {
            servers.shuffle(&mut rand::thread_rng());
        }
        Pool { servers, current: None, ever_seen: HashSet::new() }
    }

    pub(super) fn urls(&self) -> Vec<ServerUrl> {
        self.servers.iter().map(|s| s.url.clone()).collect()
    }

    pub(super) fn current(&self) -> Option<&ServerUrl> {
        self.current.as_ref()
    }

    pub(super) fn displays(&self, implicit_only: bool) -> Vec<String> {
        self.servers.iter().filter(|s| !implicit_only || s.implicit).map(|s| s.url.display()).collect()
    }

    pub(super) fn any_tls(&self) -> bool {
        self.servers.iter().any(|s| s.url.is_tls())
    }

    /// Connected to `url`: it is current and its attempt counter starts over. A remembered
    /// auth refusal stays until the server proves healthy (see `healthy`): a server that
    /// accepts a handshake and then drops us for expired credentials is no good target.
    pub(super) fn connected(&mut self, url: &ServerUrl) {
        self.current = Some(url.clone());
        for s in self.servers.iter_mut().filter(|s| same_server(&s.url, url)) {
            s.reconnects = 0;
        }
    }

    /// The current server answered a keep-alive or ended the connection for a reason other
    /// than credentials: forget its auth refusals.
    pub(super) fn healthy(&mut self) {
        if let Some(cur) = self.current.clone() {
            for s in self.servers.iter_mut().filter(|s| same_server(&s.url, &cur)) {
                s.last_auth_error = None;
            }
        }
    }

    /// The connection to the current server was lost: it goes to the back of the pool.
    pub(super) fn lost_current(&mut self) {
        if let Some(cur) = self.current.take() {
            if let Some(i) = self.servers.iter().position(|s| same_server(&s.url, &cur)) {
                let e = self.servers.remove(i);
                self.servers.push(e);
            }
        }
    }

    /// The servers worth another attempt, in order; the others leave the pool.
    pub(super) fn candidates(&mut self, max_reconnect: i64) -> Vec<ServerUrl> {
        self.servers.retain(|s| !s.auth_abort && (max_reconnect < 0 || s.reconnects < max_reconnect));
        self.urls()
    }

    /// Failed attempts on `url` since it was last connected to (0 if it is not in the pool).
    pub(super) fn reconnects(&self, url: &ServerUrl) -> u64 {
        self.servers.iter().find(|s| s.url == *url).map_or(0, |s| s.reconnects.max(0) as u64)
    }

    /// One more attempt on `url`.
    pub(super) fn attempt(&mut self, url: &ServerUrl) {
        if let Some(s) = self.servers.iter_mut().find(|s| s.url == *url) {
            s.reconnects += 1;
        }
    }

    /// `url` refused our credentials with `message`; the same refusal twice in a row drops it.
    pub(super) fn auth_failed(&mut self, url: &ServerUrl, message: &str) {
        if let Some(s) = self.servers.iter_mut().find(|s| s.url == *url) {
            if s.last_auth_error.as_deref() == Some(message) {
                s.auth_abort = true;
            }
            s.last_auth_error = Some(message.to_string());
        }
    }

    /// Replaces the pool with `urls`, in that order, as explicit servers (`set_server_pool`): a
    /// server already in the pool keeps its attempt count and auth state; the current
    /// connection is not touched (the new pool is used from the next reconnect on).
    pub(super) fn replace(&mut self, urls: Vec<ServerUrl>) {
        let mut old = std::mem::take(&mut self.servers);
        let mut seen: HashSet<Key> = HashSet::with_capacity(urls.len());
        for u in urls.into_iter().take(MAX_POOL_SERVERS) {
            if !seen.insert(key(&u)) {
                continue;
            }
            let e = match old.iter().position(|e| same_server(&e.url, &u)) {
                Some(i) => {
                    let mut e = old.swap_remove(i);
                    e.url = u;
                    e.implicit = false;
                    e
                }
                None => Entry::new(u, false),
            };
            self.servers.push(e);
        }
    }

    /// (URL without credentials, failed attempts since its last success, learned from the
    /// cluster) for every server in the pool, in order.
    pub(super) fn entries(&self) -> Vec<(String, u64, bool)> {
        self.servers.iter().map(|s| (s.url.display(), s.reconnects.max(0) as u64, s.implicit)).collect()
    }

    /// Applies INFO `connect_urls`: unseen servers join as implicit ones, implicit ones no longer
    /// announced leave (never explicit ones or the current one). Linear in the number of URLs;
    /// at most `MAX_POOL_SERVERS` entries (only the first `MAX_ANNOUNCED_URLS` announced URLs
    /// are looked at). Returns (a server never seen before was added, errors for URLs that
    /// could not be parsed).
    pub(super) fn apply_discovered(&mut self, info: &ServerInfo, no_randomize: bool) -> (bool, Vec<Error>) {
        if info.connect_urls.is_empty() {
            return (false, Vec::new());
        }
        let scheme = self.current.as_ref().map(|u| u.scheme.clone()).unwrap_or_else(|| DEFAULT_SCHEME.into());
        let considered = &info.connect_urls[..info.connect_urls.len().min(MAX_ANNOUNCED_URLS)];
        let (parsed, bad) = parse_announced(&scheme, considered);
        let mut announced: Vec<ServerUrl> = Vec::with_capacity(parsed.len().min(MAX_POOL_SERVERS));
        let mut announced_keys: HashSet<Key> = HashSet::with_capacity(announced.capacity());
        for mut u in parsed {
            if announced.len() >= MAX_POOL_SERVERS {
                break;
            }
            if let Some(cur) = self.current.as_ref() {
                // Verify TLS against the name the user gave when the cluster announces bare IPs.
                if u.host.parse::<std::net::IpAddr>().is_ok() && cur.host.parse::<std::net::IpAddr>().is_err() {
                    u.tls_host = Some(cur.tls_host.clone().unwrap_or_else(|| cur.host.clone()));
                }
            }
            if announced_keys.insert(key(&u)) {
                announced.push(u);
            }
        }
        let current = self.current.as_ref().map(key);
        self.servers.retain(|s| !s.implicit || current.as_ref() == Some(&key(&s.url)) || announced_keys.contains(&key(&s.url)));
        let mut present: HashSet<Key> = self.servers.iter().map(|s| key(&s.url)).collect();
        let before = self.servers.len();
        let mut new_seen = false;
        for u in announced {
            if self.servers.len() >= MAX_POOL_SERVERS {
                break;
            }
            let k = key(&u);
            if !present.insert(k.clone()) {
                continue;
            }
            new_seen |= self.ever_seen.insert(k);
            self.servers.push(Entry::new(u, true));
        }
        if self.servers.len() > before + 1 && !no_randomize {
            self.servers[before..].shuffle(&mut rand::thread_rng());
        }
        (new_seen, bad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(urls: &[String]) -> ServerInfo {
        ServerInfo { connect_urls: urls.to_vec(), ..Default::default() }
    }

    #[test]
    fn discovery_adds_removes_and_reports_new_once() {
        let mut p = Pool::new(&[ServerUrl::parse("nats://127.0.0.1:4222").unwrap()], true);
        p.connected(&ServerUrl::parse("nats://127.0.0.1:4222").unwrap());
        let (new, bad) = p.apply_discovered(&info(&["127.0.0.1:4223".into(), "127.0.0.1:4224".into()]), true);
        assert!(new && bad.is_empty());
        assert_eq!(p.displays(true).len(), 2);
        let (new, _) = p.apply_discovered(&info(&["127.0.0.1:4223".into()]), true);
        assert!(!new);
        assert_eq!(p.displays(true), vec!["nats://127.0.0.1:4223".to_string()]);
        // Explicit servers never leave.
        assert_eq!(p.displays(false).len(), 2);
    }

    #[test]
    fn huge_connect_urls_are_capped_and_linear() {
        let mut p = Pool::new(&[ServerUrl::parse("nats://127.0.0.1:4222").unwrap()], true);
        let urls: Vec<String> = (0..50_000).map(|i| format!("10.{}.{}.{}:4222", i / 65536, (i / 256) % 256, i % 256)).collect();
        let t = std::time::Instant::now();
        p.apply_discovered(&info(&urls), false);
        p.apply_discovered(&info(&urls), false);
        assert!(p.displays(false).len() <= MAX_POOL_SERVERS);
        // Generous bound: the quadratic version took 11 s for 50k URLs.
        assert!(t.elapsed() < std::time::Duration::from_secs(5), "{:?}", t.elapsed());
    }

    #[test]
    fn replace_keeps_state_of_known_servers() {
        let a = ServerUrl::parse("nats://127.0.0.1:4222").unwrap();
        let b = ServerUrl::parse("nats://127.0.0.1:4223").unwrap();
        let mut p = Pool::new(std::slice::from_ref(&a), true);
        p.attempt(&a);
        p.attempt(&a);
        p.replace(vec![b.clone(), a.clone(), b.clone()]);
        assert_eq!(p.displays(false), vec!["nats://127.0.0.1:4223".to_string(), "nats://127.0.0.1:4222".to_string()]);
        assert_eq!(p.reconnects(&a), 2);
        assert_eq!(p.entries()[0], ("nats://127.0.0.1:4223".to_string(), 0, false));
    }

    #[test]
    fn bad_discovered_urls_are_reported_not_fatal() {
        let mut p = Pool::new(&[ServerUrl::parse("nats://127.0.0.1:4222").unwrap()], true);
        let (_, bad) = p.apply_discovered(&info(&["a:%1é@h:4222".into(), "127.0.0.1:4300".into()]), true);
        assert_eq!(bad.len(), 1);
        assert_eq!(p.displays(true), vec!["nats://127.0.0.1:4300".to_string()]);
    }
}
