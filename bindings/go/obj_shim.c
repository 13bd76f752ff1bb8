// C helpers for the Go binding's object store; see obj_shim.h.
#include <string.h>
#include "obj_shim.h"
#include "_cgo_export.h"

// A NUL-terminated malloc'd copy of (s, n) ("" for n == 0).
static char *ostr(const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (d == NULL) return NULL;
    if (n > 0) memcpy(d, s, n);
    d[n] = 0;
    return d;
}

// A malloc'd copy of a library string, which is released.
static char *own(char *s) {
    if (s == NULL) return NULL;
    char *d = ostr(s, strlen(s));
    natsrs_string_free(s);
    return d;
}

// Info JSON of *info (malloc'd into *out_json when out_json is not NULL); frees the info.
static natsrs_status info_out(natsrs_status st, natsrs_object_info *info, char **out_json) {
    if (st == NATSRS_STATUS_OK && out_json != NULL && info != NULL) {
        char *j = NULL;
        st = natsrs_object_info_json(info, &j);
        if (st == NATSRS_STATUS_OK) *out_json = own(j);
    }
    natsrs_object_info_free(info);
    return st;
}

#define ORET(expr)                                                                                 \
    do {                                                                                           \
        natsrs_status _s = (expr);                                                                 \
        if (_s != NATSRS_STATUS_OK) gn_take_err(je);                                               \
        return _s;                                                                                 \
    } while (0)

// ---- stores -----------------------------------------------------------------------------------

natsrs_status gn_obj_create(natsrs_jetstream *js, const char *json, size_t json_len, bool update,
                            natsrs_object_store **out, gn_jerr *je) {
    char *j = ostr(json, json_len);
    natsrs_object_store_config *cfg = NULL;
    natsrs_status st = natsrs_object_store_config_from_json(j, &cfg);
    free(j);
    if (st == NATSRS_STATUS_OK) {
        st = update ? natsrs_jetstream_update_object_store(js, cfg, out) : natsrs_jetstream_create_object_store(js, cfg, out);
    }
    if (st != NATSRS_STATUS_OK) gn_take_err(je);
    natsrs_object_store_config_free(cfg);
    return st;
}

natsrs_status gn_obj_bind(natsrs_jetstream *js, const char *bucket, size_t bucket_len, natsrs_object_store **out,
                          gn_jerr *je) {
    char *b = ostr(bucket, bucket_len);
    natsrs_status st = natsrs_jetstream_object_store(js, b, out);
    if (st != NATSRS_STATUS_OK) gn_take_err(je);
    free(b);
    return st;
}

natsrs_status gn_obj_delete_store(natsrs_jetstream *js, const char *bucket, size_t bucket_len, gn_jerr *je) {
    char *b = ostr(bucket, bucket_len);
    natsrs_status st = natsrs_jetstream_delete_object_store(js, b);
    if (st != NATSRS_STATUS_OK) gn_take_err(je);
    free(b);
    return st;
}

natsrs_status gn_obj_names(natsrs_jetstream *js, char **out_json, gn_jerr *je) {
    char *j = NULL;
    natsrs_status st = natsrs_jetstream_object_store_names_json(js, &j);
    if (st != NATSRS_STATUS_OK) {
        gn_take_err(je);
        return st;
    }
    *out_json = own(j);
    return st;
}

// ---- put --------------------------------------------------------------------------------------

static int64_t obj_read(void *ud, uint8_t *buf, size_t cap) { return goObjRead((uintptr_t)ud, buf, cap); }

natsrs_status gn_obj_put(natsrs_object_store *os, const char *meta_json, size_t meta_len, uintptr_t ud,
                         char **out_json, gn_jerr *je) {
    char *j = ostr(meta_json, meta_len);
    natsrs_object_meta *meta = NULL;
    natsrs_status st = natsrs_object_meta_from_json(j, &meta);
    free(j);
    natsrs_object_info *info = NULL;
    if (st == NATSRS_STATUS_OK) st = natsrs_object_store_put_stream(os, meta, obj_read, (void *)ud, &info);
    if (st != NATSRS_STATUS_OK) gn_take_err(je);
    natsrs_object_meta_free(meta);
    return info_out(st, info, out_json);
}

natsrs_status gn_obj_put_bytes(natsrs_object_store *os, const char *name, size_t name_len, const uint8_t *data,
                               size_t len, char **out_json, gn_jerr *je) {
    char *n = ostr(name, name_len);
    natsrs_object_info *info = NULL;
    natsrs_status st = natsrs_object_store_put_bytes(os, n, len ? data : NULL, len, &info);
    if (st != NATSRS_STATUS_OK) gn_take_err(je);
    free(n);
    return info_out(st, info, out_json);
}

natsrs_status gn_obj_put_file(natsrs_object_store *os, const char *name, size_t name_len, const char *path,
                              size_t path_len, char **out_json, gn_jerr *je) {
    char *n = ostr(name, name_len), *p = ostr(path, path_len);
    natsrs_object_info *info = NULL;
    natsrs_status st = natsrs_object_store_put_file(os, n, p, &info);
    if (st != NATSRS_STATUS_OK) gn_take_err(je);
    free(n);
    free(p);
    return info_out(st, info, out_json);
}

// ---- get --------------------------------------------------------------------------------------

static int32_t obj_write(void *ud, const uint8_t *data, size_t len) {
    return goObjWrite((uintptr_t)ud, (uint8_t *)data, len);
}

natsrs_status gn_obj_get(natsrs_object_store *os, const char *name, size_t name_len, uintptr_t ud, gn_jerr *je) {
    char *n = ostr(name, name_len);
    natsrs_status st = natsrs_object_store_get_stream(os, n, obj_write, (void *)ud, NULL);
    if (st != NATSRS_STATUS_OK) gn_take_err(je);
    free(n);
    return st;
}

natsrs_status gn_obj_get_file(natsrs_object_store *os, const char *name, size_t name_len, const char *path,
                              size_t path_len, gn_jerr *je) {
    char *n = ostr(name, name_len), *p = ostr(path, path_len);
    natsrs_status st = natsrs_object_store_get_file(os, n, p, NULL);
    if (st != NATSRS_STATUS_OK) gn_take_err(je);
    free(n);
    free(p);
    return st;
}

// ---- objects ----------------------------------------------------------------------------------

natsrs_status gn_obj_info(natsrs_object_store *os, const char *name, size_t name_len, bool show_deleted,
                          char **out_json, gn_jerr *je) {
    char *n = ostr(name, name_len);
    natsrs_object_info *info = NULL;
    natsrs_status st = natsrs_object_store_info(os, n, show_deleted, &info);
    if (st != NATSRS_STATUS_OK) gn_take_err(je);
    free(n);
    return info_out(st, info, out_json);
}

natsrs_status gn_obj_update_meta(natsrs_object_store *os, const char *name, size_t name_len, const char *meta_json,
                                 size_t meta_len, gn_jerr *je) {
    char *n = ostr(name, name_len), *j = ostr(meta_json, meta_len);
    natsrs_object_meta *meta = NULL;
    natsrs_status st = natsrs_object_meta_from_json(j, &meta);
    if (st == NATSRS_STATUS_OK) st = natsrs_object_store_update_meta(os, n, meta, NULL);
    if (st != NATSRS_STATUS_OK) gn_take_err(je);
    natsrs_object_meta_free(meta);
    free(n);
    free(j);
    return st;
}

natsrs_status gn_obj_delete(natsrs_object_store *os, const char *name, size_t name_len, gn_jerr *je) {
    char *n = ostr(name, name_len);
    natsrs_status st = natsrs_object_store_delete(os, n);
    if (st != NATSRS_STATUS_OK) gn_take_err(je);
    free(n);
    return st;
}

natsrs_status gn_obj_list(natsrs_object_store *os, bool show_deleted, char **out_json, gn_jerr *je) {
    natsrs_object_info_list *list = NULL;
    natsrs_status st = natsrs_object_store_list(os, show_deleted, &list);
    if (st != NATSRS_STATUS_OK) {
        gn_take_err(je);
        return st;
    }
    gn_jbuf b = {0};
    size_t n = natsrs_object_info_list_count(list);
    for (size_t i = 0; i < n && st == NATSRS_STATUS_OK; i++) {
        char *j = NULL;
        st = natsrs_object_info_json(natsrs_object_info_list_get(list, i), &j);
        if (st != NATSRS_STATUS_OK) {
            gn_take_err(je);
            break;
        }
        gn_jbuf_add(&b, j);
        natsrs_string_free(j);
    }
    natsrs_object_info_list_free(list);
    char *out = gn_jbuf_finish(&b);
    if (st != NATSRS_STATUS_OK) {
        free(out);
        return st;
    }
    if (out == NULL) return NATSRS_STATUS_IO;
    *out_json = out;
    return st;
}

natsrs_status gn_obj_add_link(natsrs_object_store *os, natsrs_jetstream *js, const char *name, size_t name_len,
                              const char *tbucket, size_t tbucket_len, const char *tname, size_t tname_len,
                              char **out_json, gn_jerr *je) {
    char *n = ostr(name, name_len), *tb = ostr(tbucket, tbucket_len), *tn = ostr(tname, tname_len);
    natsrs_object_store *tos = NULL;
    natsrs_object_info *target = NULL, *info = NULL;
    natsrs_status st = natsrs_jetstream_object_store(js, tb, &tos);
    if (st == NATSRS_STATUS_OK) st = natsrs_object_store_info(tos, tn, true, &target);
    if (st == NATSRS_STATUS_OK) st = natsrs_object_store_add_link(os, n, target, &info);
    if (st != NATSRS_STATUS_OK) gn_take_err(je);
    natsrs_object_info_free(target);
    natsrs_object_store_free(tos);
    free(n);
    free(tb);
    free(tn);
    return info_out(st, info, out_json);
}

natsrs_status gn_obj_add_bucket_link(natsrs_object_store *os, const char *name, size_t name_len,
                                     const natsrs_object_store *target, char **out_json, gn_jerr *je) {
    char *n = ostr(name, name_len);
    natsrs_object_info *info = NULL;
    natsrs_status st = natsrs_object_store_add_bucket_link(os, n, target, &info);
    if (st != NATSRS_STATUS_OK) gn_take_err(je);
    free(n);
    return info_out(st, info, out_json);
}

natsrs_status gn_obj_seal(natsrs_object_store *os, gn_jerr *je) { ORET(natsrs_object_store_seal(os)); }

natsrs_status gn_obj_status(natsrs_object_store *os, char **out_json, gn_jerr *je) {
    natsrs_object_store_status *s = NULL;
    natsrs_status st = natsrs_object_store_get_status(os, &s);
    char *j = NULL;
    if (st == NATSRS_STATUS_OK) st = natsrs_object_store_status_json(s, &j);
    if (st != NATSRS_STATUS_OK) gn_take_err(je);
    natsrs_object_store_status_free(s);
    if (st == NATSRS_STATUS_OK) *out_json = own(j);
    return st;
}

// ---- watch ------------------------------------------------------------------------------------

natsrs_status gn_obj_watch(natsrs_object_store *os, bool history, bool ignore_deletes, bool updates_only,
                           natsrs_object_watcher **out, gn_jerr *je) {
    ORET(natsrs_object_store_watch(os, history, ignore_deletes, updates_only, out));
}

natsrs_status gn_obj_watch_next(natsrs_object_watcher *w, int64_t timeout_ms, char **out_json, bool *marker,
                                gn_jerr *je) {
    natsrs_object_info *info = NULL;
    natsrs_status st = natsrs_object_watcher_next(w, timeout_ms, &info);
    if (st != NATSRS_STATUS_OK) {
        if (st != NATSRS_STATUS_TIMEOUT) gn_take_err(je);
        return st;
    }
    *marker = info == NULL;
    return info_out(st, info, out_json);
}
