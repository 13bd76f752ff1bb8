//! INFO (server → client) and CONNECT (client → server) JSON documents
//! (protocol.md §1.3, §1.4).

use super::parser::ProtoError;
use serde::Serialize;
use serde_json::{Map, Value};

/// Fields of the server's INFO a client uses. Parsing is lenient: unknown
/// fields are ignored and a field of the wrong type (or out of range for its
/// Rust type) keeps its default. `max_payload` is what the client will use:
/// capped at [`MAX_ACCEPTED_PAYLOAD`], [`DEFAULT_MAX_PAYLOAD`] when unusable.
#[derive(Debug, Clone, Default)]
pub struct ServerInfo {
    pub server_id: String,
    pub server_name: String,
    pub version: String,
    pub go: String,
    pub host: String,
    pub port: u16,
    pub proto: i32,
    pub headers: bool,
    pub max_payload: i64,
    pub auth_required: bool,
    pub tls_required: bool,
    pub tls_available: bool,
    pub tls_verify: bool,
    pub nonce: Option<String>,
    pub connect_urls: Vec<String>,
    pub ws_connect_urls: Vec<String>,
    pub ldm: bool,
    pub jetstream: bool,
    pub domain: Option<String>,
    pub cluster: Option<String>,
    pub client_id: u64,
    pub client_ip: String,
    /// The JSON text as received.
    pub raw_json: String,
}

/// max_payload assumed when the server announces none (or zero, or a negative or non-integer
/// value): the server's own default, 1 MiB.
pub const DEFAULT_MAX_PAYLOAD: i64 = 1024 * 1024;
/// The largest max_payload the client accepts from a server (64 MiB, the largest frame the
/// reader takes); a larger announced value is capped, so the client never sizes buffers or
/// accepts publishes for what a server merely claims.
pub const MAX_ACCEPTED_PAYLOAD: i64 = 64 * 1024 * 1024;

/// INFO max_payload as the client uses it: capped at `MAX_ACCEPTED_PAYLOAD`, and
/// `DEFAULT_MAX_PAYLOAD` when missing, not an integer, zero or negative.
fn accepted_max_payload(v: Option<&Value>) -> i64 {
    match v {
        Some(Value::Number(n)) => match (n.as_i64(), n.as_u64()) {
            (Some(p), _) if p > 0 => p.min(MAX_ACCEPTED_PAYLOAD),
            // Positive but beyond i64.
            (None, Some(_)) => MAX_ACCEPTED_PAYLOAD,
            _ => DEFAULT_MAX_PAYLOAD,
        },
        _ => DEFAULT_MAX_PAYLOAD,
    }
}

fn get_str(o: &Map<String, Value>, k: &str) -> Option<String> {
    o.get(k).and_then(Value::as_str).map(str::to_string)
}

fn get_bool(o: &Map<String, Value>, k: &str) -> bool {
    o.get(k).and_then(Value::as_bool).unwrap_or(false)
}

/// Array of strings; non-string elements are skipped, a non-array is ignored.
fn get_str_list(o: &Map<String, Value>, k: &str) -> Vec<String> {
    match o.get(k) {
        Some(Value::Array(a)) => a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    }
}

impl ServerInfo {
    /// Parses the JSON text of an `INFO` line. Errors only if it is not valid
    /// JSON (including trailing garbage) or not a JSON object.
    pub fn parse(json: &[u8]) -> Result<ServerInfo, ProtoError> {
        let v: Value = serde_json::from_slice(json).map_err(|e| ProtoError(format!("invalid INFO JSON: {e}")))?;
        let o = match v {
            Value::Object(o) => o,
            _ => return Err(ProtoError("invalid INFO JSON: not an object".to_string())),
        };
        let o = &o;
        Ok(ServerInfo {
            server_id: get_str(o, "server_id").unwrap_or_default(),
            server_name: get_str(o, "server_name").unwrap_or_default(),
            version: get_str(o, "version").unwrap_or_default(),
            go: get_str(o, "go").unwrap_or_default(),
            host: get_str(o, "host").unwrap_or_default(),
            port: o.get("port").and_then(Value::as_u64).and_then(|p| u16::try_from(p).ok()).unwrap_or(0),
            proto: o.get("proto").and_then(Value::as_i64).and_then(|p| i32::try_from(p).ok()).unwrap_or(0),
            headers: get_bool(o, "headers"),
            max_payload: accepted_max_payload(o.get("max_payload")),
            auth_required: get_bool(o, "auth_required"),
            tls_required: get_bool(o, "tls_required"),
            tls_available: get_bool(o, "tls_available"),
            tls_verify: get_bool(o, "tls_verify"),
            nonce: get_str(o, "nonce"),
            connect_urls: get_str_list(o, "connect_urls"),
            ws_connect_urls: get_str_list(o, "ws_connect_urls"),
            ldm: get_bool(o, "ldm"),
            jetstream: get_bool(o, "jetstream"),
            domain: get_str(o, "domain"),
            cluster: get_str(o, "cluster"),
            client_id: o.get("client_id").and_then(Value::as_u64).unwrap_or(0),
            client_ip: get_str(o, "client_ip").unwrap_or_default(),
            // serde_json accepted it, so it is valid UTF-8.
            raw_json: String::from_utf8_lossy(json).into_owned(),
        })
    }
}

/// The CONNECT document. `None` options are omitted from the JSON.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ConnectInfo {
    pub verbose: bool,
    pub pedantic: bool,
    pub tls_required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub lang: String,
    pub version: String,
    pub protocol: i32,
    pub echo: bool,
    pub headers: bool,
    pub no_responders: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pass: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nkey: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sig: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwt: Option<String>,
}

impl ConnectInfo {
    /// Compact JSON (no trailing newline); see `encode::write_connect`.
    pub fn to_json(&self) -> Vec<u8> {
        // Serialising plain strings/bools/ints into a Vec cannot fail.
        serde_json::to_vec(self).unwrap_or_else(|_| b"{}".to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_info() {
        let json = br#"{"server_id":"NABC","server_name":"srv1","version":"2.15.1","proto":1,"git_commit":"abc","go":"go1.24","host":"0.0.0.0","port":4222,"headers":true,"max_payload":1048576,"auth_required":true,"tls_required":false,"tls_available":true,"tls_verify":true,"nonce":"n0nce","connect_urls":["10.0.0.1:4222","[::1]:4223"],"ws_connect_urls":["a:80"],"ldm":true,"jetstream":true,"domain":"hub","cluster":"c1","client_id":18446744073709551615,"client_ip":"127.0.0.1","api_lvl":1,"xkey":"X"}"#;
        let i = ServerInfo::parse(json).unwrap();
        assert_eq!(i.server_id, "NABC");
        assert_eq!(i.server_name, "srv1");
        assert_eq!(i.version, "2.15.1");
        assert_eq!(i.go, "go1.24");
        assert_eq!(i.host, "0.0.0.0");
        assert_eq!(i.port, 4222);
        assert_eq!(i.proto, 1);
        assert!(i.headers && i.auth_required && !i.tls_required && i.tls_available && i.tls_verify);
        assert_eq!(i.max_payload, 1048576);
        assert_eq!(i.nonce.as_deref(), Some("n0nce"));
        assert_eq!(i.connect_urls, ["10.0.0.1:4222", "[::1]:4223"]);
        assert_eq!(i.ws_connect_urls, ["a:80"]);
        assert!(i.ldm && i.jetstream);
        assert_eq!(i.domain.as_deref(), Some("hub"));
        assert_eq!(i.cluster.as_deref(), Some("c1"));
        assert_eq!(i.client_id, u64::MAX);
        assert_eq!(i.client_ip, "127.0.0.1");
        assert_eq!(i.raw_json.as_bytes(), json);
    }

    #[test]
    fn empty_object_and_defaults() {
        let i = ServerInfo::parse(b"{}").unwrap();
        assert_eq!(i.server_id, "");
        assert_eq!(i.port, 0);
        assert_eq!(i.max_payload, DEFAULT_MAX_PAYLOAD);
        assert!(!i.headers);
        assert_eq!(i.nonce, None);
        assert!(i.connect_urls.is_empty());
        assert_eq!(i.raw_json, "{}");
        // surrounding JSON whitespace is fine
        assert!(ServerInfo::parse(b" \t{ }\n ").is_ok());
    }

    #[test]
    fn wrong_types_are_ignored() {
        let json = br#"{"max_payload":"big","port":70000,"proto":"1","headers":"true","connect_urls":"a:1","ws_connect_urls":[1,"b:2",null],"nonce":5,"client_id":-1,"server_id":7,"ldm":1,"domain":null}"#;
        let i = ServerInfo::parse(json).unwrap();
        assert_eq!(i.max_payload, DEFAULT_MAX_PAYLOAD);
        assert_eq!(i.port, 0);
        assert_eq!(i.proto, 0);
        assert!(!i.headers);
        assert!(i.connect_urls.is_empty());
        assert_eq!(i.ws_connect_urls, ["b:2"]);
        assert_eq!(i.nonce, None);
        assert_eq!(i.client_id, 0);
        assert_eq!(i.server_id, "");
        assert!(!i.ldm);
        assert_eq!(i.domain, None);
        // negative and huge values
        let i = ServerInfo::parse(br#"{"max_payload":-1,"proto":99999999999}"#).unwrap();
        assert_eq!(i.max_payload, DEFAULT_MAX_PAYLOAD);
        assert_eq!(i.proto, 0);
        let i = ServerInfo::parse(br#"{"max_payload":1e6}"#).unwrap();
        assert_eq!(i.max_payload, DEFAULT_MAX_PAYLOAD);
    }

    /// Issue 8 defect 12: an INFO max_payload of 2^62 was taken as is. What the client will
    /// allocate for is capped; a missing, zero, negative or non-integer value means the default.
    #[test]
    fn max_payload_is_capped_and_defaulted() {
        const MIB: i64 = 1024 * 1024;
        for (json, want) in [
            (r#"{"max_payload":4611686018427387904}"#, 64 * MIB),
            (r#"{"max_payload":9223372036854775807}"#, 64 * MIB),
            (r#"{"max_payload":18446744073709551615}"#, 64 * MIB),
            (r#"{"max_payload":67108865}"#, 64 * MIB),
            (r#"{"max_payload":67108864}"#, 64 * MIB),
            (r#"{"max_payload":8388608}"#, 8 * MIB),
            (r#"{"max_payload":1048576}"#, MIB),
            (r#"{"max_payload":1}"#, 1),
            (r#"{"max_payload":0}"#, MIB),
            (r#"{"max_payload":-1}"#, MIB),
            (r#"{"max_payload":-9223372036854775808}"#, MIB),
            (r#"{"max_payload":"big"}"#, MIB),
            (r#"{"max_payload":1e6}"#, MIB),
            (r#"{}"#, MIB),
        ] {
            assert_eq!(ServerInfo::parse(json.as_bytes()).unwrap().max_payload, want, "{json}");
        }
        assert_eq!((MAX_ACCEPTED_PAYLOAD, DEFAULT_MAX_PAYLOAD), (64 * MIB, MIB));
    }

    #[test]
    fn duplicate_keys_last_wins() {
        let i = ServerInfo::parse(br#"{"port":1,"port":2}"#).unwrap();
        assert_eq!(i.port, 2);
    }

    #[test]
    fn invalid() {
        for bad in [
            &b""[..],
            b" ",
            b"[]",
            b"1",
            b"\"s\"",
            b"null",
            b"true",
            b"{",
            b"{}}",
            b"{} x",
            b"{}{}",
            b"{'a':1}",
            b"{\"a\":}",
            b"{\"a\":\"\xff\"}",
            b"INFO {}",
        ] {
            let e = ServerInfo::parse(bad).unwrap_err();
            assert!(e.0.starts_with("invalid INFO JSON"), "{e}");
        }
    }

    #[test]
    fn big_info() {
        let urls: Vec<String> = (0..8000).map(|i| format!("10.0.{}.{}:4222", i / 256, i % 256)).collect();
        let json = serde_json::json!({"server_id": "x", "connect_urls": urls}).to_string();
        assert!(json.len() > 100 * 1024);
        let i = ServerInfo::parse(json.as_bytes()).unwrap();
        assert_eq!(i.connect_urls.len(), 8000);
    }

    #[test]
    fn connect_json() {
        let c = ConnectInfo {
            verbose: false,
            pedantic: false,
            tls_required: false,
            name: None,
            lang: "rust".into(),
            version: "0.1.0".into(),
            protocol: 1,
            echo: true,
            headers: true,
            no_responders: true,
            ..Default::default()
        };
        assert_eq!(
            String::from_utf8(c.to_json()).unwrap(),
            r#"{"verbose":false,"pedantic":false,"tls_required":false,"lang":"rust","version":"0.1.0","protocol":1,"echo":true,"headers":true,"no_responders":true}"#
        );
        let c = ConnectInfo {
            name: Some("app \"q\"".into()),
            user: Some("u".into()),
            pass: Some("p".into()),
            auth_token: Some("t".into()),
            nkey: Some("UABC".into()),
            sig: Some("sig".into()),
            jwt: Some("eyJ".into()),
            ..Default::default()
        };
        let v: Value = serde_json::from_slice(&c.to_json()).unwrap();
        assert_eq!(v["name"], "app \"q\"");
        for (k, want) in [("user", "u"), ("pass", "p"), ("auth_token", "t"), ("nkey", "UABC"), ("sig", "sig"), ("jwt", "eyJ")] {
            assert_eq!(v[k], want);
        }
        assert_eq!(v.as_object().unwrap().len(), 16);
    }
}
