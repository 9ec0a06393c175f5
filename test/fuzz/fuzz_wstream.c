/*
 * libFuzzer target for pkg-c/wstream. The first input byte picks a split point and a chunk
 * size; the rest is the stream. It is fed three ways (one chunk, two chunks split there,
 * and small chunks) into parsers with a small max_line. Besides the sanitizers, the oracle
 * is that chunking never changes the outcome: the same result code, the same error
 * message and the same events, in order, also when the events are parsed into a pool; and
 * that an event's object_text, when given, is exactly the text of its object (parsed again,
 * the same tree, no byte left over).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "kjson/kjson.h"
#include "wstream/wstream.h"

#define FUZZ_MAX_LINE 512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    unsigned long events;
    uint64_t      digest; /* order-sensitive hash of types and resourceVersions */
    int           take;   /* alternate WS_TAKE and 0, to exercise both ownership paths */
    cJSON        *kept;   /* the last object taken; freed at the next one or at the end */
} outcome;


static int
on_event(ws_event *ev, void *data)
{
    outcome    *o = data;
    const char *rv = ev->resource_version;

    if (ev->type < WS_ADDED || ev->type > WS_ERROR || !cJSON_IsObject(ev->object))
        abort();
    o->events++;
    o->digest = o->digest * 1099511628211ull + (uint64_t)ev->type + (uint64_t)ev->code;
    for (; rv && *rv; rv++)
        o->digest = o->digest * 1099511628211ull + (unsigned char)*rv;
    if (ev->reason)
        o->digest += strlen(ev->reason);
    if (ev->object_text) {
        /* Printed, not cJSON_Compare'd: 1e400 parses to infinity, which never compares equal
         * to itself there (inf - inf is NaN). */
        const char *end = NULL;
        cJSON      *again = cJSON_ParseWithLengthOpts(ev->object_text, ev->object_len, &end, 0);
        char       *a = cJSON_PrintUnformatted(again), *b = cJSON_PrintUnformatted(ev->object);

        if (!again || end != ev->object_text + ev->object_len || !a || !b || strcmp(a, b) != 0)
            abort();
        cJSON_free(a);
        cJSON_free(b);
        cJSON_Delete(again);
    }
    if (ev->pool) /* a pooled object cannot be taken */
        return 0;
    o->take = !o->take;
    if (o->take) {
        cJSON_Delete(o->kept);
        o->kept = ev->object;
        return WS_TAKE;
    }
    return 0;
}


/* Feeds s in chunks of the given size (0: one chunk, or split at split when split < n). */
static int
run(const char *s, size_t n, size_t split, size_t chunk, outcome *o, char *msg, size_t msglen,
    kjson_pool *pool)
{
    ws_parser p;
    size_t    off, step;
    int       rc = CORE_OK;

    memset(o, 0, sizeof *o);
    ws_init(&p, FUZZ_MAX_LINE, on_event, o);
    p.pool = pool;
    if (chunk) {
        for (off = 0; off < n && !rc; off += step) {
            step = n - off < chunk ? n - off : chunk;
            rc = ws_feed(&p, s + off, step);
        }
    } else if (split < n) {
        rc = ws_feed(&p, s, split);
        if (!rc)
            rc = ws_feed(&p, s + split, n - split);
    } else {
        rc = ws_feed(&p, s, n);
    }
    if (!rc)
        rc = ws_finish(&p);
    if (rc != CORE_EPROTO && rc != CORE_ETOOBIG && rc != CORE_OK)
        abort();
    snprintf(msg, msglen, "%s", ws_errmsg(&p));
    /* Reuse after an error must work too. */
    ws_reset(&p);
    if (ws_feed(&p, "{\"type\":\"ADDED\",\"object\":{}}\n", 30) != CORE_OK)
        abort();
    ws_free(&p);
    if (o->kept && (!cJSON_IsObject(o->kept) || o->kept->next || o->kept->prev))
        abort();
    cJSON_Delete(o->kept);
    o->kept = NULL;
    return rc;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static kjson_pool *pool; /* one for all inputs, as the operator has one for all streams */
    outcome            a, b, c, d;
    char               ma[160], mb[160], mc[160], md[160];
    const char        *s;
    size_t             n, split, chunk;
    int                ra, rb, rc, rd;

    if (size < 1)
        return 0;
    if (!pool && kjson_pool_new(&pool) != CORE_OK)
        abort();
    s = (const char *)data + 1;
    n = size - 1;
    split = n * data[0] / 255;
    chunk = (size_t)(data[0] % 13) + 1;

    ra = run(s, n, n, 0, &a, ma, sizeof ma, NULL);
    rb = run(s, n, split, 0, &b, mb, sizeof mb, NULL);
    rc = run(s, n, 0, chunk, &c, mc, sizeof mc, NULL);
    rd = run(s, n, split, 0, &d, md, sizeof md, pool);
    if (ra != rb || ra != rc || ra != rd || a.events != b.events || a.events != c.events ||
        a.events != d.events || a.digest != b.digest || a.digest != c.digest ||
        a.digest != d.digest || strcmp(ma, mb) || strcmp(ma, mc) || strcmp(ma, md)) {
        fprintf(stderr,
                "chunking or the pool changed the outcome: %d/%d/%d/%d, %lu/%lu/%lu/%lu events,\n"
                "  '%s'\n  '%s'\n  '%s'\n  '%s'\n",
                ra, rb, rc, rd, a.events, b.events, c.events, d.events, ma, mb, mc, md);
        abort();
    }
    if (!kjson_pool_take(pool)) /* given back after every event, failed ones too */
        abort();
    kjson_pool_give(pool);
    return 0;
}
