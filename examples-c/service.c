/*
 * service.c - a NATS service (micro) with two endpoints, an error reply and discovery.
 *
 * Shows: natsrs_service_add from a JSON identity, an endpoint at the top level and one in a
 * group, natsrs_service_request_respond_error (the Nats-Service-Error headers), and the
 * $SRV.PING / $SRV.INFO / $SRV.STATS discovery subjects that tools such as `nats micro` use.
 *
 * Run:  make && NATS_URL=nats://127.0.0.1:4222 ./build/service
 */
#include "example.h"

/* "sum": adds the numbers in a space-separated request. */
static void sum(void *userdata, const natsrs_service_request *req) {
  (void)userdata;
  const natsrs_msg *m = natsrs_service_request_msg(req);
  char buf[256];
  size_t n = natsrs_msg_data_len(m) < sizeof buf - 1 ? natsrs_msg_data_len(m) : sizeof buf - 1;
  memcpy(buf, natsrs_msg_data(m), n);
  buf[n] = 0;
  long total = 0;
  for (char *p = buf, *end; *p; p = end) {
    long v = strtol(p, &end, 10);
    if (end == p) {
      natsrs_service_request_respond_error(req, "400", "not a number", NULL, 0);
      return;
    }
    total += v;
  }
  char out[32];
  int len = snprintf(out, sizeof out, "%ld", total);
  CHECK(natsrs_service_request_respond(req, (const uint8_t *)out, (size_t)len));
}

/* "math.divide": always refuses, to show an error reply. */
static void divide(void *userdata, const natsrs_service_request *req) {
  (void)userdata;
  CHECK(natsrs_service_request_respond_error(req, "501", "division is not implemented", NULL, 0));
}

static void show(natsrs_connection *nc, const char *subject) {
  natsrs_msg *reply = NULL;
  CHECK(natsrs_connection_request(nc, subject, NULL, 0, 2000, &reply));
  printf("%s -> %.*s\n", subject, (int)natsrs_msg_data_len(reply), (const char *)natsrs_msg_data(reply));
  natsrs_msg_free(reply);
}

int main(void) {
  natsrs_connection *nc = example_connect();
  natsrs_service *svc = NULL;
  CHECK(natsrs_service_add(nc,
                           "{\"name\":\"calc\",\"version\":\"1.0.0\",\"description\":\"a calculator\","
                           "\"metadata\":{\"team\":\"examples\"}}",
                           NULL, NULL, NULL, &svc));
  CHECK(natsrs_service_add_endpoint(svc, "sum", NULL, NULL, "{\"unit\":\"integer\"}", sum, NULL, NULL));
  natsrs_service_group *math = NULL;
  CHECK(natsrs_service_add_group(svc, "math", NULL, &math));
  CHECK(natsrs_service_group_add_endpoint(math, "divide", NULL, NULL, NULL, divide, NULL, NULL));
  natsrs_service_group_free(math);
  CHECK(natsrs_connection_flush(nc, 2000));
  printf("service calc running, id %s\n", natsrs_service_id(svc));

  natsrs_msg *reply = NULL;
  CHECK(natsrs_connection_request(nc, "sum", TEXT("1 2 39"), 2000, &reply));
  print_msg("sum 1 2 39", reply);
  EXPECT(msg_is(reply, "42"), "expected 42");
  natsrs_msg_free(reply);

  CHECK(natsrs_connection_request(nc, "math.divide", TEXT("1 0"), 2000, &reply));
  const char *err = NULL, *code = NULL;
  CHECK(natsrs_msg_header_get(reply, "Nats-Service-Error", &err));
  CHECK(natsrs_msg_header_get(reply, "Nats-Service-Error-Code", &code));
  printf("math.divide -> error %s: %s\n", code, err);
  EXPECT(strcmp(code, "501") == 0, "expected code 501");
  natsrs_msg_free(reply);

  show(nc, "$SRV.PING.calc");
  show(nc, "$SRV.INFO.calc");
  show(nc, "$SRV.STATS.calc");

  char *stats = NULL;
  CHECK(natsrs_service_stats_json(svc, &stats));
  EXPECT(strstr(stats, "\"num_errors\":1") != NULL, "expected one error in the stats");
  natsrs_string_free(stats);

  natsrs_service_free(svc);
  natsrs_connection_free(nc);
  printf("service: OK\n");
  return 0;
}
