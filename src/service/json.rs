//! The discovery replies, field for field as nats.go's `micro` and nats-py's `micro` send them.

use std::collections::BTreeMap;

use serde::Serialize;

use super::ServiceConfig;

pub const PING_RESPONSE_TYPE: &str = "io.nats.micro.v1.ping_response";
pub const INFO_RESPONSE_TYPE: &str = "io.nats.micro.v1.info_response";
pub const STATS_RESPONSE_TYPE: &str = "io.nats.micro.v1.stats_response";

#[derive(Debug, Clone, Serialize)]
pub struct ServicePing {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub name: String,
    pub id: String,
    pub version: String,
    pub metadata: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EndpointInfo {
    pub name: String,
    pub subject: String,
    pub queue_group: String,
    /// `null` when the endpoint has none, as nats.go and nats-py send it (a service's own
    /// metadata is always an object).
    #[serde(serialize_with = "empty_as_null")]
    pub metadata: BTreeMap<String, String>,
}

fn empty_as_null<S: serde::Serializer>(m: &BTreeMap<String, String>, s: S) -> Result<S::Ok, S::Error> {
    if m.is_empty() {
        s.serialize_none()
    } else {
        s.collect_map(m)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceInfo {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub name: String,
    pub id: String,
    pub version: String,
    pub metadata: BTreeMap<String, String>,
    pub description: String,
    pub endpoints: Vec<EndpointInfo>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EndpointStats {
    pub name: String,
    pub subject: String,
    pub queue_group: String,
    pub num_requests: u64,
    pub num_errors: u64,
    pub last_error: String,
    /// Total time in handlers, ns.
    pub processing_time: u64,
    /// ns.
    pub average_processing_time: u64,
    pub data: serde_json::Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceStats {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub name: String,
    pub id: String,
    pub version: String,
    pub metadata: BTreeMap<String, String>,
    /// RFC 3339, UTC.
    pub started: String,
    pub endpoints: Vec<EndpointStats>,
}

impl ServicePing {
    pub(super) fn new(cfg: &ServiceConfig, id: &str) -> ServicePing {
        ServicePing {
            kind: PING_RESPONSE_TYPE,
            name: cfg.name.clone(),
            id: id.to_string(),
            version: cfg.version.clone(),
            metadata: cfg.metadata.clone(),
        }
    }
}

impl ServiceInfo {
    pub(super) fn new(cfg: &ServiceConfig, id: &str, endpoints: Vec<EndpointInfo>) -> ServiceInfo {
        ServiceInfo {
            kind: INFO_RESPONSE_TYPE,
            name: cfg.name.clone(),
            id: id.to_string(),
            version: cfg.version.clone(),
            metadata: cfg.metadata.clone(),
            description: cfg.description.clone(),
            endpoints,
        }
    }
}

impl ServiceStats {
    pub(super) fn new(cfg: &ServiceConfig, id: &str, started: String, endpoints: Vec<EndpointStats>) -> ServiceStats {
        ServiceStats {
            kind: STATS_RESPONSE_TYPE,
            name: cfg.name.clone(),
            id: id.to_string(),
            version: cfg.version.clone(),
            metadata: cfg.metadata.clone(),
            started,
            endpoints,
        }
    }
}
