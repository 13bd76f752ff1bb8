//! The one cast layer between C handle pointers and the Rust values behind them.
//!
//! Every opaque C type (`natsrs_connection`, `natsrs_msg`, ...) is a Rust struct of the ffi
//! layer that says, through [`Castable`], how its pointers are made: from `Arc::into_raw`
//! ([`ArcOwned`], shared handles that callbacks may point at) or from `Box::into_raw`
//! ([`BoxOwned`], handles with a single owner). Nothing else in `src/ffi` turns a pointer
//! into a reference or back.

use std::sync::Arc;

use super::boundary::nn;
use crate::error::Result;

/// Marker: the handle pointer came from `Arc::into_raw` (the handle owns one strong reference).
pub(crate) enum ArcOwned {}
/// Marker: the handle pointer came from `Box::into_raw`.
pub(crate) enum BoxOwned {}

/// A C handle type and how its pointers are owned.
///
/// # Safety
/// Implement only for the handle structs of `src/ffi`, and hand such pointers to C only through
/// [`arc_into_raw`]/[`arc_as_ptr`] (for `Ownership = ArcOwned`) or [`box_into_raw`] (for
/// `Ownership = BoxOwned`), so that the casts below match how the pointer was made.
pub(crate) unsafe trait Castable: Sized {
    type Ownership;
}

/// Borrows the value behind a handle; NULL gives NATSRS_STATUS_NULL_PARAMETER.
///
/// # Safety
/// `p` is NULL or a pointer made by this module for `T` whose value is alive for `'a` (the C
/// contract: a handle is used only between its creation and its `_free`, or a borrowed one
/// only during the callback that received it).
pub(crate) unsafe fn borrow<'a, T: Castable>(p: *const T, name: &str) -> Result<&'a T> {
    nn(p, name)?;
    // SAFETY: non-NULL and, per the contract above, points to a live T.
    Ok(unsafe { &*p })
}

/// Borrows the value behind a single-owner handle mutably.
///
/// # Safety
/// As for [`borrow`], and no other reference to the value exists during `'a` (the C contract:
/// a handle is not modified from two threads at once).
pub(crate) unsafe fn borrow_mut<'a, T: Castable<Ownership = BoxOwned>>(p: *mut T, name: &str) -> Result<&'a mut T> {
    nn(p, name)?;
    // SAFETY: non-NULL, live and not aliased, per the contract above.
    Ok(unsafe { &mut *p })
}

/// A new strong reference to the value behind a shared handle.
///
/// # Safety
/// As for [`borrow`], for a pointer made by [`arc_into_raw`]/[`arc_as_ptr`].
#[allow(dead_code)] // for C modules that keep a handle beyond one call (jetstream flows)
pub(crate) unsafe fn clone_arc<T: Castable<Ownership = ArcOwned>>(p: *const T, name: &str) -> Result<Arc<T>> {
    nn(p, name)?;
    // SAFETY: the pointer came from an Arc<T> that is still alive (the handle's own reference),
    // so adding a reference and taking ownership of that new reference is sound.
    unsafe {
        Arc::increment_strong_count(p);
        Ok(Arc::from_raw(p))
    }
}

/// Turns a shared value into an owned handle (one strong reference goes to the caller).
pub(crate) fn arc_into_raw<T: Castable<Ownership = ArcOwned>>(v: Arc<T>) -> *mut T {
    Arc::into_raw(v) as *mut T
}

/// The handle pointer of a shared value, without giving away a reference (for callbacks).
pub(crate) fn arc_as_ptr<T: Castable<Ownership = ArcOwned>>(v: &Arc<T>) -> *mut T {
    Arc::as_ptr(v) as *mut T
}

/// Turns a value into an owned single-owner handle.
pub(crate) fn box_into_raw<T: Castable<Ownership = BoxOwned>>(v: T) -> *mut T {
    Box::into_raw(Box::new(v))
}

/// Takes back the reference owned by a shared handle (`_free`); NULL gives None.
///
/// # Safety
/// `p` is NULL or a pointer from [`arc_into_raw`] that the caller gives up: called once per
/// handle, and the handle is not used afterwards.
pub(crate) unsafe fn free_arc<T: Castable<Ownership = ArcOwned>>(p: *mut T) -> Option<Arc<T>> {
    if p.is_null() {
        return None;
    }
    // SAFETY: per the contract above, this reclaims the reference arc_into_raw gave away.
    Some(unsafe { Arc::from_raw(p) })
}

/// Takes back a single-owner handle (`_free`); NULL gives None.
///
/// # Safety
/// `p` is NULL or a pointer from [`box_into_raw`] that the caller gives up: called once per
/// handle, and the handle is not used afterwards.
pub(crate) unsafe fn free_box<T: Castable<Ownership = BoxOwned>>(p: *mut T) -> Option<Box<T>> {
    if p.is_null() {
        return None;
    }
    // SAFETY: per the contract above, this reclaims the Box that box_into_raw leaked.
    Some(unsafe { Box::from_raw(p) })
}
