/*
 * What zstd's level does to the caches (pkg-c/store, store_zdict.h; issue 18): for each FILE
 * of objects of one resource and each LEVEL, a raw dictionary of the first objects made by
 * the store's own sampler (store_zsample: STORE_ZDICT_OBJS objects or STORE_ZDICT_BYTES
 * bytes), a CDict of it at that level, and the objects the store would compress (those
 * after its first 64, of at most 64 KiB) compressed ROUNDS times and decompressed ROUNDS
 * times, each checked to come back as it was; one that does not shrink counts whole, as the
 * store keeps it as text.
 * Prints, per file and level: the bytes kept, their share of the text, and microseconds per
 * object to compress and to decompress. Built -O2; one core.
 *
 *   bench_zdict FILE LEVEL...       (make bench-zdict ZDICT_FILES="..." ZDICT_LEVELS="1 -1")
 *
 * FILE holds one object a line, compact JSON without managedFields, as the informer caches
 * it; for example the objects of one resource in a namespace of DBInstances:
 *
 *   kubectl -n NS get statefulsets -o json | python3 -c 'import json, sys
 *   for o in json.load(sys.stdin)["items"]:
 *       o["metadata"].pop("managedFields", None); print(json.dumps(o, separators=(",", ":")))'
 *
 * Exits 1 when a file cannot be read or an object does not come back as it was, 2 on usage
 * or a level zstd does not have.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>
#include <zstd.h>

#include "store/store_zdict.h"

#define ROUNDS      5
#define MAX_OBJECTS 100000
#define MAX_LINE    (1 << 20)

typedef struct {
    char  **text;
    size_t *len, n, bytes;
} objects;


static void
objects_free(objects *o)
{
    for (size_t i = 0; i < o->n; i++)
        free(o->text[i]);
    free(o->text);
    free(o->len);
    memset(o, 0, sizeof *o);
}


/* Reads one object a line (at most MAX_OBJECTS, each under MAX_LINE bytes). 0, or -1 with
 * the reason on stderr. */
static int
objects_read(const char *path, objects *o)
{
    FILE       *f = fopen(path, "r");
    char       *line = NULL;
    size_t      cap = 0;
    ssize_t     n;
    const char *why = NULL;

    memset(o, 0, sizeof *o);
    if (!f) {
        fprintf(stderr, "bench_zdict: cannot open %s\n", path);
        return -1;
    }
    if (!(o->text = calloc(MAX_OBJECTS, sizeof *o->text)) ||
        !(o->len = calloc(MAX_OBJECTS, sizeof *o->len)))
        why = "out of memory";
    while (!why && (n = getline(&line, &cap, f)) > 0) {
        if (line[n - 1] == '\n')
            line[--n] = '\0';
        if (n == 0)
            continue;
        if (n >= MAX_LINE)
            why = "a line of 1 MiB or more";
        else if (o->n == MAX_OBJECTS)
            why = "more than 100000 objects";
        else if (!(o->text[o->n] = malloc((size_t)n + 1)))
            why = "out of memory";
        else {
            memcpy(o->text[o->n], line, (size_t)n + 1);
            o->len[o->n++] = (size_t)n;
            o->bytes += (size_t)n;
        }
    }
    if (!why && ferror(f))
        why = "a read error";
    if (!why && o->n <= STORE_ZDICT_MIN_OBJS)
        why = "64 objects or fewer (the store compresses only those after its first 64)";
    free(line);
    fclose(f);
    if (why)
        fprintf(stderr, "bench_zdict: %s: %s\n", path, why);
    return why ? -1 : 0;
}


/*
 * One level over the objects the store would compress: those after its first
 * STORE_ZDICT_MIN_OBJS (kept as text until put again) and of at most STORE_ZDICT_MAX_OBJ
 * bytes (larger ones are kept as text, and count whole, as one that does not shrink does).
 * Each is compressed ROUNDS times; the frames that shrank are decompressed ROUNDS times,
 * timed over the whole loop, and compared once. 0, or -1.
 */
static int
run_level(const objects *o, const char *dict, size_t dict_len, int level, ZSTD_CCtx *cc,
          ZSTD_DCtx *dc, char *dst, size_t dst_cap, char *back)
{
    ZSTD_CDict *cd = ZSTD_createCDict(dict, dict_len, level);
    char      **frame = calloc(o->n, sizeof *frame);
    size_t     *flen = calloc(o->n, sizeof *flen);
    size_t      kept = 0, text = 0, tried = 0, nframes = 0, n, i;
    uint64_t    t_c = 0, t_d = 0, t0;
    int         r, rc = -1;

    if (!cd || !frame || !flen)
        goto out;
    for (r = 0; r < ROUNDS; r++) {
        kept = text = tried = 0;
        t0 = uv_hrtime();
        for (i = STORE_ZDICT_MIN_OBJS; i < o->n; i++) {
            text += o->len[i];
            if (o->len[i] > STORE_ZDICT_MAX_OBJ) {
                kept += o->len[i];
                continue;
            }
            n = ZSTD_compress_usingCDict(cc, dst, dst_cap, o->text[i], o->len[i], cd);
            tried++;
            if (ZSTD_isError(n) || n >= o->len[i]) {
                kept += o->len[i];
                continue;
            }
            kept += n;
            if (r == 0) {
                if (!(frame[i] = malloc(n)))
                    goto out;
                memcpy(frame[i], dst, n);
                flen[i] = n;
                nframes++;
            }
        }
        t_c += uv_hrtime() - t0;
    }
    for (r = 0; r < ROUNDS; r++) {
        t0 = uv_hrtime();
        for (i = 0; i < o->n; i++)
            if (frame[i])
                (void)ZSTD_decompress_usingDict(dc, back, MAX_LINE, frame[i], flen[i], dict, dict_len);
        t_d += uv_hrtime() - t0;
    }
    for (i = 0; i < o->n; i++) {
        if (!frame[i])
            continue;
        n = ZSTD_decompress_usingDict(dc, back, MAX_LINE, frame[i], flen[i], dict, dict_len);
        if (ZSTD_isError(n) || n != o->len[i] || memcmp(back, o->text[i], n) != 0) {
            fprintf(stderr, "bench_zdict: object %zu does not come back at level %d\n", i + 1, level);
            goto out;
        }
    }
    printf("  level %3d: %9zu bytes of %zu (%5.1f %%), compress %6.2f us, decompress %5.2f us"
           " per object\n",
           level, kept, text, 100.0 * (double)kept / (double)text,
           tried ? (double)t_c / 1e3 / ROUNDS / (double)tried : 0.0,
           nframes ? (double)t_d / 1e3 / ROUNDS / (double)nframes : 0.0);
    rc = 0;
out:
    for (i = 0; frame && i < o->n; i++)
        free(frame[i]);
    free(frame);
    free(flen);
    ZSTD_freeCDict(cd);
    return rc;
}


int
main(int argc, char **argv)
{
    ZSTD_CCtx     *cc = ZSTD_createCCtx();
    ZSTD_DCtx     *dc = ZSTD_createDCtx();
    size_t         dst_cap = ZSTD_compressBound(MAX_LINE), i;
    char          *dst = malloc(dst_cap), *back = malloc(MAX_LINE);
    objects        o = {0};
    store_zsampler sm = {0};
    int            a, rc = 0;

    if (argc < 3) {
        fprintf(stderr, "usage: bench_zdict FILE LEVEL...\n");
        rc = 2;
        goto out;
    }
    if (!cc || !dc || !dst || !back) {
        fprintf(stderr, "bench_zdict: out of memory\n");
        rc = 1;
        goto out;
    }
    if (objects_read(argv[1], &o) != 0) {
        rc = 1;
        goto out;
    }
    /* The store's own sampler: the dictionary it would freeze from these objects. */
    for (i = 0; i < o.n && !store_zsampler_full(&sm); i++)
        store_zsample(&sm, o.text[i], o.len[i]);
    if (!sm.buf) {
        fprintf(stderr, "bench_zdict: out of memory\n");
        rc = 1;
        goto out;
    }
    printf("%s: %zu objects, %zu bytes, dictionary %zu bytes\n", argv[1], o.n, o.bytes, sm.len);
    for (a = 2; a < argc && rc == 0; a++) {
        char *end;
        long  level = strtol(argv[a], &end, 10);

        if (*end || end == argv[a] || level < ZSTD_minCLevel() || level > ZSTD_maxCLevel()) {
            fprintf(stderr, "bench_zdict: level %s is not one of zstd's (%d to %d)\n", argv[a],
                    ZSTD_minCLevel(), ZSTD_maxCLevel());
            rc = 2;
        } else if (run_level(&o, sm.buf, sm.len, (int)level, cc, dc, dst, dst_cap, back) != 0)
            rc = 1;
    }
out:
    free(sm.buf);
    objects_free(&o);
    ZSTD_freeCCtx(cc);
    ZSTD_freeDCtx(dc);
    free(dst);
    free(back);
    return rc;
}
