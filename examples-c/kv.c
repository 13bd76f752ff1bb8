/*
 * kv.c - Key-value store: create a bucket, put and get values, watch every change with the
 * initial-values marker, compare-and-set (update at a revision), delete, history.
 *
 * Shows: natsrs_kv_config_* + natsrs_jetstream_create_kv, natsrs_kv_put, natsrs_kv_get
 * (owned natsrs_kv_entry), natsrs_kv_watch_all + natsrs_kv_watcher_next (a NULL entry with
 * NATSRS_STATUS_OK is the "initial values done" marker), natsrs_kv_update and
 * NATSRS_STATUS_WRONG_REVISION, natsrs_kv_delete and NATSRS_STATUS_KEY_DELETED,
 * natsrs_kv_history.
 *
 * Run:  make && NATS_URL=nats://127.0.0.1:4222 ./build/kv   (server with -js)
 */
#include "example.h"

static const char *op_name(natsrs_kv_operation op) {
  switch (op) {
  case NATSRS_KV_OPERATION_PUT: return "PUT";
  case NATSRS_KV_OPERATION_DELETE: return "DEL";
  case NATSRS_KV_OPERATION_PURGE: return "PURGE";
  }
  return "?";
}

/* Prints the watcher's next event; returns false for the initial-values marker. */
static bool show_next(natsrs_kv_watcher *w) {
  natsrs_kv_entry *e = NULL;
  CHECK(natsrs_kv_watcher_next(w, 5000, &e));
  if (!e) {
    printf("  watch: initial values done\n");
    return false;
  }
  printf("  watch: %-5s %s = '%.*s' (revision %llu)\n", op_name(natsrs_kv_entry_operation(e)), natsrs_kv_entry_key(e),
         (int)natsrs_kv_entry_value_len(e), (const char *)natsrs_kv_entry_value(e),
         (unsigned long long)natsrs_kv_entry_revision(e));
  natsrs_kv_entry_free(e);
  return true;
}

int main(void) {
  natsrs_connection *nc = example_connect();
  natsrs_jetstream *js = NULL;
  CHECK(natsrs_jetstream_new(nc, NULL, &js));

  printf("Creating bucket PROFILES (history 5)\n");
  natsrs_jetstream_delete_kv(js, "PROFILES"); /* left over from an earlier run: ignore */
  natsrs_kv_config *cfg = NULL;
  CHECK(natsrs_kv_config_new("PROFILES", &cfg));
  CHECK(natsrs_kv_config_set_history(cfg, 5));
  CHECK(natsrs_kv_config_set_storage(cfg, NATSRS_STORAGE_TYPE_MEMORY));
  natsrs_kv *kv = NULL;
  CHECK(natsrs_jetstream_create_kv(js, cfg, &kv));
  natsrs_kv_config_free(cfg);

  uint64_t rev = 0;
  CHECK(natsrs_kv_put(kv, "alice.color", TEXT("blue"), &rev));
  CHECK(natsrs_kv_put(kv, "bob.color", TEXT("green"), NULL));
  printf("Put alice.color = blue at revision %llu\n", (unsigned long long)rev);

  natsrs_kv_entry *e = NULL;
  CHECK(natsrs_kv_get(kv, "alice.color", &e));
  printf("Get alice.color -> '%.*s' (revision %llu)\n", (int)natsrs_kv_entry_value_len(e),
         (const char *)natsrs_kv_entry_value(e), (unsigned long long)natsrs_kv_entry_revision(e));
  EXPECT(natsrs_kv_entry_revision(e) == rev, "expected revision %llu", (unsigned long long)rev);
  natsrs_kv_entry_free(e);

  printf("Watching every key\n");
  natsrs_kv_watcher *w = NULL;
  CHECK(natsrs_kv_watch_all(kv, NULL, &w));
  int initial = 0;
  while (show_next(w)) initial++;
  EXPECT(initial == 2, "expected 2 initial values, got %d", initial);

  /* Compare-and-set: only the writer that saw the latest revision wins. */
  uint64_t rev2 = 0;
  CHECK(natsrs_kv_update(kv, "alice.color", TEXT("red"), rev, &rev2));
  printf("Update at revision %llu: ok, now revision %llu\n", (unsigned long long)rev, (unsigned long long)rev2);
  natsrs_status s = natsrs_kv_update(kv, "alice.color", TEXT("pink"), rev, NULL);
  printf("Update at stale revision %llu: %s\n", (unsigned long long)rev, natsrs_status_str(s));
  EXPECT(s == NATSRS_STATUS_WRONG_REVISION, "expected NATSRS_STATUS_WRONG_REVISION");
  CHECK(natsrs_kv_delete(kv, "bob.color", 0));
  s = natsrs_kv_get(kv, "bob.color", &e);
  printf("Get bob.color after delete: %s\n", natsrs_status_str(s));
  EXPECT(s == NATSRS_STATUS_KEY_DELETED, "expected NATSRS_STATUS_KEY_DELETED");
  EXPECT(show_next(w), "expected the update");
  EXPECT(show_next(w), "expected the delete");
  natsrs_kv_watcher_free(w);

  natsrs_kv_entries *h = NULL;
  CHECK(natsrs_kv_history(kv, "alice.color", &h));
  printf("History of alice.color: %zu revisions\n", natsrs_kv_entries_count(h));
  EXPECT(natsrs_kv_entries_count(h) == 2, "expected 2 revisions");
  natsrs_kv_entries_free(h);

  natsrs_kv_free(kv);
  CHECK(natsrs_jetstream_delete_kv(js, "PROFILES"));
  natsrs_jetstream_free(js);
  natsrs_connection_free(nc);
  printf("kv: OK\n");
  return 0;
}
