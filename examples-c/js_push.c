/*
 * js_push.c - JetStream push consumers: an ephemeral consumer with a callback (auto-ack),
 * and a durable synchronous consumer "MONITOR" with MaxDeliver 3.
 *
 * Shows: natsrs_jetstream_subscribe (the stream is found from the subject), the message
 * handler, natsrs_js_subscribe_options + natsrs_consumer_config, natsrs_jetstream_subscribe_sync,
 * natsrs_js_subscription_next_msg, natsrs_msg_nak, natsrs_msg_get_metadata.
 *
 * Run:  make && NATS_URL=nats://127.0.0.1:4222 ./build/js_push   (server with -js)
 */
#include "example.h"

static counter received;

static void on_msg(void *ud, const natsrs_msg *msg) {
  (void)ud;
  print_msg("Push consumer received", msg);
  counter_add(&received, 1); /* acked by the library after this returns */
}

int main(void) {
  natsrs_connection *nc = example_connect();
  natsrs_jetstream *js = NULL;
  CHECK(natsrs_jetstream_new(nc, NULL, &js));
  natsrs_jetstream_delete_stream(js, "EVENTS");
  natsrs_stream_config *cfg = NULL;
  CHECK(natsrs_stream_config_new("EVENTS", &cfg));
  CHECK(natsrs_stream_config_add_subject(cfg, "events.>"));
  CHECK(natsrs_jetstream_add_stream(js, cfg, NULL));
  natsrs_stream_config_free(cfg);
  printf("Created stream EVENTS\n");

  /* Ephemeral push consumer with a callback. */
  counter_init(&received);
  natsrs_js_subscription *sub = NULL;
  CHECK(natsrs_jetstream_subscribe(js, "events.click", on_msg, NULL, NULL, NULL, &sub));
  for (int i = 0; i < 3; i++) CHECK(natsrs_jetstream_publish(js, "events.click", TEXT("click"), NULL, NULL));
  EXPECT(counter_wait(&received, 3, 5000) == 3, "expected 3 messages");
  CHECK(natsrs_js_subscription_unsubscribe(sub));
  natsrs_js_subscription_free(sub);

  /* Durable synchronous consumer, each message delivered at most 3 times. */
  natsrs_consumer_config *cc = NULL;
  CHECK(natsrs_consumer_config_new(NULL, &cc));
  CHECK(natsrs_consumer_config_set_max_deliver(cc, 3));
  natsrs_js_subscribe_options *so = NULL;
  CHECK(natsrs_js_subscribe_options_create(&so));
  CHECK(natsrs_js_subscribe_options_set_durable(so, "MONITOR"));
  CHECK(natsrs_js_subscribe_options_set_consumer_config(so, cc));
  natsrs_consumer_config_free(cc);
  CHECK(natsrs_jetstream_subscribe_sync(js, "events.alert", so, &sub));
  natsrs_js_subscribe_options_free(so);
  CHECK(natsrs_jetstream_publish(js, "events.alert", TEXT("disk full"), NULL, NULL));
  for (int i = 1; i <= 3; i++) {
    natsrs_msg *m = NULL;
    CHECK(natsrs_js_subscription_next_msg(sub, 5000, &m));
    natsrs_msg_metadata md;
    CHECK(natsrs_msg_get_metadata(m, &md));
    printf("MONITOR got delivery %llu of '%.*s'; nak\n", (unsigned long long)md.num_delivered,
           (int)natsrs_msg_data_len(m), (const char *)natsrs_msg_data(m));
    EXPECT(md.num_delivered == (uint64_t)i, "expected delivery %d", i);
    CHECK(natsrs_msg_nak(m));
    natsrs_msg_free(m);
  }
  natsrs_msg *m = NULL;
  natsrs_status s = natsrs_js_subscription_next_msg(sub, 500, &m);
  printf("After MaxDeliver 3: %s\n", natsrs_status_str(s));
  EXPECT(s == NATSRS_STATUS_TIMEOUT, "expected TIMEOUT");
  CHECK(natsrs_js_subscription_unsubscribe(sub));
  natsrs_js_subscription_free(sub);

  CHECK(natsrs_jetstream_delete_stream(js, "EVENTS"));
  natsrs_jetstream_free(js);
  natsrs_connection_free(nc);
  counter_destroy(&received);
  printf("js_push: OK\n");
  return 0;
}
