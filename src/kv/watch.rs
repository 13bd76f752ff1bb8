//! Watchers: an ordered consumer on `$KV.<bucket>.<filter>` delivering entries in stream order,
//! with the "initial values done" marker (`None` from [`Watcher::next`]) once the values present
//! when the watch started have been delivered.

use std::time::{Duration, Instant, UNIX_EPOCH};

use serde_json::Value;

use super::entry::{Entry, Operation};
use super::store::KeyValue;
use super::validate_key_filter;
use crate::error::{err, Result, Status};
use crate::jetstream::{DeliverPolicy, JsMsg, OrderedConsumer, OrderedConsumerOptions};

/// How long starting a watch waits for a first message (the consumer is created on this read).
pub const WATCH_START_POLL: Duration = Duration::from_millis(1);

/// How a watch starts and what it delivers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WatchOptions {
    /// Every stored revision, not only the latest of each key.
    pub include_history: bool,
    /// Skip delete and purge markers.
    pub ignore_deletes: bool,
    /// Only changes made after the watch started (the initial marker comes at once).
    pub updates_only: bool,
    /// Headers only: entries carry no value.
    pub meta_only: bool,
}

/// A running watch. Read with [`Watcher::next`]; dropping it stops the consumer.
pub struct Watcher {
    bucket: String,
    prefix: String,
    opts: WatchOptions,
    oc: OrderedConsumer,
    init_done: bool,
    marker_pending: bool,
    initial_returned: bool,
    timeout: Duration,
    /// A message read while starting the consumer.
    stash: Option<JsMsg>,
}

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watcher").field("bucket", &self.bucket).field("opts", &self.opts).finish()
    }
}

impl Watcher {
    pub(crate) fn new(kv: &KeyValue, filters: &[&str], opts: WatchOptions) -> Result<Watcher> {
        if filters.is_empty() {
            return Err(err!(InvalidArgument, "no key filter"));
        }
        for f in filters {
            validate_key_filter(f)?;
        }
        if opts.include_history && opts.updates_only {
            return Err(err!(InvalidArgument, "include_history and updates_only are exclusive"));
        }
        let subjects: Vec<String> = filters.iter().map(|f| kv.subject(f)).collect();
        let js = kv.js();
        let deliver = if opts.include_history {
            DeliverPolicy::All
        } else if opts.updates_only {
            DeliverPolicy::New
        } else {
            DeliverPolicy::LastPerSubject
        };
        let mut nothing_pending = opts.updates_only;
        if !nothing_pending {
            nothing_pending = true;
            for s in &subjects {
                let info = js.stream_info_subjects(kv.stream_name(), s)?;
                let any = info.state.extra.get("subjects").and_then(Value::as_object).is_some_and(|m| !m.is_empty());
                if any {
                    nothing_pending = false;
                    break;
                }
            }
        }
        let oc_opts = OrderedConsumerOptions {
            filter_subjects: subjects,
            deliver_policy: Some(deliver),
            headers_only: opts.meta_only,
            ..Default::default()
        };
        let mut oc = js.stream(kv.stream_name())?.ordered_consumer(oc_opts)?;
        // Start the consumer now so that updates_only and an empty start see every later change.
        let stash = match oc.next(WATCH_START_POLL) {
            Ok(m) => Some(m),
            Err(e) if e.status == Status::Timeout => None,
            Err(e) => return Err(e),
        };
        if !nothing_pending && stash.is_none() {
            // The matching values may have gone (expired, purged) since the check above: when the
            // consumer has nothing to deliver and delivered nothing, the marker is due at once.
            if let Ok(ci) = js.consumer_info(kv.stream_name(), oc.consumer_name()) {
                nothing_pending = ci.num_pending == 0 && ci.delivered.consumer_seq == 0 && ci.num_ack_pending == 0;
            }
        }
        Ok(Watcher {
            bucket: kv.bucket().to_string(),
            prefix: kv.subject(""),
            opts,
            oc,
            init_done: nothing_pending,
            marker_pending: nothing_pending,
            initial_returned: false,
            timeout: js.options().timeout,
            stash,
        })
    }

    /// The next entry, or `None` once: the marker that the initial values have all been
    /// delivered. `Timeout` when nothing came within `timeout`.
    pub fn next(&mut self, timeout: Duration) -> Result<Option<Entry>> {
        let deadline = Instant::now() + timeout;
        loop {
            if self.marker_pending {
                self.marker_pending = false;
                return Ok(None);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            let m = match self.stash.take() {
                Some(m) => m,
                None => self.oc.next(left)?,
            };
            let Ok(md) = m.metadata() else { continue };
            let operation = Operation::from_headers(m.headers());
            if !self.init_done && md.num_pending == 0 {
                self.init_done = true;
                self.marker_pending = true;
            }
            if self.opts.ignore_deletes && operation != Operation::Put {
                continue;
            }
            let key = m.subject().strip_prefix(self.prefix.as_str()).unwrap_or(m.subject()).to_string();
            return Ok(Some(Entry {
                bucket: self.bucket.clone(),
                key,
                value: m.data().to_vec(),
                revision: md.stream_seq,
                created: UNIX_EPOCH + Duration::from_nanos(md.timestamp_ns.max(0) as u64),
                delta: md.num_pending,
                operation,
            }));
        }
    }

    /// Whether the initial values have all been delivered (the marker may still be unread).
    pub fn init_done(&self) -> bool {
        self.init_done
    }

    /// The initial entries one by one, then `None` for ever (for keys, history, purge-deletes).
    pub(crate) fn next_initial(&mut self) -> Result<Option<Entry>> {
        if self.initial_returned {
            return Ok(None);
        }
        match self.next(self.timeout)? {
            None => {
                self.initial_returned = true;
                Ok(None)
            }
            Some(e) => Ok(Some(e)),
        }
    }

    /// Stops the watch (the consumer is deleted in the background).
    pub fn stop(&mut self) {
        self.oc.stop();
    }
}
