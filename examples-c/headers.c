/*
 * headers.c - messages with headers, including a header with several values.
 *
 * Shows: natsrs_msg_create + natsrs_msg_header_set/add, natsrs_connection_publish_msg,
 * and reading headers back on the receiving side with natsrs_msg_header_get,
 * natsrs_msg_header_values and natsrs_msg_header_keys (borrowed arrays, valid
 * while the message lives).
 *
 * Run:  make && NATS_URL=nats://127.0.0.1:4222 ./build/headers
 */
#include "example.h"

int main(void) {
  natsrs_connection *nc = example_connect();

  natsrs_subscription *sub = NULL;
  CHECK(natsrs_connection_subscribe_sync(nc, "examples.headers", &sub));

  natsrs_msg *out = NULL;
  CHECK(natsrs_msg_create("examples.headers", NULL, TEXT("order #1"), &out));
  CHECK(natsrs_msg_header_set(out, "Content-Type", "text/plain"));
  CHECK(natsrs_msg_header_add(out, "X-Tag", "red"));
  CHECK(natsrs_msg_header_add(out, "X-Tag", "green"));
  CHECK(natsrs_msg_header_add(out, "X-Tag", "blue"));
  printf("Publishing a message with headers Content-Type and X-Tag (3 values)\n");
  CHECK(natsrs_connection_publish_msg(nc, out));
  natsrs_msg_free(out);

  natsrs_msg *in = NULL;
  CHECK(natsrs_subscription_next_msg(sub, 2000, &in));
  print_msg("Received", in);

  const char *content_type = NULL;
  CHECK(natsrs_msg_header_get(in, "Content-Type", &content_type));
  printf("  Content-Type: %s\n", content_type);
  EXPECT(strcmp(content_type, "text/plain") == 0, "wrong Content-Type");

  const char *const *tags = NULL;
  size_t ntags = 0;
  CHECK(natsrs_msg_header_values(in, "X-Tag", &tags, &ntags));
  const char *want[] = {"red", "green", "blue"};
  EXPECT(ntags == 3, "expected 3 X-Tag values, got %zu", ntags);
  for (size_t i = 0; i < ntags; i++) {
    printf("  X-Tag[%zu]: %s\n", i, tags[i]);
    EXPECT(strcmp(tags[i], want[i]) == 0, "X-Tag values out of order");
  }

  const char *const *keys = NULL;
  size_t nkeys = 0;
  CHECK(natsrs_msg_header_keys(in, &keys, &nkeys));
  printf("  %zu header keys:", nkeys);
  for (size_t i = 0; i < nkeys; i++)
    printf(" %s", keys[i]);
  printf("\n");
  EXPECT(nkeys == 2, "expected 2 header keys");

  const char *missing = NULL;
  natsrs_status s = natsrs_msg_header_get(in, "X-Missing", &missing);
  printf("  X-Missing: %s\n", natsrs_status_str(s));
  EXPECT(s == NATSRS_STATUS_NOT_FOUND, "expected NOT_FOUND");

  natsrs_msg_free(in);
  natsrs_subscription_free(sub);
  natsrs_connection_free(nc);
  printf("headers: OK\n");
  return 0;
}
