// C helpers for the Go binding: JSON arrays and the stream/consumer info lists; see js_shim.h.
#include <string.h>
#include "js_shim.h"

// gn_jbuf_initial is the first capacity of a JSON array buffer.
enum { gn_jbuf_initial = 256 };

static bool jbuf_reserve(gn_jbuf *b, size_t more) {
    if (b->failed) return false;
    size_t need = b->len + more + 2;
    if (need <= b->cap) return true;
    size_t cap = b->cap ? b->cap : gn_jbuf_initial;
    while (cap < need) cap *= 2;
    char *nb = realloc(b->buf, cap);
    if (nb == NULL) {
        b->failed = true;
        return false;
    }
    b->buf = nb;
    b->cap = cap;
    return true;
}

void gn_jbuf_add(gn_jbuf *b, const char *item) {
    size_t n = strlen(item);
    if (!jbuf_reserve(b, n + 1)) return;
    char sep = b->len == 0 ? '[' : ',';
    b->buf[b->len++] = sep;
    memcpy(b->buf + b->len, item, n);
    b->len += n;
}

char *gn_jbuf_finish(gn_jbuf *b) {
    if (b->len == 0 && jbuf_reserve(b, 1)) b->buf[b->len++] = '[';
    if (!jbuf_reserve(b, 1)) {
        free(b->buf);
        return NULL;
    }
    b->buf[b->len++] = ']';
    b->buf[b->len] = 0;
    return b->buf;
}

natsrs_status gn_js_infos(natsrs_jetstream *js, bool consumers, const char *name, size_t name_len, char **out_json,
                          gn_jerr *je) {
    char *n = NULL;
    if (name_len > 0) {
        n = malloc(name_len + 1);
        if (n == NULL) return NATSRS_STATUS_IO;
        memcpy(n, name, name_len);
        n[name_len] = 0;
    }
    natsrs_stream_info_list *sl = NULL;
    natsrs_consumer_info_list *cl = NULL;
    natsrs_status st = consumers ? natsrs_jetstream_consumers(js, n ? n : "", &cl) : natsrs_jetstream_streams(js, n, &sl);
    free(n);
    if (st != NATSRS_STATUS_OK) {
        gn_take_err(je);
        return st;
    }
    gn_jbuf b = {0};
    size_t count = consumers ? natsrs_consumer_info_list_count(cl) : natsrs_stream_info_list_count(sl);
    for (size_t i = 0; i < count && st == NATSRS_STATUS_OK; i++) {
        char *j = NULL;
        st = consumers ? natsrs_consumer_info_json(natsrs_consumer_info_list_get(cl, i), &j)
                       : natsrs_stream_info_json(natsrs_stream_info_list_get(sl, i), &j);
        if (st != NATSRS_STATUS_OK) {
            gn_take_err(je);
            break;
        }
        gn_jbuf_add(&b, j);
        natsrs_string_free(j);
    }
    natsrs_consumer_info_list_free(cl);
    natsrs_stream_info_list_free(sl);
    char *out = gn_jbuf_finish(&b);
    if (st != NATSRS_STATUS_OK) {
        free(out);
        return st;
    }
    if (out == NULL) return NATSRS_STATUS_IO;
    *out_json = out;
    return st;
}
