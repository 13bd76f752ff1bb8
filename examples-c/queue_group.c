/*
 * queue_group.c - load balancing with a queue group.
 *
 * Shows: natsrs_connection_queue_subscribe. Three workers join the queue group
 * "workers" on the same subject; the server hands each message to exactly one
 * of them. userdata carries per-worker state.
 *
 * Run:  make && NATS_URL=nats://127.0.0.1:4222 ./build/queue_group
 */
#include "example.h"

#define WORKERS 3
#define JOBS 30

typedef struct worker {
  int id;
  int handled;     /* guarded by total->mu */
  counter *total;  /* all workers together */
} worker;

static void on_job(void *userdata, natsrs_subscription *sub, const natsrs_msg *msg) {
  worker *w = userdata;
  (void)sub;
  (void)msg;
  pthread_mutex_lock(&w->total->mu);
  w->handled++;
  pthread_mutex_unlock(&w->total->mu);
  counter_add(w->total, 1);
}

int main(void) {
  natsrs_connection *nc = example_connect();

  counter total;
  counter_init(&total);
  worker workers[WORKERS];
  natsrs_subscription *subs[WORKERS];
  for (int i = 0; i < WORKERS; i++) {
    workers[i] = (worker){.id = i + 1, .handled = 0, .total = &total};
    CHECK(natsrs_connection_queue_subscribe(nc, "examples.jobs", "workers", on_job,
                                            &workers[i], NULL, &subs[i]));
    printf("Worker %d joined queue group 'workers' on 'examples.jobs'\n", i + 1);
  }

  printf("Publishing %d jobs\n", JOBS);
  for (int i = 0; i < JOBS; i++) {
    char job[32];
    snprintf(job, sizeof job, "job %d", i);
    CHECK(natsrs_connection_publish(nc, "examples.jobs", TEXT(job)));
  }

  counter_wait(&total, JOBS, 5000);
  /* A round trip to the server: anything extra would have been sent before the PONG. */
  CHECK(natsrs_connection_flush(nc, 2000));
  for (int i = 0; i < WORKERS; i++)
    natsrs_subscription_free(subs[i]); /* waits for a running callback */
  int got = counter_get(&total);
  for (int i = 0; i < WORKERS; i++)
    printf("Worker %d handled %d jobs\n", workers[i].id, workers[i].handled);
  EXPECT(got == JOBS, "expected each of %d jobs exactly once, counted %d", JOBS, got);

  natsrs_connection_free(nc);
  counter_destroy(&total);
  printf("queue_group: OK\n");
  return 0;
}
