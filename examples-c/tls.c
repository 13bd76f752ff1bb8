/*
 * tls.c - a TLS connection with a private root CA and a client certificate
 * (mutual TLS).
 *
 * Shows: natsrs_options_set_tls_ca_file (trust this CA instead of the system
 * roots), natsrs_options_set_tls_client_cert_file (the certificate the server
 * asks for when it is configured with `verify: true`), a tls:// URL (TLS on,
 * and the certificate must match the URL's host, here the IP 127.0.0.1),
 * natsrs_options_set_tls_handshake_timeout_ms, the server info of the TLS
 * connection, a publish/subscribe round trip over it, and what the server
 * says when the client certificate is missing (NATSRS_STATUS_TLS).
 *
 * Environment:
 *   NATS_TLS_URL    e.g. tls://127.0.0.1:4443 (when unset the example only
 *                   prints how to run it, "skipped", and exits 77)
 *   NATS_CA_FILE    root CA (PEM) that signed the server certificate
 *   NATS_CERT_FILE  client certificate (PEM)  } both or neither; needed when
 *   NATS_KEY_FILE   client private key (PEM)  } the server verifies clients
 *
 * Run (test material and server config from the generator):
 *   cargo run --release --example gen_test_pki -- /tmp/pki
 *   nats-server -c /tmp/pki/tls.conf -p 4443 &
 *   NATS_TLS_URL=tls://127.0.0.1:4443 NATS_CA_FILE=/tmp/pki/ca.pem \
 *   NATS_CERT_FILE=/tmp/pki/client-cert.pem NATS_KEY_FILE=/tmp/pki/client-key.pem \
 *     ./build/tls
 */
#include "example.h"

#define SUBJECT "examples.tls"

static const char *env(const char *name) {
  const char *v = getenv(name);
  return (v && *v) ? v : NULL;
}

/* Options shared by both connection attempts. */
static natsrs_options *tls_options(const char *url, const char *ca_file) {
  natsrs_options *opts = NULL;
  CHECK(natsrs_options_new(&opts));
  CHECK(natsrs_options_set_url(opts, url));
  CHECK(natsrs_options_set_name(opts, "natsrs tls example"));
  if (ca_file)
    CHECK(natsrs_options_set_tls_ca_file(opts, ca_file));
  /* tls:// already turns TLS on; this also makes nats:// URLs use TLS. */
  CHECK(natsrs_options_set_tls_required(opts, true));
  /* A stuck handshake fails after 2 s instead of hanging (also on reconnect). */
  CHECK(natsrs_options_set_tls_handshake_timeout_ms(opts, 2000));
  CHECK(natsrs_options_set_max_reconnect(opts, 0)); /* a demo: fail fast */
  return opts;
}

static void print_server_info(natsrs_connection *nc) {
  natsrs_server_info *si = NULL;
  CHECK(natsrs_connection_server_info(nc, &si));
  const char *json = natsrs_server_info_json(si);
  printf("Server info:\n");
  printf("  connected url : %s\n", natsrs_server_info_connected_url(si));
  printf("  server id     : %s\n", natsrs_server_info_server_id(si));
  printf("  server name   : %s\n", natsrs_server_info_server_name(si));
  printf("  version       : %s\n", natsrs_server_info_version(si));
  printf("  max payload   : %lld\n", (long long)natsrs_server_info_max_payload(si));
  printf("  tls_required  : %s\n", strstr(json, "\"tls_required\":true") ? "yes" : "no");
  printf("  tls_verify    : %s (client certificates checked)\n",
         strstr(json, "\"tls_verify\":true") ? "yes" : "no");
  natsrs_server_info_free(si);
}

int main(void) {
  const char *url = env("NATS_TLS_URL");
  const char *ca_file = env("NATS_CA_FILE");
  const char *cert_file = env("NATS_CERT_FILE");
  const char *key_file = env("NATS_KEY_FILE");

  if (!url) {
    printf("tls: NATS_TLS_URL is not set: nothing to do.\n"
           "  Start a TLS server and set NATS_TLS_URL, NATS_CA_FILE, NATS_CERT_FILE and\n"
           "  NATS_KEY_FILE, e.g.:\n"
           "    cargo run --release --example gen_test_pki -- /tmp/pki\n"
           "    nats-server -c /tmp/pki/tls.conf -p 4443 &\n"
           "    NATS_TLS_URL=tls://127.0.0.1:4443 NATS_CA_FILE=/tmp/pki/ca.pem \\\n"
           "    NATS_CERT_FILE=/tmp/pki/client-cert.pem NATS_KEY_FILE=/tmp/pki/client-key.pem \\\n"
           "      ./build/tls\n"
           "tls: skipped\n");
    return EXAMPLE_SKIPPED;
  }
  EXPECT(!cert_file == !key_file, "set both NATS_CERT_FILE and NATS_KEY_FILE, or neither");

  /* 1. Mutual TLS: trust our CA and present the client certificate. */
  natsrs_options *opts = tls_options(url, ca_file);
  if (cert_file)
    CHECK(natsrs_options_set_tls_client_cert_file(opts, cert_file, key_file));

  natsrs_connection *nc = NULL;
  printf("Connecting to %s (CA %s, client certificate %s)\n", url,
         ca_file ? ca_file : "<system roots>", cert_file ? cert_file : "<none>");
  CHECK(natsrs_connection_connect(opts, &nc));
  print_server_info(nc);

  natsrs_subscription *sub = NULL;
  CHECK(natsrs_connection_subscribe_sync(nc, SUBJECT, &sub));
  printf("Publishing 'hello over TLS' to '%s'\n", SUBJECT);
  CHECK(natsrs_connection_publish(nc, SUBJECT, TEXT("hello over TLS")));
  natsrs_msg *msg = NULL;
  CHECK(natsrs_subscription_next_msg(sub, 5000, &msg));
  print_msg("Received", msg);
  EXPECT(msg_is(msg, "hello over TLS"), "unexpected payload");
  natsrs_msg_free(msg);

  double rtt = 0;
  CHECK(natsrs_connection_rtt(nc, &rtt));
  printf("RTT over TLS: %.3f ms\n", rtt);

  natsrs_subscription_free(sub);
  CHECK(natsrs_connection_close(nc));
  natsrs_connection_free(nc);
  natsrs_options_free(opts);

  /* 2. The same without a client certificate: a server with `verify: true`
   *    refuses the handshake. The status is NATSRS_STATUS_TLS and the message
   *    says why. (Skipped when no client certificate was given: then the
   *    server presumably does not ask for one.) */
  if (cert_file) {
    opts = tls_options(url, ca_file);
    nc = NULL;
    printf("Connecting again without a client certificate\n");
    natsrs_status s = natsrs_connection_connect(opts, &nc);
    printf("  -> refused, status %s\n     message: %s\n", natsrs_status_str(s),
         natsrs_last_error_message());
    EXPECT(s == NATSRS_STATUS_TLS, "expected NATSRS_STATUS_TLS without a client certificate, got %s",
           natsrs_status_str(s));
    EXPECT(nc == NULL, "no connection expected on failure");
    natsrs_options_free(opts);
  }

  printf("tls: OK\n");
  return 0;
}
