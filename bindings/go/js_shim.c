// C helpers for the Go binding's JetStream; see js_shim.h.
#include <string.h>
#include "js_shim.h"
#include "_cgo_export.h"

// Copies this thread's last error (text and API codes) into *je; called right after the call.
static void take_err(gn_jerr *je) {
    if (je == NULL) return;
    const char *m = natsrs_last_error_message();
    if (m == NULL) m = "";
    size_t n = strlen(m);
    je->msg = malloc(n + 1);
    if (je->msg != NULL) memcpy(je->msg, m, n + 1);
    int32_t code = 0;
    uint64_t ec = 0;
    je->has_api = natsrs_last_error_api(&code, &ec);
    je->code = code;
    je->err_code = ec;
}

#define JRET(expr)                                                                                 \
    do {                                                                                           \
        natsrs_status _s = (expr);                                                                 \
        if (_s != NATSRS_STATUS_OK) take_err(je);                                                  \
        return _s;                                                                                 \
    } while (0)

void gn_take_err(gn_jerr *je) { take_err(je); }

// A NUL-terminated malloc'd copy of (s, n); NULL when n == 0 (an unset optional string).
static char *dup_opt(const char *s, size_t n) {
    if (n == 0) return NULL;
    char *d = malloc(n + 1);
    if (d == NULL) return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}
// As dup_opt, but "" for an empty string.
static char *dup_str(const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (d == NULL) return NULL;
    if (n > 0) memcpy(d, s, n);
    d[n] = 0;
    return d;
}
static char *dup_c(const char *s) { return s == NULL ? NULL : dup_str(s, strlen(s)); }

static void ud_free(void *ud) { goHandleDelete((uintptr_t)ud); }

// ---- context ----------------------------------------------------------------------------------

natsrs_status gn_js_new(natsrs_connection *nc, const char *prefix, size_t prefix_len, const char *domain,
                        size_t domain_len, int64_t timeout_ms, int64_t max_pending, int64_t stall_ms,
                        natsrs_jetstream **out, gn_jerr *je) {
    natsrs_jetstream_options *o = NULL;
    natsrs_status st = natsrs_jetstream_options_create(&o);
    char *p = dup_opt(prefix, prefix_len), *d = dup_opt(domain, domain_len);
    if (st == NATSRS_STATUS_OK && p != NULL) st = natsrs_jetstream_options_set_api_prefix(o, p);
    if (st == NATSRS_STATUS_OK && d != NULL) st = natsrs_jetstream_options_set_domain(o, d);
    if (st == NATSRS_STATUS_OK && timeout_ms > 0) st = natsrs_jetstream_options_set_timeout_ms(o, timeout_ms);
    if (st == NATSRS_STATUS_OK && max_pending > 0) st = natsrs_jetstream_options_set_publish_async_max_pending(o, max_pending);
    if (st == NATSRS_STATUS_OK && stall_ms >= 0) st = natsrs_jetstream_options_set_publish_async_stall_wait_ms(o, stall_ms);
    if (st == NATSRS_STATUS_OK) st = natsrs_jetstream_new(nc, o, out);
    if (st != NATSRS_STATUS_OK) take_err(je);
    natsrs_jetstream_options_free(o);
    free(p);
    free(d);
    return st;
}

// ---- publish ----------------------------------------------------------------------------------

// Builds publish options (*out stays NULL when nothing is set).
static natsrs_status make_pub_opts(const char *msg_id, size_t msg_id_len, const char *exp_stream,
                                   size_t exp_stream_len, const char *exp_last_id, size_t exp_last_id_len,
                                   const gn_pub_opts *po, natsrs_js_publish_options **out) {
    *out = NULL;
    if (msg_id_len == 0 && exp_stream_len == 0 && exp_last_id_len == 0 && !po->has_exp_last_seq &&
        !po->has_exp_last_subj_seq && po->timeout_ms <= 0 && po->stall_ms <= 0) {
        return NATSRS_STATUS_OK;
    }
    natsrs_js_publish_options *o = NULL;
    natsrs_status st = natsrs_js_publish_options_create(&o);
    if (st != NATSRS_STATUS_OK) return st;
    char *id = dup_opt(msg_id, msg_id_len), *es = dup_opt(exp_stream, exp_stream_len),
         *el = dup_opt(exp_last_id, exp_last_id_len);
    if (st == NATSRS_STATUS_OK && id != NULL) st = natsrs_js_publish_options_set_msg_id(o, id);
    if (st == NATSRS_STATUS_OK && es != NULL) st = natsrs_js_publish_options_set_expected_stream(o, es);
    if (st == NATSRS_STATUS_OK && el != NULL) st = natsrs_js_publish_options_set_expected_last_msg_id(o, el);
    if (st == NATSRS_STATUS_OK && po->has_exp_last_seq) st = natsrs_js_publish_options_set_expected_last_seq(o, po->exp_last_seq);
    if (st == NATSRS_STATUS_OK && po->has_exp_last_subj_seq)
        st = natsrs_js_publish_options_set_expected_last_subject_seq(o, po->exp_last_subj_seq);
    if (st == NATSRS_STATUS_OK && po->timeout_ms > 0) st = natsrs_js_publish_options_set_timeout_ms(o, po->timeout_ms);
    if (st == NATSRS_STATUS_OK && po->stall_ms > 0) st = natsrs_js_publish_options_set_stall_wait_ms(o, po->stall_ms);
    free(id);
    free(es);
    free(el);
    if (st != NATSRS_STATUS_OK) {
        natsrs_js_publish_options_free(o);
        return st;
    }
    *out = o;
    return st;
}

static void fill_ack(const natsrs_pub_ack *a, gn_pub_ack *out) {
    out->stream = dup_c(natsrs_pub_ack_stream(a));
    out->seq = natsrs_pub_ack_seq(a);
    out->duplicate = natsrs_pub_ack_duplicate(a);
    out->domain = dup_c(natsrs_pub_ack_domain(a));
}

natsrs_status gn_js_publish(natsrs_jetstream *js, const char *subj, size_t subj_len, const char *hdr,
                            size_t hdr_len, const uint8_t *data, size_t len, const char *msg_id,
                            size_t msg_id_len, const char *exp_stream, size_t exp_stream_len,
                            const char *exp_last_id, size_t exp_last_id_len, const gn_pub_opts *po,
                            gn_pub_ack *ack, gn_jerr *je) {
    natsrs_js_publish_options *o = NULL;
    natsrs_status st = make_pub_opts(msg_id, msg_id_len, exp_stream, exp_stream_len, exp_last_id,
                                     exp_last_id_len, po, &o);
    natsrs_pub_ack *a = NULL;
    if (st == NATSRS_STATUS_OK) {
        if (hdr_len == 0) {
            char *s = dup_str(subj, subj_len);
            st = natsrs_jetstream_publish(js, s, len ? data : NULL, len, o, &a);
            free(s);
        } else {
            natsrs_msg *m = NULL;
            st = make_msg(subj, subj_len, NULL, 0, hdr, hdr_len, data, len, &m);
            if (st == NATSRS_STATUS_OK) {
                st = natsrs_jetstream_publish_msg(js, m, o, &a);
                if (st != NATSRS_STATUS_OK) take_err(je);
                natsrs_msg_free(m);
                natsrs_js_publish_options_free(o);
                if (st != NATSRS_STATUS_OK) return st;
                fill_ack(a, ack);
                natsrs_pub_ack_free(a);
                return st;
            }
        }
    }
    if (st != NATSRS_STATUS_OK) {
        take_err(je);
        natsrs_js_publish_options_free(o);
        return st;
    }
    natsrs_js_publish_options_free(o);
    fill_ack(a, ack);
    natsrs_pub_ack_free(a);
    return st;
}

static void on_pub_ack(void *ud, natsrs_status st, const natsrs_pub_ack *ack) {
    gn_pub_ack a;
    memset(&a, 0, sizeof a);
    gn_jerr e;
    memset(&e, 0, sizeof e);
    if (st == NATSRS_STATUS_OK && ack != NULL) {
        fill_ack(ack, &a);
    } else {
        take_err(&e);
    }
    goOnPubAck((uintptr_t)ud, (int)st, &a, &e);
    free(a.stream);
    free(a.domain);
    free(e.msg);
}

natsrs_status gn_js_publish_async(natsrs_jetstream *js, const char *subj, size_t subj_len, const char *hdr,
                                  size_t hdr_len, const uint8_t *data, size_t len, const char *msg_id, size_t msg_id_len,
                                  const char *exp_stream, size_t exp_stream_len, const char *exp_last_id,
                                  size_t exp_last_id_len, const gn_pub_opts *po, uintptr_t ud, gn_jerr *je) {
    natsrs_js_publish_options *o = NULL;
    natsrs_status st = make_pub_opts(msg_id, msg_id_len, exp_stream, exp_stream_len, exp_last_id,
                                     exp_last_id_len, po, &o);
    if (st != NATSRS_STATUS_OK) {
        take_err(je);
        ud_free((void *)ud);
        return st;
    }
    if (hdr_len > 0) {
        natsrs_msg *m = NULL;
        st = make_msg(subj, subj_len, NULL, 0, hdr, hdr_len, data, len, &m);
        if (st != NATSRS_STATUS_OK) {
            take_err(je);
            ud_free((void *)ud);
        } else {
            st = natsrs_jetstream_publish_msg_async(js, m, o, on_pub_ack, (void *)ud, ud_free);
            if (st != NATSRS_STATUS_OK) take_err(je);
            natsrs_msg_free(m);
        }
        natsrs_js_publish_options_free(o);
        return st;
    }
    char *s = dup_str(subj, subj_len);
    st = natsrs_jetstream_publish_async(js, s, len ? data : NULL, len, o, on_pub_ack, (void *)ud, ud_free);
    if (st != NATSRS_STATUS_OK) take_err(je);
    free(s);
    natsrs_js_publish_options_free(o);
    return st;
}

// ---- management -------------------------------------------------------------------------------

static natsrs_status stream_info_out(natsrs_stream_info *si, char **out_json) {
    natsrs_status st = natsrs_stream_info_json(si, out_json);
    natsrs_stream_info_free(si);
    return st;
}
static natsrs_status consumer_info_out(natsrs_consumer_info *ci, char **out_json) {
    natsrs_status st = natsrs_consumer_info_json(ci, out_json);
    natsrs_consumer_info_free(ci);
    return st;
}

natsrs_status gn_js_manage(natsrs_jetstream *js, int op, const char *a, size_t a_len, const char *b,
                           size_t b_len, const char *json, size_t json_len, uint64_t u1, uint64_t u2,
                           bool flag, char **out_json, uint64_t *out_u, gn_jerr *je) {
    char *sa = dup_str(a, a_len), *sb = dup_opt(b, b_len), *sj = dup_str(json, json_len);
    natsrs_status st = NATSRS_STATUS_INVALID_ARGUMENT;
    natsrs_stream_config *scfg = NULL;
    natsrs_consumer_config *ccfg = NULL;
    natsrs_stream_info *si = NULL;
    natsrs_consumer_info *ci = NULL;
    natsrs_account_info *ai = NULL;
    switch (op) {
    case GN_JS_ADD_STREAM:
    case GN_JS_UPDATE_STREAM:
        st = natsrs_stream_config_from_json(sj, &scfg);
        if (st != NATSRS_STATUS_OK) break;
        st = op == GN_JS_ADD_STREAM ? natsrs_jetstream_add_stream(js, scfg, &si)
                                    : natsrs_jetstream_update_stream(js, scfg, &si);
        if (st == NATSRS_STATUS_OK) st = stream_info_out(si, out_json);
        break;
    case GN_JS_STREAM_INFO:
        st = natsrs_jetstream_stream_info(js, sa, &si);
        if (st == NATSRS_STATUS_OK) st = stream_info_out(si, out_json);
        break;
    case GN_JS_DELETE_STREAM: st = natsrs_jetstream_delete_stream(js, sa); break;
    case GN_JS_PURGE_STREAM: st = natsrs_jetstream_purge_stream(js, sa, sb, u1, u2, out_u); break;
    case GN_JS_STREAM_NAMES: st = natsrs_jetstream_stream_names_json(js, sb, out_json); break;
    case GN_JS_ADD_CONSUMER:
    case GN_JS_UPDATE_CONSUMER:
        st = natsrs_consumer_config_from_json(sj, &ccfg);
        if (st != NATSRS_STATUS_OK) break;
        st = op == GN_JS_ADD_CONSUMER ? natsrs_jetstream_add_consumer(js, sa, ccfg, &ci)
                                      : natsrs_jetstream_update_consumer(js, sa, ccfg, &ci);
        if (st == NATSRS_STATUS_OK) st = consumer_info_out(ci, out_json);
        break;
    case GN_JS_CONSUMER_INFO:
        st = natsrs_jetstream_consumer_info(js, sa, sb ? sb : "", &ci);
        if (st == NATSRS_STATUS_OK) st = consumer_info_out(ci, out_json);
        break;
    case GN_JS_DELETE_CONSUMER: st = natsrs_jetstream_delete_consumer(js, sa, sb ? sb : ""); break;
    case GN_JS_CONSUMER_NAMES: st = natsrs_jetstream_consumer_names_json(js, sa, out_json); break;
    case GN_JS_ACCOUNT_INFO:
        st = natsrs_jetstream_account_info(js, &ai);
        if (st == NATSRS_STATUS_OK) {
            st = natsrs_account_info_json(ai, out_json);
            natsrs_account_info_free(ai);
        }
        break;
    case GN_JS_DELETE_MSG: st = natsrs_jetstream_delete_msg(js, sa, u1, flag); break;
    }
    if (st != NATSRS_STATUS_OK) take_err(je);
    natsrs_stream_config_free(scfg);
    natsrs_consumer_config_free(ccfg);
    free(sa);
    free(sb);
    free(sj);
    return st;
}

natsrs_status gn_js_get_msg(natsrs_jetstream *js, const char *stream, size_t stream_len, const char *subj,
                            size_t subj_len, uint64_t seq, bool direct, gn_msg_view *view, natsrs_msg **out,
                            uint64_t *stored_seq, int64_t *stored_ns, gn_jerr *je) {
    char *s = dup_str(stream, stream_len), *f = dup_opt(subj, subj_len);
    natsrs_status st = f == NULL ? natsrs_jetstream_get_msg(js, s, seq, direct, out)
                                 : natsrs_jetstream_get_last_msg(js, s, f, direct, out);
    if (st == NATSRS_STATUS_OK) st = natsrs_msg_stored_seq(*out, stored_seq);
    if (st == NATSRS_STATUS_OK) st = natsrs_msg_stored_time_ns(*out, stored_ns);
    if (st != NATSRS_STATUS_OK) {
        take_err(je);
        if (*out != NULL) natsrs_msg_free(*out);
        *out = NULL;
    } else {
        gn_fill_view(*out, view);
    }
    free(s);
    free(f);
    return st;
}

// ---- subscriptions ----------------------------------------------------------------------------

static void on_js_msg(void *ud, const natsrs_msg *msg) {
    gn_msg_view v;
    gn_fill_view(msg, &v);
    goOnJSMsg((uintptr_t)ud, &v);
    free(v.hdr);
}

natsrs_status gn_js_subscribe(natsrs_jetstream *js, const gn_sub_args *sa, const char *subj, size_t subj_len,
                              const char *queue, size_t queue_len, const char *stream, size_t stream_len,
                              const char *durable, size_t durable_len, const char *bind, size_t bind_len,
                              const char *cfg_json, size_t cfg_len, const char *deliver, size_t deliver_len,
                              uintptr_t ud, void **out, gn_jerr *je) {
    natsrs_js_subscribe_options *o = NULL;
    natsrs_consumer_config *cfg = NULL;
    char *s = dup_str(subj, subj_len), *q = dup_opt(queue, queue_len), *st_name = dup_opt(stream, stream_len),
         *d = dup_opt(durable, durable_len), *bn = dup_opt(bind, bind_len), *cj = dup_str(cfg_json, cfg_len),
         *ds = dup_opt(deliver, deliver_len);
    natsrs_status st = natsrs_js_subscribe_options_create(&o);
    if (st == NATSRS_STATUS_OK && ds != NULL) st = natsrs_js_subscribe_options_set_deliver_subject(o, ds);
    if (st == NATSRS_STATUS_OK && st_name != NULL) st = natsrs_js_subscribe_options_set_stream(o, st_name);
    if (st == NATSRS_STATUS_OK && d != NULL) st = natsrs_js_subscribe_options_set_durable(o, d);
    if (st == NATSRS_STATUS_OK && bn != NULL) st = natsrs_js_subscribe_options_set_bind(o, bn);
    if (st == NATSRS_STATUS_OK && sa->has_cfg) {
        st = natsrs_consumer_config_from_json(cj, &cfg);
        if (st == NATSRS_STATUS_OK) st = natsrs_js_subscribe_options_set_consumer_config(o, cfg);
    }
    // The Go side acks (it knows when the handler acked, nak'ed or terminated).
    if (st == NATSRS_STATUS_OK) st = natsrs_js_subscribe_options_set_manual_ack(o, true);
    bool ud_owned = ud != 0;
    if (st == NATSRS_STATUS_OK) {
        switch (sa->kind) {
        case GN_JS_PUSH:
            ud_owned = false; // the library frees it from now on (also on error)
            st = q == NULL ? natsrs_jetstream_subscribe(js, s, on_js_msg, (void *)ud, ud_free, o,
                                                        (natsrs_js_subscription **)out)
                           : natsrs_jetstream_queue_subscribe(js, s, q, on_js_msg, (void *)ud, ud_free, o,
                                                              (natsrs_js_subscription **)out);
            break;
        case GN_JS_PUSH_SYNC:
            st = q == NULL ? natsrs_jetstream_subscribe_sync(js, s, o, (natsrs_js_subscription **)out)
                           : natsrs_jetstream_queue_subscribe_sync(js, s, q, o, (natsrs_js_subscription **)out);
            break;
        case GN_JS_PULL:
            st = natsrs_jetstream_pull_subscribe(js, s, q, o, (natsrs_pull_subscription **)out);
            break;
        default: st = NATSRS_STATUS_INVALID_ARGUMENT;
        }
    }
    if (st != NATSRS_STATUS_OK) take_err(je);
    if (ud_owned) ud_free((void *)ud);
    natsrs_js_subscribe_options_free(o);
    natsrs_consumer_config_free(cfg);
    free(s);
    free(q);
    free(st_name);
    free(d);
    free(bn);
    free(cj);
    free(ds);
    return st;
}

natsrs_status gn_js_next(natsrs_js_subscription *sub, int64_t timeout_ms, gn_msg_view *view, natsrs_msg **out,
                         gn_jerr *je) {
    natsrs_status st = natsrs_js_subscription_next_msg(sub, timeout_ms, out);
    if (st != NATSRS_STATUS_OK) {
        take_err(je);
        return st;
    }
    gn_fill_view(*out, view);
    return st;
}

natsrs_status gn_js_fetch(natsrs_pull_subscription *sub, size_t batch, size_t max_bytes, int64_t timeout_ms,
                          int64_t hb_ms, bool no_wait, natsrs_msg ***msgs, gn_msg_view **views, size_t *count,
                          gn_jerr *je) {
    *msgs = NULL;
    *views = NULL;
    *count = 0;
    if (batch == 0) batch = 1;
    natsrs_msg **m = calloc(batch, sizeof *m);
    gn_msg_view *v = calloc(batch, sizeof *v);
    if (m == NULL || v == NULL) {
        free(m);
        free(v);
        return NATSRS_STATUS_INVALID_ARGUMENT;
    }
    size_t n = 0;
    natsrs_status st;
    if (no_wait) st = natsrs_pull_subscription_fetch_no_wait(sub, batch, m, &n);
    else if (hb_ms > 0)
        st = natsrs_pull_subscription_fetch_heartbeat(sub, batch, max_bytes, timeout_ms, hb_ms, m, &n);
    else if (max_bytes > 0) st = natsrs_pull_subscription_fetch_bytes(sub, max_bytes, batch, timeout_ms, m, &n);
    else st = natsrs_pull_subscription_fetch(sub, batch, timeout_ms, m, &n);
    if (st != NATSRS_STATUS_OK) {
        take_err(je);
        free(m);
        free(v);
        return st;
    }
    for (size_t i = 0; i < n; i++) gn_fill_view(m[i], &v[i]);
    *msgs = m;
    *views = v;
    *count = n;
    return st;
}

// Completion of gn_js_fetch_async (on the completion thread): the messages move into arrays the
// Go side reads and frees with gn_js_free_fetch, as after gn_js_fetch.
static void on_fetch_done(void *ud, natsrs_status st, natsrs_msg **msgs, size_t count) {
    natsrs_msg **m = NULL;
    gn_msg_view *v = NULL;
    if (st == NATSRS_STATUS_OK && count > 0) {
        m = calloc(count, sizeof *m);
        v = calloc(count, sizeof *v);
        if (m == NULL || v == NULL) {
            for (size_t i = 0; i < count; i++) natsrs_msg_free(msgs[i]);
            free(m);
            free(v);
            m = NULL;
            v = NULL;
            count = 0;
            st = NATSRS_STATUS_INVALID_ARGUMENT;  // as gn_js_fetch when calloc fails
        } else {
            for (size_t i = 0; i < count; i++) {
                m[i] = msgs[i];
                gn_fill_view(m[i], &v[i]);
            }
        }
    } else {
        count = 0;
    }
    goOnFetchDone((uintptr_t)ud, (int)st, m, v, count);
}

natsrs_status gn_js_fetch_async(natsrs_pull_subscription *sub, size_t batch, size_t max_bytes, int64_t timeout_ms,
                                int64_t hb_ms, uintptr_t ud, uint64_t *id, gn_jerr *je) {
    natsrs_status st = natsrs_pull_subscription_fetch_async(sub, batch == 0 ? 1 : batch, max_bytes, timeout_ms,
                                                            hb_ms, false, on_fetch_done, (void *)ud, gn_ud_free, id);
    if (st != NATSRS_STATUS_OK) take_err(je);
    return st;
}

void gn_js_free_fetch(natsrs_msg **msgs, gn_msg_view *views, size_t n) {
    if (msgs == NULL) return;
    gn_free_batch(msgs, views, n);
    free(msgs);
    free(views);
}

natsrs_status gn_js_sub_op(void *sub, bool pull, int op, int64_t timeout_ms, char **out_json, gn_jerr *je) {
    natsrs_status st = NATSRS_STATUS_INVALID_ARGUMENT;
    natsrs_consumer_info *ci = NULL;
    switch (op) {
    case GN_JS_SUB_UNSUBSCRIBE:
        st = pull ? natsrs_pull_subscription_unsubscribe(sub) : natsrs_js_subscription_unsubscribe(sub);
        break;
    case GN_JS_SUB_DRAIN:
        st = pull ? natsrs_pull_subscription_drain(sub, timeout_ms) : natsrs_js_subscription_drain(sub, timeout_ms);
        break;
    case GN_JS_SUB_INFO:
        st = pull ? natsrs_pull_subscription_consumer_info(sub, &ci) : natsrs_js_subscription_consumer_info(sub, &ci);
        if (st == NATSRS_STATUS_OK) st = consumer_info_out(ci, out_json);
        break;
    case GN_JS_SUB_FREE:
        if (pull) natsrs_pull_subscription_free(sub);
        else natsrs_js_subscription_free(sub);
        return NATSRS_STATUS_OK;
    }
    if (st != NATSRS_STATUS_OK) take_err(je);
    return st;
}

natsrs_status gn_js_sub_counters(natsrs_js_subscription *sub, gn_js_counters *c, gn_jerr *je) {
    natsrs_status st = natsrs_js_subscription_pending(sub, &c->msgs, &c->bytes);
    if (st == NATSRS_STATUS_OK) st = natsrs_js_subscription_max_pending(sub, &c->max_msgs, &c->max_bytes);
    if (st == NATSRS_STATUS_OK) st = natsrs_js_subscription_dropped(sub, &c->dropped);
    if (st != NATSRS_STATUS_OK) take_err(je);
    return st;
}

natsrs_status gn_js_ordered_counters(gn_ordered *o, gn_js_counters *c, gn_jerr *je) {
    c->max_msgs = -1;
    c->max_bytes = -1;
    natsrs_status st = natsrs_js_ordered_consumer_pending(o->oc, &c->msgs, &c->bytes);
    if (st == NATSRS_STATUS_OK) st = natsrs_js_ordered_consumer_dropped(o->oc, &c->dropped);
    if (st == NATSRS_STATUS_OK) st = natsrs_js_ordered_consumer_max_pending(o->oc, &c->max_msgs, &c->max_bytes);
    if (st != NATSRS_STATUS_OK) take_err(je);
    return st;
}

natsrs_status gn_js_ordered_set_limits(gn_ordered *o, int64_t msgs, int64_t bytes, gn_jerr *je) {
    natsrs_status st = natsrs_js_ordered_consumer_set_pending_limits(o->oc, msgs, bytes);
    if (st != NATSRS_STATUS_OK) take_err(je);
    return st;
}

natsrs_status gn_js_ordered_clear_max_pending(gn_ordered *o, gn_jerr *je) {
    natsrs_status st = natsrs_js_ordered_consumer_clear_max_pending(o->oc);
    if (st != NATSRS_STATUS_OK) take_err(je);
    return st;
}

natsrs_status gn_js_pull_counters(natsrs_pull_subscription *sub, gn_js_counters *c, gn_jerr *je) {
    natsrs_status st = natsrs_pull_subscription_pending(sub, &c->msgs, &c->bytes);
    if (st == NATSRS_STATUS_OK) st = natsrs_pull_subscription_dropped(sub, &c->dropped);
    if (st == NATSRS_STATUS_OK) st = natsrs_pull_subscription_max_pending(sub, &c->max_msgs, &c->max_bytes);
    if (st != NATSRS_STATUS_OK) take_err(je);
    return st;
}

natsrs_status gn_js_sub_received(natsrs_js_subscription *sub, uint64_t *delivered, int64_t *queued, bool *stable,
                                 gn_jerr *je) {
    enum { TRIES = 64 };
    *stable = false;
    for (int i = 0; i < TRIES; i++) {
        uint64_t before = 0, after = 0;
        natsrs_status st = natsrs_js_subscription_delivered(sub, &before);
        if (st == NATSRS_STATUS_OK) st = natsrs_js_subscription_pending(sub, queued, NULL);
        if (st == NATSRS_STATUS_OK) st = natsrs_js_subscription_delivered(sub, &after);
        if (st != NATSRS_STATUS_OK) {
            take_err(je);
            return st;
        }
        *delivered = after;
        if (before == after) {
            *stable = true;
            break;
        }
    }
    return NATSRS_STATUS_OK;
}

natsrs_status gn_js_sub_set_limits(natsrs_js_subscription *sub, int64_t msgs, int64_t bytes, gn_jerr *je) {
    natsrs_status st = natsrs_js_subscription_set_pending_limits(sub, msgs, bytes);
    if (st != NATSRS_STATUS_OK) take_err(je);
    return st;
}

natsrs_status gn_js_pull_set_limits(natsrs_pull_subscription *sub, int64_t msgs, int64_t bytes, gn_jerr *je) {
    natsrs_status st = natsrs_pull_subscription_set_pending_limits(sub, msgs, bytes);
    if (st != NATSRS_STATUS_OK) take_err(je);
    return st;
}

natsrs_status gn_js_clear_max_pending(void *sub, bool pull, gn_jerr *je) {
    natsrs_status st = pull ? natsrs_pull_subscription_clear_max_pending((natsrs_pull_subscription *)sub)
                            : natsrs_js_subscription_clear_max_pending((natsrs_js_subscription *)sub);
    if (st != NATSRS_STATUS_OK) take_err(je);
    return st;
}
