//! Values that C callbacks return are decoded, never trusted: the nkey sign handler of the C API
//! (an `int32_t`) against a real nkey server, called through the exported C functions.

use crate::common;

use std::ffi::{c_void, CStr, CString};

use common::NatsServer;
use natsrs::ffi::connection::{natsrs_connection, natsrs_connection_connect, natsrs_connection_free};
use natsrs::ffi::options::{natsrs_options, natsrs_options_free, natsrs_options_new, natsrs_options_set_url};
use natsrs::ffi::security::natsrs_options_set_nkey;
use natsrs::ffi::status::{natsrs_last_error_message, natsrs_status};

/// Signs with the `nkeys::KeyPair` that `ud` points to.
unsafe extern "C" fn sign_ok(ud: *mut c_void, nonce: *const u8, len: usize, sig: *mut u8) -> i32 {
    // SAFETY: the test passes a live KeyPair as userdata and the library gives a nonce of `len`
    // bytes and a 64-byte output buffer.
    unsafe {
        let kp = &*(ud as *const nkeys::KeyPair);
        let s = kp.sign(std::slice::from_raw_parts(nonce, len)).unwrap();
        std::ptr::copy_nonoverlapping(s.as_ptr(), sig, 64);
    }
    0
}

unsafe extern "C" fn sign_7777(_: *mut c_void, _: *const u8, _: usize, _: *mut u8) -> i32 {
    7777
}

unsafe extern "C" fn sign_authorization(_: *mut c_void, _: *const u8, _: usize, _: *mut u8) -> i32 {
    12
}

type SignFn = unsafe extern "C" fn(*mut c_void, *const u8, usize, *mut u8) -> i32;

/// Connects with the nkey `public` and `sign`; returns the status and the last error text.
fn connect_with(url: &str, public: &str, sign: SignFn, ud: *mut c_void) -> (natsrs_status, String) {
    let url = CString::new(url).unwrap();
    let pk = CString::new(public).unwrap();
    let mut o: *mut natsrs_options = std::ptr::null_mut();
    let mut nc: *mut natsrs_connection = std::ptr::null_mut();
    // SAFETY: C API calls with valid pointers, in the documented order; every handle is freed.
    unsafe {
        assert_eq!(natsrs_options_new(&mut o), natsrs_status::Ok);
        assert_eq!(natsrs_options_set_url(o, url.as_ptr()), natsrs_status::Ok);
        assert_eq!(natsrs_options_set_nkey(o, pk.as_ptr(), Some(sign), ud, None), natsrs_status::Ok);
        let st = natsrs_connection_connect(o, &mut nc);
        let text = CStr::from_ptr(natsrs_last_error_message()).to_string_lossy().into_owned();
        natsrs_connection_free(nc);
        natsrs_options_free(o);
        (st, text)
    }
}

#[test]
fn sign_handler_results_are_decoded() {
    let user = nkeys::KeyPair::new_user();
    let srv = NatsServer::start_with_config(&format!("authorization {{ users: [ {{ nkey: \"{}\" }} ] }}\n", user.public_key()));
    let ud = &user as *const nkeys::KeyPair as *mut c_void;

    let (st, text) = connect_with(&srv.url(), &user.public_key(), sign_ok, ud);
    assert_eq!(st, natsrs_status::Ok, "{text}");
    assert_eq!(text, "", "a successful connect clears the last error");

    let (st, text) = connect_with(&srv.url(), &user.public_key(), sign_7777, ud);
    assert_eq!(st, natsrs_status::InvalidArgument, "{text}");
    assert!(text.contains("7777") && text.contains("not a natsrs_status"), "{text}");

    let (st, text) = connect_with(&srv.url(), &user.public_key(), sign_authorization, ud);
    assert_eq!(st, natsrs_status::Authorization, "{text}");
    assert!(text.contains("signature handler"), "{text}");
}
