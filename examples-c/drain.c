/*
 * drain.c - draining a subscription, then the whole connection.
 *
 * Shows: natsrs_subscription_drain + natsrs_subscription_drain_wait (stop
 * interest but still deliver every message already sent to us), and
 * natsrs_connection_drain (drain every subscription, flush pending publishes,
 * then close; preferred over close for responders), with a closed handler.
 *
 * Run:  make && NATS_URL=nats://127.0.0.1:4222 ./build/drain
 */
#include "example.h"

#define COUNT 100

static void on_msg(void *userdata, natsrs_subscription *sub, const natsrs_msg *msg) {
  (void)sub;
  (void)msg;
  struct timespec pause = {0, 200000}; /* 0.2 ms: a slow-ish consumer builds a backlog */
  nanosleep(&pause, NULL);
  counter_add(userdata, 1);
}

static void on_closed(void *userdata, natsrs_connection *nc) {
  (void)nc;
  printf("Closed handler: connection is closed\n");
  counter_add(userdata, 1);
}

int main(void) {
  counter closed;
  counter_init(&closed);

  natsrs_options *opts = NULL;
  CHECK(natsrs_options_new(&opts));
  CHECK(natsrs_options_set_url(opts, example_url()));
  CHECK(natsrs_options_set_closed_handler(opts, on_closed, &closed, NULL));
  natsrs_connection *nc = NULL;
  printf("Connecting to %s\n", example_url());
  CHECK(natsrs_connection_connect(opts, &nc));
  natsrs_options_free(opts); /* the connection keeps its own copy */

  /* 1. Drain one subscription. */
  counter got1;
  counter_init(&got1);
  natsrs_subscription *sub1 = NULL;
  CHECK(natsrs_connection_subscribe(nc, "examples.drain.sub", on_msg, &got1, NULL, &sub1));
  printf("Publishing %d messages, then draining the subscription\n", COUNT);
  for (int i = 0; i < COUNT; i++)
    CHECK(natsrs_connection_publish(nc, "examples.drain.sub", TEXT("work")));
  CHECK(natsrs_subscription_drain(sub1));             /* returns at once */
  CHECK(natsrs_subscription_drain_wait(sub1, 10000)); /* until all delivered */
  printf("Subscription drained after %d messages\n", counter_get(&got1));
  EXPECT(counter_get(&got1) == COUNT, "expected %d messages", COUNT);
  natsrs_subscription_free(sub1);

  /* 2. Drain the whole connection. */
  counter got2;
  counter_init(&got2);
  natsrs_subscription *sub2 = NULL;
  CHECK(natsrs_connection_subscribe(nc, "examples.drain.conn", on_msg, &got2, NULL, &sub2));
  printf("Publishing %d messages, then draining the connection\n", COUNT);
  for (int i = 0; i < COUNT; i++)
    CHECK(natsrs_connection_publish(nc, "examples.drain.conn", TEXT("work")));
  CHECK(natsrs_connection_drain(nc, 10000)); /* blocks until drained and closed */
  printf("Connection drained after %d messages\n", counter_get(&got2));
  EXPECT(counter_get(&got2) == COUNT, "expected %d messages", COUNT);
  EXPECT(natsrs_connection_status_get(nc) == NATSRS_CONNECTION_STATUS_CLOSED,
         "connection should be closed after drain");
  EXPECT(counter_wait(&closed, 1, 5000) == 1, "closed handler should run once");

  natsrs_subscription_free(sub2);
  natsrs_connection_free(nc);
  counter_destroy(&got1);
  counter_destroy(&got2);
  counter_destroy(&closed);
  printf("drain: OK\n");
  return 0;
}
