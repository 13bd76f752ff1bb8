//! Consumers: config and info types, management calls.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::api::SuccessResponse;
use super::stream::LIST_PAGE_GUARD;
use super::{check_name, nanos, JetStream};
use crate::error::{err, Result};

/// Ack policy used by the subscribe helpers when the config leaves it unset.
///
/// cbindgen:ignore
pub const DEFAULT_ACK_POLICY: AckPolicy = AckPolicy::Explicit;
/// Inactivity after which the server removes an ephemeral pull consumer made by `pull_subscribe`.
pub const DEFAULT_EPHEMERAL_INACTIVE_THRESHOLD: Duration = Duration::from_secs(5 * 60);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliverPolicy {
    All,
    Last,
    New,
    ByStartSequence,
    ByStartTime,
    LastPerSubject,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AckPolicy {
    None,
    All,
    Explicit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReplayPolicy {
    Instant,
    Original,
}

/// A consumer config: the common fields typed, every other field of the server's JSON in `extra`.
/// Unset fields are left out of the JSON, so the server applies its defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConsumerConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub durable_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deliver_policy: Option<DeliverPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opt_start_seq: Option<u64>,
    /// RFC 3339 start time for `ByStartTime`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opt_start_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack_policy: Option<AckPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nanos::opt")]
    pub ack_wait: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_deliver: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nanos::vec")]
    pub backoff: Option<Vec<Duration>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter_subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter_subjects: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replay_policy: Option<ReplayPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_waiting: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_ack_pending: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers_only: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_batch: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nanos::opt")]
    pub max_expires: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_bytes: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nanos::opt")]
    pub inactive_threshold: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_replicas: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mem_storage: Option<bool>,
    /// Push consumers only: where the server delivers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deliver_subject: Option<String>,
    /// Push consumers only: queue group of the subscribers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deliver_group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_control: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nanos::opt")]
    pub idle_heartbeat: Option<Duration>,
    /// Every other field (rate_limit_bps, sample_freq, metadata, priority groups, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ConsumerConfig {
    /// A durable consumer config with everything else left to the server.
    pub fn durable(name: &str) -> ConsumerConfig {
        ConsumerConfig { durable_name: Some(name.to_string()), ..Default::default() }
    }
    pub fn from_json(json: &str) -> Result<ConsumerConfig> {
        serde_json::from_str(json).map_err(|e| err!(InvalidArgument, "bad consumer config JSON: {}", e))
    }
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("consumer config serializes")
    }
    /// The consumer's name: `name`, else `durable_name`.
    pub fn consumer_name(&self) -> Option<&str> {
        self.name.as_deref().or(self.durable_name.as_deref()).filter(|s| !s.is_empty())
    }
}

/// Delivered / ack-floor sequences in [`ConsumerInfo`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SequenceInfo {
    #[serde(default)]
    pub consumer_seq: u64,
    #[serde(default)]
    pub stream_seq: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_active: Option<String>,
}

/// Reply of consumer create/info.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConsumerInfo {
    pub stream_name: String,
    pub name: String,
    #[serde(default)]
    pub created: String,
    pub config: ConsumerConfig,
    #[serde(default)]
    pub delivered: SequenceInfo,
    #[serde(default)]
    pub ack_floor: SequenceInfo,
    #[serde(default)]
    pub num_ack_pending: u64,
    #[serde(default)]
    pub num_redelivered: u64,
    #[serde(default)]
    pub num_waiting: u64,
    #[serde(default)]
    pub num_pending: u64,
    #[serde(default)]
    pub push_bound: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ConsumerInfo {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("consumer info serializes")
    }
}

#[derive(Deserialize)]
struct NamesPage {
    #[serde(default)]
    total: usize,
    #[serde(default)]
    consumers: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct ListPage {
    #[serde(default)]
    total: usize,
    #[serde(default)]
    consumers: Option<Vec<ConsumerInfo>>,
}

impl JetStream {
    /// `action`: "create" (fail if it exists with another config), "update" (fail if it does
    /// not exist) or "" (create or update).
    pub(crate) fn create_consumer_action(&self, stream: &str, cfg: &ConsumerConfig, action: &str) -> Result<ConsumerInfo> {
        check_name("stream", stream)?;
        if let (Some(d), Some(n)) = (cfg.durable_name.as_deref(), cfg.name.as_deref()) {
            if !d.is_empty() && !n.is_empty() && d != n {
                return Err(err!(InvalidArgument, "consumer name '{}' and durable name '{}' differ", n, d));
            }
        }
        let mut body = json!({ "stream_name": stream, "config": cfg });
        if !action.is_empty() {
            body["action"] = json!(action);
        }
        let body = body.to_string();
        let op = match cfg.consumer_name() {
            Some(name) => {
                check_name("consumer", name)?;
                match cfg.filter_subject.as_deref() {
                    Some(f) if !f.is_empty() && cfg.filter_subjects.as_ref().is_none_or(|v| v.is_empty()) => {
                        format!("CONSUMER.CREATE.{}.{}.{}", stream, name, f)
                    }
                    _ => format!("CONSUMER.CREATE.{}.{}", stream, name),
                }
            }
            None => format!("CONSUMER.CREATE.{}", stream),
        };
        self.api_request(&op, body.as_bytes())
    }

    /// Creates a consumer, or returns the existing one when its config is the same (nats.go
    /// `AddConsumer`). Durable when `durable_name` is set, else ephemeral (or named by `name`).
    pub fn add_consumer(&self, stream: &str, cfg: &ConsumerConfig) -> Result<ConsumerInfo> {
        self.create_consumer_action(stream, cfg, "create")
    }

    /// Creates a consumer from the server's JSON config.
    pub fn add_consumer_json(&self, stream: &str, json: &str) -> Result<ConsumerInfo> {
        self.add_consumer(stream, &ConsumerConfig::from_json(json)?)
    }

    /// Updates an existing consumer (10149 when it does not exist).
    pub fn update_consumer(&self, stream: &str, cfg: &ConsumerConfig) -> Result<ConsumerInfo> {
        if cfg.consumer_name().is_none() {
            return Err(err!(InvalidArgument, "update_consumer needs a durable or consumer name"));
        }
        self.create_consumer_action(stream, cfg, "update")
    }

    /// Creates a consumer or updates the existing one.
    pub fn create_or_update_consumer(&self, stream: &str, cfg: &ConsumerConfig) -> Result<ConsumerInfo> {
        self.create_consumer_action(stream, cfg, "")
    }

    pub fn consumer_info(&self, stream: &str, consumer: &str) -> Result<ConsumerInfo> {
        check_name("stream", stream)?;
        check_name("consumer", consumer)?;
        self.api_request(&format!("CONSUMER.INFO.{}.{}", stream, consumer), b"")
    }

    pub fn delete_consumer(&self, stream: &str, consumer: &str) -> Result<()> {
        check_name("stream", stream)?;
        check_name("consumer", consumer)?;
        let r: SuccessResponse = self.api_request(&format!("CONSUMER.DELETE.{}.{}", stream, consumer), b"")?;
        if !r.success {
            return Err(err!(Jetstream, "consumer '{}' of stream '{}' was not deleted", consumer, stream));
        }
        Ok(())
    }

    /// Names of all consumers of a stream.
    pub fn consumer_names(&self, stream: &str) -> Result<Vec<String>> {
        check_name("stream", stream)?;
        let mut out = Vec::new();
        for _ in 0..LIST_PAGE_GUARD {
            let body = json!({ "offset": out.len() }).to_string();
            let page: NamesPage = self.api_request(&format!("CONSUMER.NAMES.{}", stream), body.as_bytes())?;
            let items = page.consumers.unwrap_or_default();
            let n = items.len();
            out.extend(items);
            if n == 0 || out.len() >= page.total {
                break;
            }
        }
        Ok(out)
    }

    /// Info of all consumers of a stream.
    pub fn consumers(&self, stream: &str) -> Result<Vec<ConsumerInfo>> {
        check_name("stream", stream)?;
        let mut out = Vec::new();
        for _ in 0..LIST_PAGE_GUARD {
            let body = json!({ "offset": out.len() }).to_string();
            let page: ListPage = self.api_request(&format!("CONSUMER.LIST.{}", stream), body.as_bytes())?;
            let items = page.consumers.unwrap_or_default();
            let n = items.len();
            out.extend(items);
            if n == 0 || out.len() >= page.total {
                break;
            }
        }
        Ok(out)
    }
}
