//! The socket types: a plain or TLS stream, split into a read half and a write half.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use std::io::Write;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};

use tokio::io::unix::AsyncFd;
use tokio::io::Interest;
use tokio::net::TcpStream;

/// A plain or TLS socket.
pub(super) enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// The read side: a plain TCP socket (a second descriptor of it, which the I/O task registers
/// with the runtime only while no event loop reads it inline, see `inline_read`) or a TLS
/// stream (read by the I/O task only).
pub(super) enum ReadHalf {
    Plain(std::net::TcpStream),
    Boxed(Box<dyn AsyncRead + Send + Unpin>),
}

/// The plain socket's write side, registered with the runtime for writability only (so that
/// input never wakes the I/O thread on its account).
pub(super) type DirectSock = AsyncFd<std::net::TcpStream>;

/// Writes what the socket takes now (never blocks; WouldBlock when it takes nothing).
#[inline]
pub(super) fn send_now(sock: &DirectSock, buf: &[u8]) -> std::io::Result<usize> {
    sock.get_ref().write(buf)
}

/// Waits up to `timeout` for the socket to take bytes again (POLLOUT), on the calling thread.
/// False when it did not (a timeout, or poll failed).
pub(super) fn wait_writable(sock: &DirectSock, timeout: Duration) -> bool {
    use std::os::fd::AsRawFd;
    let mut p = libc::pollfd { fd: sock.get_ref().as_raw_fd(), events: libc::POLLOUT, revents: 0 };
    let ms = timeout.as_millis().clamp(1, i32::MAX as u128) as libc::c_int;
    // SAFETY: `p` is one valid pollfd for the duration of the call (nfds 1); the fd belongs to
    // `sock`, which the caller holds, so it stays open while poll looks at it.
    let n = unsafe { libc::poll(&mut p, 1, ms) };
    n == 1 && p.revents & libc::POLLOUT != 0
}

/// The write side. A plain TCP socket is shared so that a publishing thread can write a large
/// buffer itself when the writer task is idle (no thread hand-off on the hot path).
pub(super) enum WriteHalf {
    Plain(Arc<DirectSock>),
    Boxed(Box<dyn AsyncWrite + Send + Unpin>),
}

impl WriteHalf {
    /// Writes all of `buf`. Fails with `TimedOut` when the socket takes no byte for `stall`.
    pub(super) async fn write_all(&mut self, mut buf: &[u8], stall: Duration) -> std::io::Result<()> {
        let timed_out = || std::io::Error::from(std::io::ErrorKind::TimedOut);
        while !buf.is_empty() {
            let n = match self {
                WriteHalf::Boxed(w) => tokio::time::timeout(stall, w.write(buf)).await.map_err(|_| timed_out())??,
                WriteHalf::Plain(w) => match send_now(w, buf) {
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        let mut g = tokio::time::timeout(stall, w.writable()).await.map_err(|_| timed_out())??;
                        match g.try_io(|s| s.get_ref().write(buf)) {
                            Ok(r) => r?,
                            Err(_would_block) => continue,
                        }
                    }
                    Err(e) => return Err(e),
                },
            };
            if n == 0 {
                return Err(std::io::ErrorKind::WriteZero.into());
            }
            buf = &buf[n..];
        }
        if let WriteHalf::Boxed(w) = self {
            tokio::time::timeout(stall, w.flush()).await.map_err(|_| timed_out())??;
        }
        Ok(())
    }
}

impl Stream {
    /// Splits the socket. A plain one leaves the runtime's tokio registration: its write side
    /// is registered for writability only and its read side is a second descriptor. Runs on
    /// the runtime.
    pub(super) fn split(self) -> std::io::Result<(ReadHalf, WriteHalf)> {
        Ok(match self {
            Stream::Plain(s) => {
                let w = s.into_std()?;
                let r = w.try_clone()?;
                // SAFETY: the TcpStream owns its descriptor and keeps it open, on the same
                // socket, until the AsyncFd (which owns the stream) drops.
                let w = unsafe { AsyncFd::register_with_interest(w, Interest::WRITABLE) }?;
                (ReadHalf::Plain(r), WriteHalf::Plain(Arc::new(w)))
            }
            Stream::Tls(s) => {
                let (r, w) = tokio::io::split(*s);
                (ReadHalf::Boxed(Box::new(r)), WriteHalf::Boxed(Box::new(w)))
            }
        })
    }
}
