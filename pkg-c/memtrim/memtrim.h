/*
 * memtrim: gives the heap's free pages back to the kernel once the process has gone quiet.
 *
 * glibc's free() returns memory to the kernel only from the top of the heap (M_TRIM_THRESHOLD,
 * mallopt(3)); pages freed in its middle stay resident. A burst of work (a restart's lists,
 * thousands of reconciles) leaves many of them: over 1000 DBInstances the operator's anonymous
 * RSS stayed 4 to 9 MiB above the heap in use. malloc_trim(3) releases every whole free page
 * of every arena (madvise MADV_DONTNEED since glibc 2.8); it and mallinfo2(3), which decides
 * whether to call it, each cost a walk of the free lists.
 *
 * The owner pokes after each unit of work. A timer then runs quiet_ms after the last poke; if
 * busy(data) says no work is waiting or running and more than min_free bytes of the heap are
 * free, the heap is trimmed. Pokes during a burst only push the timer back, so a trim comes
 * once the burst is over, not in the middle of it. Trims are at least gap_ms apart: a trim
 * does not change what glibc counts as free (the chunks stay in its free lists, their pages
 * given back), so after the first one min_free rarely holds a trim back, and work that comes
 * every second would otherwise walk the heap every second.
 *
 * busy is called from the timer's callback on the loop; data is read until memtrim_close.
 *
 * Life cycle: memtrim_new, pokes, memtrim_close (the memory is freed in the timer's close
 * callback: keep running the loop). Not thread-safe: every call belongs on the loop's thread.
 */
#ifndef DBAAS_MEMTRIM_H
#define DBAAS_MEMTRIM_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct memtrim memtrim;

/* 1 while work is waiting or running (no trim now), else 0. */
typedef int (*memtrim_busy_fn)(void *data);

typedef struct {
    uint64_t quiet_ms; /* from the last poke to the trim; 0 means MEMTRIM_QUIET_MS */
    uint64_t gap_ms;   /* from one trim to the next at least; 0 means MEMTRIM_GAP_MS */
    size_t   min_free; /* free heap bytes at or under which nothing is done; 0 means
                        * MEMTRIM_MIN_FREE */
    /* For tests; NULL means glibc's: the heap's free bytes (mallinfo2(3) fordblks), and
     * malloc_trim(3) (pad 0; returns 1 when memory went back to the kernel). Built against
     * another libc, the default counts nothing free and never trims. */
    size_t (*free_bytes)(void);
    int (*trim)(size_t pad);
} memtrim_opts;

#define MEMTRIM_QUIET_MS 1000u
#define MEMTRIM_GAP_MS   10000u
#define MEMTRIM_MIN_FREE ((size_t)1 << 20)

/*
 * A trimmer on loop (opts may be NULL for the defaults); busy is required. Returns CORE_OK,
 * CORE_EINVAL or CORE_ENOMEM; *out NULL on failure.
 */
int memtrim_new(uv_loop_t *loop, const memtrim_opts *opts, memtrim_busy_fn busy, void *data,
                memtrim **out);

/* Work just ended: (re)arms the timer for quiet_ms from now. NULL is fine. */
void memtrim_poke(memtrim *t);

/* Trims done so far (those that found more than min_free free and were not busy). */
uint64_t memtrim_count(const memtrim *t);

/* Stops the timer and frees t in its close callback. NULL is fine. */
void memtrim_close(memtrim *t);

#endif
