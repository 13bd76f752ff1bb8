//! JetStream: a context over a [`Connection`] for stream/consumer management, publishing with
//! acknowledgements, push and pull consumers and message acks.
//!
//! Everything here uses only the connection's public API (request/reply to `$JS.API.*`,
//! subscriptions, headers), see `/work/shared/protocol.md` §2.
//!
//! Configs and results are the server's own JSON: the typed structs ([`StreamConfig`],
//! [`ConsumerConfig`], [`StreamInfo`], ...) have public fields for the common keys and keep every
//! other key in `extra`, so unknown and future fields round-trip. Durations are [`Duration`] in
//! Rust and integer nanoseconds in the JSON.
//!
//! The seed README's JetStream snippets in Rust:
//!
//! ```no_run
//! use std::time::Duration;
//! use natsrs::jetstream::*;
//! # fn main() -> natsrs::Result<()> {
//! let nc = natsrs::Connection::connect_to("nats://127.0.0.1:4222")?;
//! let js = JetStream::with_options(&nc, JetStreamOptions { publish_async_max_pending: 256, ..Default::default() })?;
//! js.add_stream(&StreamConfig::new("ORDERS", &["ORDERS.*"]))?;
//! js.publish("ORDERS.scratch", b"hello")?;
//! for _ in 0..500 {
//!     js.publish_async("ORDERS.scratch", b"hello", None)?;
//! }
//! js.publish_async_complete(Duration::from_secs(5))?;
//! let _push = js.subscribe("ORDERS.*", Box::new(|m: JsMsg| println!("{:?}", m.data())), SubscribeOptions::default())?;
//! let mut o = SubscribeOptions { durable: Some("MONITOR".into()), ..Default::default() };
//! o.config.max_deliver = Some(3);
//! let sync = js.subscribe_sync("ORDERS.*", o)?;
//! let m = sync.next_msg(Duration::from_secs(1))?;
//! m.ack()?;
//! sync.unsubscribe()?;
//! let pull = js.pull_subscribe("ORDERS.*", Some("MONITOR2"), SubscribeOptions::default())?;
//! for m in pull.fetch(10, Duration::from_secs(1))? {
//!     m.ack()?;
//! }
//! pull.drain(Duration::from_secs(1))?;
//! js.add_consumer("ORDERS", &ConsumerConfig::durable("MONITOR3"))?;
//! js.delete_consumer("ORDERS", "MONITOR3")?;
//! js.delete_stream("ORDERS")?;
//! # Ok(())
//! # }
//! ```
//!
//! Threading: callbacks (push subscription handlers, async publish completions, `consume`
//! handlers) never run on the library's I/O threads; each runs on a dispatcher thread of its own
//! subscription or consumer, as for core subscriptions.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use crate::connection::Connection;
use crate::error::{err, Result};

pub mod api;
pub mod async_publish;
pub mod consume;
pub mod consumer;
mod fetch_async;
pub mod jsmsg;
pub mod ordered;
pub mod publish;
pub mod pull;
pub mod push;
pub mod stream;
#[cfg(test)]
mod tests;

pub use api::{error_codes, AccountInfo, AccountLimits, ApiError, ApiStats};
pub use async_publish::{PubAckCallback, PubAckFuture};
pub use consume::{ConsumeContext, ConsumeErrorHandler, ConsumeOptions, ConsumerHandle, Messages, StopHandle};
pub use consumer::{AckPolicy, ConsumerConfig, ConsumerInfo, DeliverPolicy, ReplayPolicy, SequenceInfo};
pub use jsmsg::{JsMsg, MsgMetadata};
pub use ordered::{OrderedConsumer, OrderedConsumerOptions, OrderedCurrent};
pub use publish::{PubAck, PublishOptions};
pub use pull::{FetchOptions, PullSubscription};
pub use push::{JsMsgHandler, PushSubscription, SubscribeOptions};
pub use stream::{
    DiscardPolicy, PurgeOptions, RetentionPolicy, StorageType, StoredMsg, StreamConfig, StreamHandle, StreamInfo, StreamState,
};

/// API subject prefix without a domain.
pub const DEFAULT_API_PREFIX: &str = "$JS.API";
/// Timeout of API requests and synchronous publishes.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Outstanding async publishes allowed before `publish_async` blocks (nats.go: 4000).
pub const DEFAULT_PUBLISH_ASYNC_MAX_PENDING: usize = 4000;
/// How long `publish_async` blocks for a free slot before failing (nats.go: 200 ms).
pub const DEFAULT_PUBLISH_ASYNC_STALL_WAIT: Duration = Duration::from_millis(200);
/// Retries of a synchronous publish answered by "no responders" (no stream or no leader yet).
pub const DEFAULT_PUBLISH_RETRY_ATTEMPTS: u32 = 2;
/// Wait between those retries.
pub const DEFAULT_PUBLISH_RETRY_WAIT: Duration = Duration::from_millis(250);

/// Options of a [`JetStream`] context.
#[derive(Debug, Clone)]
pub struct JetStreamOptions {
    /// API subject prefix (default `$JS.API`); e.g. `JS.acc1.API` for an imported account.
    /// Ignored when `domain` is set.
    pub api_prefix: String,
    /// JetStream domain: the prefix becomes `$JS.<domain>.API`.
    pub domain: Option<String>,
    /// Timeout of API calls and synchronous publishes, and default ack timeout of async publishes.
    pub timeout: Duration,
    /// At most this many async publishes wait for their ack.
    pub publish_async_max_pending: usize,
    /// How long `publish_async` waits for a free slot before failing.
    pub publish_async_stall_wait: Duration,
}

impl Default for JetStreamOptions {
    fn default() -> Self {
        JetStreamOptions {
            api_prefix: DEFAULT_API_PREFIX.to_string(),
            domain: None,
            timeout: DEFAULT_TIMEOUT,
            publish_async_max_pending: DEFAULT_PUBLISH_ASYNC_MAX_PENDING,
            publish_async_stall_wait: DEFAULT_PUBLISH_ASYNC_STALL_WAIT,
        }
    }
}

pub(crate) struct JsInner {
    pub conn: Connection,
    pub opts: JetStreamOptions,
    /// API prefix with a trailing dot, e.g. `$JS.API.`.
    pub prefix: String,
    pub async_pub: Mutex<Option<Arc<async_publish::AsyncPublisher>>>,
}

/// A JetStream context (cheap to clone; clones share the async-publish window).
#[derive(Clone)]
pub struct JetStream(pub(crate) Arc<JsInner>);

impl std::fmt::Debug for JetStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JetStream").field("prefix", &self.0.prefix).finish()
    }
}

impl JetStream {
    /// A context with default options.
    pub fn new(conn: &Connection) -> JetStream {
        Self::with_options(conn, JetStreamOptions::default()).expect("default options are valid")
    }

    /// A context with these options.
    pub fn with_options(conn: &Connection, opts: JetStreamOptions) -> Result<JetStream> {
        if opts.timeout.is_zero() {
            return Err(err!(InvalidArgument, "JetStream timeout must be positive"));
        }
        if opts.publish_async_max_pending == 0 {
            return Err(err!(InvalidArgument, "publish_async_max_pending must be at least 1"));
        }
        let prefix = match &opts.domain {
            Some(d) if !d.is_empty() => {
                if d.contains(|c: char| c == '.' || c == '*' || c == '>' || c.is_whitespace()) {
                    return Err(err!(InvalidArgument, "invalid JetStream domain '{}'", d));
                }
                format!("$JS.{}.API.", d)
            }
            _ => {
                let p = opts.api_prefix.trim_end_matches('.');
                if p.is_empty() {
                    return Err(err!(InvalidArgument, "JetStream API prefix is empty"));
                }
                format!("{}.", p)
            }
        };
        Ok(JetStream(Arc::new(JsInner { conn: conn.clone(), opts, prefix, async_pub: Mutex::new(None) })))
    }

    /// The connection this context uses.
    pub fn connection(&self) -> &Connection {
        &self.0.conn
    }

    /// The options of this context.
    pub fn options(&self) -> &JetStreamOptions {
        &self.0.opts
    }

    /// The API prefix with its trailing dot (e.g. `$JS.API.` or `$JS.hub.API.`).
    pub fn api_prefix(&self) -> &str {
        &self.0.prefix
    }

    pub(crate) fn timeout(&self) -> Duration {
        self.0.opts.timeout
    }
}

/// Checks a stream or consumer name (ADR-6: no blanks, dots, wildcards or path separators).
pub(crate) fn check_name(kind: &str, name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(err!(InvalidArgument, "{} name is required", kind));
    }
    if name.chars().any(|c| matches!(c, '.' | '*' | '>' | '/' | '\\') || c.is_whitespace() || c.is_control()) {
        return Err(err!(InvalidArgument, "invalid {} name '{}'", kind, name));
    }
    Ok(())
}

/// Serde helpers: durations as integer nanoseconds.
pub(crate) mod nanos {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn to_ns(d: &Duration) -> u64 {
        d.as_nanos().min(i64::MAX as u128) as u64
    }

    pub mod opt {
        use super::*;
        pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
            match d {
                Some(d) => s.serialize_u64(to_ns(d)),
                None => s.serialize_none(),
            }
        }
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
            let v: Option<i64> = Option::deserialize(d)?;
            Ok(v.map(|n| Duration::from_nanos(n.max(0) as u64)))
        }
    }

    pub mod vec {
        use super::*;
        use serde::ser::SerializeSeq;
        pub fn serialize<S: Serializer>(v: &Option<Vec<Duration>>, s: S) -> Result<S::Ok, S::Error> {
            match v {
                Some(v) => {
                    let mut seq = s.serialize_seq(Some(v.len()))?;
                    for d in v {
                        seq.serialize_element(&to_ns(d))?;
                    }
                    seq.end()
                }
                None => s.serialize_none(),
            }
        }
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<Duration>>, D::Error> {
            let v: Option<Vec<i64>> = Option::deserialize(d)?;
            Ok(v.map(|v| v.into_iter().map(|n| Duration::from_nanos(n.max(0) as u64)).collect()))
        }
    }
}
