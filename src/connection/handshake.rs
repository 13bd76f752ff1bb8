//! Opening a socket to one server: dial, the TLS choice (TLS first, upgrade after INFO, or
//! plain), INFO, CONNECT with credentials, and the PONG that confirms it. All under the
//! connect timeout.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::server_error;
use super::session_info::SessionInfo;
use super::state::Inner;
use super::stream::Stream;
use crate::error::{err, Error, Result};
use crate::options::ServerUrl;
use crate::proto::{encode, ConnectInfo, Op, Parser, ServerInfo};

/// Bytes the read buffer grows by at a time (handshake and reader alike).
pub(super) const READ_CHUNK: usize = 64 * 1024;
/// The `lang` field of CONNECT.
const CLIENT_LANG: &str = "rust-c";

/// An established, handshaken connection.
pub(super) struct Established {
    pub(super) stream: Stream,
    pub(super) rbuf: BytesMut,
    pub(super) info: ServerInfo,
    pub(super) url: ServerUrl,
    pub(super) session: SessionInfo,
}

/// Dials one server and runs the handshake under the connect timeout. Cancelled (the future
/// dropped) when the connection closes.
pub(super) async fn connect_one(inner: &Arc<Inner>, url: &ServerUrl) -> Result<Established> {
    let t = inner.opts.connect_timeout;
    tokio::select! {
        r = tokio::time::timeout(t, handshake(inner, url)) => match r {
            Ok(r) => r,
            Err(_) => Err(err!(Timeout, "connect to {} timed out after {:?}", url.display(), t)),
        },
        _ = inner.closing() => Err(err!(ConnectionClosed, "connection closed")),
    }
}

async fn read_frame(stream: &mut Stream, buf: &mut BytesMut, parser: &mut Parser, host: &str) -> Result<(Op, BytesMut)> {
    loop {
        match parser.parse(buf) {
            Ok(Some(f)) => {
                let frame = buf.split_to(f.len);
                return Ok((f.op, frame));
            }
            Ok(None) => {}
            Err(e) => return Err(err!(Protocol, "{}", e)),
        }
        buf.reserve(READ_CHUNK);
        let n = match stream.read_buf(buf).await {
            Ok(n) => n,
            Err(e) => return Err(io_error(&e, host)),
        };
        if n == 0 {
            return Err(err!(Io, "connection closed by server during handshake"));
        }
    }
}

async fn handshake(inner: &Arc<Inner>, url: &ServerUrl) -> Result<Established> {
    let tcp = TcpStream::connect(url.addr()).await.map_err(|e| err!(Io, "cannot connect to {}: {}", url.display(), e))?;
    let _ = tcp.set_nodelay(true);
    let host = url.display();
    let tls = &inner.opts.tls;
    let want_tls = url.is_tls() || tls.required || tls.handshake_first;
    let mut stream = if want_tls && tls.handshake_first { tls_upgrade(inner, tcp, url).await? } else { Stream::Plain(tcp) };
    let mut parser = Parser::new();
    let mut buf = BytesMut::with_capacity(READ_CHUNK);
    let (op, frame) = read_frame(&mut stream, &mut buf, &mut parser, &host).await?;
    let info = match op {
        Op::Info { json } => ServerInfo::parse(&frame[json]).map_err(|e| err!(Protocol, "bad INFO: {}", e))?,
        _ => return Err(err!(Protocol, "expected INFO from {}", url.display())),
    };
    if let Stream::Plain(tcp) = stream {
        if info.tls_required || want_tls {
            if want_tls && !info.tls_required && !info.tls_available {
                return Err(err!(Tls, "TLS requested but server {} does not offer TLS", url.display()));
            }
            if !buf.is_empty() {
                return Err(err!(Protocol, "unexpected data after INFO before the TLS upgrade"));
            }
            stream = tls_upgrade(inner, tcp, url).await?;
        } else {
            stream = Stream::Plain(tcp);
        }
    }
    let is_tls = matches!(stream, Stream::Tls(_));
    inner.was_tls.store(is_tls, Ordering::Relaxed);
    let session = SessionInfo::of(&stream, tls.server_name_for(url.tls_host.as_deref().unwrap_or(&url.host)));
    let ci = connect_info(inner, url, &info, is_tls).await?;
    let mut out = Vec::with_capacity(256);
    encode::write_connect(&mut out, &ci.to_json());
    out.extend_from_slice(encode::PING);
    stream.write_all(&out).await.map_err(|e| io_error(&e, &host))?;
    loop {
        let (op, _frame) = read_frame(&mut stream, &mut buf, &mut parser, &host).await?;
        match op {
            Op::Pong => break,
            Op::Ok | Op::Info { .. } => continue,
            Op::Ping => {
                stream.write_all(encode::PONG).await.map_err(|e| io_error(&e, &host))?;
            }
            Op::Err(text) => return Err(server_error::classify(&text)),
            Op::Msg { .. } => return Err(err!(Protocol, "unexpected MSG during handshake")),
        }
    }
    Ok(Established { stream, rbuf: buf, info, url: url.clone(), session })
}

/// The CONNECT fields. Credentials may come from files or user callbacks: they are computed
/// off the runtime workers.
async fn connect_info(inner: &Arc<Inner>, url: &ServerUrl, info: &ServerInfo, is_tls: bool) -> Result<ConnectInfo> {
    let o = &inner.opts;
    let (auth, u, nonce) = (o.auth.clone(), url.clone(), info.nonce.clone());
    let f =
        tokio::task::spawn_blocking(move || auth.fields(u.user.as_deref(), u.password.as_deref(), u.token.as_deref(), nonce.as_deref()))
            .await
            .map_err(|_| err!(Panic, "authentication callback panicked"))??;
    Ok(ConnectInfo {
        verbose: o.verbose,
        pedantic: o.pedantic,
        tls_required: is_tls,
        name: o.name.clone(),
        lang: CLIENT_LANG.to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        protocol: 1,
        echo: !o.no_echo,
        headers: info.headers,
        no_responders: info.headers,
        user: f.user,
        pass: f.pass,
        auth_token: f.auth_token,
        nkey: f.nkey,
        sig: f.sig,
        jwt: f.jwt,
    })
}

/// An I/O error on the handshake path; TLS alerts keep their TLS status.
fn io_error(e: &std::io::Error, host: &str) -> Error {
    crate::tls::map_io_error(e, host).unwrap_or_else(|| err!(Io, "{}: {}", host, e))
}

async fn tls_upgrade(inner: &Inner, tcp: TcpStream, url: &ServerUrl) -> Result<Stream> {
    let t = &inner.opts.tls;
    let cfg = crate::tls::load_client_config(t).await?;
    let host = t.server_name_for(url.tls_host.as_deref().unwrap_or(&url.host));
    let s = crate::tls::connect(tcp, cfg, host, t.handshake_timeout()).await?;
    Ok(Stream::Tls(Box::new(s)))
}
