//! Client authentication: user/password, token (static or from a callback), nkeys (seed file or
//! public key + signature callback) and user JWTs (creds file, JWT file + seed file, or JWT
//! callback + signature callback).
//!
//! [`AuthOptions::fields`] is called once per connect attempt (initial connect and every
//! reconnect) with the server's INFO nonce and returns what goes into CONNECT. Credential files are
//! read at that moment, so a rotated creds file is picked up on the next reconnect and a missing
//! one fails that attempt. Seeds are held in [`Zeroizing`] buffers and wiped when dropped.
//!
//! Signatures are ed25519 over the nonce string exactly as the server sent it, encoded as
//! base64url without padding.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use zeroize::Zeroizing;

use crate::error::{err, Result, Status};

/// Returns the token to send; called on every connect and reconnect.
pub type TokenHandler = Arc<dyn Fn() -> Result<String> + Send + Sync>;
/// Signs the server nonce; must return the raw 64-byte ed25519 signature.
pub type SignatureHandler = Arc<dyn Fn(&[u8]) -> Result<Vec<u8>> + Send + Sync>;
/// Returns (user, password); called on every connect and reconnect (nats.go `UserInfoHandler`).
pub type UserInfoHandler = Arc<dyn Fn() -> Result<(String, String)> + Send + Sync>;
/// Returns the user JWT; called on every connect and reconnect.
pub type JwtHandler = Arc<dyn Fn() -> Result<String> + Send + Sync>;

/// Length of an encoded nkey seed (`S` + type letter + ...).
const SEED_LEN: usize = 58;
/// Length of an encoded nkey public key.
const PUBLIC_KEY_LEN: usize = 56;
/// Length of a raw ed25519 signature.
const SIGNATURE_LEN: usize = 64;

/// Authentication configuration. All `None` = no authentication.
#[derive(Clone, Default)]
pub struct AuthOptions {
    pub user: Option<String>,
    pub password: Option<String>,
    pub token: Option<String>,
    pub token_handler: Option<TokenHandler>,
    /// User and password computed at each connect, instead of `user`/`password`.
    pub user_info_handler: Option<UserInfoHandler>,
    /// File holding a user nkey seed (comments and blank lines allowed, or a creds file).
    pub nkey_seed_file: Option<PathBuf>,
    /// User nkey public key, used together with `nkey_sign` (the library never sees the seed).
    pub nkey_public: Option<String>,
    pub nkey_sign: Option<SignatureHandler>,
    /// Decorated creds file with the user JWT and the user seed.
    pub creds_file: Option<PathBuf>,
    /// File with the user JWT (raw or decorated); the seed comes from `seed_file`, or from this
    /// same file when `seed_file` is not set.
    pub jwt_file: Option<PathBuf>,
    pub seed_file: Option<PathBuf>,
    /// JWT callback, used together with `jwt_sign`.
    pub jwt_handler: Option<JwtHandler>,
    pub jwt_sign: Option<SignatureHandler>,
}

impl fmt::Debug for AuthOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn set<T>(o: &Option<T>) -> &'static str {
            if o.is_some() {
                "<set>"
            } else {
                "<none>"
            }
        }
        f.debug_struct("AuthOptions")
            .field("user", &self.user)
            .field("password", &set(&self.password))
            .field("token", &set(&self.token))
            .field("token_handler", &set(&self.token_handler))
            .field("user_info_handler", &set(&self.user_info_handler))
            .field("nkey_seed_file", &self.nkey_seed_file)
            .field("nkey_public", &self.nkey_public)
            .field("nkey_sign", &set(&self.nkey_sign))
            .field("creds_file", &self.creds_file)
            .field("jwt_file", &self.jwt_file)
            .field("seed_file", &self.seed_file)
            .field("jwt_handler", &set(&self.jwt_handler))
            .field("jwt_sign", &set(&self.jwt_sign))
            .finish()
    }
}

/// What goes into CONNECT. All `None` = no auth fields.
///
/// `Debug` redacts the password and the token.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct AuthFields {
    pub user: Option<String>,
    pub pass: Option<String>,
    pub auth_token: Option<String>,
    pub nkey: Option<String>,
    pub sig: Option<String>,
    pub jwt: Option<String>,
}

impl fmt::Debug for AuthFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redact = |o: &Option<String>| o.as_ref().map(|_| "<redacted>");
        f.debug_struct("AuthFields")
            .field("user", &self.user)
            .field("pass", &redact(&self.pass))
            .field("auth_token", &redact(&self.auth_token))
            .field("nkey", &self.nkey)
            .field("sig", &self.sig)
            .field("jwt", &self.jwt)
            .finish()
    }
}

impl AuthOptions {
    /// True if any nkey (non-JWT) authentication is configured.
    fn has_nkey(&self) -> bool {
        self.nkey_seed_file.is_some() || self.nkey_public.is_some() || self.nkey_sign.is_some()
    }

    /// True if any user JWT authentication is configured.
    fn has_jwt(&self) -> bool {
        self.creds_file.is_some()
            || self.jwt_file.is_some()
            || self.seed_file.is_some()
            || self.jwt_handler.is_some()
            || self.jwt_sign.is_some()
    }

    /// True if nkey or JWT auth is configured, i.e. the server nonce must be signed.
    pub fn needs_nonce(&self) -> bool {
        self.has_nkey() || self.has_jwt()
    }

    /// Validates the combination of options. Errors are `InvalidArgument`.
    pub fn validate(&self) -> Result<()> {
        if self.token.as_deref().is_some_and(|t| !t.is_empty()) && self.token_handler.is_some() {
            return Err(err!(InvalidArgument, "a token and a token handler cannot both be set"));
        }
        if self.user_info_handler.is_some() && (self.user.as_deref().is_some_and(|u| !u.is_empty()) || self.password.is_some()) {
            return Err(err!(InvalidArgument, "a user/password and a user info handler cannot both be set"));
        }
        if self.has_nkey() && self.has_jwt() {
            return Err(err!(InvalidArgument, "nkey authentication and user JWT (credentials) authentication cannot both be configured"));
        }
        // nkey forms
        if self.nkey_seed_file.is_some() && (self.nkey_public.is_some() || self.nkey_sign.is_some()) {
            return Err(err!(InvalidArgument, "an nkey seed file and an nkey public key with signature callback cannot both be set"));
        }
        match (&self.nkey_public, &self.nkey_sign) {
            (Some(_), None) => {
                return Err(err!(InvalidArgument, "an nkey public key needs a signature callback"));
            }
            (None, Some(_)) => {
                return Err(err!(InvalidArgument, "an nkey signature callback needs the nkey public key"));
            }
            (Some(pk), Some(_)) => check_user_public_key(pk).map_err(|e| err!(InvalidArgument, "{}", e.message))?,
            (None, None) => {}
        }
        // JWT forms
        let forms = [self.creds_file.is_some(), self.jwt_file.is_some(), self.jwt_handler.is_some()].iter().filter(|b| **b).count();
        if forms > 1 {
            return Err(err!(InvalidArgument, "only one of creds file, JWT file (+ seed file) and JWT callback may be configured"));
        }
        if self.seed_file.is_some() && self.jwt_file.is_none() {
            return Err(err!(InvalidArgument, "a seed file needs a JWT file (use a creds file for both in one)"));
        }
        match (&self.jwt_handler, &self.jwt_sign) {
            (Some(_), None) => return Err(err!(InvalidArgument, "a JWT callback needs a signature callback")),
            (None, Some(_)) => return Err(err!(InvalidArgument, "a JWT signature callback needs a JWT callback")),
            _ => {}
        }
        Ok(())
    }

    /// Computes the CONNECT auth fields for one connect attempt.
    ///
    /// `url_user`/`url_pass`/`url_token` come from the server URL and win over the user,
    /// password, token and token handler options for that URL (the handler is not called then).
    /// `nonce` is INFO.nonce. Files are read now; seeds are wiped after signing.
    pub fn fields(
        &self,
        url_user: Option<&str>,
        url_pass: Option<&str>,
        url_token: Option<&str>,
        nonce: Option<&str>,
    ) -> Result<AuthFields> {
        self.validate()?;
        let mut f = AuthFields::default();
        let url_user = non_empty(url_user);
        let url_token = non_empty(url_token);
        if url_user.is_some() || url_token.is_some() {
            match url_user {
                Some(u) => {
                    f.user = Some(u.to_string());
                    f.pass = non_empty(url_pass).map(str::to_string);
                }
                None => f.auth_token = url_token.map(str::to_string),
            }
        } else {
            if let Some(u) = non_empty(self.user.as_deref()) {
                f.user = Some(u.to_string());
                f.pass = non_empty(self.password.as_deref()).map(str::to_string);
            } else if let Some(h) = &self.user_info_handler {
                let (u, p) = h()?;
                let p = Zeroizing::new(p);
                f.user = non_empty(Some(u.as_str())).map(str::to_string);
                f.pass = non_empty(Some(p.as_str())).map(str::to_string);
            }
            if let Some(t) = non_empty(self.token.as_deref()) {
                f.auth_token = Some(t.to_string());
            } else if let Some(h) = &self.token_handler {
                let t = Zeroizing::new(h()?);
                f.auth_token = non_empty(Some(t.as_str())).map(str::to_string);
            }
        }

        if !self.needs_nonce() {
            return Ok(f);
        }
        let nonce = match non_empty(nonce) {
            Some(n) => n,
            None => {
                let what = if self.has_nkey() { "nkey" } else { "user JWT" };
                return Err(err!(
                    Authorization,
                    "{} authentication is configured but the server sent no nonce to sign \
                     (the server does not use nkey/JWT authentication)",
                    what
                ));
            }
        };

        if let Some(path) = &self.nkey_seed_file {
            let seed = Zeroizing::new(read_seed_file(path)?);
            let (public, sig) = sign_with_seed_at(&seed, nonce.as_bytes(), path)?;
            f.nkey = Some(public);
            f.sig = Some(sig);
        } else if let (Some(pk), Some(sign)) = (&self.nkey_public, &self.nkey_sign) {
            f.nkey = Some(pk.clone());
            f.sig = Some(call_signer(sign, nonce, "nkey signature callback")?);
        } else if let Some(path) = &self.creds_file {
            let contents = read_secret_file(path, "creds file")?;
            let text = utf8(&contents, path, "creds file")?;
            let (jwt, seed) = parse_creds(text).map_err(|e| err!(BadCredentials, "creds file {}: {}", path.display(), e.message))?;
            let seed = Zeroizing::new(seed);
            let (_, sig) = sign_with_seed_at(&seed, nonce.as_bytes(), path)?;
            f.jwt = Some(jwt);
            f.sig = Some(sig);
        } else if let Some(jwt_path) = &self.jwt_file {
            let jwt = read_jwt_file(jwt_path)?;
            let seed_path = self.seed_file.as_deref().unwrap_or(jwt_path);
            let seed = Zeroizing::new(read_seed_file(seed_path)?);
            let (_, sig) = sign_with_seed_at(&seed, nonce.as_bytes(), seed_path)?;
            f.jwt = Some(jwt);
            f.sig = Some(sig);
        } else if let (Some(jh), Some(sign)) = (&self.jwt_handler, &self.jwt_sign) {
            let jwt = jh()?;
            let jwt = jwt.trim();
            if jwt.is_empty() {
                return Err(err!(BadCredentials, "the JWT callback returned an empty JWT"));
            }
            f.jwt = Some(jwt.to_string());
            f.sig = Some(call_signer(sign, nonce, "JWT signature callback")?);
        }
        Ok(f)
    }
}

fn non_empty(s: Option<&str>) -> Option<&str> {
    s.filter(|v| !v.is_empty())
}

/// Checks that `pk` is a well-formed user public key.
fn check_user_public_key(pk: &str) -> Result<()> {
    if pk.len() != PUBLIC_KEY_LEN || !pk.starts_with('U') {
        return Err(err!(BadCredentials, "'{}' is not an nkey user public key (expected 56 characters starting with 'U')", pk));
    }
    nkeys::KeyPair::from_public_key(pk).map_err(|e| err!(BadCredentials, "invalid nkey public key '{}': {}", pk, e))?;
    Ok(())
}

/// Calls a signature callback and encodes its result.
fn call_signer(sign: &SignatureHandler, nonce: &str, what: &str) -> Result<String> {
    let raw = Zeroizing::new(sign(nonce.as_bytes())?);
    if raw.len() != SIGNATURE_LEN {
        return Err(err!(BadCredentials, "the {} returned {} bytes; a raw ed25519 signature has {}", what, raw.len(), SIGNATURE_LEN));
    }
    Ok(data_encoding::BASE64URL_NOPAD.encode(&raw))
}

/// Signs with a seed read from `path`; errors name the file. Returns (public key, signature).
fn sign_with_seed_at(seed: &str, nonce: &[u8], path: &Path) -> Result<(String, String)> {
    let kp = user_key_pair(seed).map_err(|e| err!(BadCredentials, "{}: {}", path.display(), e.message))?;
    let sig = sign_raw(&kp, nonce)?;
    Ok((kp.public_key(), sig))
}

/// Decodes a user seed into a key pair (BadCredentials if malformed or not a user seed).
fn user_key_pair(seed: &str) -> Result<nkeys::KeyPair> {
    let seed = seed.trim();
    if seed.len() != SEED_LEN || !seed.starts_with('S') {
        return Err(err!(
            BadCredentials,
            "invalid nkey seed: expected {} characters starting with 'S', got {} characters",
            SEED_LEN,
            seed.len()
        ));
    }
    let kp = nkeys::KeyPair::from_seed(seed).map_err(|e| err!(BadCredentials, "invalid nkey seed: {}", e))?;
    if !matches!(kp.key_pair_type(), nkeys::KeyPairType::User) {
        return Err(err!(
            BadCredentials,
            "the nkey seed is not a user seed (seed type: {}; user seeds start with \"SU\")",
            format!("{:?}", kp.key_pair_type()).to_lowercase()
        ));
    }
    Ok(kp)
}

fn sign_raw(kp: &nkeys::KeyPair, nonce: &[u8]) -> Result<String> {
    let sig = kp.sign(nonce).map_err(|e| err!(BadCredentials, "cannot sign the nonce: {}", e))?;
    Ok(data_encoding::BASE64URL_NOPAD.encode(&sig))
}

/// Signs `nonce` with a user seed; returns the signature as base64url without padding.
/// A malformed seed, a bad checksum or a non-user seed gives `BadCredentials`.
pub fn sign_nonce_with_seed(seed: &str, nonce: &[u8]) -> Result<String> {
    let kp = user_key_pair(seed)?;
    sign_raw(&kp, nonce)
}

/// The public key of a user seed (BadCredentials if the seed is not a valid user seed).
pub fn public_key_from_seed(seed: &str) -> Result<String> {
    Ok(user_key_pair(seed)?.public_key())
}

/// Reads a whole file (a small regular file, see [`crate::files`]) into a buffer that is
/// wiped when dropped. Errors are `BadCredentials`.
fn read_secret_file(path: &Path, what: &str) -> Result<Zeroizing<Vec<u8>>> {
    crate::files::read_small_file(path, what, Status::BadCredentials)
}

fn utf8<'a>(bytes: &'a [u8], path: &Path, what: &str) -> Result<&'a str> {
    std::str::from_utf8(bytes).map_err(|_| err!(BadCredentials, "{} {} is not valid UTF-8 text", what, path.display()))
}

/// A marker line: at least three dashes at the start and at the end (`-----BEGIN ... -----`).
fn is_marker(line: &str) -> bool {
    line.len() >= 6 && line.starts_with("---") && line.ends_with("---")
}

/// The contents of the decorated blocks (`---marker---` / value / `---marker---`) in order.
/// Returns None if the text has no marker line at all (i.e. is not decorated).
fn decorated_blocks(contents: &str) -> Result<Option<Vec<&str>>> {
    let lines: Vec<&str> = contents.lines().map(str::trim).collect();
    if !lines.iter().any(|l| is_marker(l)) {
        return Ok(None);
    }
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if !is_marker(lines[i]) {
            i += 1;
            continue;
        }
        // Opening marker: the value is the next non-blank line, then a closing marker.
        let mut j = i + 1;
        while j < lines.len() && lines[j].is_empty() {
            j += 1;
        }
        if j >= lines.len() {
            return Err(err!(BadCredentials, "marker line '{}' is not followed by a value", lines[i]));
        }
        if is_marker(lines[j]) {
            return Err(err!(BadCredentials, "empty block after marker line '{}'", lines[i]));
        }
        let value = lines[j];
        if !value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'=')) {
            return Err(err!(BadCredentials, "the block after marker line '{}' does not hold a JWT or a seed", lines[i]));
        }
        let mut k = j + 1;
        while k < lines.len() && lines[k].is_empty() {
            k += 1;
        }
        if k >= lines.len() || !is_marker(lines[k]) {
            return Err(err!(BadCredentials, "the block after marker line '{}' has no closing marker line", lines[i]));
        }
        blocks.push(value);
        i = k + 1;
    }
    Ok(Some(blocks))
}

fn looks_like_jwt(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 3 && parts.iter().all(|p| !p.is_empty())
}

/// Parses a decorated creds file: the first block is the user JWT, the second the user seed.
/// Delimiter lines are recognised by three or more dashes at both ends. Errors are `BadCredentials`.
pub fn parse_creds(contents: &str) -> Result<(String, String)> {
    let blocks = match decorated_blocks(contents)? {
        Some(b) => b,
        None => return Err(err!(BadCredentials, "not a credentials file: no '-----BEGIN NATS USER JWT-----' style marker lines found")),
    };
    let jwt = match blocks.first() {
        Some(j) => *j,
        None => return Err(err!(BadCredentials, "no user JWT found")),
    };
    if !looks_like_jwt(jwt) {
        return Err(err!(BadCredentials, "the first block is not a JWT (expected header.payload.signature)"));
    }
    let seed = match blocks.get(1) {
        Some(s) => *s,
        None => return Err(err!(BadCredentials, "no user nkey seed found (expected a second block after the JWT)")),
    };
    if !seed.starts_with('S') {
        return Err(err!(BadCredentials, "the second block is not an nkey seed (seeds start with 'S')"));
    }
    Ok((jwt.to_string(), seed.to_string()))
}

/// True for a line that is a comment in a seed file.
fn is_comment(line: &str) -> bool {
    line.starts_with('#') || line.starts_with("//")
}

/// Reads a user seed from a file. Blank lines and comment lines (`#` or `//`) are ignored; the file
/// may also be a decorated creds file (then the seed block is used). Errors are `BadCredentials`
/// naming the file. The file contents are wiped from memory after parsing.
pub fn read_seed_file(path: &Path) -> Result<String> {
    let contents = read_secret_file(path, "seed file")?;
    let text = utf8(&contents, path, "seed file")?;
    let bad = |msg: String| err!(BadCredentials, "seed file {}: {}", path.display(), msg);
    if let Some(blocks) = decorated_blocks(text).map_err(|e| bad(e.message))? {
        return match blocks.iter().find(|b| b.starts_with('S')) {
            Some(s) => Ok(s.to_string()),
            None => Err(bad("no nkey seed block found".to_string())),
        };
    }
    let mut found: Option<&str> = None;
    for line in text.lines().map(str::trim) {
        if line.is_empty() || is_comment(line) {
            continue;
        }
        if found.is_some() {
            return Err(bad("more than one non-comment line; expected only the seed".to_string()));
        }
        found = Some(line);
    }
    match found {
        Some(s) if s.starts_with('S') => Ok(s.to_string()),
        Some(_) => Err(bad("the content is not an nkey seed (seeds start with 'S')".to_string())),
        None => Err(bad("no nkey seed found (only blank or comment lines)".to_string())),
    }
}

/// Reads a user JWT from a file holding either the bare JWT (comments and blank lines allowed) or
/// a decorated creds/JWT file (first block).
fn read_jwt_file(path: &Path) -> Result<String> {
    let contents = read_secret_file(path, "JWT file")?;
    let text = utf8(&contents, path, "JWT file")?;
    let bad = |msg: String| err!(BadCredentials, "JWT file {}: {}", path.display(), msg);
    let jwt = match decorated_blocks(text).map_err(|e| bad(e.message))? {
        Some(blocks) => blocks.first().copied().unwrap_or(""),
        None => text.lines().map(str::trim).find(|l| !l.is_empty() && !is_comment(l)).unwrap_or(""),
    };
    if jwt.is_empty() {
        return Err(bad("no JWT found".to_string()));
    }
    if !looks_like_jwt(jwt) {
        return Err(bad("the content is not a JWT (expected header.payload.signature)".to_string()));
    }
    Ok(jwt.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Status;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const JWT: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJzdWIiOiJVQUJDIn0.c2lnbmF0dXJl";

    fn user_seed() -> (String, String) {
        let kp = nkeys::KeyPair::new_user();
        (kp.seed().unwrap(), kp.public_key())
    }

    fn creds(jwt: &str, seed: &str) -> String {
        format!(
            "-----BEGIN NATS USER JWT-----\n{jwt}\n------END NATS USER JWT------\n\n\
             ************************* IMPORTANT *************************\n\
             NKEY Seed printed below can be used to sign and prove identity.\n\
             NKEYs are sensitive and should be treated as secrets.\n\n\
             -----BEGIN USER NKEY SEED-----\n{seed}\n------END USER NKEY SEED------\n\n\
             *************************************************************\n"
        )
    }

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn verify(public: &str, nonce: &[u8], sig_b64: &str) {
        let sig = data_encoding::BASE64URL_NOPAD.decode(sig_b64.as_bytes()).expect("base64url without padding");
        assert_eq!(sig.len(), 64);
        nkeys::KeyPair::from_public_key(public).unwrap().verify(nonce, &sig).expect("signature verifies");
    }

    #[test]
    fn creds_valid() {
        let (seed, _) = user_seed();
        let (j, s) = parse_creds(&creds(JWT, &seed)).unwrap();
        assert_eq!(j, JWT);
        assert_eq!(s, seed);
    }

    #[test]
    fn creds_crlf_and_indent_and_short_markers() {
        let (seed, _) = user_seed();
        let text = creds(JWT, &seed).replace('\n', "\r\n");
        let (j, s) = parse_creds(&text).unwrap();
        assert_eq!((j.as_str(), s.as_str()), (JWT, seed.as_str()));
        let text = format!("  --- jwt ---  \n  {JWT}  \n------\n\n--- seed ---\n{seed}\n--- end ---");
        let (j, s) = parse_creds(&text).unwrap();
        assert_eq!((j.as_str(), s.as_str()), (JWT, seed.as_str()));
    }

    #[test]
    fn creds_with_comments_between_blocks() {
        let (seed, _) = user_seed();
        let text = format!(
            "# my creds\n// another comment\n-----BEGIN NATS USER JWT-----\n{JWT}\n------END NATS USER JWT------\n\
             some prose here\n-----BEGIN USER NKEY SEED-----\n{seed}\n------END USER NKEY SEED------\n"
        );
        assert_eq!(parse_creds(&text).unwrap().1, seed);
    }

    #[test]
    fn creds_missing_seed() {
        let text = format!("-----BEGIN NATS USER JWT-----\n{JWT}\n------END NATS USER JWT------\n");
        let e = parse_creds(&text).unwrap_err();
        assert_eq!(e.status, Status::BadCredentials);
        assert!(e.message.contains("seed"), "{}", e.message);
    }

    #[test]
    fn creds_garbage() {
        for text in [
            "",
            "hello world",
            "-----BEGIN NATS USER JWT-----\n",
            "-----BEGIN NATS USER JWT-----\nnot a jwt with spaces\n-----END-----\n",
            "-----BEGIN NATS USER JWT-----\nabc\n-----END-----\n-----SEED-----\nSUXX\n-----END-----\n",
            "-----BEGIN NATS USER JWT-----\na.b.c\n",
            "-----A-----\n-----B-----\n",
        ] {
            let e = parse_creds(text).unwrap_err();
            assert_eq!(e.status, Status::BadCredentials, "{text:?}");
            assert!(!e.message.is_empty());
        }
        // Seed block that is not a seed.
        let text = format!("---a---\n{JWT}\n---b---\n---c---\n{JWT}\n---d---\n");
        assert_eq!(parse_creds(&text).unwrap_err().status, Status::BadCredentials);
    }

    #[test]
    fn seed_file_with_comments_and_blank_lines() {
        let dir = tempfile::tempdir().unwrap();
        let (seed, public) = user_seed();
        let p = write(&dir, "user.nk", &format!("# user seed\n\n// generated by nsc\r\n  {seed}  \r\n\n# end\n"));
        let s = read_seed_file(&p).unwrap();
        assert_eq!(s, seed);
        assert_eq!(public_key_from_seed(&s).unwrap(), public);
    }

    #[test]
    fn seed_file_may_be_creds_file() {
        let dir = tempfile::tempdir().unwrap();
        let (seed, _) = user_seed();
        let p = write(&dir, "user.creds", &creds(JWT, &seed));
        assert_eq!(read_seed_file(&p).unwrap(), seed);
    }

    #[test]
    fn seed_file_errors() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.nk");
        let e = read_seed_file(&missing).unwrap_err();
        assert_eq!(e.status, Status::BadCredentials);
        assert!(e.message.contains("nope.nk"), "{}", e.message);
        let p = write(&dir, "empty.nk", "# only a comment\n\n");
        let e = read_seed_file(&p).unwrap_err();
        assert_eq!(e.status, Status::BadCredentials);
        assert!(e.message.contains("empty.nk") && e.message.contains("no nkey seed"), "{}", e.message);
        let p = write(&dir, "two.nk", "SUAAA\nSUBBB\n");
        assert_eq!(read_seed_file(&p).unwrap_err().status, Status::BadCredentials);
        let p = write(&dir, "notseed.nk", "UABC\n");
        assert_eq!(read_seed_file(&p).unwrap_err().status, Status::BadCredentials);
        let p = dir.path().join("bin.nk");
        std::fs::write(&p, [0xffu8, 0xfe, 0x00]).unwrap();
        assert_eq!(read_seed_file(&p).unwrap_err().status, Status::BadCredentials);
    }

    #[test]
    fn signing_verifies_with_nkeys_and_is_base64url_nopad() {
        let (seed, public) = user_seed();
        for nonce in [&b"abc"[..], b"", b"a-longer_nonce/with+odd=chars", &[0xffu8; 100]] {
            let sig = sign_nonce_with_seed(&seed, nonce).unwrap();
            assert_eq!(sig.len(), 86, "64 bytes -> 86 base64 chars without padding");
            assert!(!sig.contains('=') && !sig.contains('+') && !sig.contains('/'), "{sig}");
            verify(&public, nonce, &sig);
        }
        // Deterministic (ed25519).
        assert_eq!(sign_nonce_with_seed(&seed, b"n").unwrap(), sign_nonce_with_seed(&seed, b"n").unwrap());
    }

    #[test]
    fn wrong_seeds_are_bad_credentials() {
        let (seed, _) = user_seed();
        // Bad checksum: change one character in the middle.
        let mut chars: Vec<char> = seed.chars().collect();
        chars[30] = if chars[30] == 'A' { 'B' } else { 'A' };
        let broken: String = chars.into_iter().collect();
        let account = nkeys::KeyPair::new_account().seed().unwrap();
        for (s, needle) in [
            (broken.as_str(), "invalid nkey seed"),
            ("SUABC", "58 characters"),
            ("", "58 characters"),
            (account.as_str(), "not a user seed"),
            (&JWT[..58], "58 characters"),
        ] {
            let e = sign_nonce_with_seed(s, b"nonce").unwrap_err();
            assert_eq!(e.status, Status::BadCredentials, "{s}");
            assert!(e.message.contains(needle), "{s}: {}", e.message);
        }
    }

    #[test]
    fn fields_url_credentials_win() {
        let called = Arc::new(AtomicUsize::new(0));
        let c2 = called.clone();
        let o = AuthOptions {
            user: Some("optuser".into()),
            password: Some("optpass".into()),
            token_handler: Some(Arc::new(move || {
                c2.fetch_add(1, Ordering::SeqCst);
                Ok("handlertoken".into())
            })),
            ..Default::default()
        };
        let f = o.fields(Some("urluser"), Some("urlpass"), None, None).unwrap();
        assert_eq!(f, AuthFields { user: Some("urluser".into()), pass: Some("urlpass".into()), ..Default::default() });
        let f = o.fields(None, None, Some("urltoken"), None).unwrap();
        assert_eq!(f, AuthFields { auth_token: Some("urltoken".into()), ..Default::default() });
        assert_eq!(called.load(Ordering::SeqCst), 0, "handler not called when the URL has credentials");
        // Options used otherwise (both user/pass and the handler's token).
        let f = o.fields(None, None, None, None).unwrap();
        assert_eq!(
            f,
            AuthFields {
                user: Some("optuser".into()),
                pass: Some("optpass".into()),
                auth_token: Some("handlertoken".into()),
                ..Default::default()
            }
        );
        // Empty URL parts count as absent.
        let f = o.fields(Some(""), Some(""), Some(""), None).unwrap();
        assert_eq!(f.user.as_deref(), Some("optuser"));
        assert_eq!(called.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn fields_token_and_handler_per_call() {
        let o = AuthOptions { token: Some("s3cret".into()), ..Default::default() };
        assert_eq!(o.fields(None, None, None, Some("nonce")).unwrap().auth_token.as_deref(), Some("s3cret"));
        assert_eq!(o.fields(None, None, None, None).unwrap(), AuthFields { auth_token: Some("s3cret".into()), ..Default::default() });

        let n = Arc::new(AtomicUsize::new(0));
        let n2 = n.clone();
        let o = AuthOptions {
            token_handler: Some(Arc::new(move || Ok(format!("tok{}", n2.fetch_add(1, Ordering::SeqCst))))),
            ..Default::default()
        };
        assert_eq!(o.fields(None, None, None, None).unwrap().auth_token.as_deref(), Some("tok0"));
        assert_eq!(o.fields(None, None, None, None).unwrap().auth_token.as_deref(), Some("tok1"));
        let o = AuthOptions { token_handler: Some(Arc::new(|| Err(err!(Authorization, "no token today")))), ..Default::default() };
        assert_eq!(o.fields(None, None, None, None).unwrap_err().message, "no token today");
        // No auth at all.
        assert_eq!(AuthOptions::default().fields(None, None, None, Some("n")).unwrap(), AuthFields::default());
    }

    #[test]
    fn fields_user_info_handler_per_call() {
        let n = Arc::new(AtomicUsize::new(0));
        let n2 = n.clone();
        let o = AuthOptions {
            user_info_handler: Some(Arc::new(move || {
                let i = n2.fetch_add(1, Ordering::SeqCst);
                Ok((format!("u{i}"), format!("p{i}")))
            })),
            ..Default::default()
        };
        let f = o.fields(None, None, None, None).unwrap();
        assert_eq!((f.user.as_deref(), f.pass.as_deref()), (Some("u0"), Some("p0")));
        let f = o.fields(None, None, None, None).unwrap();
        assert_eq!((f.user.as_deref(), f.pass.as_deref()), (Some("u1"), Some("p1")));
        // URL credentials win; the handler is not called then.
        let f = o.fields(Some("urluser"), Some("urlpass"), None, None).unwrap();
        assert_eq!(f.user.as_deref(), Some("urluser"));
        assert_eq!(n.load(Ordering::SeqCst), 2);
        // Its error fails the attempt; a user option beside it is a configuration error.
        let o = AuthOptions { user_info_handler: Some(Arc::new(|| Err(err!(Authorization, "nobody")))), ..Default::default() };
        assert_eq!(o.fields(None, None, None, None).unwrap_err().message, "nobody");
        let o = AuthOptions { user: Some("x".into()), ..o };
        assert_eq!(o.fields(None, None, None, None).unwrap_err().status, Status::InvalidArgument);
    }

    #[test]
    fn fields_nkey_seed_file() {
        let dir = tempfile::tempdir().unwrap();
        let (seed, public) = user_seed();
        let p = write(&dir, "u.nk", &format!("# comment\n{seed}\n"));
        let o = AuthOptions { nkey_seed_file: Some(p.clone()), ..Default::default() };
        let f = o.fields(None, None, None, Some("NONCE123")).unwrap();
        assert_eq!(f.nkey.as_deref(), Some(public.as_str()));
        assert!(f.jwt.is_none() && f.user.is_none() && f.auth_token.is_none());
        verify(&public, b"NONCE123", f.sig.as_deref().unwrap());
        // No nonce => clear error.
        let e = o.fields(None, None, None, None).unwrap_err();
        assert_eq!(e.status, Status::Authorization);
        assert!(e.message.contains("nonce"), "{}", e.message);
        // File re-read on every call: removing it fails the next attempt.
        std::fs::remove_file(&p).unwrap();
        let e = o.fields(None, None, None, Some("n")).unwrap_err();
        assert_eq!(e.status, Status::BadCredentials);
        assert!(e.message.contains("u.nk"));
    }

    #[test]
    fn fields_nkey_callback() {
        let kp = Arc::new(nkeys::KeyPair::new_user());
        let k2 = kp.clone();
        let o = AuthOptions {
            nkey_public: Some(kp.public_key()),
            nkey_sign: Some(Arc::new(move |n: &[u8]| Ok(k2.sign(n).unwrap()))),
            ..Default::default()
        };
        let f = o.fields(None, None, None, Some("xyz")).unwrap();
        assert_eq!(f.nkey.as_deref(), Some(kp.public_key().as_str()));
        verify(&kp.public_key(), b"xyz", f.sig.as_deref().unwrap());
        // A callback returning the wrong length is rejected.
        let o = AuthOptions {
            nkey_public: Some(kp.public_key()),
            nkey_sign: Some(Arc::new(|_: &[u8]| Ok(vec![1, 2, 3]))),
            ..Default::default()
        };
        assert_eq!(o.fields(None, None, None, Some("xyz")).unwrap_err().status, Status::BadCredentials);
    }

    #[test]
    fn fields_creds_file_and_two_files() {
        let dir = tempfile::tempdir().unwrap();
        let (seed, public) = user_seed();
        let cp = write(&dir, "u.creds", &creds(JWT, &seed));
        let o = AuthOptions { creds_file: Some(cp.clone()), ..Default::default() };
        let f = o.fields(Some("ignored"), Some("x"), None, Some("nonce-1")).unwrap();
        assert_eq!(f.jwt.as_deref(), Some(JWT));
        assert!(f.nkey.is_none(), "JWT auth sends no nkey");
        verify(&public, b"nonce-1", f.sig.as_deref().unwrap());
        // Rotated creds are picked up on the next call.
        let (seed2, public2) = user_seed();
        write(&dir, "u.creds", &creds(JWT, &seed2));
        let f = o.fields(None, None, None, Some("nonce-2")).unwrap();
        verify(&public2, b"nonce-2", f.sig.as_deref().unwrap());
        // Missing / malformed creds => BadCredentials naming the file.
        let bad = write(&dir, "bad.creds", "garbage\n");
        let e = AuthOptions { creds_file: Some(bad), ..Default::default() }.fields(None, None, None, Some("n")).unwrap_err();
        assert_eq!(e.status, Status::BadCredentials);
        assert!(e.message.contains("bad.creds"), "{}", e.message);
        let e = AuthOptions { creds_file: Some(dir.path().join("missing.creds")), ..Default::default() }
            .fields(None, None, None, Some("n"))
            .unwrap_err();
        assert_eq!(e.status, Status::BadCredentials);
        assert!(e.message.contains("missing.creds"), "{}", e.message);
        // Creds with a non-user seed.
        let acc = nkeys::KeyPair::new_account().seed().unwrap();
        let ap = write(&dir, "acc.creds", &creds(JWT, &acc));
        let e = AuthOptions { creds_file: Some(ap), ..Default::default() }.fields(None, None, None, Some("n")).unwrap_err();
        assert_eq!(e.status, Status::BadCredentials);
        assert!(e.message.contains("acc.creds") && e.message.contains("not a user seed"), "{}", e.message);

        // Two-file form.
        let jp = write(&dir, "u.jwt", &format!("# the jwt\n{JWT}\n"));
        let sp = write(&dir, "u.nk", &format!("// seed\n{seed}\n"));
        let o = AuthOptions { jwt_file: Some(jp.clone()), seed_file: Some(sp), ..Default::default() };
        let f = o.fields(None, None, None, Some("abc")).unwrap();
        assert_eq!(f.jwt.as_deref(), Some(JWT));
        verify(&public, b"abc", f.sig.as_deref().unwrap());
        // JWT file alone that is a creds file holding both.
        let o = AuthOptions { jwt_file: Some(cp), ..Default::default() };
        let f = o.fields(None, None, None, Some("abc")).unwrap();
        verify(&public2, b"abc", f.sig.as_deref().unwrap());
        // JWT file alone without a seed.
        let o = AuthOptions { jwt_file: Some(jp), ..Default::default() };
        assert_eq!(o.fields(None, None, None, Some("abc")).unwrap_err().status, Status::BadCredentials);
        let np = write(&dir, "notjwt", "hello\n");
        let o = AuthOptions { jwt_file: Some(np), seed_file: Some(dir.path().join("u.nk")), ..Default::default() };
        assert_eq!(o.fields(None, None, None, Some("abc")).unwrap_err().status, Status::BadCredentials);
    }

    #[test]
    fn fields_jwt_callbacks() {
        let kp = Arc::new(nkeys::KeyPair::new_user());
        let k2 = kp.clone();
        let calls = Arc::new(AtomicUsize::new(0));
        let c2 = calls.clone();
        let o = AuthOptions {
            jwt_handler: Some(Arc::new(move || {
                c2.fetch_add(1, Ordering::SeqCst);
                Ok(JWT.to_string())
            })),
            jwt_sign: Some(Arc::new(move |n: &[u8]| Ok(k2.sign(n).unwrap()))),
            ..Default::default()
        };
        let f = o.fields(None, None, None, Some("non")).unwrap();
        assert_eq!(f.jwt.as_deref(), Some(JWT));
        assert!(f.nkey.is_none());
        verify(&kp.public_key(), b"non", f.sig.as_deref().unwrap());
        o.fields(None, None, None, Some("non")).unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        let e = o.fields(None, None, None, None).unwrap_err();
        assert_eq!(e.status, Status::Authorization);
        assert!(e.message.contains("JWT") && e.message.contains("nonce"), "{}", e.message);
        // Errors from the callbacks propagate.
        let o = AuthOptions {
            jwt_handler: Some(Arc::new(|| Err(err!(BadCredentials, "vault down")))),
            jwt_sign: Some(Arc::new(|_: &[u8]| Ok(vec![0; 64]))),
            ..Default::default()
        };
        assert_eq!(o.fields(None, None, None, Some("n")).unwrap_err().message, "vault down");
    }

    #[test]
    fn validate_combinations() {
        let p = || Some(PathBuf::from("/x"));
        let sign: Option<SignatureHandler> = Some(Arc::new(|_: &[u8]| Ok(vec![0; 64])));
        let jwt: Option<JwtHandler> = Some(Arc::new(|| Ok(JWT.into())));
        let upk = nkeys::KeyPair::new_user().public_key();
        let ok = [
            AuthOptions::default(),
            AuthOptions { user: Some("a".into()), password: Some("b".into()), token: Some("t".into()), ..Default::default() },
            AuthOptions { nkey_seed_file: p(), ..Default::default() },
            AuthOptions { nkey_public: Some(upk.clone()), nkey_sign: sign.clone(), ..Default::default() },
            AuthOptions { creds_file: p(), ..Default::default() },
            AuthOptions { jwt_file: p(), seed_file: p(), ..Default::default() },
            AuthOptions { jwt_file: p(), ..Default::default() },
            AuthOptions { jwt_handler: jwt.clone(), jwt_sign: sign.clone(), user: Some("u".into()), ..Default::default() },
        ];
        for (i, o) in ok.iter().enumerate() {
            assert!(o.validate().is_ok(), "case {i}: {:?}", o.validate());
        }
        let th: Option<TokenHandler> = Some(Arc::new(|| Ok("t".into())));
        let bad = [
            AuthOptions { token: Some("t".into()), token_handler: th, ..Default::default() },
            AuthOptions { nkey_seed_file: p(), creds_file: p(), ..Default::default() },
            AuthOptions {
                nkey_public: Some(upk.clone()),
                nkey_sign: sign.clone(),
                jwt_handler: jwt.clone(),
                jwt_sign: sign.clone(),
                ..Default::default()
            },
            AuthOptions { nkey_seed_file: p(), nkey_public: Some(upk.clone()), nkey_sign: sign.clone(), ..Default::default() },
            AuthOptions { nkey_public: Some(upk.clone()), ..Default::default() },
            AuthOptions { nkey_sign: sign.clone(), ..Default::default() },
            AuthOptions { nkey_public: Some("UBAD".into()), nkey_sign: sign.clone(), ..Default::default() },
            AuthOptions { nkey_public: Some(nkeys::KeyPair::new_account().public_key()), nkey_sign: sign.clone(), ..Default::default() },
            AuthOptions { creds_file: p(), jwt_file: p(), ..Default::default() },
            AuthOptions { creds_file: p(), jwt_handler: jwt.clone(), jwt_sign: sign.clone(), ..Default::default() },
            AuthOptions { seed_file: p(), ..Default::default() },
            AuthOptions { jwt_handler: jwt.clone(), ..Default::default() },
            AuthOptions { jwt_sign: sign.clone(), ..Default::default() },
        ];
        for (i, o) in bad.iter().enumerate() {
            let e = o.validate().unwrap_err();
            assert_eq!(e.status, Status::InvalidArgument, "case {i}");
            // fields() validates too.
            assert_eq!(o.fields(None, None, None, Some("n")).unwrap_err().status, Status::InvalidArgument, "case {i}");
        }
    }

    #[test]
    fn debug_redacts_secrets() {
        let f = AuthFields { user: Some("bob".into()), pass: Some("hunter2".into()), auth_token: Some("tok".into()), ..Default::default() };
        let s = format!("{f:?}");
        assert!(s.contains("bob") && !s.contains("hunter2") && !s.contains("tok\""), "{s}");
        let o = AuthOptions { password: Some("hunter2".into()), token: Some("tok42".into()), ..Default::default() };
        let s = format!("{o:?}");
        assert!(!s.contains("hunter2") && !s.contains("tok42"), "{s}");
    }
}
