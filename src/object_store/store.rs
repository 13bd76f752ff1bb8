//! A store handle and its meta operations: info, update meta (rename), delete, list, links,
//! seal, status. Putting is in `put.rs`, getting in `get.rs`, watching in `watch.rs`.

use std::time::SystemTime;

use super::meta::{rfc3339, ObjectInfo, ObjectLink, ObjectMeta, ObjectMetaOptions};
use super::watch::{ObjectWatchOptions, ObjectWatcher};
use super::{encode_name, stream_name, ObjectStoreStatus, OBJ_SUBJECT_PREFIX};
use crate::error::{err, Error, Result, Status};
use crate::jetstream::{JetStream, PublishOptions, PurgeOptions, StreamInfo};
use crate::Msg;

/// Rollup header and its per-subject value: a meta message replaces the older ones of its name.
pub const ROLLUP_HDR: &str = "Nats-Rollup";
pub const ROLLUP_SUBJECT: &str = "sub";

/// An object store: cheap to clone, shares the JetStream context.
#[derive(Clone)]
pub struct ObjectStore {
    pub(crate) js: JetStream,
    bucket: String,
    stream: String,
    direct: bool,
}

impl std::fmt::Debug for ObjectStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectStore").field("bucket", &self.bucket).finish()
    }
}

/// `NotFound` for an object.
pub(crate) fn not_found(name: &str) -> Error {
    Error::new(Status::NotFound, format!("object '{}' not found", name))
}

impl ObjectStore {
    pub(crate) fn new(js: JetStream, bucket: &str, info: &StreamInfo) -> ObjectStore {
        ObjectStore { js, bucket: bucket.to_string(), stream: stream_name(bucket), direct: info.config.allow_direct.unwrap_or(false) }
    }

    /// The store's name.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The backing stream's name (`OBJ_<bucket>`).
    pub fn stream_name(&self) -> &str {
        &self.stream
    }

    /// The JetStream context of this store.
    pub fn jetstream(&self) -> &JetStream {
        &self.js
    }

    /// `$O.<bucket>.C.<nuid>`.
    pub fn chunk_subject(&self, nuid: &str) -> String {
        format!("{}{}.C.{}", OBJ_SUBJECT_PREFIX, self.bucket, nuid)
    }

    /// `$O.<bucket>.M.<base64url(name)>`.
    pub fn meta_subject(&self, name: &str) -> String {
        format!("{}{}.M.{}", OBJ_SUBJECT_PREFIX, self.bucket, encode_name(name))
    }

    pub(crate) fn check_name(name: &str) -> Result<()> {
        if name.is_empty() {
            return Err(err!(InvalidArgument, "object name is empty"));
        }
        Ok(())
    }

    /// The latest meta of `name`, deleted or not; None when there is none.
    pub(crate) fn info_raw(&self, name: &str) -> Result<Option<ObjectInfo>> {
        Self::check_name(name)?;
        let subject = self.meta_subject(name);
        let r =
            if self.direct { self.js.direct_get_last_msg(&self.stream, &subject) } else { self.js.get_last_msg(&self.stream, &subject) };
        let m = match r {
            Ok(m) => m,
            Err(e) if e.status == Status::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        if m.subject != subject {
            return Ok(None);
        }
        let mut info = ObjectInfo::from_json(&m.data)?;
        if !m.time.is_empty() {
            info.mtime = m.time;
        }
        Ok(Some(info))
    }

    /// An object's info; `NotFound` when there is none or it was deleted.
    pub fn info(&self, name: &str) -> Result<ObjectInfo> {
        self.info_with(name, false)
    }

    /// An object's info; with `show_deleted`, a deleted object's info too (`deleted` set).
    pub fn info_with(&self, name: &str, show_deleted: bool) -> Result<ObjectInfo> {
        match self.info_raw(name)? {
            Some(i) if show_deleted || !i.deleted => Ok(i),
            _ => Err(not_found(name)),
        }
    }

    /// Publishes `info` as the meta of its name (rolling up older meta) and sets its mtime.
    pub(crate) fn publish_meta(&self, info: &mut ObjectInfo) -> Result<()> {
        info.mtime = rfc3339(SystemTime::now());
        let mut m = Msg::new(&self.meta_subject(&info.meta.name), None, info.to_json().as_bytes())?;
        m.headers_mut().set(ROLLUP_HDR, ROLLUP_SUBJECT).map_err(|e| err!(InvalidArgument, "header: {:?}", e))?;
        self.js.publish_msg(m, &PublishOptions::default())?;
        Ok(())
    }

    /// Removes every message on `subject` from the stream.
    pub(crate) fn purge_subject(&self, subject: &str) -> Result<()> {
        let o = PurgeOptions { subject: Some(subject.to_string()), ..Default::default() };
        self.js.purge_stream_with(&self.stream, &o).map(|_| ())
    }

    /// Changes an object's name, description, headers and metadata (its options stay).
    /// Renaming onto an existing object is `IllegalState`; a deleted object is `IllegalState`.
    pub fn update_meta(&self, name: &str, meta: &ObjectMeta) -> Result<ObjectInfo> {
        Self::check_name(&meta.name)?;
        let mut info = self.info_raw(name)?.ok_or_else(|| not_found(name))?;
        if info.deleted {
            return Err(err!(IllegalState, "cannot update the meta of deleted object '{}'", name));
        }
        let renamed = meta.name != name;
        if renamed {
            if let Some(other) = self.info_raw(&meta.name)? {
                if !other.deleted {
                    return Err(err!(IllegalState, "object '{}' already exists", meta.name));
                }
            }
        }
        info.meta.name = meta.name.clone();
        info.meta.description = meta.description.clone();
        info.meta.headers = meta.headers.clone();
        info.meta.metadata = meta.metadata.clone();
        self.publish_meta(&mut info)?;
        if renamed {
            self.purge_subject(&self.meta_subject(name))?;
        }
        Ok(info)
    }

    /// Deletes an object: its meta is marked deleted and its chunks are purged.
    pub fn delete(&self, name: &str) -> Result<()> {
        let mut info = self.info_raw(name)?.ok_or_else(|| not_found(name))?;
        if info.nuid.is_empty() {
            return Err(err!(Jetstream, "object '{}' has invalid meta (no nuid)", name));
        }
        info.deleted = true;
        info.size = 0;
        info.chunks = 0;
        info.digest.clear();
        self.publish_meta(&mut info)?;
        self.purge_subject(&self.chunk_subject(&info.nuid))
    }

    /// Every object's info (deleted ones only with `show_deleted`), in meta order.
    pub fn list(&self, show_deleted: bool) -> Result<Vec<ObjectInfo>> {
        let mut w = self.watch(ObjectWatchOptions { ignore_deletes: !show_deleted, ..Default::default() })?;
        let timeout = self.js.options().timeout;
        let mut out = Vec::new();
        while let Some(i) = w.next(timeout)? {
            out.push(i);
        }
        Ok(out)
    }

    /// Watches the store's meta (puts, meta updates, deletes, links).
    pub fn watch(&self, opts: ObjectWatchOptions) -> Result<ObjectWatcher> {
        ObjectWatcher::new(self, opts)
    }

    fn new_link(&self, name: &str, link: ObjectLink) -> Result<ObjectInfo> {
        Self::check_name(name)?;
        if let Some(e) = self.info_raw(name)? {
            if !e.deleted && !e.is_link() {
                return Err(err!(IllegalState, "object '{}' already exists (only a link may be replaced by a link)", name));
            }
        }
        let mut info = ObjectInfo {
            meta: ObjectMeta {
                name: name.to_string(),
                options: Some(ObjectMetaOptions { link: Some(link), max_chunk_size: None }),
                ..Default::default()
            },
            bucket: self.bucket.clone(),
            nuid: crate::nuid::next(),
            ..Default::default()
        };
        self.publish_meta(&mut info)?;
        Ok(info)
    }

    /// Adds `name` as a link to the object `target` (of this or another store). Linking to a
    /// deleted object or to a link is `InvalidArgument`.
    pub fn add_link(&self, name: &str, target: &ObjectInfo) -> Result<ObjectInfo> {
        if target.meta.name.is_empty() || target.bucket.is_empty() {
            return Err(err!(InvalidArgument, "the link target has no name or bucket"));
        }
        if target.deleted {
            return Err(err!(InvalidArgument, "cannot link to deleted object '{}'", target.meta.name));
        }
        if target.is_link() {
            return Err(err!(InvalidArgument, "cannot link to link '{}'", target.meta.name));
        }
        self.new_link(name, ObjectLink { bucket: target.bucket.clone(), name: Some(target.meta.name.clone()) })
    }

    /// Adds `name` as a link to the whole store `bucket`.
    pub fn add_bucket_link(&self, name: &str, bucket: &ObjectStore) -> Result<ObjectInfo> {
        self.new_link(name, ObjectLink { bucket: bucket.bucket.clone(), name: None })
    }

    /// Seals the store: no more puts, deletes or meta changes.
    pub fn seal(&self) -> Result<()> {
        let mut cfg = self.js.stream_info(&self.stream)?.config;
        cfg.sealed = Some(true);
        self.js.update_stream(&cfg).map(|_| ())
    }

    /// The store's status.
    pub fn status(&self) -> Result<ObjectStoreStatus> {
        Ok(ObjectStoreStatus::from_info(&self.bucket, self.js.stream_info(&self.stream)?))
    }
}
