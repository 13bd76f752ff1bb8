/* Helpers shared by the C shape programs (shapes_natsrs.c, shapes_natsc.c). Header-only,
 * self-contained; not part of the library. Every wait here is bounded in count and time. */
#ifndef SHAPES_COMMON_H
#define SHAPES_COMMON_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define SH_FANOUT_SUBS 100          /* subscribers in the fan-out shapes */
#define SH_FANOUT_MSGS 10000        /* messages published in a fan-out run (upper bound) */
#define SH_FANOUT_SIZE 16           /* payload bytes */
#define SH_REQ_THREADS 32           /* requester threads sharing one connection */
#define SH_REQ_PER_THREAD 3000      /* requests per thread (upper bound) */
#define SH_REQ_SIZE 16
#define SH_CONNS 1000               /* connections in the many-connections shape */
#define SH_SUBS 10000               /* async subscriptions in the many-subscriptions shape */
#define SH_STALL_NS 3000000000ull   /* give up waiting after 3 s without progress */
#define SH_HARD_NS 60000000000ull   /* and after 60 s in any case */
#define SH_REQ_TIMEOUT_MS 5000

static uint64_t sh_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t sh_cpu_ns(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ull +
         (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ull;
}

static void sh_sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Time budget of the timed loops (seconds), from $SHAPES_SECS (default 3). */
static double sh_secs(void) {
  const char *s = getenv("SHAPES_SECS");
  double v = s ? atof(s) : 0.0;
  return v > 0.0 ? v : 3.0;
}

/* VmRSS (kB) and Threads from /proc/self/status. */
static void sh_proc_status(long *rss_kb, long *threads) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  *rss_kb = -1;
  *threads = -1;
  if (!f) return;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "VmRSS:", 6) == 0) *rss_kb = strtol(line + 6, NULL, 10);
    if (strncmp(line, "Threads:", 8) == 0) *threads = strtol(line + 8, NULL, 10);
  }
  fclose(f);
}

static void sh_raise_nofile(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

/* Waits until *count reaches target, or SH_STALL_NS pass without progress, or SH_HARD_NS in all.
 * Returns the time of the last observed progress (ns, monotonic); *timed_out set when short. */
static uint64_t sh_wait_count(atomic_uint_fast64_t *count, uint64_t target, uint64_t start, int *timed_out) {
  uint64_t last = atomic_load(count), last_t = sh_now_ns();
  *timed_out = 0;
  for (;;) {
    uint64_t c = atomic_load(count), now = sh_now_ns();
    if (c >= target) return now;
    if (c != last) {
      last = c;
      last_t = now;
    }
    if (now - last_t > SH_STALL_NS || now - start > SH_HARD_NS) {
      *timed_out = 1;
      return last_t;
    }
    struct timespec ts = {0, 200000};
    nanosleep(&ts, NULL);
  }
}

static int sh_cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static double sh_pct_us(uint64_t *sorted, uint64_t n, double p) {
  if (n == 0) return -1;
  uint64_t i = (uint64_t)(p * (double)(n - 1) + 0.5);
  return (double)sorted[i] / 1000.0;
}

/* Makes s safe inside a JSON string (quotes, backslashes and control characters become '). */
static void sh_json_safe(char *s) {
  for (; *s; s++)
    if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20) *s = '\'';
}

static void sh_emit_head(const char *client, const char *shape) {
  printf("{\"client\":\"%s\",\"shape\":\"%s\"", client, shape);
}

#endif
