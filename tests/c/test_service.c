/* Services from C under ASan/UBSan: endpoints, groups, errors, discovery JSON, stats handler,
 * userdata lifetimes, NULL and bad arguments. */
#include "test_util.h"

#include <unistd.h>

static tu_counter freed;

static void on_free(void *ud) { (void)ud; tu_counter_add(&freed, 1); }

static void echo(void *ud, const natsrs_service_request *req) {
  (void)ud;
  const natsrs_msg *m = natsrs_service_request_msg(req);
  natsrs_service_request_respond(req, natsrs_msg_data(m), natsrs_msg_data_len(m));
}

static void refuse(void *ud, const natsrs_service_request *req) {
  (void)ud;
  natsrs_service_request_respond_error(req, NULL, "no", NULL, 0);
}

/* Answers by itself and records the error in its own words (as a binding does). */
static void own_words(void *ud, const natsrs_service_request *req) {
  (void)ud;
  CHECK_EQ(natsrs_service_request_record_error(req, NULL), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_OK(natsrs_service_request_record_error(req, "ValueError('bad')"));
  natsrs_service_request_respond(req, (const uint8_t *)"e", 1);
}

static const char *stats_data(void *ud, const char *endpoint) {
  (void)ud;
  return strcmp(endpoint, "echo") == 0 ? "{\"custom\":true}" : NULL;
}

static void test_service_lifecycle(void) {
  tu_counter_init(&freed);
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  char name[64];
  snprintf(name, sizeof name, "svc%d", (int)getpid());
  char cfg[256];
  snprintf(cfg, sizeof cfg, "{\"name\":\"%s\",\"version\":\"0.1.0\"}", name);
  natsrs_service *svc = NULL;
  REQUIRE_OK(natsrs_service_add(nc, cfg, stats_data, NULL, on_free, &svc));
  char subj[128];
  tu_subject(subj, sizeof subj, "echo");
  CHECK_OK(natsrs_service_add_endpoint(svc, "echo", subj, NULL, NULL, echo, NULL, on_free));
  natsrs_service_group *g = NULL, *g2 = NULL;
  REQUIRE_OK(natsrs_service_add_group(svc, name, "grp", &g));
  REQUIRE_OK(natsrs_service_group_add_group(g, "inner", NULL, &g2));
  CHECK_OK(natsrs_service_group_add_endpoint(g2, "refuse", NULL, NULL, "{\"k\":\"v\"}", refuse, NULL, on_free));
  char own_subj[128];
  tu_subject(own_subj, sizeof own_subj, "own");
  CHECK_OK(natsrs_service_add_endpoint(svc, "own", own_subj, NULL, NULL, own_words, NULL, on_free));
  natsrs_service_group_free(g2);
  natsrs_service_group_free(g);
  CHECK_OK(natsrs_connection_flush(nc, 2000));

  natsrs_msg *r = NULL;
  CHECK_OK(natsrs_connection_request(nc, subj, TEXT("hi"), 2000, &r));
  if (r) { CHECK_EQ(natsrs_msg_data_len(r), 2); natsrs_msg_free(r); }
  char refuse_subj[128];
  snprintf(refuse_subj, sizeof refuse_subj, "%s.inner.refuse", name);
  r = NULL;
  CHECK_OK(natsrs_connection_request(nc, refuse_subj, TEXT("x"), 2000, &r));
  if (r) {
    const char *code = NULL;
    CHECK_OK(natsrs_msg_header_get(r, "Nats-Service-Error-Code", &code));
    CHECK_STR(code, "500");
    natsrs_msg_free(r);
  }
  char *json = NULL;
  CHECK_OK(natsrs_service_info_json(svc, &json));
  CHECK(json && strstr(json, "\"queue_group\":\"grp\""));
  natsrs_string_free(json);
  r = NULL;
  CHECK_OK(natsrs_connection_request(nc, own_subj, TEXT("x"), 2000, &r));
  if (r) { CHECK_EQ(natsrs_msg_data_len(r), 1); natsrs_msg_free(r); }
  CHECK_OK(natsrs_service_stats_json(svc, &json));
  CHECK(json && strstr(json, "{\"custom\":true}") && strstr(json, "\"num_errors\":1"));
  CHECK(json && strstr(json, "\"last_error\":\"ValueError('bad')\"") && strstr(json, "\"last_error\":\"500:no\""));
  natsrs_string_free(json);
  CHECK_OK(natsrs_service_ping_json(svc, &json));
  CHECK(json && strstr(json, natsrs_service_id(svc)));
  natsrs_string_free(json);
  CHECK_OK(natsrs_service_reset(svc));
  CHECK(!natsrs_service_is_stopped(svc));
  CHECK_OK(natsrs_service_stop(svc));
  CHECK(natsrs_service_is_stopped(svc));
  /* The three endpoints' userdata released by stop; the stats handler's at free. */
  CHECK_EQ(tu_counter_get(&freed), 3);
  natsrs_service_free(svc);
  CHECK_EQ(tu_counter_get(&freed), 4);
  natsrs_connection_free(nc);
}

static void test_service_bad_arguments(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  natsrs_service *svc = TU_SENTINEL;
  CHECK_STATUS(natsrs_service_add(NULL, "{}", NULL, NULL, NULL, &svc), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_STATUS(natsrs_service_add(nc, NULL, NULL, NULL, NULL, &svc), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_STATUS(natsrs_service_add(nc, "not json", NULL, NULL, NULL, &svc), NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(natsrs_service_add(nc, "{\"name\":\"a b\",\"version\":\"1.0.0\"}", NULL, NULL, NULL, &svc), NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(natsrs_service_add(nc, "{\"name\":\"ab\",\"version\":\"1\"}", NULL, NULL, NULL, &svc), NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK(svc == TU_SENTINEL);
  svc = NULL;
  REQUIRE_OK(natsrs_service_add(nc, "{\"name\":\"ok\",\"version\":\"1.0.0\"}", NULL, NULL, NULL, &svc));
  CHECK_STATUS(natsrs_service_add_endpoint(svc, "e", NULL, NULL, NULL, NULL, NULL, NULL), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_STATUS(natsrs_service_add_endpoint(svc, "e", NULL, NULL, "[1]", echo, NULL, NULL), NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(natsrs_service_add_endpoint(svc, "a.b", NULL, NULL, NULL, echo, NULL, NULL), NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(natsrs_service_add_endpoint(NULL, "e", NULL, NULL, NULL, echo, NULL, NULL), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_STATUS(natsrs_service_request_respond(NULL, NULL, 0), NATSRS_STATUS_NULL_PARAMETER);
  CHECK(natsrs_service_request_msg(NULL) == NULL);
  CHECK_STATUS(natsrs_service_request_record_error(NULL, "x"), NATSRS_STATUS_NULL_PARAMETER);
  CHECK(natsrs_service_id(NULL) == NULL);
  CHECK_STATUS(natsrs_service_stop(NULL), NATSRS_STATUS_NULL_PARAMETER);
  natsrs_service_free(NULL);
  natsrs_service_group_free(NULL);
  natsrs_string_free(NULL);
  natsrs_service_free(svc);
  natsrs_connection_free(nc);
}

static const tu_test tests[] = {
    TU_TEST(test_service_lifecycle),
    TU_TEST(test_service_bad_arguments),
};

int main(int argc, char **argv) { return tu_main(argc, argv, tests, TU_COUNT(tests)); }
