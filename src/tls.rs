//! TLS for server connections, with rustls and the `ring` crypto provider (no OpenSSL, no
//! process-wide default provider needed).
//!
//! [`TlsOptions::client_config`] builds the rustls client configuration (root CAs from a PEM file
//! or memory, else the system roots, else the bundled webpki roots; optional client certificate
//! for mutual TLS; minimum version; optional and unsafe skip-verify); it reads files, so the
//! engine calls it through [`load_client_config`], off the runtime's I/O workers. [`connect`] runs the
//! handshake on an established TCP stream under a timeout and turns failures into `Status::Tls`
//! errors whose message says what went wrong (untrusted CA, name mismatch, expired, alert, ...).

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{AlertDescription, CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::net::TcpStream;
use zeroize::Zeroizing;

use crate::error::{err, Error, Result, Status};

/// Handshake timeout used when [`TlsOptions::handshake_timeout`] is not set.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(2);

/// Custom verification of the server's certificate chain (DER, leaf first) for the given
/// server name; `Ok` accepts. Replaces the library's own chain, name and expiry checks (the
/// handshake signatures are still verified). Runs during the handshake: it must not block long.
pub type VerifyHandler = Arc<dyn Fn(&[&[u8]], &str) -> Result<()> + Send + Sync>;

/// Minimum TLS protocol version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsVersion {
    Tls12,
    Tls13,
}

/// TLS configuration.
#[derive(Clone, Default)]
pub struct TlsOptions {
    /// Use TLS even for `nats://` URLs.
    pub required: bool,
    /// Root CAs (PEM). If neither is set the system roots are used (bundled webpki roots if the
    /// system has none). If both are set, both are trusted.
    pub ca_file: Option<PathBuf>,
    pub ca_pem: Option<Vec<u8>>,
    /// Client certificate chain (PEM, leaf first) for mutual TLS.
    pub cert_file: Option<PathBuf>,
    pub cert_pem: Option<Vec<u8>>,
    /// Client private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key_file: Option<PathBuf>,
    pub key_pem: Option<Vec<u8>>,
    /// Name expected in the server certificate (and sent as SNI) instead of the URL host.
    pub server_name: Option<String>,
    pub min_version: Option<TlsVersion>,
    /// Start the TLS handshake right after the TCP connect, before the server's INFO
    /// (server option `handshake_first`).
    pub handshake_first: bool,
    /// UNSAFE: accept any server certificate (no chain, name or expiry checks). Encrypts, but
    /// does not authenticate the server; for tests only.
    pub insecure_skip_verify: bool,
    /// Handshake timeout; default 2 s.
    pub handshake_timeout: Option<Duration>,
    /// Custom server certificate verification, instead of the CA roots and skip-verify.
    pub verify_handler: Option<VerifyHandler>,
}

impl fmt::Debug for TlsOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsOptions")
            .field("required", &self.required)
            .field("ca_file", &self.ca_file)
            .field("ca_pem", &self.ca_pem.as_ref().map(|v| format!("<{} bytes>", v.len())))
            .field("cert_file", &self.cert_file)
            .field("cert_pem", &self.cert_pem.as_ref().map(|v| format!("<{} bytes>", v.len())))
            .field("key_file", &self.key_file)
            .field("key_pem", &self.key_pem.as_ref().map(|_| "<redacted>"))
            .field("server_name", &self.server_name)
            .field("min_version", &self.min_version)
            .field("handshake_first", &self.handshake_first)
            .field("insecure_skip_verify", &self.insecure_skip_verify)
            .field("handshake_timeout", &self.handshake_timeout)
            .field("verify_handler", &self.verify_handler.as_ref().map(|_| "<set>"))
            .finish()
    }
}

impl TlsOptions {
    /// Checks the option combination. Errors are `InvalidArgument`.
    pub fn validate(&self) -> Result<()> {
        if self.cert_file.is_some() && self.cert_pem.is_some() {
            return Err(err!(InvalidArgument, "set the client certificate either as a file or as PEM in memory, not both"));
        }
        if self.key_file.is_some() && self.key_pem.is_some() {
            return Err(err!(InvalidArgument, "set the client key either as a file or as PEM in memory, not both"));
        }
        let has_cert = self.cert_file.is_some() || self.cert_pem.is_some();
        let has_key = self.key_file.is_some() || self.key_pem.is_some();
        if has_cert && !has_key {
            return Err(err!(InvalidArgument, "a client certificate needs its private key"));
        }
        if has_key && !has_cert {
            return Err(err!(InvalidArgument, "a client private key needs its certificate"));
        }
        if let Some(name) = &self.server_name {
            server_name(name).map_err(|e| err!(InvalidArgument, "{}", e.message))?;
        }
        if self.handshake_timeout == Some(Duration::ZERO) {
            return Err(err!(InvalidArgument, "the TLS handshake timeout must be greater than zero"));
        }
        Ok(())
    }

    /// The name to verify and send as SNI for a server whose URL host is `url_host`.
    pub fn server_name_for<'a>(&'a self, url_host: &'a str) -> &'a str {
        self.server_name.as_deref().filter(|s| !s.is_empty()).unwrap_or(url_host)
    }

    /// The handshake timeout (default 2 s).
    pub fn handshake_timeout(&self) -> Duration {
        self.handshake_timeout.filter(|d| !d.is_zero()).unwrap_or(DEFAULT_HANDSHAKE_TIMEOUT)
    }

    /// Builds the rustls client configuration. Certificate and key files are read now, so a
    /// rotated file is picked up on the next connect attempt; this blocks on the filesystem, so
    /// async code calls [`load_client_config`] instead. Bad input gives `Status::Tls` with a
    /// message naming the input.
    pub fn client_config(&self) -> Result<Arc<ClientConfig>> {
        self.validate()?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let versions: &[&'static rustls::SupportedProtocolVersion] = match self.min_version {
            Some(TlsVersion::Tls13) => &[&rustls::version::TLS13],
            _ => &[&rustls::version::TLS13, &rustls::version::TLS12],
        };
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(versions)
            .map_err(|e| err!(Tls, "cannot configure TLS versions: {}", e))?;
        let builder = if let Some(h) = &self.verify_handler {
            builder.dangerous().with_custom_certificate_verifier(Arc::new(HandlerVerification {
                handler: h.clone(),
                algs: provider.signature_verification_algorithms,
            }))
        } else if self.insecure_skip_verify {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(NoVerification { algs: provider.signature_verification_algorithms }))
        } else {
            builder.with_root_certificates(self.root_store()?)
        };
        let config = match self.client_identity()? {
            Some((chain, key)) => builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| err!(Tls, "bad client certificate/key ({}): {}", self.identity_source(), e))?,
            None => builder.with_no_client_auth(),
        };
        Ok(Arc::new(config))
    }

    fn identity_source(&self) -> String {
        let cert = match &self.cert_file {
            Some(p) => format!("certificate file {}", p.display()),
            None => "certificate PEM".to_string(),
        };
        let key = match &self.key_file {
            Some(p) => format!("key file {}", p.display()),
            None => "key PEM".to_string(),
        };
        format!("{cert}, {key}")
    }

    fn root_store(&self) -> Result<Arc<RootCertStore>> {
        if self.ca_file.is_none() && self.ca_pem.is_none() {
            return system_roots();
        }
        let mut store = RootCertStore::empty();
        if let Some(path) = &self.ca_file {
            let pem = read_file(path, "CA file")?;
            add_roots(&mut store, &pem, &format!("CA file {}", path.display()))?;
        }
        if let Some(pem) = &self.ca_pem {
            add_roots(&mut store, pem, "CA PEM (in memory)")?;
        }
        Ok(Arc::new(store))
    }

    fn client_identity(&self) -> Result<Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>> {
        let (cert_pem, cert_what) = match (&self.cert_file, &self.cert_pem) {
            (Some(p), _) => (read_file(p, "client certificate file")?, format!("client certificate file {}", p.display())),
            (None, Some(pem)) => (Zeroizing::new(pem.clone()), "client certificate PEM (in memory)".to_string()),
            (None, None) => return Ok(None),
        };
        let (key_pem, key_what) = match (&self.key_file, &self.key_pem) {
            (Some(p), _) => (read_file(p, "client key file")?, format!("client key file {}", p.display())),
            (None, Some(pem)) => (Zeroizing::new(pem.clone()), "client key PEM (in memory)".to_string()),
            (None, None) => return Err(err!(InvalidArgument, "a client certificate needs its private key")),
        };
        let chain = parse_certs(&cert_pem, &cert_what)?;
        for c in &chain {
            // Parse check only, so that bad DER is reported here and not as a handshake failure.
            RootCertStore::empty().add(c.clone()).map_err(|e| err!(Tls, "bad {}: not a valid X.509 certificate: {}", cert_what, e))?;
        }
        let key =
            rustls_pemfile::private_key(&mut &key_pem[..]).map_err(|e| err!(Tls, "bad PEM in {}: {}", key_what, e))?.ok_or_else(|| {
                err!(Tls, "bad {}: no PEM private key found (expected PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)", key_what)
            })?;
        Ok(Some((chain, key)))
    }
}

/// Builds the client configuration ([`TlsOptions::client_config`]) on the runtime's blocking
/// pool, never on an I/O worker: the CA, certificate and key files (and, the first time, the
/// system roots) are read there, so a slow filesystem cannot stall other connections' I/O. The
/// engine calls it on each TLS connect attempt, as it reads the creds and seed files, so rotated
/// files are picked up by the next reconnect.
pub async fn load_client_config(opts: &TlsOptions) -> Result<Arc<ClientConfig>> {
    let opts = opts.clone();
    tokio::task::spawn_blocking(move || opts.client_config()).await.map_err(|_| err!(Panic, "building the TLS configuration panicked"))?
}

/// Reads a CA, certificate or key file (a small regular file, see [`crate::files`]); errors
/// are `Status::Tls` and name the file.
fn read_file(path: &Path, what: &str) -> Result<Zeroizing<Vec<u8>>> {
    crate::files::read_small_file(path, what, Status::Tls)
}

fn parse_certs(pem: &[u8], what: &str) -> Result<Vec<CertificateDer<'static>>> {
    let certs = rustls_pemfile::certs(&mut &pem[..])
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| err!(Tls, "bad PEM in {}: {}", what, e))?;
    if certs.is_empty() {
        return Err(err!(Tls, "bad {}: no PEM certificate found (expected -----BEGIN CERTIFICATE-----)", what));
    }
    Ok(certs)
}

fn add_roots(store: &mut RootCertStore, pem: &[u8], what: &str) -> Result<()> {
    for cert in parse_certs(pem, what)? {
        store.add(cert).map_err(|e| err!(Tls, "bad {}: not a valid CA certificate: {}", what, e))?;
    }
    Ok(())
}

/// The system's root certificates (loaded once per process), or the bundled webpki roots if the
/// system store is empty or unreadable.
fn system_roots() -> Result<Arc<RootCertStore>> {
    static ROOTS: OnceLock<Arc<RootCertStore>> = OnceLock::new();
    Ok(ROOTS
        .get_or_init(|| {
            let mut store = RootCertStore::empty();
            let native = rustls_native_certs::load_native_certs();
            store.add_parsable_certificates(native.certs);
            if store.is_empty() {
                store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            }
            Arc::new(store)
        })
        .clone())
}

/// Parses a host (DNS name or IP address, IPv6 optionally bracketed) into a rustls server name.
fn server_name(host: &str) -> Result<ServerName<'static>> {
    let h = host.trim();
    let h = h.strip_prefix('[').and_then(|x| x.strip_suffix(']')).unwrap_or(h);
    if let Ok(ip) = h.parse::<IpAddr>() {
        return Ok(ServerName::IpAddress(ip.into()));
    }
    ServerName::try_from(h.to_string()).map_err(|_| err!(Tls, "'{}' is not a valid TLS server name", host))
}

/// Runs the TLS handshake on `stream` under `timeout`. `host` (URL host or the `server_name`
/// override) is used for SNI and certificate verification; IP addresses are verified against
/// IP SANs.
pub async fn connect(
    stream: TcpStream,
    config: Arc<ClientConfig>,
    host: &str,
    timeout: Duration,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let name = server_name(host)?;
    let connector = tokio_rustls::TlsConnector::from(config);
    match tokio::time::timeout(timeout, connector.connect(name, stream)).await {
        Ok(Ok(s)) => Ok(s),
        Ok(Err(e)) => Err(handshake_error(&e, host)),
        Err(_) => Err(err!(
            Tls,
            "TLS handshake with {} timed out after {} ms (server not speaking TLS or not responding)",
            host,
            timeout.as_millis()
        )),
    }
}

/// Maps an I/O error from a TLS stream to a `Status::Tls` error if it carries a TLS failure
/// (e.g. the server rejecting the client certificate with an alert after the handshake, which
/// with TLS 1.3 is only seen on the first read). Returns None for plain I/O errors.
pub fn map_io_error(e: &std::io::Error, host: &str) -> Option<Error> {
    let inner = e.get_ref()?.downcast_ref::<rustls::Error>()?;
    Some(err!(Tls, "TLS error with {}: {}", host, describe(inner)))
}

fn handshake_error(e: &std::io::Error, host: &str) -> Error {
    match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        Some(te) => err!(Tls, "TLS handshake with {} failed: {}", host, describe(te)),
        None => match e.kind() {
            std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe => err!(
                Tls,
                "TLS handshake with {} failed: the server closed the connection ({}); it may not accept TLS here \
                 or may have rejected the handshake",
                host,
                e
            ),
            _ => err!(Tls, "TLS handshake with {} failed: {}", host, e),
        },
    }
}

/// A readable explanation of a rustls error.
fn describe(e: &rustls::Error) -> String {
    use rustls::Error as E;
    match e {
        E::InvalidCertificate(ce) => match ce {
            CertificateError::UnknownIssuer => {
                "the server certificate is not trusted (unknown certificate authority: configure the CA that signed it)".into()
            }
            CertificateError::NotValidForName => "certificate name mismatch: the server certificate is not valid for this host name".into(),
            CertificateError::NotValidForNameContext { expected, presented } => format!(
                "certificate name mismatch: the server certificate is not valid for '{}' (it is valid for: {})",
                server_name_str(expected),
                if presented.is_empty() {
                    "no names".to_string()
                } else {
                    presented.iter().map(|p| plain_name(p)).collect::<Vec<_>>().join(", ")
                }
            ),
            CertificateError::Expired => "the server certificate has expired".into(),
            CertificateError::ExpiredContext { time, not_after } => {
                format!("the server certificate has expired (valid until {}, now {})", utc(not_after), utc(time))
            }
            CertificateError::NotValidYet => "the server certificate is not valid yet".into(),
            CertificateError::NotValidYetContext { time, not_before } => {
                format!("the server certificate is not valid yet (valid from {}, now {})", utc(not_before), utc(time))
            }
            CertificateError::Revoked => "the server certificate has been revoked".into(),
            CertificateError::BadSignature => "the server certificate has a bad signature".into(),
            CertificateError::BadEncoding => "the server certificate is malformed".into(),
            CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
                "the server certificate is not valid for TLS server authentication (extended key usage)".into()
            }
            other => format!("invalid server certificate: {:?}", other),
        },
        E::AlertReceived(alert) => {
            let hint = match alert {
                AlertDescription::CertificateRequired => " (the server requires a client certificate)",
                AlertDescription::BadCertificate | AlertDescription::UnknownCA | AlertDescription::CertificateUnknown => {
                    " (the server rejected the client certificate)"
                }
                AlertDescription::HandshakeFailure => " (no common parameters, or the server requires a client certificate)",
                AlertDescription::ProtocolVersion => " (no common TLS version)",
                _ => "",
            };
            format!("the server sent TLS alert '{:?}'{}", alert, hint)
        }
        E::General(m) => m.clone(),
        E::NoCertificatesPresented => "the server presented no certificate".into(),
        E::PeerIncompatible(p) => format!("the server is incompatible with the TLS settings (version/cipher): {:?}", p),
        E::InvalidMessage(_) | E::InappropriateMessage { .. } | E::InappropriateHandshakeMessage { .. } => format!(
            "the server did not answer with TLS ({}); check that TLS is enabled on the server and that \
             'handshake first' is set on both sides or on neither",
            e
        ),
        other => other.to_string(),
    }
}

/// `DnsName("x")` / `IpAddress(1.2.3.4)` (rustls' rendering of certificate names) -> `x` / `1.2.3.4`.
fn plain_name(p: &str) -> String {
    for prefix in ["DnsName(", "IpAddress("] {
        if let Some(inner) = p.strip_prefix(prefix).and_then(|r| r.strip_suffix(')')) {
            return inner.trim_matches('"').to_string();
        }
    }
    p.to_string()
}

fn server_name_str(n: &ServerName<'_>) -> String {
    match n {
        ServerName::DnsName(d) => d.as_ref().to_string(),
        ServerName::IpAddress(ip) => IpAddr::from(*ip).to_string(),
        other => format!("{:?}", other),
    }
}

/// `YYYY-MM-DD HH:MM:SS UTC` for a UNIX time.
fn utc(t: &UnixTime) -> String {
    let secs = t.as_secs();
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Civil date from days since 1970-01-01 (proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    format!("{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC", y, m, d, rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Accepts any server certificate; still checks the handshake signatures so the session keys
/// belong to the presented certificate. UNSAFE: no authentication of the server.
#[derive(Debug)]
struct NoVerification {
    algs: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

/// Hands the chain to the application's [`VerifyHandler`]; checks the handshake signatures
/// itself, so the session keys belong to the certificate the handler accepted.
struct HandlerVerification {
    handler: VerifyHandler,
    algs: WebPkiSupportedAlgorithms,
}

impl fmt::Debug for HandlerVerification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandlerVerification").finish_non_exhaustive()
    }
}

impl ServerCertVerifier for HandlerVerification {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let chain: Vec<&[u8]> = std::iter::once(end_entity).chain(intermediates).map(|c| c.as_ref()).collect();
        let name = server_name_str(name);
        let call = || (self.handler)(&chain, &name);
        // The handler is application code: keep the runtime's other tasks moving meanwhile.
        let multi = tokio::runtime::Handle::try_current().is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
        let r = if multi { tokio::task::block_in_place(call) } else { call() };
        match r {
            Ok(()) => Ok(ServerCertVerified::assertion()),
            Err(e) => Err(rustls::Error::General(format!("the certificate was rejected by the verify handler: {}", e.message))),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Status;

    /// Test PKI: (CA cert PEM, client cert PEM, client key PEM, unrelated key PEM).
    fn pki() -> (Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>) {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        p.distinguished_name.push(rcgen::DnType::CommonName, "unit test CA");
        let ca_cert = p.self_signed(&ca_key).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let lp = rcgen::CertificateParams::new(vec!["client".to_string()]).unwrap();
        let cert = lp.signed_by(&key, &ca_cert, &ca_key).unwrap();
        let other = rcgen::KeyPair::generate().unwrap();
        (ca_cert.pem().into_bytes(), cert.pem().into_bytes(), key.serialize_pem().into_bytes(), other.serialize_pem().into_bytes())
    }

    fn tls_err(o: &TlsOptions) -> Error {
        match o.client_config() {
            Ok(_) => panic!("expected an error for {o:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn defaults() {
        let o = TlsOptions::default();
        assert!(o.validate().is_ok());
        assert_eq!(o.handshake_timeout(), Duration::from_secs(2));
        // System roots (or bundled fallback) are never empty.
        assert!(!system_roots().unwrap().is_empty());
        o.client_config().unwrap();
        let o = TlsOptions { handshake_timeout: Some(Duration::from_millis(300)), ..Default::default() };
        assert_eq!(o.handshake_timeout(), Duration::from_millis(300));
        assert_eq!(o.server_name_for("1.2.3.4"), "1.2.3.4");
        let o = TlsOptions { server_name: Some("example.com".into()), ..Default::default() };
        assert_eq!(o.server_name_for("1.2.3.4"), "example.com");
    }

    #[test]
    fn validate_combinations() {
        let p = || Some(PathBuf::from("/nonexistent"));
        let pem = || Some(b"x".to_vec());
        for (i, o) in [
            TlsOptions { cert_file: p(), ..Default::default() },
            TlsOptions { cert_pem: pem(), ..Default::default() },
            TlsOptions { key_file: p(), ..Default::default() },
            TlsOptions { key_pem: pem(), ..Default::default() },
            TlsOptions { cert_file: p(), cert_pem: pem(), key_file: p(), ..Default::default() },
            TlsOptions { cert_file: p(), key_pem: pem(), key_file: p(), ..Default::default() },
            TlsOptions { server_name: Some("bad name with spaces".into()), ..Default::default() },
            TlsOptions { handshake_timeout: Some(Duration::ZERO), ..Default::default() },
        ]
        .iter()
        .enumerate()
        {
            assert_eq!(o.validate().unwrap_err().status, Status::InvalidArgument, "case {i}");
            assert_eq!(tls_err(o).status, Status::InvalidArgument, "case {i}");
        }
        for o in [
            TlsOptions { cert_file: p(), key_pem: pem(), ..Default::default() },
            TlsOptions { server_name: Some("127.0.0.1".into()), ..Default::default() },
            TlsOptions { server_name: Some("[::1]".into()), ..Default::default() },
            TlsOptions { server_name: Some("nats.example.com".into()), ..Default::default() },
        ] {
            o.validate().unwrap();
        }
    }

    #[test]
    fn ca_from_file_and_memory() {
        let (ca_pem, c, k, _) = pki();
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("ca.pem");
        std::fs::write(&f, &ca_pem).unwrap();
        TlsOptions { ca_file: Some(f.clone()), ..Default::default() }.client_config().unwrap();
        TlsOptions { ca_pem: Some(ca_pem.clone()), ..Default::default() }.client_config().unwrap();
        TlsOptions { ca_file: Some(f), ca_pem: Some(ca_pem.clone()), min_version: Some(TlsVersion::Tls13), ..Default::default() }
            .client_config()
            .unwrap();
        // Client identity from memory and from files.
        TlsOptions { ca_pem: Some(ca_pem.clone()), cert_pem: Some(c.clone()), key_pem: Some(k.clone()), ..Default::default() }
            .client_config()
            .unwrap();
        let cf = dir.path().join("c.pem");
        let kf = dir.path().join("k.pem");
        std::fs::write(&cf, &c).unwrap();
        std::fs::write(&kf, &k).unwrap();
        TlsOptions { cert_file: Some(cf), key_file: Some(kf), insecure_skip_verify: true, ..Default::default() }.client_config().unwrap();
    }

    #[test]
    fn pem_errors_name_the_input() {
        let (_, c, k, other_k) = pki();
        let dir = tempfile::tempdir().unwrap();
        let garbage = dir.path().join("garbage.pem");
        std::fs::write(&garbage, b"this is not PEM\n").unwrap();
        let broken = b"-----BEGIN CERTIFICATE-----\n!!!not base64!!!\n-----END CERTIFICATE-----\n".to_vec();
        let bad_der = b"-----BEGIN CERTIFICATE-----\nAAECAwQF\n-----END CERTIFICATE-----\n".to_vec();
        let cases: Vec<(TlsOptions, &str)> = vec![
            (TlsOptions { ca_file: Some(dir.path().join("missing.pem")), ..Default::default() }, "cannot read CA file"),
            (TlsOptions { ca_file: Some(garbage.clone()), ..Default::default() }, "CA file"),
            (TlsOptions { ca_pem: Some(b"nope".to_vec()), ..Default::default() }, "CA PEM (in memory): no PEM certificate"),
            (TlsOptions { ca_pem: Some(broken.clone()), ..Default::default() }, "bad PEM in CA PEM"),
            (TlsOptions { ca_pem: Some(bad_der.clone()), ..Default::default() }, "not a valid CA certificate"),
            (TlsOptions { cert_pem: Some(b"x".to_vec()), key_pem: Some(k.clone()), ..Default::default() }, "client certificate PEM"),
            (TlsOptions { cert_pem: Some(bad_der.clone()), key_pem: Some(k.clone()), ..Default::default() }, "not a valid X.509"),
            (TlsOptions { cert_file: Some(garbage.clone()), key_pem: Some(k.clone()), ..Default::default() }, "client certificate file"),
            (
                TlsOptions { cert_pem: Some(c.clone()), key_pem: Some(c.clone()), ..Default::default() },
                "client key PEM (in memory): no PEM private key",
            ),
            (TlsOptions { cert_pem: Some(c.clone()), key_file: Some(garbage.clone()), ..Default::default() }, "client key file"),
            (TlsOptions { cert_pem: Some(c.clone()), key_pem: Some(other_k), ..Default::default() }, "bad client certificate/key"),
            (
                TlsOptions { cert_pem: Some(c.clone()), key_file: Some(dir.path().join("nokey.pem")), ..Default::default() },
                "cannot read client key file",
            ),
        ];
        for (o, needle) in cases {
            let e = tls_err(&o);
            assert_eq!(e.status, Status::Tls, "{needle}: {e}");
            assert!(e.message.contains(needle), "expected {needle:?} in {:?}", e.message);
        }
        // Errors naming files include the path.
        let e = tls_err(&TlsOptions { ca_file: Some(garbage.clone()), ..Default::default() });
        assert!(e.message.contains("garbage.pem"), "{}", e.message);
    }

    /// Issue 7: certificate files were read on a runtime worker. With a file read that takes
    /// 300 ms, a 5 ms ticker on a one-thread runtime stalls when the configuration is built
    /// inline (what the engine did) and keeps ticking when it is built by `load_client_config`.
    #[test]
    fn files_are_read_off_the_runtime_workers() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let (ca_pem, ..) = pki();
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join(format!("{}-ca.pem", crate::files::SLOW_READ_MARKER));
        std::fs::write(&f, &ca_pem).unwrap();
        let o = TlsOptions { ca_file: Some(f), ..Default::default() };
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        let ticks_while_building = |offloaded: bool| {
            rt.block_on(async {
                let ticks = Arc::new(AtomicUsize::new(0));
                let t2 = ticks.clone();
                let ticker = tokio::spawn(async move {
                    let mut iv = tokio::time::interval(Duration::from_millis(5));
                    loop {
                        iv.tick().await;
                        t2.fetch_add(1, Ordering::Relaxed);
                    }
                });
                tokio::time::sleep(Duration::from_millis(20)).await;
                let before = ticks.load(Ordering::Relaxed);
                if offloaded {
                    load_client_config(&o).await.unwrap();
                } else {
                    o.client_config().unwrap();
                }
                let n = ticks.load(Ordering::Relaxed) - before;
                ticker.abort();
                n
            })
        };
        let inline = ticks_while_building(false);
        let offloaded = ticks_while_building(true);
        assert!(inline <= 1, "inline build: {inline} ticks");
        assert!(offloaded >= 20, "offloaded build: {offloaded} ticks");
    }

    #[test]
    fn server_names() {
        assert!(matches!(server_name("127.0.0.1").unwrap(), ServerName::IpAddress(_)));
        assert!(matches!(server_name("::1").unwrap(), ServerName::IpAddress(_)));
        assert!(matches!(server_name("[::1]").unwrap(), ServerName::IpAddress(_)));
        assert!(matches!(server_name("localhost").unwrap(), ServerName::DnsName(_)));
        assert_eq!(server_name("no spaces please").unwrap_err().status, Status::Tls);
    }

    #[test]
    fn error_descriptions_are_distinct() {
        let unknown = describe(&rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer));
        let name = describe(&rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext {
            expected: ServerName::try_from("127.0.0.1").unwrap(),
            presented: vec!["DnsName(\"wronghost\")".into()],
        }));
        let expired = describe(&rustls::Error::InvalidCertificate(CertificateError::ExpiredContext {
            time: UnixTime::since_unix_epoch(Duration::from_secs(1_700_000_000)),
            not_after: UnixTime::since_unix_epoch(Duration::from_secs(1_609_459_200)),
        }));
        let alert = describe(&rustls::Error::AlertReceived(AlertDescription::CertificateRequired));
        assert!(unknown.contains("not trusted") && unknown.contains("unknown certificate authority"));
        assert!(name.contains("name mismatch") && name.contains("127.0.0.1") && name.contains("wronghost"), "{name}");
        assert!(expired.contains("expired") && expired.contains("2021-01-01 00:00:00 UTC") && expired.contains("2023-11-14"), "{expired}");
        assert!(alert.contains("CertificateRequired") && alert.contains("client certificate"));
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, rustls::Error::AlertReceived(AlertDescription::BadCertificate));
        assert_eq!(map_io_error(&io, "h").unwrap().status, Status::Tls);
        assert!(map_io_error(&std::io::Error::other("x"), "h").is_none());
    }

    #[tokio::test]
    async fn handshake_timeout_against_silent_server() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let hold = tokio::spawn(async move {
            let (s, _) = l.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(5)).await;
            drop(s);
        });
        let s = TcpStream::connect(addr).await.unwrap();
        let cfg = TlsOptions { insecure_skip_verify: true, ..Default::default() }.client_config().unwrap();
        let t0 = std::time::Instant::now();
        let e = connect(s, cfg, "127.0.0.1", Duration::from_millis(200)).await.unwrap_err();
        assert!(t0.elapsed() < Duration::from_secs(2));
        assert_eq!(e.status, Status::Tls);
        assert!(e.message.contains("timed out"), "{}", e.message);
        hold.abort();
    }

    #[tokio::test]
    async fn plaintext_server_is_reported() {
        use tokio::io::AsyncWriteExt;
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let srv = tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let _ = s.write_all(b"INFO {\"server_id\":\"x\"}\r\n").await;
            tokio::time::sleep(Duration::from_secs(2)).await;
        });
        let s = TcpStream::connect(addr).await.unwrap();
        let cfg = TlsOptions::default().client_config().unwrap();
        let e = connect(s, cfg, "localhost", Duration::from_secs(2)).await.unwrap_err();
        assert_eq!(e.status, Status::Tls);
        assert!(e.message.contains("did not answer with TLS"), "{}", e.message);
        srv.abort();
    }
}
