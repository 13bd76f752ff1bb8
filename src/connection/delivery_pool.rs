//! A shared delivery pool for async subscriptions (an option; the default is a thread per
//! subscription). A connection's pool has N threads; each subscription sticks to one of them
//! (by sid), so its messages stay in order and a slow handler only delays the subscriptions
//! on its own thread.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::thread::{JoinHandle, ThreadId};

use parking_lot::{Condvar, Mutex};

use super::dispatch::{in_handler, run_handler, DISPATCHER_STACK_SIZE};
use super::sub::{shrink_if_idle, SubInner};
use super::{MsgHandler, Subscription};
use crate::error::{err, Result};

/// Messages a pool thread delivers for one subscription before it turns to the next one.
pub const POOL_BATCH: usize = 256;

/// One pool thread's run queue: subscriptions with messages to deliver.
struct Worker {
    q: Mutex<(VecDeque<Arc<SubInner>>, bool)>,
    cv: Condvar,
    thread: Mutex<Option<JoinHandle<()>>>,
}

/// A connection's delivery pool.
pub(super) struct DeliveryPool {
    workers: Vec<Arc<Worker>>,
}

/// A pooled subscription's handler and where it runs.
struct HandlerState {
    handler: Option<MsgHandler>,
    /// On this thread, a pool thread runs the handler now.
    running_on: Option<ThreadId>,
    /// The handler was dropped (its userdata released); nothing runs again.
    released: bool,
}

/// What a pooled subscription keeps.
pub(super) struct PoolSlot {
    sub: Weak<SubInner>,
    worker: Arc<Worker>,
    /// In the worker's run queue (or being delivered). Read and written under the
    /// subscription's queue lock, so a push never misses a reschedule.
    scheduled: AtomicBool,
    state: Mutex<HandlerState>,
    cv: Condvar,
}

impl DeliveryPool {
    pub(super) fn new(threads: usize) -> Result<DeliveryPool> {
        let mut workers = Vec::with_capacity(threads);
        for i in 0..threads {
            let w = Arc::new(Worker { q: Mutex::new((VecDeque::new(), false)), cv: Condvar::new(), thread: Mutex::new(None) });
            let w2 = w.clone();
            let h = std::thread::Builder::new()
                .name(format!("natsrs-pool-{}", i))
                .stack_size(DISPATCHER_STACK_SIZE)
                .spawn(move || worker_loop(w2))
                .map_err(|e| err!(Io, "cannot start a delivery thread: {}", e))?;
            *w.thread.lock() = Some(h);
            workers.push(w);
        }
        Ok(DeliveryPool { workers })
    }

    /// Attaches an async subscription to its pool thread.
    pub(super) fn attach(&self, sub: &Arc<SubInner>, handler: MsgHandler) -> Arc<PoolSlot> {
        let worker = self.workers[(sub.sid as usize) % self.workers.len()].clone();
        Arc::new(PoolSlot {
            sub: Arc::downgrade(sub),
            worker,
            scheduled: AtomicBool::new(false),
            state: Mutex::new(HandlerState { handler: Some(handler), running_on: None, released: false }),
            cv: Condvar::new(),
        })
    }

    /// Stops the threads once their queues are empty, and waits for them (not from a callback).
    pub(super) fn shutdown(&self) {
        for w in &self.workers {
            w.q.lock().1 = true;
            w.cv.notify_all();
        }
        if in_handler() {
            return;
        }
        for w in &self.workers {
            let h = w.thread.lock().take();
            if let Some(h) = h {
                if h.thread().id() != std::thread::current().id() {
                    let _ = h.join();
                }
            }
        }
    }
}

impl PoolSlot {
    /// Puts the subscription in its thread's run queue unless it is there. Call with the
    /// subscription's queue lock held.
    pub(super) fn schedule(&self) {
        if self.scheduled.swap(true, Ordering::AcqRel) {
            return;
        }
        if let Some(sub) = self.sub.upgrade() {
            let mut q = self.worker.q.lock();
            q.0.push_back(sub);
            self.worker.cv.notify_one();
        }
    }

    pub(super) fn is_running_here(&self) -> bool {
        self.state.lock().running_on == Some(std::thread::current().id())
    }

    /// After the subscription stopped: waits until its handler is not running and drops it
    /// (userdata released), unless called from a callback, which must not wait.
    pub(super) fn release(&self) {
        let mut st = self.state.lock();
        loop {
            if st.released {
                return;
            }
            if st.running_on.is_none() {
                let h = st.handler.take();
                st.released = true;
                drop(st);
                drop(h);
                return;
            }
            if in_handler() {
                return;
            }
            self.cv.wait(&mut st);
        }
    }
}

fn worker_loop(w: Arc<Worker>) {
    loop {
        let sub = {
            let mut q = w.q.lock();
            loop {
                if let Some(s) = q.0.pop_front() {
                    break s;
                }
                if q.1 {
                    return;
                }
                w.cv.wait(&mut q);
            }
        };
        deliver(&sub);
    }
}

/// Delivers up to `POOL_BATCH` messages of one subscription, then reschedules or finishes it.
fn deliver(sub: &Arc<SubInner>) {
    let Some(slot) = sub.pooled() else { return };
    let mut handler = {
        let mut st = slot.state.lock();
        match st.handler.take() {
            Some(h) if !st.released => {
                st.running_on = Some(std::thread::current().id());
                h
            }
            other => {
                st.handler = other;
                drop(st);
                slot.scheduled.store(false, Ordering::Release);
                return;
            }
        }
    };
    let mut local = Vec::with_capacity(POOL_BATCH);
    {
        let mut q = sub.q.lock();
        while local.len() < POOL_BATCH {
            match q.msgs.pop_front() {
                Some(m) => {
                    q.bytes -= m.size();
                    local.push(m);
                }
                None => break,
            }
        }
        shrink_if_idle(&mut q);
    }
    let handle = Subscription(sub.clone());
    for m in local {
        if sub.is_stopped() {
            break;
        }
        run_handler(|| handler(&handle, m));
        sub.delivered.fetch_add(1, Ordering::Relaxed);
    }
    // Decide under the queue lock (a push reschedules under the same lock).
    let (finish, normally) = {
        let mut q = sub.q.lock();
        if sub.is_stopped() {
            q.done = true;
            (true, false)
        } else if !q.msgs.is_empty() {
            slot.worker.q.lock().0.push_back(sub.clone());
            slot.worker.cv.notify_one();
            (false, false)
        } else if q.input_closed {
            q.done = true;
            (true, true)
        } else {
            slot.scheduled.store(false, Ordering::Release);
            (false, false)
        }
    };
    if !finish {
        let mut st = slot.state.lock();
        st.running_on = None;
        st.handler = Some(handler);
        slot.cv.notify_all();
        return;
    }
    // Release the handler (its userdata) before anyone waiting in `release` may return.
    drop(handler);
    {
        let mut st = slot.state.lock();
        st.running_on = None;
        st.released = true;
        slot.cv.notify_all();
    }
    sub.cv.notify_all();
    if normally {
        if let Some(conn) = sub.conn.upgrade() {
            conn.remove_sub(sub.sid);
        }
    }
}
