/* Non-blocking fetch of a pull subscription (natsrs_pull_subscription_fetch_async / _cancel)
 * under ASan/UBSan, against a server started with -js: a full batch, a short batch, a
 * timeout, no-wait, heartbeats, one fetch at a time, cancel without losing messages, free of
 * the subscription while a fetch waits, NULL and bad arguments. */
#include "test_util.h"

#include <unistd.h>

#define NP NATSRS_STATUS_NULL_PARAMETER
#define KEEP 32
/* Every wait of this test ends within this long. */
#define WAIT_MS 10000

/* What one fetch's callbacks saw. */
typedef struct fetch_state {
  tu_counter calls;
  tu_counter frees;
  natsrs_status status;
  size_t count;
  natsrs_msg *msgs[KEEP];
} fetch_state;

static void fs_init(fetch_state *f) {
  memset(f, 0, sizeof *f);
  tu_counter_init(&f->calls);
  tu_counter_init(&f->frees);
}

/* Acks and frees what the fetch returned. */
static void fs_destroy(fetch_state *f) {
  size_t n = f->count < KEEP ? f->count : KEEP;
  for (size_t i = 0; i < n; i++) {
    natsrs_msg_ack(f->msgs[i]);
    natsrs_msg_free(f->msgs[i]);
  }
  tu_counter_destroy(&f->calls);
  tu_counter_destroy(&f->frees);
}

static void on_fetch(void *ud, natsrs_status st, natsrs_msg **msgs, size_t count) {
  fetch_state *f = ud;
  f->status = st;
  f->count = count;
  for (size_t i = 0; i < count; i++) {
    if (i < KEEP)
      f->msgs[i] = msgs[i];
    else
      natsrs_msg_free(msgs[i]);
  }
  tu_counter_add(&f->calls, 1);
}

static void on_free(void *ud) { tu_counter_add(&((fetch_state *)ud)->frees, 1); }

/* Context, a memory stream capturing "fa<pid>.>" and a durable pull subscription on
 * "fa<pid>.q"; NULL on failure. */
static natsrs_pull_subscription *setup(natsrs_connection **nc, natsrs_jetstream **js, char *stream, size_t slen, char *subj,
                                       size_t sublen) {
  char wild[64];
  snprintf(stream, slen, "FA%d", (int)getpid());
  snprintf(wild, sizeof wild, "fa%d.>", (int)getpid());
  snprintf(subj, sublen, "fa%d.q", (int)getpid());
  *nc = tu_connect();
  if (!*nc) return NULL;
  if (natsrs_jetstream_new(*nc, NULL, js) != NATSRS_STATUS_OK) return NULL;
  natsrs_stream_config *cfg = NULL;
  natsrs_stream_config_new(stream, &cfg);
  natsrs_stream_config_add_subject(cfg, wild);
  natsrs_stream_config_set_storage(cfg, NATSRS_STORAGE_TYPE_MEMORY);
  natsrs_status s = natsrs_jetstream_add_stream(*js, cfg, NULL);
  natsrs_stream_config_free(cfg);
  if (s != NATSRS_STATUS_OK) {
    tu_fail(__FILE__, __LINE__, "add_stream: %s", natsrs_last_error_message());
    return NULL;
  }
  natsrs_js_subscribe_options *so = NULL;
  natsrs_js_subscribe_options_create(&so);
  natsrs_js_subscribe_options_set_stream(so, stream);
  natsrs_pull_subscription *ps = NULL;
  s = natsrs_jetstream_pull_subscribe(*js, subj, "FETCHER", so, &ps);
  natsrs_js_subscribe_options_free(so);
  if (s != NATSRS_STATUS_OK) {
    tu_fail(__FILE__, __LINE__, "pull_subscribe: %s", natsrs_last_error_message());
    return NULL;
  }
  return ps;
}

static void teardown(natsrs_connection *nc, natsrs_jetstream *js, natsrs_pull_subscription *ps, const char *stream) {
  natsrs_pull_subscription_free(ps);
  if (js) {
    natsrs_jetstream_delete_stream(js, stream);
    natsrs_jetstream_free(js);
  }
  if (nc) natsrs_connection_free(nc);
}

static void publish_n(natsrs_jetstream *js, const char *subj, int from, int n) {
  char buf[32];
  for (int i = from; i < from + n; i++) {
    snprintf(buf, sizeof buf, "m%d", i);
    CHECK_OK(natsrs_jetstream_publish(js, subj, TEXT(buf), NULL, NULL));
  }
}

/* The payload of message i of the fetch is "m<first + i>". */
static void check_payloads(fetch_state *f, int first) {
  char want[32];
  size_t n = f->count < KEEP ? f->count : KEEP;
  for (size_t i = 0; i < n; i++) {
    snprintf(want, sizeof want, "m%d", first + (int)i);
    size_t len = natsrs_msg_data_len(f->msgs[i]);
    if (len != strlen(want) || memcmp(natsrs_msg_data(f->msgs[i]), want, len) != 0)
      tu_fail(__FILE__, __LINE__, "message %zu: want payload %s", i, want);
  }
}

static void test_fetch_async_batch_full_and_short(void) {
  natsrs_connection *nc = NULL;
  natsrs_jetstream *js = NULL;
  char stream[64], subj[64];
  natsrs_pull_subscription *ps = setup(&nc, &js, stream, sizeof stream, subj, sizeof subj);
  REQUIRE(ps);
  publish_n(js, subj, 0, 7);

  fetch_state a;
  fs_init(&a);
  uint64_t id = 0;
  REQUIRE_OK(natsrs_pull_subscription_fetch_async(ps, 5, 0, WAIT_MS, 0, false, on_fetch, &a, on_free, &id));
  CHECK(id != 0);
  CHECK_EQ(tu_counter_wait(&a.calls, 1, WAIT_MS), 1);
  CHECK_EQ(tu_counter_wait(&a.frees, 1, WAIT_MS), 1);
  CHECK_EQ(a.status, NATSRS_STATUS_OK);
  CHECK_EQ(a.count, 5);
  CHECK(natsrs_msg_is_jetstream(a.msgs[0]));
  check_payloads(&a, 0);
  /* Completed: not cancellable any more. */
  CHECK_STATUS(natsrs_pull_subscription_fetch_cancel(ps, id), NATSRS_STATUS_NOT_FOUND);

  /* Two left: a short batch comes back when the server says there are no more. */
  fetch_state b;
  fs_init(&b);
  REQUIRE_OK(natsrs_pull_subscription_fetch_async(ps, 10, 0, WAIT_MS, 0, false, on_fetch, &b, on_free, NULL));
  CHECK_EQ(tu_counter_wait(&b.calls, 1, WAIT_MS), 1);
  CHECK_EQ(b.status, NATSRS_STATUS_OK);
  CHECK_EQ(b.count, 2);
  check_payloads(&b, 5);

  /* Nothing left: a timeout, without messages. */
  fetch_state c;
  fs_init(&c);
  REQUIRE_OK(natsrs_pull_subscription_fetch_async(ps, 3, 0, 300, 0, false, on_fetch, &c, on_free, NULL));
  CHECK_EQ(tu_counter_wait(&c.calls, 1, WAIT_MS), 1);
  CHECK_EQ(tu_counter_wait(&c.frees, 1, WAIT_MS), 1);
  CHECK_EQ(c.status, NATSRS_STATUS_TIMEOUT);
  CHECK_EQ(c.count, 0);

  fs_destroy(&a);
  fs_destroy(&b);
  fs_destroy(&c);
  teardown(nc, js, ps, stream);
}

static void test_fetch_async_no_wait_and_heartbeat(void) {
  natsrs_connection *nc = NULL;
  natsrs_jetstream *js = NULL;
  char stream[64], subj[64];
  natsrs_pull_subscription *ps = setup(&nc, &js, stream, sizeof stream, subj, sizeof subj);
  REQUIRE(ps);

  /* Empty stream: no-wait completes OK with nothing. */
  fetch_state a;
  fs_init(&a);
  REQUIRE_OK(natsrs_pull_subscription_fetch_async(ps, 5, 0, 0, 0, true, on_fetch, &a, on_free, NULL));
  CHECK_EQ(tu_counter_wait(&a.calls, 1, WAIT_MS), 1);
  CHECK_EQ(a.status, NATSRS_STATUS_OK);
  CHECK_EQ(a.count, 0);

  publish_n(js, subj, 0, 3);
  fetch_state b;
  fs_init(&b);
  REQUIRE_OK(natsrs_pull_subscription_fetch_async(ps, 2, 0, 0, 0, true, on_fetch, &b, on_free, NULL));
  CHECK_EQ(tu_counter_wait(&b.calls, 1, WAIT_MS), 1);
  CHECK_EQ(b.status, NATSRS_STATUS_OK);
  CHECK_EQ(b.count, 2);
  check_payloads(&b, 0);

  /* With heartbeats, the one left comes back. */
  fetch_state c;
  fs_init(&c);
  REQUIRE_OK(natsrs_pull_subscription_fetch_async(ps, 4, 0, WAIT_MS, 500, false, on_fetch, &c, on_free, NULL));
  CHECK_EQ(tu_counter_wait(&c.calls, 1, WAIT_MS), 1);
  CHECK_EQ(c.status, NATSRS_STATUS_OK);
  CHECK_EQ(c.count, 1);
  check_payloads(&c, 2);

  fs_destroy(&a);
  fs_destroy(&b);
  fs_destroy(&c);
  teardown(nc, js, ps, stream);
}

static void test_fetch_async_one_at_a_time(void) {
  natsrs_connection *nc = NULL;
  natsrs_jetstream *js = NULL;
  char stream[64], subj[64];
  natsrs_pull_subscription *ps = setup(&nc, &js, stream, sizeof stream, subj, sizeof subj);
  REQUIRE(ps);

  fetch_state a, b;
  fs_init(&a);
  fs_init(&b);
  uint64_t id = 0;
  REQUIRE_OK(natsrs_pull_subscription_fetch_async(ps, 4, 0, WAIT_MS, 0, false, on_fetch, &a, on_free, &id));
  /* A second fetch, non-blocking or blocking, is refused while one is outstanding. */
  CHECK_STATUS(natsrs_pull_subscription_fetch_async(ps, 4, 0, WAIT_MS, 0, false, on_fetch, &b, on_free, NULL),
               NATSRS_STATUS_ILLEGAL_STATE);
  CHECK_EQ(tu_counter_get(&b.frees), 1);
  CHECK_EQ(tu_counter_get(&b.calls), 0);
  natsrs_msg *arr[4];
  size_t n = 0;
  CHECK_STATUS(natsrs_pull_subscription_fetch(ps, 4, 100, arr, &n), NATSRS_STATUS_ILLEGAL_STATE);

  /* Messages published now complete the outstanding one. On a loaded machine the fetch's
   * no-wait probe can still be in flight when the first ones are stored: it then returns what
   * the probe found, and the rest come with the next fetch, in order, none lost. */
  publish_n(js, subj, 0, 4);
  CHECK_EQ(tu_counter_wait(&a.calls, 1, WAIT_MS), 1);
  CHECK_EQ(a.status, NATSRS_STATUS_OK);
  CHECK(a.count >= 1 && a.count <= 4);
  check_payloads(&a, 0);
  CHECK_EQ(tu_counter_wait(&a.frees, 1, WAIT_MS), 1);
  if (a.count < 4) {
    size_t want = 4 - a.count;
    CHECK_OK(natsrs_pull_subscription_fetch(ps, want, WAIT_MS, arr, &n));
    CHECK_EQ(n, want);
    for (size_t i = 0; i < n; i++) {
      char expect[16];
      snprintf(expect, sizeof expect, "m%zu", a.count + i);
      size_t dl = natsrs_msg_data_len(arr[i]);
      CHECK(dl == strlen(expect) && memcmp(natsrs_msg_data(arr[i]), expect, dl) == 0);
      natsrs_msg_ack(arr[i]);
      natsrs_msg_free(arr[i]);
    }
  }

  fs_destroy(&a);
  fs_destroy(&b);
  teardown(nc, js, ps, stream);
}

/* Cancel while nothing came, and while the fetch holds messages it received but cannot
 * return yet (the batch is not full): nothing is lost, nothing is delivered twice. */
static void test_fetch_async_cancel_keeps_messages(void) {
  natsrs_connection *nc = NULL;
  natsrs_jetstream *js = NULL;
  char stream[64], subj[64];
  natsrs_pull_subscription *ps = setup(&nc, &js, stream, sizeof stream, subj, sizeof subj);
  REQUIRE(ps);

  /* Cancel while nothing came. */
  fetch_state a;
  fs_init(&a);
  uint64_t id = 0;
  REQUIRE_OK(natsrs_pull_subscription_fetch_async(ps, 10, 0, WAIT_MS, 0, false, on_fetch, &a, on_free, &id));
  tu_sleep_ms(100);
  CHECK_OK(natsrs_pull_subscription_fetch_cancel(ps, id));
  CHECK_EQ(tu_counter_get(&a.frees), 1);
  CHECK_STATUS(natsrs_pull_subscription_fetch_cancel(ps, id), NATSRS_STATUS_NOT_FOUND);

  /* A fetch waits for 10 and gets 3: cancelled, the 3 go to the next fetch. */
  fetch_state b;
  fs_init(&b);
  REQUIRE_OK(natsrs_pull_subscription_fetch_async(ps, 10, 0, WAIT_MS, 0, false, on_fetch, &b, on_free, &id));
  /* Let the fetch's no-wait probe come back empty first: a message stored before the probe is
   * answered makes a short batch that completes the fetch (as nats.go's Fetch). */
  tu_sleep_ms(200);
  publish_n(js, subj, 0, 3);
  tu_sleep_ms(300);
  CHECK_OK(natsrs_pull_subscription_fetch_cancel(ps, id));
  CHECK_EQ(tu_counter_get(&b.frees), 1);

  natsrs_msg *arr[10];
  size_t n = 0;
  REQUIRE_OK(natsrs_pull_subscription_fetch(ps, 10, 2000, arr, &n));
  CHECK_EQ(n, 3);
  char want[8];
  for (size_t i = 0; i < n; i++) {
    snprintf(want, sizeof want, "m%d", (int)i);
    CHECK_EQ(natsrs_msg_data_len(arr[i]), strlen(want));
    CHECK(memcmp(natsrs_msg_data(arr[i]), want, strlen(want)) == 0);
    CHECK_OK(natsrs_msg_ack(arr[i]));
    natsrs_msg_free(arr[i]);
  }
  /* The cancelled fetches never completed. */
  tu_sleep_ms(100);
  CHECK_EQ(tu_counter_get(&a.calls), 0);
  CHECK_EQ(tu_counter_get(&b.calls), 0);

  /* Messages published after the cancel reach the next non-blocking fetch. */
  publish_n(js, subj, 3, 2);
  fetch_state c;
  fs_init(&c);
  REQUIRE_OK(natsrs_pull_subscription_fetch_async(ps, 2, 0, WAIT_MS, 0, false, on_fetch, &c, on_free, NULL));
  CHECK_EQ(tu_counter_wait(&c.calls, 1, WAIT_MS), 1);
  CHECK_EQ(c.status, NATSRS_STATUS_OK);
  CHECK_EQ(c.count, 2);
  check_payloads(&c, 3);

  fs_destroy(&a);
  fs_destroy(&b);
  fs_destroy(&c);
  teardown(nc, js, ps, stream);
}

static void test_fetch_async_free_while_waiting(void) {
  natsrs_connection *nc = NULL;
  natsrs_jetstream *js = NULL;
  char stream[64], subj[64];
  natsrs_pull_subscription *ps = setup(&nc, &js, stream, sizeof stream, subj, sizeof subj);
  REQUIRE(ps);

  fetch_state a;
  fs_init(&a);
  REQUIRE_OK(natsrs_pull_subscription_fetch_async(ps, 5, 0, WAIT_MS, 0, false, on_fetch, &a, on_free, NULL));
  tu_sleep_ms(100);
  natsrs_pull_subscription_free(ps);
  CHECK_EQ(tu_counter_wait(&a.calls, 1, WAIT_MS), 1);
  CHECK_EQ(tu_counter_wait(&a.frees, 1, WAIT_MS), 1);
  CHECK(a.status != NATSRS_STATUS_OK);
  CHECK_EQ(a.count, 0);
  /* Exactly once. */
  tu_sleep_ms(200);
  CHECK_EQ(tu_counter_get(&a.calls), 1);
  CHECK_EQ(tu_counter_get(&a.frees), 1);

  fs_destroy(&a);
  teardown(nc, js, NULL, stream);
}

static void test_fetch_async_bad_arguments(void) {
  natsrs_connection *nc = NULL;
  natsrs_jetstream *js = NULL;
  char stream[64], subj[64];
  natsrs_pull_subscription *ps = setup(&nc, &js, stream, sizeof stream, subj, sizeof subj);
  REQUIRE(ps);

  fetch_state f;
  fs_init(&f);
  uint64_t id = 77;
  CHECK_STATUS(natsrs_pull_subscription_fetch_async(NULL, 1, 0, 100, 0, false, on_fetch, &f, on_free, &id), NP);
  CHECK_STATUS(natsrs_pull_subscription_fetch_async(ps, 1, 0, 100, 0, false, NULL, &f, on_free, &id), NP);
  CHECK_STATUS(natsrs_pull_subscription_fetch_async(ps, 0, 0, 100, 0, false, on_fetch, &f, on_free, &id),
               NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(natsrs_pull_subscription_fetch_async(ps, 1, 0, 0, 0, false, on_fetch, &f, on_free, &id),
               NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(natsrs_pull_subscription_fetch_async(ps, 1, 0, -5, 0, false, on_fetch, &f, on_free, &id),
               NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(natsrs_pull_subscription_fetch_async(ps, 1, 0, 1000, 500, false, on_fetch, &f, on_free, &id),
               NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(natsrs_pull_subscription_fetch_async(ps, 1, 0, 1000, -1, false, on_fetch, &f, on_free, &id),
               NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(natsrs_pull_subscription_fetch_async(ps, 1, 0, 0, 100, true, on_fetch, &f, on_free, &id),
               NATSRS_STATUS_INVALID_ARGUMENT);
  /* Every refused call released the userdata once and never ran the handler; the id is untouched. */
  CHECK_EQ(tu_counter_get(&f.frees), 8);
  CHECK_EQ(tu_counter_get(&f.calls), 0);
  CHECK_EQ(id, 77);
  /* NULL userdata_free and out_id are allowed. */
  fetch_state g;
  fs_init(&g);
  REQUIRE_OK(natsrs_pull_subscription_fetch_async(ps, 1, 0, 0, 0, true, on_fetch, &g, NULL, NULL));
  CHECK_EQ(tu_counter_wait(&g.calls, 1, WAIT_MS), 1);
  CHECK_EQ(g.status, NATSRS_STATUS_OK);
  CHECK_EQ(tu_counter_get(&g.frees), 0);

  CHECK_STATUS(natsrs_pull_subscription_fetch_cancel(NULL, 1), NP);
  CHECK_STATUS(natsrs_pull_subscription_fetch_cancel(ps, 0), NATSRS_STATUS_NOT_FOUND);
  CHECK_STATUS(natsrs_pull_subscription_fetch_cancel(ps, 123456789), NATSRS_STATUS_NOT_FOUND);

  /* After unsubscribe, a fetch is refused or ends at once with an error. */
  CHECK_OK(natsrs_pull_subscription_unsubscribe(ps));
  fetch_state h;
  fs_init(&h);
  natsrs_status s = natsrs_pull_subscription_fetch_async(ps, 1, 0, 1000, 0, false, on_fetch, &h, on_free, NULL);
  if (s == NATSRS_STATUS_OK) {
    CHECK_EQ(tu_counter_wait(&h.calls, 1, WAIT_MS), 1);
    CHECK(h.status != NATSRS_STATUS_OK);
  }
  CHECK_EQ(tu_counter_wait(&h.frees, 1, WAIT_MS), 1);

  fs_destroy(&f);
  fs_destroy(&g);
  fs_destroy(&h);
  teardown(nc, js, ps, stream);
}

static const tu_test tests[] = {
    TU_TEST(test_fetch_async_batch_full_and_short),  TU_TEST(test_fetch_async_no_wait_and_heartbeat),
    TU_TEST(test_fetch_async_one_at_a_time),         TU_TEST(test_fetch_async_cancel_keeps_messages),
    TU_TEST(test_fetch_async_free_while_waiting),    TU_TEST(test_fetch_async_bad_arguments),
};

int main(int argc, char **argv) { return tu_main(argc, argv, tests, TU_COUNT(tests)); }
