/* nats.c (Debian libnats-dev) peer client for the libnatsrs bench harness.
 * Usage: natsc_bench <case> <url> [N]   -> one JSON line on stdout.
 * Default options everywhere, except case reqrep_sendasap (natsOptions_SetSendAsap(true) on both
 * the requester and the responder connection). JetStream cases through nats.c's js API (jsCtx,
 * PublishAsync.MaxPending 256, pull subscription with an AckNone consumer and Fetch). */
#include <nats/nats.h>

#include "bench_common.h"

#define CLIENT "natsc"

static void die(const char *what, natsStatus s) {
  fprintf(stderr, "natsc_bench: %s: %s (%s)\n", what, natsStatus_GetText(s), nats_GetLastError(NULL));
  exit(2);
}
#define CK(what, expr)                \
  do {                                \
    natsStatus s_ = (expr);           \
    if (s_ != NATS_OK) die(what, s_); \
  } while (0)

static natsConnection *connect_url(const char *url, bool send_asap) {
  natsOptions *o = NULL;
  natsConnection *nc = NULL;
  CK("options", natsOptions_Create(&o));
  CK("url", natsOptions_SetURL(o, url));
  if (send_asap) CK("sendasap", natsOptions_SetSendAsap(o, true));
  CK("connect", natsConnection_Connect(&nc, o));
  natsOptions_Destroy(o);
  return nc;
}

static void case_pub(const char *url, int size, uint64_t n, bench_result *r) {
  natsConnection *nc = connect_url(url, false);
  char *payload = malloc((size_t)size);
  memset(payload, 'x', (size_t)size);
  CK("flush", natsConnection_FlushTimeout(nc, 10000));
  uint64_t limit = (uint64_t)(bench_secs_limit() * 1e9);
  uint64_t c0 = bench_cpu_ns(), t0 = bench_now_ns(), sent = 0;
  while (sent < n) {
    CK("publish", natsConnection_Publish(nc, BENCH_PUB_SUBJECT, payload, size));
    sent++;
    if ((sent & 255) == 0 && bench_now_ns() - t0 >= limit) break;
  }
  CK("flush", natsConnection_FlushTimeout(nc, 60000));
  uint64_t t1 = bench_now_ns(), c1 = bench_cpu_ns();
  r->msgs = (int64_t)sent;
  r->secs = (double)(t1 - t0) / 1e9;
  r->size = size;
  r->cpu_ns = (int64_t)(c1 - c0);
  r->peak_rss_kb = bench_peak_rss_kb();
  natsConnection_Destroy(nc);
  free(payload);
}

static void on_count(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure) {
  (void)nc;
  (void)sub;
  natsMsg_Destroy(msg);
  bench_counter_hit((bench_counter *)closure);
}

static void case_pubsub(const char *url, int size, uint64_t n, bench_result *r) {
  natsConnection *sc = connect_url(url, false), *pc = connect_url(url, false);
  natsSubscription *sub = NULL;
  bench_counter ctr;
  bench_counter_init(&ctr);
  CK("subscribe", natsConnection_Subscribe(&sub, sc, BENCH_PS_SUBJECT, on_count, &ctr));
  CK("flush", natsConnection_FlushTimeout(sc, 10000));
  CK("flush", natsConnection_FlushTimeout(pc, 10000));
  char *payload = malloc((size_t)size);
  memset(payload, 'x', (size_t)size);
  uint64_t limit = (uint64_t)(bench_secs_limit() * 1e9);
  uint64_t c0 = bench_cpu_ns(), sent = 0;
  ctr.t0 = bench_now_ns();
  while (sent < n) {
    CK("publish", natsConnection_Publish(pc, BENCH_PS_SUBJECT, payload, size));
    sent++;
    if ((sent & 255) == 0 && bench_now_ns() - ctr.t0 >= limit) break;
  }
  CK("flush", natsConnection_FlushTimeout(pc, 60000));
  int timed_out = 0;
  double secs = bench_counter_wait(&ctr, sent, &timed_out);
  uint64_t c1 = bench_cpu_ns();
  uint64_t got = atomic_load(&ctr.count);
  int64_t lib_dropped = -1;
  natsSubscription_GetDropped(sub, &lib_dropped);
  r->msgs = (int64_t)got;
  r->secs = secs;
  r->size = size;
  r->cpu_ns = (int64_t)(c1 - c0);
  r->peak_rss_kb = bench_peak_rss_kb();
  r->dropped = (int64_t)(sent > got ? sent - got : 0);
  snprintf(r->extra, sizeof r->extra, ",\"sent\":%llu,\"timed_out\":%s,\"lib_dropped\":%lld",
           (unsigned long long)sent, timed_out ? "true" : "false", (long long)lib_dropped);
  natsSubscription_Unsubscribe(sub);
  natsSubscription_Destroy(sub);
  natsConnection_Destroy(pc);
  natsConnection_Destroy(sc);
  free(payload);
}

static void on_request(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure) {
  (void)sub;
  (void)closure;
  const char *reply = natsMsg_GetReply(msg);
  if (reply) natsConnection_Publish(nc, reply, natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
  natsMsg_Destroy(msg);
}

static void case_reqrep(const char *url, uint64_t n, bool asap, bench_result *r) {
  natsConnection *rc = connect_url(url, asap), *qc = connect_url(url, asap);
  natsSubscription *sub = NULL;
  CK("subscribe", natsConnection_Subscribe(&sub, rc, BENCH_RR_SUBJECT, on_request, NULL));
  CK("flush", natsConnection_FlushTimeout(rc, 10000));
  char payload[BENCH_RR_SIZE];
  memset(payload, 'x', sizeof payload);
  uint64_t warm = n / 10 + 1 < 1000 ? n / 10 + 1 : 1000;
  for (uint64_t i = 0; i < warm; i++) {
    natsMsg *rep = NULL;
    CK("request", natsConnection_Request(&rep, qc, BENCH_RR_SUBJECT, payload, sizeof payload, 5000));
    natsMsg_Destroy(rep);
  }
  uint64_t *lat = malloc(sizeof(uint64_t) * n);
  uint64_t c0 = bench_cpu_ns(), t0 = bench_now_ns();
  for (uint64_t i = 0; i < n; i++) {
    natsMsg *rep = NULL;
    uint64_t s = bench_now_ns();
    CK("request", natsConnection_Request(&rep, qc, BENCH_RR_SUBJECT, payload, sizeof payload, 5000));
    lat[i] = bench_now_ns() - s;
    natsMsg_Destroy(rep);
  }
  uint64_t t1 = bench_now_ns(), c1 = bench_cpu_ns();
  r->msgs = (int64_t)n;
  r->secs = (double)(t1 - t0) / 1e9;
  r->cpu_ns = (int64_t)(c1 - c0);
  bench_percentiles(lat, n, r);
  free(lat);
  natsSubscription_Unsubscribe(sub);
  natsSubscription_Destroy(sub);
  natsConnection_Destroy(qc);
  natsConnection_Destroy(rc);
}

static void case_mem(const char *url, uint64_t n, bench_result *r) {
  natsConnection *nc = connect_url(url, false);
  CK("flush", natsConnection_FlushTimeout(nc, 10000));
  bench_sleep_ms(100);
  long base = bench_vm_rss_kb();
  natsSubscription **subs = calloc(n, sizeof *subs);
  char subj[64];
  for (uint64_t i = 0; i < n; i++) {
    snprintf(subj, sizeof subj, "bench.mem.%llu", (unsigned long long)i);
    CK("subscribe_sync", natsConnection_SubscribeSync(&subs[i], nc, subj));
  }
  CK("flush", natsConnection_FlushTimeout(nc, 30000));
  bench_sleep_ms(200);
  long rss = bench_vm_rss_kb();
  r->peak_rss_kb = bench_peak_rss_kb();
  snprintf(r->extra, sizeof r->extra, ",\"subs\":%llu,\"rss_kb\":%ld,\"rss_before_subs_kb\":%ld",
           (unsigned long long)n, rss, base);
  for (uint64_t i = 0; i < n; i++) natsSubscription_Destroy(subs[i]);
  free(subs);
  natsConnection_Destroy(nc);
}


/* ---- JetStream: js_pub_sync_<storage>, js_pub_async_<storage>, js_fetch_<storage> ---- */

static void die_js(const char *what, natsStatus s, jsErrCode jerr) {
  fprintf(stderr, "natsc_bench: %s: %s (js err %d; %s)\n", what, natsStatus_GetText(s), (int)jerr, nats_GetLastError(NULL));
  exit(2);
}
#define CKJ(what, expr)                            \
  do {                                             \
    jsErrCode jerr_ = 0;                           \
    natsStatus s_ = (expr);                        \
    if (s_ != NATS_OK) die_js(what, s_, jerr_);    \
  } while (0)

static jsCtx *js_setup(natsConnection *nc, int memory) {
  jsOptions o;
  jsCtx *js = NULL;
  CK("js options", jsOptions_Init(&o));
  o.PublishAsync.MaxPending = BENCH_JS_WINDOW;
  o.PublishAsync.StallWait = 60000;
  CK("jetstream", natsConnection_JetStream(&js, nc, &o));
  js_DeleteStream(js, BENCH_JS_STREAM, NULL, NULL); /* leftover of an aborted run */
  jsStreamConfig cfg;
  CK("stream config", jsStreamConfig_Init(&cfg));
  const char *subjects[] = {BENCH_JS_SUBJECT};
  cfg.Name = BENCH_JS_STREAM;
  cfg.Subjects = subjects;
  cfg.SubjectsLen = 1;
  cfg.Storage = memory ? js_MemoryStorage : js_FileStorage;
  jsStreamInfo *si = NULL;
  CKJ("add stream", js_AddStream(&si, js, &cfg, NULL, &jerr_));
  jsStreamInfo_Destroy(si);
  return js;
}

static void js_teardown(natsConnection *nc, jsCtx *js) {
  CKJ("delete stream", js_DeleteStream(js, BENCH_JS_STREAM, NULL, &jerr_));
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
}

static void case_js_pub(const char *url, int memory, int async, uint64_t n, bench_result *r) {
  natsConnection *nc = connect_url(url, false);
  jsCtx *js = js_setup(nc, memory);
  char payload[BENCH_JS_SIZE];
  memset(payload, 'x', sizeof payload);
  uint64_t limit = (uint64_t)(bench_secs_limit() * 1e9);
  uint64_t c0 = bench_cpu_ns(), t0 = bench_now_ns(), sent = 0;
  while (sent < n) {
    if (async) {
      CK("publish async", js_PublishAsync(js, BENCH_JS_SUBJECT, payload, (int)sizeof payload, NULL));
    } else {
      jsPubAck *pa = NULL;
      CKJ("publish", js_Publish(&pa, js, BENCH_JS_SUBJECT, payload, (int)sizeof payload, NULL, &jerr_));
      jsPubAck_Destroy(pa);
    }
    sent++;
    if ((sent & 63) == 0 && bench_now_ns() - t0 >= limit) break;
  }
  if (async) {
    jsPubOptions po;
    CK("pub options", jsPubOptions_Init(&po));
    po.MaxWait = 60000;
    CK("publish async complete", js_PublishAsyncComplete(js, &po));
  }
  uint64_t t1 = bench_now_ns(), c1 = bench_cpu_ns();
  r->msgs = (int64_t)sent;
  r->secs = (double)(t1 - t0) / 1e9;
  r->size = BENCH_JS_SIZE;
  r->cpu_ns = (int64_t)(c1 - c0);
  r->peak_rss_kb = bench_peak_rss_kb();
  js_teardown(nc, js);
}

static void case_js_fetch(const char *url, int memory, uint64_t n, bench_result *r) {
  natsConnection *nc = connect_url(url, false);
  jsCtx *js = js_setup(nc, memory);
  char payload[BENCH_JS_SIZE];
  memset(payload, 'x', sizeof payload);
  for (uint64_t i = 0; i < n; i++) CK("prefill", js_PublishAsync(js, BENCH_JS_SUBJECT, payload, (int)sizeof payload, NULL));
  jsPubOptions po;
  CK("pub options", jsPubOptions_Init(&po));
  po.MaxWait = 120000;
  CK("prefill complete", js_PublishAsyncComplete(js, &po));
  jsSubOptions so;
  CK("sub options", jsSubOptions_Init(&so));
  so.Config.AckPolicy = js_AckNone;
  natsSubscription *sub = NULL;
  CKJ("pull subscribe", js_PullSubscribe(&sub, js, BENCH_JS_SUBJECT, NULL, NULL, &so, &jerr_));
  uint64_t got = 0, bytes = 0;
  uint64_t c0 = bench_cpu_ns(), t0 = bench_now_ns();
  while (got < n) {
    natsMsgList list = {0};
    CKJ("fetch", natsSubscription_Fetch(&list, sub, BENCH_JS_BATCH, 5000, &jerr_));
    for (int i = 0; i < list.Count; i++) bytes += (uint64_t)natsMsg_GetDataLength(list.Msgs[i]);
    got += (uint64_t)list.Count;
    natsMsgList_Destroy(&list);
  }
  uint64_t t1 = bench_now_ns(), c1 = bench_cpu_ns();
  r->msgs = (int64_t)got;
  r->secs = (double)(t1 - t0) / 1e9;
  r->size = BENCH_JS_SIZE;
  r->cpu_ns = (int64_t)(c1 - c0);
  r->peak_rss_kb = bench_peak_rss_kb();
  snprintf(r->extra, sizeof r->extra, ",\"bytes\":%llu", (unsigned long long)bytes);
  natsSubscription_Destroy(sub);
  js_teardown(nc, js);
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
    case_pubsub(url, atoi(bcase + 7), n ? n : UINT64_MAX, &r);
  } else if (strncmp(bcase, "pub_", 4) == 0) {
    case_pub(url, atoi(bcase + 4), n ? n : UINT64_MAX, &r);
  } else if (strcmp(bcase, "reqrep") == 0) {
    case_reqrep(url, n ? n : 20000, false, &r);
  } else if (strcmp(bcase, "reqrep_sendasap") == 0) {
    case_reqrep(url, n ? n : 20000, true, &r);
  } else if (strcmp(bcase, "mem_10k_subs") == 0) {
    case_mem(url, n ? n : 10000, &r);
  } else if (js_case_parse(bcase, kind, sizeof kind, &memory) && strcmp(kind, "pub_sync") == 0) {
    case_js_pub(url, memory, 0, n ? n : UINT64_MAX, &r);
  } else if (js_case_parse(bcase, kind, sizeof kind, &memory) && strcmp(kind, "pub_async") == 0) {
    case_js_pub(url, memory, 1, n ? n : UINT64_MAX, &r);
  } else if (js_case_parse(bcase, kind, sizeof kind, &memory) && strcmp(kind, "fetch") == 0) {
    case_js_fetch(url, memory, n ? n : BENCH_JS_FETCH_N, &r);
  } else {
    bench_unsupported(CLIENT, bcase);
    return 0;
  }
  bench_emit(CLIENT, bcase, &r);
  nats_Close();
  return 0;
}
