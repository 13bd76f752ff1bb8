//! The C ABI. Every exported function body runs inside `guard`/`guard_val`: NULL and invalid
//! arguments become a status plus a thread-local message, panics become `NATSRS_STATUS_PANIC`,
//! and nothing unwinds into C.

#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)]

pub mod async_ops;
pub mod connection;
pub mod msg;
pub mod options;
pub mod security;
pub mod status;
pub mod subscription;

use std::cell::RefCell;
use std::ffi::{c_char, c_void, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use crate::error::{err, Error, Result, Status};

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

pub(crate) fn set_last_error(msg: &str) {
    let c = CString::new(msg.replace('\0', " ")).unwrap_or_default();
    LAST_ERROR.with(|l| *l.borrow_mut() = c);
}

pub(crate) fn last_error_ptr() -> *const c_char {
    LAST_ERROR.with(|l| l.borrow().as_ptr())
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

/// Runs an exported function body: maps errors and panics to a status.
pub(crate) fn guard<F: FnOnce() -> Result<()>>(f: F) -> Status {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => Status::Ok,
        Ok(Err(e)) => {
            set_last_error(&e.to_string());
            e.status
        }
        Err(p) => {
            set_last_error(&format!("panic: {}", panic_text(&*p)));
            Status::Panic
        }
    }
}

/// Like `guard` for functions that return a value instead of a status.
pub(crate) fn guard_val<T, F: FnOnce() -> Result<T>>(default: T, f: F) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            set_last_error(&e.to_string());
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
pub(crate) unsafe fn cstr<'a>(p: *const c_char, name: &str) -> Result<&'a str> {
    nn(p, name)?;
    CStr::from_ptr(p)
        .to_str()
        .map_err(|_| err!(InvalidArgument, "'{}' is not valid UTF-8", name))
}

/// Optional string argument: NULL gives None.
pub(crate) unsafe fn opt_cstr<'a>(p: *const c_char, name: &str) -> Result<Option<&'a str>> {
    if p.is_null() {
        Ok(None)
    } else {
        cstr(p, name).map(Some)
    }
}

/// Borrows a payload: (NULL, 0) is empty; NULL with a length is an error.
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
        Ok(std::slice::from_raw_parts(data, len))
    }
}

/// A millisecond timeout argument; must be positive.
pub(crate) fn timeout_ms(ms: i64, name: &str) -> Result<Duration> {
    if ms <= 0 {
        return Err(err!(InvalidArgument, "'{}' must be a positive number of milliseconds (got {})", name, ms));
    }
    Ok(Duration::from_millis(ms as u64))
}

/// Writes to an out-pointer (checked non-NULL before the call did any work).
pub(crate) unsafe fn put<T>(out: *mut T, v: T) {
    out.write(v);
}

/// Frees callback userdata exactly once, when the library is done with it.
pub(crate) struct UserData {
    pub ptr: *mut c_void,
    pub free: Option<unsafe extern "C" fn(*mut c_void)>,
}
// SAFETY: the C API documents that userdata is handed to callbacks on library threads.
unsafe impl Send for UserData {}
unsafe impl Sync for UserData {}

impl Drop for UserData {
    fn drop(&mut self) {
        if let Some(f) = self.free.take() {
            let p = self.ptr;
            // SAFETY: the caller gave us this function for this pointer.
            let _ = catch_unwind(AssertUnwindSafe(|| unsafe { f(p) }));
        }
    }
}

pub(crate) fn error_to_cstring(e: &Error) -> CString {
    CString::new(e.to_string().replace('\0', " ")).unwrap_or_default()
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_turns_panics_into_status_and_message() {
        let st = guard(|| panic!("boom {}", 42));
        assert_eq!(st, Status::Panic);
        let msg = unsafe { CStr::from_ptr(last_error_ptr()) }.to_str().unwrap().to_string();
        assert!(msg.contains("boom 42"), "{}", msg);
        assert_eq!(guard_val(7, || -> Result<i32> { panic!("x") }), 7);
        let st = guard(|| Err(err!(Timeout, "slow")));
        assert_eq!(st, Status::Timeout);
        let msg = unsafe { CStr::from_ptr(last_error_ptr()) }.to_str().unwrap().to_string();
        assert!(msg.contains("slow"));
    }

    #[test]
    fn status_text_for_every_value() {
        for s in Status::ALL {
            let p = super::status::natsrs_status_str(s as i32);
            assert!(!unsafe { CStr::from_ptr(p) }.to_bytes().is_empty());
        }
        let p = super::status::natsrs_status_str(12345);
        assert_eq!(unsafe { CStr::from_ptr(p) }.to_str().unwrap(), "unknown status");
    }

    #[test]
    fn payload_and_timeout_rules() {
        assert!(unsafe { payload(std::ptr::null(), 0) }.unwrap().is_empty());
        assert_eq!(unsafe { payload(std::ptr::null(), 3) }.unwrap_err().status, Status::NullParameter);
        assert_eq!(timeout_ms(0, "t").unwrap_err().status, Status::InvalidArgument);
        assert_eq!(timeout_ms(-5, "t").unwrap_err().status, Status::InvalidArgument);
        assert_eq!(timeout_ms(5, "t").unwrap(), Duration::from_millis(5));
    }
}
