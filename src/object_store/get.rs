//! Getting objects: an [`ObjectReader`] streams the chunks through an ordered consumer (at most
//! [`OBJ_GET_PREFETCH_CHUNKS`] asked for ahead) and checks the size and the SHA-256 digest at
//! the end; on top of it, get to a buffer, a file or any writer. Links are followed.

use std::io::{Read, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

use super::meta::{digest_mismatch, digest_string, parse_digest, ObjectInfo};
use super::store::{not_found, ObjectStore};
use crate::error::{err, Error, Result};
use crate::jetstream::{ConsumeOptions, DeliverPolicy, JsMsg, OrderedConsumer, OrderedConsumerOptions};

/// Chunks a get asks the server for ahead of the reader (bounds a get's memory).
pub const OBJ_GET_PREFETCH_CHUNKS: usize = 16;

/// A running get: read it with [`Read`] or [`ObjectReader::next_chunk`]. The digest is checked
/// when the last chunk has been read; a mismatch is an error (see `is_digest_mismatch`).
pub struct ObjectReader {
    info: ObjectInfo,
    oc: Option<OrderedConsumer>,
    hash: Sha256,
    received: u64,
    done: bool,
    /// The chunk being read by `Read` and how much of it was consumed.
    current: Option<JsMsg>,
    pos: usize,
    timeout: std::time::Duration,
}

impl std::fmt::Debug for ObjectReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectReader").field("name", &self.info.meta.name).field("received", &self.received).finish()
    }
}

impl ObjectReader {
    /// The object's info (of the linked object when a link was followed).
    pub fn info(&self) -> &ObjectInfo {
        &self.info
    }

    /// The next chunk's data, or None after the last one (the digest matched). The digest and
    /// size are checked before None is returned.
    pub fn next_chunk(&mut self) -> Result<Option<JsMsg>> {
        if self.done {
            return Ok(None);
        }
        let Some(oc) = self.oc.as_mut() else { return self.finish().map(|_| None) };
        let m = oc.next(self.timeout).map_err(|e| err!(Timeout, "reading object '{}': {}", self.info.meta.name, e.message))?;
        let md = m.metadata()?;
        self.hash.update(m.data());
        self.received += m.data().len() as u64;
        if md.num_pending == 0 {
            self.finish()?;
        }
        Ok(Some(m))
    }

    /// Stops the consumer and checks the digest and size.
    fn finish(&mut self) -> Result<()> {
        self.done = true;
        if let Some(mut oc) = self.oc.take() {
            oc.stop();
        }
        let hash = std::mem::take(&mut self.hash);
        if !self.info.digest.is_empty() {
            let sum = hash.clone().finalize();
            if parse_digest(&self.info.digest).ok().as_deref() != Some(&sum[..]) {
                return Err(digest_mismatch(&self.info.meta.name, &self.info.digest, &digest_string(hash)));
            }
        }
        if self.received != self.info.size {
            return Err(err!(
                Io,
                "object '{}' size mismatch: expected {} bytes, got {}",
                self.info.meta.name,
                self.info.size,
                self.received
            ));
        }
        Ok(())
    }

    /// Copies the rest of the object into `w`; returns the bytes written.
    pub fn copy_to(&mut self, w: &mut dyn Write) -> Result<u64> {
        let mut n = 0u64;
        if let Some(m) = self.current.take() {
            let rest = &m.data()[self.pos..];
            w.write_all(rest).map_err(|e| err!(Io, "writing object data: {}", e))?;
            n += rest.len() as u64;
        }
        while let Some(m) = self.next_chunk()? {
            w.write_all(m.data()).map_err(|e| err!(Io, "writing object data: {}", e))?;
            n += m.data().len() as u64;
        }
        Ok(n)
    }
}

impl Read for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if let Some(m) = &self.current {
                let rest = &m.data()[self.pos..];
                if !rest.is_empty() {
                    let n = rest.len().min(buf.len());
                    buf[..n].copy_from_slice(&rest[..n]);
                    self.pos += n;
                    return Ok(n);
                }
            }
            self.current = None;
            self.pos = 0;
            match self.next_chunk() {
                Ok(Some(m)) => self.current = Some(m),
                Ok(None) => return Ok(0),
                Err(e) => return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
            }
        }
    }
}

impl ObjectStore {
    /// Starts getting an object (following a link to an object). `NotFound` when there is none
    /// or it was deleted; a link to a whole store is `InvalidArgument`.
    pub fn get(&self, name: &str) -> Result<ObjectReader> {
        let info = self.info(name)?;
        if let Some(link) = info.link() {
            let Some(target) = link.name.as_deref() else {
                return Err(err!(InvalidArgument, "'{}' is a link to store '{}', not to an object", name, link.bucket));
            };
            let store = if link.bucket == self.bucket() { self.clone() } else { self.js.object_store(&link.bucket)? };
            let linked = store.info(target).map_err(|e| if e.status == crate::Status::NotFound { not_found(target) } else { e })?;
            if linked.is_link() {
                return Err(err!(InvalidArgument, "'{}' links to another link", name));
            }
            return store.reader(linked);
        }
        self.reader(info)
    }

    fn reader(&self, info: ObjectInfo) -> Result<ObjectReader> {
        let oc = if info.chunks == 0 && info.size == 0 {
            None
        } else {
            let opts = OrderedConsumerOptions {
                filter_subjects: vec![self.chunk_subject(&info.nuid)],
                deliver_policy: Some(DeliverPolicy::All),
                consume: Some(ConsumeOptions { max_messages: OBJ_GET_PREFETCH_CHUNKS, ..Default::default() }),
                ..Default::default()
            };
            Some(self.js.stream(self.stream_name())?.ordered_consumer(opts)?)
        };
        Ok(ObjectReader {
            info,
            oc,
            hash: Sha256::new(),
            received: 0,
            done: false,
            current: None,
            pos: 0,
            timeout: self.js.options().timeout,
        })
    }

    /// Gets a whole object into memory; returns its info and data.
    pub fn get_bytes(&self, name: &str) -> Result<(ObjectInfo, Vec<u8>)> {
        let mut r = self.get(name)?;
        let mut out = Vec::with_capacity(usize::try_from(r.info.size).unwrap_or(0).min(1 << 30));
        r.copy_to(&mut out)?;
        Ok((r.info, out))
    }

    /// Gets an object into `w`, streamed; returns its info.
    pub fn get_to_writer(&self, name: &str, w: &mut dyn Write) -> Result<ObjectInfo> {
        let mut r = self.get(name)?;
        r.copy_to(w)?;
        Ok(r.info)
    }

    /// Gets an object into a file (created or truncated; removed again when the get fails).
    pub fn get_file(&self, name: &str, path: &Path) -> Result<ObjectInfo> {
        let mut r = self.get(name)?;
        let f = std::fs::File::create(path).map_err(|e| err!(Io, "creating '{}': {}", path.display(), e))?;
        let mut w = std::io::BufWriter::new(f);
        let res: Result<()> = r.copy_to(&mut w).and_then(|_| w.flush().map_err(Error::from));
        if let Err(e) = res {
            drop(w);
            let _ = std::fs::remove_file(path);
            return Err(e);
        }
        Ok(r.info)
    }
}
