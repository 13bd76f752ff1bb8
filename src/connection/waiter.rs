//! A one-shot slot that a blocking caller (any thread, never a runtime worker) waits on.

use std::time::Instant;

use parking_lot::{Condvar, Mutex};

pub(super) struct Waiter<T> {
    slot: Mutex<Option<T>>,
    cv: Condvar,
}

impl<T> Waiter<T> {
    pub fn new() -> Waiter<T> {
        Waiter { slot: Mutex::new(None), cv: Condvar::new() }
    }

    /// Stores the value if none is stored yet and wakes the waiter. Returns false if already set.
    pub fn complete(&self, v: T) -> bool {
        let mut g = self.slot.lock();
        if g.is_some() {
            return false;
        }
        *g = Some(v);
        self.cv.notify_all();
        true
    }

    /// Waits until a value is stored or the deadline passes (None = forever).
    pub fn wait_until(&self, deadline: Option<Instant>) -> Option<T> {
        let mut g = self.slot.lock();
        loop {
            if let Some(v) = g.take() {
                return Some(v);
            }
            match deadline {
                Some(d) => {
                    if self.cv.wait_until(&mut g, d).timed_out() {
                        return g.take();
                    }
                }
                None => self.cv.wait(&mut g),
            }
        }
    }
}

/// A gate that opens once and lets every waiter through, then and later.
pub(super) struct Latch {
    open: Mutex<bool>,
    cv: Condvar,
}

impl Latch {
    pub fn new() -> Latch {
        Latch { open: Mutex::new(false), cv: Condvar::new() }
    }

    pub fn open(&self) {
        *self.open.lock() = true;
        self.cv.notify_all();
    }

    /// Waits until open or the deadline (None = forever). True when open.
    pub fn wait_until(&self, deadline: Option<Instant>) -> bool {
        let mut g = self.open.lock();
        while !*g {
            match deadline {
                Some(d) => {
                    if self.cv.wait_until(&mut g, d).timed_out() {
                        return *g;
                    }
                }
                None => self.cv.wait(&mut g),
            }
        }
        true
    }
}
