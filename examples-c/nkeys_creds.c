/*
 * nkeys_creds.c - authenticate with an nkey seed file and with a creds file,
 * and what wrong credentials look like.
 *
 * Shows:
 *   (a) natsrs_options_set_nkey_seed_file: the server sends a nonce, the
 *       library signs it with the user nkey seed (the file may hold comments
 *       and blank lines; it is read on every connect and reconnect, and the
 *       seed is wiped from memory after signing). Server side:
 *       authorization { users = [ { nkey: U... } ] }.
 *   (b) natsrs_options_set_user_credentials_file: a decorated creds file
 *       (user JWT + seed) for a server in operator (JWT) mode.
 *   (c) failures: a credential the server does not accept gives
 *       NATSRS_STATUS_AUTHORIZATION ("Authorization Violation"), a file that
 *       is not a creds file gives NATSRS_STATUS_BAD_CREDENTIALS (checked
 *       before anything is sent). A user JWT that expires while connected
 *       gives NATSRS_STATUS_AUTH_EXPIRED through the error/disconnected
 *       handlers (not shown here).
 * Each part does a request/reply round trip on its authenticated connection.
 *
 * Environment (a part whose variables are unset is skipped, and the example
 * then exits 77, "skipped"; with none set it only prints how to run it):
 *   NATS_NKEY_URL, NATS_NKEY_SEED_FILE    part (a), e.g. nats://127.0.0.1:4225
 *   NATS_CREDS_URL, NATS_CREDS_FILE       part (b), e.g. nats://127.0.0.1:4226
 *
 * Run (test material and server configs from the generator):
 *   cargo run --release --example gen_test_pki -- /tmp/pki
 *   nats-server -c /tmp/pki/nkey.conf -p 4225 &
 *   nats-server -c /tmp/pki/operator.conf -p 4226 &
 *   NATS_NKEY_URL=nats://127.0.0.1:4225 NATS_NKEY_SEED_FILE=/tmp/pki/user.nk \
 *   NATS_CREDS_URL=nats://127.0.0.1:4226 NATS_CREDS_FILE=/tmp/pki/user.creds \
 *     ./build/nkeys_creds
 */
#include "example.h"

#include <unistd.h> /* write, close, unlink */

#define SUBJECT "examples.auth"

static const char *env(const char *name) {
  const char *v = getenv(name);
  return (v && *v) ? v : NULL;
}

static natsrs_options *base_options(const char *url) {
  natsrs_options *opts = NULL;
  CHECK(natsrs_options_new(&opts));
  CHECK(natsrs_options_set_url(opts, url));
  CHECK(natsrs_options_set_name(opts, "natsrs nkeys/creds example"));
  CHECK(natsrs_options_set_connect_timeout_ms(opts, 3000));
  return opts;
}

static void responder(void *userdata, natsrs_subscription *sub, const natsrs_msg *msg) {
  const char *who = userdata;
  (void)sub;
  print_msg("  Responder got request", msg);
  CHECK(natsrs_msg_respond(msg, TEXT(who)));
}

/* Connects with opts, answers one request on the same connection, closes. */
static void round_trip(const char *part, natsrs_options *opts, const char *answer) {
  natsrs_connection *nc = NULL;
  CHECK(natsrs_connection_connect(opts, &nc));
  char url[256];
  CHECK(natsrs_connection_connected_url(nc, url, sizeof url));
  printf("  connected to %s\n", url);

  natsrs_subscription *sub = NULL;
  CHECK(natsrs_connection_subscribe(nc, SUBJECT, responder, (void *)answer, NULL, &sub));
  CHECK(natsrs_connection_flush(nc, 2000)); /* the server knows the subscription */

  natsrs_msg *reply = NULL;
  CHECK(natsrs_connection_request(nc, SUBJECT, TEXT("who are you?"), 2000, &reply));
  print_msg("  Got reply", reply);
  EXPECT(msg_is(reply, answer), "%s: expected reply '%s'", part, answer);
  natsrs_msg_free(reply);

  natsrs_subscription_free(sub);
  CHECK(natsrs_connection_close(nc));
  natsrs_connection_free(nc);
  printf("  %s: OK\n", part);
}

/* Expects the connect with opts to fail with status want. */
static void expect_refused(natsrs_options *opts, natsrs_status want) {
  natsrs_connection *nc = NULL;
  natsrs_status s = natsrs_connection_connect(opts, &nc);
  printf("  -> refused, status %s\n     message: %s\n", natsrs_status_str(s),
         natsrs_last_error_message());
  EXPECT(s == want, "expected %s, got %s", natsrs_status_str(want),
         natsrs_status_str(s));
  EXPECT(nc == NULL, "no connection expected on failure");
}

/* Writes text into a new temp file; the path goes to path (size >= 64). */
static void temp_file(char *path, size_t size, const char *text) {
  const char *dir = env("TMPDIR");
  snprintf(path, size, "%s/natsrs-bad-creds-XXXXXX", dir ? dir : "/tmp");
  int fd = mkstemp(path);
  EXPECT(fd >= 0, "mkstemp(%s) failed", path);
  size_t n = strlen(text);
  EXPECT(write(fd, text, n) == (ssize_t)n, "write %s failed", path);
  close(fd);
}

int main(void) {
  const char *nkey_url = env("NATS_NKEY_URL");
  const char *seed_file = env("NATS_NKEY_SEED_FILE");
  const char *creds_url = env("NATS_CREDS_URL");
  const char *creds_file = env("NATS_CREDS_FILE");
  bool do_nkey = nkey_url && seed_file;
  bool do_creds = creds_url && creds_file;

  if (!do_nkey && !do_creds) {
    printf("nkeys_creds: NATS_NKEY_URL/NATS_NKEY_SEED_FILE and NATS_CREDS_URL/NATS_CREDS_FILE\n"
           "  are not set: nothing to do. E.g.:\n"
           "    cargo run --release --example gen_test_pki -- /tmp/pki\n"
           "    nats-server -c /tmp/pki/nkey.conf -p 4225 &\n"
           "    nats-server -c /tmp/pki/operator.conf -p 4226 &\n"
           "    NATS_NKEY_URL=nats://127.0.0.1:4225 NATS_NKEY_SEED_FILE=/tmp/pki/user.nk \\\n"
           "    NATS_CREDS_URL=nats://127.0.0.1:4226 NATS_CREDS_FILE=/tmp/pki/user.creds \\\n"
           "      ./build/nkeys_creds\n"
           "nkeys_creds: skipped\n");
    return EXAMPLE_SKIPPED;
  }

  /* (a) nkey seed file */
  if (do_nkey) {
    printf("(a) nkey seed file %s -> %s\n", seed_file, nkey_url);
    natsrs_options *opts = base_options(nkey_url);
    CHECK(natsrs_options_set_nkey_seed_file(opts, seed_file));
    round_trip("nkey", opts, "nkey user");
    natsrs_options_free(opts);
  } else {
    printf("(a) skipped: set NATS_NKEY_URL and NATS_NKEY_SEED_FILE\n");
  }

  /* (b) creds file (user JWT + seed) against an operator-mode server */
  if (do_creds) {
    printf("(b) creds file %s -> %s\n", creds_file, creds_url);
    natsrs_options *opts = base_options(creds_url);
    CHECK(natsrs_options_set_user_credentials_file(opts, creds_file));
    round_trip("creds", opts, "JWT user");
    natsrs_options_free(opts);
  } else {
    printf("(b) skipped: set NATS_CREDS_URL and NATS_CREDS_FILE\n");
  }

  /* (c1) a valid credential the server does not know: the user of the nkey
   *      seed has no JWT, so the operator-mode server refuses it (or, with only
   *      the nkey server, the creds user is not in its users list). */
  if (creds_url && seed_file) {
    printf("(c) the nkey seed (no JWT) -> operator-mode server %s\n", creds_url);
    natsrs_options *opts = base_options(creds_url);
    CHECK(natsrs_options_set_nkey_seed_file(opts, seed_file));
    expect_refused(opts, NATSRS_STATUS_AUTHORIZATION);
    natsrs_options_free(opts);
  } else if (nkey_url && creds_file) {
    printf("(c) the creds user -> nkey server %s (not in its users list)\n", nkey_url);
    natsrs_options *opts = base_options(nkey_url);
    CHECK(natsrs_options_set_user_credentials_file(opts, creds_file));
    expect_refused(opts, NATSRS_STATUS_AUTHORIZATION);
    natsrs_options_free(opts);
  }

  /* (c2) a file that is not a creds file: refused by the library itself. */
  {
    const char *url = do_creds ? creds_url : nkey_url;
    char path[512];
    temp_file(path, sizeof path, "this is not a creds file\nno JWT, no seed\n");
    printf("(c) a broken creds file (%s) -> %s\n", path, url);
    natsrs_options *opts = base_options(url);
    natsrs_status s = natsrs_options_set_user_credentials_file(opts, path);
    if (s == NATSRS_STATUS_OK) {
      expect_refused(opts, NATSRS_STATUS_BAD_CREDENTIALS);
    } else { /* a setter that checks the file at once is fine too */
      printf("  -> refused, status %s\n     message: %s\n", natsrs_status_str(s),
         natsrs_last_error_message());
      EXPECT(s == NATSRS_STATUS_BAD_CREDENTIALS, "expected BAD_CREDENTIALS, got %s",
             natsrs_status_str(s));
    }
    natsrs_options_free(opts);
    unlink(path);
  }

  if (!do_nkey || !do_creds) {
    printf("nkeys_creds: part skipped (see above)\n");
    return EXAMPLE_SKIPPED;
  }
  printf("nkeys_creds: OK\n");
  return 0;
}
