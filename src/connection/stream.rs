//! The socket types: a plain or TLS stream, split into a read half and a write half.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::tcp::OwnedWriteHalf;
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

pub(super) type ReadHalf = Box<dyn AsyncRead + Send + Unpin>;

/// The write side. A plain TCP socket is shared so that a publishing thread can write a large
/// buffer itself when the writer task is idle (no thread hand-off on the hot path).
pub(super) enum WriteHalf {
    Plain(Arc<OwnedWriteHalf>),
    Boxed(Box<dyn AsyncWrite + Send + Unpin>),
}

impl WriteHalf {
    /// Writes all of `buf`. Fails with `TimedOut` when the socket takes no byte for `stall`.
    pub(super) async fn write_all(&mut self, mut buf: &[u8], stall: Duration) -> std::io::Result<()> {
        let timed_out = || std::io::Error::from(std::io::ErrorKind::TimedOut);
        while !buf.is_empty() {
            let n = match self {
                WriteHalf::Boxed(w) => tokio::time::timeout(stall, w.write(buf)).await.map_err(|_| timed_out())??,
                WriteHalf::Plain(w) => match w.try_write(buf) {
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        tokio::time::timeout(stall, w.writable()).await.map_err(|_| timed_out())??;
                        continue;
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
    pub(super) fn split(self) -> (ReadHalf, WriteHalf) {
        match self {
            Stream::Plain(s) => {
                let (r, w) = s.into_split();
                (Box::new(r), WriteHalf::Plain(Arc::new(w)))
            }
            Stream::Tls(s) => {
                let (r, w) = tokio::io::split(*s);
                (Box::new(r), WriteHalf::Boxed(Box::new(w)))
            }
        }
    }
}
