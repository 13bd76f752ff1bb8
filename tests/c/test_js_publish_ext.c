/* JetStream async publish of a whole message (headers) and the per-publish stall wait, from C
 * under ASan/UBSan, against a server started with -js. */
#include "test_util.h"

#include <unistd.h>


/* Context (max_pending, stall_ms when > 0) plus a stream "PX<pid>" capturing "px<pid>.>". */
static natsrs_jetstream *setup(natsrs_connection **nc, int64_t max_pending, int64_t stall_ms, char *stream, size_t slen,
                               char *pfx, size_t plen) {
  char wild[80];
  snprintf(stream, slen, "PX%d", (int)getpid());
  snprintf(pfx, plen, "px%d", (int)getpid());
  snprintf(wild, sizeof wild, "%s.>", pfx);
  *nc = tu_connect();
  if (!*nc) return NULL;
  natsrs_jetstream_options *o = NULL;
  natsrs_jetstream *js = NULL;
  if (natsrs_jetstream_options_create(&o) != NATSRS_STATUS_OK) return NULL;
  if (max_pending > 0) CHECK_OK(natsrs_jetstream_options_set_publish_async_max_pending(o, max_pending));
  if (stall_ms > 0) CHECK_OK(natsrs_jetstream_options_set_publish_async_stall_wait_ms(o, stall_ms));
  natsrs_status s = natsrs_jetstream_new(*nc, o, &js);
  natsrs_jetstream_options_free(o);
  if (s != NATSRS_STATUS_OK) return NULL;
  natsrs_stream_config *cfg = NULL;
  natsrs_stream_config_new(stream, &cfg);
  natsrs_stream_config_add_subject(cfg, wild);
  natsrs_stream_config_set_storage(cfg, NATSRS_STORAGE_TYPE_MEMORY);
  s = natsrs_jetstream_add_stream(js, cfg, NULL);
  natsrs_stream_config_free(cfg);
  if (s != NATSRS_STATUS_OK) {
    tu_fail(__FILE__, __LINE__, "add_stream: %s %s", natsrs_status_str(s), natsrs_last_error_message());
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

typedef struct acks {
  tu_counter done;
  atomic_int ok, failed, dup;
  atomic_int last_status;
} acks;

static void on_ack(void *ud, natsrs_status s, const natsrs_pub_ack *ack) {
  acks *a = ud;
  if (s == NATSRS_STATUS_OK && ack) {
    atomic_fetch_add(&a->ok, 1);
    if (natsrs_pub_ack_duplicate(ack)) atomic_fetch_add(&a->dup, 1);
  } else {
    atomic_fetch_add(&a->failed, 1);
    CHECK(ack == NULL);
    CHECK(natsrs_last_error_message()[0] != '\0');
  }
  atomic_store(&a->last_status, (int)s);
  tu_counter_add(&a->done, 1);
}

static tu_counter freed;
static void on_free(void *ud) {
  (void)ud;
  tu_counter_add(&freed, 1);
}

static void acks_init(acks *a) {
  tu_counter_init(&a->done);
  atomic_init(&a->ok, 0);
  atomic_init(&a->failed, 0);
  atomic_init(&a->dup, 0);
  atomic_init(&a->last_status, -1);
}

static void test_publish_msg_async_headers(void) {
  char stream[64], pfx[64], subj[96];
  natsrs_connection *nc = NULL;
  natsrs_jetstream *js = setup(&nc, 0, 0, stream, sizeof stream, pfx, sizeof pfx);
  REQUIRE(js);
  snprintf(subj, sizeof subj, "%s.h", pfx);
  acks a;
  acks_init(&a);
  tu_counter_init(&freed);
  const int N = 1000;
  natsrs_msg *m = NULL;
  REQUIRE_OK(natsrs_msg_create(subj, NULL, TEXT("payload"), &m));
  REQUIRE_OK(natsrs_msg_header_set(m, "X-Key", "value"));
  REQUIRE_OK(natsrs_msg_header_add(m, "X-Multi", "1"));
  REQUIRE_OK(natsrs_msg_header_add(m, "X-Multi", "2"));
  for (int i = 0; i < N; i++) {
    natsrs_status s = natsrs_jetstream_publish_msg_async(js, m, NULL, on_ack, &a, on_free);
    if (s != NATSRS_STATUS_OK) {
      CHECK_OK(s);
      break;
    }
  }
  /* The message is not consumed. */
  CHECK_STR(natsrs_msg_subject(m), subj);
  CHECK_OK(natsrs_jetstream_publish_async_complete(js, 30000));
  CHECK_EQ(tu_counter_wait(&a.done, N, 10000), N);
  CHECK_EQ(tu_counter_wait(&freed, N, 10000), N);
  CHECK_EQ(atomic_load(&a.ok), N);
  CHECK_EQ(atomic_load(&a.failed), 0);

  /* The stored message has the headers. */
  natsrs_msg *got = NULL;
  REQUIRE_OK(natsrs_jetstream_get_msg(js, stream, N, false, &got));
  const char *v = NULL;
  CHECK_OK(natsrs_msg_header_get(got, "X-Key", &v));
  CHECK_STR(v, "value");
  CHECK_EQ(natsrs_msg_data_len(got), 7);
  natsrs_msg_free(got);

  /* Options apply: a message id published twice is a duplicate the second time. */
  natsrs_js_publish_options *po = NULL;
  REQUIRE_OK(natsrs_js_publish_options_create(&po));
  CHECK_OK(natsrs_js_publish_options_set_msg_id(po, "ext-1"));
  acks b;
  acks_init(&b);
  CHECK_OK(natsrs_jetstream_publish_msg_async(js, m, po, on_ack, &b, NULL));
  CHECK_OK(natsrs_jetstream_publish_msg_async(js, m, po, on_ack, &b, NULL));
  CHECK_EQ(tu_counter_wait(&b.done, 2, 10000), 2);
  CHECK_EQ(atomic_load(&b.ok), 2);
  CHECK_EQ(atomic_load(&b.dup), 1);
  /* An expectation that fails reaches the handler as an error. */
  CHECK_OK(natsrs_js_publish_options_set_expected_last_seq(po, 1));
  CHECK_OK(natsrs_jetstream_publish_msg_async(js, m, po, on_ack, &b, NULL));
  CHECK_EQ(tu_counter_wait(&b.done, 3, 10000), 3);
  CHECK_EQ(atomic_load(&b.failed), 1);
  CHECK_EQ(atomic_load(&b.last_status), NATSRS_STATUS_JETSTREAM);
  natsrs_js_publish_options_free(po);
  natsrs_msg_free(m);

  /* A NULL handler is fine; errors free the userdata at once and run no handler. */
  REQUIRE_OK(natsrs_msg_create(subj, NULL, NULL, 0, &m));
  CHECK_OK(natsrs_jetstream_publish_msg_async(js, m, NULL, NULL, NULL, NULL));
  natsrs_msg_free(m);
  REQUIRE_OK(natsrs_msg_create(subj, "a.reply", TEXT("x"), &m));
  CHECK_STATUS(natsrs_jetstream_publish_msg_async(js, m, NULL, on_ack, &a, on_free), NATSRS_STATUS_INVALID_ARGUMENT);
  natsrs_msg_free(m);
  CHECK_STATUS(natsrs_jetstream_publish_msg_async(js, NULL, NULL, on_ack, &a, on_free), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_STATUS(natsrs_jetstream_publish_msg_async(NULL, NULL, NULL, on_ack, &a, on_free), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_EQ(tu_counter_wait(&freed, N + 3, 5000), N + 3);
  CHECK_EQ(tu_counter_get(&a.done), N);
  CHECK_OK(natsrs_jetstream_publish_async_complete(js, 5000));
  teardown(nc, js, stream);
}

/* A window of one held by a publish nobody acks (a core subscriber takes it and never
 * replies): a second publish with a short per-publish stall wait fails with TIMEOUT while
 * the first is still pending (with the context's 60 s stall wait it would have waited for
 * the first one's 30 s ack timeout and then succeeded). */
static void test_stall_wait_per_publish(void) {
  char stream[64], pfx[64], sink[96];
  natsrs_connection *nc = NULL;
  natsrs_jetstream *js = setup(&nc, 1, 60000, stream, sizeof stream, pfx, sizeof pfx);
  REQUIRE(js);
  snprintf(sink, sizeof sink, "sink%d.x", (int)getpid());
  natsrs_subscription *sub = NULL;
  REQUIRE_OK(natsrs_connection_subscribe_sync(nc, sink, &sub));
  CHECK_OK(natsrs_connection_flush(nc, 5000));

  natsrs_js_publish_options *hold = NULL, *po = NULL;
  REQUIRE_OK(natsrs_js_publish_options_create(&hold));
  CHECK_OK(natsrs_js_publish_options_set_timeout_ms(hold, 30000));
  REQUIRE_OK(natsrs_js_publish_options_create(&po));
  CHECK_STATUS(natsrs_js_publish_options_set_stall_wait_ms(po, 0), NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(natsrs_js_publish_options_set_stall_wait_ms(po, -5), NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(natsrs_js_publish_options_set_stall_wait_ms(NULL, 5), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_OK(natsrs_js_publish_options_set_stall_wait_ms(po, 50));

  acks a;
  acks_init(&a);
  tu_counter_init(&freed);
  REQUIRE_OK(natsrs_jetstream_publish_async(js, sink, TEXT("held"), hold, on_ack, &a, on_free));
  natsrs_msg *seen = NULL;
  CHECK_OK(natsrs_subscription_next_msg(sub, 5000, &seen)); /* it was sent; nobody answers */
  natsrs_msg_free(seen);

  natsrs_msg *m = NULL;
  REQUIRE_OK(natsrs_msg_create(sink, NULL, TEXT("second"), &m));
  CHECK_OK(natsrs_msg_header_set(m, "X-K", "v"));
  CHECK_STATUS(natsrs_jetstream_publish_msg_async(js, m, po, on_ack, &a, on_free), NATSRS_STATUS_TIMEOUT);
  CHECK(strstr(natsrs_last_error_message(), "stalled") != NULL);
  CHECK_STATUS(natsrs_jetstream_publish_async(js, sink, TEXT("third"), po, on_ack, &a, on_free), NATSRS_STATUS_TIMEOUT);
  int64_t pending = -1;
  CHECK_OK(natsrs_jetstream_publish_async_pending(js, &pending));
  CHECK_EQ(pending, 1);
  CHECK_EQ(tu_counter_wait(&freed, 2, 5000), 2); /* the two refused ones */
  CHECK_EQ(tu_counter_get(&a.done), 0);
  natsrs_msg_free(m);
  natsrs_js_publish_options_free(po);
  natsrs_js_publish_options_free(hold);
  natsrs_subscription_free(sub);
  /* Freeing the context fails the held publish (its handler runs once, then its userdata). */
  teardown(nc, js, stream);
  CHECK_EQ(tu_counter_wait(&a.done, 1, 10000), 1);
  CHECK_EQ(atomic_load(&a.failed), 1);
  CHECK_EQ(tu_counter_wait(&freed, 3, 10000), 3);
}

static const tu_test tests[] = {
    TU_TEST(test_publish_msg_async_headers),
    TU_TEST(test_stall_wait_per_publish),
};

int main(int argc, char **argv) { return tu_main(argc, argv, tests, TU_COUNT(tests)); }
