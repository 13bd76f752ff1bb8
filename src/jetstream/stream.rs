//! Streams: config and info types, management calls, message get and direct get.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::api::SuccessResponse;
use super::{check_name, nanos, JetStream};
use crate::error::{err, Error, Result, Status};
use crate::msg::Msg;
use crate::proto::HeaderMap;

/// Page size the server uses for stream and consumer lists (names: 1024, infos: 256); paging
/// continues while `offset < total` whatever the page size is.
pub(crate) const LIST_PAGE_GUARD: usize = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RetentionPolicy {
    Limits,
    Interest,
    Workqueue,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageType {
    File,
    Memory,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiscardPolicy {
    Old,
    New,
}

/// A stream config: the common fields typed, every other field of the server's JSON in `extra`.
/// Unset fields are left out of the JSON, so the server applies its defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StreamConfig {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subjects: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<RetentionPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<StorageType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_replicas: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_consumers: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_msgs: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_bytes: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nanos::opt")]
    pub max_age: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_msgs_per_subject: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_msg_size: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discard: Option<DiscardPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nanos::opt")]
    pub duplicate_window: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_direct: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_rollup_hdrs: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny_delete: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny_purge: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_ack: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed: Option<bool>,
    /// Every other field (mirror, sources, placement, republish, metadata, ...), as the server's JSON.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl StreamConfig {
    /// A config with a name and subjects; everything else is the server's default.
    pub fn new(name: &str, subjects: &[&str]) -> StreamConfig {
        StreamConfig { name: name.to_string(), subjects: subjects.iter().map(|s| s.to_string()).collect(), ..Default::default() }
    }
    /// Parses the server's JSON form.
    pub fn from_json(json: &str) -> Result<StreamConfig> {
        serde_json::from_str(json).map_err(|e| err!(InvalidArgument, "bad stream config JSON: {}", e))
    }
    /// The server's JSON form.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("stream config serializes")
    }
}

/// Stream state inside [`StreamInfo`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StreamState {
    #[serde(default)]
    pub messages: u64,
    #[serde(default)]
    pub bytes: u64,
    #[serde(default)]
    pub first_seq: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_ts: Option<String>,
    #[serde(default)]
    pub last_seq: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_ts: Option<String>,
    #[serde(default)]
    pub consumer_count: u64,
    #[serde(default)]
    pub num_deleted: u64,
    #[serde(default)]
    pub num_subjects: u64,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Reply of stream create/update/info.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StreamInfo {
    pub config: StreamConfig,
    #[serde(default)]
    pub created: String,
    #[serde(default)]
    pub state: StreamState,
    /// Cluster info (leader, replicas) as the server's JSON, when clustered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl StreamInfo {
    /// The server's JSON form.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("stream info serializes")
    }
    /// Name of the cluster leader of this stream, when clustered.
    pub fn leader(&self) -> Option<&str> {
        self.cluster.as_ref()?.get("leader")?.as_str()
    }
}

/// What a purge removes (all empty = the whole stream).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PurgeOptions {
    /// Only messages on this subject (wildcards allowed).
    #[serde(rename = "filter", skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Remove messages with a sequence below this one.
    #[serde(rename = "seq", skip_serializing_if = "Option::is_none")]
    pub up_to_seq: Option<u64>,
    /// Keep this many of the newest messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep: Option<u64>,
}

/// A message read from a stream (get or direct get).
#[derive(Debug, Clone)]
pub struct StoredMsg {
    pub subject: String,
    pub seq: u64,
    /// RFC 3339 time the stream stored the message.
    pub time: String,
    /// The message's own headers (None when it had none).
    pub headers: Option<HeaderMap>,
    pub data: Vec<u8>,
}

#[derive(Deserialize)]
struct RawStoredMsg {
    subject: String,
    seq: u64,
    #[serde(default)]
    hdrs: Option<String>,
    #[serde(default)]
    data: Option<String>,
    #[serde(default)]
    time: String,
}

#[derive(Deserialize)]
struct MsgGetResponse {
    message: RawStoredMsg,
}

#[derive(Deserialize)]
struct PurgeResponse {
    #[serde(default)]
    purged: u64,
}

#[derive(Deserialize)]
struct NamesPage {
    #[serde(default)]
    total: usize,
    #[serde(default)]
    streams: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct ListPage {
    #[serde(default)]
    total: usize,
    #[serde(default)]
    streams: Option<Vec<StreamInfo>>,
}

fn b64(s: &str) -> Result<Vec<u8>> {
    data_encoding::BASE64.decode(s.as_bytes()).map_err(|e| err!(Jetstream, "bad base64 in stored message: {}", e))
}

impl JetStream {
    fn stream_write(&self, op: &str, cfg: &StreamConfig) -> Result<StreamInfo> {
        check_name("stream", &cfg.name)?;
        let body = serde_json::to_vec(cfg).expect("stream config serializes");
        self.api_request(&format!("STREAM.{}.{}", op, cfg.name), &body)
    }

    /// Creates a stream (`10058` "stream name already in use" if one exists with another config).
    pub fn add_stream(&self, cfg: &StreamConfig) -> Result<StreamInfo> {
        self.stream_write("CREATE", cfg)
    }

    /// Creates a stream from the server's JSON config (every field the server knows works).
    pub fn add_stream_json(&self, json: &str) -> Result<StreamInfo> {
        self.add_stream(&StreamConfig::from_json(json)?)
    }

    /// Replaces a stream's config.
    pub fn update_stream(&self, cfg: &StreamConfig) -> Result<StreamInfo> {
        self.stream_write("UPDATE", cfg)
    }

    pub fn stream_info(&self, name: &str) -> Result<StreamInfo> {
        check_name("stream", name)?;
        self.api_request(&format!("STREAM.INFO.{}", name), b"")
    }

    /// Stream info with the per-subject message counts of the subjects matching `filter`
    /// (the server's `state.subjects` map, in `info.state.extra["subjects"]`).
    pub fn stream_info_subjects(&self, name: &str, filter: &str) -> Result<StreamInfo> {
        check_name("stream", name)?;
        let body = json!({ "subjects_filter": filter }).to_string();
        self.api_request(&format!("STREAM.INFO.{}", name), body.as_bytes())
    }

    pub fn delete_stream(&self, name: &str) -> Result<()> {
        check_name("stream", name)?;
        let r: SuccessResponse = self.api_request(&format!("STREAM.DELETE.{}", name), b"")?;
        if !r.success {
            return Err(err!(Jetstream, "stream '{}' was not deleted", name));
        }
        Ok(())
    }

    /// Removes every message of a stream; returns how many were removed.
    pub fn purge_stream(&self, name: &str) -> Result<u64> {
        self.purge_stream_with(name, &PurgeOptions::default())
    }

    /// Removes messages by subject, up to a sequence, or all but the newest `keep`.
    pub fn purge_stream_with(&self, name: &str, opts: &PurgeOptions) -> Result<u64> {
        check_name("stream", name)?;
        if opts.up_to_seq.is_some() && opts.keep.is_some() {
            return Err(err!(InvalidArgument, "purge: 'up_to_seq' and 'keep' exclude each other"));
        }
        let body = serde_json::to_vec(opts).expect("purge request serializes");
        let r: PurgeResponse = self.api_request(&format!("STREAM.PURGE.{}", name), &body)?;
        Ok(r.purged)
    }

    /// Names of all streams (`subject`: only streams that capture it).
    pub fn stream_names(&self, subject: Option<&str>) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for _ in 0..LIST_PAGE_GUARD {
            let mut body = json!({ "offset": out.len() });
            if let Some(s) = subject {
                body["subject"] = json!(s);
            }
            let page: NamesPage = self.api_request("STREAM.NAMES", body.to_string().as_bytes())?;
            let items = page.streams.unwrap_or_default();
            let n = items.len();
            out.extend(items);
            if n == 0 || out.len() >= page.total {
                break;
            }
        }
        Ok(out)
    }

    /// Info of all streams (`subject`: only streams that capture it).
    pub fn streams(&self, subject: Option<&str>) -> Result<Vec<StreamInfo>> {
        let mut out = Vec::new();
        for _ in 0..LIST_PAGE_GUARD {
            let mut body = json!({ "offset": out.len() });
            if let Some(s) = subject {
                body["subject"] = json!(s);
            }
            let page: ListPage = self.api_request("STREAM.LIST", body.to_string().as_bytes())?;
            let items = page.streams.unwrap_or_default();
            let n = items.len();
            out.extend(items);
            if n == 0 || out.len() >= page.total {
                break;
            }
        }
        Ok(out)
    }

    /// The name of the one stream that captures `subject` (error when none or several).
    pub fn stream_name_by_subject(&self, subject: &str) -> Result<String> {
        let mut names = self.stream_names(Some(subject))?;
        match names.len() {
            1 => Ok(names.remove(0)),
            0 => Err(err!(NotFound, "no stream matches subject '{}'", subject)),
            _ => Err(err!(Jetstream, "several streams match subject '{}': {}", subject, names.join(", "))),
        }
    }

    fn msg_get(&self, stream: &str, body: Value) -> Result<StoredMsg> {
        check_name("stream", stream)?;
        let r: MsgGetResponse = self.api_request(&format!("STREAM.MSG.GET.{}", stream), body.to_string().as_bytes())?;
        let m = r.message;
        let headers = match m.hdrs.as_deref() {
            Some(h) if !h.is_empty() => {
                let raw = b64(h)?;
                Some(HeaderMap::decode(&raw).map_err(|e| err!(Jetstream, "bad headers in stored message: {:?}", e))?)
            }
            _ => None,
        };
        let data = match m.data.as_deref() {
            Some(d) if !d.is_empty() => b64(d)?,
            _ => Vec::new(),
        };
        Ok(StoredMsg { subject: m.subject, seq: m.seq, time: m.time, headers, data })
    }

    /// The message with this stream sequence (`NotFound`, err_code 10037, when there is none).
    pub fn get_msg(&self, stream: &str, seq: u64) -> Result<StoredMsg> {
        self.msg_get(stream, json!({ "seq": seq }))
    }

    /// The newest message on `subject`.
    pub fn get_last_msg(&self, stream: &str, subject: &str) -> Result<StoredMsg> {
        self.msg_get(stream, json!({ "last_by_subj": subject }))
    }

    /// The first message with sequence `seq` or later whose subject matches `subject`
    /// (wildcards allowed; nats-py `get_msg(next=True)`, nats.go `GetNextByOpt`).
    pub fn get_next_msg(&self, stream: &str, seq: u64, subject: &str) -> Result<StoredMsg> {
        self.msg_get(stream, json!({ "seq": seq, "next_by_subj": subject }))
    }

    /// Deletes one message (`erase`: overwrite its bytes too).
    pub fn delete_msg(&self, stream: &str, seq: u64, erase: bool) -> Result<()> {
        check_name("stream", stream)?;
        let body = json!({ "seq": seq, "no_erase": !erase }).to_string();
        let r: SuccessResponse = self.api_request(&format!("STREAM.MSG.DELETE.{}", stream), body.as_bytes())?;
        if !r.success {
            return Err(err!(Jetstream, "message {} of stream '{}' was not deleted", seq, stream));
        }
        Ok(())
    }

    fn direct_get(&self, subject: String, body: &[u8]) -> Result<StoredMsg> {
        let m = self.0.conn.request(&subject, body, self.timeout()).map_err(|e| super::api::map_request_error(e, &subject))?;
        stored_from_direct(&m)
    }

    /// Direct get by sequence (stream must have `allow_direct`; any replica or mirror answers).
    pub fn direct_get_msg(&self, stream: &str, seq: u64) -> Result<StoredMsg> {
        check_name("stream", stream)?;
        let body = json!({ "seq": seq }).to_string();
        self.direct_get(format!("{}DIRECT.GET.{}", self.0.prefix, stream), body.as_bytes())
    }

    /// Direct get of the first message at `seq` or later matching `subject`.
    pub fn direct_get_next_msg(&self, stream: &str, seq: u64, subject: &str) -> Result<StoredMsg> {
        check_name("stream", stream)?;
        let body = json!({ "seq": seq, "next_by_subj": subject }).to_string();
        self.direct_get(format!("{}DIRECT.GET.{}", self.0.prefix, stream), body.as_bytes())
    }

    /// Direct get of the newest message on `subject`.
    pub fn direct_get_last_msg(&self, stream: &str, subject: &str) -> Result<StoredMsg> {
        check_name("stream", stream)?;
        self.direct_get(format!("{}DIRECT.GET.{}.{}", self.0.prefix, stream, subject), b"")
    }

    /// A handle on an existing stream (fails when it does not exist).
    pub fn stream(&self, name: &str) -> Result<StreamHandle> {
        let info = self.stream_info(name)?;
        Ok(StreamHandle { js: self.clone(), name: name.to_string(), info })
    }

    /// Updates the stream, or creates it when it does not exist (nats.go `CreateOrUpdateStream`).
    pub fn create_or_update_stream(&self, cfg: &StreamConfig) -> Result<StreamInfo> {
        match self.update_stream(cfg) {
            Err(e) if e.api.is_some_and(|(_, c)| c == super::error_codes::STREAM_NOT_FOUND) => self.add_stream(cfg),
            r => r,
        }
    }

    /// Creates a stream and returns its handle.
    pub fn create_stream_handle(&self, cfg: &StreamConfig) -> Result<StreamHandle> {
        let info = self.add_stream(cfg)?;
        Ok(StreamHandle { js: self.clone(), name: cfg.name.clone(), info })
    }

    /// Creates or updates a stream and returns its handle.
    pub fn create_or_update_stream_handle(&self, cfg: &StreamConfig) -> Result<StreamHandle> {
        let info = self.create_or_update_stream(cfg)?;
        Ok(StreamHandle { js: self.clone(), name: cfg.name.clone(), info })
    }
}

fn stored_from_direct(m: &Msg) -> Result<StoredMsg> {
    let status = m.status_code();
    if status == 404 {
        return Err(Error::new(Status::NotFound, "no message found"));
    }
    if status != 0 {
        let desc = m.headers().and_then(|h| h.description()).unwrap_or("").to_string();
        return Err(err!(Jetstream, "direct get failed: status {} {}", status, desc));
    }
    let h = m.headers().ok_or_else(|| err!(Jetstream, "direct get reply without headers"))?;
    let subject = h.get("Nats-Subject").unwrap_or("").to_string();
    let seq = h.get("Nats-Sequence").and_then(|s| s.parse().ok()).unwrap_or(0);
    let time = h.get("Nats-Time-Stamp").unwrap_or("").to_string();
    let mut own = HeaderMap::new();
    for (k, v) in h.iter() {
        if !matches!(k, "Nats-Subject" | "Nats-Sequence" | "Nats-Time-Stamp" | "Nats-Stream" | "Nats-Num-Pending" | "Nats-Last-Sequence") {
            let _ = own.add(k, v);
        }
    }
    let headers = if own.is_empty() { None } else { Some(own) };
    Ok(StoredMsg { subject, seq, time, headers, data: m.data().to_vec() })
}

/// A stream handle (newer API): management of this stream and its consumers.
#[derive(Debug, Clone)]
pub struct StreamHandle {
    pub(crate) js: JetStream,
    pub(crate) name: String,
    pub(crate) info: StreamInfo,
}

impl StreamHandle {
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The info fetched when the handle was made (or by the last `info`).
    pub fn cached_info(&self) -> &StreamInfo {
        &self.info
    }
    /// Fresh info from the server.
    pub fn info(&mut self) -> Result<&StreamInfo> {
        self.info = self.js.stream_info(&self.name)?;
        Ok(&self.info)
    }
    pub fn purge(&self, opts: &PurgeOptions) -> Result<u64> {
        self.js.purge_stream_with(&self.name, opts)
    }
    pub fn get_msg(&self, seq: u64) -> Result<StoredMsg> {
        self.js.get_msg(&self.name, seq)
    }
    pub fn get_last_msg(&self, subject: &str) -> Result<StoredMsg> {
        self.js.get_last_msg(&self.name, subject)
    }
    pub fn delete_msg(&self, seq: u64) -> Result<()> {
        self.js.delete_msg(&self.name, seq, false)
    }
    pub fn consumer_names(&self) -> Result<Vec<String>> {
        self.js.consumer_names(&self.name)
    }
    pub fn delete_consumer(&self, name: &str) -> Result<()> {
        self.js.delete_consumer(&self.name, name)
    }
    /// Replaces this stream's config (the name must stay) and refreshes the cached info.
    pub fn update(&mut self, cfg: &StreamConfig) -> Result<&StreamInfo> {
        if cfg.name != self.name {
            return Err(err!(InvalidArgument, "config names stream '{}', the handle is for '{}'", cfg.name, self.name));
        }
        self.info = self.js.update_stream(cfg)?;
        Ok(&self.info)
    }
    pub fn consumers(&self) -> Result<Vec<super::ConsumerInfo>> {
        self.js.consumers(&self.name)
    }
    /// Creates a consumer (fails when one exists with another config) and returns its handle.
    pub fn create_consumer(&self, cfg: &super::ConsumerConfig) -> Result<super::ConsumerHandle> {
        let info = self.js.create_consumer_action(&self.name, cfg, "create")?;
        Ok(super::ConsumerHandle::new(self.js.clone(), info))
    }
    /// Updates an existing consumer and returns its handle.
    pub fn update_consumer(&self, cfg: &super::ConsumerConfig) -> Result<super::ConsumerHandle> {
        let info = self.js.update_consumer(&self.name, cfg)?;
        Ok(super::ConsumerHandle::new(self.js.clone(), info))
    }
    /// Creates a consumer or updates it, and returns its handle.
    pub fn create_or_update_consumer(&self, cfg: &super::ConsumerConfig) -> Result<super::ConsumerHandle> {
        let info = self.js.create_consumer_action(&self.name, cfg, "")?;
        Ok(super::ConsumerHandle::new(self.js.clone(), info))
    }
    /// A handle on an existing consumer.
    pub fn consumer(&self, name: &str) -> Result<super::ConsumerHandle> {
        let info = self.js.consumer_info(&self.name, name)?;
        Ok(super::ConsumerHandle::new(self.js.clone(), info))
    }
    /// An ordered consumer on this stream.
    pub fn ordered_consumer(&self, opts: super::OrderedConsumerOptions) -> Result<super::OrderedConsumer> {
        super::OrderedConsumer::new(self.js.clone(), &self.name, opts)
    }
}
