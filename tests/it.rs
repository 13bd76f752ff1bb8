//! One integration-test crate for the files that can share a process (`cargo test --release
//! --test it`; one file's tests: `cargo test --release --test it jetstream::`). One crate links
//! the library once, where one crate per file linked it (with LTO) two dozen times: that link
//! time was most of the Rust CI stage.
//!
//! Files whose tests need a process of their own stay separate crates (see `[[test]]` in
//! Cargo.toml): `shutdown.rs` stops the shared runtime; `delivery_pool.rs` counts the process's
//! threads; `soak.rs`, `hostile.rs` and `object_store.rs` measure its RSS or open files.

mod common;
mod peer;
mod security_support;

#[path = "binding_support.rs"]
mod binding_support;
#[path = "cluster.rs"]
mod cluster;
#[path = "core.rs"]
mod core_msgs;
#[path = "defaults_docs.rs"]
mod defaults_docs;
#[path = "faults.rs"]
mod faults;
#[path = "ffi_callbacks.rs"]
mod ffi_callbacks;
#[path = "files.rs"]
mod files;
#[path = "harness_selftest.rs"]
mod harness_selftest;
#[path = "inline_read.rs"]
mod inline_read;
#[path = "jetstream.rs"]
mod jetstream;
#[path = "jetstream_async.rs"]
mod jetstream_async;
#[path = "jetstream_fetch_async.rs"]
mod jetstream_fetch_async;
#[path = "jetstream_handles.rs"]
mod jetstream_handles;
#[path = "kv.rs"]
mod kv;
#[path = "kv_ffi.rs"]
mod kv_ffi;
#[path = "reconnect.rs"]
mod reconnect;
#[path = "security.rs"]
mod security;
#[path = "service.rs"]
mod service;
#[path = "urls.rs"]
mod urls;
