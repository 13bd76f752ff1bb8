// C helpers for the Go binding's key-value store; see kv_shim.h.
#include <string.h>
#include "kv_shim.h"

// A NUL-terminated malloc'd copy of (s, n) ("" for n == 0).
static char *kstr(const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (d == NULL) return NULL;
    if (n > 0) memcpy(d, s, n);
    d[n] = 0;
    return d;
}

// Splits "f1\0f2\0..." (n strings) into a malloc'd array of pointers into a malloc'd copy.
static const char **split(const char *buf, size_t len, size_t n, char **copy) {
    *copy = kstr(buf, len);
    const char **v = calloc(n ? n : 1, sizeof *v);
    if (*copy == NULL || v == NULL) {
        free(*copy);
        free(v);
        *copy = NULL;
        return NULL;
    }
    size_t off = 0;
    for (size_t i = 0; i < n && off <= len; i++) {
        v[i] = *copy + off;
        off += strlen(*copy + off) + 1;
    }
    return v;
}

static void fill_entry(const natsrs_kv_entry *src, gn_kv_entry *e) {
    const char *k = natsrs_kv_entry_key(src);
    e->key = kstr(k ? k : "", k ? strlen(k) : 0);
    e->value_len = natsrs_kv_entry_value_len(src);
    e->value = NULL;
    if (e->value_len > 0) {
        e->value = malloc(e->value_len);
        if (e->value != NULL) memcpy(e->value, natsrs_kv_entry_value(src), e->value_len);
        else e->value_len = 0;
    }
    e->revision = natsrs_kv_entry_revision(src);
    e->created_ns = natsrs_kv_entry_created_ns(src);
    e->delta = natsrs_kv_entry_delta(src);
    e->op = (int)natsrs_kv_entry_operation(src);
}

void gn_kv_entry_clear(gn_kv_entry *e) {
    free(e->key);
    free(e->value);
    e->key = NULL;
    e->value = NULL;
}

// A malloc'd copy of a library string, which is released.
static char *kown(char *s) {
    if (s == NULL) return NULL;
    char *d = kstr(s, strlen(s));
    natsrs_string_free(s);
    return d;
}

// ---- buckets ----------------------------------------------------------------------------------

natsrs_status gn_kv_create(natsrs_jetstream *js, int op, const char *json, size_t json_len, natsrs_kv **out,
                           gn_jerr *je) {
    char *j = kstr(json, json_len);
    natsrs_kv_config *cfg = NULL;
    natsrs_status st = natsrs_kv_config_from_json(j, &cfg);
    free(j);
    if (st == NATSRS_STATUS_OK) {
        switch (op) {
        case GN_KV_CREATE: st = natsrs_jetstream_create_kv(js, cfg, out); break;
        case GN_KV_UPDATE: st = natsrs_jetstream_update_kv(js, cfg, out); break;
        default: st = natsrs_jetstream_create_or_update_kv(js, cfg, out); break;
        }
    }
    if (st != NATSRS_STATUS_OK) gn_take_err(je);
    natsrs_kv_config_free(cfg);
    return st;
}

natsrs_status gn_kv_bind(natsrs_jetstream *js, const char *bucket, size_t bucket_len, natsrs_kv **out, gn_jerr *je) {
    char *b = kstr(bucket, bucket_len);
    natsrs_status st = natsrs_jetstream_bind_kv(js, b, out);
    if (st != NATSRS_STATUS_OK) gn_take_err(je);
    free(b);
    return st;
}

natsrs_status gn_kv_delete_bucket(natsrs_jetstream *js, const char *bucket, size_t bucket_len, gn_jerr *je) {
    char *b = kstr(bucket, bucket_len);
    natsrs_status st = natsrs_jetstream_delete_kv(js, b);
    if (st != NATSRS_STATUS_OK) gn_take_err(je);
    free(b);
    return st;
}

// Appends `s` as a JSON string (only bucket and key characters: no escaping needed).
static void add_quoted(gn_jbuf *b, const char *s) {
    size_t n = strlen(s);
    char *q = malloc(n + 3);
    if (q == NULL) {
        b->failed = true;
        return;
    }
    q[0] = '"';
    memcpy(q + 1, s, n);
    q[n + 1] = '"';
    q[n + 2] = 0;
    gn_jbuf_add(b, q);
    free(q);
}

static natsrs_status strings_json(natsrs_strings *list, char **out_json) {
    gn_jbuf b = {0};
    size_t n = natsrs_strings_count(list);
    for (size_t i = 0; i < n; i++) add_quoted(&b, natsrs_strings_get(list, i));
    natsrs_strings_free(list);
    *out_json = gn_jbuf_finish(&b);
    return *out_json == NULL ? NATSRS_STATUS_IO : NATSRS_STATUS_OK;
}

natsrs_status gn_kv_names(natsrs_jetstream *js, char **out_json, gn_jerr *je) {
    natsrs_strings *list = NULL;
    natsrs_status st = natsrs_jetstream_kv_store_names(js, &list);
    if (st != NATSRS_STATUS_OK) {
        gn_take_err(je);
        return st;
    }
    return strings_json(list, out_json);
}

natsrs_status gn_kv_statuses(natsrs_jetstream *js, char **out_json, gn_jerr *je) {
    natsrs_kv_status_list *list = NULL;
    natsrs_status st = natsrs_jetstream_kv_stores(js, &list);
    if (st != NATSRS_STATUS_OK) {
        gn_take_err(je);
        return st;
    }
    gn_jbuf b = {0};
    size_t n = natsrs_kv_status_list_count(list);
    for (size_t i = 0; i < n && st == NATSRS_STATUS_OK; i++) {
        char *j = NULL;
        st = natsrs_kv_status_json(natsrs_kv_status_list_get(list, i), &j);
        if (st != NATSRS_STATUS_OK) {
            gn_take_err(je);
            break;
        }
        gn_jbuf_add(&b, j);
        natsrs_string_free(j);
    }
    natsrs_kv_status_list_free(list);
    char *out = gn_jbuf_finish(&b);
    if (st != NATSRS_STATUS_OK) {
        free(out);
        return st;
    }
    if (out == NULL) return NATSRS_STATUS_IO;
    *out_json = out;
    return st;
}

natsrs_status gn_kv_status(natsrs_kv *kv, char **out_json, gn_jerr *je) {
    natsrs_kv_status *s = NULL;
    char *j = NULL;
    natsrs_status st = natsrs_kv_bucket_status(kv, &s);
    if (st == NATSRS_STATUS_OK) st = natsrs_kv_status_json(s, &j);
    if (st != NATSRS_STATUS_OK) gn_take_err(je);
    natsrs_kv_status_free(s);
    if (st == NATSRS_STATUS_OK) *out_json = kown(j);
    return st;
}

// ---- keys -------------------------------------------------------------------------------------

natsrs_status gn_kv_write(natsrs_kv *kv, int op, const char *key, size_t key_len, const uint8_t *data, size_t len,
                          uint64_t rev, uint64_t *out_rev, gn_jerr *je) {
    char *k = kstr(key, key_len);
    const uint8_t *d = len ? data : NULL;
    natsrs_status st = NATSRS_STATUS_INVALID_ARGUMENT;
    switch (op) {
    case GN_KV_PUT: st = natsrs_kv_put(kv, k, d, len, out_rev); break;
    case GN_KV_CREATE_KEY: st = natsrs_kv_create(kv, k, d, len, out_rev); break;
    case GN_KV_UPDATE_KEY: st = natsrs_kv_update(kv, k, d, len, rev, out_rev); break;
    case GN_KV_DELETE: st = natsrs_kv_delete(kv, k, rev); break;
    case GN_KV_PURGE: st = natsrs_kv_purge(kv, k, rev); break;
    }
    if (st != NATSRS_STATUS_OK) gn_take_err(je);
    free(k);
    return st;
}

natsrs_status gn_kv_get(natsrs_kv *kv, const char *key, size_t key_len, uint64_t revision, gn_kv_entry *e,
                        gn_jerr *je) {
    char *k = kstr(key, key_len);
    natsrs_kv_entry *entry = NULL;
    natsrs_status st = revision == 0 ? natsrs_kv_get(kv, k, &entry) : natsrs_kv_get_revision(kv, k, revision, &entry);
    if (st != NATSRS_STATUS_OK) gn_take_err(je);
    if (entry != NULL) fill_entry(entry, e);
    natsrs_kv_entry_free(entry);
    free(k);
    return st;
}

natsrs_status gn_kv_purge_deletes(natsrs_kv *kv, int64_t older_than_ms, gn_jerr *je) {
    natsrs_status st = natsrs_kv_purge_deletes(kv, older_than_ms, NULL);
    if (st != NATSRS_STATUS_OK) gn_take_err(je);
    return st;
}

natsrs_status gn_kv_keys(natsrs_kv *kv, const char *filters, size_t filters_len, size_t n, char **out_json,
                         gn_jerr *je) {
    char *copy = NULL;
    const char **v = NULL;
    if (n > 0 && (v = split(filters, filters_len, n, &copy)) == NULL) return NATSRS_STATUS_IO;
    natsrs_strings *list = NULL;
    natsrs_status st = natsrs_kv_keys(kv, v, n, &list);
    free(v);
    free(copy);
    if (st != NATSRS_STATUS_OK) {
        gn_take_err(je);
        return st;
    }
    return strings_json(list, out_json);
}

natsrs_status gn_kv_history(natsrs_kv *kv, const char *key, size_t key_len, gn_kv_entry **out, size_t *count,
                            gn_jerr *je) {
    char *k = kstr(key, key_len);
    natsrs_kv_entries *list = NULL;
    natsrs_status st = natsrs_kv_history(kv, k, &list);
    free(k);
    *out = NULL;
    *count = 0;
    if (st != NATSRS_STATUS_OK) {
        gn_take_err(je);
        return st;
    }
    size_t n = natsrs_kv_entries_count(list);
    gn_kv_entry *es = calloc(n ? n : 1, sizeof *es);
    if (es == NULL) {
        natsrs_kv_entries_free(list);
        return NATSRS_STATUS_IO;
    }
    for (size_t i = 0; i < n; i++) fill_entry(natsrs_kv_entries_get(list, i), &es[i]);
    natsrs_kv_entries_free(list);
    *out = es;
    *count = n;
    return st;
}

void gn_kv_entries_free(gn_kv_entry *e, size_t n) {
    if (e == NULL) return;
    for (size_t i = 0; i < n; i++) gn_kv_entry_clear(&e[i]);
    free(e);
}

// ---- watch ------------------------------------------------------------------------------------

natsrs_status gn_kv_watch(natsrs_kv *kv, const char *filters, size_t filters_len, size_t n, bool history,
                          bool ignore_deletes, bool updates_only, bool meta_only, natsrs_kv_watcher **out,
                          gn_jerr *je) {
    natsrs_kv_watch_options *o = NULL;
    natsrs_status st = natsrs_kv_watch_options_create(&o);
    if (st == NATSRS_STATUS_OK && history) st = natsrs_kv_watch_options_set_include_history(o, true);
    if (st == NATSRS_STATUS_OK && ignore_deletes) st = natsrs_kv_watch_options_set_ignore_deletes(o, true);
    if (st == NATSRS_STATUS_OK && updates_only) st = natsrs_kv_watch_options_set_updates_only(o, true);
    if (st == NATSRS_STATUS_OK && meta_only) st = natsrs_kv_watch_options_set_meta_only(o, true);
    char *copy = NULL;
    const char **v = NULL;
    if (st == NATSRS_STATUS_OK && n > 0 && (v = split(filters, filters_len, n, &copy)) == NULL) st = NATSRS_STATUS_IO;
    if (st == NATSRS_STATUS_OK) {
        if (n == 0) st = natsrs_kv_watch_all(kv, o, out);
        else if (n == 1) st = natsrs_kv_watch(kv, v[0], o, out);
        else st = natsrs_kv_watch_many(kv, v, n, o, out);
    }
    if (st != NATSRS_STATUS_OK) gn_take_err(je);
    free(v);
    free(copy);
    natsrs_kv_watch_options_free(o);
    return st;
}

natsrs_status gn_kv_watch_next(natsrs_kv_watcher *w, int64_t timeout_ms, gn_kv_entry *e, bool *marker, gn_jerr *je) {
    natsrs_kv_entry *entry = NULL;
    natsrs_status st = natsrs_kv_watcher_next(w, timeout_ms, &entry);
    if (st != NATSRS_STATUS_OK) {
        if (st != NATSRS_STATUS_TIMEOUT) gn_take_err(je);
        return st;
    }
    *marker = entry == NULL;
    if (entry != NULL) {
        fill_entry(entry, e);
        natsrs_kv_entry_free(entry);
    }
    return st;
}
