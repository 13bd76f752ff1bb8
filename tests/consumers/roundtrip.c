/*
 * roundtrip.c - the program every consumer project under tests/consumers builds against an
 * installed libnatsrs (pkg-config, CMake find_package, static libnatsrs.a): version check,
 * publish -> sync subscription round trip, and a request to an async responder, against the
 * server at $NATS_URL. Prints "<CONSUMER>: OK" and exits 0 on success.
 */
#include <natsrs.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef CONSUMER
#define CONSUMER "consumer"
#endif

static int fail(const char *what, natsrs_status s) {
  fprintf(stderr, "%s: FAILED: %s -> %s: %s\n", CONSUMER, what, natsrs_status_str(s), natsrs_last_error_message());
  return 1;
}

static void echo(void *userdata, natsrs_subscription *sub, const natsrs_msg *msg) {
  (void)userdata;
  (void)sub;
  natsrs_msg_respond(msg, natsrs_msg_data(msg), natsrs_msg_data_len(msg));
}

static int payload_is(const natsrs_msg *msg, const char *text) {
  size_t n = strlen(text);
  return natsrs_msg_data_len(msg) == n && memcmp(natsrs_msg_data(msg), text, n) == 0;
}

int main(void) {
  const char *url = getenv("NATS_URL");
  natsrs_connection *nc = NULL;
  natsrs_subscription *sync_sub = NULL, *responder = NULL;
  natsrs_msg *msg = NULL, *reply = NULL;
  natsrs_status s;
  int rc = 1;

  if ((s = NATSRS_CHECK_COMPATIBILITY()) != NATSRS_STATUS_OK) return fail("NATSRS_CHECK_COMPATIBILITY", s);
  printf("%s: built with natsrs.h %s, running libnatsrs %s\n", CONSUMER, NATSRS_VERSION_STRING, natsrs_version());
  if ((s = natsrs_connection_connect_to(url ? url : "nats://127.0.0.1:4222", &nc)) != NATSRS_STATUS_OK)
    return fail("connect", s);
  if ((s = natsrs_connection_subscribe_sync(nc, "consumer.roundtrip", &sync_sub)) != NATSRS_STATUS_OK) {
    fail("subscribe_sync", s);
    goto out;
  }
  if ((s = natsrs_connection_publish(nc, "consumer.roundtrip", (const uint8_t *)"ping", 4)) != NATSRS_STATUS_OK) {
    fail("publish", s);
    goto out;
  }
  if ((s = natsrs_subscription_next_msg(sync_sub, 5000, &msg)) != NATSRS_STATUS_OK) {
    fail("next_msg", s);
    goto out;
  }
  if (!payload_is(msg, "ping")) {
    fprintf(stderr, "%s: FAILED: round trip payload differs\n", CONSUMER);
    goto out;
  }
  if ((s = natsrs_connection_subscribe(nc, "consumer.echo", echo, NULL, NULL, &responder)) != NATSRS_STATUS_OK) {
    fail("subscribe", s);
    goto out;
  }
  if ((s = natsrs_connection_request(nc, "consumer.echo", (const uint8_t *)"marco", 5, 5000, &reply)) != NATSRS_STATUS_OK) {
    fail("request", s);
    goto out;
  }
  if (!payload_is(reply, "marco")) {
    fprintf(stderr, "%s: FAILED: reply payload differs\n", CONSUMER);
    goto out;
  }
  if ((s = natsrs_connection_drain(nc, 5000)) != NATSRS_STATUS_OK) {
    fail("drain", s);
    goto out;
  }
  printf("%s: OK (publish -> subscribe and request -> reply through %s)\n", CONSUMER, url ? url : "nats://127.0.0.1:4222");
  rc = 0;
out:
  natsrs_msg_free(msg);
  natsrs_msg_free(reply);
  natsrs_subscription_free(sync_sub);
  natsrs_subscription_free(responder);
  natsrs_connection_free(nc);
  return rc;
}
