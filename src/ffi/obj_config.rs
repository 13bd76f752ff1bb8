//! `natsrs_object_store_config` (a store's config: JSON plus typed setters, durations in ms)
//! and `natsrs_object_meta` (what a put or a meta update says about an object).

use std::ffi::c_char;

use super::handle::{self, borrow, borrow_mut, box_into_raw, BoxOwned, Castable};
use super::jetstream::{duration_ms, put_string};
use super::status::natsrs_status;
use super::{cstr, guard, nn, opt_cstr, put};
use crate::error::{err, Result};
use crate::jetstream::StorageType;
use crate::object_store::{ObjectMeta, ObjectMetaOptions, ObjectStoreConfig};

/// An object store's config. Opaque; release with natsrs_object_store_config_free.
pub struct natsrs_object_store_config {
    pub(crate) cfg: ObjectStoreConfig,
}

// SAFETY: pointers to natsrs_object_store_config are only made by box_into_raw.
unsafe impl Castable for natsrs_object_store_config {
    type Ownership = BoxOwned;
}

/// An object's meta: name, description, headers, metadata, chunk size. Opaque; release with
/// natsrs_object_meta_free.
pub struct natsrs_object_meta {
    pub(crate) meta: ObjectMeta,
}

// SAFETY: pointers to natsrs_object_meta are only made by box_into_raw.
unsafe impl Castable for natsrs_object_meta {
    type Ownership = BoxOwned;
}

/// Borrows a store config mutably.
///
/// # Safety
/// `c` is NULL or a live handle not used from another thread at the same time.
unsafe fn oc<'a>(c: *mut natsrs_object_store_config) -> Result<&'a mut ObjectStoreConfig> {
    // SAFETY: forwarded caller guarantee.
    Ok(&mut unsafe { borrow_mut(c, "cfg") }?.cfg)
}

/// Borrows a meta handle mutably.
///
/// # Safety
/// `m` is NULL or a live handle not used from another thread at the same time.
unsafe fn om<'a>(m: *mut natsrs_object_meta) -> Result<&'a mut ObjectMeta> {
    // SAFETY: forwarded caller guarantee.
    Ok(&mut unsafe { borrow_mut(m, "meta") }?.meta)
}

/// Borrows a store config.
///
/// # Safety
/// `c` is NULL or a live handle.
pub(crate) unsafe fn store_cfg<'a>(c: *const natsrs_object_store_config) -> Result<&'a ObjectStoreConfig> {
    // SAFETY: forwarded caller guarantee.
    Ok(&unsafe { borrow(c, "cfg") }?.cfg)
}

/// Borrows a meta handle.
///
/// # Safety
/// `m` is NULL or a live handle.
pub(crate) unsafe fn meta_ref<'a>(m: *const natsrs_object_meta) -> Result<&'a ObjectMeta> {
    // SAFETY: forwarded caller guarantee.
    Ok(&unsafe { borrow(m, "meta") }?.meta)
}

/// Creates the config of a store named `bucket` (`[A-Za-z0-9_-]+`) with the defaults: file
/// storage, 1 replica, no TTL, no size limit. Returns an owned natsrs_object_store_config;
/// release with natsrs_object_store_config_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_store_config_new(bucket: *const c_char, out: *mut *mut natsrs_object_store_config) -> natsrs_status {
    guard(|| {
        // SAFETY: `bucket` is a C string (or NULL, refused).
        let b = unsafe { cstr(bucket, "bucket") }?;
        nn(out, "out")?;
        crate::object_store::validate_bucket(b)?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, box_into_raw(natsrs_object_store_config { cfg: ObjectStoreConfig::new(b) })) };
        Ok(())
    })
}

/// Parses a store config from JSON (nats.go's form: `bucket` (required), `description`,
/// `max_age` (ns), `max_bytes`, `storage` ("file"/"memory"), `num_replicas`, `placement`,
/// `compression` (bool), `metadata`). Returns an owned natsrs_object_store_config; release
/// with natsrs_object_store_config_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_store_config_from_json(
    json: *const c_char,
    out: *mut *mut natsrs_object_store_config,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `json` is a C string (or NULL, refused).
        let j = unsafe { cstr(json, "json") }?;
        nn(out, "out")?;
        let cfg = ObjectStoreConfig::from_json(j)?;
        // SAFETY: checked non-NULL above.
        unsafe { put(out, box_into_raw(natsrs_object_store_config { cfg })) };
        Ok(())
    })
}

/// The config as JSON (the form natsrs_object_store_config_from_json reads). Returns an owned
/// string; release with natsrs_string_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_store_config_to_json(
    cfg: *const natsrs_object_store_config,
    out: *mut *mut c_char,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused).
        let c = unsafe { store_cfg(cfg) }?;
        // SAFETY: `out` is checked by put_string.
        unsafe { put_string(out, &c.to_json()) }
    })
}

/// Sets the description; NULL clears it.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_store_config_set_description(
    cfg: *mut natsrs_object_store_config,
    description: *const c_char,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused); `description` NULL or a C string.
        let (c, d) = unsafe { (oc(cfg)?, opt_cstr(description, "description")?) };
        c.description = d.map(str::to_string);
        Ok(())
    })
}

/// Sets how long objects live (0 = forever, the default).
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_store_config_set_ttl_ms(cfg: *mut natsrs_object_store_config, ttl_ms: i64) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused).
        let c = unsafe { oc(cfg) }?;
        let d = duration_ms(ttl_ms, "ttl_ms")?;
        c.ttl = (!d.is_zero()).then_some(d);
        Ok(())
    })
}

/// Sets the store's size limit in bytes (negative = unlimited, the default).
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_store_config_set_max_bytes(cfg: *mut natsrs_object_store_config, max_bytes: i64) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused).
        let c = unsafe { oc(cfg) }?;
        c.max_bytes = (max_bytes >= 0).then_some(max_bytes);
        Ok(())
    })
}

/// Sets the storage (natsrs_storage_type value; file is the default).
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_store_config_set_storage(cfg: *mut natsrs_object_store_config, storage: i32) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused).
        let c = unsafe { oc(cfg) }?;
        c.storage = Some(match storage {
            0 => StorageType::File,
            1 => StorageType::Memory,
            v => return Err(err!(InvalidArgument, "invalid 'storage' value {}", v)),
        });
        Ok(())
    })
}

/// Sets the number of replicas (1..=5).
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_store_config_set_replicas(cfg: *mut natsrs_object_store_config, replicas: i32) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused).
        let c = unsafe { oc(cfg) }?;
        if !(1..=5).contains(&replicas) {
            return Err(err!(InvalidArgument, "invalid 'replicas' value {}", replicas));
        }
        c.replicas = replicas as u32;
        Ok(())
    })
}

/// Turns S2 compression of the backing stream on or off (server 2.10+).
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_store_config_set_compression(
    cfg: *mut natsrs_object_store_config,
    compression: bool,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `cfg` live (or NULL, refused).
        unsafe { oc(cfg) }?.compression = compression;
        Ok(())
    })
}

/// Releases a store config. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_store_config_free(cfg: *mut natsrs_object_store_config) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle the caller gives up (C contract).
        drop(unsafe { handle::free_box(cfg) });
        Ok(())
    });
}

/// Creates the meta of an object named `name` (any non-empty UTF-8 text). Returns an owned
/// natsrs_object_meta; release with natsrs_object_meta_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_meta_new(name: *const c_char, out: *mut *mut natsrs_object_meta) -> natsrs_status {
    guard(|| {
        // SAFETY: `name` is a C string (or NULL, refused).
        let n = unsafe { cstr(name, "name") }?;
        nn(out, "out")?;
        if n.is_empty() {
            return Err(err!(InvalidArgument, "'name' is empty"));
        }
        // SAFETY: checked non-NULL above.
        unsafe { put(out, box_into_raw(natsrs_object_meta { meta: ObjectMeta::new(n) })) };
        Ok(())
    })
}

/// Parses meta from JSON (`name`, `description`, `headers` {name: [values]}, `metadata`
/// {key: value}, `options` {`max_chunk_size`}). Returns an owned natsrs_object_meta; release
/// with natsrs_object_meta_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_meta_from_json(json: *const c_char, out: *mut *mut natsrs_object_meta) -> natsrs_status {
    guard(|| {
        // SAFETY: `json` is a C string (or NULL, refused).
        let j = unsafe { cstr(json, "json") }?;
        nn(out, "out")?;
        let meta: ObjectMeta = serde_json::from_str(j).map_err(|e| err!(InvalidArgument, "bad object meta JSON: {}", e))?;
        if meta.name.is_empty() {
            return Err(err!(InvalidArgument, "object meta JSON has no 'name'"));
        }
        // SAFETY: checked non-NULL above.
        unsafe { put(out, box_into_raw(natsrs_object_meta { meta })) };
        Ok(())
    })
}

/// The meta as JSON. Returns an owned string; release with natsrs_string_free.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_meta_to_json(meta: *const natsrs_object_meta, out: *mut *mut c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `meta` live (or NULL, refused).
        let m = unsafe { meta_ref(meta) }?;
        // SAFETY: `out` is checked by put_string.
        unsafe { put_string(out, &serde_json::to_string(m).expect("meta serializes")) }
    })
}

/// Sets the name (natsrs_object_store_update_meta renames to it).
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_meta_set_name(meta: *mut natsrs_object_meta, name: *const c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `meta` live (or NULL, refused); `name` a C string.
        let (m, n) = unsafe { (om(meta)?, cstr(name, "name")?) };
        if n.is_empty() {
            return Err(err!(InvalidArgument, "'name' is empty"));
        }
        m.name = n.to_string();
        Ok(())
    })
}

/// Sets the description; NULL clears it.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_meta_set_description(meta: *mut natsrs_object_meta, description: *const c_char) -> natsrs_status {
    guard(|| {
        // SAFETY: `meta` live (or NULL, refused); `description` NULL or a C string.
        let (m, d) = unsafe { (om(meta)?, opt_cstr(description, "description")?) };
        m.description = d.map(str::to_string);
        Ok(())
    })
}

/// Adds a header value (a header may have several values).
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_meta_add_header(
    meta: *mut natsrs_object_meta,
    name: *const c_char,
    value: *const c_char,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `meta` live (or NULL, refused); `name` and `value` C strings.
        let (m, n, v) = unsafe { (om(meta)?, cstr(name, "name")?, cstr(value, "value")?) };
        if n.is_empty() {
            return Err(err!(InvalidArgument, "'name' is empty"));
        }
        m.headers.get_or_insert_with(Default::default).entry(n.to_string()).or_default().push(v.to_string());
        Ok(())
    })
}

/// Sets one metadata entry (replacing its value).
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_meta_set_metadata(
    meta: *mut natsrs_object_meta,
    key: *const c_char,
    value: *const c_char,
) -> natsrs_status {
    guard(|| {
        // SAFETY: `meta` live (or NULL, refused); `key` and `value` C strings.
        let (m, k, v) = unsafe { (om(meta)?, cstr(key, "key")?, cstr(value, "value")?) };
        m.metadata.get_or_insert_with(Default::default).insert(k.to_string(), v.to_string());
        Ok(())
    })
}

/// Sets the chunk size a put uses (bytes, 1 to 8 MiB; 0 = the default 128 KiB).
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_meta_set_chunk_size(meta: *mut natsrs_object_meta, chunk_size: u32) -> natsrs_status {
    guard(|| {
        // SAFETY: `meta` live (or NULL, refused).
        let m = unsafe { om(meta) }?;
        if chunk_size as usize > crate::object_store::put::OBJ_MAX_CHUNK_SIZE {
            return Err(err!(InvalidArgument, "'chunk_size' {} is above 8 MiB", chunk_size));
        }
        let o = m.options.get_or_insert_with(ObjectMetaOptions::default);
        o.max_chunk_size = (chunk_size > 0).then_some(chunk_size);
        Ok(())
    })
}

/// Releases meta. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn natsrs_object_meta_free(meta: *mut natsrs_object_meta) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle the caller gives up (C contract).
        drop(unsafe { handle::free_box(meta) });
        Ok(())
    });
}
