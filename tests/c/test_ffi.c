/*
 * test_ffi.c - rules of the C boundary itself: last error cleared on success and copied in the
 * same C call as the failing one (the cgo pattern), when userdata_free of connection callbacks
 * runs, drain with the options' timeout, natsrs_msg_create checking subjects like publish, bad
 * server URLs refused with INVALID_ARGUMENT (never a panic), handlers closing the connection or
 * unsubscribing each other at the same time (no deadlock) and a second close waiting for a
 * running handler.
 */
#include "test_util.h"

#include <unistd.h>

#define INVAL NATSRS_STATUS_INVALID_ARGUMENT

/* ---- last error ------------------------------------------------------------------------- */

/* The pattern of the README for bindings whose calls may hop OS threads (Go's cgo): one C
 * call makes the libnatsrs call and copies its error text. */
static inline natsrs_status flush_with_error(natsrs_connection *nc, int64_t timeout_ms, char *err,
                                             size_t err_len) {
  natsrs_status s = natsrs_connection_flush(nc, timeout_ms);
  if (s != NATSRS_STATUS_OK)
    natsrs_last_error_copy(err, err_len);
  else if (err_len > 0)
    err[0] = '\0';
  return s;
}

static void test_last_error_is_cleared_by_a_successful_call(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  CHECK_STATUS(natsrs_connection_flush(nc, 0), INVAL);
  CHECK(strlen(natsrs_last_error_message()) > 0);
  CHECK_OK(natsrs_connection_flush(nc, 5000));
  CHECK_STR(natsrs_last_error_message(), "");
  /* value-returning calls clear it too */
  CHECK_STATUS(natsrs_connection_flush(NULL, 10), NATSRS_STATUS_NULL_PARAMETER);
  CHECK(!natsrs_connection_is_closed(nc));
  CHECK_STR(natsrs_last_error_message(), "");
  natsrs_connection_free(nc);
}

static void test_last_error_copy(void) {
  char small[8], big[256];
  memset(small, 'x', sizeof small);
  CHECK_STATUS(natsrs_connection_flush(NULL, 10), NATSRS_STATUS_NULL_PARAMETER);
  const char *full = natsrs_last_error_message();
  size_t len = strlen(full);
  CHECK(len > sizeof small);
  CHECK_EQ(natsrs_last_error_copy(small, sizeof small), len);
  CHECK_EQ(small[sizeof small - 1], '\0');
  CHECK(strncmp(small, full, sizeof small - 1) == 0);
  CHECK_EQ(natsrs_last_error_copy(NULL, 0), len);
  CHECK_EQ(natsrs_last_error_copy(big, sizeof big), len);
  CHECK_STR(big, natsrs_last_error_message()); /* copying does not change it */
}

typedef struct {
  natsrs_connection *nc;
  natsrs_status st;
  char err[256];
} hop_arg;

static void *fail_on_other_thread(void *p) {
  hop_arg *a = p;
  a->st = flush_with_error(a->nc, -5, a->err, sizeof a->err);
  return NULL;
}

static void test_error_of_the_call_just_made_across_threads(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  /* a failure on another thread does not show here, and the helper got its own text */
  CHECK_OK(natsrs_connection_flush(nc, 5000));
  hop_arg a = {nc, NATSRS_STATUS_OK, {0}};
  pthread_t t;
  REQUIRE(pthread_create(&t, NULL, fail_on_other_thread, &a) == 0);
  pthread_join(t, NULL);
  CHECK_EQ(a.st, INVAL);
  CHECK(strstr(a.err, "timeout_ms") != NULL);
  CHECK_STR(natsrs_last_error_message(), "");
  char err[256] = "stale";
  CHECK_OK(flush_with_error(nc, 5000, err, sizeof err));
  CHECK_STR(err, "");
  natsrs_connection_free(nc);
}

static void slow_handler(void *ud, natsrs_subscription *sub, const natsrs_msg *msg);

/* ---- userdata_free of connection callbacks ---------------------------------------------- */

typedef struct {
  atomic_int freed;
  atomic_int closed;
  pthread_t owner; /* the thread that must run userdata_free */
  atomic_int wrong_thread;
} ud_state;

static void ud_free(void *p) {
  ud_state *u = p;
  if (!pthread_equal(pthread_self(), u->owner))
    atomic_fetch_add(&u->wrong_thread, 1);
  atomic_fetch_add(&u->freed, 1);
}
static void on_closed(void *p, natsrs_connection *nc) {
  (void)nc;
  ud_state *u = p;
  atomic_fetch_add(&u->closed, 1);
}
static void on_disconnected(void *p, natsrs_connection *nc, natsrs_status st, const char *text) {
  (void)p;
  (void)nc;
  (void)st;
  (void)text;
}
static void on_error(void *p, natsrs_connection *nc, natsrs_subscription *sub, natsrs_status st,
                     const char *text) {
  (void)p;
  (void)nc;
  (void)sub;
  (void)st;
  (void)text;
}

static natsrs_options *callback_options(ud_state *u) {
  natsrs_options *o = NULL;
  if (natsrs_options_new(&o) != NATSRS_STATUS_OK)
    return NULL;
  natsrs_options_set_url(o, tu_url());
  natsrs_options_set_closed_handler(o, on_closed, u, ud_free);
  natsrs_options_set_disconnected_handler(o, on_disconnected, u, ud_free);
  natsrs_options_set_error_handler(o, on_error, u, ud_free);
  return o;
}

/* issue 8, defect 10: 300 connect/free cycles; options freed first, so the connection owns the
 * last reference: userdata_free has run (3 times, on this thread) when free returns. */
static void test_userdata_freed_before_connection_free_returns(void) {
  char subj[128];
  tu_subject(subj, sizeof subj, "ud");
  for (int i = 0; i < 300; i++) {
    ud_state u = {0};
    u.owner = pthread_self();
    natsrs_options *o = callback_options(&u);
    REQUIRE(o);
    natsrs_connection *nc = NULL;
    REQUIRE_OK(natsrs_connection_connect(o, &nc));
    natsrs_options_free(o);
    CHECK_EQ(atomic_load(&u.freed), 0);
    CHECK_OK(natsrs_connection_publish(nc, subj, TEXT("x")));
    natsrs_connection_free(nc);
    if (atomic_load(&u.freed) != 3 || atomic_load(&u.closed) != 1 || atomic_load(&u.wrong_thread)) {
      tu_fail(__FILE__, __LINE__, "cycle %d: freed %d (want 3), closed %d, on a wrong thread %d", i,
              atomic_load(&u.freed), atomic_load(&u.closed), atomic_load(&u.wrong_thread));
      return;
    }
  }
}

/* Options that outlive their connections keep the userdata: it goes with natsrs_options_free. */
static void test_options_own_userdata_across_connects(void) {
  ud_state u = {0};
  u.owner = pthread_self();
  natsrs_options *o = callback_options(&u);
  REQUIRE(o);
  for (int i = 0; i < 3; i++) {
    natsrs_connection *nc = NULL;
    REQUIRE_OK(natsrs_connection_connect(o, &nc));
    natsrs_connection_free(nc);
    CHECK_EQ(atomic_load(&u.freed), 0);
  }
  CHECK_EQ(atomic_load(&u.closed), 3);
  /* replacing a handler releases the old userdata at once (no connection holds it) */
  ud_state other = {0};
  other.owner = pthread_self();
  CHECK_OK(natsrs_options_set_closed_handler(o, on_closed, &other, ud_free));
  CHECK_EQ(atomic_load(&u.freed), 1);
  natsrs_options_free(o);
  CHECK_EQ(atomic_load(&u.freed), 3);
  CHECK_EQ(atomic_load(&other.freed), 1);
  CHECK_EQ(atomic_load(&u.wrong_thread) + atomic_load(&other.wrong_thread), 0);
}

/* A connection freed from inside its own callback: no deadlock; its userdata is released once,
 * when that callback has returned. */
typedef struct {
  atomic_int freed;
  atomic_int in_callback;
  atomic_int freed_inside;
  tu_counter done;
} self_free_state;

static void self_ud_free(void *p) {
  self_free_state *s = p;
  if (atomic_load(&s->in_callback))
    atomic_fetch_add(&s->freed_inside, 1);
  atomic_fetch_add(&s->freed, 1);
  tu_counter_add(&s->done, 1);
}
static void free_self_on_disconnect(void *p, natsrs_connection *nc, natsrs_status st, const char *t) {
  (void)st;
  (void)t;
  self_free_state *s = p;
  atomic_store(&s->in_callback, 1);
  natsrs_connection_free(nc);
  atomic_store(&s->in_callback, 0);
}

static void test_free_from_own_callback(void) {
  self_free_state s = {0};
  tu_counter_init(&s.done);
  natsrs_options *o = NULL;
  REQUIRE_OK(natsrs_options_new(&o));
  CHECK_OK(natsrs_options_set_url(o, tu_url()));
  CHECK_OK(natsrs_options_set_disconnected_handler(o, free_self_on_disconnect, &s, self_ud_free));
  natsrs_connection *nc = NULL;
  REQUIRE_OK(natsrs_connection_connect(o, &nc));
  natsrs_options_free(o);
  CHECK_OK(natsrs_connection_force_reconnect(nc)); /* nc is not used after this */
  CHECK_EQ(tu_counter_wait(&s.done, 1, 10000), 1);
  tu_sleep_ms(50);
  CHECK_EQ(atomic_load(&s.freed), 1);
  CHECK_EQ(atomic_load(&s.freed_inside), 0);
  tu_counter_destroy(&s.done);
}

/* Who owns userdata after a failed registration (unchanged by the C-layer split): not the library
 * when the handle/out arguments are refused, the library (released at once) after that. */
static void count_ud(void *p) { atomic_fetch_add((atomic_int *)p, 1); }

static void test_userdata_of_failed_registrations(void) {
  atomic_int freed = 0;
  CHECK_STATUS(natsrs_options_set_closed_handler(NULL, on_closed, &freed, count_ud),
               NATSRS_STATUS_NULL_PARAMETER);
  natsrs_subscription *sub = TU_SENTINEL;
  CHECK_STATUS(natsrs_connection_subscribe(NULL, "a", slow_handler, &freed, count_ud, &sub),
               NATSRS_STATUS_NULL_PARAMETER);
  CHECK_EQ(atomic_load(&freed), 0);
  natsrs_options *o = NULL;
  REQUIRE_OK(natsrs_options_new(&o));
  CHECK_OK(natsrs_options_set_closed_handler(o, NULL, &freed, count_ud)); /* removes: released */
  CHECK_EQ(atomic_load(&freed), 1);
  CHECK_STATUS(natsrs_options_set_token_handler(o, NULL, &freed, count_ud), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_EQ(atomic_load(&freed), 2);
  natsrs_options_free(o);
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  CHECK_STATUS(natsrs_connection_subscribe(nc, "a", NULL, &freed, count_ud, &sub),
               NATSRS_STATUS_NULL_PARAMETER);
  CHECK_EQ(atomic_load(&freed), 3);
  CHECK(sub == TU_SENTINEL);
  natsrs_connection_free(nc);
}

/* ---- drain with the options' timeout ---------------------------------------------------- */

static void slow_handler(void *ud, natsrs_subscription *sub, const natsrs_msg *msg) {
  (void)ud;
  (void)sub;
  (void)msg;
  tu_sleep_ms(3000);
}


static void test_drain_zero_uses_the_options_drain_timeout(void) {
  char subj[128];
  tu_subject(subj, sizeof subj, "drain");
  natsrs_options *o = NULL;
  REQUIRE_OK(natsrs_options_new(&o));
  CHECK_OK(natsrs_options_set_url(o, tu_url()));
  CHECK_OK(natsrs_options_set_drain_timeout_ms(o, 300));
  natsrs_connection *nc = NULL;
  REQUIRE_OK(natsrs_connection_connect(o, &nc));
  natsrs_options_free(o);
  natsrs_subscription *sub = NULL;
  REQUIRE_OK(natsrs_connection_subscribe(nc, subj, slow_handler, NULL, NULL, &sub));
  CHECK_OK(natsrs_connection_publish(nc, subj, TEXT("a")));
  CHECK_OK(natsrs_connection_publish(nc, subj, TEXT("b")));
  CHECK_OK(natsrs_connection_flush(nc, 5000));
  tu_sleep_ms(50); /* the handler is busy with "a" for 3 s */
  int64_t t0 = tu_now_ms();
  CHECK_STATUS(natsrs_connection_drain(nc, 0), NATSRS_STATUS_TIMEOUT);
  int64_t took = tu_now_ms() - t0;
  CHECK(took >= 250);
  CHECK(took < 2500); /* the option's 300 ms, not 30 s and not the handler's 3 s */
  CHECK(natsrs_connection_is_closed(nc));
  natsrs_subscription_free(sub);
  natsrs_connection_free(nc);
}

static void test_drain_negative_uses_the_default(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  char subj[128];
  tu_subject(subj, sizeof subj, "d");
  natsrs_subscription *sub = NULL;
  REQUIRE_OK(natsrs_connection_subscribe_sync(nc, subj, &sub));
  CHECK_OK(natsrs_connection_drain(nc, -1));
  CHECK(natsrs_connection_is_closed(nc));
  natsrs_subscription_free(sub);
  natsrs_connection_free(nc);
}

/* ---- natsrs_msg_create checks like publish (issue 8, defect 12) -------------------------- */

static void test_msg_create_checks_subject_and_reply_like_publish(void) {
  natsrs_msg *m = TU_SENTINEL;
  CHECK_STATUS(natsrs_msg_create("a", "bad\nreply", TEXT("x"), &m), NATSRS_STATUS_INVALID_SUBJECT);
  CHECK_STATUS(natsrs_msg_create("a", "bad reply", TEXT("x"), &m), NATSRS_STATUS_INVALID_SUBJECT);
  CHECK_STATUS(natsrs_msg_create("a", "r..x", TEXT("x"), &m), NATSRS_STATUS_INVALID_SUBJECT);
  CHECK_STATUS(natsrs_msg_create("a\rb", NULL, TEXT("x"), &m), NATSRS_STATUS_INVALID_SUBJECT);
  CHECK(m == TU_SENTINEL);
  CHECK(strstr(natsrs_last_error_message(), "reply") == NULL); /* the last one was the subject */
  REQUIRE_OK(natsrs_msg_create("a", "_INBOX.x", TEXT("x"), &m));
  CHECK_STR(natsrs_msg_reply(m), "_INBOX.x");
  natsrs_msg_free(m);
}

/* ---- bad server URLs (issue 8, defects 1 and 12) ----------------------------------------- */

/* A multi-byte character after '%' used to panic the hand-written percent decoder
 * (NATSRS_STATUS_PANIC); a port with a sign or a second colon was accepted. Every one is
 * refused with INVALID_ARGUMENT and a message, by the options and by connect_to alike, and
 * leaves the options usable. No server is contacted. */
static void test_bad_urls_are_invalid_argument(void) {
  static const char *const bad[] = {
      "nats://a:%1\xc3\xa9@h:4222",     /* %1 then U+00E9 (2 bytes) */
      "nats://a:%A\xc3\xa9@h:4222",     /* %A then U+00E9 */
      "nats://a:%2\xe2\x82\xac@h:4222", /* %2 then U+20AC (3 bytes) */
      "nats://a:%\xc3\xa9@h",           /* % then U+00E9 */
      "nats://h:+4222",
      "nats://h:1:2",
      "nats://127.0.0.1:4222,nats://h:+1", /* a bad entry in a list */
  };
  natsrs_options *o = NULL;
  REQUIRE_OK(natsrs_options_new(&o));
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    CHECK_STATUS(natsrs_options_set_url(o, bad[i]), INVAL);
    CHECK(natsrs_last_error_message()[0] != '\0');
    natsrs_connection *nc = TU_SENTINEL;
    CHECK_STATUS(natsrs_connection_connect_to(bad[i], &nc), INVAL);
    CHECK(nc == TU_SENTINEL);
  }
  /* The options are still usable after the refusals. */
  CHECK_OK(natsrs_options_set_url(o, "nats://a:%C3%A9@127.0.0.1:4222"));
  natsrs_options_free(o);
}

/* ---- handlers racing close and unsubscribe (issue 8, defects 3, 4, 5) ---------------------- */

typedef struct race {
  natsrs_connection *nc;
  natsrs_subscription *subs[2];
  atomic_int done;
  atomic_int started;
  atomic_int finished;
} race;

static void noop_closed(void *p, natsrs_connection *nc) {
  (void)p;
  (void)nc;
}
static bool race_both_done(void *p) { return atomic_load(&((race *)p)->done) == 2; }
static bool race_started(void *p) { return atomic_load(&((race *)p)->started) == 1; }

static natsrs_connection *connect_with_closed_handler(void) {
  natsrs_options *o = NULL;
  if (natsrs_options_new(&o) != NATSRS_STATUS_OK)
    return NULL;
  natsrs_options_set_url(o, tu_url());
  natsrs_options_set_closed_handler(o, noop_closed, NULL, NULL); /* an event callback */
  natsrs_connection *nc = NULL;
  natsrs_status s = natsrs_connection_connect(o, &nc);
  natsrs_options_free(o);
  return s == NATSRS_STATUS_OK ? nc : NULL;
}

static void close_after_100ms(void *p, natsrs_subscription *sub, const natsrs_msg *m) {
  race *r = p;
  (void)sub;
  (void)m;
  tu_sleep_ms(100);
  natsrs_connection_close(r->nc);
  atomic_fetch_add(&r->done, 1);
}

/* Defect 3: two handlers of one connection (with an event callback set) call
 * natsrs_connection_close at the same time: both return (it was a deadlock). */
static void test_two_handlers_close_the_connection_at_once(void) {
  static race r;
  memset(&r, 0, sizeof r);
  r.nc = connect_with_closed_handler();
  REQUIRE(r.nc);
  char a[128], b[128];
  tu_subject(a, sizeof a, "close.a");
  tu_subject(b, sizeof b, "close.b");
  REQUIRE_OK(natsrs_connection_subscribe(r.nc, a, close_after_100ms, &r, NULL, &r.subs[0]));
  REQUIRE_OK(natsrs_connection_subscribe(r.nc, b, close_after_100ms, &r, NULL, &r.subs[1]));
  CHECK_OK(natsrs_connection_publish(r.nc, a, TEXT("x")));
  CHECK_OK(natsrs_connection_publish(r.nc, b, TEXT("x")));
  CHECK_OK(natsrs_connection_flush(r.nc, 5000));
  if (!tu_wait_until(race_both_done, &r, 10000))
    tu_fail(__FILE__, __LINE__, "handlers deadlocked in close: %d of 2 returned",
            atomic_load(&r.done));
  CHECK(natsrs_connection_is_closed(r.nc));
  natsrs_subscription_free(r.subs[0]);
  natsrs_subscription_free(r.subs[1]);
  natsrs_connection_free(r.nc);
}

static race unsub_race;
static void unsubscribe_the_other_after_100ms(void *p, natsrs_subscription *sub,
                                              const natsrs_msg *m) {
  int i = (int)(intptr_t)p;
  (void)sub;
  (void)m;
  tu_sleep_ms(100);
  (void)natsrs_subscription_unsubscribe(unsub_race.subs[1 - i]);
  atomic_fetch_add(&unsub_race.done, 1);
}

/* Defect 4: two handlers unsubscribe each other's subscription at the same time: both return. */
static void test_two_handlers_unsubscribe_each_other(void) {
  race *r = &unsub_race;
  memset(r, 0, sizeof *r);
  r->nc = tu_connect();
  REQUIRE(r->nc);
  char a[128], b[128];
  tu_subject(a, sizeof a, "unsub.a");
  tu_subject(b, sizeof b, "unsub.b");
  REQUIRE_OK(natsrs_connection_subscribe(r->nc, a, unsubscribe_the_other_after_100ms,
                                         (void *)(intptr_t)0, NULL, &r->subs[0]));
  REQUIRE_OK(natsrs_connection_subscribe(r->nc, b, unsubscribe_the_other_after_100ms,
                                         (void *)(intptr_t)1, NULL, &r->subs[1]));
  CHECK_OK(natsrs_connection_publish(r->nc, a, TEXT("x")));
  CHECK_OK(natsrs_connection_publish(r->nc, b, TEXT("x")));
  CHECK_OK(natsrs_connection_flush(r->nc, 5000));
  if (!tu_wait_until(race_both_done, r, 10000))
    tu_fail(__FILE__, __LINE__, "handlers deadlocked in unsubscribe: %d of 2 returned",
            atomic_load(&r->done));
  natsrs_subscription_free(r->subs[0]);
  natsrs_subscription_free(r->subs[1]);
  natsrs_connection_free(r->nc);
}

static void slow_500ms(void *p, natsrs_subscription *sub, const natsrs_msg *m) {
  race *r = p;
  (void)sub;
  (void)m;
  atomic_store(&r->started, 1);
  tu_sleep_ms(500);
  atomic_store(&r->finished, 1);
}
static void *close_from_thread(void *p) {
  natsrs_connection_close(((race *)p)->nc);
  return NULL;
}

/* Defect 5: while a first close waits for a running handler, a second close from another
 * thread returns only after that handler finished (no handler runs after close returns). */
static void test_second_close_waits_for_the_running_handler(void) {
  static race r;
  memset(&r, 0, sizeof r);
  r.nc = tu_connect();
  REQUIRE(r.nc);
  char a[128];
  tu_subject(a, sizeof a, "slow");
  REQUIRE_OK(natsrs_connection_subscribe(r.nc, a, slow_500ms, &r, NULL, &r.subs[0]));
  CHECK_OK(natsrs_connection_publish(r.nc, a, TEXT("x")));
  CHECK_OK(natsrs_connection_flush(r.nc, 5000));
  REQUIRE(tu_wait_until(race_started, &r, 5000));
  pthread_t th;
  REQUIRE(pthread_create(&th, NULL, close_from_thread, &r) == 0);
  tu_sleep_ms(100);
  CHECK_OK(natsrs_connection_close(r.nc));
  if (!atomic_load(&r.finished))
    tu_fail(__FILE__, __LINE__, "the second close returned while the handler was still running");
  pthread_join(th, NULL);
  natsrs_subscription_free(r.subs[0]);
  natsrs_connection_free(r.nc);
}

static const tu_test tests[] = {
    TU_TEST(test_last_error_is_cleared_by_a_successful_call),
    TU_TEST(test_last_error_copy),
    TU_TEST(test_error_of_the_call_just_made_across_threads),
    TU_TEST(test_userdata_freed_before_connection_free_returns),
    TU_TEST(test_options_own_userdata_across_connects),
    TU_TEST(test_free_from_own_callback),
    TU_TEST(test_userdata_of_failed_registrations),
    TU_TEST(test_drain_zero_uses_the_options_drain_timeout),
    TU_TEST(test_drain_negative_uses_the_default),
    TU_TEST(test_msg_create_checks_subject_and_reply_like_publish),
    TU_TEST(test_bad_urls_are_invalid_argument),
    TU_TEST(test_two_handlers_close_the_connection_at_once),
    TU_TEST(test_two_handlers_unsubscribe_each_other),
    TU_TEST(test_second_close_waits_for_the_running_handler),
};

int main(int argc, char **argv) { return tu_main(argc, argv, tests, TU_COUNT(tests)); }
