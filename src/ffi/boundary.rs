//! The boundary every exported function body runs inside: `guard`/`guard_val` (errors and
//! panics become a status plus this thread's last-error text, which a successful call clears),
//! and the argument decoders (`nn`, `cstr`, `opt_cstr`, `payload`, `timeout_ms`, `put`).

use std::cell::{Cell, RefCell};
use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use super::status::natsrs_status;
use crate::error::{err, Error, Result};

thread_local! {
    /// Detail text of the last failed call on this thread ("" after a successful one).
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
    /// The JetStream API `(code, err_code)` of the last failed call on this thread, if it had one.
    static LAST_API: Cell<Option<(u16, u64)>> = const { Cell::new(None) };
}

/// The JetStream API `(code, err_code)` of the last failed call on this thread.
pub(crate) fn last_error_api() -> Option<(u16, u64)> {
    LAST_API.with(|a| a.get())
}

/// Records a failed call: its text and, for a JetStream API error, the server's codes.
fn set_last_failure(e: &Error) {
    set_last_error(&e.to_string());
    LAST_API.with(|a| a.set(e.api));
}

/// Stores `msg` as this thread's last error (interior NULs become blanks).
pub(crate) fn set_last_error(msg: &str) {
    let c = CString::new(msg.replace('\0', " ")).unwrap_or_default();
    LAST_ERROR.with(|l| *l.borrow_mut() = c);
    LAST_API.with(|a| a.set(None));
}

/// Empties this thread's last error. Cheap when it is empty already (the hot path): no write.
#[inline]
pub(crate) fn clear_last_error() {
    LAST_API.with(|a| a.set(None));
    LAST_ERROR.with(|l| {
        if !l.borrow().as_bytes().is_empty() {
            *l.borrow_mut() = CString::default();
        }
    });
}

/// Pointer to this thread's last-error text; valid until the next guarded call on the thread.
pub(crate) fn last_error_ptr() -> *const c_char {
    LAST_ERROR.with(|l| l.borrow().as_ptr())
}

/// Copies this thread's last-error text into `out` (truncated, always NUL-terminated when
/// `out` is not empty). Returns the length of the whole text, without the NUL.
pub(crate) fn copy_last_error(out: &mut [u8]) -> usize {
    LAST_ERROR.with(|l| {
        let l = l.borrow();
        let text = l.as_bytes();
        if let Some(room) = out.len().checked_sub(1) {
            let n = text.len().min(room);
            out[..n].copy_from_slice(&text[..n]);
            out[n] = 0;
        }
        text.len()
    })
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

/// Runs an exported function body: maps errors and panics to a status (with the text in
/// last-error) and clears last-error on success.
pub(crate) fn guard<F: FnOnce() -> Result<()>>(f: F) -> natsrs_status {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => {
            clear_last_error();
            natsrs_status::Ok
        }
        Ok(Err(e)) => {
            set_last_failure(&e);
            e.status.into()
        }
        Err(p) => {
            set_last_error(&format!("panic: {}", panic_text(&*p)));
            natsrs_status::Panic
        }
    }
}

/// Like `guard` for functions that return a value instead of a status (`default` on failure).
pub(crate) fn guard_val<T, F: FnOnce() -> Result<T>>(default: T, f: F) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => {
            clear_last_error();
            v
        }
        Ok(Err(e)) => {
            set_last_failure(&e);
            default
        }
        Err(p) => {
            set_last_error(&format!("panic: {}", panic_text(&*p)));
            default
        }
    }
}

/// Non-NULL check for pointer arguments.
pub(crate) fn nn<T>(p: *const T, name: &str) -> Result<()> {
    if p.is_null() {
        Err(err!(NullParameter, "'{}' is NULL", name))
    } else {
        Ok(())
    }
}

/// Borrows a NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that stays valid and unchanged for `'a`.
pub(crate) unsafe fn cstr<'a>(p: *const c_char, name: &str) -> Result<&'a str> {
    // SAFETY: forwarded caller guarantee.
    let b = unsafe { cbytes(p, name) }?;
    std::str::from_utf8(b).map_err(|_| err!(InvalidArgument, "'{}' is not valid UTF-8", name))
}

/// Borrows a NUL-terminated string argument as bytes (no UTF-8 check); NULL is an error.
///
/// # Safety
/// As for [`cstr`].
pub(crate) unsafe fn cbytes<'a>(p: *const c_char, name: &str) -> Result<&'a [u8]> {
    nn(p, name)?;
    // SAFETY: non-NULL, and the caller guarantees a NUL-terminated string valid for 'a.
    Ok(unsafe { CStr::from_ptr(p) }.to_bytes())
}

/// Optional string argument: NULL gives None.
///
/// # Safety
/// As for [`cstr`].
pub(crate) unsafe fn opt_cstr<'a>(p: *const c_char, name: &str) -> Result<Option<&'a str>> {
    if p.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded caller guarantee.
        unsafe { cstr(p, name) }.map(Some)
    }
}

/// Borrows a payload: (NULL, 0) is empty; NULL with a length is an error.
///
/// # Safety
/// `data` is NULL or points to `len` readable bytes that stay valid and unchanged for `'a`.
pub(crate) unsafe fn payload<'a>(data: *const u8, len: usize) -> Result<&'a [u8]> {
    if data.is_null() {
        if len == 0 {
            Ok(&[])
        } else {
            Err(err!(NullParameter, "'data' is NULL but len is {}", len))
        }
    } else {
        if len > isize::MAX as usize {
            return Err(err!(InvalidArgument, "payload length too large"));
        }
        // SAFETY: non-NULL, length checked against isize::MAX, readable per the caller.
        Ok(unsafe { std::slice::from_raw_parts(data, len) })
    }
}

/// A millisecond timeout argument; must be positive.
pub(crate) fn timeout_ms(ms: i64, name: &str) -> Result<Duration> {
    if ms <= 0 {
        return Err(err!(InvalidArgument, "'{}' must be a positive number of milliseconds (got {})", name, ms));
    }
    Ok(Duration::from_millis(ms as u64))
}

/// Writes to an out-pointer.
///
/// # Safety
/// `out` is non-NULL (checked by the caller before any work), aligned and writable for a `T`.
pub(crate) unsafe fn put<T>(out: *mut T, v: T) {
    // SAFETY: per the function's contract.
    unsafe { out.write(v) };
}

/// Writes to an optional out-pointer: nothing when it is NULL.
///
/// # Safety
/// `out` is NULL, or aligned and writable for a `T`.
pub(crate) unsafe fn put_opt<T>(out: *mut T, v: T) {
    if !out.is_null() {
        // SAFETY: non-NULL, and writable per the function's contract.
        unsafe { out.write(v) };
    }
}

/// Copies `s` plus a NUL into the caller's buffer; BUFFER_TOO_SMALL if it does not fit.
///
/// # Safety
/// `buf` is NULL or writable for `buf_len` bytes.
pub(crate) unsafe fn copy_to_buf(s: &[u8], buf: *mut c_char, buf_len: usize) -> Result<()> {
    nn(buf, "buf")?;
    if s.len() + 1 > buf_len {
        return Err(err!(BufferTooSmall, "needs {} bytes, buffer has {}", s.len() + 1, buf_len));
    }
    // SAFETY: `buf` has room for s.len() + 1 bytes (checked above); the regions cannot overlap
    // (`s` is library memory).
    unsafe {
        std::ptr::copy_nonoverlapping(s.as_ptr(), buf as *mut u8, s.len());
        *buf.add(s.len()) = 0;
    }
    Ok(())
}

/// An error's text as a C string (interior NULs become blanks).
pub(crate) fn error_to_cstring(e: &Error) -> CString {
    CString::new(e.to_string().replace('\0', " ")).unwrap_or_default()
}
