//! The C ABI. Every exported function body runs inside `guard`/`guard_val` (boundary.rs): NULL
//! and invalid arguments become a status plus a thread-local message, panics become
//! `NATSRS_STATUS_PANIC`, nothing unwinds into C, and a successful call clears the message.
//!
//! The C layer uses only the core's public Rust API. Its handles are its own types (handle.rs
//! is the one place that casts pointers), with the C-side state: cached C strings, the "freed"
//! flag of a subscription, callback userdata (callbacks.rs).
//!
//! # Safety
//!
//! One contract covers every exported `natsrs_*` function (so they carry no `# Safety`
//! section of their own, and `clippy::missing_safety_doc` is allowed here; the unsafe helpers
//! inside the layer each have one): a handle argument is NULL or a handle this library made
//! and that is still alive (used between its creation and its `_free`, or a borrowed one only
//! while what lent it is alive); a `const char *` is NULL or NUL-terminated and readable; a
//! pointer with a length is NULL or readable (or writable, for outputs) for that length; an
//! out-pointer is NULL or writable. NULL is always refused with a status, never dereferenced.

#![deny(unsafe_op_in_unsafe_fn)]
#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)]

pub mod async_ops;
mod boundary;
pub mod callbacks;
pub mod connection;
pub mod handle;
pub mod info;
pub mod inline_read;
pub mod jetstream;
pub mod js_api;
pub mod js_config;
pub mod js_consumers;
pub mod js_fetch_async;
pub mod js_handles;
pub mod js_info;
pub mod js_iter;
pub mod js_lists;
pub mod js_msg;
pub mod js_ordered;
pub mod js_publish;
pub mod js_publish_ext;
pub mod js_push_stats;
pub mod kv;
pub mod kv_config;
pub mod kv_entry;
pub mod kv_watch;
pub mod msg;
pub mod obj_config;
pub mod obj_info;
pub mod object_store;
pub mod options;
pub mod packed;
pub mod security;
pub mod service;
pub mod status;
pub mod subscription;
pub mod version;

#[allow(unused_imports)] // the full helper set, for the C modules (jetstream, kv, ...)
pub(crate) use boundary::{
    cbytes, copy_to_buf, cstr, error_to_cstring, guard, guard_val, last_error_ptr, nn, opt_cstr, payload, put, put_opt, set_last_error,
    timeout_ms,
};
#[allow(unused_imports)]
pub(crate) use callbacks::UserData;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{err, Result, Status};
    use status::natsrs_status;
    use std::ffi::CStr;
    use std::time::Duration;

    /// This thread's last-error text.
    fn last() -> Vec<u8> {
        // SAFETY: last_error_ptr points to this thread's NUL-terminated text, alive until the
        // next guarded call; we copy it at once.
        unsafe { CStr::from_ptr(last_error_ptr()) }.to_bytes().to_vec()
    }

    /// A static string returned by natsrs_status_str.
    fn status_text(v: i32) -> String {
        // SAFETY: natsrs_status_str returns a static NUL-terminated string.
        unsafe { CStr::from_ptr(super::status::natsrs_status_str(v)) }.to_str().unwrap().to_string()
    }

    #[test]
    fn guard_turns_panics_into_status_and_message() {
        let st = guard(|| panic!("boom {}", 42));
        assert_eq!(st, natsrs_status::Panic);
        let msg = String::from_utf8(last()).unwrap();
        assert!(msg.contains("boom 42"), "{}", msg);
        assert_eq!(guard_val(7, || -> Result<i32> { panic!("x") }), 7);
        let st = guard(|| Err(err!(Timeout, "slow")));
        assert_eq!(st, natsrs_status::Timeout);
        let msg = String::from_utf8(last()).unwrap();
        assert!(msg.contains("slow"));
    }

    #[test]
    fn success_clears_the_last_error() {
        let _ = guard(|| Err(err!(Timeout, "slow")));
        assert_eq!(guard(|| Ok(())), natsrs_status::Ok);
        assert_eq!(last(), b"");
        let _ = guard(|| Err(err!(Timeout, "slow")));
        assert_eq!(guard_val(3, || Ok(4)), 4);
        assert_eq!(last(), b"");
    }

    #[test]
    fn last_error_copy_truncates_and_reports_the_length() {
        let _ = guard(|| Err(err!(Timeout, "slow")));
        let full = last();
        let mut buf = [0x55u8; 5];
        // SAFETY: the buffer is writable for its length.
        let n = unsafe { status::natsrs_last_error_copy(buf.as_mut_ptr().cast(), buf.len()) };
        assert_eq!(n, full.len());
        assert_eq!(&buf[..4], &full[..4]);
        assert_eq!(buf[4], 0);
        // SAFETY: (NULL, 0) is allowed.
        assert_eq!(unsafe { status::natsrs_last_error_copy(std::ptr::null_mut(), 0) }, full.len());
        let mut big = [0u8; 128];
        // SAFETY: the buffer is writable for its length.
        let n = unsafe { status::natsrs_last_error_copy(big.as_mut_ptr().cast(), big.len()) };
        assert_eq!(&big[..n], &full[..]);
        assert_eq!(big[n], 0);
    }

    #[test]
    fn api_codes_of_the_last_failed_call() {
        let api =
            || crate::jetstream::ApiError { code: 400, err_code: 10058, description: "stream name already in use".into() }.into_error();
        let (mut code, mut err_code) = (0i32, 0u64);
        assert_eq!(guard(|| Err(api())), natsrs_status::Jetstream);
        // SAFETY: both out-pointers are valid locals.
        assert!(unsafe { jetstream::natsrs_last_error_api(&mut code, &mut err_code) });
        assert_eq!((code, err_code), (400, 10058));
        // A failure without codes and a success both clear them.
        let _ = guard(|| Err(err!(Timeout, "slow")));
        // SAFETY: NULL out-pointers are allowed.
        assert!(!unsafe { jetstream::natsrs_last_error_api(std::ptr::null_mut(), std::ptr::null_mut()) });
        assert_eq!(guard_val(0, || -> Result<i32> { Err(api()) }), 0);
        // SAFETY: as above.
        assert!(unsafe { jetstream::natsrs_last_error_api(std::ptr::null_mut(), std::ptr::null_mut()) });
        assert_eq!(guard(|| Ok(())), natsrs_status::Ok);
        // SAFETY: as above.
        assert!(!unsafe { jetstream::natsrs_last_error_api(std::ptr::null_mut(), std::ptr::null_mut()) });
    }

    #[test]
    fn status_text_for_every_value() {
        for s in crate::error::Status::ALL {
            assert!(!status_text(s as i32).is_empty());
        }
        assert_eq!(status_text(12345), "unknown status");
    }

    #[test]
    fn payload_and_timeout_rules() {
        // SAFETY: NULL payloads are checked before any read.
        let (empty, bad) = unsafe { (payload(std::ptr::null(), 0), payload(std::ptr::null(), 3)) };
        assert!(empty.unwrap().is_empty());
        assert_eq!(bad.unwrap_err().status, Status::NullParameter);
        assert_eq!(timeout_ms(0, "t").unwrap_err().status, Status::InvalidArgument);
        assert_eq!(timeout_ms(-5, "t").unwrap_err().status, Status::InvalidArgument);
        assert_eq!(timeout_ms(5, "t").unwrap(), Duration::from_millis(5));
    }
}
