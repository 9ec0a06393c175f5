/*
 * bench-dbi: the client side of `make bench` (test/bench/bench.sh). Each mode prints one
 * JSON object on stdout and exits 1 on a failure or after its deadline, saying why on stderr.
 *
 * usage: bench-dbi create KUBECONFIG NAMESPACE N [WINDOW]
 *   Creates the DBInstances b-00001 ... b-N (PostgreSQL 16, 1Gi), WINDOW (default 32)
 *   requests in flight, and waits until every one says Ready=True (an operator must run).
 *
 * usage: bench-dbi lower-bound KUBECONFIG NAMESPACE N CONCURRENCY [WINDOW]
 *   The same work without an operator: creates the same DBInstances, and for each one, as
 *   its create answers, the children the operator's own builders (pkg-c/dbi) render for it:
 *   Secret (POST), ConfigMap, Service, headless Service, StatefulSet and, with TLS on (the
 *   default, as the operator decides it), the <name>-tls Secret with a certificate issued
 *   from the namespace's CA (made and created once, first) (server-side apply, all at once,
 *   as one reconcile sends them), for at most CONCURRENCY DBInstances at a time (the
 *   operator's --concurrency). Waits until every StatefulSet has a ready pod.
 *
 * usage: bench-dbi churn KUBECONFIG NAMESPACE N PERCENT
 *   Changes spec.parameters of PERCENT% of b-00001 ... b-N (spread evenly), which rolls
 *   their pods, and waits until each one's status says the new generation is rolled out
 *   (observedGeneration, phase Ready, Ready=True).
 *
 * usage: bench-dbi list KUBECONFIG PATH...
 *   Lists every PATH (a collection with its query, as the operator's informers list it) to
 *   its last page, 500 objects a page as the informers ask, all PATHs at once on one
 *   connection: the plain paginated list an operator's restart is measured against.
 *
 * Times are seconds from the first request.
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "core/core.h"
#include "ctrl/ctrl_build.h"
#include "dbi/dbi.h"
#include "dbi/dbi_controller.h"
#include "dbi/dbi_tls.h"
#include "hmap/hmap.h"
#include "informer/informer.h"
#include "kjson/kjson.h"
#include "kops/kops.h"
#include "kres/kres.h"
#include "kube/kube.h"
#include "kubeconfig/kubeconfig.h"
#include "tlsca/tlsca.h"

/* The deadline: 30 minutes, or 1.2 s per DBInstance when that is longer (N > 1500). A lower
 * bound over 5000 on a 2-core machine, beside other work, was still waiting after 30 minutes:
 * the control plane's own controllers bind and schedule at their pace. */
#define BENCH_DEADLINE_MS     1800000
#define BENCH_DEADLINE_PER_MS 1200
#define BENCH_TICK_MS         20
#define BENCH_CHILDREN        6

typedef enum {
    MODE_CREATE,
    MODE_LOWER_BOUND,
    MODE_CHURN
} bench_mode;

typedef struct bench bench;

/* One DBInstance in the lower bound: its children in flight. */
typedef struct {
    bench *b;
    int    pending;
} lane;

struct bench {
    uv_loop_t    loop;
    uv_timer_t   tick;
    kcfg         cfg;
    kube_client *client;
    informer    *inf;
    const char  *ns;
    bench_mode   mode;
    unsigned     n, window, conc, percent;
    unsigned     next, inflight, created; /* DBInstance creates (or churn patches) */
    cJSON       *todo;                    /* lower bound: created DBInstances to render */
    tlsca_pair   ca;                      /* lower bound: the namespace's CA */
    unsigned     lanes_busy, children_done;
    hmap        *want;      /* key -> boxed generation to wait for (churn) */
    hmap        *done_keys; /* keys that reached the goal */
    uint64_t     t0, t_created, t_ready;
    uint64_t     requests, conflicts;
    int          failed, finished;
};


static uint64_t
now_ms(bench *b)
{
    uv_update_time(&b->loop);
    return uv_now(&b->loop);
}


static void
fail(bench *b, const char *what, const char *why)
{
    if (!b->failed)
        fprintf(stderr, "bench-dbi: %s: %s\n", what, why ? why : "failed");
    b->failed = 1;
}


static void
dbi_name(unsigned i, char *buf, size_t len)
{
    snprintf(buf, len, "b-%05u", i + 1);
}


/* --- the goal: every object there --------------------------------------------------- */

/* Ready=True; with a generation, also rolled out for it: observed, and phase Ready. */
static int
dbi_ready_for(const cJSON *obj, double generation)
{
    const cJSON *conds = kjson_path(obj, "status", "conditions", NULL), *c;
    const cJSON *og = kjson_path(obj, "status", "observedGeneration", NULL);
    const char  *phase = kjson_path_str(obj, "status", "phase", NULL);

    if (generation > 0 && (!cJSON_IsNumber(og) || og->valuedouble < generation || !phase ||
                           strcmp(phase, "Ready") != 0))
        return 0;
    cJSON_ArrayForEach(c, conds) {
        const char *type = kjson_get_str(c, "type"), *status = kjson_get_str(c, "status");

        if (type && status && strcmp(type, "Ready") == 0)
            return strcmp(status, "True") == 0;
    }
    return 0;
}


static int
sts_ready(const cJSON *obj)
{
    const cJSON *r = kjson_path(obj, "status", "readyReplicas", NULL);

    return cJSON_IsNumber(r) && r->valuedouble >= 1;
}


static void
on_change(informer *inf, informer_change what, const char *key, const cJSON *obj, void *data)
{
    bench *b = data;
    int    ok;

    (void)inf;
    if (what == INFORMER_DELETE || b->t_ready)
        return;
    if (b->mode == MODE_LOWER_BOUND) {
        ok = sts_ready(obj);
    } else if (b->mode == MODE_CHURN) {
        double *gen = hmap_get(b->want, key);

        ok = gen && dbi_ready_for(obj, *gen);
    } else {
        ok = dbi_ready_for(obj, 0);
    }
    if (ok && !hmap_get(b->done_keys, key) && hmap_put(b->done_keys, key, b, NULL)) {
        fail(b, "bookkeeping", "out of memory");
        return;
    }
}


static unsigned
goal(const bench *b)
{
    return b->mode == MODE_CHURN ? (unsigned)hmap_len(b->want) : b->n;
}


/* --- the lower bound: render and write children ------------------------------------- */

static void send_creates(bench *b);
static void start_lanes(bench *b);


static void
on_child(const kops_result *r, void *data)
{
    lane  *l = data;
    bench *b = l->b;

    if (r->err && r->err != CORE_ECONFLICT)
        fail(b, "writing a child", r->message);
    l->pending--;
    if (l->pending)
        return;
    free(l);
    b->lanes_busy--;
    b->children_done++;
    start_lanes(b);
}


/* Renders dbi's children with the operator's builders and sends them all; 0 when sent. */
static int
render_and_send(bench *b, const cJSON *dbi)
{
    dbi_spec    spec;
    char        err[300], password[64], superuser[64], checksum[32];
    cJSON      *kids[BENCH_CHILDREN] = {0};
    const kres *res[BENCH_CHILDREN] = {&KRES_SECRETS,  &KRES_CONFIGMAPS,   &KRES_SERVICES,
                                       &KRES_SERVICES, &KRES_STATEFULSETS, &KRES_SECRETS};
    const char *names[DBI_TLS_NAMES];
    char        buf[1024], sum[17];
    size_t      nn = 0;
    tlsca_pair  pair = {NULL, NULL};
    lane       *l;
    int         i, rc = CORE_OK;

    if (dbi_spec_parse(dbi, &spec, err, sizeof err)) {
        fail(b, "the DBInstance the server returned", err);
        return CORE_EINVAL;
    }
    /* TLS as the operator decides it for a new instance, with the same certificate work. */
    spec.tls = dbi_tls_decide(spec.tls, NULL, dbi);
    if (dbi_tls_on(&spec)) {
        snprintf(err, sizeof err, "the names are too long, or no checksum");
        if (dbi_tls_names(&spec, buf, sizeof buf, names, &nn) ||
            tlsca_issue(b->ca.cert, b->ca.key, names, nn, time(NULL), &pair, NULL, err, sizeof err) ||
            ctrl_checksum(pair.cert, strlen(pair.cert), sum, sizeof sum)) {
            tlsca_pair_free(&pair);
            fail(b, "issuing a certificate", err);
            return CORE_EINVAL;
        }
        spec.tls_ca = b->ca.cert;
        spec.tls_checksum = sum;
    }
    if (dbi_password(password, sizeof password, 32) ||
        dbi_password(superuser, sizeof superuser, 32) || !(l = calloc(1, sizeof *l))) {
        fail(b, "rendering", "no password or no memory");
        return CORE_ENOMEM;
    }
    kids[0] = dbi_build_secret(&spec, dbi, password, superuser);
    kids[1] = dbi_build_configmap(&spec, dbi, checksum, sizeof checksum);
    kids[2] = dbi_build_service(&spec, dbi);
    kids[3] = dbi_build_headless_service(&spec, dbi);
    kids[4] = kids[1] ? dbi_build_statefulset(&spec, dbi, checksum) : NULL;
    if (pair.cert)
        kids[5] = dbi_build_tls_secret(&spec, dbi, pair.cert, pair.key, b->ca.cert, NULL);
    tlsca_pair_free(&pair);
    l->b = b;
    for (i = 0; i < BENCH_CHILDREN && !rc; i++) {
        const char *name = kjson_path_str(kids[i], "metadata", "name", NULL);
        kops_target t = {b->client, res[i], spec.namespace, name, NULL, 1, 0};

        if (i == 5 && !dbi_tls_on(&spec))
            break;
        if (!name) {
            rc = CORE_ENOMEM;
            break;
        }
        if (i == 0) { /* the Secret is created, as the operator does */
            t.name = NULL;
            rc = kops_create(&t, kids[i], on_child, l);
        } else {
            rc = kops_apply(&t, kids[i], on_child, l);
        }
        if (!rc) {
            l->pending++;
            b->requests++;
        }
    }
    for (i = 0; i < BENCH_CHILDREN; i++)
        cJSON_Delete(kids[i]);
    if (rc)
        fail(b, "sending children", core_strerror(rc));
    if (!l->pending) {
        free(l);
        return rc ? rc : CORE_EINTERNAL;
    }
    b->lanes_busy++;
    return CORE_OK;
}


static void
start_lanes(bench *b)
{
    while (!b->failed && b->lanes_busy < b->conc && cJSON_GetArraySize(b->todo) > 0) {
        cJSON *dbi = cJSON_DetachItemFromArray(b->todo, 0);
        int    rc = render_and_send(b, dbi);

        cJSON_Delete(dbi);
        if (rc)
            return;
    }
}


/* --- creating (and churning) DBInstances -------------------------------------------- */

static void
on_created(const kops_result *r, void *data)
{
    bench *b = data;

    b->inflight--;
    if (r->err == CORE_ECONFLICT) {
        b->conflicts++;
    } else if (r->err) {
        fail(b, b->mode == MODE_CHURN ? "patching a DBInstance" : "creating a DBInstance", r->message);
        return;
    }
    if (b->mode == MODE_CHURN && !r->err) {
        double      *gen = malloc(sizeof *gen);
        const cJSON *g = kjson_path(r->obj, "metadata", "generation", NULL);
        char         key[300];

        snprintf(key, sizeof key, "%s/%s", b->ns, kjson_path_str(r->obj, "metadata", "name", NULL));
        if (!gen || !cJSON_IsNumber(g) || hmap_put(b->want, key, gen, NULL)) {
            free(gen);
            fail(b, "bookkeeping", "no generation in the answer, or out of memory");
            return;
        }
        *gen = g->valuedouble;
    }
    if (b->mode == MODE_LOWER_BOUND && !r->err) {
        cJSON *copy = cJSON_Duplicate(r->obj, 1);

        if (!copy) {
            fail(b, "bookkeeping", "out of memory");
            return;
        }
        cJSON_AddItemToArray(b->todo, copy);
        start_lanes(b);
    }
    b->created++;
    send_creates(b);
}


static cJSON *
dbi_manifest(bench *b, const char *name)
{
    cJSON *o = cJSON_CreateObject(), *meta, *spec, *storage;

    cJSON_AddStringToObject(o, "apiVersion", DBI_API_VERSION);
    cJSON_AddStringToObject(o, "kind", DBI_KIND);
    meta = cJSON_AddObjectToObject(o, "metadata");
    cJSON_AddStringToObject(meta, "name", name);
    cJSON_AddStringToObject(meta, "namespace", b->ns);
    spec = cJSON_AddObjectToObject(o, "spec");
    cJSON_AddStringToObject(spec, "engine", "postgresql");
    cJSON_AddStringToObject(spec, "version", "16");
    cJSON_AddStringToObject(spec, "database", "app");
    storage = cJSON_AddObjectToObject(spec, "storage");
    if (!cJSON_AddStringToObject(storage, "size", "1Gi")) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}


/* The churn changes every (100 / percent)-th object: i is one of them. */
static int
churned(const bench *b, unsigned i)
{
    unsigned step = 100 / (b->percent ? b->percent : 1);

    return i % (step ? step : 1) == 0;
}


static void
send_creates(bench *b)
{
    char name[64];

    while (!b->failed && b->next < b->n && b->inflight < b->window) {
        kops_target t = {b->client, &KRES_DBINSTANCES, b->ns, NULL, NULL, 0, 0};
        cJSON      *body;
        int         rc;

        if (b->mode == MODE_CHURN && !churned(b, b->next)) {
            b->next++;
            continue;
        }
        dbi_name(b->next, name, sizeof name);
        if (b->mode == MODE_CHURN) {
            t.name = name;
            body = cJSON_Parse("{\"spec\":{\"parameters\":{\"max_connections\":\"150\"}}}");
            rc = body ? kops_merge_patch(&t, body, on_created, b) : CORE_ENOMEM;
        } else {
            body = dbi_manifest(b, name);
            rc = body ? kops_create(&t, body, on_created, b) : CORE_ENOMEM;
        }
        cJSON_Delete(body);
        if (rc) {
            fail(b, "sending a request", core_strerror(rc));
            return;
        }
        b->next++;
        b->inflight++;
        b->requests++;
    }
    if (b->next == b->n && !b->inflight && !b->t_created)
        b->t_created = now_ms(b);
}


/* --- driving ------------------------------------------------------------------------ */

static void
finish(bench *b)
{
    if (b->finished)
        return;
    b->finished = 1;
    uv_timer_stop(&b->tick);
    uv_close((uv_handle_t *)&b->tick, NULL);
    if (b->inf)
        informer_stop(b->inf, NULL, NULL);
    kube_client_close(b->client);
}


static void
report(bench *b)
{
    static const char *const names[] = {"create", "lower-bound", "churn"};

    printf("{\"mode\":\"%s\",\"n\":%u,\"changed\":%u,\"concurrency\":%u,\"window\":%u,"
           "\"created_s\":%.3f,\"ready_s\":%.3f,\"requests\":%llu,\"conflicts\":%llu}\n",
           names[b->mode], b->n, goal(b), b->conc, b->window,
           (double)(b->t_created - b->t0) / 1000.0, (double)(b->t_ready - b->t0) / 1000.0,
           (unsigned long long)b->requests, (unsigned long long)b->conflicts);
    fflush(stdout);
}


/* How long a run over n DBInstances may take, in milliseconds (BENCH_DEADLINE_MS at least). */
static uint64_t
deadline_ms(unsigned n)
{
    uint64_t scaled = (uint64_t)n * BENCH_DEADLINE_PER_MS;

    return scaled > BENCH_DEADLINE_MS ? scaled : BENCH_DEADLINE_MS;
}


static void
on_tick(uv_timer_t *t)
{
    bench   *b = t->data;
    uint64_t now = now_ms(b);

    if (!b->failed && now - b->t0 > deadline_ms(b->n))
        fail(b, "waiting", "deadline passed");
    if (!b->failed && b->t_created && hmap_len(b->done_keys) >= goal(b) &&
        (b->mode != MODE_LOWER_BOUND || (!b->lanes_busy && b->children_done == b->n))) {
        b->t_ready = now;
        report(b);
        finish(b);
    } else if (b->failed) {
        finish(b);
    }
}


static void
on_ca_created(const kops_result *r, void *data)
{
    if (r->err && r->err != CORE_ECONFLICT)
        fail(data, "creating the CA Secret", r->message);
}


/* The lower bound's namespace CA, made and created as the operator's first run does. */
static int
make_ca(bench *b)
{
    char        err[300] = "", cn[128];
    cJSON      *obj = NULL;
    kops_target t = {b->client, &KRES_SECRETS, b->ns, NULL, NULL, 1, 0};
    int         rc = CORE_EINVAL;

    snprintf(cn, sizeof cn, "dbaas-operator CA %.60s", b->ns);
    if (tlsca_make_ca(cn, time(NULL), &b->ca, err, sizeof err) == CORE_OK &&
        (obj = dbi_build_ca_secret(b->ns, b->ca.cert, b->ca.key)))
        rc = kops_create(&t, obj, on_ca_created, b);
    cJSON_Delete(obj);
    if (rc)
        fail(b, "making the CA", *err ? err : core_strerror(rc));
    else
        b->requests++;
    return rc;
}


static void
on_synced(informer *inf, void *data)
{
    bench *b = data;

    (void)inf;
    b->t0 = now_ms(b);
    if (b->mode == MODE_LOWER_BOUND && make_ca(b) != CORE_OK)
        return;
    send_creates(b);
    if (uv_timer_start(&b->tick, on_tick, BENCH_TICK_MS, BENCH_TICK_MS))
        fail(b, "starting", "no timer");
}


/* --- list: the plain paginated list of the operator's resources --------------------- */

typedef struct {
    uv_loop_t    loop;
    kube_client *client;
    unsigned     pending;
    uint64_t     t0, items, pages;
    int          failed;
} lister;

typedef struct {
    lister *l;
    char   *path; /* with its query, without limit and continue */
} list_one;

static int list_page(list_one *o, const char *cont);


static void
on_page(const kube_response *res, void *data)
{
    list_one   *o = data;
    lister     *l = o->l;
    cJSON      *page = NULL;
    const char *cont;
    int         more = 0;

    if (res->err || res->status != 200 || !(page = cJSON_ParseWithLength(res->body, res->body_len))) {
        fprintf(stderr, "bench-dbi: listing %s: %s (HTTP %ld)\n", o->path,
                res->err ? res->message : "not a list", res->status);
        l->failed = 1;
    } else {
        l->pages++;
        l->items += (uint64_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(page, "items"));
        cont = kjson_path_str(page, "metadata", "continue", NULL);
        if (cont && *cont) {
            more = list_page(o, cont) == CORE_OK;
            if (!more) {
                fprintf(stderr, "bench-dbi: listing %s: cannot ask for the next page\n", o->path);
                l->failed = 1;
            }
        }
    }
    cJSON_Delete(page);
    if (more)
        return;
    free(o->path);
    free(o);
    if (--l->pending == 0)
        kube_client_close(l->client);
}


static int
list_page(list_one *o, const char *cont)
{
    core_buf path;
    kube_req req = {0};
    int      rc;

    core_buf_init(&path, 1024);
    rc = core_buf_printf(&path, "%s%slimit=500", o->path, strchr(o->path, '?') ? "&" : "?");
    if (!rc && cont && (rc = core_buf_printf(&path, "&continue=")) == CORE_OK)
        rc = kres_escape(&path, cont);
    req.path = path.data;
    req.timeout_ms = 60000;
    if (!rc)
        rc = kube_request(o->l->client, &req, on_page, o, NULL);
    core_buf_free(&path);
    return rc;
}


static int
list_main(int argc, char **argv)
{
    lister l;
    kcfg   cfg;
    char   err[512];
    int    i;

    memset(&l, 0, sizeof l);
    if (kcfg_load(argv[2], NULL, &cfg, err, sizeof err)) {
        fprintf(stderr, "bench-dbi: %s\n", err);
        return 1;
    }
    uv_loop_init(&l.loop);
    if (kube_client_new(&l.loop, &cfg, &l.client, err, sizeof err)) {
        fprintf(stderr, "bench-dbi: %s\n", err);
        return 1;
    }
    uv_update_time(&l.loop);
    l.t0 = uv_now(&l.loop);
    for (i = 3; i < argc; i++) {
        list_one *o = calloc(1, sizeof *o);

        if (!o || !(o->path = strdup(argv[i]))) {
            free(o);
            return 1;
        }
        o->l = &l;
        l.pending++;
        if (list_page(o, NULL) != CORE_OK) {
            fprintf(stderr, "bench-dbi: cannot list %s\n", argv[i]);
            return 1;
        }
    }
    uv_run(&l.loop, UV_RUN_DEFAULT);
    uv_update_time(&l.loop);
    printf("{\"mode\":\"list\",\"paths\":%d,\"pages\":%llu,\"items\":%llu,\"seconds\":%.3f}\n",
           argc - 3, (unsigned long long)l.pages, (unsigned long long)l.items,
           (double)(uv_now(&l.loop) - l.t0) / 1000.0);
    uv_loop_close(&l.loop);
    kcfg_free(&cfg);
    return l.failed ? 1 : 0;
}


static int
usage(void)
{
    fprintf(stderr, "usage: bench-dbi create KUBECONFIG NAMESPACE N [WINDOW]\n"
                    "       bench-dbi lower-bound KUBECONFIG NAMESPACE N CONCURRENCY [WINDOW]\n"
                    "       bench-dbi list KUBECONFIG PATH...\n"
                    "       bench-dbi churn KUBECONFIG NAMESPACE N PERCENT\n");
    return 2;
}


static unsigned
arg_uint(int argc, char **argv, int i, unsigned dflt)
{
    return argc > i ? (unsigned)strtoul(argv[i], NULL, 10) : dflt;
}


int
main(int argc, char **argv)
{
    static bench  b;
    char          err[512];
    informer_opts opts = {0};

    if (argc >= 4 && strcmp(argv[1], "list") == 0)
        return list_main(argc, argv);
    if (argc < 5)
        return usage();
    if (strcmp(argv[1], "create") == 0) {
        b.mode = MODE_CREATE;
        b.window = arg_uint(argc, argv, 5, 32);
    } else if (strcmp(argv[1], "lower-bound") == 0 && argc >= 6) {
        b.mode = MODE_LOWER_BOUND;
        b.conc = arg_uint(argc, argv, 5, 4);
        b.window = arg_uint(argc, argv, 6, 32);
    } else if (strcmp(argv[1], "churn") == 0 && argc >= 6) {
        b.mode = MODE_CHURN;
        b.percent = arg_uint(argc, argv, 5, 10);
        b.window = 32;
    } else {
        return usage();
    }
    b.ns = argv[3];
    b.n = arg_uint(argc, argv, 4, 0);
    if (!b.n || !b.window || (b.mode == MODE_LOWER_BOUND && !b.conc) ||
        (b.mode == MODE_CHURN && (!b.percent || b.percent > 100)))
        return usage();
    if (kcfg_load(argv[2], NULL, &b.cfg, err, sizeof err)) {
        fprintf(stderr, "bench-dbi: %s\n", err);
        return 1;
    }
    uv_loop_init(&b.loop);
    uv_timer_init(&b.loop, &b.tick);
    b.tick.data = &b;
    if (kube_client_new(&b.loop, &b.cfg, &b.client, err, sizeof err)) {
        fprintf(stderr, "bench-dbi: %s\n", err);
        return 1;
    }
    if (hmap_new(b.n, &b.want) || hmap_new(b.n, &b.done_keys) || !(b.todo = cJSON_CreateArray()))
        return 1;
    /* The goal is watched from before the first request, so no change is missed. */
    opts.res = b.mode == MODE_LOWER_BOUND ? &KRES_STATEFULSETS : &KRES_DBINSTANCES;
    opts.namespace = b.ns;
    opts.on_change = on_change;
    opts.on_synced = on_synced;
    opts.data = &b;
    if (informer_new(&b.loop, b.client, &opts, &b.inf) || informer_start(b.inf)) {
        fprintf(stderr, "bench-dbi: cannot start the informer\n");
        return 1;
    }
    uv_run(&b.loop, UV_RUN_DEFAULT);
    uv_loop_close(&b.loop);
    kcfg_free(&b.cfg);
    hmap_free(b.want, free);
    hmap_free(b.done_keys, NULL);
    cJSON_Delete(b.todo);
    tlsca_pair_free(&b.ca);
    return b.failed ? 1 : 0;
}
