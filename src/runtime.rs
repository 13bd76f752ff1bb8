//! The internal tokio runtime shared by all connections. Started lazily; `shutdown` ends it.

use std::sync::{Arc, Weak};

use std::time::Duration;

use parking_lot::Mutex;
use tokio::runtime::{Builder, Handle, Runtime};

static RUNTIME: Mutex<Option<Arc<Runtime>>> = Mutex::new(None);

/// Something to close before the runtime goes away (a connection).
pub(crate) trait OnShutdown: Send + Sync {
    fn on_shutdown(&self);
}

/// Live connections, so that `shutdown` can close them before the runtime goes away.
static CONNECTIONS: Mutex<Vec<Weak<dyn OnShutdown>>> = Mutex::new(Vec::new());

/// Default number of runtime worker threads (`NATSRS_WORKER_THREADS` overrides it).
pub const DEFAULT_WORKER_THREADS: usize = 2;

pub(crate) fn register(c: &Arc<dyn OnShutdown>) {
    let mut v = CONNECTIONS.lock();
    v.retain(|w| w.strong_count() > 0);
    v.push(Arc::downgrade(c));
}

fn worker_threads() -> usize {
    std::env::var("NATSRS_WORKER_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0 && *n <= 64)
        .unwrap_or(DEFAULT_WORKER_THREADS)
}

/// Handle to the shared runtime, starting it if needed.
pub fn handle() -> std::io::Result<Handle> {
    let mut g = RUNTIME.lock();
    if let Some(rt) = g.as_ref() {
        return Ok(rt.handle().clone());
    }
    let rt = Builder::new_multi_thread().worker_threads(worker_threads()).thread_name("natsrs-rt").enable_io().enable_time().build()?;
    let h = rt.handle().clone();
    *g = Some(Arc::new(rt));
    Ok(h)
}

/// Stops the shared runtime, waiting up to `timeout` for its tasks. Connections still open are
/// cut off; a later call to any connect function starts a new runtime.
pub fn shutdown(timeout: Duration) {
    let conns: Vec<Arc<dyn OnShutdown>> = CONNECTIONS.lock().drain(..).filter_map(|w| w.upgrade()).collect();
    for c in conns {
        c.on_shutdown();
    }
    let rt = RUNTIME.lock().take();
    if let Some(rt) = rt {
        if let Ok(rt) = Arc::try_unwrap(rt) {
            rt.shutdown_timeout(timeout);
        }
    }
}
