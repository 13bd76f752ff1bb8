//! `ServerInfo::parse` on arbitrary bytes (the JSON of an INFO line). Must never panic;
//! whatever parses keeps the text as received and a max_payload the client can live with.
#![no_main]

use libfuzzer_sys::fuzz_target;
use natsrs::proto::info::MAX_ACCEPTED_PAYLOAD;
use natsrs::proto::ServerInfo;

fuzz_target!(|data: &[u8]| {
    if let Ok(i) = ServerInfo::parse(data) {
        assert!(i.max_payload > 0 && i.max_payload <= MAX_ACCEPTED_PAYLOAD, "{}", i.max_payload);
        assert_eq!(i.raw_json.as_bytes(), data);
        let _ = (i.connect_urls.len(), i.nonce.as_deref(), i.ldm, i.tls_required);
    }
});
