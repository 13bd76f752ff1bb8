//! `natsrs_msg`: message accessors, headers, respond, clone.

use std::ffi::{c_char, CString};

use super::{cstr, guard, guard_val, nn, opt_cstr, payload, put};
use crate::error::{err, Result, Status};
use crate::msg::{CHeaders, Msg};

/// A message. Opaque. Messages passed to handlers are borrowed; messages from natsrs_msg_create,
/// next_msg, request or clone are owned: release with natsrs_msg_free.
pub struct natsrs_msg {
    _private: [u8; 0],
}

pub(crate) fn owned_msg(m: Msg) -> *mut natsrs_msg {
    Box::into_raw(Box::new(m)) as *mut natsrs_msg
}

pub(crate) unsafe fn msg_ref<'a>(m: *const natsrs_msg) -> Result<&'a Msg> {
    nn(m, "msg")?;
    Ok(&*(m as *const Msg))
}

unsafe fn msg_mut<'a>(m: *mut natsrs_msg) -> Result<&'a mut Msg> {
    nn(m, "msg")?;
    Ok(&mut *(m as *mut Msg))
}

/// Creates a message to publish with natsrs_connection_publish_msg. `reply` may be NULL.
/// Returns an owned natsrs_msg; release with natsrs_msg_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_create(
    subject: *const c_char,
    reply: *const c_char,
    data: *const u8,
    len: usize,
    out: *mut *mut natsrs_msg,
) -> Status {
    guard(|| {
        nn(out, "out")?;
        let s = cstr(subject, "subject")?;
        if !crate::proto::subject::valid_publish_subject(s.as_bytes()) {
            return Err(err!(InvalidSubject, "invalid subject '{}'", s));
        }
        let r = opt_cstr(reply, "reply")?;
        let m = Msg::new(s, r, payload(data, len)?)?;
        put(out, owned_msg(m));
        Ok(())
    })
}

/// The subject. Borrowed; valid while the message is. NULL if `msg` is NULL.
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_subject(msg: *const natsrs_msg) -> *const c_char {
    guard_val(std::ptr::null(), || Ok(msg_ref(msg)?.subject_cptr()))
}

/// The reply subject, or NULL if none. Borrowed; valid while the message is.
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_reply(msg: *const natsrs_msg) -> *const c_char {
    guard_val(std::ptr::null(), || Ok(msg_ref(msg)?.reply_cptr()))
}

/// The payload bytes (not NUL-terminated). Borrowed; valid while the message is.
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_data(msg: *const natsrs_msg) -> *const u8 {
    guard_val(std::ptr::null(), || Ok(msg_ref(msg)?.data().as_ptr()))
}

/// The payload length in bytes (0 if `msg` is NULL).
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_data_len(msg: *const natsrs_msg) -> usize {
    guard_val(0, || Ok(msg_ref(msg)?.data().len()))
}

/// Inline status code of the message (503 no responders, 404, 408, 409, 100 ...) or 0.
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_status_code(msg: *const natsrs_msg) -> i32 {
    guard_val(0, || Ok(msg_ref(msg)?.status_code() as i32))
}

fn header_error(e: crate::proto::HeaderError) -> crate::error::Error {
    err!(InvalidArgument, "{}", e)
}

/// Sets header `key` to `value`, replacing all its values.
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_header_set(msg: *mut natsrs_msg, key: *const c_char, value: *const c_char) -> Status {
    guard(|| {
        let m = msg_mut(msg)?;
        let (k, v) = (cstr(key, "key")?, cstr(value, "value")?);
        m.headers_mut().set(k, v).map_err(header_error)
    })
}

/// Adds `value` to header `key` (multi-value headers keep every value, in order).
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_header_add(msg: *mut natsrs_msg, key: *const c_char, value: *const c_char) -> Status {
    guard(|| {
        let m = msg_mut(msg)?;
        let (k, v) = (cstr(key, "key")?, cstr(value, "value")?);
        m.headers_mut().add(k, v).map_err(header_error)
    })
}

/// Removes header `key`. NATSRS_STATUS_NOT_FOUND if absent.
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_header_delete(msg: *mut natsrs_msg, key: *const c_char) -> Status {
    guard(|| {
        let m = msg_mut(msg)?;
        let k = cstr(key, "key")?;
        if m.headers_mut().remove(k) {
            Ok(())
        } else {
            Err(err!(NotFound, "no header '{}'", k))
        }
    })
}

fn cheaders(m: &Msg) -> &CHeaders {
    m.cheaders(|h| {
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
    })
}

fn find<'a>(c: &'a CHeaders, key: &str) -> Option<usize> {
    c.keys.iter().position(|k| k.as_bytes() == key.as_bytes())
}

/// First value of header `key` (case-sensitive). NATSRS_STATUS_NOT_FOUND if absent.
/// `*out` is borrowed; valid until the message is freed or its headers change.
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_header_get(msg: *const natsrs_msg, key: *const c_char, out: *mut *const c_char) -> Status {
    guard(|| {
        let m = msg_ref(msg)?;
        let k = cstr(key, "key")?;
        nn(out, "out")?;
        let c = cheaders(m);
        match find(c, k).and_then(|i| c.values[i].1.first().copied()) {
            Some(p) => {
                put(out, p);
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
) -> Status {
    guard(|| {
        let m = msg_ref(msg)?;
        let k = cstr(key, "key")?;
        nn(out_values, "out_values")?;
        nn(out_count, "out_count")?;
        let c = cheaders(m);
        match find(c, k) {
            Some(i) if !c.values[i].1.is_empty() => {
                put(out_values, c.values[i].1.as_ptr());
                put(out_count, c.values[i].1.len());
                Ok(())
            }
            _ => Err(err!(NotFound, "no header '{}'", k)),
        }
    })
}

/// The distinct header names, in order: `*out_keys` gets a borrowed array of `*out_count`
/// strings (count 0 when there are no headers), valid until the message is freed or its headers change.
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_header_keys(msg: *const natsrs_msg, out_keys: *mut *const *const c_char, out_count: *mut usize) -> Status {
    guard(|| {
        let m = msg_ref(msg)?;
        nn(out_keys, "out_keys")?;
        nn(out_count, "out_count")?;
        let c = cheaders(m);
        put(out_keys, if c.key_ptrs.is_empty() { std::ptr::null() } else { c.key_ptrs.as_ptr() });
        put(out_count, c.key_ptrs.len());
        Ok(())
    })
}

/// Publishes `data` to the message's reply subject on the connection it arrived on.
/// NATSRS_STATUS_ILLEGAL_STATE if the message has no reply or no connection.
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_respond(msg: *const natsrs_msg, data: *const u8, len: usize) -> Status {
    guard(|| {
        let m = msg_ref(msg)?;
        m.respond(payload(data, len)?)
    })
}

/// Copies a message (cheap: the payload is shared).
/// Returns an owned natsrs_msg; release with natsrs_msg_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_clone(msg: *const natsrs_msg, out: *mut *mut natsrs_msg) -> Status {
    guard(|| {
        let m = msg_ref(msg)?;
        nn(out, "out")?;
        put(out, owned_msg(m.clone()));
        Ok(())
    })
}

/// Releases an owned message. NULL is ignored. Never call it on a message passed to a handler.
#[no_mangle]
pub unsafe extern "C" fn natsrs_msg_free(msg: *mut natsrs_msg) {
    let _ = guard(|| {
        if !msg.is_null() {
            drop(Box::from_raw(msg as *mut Msg));
        }
        Ok(())
    });
}
