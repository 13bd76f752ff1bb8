/*
 * js_pull.c - JetStream pull consumer: fetch batches and ack them.
 *
 * Shows: natsrs_jetstream_pull_subscribe with a durable name, natsrs_pull_subscription_fetch
 * (a short batch comes back as soon as the server has no more; an empty one is TIMEOUT),
 * natsrs_msg_ack, natsrs_pull_subscription_fetch_no_wait.
 *
 * Run:  make && NATS_URL=nats://127.0.0.1:4222 ./build/js_pull   (server with -js)
 */
#include "example.h"

int main(void) {
  natsrs_connection *nc = example_connect();
  natsrs_jetstream *js = NULL;
  CHECK(natsrs_jetstream_new(nc, NULL, &js));
  natsrs_jetstream_delete_stream(js, "JOBS");
  natsrs_stream_config *cfg = NULL;
  CHECK(natsrs_stream_config_new("JOBS", &cfg));
  CHECK(natsrs_stream_config_add_subject(cfg, "jobs.>"));
  CHECK(natsrs_stream_config_set_retention(cfg, NATSRS_RETENTION_POLICY_WORK_QUEUE));
  CHECK(natsrs_jetstream_add_stream(js, cfg, NULL));
  natsrs_stream_config_free(cfg);
  printf("Created work-queue stream JOBS\n");

  for (int i = 0; i < 7; i++) CHECK(natsrs_jetstream_publish(js, "jobs.resize", TEXT("image"), NULL, NULL));
  printf("Published 7 jobs\n");

  natsrs_pull_subscription *ps = NULL;
  CHECK(natsrs_jetstream_pull_subscribe(js, "jobs.>", "WORKER", NULL, &ps));
  int done = 0;
  while (done < 7) {
    natsrs_msg *batch[5];
    size_t n = 0;
    CHECK(natsrs_pull_subscription_fetch(ps, 5, 2000, batch, &n));
    printf("Fetched a batch of %zu\n", n);
    for (size_t i = 0; i < n; i++) {
      CHECK(natsrs_msg_ack(batch[i]));
      natsrs_msg_free(batch[i]);
    }
    done += (int)n;
  }
  natsrs_msg *batch[5];
  size_t n = 0;
  natsrs_status s = natsrs_pull_subscription_fetch(ps, 5, 300, batch, &n);
  printf("Fetch on an empty stream: %s\n", natsrs_status_str(s));
  EXPECT(s == NATSRS_STATUS_TIMEOUT, "expected TIMEOUT");
  s = natsrs_pull_subscription_fetch_no_wait(ps, 5, batch, &n);
  printf("No-wait fetch: %s\n", natsrs_status_str(s));
  EXPECT(s == NATSRS_STATUS_TIMEOUT || (s == NATSRS_STATUS_OK && n == 0), "expected nothing");

  CHECK(natsrs_pull_subscription_unsubscribe(ps));
  natsrs_pull_subscription_free(ps);
  CHECK(natsrs_jetstream_delete_stream(js, "JOBS"));
  natsrs_jetstream_free(js);
  natsrs_connection_free(nc);
  printf("js_pull: OK\n");
  return 0;
}
