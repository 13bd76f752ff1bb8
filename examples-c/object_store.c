/*
 * object_store.c - object store: create a store, put a file, get it back into another file,
 * print the SHA-256 digest, compare both files, then clean up.
 *
 * Shows: natsrs_object_store_config_* + natsrs_jetstream_create_object_store,
 * natsrs_object_store_put_file, natsrs_object_store_get_file (the digest is checked on the
 * way), natsrs_object_info getters, natsrs_object_store_list, natsrs_jetstream_delete_object_store.
 *
 * Run:  make && NATS_URL=nats://127.0.0.1:4222 ./build/object_store   (server with -js)
 */
#include "example.h"

#include <unistd.h>

/* Writes `n` bytes of a pattern to `path`. */
static void write_file(const char *path, size_t n) {
  FILE *f = fopen(path, "wb");
  EXPECT(f != NULL, "cannot create %s", path);
  for (size_t i = 0; i < n; i++) fputc((int)((i * 31 + i / 7) & 0xff), f);
  fclose(f);
}

/* Whether two files have the same content. */
static bool same_files(const char *a, const char *b) {
  FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
  bool same = fa && fb;
  while (same) {
    int ca = fgetc(fa), cb = fgetc(fb);
    if (ca != cb) same = false;
    if (ca == EOF || cb == EOF) break;
  }
  if (fa) fclose(fa);
  if (fb) fclose(fb);
  return same;
}

int main(void) {
  natsrs_connection *nc = example_connect();
  natsrs_jetstream *js = NULL;
  CHECK(natsrs_jetstream_new(nc, NULL, &js));

  char in[128], out[128];
  snprintf(in, sizeof in, "/tmp/natsrs-example-%d-in.bin", (int)getpid());
  snprintf(out, sizeof out, "/tmp/natsrs-example-%d-out.bin", (int)getpid());
  const size_t size = 1000 * 1000; /* 8 chunks of 128 KiB */
  write_file(in, size);

  printf("Creating object store FILES\n");
  natsrs_jetstream_delete_object_store(js, "FILES"); /* left over from an earlier run: ignore */
  natsrs_object_store_config *cfg = NULL;
  CHECK(natsrs_object_store_config_new("FILES", &cfg));
  CHECK(natsrs_object_store_config_set_description(cfg, "example files"));
  CHECK(natsrs_object_store_config_set_storage(cfg, NATSRS_STORAGE_TYPE_MEMORY));
  natsrs_object_store *os = NULL;
  CHECK(natsrs_jetstream_create_object_store(js, cfg, &os));
  natsrs_object_store_config_free(cfg);

  natsrs_object_info *put = NULL;
  CHECK(natsrs_object_store_put_file(os, "reports/data.bin", in, &put));
  printf("Put %s: %llu bytes in %u chunks, digest %s\n", natsrs_object_info_name(put),
         (unsigned long long)natsrs_object_info_size(put), natsrs_object_info_chunks(put),
         natsrs_object_info_digest(put));
  EXPECT(natsrs_object_info_size(put) == size, "expected %zu bytes", size);

  natsrs_object_info *got = NULL;
  CHECK(natsrs_object_store_get_file(os, "reports/data.bin", out, &got));
  printf("Got it back into %s, digest %s (checked)\n", out, natsrs_object_info_digest(got));
  EXPECT(strcmp(natsrs_object_info_digest(put), natsrs_object_info_digest(got)) == 0, "digests differ");
  EXPECT(same_files(in, out), "the files differ");
  printf("Both files are identical\n");
  natsrs_object_info_free(put);
  natsrs_object_info_free(got);

  natsrs_object_info_list *list = NULL;
  CHECK(natsrs_object_store_list(os, false, &list));
  printf("The store holds %zu object(s)\n", natsrs_object_info_list_count(list));
  EXPECT(natsrs_object_info_list_count(list) == 1, "expected one object");
  natsrs_object_info_list_free(list);

  unlink(in);
  unlink(out);
  CHECK(natsrs_jetstream_delete_object_store(js, "FILES"));
  natsrs_object_store_free(os);
  natsrs_jetstream_free(js);
  natsrs_connection_free(nc);
  printf("Done\n");
  return 0;
}
