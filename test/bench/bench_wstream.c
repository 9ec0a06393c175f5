/*
 * Throughput of pkg-c/wstream on one core: a watch stream of N realistic events (a
 * DBInstance-like object of about 2 KB: metadata with labels, annotations, owner references
 * and managed fields, a spec, a status with conditions) is built in memory, then parsed in
 * 16 KiB chunks and in randomly sized chunks, several times each. Prints the median rate;
 * then 16 KiB chunks again with the events parsed into a kjson_pool, as the operator's
 * informers parse them (ws_parser.pool).
 *
 *   bench_wstream [events] [repetitions]     (defaults: 20000, 7)
 *
 * Exits non-zero when the parser fails or delivers the wrong number of events.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"
#include "kjson/kjson.h"
#include "wstream/wstream.h"

#define TARGET_EVENTS_PER_SEC 50000.0

typedef struct {
    unsigned long events;
    unsigned long bytes_rv; /* touches the event so that nothing is optimised away */
} sink;


static int
on_event(ws_event *ev, void *data)
{
    sink *s = data;

    s->events++;
    if (ev->resource_version)
        s->bytes_rv += strlen(ev->resource_version);
    return 0;
}


static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}


static int
append_event(core_buf *b, unsigned i)
{
    static const char *types[] = {"ADDED", "MODIFIED", "MODIFIED", "MODIFIED", "DELETED"};

    return core_buf_printf(
        b,
        "{\"type\":\"%s\",\"object\":{\"apiVersion\":\"dbaas.dev/v1alpha1\",\"kind\":\"DBInstance\","
        "\"metadata\":{\"name\":\"orders-%u\",\"namespace\":\"team-%u\","
        "\"uid\":\"5f0c%04x-1c2d-4e5f-8a9b-%012x\",\"resourceVersion\":\"%u\",\"generation\":%u,"
        "\"creationTimestamp\":\"2024-05-01T12:00:00Z\","
        "\"labels\":{\"app.kubernetes.io/name\":\"postgresql\",\"app.kubernetes.io/instance\":"
        "\"orders-%u\",\"app.kubernetes.io/managed-by\":\"dbaas-operator\",\"team\":\"team-%u\","
        "\"tier\":\"backend\"},"
        "\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":\"{\\\"apiVersion\\\":"
        "\\\"dbaas.dev/v1alpha1\\\",\\\"kind\\\":\\\"DBInstance\\\",\\\"metadata\\\":{\\\"name\\\":"
        "\\\"orders\\\"}}\\n\",\"dbaas.dev/config-checksum\":\"sha256:9f86d081884c7d659a2feaa0c55ad015"
        "a3bf4f1b2b0b822cd15d6c15b0f00a08\"},"
        "\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"name\":\"team-%u\","
        "\"uid\":\"0a1b2c3d-4e5f-6789-abcd-ef0123456789\",\"controller\":false,"
        "\"blockOwnerDeletion\":true}],"
        "\"finalizers\":[\"dbaas.dev/finalizer\"],"
        "\"managedFields\":[{\"manager\":\"kubectl-client-side-apply\",\"operation\":\"Update\","
        "\"apiVersion\":\"dbaas.dev/v1alpha1\",\"time\":\"2024-05-01T12:00:00Z\",\"fieldsType\":"
        "\"FieldsV1\",\"fieldsV1\":{\"f:spec\":{\".\":{},\"f:engine\":{},\"f:version\":{},"
        "\"f:storage\":{\".\":{},\"f:size\":{}}}}},{\"manager\":\"dbaas-operator\",\"operation\":"
        "\"Update\",\"apiVersion\":\"dbaas.dev/v1alpha1\",\"time\":\"2024-05-01T12:01:00Z\","
        "\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:status\":{\".\":{},\"f:phase\":{},"
        "\"f:conditions\":{}}},\"subresource\":\"status\"}]},"
        "\"spec\":{\"engine\":\"postgresql\",\"version\":\"16\",\"image\":\"\",\"database\":\"orders\","
        "\"username\":\"app\",\"storage\":{\"size\":\"%uGi\",\"storageClassName\":\"standard\"},"
        "\"resources\":{\"requests\":{\"cpu\":\"250m\",\"memory\":\"256Mi\"},\"limits\":"
        "{\"cpu\":\"500m\",\"memory\":\"512Mi\"}},\"parameters\":{\"max_connections\":\"200\","
        "\"shared_buffers\":\"128MB\",\"work_mem\":\"4MB\"},\"service\":{\"type\":\"ClusterIP\"},"
        "\"backup\":{\"schedule\":\"0 3 * * *\",\"keep\":7,\"volumeSnapshotClassName\":\"csi-snap\"},"
        "\"deletionPolicy\":\"Snapshot\"},"
        "\"status\":{\"phase\":\"Ready\",\"observedGeneration\":%u,\"endpoint\":"
        "\"orders-%u.team-%u.svc.cluster.local:5432\",\"connectionSecret\":\"orders-%u-credentials\","
        "\"readyReplicas\":1,\"currentVersion\":\"16\",\"storageSize\":\"%uGi\",\"conditions\":["
        "{\"type\":\"Ready\",\"status\":\"True\",\"reason\":\"Available\",\"message\":"
        "\"the database accepts connections\",\"lastTransitionTime\":\"2024-05-01T12:02:00Z\","
        "\"observedGeneration\":%u},{\"type\":\"Progressing\",\"status\":\"False\",\"reason\":"
        "\"Idle\",\"message\":\"\",\"lastTransitionTime\":\"2024-05-01T12:02:00Z\","
        "\"observedGeneration\":%u},{\"type\":\"Degraded\",\"status\":\"False\",\"reason\":\"Healthy\","
        "\"message\":\"\",\"lastTransitionTime\":\"2024-05-01T12:02:00Z\",\"observedGeneration\":%u}]}}}\n",
        types[i % 5], i, i % 40, i & 0xffff, i, 100000 + i, 1 + i % 9, i, i % 40, i % 40,
        2 + i % 50, 1 + i % 9, i, i % 40, i, 2 + i % 50, 1 + i % 9, 1 + i % 9, 1 + i % 9);
}


/* Parses the stream once; chunk 0 means random sizes from 1 byte to 64 KiB. */
static double
one_pass(const core_buf *stream, size_t chunk, unsigned seed, unsigned long want, kjson_pool *pool)
{
    ws_parser p;
    sink      s = {0, 0};
    size_t    off, step;
    double    t0, t1;
    int       rc = CORE_OK;

    ws_init(&p, 0, on_event, &s);
    p.pool = pool;
    t0 = now();
    for (off = 0; off < stream->len && !rc; off += step) {
        if (chunk) {
            step = chunk;
        } else {
            seed = seed * 1103515245u + 12345u;
            step = (seed >> 8) % (64 * 1024) + 1;
        }
        if (step > stream->len - off)
            step = stream->len - off;
        rc = ws_feed(&p, stream->data + off, step);
    }
    if (!rc)
        rc = ws_finish(&p);
    t1 = now();
    if (rc || s.events != want) {
        fprintf(stderr, "bench_wstream: rc %d (%s), %lu of %lu events: %s\n", rc, core_strerror(rc),
                s.events, want, ws_errmsg(&p));
        exit(1);
    }
    ws_free(&p);
    return t1 - t0;
}


/* The parser's own scan: memchr for each '\n', then the UTF-8 check of the line. */
static int
scan_lines(const core_buf *stream)
{
    const char *s = stream->data, *end = s + stream->len, *nl;
    int         valid = 1;

    while (s < end && (nl = memchr(s, '\n', (size_t)(end - s))) != NULL) {
        valid &= ws_text_valid(s, (size_t)(nl - s), NULL);
        s = nl + 1;
    }
    return valid;
}


static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}


static double
median_pass(const core_buf *stream, size_t chunk, unsigned long n, int reps, double *best,
            kjson_pool *pool)
{
    double t[64];
    int    i;

    for (i = 0; i < reps; i++)
        t[i] = one_pass(stream, chunk, 42u + (unsigned)i, n, pool);
    qsort(t, (size_t)reps, sizeof t[0], cmp_double);
    *best = t[0];
    return t[reps / 2];
}


int
main(int argc, char **argv)
{
    core_buf      stream;
    unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000;
    int           reps = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 7;
    double        med, med16, best, avg_kb, mb, t0, t;
    size_t        i;
    int           valid = 1, rc;
    kjson_pool   *pool;

    if (n == 0 || reps < 1 || reps > 64) {
        fprintf(stderr, "usage: bench_wstream [events > 0] [repetitions 1..64]\n");
        return 2;
    }
    core_buf_init(&stream, (size_t)1 << 31);
    for (i = 0; i < n; i++) {
        rc = append_event(&stream, (unsigned)i);
        if (rc) {
            fprintf(stderr, "bench_wstream: building the stream: %s\n", core_strerror(rc));
            return 1;
        }
    }
    avg_kb = (double)stream.len / (double)n / 1000.0;
    mb = (double)stream.len / 1e6;
    printf("stream: %lu events, %.1f MB, %.2f KB each; %d repetitions, median (best)\n", n, mb,
           avg_kb, reps);

    med16 = median_pass(&stream, 16 * 1024, n, reps, &best, NULL);
    printf("wstream: %.0f events/s (%.1f KB each, 16 KiB chunks), %.1f MB/s (best %.0f events/s)\n",
           (double)n / med16, avg_kb, mb / med16, (double)n / best);
    med = median_pass(&stream, 0, n, reps, &best, NULL);
    printf("wstream: %.0f events/s (%.1f KB each, random 1 B..64 KiB chunks), %.1f MB/s "
           "(best %.0f events/s)\n",
           (double)n / med, avg_kb, mb / med, (double)n / best);
    med = median_pass(&stream, stream.len, n, reps, &best, NULL);
    printf("wstream: %.0f events/s (%.1f KB each, one chunk), %.1f MB/s\n", (double)n / med, avg_kb,
           mb / med);
    if (kjson_pool_new(&pool) != CORE_OK) {
        fprintf(stderr, "bench_wstream: no memory for a pool\n");
        return 1;
    }
    med = median_pass(&stream, 16 * 1024, n, reps, &best, pool);
    kjson_pool_free(pool);
    printf("wstream, into a pool: %.0f events/s (%.1f KB each, 16 KiB chunks), %.1f MB/s (best %.0f "
           "events/s)\n",
           (double)n / med, avg_kb, mb / med, (double)n / best);

    /* Finding the lines and checking their UTF-8 alone, to show that share of the cost. */
    t0 = now();
    for (i = 0; i < 10; i++)
        valid &= scan_lines(&stream);
    t = (now() - t0) / 10;
    printf("line scan + ws_text_valid: %.0f MB/s%s\n", mb / t, valid ? "" : " (INVALID)");

    printf("target %.0f events/s on one core (16 KiB chunks): %s\n", TARGET_EVENTS_PER_SEC,
           (double)n / med16 >= TARGET_EVENTS_PER_SEC ? "met" : "NOT met");
    core_buf_free(&stream);
    return 0;
}
