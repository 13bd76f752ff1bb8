//! The internal tokio runtime shared by all connections. Started lazily; `shutdown` ends it.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::runtime::{Builder, Handle, Runtime};

static RUNTIME: Mutex<Option<Arc<Runtime>>> = Mutex::new(None);

fn worker_threads() -> usize {
    std::env::var("NATSRS_WORKER_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0 && *n <= 64)
        .unwrap_or(2)
}

/// Handle to the shared runtime, starting it if needed.
pub fn handle() -> std::io::Result<Handle> {
    let mut g = RUNTIME.lock();
    if let Some(rt) = g.as_ref() {
        return Ok(rt.handle().clone());
    }
    let rt = Builder::new_multi_thread()
        .worker_threads(worker_threads())
        .thread_name("natsrs-rt")
        .enable_io()
        .enable_time()
        .build()?;
    let h = rt.handle().clone();
    *g = Some(Arc::new(rt));
    Ok(h)
}

/// Stops the shared runtime, waiting up to `timeout` for its tasks. Connections still open are
/// cut off; a later call to any connect function starts a new runtime.
pub fn shutdown(timeout: Duration) {
    let rt = RUNTIME.lock().take();
    if let Some(rt) = rt {
        match Arc::try_unwrap(rt) {
            Ok(rt) => rt.shutdown_timeout(timeout),
            Err(_) => {}
        }
    }
}
