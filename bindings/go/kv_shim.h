// C helpers for the Go binding's key-value store (package nats), on natsrs_kv_*. As in
// js_shim.h, a failing helper copies the last error into *je in the same C call. Strings and
// JSON outputs are malloc'd; the caller frees them.
#ifndef GONATSRS_KV_SHIM_H
#define GONATSRS_KV_SHIM_H

#include "js_shim.h"

// An entry copied out of a natsrs_kv_entry (key and value malloc'd; value NULL when empty).
typedef struct gn_kv_entry {
    char *key;
    uint8_t *value;
    size_t value_len;
    uint64_t revision;
    int64_t created_ns;
    uint64_t delta;
    int op;
} gn_kv_entry;

// Buckets: create / update from nats.go's config JSON, bind, delete.
enum { GN_KV_CREATE = 1, GN_KV_UPDATE, GN_KV_CREATE_OR_UPDATE };
natsrs_status gn_kv_create(natsrs_jetstream *js, int op, const char *json, size_t json_len, natsrs_kv **out,
                           gn_jerr *je);
natsrs_status gn_kv_bind(natsrs_jetstream *js, const char *bucket, size_t bucket_len, natsrs_kv **out, gn_jerr *je);
natsrs_status gn_kv_delete_bucket(natsrs_jetstream *js, const char *bucket, size_t bucket_len, gn_jerr *je);
// Names as a JSON array of strings; statuses as a JSON array of natsrs_kv_status_json objects.
natsrs_status gn_kv_names(natsrs_jetstream *js, char **out_json, gn_jerr *je);
natsrs_status gn_kv_statuses(natsrs_jetstream *js, char **out_json, gn_jerr *je);
natsrs_status gn_kv_status(natsrs_kv *kv, char **out_json, gn_jerr *je);

// Writes. op: GN_KV_PUT, GN_KV_CREATE_KEY, GN_KV_UPDATE_KEY (rev = last revision),
// GN_KV_DELETE / GN_KV_PURGE (rev = last revision or 0).
enum { GN_KV_PUT = 1, GN_KV_CREATE_KEY, GN_KV_UPDATE_KEY, GN_KV_DELETE, GN_KV_PURGE };
natsrs_status gn_kv_write(natsrs_kv *kv, int op, const char *key, size_t key_len, const uint8_t *data, size_t len,
                          uint64_t rev, uint64_t *out_rev, gn_jerr *je);
// Get (revision 0: the latest). On OK or KEY_DELETED *e is filled.
natsrs_status gn_kv_get(natsrs_kv *kv, const char *key, size_t key_len, uint64_t revision, gn_kv_entry *e,
                        gn_jerr *je);
void gn_kv_entry_clear(gn_kv_entry *e);
natsrs_status gn_kv_purge_deletes(natsrs_kv *kv, int64_t older_than_ms, gn_jerr *je);
// Keys (filters: "f1\0f2\0..." with n filters) as a JSON array of strings.
natsrs_status gn_kv_keys(natsrs_kv *kv, const char *filters, size_t filters_len, size_t n, char **out_json,
                         gn_jerr *je);
// History: *out malloc'd array of *count entries (free with gn_kv_entries_free).
natsrs_status gn_kv_history(natsrs_kv *kv, const char *key, size_t key_len, gn_kv_entry **out, size_t *count,
                            gn_jerr *je);
void gn_kv_entries_free(gn_kv_entry *e, size_t n);

// Watch the keys matching filters ("f1\0f2\0..." with n filters; n == 0: all keys).
natsrs_status gn_kv_watch(natsrs_kv *kv, const char *filters, size_t filters_len, size_t n, bool history,
                          bool ignore_deletes, bool updates_only, bool meta_only, natsrs_kv_watcher **out,
                          gn_jerr *je);
// Next change into *e, or *marker (initial values done).
natsrs_status gn_kv_watch_next(natsrs_kv_watcher *w, int64_t timeout_ms, gn_kv_entry *e, bool *marker, gn_jerr *je);

#endif
