/*
 * example.h - small helpers shared by the libnatsrs C examples.
 *
 * Every example includes this file first. It provides:
 *   CHECK(call)        run a natsrs_* call; on failure print the status name and
 *                      natsrs_last_error_message() and exit(1)
 *   EXPECT(cond, ...)  exit(1) with a printf-style message unless cond holds
 *   example_url()      $NATS_URL, or nats://127.0.0.1:4222
 *   example_connect()  connect to example_url() or exit(1)
 *   counter_*          a mutex/condvar counter: callbacks bump it, main waits on it
 *                      with a timeout (never "sleep and hope")
 *   EXAMPLE_SKIPPED    exit status of an example whose environment is not set
 *                      (77, automake's "skipped"); `make run` counts it as skipped
 */
#ifndef NATSRS_EXAMPLE_H
#define NATSRS_EXAMPLE_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <natsrs.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Exit status meaning "skipped: the environment this example needs is not set". */
#define EXAMPLE_SKIPPED 77

static inline void example_fail(const char *what, natsrs_status s) {
  fprintf(stderr, "FAILED: %s -> %s: %s\n", what, natsrs_status_str(s),
          natsrs_last_error_message());
  exit(1);
}

#define CHECK(call)                                                            \
  do {                                                                         \
    natsrs_status check_s_ = (call);                                           \
    if (check_s_ != NATSRS_STATUS_OK)                                          \
      example_fail(#call, check_s_);                                           \
  } while (0)

#define EXPECT(cond, ...)                                                      \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "FAILED: ");                                             \
      fprintf(stderr, __VA_ARGS__);                                            \
      fputc('\n', stderr);                                                     \
      exit(1);                                                                 \
    }                                                                          \
  } while (0)

static inline const char *example_url(void) {
  const char *url = getenv("NATS_URL");
  return (url && *url) ? url : "nats://127.0.0.1:4222";
}

static inline natsrs_connection *example_connect(void) {
  natsrs_connection *nc = NULL;
  printf("Connecting to %s\n", example_url());
  CHECK(natsrs_connection_connect_to(example_url(), &nc));
  return nc;
}

/* A counter that callbacks (running on library threads) increment and the
 * main thread waits on. */
typedef struct counter {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int value;
} counter;

static inline void counter_init(counter *c) {
  pthread_mutex_init(&c->mu, NULL);
  pthread_cond_init(&c->cv, NULL);
  c->value = 0;
}

static inline void counter_destroy(counter *c) {
  pthread_cond_destroy(&c->cv);
  pthread_mutex_destroy(&c->mu);
}

static inline void counter_add(counter *c, int n) {
  pthread_mutex_lock(&c->mu);
  c->value += n;
  pthread_cond_broadcast(&c->cv);
  pthread_mutex_unlock(&c->mu);
}

static inline int counter_get(counter *c) {
  pthread_mutex_lock(&c->mu);
  int v = c->value;
  pthread_mutex_unlock(&c->mu);
  return v;
}

/* Wait until the counter reaches at least `target`, for at most timeout_ms.
 * Returns the value seen last. */
static inline int counter_wait(counter *c, int target, int64_t timeout_ms) {
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += (time_t)(timeout_ms / 1000);
  deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
  if (deadline.tv_nsec >= 1000000000L) {
    deadline.tv_sec += 1;
    deadline.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&c->mu);
  while (c->value < target) {
    if (pthread_cond_timedwait(&c->cv, &c->mu, &deadline) != 0)
      break; /* timed out */
  }
  int v = c->value;
  pthread_mutex_unlock(&c->mu);
  return v;
}

/* Print a payload as text (examples only send printable text). */
static inline void print_msg(const char *prefix, const natsrs_msg *msg) {
  const char *data = (const char *)natsrs_msg_data(msg);
  printf("%s [%s]: %.*s\n", prefix, natsrs_msg_subject(msg),
         (int)natsrs_msg_data_len(msg), data ? data : "");
}

/* True if the payload of msg equals the NUL-terminated text. */
static inline bool msg_is(const natsrs_msg *msg, const char *text) {
  size_t n = strlen(text);
  return natsrs_msg_data_len(msg) == n &&
         (n == 0 || memcmp(natsrs_msg_data(msg), text, n) == 0);
}

#define TEXT(s) ((const uint8_t *)(s)), strlen(s)

#endif /* NATSRS_EXAMPLE_H */
