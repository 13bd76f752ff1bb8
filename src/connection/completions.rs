//! Completions of non-blocking calls (request, flush): each runs once, in order, on the
//! connection's completion thread (started on first use), never on a runtime thread.

use std::collections::VecDeque;
use std::sync::Arc;
use std::thread::JoinHandle;

use parking_lot::{Condvar, Mutex};

use super::dispatch::{in_handler, run_handler};
use crate::error::Result;

/// A user's completion function, called once with the outcome.
pub type Completion<T> = Box<dyn FnOnce(Result<T>) + Send>;

/// A completion that whichever of the outcome, the timer, a cancel or a close comes first
/// takes; the others find it empty.
pub(super) struct Slot<T>(Mutex<Option<Completion<T>>>);

impl<T> Slot<T> {
    pub(super) fn new(f: Completion<T>) -> Arc<Slot<T>> {
        Arc::new(Slot(Mutex::new(Some(f))))
    }

    pub(super) fn take(&self) -> Option<Completion<T>> {
        self.0.lock().take()
    }
}

type Job = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Job>,
    ended: bool,
}

/// The completion queue and its thread.
#[derive(Default)]
pub(super) struct Completions {
    q: Arc<(Mutex<Queue>, Condvar)>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Completions {
    /// Queues `f(outcome)` for the completion thread. A straggler after the connection closed
    /// (a call that raced with close) gets a thread of its own: never a runtime thread.
    pub(super) fn run<T: Send + 'static>(&self, f: Completion<T>, outcome: Result<T>) {
        let job: Job = Box::new(move || f(outcome));
        {
            let (m, cv) = &*self.q;
            let mut q = m.lock();
            if !q.ended {
                q.jobs.push_back(job);
                cv.notify_one();
                drop(q);
                self.ensure_thread();
                return;
            }
        }
        let _ = std::thread::Builder::new().name("natsrs-completion".into()).spawn(move || run_handler(job));
    }

    fn ensure_thread(&self) {
        let mut t = self.thread.lock();
        if t.is_some() {
            return;
        }
        let q = self.q.clone();
        if let Ok(h) = std::thread::Builder::new().name("natsrs-completions".into()).spawn(move || worker(q)) {
            *t = Some(h);
        }
    }

    /// Runs what is queued, then stops the thread and waits for it (not from a callback).
    pub(super) fn finish(&self) {
        {
            let (m, cv) = &*self.q;
            m.lock().ended = true;
            cv.notify_all();
        }
        let h = self.thread.lock().take();
        match h {
            Some(h) if !in_handler() => {
                let _ = h.join();
            }
            Some(_) => {}
            None => {
                // No thread was ever started: run anything queued meanwhile here.
                let jobs: Vec<Job> = self.q.0.lock().jobs.drain(..).collect();
                for j in jobs {
                    run_handler(j);
                }
            }
        }
    }
}

fn worker(q: Arc<(Mutex<Queue>, Condvar)>) {
    let (m, cv) = &*q;
    loop {
        let job = {
            let mut g = m.lock();
            loop {
                if let Some(j) = g.jobs.pop_front() {
                    break Some(j);
                }
                if g.ended {
                    break None;
                }
                cv.wait(&mut g);
            }
        };
        match job {
            Some(j) => run_handler(j),
            None => return,
        }
    }
}
