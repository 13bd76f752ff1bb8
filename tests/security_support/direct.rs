//! Engine-independent checks against real servers: the `auth` and `tls` modules are driven
//! directly with a bare protocol exchange (INFO, [TLS], CONNECT + PING, PONG / -ERR). These pin
//! down the server setups of the helpers and the behaviour of the modules, so that a failure in
//! the `Connection` tests can be told apart from a failure here.
//!
//! Included from `tests/security.rs` as `mod direct;` (next to `mod common;` and
//! `mod security_support;`).

use std::time::Duration;

use natsrs::auth::AuthOptions;
use natsrs::error::{Error, Status};
use natsrs::tls::{self, TlsOptions, TlsVersion};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::common::NatsServer;
use crate::security_support::{Operator, Pki, RawClient};

const DEADLINE: Duration = Duration::from_secs(20);

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

/// CONNECT JSON with the auth fields.
fn connect_json(f: &natsrs::auth::AuthFields) -> serde_json::Value {
    let mut c = serde_json::json!({"verbose": false, "pedantic": false, "protocol": 1, "lang": "direct", "version": "0"});
    let o = c.as_object_mut().unwrap();
    for (k, v) in [("user", &f.user), ("pass", &f.pass), ("auth_token", &f.auth_token), ("nkey", &f.nkey), ("sig", &f.sig), ("jwt", &f.jwt)]
    {
        if let Some(v) = v {
            o.insert(k.into(), v.clone().into());
        }
    }
    c
}

/// Raw plaintext session: INFO, fields(nonce), CONNECT+PING; returns the reply line.
fn raw_auth(port: u16, auth: &AuthOptions) -> Result<String, Error> {
    let mut raw = RawClient::open(port);
    let fields = auth.fields(None, None, None, raw.nonce().as_deref())?;
    let json = connect_json(&fields);
    Ok(raw.connect(json))
}

async fn read_line<S: AsyncRead + Unpin>(r: &mut BufReader<S>) -> std::io::Result<String> {
    let mut line = String::new();
    let n = r.read_line(&mut line).await?;
    if n == 0 {
        return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "EOF"));
    }
    Ok(line.trim_end().to_string())
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(s: S, host: &str, read_info: bool) -> Result<String, Error> {
    let mut r = BufReader::new(s);
    let map = |e: std::io::Error| tls::map_io_error(&e, host).unwrap_or_else(|| Error::new(Status::Io, e.to_string()));
    if read_info {
        let info = read_line(&mut r).await.map_err(map)?;
        assert!(info.starts_with("INFO "), "{info}");
    }
    r.get_mut().write_all(b"CONNECT {\"verbose\":false,\"protocol\":1,\"tls_required\":true}\r\nPING\r\n").await.map_err(map)?;
    r.get_mut().flush().await.map_err(map)?;
    read_line(&mut r).await.map_err(map)
}

/// TLS session with `opts` to 127.0.0.1:port (or `host`), INFO first unless handshake_first.
/// Returns the reply to CONNECT+PING.
fn tls_session(port: u16, opts: &TlsOptions, host: &str) -> Result<String, Error> {
    let opts = opts.clone();
    let host = host.to_string();
    rt().block_on(async move {
        tokio::time::timeout(DEADLINE, async move {
            let cfg = opts.client_config()?;
            let mut tcp = TcpStream::connect(("127.0.0.1", port)).await.map_err(|e| Error::new(Status::Io, e.to_string()))?;
            if !opts.handshake_first {
                // Read the plaintext INFO byte by byte (nothing else is sent before the upgrade).
                let mut line = Vec::new();
                let mut b = [0u8; 1];
                loop {
                    use tokio::io::AsyncReadExt;
                    let n = tcp.read(&mut b).await.map_err(|e| Error::new(Status::Io, e.to_string()))?;
                    if n == 0 {
                        return Err(Error::new(Status::Io, "EOF before INFO"));
                    }
                    line.push(b[0]);
                    if b[0] == b'\n' {
                        break;
                    }
                }
                assert!(line.starts_with(b"INFO "));
            }
            let name = opts.server_name_for(&host).to_string();
            let s = tls::connect(tcp, cfg, &name, opts.handshake_timeout()).await?;
            exchange(s, &name, opts.handshake_first).await
        })
        .await
        .expect("TLS session hung")
    })
}

fn expect_tls_err(r: Result<String, Error>, needle: &str) -> Error {
    match r {
        Ok(reply) => panic!("expected a TLS error containing {needle:?}, got reply {reply:?}"),
        Err(e) => {
            eprintln!("expected TLS error: {e}");
            assert_eq!(e.status, Status::Tls, "{e}");
            assert!(e.message.contains(needle), "expected {needle:?} in {:?}", e.message);
            e
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Auth
// ---------------------------------------------------------------------------------------------

#[test]
fn direct_operator_mode_jwt_setup() {
    let op = Operator::generate();
    let srv = NatsServer::start_with_config(&op.server_config());
    // creds file
    let auth = AuthOptions { creds_file: Some(op.user.creds.clone()), ..Default::default() };
    assert_eq!(raw_auth(srv.port(), &auth).unwrap(), "PONG");
    // JWT file + seed file
    let auth = AuthOptions { jwt_file: Some(op.user.jwt_file.clone()), seed_file: Some(op.user.seed_file.clone()), ..Default::default() };
    assert_eq!(raw_auth(srv.port(), &auth).unwrap(), "PONG");
    // A second user of the account
    let bob = op.new_user("bob", None);
    let auth = AuthOptions { creds_file: Some(bob.creds.clone()), ..Default::default() };
    assert_eq!(raw_auth(srv.port(), &auth).unwrap(), "PONG");
    // Right JWT, wrong seed: the server rejects the signature.
    let mallory = op.new_user("mallory", None);
    let auth = AuthOptions { jwt_file: Some(op.user.jwt_file.clone()), seed_file: Some(mallory.seed_file.clone()), ..Default::default() };
    let reply = raw_auth(srv.port(), &auth).unwrap();
    assert!(reply.to_lowercase().contains("authorization violation"), "{reply}");
    // A user of an account the server does not know.
    let other = Operator::generate();
    let auth = AuthOptions { creds_file: Some(other.user.creds.clone()), ..Default::default() };
    let reply = raw_auth(srv.port(), &auth).unwrap();
    assert!(reply.to_lowercase().contains("authorization violation"), "{reply}");
    // Expired user JWT.
    let late = op.new_user("late", Some(Duration::from_secs(0)));
    std::thread::sleep(Duration::from_millis(1100));
    let auth = AuthOptions { creds_file: Some(late.creds.clone()), ..Default::default() };
    let reply = raw_auth(srv.port(), &auth).unwrap();
    assert!(reply.starts_with("-ERR"), "{reply}");
}

#[test]
fn direct_nkey_seed_and_callback() {
    let user = nkeys::KeyPair::new_user();
    let srv = NatsServer::start_with_config(&format!("authorization {{ users: [ {{ nkey: \"{}\" }} ] }}\n", user.public_key()));
    let dir = tempfile::tempdir().unwrap();
    let seed_file = dir.path().join("user.nk");
    std::fs::write(&seed_file, format!("# comment\n\n{}\n", user.seed().unwrap())).unwrap();
    let auth = AuthOptions { nkey_seed_file: Some(seed_file), ..Default::default() };
    assert_eq!(raw_auth(srv.port(), &auth).unwrap(), "PONG");
    let kp = std::sync::Arc::new(nkeys::KeyPair::from_seed(&user.seed().unwrap()).unwrap());
    let auth = AuthOptions {
        nkey_public: Some(user.public_key()),
        nkey_sign: Some(std::sync::Arc::new(move |n: &[u8]| Ok(kp.sign(n).unwrap()))),
        ..Default::default()
    };
    assert_eq!(raw_auth(srv.port(), &auth).unwrap(), "PONG");
    let stranger = dir.path().join("stranger.nk");
    std::fs::write(&stranger, nkeys::KeyPair::new_user().seed().unwrap()).unwrap();
    let auth = AuthOptions { nkey_seed_file: Some(stranger), ..Default::default() };
    let reply = raw_auth(srv.port(), &auth).unwrap();
    assert!(reply.to_lowercase().contains("authorization violation"), "{reply}");
}

#[test]
fn direct_nkey_without_nonce_is_an_error() {
    let srv = NatsServer::start();
    let dir = tempfile::tempdir().unwrap();
    let seed_file = dir.path().join("user.nk");
    std::fs::write(&seed_file, nkeys::KeyPair::new_user().seed().unwrap()).unwrap();
    let auth = AuthOptions { nkey_seed_file: Some(seed_file), ..Default::default() };
    let e = raw_auth(srv.port(), &auth).unwrap_err();
    assert_eq!(e.status, Status::Authorization);
    assert!(e.message.contains("nonce"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// TLS
// ---------------------------------------------------------------------------------------------

fn tls_server(pki: &Pki, cert: &crate::security_support::CertFiles, verify: bool, first: bool) -> NatsServer {
    NatsServer::start_with_config(&pki.server_tls_block(cert, verify, first))
}

#[test]
fn direct_tls_server_only() {
    let pki = Pki::generate();
    let srv = tls_server(&pki, &pki.server, false, false);
    let by_file = TlsOptions { ca_file: Some(pki.ca.clone()), ..Default::default() };
    assert_eq!(tls_session(srv.port(), &by_file, "127.0.0.1").unwrap(), "PONG");
    let by_pem = TlsOptions { ca_pem: Some(pki.ca_pem()), ..Default::default() };
    assert_eq!(tls_session(srv.port(), &by_pem, "127.0.0.1").unwrap(), "PONG");
    // IPv4 address is verified against the IP SAN; DNS name override works too.
    let named = TlsOptions { server_name: Some("localhost".into()), ..by_file.clone() };
    assert_eq!(tls_session(srv.port(), &named, "127.0.0.1").unwrap(), "PONG");
    let v13 = TlsOptions { min_version: Some(TlsVersion::Tls13), ..by_file.clone() };
    assert_eq!(tls_session(srv.port(), &v13, "127.0.0.1").unwrap(), "PONG");
    let v12 = TlsOptions { min_version: Some(TlsVersion::Tls12), ..by_file.clone() };
    assert_eq!(tls_session(srv.port(), &v12, "127.0.0.1").unwrap(), "PONG");
    // Wrong override name.
    let wrong = TlsOptions { server_name: Some("example.com".into()), ..by_file.clone() };
    expect_tls_err(tls_session(srv.port(), &wrong, "127.0.0.1"), "name mismatch");
    // Untrusted CA.
    let other = TlsOptions { ca_file: Some(pki.other_ca.clone()), ..Default::default() };
    expect_tls_err(tls_session(srv.port(), &other, "127.0.0.1"), "not trusted");
    // System roots do not include the test CA.
    expect_tls_err(tls_session(srv.port(), &TlsOptions::default(), "127.0.0.1"), "not trusted");
    // Skip-verify accepts it.
    let insecure = TlsOptions { insecure_skip_verify: true, ..Default::default() };
    assert_eq!(tls_session(srv.port(), &insecure, "127.0.0.1").unwrap(), "PONG");
}

#[test]
fn direct_tls_bad_server_certificates() {
    let pki = Pki::generate();
    let ca = TlsOptions { ca_file: Some(pki.ca.clone()), ..Default::default() };
    let expired = tls_server(&pki, &pki.expired, false, false);
    let e = expect_tls_err(tls_session(expired.port(), &ca, "127.0.0.1"), "expired");
    assert!(e.message.contains("2021-01-01"), "{e}");
    let wrong = tls_server(&pki, &pki.wronghost, false, false);
    let e = expect_tls_err(tls_session(wrong.port(), &ca, "127.0.0.1"), "name mismatch");
    assert!(e.message.contains("wronghost"), "{e}");
    let other = tls_server(&pki, &pki.other_server, false, false);
    expect_tls_err(tls_session(other.port(), &ca, "127.0.0.1"), "not trusted");
    // All three are accepted with skip-verify.
    let insecure = TlsOptions { insecure_skip_verify: true, ..Default::default() };
    for s in [&expired, &wrong, &other] {
        assert_eq!(tls_session(s.port(), &insecure, "127.0.0.1").unwrap(), "PONG");
    }
}

#[test]
fn direct_tls_mutual() {
    let pki = Pki::generate();
    let srv = tls_server(&pki, &pki.server, true, false);
    let with_cert = TlsOptions {
        ca_file: Some(pki.ca.clone()),
        cert_file: Some(pki.client.cert.clone()),
        key_file: Some(pki.client.key.clone()),
        ..Default::default()
    };
    assert_eq!(tls_session(srv.port(), &with_cert, "127.0.0.1").unwrap(), "PONG");
    let in_memory = TlsOptions {
        ca_pem: Some(pki.ca_pem()),
        cert_pem: Some(pki.client.cert_pem()),
        key_pem: Some(pki.client.key_pem()),
        ..Default::default()
    };
    assert_eq!(tls_session(srv.port(), &in_memory, "127.0.0.1").unwrap(), "PONG");
    // No client certificate: with TLS 1.3 the rejection arrives as an alert after the client's
    // side of the handshake, i.e. on the first read; map_io_error turns it into a TLS error.
    let without = TlsOptions { ca_file: Some(pki.ca.clone()), ..Default::default() };
    expect_tls_err(tls_session(srv.port(), &without, "127.0.0.1"), "alert");
    // Client certificate from an unrelated CA.
    let stranger = TlsOptions {
        ca_file: Some(pki.ca.clone()),
        cert_file: Some(pki.other_client.cert.clone()),
        key_file: Some(pki.other_client.key.clone()),
        ..Default::default()
    };
    expect_tls_err(tls_session(srv.port(), &stranger, "127.0.0.1"), "alert");
}

#[test]
fn direct_tls_handshake_first() {
    let pki = Pki::generate();
    let first = tls_server(&pki, &pki.server, false, true);
    let opts = TlsOptions { ca_file: Some(pki.ca.clone()), handshake_first: true, ..Default::default() };
    assert_eq!(tls_session(first.port(), &opts, "127.0.0.1").unwrap(), "PONG");
    // Against an INFO-first server the plaintext INFO is not TLS.
    let normal = tls_server(&pki, &pki.server, false, false);
    expect_tls_err(tls_session(normal.port(), &opts, "127.0.0.1"), "did not answer with TLS");
    // Against a plain server too.
    let plain = NatsServer::start();
    expect_tls_err(tls_session(plain.port(), &opts, "127.0.0.1"), "did not answer with TLS");
}

#[test]
fn direct_tls_handshake_timeout() {
    // A TLS server that is frozen (SIGSTOP) accepts TCP (kernel backlog) but never answers.
    let pki = Pki::generate();
    let srv = tls_server(&pki, &pki.server, false, true);
    srv.signal("STOP");
    let opts = TlsOptions {
        ca_file: Some(pki.ca.clone()),
        handshake_first: true,
        handshake_timeout: Some(Duration::from_millis(300)),
        ..Default::default()
    };
    let t0 = std::time::Instant::now();
    expect_tls_err(tls_session(srv.port(), &opts, "127.0.0.1"), "timed out after 300 ms");
    assert!(t0.elapsed() < Duration::from_secs(3));
    srv.signal("CONT");
}

#[test]
fn direct_tls_cluster_with_auth_forms_routes() {
    let pki = Pki::generate();
    let extra = format!("{}authorization {{ user: alice, password: \"s3cr3t!\" }}\n", pki.server_tls_block(&pki.server, false, false));
    let route_tls = format!(
        "  tls {{\n    cert_file: \"{}\"\n    key_file: \"{}\"\n    ca_file: \"{}\"\n    timeout: 3\n  }}\n",
        pki.server.cert.display(),
        pki.server.key.display(),
        pki.ca.display()
    );
    let cluster = crate::security_support::TlsCluster::start(3, &extra, Some(&route_tls));
    let opts = TlsOptions { ca_file: Some(pki.ca.clone()), ..Default::default() };
    for port in cluster.ports() {
        // TLS works on every node; no credentials in this CONNECT, so the server refuses it.
        let reply = tls_session(port, &opts, "127.0.0.1").unwrap();
        assert!(reply.to_lowercase().contains("authorization violation"), "{reply}");
    }
    // INFO of node 0 advertises the other two as connect_urls.
    let raw = RawClient::open(cluster.ports()[0]);
    let urls = raw.info.get("connect_urls").and_then(|v| v.as_array()).map(|a| a.len()).unwrap_or(0);
    assert!(urls >= 3, "connect_urls: {:?}", raw.info.get("connect_urls"));
}
