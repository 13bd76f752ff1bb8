//! `natsrs_msg`: message accessors, headers, respond, clone, create, free.

use std::ffi::{c_char, CString};

use once_cell::sync::OnceCell;

use super::handle::{self, borrow, borrow_mut, box_into_raw, BoxOwned, Castable};
use super::status::natsrs_status;
use super::{cstr, guard, guard_val, nn, opt_cstr, payload, put};
use crate::error::{err, Result};
use crate::msg::Msg;
use crate::proto::subject::valid_publish_subject;
use crate::proto::HeaderMap;

/// A message. Opaque. Messages passed to handlers are borrowed; messages from natsrs_msg_create,
/// next_msg, request or clone are owned: release with natsrs_msg_free.
pub struct natsrs_msg {
    pub(crate) msg: Msg,
    /// NUL-terminated copies of the headers for the header accessors, built on first use and
    /// dropped when the headers change.
    cheaders: OnceCell<Box<CHeaders>>,
    /// Set for a message delivered by a JetStream consumer: its ack state and connection
    /// (natsrs_msg_ack and friends, js_msg.rs).
    pub(crate) js: Option<crate::jetstream::JsMsg>,
    /// Set for a message read from a stream (get_msg, get_last_msg, direct get): where and when
    /// the stream stored it (natsrs_msg_stored_seq and friends, js_msg.rs).
    pub(crate) stored: Option<StoredPos>,
}

/// Stream sequence and store time of a message read from a stream.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StoredPos {
    pub seq: u64,
    /// Nanoseconds since the Unix epoch.
    pub time_ns: i64,
}

// SAFETY: owned message pointers are only made by box_into_raw; borrowed ones (handlers) point
// at a natsrs_msg that lives for the duration of the call.
unsafe impl Castable for natsrs_msg {
    type Ownership = BoxOwned;
}

impl natsrs_msg {
    /// A message handed to a handler (lives on the dispatcher's stack for the call).
    pub(crate) fn borrowed(msg: Msg) -> natsrs_msg {
        natsrs_msg { msg, cheaders: OnceCell::new(), js: None, stored: None }
    }

    /// A message delivered by a JetStream consumer (acks go to its connection).
    pub(crate) fn from_js(m: crate::jetstream::JsMsg) -> natsrs_msg {
        natsrs_msg { msg: m.msg().clone(), cheaders: OnceCell::new(), js: Some(m), stored: None }
    }
}

/// An owned message handle for C.
pub(crate) fn owned_msg(m: Msg) -> *mut natsrs_msg {
    box_into_raw(natsrs_msg::borrowed(m))
}

/// NUL-terminated copies of the header names and values.
#[derive(Default)]
struct CHeaders {
    keys: Vec<CString>,
    key_ptrs: Vec<*const c_char>,
    /// Per key (same order as `keys`): the values and their pointer array.
    values: Vec<(Vec<CString>, Vec<*const c_char>)>,
}
// SAFETY: the raw pointers point into the CStrings owned by the same struct, which is immutable
// once built (it is replaced, never changed, when the headers change).
unsafe impl Send for CHeaders {}
// SAFETY: as above.
unsafe impl Sync for CHeaders {}

impl CHeaders {
    fn build(h: Option<&HeaderMap>) -> CHeaders {
        let mut c = CHeaders::default();
        if let Some(h) = h {
            for k in h.keys() {
                let kc = CString::new(k).unwrap_or_default();
                let vals: Vec<CString> = h.get_all(k).iter().map(|v| CString::new(v.replace('\0', "")).unwrap_or_default()).collect();
                let ptrs: Vec<*const c_char> = vals.iter().map(|v| v.as_ptr()).collect();
                c.keys.push(kc);
                c.values.push((vals, ptrs));
            }
            c.key_ptrs = c.keys.iter().map(|k| k.as_ptr()).collect();
        }
        c
    }

    fn find(&self, key: &str) -> Option<usize> {
        self.keys.iter().position(|k| k.as_bytes() == key.as_bytes())
    }
}

impl natsrs_msg {
    fn cheaders(&self) -> &CHeaders {
        self.cheaders.get_or_init(|| Box::new(CHeaders::build(self.msg.headers())))
    }

    fn headers_mut(&mut self) -> &mut HeaderMap {
        self.cheaders = OnceCell::new();
        self.msg.headers_mut()
    }
}

/// Creates a message to publish with natsrs_connection_publish_msg. `reply` may be NULL.
/// `subject` and `reply` are checked as publish does (NATSRS_STATUS_INVALID_SUBJECT).
/// Returns an owned natsrs_msg; release with natsrs_msg_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_create(
    subject: *const c_char,
    reply: *const c_char,
    data: *const u8,
    len: usize,
    out: *mut *mut natsrs_msg,
) -> natsrs_status {
    guard(|| {
        nn(out, "out")?;
        // SAFETY: `subject`/`reply` NULL or NUL-terminated strings (C contract).
        let s = unsafe { cstr(subject, "subject") }?;
        if !valid_publish_subject(s.as_bytes()) {
            return Err(err!(InvalidSubject, "invalid subject '{}'", s));
        }
        // SAFETY: as above.
        let r = unsafe { opt_cstr(reply, "reply") }?;
        if let Some(r) = r {
            if !valid_publish_subject(r.as_bytes()) {
                return Err(err!(InvalidSubject, "invalid reply subject '{}'", r));
            }
        }
        // SAFETY: `data` NULL or `len` readable bytes (C contract).
        let m = Msg::new(s, r, unsafe { payload(data, len) }?)?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, owned_msg(m)) };
        Ok(())
    })
}

/// Borrows the message behind `msg`.
///
/// # Safety
/// `msg` is NULL or a live message (owned, or borrowed during the handler call).
unsafe fn msg_of<'a>(msg: *const natsrs_msg) -> Result<&'a natsrs_msg> {
    // SAFETY: forwarded caller guarantee.
    unsafe { borrow(msg, "msg") }
}

/// The subject. Borrowed; valid while the message is. NULL if `msg` is NULL.
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_subject(msg: *const natsrs_msg) -> *const c_char {
    // SAFETY: `msg` is NULL or live (C contract).
    guard_val(std::ptr::null(), || Ok(unsafe { msg_of(msg) }?.msg.subject_cstr().as_ptr()))
}

/// The reply subject, or NULL if none. Borrowed; valid while the message is.
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_reply(msg: *const natsrs_msg) -> *const c_char {
    guard_val(std::ptr::null(), || {
        // SAFETY: `msg` is NULL or live (C contract).
        Ok(unsafe { msg_of(msg) }?.msg.reply_cstr().map_or(std::ptr::null(), |r| r.as_ptr()))
    })
}

/// The payload bytes (not NUL-terminated). Borrowed; valid while the message is.
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_data(msg: *const natsrs_msg) -> *const u8 {
    // SAFETY: `msg` is NULL or live (C contract).
    guard_val(std::ptr::null(), || Ok(unsafe { msg_of(msg) }?.msg.data().as_ptr()))
}

/// The payload length in bytes (0 if `msg` is NULL).
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_data_len(msg: *const natsrs_msg) -> usize {
    // SAFETY: `msg` is NULL or live (C contract).
    guard_val(0, || Ok(unsafe { msg_of(msg) }?.msg.data().len()))
}

/// Inline status code of the message (503 no responders, 404, 408, 409, 100 ...) or 0.
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_status_code(msg: *const natsrs_msg) -> i32 {
    // SAFETY: `msg` is NULL or live (C contract).
    guard_val(0, || Ok(unsafe { msg_of(msg) }?.msg.status_code() as i32))
}

fn header_error(e: crate::proto::HeaderError) -> crate::error::Error {
    err!(InvalidArgument, "{}", e)
}

/// Sets header `key` to `value`, replacing all its values.
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_header_set(msg: *mut natsrs_msg, key: *const c_char, value: *const c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `msg` NULL or an owned message not used elsewhere during the call; `key` and
        // `value` NULL or NUL-terminated strings (C contract).
        let (m, k, v) = unsafe { (borrow_mut(msg, "msg")?, cstr(key, "key")?, cstr(value, "value")?) };
        m.headers_mut().set(k, v).map_err(header_error)
    })
}

/// Adds `value` to header `key` (multi-value headers keep every value, in order).
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_header_add(msg: *mut natsrs_msg, key: *const c_char, value: *const c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: as in natsrs_msg_header_set.
        let (m, k, v) = unsafe { (borrow_mut(msg, "msg")?, cstr(key, "key")?, cstr(value, "value")?) };
        m.headers_mut().add(k, v).map_err(header_error)
    })
}

/// Removes header `key`. NATSRS_STATUS_NOT_FOUND if absent.
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_header_delete(msg: *mut natsrs_msg, key: *const c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: as in natsrs_msg_header_set.
        let (m, k) = unsafe { (borrow_mut(msg, "msg")?, cstr(key, "key")?) };
        if m.headers_mut().remove(k) {
            Ok(())
        } else {
            Err(err!(NotFound, "no header '{}'", k))
        }
    })
}

/// First value of header `key` (case-sensitive). NATSRS_STATUS_NOT_FOUND if absent.
/// `*out` is borrowed; valid until the message is freed or its headers change.
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_header_get(msg: *const natsrs_msg, key: *const c_char, out: *mut *const c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `msg` NULL or live, `key` NULL or a NUL-terminated string (C contract).
        let (m, k) = unsafe { (msg_of(msg)?, cstr(key, "key")?) };
        nn(out, "out")?;
        let c = m.cheaders();
        match c.find(k).and_then(|i| c.values[i].1.first().copied()) {
            Some(p) => {
                // SAFETY: checked non-NULL above.
                unsafe { put(out, p) };
                Ok(())
            }
            None => Err(err!(NotFound, "no header '{}'", k)),
        }
    })
}

/// All values of header `key`: `*out_values` gets a borrowed array of `*out_count` strings,
/// valid until the message is freed or its headers change. NATSRS_STATUS_NOT_FOUND if absent.
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_header_values(
    msg: *const natsrs_msg,
    key: *const c_char,
    out_values: *mut *const *const c_char,
    out_count: *mut usize,
) -> natsrs_status {
    guard(|| {
        // SAFETY: as in natsrs_msg_header_get.
        let (m, k) = unsafe { (msg_of(msg)?, cstr(key, "key")?) };
        nn(out_values, "out_values")?;
        nn(out_count, "out_count")?;
        let c = m.cheaders();
        match c.find(k) {
            Some(i) if !c.values[i].1.is_empty() => {
                // SAFETY: both checked non-NULL above.
                unsafe {
                    put(out_values, c.values[i].1.as_ptr());
                    put(out_count, c.values[i].1.len());
                }
                Ok(())
            }
            _ => Err(err!(NotFound, "no header '{}'", k)),
        }
    })
}

/// The distinct header names, in order: `*out_keys` gets a borrowed array of `*out_count`
/// strings (count 0 when there are no headers), valid until the message is freed or its headers change.
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_header_keys(
    msg: *const natsrs_msg,
    out_keys: *mut *const *const c_char,
    out_count: *mut usize,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `msg` is NULL or live (C contract).
        let m = unsafe { msg_of(msg) }?;
        nn(out_keys, "out_keys")?;
        nn(out_count, "out_count")?;
        let c = m.cheaders();
        // SAFETY: both checked non-NULL above.
        unsafe {
            put(out_keys, if c.key_ptrs.is_empty() { std::ptr::null() } else { c.key_ptrs.as_ptr() });
            put(out_count, c.key_ptrs.len());
        }
        Ok(())
    })
}

/// Publishes `data` to the message's reply subject on the connection it arrived on.
/// NATSRS_STATUS_ILLEGAL_STATE if the message has no reply or no connection.
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_respond(msg: *const natsrs_msg, data: *const u8, len: usize) -> natsrs_status {
    guard(|| {
        // SAFETY: `msg` NULL or live, `data` NULL or `len` readable bytes (C contract).
        let (m, d) = unsafe { (msg_of(msg)?, payload(data, len)?) };
        m.msg.respond(d)
    })
}

/// Copies a message (cheap: the payload is shared).
/// Returns an owned natsrs_msg; release with natsrs_msg_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_clone(msg: *const natsrs_msg, out: *mut *mut natsrs_msg) -> natsrs_status {
    guard(|| {
        // SAFETY: `msg` is NULL or live (C contract).
        let m = unsafe { msg_of(msg) }?;
        nn(out, "out")?;
        // A JetStream message's clone shares its ack state.
        let c = natsrs_msg { msg: m.msg.clone(), cheaders: OnceCell::new(), js: m.js.clone(), stored: m.stored };
        // SAFETY: checked non-NULL above.
        unsafe { put(out, box_into_raw(c)) };
        Ok(())
    })
}

/// Releases an owned message. NULL is ignored. Never call it on a message passed to a handler.
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_free(msg: *mut natsrs_msg) {
    let _ = guard(|| {
        // SAFETY: `msg` is NULL or an owned message the caller gives up (C contract).
        drop(unsafe { handle::free_box(msg) });
        Ok(())
    });
}
