//! `HeaderMap::decode` on arbitrary bytes must never panic; whatever decodes
//! must re-encode to a block that decodes to the same map, with
//! `encoded_len()` matching the bytes written.
#![no_main]

use libfuzzer_sys::fuzz_target;
use natsrs::proto::HeaderMap;

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = HeaderMap::decode(data) {
        let mut out = Vec::new();
        h.encode(&mut out);
        assert_eq!(out.len(), h.encoded_len());
        let again = HeaderMap::decode(&out).expect("re-decoding an encoded block failed");
        assert_eq!(again, h);
        let _ = (h.status(), h.description(), h.keys().count(), h.len());
    }
});
