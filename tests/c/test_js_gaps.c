/* JetStream calls the Go and Python bindings need, from C under ASan/UBSan, against a server
 * started with -js: the stored sequence and time of a stream read, push subscriptions on a
 * chosen deliver subject and in a synchronous queue group, pending and dropped counts of a
 * push subscription, get of the next message on a subject. */
#include "test_util.h"

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

static const tu_test tests[] = {
    TU_TEST(test_stored_seq_and_time),
};

int main(int argc, char **argv) { return tu_main(argc, argv, tests, TU_COUNT(tests)); }
