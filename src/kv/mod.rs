//! Key-value store (protocol.md §2.10, ADR-8) on the JetStream public API, byte-compatible with
//! nats.go and nats-py buckets: bucket `B` is stream `KV_B` with subjects `$KV.B.>`, a key `k` is
//! subject `$KV.B.k`, its revision the stream sequence.
//!
//! Bucket management is here ([`JetStream::create_key_value`], `update_key_value`, `key_value`,
//! `delete_key_value`, `key_value_store_names`); the operations are in `store.rs`, watchers in
//! `watch.rs`, entries in `entry.rs`.

use std::time::Duration;

use serde_json::{json, Value};

use crate::error::{err, Result};
use crate::jetstream::{DiscardPolicy, JetStream, StorageType, StreamConfig, StreamInfo};

pub mod entry;
pub mod store;
pub mod watch;

pub use entry::{Entry, Operation};
pub use store::KeyValue;
pub use watch::{WatchOptions, Watcher};

/// Stream name prefix of a bucket.
pub const KV_STREAM_PREFIX: &str = "KV_";
/// Subject prefix of a bucket's keys.
pub const KV_SUBJECT_PREFIX: &str = "$KV.";
/// Default and maximum history (values kept per key).
pub const KV_DEFAULT_HISTORY: u8 = 1;
pub const KV_MAX_HISTORY: u8 = 64;
/// Duplicate window of a bucket (or its TTL when shorter), as nats.go.
pub const KV_DUPLICATE_WINDOW: Duration = Duration::from_secs(2 * 60);
/// What `purge_deletes` removes entirely by default: markers older than this.
pub const KV_DEFAULT_PURGE_DELETES_MARKER_THRESHOLD: Duration = Duration::from_secs(30 * 60);
/// The backing store name reported by [`KvStatus::backing_store`].
pub const KV_BACKING_STORE: &str = "JetStream";

/// A bucket's configuration.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KvConfig {
    pub bucket: String,
    pub description: Option<String>,
    /// Largest value accepted (None: unlimited).
    pub max_value_size: Option<i32>,
    /// Values kept per key, 1 to 64 (0 means the default, 1).
    pub history: u8,
    /// How long a value lives (None: forever).
    pub ttl: Option<Duration>,
    /// Size limit of the bucket (None: unlimited).
    pub max_bytes: Option<i64>,
    /// File (default) or memory.
    pub storage: Option<StorageType>,
    /// Replicas (0 means 1).
    pub replicas: u32,
    /// S2 compression of the stream (server 2.10+).
    pub compression: bool,
    /// Stream placement JSON (`{"cluster":..,"tags":[..]}`).
    pub placement: Option<Value>,
    /// Republish JSON (`{"src":..,"dest":..,"headers_only":..}`).
    pub republish: Option<Value>,
    /// Mirror another bucket: its stream source JSON; `name` may be a bucket name (prefixed `KV_`).
    pub mirror: Option<Value>,
    /// Source other buckets: stream source JSONs, `name` may be bucket names.
    pub sources: Vec<Value>,
    /// Stream metadata (server 2.10+).
    pub metadata: Option<Value>,
    /// Server 2.11+: per-key TTLs allowed (`create_with_ttl`, `purge_with_ttl`) and the server
    /// leaves a marker this long when a key's value expires (`subject_delete_marker_ttl`).
    pub limit_marker_ttl: Option<Duration>,
}

impl KvConfig {
    pub fn new(bucket: &str) -> KvConfig {
        KvConfig { bucket: bucket.to_string(), ..Default::default() }
    }

    /// The backing stream's configuration, as nats.go builds it.
    pub fn to_stream_config(&self) -> Result<StreamConfig> {
        validate_bucket(&self.bucket)?;
        let history = if self.history == 0 { KV_DEFAULT_HISTORY } else { self.history };
        if history > KV_MAX_HISTORY {
            return Err(err!(InvalidArgument, "history {} is above the maximum {}", history, KV_MAX_HISTORY));
        }
        let mut duplicate_window = KV_DUPLICATE_WINDOW;
        if let Some(ttl) = self.ttl {
            if !ttl.is_zero() && ttl < duplicate_window {
                duplicate_window = ttl;
            }
        }
        let mut cfg = StreamConfig::new(&stream_name(&self.bucket), &[]);
        cfg.description = self.description.clone();
        cfg.max_msgs_per_subject = Some(history as i64);
        cfg.max_bytes = Some(self.max_bytes.unwrap_or(-1));
        cfg.max_age = Some(self.ttl.unwrap_or(Duration::ZERO));
        cfg.max_msg_size = Some(self.max_value_size.unwrap_or(-1));
        cfg.max_msgs = Some(-1);
        cfg.max_consumers = Some(-1);
        cfg.storage = Some(self.storage.unwrap_or(StorageType::File));
        cfg.num_replicas = Some(self.replicas.max(1));
        cfg.allow_rollup_hdrs = Some(true);
        cfg.deny_delete = Some(true);
        cfg.allow_direct = Some(true);
        cfg.discard = Some(DiscardPolicy::New);
        cfg.duplicate_window = Some(duplicate_window);
        if self.compression {
            cfg.extra.insert("compression".into(), json!("s2"));
        }
        if let Some(p) = &self.placement {
            cfg.extra.insert("placement".into(), p.clone());
        }
        if let Some(r) = &self.republish {
            cfg.extra.insert("republish".into(), r.clone());
        }
        if let Some(t) = self.limit_marker_ttl {
            cfg.extra.insert("allow_msg_ttl".into(), json!(true));
            cfg.extra.insert("subject_delete_marker_ttl".into(), json!(t.as_nanos() as u64));
        }
        if let Some(m) = &self.metadata {
            cfg.extra.insert("metadata".into(), m.clone());
        }
        if let Some(m) = &self.mirror {
            let mut m = m.clone();
            prefix_source_name(&mut m);
            cfg.extra.insert("mirror".into(), m);
            cfg.extra.insert("mirror_direct".into(), json!(true));
        } else {
            cfg.subjects = vec![format!("{}{}.>", KV_SUBJECT_PREFIX, self.bucket)];
            if !self.sources.is_empty() {
                let sources: Vec<Value> = self
                    .sources
                    .iter()
                    .map(|s| {
                        let mut s = s.clone();
                        let origin = prefix_source_name(&mut s);
                        if let Some(origin) = origin {
                            if origin != self.bucket && s.get("subject_transforms").is_none() && s.get("external").is_none() {
                                s["subject_transforms"] = json!([{
                                    "src": format!("{}{}.>", KV_SUBJECT_PREFIX, origin),
                                    "dest": format!("{}{}.>", KV_SUBJECT_PREFIX, self.bucket),
                                }]);
                            }
                        }
                        s
                    })
                    .collect();
                cfg.extra.insert("sources".into(), Value::Array(sources));
            }
        }
        Ok(cfg)
    }
}

/// Makes a source's `name` a stream name (`KV_<bucket>`); returns the bucket name.
fn prefix_source_name(src: &mut Value) -> Option<String> {
    let name = src.get("name")?.as_str()?.to_string();
    let bucket = name.strip_prefix(KV_STREAM_PREFIX).unwrap_or(&name).to_string();
    src["name"] = json!(stream_name(&bucket));
    Some(bucket)
}

/// A bucket's state.
#[derive(Debug, Clone)]
pub struct KvStatus {
    pub bucket: String,
    /// Messages stored (values and markers, all revisions).
    pub values: u64,
    /// Values kept per key.
    pub history: i64,
    /// Zero when values never expire.
    pub ttl: Duration,
    pub bytes: u64,
    pub is_compressed: bool,
    /// Always [`KV_BACKING_STORE`].
    pub backing_store: &'static str,
    /// The backing stream's info.
    pub stream_info: StreamInfo,
}

impl KvStatus {
    pub(crate) fn from_info(bucket: &str, info: StreamInfo) -> KvStatus {
        KvStatus {
            bucket: bucket.to_string(),
            values: info.state.messages,
            history: info.config.max_msgs_per_subject.unwrap_or(1),
            ttl: info.config.max_age.unwrap_or(Duration::ZERO),
            bytes: info.state.bytes,
            is_compressed: info.config.extra.get("compression").and_then(Value::as_str).is_some_and(|c| c != "none"),
            backing_store: KV_BACKING_STORE,
            stream_info: info,
        }
    }
}

impl KvStatus {
    /// The bucket's configuration as stored by the server (to change and pass to `update_key_value`).
    pub fn config(&self) -> KvConfig {
        let c = &self.stream_info.config;
        let get = |k: &str| c.extra.get(k).filter(|v| !v.is_null()).cloned();
        KvConfig {
            bucket: self.bucket.clone(),
            description: c.description.clone(),
            max_value_size: c.max_msg_size.filter(|v| *v >= 0),
            history: c.max_msgs_per_subject.unwrap_or(1).clamp(1, KV_MAX_HISTORY as i64) as u8,
            ttl: c.max_age.filter(|d| !d.is_zero()),
            max_bytes: c.max_bytes.filter(|v| *v >= 0),
            storage: c.storage,
            replicas: c.num_replicas.unwrap_or(1),
            compression: self.is_compressed,
            placement: get("placement"),
            republish: get("republish"),
            mirror: get("mirror"),
            sources: get("sources").and_then(|v| v.as_array().cloned()).unwrap_or_default(),
            metadata: get("metadata"),
            limit_marker_ttl: get("subject_delete_marker_ttl").and_then(|v| v.as_u64()).filter(|n| *n > 0).map(Duration::from_nanos),
        }
    }
}

/// `KV_<bucket>`.
pub fn stream_name(bucket: &str) -> String {
    format!("{}{}", KV_STREAM_PREFIX, bucket)
}

/// A bucket name: one or more of `[a-zA-Z0-9_-]`.
pub fn validate_bucket(bucket: &str) -> Result<()> {
    if bucket.is_empty() || !bucket.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-') {
        return Err(err!(InvalidArgument, "invalid bucket name '{}'", bucket));
    }
    Ok(())
}

fn key_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'/' | b'_' | b'=' | b'.')
}

/// A key: `[-/_=.a-zA-Z0-9]+`, not starting or ending with `.`.
pub fn validate_key(key: &str) -> Result<()> {
    if key.is_empty() || key.starts_with('.') || key.ends_with('.') || !key.bytes().all(key_char) {
        return Err(err!(InvalidArgument, "invalid key '{}'", key));
    }
    Ok(())
}

/// A watch or keys filter: a key that may also hold `*` tokens and a final `>`.
pub fn validate_key_filter(filter: &str) -> Result<()> {
    let bad = || err!(InvalidArgument, "invalid key filter '{}'", filter);
    if filter.is_empty() || filter.starts_with('.') || filter.ends_with('.') {
        return Err(bad());
    }
    let tokens: Vec<&str> = filter.split('.').collect();
    for (i, t) in tokens.iter().enumerate() {
        let ok = match *t {
            "" => false,
            "*" => true,
            ">" => i + 1 == tokens.len(),
            t => t.bytes().all(key_char),
        };
        if !ok {
            return Err(bad());
        }
    }
    Ok(())
}

impl JetStream {
    /// Creates a bucket (succeeds when one exists with the same configuration).
    pub fn create_key_value(&self, cfg: &KvConfig) -> Result<KeyValue> {
        let info = self.add_stream(&cfg.to_stream_config()?)?;
        Ok(KeyValue::new(self.clone(), &cfg.bucket, &info))
    }

    /// Changes a bucket's configuration (history, TTL, limits, replicas, ...).
    pub fn update_key_value(&self, cfg: &KvConfig) -> Result<KeyValue> {
        let info = self.update_stream(&cfg.to_stream_config()?)?;
        Ok(KeyValue::new(self.clone(), &cfg.bucket, &info))
    }

    /// Creates the bucket, or updates it when it exists.
    pub fn create_or_update_key_value(&self, cfg: &KvConfig) -> Result<KeyValue> {
        match self.update_key_value(cfg) {
            Err(e) if e.status == crate::Status::NotFound => self.create_key_value(cfg),
            r => r,
        }
    }

    /// Binds to an existing bucket (`NotFound` when there is none).
    pub fn key_value(&self, bucket: &str) -> Result<KeyValue> {
        validate_bucket(bucket)?;
        let info = self.stream_info(&stream_name(bucket))?;
        if info.config.max_msgs_per_subject.unwrap_or(0) < 1 {
            return Err(err!(InvalidArgument, "stream '{}' is not a key-value bucket", stream_name(bucket)));
        }
        Ok(KeyValue::new(self.clone(), bucket, &info))
    }

    /// Deletes a bucket and all its values.
    pub fn delete_key_value(&self, bucket: &str) -> Result<()> {
        validate_bucket(bucket)?;
        self.delete_stream(&stream_name(bucket))
    }

    /// The names of all buckets.
    pub fn key_value_store_names(&self) -> Result<Vec<String>> {
        let names = self.stream_names(Some(&format!("{}*.>", KV_SUBJECT_PREFIX)))?;
        let mut out: Vec<String> = names.iter().filter_map(|n| n.strip_prefix(KV_STREAM_PREFIX).map(str::to_string)).collect();
        out.sort();
        Ok(out)
    }

    /// The status of every bucket.
    pub fn key_value_stores(&self) -> Result<Vec<KvStatus>> {
        let infos = self.streams(Some(&format!("{}*.>", KV_SUBJECT_PREFIX)))?;
        Ok(infos
            .into_iter()
            .filter_map(|i| {
                let b = i.config.name.strip_prefix(KV_STREAM_PREFIX)?.to_string();
                Some(KvStatus::from_info(&b, i))
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(validate_bucket("a-B_9").is_ok());
        assert!(validate_bucket("a.b").is_err() && validate_bucket("").is_err() && validate_bucket("a b").is_err());
        assert!(validate_key("a/b_c=d.e-f").is_ok());
        for k in ["", ".a", "a.", "a*", "a>", "a b", "ü"] {
            assert!(validate_key(k).is_err(), "{}", k);
        }
        for f in ["a.*", ">", "a.>", "*", "a.*.c"] {
            assert!(validate_key_filter(f).is_ok(), "{}", f);
        }
        for f in ["a.>.b", "a*", ".a", "a..b"] {
            assert!(validate_key_filter(f).is_err(), "{}", f);
        }
    }

    #[test]
    fn stream_config_like_nats_go() {
        let mut c = KvConfig::new("b");
        c.history = 5;
        c.ttl = Some(Duration::from_secs(30));
        let s = c.to_stream_config().unwrap();
        assert_eq!(s.name, "KV_b");
        assert_eq!(s.subjects, vec!["$KV.b.>"]);
        assert_eq!(s.max_msgs_per_subject, Some(5));
        assert_eq!(s.duplicate_window, Some(Duration::from_secs(30)));
        assert_eq!(s.discard, Some(DiscardPolicy::New));
        c.history = 65;
        assert!(c.to_stream_config().is_err());
    }
}
