/*
 * request_reply.c - request/reply with two kinds of responders.
 *
 * Shows: a responder that answers with natsrs_msg_respond, a responder that
 * publishes to the request's reply subject itself, natsrs_connection_request
 * with a timeout (the reply is owned: natsrs_msg_free), and the immediate
 * NATSRS_STATUS_NO_RESPONDERS when nobody listens on the subject.
 *
 * Run:  make && NATS_URL=nats://127.0.0.1:4222 ./build/request_reply
 */
#include "example.h"

/* Responder 1: m.Respond("answer is 42") */
static void answer(void *userdata, natsrs_subscription *sub, const natsrs_msg *msg) {
  (void)userdata;
  (void)sub;
  print_msg("Responder got request", msg);
  CHECK(natsrs_msg_respond(msg, TEXT("answer is 42")));
}

/* Responder 2: nc.Publish(m.Reply, "I can help!") */
static void helper(void *userdata, natsrs_subscription *sub, const natsrs_msg *msg) {
  natsrs_connection *nc = userdata;
  (void)sub;
  print_msg("Helper got request", msg);
  CHECK(natsrs_connection_publish(nc, natsrs_msg_reply(msg), TEXT("I can help!")));
}

static void ask(natsrs_connection *nc, const char *subject, const char *question,
                const char *expected) {
  natsrs_msg *reply = NULL;
  printf("Requesting '%s' on '%s'\n", question, subject);
  CHECK(natsrs_connection_request(nc, subject, TEXT(question), 2000, &reply));
  print_msg("Got reply", reply);
  EXPECT(msg_is(reply, expected), "expected reply '%s'", expected);
  natsrs_msg_free(reply);
}

int main(void) {
  natsrs_connection *nc = example_connect();

  natsrs_subscription *answer_sub = NULL, *help_sub = NULL;
  CHECK(natsrs_connection_subscribe(nc, "examples.request", answer, NULL, NULL, &answer_sub));
  CHECK(natsrs_connection_subscribe(nc, "examples.help", helper, nc, NULL, &help_sub));
  CHECK(natsrs_connection_flush(nc, 2000)); /* make sure the server knows both subs */

  ask(nc, "examples.request", "what is the answer?", "answer is 42");
  ask(nc, "examples.help", "help me", "I can help!");

  /* Nobody subscribes to this subject: the server says so right away. */
  natsrs_msg *reply = NULL;
  natsrs_status s = natsrs_connection_request(nc, "examples.nobody", TEXT("hello?"), 2000, &reply);
  printf("Request to a subject without responders: %s\n", natsrs_status_str(s));
  EXPECT(s == NATSRS_STATUS_NO_RESPONDERS, "expected NO_RESPONDERS");

  natsrs_subscription_free(answer_sub);
  natsrs_subscription_free(help_sub);
  natsrs_connection_free(nc);
  printf("request_reply: OK\n");
  return 0;
}
