/* libnatsrs client for the bench harness, over the public C API (include/natsrs.h).
 * Usage: natsrs_bench <case> <url> [N]   -> one JSON line on stdout.
 * Default options everywhere: async subscriptions for pub->sub and the responder,
 * natsrs_connection_request for requests; JetStream cases through natsrs_jetstream_* (async
 * publish window via the context's max pending, fetch from an ephemeral AckNone pull consumer);
 * key-value and object store cases through natsrs_kv_* and natsrs_object_store_* (put_bytes /
 * get_bytes, default chunk size). */
#include "natsrs.h"

#include "bench_common.h"

#define CLIENT "natsrs"

static void die(const char *what, natsrs_status s) {
  fprintf(stderr, "natsrs_bench: %s: %s (%s)\n", what, natsrs_status_str(s), natsrs_last_error_message());
  exit(2);
}
#define CK(what, expr)                          \
  do {                                          \
    natsrs_status s_ = (expr);                  \
    if (s_ != NATSRS_STATUS_OK) die(what, s_);  \
  } while (0)

static natsrs_connection *connect_url(const char *url) {
  natsrs_connection *nc = NULL;
  CK("connect", natsrs_connection_connect_to(url, &nc));
  return nc;
}

static void case_pub(const char *url, size_t size, uint64_t n, bench_result *r) {
  natsrs_connection *nc = connect_url(url);
  uint8_t *payload = malloc(size);
  memset(payload, 'x', size);
  CK("flush", natsrs_connection_flush(nc, 10000));
  uint64_t limit = (uint64_t)(bench_secs_limit() * 1e9);
  uint64_t c0 = bench_cpu_ns(), t0 = bench_now_ns(), sent = 0;
  while (sent < n) {
    CK("publish", natsrs_connection_publish(nc, BENCH_PUB_SUBJECT, payload, size));
    sent++;
    if ((sent & 255) == 0 && bench_now_ns() - t0 >= limit) break;
  }
  CK("flush", natsrs_connection_flush(nc, 60000));
  uint64_t t1 = bench_now_ns(), c1 = bench_cpu_ns();
  r->msgs = (int64_t)sent;
  r->secs = (double)(t1 - t0) / 1e9;
  r->size = (int64_t)size;
  r->cpu_ns = (int64_t)(c1 - c0);
  r->peak_rss_kb = bench_peak_rss_kb();
  natsrs_connection_free(nc);
  free(payload);
}

static void on_count(void *userdata, natsrs_subscription *sub, const natsrs_msg *msg) {
  (void)sub;
  (void)msg;
  bench_counter_hit((bench_counter *)userdata);
}

static void case_pubsub(const char *url, size_t size, uint64_t n, bench_result *r) {
  natsrs_connection *sc = connect_url(url), *pc = connect_url(url);
  natsrs_subscription *sub = NULL;
  bench_counter ctr;
  bench_counter_init(&ctr);
  CK("subscribe", natsrs_connection_subscribe(sc, BENCH_PS_SUBJECT, on_count, &ctr, NULL, &sub));
  CK("flush", natsrs_connection_flush(sc, 10000));
  CK("flush", natsrs_connection_flush(pc, 10000));
  uint8_t *payload = malloc(size);
  memset(payload, 'x', size);
  uint64_t limit = (uint64_t)(bench_secs_limit() * 1e9);
  uint64_t c0 = bench_cpu_ns(), sent = 0;
  ctr.t0 = bench_now_ns();
  while (sent < n) {
    CK("publish", natsrs_connection_publish(pc, BENCH_PS_SUBJECT, payload, size));
    sent++;
    if ((sent & 255) == 0 && bench_now_ns() - ctr.t0 >= limit) break;
  }
  CK("flush", natsrs_connection_flush(pc, 60000));
  int timed_out = 0;
  double secs = bench_counter_wait(&ctr, sent, &timed_out);
  uint64_t c1 = bench_cpu_ns();
  uint64_t got = atomic_load(&ctr.count);
  uint64_t lib_dropped = 0;
  long long lib_dropped_out = -1;
  if (natsrs_subscription_dropped(sub, &lib_dropped) == NATSRS_STATUS_OK) lib_dropped_out = (long long)lib_dropped;
  r->msgs = (int64_t)got;
  r->secs = secs;
  r->size = (int64_t)size;
  r->cpu_ns = (int64_t)(c1 - c0);
  r->peak_rss_kb = bench_peak_rss_kb();
  r->dropped = (int64_t)(sent > got ? sent - got : 0);
  snprintf(r->extra, sizeof r->extra, ",\"sent\":%llu,\"timed_out\":%s,\"lib_dropped\":%lld",
           (unsigned long long)sent, timed_out ? "true" : "false", lib_dropped_out);
  natsrs_subscription_free(sub);
  natsrs_connection_free(pc);
  natsrs_connection_free(sc);
  free(payload);
}

static void on_request(void *userdata, natsrs_subscription *sub, const natsrs_msg *msg) {
  (void)userdata;
  (void)sub;
  natsrs_msg_respond(msg, natsrs_msg_data(msg), natsrs_msg_data_len(msg));
}

static void case_reqrep(const char *url, uint64_t n, bench_result *r) {
  natsrs_connection *rc = connect_url(url), *qc = connect_url(url);
  natsrs_subscription *sub = NULL;
  CK("subscribe", natsrs_connection_subscribe(rc, BENCH_RR_SUBJECT, on_request, NULL, NULL, &sub));
  CK("flush", natsrs_connection_flush(rc, 10000));
  uint8_t payload[BENCH_RR_SIZE];
  memset(payload, 'x', sizeof payload);
  uint64_t warm = n / 10 + 1 < 1000 ? n / 10 + 1 : 1000;
  for (uint64_t i = 0; i < warm; i++) {
    natsrs_msg *rep = NULL;
    CK("request", natsrs_connection_request(qc, BENCH_RR_SUBJECT, payload, sizeof payload, 5000, &rep));
    natsrs_msg_free(rep);
  }
  uint64_t *lat = malloc(sizeof(uint64_t) * n);
  uint64_t c0 = bench_cpu_ns(), t0 = bench_now_ns();
  for (uint64_t i = 0; i < n; i++) {
    natsrs_msg *rep = NULL;
    uint64_t s = bench_now_ns();
    CK("request", natsrs_connection_request(qc, BENCH_RR_SUBJECT, payload, sizeof payload, 5000, &rep));
    lat[i] = bench_now_ns() - s;
    natsrs_msg_free(rep);
  }
  uint64_t t1 = bench_now_ns(), c1 = bench_cpu_ns();
  r->msgs = (int64_t)n;
  r->secs = (double)(t1 - t0) / 1e9;
  r->cpu_ns = (int64_t)(c1 - c0);
  bench_percentiles(lat, n, r);
  free(lat);
  natsrs_subscription_free(sub);
  natsrs_connection_free(qc);
  natsrs_connection_free(rc);
}

static void case_mem(const char *url, uint64_t n, bench_result *r) {
  natsrs_connection *nc = connect_url(url);
  CK("flush", natsrs_connection_flush(nc, 10000));
  bench_sleep_ms(100);
  long base = bench_vm_rss_kb();
  natsrs_subscription **subs = calloc(n, sizeof *subs);
  char subj[64];
  for (uint64_t i = 0; i < n; i++) {
    snprintf(subj, sizeof subj, "bench.mem.%llu", (unsigned long long)i);
    CK("subscribe_sync", natsrs_connection_subscribe_sync(nc, subj, &subs[i]));
  }
  CK("flush", natsrs_connection_flush(nc, 30000));
  bench_sleep_ms(200);
  long rss = bench_vm_rss_kb();
  r->peak_rss_kb = bench_peak_rss_kb();
  snprintf(r->extra, sizeof r->extra, ",\"subs\":%llu,\"rss_kb\":%ld,\"rss_before_subs_kb\":%ld",
           (unsigned long long)n, rss, base);
  for (uint64_t i = 0; i < n; i++) natsrs_subscription_free(subs[i]);
  free(subs);
  natsrs_connection_free(nc);
}


/* ---- JetStream: js_pub_sync_<storage>, js_pub_async_<storage>, js_fetch_<storage> ---- */

static natsrs_jetstream *js_setup(natsrs_connection *nc, int memory) {
  natsrs_jetstream_options *o = NULL;
  natsrs_jetstream *js = NULL;
  CK("js options", natsrs_jetstream_options_create(&o));
  CK("js max pending", natsrs_jetstream_options_set_publish_async_max_pending(o, BENCH_JS_WINDOW));
  CK("js stall wait", natsrs_jetstream_options_set_publish_async_stall_wait_ms(o, 60000));
  CK("js new", natsrs_jetstream_new(nc, o, &js));
  natsrs_jetstream_options_free(o);
  natsrs_jetstream_delete_stream(js, BENCH_JS_STREAM); /* leftover of an aborted run */
  natsrs_stream_config *cfg = NULL;
  CK("stream config", natsrs_stream_config_new(BENCH_JS_STREAM, &cfg));
  CK("stream subject", natsrs_stream_config_add_subject(cfg, BENCH_JS_SUBJECT));
  CK("stream storage",
     natsrs_stream_config_set_storage(cfg, memory ? NATSRS_STORAGE_TYPE_MEMORY : NATSRS_STORAGE_TYPE_FILE));
  CK("add stream", natsrs_jetstream_add_stream(js, cfg, NULL));
  natsrs_stream_config_free(cfg);
  return js;
}

static void js_teardown(natsrs_connection *nc, natsrs_jetstream *js) {
  CK("delete stream", natsrs_jetstream_delete_stream(js, BENCH_JS_STREAM));
  natsrs_jetstream_free(js);
  natsrs_connection_free(nc);
}

typedef struct js_acks {
  atomic_uint_fast64_t ok, failed;
} js_acks;

static void on_pub_ack(void *userdata, natsrs_status s, const natsrs_pub_ack *ack) {
  (void)ack;
  js_acks *a = (js_acks *)userdata;
  if (s == NATSRS_STATUS_OK)
    atomic_fetch_add(&a->ok, 1);
  else
    atomic_fetch_add(&a->failed, 1);
}

static void case_js_pub(const char *url, int memory, int async, uint64_t n, bench_result *r) {
  natsrs_connection *nc = connect_url(url);
  natsrs_jetstream *js = js_setup(nc, memory);
  uint8_t payload[BENCH_JS_SIZE];
  memset(payload, 'x', sizeof payload);
  js_acks acks;
  atomic_init(&acks.ok, 0);
  atomic_init(&acks.failed, 0);
  uint64_t limit = (uint64_t)(bench_secs_limit() * 1e9);
  uint64_t c0 = bench_cpu_ns(), t0 = bench_now_ns(), sent = 0;
  while (sent < n) {
    if (async)
      CK("publish async",
         natsrs_jetstream_publish_async(js, BENCH_JS_SUBJECT, payload, sizeof payload, NULL, on_pub_ack, &acks, NULL));
    else
      CK("publish", natsrs_jetstream_publish(js, BENCH_JS_SUBJECT, payload, sizeof payload, NULL, NULL));
    sent++;
    if ((sent & 63) == 0 && bench_now_ns() - t0 >= limit) break;
  }
  if (async) CK("publish async complete", natsrs_jetstream_publish_async_complete(js, 60000));
  uint64_t t1 = bench_now_ns(), c1 = bench_cpu_ns();
  r->msgs = (int64_t)sent;
  r->secs = (double)(t1 - t0) / 1e9;
  r->size = BENCH_JS_SIZE;
  r->cpu_ns = (int64_t)(c1 - c0);
  r->peak_rss_kb = bench_peak_rss_kb();
  if (async)
    snprintf(r->extra, sizeof r->extra, ",\"acked\":%llu,\"ack_errors\":%llu", (unsigned long long)atomic_load(&acks.ok),
             (unsigned long long)atomic_load(&acks.failed));
  js_teardown(nc, js);
}

/* Pre-fills n messages (async publish, untimed), then consumes them all with fetches of
 * BENCH_JS_BATCH from an ephemeral AckNone pull consumer; rate = n / consume time. */
static void case_js_fetch(const char *url, int memory, uint64_t n, bench_result *r) {
  natsrs_connection *nc = connect_url(url);
  natsrs_jetstream *js = js_setup(nc, memory);
  uint8_t payload[BENCH_JS_SIZE];
  memset(payload, 'x', sizeof payload);
  for (uint64_t i = 0; i < n; i++)
    CK("prefill", natsrs_jetstream_publish_async(js, BENCH_JS_SUBJECT, payload, sizeof payload, NULL, NULL, NULL, NULL));
  CK("prefill complete", natsrs_jetstream_publish_async_complete(js, 120000));
  natsrs_consumer_config *cc = NULL;
  natsrs_js_subscribe_options *so = NULL;
  CK("consumer config", natsrs_consumer_config_new(NULL, &cc));
  CK("ack none", natsrs_consumer_config_set_ack_policy(cc, NATSRS_ACK_POLICY_NONE));
  CK("sub options", natsrs_js_subscribe_options_create(&so));
  CK("sub consumer config", natsrs_js_subscribe_options_set_consumer_config(so, cc));
  natsrs_pull_subscription *ps = NULL;
  CK("pull subscribe", natsrs_jetstream_pull_subscribe(js, BENCH_JS_SUBJECT, NULL, so, &ps));
  natsrs_js_subscribe_options_free(so);
  natsrs_consumer_config_free(cc);
  natsrs_msg **batch = calloc(BENCH_JS_BATCH, sizeof *batch);
  uint64_t got = 0, bytes = 0;
  uint64_t c0 = bench_cpu_ns(), t0 = bench_now_ns();
  while (got < n) {
    size_t k = 0;
    CK("fetch", natsrs_pull_subscription_fetch(ps, BENCH_JS_BATCH, 5000, batch, &k));
    for (size_t i = 0; i < k; i++) {
      bytes += natsrs_msg_data_len(batch[i]);
      natsrs_msg_free(batch[i]);
    }
    got += k;
  }
  uint64_t t1 = bench_now_ns(), c1 = bench_cpu_ns();
  r->msgs = (int64_t)got;
  r->secs = (double)(t1 - t0) / 1e9;
  r->size = BENCH_JS_SIZE;
  r->cpu_ns = (int64_t)(c1 - c0);
  r->peak_rss_kb = bench_peak_rss_kb();
  snprintf(r->extra, sizeof r->extra, ",\"bytes\":%llu", (unsigned long long)bytes);
  free(batch);
  natsrs_pull_subscription_free(ps);
  js_teardown(nc, js);
}

/* ---- Key-value store: kv_put, kv_get; object store: obj_put_16m, obj_get_16m ---- */

static natsrs_jetstream *kv_js(natsrs_connection *nc) {
  natsrs_jetstream *js = NULL;
  CK("js new", natsrs_jetstream_new(nc, NULL, &js));
  return js;
}

/* kv_put: up to n puts of BENCH_KV_SIZE bytes on distinct keys k0, k1, ... (bounded by
 * BENCH_SECS); kv_get: n keys put first (untimed), then up to n gets of the latest value. */
static void case_kv(const char *url, int get, uint64_t n, bench_result *r) {
  natsrs_connection *nc = connect_url(url);
  natsrs_jetstream *js = kv_js(nc);
  natsrs_jetstream_delete_kv(js, BENCH_KV_BUCKET); /* leftover of an aborted run */
  natsrs_kv_config *cfg = NULL;
  natsrs_kv *kv = NULL;
  CK("kv config", natsrs_kv_config_new(BENCH_KV_BUCKET, &cfg));
  CK("create kv", natsrs_jetstream_create_kv(js, cfg, &kv));
  natsrs_kv_config_free(cfg);
  uint8_t val[BENCH_KV_SIZE];
  memset(val, 'x', sizeof val);
  char key[32];
  if (get)
    for (uint64_t i = 0; i < n; i++) {
      snprintf(key, sizeof key, "k%llu", (unsigned long long)i);
      CK("kv prefill", natsrs_kv_put(kv, key, val, sizeof val, NULL));
    }
  uint64_t limit = (uint64_t)(bench_secs_limit() * 1e9);
  uint64_t c0 = bench_cpu_ns(), t0 = bench_now_ns(), done = 0;
  while (done < n) {
    snprintf(key, sizeof key, "k%llu", (unsigned long long)done);
    if (get) {
      natsrs_kv_entry *e = NULL;
      CK("kv get", natsrs_kv_get(kv, key, &e));
      if (natsrs_kv_entry_value_len(e) != BENCH_KV_SIZE) {
        fprintf(stderr, "natsrs_bench: kv get: value of %zu bytes\n", natsrs_kv_entry_value_len(e));
        exit(2);
      }
      natsrs_kv_entry_free(e);
    } else {
      CK("kv put", natsrs_kv_put(kv, key, val, sizeof val, NULL));
    }
    done++;
    if ((done & 63) == 0 && bench_now_ns() - t0 >= limit) break;
  }
  uint64_t t1 = bench_now_ns(), c1 = bench_cpu_ns();
  r->msgs = (int64_t)done;
  r->secs = (double)(t1 - t0) / 1e9;
  r->size = BENCH_KV_SIZE;
  r->cpu_ns = (int64_t)(c1 - c0);
  r->peak_rss_kb = bench_peak_rss_kb();
  natsrs_kv_free(kv);
  CK("delete kv", natsrs_jetstream_delete_kv(js, BENCH_KV_BUCKET));
  natsrs_jetstream_free(js);
  natsrs_connection_free(nc);
}

/* obj_put_16m / obj_get_16m: one BENCH_OBJ_SIZE object put (or got, whole into a buffer)
 * repeatedly until BENCH_SECS (at least once); msgs = objects, MB/s from the object size. */
static void case_obj(const char *url, int get, bench_result *r) {
  natsrs_connection *nc = connect_url(url);
  natsrs_jetstream *js = kv_js(nc);
  natsrs_jetstream_delete_object_store(js, BENCH_OBJ_BUCKET); /* leftover of an aborted run */
  natsrs_object_store_config *cfg = NULL;
  natsrs_object_store *os = NULL;
  CK("object store config", natsrs_object_store_config_new(BENCH_OBJ_BUCKET, &cfg));
  CK("create object store", natsrs_jetstream_create_object_store(js, cfg, &os));
  natsrs_object_store_config_free(cfg);
  uint8_t *data = malloc(BENCH_OBJ_SIZE);
  memset(data, 'x', BENCH_OBJ_SIZE);
  if (get) CK("object prefill", natsrs_object_store_put_bytes(os, BENCH_OBJ_NAME, data, BENCH_OBJ_SIZE, NULL));
  uint64_t limit = (uint64_t)(bench_secs_limit() * 1e9);
  uint64_t c0 = bench_cpu_ns(), t0 = bench_now_ns(), done = 0;
  for (;;) {
    if (get) {
      void *buf = NULL;
      size_t len = 0;
      CK("object get", natsrs_object_store_get_bytes(os, BENCH_OBJ_NAME, &buf, &len, NULL));
      if (len != BENCH_OBJ_SIZE) {
        fprintf(stderr, "natsrs_bench: object get: %zu bytes\n", len);
        exit(2);
      }
      natsrs_object_data_free(buf);
    } else {
      CK("object put", natsrs_object_store_put_bytes(os, BENCH_OBJ_NAME, data, BENCH_OBJ_SIZE, NULL));
    }
    done++;
    if (bench_now_ns() - t0 >= limit) break;
  }
  uint64_t t1 = bench_now_ns(), c1 = bench_cpu_ns();
  r->msgs = (int64_t)done;
  r->secs = (double)(t1 - t0) / 1e9;
  r->size = BENCH_OBJ_SIZE;
  r->cpu_ns = (int64_t)(c1 - c0);
  r->peak_rss_kb = bench_peak_rss_kb();
  natsrs_object_store_free(os);
  CK("delete object store", natsrs_jetstream_delete_object_store(js, BENCH_OBJ_BUCKET));
  natsrs_jetstream_free(js);
  natsrs_connection_free(nc);
  free(data);
}

/* "js_pub_sync_mem" -> kind "pub_sync", memory 1; returns 0 if not a JetStream case. */
static int js_case_parse(const char *bcase, char *kind, size_t kind_len, int *memory) {
  if (strncmp(bcase, "js_", 3) != 0) return 0;
  const char *us = strrchr(bcase, '_');
  if (!us || us == bcase + 2) return 0;
  if (strcmp(us + 1, "mem") == 0)
    *memory = 1;
  else if (strcmp(us + 1, "file") == 0)
    *memory = 0;
  else
    return 0;
  size_t len = (size_t)(us - (bcase + 3));
  if (len + 1 > kind_len) return 0;
  memcpy(kind, bcase + 3, len);
  kind[len] = 0;
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s <case> <url> [N]\n", argv[0]);
    return 2;
  }
  const char *bcase = argv[1], *url = argv[2];
  uint64_t n = argc > 3 ? strtoull(argv[3], NULL, 10) : 0;
  bench_result r;
  bench_result_init(&r);
  char kind[32];
  int memory = 0;
  if (strncmp(bcase, "pubsub_", 7) == 0) {
    case_pubsub(url, (size_t)atoi(bcase + 7), n ? n : UINT64_MAX, &r);
  } else if (strncmp(bcase, "pub_", 4) == 0) {
    case_pub(url, (size_t)atoi(bcase + 4), n ? n : UINT64_MAX, &r);
  } else if (strcmp(bcase, "reqrep") == 0) {
    case_reqrep(url, n ? n : 20000, &r);
  } else if (strcmp(bcase, "mem_10k_subs") == 0) {
    case_mem(url, n ? n : 10000, &r);
  } else if (js_case_parse(bcase, kind, sizeof kind, &memory) && strcmp(kind, "pub_sync") == 0) {
    case_js_pub(url, memory, 0, n ? n : UINT64_MAX, &r);
  } else if (js_case_parse(bcase, kind, sizeof kind, &memory) && strcmp(kind, "pub_async") == 0) {
    case_js_pub(url, memory, 1, n ? n : UINT64_MAX, &r);
  } else if (js_case_parse(bcase, kind, sizeof kind, &memory) && strcmp(kind, "fetch") == 0) {
    case_js_fetch(url, memory, n ? n : BENCH_JS_FETCH_N, &r);
  } else if (strcmp(bcase, "kv_put") == 0) {
    case_kv(url, 0, n ? n : BENCH_KV_N, &r);
  } else if (strcmp(bcase, "kv_get") == 0) {
    case_kv(url, 1, n ? n : BENCH_KV_N, &r);
  } else if (strcmp(bcase, "obj_put_16m") == 0) {
    case_obj(url, 0, &r);
  } else if (strcmp(bcase, "obj_get_16m") == 0) {
    case_obj(url, 1, &r);
  } else {
    bench_unsupported(CLIENT, bcase);
    return 0;
  }
  bench_emit(CLIENT, bcase, &r);
  natsrs_shutdown(5000);
  return 0;
}
