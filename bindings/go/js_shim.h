// C helpers for the Go binding's JetStream (package nats). As in shim.h, every helper that can
// fail copies the last error (text and the server's API codes) into *je inside the same C call.
#ifndef GONATSRS_JS_SHIM_H
#define GONATSRS_JS_SHIM_H

#include "shim.h"

// The error of a failed call: text (malloc'd; the caller frees it) and, for a JetStream API
// error, the server's codes.
typedef struct gn_jerr {
    char *msg;
    int32_t code;
    uint64_t err_code;
    bool has_api;
} gn_jerr;

// Copies this thread's last error into *je (for the other shim files).
void gn_take_err(gn_jerr *je);

// A JSON array built item by item (gn_jbuf_add), then taken as a malloc'd string
// (gn_jbuf_finish; NULL when out of memory). Zero-initialize before use.
typedef struct gn_jbuf {
    char *buf;
    size_t len, cap;
    bool failed;
} gn_jbuf;
void gn_jbuf_add(gn_jbuf *b, const char *item);
char *gn_jbuf_finish(gn_jbuf *b);

// Infos of all streams (consumers false; name: a subject filter or empty) or of all consumers
// of stream `name`, as a malloc'd JSON array of the server's infos.
natsrs_status gn_js_infos(natsrs_jetstream *js, bool consumers, const char *name, size_t name_len, char **out_json,
                          gn_jerr *je);

// An ordered consumer (natsrs_js_stream_ordered_consumer) with its stream handle and, for a
// handler subscription, its consume context.
typedef struct gn_ordered {
    natsrs_js_stream *stream;
    natsrs_js_ordered_consumer *oc;
    natsrs_consume_context *cc;
} gn_ordered;
// cfg_json: the consumer config (filter, deliver policy, ...). ud != 0: consume with goOnJSMsg
// (the library deletes the handle); ud == 0: messages are taken with gn_js_ordered_next.
natsrs_status gn_js_ordered_new(natsrs_jetstream *js, const char *stream, size_t stream_len, const char *cfg_json,
                                size_t cfg_len, uintptr_t ud, gn_ordered **out, gn_jerr *je);
natsrs_status gn_js_ordered_next(gn_ordered *o, int64_t timeout_ms, gn_msg_view *view, natsrs_msg **out,
                                 gn_jerr *je);
// The info of the consumer the ordered consumer uses now, as JSON (release with
// natsrs_string_free).
natsrs_status gn_js_ordered_info(gn_ordered *o, char **out_json, gn_jerr *je);
// Stops deliveries (a waiting gn_js_ordered_next returns); the consumer is deleted at free.
void gn_js_ordered_stop(gn_ordered *o);
void gn_js_ordered_free(gn_ordered *o);

// A publish ack copied out of a natsrs_pub_ack (strings malloc'd; the caller frees them).
typedef struct gn_pub_ack {
    char *stream;
    uint64_t seq;
    bool duplicate;
    char *domain;
} gn_pub_ack;

// Publish options, flattened (strings are (pointer, length); empty = unset).
typedef struct gn_pub_opts {
    uint64_t exp_last_seq;
    uint64_t exp_last_subj_seq;
    int64_t timeout_ms;
    int64_t stall_ms; // async publishes: the stall wait (0: the context's)
    bool has_exp_last_seq;
    bool has_exp_last_subj_seq;
} gn_pub_opts;

natsrs_status gn_js_new(natsrs_connection *nc, const char *prefix, size_t prefix_len, const char *domain,
                        size_t domain_len, int64_t timeout_ms, int64_t max_pending, int64_t stall_ms,
                        natsrs_jetstream **out, gn_jerr *je);

natsrs_status gn_js_publish(natsrs_jetstream *js, const char *subj, size_t subj_len, const char *hdr,
                            size_t hdr_len, const uint8_t *data, size_t len, const char *msg_id,
                            size_t msg_id_len, const char *exp_stream, size_t exp_stream_len,
                            const char *exp_last_id, size_t exp_last_id_len, const gn_pub_opts *po,
                            gn_pub_ack *ack, gn_jerr *je);

// Async publish: the completion runs goOnPubAck with the handle `ud` (deleted by userdata_free).
// hdr (NUL-separated key/value pairs, hdr_len > 0): natsrs_jetstream_publish_msg_async.
natsrs_status gn_js_publish_async(natsrs_jetstream *js, const char *subj, size_t subj_len, const char *hdr,
                                  size_t hdr_len, const uint8_t *data, size_t len, const char *msg_id, size_t msg_id_len,
                                  const char *exp_stream, size_t exp_stream_len, const char *exp_last_id,
                                  size_t exp_last_id_len, const gn_pub_opts *po, uintptr_t ud, gn_jerr *je);

// Management calls. Inputs: a, b (strings), json (a config), u1, u2, flag; outputs: *out_json
// (release with natsrs_string_free) and *out_u.
enum {
    GN_JS_ADD_STREAM = 1, GN_JS_UPDATE_STREAM, GN_JS_STREAM_INFO, GN_JS_DELETE_STREAM, GN_JS_PURGE_STREAM,
    GN_JS_STREAM_NAMES, GN_JS_ADD_CONSUMER, GN_JS_UPDATE_CONSUMER, GN_JS_CONSUMER_INFO,
    GN_JS_DELETE_CONSUMER, GN_JS_CONSUMER_NAMES, GN_JS_ACCOUNT_INFO, GN_JS_DELETE_MSG,
};
natsrs_status gn_js_manage(natsrs_jetstream *js, int op, const char *a, size_t a_len, const char *b,
                           size_t b_len, const char *json, size_t json_len, uint64_t u1, uint64_t u2,
                           bool flag, char **out_json, uint64_t *out_u, gn_jerr *je);

// Stored message (GetMsg with subject_len == 0, GetLastMsg otherwise).
// *stored_seq / *stored_ns: the message's stream sequence and stored time (natsrs_msg_stored_*).
natsrs_status gn_js_get_msg(natsrs_jetstream *js, const char *stream, size_t stream_len, const char *subj,
                            size_t subj_len, uint64_t seq, bool direct, gn_msg_view *view, natsrs_msg **out,
                            uint64_t *stored_seq, int64_t *stored_ns, gn_jerr *je);

// Subscribe kinds.
enum { GN_JS_PUSH = 1, GN_JS_PUSH_SYNC, GN_JS_PULL };
typedef struct gn_sub_args {
    int kind;
    bool manual_ack;
    bool has_cfg;
} gn_sub_args;
// queue: the queue group (push) or the durable name (pull). cfg_json: the base consumer config
// (has_cfg). deliver: the deliver subject of a push consumer it creates (empty: an inbox). Push
// kinds with a handler run goOnJSMsg with `ud`.
natsrs_status gn_js_subscribe(natsrs_jetstream *js, const gn_sub_args *sa, const char *subj, size_t subj_len,
                              const char *queue, size_t queue_len, const char *stream, size_t stream_len,
                              const char *durable, size_t durable_len, const char *bind, size_t bind_len,
                              const char *cfg_json, size_t cfg_len, const char *deliver, size_t deliver_len,
                              uintptr_t ud, void **out, gn_jerr *je);

natsrs_status gn_js_next(natsrs_js_subscription *sub, int64_t timeout_ms, gn_msg_view *view, natsrs_msg **out,
                         gn_jerr *je);

// Fetch: up to `batch` messages into malloc'd arrays (*msgs, *views; free with gn_js_free_fetch).
// no_wait: only what is available now; max_bytes > 0: fetch by bytes; hb_ms > 0: with idle
// heartbeats (natsrs_pull_subscription_fetch_heartbeat).
natsrs_status gn_js_fetch(natsrs_pull_subscription *sub, size_t batch, size_t max_bytes, int64_t timeout_ms,
                          int64_t hb_ms, bool no_wait, natsrs_msg ***msgs, gn_msg_view **views, size_t *count,
                          gn_jerr *je);
void gn_js_free_fetch(natsrs_msg **msgs, gn_msg_view *views, size_t n);
// The non-blocking fetch (natsrs_pull_subscription_fetch_async); goOnFetchDone(ud, ...) gets the
// outcome on the completion thread, with arrays to free with gn_js_free_fetch.
natsrs_status gn_js_fetch_async(natsrs_pull_subscription *sub, size_t batch, size_t max_bytes, int64_t timeout_ms,
                                int64_t hb_ms, uintptr_t ud, uint64_t *id, gn_jerr *je);

enum { GN_JS_SUB_UNSUBSCRIBE = 1, GN_JS_SUB_DRAIN, GN_JS_SUB_INFO, GN_JS_SUB_FREE };
// op on a push (pull = false) or pull subscription; GN_JS_SUB_INFO gives the consumer info JSON.
natsrs_status gn_js_sub_op(void *sub, bool pull, int op, int64_t timeout_ms, char **out_json, gn_jerr *je);

// Client-side queue counters of a push subscription (natsrs_js_subscription_pending, _dropped,
// _max_pending), and its pending limits (set when set_limits).
typedef struct gn_js_counters {
    int64_t msgs, bytes, max_msgs, max_bytes;
    uint64_t dropped;
} gn_js_counters;
natsrs_status gn_js_sub_counters(natsrs_js_subscription *sub, gn_js_counters *c, gn_jerr *je);
// Pending and dropped of an ordered consumer (max_* are -1: not kept).
natsrs_status gn_js_ordered_counters(gn_ordered *o, gn_js_counters *c, gn_jerr *je);
natsrs_status gn_js_ordered_set_limits(gn_ordered *o, int64_t msgs, int64_t bytes, gn_jerr *je);
natsrs_status gn_js_ordered_clear_max_pending(gn_ordered *o, gn_jerr *je);
// Pending, dropped and max pending of a pull subscription (the queue of its reply subscription).
natsrs_status gn_js_pull_counters(natsrs_pull_subscription *sub, gn_js_counters *c, gn_jerr *je);
// Messages taken off a push subscription's queue (handled by its handler, control messages
// included) and still queued, read as gn_sub_received does (*stable false when the two reads
// of delivered never agreed).
natsrs_status gn_js_sub_received(natsrs_js_subscription *sub, uint64_t *delivered, int64_t *queued, bool *stable,
                                 gn_jerr *je);
natsrs_status gn_js_sub_set_limits(natsrs_js_subscription *sub, int64_t msgs, int64_t bytes, gn_jerr *je);
natsrs_status gn_js_pull_set_limits(natsrs_pull_subscription *sub, int64_t msgs, int64_t bytes, gn_jerr *je);
// ClearMaxPending of a push (pull false) or pull subscription.
natsrs_status gn_js_clear_max_pending(void *sub, bool pull, gn_jerr *je);

#endif
