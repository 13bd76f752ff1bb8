/*
 * test_request.c - request/reply (new and old style, timeout, no responders)
 * and message headers (local API and over the wire).
 */
#include "test_util.h"

/* Responder: echoes the request payload prefixed with "re:". */
static void echo_responder(void *ud, natsrs_subscription *sub, const natsrs_msg *msg) {
  (void)sub;
  size_t len = natsrs_msg_data_len(msg);
  uint8_t *buf = malloc(len + 3);
  if (!buf)
    return;
  memcpy(buf, "re:", 3);
  if (len)
    memcpy(buf + 3, natsrs_msg_data(msg), len);
  if (natsrs_msg_respond(msg, buf, len + 3) != NATSRS_STATUS_OK && ud)
    tu_counter_add(ud, 1); /* count respond failures */
  free(buf);
}

static void check_reply(natsrs_msg *reply, const char *want) {
  CHECK_EQ(natsrs_msg_data_len(reply), strlen(want));
  if (natsrs_msg_data_len(reply) == strlen(want))
    CHECK(memcmp(natsrs_msg_data(reply), want, strlen(want)) == 0);
}

static void run_request_suite(natsrs_connection *nc) {
  char subj[200], silent[200], nobody[200];
  tu_subject(subj, sizeof subj, "svc");
  tu_subject(silent, sizeof silent, "silent");
  tu_subject(nobody, sizeof nobody, "nobody");
  tu_counter respond_errors;
  tu_counter_init(&respond_errors);
  natsrs_subscription *responder = NULL, *silent_sub = NULL;
  REQUIRE_OK(natsrs_connection_subscribe(nc, subj, echo_responder, &respond_errors, NULL,
                                         &responder));
  REQUIRE_OK(natsrs_connection_subscribe_sync(nc, silent, &silent_sub));
  CHECK_OK(natsrs_connection_flush(nc, 5000));

  /* ok, several in a row */
  for (int i = 0; i < 20; i++) {
    char q[32], want[40];
    snprintf(q, sizeof q, "question %d", i);
    snprintf(want, sizeof want, "re:%s", q);
    natsrs_msg *reply = NULL;
    CHECK_OK(natsrs_connection_request(nc, subj, TEXT(q), 5000, &reply));
    if (reply) {
      check_reply(reply, want);
      CHECK(natsrs_msg_subject(reply) != NULL);
      CHECK_EQ(natsrs_msg_status_code(reply), 0);
      natsrs_msg_free(reply);
    }
  }
  /* empty request payload */
  natsrs_msg *reply = NULL;
  CHECK_OK(natsrs_connection_request(nc, subj, NULL, 0, 5000, &reply));
  if (reply)
    check_reply(reply, "re:");
  natsrs_msg_free(reply);

  /* timeout: the silent subscriber receives the request but never answers */
  reply = TU_SENTINEL;
  int64_t t0 = tu_now_ms();
  CHECK_STATUS(natsrs_connection_request(nc, silent, TEXT("hello?"), 300, &reply),
               NATSRS_STATUS_TIMEOUT);
  int64_t took = tu_now_ms() - t0;
  printf("    timeout after %lld ms (asked 300)\n", (long long)took);
  CHECK(took >= 290 && took < 3000);
  CHECK(reply == TU_SENTINEL);
  natsrs_msg *req = NULL;
  CHECK_OK(natsrs_subscription_next_msg(silent_sub, 5000, &req));
  if (req) {
    CHECK(natsrs_msg_reply(req) != NULL);
    natsrs_msg_free(req);
  }

  /* no responders: fails fast, long before the timeout */
  t0 = tu_now_ms();
  CHECK_STATUS(natsrs_connection_request(nc, nobody, TEXT("anyone?"), 5000, &reply),
               NATSRS_STATUS_NO_RESPONDERS);
  took = tu_now_ms() - t0;
  printf("    no responders after %lld ms (timeout 5000)\n", (long long)took);
  CHECK(took < 2500);
  CHECK(reply == TU_SENTINEL);

  /* still works afterwards */
  CHECK_OK(natsrs_connection_request(nc, subj, TEXT("again"), 5000, &reply));
  if (reply != TU_SENTINEL && reply) {
    check_reply(reply, "re:again");
    natsrs_msg_free(reply);
  }
  CHECK_EQ(tu_counter_get(&respond_errors), 0);
  natsrs_subscription_free(responder);
  natsrs_subscription_free(silent_sub);
  tu_counter_destroy(&respond_errors);
}

static void test_request_new_style(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  run_request_suite(nc);
  natsrs_connection_free(nc);
}

static void test_request_old_style(void) {
  natsrs_options *o = NULL;
  REQUIRE_OK(natsrs_options_new(&o));
  CHECK_OK(natsrs_options_set_url(o, tu_url()));
  CHECK_OK(natsrs_options_set_old_request_style(o, true));
  natsrs_connection *nc = NULL;
  CHECK_OK(natsrs_connection_connect(o, &nc));
  natsrs_options_free(o);
  REQUIRE(nc);
  run_request_suite(nc);
  natsrs_connection_free(nc);
}

/* Requests from several threads at once on one connection. */
typedef struct req_thread {
  natsrs_connection *nc;
  const char *subject;
  int id;
  int ok, wrong;
} req_thread;

static void *request_loop(void *arg) {
  req_thread *t = arg;
  for (int i = 0; i < 50; i++) {
    char q[32], want[40];
    snprintf(q, sizeof q, "t%d-%d", t->id, i);
    snprintf(want, sizeof want, "re:%s", q);
    natsrs_msg *reply = NULL;
    if (natsrs_connection_request(t->nc, t->subject, TEXT(q), 5000, &reply) == NATSRS_STATUS_OK) {
      if (natsrs_msg_data_len(reply) == strlen(want) &&
          memcmp(natsrs_msg_data(reply), want, strlen(want)) == 0)
        t->ok++;
      else
        t->wrong++;
      natsrs_msg_free(reply);
    }
  }
  return NULL;
}

static void test_concurrent_requests(void) {
  natsrs_connection *nc = tu_connect();
  natsrs_connection *srv = tu_connect();
  REQUIRE(nc && srv);
  char subj[200];
  tu_subject(subj, sizeof subj, "svc");
  natsrs_subscription *responder = NULL;
  REQUIRE_OK(natsrs_connection_subscribe(srv, subj, echo_responder, NULL, NULL, &responder));
  CHECK_OK(natsrs_connection_flush(srv, 5000));
  enum { THREADS = 4 };
  pthread_t th[THREADS];
  req_thread rt[THREADS];
  for (int i = 0; i < THREADS; i++) {
    rt[i] = (req_thread){nc, subj, i, 0, 0};
    REQUIRE(pthread_create(&th[i], NULL, request_loop, &rt[i]) == 0);
  }
  for (int i = 0; i < THREADS; i++) {
    pthread_join(th[i], NULL);
    CHECK_EQ(rt[i].ok, 50);
    CHECK_EQ(rt[i].wrong, 0);
  }
  natsrs_subscription_free(responder);
  natsrs_connection_free(nc);
  natsrs_connection_free(srv);
}

static void test_publish_request_and_respond(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  char subj[200];
  tu_subject(subj, sizeof subj, "pr");
  char inbox[256];
  REQUIRE_OK(natsrs_connection_new_inbox(nc, inbox, sizeof inbox));
  natsrs_subscription *svc = NULL, *replies = NULL;
  REQUIRE_OK(natsrs_connection_subscribe_sync(nc, subj, &svc));
  REQUIRE_OK(natsrs_connection_subscribe_sync(nc, inbox, &replies));
  CHECK_OK(natsrs_connection_publish_request(nc, subj, inbox, TEXT("ping")));
  natsrs_msg *req = NULL;
  REQUIRE_OK(natsrs_subscription_next_msg(svc, 5000, &req));
  CHECK_STR(natsrs_msg_reply(req), inbox);
  /* an owned message from next_msg can be answered too */
  CHECK_OK(natsrs_msg_respond(req, TEXT("pong")));
  natsrs_msg *clone = NULL;
  CHECK_OK(natsrs_msg_clone(req, &clone));
  natsrs_msg_free(req);
  if (clone) { /* a clone still knows where to answer */
    CHECK_OK(natsrs_msg_respond(clone, TEXT("pong2")));
    natsrs_msg_free(clone);
  }
  natsrs_msg *r = NULL;
  REQUIRE_OK(natsrs_subscription_next_msg(replies, 5000, &r));
  check_reply(r, "pong");
  natsrs_msg_free(r);
  r = NULL;
  CHECK_OK(natsrs_subscription_next_msg(replies, 5000, &r));
  if (r)
    check_reply(r, "pong2");
  natsrs_msg_free(r);
  natsrs_subscription_free(svc);
  natsrs_subscription_free(replies);
  natsrs_connection_free(nc);
}

/* ---- headers ---- */

static bool has_key(const char *const *keys, size_t n, const char *k) {
  for (size_t i = 0; i < n; i++)
    if (keys[i] && strcmp(keys[i], k) == 0)
      return true;
  return false;
}

static void check_values(const natsrs_msg *m, const char *key, const char *const *want,
                         size_t nwant) {
  const char *const *vals = NULL;
  size_t n = 0;
  natsrs_status s = natsrs_msg_header_values(m, key, &vals, &n);
  if (s != NATSRS_STATUS_OK) {
    tu_fail(__FILE__, __LINE__, "header_values(%s): %s", key, natsrs_status_str(s));
    return;
  }
  CHECK_EQ(n, nwant);
  for (size_t i = 0; i < n && i < nwant; i++)
    CHECK_STR(vals[i], want[i]);
}

static void test_headers_local_api(void) {
  natsrs_msg *m = NULL;
  REQUIRE_OK(natsrs_msg_create("h.local", "h.reply", TEXT("body"), &m));
  const char *const *keys = TU_SENTINEL;
  size_t n = 99;
  CHECK_OK(natsrs_msg_header_keys(m, &keys, &n)); /* no headers yet */
  CHECK_EQ(n, 0);

  CHECK_OK(natsrs_msg_header_set(m, "A", "1"));
  CHECK_OK(natsrs_msg_header_add(m, "A", "2"));
  CHECK_OK(natsrs_msg_header_add(m, "A", "3"));
  CHECK_OK(natsrs_msg_header_add(m, "B", "only"));
  CHECK_OK(natsrs_msg_header_set(m, "Empty", ""));
  const char *v = NULL;
  CHECK_OK(natsrs_msg_header_get(m, "A", &v));
  CHECK_STR(v, "1"); /* first value */
  const char *const want_a[] = {"1", "2", "3"};
  check_values(m, "A", want_a, 3);
  CHECK_OK(natsrs_msg_header_get(m, "Empty", &v));
  CHECK_STR(v, "");
  CHECK_OK(natsrs_msg_header_keys(m, &keys, &n));
  CHECK_EQ(n, 3);
  CHECK(has_key(keys, n, "A") && has_key(keys, n, "B") && has_key(keys, n, "Empty"));

  /* set replaces all values */
  CHECK_OK(natsrs_msg_header_set(m, "A", "x"));
  const char *const want_x[] = {"x"};
  check_values(m, "A", want_x, 1);

  /* delete */
  CHECK_OK(natsrs_msg_header_delete(m, "A"));
  CHECK_STATUS(natsrs_msg_header_get(m, "A", &v), NATSRS_STATUS_NOT_FOUND);
  CHECK_STATUS(natsrs_msg_header_delete(m, "A"), NATSRS_STATUS_NOT_FOUND);
  CHECK_OK(natsrs_msg_header_keys(m, &keys, &n));
  CHECK_EQ(n, 2);
  CHECK(!has_key(keys, n, "A"));

  /* clone carries headers, subject, reply and data, and is independent */
  natsrs_msg *c = NULL;
  REQUIRE_OK(natsrs_msg_clone(m, &c));
  natsrs_msg_free(m);
  CHECK_STR(natsrs_msg_subject(c), "h.local");
  CHECK_STR(natsrs_msg_reply(c), "h.reply");
  CHECK_EQ(natsrs_msg_data_len(c), 4);
  CHECK_OK(natsrs_msg_header_get(c, "B", &v));
  CHECK_STR(v, "only");
  natsrs_msg_free(c);
}

static void test_headers_over_the_wire(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  char subj[200];
  tu_subject(subj, sizeof subj, "hdr");
  natsrs_subscription *sub = NULL;
  REQUIRE_OK(natsrs_connection_subscribe_sync(nc, subj, &sub));
  natsrs_msg *m = NULL;
  REQUIRE_OK(natsrs_msg_create(subj, "some.reply", TEXT("payload"), &m));
  CHECK_OK(natsrs_msg_header_set(m, "Content-Type", "application/json"));
  CHECK_OK(natsrs_msg_header_add(m, "X-Multi", "one"));
  CHECK_OK(natsrs_msg_header_add(m, "X-Multi", "two"));
  CHECK_OK(natsrs_msg_header_add(m, "X-Multi", "three with spaces"));
  CHECK_OK(natsrs_msg_header_set(m, "X-Utf8", "h\xc3\xa9llo"));
  CHECK_OK(natsrs_connection_publish_msg(nc, m));
  /* headers with an empty payload */
  natsrs_msg *e = NULL;
  REQUIRE_OK(natsrs_msg_create(subj, NULL, NULL, 0, &e));
  CHECK_OK(natsrs_msg_header_set(e, "K", "v"));
  CHECK_OK(natsrs_connection_publish_msg(nc, e));
  natsrs_msg_free(e);
  natsrs_msg_free(m);

  natsrs_msg *in = NULL;
  REQUIRE_OK(natsrs_subscription_next_msg(sub, 5000, &in));
  CHECK_STR(natsrs_msg_subject(in), subj);
  CHECK_STR(natsrs_msg_reply(in), "some.reply");
  check_reply(in, "payload");
  CHECK_EQ(natsrs_msg_status_code(in), 0);
  const char *v = NULL;
  CHECK_OK(natsrs_msg_header_get(in, "Content-Type", &v));
  CHECK_STR(v, "application/json");
  const char *const want[] = {"one", "two", "three with spaces"};
  check_values(in, "X-Multi", want, 3);
  CHECK_OK(natsrs_msg_header_get(in, "X-Utf8", &v));
  CHECK_STR(v, "h\xc3\xa9llo");
  const char *const *keys = NULL;
  size_t n = 0;
  CHECK_OK(natsrs_msg_header_keys(in, &keys, &n));
  CHECK_EQ(n, 3);
  CHECK(has_key(keys, n, "Content-Type") && has_key(keys, n, "X-Multi") &&
        has_key(keys, n, "X-Utf8"));
  /* a received message's headers can be edited locally */
  CHECK_OK(natsrs_msg_header_add(in, "X-Multi", "four"));
  check_values(in, "X-Multi", (const char *const[]){"one", "two", "three with spaces", "four"}, 4);
  natsrs_msg_free(in);

  in = NULL;
  REQUIRE_OK(natsrs_subscription_next_msg(sub, 5000, &in));
  CHECK_EQ(natsrs_msg_data_len(in), 0);
  CHECK_OK(natsrs_msg_header_get(in, "K", &v));
  CHECK_STR(v, "v");
  natsrs_msg_free(in);
  natsrs_subscription_free(sub);
  natsrs_connection_free(nc);
}

/* Responder that answers with headers through publish_msg on the reply subject. */
static void header_responder(void *ud, natsrs_subscription *sub, const natsrs_msg *msg) {
  natsrs_connection *nc = ud;
  (void)sub;
  const char *v = NULL;
  natsrs_msg *out = NULL;
  if (natsrs_msg_create(natsrs_msg_reply(msg), NULL, TEXT("with headers"), &out) !=
      NATSRS_STATUS_OK)
    return;
  if (natsrs_msg_header_get(msg, "X-Req", &v) == NATSRS_STATUS_OK)
    natsrs_msg_header_set(out, "X-Echo", v);
  natsrs_msg_header_add(out, "X-Resp", "a");
  natsrs_msg_header_add(out, "X-Resp", "b");
  natsrs_connection_publish_msg(nc, out);
  natsrs_msg_free(out);
}

static void test_request_msg_with_headers(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  char subj[200];
  tu_subject(subj, sizeof subj, "hreq");
  natsrs_subscription *responder = NULL;
  REQUIRE_OK(natsrs_connection_subscribe(nc, subj, header_responder, nc, NULL, &responder));
  CHECK_OK(natsrs_connection_flush(nc, 5000));
  natsrs_msg *req = NULL;
  REQUIRE_OK(natsrs_msg_create(subj, NULL, TEXT("q"), &req));
  CHECK_OK(natsrs_msg_header_set(req, "X-Req", "token-123"));
  natsrs_msg *reply = NULL;
  CHECK_OK(natsrs_connection_request_msg(nc, req, 5000, &reply));
  if (reply) {
    const char *v = NULL;
    CHECK_OK(natsrs_msg_header_get(reply, "X-Echo", &v));
    CHECK_STR(v, "token-123");
    check_values(reply, "X-Resp", (const char *const[]){"a", "b"}, 2);
    check_reply(reply, "with headers");
    natsrs_msg_free(reply);
  }
  natsrs_msg_free(req);
  natsrs_subscription_free(responder);
  natsrs_connection_free(nc);
}

static void test_no_responders_status_code(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  char subj[200], inbox[256];
  tu_subject(subj, sizeof subj, "nobody");
  REQUIRE_OK(natsrs_connection_new_inbox(nc, inbox, sizeof inbox));
  natsrs_subscription *replies = NULL;
  REQUIRE_OK(natsrs_connection_subscribe_sync(nc, inbox, &replies));
  /* publishing a request nobody can answer: the server sends a 503 status
     message to our reply subject */
  CHECK_OK(natsrs_connection_publish_request(nc, subj, inbox, TEXT("hello?")));
  natsrs_msg *m = NULL;
  REQUIRE_OK(natsrs_subscription_next_msg(replies, 5000, &m));
  printf("    status message: code %d, %zu bytes\n", (int)natsrs_msg_status_code(m),
         natsrs_msg_data_len(m));
  CHECK_EQ(natsrs_msg_status_code(m), 503);
  CHECK_EQ(natsrs_msg_data_len(m), 0);
  CHECK_STR(natsrs_msg_subject(m), inbox);
  natsrs_msg_free(m);
  natsrs_subscription_free(replies);
  natsrs_connection_free(nc);
}

typedef struct pending_req {
  natsrs_connection *nc;
  const char *subject;
  natsrs_status status;
  int64_t took_ms;
  char error[256]; /* natsrs_last_error_message() of that thread */
} pending_req;

static void *slow_request(void *arg) {
  pending_req *p = arg;
  natsrs_msg *m = NULL;
  int64_t t0 = tu_now_ms();
  p->status = natsrs_connection_request(p->nc, p->subject, TEXT("anyone?"), 10000, &m);
  p->took_ms = tu_now_ms() - t0;
  snprintf(p->error, sizeof p->error, "%s", natsrs_last_error_message());
  if (p->status == NATSRS_STATUS_OK)
    natsrs_msg_free(m);
  return NULL;
}

/* Closing the connection fails the requests waiting on it right away. */
static void test_request_fails_when_connection_closes(void) {
  natsrs_connection *nc = tu_connect();
  natsrs_connection *srv = tu_connect();
  REQUIRE(nc && srv);
  char subj[200];
  tu_subject(subj, sizeof subj, "silent");
  natsrs_subscription *silent = NULL;
  REQUIRE_OK(natsrs_connection_subscribe_sync(srv, subj, &silent));
  CHECK_OK(natsrs_connection_flush(srv, 5000));
  pending_req p = {nc, subj, NATSRS_STATUS_PANIC, -1, ""};
  pthread_t th;
  REQUIRE(pthread_create(&th, NULL, slow_request, &p) == 0);
  natsrs_msg *req = NULL;
  CHECK_OK(natsrs_subscription_next_msg(silent, 5000, &req)); /* the request is in flight */
  natsrs_msg_free(req);
  CHECK_OK(natsrs_connection_close(nc));
  pthread_join(th, NULL);
  printf("    request returned %s after %lld ms\n", natsrs_status_str(p.status),
         (long long)p.took_ms);
  CHECK_EQ(p.status, NATSRS_STATUS_CONNECTION_CLOSED);
  CHECK(p.error[0] != '\0');
  CHECK(p.took_ms < 5000);
  natsrs_subscription_free(silent);
  natsrs_connection_free(nc);
  natsrs_connection_free(srv);
}

static const tu_test tests[] = {
    TU_TEST(test_request_new_style),
    TU_TEST(test_request_old_style),
    TU_TEST(test_concurrent_requests),
    TU_TEST(test_publish_request_and_respond),
    TU_TEST(test_headers_local_api),
    TU_TEST(test_headers_over_the_wire),
    TU_TEST(test_request_msg_with_headers),
    TU_TEST(test_no_responders_status_code),
    TU_TEST(test_request_fails_when_connection_closes),
};

int main(int argc, char **argv) { return tu_main(argc, argv, tests, TU_COUNT(tests)); }
