/*
 * auto_unsubscribe.c - unsubscribe automatically after N messages.
 *
 * Shows: natsrs_subscription_auto_unsubscribe(sub, 3): the subscription
 * delivers exactly three messages and then ends by itself, even though ten
 * were published. natsrs_subscription_delivered reports the count.
 *
 * Run:  make && NATS_URL=nats://127.0.0.1:4222 ./build/auto_unsubscribe
 */
#include "example.h"

#define MAX 3
#define PUBLISHED 10

int main(void) {
  natsrs_connection *nc = example_connect();

  natsrs_subscription *sub = NULL;
  CHECK(natsrs_connection_subscribe_sync(nc, "examples.auto", &sub));
  printf("Auto-unsubscribing after %d messages\n", MAX);
  CHECK(natsrs_subscription_auto_unsubscribe(sub, MAX));

  printf("Publishing %d messages\n", PUBLISHED);
  for (int i = 0; i < PUBLISHED; i++) {
    char text[16];
    snprintf(text, sizeof text, "msg %d", i);
    CHECK(natsrs_connection_publish(nc, "examples.auto", TEXT(text)));
  }
  CHECK(natsrs_connection_flush(nc, 2000));

  for (int i = 0; i < MAX; i++) {
    natsrs_msg *msg = NULL;
    CHECK(natsrs_subscription_next_msg(sub, 2000, &msg));
    print_msg("Received", msg);
    natsrs_msg_free(msg);
  }

  /* The limit is reached: no fourth message. */
  natsrs_msg *msg = NULL;
  natsrs_status s = natsrs_subscription_next_msg(sub, 200, &msg);
  printf("next_msg after %d messages: %s\n", MAX, natsrs_status_str(s));
  EXPECT(s != NATSRS_STATUS_OK, "a fourth message was delivered");

  uint64_t delivered = 0;
  CHECK(natsrs_subscription_delivered(sub, &delivered));
  printf("delivered = %llu, subscription still valid: %s\n", (unsigned long long)delivered,
         natsrs_subscription_is_valid(sub) ? "yes" : "no");
  EXPECT(delivered == MAX, "expected delivered == %d", MAX);

  natsrs_subscription_free(sub);
  natsrs_connection_free(nc);
  printf("auto_unsubscribe: OK\n");
  return 0;
}
