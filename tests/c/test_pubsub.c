/*
 * test_pubsub.c - publish/subscribe against a real server: exact payloads,
 * max_payload, queue groups, wildcards, (auto-)unsubscribe, batched next_msgs,
 * flush/rtt/stats/server info and connection options.
 */
#include "test_util.h"

/* Takes one message from a sync sub and checks subject, reply and payload. */
static void expect_msg(natsrs_subscription *sub, const char *subject, const char *reply,
                       const uint8_t *data, size_t len) {
  natsrs_msg *m = NULL;
  REQUIRE_OK(natsrs_subscription_next_msg(sub, 5000, &m));
  CHECK_STR(natsrs_msg_subject(m), subject);
  if (reply)
    CHECK_STR(natsrs_msg_reply(m), reply);
  else
    CHECK(natsrs_msg_reply(m) == NULL);
  CHECK_EQ(natsrs_msg_data_len(m), len);
  if (natsrs_msg_data_len(m) == len && len > 0)
    CHECK(memcmp(natsrs_msg_data(m), data, len) == 0);
  CHECK_EQ(natsrs_msg_status_code(m), 0);
  natsrs_msg_free(m);
}

static void expect_nothing(natsrs_subscription *sub, int64_t ms) {
  natsrs_msg *m = NULL;
  natsrs_status s = natsrs_subscription_next_msg(sub, ms, &m);
  if (s == NATSRS_STATUS_OK) {
    tu_fail(__FILE__, __LINE__, "unexpected message on %s: subject %s, %zu bytes",
            natsrs_subscription_subject(sub), natsrs_msg_subject(m), natsrs_msg_data_len(m));
    natsrs_msg_free(m);
  } else {
    CHECK_STATUS(s, NATSRS_STATUS_TIMEOUT);
  }
}

static void test_roundtrip_exact_payloads(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  char subj[200];
  tu_subject(subj, sizeof subj, "p");
  natsrs_subscription *sub = NULL;
  REQUIRE_OK(natsrs_connection_subscribe_sync(nc, subj, &sub));

  uint8_t binary[256];
  for (int i = 0; i < 256; i++)
    binary[i] = (uint8_t)i;
  const char *fake_frame = "\r\nMSG x 1 3\r\nabc\r\nPING\r\n";
  const uint8_t empty_but_non_null[1] = {0};

  CHECK_OK(natsrs_connection_publish(nc, subj, TEXT("hello")));
  CHECK_OK(natsrs_connection_publish(nc, subj, binary, sizeof binary));
  CHECK_OK(natsrs_connection_publish(nc, subj, TEXT(fake_frame)));
  CHECK_OK(natsrs_connection_publish(nc, subj, NULL, 0));
  CHECK_OK(natsrs_connection_publish(nc, subj, empty_but_non_null, 0));
  CHECK_OK(natsrs_connection_publish_request(nc, subj, "my.reply.subject", TEXT("with reply")));

  expect_msg(sub, subj, NULL, (const uint8_t *)"hello", 5);
  expect_msg(sub, subj, NULL, binary, sizeof binary);
  expect_msg(sub, subj, NULL, (const uint8_t *)fake_frame, strlen(fake_frame));
  expect_msg(sub, subj, NULL, NULL, 0);
  expect_msg(sub, subj, NULL, NULL, 0);
  expect_msg(sub, subj, "my.reply.subject", (const uint8_t *)"with reply", 10);
  expect_nothing(sub, 100);

  natsrs_subscription_free(sub);
  natsrs_connection_free(nc);
}

/* async delivery: the callback clones the borrowed message and keeps it */
typedef struct kept {
  tu_counter count;
  natsrs_msg *msgs[16];
} kept;

static void keep_msg(void *ud, natsrs_subscription *sub, const natsrs_msg *msg) {
  kept *k = ud;
  (void)sub;
  int64_t i = tu_counter_get(&k->count);
  if (i < 16 && natsrs_msg_clone(msg, &k->msgs[i]) == NATSRS_STATUS_OK)
    tu_counter_add(&k->count, 1);
}

static void test_async_roundtrip_and_clone(void) {
  natsrs_connection *pub = tu_connect();
  natsrs_connection *nc = tu_connect();
  REQUIRE(pub && nc);
  char subj[200];
  tu_subject(subj, sizeof subj, "a");
  kept k;
  memset(&k, 0, sizeof k);
  tu_counter_init(&k.count);
  natsrs_subscription *sub = NULL;
  REQUIRE_OK(natsrs_connection_subscribe(nc, subj, keep_msg, &k, NULL, &sub));
  CHECK_OK(natsrs_connection_flush(nc, 5000));
  for (int i = 0; i < 10; i++) {
    uint8_t data[3] = {(uint8_t)i, 0, (uint8_t)(255 - i)};
    CHECK_OK(natsrs_connection_publish(pub, subj, data, sizeof data));
  }
  CHECK_EQ(tu_counter_wait(&k.count, 10, 5000), 10);
  natsrs_subscription_free(sub);
  for (int i = 0; i < 10 && i < tu_counter_get(&k.count); i++) {
    const uint8_t *d = natsrs_msg_data(k.msgs[i]);
    CHECK_EQ(natsrs_msg_data_len(k.msgs[i]), 3);
    CHECK_STR(natsrs_msg_subject(k.msgs[i]), subj);
    if (d)
      CHECK(d[0] == i && d[1] == 0 && d[2] == 255 - i); /* in order */
    natsrs_msg_free(k.msgs[i]);
  }
  tu_counter_destroy(&k.count);
  natsrs_connection_free(nc);
  natsrs_connection_free(pub);
}

static void test_max_payload(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  char subj[200];
  tu_subject(subj, sizeof subj, "big");
  int64_t max = 0;
  REQUIRE_OK(natsrs_connection_max_payload(nc, &max));
  CHECK(max >= 1024 * 1024); /* server default: 1 MiB */
  size_t one_mib = 1024 * 1024;
  uint8_t *data = malloc((size_t)max + 1);
  REQUIRE(data);
  for (int64_t i = 0; i <= max; i++)
    data[i] = (uint8_t)(i * 7 + (i >> 8));

  natsrs_subscription *sub = NULL;
  if (natsrs_connection_subscribe_sync(nc, subj, &sub) != NATSRS_STATUS_OK) {
    tu_fail(__FILE__, __LINE__, "subscribe_sync failed");
    free(data);
    natsrs_connection_free(nc);
    return;
  }
  CHECK_OK(natsrs_connection_publish(nc, subj, data, one_mib));
  expect_msg(sub, subj, NULL, data, one_mib);
  CHECK_OK(natsrs_connection_publish(nc, subj, data, (size_t)max)); /* exactly the limit */
  expect_msg(sub, subj, NULL, data, (size_t)max);

  /* one byte over: refused on the client, connection stays usable */
  CHECK_STATUS(natsrs_connection_publish(nc, subj, data, (size_t)max + 1),
               NATSRS_STATUS_MAX_PAYLOAD);
  natsrs_msg *m = NULL;
  if (natsrs_msg_create(subj, NULL, data, (size_t)max + 1, &m) == NATSRS_STATUS_OK) {
    CHECK_STATUS(natsrs_connection_publish_msg(nc, m), NATSRS_STATUS_MAX_PAYLOAD);
    natsrs_msg_free(m);
  }
  natsrs_msg *reply = TU_SENTINEL;
  CHECK_STATUS(natsrs_connection_request(nc, subj, data, (size_t)max + 1, 1000, &reply),
               NATSRS_STATUS_MAX_PAYLOAD);
  CHECK(reply == TU_SENTINEL);
  CHECK_OK(natsrs_connection_publish(nc, subj, TEXT("after")));
  expect_msg(sub, subj, NULL, (const uint8_t *)"after", 5);
  CHECK_EQ(natsrs_connection_status_get(nc), NATSRS_CONNECTION_STATUS_CONNECTED);

  free(data);
  natsrs_subscription_free(sub);
  natsrs_connection_free(nc);
}

/* ---- queue groups ---- */

#define QMEMBERS 4
#define QMSGS 400

typedef struct qstate {
  pthread_mutex_t mu;
  int seen[QMSGS];
  int per_member[QMEMBERS + 1];
  tu_counter total;
} qstate;

typedef struct qmember {
  qstate *st;
  int id;
} qmember;

static void on_queue_msg(void *ud, natsrs_subscription *sub, const natsrs_msg *msg) {
  qmember *m = ud;
  (void)sub;
  int idx = -1;
  if (natsrs_msg_data_len(msg) < 16) {
    char buf[16] = {0};
    memcpy(buf, natsrs_msg_data(msg), natsrs_msg_data_len(msg));
    idx = atoi(buf);
  }
  pthread_mutex_lock(&m->st->mu);
  if (idx >= 0 && idx < QMSGS)
    m->st->seen[idx]++;
  m->st->per_member[m->id]++;
  pthread_mutex_unlock(&m->st->mu);
  tu_counter_add(&m->st->total, 1);
}

static void test_queue_group_distribution(void) {
  natsrs_connection *nc = tu_connect();
  natsrs_connection *nc2 = tu_connect();
  REQUIRE(nc && nc2);
  char subj[200];
  tu_subject(subj, sizeof subj, "jobs");
  static qstate st; /* large; keep off the stack */
  memset(&st, 0, sizeof st);
  pthread_mutex_init(&st.mu, NULL);
  tu_counter_init(&st.total);
  qmember members[QMEMBERS];
  natsrs_subscription *subs[QMEMBERS] = {0};
  for (int i = 0; i < QMEMBERS; i++) {
    members[i] = (qmember){&st, i};
    /* members on two different connections */
    CHECK_OK(natsrs_connection_queue_subscribe(i % 2 ? nc2 : nc, subj, "workers", on_queue_msg,
                                               &members[i], NULL, &subs[i]));
    if (subs[i])
      CHECK_STR(natsrs_subscription_queue(subs[i]), "workers");
  }
  /* a plain subscriber sees everything */
  natsrs_subscription *all = NULL;
  CHECK_OK(natsrs_connection_subscribe_sync(nc2, subj, &all));
  CHECK_OK(natsrs_connection_flush(nc, 5000));
  CHECK_OK(natsrs_connection_flush(nc2, 5000));

  for (int i = 0; i < QMSGS; i++) {
    char buf[16];
    snprintf(buf, sizeof buf, "%d", i);
    CHECK_OK(natsrs_connection_publish(nc, subj, TEXT(buf)));
  }
  CHECK_EQ(tu_counter_wait(&st.total, QMSGS, 10000), QMSGS);
  CHECK_OK(natsrs_connection_flush(nc, 5000));
  CHECK_OK(natsrs_connection_flush(nc2, 5000));
  for (int i = 0; i < QMEMBERS; i++)
    natsrs_subscription_free(subs[i]);
  CHECK_EQ(tu_counter_get(&st.total), QMSGS);
  int dup = 0, missing = 0;
  for (int i = 0; i < QMSGS; i++) {
    if (st.seen[i] == 0)
      missing++;
    if (st.seen[i] > 1)
      dup++;
  }
  CHECK_EQ(dup, 0);
  CHECK_EQ(missing, 0);
  for (int i = 0; i < QMEMBERS; i++) {
    printf("    member %d got %d\n", i, st.per_member[i]);
    CHECK(st.per_member[i] > 0);
  }
  int plain = 0;
  natsrs_msg *m = NULL;
  while (plain < QMSGS && natsrs_subscription_next_msg(all, 5000, &m) == NATSRS_STATUS_OK) {
    natsrs_msg_free(m);
    plain++;
  }
  CHECK_EQ(plain, QMSGS);
  natsrs_subscription_free(all);
  tu_counter_destroy(&st.total);
  pthread_mutex_destroy(&st.mu);
  natsrs_connection_free(nc);
  natsrs_connection_free(nc2);
}

static void test_queue_group_sync(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  char subj[200];
  tu_subject(subj, sizeof subj, "q");
  natsrs_subscription *a = NULL, *b = NULL;
  REQUIRE_OK(natsrs_connection_queue_subscribe_sync(nc, subj, "grp", &a));
  REQUIRE_OK(natsrs_connection_queue_subscribe_sync(nc, subj, "grp", &b));
  CHECK_STR(natsrs_subscription_queue(a), "grp");
  CHECK(natsrs_subscription_sid(a) != natsrs_subscription_sid(b));
  for (int i = 0; i < 100; i++)
    CHECK_OK(natsrs_connection_publish(nc, subj, TEXT("x")));
  CHECK_OK(natsrs_connection_flush(nc, 5000));
  int64_t pa = 0, pb = 0, bytes = 0;
  CHECK_OK(natsrs_subscription_pending(a, &pa, &bytes));
  CHECK_OK(natsrs_subscription_pending(b, &pb, &bytes));
  CHECK_EQ(pa + pb, 100);
  natsrs_subscription_free(a);
  natsrs_subscription_free(b);
  natsrs_connection_free(nc);
}

/* ---- wildcards ---- */

static void expect_subjects(natsrs_subscription *sub, const char *const *want, size_t n) {
  for (size_t i = 0; i < n; i++) {
    natsrs_msg *m = NULL;
    natsrs_status s = natsrs_subscription_next_msg(sub, 5000, &m);
    if (s != NATSRS_STATUS_OK) {
      tu_fail(__FILE__, __LINE__, "%s: expected %s, got status %s",
              natsrs_subscription_subject(sub), want[i], natsrs_status_str(s));
      return;
    }
    CHECK_STR(natsrs_msg_subject(m), want[i]);
    natsrs_msg_free(m);
  }
  expect_nothing(sub, 100);
}

static void test_wildcards(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  char base[160], p_star[200], p_gt[200], p_star_c[200], p_a_gt[200];
  tu_subject(base, sizeof base, "w");
  snprintf(p_star, sizeof p_star, "%s.*", base);
  snprintf(p_gt, sizeof p_gt, "%s.>", base);
  snprintf(p_star_c, sizeof p_star_c, "%s.*.c", base);
  snprintf(p_a_gt, sizeof p_a_gt, "%s.a.>", base);
  natsrs_subscription *star = NULL, *gt = NULL, *star_c = NULL, *a_gt = NULL;
  REQUIRE_OK(natsrs_connection_subscribe_sync(nc, p_star, &star));
  REQUIRE_OK(natsrs_connection_subscribe_sync(nc, p_gt, &gt));
  REQUIRE_OK(natsrs_connection_subscribe_sync(nc, p_star_c, &star_c));
  REQUIRE_OK(natsrs_connection_subscribe_sync(nc, p_a_gt, &a_gt));
  CHECK_STR(natsrs_subscription_subject(gt), p_gt);

  char s_a[200], s_b[200], s_ac[200], s_abc[200];
  snprintf(s_a, sizeof s_a, "%s.a", base);
  snprintf(s_b, sizeof s_b, "%s.b", base);
  snprintf(s_ac, sizeof s_ac, "%s.a.c", base);
  snprintf(s_abc, sizeof s_abc, "%s.a.b.c", base);
  const char *order[] = {base, s_a, s_b, s_ac, s_abc};
  for (size_t i = 0; i < TU_COUNT(order); i++)
    CHECK_OK(natsrs_connection_publish(nc, order[i], TEXT("w")));
  CHECK_OK(natsrs_connection_flush(nc, 5000));

  const char *want_star[] = {s_a, s_b};
  const char *want_gt[] = {s_a, s_b, s_ac, s_abc};
  const char *want_star_c[] = {s_ac};
  const char *want_a_gt[] = {s_ac, s_abc};
  expect_subjects(star, want_star, TU_COUNT(want_star));
  expect_subjects(gt, want_gt, TU_COUNT(want_gt));
  expect_subjects(star_c, want_star_c, TU_COUNT(want_star_c));
  expect_subjects(a_gt, want_a_gt, TU_COUNT(want_a_gt));
  natsrs_subscription_free(star);
  natsrs_subscription_free(gt);
  natsrs_subscription_free(star_c);
  natsrs_subscription_free(a_gt);
  natsrs_connection_free(nc);
}

/* ---- auto-unsubscribe and unsubscribe ---- */

static void count_msg(void *ud, natsrs_subscription *sub, const natsrs_msg *msg) {
  (void)sub;
  (void)msg;
  tu_counter_add(ud, 1);
}

static void test_auto_unsubscribe_sync(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  char subj[200];
  tu_subject(subj, sizeof subj, "auto");
  natsrs_subscription *sub = NULL;
  REQUIRE_OK(natsrs_connection_subscribe_sync(nc, subj, &sub));
  CHECK_OK(natsrs_subscription_auto_unsubscribe(sub, 5));
  for (int i = 0; i < 20; i++)
    CHECK_OK(natsrs_connection_publish(nc, subj, TEXT("x")));
  CHECK_OK(natsrs_connection_flush(nc, 5000));
  int got = 0;
  natsrs_msg *m = NULL;
  natsrs_status s;
  while ((s = natsrs_subscription_next_msg(sub, 500, &m)) == NATSRS_STATUS_OK) {
    natsrs_msg_free(m);
    got++;
    if (got > 20)
      break;
  }
  CHECK_EQ(got, 5);
  printf("    next_msg after the limit: %s\n", natsrs_status_str(s));
  CHECK(s == NATSRS_STATUS_MAX_MESSAGES || s == NATSRS_STATUS_INVALID_SUBSCRIPTION);
  uint64_t delivered = 0;
  CHECK_OK(natsrs_subscription_delivered(sub, &delivered));
  CHECK_EQ(delivered, 5);
  CHECK(!natsrs_subscription_is_valid(sub));
  natsrs_subscription_free(sub);
  natsrs_connection_free(nc);
}

static void test_auto_unsubscribe_async(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  char subj[200];
  tu_subject(subj, sizeof subj, "auto");
  tu_counter limited, all;
  tu_counter_init(&limited);
  tu_counter_init(&all);
  natsrs_subscription *sub = NULL, *witness = NULL;
  REQUIRE_OK(natsrs_connection_subscribe(nc, subj, count_msg, &limited, NULL, &sub));
  REQUIRE_OK(natsrs_connection_subscribe(nc, subj, count_msg, &all, NULL, &witness));
  CHECK_OK(natsrs_subscription_auto_unsubscribe(sub, 7));
  for (int i = 0; i < 50; i++)
    CHECK_OK(natsrs_connection_publish(nc, subj, TEXT("x")));
  CHECK_EQ(tu_counter_wait(&all, 50, 5000), 50);
  CHECK_EQ(tu_counter_wait(&limited, 7, 5000), 7);
  CHECK_OK(natsrs_connection_flush(nc, 5000));
  tu_sleep_ms(100); /* settle window for a wrong extra delivery */
  CHECK_EQ(tu_counter_get(&limited), 7);
  uint64_t delivered = 0;
  CHECK_OK(natsrs_subscription_delivered(sub, &delivered));
  CHECK_EQ(delivered, 7);
  natsrs_subscription_free(sub);
  natsrs_subscription_free(witness);
  tu_counter_destroy(&limited);
  tu_counter_destroy(&all);
  natsrs_connection_free(nc);
}

static void test_auto_unsubscribe_below_delivered(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  char subj[200];
  tu_subject(subj, sizeof subj, "auto");
  natsrs_subscription *sub = NULL;
  REQUIRE_OK(natsrs_connection_subscribe_sync(nc, subj, &sub));
  for (int i = 0; i < 3; i++)
    CHECK_OK(natsrs_connection_publish(nc, subj, TEXT("x")));
  for (int i = 0; i < 3; i++) {
    natsrs_msg *m = NULL;
    CHECK_OK(natsrs_subscription_next_msg(sub, 5000, &m));
    natsrs_msg_free(m);
  }
  /* already delivered 3 >= 2: the subscription ends right away */
  natsrs_status s = natsrs_subscription_auto_unsubscribe(sub, 2);
  CHECK(s == NATSRS_STATUS_OK || s == NATSRS_STATUS_MAX_MESSAGES);
  CHECK_OK(natsrs_connection_publish(nc, subj, TEXT("late")));
  CHECK_OK(natsrs_connection_flush(nc, 5000));
  natsrs_msg *m = NULL;
  s = natsrs_subscription_next_msg(sub, 200, &m);
  CHECK(s != NATSRS_STATUS_OK);
  if (s == NATSRS_STATUS_OK)
    natsrs_msg_free(m);
  CHECK(!natsrs_subscription_is_valid(sub));
  natsrs_subscription_free(sub);
  natsrs_connection_free(nc);
}

static void test_unsubscribe_stops_delivery(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  char subj[200];
  tu_subject(subj, sizeof subj, "u");
  tu_counter c;
  tu_counter_init(&c);
  natsrs_subscription *sub = NULL, *sync_sub = NULL, *witness = NULL;
  REQUIRE_OK(natsrs_connection_subscribe(nc, subj, count_msg, &c, NULL, &sub));
  REQUIRE_OK(natsrs_connection_subscribe_sync(nc, subj, &sync_sub));
  REQUIRE_OK(natsrs_connection_subscribe_sync(nc, subj, &witness));
  for (int i = 0; i < 10; i++)
    CHECK_OK(natsrs_connection_publish(nc, subj, TEXT("before")));
  CHECK_EQ(tu_counter_wait(&c, 10, 5000), 10);
  for (int i = 0; i < 10; i++)
    expect_msg(sync_sub, subj, NULL, (const uint8_t *)"before", 6);
  CHECK_OK(natsrs_subscription_unsubscribe(sub));
  CHECK_OK(natsrs_subscription_unsubscribe(sync_sub));
  CHECK(!natsrs_subscription_is_valid(sub));
  for (int i = 0; i < 10; i++)
    CHECK_OK(natsrs_connection_publish(nc, subj, TEXT("after")));
  CHECK_OK(natsrs_connection_flush(nc, 5000));
  for (int i = 0; i < 10; i++)
    expect_msg(witness, subj, NULL, (const uint8_t *)"before", 6);
  for (int i = 0; i < 10; i++)
    expect_msg(witness, subj, NULL, (const uint8_t *)"after", 5);
  tu_sleep_ms(100); /* settle window for a wrong delivery */
  CHECK_EQ(tu_counter_get(&c), 10);
  natsrs_msg *m = TU_SENTINEL;
  CHECK_STATUS(natsrs_subscription_next_msg(sync_sub, 100, &m), NATSRS_STATUS_INVALID_SUBSCRIPTION);
  natsrs_subscription_free(sub);
  natsrs_subscription_free(sync_sub);
  natsrs_subscription_free(witness);
  tu_counter_destroy(&c);
  natsrs_connection_free(nc);
}

/* ---- batched next_msgs ---- */

static void test_next_msgs_batch(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  char subj[200];
  tu_subject(subj, sizeof subj, "batch");
  natsrs_subscription *sub = NULL;
  REQUIRE_OK(natsrs_connection_subscribe_sync(nc, subj, &sub));
  enum { TOTAL = 1000, MAX = 100 };
  for (int i = 0; i < TOTAL; i++) {
    char buf[16];
    snprintf(buf, sizeof buf, "%d", i);
    CHECK_OK(natsrs_connection_publish(nc, subj, TEXT(buf)));
  }
  CHECK_OK(natsrs_connection_flush(nc, 5000));
  int64_t pm = 0, pb = 0;
  CHECK_OK(natsrs_subscription_pending(sub, &pm, &pb));
  CHECK_EQ(pm, TOTAL);

  int total = 0, calls = 0, order_errors = 0;
  natsrs_msg *arr[MAX + 1];
  while (total < TOTAL && calls < TOTAL) {
    size_t n = 0;
    arr[MAX] = TU_SENTINEL; /* guard: never written */
    natsrs_status s = natsrs_subscription_next_msgs(sub, MAX, 5000, arr, &n);
    calls++;
    if (s != NATSRS_STATUS_OK) {
      CHECK_OK(s);
      break;
    }
    CHECK(n >= 1 && n <= MAX);
    CHECK(arr[MAX] == TU_SENTINEL);
    if (calls == 1)
      CHECK_EQ(n, MAX); /* all 1000 were queued: a full batch */
    for (size_t i = 0; i < n && i < MAX; i++) {
      char buf[16] = {0};
      size_t len = natsrs_msg_data_len(arr[i]);
      if (len < sizeof buf)
        memcpy(buf, natsrs_msg_data(arr[i]), len);
      if (atoi(buf) != total)
        order_errors++;
      total++;
      natsrs_msg_free(arr[i]);
    }
  }
  CHECK_EQ(total, TOTAL);
  CHECK_EQ(order_errors, 0);
  CHECK_EQ(calls, TOTAL / MAX);
  size_t n = 0;
  CHECK_STATUS(natsrs_subscription_next_msgs(sub, MAX, 100, arr, &n), NATSRS_STATUS_TIMEOUT);
  uint64_t delivered = 0;
  CHECK_OK(natsrs_subscription_delivered(sub, &delivered));
  CHECK_EQ(delivered, TOTAL);

  /* a batch that is larger than what is queued returns what is there */
  for (int i = 0; i < 3; i++)
    CHECK_OK(natsrs_connection_publish(nc, subj, TEXT("tail")));
  CHECK_OK(natsrs_connection_flush(nc, 5000));
  n = 0;
  CHECK_OK(natsrs_subscription_next_msgs(sub, MAX, 5000, arr, &n));
  CHECK_EQ(n, 3);
  for (size_t i = 0; i < n && i < MAX; i++)
    natsrs_msg_free(arr[i]);
  natsrs_subscription_free(sub);
  natsrs_connection_free(nc);
}

/* ---- flush, rtt, stats, server info ---- */

static void test_flush_rtt_stats_server_info(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  char subj[200];
  tu_subject(subj, sizeof subj, "stats");
  natsrs_subscription *sub = NULL;
  REQUIRE_OK(natsrs_connection_subscribe_sync(nc, subj, &sub));
  natsrs_statistics st0;
  REQUIRE_OK(natsrs_connection_stats(nc, &st0));
  CHECK_EQ(st0.out_msgs, 0);
  CHECK_EQ(st0.in_msgs, 0);
  uint8_t payload[100];
  memset(payload, 'p', sizeof payload);
  for (int i = 0; i < 10; i++)
    CHECK_OK(natsrs_connection_publish(nc, subj, payload, sizeof payload));
  CHECK_OK(natsrs_connection_flush(nc, 5000));
  for (int i = 0; i < 10; i++)
    expect_msg(sub, subj, NULL, payload, sizeof payload);
  natsrs_statistics st;
  REQUIRE_OK(natsrs_connection_stats(nc, &st));
  printf("    stats: in %llu/%llu out %llu/%llu reconnects %llu dropped %llu\n",
         (unsigned long long)st.in_msgs, (unsigned long long)st.in_bytes,
         (unsigned long long)st.out_msgs, (unsigned long long)st.out_bytes,
         (unsigned long long)st.reconnects, (unsigned long long)st.dropped_msgs);
  CHECK_EQ(st.out_msgs, 10);
  CHECK_EQ(st.in_msgs, 10);
  CHECK_EQ(st.out_bytes, 1000);
  CHECK_EQ(st.in_bytes, 1000);
  CHECK_EQ(st.reconnects, 0);
  CHECK_EQ(st.dropped_msgs, 0);

  double rtt = 0;
  CHECK_OK(natsrs_connection_rtt(nc, &rtt));
  printf("    rtt %.3f ms\n", rtt);
  CHECK(rtt > 0 && rtt < 5000);

  int64_t max = 0;
  CHECK_OK(natsrs_connection_max_payload(nc, &max));
  natsrs_server_info *si = NULL;
  REQUIRE_OK(natsrs_connection_server_info(nc, &si));
  const char *version = natsrs_server_info_version(si);
  const char *id = natsrs_server_info_server_id(si);
  const char *json = natsrs_server_info_json(si);
  const char *url = natsrs_server_info_connected_url(si);
  printf("    server %s version %s url %s\n", natsrs_server_info_server_name(si),
         version ? version : "(null)", url ? url : "(null)");
  CHECK(version && version[0]);
  CHECK(id && id[0]);
  CHECK(natsrs_server_info_server_name(si) != NULL);
  CHECK(url && url[0]);
  CHECK(json && json[0] == '{');
  if (json && version)
    CHECK(strstr(json, version) != NULL);
  CHECK(natsrs_server_info_max_payload(si) > 0);
  CHECK_EQ(natsrs_server_info_max_payload(si), max);
  CHECK(natsrs_server_info_headers(si));
  natsrs_server_info_free(si);
  natsrs_subscription_free(sub);
  natsrs_connection_free(nc);
}

/* ---- options ---- */

static natsrs_connection *connect_with(natsrs_options *o) {
  natsrs_connection *nc = NULL;
  natsrs_status s = natsrs_options_set_url(o, tu_url());
  if (s == NATSRS_STATUS_OK)
    s = natsrs_connection_connect(o, &nc);
  if (s != NATSRS_STATUS_OK) {
    tu_fail(__FILE__, __LINE__, "connect with options: %s: %s", natsrs_status_str(s),
            natsrs_last_error_message());
    return NULL;
  }
  return nc;
}

static void test_option_no_echo(void) {
  natsrs_options *o = NULL;
  REQUIRE_OK(natsrs_options_new(&o));
  CHECK_OK(natsrs_options_set_no_echo(o, true));
  natsrs_connection *quiet = connect_with(o);
  natsrs_options_free(o);
  natsrs_connection *other = tu_connect();
  REQUIRE(quiet && other);
  char subj[200];
  tu_subject(subj, sizeof subj, "echo");
  natsrs_subscription *own = NULL, *theirs = NULL;
  REQUIRE_OK(natsrs_connection_subscribe_sync(quiet, subj, &own));
  REQUIRE_OK(natsrs_connection_subscribe_sync(other, subj, &theirs));
  CHECK_OK(natsrs_connection_flush(other, 5000));
  CHECK_OK(natsrs_connection_publish(quiet, subj, TEXT("from quiet")));
  CHECK_OK(natsrs_connection_flush(quiet, 5000));
  expect_msg(theirs, subj, NULL, (const uint8_t *)"from quiet", 10);
  expect_nothing(own, 200);
  CHECK_OK(natsrs_connection_publish(other, subj, TEXT("from other")));
  expect_msg(own, subj, NULL, (const uint8_t *)"from other", 10);
  natsrs_subscription_free(own);
  natsrs_subscription_free(theirs);
  natsrs_connection_free(quiet);
  natsrs_connection_free(other);
}

static void test_option_inbox_prefix(void) {
  natsrs_options *o = NULL;
  REQUIRE_OK(natsrs_options_new(&o));
  CHECK_OK(natsrs_options_set_inbox_prefix(o, "_CTEST.INBOX"));
  natsrs_connection *nc = connect_with(o);
  natsrs_options_free(o);
  REQUIRE(nc);
  char inbox[256];
  CHECK_OK(natsrs_connection_new_inbox(nc, inbox, sizeof inbox));
  CHECK(strncmp(inbox, "_CTEST.INBOX.", 13) == 0);
  /* a request's reply subject uses the prefix too */
  char subj[200];
  tu_subject(subj, sizeof subj, "req");
  natsrs_subscription *sub = NULL;
  REQUIRE_OK(natsrs_connection_subscribe_sync(nc, subj, &sub));
  CHECK_STATUS(natsrs_connection_request(nc, subj, TEXT("q"), 200, &(natsrs_msg *){NULL}),
               NATSRS_STATUS_TIMEOUT);
  natsrs_msg *m = NULL;
  if (natsrs_subscription_next_msg(sub, 5000, &m) == NATSRS_STATUS_OK) {
    const char *reply = natsrs_msg_reply(m);
    CHECK(reply && strncmp(reply, "_CTEST.INBOX.", 13) == 0);
    natsrs_msg_free(m);
  } else {
    tu_fail(__FILE__, __LINE__, "request never arrived");
  }
  natsrs_subscription_free(sub);
  natsrs_connection_free(nc);
}

static void test_option_verbose_pedantic_name_ping(void) {
  natsrs_options *o = NULL;
  REQUIRE_OK(natsrs_options_new(&o));
  CHECK_OK(natsrs_options_set_verbose(o, true));
  CHECK_OK(natsrs_options_set_pedantic(o, true));
  CHECK_OK(natsrs_options_set_name(o, "ctest-verbose"));
  CHECK_OK(natsrs_options_set_ping_interval_ms(o, 50));
  CHECK_OK(natsrs_options_set_max_pings_out(o, 3));
  CHECK_OK(natsrs_options_set_connect_timeout_ms(o, 3000));
  natsrs_connection *nc = connect_with(o);
  natsrs_options_free(o);
  REQUIRE(nc);
  char subj[200];
  tu_subject(subj, sizeof subj, "v");
  natsrs_subscription *sub = NULL;
  REQUIRE_OK(natsrs_connection_subscribe_sync(nc, subj, &sub));
  for (int i = 0; i < 20; i++)
    CHECK_OK(natsrs_connection_publish(nc, subj, TEXT("v")));
  CHECK_OK(natsrs_connection_flush(nc, 5000));
  for (int i = 0; i < 20; i++)
    expect_msg(sub, subj, NULL, (const uint8_t *)"v", 1);
  tu_sleep_ms(400); /* several ping intervals: +OK and PONG handled, still connected */
  CHECK_EQ(natsrs_connection_status_get(nc), NATSRS_CONNECTION_STATUS_CONNECTED);
  CHECK_OK(natsrs_connection_flush(nc, 5000));
  natsrs_subscription_free(sub);
  natsrs_connection_free(nc);
}

static void test_connect_multiple_urls(void) {
  natsrs_options *o = NULL;
  REQUIRE_OK(natsrs_options_new(&o));
  const char *urls[] = {tu_url()};
  CHECK_OK(natsrs_options_set_servers(o, urls, 1));
  natsrs_connection *nc = NULL;
  CHECK_OK(natsrs_connection_connect(o, &nc));
  natsrs_options_free(o);
  if (nc)
    CHECK_OK(natsrs_connection_flush(nc, 5000));
  natsrs_connection_free(nc);
}

/* Several threads publish on one connection; every message arrives, and each
 * thread's messages stay in order. */
typedef struct publisher {
  natsrs_connection *nc;
  const char *subject;
  int id;
  int failures;
} publisher;

enum { PUB_THREADS = 4, PUB_EACH = 5000 };

static void *publish_loop(void *arg) {
  publisher *p = arg;
  for (int i = 0; i < PUB_EACH; i++) {
    char buf[32];
    snprintf(buf, sizeof buf, "%d:%d", p->id, i);
    if (natsrs_connection_publish(p->nc, p->subject, TEXT(buf)) != NATSRS_STATUS_OK)
      p->failures++;
  }
  return NULL;
}

static void test_concurrent_publishers(void) {
  natsrs_connection *nc = tu_connect();
  natsrs_connection *rx = tu_connect();
  REQUIRE(nc && rx);
  char subj[200];
  tu_subject(subj, sizeof subj, "mt");
  natsrs_subscription *sub = NULL;
  REQUIRE_OK(natsrs_connection_subscribe_sync(rx, subj, &sub));
  CHECK_OK(natsrs_subscription_set_pending_limits(sub, -1, -1));
  CHECK_OK(natsrs_connection_flush(rx, 5000));
  pthread_t th[PUB_THREADS];
  publisher pubs[PUB_THREADS];
  for (int i = 0; i < PUB_THREADS; i++) {
    pubs[i] = (publisher){nc, subj, i, 0};
    REQUIRE(pthread_create(&th[i], NULL, publish_loop, &pubs[i]) == 0);
  }
  for (int i = 0; i < PUB_THREADS; i++) {
    pthread_join(th[i], NULL);
    CHECK_EQ(pubs[i].failures, 0);
  }
  CHECK_OK(natsrs_connection_flush(nc, 10000));
  int next[PUB_THREADS] = {0};
  int total = 0, bad = 0;
  natsrs_msg *arr[256];
  while (total < PUB_THREADS * PUB_EACH) {
    size_t n = 0;
    if (natsrs_subscription_next_msgs(sub, 256, 5000, arr, &n) != NATSRS_STATUS_OK)
      break;
    for (size_t i = 0; i < n; i++) {
      char buf[32] = {0};
      size_t len = natsrs_msg_data_len(arr[i]);
      if (len < sizeof buf)
        memcpy(buf, natsrs_msg_data(arr[i]), len);
      int t = -1, k = -1;
      if (sscanf(buf, "%d:%d", &t, &k) != 2 || t < 0 || t >= PUB_THREADS || next[t] != k)
        bad++;
      else
        next[t]++;
      total++;
      natsrs_msg_free(arr[i]);
    }
  }
  CHECK_EQ(total, PUB_THREADS * PUB_EACH);
  CHECK_EQ(bad, 0);
  natsrs_statistics st;
  CHECK_OK(natsrs_connection_stats(nc, &st));
  CHECK_EQ(st.out_msgs, PUB_THREADS * PUB_EACH);
  int64_t pm = -1;
  CHECK_OK(natsrs_subscription_pending(sub, &pm, NULL)); /* either out-pointer may be NULL */
  CHECK_EQ(pm, 0);
  CHECK_OK(natsrs_subscription_pending(sub, NULL, NULL));
  natsrs_subscription_free(sub);
  natsrs_connection_free(nc);
  natsrs_connection_free(rx);
}

static const tu_test tests[] = {
    TU_TEST(test_roundtrip_exact_payloads),
    TU_TEST(test_async_roundtrip_and_clone),
    TU_TEST(test_max_payload),
    TU_TEST(test_queue_group_distribution),
    TU_TEST(test_queue_group_sync),
    TU_TEST(test_wildcards),
    TU_TEST(test_auto_unsubscribe_sync),
    TU_TEST(test_auto_unsubscribe_async),
    TU_TEST(test_auto_unsubscribe_below_delivered),
    TU_TEST(test_unsubscribe_stops_delivery),
    TU_TEST(test_next_msgs_batch),
    TU_TEST(test_flush_rtt_stats_server_info),
    TU_TEST(test_option_no_echo),
    TU_TEST(test_option_inbox_prefix),
    TU_TEST(test_option_verbose_pedantic_name_ping),
    TU_TEST(test_connect_multiple_urls),
    TU_TEST(test_concurrent_publishers),
};

int main(int argc, char **argv) { return tu_main(argc, argv, tests, TU_COUNT(tests)); }
