/* JetStream from C under ASan/UBSan, against a server started with -js: stream management,
 * config JSON and setters, publish and pub acks, server error codes, async publish, push and
 * pull consumers, acks and metadata, NULL and bad arguments. */
#include "test_util.h"

#include <unistd.h>

/* A stream name and subject unique to this process and test. */
static void names(char *stream, size_t slen, char *subj, size_t sublen) {
  snprintf(stream, slen, "S%d", (int)getpid());
  snprintf(subj, sublen, "js%d.>", (int)getpid());
}

/* Context plus a stream capturing "js<pid>.>"; NULL on failure. */
static natsrs_jetstream *setup(natsrs_connection **nc, char *stream, size_t slen, char *pfx, size_t plen) {
  char wild[64];
  names(stream, slen, wild, sizeof wild);
  snprintf(pfx, plen, "js%d", (int)getpid());
  *nc = tu_connect();
  if (!*nc) return NULL;
  natsrs_jetstream *js = NULL;
  if (natsrs_jetstream_new(*nc, NULL, &js) != NATSRS_STATUS_OK) return NULL;
  natsrs_stream_config *cfg = NULL;
  natsrs_stream_config_new(stream, &cfg);
  natsrs_stream_config_add_subject(cfg, wild);
  natsrs_stream_config_set_storage(cfg, NATSRS_STORAGE_TYPE_MEMORY);
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

static void test_js_stream_management(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  natsrs_jetstream_options *o = NULL;
  REQUIRE_OK(natsrs_jetstream_options_create(&o));
  CHECK_OK(natsrs_jetstream_options_set_timeout_ms(o, 3000));
  CHECK_OK(natsrs_jetstream_options_set_publish_async_max_pending(o, 64));
  CHECK_OK(natsrs_jetstream_options_set_publish_async_stall_wait_ms(o, 500));
  CHECK_OK(natsrs_jetstream_options_set_domain(o, NULL));
  natsrs_jetstream *js = NULL;
  REQUIRE_OK(natsrs_jetstream_new(nc, o, &js));
  natsrs_jetstream_options_free(o);

  char stream[64], wild[64];
  names(stream, sizeof stream, wild, sizeof wild);
  natsrs_stream_config *cfg = NULL;
  REQUIRE_OK(natsrs_stream_config_new(stream, &cfg));
  const char *subs[] = {wild};
  CHECK_OK(natsrs_stream_config_set_subjects(cfg, subs, 1));
  CHECK_OK(natsrs_stream_config_set_storage(cfg, NATSRS_STORAGE_TYPE_MEMORY));
  CHECK_OK(natsrs_stream_config_set_retention(cfg, NATSRS_RETENTION_POLICY_LIMITS));
  CHECK_OK(natsrs_stream_config_set_replicas(cfg, 1));
  CHECK_OK(natsrs_stream_config_set_max_msgs(cfg, 1000));
  CHECK_OK(natsrs_stream_config_set_max_bytes(cfg, 1 << 20));
  CHECK_OK(natsrs_stream_config_set_max_age_ms(cfg, 3600000));
  CHECK_OK(natsrs_stream_config_set_max_msg_size(cfg, 4096));
  CHECK_OK(natsrs_stream_config_set_discard(cfg, NATSRS_DISCARD_POLICY_OLD));
  CHECK_OK(natsrs_stream_config_set_duplicate_window_ms(cfg, 60000));
  CHECK_OK(natsrs_stream_config_set_allow_direct(cfg, true));

  /* JSON round trip keeps the typed fields and unknown ones. */
  char *json = NULL;
  REQUIRE_OK(natsrs_stream_config_to_json(cfg, &json));
  CHECK(strstr(json, "\"max_age\":3600000000000") != NULL);
  CHECK(strstr(json, "\"storage\":\"memory\"") != NULL);
  natsrs_string_free(json);
  natsrs_stream_config *c2 = NULL;
  CHECK_OK(natsrs_stream_config_from_json("{\"name\":\"X\",\"subjects\":[\"x.>\"],\"future_field\":7}", &c2));
  REQUIRE_OK(natsrs_stream_config_to_json(c2, &json));
  CHECK(strstr(json, "\"future_field\":7") != NULL);
  natsrs_string_free(json);
  natsrs_stream_config_free(c2);
  CHECK_STATUS(natsrs_stream_config_from_json("{not json", &c2), NATSRS_STATUS_INVALID_ARGUMENT);

  natsrs_stream_info *si = NULL;
  REQUIRE_OK(natsrs_jetstream_add_stream(js, cfg, &si));
  CHECK_STR(natsrs_stream_info_name(si), stream);
  CHECK_EQ(natsrs_stream_info_messages(si), 0);
  natsrs_stream_info_free(si);

  /* Same name, other config: 10058. */
  natsrs_stream_config *other = NULL;
  REQUIRE_OK(natsrs_stream_config_new(stream, &other));
  CHECK_OK(natsrs_stream_config_add_subject(other, "other.subject.x"));
  CHECK_STATUS(natsrs_jetstream_add_stream(js, other, NULL), NATSRS_STATUS_JETSTREAM);
  int32_t code = 0;
  uint64_t err_code = 0;
  CHECK(natsrs_last_error_api(&code, &err_code));
  CHECK_EQ(code, 400);
  CHECK_EQ(err_code, 10058);
  natsrs_stream_config_free(other);
  /* A success clears the codes. */
  CHECK_OK(natsrs_stream_config_set_max_msgs(cfg, 500));
  CHECK(!natsrs_last_error_api(&code, &err_code));

  natsrs_stream_info *ui = NULL;
  REQUIRE_OK(natsrs_jetstream_update_stream(js, cfg, &ui));
  natsrs_stream_config *got = NULL;
  REQUIRE_OK(natsrs_stream_info_config(ui, &got));
  REQUIRE_OK(natsrs_stream_config_to_json(got, &json));
  CHECK(strstr(json, "\"max_msgs\":500") != NULL);
  natsrs_string_free(json);
  natsrs_stream_config_free(got);
  REQUIRE_OK(natsrs_stream_info_json(ui, &json));
  CHECK(strstr(json, "\"state\"") != NULL);
  natsrs_string_free(json);
  natsrs_stream_info_free(ui);

  char subj[64];
  snprintf(subj, sizeof subj, "js%d.a", (int)getpid());
  for (int i = 0; i < 5; i++) CHECK_OK(natsrs_jetstream_publish(js, subj, TEXT("x"), NULL, NULL));
  snprintf(subj, sizeof subj, "js%d.b", (int)getpid());
  for (int i = 0; i < 3; i++) CHECK_OK(natsrs_jetstream_publish(js, subj, TEXT("y"), NULL, NULL));
  REQUIRE_OK(natsrs_jetstream_stream_info(js, stream, &si));
  CHECK_EQ(natsrs_stream_info_messages(si), 8);
  CHECK_EQ(natsrs_stream_info_first_seq(si), 1);
  CHECK_EQ(natsrs_stream_info_last_seq(si), 8);
  CHECK(natsrs_stream_info_bytes(si) > 0);
  CHECK_EQ(natsrs_stream_info_consumer_count(si), 0);
  natsrs_stream_info_free(si);

  uint64_t purged = 0;
  CHECK_OK(natsrs_jetstream_purge_stream(js, stream, subj, 0, 1, &purged));
  CHECK_EQ(purged, 2);
  CHECK_STATUS(natsrs_jetstream_purge_stream(js, stream, NULL, 3, 1, &purged), NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK_OK(natsrs_jetstream_purge_stream(js, stream, NULL, 0, 0, &purged));
  CHECK_EQ(purged, 6);

  REQUIRE_OK(natsrs_jetstream_stream_names_json(js, NULL, &json));
  CHECK(strstr(json, stream) != NULL);
  natsrs_string_free(json);

  /* Consumers. */
  natsrs_consumer_config *cc = NULL;
  REQUIRE_OK(natsrs_consumer_config_new("D1", &cc));
  CHECK_OK(natsrs_consumer_config_set_ack_policy(cc, NATSRS_ACK_POLICY_EXPLICIT));
  CHECK_OK(natsrs_consumer_config_set_deliver_policy(cc, NATSRS_DELIVER_POLICY_ALL));
  CHECK_OK(natsrs_consumer_config_set_ack_wait_ms(cc, 5000));
  CHECK_OK(natsrs_consumer_config_set_max_deliver(cc, 5));
  int64_t backoff[] = {1000, 2000};
  CHECK_OK(natsrs_consumer_config_set_backoff_ms(cc, backoff, 2));
  CHECK_OK(natsrs_consumer_config_set_filter_subject(cc, subj));
  CHECK_OK(natsrs_consumer_config_set_max_ack_pending(cc, 100));
  CHECK_OK(natsrs_consumer_config_set_inactive_threshold_ms(cc, 60000));
  CHECK_OK(natsrs_consumer_config_set_headers_only(cc, false));
  CHECK_OK(natsrs_consumer_config_set_replay_policy(cc, NATSRS_REPLAY_POLICY_INSTANT));
  REQUIRE_OK(natsrs_consumer_config_to_json(cc, &json));
  CHECK(strstr(json, "\"backoff\":[1000000000,2000000000]") != NULL);
  CHECK(strstr(json, "\"durable_name\":\"D1\"") != NULL);
  natsrs_string_free(json);
  natsrs_consumer_info *ci = NULL;
  REQUIRE_OK(natsrs_jetstream_add_consumer(js, stream, cc, &ci));
  CHECK_STR(natsrs_consumer_info_name(ci), "D1");
  CHECK_STR(natsrs_consumer_info_stream_name(ci), stream);
  CHECK_EQ(natsrs_consumer_info_num_pending(ci), 0);
  CHECK_EQ(natsrs_consumer_info_num_redelivered(ci), 0);
  CHECK_EQ(natsrs_consumer_info_num_waiting(ci), 0);
  CHECK_EQ(natsrs_consumer_info_delivered_consumer_seq(ci), 0);
  CHECK(natsrs_consumer_info_delivered_stream_seq(ci) <= 8); /* the stream was purged after 8 */
  CHECK(natsrs_consumer_info_ack_floor_stream_seq(ci) <= 8);
  natsrs_consumer_info_free(ci);
  CHECK_OK(natsrs_consumer_config_set_max_ack_pending(cc, 50));
  CHECK_OK(natsrs_jetstream_update_consumer(js, stream, cc, NULL));
  REQUIRE_OK(natsrs_jetstream_consumer_info(js, stream, "D1", &ci));
  natsrs_consumer_config *gc = NULL;
  REQUIRE_OK(natsrs_consumer_info_config(ci, &gc));
  REQUIRE_OK(natsrs_consumer_config_to_json(gc, &json));
  CHECK(strstr(json, "\"max_ack_pending\":50") != NULL);
  natsrs_string_free(json);
  natsrs_consumer_config_free(gc);
  REQUIRE_OK(natsrs_consumer_info_json(ci, &json));
  natsrs_string_free(json);
  natsrs_consumer_info_free(ci);
  REQUIRE_OK(natsrs_jetstream_consumer_names_json(js, stream, &json));
  CHECK(strstr(json, "D1") != NULL);
  natsrs_string_free(json);
  CHECK_OK(natsrs_jetstream_delete_consumer(js, stream, "D1"));
  CHECK_STATUS(natsrs_jetstream_consumer_info(js, stream, "D1", &ci), NATSRS_STATUS_NOT_FOUND);
  natsrs_consumer_config_free(cc);

  natsrs_account_info *ai = NULL;
  REQUIRE_OK(natsrs_jetstream_account_info(js, &ai));
  CHECK(natsrs_account_info_streams(ai) >= 1);
  (void)natsrs_account_info_memory(ai);
  (void)natsrs_account_info_storage(ai);
  (void)natsrs_account_info_consumers(ai);
  REQUIRE_OK(natsrs_account_info_json(ai, &json));
  natsrs_string_free(json);
  natsrs_account_info_free(ai);

  CHECK_OK(natsrs_jetstream_delete_stream(js, stream));
  CHECK_STATUS(natsrs_jetstream_stream_info(js, stream, &si), NATSRS_STATUS_NOT_FOUND);
  CHECK_STATUS(natsrs_jetstream_delete_stream(js, stream), NATSRS_STATUS_NOT_FOUND);
  natsrs_stream_config_free(cfg);
  natsrs_jetstream_free(js);
  natsrs_connection_free(nc);
}

static void test_js_publish_and_expectations(void) {
  natsrs_connection *nc = NULL;
  char stream[64], pfx[64], subj[96];
  natsrs_jetstream *js = setup(&nc, stream, sizeof stream, pfx, sizeof pfx);
  REQUIRE(js);
  snprintf(subj, sizeof subj, "%s.p", pfx);
  natsrs_pub_ack *ack = NULL;
  REQUIRE_OK(natsrs_jetstream_publish(js, subj, TEXT("one"), NULL, &ack));
  CHECK_STR(natsrs_pub_ack_stream(ack), stream);
  CHECK_EQ(natsrs_pub_ack_seq(ack), 1);
  CHECK(!natsrs_pub_ack_duplicate(ack));
  CHECK(natsrs_pub_ack_domain(ack) == NULL);
  char *json = NULL;
  REQUIRE_OK(natsrs_pub_ack_json(ack, &json));
  CHECK(strstr(json, "\"seq\":1") != NULL);
  natsrs_string_free(json);
  natsrs_pub_ack_free(ack);

  natsrs_js_publish_options *po = NULL;
  REQUIRE_OK(natsrs_js_publish_options_create(&po));
  CHECK_OK(natsrs_js_publish_options_set_msg_id(po, "id-1"));
  CHECK_OK(natsrs_js_publish_options_set_timeout_ms(po, 2000));
  REQUIRE_OK(natsrs_jetstream_publish(js, subj, TEXT("two"), po, &ack));
  CHECK(!natsrs_pub_ack_duplicate(ack));
  CHECK_EQ(natsrs_pub_ack_seq(ack), 2);
  natsrs_pub_ack_free(ack);
  REQUIRE_OK(natsrs_jetstream_publish(js, subj, TEXT("two"), po, &ack));
  CHECK(natsrs_pub_ack_duplicate(ack));
  natsrs_pub_ack_free(ack);
  natsrs_js_publish_options_free(po);

  /* Wrong last sequence: 10071. */
  REQUIRE_OK(natsrs_js_publish_options_create(&po));
  CHECK_OK(natsrs_js_publish_options_set_expected_last_seq(po, 99));
  ack = TU_SENTINEL;
  CHECK_STATUS(natsrs_jetstream_publish(js, subj, TEXT("x"), po, &ack), NATSRS_STATUS_JETSTREAM);
  CHECK(ack == TU_SENTINEL);
  int32_t code = 0;
  uint64_t err_code = 0;
  CHECK(natsrs_last_error_api(&code, &err_code));
  CHECK_EQ(err_code, 10071);
  natsrs_js_publish_options_free(po);
  /* Wrong stream: 10060. */
  REQUIRE_OK(natsrs_js_publish_options_create(&po));
  CHECK_OK(natsrs_js_publish_options_set_expected_stream(po, "NOPE"));
  CHECK_STATUS(natsrs_jetstream_publish(js, subj, TEXT("x"), po, NULL), NATSRS_STATUS_JETSTREAM);
  CHECK(natsrs_last_error_api(NULL, &err_code));
  CHECK_EQ(err_code, 10060);
  natsrs_js_publish_options_free(po);
  /* Right expectations pass. */
  REQUIRE_OK(natsrs_js_publish_options_create(&po));
  CHECK_OK(natsrs_js_publish_options_set_expected_last_seq(po, 2));
  CHECK_OK(natsrs_js_publish_options_set_expected_last_subject_seq(po, 2));
  CHECK_OK(natsrs_js_publish_options_set_expected_last_msg_id(po, "id-1"));
  CHECK_OK(natsrs_jetstream_publish(js, subj, TEXT("three"), po, NULL));
  natsrs_js_publish_options_free(po);

  /* Headers through publish_msg; get by sequence and last by subject. */
  natsrs_msg *m = NULL;
  REQUIRE_OK(natsrs_msg_create(subj, NULL, TEXT("four"), &m));
  CHECK_OK(natsrs_msg_header_set(m, "X-Test", "yes"));
  CHECK_OK(natsrs_jetstream_publish_msg(js, m, NULL, NULL));
  natsrs_msg_free(m);
  natsrs_msg *g = NULL;
  REQUIRE_OK(natsrs_jetstream_get_msg(js, stream, 1, false, &g));
  CHECK_EQ(natsrs_msg_data_len(g), 3);
  natsrs_msg_free(g);
  REQUIRE_OK(natsrs_jetstream_get_last_msg(js, stream, subj, false, &g));
  const char *hv = NULL;
  CHECK_OK(natsrs_msg_header_get(g, "X-Test", &hv));
  CHECK_STR(hv, "yes");
  CHECK(!natsrs_msg_is_jetstream(g));
  CHECK_STATUS(natsrs_msg_ack(g), NATSRS_STATUS_ILLEGAL_STATE);
  natsrs_msg_free(g);
  CHECK_STATUS(natsrs_jetstream_get_msg(js, stream, 999, false, &g), NATSRS_STATUS_NOT_FOUND);
  CHECK_OK(natsrs_jetstream_delete_msg(js, stream, 1, false));

  /* No stream captures the subject. */
  char none[64];
  snprintf(none, sizeof none, "nostream%d.x", (int)getpid());
  REQUIRE_OK(natsrs_js_publish_options_create(&po));
  CHECK_OK(natsrs_js_publish_options_set_timeout_ms(po, 500));
  CHECK_STATUS2(natsrs_jetstream_publish(js, none, TEXT("x"), po, NULL), NATSRS_STATUS_NO_RESPONDERS, NATSRS_STATUS_TIMEOUT);
  natsrs_js_publish_options_free(po);
  teardown(nc, js, stream);
}

typedef struct async_state {
  tu_counter done;
  atomic_int ok;
  atomic_int failed;
  atomic_ulong max_seq;
} async_state;

static void on_ack(void *ud, natsrs_status s, const natsrs_pub_ack *ack) {
  async_state *st = ud;
  if (s == NATSRS_STATUS_OK && ack) {
    atomic_fetch_add(&st->ok, 1);
    unsigned long seq = (unsigned long)natsrs_pub_ack_seq(ack);
    unsigned long cur = atomic_load(&st->max_seq);
    while (seq > cur && !atomic_compare_exchange_weak(&st->max_seq, &cur, seq)) {
    }
  } else {
    atomic_fetch_add(&st->failed, 1);
  }
  tu_counter_add(&st->done, 1);
}

static tu_counter freed;
static void on_free(void *ud) { (void)ud; tu_counter_add(&freed, 1); }

static void test_js_publish_async(void) {
  natsrs_connection *nc = NULL;
  char stream[64], pfx[64], subj[96];
  natsrs_jetstream *js = setup(&nc, stream, sizeof stream, pfx, sizeof pfx);
  REQUIRE(js);
  snprintf(subj, sizeof subj, "%s.async", pfx);
  async_state st;
  tu_counter_init(&st.done);
  tu_counter_init(&freed);
  atomic_init(&st.ok, 0);
  atomic_init(&st.failed, 0);
  atomic_init(&st.max_seq, 0);
  const int N = 10000;
  for (int i = 0; i < N; i++) {
    natsrs_status s = natsrs_jetstream_publish_async(js, subj, TEXT("payload"), NULL, on_ack, &st, on_free);
    if (s != NATSRS_STATUS_OK) {
      CHECK_OK(s);
      break;
    }
  }
  CHECK_OK(natsrs_jetstream_publish_async_complete(js, 30000));
  int64_t pending = -1;
  CHECK_OK(natsrs_jetstream_publish_async_pending(js, &pending));
  CHECK_EQ(pending, 0);
  CHECK_EQ(tu_counter_wait(&st.done, N, 10000), N);
  CHECK_EQ(tu_counter_wait(&freed, N, 10000), N);
  CHECK_EQ(atomic_load(&st.ok), N);
  CHECK_EQ(atomic_load(&st.failed), 0);
  CHECK_EQ(atomic_load(&st.max_seq), N);
  natsrs_stream_info *si = NULL;
  REQUIRE_OK(natsrs_jetstream_stream_info(js, stream, &si));
  CHECK_EQ(natsrs_stream_info_messages(si), N);
  natsrs_stream_info_free(si);
  /* A NULL handler is allowed; a bad subject fails at once and frees the userdata. */
  CHECK_OK(natsrs_jetstream_publish_async(js, subj, TEXT("x"), NULL, NULL, NULL, NULL));
  CHECK_STATUS(natsrs_jetstream_publish_async(js, NULL, TEXT("x"), NULL, on_ack, &st, on_free), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_EQ(tu_counter_wait(&freed, N + 1, 1000), N + 1);
  CHECK_OK(natsrs_jetstream_publish_async_complete(js, 5000));
  teardown(nc, js, stream);
}

/* complete() returns only after the last completion callback has returned. */
static atomic_int counted;
static void on_ack_slow_count(void *ud, natsrs_status s, const natsrs_pub_ack *ack) {
  (void)ack;
  CHECK_OK(s);
  if (ud) {
    struct timespec ts = {0, 3 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  atomic_fetch_add(&counted, 1);
}

static void test_js_publish_async_complete_waits_for_callbacks(void) {
  natsrs_connection *nc = NULL;
  char stream[64], pfx[64], subj[96];
  natsrs_jetstream *js = setup(&nc, stream, sizeof stream, pfx, sizeof pfx);
  REQUIRE(js);
  snprintf(subj, sizeof subj, "%s.cb", pfx);
  static int slow = 1;
  const int N = 200;
  for (int round = 0; round < 5; round++) {
    atomic_store(&counted, 0);
    for (int i = 0; i < N; i++) {
      /* The last few callbacks sleep, so complete() is entered while they run. */
      CHECK_OK(natsrs_jetstream_publish_async(js, subj, TEXT("x"), NULL, on_ack_slow_count, i >= N - 3 ? &slow : NULL, NULL));
    }
    CHECK_OK(natsrs_jetstream_publish_async_complete(js, 30000));
    CHECK_EQ(atomic_load(&counted), N);
    int64_t pending = -1;
    CHECK_OK(natsrs_jetstream_publish_async_pending(js, &pending));
    CHECK_EQ(pending, 0);
  }
  teardown(nc, js, stream);
}

static tu_counter pushed;
static void on_push(void *ud, const natsrs_msg *m) {
  (void)ud;
  CHECK(natsrs_msg_is_jetstream(m));
  tu_counter_add(&pushed, 1);
}

static void test_js_push_callback_auto_ack(void) {
  natsrs_connection *nc = NULL;
  char stream[64], pfx[64], subj[96];
  natsrs_jetstream *js = setup(&nc, stream, sizeof stream, pfx, sizeof pfx);
  REQUIRE(js);
  snprintf(subj, sizeof subj, "%s.push", pfx);
  tu_counter_init(&pushed);
  tu_counter_init(&freed);
  natsrs_js_subscription *sub = NULL;
  REQUIRE_OK(natsrs_jetstream_subscribe(js, subj, on_push, NULL, on_free, NULL, &sub));
  for (int i = 0; i < 10; i++) CHECK_OK(natsrs_jetstream_publish(js, subj, TEXT("m"), NULL, NULL));
  CHECK_EQ(tu_counter_wait(&pushed, 10, 5000), 10);
  /* Auto-ack: nothing stays pending. */
  int64_t start = tu_now_ms();
  uint64_t ack_pending = 1;
  while (tu_now_ms() - start < 5000) {
    natsrs_consumer_info *ci = NULL;
    REQUIRE_OK(natsrs_js_subscription_consumer_info(sub, &ci));
    ack_pending = natsrs_consumer_info_num_ack_pending(ci);
    natsrs_consumer_info_free(ci);
    if (ack_pending == 0) break;
    tu_sleep_ms(20);
  }
  CHECK_EQ(ack_pending, 0);
  CHECK_OK(natsrs_js_subscription_unsubscribe(sub));
  natsrs_js_subscription_free(sub);
  CHECK_EQ(tu_counter_wait(&freed, 1, 2000), 1);
  /* The ephemeral consumer the library created was deleted. */
  char *json = NULL;
  REQUIRE_OK(natsrs_jetstream_consumer_names_json(js, stream, &json));
  CHECK_STR(json, "[]");
  natsrs_string_free(json);
  teardown(nc, js, stream);
}

static void test_js_queue_subscribe_manual_ack_and_drain(void) {
  natsrs_connection *nc = NULL;
  char stream[64], pfx[64], subj[96];
  natsrs_jetstream *js = setup(&nc, stream, sizeof stream, pfx, sizeof pfx);
  REQUIRE(js);
  snprintf(subj, sizeof subj, "%s.q", pfx);
  tu_counter_init(&pushed);
  natsrs_js_subscribe_options *so = NULL;
  REQUIRE_OK(natsrs_js_subscribe_options_create(&so));
  CHECK_OK(natsrs_js_subscribe_options_set_durable(so, "QD"));
  CHECK_OK(natsrs_js_subscribe_options_set_manual_ack(so, true));
  natsrs_js_subscription *a = NULL, *b = NULL;
  REQUIRE_OK(natsrs_jetstream_queue_subscribe(js, subj, "workers", on_push, NULL, NULL, so, &a));
  REQUIRE_OK(natsrs_jetstream_queue_subscribe(js, subj, "workers", on_push, NULL, NULL, so, &b));
  natsrs_js_subscribe_options_free(so);
  for (int i = 0; i < 20; i++) CHECK_OK(natsrs_jetstream_publish(js, subj, TEXT("q"), NULL, NULL));
  CHECK_EQ(tu_counter_wait(&pushed, 20, 5000), 20);
  /* Manual ack: the handler did not ack, so all 20 wait for their ack. */
  natsrs_consumer_info *ci = NULL;
  REQUIRE_OK(natsrs_js_subscription_consumer_info(a, &ci));
  CHECK_EQ(natsrs_consumer_info_num_ack_pending(ci), 20);
  natsrs_consumer_info_free(ci);
  CHECK_OK(natsrs_js_subscription_drain(a, 2000));
  CHECK_OK(natsrs_js_subscription_unsubscribe(b));
  natsrs_js_subscription_free(a);
  natsrs_js_subscription_free(b);
  teardown(nc, js, stream);
}

static void test_js_sync_durable_max_deliver(void) {
  natsrs_connection *nc = NULL;
  char stream[64], pfx[64], subj[96];
  natsrs_jetstream *js = setup(&nc, stream, sizeof stream, pfx, sizeof pfx);
  REQUIRE(js);
  snprintf(subj, sizeof subj, "%s.monitor", pfx);
  natsrs_consumer_config *cc = NULL;
  REQUIRE_OK(natsrs_consumer_config_new(NULL, &cc));
  CHECK_OK(natsrs_consumer_config_set_max_deliver(cc, 3));
  CHECK_OK(natsrs_consumer_config_set_ack_policy(cc, NATSRS_ACK_POLICY_EXPLICIT));
  natsrs_js_subscribe_options *so = NULL;
  REQUIRE_OK(natsrs_js_subscribe_options_create(&so));
  CHECK_OK(natsrs_js_subscribe_options_set_durable(so, "MONITOR"));
  CHECK_OK(natsrs_js_subscribe_options_set_consumer_config(so, cc));
  CHECK_OK(natsrs_js_subscribe_options_set_delete_consumer(so, false));
  natsrs_consumer_config_free(cc);
  natsrs_js_subscription *sub = NULL;
  REQUIRE_OK(natsrs_jetstream_subscribe_sync(js, subj, so, &sub));
  natsrs_js_subscribe_options_free(so);
  CHECK_OK(natsrs_jetstream_publish(js, subj, TEXT("work"), NULL, NULL));
  for (uint64_t i = 1; i <= 3; i++) {
    natsrs_msg *m = NULL;
    CHECK_OK(natsrs_js_subscription_next_msg(sub, 3000, &m));
    if (!m) break;
    natsrs_msg_metadata md;
    CHECK_OK(natsrs_msg_get_metadata(m, &md));
    CHECK_EQ(md.num_delivered, i);
    CHECK_EQ(md.stream_seq, 1);
    CHECK_OK(natsrs_msg_nak(m));
    natsrs_msg_free(m);
  }
  natsrs_msg *m = TU_SENTINEL;
  CHECK_STATUS(natsrs_js_subscription_next_msg(sub, 500, &m), NATSRS_STATUS_TIMEOUT);
  CHECK(m == TU_SENTINEL);
  CHECK_OK(natsrs_js_subscription_unsubscribe(sub));
  natsrs_js_subscription_free(sub);
  /* delete_consumer false: MONITOR is still there. */
  natsrs_consumer_info *ci = NULL;
  CHECK_OK(natsrs_jetstream_consumer_info(js, stream, "MONITOR", &ci));
  natsrs_consumer_info_free(ci);
  teardown(nc, js, stream);
}

static void test_js_pull_fetch_and_acks(void) {
  natsrs_connection *nc = NULL;
  char stream[64], pfx[64], subj[96];
  natsrs_jetstream *js = setup(&nc, stream, sizeof stream, pfx, sizeof pfx);
  REQUIRE(js);
  snprintf(subj, sizeof subj, "%s.pull", pfx);
  natsrs_consumer_config *cc = NULL;
  REQUIRE_OK(natsrs_consumer_config_new(NULL, &cc));
  CHECK_OK(natsrs_consumer_config_set_ack_wait_ms(cc, 30000));
  natsrs_js_subscribe_options *so = NULL;
  REQUIRE_OK(natsrs_js_subscribe_options_create(&so));
  CHECK_OK(natsrs_js_subscribe_options_set_stream(so, stream));
  CHECK_OK(natsrs_js_subscribe_options_set_consumer_config(so, cc));
  natsrs_consumer_config_free(cc);
  natsrs_pull_subscription *ps = NULL;
  REQUIRE_OK(natsrs_jetstream_pull_subscribe(js, subj, "PULLER", so, &ps));
  natsrs_js_subscribe_options_free(so);

  natsrs_msg *batch[10];
  size_t n = 99;
  /* Empty stream: a fetch times out, a no-wait fetch returns nothing. */
  int64_t t0 = tu_now_ms();
  CHECK_STATUS(natsrs_pull_subscription_fetch(ps, 5, 300, batch, &n), NATSRS_STATUS_TIMEOUT);
  CHECK(tu_now_ms() - t0 >= 250);
  CHECK_EQ(n, 99);
  natsrs_status s = natsrs_pull_subscription_fetch_no_wait(ps, 5, batch, &n);
  CHECK(s == NATSRS_STATUS_OK || s == NATSRS_STATUS_TIMEOUT);
  if (s == NATSRS_STATUS_OK) CHECK_EQ(n, 0);

  for (int i = 0; i < 6; i++) CHECK_OK(natsrs_jetstream_publish(js, subj, TEXT("job"), NULL, NULL));
  /* A short batch comes back as soon as the server says there is no more. */
  t0 = tu_now_ms();
  REQUIRE_OK(natsrs_pull_subscription_fetch(ps, 10, 5000, batch, &n));
  CHECK(tu_now_ms() - t0 < 4000);
  REQUIRE(n == 6);
  CHECK(natsrs_msg_is_jetstream(batch[0]));
  CHECK_OK(natsrs_msg_ack(batch[0]));
  CHECK(natsrs_msg_is_acked(batch[0]));
  CHECK_STATUS(natsrs_msg_ack(batch[0]), NATSRS_STATUS_ILLEGAL_STATE);
  CHECK_OK(natsrs_msg_in_progress(batch[1]));
  CHECK_OK(natsrs_msg_ack_sync(batch[1], 2000));
  CHECK_OK(natsrs_msg_term(batch[2]));
  CHECK_OK(natsrs_msg_term_with_reason(batch[3], "bad input"));
  CHECK_OK(natsrs_msg_nak_with_delay_ms(batch[4], 10));
  natsrs_msg *clone = NULL;
  REQUIRE_OK(natsrs_msg_clone(batch[5], &clone));
  CHECK_OK(natsrs_msg_nak(clone));
  CHECK(natsrs_msg_is_acked(batch[5]));
  CHECK_STATUS(natsrs_msg_ack(batch[5]), NATSRS_STATUS_ILLEGAL_STATE);
  natsrs_msg_free(clone);
  natsrs_msg_metadata md;
  REQUIRE_OK(natsrs_msg_get_metadata(batch[5], &md));
  CHECK_EQ(md.stream_seq, 6);
  CHECK_EQ(md.consumer_seq, 6);
  CHECK_EQ(md.num_delivered, 1);
  CHECK(md.timestamp_ns > 0);
  char *json = NULL;
  REQUIRE_OK(natsrs_msg_metadata_json(batch[5], &json));
  CHECK(strstr(json, "\"consumer\":\"PULLER\"") != NULL);
  CHECK(strstr(json, stream) != NULL);
  natsrs_string_free(json);
  for (size_t i = 0; i < n; i++) natsrs_msg_free(batch[i]);

  /* The two nak'ed messages come again; fetch by bytes. */
  size_t total = 0;
  t0 = tu_now_ms();
  while (total < 2 && tu_now_ms() - t0 < 5000) {
    s = natsrs_pull_subscription_fetch_bytes(ps, 1 << 20, 10, 1000, batch, &n);
    if (s == NATSRS_STATUS_OK) {
      for (size_t i = 0; i < n; i++) {
        natsrs_msg_metadata md2;
        CHECK_OK(natsrs_msg_get_metadata(batch[i], &md2));
        CHECK_EQ(md2.num_delivered, 2);
        CHECK_OK(natsrs_msg_ack(batch[i]));
        natsrs_msg_free(batch[i]);
      }
      total += n;
    } else {
      CHECK_EQ(s, NATSRS_STATUS_TIMEOUT);
    }
  }
  CHECK_EQ(total, 2);
  /* With idle heartbeats asked for: an idle fetch on a live server runs to its timeout (the
   * heartbeats keep it going); messages come as usual; the heartbeat must fit the timeout. */
  CHECK_STATUS(natsrs_pull_subscription_fetch_heartbeat(ps, 5, 0, 700, 100, batch, &n), NATSRS_STATUS_TIMEOUT);
  CHECK(strstr(natsrs_last_error_message(), "missed heartbeats") == NULL);
  for (int i = 0; i < 2; i++) CHECK_OK(natsrs_jetstream_publish(js, subj, TEXT("hb"), NULL, NULL));
  REQUIRE_OK(natsrs_pull_subscription_fetch_heartbeat(ps, 10, 1 << 20, 5000, 500, batch, &n));
  CHECK_EQ(n, 2);
  for (size_t i = 0; i < n; i++) {
    CHECK_OK(natsrs_msg_ack(batch[i]));
    natsrs_msg_free(batch[i]);
  }
  CHECK_STATUS(natsrs_pull_subscription_fetch_heartbeat(ps, 10, 0, 1000, 500, batch, &n), NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(natsrs_pull_subscription_fetch_heartbeat(ps, 10, 0, 1000, 0, batch, &n), NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(natsrs_pull_subscription_fetch_heartbeat(ps, 0, 0, 1000, 100, batch, &n), NATSRS_STATUS_INVALID_ARGUMENT);
  natsrs_consumer_info *ci = NULL;
  REQUIRE_OK(natsrs_pull_subscription_consumer_info(ps, &ci));
  CHECK_STR(natsrs_consumer_info_name(ci), "PULLER");
  natsrs_consumer_info_free(ci);
  CHECK_OK(natsrs_pull_subscription_unsubscribe(ps));
  natsrs_pull_subscription_free(ps);
  /* The durable the library created is deleted by default. */
  CHECK_STATUS(natsrs_jetstream_consumer_info(js, stream, "PULLER", &ci), NATSRS_STATUS_NOT_FOUND);
  teardown(nc, js, stream);
}

static void on_consume(void *ud, const natsrs_msg *m) {
  (void)ud;
  CHECK_OK(natsrs_msg_ack(m));
  tu_counter_add(&pushed, 1);
}

static void test_js_consume(void) {
  natsrs_connection *nc = NULL;
  char stream[64], pfx[64], subj[96];
  natsrs_jetstream *js = setup(&nc, stream, sizeof stream, pfx, sizeof pfx);
  REQUIRE(js);
  snprintf(subj, sizeof subj, "%s.c", pfx);
  natsrs_consumer_config *cc = NULL;
  REQUIRE_OK(natsrs_consumer_config_new("CONS", &cc));
  CHECK_OK(natsrs_consumer_config_set_ack_policy(cc, NATSRS_ACK_POLICY_EXPLICIT));
  CHECK_OK(natsrs_jetstream_add_consumer(js, stream, cc, NULL));
  natsrs_consumer_config_free(cc);
  tu_counter_init(&pushed);
  tu_counter_init(&freed);
  natsrs_consume_context *ctx = NULL;
  CHECK_STATUS(natsrs_jetstream_consume(js, stream, "NOSUCH", 10, on_consume, NULL, on_free, &ctx), NATSRS_STATUS_NOT_FOUND);
  CHECK_EQ(tu_counter_get(&freed), 1);
  CHECK_STATUS(natsrs_jetstream_consume(js, stream, "CONS", 10, NULL, NULL, on_free, &ctx), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_EQ(tu_counter_get(&freed), 2);
  REQUIRE_OK(natsrs_jetstream_consume(js, stream, "CONS", 10, on_consume, NULL, on_free, &ctx));
  for (int i = 0; i < 50; i++) CHECK_OK(natsrs_jetstream_publish(js, subj, TEXT("c"), NULL, NULL));
  CHECK_EQ(tu_counter_wait(&pushed, 50, 10000), 50);
  CHECK(!natsrs_consume_context_is_closed(ctx));
  CHECK_OK(natsrs_consume_context_stop(ctx));
  CHECK(natsrs_consume_context_is_closed(ctx));
  CHECK_EQ(tu_counter_get(&freed), 3);
  CHECK_OK(natsrs_consume_context_stop(ctx));
  natsrs_consume_context_free(ctx);
  CHECK_STATUS(natsrs_consume_context_stop(NULL), NATSRS_STATUS_NULL_PARAMETER);
  CHECK(!natsrs_consume_context_is_closed(NULL));
  natsrs_consume_context_free(NULL);
  CHECK_STATUS(natsrs_jetstream_consume(NULL, stream, "CONS", 0, on_consume, NULL, NULL, &ctx), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_STATUS(natsrs_jetstream_consume(js, stream, "CONS", 0, on_consume, NULL, NULL, NULL), NATSRS_STATUS_NULL_PARAMETER);
  teardown(nc, js, stream);
}

static void nop_handler(void *ud, const natsrs_msg *m) { (void)ud; (void)m; }
static void nop_ack(void *ud, natsrs_status s, const natsrs_pub_ack *a) { (void)ud; (void)s; (void)a; }

static void test_js_bad_arguments(void) {
  const natsrs_status NP = NATSRS_STATUS_NULL_PARAMETER, IA = NATSRS_STATUS_INVALID_ARGUMENT;
  void *out = TU_SENTINEL;
  /* Context and options. */
  CHECK_STATUS(natsrs_jetstream_options_create(NULL), NP);
  CHECK_STATUS(natsrs_jetstream_options_set_api_prefix(NULL, "x"), NP);
  CHECK_STATUS(natsrs_jetstream_options_set_domain(NULL, "x"), NP);
  CHECK_STATUS(natsrs_jetstream_options_set_timeout_ms(NULL, 1), NP);
  CHECK_STATUS(natsrs_jetstream_options_set_publish_async_max_pending(NULL, 1), NP);
  CHECK_STATUS(natsrs_jetstream_options_set_publish_async_stall_wait_ms(NULL, 1), NP);
  natsrs_jetstream_options *o = NULL;
  REQUIRE_OK(natsrs_jetstream_options_create(&o));
  CHECK_STATUS(natsrs_jetstream_options_set_api_prefix(o, NULL), NP);
  CHECK_STATUS(natsrs_jetstream_options_set_api_prefix(o, "."), IA);
  CHECK_STATUS(natsrs_jetstream_options_set_timeout_ms(o, 0), IA);
  CHECK_STATUS(natsrs_jetstream_options_set_publish_async_max_pending(o, 0), IA);
  CHECK_STATUS(natsrs_jetstream_options_set_publish_async_stall_wait_ms(o, -1), IA);
  CHECK_OK(natsrs_jetstream_options_set_domain(o, "bad.domain"));
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  CHECK_STATUS(natsrs_jetstream_new(nc, o, (natsrs_jetstream **)&out), IA);
  CHECK(out == TU_SENTINEL);
  natsrs_jetstream_options_free(o);
  natsrs_jetstream_options_free(NULL);
  CHECK_STATUS(natsrs_jetstream_new(NULL, NULL, (natsrs_jetstream **)&out), NP);
  CHECK_STATUS(natsrs_jetstream_new(nc, NULL, NULL), NP);
  natsrs_jetstream_free(NULL);
  natsrs_jetstream *js = NULL;
  REQUIRE_OK(natsrs_jetstream_new(nc, NULL, &js));
  CHECK(!natsrs_last_error_api(NULL, NULL));

  /* Management. */
  CHECK_STATUS(natsrs_jetstream_account_info(NULL, (natsrs_account_info **)&out), NP);
  CHECK_STATUS(natsrs_jetstream_account_info(js, NULL), NP);
  CHECK_STATUS(natsrs_jetstream_add_stream(js, NULL, NULL), NP);
  CHECK_STATUS(natsrs_jetstream_add_stream(NULL, NULL, NULL), NP);
  CHECK_STATUS(natsrs_jetstream_update_stream(js, NULL, NULL), NP);
  CHECK_STATUS(natsrs_jetstream_stream_info(js, NULL, (natsrs_stream_info **)&out), NP);
  CHECK_STATUS(natsrs_jetstream_stream_info(js, "S", NULL), NP);
  CHECK_STATUS(natsrs_jetstream_delete_stream(js, NULL), NP);
  CHECK_STATUS(natsrs_jetstream_purge_stream(js, NULL, NULL, 0, 0, NULL), NP);
  CHECK_STATUS(natsrs_jetstream_stream_names_json(js, NULL, NULL), NP);
  CHECK_STATUS(natsrs_jetstream_add_consumer(js, "S", NULL, NULL), NP);
  CHECK_STATUS(natsrs_jetstream_update_consumer(js, NULL, NULL, NULL), NP);
  CHECK_STATUS(natsrs_jetstream_consumer_info(js, "S", NULL, (natsrs_consumer_info **)&out), NP);
  CHECK_STATUS(natsrs_jetstream_delete_consumer(js, "S", NULL), NP);
  CHECK_STATUS(natsrs_jetstream_consumer_names_json(js, NULL, (char **)&out), NP);
  CHECK_STATUS(natsrs_jetstream_get_msg(js, NULL, 1, false, (natsrs_msg **)&out), NP);
  CHECK_STATUS(natsrs_jetstream_get_last_msg(js, "S", NULL, false, (natsrs_msg **)&out), NP);
  CHECK_STATUS(natsrs_jetstream_delete_msg(NULL, "S", 1, false), NP);
  CHECK(out == TU_SENTINEL);

  /* Configs. */
  CHECK_STATUS(natsrs_stream_config_new(NULL, (natsrs_stream_config **)&out), NP);
  CHECK_STATUS(natsrs_stream_config_new("a.b", (natsrs_stream_config **)&out), IA);
  CHECK_STATUS(natsrs_stream_config_new("ok", NULL), NP);
  CHECK_STATUS(natsrs_stream_config_from_json(NULL, (natsrs_stream_config **)&out), NP);
  CHECK_STATUS(natsrs_stream_config_to_json(NULL, (char **)&out), NP);
  CHECK_STATUS(natsrs_stream_config_name(NULL, (char **)&out), NP);
  CHECK(out == TU_SENTINEL);
  natsrs_stream_config *sc = NULL;
  REQUIRE_OK(natsrs_stream_config_new("ok", &sc));
  char *name = NULL;
  CHECK_OK(natsrs_stream_config_name(sc, &name));
  CHECK_STR(name, "ok");
  natsrs_string_free(name);
  CHECK_STATUS(natsrs_stream_config_set_subjects(sc, NULL, 2), NP);
  CHECK_OK(natsrs_stream_config_set_subjects(sc, NULL, 0));
  CHECK_STATUS(natsrs_stream_config_add_subject(sc, NULL), NP);
  CHECK_STATUS(natsrs_stream_config_add_subject(sc, ""), NATSRS_STATUS_INVALID_SUBJECT);
  CHECK_OK(natsrs_stream_config_set_description(sc, NULL));
  CHECK_STATUS(natsrs_stream_config_set_storage(sc, 7), IA);
  CHECK_STATUS(natsrs_stream_config_set_retention(sc, -1), IA);
  CHECK_STATUS(natsrs_stream_config_set_discard(sc, 2), IA);
  CHECK_STATUS(natsrs_stream_config_set_replicas(sc, 0), IA);
  CHECK_STATUS(natsrs_stream_config_set_max_msgs(sc, -2), IA);
  CHECK_STATUS(natsrs_stream_config_set_max_bytes(sc, -2), IA);
  CHECK_STATUS(natsrs_stream_config_set_max_msg_size(sc, (int64_t)1 << 40), IA);
  CHECK_STATUS(natsrs_stream_config_set_max_msgs_per_subject(sc, -5), IA);
  CHECK_STATUS(natsrs_stream_config_set_max_age_ms(sc, -1), IA);
  CHECK_STATUS(natsrs_stream_config_set_duplicate_window_ms(sc, -1), IA);
  CHECK_STATUS(natsrs_stream_config_set_allow_direct(NULL, true), NP);
  CHECK_STATUS(natsrs_stream_config_set_max_msgs(NULL, 1), NP);
  natsrs_stream_config_free(sc);
  natsrs_stream_config_free(NULL);

  CHECK_STATUS(natsrs_consumer_config_new("bad name", (natsrs_consumer_config **)&out), IA);
  CHECK_STATUS(natsrs_consumer_config_new(NULL, NULL), NP);
  CHECK_STATUS(natsrs_consumer_config_from_json("[]", (natsrs_consumer_config **)&out), IA);
  CHECK_STATUS(natsrs_consumer_config_to_json(NULL, (char **)&out), NP);
  CHECK(out == TU_SENTINEL);
  natsrs_consumer_config *cc = NULL;
  REQUIRE_OK(natsrs_consumer_config_from_json("{\"durable_name\":\"X\",\"ack_policy\":\"explicit\"}", &cc));
  CHECK_STATUS(natsrs_consumer_config_set_durable(cc, "a*b"), IA);
  CHECK_OK(natsrs_consumer_config_set_durable(cc, NULL));
  CHECK_STATUS(natsrs_consumer_config_set_name(cc, "a.b"), IA);
  CHECK_OK(natsrs_consumer_config_set_name(cc, "N"));
  CHECK_STATUS(natsrs_consumer_config_set_deliver_policy(cc, 6), IA);
  CHECK_STATUS(natsrs_consumer_config_set_opt_start_seq(cc, 0), IA);
  CHECK_OK(natsrs_consumer_config_set_opt_start_seq(cc, 5));
  CHECK_STATUS(natsrs_consumer_config_set_opt_start_time(cc, NULL), NP);
  CHECK_OK(natsrs_consumer_config_set_opt_start_time(cc, "2024-01-01T00:00:00Z"));
  CHECK_STATUS(natsrs_consumer_config_set_ack_policy(cc, 3), IA);
  CHECK_STATUS(natsrs_consumer_config_set_replay_policy(cc, 2), IA);
  CHECK_STATUS(natsrs_consumer_config_set_ack_wait_ms(cc, 0), IA);
  CHECK_STATUS(natsrs_consumer_config_set_inactive_threshold_ms(cc, -1), IA);
  CHECK_STATUS(natsrs_consumer_config_set_max_deliver(cc, 0), IA);
  CHECK_OK(natsrs_consumer_config_set_max_deliver(cc, -1));
  CHECK_STATUS(natsrs_consumer_config_set_max_ack_pending(cc, -3), IA);
  CHECK_STATUS(natsrs_consumer_config_set_backoff_ms(cc, NULL, 2), NP);
  int64_t bad_backoff[] = {100, 0};
  CHECK_STATUS(natsrs_consumer_config_set_backoff_ms(cc, bad_backoff, 2), IA);
  CHECK_OK(natsrs_consumer_config_set_backoff_ms(cc, NULL, 0));
  const char *fs[] = {"a", NULL};
  CHECK_STATUS(natsrs_consumer_config_set_filter_subjects(cc, fs, 2), NP);
  CHECK_OK(natsrs_consumer_config_set_filter_subjects(cc, fs, 1));
  CHECK_OK(natsrs_consumer_config_set_filter_subject(cc, NULL));
  CHECK_STATUS(natsrs_consumer_config_set_headers_only(NULL, true), NP);
  natsrs_consumer_config_free(cc);
  natsrs_consumer_config_free(NULL);

  /* Results. */
  CHECK_EQ(natsrs_stream_info_messages(NULL), 0);
  CHECK(natsrs_stream_info_name(NULL) == NULL);
  CHECK(natsrs_consumer_info_name(NULL) == NULL);
  CHECK_EQ(natsrs_consumer_info_num_pending(NULL), 0);
  CHECK(natsrs_pub_ack_stream(NULL) == NULL);
  CHECK(!natsrs_pub_ack_duplicate(NULL));
  CHECK_EQ(natsrs_account_info_streams(NULL), 0);
  CHECK_STATUS(natsrs_stream_info_json(NULL, (char **)&out), NP);
  CHECK_STATUS(natsrs_consumer_info_json(NULL, (char **)&out), NP);
  CHECK_STATUS(natsrs_pub_ack_json(NULL, (char **)&out), NP);
  CHECK_STATUS(natsrs_account_info_json(NULL, (char **)&out), NP);
  CHECK_STATUS(natsrs_stream_info_config(NULL, (natsrs_stream_config **)&out), NP);
  CHECK_STATUS(natsrs_consumer_info_config(NULL, (natsrs_consumer_config **)&out), NP);
  CHECK(out == TU_SENTINEL);
  natsrs_stream_info_free(NULL);
  natsrs_consumer_info_free(NULL);
  natsrs_pub_ack_free(NULL);
  natsrs_account_info_free(NULL);

  /* Publish. */
  CHECK_STATUS(natsrs_js_publish_options_create(NULL), NP);
  natsrs_js_publish_options *po = NULL;
  REQUIRE_OK(natsrs_js_publish_options_create(&po));
  CHECK_STATUS(natsrs_js_publish_options_set_msg_id(po, NULL), NP);
  CHECK_STATUS(natsrs_js_publish_options_set_msg_id(po, ""), IA);
  CHECK_STATUS(natsrs_js_publish_options_set_expected_stream(NULL, "x"), NP);
  CHECK_STATUS(natsrs_js_publish_options_set_expected_last_msg_id(po, NULL), NP);
  CHECK_STATUS(natsrs_js_publish_options_set_expected_last_seq(NULL, 1), NP);
  CHECK_STATUS(natsrs_js_publish_options_set_expected_last_subject_seq(NULL, 1), NP);
  CHECK_STATUS(natsrs_js_publish_options_set_timeout_ms(po, 0), IA);
  natsrs_js_publish_options_free(po);
  natsrs_js_publish_options_free(NULL);
  CHECK_STATUS(natsrs_jetstream_publish(NULL, "a", TEXT("x"), NULL, NULL), NP);
  CHECK_STATUS(natsrs_jetstream_publish(js, NULL, TEXT("x"), NULL, NULL), NP);
  CHECK_STATUS(natsrs_jetstream_publish(js, "a", NULL, 3, NULL, NULL), NP);
  CHECK_STATUS(natsrs_jetstream_publish_msg(js, NULL, NULL, NULL), NP);
  tu_counter_init(&freed);
  CHECK_STATUS(natsrs_jetstream_publish_async(NULL, "a", TEXT("x"), NULL, nop_ack, NULL, on_free), NP);
  CHECK_STATUS(natsrs_jetstream_publish_async(js, "a b", TEXT("x"), NULL, nop_ack, NULL, on_free), NATSRS_STATUS_INVALID_SUBJECT);
  CHECK_EQ(tu_counter_get(&freed), 2);
  CHECK_STATUS(natsrs_jetstream_publish_async_complete(NULL, 100), NP);
  CHECK_STATUS(natsrs_jetstream_publish_async_complete(js, 0), IA);
  CHECK_STATUS(natsrs_jetstream_publish_async_pending(js, NULL), NP);
  CHECK_STATUS(natsrs_jetstream_publish_async_pending(NULL, (int64_t *)&out), NP);

  /* Consumers. */
  CHECK_STATUS(natsrs_js_subscribe_options_create(NULL), NP);
  natsrs_js_subscribe_options *so = NULL;
  REQUIRE_OK(natsrs_js_subscribe_options_create(&so));
  CHECK_STATUS(natsrs_js_subscribe_options_set_stream(NULL, "x"), NP);
  CHECK_STATUS(natsrs_js_subscribe_options_set_durable(NULL, "x"), NP);
  CHECK_STATUS(natsrs_js_subscribe_options_set_bind(NULL, "x"), NP);
  CHECK_STATUS(natsrs_js_subscribe_options_set_consumer_config(so, NULL), NP);
  CHECK_STATUS(natsrs_js_subscribe_options_set_manual_ack(NULL, true), NP);
  CHECK_STATUS(natsrs_js_subscribe_options_set_delete_consumer(NULL, true), NP);
  CHECK_OK(natsrs_js_subscribe_options_set_bind(so, "NOSUCH"));
  CHECK_OK(natsrs_js_subscribe_options_set_stream(so, "NOSUCHSTREAM"));
  CHECK_STATUS(natsrs_jetstream_subscribe_sync(js, "nosuch.x", so, (natsrs_js_subscription **)&out), NATSRS_STATUS_NOT_FOUND);
  natsrs_js_subscribe_options_free(so);
  natsrs_js_subscribe_options_free(NULL);
  CHECK_STATUS(natsrs_jetstream_subscribe(js, "a", NULL, NULL, on_free, NULL, (natsrs_js_subscription **)&out), NP);
  CHECK_STATUS(natsrs_jetstream_subscribe(js, NULL, nop_handler, NULL, on_free, NULL, (natsrs_js_subscription **)&out), NP);
  CHECK_EQ(tu_counter_get(&freed), 4);
  CHECK_STATUS(natsrs_jetstream_queue_subscribe(js, "a", NULL, nop_handler, NULL, NULL, NULL, (natsrs_js_subscription **)&out), NP);
  CHECK_STATUS(natsrs_jetstream_subscribe_sync(js, "a", NULL, NULL), NP);
  CHECK_STATUS(natsrs_jetstream_pull_subscribe(NULL, "a", NULL, NULL, (natsrs_pull_subscription **)&out), NP);
  CHECK_STATUS(natsrs_jetstream_pull_subscribe(js, "a", NULL, NULL, NULL), NP);
  CHECK(out == TU_SENTINEL);
  CHECK_STATUS(natsrs_js_subscription_next_msg(NULL, 10, (natsrs_msg **)&out), NP);
  CHECK_STATUS(natsrs_js_subscription_consumer_info(NULL, (natsrs_consumer_info **)&out), NP);
  CHECK_STATUS(natsrs_js_subscription_unsubscribe(NULL), NP);
  CHECK_STATUS(natsrs_js_subscription_drain(NULL, 10), NP);
  natsrs_js_subscription_free(NULL);
  natsrs_msg *arr[2];
  size_t n = 0;
  CHECK_STATUS(natsrs_pull_subscription_fetch(NULL, 1, 10, arr, &n), NP);
  CHECK_STATUS(natsrs_pull_subscription_fetch_bytes(NULL, 1, 1, 10, arr, &n), NP);
  CHECK_STATUS(natsrs_pull_subscription_fetch_no_wait(NULL, 1, arr, &n), NP);
  CHECK_STATUS(natsrs_pull_subscription_fetch_heartbeat(NULL, 1, 0, 1000, 100, arr, &n), NP);
  CHECK_STATUS(natsrs_pull_subscription_consumer_info(NULL, (natsrs_consumer_info **)&out), NP);
  CHECK_STATUS(natsrs_pull_subscription_unsubscribe(NULL), NP);
  CHECK_STATUS(natsrs_pull_subscription_drain(NULL, 10), NP);
  natsrs_pull_subscription_free(NULL);

  /* Acks on NULL and on core messages. */
  CHECK_STATUS(natsrs_msg_ack(NULL), NP);
  CHECK_STATUS(natsrs_msg_nak(NULL), NP);
  CHECK_STATUS(natsrs_msg_term(NULL), NP);
  CHECK_STATUS(natsrs_msg_in_progress(NULL), NP);
  CHECK_STATUS(natsrs_msg_ack_sync(NULL, 10), NP);
  CHECK_STATUS(natsrs_msg_nak_with_delay_ms(NULL, 10), NP);
  CHECK_STATUS(natsrs_msg_term_with_reason(NULL, "x"), NP);
  CHECK(!natsrs_msg_is_acked(NULL));
  CHECK(!natsrs_msg_is_jetstream(NULL));
  CHECK_STATUS(natsrs_msg_get_metadata(NULL, (natsrs_msg_metadata *)&out), NP);
  CHECK_STATUS(natsrs_msg_metadata_json(NULL, (char **)&out), NP);
  CHECK(out == TU_SENTINEL);
  natsrs_msg *core = NULL;
  REQUIRE_OK(natsrs_msg_create("a", "b", TEXT("x"), &core));
  CHECK_STATUS(natsrs_msg_ack(core), NATSRS_STATUS_ILLEGAL_STATE);
  CHECK_STATUS(natsrs_msg_ack_sync(core, 10), NATSRS_STATUS_ILLEGAL_STATE);
  CHECK_STATUS(natsrs_msg_term_with_reason(core, NULL), NATSRS_STATUS_ILLEGAL_STATE);
  natsrs_msg_metadata md;
  CHECK_STATUS(natsrs_msg_get_metadata(core, &md), NATSRS_STATUS_ILLEGAL_STATE);
  natsrs_msg_free(core);
  natsrs_jetstream_free(js);
  natsrs_connection_free(nc);
}

static const tu_test tests[] = {
    TU_TEST(test_js_stream_management),
    TU_TEST(test_js_publish_and_expectations),
    TU_TEST(test_js_publish_async),
    TU_TEST(test_js_publish_async_complete_waits_for_callbacks),
    TU_TEST(test_js_push_callback_auto_ack),
    TU_TEST(test_js_queue_subscribe_manual_ack_and_drain),
    TU_TEST(test_js_sync_durable_max_deliver),
    TU_TEST(test_js_pull_fetch_and_acks),
    TU_TEST(test_js_consume),
    TU_TEST(test_js_bad_arguments),
};

int main(int argc, char **argv) { return tu_main(argc, argv, tests, TU_COUNT(tests)); }
