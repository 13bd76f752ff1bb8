//! Watchers: an ordered consumer on `$O.<bucket>.M.>` delivering object infos in stream order,
//! with the "initial values done" marker (`None` from [`ObjectWatcher::next`]) once the meta
//! present when the watch started has been delivered.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::meta::ObjectInfo;
use super::store::ObjectStore;
use super::OBJ_SUBJECT_PREFIX;
use crate::error::{err, Result, Status};
use crate::jetstream::{DeliverPolicy, JsMsg, OrderedConsumer, OrderedConsumerOptions};

/// How long starting a watch waits for a first message (the consumer is created on this read).
pub const OBJ_WATCH_START_POLL: Duration = Duration::from_millis(1);

/// How a watch starts and what it delivers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ObjectWatchOptions {
    /// Every stored meta message, not only the latest of each object.
    pub include_history: bool,
    /// Skip deleted objects.
    pub ignore_deletes: bool,
    /// Only changes made after the watch started (the initial marker comes at once).
    pub updates_only: bool,
}

/// A running watch. Read with [`ObjectWatcher::next`]; dropping it stops the consumer.
pub struct ObjectWatcher {
    bucket: String,
    opts: ObjectWatchOptions,
    oc: OrderedConsumer,
    init_done: bool,
    marker_pending: bool,
    stash: Option<JsMsg>,
    stopped: bool,
}

impl std::fmt::Debug for ObjectWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectWatcher").field("bucket", &self.bucket).field("opts", &self.opts).finish()
    }
}

impl ObjectWatcher {
    pub(crate) fn new(store: &ObjectStore, opts: ObjectWatchOptions) -> Result<ObjectWatcher> {
        if opts.include_history && opts.updates_only {
            return Err(err!(InvalidArgument, "include_history and updates_only are exclusive"));
        }
        let js = store.jetstream();
        let subject = format!("{}{}.M.>", OBJ_SUBJECT_PREFIX, store.bucket());
        let deliver = if opts.include_history {
            DeliverPolicy::All
        } else if opts.updates_only {
            DeliverPolicy::New
        } else {
            DeliverPolicy::LastPerSubject
        };
        let mut nothing_pending = opts.updates_only;
        if !nothing_pending {
            let info = js.stream_info_subjects(store.stream_name(), &subject)?;
            nothing_pending = info.state.extra.get("subjects").and_then(Value::as_object).is_none_or(|m| m.is_empty());
        }
        let oc_opts = OrderedConsumerOptions { filter_subjects: vec![subject], deliver_policy: Some(deliver), ..Default::default() };
        let mut oc = js.stream(store.stream_name())?.ordered_consumer(oc_opts)?;
        // Start the consumer now so that updates_only and an empty start see every later change.
        let stash = match oc.next(OBJ_WATCH_START_POLL) {
            Ok(m) => Some(m),
            Err(e) if e.status == Status::Timeout => None,
            Err(e) => return Err(e),
        };
        if !nothing_pending && stash.is_none() {
            // The meta may have gone (purged) since the check: nothing to deliver means the
            // marker is due at once.
            if let Ok(ci) = js.consumer_info(store.stream_name(), oc.consumer_name()) {
                nothing_pending = ci.num_pending == 0 && ci.delivered.consumer_seq == 0 && ci.num_ack_pending == 0;
            }
        }
        Ok(ObjectWatcher {
            bucket: store.bucket().to_string(),
            opts,
            oc,
            init_done: nothing_pending,
            marker_pending: nothing_pending,
            stash,
            stopped: false,
        })
    }

    /// The next object info, or `None` once: the marker that the initial meta has all been
    /// delivered. `Timeout` when nothing came within `timeout`. Meta that does not parse is
    /// skipped. `IllegalState` after [`ObjectWatcher::stop`].
    pub fn next(&mut self, timeout: Duration) -> Result<Option<ObjectInfo>> {
        if self.stopped {
            return Err(err!(IllegalState, "the watch was stopped"));
        }
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
            if !self.init_done && md.num_pending == 0 {
                self.init_done = true;
                self.marker_pending = true;
            }
            let Ok(mut info) = ObjectInfo::from_json(m.data()) else { continue };
            if self.opts.ignore_deletes && info.deleted {
                continue;
            }
            info.mtime = super::meta::rfc3339(std::time::UNIX_EPOCH + Duration::from_nanos(md.timestamp_ns.max(0) as u64));
            return Ok(Some(info));
        }
    }

    /// Whether the initial meta has all been delivered (the marker may still be unread).
    pub fn init_done(&self) -> bool {
        self.init_done
    }

    /// Stops the watch (the consumer is deleted in the background).
    pub fn stop(&mut self) {
        self.stopped = true;
        self.oc.stop();
    }
}
