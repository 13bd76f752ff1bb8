//! Object store (protocol.md §2, issue 10) on the JetStream public API, byte-compatible with
//! nats.go and nats-py stores: store `B` is stream `OBJ_B` with subjects `$O.B.C.>` (chunks) and
//! `$O.B.M.>` (meta). An object's chunks go to `$O.B.C.<nuid>` (a fresh NUID per put), its meta
//! (JSON [`ObjectInfo`]) to `$O.B.M.<base64url(name)>` with a `Nats-Rollup: sub` header, so each
//! name keeps one meta message. The digest is `SHA-256=<base64url of the SHA-256 of the data>`.
//!
//! Store management is here ([`JetStream::create_object_store`], `object_store`,
//! `delete_object_store`, `object_store_names`, `object_stores`); the store handle and its
//! meta operations are in `store.rs`, putting in `put.rs`, getting in `get.rs`, watchers in
//! `watch.rs`, the meta types and digest helpers in `meta.rs`.

use std::time::Duration;

use serde_json::{json, Value};

use crate::error::{err, Result};
use crate::jetstream::{DiscardPolicy, JetStream, StorageType, StreamConfig, StreamInfo};

pub mod get;
pub mod meta;
pub mod put;
pub mod store;
pub mod watch;

pub use get::ObjectReader;
pub use meta::{is_digest_mismatch, ObjectInfo, ObjectLink, ObjectMeta, ObjectMetaOptions};
pub use store::ObjectStore;
pub use watch::{ObjectWatchOptions, ObjectWatcher};

/// Stream name prefix of a store.
pub const OBJ_STREAM_PREFIX: &str = "OBJ_";
/// Subject prefix of a store's chunks and meta.
pub const OBJ_SUBJECT_PREFIX: &str = "$O.";
/// Default chunk size (nats.go, nats-py: 128 KiB).
pub const OBJ_DEFAULT_CHUNK_SIZE: usize = 128 * 1024;
/// The backing store name reported by [`ObjectStoreStatus::backing_store`].
pub const OBJ_BACKING_STORE: &str = "JetStream";

/// A store's configuration.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ObjectStoreConfig {
    pub bucket: String,
    pub description: Option<String>,
    /// How long objects live (None: forever).
    pub ttl: Option<Duration>,
    /// Size limit of the store (None: unlimited).
    pub max_bytes: Option<i64>,
    /// File (default) or memory.
    pub storage: Option<StorageType>,
    /// Replicas (0 means 1).
    pub replicas: u32,
    /// Stream placement JSON (`{"cluster":..,"tags":[..]}`).
    pub placement: Option<Value>,
    /// S2 compression of the stream (server 2.10+).
    pub compression: bool,
    /// Stream metadata (server 2.10+), a JSON object of strings.
    pub metadata: Option<Value>,
}

impl ObjectStoreConfig {
    pub fn new(bucket: &str) -> ObjectStoreConfig {
        ObjectStoreConfig { bucket: bucket.to_string(), ..Default::default() }
    }

    /// The backing stream's configuration, as nats.go builds it.
    pub fn to_stream_config(&self) -> Result<StreamConfig> {
        validate_bucket(&self.bucket)?;
        let chunks = format!("{}{}.C.>", OBJ_SUBJECT_PREFIX, self.bucket);
        let meta = format!("{}{}.M.>", OBJ_SUBJECT_PREFIX, self.bucket);
        let mut cfg = StreamConfig::new(&stream_name(&self.bucket), &[&chunks, &meta]);
        cfg.description = self.description.clone();
        cfg.max_age = Some(self.ttl.unwrap_or(Duration::ZERO));
        cfg.max_bytes = Some(self.max_bytes.unwrap_or(-1));
        cfg.storage = Some(self.storage.unwrap_or(StorageType::File));
        cfg.num_replicas = Some(self.replicas.max(1));
        cfg.discard = Some(DiscardPolicy::New);
        cfg.allow_rollup_hdrs = Some(true);
        cfg.allow_direct = Some(true);
        if self.compression {
            cfg.extra.insert("compression".into(), json!("s2"));
        }
        if let Some(p) = &self.placement {
            cfg.extra.insert("placement".into(), p.clone());
        }
        if let Some(m) = &self.metadata {
            cfg.extra.insert("metadata".into(), m.clone());
        }
        Ok(cfg)
    }
}

impl ObjectStoreConfig {
    /// The JSON form nats.go uses for an object store config: `bucket`, `description`, `max_age`
    /// (ns), `max_bytes`, `storage` (`file`/`memory`), `num_replicas`, `placement`,
    /// `compression` (bool), `metadata`.
    pub fn to_json(&self) -> String {
        let mut m = serde_json::Map::new();
        m.insert("bucket".into(), json!(self.bucket));
        if let Some(d) = &self.description {
            m.insert("description".into(), json!(d));
        }
        if let Some(t) = self.ttl {
            m.insert("max_age".into(), json!(t.as_nanos().min(i64::MAX as u128) as u64));
        }
        if let Some(b) = self.max_bytes {
            m.insert("max_bytes".into(), json!(b));
        }
        if let Some(s) = self.storage {
            m.insert("storage".into(), serde_json::to_value(s).expect("storage serializes"));
        }
        if self.replicas > 0 {
            m.insert("num_replicas".into(), json!(self.replicas));
        }
        if let Some(p) = &self.placement {
            m.insert("placement".into(), p.clone());
        }
        if self.compression {
            m.insert("compression".into(), json!(true));
        }
        if let Some(md) = &self.metadata {
            m.insert("metadata".into(), md.clone());
        }
        Value::Object(m).to_string()
    }

    /// Parses the JSON form of [`ObjectStoreConfig::to_json`] (unknown keys are ignored).
    pub fn from_json(s: &str) -> Result<ObjectStoreConfig> {
        let bad = |what: &str| err!(InvalidArgument, "bad object store config JSON: {}", what);
        let v: Value = serde_json::from_str(s).map_err(|e| bad(&e.to_string()))?;
        let o = v.as_object().ok_or_else(|| bad("not an object"))?;
        let get = |k: &str| o.get(k).filter(|v| !v.is_null());
        let bucket = get("bucket").and_then(Value::as_str).ok_or_else(|| bad("'bucket' (a string) is required"))?;
        let mut c = ObjectStoreConfig::new(bucket);
        c.description = get("description").and_then(Value::as_str).map(str::to_string);
        c.ttl = match get("max_age") {
            None => None,
            Some(n) => Some(Duration::from_nanos(n.as_u64().ok_or_else(|| bad("'max_age' must be nanoseconds"))?)).filter(|d| !d.is_zero()),
        };
        c.max_bytes = match get("max_bytes") {
            None => None,
            Some(n) => Some(n.as_i64().ok_or_else(|| bad("'max_bytes' must be an integer"))?).filter(|b| *b >= 0),
        };
        c.storage = match get("storage") {
            None => None,
            Some(s) => Some(serde_json::from_value(s.clone()).map_err(|_| bad("'storage' must be \"file\" or \"memory\""))?),
        };
        c.replicas = match get("num_replicas") {
            None => 0,
            Some(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()).ok_or_else(|| bad("'num_replicas' must be a small integer"))?,
        };
        c.placement = get("placement").cloned();
        c.compression = match get("compression") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s == "s2",
            Some(_) => return Err(bad("'compression' must be a boolean")),
        };
        c.metadata = get("metadata").cloned();
        Ok(c)
    }
}

/// A store's state.
#[derive(Debug, Clone)]
pub struct ObjectStoreStatus {
    pub bucket: String,
    pub description: Option<String>,
    /// Zero when objects never expire.
    pub ttl: Duration,
    pub storage: StorageType,
    pub replicas: u32,
    /// Whether the store is sealed (read-only).
    pub sealed: bool,
    /// Bytes stored (chunks and meta).
    pub size: u64,
    /// Always [`OBJ_BACKING_STORE`].
    pub backing_store: &'static str,
    pub metadata: Option<Value>,
    pub is_compressed: bool,
    /// The backing stream's info.
    pub stream_info: StreamInfo,
}

impl ObjectStoreStatus {
    pub(crate) fn from_info(bucket: &str, info: StreamInfo) -> ObjectStoreStatus {
        let c = &info.config;
        ObjectStoreStatus {
            bucket: bucket.to_string(),
            description: c.description.clone(),
            ttl: c.max_age.unwrap_or(Duration::ZERO),
            storage: c.storage.unwrap_or(StorageType::File),
            replicas: c.num_replicas.unwrap_or(1),
            sealed: c.sealed.unwrap_or(false),
            size: info.state.bytes,
            backing_store: OBJ_BACKING_STORE,
            metadata: c.extra.get("metadata").filter(|v| !v.is_null()).cloned(),
            is_compressed: c.extra.get("compression").and_then(Value::as_str).is_some_and(|c| c != "none"),
            stream_info: info,
        }
    }
}

impl ObjectStoreStatus {
    /// The status as JSON: `bucket`, `description`, `ttl` (ns), `storage`, `replicas`, `sealed`,
    /// `size`, `backing_store`, `is_compressed`, `metadata`.
    pub fn to_json(&self) -> String {
        json!({
            "bucket": self.bucket,
            "description": self.description,
            "ttl": self.ttl.as_nanos().min(i64::MAX as u128) as u64,
            "storage": self.storage,
            "replicas": self.replicas,
            "sealed": self.sealed,
            "size": self.size,
            "backing_store": self.backing_store,
            "is_compressed": self.is_compressed,
            "metadata": self.metadata,
        })
        .to_string()
    }
}

/// `OBJ_<bucket>`.
pub fn stream_name(bucket: &str) -> String {
    format!("{}{}", OBJ_STREAM_PREFIX, bucket)
}

/// A store name: one or more of `[a-zA-Z0-9_-]`.
pub fn validate_bucket(bucket: &str) -> Result<()> {
    if bucket.is_empty() || !bucket.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-') {
        return Err(err!(InvalidArgument, "invalid object store name '{}'", bucket));
    }
    Ok(())
}

/// An object name as a subject token: base64url with padding (as nats.go and nats-py).
pub fn encode_name(name: &str) -> String {
    data_encoding::BASE64URL.encode(name.as_bytes())
}

/// The object name of a meta subject token (padded or not).
pub fn decode_name(token: &str) -> Option<String> {
    let t = token.trim_end_matches('=');
    let b = data_encoding::BASE64URL_NOPAD.decode(t.as_bytes()).ok()?;
    String::from_utf8(b).ok()
}

impl JetStream {
    /// Creates an object store (succeeds when one exists with the same configuration).
    pub fn create_object_store(&self, cfg: &ObjectStoreConfig) -> Result<ObjectStore> {
        let info = self.add_stream(&cfg.to_stream_config()?)?;
        Ok(ObjectStore::new(self.clone(), &cfg.bucket, &info))
    }

    /// Changes a store's configuration (description, TTL, limits, replicas, ...).
    pub fn update_object_store(&self, cfg: &ObjectStoreConfig) -> Result<ObjectStore> {
        let info = self.update_stream(&cfg.to_stream_config()?)?;
        Ok(ObjectStore::new(self.clone(), &cfg.bucket, &info))
    }

    /// Binds to an existing store (`NotFound` when there is none).
    pub fn object_store(&self, bucket: &str) -> Result<ObjectStore> {
        validate_bucket(bucket)?;
        let info = self.stream_info(&stream_name(bucket))?;
        Ok(ObjectStore::new(self.clone(), bucket, &info))
    }

    /// Deletes a store and all its objects.
    pub fn delete_object_store(&self, bucket: &str) -> Result<()> {
        validate_bucket(bucket)?;
        self.delete_stream(&stream_name(bucket))
    }

    /// The names of all stores, sorted.
    pub fn object_store_names(&self) -> Result<Vec<String>> {
        let names = self.stream_names(Some(&format!("{}*.C.>", OBJ_SUBJECT_PREFIX)))?;
        let mut out: Vec<String> = names.iter().filter_map(|n| n.strip_prefix(OBJ_STREAM_PREFIX).map(str::to_string)).collect();
        out.sort();
        Ok(out)
    }

    /// The status of every store.
    pub fn object_stores(&self) -> Result<Vec<ObjectStoreStatus>> {
        let infos = self.streams(Some(&format!("{}*.C.>", OBJ_SUBJECT_PREFIX)))?;
        Ok(infos
            .into_iter()
            .filter_map(|i| {
                let b = i.config.name.strip_prefix(OBJ_STREAM_PREFIX)?.to_string();
                Some(ObjectStoreStatus::from_info(&b, i))
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_encode_like_nats_go() {
        // nats.go: base64.URLEncoding (padded).
        assert_eq!(encode_name("a"), "YQ==");
        assert_eq!(encode_name("dir/file?.txt"), "ZGlyL2ZpbGU_LnR4dA==");
        assert_eq!(decode_name("YQ==").as_deref(), Some("a"));
        assert_eq!(decode_name("YQ").as_deref(), Some("a"));
        assert!(validate_bucket("a-B_9").is_ok() && validate_bucket("a.b").is_err() && validate_bucket("").is_err());
    }

    #[test]
    fn stream_config_like_nats_go() {
        let s = ObjectStoreConfig::new("b").to_stream_config().unwrap();
        assert_eq!(s.name, "OBJ_b");
        assert_eq!(s.subjects, vec!["$O.b.C.>", "$O.b.M.>"]);
        assert_eq!(s.discard, Some(DiscardPolicy::New));
        assert_eq!(s.allow_rollup_hdrs, Some(true));
        assert_eq!(s.allow_direct, Some(true));
        assert_eq!(s.max_bytes, Some(-1));
        let mut c = ObjectStoreConfig::new("j");
        c.ttl = Some(Duration::from_secs(2));
        c.storage = Some(StorageType::Memory);
        c.replicas = 3;
        c.compression = true;
        c.description = Some("d".into());
        let j = c.to_json();
        assert!(j.contains("\"max_age\":2000000000") && j.contains("\"storage\":\"memory\""), "{}", j);
        assert_eq!(ObjectStoreConfig::from_json(&j).unwrap(), c);
        assert!(ObjectStoreConfig::from_json("{}").is_err() && ObjectStoreConfig::from_json("[").is_err());
    }
}
