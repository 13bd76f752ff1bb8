//! C callbacks of a connection: who owns their userdata, and how the core's callbacks reach C.
//!
//! Rule: `userdata_free` runs exactly once, on a thread of the caller (inside
//! `natsrs_options_free`, `natsrs_connection_free`, a failed connect, or a `set_*_handler`
//! call that replaces it), never on a library I/O thread, and never while a callback with that
//! userdata may still run.
//!
//! - `natsrs_options` holds one [`Reg`] per callback slot: the C function and an
//!   `Arc<UserData>` (replacing a slot drops the old reference).
//! - At connect, the connection's [`ConnCtx`] takes a clone of every userdata `Arc`, and the
//!   closures given to the core capture only the C function, the raw userdata pointer and an
//!   `Arc<ConnCtx>`: whatever thread the core drops its closures on, no userdata goes with them.
//! - Every call into C runs under the context's read lock, and only while the handle is alive.
//!   `natsrs_connection_free` closes the connection (after which no event callback runs), then
//!   takes the write lock (waiting for a callback still running on another thread, e.g. an auth
//!   handler), drops the userdata references and frees the handle. So userdata is released when
//!   both the options and every connection made from them are freed.

use std::cell::Cell;
use std::collections::HashMap;
use std::ffi::{c_char, c_void, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use parking_lot::{Mutex, RwLock};

use super::boundary::error_to_cstring;
use super::connection::natsrs_connection;
use super::security::natsrs_cert_der;
use super::status::natsrs_status;
use super::subscription::natsrs_subscription;
use crate::connection::{Connection, Subscription};
use crate::error::{err, Error, Result};
use crate::options::Options;

/// Event callback without extra data (closed, reconnected, connected, discovered, lame duck).
pub(crate) type ConnFn = unsafe extern "C" fn(*mut c_void, *mut natsrs_connection);
/// Disconnected callback.
pub(crate) type DisconnectedFn = unsafe extern "C" fn(*mut c_void, *mut natsrs_connection, natsrs_status, *const c_char);
/// Asynchronous error callback.
pub(crate) type ErrorFn = unsafe extern "C" fn(*mut c_void, *mut natsrs_connection, *mut natsrs_subscription, natsrs_status, *const c_char);
/// Reconnect delay callback.
pub(crate) type DelayFn = unsafe extern "C" fn(*mut c_void, *mut natsrs_connection, u64) -> i64;
/// Reconnect-to-server callback: (urls, reconnect counts, count, delay out) -> index.
pub(crate) type ToServerFn =
    unsafe extern "C" fn(*mut c_void, *mut natsrs_connection, *const *const c_char, *const u64, usize, *mut i64) -> i64;
/// Token / JWT callback.
pub(crate) type StringFn = unsafe extern "C" fn(*mut c_void) -> *const c_char;
/// Nonce signing callback; returns a natsrs_status value as a fixed-width integer.
pub(crate) type SignFn = unsafe extern "C" fn(*mut c_void, *const u8, usize, *mut u8) -> i32;
/// User info callback: writes borrowed user and password pointers; returns a natsrs_status value.
pub(crate) type UserInfoFn = unsafe extern "C" fn(*mut c_void, *mut *const c_char, *mut *const c_char) -> i32;
/// TLS chain verification callback; returns a natsrs_status value.
pub(crate) type TlsVerifyFn = unsafe extern "C" fn(*mut c_void, *const natsrs_cert_der, usize, *const c_char) -> i32;

/// Frees callback userdata exactly once, when dropped.
pub(crate) struct UserData {
    pub ptr: *mut c_void,
    pub free: Option<unsafe extern "C" fn(*mut c_void)>,
}
// SAFETY: the C API documents that userdata is handed to callbacks on library threads and
// released on a thread of the library's choosing; the pointer itself is never dereferenced here.
unsafe impl Send for UserData {}
// SAFETY: as above; `UserData` has no interior mutability.
unsafe impl Sync for UserData {}

impl Drop for UserData {
    fn drop(&mut self) {
        if let Some(f) = self.free.take() {
            let p = self.ptr;
            // SAFETY: the caller registered this function for this pointer; it runs once.
            let _ = catch_unwind(AssertUnwindSafe(|| unsafe { f(p) }));
        }
    }
}

/// A userdata pointer without ownership, as captured by the closures given to the core.
#[derive(Clone, Copy)]
pub(crate) struct UdPtr(pub *mut c_void);

impl UdPtr {
    /// The pointer (a method, so that closures capture the whole `Send` wrapper).
    pub(crate) fn get(self) -> *mut c_void {
        self.0
    }
}
// SAFETY: see `UserData`: C promised the pointer may be used from library threads.
unsafe impl Send for UdPtr {}
// SAFETY: as above.
unsafe impl Sync for UdPtr {}

/// One registered callback: the C function and the userdata it owns.
pub(crate) struct Reg<F> {
    pub f: F,
    pub ud: Arc<UserData>,
}

impl<F: Copy> Clone for Reg<F> {
    fn clone(&self) -> Self {
        Reg { f: self.f, ud: self.ud.clone() }
    }
}

impl<F: Copy> Reg<F> {
    /// `None` when `f` is NULL: then the userdata is released at once (the handler is removed).
    pub(crate) fn new(f: Option<F>, ptr: *mut c_void, free: Option<unsafe extern "C" fn(*mut c_void)>) -> Option<Reg<F>> {
        let ud = Arc::new(UserData { ptr, free });
        f.map(|f| Reg { f, ud })
    }
    fn ptr(&self) -> UdPtr {
        UdPtr(self.ud.ptr)
    }
}

/// The callbacks registered in a `natsrs_options`.
#[derive(Clone, Default)]
pub(crate) struct Registrations {
    pub closed: Option<Reg<ConnFn>>,
    pub connected: Option<Reg<ConnFn>>,
    pub reconnected: Option<Reg<ConnFn>>,
    pub discovered_servers: Option<Reg<ConnFn>>,
    pub lame_duck: Option<Reg<ConnFn>>,
    pub disconnected: Option<Reg<DisconnectedFn>>,
    pub error: Option<Reg<ErrorFn>>,
    pub reconnect_delay: Option<Reg<DelayFn>>,
    /// Failed reconnect attempts (same shape as the disconnected callback).
    pub reconnect_error: Option<Reg<DisconnectedFn>>,
    pub reconnect_to_server: Option<Reg<ToServerFn>>,
    pub token: Option<Reg<StringFn>>,
    pub user_info: Option<Reg<UserInfoFn>>,
    pub tls_verify: Option<Reg<TlsVerifyFn>>,
    /// The user's public nkey and the signing callback.
    pub nkey: Option<(String, Reg<SignFn>)>,
    /// JWT callback and signing callback (one userdata for both).
    pub jwt: Option<(Reg<StringFn>, SignFn)>,
}

thread_local! {
    /// The connection context whose callback is running on this thread (null if none).
    static IN_CALLBACK: Cell<*const ConnCtx> = const { Cell::new(std::ptr::null()) };
}

/// Per-connection state shared by the C handle and the closures given to the core.
pub(crate) struct ConnCtx {
    /// The C handle (set before connect; cleared when it is freed).
    nc: AtomicPtr<natsrs_connection>,
    /// The userdata references this connection holds; None once the handle is freed.
    userdata: RwLock<Option<Vec<Arc<UserData>>>>,
    /// A handle freed from inside one of its own callbacks: released when that callback returns.
    deferred: Mutex<Option<Arc<natsrs_connection>>>,
    /// Live subscription handles by sid, to pass the handle to the error callback.
    subs: Mutex<HashMap<u64, Weak<natsrs_subscription>>>,
}

impl ConnCtx {
    pub(crate) fn new(regs: Option<&Registrations>) -> ConnCtx {
        let mut ud = Vec::new();
        if let Some(r) = regs {
            let conn = [&r.closed, &r.connected, &r.reconnected, &r.discovered_servers, &r.lame_duck];
            ud.extend(conn.into_iter().flatten().map(|g| g.ud.clone()));
            ud.extend(r.disconnected.iter().map(|g| g.ud.clone()));
            ud.extend(r.error.iter().map(|g| g.ud.clone()));
            ud.extend(r.reconnect_delay.iter().map(|g| g.ud.clone()));
            ud.extend(r.reconnect_error.iter().map(|g| g.ud.clone()));
            ud.extend(r.reconnect_to_server.iter().map(|g| g.ud.clone()));
            ud.extend(r.token.iter().map(|g| g.ud.clone()));
            ud.extend(r.user_info.iter().map(|g| g.ud.clone()));
            ud.extend(r.tls_verify.iter().map(|g| g.ud.clone()));
            ud.extend(r.nkey.iter().map(|(_, g)| g.ud.clone()));
            ud.extend(r.jwt.iter().map(|(g, _)| g.ud.clone()));
        }
        ConnCtx {
            nc: AtomicPtr::new(std::ptr::null_mut()),
            userdata: RwLock::new(Some(ud)),
            deferred: Mutex::new(None),
            subs: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn set_handle(&self, nc: *mut natsrs_connection) {
        self.nc.store(nc, Ordering::Release);
    }

    /// Runs `f` (a call into C) with the handle pointer, if the handle is still alive; else
    /// returns `default`. The handle and its userdata stay alive until `f` returns.
    fn call<R>(&self, c: Option<&Connection>, default: R, f: impl FnOnce(*mut natsrs_connection) -> R) -> R {
        let guard = self.userdata.read();
        let nc = self.nc.load(Ordering::Acquire);
        if guard.is_none() || nc.is_null() {
            return default;
        }
        if let Some(c) = c {
            // SAFETY: `nc` is the live handle: it is freed only after `userdata` became None
            // under the write lock, and we hold the read lock.
            if let Ok(h) = unsafe { super::handle::borrow(nc, "nc") } {
                h.adopt(c);
            }
        }
        let prev = IN_CALLBACK.with(|t| t.replace(self as *const ConnCtx));
        let r = f(nc);
        IN_CALLBACK.with(|t| t.set(prev));
        drop(guard);
        let deferred = self.deferred.lock().take();
        if let Some(h) = deferred {
            self.finish(h);
        }
        r
    }

    /// Releases the handle: its userdata references are dropped and the handle is freed now,
    /// or, when called from one of this connection's callbacks, as soon as that callback returns.
    /// Call after the connection is closed.
    pub(crate) fn release(&self, handle: Arc<natsrs_connection>) {
        let here = IN_CALLBACK.with(|t| t.get());
        if std::ptr::eq(here, self) {
            *self.deferred.lock() = Some(handle);
        } else {
            self.finish(handle);
        }
    }

    fn finish(&self, handle: Arc<natsrs_connection>) {
        let ud = {
            let mut g = self.userdata.write();
            self.nc.store(std::ptr::null_mut(), Ordering::Release);
            g.take()
        };
        self.subs.lock().clear();
        drop(handle);
        drop(ud);
    }

    pub(crate) fn add_sub(&self, sid: u64, sub: &Arc<natsrs_subscription>) {
        self.subs.lock().insert(sid, Arc::downgrade(sub));
    }

    pub(crate) fn remove_sub(&self, sid: u64) {
        self.subs.lock().remove(&sid);
    }

    /// The live C handle of a subscription, kept alive while the caller holds it.
    fn sub_handle(&self, s: Option<&Subscription>) -> Option<Arc<natsrs_subscription>> {
        let s = s?;
        let h = self.subs.lock().get(&s.sid()).and_then(Weak::upgrade)?;
        (!h.is_freed()).then_some(h)
    }
}

/// Builds the core options for one connection: `base` plus closures that call the registered
/// C callbacks through `ctx`.
pub(crate) fn install(regs: &Registrations, mut o: Options, ctx: &Arc<ConnCtx>) -> Options {
    let conn_cb = |r: &Option<Reg<ConnFn>>| {
        r.as_ref().map(|r| {
            let (f, ud, ctx) = (r.f, r.ptr(), ctx.clone());
            Arc::new(move |c: &Connection| {
                // SAFETY: the C function registered for this userdata, called with a live handle.
                ctx.call(Some(c), (), |nc| unsafe { f(ud.get(), nc) })
            }) as crate::options::ConnCallback
        })
    };
    o.closed_cb = conn_cb(&regs.closed);
    o.connected_cb = conn_cb(&regs.connected);
    o.reconnected_cb = conn_cb(&regs.reconnected);
    o.discovered_servers_cb = conn_cb(&regs.discovered_servers);
    o.lame_duck_cb = conn_cb(&regs.lame_duck);
    o.disconnected_cb = regs.disconnected.as_ref().map(|r| {
        let (f, ud, ctx) = (r.f, r.ptr(), ctx.clone());
        Arc::new(move |c: &Connection, e: &Error| {
            let text = error_to_cstring(e);
            // SAFETY: as above; `text` outlives the call.
            ctx.call(Some(c), (), |nc| unsafe { f(ud.get(), nc, e.status.into(), text.as_ptr()) })
        }) as crate::options::DisconnectCallback
    });
    o.reconnect_error_cb = regs.reconnect_error.as_ref().map(|r| {
        let (f, ud, ctx) = (r.f, r.ptr(), ctx.clone());
        Arc::new(move |c: &Connection, e: &Error| {
            let text = error_to_cstring(e);
            // SAFETY: as above; `text` outlives the call.
            ctx.call(Some(c), (), |nc| unsafe { f(ud.get(), nc, e.status.into(), text.as_ptr()) })
        }) as crate::options::DisconnectCallback
    });
    o.error_cb = regs.error.as_ref().map(|r| {
        let (f, ud, ctx) = (r.f, r.ptr(), ctx.clone());
        Arc::new(move |c: &Connection, s: Option<&Subscription>, e: &Error| {
            let text = error_to_cstring(e);
            let sub = ctx.sub_handle(s);
            let sp = sub.as_ref().map_or(std::ptr::null_mut(), super::handle::arc_as_ptr);
            // SAFETY: as above; `sub` (if any) is kept alive by `sub` until the call returns.
            ctx.call(Some(c), (), |nc| unsafe { f(ud.get(), nc, sp, e.status.into(), text.as_ptr()) })
        }) as crate::options::ErrorCallback
    });
    o.reconnect_delay_cb = regs.reconnect_delay.as_ref().map(|r| {
        let (f, ud, ctx) = (r.f, r.ptr(), ctx.clone());
        Arc::new(move |c: &Connection, attempts: u64| {
            // SAFETY: as above.
            let ms = ctx.call(Some(c), 0, |nc| unsafe { f(ud.get(), nc, attempts) });
            Duration::from_millis(ms.max(0) as u64)
        }) as crate::options::ReconnectDelayCallback
    });
    o.reconnect_to_server_cb = regs.reconnect_to_server.as_ref().map(|r| {
        let (f, ud, ctx) = (r.f, r.ptr(), ctx.clone());
        Arc::new(move |c: &Connection, servers: &[crate::options::ServerChoice]| {
            let urls: Vec<std::ffi::CString> =
                servers.iter().map(|s| std::ffi::CString::new(s.url.replace('\0', " ")).unwrap_or_default()).collect();
            let ptrs: Vec<*const c_char> = urls.iter().map(|u| u.as_ptr()).collect();
            let counts: Vec<u64> = servers.iter().map(|s| s.reconnects).collect();
            let mut delay_ms: i64 = 0;
            // SAFETY: as above; `ptrs` (into `urls`), `counts` and `delay_ms` outlive the call.
            let pick = ctx.call(Some(c), -1, |nc| unsafe { f(ud.get(), nc, ptrs.as_ptr(), counts.as_ptr(), ptrs.len(), &mut delay_ms) });
            (usize::try_from(pick).ok(), Duration::from_millis(delay_ms.max(0) as u64))
        }) as crate::options::ReconnectToServerCallback
    });
    if let Some(r) = &regs.token {
        o.auth.token_handler = Some(string_handler(r.f, r.ptr(), ctx.clone(), "token"));
    }
    if let Some(r) = &regs.user_info {
        o.auth.user_info_handler = Some(user_info_handler(r.f, r.ptr(), ctx.clone()));
    }
    if let Some(r) = &regs.tls_verify {
        o.tls.verify_handler = Some(tls_verify_handler(r.f, r.ptr(), ctx.clone()));
    }
    if let Some((pk, r)) = &regs.nkey {
        o.auth.nkey_public = Some(pk.clone());
        o.auth.nkey_sign = Some(sign_handler(r.f, r.ptr(), ctx.clone()));
    }
    if let Some((r, sign)) = &regs.jwt {
        o.auth.jwt_handler = Some(string_handler(r.f, r.ptr(), ctx.clone(), "JWT"));
        o.auth.jwt_sign = Some(sign_handler(*sign, r.ptr(), ctx.clone()));
    }
    o
}

fn string_handler(f: StringFn, ud: UdPtr, ctx: Arc<ConnCtx>, what: &'static str) -> crate::auth::TokenHandler {
    Arc::new(move || {
        let gone = || Err(err!(ConnectionClosed, "connection freed"));
        ctx.call(None, gone(), |_| {
            // SAFETY: the C function registered for this userdata.
            let p = unsafe { f(ud.get()) };
            if p.is_null() {
                return Err(err!(Authorization, "the {} handler returned NULL", what));
            }
            // SAFETY: a non-NULL NUL-terminated string from the callback, copied at once.
            let s = unsafe { CStr::from_ptr(p) };
            s.to_str().map(str::to_string).map_err(|_| err!(InvalidArgument, "the {} handler returned invalid UTF-8", what))
        })
    })
}

/// Copies a string a callback returned (borrowed pointer); NULL gives "".
///
/// # Safety
/// `p` is NULL or a NUL-terminated string valid during the call.
unsafe fn callback_string(p: *const c_char, what: &str) -> Result<String> {
    if p.is_null() {
        return Ok(String::new());
    }
    // SAFETY: per the function's contract; copied at once.
    let s = unsafe { CStr::from_ptr(p) };
    s.to_str().map(str::to_string).map_err(|_| err!(InvalidArgument, "the user info handler returned invalid UTF-8 in {}", what))
}

fn user_info_handler(f: UserInfoFn, ud: UdPtr, ctx: Arc<ConnCtx>) -> crate::auth::UserInfoHandler {
    Arc::new(move || {
        let gone = || Err(err!(ConnectionClosed, "connection freed"));
        ctx.call(None, gone(), |_| {
            let (mut user, mut pass): (*const c_char, *const c_char) = (std::ptr::null(), std::ptr::null());
            // SAFETY: the C function registered for this userdata; it writes the two pointers.
            let rc = unsafe { f(ud.get(), &mut user, &mut pass) };
            decode_handler_result(rc, "user info")?;
            // SAFETY: the handler returned NULL or NUL-terminated strings that stay valid until
            // its next call (documented in natsrs_user_info_handler); copied now.
            let (u, p) = unsafe { (callback_string(user, "the user")?, callback_string(pass, "the password")?) };
            if u.is_empty() {
                return Err(err!(Authorization, "the user info handler returned no user"));
            }
            Ok((u, p))
        })
    })
}

fn tls_verify_handler(f: TlsVerifyFn, ud: UdPtr, ctx: Arc<ConnCtx>) -> crate::tls::VerifyHandler {
    Arc::new(move |chain: &[&[u8]], name: &str| {
        let gone = || Err(err!(ConnectionClosed, "connection freed"));
        let certs: Vec<natsrs_cert_der> = chain.iter().map(|c| natsrs_cert_der { data: c.as_ptr().cast(), len: c.len() }).collect();
        let cname = std::ffi::CString::new(name.replace('\0', " ")).unwrap_or_default();
        ctx.call(None, gone(), |_| {
            // SAFETY: the C function registered for this userdata; `certs` (pointing into
            // `chain`) and `cname` outlive the call.
            let rc = unsafe { f(ud.get(), certs.as_ptr(), certs.len(), cname.as_ptr()) };
            decode_handler_result(rc, "TLS verify")
        })
    })
}

/// Signature length of an ed25519 nkey signature.
const SIGNATURE_LEN: usize = 64;

fn sign_handler(f: SignFn, ud: UdPtr, ctx: Arc<ConnCtx>) -> crate::auth::SignatureHandler {
    Arc::new(move |nonce: &[u8]| {
        let gone = || Err(err!(ConnectionClosed, "connection freed"));
        ctx.call(None, gone(), |_| {
            let mut sig = [0u8; SIGNATURE_LEN];
            // SAFETY: the C function registered for this userdata; it writes at most
            // SIGNATURE_LEN bytes into our buffer (documented in natsrs_sign_handler).
            let rc = unsafe { f(ud.get(), nonce.as_ptr(), nonce.len(), sig.as_mut_ptr()) };
            decode_sign_result(rc)?;
            Ok(sig.to_vec())
        })
    })
}

/// Decodes a signing callback's return value: 0 is success, a declared status is that error,
/// anything else is an error that says what came back.
pub(crate) fn decode_sign_result(rc: i32) -> Result<()> {
    decode_handler_result(rc, "signature")
}

/// Decodes a callback's natsrs_status return value (`what` names the handler in errors).
pub(crate) fn decode_handler_result(rc: i32, what: &str) -> Result<()> {
    match natsrs_status::from_i32(rc) {
        Some(natsrs_status::Ok) => Ok(()),
        Some(s) => Err(Error::new(s.into(), format!("the {} handler failed ({})", what, rc))),
        None => Err(err!(InvalidArgument, "the {} handler returned {}, which is not a natsrs_status value", what, rc)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Status;

    #[test]
    fn sign_results_are_decoded_never_transmuted() {
        assert!(decode_sign_result(0).is_ok());
        assert_eq!(decode_sign_result(12).unwrap_err().status, Status::Authorization);
        let e = decode_sign_result(7777).unwrap_err();
        assert_eq!(e.status, Status::InvalidArgument);
        assert!(e.message.contains("7777"), "{}", e.message);
        assert_eq!(decode_sign_result(-1).unwrap_err().status, Status::InvalidArgument);
    }
}
