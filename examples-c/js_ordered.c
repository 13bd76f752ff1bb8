/*
 * js_ordered.c - the newer JetStream consumer API (nats.go's jetstream package): a stream
 * handle, an ordered consumer read with next (each message once, in stream order, recreated
 * behind the scenes when its server-side consumer disappears), then a durable pull consumer
 * read through a message iterator, and the stream names of the account.
 *
 * Shows: natsrs_jetstream_create_stream, natsrs_js_stream_ordered_consumer (filter subject,
 * deliver policy), natsrs_js_ordered_consumer_next, natsrs_js_stream_create_consumer,
 * natsrs_js_consumer_messages / natsrs_js_messages_next / _stop, natsrs_jetstream_stream_names.
 *
 * Run:  make && NATS_URL=nats://127.0.0.1:4222 ./build/js_ordered   (server with -js)
 */
#include "example.h"

static uint64_t seq_of(const natsrs_msg *m) {
  natsrs_msg_metadata md;
  CHECK(natsrs_msg_get_metadata(m, &md));
  return md.stream_seq;
}

int main(void) {
  natsrs_connection *nc = example_connect();
  natsrs_jetstream *js = NULL;
  CHECK(natsrs_jetstream_new(nc, NULL, &js));
  natsrs_jetstream_delete_stream(js, "TRADES");

  natsrs_stream_config *cfg = NULL;
  CHECK(natsrs_stream_config_new("TRADES", &cfg));
  CHECK(natsrs_stream_config_add_subject(cfg, "trades.>"));
  CHECK(natsrs_stream_config_set_storage(cfg, NATSRS_STORAGE_TYPE_MEMORY));
  natsrs_js_stream *stream = NULL;
  CHECK(natsrs_jetstream_create_stream(js, cfg, &stream));
  natsrs_stream_config_free(cfg);
  for (int i = 0; i < 10; i++) {
    CHECK(natsrs_jetstream_publish(js, "trades.eur", TEXT("buy"), NULL, NULL));
    CHECK(natsrs_jetstream_publish(js, "trades.usd", TEXT("sell"), NULL, NULL));
  }
  printf("Stream %s holds 20 trades\n", natsrs_js_stream_name(stream));

  /* Ordered consumer on trades.eur from the first message. */
  natsrs_consumer_config *occ = NULL;
  CHECK(natsrs_consumer_config_new(NULL, &occ));
  CHECK(natsrs_consumer_config_set_filter_subject(occ, "trades.eur"));
  CHECK(natsrs_consumer_config_set_deliver_policy(occ, NATSRS_DELIVER_POLICY_ALL));
  natsrs_js_ordered_consumer *oc = NULL;
  CHECK(natsrs_js_stream_ordered_consumer(stream, occ, NULL, &oc));
  natsrs_consumer_config_free(occ);
  uint64_t last = 0;
  for (int i = 0; i < 10; i++) {
    natsrs_msg *m = NULL;
    CHECK(natsrs_js_ordered_consumer_next(oc, 5000, &m));
    uint64_t seq = seq_of(m);
    EXPECT(seq > last, "out of order: %llu after %llu", (unsigned long long)seq, (unsigned long long)last);
    last = seq;
    if (i == 4) {
      /* Its server-side consumer goes away: the ordered consumer makes a new one and goes on. */
      natsrs_js_name_list *names = NULL;
      CHECK(natsrs_js_stream_consumer_names(stream, &names));
      for (size_t k = 0; k < natsrs_js_name_list_count(names); k++)
        CHECK(natsrs_js_stream_delete_consumer(stream, natsrs_js_name_list_get(names, k)));
      natsrs_js_name_list_free(names);
    }
    natsrs_msg_free(m);
  }
  printf("Ordered consumer: 10 EUR trades in order (last stream sequence %llu)\n",
         (unsigned long long)natsrs_js_ordered_consumer_stream_seq(oc));
  natsrs_js_ordered_consumer_free(oc);

  /* A durable pull consumer read through a message iterator. */
  natsrs_consumer_config *cc = NULL;
  CHECK(natsrs_consumer_config_new("AUDIT", &cc));
  CHECK(natsrs_consumer_config_set_ack_policy(cc, NATSRS_ACK_POLICY_EXPLICIT));
  natsrs_js_consumer *consumer = NULL;
  CHECK(natsrs_js_stream_create_consumer(stream, cc, &consumer));
  natsrs_consumer_config_free(cc);
  natsrs_js_consume_options *o = NULL;
  CHECK(natsrs_js_consume_options_create(&o));
  CHECK(natsrs_js_consume_options_set_max_messages(o, 8));
  natsrs_js_messages *it = NULL;
  CHECK(natsrs_js_consumer_messages(consumer, o, &it));
  natsrs_js_consume_options_free(o);
  int n = 0;
  natsrs_msg *m = NULL;
  while (n < 20 && natsrs_js_messages_next(it, 5000, &m) == NATSRS_STATUS_OK) {
    CHECK(natsrs_msg_ack(m));
    natsrs_msg_free(m);
    n++;
  }
  EXPECT(n == 20, "iterator gave %d of 20", n);
  CHECK(natsrs_js_messages_stop(it));
  natsrs_js_messages_free(it);
  printf("Iterator: read and acked %d trades\n", n);
  natsrs_js_consumer_free(consumer);

  natsrs_js_name_list *streams = NULL;
  CHECK(natsrs_jetstream_stream_names(js, "trades.eur", &streams));
  EXPECT(natsrs_js_name_list_count(streams) == 1, "one stream captures trades.eur");
  printf("Stream capturing trades.eur: %s\n", natsrs_js_name_list_get(streams, 0));
  natsrs_js_name_list_free(streams);

  natsrs_js_stream_free(stream);
  CHECK(natsrs_jetstream_delete_stream(js, "TRADES"));
  natsrs_jetstream_free(js);
  natsrs_connection_free(nc);
  printf("js_ordered: OK\n");
  return 0;
}
