/* Shared helpers for the C bench clients (natsrs_bench.c, natsc_bench.c).
 * Header-only; every function is static. Not part of the library. */
#ifndef NATSRS_BENCH_COMMON_H
#define NATSRS_BENCH_COMMON_H

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define BENCH_PUB_SUBJECT "bench.pub"
#define BENCH_PS_SUBJECT "bench.ps"
#define BENCH_RR_SUBJECT "bench.rr"
#define BENCH_RR_SIZE 16
#define BENCH_STALL_NS 2000000000ull /* pubsub: give up after 2 s without progress */

/* JetStream cases (js_pub_sync_<storage>, js_pub_async_<storage>, js_fetch_<storage>): every
 * client creates the stream BENCH_JS_STREAM on BENCH_JS_SUBJECT with the case's storage, runs,
 * and deletes it. */
#define BENCH_JS_STREAM "BENCHJS"
#define BENCH_JS_SUBJECT "bench.js"
#define BENCH_JS_SIZE 128
#define BENCH_JS_WINDOW 256    /* async publish: acks outstanding at most */
#define BENCH_JS_BATCH 500     /* fetch: messages per pull request */
#define BENCH_JS_FETCH_N 100000 /* fetch: messages pre-filled and consumed (N overrides) */

/* Key-value and object store cases (kv_put, kv_get, obj_put_16m, obj_get_16m): every client
 * creates the bucket with only its name set (library defaults: file storage, 1 replica, history
 * 1; objects in the default 128 KiB chunks), runs, and deletes it. */
#define BENCH_KV_BUCKET "BENCHKV"
#define BENCH_KV_SIZE 128
#define BENCH_KV_N 20000 /* kv_put: puts at most (also bounded by BENCH_SECS); kv_get: keys */
#define BENCH_OBJ_BUCKET "BENCHOBJ"
#define BENCH_OBJ_NAME "obj"
#define BENCH_OBJ_SIZE (16u << 20)

static uint64_t bench_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t bench_cpu_ns(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ull +
         (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ull;
}

static long bench_peak_rss_kb(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

static long bench_vm_rss_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  if (!f) return -1;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "VmRSS:", 6) == 0) {
      kb = strtol(line + 6, NULL, 10);
      break;
    }
  }
  fclose(f);
  return kb;
}

static double bench_secs_limit(void) {
  const char *s = getenv("BENCH_SECS");
  double v = s ? atof(s) : 0.0;
  return v > 0.0 ? v : 2.5;
}

static void bench_sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* One result line. Negative / NaN values print as null. */
typedef struct bench_result {
  int64_t msgs;        /* messages counted for the rate (-1 = n/a) */
  double secs;         /* NaN = n/a */
  int64_t size;        /* payload size for MB/s (-1 = n/a) */
  int64_t cpu_ns;      /* user+sys delta over the case (-1 = n/a) */
  double p50_us, p99_us;
  long peak_rss_kb;    /* -1 = n/a */
  int64_t dropped;     /* -1 = n/a */
  char extra[512];     /* extra ",\"k\":v" pairs, may be empty */
} bench_result;

static void bench_result_init(bench_result *r) {
  r->msgs = -1;
  r->secs = NAN;
  r->size = -1;
  r->cpu_ns = -1;
  r->p50_us = NAN;
  r->p99_us = NAN;
  r->peak_rss_kb = -1;
  r->dropped = -1;
  r->extra[0] = 0;
}

static void bench_pd(char *buf, size_t n, double v) {
  if (isfinite(v))
    snprintf(buf, n, "%.3f", v);
  else
    snprintf(buf, n, "null");
}
static void bench_pi(char *buf, size_t n, int64_t v) {
  if (v >= 0)
    snprintf(buf, n, "%lld", (long long)v);
  else
    snprintf(buf, n, "null");
}

static void bench_emit(const char *client, const char *bcase, const bench_result *r) {
  char msgs[32], secs[32], rate[32], mb[32], cpm[32], p50[32], p99[32], rss[32], drop[32];
  double rt = (r->msgs >= 0 && isfinite(r->secs) && r->secs > 0) ? (double)r->msgs / r->secs : NAN;
  double mbs = (isfinite(rt) && r->size >= 0) ? rt * (double)r->size / 1e6 : NAN;
  double c = (r->cpu_ns >= 0 && r->msgs > 0) ? (double)r->cpu_ns / (double)r->msgs : NAN;
  bench_pi(msgs, sizeof msgs, r->msgs);
  bench_pd(secs, sizeof secs, r->secs);
  bench_pd(rate, sizeof rate, rt);
  bench_pd(mb, sizeof mb, mbs);
  bench_pd(cpm, sizeof cpm, c);
  bench_pd(p50, sizeof p50, r->p50_us);
  bench_pd(p99, sizeof p99, r->p99_us);
  bench_pi(rss, sizeof rss, r->peak_rss_kb);
  bench_pi(drop, sizeof drop, r->dropped);
  printf("{\"client\":\"%s\",\"case\":\"%s\",\"msgs\":%s,\"secs\":%s,\"msgs_per_sec\":%s,"
         "\"mb_per_sec\":%s,\"cpu_ns_per_msg\":%s,\"p50_us\":%s,\"p99_us\":%s,"
         "\"peak_rss_kb\":%s,\"dropped\":%s%s}\n",
         client, bcase, msgs, secs, rate, mb, cpm, p50, p99, rss, drop, r->extra);
  fflush(stdout);
}

static void bench_unsupported(const char *client, const char *bcase) {
  printf("{\"client\":\"%s\",\"case\":\"%s\",\"unsupported\":true}\n", client, bcase);
  fflush(stdout);
}

static int bench_cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* Sorts lat (ns) and fills p50/p99 in µs. */
static void bench_percentiles(uint64_t *lat, size_t n, bench_result *r) {
  qsort(lat, n, sizeof *lat, bench_cmp_u64);
  r->p50_us = (double)lat[(size_t)llround((double)(n - 1) * 0.50)] / 1e3;
  r->p99_us = (double)lat[(size_t)llround((double)(n - 1) * 0.99)] / 1e3;
}

/* ---- pub->sub completion tracking, shared by the C clients ---- */
typedef struct bench_counter {
  atomic_uint_fast64_t count;
  atomic_uint_fast64_t target; /* UINT64_MAX until the publisher is done */
  atomic_uint_fast64_t done_ns;
  uint64_t t0;
  pthread_mutex_t mu;
  pthread_cond_t cv;
} bench_counter;

static void bench_counter_init(bench_counter *c) {
  atomic_init(&c->count, 0);
  atomic_init(&c->target, UINT64_MAX);
  atomic_init(&c->done_ns, 0);
  c->t0 = 0;
  pthread_mutex_init(&c->mu, NULL);
  pthread_cond_init(&c->cv, NULL);
}

static void bench_counter_mark_done(bench_counter *c) {
  uint_fast64_t zero = 0;
  uint64_t el = bench_now_ns() - c->t0;
  if (el == 0) el = 1;
  atomic_compare_exchange_strong(&c->done_ns, &zero, el);
  pthread_mutex_lock(&c->mu);
  pthread_cond_signal(&c->cv);
  pthread_mutex_unlock(&c->mu);
}

/* Called by the subscriber for every message. */
static inline void bench_counter_hit(bench_counter *c) {
  uint64_t v = atomic_fetch_add(&c->count, 1) + 1;
  if (v == atomic_load(&c->target)) bench_counter_mark_done(c);
}

/* Called by the publisher after it has sent `sent` messages and flushed. Waits until all arrive
 * or no progress for BENCH_STALL_NS. Returns elapsed secs from t0 to the last expected message
 * (or to the last observed arrival on timeout); *timed_out set accordingly. */
static double bench_counter_wait(bench_counter *c, uint64_t sent, int *timed_out) {
  atomic_store(&c->target, sent);
  if (atomic_load(&c->count) >= sent) bench_counter_mark_done(c);
  uint64_t last = atomic_load(&c->count), last_prog = bench_now_ns(), last_arrival = last_prog;
  while (atomic_load(&c->done_ns) == 0) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 50000000L;
    if (ts.tv_nsec >= 1000000000L) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&c->mu);
    if (atomic_load(&c->done_ns) == 0) pthread_cond_timedwait(&c->cv, &c->mu, &ts);
    pthread_mutex_unlock(&c->mu);
    uint64_t now = bench_now_ns(), cur = atomic_load(&c->count);
    if (cur != last) {
      last = cur;
      last_prog = now;
      last_arrival = now;
    } else if (now - last_prog > BENCH_STALL_NS) {
      break;
    }
  }
  uint64_t d = atomic_load(&c->done_ns);
  *timed_out = d == 0;
  return d ? (double)d / 1e9 : (double)(last_arrival - c->t0) / 1e9;
}

#endif
