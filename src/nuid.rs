//! Unique ids for inboxes: the NATS NUID algorithm from the `nuid` crate (the one async-nats
//! uses): 22 base-62 characters, a random 12-character prefix plus a sequence that advances by
//! a random increment, so an id costs an addition and a base-62 encoding instead of 22 random
//! draws. The prefix is re-drawn from the OS-seeded generator when the sequence runs out.
//!
//! Request/reply does not take a NUID per request: it subscribes once to `<prefix>.<nuid>.*`
//! and numbers requests with a counter, which is cheaper still on that hot path.

/// The next unique id (22 characters of `[0-9A-Za-z]`).
pub(crate) fn next() -> String {
    nuid::next().as_str().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_base62_of_fixed_length() {
        let mut seen = HashSet::new();
        for _ in 0..100_000 {
            let id = next();
            assert_eq!(id.len(), nuid::TOTAL_LEN);
            assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()), "{id}");
            assert!(seen.insert(id));
        }
    }

    #[test]
    fn ids_are_unique_across_threads() {
        let all: Vec<String> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..4).map(|_| s.spawn(|| (0..10_000).map(|_| next()).collect::<Vec<_>>())).collect();
            hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(all.iter().collect::<HashSet<_>>().len(), all.len());
    }
}
