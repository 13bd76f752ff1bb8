//! The key-value C API on an R3 bucket of a 3-node cluster, through the exported C functions:
//! create with 3 replicas, put, compare-and-set and its status, delete and the deleted status,
//! a watcher fed by writes made through another node, and a get answered by every node.

use crate::common;

use std::ffi::{c_char, CStr, CString};
use std::ptr::null_mut;
use std::time::Duration;

use common::NatsCluster;
use natsrs::ffi::connection::{natsrs_connection, natsrs_connection_connect_to, natsrs_connection_free};
use natsrs::ffi::jetstream::{natsrs_jetstream, natsrs_jetstream_free, natsrs_jetstream_new};
use natsrs::ffi::kv::*;
use natsrs::ffi::kv_config::*;
use natsrs::ffi::kv_entry::*;
use natsrs::ffi::kv_watch::*;
use natsrs::ffi::service::natsrs_string_free;
use natsrs::ffi::status::{natsrs_last_error_message, natsrs_status};

const OK: natsrs_status = natsrs_status::Ok;

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

fn last_error() -> String {
    // SAFETY: the library returns this thread's NUL-terminated last-error text; copied at once.
    unsafe { CStr::from_ptr(natsrs_last_error_message()) }.to_string_lossy().into_owned()
}

/// A connection and a JetStream context on `urls`.
fn connect(urls: &str) -> (*mut natsrs_connection, *mut natsrs_jetstream) {
    let (mut nc, mut js) = (null_mut(), null_mut());
    // SAFETY: valid C strings and out-pointers.
    unsafe {
        assert_eq!(natsrs_connection_connect_to(c(urls).as_ptr(), &mut nc), OK, "{}", last_error());
        assert_eq!(natsrs_jetstream_new(nc, std::ptr::null(), &mut js), OK, "{}", last_error());
    }
    (nc, js)
}

/// The value of an entry handle.
fn value(e: *const natsrs_kv_entry) -> Vec<u8> {
    // SAFETY: `e` is a live entry; value points to value_len readable bytes.
    unsafe { std::slice::from_raw_parts(natsrs_kv_entry_value(e), natsrs_kv_entry_value_len(e)).to_vec() }
}

/// The next watcher event: Some(key, operation) or None for the initial-values marker.
fn next(w: *mut natsrs_kv_watcher) -> Option<(String, natsrs_kv_operation)> {
    let mut e = null_mut();
    // SAFETY: `w` is a live watcher and `e` a valid out-pointer; the entry is freed here.
    unsafe {
        assert_eq!(natsrs_kv_watcher_next(w, 10_000, &mut e), OK, "{}", last_error());
        if e.is_null() {
            return None;
        }
        let r = (CStr::from_ptr(natsrs_kv_entry_key(e)).to_str().unwrap().to_string(), natsrs_kv_entry_operation(e));
        natsrs_kv_entry_free(e);
        Some(r)
    }
}

#[test]
fn r3_bucket_through_the_c_api() {
    let cluster = NatsCluster::start_jetstream(3);
    let (nc, js) = connect(&cluster.url_list());
    let bucket = c("r3c");
    // SAFETY: every handle below is live between its creation and its free; strings are C
    // strings that outlive the calls; out-pointers are valid locals.
    unsafe {
        let mut cfg = null_mut();
        assert_eq!(natsrs_kv_config_new(bucket.as_ptr(), &mut cfg), OK);
        assert_eq!(natsrs_kv_config_set_replicas(cfg, 3), OK);
        assert_eq!(natsrs_kv_config_set_history(cfg, 3), OK);
        // The cluster may still be electing its meta leader: retry for a while.
        let mut kv = null_mut();
        let created = (0..50).any(|_| {
            natsrs_jetstream_create_kv(js, cfg, &mut kv) == OK || {
                std::thread::sleep(Duration::from_millis(200));
                false
            }
        });
        assert!(created, "create R3 bucket: {}", last_error());
        natsrs_kv_config_free(cfg);

        let mut st = null_mut();
        assert_eq!(natsrs_kv_bucket_status(kv, &mut st), OK);
        let mut got = null_mut();
        assert_eq!(natsrs_kv_status_config(st, &mut got), OK);
        let mut json: *mut c_char = null_mut();
        assert_eq!(natsrs_kv_config_to_json(got, &mut json), OK);
        let text = CStr::from_ptr(json).to_str().unwrap().to_string();
        assert!(text.contains("\"num_replicas\":3") && text.contains("\"history\":3"), "{}", text);
        natsrs_string_free(json);
        natsrs_kv_config_free(got);
        natsrs_kv_status_free(st);

        let (mut r1, mut r2) = (0u64, 0u64);
        assert_eq!(natsrs_kv_put(kv, c("k").as_ptr(), b"v1".as_ptr(), 2, &mut r1), OK);
        assert_eq!(natsrs_kv_update(kv, c("k").as_ptr(), b"v2".as_ptr(), 2, r1, &mut r2), OK);
        assert_eq!(natsrs_kv_update(kv, c("k").as_ptr(), b"v3".as_ptr(), 2, r1, null_mut()), natsrs_status::WrongRevision);
        let mut e = null_mut();
        assert_eq!(natsrs_kv_get(kv, c("k").as_ptr(), &mut e), OK);
        assert_eq!((value(e), natsrs_kv_entry_revision(e)), (b"v2".to_vec(), r2));
        natsrs_kv_entry_free(e);

        let mut w = null_mut();
        assert_eq!(natsrs_kv_watch_all(kv, std::ptr::null(), &mut w), OK);
        assert_eq!(next(w), Some(("k".to_string(), natsrs_kv_operation::Put)));
        assert_eq!(next(w), None);
        assert_eq!(natsrs_kv_delete(kv, c("k").as_ptr(), 0), OK);
        assert_eq!(next(w), Some(("k".to_string(), natsrs_kv_operation::Delete)));

        // Every node answers; a write through one node reaches the watcher.
        for url in cluster.urls() {
            let (nc2, js2) = connect(&url);
            let mut kv2 = null_mut();
            assert_eq!(natsrs_jetstream_bind_kv(js2, bucket.as_ptr(), &mut kv2), OK, "{}", last_error());
            assert_eq!(natsrs_kv_get(kv2, c("k").as_ptr(), &mut e), natsrs_status::KeyDeleted);
            assert_eq!(natsrs_kv_get_revision(kv2, c("k").as_ptr(), r1, &mut e), OK);
            assert_eq!(value(e), b"v1");
            natsrs_kv_entry_free(e);
            let key = c(&format!("n{}", url.rsplit(':').next().unwrap()));
            assert_eq!(natsrs_kv_create(kv2, key.as_ptr(), b"x".as_ptr(), 1, null_mut()), OK);
            assert_eq!(next(w), Some((key.to_str().unwrap().to_string(), natsrs_kv_operation::Put)));
            natsrs_kv_free(kv2);
            natsrs_jetstream_free(js2);
            natsrs_connection_free(nc2);
        }
        natsrs_kv_watcher_free(w);
        natsrs_kv_free(kv);
        natsrs_jetstream_free(js);
        natsrs_connection_free(nc);
    }
}
