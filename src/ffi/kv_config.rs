//! `natsrs_kv_config`: a key-value bucket's configuration, as JSON with nats.go's field names
//! (`bucket`, `description`, `max_value_size`, `history`, `ttl` in ns, `max_bytes`, `storage`,
//! `num_replicas`, `placement`, `republish`, `mirror`, `sources`, `compression`, `metadata`,
//! `limit_marker_ttl` in ns) plus typed setters (durations in ms).

use std::ffi::c_char;
use std::time::Duration;

use serde_json::{json, Map, Value};

use super::handle::{self, borrow, borrow_mut, box_into_raw, BoxOwned, Castable};
use super::jetstream::{duration_ms, put_string};
use super::kv::str_list;
use super::status::natsrs_status;
use super::{cstr, guard, nn, opt_cstr, put};
use crate::error::{err, Result};
use crate::jetstream::StorageType;
use crate::kv::{validate_bucket, KvConfig, KV_MAX_HISTORY};

/// A key-value bucket's configuration. Opaque; release with natsrs_kv_config_free.
pub struct natsrs_kv_config {
    pub(crate) cfg: KvConfig,
}

// SAFETY: pointers to natsrs_kv_config are only made by box_into_raw.
unsafe impl Castable for natsrs_kv_config {
    type Ownership = BoxOwned;
}

/// Writes an owned config handle to `out` (checked by the caller).
///
/// # Safety
/// `out` is non-NULL and writable.
pub(crate) unsafe fn put_kv_config(out: *mut *mut natsrs_kv_config, cfg: KvConfig) {
    // SAFETY: forwarded caller guarantee.
    unsafe { put(out, box_into_raw(natsrs_kv_config { cfg })) };
}

/// Borrows a config mutably.
///
/// # Safety
/// `c` is NULL or a live handle not used from another thread at the same time.
unsafe fn kc<'a>(c: *mut natsrs_kv_config) -> Result<&'a mut KvConfig> {
    // SAFETY: forwarded caller guarantee.
    Ok(&mut unsafe { borrow_mut(c, "cfg") }?.cfg)
}

fn storage_str(s: StorageType) -> &'static str {
    match s {
        StorageType::Memory => "memory",
        StorageType::File => "file",
    }
}

fn history_u8(h: i64) -> Result<u8> {
    if !(1..=KV_MAX_HISTORY as i64).contains(&h) {
        return Err(err!(InvalidArgument, "'history' must be 1 to {} (got {})", KV_MAX_HISTORY, h));
    }
    Ok(h as u8)
}

fn ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// A field of a config JSON: an integer.
fn int_field(k: &str, v: &Value) -> Result<i64> {
    v.as_i64().ok_or_else(|| err!(InvalidArgument, "'{}' must be an integer", k))
}

/// A field that must be a JSON object (null clears it).
fn obj_field(k: &str, v: &Value) -> Result<Option<Value>> {
    match v {
        Value::Null => Ok(None),
        Value::Object(_) => Ok(Some(v.clone())),
        _ => Err(err!(InvalidArgument, "'{}' must be an object", k)),
    }
}

/// Parses nats.go's KeyValueConfig JSON. Unknown fields are refused (a misspelt field would
/// otherwise be dropped without a word).
pub(crate) fn config_from_json(text: &str) -> Result<KvConfig> {
    let v: Value = serde_json::from_str(text).map_err(|e| err!(InvalidArgument, "invalid JSON: {}", e))?;
    let o = v.as_object().ok_or_else(|| err!(InvalidArgument, "a key-value config is a JSON object"))?;
    let mut c = KvConfig::default();
    for (k, v) in o {
        match k.as_str() {
            "bucket" => c.bucket = v.as_str().ok_or_else(|| err!(InvalidArgument, "'bucket' must be a string"))?.to_string(),
            "description" => c.description = v.as_str().map(str::to_string),
            "max_value_size" => {
                let n = int_field(k, v)?;
                c.max_value_size =
                    if n < 0 { None } else { Some(i32::try_from(n).map_err(|_| err!(InvalidArgument, "'{}' too large", k))?) };
            }
            "history" => {
                let n = int_field(k, v)?;
                c.history = if n == 0 { 0 } else { history_u8(n)? };
            }
            "ttl" => c.ttl = Some(Duration::from_nanos(int_field(k, v)?.max(0) as u64)).filter(|d| !d.is_zero()),
            "max_bytes" => c.max_bytes = Some(int_field(k, v)?).filter(|n| *n >= 0),
            "storage" => {
                c.storage = match v.as_str() {
                    Some("file") => Some(StorageType::File),
                    Some("memory") => Some(StorageType::Memory),
                    _ => return Err(err!(InvalidArgument, "'storage' must be \"file\" or \"memory\"")),
                }
            }
            "num_replicas" => c.replicas = u32::try_from(int_field(k, v)?).map_err(|_| err!(InvalidArgument, "bad 'num_replicas'"))?,
            "compression" => c.compression = v.as_bool().ok_or_else(|| err!(InvalidArgument, "'compression' must be a boolean"))?,
            "placement" => c.placement = obj_field(k, v)?,
            "republish" => c.republish = obj_field(k, v)?,
            "mirror" => c.mirror = obj_field(k, v)?,
            "metadata" => c.metadata = obj_field(k, v)?,
            "sources" => {
                c.sources = match v {
                    Value::Null => Vec::new(),
                    Value::Array(a) if a.iter().all(Value::is_object) => a.clone(),
                    _ => return Err(err!(InvalidArgument, "'sources' must be an array of objects")),
                }
            }
            "limit_marker_ttl" => c.limit_marker_ttl = Some(Duration::from_nanos(int_field(k, v)?.max(0) as u64)).filter(|d| !d.is_zero()),
            other => return Err(err!(InvalidArgument, "unknown key-value config field '{}'", other)),
        }
    }
    validate_bucket(&c.bucket)?;
    Ok(c)
}

/// nats.go's KeyValueConfig JSON (fields left at their defaults are omitted).
pub(crate) fn config_to_json(c: &KvConfig) -> String {
    let mut o = Map::new();
    o.insert("bucket".into(), json!(c.bucket));
    if let Some(d) = &c.description {
        o.insert("description".into(), json!(d));
    }
    if let Some(n) = c.max_value_size {
        o.insert("max_value_size".into(), json!(n));
    }
    if c.history > 0 {
        o.insert("history".into(), json!(c.history));
    }
    if let Some(t) = c.ttl {
        o.insert("ttl".into(), json!(ns(t)));
    }
    if let Some(n) = c.max_bytes {
        o.insert("max_bytes".into(), json!(n));
    }
    if let Some(s) = c.storage {
        o.insert("storage".into(), json!(storage_str(s)));
    }
    if c.replicas > 0 {
        o.insert("num_replicas".into(), json!(c.replicas));
    }
    for (k, v) in [("placement", &c.placement), ("republish", &c.republish), ("mirror", &c.mirror), ("metadata", &c.metadata)] {
        if let Some(v) = v {
            o.insert(k.into(), v.clone());
        }
    }
    if !c.sources.is_empty() {
        o.insert("sources".into(), Value::Array(c.sources.clone()));
    }
    if c.compression {
        o.insert("compression".into(), json!(true));
    }
    if let Some(t) = c.limit_marker_ttl {
        o.insert("limit_marker_ttl".into(), json!(ns(t)));
    }
    Value::Object(o).to_string()
}

/// Creates a config for bucket `bucket` (one or more of `[a-zA-Z0-9_-]`) with the defaults
/// (history 1, no TTL, no limits, file storage, 1 replica). Returns an owned
/// natsrs_kv_config; release with natsrs_kv_config_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_config_new(bucket: *const c_char, out: *mut *mut natsrs_kv_config) -> natsrs_status {
    guard(|| {
        // SAFETY: `bucket` is a C string (or NULL, refused).
        let b = unsafe { cstr(bucket, "bucket") }?;
        nn(out, "out")?;
        validate_bucket(b)?;
        // SAFETY: checked non-NULL above.
        unsafe { put_kv_config(out, KvConfig::new(b)) };
        Ok(())
    })
}

/// Parses a config from JSON with nats.go's KeyValueConfig field names (`bucket` required;
/// durations in ns; an unknown field is NATSRS_STATUS_INVALID_ARGUMENT). Returns an owned
/// natsrs_kv_config; release with natsrs_kv_config_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_config_from_json(json: *const c_char, out: *mut *mut natsrs_kv_config) -> natsrs_status {
    guard(|| {
        // SAFETY: `json` is a C string (or NULL, refused).
        let j = unsafe { cstr(json, "json") }?;
        nn(out, "out")?;
        let cfg = config_from_json(j)?;
        // SAFETY: checked non-NULL above.
        unsafe { put_kv_config(out, cfg) };
        Ok(())
    })
}

/// The config as JSON with nats.go's field names (durations in ns; defaults omitted). Returns
/// an owned string; release with natsrs_string_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_config_to_json(cfg: *const natsrs_kv_config, out: *mut *mut c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` is a live handle (or NULL, refused); `out` checked by put_string.
        unsafe { put_string(out, &config_to_json(&borrow(cfg, "cfg")?.cfg)) }
    })
}

/// Sets the bucket name (one or more of `[a-zA-Z0-9_-]`).
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_config_set_bucket(cfg: *mut natsrs_kv_config, bucket: *const c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused); `bucket` a C string.
        let (c, b) = unsafe { (kc(cfg)?, cstr(bucket, "bucket")?) };
        validate_bucket(b)?;
        c.bucket = b.to_string();
        Ok(())
    })
}

/// Sets the description (NULL clears it).
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_config_set_description(cfg: *mut natsrs_kv_config, description: *const c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused); `description` NULL or a C string.
        let (c, d) = unsafe { (kc(cfg)?, opt_cstr(description, "description")?) };
        c.description = d.map(str::to_string);
        Ok(())
    })
}

/// Sets how many values are kept per key (1 to 64; default 1).
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_config_set_history(cfg: *mut natsrs_kv_config, history: i64) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused).
        let c = unsafe { kc(cfg) }?;
        c.history = history_u8(history)?;
        Ok(())
    })
}

/// Sets how long a value lives, in ms (0: forever, the default; negative is refused).
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_config_set_ttl_ms(cfg: *mut natsrs_kv_config, ttl_ms: i64) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused).
        let c = unsafe { kc(cfg) }?;
        c.ttl = Some(duration_ms(ttl_ms, "ttl_ms")?).filter(|d| !d.is_zero());
        Ok(())
    })
}

/// Sets the largest value accepted, in bytes (a negative value: unlimited, the default).
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_config_set_max_value_size(cfg: *mut natsrs_kv_config, max_value_size: i64) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused).
        let c = unsafe { kc(cfg) }?;
        c.max_value_size = if max_value_size < 0 {
            None
        } else {
            Some(i32::try_from(max_value_size).map_err(|_| err!(InvalidArgument, "'max_value_size' too large"))?)
        };
        Ok(())
    })
}

/// Sets the size limit of the whole bucket, in bytes (a negative value: unlimited, the default).
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_config_set_max_bytes(cfg: *mut natsrs_kv_config, max_bytes: i64) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused).
        let c = unsafe { kc(cfg) }?;
        c.max_bytes = Some(max_bytes).filter(|n| *n >= 0);
        Ok(())
    })
}

/// Sets the storage (natsrs_storage_type value; default file).
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_config_set_storage(cfg: *mut natsrs_kv_config, storage: i32) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused).
        let c = unsafe { kc(cfg) }?;
        c.storage = Some(match storage {
            0 => StorageType::File,
            1 => StorageType::Memory,
            v => return Err(err!(InvalidArgument, "invalid 'storage' value {}", v)),
        });
        Ok(())
    })
}

/// Sets the number of replicas (1 to 5 on a cluster; default 1).
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_config_set_replicas(cfg: *mut natsrs_kv_config, replicas: i64) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused).
        let c = unsafe { kc(cfg) }?;
        if replicas < 1 {
            return Err(err!(InvalidArgument, "'replicas' must be at least 1 (got {})", replicas));
        }
        c.replicas = u32::try_from(replicas).map_err(|_| err!(InvalidArgument, "'replicas' too large"))?;
        Ok(())
    })
}

/// Turns S2 compression of the backing stream on or off (server 2.10+; default off).
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_config_set_compression(cfg: *mut natsrs_kv_config, compression: bool) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused).
        let c = unsafe { kc(cfg) }?;
        c.compression = compression;
        Ok(())
    })
}

/// Sets the placement: `cluster` (may be NULL) and `tags[0..n]` (n == 0: no tags). NULL
/// cluster with no tags clears it.
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_config_set_placement(
    cfg: *mut natsrs_kv_config,
    cluster: *const c_char,
    tags: *const *const c_char,
    n: usize,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused); `cluster` NULL or a C string; `tags` has `n`
        // C strings (C contract).
        let (c, cl, t) = unsafe { (kc(cfg)?, opt_cstr(cluster, "cluster")?, str_list(tags, n, "tags")?) };
        c.placement = if cl.is_none() && t.is_empty() {
            None
        } else {
            let mut p = Map::new();
            if let Some(cl) = cl {
                p.insert("cluster".into(), json!(cl));
            }
            if !t.is_empty() {
                p.insert("tags".into(), json!(t));
            }
            Some(Value::Object(p))
        };
        Ok(())
    })
}

/// Republishes every change of the keys whose subjects (`$KV.<bucket>.<key>`) match `src` (NULL:
/// every key) to `dest` (a subject mapping of `src`, e.g. `changes.>`); with `headers_only`
/// without the value. NULL `dest` clears it.
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_config_set_republish(
    cfg: *mut natsrs_kv_config,
    src: *const c_char,
    dest: *const c_char,
    headers_only: bool,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused); `src` and `dest` NULL or C strings.
        let (c, s, d) = unsafe { (kc(cfg)?, opt_cstr(src, "src")?, opt_cstr(dest, "dest")?) };
        c.republish = match d {
            None => None,
            Some(d) => {
                if d.is_empty() {
                    return Err(err!(InvalidSubject, "empty 'dest'"));
                }
                let mut r = json!({"dest": d, "headers_only": headers_only});
                if let Some(s) = s {
                    r["src"] = json!(s);
                }
                Some(r)
            }
        };
        Ok(())
    })
}

/// Makes the bucket a mirror of bucket `bucket` (read-only; puts go to the origin). NULL
/// clears it. Other source options: natsrs_kv_config_from_json with a `mirror` object.
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_config_set_mirror(cfg: *mut natsrs_kv_config, bucket: *const c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused); `bucket` NULL or a C string.
        let (c, b) = unsafe { (kc(cfg)?, opt_cstr(bucket, "bucket")?) };
        if let Some(b) = b {
            validate_bucket(b)?;
        }
        c.mirror = b.map(|b| json!({ "name": b }));
        Ok(())
    })
}

/// Adds bucket `bucket` as a source (its keys are copied into this bucket).
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_config_add_source(cfg: *mut natsrs_kv_config, bucket: *const c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused); `bucket` a C string.
        let (c, b) = unsafe { (kc(cfg)?, cstr(bucket, "bucket")?) };
        validate_bucket(b)?;
        c.sources.push(json!({ "name": b }));
        Ok(())
    })
}

/// Sets metadata `key` to `value` (NULL `value` removes the key; server 2.10+).
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_config_set_metadata(
    cfg: *mut natsrs_kv_config,
    key: *const c_char,
    value: *const c_char,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused); `key` a C string; `value` NULL or a C string.
        let (c, k, v) = unsafe { (kc(cfg)?, cstr(key, "key")?, opt_cstr(value, "value")?) };
        let mut m = c.metadata.take().and_then(|m| m.as_object().cloned()).unwrap_or_default();
        match v {
            Some(v) => m.insert(k.to_string(), json!(v)),
            None => m.remove(k),
        };
        c.metadata = (!m.is_empty()).then_some(Value::Object(m));
        Ok(())
    })
}

/// Allows per-key TTLs (natsrs_kv_create_with_ttl) and makes the server leave a marker that
/// lives `ttl_ms` when a value expires (server 2.11+). 0 turns it off (the default).
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_config_set_limit_marker_ttl_ms(cfg: *mut natsrs_kv_config, ttl_ms: i64) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused).
        let c = unsafe { kc(cfg) }?;
        c.limit_marker_ttl = Some(duration_ms(ttl_ms, "ttl_ms")?).filter(|d| !d.is_zero());
        Ok(())
    })
}

/// Releases a config. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn natsrs_kv_config_free(cfg: *mut natsrs_kv_config) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle the caller gives up (C contract).
        drop(unsafe { handle::free_box(cfg) });
        Ok(())
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip_with_nats_go_names() {
        let j = r#"{"bucket":"b","description":"d","max_value_size":10,"history":5,"ttl":2000000000,"max_bytes":100,
            "storage":"memory","num_replicas":3,"compression":true,"republish":{"src":">","dest":"x.>"},
            "metadata":{"a":"1"},"sources":[{"name":"o"}],"limit_marker_ttl":1000000000}"#;
        let c = config_from_json(j).unwrap();
        assert_eq!((c.history, c.replicas, c.ttl, c.storage), (5, 3, Some(Duration::from_secs(2)), Some(StorageType::Memory)));
        let back = config_from_json(&config_to_json(&c)).unwrap();
        assert_eq!(back, c);
        assert!(config_from_json(r#"{"bucket":"b","replicas":3}"#).is_err());
        assert!(config_from_json(r#"{"bucket":"b.c"}"#).is_err());
        assert!(config_from_json(r#"{"bucket":"b","history":65}"#).is_err());
        assert!(config_from_json("[1]").is_err());
    }
}
