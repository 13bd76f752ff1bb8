/*
 * test_async.c - asynchronous delivery and handle lifetimes: pending limits and
 * slow consumers, subscription and connection drain, closed handler and
 * userdata_free accounting, free/close while a callback runs, and callbacks
 * that call back into the library.
 */
#include "test_util.h"

/* ------------------------------------------------------------------------ */
/* a gate that callbacks can block on                                        */

typedef struct gate {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool open;
} gate;

static void gate_init(gate *g) {
  pthread_mutex_init(&g->mu, NULL);
  pthread_cond_init(&g->cv, NULL);
  g->open = false;
}
static void gate_open(gate *g) {
  pthread_mutex_lock(&g->mu);
  g->open = true;
  pthread_cond_broadcast(&g->cv);
  pthread_mutex_unlock(&g->mu);
}
static void gate_wait(gate *g, int64_t timeout_ms) {
  struct timespec dl;
  clock_gettime(CLOCK_REALTIME, &dl);
  dl.tv_sec += (time_t)(timeout_ms / 1000);
  pthread_mutex_lock(&g->mu);
  while (!g->open)
    if (pthread_cond_timedwait(&g->cv, &g->mu, &dl) != 0)
      break;
  pthread_mutex_unlock(&g->mu);
}
static void gate_destroy(gate *g) {
  pthread_cond_destroy(&g->cv);
  pthread_mutex_destroy(&g->mu);
}

static void slow_count_msg(void *ud, natsrs_subscription *sub, const natsrs_msg *msg) {
  (void)sub;
  (void)msg;
  tu_sleep_ms(1);
  tu_counter_add(ud, 1);
}

static natsrs_connection *connect_opts(natsrs_options *o) {
  natsrs_connection *nc = NULL;
  natsrs_status s = natsrs_options_set_url(o, tu_url());
  if (s == NATSRS_STATUS_OK)
    s = natsrs_connection_connect(o, &nc);
  if (s != NATSRS_STATUS_OK) {
    tu_fail(__FILE__, __LINE__, "connect: %s: %s", natsrs_status_str(s),
            natsrs_last_error_message());
    return NULL;
  }
  return nc;
}

/* ------------------------------------------------------------------------ */
/* pending limits / slow consumer                                            */

typedef struct slow_sub {
  gate g;
  tu_counter delivered;
} slow_sub;

static void gated_cb(void *ud, natsrs_subscription *sub, const natsrs_msg *msg) {
  slow_sub *s = ud;
  (void)sub;
  (void)msg;
  gate_wait(&s->g, 20000);
  tu_counter_add(&s->delivered, 1);
}

typedef struct err_state {
  tu_counter slow;
  atomic_int other;
  natsrs_subscription *_Atomic sub_seen;
} err_state;

static void on_error(void *ud, natsrs_connection *nc, natsrs_subscription *sub, natsrs_status s,
                     const char *text) {
  err_state *e = ud;
  (void)nc;
  (void)text;
  if (s == NATSRS_STATUS_SLOW_CONSUMER) {
    atomic_store(&e->sub_seen, sub);
    tu_counter_add(&e->slow, 1);
  } else {
    atomic_fetch_add(&e->other, 1);
  }
}

typedef struct dropped_arg {
  natsrs_subscription *sub;
  uint64_t min;
} dropped_arg;

static bool dropped_at_least(void *arg) {
  dropped_arg *d = arg;
  uint64_t v = 0;
  return natsrs_subscription_dropped(d->sub, &v) == NATSRS_STATUS_OK && v >= d->min;
}

typedef struct delivered_arg {
  natsrs_subscription *sub;
  uint64_t want;
} delivered_arg;

static bool delivered_reaches(void *arg) {
  delivered_arg *d = arg;
  uint64_t v = 0;
  return natsrs_subscription_delivered(d->sub, &v) == NATSRS_STATUS_OK && v >= d->want;
}

static void test_slow_consumer_async(void) {
  err_state es;
  memset(&es, 0, sizeof es);
  tu_counter_init(&es.slow);
  natsrs_options *o = NULL;
  REQUIRE_OK(natsrs_options_new(&o));
  CHECK_OK(natsrs_options_set_error_handler(o, on_error, &es, NULL));
  natsrs_connection *nc = connect_opts(o);
  natsrs_options_free(o);
  natsrs_connection *pub = tu_connect();
  REQUIRE(nc && pub);
  char subj[200];
  tu_subject(subj, sizeof subj, "slow");
  slow_sub ss;
  gate_init(&ss.g);
  tu_counter_init(&ss.delivered);
  natsrs_subscription *sub = NULL;
  REQUIRE_OK(natsrs_connection_subscribe(nc, subj, gated_cb, &ss, NULL, &sub));
  CHECK_OK(natsrs_subscription_set_pending_limits(sub, 10, 1024 * 1024));
  CHECK_OK(natsrs_connection_flush(nc, 5000));

  enum { N = 1000 };
  for (int i = 0; i < N; i++)
    CHECK_OK(natsrs_connection_publish(pub, subj, TEXT("0123456789")));
  CHECK_OK(natsrs_connection_flush(pub, 5000));
  CHECK_OK(natsrs_connection_flush(nc, 5000));

  dropped_arg da = {sub, 1};
  CHECK(tu_wait_until(dropped_at_least, &da, 5000));
  CHECK(tu_counter_wait(&es.slow, 1, 5000) >= 1);
  natsrs_subscription *seen = atomic_load(&es.sub_seen);
  CHECK(seen == NULL || seen == sub);
  int64_t pm = 0, pb = 0;
  CHECK_OK(natsrs_subscription_pending(sub, &pm, &pb));
  CHECK(pm <= 10);
  uint64_t dropped = 0;
  CHECK_OK(natsrs_subscription_dropped(sub, &dropped));
  printf("    dropped %llu, pending %lld, slow-consumer reports %lld\n",
         (unsigned long long)dropped, (long long)pm, (long long)tu_counter_get(&es.slow));
  CHECK(dropped > 0 && dropped < N);

  gate_open(&ss.g);
  /* everything that was not dropped is delivered */
  CHECK_EQ(tu_counter_wait(&ss.delivered, (int64_t)(N - dropped), 10000), (int64_t)(N - dropped));
  /* the library's own count may be bumped just after the callback returns */
  delivered_arg dl = {sub, N - dropped};
  CHECK(tu_wait_until(delivered_reaches, &dl, 5000));
  uint64_t delivered = 0;
  CHECK_OK(natsrs_subscription_delivered(sub, &delivered));
  CHECK_EQ(delivered + dropped, N);
  natsrs_statistics st;
  CHECK_OK(natsrs_connection_stats(nc, &st));
  CHECK(st.dropped_msgs >= dropped);
  CHECK_EQ(atomic_load(&es.other), 0);

  natsrs_subscription_free(sub);
  natsrs_connection_free(nc);
  natsrs_connection_free(pub);
  gate_destroy(&ss.g);
  tu_counter_destroy(&ss.delivered);
  tu_counter_destroy(&es.slow);
}

static void test_default_pending_limits_from_options_sync(void) {
  natsrs_options *o = NULL;
  REQUIRE_OK(natsrs_options_new(&o));
  CHECK_OK(natsrs_options_set_pending_limits(o, 5, -1));
  natsrs_connection *nc = connect_opts(o);
  natsrs_options_free(o);
  REQUIRE(nc);
  char subj[200];
  tu_subject(subj, sizeof subj, "lim");
  natsrs_subscription *sub = NULL;
  REQUIRE_OK(natsrs_connection_subscribe_sync(nc, subj, &sub));
  for (int i = 0; i < 20; i++)
    CHECK_OK(natsrs_connection_publish(nc, subj, TEXT("x")));
  CHECK_OK(natsrs_connection_flush(nc, 5000));
  uint64_t dropped = 0;
  int64_t pm = 0, pb = 0;
  CHECK_OK(natsrs_subscription_dropped(sub, &dropped));
  CHECK_OK(natsrs_subscription_pending(sub, &pm, &pb));
  CHECK_EQ(dropped, 15);
  CHECK_EQ(pm, 5);
  int got = 0, slow_reports = 0;
  for (int i = 0; i < 10; i++) {
    natsrs_msg *m = NULL;
    natsrs_status s = natsrs_subscription_next_msg(sub, 200, &m);
    if (s == NATSRS_STATUS_OK) {
      got++;
      natsrs_msg_free(m);
    } else if (s == NATSRS_STATUS_SLOW_CONSUMER) {
      slow_reports++;
    } else {
      CHECK_STATUS(s, NATSRS_STATUS_TIMEOUT);
      break;
    }
  }
  CHECK_EQ(got, 5);
  CHECK(slow_reports <= 1);
  natsrs_subscription_free(sub);
  natsrs_connection_free(nc);
}

/* ------------------------------------------------------------------------ */
/* drain                                                                     */

static void test_subscription_drain_async(void) {
  natsrs_connection *nc = tu_connect();
  natsrs_connection *pub = tu_connect();
  REQUIRE(nc && pub);
  char subj[200];
  tu_subject(subj, sizeof subj, "drain");
  tu_counter c;
  tu_counter_init(&c);
  natsrs_subscription *sub = NULL;
  REQUIRE_OK(natsrs_connection_subscribe(nc, subj, slow_count_msg, &c, NULL, &sub));
  CHECK_OK(natsrs_connection_flush(nc, 5000));
  /* 200 from another connection, known to have reached us */
  for (int i = 0; i < 200; i++)
    CHECK_OK(natsrs_connection_publish(pub, subj, TEXT("other")));
  CHECK_OK(natsrs_connection_flush(pub, 5000));
  CHECK_OK(natsrs_connection_flush(nc, 5000));
  /* 200 from our own connection, published right before the drain */
  for (int i = 0; i < 200; i++)
    CHECK_OK(natsrs_connection_publish(nc, subj, TEXT("own")));
  CHECK_OK(natsrs_subscription_drain(sub));
  CHECK(tu_counter_get(&c) < 400); /* drain returned at once */
  CHECK_OK(natsrs_subscription_drain_wait(sub, 20000));
  CHECK_EQ(tu_counter_get(&c), 400);
  CHECK(!natsrs_subscription_is_valid(sub));
  /* nothing after the drain */
  for (int i = 0; i < 20; i++)
    CHECK_OK(natsrs_connection_publish(pub, subj, TEXT("late")));
  CHECK_OK(natsrs_connection_flush(pub, 5000));
  CHECK_OK(natsrs_connection_flush(nc, 5000));
  tu_sleep_ms(100); /* settle window for a wrong delivery */
  CHECK_EQ(tu_counter_get(&c), 400);
  CHECK_EQ(natsrs_connection_status_get(nc), NATSRS_CONNECTION_STATUS_CONNECTED);
  natsrs_subscription_free(sub);
  tu_counter_destroy(&c);
  natsrs_connection_free(nc);
  natsrs_connection_free(pub);
}

static void test_subscription_drain_sync(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  char subj[200];
  tu_subject(subj, sizeof subj, "drain");
  natsrs_subscription *sub = NULL;
  REQUIRE_OK(natsrs_connection_subscribe_sync(nc, subj, &sub));
  for (int i = 0; i < 5; i++)
    CHECK_OK(natsrs_connection_publish(nc, subj, TEXT("x")));
  CHECK_OK(natsrs_subscription_drain(sub));
  /* queued messages stay available */
  for (int i = 0; i < 5; i++) {
    natsrs_msg *m = NULL;
    CHECK_OK(natsrs_subscription_next_msg(sub, 5000, &m));
    natsrs_msg_free(m);
  }
  CHECK_OK(natsrs_subscription_drain_wait(sub, 5000));
  CHECK_OK(natsrs_connection_publish(nc, subj, TEXT("late")));
  CHECK_OK(natsrs_connection_flush(nc, 5000));
  natsrs_msg *m = NULL;
  natsrs_status s = natsrs_subscription_next_msg(sub, 200, &m);
  CHECK(s != NATSRS_STATUS_OK);
  if (s == NATSRS_STATUS_OK)
    natsrs_msg_free(m);
  natsrs_subscription_free(sub);
  natsrs_connection_free(nc);
}

typedef struct closed_state {
  tu_counter calls;
  atomic_int ud_frees;
  atomic_int status_in_cb;
} closed_state;

static void on_closed(void *ud, natsrs_connection *nc) {
  closed_state *c = ud;
  atomic_store(&c->status_in_cb, (int)natsrs_connection_status_get(nc)); /* call back in */
  tu_counter_add(&c->calls, 1);
}
static void closed_ud_free(void *ud) {
  closed_state *c = ud;
  atomic_fetch_add(&c->ud_frees, 1);
}

static bool int_at_least_one(void *arg) { return atomic_load((atomic_int *)arg) >= 1; }

static void test_connection_drain(void) {
  closed_state cs;
  memset(&cs, 0, sizeof cs);
  tu_counter_init(&cs.calls);
  natsrs_options *o = NULL;
  REQUIRE_OK(natsrs_options_new(&o));
  CHECK_OK(natsrs_options_set_closed_handler(o, on_closed, &cs, closed_ud_free));
  CHECK_OK(natsrs_options_set_drain_timeout_ms(o, 20000));
  natsrs_connection *nc = connect_opts(o);
  natsrs_options_free(o);
  natsrs_connection *other = tu_connect();
  REQUIRE(nc && other);
  char subj[200], out[200];
  tu_subject(subj, sizeof subj, "in");
  tu_subject(out, sizeof out, "out");
  tu_counter c;
  tu_counter_init(&c);
  natsrs_subscription *sub = NULL, *witness = NULL;
  REQUIRE_OK(natsrs_connection_subscribe(nc, subj, slow_count_msg, &c, NULL, &sub));
  REQUIRE_OK(natsrs_connection_subscribe_sync(other, out, &witness));
  CHECK_OK(natsrs_connection_flush(nc, 5000));
  CHECK_OK(natsrs_connection_flush(other, 5000));
  for (int i = 0; i < 100; i++)
    CHECK_OK(natsrs_connection_publish(other, subj, TEXT("from other")));
  CHECK_OK(natsrs_connection_flush(other, 5000));
  CHECK_OK(natsrs_connection_flush(nc, 5000));
  for (int i = 0; i < 100; i++) {
    CHECK_OK(natsrs_connection_publish(nc, subj, TEXT("own")));
    CHECK_OK(natsrs_connection_publish(nc, out, TEXT("outgoing")));
  }
  CHECK_OK(natsrs_connection_drain(nc, 20000));
  CHECK_EQ(tu_counter_get(&c), 200);
  CHECK_EQ(natsrs_connection_status_get(nc), NATSRS_CONNECTION_STATUS_CLOSED);
  CHECK(natsrs_connection_is_closed(nc));
  CHECK_EQ(tu_counter_wait(&cs.calls, 1, 5000), 1);
  CHECK_EQ(atomic_load(&cs.status_in_cb), NATSRS_CONNECTION_STATUS_CLOSED);
  /* publishes made before the drain were flushed */
  int outgoing = 0;
  natsrs_msg *m = NULL;
  while (outgoing < 100 && natsrs_subscription_next_msg(witness, 5000, &m) == NATSRS_STATUS_OK) {
    natsrs_msg_free(m);
    outgoing++;
  }
  CHECK_EQ(outgoing, 100);
  CHECK_STATUS(natsrs_connection_publish(nc, subj, TEXT("x")), NATSRS_STATUS_CONNECTION_CLOSED);
  CHECK_OK(natsrs_connection_close(nc));
  CHECK_EQ(atomic_load(&cs.ud_frees), 0); /* still owned by the connection */
  natsrs_subscription_free(sub);
  natsrs_connection_free(nc);
  CHECK(tu_wait_until(int_at_least_one, &cs.ud_frees, 2000));
  tu_sleep_ms(50);
  CHECK_EQ(tu_counter_get(&cs.calls), 1);
  CHECK_EQ(atomic_load(&cs.ud_frees), 1);
  natsrs_subscription_free(witness);
  natsrs_connection_free(other);
  tu_counter_destroy(&c);
  tu_counter_destroy(&cs.calls);
}

/* The README's reason to drain: a responder answers every request that already
 * reached it, while the connection drains, and the answers are flushed. */
static atomic_int respond_failures;

static void slow_responder(void *ud, natsrs_subscription *sub, const natsrs_msg *msg) {
  (void)ud;
  (void)sub;
  tu_sleep_ms(2);
  if (natsrs_msg_respond(msg, natsrs_msg_data(msg), natsrs_msg_data_len(msg)) != NATSRS_STATUS_OK)
    atomic_fetch_add(&respond_failures, 1);
}

static void test_connection_drain_responder_answers_all(void) {
  natsrs_connection *svc = tu_connect();
  natsrs_connection *client = tu_connect();
  REQUIRE(svc && client);
  char subj[200], inbox[256];
  tu_subject(subj, sizeof subj, "svc");
  REQUIRE_OK(natsrs_connection_new_inbox(client, inbox, sizeof inbox));
  atomic_store(&respond_failures, 0);
  natsrs_subscription *responder = NULL, *replies = NULL;
  REQUIRE_OK(natsrs_connection_subscribe(svc, subj, slow_responder, NULL, NULL, &responder));
  REQUIRE_OK(natsrs_connection_subscribe_sync(client, inbox, &replies));
  CHECK_OK(natsrs_connection_flush(svc, 5000));
  CHECK_OK(natsrs_connection_flush(client, 5000));
  enum { REQS = 100 };
  for (int i = 0; i < REQS; i++)
    CHECK_OK(natsrs_connection_publish_request(client, subj, inbox, TEXT("req")));
  CHECK_OK(natsrs_connection_flush(client, 5000));
  CHECK_OK(natsrs_connection_flush(svc, 5000)); /* every request reached the responder */
  CHECK_OK(natsrs_connection_drain(svc, 20000));
  CHECK(natsrs_connection_is_closed(svc));
  int got = 0;
  natsrs_msg *m = NULL;
  while (got < REQS && natsrs_subscription_next_msg(replies, 5000, &m) == NATSRS_STATUS_OK) {
    natsrs_msg_free(m);
    got++;
  }
  CHECK_EQ(got, REQS);
  CHECK_EQ(atomic_load(&respond_failures), 0);
  natsrs_subscription_free(responder);
  natsrs_subscription_free(replies);
  natsrs_connection_free(svc);
  natsrs_connection_free(client);
}

/* ------------------------------------------------------------------------ */
/* handler registration and userdata_free accounting                         */

static atomic_int frees[10];
static void count_free(void *ud) { atomic_fetch_add(&frees[(intptr_t)ud], 1); }
static void noop_closed(void *ud, natsrs_connection *nc) {
  (void)ud;
  (void)nc;
}
static void noop_disc(void *ud, natsrs_connection *nc, natsrs_status s, const char *t) {
  (void)ud;
  (void)nc;
  (void)s;
  (void)t;
}
static void noop_err(void *ud, natsrs_connection *nc, natsrs_subscription *sub, natsrs_status s,
                     const char *t) {
  (void)ud;
  (void)nc;
  (void)sub;
  (void)s;
  (void)t;
}

static bool all_freed_once(void *arg) {
  (void)arg;
  for (int i = 1; i <= 9; i++)
    if (i != 6 && atomic_load(&frees[i]) < 1)
      return false;
  return true;
}

static void test_handler_userdata_freed_once(void) {
  for (int i = 0; i < 10; i++)
    atomic_store(&frees[i], 0);
  /* options freed without connecting */
  natsrs_options *o = NULL;
  REQUIRE_OK(natsrs_options_new(&o));
  CHECK_OK(natsrs_options_set_closed_handler(o, noop_closed, (void *)(intptr_t)6, count_free));
  natsrs_options_free(o);
  CHECK_EQ(atomic_load(&frees[6]), 1);

  o = NULL;
  REQUIRE_OK(natsrs_options_new(&o));
  CHECK_OK(natsrs_options_set_closed_handler(o, noop_closed, (void *)(intptr_t)1, count_free));
  /* replacing a handler releases the old userdata exactly once */
  CHECK_OK(natsrs_options_set_closed_handler(o, noop_closed, (void *)(intptr_t)2, count_free));
  CHECK_EQ(atomic_load(&frees[1]), 1);
  CHECK_OK(natsrs_options_set_error_handler(o, noop_err, (void *)(intptr_t)3, count_free));
  CHECK_OK(natsrs_options_set_disconnected_handler(o, noop_disc, (void *)(intptr_t)4, count_free));
  CHECK_OK(natsrs_options_set_reconnected_handler(o, noop_closed, (void *)(intptr_t)5, count_free));
  CHECK_OK(natsrs_options_set_connected_handler(o, noop_closed, (void *)(intptr_t)7, count_free));
  CHECK_OK(natsrs_options_set_discovered_servers_handler(o, noop_closed, (void *)(intptr_t)8,
                                                         count_free));
  CHECK_OK(natsrs_options_set_lame_duck_handler(o, noop_closed, (void *)(intptr_t)9, count_free));
  natsrs_connection *nc = connect_opts(o);
  natsrs_options_free(o);
  REQUIRE(nc);
  for (int i = 2; i <= 9; i++)
    if (i != 6)
      CHECK_EQ(atomic_load(&frees[i]), 0); /* the connection still uses them */
  CHECK_OK(natsrs_connection_close(nc));
  CHECK_OK(natsrs_connection_close(nc));
  natsrs_connection_free(nc);
  CHECK(tu_wait_until(all_freed_once, NULL, 2000));
  tu_sleep_ms(50);
  for (int i = 1; i <= 9; i++)
    CHECK_EQ(atomic_load(&frees[i]), 1);
}

static void test_closed_handler_once_on_close(void) {
  closed_state cs;
  memset(&cs, 0, sizeof cs);
  tu_counter_init(&cs.calls);
  natsrs_options *o = NULL;
  REQUIRE_OK(natsrs_options_new(&o));
  CHECK_OK(natsrs_options_set_closed_handler(o, on_closed, &cs, closed_ud_free));
  natsrs_connection *nc = connect_opts(o);
  natsrs_options_free(o);
  REQUIRE(nc);
  CHECK_OK(natsrs_connection_close(nc));
  /* the header: the closed handler has run when close returns */
  CHECK_EQ(tu_counter_get(&cs.calls), 1);
  CHECK_OK(natsrs_connection_close(nc));
  natsrs_connection_free(nc);
  CHECK(tu_wait_until(int_at_least_one, &cs.ud_frees, 2000));
  tu_sleep_ms(50);
  CHECK_EQ(tu_counter_get(&cs.calls), 1);
  CHECK_EQ(atomic_load(&cs.ud_frees), 1);
  /* free without close: the handler runs once too */
  tu_counter_destroy(&cs.calls);
  memset(&cs, 0, sizeof cs);
  tu_counter_init(&cs.calls);
  REQUIRE_OK(natsrs_options_new(&o));
  CHECK_OK(natsrs_options_set_closed_handler(o, on_closed, &cs, closed_ud_free));
  nc = connect_opts(o);
  natsrs_options_free(o);
  REQUIRE(nc);
  natsrs_connection_free(nc);
  CHECK(tu_wait_until(int_at_least_one, &cs.ud_frees, 2000));
  tu_sleep_ms(50);
  CHECK(tu_counter_get(&cs.calls) <= 1);
  CHECK_EQ(atomic_load(&cs.ud_frees), 1);
  tu_counter_destroy(&cs.calls);
}

/* ------------------------------------------------------------------------ */
/* free / close while a callback is running                                  */

typedef struct watch {
  atomic_int in_cb;       /* callbacks running right now */
  atomic_int calls;       /* callbacks started */
  atomic_int after;       /* callbacks that started or were still running after `done` */
  atomic_bool done;       /* set by the test right after free/close returned */
  atomic_int ud_frees;
  int sleep_ms;
} watch;

static void watch_cb(void *ud, natsrs_subscription *sub, const natsrs_msg *msg) {
  watch *w = ud;
  (void)sub;
  (void)msg;
  if (atomic_load(&w->done))
    atomic_fetch_add(&w->after, 1);
  atomic_fetch_add(&w->in_cb, 1);
  atomic_fetch_add(&w->calls, 1);
  tu_sleep_ms(w->sleep_ms);
  if (atomic_load(&w->done))
    atomic_fetch_add(&w->after, 1);
  atomic_fetch_sub(&w->in_cb, 1);
}

static void watch_free(void *ud) {
  watch *w = ud;
  atomic_fetch_add(&w->ud_frees, 1);
}

/* A thread that keeps publishing until told to stop. */
typedef struct pumper {
  natsrs_connection *nc;
  const char *subject;
  atomic_bool stop;
  atomic_int sent;
  pthread_t th;
} pumper;

static void *pump(void *arg) {
  pumper *p = arg;
  while (!atomic_load(&p->stop)) {
    if (natsrs_connection_publish(p->nc, p->subject, TEXT("tick")) == NATSRS_STATUS_OK)
      atomic_fetch_add(&p->sent, 1);
    tu_sleep_ms(1);
  }
  return NULL;
}

static bool in_callback(void *arg) { return atomic_load(&((watch *)arg)->in_cb) > 0; }
static bool ud_freed(void *arg) { return atomic_load(&((watch *)arg)->ud_frees) >= 1; }

enum { KILL_SUB_FREE, KILL_CONN_FREE, KILL_CONN_CLOSE, KILL_SUB_UNSUBSCRIBE };

static void free_while_delivering(int how) {
  natsrs_connection *nc = tu_connect();
  natsrs_connection *pubc = tu_connect();
  REQUIRE(nc && pubc);
  char subj[200];
  tu_subject(subj, sizeof subj, "busy");
  static watch w;
  memset(&w, 0, sizeof w);
  w.sleep_ms = 20;
  natsrs_subscription *sub = NULL;
  REQUIRE_OK(natsrs_connection_subscribe(nc, subj, watch_cb, &w, watch_free, &sub));
  CHECK_OK(natsrs_connection_flush(nc, 5000));
  static pumper p;
  memset(&p, 0, sizeof p);
  p.nc = pubc;
  p.subject = subj;
  REQUIRE(pthread_create(&p.th, NULL, pump, &p) == 0);

  /* kill it while a callback is in the middle of running */
  CHECK(tu_wait_until(in_callback, &w, 5000));
  int64_t t0 = tu_now_ms();
  switch (how) {
  case KILL_SUB_FREE:
    natsrs_subscription_free(sub);
    sub = NULL;
    break;
  case KILL_SUB_UNSUBSCRIBE:
    CHECK_OK(natsrs_subscription_unsubscribe(sub));
    break;
  case KILL_CONN_FREE:
    natsrs_connection_free(nc);
    nc = NULL;
    break;
  case KILL_CONN_CLOSE:
    CHECK_OK(natsrs_connection_close(nc));
    break;
  }
  atomic_store(&w.done, true);
  int64_t took = tu_now_ms() - t0;
  int running = atomic_load(&w.in_cb);
  printf("    returned after %lld ms, callbacks running then: %d, calls so far: %d\n",
         (long long)took, running, atomic_load(&w.calls));
  CHECK_EQ(running, 0);
  if (how == KILL_SUB_FREE) /* the header: userdata_free has run when free returns */
    CHECK_EQ(atomic_load(&w.ud_frees), 1);

  tu_sleep_ms(300); /* messages keep coming for a while */
  atomic_store(&p.stop, true);
  pthread_join(p.th, NULL);
  CHECK(atomic_load(&p.sent) > 0);
  CHECK_OK(natsrs_connection_flush(pubc, 5000));
  tu_sleep_ms(100);
  CHECK_EQ(atomic_load(&w.after), 0);

  if (sub) /* the handle itself is still ours to free */
    natsrs_subscription_free(sub);
  CHECK(tu_wait_until(ud_freed, &w, 2000));
  tu_sleep_ms(50);
  CHECK_EQ(atomic_load(&w.ud_frees), 1);
  CHECK_EQ(atomic_load(&w.after), 0);
  natsrs_connection_free(nc);
  natsrs_connection_free(pubc);
}

static void test_subscription_free_while_delivering(void) { free_while_delivering(KILL_SUB_FREE); }
static void test_unsubscribe_while_delivering(void) {
  free_while_delivering(KILL_SUB_UNSUBSCRIBE);
}
static void test_connection_free_while_delivering(void) {
  free_while_delivering(KILL_CONN_FREE);
}
static void test_connection_close_while_delivering(void) {
  free_while_delivering(KILL_CONN_CLOSE);
}

/* ------------------------------------------------------------------------ */
/* callbacks that call back into the library                                 */

static void echo_responder(void *ud, natsrs_subscription *sub, const natsrs_msg *msg) {
  (void)ud;
  (void)sub;
  natsrs_msg_respond(msg, natsrs_msg_data(msg), natsrs_msg_data_len(msg));
}

typedef struct reentrant {
  natsrs_connection *nc;
  char fwd_subject[200];
  char svc_subject[200];
  atomic_int publish_fail, request_fail, flush_fail, reply_wrong;
  tu_counter done;
} reentrant;

static void reentrant_cb(void *ud, natsrs_subscription *sub, const natsrs_msg *msg) {
  reentrant *r = ud;
  (void)sub;
  if (natsrs_connection_publish(r->nc, r->fwd_subject, natsrs_msg_data(msg),
                                natsrs_msg_data_len(msg)) != NATSRS_STATUS_OK)
    atomic_fetch_add(&r->publish_fail, 1);
  natsrs_msg *reply = NULL;
  if (natsrs_connection_request(r->nc, r->svc_subject, TEXT("inner"), 5000, &reply) !=
      NATSRS_STATUS_OK) {
    atomic_fetch_add(&r->request_fail, 1);
  } else {
    if (natsrs_msg_data_len(reply) != 5 || memcmp(natsrs_msg_data(reply), "inner", 5) != 0)
      atomic_fetch_add(&r->reply_wrong, 1);
    natsrs_msg_free(reply);
  }
  if (natsrs_connection_flush(r->nc, 5000) != NATSRS_STATUS_OK)
    atomic_fetch_add(&r->flush_fail, 1);
  tu_counter_add(&r->done, 1);
}

static void test_callback_publishes_requests_flushes(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  static reentrant r;
  memset(&r, 0, sizeof r);
  r.nc = nc;
  tu_counter_init(&r.done);
  char in[200];
  tu_subject(in, sizeof in, "in");
  tu_subject(r.fwd_subject, sizeof r.fwd_subject, "fwd");
  tu_subject(r.svc_subject, sizeof r.svc_subject, "svc");
  natsrs_subscription *svc = NULL, *sub = NULL, *fwd = NULL;
  REQUIRE_OK(natsrs_connection_subscribe(nc, r.svc_subject, echo_responder, NULL, NULL, &svc));
  REQUIRE_OK(natsrs_connection_subscribe(nc, in, reentrant_cb, &r, NULL, &sub));
  REQUIRE_OK(natsrs_connection_subscribe_sync(nc, r.fwd_subject, &fwd));
  CHECK_OK(natsrs_connection_flush(nc, 5000));
  for (int i = 0; i < 10; i++)
    CHECK_OK(natsrs_connection_publish(nc, in, TEXT("hop")));
  CHECK_EQ(tu_counter_wait(&r.done, 10, 20000), 10);
  CHECK_EQ(atomic_load(&r.publish_fail), 0);
  CHECK_EQ(atomic_load(&r.request_fail), 0);
  CHECK_EQ(atomic_load(&r.reply_wrong), 0);
  CHECK_EQ(atomic_load(&r.flush_fail), 0);
  for (int i = 0; i < 10; i++) {
    natsrs_msg *m = NULL;
    CHECK_OK(natsrs_subscription_next_msg(fwd, 5000, &m));
    natsrs_msg_free(m);
  }
  natsrs_subscription_free(sub);
  natsrs_subscription_free(svc);
  natsrs_subscription_free(fwd);
  tu_counter_destroy(&r.done);
  natsrs_connection_free(nc);
}

typedef struct self_kill {
  natsrs_subscription *_Atomic handle; /* the handle subscribe returned */
  atomic_int calls;
  atomic_int status;                   /* of the unsubscribe/free call */
  atomic_int wrong_sub;                /* callback's sub != our handle */
  atomic_int ud_frees;
  bool use_free;
  gate ready;                          /* opened once `handle` is stored */
} self_kill;

static void self_kill_cb(void *ud, natsrs_subscription *sub, const natsrs_msg *msg) {
  self_kill *k = ud;
  (void)msg;
  gate_wait(&k->ready, 5000);
  int n = atomic_fetch_add(&k->calls, 1);
  natsrs_subscription *mine = atomic_load(&k->handle);
  if (sub != mine)
    atomic_fetch_add(&k->wrong_sub, 1);
  if (n != 0)
    return;
  if (k->use_free) {
    natsrs_subscription_free(mine);
    atomic_store(&k->status, 0);
  } else {
    atomic_store(&k->status, (int)natsrs_subscription_unsubscribe(mine));
  }
}

static void self_kill_free(void *ud) {
  self_kill *k = ud;
  atomic_fetch_add(&k->ud_frees, 1);
}

static bool calls_at_least_one(void *arg) { return atomic_load(&((self_kill *)arg)->calls) >= 1; }
static bool sk_ud_freed(void *arg) { return atomic_load(&((self_kill *)arg)->ud_frees) >= 1; }

static void callback_kills_own_sub(bool use_free) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  char subj[200];
  tu_subject(subj, sizeof subj, "self");
  static self_kill k;
  memset(&k, 0, sizeof k);
  k.use_free = use_free;
  gate_init(&k.ready);
  natsrs_subscription *sub = NULL, *witness = NULL;
  REQUIRE_OK(natsrs_connection_subscribe(nc, subj, self_kill_cb, &k, self_kill_free, &sub));
  atomic_store(&k.handle, sub);
  gate_open(&k.ready);
  REQUIRE_OK(natsrs_connection_subscribe_sync(nc, subj, &witness));
  for (int i = 0; i < 20; i++)
    CHECK_OK(natsrs_connection_publish(nc, subj, TEXT("x")));
  CHECK(tu_wait_until(calls_at_least_one, &k, 5000));
  for (int i = 0; i < 20; i++) { /* all 20 reached the client */
    natsrs_msg *m = NULL;
    CHECK_OK(natsrs_subscription_next_msg(witness, 5000, &m));
    natsrs_msg_free(m);
  }
  CHECK_OK(natsrs_connection_flush(nc, 5000));
  tu_sleep_ms(100); /* settle window for a wrong delivery */
  CHECK_EQ(atomic_load(&k.calls), 1);
  CHECK_EQ(atomic_load(&k.status), NATSRS_STATUS_OK);
  CHECK_EQ(atomic_load(&k.wrong_sub), 0);
  if (!use_free) {
    CHECK(!natsrs_subscription_is_valid(sub));
    natsrs_subscription_free(sub);
  }
  CHECK(tu_wait_until(sk_ud_freed, &k, 2000));
  tu_sleep_ms(50);
  CHECK_EQ(atomic_load(&k.ud_frees), 1);
  /* the connection is fine */
  CHECK_OK(natsrs_connection_publish(nc, subj, TEXT("y")));
  natsrs_msg *m = NULL;
  CHECK_OK(natsrs_subscription_next_msg(witness, 5000, &m));
  natsrs_msg_free(m);
  natsrs_subscription_free(witness);
  natsrs_connection_free(nc);
  gate_destroy(&k.ready);
}

static void test_callback_unsubscribes_own_sub(void) { callback_kills_own_sub(false); }
static void test_callback_frees_own_sub(void) { callback_kills_own_sub(true); }

typedef struct closer {
  natsrs_connection *nc;
  atomic_int calls;
  atomic_int status;
} closer;

static void closer_cb(void *ud, natsrs_subscription *sub, const natsrs_msg *msg) {
  closer *c = ud;
  (void)sub;
  (void)msg;
  if (atomic_fetch_add(&c->calls, 1) == 0)
    atomic_store(&c->status, (int)natsrs_connection_close(c->nc));
}

static bool closer_called(void *arg) { return atomic_load(&((closer *)arg)->calls) >= 1; }

static void test_callback_closes_connection(void) {
  natsrs_connection *nc = tu_connect();
  natsrs_connection *pub = tu_connect();
  REQUIRE(nc && pub);
  char subj[200];
  tu_subject(subj, sizeof subj, "close");
  static closer c;
  memset(&c, 0, sizeof c);
  c.nc = nc;
  atomic_store(&c.status, -1);
  natsrs_subscription *sub = NULL;
  REQUIRE_OK(natsrs_connection_subscribe(nc, subj, closer_cb, &c, NULL, &sub));
  CHECK_OK(natsrs_connection_flush(nc, 5000));
  for (int i = 0; i < 10; i++) /* from another connection: ours gets closed meanwhile */
    CHECK_OK(natsrs_connection_publish(pub, subj, TEXT("x")));
  CHECK(tu_wait_until(closer_called, &c, 5000));
  tu_sleep_ms(200);
  CHECK_EQ(atomic_load(&c.status), NATSRS_STATUS_OK);
  CHECK_EQ(atomic_load(&c.calls), 1);
  CHECK(natsrs_connection_is_closed(nc));
  natsrs_subscription_free(sub);
  natsrs_connection_free(nc);
  natsrs_connection_free(pub);
}

/* ------------------------------------------------------------------------ */
/* blocked waits end when the subscription or connection ends                */

typedef struct blocked_next {
  natsrs_subscription *sub;
  natsrs_status status;
  int64_t took_ms;
  char error[256]; /* natsrs_last_error_message() of that thread */
} blocked_next;

static void *blocked_next_msg(void *arg) {
  blocked_next *b = arg;
  natsrs_msg *m = NULL;
  int64_t t0 = tu_now_ms();
  b->status = natsrs_subscription_next_msg(b->sub, 10000, &m);
  b->took_ms = tu_now_ms() - t0;
  snprintf(b->error, sizeof b->error, "%s", natsrs_last_error_message());
  if (b->status == NATSRS_STATUS_OK)
    natsrs_msg_free(m);
  return NULL;
}

static void next_msg_wakes_up(bool close_connection) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  char subj[200];
  tu_subject(subj, sizeof subj, "wait");
  natsrs_subscription *sub = NULL;
  REQUIRE_OK(natsrs_connection_subscribe_sync(nc, subj, &sub));
  blocked_next b = {sub, NATSRS_STATUS_PANIC, -1, ""};
  pthread_t th;
  REQUIRE(pthread_create(&th, NULL, blocked_next_msg, &b) == 0);
  tu_sleep_ms(200); /* let it block */
  if (close_connection)
    CHECK_OK(natsrs_connection_close(nc));
  else
    CHECK_OK(natsrs_subscription_unsubscribe(sub));
  pthread_join(th, NULL);
  printf("    next_msg returned %s after %lld ms\n", natsrs_status_str(b.status),
         (long long)b.took_ms);
  if (close_connection)
    CHECK(b.status == NATSRS_STATUS_CONNECTION_CLOSED ||
          b.status == NATSRS_STATUS_INVALID_SUBSCRIPTION);
  else
    CHECK_EQ(b.status, NATSRS_STATUS_INVALID_SUBSCRIPTION);
  CHECK(b.error[0] != '\0');
  CHECK(b.took_ms < 5000);
  natsrs_subscription_free(sub);
  natsrs_connection_free(nc);
}

static void test_next_msg_wakes_on_unsubscribe(void) { next_msg_wakes_up(false); }
static void test_next_msg_wakes_on_close(void) { next_msg_wakes_up(true); }

static void gated_2s_cb(void *ud, natsrs_subscription *sub, const natsrs_msg *msg) {
  slow_sub *s = ud;
  (void)sub;
  (void)msg;
  gate_wait(&s->g, 2000);
  tu_counter_add(&s->delivered, 1);
}

static void test_subscription_drain_wait_timeout(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  char subj[200];
  tu_subject(subj, sizeof subj, "dt");
  static slow_sub ss;
  gate_init(&ss.g);
  tu_counter_init(&ss.delivered);
  natsrs_subscription *sub = NULL;
  REQUIRE_OK(natsrs_connection_subscribe(nc, subj, gated_cb, &ss, NULL, &sub));
  for (int i = 0; i < 5; i++)
    CHECK_OK(natsrs_connection_publish(nc, subj, TEXT("x")));
  CHECK_OK(natsrs_connection_flush(nc, 5000));
  CHECK_OK(natsrs_subscription_drain(sub));
  int64_t t0 = tu_now_ms();
  CHECK_STATUS(natsrs_subscription_drain_wait(sub, 200), NATSRS_STATUS_TIMEOUT);
  int64_t took = tu_now_ms() - t0;
  CHECK(took >= 190 && took < 3000);
  gate_open(&ss.g);
  CHECK_OK(natsrs_subscription_drain_wait(sub, 5000));
  CHECK_EQ(tu_counter_get(&ss.delivered), 5);
  natsrs_subscription_free(sub);
  natsrs_connection_free(nc);
  gate_destroy(&ss.g);
  tu_counter_destroy(&ss.delivered);
}

static void test_connection_drain_timeout(void) {
  natsrs_connection *nc = tu_connect();
  REQUIRE(nc);
  char subj[200];
  tu_subject(subj, sizeof subj, "dt");
  static slow_sub ss;
  gate_init(&ss.g);
  tu_counter_init(&ss.delivered);
  natsrs_subscription *sub = NULL;
  REQUIRE_OK(natsrs_connection_subscribe(nc, subj, gated_2s_cb, &ss, NULL, &sub));
  for (int i = 0; i < 5; i++)
    CHECK_OK(natsrs_connection_publish(nc, subj, TEXT("x")));
  CHECK_OK(natsrs_connection_flush(nc, 5000));
  int64_t t0 = tu_now_ms();
  CHECK_STATUS(natsrs_connection_drain(nc, 300), NATSRS_STATUS_TIMEOUT);
  int64_t took = tu_now_ms() - t0;
  printf("    drain(300 ms) returned after %lld ms\n", (long long)took);
  CHECK(took >= 290);
  CHECK(natsrs_connection_is_closed(nc)); /* closed in any case */
  gate_open(&ss.g);
  natsrs_subscription_free(sub);
  natsrs_connection_free(nc);
  gate_destroy(&ss.g);
  tu_counter_destroy(&ss.delivered);
}

static const tu_test tests[] = {
    TU_TEST(test_slow_consumer_async),
    TU_TEST(test_default_pending_limits_from_options_sync),
    TU_TEST(test_subscription_drain_async),
    TU_TEST(test_subscription_drain_sync),
    TU_TEST(test_connection_drain),
    TU_TEST(test_connection_drain_responder_answers_all),
    TU_TEST(test_handler_userdata_freed_once),
    TU_TEST(test_closed_handler_once_on_close),
    TU_TEST(test_subscription_free_while_delivering),
    TU_TEST(test_unsubscribe_while_delivering),
    TU_TEST(test_connection_free_while_delivering),
    TU_TEST(test_connection_close_while_delivering),
    TU_TEST(test_callback_publishes_requests_flushes),
    TU_TEST(test_callback_unsubscribes_own_sub),
    TU_TEST(test_callback_frees_own_sub),
    TU_TEST(test_callback_closes_connection),
    TU_TEST(test_next_msg_wakes_on_unsubscribe),
    TU_TEST(test_next_msg_wakes_on_close),
    TU_TEST(test_subscription_drain_wait_timeout),
    TU_TEST(test_connection_drain_timeout),
};

int main(int argc, char **argv) { return tu_main(argc, argv, tests, TU_COUNT(tests)); }
