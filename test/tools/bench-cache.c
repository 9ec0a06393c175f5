/*
 * bench-cache: the runtime numbers of issue 3, measured against a real API server.
 * test/bench/bench-informer.sh runs it; each mode prints one JSON object on stdout.
 *
 * usage: bench-cache watches KUBECONFIG NAMESPACE N [MAX_STREAMS]
 *   N ConfigMap informers on ONE kube_client, each with its own label selector
 *   (bench-watch=wI). Once all are synced and watching, and after a settle, reports the
 *   connections the client opened and the TCP connections it holds open. Then a second
 *   client creates one matching ConfigMap per selector and every informer must see its
 *   ADD: proof that all N watch streams are live at once. MAX_STREAMS > 0 raises the
 *   client's stream cap (kube_client_set_max_streams), to tell libcurl's client-side cap
 *   from the server's limit.
 *
 * usage: bench-cache create KUBECONFIG NAMESPACE COUNT SIZE
 *   Creates COUNT Widgets (bench.dbaas.dev/v1) named widget-00000... of about SIZE bytes
 *   of JSON each as the store keeps them, 32 requests in flight. Existing ones are kept.
 *
 * usage: bench-cache cache KUBECONFIG NAMESPACE [PAGE_SIZE [TRIM]]
 *   One Widget informer. Reports the store (objects, bytes), VmRSS/VmHWM/RssAnon before the
 *   list (after one request warmed the connection) and once synced, glibc's heap numbers
 *   (mallinfo2), and, with TRIM 1, VmRSS after malloc_trim(0).
 *
 * Exits 1 on any failure or after a 180 s deadline, with the reason on stderr.
 */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "core/core.h"
#include "informer/informer.h"
#include "kres/kres.h"
#include "kube/kube.h"
#include "kubeconfig/kubeconfig.h"

#define BENCH_DEADLINE_MS 180000
#define BENCH_SETTLE_MS   2000
#define BENCH_TICK_MS     50
#define BENCH_WINDOW      32 /* create requests in flight */
#define BENCH_MAX_SOCKETS 4096

static const kres WIDGETS = {"bench.dbaas.dev", "v1", "widgets", "Widget", 1};

typedef struct bench bench;

typedef struct {
    bench    *b;
    informer *inf;
    int       seen; /* its ConfigMap arrived through the watch */
} slot;

typedef struct {
    long rss_kb, hwm_kb, anon_kb;
} proc_mem;

struct bench {
    uv_loop_t        loop;
    uv_timer_t       tick;
    kcfg             cfg;
    kube_client     *client; /* the one measured */
    kube_client     *writer; /* creates objects; kept apart so its connection is not counted */
    const char      *ns;
    int              failed;
    int              done;
    uint64_t         t0;
    /* watches */
    slot            *slots;
    unsigned         n, next, inflight, seen;
    int              phase;
    uint64_t         t_watching, settle_until;
    long             connects_watching;
    int              open_watching;
    long             max_streams;
    /* create */
    unsigned         count, created, existed;
    size_t           size;
    /* cache */
    informer        *inf;
    unsigned         page_size;
    int              trim;
    proc_mem         before;
    struct mallinfo2 mi_before;
    uint64_t         t_list, t_synced;
};


static void
proc_mem_read(proc_mem *m)
{
    FILE *f = fopen("/proc/self/status", "r");
    char  line[256];

    memset(m, 0, sizeof *m);
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmRSS:", 6) == 0)
            m->rss_kb = strtol(line + 6, NULL, 10);
        else if (strncmp(line, "VmHWM:", 6) == 0)
            m->hwm_kb = strtol(line + 6, NULL, 10);
        else if (strncmp(line, "RssAnon:", 8) == 0)
            m->anon_kb = strtol(line + 8, NULL, 10);
    }
    fclose(f);
}


static int
inode_cmp(const void *a, const void *b)
{
    unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

    return x < y ? -1 : x > y;
}


/* Established TCP connections this process holds to remote port `port`. */
static int
open_connections(unsigned port)
{
    static const char *tables[] = {"/proc/self/net/tcp", "/proc/self/net/tcp6"};
    unsigned long      inodes[BENCH_MAX_SOCKETS];
    size_t             n = 0, t;
    DIR               *d = opendir("/proc/self/fd");
    struct dirent     *de;
    char               path[300], link[64], line[512];
    int                count = 0;

    if (!d)
        return -1;
    while ((de = readdir(d)) && n < BENCH_MAX_SOCKETS) {
        ssize_t len;

        snprintf(path, sizeof path, "/proc/self/fd/%s", de->d_name);
        len = readlink(path, link, sizeof link - 1);
        if (len <= 0)
            continue;
        link[len] = '\0';
        if (strncmp(link, "socket:[", 8) == 0)
            inodes[n++] = strtoul(link + 8, NULL, 10);
    }
    closedir(d);
    qsort(inodes, n, sizeof inodes[0], inode_cmp);
    for (t = 0; t < 2; t++) {
        FILE *f = fopen(tables[t], "r");

        if (!f)
            continue;
        while (fgets(line, sizeof line, f)) {
            unsigned      rport, st;
            unsigned long inode;

            /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
            if (sscanf(line, " %*u: %*[0-9A-Fa-f]:%*x %*[0-9A-Fa-f]:%x %x %*s %*s %*s %*s %*s %lu",
                       &rport, &st, &inode) != 3)
                continue;
            if (rport == port && st == 1 && bsearch(&inode, inodes, n, sizeof inodes[0], inode_cmp))
                count++;
        }
        fclose(f);
    }
    return count;
}


static unsigned
server_port(const kube_client *c)
{
    const char *s = kube_client_server(c), *colon = strrchr(s, ':');

    return colon ? (unsigned)strtoul(colon + 1, NULL, 10) : 443;
}


static double
secs_since(bench *b, uint64_t t)
{
    uv_update_time(&b->loop);
    return (double)(uv_now(&b->loop) - t) / 1000.0;
}


static void
fail(bench *b, const char *fmt, const char *arg)
{
    fprintf(stderr, "bench-cache: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    b->failed = 1;
    b->done = 1;
}


/* Stops everything; the loop then runs out of handles. */
static void
finish(bench *b)
{
    unsigned i;

    uv_timer_stop(&b->tick);
    if (!uv_is_closing((uv_handle_t *)&b->tick))
        uv_close((uv_handle_t *)&b->tick, NULL);
    for (i = 0; i < b->n; i++)
        if (b->slots[i].inf)
            informer_stop(b->slots[i].inf, NULL, NULL);
    if (b->inf)
        informer_stop(b->inf, NULL, NULL);
    b->inf = NULL;
    b->n = 0;
    if (b->client)
        kube_client_close(b->client);
    if (b->writer)
        kube_client_close(b->writer);
    b->client = b->writer = NULL;
}


/* --- watches ------------------------------------------------------------------------ */

static void
on_watch_change(informer *inf, informer_change what, const char *key, const cJSON *obj, void *data)
{
    slot *s = data;

    (void)inf;
    (void)key;
    (void)obj;
    if (what == INFORMER_ADD && !s->seen) {
        s->seen = 1;
        s->b->seen++;
    }
}


static void send_configmaps(bench *b);


static void
on_configmap_created(const kube_response *res, void *data)
{
    bench *b = data;

    b->inflight--;
    if (res->err || (res->status != 201 && res->status != 409)) {
        fail(b, "creating a ConfigMap: %s", res->err ? res->message : "unexpected HTTP status");
        return;
    }
    send_configmaps(b);
}


static void
send_configmaps(bench *b)
{
    char     body[512], path[300];
    kube_req req = {0};

    while (!b->done && b->next < b->n && b->inflight < 8) {
        snprintf(path, sizeof path, "/api/v1/namespaces/%s/configmaps", b->ns);
        snprintf(body, sizeof body,
                 "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
                 "\"bench-w%u\",\"labels\":{\"bench-watch\":\"w%u\"}},\"data\":{\"k\":\"v\"}}",
                 b->next, b->next);
        req.method = "POST";
        req.path = path;
        req.body = body;
        req.body_len = strlen(body);
        if (kube_request(b->writer, &req, on_configmap_created, b, NULL)) {
            fail(b, "%s", "kube_request failed");
            return;
        }
        b->next++;
        b->inflight++;
    }
}


static void
report_watches(bench *b)
{
    unsigned i, bad = 0;
    uint64_t watches = 0, errors = 0;

    for (i = 0; i < b->n; i++) {
        const informer_stats *st = informer_get_stats(b->slots[i].inf);

        watches += st->watches;
        errors += st->watch_errors;
        if (st->watches != 1 || st->watch_errors)
            bad++;
    }
    printf("{\"mode\":\"watches\",\"watches\":%u,\"max_streams\":%ld,"
           "\"connects_after_watching\":%ld,\"open_connections_watching\":%d,"
           "\"connects_after_events\":%ld,\"open_connections_after_events\":%d,"
           "\"informers_with_event\":%u,\"watch_requests\":%llu,\"watch_errors\":%llu,"
           "\"informers_rewatched\":%u,\"seconds_to_watching\":%.2f,\"seconds_total\":%.2f}\n",
           b->n, b->max_streams, b->connects_watching, b->open_watching,
           kube_client_connects(b->client), open_connections(server_port(b->client)), b->seen,
           (unsigned long long)watches, (unsigned long long)errors, bad,
           (double)(b->t_watching - b->t0) / 1000.0, secs_since(b, b->t0));
    fflush(stdout);
    if (bad)
        fprintf(stderr, "bench-cache: %u informers watched more than once or failed\n", bad);
    b->failed = bad != 0;
}


static int
all_watching(bench *b)
{
    unsigned i;

    for (i = 0; i < b->n; i++)
        if (!informer_synced(b->slots[i].inf) || !informer_get_stats(b->slots[i].inf)->watches)
            return 0;
    return 1;
}


static void
on_watch_tick(uv_timer_t *t)
{
    bench *b = t->data;
    char   err[512];

    if (b->done)
        goto out;
    uv_update_time(&b->loop);
    if (uv_now(&b->loop) - b->t0 > BENCH_DEADLINE_MS) {
        fail(b, "%s",
             b->phase < 2 ? "timed out waiting for the watches"
                          : "timed out waiting for the watch events");
        goto out;
    }
    if (b->phase == 0 && all_watching(b)) {
        b->t_watching = uv_now(&b->loop);
        b->settle_until = b->t_watching + BENCH_SETTLE_MS;
        b->phase = 1;
        fprintf(stderr, "bench-cache: %u informers synced and watching in %.2f s\n", b->n,
                (double)(b->t_watching - b->t0) / 1000.0);
    } else if (b->phase == 1 && uv_now(&b->loop) >= b->settle_until) {
        b->connects_watching = kube_client_connects(b->client);
        b->open_watching = open_connections(server_port(b->client));
        if (kube_client_new(&b->loop, &b->cfg, &b->writer, err, sizeof err)) {
            fail(b, "%s", err);
            goto out;
        }
        b->phase = 2;
        send_configmaps(b);
    } else if (b->phase == 2 && b->seen == b->n) {
        report_watches(b);
        b->done = 1;
    }
out:
    if (b->done)
        finish(b);
}


static int
run_watches(bench *b, unsigned n)
{
    char     sel[64];
    unsigned i;

    b->slots = calloc(n, sizeof *b->slots);
    if (!b->slots)
        return CORE_ENOMEM;
    if (b->max_streams > 0)
        kube_client_set_max_streams(b->client, b->max_streams);
    for (i = 0; i < n; i++) {
        informer_opts opts = {0};

        snprintf(sel, sizeof sel, "bench-watch=w%u", i);
        opts.res = &KRES_CONFIGMAPS;
        opts.namespace = b->ns;
        opts.label_selector = sel;
        opts.on_change = on_watch_change;
        opts.data = &b->slots[i];
        b->slots[i].b = b;
        if (informer_new(&b->loop, b->client, &opts, &b->slots[i].inf))
            return CORE_ENOMEM;
        b->n++;
        if (informer_start(b->slots[i].inf))
            return CORE_EINTERNAL;
    }
    return uv_timer_start(&b->tick, on_watch_tick, BENCH_TICK_MS, BENCH_TICK_MS)
             ? CORE_EINTERNAL
             : CORE_OK;
}


/* --- create ------------------------------------------------------------------------- */

/*
 * A Widget of roughly `size` bytes once stored: labels, annotations and a spec of a few
 * dozen fields of the usual kinds, padded by spec.description. About 180 bytes are what
 * the server adds (uid, resourceVersion, timestamps, namespace, generation).
 */
static char *
widget_json(unsigned i, size_t size)
{
    cJSON *o = cJSON_CreateObject(), *meta, *labels, *ann, *spec, *res, *ports, *p, *env;
    char   name[32], buf[256];
    char  *json = NULL, *pad = NULL;
    size_t len, want = size > 180 ? size - 180 : 0;
    int    k;

    snprintf(name, sizeof name, "widget-%05u", i);
    cJSON_AddStringToObject(o, "apiVersion", "bench.dbaas.dev/v1");
    cJSON_AddStringToObject(o, "kind", "Widget");
    meta = cJSON_AddObjectToObject(o, "metadata");
    cJSON_AddStringToObject(meta, "name", name);
    labels = cJSON_AddObjectToObject(meta, "labels");
    cJSON_AddStringToObject(labels, "app.kubernetes.io/name", "widget");
    cJSON_AddStringToObject(labels, "app.kubernetes.io/instance", name);
    cJSON_AddStringToObject(labels, "app.kubernetes.io/managed-by", "bench");
    snprintf(buf, sizeof buf, "team-%u", i % 17);
    cJSON_AddStringToObject(labels, "bench.dbaas.dev/team", buf);
    snprintf(buf, sizeof buf, "s%u", i % 64);
    cJSON_AddStringToObject(labels, "bench.dbaas.dev/shard", buf);
    ann = cJSON_AddObjectToObject(meta, "annotations");
    cJSON_AddStringToObject(ann, "bench.dbaas.dev/owner", "platform-team@example.com");
    cJSON_AddStringToObject(ann, "bench.dbaas.dev/revision", "42");
    cJSON_AddStringToObject(ann, "bench.dbaas.dev/change-cause",
                            "scaled the widget pool for the quarterly load test");
    spec = cJSON_AddObjectToObject(o, "spec");
    cJSON_AddStringToObject(spec, "engine", i % 2 ? "postgresql" : "mariadb");
    cJSON_AddStringToObject(spec, "version", "16.4");
    cJSON_AddStringToObject(spec, "image", "registry.example.com/widgets/widget-server:1.27.3");
    cJSON_AddNumberToObject(spec, "replicas", 1 + i % 5);
    cJSON_AddBoolToObject(spec, "paused", 0);
    cJSON_AddStringToObject(spec, "database", name);
    cJSON_AddStringToObject(spec, "username", "app");
    cJSON_AddStringToObject(spec, "deletionPolicy", "Delete");
    cJSON_AddStringToObject(spec, "schedule", "15 3 * * *");
    cJSON_AddNumberToObject(spec, "keep", 7);
    cJSON_AddStringToObject(spec, "storageSize", "20Gi");
    cJSON_AddStringToObject(spec, "storageClassName", "fast-ssd");
    res = cJSON_AddObjectToObject(spec, "resources");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(res, "requests"), "cpu", "250m");
    cJSON_AddStringToObject(cJSON_GetObjectItem(res, "requests"), "memory", "256Mi");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(res, "limits"), "cpu", "1");
    cJSON_AddStringToObject(cJSON_GetObjectItem(res, "limits"), "memory", "1Gi");
    ports = cJSON_AddArrayToObject(spec, "ports");
    for (k = 0; k < 3; k++) {
        p = cJSON_CreateObject();
        snprintf(buf, sizeof buf, "port-%d", k);
        cJSON_AddStringToObject(p, "name", buf);
        cJSON_AddNumberToObject(p, "port", 5432 + k);
        cJSON_AddStringToObject(p, "protocol", "TCP");
        cJSON_AddItemToArray(ports, p);
    }
    env = cJSON_AddObjectToObject(spec, "parameters");
    for (k = 0; k < 12; k++) {
        char key[32];

        snprintf(key, sizeof key, "param_%02d", k);
        snprintf(buf, sizeof buf, "%u", (i * 31 + (unsigned)k * 7) % 1000);
        cJSON_AddStringToObject(env, key, buf);
    }
    cJSON_AddStringToObject(spec, "serviceType", "ClusterIP");
    cJSON_AddNumberToObject(spec, "maxConnections", 200);
    cJSON_AddBoolToObject(spec, "tls", 1);
    cJSON_AddStringToObject(spec, "description", "");
    json = cJSON_PrintUnformatted(o);
    if (json && (len = strlen(json)) < want) {
        pad = malloc(want - len + 1);
        if (pad) {
            memset(pad, 'x', want - len);
            pad[want - len] = '\0';
            cJSON_ReplaceItemInObject(spec, "description", cJSON_CreateString(pad));
            cJSON_free(json);
            json = cJSON_PrintUnformatted(o);
        }
    }
    free(pad);
    cJSON_Delete(o);
    return json;
}


static void send_widgets(bench *b);


static void
on_widget_created(const kube_response *res, void *data)
{
    bench *b = data;

    b->inflight--;
    if (res->err || (res->status != 201 && res->status != 409)) {
        if (!b->done)
            fprintf(stderr, "bench-cache: creating a Widget: HTTP %ld %s %.300s\n", res->status,
                    res->message, res->body);
        b->failed = b->done = 1;
    } else if (res->status == 409) {
        b->existed++;
    } else {
        b->created++;
    }
    send_widgets(b);
}


static void
send_widgets(bench *b)
{
    char     path[300];
    kube_req req = {0};
    char    *body;

    snprintf(path, sizeof path, "/apis/bench.dbaas.dev/v1/namespaces/%s/widgets", b->ns);
    while (!b->done && b->next < b->count && b->inflight < BENCH_WINDOW) {
        body = widget_json(b->next, b->size);
        req.method = "POST";
        req.path = path;
        req.body = body;
        req.body_len = body ? strlen(body) : 0;
        if (!body || kube_request(b->client, &req, on_widget_created, b, NULL)) {
            cJSON_free(body);
            fail(b, "%s", "cannot send a Widget");
            break;
        }
        cJSON_free(body);
        b->next++;
        b->inflight++;
    }
    if (b->inflight == 0 && (b->done || b->next == b->count)) {
        if (!b->failed)
            printf("{\"mode\":\"create\",\"created\":%u,\"existed\":%u,\"seconds\":%.2f,"
                   "\"per_second\":%.0f,\"connects\":%ld}\n",
                   b->created, b->existed, secs_since(b, b->t0),
                   (double)b->created / secs_since(b, b->t0), kube_client_connects(b->client));
        b->done = 1;
        finish(b);
    }
}


/* --- cache -------------------------------------------------------------------------- */

static void
on_cache_tick(uv_timer_t *t)
{
    bench           *b = t->data;
    store           *s;
    proc_mem         synced, trimmed;
    struct mallinfo2 mi;
    size_t           n, bytes;
    double           per;

    uv_update_time(&b->loop);
    if (uv_now(&b->loop) - b->t0 > BENCH_DEADLINE_MS) {
        fail(b, "%s", "timed out waiting for the Widget informer to sync");
        finish(b);
        return;
    }
    /* Measured a tick after sync: the last list page's body is released by then. */
    if (!b->inf || !informer_synced(b->inf) || uv_now(&b->loop) < b->settle_until)
        return;
    s = informer_store(b->inf);
    n = store_len(s);
    bytes = store_bytes(s);
    proc_mem_read(&synced);
    mi = mallinfo2();
    trimmed = synced;
    if (b->trim) {
        malloc_trim(0);
        proc_mem_read(&trimmed);
    }
    per = n ? (double)(synced.rss_kb - b->before.rss_kb) * 1024.0 / (double)n : 0;
    printf("{\"mode\":\"cache\",\"page_size\":%u,\"objects\":%zu,\"store_bytes\":%zu,"
           "\"store_bytes_per_object\":%.0f,\"list_seconds\":%.2f,"
           "\"rss_before_kb\":%ld,\"rss_kb\":%ld,\"hwm_kb\":%ld,\"rss_anon_before_kb\":%ld,"
           "\"rss_anon_kb\":%ld,\"rss_delta_per_object\":%.0f,"
           "\"heap_in_use_before\":%zu,\"heap_in_use\":%zu,\"heap_in_use_per_object\":%.0f,"
           "\"heap_free_held\":%zu,\"heap_mmapped\":%zu,\"heap_arena\":%zu,"
           "\"trimmed\":%d,\"rss_after_trim_kb\":%ld,\"lists\":%llu}\n",
           b->page_size, n, bytes, n ? (double)bytes / (double)n : 0,
           (double)(b->t_synced - b->t_list) / 1000.0, b->before.rss_kb, synced.rss_kb,
           synced.hwm_kb, b->before.anon_kb, synced.anon_kb, per,
           b->mi_before.uordblks + b->mi_before.hblkhd, mi.uordblks + mi.hblkhd,
           n ? (double)(mi.uordblks + mi.hblkhd - b->mi_before.uordblks - b->mi_before.hblkhd) /
                   (double)n
             : 0,
           mi.fordblks, mi.hblkhd, mi.arena, b->trim, trimmed.rss_kb,
           (unsigned long long)informer_get_stats(b->inf)->lists);
    fflush(stdout);
    b->done = 1;
    finish(b);
}


static void
on_cache_synced(informer *inf, void *data)
{
    bench *b = data;

    (void)inf;
    uv_update_time(&b->loop);
    b->t_synced = uv_now(&b->loop);
    b->settle_until = b->t_synced + 500;
}


/* The warm-up answered: the TLS connection and libcurl's buffers now exist. */
static void
on_warm(const kube_response *res, void *data)
{
    bench        *b = data;
    informer_opts opts = {0};

    if (res->err || res->status != 200) {
        fail(b, "discovery of bench.dbaas.dev/v1 failed (is the CRD installed?): %s",
             res->err ? res->message : "HTTP status");
        finish(b);
        return;
    }
    proc_mem_read(&b->before);
    b->mi_before = mallinfo2();
    opts.res = &WIDGETS;
    opts.namespace = b->ns;
    opts.on_synced = on_cache_synced;
    opts.data = b;
    opts.page_size = b->page_size;
    uv_update_time(&b->loop);
    b->t_list = uv_now(&b->loop);
    b->settle_until = UINT64_MAX;
    if (informer_new(&b->loop, b->client, &opts, &b->inf) || informer_start(b->inf)) {
        fail(b, "%s", "cannot start the Widget informer");
        finish(b);
        return;
    }
    uv_timer_start(&b->tick, on_cache_tick, BENCH_TICK_MS, BENCH_TICK_MS);
}


/* ------------------------------------------------------------------------------------ */

static int
usage(void)
{
    fprintf(stderr, "usage: bench-cache watches KUBECONFIG NAMESPACE N [MAX_STREAMS]\n"
                    "       bench-cache create KUBECONFIG NAMESPACE COUNT SIZE\n"
                    "       bench-cache cache KUBECONFIG NAMESPACE [PAGE_SIZE [TRIM]]\n");
    return 2;
}


int
main(int argc, char **argv)
{
    static bench b;
    char         err[512];
    kube_req     warm = {0};
    int          rc = 0;

    if (argc < 4)
        return usage();
    b.ns = argv[3];
    if (kcfg_load(argv[2], NULL, &b.cfg, err, sizeof err)) {
        fprintf(stderr, "bench-cache: %s\n", err);
        return 1;
    }
    uv_loop_init(&b.loop);
    uv_timer_init(&b.loop, &b.tick);
    b.tick.data = &b;
    if (kube_client_new(&b.loop, &b.cfg, &b.client, err, sizeof err)) {
        fprintf(stderr, "bench-cache: %s\n", err);
        return 1;
    }
    uv_update_time(&b.loop);
    b.t0 = uv_now(&b.loop);
    if (strcmp(argv[1], "watches") == 0 && argc >= 5) {
        b.max_streams = argc > 5 ? strtol(argv[5], NULL, 10) : 0;
        rc = run_watches(&b, (unsigned)strtoul(argv[4], NULL, 10));
    } else if (strcmp(argv[1], "create") == 0 && argc >= 6) {
        b.count = (unsigned)strtoul(argv[4], NULL, 10);
        b.size = strtoul(argv[5], NULL, 10);
        send_widgets(&b);
    } else if (strcmp(argv[1], "cache") == 0) {
        b.page_size = argc > 4 ? (unsigned)strtoul(argv[4], NULL, 10) : 0;
        b.trim = argc > 5 && strcmp(argv[5], "1") == 0;
        warm.path = "/apis/bench.dbaas.dev/v1";
        rc = kube_request(b.client, &warm, on_warm, &b, NULL);
    } else {
        finish(&b);
        uv_run(&b.loop, UV_RUN_DEFAULT);
        return usage();
    }
    if (rc) {
        fprintf(stderr, "bench-cache: cannot start: %s\n", core_strerror(rc));
        b.failed = 1;
        finish(&b);
    }
    uv_run(&b.loop, UV_RUN_DEFAULT);
    uv_loop_close(&b.loop);
    kcfg_free(&b.cfg);
    free(b.slots);
    return b.failed ? 1 : 0;
}
