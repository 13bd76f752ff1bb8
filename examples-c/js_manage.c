/*
 * js_manage.c - JetStream management: streams and consumers, info, purge, delete, account
 * info, and the server's error code of a failed call.
 *
 * Shows: natsrs_stream_config_from_json, natsrs_jetstream_update_stream, stream and consumer
 * info getters, natsrs_jetstream_purge_stream, natsrs_jetstream_stream_names_json,
 * natsrs_jetstream_add_consumer, natsrs_last_error_api, natsrs_jetstream_account_info.
 *
 * Run:  make && NATS_URL=nats://127.0.0.1:4222 ./build/js_manage   (server with -js)
 */
#include "example.h"

int main(void) {
  natsrs_connection *nc = example_connect();
  natsrs_jetstream *js = NULL;
  CHECK(natsrs_jetstream_new(nc, NULL, &js));
  natsrs_jetstream_delete_stream(js, "METRICS");

  /* A config can come as the server's own JSON. */
  natsrs_stream_config *cfg = NULL;
  CHECK(natsrs_stream_config_from_json("{\"name\":\"METRICS\",\"subjects\":[\"metrics.>\"],\"storage\":\"memory\"}", &cfg));
  natsrs_stream_info *si = NULL;
  CHECK(natsrs_jetstream_add_stream(js, cfg, &si));
  printf("Created stream %s\n", natsrs_stream_info_name(si));
  natsrs_stream_info_free(si);

  /* Same name, different subjects: the server refuses with its error code. */
  natsrs_stream_config *clash = NULL;
  CHECK(natsrs_stream_config_new("METRICS", &clash));
  CHECK(natsrs_stream_config_add_subject(clash, "other.>"));
  natsrs_status s = natsrs_jetstream_add_stream(js, clash, NULL);
  int32_t code = 0;
  uint64_t err_code = 0;
  bool has = natsrs_last_error_api(&code, &err_code);
  printf("Adding a clashing stream: %s (%d/%llu: %s)\n", natsrs_status_str(s), code,
         (unsigned long long)err_code, natsrs_last_error_message());
  EXPECT(s == NATSRS_STATUS_JETSTREAM && has && err_code == 10058, "expected error 10058");
  natsrs_stream_config_free(clash);

  CHECK(natsrs_stream_config_set_max_msgs(cfg, 100));
  CHECK(natsrs_jetstream_update_stream(js, cfg, NULL));
  printf("Updated METRICS: max_msgs 100\n");
  natsrs_stream_config_free(cfg);

  for (int i = 0; i < 10; i++) CHECK(natsrs_jetstream_publish(js, "metrics.cpu", TEXT("42"), NULL, NULL));
  CHECK(natsrs_jetstream_stream_info(js, "METRICS", &si));
  printf("METRICS: %llu messages, last sequence %llu\n", (unsigned long long)natsrs_stream_info_messages(si),
         (unsigned long long)natsrs_stream_info_last_seq(si));
  natsrs_stream_info_free(si);

  natsrs_consumer_config *cc = NULL;
  CHECK(natsrs_consumer_config_new("DASH", &cc));
  CHECK(natsrs_consumer_config_set_ack_policy(cc, NATSRS_ACK_POLICY_EXPLICIT));
  natsrs_consumer_info *ci = NULL;
  CHECK(natsrs_jetstream_add_consumer(js, "METRICS", cc, &ci));
  printf("Consumer %s on %s: %llu pending\n", natsrs_consumer_info_name(ci), natsrs_consumer_info_stream_name(ci),
         (unsigned long long)natsrs_consumer_info_num_pending(ci));
  natsrs_consumer_info_free(ci);
  natsrs_consumer_config_free(cc);

  char *names = NULL;
  CHECK(natsrs_jetstream_stream_names_json(js, NULL, &names));
  printf("Streams: %s\n", names);
  natsrs_string_free(names);

  uint64_t purged = 0;
  CHECK(natsrs_jetstream_purge_stream(js, "METRICS", NULL, 0, 0, &purged));
  printf("Purged %llu messages\n", (unsigned long long)purged);
  EXPECT(purged == 10, "expected 10 purged");

  natsrs_account_info *ai = NULL;
  CHECK(natsrs_jetstream_account_info(js, &ai));
  printf("Account: %llu streams, %llu consumers\n", (unsigned long long)natsrs_account_info_streams(ai),
         (unsigned long long)natsrs_account_info_consumers(ai));
  natsrs_account_info_free(ai);

  CHECK(natsrs_jetstream_delete_consumer(js, "METRICS", "DASH"));
  CHECK(natsrs_jetstream_delete_stream(js, "METRICS"));
  s = natsrs_jetstream_stream_info(js, "METRICS", &si);
  printf("Info of the deleted stream: %s\n", natsrs_status_str(s));
  EXPECT(s == NATSRS_STATUS_NOT_FOUND, "expected NOT_FOUND");
  natsrs_jetstream_free(js);
  natsrs_connection_free(nc);
  printf("js_manage: OK\n");
  return 0;
}
