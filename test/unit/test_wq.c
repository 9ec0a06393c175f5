/*
 * Work queue tests on a real libuv loop with short real delays. Timing assertions check
 * that nothing ran early (libuv timers never fire early) and use wide upper bounds only
 * where a missing feature would take far longer.
 */
#include "core/core.h"
#include "test.h"
#include "wq/wq.h"

#include <stdint.h>

#define MAX_RUNS 512

typedef struct ctx ctx;

struct ctx {
    uv_loop_t loop;
    wq       *q;
    uint64_t  t0;
    int       runs;
    char      key[MAX_RUNS][32]; /* key of each run, in order */
    uint64_t  at[MAX_RUNS];      /* loop time of each run, from t0 */
    unsigned  retries[MAX_RUNS]; /* wq_retries when the run started */
    int       running, max_running, depth;
    int       drained;
    int       dones;
    uint64_t  done_ms; /* how long async reconciles take */
    void (*behave)(ctx *c, const char *key, int run);
};


static void
on_reconcile(wq *q, const char *key, void *data)
{
    ctx *c = data;
    int  run = c->runs;

    ASSERT(q == c->q);
    ASSERT(run < MAX_RUNS);
    ASSERT_EQ(c->depth, 0); /* never called from inside another reconcile */
    c->depth++;
    snprintf(c->key[run], sizeof c->key[run], "%s", key);
    c->at[run] = uv_now(&c->loop) - c->t0;
    c->retries[run] = wq_retries(q, key);
    c->runs++;
    c->running++;
    if (c->running > c->max_running)
        c->max_running = c->running;
    c->behave(c, key, run);
    c->depth--;
}


static void
finish(ctx *c, const char *key, wq_result r, uint64_t after)
{
    c->running--;
    c->dones++;
    ASSERT_EQ(wq_done(c->q, key, r, after), CORE_OK);
}


static void
start(ctx *c, const wq_opts *opts, void (*behave)(ctx *, const char *, int))
{
    memset(c, 0, sizeof *c);
    ASSERT_EQ(uv_loop_init(&c->loop), 0);
    c->behave = behave;
    ASSERT_EQ(wq_new(&c->loop, opts, on_reconcile, c, &c->q), CORE_OK);
    c->t0 = uv_now(&c->loop);
}


/* Frees the queue and checks that the loop closes with nothing left open. */
static void
stop(ctx *c)
{
    wq_free(c->q);
    ASSERT_EQ(uv_run(&c->loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(uv_loop_close(&c->loop), 0);
}


static int
count_runs(const ctx *c, const char *key)
{
    int i, n = 0;

    for (i = 0; i < c->runs; i++)
        n += strcmp(c->key[i], key) == 0;
    return n;
}


/* Runs index of the nth run (0-based) of key, or -1. */
static int
nth_run(const ctx *c, const char *key, int nth)
{
    int i;

    for (i = 0; i < c->runs; i++)
        if (strcmp(c->key[i], key) == 0 && nth-- == 0)
            return i;
    return -1;
}


/* A reconcile that finishes later, from a timer of the test's own. */
typedef struct {
    uv_timer_t timer;
    ctx       *c;
    wq_result  result;
    uint64_t   after;
    char       key[32];
} later;


static void
later_closed(uv_handle_t *h)
{
    free(h);
}


static void
later_fire(uv_timer_t *t)
{
    later *l = t->data;

    finish(l->c, l->key, l->result, l->after);
    uv_close((uv_handle_t *)t, later_closed);
}


static void
finish_later(ctx *c, const char *key, uint64_t ms, wq_result r, uint64_t after)
{
    later *l = calloc(1, sizeof *l);

    ASSERT(l != NULL);
    l->c = c;
    l->result = r;
    l->after = after;
    snprintf(l->key, sizeof l->key, "%s", key);
    uv_timer_init(&c->loop, &l->timer);
    l->timer.data = l;
    uv_timer_start(&l->timer, later_fire, ms, 0);
}


static void
behave_ok(ctx *c, const char *key, int run)
{
    (void)run;
    finish(c, key, WQ_OK, 0);
}


static void
behave_async_ok(ctx *c, const char *key, int run)
{
    (void)run;
    finish_later(c, key, c->done_ms, WQ_OK, 0);
}


TEST(wq_backoff_doubles_to_cap_without_overflow)
{
    ASSERT_EQ(wq_backoff_ms(0), 0);
    ASSERT_EQ(wq_backoff_ms(1), 5);
    ASSERT_EQ(wq_backoff_ms(2), 10);
    ASSERT_EQ(wq_backoff_ms(3), 20);
    ASSERT_EQ(wq_backoff_ms(10), 2560);
    ASSERT_EQ(wq_backoff_ms(18), 655360);
    ASSERT_EQ(wq_backoff_ms(19), 1000000);
    ASSERT_EQ(wq_backoff_ms(20), 1000000);
    ASSERT_EQ(wq_backoff_ms(64), 1000000);
    ASSERT_EQ(wq_backoff_ms(65), 1000000);
    ASSERT_EQ(wq_backoff_ms(1000), 1000000);
    ASSERT_EQ(wq_backoff_ms(UINT32_MAX), 1000000);
}


TEST(wq_dedups_and_runs_fifo)
{
    ctx c;

    start(&c, NULL, behave_ok);
    ASSERT_EQ(wq_add(c.q, "ns/a"), CORE_OK);
    ASSERT_EQ(wq_add(c.q, "ns/b"), CORE_OK);
    ASSERT_EQ(wq_add(c.q, "ns/a"), CORE_OK);
    ASSERT_EQ(wq_add(c.q, "ns/c"), CORE_OK);
    ASSERT_EQ(wq_add(c.q, "ns/b"), CORE_OK);
    ASSERT_EQ(wq_add(c.q, "ns/a"), CORE_OK);
    ASSERT_EQ(wq_len(c.q), 3);
    ASSERT_EQ(c.runs, 0); /* nothing runs inside wq_add */
    ASSERT_EQ(uv_run(&c.loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(c.runs, 3);
    ASSERT_STR(c.key[0], "ns/a");
    ASSERT_STR(c.key[1], "ns/b");
    ASSERT_STR(c.key[2], "ns/c");
    ASSERT_EQ(wq_len(c.q), 0);
    ASSERT_EQ(wq_in_flight(c.q), 0);
    stop(&c);
}


static void
behave_readd_while_running(ctx *c, const char *key, int run)
{
    if (run == 0) {
        /* Three more adds while in flight: one re-run, after this one ends. */
        ASSERT_EQ(wq_add(c->q, key), CORE_OK);
        ASSERT_EQ(wq_add(c->q, key), CORE_OK);
        ASSERT_EQ(wq_add(c->q, key), CORE_OK);
        ASSERT_EQ(wq_len(c->q), 0);
        ASSERT_EQ(wq_in_flight(c->q), 1);
    }
    finish_later(c, key, 20, WQ_OK, 0);
}


TEST(wq_never_runs_a_key_twice_at_once_and_reruns_dirty)
{
    ctx     c;
    wq_opts o = {.max_in_flight = 4};

    start(&c, &o, behave_readd_while_running);
    ASSERT_EQ(wq_add(c.q, "ns/a"), CORE_OK);
    ASSERT_EQ(uv_run(&c.loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(c.runs, 2);
    ASSERT_EQ(c.max_running, 1);     /* despite four free slots */
    ASSERT(c.at[1] >= c.at[0] + 20); /* the re-run waited for the first to finish */
    stop(&c);
}


TEST(wq_respects_concurrency_limit)
{
    ctx     c;
    wq_opts o = {.max_in_flight = 3};
    char    key[32];
    int     i;

    start(&c, &o, behave_async_ok);
    c.done_ms = 10;
    for (i = 0; i < 10; i++) {
        snprintf(key, sizeof key, "ns/k%d", i);
        ASSERT_EQ(wq_add(c.q, key), CORE_OK);
    }
    ASSERT_EQ(uv_run(&c.loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(c.runs, 10);
    ASSERT_EQ(c.max_running, 3);
    for (i = 0; i < 10; i++) {
        snprintf(key, sizeof key, "ns/k%d", i);
        ASSERT_EQ(count_runs(&c, key), 1);
        ASSERT_STR(c.key[i], key); /* FIFO */
    }
    /* Batches of three: the fourth key started only after one of the first finished. */
    ASSERT(c.at[3] >= 10);
    stop(&c);
}


/* Finishes synchronously and re-adds itself for a while: no recursion, no spinning. */
static void
behave_sync_readd(ctx *c, const char *key, int run)
{
    if (run < 300)
        ASSERT_EQ(wq_add(c->q, key), CORE_OK);
    finish(c, key, WQ_OK, 0);
}


TEST(wq_synchronous_done_inside_reconcile)
{
    ctx     c;
    wq_opts o = {.max_in_flight = 2};
    char    key[32];
    int     i;

    start(&c, &o, behave_sync_readd);
    for (i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "ns/k%d", i);
        ASSERT_EQ(wq_add(c.q, key), CORE_OK);
    }
    ASSERT_EQ(uv_run(&c.loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(c.runs, 100 + 300);
    ASSERT_EQ(c.max_running, 1);
    ASSERT_EQ(wq_len(c.q), 0);
    stop(&c);
}


/*
 * Fails five times (backoff 5, 10, 20, 40, 80 ms), succeeds once while re-adding itself,
 * then fails once more: the backoff after the success starts again at 5 ms.
 */
static void
behave_fail_then_succeed(ctx *c, const char *key, int run)
{
    if (run < 5 || run == 6) {
        finish(c, key, WQ_ERROR, 0);
    } else if (run == 5) {
        ASSERT_EQ(wq_add(c->q, key), CORE_OK);
        finish(c, key, WQ_OK, 0);
        ASSERT_EQ(wq_retries(c->q, key), 0);
    } else {
        finish(c, key, WQ_OK, 0);
    }
}


TEST(wq_backoff_grows_per_failure_and_resets_on_success)
{
    ctx c;
    int i;

    start(&c, NULL, behave_fail_then_succeed);
    ASSERT_EQ(wq_add(c.q, "ns/db"), CORE_OK);
    ASSERT_EQ(uv_run(&c.loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(c.runs, 8);
    for (i = 0; i < 6; i++)
        ASSERT_EQ(c.retries[i], (unsigned)i);
    for (i = 1; i <= 5; i++)
        ASSERT(c.at[i] - c.at[i - 1] >= wq_backoff_ms((unsigned)i));
    ASSERT_EQ(c.retries[6], 0); /* after the success */
    ASSERT_EQ(c.retries[7], 1);
    ASSERT(c.at[7] - c.at[6] >= 5);
    ASSERT(c.at[7] - c.at[6] < 100); /* a remembered count would wait 160 ms */
    ASSERT_EQ(wq_retries(c.q, "ns/db"), 0);
    stop(&c);
}


static void
behave_requeue(ctx *c, const char *key, int run)
{
    if (run == 0)
        finish(c, key, WQ_ERROR, 0);
    else if (run == 1)
        finish(c, key, WQ_REQUEUE_AFTER, 60);
    else
        finish(c, key, WQ_OK, 0);
}


TEST(wq_requeue_after_waits_and_resets_failures)
{
    ctx c;

    start(&c, NULL, behave_requeue);
    ASSERT_EQ(wq_add(c.q, "ns/db"), CORE_OK);
    ASSERT_EQ(uv_run(&c.loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(c.runs, 3);
    ASSERT_EQ(c.retries[1], 1);
    ASSERT_EQ(c.retries[2], 0);
    ASSERT(c.at[2] - c.at[1] >= 60);
    stop(&c);
}


TEST(wq_delayed_keys_run_in_due_order_and_not_early)
{
    ctx c;
    int i;

    start(&c, NULL, behave_ok);
    ASSERT_EQ(wq_add_after(c.q, "ns/c", 60), CORE_OK);
    ASSERT_EQ(wq_add_after(c.q, "ns/a", 20), CORE_OK);
    ASSERT_EQ(wq_add_after(c.q, "ns/b", 40), CORE_OK);
    ASSERT_EQ(wq_add(c.q, "ns/now"), CORE_OK);
    ASSERT_EQ(wq_len(c.q), 4);
    ASSERT_EQ(wq_ready(c.q), 1);
    ASSERT_EQ(uv_run(&c.loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(wq_ready(c.q), 0);
    ASSERT_EQ(c.runs, 4);
    ASSERT_STR(c.key[0], "ns/now");
    ASSERT_STR(c.key[1], "ns/a");
    ASSERT_STR(c.key[2], "ns/b");
    ASSERT_STR(c.key[3], "ns/c");
    for (i = 1; i < 4; i++)
        ASSERT(c.at[i] >= (uint64_t)(20 * i));
    stop(&c);
}


TEST(wq_earlier_due_time_wins)
{
    ctx      c;
    uint64_t end;
    int      r;

    start(&c, NULL, behave_ok);
    /* Later then earlier: pulled forward. */
    ASSERT_EQ(wq_add_after(c.q, "ns/a", 400), CORE_OK);
    ASSERT_EQ(wq_add_after(c.q, "ns/a", 30), CORE_OK);
    /* Earlier then later: stays early, and only one run. */
    ASSERT_EQ(wq_add_after(c.q, "ns/b", 30), CORE_OK);
    ASSERT_EQ(wq_add_after(c.q, "ns/b", 400), CORE_OK);
    /* Delayed, then added with no delay: runs now. */
    ASSERT_EQ(wq_add_after(c.q, "ns/c", 400), CORE_OK);
    ASSERT_EQ(wq_add(c.q, "ns/c"), CORE_OK);
    ASSERT_EQ(wq_len(c.q), 3);
    ASSERT_EQ(uv_run(&c.loop, UV_RUN_DEFAULT), 0);
    end = uv_now(&c.loop) - c.t0;
    ASSERT_EQ(c.runs, 3);
    ASSERT_STR(c.key[0], "ns/c");
    ASSERT(c.at[0] < 30);
    r = nth_run(&c, "ns/a", 0);
    ASSERT(r >= 0 && c.at[r] >= 30 && c.at[r] < 400);
    r = nth_run(&c, "ns/b", 0);
    ASSERT(r >= 0 && c.at[r] >= 30 && c.at[r] < 400);
    ASSERT(end < 400); /* no timer left behind for the superseded due times */
    stop(&c);
}


/*
 * Heap integrity under churn: random delays, some pulled forward, some made immediate
 * (removed from the middle of the heap). Each key runs once, not before its effective due
 * time, and delayed keys run in due order.
 */
TEST(wq_many_delayed_keys_keep_due_order)
{
    enum {
        N = 200
    };
    static uint64_t due[N];
    static char     seen[N];
    ctx             c;
    wq_opts         o = {.max_in_flight = 8};
    uint64_t        seed = 7, last = 0;
    char            key[32];
    int             i, r, k;

    memset(seen, 0, sizeof seen);
    start(&c, &o, behave_ok);
    for (i = 0; i < N; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        due[i] = 5 + (seed >> 33) % 60;
        snprintf(key, sizeof key, "k%d", i);
        ASSERT_EQ(wq_add_after(c.q, key, due[i]), CORE_OK);
    }
    for (i = 0; i < N; i += 3) {
        snprintf(key, sizeof key, "k%d", i);
        due[i] = due[i] / 2 + 1;
        ASSERT_EQ(wq_add_after(c.q, key, due[i]), CORE_OK);
        ASSERT_EQ(wq_add_after(c.q, key, due[i] + 30), CORE_OK); /* ignored: later */
    }
    for (i = 1; i < N; i += 7) {
        snprintf(key, sizeof key, "k%d", i);
        due[i] = 0;
        ASSERT_EQ(wq_add(c.q, key), CORE_OK);
    }
    ASSERT_EQ(wq_len(c.q), N);
    ASSERT_EQ(uv_run(&c.loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(c.runs, N);
    for (r = 0; r < N; r++) {
        k = (int)strtol(c.key[r] + 1, NULL, 10);
        ASSERT(k >= 0 && k < N && !seen[k]);
        seen[k] = 1;
        ASSERT(c.at[r] >= due[k]);
        ASSERT(due[k] >= last); /* immediate ones first, then by due time */
        last = due[k];
    }
    stop(&c);
}


/* In flight for 50 ms; a delayed add comes due meanwhile and waits for the run to end. */
static void
behave_slow_with_delayed_add(ctx *c, const char *key, int run)
{
    if (run == 0)
        ASSERT_EQ(wq_add_after(c->q, key, 10), CORE_OK);
    finish_later(c, key, 50, WQ_OK, 0);
}


TEST(wq_delayed_add_while_in_flight_runs_after)
{
    ctx     c;
    wq_opts o = {.max_in_flight = 2};

    start(&c, &o, behave_slow_with_delayed_add);
    ASSERT_EQ(wq_add(c.q, "ns/a"), CORE_OK);
    ASSERT_EQ(uv_run(&c.loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(c.runs, 2);
    ASSERT_EQ(c.max_running, 1);
    ASSERT(c.at[1] >= c.at[0] + 50);
    stop(&c);
}


/* First run of every "fail-*" key fails; the retry succeeds. Fresh keys just succeed. */
static void
behave_fail_once(ctx *c, const char *key, int run)
{
    char fresh[32];
    int  i;

    (void)run;
    if (strncmp(key, "fail-", 5) == 0 && count_runs(c, key) == 1) {
        finish(c, key, WQ_ERROR, 0);
        if (strcmp(key, "fail-7") == 0) {
            /* The retry bucket is in debt now; fresh work must not be throttled. */
            for (i = 0; i < 10; i++) {
                snprintf(fresh, sizeof fresh, "fresh-%d", i);
                ASSERT_EQ(wq_add(c->q, fresh), CORE_OK);
            }
        }
        return;
    }
    finish(c, key, WQ_OK, 0);
}


TEST(wq_retry_bucket_limits_retries_not_fresh_adds)
{
    ctx      c;
    wq_opts  o = {.max_in_flight = 50, .retry_qps = 10, .retry_burst = 5};
    uint64_t t_fail, retry_at[8];
    char     key[32];
    int      i, r, early = 0;

    start(&c, &o, behave_fail_once);
    for (i = 0; i < 8; i++) {
        snprintf(key, sizeof key, "fail-%d", i);
        ASSERT_EQ(wq_add(c.q, key), CORE_OK);
    }
    ASSERT_EQ(uv_run(&c.loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(c.runs, 8 + 8 + 10);
    t_fail = c.at[0];
    for (i = 0; i < 8; i++) {
        snprintf(key, sizeof key, "fail-%d", i);
        r = nth_run(&c, key, 1);
        ASSERT(r >= 0);
        retry_at[i] = c.at[r] - t_fail;
        ASSERT(retry_at[i] >= 5); /* never before the per-key backoff */
        early += retry_at[i] < 100;
    }
    /* Five tokens of burst, then one token per 100 ms. */
    ASSERT_EQ(early, 5);
    ASSERT(retry_at[5] >= 100);
    ASSERT(retry_at[6] >= 200);
    ASSERT(retry_at[7] >= 300);
    for (i = 0; i < 10; i++) {
        snprintf(key, sizeof key, "fresh-%d", i);
        r = nth_run(&c, key, 0);
        ASSERT(r >= 0);
        ASSERT(c.at[r] - t_fail < 100);
    }
    stop(&c);
}


static void
shutdown_timer(uv_timer_t *t)
{
    ctx *c = t->data;

    ASSERT_EQ(wq_shutdown(c->q, NULL, NULL), CORE_OK);
    uv_close((uv_handle_t *)t, NULL);
}


static void
behave_always_fail(ctx *c, const char *key, int run)
{
    (void)run;
    finish(c, key, WQ_ERROR, 0);
}


/* The defaults: burst 100, then 10 per second. */
TEST(wq_default_bucket_allows_burst_of_100_retries)
{
    ctx        c;
    uv_timer_t t;
    char       key[32];
    int        i, retried_early = 0;

    start(&c, NULL, behave_always_fail);
    for (i = 0; i < 130; i++) {
        snprintf(key, sizeof key, "ns/k%d", i);
        ASSERT_EQ(wq_add(c.q, key), CORE_OK);
    }
    /* max_in_flight 1 and synchronous failures: all first runs share one loop time. */
    uv_timer_init(&c.loop, &t);
    t.data = &c;
    uv_timer_start(&t, shutdown_timer, 150, 0);
    ASSERT_EQ(uv_run(&c.loop, UV_RUN_DEFAULT), 0);
    ASSERT(c.runs >= 130 + 100);
    for (i = 130; i < c.runs; i++)
        retried_early += c.at[i] - c.at[0] < 100;
    ASSERT_EQ(retried_early, 100);
    ASSERT(c.runs <= 130 + 101); /* the 101st retry is due at 100 ms, the next at 200 */
    ASSERT_EQ(wq_len(c.q), 0);   /* the rest were dropped by the shutdown */
    stop(&c);
}


static void
on_drained(wq *q, void *data)
{
    ctx *c = data;

    ASSERT(q == c->q);
    ASSERT_EQ(wq_in_flight(q), 0);
    ASSERT_EQ(wq_len(q), 0); /* nothing was requeued by the late wq_done calls */
    ASSERT_EQ(c->dones, 2);  /* only after both in-flight reconciles reported */
    c->drained++;
    wq_free(q); /* allowed from here */
}


static void
behave_slow_then_shutdown(ctx *c, const char *key, int run)
{
    finish_later(c, key, 30, run == 0 ? WQ_ERROR : WQ_REQUEUE_AFTER, 5);
    if (run == 1) {
        ASSERT_EQ(wq_in_flight(c->q), 2);
        ASSERT_EQ(wq_shutdown(c->q, on_drained, c), CORE_OK);
        ASSERT_EQ(wq_shutdown(c->q, on_drained, c), CORE_EINVAL);
        ASSERT_EQ(wq_add(c->q, "ns/late"), CORE_ECANCELED);
        ASSERT_EQ(wq_add_after(c->q, "ns/late", 5), CORE_ECANCELED);
        ASSERT_EQ(wq_len(c->q), 0);
        ASSERT_EQ(c->drained, 0);
    }
}


TEST(wq_shutdown_drains_in_flight_and_refuses_work)
{
    ctx     c;
    wq_opts o = {.max_in_flight = 2};

    start(&c, &o, behave_slow_then_shutdown);
    ASSERT_EQ(wq_add(c.q, "ns/a"), CORE_OK);
    ASSERT_EQ(wq_add(c.q, "ns/b"), CORE_OK);
    ASSERT_EQ(wq_add(c.q, "ns/c"), CORE_OK);
    ASSERT_EQ(wq_add_after(c.q, "ns/d", 5), CORE_OK);
    ASSERT_EQ(uv_run(&c.loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(c.drained, 1);
    ASSERT_EQ(c.runs, 2); /* a and b; c and d were dropped; nothing was requeued */
    ASSERT_EQ(c.dones, 2);
    ASSERT_EQ(uv_loop_close(&c.loop), 0); /* wq_free ran in on_drained */
}


static void
on_drained_count(wq *q, void *data)
{
    ctx *c = data;

    (void)q;
    c->drained++;
}


TEST(wq_shutdown_when_idle_reports_from_the_loop)
{
    ctx c;

    start(&c, NULL, behave_ok);
    ASSERT_EQ(wq_add_after(c.q, "ns/a", 1000), CORE_OK);
    ASSERT_EQ(wq_shutdown(c.q, on_drained_count, &c), CORE_OK);
    ASSERT_EQ(c.drained, 0); /* never from inside wq_shutdown */
    ASSERT_EQ(uv_run(&c.loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(c.drained, 1);
    ASSERT_EQ(c.runs, 0);
    ASSERT(uv_now(&c.loop) - c.t0 < 1000); /* the delayed key's timer went with it */
    stop(&c);
}


static void
behave_check_done_errors(ctx *c, const char *key, int run)
{
    char copy[32];

    (void)run;
    snprintf(copy, sizeof copy, "%s", key);                      /* key dies with wq_done */
    ASSERT_EQ(wq_done(c->q, "ns/other", WQ_OK, 0), CORE_ENOENT); /* waiting, not running */
    ASSERT_EQ(wq_done(c->q, key, (wq_result)7, 0), CORE_EINVAL);
    ASSERT_EQ(wq_in_flight(c->q), 1);
    finish(c, key, WQ_OK, 0);
    ASSERT_EQ(wq_done(c->q, copy, WQ_OK, 0), CORE_ENOENT); /* twice */
}


TEST(wq_done_rejects_keys_not_in_flight)
{
    ctx c;

    start(&c, NULL, behave_check_done_errors);
    ASSERT_EQ(wq_done(c.q, "ns/nobody", WQ_OK, 0), CORE_ENOENT);
    ASSERT_EQ(wq_add(c.q, "ns/a"), CORE_OK);
    ASSERT_EQ(wq_add_after(c.q, "ns/other", 10000), CORE_OK);
    ASSERT(uv_run(&c.loop, UV_RUN_ONCE) != 0); /* ns/other's timer is still pending */
    ASSERT_EQ(c.runs, 1);
    ASSERT_EQ(wq_add(c.q, NULL), CORE_EINVAL);
    ASSERT_EQ(wq_shutdown(c.q, NULL, NULL), CORE_OK);
    stop(&c);
}


static void
behave_free_from_callback(ctx *c, const char *key, int run)
{
    (void)run;
    finish(c, key, WQ_OK, 0);
    wq_free(c->q); /* nothing in flight any more: allowed */
}


TEST(wq_free_from_reconcile_callback)
{
    ctx c;

    start(&c, NULL, behave_free_from_callback);
    ASSERT_EQ(wq_add(c.q, "ns/a"), CORE_OK);
    ASSERT_EQ(wq_add(c.q, "ns/b"), CORE_OK);
    ASSERT_EQ(wq_add_after(c.q, "ns/c", 5000), CORE_OK);
    ASSERT_EQ(uv_run(&c.loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(c.runs, 1); /* ns/b was waiting in the same batch and is dropped */
    ASSERT(uv_now(&c.loop) - c.t0 < 5000);
    ASSERT_EQ(uv_loop_close(&c.loop), 0);
}


TEST(wq_new_validates_arguments)
{
    uv_loop_t loop;
    wq       *q = (wq *)1;
    wq_opts   bad = {.retry_qps = -1};

    ASSERT_EQ(uv_loop_init(&loop), 0);
    ASSERT_EQ(wq_new(&loop, NULL, NULL, NULL, &q), CORE_EINVAL);
    ASSERT(q == NULL);
    ASSERT_EQ(wq_new(&loop, &bad, on_reconcile, NULL, &q), CORE_EINVAL);
    ASSERT_EQ(wq_new(NULL, NULL, on_reconcile, NULL, &q), CORE_EINVAL);
    ASSERT_EQ(wq_new(&loop, NULL, on_reconcile, NULL, &q), CORE_OK);
    ASSERT_EQ(wq_len(q), 0);
    ASSERT_EQ(wq_retries(q, "x"), 0);
    wq_free(q);
    wq_free(NULL);
    ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(uv_loop_close(&loop), 0);
}
