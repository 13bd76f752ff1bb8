/*
 * pubsub.c - publish + asynchronous subscribe.
 *
 * Shows: natsrs_connection_subscribe with a message callback (the callback
 * runs on a library dispatcher thread, in order, one message at a time; the
 * message it gets is borrowed), natsrs_connection_publish, and waiting for the
 * deliveries from the main thread with a timeout.
 *
 * Run:  make && NATS_URL=nats://127.0.0.1:4222 ./build/pubsub
 */
#include "example.h"

#define COUNT 5

static void on_msg(void *userdata, natsrs_subscription *sub, const natsrs_msg *msg) {
  counter *received = userdata;
  (void)sub;
  print_msg("Received a message", msg);
  if (msg_is(msg, "Hello World"))
    counter_add(received, 1);
}

int main(void) {
  natsrs_connection *nc = example_connect();

  counter received;
  counter_init(&received);

  natsrs_subscription *sub = NULL;
  printf("Subscribing to 'examples.pubsub'\n");
  CHECK(natsrs_connection_subscribe(nc, "examples.pubsub", on_msg, &received,
                                    NULL /* nothing to free */, &sub));

  for (int i = 0; i < COUNT; i++) {
    printf("Publishing 'Hello World' to 'examples.pubsub'\n");
    CHECK(natsrs_connection_publish(nc, "examples.pubsub", TEXT("Hello World")));
  }

  int got = counter_wait(&received, COUNT, 5000);
  EXPECT(got == COUNT, "expected %d messages, got %d", COUNT, got);
  printf("Received all %d messages\n", got);

  natsrs_subscription_free(sub); /* unsubscribes; no callback runs after this */
  CHECK(natsrs_connection_close(nc));
  natsrs_connection_free(nc);
  counter_destroy(&received);
  printf("pubsub: OK\n");
  return 0;
}
