/*
 * js_publish.c - JetStream: create a stream, publish with an ack, async publish with
 * per-message completion callbacks, wait for all acks.
 *
 * Shows: natsrs_jetstream_new, natsrs_stream_config_* + natsrs_jetstream_add_stream,
 * natsrs_jetstream_publish (owned natsrs_pub_ack), natsrs_jetstream_publish_async with a
 * completion callback, natsrs_jetstream_publish_async_complete.
 *
 * Run:  make && NATS_URL=nats://127.0.0.1:4222 ./build/js_publish   (server with -js)
 */
#include "example.h"

static counter acked;

static void on_ack(void *ud, natsrs_status s, const natsrs_pub_ack *ack) {
  (void)ud;
  if (s == NATSRS_STATUS_OK && ack) counter_add(&acked, 1);
  else fprintf(stderr, "async publish failed: %s\n", natsrs_status_str(s));
}

int main(void) {
  natsrs_connection *nc = example_connect();
  natsrs_jetstream *js = NULL;
  CHECK(natsrs_jetstream_new(nc, NULL, &js));

  printf("Creating stream ORDERS on 'orders.>'\n");
  natsrs_jetstream_delete_stream(js, "ORDERS"); /* left over from an earlier run: ignore */
  natsrs_stream_config *cfg = NULL;
  CHECK(natsrs_stream_config_new("ORDERS", &cfg));
  CHECK(natsrs_stream_config_add_subject(cfg, "orders.>"));
  CHECK(natsrs_stream_config_set_storage(cfg, NATSRS_STORAGE_TYPE_MEMORY));
  CHECK(natsrs_jetstream_add_stream(js, cfg, NULL));
  natsrs_stream_config_free(cfg);

  natsrs_pub_ack *ack = NULL;
  CHECK(natsrs_jetstream_publish(js, "orders.new", TEXT("order 1"), NULL, &ack));
  printf("Published 'order 1': stream %s, sequence %llu\n", natsrs_pub_ack_stream(ack),
         (unsigned long long)natsrs_pub_ack_seq(ack));
  EXPECT(natsrs_pub_ack_seq(ack) == 1, "expected sequence 1");
  natsrs_pub_ack_free(ack);

  counter_init(&acked);
  const int N = 1000;
  printf("Publishing %d messages asynchronously\n", N);
  for (int i = 0; i < N; i++)
    CHECK(natsrs_jetstream_publish_async(js, "orders.bulk", TEXT("bulk"), NULL, on_ack, NULL, NULL));
  CHECK(natsrs_jetstream_publish_async_complete(js, 10000));
  int got = counter_wait(&acked, N, 5000);
  printf("All async publishes complete: %d acked\n", got);
  EXPECT(got == N, "expected %d acks", N);

  natsrs_stream_info *si = NULL;
  CHECK(natsrs_jetstream_stream_info(js, "ORDERS", &si));
  printf("Stream ORDERS holds %llu messages\n", (unsigned long long)natsrs_stream_info_messages(si));
  EXPECT(natsrs_stream_info_messages(si) == (uint64_t)N + 1, "expected %d messages", N + 1);
  natsrs_stream_info_free(si);

  CHECK(natsrs_jetstream_delete_stream(js, "ORDERS"));
  natsrs_jetstream_free(js);
  natsrs_connection_free(nc);
  counter_destroy(&acked);
  printf("js_publish: OK\n");
  return 0;
}
