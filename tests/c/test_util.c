/* test_util.c - runner and helpers for the libnatsrs C tests (see test_util.h). */
#include "test_util.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

char tu_sentinel_obj;

static const char *current_name = "";
static int current_failures = 0;

int tu_failures(void) { return current_failures; }
const char *tu_test_name(void) { return current_name; }

void tu_fail(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  current_failures++;
  fprintf(stdout, "  %s:%d: [%s] ", file, line, current_name);
  va_start(ap, fmt);
  vfprintf(stdout, fmt, ap);
  va_end(ap);
  fputc('\n', stdout);
  fflush(stdout);
}

void tu_check_status(const char *file, int line, const char *expr, natsrs_status got,
                     natsrs_status want1, natsrs_status want2) {
  const char *err = natsrs_last_error_message();
  if (got != want1 && got != want2) {
    if (want1 == want2)
      tu_fail(file, line, "%s returned %s (%d), expected %s (%d); last error: \"%s\"", expr,
              natsrs_status_str(got), (int)got, natsrs_status_str(want1), (int)want1,
              err ? err : "(null)");
    else
      tu_fail(file, line, "%s returned %s (%d), expected %s or %s; last error: \"%s\"", expr,
              natsrs_status_str(got), (int)got, natsrs_status_str(want1),
              natsrs_status_str(want2), err ? err : "(null)");
    return;
  }
  if (got != NATSRS_STATUS_OK && (err == NULL || err[0] == '\0'))
    tu_fail(file, line, "%s returned %s but natsrs_last_error_message() is empty", expr,
            natsrs_status_str(got));
}

/* ---- helpers ---- */

const char *tu_url(void) {
  const char *u = getenv("NATS_URL");
  return (u && *u) ? u : "nats://127.0.0.1:4222";
}

natsrs_connection *tu_connect(void) {
  natsrs_connection *nc = NULL;
  natsrs_status s = natsrs_connection_connect_to(tu_url(), &nc);
  if (s != NATSRS_STATUS_OK) {
    tu_fail(__FILE__, __LINE__, "connect to %s: %s: %s", tu_url(), natsrs_status_str(s),
            natsrs_last_error_message());
    return NULL;
  }
  return nc;
}

void tu_subject(char *buf, size_t len, const char *suffix) {
  snprintf(buf, len, "ctest.%ld.%s.%s", (long)getpid(), current_name, suffix);
}

void tu_sleep_ms(int64_t ms) {
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

int64_t tu_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool tu_wait_until(bool (*pred)(void *), void *arg, int64_t timeout_ms) {
  int64_t deadline = tu_now_ms() + timeout_ms;
  for (;;) {
    if (pred(arg))
      return true;
    if (tu_now_ms() >= deadline)
      return pred(arg);
    tu_sleep_ms(1);
  }
}

void tu_counter_init(tu_counter *c) {
  pthread_mutex_init(&c->mu, NULL);
  pthread_cond_init(&c->cv, NULL);
  c->value = 0;
}

void tu_counter_destroy(tu_counter *c) {
  pthread_cond_destroy(&c->cv);
  pthread_mutex_destroy(&c->mu);
}

void tu_counter_add(tu_counter *c, int64_t n) {
  pthread_mutex_lock(&c->mu);
  c->value += n;
  pthread_cond_broadcast(&c->cv);
  pthread_mutex_unlock(&c->mu);
}

int64_t tu_counter_get(tu_counter *c) {
  pthread_mutex_lock(&c->mu);
  int64_t v = c->value;
  pthread_mutex_unlock(&c->mu);
  return v;
}

int64_t tu_counter_wait(tu_counter *c, int64_t target, int64_t timeout_ms) {
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += (time_t)(timeout_ms / 1000);
  deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
  if (deadline.tv_nsec >= 1000000000L) {
    deadline.tv_sec++;
    deadline.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&c->mu);
  while (c->value < target) {
    if (pthread_cond_timedwait(&c->cv, &c->mu, &deadline) == ETIMEDOUT)
      break;
  }
  int64_t v = c->value;
  pthread_mutex_unlock(&c->mu);
  return v;
}

/* ---- runner ---- */

static bool selected(const char *name, int argc, char **argv) {
  bool any = false;
  for (int i = 1; i < argc; i++) {
    if (argv[i][0] == '-')
      continue;
    any = true;
    if (strcmp(argv[i], name) == 0)
      return true;
  }
  return !any;
}

/* Runs one test in this process; returns the number of failures. */
static int run_here(const tu_test *t) {
  current_name = t->name;
  current_failures = 0;
  t->fn();
  return current_failures;
}

static int timeout_seconds(void) {
  const char *s = getenv("TEST_TIMEOUT");
  int v = s ? atoi(s) : 0;
  return v > 0 ? v : 120;
}

int tu_main(int argc, char **argv, const tu_test *tests, size_t count) {
  bool fork_each = true;
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--no-fork") == 0)
      fork_each = false;
  setvbuf(stdout, NULL, _IOLBF, 0);

  int passed = 0, failed = 0;
  for (size_t i = 0; i < count; i++) {
    const tu_test *t = &tests[i];
    if (!selected(t->name, argc, argv))
      continue;
    printf("[ RUN      ] %s\n", t->name);
    fflush(NULL);
    int64_t start = tu_now_ms();
    bool ok;
    if (!fork_each) {
      ok = run_here(t) == 0;
    } else {
      pid_t pid = fork();
      if (pid < 0) {
        perror("fork");
        return 2;
      }
      if (pid == 0) {
        alarm((unsigned)timeout_seconds()); /* default SIGALRM action kills a hung test */
        int failures = run_here(t);
        /* End the library's runtime so that leak checking sees a quiet process. */
        natsrs_status s = natsrs_shutdown(5000);
        if (s != NATSRS_STATUS_OK) {
          tu_fail(__FILE__, __LINE__, "natsrs_shutdown(5000) after the test: %s: %s",
                  natsrs_status_str(s), natsrs_last_error_message());
          failures++;
        }
        fflush(NULL);
        exit(failures == 0 ? 0 : 1); /* exit (not _exit): LeakSanitizer runs at exit */
      }
      int status = 0;
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      if (WIFEXITED(status)) {
        ok = WEXITSTATUS(status) == 0;
        if (!ok && WEXITSTATUS(status) != 1)
          printf("  [%s] child exited with status %d (sanitizer report above?)\n", t->name,
                 WEXITSTATUS(status));
      } else {
        ok = false;
        int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
        printf("  [%s] child killed by signal %d%s\n", t->name, sig,
               sig == SIGALRM ? " (timed out: TEST_TIMEOUT)" : "");
      }
    }
    int64_t ms = tu_now_ms() - start;
    if (ok) {
      passed++;
      printf("[       OK ] %s (%lld ms)\n", t->name, (long long)ms);
    } else {
      failed++;
      printf("[  FAILED  ] %s (%lld ms)\n", t->name, (long long)ms);
    }
  }
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
