// C helpers for the Go binding's object store (package nats), on natsrs_object_store_*. As in
// js_shim.h, a failing helper copies the last error into *je in the same C call. JSON outputs
// (*out_json) are malloc'd; the caller frees them.
#ifndef GONATSRS_OBJ_SHIM_H
#define GONATSRS_OBJ_SHIM_H

#include "js_shim.h"

// Stores: create (or update) from nats.go's config JSON, bind, delete, list names.
natsrs_status gn_obj_create(natsrs_jetstream *js, const char *json, size_t json_len, bool update,
                            natsrs_object_store **out, gn_jerr *je);
natsrs_status gn_obj_bind(natsrs_jetstream *js, const char *bucket, size_t bucket_len, natsrs_object_store **out,
                          gn_jerr *je);
natsrs_status gn_obj_delete_store(natsrs_jetstream *js, const char *bucket, size_t bucket_len, gn_jerr *je);
natsrs_status gn_obj_names(natsrs_jetstream *js, char **out_json, gn_jerr *je);

// Put: streamed from goObjRead(ud, buf, cap) (meta as nats.go's ObjectMeta JSON), from Go
// bytes, or from a file. *out_json: the new object's info.
natsrs_status gn_obj_put(natsrs_object_store *os, const char *meta_json, size_t meta_len, uintptr_t ud,
                         char **out_json, gn_jerr *je);
natsrs_status gn_obj_put_bytes(natsrs_object_store *os, const char *name, size_t name_len, const uint8_t *data,
                               size_t len, char **out_json, gn_jerr *je);
natsrs_status gn_obj_put_file(natsrs_object_store *os, const char *name, size_t name_len, const char *path,
                              size_t path_len, char **out_json, gn_jerr *je);

// Get: streamed to goObjWrite(ud, data, len), or into a file.
natsrs_status gn_obj_get(natsrs_object_store *os, const char *name, size_t name_len, uintptr_t ud, gn_jerr *je);
natsrs_status gn_obj_get_file(natsrs_object_store *os, const char *name, size_t name_len, const char *path,
                              size_t path_len, gn_jerr *je);

natsrs_status gn_obj_info(natsrs_object_store *os, const char *name, size_t name_len, bool show_deleted,
                          char **out_json, gn_jerr *je);
natsrs_status gn_obj_update_meta(natsrs_object_store *os, const char *name, size_t name_len, const char *meta_json,
                                 size_t meta_len, gn_jerr *je);
natsrs_status gn_obj_delete(natsrs_object_store *os, const char *name, size_t name_len, gn_jerr *je);
// *out_json: a JSON array of infos.
natsrs_status gn_obj_list(natsrs_object_store *os, bool show_deleted, char **out_json, gn_jerr *je);
// Link `name` to the object (tbucket, tname), looked up (deleted ones included) through js.
natsrs_status gn_obj_add_link(natsrs_object_store *os, natsrs_jetstream *js, const char *name, size_t name_len,
                              const char *tbucket, size_t tbucket_len, const char *tname, size_t tname_len,
                              char **out_json, gn_jerr *je);
natsrs_status gn_obj_add_bucket_link(natsrs_object_store *os, const char *name, size_t name_len,
                                     const natsrs_object_store *target, char **out_json, gn_jerr *je);
natsrs_status gn_obj_seal(natsrs_object_store *os, gn_jerr *je);
// *out_json: the backing stream's info.
natsrs_status gn_obj_status(natsrs_object_store *os, char **out_json, gn_jerr *je);

natsrs_status gn_obj_watch(natsrs_object_store *os, bool history, bool ignore_deletes, bool updates_only,
                           natsrs_object_watcher **out, gn_jerr *je);
// Next change: *out_json an info, or NULL with *marker set (initial values done).
natsrs_status gn_obj_watch_next(natsrs_object_watcher *w, int64_t timeout_ms, char **out_json, bool *marker,
                                gn_jerr *je);

#endif
