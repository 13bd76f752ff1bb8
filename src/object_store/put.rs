//! Putting objects: from a buffer, a file or any reader, streamed chunk by chunk. At most
//! [`OBJ_PUT_MAX_PENDING_CHUNKS`] chunks wait for their ack at once (each async publish keeps
//! its chunk until acked), so a put holds about that many chunks in memory whatever the
//! object's size. A put from a buffer publishes each chunk straight from the caller's slice
//! (no staging copy); a reader is read into one staging chunk buffer.

use std::collections::VecDeque;
use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::meta::{digest_string, ObjectInfo, ObjectMeta, ObjectMetaOptions};
use super::store::ObjectStore;
use super::OBJ_DEFAULT_CHUNK_SIZE;
use crate::error::{err, Error, Result};
use crate::jetstream::PubAckFuture;

/// Chunks of one put waiting for their ack at once (the put's flow-control window).
pub const OBJ_PUT_MAX_PENDING_CHUNKS: usize = 32;
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

/// Where a put's chunks come from.
enum Source<'a> {
    /// The caller's buffer and how much of it was sent.
    Slice(&'a [u8], usize),
    /// A reader, its staging buffer (sized on first use) and whether it has ended.
    Reader(&'a mut dyn Read, Vec<u8>, bool),
}

impl Source<'_> {
    /// The next chunk (at most `chunk_size` bytes; only the last one shorter), or None at the end.
    fn next_chunk(&mut self, chunk_size: usize) -> Result<Option<&[u8]>> {
        match self {
            Source::Slice(data, pos) => {
                let rest = &data[*pos..];
                if rest.is_empty() {
                    return Ok(None);
                }
                let n = rest.len().min(chunk_size);
                *pos += n;
                Ok(Some(&rest[..n]))
            }
            Source::Reader(r, buf, ended) => {
                if *ended {
                    return Ok(None);
                }
                if buf.len() != chunk_size {
                    buf.resize(chunk_size, 0);
                }
                let n = fill(&mut **r, buf)?;
                *ended = n < chunk_size;
                Ok(if n == 0 { None } else { Some(&buf[..n]) })
            }
        }
    }
}

impl ObjectStore {
    /// Puts an object from a buffer.
    pub fn put_bytes(&self, name: &str, data: &[u8]) -> Result<ObjectInfo> {
        self.put_from(ObjectMeta::new(name), Source::Slice(data, 0))
    }

    /// Puts an object from a file, streamed.
    pub fn put_file(&self, meta: ObjectMeta, path: &Path) -> Result<ObjectInfo> {
        let mut f = std::fs::File::open(path).map_err(|e| err!(Io, "opening '{}': {}", path.display(), e))?;
        self.put(meta, &mut f)
    }

    /// Puts an object from a reader, streamed in chunks of `meta.options.max_chunk_size`
    /// (default [`OBJ_DEFAULT_CHUNK_SIZE`]) until the reader ends. A reader error aborts the put
    /// (the chunks sent are purged). Replaces an object of the same name once complete.
    pub fn put(&self, meta: ObjectMeta, r: &mut dyn Read) -> Result<ObjectInfo> {
        self.put_from(meta, Source::Reader(r, Vec::new(), false))
    }

    fn put_from(&self, mut meta: ObjectMeta, mut src: Source<'_>) -> Result<ObjectInfo> {
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
        let (size, chunks, digest) = match self.send_chunks(&chunk_subject, chunk_size, &mut src) {
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

    /// Publishes the source's data as chunks; returns (size, chunks, digest).
    fn send_chunks(&self, subject: &str, chunk_size: usize, src: &mut Source<'_>) -> Result<(u64, u32, String)> {
        let timeout = self.js.options().timeout;
        let mut window: VecDeque<PubAckFuture> = VecDeque::with_capacity(OBJ_PUT_MAX_PENDING_CHUNKS);
        let mut hash = Sha256::new();
        let (mut size, mut chunks) = (0u64, 0u32);
        while let Some(chunk) = src.next_chunk(chunk_size)? {
            hash.update(chunk);
            size += chunk.len() as u64;
            chunks = chunks.checked_add(1).ok_or_else(|| err!(InvalidArgument, "too many chunks"))?;
            while window.len() >= OBJ_PUT_MAX_PENDING_CHUNKS {
                window.pop_front().expect("window not empty").wait(timeout)?;
            }
            window.push_back(self.js.publish_async(subject, chunk, None)?);
        }
        for f in window {
            f.wait(timeout)?;
        }
        Ok((size, chunks, digest_string(hash)))
    }
}
