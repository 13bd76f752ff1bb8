/*
 * retry_connect.c - connect even when the server is not up yet.
 *
 * Shows: natsrs_options_set_retry_on_failed_connect. With it, connect returns
 * at once in the RECONNECTING state when no server answers, and keeps trying
 * in the background; the *connected* handler fires on the first success (the
 * reconnected handler is for later reconnects). Subscriptions and publishes
 * made before that take effect once connected: subscriptions are sent first,
 * then the buffered publishes, in order.
 *
 * The program prints every status transition and exits 0 once connected and a
 * message made the round trip, or 1 if no server came up within the deadline
 * ($RETRY_DEADLINE_MS, default 30000).
 *
 * Run:  NATS_URL=nats://127.0.0.1:4222 ./retry_connect
 *       e.g. start it first, then the server:
 *       ./retry_connect & sleep 2; nats-server -a 127.0.0.1 -p 4222
 */
#include "example.h"

#define SUBJECT "examples.retry"

static const char *status_name(natsrs_connection_status s) {
  switch (s) {
  case NATSRS_CONNECTION_STATUS_DISCONNECTED: return "DISCONNECTED";
  case NATSRS_CONNECTION_STATUS_CONNECTING: return "CONNECTING";
  case NATSRS_CONNECTION_STATUS_CONNECTED: return "CONNECTED";
  case NATSRS_CONNECTION_STATUS_CLOSED: return "CLOSED";
  case NATSRS_CONNECTION_STATUS_RECONNECTING: return "RECONNECTING";
  case NATSRS_CONNECTION_STATUS_DRAINING_SUBS: return "DRAINING_SUBS";
  case NATSRS_CONNECTION_STATUS_DRAINING_PUBS: return "DRAINING_PUBS";
  }
  return "?";
}

static int64_t deadline_ms(void) {
  const char *v = getenv("RETRY_DEADLINE_MS");
  long long ms = (v && *v) ? atoll(v) : 30000;
  return ms > 0 ? (int64_t)ms : 30000;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_connected(void *userdata, natsrs_connection *nc) {
  (void)nc;
  printf("[event] connected (first successful connect, in the background)\n");
  counter_add(userdata, 1);
}

static void on_reconnected(void *userdata, natsrs_connection *nc) {
  (void)userdata;
  (void)nc;
  printf("[event] reconnected\n");
}

static void on_disconnected(void *userdata, natsrs_connection *nc, natsrs_status status,
                            const char *text) {
  (void)userdata;
  (void)nc;
  printf("[event] disconnected: %s (%s)\n", natsrs_status_str(status), text);
}

static void on_closed(void *userdata, natsrs_connection *nc) {
  (void)userdata;
  (void)nc;
  printf("[event] closed\n");
}

int main(void) {
  counter connected;
  counter_init(&connected);

  natsrs_options *opts = NULL;
  CHECK(natsrs_options_new(&opts));
  CHECK(natsrs_options_set_url(opts, example_url()));
  CHECK(natsrs_options_set_retry_on_failed_connect(opts, true));
  CHECK(natsrs_options_set_max_reconnect(opts, -1));
  CHECK(natsrs_options_set_reconnect_wait_ms(opts, 250));
  CHECK(natsrs_options_set_connected_handler(opts, on_connected, &connected, NULL));
  CHECK(natsrs_options_set_reconnected_handler(opts, on_reconnected, NULL, NULL));
  CHECK(natsrs_options_set_disconnected_handler(opts, on_disconnected, NULL, NULL));
  CHECK(natsrs_options_set_closed_handler(opts, on_closed, NULL, NULL));

  printf("Connecting to %s (retry on failed connect)\n", example_url());
  natsrs_connection *nc = NULL;
  CHECK(natsrs_connection_connect(opts, &nc)); /* returns at once even if no server is up */
  natsrs_options_free(opts);

  natsrs_connection_status st = natsrs_connection_status_get(nc);
  printf("connect returned; status %s\n", status_name(st));
  bool was_connected_at_once = st == NATSRS_CONNECTION_STATUS_CONNECTED;

  /* Both work before the first connect: the SUB is sent on connect, the
   * publish is buffered (up to the reconnect buffer size) and sent after it. */
  natsrs_subscription *sub = NULL;
  CHECK(natsrs_connection_subscribe_sync(nc, SUBJECT, &sub));
  CHECK(natsrs_connection_publish(nc, SUBJECT, TEXT("published before connecting")));

  int64_t limit = deadline_ms();
  int64_t start = now_ms();
  while (st != NATSRS_CONNECTION_STATUS_CONNECTED && now_ms() - start < limit) {
    counter_wait(&connected, 1, 50);
    natsrs_connection_status now = natsrs_connection_status_get(nc);
    if (now != st) {
      printf("status %s -> %s after %lld ms\n", status_name(st), status_name(now),
             (long long)(now_ms() - start));
      st = now;
    }
  }
  if (st != NATSRS_CONNECTION_STATUS_CONNECTED) {
    fprintf(stderr, "FAILED: no server at %s within %lld ms\n", example_url(), (long long)limit);
    natsrs_subscription_free(sub);
    natsrs_connection_free(nc);
    return 1;
  }
  char url[256];
  CHECK(natsrs_connection_connected_url(nc, url, sizeof url));
  printf("Connected to %s\n", url);

  CHECK(natsrs_connection_publish(nc, SUBJECT, TEXT("published after connecting")));
  const char *expected[] = {"published before connecting", "published after connecting"};
  for (int i = 0; i < 2; i++) {
    natsrs_msg *msg = NULL;
    CHECK(natsrs_subscription_next_msg(sub, 5000, &msg));
    print_msg("Received", msg);
    EXPECT(msg_is(msg, expected[i]), "expected '%s'", expected[i]);
    natsrs_msg_free(msg);
  }

  /* The connected handler is for a first connect made in the background; when
   * the server was already up, connect itself succeeded and it does not fire. */
  if (was_connected_at_once) {
    printf("The server was already up: connected synchronously\n");
    EXPECT(counter_get(&connected) == 0, "connected handler fired for a synchronous connect");
  } else {
    EXPECT(counter_wait(&connected, 1, 5000) == 1, "connected handler did not fire exactly once");
  }
  natsrs_statistics stats;
  CHECK(natsrs_connection_stats(nc, &stats));
  printf("reconnects: %llu\n", (unsigned long long)stats.reconnects);

  natsrs_subscription_free(sub);
  CHECK(natsrs_connection_close(nc));
  natsrs_connection_free(nc);
  counter_destroy(&connected);
  printf("retry_connect: OK\n");
  return 0;
}
