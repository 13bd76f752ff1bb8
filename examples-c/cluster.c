/*
 * cluster.c - connect to a NATS cluster and watch the connection's life.
 *
 * Shows: a server pool given as a comma-separated URL list, every connection
 * event handler (disconnected, reconnected, closed, discovered servers, lame
 * duck, async error) printing what happens, the reconnect options, the pool
 * and discovered-server getters, and the connected URL / server id.
 *
 * Handlers run on the connection's event thread (never on an I/O thread);
 * calling natsrs_* functions from them is allowed.
 *
 * With CLUSTER_WATCH_MS=<ms> it keeps publishing (one message every 500 ms)
 * for that long before exiting: kill the server it is connected to, or put it
 * in lame duck mode (nats-server --signal ldm=<pid>), and the handlers report
 * the move to another node.
 *
 * Run:  NATS_URLS="nats://127.0.0.1:4222,nats://127.0.0.1:4223,nats://127.0.0.1:4224" ./cluster
 *       (default: $NATS_URL, else nats://127.0.0.1:4222)
 */
#include "example.h"

#define COUNT 5
#define SUBJECT "examples.cluster"

static const char *cluster_urls(void) {
  const char *urls = getenv("NATS_URLS");
  return (urls && *urls) ? urls : example_url();
}

/* Prints a list of servers returned by natsrs_connection_servers/discovered_servers. */
static void print_servers(const char *title, natsrs_strings *list) {
  size_t n = natsrs_strings_count(list);
  printf("%s (%zu):\n", title, n);
  for (size_t i = 0; i < n; i++)
    printf("  %s\n", natsrs_strings_get(list, i));
  natsrs_strings_free(list);
}

static void print_connected(natsrs_connection *nc) {
  char url[256], id[128];
  if (natsrs_connection_connected_url(nc, url, sizeof url) == NATSRS_STATUS_OK &&
      natsrs_connection_connected_server_id(nc, id, sizeof id) == NATSRS_STATUS_OK)
    printf("Connected to %s (server id %s)\n", url, id);
  else
    printf("Not connected right now\n");
}

static void on_disconnected(void *userdata, natsrs_connection *nc, natsrs_status status,
                            const char *text) {
  (void)userdata;
  (void)nc;
  printf("[event] disconnected: %s (%s)\n", natsrs_status_str(status), text);
}

static void on_reconnected(void *userdata, natsrs_connection *nc) {
  (void)userdata;
  printf("[event] reconnected\n");
  print_connected(nc);
}

static void on_closed(void *userdata, natsrs_connection *nc) {
  (void)nc;
  printf("[event] connection closed\n");
  counter_add(userdata, 1);
}

static void on_discovered(void *userdata, natsrs_connection *nc) {
  (void)userdata;
  natsrs_strings *list = NULL;
  if (natsrs_connection_discovered_servers(nc, &list) == NATSRS_STATUS_OK)
    print_servers("[event] the cluster announced new servers; discovered now", list);
}

static void on_lame_duck(void *userdata, natsrs_connection *nc) {
  (void)userdata;
  (void)nc;
  printf("[event] the server entered lame duck mode: it will drop us soon and we will "
         "reconnect to another server\n");
}

static void on_error(void *userdata, natsrs_connection *nc, natsrs_subscription *sub,
                     natsrs_status status, const char *text) {
  (void)userdata;
  (void)nc;
  printf("[event] async error%s: %s (%s)\n", sub ? " on a subscription" : "",
         natsrs_status_str(status), text);
}

static void on_msg(void *userdata, natsrs_subscription *sub, const natsrs_msg *msg) {
  (void)sub;
  print_msg("Received", msg);
  counter_add(userdata, 1);
}

int main(void) {
  counter received, closed;
  counter_init(&received);
  counter_init(&closed);

  natsrs_options *opts = NULL;
  CHECK(natsrs_options_new(&opts));
  printf("Server pool: %s\n", cluster_urls());
  CHECK(natsrs_options_set_url(opts, cluster_urls()));
  CHECK(natsrs_options_set_name(opts, "natsrs-cluster-example"));
  /* Reconnect behaviour: forever, 500 ms (+ up to 100 ms jitter) after every
   * full pass through the pool, buffering up to 1 MiB of publishes meanwhile. */
  CHECK(natsrs_options_set_max_reconnect(opts, -1));
  CHECK(natsrs_options_set_reconnect_wait_ms(opts, 500));
  CHECK(natsrs_options_set_reconnect_jitter_ms(opts, 100, 1000));
  CHECK(natsrs_options_set_reconnect_buf_size(opts, 1024 * 1024));
  CHECK(natsrs_options_set_disconnected_handler(opts, on_disconnected, NULL, NULL));
  CHECK(natsrs_options_set_reconnected_handler(opts, on_reconnected, NULL, NULL));
  CHECK(natsrs_options_set_closed_handler(opts, on_closed, &closed, NULL));
  CHECK(natsrs_options_set_discovered_servers_handler(opts, on_discovered, NULL, NULL));
  CHECK(natsrs_options_set_lame_duck_handler(opts, on_lame_duck, NULL, NULL));
  CHECK(natsrs_options_set_error_handler(opts, on_error, NULL, NULL));

  natsrs_connection *nc = NULL;
  CHECK(natsrs_connection_connect(opts, &nc));
  natsrs_options_free(opts); /* the connection keeps its own copy */
  print_connected(nc);

  natsrs_strings *list = NULL;
  CHECK(natsrs_connection_servers(nc, &list));
  print_servers("Server pool (explicit + discovered)", list);
  CHECK(natsrs_connection_discovered_servers(nc, &list));
  print_servers("Discovered servers", list);

  natsrs_subscription *sub = NULL;
  CHECK(natsrs_connection_subscribe(nc, SUBJECT, on_msg, &received, NULL, &sub));
  for (int i = 1; i <= COUNT; i++) {
    char text[32];
    snprintf(text, sizeof text, "message %d", i);
    printf("Publishing '%s'\n", text);
    CHECK(natsrs_connection_publish(nc, SUBJECT, TEXT(text)));
  }
  CHECK(natsrs_connection_flush(nc, 5000));
  int got = counter_wait(&received, COUNT, 10000);
  EXPECT(got == COUNT, "expected %d messages, got %d", COUNT, got);

  /* Optional watch phase: keep the traffic going while the cluster changes. */
  const char *watch = getenv("CLUSTER_WATCH_MS");
  long long watch_ms = (watch && *watch) ? atoll(watch) : 0;
  if (watch_ms > 0)
    printf("Watching for %lld ms: publishing every 500 ms\n", watch_ms);
  for (long long t = 0; t < watch_ms; t += 500) {
    natsrs_status s = natsrs_connection_publish(nc, SUBJECT, TEXT("tick"));
    if (s != NATSRS_STATUS_OK) /* e.g. BUFFER_FULL while disconnected */
      printf("publish failed: %s\n", natsrs_status_str(s));
    struct timespec half_second = {0, 500 * 1000000L};
    nanosleep(&half_second, NULL);
  }

  natsrs_statistics st;
  CHECK(natsrs_connection_stats(nc, &st));
  printf("Stats: %llu msgs out, %llu msgs in, %llu reconnects\n",
         (unsigned long long)st.out_msgs, (unsigned long long)st.in_msgs,
         (unsigned long long)st.reconnects);

  natsrs_subscription_free(sub);
  CHECK(natsrs_connection_close(nc)); /* the closed handler has run when this returns */
  EXPECT(counter_get(&closed) == 1, "closed handler did not run exactly once");
  natsrs_connection_free(nc);
  counter_destroy(&received);
  counter_destroy(&closed);
  printf("cluster: OK\n");
  return 0;
}
