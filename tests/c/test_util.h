/*
 * test_util.h - a tiny assertion framework for the libnatsrs C tests.
 *
 * A test program defines `static void test_xxx(void)` functions, lists them in
 * a `static const tu_test tests[] = { TU_TEST(test_xxx), ... }` table and ends
 * with `int main(int argc, char **argv) { return tu_main(argc, argv, tests, TU_COUNT(tests)); }`.
 *
 * Each test runs in its own forked child process (before the parent ever calls
 * the library), under a watchdog (TEST_TIMEOUT seconds, default 120), so a
 * crash, sanitizer report, leak or hang fails that test only. The last line
 * printed is exactly "N passed, M failed". Arguments: test names to run a
 * subset; --no-fork to run in-process (for gdb).
 *
 * Assertions (all print file:line and keep the test running, except REQUIRE*,
 * which return from the current function):
 *   CHECK(cond) / REQUIRE(cond)
 *   CHECK_OK(call) / REQUIRE_OK(call)          status == NATSRS_STATUS_OK
 *   CHECK_STATUS(call, expected)               status == expected; and when
 *                                              expected != OK, a non-empty
 *                                              natsrs_last_error_message()
 *   CHECK_STATUS2(call, a, b)                  status is a or b (ditto)
 *   CHECK_EQ(a, b)                             integer equality, prints both
 *   CHECK_STR(a, b)                            string equality (NULL-safe)
 */
#ifndef NATSRS_TEST_UTIL_H
#define NATSRS_TEST_UTIL_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <natsrs.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct tu_test {
  const char *name;
  void (*fn)(void);
} tu_test;

#define TU_TEST(fn) {#fn, fn}
#define TU_COUNT(arr) (sizeof(arr) / sizeof((arr)[0]))

int tu_main(int argc, char **argv, const tu_test *tests, size_t count);

/* Records a failure of the running test and prints it. */
void tu_fail(const char *file, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
int tu_failures(void);               /* failures so far in the running test */
const char *tu_test_name(void);      /* name of the running test */
void tu_check_status(const char *file, int line, const char *expr, natsrs_status got,
                     natsrs_status want1, natsrs_status want2);

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond))                                                               \
      tu_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                         \
  } while (0)

#define REQUIRE(cond)                                                          \
  do {                                                                         \
    if (!(cond)) {                                                             \
      tu_fail(__FILE__, __LINE__, "REQUIRE(%s)", #cond);                       \
      return;                                                                  \
    }                                                                          \
  } while (0)

#define CHECK_STATUS2(call, want1, want2)                                      \
  tu_check_status(__FILE__, __LINE__, #call, (call), (want1), (want2))

#define CHECK_STATUS(call, want) CHECK_STATUS2(call, want, want)
#define CHECK_OK(call) CHECK_STATUS(call, NATSRS_STATUS_OK)

#define REQUIRE_OK(call)                                                       \
  do {                                                                         \
    int tu_before_ = tu_failures();                                            \
    CHECK_OK(call);                                                            \
    if (tu_failures() != tu_before_)                                           \
      return;                                                                  \
  } while (0)

#define CHECK_EQ(a, b)                                                         \
  do {                                                                         \
    long long tu_a_ = (long long)(a), tu_b_ = (long long)(b);                  \
    if (tu_a_ != tu_b_)                                                        \
      tu_fail(__FILE__, __LINE__, "CHECK_EQ(%s, %s): %lld != %lld", #a, #b,    \
              tu_a_, tu_b_);                                                   \
  } while (0)

#define CHECK_STR(a, b)                                                        \
  do {                                                                         \
    const char *tu_a_ = (a), *tu_b_ = (b);                                     \
    if (!tu_a_ || !tu_b_ || strcmp(tu_a_, tu_b_) != 0)                         \
      tu_fail(__FILE__, __LINE__, "CHECK_STR(%s, %s): \"%s\" != \"%s\"", #a,   \
              #b, tu_a_ ? tu_a_ : "(null)", tu_b_ ? tu_b_ : "(null)");         \
  } while (0)

/* ---- helpers ---- */

const char *tu_url(void);                       /* $NATS_URL or nats://127.0.0.1:4222 */
natsrs_connection *tu_connect(void);            /* NULL (and a failure) if it fails */
/* A subject unique to this process and test: "ctest.<pid>.<test>.<suffix>". */
void tu_subject(char *buf, size_t len, const char *suffix);
void tu_sleep_ms(int64_t ms);
int64_t tu_now_ms(void);                        /* monotonic */
/* Polls pred(arg) every millisecond until it is true or timeout_ms passes. */
bool tu_wait_until(bool (*pred)(void *), void *arg, int64_t timeout_ms);
/* Sentinel for "out-pointer must stay untouched on failure" checks. */
extern char tu_sentinel_obj;
#define TU_SENTINEL ((void *)&tu_sentinel_obj)

/* A counter that callbacks bump and tests wait on. */
typedef struct tu_counter {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int64_t value;
} tu_counter;

void tu_counter_init(tu_counter *c);
void tu_counter_destroy(tu_counter *c);
void tu_counter_add(tu_counter *c, int64_t n);
int64_t tu_counter_get(tu_counter *c);
/* Waits until value >= target or timeout; returns the last value seen. */
int64_t tu_counter_wait(tu_counter *c, int64_t target, int64_t timeout_ms);

#define TEXT(s) ((const uint8_t *)(s)), strlen(s)

#endif /* NATSRS_TEST_UTIL_H */
