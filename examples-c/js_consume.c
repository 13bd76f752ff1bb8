/*
 * js_consume.c - JetStream continuous consume (nats.go's Consumer.Consume): the library keeps
 * pull requests open and runs a handler for each message on its own thread.
 *
 * Shows: natsrs_jetstream_add_consumer (a durable pull consumer), natsrs_jetstream_consume,
 * natsrs_msg_ack in the handler, natsrs_consume_context_stop.
 *
 * Run:  make && NATS_URL=nats://127.0.0.1:4222 ./build/js_consume   (server with -js)
 */
#include "example.h"

static counter handled;

static void on_msg(void *ud, const natsrs_msg *msg) {
  (void)ud;
  natsrs_msg_ack(msg);
  counter_add(&handled, 1);
}

int main(void) {
  natsrs_connection *nc = example_connect();
  natsrs_jetstream *js = NULL;
  CHECK(natsrs_jetstream_new(nc, NULL, &js));
  natsrs_jetstream_delete_stream(js, "SENSORS");
  natsrs_stream_config *cfg = NULL;
  CHECK(natsrs_stream_config_new("SENSORS", &cfg));
  CHECK(natsrs_stream_config_add_subject(cfg, "sensors.>"));
  CHECK(natsrs_jetstream_add_stream(js, cfg, NULL));
  natsrs_stream_config_free(cfg);
  natsrs_consumer_config *cc = NULL;
  CHECK(natsrs_consumer_config_new("READER", &cc));
  CHECK(natsrs_consumer_config_set_ack_policy(cc, NATSRS_ACK_POLICY_EXPLICIT));
  CHECK(natsrs_jetstream_add_consumer(js, "SENSORS", cc, NULL));
  natsrs_consumer_config_free(cc);
  printf("Created stream SENSORS and pull consumer READER\n");

  counter_init(&handled);
  natsrs_consume_context *ctx = NULL;
  CHECK(natsrs_jetstream_consume(js, "SENSORS", "READER", 0, on_msg, NULL, NULL, &ctx));
  for (int i = 0; i < 100; i++) CHECK(natsrs_jetstream_publish(js, "sensors.temp", TEXT("21.5"), NULL, NULL));
  int got = counter_wait(&handled, 100, 10000);
  printf("Consumed and acked %d messages\n", got);
  EXPECT(got == 100, "expected 100");
  CHECK(natsrs_consume_context_stop(ctx));
  natsrs_consume_context_free(ctx);

  CHECK(natsrs_jetstream_delete_stream(js, "SENSORS"));
  natsrs_jetstream_free(js);
  natsrs_connection_free(nc);
  counter_destroy(&handled);
  printf("js_consume: OK\n");
  return 0;
}
