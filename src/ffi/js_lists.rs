//! Stream and consumer lists from C: names (`natsrs_js_name_list`) and infos
//! (`natsrs_stream_info_list`, `natsrs_consumer_info_list`), each with a count and
//! get-by-index. The server pages these lists by offset; every page is fetched before the call
//! returns.

use std::ffi::{c_char, CString};

use super::handle::{self, borrow, box_into_raw, BoxOwned, Castable};
use super::jetstream::{js_of, natsrs_jetstream};
use super::js_handles::{natsrs_js_stream, stream_of};
use super::js_info::{natsrs_consumer_info, natsrs_stream_info};
use super::status::natsrs_status;
use super::{cstr, guard, guard_val, nn, opt_cstr, put};

/// A list of stream or consumer names. Opaque; release with natsrs_js_name_list_free.
pub struct natsrs_js_name_list {
    names: Vec<CString>,
}

/// A list of stream infos. Opaque; release with natsrs_stream_info_list_free.
pub struct natsrs_stream_info_list {
    items: Vec<natsrs_stream_info>,
}

/// A list of consumer infos. Opaque; release with natsrs_consumer_info_list_free.
pub struct natsrs_consumer_info_list {
    items: Vec<natsrs_consumer_info>,
}

// SAFETY: pointers to these lists are only made by box_into_raw.
unsafe impl Castable for natsrs_js_name_list {
    type Ownership = BoxOwned;
}
// SAFETY: as above.
unsafe impl Castable for natsrs_stream_info_list {
    type Ownership = BoxOwned;
}
// SAFETY: as above.
unsafe impl Castable for natsrs_consumer_info_list {
    type Ownership = BoxOwned;
}

fn name_list(v: Vec<String>) -> *mut natsrs_js_name_list {
    box_into_raw(natsrs_js_name_list { names: v.into_iter().map(|s| CString::new(s.replace('\0', " ")).unwrap_or_default()).collect() })
}

/// Names of all streams (all pages), or with `subject` not NULL only of the streams that
/// capture it (wildcards allowed). Returns an owned natsrs_js_name_list; release with
/// natsrs_js_name_list_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_stream_names(
    js: *mut natsrs_jetstream,
    subject: *const c_char,
    out: *mut *mut natsrs_js_name_list,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `js` live (or NULL, refused); `subject` NULL or a C string.
        let (j, f) = unsafe { (js_of(js)?, opt_cstr(subject, "subject")?) };
        nn(out, "out")?;
        let v = j.stream_names(f.filter(|f| !f.is_empty()))?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, name_list(v)) };
        Ok(())
    })
}

/// Names of all consumers of `stream` (all pages). Returns an owned natsrs_js_name_list;
/// release with natsrs_js_name_list_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_consumer_names(
    js: *mut natsrs_jetstream,
    stream: *const c_char,
    out: *mut *mut natsrs_js_name_list,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `js` live (or NULL, refused); `stream` a C string.
        let (j, s) = unsafe { (js_of(js)?, cstr(stream, "stream")?) };
        nn(out, "out")?;
        let v = j.consumer_names(s)?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, name_list(v)) };
        Ok(())
    })
}

/// Names of all consumers of the stream behind a stream handle. As
/// natsrs_jetstream_consumer_names otherwise.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_stream_consumer_names(
    stream: *mut natsrs_js_stream,
    out: *mut *mut natsrs_js_name_list,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `stream` live (or NULL, refused).
        let s = unsafe { stream_of(stream) }?;
        nn(out, "out")?;
        let v = s.st.consumer_names()?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, name_list(v)) };
        Ok(())
    })
}

/// Number of names in the list (0 for NULL).
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_name_list_count(list: *const natsrs_js_name_list) -> usize {
    // SAFETY: `list` live (or NULL, refused).
    guard_val(0, || Ok(unsafe { borrow(list, "list") }?.names.len()))
}

/// The name at `index` (0-based). Borrowed; valid until natsrs_js_name_list_free. NULL for a
/// NULL list or an index out of range.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_name_list_get(list: *const natsrs_js_name_list, index: usize) -> *const c_char {
    guard_val(std::ptr::null(), || {
        // SAFETY: `list` live (or NULL, refused).
        let l = unsafe { borrow(list, "list") }?;
        Ok(l.names.get(index).map_or(std::ptr::null(), |s| s.as_ptr()))
    })
}

/// Releases a name list. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn natsrs_js_name_list_free(list: *mut natsrs_js_name_list) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle the caller gives up (C contract).
        drop(unsafe { handle::free_box(list) });
        Ok(())
    });
}

/// Infos of all streams (all pages), or with `subject` not NULL only of the streams that
/// capture it. Returns an owned natsrs_stream_info_list; release with
/// natsrs_stream_info_list_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_streams(
    js: *mut natsrs_jetstream,
    subject: *const c_char,
    out: *mut *mut natsrs_stream_info_list,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `js` live (or NULL, refused); `subject` NULL or a C string.
        let (j, f) = unsafe { (js_of(js)?, opt_cstr(subject, "subject")?) };
        nn(out, "out")?;
        let v = j.streams(f.filter(|f| !f.is_empty()))?;
        let items = v.into_iter().map(natsrs_stream_info::new).collect();
        // SAFETY: checked non-NULL above.
        unsafe { put(out, box_into_raw(natsrs_stream_info_list { items })) };
        Ok(())
    })
}

/// Number of infos in the list (0 for NULL).
#[no_mangle]
pub unsafe extern "C" fn natsrs_stream_info_list_count(list: *const natsrs_stream_info_list) -> usize {
    // SAFETY: `list` live (or NULL, refused).
    guard_val(0, || Ok(unsafe { borrow(list, "list") }?.items.len()))
}

/// The stream info at `index` (0-based), for the natsrs_stream_info_* getters. Borrowed; valid
/// until natsrs_stream_info_list_free (do not free it). NULL for a NULL list or an index out of
/// range.
#[no_mangle]
pub unsafe extern "C" fn natsrs_stream_info_list_get(list: *const natsrs_stream_info_list, index: usize) -> *const natsrs_stream_info {
    guard_val(std::ptr::null(), || {
        // SAFETY: `list` live (or NULL, refused).
        let l = unsafe { borrow(list, "list") }?;
        Ok(l.items.get(index).map_or(std::ptr::null(), |i| i as *const natsrs_stream_info))
    })
}

/// Releases a stream info list and the infos in it. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn natsrs_stream_info_list_free(list: *mut natsrs_stream_info_list) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle the caller gives up (C contract).
        drop(unsafe { handle::free_box(list) });
        Ok(())
    });
}

/// Infos of all consumers of `stream` (all pages). Returns an owned natsrs_consumer_info_list;
/// release with natsrs_consumer_info_list_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_jetstream_consumers(
    js: *mut natsrs_jetstream,
    stream: *const c_char,
    out: *mut *mut natsrs_consumer_info_list,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `js` live (or NULL, refused); `stream` a C string.
        let (j, s) = unsafe { (js_of(js)?, cstr(stream, "stream")?) };
        nn(out, "out")?;
        let v = j.consumers(s)?;
        let items = v.into_iter().map(natsrs_consumer_info::new).collect();
        // SAFETY: checked non-NULL above.
        unsafe { put(out, box_into_raw(natsrs_consumer_info_list { items })) };
        Ok(())
    })
}

/// Number of infos in the list (0 for NULL).
#[no_mangle]
pub unsafe extern "C" fn natsrs_consumer_info_list_count(list: *const natsrs_consumer_info_list) -> usize {
    // SAFETY: `list` live (or NULL, refused).
    guard_val(0, || Ok(unsafe { borrow(list, "list") }?.items.len()))
}

/// The consumer info at `index` (0-based), for the natsrs_consumer_info_* getters. Borrowed;
/// valid until natsrs_consumer_info_list_free (do not free it). NULL for a NULL list or an
/// index out of range.
#[no_mangle]
pub unsafe extern "C" fn natsrs_consumer_info_list_get(
    list: *const natsrs_consumer_info_list,
    index: usize,
) -> *const natsrs_consumer_info {
    guard_val(std::ptr::null(), || {
        // SAFETY: `list` live (or NULL, refused).
        let l = unsafe { borrow(list, "list") }?;
        Ok(l.items.get(index).map_or(std::ptr::null(), |i| i as *const natsrs_consumer_info))
    })
}

/// Releases a consumer info list and the infos in it. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn natsrs_consumer_info_list_free(list: *mut natsrs_consumer_info_list) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle the caller gives up (C contract).
        drop(unsafe { handle::free_box(list) });
        Ok(())
    });
}
