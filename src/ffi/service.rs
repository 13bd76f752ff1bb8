//! `natsrs_service`: services (micro) from C. The service's identity comes as JSON
//! (`{"name", "version", "description", "metadata", "queue_group"}`); endpoints and groups are
//! added with typed arguments; discovery replies are returned as the same JSON the service sends.

use std::collections::BTreeMap;
use std::ffi::{c_char, c_void, CStr, CString};
use std::sync::Arc;

use serde::Deserialize;

use super::connection::{conn, natsrs_connection};
use super::handle::{borrow, box_into_raw, free_box, BoxOwned, Castable};
use super::msg::natsrs_msg;
use super::options::natsrs_userdata_free;
use super::status::natsrs_status;
use super::{cstr, guard, guard_val, nn, opt_cstr, payload, put, UserData};
use crate::error::{err, Result};
use crate::service::{EndpointConfig, EndpointStats, Group, Request, RequestHandler, Service, ServiceConfig, StatsHandler};

/// A running service. Opaque; create with natsrs_service_add; release with natsrs_service_free.
pub struct natsrs_service {
    svc: Service,
    id: CString,
}

/// A group of endpoints with a common subject prefix. Opaque; release with
/// natsrs_service_group_free (the endpoints stay).
pub struct natsrs_service_group {
    group: Group,
}

/// A request to an endpoint, borrowed for the duration of the handler call.
pub struct natsrs_service_request {
    req: *const Request,
    msg: natsrs_msg,
}

// SAFETY: made only by Box::into_raw in this module (service, group); requests live on the
// dispatcher's stack for the duration of the handler call.
unsafe impl Castable for natsrs_service {
    type Ownership = BoxOwned;
}
// SAFETY: as above.
unsafe impl Castable for natsrs_service_group {
    type Ownership = BoxOwned;
}
// SAFETY: as above.
unsafe impl Castable for natsrs_service_request {
    type Ownership = BoxOwned;
}

/// Endpoint handler: runs on the endpoint's dispatcher thread, one request at a time. `req` is
/// borrowed for the duration of the call; answer it with natsrs_service_request_respond or
/// natsrs_service_request_respond_error.
pub type natsrs_service_handler = Option<unsafe extern "C" fn(userdata: *mut c_void, req: *const natsrs_service_request)>;

/// Stats handler: returns the JSON for the `data` field of `endpoint`'s stats (NULL: null).
/// The text is copied before the call returns; it stays the handler's.
pub type natsrs_service_stats_handler = Option<unsafe extern "C" fn(userdata: *mut c_void, endpoint: *const c_char) -> *const c_char>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigJson {
    name: String,
    version: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    metadata: BTreeMap<String, String>,
    #[serde(default)]
    queue_group: Option<String>,
}

fn metadata(json: Option<&str>) -> Result<BTreeMap<String, String>> {
    match json {
        None => Ok(BTreeMap::new()),
        Some(j) => serde_json::from_str(j).map_err(|e| err!(InvalidArgument, "metadata must be a JSON object of strings: {}", e)),
    }
}

fn c_string(s: String) -> *mut c_char {
    CString::new(s.replace('\0', " ")).unwrap_or_default().into_raw()
}

/// Starts a service on `nc` from `config_json` (name and semantic version required).
/// `stats_handler` may be NULL. Returns an owned natsrs_service; release with
/// natsrs_service_free (which stops it).
#[no_mangle]
pub unsafe extern "C" fn natsrs_service_add(
    nc: *mut natsrs_connection,
    config_json: *const c_char,
    stats_handler: natsrs_service_stats_handler,
    userdata: *mut c_void,
    userdata_free: natsrs_userdata_free,
    out: *mut *mut natsrs_service,
) -> natsrs_status {
    let ud = UserData { ptr: userdata, free: userdata_free };
    guard(|| {
        // SAFETY: `nc` is a connection handle (or NULL, refused).
        let c = unsafe { conn(nc) }?;
        nn(out, "out")?;
        // SAFETY: a NUL-terminated string from the caller, read during the call.
        let j: ConfigJson = serde_json::from_str(unsafe { cstr(config_json, "config_json") }?)
            .map_err(|e| err!(InvalidArgument, "bad service config: {}", e))?;
        let stats: Option<StatsHandler> = stats_handler.map(|cb| {
            let ud = Arc::new(ud);
            Arc::new(move |st: &EndpointStats| {
                let name = CString::new(st.name.clone()).unwrap_or_default();
                // SAFETY: the caller's function, with its userdata and a NUL-terminated name
                // that outlives the call; the result is copied before we return.
                let p = unsafe { cb(ud.ptr, name.as_ptr()) };
                if p.is_null() {
                    return serde_json::Value::Null;
                }
                // SAFETY: the handler returns a NUL-terminated string valid during the call.
                let text = unsafe { CStr::from_ptr(p) }.to_string_lossy();
                serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text.into_owned()))
            }) as StatsHandler
        });
        let cfg = ServiceConfig {
            name: j.name,
            version: j.version,
            description: j.description,
            metadata: j.metadata,
            queue_group: j.queue_group,
            stats_handler: stats,
        };
        let svc = Service::add(c, cfg)?;
        let id = CString::new(svc.id()).unwrap_or_default();
        // SAFETY: `out` checked non-NULL.
        unsafe { put(out, box_into_raw(natsrs_service { svc, id })) };
        Ok(())
    })
}

/// # Safety
/// `svc` is NULL or a live natsrs_service handle.
unsafe fn svc_ref<'a>(svc: *const natsrs_service) -> Result<&'a natsrs_service> {
    // SAFETY: forwarded caller guarantee.
    unsafe { borrow(svc, "svc") }
}

/// # Safety
/// `g` is NULL or a live natsrs_service_group handle.
unsafe fn group_ref<'a>(g: *const natsrs_service_group) -> Result<&'a natsrs_service_group> {
    // SAFETY: forwarded caller guarantee.
    unsafe { borrow(g, "group") }
}

struct EndpointArgs {
    cfg: EndpointConfig,
    handler: RequestHandler,
}

/// # Safety
/// The strings are NULL or NUL-terminated and readable during the call.
unsafe fn endpoint_args(
    name: *const c_char,
    subject: *const c_char,
    queue_group: *const c_char,
    metadata_json: *const c_char,
    handler: natsrs_service_handler,
    ud: UserData,
) -> Result<EndpointArgs> {
    let cfg = EndpointConfig {
        // SAFETY: forwarded caller guarantee (NULL or a readable C string).
        name: unsafe { cstr(name, "name") }?.to_string(),
        // SAFETY: as above.
        subject: unsafe { opt_cstr(subject, "subject") }?.map(str::to_string),
        // SAFETY: as above.
        queue_group: unsafe { opt_cstr(queue_group, "queue_group") }?.map(str::to_string),
        // SAFETY: as above.
        metadata: metadata(unsafe { opt_cstr(metadata_json, "metadata_json") }?)?,
    };
    let cb = handler.ok_or_else(|| err!(NullParameter, "'handler' is NULL"))?;
    let handler: RequestHandler = Arc::new(move |r: &Request| {
        let ud = &ud; // the whole UserData (Send + Sync), not its raw pointer field
        let creq = natsrs_service_request { req: r as *const Request, msg: natsrs_msg::borrowed(r.msg().clone()) };
        // SAFETY: the caller's function with its userdata; `creq` outlives the call.
        unsafe { cb(ud.ptr, &creq) };
    });
    Ok(EndpointArgs { cfg, handler })
}

/// Adds an endpoint. `subject` NULL: the name; `queue_group` NULL: the service's (default
/// "q"); `metadata_json` NULL or a JSON object of strings. `userdata_free` runs once when the
/// endpoint is gone (after natsrs_service_stop / natsrs_service_free).
#[no_mangle]
pub unsafe extern "C" fn natsrs_service_add_endpoint(
    svc: *mut natsrs_service,
    name: *const c_char,
    subject: *const c_char,
    queue_group: *const c_char,
    metadata_json: *const c_char,
    handler: natsrs_service_handler,
    userdata: *mut c_void,
    userdata_free: natsrs_userdata_free,
) -> natsrs_status {
    let ud = UserData { ptr: userdata, free: userdata_free };
    guard(|| {
        // SAFETY: handle and strings from the caller (NULL refused where required).
        let s = unsafe { svc_ref(svc) }?;
        // SAFETY: as above.
        let a = unsafe { endpoint_args(name, subject, queue_group, metadata_json, handler, ud) }?;
        s.svc.add_endpoint(a.cfg, a.handler)
    })
}

/// A group: its endpoints' subjects start with `name.`; `queue_group` NULL: the service's.
/// Returns an owned natsrs_service_group; release with natsrs_service_group_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_service_add_group(
    svc: *mut natsrs_service,
    name: *const c_char,
    queue_group: *const c_char,
    out: *mut *mut natsrs_service_group,
) -> natsrs_status {
    guard(|| {
        // SAFETY: handle and strings from the caller (NULL refused where required).
        let s = unsafe { svc_ref(svc) }?;
        nn(out, "out")?;
        // SAFETY: as above.
        let g = s.svc.add_group(unsafe { cstr(name, "name") }?, unsafe { opt_cstr(queue_group, "queue_group") }?)?;
        // SAFETY: `out` checked non-NULL.
        unsafe { put(out, box_into_raw(natsrs_service_group { group: g })) };
        Ok(())
    })
}

/// Adds an endpoint to a group (arguments as natsrs_service_add_endpoint).
#[no_mangle]
pub unsafe extern "C" fn natsrs_service_group_add_endpoint(
    group: *mut natsrs_service_group,
    name: *const c_char,
    subject: *const c_char,
    queue_group: *const c_char,
    metadata_json: *const c_char,
    handler: natsrs_service_handler,
    userdata: *mut c_void,
    userdata_free: natsrs_userdata_free,
) -> natsrs_status {
    let ud = UserData { ptr: userdata, free: userdata_free };
    guard(|| {
        // SAFETY: handle and strings from the caller (NULL refused where required).
        let g = unsafe { group_ref(group) }?;
        // SAFETY: as above.
        let a = unsafe { endpoint_args(name, subject, queue_group, metadata_json, handler, ud) }?;
        g.group.add_endpoint(a.cfg, a.handler)
    })
}

/// A nested group. Returns an owned natsrs_service_group; release with natsrs_service_group_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_service_group_add_group(
    group: *mut natsrs_service_group,
    name: *const c_char,
    queue_group: *const c_char,
    out: *mut *mut natsrs_service_group,
) -> natsrs_status {
    guard(|| {
        // SAFETY: handle and strings from the caller (NULL refused where required).
        let g = unsafe { group_ref(group) }?;
        nn(out, "out")?;
        // SAFETY: as above.
        let ng = g.group.add_group(unsafe { cstr(name, "name") }?, unsafe { opt_cstr(queue_group, "queue_group") }?)?;
        // SAFETY: `out` checked non-NULL.
        unsafe { put(out, box_into_raw(natsrs_service_group { group: ng })) };
        Ok(())
    })
}

/// Releases a group handle (its endpoints keep running). Accepts NULL.
#[no_mangle]
pub unsafe extern "C" fn natsrs_service_group_free(group: *mut natsrs_service_group) {
    let _ = guard(|| {
        // SAFETY: NULL or made by box_into_raw; the caller frees it once.
        drop(unsafe { free_box(group) });
        Ok(())
    });
}

/// # Safety
/// `req` is NULL or the request handed to a handler that is still running.
unsafe fn req_ref<'a>(req: *const natsrs_service_request) -> Result<&'a natsrs_service_request> {
    // SAFETY: forwarded caller guarantee.
    unsafe { borrow(req, "req") }
}

impl natsrs_service_request {
    fn request(&self) -> &Request {
        // SAFETY: `req` points at the Request of the running handler call, which outlives self.
        unsafe { &*self.req }
    }
}

/// The request message (subject, reply, headers, data). Borrowed; valid during the handler
/// call. NULL if `req` is NULL.
#[no_mangle]
pub unsafe extern "C" fn natsrs_service_request_msg(req: *const natsrs_service_request) -> *const natsrs_msg {
    // SAFETY: `req` is a running handler's request (or NULL, refused).
    guard_val(std::ptr::null(), || Ok(&unsafe { req_ref(req) }?.msg as *const natsrs_msg))
}

/// Answers the request with `len` bytes at `data`.
#[no_mangle]
pub unsafe extern "C" fn natsrs_service_request_respond(req: *const natsrs_service_request, data: *const u8, len: usize) -> natsrs_status {
    // SAFETY: `req` as above; (data, len) a caller payload read during the call.
    guard(|| unsafe { req_ref(req) }?.request().respond(unsafe { payload(data, len) }?))
}

/// Answers with an error: headers `Nats-Service-Error: description` and
/// `Nats-Service-Error-Code: code` ("500" if `code` is NULL or empty), and `data`. Counts as an
/// error in the endpoint's stats.
#[no_mangle]
pub unsafe extern "C" fn natsrs_service_request_respond_error(
    req: *const natsrs_service_request,
    code: *const c_char,
    description: *const c_char,
    data: *const u8,
    len: usize,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `req` as above; strings and payload read during the call.
        let r = unsafe { req_ref(req) }?.request();
        // SAFETY: as above (`code` is NULL or a readable C string).
        let code = unsafe { opt_cstr(code, "code") }?.unwrap_or("");
        // SAFETY: as above.
        let description = unsafe { cstr(description, "description") }?;
        // SAFETY: as above.
        r.respond_error(code, description, unsafe { payload(data, len) }?)
    })
}

/// Counts one error in the endpoint's stats, with `text` as its `last_error`, without answering
/// the request: for a handler that answers by itself (natsrs_service_request_respond, or a
/// publish to the reply subject) and words its errors its own way (natsrs_service_request_respond_error
/// records `code:description`).
#[no_mangle]
pub unsafe extern "C" fn natsrs_service_request_record_error(req: *const natsrs_service_request, text: *const c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `req` as above.
        let r = unsafe { req_ref(req) }?.request();
        // SAFETY: `text` is a readable C string (NULL refused), read during the call.
        r.record_error(unsafe { cstr(text, "text") }?);
        Ok(())
    })
}

/// The service instance id. Borrowed; valid until natsrs_service_free. NULL if `svc` is NULL.
#[no_mangle]
pub unsafe extern "C" fn natsrs_service_id(svc: *const natsrs_service) -> *const c_char {
    // SAFETY: `svc` is a handle (or NULL, refused).
    guard_val(std::ptr::null(), || Ok(unsafe { svc_ref(svc) }?.id.as_ptr()))
}

fn json_out<T: serde::Serialize>(v: &T, out: *mut *mut c_char) -> Result<()> {
    let s = serde_json::to_string(v).map_err(|e| err!(InvalidArgument, "{}", e))?;
    // SAFETY: callers checked `out` for NULL.
    unsafe { put(out, c_string(s)) };
    Ok(())
}

/// The `$SRV.PING` reply. Returns an owned string; release with natsrs_string_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_service_ping_json(svc: *const natsrs_service, out: *mut *mut c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `svc` is a handle (or NULL, refused).
        let s = unsafe { svc_ref(svc) }?;
        nn(out, "out")?;
        json_out(&s.svc.ping(), out)
    })
}

/// The `$SRV.INFO` reply. Returns an owned string; release with natsrs_string_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_service_info_json(svc: *const natsrs_service, out: *mut *mut c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `svc` is a handle (or NULL, refused).
        let s = unsafe { svc_ref(svc) }?;
        nn(out, "out")?;
        json_out(&s.svc.info(), out)
    })
}

/// The `$SRV.STATS` reply. Returns an owned string; release with natsrs_string_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_service_stats_json(svc: *const natsrs_service, out: *mut *mut c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `svc` is a handle (or NULL, refused).
        let s = unsafe { svc_ref(svc) }?;
        nn(out, "out")?;
        json_out(&s.svc.stats(), out)
    })
}

/// Zeroes the endpoints' stats and restarts the `started` clock.
#[no_mangle]
pub unsafe extern "C" fn natsrs_service_reset(svc: *mut natsrs_service) -> natsrs_status {
    guard(|| {
        // SAFETY: `svc` is a handle (or NULL, refused).
        unsafe { svc_ref(svc) }?.svc.reset();
        Ok(())
    })
}

/// Stops the service: endpoints drain (requests already received are answered), discovery
/// stops. When it returns, no handler runs again and the handlers' userdata_free have run
/// (unless called from a handler). Idempotent.
#[no_mangle]
pub unsafe extern "C" fn natsrs_service_stop(svc: *mut natsrs_service) -> natsrs_status {
    // SAFETY: `svc` is a handle (or NULL, refused).
    guard(|| unsafe { svc_ref(svc) }?.svc.stop())
}

/// Whether the service is stopped. false if `svc` is NULL.
#[no_mangle]
pub unsafe extern "C" fn natsrs_service_is_stopped(svc: *const natsrs_service) -> bool {
    // SAFETY: `svc` is a handle (or NULL, refused).
    guard_val(false, || Ok(unsafe { svc_ref(svc) }?.svc.is_stopped()))
}

/// Stops (see natsrs_service_stop) and releases the service. Accepts NULL.
#[no_mangle]
pub unsafe extern "C" fn natsrs_service_free(svc: *mut natsrs_service) {
    if svc.is_null() {
        return;
    }
    let _ = guard(|| {
        // SAFETY: made by box_into_raw in natsrs_service_add; the caller frees it once.
        let Some(b) = (unsafe { free_box(svc) }) else { return Ok(()) };
        let r = b.svc.stop();
        drop(b);
        r
    });
}

/// Releases a string returned by the library (JSON getters). Accepts NULL.
#[no_mangle]
pub unsafe extern "C" fn natsrs_string_free(s: *mut c_char) {
    if !s.is_null() {
        // SAFETY: created by CString::into_raw in this library; the caller frees it once.
        drop(unsafe { CString::from_raw(s) });
    }
}
