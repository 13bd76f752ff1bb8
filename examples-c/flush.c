/*
 * flush.c - flush, round-trip time and statistics.
 *
 * Shows: natsrs_connection_flush (a PING/PONG round trip: when it returns OK the
 * server has processed everything published before it), natsrs_connection_rtt,
 * and natsrs_connection_stats.
 *
 * Run:  make && NATS_URL=nats://127.0.0.1:4222 ./build/flush
 */
#include "example.h"

#define COUNT 1000

int main(void) {
  natsrs_connection *nc = example_connect();

  natsrs_subscription *sub = NULL;
  CHECK(natsrs_connection_subscribe_sync(nc, "examples.flush", &sub));

  printf("Publishing %d messages\n", COUNT);
  for (int i = 0; i < COUNT; i++)
    CHECK(natsrs_connection_publish(nc, "examples.flush", TEXT("0123456789")));

  printf("Flushing (timeout 2000 ms)\n");
  CHECK(natsrs_connection_flush(nc, 2000));

  /* Every message the server routed back to us came before its PONG. */
  int64_t pending_msgs = 0, pending_bytes = 0;
  CHECK(natsrs_subscription_pending(sub, &pending_msgs, &pending_bytes));
  printf("After flush the subscription holds %lld messages (%lld bytes)\n",
         (long long)pending_msgs, (long long)pending_bytes);
  EXPECT(pending_msgs == COUNT, "expected %d pending messages", COUNT);

  double rtt_ms = 0;
  CHECK(natsrs_connection_rtt(nc, &rtt_ms));
  printf("Round-trip time: %.3f ms\n", rtt_ms);
  EXPECT(rtt_ms > 0, "rtt should be positive");

  natsrs_statistics stats;
  CHECK(natsrs_connection_stats(nc, &stats));
  printf("Stats: out %llu msgs / %llu bytes, in %llu msgs / %llu bytes\n",
         (unsigned long long)stats.out_msgs, (unsigned long long)stats.out_bytes,
         (unsigned long long)stats.in_msgs, (unsigned long long)stats.in_bytes);
  EXPECT(stats.out_msgs >= COUNT && stats.in_msgs >= COUNT, "stats should count the messages");

  natsrs_subscription_free(sub);
  natsrs_connection_free(nc);
  printf("flush: OK\n");
  return 0;
}
