//! `natsrs_stream_config` and `natsrs_consumer_config`: the server's JSON plus typed setters for
//! the common fields (durations in ms), and the C enums of their policies.

use std::ffi::c_char;

use super::handle::{self, borrow, borrow_mut, box_into_raw, BoxOwned, Castable};
use super::jetstream::{duration_ms, put_string};
use super::status::natsrs_status;
use super::{cstr, guard, nn, opt_cstr, put};
use crate::error::{err, Result};
use crate::jetstream::{AckPolicy, ConsumerConfig, DeliverPolicy, DiscardPolicy, ReplayPolicy, RetentionPolicy, StorageType, StreamConfig};

/// Stream storage (natsrs_stream_config_set_storage).
#[repr(C)]
pub enum natsrs_storage_type {
    File = 0,
    Memory = 1,
}

/// Stream retention (natsrs_stream_config_set_retention).
#[repr(C)]
pub enum natsrs_retention_policy {
    Limits = 0,
    Interest = 1,
    WorkQueue = 2,
}

/// What a full stream discards (natsrs_stream_config_set_discard).
#[repr(C)]
pub enum natsrs_discard_policy {
    Old = 0,
    New = 1,
}

/// Where a consumer starts (natsrs_consumer_config_set_deliver_policy).
#[repr(C)]
pub enum natsrs_deliver_policy {
    All = 0,
    Last = 1,
    New = 2,
    ByStartSequence = 3,
    ByStartTime = 4,
    LastPerSubject = 5,
}

/// How a consumer's messages are acknowledged (natsrs_consumer_config_set_ack_policy).
#[repr(C)]
pub enum natsrs_ack_policy {
    None = 0,
    All = 1,
    Explicit = 2,
}

/// How fast a consumer replays (natsrs_consumer_config_set_replay_policy).
#[repr(C)]
pub enum natsrs_replay_policy {
    Instant = 0,
    Original = 1,
}

/// A stream config. Opaque; release with natsrs_stream_config_free.
pub struct natsrs_stream_config {
    pub(crate) cfg: StreamConfig,
}

// SAFETY: pointers to natsrs_stream_config are only made by box_into_raw.
unsafe impl Castable for natsrs_stream_config {
    type Ownership = BoxOwned;
}

/// A consumer config. Opaque; release with natsrs_consumer_config_free.
pub struct natsrs_consumer_config {
    pub(crate) cfg: ConsumerConfig,
}

// SAFETY: pointers to natsrs_consumer_config are only made by box_into_raw.
unsafe impl Castable for natsrs_consumer_config {
    type Ownership = BoxOwned;
}

fn bad(name: &str, v: i32) -> crate::error::Error {
    err!(InvalidArgument, "invalid '{}' value {}", name, v)
}

fn nonneg(v: i64, name: &str) -> Result<i64> {
    if v < 0 {
        return Err(err!(InvalidArgument, "'{}' must not be negative (got {}); -1 style 'unlimited' is the default", name, v));
    }
    Ok(v)
}

/// Reads a C array of `n` strings.
///
/// # Safety
/// `p` is NULL (only with n == 0) or points to `n` NUL-terminated strings valid for the call.
unsafe fn str_list(p: *const *const c_char, n: usize, name: &str) -> Result<Vec<String>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    nn(p, name)?;
    (0..n)
        .map(|i| {
            // SAFETY: `p` has `n` entries (C contract), each a NUL-terminated string or NULL.
            let s = unsafe { cstr(*p.add(i), name) }?;
            Ok(s.to_string())
        })
        .collect()
}

/// Borrows a stream config mutably.
///
/// # Safety
/// `c` is NULL or a live handle not used from another thread at the same time.
unsafe fn sc<'a>(c: *mut natsrs_stream_config) -> Result<&'a mut StreamConfig> {
    // SAFETY: forwarded caller guarantee.
    Ok(&mut unsafe { borrow_mut(c, "cfg") }?.cfg)
}

/// Borrows a consumer config mutably.
///
/// # Safety
/// `c` is NULL or a live handle not used from another thread at the same time.
unsafe fn cc<'a>(c: *mut natsrs_consumer_config) -> Result<&'a mut ConsumerConfig> {
    // SAFETY: forwarded caller guarantee.
    Ok(&mut unsafe { borrow_mut(c, "cfg") }?.cfg)
}

/// Creates a stream config named `name` with no subjects (the server then uses the name as the
/// subject). Returns an owned natsrs_stream_config; release with natsrs_stream_config_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_stream_config_new(name: *const c_char, out: *mut *mut natsrs_stream_config) -> natsrs_status {
    guard(|| {
        // SAFETY: `name` is a C string (or NULL, refused).
        let n = unsafe { cstr(name, "name") }?;
        nn(out, "out")?;
        if n.is_empty() || n.contains(|c: char| c == '.' || c == '*' || c == '>' || c.is_whitespace()) {
            return Err(err!(InvalidArgument, "invalid stream name '{}'", n));
        }
        // SAFETY: checked non-NULL above.
        unsafe { put(out, box_into_raw(natsrs_stream_config { cfg: StreamConfig::new(n, &[]) })) };
        Ok(())
    })
}

/// Parses a stream config from the server's JSON (every field is kept, known or not).
/// Returns an owned natsrs_stream_config; release with natsrs_stream_config_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_stream_config_from_json(json: *const c_char, out: *mut *mut natsrs_stream_config) -> natsrs_status {
    guard(|| {
        // SAFETY: `json` is a C string (or NULL, refused).
        let j = unsafe { cstr(json, "json") }?;
        nn(out, "out")?;
        let cfg = StreamConfig::from_json(j).map_err(|e| err!(InvalidArgument, "{}", e.message))?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, box_into_raw(natsrs_stream_config { cfg })) };
        Ok(())
    })
}

/// The config as the server's JSON (durations in ns). Returns an owned string; release with
/// natsrs_string_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_stream_config_to_json(cfg: *const natsrs_stream_config, out: *mut *mut c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` is a live handle (or NULL, refused); `out` checked by put_string.
        unsafe { put_string(out, &borrow(cfg, "cfg")?.cfg.to_json()) }
    })
}

/// Replaces the subjects with `subjects[0..n]` (n == 0 clears them).
#[no_mangle]
pub unsafe extern "C" fn natsrs_stream_config_set_subjects(
    cfg: *mut natsrs_stream_config,
    subjects: *const *const c_char,
    n: usize,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused); `subjects` has `n` C strings (C contract).
        let (c, l) = unsafe { (sc(cfg)?, str_list(subjects, n, "subjects")?) };
        c.subjects = l;
        Ok(())
    })
}

/// Adds one subject.
#[no_mangle]
pub unsafe extern "C" fn natsrs_stream_config_add_subject(cfg: *mut natsrs_stream_config, subject: *const c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused); `subject` a C string.
        let (c, s) = unsafe { (sc(cfg)?, cstr(subject, "subject")?) };
        if s.is_empty() {
            return Err(err!(InvalidSubject, "empty subject"));
        }
        c.subjects.push(s.to_string());
        Ok(())
    })
}

/// Sets the description (NULL clears it).
#[no_mangle]
pub unsafe extern "C" fn natsrs_stream_config_set_description(cfg: *mut natsrs_stream_config, description: *const c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused); `description` NULL or a C string.
        let (c, d) = unsafe { (sc(cfg)?, opt_cstr(description, "description")?) };
        c.description = d.map(str::to_string);
        Ok(())
    })
}

/// Sets the storage (natsrs_storage_type value).
#[no_mangle]
pub unsafe extern "C" fn natsrs_stream_config_set_storage(cfg: *mut natsrs_stream_config, storage: i32) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused).
        let c = unsafe { sc(cfg) }?;
        c.storage = Some(match storage {
            0 => StorageType::File,
            1 => StorageType::Memory,
            v => return Err(bad("storage", v)),
        });
        Ok(())
    })
}

/// Sets the retention (natsrs_retention_policy value).
#[no_mangle]
pub unsafe extern "C" fn natsrs_stream_config_set_retention(cfg: *mut natsrs_stream_config, retention: i32) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused).
        let c = unsafe { sc(cfg) }?;
        c.retention = Some(match retention {
            0 => RetentionPolicy::Limits,
            1 => RetentionPolicy::Interest,
            2 => RetentionPolicy::Workqueue,
            v => return Err(bad("retention", v)),
        });
        Ok(())
    })
}

/// Sets the discard policy (natsrs_discard_policy value).
#[no_mangle]
pub unsafe extern "C" fn natsrs_stream_config_set_discard(cfg: *mut natsrs_stream_config, discard: i32) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused).
        let c = unsafe { sc(cfg) }?;
        c.discard = Some(match discard {
            0 => DiscardPolicy::Old,
            1 => DiscardPolicy::New,
            v => return Err(bad("discard", v)),
        });
        Ok(())
    })
}

/// Sets the number of replicas (1..=5).
#[no_mangle]
pub unsafe extern "C" fn natsrs_stream_config_set_replicas(cfg: *mut natsrs_stream_config, replicas: i32) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused).
        let c = unsafe { sc(cfg) }?;
        if !(1..=5).contains(&replicas) {
            return Err(bad("replicas", replicas));
        }
        c.num_replicas = Some(replicas as u32);
        Ok(())
    })
}

/// Sets the maximum number of messages (unset: unlimited).
#[no_mangle]
pub unsafe extern "C" fn natsrs_stream_config_set_max_msgs(cfg: *mut natsrs_stream_config, value: i64) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused).
        let c = unsafe { sc(cfg) }?;
        let v = nonneg(value, "value")?;
        c.max_msgs = Some(v);
        Ok(())
    })
}

/// Sets the maximum total size in bytes (unset: unlimited).
#[no_mangle]
pub unsafe extern "C" fn natsrs_stream_config_set_max_bytes(cfg: *mut natsrs_stream_config, value: i64) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused).
        let c = unsafe { sc(cfg) }?;
        let v = nonneg(value, "value")?;
        c.max_bytes = Some(v);
        Ok(())
    })
}

/// Sets the maximum size of one message in bytes (unset: unlimited).
#[no_mangle]
pub unsafe extern "C" fn natsrs_stream_config_set_max_msg_size(cfg: *mut natsrs_stream_config, value: i64) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused).
        let c = unsafe { sc(cfg) }?;
        let v = nonneg(value, "value")?;
        c.max_msg_size = Some(<i32>::try_from(v).map_err(|_| err!(InvalidArgument, "'value' too large"))?);
        Ok(())
    })
}

/// Sets the maximum number of messages per subject (unset: unlimited).
#[no_mangle]
pub unsafe extern "C" fn natsrs_stream_config_set_max_msgs_per_subject(cfg: *mut natsrs_stream_config, value: i64) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused).
        let c = unsafe { sc(cfg) }?;
        let v = nonneg(value, "value")?;
        c.max_msgs_per_subject = Some(v);
        Ok(())
    })
}

/// Sets the maximum message age in ms (0: unlimited).
#[no_mangle]
pub unsafe extern "C" fn natsrs_stream_config_set_max_age_ms(cfg: *mut natsrs_stream_config, ms: i64) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused).
        let c = unsafe { sc(cfg) }?;
        c.max_age = Some(duration_ms(ms, "ms")?);
        Ok(())
    })
}

/// Sets the window in ms in which a repeated message id is a duplicate.
#[no_mangle]
pub unsafe extern "C" fn natsrs_stream_config_set_duplicate_window_ms(cfg: *mut natsrs_stream_config, ms: i64) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused).
        let c = unsafe { sc(cfg) }?;
        c.duplicate_window = Some(duration_ms(ms, "ms")?);
        Ok(())
    })
}

/// Allows direct get (natsrs_jetstream_direct_get_msg).
#[no_mangle]
pub unsafe extern "C" fn natsrs_stream_config_set_allow_direct(cfg: *mut natsrs_stream_config, allow: bool) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused).
        unsafe { sc(cfg) }?.allow_direct = Some(allow);
        Ok(())
    })
}

/// The stream name. Returns an owned string; release with natsrs_string_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_stream_config_name(cfg: *const natsrs_stream_config, out: *mut *mut c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused); `out` checked by put_string.
        unsafe { put_string(out, &borrow(cfg, "cfg")?.cfg.name) }
    })
}

/// Releases a stream config. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn natsrs_stream_config_free(cfg: *mut natsrs_stream_config) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle the caller gives up (C contract).
        drop(unsafe { handle::free_box(cfg) });
        Ok(())
    });
}

/// Creates a consumer config; `durable` (may be NULL: ephemeral) sets the durable name.
/// Returns an owned natsrs_consumer_config; release with natsrs_consumer_config_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_consumer_config_new(durable: *const c_char, out: *mut *mut natsrs_consumer_config) -> natsrs_status {
    guard(|| {
        // SAFETY: `durable` NULL or a C string.
        let d = unsafe { opt_cstr(durable, "durable") }?;
        nn(out, "out")?;
        let cfg = match d {
            Some(d) => {
                check_name(d, "durable")?;
                ConsumerConfig::durable(d)
            }
            None => ConsumerConfig::default(),
        };
        // SAFETY: checked non-NULL above.
        unsafe { put(out, box_into_raw(natsrs_consumer_config { cfg })) };
        Ok(())
    })
}

fn check_name(n: &str, what: &str) -> Result<()> {
    if n.is_empty() || n.contains(|c: char| c == '.' || c == '*' || c == '>' || c.is_whitespace()) {
        return Err(err!(InvalidArgument, "invalid {} name '{}'", what, n));
    }
    Ok(())
}

/// Parses a consumer config from the server's JSON. Returns an owned natsrs_consumer_config;
/// release with natsrs_consumer_config_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_consumer_config_from_json(json: *const c_char, out: *mut *mut natsrs_consumer_config) -> natsrs_status {
    guard(|| {
        // SAFETY: `json` is a C string (or NULL, refused).
        let j = unsafe { cstr(json, "json") }?;
        nn(out, "out")?;
        let cfg = ConsumerConfig::from_json(j).map_err(|e| err!(InvalidArgument, "{}", e.message))?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, box_into_raw(natsrs_consumer_config { cfg })) };
        Ok(())
    })
}

/// The config as the server's JSON. Returns an owned string; release with natsrs_string_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_consumer_config_to_json(cfg: *const natsrs_consumer_config, out: *mut *mut c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused); `out` checked by put_string.
        unsafe { put_string(out, &borrow(cfg, "cfg")?.cfg.to_json()) }
    })
}

/// Sets the durable name (NULL clears it).
#[no_mangle]
pub unsafe extern "C" fn natsrs_consumer_config_set_durable(cfg: *mut natsrs_consumer_config, durable: *const c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused); `durable` NULL or a C string.
        let (c, d) = unsafe { (cc(cfg)?, opt_cstr(durable, "durable")?) };
        if let Some(d) = d {
            check_name(d, "durable")?;
        }
        c.durable_name = d.map(str::to_string);
        Ok(())
    })
}

/// Sets the consumer name (NULL clears it).
#[no_mangle]
pub unsafe extern "C" fn natsrs_consumer_config_set_name(cfg: *mut natsrs_consumer_config, name: *const c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused); `name` NULL or a C string.
        let (c, n) = unsafe { (cc(cfg)?, opt_cstr(name, "name")?) };
        if let Some(n) = n {
            check_name(n, "consumer")?;
        }
        c.name = n.map(str::to_string);
        Ok(())
    })
}

/// Sets the deliver policy (natsrs_deliver_policy value).
#[no_mangle]
pub unsafe extern "C" fn natsrs_consumer_config_set_deliver_policy(cfg: *mut natsrs_consumer_config, policy: i32) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused).
        let c = unsafe { cc(cfg) }?;
        c.deliver_policy = Some(match policy {
            0 => DeliverPolicy::All,
            1 => DeliverPolicy::Last,
            2 => DeliverPolicy::New,
            3 => DeliverPolicy::ByStartSequence,
            4 => DeliverPolicy::ByStartTime,
            5 => DeliverPolicy::LastPerSubject,
            v => return Err(bad("policy", v)),
        });
        Ok(())
    })
}

/// Sets the start sequence (and the deliver policy to by-start-sequence).
#[no_mangle]
pub unsafe extern "C" fn natsrs_consumer_config_set_opt_start_seq(cfg: *mut natsrs_consumer_config, seq: u64) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused).
        let c = unsafe { cc(cfg) }?;
        if seq == 0 {
            return Err(err!(InvalidArgument, "'seq' must be at least 1"));
        }
        c.opt_start_seq = Some(seq);
        c.deliver_policy = Some(DeliverPolicy::ByStartSequence);
        Ok(())
    })
}

/// Sets the start time, RFC 3339 (and the deliver policy to by-start-time).
#[no_mangle]
pub unsafe extern "C" fn natsrs_consumer_config_set_opt_start_time(
    cfg: *mut natsrs_consumer_config,
    rfc3339: *const c_char,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused); `rfc3339` a C string.
        let (c, t) = unsafe { (cc(cfg)?, cstr(rfc3339, "rfc3339")?) };
        c.opt_start_time = Some(t.to_string());
        c.deliver_policy = Some(DeliverPolicy::ByStartTime);
        Ok(())
    })
}

/// Sets the ack policy (natsrs_ack_policy value).
#[no_mangle]
pub unsafe extern "C" fn natsrs_consumer_config_set_ack_policy(cfg: *mut natsrs_consumer_config, policy: i32) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused).
        let c = unsafe { cc(cfg) }?;
        c.ack_policy = Some(match policy {
            0 => AckPolicy::None,
            1 => AckPolicy::All,
            2 => AckPolicy::Explicit,
            v => return Err(bad("policy", v)),
        });
        Ok(())
    })
}

/// Sets the replay policy (natsrs_replay_policy value).
#[no_mangle]
pub unsafe extern "C" fn natsrs_consumer_config_set_replay_policy(cfg: *mut natsrs_consumer_config, policy: i32) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused).
        let c = unsafe { cc(cfg) }?;
        c.replay_policy = Some(match policy {
            0 => ReplayPolicy::Instant,
            1 => ReplayPolicy::Original,
            v => return Err(bad("policy", v)),
        });
        Ok(())
    })
}

/// Sets how long the server waits for an ack before redelivering, in ms (positive).
#[no_mangle]
pub unsafe extern "C" fn natsrs_consumer_config_set_ack_wait_ms(cfg: *mut natsrs_consumer_config, ms: i64) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused).
        let c = unsafe { cc(cfg) }?;
        c.ack_wait = Some(super::timeout_ms(ms, "ms")?);
        Ok(())
    })
}

/// Sets how long an unused consumer lives, in ms (positive).
#[no_mangle]
pub unsafe extern "C" fn natsrs_consumer_config_set_inactive_threshold_ms(cfg: *mut natsrs_consumer_config, ms: i64) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused).
        let c = unsafe { cc(cfg) }?;
        c.inactive_threshold = Some(super::timeout_ms(ms, "ms")?);
        Ok(())
    })
}

/// Sets how often a message is delivered at most (-1: unlimited; else at least 1).
#[no_mangle]
pub unsafe extern "C" fn natsrs_consumer_config_set_max_deliver(cfg: *mut natsrs_consumer_config, max: i64) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused).
        let c = unsafe { cc(cfg) }?;
        if max == 0 || max < -1 {
            return Err(err!(InvalidArgument, "'max' must be -1 or at least 1 (got {})", max));
        }
        c.max_deliver = Some(max);
        Ok(())
    })
}

/// Sets how many messages may wait for their ack at once (-1: unlimited; else at least 1).
#[no_mangle]
pub unsafe extern "C" fn natsrs_consumer_config_set_max_ack_pending(cfg: *mut natsrs_consumer_config, max: i64) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused).
        let c = unsafe { cc(cfg) }?;
        if max == 0 || max < -1 {
            return Err(err!(InvalidArgument, "'max' must be -1 or at least 1 (got {})", max));
        }
        c.max_ack_pending = Some(max);
        Ok(())
    })
}

/// Sets the redelivery backoff: `ms[0..n]` milliseconds (n == 0 clears it).
#[no_mangle]
pub unsafe extern "C" fn natsrs_consumer_config_set_backoff_ms(
    cfg: *mut natsrs_consumer_config,
    ms: *const i64,
    n: usize,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused).
        let c = unsafe { cc(cfg) }?;
        if n == 0 {
            c.backoff = None;
            return Ok(());
        }
        nn(ms, "ms")?;
        // SAFETY: `ms` has `n` readable entries (C contract); non-NULL checked above.
        let vals = unsafe { std::slice::from_raw_parts(ms, n) };
        c.backoff = Some(vals.iter().map(|&v| super::timeout_ms(v, "ms")).collect::<Result<Vec<_>>>()?);
        Ok(())
    })
}

/// Sets one filter subject (NULL clears it).
#[no_mangle]
pub unsafe extern "C" fn natsrs_consumer_config_set_filter_subject(
    cfg: *mut natsrs_consumer_config,
    subject: *const c_char,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused); `subject` NULL or a C string.
        let (c, s) = unsafe { (cc(cfg)?, opt_cstr(subject, "subject")?) };
        c.filter_subject = s.map(str::to_string);
        Ok(())
    })
}

/// Sets several filter subjects, `subjects[0..n]` (n == 0 clears them).
#[no_mangle]
pub unsafe extern "C" fn natsrs_consumer_config_set_filter_subjects(
    cfg: *mut natsrs_consumer_config,
    subjects: *const *const c_char,
    n: usize,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused); `subjects` has `n` C strings (C contract).
        let (c, l) = unsafe { (cc(cfg)?, str_list(subjects, n, "subjects")?) };
        c.filter_subjects = if l.is_empty() { None } else { Some(l) };
        Ok(())
    })
}

/// Delivers only headers (the payload size is in the `Nats-Msg-Size` header).
#[no_mangle]
pub unsafe extern "C" fn natsrs_consumer_config_set_headers_only(cfg: *mut natsrs_consumer_config, headers_only: bool) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused).
        unsafe { cc(cfg) }?.headers_only = Some(headers_only);
        Ok(())
    })
}

/// Releases a consumer config. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn natsrs_consumer_config_free(cfg: *mut natsrs_consumer_config) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle the caller gives up (C contract).
        drop(unsafe { handle::free_box(cfg) });
        Ok(())
    });
}
