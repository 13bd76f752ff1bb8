/* Key-value store from C under ASan/UBSan, against a server started with -js: bucket
 * management, config JSON and setters, put/get/create/update (CAS) /delete/purge with their
 * statuses, keys, history, purge-deletes, watchers (order, the initial-values marker, options,
 * stop from another thread), status, TTL expiry, NULL and bad arguments. */
#include "test_util.h"

#include <unistd.h>

/* A bucket name unique to this process (each test runs in its own child). */
static void bucket_name(char *buf, size_t len, const char *suffix) {
  snprintf(buf, len, "CK%d_%s", (int)getpid(), suffix);
}

/* Context plus a fresh memory bucket with `history`; NULL on failure. */
static natsrs_kv *setup(natsrs_connection **nc, natsrs_jetstream **js, const char *bucket, int64_t history) {
  *js = NULL;
  *nc = tu_connect();
  if (!*nc) return NULL;
  if (natsrs_jetstream_new(*nc, NULL, js) != NATSRS_STATUS_OK) return NULL;
  natsrs_kv_config *cfg = NULL;
  natsrs_kv *kv = NULL;
  natsrs_kv_config_new(bucket, &cfg);
  natsrs_kv_config_set_history(cfg, history);
  natsrs_kv_config_set_storage(cfg, NATSRS_STORAGE_TYPE_MEMORY);
  natsrs_status s = natsrs_jetstream_create_kv(*js, cfg, &kv);
  natsrs_kv_config_free(cfg);
  if (s != NATSRS_STATUS_OK) {
    tu_fail(__FILE__, __LINE__, "create_kv: %s", natsrs_last_error_message());
    return NULL;
  }
  return kv;
}

static void teardown(natsrs_connection *nc, natsrs_jetstream *js, natsrs_kv *kv, const char *bucket) {
  natsrs_kv_free(kv);
  if (js) {
    natsrs_jetstream_delete_kv(js, bucket);
    natsrs_jetstream_free(js);
  }
  if (nc) natsrs_connection_free(nc);
}

static bool has_string(const natsrs_strings *l, const char *s) {
  for (size_t i = 0; i < natsrs_strings_count(l); i++)
    if (strcmp(natsrs_strings_get(l, i), s) == 0) return true;
  return false;
}

static bool value_is(const natsrs_kv_entry *e, const char *want) {
  size_t n = strlen(want);
  return e && natsrs_kv_entry_value_len(e) == n && memcmp(natsrs_kv_entry_value(e), want, n) == 0;
}

static void test_kv_bucket_management(void) {
  char bucket[64], json_buf[512];
  bucket_name(bucket, sizeof bucket, "mgmt");
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  natsrs_jetstream *js = NULL;
  REQUIRE_OK(natsrs_jetstream_new(nc, NULL, &js));

  natsrs_kv_config *cfg = NULL;
  REQUIRE_OK(natsrs_kv_config_new("placeholder", &cfg));
  CHECK_OK(natsrs_kv_config_set_bucket(cfg, bucket));
  CHECK_OK(natsrs_kv_config_set_description(cfg, "from C"));
  CHECK_OK(natsrs_kv_config_set_history(cfg, 5));
  CHECK_OK(natsrs_kv_config_set_ttl_ms(cfg, 3600000));
  CHECK_OK(natsrs_kv_config_set_max_value_size(cfg, 1024));
  CHECK_OK(natsrs_kv_config_set_max_bytes(cfg, 1 << 20));
  CHECK_OK(natsrs_kv_config_set_storage(cfg, NATSRS_STORAGE_TYPE_MEMORY));
  CHECK_OK(natsrs_kv_config_set_replicas(cfg, 1));
  CHECK_OK(natsrs_kv_config_set_compression(cfg, false));
  CHECK_OK(natsrs_kv_config_set_metadata(cfg, "team", "c"));
  CHECK_OK(natsrs_kv_config_set_metadata(cfg, "gone", "x"));
  CHECK_OK(natsrs_kv_config_set_metadata(cfg, "gone", NULL));
  CHECK_OK(natsrs_kv_config_set_republish(cfg, NULL, "repub.>", true));
  CHECK_OK(natsrs_kv_config_set_republish(cfg, NULL, NULL, false)); /* cleared again */
  const char *tags[] = {"a"};
  CHECK_OK(natsrs_kv_config_set_placement(cfg, NULL, tags, 1));
  CHECK_OK(natsrs_kv_config_set_placement(cfg, NULL, NULL, 0)); /* cleared: a single server has no tags */
  CHECK_OK(natsrs_kv_config_set_mirror(cfg, NULL));
  CHECK_OK(natsrs_kv_config_set_limit_marker_ttl_ms(cfg, 0));

  /* JSON uses nats.go's names; a round trip keeps everything. */
  char *json = NULL;
  REQUIRE_OK(natsrs_kv_config_to_json(cfg, &json));
  CHECK(strstr(json, "\"history\":5") != NULL);
  CHECK(strstr(json, "\"ttl\":3600000000000") != NULL);
  CHECK(strstr(json, "\"storage\":\"memory\"") != NULL);
  CHECK(strstr(json, "\"num_replicas\":1") != NULL);
  CHECK(strstr(json, "\"max_value_size\":1024") != NULL);
  CHECK(strstr(json, "\"metadata\":{\"team\":\"c\"}") != NULL);
  CHECK(strstr(json, "republish") == NULL && strstr(json, "gone") == NULL);
  natsrs_kv_config *c2 = NULL;
  REQUIRE_OK(natsrs_kv_config_from_json(json, &c2));
  char *json2 = NULL;
  REQUIRE_OK(natsrs_kv_config_to_json(c2, &json2));
  CHECK_STR(json, json2);
  natsrs_string_free(json);
  natsrs_string_free(json2);
  natsrs_kv_config_free(c2);
  CHECK_STATUS(natsrs_kv_config_from_json("{\"bucket\":\"b\",\"replicas\":3}", &c2), NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(natsrs_kv_config_from_json("{\"bucket\":\"b.c\"}", &c2), NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(natsrs_kv_config_from_json("{\"history\":2}", &c2), NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(natsrs_kv_config_from_json("{nope", &c2), NATSRS_STATUS_INVALID_ARGUMENT);

  natsrs_kv *kv = NULL;
  REQUIRE_OK(natsrs_jetstream_create_kv(js, cfg, &kv));
  CHECK_STR(natsrs_kv_bucket(kv), bucket);
  natsrs_kv_free(kv);
  kv = NULL;
  /* Same config again: fine. Another config: the server's 10058. */
  REQUIRE_OK(natsrs_jetstream_create_kv(js, cfg, &kv));
  natsrs_kv_free(kv);
  kv = NULL;
  CHECK_OK(natsrs_kv_config_set_history(cfg, 7));
  CHECK_STATUS(natsrs_jetstream_create_kv(js, cfg, &kv), NATSRS_STATUS_JETSTREAM);
  int32_t code = 0;
  uint64_t err_code = 0;
  CHECK(natsrs_last_error_api(&code, &err_code));
  CHECK_EQ(err_code, 10058);
  CHECK(kv == NULL);
  REQUIRE_OK(natsrs_jetstream_update_kv(js, cfg, &kv));
  natsrs_kv_free(kv);
  kv = NULL;
  CHECK_OK(natsrs_kv_config_set_history(cfg, 8));
  REQUIRE_OK(natsrs_jetstream_create_or_update_kv(js, cfg, &kv));
  natsrs_kv_free(kv);
  kv = NULL;

  /* Bind, status, config from the server. */
  REQUIRE_OK(natsrs_jetstream_bind_kv(js, bucket, &kv));
  CHECK_OK(natsrs_kv_put(kv, "k", TEXT("v"), NULL));
  natsrs_kv_status *st = NULL;
  REQUIRE_OK(natsrs_kv_bucket_status(kv, &st));
  CHECK_STR(natsrs_kv_status_bucket(st), bucket);
  CHECK_EQ(natsrs_kv_status_values(st), 1);
  CHECK_EQ(natsrs_kv_status_history(st), 8);
  CHECK_EQ(natsrs_kv_status_ttl_ms(st), 3600000);
  CHECK(natsrs_kv_status_bytes(st) > 0);
  CHECK(!natsrs_kv_status_is_compressed(st));
  CHECK_STR(natsrs_kv_status_backing_store(st), "JetStream");
  natsrs_stream_info *si = NULL;
  REQUIRE_OK(natsrs_kv_status_stream_info(st, &si));
  snprintf(json_buf, sizeof json_buf, "KV_%s", bucket);
  CHECK_STR(natsrs_stream_info_name(si), json_buf);
  CHECK_EQ(natsrs_stream_info_messages(si), 1);
  natsrs_stream_info_free(si);
  natsrs_kv_config *got = NULL;
  REQUIRE_OK(natsrs_kv_status_config(st, &got));
  REQUIRE_OK(natsrs_kv_config_to_json(got, &json));
  CHECK(strstr(json, "\"history\":8") != NULL);
  CHECK(strstr(json, "\"description\":\"from C\"") != NULL);
  natsrs_string_free(json);
  natsrs_kv_config_free(got);
  REQUIRE_OK(natsrs_kv_status_json(st, &json));
  CHECK(strstr(json, "\"backing_store\":\"JetStream\"") != NULL);
  CHECK(strstr(json, "\"stream_info\":{") != NULL);
  CHECK(strstr(json, "\"values\":1") != NULL);
  natsrs_string_free(json);
  natsrs_kv_status_free(st);

  /* Names and list. */
  natsrs_strings *names = NULL;
  REQUIRE_OK(natsrs_jetstream_kv_store_names(js, &names));
  CHECK(has_string(names, bucket));
  natsrs_strings_free(names);
  natsrs_kv_status_list *list = NULL;
  REQUIRE_OK(natsrs_jetstream_kv_stores(js, &list));
  bool found = false;
  for (size_t i = 0; i < natsrs_kv_status_list_count(list); i++) {
    const natsrs_kv_status *s = natsrs_kv_status_list_get(list, i);
    REQUIRE(s);
    if (strcmp(natsrs_kv_status_bucket(s), bucket) == 0) found = natsrs_kv_status_values(s) == 1;
  }
  CHECK(found);
  CHECK(natsrs_kv_status_list_get(list, natsrs_kv_status_list_count(list)) == NULL);
  natsrs_kv_status_list_free(list);

  /* Delete: binding is then NOT_FOUND, so is a second delete. */
  natsrs_kv_free(kv);
  kv = NULL;
  CHECK_OK(natsrs_jetstream_delete_kv(js, bucket));
  CHECK_STATUS(natsrs_jetstream_bind_kv(js, bucket, &kv), NATSRS_STATUS_NOT_FOUND);
  CHECK_STATUS(natsrs_jetstream_delete_kv(js, bucket), NATSRS_STATUS_NOT_FOUND);
  CHECK_STATUS(natsrs_jetstream_update_kv(js, cfg, &kv), NATSRS_STATUS_NOT_FOUND);
  CHECK(kv == NULL);
  natsrs_kv_config_free(cfg);
  natsrs_jetstream_free(js);
  natsrs_connection_free(nc);
}

static void test_kv_put_get_cas_delete_purge(void) {
  char bucket[64];
  bucket_name(bucket, sizeof bucket, "ops");
  natsrs_connection *nc = NULL;
  natsrs_jetstream *js = NULL;
  natsrs_kv *kv = setup(&nc, &js, bucket, 10);
  REQUIRE(kv);
  int64_t before_ns = (int64_t)time(NULL) * 1000000000LL;

  uint64_t r1 = 0, r2 = 0, r3 = 0, r = 0;
  CHECK_OK(natsrs_kv_put(kv, "a.b", TEXT("one"), &r1));
  CHECK_OK(natsrs_kv_put(kv, "a.b", TEXT("two"), &r2));
  CHECK(r2 > r1);
  CHECK_OK(natsrs_kv_put(kv, "empty", NULL, 0, NULL));

  natsrs_kv_entry *e = NULL;
  REQUIRE_OK(natsrs_kv_get(kv, "a.b", &e));
  CHECK(value_is(e, "two"));
  CHECK_STR(natsrs_kv_entry_bucket(e), bucket);
  CHECK_STR(natsrs_kv_entry_key(e), "a.b");
  CHECK_EQ(natsrs_kv_entry_revision(e), r2);
  CHECK_EQ(natsrs_kv_entry_delta(e), 0);
  CHECK_EQ(natsrs_kv_entry_operation(e), NATSRS_KV_OPERATION_PUT);
  /* The server's clock, in ns since the epoch: within a minute of ours. */
  CHECK(natsrs_kv_entry_created_ns(e) > before_ns - 60000000000LL);
  CHECK(natsrs_kv_entry_created_ns(e) < before_ns + 120000000000LL);
  natsrs_kv_entry_free(e);
  REQUIRE_OK(natsrs_kv_get(kv, "empty", &e));
  CHECK_EQ(natsrs_kv_entry_value_len(e), 0);
  natsrs_kv_entry_free(e);
  REQUIRE_OK(natsrs_kv_get_revision(kv, "a.b", r1, &e));
  CHECK(value_is(e, "one"));
  natsrs_kv_entry_free(e);
  e = TU_SENTINEL;
  CHECK_STATUS(natsrs_kv_get_revision(kv, "empty", r1, &e), NATSRS_STATUS_NOT_FOUND); /* not its revision */
  CHECK_STATUS(natsrs_kv_get(kv, "never", &e), NATSRS_STATUS_NOT_FOUND);
  CHECK(e == TU_SENTINEL);

  /* Create only when absent; update only at the expected revision. */
  CHECK_STATUS(natsrs_kv_create(kv, "a.b", TEXT("x"), &r), NATSRS_STATUS_WRONG_REVISION);
  int32_t code = 0;
  uint64_t err_code = 0;
  CHECK(natsrs_last_error_api(&code, &err_code));
  CHECK_EQ(code, 400);
  CHECK_EQ(err_code, 10071);
  CHECK_OK(natsrs_kv_create(kv, "fresh", TEXT("f"), &r));
  CHECK(r > r2);
  CHECK_STATUS(natsrs_kv_update(kv, "a.b", TEXT("three"), r1, &r3), NATSRS_STATUS_WRONG_REVISION);
  CHECK_STATUS(natsrs_kv_update(kv, "nokey", TEXT("x"), 5, NULL), NATSRS_STATUS_WRONG_REVISION);
  CHECK_OK(natsrs_kv_update(kv, "a.b", TEXT("three"), r2, &r3));
  CHECK(r3 > r2);
  CHECK_OK(natsrs_kv_update(kv, "brand.new", TEXT("x"), 0, NULL));

  /* Delete with a stale revision fails; with the right one it writes a marker. */
  CHECK_STATUS(natsrs_kv_delete(kv, "a.b", r2), NATSRS_STATUS_WRONG_REVISION);
  CHECK_OK(natsrs_kv_delete(kv, "a.b", r3));
  CHECK_STATUS(natsrs_kv_get(kv, "a.b", &e), NATSRS_STATUS_KEY_DELETED);
  CHECK(strstr(natsrs_last_error_message(), "DEL") != NULL);
  CHECK_OK(natsrs_kv_get_revision(kv, "a.b", r1, &e)); /* history is kept */
  natsrs_kv_entry_free(e);
  natsrs_kv_entries *h = NULL;
  REQUIRE_OK(natsrs_kv_history(kv, "a.b", &h));
  REQUIRE(natsrs_kv_entries_count(h) == 4);
  CHECK(value_is(natsrs_kv_entries_get(h, 0), "one"));
  CHECK(value_is(natsrs_kv_entries_get(h, 2), "three"));
  const natsrs_kv_entry *marker = natsrs_kv_entries_get(h, 3);
  CHECK_EQ(natsrs_kv_entry_operation(marker), NATSRS_KV_OPERATION_DELETE);
  CHECK_EQ(natsrs_kv_entry_value_len(marker), 0);
  CHECK_EQ(natsrs_kv_entry_operation(natsrs_kv_entries_get(h, 0)), NATSRS_KV_OPERATION_PUT);
  CHECK(natsrs_kv_entries_get(h, 4) == NULL);
  uint64_t del_rev = natsrs_kv_entry_revision(marker);
  natsrs_kv_entries_free(h);
  CHECK_STATUS(natsrs_kv_get_revision(kv, "a.b", del_rev, &e), NATSRS_STATUS_KEY_DELETED);
  /* Create is allowed again after a delete. */
  CHECK_OK(natsrs_kv_create(kv, "a.b", TEXT("again"), &r));
  REQUIRE_OK(natsrs_kv_get(kv, "a.b", &e));
  CHECK(value_is(e, "again"));
  natsrs_kv_entry_free(e);

  /* Purge: a stale revision fails; then one marker is all that is left. */
  CHECK_STATUS(natsrs_kv_purge(kv, "a.b", r - 1), NATSRS_STATUS_WRONG_REVISION);
  CHECK_OK(natsrs_kv_purge(kv, "a.b", r));
  CHECK_STATUS(natsrs_kv_get(kv, "a.b", &e), NATSRS_STATUS_KEY_DELETED);
  REQUIRE_OK(natsrs_kv_history(kv, "a.b", &h));
  REQUIRE(natsrs_kv_entries_count(h) == 1);
  CHECK_EQ(natsrs_kv_entry_operation(natsrs_kv_entries_get(h, 0)), NATSRS_KV_OPERATION_PURGE);
  natsrs_kv_entries_free(h);
  CHECK_OK(natsrs_kv_purge(kv, "fresh", 0));
  CHECK_OK(natsrs_kv_delete(kv, "empty", 0));
  CHECK_STATUS(natsrs_kv_history(kv, "never", &h), NATSRS_STATUS_NOT_FOUND);

  /* Keys are validated as the other clients do. */
  const char *bad[] = {"", ".a", "a.", "a b", "a*", "a>", "\xc3\xbc"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    CHECK_STATUS(natsrs_kv_put(kv, bad[i], TEXT("x"), NULL), NATSRS_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(natsrs_kv_get(kv, bad[i], &e), NATSRS_STATUS_INVALID_ARGUMENT);
  }
  CHECK_OK(natsrs_kv_put(kv, "A-z_0/9=x.y", TEXT("ok"), NULL));
  CHECK_STATUS(natsrs_kv_get_revision(kv, "k", 0, &e), NATSRS_STATUS_INVALID_ARGUMENT);
  teardown(nc, js, kv, bucket);
}

static void test_kv_keys_history_purge_deletes(void) {
  char bucket[64];
  bucket_name(bucket, sizeof bucket, "keys");
  natsrs_connection *nc = NULL;
  natsrs_jetstream *js = NULL;
  natsrs_kv *kv = setup(&nc, &js, bucket, 3);
  REQUIRE(kv);
  natsrs_strings *keys = NULL;
  REQUIRE_OK(natsrs_kv_keys(kv, NULL, 0, &keys));
  CHECK_EQ(natsrs_strings_count(keys), 0);
  natsrs_strings_free(keys);

  CHECK_OK(natsrs_kv_put(kv, "orders.1", TEXT("a"), NULL));
  CHECK_OK(natsrs_kv_put(kv, "orders.2", TEXT("b"), NULL));
  CHECK_OK(natsrs_kv_put(kv, "users.1", TEXT("c"), NULL));
  CHECK_OK(natsrs_kv_put(kv, "users.2", TEXT("d"), NULL));
  for (int i = 0; i < 5; i++) CHECK_OK(natsrs_kv_put(kv, "orders.1", TEXT("a"), NULL));
  CHECK_OK(natsrs_kv_delete(kv, "users.2", 0));

  REQUIRE_OK(natsrs_kv_keys(kv, NULL, 0, &keys));
  CHECK_EQ(natsrs_strings_count(keys), 3);
  CHECK(has_string(keys, "orders.1") && has_string(keys, "orders.2") && has_string(keys, "users.1"));
  CHECK(!has_string(keys, "users.2"));
  natsrs_strings_free(keys);
  const char *f1[] = {"orders.*"};
  REQUIRE_OK(natsrs_kv_keys(kv, f1, 1, &keys));
  CHECK_EQ(natsrs_strings_count(keys), 2);
  CHECK(!has_string(keys, "users.1"));
  natsrs_strings_free(keys);
  const char *f2[] = {"orders.2", "users.>"};
  REQUIRE_OK(natsrs_kv_keys(kv, f2, 2, &keys));
  CHECK_EQ(natsrs_strings_count(keys), 2);
  CHECK(has_string(keys, "orders.2") && has_string(keys, "users.1"));
  natsrs_strings_free(keys);
  const char *bad[] = {"a.>.b"};
  CHECK_STATUS(natsrs_kv_keys(kv, bad, 1, &keys), NATSRS_STATUS_INVALID_ARGUMENT);

  /* History keeps at most 3 per key; revisions ascend, deltas count down to 0. */
  natsrs_kv_entries *h = NULL;
  REQUIRE_OK(natsrs_kv_history(kv, "orders.1", &h));
  REQUIRE(natsrs_kv_entries_count(h) == 3);
  for (size_t i = 1; i < 3; i++)
    CHECK(natsrs_kv_entry_revision(natsrs_kv_entries_get(h, i)) > natsrs_kv_entry_revision(natsrs_kv_entries_get(h, i - 1)));
  CHECK_EQ(natsrs_kv_entry_delta(natsrs_kv_entries_get(h, 2)), 0);
  natsrs_kv_entries_free(h);

  /* Purge-deletes: markers newer than the default threshold stay (older revisions go);
   * a negative threshold removes every marker entirely. */
  uint64_t n = 99;
  CHECK_OK(natsrs_kv_purge_deletes(kv, 0, &n));
  CHECK_EQ(n, 1);
  REQUIRE_OK(natsrs_kv_history(kv, "users.2", &h));
  CHECK_EQ(natsrs_kv_entries_count(h), 1);
  natsrs_kv_entries_free(h);
  CHECK_OK(natsrs_kv_purge_deletes(kv, -1, &n));
  CHECK_EQ(n, 1);
  CHECK_STATUS(natsrs_kv_history(kv, "users.2", &h), NATSRS_STATUS_NOT_FOUND);
  CHECK_OK(natsrs_kv_purge_deletes(kv, 60000, NULL));
  teardown(nc, js, kv, bucket);
}

/* Reads one entry (or the marker, NULL) within 5 s; false on a failure. */
static bool next_entry(natsrs_kv_watcher *w, natsrs_kv_entry **e) {
  natsrs_status s = natsrs_kv_watcher_next(w, 5000, e);
  if (s != NATSRS_STATUS_OK) {
    tu_fail(__FILE__, __LINE__, "watcher_next: %s: %s", natsrs_status_str(s), natsrs_last_error_message());
    return false;
  }
  return true;
}

/* Checks that the next entry is `key` with `op` (and `value` when not NULL). */
static void expect_entry(natsrs_kv_watcher *w, const char *key, natsrs_kv_operation op, const char *value, int line) {
  natsrs_kv_entry *e = NULL;
  if (!next_entry(w, &e)) return;
  if (!e) {
    tu_fail(__FILE__, line, "expected %s, got the initial-values marker", key);
    return;
  }
  if (strcmp(natsrs_kv_entry_key(e), key) != 0 || natsrs_kv_entry_operation(e) != op || (value && !value_is(e, value)))
    tu_fail(__FILE__, line, "expected %s op %d, got %s op %d", key, (int)op, natsrs_kv_entry_key(e), (int)natsrs_kv_entry_operation(e));
  natsrs_kv_entry_free(e);
}

static void expect_marker(natsrs_kv_watcher *w, int line) {
  natsrs_kv_entry *e = TU_SENTINEL;
  if (!next_entry(w, &e)) return;
  if (e != NULL) {
    tu_fail(__FILE__, line, "expected the initial-values marker, got %s",
            e == TU_SENTINEL ? "nothing" : natsrs_kv_entry_key(e));
    if (e != TU_SENTINEL) natsrs_kv_entry_free(e);
  }
}

static void test_kv_watch_order_and_marker(void) {
  char bucket[64];
  bucket_name(bucket, sizeof bucket, "watch");
  natsrs_connection *nc = NULL;
  natsrs_jetstream *js = NULL;
  natsrs_kv *kv = setup(&nc, &js, bucket, 5);
  REQUIRE(kv);
  CHECK_OK(natsrs_kv_put(kv, "a", TEXT("1"), NULL));
  CHECK_OK(natsrs_kv_put(kv, "b", TEXT("2"), NULL));
  CHECK_OK(natsrs_kv_put(kv, "a", TEXT("3"), NULL));

  natsrs_kv_watcher *w = NULL;
  REQUIRE_OK(natsrs_kv_watch_all(kv, NULL, &w));
  /* The latest value of each key, in stream order, then the marker. */
  expect_entry(w, "b", NATSRS_KV_OPERATION_PUT, "2", __LINE__);
  expect_entry(w, "a", NATSRS_KV_OPERATION_PUT, "3", __LINE__);
  expect_marker(w, __LINE__);
  CHECK(natsrs_kv_watcher_init_done(w));
  natsrs_kv_entry *e = TU_SENTINEL;
  CHECK_STATUS(natsrs_kv_watcher_next(w, 50, &e), NATSRS_STATUS_TIMEOUT);
  CHECK(e == TU_SENTINEL);

  /* Then every change in order: put, delete, purge. */
  CHECK_OK(natsrs_kv_put(kv, "c", TEXT("4"), NULL));
  CHECK_OK(natsrs_kv_delete(kv, "a", 0));
  CHECK_OK(natsrs_kv_purge(kv, "b", 0));
  CHECK_OK(natsrs_kv_put(kv, "a", TEXT("5"), NULL));
  expect_entry(w, "c", NATSRS_KV_OPERATION_PUT, "4", __LINE__);
  expect_entry(w, "a", NATSRS_KV_OPERATION_DELETE, NULL, __LINE__);
  expect_entry(w, "b", NATSRS_KV_OPERATION_PURGE, NULL, __LINE__);
  expect_entry(w, "a", NATSRS_KV_OPERATION_PUT, "5", __LINE__);

  CHECK_OK(natsrs_kv_watcher_stop(w));
  CHECK_OK(natsrs_kv_watcher_stop(w));
  CHECK_STATUS(natsrs_kv_watcher_next(w, 50, &e), NATSRS_STATUS_ILLEGAL_STATE);
  natsrs_kv_watcher_free(w);

  /* One key; an empty match gives the marker at once. */
  REQUIRE_OK(natsrs_kv_watch(kv, "a", NULL, &w));
  expect_entry(w, "a", NATSRS_KV_OPERATION_PUT, "5", __LINE__);
  expect_marker(w, __LINE__);
  CHECK_OK(natsrs_kv_put(kv, "c", TEXT("6"), NULL));
  CHECK_OK(natsrs_kv_put(kv, "a", TEXT("7"), NULL));
  expect_entry(w, "a", NATSRS_KV_OPERATION_PUT, "7", __LINE__);
  natsrs_kv_watcher_free(w); /* without stop */
  REQUIRE_OK(natsrs_kv_watch(kv, "nothing.*", NULL, &w));
  expect_marker(w, __LINE__);
  natsrs_kv_watcher_free(w);
  teardown(nc, js, kv, bucket);
}

static void test_kv_watch_options(void) {
  char bucket[64];
  bucket_name(bucket, sizeof bucket, "wopts");
  natsrs_connection *nc = NULL;
  natsrs_jetstream *js = NULL;
  natsrs_kv *kv = setup(&nc, &js, bucket, 5);
  REQUIRE(kv);
  CHECK_OK(natsrs_kv_put(kv, "x.1", TEXT("a"), NULL));
  CHECK_OK(natsrs_kv_put(kv, "x.1", TEXT("b"), NULL));
  CHECK_OK(natsrs_kv_put(kv, "y.1", TEXT("c"), NULL));
  CHECK_OK(natsrs_kv_delete(kv, "y.1", 0));

  natsrs_kv_watch_options *o = NULL;
  natsrs_kv_watcher *w = NULL;
  /* Include history: every revision. */
  REQUIRE_OK(natsrs_kv_watch_options_create(&o));
  CHECK_OK(natsrs_kv_watch_options_set_include_history(o, true));
  REQUIRE_OK(natsrs_kv_watch_all(kv, o, &w));
  expect_entry(w, "x.1", NATSRS_KV_OPERATION_PUT, "a", __LINE__);
  expect_entry(w, "x.1", NATSRS_KV_OPERATION_PUT, "b", __LINE__);
  expect_entry(w, "y.1", NATSRS_KV_OPERATION_PUT, "c", __LINE__);
  expect_entry(w, "y.1", NATSRS_KV_OPERATION_DELETE, NULL, __LINE__);
  expect_marker(w, __LINE__);
  natsrs_kv_watcher_free(w);
  /* History and updates-only exclude each other. */
  CHECK_OK(natsrs_kv_watch_options_set_updates_only(o, true));
  w = TU_SENTINEL;
  CHECK_STATUS(natsrs_kv_watch_all(kv, o, &w), NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK(w == TU_SENTINEL);
  natsrs_kv_watch_options_free(o);

  /* Ignore deletes. */
  REQUIRE_OK(natsrs_kv_watch_options_create(&o));
  CHECK_OK(natsrs_kv_watch_options_set_ignore_deletes(o, true));
  REQUIRE_OK(natsrs_kv_watch_all(kv, o, &w));
  expect_entry(w, "x.1", NATSRS_KV_OPERATION_PUT, "b", __LINE__);
  expect_marker(w, __LINE__);
  CHECK_OK(natsrs_kv_delete(kv, "x.1", 0));
  CHECK_OK(natsrs_kv_put(kv, "x.2", TEXT("d"), NULL));
  expect_entry(w, "x.2", NATSRS_KV_OPERATION_PUT, "d", __LINE__);
  natsrs_kv_watcher_free(w);
  natsrs_kv_watch_options_free(o);

  /* Updates only: the marker first, then only new changes. */
  REQUIRE_OK(natsrs_kv_watch_options_create(&o));
  CHECK_OK(natsrs_kv_watch_options_set_updates_only(o, true));
  REQUIRE_OK(natsrs_kv_watch(kv, "x.*", o, &w));
  expect_marker(w, __LINE__);
  CHECK(natsrs_kv_watcher_init_done(w));
  CHECK_OK(natsrs_kv_put(kv, "y.2", TEXT("no"), NULL));
  CHECK_OK(natsrs_kv_put(kv, "x.3", TEXT("e"), NULL));
  expect_entry(w, "x.3", NATSRS_KV_OPERATION_PUT, "e", __LINE__);
  natsrs_kv_watcher_free(w);
  natsrs_kv_watch_options_free(o);

  /* Meta only: no values. Several filters at once. */
  REQUIRE_OK(natsrs_kv_watch_options_create(&o));
  CHECK_OK(natsrs_kv_watch_options_set_meta_only(o, true));
  const char *filters[] = {"x.3", "y.2"};
  REQUIRE_OK(natsrs_kv_watch_many(kv, filters, 2, o, &w));
  natsrs_kv_entry *e = NULL;
  for (int i = 0; i < 2; i++) {
    REQUIRE(next_entry(w, &e) && e);
    CHECK_EQ(natsrs_kv_entry_value_len(e), 0);
    CHECK(strcmp(natsrs_kv_entry_key(e), "x.3") == 0 || strcmp(natsrs_kv_entry_key(e), "y.2") == 0);
    natsrs_kv_entry_free(e);
  }
  expect_marker(w, __LINE__);
  natsrs_kv_watcher_free(w);
  natsrs_kv_watch_options_free(o);
  teardown(nc, js, kv, bucket);
}

typedef struct {
  natsrs_kv_watcher *w;
  natsrs_status status;
} waiter;

static void *wait_next(void *arg) {
  waiter *wt = arg;
  natsrs_kv_entry *e = NULL;
  wt->status = natsrs_kv_watcher_next(wt->w, 60000, &e);
  natsrs_kv_entry_free(e);
  return NULL;
}

static void test_kv_watch_stop_from_another_thread(void) {
  char bucket[64];
  bucket_name(bucket, sizeof bucket, "stop");
  natsrs_connection *nc = NULL;
  natsrs_jetstream *js = NULL;
  natsrs_kv *kv = setup(&nc, &js, bucket, 1);
  REQUIRE(kv);
  natsrs_kv_watcher *w = NULL;
  REQUIRE_OK(natsrs_kv_watch_all(kv, NULL, &w));
  expect_marker(w, __LINE__);
  waiter wt = {w, NATSRS_STATUS_OK};
  pthread_t t;
  REQUIRE(pthread_create(&t, NULL, wait_next, &wt) == 0);
  tu_sleep_ms(200); /* let it block (not required for correctness) */
  CHECK_OK(natsrs_kv_watcher_stop(w));
  pthread_join(t, NULL); /* the watchdog fails the test if this hangs */
  CHECK_EQ(wt.status, NATSRS_STATUS_ILLEGAL_STATE);
  natsrs_kv_watcher_free(w);
  teardown(nc, js, kv, bucket);
}

static bool gone(void *arg) {
  natsrs_kv_entry *e = NULL;
  natsrs_status s = natsrs_kv_get((natsrs_kv *)arg, "k", &e);
  natsrs_kv_entry_free(e);
  return s == NATSRS_STATUS_NOT_FOUND || s == NATSRS_STATUS_KEY_DELETED;
}

/* The stream of a bucket has no message left on key "p" (its purge marker expired). */
struct marker_probe {
  natsrs_jetstream *js;
  const char *bucket;
};

static bool marker_gone(void *arg) {
  struct marker_probe *p = arg;
  char stream[96], subj[128];
  snprintf(stream, sizeof stream, "KV_%s", p->bucket);
  snprintf(subj, sizeof subj, "$KV.%s.p", p->bucket);
  natsrs_msg *m = NULL;
  natsrs_status s = natsrs_jetstream_get_last_msg(p->js, stream, subj, false, &m);
  natsrs_msg_free(m);
  return s == NATSRS_STATUS_NOT_FOUND;
}

static void test_kv_ttl_expiry(void) {
  char bucket[64];
  bucket_name(bucket, sizeof bucket, "ttl");
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  natsrs_jetstream *js = NULL;
  REQUIRE_OK(natsrs_jetstream_new(nc, NULL, &js));
  natsrs_kv_config *cfg = NULL;
  REQUIRE_OK(natsrs_kv_config_new(bucket, &cfg));
  CHECK_OK(natsrs_kv_config_set_ttl_ms(cfg, 500));
  CHECK_OK(natsrs_kv_config_set_storage(cfg, NATSRS_STORAGE_TYPE_MEMORY));
  natsrs_kv *kv = NULL;
  REQUIRE_OK(natsrs_jetstream_create_kv(js, cfg, &kv));
  natsrs_kv_config_free(cfg);
  natsrs_kv_status *st = NULL;
  REQUIRE_OK(natsrs_kv_bucket_status(kv, &st));
  CHECK_EQ(natsrs_kv_status_ttl_ms(st), 500);
  natsrs_kv_status_free(st);
  CHECK_OK(natsrs_kv_put(kv, "k", TEXT("short-lived"), NULL));
  CHECK(tu_wait_until(gone, kv, 15000));
  natsrs_kv_entry *e = NULL;
  CHECK_STATUS(natsrs_kv_get(kv, "k", &e), NATSRS_STATUS_NOT_FOUND);
  natsrs_kv_free(kv);
  kv = NULL;
  natsrs_jetstream_delete_kv(js, bucket);

  /* Per-key TTL with limit markers (server 2.11+): the value expires, a marker stays. */
  bucket_name(bucket, sizeof bucket, "ttlkey");
  REQUIRE_OK(natsrs_kv_config_new(bucket, &cfg));
  CHECK_OK(natsrs_kv_config_set_storage(cfg, NATSRS_STORAGE_TYPE_MEMORY));
  CHECK_OK(natsrs_kv_config_set_limit_marker_ttl_ms(cfg, 5000));
  REQUIRE_OK(natsrs_jetstream_create_kv(js, cfg, &kv));
  natsrs_kv_config_free(cfg);
  CHECK_OK(natsrs_kv_create_with_ttl(kv, "k", TEXT("v"), 1000, NULL));
  CHECK_STATUS(natsrs_kv_create_with_ttl(kv, "k", TEXT("v"), 1000, NULL), NATSRS_STATUS_WRONG_REVISION);
  CHECK(tu_wait_until(gone, kv, 15000));

  /* A purge marker with its own TTL: the key is purged, then the marker itself goes. */
  CHECK_OK(natsrs_kv_put(kv, "p", TEXT("one"), NULL));
  CHECK_OK(natsrs_kv_put(kv, "p", TEXT("two"), NULL));
  CHECK_OK(natsrs_kv_purge_with_ttl(kv, "p", 1000));
  natsrs_kv_entry *pe = NULL;
  CHECK_STATUS2(natsrs_kv_get(kv, "p", &pe), NATSRS_STATUS_NOT_FOUND, NATSRS_STATUS_KEY_DELETED);
  struct marker_probe probe = {js, bucket};
  natsrs_msg *marker = NULL;
  char stream[96], subj[128];
  snprintf(stream, sizeof stream, "KV_%s", bucket);
  snprintf(subj, sizeof subj, "$KV.%s.p", bucket);
  REQUIRE_OK(natsrs_jetstream_get_last_msg(js, stream, subj, false, &marker));
  const char *v = NULL;
  CHECK_OK(natsrs_msg_header_get(marker, "KV-Operation", &v));
  CHECK_STR(v, "PURGE");
  CHECK_OK(natsrs_msg_header_get(marker, "Nats-TTL", &v)); /* (the server may raise it to the marker TTL) */
  CHECK(v != NULL && v[0] != '\0');
  natsrs_msg_free(marker);
  CHECK(tu_wait_until(marker_gone, &probe, 15000));
  CHECK_STATUS(natsrs_kv_purge_with_ttl(kv, "p", 0), NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(natsrs_kv_purge_with_ttl(kv, "bad key", 1000), NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(natsrs_kv_purge_with_ttl(NULL, "p", 1000), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_STATUS(natsrs_kv_purge_with_ttl(kv, NULL, 1000), NATSRS_STATUS_NULL_PARAMETER);
  teardown(nc, js, kv, bucket);
}

static void test_kv_republish(void) {
  char bucket[64], dest[64], subj[160];
  bucket_name(bucket, sizeof bucket, "repub");
  snprintf(dest, sizeof dest, "repub%d.>", (int)getpid());
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  natsrs_jetstream *js = NULL;
  REQUIRE_OK(natsrs_jetstream_new(nc, NULL, &js));
  natsrs_subscription *sub = NULL;
  REQUIRE_OK(natsrs_connection_subscribe_sync(nc, dest, &sub));
  REQUIRE_OK(natsrs_connection_flush(nc, 5000));
  natsrs_kv_config *cfg = NULL;
  REQUIRE_OK(natsrs_kv_config_new(bucket, &cfg));
  CHECK_OK(natsrs_kv_config_set_storage(cfg, NATSRS_STORAGE_TYPE_MEMORY));
  CHECK_OK(natsrs_kv_config_set_republish(cfg, NULL, dest, false));
  natsrs_kv *kv = NULL;
  REQUIRE_OK(natsrs_jetstream_create_kv(js, cfg, &kv));
  natsrs_kv_config_free(cfg);
  CHECK_OK(natsrs_kv_put(kv, "color", TEXT("blue"), NULL));
  natsrs_msg *m = NULL;
  REQUIRE_OK(natsrs_subscription_next_msg(sub, 5000, &m));
  snprintf(subj, sizeof subj, "repub%d.$KV.%s.color", (int)getpid(), bucket);
  CHECK_STR(natsrs_msg_subject(m), subj);
  CHECK_EQ(natsrs_msg_data_len(m), 4);
  natsrs_msg_free(m);
  natsrs_subscription_free(sub);
  teardown(nc, js, kv, bucket);
}

typedef struct {
  natsrs_kv *kv;
  const char *key, *value;
} kv_probe;

static bool has_value(void *arg) {
  kv_probe *p = arg;
  natsrs_kv_entry *e = NULL;
  bool ok = natsrs_kv_get(p->kv, p->key, &e) == NATSRS_STATUS_OK && value_is(e, p->value);
  natsrs_kv_entry_free(e);
  return ok;
}

/* Creates a memory bucket from `cfg` (freed); NULL on failure. */
static natsrs_kv *create_from(natsrs_jetstream *js, natsrs_kv_config *cfg) {
  natsrs_kv *kv = NULL;
  CHECK_OK(natsrs_kv_config_set_storage(cfg, NATSRS_STORAGE_TYPE_MEMORY));
  natsrs_status s = natsrs_jetstream_create_kv(js, cfg, &kv);
  natsrs_kv_config_free(cfg);
  if (s != NATSRS_STATUS_OK) tu_fail(__FILE__, __LINE__, "create_kv: %s", natsrs_last_error_message());
  return kv;
}

static void test_kv_mirror_sources_compression(void) {
  char origin[64], agg[64], mir[64], zip[64];
  bucket_name(origin, sizeof origin, "origin");
  bucket_name(agg, sizeof agg, "agg");
  bucket_name(mir, sizeof mir, "mir");
  bucket_name(zip, sizeof zip, "zip");
  natsrs_connection *nc = NULL;
  natsrs_jetstream *js = NULL;
  natsrs_kv *o = setup(&nc, &js, origin, 1);
  REQUIRE(o);
  CHECK_OK(natsrs_kv_put(o, "a", TEXT("1"), NULL));

  /* Sources: the origin's keys appear under the new bucket. */
  natsrs_kv_config *cfg = NULL;
  REQUIRE_OK(natsrs_kv_config_new(agg, &cfg));
  CHECK_OK(natsrs_kv_config_add_source(cfg, origin));
  natsrs_kv *a = create_from(js, cfg);
  REQUIRE(a);
  kv_probe pa = {a, "a", "1"};
  CHECK(tu_wait_until(has_value, &pa, 15000));

  /* Mirror: a read-only copy; puts through it go to the origin. */
  REQUIRE_OK(natsrs_kv_config_new(mir, &cfg));
  CHECK_OK(natsrs_kv_config_set_mirror(cfg, origin));
  natsrs_kv *m = create_from(js, cfg);
  REQUIRE(m);
  kv_probe pm = {m, "a", "1"};
  CHECK(tu_wait_until(has_value, &pm, 15000));
  CHECK_OK(natsrs_kv_put(m, "b", TEXT("2"), NULL));
  kv_probe po = {o, "b", "2"}, pm2 = {m, "b", "2"};
  /* The origin has it once the put returned, but a direct get of the origin's key may be
   * answered by the mirror (mirror direct), which may not have caught up yet. */
  CHECK(tu_wait_until(has_value, &po, 15000));
  CHECK(tu_wait_until(has_value, &pm2, 15000));

  /* Compression. */
  REQUIRE_OK(natsrs_kv_config_new(zip, &cfg));
  CHECK_OK(natsrs_kv_config_set_compression(cfg, true));
  natsrs_kv *z = create_from(js, cfg);
  REQUIRE(z);
  natsrs_kv_status *st = NULL;
  REQUIRE_OK(natsrs_kv_bucket_status(z, &st));
  CHECK(natsrs_kv_status_is_compressed(st));
  natsrs_kv_status_free(st);

  natsrs_kv_free(z);
  natsrs_kv_free(m);
  natsrs_kv_free(a);
  natsrs_jetstream_delete_kv(js, zip);
  natsrs_jetstream_delete_kv(js, mir);
  natsrs_jetstream_delete_kv(js, agg);
  teardown(nc, js, o, origin);
}

static void test_kv_bad_arguments(void) {
  const natsrs_status NP = NATSRS_STATUS_NULL_PARAMETER, IA = NATSRS_STATUS_INVALID_ARGUMENT;
  void *out = TU_SENTINEL;
  /* The two key-value statuses have their own texts. */
  CHECK_STR(natsrs_status_str(NATSRS_STATUS_WRONG_REVISION), "wrong last revision");
  CHECK_STR(natsrs_status_str(NATSRS_STATUS_KEY_DELETED), "key deleted");
  CHECK_EQ(NATSRS_STATUS_WRONG_REVISION, 30);
  CHECK_EQ(NATSRS_STATUS_KEY_DELETED, 31);
  /* Config. */
  CHECK_STATUS(natsrs_kv_config_new(NULL, (natsrs_kv_config **)&out), NP);
  CHECK_STATUS(natsrs_kv_config_new("a.b", (natsrs_kv_config **)&out), IA);
  CHECK_STATUS(natsrs_kv_config_new("", (natsrs_kv_config **)&out), IA);
  CHECK_STATUS(natsrs_kv_config_new("ok", NULL), NP);
  CHECK_STATUS(natsrs_kv_config_from_json(NULL, (natsrs_kv_config **)&out), NP);
  CHECK_STATUS(natsrs_kv_config_from_json("{\"bucket\":\"b\"}", NULL), NP);
  CHECK_STATUS(natsrs_kv_config_to_json(NULL, (char **)&out), NP);
  CHECK(out == TU_SENTINEL);
  CHECK_STATUS(natsrs_kv_config_set_bucket(NULL, "b"), NP);
  CHECK_STATUS(natsrs_kv_config_set_description(NULL, NULL), NP);
  CHECK_STATUS(natsrs_kv_config_set_history(NULL, 1), NP);
  CHECK_STATUS(natsrs_kv_config_set_ttl_ms(NULL, 1), NP);
  CHECK_STATUS(natsrs_kv_config_set_max_value_size(NULL, 1), NP);
  CHECK_STATUS(natsrs_kv_config_set_max_bytes(NULL, 1), NP);
  CHECK_STATUS(natsrs_kv_config_set_storage(NULL, 0), NP);
  CHECK_STATUS(natsrs_kv_config_set_replicas(NULL, 1), NP);
  CHECK_STATUS(natsrs_kv_config_set_compression(NULL, true), NP);
  CHECK_STATUS(natsrs_kv_config_set_placement(NULL, NULL, NULL, 0), NP);
  CHECK_STATUS(natsrs_kv_config_set_republish(NULL, NULL, NULL, false), NP);
  CHECK_STATUS(natsrs_kv_config_set_mirror(NULL, NULL), NP);
  CHECK_STATUS(natsrs_kv_config_add_source(NULL, "b"), NP);
  CHECK_STATUS(natsrs_kv_config_set_metadata(NULL, "k", "v"), NP);
  CHECK_STATUS(natsrs_kv_config_set_limit_marker_ttl_ms(NULL, 1), NP);
  natsrs_kv_config *cfg = NULL;
  REQUIRE_OK(natsrs_kv_config_new("ok", &cfg));
  CHECK_STATUS(natsrs_kv_config_set_bucket(cfg, "no spaces"), IA);
  CHECK_STATUS(natsrs_kv_config_set_bucket(cfg, NULL), NP);
  CHECK_STATUS(natsrs_kv_config_set_history(cfg, 0), IA);
  CHECK_STATUS(natsrs_kv_config_set_history(cfg, 65), IA);
  CHECK_STATUS(natsrs_kv_config_set_ttl_ms(cfg, -1), IA);
  CHECK_STATUS(natsrs_kv_config_set_max_value_size(cfg, (int64_t)1 << 40), IA);
  CHECK_OK(natsrs_kv_config_set_max_value_size(cfg, -1));
  CHECK_OK(natsrs_kv_config_set_max_bytes(cfg, -1));
  CHECK_STATUS(natsrs_kv_config_set_storage(cfg, 2), IA);
  CHECK_STATUS(natsrs_kv_config_set_replicas(cfg, 0), IA);
  CHECK_STATUS(natsrs_kv_config_set_placement(cfg, NULL, NULL, 2), NP);
  CHECK_STATUS(natsrs_kv_config_set_republish(cfg, NULL, "", false), NATSRS_STATUS_INVALID_SUBJECT);
  CHECK_STATUS(natsrs_kv_config_set_mirror(cfg, "bad.name"), IA);
  CHECK_STATUS(natsrs_kv_config_add_source(cfg, NULL), NP);
  CHECK_STATUS(natsrs_kv_config_add_source(cfg, "bad name"), IA);
  CHECK_OK(natsrs_kv_config_add_source(cfg, "origin"));
  CHECK_OK(natsrs_kv_config_set_mirror(cfg, "origin"));
  CHECK_STATUS(natsrs_kv_config_set_metadata(cfg, NULL, "v"), NP);
  CHECK_STATUS(natsrs_kv_config_set_limit_marker_ttl_ms(cfg, -5), IA);
  char *json = NULL;
  REQUIRE_OK(natsrs_kv_config_to_json(cfg, &json));
  CHECK(strstr(json, "\"mirror\":{\"name\":\"origin\"}") != NULL);
  CHECK(strstr(json, "\"sources\":[{\"name\":\"origin\"}]") != NULL);
  natsrs_string_free(json);
  natsrs_kv_config_free(NULL);

  /* Management. */
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  natsrs_jetstream *js = NULL;
  REQUIRE_OK(natsrs_jetstream_new(nc, NULL, &js));
  CHECK_STATUS(natsrs_jetstream_create_kv(NULL, cfg, (natsrs_kv **)&out), NP);
  CHECK_STATUS(natsrs_jetstream_create_kv(js, NULL, (natsrs_kv **)&out), NP);
  CHECK_STATUS(natsrs_jetstream_create_kv(js, cfg, NULL), NP);
  CHECK_STATUS(natsrs_jetstream_update_kv(js, NULL, (natsrs_kv **)&out), NP);
  CHECK_STATUS(natsrs_jetstream_create_or_update_kv(NULL, cfg, (natsrs_kv **)&out), NP);
  CHECK_STATUS(natsrs_jetstream_bind_kv(js, NULL, (natsrs_kv **)&out), NP);
  CHECK_STATUS(natsrs_jetstream_bind_kv(js, "ok", NULL), NP);
  CHECK_STATUS(natsrs_jetstream_bind_kv(js, "bad.name", (natsrs_kv **)&out), IA);
  CHECK_STATUS(natsrs_jetstream_delete_kv(js, NULL), NP);
  CHECK_STATUS(natsrs_jetstream_delete_kv(NULL, "ok"), NP);
  CHECK_STATUS(natsrs_jetstream_delete_kv(js, "bad name"), IA);
  CHECK_STATUS(natsrs_jetstream_kv_store_names(js, NULL), NP);
  CHECK_STATUS(natsrs_jetstream_kv_store_names(NULL, (natsrs_strings **)&out), NP);
  CHECK_STATUS(natsrs_jetstream_kv_stores(js, NULL), NP);
  CHECK_STATUS(natsrs_jetstream_kv_stores(NULL, (natsrs_kv_status_list **)&out), NP);
  CHECK(out == TU_SENTINEL);
  natsrs_kv_config_free(cfg);

  /* Operations. */
  char bucket[64];
  bucket_name(bucket, sizeof bucket, "args");
  natsrs_kv *kv = NULL;
  REQUIRE_OK(natsrs_kv_config_new(bucket, &cfg));
  CHECK_OK(natsrs_kv_config_set_storage(cfg, NATSRS_STORAGE_TYPE_MEMORY));
  REQUIRE_OK(natsrs_jetstream_create_kv(js, cfg, &kv));
  natsrs_kv_config_free(cfg);
  CHECK(natsrs_kv_bucket(NULL) == NULL);
  CHECK_STATUS(natsrs_kv_put(NULL, "k", TEXT("v"), NULL), NP);
  CHECK_STATUS(natsrs_kv_put(kv, NULL, TEXT("v"), NULL), NP);
  CHECK_STATUS(natsrs_kv_put(kv, "k", NULL, 3, NULL), NP);
  CHECK_STATUS(natsrs_kv_create(NULL, "k", NULL, 0, NULL), NP);
  CHECK_STATUS(natsrs_kv_create(kv, NULL, NULL, 0, NULL), NP);
  CHECK_STATUS(natsrs_kv_create_with_ttl(kv, "k", NULL, 0, 0, NULL), IA);
  CHECK_STATUS(natsrs_kv_create_with_ttl(NULL, "k", NULL, 0, 10, NULL), NP);
  CHECK_STATUS(natsrs_kv_update(kv, "k", NULL, 1, 1, NULL), NP);
  CHECK_STATUS(natsrs_kv_update(kv, "bad key", NULL, 0, 1, NULL), IA);
  CHECK_STATUS(natsrs_kv_get(kv, "k", NULL), NP);
  CHECK_STATUS(natsrs_kv_get(NULL, "k", (natsrs_kv_entry **)&out), NP);
  CHECK_STATUS(natsrs_kv_get(kv, NULL, (natsrs_kv_entry **)&out), NP);
  CHECK_STATUS(natsrs_kv_get_revision(kv, "k", 1, NULL), NP);
  CHECK_STATUS(natsrs_kv_delete(kv, NULL, 0), NP);
  CHECK_STATUS(natsrs_kv_delete(NULL, "k", 0), NP);
  CHECK_STATUS(natsrs_kv_delete(kv, "bad*", 0), IA);
  CHECK_STATUS(natsrs_kv_purge(kv, NULL, 0), NP);
  CHECK_STATUS(natsrs_kv_purge(kv, ".x", 0), IA);
  CHECK_STATUS(natsrs_kv_purge_deletes(NULL, 0, NULL), NP);
  CHECK_STATUS(natsrs_kv_keys(kv, NULL, 0, NULL), NP);
  CHECK_STATUS(natsrs_kv_keys(kv, NULL, 2, (natsrs_strings **)&out), NP);
  CHECK_STATUS(natsrs_kv_keys(NULL, NULL, 0, (natsrs_strings **)&out), NP);
  CHECK_STATUS(natsrs_kv_history(kv, "k", NULL), NP);
  CHECK_STATUS(natsrs_kv_history(kv, "bad key", (natsrs_kv_entries **)&out), IA);
  CHECK_STATUS(natsrs_kv_bucket_status(kv, NULL), NP);
  CHECK_STATUS(natsrs_kv_bucket_status(NULL, (natsrs_kv_status **)&out), NP);
  CHECK(out == TU_SENTINEL);
  natsrs_kv_free(NULL);

  /* Entries, lists and statuses. */
  CHECK(natsrs_kv_entry_bucket(NULL) == NULL);
  CHECK(strlen(natsrs_last_error_message()) > 0);
  CHECK(natsrs_kv_entry_key(NULL) == NULL);
  CHECK(natsrs_kv_entry_value(NULL) == NULL);
  CHECK_EQ(natsrs_kv_entry_value_len(NULL), 0);
  CHECK_EQ(natsrs_kv_entry_revision(NULL), 0);
  CHECK_EQ(natsrs_kv_entry_created_ns(NULL), 0);
  CHECK_EQ(natsrs_kv_entry_delta(NULL), 0);
  CHECK_EQ(natsrs_kv_entry_operation(NULL), NATSRS_KV_OPERATION_PUT);
  CHECK(strlen(natsrs_last_error_message()) > 0);
  natsrs_kv_entry_free(NULL);
  CHECK_EQ(natsrs_kv_entries_count(NULL), 0);
  CHECK(natsrs_kv_entries_get(NULL, 0) == NULL);
  natsrs_kv_entries_free(NULL);
  CHECK(natsrs_kv_status_bucket(NULL) == NULL);
  CHECK_EQ(natsrs_kv_status_values(NULL), 0);
  CHECK_EQ(natsrs_kv_status_history(NULL), 0);
  CHECK_EQ(natsrs_kv_status_ttl_ms(NULL), 0);
  CHECK_EQ(natsrs_kv_status_bytes(NULL), 0);
  CHECK(!natsrs_kv_status_is_compressed(NULL));
  CHECK(natsrs_kv_status_backing_store(NULL) == NULL);
  CHECK_STATUS(natsrs_kv_status_stream_info(NULL, (natsrs_stream_info **)&out), NP);
  CHECK_STATUS(natsrs_kv_status_config(NULL, (natsrs_kv_config **)&out), NP);
  CHECK_STATUS(natsrs_kv_status_json(NULL, (char **)&out), NP);
  natsrs_kv_status *st = NULL;
  REQUIRE_OK(natsrs_kv_bucket_status(kv, &st));
  CHECK_STATUS(natsrs_kv_status_stream_info(st, NULL), NP);
  CHECK_STATUS(natsrs_kv_status_config(st, NULL), NP);
  CHECK_STATUS(natsrs_kv_status_json(st, NULL), NP);
  natsrs_kv_status_free(st);
  natsrs_kv_status_free(NULL);
  CHECK_EQ(natsrs_kv_status_list_count(NULL), 0);
  CHECK(natsrs_kv_status_list_get(NULL, 0) == NULL);
  natsrs_kv_status_list_free(NULL);
  CHECK(out == TU_SENTINEL);

  /* Watchers. */
  CHECK_STATUS(natsrs_kv_watch_options_create(NULL), NP);
  CHECK_STATUS(natsrs_kv_watch_options_set_include_history(NULL, true), NP);
  CHECK_STATUS(natsrs_kv_watch_options_set_ignore_deletes(NULL, true), NP);
  CHECK_STATUS(natsrs_kv_watch_options_set_updates_only(NULL, true), NP);
  CHECK_STATUS(natsrs_kv_watch_options_set_meta_only(NULL, true), NP);
  natsrs_kv_watch_options_free(NULL);
  CHECK_STATUS(natsrs_kv_watch(NULL, "k", NULL, (natsrs_kv_watcher **)&out), NP);
  CHECK_STATUS(natsrs_kv_watch(kv, NULL, NULL, (natsrs_kv_watcher **)&out), NP);
  CHECK_STATUS(natsrs_kv_watch(kv, "k", NULL, NULL), NP);
  CHECK_STATUS(natsrs_kv_watch(kv, "a.>.b", NULL, (natsrs_kv_watcher **)&out), IA);
  CHECK_STATUS(natsrs_kv_watch(kv, "", NULL, (natsrs_kv_watcher **)&out), IA);
  CHECK_STATUS(natsrs_kv_watch_all(NULL, NULL, (natsrs_kv_watcher **)&out), NP);
  CHECK_STATUS(natsrs_kv_watch_all(kv, NULL, NULL), NP);
  CHECK_STATUS(natsrs_kv_watch_many(kv, NULL, 0, NULL, (natsrs_kv_watcher **)&out), IA);
  CHECK_STATUS(natsrs_kv_watch_many(kv, NULL, 1, NULL, (natsrs_kv_watcher **)&out), NP);
  CHECK(out == TU_SENTINEL);
  natsrs_kv_watcher *w = NULL;
  REQUIRE_OK(natsrs_kv_watch_all(kv, NULL, &w));
  CHECK_STATUS(natsrs_kv_watcher_next(w, 0, (natsrs_kv_entry **)&out), IA);
  CHECK_STATUS(natsrs_kv_watcher_next(w, -1, (natsrs_kv_entry **)&out), IA);
  CHECK_STATUS(natsrs_kv_watcher_next(w, 100, NULL), NP);
  CHECK_STATUS(natsrs_kv_watcher_next(NULL, 100, (natsrs_kv_entry **)&out), NP);
  CHECK(out == TU_SENTINEL);
  CHECK(!natsrs_kv_watcher_init_done(NULL));
  CHECK_STATUS(natsrs_kv_watcher_stop(NULL), NP);
  natsrs_kv_watcher_free(w);
  natsrs_kv_watcher_free(NULL);

  teardown(nc, js, kv, bucket);
}

static const tu_test tests[] = {
    TU_TEST(test_kv_bucket_management),
    TU_TEST(test_kv_put_get_cas_delete_purge),
    TU_TEST(test_kv_keys_history_purge_deletes),
    TU_TEST(test_kv_watch_order_and_marker),
    TU_TEST(test_kv_watch_options),
    TU_TEST(test_kv_watch_stop_from_another_thread),
    TU_TEST(test_kv_ttl_expiry),
    TU_TEST(test_kv_republish),
    TU_TEST(test_kv_mirror_sources_compression),
    TU_TEST(test_kv_bad_arguments),
};

int main(int argc, char **argv) { return tu_main(argc, argv, tests, TU_COUNT(tests)); }
