//! Delivery of async subscriptions' messages: each has a dispatcher thread that runs its
//! handler one message at a time, in order. Also the rule every callback thread follows: user
//! code runs inside `run_handler` (panics caught, "inside a handler" known to the engine).

use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::delivery_pool::DeliveryPool;
use super::state::Inner;
use super::sub::{shrink_if_idle, SubInner, DISPATCH_BATCH};
use super::{MsgHandler, Subscription};
use crate::error::{err, Result};
use crate::msg::Msg;

/// Stack size of a dispatcher thread.
pub const DISPATCHER_STACK_SIZE: usize = 512 * 1024;

thread_local! {
    static IN_HANDLER: Cell<u32> = const { Cell::new(0) };
}

/// True on a library callback thread while it runs user code. Blocking calls made from there
/// (close, unsubscribe, free) do not wait for other callbacks, which may be waiting for this one.
pub(super) fn in_handler() -> bool {
    IN_HANDLER.with(|c| c.get() > 0)
}

/// Runs user code: marks the thread as inside a handler and swallows a panic (a callback must
/// never take a library thread down).
pub(super) fn run_handler(f: impl FnOnce()) {
    IN_HANDLER.with(|c| c.set(c.get() + 1));
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    IN_HANDLER.with(|c| c.set(c.get() - 1));
}

/// Starts delivery for an async subscription: on the connection's delivery pool when the
/// options ask for one, else on a thread of its own.
pub(super) fn start(inner: &Inner, sub: &Arc<SubInner>, handler: MsgHandler) -> Result<()> {
    let threads = inner.opts.delivery_pool_threads;
    if threads > 0 {
        let pool = inner.delivery.get_or_try_init(|| DeliveryPool::new(threads))?;
        let slot = pool.attach(sub, handler);
        let _ = sub.pooled.set(slot);
        return Ok(());
    }
    let s = sub.clone();
    let h = std::thread::Builder::new()
        .name(format!("natsrs-sub-{}", sub.sid))
        .stack_size(DISPATCHER_STACK_SIZE)
        .spawn(move || dispatch_loop(s, handler))
        .map_err(|e| err!(Io, "cannot start dispatcher thread: {}", e))?;
    *sub.dispatcher_id.lock() = Some(h.thread().id());
    *sub.dispatcher.lock() = Some(h);
    Ok(())
}

/// Waits for the dispatcher thread to exit, unless called from a handler (its own, which would
/// wait for itself, or another one, which may be waited for by this dispatcher's handler).
pub(super) fn join(sub: &SubInner) {
    if let Some(p) = sub.pooled() {
        p.release();
        return;
    }
    if is_dispatcher_thread(sub) || in_handler() {
        return;
    }
    let h = sub.dispatcher.lock().take();
    if let Some(h) = h {
        let _ = h.join();
    }
}

pub(super) fn is_dispatcher_thread(sub: &SubInner) -> bool {
    if let Some(p) = sub.pooled() {
        return p.is_running_here();
    }
    *sub.dispatcher_id.lock() == Some(std::thread::current().id())
}

fn dispatch_loop(sub: Arc<SubInner>, mut handler: MsgHandler) {
    let handle = Subscription(sub.clone());
    let mut local: VecDeque<Msg> = VecDeque::new();
    'outer: loop {
        {
            let mut q = sub.q.lock();
            while q.msgs.is_empty() && !sub.is_stopped() && !q.input_closed {
                q.waiters += 1;
                sub.cv.wait(&mut q);
                q.waiters -= 1;
            }
            if sub.is_stopped() || (q.msgs.is_empty() && q.input_closed) {
                break 'outer;
            }
            // Move a bounded batch out under the lock; the queue keeps its own allocation, and
            // gives it back once a backlog is gone.
            for _ in 0..DISPATCH_BATCH {
                match q.msgs.pop_front() {
                    Some(m) => {
                        q.bytes -= m.size();
                        local.push_back(m);
                    }
                    None => break,
                }
            }
            shrink_if_idle(&mut q);
        }
        while let Some(m) = local.pop_front() {
            if sub.is_stopped() {
                break 'outer;
            }
            run_handler(|| handler(&handle, m));
            sub.delivered.fetch_add(1, Ordering::Relaxed);
        }
    }
    local.clear();
    drop(handler); // runs userdata_free
    let finished_normally = {
        let mut q = sub.q.lock();
        q.done = true;
        sub.cv.notify_all();
        !sub.is_stopped()
    };
    if finished_normally {
        if let Some(conn) = sub.conn.upgrade() {
            conn.remove_sub(sub.sid);
        }
    }
}
