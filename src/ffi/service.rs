//! `natsrs_service`: services (micro) from C. The service's identity comes as JSON
//! (`{"name", "version", "description", "metadata", "queue_group"}`); endpoints and groups are
//! added with typed arguments; discovery replies are returned as the same JSON the service sends.

use std::collections::BTreeMap;
use std::ffi::{c_char, c_void, CStr, CString};
use std::sync::Arc;

use serde::Deserialize;

use super::connection::{conn_arc, natsrs_connection};
use super::msg::natsrs_msg;
use super::options::natsrs_userdata_free;
use super::{cstr, guard, guard_val, nn, opt_cstr, payload, put, UserData};
use crate::connection::Connection;
use crate::error::{err, Result, Status};
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
    _private: [u8; 0],
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
) -> Status {
    let ud = UserData { ptr: userdata, free: userdata_free };
    guard(|| {
        let c = Connection(conn_arc(nc)?);
        nn(out, "out")?;
        let j: ConfigJson = serde_json::from_str(cstr(config_json, "config_json")?).map_err(|e| err!(InvalidArgument, "bad service config: {}", e))?;
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
        let cfg = ServiceConfig { name: j.name, version: j.version, description: j.description, metadata: j.metadata, queue_group: j.queue_group, stats_handler: stats };
        let svc = Service::add(&c, cfg)?;
        let id = CString::new(svc.id()).unwrap_or_default();
        put(out, Box::into_raw(Box::new(natsrs_service { svc, id })));
        Ok(())
    })
}

unsafe fn svc_ref<'a>(svc: *const natsrs_service) -> Result<&'a natsrs_service> {
    nn(svc, "svc")?;
    // SAFETY: created by Box::into_raw in natsrs_service_add, alive until natsrs_service_free.
    Ok(unsafe { &*svc })
}

unsafe fn group_ref<'a>(g: *const natsrs_service_group) -> Result<&'a natsrs_service_group> {
    nn(g, "group")?;
    // SAFETY: created by Box::into_raw in an add_group call, alive until its free.
    Ok(unsafe { &*g })
}

struct EndpointArgs {
    cfg: EndpointConfig,
    handler: RequestHandler,
}

unsafe fn endpoint_args(
    name: *const c_char,
    subject: *const c_char,
    queue_group: *const c_char,
    metadata_json: *const c_char,
    handler: natsrs_service_handler,
    ud: UserData,
) -> Result<EndpointArgs> {
    let cfg = EndpointConfig {
        name: cstr(name, "name")?.to_string(),
        subject: opt_cstr(subject, "subject")?.map(str::to_string),
        queue_group: opt_cstr(queue_group, "queue_group")?.map(str::to_string),
        metadata: metadata(opt_cstr(metadata_json, "metadata_json")?)?,
    };
    let cb = handler.ok_or_else(|| err!(NullParameter, "'handler' is NULL"))?;
    let handler: RequestHandler = Arc::new(move |r: &Request| {
        let ud = &ud; // the whole UserData (Send + Sync), not its raw pointer field
        let p = r as *const Request as *const natsrs_service_request;
        // SAFETY: the caller's function with its userdata; `r` outlives the call.
        unsafe { cb(ud.ptr, p) };
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
) -> Status {
    let ud = UserData { ptr: userdata, free: userdata_free };
    guard(|| {
        let s = svc_ref(svc)?;
        let a = endpoint_args(name, subject, queue_group, metadata_json, handler, ud)?;
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
) -> Status {
    guard(|| {
        let s = svc_ref(svc)?;
        nn(out, "out")?;
        let g = s.svc.add_group(cstr(name, "name")?, opt_cstr(queue_group, "queue_group")?)?;
        put(out, Box::into_raw(Box::new(natsrs_service_group { group: g })));
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
) -> Status {
    let ud = UserData { ptr: userdata, free: userdata_free };
    guard(|| {
        let g = group_ref(group)?;
        let a = endpoint_args(name, subject, queue_group, metadata_json, handler, ud)?;
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
) -> Status {
    guard(|| {
        let g = group_ref(group)?;
        nn(out, "out")?;
        let ng = g.group.add_group(cstr(name, "name")?, opt_cstr(queue_group, "queue_group")?)?;
        put(out, Box::into_raw(Box::new(natsrs_service_group { group: ng })));
        Ok(())
    })
}

/// Releases a group handle (its endpoints keep running). Accepts NULL.
#[no_mangle]
pub unsafe extern "C" fn natsrs_service_group_free(group: *mut natsrs_service_group) {
    if !group.is_null() {
        // SAFETY: created by Box::into_raw; the caller frees it once.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(unsafe { Box::from_raw(group) })));
    }
}

unsafe fn req_ref<'a>(req: *const natsrs_service_request) -> Result<&'a Request> {
    nn(req, "req")?;
    // SAFETY: the pointer is a &Request handed to the handler, valid during the call.
    Ok(unsafe { &*(req as *const Request) })
}

/// The request message (subject, reply, headers, data). Borrowed; valid during the handler
/// call. NULL if `req` is NULL.
#[no_mangle]
pub unsafe extern "C" fn natsrs_service_request_msg(req: *const natsrs_service_request) -> *const natsrs_msg {
    guard_val(std::ptr::null(), || Ok(req_ref(req)?.msg() as *const crate::msg::Msg as *const natsrs_msg))
}

/// Answers the request with `len` bytes at `data`.
#[no_mangle]
pub unsafe extern "C" fn natsrs_service_request_respond(req: *const natsrs_service_request, data: *const u8, len: usize) -> Status {
    guard(|| req_ref(req)?.respond(payload(data, len)?))
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
) -> Status {
    guard(|| {
        let r = req_ref(req)?;
        r.respond_error(opt_cstr(code, "code")?.unwrap_or(""), cstr(description, "description")?, payload(data, len)?)
    })
}

/// The service instance id. Borrowed; valid until natsrs_service_free. NULL if `svc` is NULL.
#[no_mangle]
pub unsafe extern "C" fn natsrs_service_id(svc: *const natsrs_service) -> *const c_char {
    guard_val(std::ptr::null(), || Ok(svc_ref(svc)?.id.as_ptr()))
}

fn json_out<T: serde::Serialize>(v: &T, out: *mut *mut c_char) -> Result<()> {
    let s = serde_json::to_string(v).map_err(|e| err!(InvalidArgument, "{}", e))?;
    // SAFETY: callers checked `out` for NULL.
    unsafe { put(out, c_string(s)) };
    Ok(())
}

/// The `$SRV.PING` reply. Returns an owned string; release with natsrs_string_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_service_ping_json(svc: *const natsrs_service, out: *mut *mut c_char) -> Status {
    guard(|| {
        let s = svc_ref(svc)?;
        nn(out, "out")?;
        json_out(&s.svc.ping(), out)
    })
}

/// The `$SRV.INFO` reply. Returns an owned string; release with natsrs_string_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_service_info_json(svc: *const natsrs_service, out: *mut *mut c_char) -> Status {
    guard(|| {
        let s = svc_ref(svc)?;
        nn(out, "out")?;
        json_out(&s.svc.info(), out)
    })
}

/// The `$SRV.STATS` reply. Returns an owned string; release with natsrs_string_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_service_stats_json(svc: *const natsrs_service, out: *mut *mut c_char) -> Status {
    guard(|| {
        let s = svc_ref(svc)?;
        nn(out, "out")?;
        json_out(&s.svc.stats(), out)
    })
}

/// Zeroes the endpoints' stats and restarts the `started` clock.
#[no_mangle]
pub unsafe extern "C" fn natsrs_service_reset(svc: *mut natsrs_service) -> Status {
    guard(|| {
        svc_ref(svc)?.svc.reset();
        Ok(())
    })
}

/// Stops the service: endpoints drain (requests already received are answered), discovery
/// stops. When it returns, no handler runs again and the handlers' userdata_free have run
/// (unless called from a handler). Idempotent.
#[no_mangle]
pub unsafe extern "C" fn natsrs_service_stop(svc: *mut natsrs_service) -> Status {
    guard(|| svc_ref(svc)?.svc.stop())
}

/// Whether the service is stopped. false if `svc` is NULL.
#[no_mangle]
pub unsafe extern "C" fn natsrs_service_is_stopped(svc: *const natsrs_service) -> bool {
    guard_val(false, || Ok(svc_ref(svc)?.svc.is_stopped()))
}

/// Stops (see natsrs_service_stop) and releases the service. Accepts NULL.
#[no_mangle]
pub unsafe extern "C" fn natsrs_service_free(svc: *mut natsrs_service) {
    if svc.is_null() {
        return;
    }
    let _ = guard(|| {
        // SAFETY: created by Box::into_raw in natsrs_service_add; the caller frees it once.
        let b = unsafe { Box::from_raw(svc) };
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
