//! libnatsrs: a NATS client core with a C ABI.
//!
//! Layers: [`proto`] (wire protocol), the core ([`connection`], [`options`], [`msg`]) usable as a
//! Rust crate, and `ffi` (the C API, see `include/natsrs.h`).
//!
//! In the Rust API a [`Connection`] is a cheap handle: clones share one connection, and dropping
//! them does not close it (its I/O task keeps running, reconnecting if needed). Call
//! [`Connection::close`] or [`Connection::drain`] when done. The C API's
//! `natsrs_connection_free` closes for you.

// Unsafe code (all of it in `src/ffi` plus the eventfd calls of the engine): every unsafe
// operation sits in its own `unsafe` block, and every such block says why it is sound.
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

pub mod auth;
pub mod connection;
pub mod error;
pub mod ffi;
pub(crate) mod files;
pub mod jetstream;
pub mod kv;
pub mod msg;
pub(crate) mod nuid;
pub mod object_store;
pub mod options;
pub mod proto;
pub mod runtime;
pub mod service;
pub mod tls;

pub use connection::{Connection, ConnectionStatus, Statistics, Subscription};
pub use error::{Error, Result, Status};
pub use msg::Msg;
pub use options::Options;
