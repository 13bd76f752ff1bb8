//! Server URL parsing (`ServerUrl::parse`, `parse_url_list`) on arbitrary text. Must never
//! panic. Whatever parses must be usable: scheme `nats` or `tls`, a non-empty host, a port in
//! 1..=65535, at most one kind of credentials; and it must round-trip: the URL rebuilt from the
//! parts (credentials percent-encoded) parses to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use natsrs::options::{parse_url_list, ServerUrl};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

fn check(u: &ServerUrl) {
    assert!(u.scheme == "nats" || u.scheme == "tls", "{u:?}");
    assert!(!u.host.is_empty() && u.port != 0, "{u:?}");
    assert!(u.token.is_none() || (u.user.is_none() && u.password.is_none()), "{u:?}");
    assert_eq!(u.user.is_some(), u.password.is_some(), "{u:?}");
    let enc = |s: &str| utf8_percent_encode(s, NON_ALPHANUMERIC).to_string();
    let cred = match (&u.user, &u.password, &u.token) {
        (Some(user), Some(pass), _) => format!("{}:{}@", enc(user), enc(pass)),
        (_, _, Some(t)) => format!("{}@", enc(t)),
        _ => String::new(),
    };
    let rebuilt = format!("{}://{}{}", u.scheme, cred, u.addr());
    let again = ServerUrl::parse(&rebuilt).unwrap_or_else(|e| panic!("{rebuilt:?} from {u:?}: {e}"));
    assert_eq!(&again, u, "{rebuilt:?}");
    let shown = ServerUrl::parse(&u.display()).expect("display() re-parses");
    assert_eq!((&shown.scheme, &shown.host, shown.port), (&u.scheme, &u.host, u.port));
}

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(u) = ServerUrl::parse(s) {
        check(&u);
    }
    if let Ok(list) = parse_url_list(s) {
        assert!(!list.is_empty());
        list.iter().for_each(check);
    }
});
