//! Status text, last error, version and runtime shutdown.

use std::ffi::c_char;

use super::{guard, last_error_ptr};
use crate::error::Status;

/// Returns a static description of a `natsrs_status` value (never NULL; values that are not a
/// declared status give "unknown status"). Borrowed; valid for the life of the process.
#[no_mangle]
pub extern "C" fn natsrs_status_str(status: i32) -> *const c_char {
    match Status::from_i32(status) {
        Some(s) => s.as_cstr().as_ptr(),
        None => c"unknown status".as_ptr(),
    }
}

/// Returns the detail message of the last failed call on this thread ("" if none).
/// Borrowed; valid until the next libnatsrs call on this thread.
#[no_mangle]
pub extern "C" fn natsrs_last_error_message() -> *const c_char {
    last_error_ptr()
}

/// Returns the library version, e.g. "0.1.0". Borrowed; static.
#[no_mangle]
pub extern "C" fn natsrs_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr() as *const c_char
}

/// Stops the library's internal runtime, waiting up to `timeout_ms` (>= 0) for its threads.
/// Close every connection first; connections still open are cut off. A later connect starts a
/// new runtime.
#[no_mangle]
pub extern "C" fn natsrs_shutdown(timeout_ms: i64) -> Status {
    guard(|| {
        if timeout_ms < 0 {
            return Err(crate::error::err!(InvalidArgument, "timeout_ms must not be negative"));
        }
        crate::runtime::shutdown(std::time::Duration::from_millis(timeout_ms as u64));
        Ok(())
    })
}
