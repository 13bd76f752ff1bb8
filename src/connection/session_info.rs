//! What the socket in use is: its local address and, over TLS, the negotiated session (what
//! nats.go's `LocalAddr` and `TLSConnectionState` report). Taken once per established socket.

use std::net::SocketAddr;

use super::stream::Stream;

/// The socket of the current connection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionInfo {
    pub local_addr: Option<SocketAddr>,
    /// `None` for a plain socket.
    pub tls: Option<TlsSession>,
}

/// A negotiated TLS session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsSession {
    /// The IANA protocol version: 0x0303 for TLS 1.2, 0x0304 for TLS 1.3.
    pub version: u16,
    /// The IANA cipher suite number.
    pub cipher_suite: u16,
    /// The name the server's certificate was verified for (also the SNI sent).
    pub server_name: String,
    /// The ALPN protocol agreed on ("" when none).
    pub alpn: String,
    /// The server's certificate chain as it sent it (DER, leaf first).
    pub peer_certificates: Vec<Vec<u8>>,
}

impl SessionInfo {
    pub(super) fn of(stream: &Stream, server_name: &str) -> SessionInfo {
        match stream {
            Stream::Plain(tcp) => SessionInfo { local_addr: tcp.local_addr().ok(), tls: None },
            Stream::Tls(s) => {
                let (tcp, conn) = s.get_ref();
                let tls = TlsSession {
                    version: conn.protocol_version().map(u16::from).unwrap_or(0),
                    cipher_suite: conn.negotiated_cipher_suite().map(|c| u16::from(c.suite())).unwrap_or(0),
                    server_name: server_name.to_string(),
                    alpn: conn.alpn_protocol().map(|p| String::from_utf8_lossy(p).into_owned()).unwrap_or_default(),
                    peer_certificates: conn.peer_certificates().unwrap_or(&[]).iter().map(|c| c.as_ref().to_vec()).collect(),
                };
                SessionInfo { local_addr: tcp.local_addr().ok(), tls: Some(tls) }
            }
        }
    }

    /// `{"local_addr":"ip:port","tls":null}`, or with `tls` an object of `version`,
    /// `cipher_suite` (numbers), `server_name`, `alpn` and `peer_certificates` (standard base64
    /// of each DER certificate, leaf first).
    pub fn to_json(&self) -> String {
        let tls = self.tls.as_ref().map(|t| {
            serde_json::json!({
                "version": t.version,
                "cipher_suite": t.cipher_suite,
                "server_name": t.server_name,
                "alpn": t.alpn,
                "peer_certificates": t.peer_certificates.iter().map(|c| base64_std(c)).collect::<Vec<_>>(),
            })
        });
        serde_json::json!({
            "local_addr": self.local_addr.map(|a| a.to_string()).unwrap_or_default(),
            "tls": tls,
        })
        .to_string()
    }
}

/// Standard base64 with padding (what Go's encoding/json reads into a `[]byte`).
fn base64_std(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard_alphabet_and_padding() {
        assert_eq!(base64_std(b""), "");
        assert_eq!(base64_std(b"f"), "Zg==");
        assert_eq!(base64_std(b"fo"), "Zm8=");
        assert_eq!(base64_std(b"foo"), "Zm9v");
        assert_eq!(base64_std(b"foob"), "Zm9vYg==");
        assert_eq!(base64_std(&[0xfb, 0xff, 0xbf]), "+/+/");
    }

    #[test]
    fn plain_sessions_have_no_tls_object() {
        let s = SessionInfo { local_addr: Some("127.0.0.1:5000".parse().unwrap()), tls: None };
        assert_eq!(s.to_json(), r#"{"local_addr":"127.0.0.1:5000","tls":null}"#);
        let t = SessionInfo {
            local_addr: None,
            tls: Some(TlsSession {
                version: 0x0304,
                cipher_suite: 0x1301,
                server_name: "localhost".into(),
                alpn: String::new(),
                peer_certificates: vec![b"foo".to_vec()],
            }),
        };
        let v: serde_json::Value = serde_json::from_str(&t.to_json()).unwrap();
        assert_eq!(v["tls"]["version"], 772);
        assert_eq!(v["tls"]["cipher_suite"], 4865);
        assert_eq!(v["tls"]["peer_certificates"][0], "Zm9v");
        assert_eq!(v["local_addr"], "");
    }
}
