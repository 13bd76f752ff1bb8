/*
 * demo.c - the whole "Basic usage" walk-through of the NATS Go client README,
 * written against the libnatsrs C API, in one program:
 *
 *   connect, publish, async subscribe, responder + request, sync subscribe +
 *   next_msg, unsubscribe, subscription drain, request to a responder that
 *   publishes to the reply subject, connection drain, close.
 *
 * Conventions used throughout: every fallible call returns natsrs_status
 * (NATSRS_STATUS_OK == 0; details in natsrs_last_error_message()); times are
 * int64_t milliseconds; payloads are (const uint8_t *, size_t); messages passed
 * to callbacks are borrowed, messages returned through out-pointers are owned.
 *
 * Run:  make && NATS_URL=nats://127.0.0.1:4222 ./build/demo
 */
#include "example.h"

static int step_no = 0;
static void step(const char *title) { printf("\n== %d. %s\n", ++step_no, title); }

/* nc.Subscribe("foo", func(m) { fmt.Printf("Received a message: %s\n", m.Data) }) */
static void on_foo(void *userdata, natsrs_subscription *sub, const natsrs_msg *msg) {
  (void)sub;
  print_msg("Received a message", msg);
  counter_add(userdata, 1);
}

/* nc.Subscribe("request", func(m) { m.Respond([]byte("answer is 42")) }) */
static void on_request(void *userdata, natsrs_subscription *sub, const natsrs_msg *msg) {
  (void)userdata;
  (void)sub;
  CHECK(natsrs_msg_respond(msg, TEXT("answer is 42")));
}

/* nc.Subscribe("help", func(m) { nc.Publish(m.Reply, []byte("I can help!")) }) */
static void on_help(void *userdata, natsrs_subscription *sub, const natsrs_msg *msg) {
  (void)sub;
  CHECK(natsrs_connection_publish(userdata, natsrs_msg_reply(msg), TEXT("I can help!")));
}

static void on_closed(void *userdata, natsrs_connection *nc) {
  (void)nc;
  printf("(closed handler called)\n");
  counter_add(userdata, 1);
}

static void print_reply(natsrs_msg *reply, const char *expected) {
  print_msg("Reply", reply);
  EXPECT(msg_is(reply, expected), "expected reply '%s'", expected);
  natsrs_msg_free(reply);
}

int main(void) {
  counter foo_count, closed;
  counter_init(&foo_count);
  counter_init(&closed);
  printf("libnatsrs %s\n", natsrs_version());

  step("Connect");
  natsrs_options *opts = NULL;
  CHECK(natsrs_options_new(&opts));
  CHECK(natsrs_options_set_url(opts, example_url()));
  CHECK(natsrs_options_set_name(opts, "natsrs-demo"));
  CHECK(natsrs_options_set_closed_handler(opts, on_closed, &closed, NULL));
  natsrs_connection *nc = NULL;
  CHECK(natsrs_connection_connect(opts, &nc));
  natsrs_options_free(opts);
  natsrs_server_info *info = NULL;
  CHECK(natsrs_connection_server_info(nc, &info));
  printf("Connected to %s (nats-server %s)\n", natsrs_server_info_connected_url(info),
         natsrs_server_info_version(info));
  natsrs_server_info_free(info);

  step("Simple publisher");
  printf("Publishing 'Hello World' to 'foo' (nobody subscribed yet)\n");
  CHECK(natsrs_connection_publish(nc, "foo", TEXT("Hello World")));

  step("Simple async subscriber");
  natsrs_subscription *foo_sub = NULL;
  CHECK(natsrs_connection_subscribe(nc, "foo", on_foo, &foo_count, NULL, &foo_sub));
  CHECK(natsrs_connection_publish(nc, "foo", TEXT("Hello World")));
  EXPECT(counter_wait(&foo_count, 1, 5000) >= 1, "async subscriber got nothing");

  step("Responding to a request message");
  natsrs_subscription *req_sub = NULL;
  CHECK(natsrs_connection_subscribe(nc, "request", on_request, NULL, NULL, &req_sub));
  natsrs_msg *reply = NULL;
  CHECK(natsrs_connection_request(nc, "request", TEXT("what is the answer?"), 2000, &reply));
  print_reply(reply, "answer is 42");

  step("Simple sync subscriber");
  natsrs_subscription *sync_sub = NULL;
  CHECK(natsrs_connection_subscribe_sync(nc, "foo", &sync_sub));
  CHECK(natsrs_connection_publish(nc, "foo", TEXT("Hello World")));
  natsrs_msg *msg = NULL;
  CHECK(natsrs_subscription_next_msg(sync_sub, 2000, &msg));
  print_msg("next_msg returned", msg);
  EXPECT(msg_is(msg, "Hello World"), "unexpected payload");
  natsrs_msg_free(msg);

  step("Unsubscribe");
  CHECK(natsrs_subscription_unsubscribe(sync_sub));
  printf("sync subscription valid after unsubscribe: %s\n",
         natsrs_subscription_is_valid(sync_sub) ? "yes" : "no");
  natsrs_subscription_free(sync_sub);

  step("Drain a subscription");
  CHECK(natsrs_connection_publish(nc, "foo", TEXT("Hello World")));
  CHECK(natsrs_subscription_drain(foo_sub));
  CHECK(natsrs_subscription_drain_wait(foo_sub, 5000));
  printf("'foo' subscription drained; it received %d messages\n", counter_get(&foo_count));
  EXPECT(counter_get(&foo_count) >= 2, "drain lost a message");
  natsrs_subscription_free(foo_sub);

  step("Requests and replies");
  natsrs_subscription *help_sub = NULL;
  CHECK(natsrs_connection_subscribe(nc, "help", on_help, nc, NULL, &help_sub));
  CHECK(natsrs_connection_request(nc, "help", TEXT("help me"), 2000, &reply));
  print_reply(reply, "I can help!");

  step("Drain the connection (preferred for responders; no close needed)");
  CHECK(natsrs_connection_drain(nc, 10000));
  printf("Connection closed after drain: %s\n", natsrs_connection_is_closed(nc) ? "yes" : "no");
  EXPECT(natsrs_connection_is_closed(nc), "connection should be closed");
  EXPECT(counter_wait(&closed, 1, 5000) == 1, "closed handler should run once");

  step("Close");
  CHECK(natsrs_connection_close(nc)); /* idempotent: already closed by drain */
  natsrs_subscription_free(req_sub);
  natsrs_subscription_free(help_sub);
  natsrs_connection_free(nc);
  counter_destroy(&foo_count);
  counter_destroy(&closed);
  printf("\ndemo: OK\n");
  return 0;
}
