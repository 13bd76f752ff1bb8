//! Helpers for the security tests (declared in `tests/it.rs`; used by `tests/security.rs` and
//! `tests/binding_support.rs`):
//!
//! * [`Pki`]: a throw-away PKI generated with `rcgen` into a temp dir (CA, server certificate for
//!   127.0.0.1/localhost, client certificate, expired server certificate, server certificate for a
//!   wrong host name, a second unrelated CA with its own server certificate), plus server `tls {}`
//!   config blocks.
//! * [`Operator`]: operator/account/user nkeys and JWTs (NATS JWT v2, signed with the `nkeys`
//!   crate), a server config in operator mode (`operator`, `resolver: MEMORY`,
//!   `resolver_preload`) and creds files.
//! * [`RawClient`]: a bare protocol client (INFO, CONNECT, PING → PONG / -ERR) used to check
//!   server setups without the library's engine.
//! * [`TlsCluster`]: a cluster of servers sharing one extra config (TLS, auth), with routes.
//!
//! Uses only dev-dependencies and the crate's own dependencies (nkeys, serde_json, data-encoding).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::common::{free_port, http_get, NatsServer};

// ---------------------------------------------------------------------------------------------
// Certificates
// ---------------------------------------------------------------------------------------------

/// Certificate + key file pair.
#[derive(Clone, Debug)]
pub struct CertFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl CertFiles {
    pub fn cert_pem(&self) -> Vec<u8> {
        std::fs::read(&self.cert).unwrap()
    }
    pub fn key_pem(&self) -> Vec<u8> {
        std::fs::read(&self.key).unwrap()
    }
}

/// A test PKI in a temp dir (removed when dropped).
pub struct Pki {
    pub dir: tempfile::TempDir,
    /// The trusted test CA.
    pub ca: PathBuf,
    /// Server certificate (SANs: 127.0.0.1, ::1, localhost), signed by `ca`.
    pub server: CertFiles,
    /// Client certificate (CN "natsrs test client"), signed by `ca`.
    pub client: CertFiles,
    /// Client certificate signed by `other_ca` (rejected by servers that trust `ca`).
    pub other_client: CertFiles,
    /// Server certificate for 127.0.0.1/localhost, signed by `ca`, expired on 2021-01-01.
    pub expired: CertFiles,
    /// Server certificate only for "wronghost", signed by `ca`.
    pub wronghost: CertFiles,
    /// Server certificate only for the DNS name "localhost" (no IP SANs), signed by `ca`.
    pub localhost_only: CertFiles,
    /// A second, unrelated CA.
    pub other_ca: PathBuf,
    /// Server certificate (127.0.0.1/localhost) signed by `other_ca`.
    pub other_server: CertFiles,
}

struct Issuer {
    cert: rcgen::Certificate,
    key: rcgen::KeyPair,
}

fn make_ca(name: &str) -> Issuer {
    let key = rcgen::KeyPair::generate().expect("CA key");
    let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    p.distinguished_name.push(rcgen::DnType::CommonName, name);
    p.distinguished_name.push(rcgen::DnType::OrganizationName, "natsrs tests");
    p.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::CrlSign, rcgen::KeyUsagePurpose::DigitalSignature];
    p.not_before = rcgen::date_time_ymd(2020, 1, 1);
    p.not_after = rcgen::date_time_ymd(2100, 1, 1);
    let cert = p.self_signed(&key).expect("self-signed CA");
    Issuer { cert, key }
}

enum Leaf {
    Server,
    Client,
}

fn make_leaf(
    issuer: &Issuer,
    cn: &str,
    dns: &[&str],
    ips: &[&str],
    kind: Leaf,
    validity: (time::OffsetDateTime, time::OffsetDateTime),
) -> (String, String) {
    let key = rcgen::KeyPair::generate().expect("leaf key");
    let mut p = rcgen::CertificateParams::new(dns.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    for ip in ips {
        p.subject_alt_names.push(rcgen::SanType::IpAddress(ip.parse().unwrap()));
    }
    p.distinguished_name.push(rcgen::DnType::CommonName, cn);
    p.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature, rcgen::KeyUsagePurpose::KeyEncipherment];
    p.extended_key_usages = match kind {
        // Server certificates are also used as route (client) certificates between cluster nodes.
        Leaf::Server => vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth, rcgen::ExtendedKeyUsagePurpose::ClientAuth],
        Leaf::Client => vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth],
    };
    p.not_before = validity.0;
    p.not_after = validity.1;
    let cert = p.signed_by(&key, &issuer.cert, &issuer.key).expect("sign leaf");
    (cert.pem(), key.serialize_pem())
}

impl Pki {
    /// Generates everything (a few ms with P-256 keys).
    pub fn generate() -> Pki {
        let dir = tempfile::Builder::new().prefix("natsrs-pki-").tempdir().expect("temp dir");
        let ca = make_ca("natsrs test CA");
        let other = make_ca("natsrs unrelated CA");
        let valid = (rcgen::date_time_ymd(2020, 1, 1), rcgen::date_time_ymd(2100, 1, 1));
        let expired = (rcgen::date_time_ymd(2020, 1, 1), rcgen::date_time_ymd(2021, 1, 1));
        let write = |name: &str, text: &str| -> PathBuf {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let pair = |name: &str, (c, k): (String, String)| CertFiles {
            cert: write(&format!("{name}-cert.pem"), &c),
            key: write(&format!("{name}-key.pem"), &k),
        };
        let local_dns = ["localhost"];
        let local_ips = ["127.0.0.1", "::1"];
        Pki {
            ca: write("ca.pem", &ca.cert.pem()),
            other_ca: write("other-ca.pem", &other.cert.pem()),
            server: pair("server", make_leaf(&ca, "natsrs test server", &local_dns, &local_ips, Leaf::Server, valid)),
            client: pair("client", make_leaf(&ca, "natsrs test client", &[], &[], Leaf::Client, valid)),
            other_client: pair("other-client", make_leaf(&other, "stranger", &[], &[], Leaf::Client, valid)),
            expired: pair("expired", make_leaf(&ca, "expired server", &local_dns, &local_ips, Leaf::Server, expired)),
            wronghost: pair("wronghost", make_leaf(&ca, "wronghost", &["wronghost"], &[], Leaf::Server, valid)),
            localhost_only: pair("localhost-only", make_leaf(&ca, "localhost", &["localhost"], &[], Leaf::Server, valid)),
            other_server: pair("other-server", make_leaf(&other, "other server", &local_dns, &local_ips, Leaf::Server, valid)),
            dir,
        }
    }

    pub fn ca_pem(&self) -> Vec<u8> {
        std::fs::read(&self.ca).unwrap()
    }

    /// A server `tls { }` block using `cert`. `verify` requires client certificates signed by
    /// the test CA; `handshake_first` makes the server expect TLS before INFO.
    pub fn server_tls_block(&self, cert: &CertFiles, verify: bool, handshake_first: bool) -> String {
        let mut s = format!(
            "tls {{\n  cert_file: \"{}\"\n  key_file: \"{}\"\n  ca_file: \"{}\"\n  timeout: 3\n",
            cert.cert.display(),
            cert.key.display(),
            self.ca.display()
        );
        if verify {
            s.push_str("  verify: true\n");
        }
        if handshake_first {
            s.push_str("  handshake_first: true\n");
        }
        s.push_str("}\n");
        s
    }
}

// ---------------------------------------------------------------------------------------------
// JWTs (NATS JWT v2) and creds files
// ---------------------------------------------------------------------------------------------

fn b64(data: &[u8]) -> String {
    data_encoding::BASE64URL_NOPAD.encode(data)
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// Encodes and signs a JWT: header `{"typ":"JWT","alg":"ed25519-nkey"}`, `claims` as given plus
/// `jti` (random) and `iat` if absent, `iss` = the signer's public key.
pub fn encode_jwt(mut claims: serde_json::Value, signer: &nkeys::KeyPair) -> String {
    let obj = claims.as_object_mut().expect("claims must be a JSON object");
    obj.insert("iss".into(), signer.public_key().into());
    obj.entry("iat").or_insert_with(|| now_secs().into());
    if !obj.contains_key("jti") {
        let mut r = [0u8; 32];
        for (i, b) in r.iter_mut().enumerate() {
            *b = rand_byte(i);
        }
        obj.insert("jti".into(), data_encoding::BASE32_NOPAD.encode(&r).into());
    }
    let header = b64(br#"{"typ":"JWT","alg":"ed25519-nkey"}"#);
    let payload = b64(serde_json::to_string(&claims).unwrap().as_bytes());
    let signing_input = format!("{header}.{payload}");
    let sig = signer.sign(signing_input.as_bytes()).expect("sign JWT");
    format!("{signing_input}.{}", b64(&sig))
}

/// Cheap unique-ish bytes for `jti` (uniqueness is all that matters here).
fn rand_byte(i: usize) -> u8 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static CTR: AtomicU64 = AtomicU64::new(0);
    let n = CTR.fetch_add(1, Ordering::Relaxed);
    let t = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64;
    let x = t ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (i as u64).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    (x >> ((i % 8) * 8)) as u8
}

/// Operator JWT (self-signed).
pub fn operator_jwt(op: &nkeys::KeyPair, name: &str) -> String {
    encode_jwt(
        serde_json::json!({
            "sub": op.public_key(),
            "name": name,
            "nats": { "type": "operator", "version": 2 }
        }),
        op,
    )
}

/// Account JWT signed by the operator, with unlimited limits.
pub fn account_jwt(op: &nkeys::KeyPair, account_public: &str, name: &str) -> String {
    encode_jwt(
        serde_json::json!({
            "sub": account_public,
            "name": name,
            "nats": {
                "limits": {
                    "subs": -1, "data": -1, "payload": -1, "imports": -1, "exports": -1,
                    "wildcards": true, "conn": -1, "leaf": -1
                },
                "default_permissions": { "pub": {}, "sub": {} },
                "authorization": {},
                "type": "account",
                "version": 2
            }
        }),
        op,
    )
}

/// User JWT signed by the account. `expires` = absolute UNIX time (`exp` claim).
pub fn user_jwt(account: &nkeys::KeyPair, user_public: &str, name: &str, expires: Option<u64>) -> String {
    let mut claims = serde_json::json!({
        "sub": user_public,
        "name": name,
        "nats": {
            "pub": {}, "sub": {},
            "subs": -1, "data": -1, "payload": -1,
            "type": "user", "version": 2
        }
    });
    if let Some(exp) = expires {
        claims.as_object_mut().unwrap().insert("exp".into(), exp.into());
    }
    encode_jwt(claims, account)
}

/// The standard decorated creds file text.
pub fn creds_text(jwt: &str, seed: &str) -> String {
    format!(
        "-----BEGIN NATS USER JWT-----\n{jwt}\n------END NATS USER JWT------\n\n\
         ************************* IMPORTANT *************************\n\
         NKEY Seed printed below can be used to sign and prove identity.\n\
         NKEYs are sensitive and should be treated as secrets.\n\n\
         -----BEGIN USER NKEY SEED-----\n{seed}\n------END USER NKEY SEED------\n\n\
         *************************************************************\n"
    )
}

/// A user of the operator-mode setup.
pub struct JwtUser {
    pub key: nkeys::KeyPair,
    pub jwt: String,
    pub seed: String,
    /// Decorated creds file (JWT + seed).
    pub creds: PathBuf,
    /// Bare JWT file (with a comment line).
    pub jwt_file: PathBuf,
    /// Seed file (with comments and blank lines).
    pub seed_file: PathBuf,
}

/// Operator, one account, users; files in a temp dir.
pub struct Operator {
    pub dir: tempfile::TempDir,
    pub operator: nkeys::KeyPair,
    pub account: nkeys::KeyPair,
    pub operator_jwt: String,
    pub account_jwt: String,
    pub operator_jwt_file: PathBuf,
    /// The default user (no expiry).
    pub user: JwtUser,
}

impl Operator {
    pub fn generate() -> Operator {
        let dir = tempfile::Builder::new().prefix("natsrs-jwt-").tempdir().expect("temp dir");
        let operator = nkeys::KeyPair::new_operator();
        let account = nkeys::KeyPair::new_account();
        let operator_jwt = operator_jwt(&operator, "natsrs-test-operator");
        let account_jwt = account_jwt(&operator, &account.public_key(), "natsrs-test-account");
        let operator_jwt_file = dir.path().join("operator.jwt");
        std::fs::write(&operator_jwt_file, &operator_jwt).unwrap();
        let user = Self::make_user(dir.path(), &account, "alice", None);
        Operator { dir, operator, account, operator_jwt, account_jwt, operator_jwt_file, user }
    }

    fn make_user(dir: &Path, account: &nkeys::KeyPair, name: &str, expires: Option<u64>) -> JwtUser {
        let key = nkeys::KeyPair::new_user();
        let jwt = user_jwt(account, &key.public_key(), name, expires);
        let seed = key.seed().unwrap();
        let creds = dir.join(format!("{name}.creds"));
        std::fs::write(&creds, creds_text(&jwt, &seed)).unwrap();
        let jwt_file = dir.join(format!("{name}.jwt"));
        std::fs::write(&jwt_file, format!("# user JWT for {name}\n{jwt}\n")).unwrap();
        let seed_file = dir.join(format!("{name}.nk"));
        std::fs::write(&seed_file, format!("# user seed for {name}\n\n// keep secret\n{seed}\n\n")).unwrap();
        JwtUser { key, jwt, seed, creds, jwt_file, seed_file }
    }

    /// Another user of the same account; `expires_in` sets `exp` relative to now.
    pub fn new_user(&self, name: &str, expires_in: Option<Duration>) -> JwtUser {
        Self::make_user(self.dir.path(), &self.account, name, expires_in.map(|d| now_secs() + d.as_secs()))
    }

    /// Server config lines for operator mode with the account preloaded in a memory resolver.
    pub fn server_config(&self) -> String {
        format!(
            "operator: \"{}\"\nresolver: MEMORY\nresolver_preload: {{\n  {}: \"{}\"\n}}\n",
            self.operator_jwt_file.display(),
            self.account.public_key(),
            self.account_jwt
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Raw protocol client
// ---------------------------------------------------------------------------------------------

/// A bare plaintext protocol client for checking server setups.
pub struct RawClient {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    /// The server's INFO JSON.
    pub info: serde_json::Value,
}

impl RawClient {
    /// Connects and reads INFO.
    pub fn open(port: u16) -> RawClient {
        let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let writer = s.try_clone().unwrap();
        let mut reader = BufReader::new(s);
        let mut line = String::new();
        reader.read_line(&mut line).expect("read INFO");
        let json = line.trim_end().strip_prefix("INFO ").unwrap_or_else(|| panic!("expected INFO, got {line:?}"));
        let info = serde_json::from_str(json).expect("INFO JSON");
        RawClient { reader, writer, info }
    }

    pub fn nonce(&self) -> Option<String> {
        self.info.get("nonce").and_then(|v| v.as_str()).map(str::to_string)
    }

    /// Sends CONNECT (with `auth` merged in) + PING; returns the reply line ("PONG" or "-ERR ...").
    pub fn connect(&mut self, auth: serde_json::Value) -> String {
        let mut c = serde_json::json!({"verbose": false, "pedantic": false, "protocol": 1, "lang": "raw", "version": "0"});
        for (k, v) in auth.as_object().expect("auth object") {
            c.as_object_mut().unwrap().insert(k.clone(), v.clone());
        }
        write!(self.writer, "CONNECT {c}\r\nPING\r\n").unwrap();
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("read reply");
        line.trim_end().to_string()
    }
}

// ---------------------------------------------------------------------------------------------
// Cluster with extra config (TLS, auth)
// ---------------------------------------------------------------------------------------------

/// `n` servers with routes, each started with `extra` config (e.g. TLS and authorization).
pub struct TlsCluster {
    pub servers: Vec<NatsServer>,
    pub http_ports: Vec<u16>,
}

impl TlsCluster {
    /// Starts the nodes and waits (up to 20 s) for the full route mesh.
    /// `route_tls` is an optional `tls {}` block for the cluster (routes).
    pub fn start(n: usize, extra: &str, route_tls: Option<&str>) -> TlsCluster {
        let cluster_ports: Vec<u16> = (0..n).map(|_| free_port()).collect();
        let routes = cluster_ports.iter().map(|p| format!("nats-route://127.0.0.1:{p}")).collect::<Vec<_>>().join(", ");
        let mut servers = Vec::new();
        let mut http_ports = Vec::new();
        for (i, cp) in cluster_ports.iter().enumerate() {
            let http = free_port();
            let conf = format!(
                "server_name: secnode{i}\nhttp: 127.0.0.1:{http}\n{extra}\ncluster {{\n  name: natsrs-sec\n  \
                 listen: 127.0.0.1:{cp}\n  routes: [{routes}]\n{}\n}}\n",
                route_tls.unwrap_or("")
            );
            servers.push(NatsServer::start_with_config(&conf));
            http_ports.push(http);
        }
        let c = TlsCluster { servers, http_ports };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let done = c.http_ports.iter().all(|p| {
                http_get(*p, "/routez")
                    .map(|b| {
                        let mut ids = std::collections::HashSet::new();
                        for part in b.split("\"remote_id\"").skip(1) {
                            if let Some(v) = part.split('"').nth(1) {
                                ids.insert(v.to_string());
                            }
                        }
                        ids.len() + 1 >= n
                    })
                    .unwrap_or(false)
            });
            if done {
                return c;
            }
            if Instant::now() > deadline {
                let logs: Vec<String> = c.servers.iter().map(|s| s.log()).collect();
                panic!("TLS cluster routes not formed in 20 s; logs:\n{}", logs.join("\n-----\n"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn ports(&self) -> Vec<u16> {
        self.servers.iter().map(|s| s.port()).collect()
    }
}

/// Runs `f` on a helper thread and panics if it does not finish within `limit` (so a hang in
/// the library fails the test instead of blocking the suite).
pub fn with_deadline<T: Send + 'static>(limit: Duration, name: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    let name2 = name.to_string();
    std::thread::Builder::new()
        .name(name2)
        .spawn(move || {
            let _ = tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
        })
        .unwrap();
    match rx.recv_timeout(limit) {
        Ok(Ok(v)) => v,
        Ok(Err(p)) => std::panic::resume_unwind(p),
        Err(_) => panic!("test '{name}' did not finish within {limit:?} (hang)"),
    }
}
