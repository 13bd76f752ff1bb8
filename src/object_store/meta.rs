//! Object meta as stored on `$O.<bucket>.M.<name>`: the JSON of nats.go's `ObjectInfo`
//! (`ObjectMeta` inline plus bucket, nuid, size, mtime, chunks, digest, deleted), and the
//! SHA-256 digest helpers.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{err, Error, Result, Status};

/// Prefix of a digest string.
pub const OBJ_DIGEST_PREFIX: &str = "SHA-256=";
/// Start of the message of a digest mismatch error (status `Io`).
pub const DIGEST_MISMATCH: &str = "object digest mismatch";

/// Deserializes `null` as the type's default (nats-py writes nulls for unset fields).
fn null_default<'de, D: Deserializer<'de>, T: Default + Deserialize<'de>>(d: D) -> std::result::Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A link to another object, or (no name) to a whole store.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectLink {
    /// The linked store.
    #[serde(default, deserialize_with = "null_default")]
    pub bucket: String,
    /// The linked object; None for a link to the whole store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Options of an object: a link, and the chunk size used to store it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectMetaOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<ObjectLink>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_chunk_size: Option<u32>,
}

/// What a caller says about an object: name, description, headers, metadata, options.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectMeta {
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// NATS-style headers: each name has one or more values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, Vec<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<ObjectMetaOptions>,
}

impl ObjectMeta {
    /// Meta with just a name.
    pub fn new(name: &str) -> ObjectMeta {
        ObjectMeta { name: name.to_string(), ..Default::default() }
    }
}

/// An object's meta and instance information.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectInfo {
    #[serde(flatten)]
    pub meta: ObjectMeta,
    #[serde(default, deserialize_with = "null_default")]
    pub bucket: String,
    /// The NUID of this version: its chunks are on `$O.<bucket>.C.<nuid>`.
    #[serde(default, deserialize_with = "null_default")]
    pub nuid: String,
    #[serde(default, deserialize_with = "null_default")]
    pub size: u64,
    /// RFC 3339 modification time (on reads: when the server stored the meta).
    #[serde(default, deserialize_with = "null_default")]
    pub mtime: String,
    #[serde(default, deserialize_with = "null_default")]
    pub chunks: u32,
    /// `SHA-256=<base64url>`; empty for deleted objects and links.
    #[serde(default, deserialize_with = "null_default", skip_serializing_if = "String::is_empty")]
    pub digest: String,
    #[serde(default, deserialize_with = "null_default", skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
}

impl ObjectInfo {
    pub fn name(&self) -> &str {
        &self.meta.name
    }

    /// The link this object is, if it is one.
    pub fn link(&self) -> Option<&ObjectLink> {
        self.meta.options.as_ref()?.link.as_ref()
    }

    pub fn is_link(&self) -> bool {
        self.link().is_some()
    }

    /// The modification time (the epoch when unknown).
    pub fn modified(&self) -> SystemTime {
        crate::kv::entry::parse_rfc3339(&self.mtime)
    }

    /// The JSON stored in the meta message.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("object info serializes")
    }

    /// Parses the JSON of a meta message.
    pub fn from_json(data: &[u8]) -> Result<ObjectInfo> {
        serde_json::from_slice(data).map_err(|e| err!(Jetstream, "bad object meta JSON: {}", e))
    }
}

/// `SHA-256=<base64url>` of a finished hash.
pub fn digest_string(h: Sha256) -> String {
    format!("{}{}", OBJ_DIGEST_PREFIX, data_encoding::BASE64URL.encode(&h.finalize()))
}

/// The SHA-256 digest of `data` as an object digest string.
pub fn digest_of(data: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(data);
    digest_string(h)
}

/// The 32 bytes of a digest string (prefix case-insensitive, base64url padded or not).
pub fn parse_digest(s: &str) -> Result<Vec<u8>> {
    let bad = || err!(InvalidArgument, "invalid object digest '{}'", s);
    let p = OBJ_DIGEST_PREFIX.len();
    if s.len() < p || !s[..p].eq_ignore_ascii_case(OBJ_DIGEST_PREFIX) {
        return Err(bad());
    }
    let b64 = s[p..].trim_end_matches('=');
    let b = data_encoding::BASE64URL_NOPAD.decode(b64.as_bytes()).map_err(|_| bad())?;
    if b.len() != 32 {
        return Err(bad());
    }
    Ok(b)
}

/// The error of a digest check that failed.
pub(crate) fn digest_mismatch(name: &str, expected: &str, got: &str) -> Error {
    Error::new(Status::Io, format!("{} for '{}': expected {}, got {}", DIGEST_MISMATCH, name, expected, got))
}

/// Whether `e` is a failed digest check of a get.
pub fn is_digest_mismatch(e: &Error) -> bool {
    e.status == Status::Io && e.message.starts_with(DIGEST_MISMATCH)
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// RFC 3339 UTC with nanoseconds, as the server and nats.go write times.
pub(crate) fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let secs = d.as_secs() as i64;
    let (y, mo, da) = civil(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", y, mo, da, s / 3600, (s / 60) % 60, s % 60, d.subsec_nanos())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_like_nats_go() {
        // SHA-256 of "" in base64url with padding.
        assert_eq!(digest_of(b""), "SHA-256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU=");
        assert_eq!(parse_digest(&digest_of(b"abc")).unwrap().len(), 32);
        assert!(parse_digest("sha-256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU").is_ok());
        assert!(parse_digest("MD5=xx").is_err());
    }

    #[test]
    fn json_round_trip_and_nulls() {
        let mut i = ObjectInfo { bucket: "b".into(), nuid: "N".into(), size: 3, chunks: 1, ..Default::default() };
        i.meta.name = "x".into();
        i.meta.options = Some(ObjectMetaOptions { link: None, max_chunk_size: Some(131072) });
        let j = i.to_json();
        assert!(j.contains("\"name\":\"x\"") && j.contains("\"max_chunk_size\":131072") && !j.contains("deleted"));
        assert_eq!(ObjectInfo::from_json(j.as_bytes()).unwrap(), i);
        let py = br#"{"name":"y","bucket":"b","nuid":"n","size":null,"mtime":null,"chunks":2,"digest":null,"deleted":false,"description":null,"headers":null,"options":{"link":null,"max_chunk_size":5}}"#;
        let p = ObjectInfo::from_json(py).unwrap();
        assert_eq!((p.name(), p.size, p.chunks, p.meta.options.as_ref().unwrap().max_chunk_size), ("y", 0, 2, Some(5)));
    }

    #[test]
    fn times() {
        assert_eq!(rfc3339(UNIX_EPOCH + Duration::from_nanos(951_782_400_000_000_007)), "2000-02-29T00:00:00.000000007Z");
    }
}
