//! `natsrs_jetstream_api_request`: any JetStream API call from C, as JSON text in and out, for
//! the calls the typed C API does not wrap (consumer pause and reset, stream info with a
//! subject filter, ...). Bindings build their language's management calls on it.

use std::ffi::c_char;
use std::time::Duration;

use super::jetstream::{duration_ms, js_of, natsrs_jetstream, put_string};
use super::status::natsrs_status;
use super::{cstr, guard, nn, opt_cstr};
use crate::error::{err, Result};

/// Checks an API subject suffix: tokens separated by single dots, no blanks, no wildcards.
fn check_suffix(s: &str) -> Result<()> {
    let bad_token = s.split('.').any(|t| t.is_empty() || t.contains(['*', '>']));
    if bad_token || s.chars().any(|c| c.is_whitespace()) {
        return Err(err!(InvalidArgument, "'subject_suffix' is not a valid API subject suffix: '{}'", s));
    }
    Ok(())
}

/// Checks that a request body is JSON (an empty body is sent as none).
fn check_body(s: &str) -> Result<()> {
    if s.is_empty() {
        return Ok(());
    }
    serde_json::from_str::<serde_json::Value>(s).map(|_| ()).map_err(|e| err!(InvalidArgument, "'json_request' is not JSON: {}", e))
}

/// Sends `json_request` (NULL or "" for an empty request) to the JetStream API subject
/// `<prefix>.<subject_suffix>` (`$JS.API.CONSUMER.PAUSE.ORDERS.C1`, or `$JS.<domain>.API...`
/// with the context's domain or prefix) and writes the server's JSON reply to
/// `*json_response`. `timeout_ms` 0 means the context's timeout. A reply carrying a JetStream
/// API error fails with NATSRS_STATUS_NOT_FOUND (code 404) or NATSRS_STATUS_JETSTREAM, the
/// server's description as the last error message and its code and err_code in
/// natsrs_last_error_api; no responders is NATSRS_STATUS_NO_RESPONDERS. Returns an owned
/// string; release with natsrs_string_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_api_request(
    js: *mut natsrs_jetstream,
    subject_suffix: *const c_char,
    json_request: *const c_char,
    timeout_ms: i64,
    json_response: *mut *mut c_char,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `js` live (or NULL, refused); the strings are C strings (`json_request` may be NULL).
        let (j, suffix, body) = unsafe { (js_of(js)?, cstr(subject_suffix, "subject_suffix")?, opt_cstr(json_request, "json_request")?) };
        nn(json_response, "json_response")?;
        check_suffix(suffix)?;
        let body = body.unwrap_or("");
        check_body(body)?;
        let timeout = match duration_ms(timeout_ms, "timeout_ms")? {
            Duration::ZERO => None,
            t => Some(t),
        };
        let reply = j.api_request_text(suffix, body.as_bytes(), timeout)?;
        // SAFETY: `json_response` checked non-NULL above.
        unsafe { put_string(json_response, &reply) }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_and_bodies_are_checked() {
        assert!(check_suffix("INFO").is_ok());
        assert!(check_suffix("CONSUMER.PAUSE.S.C").is_ok());
        for bad in ["", ".INFO", "INFO.", "A..B", "A B", "STREAM.INFO.*", "X.>"] {
            assert!(check_suffix(bad).is_err(), "{}", bad);
        }
        assert!(check_body("").is_ok());
        assert!(check_body("{\"seq\":1}").is_ok());
        assert!(check_body("{seq").is_err());
    }
}
