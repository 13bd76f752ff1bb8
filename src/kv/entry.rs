//! Key-value entries: what a get, a watch or a history returns.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::proto::HeaderMap;

/// Header naming the operation of a marker (`DEL` or `PURGE`); absent on a put.
pub const KV_OPERATION_HDR: &str = "KV-Operation";
pub const KV_OPERATION_DEL: &str = "DEL";
pub const KV_OPERATION_PURGE: &str = "PURGE";
/// Header the server puts on markers it writes itself (`MaxAge`, `Purge`, `Remove`).
pub const MARKER_REASON_HDR: &str = "Nats-Marker-Reason";

/// What an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    Put,
    Delete,
    Purge,
}

impl Operation {
    /// The operation a stored message's headers describe.
    pub fn from_headers(h: Option<&HeaderMap>) -> Operation {
        let Some(h) = h else { return Operation::Put };
        match h.get(KV_OPERATION_HDR) {
            Some(KV_OPERATION_DEL) => Operation::Delete,
            Some(KV_OPERATION_PURGE) => Operation::Purge,
            _ => match h.get(MARKER_REASON_HDR) {
                Some("MaxAge") | Some("Purge") => Operation::Purge,
                Some("Remove") => Operation::Delete,
                _ => Operation::Put,
            },
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Put => "PUT",
            Operation::Delete => "DEL",
            Operation::Purge => "PURGE",
        }
    }
}

/// One revision of one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub bucket: String,
    pub key: String,
    pub value: Vec<u8>,
    /// The stream sequence of this revision.
    pub revision: u64,
    /// When the server stored it.
    pub created: SystemTime,
    /// How many newer messages matched the watch or listing when this one was delivered (0 for a get).
    pub delta: u64,
    pub operation: Operation,
}

impl Entry {
    pub fn value_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.value).ok()
    }
}

/// Parses the server's RFC 3339 UTC time (`2024-01-02T03:04:05.123456789Z`); the epoch on
/// anything else.
pub fn parse_rfc3339(s: &str) -> SystemTime {
    parse_rfc3339_opt(s).unwrap_or(UNIX_EPOCH)
}

fn parse_rfc3339_opt(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || (b[10] != b'T' && b[10] != b't') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d, h, mi, se) = (n(0..4)?, n(5..7)?, n(8..10)?, n(11..13)?, n(14..16)?, n(17..19)?);
    let mut rest = &s[19..];
    let mut nanos: u64 = 0;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(|c| c.is_ascii_digit()).count();
        let mut f = frac[..digits].to_string();
        f.truncate(9);
        while f.len() < 9 {
            f.push('0');
        }
        nanos = f.parse().ok()?;
        rest = &frac[digits..];
    }
    let offset: i64 = match rest {
        "Z" | "z" => 0,
        o if o.len() == 6 => {
            let sign = if o.starts_with('-') { -1 } else { 1 };
            sign * (o[1..3].parse::<i64>().ok()? * 3600 + o[4..6].parse::<i64>().ok()? * 60)
        }
        _ => return None,
    };
    let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se - offset;
    if secs < 0 {
        return None;
    }
    Some(UNIX_EPOCH + Duration::new(secs as u64, nanos as u32))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339() {
        let t = parse_rfc3339("2024-01-02T03:04:05.5Z");
        assert_eq!(t.duration_since(UNIX_EPOCH).unwrap(), Duration::new(1_704_164_645, 500_000_000));
        assert_eq!(parse_rfc3339("garbage"), UNIX_EPOCH);
    }
}
