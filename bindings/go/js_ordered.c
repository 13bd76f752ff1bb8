// C helpers for the Go binding: ordered consumers (OrderedConsumer()); see js_shim.h.
#include <string.h>
#include "js_shim.h"
#include "_cgo_export.h"

static void ordered_msg(void *ud, const natsrs_msg *msg) {
    gn_msg_view v;
    gn_fill_view(msg, &v);
    goOnJSMsg((uintptr_t)ud, &v);
    free(v.hdr);
}

static void ordered_ud_free(void *ud) { goHandleDelete((uintptr_t)ud); }

static char *cpy(const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (d == NULL) return NULL;
    if (n > 0) memcpy(d, s, n);
    d[n] = 0;
    return d;
}

natsrs_status gn_js_ordered_new(natsrs_jetstream *js, const char *stream, size_t stream_len, const char *cfg_json,
                                size_t cfg_len, uintptr_t ud, gn_ordered **out, gn_jerr *je) {
    char *sn = cpy(stream, stream_len), *cj = cpy(cfg_json, cfg_len);
    gn_ordered *o = calloc(1, sizeof *o);
    natsrs_consumer_config *cfg = NULL;
    natsrs_status st = (sn == NULL || cj == NULL || o == NULL) ? NATSRS_STATUS_IO : NATSRS_STATUS_OK;
    bool ud_owned = ud != 0;
    if (st == NATSRS_STATUS_OK) st = natsrs_consumer_config_from_json(cj, &cfg);
    if (st == NATSRS_STATUS_OK) st = natsrs_jetstream_get_stream(js, sn, &o->stream);
    if (st == NATSRS_STATUS_OK) st = natsrs_js_stream_ordered_consumer(o->stream, cfg, NULL, &o->oc);
    if (st == NATSRS_STATUS_OK && ud != 0) {
        ud_owned = false; // the library frees it from now on (also on error)
        st = natsrs_js_ordered_consumer_consume(o->oc, ordered_msg, NULL, (void *)ud, ordered_ud_free, &o->cc);
    }
    if (st != NATSRS_STATUS_OK) {
        gn_take_err(je);
        gn_js_ordered_free(o);
        o = NULL;
    }
    if (ud_owned) ordered_ud_free((void *)ud);
    natsrs_consumer_config_free(cfg);
    free(sn);
    free(cj);
    *out = o;
    return st;
}

natsrs_status gn_js_ordered_info(gn_ordered *o, char **out_json, gn_jerr *je) {
    natsrs_consumer_info *ci = NULL;
    *out_json = NULL;
    natsrs_status st = natsrs_js_ordered_consumer_consumer_info(o->oc, &ci);
    if (st == NATSRS_STATUS_OK) {
        st = natsrs_consumer_info_json(ci, out_json);
        natsrs_consumer_info_free(ci);
    }
    if (st != NATSRS_STATUS_OK) gn_take_err(je);
    return st;
}

natsrs_status gn_js_ordered_next(gn_ordered *o, int64_t timeout_ms, gn_msg_view *view, natsrs_msg **out,
                                 gn_jerr *je) {
    natsrs_status st = natsrs_js_ordered_consumer_next(o->oc, timeout_ms, out);
    if (st != NATSRS_STATUS_OK) {
        gn_take_err(je);
        return st;
    }
    gn_fill_view(*out, view);
    return st;
}

void gn_js_ordered_stop(gn_ordered *o) {
    if (o == NULL) return;
    if (o->cc != NULL) natsrs_consume_context_stop(o->cc);
    else natsrs_js_ordered_consumer_stop(o->oc);
}

void gn_js_ordered_free(gn_ordered *o) {
    if (o == NULL) return;
    natsrs_consume_context_free(o->cc);
    natsrs_js_ordered_consumer_free(o->oc);
    natsrs_js_stream_free(o->stream);
    free(o);
}
