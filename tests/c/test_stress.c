/*
 * test_stress.c - thousands of create/free cycles of options, messages,
 * subscriptions, server-info snapshots and connections. Run under ASan/LSan:
 * any leak or double free fails the test.
 */
#include "test_util.h"

static atomic_int ud_frees;
static void count_free(void *ud) {
  (void)ud;
  atomic_fetch_add(&ud_frees, 1);
}
static void noop_closed(void *ud, natsrs_connection *nc) {
  (void)ud;
  (void)nc;
}
static void noop_err(void *ud, natsrs_connection *nc, natsrs_subscription *sub, natsrs_status s,
                     const char *t) {
  (void)ud;
  (void)nc;
  (void)sub;
  (void)s;
  (void)t;
}
static void noop_msg(void *ud, natsrs_subscription *sub, const natsrs_msg *msg) {
  (void)ud;
  (void)sub;
  (void)msg;
}

static void test_options_cycles(void) {
  atomic_store(&ud_frees, 0);
  enum { N = 5000 };
  const char *urls[] = {"nats://127.0.0.1:4222", "nats://127.0.0.1:4223"};
  for (int i = 0; i < N; i++) {
    natsrs_options *o = NULL;
    REQUIRE_OK(natsrs_options_new(&o));
    CHECK_OK(natsrs_options_set_url(o, "nats://127.0.0.1:4222,nats://127.0.0.1:4223"));
    CHECK_OK(natsrs_options_set_servers(o, urls, 2));
    CHECK_OK(natsrs_options_set_name(o, "stress"));
    CHECK_OK(natsrs_options_set_inbox_prefix(o, "_S.INBOX"));
    CHECK_OK(natsrs_options_set_user_info(o, "user", "pass"));
    CHECK_OK(natsrs_options_set_token(o, "tok"));
    CHECK_OK(natsrs_options_set_pending_limits(o, 100, 1 << 20));
    CHECK_OK(natsrs_options_set_closed_handler(o, noop_closed, NULL, count_free));
    CHECK_OK(natsrs_options_set_error_handler(o, noop_err, NULL, count_free));
    if (i % 2)
      CHECK_OK(natsrs_options_set_closed_handler(o, noop_closed, NULL, count_free)); /* replace */
    natsrs_options_free(o);
    if (tu_failures())
      return;
  }
  CHECK_EQ(atomic_load(&ud_frees), 2 * N + N / 2);
}

static void test_msg_cycles(void) {
  enum { N = 5000 };
  uint8_t data[512];
  memset(data, 'd', sizeof data);
  for (int i = 0; i < N; i++) {
    natsrs_msg *m = NULL, *c = NULL;
    REQUIRE_OK(natsrs_msg_create("stress.msg", i % 2 ? "stress.reply" : NULL, data,
                                 (size_t)(i % (int)sizeof data), &m));
    CHECK_OK(natsrs_msg_header_set(m, "A", "1"));
    CHECK_OK(natsrs_msg_header_add(m, "A", "2"));
    CHECK_OK(natsrs_msg_header_add(m, "B", "3"));
    const char *const *keys = NULL;
    size_t n = 0;
    CHECK_OK(natsrs_msg_header_keys(m, &keys, &n));
    CHECK_OK(natsrs_msg_header_values(m, "A", &keys, &n));
    CHECK_OK(natsrs_msg_header_delete(m, "B"));
    CHECK_OK(natsrs_msg_clone(m, &c));
    natsrs_msg_free(m);
    natsrs_msg_free(c);
    if (tu_failures())
      return;
  }
}

static void test_subscription_cycles(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  atomic_store(&ud_frees, 0);
  char subj[200];
  enum { SYNC = 2000, ASYNC = 500 };
  for (int i = 0; i < SYNC; i++) {
    natsrs_subscription *sub = NULL;
    tu_subject(subj, sizeof subj, i % 2 ? "s.a" : "s.b");
    if (i % 3 == 0)
      REQUIRE_OK(natsrs_connection_queue_subscribe_sync(nc, subj, "q", &sub));
    else
      REQUIRE_OK(natsrs_connection_subscribe_sync(nc, subj, &sub));
    if (i % 4 == 0)
      CHECK_OK(natsrs_subscription_unsubscribe(sub));
    natsrs_subscription_free(sub);
  }
  for (int i = 0; i < ASYNC; i++) {
    natsrs_subscription *sub = NULL;
    tu_subject(subj, sizeof subj, "a");
    REQUIRE_OK(natsrs_connection_subscribe(nc, subj, noop_msg, NULL, count_free, &sub));
    if (i % 2 == 0)
      CHECK_OK(natsrs_connection_publish(nc, subj, TEXT("x")));
    natsrs_subscription_free(sub);
    if (atomic_load(&ud_frees) != i + 1) { /* userdata_free has run when free returns */
      tu_fail(__FILE__, __LINE__, "after %d async frees, userdata_free ran %d times", i + 1,
              atomic_load(&ud_frees));
      break;
    }
  }
  int64_t deadline = tu_now_ms() + 5000;
  while (atomic_load(&ud_frees) < ASYNC && tu_now_ms() < deadline)
    tu_sleep_ms(5);
  CHECK_EQ(atomic_load(&ud_frees), ASYNC);
  /* the connection still works, with no subscriptions left behind */
  tu_subject(subj, sizeof subj, "final");
  natsrs_subscription *sub = NULL;
  REQUIRE_OK(natsrs_connection_subscribe_sync(nc, subj, &sub));
  CHECK_OK(natsrs_connection_publish(nc, subj, TEXT("done")));
  natsrs_msg *m = NULL;
  CHECK_OK(natsrs_subscription_next_msg(sub, 5000, &m));
  natsrs_msg_free(m);
  natsrs_subscription_free(sub);
  natsrs_connection_free(nc);
}

static void test_message_traffic_cycles(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  char subj[200];
  tu_subject(subj, sizeof subj, "t");
  natsrs_subscription *sub = NULL;
  REQUIRE_OK(natsrs_connection_subscribe_sync(nc, subj, &sub));
  enum { N = 5000 };
  int got = 0;
  for (int round = 0; round < 10; round++) {
    for (int i = 0; i < N / 10; i++) {
      natsrs_msg *m = NULL;
      REQUIRE_OK(natsrs_msg_create(subj, NULL, TEXT("with header"), &m));
      CHECK_OK(natsrs_msg_header_set(m, "I", "x"));
      CHECK_OK(natsrs_connection_publish_msg(nc, m));
      natsrs_msg_free(m);
    }
    for (int i = 0; i < N / 10; i++) {
      natsrs_msg *m = NULL;
      if (natsrs_subscription_next_msg(sub, 5000, &m) != NATSRS_STATUS_OK)
        break;
      got++;
      natsrs_msg_free(m);
    }
  }
  CHECK_EQ(got, N);
  natsrs_subscription_free(sub);
  natsrs_connection_free(nc);
}

static void test_server_info_cycles(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  for (int i = 0; i < 2000; i++) {
    natsrs_server_info *si = NULL;
    REQUIRE_OK(natsrs_connection_server_info(nc, &si));
    CHECK(natsrs_server_info_version(si) != NULL);
    natsrs_server_info_free(si);
  }
  natsrs_connection_free(nc);
}

static void test_connection_cycles(void) {
  for (int i = 0; i < 50; i++) {
    natsrs_connection *nc = tu_connect();
    REQUIRE(nc);
    char subj[200];
    tu_subject(subj, sizeof subj, "c");
    natsrs_subscription *sub = NULL;
    CHECK_OK(natsrs_connection_subscribe(nc, subj, noop_msg, NULL, NULL, &sub));
    CHECK_OK(natsrs_connection_publish(nc, subj, TEXT("x")));
    CHECK_OK(natsrs_connection_flush(nc, 5000));
    if (i % 2)
      CHECK_OK(natsrs_connection_close(nc));
    if (i % 3 == 0) { /* subscription freed after its connection */
      natsrs_connection_free(nc);
      natsrs_subscription_free(sub);
    } else {
      natsrs_subscription_free(sub);
      natsrs_connection_free(nc);
    }
  }
}

static const tu_test tests[] = {
    TU_TEST(test_options_cycles),
    TU_TEST(test_msg_cycles),
    TU_TEST(test_subscription_cycles),
    TU_TEST(test_message_traffic_cycles),
    TU_TEST(test_server_info_cycles),
    TU_TEST(test_connection_cycles),
};

int main(int argc, char **argv) { return tu_main(argc, argv, tests, TU_COUNT(tests)); }
