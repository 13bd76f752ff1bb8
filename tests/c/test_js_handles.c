/* The newer JetStream consumer API from C under ASan/UBSan, against a server started with -js:
 * stream and consumer handles (get, create, update, info, fetch, next), consume with an error
 * handler, the message iterator (stopped from another thread), the ordered consumer (next and
 * consume, surviving a deleted consumer), paged name and info lists (1030 streams), missed
 * heartbeats of a push subscription reported to the connection's error handler, and NULL and
 * bad arguments of every new call. */
#include "test_util.h"

#include <unistd.h>

/* "<tag><pid>" and "<tag><pid>.>" for a stream of this test process. */
static void names(const char *tag, char *stream, size_t slen, char *wild, size_t wlen) {
  snprintf(stream, slen, "%s%d", tag, (int)getpid());
  snprintf(wild, wlen, "%s%d.>", tag, (int)getpid());
}

static natsrs_stream_config *mem_cfg(const char *stream, const char *subject) {
  natsrs_stream_config *cfg = NULL;
  if (natsrs_stream_config_new(stream, &cfg) != NATSRS_STATUS_OK) return NULL;
  natsrs_stream_config_add_subject(cfg, subject);
  natsrs_stream_config_set_storage(cfg, NATSRS_STORAGE_TYPE_MEMORY);
  return cfg;
}

static void publish_n(natsrs_jetstream *js, const char *subject, int n) {
  for (int i = 0; i < n; i++) {
    char data[32];
    snprintf(data, sizeof data, "m%d", i);
    CHECK_OK(natsrs_jetstream_publish(js, subject, TEXT(data), NULL, NULL));
  }
}

static uint64_t stream_seq(const natsrs_msg *m) {
  natsrs_msg_metadata md;
  if (natsrs_msg_get_metadata(m, &md) != NATSRS_STATUS_OK) return 0;
  return md.stream_seq;
}

static void free_batch(natsrs_msg **batch, size_t n) {
  for (size_t i = 0; i < n; i++) natsrs_msg_free(batch[i]);
}

static void test_handles_stream_and_consumer(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  natsrs_jetstream *js = NULL;
  REQUIRE_OK(natsrs_jetstream_new(nc, NULL, &js));
  char stream[64], wild[64], subj[96];
  names("H", stream, sizeof stream, wild, sizeof wild);
  snprintf(subj, sizeof subj, "H%d.a", (int)getpid());

  natsrs_js_stream *st = NULL;
  CHECK_STATUS(natsrs_jetstream_get_stream(js, stream, &st), NATSRS_STATUS_NOT_FOUND);
  natsrs_stream_config *cfg = mem_cfg(stream, wild);
  REQUIRE(cfg);
  REQUIRE_OK(natsrs_jetstream_create_stream(js, cfg, &st));
  CHECK_STR(natsrs_js_stream_name(st), stream);
  /* Creating it again with another config: 10058. */
  natsrs_stream_config *other = mem_cfg(stream, "other.h.subject");
  natsrs_js_stream *dup = NULL;
  CHECK_STATUS(natsrs_jetstream_create_stream(js, other, &dup), NATSRS_STATUS_JETSTREAM);
  uint64_t err_code = 0;
  CHECK(natsrs_last_error_api(NULL, &err_code));
  CHECK_EQ(err_code, 10058);
  natsrs_stream_config_free(other);

  publish_n(js, subj, 5);
  natsrs_stream_info *si = NULL;
  REQUIRE_OK(natsrs_js_stream_cached_info(st, &si));
  CHECK_EQ(natsrs_stream_info_messages(si), 0);
  natsrs_stream_info_free(si);
  REQUIRE_OK(natsrs_js_stream_info(st, &si));
  CHECK_EQ(natsrs_stream_info_messages(si), 5);
  natsrs_stream_info_free(si);
  REQUIRE_OK(natsrs_js_stream_cached_info(st, &si));
  CHECK_EQ(natsrs_stream_info_messages(si), 5);
  natsrs_stream_info_free(si);

  /* Update through the handle, and create-or-update through the context. */
  CHECK_OK(natsrs_stream_config_set_max_msgs(cfg, 100));
  REQUIRE_OK(natsrs_js_stream_update(st, cfg, &si));
  char *json = NULL;
  REQUIRE_OK(natsrs_stream_info_json(si, &json));
  CHECK(strstr(json, "\"max_msgs\":100") != NULL);
  natsrs_string_free(json);
  natsrs_stream_info_free(si);
  CHECK_OK(natsrs_stream_config_set_max_msgs(cfg, 200));
  natsrs_js_stream *st2 = NULL;
  REQUIRE_OK(natsrs_jetstream_create_or_update_stream(js, cfg, &st2));
  CHECK_STR(natsrs_js_stream_name(st2), stream);
  natsrs_js_stream_free(st2);
  natsrs_stream_config *wrong = mem_cfg("NOTTHIS", "x.y.z");
  CHECK_STATUS(natsrs_js_stream_update(st, wrong, NULL), NATSRS_STATUS_INVALID_ARGUMENT);
  natsrs_stream_config_free(wrong);
  natsrs_stream_config_free(cfg);
  /* create_or_update also creates. */
  char s3[64], w3[64];
  names("H3_", s3, sizeof s3, w3, sizeof w3);
  natsrs_stream_config *c3 = mem_cfg(s3, w3);
  REQUIRE_OK(natsrs_jetstream_create_or_update_stream(js, c3, &st2));
  natsrs_stream_config_free(c3);
  natsrs_js_stream_free(st2);
  CHECK_OK(natsrs_jetstream_delete_stream(js, s3));

  /* Consumers on the stream handle. */
  natsrs_js_consumer *c = NULL;
  CHECK_STATUS(natsrs_js_stream_get_consumer(st, "D", &c), NATSRS_STATUS_NOT_FOUND);
  natsrs_consumer_config *cc = NULL;
  REQUIRE_OK(natsrs_consumer_config_new("D", &cc));
  CHECK_OK(natsrs_consumer_config_set_ack_policy(cc, NATSRS_ACK_POLICY_EXPLICIT));
  CHECK_STATUS(natsrs_js_stream_update_consumer(st, cc, &c), NATSRS_STATUS_JETSTREAM);
  REQUIRE_OK(natsrs_js_stream_create_consumer(st, cc, &c));
  CHECK_STR(natsrs_js_consumer_name(c), "D");
  CHECK_STR(natsrs_js_consumer_stream_name(c), stream);
  CHECK_OK(natsrs_consumer_config_set_max_ack_pending(cc, 50));
  natsrs_js_consumer *c2 = NULL;
  REQUIRE_OK(natsrs_js_stream_update_consumer(st, cc, &c2));
  natsrs_consumer_info *ci = NULL;
  REQUIRE_OK(natsrs_js_consumer_cached_info(c2, &ci));
  REQUIRE_OK(natsrs_consumer_info_json(ci, &json));
  CHECK(strstr(json, "\"max_ack_pending\":50") != NULL);
  natsrs_string_free(json);
  natsrs_consumer_info_free(ci);
  natsrs_js_consumer_free(c2);
  REQUIRE_OK(natsrs_js_stream_create_or_update_consumer(st, cc, &c2));
  natsrs_js_consumer_free(c2);
  REQUIRE_OK(natsrs_js_stream_get_consumer(st, "D", &c2));
  natsrs_js_consumer_free(c2);
  natsrs_consumer_config_free(cc);

  /* Fetch: a short batch at once, then next, no-wait on an empty consumer, a timeout. */
  natsrs_msg *batch[10];
  size_t n = 0;
  REQUIRE_OK(natsrs_js_consumer_fetch(c, 3, 5000, batch, &n));
  CHECK_EQ(n, 3);
  for (size_t i = 0; i < n; i++) {
    CHECK_EQ(stream_seq(batch[i]), i + 1);
    CHECK_OK(natsrs_msg_ack(batch[i]));
  }
  free_batch(batch, n);
  REQUIRE_OK(natsrs_js_consumer_fetch(c, 10, 5000, batch, &n));
  CHECK_EQ(n, 2);
  for (size_t i = 0; i < n; i++) CHECK_OK(natsrs_msg_ack_sync(batch[i], 5000));
  free_batch(batch, n);
  CHECK_OK(natsrs_js_consumer_fetch_no_wait(c, 10, batch, &n));
  CHECK_EQ(n, 0);
  CHECK_STATUS(natsrs_js_consumer_fetch(c, 10, 200, batch, &n), NATSRS_STATUS_TIMEOUT);
  publish_n(js, subj, 4);
  REQUIRE_OK(natsrs_js_consumer_fetch_bytes(c, 1024, 10, 5000, batch, &n));
  CHECK(n >= 1 && n <= 4);
  for (size_t i = 0; i < n; i++) CHECK_OK(natsrs_msg_ack(batch[i]));
  free_batch(batch, n);
  natsrs_msg *m = NULL;
  while (natsrs_js_consumer_next(c, 1000, &m) == NATSRS_STATUS_OK) {
    CHECK_OK(natsrs_msg_ack(m));
    natsrs_msg_free(m);
  }
  REQUIRE_OK(natsrs_js_consumer_info(c, &ci));
  CHECK_EQ(natsrs_consumer_info_num_pending(ci), 0);
  CHECK_EQ(natsrs_consumer_info_delivered_stream_seq(ci), 9);
  natsrs_consumer_info_free(ci);

  /* Deleted under the handle: a clear error, not a hang. */
  CHECK_OK(natsrs_js_stream_delete_consumer(st, "D"));
  CHECK_STATUS(natsrs_js_stream_delete_consumer(st, "D"), NATSRS_STATUS_NOT_FOUND);
  CHECK_STATUS(natsrs_js_consumer_fetch(c, 1, 2000, batch, &n), NATSRS_STATUS_NOT_FOUND);
  CHECK_STATUS(natsrs_js_consumer_info(c, &ci), NATSRS_STATUS_NOT_FOUND);
  natsrs_js_consumer_free(c);

  natsrs_js_stream_free(st);
  CHECK_OK(natsrs_jetstream_delete_stream(js, stream));
  natsrs_jetstream_free(js);
  natsrs_connection_free(nc);
}

static tu_counter consumed, errors, freed;
static void on_msg(void *ud, const natsrs_msg *m) {
  (void)ud;
  CHECK_OK(natsrs_msg_ack(m));
  tu_counter_add(&consumed, 1);
}
static void on_error(void *ud, natsrs_status s, const char *text) {
  (void)ud;
  CHECK(s != NATSRS_STATUS_OK);
  CHECK(text != NULL && text[0] != '\0');
  tu_counter_add(&errors, 1);
}
static void on_free(void *ud) {
  (void)ud;
  tu_counter_add(&freed, 1);
}

static void test_handles_consume(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  natsrs_jetstream *js = NULL;
  REQUIRE_OK(natsrs_jetstream_new(nc, NULL, &js));
  char stream[64], wild[64], subj[96];
  names("C", stream, sizeof stream, wild, sizeof wild);
  snprintf(subj, sizeof subj, "C%d.a", (int)getpid());
  natsrs_stream_config *cfg = mem_cfg(stream, wild);
  natsrs_js_stream *st = NULL;
  REQUIRE_OK(natsrs_jetstream_create_stream(js, cfg, &st));
  natsrs_stream_config_free(cfg);
  natsrs_consumer_config *cc = NULL;
  REQUIRE_OK(natsrs_consumer_config_new("W", &cc));
  natsrs_js_consumer *c = NULL;
  REQUIRE_OK(natsrs_js_stream_create_consumer(st, cc, &c));
  natsrs_consumer_config_free(cc);

  natsrs_js_consume_options *o = NULL;
  REQUIRE_OK(natsrs_js_consume_options_create(&o));
  CHECK_OK(natsrs_js_consume_options_set_max_messages(o, 20));
  CHECK_OK(natsrs_js_consume_options_set_max_bytes(o, 0));
  CHECK_OK(natsrs_js_consume_options_set_expires_ms(o, 2000));
  CHECK_OK(natsrs_js_consume_options_set_heartbeat_ms(o, 500));
  CHECK_OK(natsrs_js_consume_options_set_threshold_messages(o, 5));
  tu_counter_init(&consumed);
  tu_counter_init(&errors);
  tu_counter_init(&freed);
  natsrs_consume_context *ctx = NULL;
  CHECK_STATUS(natsrs_js_consumer_consume(c, o, NULL, on_error, NULL, on_free, &ctx), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_EQ(tu_counter_get(&freed), 1);
  REQUIRE_OK(natsrs_js_consumer_consume(c, o, on_msg, on_error, NULL, on_free, &ctx));
  publish_n(js, subj, 100);
  CHECK_EQ(tu_counter_wait(&consumed, 100, 10000), 100);
  CHECK(!natsrs_consume_context_is_closed(ctx));
  CHECK_OK(natsrs_consume_context_stop(ctx));
  CHECK(natsrs_consume_context_is_closed(ctx));
  natsrs_consume_context_free(ctx);
  CHECK_EQ(tu_counter_get(&freed), 2);
  CHECK_EQ(tu_counter_get(&errors), 0);

  /* A deleted consumer ends the consume and reaches the error handler. */
  REQUIRE_OK(natsrs_js_consumer_consume(c, NULL, on_msg, on_error, NULL, on_free, &ctx));
  tu_sleep_ms(300); /* its first pull request reaches the server, which then answers the delete */
  CHECK_OK(natsrs_js_stream_delete_consumer(st, "W"));
  CHECK(tu_counter_wait(&errors, 1, 10000) >= 1);
  for (int i = 0; i < 1000 && !natsrs_consume_context_is_closed(ctx); i++) tu_sleep_ms(10);
  CHECK(natsrs_consume_context_is_closed(ctx));
  natsrs_consume_context_free(ctx);
  CHECK_EQ(tu_counter_get(&freed), 3);

  natsrs_js_consume_options_free(o);
  natsrs_js_consumer_free(c);
  natsrs_js_stream_free(st);
  CHECK_OK(natsrs_jetstream_delete_stream(js, stream));
  natsrs_jetstream_free(js);
  natsrs_connection_free(nc);
}

struct next_arg {
  natsrs_js_messages *it;
  natsrs_js_ordered_consumer *oc;
  natsrs_status st;
};

static void *next_thread(void *p) {
  struct next_arg *a = p;
  natsrs_msg *m = NULL;
  a->st = a->it ? natsrs_js_messages_next(a->it, 60000, &m) : natsrs_js_ordered_consumer_next(a->oc, 60000, &m);
  if (a->st == NATSRS_STATUS_OK) natsrs_msg_free(m);
  return NULL;
}

static void test_handles_message_iterator(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  natsrs_jetstream *js = NULL;
  REQUIRE_OK(natsrs_jetstream_new(nc, NULL, &js));
  char stream[64], wild[64], subj[96];
  names("I", stream, sizeof stream, wild, sizeof wild);
  snprintf(subj, sizeof subj, "I%d.a", (int)getpid());
  natsrs_stream_config *cfg = mem_cfg(stream, wild);
  natsrs_js_stream *st = NULL;
  REQUIRE_OK(natsrs_jetstream_create_stream(js, cfg, &st));
  natsrs_stream_config_free(cfg);
  natsrs_consumer_config *cc = NULL;
  REQUIRE_OK(natsrs_consumer_config_new("IT", &cc));
  natsrs_js_consumer *c = NULL;
  REQUIRE_OK(natsrs_js_stream_create_consumer(st, cc, &c));
  natsrs_consumer_config_free(cc);
  publish_n(js, subj, 30);

  natsrs_js_messages *it = NULL;
  REQUIRE_OK(natsrs_js_consumer_messages(c, NULL, &it));
  for (uint64_t i = 1; i <= 30; i++) {
    natsrs_msg *m = NULL;
    REQUIRE_OK(natsrs_js_messages_next(it, 5000, &m));
    CHECK_EQ(stream_seq(m), i);
    CHECK_OK(natsrs_msg_ack(m));
    natsrs_msg_free(m);
  }
  natsrs_msg *m = NULL;
  CHECK_STATUS(natsrs_js_messages_next(it, 100, &m), NATSRS_STATUS_TIMEOUT);
  /* Stopped from another thread while a next waits. */
  struct next_arg a = {it, NULL, NATSRS_STATUS_OK};
  pthread_t t;
  REQUIRE(pthread_create(&t, NULL, next_thread, &a) == 0);
  tu_sleep_ms(200);
  CHECK_OK(natsrs_js_messages_stop(it));
  pthread_join(t, NULL);
  CHECK_EQ(a.st, NATSRS_STATUS_INVALID_SUBSCRIPTION);
  CHECK_STATUS(natsrs_js_messages_next(it, 100, &m), NATSRS_STATUS_INVALID_SUBSCRIPTION);
  CHECK_OK(natsrs_js_messages_stop(it));
  natsrs_js_messages_free(it);

  /* A fresh iterator sees new messages; free without stop. */
  REQUIRE_OK(natsrs_js_consumer_messages(c, NULL, &it));
  publish_n(js, subj, 1);
  REQUIRE_OK(natsrs_js_messages_next(it, 5000, &m));
  CHECK_EQ(stream_seq(m), 31);
  natsrs_msg_free(m);
  natsrs_js_messages_free(it);

  natsrs_js_consumer_free(c);
  natsrs_js_stream_free(st);
  CHECK_OK(natsrs_jetstream_delete_stream(js, stream));
  natsrs_jetstream_free(js);
  natsrs_connection_free(nc);
}

static tu_counter ordered_n;
static uint64_t ordered_seqs[64];
static void on_ordered(void *ud, const natsrs_msg *m) {
  (void)ud;
  int64_t i = tu_counter_get(&ordered_n);
  if (i < 64) ordered_seqs[i] = stream_seq(m);
  tu_counter_add(&ordered_n, 1);
}

static void test_handles_ordered_consumer(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  natsrs_jetstream *js = NULL;
  REQUIRE_OK(natsrs_jetstream_new(nc, NULL, &js));
  char stream[64], wild[64], a[96], b[96];
  names("O", stream, sizeof stream, wild, sizeof wild);
  snprintf(a, sizeof a, "O%d.a", (int)getpid());
  snprintf(b, sizeof b, "O%d.b", (int)getpid());
  natsrs_stream_config *cfg = mem_cfg(stream, wild);
  natsrs_js_stream *st = NULL;
  REQUIRE_OK(natsrs_jetstream_create_stream(js, cfg, &st));
  natsrs_stream_config_free(cfg);
  for (int i = 0; i < 20; i++) {
    CHECK_OK(natsrs_jetstream_publish(js, a, TEXT("aaaa"), NULL, NULL)); /* odd sequences */
    CHECK_OK(natsrs_jetstream_publish(js, b, TEXT("bbbb"), NULL, NULL)); /* even sequences */
  }

  /* Only subject a, headers only, from the start. */
  natsrs_consumer_config *oc_cfg = NULL;
  REQUIRE_OK(natsrs_consumer_config_new(NULL, &oc_cfg));
  CHECK_OK(natsrs_consumer_config_set_filter_subject(oc_cfg, a));
  CHECK_OK(natsrs_consumer_config_set_deliver_policy(oc_cfg, NATSRS_DELIVER_POLICY_ALL));
  CHECK_OK(natsrs_consumer_config_set_headers_only(oc_cfg, true));
  natsrs_js_ordered_consumer *oc = NULL;
  REQUIRE_OK(natsrs_js_stream_ordered_consumer(st, oc_cfg, NULL, &oc));
  natsrs_consumer_config_free(oc_cfg);
  CHECK_EQ(natsrs_js_ordered_consumer_stream_seq(oc), 0);
  for (int i = 0; i < 10; i++) {
    natsrs_msg *m = NULL;
    REQUIRE_OK(natsrs_js_ordered_consumer_next(oc, 5000, &m));
    CHECK_EQ(stream_seq(m), (uint64_t)(2 * i + 1));
    CHECK_EQ(natsrs_msg_data_len(m), 0); /* headers only */
    natsrs_msg_free(m);
  }
  CHECK_EQ(natsrs_js_ordered_consumer_stream_seq(oc), 19);
  {
    /* It pulled ahead: the other ten wait in its queue (with at most a status answer). */
    int64_t pm = -1, pb = -1;
    for (int i = 0; i < 500; i++) {
      CHECK_OK(natsrs_js_ordered_consumer_pending(oc, &pm, &pb));
      if (pm >= 10) break;
      tu_sleep_ms(10);
    }
    CHECK(pm >= 10 && pm <= 11);
    CHECK(pb > 0); /* (headers only: the bytes of the headers) */
    CHECK_OK(natsrs_js_ordered_consumer_pending(oc, NULL, NULL));
    uint64_t dropped = 99;
    CHECK_OK(natsrs_js_ordered_consumer_dropped(oc, &dropped));
    CHECK_EQ(dropped, 0);
    CHECK_STATUS(natsrs_js_ordered_consumer_dropped(oc, NULL), NATSRS_STATUS_NULL_PARAMETER);
    CHECK_STATUS(natsrs_js_ordered_consumer_dropped(NULL, &dropped), NATSRS_STATUS_NULL_PARAMETER);
    CHECK_STATUS(natsrs_js_ordered_consumer_pending(NULL, &pm, &pb), NATSRS_STATUS_NULL_PARAMETER);
  }
  /* Delete its server-side consumer: it recreates itself after the last sequence. */
  natsrs_js_name_list *cons = NULL;
  REQUIRE_OK(natsrs_js_stream_consumer_names(st, &cons));
  CHECK_EQ(natsrs_js_name_list_count(cons), 1);
  char first[128] = "";
  {
    /* The info of the consumer in use is that consumer's. */
    natsrs_consumer_info *ci = NULL;
    REQUIRE_OK(natsrs_js_ordered_consumer_consumer_info(oc, &ci));
    CHECK_STR(natsrs_consumer_info_name(ci), natsrs_js_name_list_get(cons, 0));
    CHECK(natsrs_consumer_info_delivered_stream_seq(ci) >= 19); /* it pulls ahead */
    snprintf(first, sizeof first, "%s", natsrs_consumer_info_name(ci));
    natsrs_consumer_info_free(ci);
  }
  CHECK_OK(natsrs_js_stream_delete_consumer(st, natsrs_js_name_list_get(cons, 0)));
  natsrs_js_name_list_free(cons);
  for (int i = 10; i < 20; i++) {
    natsrs_msg *m = NULL;
    REQUIRE_OK(natsrs_js_ordered_consumer_next(oc, 10000, &m));
    CHECK_EQ(stream_seq(m), (uint64_t)(2 * i + 1));
    natsrs_msg_free(m);
  }
  {
    /* The deleted consumer is gone (NOT_FOUND until the ordered consumer notices and makes a
     * new one, whose info it then gives). */
    natsrs_consumer_info *ci = NULL;
    natsrs_status cs = natsrs_js_ordered_consumer_consumer_info(oc, &ci);
    CHECK(cs == NATSRS_STATUS_NOT_FOUND || cs == NATSRS_STATUS_OK);
    if (cs == NATSRS_STATUS_OK) {
      CHECK(strcmp(natsrs_consumer_info_name(ci), first) != 0);
      natsrs_consumer_info_free(ci);
    }
    CHECK_STATUS(natsrs_js_ordered_consumer_consumer_info(oc, NULL), NATSRS_STATUS_NULL_PARAMETER);
  }
  natsrs_msg *m = NULL;
  CHECK_STATUS(natsrs_js_ordered_consumer_next(oc, 200, &m), NATSRS_STATUS_TIMEOUT);
  /* Stop from another thread. */
  struct next_arg na = {NULL, oc, NATSRS_STATUS_OK};
  pthread_t t;
  REQUIRE(pthread_create(&t, NULL, next_thread, &na) == 0);
  tu_sleep_ms(200);
  CHECK_OK(natsrs_js_ordered_consumer_stop(oc));
  pthread_join(t, NULL);
  CHECK_EQ(na.st, NATSRS_STATUS_INVALID_SUBSCRIPTION);
  natsrs_js_ordered_consumer_free(oc);

  /* Consume: the whole stream from sequence 5, in order, each once. */
  REQUIRE_OK(natsrs_consumer_config_new(NULL, &oc_cfg));
  CHECK_OK(natsrs_consumer_config_set_opt_start_seq(oc_cfg, 5));
  natsrs_js_consume_options *o = NULL;
  REQUIRE_OK(natsrs_js_consume_options_create(&o));
  CHECK_OK(natsrs_js_consume_options_set_max_messages(o, 7));
  REQUIRE_OK(natsrs_js_stream_ordered_consumer(st, oc_cfg, o, &oc));
  natsrs_js_consume_options_free(o);
  natsrs_consumer_config_free(oc_cfg);
  tu_counter_init(&ordered_n);
  tu_counter_init(&freed);
  natsrs_consume_context *ctx = NULL;
  REQUIRE_OK(natsrs_js_ordered_consumer_consume(oc, on_ordered, NULL, NULL, on_free, &ctx));
  CHECK_STATUS(natsrs_js_ordered_consumer_next(oc, 100, &m), NATSRS_STATUS_ILLEGAL_STATE);
  CHECK_STATUS(natsrs_js_ordered_consumer_consume(oc, on_ordered, NULL, NULL, on_free, &ctx), NATSRS_STATUS_ILLEGAL_STATE);
  CHECK_EQ(tu_counter_get(&freed), 1);
  CHECK_EQ(tu_counter_wait(&ordered_n, 36, 10000), 36);
  tu_sleep_ms(100);
  CHECK_OK(natsrs_consume_context_stop(ctx));
  natsrs_consume_context_free(ctx);
  CHECK_EQ(tu_counter_get(&ordered_n), 36);
  for (int i = 0; i < 36; i++) CHECK_EQ(ordered_seqs[i], (uint64_t)(i + 5));
  CHECK_EQ(tu_counter_get(&freed), 2);
  natsrs_js_ordered_consumer_free(oc);

  natsrs_js_stream_free(st);
  CHECK_OK(natsrs_jetstream_delete_stream(js, stream));
  natsrs_jetstream_free(js);
  natsrs_connection_free(nc);
}

/* More streams (and consumers) than one page of STREAM.NAMES / CONSUMER.NAMES (1024 names) and
 * several pages of STREAM.LIST / CONSUMER.LIST (256 infos). */
#define LIST_STREAMS 1030
/* More consumers than one page of CONSUMER.LIST (256 infos); the server's default limit of
 * consumers per stream (1000) keeps CONSUMER.NAMES to one page. */
#define LIST_CONSUMERS 300

static void test_lists_paged(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  natsrs_jetstream *js = NULL;
  REQUIRE_OK(natsrs_jetstream_new(nc, NULL, &js));
  int pid = (int)getpid();
  int64_t t0 = tu_now_ms();
  for (int i = 0; i < LIST_STREAMS; i++) {
    char name[64], subj[64];
    snprintf(name, sizeof name, "L%d_%03d", pid, i);
    snprintf(subj, sizeof subj, "L%d.%d", pid, i);
    natsrs_stream_config *cfg = mem_cfg(name, subj);
    CHECK_OK(natsrs_jetstream_add_stream(js, cfg, NULL));
    natsrs_stream_config_free(cfg);
  }
  printf("    created %d memory streams in %lld ms\n", LIST_STREAMS, (long long)(tu_now_ms() - t0));
  char filter[64];
  snprintf(filter, sizeof filter, "L%d.>", pid);

  natsrs_js_name_list *names_l = NULL;
  REQUIRE_OK(natsrs_jetstream_stream_names(js, filter, &names_l));
  CHECK_EQ(natsrs_js_name_list_count(names_l), LIST_STREAMS);
  bool seen[LIST_STREAMS] = {false};
  for (size_t i = 0; i < natsrs_js_name_list_count(names_l); i++) {
    const char *n = natsrs_js_name_list_get(names_l, i);
    int idx = -1;
    if (n && sscanf(strchr(n, '_') ? strchr(n, '_') + 1 : "", "%d", &idx) == 1 && idx >= 0 && idx < LIST_STREAMS) seen[idx] = true;
  }
  int distinct = 0;
  for (int i = 0; i < LIST_STREAMS; i++) distinct += seen[i];
  CHECK_EQ(distinct, LIST_STREAMS);
  CHECK(natsrs_js_name_list_get(names_l, LIST_STREAMS) == NULL);
  natsrs_js_name_list_free(names_l);
  REQUIRE_OK(natsrs_jetstream_stream_names(js, NULL, &names_l));
  CHECK(natsrs_js_name_list_count(names_l) >= LIST_STREAMS);
  natsrs_js_name_list_free(names_l);
  char one[64], one_name[64];
  snprintf(one, sizeof one, "L%d.7", pid);
  snprintf(one_name, sizeof one_name, "L%d_007", pid);
  REQUIRE_OK(natsrs_jetstream_stream_names(js, one, &names_l));
  CHECK_EQ(natsrs_js_name_list_count(names_l), 1);
  CHECK_STR(natsrs_js_name_list_get(names_l, 0), one_name);
  natsrs_js_name_list_free(names_l);

  natsrs_stream_info_list *infos = NULL;
  REQUIRE_OK(natsrs_jetstream_streams(js, filter, &infos));
  CHECK_EQ(natsrs_stream_info_list_count(infos), LIST_STREAMS);
  const natsrs_stream_info *si = natsrs_stream_info_list_get(infos, 0);
  REQUIRE(si);
  CHECK(strncmp(natsrs_stream_info_name(si), "L", 1) == 0);
  CHECK_EQ(natsrs_stream_info_messages(si), 0);
  CHECK(natsrs_stream_info_list_get(infos, LIST_STREAMS) == NULL);
  natsrs_stream_info_list_free(infos);
  REQUIRE_OK(natsrs_jetstream_streams(js, one, &infos));
  CHECK_EQ(natsrs_stream_info_list_count(infos), 1);
  CHECK_STR(natsrs_stream_info_name(natsrs_stream_info_list_get(infos, 0)), one_name);
  natsrs_stream_info_list_free(infos);

  /* Consumers of one stream, more than a page too: names and infos. */
  t0 = tu_now_ms();
  for (int i = 0; i < LIST_CONSUMERS; i++) {
    char dn[16];
    snprintf(dn, sizeof dn, "d%03d", i);
    natsrs_consumer_config *cc = NULL;
    REQUIRE_OK(natsrs_consumer_config_new(dn, &cc));
    CHECK_OK(natsrs_jetstream_add_consumer(js, one_name, cc, NULL));
    natsrs_consumer_config_free(cc);
  }
  printf("    created %d consumers in %lld ms\n", LIST_CONSUMERS, (long long)(tu_now_ms() - t0));
  REQUIRE_OK(natsrs_jetstream_consumer_names(js, one_name, &names_l));
  CHECK_EQ(natsrs_js_name_list_count(names_l), LIST_CONSUMERS);
  natsrs_js_name_list_free(names_l);
  natsrs_consumer_info_list *cis = NULL;
  REQUIRE_OK(natsrs_jetstream_consumers(js, one_name, &cis));
  CHECK_EQ(natsrs_consumer_info_list_count(cis), LIST_CONSUMERS);
  const natsrs_consumer_info *ci = natsrs_consumer_info_list_get(cis, 2);
  REQUIRE(ci);
  CHECK_STR(natsrs_consumer_info_stream_name(ci), one_name);
  CHECK(natsrs_consumer_info_list_get(cis, LIST_CONSUMERS) == NULL);
  natsrs_consumer_info_list_free(cis);
  CHECK_STATUS(natsrs_jetstream_consumers(js, "NOSUCHSTREAM", &cis), NATSRS_STATUS_NOT_FOUND);

  t0 = tu_now_ms();
  for (int i = 0; i < LIST_STREAMS; i++) {
    char name[64];
    snprintf(name, sizeof name, "L%d_%03d", pid, i);
    CHECK_OK(natsrs_jetstream_delete_stream(js, name));
  }
  printf("    deleted them in %lld ms\n", (long long)(tu_now_ms() - t0));
  natsrs_jetstream_free(js);
  natsrs_connection_free(nc);
}

static tu_counter hb_errors;
static char hb_text[512];
static void on_conn_error(void *ud, natsrs_connection *nc, natsrs_subscription *sub, natsrs_status s, const char *text) {
  (void)ud;
  (void)nc;
  (void)sub;
  if (s == NATSRS_STATUS_TIMEOUT && text && strstr(text, "missed heartbeats")) {
    if (tu_counter_get(&hb_errors) == 0) snprintf(hb_text, sizeof hb_text, "%s", text);
    tu_counter_add(&hb_errors, 1);
  }
}

static void test_push_missed_heartbeats(void) {
  tu_counter_init(&hb_errors);
  natsrs_options *opts = NULL;
  REQUIRE_OK(natsrs_options_new(&opts));
  CHECK_OK(natsrs_options_set_url(opts, tu_url()));
  CHECK_OK(natsrs_options_set_error_handler(opts, on_conn_error, NULL, NULL));
  natsrs_connection *nc = NULL;
  REQUIRE_OK(natsrs_connection_connect(opts, &nc));
  natsrs_options_free(opts);
  natsrs_jetstream *js = NULL;
  REQUIRE_OK(natsrs_jetstream_new(nc, NULL, &js));
  char stream[64], wild[64], subj[96];
  names("P", stream, sizeof stream, wild, sizeof wild);
  snprintf(subj, sizeof subj, "P%d.a", (int)getpid());
  natsrs_stream_config *cfg = mem_cfg(stream, wild);
  REQUIRE_OK(natsrs_jetstream_add_stream(js, cfg, NULL));
  natsrs_stream_config_free(cfg);

  natsrs_consumer_config *cc = NULL;
  REQUIRE_OK(natsrs_consumer_config_from_json("{\"idle_heartbeat\":500000000}", &cc));
  natsrs_js_subscribe_options *so = NULL;
  REQUIRE_OK(natsrs_js_subscribe_options_create(&so));
  CHECK_OK(natsrs_js_subscribe_options_set_consumer_config(so, cc));
  natsrs_consumer_config_free(cc);
  natsrs_js_subscription *sub = NULL;
  REQUIRE_OK(natsrs_jetstream_subscribe_sync(js, wild, so, &sub));
  natsrs_js_subscribe_options_free(so);
  /* Heartbeats keep it quiet while idle. */
  tu_sleep_ms(1600);
  CHECK_EQ(tu_counter_get(&hb_errors), 0);
  CHECK_OK(natsrs_jetstream_publish(js, subj, TEXT("x"), NULL, NULL));
  /* The consumer disappears: the error handler hears about it, although heartbeats and a
   * message from before still wait unread. */
  natsrs_consumer_info *ci = NULL;
  REQUIRE_OK(natsrs_js_subscription_consumer_info(sub, &ci));
  char cname[128];
  snprintf(cname, sizeof cname, "%s", natsrs_consumer_info_name(ci));
  natsrs_consumer_info_free(ci);
  CHECK_OK(natsrs_jetstream_delete_consumer(js, stream, cname));
  CHECK(tu_counter_wait(&hb_errors, 1, 10000) >= 1);
  CHECK(strstr(hb_text, cname) != NULL);
  natsrs_msg *m = NULL;
  REQUIRE_OK(natsrs_js_subscription_next_msg(sub, 5000, &m));
  CHECK_EQ(natsrs_msg_data_len(m), 1);
  natsrs_msg_free(m);
  natsrs_js_subscription_free(sub);

  CHECK_OK(natsrs_jetstream_delete_stream(js, stream));
  natsrs_jetstream_free(js);
  natsrs_connection_free(nc);
}

static void nop_msg(void *ud, const natsrs_msg *m) {
  (void)ud;
  (void)m;
}

static void test_handles_bad_arguments(void) {
  const natsrs_status NP = NATSRS_STATUS_NULL_PARAMETER, IA = NATSRS_STATUS_INVALID_ARGUMENT;
  void *out = TU_SENTINEL;
  size_t n = 0;
  natsrs_msg *batch[2];
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  natsrs_jetstream *js = NULL;
  REQUIRE_OK(natsrs_jetstream_new(nc, NULL, &js));

  CHECK_STATUS(natsrs_jetstream_get_stream(NULL, "S", (natsrs_js_stream **)&out), NP);
  CHECK_STATUS(natsrs_jetstream_get_stream(js, NULL, (natsrs_js_stream **)&out), NP);
  CHECK_STATUS(natsrs_jetstream_get_stream(js, "S", NULL), NP);
  CHECK_STATUS(natsrs_jetstream_get_stream(js, "a.b", (natsrs_js_stream **)&out), IA);
  CHECK_STATUS(natsrs_jetstream_create_stream(js, NULL, (natsrs_js_stream **)&out), NP);
  CHECK_STATUS(natsrs_jetstream_create_or_update_stream(NULL, NULL, (natsrs_js_stream **)&out), NP);
  CHECK(natsrs_js_stream_name(NULL) == NULL);
  CHECK_STATUS(natsrs_js_stream_info(NULL, (natsrs_stream_info **)&out), NP);
  CHECK_STATUS(natsrs_js_stream_cached_info(NULL, (natsrs_stream_info **)&out), NP);
  CHECK_STATUS(natsrs_js_stream_update(NULL, NULL, NULL), NP);
  CHECK_STATUS(natsrs_js_stream_create_consumer(NULL, NULL, (natsrs_js_consumer **)&out), NP);
  CHECK_STATUS(natsrs_js_stream_update_consumer(NULL, NULL, (natsrs_js_consumer **)&out), NP);
  CHECK_STATUS(natsrs_js_stream_create_or_update_consumer(NULL, NULL, (natsrs_js_consumer **)&out), NP);
  CHECK_STATUS(natsrs_js_stream_get_consumer(NULL, "c", (natsrs_js_consumer **)&out), NP);
  CHECK_STATUS(natsrs_js_stream_delete_consumer(NULL, "c"), NP);
  CHECK_STATUS(natsrs_js_stream_consumer_names(NULL, (natsrs_js_name_list **)&out), NP);
  CHECK_STATUS(natsrs_js_stream_ordered_consumer(NULL, NULL, NULL, (natsrs_js_ordered_consumer **)&out), NP);
  natsrs_js_stream_free(NULL);

  CHECK(natsrs_js_consumer_name(NULL) == NULL);
  CHECK(natsrs_js_consumer_stream_name(NULL) == NULL);
  CHECK_STATUS(natsrs_js_consumer_info(NULL, (natsrs_consumer_info **)&out), NP);
  CHECK_STATUS(natsrs_js_consumer_cached_info(NULL, (natsrs_consumer_info **)&out), NP);
  CHECK_STATUS(natsrs_js_consumer_fetch(NULL, 1, 100, batch, &n), NP);
  CHECK_STATUS(natsrs_js_consumer_fetch_bytes(NULL, 1, 1, 100, batch, &n), NP);
  CHECK_STATUS(natsrs_js_consumer_fetch_no_wait(NULL, 1, batch, &n), NP);
  CHECK_STATUS(natsrs_js_consumer_next(NULL, 100, (natsrs_msg **)&out), NP);
  CHECK_STATUS(natsrs_js_consumer_consume(NULL, NULL, nop_msg, NULL, NULL, NULL, (natsrs_consume_context **)&out), NP);
  CHECK_STATUS(natsrs_js_consumer_messages(NULL, NULL, (natsrs_js_messages **)&out), NP);
  natsrs_js_consumer_free(NULL);

  CHECK_STATUS(natsrs_js_consume_options_create(NULL), NP);
  CHECK_STATUS(natsrs_js_consume_options_set_max_messages(NULL, 1), NP);
  CHECK_STATUS(natsrs_js_consume_options_set_max_bytes(NULL, 1), NP);
  CHECK_STATUS(natsrs_js_consume_options_set_expires_ms(NULL, 1000), NP);
  CHECK_STATUS(natsrs_js_consume_options_set_heartbeat_ms(NULL, 1), NP);
  CHECK_STATUS(natsrs_js_consume_options_set_threshold_messages(NULL, 1), NP);
  natsrs_js_consume_options *o = NULL;
  REQUIRE_OK(natsrs_js_consume_options_create(&o));
  CHECK_STATUS(natsrs_js_consume_options_set_max_messages(o, 0), IA);
  CHECK_STATUS(natsrs_js_consume_options_set_expires_ms(o, 999), IA);
  CHECK_STATUS(natsrs_js_consume_options_set_expires_ms(o, 0), IA);
  CHECK_STATUS(natsrs_js_consume_options_set_heartbeat_ms(o, -1), IA);
  natsrs_js_consume_options_free(o);
  natsrs_js_consume_options_free(NULL);

  CHECK_STATUS(natsrs_js_messages_next(NULL, 100, (natsrs_msg **)&out), NP);
  CHECK_STATUS(natsrs_js_messages_stop(NULL), NP);
  natsrs_js_messages_free(NULL);
  CHECK_STATUS(natsrs_js_ordered_consumer_next(NULL, 100, (natsrs_msg **)&out), NP);
  CHECK_STATUS(natsrs_js_ordered_consumer_consume(NULL, nop_msg, NULL, NULL, NULL, (natsrs_consume_context **)&out), NP);
  CHECK_STATUS(natsrs_js_ordered_consumer_stop(NULL), NP);
  CHECK_EQ(natsrs_js_ordered_consumer_stream_seq(NULL), 0);
  CHECK_STATUS(natsrs_js_ordered_consumer_consumer_info(NULL, (natsrs_consumer_info **)&out), NP);
  natsrs_js_ordered_consumer_free(NULL);

  CHECK_STATUS(natsrs_jetstream_stream_names(NULL, NULL, (natsrs_js_name_list **)&out), NP);
  CHECK_STATUS(natsrs_jetstream_stream_names(js, NULL, NULL), NP);
  CHECK_STATUS(natsrs_jetstream_consumer_names(js, NULL, (natsrs_js_name_list **)&out), NP);
  CHECK_STATUS(natsrs_jetstream_streams(NULL, NULL, (natsrs_stream_info_list **)&out), NP);
  CHECK_STATUS(natsrs_jetstream_consumers(js, NULL, (natsrs_consumer_info_list **)&out), NP);
  CHECK_EQ(natsrs_js_name_list_count(NULL), 0);
  CHECK(natsrs_js_name_list_get(NULL, 0) == NULL);
  CHECK_EQ(natsrs_stream_info_list_count(NULL), 0);
  CHECK(natsrs_stream_info_list_get(NULL, 0) == NULL);
  CHECK_EQ(natsrs_consumer_info_list_count(NULL), 0);
  CHECK(natsrs_consumer_info_list_get(NULL, 0) == NULL);
  natsrs_js_name_list_free(NULL);
  natsrs_stream_info_list_free(NULL);
  natsrs_consumer_info_list_free(NULL);
  CHECK(out == TU_SENTINEL);

  /* Arguments checked on live handles. */
  char stream[64], wild[64];
  names("B", stream, sizeof stream, wild, sizeof wild);
  natsrs_stream_config *cfg = mem_cfg(stream, wild);
  natsrs_js_stream *st = NULL;
  REQUIRE_OK(natsrs_jetstream_create_stream(js, cfg, &st));
  natsrs_stream_config_free(cfg);
  natsrs_consumer_config *cc = NULL;
  REQUIRE_OK(natsrs_consumer_config_new("B", &cc));
  natsrs_js_consumer *c = NULL;
  REQUIRE_OK(natsrs_js_stream_create_consumer(st, cc, &c));
  natsrs_consumer_config_free(cc);
  REQUIRE_OK(natsrs_consumer_config_from_json("{\"durable_name\":\"PUSH\",\"deliver_subject\":\"x.y\"}", &cc));
  CHECK_STATUS(natsrs_js_stream_create_consumer(st, cc, (natsrs_js_consumer **)&out), IA);
  natsrs_consumer_config_free(cc);
  CHECK_STATUS(natsrs_js_consumer_fetch(c, 0, 100, batch, &n), IA);
  CHECK_STATUS(natsrs_js_consumer_fetch(c, 1, 0, batch, &n), IA);
  CHECK_STATUS(natsrs_js_consumer_fetch(c, 1, 100, NULL, &n), NP);
  CHECK_STATUS(natsrs_js_consumer_fetch(c, 1, 100, batch, NULL), NP);
  CHECK_STATUS(natsrs_js_consumer_fetch_bytes(c, 0, 1, 100, batch, &n), IA);
  CHECK_STATUS(natsrs_js_consumer_fetch_bytes(c, 1, 0, 100, batch, &n), IA);
  CHECK_STATUS(natsrs_js_consumer_fetch_no_wait(c, 0, batch, &n), IA);
  CHECK_STATUS(natsrs_js_consumer_next(c, -1, (natsrs_msg **)&out), IA);
  CHECK_STATUS(natsrs_js_consumer_consume(c, NULL, NULL, NULL, NULL, NULL, (natsrs_consume_context **)&out), NP);
  CHECK_STATUS(natsrs_js_consumer_consume(c, NULL, nop_msg, NULL, NULL, NULL, NULL), NP);
  CHECK_STATUS(natsrs_js_consumer_messages(c, NULL, NULL), NP);
  CHECK_STATUS(natsrs_js_stream_get_consumer(st, NULL, (natsrs_js_consumer **)&out), NP);
  CHECK_STATUS(natsrs_js_stream_ordered_consumer(st, NULL, NULL, NULL), NP);
  CHECK(out == TU_SENTINEL);
  natsrs_js_consumer_free(c);
  natsrs_js_stream_free(st);
  CHECK_OK(natsrs_jetstream_delete_stream(js, stream));
  natsrs_jetstream_free(js);
  natsrs_connection_free(nc);
}

static const tu_test tests[] = {
    TU_TEST(test_handles_stream_and_consumer),
    TU_TEST(test_handles_consume),
    TU_TEST(test_handles_message_iterator),
    TU_TEST(test_handles_ordered_consumer),
    TU_TEST(test_lists_paged),
    TU_TEST(test_push_missed_heartbeats),
    TU_TEST(test_handles_bad_arguments),
};

int main(int argc, char **argv) { return tu_main(argc, argv, tests, TU_COUNT(tests)); }
