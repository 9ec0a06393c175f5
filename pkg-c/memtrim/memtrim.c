/*
 * memtrim: see memtrim.h.
 */
#include "memtrim.h"

#include <malloc.h>
#include <stdlib.h>

#include "core/core.h"

struct memtrim {
    uv_timer_t      timer;
    memtrim_opts    opts;
    memtrim_busy_fn busy;
    void           *data;
    uint64_t        count;
    uint64_t        last; /* loop time of the last trim */
};


#ifdef __GLIBC__
static size_t
heap_free_bytes(void)
{
    return mallinfo2().fordblks;
}


static int
heap_trim(size_t pad)
{
    return malloc_trim(pad);
}
#else
/* Another libc: nothing counted as free, so nothing is trimmed (as metrics.c's heap gauges,
 * which exist only on glibc). */
static size_t
heap_free_bytes(void)
{
    return 0;
}


static int
heap_trim(size_t pad)
{
    (void)pad;
    return 0;
}
#endif


static void
on_quiet(uv_timer_t *timer)
{
    memtrim *t = timer->data;
    uint64_t now = uv_now(timer->loop);

    if (t->count && now - t->last < t->opts.gap_ms) {
        uv_timer_start(&t->timer, on_quiet, t->opts.gap_ms - (now - t->last), 0);
        return;
    }
    if (t->busy(t->data) || t->opts.free_bytes() <= t->opts.min_free)
        return;
    t->opts.trim(0);
    t->count++;
    t->last = now;
}


int
memtrim_new(uv_loop_t *loop, const memtrim_opts *opts, memtrim_busy_fn busy, void *data, memtrim **out)
{
    memtrim *t = NULL;

    *out = NULL;
    if (!loop || !busy)
        return CORE_EINVAL;
    t = calloc(1, sizeof *t);
    if (!t)
        return CORE_ENOMEM;
    if (opts)
        t->opts = *opts;
    if (!t->opts.quiet_ms)
        t->opts.quiet_ms = MEMTRIM_QUIET_MS;
    if (!t->opts.gap_ms)
        t->opts.gap_ms = MEMTRIM_GAP_MS;
    if (!t->opts.min_free)
        t->opts.min_free = MEMTRIM_MIN_FREE;
    if (!t->opts.free_bytes)
        t->opts.free_bytes = heap_free_bytes;
    if (!t->opts.trim)
        t->opts.trim = heap_trim;
    t->busy = busy;
    t->data = data;
    uv_timer_init(loop, &t->timer);
    t->timer.data = t;
    *out = t;
    return CORE_OK;
}


void
memtrim_poke(memtrim *t)
{
    if (t)
        uv_timer_start(&t->timer, on_quiet, t->opts.quiet_ms, 0);
}


uint64_t
memtrim_count(const memtrim *t)
{
    return t ? t->count : 0;
}


static void
on_closed(uv_handle_t *h)
{
    free(h->data);
}


void
memtrim_close(memtrim *t)
{
    if (!t)
        return;
    uv_timer_stop(&t->timer);
    uv_close((uv_handle_t *)&t->timer, on_closed);
}
