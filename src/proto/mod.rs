//! NATS client wire protocol: incremental zero-copy parser for server frames,
//! encoders for client frames, header blocks, subject validation and the
//! INFO / CONNECT JSON documents.
//!
//! This module is self-contained: it only refers to itself through `super::` /
//! `self::` paths, so it can be compiled on its own (see the proto scratch crate
//! and the fuzz targets in `fuzz/`).

pub mod encode;
pub mod headers;
pub mod info;
pub mod parser;
pub mod pub_wire;
pub mod subject;

pub use headers::{HeaderError, HeaderMap};
pub use info::{ConnectInfo, ServerInfo};
pub use parser::{Frame, Op, Parser, ProtoError};

#[cfg(test)]
mod tests;
