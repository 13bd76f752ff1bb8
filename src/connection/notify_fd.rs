//! The eventfd behind `Subscription::notify_fd`: how event loops (asyncio, Go's netpoller) learn
//! that a queue has messages without a thread per subscription or a callback per message.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use crate::error::{err, Result};

pub(super) fn create() -> Result<OwnedFd> {
    // SAFETY: eventfd has no memory-safety preconditions; the result is checked below.
    let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
    if fd < 0 {
        return Err(err!(Io, "eventfd failed: {}", std::io::Error::last_os_error()));
    }
    // SAFETY: `fd` is a freshly created descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Adds one to the counter (readable until read). A full counter (never in practice) or any
/// error changes nothing: the fd is readable then anyway.
pub(super) fn signal(fd: &OwnedFd) {
    let one: u64 = 1;
    // SAFETY: writes 8 bytes from a live u64 to a descriptor we own.
    let _ = unsafe { libc::write(fd.as_raw_fd(), (&one as *const u64).cast(), 8) };
}
