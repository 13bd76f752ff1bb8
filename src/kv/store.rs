//! A bucket handle and its operations: put, get, create, update, delete, purge, purge-deletes,
//! keys, history, status.

use std::time::{Duration, SystemTime};

use super::entry::{parse_rfc3339, Entry, Operation, KV_OPERATION_DEL, KV_OPERATION_HDR, KV_OPERATION_PURGE};
use super::watch::{WatchOptions, Watcher};
use super::{stream_name, validate_bucket, validate_key, KvStatus, KV_DEFAULT_PURGE_DELETES_MARKER_THRESHOLD, KV_SUBJECT_PREFIX};
use crate::error::{err, Error, Result, Status};
use crate::jetstream::{error_codes, JetStream, PubAck, PublishOptions, PurgeOptions, StoredMsg, StreamInfo};
use crate::Msg;

/// Rollup header and its per-subject value (a purge keeps only the marker).
pub const ROLLUP_HDR: &str = "Nats-Rollup";
pub const ROLLUP_SUBJECT: &str = "sub";
/// err_code of "wrong last sequence" (a failed compare-and-set).
pub const KV_WRONG_LAST_SEQUENCE: u64 = error_codes::WRONG_LAST_SEQUENCE;

/// A bucket: cheap to clone, shares the JetStream context.
#[derive(Clone)]
pub struct KeyValue {
    js: JetStream,
    bucket: String,
    stream: String,
    /// `$KV.<bucket>.`
    prefix: String,
    direct: bool,
}

impl std::fmt::Debug for KeyValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyValue").field("bucket", &self.bucket).finish()
    }
}

impl KeyValue {
    pub(crate) fn new(js: JetStream, bucket: &str, info: &StreamInfo) -> KeyValue {
        // A mirror has no subjects of its own: keys keep the origin bucket's subjects, and puts
        // go to the origin (as nats.go does).
        let origin = info
            .config
            .extra
            .get("mirror")
            .and_then(|m| m.get("name"))
            .and_then(|n| n.as_str())
            .map(|n| n.strip_prefix(super::KV_STREAM_PREFIX).unwrap_or(n).to_string());
        let key_bucket = origin.as_deref().unwrap_or(bucket);
        KeyValue {
            js,
            bucket: bucket.to_string(),
            stream: stream_name(bucket),
            prefix: format!("{}{}.", KV_SUBJECT_PREFIX, key_bucket),
            direct: info.config.allow_direct.unwrap_or(false)
                || info.config.extra.get("mirror_direct").and_then(|v| v.as_bool()) == Some(true),
        }
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The backing stream's name (`KV_<bucket>`).
    pub fn stream_name(&self) -> &str {
        &self.stream
    }

    pub(crate) fn js(&self) -> &JetStream {
        &self.js
    }

    pub(crate) fn subject(&self, key: &str) -> String {
        format!("{}{}", self.prefix, key)
    }

    fn publish(&self, key: &str, value: &[u8], op: Option<Operation>, opts: &PublishOptions) -> Result<PubAck> {
        validate_key(key)?;
        let mut m = Msg::new(&self.subject(key), None, value)?;
        let h = m.headers_mut();
        let hdr = |e| err!(InvalidArgument, "header: {:?}", e);
        match op {
            Some(Operation::Delete) => h.set(KV_OPERATION_HDR, KV_OPERATION_DEL).map_err(hdr)?,
            Some(Operation::Purge) => {
                h.set(KV_OPERATION_HDR, KV_OPERATION_PURGE).map_err(hdr)?;
                h.set(ROLLUP_HDR, ROLLUP_SUBJECT).map_err(hdr)?;
            }
            _ => {}
        }
        self.js.publish_msg(m, opts)
    }

    /// Stores a value; returns its revision.
    pub fn put(&self, key: &str, value: &[u8]) -> Result<u64> {
        Ok(self.publish(key, value, None, &PublishOptions::default())?.seq)
    }

    /// Stores a value only when the key's latest revision is `last` (compare-and-set); a conflict
    /// is `Status::Jetstream` with err_code [`KV_WRONG_LAST_SEQUENCE`] in [`Error::api`].
    pub fn update(&self, key: &str, value: &[u8], last: u64) -> Result<u64> {
        let opts = PublishOptions { expected_last_subject_seq: Some(last), ..Default::default() };
        Ok(self.publish(key, value, None, &opts)?.seq)
    }

    /// Stores a value only when the key has none (never written, or deleted/purged last).
    pub fn create(&self, key: &str, value: &[u8]) -> Result<u64> {
        match self.update(key, value, 0) {
            Err(e) if is_wrong_last_sequence(&e) => match self.entry_raw(key, None) {
                Ok(Some(last)) if last.operation != Operation::Put => self.update(key, value, last.revision),
                _ => Err(e),
            },
            r => r,
        }
    }

    /// Like [`KeyValue::create`], the value expiring after `ttl` (`Nats-TTL`; needs a bucket with
    /// `limit_marker_ttl`).
    pub fn create_with_ttl(&self, key: &str, value: &[u8], ttl: Duration) -> Result<u64> {
        let opts = PublishOptions { expected_last_subject_seq: Some(0), ttl: Some(ttl), ..Default::default() };
        match self.publish(key, value, None, &opts) {
            Err(e) if is_wrong_last_sequence(&e) => match self.entry_raw(key, None) {
                Ok(Some(last)) if last.operation != Operation::Put => {
                    let opts = PublishOptions { expected_last_subject_seq: Some(last.revision), ..opts };
                    Ok(self.publish(key, value, None, &opts)?.seq)
                }
                _ => Err(e),
            },
            r => r.map(|a| a.seq),
        }
    }

    /// The latest value of a key; `NotFound` when there is none or it was deleted.
    pub fn get(&self, key: &str) -> Result<Entry> {
        self.get_revision_opt(key, None)
    }

    /// One revision of a key; `NotFound` when it is not that key's or is a marker.
    pub fn get_revision(&self, key: &str, revision: u64) -> Result<Entry> {
        self.get_revision_opt(key, Some(revision))
    }

    fn get_revision_opt(&self, key: &str, revision: Option<u64>) -> Result<Entry> {
        match self.entry_raw(key, revision)? {
            Some(e) if e.operation == Operation::Put => Ok(e),
            Some(_) => Err(Error::new(Status::NotFound, format!("key '{}' was deleted", key))),
            None => Err(Error::new(Status::NotFound, format!("key '{}' not found", key))),
        }
    }

    /// The stored message (value or marker) of a key, latest or one revision; None when absent.
    /// Unlike [`KeyValue::get`], a delete or purge marker is returned as an entry.
    pub fn entry_raw(&self, key: &str, revision: Option<u64>) -> Result<Option<Entry>> {
        validate_key(key)?;
        let subject = self.subject(key);
        let r = match (revision, self.direct) {
            (Some(seq), true) => self.js.direct_get_msg(&self.stream, seq),
            (Some(seq), false) => self.js.get_msg(&self.stream, seq),
            (None, true) => self.js.direct_get_last_msg(&self.stream, &subject),
            (None, false) => self.js.get_last_msg(&self.stream, &subject),
        };
        let m = match r {
            Ok(m) => m,
            Err(e) if e.status == Status::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        if m.subject != subject {
            return Ok(None);
        }
        Ok(Some(self.entry_from_stored(key, m)))
    }

    fn entry_from_stored(&self, key: &str, m: StoredMsg) -> Entry {
        Entry {
            bucket: self.bucket.clone(),
            key: key.to_string(),
            operation: Operation::from_headers(m.headers.as_ref()),
            value: m.data,
            revision: m.seq,
            created: parse_rfc3339(&m.time),
            delta: 0,
        }
    }

    /// Deletes a key (a `DEL` marker; history is kept).
    pub fn delete(&self, key: &str) -> Result<()> {
        self.publish(key, b"", Some(Operation::Delete), &PublishOptions::default()).map(|_| ())
    }

    /// Deletes a key only when its latest revision is `last`.
    pub fn delete_expect(&self, key: &str, last: u64) -> Result<()> {
        let opts = PublishOptions { expected_last_subject_seq: Some(last), ..Default::default() };
        self.publish(key, b"", Some(Operation::Delete), &opts).map(|_| ())
    }

    /// Purges a key: a `PURGE` marker that rolls up (removes) all its older revisions.
    pub fn purge(&self, key: &str) -> Result<()> {
        self.publish(key, b"", Some(Operation::Purge), &PublishOptions::default()).map(|_| ())
    }

    /// Purges a key only when its latest revision is `last`.
    pub fn purge_expect(&self, key: &str, last: u64) -> Result<()> {
        let opts = PublishOptions { expected_last_subject_seq: Some(last), ..Default::default() };
        self.publish(key, b"", Some(Operation::Purge), &opts).map(|_| ())
    }

    /// Purges a key with a per-message TTL on the marker (`Nats-TTL`; the stream must allow it).
    pub fn purge_with_ttl(&self, key: &str, ttl: Duration) -> Result<()> {
        let opts = PublishOptions { ttl: Some(ttl), ..Default::default() };
        self.publish(key, b"", Some(Operation::Purge), &opts).map(|_| ())
    }

    /// Removes delete and purge markers: those older than `older_than` (default
    /// [`KV_DEFAULT_PURGE_DELETES_MARKER_THRESHOLD`]; zero = all) entirely, the others' older
    /// revisions only. Returns how many keys were purged.
    pub fn purge_deletes(&self, older_than: Option<Duration>) -> Result<usize> {
        let threshold = older_than.unwrap_or(KV_DEFAULT_PURGE_DELETES_MARKER_THRESHOLD);
        let limit = SystemTime::now().checked_sub(threshold);
        let mut w = self.watch_all(WatchOptions { meta_only: true, ..Default::default() })?;
        let mut markers = Vec::new();
        while let Some(e) = w.next_initial()? {
            if e.operation != Operation::Put {
                markers.push(e);
            }
        }
        drop(w);
        for e in &markers {
            let keep = match limit {
                Some(l) if e.created > l => Some(1),
                _ => Some(0),
            };
            let opts = PurgeOptions { subject: Some(self.subject(&e.key)), keep: keep.filter(|k| *k > 0), ..Default::default() };
            self.js.purge_stream_with(&self.stream, &opts)?;
        }
        Ok(markers.len())
    }

    /// Every key with a current value.
    pub fn keys(&self) -> Result<Vec<String>> {
        self.keys_filtered(&[">"])
    }

    /// The keys matching any of `filters` (`*` and `>` allowed) that have a current value.
    pub fn keys_filtered(&self, filters: &[&str]) -> Result<Vec<String>> {
        let opts = WatchOptions { meta_only: true, ignore_deletes: true, ..Default::default() };
        let mut w = self.watch_many(filters, opts)?;
        let mut keys = Vec::new();
        while let Some(e) = w.next_initial()? {
            if e.operation == Operation::Put {
                keys.push(e.key);
            }
        }
        Ok(keys)
    }

    /// Every stored revision of a key, oldest first (markers included); `NotFound` when none.
    pub fn history(&self, key: &str) -> Result<Vec<Entry>> {
        validate_key(key)?;
        let mut w = self.watch(key, WatchOptions { include_history: true, ..Default::default() })?;
        let mut out = Vec::new();
        while let Some(e) = w.next_initial()? {
            out.push(e);
        }
        if out.is_empty() {
            return Err(Error::new(Status::NotFound, format!("key '{}' not found", key)));
        }
        Ok(out)
    }

    /// Watches one key or a filter (`*`, `>`).
    pub fn watch(&self, filter: &str, opts: WatchOptions) -> Result<Watcher> {
        self.watch_many(&[filter], opts)
    }

    /// Watches every key.
    pub fn watch_all(&self, opts: WatchOptions) -> Result<Watcher> {
        self.watch_many(&[">"], opts)
    }

    /// Watches several filters at once (server 2.10+ for more than one).
    pub fn watch_many(&self, filters: &[&str], opts: WatchOptions) -> Result<Watcher> {
        Watcher::new(self, filters, opts)
    }

    /// The bucket's status.
    pub fn status(&self) -> Result<KvStatus> {
        validate_bucket(&self.bucket)?;
        Ok(KvStatus::from_info(&self.bucket, self.js.stream_info(&self.stream)?))
    }
}

/// Whether `e` is a failed compare-and-set (err_code 10071).
pub fn is_wrong_last_sequence(e: &Error) -> bool {
    e.api.is_some_and(|(_, c)| c == KV_WRONG_LAST_SEQUENCE)
}
