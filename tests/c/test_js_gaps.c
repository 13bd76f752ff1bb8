/* JetStream calls the Go and Python bindings need, from C under ASan/UBSan, against a server
 * started with -js: the stored sequence and time of a stream read, push subscriptions on a
 * chosen deliver subject and in a synchronous queue group, pending and dropped counts of a
 * push subscription, get of the next message on a subject. */
#include "test_util.h"

#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

/* Context plus a stream "G<pid>" capturing "gap<pid>.>" (allow direct); NULL on failure. */
static natsrs_jetstream *setup(natsrs_connection **nc, char *stream, size_t slen, char *pfx, size_t plen) {
  char wild[80];
  snprintf(stream, slen, "G%d", (int)getpid());
  snprintf(pfx, plen, "gap%d", (int)getpid());
  snprintf(wild, sizeof wild, "%s.>", pfx);
  *nc = tu_connect();
  if (!*nc) return NULL;
  natsrs_jetstream *js = NULL;
  if (natsrs_jetstream_new(*nc, NULL, &js) != NATSRS_STATUS_OK) return NULL;
  natsrs_stream_config *cfg = NULL;
  natsrs_stream_config_new(stream, &cfg);
  natsrs_stream_config_add_subject(cfg, wild);
  natsrs_stream_config_set_storage(cfg, NATSRS_STORAGE_TYPE_MEMORY);
  natsrs_stream_config_set_allow_direct(cfg, true);
  natsrs_status s = natsrs_jetstream_add_stream(js, cfg, NULL);
  natsrs_stream_config_free(cfg);
  if (s != NATSRS_STATUS_OK) {
    tu_fail(__FILE__, __LINE__, "add_stream: %s", natsrs_last_error_message());
    natsrs_jetstream_free(js);
    return NULL;
  }
  return js;
}

static void teardown(natsrs_connection *nc, natsrs_jetstream *js, const char *stream) {
  if (js) {
    natsrs_jetstream_delete_stream(js, stream);
    natsrs_jetstream_free(js);
  }
  if (nc) natsrs_connection_free(nc);
}

static void pub(natsrs_jetstream *js, const char *subj, const char *data) {
  CHECK_OK(natsrs_jetstream_publish(js, subj, (const uint8_t *)data, strlen(data), NULL, NULL));
}

/* A stored time is within a day of the local clock (no test asserts an exact time). */
static int plausible_ns(int64_t ns) {
  int64_t now = (int64_t)time(NULL) * 1000000000LL;
  int64_t day = 86400LL * 1000000000LL;
  return ns > now - day && ns < now + day;
}

static void test_stored_seq_and_time(void) {
  char stream[64], pfx[64], a[96], b[96];
  natsrs_connection *nc = NULL;
  natsrs_jetstream *js = setup(&nc, stream, sizeof stream, pfx, sizeof pfx);
  REQUIRE(js);
  snprintf(a, sizeof a, "%s.a", pfx);
  snprintf(b, sizeof b, "%s.b", pfx);
  pub(js, a, "one");
  pub(js, b, "two");
  pub(js, a, "three");

  for (int direct = 0; direct < 2; direct++) {
    natsrs_msg *m = NULL;
    REQUIRE_OK(natsrs_jetstream_get_msg(js, stream, 2, direct, &m));
    uint64_t seq = 0;
    int64_t ns = 0;
    CHECK_OK(natsrs_msg_stored_seq(m, &seq));
    CHECK_EQ(seq, 2);
    CHECK_OK(natsrs_msg_stored_time_ns(m, &ns));
    CHECK(plausible_ns(ns));
    CHECK_STR(natsrs_msg_subject(m), b);
    /* A clone keeps the stored position. */
    natsrs_msg *c = NULL;
    REQUIRE_OK(natsrs_msg_clone(m, &c));
    seq = 0;
    CHECK_OK(natsrs_msg_stored_seq(c, &seq));
    CHECK_EQ(seq, 2);
    natsrs_msg_free(c);
    natsrs_msg_free(m);

    m = NULL;
    REQUIRE_OK(natsrs_jetstream_get_last_msg(js, stream, a, direct, &m));
    CHECK_OK(natsrs_msg_stored_seq(m, &seq));
    CHECK_EQ(seq, 3);
    int64_t ns3 = 0;
    CHECK_OK(natsrs_msg_stored_time_ns(m, &ns3));
    CHECK(ns3 >= ns);
    CHECK_EQ(natsrs_msg_data_len(m), 5);
    /* The server's Nats-* headers of a direct get are not the message's own. */
    const char *v = NULL;
    CHECK_STATUS(natsrs_msg_header_get(m, "Nats-Sequence", &v), NATSRS_STATUS_NOT_FOUND);
    natsrs_msg_free(m);
  }

  /* A consumer delivery has them too (from its ack subject). */
  natsrs_js_subscription *sub = NULL;
  REQUIRE_OK(natsrs_jetstream_subscribe_sync(js, b, NULL, &sub));
  natsrs_msg *d = NULL;
  REQUIRE_OK(natsrs_js_subscription_next_msg(sub, 5000, &d));
  uint64_t seq = 0;
  int64_t ns = 0;
  CHECK_OK(natsrs_msg_stored_seq(d, &seq));
  CHECK_EQ(seq, 2);
  CHECK_OK(natsrs_msg_stored_time_ns(d, &ns));
  CHECK(plausible_ns(ns));
  natsrs_msg_free(d);
  natsrs_js_subscription_free(sub);

  /* A core message has none; NULL arguments are refused. */
  natsrs_msg *core = NULL;
  REQUIRE_OK(natsrs_msg_create("x.y", NULL, NULL, 0, &core));
  CHECK_STATUS(natsrs_msg_stored_seq(core, &seq), NATSRS_STATUS_ILLEGAL_STATE);
  CHECK_STATUS(natsrs_msg_stored_time_ns(core, &ns), NATSRS_STATUS_ILLEGAL_STATE);
  CHECK(natsrs_last_error_message()[0] != '\0');
  natsrs_msg_free(core);
  CHECK_STATUS(natsrs_msg_stored_seq(NULL, &seq), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_STATUS(natsrs_msg_stored_time_ns(NULL, &ns), NATSRS_STATUS_NULL_PARAMETER);
  natsrs_msg *m = NULL;
  REQUIRE_OK(natsrs_jetstream_get_msg(js, stream, 1, false, &m));
  CHECK_STATUS(natsrs_msg_stored_seq(m, NULL), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_STATUS(natsrs_msg_stored_time_ns(m, NULL), NATSRS_STATUS_NULL_PARAMETER);
  natsrs_msg_free(m);

  teardown(nc, js, stream);
}

static void test_deliver_subject(void) {
  char stream[64], pfx[64], subj[96], dlv[96];
  natsrs_connection *nc = NULL;
  natsrs_jetstream *js = setup(&nc, stream, sizeof stream, pfx, sizeof pfx);
  REQUIRE(js);
  snprintf(subj, sizeof subj, "%s.d", pfx);
  snprintf(dlv, sizeof dlv, "dlv%d.push", (int)getpid());

  natsrs_js_subscribe_options *o = NULL;
  REQUIRE_OK(natsrs_js_subscribe_options_create(&o));
  CHECK_STATUS(natsrs_js_subscribe_options_set_deliver_subject(o, "bad subject"), NATSRS_STATUS_INVALID_SUBJECT);
  CHECK_STATUS(natsrs_js_subscribe_options_set_deliver_subject(NULL, dlv), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_OK(natsrs_js_subscribe_options_set_deliver_subject(o, NULL));
  CHECK_OK(natsrs_js_subscribe_options_set_deliver_subject(o, dlv));

  /* A core subscription on the deliver subject sees the consumer's deliveries too. */
  natsrs_subscription *spy = NULL;
  REQUIRE_OK(natsrs_connection_subscribe_sync(nc, dlv, &spy));
  natsrs_js_subscription *sub = NULL;
  REQUIRE_OK(natsrs_jetstream_subscribe_sync(js, subj, o, &sub));
  natsrs_js_subscribe_options_free(o);

  natsrs_consumer_info *ci = NULL;
  REQUIRE_OK(natsrs_js_subscription_consumer_info(sub, &ci));
  char *json = NULL;
  REQUIRE_OK(natsrs_consumer_info_json(ci, &json));
  char want[128];
  snprintf(want, sizeof want, "\"deliver_subject\":\"%s\"", dlv);
  CHECK(strstr(json, want) != NULL);
  natsrs_string_free(json);
  natsrs_consumer_info_free(ci);

  pub(js, subj, "hello");
  natsrs_msg *m = NULL;
  REQUIRE_OK(natsrs_js_subscription_next_msg(sub, 5000, &m));
  CHECK_EQ(natsrs_msg_data_len(m), 5);
  CHECK_OK(natsrs_msg_ack(m));
  natsrs_msg_free(m);
  m = NULL;
  REQUIRE_OK(natsrs_subscription_next_msg(spy, 5000, &m));
  CHECK_STR(natsrs_msg_subject(m), subj);
  natsrs_msg_free(m);

  natsrs_js_subscription_free(sub);
  natsrs_subscription_free(spy);
  teardown(nc, js, stream);
}

static void test_queue_subscribe_sync(void) {
  char stream[64], pfx[64], subj[96], queue[64];
  natsrs_connection *nc = NULL;
  natsrs_jetstream *js = setup(&nc, stream, sizeof stream, pfx, sizeof pfx);
  REQUIRE(js);
  snprintf(subj, sizeof subj, "%s.q", pfx);
  snprintf(queue, sizeof queue, "Q%d", (int)getpid());

  natsrs_js_subscription *s1 = NULL, *s2 = NULL;
  REQUIRE_OK(natsrs_jetstream_queue_subscribe_sync(js, subj, queue, NULL, &s1));
  REQUIRE_OK(natsrs_jetstream_queue_subscribe_sync(js, subj, queue, NULL, &s2));
  natsrs_consumer_info *ci = NULL;
  REQUIRE_OK(natsrs_js_subscription_consumer_info(s2, &ci));
  CHECK_STR(natsrs_consumer_info_name(ci), queue);
  natsrs_consumer_info_free(ci);

  enum { N = 20 };
  for (int i = 0; i < N; i++) pub(js, subj, "q");
  /* Each message reaches exactly one member. */
  int got = 0, idle = 0;
  while (got < N && idle < 50) {
    int before = got;
    natsrs_js_subscription *subs[2] = {s1, s2};
    for (int k = 0; k < 2; k++) {
      natsrs_msg *m = NULL;
      if (natsrs_js_subscription_next_msg(subs[k], 100, &m) == NATSRS_STATUS_OK) {
        CHECK_OK(natsrs_msg_ack(m));
        natsrs_msg_free(m);
        got++;
      }
    }
    if (got == before) idle++;
  }
  CHECK_EQ(got, N);
  natsrs_msg *extra = NULL;
  CHECK_STATUS(natsrs_js_subscription_next_msg(s1, 200, &extra), NATSRS_STATUS_TIMEOUT);

  CHECK_STATUS(natsrs_jetstream_queue_subscribe_sync(js, subj, NULL, NULL, &s1), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_STATUS(natsrs_jetstream_queue_subscribe_sync(NULL, subj, queue, NULL, &s1), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_STATUS(natsrs_jetstream_queue_subscribe_sync(js, subj, queue, NULL, NULL), NATSRS_STATUS_NULL_PARAMETER);

  natsrs_js_subscription_free(s1);
  natsrs_js_subscription_free(s2);
  teardown(nc, js, stream);
}

static void test_pending_and_dropped(void) {
  char stream[64], pfx[64], subj[96];
  natsrs_connection *nc = NULL;
  natsrs_jetstream *js = setup(&nc, stream, sizeof stream, pfx, sizeof pfx);
  REQUIRE(js);
  snprintf(subj, sizeof subj, "%s.p", pfx);

  natsrs_js_subscription *sub = NULL;
  REQUIRE_OK(natsrs_jetstream_subscribe_sync(js, subj, NULL, &sub));
  CHECK(natsrs_js_subscription_is_valid(sub));
  int64_t msgs = -1, bytes = -1;
  uint64_t dropped = 99, delivered = 99;
  CHECK_OK(natsrs_js_subscription_pending(sub, &msgs, &bytes));
  CHECK_EQ(msgs, 0);
  CHECK_OK(natsrs_js_subscription_dropped(sub, &dropped));
  CHECK_EQ(dropped, 0);
  CHECK_STATUS(natsrs_js_subscription_set_pending_limits(sub, 0, 1024), NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK_OK(natsrs_js_subscription_set_pending_limits(sub, 2, -1));

  enum { N = 6 };
  for (int i = 0; i < N; i++) pub(js, subj, "data");
  /* Two fit in the queue, the others are dropped (until the server redelivers them). */
  for (int i = 0; i < 500; i++) {
    CHECK_OK(natsrs_js_subscription_dropped(sub, &dropped));
    if (dropped >= N - 2) break;
    tu_sleep_ms(10);
  }
  CHECK(dropped >= N - 2);
  CHECK_OK(natsrs_js_subscription_pending(sub, &msgs, NULL));
  CHECK_EQ(msgs, 2);
  CHECK_OK(natsrs_js_subscription_pending(sub, NULL, &bytes));
  CHECK(bytes > 0);
  CHECK_OK(natsrs_js_subscription_max_pending(sub, &msgs, &bytes));
  CHECK_EQ(msgs, 2);
  CHECK_OK(natsrs_js_subscription_clear_max_pending(sub));
  CHECK_OK(natsrs_js_subscription_max_pending(sub, &msgs, &bytes));
  CHECK_EQ(msgs, 0);
  CHECK_EQ(bytes, 0);
  CHECK_STATUS(natsrs_js_subscription_clear_max_pending(NULL), NATSRS_STATUS_NULL_PARAMETER);

  /* A synchronous subscription reports the drops once, as nats.go's NextMsg does. */
  natsrs_msg *m = NULL;
  natsrs_status st = natsrs_js_subscription_next_msg(sub, 5000, &m);
  if (st == NATSRS_STATUS_SLOW_CONSUMER) st = natsrs_js_subscription_next_msg(sub, 5000, &m);
  REQUIRE(st == NATSRS_STATUS_OK);
  natsrs_msg_free(m);
  CHECK_OK(natsrs_js_subscription_pending(sub, &msgs, NULL));
  CHECK_EQ(msgs, 1);
  CHECK_OK(natsrs_js_subscription_delivered(sub, &delivered));
  CHECK(delivered >= 1);

  CHECK_STATUS(natsrs_js_subscription_pending(NULL, &msgs, &bytes), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_STATUS(natsrs_js_subscription_dropped(NULL, &dropped), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_STATUS(natsrs_js_subscription_dropped(sub, NULL), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_STATUS(natsrs_js_subscription_delivered(sub, NULL), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_STATUS(natsrs_js_subscription_set_pending_limits(NULL, 1, 1), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_STATUS(natsrs_js_subscription_max_pending(NULL, &msgs, &bytes), NATSRS_STATUS_NULL_PARAMETER);
  CHECK(!natsrs_js_subscription_is_valid(NULL));

  CHECK_OK(natsrs_js_subscription_unsubscribe(sub));
  CHECK(!natsrs_js_subscription_is_valid(sub));
  natsrs_js_subscription_free(sub);
  teardown(nc, js, stream);
}

static atomic_int pull_done_count;
static void on_pull_done(void *ud, natsrs_status st, natsrs_msg **msgs, size_t count) {
  (void)ud;
  (void)st;
  for (size_t i = 0; i < count; i++) natsrs_msg_free(msgs[i]);
  atomic_fetch_add(&pull_done_count, (int)count + 1);
}

/* Pending and dropped of a pull subscription: messages of a cancelled fetch wait for the next
 * one and count as pending until it takes them. */
static void test_pull_pending(void) {
  char stream[64], pfx[64], subj[96];
  natsrs_connection *nc = NULL;
  natsrs_jetstream *js = setup(&nc, stream, sizeof stream, pfx, sizeof pfx);
  REQUIRE(js);
  snprintf(subj, sizeof subj, "%s.pull", pfx);
  natsrs_pull_subscription *ps = NULL;
  REQUIRE_OK(natsrs_jetstream_pull_subscribe(js, subj, "PENDPULL", NULL, &ps));
  int64_t msgs = -1, bytes = -1;
  uint64_t dropped = 99;
  CHECK_OK(natsrs_pull_subscription_pending(ps, &msgs, &bytes));
  CHECK_EQ(msgs, 0);
  CHECK_EQ(bytes, 0);
  CHECK_OK(natsrs_pull_subscription_dropped(ps, &dropped));
  CHECK_EQ(dropped, 0);
  for (int i = 0; i < 3; i++) pub(js, subj, "pend");

  uint64_t id = 0;
  REQUIRE_OK(natsrs_pull_subscription_fetch_async(ps, 3, 0, 5000, 0, false, on_pull_done, NULL, NULL, &id));
  if (natsrs_pull_subscription_fetch_cancel(ps, id) == NATSRS_STATUS_OK) {
    /* The server still sends the three messages: they wait, counted as pending. */
    for (int i = 0; i < 500; i++) {
      CHECK_OK(natsrs_pull_subscription_pending(ps, &msgs, NULL));
      if (msgs >= 3) break;
      tu_sleep_ms(10);
    }
    CHECK_EQ(msgs, 3);
    CHECK_OK(natsrs_pull_subscription_pending(ps, NULL, &bytes));
    CHECK_EQ(bytes, 3 * 4);
    natsrs_msg *got[3] = {NULL, NULL, NULL};
    size_t n = 0;
    CHECK_OK(natsrs_pull_subscription_fetch(ps, 3, 5000, got, &n));
    CHECK_EQ(n, 3);
    for (size_t i = 0; i < n; i++) natsrs_msg_free(got[i]);
  } else {
    for (int i = 0; i < 500 && atomic_load(&pull_done_count) == 0; i++) tu_sleep_ms(10);
  }
  /* Left at most: the server's status answer to the last fetch's own no-wait request. */
  CHECK_OK(natsrs_pull_subscription_pending(ps, &msgs, NULL));
  CHECK(msgs <= 1);
  /* The queue held at least one of the messages at once; cleared, the marks start again. */
  int64_t mm = -1, mb = -1;
  CHECK_OK(natsrs_pull_subscription_max_pending(ps, &mm, &mb));
  CHECK(mm >= 1 && mb >= 4);
  CHECK_OK(natsrs_pull_subscription_clear_max_pending(ps));
  CHECK_OK(natsrs_pull_subscription_max_pending(ps, &mm, NULL));
  CHECK(mm <= 1); /* (a late status answer may arrive meanwhile) */
  CHECK_OK(natsrs_pull_subscription_max_pending(ps, NULL, NULL));
  CHECK_STATUS(natsrs_pull_subscription_max_pending(NULL, &mm, &mb), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_STATUS(natsrs_pull_subscription_clear_max_pending(NULL), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_STATUS(natsrs_pull_subscription_set_pending_limits(NULL, 1, 1), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_STATUS(natsrs_pull_subscription_set_pending_limits(ps, 0, 10), NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(natsrs_pull_subscription_set_pending_limits(ps, 10, 0), NATSRS_STATUS_INVALID_ARGUMENT);

  /* Limits: one message fits; of three sent to a cancelled fetch, two are dropped (all three
   * when a status answer left above still fills the queue). */
  CHECK_OK(natsrs_pull_subscription_set_pending_limits(ps, 1, -1));
  for (int i = 0; i < 3; i++) pub(js, subj, "lim!");
  REQUIRE_OK(natsrs_pull_subscription_fetch_async(ps, 3, 0, 5000, 0, false, on_pull_done, NULL, NULL, &id));
  if (natsrs_pull_subscription_fetch_cancel(ps, id) == NATSRS_STATUS_OK) {
    for (int i = 0; i < 500; i++) {
      CHECK_OK(natsrs_pull_subscription_dropped(ps, &dropped));
      if (dropped >= 2) break;
      tu_sleep_ms(10);
    }
    CHECK(dropped >= 2);
    CHECK_OK(natsrs_pull_subscription_pending(ps, &msgs, NULL));
    CHECK_EQ(msgs, 1);
    /* The queue never held more than the limit (0 when the fetch took nothing off it). */
    CHECK_OK(natsrs_pull_subscription_max_pending(ps, &mm, NULL));
    CHECK(mm <= 1);
  }
  CHECK_OK(natsrs_pull_subscription_set_pending_limits(ps, -1, -1));

  CHECK_STATUS(natsrs_pull_subscription_pending(NULL, &msgs, &bytes), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_OK(natsrs_pull_subscription_pending(ps, NULL, NULL));
  CHECK_STATUS(natsrs_pull_subscription_dropped(NULL, &dropped), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_STATUS(natsrs_pull_subscription_dropped(ps, NULL), NATSRS_STATUS_NULL_PARAMETER);
  natsrs_pull_subscription_unsubscribe(ps);
  natsrs_pull_subscription_free(ps);
  teardown(nc, js, stream);
}

static void test_get_next_msg(void) {
  char stream[64], pfx[64], a[96], b[96], wild[96];
  natsrs_connection *nc = NULL;
  natsrs_jetstream *js = setup(&nc, stream, sizeof stream, pfx, sizeof pfx);
  REQUIRE(js);
  snprintf(a, sizeof a, "%s.a", pfx);
  snprintf(b, sizeof b, "%s.b", pfx);
  snprintf(wild, sizeof wild, "%s.*", pfx);
  pub(js, a, "1");
  pub(js, b, "2");
  pub(js, b, "3");
  pub(js, a, "4");

  for (int direct = 0; direct < 2; direct++) {
    natsrs_msg *m = NULL;
    uint64_t seq = 0;
    REQUIRE_OK(natsrs_jetstream_get_next_msg(js, stream, 1, b, direct, &m));
    CHECK_OK(natsrs_msg_stored_seq(m, &seq));
    CHECK_EQ(seq, 2);
    CHECK_STR(natsrs_msg_subject(m), b);
    natsrs_msg_free(m);
    m = NULL;
    REQUIRE_OK(natsrs_jetstream_get_next_msg(js, stream, 3, a, direct, &m));
    CHECK_OK(natsrs_msg_stored_seq(m, &seq));
    CHECK_EQ(seq, 4);
    CHECK_EQ(natsrs_msg_data_len(m), 1);
    CHECK(natsrs_msg_data(m)[0] == '4');
    natsrs_msg_free(m);
    m = NULL;
    REQUIRE_OK(natsrs_jetstream_get_next_msg(js, stream, 3, wild, direct, &m));
    CHECK_OK(natsrs_msg_stored_seq(m, &seq));
    CHECK_EQ(seq, 3);
    natsrs_msg_free(m);
    m = NULL;
    CHECK_STATUS(natsrs_jetstream_get_next_msg(js, stream, 5, a, direct, &m), NATSRS_STATUS_NOT_FOUND);
    CHECK(m == NULL);
  }

  natsrs_msg *m = NULL;
  CHECK_STATUS(natsrs_jetstream_get_next_msg(js, stream, 1, NULL, false, &m), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_STATUS(natsrs_jetstream_get_next_msg(js, NULL, 1, a, false, &m), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_STATUS(natsrs_jetstream_get_next_msg(NULL, stream, 1, a, false, &m), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_STATUS(natsrs_jetstream_get_next_msg(js, stream, 1, a, false, NULL), NATSRS_STATUS_NULL_PARAMETER);
  teardown(nc, js, stream);
}

/* Pending limits of an ordered consumer: messages over them are dropped and counted, the gap
 * makes it start again after the last one delivered, so every message still comes once, in
 * order; the high-water mark stays within the limit. */
static void test_ordered_limits(void) {
  char stream[64], pfx[64], subj[96];
  natsrs_connection *nc = NULL;
  natsrs_jetstream *js = setup(&nc, stream, sizeof stream, pfx, sizeof pfx);
  REQUIRE(js);
  snprintf(subj, sizeof subj, "%s.ord", pfx);
  natsrs_js_stream *st = NULL;
  REQUIRE_OK(natsrs_jetstream_get_stream(js, stream, &st));
  natsrs_js_ordered_consumer *oc = NULL;
  REQUIRE_OK(natsrs_js_stream_ordered_consumer(st, NULL, NULL, &oc));

  CHECK_STATUS(natsrs_js_ordered_consumer_set_pending_limits(oc, 0, 100), NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(natsrs_js_ordered_consumer_set_pending_limits(oc, 5, 0), NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(natsrs_js_ordered_consumer_set_pending_limits(NULL, 5, -1), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_STATUS(natsrs_js_ordered_consumer_max_pending(NULL, NULL, NULL), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_STATUS(natsrs_js_ordered_consumer_clear_max_pending(NULL), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_OK(natsrs_js_ordered_consumer_max_pending(oc, NULL, NULL));
  REQUIRE_OK(natsrs_js_ordered_consumer_set_pending_limits(oc, 5, -1));

  enum { N = 20 };
  char data[16];
  for (int i = 0; i < N; i++) {
    snprintf(data, sizeof data, "o%d", i);
    pub(js, subj, data);
  }
  uint64_t dropped = 0;
  for (int i = 0; i < N; i++) {
    if (i == 1) {
      /* The first read pulled them all: over the limit, they were dropped. */
      for (int k = 0; k < 500 && dropped == 0; k++) {
        CHECK_OK(natsrs_js_ordered_consumer_dropped(oc, &dropped));
        if (dropped == 0) tu_sleep_ms(10);
      }
      CHECK(dropped > 0);
    }
    natsrs_msg *m = NULL;
    REQUIRE_OK(natsrs_js_ordered_consumer_next(oc, 15000, &m));
    uint64_t seq = 0;
    CHECK_OK(natsrs_msg_stored_seq(m, &seq));
    CHECK_EQ(seq, (uint64_t)(i + 1));
    snprintf(data, sizeof data, "o%d", i);
    CHECK(natsrs_msg_data_len(m) == strlen(data) && memcmp(natsrs_msg_data(m), data, strlen(data)) == 0);
    natsrs_msg_free(m);
  }
  int64_t mm = -1, mb = -1;
  CHECK_OK(natsrs_js_ordered_consumer_max_pending(oc, &mm, &mb));
  CHECK(mm >= 1 && mm <= 5);
  CHECK(mb > 0);
  CHECK_OK(natsrs_js_ordered_consumer_clear_max_pending(oc));
  CHECK_OK(natsrs_js_ordered_consumer_max_pending(oc, &mm, NULL));
  CHECK(mm <= 1); /* (a heartbeat may arrive meanwhile) */

  /* Without limits, nothing more is dropped. */
  CHECK_OK(natsrs_js_ordered_consumer_dropped(oc, &dropped));
  CHECK_OK(natsrs_js_ordered_consumer_set_pending_limits(oc, -1, -1));
  for (int i = N; i < N + 10; i++) {
    snprintf(data, sizeof data, "o%d", i);
    pub(js, subj, data);
  }
  for (int i = N; i < N + 10; i++) {
    natsrs_msg *m = NULL;
    REQUIRE_OK(natsrs_js_ordered_consumer_next(oc, 15000, &m));
    uint64_t seq = 0;
    CHECK_OK(natsrs_msg_stored_seq(m, &seq));
    CHECK_EQ(seq, (uint64_t)(i + 1));
    natsrs_msg_free(m);
  }
  uint64_t after = 0;
  CHECK_OK(natsrs_js_ordered_consumer_dropped(oc, &after));
  CHECK_EQ(after, dropped);
  natsrs_js_ordered_consumer_free(oc);
  natsrs_js_stream_free(st);
  teardown(nc, js, stream);
}

static const tu_test tests[] = {
    TU_TEST(test_stored_seq_and_time),
    TU_TEST(test_deliver_subject),
    TU_TEST(test_queue_subscribe_sync),
    TU_TEST(test_pending_and_dropped),
    TU_TEST(test_pull_pending),
    TU_TEST(test_get_next_msg),
    TU_TEST(test_ordered_limits),
};

int main(int argc, char **argv) { return tu_main(argc, argv, tests, TU_COUNT(tests)); }
