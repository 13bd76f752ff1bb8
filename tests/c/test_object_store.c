/* Object store from C under ASan/UBSan, against a server started with -js: store management,
 * config JSON and setters, put/get of 0 bytes, one chunk and many chunks from bytes, files and
 * callbacks, info getters, meta update and rename, delete, list, links, seal, status, watch,
 * digest mismatch, NULL and bad arguments. */
#include "test_util.h"

#include <unistd.h>

#define CHUNK 131072

/* A store name unique to this process and test. */
static void bucket_name(char *buf, size_t len, const char *suffix) {
  snprintf(buf, len, "O%d_%s", (int)getpid(), suffix);
}

static natsrs_jetstream *js_connect(natsrs_connection **nc) {
  *nc = tu_connect();
  if (!*nc) return NULL;
  natsrs_jetstream *js = NULL;
  if (natsrs_jetstream_new(*nc, NULL, &js) != NATSRS_STATUS_OK) return NULL;
  return js;
}

static natsrs_object_store *make_store(natsrs_jetstream *js, const char *bucket) {
  natsrs_object_store_config *cfg = NULL;
  natsrs_object_store *os = NULL;
  if (natsrs_object_store_config_new(bucket, &cfg) != NATSRS_STATUS_OK) return NULL;
  natsrs_object_store_config_set_storage(cfg, NATSRS_STORAGE_TYPE_MEMORY);
  natsrs_status s = natsrs_jetstream_create_object_store(js, cfg, &os);
  natsrs_object_store_config_free(cfg);
  if (s != NATSRS_STATUS_OK) {
    tu_fail(__FILE__, __LINE__, "create_object_store: %s", natsrs_last_error_message());
    return NULL;
  }
  return os;
}

static void fill(uint8_t *p, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; i++) p[i] = (uint8_t)((i * 2654435761u + seed) >> 13);
}

static void test_obj_store_management(void) {
  natsrs_connection *nc = NULL;
  natsrs_jetstream *js = js_connect(&nc);
  REQUIRE(js);
  char b[64], b2[64];
  bucket_name(b, sizeof b, "mgmt");
  bucket_name(b2, sizeof b2, "mgmt2");

  natsrs_object_store_config *cfg = NULL;
  REQUIRE_OK(natsrs_object_store_config_new(b, &cfg));
  CHECK_OK(natsrs_object_store_config_set_description(cfg, "C store"));
  CHECK_OK(natsrs_object_store_config_set_ttl_ms(cfg, 3600000));
  CHECK_OK(natsrs_object_store_config_set_max_bytes(cfg, 1 << 26));
  CHECK_OK(natsrs_object_store_config_set_storage(cfg, NATSRS_STORAGE_TYPE_MEMORY));
  CHECK_OK(natsrs_object_store_config_set_replicas(cfg, 1));
  CHECK_OK(natsrs_object_store_config_set_compression(cfg, false));
  CHECK_STATUS(natsrs_object_store_config_set_replicas(cfg, 9), NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(natsrs_object_store_config_set_storage(cfg, 7), NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(natsrs_object_store_config_set_ttl_ms(cfg, -1), NATSRS_STATUS_INVALID_ARGUMENT);
  char *json = NULL;
  REQUIRE_OK(natsrs_object_store_config_to_json(cfg, &json));
  CHECK(strstr(json, "\"max_age\":3600000000000") != NULL);
  CHECK(strstr(json, "\"storage\":\"memory\"") != NULL);
  natsrs_object_store_config *cfg2 = NULL;
  CHECK_OK(natsrs_object_store_config_from_json(json, &cfg2));
  natsrs_string_free(json);
  natsrs_object_store_config_free(cfg2);

  natsrs_object_store *os = NULL;
  REQUIRE_OK(natsrs_jetstream_create_object_store(js, cfg, &os));
  CHECK_STR(natsrs_object_store_bucket(os), b);
  natsrs_object_store_status *st = NULL;
  REQUIRE_OK(natsrs_object_store_get_status(os, &st));
  CHECK_STR(natsrs_object_store_status_bucket(st), b);
  CHECK_STR(natsrs_object_store_status_description(st), "C store");
  CHECK_STR(natsrs_object_store_status_backing_store(st), "JetStream");
  CHECK_EQ(natsrs_object_store_status_ttl_ms(st), 3600000);
  CHECK_EQ(natsrs_object_store_status_replicas(st), 1);
  CHECK_EQ(natsrs_object_store_status_storage(st), NATSRS_STORAGE_TYPE_MEMORY);
  CHECK(!natsrs_object_store_status_sealed(st));
  CHECK(!natsrs_object_store_status_is_compressed(st));
  CHECK_OK(natsrs_object_store_status_json(st, &json));
  CHECK(strstr(json, "\"$O.") != NULL);
  natsrs_string_free(json);
  natsrs_object_store_status_free(st);

  /* Update, bind, names, statuses. */
  CHECK_OK(natsrs_object_store_config_set_description(cfg, "changed"));
  CHECK_OK(natsrs_jetstream_update_object_store(js, cfg, NULL));
  natsrs_object_store_config_free(cfg);
  natsrs_object_store *bound = NULL;
  REQUIRE_OK(natsrs_jetstream_object_store(js, b, &bound));
  REQUIRE_OK(natsrs_object_store_get_status(bound, &st));
  CHECK_STR(natsrs_object_store_status_description(st), "changed");
  natsrs_object_store_status_free(st);
  natsrs_object_store_free(bound);
  natsrs_object_store *os2 = make_store(js, b2);
  REQUIRE(os2);
  REQUIRE_OK(natsrs_jetstream_object_store_names_json(js, &json));
  CHECK(strstr(json, b) != NULL && strstr(json, b2) != NULL);
  natsrs_string_free(json);
  REQUIRE_OK(natsrs_jetstream_object_store_statuses_json(js, &json));
  CHECK(json[0] == '[' && strstr(json, "\"backing_store\":\"JetStream\"") != NULL);
  natsrs_string_free(json);

  CHECK_OK(natsrs_jetstream_delete_object_store(js, b2));
  natsrs_object_store_free(os2);
  bound = TU_SENTINEL;
  CHECK_STATUS(natsrs_jetstream_object_store(js, b2, &bound), NATSRS_STATUS_NOT_FOUND);
  CHECK(bound == TU_SENTINEL);
  CHECK_STATUS(natsrs_jetstream_delete_object_store(js, b2), NATSRS_STATUS_NOT_FOUND);
  CHECK_STATUS(natsrs_jetstream_object_store(js, "bad.name", &bound), NATSRS_STATUS_INVALID_ARGUMENT);

  CHECK_OK(natsrs_jetstream_delete_object_store(js, b));
  natsrs_object_store_free(os);
  natsrs_jetstream_free(js);
  natsrs_connection_free(nc);
}

static void put_get_size(natsrs_object_store *os, const char *name, size_t n, uint32_t chunks) {
  uint8_t *d = malloc(n ? n : 1);
  fill(d, n, (unsigned)n);
  natsrs_object_info *info = NULL;
  REQUIRE_OK(natsrs_object_store_put_bytes(os, name, n ? d : NULL, n, &info));
  CHECK_STR(natsrs_object_info_name(info), name);
  CHECK(strncmp(natsrs_object_info_bucket(info), "O", 1) == 0);
  CHECK_EQ(natsrs_object_info_size(info), n);
  CHECK_EQ(natsrs_object_info_chunks(info), chunks);
  CHECK(strncmp(natsrs_object_info_digest(info), "SHA-256=", 8) == 0);
  CHECK_EQ(strlen(natsrs_object_info_nuid(info)), 22);
  CHECK(!natsrs_object_info_deleted(info) && !natsrs_object_info_is_link(info));
  CHECK(natsrs_object_info_link_bucket(info) == NULL);

  void *got = NULL;
  size_t len = 99;
  natsrs_object_info *gi = NULL;
  REQUIRE_OK(natsrs_object_store_get_bytes(os, name, &got, &len, &gi));
  CHECK(got != NULL);
  CHECK_EQ(len, n);
  CHECK(n == 0 || memcmp(got, d, n) == 0);
  CHECK_STR(natsrs_object_info_digest(gi), natsrs_object_info_digest(info));
  CHECK(natsrs_object_info_mtime(gi)[0] != '\0');
  natsrs_object_data_free(got);
  natsrs_object_info_free(gi);
  natsrs_object_info_free(info);
  free(d);
}

static void test_obj_put_get_sizes(void) {
  natsrs_connection *nc = NULL;
  natsrs_jetstream *js = js_connect(&nc);
  REQUIRE(js);
  char b[64];
  bucket_name(b, sizeof b, "sizes");
  natsrs_object_store *os = make_store(js, b);
  REQUIRE(os);
  put_get_size(os, "empty", 0, 0);
  put_get_size(os, "one-chunk", CHUNK, 1);
  put_get_size(os, "multi", 3 * CHUNK + 5, 4);
  put_get_size(os, "dir/with spaces?.txt", 10, 1);
  /* Replace: the new content wins. */
  put_get_size(os, "multi", 17, 1);
  void *got = TU_SENTINEL;
  size_t len = 0;
  CHECK_STATUS(natsrs_object_store_get_bytes(os, "missing", &got, &len, NULL), NATSRS_STATUS_NOT_FOUND);
  CHECK(got == TU_SENTINEL);
  natsrs_jetstream_delete_object_store(js, b);
  natsrs_object_store_free(os);
  natsrs_jetstream_free(js);
  natsrs_connection_free(nc);
}

/* Read callback state: produces `left` bytes of fill() data in pieces of at most 1000. */
typedef struct gen {
  size_t pos, left;
  int fail_at; /* >= 0: return -1 once pos reaches this */
} gen;

static int64_t gen_read(void *ud, uint8_t *buf, size_t cap) {
  gen *g = ud;
  if (g->fail_at >= 0 && g->pos >= (size_t)g->fail_at) return -1;
  size_t n = cap < g->left ? cap : g->left;
  if (n > 1000) n = 1000;
  for (size_t i = 0; i < n; i++) {
    size_t k = g->pos + i;
    buf[i] = (uint8_t)((k * 2654435761u + 7) >> 13);
  }
  g->pos += n;
  g->left -= n;
  return (int64_t)n;
}

/* Write callback state: compares with fill() data; aborts at `stop_at` bytes if set. */
typedef struct sink {
  size_t pos;
  size_t bad;
  size_t calls;
  size_t stop_at;
} sink;

static int sink_write(void *ud, const uint8_t *data, size_t len) {
  sink *s = ud;
  s->calls++;
  for (size_t i = 0; i < len; i++) {
    size_t k = s->pos + i;
    if (data[i] != (uint8_t)((k * 2654435761u + 7) >> 13)) s->bad++;
  }
  s->pos += len;
  if (s->stop_at && s->pos >= s->stop_at) return 1;
  return 0;
}

static void test_obj_stream_callbacks(void) {
  natsrs_connection *nc = NULL;
  natsrs_jetstream *js = js_connect(&nc);
  REQUIRE(js);
  char b[64];
  bucket_name(b, sizeof b, "stream");
  natsrs_object_store *os = make_store(js, b);
  REQUIRE(os);

  const size_t N = 2 * 1024 * 1024 + 321;
  natsrs_object_meta *m = NULL;
  REQUIRE_OK(natsrs_object_meta_new("streamed", &m));
  CHECK_OK(natsrs_object_meta_set_description(m, "from a callback"));
  CHECK_OK(natsrs_object_meta_add_header(m, "X-Kind", "test"));
  CHECK_OK(natsrs_object_meta_add_header(m, "X-Kind", "second"));
  CHECK_OK(natsrs_object_meta_set_metadata(m, "owner", "c"));
  CHECK_OK(natsrs_object_meta_set_chunk_size(m, 65536));
  CHECK_STATUS(natsrs_object_meta_set_chunk_size(m, 9u * 1024 * 1024), NATSRS_STATUS_INVALID_ARGUMENT);
  gen g = {0, N, -1};
  natsrs_object_info *info = NULL;
  REQUIRE_OK(natsrs_object_store_put_stream(os, m, gen_read, &g, &info));
  CHECK_EQ(natsrs_object_info_size(info), N);
  CHECK_EQ(natsrs_object_info_chunks(info), (N + 65535) / 65536);
  CHECK_STR(natsrs_object_info_description(info), "from a callback");
  char *json = NULL;
  REQUIRE_OK(natsrs_object_info_json(info, &json));
  CHECK(strstr(json, "\"X-Kind\":[\"test\",\"second\"]") != NULL);
  CHECK(strstr(json, "\"max_chunk_size\":65536") != NULL);
  CHECK(strstr(json, "\"owner\":\"c\"") != NULL);
  natsrs_string_free(json);
  natsrs_object_info_free(info);

  sink s = {0, 0, 0, 0};
  natsrs_object_info *gi = NULL;
  REQUIRE_OK(natsrs_object_store_get_stream(os, "streamed", sink_write, &s, &gi));
  CHECK_EQ(s.pos, N);
  CHECK_EQ(s.bad, 0);
  CHECK_EQ(s.calls, (N + 65535) / 65536);
  natsrs_object_info_free(gi);

  /* The write callback aborts: IO. */
  sink stop = {0, 0, 0, 100000};
  CHECK_STATUS(natsrs_object_store_get_stream(os, "streamed", sink_write, &stop, NULL), NATSRS_STATUS_IO);
  /* The read callback fails: IO, and nothing is stored under that name. */
  gen bad = {0, N, 200000};
  CHECK_OK(natsrs_object_meta_set_name(m, "failed"));
  CHECK_STATUS(natsrs_object_store_put_stream(os, m, gen_read, &bad, NULL), NATSRS_STATUS_IO);
  natsrs_object_info *none = TU_SENTINEL;
  CHECK_STATUS(natsrs_object_store_info(os, "failed", true, &none), NATSRS_STATUS_NOT_FOUND);
  CHECK(none == TU_SENTINEL);
  CHECK_STATUS(natsrs_object_store_put_stream(os, m, NULL, NULL, NULL), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_STATUS(natsrs_object_store_get_stream(os, "streamed", NULL, NULL, NULL), NATSRS_STATUS_NULL_PARAMETER);
  natsrs_object_meta_free(m);

  natsrs_jetstream_delete_object_store(js, b);
  natsrs_object_store_free(os);
  natsrs_jetstream_free(js);
  natsrs_connection_free(nc);
}

static void test_obj_files(void) {
  natsrs_connection *nc = NULL;
  natsrs_jetstream *js = js_connect(&nc);
  REQUIRE(js);
  char b[64];
  bucket_name(b, sizeof b, "files");
  natsrs_object_store *os = make_store(js, b);
  REQUIRE(os);
  char in[128], out[128];
  snprintf(in, sizeof in, "/tmp/natsrs-ctest-%d-in.bin", (int)getpid());
  snprintf(out, sizeof out, "/tmp/natsrs-ctest-%d-out.bin", (int)getpid());
  const size_t N = 300000;
  uint8_t *d = malloc(N);
  fill(d, N, 3);
  FILE *f = fopen(in, "wb");
  REQUIRE(f);
  CHECK_EQ(fwrite(d, 1, N, f), N);
  fclose(f);

  natsrs_object_info *info = NULL;
  REQUIRE_OK(natsrs_object_store_put_file(os, "file", in, &info));
  CHECK_EQ(natsrs_object_info_size(info), N);
  CHECK_EQ(natsrs_object_info_chunks(info), 3);
  natsrs_object_info_free(info);
  REQUIRE_OK(natsrs_object_store_get_file(os, "file", out, NULL));
  f = fopen(out, "rb");
  REQUIRE(f);
  uint8_t *back = malloc(N + 1);
  CHECK_EQ(fread(back, 1, N + 1, f), N);
  fclose(f);
  CHECK(memcmp(back, d, N) == 0);
  CHECK_STATUS(natsrs_object_store_put_file(os, "x", "/nonexistent/dir/file", NULL), NATSRS_STATUS_IO);
  CHECK_STATUS(natsrs_object_store_get_file(os, "missing", out, NULL), NATSRS_STATUS_NOT_FOUND);
  unlink(in);
  unlink(out);
  free(back);
  free(d);
  natsrs_jetstream_delete_object_store(js, b);
  natsrs_object_store_free(os);
  natsrs_jetstream_free(js);
  natsrs_connection_free(nc);
}

static void test_obj_meta_delete_list(void) {
  natsrs_connection *nc = NULL;
  natsrs_jetstream *js = js_connect(&nc);
  REQUIRE(js);
  char b[64];
  bucket_name(b, sizeof b, "meta");
  natsrs_object_store *os = make_store(js, b);
  REQUIRE(os);
  CHECK_OK(natsrs_object_store_put_bytes(os, "a", TEXT("alpha"), NULL));
  CHECK_OK(natsrs_object_store_put_bytes(os, "b", TEXT("beta"), NULL));

  natsrs_object_meta *m = NULL;
  REQUIRE_OK(natsrs_object_meta_from_json("{\"name\":\"a2\",\"description\":\"renamed\"}", &m));
  natsrs_object_info *info = NULL;
  REQUIRE_OK(natsrs_object_store_update_meta(os, "a", m, &info));
  CHECK_STR(natsrs_object_info_name(info), "a2");
  natsrs_object_info_free(info);
  CHECK_STATUS(natsrs_object_store_info(os, "a", false, &info), NATSRS_STATUS_NOT_FOUND);
  REQUIRE_OK(natsrs_object_store_info(os, "a2", false, &info));
  CHECK_STR(natsrs_object_info_description(info), "renamed");
  natsrs_object_info_free(info);
  void *got = NULL;
  size_t len = 0;
  REQUIRE_OK(natsrs_object_store_get_bytes(os, "a2", &got, &len, NULL));
  CHECK(len == 5 && memcmp(got, "alpha", 5) == 0);
  natsrs_object_data_free(got);
  /* Renaming onto an existing object is refused. */
  CHECK_OK(natsrs_object_meta_set_name(m, "b"));
  CHECK_STATUS(natsrs_object_store_update_meta(os, "a2", m, NULL), NATSRS_STATUS_ILLEGAL_STATE);
  char *mj = NULL;
  CHECK_OK(natsrs_object_meta_to_json(m, &mj));
  CHECK(strstr(mj, "\"name\":\"b\"") != NULL);
  natsrs_string_free(mj);
  natsrs_object_meta_free(m);

  CHECK_OK(natsrs_object_store_delete(os, "b"));
  CHECK_STATUS(natsrs_object_store_delete(os, "never"), NATSRS_STATUS_NOT_FOUND);
  CHECK_STATUS(natsrs_object_store_get_bytes(os, "b", &got, &len, NULL), NATSRS_STATUS_NOT_FOUND);
  REQUIRE_OK(natsrs_object_store_info(os, "b", true, &info));
  CHECK(natsrs_object_info_deleted(info));
  CHECK_EQ(natsrs_object_info_size(info), 0);
  CHECK_STR(natsrs_object_info_digest(info), "");
  natsrs_object_info_free(info);

  natsrs_object_info_list *l = NULL;
  REQUIRE_OK(natsrs_object_store_list(os, false, &l));
  CHECK_EQ(natsrs_object_info_list_count(l), 1);
  CHECK_STR(natsrs_object_info_name(natsrs_object_info_list_get(l, 0)), "a2");
  CHECK(natsrs_object_info_list_get(l, 1) == NULL);
  natsrs_object_info_list_free(l);
  REQUIRE_OK(natsrs_object_store_list(os, true, &l));
  CHECK_EQ(natsrs_object_info_list_count(l), 2);
  natsrs_object_info_list_free(l);

  natsrs_jetstream_delete_object_store(js, b);
  natsrs_object_store_free(os);
  natsrs_jetstream_free(js);
  natsrs_connection_free(nc);
}

static void test_obj_links_and_seal(void) {
  natsrs_connection *nc = NULL;
  natsrs_jetstream *js = js_connect(&nc);
  REQUIRE(js);
  char b[64], b2[64];
  bucket_name(b, sizeof b, "links");
  bucket_name(b2, sizeof b2, "target");
  natsrs_object_store *os = make_store(js, b);
  natsrs_object_store *other = make_store(js, b2);
  REQUIRE(os && other);
  natsrs_object_info *target = NULL;
  REQUIRE_OK(natsrs_object_store_put_bytes(other, "t", TEXT("linked data"), &target));

  natsrs_object_info *l = NULL;
  REQUIRE_OK(natsrs_object_store_add_link(os, "lnk", target, &l));
  CHECK(natsrs_object_info_is_link(l));
  CHECK_STR(natsrs_object_info_link_bucket(l), b2);
  CHECK_STR(natsrs_object_info_link_name(l), "t");
  void *got = NULL;
  size_t len = 0;
  natsrs_object_info *gi = NULL;
  REQUIRE_OK(natsrs_object_store_get_bytes(os, "lnk", &got, &len, &gi));
  CHECK(len == 11 && memcmp(got, "linked data", 11) == 0);
  CHECK_STR(natsrs_object_info_name(gi), "t");
  natsrs_object_data_free(got);
  natsrs_object_info_free(gi);
  /* No link to a link. */
  CHECK_STATUS(natsrs_object_store_add_link(os, "lnk2", l, NULL), NATSRS_STATUS_INVALID_ARGUMENT);
  natsrs_object_info_free(l);

  REQUIRE_OK(natsrs_object_store_add_bucket_link(os, "dir", other, &l));
  CHECK(natsrs_object_info_is_link(l));
  CHECK(natsrs_object_info_link_name(l) == NULL);
  natsrs_object_info_free(l);
  CHECK_STATUS(natsrs_object_store_get_bytes(os, "dir", &got, &len, NULL), NATSRS_STATUS_INVALID_ARGUMENT);
  natsrs_object_info_free(target);

  /* Seal. */
  CHECK_OK(natsrs_object_store_seal(other));
  natsrs_object_store_status *st = NULL;
  REQUIRE_OK(natsrs_object_store_get_status(other, &st));
  CHECK(natsrs_object_store_status_sealed(st));
  CHECK(natsrs_object_store_status_size(st) > 0);
  natsrs_object_store_status_free(st);
  CHECK(natsrs_object_store_put_bytes(other, "late", TEXT("no"), NULL) != NATSRS_STATUS_OK);
  REQUIRE_OK(natsrs_object_store_get_bytes(other, "t", &got, &len, NULL));
  natsrs_object_data_free(got);

  natsrs_jetstream_delete_object_store(js, b);
  natsrs_jetstream_delete_object_store(js, b2);
  natsrs_object_store_free(os);
  natsrs_object_store_free(other);
  natsrs_jetstream_free(js);
  natsrs_connection_free(nc);
}

static void test_obj_watch(void) {
  natsrs_connection *nc = NULL;
  natsrs_jetstream *js = js_connect(&nc);
  REQUIRE(js);
  char b[64];
  bucket_name(b, sizeof b, "watch");
  natsrs_object_store *os = make_store(js, b);
  REQUIRE(os);
  CHECK_OK(natsrs_object_store_put_bytes(os, "first", TEXT("1"), NULL));

  natsrs_object_watcher *w = NULL;
  REQUIRE_OK(natsrs_object_store_watch(os, false, false, false, &w));
  natsrs_object_info *i = NULL;
  REQUIRE_OK(natsrs_object_watcher_next(w, 5000, &i));
  REQUIRE(i != NULL);
  CHECK_STR(natsrs_object_info_name(i), "first");
  natsrs_object_info_free(i);
  i = TU_SENTINEL;
  REQUIRE_OK(natsrs_object_watcher_next(w, 5000, &i));
  CHECK(i == NULL); /* the initial-values marker */
  i = TU_SENTINEL;
  CHECK_STATUS(natsrs_object_watcher_next(w, 50, &i), NATSRS_STATUS_TIMEOUT);
  CHECK(i == TU_SENTINEL);

  CHECK_OK(natsrs_object_store_put_bytes(os, "second", TEXT("2"), NULL));
  CHECK_OK(natsrs_object_store_delete(os, "first"));
  REQUIRE_OK(natsrs_object_watcher_next(w, 5000, &i));
  REQUIRE(i != NULL);
  CHECK_STR(natsrs_object_info_name(i), "second");
  natsrs_object_info_free(i);
  REQUIRE_OK(natsrs_object_watcher_next(w, 5000, &i));
  REQUIRE(i != NULL);
  CHECK_STR(natsrs_object_info_name(i), "first");
  CHECK(natsrs_object_info_deleted(i));
  natsrs_object_info_free(i);
  CHECK_OK(natsrs_object_watcher_stop(w));
  CHECK_STATUS(natsrs_object_watcher_next(w, 50, &i), NATSRS_STATUS_ILLEGAL_STATE);
  natsrs_object_watcher_free(w);

  /* updates_only + ignore_deletes: marker at once, then only puts. */
  REQUIRE_OK(natsrs_object_store_watch(os, false, true, true, &w));
  REQUIRE_OK(natsrs_object_watcher_next(w, 5000, &i));
  CHECK(i == NULL);
  CHECK_OK(natsrs_object_store_delete(os, "second"));
  CHECK_OK(natsrs_object_store_put_bytes(os, "third", TEXT("3"), NULL));
  REQUIRE_OK(natsrs_object_watcher_next(w, 5000, &i));
  REQUIRE(i != NULL);
  CHECK_STR(natsrs_object_info_name(i), "third");
  natsrs_object_info_free(i);
  natsrs_object_watcher_free(w);
  CHECK_STATUS(natsrs_object_store_watch(os, true, false, true, &w), NATSRS_STATUS_INVALID_ARGUMENT);

  natsrs_jetstream_delete_object_store(js, b);
  natsrs_object_store_free(os);
  natsrs_jetstream_free(js);
  natsrs_connection_free(nc);
}

static void test_obj_digest_mismatch(void) {
  natsrs_connection *nc = NULL;
  natsrs_jetstream *js = js_connect(&nc);
  REQUIRE(js);
  char b[64];
  bucket_name(b, sizeof b, "digest");
  natsrs_object_store *os = make_store(js, b);
  REQUIRE(os);
  natsrs_object_info *info = NULL;
  REQUIRE_OK(natsrs_object_store_put_bytes(os, "x", TEXT("original content"), &info));
  /* An extra chunk straight onto the object's chunk subject. */
  char subj[256];
  snprintf(subj, sizeof subj, "$O.%s.C.%s", b, natsrs_object_info_nuid(info));
  CHECK_OK(natsrs_jetstream_publish(js, subj, TEXT("garbage"), NULL, NULL));
  void *got = TU_SENTINEL;
  size_t len = 0;
  CHECK_STATUS(natsrs_object_store_get_bytes(os, "x", &got, &len, NULL), NATSRS_STATUS_IO);
  CHECK(strstr(natsrs_last_error_message(), "object digest mismatch") != NULL);
  CHECK(got == TU_SENTINEL);
  sink s = {0, 0, 0, 0};
  CHECK_STATUS(natsrs_object_store_get_stream(os, "x", sink_write, &s, NULL), NATSRS_STATUS_IO);
  CHECK(strstr(natsrs_last_error_message(), "object digest mismatch") != NULL);
  natsrs_object_info_free(info);
  natsrs_jetstream_delete_object_store(js, b);
  natsrs_object_store_free(os);
  natsrs_jetstream_free(js);
  natsrs_connection_free(nc);
}

static void test_obj_bad_arguments(void) {
  const natsrs_status NP = NATSRS_STATUS_NULL_PARAMETER;
  natsrs_object_store_config *cfg = NULL;
  CHECK_STATUS(natsrs_object_store_config_new(NULL, &cfg), NP);
  CHECK_STATUS(natsrs_object_store_config_new("b", NULL), NP);
  CHECK_STATUS(natsrs_object_store_config_new("a b", &cfg), NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(natsrs_object_store_config_from_json("{}", &cfg), NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(natsrs_object_store_config_from_json("not json", &cfg), NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(natsrs_object_store_config_set_description(NULL, "x"), NP);
  natsrs_object_meta *m = NULL;
  CHECK_STATUS(natsrs_object_meta_new("", &m), NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(natsrs_object_meta_new(NULL, &m), NP);
  CHECK_STATUS(natsrs_object_meta_from_json("{\"description\":\"no name\"}", &m), NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(natsrs_object_meta_add_header(NULL, "a", "b"), NP);
  CHECK_STATUS(natsrs_jetstream_create_object_store(NULL, NULL, NULL), NP);
  CHECK_STATUS(natsrs_jetstream_object_store(NULL, "b", NULL), NP);
  CHECK_STATUS(natsrs_object_store_put_bytes(NULL, "n", NULL, 0, NULL), NP);
  CHECK_STATUS(natsrs_object_store_get_bytes(NULL, "n", NULL, NULL, NULL), NP);
  CHECK_STATUS(natsrs_object_store_info(NULL, "n", false, NULL), NP);
  CHECK_STATUS(natsrs_object_store_delete(NULL, "n"), NP);
  CHECK_STATUS(natsrs_object_store_seal(NULL), NP);
  CHECK_STATUS(natsrs_object_store_watch(NULL, false, false, false, NULL), NP);
  CHECK_STATUS(natsrs_object_watcher_next(NULL, 10, NULL), NP);
  CHECK_STATUS(natsrs_object_info_json(NULL, NULL), NP);
  CHECK(natsrs_object_info_name(NULL) == NULL);
  CHECK_EQ(natsrs_object_info_size(NULL), 0);
  CHECK_EQ(natsrs_object_info_list_count(NULL), 0);
  CHECK(natsrs_object_store_bucket(NULL) == NULL);
  CHECK_EQ(natsrs_object_store_status_storage(NULL), -1);
  natsrs_object_store_free(NULL);
  natsrs_object_info_free(NULL);
  natsrs_object_info_list_free(NULL);
  natsrs_object_store_status_free(NULL);
  natsrs_object_watcher_free(NULL);
  natsrs_object_meta_free(NULL);
  natsrs_object_store_config_free(NULL);
  natsrs_object_data_free(NULL);

  /* With a live store: bad names and payloads. */
  natsrs_connection *nc = NULL;
  natsrs_jetstream *js = js_connect(&nc);
  REQUIRE(js);
  char b[64];
  bucket_name(b, sizeof b, "args");
  natsrs_object_store *os = make_store(js, b);
  REQUIRE(os);
  CHECK_STATUS(natsrs_object_store_put_bytes(os, "", TEXT("x"), NULL), NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(natsrs_object_store_put_bytes(os, "n", NULL, 3, NULL), NP);
  CHECK_STATUS(natsrs_object_store_get_bytes(os, "n", NULL, NULL, NULL), NP);
  CHECK_STATUS(natsrs_object_watcher_next(NULL, 0, NULL), NP);
  natsrs_object_watcher *w = NULL;
  REQUIRE_OK(natsrs_object_store_watch(os, false, false, false, &w));
  natsrs_object_info *i = NULL;
  CHECK_STATUS(natsrs_object_watcher_next(w, 0, &i), NATSRS_STATUS_INVALID_ARGUMENT);
  natsrs_object_watcher_free(w);
  natsrs_jetstream_delete_object_store(js, b);
  natsrs_object_store_free(os);
  natsrs_jetstream_free(js);
  natsrs_connection_free(nc);
}

static const tu_test tests[] = {
    TU_TEST(test_obj_store_management),
    TU_TEST(test_obj_put_get_sizes),
    TU_TEST(test_obj_stream_callbacks),
    TU_TEST(test_obj_files),
    TU_TEST(test_obj_meta_delete_list),
    TU_TEST(test_obj_links_and_seal),
    TU_TEST(test_obj_watch),
    TU_TEST(test_obj_digest_mismatch),
    TU_TEST(test_obj_bad_arguments),
};

int main(int argc, char **argv) { return tu_main(argc, argv, tests, TU_COUNT(tests)); }
