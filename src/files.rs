//! Reading the small files the user names in the options: nkey seed, creds and JWT files
//! (`auth`) and CA, certificate and key files (`tls`). They are read on every connect attempt,
//! off the runtime's I/O threads, and must be small regular files: a FIFO, a device such as
//! `/dev/zero`, a directory or a file over [`MAX_FILE_SIZE`] is refused without reading it.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::Path;

use zeroize::Zeroizing;

use crate::error::{Error, Result, Status};

/// Largest seed, creds, JWT, CA, certificate or key file read (4 MiB; real ones are a few KiB,
/// a CA bundle a few hundred KiB).
pub const MAX_FILE_SIZE: u64 = 4 * 1024 * 1024;

/// Reads the file at `path` into a buffer wiped on drop. `what` names it in errors ("seed
/// file", "CA file"); errors have `status` (`BadCredentials` for auth files, `Tls` for TLS
/// files) and name the path.
///
/// The type is checked before opening (so a FIFO is not opened), the file is opened
/// non-blocking (so a FIFO swapped in after the check cannot block `open()` either) and checked
/// again on the open descriptor; at most `MAX_FILE_SIZE + 1` bytes are ever read.
pub(crate) fn read_small_file(path: &Path, what: &str, status: Status) -> Result<Zeroizing<Vec<u8>>> {
    #[cfg(test)]
    if path.to_string_lossy().contains(SLOW_READ_MARKER) {
        std::thread::sleep(SLOW_READ);
    }
    let fail = |why: String| Error::new(status, format!("cannot read {} {}: {}", what, path.display(), why));
    let meta = std::fs::metadata(path).map_err(|e| fail(e.to_string()))?;
    check_meta(&meta).map_err(&fail)?;
    let mut file = open_nonblocking(path).map_err(|e| fail(e.to_string()))?;
    let meta = file.metadata().map_err(|e| fail(e.to_string()))?;
    check_meta(&meta).map_err(&fail)?;
    // Capacity from the size seen, so the secret is not copied around by reallocations.
    let mut buf = Zeroizing::new(Vec::with_capacity(meta.len() as usize + 1));
    (&mut file).take(MAX_FILE_SIZE + 1).read_to_end(&mut buf).map_err(|e| fail(e.to_string()))?;
    if buf.len() as u64 > MAX_FILE_SIZE {
        return Err(fail(too_large(buf.len() as u64)));
    }
    Ok(buf)
}

/// Unit tests only: a path containing this is read slowly (`SLOW_READ`), to show on which
/// thread files are read.
#[cfg(test)]
pub(crate) const SLOW_READ_MARKER: &str = "natsrs-slow-read-test";
#[cfg(test)]
const SLOW_READ: std::time::Duration = std::time::Duration::from_millis(300);

fn too_large(len: u64) -> String {
    format!("the file is too large ({len} bytes; at most {MAX_FILE_SIZE} bytes are read)")
}

/// Refuses anything but a regular file of at most `MAX_FILE_SIZE` bytes.
fn check_meta(meta: &std::fs::Metadata) -> std::result::Result<(), String> {
    if !meta.is_file() {
        return Err(format!("not a regular file (it is {})", file_kind(meta)));
    }
    if meta.len() > MAX_FILE_SIZE {
        return Err(too_large(meta.len()));
    }
    Ok(())
}

fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if meta.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    let mut o = OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    o.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_regular_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"hello").unwrap();
        assert_eq!(&read_small_file(&p, "seed file", Status::BadCredentials).unwrap()[..], b"hello");
        std::fs::write(&p, b"").unwrap();
        assert!(read_small_file(&p, "seed file", Status::BadCredentials).unwrap().is_empty());
        // Exactly at the cap is fine; one byte more is not.
        let f = File::create(&p).unwrap();
        f.set_len(MAX_FILE_SIZE).unwrap();
        assert_eq!(read_small_file(&p, "CA file", Status::Tls).unwrap().len() as u64, MAX_FILE_SIZE);
        f.set_len(MAX_FILE_SIZE + 1).unwrap();
        let e = read_small_file(&p, "CA file", Status::Tls).unwrap_err();
        assert_eq!(e.status, Status::Tls);
        assert!(e.message.contains("too large") && e.message.contains("CA file"), "{}", e.message);
    }

    #[test]
    fn other_file_types_are_refused_with_their_kind() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: `c` is a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        for (p, kind) in [(fifo.as_path(), "a FIFO"), (dir.path(), "a directory"), (Path::new("/dev/zero"), "a character device")] {
            let e = read_small_file(p, "seed file", Status::BadCredentials).unwrap_err();
            assert_eq!(e.status, Status::BadCredentials);
            assert!(e.message.contains("not a regular file") && e.message.contains(kind), "{}", e.message);
        }
        let e = read_small_file(&dir.path().join("missing"), "key file", Status::Tls).unwrap_err();
        assert_eq!(e.status, Status::Tls);
        assert!(e.message.starts_with("cannot read key file") && e.message.contains("missing"), "{}", e.message);
    }

    #[test]
    fn a_fifo_is_never_blocked_on_when_opened() {
        // The race the second check covers: a FIFO opened despite the first check. With
        // O_NONBLOCK the open returns at once (no writer needed) and fstat refuses it.
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: `c` is a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let f = open_nonblocking(&fifo).unwrap();
        assert!(check_meta(&f.metadata().unwrap()).unwrap_err().contains("a FIFO"));
    }
}
