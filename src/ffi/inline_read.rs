//! Inline reads for an event loop: the loop polls a duplicate of the connection's plain TCP
//! socket and, when it is readable, reads and routes the input on its own thread (no I/O-thread
//! hand-off before the subscriptions' notify fds fire). See ARCHITECTURE.md, "Engine".

use std::os::fd::IntoRawFd;

use super::connection::{conn, natsrs_connection};
use super::status::natsrs_status;
use super::{guard, nn, put, put_opt};
use crate::connection::InlineRead;
use crate::error::err;

/// Attaches the calling event loop as a reader of the socket the connection serves now.
/// `*out_fd` gets a duplicate of the socket's descriptor, owned by the caller (close it after
/// natsrs_connection_read_detach, or once natsrs_connection_read_inline says the socket is
/// gone): poll it for readability and call natsrs_connection_read_inline from the polling
/// thread. `*out_gen` names the socket. While a loop is attached the library's I/O thread looks
/// at the socket only every 20 ms, and reads it only when the loop made no read since its
/// previous look (it picks up what a loop that stopped polling left). NATSRS_STATUS_NOT_CONNECTED
/// when no plain TCP socket is served (reconnecting, or TLS: keep using the notify fds alone),
/// NATSRS_STATUS_CONNECTION_CLOSED after close.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_read_attach(nc: *const natsrs_connection, out_fd: *mut i32, out_gen: *mut u64) -> natsrs_status {
    guard(|| {
        // SAFETY: `nc` is NULL or a live handle (C contract).
        let c = unsafe { conn(nc) }?;
        nn(out_fd, "out_fd")?;
        nn(out_gen, "out_gen")?;
        let (fd, gen) = c.read_attach()?;
        // SAFETY: both checked non-NULL above; the descriptor becomes the caller's.
        unsafe {
            put(out_fd, fd.into_raw_fd());
            put(out_gen, gen);
        }
        Ok(())
    })
}

/// Reads what the attached socket `gen` has (without blocking), parses it and routes the
/// messages to their subscriptions, on the calling thread. `*out_bytes` (may be NULL) gets how
/// many bytes were read (0: nothing was there). `out_sids` (room for `cap`; may be NULL with
/// `cap` 0) gets the sids of the subscriptions that got their first queued messages from this
/// read, and `*out_count` (may be NULL) their number, at most `cap`. Their notify fds are NOT
/// signalled: the caller runs their readers itself (now, rather than a loop turn later); the
/// fds of the others (beyond `cap`) are signalled as usual. `*out_more` (may be NULL) is true
/// when the call stopped at its read budget (8 reads) with input perhaps still waiting: call
/// again before waiting, since an edge-triggered poller (Go's, epoll with EPOLLET) will not
/// report it again; false when the socket had nothing more (a level-triggered poller may
/// ignore it). NATSRS_STATUS_NOT_CONNECTED when that socket has ended or another one is
/// served: stop polling the duplicate, close it, and attach again after the reconnect.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_read_inline(
    nc: *const natsrs_connection,
    gen: u64,
    out_bytes: *mut u64,
    out_sids: *mut u64,
    cap: usize,
    out_count: *mut usize,
    out_more: *mut bool,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `nc` is NULL or a live handle (C contract).
        let c = unsafe { conn(nc) }?;
        if cap > 0 {
            nn(out_sids, "out_sids")?;
        }
        let mut sids = Vec::new();
        match c.read_inline(gen, &mut sids, cap) {
            InlineRead::Read { bytes, more } => {
                // SAFETY: `out_sids` has room for `cap` u64s (C contract, checked non-NULL when
                // cap > 0) and `sids.len() <= cap`; the other pointers are NULL or valid.
                unsafe {
                    if !sids.is_empty() {
                        std::ptr::copy_nonoverlapping(sids.as_ptr(), out_sids, sids.len());
                    }
                    put_opt(out_bytes, bytes as u64);
                    put_opt(out_count, sids.len());
                    put_opt(out_more, more);
                }
                Ok(())
            }
            InlineRead::Gone => Err(err!(NotConnected, "the attached socket has ended")),
        }
    })
}

/// The attached loop stops reading socket `gen`; the I/O thread reads it again as soon as it is
/// readable. Nothing happens for a socket that is no longer served. The caller still closes its
/// duplicate descriptor.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_read_detach(nc: *const natsrs_connection, gen: u64) -> natsrs_status {
    guard(|| {
        // SAFETY: `nc` is NULL or a live handle (C contract).
        let c = unsafe { conn(nc) }?;
        c.read_detach(gen);
        Ok(())
    })
}

/// Flow control of an attached loop: with `hold` true, the I/O thread no longer reads socket
/// `gen` every 20 ms to pick up what the loop left, so while the loop does not call
/// natsrs_connection_read_inline (its consumers are far behind) input waits in the socket and
/// in the server, which slows fast publishers down, instead of piling up in the subscriptions'
/// queues. With `hold` false the I/O thread reads as before. Release the hold as soon as the
/// consumers caught up or stopped taking messages: while held and not read inline, nothing
/// arrives on the connection (replies, PINGs). Detaching releases it. Nothing happens for a
/// socket that is no longer served.
#[no_mangle]
pub unsafe extern "C" fn natsrs_connection_read_hold(nc: *const natsrs_connection, gen: u64, hold: bool) -> natsrs_status {
    guard(|| {
        // SAFETY: `nc` is NULL or a live handle (C contract).
        let c = unsafe { conn(nc) }?;
        c.read_hold(gen, hold);
        Ok(())
    })
}
