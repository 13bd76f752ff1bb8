/* natsrs_jetstream_api_request (any JetStream API call as JSON text) from C under ASan/UBSan,
 * against a server started with -js: replies, the server's errors with their codes, the
 * context's domain and prefix, argument checks. */
#include "test_util.h"

#include <unistd.h>

/* A context and a stream "A<pid>" capturing "api<pid>.>"; NULL on failure. */
static natsrs_jetstream *setup(natsrs_connection **nc, char *stream, size_t slen, char *pfx, size_t plen) {
  char wild[80];
  snprintf(stream, slen, "A%d", (int)getpid());
  snprintf(pfx, plen, "api%d", (int)getpid());
  snprintf(wild, sizeof wild, "%s.>", pfx);
  *nc = tu_connect();
  if (!*nc) return NULL;
  natsrs_jetstream *js = NULL;
  if (natsrs_jetstream_new(*nc, NULL, &js) != NATSRS_STATUS_OK) return NULL;
  natsrs_stream_config *cfg = NULL;
  natsrs_stream_config_new(stream, &cfg);
  natsrs_stream_config_add_subject(cfg, wild);
  natsrs_stream_config_set_storage(cfg, NATSRS_STORAGE_TYPE_MEMORY);
  natsrs_status s = natsrs_jetstream_add_stream(js, cfg, NULL);
  natsrs_stream_config_free(cfg);
  if (s != NATSRS_STATUS_OK) {
    tu_fail(__FILE__, __LINE__, "add_stream: %s", natsrs_last_error_message());
    natsrs_jetstream_free(js);
    return NULL;
  }
  return js;
}

static void teardown(natsrs_connection *nc, natsrs_jetstream *js, const char *stream) {
  if (js) {
    natsrs_jetstream_delete_stream(js, stream);
    natsrs_jetstream_free(js);
  }
  if (nc) natsrs_connection_free(nc);
}

static void pub(natsrs_jetstream *js, const char *subj) {
  CHECK_OK(natsrs_jetstream_publish(js, subj, (const uint8_t *)"x", 1, NULL, NULL));
}

static void test_api_request_replies(void) {
  char stream[64], pfx[64], subj[96], op[128];
  natsrs_connection *nc = NULL;
  natsrs_jetstream *js = setup(&nc, stream, sizeof stream, pfx, sizeof pfx);
  REQUIRE(js);
  snprintf(subj, sizeof subj, "%s.a", pfx);
  pub(js, subj);
  snprintf(subj, sizeof subj, "%s.b", pfx);
  pub(js, subj);

  /* No request body, the context's timeout. */
  char *resp = NULL;
  REQUIRE_OK(natsrs_jetstream_api_request(js, "INFO", NULL, 0, &resp));
  CHECK(strstr(resp, "account_info_response") != NULL);
  natsrs_string_free(resp);

  /* Stream info with a subject filter: the per-subject counts. */
  snprintf(op, sizeof op, "STREAM.INFO.%s", stream);
  resp = NULL;
  REQUIRE_OK(natsrs_jetstream_api_request(js, op, "{\"subjects_filter\":\">\"}", 2000, &resp));
  CHECK(strstr(resp, "\"subjects\":{") != NULL); /* state.subjects: a map of counts */
  CHECK(strstr(resp, subj) != NULL);
  natsrs_string_free(resp);
  /* Without the filter there are none (only config.subjects, an array). */
  resp = NULL;
  REQUIRE_OK(natsrs_jetstream_api_request(js, op, "", 0, &resp));
  CHECK(strstr(resp, "\"subjects\":{") == NULL);
  natsrs_string_free(resp);

  /* Pause and resume a consumer (calls the typed API does not have). */
  natsrs_consumer_config *cc = NULL;
  REQUIRE_OK(natsrs_consumer_config_from_json("{\"durable_name\":\"P1\",\"ack_policy\":\"explicit\"}", &cc));
  CHECK_OK(natsrs_jetstream_add_consumer(js, stream, cc, NULL));
  natsrs_consumer_config_free(cc);
  snprintf(op, sizeof op, "CONSUMER.PAUSE.%s.P1", stream);
  resp = NULL;
  REQUIRE_OK(natsrs_jetstream_api_request(js, op, "{\"pause_until\":\"2999-01-01T00:00:00Z\"}", 0, &resp));
  CHECK(strstr(resp, "\"paused\":true") != NULL);
  natsrs_string_free(resp);
  resp = NULL;
  REQUIRE_OK(natsrs_jetstream_api_request(js, op, "{\"pause_until\":\"1970-01-01T00:00:00Z\"}", 0, &resp));
  CHECK(strstr(resp, "\"paused\":false") != NULL);
  natsrs_string_free(resp);
  teardown(nc, js, stream);
}

static void test_api_request_server_errors(void) {
  char stream[64], pfx[64], op[128];
  natsrs_connection *nc = NULL;
  natsrs_jetstream *js = setup(&nc, stream, sizeof stream, pfx, sizeof pfx);
  REQUIRE(js);
  int32_t code = 0;
  uint64_t err_code = 0;
  char *resp = NULL;

  /* 404: NOT_FOUND with the server's codes and description. */
  CHECK_STATUS(natsrs_jetstream_api_request(js, "STREAM.INFO.NO_SUCH_STREAM_X", NULL, 0, &resp), NATSRS_STATUS_NOT_FOUND);
  CHECK(resp == NULL);
  CHECK(natsrs_last_error_api(&code, &err_code));
  CHECK_EQ(code, 404);
  CHECK_EQ(err_code, 10059);
  CHECK(strstr(natsrs_last_error_message(), "stream not found") != NULL);

  snprintf(op, sizeof op, "CONSUMER.PAUSE.%s.NOPE", stream);
  CHECK_STATUS(natsrs_jetstream_api_request(js, op, "{\"pause_until\":\"2999-01-01T00:00:00Z\"}", 0, &resp),
               NATSRS_STATUS_NOT_FOUND);
  CHECK(natsrs_last_error_api(NULL, &err_code));
  CHECK_EQ(err_code, 10014);

  /* 400: JETSTREAM (a stream whose name is in use with another config). */
  char body[256];
  snprintf(body, sizeof body, "{\"name\":\"%s\",\"subjects\":[\"other%d.>\"]}", stream, (int)getpid());
  snprintf(op, sizeof op, "STREAM.CREATE.%s", stream);
  CHECK_STATUS(natsrs_jetstream_api_request(js, op, body, 0, &resp), NATSRS_STATUS_JETSTREAM);
  CHECK(natsrs_last_error_api(&code, &err_code));
  CHECK_EQ(code, 400);
  CHECK_EQ(err_code, 10058);
  /* A success clears the codes. */
  REQUIRE_OK(natsrs_jetstream_api_request(js, "INFO", NULL, 0, &resp));
  CHECK(!natsrs_last_error_api(&code, &err_code));
  natsrs_string_free(resp);
  teardown(nc, js, stream);
}

static void test_api_request_domain_and_prefix(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  char *resp = NULL;
  /* A domain no server has: nobody answers on $JS.<domain>.API.INFO. */
  natsrs_jetstream_options *o = NULL;
  REQUIRE_OK(natsrs_jetstream_options_create(&o));
  CHECK_OK(natsrs_jetstream_options_set_domain(o, "nodomain"));
  natsrs_jetstream *js = NULL;
  REQUIRE_OK(natsrs_jetstream_new(nc, o, &js));
  CHECK_STATUS(natsrs_jetstream_api_request(js, "INFO", NULL, 500, &resp), NATSRS_STATUS_NO_RESPONDERS);
  CHECK(strstr(natsrs_last_error_message(), "$JS.nodomain.API.INFO") != NULL);
  natsrs_jetstream_free(js);
  /* An explicit prefix (with a trailing dot) is used as it is. */
  CHECK_OK(natsrs_jetstream_options_set_domain(o, NULL));
  CHECK_OK(natsrs_jetstream_options_set_api_prefix(o, "$JS.API."));
  REQUIRE_OK(natsrs_jetstream_new(nc, o, &js));
  REQUIRE_OK(natsrs_jetstream_api_request(js, "INFO", NULL, 0, &resp));
  CHECK(strstr(resp, "account_info_response") != NULL);
  natsrs_string_free(resp);
  natsrs_jetstream_free(js);
  natsrs_jetstream_options_free(o);
  natsrs_connection_free(nc);
}

static void test_api_request_arguments(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  natsrs_jetstream *js = NULL;
  REQUIRE_OK(natsrs_jetstream_new(nc, NULL, &js));
  char *resp = NULL;
  CHECK_STATUS(natsrs_jetstream_api_request(NULL, "INFO", NULL, 0, &resp), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_STATUS(natsrs_jetstream_api_request(js, NULL, NULL, 0, &resp), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_STATUS(natsrs_jetstream_api_request(js, "INFO", NULL, 0, NULL), NATSRS_STATUS_NULL_PARAMETER);
  CHECK_STATUS(natsrs_jetstream_api_request(js, "", NULL, 0, &resp), NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(natsrs_jetstream_api_request(js, "STREAM..INFO", NULL, 0, &resp), NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(natsrs_jetstream_api_request(js, "STREAM.INFO.*", NULL, 0, &resp), NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(natsrs_jetstream_api_request(js, "STREAM INFO", NULL, 0, &resp), NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(natsrs_jetstream_api_request(js, "INFO", "{not json", 0, &resp), NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK(strstr(natsrs_last_error_message(), "json_request") != NULL);
  CHECK_STATUS(natsrs_jetstream_api_request(js, "INFO", NULL, -1, &resp), NATSRS_STATUS_INVALID_ARGUMENT);
  CHECK(resp == NULL);
  natsrs_jetstream_free(js);
  natsrs_connection_free(nc);
}

static const tu_test tests[] = {
    TU_TEST(test_api_request_replies),
    TU_TEST(test_api_request_server_errors),
    TU_TEST(test_api_request_domain_and_prefix),
    TU_TEST(test_api_request_arguments),
};

int main(int argc, char **argv) { return tu_main(argc, argv, tests, TU_COUNT(tests)); }
