/* nats.c (Debian libnats-dev) peer client for the libnatsrs bench harness.
 * Usage: natsc_bench <case> <url> [N]   -> one JSON line on stdout.
 * Default options everywhere, except case reqrep_sendasap (natsOptions_SetSendAsap(true) on both
 * the requester and the responder connection). */
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

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s <case> <url> [N]\n", argv[0]);
    return 2;
  }
  const char *bcase = argv[1], *url = argv[2];
  uint64_t n = argc > 3 ? strtoull(argv[3], NULL, 10) : 0;
  bench_result r;
  bench_result_init(&r);
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
  } else {
    bench_unsupported(CLIENT, bcase);
    return 0;
  }
  bench_emit(CLIENT, bcase, &r);
  nats_Close();
  return 0;
}
