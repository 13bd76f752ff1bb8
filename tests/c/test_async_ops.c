/* Non-blocking calls: request/flush with completion callbacks and cancel, and a subscription's
 * notification fd with the non-blocking batch receive. */
#include "test_util.h"

#include <poll.h>
#include <unistd.h>

typedef struct {
  tu_counter done;
  tu_counter freed;
  _Atomic int status;
  natsrs_msg *msg;
} completion;

static void on_reply(void *ud, natsrs_status st, natsrs_msg *m) {
  completion *c = ud;
  c->status = st;
  c->msg = m;
  tu_counter_add(&c->done, 1);
}

static void on_status(void *ud, natsrs_status st) {
  completion *c = ud;
  c->status = st;
  tu_counter_add(&c->done, 1);
}

static void on_free(void *ud) { tu_counter_add(&((completion *)ud)->freed, 1); }

static void echo(void *ud, natsrs_subscription *sub, const natsrs_msg *m) {
  (void)ud; (void)sub;
  natsrs_msg_respond(m, natsrs_msg_data(m), natsrs_msg_data_len(m));
}

static void init(completion *c) {
  memset(c, 0, sizeof *c);
  tu_counter_init(&c->done);
  tu_counter_init(&c->freed);
  c->status = -1;
}

static void fini(completion *c) {
  if (c->msg) natsrs_msg_free(c->msg);
  tu_counter_destroy(&c->done);
  tu_counter_destroy(&c->freed);
}

static void test_request_async_reply_timeout_no_responders(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  char subj[128];
  tu_subject(subj, sizeof subj, "svc");
  natsrs_subscription *sub = NULL;
  REQUIRE_OK(natsrs_connection_subscribe(nc, subj, echo, NULL, NULL, &sub));
  CHECK_OK(natsrs_connection_flush(nc, 2000));

  completion c;
  init(&c);
  uint64_t id = 0;
  CHECK_OK(natsrs_connection_request_async(nc, subj, TEXT("ping"), 2000, on_reply, &c, on_free, &id));
  CHECK(id != 0);
  CHECK_EQ(tu_counter_wait(&c.done, 1, 5000), 1);
  CHECK_EQ(c.status, NATSRS_STATUS_OK);
  REQUIRE(c.msg != NULL);
  CHECK_EQ(natsrs_msg_data_len(c.msg), 4);
  CHECK_EQ(tu_counter_wait(&c.freed, 1, 1000), 1);
  /* Completed: cancel finds nothing. */
  CHECK_STATUS(natsrs_connection_request_cancel(nc, id), NATSRS_STATUS_NOT_FOUND);
  fini(&c);

  /* No responders, at once. */
  char none[128];
  tu_subject(none, sizeof none, "nobody");
  init(&c);
  CHECK_OK(natsrs_connection_request_async(nc, none, TEXT("x"), 5000, on_reply, &c, on_free, NULL));
  CHECK_EQ(tu_counter_wait(&c.done, 1, 2000), 1);
  CHECK_EQ(c.status, NATSRS_STATUS_NO_RESPONDERS);
  CHECK(c.msg == NULL);
  /* userdata_free runs after the handler: wait for it before `c` is reused. */
  CHECK_EQ(tu_counter_wait(&c.freed, 1, 1000), 1);
  fini(&c);

  /* A subscriber that never answers: timeout. */
  char silent[128];
  tu_subject(silent, sizeof silent, "silent");
  natsrs_subscription *s2 = NULL;
  REQUIRE_OK(natsrs_connection_subscribe_sync(nc, silent, &s2));
  CHECK_OK(natsrs_connection_flush(nc, 2000));
  init(&c);
  int64_t t0 = tu_now_ms();
  CHECK_OK(natsrs_connection_request_async(nc, silent, TEXT("x"), 100, on_reply, &c, on_free, NULL));
  CHECK_EQ(tu_counter_wait(&c.done, 1, 3000), 1);
  CHECK_EQ(c.status, NATSRS_STATUS_TIMEOUT);
  CHECK(tu_now_ms() - t0 >= 90);
  CHECK_EQ(tu_counter_wait(&c.freed, 1, 1000), 1);
  fini(&c);

  /* Cancel while pending: the handler never runs, userdata_free does. */
  init(&c);
  CHECK_OK(natsrs_connection_request_async(nc, silent, TEXT("x"), 300, on_reply, &c, on_free, &id));
  CHECK_OK(natsrs_connection_request_cancel(nc, id));
  CHECK_EQ(tu_counter_get(&c.freed), 1);
  tu_sleep_ms(500);
  CHECK_EQ(tu_counter_get(&c.done), 0);
  fini(&c);

  /* Bad arguments: no handler run, userdata freed. */
  init(&c);
  CHECK_STATUS(natsrs_connection_request_async(nc, subj, TEXT("x"), 0, on_reply, &c, on_free, NULL), NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(natsrs_connection_request_async(NULL, subj, TEXT("x"), 10, on_reply, &c, on_free, NULL), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_STATUS(natsrs_connection_request_async(nc, subj, TEXT("x"), 10, NULL, &c, on_free, NULL), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_EQ(tu_counter_get(&c.freed), 3);
  CHECK_EQ(tu_counter_get(&c.done), 0);
  fini(&c);

  natsrs_subscription_free(s2);
  natsrs_subscription_free(sub);
  natsrs_connection_free(nc);
}

static void test_close_completes_pending_async_calls(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  char silent[128];
  tu_subject(silent, sizeof silent, "silent");
  natsrs_subscription *s = NULL;
  REQUIRE_OK(natsrs_connection_subscribe_sync(nc, silent, &s));
  CHECK_OK(natsrs_connection_flush(nc, 2000));
  completion c[8];
  for (int i = 0; i < 8; i++) {
    init(&c[i]);
    CHECK_OK(natsrs_connection_request_async(nc, silent, TEXT("x"), 60000, on_reply, &c[i], on_free, NULL));
  }
  natsrs_connection_close(nc);
  /* Every completion ran (closed) and released its userdata before close returned. */
  for (int i = 0; i < 8; i++) {
    CHECK_EQ(tu_counter_get(&c[i].done), 1);
    CHECK_EQ(c[i].status, NATSRS_STATUS_CONNECTION_CLOSED);
    CHECK_EQ(tu_counter_get(&c[i].freed), 1);
    fini(&c[i]);
  }
  completion f;
  init(&f);
  CHECK_STATUS(natsrs_connection_flush_async(nc, 1000, on_status, &f, on_free), NATSRS_STATUS_CONNECTION_CLOSED);
  CHECK_EQ(tu_counter_get(&f.freed), 1);
  fini(&f);
  natsrs_subscription_free(s);
  natsrs_connection_free(nc);
}

static void test_flush_async(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  completion c;
  init(&c);
  CHECK_OK(natsrs_connection_publish(nc, "x.y", TEXT("z")));
  CHECK_OK(natsrs_connection_flush_async(nc, 2000, on_status, &c, on_free));
  CHECK_EQ(tu_counter_wait(&c.done, 1, 3000), 1);
  CHECK_EQ(c.status, NATSRS_STATUS_OK);
  CHECK_EQ(tu_counter_wait(&c.freed, 1, 1000), 1);
  fini(&c);
  natsrs_connection_free(nc);
}

static bool readable(int fd, int ms) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  return poll(&p, 1, ms) == 1;
}

static void test_notify_fd_and_try_next_msgs(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  char subj[128];
  tu_subject(subj, sizeof subj, "fd");
  natsrs_subscription *sub = NULL;
  REQUIRE_OK(natsrs_connection_subscribe_sync(nc, subj, &sub));
  int32_t fd = -1;
  REQUIRE_OK(natsrs_subscription_notify_fd(sub, &fd));
  CHECK(fd >= 0);
  CHECK(!readable(fd, 50));
  natsrs_msg *batch[64];
  size_t n = 99;
  CHECK_OK(natsrs_subscription_try_next_msgs(sub, 64, batch, &n));
  CHECK_EQ(n, 0);
  for (int i = 0; i < 100; i++) CHECK_OK(natsrs_connection_publish(nc, subj, TEXT("m")));
  CHECK_OK(natsrs_connection_flush(nc, 2000));
  CHECK(readable(fd, 2000));
  uint64_t v;
  CHECK(read(fd, &v, sizeof v) == (ssize_t)sizeof v);
  size_t total = 0;
  for (;;) {
    CHECK_OK(natsrs_subscription_try_next_msgs(sub, 64, batch, &n));
    if (n == 0) break;
    for (size_t i = 0; i < n; i++) natsrs_msg_free(batch[i]);
    total += n;
  }
  CHECK_EQ(total, 100);
  CHECK(!readable(fd, 50));
  /* The end of the subscription is signalled too. */
  CHECK_OK(natsrs_subscription_unsubscribe(sub));
  CHECK(readable(fd, 1000));
  CHECK_STATUS(natsrs_subscription_try_next_msgs(sub, 64, batch, &n), NATSRS_STATUS_INVALID_SUBSCRIPTION);
  /* Async subscriptions have no fd. */
  natsrs_subscription *as = NULL;
  REQUIRE_OK(natsrs_connection_subscribe(nc, subj, echo, NULL, NULL, &as));
  CHECK_STATUS(natsrs_subscription_notify_fd(as, &fd), NATSRS_STATUS_ILLEGAL_STATE);
  CHECK_STATUS(natsrs_subscription_try_next_msgs(NULL, 1, batch, &n), NATSRS_STATUS_NULL_PARAMETER);
  natsrs_subscription_free(as);
  natsrs_subscription_free(sub);
  natsrs_connection_free(nc);
}

typedef struct {
  tu_counter got;
  _Atomic int last;
  _Atomic int disorder;
} ordered;

static void in_order(void *ud, natsrs_subscription *sub, const natsrs_msg *m) {
  (void)sub;
  ordered *o = ud;
  char buf[16] = {0};
  size_t n = natsrs_msg_data_len(m) < sizeof buf - 1 ? natsrs_msg_data_len(m) : sizeof buf - 1;
  memcpy(buf, natsrs_msg_data(m), n);
  int v = atoi(buf);
  if (v != o->last + 1) o->disorder = 1;
  o->last = v;
  tu_counter_add(&o->got, 1);
}

static void test_delivery_pool(void) {
  natsrs_options *opts = NULL;
  REQUIRE_OK(natsrs_options_new(&opts));
  CHECK_OK(natsrs_options_set_url(opts, tu_url()));
  CHECK_STATUS(natsrs_options_set_delivery_pool_threads(opts, -1), NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(natsrs_options_set_delivery_pool_threads(NULL, 2), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_OK(natsrs_options_set_delivery_pool_threads(opts, 2));
  natsrs_connection *nc = NULL;
  REQUIRE_OK(natsrs_connection_connect(opts, &nc));
  natsrs_options_free(opts);
  ordered o[8];
  natsrs_subscription *subs[8];
  for (int i = 0; i < 8; i++) {
    memset(&o[i], 0, sizeof o[i]);
    tu_counter_init(&o[i].got);
    char subj[128], sfx[16];
    snprintf(sfx, sizeof sfx, "p%d", i);
    tu_subject(subj, sizeof subj, sfx);
    REQUIRE_OK(natsrs_connection_subscribe(nc, subj, in_order, &o[i], NULL, &subs[i]));
  }
  for (int n = 1; n <= 200; n++) {
    char buf[16];
    int len = snprintf(buf, sizeof buf, "%d", n);
    for (int i = 0; i < 8; i++) {
      char subj[128], sfx[16];
      snprintf(sfx, sizeof sfx, "p%d", i);
      tu_subject(subj, sizeof subj, sfx);
      CHECK_OK(natsrs_connection_publish(nc, subj, (const uint8_t *)buf, (size_t)len));
    }
  }
  CHECK_OK(natsrs_connection_flush(nc, 2000));
  for (int i = 0; i < 8; i++) {
    CHECK_EQ(tu_counter_wait(&o[i].got, 200, 5000), 200);
    CHECK_EQ(o[i].disorder, 0);
    natsrs_subscription_free(subs[i]);
    tu_counter_destroy(&o[i].got);
  }
  natsrs_connection_free(nc);
}

static const tu_test tests[] = {
    TU_TEST(test_delivery_pool),
    TU_TEST(test_request_async_reply_timeout_no_responders),
    TU_TEST(test_close_completes_pending_async_calls),
    TU_TEST(test_flush_async),
    TU_TEST(test_notify_fd_and_try_next_msgs),
};

int main(int argc, char **argv) { return tu_main(argc, argv, tests, TU_COUNT(tests)); }
