//! gen_test_pki: writes throw-away security material and ready-to-use nats-server configs for
//! the C security examples (examples-c/tls.c, examples-c/nkeys_creds.c) and for trying the auth
//! and TLS options by hand.
//!
//! ```text
//! cargo run --release --example gen_test_pki -- <outdir> [--tls-port N] [--nkey-port N] [--operator-port N]
//! ```
//!
//! Files written into `<outdir>` (created if needed; existing files are overwritten):
//!
//! | file                               | what                                                     |
//! |------------------------------------|----------------------------------------------------------|
//! | `ca.pem`                           | test root CA                                             |
//! | `server-cert.pem`, `server-key.pem`| server certificate (SANs 127.0.0.1, ::1, localhost)      |
//! | `client-cert.pem`, `client-key.pem`| client certificate for mutual TLS                        |
//! | `other-ca.pem`                     | an unrelated CA (a client trusting only it rejects the server) |
//! | `expired-cert.pem`, `expired-key.pem` | server certificate (127.0.0.1/localhost) expired in 2021 |
//! | `wronghost-cert.pem`, `wronghost-key.pem` | server certificate for the name "wronghost" only  |
//! | `user.nk`, `user.pub`              | user nkey seed file (with a comment line), public key    |
//! | `operator.jwt`                     | operator JWT (referenced by `operator.conf`)             |
//! | `user.creds`                       | decorated creds file (user JWT + seed) of the account    |
//! | `user.jwt`, `user.seed`            | the same user as a JWT file and a seed file              |
//! | `tls.conf`                         | TLS with `verify: true` (mutual TLS), trusts `ca.pem`    |
//! | `nkey.conf`                        | `authorization { users = [ { nkey: <user.pub> } ] }`     |
//! | `operator.conf`                    | operator mode, `resolver: MEMORY` with the account preloaded |
//!
//! The configs listen on 127.0.0.1 and the port given with `--*-port` (defaults 4443, 4225 and
//! 4226). A port given to nats-server on its command line wins over the config
//! (`nats-server -c tls.conf -p 5555`), which is what `scripts/test.sh` does. Paths inside the
//! configs are absolute, so the server can be started from any directory.
//!
//! The certificates, JWTs and keys come from the helpers of the Rust security tests
//! (`tests/security_support`), so the examples and the tests use the same kind of material.

#[path = "../common/mod.rs"]
mod common;
#[path = "../security_support/mod.rs"]
mod security_support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use security_support::{Operator, Pki};

const USAGE: &str = "usage: gen_test_pki <outdir> [--tls-port N] [--nkey-port N] [--operator-port N]";

struct Args {
    out: PathBuf,
    tls_port: u16,
    nkey_port: u16,
    operator_port: u16,
}

fn parse_args() -> Result<Args, String> {
    let mut out = None;
    let mut tls_port = 4443;
    let mut nkey_port = 4225;
    let mut operator_port = 4226;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let port_slot = match a.as_str() {
            "-h" | "--help" => return Err(String::new()),
            "--tls-port" => Some(&mut tls_port),
            "--nkey-port" => Some(&mut nkey_port),
            "--operator-port" => Some(&mut operator_port),
            s if s.starts_with('-') => return Err(format!("unknown option {s}")),
            _ => None,
        };
        match port_slot {
            Some(slot) => {
                let v = it.next().ok_or_else(|| format!("{a} needs a port number"))?;
                *slot = v.parse().map_err(|_| format!("{a}: not a port number: {v}"))?;
            }
            None if out.is_none() => out = Some(PathBuf::from(a)),
            None => return Err(format!("unexpected argument {a}")),
        }
    }
    let out = out.ok_or_else(|| "missing <outdir>".to_string())?;
    Ok(Args { out, tls_port, nkey_port, operator_port })
}

/// Writes `text` to `dir/name`; `secret` files get mode 0600.
fn write(dir: &Path, name: &str, text: &str, secret: bool) -> Result<PathBuf, String> {
    let p = dir.join(name);
    fs::write(&p, text).map_err(|e| format!("writing {}: {e}", p.display()))?;
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).map_err(|e| format!("chmod {}: {e}", p.display()))?;
    }
    #[cfg(not(unix))]
    let _ = secret;
    Ok(p)
}

fn copy(from: &Path, dir: &Path, name: &str, secret: bool) -> Result<PathBuf, String> {
    let text = fs::read_to_string(from).map_err(|e| format!("reading {}: {e}", from.display()))?;
    write(dir, name, &text, secret)
}

/// Quotes a path for a nats-server config string.
fn q(p: &Path) -> String {
    format!("\"{}\"", p.display().to_string().replace('\\', "\\\\").replace('"', "\\\""))
}

fn run(args: Args) -> Result<(), String> {
    fs::create_dir_all(&args.out).map_err(|e| format!("creating {}: {e}", args.out.display()))?;
    let dir = args.out.canonicalize().map_err(|e| format!("resolving {}: {e}", args.out.display()))?;

    // ---- certificates --------------------------------------------------------------------
    let pki = Pki::generate();
    let ca = copy(&pki.ca, &dir, "ca.pem", false)?;
    let server_cert = copy(&pki.server.cert, &dir, "server-cert.pem", false)?;
    let server_key = copy(&pki.server.key, &dir, "server-key.pem", true)?;
    let client_cert = copy(&pki.client.cert, &dir, "client-cert.pem", false)?;
    let client_key = copy(&pki.client.key, &dir, "client-key.pem", true)?;
    // Extra material for trying the TLS error paths by hand (not used by the configs below).
    copy(&pki.other_ca, &dir, "other-ca.pem", false)?;
    for (name, pair) in [("expired", &pki.expired), ("wronghost", &pki.wronghost)] {
        copy(&pair.cert, &dir, &format!("{name}-cert.pem"), false)?;
        copy(&pair.key, &dir, &format!("{name}-key.pem"), true)?;
    }

    // ---- plain nkey user -----------------------------------------------------------------
    let user = nkeys::KeyPair::new_user();
    let user_pub = user.public_key();
    let user_seed = user.seed().map_err(|e| format!("nkey seed: {e}"))?;
    let user_nk =
        write(&dir, "user.nk", &format!("# nkey seed of the test user {user_pub} (nkey.conf); keep it secret\n{user_seed}\n"), true)?;
    write(&dir, "user.pub", &format!("{user_pub}\n"), false)?;

    // ---- operator / account / user JWTs ----------------------------------------------------
    let op = Operator::generate();
    let operator_jwt = write(&dir, "operator.jwt", &format!("{}\n", op.operator_jwt), false)?;
    let creds = copy(&op.user.creds, &dir, "user.creds", true)?;
    let user_jwt = copy(&op.user.jwt_file, &dir, "user.jwt", false)?;
    let user_seed_file = copy(&op.user.seed_file, &dir, "user.seed", true)?;

    // ---- server configs --------------------------------------------------------------------
    let tls_conf = write(
        &dir,
        "tls.conf",
        &format!(
            "# Mutual TLS: clients must present a certificate signed by ca.pem.\n\
             # nats-server -c tls.conf [-p PORT]; connect with tls://127.0.0.1:PORT\n\
             listen: \"127.0.0.1:{port}\"\n\
             tls {{\n  cert_file: {cert}\n  key_file: {key}\n  ca_file: {ca}\n  verify: true\n  timeout: 3\n}}\n",
            port = args.tls_port,
            cert = q(&server_cert),
            key = q(&server_key),
            ca = q(&ca),
        ),
        false,
    )?;
    let nkey_conf = write(
        &dir,
        "nkey.conf",
        &format!(
            "# nkey authentication: the only user is the public key in user.pub (seed: user.nk).\n\
             # nats-server -c nkey.conf [-p PORT]\n\
             listen: \"127.0.0.1:{port}\"\n\
             authorization {{\n  users = [\n    {{ nkey: {user_pub} }}\n  ]\n}}\n",
            port = args.nkey_port,
        ),
        false,
    )?;
    let operator_conf = write(
        &dir,
        "operator.conf",
        &format!(
            "# Operator (decentralized JWT) mode; the account of user.creds is preloaded.\n\
             # nats-server -c operator.conf [-p PORT]\n\
             listen: \"127.0.0.1:{port}\"\n\
             operator: {opjwt}\n\
             resolver: MEMORY\n\
             resolver_preload: {{\n  {acc}: \"{accjwt}\"\n}}\n",
            port = args.operator_port,
            opjwt = q(&operator_jwt),
            acc = op.account.public_key(),
            accjwt = op.account_jwt,
        ),
        false,
    )?;

    // ---- summary ---------------------------------------------------------------------------
    let rel = |p: &Path| p.file_name().unwrap().to_string_lossy().into_owned();
    println!("gen_test_pki: wrote test material into {}", dir.display());
    println!("  TLS       {} (root CA), {} + {} (server: 127.0.0.1, ::1, localhost),", rel(&ca), rel(&server_cert), rel(&server_key));
    println!("            {} + {} (client, for mutual TLS)", rel(&client_cert), rel(&client_key));
    println!("            for the error paths: other-ca.pem (unrelated CA), expired-cert.pem/-key.pem,");
    println!("            wronghost-cert.pem/-key.pem (SAN \"wronghost\" only), both signed by ca.pem");
    println!("  nkey      {} (seed file), user.pub = {user_pub}", rel(&user_nk));
    println!(
        "  JWT       {} (creds), {} + {} (JWT file + seed file), {}; account {}",
        rel(&creds),
        rel(&user_jwt),
        rel(&user_seed_file),
        rel(&operator_jwt),
        op.account.public_key()
    );
    println!(
        "  servers   {} (mutual TLS, port {}), {} (nkey users, port {}), {} (operator mode, port {})",
        rel(&tls_conf),
        args.tls_port,
        rel(&nkey_conf),
        args.nkey_port,
        rel(&operator_conf),
        args.operator_port
    );
    println!("  e.g.      nats-server -c {} -p <port>", tls_conf.display());
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("gen_test_pki: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen_test_pki: {e}");
            ExitCode::FAILURE
        }
    }
}
