//! Authentication (nkeys, JWT, creds, token handler) and TLS options of `natsrs_options`.
//!
//! No malloc/free contract crosses the boundary: callbacks return borrowed strings that the
//! library copies at once, or write into buffers the library provides.

use std::ffi::{c_char, c_void};
use std::path::PathBuf;
use std::time::Duration;

use super::callbacks::Reg;
use super::options::{natsrs_options, natsrs_userdata_free, opts_mut, with_opts};
use super::status::natsrs_status;
use super::{cstr, guard, nn, payload};
use crate::error::{err, Result};
use crate::tls::TlsVersion;

/// Returns a string (token or JWT) for the next connect. The pointer is borrowed: the library
/// copies the string before the callback's next call; return NULL to fail the attempt.
/// Runs on a library thread that is not an I/O thread, on every connect and reconnect.
pub type natsrs_string_handler = Option<unsafe extern "C" fn(userdata: *mut c_void) -> *const c_char>;

/// Signs `nonce` (`nonce_len` bytes) with the user's private nkey: write the 64-byte raw
/// ed25519 signature into `sig_out` (room for exactly 64 bytes) and return NATSRS_STATUS_OK (0).
/// Any other value fails the attempt: a natsrs_status value is reported as that status, any
/// other number as NATSRS_STATUS_INVALID_ARGUMENT.
/// Runs on a library thread that is not an I/O thread, on every connect and reconnect.
pub type natsrs_sign_handler =
    Option<unsafe extern "C" fn(userdata: *mut c_void, nonce: *const u8, nonce_len: usize, sig_out: *mut u8) -> i32>;

/// Gives the user and password for the next connect (nats.go UserInfoHandler): set
/// `*user_out` to the user (non-empty) and `*password_out` to the password (NULL for none) and
/// return NATSRS_STATUS_OK (0). The strings are borrowed and must still be valid when the
/// callback returns (static storage or memory owned by `userdata`, not the callback's stack); the
/// library copies them at once, before the handler can be called again. Any other return value fails the
/// attempt (a natsrs_status value as that status, any other number as INVALID_ARGUMENT).
/// Runs on a library thread that is not an I/O thread, on every connect and reconnect.
pub type natsrs_user_info_handler =
    Option<unsafe extern "C" fn(userdata: *mut c_void, user_out: *mut *const c_char, password_out: *mut *const c_char) -> i32>;

/// One certificate in DER form (borrowed: `data` is valid for `len` bytes during the callback).
#[repr(C)]
pub struct natsrs_cert_der {
    /// The certificate's DER bytes (`len` of them; `void` so that bindings read it as an
    /// address, never as a NUL-terminated string).
    pub data: *const c_void,
    /// Number of bytes at `data`.
    pub len: usize,
}

/// Verifies the server's certificate chain instead of the library: `chain` holds `chain_len`
/// DER certificates as the server sent them, leaf first; `server_name` is the name the server
/// is expected to have (the URL host or natsrs_options_set_tls_server_name). Return
/// NATSRS_STATUS_OK (0) to accept; anything else fails the handshake with NATSRS_STATUS_TLS.
/// Everything is borrowed for the duration of the call. Runs during the TLS handshake on a
/// library I/O thread (moved off the I/O scheduler while it runs): make no blocking natsrs call.
pub type natsrs_tls_verify_handler =
    Option<unsafe extern "C" fn(userdata: *mut c_void, chain: *const natsrs_cert_der, chain_len: usize, server_name: *const c_char) -> i32>;

/// A non-empty path argument.
///
/// # Safety
/// `p` is NULL or a NUL-terminated string.
unsafe fn path(p: *const c_char, name: &str) -> Result<PathBuf> {
    // SAFETY: forwarded caller guarantee.
    let s = unsafe { cstr(p, name) }?;
    if s.is_empty() {
        return Err(err!(InvalidArgument, "'{}' is empty", name));
    }
    Ok(PathBuf::from(s))
}

/// Calls `handler` on every connect to get the authentication token.
/// `userdata_free` (may be NULL) runs once when the library is done with `userdata`.
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_token_handler(
    opts: *mut natsrs_options,
    handler: natsrs_string_handler,
    userdata: *mut c_void,
    userdata_free: natsrs_userdata_free,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `opts` is NULL or live (C contract).
        let o = unsafe { opts_mut(opts) }?;
        let reg = Reg::new(handler, userdata, userdata_free);
        let reg = reg.ok_or_else(|| err!(NullParameter, "'handler' is NULL"))?;
        o.inner.auth.token_handler = None;
        o.callbacks.token = Some(reg);
        Ok(())
    })
}

/// Authenticates with the user nkey seed in `seed_file` (comments and blank lines allowed). The
/// file is read on every connect; the seed is wiped from memory after signing.
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_nkey_seed_file(opts: *mut natsrs_options, seed_file: *const c_char) -> natsrs_status {
    // SAFETY: `opts` NULL or live, pointer arguments NULL or valid for the call (C contract).
    unsafe {
        with_opts(opts, |o| {
            o.auth.nkey_seed_file = Some(path(seed_file, "seed_file")?);
            Ok(())
        })
    }
}

/// Authenticates with the user nkey `public_key`; `sign` signs the server nonce (the library
/// never sees the private key). `userdata_free` (may be NULL) runs once when done.
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_nkey(
    opts: *mut natsrs_options,
    public_key: *const c_char,
    sign: natsrs_sign_handler,
    userdata: *mut c_void,
    userdata_free: natsrs_userdata_free,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `opts` is NULL or live (C contract).
        let o = unsafe { opts_mut(opts) }?;
        let reg = Reg::new(sign, userdata, userdata_free);
        // SAFETY: `public_key` is NULL or a NUL-terminated string (C contract).
        let pk = unsafe { cstr(public_key, "public_key") }?;
        let reg = reg.ok_or_else(|| err!(NullParameter, "'sign' is NULL"))?;
        o.inner.auth.nkey_public = Some(pk.to_string());
        o.inner.auth.nkey_sign = None;
        o.callbacks.nkey = Some((pk.to_string(), reg));
        Ok(())
    })
}

/// Authenticates with a creds file (user JWT and seed in the standard decorated format), read on
/// every connect and reconnect.
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_user_credentials_file(opts: *mut natsrs_options, creds_file: *const c_char) -> natsrs_status {
    // SAFETY: `opts` NULL or live, pointer arguments NULL or valid for the call (C contract).
    unsafe {
        with_opts(opts, |o| {
            o.auth.creds_file = Some(path(creds_file, "creds_file")?);
            Ok(())
        })
    }
}

/// Authenticates with a user JWT file and a separate seed file (`seed_file` may be NULL when the
/// JWT file also holds the seed).
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_user_credentials_files(
    opts: *mut natsrs_options,
    jwt_file: *const c_char,
    seed_file: *const c_char,
) -> natsrs_status {
    // SAFETY: `opts` NULL or live, pointer arguments NULL or valid for the call (C contract).
    unsafe {
        with_opts(opts, |o| {
            o.auth.jwt_file = Some(path(jwt_file, "jwt_file")?);
            o.auth.seed_file = if seed_file.is_null() { None } else { Some(path(seed_file, "seed_file")?) };
            Ok(())
        })
    }
}

/// Authenticates with a user JWT returned by `jwt_handler` and a nonce signature made by `sign`.
/// Both get the same `userdata`; `userdata_free` (may be NULL) runs once when done.
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_user_jwt_handler(
    opts: *mut natsrs_options,
    jwt_handler: natsrs_string_handler,
    sign: natsrs_sign_handler,
    userdata: *mut c_void,
    userdata_free: natsrs_userdata_free,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `opts` is NULL or live (C contract).
        let o = unsafe { opts_mut(opts) }?;
        let reg = Reg::new(jwt_handler, userdata, userdata_free);
        let reg = reg.ok_or_else(|| err!(NullParameter, "'jwt_handler' is NULL"))?;
        let s = sign.ok_or_else(|| err!(NullParameter, "'sign' is NULL"))?;
        o.inner.auth.jwt_handler = None;
        o.inner.auth.jwt_sign = None;
        o.callbacks.jwt = Some((reg, s));
        Ok(())
    })
}

/// Use TLS with every server, also for nats:// URLs (tls:// URLs always use TLS).
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_tls_required(opts: *mut natsrs_options, required: bool) -> natsrs_status {
    // SAFETY: `opts` NULL or live, pointer arguments NULL or valid for the call (C contract).
    unsafe {
        with_opts(opts, |o| {
            o.tls.required = required;
            Ok(())
        })
    }
}

/// Trust the root CA certificates in the PEM file `ca_file` (instead of the system roots).
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_tls_ca_file(opts: *mut natsrs_options, ca_file: *const c_char) -> natsrs_status {
    // SAFETY: `opts` NULL or live, pointer arguments NULL or valid for the call (C contract).
    unsafe {
        with_opts(opts, |o| {
            o.tls.ca_file = Some(path(ca_file, "ca_file")?);
            Ok(())
        })
    }
}

/// Trust the root CA certificates in `pem` (`len` bytes of PEM text in memory; copied).
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_tls_ca_pem(opts: *mut natsrs_options, pem: *const u8, len: usize) -> natsrs_status {
    // SAFETY: `opts` NULL or live, pointer arguments NULL or valid for the call (C contract).
    unsafe {
        with_opts(opts, |o| {
            nn(pem, "pem")?;
            o.tls.ca_pem = Some(payload(pem, len)?.to_vec());
            Ok(())
        })
    }
}

/// Client certificate chain and private key files (PEM) for mutual TLS.
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_tls_client_cert_file(
    opts: *mut natsrs_options,
    cert_file: *const c_char,
    key_file: *const c_char,
) -> natsrs_status {
    // SAFETY: `opts` NULL or live, pointer arguments NULL or valid for the call (C contract).
    unsafe {
        with_opts(opts, |o| {
            let (c, k) = (path(cert_file, "cert_file")?, path(key_file, "key_file")?);
            o.tls.cert_file = Some(c);
            o.tls.key_file = Some(k);
            o.tls.cert_pem = None;
            o.tls.key_pem = None;
            Ok(())
        })
    }
}

/// Client certificate chain and private key as PEM in memory (copied) for mutual TLS.
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_tls_client_cert_pem(
    opts: *mut natsrs_options,
    cert_pem: *const u8,
    cert_len: usize,
    key_pem: *const u8,
    key_len: usize,
) -> natsrs_status {
    // SAFETY: `opts` NULL or live, pointer arguments NULL or valid for the call (C contract).
    unsafe {
        with_opts(opts, |o| {
            nn(cert_pem, "cert_pem")?;
            nn(key_pem, "key_pem")?;
            o.tls.cert_pem = Some(payload(cert_pem, cert_len)?.to_vec());
            o.tls.key_pem = Some(payload(key_pem, key_len)?.to_vec());
            o.tls.cert_file = None;
            o.tls.key_file = None;
            Ok(())
        })
    }
}

/// Name expected in the server certificate (and sent as SNI) instead of the URL's host.
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_tls_server_name(opts: *mut natsrs_options, name: *const c_char) -> natsrs_status {
    // SAFETY: `opts` NULL or live, pointer arguments NULL or valid for the call (C contract).
    unsafe {
        with_opts(opts, |o| {
            o.tls.server_name = Some(cstr(name, "name")?.to_string());
            Ok(())
        })
    }
}

/// Minimum TLS version: 12 for TLS 1.2 (default), 13 for TLS 1.3.
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_tls_min_version(opts: *mut natsrs_options, version: i32) -> natsrs_status {
    // SAFETY: `opts` NULL or live, pointer arguments NULL or valid for the call (C contract).
    unsafe {
        with_opts(opts, |o| {
            o.tls.min_version = Some(match version {
                12 => TlsVersion::Tls12,
                13 => TlsVersion::Tls13,
                v => return Err(err!(InvalidArgument, "unsupported TLS version {} (use 12 or 13)", v)),
            });
            Ok(())
        })
    }
}

/// TLS handshake first: start TLS right after the TCP connect, before the server's INFO (the
/// server must be configured with `handshake_first`).
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_tls_handshake_first(opts: *mut natsrs_options, on: bool) -> natsrs_status {
    // SAFETY: `opts` NULL or live, pointer arguments NULL or valid for the call (C contract).
    unsafe {
        with_opts(opts, |o| {
            o.tls.handshake_first = on;
            Ok(())
        })
    }
}

/// UNSAFE: accept any server certificate without verifying chain, name or expiry. Traffic is
/// encrypted but the server is not authenticated: for tests only.
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_tls_insecure_skip_verify(opts: *mut natsrs_options, skip: bool) -> natsrs_status {
    // SAFETY: `opts` NULL or live, pointer arguments NULL or valid for the call (C contract).
    unsafe {
        with_opts(opts, |o| {
            o.tls.insecure_skip_verify = skip;
            Ok(())
        })
    }
}

/// Timeout of one TLS handshake (default 2000 ms), so a reconnect never hangs in it.
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_tls_handshake_timeout_ms(opts: *mut natsrs_options, ms: i64) -> natsrs_status {
    // SAFETY: `opts` NULL or live, pointer arguments NULL or valid for the call (C contract).
    unsafe {
        with_opts(opts, |o| {
            if ms <= 0 {
                return Err(err!(InvalidArgument, "timeout must be positive"));
            }
            o.tls.handshake_timeout = Some(Duration::from_millis(ms as u64));
            Ok(())
        })
    }
}

/// Calls `handler` on every connect and reconnect to get the user and password (nats.go
/// UserInfoHandler). Cannot be combined with natsrs_options_set_user_info (connect fails with
/// NATSRS_STATUS_INVALID_ARGUMENT); credentials in the server URL win over it (it is not called
/// for that server). `handler` NULL removes it. `userdata_free` (may be NULL) runs once when the
/// library is done with `userdata`.
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_user_info_handler(
    opts: *mut natsrs_options,
    handler: natsrs_user_info_handler,
    userdata: *mut c_void,
    userdata_free: natsrs_userdata_free,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `opts` is NULL or live (C contract).
        let o = unsafe { opts_mut(opts) }?;
        o.inner.auth.user_info_handler = None;
        o.callbacks.user_info = Reg::new(handler, userdata, userdata_free);
        Ok(())
    })
}

/// Verifies server certificates with `handler` (see natsrs_tls_verify_handler) instead of the
/// library's checks: CA roots (natsrs_options_set_tls_ca_file/_pem), host name, expiry and
/// natsrs_options_set_tls_insecure_skip_verify are then not used. The TLS handshake signatures are
/// still checked by the library, so the server holds the key of the leaf the handler accepted.
/// `handler` NULL removes it. `userdata_free` (may be NULL) runs once when the library is done
/// with `userdata`.
#[no_mangle]
pub unsafe extern "C" fn natsrs_options_set_tls_verify_handler(
    opts: *mut natsrs_options,
    handler: natsrs_tls_verify_handler,
    userdata: *mut c_void,
    userdata_free: natsrs_userdata_free,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `opts` is NULL or live (C contract).
        let o = unsafe { opts_mut(opts) }?;
        o.inner.tls.verify_handler = None;
        o.callbacks.tls_verify = Reg::new(handler, userdata, userdata_free);
        Ok(())
    })
}
