//! libnatsrs: a NATS client core with a C ABI.
//!
//! Layers: [`proto`] (wire protocol), the core ([`connection`], [`options`], [`msg`]) usable as a
//! Rust crate, and `ffi` (the C API, see `include/natsrs.h`).

pub mod auth;
pub mod connection;
pub mod error;
pub mod ffi;
pub mod msg;
pub mod options;
pub mod proto;
pub mod runtime;
pub mod tls;

pub use connection::{Connection, ConnectionStatus, Statistics, Subscription};
pub use error::{Error, Result, Status};
pub use msg::Msg;
pub use options::Options;
