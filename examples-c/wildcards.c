/*
 * wildcards.c - subject wildcards '*' (exactly one token) and '>' (one or more
 * trailing tokens).
 *
 * Shows: two synchronous subscriptions, "examples.wild.*" and "examples.wild.>",
 * and which published subjects each one matches.
 *
 * Run:  make && NATS_URL=nats://127.0.0.1:4222 ./build/wildcards
 */
#include "example.h"

/* Take `expected` messages from sub, then check that nothing else is queued. */
static void expect_msgs(natsrs_subscription *sub, int expected) {
  const char *pattern = natsrs_subscription_subject(sub);
  for (int i = 0; i < expected; i++) {
    natsrs_msg *msg = NULL;
    CHECK(natsrs_subscription_next_msg(sub, 2000, &msg));
    printf("  '%s' matched %s\n", pattern, natsrs_msg_subject(msg));
    natsrs_msg_free(msg);
  }
  natsrs_msg *extra = NULL;
  natsrs_status s = natsrs_subscription_next_msg(sub, 200, &extra);
  EXPECT(s == NATSRS_STATUS_TIMEOUT, "'%s' got more than %d messages", pattern, expected);
}

int main(void) {
  natsrs_connection *nc = example_connect();

  natsrs_subscription *star = NULL, *tail = NULL;
  CHECK(natsrs_connection_subscribe_sync(nc, "examples.wild.*", &star));
  CHECK(natsrs_connection_subscribe_sync(nc, "examples.wild.>", &tail));

  const char *subjects[] = {"examples.wild.a", "examples.wild.b", "examples.wild.a.b"};
  for (int i = 0; i < 3; i++) {
    printf("Publishing to %s\n", subjects[i]);
    CHECK(natsrs_connection_publish(nc, subjects[i], TEXT("hi")));
  }
  CHECK(natsrs_connection_flush(nc, 2000));

  printf("'*' matches one token:\n");
  expect_msgs(star, 2);
  printf("'>' matches one or more tokens:\n");
  expect_msgs(tail, 3);

  natsrs_subscription_free(star);
  natsrs_subscription_free(tail);
  natsrs_connection_free(nc);
  printf("wildcards: OK\n");
  return 0;
}
