//! Connection events (connected, disconnected, reconnected, closed, discovered servers, lame
//! duck, async errors): queued by the engine, delivered in order on one event thread per
//! connection, never on a runtime thread.

use std::collections::VecDeque;
use std::sync::{Arc, Weak};
use std::thread::{JoinHandle, ThreadId};

use parking_lot::{Condvar, Mutex};

use super::dispatch::in_handler;
use super::state::Inner;
use super::{Connection, SubInner, Subscription};
use crate::error::{err, Error, Result};

/// Async errors queued for the error handler beyond this many are dropped and counted (the
/// next one delivered says how many were dropped), like slow-consumer drops.
pub const MAX_QUEUED_ASYNC_ERRORS: usize = 256;

pub(super) enum Event {
    Connected,
    Disconnected(Error),
    Reconnected,
    /// One reconnect attempt failed.
    ReconnectError(Error),
    Closed,
    DiscoveredServers,
    LameDuck,
    AsyncError(Option<Arc<SubInner>>, Error),
}

#[derive(Default)]
struct Queue {
    items: VecDeque<Event>,
    errors_queued: usize,
    errors_dropped: u64,
    /// No more events are accepted (after Closed, or the thread was never started).
    ended: bool,
}

/// The event queue and its thread.
pub(super) struct Events {
    q: Mutex<Queue>,
    cv: Condvar,
    thread: Mutex<Option<JoinHandle<()>>>,
    thread_id: Mutex<Option<ThreadId>>,
}

impl Events {
    pub(super) fn new() -> Events {
        Events {
            q: Mutex::new(Queue { ended: true, ..Default::default() }),
            cv: Condvar::new(),
            thread: Mutex::new(None),
            thread_id: Mutex::new(None),
        }
    }

    /// Starts the event thread (only when the options have an event callback).
    pub(super) fn start(self: &Arc<Self>, conn: Weak<Inner>) -> Result<()> {
        self.q.lock().ended = false;
        let events = self.clone();
        let h = std::thread::Builder::new()
            .name("natsrs-events".into())
            .spawn(move || event_loop(events, conn))
            .map_err(|e| err!(Io, "cannot start event thread: {}", e))?;
        *self.thread_id.lock() = Some(h.thread().id());
        *self.thread.lock() = Some(h);
        Ok(())
    }

    pub(super) fn emit(&self, ev: Event) {
        let mut q = self.q.lock();
        if q.ended {
            return;
        }
        if let Event::AsyncError(..) = ev {
            if q.errors_queued >= MAX_QUEUED_ASYNC_ERRORS {
                q.errors_dropped += 1;
                return;
            }
            q.errors_queued += 1;
        }
        let closed = matches!(ev, Event::Closed);
        if closed {
            // Close must not wait for a backlog of errors: they are dropped.
            let before = q.items.len();
            q.items.retain(|e| !matches!(e, Event::AsyncError(..)));
            q.errors_dropped += (before - q.items.len()) as u64;
            q.errors_queued = 0;
            q.ended = true;
        }
        q.items.push_back(ev);
        self.cv.notify_one();
    }

    /// Ends the queue without a Closed event (a connect that failed).
    pub(super) fn stop_silently(&self) {
        {
            let mut q = self.q.lock();
            q.items.clear();
            q.ended = true;
            self.cv.notify_one();
        }
        self.join();
    }

    fn is_event_thread(&self) -> bool {
        *self.thread_id.lock() == Some(std::thread::current().id())
    }

    /// Waits for the event thread to finish, unless called from a callback (which would wait
    /// for itself or for another callback that may be waiting for it).
    pub(super) fn join(&self) {
        if self.is_event_thread() || in_handler() {
            return;
        }
        let h = self.thread.lock().take();
        if let Some(h) = h {
            let _ = h.join();
        }
    }

    fn next(&self) -> Option<(Event, u64)> {
        let mut q = self.q.lock();
        loop {
            if let Some(ev) = q.items.pop_front() {
                let mut dropped = 0;
                if let Event::AsyncError(..) = ev {
                    q.errors_queued = q.errors_queued.saturating_sub(1);
                    dropped = std::mem::take(&mut q.errors_dropped);
                }
                return Some((ev, dropped));
            }
            if q.ended {
                return None;
            }
            self.cv.wait(&mut q);
        }
    }
}

fn event_loop(events: Arc<Events>, conn: Weak<Inner>) {
    // Waits without a strong reference, so an event thread never keeps a connection alive.
    while let Some((ev, dropped)) = events.next() {
        let Some(inner) = conn.upgrade() else { break };
        let c = Connection(inner);
        let last = matches!(ev, Event::Closed);
        super::dispatch::run_handler(|| deliver(&c, ev, dropped));
        if last {
            break;
        }
    }
    events.q.lock().ended = true;
}

fn deliver(c: &Connection, ev: Event, dropped: u64) {
    let o = &c.0.opts;
    match ev {
        Event::Connected => {
            if let Some(cb) = &o.connected_cb {
                cb(c)
            }
        }
        Event::Reconnected => {
            if let Some(cb) = &o.reconnected_cb {
                cb(c)
            }
        }
        Event::Disconnected(e) => {
            if let Some(cb) = &o.disconnected_cb {
                cb(c, &e)
            }
        }
        Event::ReconnectError(e) => {
            if let Some(cb) = &o.reconnect_error_cb {
                cb(c, &e)
            }
        }
        Event::Closed => {
            if let Some(cb) = &o.closed_cb {
                cb(c)
            }
        }
        Event::DiscoveredServers => {
            if let Some(cb) = &o.discovered_servers_cb {
                cb(c)
            }
        }
        Event::LameDuck => {
            if let Some(cb) = &o.lame_duck_cb {
                cb(c)
            }
        }
        Event::AsyncError(sub, e) => {
            if let Some(cb) = &o.error_cb {
                let e =
                    if dropped > 0 { Error::new(e.status, format!("{} ({} earlier errors were dropped)", e.message, dropped)) } else { e };
                let s = sub.map(Subscription);
                cb(c, s.as_ref(), &e)
            }
        }
    }
}
