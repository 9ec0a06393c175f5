/*
 * memtrim tests on a real libuv loop with short real delays and a fake heap (free bytes and
 * trim injected), so that they hold under ASan and valgrind, whose allocators are not
 * glibc's. libuv timers never fire early, so "not before" is exact.
 */
#include "core/core.h"
#include "memtrim/memtrim.h"
#include "test.h"

#define QUIET_MS 20
#define GAP_MS   100

static size_t     fake_free;
static int        fake_busy;
static int        trims;
static uint64_t   trim_at; /* loop time of the last trim */
static uint64_t   last_poke;
static uv_loop_t *cur_loop;


static size_t
free_bytes(void)
{
    return fake_free;
}


static int
trim(size_t pad)
{
    ASSERT_EQ(pad, 0);
    trims++;
    trim_at = uv_now(cur_loop);
    return 1;
}


static int
busy(void *data)
{
    ASSERT(data == &fake_busy);
    return fake_busy;
}


static memtrim *
setup(uv_loop_t *loop, size_t min_free)
{
    memtrim_opts o = {QUIET_MS, GAP_MS, min_free, free_bytes, trim};
    memtrim     *t = NULL;

    ASSERT_EQ(uv_loop_init(loop), 0);
    cur_loop = loop;
    trims = 0;
    trim_at = 0;
    fake_busy = 0;
    ASSERT_EQ(memtrim_new(loop, &o, busy, &fake_busy, &t), CORE_OK);
    return t;
}


static void
finish(uv_loop_t *loop, memtrim *t)
{
    memtrim_close(t);
    ASSERT_EQ(uv_run(loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(uv_loop_close(loop), 0);
}


TEST(memtrim_trims_once_quiet_after_the_last_poke)
{
    uv_loop_t loop;
    memtrim  *t = setup(&loop, 1000);

    fake_free = 5000;
    memtrim_poke(t);
    memtrim_poke(t);
    last_poke = uv_now(&loop);
    ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(trims, 1);
    ASSERT_EQ(memtrim_count(t), 1);
    ASSERT(trim_at >= last_poke + QUIET_MS);
    finish(&loop, t);
}


static int pokes_left;


static void
on_burst(uv_timer_t *timer)
{
    memtrim *t = timer->data;

    memtrim_poke(t);
    last_poke = uv_now(timer->loop);
    if (--pokes_left == 0)
        uv_timer_stop(timer);
}


TEST(memtrim_waits_for_the_end_of_a_burst)
{
    uv_loop_t  loop;
    uv_timer_t burst;
    memtrim   *t = setup(&loop, 1000);

    fake_free = 5000;
    pokes_left = 10;
    uv_timer_init(&loop, &burst);
    burst.data = t;
    uv_timer_start(&burst, on_burst, 0, QUIET_MS / 4); /* a poke every 5 ms for 50 ms */
    ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(pokes_left, 0);
    ASSERT_EQ(trims, 1); /* not one per quiet_ms of the burst */
    ASSERT(trim_at >= last_poke + QUIET_MS);
    uv_close((uv_handle_t *)&burst, NULL);
    finish(&loop, t);
}


TEST(memtrim_skips_while_busy_or_little_is_free)
{
    uv_loop_t loop;
    memtrim  *t = setup(&loop, 1000);

    fake_busy = 1;
    fake_free = 5000;
    memtrim_poke(t);
    ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(trims, 0);
    fake_busy = 0;
    fake_free = 1000; /* at min_free: nothing worth the walk */
    memtrim_poke(t);
    ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(trims, 0);
    fake_free = 1001;
    memtrim_poke(t); /* the next end of work trims */
    ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(trims, 1);
    ASSERT_EQ(memtrim_count(t), 1);
    finish(&loop, t);
}


TEST(memtrim_keeps_trims_gap_ms_apart)
{
    uv_loop_t loop;
    memtrim  *t = setup(&loop, 1000);
    uint64_t  first;

    fake_free = 5000;
    memtrim_poke(t);
    ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(trims, 1);
    first = trim_at;
    memtrim_poke(t); /* quiet again QUIET_MS later, but the gap is not over */
    ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(trims, 2);
    ASSERT(trim_at >= first + GAP_MS);
    finish(&loop, t);
}


TEST(memtrim_rejects_bad_arguments_and_takes_null)
{
    uv_loop_t loop;
    memtrim  *t = (memtrim *)&loop;

    ASSERT_EQ(uv_loop_init(&loop), 0);
    ASSERT_EQ(memtrim_new(&loop, NULL, NULL, NULL, &t), CORE_EINVAL);
    ASSERT(t == NULL);
    ASSERT_EQ(memtrim_new(NULL, NULL, busy, NULL, &t), CORE_EINVAL);
    memtrim_poke(NULL);
    memtrim_close(NULL);
    ASSERT_EQ(memtrim_count(NULL), 0);
    /* The defaults (glibc's heap) are wired: no poke, so nothing runs; closing frees. */
    ASSERT_EQ(memtrim_new(&loop, NULL, busy, &fake_busy, &t), CORE_OK);
    memtrim_close(t);
    ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(uv_loop_close(&loop), 0);
}
