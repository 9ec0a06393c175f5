/*
 * What zstd's level does to the caches (pkg-c/store, store_zdict.h; issue 18): for each FILE
 * of objects of one resource and each LEVEL, a raw dictionary of the first objects, as a
 * store makes it (STORE_ZDICT_OBJS objects or STORE_ZDICT_BYTES bytes), a CDict of it at
 * that level, every object compressed ROUNDS times (an object that does not shrink counts
 * whole, as the store keeps it as text) and decompressed once and compared. Prints, per file
 * and level: the bytes kept, their share of the text, and microseconds per object to
 * compress and to decompress. Built -O2; one core.
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


/* Reads one object a line (at most MAX_OBJECTS, each under MAX_LINE bytes). 0, or -1. */
static int
objects_read(const char *path, objects *o)
{
    FILE   *f = fopen(path, "r");
    char   *line = NULL;
    size_t  cap = 0;
    ssize_t n;
    int     rc = 0;

    memset(o, 0, sizeof *o);
    if (!f)
        return -1;
    if (!(o->text = calloc(MAX_OBJECTS, sizeof *o->text)) ||
        !(o->len = calloc(MAX_OBJECTS, sizeof *o->len)))
        rc = -1;
    while (rc == 0 && (n = getline(&line, &cap, f)) > 0) {
        if (line[n - 1] == '\n')
            line[--n] = '\0';
        if (n == 0)
            continue;
        if (n >= MAX_LINE || o->n == MAX_OBJECTS || !(o->text[o->n] = malloc((size_t)n + 1))) {
            rc = -1;
            break;
        }
        memcpy(o->text[o->n], line, (size_t)n + 1);
        o->len[o->n++] = (size_t)n;
        o->bytes += (size_t)n;
    }
    free(line);
    fclose(f);
    if (rc == 0 && o->n == 0)
        rc = -1;
    return rc;
}


/* One level over the objects, with the dictionary dict (len bytes). 0, or -1. */
static int
run_level(const objects *o, const char *dict, size_t dict_len, int level, ZSTD_CCtx *cc,
          ZSTD_DCtx *dc, char *dst, char *back)
{
    ZSTD_CDict *cd = ZSTD_createCDict(dict, dict_len, level);
    size_t      kept = 0, n, i;
    double      t_c = 0, t_d = 0, t0;
    int         r;

    if (!cd)
        return -1;
    for (r = 0; r < ROUNDS; r++) {
        kept = 0;
        t0 = (double)uv_hrtime() / 1e9;
        for (i = 0; i < o->n; i++) {
            n = ZSTD_compress_usingCDict(cc, dst, MAX_LINE, o->text[i], o->len[i], cd);
            kept += ZSTD_isError(n) || n >= o->len[i] ? o->len[i] : n;
        }
        t_c += (double)uv_hrtime() / 1e9 - t0;
    }
    for (i = 0; i < o->n; i++) {
        n = ZSTD_compress_usingCDict(cc, dst, MAX_LINE, o->text[i], o->len[i], cd);
        if (ZSTD_isError(n))
            break;
        t0 = (double)uv_hrtime() / 1e9;
        n = ZSTD_decompress_usingDict(dc, back, MAX_LINE, dst, n, dict, dict_len);
        t_d += (double)uv_hrtime() / 1e9 - t0;
        if (ZSTD_isError(n) || n != o->len[i] || memcmp(back, o->text[i], n) != 0)
            break;
    }
    ZSTD_freeCDict(cd);
    if (i < o->n) {
        fprintf(stderr, "bench_zdict: object %zu does not come back at level %d\n", i + 1, level);
        return -1;
    }
    printf("  level %3d: %9zu bytes (%5.1f %%), compress %6.2f us, decompress %5.2f us"
           " per object\n",
           level, kept, 100.0 * (double)kept / (double)o->bytes, t_c / ROUNDS / (double)o->n * 1e6,
           t_d / (double)o->n * 1e6);
    return 0;
}


int
main(int argc, char **argv)
{
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    ZSTD_DCtx *dc = ZSTD_createDCtx();
    char      *dst = malloc(MAX_LINE), *back = malloc(MAX_LINE), dict[STORE_ZDICT_BYTES];
    objects    o = {0};
    size_t     dict_len, i, take;
    int        a, rc = 0;

    if (argc < 3) {
        fprintf(stderr, "usage: bench_zdict FILE LEVEL...\n");
        return 2;
    }
    if (!cc || !dc || !dst || !back || objects_read(argv[1], &o) != 0) {
        fprintf(stderr, "bench_zdict: cannot read %s (one object a line)\n", argv[1]);
        rc = 1;
        goto out;
    }
    for (i = 0, dict_len = 0; i < o.n && i < STORE_ZDICT_OBJS && dict_len < sizeof dict; i++) {
        take = o.len[i] < sizeof dict - dict_len ? o.len[i] : sizeof dict - dict_len;
        memcpy(dict + dict_len, o.text[i], take);
        dict_len += take;
    }
    printf("%s: %zu objects, %zu bytes, dictionary %zu bytes\n", argv[1], o.n, o.bytes, dict_len);
    for (a = 2; a < argc && rc == 0; a++) {
        char *end;
        long  level = strtol(argv[a], &end, 10);

        if (*end || end == argv[a] || level < ZSTD_minCLevel() || level > ZSTD_maxCLevel()) {
            fprintf(stderr, "bench_zdict: level %s is not one of zstd's (%d to %d)\n", argv[a],
                    ZSTD_minCLevel(), ZSTD_maxCLevel());
            rc = 2;
        } else if (run_level(&o, dict, dict_len, (int)level, cc, dc, dst, back) != 0)
            rc = 1;
    }
out:
    objects_free(&o);
    ZSTD_freeCCtx(cc);
    ZSTD_freeDCtx(dc);
    free(dst);
    free(back);
    return rc;
}
