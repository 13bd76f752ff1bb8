/* nats.c side of the shapes harness (Debian libnats-dev, <nats/nats.h>).
 * Usage: shapes_natsc <shape> <url> [global_pool_threads]  -> one JSON line on stdout.
 * global_pool_threads > 0: natsOptions_UseGlobalMessageDelivery on every connection, with
 * nats_SetMessageDeliveryPoolSize(global_pool_threads). Default: a thread per async subscription. */
#include <nats/nats.h>

#include "shapes_common.h"

static int g_pool = 0;
static const char *g_client = "natsc";

static void die(const char *what, natsStatus s) {
  fprintf(stderr, "shapes_natsc: %s: %s (%s)\n", what, natsStatus_GetText(s), nats_GetLastError(NULL));
  exit(2);
}
#define CK(what, expr)             \
  do {                             \
    natsStatus s_ = (expr);        \
    if (s_ != NATS_OK) die(what, s_); \
  } while (0)

static natsStatus try_conn(const char *url, natsConnection **nc) {
  natsOptions *o = NULL;
  natsStatus s = natsOptions_Create(&o);
  if (s == NATS_OK) s = natsOptions_SetURL(o, url);
  if (s == NATS_OK && g_pool > 0) s = natsOptions_UseGlobalMessageDelivery(o, true);
  if (s == NATS_OK) s = natsConnection_Connect(nc, o);
  natsOptions_Destroy(o);
  return s;
}

static natsConnection *conn(const char *url) {
  natsConnection *nc = NULL;
  CK("connect", try_conn(url, &nc));
  return nc;
}

static void on_count(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *ud) {
  (void)nc;
  (void)sub;
  natsMsg_Destroy(msg);
  atomic_fetch_add_explicit((atomic_uint_fast64_t *)ud, 1, memory_order_relaxed);
}

static void shape_fanout(const char *url, int separate, const char *name) {
  atomic_uint_fast64_t got = 0;
  natsConnection *subc[SH_FANOUT_SUBS];
  natsSubscription *subs[SH_FANOUT_SUBS];
  int nconn = separate ? SH_FANOUT_SUBS : 1;
  for (int i = 0; i < nconn; i++) subc[i] = conn(url);
  for (int i = 0; i < SH_FANOUT_SUBS; i++)
    CK("subscribe", natsConnection_Subscribe(&subs[i], subc[separate ? i : 0], "shapes.fan", on_count, &got));
  for (int i = 0; i < nconn; i++) CK("flush", natsConnection_FlushTimeout(subc[i], 10000));
  natsConnection *pc = conn(url);
  CK("flush", natsConnection_FlushTimeout(pc, 10000));
  char payload[SH_FANOUT_SIZE];
  memset(payload, 'x', sizeof payload);
  uint64_t limit = (uint64_t)(sh_secs() * 1e9), sent = 0;
  uint64_t c0 = sh_cpu_ns(), t0 = sh_now_ns();
  while (sent < SH_FANOUT_MSGS) {
    CK("publish", natsConnection_Publish(pc, "shapes.fan", payload, sizeof payload));
    sent++;
    if ((sent & 63) == 0 && sh_now_ns() - t0 >= limit) break;
  }
  CK("flush", natsConnection_FlushTimeout(pc, 30000));
  int timed_out = 0;
  uint64_t t1 = sh_wait_count(&got, sent * SH_FANOUT_SUBS, t0, &timed_out);
  uint64_t c1 = sh_cpu_ns(), n = atomic_load(&got);
  double secs = (double)(t1 - t0) / 1e9;
  sh_emit_head(g_client, name);
  printf(",\"subs\":%d,\"conns\":%d,\"size\":%d,\"sent\":%llu,\"delivered\":%llu,\"expected\":%llu,\"secs\":%.4f,"
         "\"rate\":%.1f,\"cpu_ns_per_delivery\":%.1f,\"timed_out\":%s}\n",
         SH_FANOUT_SUBS, nconn, SH_FANOUT_SIZE, (unsigned long long)sent, (unsigned long long)n,
         (unsigned long long)(sent * SH_FANOUT_SUBS), secs, (double)n / secs, n ? (double)(c1 - c0) / (double)n : -1.0,
         timed_out ? "true" : "false");
  for (int i = 0; i < SH_FANOUT_SUBS; i++) natsSubscription_Destroy(subs[i]);
  for (int i = 0; i < nconn; i++) natsConnection_Destroy(subc[i]);
  natsConnection_Destroy(pc);
}

static void on_request(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *ud) {
  (void)sub;
  (void)ud;
  if (natsMsg_GetReply(msg) != NULL)
    natsConnection_Publish(nc, natsMsg_GetReply(msg), natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
  natsMsg_Destroy(msg);
}

typedef struct req_worker {
  pthread_t th;
  natsConnection *nc;
  uint64_t deadline;
  uint64_t *lat;
  uint64_t n, errors;
} req_worker;

static void *req_thread(void *arg) {
  req_worker *w = arg;
  char payload[SH_REQ_SIZE];
  memset(payload, 'x', sizeof payload);
  for (uint64_t i = 0; i < SH_REQ_PER_THREAD; i++) {
    natsMsg *rep = NULL;
    uint64_t s = sh_now_ns();
    if (natsConnection_Request(&rep, w->nc, "shapes.rr", payload, sizeof payload, SH_REQ_TIMEOUT_MS) != NATS_OK) {
      w->errors++;
    } else {
      w->lat[w->n++] = sh_now_ns() - s;
      natsMsg_Destroy(rep);
    }
    if (sh_now_ns() >= w->deadline) break;
  }
  return NULL;
}

static void shape_req32(const char *url) {
  natsConnection *rc = conn(url), *qc = conn(url);
  natsSubscription *sub = NULL;
  CK("subscribe", natsConnection_Subscribe(&sub, rc, "shapes.rr", on_request, NULL));
  CK("flush", natsConnection_FlushTimeout(rc, 10000));
  char payload[SH_REQ_SIZE];
  memset(payload, 'x', sizeof payload);
  for (int i = 0; i < 200; i++) {
    natsMsg *rep = NULL;
    CK("warm-up request", natsConnection_Request(&rep, qc, "shapes.rr", payload, sizeof payload, SH_REQ_TIMEOUT_MS));
    natsMsg_Destroy(rep);
  }
  req_worker w[SH_REQ_THREADS];
  uint64_t c0 = sh_cpu_ns(), t0 = sh_now_ns();
  for (int i = 0; i < SH_REQ_THREADS; i++) {
    w[i].nc = qc;
    w[i].deadline = t0 + (uint64_t)(sh_secs() * 1e9);
    w[i].lat = malloc(sizeof(uint64_t) * SH_REQ_PER_THREAD);
    w[i].n = w[i].errors = 0;
    pthread_create(&w[i].th, NULL, req_thread, &w[i]);
  }
  for (int i = 0; i < SH_REQ_THREADS; i++) pthread_join(w[i].th, NULL);
  uint64_t t1 = sh_now_ns(), c1 = sh_cpu_ns(), total = 0, errors = 0;
  for (int i = 0; i < SH_REQ_THREADS; i++) total += w[i].n, errors += w[i].errors;
  uint64_t *all = malloc(sizeof(uint64_t) * (total + 1)), k = 0;
  for (int i = 0; i < SH_REQ_THREADS; i++) {
    memcpy(all + k, w[i].lat, sizeof(uint64_t) * w[i].n);
    k += w[i].n;
    free(w[i].lat);
  }
  qsort(all, total, sizeof(uint64_t), sh_cmp_u64);
  double secs = (double)(t1 - t0) / 1e9;
  sh_emit_head(g_client, "req32");
  printf(",\"threads\":%d,\"requests\":%llu,\"errors\":%llu,\"secs\":%.4f,\"rate\":%.1f,\"p50_us\":%.1f,\"p99_us\":%.1f,"
         "\"cpu_ns_per_request\":%.1f}\n",
         SH_REQ_THREADS, (unsigned long long)total, (unsigned long long)errors, secs, (double)total / secs,
         sh_pct_us(all, total, 0.50), sh_pct_us(all, total, 0.99), total ? (double)(c1 - c0) / (double)total : -1.0);
  free(all);
  natsSubscription_Destroy(sub);
  natsConnection_Destroy(qc);
  natsConnection_Destroy(rc);
}

static void shape_conns(const char *url) {
  sh_raise_nofile();
  long rss0, thr0, rss1, thr1, rss2, thr2;
  sh_proc_status(&rss0, &thr0);
  natsConnection **cs = calloc(SH_CONNS, sizeof *cs);
  char err[256] = "";
  uint64_t t0 = sh_now_ns();
  int n = 0;
  for (; n < SH_CONNS; n++) {
    natsStatus s = try_conn(url, &cs[n]);
    if (s != NATS_OK) {
      snprintf(err, sizeof err, "connect %d of %d: %s (%s)", n + 1, SH_CONNS, natsStatus_GetText(s), nats_GetLastError(NULL));
      fprintf(stderr, "%s\n", err);
      break;
    }
    if (sh_now_ns() - t0 > SH_HARD_NS && n + 1 < SH_CONNS) {
      snprintf(err, sizeof err, "hard deadline after %d of %d connections", n + 1, SH_CONNS);
      n++;
      break;
    }
  }
  uint64_t t1 = sh_now_ns();
  sh_sleep_ms(500);
  sh_proc_status(&rss1, &thr1);
  uint64_t t2 = sh_now_ns();
  for (int i = 0; i < n; i++) {
    natsConnection_Close(cs[i]);
    natsConnection_Destroy(cs[i]);
  }
  uint64_t t3 = sh_now_ns();
  sh_sleep_ms(200);
  sh_proc_status(&rss2, &thr2);
  sh_emit_head(g_client, "conns1000");
  printf(",\"conns\":%d,\"connect_ms\":%.1f,\"close_ms\":%.1f,\"rss_kb\":%ld,\"threads\":%ld,\"rss_before_kb\":%ld,"
         "\"threads_before\":%ld,\"rss_after_close_kb\":%ld,\"threads_after_close\":%ld",
         n, (double)(t1 - t0) / 1e6, (double)(t3 - t2) / 1e6, rss1, thr1, rss0, thr0, rss2, thr2);
  sh_json_safe(err);
  if (err[0]) printf(",\"error\":\"%s\"", err);
  printf("}\n");
  free(cs);
}

static void shape_subs(const char *url) {
  long rss0, thr0, rss1, thr1;
  natsConnection *nc = conn(url), *pc = conn(url);
  CK("flush", natsConnection_FlushTimeout(nc, 10000));
  sh_sleep_ms(200);
  sh_proc_status(&rss0, &thr0);
  atomic_uint_fast64_t got = 0;
  natsSubscription **subs = calloc(SH_SUBS, sizeof *subs);
  char subj[64];
  uint64_t t0 = sh_now_ns();
  for (int i = 0; i < SH_SUBS; i++) {
    snprintf(subj, sizeof subj, "shapes.sub.%d", i);
    CK("subscribe", natsConnection_Subscribe(&subs[i], nc, subj, on_count, &got));
  }
  CK("flush", natsConnection_FlushTimeout(nc, 60000));
  uint64_t t1 = sh_now_ns();
  sh_sleep_ms(500);
  sh_proc_status(&rss1, &thr1);
  char b = 'x';
  uint64_t t2 = sh_now_ns();
  for (int i = 0; i < SH_SUBS; i++) {
    snprintf(subj, sizeof subj, "shapes.sub.%d", i);
    CK("publish", natsConnection_Publish(pc, subj, &b, 1));
  }
  CK("flush", natsConnection_FlushTimeout(pc, 30000));
  int timed_out = 0;
  uint64_t t3 = sh_wait_count(&got, SH_SUBS, t2, &timed_out);
  uint64_t t4 = sh_now_ns();
  for (int i = 0; i < SH_SUBS; i++) {
    natsSubscription_Unsubscribe(subs[i]);
    natsSubscription_Destroy(subs[i]);
  }
  uint64_t t5 = sh_now_ns();
  sh_emit_head(g_client, "subs10k");
  printf(",\"pool_threads\":%d,\"subs\":%d,\"subscribe_ms\":%.1f,\"rss_kb\":%ld,\"threads\":%ld,\"rss_before_kb\":%ld,"
         "\"threads_before\":%ld,\"delivered\":%llu,\"deliver_all_ms\":%.1f,\"unsubscribe_ms\":%.1f,\"timed_out\":%s}\n",
         g_pool, SH_SUBS, (double)(t1 - t0) / 1e6, rss1, thr1, rss0, thr0, (unsigned long long)atomic_load(&got),
         (double)(t3 - t2) / 1e6, (double)(t5 - t4) / 1e6, timed_out ? "true" : "false");
  free(subs);
  natsConnection_Destroy(pc);
  natsConnection_Destroy(nc);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s <shape> <url> [global_pool_threads]\n", argv[0]);
    return 2;
  }
  const char *shape = argv[1], *url = argv[2];
  g_pool = argc > 3 ? atoi(argv[3]) : 0;
  static char name[32];
  if (g_pool > 0) {
    snprintf(name, sizeof name, "natsc-global%d", g_pool);
    g_client = name;
    CK("pool size", nats_SetMessageDeliveryPoolSize(g_pool));
  }
  if (strcmp(shape, "fanout_1conn") == 0) shape_fanout(url, 0, shape);
  else if (strcmp(shape, "fanout_100conn") == 0) shape_fanout(url, 1, shape);
  else if (strcmp(shape, "req32") == 0) shape_req32(url);
  else if (strcmp(shape, "conns1000") == 0) shape_conns(url);
  else if (strcmp(shape, "subs10k") == 0) shape_subs(url);
  else {
    fprintf(stderr, "unknown shape %s\n", shape);
    return 2;
  }
  fflush(stdout);
  nats_CloseAndWait(5000);
  return 0;
}
