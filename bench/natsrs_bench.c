/* libnatsrs client for the bench harness, over the public C API (include/natsrs.h).
 * Usage: natsrs_bench <case> <url> [N]   -> one JSON line on stdout.
 * Default options everywhere: async subscriptions for pub->sub and the responder,
 * natsrs_connection_request for requests. */
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
    case_pubsub(url, (size_t)atoi(bcase + 7), n ? n : UINT64_MAX, &r);
  } else if (strncmp(bcase, "pub_", 4) == 0) {
    case_pub(url, (size_t)atoi(bcase + 4), n ? n : UINT64_MAX, &r);
  } else if (strcmp(bcase, "reqrep") == 0) {
    case_reqrep(url, n ? n : 20000, &r);
  } else if (strcmp(bcase, "mem_10k_subs") == 0) {
    case_mem(url, n ? n : 10000, &r);
  } else {
    bench_unsupported(CLIENT, bcase);
    return 0;
  }
  bench_emit(CLIENT, bcase, &r);
  natsrs_shutdown(5000);
  return 0;
}
