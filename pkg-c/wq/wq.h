/*
 * wq: the controllers' work queue on a libuv loop.
 *
 * Keys are strings ("namespace/name"). The queue guarantees:
 * - dedup: a key waiting to run is there once, however often it is added;
 * - no concurrent runs of one key: a key added while its reconcile is in flight is marked
 *   dirty and runs once more after that reconcile reports wq_done;
 * - at most max_in_flight reconciles at once; ready keys start in FIFO order;
 * - failed keys retry after max(per-key exponential backoff, overall token bucket), like
 *   client-go's MaxOf(ItemExponentialFailureRateLimiter, BucketRateLimiter); fresh adds
 *   and timed requeues are never throttled.
 *
 * Reconciles are asynchronous: the queue calls reconcile(q, key, data) from the loop (never
 * from inside wq_add or wq_done), and the reconciler reports the outcome with wq_done, later
 * or from inside the callback itself. key stays valid until wq_done is called for it.
 *
 * Delays use one uv_timer_t and a min-heap of due times; ready keys are started from a
 * uv_idle_t, a bounded batch per loop iteration so that a reconciler that completes
 * synchronously cannot starve I/O. Nothing blocks.
 *
 * Life cycle: wq_new, then work; wq_shutdown stops handing out work, drops waiting keys,
 * lets in-flight reconciles finish (their wq_done still works) and then calls drained_cb from
 * the loop; wq_free (from drained_cb or later) closes the handles. Memory is freed in libuv
 * close callbacks: keep running the loop until it returns. Not thread-safe: every call
 * belongs on the loop's thread.
 */
#ifndef DBAAS_WQ_H
#define DBAAS_WQ_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define WQ_BASE_DELAY_MS 5u       /* first retry after a failure */
#define WQ_MAX_DELAY_MS  1000000u /* retry backoff cap: 1000 s */

typedef struct wq wq;

typedef enum {
    WQ_OK = 0,           /* done: forget the key's failures */
    WQ_ERROR = 1,        /* failed: retry with backoff and the retry rate limit */
    WQ_REQUEUE_AFTER = 2 /* done for now: run again after requeue_after_ms, failures reset */
} wq_result;

/* Called from the loop for each key to reconcile; must lead to exactly one wq_done(key). */
typedef void (*wq_reconcile_cb)(wq *q, const char *key, void *data);

/* Called once from the loop when a shut-down queue has nothing in flight. May call wq_free. */
typedef void (*wq_drained_cb)(wq *q, void *data);

typedef struct {
    unsigned max_in_flight; /* reconciles at once; 0 means 1 */
    double   retry_qps;     /* retry token refill per second; 0 means 10 */
    unsigned retry_burst;   /* retry bucket size; 0 means 100 */
} wq_opts;

/*
 * Creates a queue on loop (opts may be NULL for the defaults). reconcile and data are fixed
 * for the queue's life. Returns CORE_OK, CORE_EINVAL or CORE_ENOMEM; *out NULL on failure.
 */
int wq_new(uv_loop_t *loop, const wq_opts *opts, wq_reconcile_cb reconcile, void *data, wq **out);

/*
 * Queues key to run as soon as a slot is free. A key already waiting (even with a delay)
 * runs now instead and keeps its place if it was already ready; a key in flight is marked
 * dirty. Returns CORE_OK, CORE_ECANCELED after wq_shutdown, CORE_EINVAL or CORE_ENOMEM.
 */
int wq_add(wq *q, const char *key);

/*
 * Queues key to run after ms milliseconds (0 is wq_add). A key already waiting with an
 * earlier due time, ready, or dirty keeps that; a later due time is pulled forward.
 * Same returns as wq_add.
 */
int wq_add_after(wq *q, const char *key, uint64_t ms);

/*
 * Reports the end of key's reconcile. requeue_after_ms is used with WQ_REQUEUE_AFTER only.
 * Safe inside the reconcile callback. After wq_shutdown nothing is requeued. Returns
 * CORE_OK, or CORE_ENOENT when key is not in flight (a bug in the caller).
 */
int wq_done(wq *q, const char *key, wq_result result, uint64_t requeue_after_ms);

/* Keys waiting to run: ready ones plus delayed ones (each counted once). */
size_t wq_len(const wq *q);

/* Keys ready to run now (delayed ones not counted). */
size_t wq_ready(const wq *q);

/* Reconciles started and not yet done. */
size_t wq_in_flight(const wq *q);

/* Failures of key since its last success (WQ_OK or WQ_REQUEUE_AFTER); 0 if unknown. */
unsigned wq_retries(const wq *q, const char *key);

/*
 * Stops handing out work and drops every waiting key; wq_add then returns CORE_ECANCELED.
 * drained_cb (may be NULL) runs from the loop once nothing is in flight, right away if
 * nothing is. Returns CORE_OK, or CORE_EINVAL when already shut down.
 */
int wq_shutdown(wq *q, wq_drained_cb drained_cb, void *data);

/*
 * Closes the queue's handles and frees it in their close callbacks, dropping waiting keys.
 * Call only when nothing is in flight: typically from drained_cb or later, but a reconcile
 * callback may also do it after its own wq_done. Any later call on q is invalid. NULL is a
 * no-op.
 */
void wq_free(wq *q);

/*
 * The retry delay after `failures` consecutive failures: 0 for none, then 5 ms doubling
 * (5, 10, 20 …) up to WQ_MAX_DELAY_MS, without overflow for any count.
 */
uint64_t wq_backoff_ms(unsigned failures);

#endif
