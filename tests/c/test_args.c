/*
 * test_args.c - NULL and invalid arguments for every exported function.
 *
 * Convention under test (ARCHITECTURE.md, "C API conventions"): a NULL argument
 * gives NATSRS_STATUS_NULL_PARAMETER, an invalid one a specific non-OK status,
 * always with a non-empty natsrs_last_error_message(); an out-pointer is
 * written only on success; *_free(NULL) is a no-op; getters given NULL return
 * NULL / 0 / false.
 */
#include "test_util.h"

#define NP NATSRS_STATUS_NULL_PARAMETER
#define INVAL NATSRS_STATUS_INVALID_ARGUMENT
#define BADSUBJ NATSRS_STATUS_INVALID_SUBJECT

static const char *const bad_subjects[] = {"", " foo", "foo ", "a..b", ".a", "a.", "foo bar",
                                           "a\tb", "a\r\nb"};
#define N_BAD_SUBJECTS TU_COUNT(bad_subjects)

static void noop_handler(void *ud, natsrs_subscription *sub, const natsrs_msg *msg) {
  (void)ud;
  (void)sub;
  (void)msg;
}
static void noop_conn_handler(void *ud, natsrs_connection *nc) {
  (void)ud;
  (void)nc;
}
static void noop_disc_handler(void *ud, natsrs_connection *nc, natsrs_status s, const char *t) {
  (void)ud;
  (void)nc;
  (void)s;
  (void)t;
}
static void noop_err_handler(void *ud, natsrs_connection *nc, natsrs_subscription *sub,
                             natsrs_status s, const char *t) {
  (void)ud;
  (void)nc;
  (void)sub;
  (void)s;
  (void)t;
}

/* ------------------------------------------------------------------------ */

static void test_status_str_every_value(void) {
  for (int v = NATSRS_STATUS_OK; v <= NATSRS_STATUS_BAD_CREDENTIALS; v++) {
    const char *s = natsrs_status_str((natsrs_status)v);
    CHECK(s != NULL);
    if (s)
      CHECK(s[0] != '\0');
  }
  /* distinct texts for distinct codes */
  for (int a = NATSRS_STATUS_OK; a <= NATSRS_STATUS_BAD_CREDENTIALS; a++)
    for (int b = a + 1; b <= NATSRS_STATUS_BAD_CREDENTIALS; b++) {
      const char *sa = natsrs_status_str((natsrs_status)a), *sb = natsrs_status_str((natsrs_status)b);
      if (sa && sb && strcmp(sa, sb) == 0)
        tu_fail(__FILE__, __LINE__, "status %d and %d share the text \"%s\"", a, b, sa);
    }
  const char *v = natsrs_version();
  CHECK(v != NULL && v[0] != '\0');
  CHECK(natsrs_last_error_message() != NULL);
}

static void *other_thread_error(void *arg) {
  char *out = arg;
  const char *e = natsrs_last_error_message();
  snprintf(out, 256, "%s", e ? e : "(null)");
  return NULL;
}

static void test_last_error_is_per_thread(void) {
  CHECK_STATUS(natsrs_options_new(NULL), NP);
  char mine[256];
  snprintf(mine, sizeof mine, "%s", natsrs_last_error_message());
  CHECK(mine[0] != '\0');
  char other[256] = "unset";
  pthread_t th;
  REQUIRE(pthread_create(&th, NULL, other_thread_error, other) == 0);
  pthread_join(th, NULL);
  CHECK_STR(other, ""); /* a fresh thread has no last error */
  CHECK_STR(natsrs_last_error_message(), mine); /* ours is unchanged */
}

static void test_options_null(void) {
  natsrs_options *o = TU_SENTINEL;
  CHECK_STATUS(natsrs_options_new(NULL), NP);
  natsrs_options_free(NULL);
  const char *urls[] = {"nats://127.0.0.1:4222"};
  CHECK_STATUS(natsrs_options_set_url(NULL, "nats://127.0.0.1:4222"), NP);
  CHECK_STATUS(natsrs_options_set_servers(NULL, urls, 1), NP);
  CHECK_STATUS(natsrs_options_set_name(NULL, "x"), NP);
  CHECK_STATUS(natsrs_options_set_no_echo(NULL, true), NP);
  CHECK_STATUS(natsrs_options_set_verbose(NULL, true), NP);
  CHECK_STATUS(natsrs_options_set_pedantic(NULL, true), NP);
  CHECK_STATUS(natsrs_options_set_inbox_prefix(NULL, "_X"), NP);
  CHECK_STATUS(natsrs_options_set_ping_interval_ms(NULL, 1000), NP);
  CHECK_STATUS(natsrs_options_set_max_pings_out(NULL, 2), NP);
  CHECK_STATUS(natsrs_options_set_connect_timeout_ms(NULL, 1000), NP);
  CHECK_STATUS(natsrs_options_set_user_info(NULL, "u", "p"), NP);
  CHECK_STATUS(natsrs_options_set_token(NULL, "t"), NP);
  CHECK_STATUS(natsrs_options_set_old_request_style(NULL, true), NP);
  CHECK_STATUS(natsrs_options_set_pending_limits(NULL, 10, 10), NP);
  CHECK_STATUS(natsrs_options_set_drain_timeout_ms(NULL, 1000), NP);
  CHECK_STATUS(natsrs_options_set_error_handler(NULL, noop_err_handler, NULL, NULL), NP);
  CHECK_STATUS(natsrs_options_set_closed_handler(NULL, noop_conn_handler, NULL, NULL), NP);
  CHECK_STATUS(natsrs_options_set_disconnected_handler(NULL, noop_disc_handler, NULL, NULL), NP);
  CHECK_STATUS(natsrs_options_set_reconnected_handler(NULL, noop_conn_handler, NULL, NULL), NP);
  CHECK_STATUS(natsrs_options_set_allow_reconnect(NULL, true), NP);
  CHECK_STATUS(natsrs_options_set_max_reconnect(NULL, 5), NP);
  CHECK_STATUS(natsrs_options_set_reconnect_wait_ms(NULL, 100), NP);
  CHECK_STATUS(natsrs_options_set_reconnect_buf_size(NULL, 1024), NP);
  CHECK_STATUS(natsrs_options_set_no_randomize(NULL, true), NP);
  CHECK_STATUS(natsrs_options_set_ignore_discovered_servers(NULL, true), NP);
  CHECK_STATUS(natsrs_options_set_retry_on_failed_connect(NULL, true), NP);
  CHECK_STATUS(natsrs_options_set_connected_handler(NULL, noop_conn_handler, NULL, NULL), NP);
  CHECK_STATUS(natsrs_options_set_discovered_servers_handler(NULL, noop_conn_handler, NULL, NULL),
               NP);
  CHECK_STATUS(natsrs_options_set_lame_duck_handler(NULL, noop_conn_handler, NULL, NULL), NP);

  REQUIRE_OK(natsrs_options_new(&o));
  CHECK(o != NULL && o != TU_SENTINEL);
  CHECK_STATUS(natsrs_options_set_url(o, NULL), NP);
  CHECK_STATUS(natsrs_options_set_servers(o, NULL, 1), NP);
  const char *with_null[] = {"nats://127.0.0.1:4222", NULL};
  CHECK_STATUS(natsrs_options_set_servers(o, with_null, 2), NP);
  CHECK_STATUS(natsrs_options_set_name(o, NULL), NP);
  CHECK_STATUS(natsrs_options_set_inbox_prefix(o, NULL), NP);
  CHECK_STATUS(natsrs_options_set_user_info(o, NULL, "p"), NP);
  CHECK_STATUS(natsrs_options_set_token(o, NULL), NP);
  natsrs_options_free(o);
}

static void test_options_invalid(void) {
  natsrs_options *o = NULL;
  REQUIRE_OK(natsrs_options_new(&o));
  const char *urls[] = {"nats://127.0.0.1:4222"};
  CHECK_STATUS(natsrs_options_set_servers(o, urls, 0), INVAL);
  CHECK_STATUS(natsrs_options_set_url(o, ""), INVAL);
  CHECK_STATUS(natsrs_options_set_ping_interval_ms(o, 0), INVAL);
  CHECK_STATUS(natsrs_options_set_ping_interval_ms(o, -1), INVAL);
  CHECK_STATUS(natsrs_options_set_max_pings_out(o, -1), INVAL);
  CHECK_STATUS(natsrs_options_set_connect_timeout_ms(o, 0), INVAL);
  CHECK_STATUS(natsrs_options_set_connect_timeout_ms(o, -5), INVAL);
  CHECK_STATUS(natsrs_options_set_drain_timeout_ms(o, 0), INVAL);
  CHECK_STATUS(natsrs_options_set_drain_timeout_ms(o, -1), INVAL);
  CHECK_STATUS(natsrs_options_set_pending_limits(o, 0, 1024), INVAL);
  CHECK_STATUS(natsrs_options_set_pending_limits(o, 10, 0), INVAL);
  CHECK_STATUS(natsrs_options_set_reconnect_wait_ms(o, -1), INVAL);
  CHECK_STATUS2(natsrs_options_set_inbox_prefix(o, ""), INVAL, BADSUBJ);
  CHECK_STATUS2(natsrs_options_set_inbox_prefix(o, "bad prefix"), INVAL, BADSUBJ);
  CHECK_STATUS2(natsrs_options_set_inbox_prefix(o, "a..b"), INVAL, BADSUBJ);
  CHECK_STATUS2(natsrs_options_set_inbox_prefix(o, "_X.*"), INVAL, BADSUBJ);
  /* valid values still accepted afterwards */
  CHECK_OK(natsrs_options_set_url(o, tu_url()));
  CHECK_OK(natsrs_options_set_pending_limits(o, -1, -1));
  CHECK_OK(natsrs_options_set_inbox_prefix(o, "_MY.INBOX"));
  natsrs_options_free(o);
}

static void test_connect_null_and_invalid(void) {
  natsrs_connection *nc = TU_SENTINEL;
  natsrs_options *o = NULL;
  /* NULL options mean the defaults (nats://127.0.0.1:4222), per the header */
  CHECK_STATUS(natsrs_connection_connect(NULL, NULL), NP);
  natsrs_status s0 = natsrs_connection_connect(NULL, &nc);
  if (s0 == NATSRS_STATUS_OK) {
    natsrs_connection_free(nc);
    nc = TU_SENTINEL;
  } else {
    CHECK_STATUS2(s0, NATSRS_STATUS_NO_SERVERS, NATSRS_STATUS_IO);
    CHECK(nc == TU_SENTINEL);
  }
  REQUIRE_OK(natsrs_options_new(&o));
  CHECK_OK(natsrs_options_set_url(o, tu_url()));
  CHECK_STATUS(natsrs_connection_connect(o, NULL), NP);
  CHECK_STATUS(natsrs_connection_connect_to(NULL, &nc), NP);
  CHECK_STATUS(natsrs_connection_connect_to(tu_url(), NULL), NP);
  CHECK(nc == TU_SENTINEL);
  CHECK_STATUS2(natsrs_connection_connect_to("", &nc), INVAL, NATSRS_STATUS_NO_SERVERS);
  CHECK(nc == TU_SENTINEL);
  CHECK_STATUS2(natsrs_connection_connect_to("this is not a url", &nc), INVAL,
                NATSRS_STATUS_NO_SERVERS);
  CHECK(nc == TU_SENTINEL);
  /* nothing listens on port 1 */
  int64_t t0 = tu_now_ms();
  CHECK_STATUS2(natsrs_connection_connect_to("nats://127.0.0.1:1", &nc), NATSRS_STATUS_NO_SERVERS,
                NATSRS_STATUS_IO);
  CHECK(nc == TU_SENTINEL);
  CHECK(tu_now_ms() - t0 < 10000);
  natsrs_options_free(o);
}

static void test_connection_null(void) {
  natsrs_subscription *sub = TU_SENTINEL;
  natsrs_msg *m = TU_SENTINEL;
  natsrs_msg *req = NULL;
  char buf[128];
  double rtt = -1;
  natsrs_statistics st;
  int64_t mp = -1;
  natsrs_server_info *si = TU_SENTINEL;

  REQUIRE_OK(natsrs_msg_create("x.y", NULL, TEXT("hi"), &req));
  CHECK_STATUS(natsrs_connection_publish(NULL, "x", TEXT("hi")), NP);
  CHECK_STATUS(natsrs_connection_publish_request(NULL, "x", "r", TEXT("hi")), NP);
  CHECK_STATUS(natsrs_connection_publish_msg(NULL, req), NP);
  CHECK_STATUS(natsrs_connection_subscribe(NULL, "x", noop_handler, NULL, NULL, &sub), NP);
  CHECK_STATUS(natsrs_connection_queue_subscribe(NULL, "x", "q", noop_handler, NULL, NULL, &sub),
               NP);
  CHECK_STATUS(natsrs_connection_subscribe_sync(NULL, "x", &sub), NP);
  CHECK_STATUS(natsrs_connection_queue_subscribe_sync(NULL, "x", "q", &sub), NP);
  CHECK(sub == TU_SENTINEL);
  CHECK_STATUS(natsrs_connection_request(NULL, "x", TEXT("hi"), 100, &m), NP);
  CHECK_STATUS(natsrs_connection_request_msg(NULL, req, 100, &m), NP);
  CHECK(m == TU_SENTINEL);
  CHECK_STATUS(natsrs_connection_new_inbox(NULL, buf, sizeof buf), NP);
  CHECK_STATUS(natsrs_connection_flush(NULL, 100), NP);
  CHECK_STATUS(natsrs_connection_rtt(NULL, &rtt), NP);
  CHECK_STATUS(natsrs_connection_drain(NULL, 100), NP);
  CHECK_STATUS(natsrs_connection_close(NULL), NP);
  {
    int32_t rfd = -1;
    uint64_t rgen = 0, rbytes = 0, rsids[4];
    size_t rcount = 0;
    bool rmore = false;
    CHECK_STATUS(natsrs_connection_read_attach(NULL, &rfd, &rgen), NP);
    CHECK_STATUS(natsrs_connection_read_inline(NULL, 1, &rbytes, rsids, 4, &rcount, &rmore), NP);
    CHECK_STATUS(natsrs_connection_read_detach(NULL, 1), NP);
    CHECK_STATUS(natsrs_connection_read_hold(NULL, 1, true), NP);
    CHECK_EQ(rfd, -1);
  }
  natsrs_connection_free(NULL);
  CHECK_EQ(natsrs_connection_status_get(NULL), NATSRS_CONNECTION_STATUS_CLOSED);
  CHECK(natsrs_connection_is_closed(NULL));
  CHECK_STATUS(natsrs_connection_stats(NULL, &st), NP);
  CHECK_STATUS(natsrs_connection_max_payload(NULL, &mp), NP);
  CHECK_STATUS(natsrs_connection_server_info(NULL, &si), NP);
  char *sess = TU_SENTINEL;
  CHECK_STATUS(natsrs_connection_session_json(NULL, &sess), NP);
  CHECK(sess == TU_SENTINEL);
  CHECK(rtt == -1 && mp == -1 && si == TU_SENTINEL);
  natsrs_msg_free(req);
}

static void test_connection_null_args_on_live_connection(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  natsrs_subscription *sub = TU_SENTINEL;
  natsrs_msg *m = TU_SENTINEL;
  char subj[200];
  tu_subject(subj, sizeof subj, "s");

  CHECK_STATUS(natsrs_connection_publish(nc, NULL, TEXT("hi")), NP);
  CHECK_STATUS(natsrs_connection_publish(nc, subj, NULL, 5), NP);
  CHECK_OK(natsrs_connection_publish(nc, subj, NULL, 0)); /* (NULL, 0) is an empty payload */
  CHECK_STATUS(natsrs_connection_publish_request(nc, NULL, "r", TEXT("hi")), NP);
  CHECK_STATUS(natsrs_connection_publish_request(nc, subj, NULL, TEXT("hi")), NP);
  CHECK_STATUS(natsrs_connection_publish_request(nc, subj, "r", NULL, 3), NP);
  CHECK_STATUS(natsrs_connection_publish_msg(nc, NULL), NP);
  CHECK_STATUS(natsrs_connection_subscribe(nc, NULL, noop_handler, NULL, NULL, &sub), NP);
  CHECK_STATUS(natsrs_connection_subscribe(nc, subj, NULL, NULL, NULL, &sub), NP);
  CHECK_STATUS(natsrs_connection_subscribe(nc, subj, noop_handler, NULL, NULL, NULL), NP);
  CHECK_STATUS(natsrs_connection_queue_subscribe(nc, NULL, "q", noop_handler, NULL, NULL, &sub),
               NP);
  CHECK_STATUS(natsrs_connection_queue_subscribe(nc, subj, NULL, noop_handler, NULL, NULL, &sub),
               NP);
  CHECK_STATUS(natsrs_connection_queue_subscribe(nc, subj, "q", NULL, NULL, NULL, &sub), NP);
  CHECK_STATUS(natsrs_connection_queue_subscribe(nc, subj, "q", noop_handler, NULL, NULL, NULL),
               NP);
  CHECK_STATUS(natsrs_connection_subscribe_sync(nc, NULL, &sub), NP);
  CHECK_STATUS(natsrs_connection_subscribe_sync(nc, subj, NULL), NP);
  CHECK_STATUS(natsrs_connection_queue_subscribe_sync(nc, NULL, "q", &sub), NP);
  CHECK_STATUS(natsrs_connection_queue_subscribe_sync(nc, subj, NULL, &sub), NP);
  CHECK_STATUS(natsrs_connection_queue_subscribe_sync(nc, subj, "q", NULL), NP);
  CHECK(sub == TU_SENTINEL);
  CHECK_STATUS(natsrs_connection_request(nc, NULL, TEXT("hi"), 100, &m), NP);
  CHECK_STATUS(natsrs_connection_request(nc, subj, NULL, 4, 100, &m), NP);
  CHECK_STATUS(natsrs_connection_request(nc, subj, TEXT("hi"), 100, NULL), NP);
  CHECK_STATUS(natsrs_connection_request_msg(nc, NULL, 100, &m), NP);
  CHECK(m == TU_SENTINEL);
  natsrs_msg *req = NULL;
  REQUIRE_OK(natsrs_msg_create(subj, NULL, TEXT("hi"), &req));
  CHECK_STATUS(natsrs_connection_request_msg(nc, req, 100, NULL), NP);
  natsrs_msg_free(req);
  CHECK_STATUS(natsrs_connection_new_inbox(nc, NULL, 100), NP);
  CHECK_STATUS(natsrs_connection_rtt(nc, NULL), NP);
  CHECK_STATUS(natsrs_connection_stats(nc, NULL), NP);
  CHECK_STATUS(natsrs_connection_max_payload(nc, NULL), NP);
  CHECK_STATUS(natsrs_connection_server_info(nc, NULL), NP);
  CHECK_STATUS(natsrs_connection_session_json(nc, NULL), NP);
  /* the connection is still fine */
  CHECK_OK(natsrs_connection_flush(nc, 5000));
  CHECK_EQ(natsrs_connection_status_get(nc), NATSRS_CONNECTION_STATUS_CONNECTED);
  natsrs_connection_free(nc);
}

/* The call must fail with `want`; whatever it created by mistake is freed. */
static void sub_fails(const char *expr, int line, natsrs_status got, natsrs_subscription *sub,
                      natsrs_status want) {
  tu_check_status(__FILE__, line, expr, got, want, want);
  if (got == NATSRS_STATUS_OK)
    natsrs_subscription_free(sub);
  else if (sub != TU_SENTINEL)
    tu_fail(__FILE__, line, "%s wrote its out-pointer on failure", expr);
}
#define SUB_FAILS(call, subvar, want)                                          \
  do {                                                                         \
    natsrs_subscription *subvar = TU_SENTINEL;                                 \
    natsrs_status st_ = (call);                                                \
    sub_fails(#call, __LINE__, st_, subvar, want);                             \
  } while (0)

static void msg_fails(const char *expr, int line, natsrs_status got, natsrs_msg *m,
                      natsrs_status want) {
  tu_check_status(__FILE__, line, expr, got, want, want);
  if (got == NATSRS_STATUS_OK)
    natsrs_msg_free(m);
  else if (m != TU_SENTINEL)
    tu_fail(__FILE__, line, "%s wrote its out-pointer on failure", expr);
}
#define MSG_FAILS(call, mvar, want)                                            \
  do {                                                                         \
    natsrs_msg *mvar = TU_SENTINEL;                                            \
    natsrs_status st_ = (call);                                                \
    msg_fails(#call, __LINE__, st_, mvar, want);                               \
  } while (0)

/* Subscribing checks subjects fully (ADR-6): no empty tokens, no blanks. */
static void test_bad_subjects_subscribe(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  for (size_t i = 0; i < N_BAD_SUBJECTS; i++) {
    const char *bad = bad_subjects[i];
    printf("    bad subject \"%s\"\n", bad);
    SUB_FAILS(natsrs_connection_subscribe(nc, bad, noop_handler, NULL, NULL, &sub), sub, BADSUBJ);
    SUB_FAILS(natsrs_connection_queue_subscribe(nc, bad, "q", noop_handler, NULL, NULL, &sub), sub,
              BADSUBJ);
    SUB_FAILS(natsrs_connection_subscribe_sync(nc, bad, &sub), sub, BADSUBJ);
    SUB_FAILS(natsrs_connection_queue_subscribe_sync(nc, bad, "q", &sub), sub, BADSUBJ);
  }
  /* '>' must be the last token; wildcards must be whole tokens */
  SUB_FAILS(natsrs_connection_subscribe_sync(nc, "foo.>.bar", &sub), sub, BADSUBJ);
  SUB_FAILS(natsrs_connection_subscribe_sync(nc, "foo.b*r", &sub), sub, BADSUBJ);
  SUB_FAILS(natsrs_connection_subscribe_sync(nc, "foo.>x", &sub), sub, BADSUBJ);

  const char *bad_queues[] = {"", "a b", " q", "q\t"};
  char subj[200];
  tu_subject(subj, sizeof subj, "q");
  for (size_t i = 0; i < TU_COUNT(bad_queues); i++) {
    SUB_FAILS(natsrs_connection_queue_subscribe(nc, subj, bad_queues[i], noop_handler, NULL, NULL,
                                                &sub),
              sub, NATSRS_STATUS_INVALID_QUEUE);
    SUB_FAILS(natsrs_connection_queue_subscribe_sync(nc, subj, bad_queues[i], &sub), sub,
              NATSRS_STATUS_INVALID_QUEUE);
  }
  CHECK_OK(natsrs_connection_flush(nc, 5000)); /* connection survived all of that */
  natsrs_connection_free(nc);
}

/* Publishing rejects empty and blank-containing subjects (subject and reply). */
static void test_bad_subjects_publish(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  const char *blank[] = {"", " foo", "foo ", "foo bar", "a\tb", "a\r\nb"};
  for (size_t i = 0; i < TU_COUNT(blank); i++) {
    const char *bad = blank[i];
    printf("    bad subject \"%s\"\n", bad);
    CHECK_STATUS(natsrs_connection_publish(nc, bad, TEXT("x")), BADSUBJ);
    CHECK_STATUS(natsrs_connection_publish_request(nc, bad, "reply.ok", TEXT("x")), BADSUBJ);
    CHECK_STATUS(natsrs_connection_publish_request(nc, "subj.ok", bad, TEXT("x")), BADSUBJ);
    MSG_FAILS(natsrs_connection_request(nc, bad, TEXT("x"), 100, &m), m, BADSUBJ);
    MSG_FAILS(natsrs_msg_create(bad, NULL, TEXT("x"), &m), m, BADSUBJ);
    /* a bad reply subject is refused by msg_create or, at the latest, by publish_msg */
    natsrs_msg *m = TU_SENTINEL;
    natsrs_status s = natsrs_msg_create("subj.ok", bad, TEXT("x"), &m);
    if (s == NATSRS_STATUS_OK) {
      CHECK_STATUS(natsrs_connection_publish_msg(nc, m), BADSUBJ);
      natsrs_msg_free(m);
    } else {
      CHECK_STATUS(s, BADSUBJ);
    }
  }
  CHECK_OK(natsrs_connection_flush(nc, 5000));
  natsrs_connection_free(nc);
}

/* Subjects with empty tokens ("a..b", ".a", "a.") are invalid (ADR-6, protocol.md 1.7)
 * for publishing too. */
static void test_bad_subjects_publish_empty_tokens(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  const char *bad_tokens[] = {"a..b", ".a", "a."};
  for (size_t i = 0; i < TU_COUNT(bad_tokens); i++) {
    const char *bad = bad_tokens[i];
    printf("    bad subject \"%s\"\n", bad);
    CHECK_STATUS(natsrs_connection_publish(nc, bad, TEXT("x")), BADSUBJ);
    CHECK_STATUS(natsrs_connection_publish_request(nc, bad, "reply.ok", TEXT("x")), BADSUBJ);
    MSG_FAILS(natsrs_connection_request(nc, bad, TEXT("x"), 100, &m), m, BADSUBJ);
    MSG_FAILS(natsrs_msg_create(bad, NULL, TEXT("x"), &m), m, BADSUBJ);
  }
  natsrs_connection_free(nc);
}

static void test_zero_and_negative_timeouts(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  char subj[200];
  tu_subject(subj, sizeof subj, "t");
  natsrs_subscription *sub = NULL;
  REQUIRE_OK(natsrs_connection_subscribe_sync(nc, subj, &sub));
  natsrs_msg *req = NULL;
  REQUIRE_OK(natsrs_msg_create(subj, NULL, TEXT("x"), &req));
  const int64_t bad[] = {0, -1, INT64_MIN};
  for (size_t i = 0; i < TU_COUNT(bad); i++) {
    int64_t t = bad[i];
    natsrs_msg *m = TU_SENTINEL;
    natsrs_msg *arr[4];
    size_t n = 77;
    CHECK_STATUS(natsrs_connection_flush(nc, t), INVAL);
    CHECK_STATUS(natsrs_connection_request(nc, subj, TEXT("x"), t, &m), INVAL);
    CHECK_STATUS(natsrs_connection_request_msg(nc, req, t, &m), INVAL);
    CHECK_STATUS(natsrs_subscription_next_msg(sub, t, &m), INVAL);
    CHECK_STATUS(natsrs_subscription_next_msgs(sub, 4, t, arr, &n), INVAL);
    CHECK_STATUS(natsrs_subscription_drain_wait(sub, t), INVAL);
    /* natsrs_connection_drain(nc, <= 0) uses the options' drain timeout: see test_ffi.c */
    CHECK(m == TU_SENTINEL);
  }
  /* none of that drained or closed anything */
  CHECK(natsrs_subscription_is_valid(sub));
  CHECK_EQ(natsrs_connection_status_get(nc), NATSRS_CONNECTION_STATUS_CONNECTED);
  CHECK_OK(natsrs_connection_publish(nc, subj, TEXT("still here")));
  natsrs_msg *m = NULL;
  CHECK_OK(natsrs_subscription_next_msg(sub, 5000, &m));
  natsrs_msg_free(m);
  natsrs_msg_free(req);
  natsrs_subscription_free(sub);
  natsrs_connection_free(nc);
}

static void test_double_close_and_use_after_close(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  char subj[200];
  tu_subject(subj, sizeof subj, "c");
  natsrs_subscription *sub = NULL;
  REQUIRE_OK(natsrs_connection_subscribe_sync(nc, subj, &sub));
  CHECK_OK(natsrs_connection_close(nc));
  CHECK_OK(natsrs_connection_close(nc)); /* idempotent */
  CHECK(natsrs_connection_is_closed(nc));
  CHECK_EQ(natsrs_connection_status_get(nc), NATSRS_CONNECTION_STATUS_CLOSED);

  natsrs_subscription *sub2 = TU_SENTINEL;
  natsrs_msg *m = TU_SENTINEL;
  double rtt = -1;
  CHECK_STATUS(natsrs_connection_publish(nc, subj, TEXT("x")), NATSRS_STATUS_CONNECTION_CLOSED);
  CHECK_STATUS(natsrs_connection_publish_request(nc, subj, "r", TEXT("x")),
               NATSRS_STATUS_CONNECTION_CLOSED);
  CHECK_STATUS(natsrs_connection_subscribe_sync(nc, subj, &sub2), NATSRS_STATUS_CONNECTION_CLOSED);
  CHECK_STATUS(natsrs_connection_subscribe(nc, subj, noop_handler, NULL, NULL, &sub2),
               NATSRS_STATUS_CONNECTION_CLOSED);
  CHECK(sub2 == TU_SENTINEL);
  CHECK_STATUS(natsrs_connection_request(nc, subj, TEXT("x"), 100, &m),
               NATSRS_STATUS_CONNECTION_CLOSED);
  CHECK(m == TU_SENTINEL);
  CHECK_STATUS(natsrs_connection_flush(nc, 100), NATSRS_STATUS_CONNECTION_CLOSED);
  CHECK_STATUS(natsrs_connection_rtt(nc, &rtt), NATSRS_STATUS_CONNECTION_CLOSED);
  CHECK_STATUS(natsrs_connection_drain(nc, 100), NATSRS_STATUS_CONNECTION_CLOSED);
  /* the subscription of a closed connection is no longer valid */
  CHECK(!natsrs_subscription_is_valid(sub));
  CHECK_STATUS2(natsrs_subscription_next_msg(sub, 100, &m), NATSRS_STATUS_CONNECTION_CLOSED,
                NATSRS_STATUS_INVALID_SUBSCRIPTION);
  natsrs_statistics st;
  CHECK_OK(natsrs_connection_stats(nc, &st)); /* still readable */
  natsrs_subscription_free(sub);
  natsrs_connection_free(nc);
}

static void test_free_null(void) {
  natsrs_options_free(NULL);
  natsrs_connection_free(NULL);
  natsrs_subscription_free(NULL);
  natsrs_msg_free(NULL);
  natsrs_server_info_free(NULL);
}

static void test_subscription_null_and_invalid(void) {
  natsrs_msg *m = TU_SENTINEL;
  natsrs_msg *arr[8];
  size_t n = 99;
  int64_t pm = -7, pb = -7;
  uint64_t u = 77;
  CHECK_STATUS(natsrs_subscription_next_msg(NULL, 100, &m), NP);
  CHECK_STATUS(natsrs_subscription_next_msgs(NULL, 8, 100, arr, &n), NP);
  CHECK_STATUS(natsrs_subscription_unsubscribe(NULL), NP);
  CHECK_STATUS(natsrs_subscription_auto_unsubscribe(NULL, 1), NP);
  CHECK_STATUS(natsrs_subscription_drain(NULL), NP);
  CHECK_STATUS(natsrs_subscription_drain_wait(NULL, 100), NP);
  CHECK_STATUS(natsrs_subscription_set_pending_limits(NULL, 10, 10), NP);
  CHECK_STATUS(natsrs_subscription_pending(NULL, &pm, &pb), NP);
  CHECK_STATUS(natsrs_subscription_dropped(NULL, &u), NP);
  CHECK_STATUS(natsrs_subscription_delivered(NULL, &u), NP);
  CHECK(m == TU_SENTINEL && n == 99 && pm == -7 && pb == -7 && u == 77);
  CHECK(natsrs_subscription_subject(NULL) == NULL);
  CHECK(natsrs_subscription_queue(NULL) == NULL);
  CHECK_EQ(natsrs_subscription_sid(NULL), 0);
  CHECK(!natsrs_subscription_is_valid(NULL));
  natsrs_subscription_free(NULL);

  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  char subj[200];
  tu_subject(subj, sizeof subj, "s");
  natsrs_subscription *sub = NULL;
  REQUIRE_OK(natsrs_connection_subscribe_sync(nc, subj, &sub));
  CHECK_STATUS(natsrs_subscription_next_msg(sub, 100, NULL), NP);
  CHECK_STATUS(natsrs_subscription_next_msgs(sub, 8, 100, NULL, &n), NP);
  CHECK_STATUS(natsrs_subscription_next_msgs(sub, 8, 100, arr, NULL), NP);
  CHECK_STATUS(natsrs_subscription_next_msgs(sub, 0, 100, arr, &n), INVAL);
  CHECK_STATUS(natsrs_subscription_dropped(sub, NULL), NP);
  CHECK_STATUS(natsrs_subscription_delivered(sub, NULL), NP);
  CHECK_STATUS(natsrs_subscription_set_pending_limits(sub, 0, 1024), INVAL);
  CHECK_STATUS(natsrs_subscription_set_pending_limits(sub, 10, 0), INVAL);
  CHECK_OK(natsrs_subscription_set_pending_limits(sub, -1, -1)); /* unlimited */
  CHECK_OK(natsrs_subscription_pending(sub, &pm, &pb));
  CHECK(pm == 0 && pb == 0);
  CHECK(natsrs_subscription_is_valid(sub));
  CHECK_STR(natsrs_subscription_subject(sub), subj);
  CHECK(natsrs_subscription_queue(sub) == NULL);
  CHECK(natsrs_subscription_sid(sub) > 0);
  natsrs_subscription_free(sub);
  natsrs_connection_free(nc);
}

static void test_unsubscribe_twice(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  char subj[200];
  tu_subject(subj, sizeof subj, "u");
  natsrs_subscription *sync_sub = NULL, *async_sub = NULL;
  REQUIRE_OK(natsrs_connection_subscribe_sync(nc, subj, &sync_sub));
  REQUIRE_OK(natsrs_connection_subscribe(nc, subj, noop_handler, NULL, NULL, &async_sub));
  natsrs_subscription *subs[2] = {sync_sub, async_sub};
  for (int i = 0; i < 2; i++) {
    natsrs_subscription *s = subs[i];
    natsrs_msg *m = TU_SENTINEL;
    CHECK_OK(natsrs_subscription_unsubscribe(s));
    CHECK(!natsrs_subscription_is_valid(s));
    CHECK_STATUS(natsrs_subscription_unsubscribe(s), NATSRS_STATUS_INVALID_SUBSCRIPTION);
    CHECK_STATUS(natsrs_subscription_auto_unsubscribe(s, 5), NATSRS_STATUS_INVALID_SUBSCRIPTION);
    CHECK_STATUS(natsrs_subscription_drain(s), NATSRS_STATUS_INVALID_SUBSCRIPTION);
    if (i == 0)
      CHECK_STATUS(natsrs_subscription_next_msg(s, 100, &m), NATSRS_STATUS_INVALID_SUBSCRIPTION);
    CHECK(m == TU_SENTINEL);
    CHECK_STR(natsrs_subscription_subject(s), subj); /* still readable until free */
  }
  natsrs_subscription_free(sync_sub);
  natsrs_subscription_free(async_sub);
  CHECK_OK(natsrs_connection_flush(nc, 5000));
  natsrs_connection_free(nc);
}

static void test_next_msg_on_async_sub(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  char subj[200];
  tu_subject(subj, sizeof subj, "a");
  natsrs_subscription *sub = NULL;
  REQUIRE_OK(natsrs_connection_subscribe(nc, subj, noop_handler, NULL, NULL, &sub));
  natsrs_msg *m = TU_SENTINEL;
  natsrs_msg *arr[4];
  size_t n = 99;
  CHECK_STATUS(natsrs_subscription_next_msg(sub, 100, &m), NATSRS_STATUS_ILLEGAL_STATE);
  CHECK_STATUS(natsrs_subscription_next_msgs(sub, 4, 100, arr, &n), NATSRS_STATUS_ILLEGAL_STATE);
  CHECK(m == TU_SENTINEL);
  CHECK(natsrs_subscription_is_valid(sub));
  natsrs_subscription_free(sub);
  natsrs_connection_free(nc);
}

static void test_respond_without_reply(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  char subj[200];
  tu_subject(subj, sizeof subj, "r");
  natsrs_subscription *sub = NULL;
  REQUIRE_OK(natsrs_connection_subscribe_sync(nc, subj, &sub));
  CHECK_OK(natsrs_connection_publish(nc, subj, TEXT("no reply here")));
  natsrs_msg *m = NULL;
  REQUIRE_OK(natsrs_subscription_next_msg(sub, 5000, &m));
  CHECK(natsrs_msg_reply(m) == NULL);
  CHECK_STATUS2(natsrs_msg_respond(m, TEXT("answer")), NATSRS_STATUS_ILLEGAL_STATE, INVAL);
  CHECK_STATUS(natsrs_msg_respond(NULL, TEXT("answer")), NP);
  CHECK_STATUS(natsrs_msg_respond(m, NULL, 3), NP);
  natsrs_msg_free(m);

  /* A message the application created is not bound to any connection. */
  natsrs_msg *own = NULL;
  REQUIRE_OK(natsrs_msg_create(subj, "reply.subject", TEXT("x"), &own));
  natsrs_status s = natsrs_msg_respond(own, TEXT("answer"));
  CHECK(s != NATSRS_STATUS_OK);
  if (s != NATSRS_STATUS_OK)
    CHECK(natsrs_last_error_message()[0] != '\0');
  natsrs_msg_free(own);
  natsrs_subscription_free(sub);
  natsrs_connection_free(nc);
}

static void test_msg_null_and_invalid(void) {
  natsrs_msg *m = TU_SENTINEL;
  const char *v = "unchanged";
  const char *const *arr = NULL;
  size_t n = 42;
  CHECK_STATUS(natsrs_msg_create(NULL, NULL, TEXT("x"), &m), NP);
  CHECK_STATUS(natsrs_msg_create("a.b", NULL, NULL, 3, &m), NP);
  CHECK_STATUS(natsrs_msg_create("a.b", NULL, TEXT("x"), NULL), NP);
  CHECK(m == TU_SENTINEL);
  CHECK(natsrs_msg_subject(NULL) == NULL);
  CHECK(natsrs_msg_reply(NULL) == NULL);
  CHECK(natsrs_msg_data(NULL) == NULL);
  CHECK_EQ(natsrs_msg_data_len(NULL), 0);
  CHECK_EQ(natsrs_msg_status_code(NULL), 0);
  CHECK_STATUS(natsrs_msg_header_set(NULL, "k", "v"), NP);
  CHECK_STATUS(natsrs_msg_header_add(NULL, "k", "v"), NP);
  CHECK_STATUS(natsrs_msg_header_get(NULL, "k", &v), NP);
  CHECK_STATUS(natsrs_msg_header_values(NULL, "k", &arr, &n), NP);
  CHECK_STATUS(natsrs_msg_header_keys(NULL, &arr, &n), NP);
  CHECK_STATUS(natsrs_msg_header_delete(NULL, "k"), NP);
  CHECK_STATUS(natsrs_msg_clone(NULL, &m), NP);
  natsrs_msg_free(NULL);

  REQUIRE_OK(natsrs_msg_create("a.b", NULL, NULL, 0, &m)); /* empty payload */
  CHECK_EQ(natsrs_msg_data_len(m), 0);
  CHECK_STR(natsrs_msg_subject(m), "a.b");
  CHECK(natsrs_msg_reply(m) == NULL);
  CHECK_STATUS(natsrs_msg_header_set(m, NULL, "v"), NP);
  CHECK_STATUS(natsrs_msg_header_set(m, "k", NULL), NP);
  CHECK_STATUS(natsrs_msg_header_add(m, NULL, "v"), NP);
  CHECK_STATUS(natsrs_msg_header_add(m, "k", NULL), NP);
  CHECK_STATUS(natsrs_msg_header_get(m, NULL, &v), NP);
  CHECK_STATUS(natsrs_msg_header_get(m, "k", NULL), NP);
  CHECK_STATUS(natsrs_msg_header_values(m, NULL, &arr, &n), NP);
  CHECK_STATUS(natsrs_msg_header_values(m, "k", NULL, &n), NP);
  CHECK_STATUS(natsrs_msg_header_values(m, "k", &arr, NULL), NP);
  CHECK_STATUS(natsrs_msg_header_keys(m, NULL, &n), NP);
  CHECK_STATUS(natsrs_msg_header_keys(m, &arr, NULL), NP);
  CHECK_STATUS(natsrs_msg_header_delete(m, NULL), NP);
  CHECK_STATUS(natsrs_msg_clone(m, NULL), NP);
  /* absent keys */
  CHECK_STATUS(natsrs_msg_header_get(m, "missing", &v), NATSRS_STATUS_NOT_FOUND);
  CHECK_STR(v, "unchanged");
  CHECK_STATUS(natsrs_msg_header_values(m, "missing", &arr, &n), NATSRS_STATUS_NOT_FOUND);
  CHECK_STATUS(natsrs_msg_header_delete(m, "missing"), NATSRS_STATUS_NOT_FOUND);
  /* invalid header names and values */
  const char *bad_keys[] = {"", "a b", "a:b", "a\r\nb", "k\t"};
  for (size_t i = 0; i < TU_COUNT(bad_keys); i++) {
    CHECK_STATUS(natsrs_msg_header_set(m, bad_keys[i], "v"), INVAL);
    CHECK_STATUS(natsrs_msg_header_add(m, bad_keys[i], "v"), INVAL);
  }
  CHECK_STATUS(natsrs_msg_header_set(m, "k", "line1\r\nInjected: yes"), INVAL);
  CHECK_STATUS(natsrs_msg_header_add(m, "k", "a\nb"), INVAL);
  CHECK_STATUS(natsrs_msg_header_get(m, "k", &v), NATSRS_STATUS_NOT_FOUND);
  natsrs_msg_free(m);
}

static void test_server_info_null(void) {
  CHECK(natsrs_server_info_server_id(NULL) == NULL);
  CHECK(natsrs_server_info_server_name(NULL) == NULL);
  CHECK(natsrs_server_info_version(NULL) == NULL);
  CHECK(natsrs_server_info_connected_url(NULL) == NULL);
  CHECK(natsrs_server_info_json(NULL) == NULL);
  CHECK_EQ(natsrs_server_info_max_payload(NULL), 0);
  CHECK(!natsrs_server_info_headers(NULL));
  CHECK(!natsrs_server_info_jetstream(NULL));
  natsrs_server_info_free(NULL);
}

static void test_new_inbox_buffer_sizes(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  char big[256];
  REQUIRE_OK(natsrs_connection_new_inbox(nc, big, sizeof big));
  size_t len = strlen(big);
  CHECK(len > 7);
  CHECK(strncmp(big, "_INBOX.", 7) == 0);
  char small[256];
  memset(small, 'Z', sizeof small);
  CHECK_STATUS(natsrs_connection_new_inbox(nc, small, 0), NATSRS_STATUS_BUFFER_TOO_SMALL);
  CHECK_STATUS(natsrs_connection_new_inbox(nc, small, 4), NATSRS_STATUS_BUFFER_TOO_SMALL);
  CHECK_STATUS(natsrs_connection_new_inbox(nc, small, len), NATSRS_STATUS_BUFFER_TOO_SMALL);
  CHECK(small[len] == 'Z'); /* nothing written past the given length */
  CHECK_OK(natsrs_connection_new_inbox(nc, small, len + 1));
  CHECK_EQ(strlen(small), len);
  CHECK(strcmp(small, big) != 0); /* unique */
  natsrs_connection_free(nc);
}

static void test_publish_msg_and_request_msg_args(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  char subj[200];
  tu_subject(subj, sizeof subj, "pm");
  natsrs_msg *m = NULL;
  REQUIRE_OK(natsrs_msg_create(subj, NULL, TEXT("x"), &m));
  CHECK_OK(natsrs_connection_publish_msg(nc, m));
  natsrs_msg *reply = TU_SENTINEL;
  /* nobody listens: no responders, and reply untouched */
  CHECK_STATUS(natsrs_connection_request_msg(nc, m, 2000, &reply), NATSRS_STATUS_NO_RESPONDERS);
  CHECK(reply == TU_SENTINEL);
  natsrs_msg_free(m);
  natsrs_connection_free(nc);
}

static int64_t delay_cb(void *ud, natsrs_connection *nc, uint64_t attempts) {
  (void)ud;
  (void)nc;
  (void)attempts;
  return 10;
}
static atomic_int delay_ud_frees;
static void delay_ud_free(void *ud) {
  (void)ud;
  atomic_fetch_add(&delay_ud_frees, 1);
}

static void test_connection_info_functions(void) {
  char buf[256];
  natsrs_strings *list = TU_SENTINEL;
  natsrs_status st = NATSRS_STATUS_PANIC;
  CHECK_STATUS(natsrs_connection_connected_server_id(NULL, buf, sizeof buf), NP);
  CHECK_STATUS(natsrs_connection_connected_url(NULL, buf, sizeof buf), NP);
  CHECK_STATUS(natsrs_connection_discovered_servers(NULL, &list), NP);
  CHECK_STATUS(natsrs_connection_servers(NULL, &list), NP);
  CHECK_STATUS(natsrs_connection_force_reconnect(NULL), NP);
  CHECK_STATUS(natsrs_connection_last_error(NULL, &st, buf, sizeof buf), NP);
  CHECK(list == TU_SENTINEL);
  CHECK_EQ(natsrs_strings_count(NULL), 0);
  CHECK(natsrs_strings_get(NULL, 0) == NULL);
  natsrs_strings_free(NULL);

  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  CHECK_STATUS(natsrs_connection_connected_server_id(nc, NULL, 10), NP);
  CHECK_STATUS(natsrs_connection_connected_url(nc, NULL, 10), NP);
  CHECK_STATUS(natsrs_connection_discovered_servers(nc, NULL), NP);
  CHECK_STATUS(natsrs_connection_servers(nc, NULL), NP);
  CHECK_STATUS(natsrs_connection_last_error(nc, NULL, buf, sizeof buf), NP);
  CHECK_OK(natsrs_connection_last_error(nc, &st, NULL, 0)); /* buf may be NULL */
  CHECK_EQ(st, NATSRS_STATUS_OK);

  natsrs_server_info *si = NULL;
  REQUIRE_OK(natsrs_connection_server_info(nc, &si));
  CHECK_OK(natsrs_connection_connected_url(nc, buf, sizeof buf));
  CHECK_STR(buf, natsrs_server_info_connected_url(si));
  size_t len = strlen(buf);
  CHECK_STATUS(natsrs_connection_connected_url(nc, buf, 0), NATSRS_STATUS_BUFFER_TOO_SMALL);
  CHECK_STATUS(natsrs_connection_connected_url(nc, buf, len), NATSRS_STATUS_BUFFER_TOO_SMALL);
  CHECK_OK(natsrs_connection_connected_url(nc, buf, len + 1));
  CHECK_OK(natsrs_connection_connected_server_id(nc, buf, sizeof buf));
  CHECK_STR(buf, natsrs_server_info_server_id(si));
  CHECK_STATUS(natsrs_connection_connected_server_id(nc, buf, 3), NATSRS_STATUS_BUFFER_TOO_SMALL);
  natsrs_server_info_free(si);

  list = NULL;
  CHECK_OK(natsrs_connection_servers(nc, &list));
  if (list) {
    size_t n = natsrs_strings_count(list);
    CHECK(n >= 1);
    CHECK(n >= 1 && natsrs_strings_get(list, 0) != NULL);
    CHECK(natsrs_strings_get(list, n) == NULL);
    CHECK(natsrs_strings_get(list, (size_t)-1) == NULL);
    natsrs_strings_free(list);
  }
  list = NULL;
  CHECK_OK(natsrs_connection_discovered_servers(nc, &list));
  if (list) {
    CHECK_EQ(natsrs_strings_count(list), 0); /* a single server */
    natsrs_strings_free(list);
  }

  /* set_server_pool / server_pool_json: NULLs, bad URLs (nothing changes), a new order */
  {
    const char *two[2] = {"nats://127.0.0.1:1", tu_url()};
    const char *bad[1] = {"nats://127.0.0.1:notaport"};
    char *json = TU_SENTINEL;
    CHECK_STATUS(natsrs_connection_set_server_pool(NULL, two, 2), NP);
    CHECK_STATUS(natsrs_connection_set_server_pool(nc, NULL, 2), NP);
    CHECK_STATUS(natsrs_connection_set_server_pool(nc, two, 0), INVAL);
    CHECK_STATUS(natsrs_connection_set_server_pool(nc, bad, 1), INVAL);
    CHECK_STATUS(natsrs_connection_server_pool_json(NULL, &json), NP);
    CHECK_STATUS(natsrs_connection_server_pool_json(nc, NULL), NP);
    CHECK(json == TU_SENTINEL);
    json = NULL;
    CHECK_OK(natsrs_connection_server_pool_json(nc, &json));
    CHECK(json != NULL && strstr(json, "\"reconnects\":0") != NULL && strstr(json, ":1\"") == NULL);
    natsrs_string_free(json);
    CHECK_OK(natsrs_connection_set_server_pool(nc, two, 2));
    json = NULL;
    CHECK_OK(natsrs_connection_server_pool_json(nc, &json));
    CHECK(json != NULL && strncmp(json, "[{\"implicit\":false,\"reconnects\":0,\"url\":\"nats://127.0.0.1:1\"}", 60) == 0);
    natsrs_string_free(json);
  }

  CHECK_OK(natsrs_connection_close(nc));
  {
    const char *one[1] = {tu_url()};
    CHECK_STATUS(natsrs_connection_set_server_pool(nc, one, 1), NATSRS_STATUS_CONNECTION_CLOSED);
  }
  CHECK_STATUS2(natsrs_connection_connected_url(nc, buf, sizeof buf), NATSRS_STATUS_NOT_CONNECTED,
                NATSRS_STATUS_CONNECTION_CLOSED);
  CHECK_STATUS(natsrs_connection_force_reconnect(nc), NATSRS_STATUS_CONNECTION_CLOSED);
  natsrs_connection_free(nc);
}

static void test_reconnect_options_null_and_invalid(void) {
  CHECK_STATUS(natsrs_options_set_reconnect_jitter_ms(NULL, 10, 10), NP);
  CHECK_STATUS(natsrs_options_set_reconnect_delay_handler(NULL, delay_cb, NULL, NULL), NP);
  natsrs_options *o = NULL;
  REQUIRE_OK(natsrs_options_new(&o));
  CHECK_STATUS(natsrs_options_set_reconnect_jitter_ms(o, -1, 0), INVAL);
  CHECK_STATUS(natsrs_options_set_reconnect_jitter_ms(o, 0, -1), INVAL);
  CHECK_OK(natsrs_options_set_reconnect_jitter_ms(o, 0, 0));
  CHECK_STATUS(natsrs_options_set_max_reconnect(o, -2), INVAL);
  atomic_store(&delay_ud_frees, 0);
  CHECK_OK(natsrs_options_set_reconnect_delay_handler(o, delay_cb, NULL, delay_ud_free));
  natsrs_options_free(o);
  CHECK_EQ(atomic_load(&delay_ud_frees), 1);
}

/* Authentication and TLS setters (their behaviour is tested with the auth/TLS work;
 * here only the argument checks of the boundary). */
static void test_auth_tls_options_null_and_invalid(void) {
  CHECK_STATUS(natsrs_options_set_nkey(NULL, "UABC", NULL, NULL, NULL), NP);
  CHECK_STATUS(natsrs_options_set_nkey_seed_file(NULL, "seed.nk"), NP);
  CHECK_STATUS(natsrs_options_set_tls_ca_file(NULL, "ca.pem"), NP);
  CHECK_STATUS(natsrs_options_set_tls_ca_pem(NULL, TEXT("pem")), NP);
  CHECK_STATUS(natsrs_options_set_tls_client_cert_file(NULL, "c.pem", "k.pem"), NP);
  CHECK_STATUS(natsrs_options_set_tls_client_cert_pem(NULL, TEXT("c"), TEXT("k")), NP);
  CHECK_STATUS(natsrs_options_set_tls_handshake_first(NULL, true), NP);
  CHECK_STATUS(natsrs_options_set_tls_handshake_timeout_ms(NULL, 1000), NP);
  CHECK_STATUS(natsrs_options_set_tls_insecure_skip_verify(NULL, true), NP);
  CHECK_STATUS(natsrs_options_set_tls_min_version(NULL, 12), NP);
  CHECK_STATUS(natsrs_options_set_tls_required(NULL, true), NP);
  CHECK_STATUS(natsrs_options_set_tls_server_name(NULL, "host"), NP);
  CHECK_STATUS(natsrs_options_set_token_handler(NULL, NULL, NULL, NULL), NP);
  CHECK_STATUS(natsrs_options_set_user_credentials_file(NULL, "user.creds"), NP);
  CHECK_STATUS(natsrs_options_set_user_credentials_files(NULL, "user.jwt", "user.nk"), NP);
  CHECK_STATUS(natsrs_options_set_user_jwt_handler(NULL, NULL, NULL, NULL, NULL), NP);

  natsrs_options *o = NULL;
  REQUIRE_OK(natsrs_options_new(&o));
  CHECK_STATUS(natsrs_options_set_nkey_seed_file(o, NULL), NP);
  CHECK_STATUS(natsrs_options_set_tls_ca_file(o, NULL), NP);
  CHECK_STATUS(natsrs_options_set_tls_ca_pem(o, NULL, 5), NP);
  CHECK_STATUS(natsrs_options_set_tls_client_cert_file(o, NULL, "k.pem"), NP);
  CHECK_STATUS(natsrs_options_set_tls_client_cert_pem(o, NULL, 3, NULL, 3), NP);
  CHECK_STATUS(natsrs_options_set_tls_server_name(o, NULL), NP);
  CHECK_STATUS(natsrs_options_set_user_credentials_file(o, NULL), NP);
  CHECK_STATUS(natsrs_options_set_user_credentials_files(o, NULL, "user.nk"), NP);
  CHECK_STATUS(natsrs_options_set_tls_min_version(o, 11), INVAL);
  CHECK_STATUS(natsrs_options_set_tls_min_version(o, 14), INVAL);
  CHECK_OK(natsrs_options_set_tls_min_version(o, 13));
  CHECK_STATUS(natsrs_options_set_tls_handshake_timeout_ms(o, 0), INVAL);
  CHECK_STATUS(natsrs_options_set_tls_handshake_timeout_ms(o, -1), INVAL);
  natsrs_options_free(o);
}

static void test_shutdown_negative_timeout(void) {
  CHECK_STATUS(natsrs_shutdown(-1), INVAL);
}

static const tu_test tests[] = {
    TU_TEST(test_status_str_every_value),
    TU_TEST(test_last_error_is_per_thread),
    TU_TEST(test_options_null),
    TU_TEST(test_options_invalid),
    TU_TEST(test_connect_null_and_invalid),
    TU_TEST(test_connection_null),
    TU_TEST(test_connection_null_args_on_live_connection),
    TU_TEST(test_bad_subjects_subscribe),
    TU_TEST(test_bad_subjects_publish),
    TU_TEST(test_bad_subjects_publish_empty_tokens),
    TU_TEST(test_zero_and_negative_timeouts),
    TU_TEST(test_double_close_and_use_after_close),
    TU_TEST(test_free_null),
    TU_TEST(test_subscription_null_and_invalid),
    TU_TEST(test_unsubscribe_twice),
    TU_TEST(test_next_msg_on_async_sub),
    TU_TEST(test_respond_without_reply),
    TU_TEST(test_msg_null_and_invalid),
    TU_TEST(test_server_info_null),
    TU_TEST(test_new_inbox_buffer_sizes),
    TU_TEST(test_publish_msg_and_request_msg_args),
    TU_TEST(test_connection_info_functions),
    TU_TEST(test_reconnect_options_null_and_invalid),
    TU_TEST(test_auth_tls_options_null_and_invalid),
    TU_TEST(test_shutdown_negative_timeout),
};

int main(int argc, char **argv) { return tu_main(argc, argv, tests, TU_COUNT(tests)); }
