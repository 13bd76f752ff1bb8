// C helpers for the Go binding; see shim.h.
#include <string.h>
#include "shim.h"
#include "_cgo_export.h"

static char *dup_err(void) {
    const char *m = natsrs_last_error_message();
    if (m == NULL) m = "";
    size_t n = strlen(m);
    char *c = malloc(n + 1);
    if (c != NULL) memcpy(c, m, n + 1);
    return c;
}

#define RET(expr)                                                                                  \
    do {                                                                                           \
        natsrs_status _s = (expr);                                                                 \
        if (_s != NATSRS_STATUS_OK && err != NULL) *err = dup_err();                               \
        return _s;                                                                                 \
    } while (0)

// NUL-terminated copies of Go strings: on the stack when short, else malloc'd.
#define STACK_STR 256
typedef struct { char buf[STACK_STR]; char *p; } tmpstr;

static const char *tmp_str(tmpstr *t, const char *s, size_t n) {
    t->p = NULL;
    char *d = t->buf;
    if (n >= STACK_STR) {
        t->p = malloc(n + 1);
        if (t->p == NULL) return NULL;
        d = t->p;
    }
    if (n > 0) memcpy(d, s, n);
    d[n] = 0;
    return d;
}
// NULL for an empty string (optional arguments such as reply or queue).
static const char *tmp_opt(tmpstr *t, const char *s, size_t n) {
    t->p = NULL;
    if (n == 0) return NULL;
    return tmp_str(t, s, n);
}
static void tmp_free(tmpstr *t) { free(t->p); t->p = NULL; }

// ---- callbacks --------------------------------------------------------------------------------

void gn_ud_free(void *ud) { goHandleDelete((uintptr_t)ud); }
#define ud_free gn_ud_free

static void on_closed(void *ud, natsrs_connection *nc) { (void)nc; goOnConnEvent((uintptr_t)ud, GN_CB_CLOSED, 0, NULL); }
static void on_reconnected(void *ud, natsrs_connection *nc) { (void)nc; goOnConnEvent((uintptr_t)ud, GN_CB_RECONNECTED, 0, NULL); }
static void on_connected(void *ud, natsrs_connection *nc) { (void)nc; goOnConnEvent((uintptr_t)ud, GN_CB_CONNECTED, 0, NULL); }
static void on_discovered(void *ud, natsrs_connection *nc) { (void)nc; goOnConnEvent((uintptr_t)ud, GN_CB_DISCOVERED, 0, NULL); }
static void on_lame_duck(void *ud, natsrs_connection *nc) { (void)nc; goOnConnEvent((uintptr_t)ud, GN_CB_LAME_DUCK, 0, NULL); }
static void on_disconnected(void *ud, natsrs_connection *nc, natsrs_status st, const char *text) {
    (void)nc;
    goOnConnEvent((uintptr_t)ud, GN_CB_DISCONNECTED, (int)st, (char *)text);
}
static void on_error(void *ud, natsrs_connection *nc, natsrs_subscription *sub, natsrs_status st, const char *text) {
    (void)nc;
    goOnError((uintptr_t)ud, sub, (int)st, (char *)text);
}
static int64_t on_reconnect_delay(void *ud, natsrs_connection *nc, uint64_t attempts) {
    (void)nc;
    return goOnReconnectDelay((uintptr_t)ud, attempts);
}
// The returned string must stay valid until the library copied it (right after the call).
static __thread char *last_string;
static const char *on_token(void *ud) {
    free(last_string);
    last_string = goOnString((uintptr_t)ud, GN_CB_TOKEN);
    return last_string;
}
static const char *on_user_jwt(void *ud) {
    free(last_string);
    last_string = goOnString((uintptr_t)ud, GN_CB_USER_JWT);
    return last_string;
}
static int32_t on_sign(void *ud, const uint8_t *nonce, size_t len, uint8_t *sig_out) {
    return (int32_t)goOnSign((uintptr_t)ud, (uint8_t *)nonce, len, sig_out);
}

static int32_t on_tls_verify(void *ud, const natsrs_cert_der *chain, size_t n, const char *name) {
    return (int32_t)goOnTLSVerify((uintptr_t)ud, (natsrs_cert_der *)chain, n, (char *)name);
}
static int32_t on_user_info(void *ud, const char **user, const char **pass) {
    return (int32_t)goOnUserInfo((uintptr_t)ud, (char **)user, (char **)pass);
}
static void on_reconnect_error(void *ud, natsrs_connection *nc, natsrs_status st, const char *text) {
    (void)nc;
    goOnReconnectError((uintptr_t)ud, (int)st, (char *)text);
}

// ---- options ----------------------------------------------------------------------------------

natsrs_status gn_opt_bool(natsrs_options *o, int which, bool v, char **err) {
    switch (which) {
    case GN_OPT_NO_ECHO: RET(natsrs_options_set_no_echo(o, v));
    case GN_OPT_NO_RANDOMIZE: RET(natsrs_options_set_no_randomize(o, v));
    case GN_OPT_RETRY_ON_FAILED_CONNECT: RET(natsrs_options_set_retry_on_failed_connect(o, v));
    case GN_OPT_ALLOW_RECONNECT: RET(natsrs_options_set_allow_reconnect(o, v));
    case GN_OPT_OLD_REQUEST_STYLE: RET(natsrs_options_set_old_request_style(o, v));
    case GN_OPT_VERBOSE: RET(natsrs_options_set_verbose(o, v));
    case GN_OPT_PEDANTIC: RET(natsrs_options_set_pedantic(o, v));
    case GN_OPT_TLS_REQUIRED: RET(natsrs_options_set_tls_required(o, v));
    case GN_OPT_TLS_HANDSHAKE_FIRST: RET(natsrs_options_set_tls_handshake_first(o, v));
    case GN_OPT_TLS_SKIP_VERIFY: RET(natsrs_options_set_tls_insecure_skip_verify(o, v));
    case GN_OPT_IGNORE_DISCOVERED: RET(natsrs_options_set_ignore_discovered_servers(o, v));
    }
    return NATSRS_STATUS_INVALID_ARGUMENT;
}

natsrs_status gn_opt_int(natsrs_options *o, int which, int64_t v, int64_t v2, char **err) {
    switch (which) {
    case GN_OPT_PING_INTERVAL: RET(natsrs_options_set_ping_interval_ms(o, v));
    case GN_OPT_CONNECT_TIMEOUT: RET(natsrs_options_set_connect_timeout_ms(o, v));
    case GN_OPT_DRAIN_TIMEOUT: RET(natsrs_options_set_drain_timeout_ms(o, v));
    case GN_OPT_RECONNECT_WAIT: RET(natsrs_options_set_reconnect_wait_ms(o, v));
    case GN_OPT_MAX_PINGS_OUT: RET(natsrs_options_set_max_pings_out(o, v));
    case GN_OPT_MAX_RECONNECT: RET(natsrs_options_set_max_reconnect(o, v));
    case GN_OPT_RECONNECT_BUF_SIZE: RET(natsrs_options_set_reconnect_buf_size(o, v));
    case GN_OPT_TLS_MIN_VERSION: RET(natsrs_options_set_tls_min_version(o, (int32_t)v));
    case GN_OPT_JITTER: RET(natsrs_options_set_reconnect_jitter_ms(o, v, v2));
    case GN_OPT_PENDING_LIMITS: RET(natsrs_options_set_pending_limits(o, v, v2));
    }
    return NATSRS_STATUS_INVALID_ARGUMENT;
}

natsrs_status gn_opt_str(natsrs_options *o, int which, const char *s1, size_t n1, const char *s2,
                         size_t n2, char **err) {
    natsrs_status st = NATSRS_STATUS_INVALID_ARGUMENT;
    if (which == GN_OPT_TLS_CA_PEM) {
        RET(natsrs_options_set_tls_ca_pem(o, (const uint8_t *)s1, n1));
    }
    if (which == GN_OPT_TLS_CLIENT_CERT_PEM) {
        RET(natsrs_options_set_tls_client_cert_pem(o, (const uint8_t *)s1, n1, (const uint8_t *)s2, n2));
    }
    tmpstr a, b;
    const char *p1 = tmp_str(&a, s1, n1);
    const char *p2 = tmp_opt(&b, s2, n2);
    switch (which) {
    case GN_OPT_URL: st = natsrs_options_set_url(o, p1); break;
    case GN_OPT_NAME: st = natsrs_options_set_name(o, p1); break;
    case GN_OPT_TOKEN: st = natsrs_options_set_token(o, p1); break;
    case GN_OPT_INBOX_PREFIX: st = natsrs_options_set_inbox_prefix(o, p1); break;
    case GN_OPT_NKEY_SEED_FILE: st = natsrs_options_set_nkey_seed_file(o, p1); break;
    case GN_OPT_CREDS_FILE: st = natsrs_options_set_user_credentials_file(o, p1); break;
    case GN_OPT_TLS_CA_FILE: st = natsrs_options_set_tls_ca_file(o, p1); break;
    case GN_OPT_TLS_SERVER_NAME: st = natsrs_options_set_tls_server_name(o, p1); break;
    case GN_OPT_USER_INFO: st = natsrs_options_set_user_info(o, p1, p2 ? p2 : ""); break;
    case GN_OPT_CREDS_FILES: st = natsrs_options_set_user_credentials_files(o, p1, p2); break;
    case GN_OPT_TLS_CLIENT_CERT_FILE: st = natsrs_options_set_tls_client_cert_file(o, p1, p2); break;
    }
    if (st != NATSRS_STATUS_OK && err != NULL) *err = dup_err();
    tmp_free(&a);
    tmp_free(&b);
    return st;
}

natsrs_status gn_opt_cb(natsrs_options *o, int which, uintptr_t ud, const char *s, size_t n, char **err) {
    void *u = (void *)ud;
    switch (which) {
    case GN_CB_CLOSED: RET(natsrs_options_set_closed_handler(o, on_closed, u, ud_free));
    case GN_CB_RECONNECTED: RET(natsrs_options_set_reconnected_handler(o, on_reconnected, u, ud_free));
    case GN_CB_CONNECTED: RET(natsrs_options_set_connected_handler(o, on_connected, u, ud_free));
    case GN_CB_DISCOVERED: RET(natsrs_options_set_discovered_servers_handler(o, on_discovered, u, ud_free));
    case GN_CB_LAME_DUCK: RET(natsrs_options_set_lame_duck_handler(o, on_lame_duck, u, ud_free));
    case GN_CB_DISCONNECTED: RET(natsrs_options_set_disconnected_handler(o, on_disconnected, u, ud_free));
    case GN_CB_ERROR: RET(natsrs_options_set_error_handler(o, on_error, u, ud_free));
    case GN_CB_RECONNECT_DELAY: RET(natsrs_options_set_reconnect_delay_handler(o, on_reconnect_delay, u, ud_free));
    case GN_CB_TOKEN: RET(natsrs_options_set_token_handler(o, on_token, u, ud_free));
    case GN_CB_USER_JWT: RET(natsrs_options_set_user_jwt_handler(o, on_user_jwt, on_sign, u, ud_free));
    case GN_CB_USER_INFO: RET(natsrs_options_set_user_info_handler(o, on_user_info, u, ud_free));
    case GN_CB_RECONNECT_ERROR: RET(natsrs_options_set_reconnect_error_handler(o, on_reconnect_error, u, ud_free));
    case GN_CB_TLS_VERIFY: RET(natsrs_options_set_tls_verify_handler(o, on_tls_verify, u, ud_free));
    case GN_CB_NKEY: {
        tmpstr t;
        const char *pk = tmp_str(&t, s, n);
        natsrs_status st = natsrs_options_set_nkey(o, pk, on_sign, u, ud_free);
        if (st != NATSRS_STATUS_OK && err != NULL) *err = dup_err();
        tmp_free(&t);
        return st;
    }
    }
    return NATSRS_STATUS_INVALID_ARGUMENT;
}

// ---- connection -------------------------------------------------------------------------------

natsrs_status gn_connect(const natsrs_options *o, natsrs_connection **out, char **err) {
    RET(natsrs_connection_connect(o, out));
}

natsrs_status gn_publish(natsrs_connection *nc, const char *subj, size_t subj_len, const char *reply,
                         size_t reply_len, const uint8_t *data, size_t len, char **err) {
    tmpstr s, r;
    const char *ps = tmp_str(&s, subj, subj_len);
    natsrs_status st;
    if (reply_len == 0) {
        st = natsrs_connection_publish(nc, ps, len ? data : NULL, len);
    } else {
        const char *pr = tmp_str(&r, reply, reply_len);
        st = natsrs_connection_publish_request(nc, ps, pr, len ? data : NULL, len);
        tmp_free(&r);
    }
    if (st != NATSRS_STATUS_OK && err != NULL) *err = dup_err();
    tmp_free(&s);
    return st;
}

natsrs_status gn_publish_wire(natsrs_connection *nc, const uint8_t *buf, size_t len, size_t *count,
                              char **err) {
    natsrs_status st = natsrs_connection_publish_wire(nc, buf, len, count);
    if (st != NATSRS_STATUS_OK && err != NULL) *err = dup_err();
    return st;
}

natsrs_status make_msg(const char *subj, size_t subj_len, const char *reply, size_t reply_len,
                              const char *hdr, size_t hdr_len, const uint8_t *data, size_t len,
                              natsrs_msg **out) {
    tmpstr s, r;
    const char *ps = tmp_str(&s, subj, subj_len);
    const char *pr = tmp_opt(&r, reply, reply_len);
    natsrs_msg *m = NULL;
    natsrs_status st = natsrs_msg_create(ps, pr, len ? data : NULL, len, &m);
    tmp_free(&s);
    tmp_free(&r);
    if (st != NATSRS_STATUS_OK) return st;
    // hdr is "key\0value\0..." (NUL-separated pairs, from Go).
    size_t i = 0;
    while (i < hdr_len) {
        const char *k = hdr + i;
        size_t kl = strnlen(k, hdr_len - i);
        i += kl + 1;
        if (i >= hdr_len + 1) break;
        const char *v = hdr + i;
        size_t vl = strnlen(v, hdr_len - i);
        i += vl + 1;
        st = natsrs_msg_header_add(m, k, v);
        if (st != NATSRS_STATUS_OK) {
            natsrs_msg_free(m);
            return st;
        }
    }
    *out = m;
    return NATSRS_STATUS_OK;
}

natsrs_status gn_publish_msg(natsrs_connection *nc, const char *subj, size_t subj_len, const char *reply,
                             size_t reply_len, const char *hdr, size_t hdr_len, const uint8_t *data,
                             size_t len, char **err) {
    natsrs_msg *m = NULL;
    natsrs_status st = make_msg(subj, subj_len, reply, reply_len, hdr, hdr_len, data, len, &m);
    if (st == NATSRS_STATUS_OK) {
        st = natsrs_connection_publish_msg(nc, m);
        natsrs_msg_free(m);
    }
    if (st != NATSRS_STATUS_OK && err != NULL) *err = dup_err();
    return st;
}

natsrs_status gn_request(natsrs_connection *nc, const char *subj, size_t subj_len, const char *hdr,
                         size_t hdr_len, const uint8_t *data, size_t len, int64_t timeout_ms,
                         gn_msg_view *view, natsrs_msg **out, char **err) {
    natsrs_status st;
    natsrs_msg *reply = NULL;
    if (hdr_len == 0) {
        tmpstr s;
        const char *ps = tmp_str(&s, subj, subj_len);
        st = natsrs_connection_request(nc, ps, len ? data : NULL, len, timeout_ms, &reply);
        tmp_free(&s);
    } else {
        natsrs_msg *m = NULL;
        st = make_msg(subj, subj_len, NULL, 0, hdr, hdr_len, data, len, &m);
        if (st == NATSRS_STATUS_OK) {
            st = natsrs_connection_request_msg(nc, m, timeout_ms, &reply);
            natsrs_msg_free(m);
        }
    }
    if (st != NATSRS_STATUS_OK) {
        if (err != NULL) *err = dup_err();
        return st;
    }
    gn_fill_view(reply, view);
    *out = reply;
    return st;
}

natsrs_status gn_subscribe(natsrs_connection *nc, const char *subj, size_t subj_len, const char *queue,
                           size_t queue_len, bool async, uintptr_t ud, natsrs_subscription **out,
                           char **err) {
    tmpstr s, q;
    const char *ps = tmp_str(&s, subj, subj_len);
    const char *pq = tmp_opt(&q, queue, queue_len);
    natsrs_status st;
    (void)async;
    (void)ud;
    // Sync subscriptions only: the Go side takes messages in batches (see sub.go).
    st = pq ? natsrs_connection_queue_subscribe_sync(nc, ps, pq, out)
            : natsrs_connection_subscribe_sync(nc, ps, out);
    if (st != NATSRS_STATUS_OK && err != NULL) *err = dup_err();
    tmp_free(&s);
    tmp_free(&q);
    return st;
}

void gn_free_batch(natsrs_msg **msgs, gn_msg_view *views, size_t n) {
    for (size_t i = 0; i < n; i++) {
        natsrs_msg_free(msgs[i]);
        msgs[i] = NULL;
        free(views[i].hdr);
        views[i].hdr = NULL;
    }
}

natsrs_status gn_next_batch(natsrs_subscription *sub, size_t nprev, size_t max, int64_t timeout_ms,
                            natsrs_msg **msgs, gn_msg_view *views, size_t *count, char **err) {
    gn_free_batch(msgs, views, nprev);
    size_t n = 0;
    natsrs_status st = natsrs_subscription_next_msgs(sub, max, timeout_ms, msgs, &n);
    if (st != NATSRS_STATUS_OK) {
        if (err != NULL) *err = dup_err();
        *count = 0;
        return st;
    }
    for (size_t i = 0; i < n; i++) gn_fill_view(msgs[i], &views[i]);
    *count = n;
    return st;
}

natsrs_status gn_flush(natsrs_connection *nc, int64_t timeout_ms, char **err) {
    RET(natsrs_connection_flush(nc, timeout_ms));
}
natsrs_status gn_drain(natsrs_connection *nc, int64_t timeout_ms, char **err) {
    RET(natsrs_connection_drain(nc, timeout_ms));
}
natsrs_status gn_close(natsrs_connection *nc, char **err) { RET(natsrs_connection_close(nc)); }
natsrs_status gn_set_server_pool(natsrs_connection *nc, const char *const *urls, size_t n, char **err) {
    natsrs_status st = natsrs_connection_set_server_pool(nc, urls, n);
    if (st != NATSRS_STATUS_OK && err != NULL) *err = dup_err();
    return st;
}

natsrs_status gn_rtt(natsrs_connection *nc, double *out, char **err) { RET(natsrs_connection_rtt(nc, out)); }
natsrs_status gn_new_inbox(natsrs_connection *nc, char *buf, size_t len, char **err) {
    RET(natsrs_connection_new_inbox(nc, buf, len));
}

natsrs_status gn_sub_op(natsrs_subscription *sub, int op, int64_t a, int64_t b, char **err) {
    switch (op) {
    case GN_SUB_UNSUBSCRIBE: RET(natsrs_subscription_unsubscribe(sub));
    case GN_SUB_AUTO_UNSUBSCRIBE: RET(natsrs_subscription_auto_unsubscribe(sub, (uint64_t)a));
    case GN_SUB_DRAIN: RET(natsrs_subscription_drain(sub));
    case GN_SUB_DRAIN_WAIT: RET(natsrs_subscription_drain_wait(sub, a));
    case GN_SUB_SET_PENDING_LIMITS: RET(natsrs_subscription_set_pending_limits(sub, a, b));
    case GN_SUB_CLEAR_MAX_PENDING: RET(natsrs_subscription_clear_max_pending(sub));
    }
    return NATSRS_STATUS_INVALID_ARGUMENT;
}

natsrs_status gn_sub_pending(natsrs_subscription *sub, int64_t *msgs, int64_t *bytes, uint64_t *dropped,
                             uint64_t *delivered, char **err) {
    natsrs_status st = natsrs_subscription_pending(sub, msgs, bytes);
    if (st == NATSRS_STATUS_OK) st = natsrs_subscription_dropped(sub, dropped);
    if (st == NATSRS_STATUS_OK) st = natsrs_subscription_delivered(sub, delivered);
    if (st != NATSRS_STATUS_OK && err != NULL) *err = dup_err();
    return st;
}

natsrs_status gn_sub_received(natsrs_subscription *sub, uint64_t *out, bool *stable, char **err) {
    enum { TRIES = 64 };
    *stable = false;
    for (int i = 0; i < TRIES; i++) {
        uint64_t before = 0, after = 0;
        int64_t msgs = 0;
        natsrs_status st = natsrs_subscription_delivered(sub, &before);
        if (st == NATSRS_STATUS_OK) st = natsrs_subscription_pending(sub, &msgs, NULL);
        if (st == NATSRS_STATUS_OK) st = natsrs_subscription_delivered(sub, &after);
        if (st != NATSRS_STATUS_OK) {
            if (err != NULL) *err = dup_err();
            return st;
        }
        *out = after + (uint64_t)(msgs > 0 ? msgs : 0);
        if (before == after) {
            *stable = true;
            break;
        }
    }
    return NATSRS_STATUS_OK;
}

natsrs_status gn_sub_max_pending(natsrs_subscription *sub, int64_t *msgs, int64_t *bytes, char **err) {
    RET(natsrs_subscription_max_pending(sub, msgs, bytes));
}

natsrs_status gn_buffered(natsrs_connection *nc, size_t *out, char **err) { RET(natsrs_connection_buffered(nc, out)); }

natsrs_status gn_last_error(natsrs_connection *nc, natsrs_status *st, char *buf, size_t len) {
    return natsrs_connection_last_error(nc, st, buf, len);
}

void gn_fill_view(const natsrs_msg *msg, gn_msg_view *v) {
    v->subject = natsrs_msg_subject(msg);
    v->subject_len = v->subject ? strlen(v->subject) : 0;
    v->reply = natsrs_msg_reply(msg);
    v->reply_len = v->reply ? strlen(v->reply) : 0;
    v->data = natsrs_msg_data(msg);
    v->data_len = natsrs_msg_data_len(msg);
    v->status = natsrs_msg_status_code(msg);
    v->hdr = NULL;
    v->hdr_len = 0;
    const char *const *keys = NULL;
    size_t nkeys = 0;
    if (natsrs_msg_header_keys(msg, &keys, &nkeys) != NATSRS_STATUS_OK || nkeys == 0) return;
    // First pass: size; second pass: copy "key\0value\0" for every value.
    size_t total = 0;
    for (size_t i = 0; i < nkeys; i++) {
        const char *const *vals = NULL;
        size_t nv = 0;
        if (natsrs_msg_header_values(msg, keys[i], &vals, &nv) != NATSRS_STATUS_OK) continue;
        size_t kl = strlen(keys[i]) + 1;
        for (size_t j = 0; j < nv; j++) total += kl + strlen(vals[j]) + 1;
    }
    if (total == 0) return;
    char *buf = malloc(total);
    if (buf == NULL) return;
    size_t off = 0;
    for (size_t i = 0; i < nkeys; i++) {
        const char *const *vals = NULL;
        size_t nv = 0;
        if (natsrs_msg_header_values(msg, keys[i], &vals, &nv) != NATSRS_STATUS_OK) continue;
        size_t kl = strlen(keys[i]) + 1;
        for (size_t j = 0; j < nv; j++) {
            size_t vl = strlen(vals[j]) + 1;
            memcpy(buf + off, keys[i], kl);
            off += kl;
            memcpy(buf + off, vals[j], vl);
            off += vl;
        }
    }
    v->hdr = buf;
    v->hdr_len = off;
}

// ---- non-blocking calls -----------------------------------------------------------------------

static void on_request_done(void *ud, natsrs_status st, natsrs_msg *msg) {
    gn_msg_view v;
    if (st == NATSRS_STATUS_OK && msg != NULL) {
        gn_fill_view(msg, &v);
        goOnRequestDone((uintptr_t)ud, (int)st, &v);
        free(v.hdr);
        natsrs_msg_free(msg);
    } else {
        goOnRequestDone((uintptr_t)ud, (int)st, NULL);
    }
}

static void on_flush_done(void *ud, natsrs_status st) { goOnFlushDone((uintptr_t)ud, (int)st); }

natsrs_status gn_request_async(natsrs_connection *nc, const char *subj, size_t subj_len,
                               const char *hdr, size_t hdr_len, const uint8_t *data, size_t len,
                               int64_t timeout_ms, uintptr_t ud, uint64_t *out_id, char **err) {
    natsrs_status st;
    if (hdr_len == 0) {
        tmpstr s;
        const char *ps = tmp_str(&s, subj, subj_len);
        st = natsrs_connection_request_async(nc, ps, len ? data : NULL, len, timeout_ms, on_request_done,
                                             (void *)ud, ud_free, out_id);
        tmp_free(&s);
    } else {
        natsrs_msg *m = NULL;
        st = make_msg(subj, subj_len, NULL, 0, hdr, hdr_len, data, len, &m);
        if (st == NATSRS_STATUS_OK) {
            st = natsrs_connection_request_msg_async(nc, m, timeout_ms, on_request_done, (void *)ud,
                                                     ud_free, out_id);
            natsrs_msg_free(m);
        } else {
            ud_free((void *)ud);
        }
    }
    if (st != NATSRS_STATUS_OK && err != NULL) *err = dup_err();
    return st;
}

natsrs_status gn_flush_async(natsrs_connection *nc, int64_t timeout_ms, uintptr_t ud, char **err) {
    RET(natsrs_connection_flush_async(nc, timeout_ms, on_flush_done, (void *)ud, ud_free));
}

natsrs_status gn_try_packed(natsrs_subscription *sub, uint8_t *buf, size_t cap, size_t *used, size_t *count,
                            int *left, char **err) {
    *used = 0;
    *count = 0;
    *left = 1;
    natsrs_status st = natsrs_subscription_try_next_packed(sub, buf, cap, used, count);
    if (st != NATSRS_STATUS_OK && st != NATSRS_STATUS_BUFFER_TOO_SMALL && err != NULL) *err = dup_err();
    if (st == NATSRS_STATUS_OK && *count > 0) {
        /* In the same cgo call: is anything still queued? When not, the caller waits for the next
           signal (the core signals when the queue goes from empty to not empty) instead of
           making a call that would find nothing. Not after the input ended (a drain finished,
           the server's auto-unsubscribe): that signal may be the one the caller just consumed,
           and only the next call reports the end. */
        int64_t msgs = 1;
        if (natsrs_subscription_pending(sub, &msgs, NULL) == NATSRS_STATUS_OK && msgs == 0 &&
            natsrs_subscription_is_valid(sub))
            *left = 0;
    }
    return st;
}

natsrs_status gn_try_batch(natsrs_subscription *sub, size_t nprev, size_t max, natsrs_msg **msgs,
                           gn_msg_view *views, size_t *count, char **err) {
    gn_free_batch(msgs, views, nprev);
    size_t n = 0;
    natsrs_status st = natsrs_subscription_try_next_msgs(sub, max, msgs, &n);
    if (st != NATSRS_STATUS_OK) {
        if (err != NULL) *err = dup_err();
        *count = 0;
        return st;
    }
    for (size_t i = 0; i < n; i++) gn_fill_view(msgs[i], &views[i]);
    *count = n;
    return st;
}

natsrs_status gn_notify_fd(natsrs_subscription *sub, int *out_fd, char **err) {
    int32_t fd = -1;
    natsrs_status st = natsrs_subscription_notify_fd(sub, &fd);
    if (st != NATSRS_STATUS_OK) {
        if (err != NULL) *err = dup_err();
        return st;
    }
    *out_fd = fd;
    return st;
}
