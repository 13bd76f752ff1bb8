/*
 * test_api_extra.c - NULL/invalid arguments and basic behaviour of the API added for cluster
 * use and security: pool getters, string lists, connected url/server id, last error, force
 * reconnect, reconnect options, auth and TLS option setters.
 */
#include "test_util.h"

#define NP NATSRS_STATUS_NULL_PARAMETER
#define INVAL NATSRS_STATUS_INVALID_ARGUMENT

static const char *tok_handler(void *ud) {
  (void)ud;
  return "t";
}
static int32_t sign_handler(void *ud, const uint8_t *nonce, size_t len, uint8_t *sig) {
  (void)ud;
  (void)nonce;
  (void)len;
  memset(sig, 0, 64);
  return NATSRS_STATUS_OK;
}
static int64_t delay_handler(void *ud, natsrs_connection *nc, uint64_t attempts) {
  (void)ud;
  (void)nc;
  (void)attempts;
  return 10;
}
static int freed;
static void count_free(void *ud) {
  (void)ud;
  freed++;
}

static void test_security_setters_null_and_invalid(void) {
  natsrs_options *o = NULL;
  REQUIRE_OK(natsrs_options_new(&o));
  CHECK_STATUS(natsrs_options_set_token_handler(NULL, tok_handler, NULL, NULL), NP);
  CHECK_STATUS(natsrs_options_set_token_handler(o, NULL, NULL, NULL), NP);
  CHECK_STATUS(natsrs_options_set_nkey_seed_file(o, NULL), NP);
  CHECK_STATUS(natsrs_options_set_nkey_seed_file(o, ""), INVAL);
  CHECK_STATUS(natsrs_options_set_nkey(o, NULL, sign_handler, NULL, NULL), NP);
  CHECK_STATUS(natsrs_options_set_nkey(o, "UABC", NULL, NULL, NULL), NP);
  CHECK_STATUS(natsrs_options_set_user_credentials_file(o, NULL), NP);
  CHECK_STATUS(natsrs_options_set_user_credentials_file(o, ""), INVAL);
  CHECK_STATUS(natsrs_options_set_user_credentials_files(o, NULL, NULL), NP);
  CHECK_STATUS(natsrs_options_set_user_jwt_handler(o, NULL, sign_handler, NULL, NULL), NP);
  CHECK_STATUS(natsrs_options_set_user_jwt_handler(o, tok_handler, NULL, NULL, NULL), NP);
  CHECK_STATUS(natsrs_options_set_tls_required(NULL, true), NP);
  CHECK_STATUS(natsrs_options_set_tls_ca_file(o, NULL), NP);
  CHECK_STATUS(natsrs_options_set_tls_ca_pem(o, NULL, 10), NP);
  CHECK_STATUS(natsrs_options_set_tls_client_cert_file(o, "c.pem", NULL), NP);
  CHECK_STATUS(natsrs_options_set_tls_client_cert_pem(o, NULL, 0, (const uint8_t *)"k", 1), NP);
  CHECK_STATUS(natsrs_options_set_tls_server_name(o, NULL), NP);
  CHECK_STATUS(natsrs_options_set_tls_min_version(o, 11), INVAL);
  CHECK_STATUS(natsrs_options_set_tls_min_version(o, 14), INVAL);
  CHECK_STATUS(natsrs_options_set_tls_handshake_first(NULL, true), NP);
  CHECK_STATUS(natsrs_options_set_tls_insecure_skip_verify(NULL, true), NP);
  CHECK_STATUS(natsrs_options_set_tls_handshake_timeout_ms(o, 0), INVAL);
  CHECK_STATUS(natsrs_options_set_tls_handshake_timeout_ms(o, -1), INVAL);
  CHECK(strlen(natsrs_last_error_message()) > 0);
  CHECK_OK(natsrs_options_set_tls_min_version(o, 13));
  CHECK_OK(natsrs_options_set_tls_handshake_timeout_ms(o, 500));
  natsrs_options_free(o);
}

static void test_bad_pem_and_missing_files_fail_cleanly(void) {
  natsrs_options *o = NULL;
  natsrs_connection *nc = TU_SENTINEL;
  REQUIRE_OK(natsrs_options_new(&o));
  CHECK_OK(natsrs_options_set_url(o, tu_url()));
  CHECK_OK(natsrs_options_set_tls_ca_pem(o, TEXT("-----BEGIN CERTIFICATE-----\nnot base64\n")));
  CHECK_OK(natsrs_options_set_tls_required(o, true));
  CHECK_STATUS(natsrs_connection_connect(o, &nc), NATSRS_STATUS_TLS);
  CHECK(nc == TU_SENTINEL);
  natsrs_options_free(o);

  REQUIRE_OK(natsrs_options_new(&o));
  CHECK_OK(natsrs_options_set_url(o, tu_url()));
  CHECK_OK(natsrs_options_set_user_credentials_file(o, "/nonexistent/user.creds"));
  natsrs_status s = natsrs_connection_connect(o, &nc);
  /* The plain test server sends no nonce, so either problem may be reported first. */
  CHECK(s == NATSRS_STATUS_BAD_CREDENTIALS || s == NATSRS_STATUS_AUTHORIZATION);
  CHECK(nc == TU_SENTINEL);
  natsrs_options_free(o);
}

static void test_userdata_free_runs_once_for_security_handlers(void) {
  natsrs_options *o = NULL;
  freed = 0;
  REQUIRE_OK(natsrs_options_new(&o));
  CHECK_OK(natsrs_options_set_token_handler(o, tok_handler, NULL, count_free));
  CHECK_OK(natsrs_options_set_user_jwt_handler(o, tok_handler, sign_handler, NULL, count_free));
  CHECK_OK(natsrs_options_set_reconnect_delay_handler(o, delay_handler, NULL, count_free));
  natsrs_options_free(o);
  CHECK_EQ(freed, 3);
}

static void test_pool_getters_and_strings(void) {
  natsrs_options *o = NULL;
  natsrs_connection *nc = NULL;
  natsrs_strings *list = TU_SENTINEL;
  REQUIRE_OK(natsrs_options_new(&o));
  CHECK_OK(natsrs_options_set_url(o, tu_url()));
  CHECK_OK(natsrs_options_set_reconnect_jitter_ms(o, 10, 20));
  CHECK_STATUS(natsrs_options_set_reconnect_jitter_ms(o, -1, 20), INVAL);
  CHECK_STATUS(natsrs_options_set_max_reconnect(o, -2), INVAL);
  CHECK_OK(natsrs_options_set_max_reconnect(o, -1));
  CHECK_OK(natsrs_options_set_ignore_discovered_servers(o, true));
  CHECK_OK(natsrs_options_set_retry_on_failed_connect(o, false));
  CHECK_STATUS(natsrs_options_set_fail_requests_on_disconnect(NULL, true), NP);
  CHECK_OK(natsrs_options_set_fail_requests_on_disconnect(o, true));
  REQUIRE_OK(natsrs_connection_connect(o, &nc));
  natsrs_options_free(o);

  CHECK_STATUS(natsrs_connection_servers(NULL, &list), NP);
  CHECK_STATUS(natsrs_connection_servers(nc, NULL), NP);
  CHECK(list == TU_SENTINEL);
  REQUIRE_OK(natsrs_connection_servers(nc, &list));
  CHECK_EQ(natsrs_strings_count(list), 1);
  CHECK(strncmp(natsrs_strings_get(list, 0), "nats://", 7) == 0);
  CHECK(natsrs_strings_get(list, 1) == NULL);
  natsrs_strings_free(list);
  REQUIRE_OK(natsrs_connection_discovered_servers(nc, &list));
  CHECK_EQ(natsrs_strings_count(list), 0);
  natsrs_strings_free(list);
  CHECK_EQ(natsrs_strings_count(NULL), 0);
  CHECK(natsrs_strings_get(NULL, 0) == NULL);
  natsrs_strings_free(NULL);

  char buf[256];
  CHECK_OK(natsrs_connection_connected_url(nc, buf, sizeof buf));
  CHECK_STR(buf, tu_url());
  CHECK_STATUS(natsrs_connection_connected_url(nc, buf, 3), NATSRS_STATUS_BUFFER_TOO_SMALL);
  CHECK_STATUS(natsrs_connection_connected_url(nc, NULL, 10), NP);
  CHECK_OK(natsrs_connection_connected_server_id(nc, buf, sizeof buf));
  CHECK(strlen(buf) > 10);
  natsrs_status last = NATSRS_STATUS_PANIC;
  CHECK_OK(natsrs_connection_last_error(nc, &last, buf, sizeof buf));
  CHECK_EQ(last, NATSRS_STATUS_OK);
  CHECK_STATUS(natsrs_connection_last_error(nc, NULL, NULL, 0), NP);
  CHECK_STATUS(natsrs_connection_force_reconnect(NULL), NP);

  /* A forced reconnect comes back to the same (only) server. */
  CHECK_OK(natsrs_connection_force_reconnect(nc));
  int64_t end = tu_now_ms() + 10000;
  natsrs_statistics st;
  do {
    tu_sleep_ms(20);
    REQUIRE_OK(natsrs_connection_stats(nc, &st));
  } while (st.reconnects == 0 && tu_now_ms() < end);
  CHECK_EQ(st.reconnects, 1);
  end = tu_now_ms() + 10000;
  while (natsrs_connection_status_get(nc) != NATSRS_CONNECTION_STATUS_CONNECTED && tu_now_ms() < end)
    tu_sleep_ms(10);
  CHECK_OK(natsrs_connection_flush(nc, 5000));
  CHECK_OK(natsrs_connection_close(nc));
  CHECK_STATUS(natsrs_connection_force_reconnect(nc), NATSRS_STATUS_CONNECTION_CLOSED);
  CHECK_STATUS(natsrs_connection_connected_url(nc, buf, sizeof buf), NATSRS_STATUS_NOT_CONNECTED);
  natsrs_connection_free(nc);
}

static const tu_test tests[] = {
    TU_TEST(test_security_setters_null_and_invalid),
    TU_TEST(test_bad_pem_and_missing_files_fail_cleanly),
    TU_TEST(test_userdata_free_runs_once_for_security_handlers),
    TU_TEST(test_pool_getters_and_strings),
};

int main(int argc, char **argv) { return tu_main(argc, argv, tests, TU_COUNT(tests)); }
