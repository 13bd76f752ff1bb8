// C helpers for the Go binding (package nats). Every helper that can fail copies
// natsrs_last_error_message() into *err (malloc'd; the caller frees it) inside the same C call,
// because cgo may run two consecutive calls of a goroutine on different OS threads and the
// last error is per thread.
#ifndef GONATSRS_SHIM_H
#define GONATSRS_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include "natsrs.h"

// A borrowed view of a message: pointers into the natsrs_msg, valid while it lives.
typedef struct gn_msg_view {
    const char *subject;
    size_t subject_len;
    const char *reply;
    size_t reply_len;
    const uint8_t *data;
    size_t data_len;
    char *hdr;          // malloc'd "key\0value\0key\0value\0..." or NULL (caller frees)
    size_t hdr_len;
    int32_t status;     // inline status code (0 if none)
} gn_msg_view;

enum {
    GN_OPT_NO_ECHO = 1, GN_OPT_NO_RANDOMIZE, GN_OPT_RETRY_ON_FAILED_CONNECT, GN_OPT_ALLOW_RECONNECT,
    GN_OPT_OLD_REQUEST_STYLE, GN_OPT_VERBOSE, GN_OPT_PEDANTIC, GN_OPT_TLS_REQUIRED,
    GN_OPT_TLS_HANDSHAKE_FIRST, GN_OPT_TLS_SKIP_VERIFY, GN_OPT_IGNORE_DISCOVERED,
    GN_OPT_PING_INTERVAL = 100, GN_OPT_CONNECT_TIMEOUT, GN_OPT_DRAIN_TIMEOUT, GN_OPT_RECONNECT_WAIT,
    GN_OPT_MAX_PINGS_OUT, GN_OPT_MAX_RECONNECT, GN_OPT_RECONNECT_BUF_SIZE, GN_OPT_TLS_MIN_VERSION,
    GN_OPT_URL = 200, GN_OPT_NAME, GN_OPT_TOKEN, GN_OPT_INBOX_PREFIX, GN_OPT_NKEY_SEED_FILE,
    GN_OPT_CREDS_FILE, GN_OPT_TLS_CA_FILE, GN_OPT_TLS_SERVER_NAME,
    GN_OPT_USER_INFO = 300, GN_OPT_CREDS_FILES, GN_OPT_TLS_CLIENT_CERT_FILE,
    GN_OPT_TLS_CA_PEM = 400, GN_OPT_TLS_CLIENT_CERT_PEM,
    GN_OPT_JITTER = 500, GN_OPT_PENDING_LIMITS,
};

// Callback kinds registered with the Go handle as userdata.
enum {
    GN_CB_CLOSED = 1, GN_CB_RECONNECTED, GN_CB_CONNECTED, GN_CB_DISCOVERED, GN_CB_LAME_DUCK,
    GN_CB_DISCONNECTED, GN_CB_ERROR, GN_CB_RECONNECT_DELAY, GN_CB_TOKEN, GN_CB_NKEY, GN_CB_USER_JWT,
    GN_CB_TLS_VERIFY, GN_CB_USER_INFO, GN_CB_RECONNECT_ERROR,
};

natsrs_status gn_opt_bool(natsrs_options *o, int which, bool v, char **err);
natsrs_status gn_opt_int(natsrs_options *o, int which, int64_t v, int64_t v2, char **err);
natsrs_status gn_opt_str(natsrs_options *o, int which, const char *s1, size_t n1, const char *s2, size_t n2, char **err);
natsrs_status gn_opt_cb(natsrs_options *o, int which, uintptr_t ud, const char *s, size_t n, char **err);

natsrs_status gn_connect(const natsrs_options *o, natsrs_connection **out, char **err);
natsrs_status gn_publish(natsrs_connection *nc, const char *subj, size_t subj_len,
                         const char *reply, size_t reply_len, const uint8_t *data, size_t len,
                         char **err);
// Publishes ready-made PUB frames (natsrs_connection_publish_wire); *count gets how many went out.
natsrs_status gn_publish_wire(natsrs_connection *nc, const uint8_t *buf, size_t len, size_t *count,
                              char **err);
natsrs_status gn_publish_msg(natsrs_connection *nc, const char *subj, size_t subj_len,
                             const char *reply, size_t reply_len, const char *hdr, size_t hdr_len,
                             const uint8_t *data, size_t len, char **err);
natsrs_status gn_request(natsrs_connection *nc, const char *subj, size_t subj_len,
                         const char *hdr, size_t hdr_len, const uint8_t *data, size_t len,
                         int64_t timeout_ms, gn_msg_view *view, natsrs_msg **out, char **err);
natsrs_status gn_subscribe(natsrs_connection *nc, const char *subj, size_t subj_len,
                           const char *queue, size_t queue_len, bool async, uintptr_t ud,
                           natsrs_subscription **out, char **err);
// Frees the `nprev` messages of the previous batch, then waits up to timeout_ms for the next
// messages (up to max), filling views and msgs (owned; pass them back as prev to free them).
// (msgs[i] and views[i].hdr for i < nprev are freed first: the previous batch.)
natsrs_status gn_next_batch(natsrs_subscription *sub, size_t nprev, size_t max, int64_t timeout_ms,
                            natsrs_msg **msgs, gn_msg_view *views, size_t *count, char **err);
void gn_free_batch(natsrs_msg **msgs, gn_msg_view *views, size_t n);
natsrs_status gn_flush(natsrs_connection *nc, int64_t timeout_ms, char **err);
natsrs_status gn_drain(natsrs_connection *nc, int64_t timeout_ms, char **err);
natsrs_status gn_close(natsrs_connection *nc, char **err);
natsrs_status gn_set_server_pool(natsrs_connection *nc, const char *const *urls, size_t n, char **err);
natsrs_status gn_rtt(natsrs_connection *nc, double *out, char **err);
natsrs_status gn_new_inbox(natsrs_connection *nc, char *buf, size_t len, char **err);
natsrs_status gn_sub_op(natsrs_subscription *sub, int op, int64_t a, int64_t b, char **err);
enum { GN_SUB_UNSUBSCRIBE = 1, GN_SUB_AUTO_UNSUBSCRIBE, GN_SUB_DRAIN, GN_SUB_DRAIN_WAIT, GN_SUB_SET_PENDING_LIMITS, GN_SUB_CLEAR_MAX_PENDING };
natsrs_status gn_sub_pending(natsrs_subscription *sub, int64_t *msgs, int64_t *bytes, uint64_t *dropped, uint64_t *delivered, char **err);
// Messages the subscription received and did not drop: taken off its queue (delivered) plus
// still queued, counted so that none moves between the two counts (delivered is read before
// and after the queue and the read is retried until both agree; *stable is false when they
// never did within a few tries).
natsrs_status gn_sub_received(natsrs_subscription *sub, uint64_t *out, bool *stable, char **err);
natsrs_status gn_sub_max_pending(natsrs_subscription *sub, int64_t *msgs, int64_t *bytes, char **err);
natsrs_status gn_buffered(natsrs_connection *nc, size_t *out, char **err);
natsrs_status gn_last_error(natsrs_connection *nc, natsrs_status *st, char *buf, size_t len);

// Creates a message with headers ("key\0value\0..."); owned.
natsrs_status make_msg(const char *subj, size_t subj_len, const char *reply, size_t reply_len,
                       const char *hdr, size_t hdr_len, const uint8_t *data, size_t len, natsrs_msg **out);

// Fills a view of a borrowed message (headers serialized into a malloc'd buffer).
void gn_fill_view(const natsrs_msg *msg, gn_msg_view *v);
// userdata_free of the non-blocking calls: deletes the Go handle.
void gn_ud_free(void *ud);

#endif

// Non-blocking calls (context support). The request/flush completion runs goOnRequestDone /
// goOnFlushDone with the handle `ud` (deleted by the core's userdata_free).
natsrs_status gn_request_async(natsrs_connection *nc, const char *subj, size_t subj_len,
                               const char *hdr, size_t hdr_len, const uint8_t *data, size_t len,
                               int64_t timeout_ms, uintptr_t ud, uint64_t *out_id, char **err);
natsrs_status gn_flush_async(natsrs_connection *nc, int64_t timeout_ms, uintptr_t ud, char **err);
// natsrs_subscription_try_next_packed into buf (Go memory: bytes only). BUFFER_TOO_SMALL sets
// *used to the size the first message needs.
natsrs_status gn_try_packed(natsrs_subscription *sub, uint8_t *buf, size_t cap, size_t *used, size_t *count, int *left,
                            char **err);
natsrs_status gn_try_batch(natsrs_subscription *sub, size_t nprev, size_t max, natsrs_msg **msgs,
                           gn_msg_view *views, size_t *count, char **err);
natsrs_status gn_notify_fd(natsrs_subscription *sub, int *out_fd, char **err);
