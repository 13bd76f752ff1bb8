//! INFO `connect_urls` as the engine handles them: the input's first byte picks the scheme of
//! the current server (`nats` or `tls`), the rest (lossy UTF-8) is split at newlines into the
//! announced list, which goes into an INFO JSON document, through `ServerInfo::parse`, then
//! through `options::parse_announced`. Must never panic; every announced URL is either parsed
//! (and usable) or reported as `InvalidArgument`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use natsrs::options::parse_announced;
use natsrs::proto::ServerInfo;
use natsrs::Status;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let scheme = if first & 1 == 0 { "nats" } else { "tls" };
    let text = String::from_utf8_lossy(rest);
    let urls: Vec<&str> = text.split('\n').collect();
    let json = serde_json::json!({ "server_id": "FUZZ", "proto": 1, "connect_urls": urls }).to_string();
    let info = ServerInfo::parse(json.as_bytes()).expect("INFO built by serde_json parses");
    assert_eq!(info.connect_urls, urls);
    let (good, bad) = parse_announced(scheme, &info.connect_urls);
    assert_eq!(good.len() + bad.len(), urls.len());
    for u in &good {
        assert_eq!(u.scheme, scheme);
        assert!(!u.host.is_empty() && u.port != 0, "{u:?}");
    }
    assert!(bad.iter().all(|e| e.status == Status::InvalidArgument));
});
