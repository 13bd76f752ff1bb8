//! Credential and certificate files that are not small regular files (issue 8 defect 11): a FIFO
//! used to leave a thread stuck in `open()` (a runtime worker for TLS files), `/dev/zero` was
//! read until memory ran out, a huge file was read whole. Now each is refused at once with
//! `BadCredentials` (seed, creds, JWT files) or `Tls` (CA, certificate, key files) and a message
//! naming the file and the reason.

use crate::peer;

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use natsrs::auth::AuthOptions;
use natsrs::tls::TlsOptions;
use natsrs::{Connection, Error, Options, Status};
use peer::{handshake, peer, within};

/// Longer than any cap a credential or certificate file may have.
const HUGE_FILE: u64 = 64 << 20;
/// A refused file must be reported well within this.
const PROMPT: Duration = Duration::from_secs(3);
const JWT: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJzdWIiOiJVQUJDIn0.c2lnbmF0dXJl";

fn mkfifo(dir: &Path, name: &str) -> PathBuf {
    let p = dir.join(name);
    let c = std::ffi::CString::new(p.as_os_str().as_bytes()).unwrap();
    // SAFETY: `c` is a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo {}", p.display());
    p
}

/// A sparse file of `HUGE_FILE` bytes.
fn huge_file(dir: &Path, name: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::File::create(&p).unwrap().set_len(HUGE_FILE).unwrap();
    p
}

/// (path, what the message must say) for a FIFO, a directory and a huge file.
fn bad_files(dir: &Path) -> Vec<(PathBuf, &'static str)> {
    vec![(mkfifo(dir, "fifo"), "not a regular file"), (dir.join("subdir"), "not a regular file"), (huge_file(dir, "huge"), "too large")]
}

fn auth_cases(path: &Path, jwt_file: &Path) -> Vec<AuthOptions> {
    let p = || Some(path.to_path_buf());
    vec![
        AuthOptions { nkey_seed_file: p(), ..Default::default() },
        AuthOptions { creds_file: p(), ..Default::default() },
        AuthOptions { jwt_file: p(), ..Default::default() },
        AuthOptions { jwt_file: Some(jwt_file.to_path_buf()), seed_file: p(), ..Default::default() },
    ]
}

fn expect(e: &Error, status: Status, path: &Path, needle: &str) {
    assert_eq!(e.status, status, "{}: {e}", path.display());
    assert!(e.message.contains(&path.display().to_string()), "path missing in {:?}", e.message);
    assert!(e.message.contains(needle), "expected {needle:?} in {:?}", e.message);
}

#[test]
fn auth_files_must_be_small_regular_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("subdir")).unwrap();
    let jwt_file = dir.path().join("user.jwt");
    std::fs::write(&jwt_file, JWT).unwrap();
    for (path, needle) in bad_files(dir.path()) {
        for o in auth_cases(&path, &jwt_file) {
            let t0 = Instant::now();
            let e = within("AuthOptions::fields", PROMPT, move || o.fields(None, None, None, Some("nonce"))).unwrap_err();
            expect(&e, Status::BadCredentials, &path, needle);
            assert!(t0.elapsed() < PROMPT);
        }
    }
}

#[test]
fn tls_files_must_be_small_regular_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("subdir")).unwrap();
    for (path, needle) in bad_files(dir.path()) {
        let p = || Some(path.clone());
        for o in [
            TlsOptions { ca_file: p(), ..Default::default() },
            TlsOptions { cert_file: p(), key_pem: Some(b"x".to_vec()), ..Default::default() },
            TlsOptions { cert_pem: Some(b"x".to_vec()), key_file: p(), ..Default::default() },
        ] {
            let e = within("TlsOptions::client_config", PROMPT, move || o.client_config().map(|_| ())).unwrap_err();
            expect(&e, Status::Tls, &path, needle);
        }
    }
}

#[test]
fn devices_are_refused_without_reading() {
    let dev_zero = Path::new("/dev/zero");
    let o = AuthOptions { nkey_seed_file: Some(dev_zero.to_path_buf()), ..Default::default() };
    let e = within("seed file /dev/zero", PROMPT, move || o.fields(None, None, None, Some("nonce"))).unwrap_err();
    expect(&e, Status::BadCredentials, dev_zero, "not a regular file");
    let o = TlsOptions { ca_file: Some(dev_zero.to_path_buf()), ..Default::default() };
    let e = within("CA file /dev/zero", PROMPT, move || o.client_config().map(|_| ())).unwrap_err();
    expect(&e, Status::Tls, dev_zero, "not a regular file");
}

fn connect_opts(port: u16) -> Options {
    let mut o = Options::default();
    o.set_url(&format!("nats://127.0.0.1:{port}")).unwrap();
    o.connect_timeout = Duration::from_secs(2);
    o.allow_reconnect = false;
    o
}

#[test]
fn fifo_seed_file_fails_the_connect_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = mkfifo(dir.path(), "seed.nk");
    let port = peer(1, |_, mut s| {
        let _ = handshake(&mut s, r#"{"server_id":"FAKE","proto":1,"headers":true,"nonce":"abc","auth_required":true}"#);
    });
    let mut o = connect_opts(port);
    o.auth.nkey_seed_file = Some(fifo.clone());
    let t0 = Instant::now();
    let e = within("connect with a FIFO seed file", Duration::from_secs(5), move || Connection::connect(o)).err().unwrap();
    expect(&e, Status::BadCredentials, &fifo, "not a regular file");
    assert!(t0.elapsed() < Duration::from_secs(1), "took {:?}", t0.elapsed());
}

#[test]
fn fifo_ca_file_fails_the_connect_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = mkfifo(dir.path(), "ca.pem");
    let port = peer(1, |_, mut s| {
        let _ = handshake(&mut s, r#"{"server_id":"FAKE","proto":1,"headers":true,"tls_required":true}"#);
    });
    let mut o = connect_opts(port);
    o.tls.ca_file = Some(fifo.clone());
    let t0 = Instant::now();
    let e = within("connect with a FIFO CA file", Duration::from_secs(5), move || Connection::connect(o)).err().unwrap();
    expect(&e, Status::Tls, &fifo, "not a regular file");
    assert!(t0.elapsed() < Duration::from_secs(1), "took {:?}", t0.elapsed());
}
