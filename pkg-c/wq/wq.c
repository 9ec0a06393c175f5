#include "wq.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "hmap/hmap.h"

#define WQ_DEFAULT_QPS   10.0
#define WQ_DEFAULT_BURST 100u
#define WQ_NOT_IN_HEAP   SIZE_MAX
#define WQ_MIN_HEAP_CAP  16u

#define wq_container_of(ptr, type, field) ((type *)(void *)((char *)(ptr)-offsetof(type, field)))


/*
 * One per key the queue knows: waiting (ready or delayed), in flight, or both (in flight and
 * due again later). Forgotten as soon as it is none of these.
 */
typedef struct wq_item wq_item;

struct wq_item {
    wq_item *next;     /* ready FIFO link */
    uint64_t due;      /* loop time (ms) when delayed */
    uint64_t seq;      /* tie-break for equal due times: first scheduled runs first */
    size_t   heap_idx; /* WQ_NOT_IN_HEAP unless delayed */
    unsigned failures;
    unsigned ready   : 1;
    unsigned running : 1;
    unsigned dirty   : 1; /* added while running: run again when done */
    char     key[];
};

struct wq {
    uv_loop_t      *loop;
    uv_timer_t      timer; /* fires at the earliest due time in the heap */
    uv_idle_t       idle;  /* starts ready keys, and reports the drain */
    hmap           *items; /* key -> wq_item */
    wq_item        *head, *tail;
    size_t          nready;
    wq_item       **heap; /* min-heap on (due, seq) */
    size_t          nheap, heap_cap;
    uint64_t        seq;
    uint64_t        armed_due;
    int             armed;
    size_t          in_flight, max_in_flight;
    double          tokens, qps, burst;
    uint64_t        bucket_ms; /* loop time of the last refill */
    wq_reconcile_cb reconcile;
    void           *data;
    wq_drained_cb   drained_cb;
    void           *drained_data;
    int             shut;
    int             drain_pending;
    int             open_handles;
    int             closing; /* wq_free was called: touch no handle */
};


uint64_t
wq_backoff_ms(unsigned failures)
{
    uint64_t d;

    if (failures == 0)
        return 0;
    /* 5 << 18 already passes the cap; never shift further than that. */
    if (failures - 1 >= 18)
        return WQ_MAX_DELAY_MS;
    d = (uint64_t)WQ_BASE_DELAY_MS << (failures - 1);
    return d < WQ_MAX_DELAY_MS ? d : WQ_MAX_DELAY_MS;
}


/* ---- min-heap of delayed items ---------------------------------------------------- */


static int
wq_heap_less(const wq_item *a, const wq_item *b)
{
    return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}


static void
wq_heap_set(wq *q, size_t i, wq_item *it)
{
    q->heap[i] = it;
    it->heap_idx = i;
}


static void
wq_heap_up(wq *q, size_t i)
{
    wq_item *it = q->heap[i];
    size_t   parent;

    while (i > 0) {
        parent = (i - 1) / 2;
        if (!wq_heap_less(it, q->heap[parent]))
            break;
        wq_heap_set(q, i, q->heap[parent]);
        i = parent;
    }
    wq_heap_set(q, i, it);
}


static void
wq_heap_down(wq *q, size_t i)
{
    wq_item *it = q->heap[i];
    size_t   child;

    for (;;) {
        child = 2 * i + 1;
        if (child >= q->nheap)
            break;
        if (child + 1 < q->nheap && wq_heap_less(q->heap[child + 1], q->heap[child]))
            child++;
        if (!wq_heap_less(q->heap[child], it))
            break;
        wq_heap_set(q, i, q->heap[child]);
        i = child;
    }
    wq_heap_set(q, i, it);
}


/* Capacity is reserved when an item is created, so this never allocates. */
static void
wq_heap_push(wq *q, wq_item *it)
{
    wq_heap_set(q, q->nheap++, it);
    wq_heap_up(q, q->nheap - 1);
}


static void
wq_heap_remove(wq *q, wq_item *it)
{
    size_t   i = it->heap_idx;
    wq_item *last;

    if (i == WQ_NOT_IN_HEAP)
        return;
    it->heap_idx = WQ_NOT_IN_HEAP;
    last = q->heap[--q->nheap];
    if (i == q->nheap)
        return;
    wq_heap_set(q, i, last);
    wq_heap_down(q, i);
    wq_heap_up(q, last->heap_idx);
}


/* ---- scheduling ------------------------------------------------------------------- */


static void wq_on_timer(uv_timer_t *t);
static void wq_on_idle(uv_idle_t *h);


/* Points the one timer at the earliest due time; restarts it only when that changed. */
static void
wq_arm(wq *q)
{
    uint64_t now, due;

    if (q->closing)
        return;
    if (q->nheap == 0) {
        if (q->armed)
            uv_timer_stop(&q->timer);
        q->armed = 0;
        return;
    }
    due = q->heap[0]->due;
    if (q->armed && q->armed_due == due)
        return;
    now = uv_now(q->loop);
    uv_timer_start(&q->timer, wq_on_timer, due > now ? due - now : 0, 0);
    q->armed = 1;
    q->armed_due = due;
}


/* Runs the idle handle while there is something for it to do. */
static void
wq_kick(wq *q)
{
    int work = !q->shut && q->head && q->in_flight < q->max_in_flight;
    int drain = q->shut && q->drain_pending && q->in_flight == 0;

    if (q->closing)
        return;
    if (work || drain)
        uv_idle_start(&q->idle, wq_on_idle);
    else
        uv_idle_stop(&q->idle);
}


static void
wq_ready_push(wq *q, wq_item *it)
{
    if (it->ready)
        return;
    wq_heap_remove(q, it);
    it->ready = 1;
    it->next = NULL;
    if (q->tail)
        q->tail->next = it;
    else
        q->head = it;
    q->tail = it;
    q->nready++;
}


static wq_item *
wq_ready_pop(wq *q)
{
    wq_item *it = q->head;

    if (!it)
        return NULL;
    q->head = it->next;
    if (!q->head)
        q->tail = NULL;
    it->next = NULL;
    it->ready = 0;
    q->nready--;
    return it;
}


/* Delays it until due, unless it is ready or already due no later. */
static void
wq_schedule(wq *q, wq_item *it, uint64_t due)
{
    if (it->ready)
        return;
    if (it->heap_idx != WQ_NOT_IN_HEAP) {
        if (due < it->due) {
            it->due = due;
            wq_heap_up(q, it->heap_idx);
        }
        return;
    }
    it->due = due;
    it->seq = q->seq++;
    wq_heap_push(q, it);
}


/* Forgets an item that is neither waiting nor running. */
static void
wq_release(wq *q, wq_item *it)
{
    if (it->ready || it->running || it->heap_idx != WQ_NOT_IN_HEAP)
        return;
    hmap_del(q->items, it->key, NULL);
    free(it);
}


static int
wq_item_get(wq *q, const char *key, wq_item **out)
{
    wq_item  *it = hmap_get(q->items, key);
    wq_item **heap;
    size_t    need, cap, klen;

    *out = it;
    if (it)
        return CORE_OK;
    /* Reserve a heap slot per item now so that scheduling a retry can never fail. */
    need = hmap_len(q->items) + 1;
    if (need > q->heap_cap) {
        cap = q->heap_cap ? q->heap_cap * 2 : WQ_MIN_HEAP_CAP;
        heap = realloc(q->heap, cap * sizeof *heap);
        if (!heap)
            return CORE_ENOMEM;
        q->heap = heap;
        q->heap_cap = cap;
    }
    klen = strlen(key);
    it = calloc(1, sizeof *it + klen + 1);
    if (!it)
        return CORE_ENOMEM;
    memcpy(it->key, key, klen + 1);
    it->heap_idx = WQ_NOT_IN_HEAP;
    if (hmap_put(q->items, it->key, it, NULL) != CORE_OK) {
        free(it);
        return CORE_ENOMEM;
    }
    *out = it;
    return CORE_OK;
}


/*
 * client-go's token bucket reservation: take a token now, going into debt if none is
 * left; the debt says how long this retry has to wait for its turn.
 */
static uint64_t
wq_bucket_delay(wq *q)
{
    uint64_t now = uv_now(q->loop), d;
    double   wait;

    if (now > q->bucket_ms) {
        q->tokens += (double)(now - q->bucket_ms) * q->qps / 1000.0;
        if (q->tokens > q->burst)
            q->tokens = q->burst;
        q->bucket_ms = now;
    }
    q->tokens -= 1.0;
    if (q->tokens >= 0)
        return 0;
    wait = -q->tokens * 1000.0 / q->qps;
    d = (uint64_t)wait;
    return (double)d < wait ? d + 1 : d;
}


static void
wq_on_timer(uv_timer_t *t)
{
    wq      *q = wq_container_of(t, wq, timer);
    uint64_t now = uv_now(q->loop);
    wq_item *it;

    q->armed = 0;
    while (q->nheap > 0 && q->heap[0]->due <= now) {
        it = q->heap[0];
        wq_heap_remove(q, it);
        if (it->running)
            it->dirty = 1;
        else
            wq_ready_push(q, it);
    }
    wq_arm(q);
    wq_kick(q);
}


/*
 * Starts ready keys. At most the number ready on entry, so keys that a synchronous
 * wq_done puts back wait for the next loop iteration instead of spinning here.
 */
static void
wq_on_idle(uv_idle_t *h)
{
    wq      *q = wq_container_of(h, wq, idle);
    size_t   batch = q->nready;
    wq_item *it;

    while (batch-- > 0 && !q->shut && q->in_flight < q->max_in_flight) {
        it = wq_ready_pop(q);
        if (!it)
            break;
        it->running = 1;
        q->in_flight++;
        q->reconcile(q, it->key, q->data);
        if (q->closing)
            return; /* freed from the callback with nothing in flight */
    }
    if (q->shut && q->drain_pending && q->in_flight == 0) {
        q->drain_pending = 0;
        uv_idle_stop(&q->idle);
        if (q->drained_cb)
            q->drained_cb(q, q->drained_data); /* may free q: touch nothing after */
        return;
    }
    wq_kick(q);
}


/* ---- public API ------------------------------------------------------------------- */


int
wq_new(uv_loop_t *loop, const wq_opts *opts, wq_reconcile_cb reconcile, void *data, wq **out)
{
    wq *q = NULL;

    *out = NULL;
    if (!loop || !reconcile)
        return CORE_EINVAL;
    if (opts && !(opts->retry_qps >= 0))
        return CORE_EINVAL; /* negative or NaN */
    q = calloc(1, sizeof *q);
    if (!q)
        return CORE_ENOMEM;
    if (hmap_new(0, &q->items) != CORE_OK) {
        free(q);
        return CORE_ENOMEM;
    }
    q->loop = loop;
    q->reconcile = reconcile;
    q->data = data;
    q->max_in_flight = opts && opts->max_in_flight ? opts->max_in_flight : 1;
    q->qps = opts && opts->retry_qps > 0 ? opts->retry_qps : WQ_DEFAULT_QPS;
    q->burst = opts && opts->retry_burst ? opts->retry_burst : WQ_DEFAULT_BURST;
    q->tokens = q->burst;
    q->bucket_ms = uv_now(loop);
    uv_timer_init(loop, &q->timer);
    uv_idle_init(loop, &q->idle);
    q->timer.data = q;
    q->idle.data = q;
    q->open_handles = 2;
    *out = q;
    return CORE_OK;
}


int
wq_add(wq *q, const char *key)
{
    wq_item *it = NULL;
    int      rc;

    if (!key)
        return CORE_EINVAL;
    if (q->shut)
        return CORE_ECANCELED;
    rc = wq_item_get(q, key, &it);
    if (rc)
        return rc;
    if (it->running) {
        it->dirty = 1;
        wq_heap_remove(q, it); /* the dirty re-run comes first */
        wq_arm(q);
        return CORE_OK;
    }
    wq_ready_push(q, it);
    wq_arm(q);
    wq_kick(q);
    return CORE_OK;
}


int
wq_add_after(wq *q, const char *key, uint64_t ms)
{
    wq_item *it = NULL;
    int      rc;

    if (ms == 0)
        return wq_add(q, key);
    if (!key)
        return CORE_EINVAL;
    if (q->shut)
        return CORE_ECANCELED;
    rc = wq_item_get(q, key, &it);
    if (rc)
        return rc;
    if (it->dirty)
        return CORE_OK;
    wq_schedule(q, it, uv_now(q->loop) + ms);
    wq_arm(q);
    return CORE_OK;
}


int
wq_done(wq *q, const char *key, wq_result result, uint64_t requeue_after_ms)
{
    wq_item *it = hmap_get(q->items, key);
    uint64_t delay, bucket;

    if (!it || !it->running)
        return CORE_ENOENT;
    if (result != WQ_OK && result != WQ_ERROR && result != WQ_REQUEUE_AFTER)
        return CORE_EINVAL;
    it->running = 0;
    q->in_flight--;
    if (q->shut) {
        it->dirty = 0;
        wq_heap_remove(q, it);
        wq_release(q, it);
        wq_kick(q);
        return CORE_OK;
    }
    if (result == WQ_ERROR) {
        if (it->failures < UINT_MAX)
            it->failures++;
    } else {
        it->failures = 0;
    }
    if (it->dirty) {
        /* A change arrived during the run: handle it now, whatever the outcome. */
        it->dirty = 0;
        wq_ready_push(q, it);
    } else if (result == WQ_ERROR) {
        delay = wq_backoff_ms(it->failures);
        bucket = wq_bucket_delay(q);
        wq_schedule(q, it, uv_now(q->loop) + (bucket > delay ? bucket : delay));
    } else if (result == WQ_REQUEUE_AFTER) {
        if (requeue_after_ms == 0)
            wq_ready_push(q, it);
        else
            wq_schedule(q, it, uv_now(q->loop) + requeue_after_ms);
    }
    wq_arm(q);
    wq_release(q, it);
    wq_kick(q);
    return CORE_OK;
}


size_t
wq_len(const wq *q)
{
    return q->nready + q->nheap;
}


size_t
wq_ready(const wq *q)
{
    return q->nready;
}


size_t
wq_in_flight(const wq *q)
{
    return q->in_flight;
}


unsigned
wq_retries(const wq *q, const char *key)
{
    const wq_item *it = hmap_get(q->items, key);

    return it ? it->failures : 0;
}


int
wq_shutdown(wq *q, wq_drained_cb drained_cb, void *data)
{
    wq_item *it;

    if (q->shut)
        return CORE_EINVAL;
    q->shut = 1;
    q->drained_cb = drained_cb;
    q->drained_data = data;
    q->drain_pending = 1;
    while ((it = wq_ready_pop(q)) != NULL)
        wq_release(q, it);
    while (q->nheap > 0) {
        it = q->heap[q->nheap - 1];
        wq_heap_remove(q, it);
        wq_release(q, it);
    }
    wq_arm(q);
    wq_kick(q);
    return CORE_OK;
}


static void
wq_on_close(uv_handle_t *h)
{
    wq *q = h->data;

    if (--q->open_handles == 0)
        free(q);
}


static void
wq_free_item(void *p)
{
    free(p);
}


void
wq_free(wq *q)
{
    if (!q || q->closing)
        return;
    q->closing = 1;
    hmap_free(q->items, wq_free_item);
    q->items = NULL;
    free(q->heap);
    q->heap = NULL;
    q->nheap = 0;
    q->head = q->tail = NULL;
    q->nready = 0;
    uv_close((uv_handle_t *)&q->timer, wq_on_close);
    uv_close((uv_handle_t *)&q->idle, wq_on_close);
}
