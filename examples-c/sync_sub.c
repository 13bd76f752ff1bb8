/*
 * sync_sub.c - synchronous subscription: pull messages with next_msg.
 *
 * Shows: natsrs_connection_subscribe_sync, natsrs_subscription_next_msg with a
 * timeout (the returned message is owned: release it with natsrs_msg_free),
 * and NATSRS_STATUS_TIMEOUT when nothing arrives in time.
 *
 * Run:  make && NATS_URL=nats://127.0.0.1:4222 ./build/sync_sub
 */
#include "example.h"

int main(void) {
  natsrs_connection *nc = example_connect();

  natsrs_subscription *sub = NULL;
  printf("Subscribing synchronously to 'examples.sync'\n");
  CHECK(natsrs_connection_subscribe_sync(nc, "examples.sync", &sub));

  const char *texts[] = {"one", "two", "three"};
  for (int i = 0; i < 3; i++) {
    printf("Publishing '%s'\n", texts[i]);
    CHECK(natsrs_connection_publish(nc, "examples.sync", TEXT(texts[i])));
  }

  /* Messages arrive in publish order. */
  for (int i = 0; i < 3; i++) {
    natsrs_msg *msg = NULL;
    CHECK(natsrs_subscription_next_msg(sub, 2000, &msg));
    print_msg("next_msg returned", msg);
    EXPECT(msg_is(msg, texts[i]), "expected '%s'", texts[i]);
    natsrs_msg_free(msg);
  }

  /* Nothing else was published: next_msg times out. */
  natsrs_msg *none = NULL;
  natsrs_status s = natsrs_subscription_next_msg(sub, 200, &none);
  printf("next_msg with nothing pending: %s\n", natsrs_status_str(s));
  EXPECT(s == NATSRS_STATUS_TIMEOUT, "expected TIMEOUT");

  CHECK(natsrs_subscription_unsubscribe(sub));
  natsrs_subscription_free(sub);
  natsrs_connection_free(nc); /* free implies close */
  printf("sync_sub: OK\n");
  return 0;
}
