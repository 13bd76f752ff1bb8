//! Putting objects: from a buffer, a file or any reader, streamed chunk by chunk. At most
//! [`OBJ_PUT_MAX_PENDING_CHUNKS`] chunks wait for their ack at once (each async publish keeps
//! its chunk until acked), so a put holds about that many chunks in memory whatever the
//! object's size.

use std::collections::VecDeque;
use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::meta::{digest_string, ObjectInfo, ObjectMeta, ObjectMetaOptions};
use super::store::ObjectStore;
use super::OBJ_DEFAULT_CHUNK_SIZE;
use crate::error::{err, Error, Result};
use crate::jetstream::{PubAckFuture, PublishOptions};
use crate::Msg;

/// Chunks of one put waiting for their ack at once (the put's flow-control window).
pub const OBJ_PUT_MAX_PENDING_CHUNKS: usize = 16;
/// Largest chunk size accepted (the server's default max payload is 1 MiB; 8 MiB is its limit).
pub const OBJ_MAX_CHUNK_SIZE: usize = 8 * 1024 * 1024;

/// Reads until `buf` is full or the reader ends; returns how many bytes were read.
fn fill(r: &mut dyn Read, buf: &mut [u8]) -> Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(err!(Io, "reading the object's data: {}", e)),
        }
    }
    Ok(n)
}

impl ObjectStore {
    /// Puts an object from a buffer.
    pub fn put_bytes(&self, name: &str, data: &[u8]) -> Result<ObjectInfo> {
        self.put(ObjectMeta::new(name), &mut &data[..])
    }

    /// Puts an object from a file, streamed.
    pub fn put_file(&self, meta: ObjectMeta, path: &Path) -> Result<ObjectInfo> {
        let mut f = std::fs::File::open(path).map_err(|e| err!(Io, "opening '{}': {}", path.display(), e))?;
        self.put(meta, &mut f)
    }

    /// Puts an object from a reader, streamed in chunks of `meta.options.max_chunk_size`
    /// (default [`OBJ_DEFAULT_CHUNK_SIZE`]) until the reader ends. A reader error aborts the put
    /// (the chunks sent are purged). Replaces an object of the same name once complete.
    pub fn put(&self, mut meta: ObjectMeta, r: &mut dyn Read) -> Result<ObjectInfo> {
        Self::check_name(&meta.name)?;
        let mut opts = meta.options.take().unwrap_or_default();
        if opts.link.is_some() {
            return Err(err!(InvalidArgument, "a put cannot carry a link (use add_link)"));
        }
        let chunk_size = match opts.max_chunk_size {
            None | Some(0) => OBJ_DEFAULT_CHUNK_SIZE,
            Some(n) if n as usize > OBJ_MAX_CHUNK_SIZE => {
                return Err(err!(InvalidArgument, "chunk size {} is above the maximum {}", n, OBJ_MAX_CHUNK_SIZE))
            }
            Some(n) => n as usize,
        };
        opts.max_chunk_size = Some(chunk_size as u32);
        meta.options = Some(ObjectMetaOptions { link: None, ..opts });
        let existing = self.info_raw(&meta.name)?;
        let nuid = crate::nuid::next();
        let chunk_subject = self.chunk_subject(&nuid);
        let (size, chunks, digest) = match self.send_chunks(&chunk_subject, chunk_size, r) {
            Ok(v) => v,
            Err(e) => return Err(self.abort(&chunk_subject, e)),
        };
        let mut info = ObjectInfo { meta, bucket: self.bucket().to_string(), nuid, size, chunks, digest, ..Default::default() };
        if let Err(e) = self.publish_meta(&mut info) {
            return Err(self.abort(&chunk_subject, e));
        }
        if let Some(old) = existing {
            if !old.deleted && !old.nuid.is_empty() && old.nuid != info.nuid {
                self.purge_subject(&self.chunk_subject(&old.nuid))?;
            }
        }
        Ok(info)
    }

    /// Purges the chunks of a failed put (best effort) and gives back the error.
    fn abort(&self, chunk_subject: &str, e: Error) -> Error {
        let _ = self.js.publish_async_complete(self.js.options().timeout);
        let _ = self.purge_subject(chunk_subject);
        e
    }

    /// Publishes the reader's data as chunks; returns (size, chunks, digest).
    fn send_chunks(&self, subject: &str, chunk_size: usize, r: &mut dyn Read) -> Result<(u64, u32, String)> {
        let timeout = self.js.options().timeout;
        let mut window: VecDeque<PubAckFuture> = VecDeque::with_capacity(OBJ_PUT_MAX_PENDING_CHUNKS);
        let mut hash = Sha256::new();
        let mut buf = vec![0u8; chunk_size];
        let (mut size, mut chunks) = (0u64, 0u32);
        loop {
            let n = fill(r, &mut buf)?;
            if n == 0 {
                break;
            }
            hash.update(&buf[..n]);
            size += n as u64;
            chunks = chunks.checked_add(1).ok_or_else(|| err!(InvalidArgument, "too many chunks"))?;
            while window.len() >= OBJ_PUT_MAX_PENDING_CHUNKS {
                window.pop_front().expect("window not empty").wait(timeout)?;
            }
            let m = Msg::new(subject, None, &buf[..n])?;
            window.push_back(self.js.publish_msg_async(m, &PublishOptions::default(), None)?);
            if n < chunk_size {
                break;
            }
        }
        for f in window {
            f.wait(timeout)?;
        }
        Ok((size, chunks, digest_string(hash)))
    }
}
