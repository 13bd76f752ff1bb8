//! Services (the NATS "micro" protocol, ADR-32): a named, versioned service whose endpoints
//! answer requests, with discovery (`$SRV.PING`, `$SRV.INFO`, `$SRV.STATS`, each also per name
//! and per name and id) and per-endpoint statistics. Built on the connection's public API only;
//! replies use the same JSON as nats.go's `micro` and nats-py's `micro`.

mod json;
mod request;
mod time;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use parking_lot::Mutex;

pub use json::{EndpointInfo, EndpointStats, ServiceInfo, ServicePing, ServiceStats};
pub use request::Request;

use crate::error::{err, Result};
use crate::proto::subject;
use crate::{Connection, Subscription};

/// Prefix of the discovery subjects.
pub const DEFAULT_PREFIX: &str = "$SRV";
/// Queue group of endpoints that name none (every endpoint queue-subscribes).
pub const DEFAULT_QUEUE_GROUP: &str = "q";
/// Header that carries an error description in a reply.
pub const ERROR_HEADER: &str = "Nats-Service-Error";
/// Header that carries an error code in a reply.
pub const ERROR_CODE_HEADER: &str = "Nats-Service-Error-Code";
/// The error code given when a handler reports an error without one.
pub const DEFAULT_ERROR_CODE: &str = "500";

/// Handles one request; runs on the endpoint's dispatcher thread, one request at a time.
pub type RequestHandler = Arc<dyn Fn(&Request) + Send + Sync>;
/// Builds the `data` field of an endpoint's stats.
pub type StatsHandler = Arc<dyn Fn(&EndpointStats) -> serde_json::Value + Send + Sync>;

/// What a service is.
#[derive(Clone, Default)]
pub struct ServiceConfig {
    /// Letters, digits, `-` and `_`.
    pub name: String,
    /// Semantic version, e.g. `1.0.0`.
    pub version: String,
    pub description: String,
    pub metadata: BTreeMap<String, String>,
    /// Queue group of the endpoints that name none (default `q`).
    pub queue_group: Option<String>,
    pub stats_handler: Option<StatsHandler>,
}

/// What an endpoint is.
#[derive(Clone, Default)]
pub struct EndpointConfig {
    pub name: String,
    /// Default: the name (prefixed by the group's name inside a group).
    pub subject: Option<String>,
    pub queue_group: Option<String>,
    pub metadata: BTreeMap<String, String>,
}

/// An endpoint's live counters.
pub(crate) struct Counters {
    requests: AtomicU64,
    errors: AtomicU64,
    processing_ns: AtomicU64,
    last_error: Mutex<String>,
}

impl Counters {
    fn new() -> Counters {
        Counters {
            requests: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            processing_ns: AtomicU64::new(0),
            last_error: Mutex::new(String::new()),
        }
    }

    pub(crate) fn error(&self, text: String) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        *self.last_error.lock() = text;
    }

    fn reset(&self) {
        self.requests.store(0, Ordering::Relaxed);
        self.errors.store(0, Ordering::Relaxed);
        self.processing_ns.store(0, Ordering::Relaxed);
        self.last_error.lock().clear();
    }
}

struct Endpoint {
    name: String,
    subject: String,
    queue_group: String,
    metadata: BTreeMap<String, String>,
    counters: Arc<Counters>,
    sub: Subscription,
}

struct Inner {
    conn: Connection,
    cfg: ServiceConfig,
    id: String,
    started: Mutex<SystemTime>,
    endpoints: Mutex<Vec<Endpoint>>,
    discovery: Mutex<Vec<Subscription>>,
    stopped: AtomicBool,
}

/// A running service instance (cheap to clone).
#[derive(Clone)]
pub struct Service(Arc<Inner>);

/// A group of endpoints sharing a subject prefix (and possibly a queue group).
#[derive(Clone)]
pub struct Group {
    service: Service,
    prefix: String,
    queue_group: Option<String>,
}

fn valid_name(n: &str) -> bool {
    !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `MAJOR.MINOR.PATCH` with an optional `-pre` and `+build` (as semver.org).
fn valid_semver(v: &str) -> bool {
    let (core, _build) = v.split_once('+').map_or((v, None), |(a, b)| (a, Some(b)));
    let (core, pre) = core.split_once('-').map_or((core, None), |(a, b)| (a, Some(b)));
    let nums: Vec<&str> = core.split('.').collect();
    let num_ok = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    let ident_ok = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    nums.len() == 3
        && nums.iter().all(|n| num_ok(n))
        && pre.is_none_or(|p| p.split('.').all(ident_ok))
        && _build.is_none_or(|b| b.split('.').all(ident_ok))
}

impl Service {
    /// Starts a service on `conn`: validates the config and subscribes the discovery subjects.
    pub fn add(conn: &Connection, cfg: ServiceConfig) -> Result<Service> {
        if !valid_name(&cfg.name) {
            return Err(err!(InvalidArgument, "invalid service name '{}' (letters, digits, '-' and '_')", cfg.name));
        }
        if !valid_semver(&cfg.version) {
            return Err(err!(InvalidArgument, "invalid service version '{}' (semantic version expected)", cfg.version));
        }
        if let Some(q) = &cfg.queue_group {
            if !subject::valid_queue_name(q.as_bytes()) {
                return Err(err!(InvalidQueue, "invalid queue group '{}'", q));
            }
        }
        let svc = Service(Arc::new(Inner {
            conn: conn.clone(),
            id: crate::connection::nuid(),
            cfg,
            started: Mutex::new(SystemTime::now()),
            endpoints: Mutex::new(Vec::new()),
            discovery: Mutex::new(Vec::new()),
            stopped: AtomicBool::new(false),
        }));
        if let Err(e) = svc.subscribe_discovery() {
            let _ = svc.stop();
            return Err(e);
        }
        Ok(svc)
    }

    fn subscribe_discovery(&self) -> Result<()> {
        for verb in ["PING", "INFO", "STATS"] {
            for subj in [
                format!("{}.{}", DEFAULT_PREFIX, verb),
                format!("{}.{}.{}", DEFAULT_PREFIX, verb, self.0.cfg.name),
                format!("{}.{}.{}.{}", DEFAULT_PREFIX, verb, self.0.cfg.name, self.0.id),
            ] {
                let weak = Arc::downgrade(&self.0);
                let sub = self.0.conn.subscribe(
                    &subj,
                    None,
                    Box::new(move |_s, m| {
                        let Some(inner) = weak.upgrade() else { return };
                        let svc = Service(inner);
                        let body = match verb {
                            "PING" => serde_json::to_vec(&svc.ping()),
                            "INFO" => serde_json::to_vec(&svc.info()),
                            _ => serde_json::to_vec(&svc.stats()),
                        };
                        if let Ok(b) = body {
                            let _ = m.respond(&b);
                        }
                    }),
                )?;
                self.0.discovery.lock().push(sub);
            }
        }
        Ok(())
    }

    /// Adds an endpoint at the top level.
    pub fn add_endpoint(&self, cfg: EndpointConfig, handler: RequestHandler) -> Result<()> {
        self.add_endpoint_in("", None, cfg, handler)
    }

    /// A group: endpoints added to it get `<name>.` in front of their subject.
    pub fn add_group(&self, name: &str, queue_group: Option<&str>) -> Result<Group> {
        Group::new(self.clone(), String::new(), name, queue_group.map(str::to_string))
    }

    fn add_endpoint_in(&self, prefix: &str, group_queue: Option<&str>, cfg: EndpointConfig, handler: RequestHandler) -> Result<()> {
        if self.is_stopped() {
            return Err(err!(IllegalState, "the service is stopped"));
        }
        if !valid_name(&cfg.name) {
            return Err(err!(InvalidArgument, "invalid endpoint name '{}' (letters, digits, '-' and '_')", cfg.name));
        }
        let base = cfg.subject.clone().unwrap_or_else(|| cfg.name.clone());
        let subject = format!("{}{}", prefix, base);
        if !subject::valid_subscribe_subject(subject.as_bytes()) {
            return Err(err!(InvalidSubject, "invalid endpoint subject '{}'", subject));
        }
        let queue_group = cfg
            .queue_group
            .clone()
            .or_else(|| group_queue.map(str::to_string))
            .or_else(|| self.0.cfg.queue_group.clone())
            .unwrap_or_else(|| DEFAULT_QUEUE_GROUP.to_string());
        let counters = Arc::new(Counters::new());
        let c2 = counters.clone();
        let sub = self.0.conn.subscribe(
            &subject,
            Some(&queue_group),
            Box::new(move |_s, m| {
                let start = Instant::now();
                c2.requests.fetch_add(1, Ordering::Relaxed);
                let req = Request::new(m, c2.clone());
                handler(&req);
                c2.processing_ns.fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
            }),
        )?;
        self.0.endpoints.lock().push(Endpoint { name: cfg.name, subject, queue_group, metadata: cfg.metadata, counters, sub });
        Ok(())
    }

    pub fn id(&self) -> &str {
        &self.0.id
    }

    pub fn name(&self) -> &str {
        &self.0.cfg.name
    }

    pub fn version(&self) -> &str {
        &self.0.cfg.version
    }

    pub fn ping(&self) -> ServicePing {
        ServicePing::new(&self.0.cfg, &self.0.id)
    }

    pub fn info(&self) -> ServiceInfo {
        let eps = self.0.endpoints.lock();
        ServiceInfo::new(
            &self.0.cfg,
            &self.0.id,
            eps.iter()
                .map(|e| EndpointInfo {
                    name: e.name.clone(),
                    subject: e.subject.clone(),
                    queue_group: e.queue_group.clone(),
                    metadata: e.metadata.clone(),
                })
                .collect(),
        )
    }

    pub fn stats(&self) -> ServiceStats {
        let eps = self.0.endpoints.lock();
        let endpoints = eps
            .iter()
            .map(|e| {
                let c = &e.counters;
                let requests = c.requests.load(Ordering::Relaxed);
                let processing = c.processing_ns.load(Ordering::Relaxed);
                let mut st = EndpointStats {
                    name: e.name.clone(),
                    subject: e.subject.clone(),
                    queue_group: e.queue_group.clone(),
                    num_requests: requests,
                    num_errors: c.errors.load(Ordering::Relaxed),
                    last_error: c.last_error.lock().clone(),
                    processing_time: processing,
                    average_processing_time: processing.checked_div(requests).unwrap_or(0),
                    data: serde_json::Value::Null,
                };
                if let Some(h) = &self.0.cfg.stats_handler {
                    st.data = h(&st);
                }
                st
            })
            .collect();
        ServiceStats::new(&self.0.cfg, &self.0.id, time::rfc3339(*self.0.started.lock()), endpoints)
    }

    /// Zeroes every endpoint's counters and restarts the clock.
    pub fn reset(&self) {
        *self.0.started.lock() = SystemTime::now();
        for e in self.0.endpoints.lock().iter() {
            e.counters.reset();
        }
    }

    /// Stops the endpoints (draining their requests) and the discovery subscriptions.
    pub fn stop(&self) -> Result<()> {
        if self.0.stopped.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let eps: Vec<Endpoint> = std::mem::take(&mut *self.0.endpoints.lock());
        for e in &eps {
            let _ = e.sub.drain();
        }
        for e in &eps {
            let _ = e.sub.drain_wait(std::time::Duration::from_secs(5));
            let _ = e.sub.unsubscribe();
        }
        // Keep the endpoints' shape for info/stats after stop.
        *self.0.endpoints.lock() = eps;
        for s in std::mem::take(&mut *self.0.discovery.lock()) {
            let _ = s.unsubscribe();
        }
        Ok(())
    }

    pub fn is_stopped(&self) -> bool {
        self.0.stopped.load(Ordering::Acquire)
    }
}

impl Group {
    fn new(service: Service, parent: String, name: &str, queue_group: Option<String>) -> Result<Group> {
        if name.is_empty() || !subject::valid_subscribe_subject(name.as_bytes()) {
            return Err(err!(InvalidArgument, "invalid group name '{}'", name));
        }
        Ok(Group { service, prefix: format!("{}{}.", parent, name), queue_group })
    }

    pub fn add_endpoint(&self, cfg: EndpointConfig, handler: RequestHandler) -> Result<()> {
        self.service.add_endpoint_in(&self.prefix, self.queue_group.as_deref(), cfg, handler)
    }

    /// A nested group (its queue group defaults to this group's).
    pub fn add_group(&self, name: &str, queue_group: Option<&str>) -> Result<Group> {
        let q = queue_group.map(str::to_string).or_else(|| self.queue_group.clone());
        Group::new(self.service.clone(), self.prefix.clone(), name, q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_versions() {
        assert!(valid_name("calc-svc_1"));
        assert!(!valid_name("a.b") && !valid_name(""));
        for ok in ["1.0.0", "0.1.2-alpha.1", "1.2.3+build.5", "10.20.30"] {
            assert!(valid_semver(ok), "{}", ok);
        }
        for bad in ["1.0", "01.0.0", "1.0.0-", "v1.0.0", "1.0.0.0", ""] {
            assert!(!valid_semver(bad), "{}", bad);
        }
    }
}
