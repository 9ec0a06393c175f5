#include "runtime.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "core/core.h"
#include "hmap/hmap.h"
#include "httpd/httpd.h"
#include "informer/informer-int.h"
#include "kjson/kjson.h"
#include "kubeconfig/kubeconfig.h"
#include "leader/leader.h"
#include "log/log.h"
#include "memtrim/memtrim.h"
#include "metrics/metrics.h"
#include "runtime-int.h"
#include "store/store.h"

#define RT_GRACE_MS        30000
#define RT_MAX_CONTROLLERS 8
#define RT_ID_MAX          1024

/* How a subscription turns a changed object into a key of its controller's queue. */
typedef enum {
    RT_MAP_OWN,   /* the object's own key (the controller's primary objects) */
    RT_MAP_OWNER, /* the key of its controller owner of kind arg */
    RT_MAP_LABEL, /* "<namespace>/<value of label arg>" */
    RT_MAP_KEY,   /* always the key arg (a named watch) */
    RT_MAP_ABOUT  /* "<namespace>/<involvedObject.name>" (an Event about a primary's namesake) */
} rt_map;

typedef struct rt_sub {
    struct rt_sub *next;
    rt_controller *ctl;
    rt_map         map;
    char          *arg;  /* owner kind, label key or key, as map says; NULL for RT_MAP_OWN */
    unsigned       refs; /* times subscribed (named watches count their unwatches) */
} rt_sub;

/* One informer, shared by every subscription to its (resource, namespace, selectors). */
typedef struct rt_shared {
    struct rt_shared  *next;
    rt                *r;
    informer          *inf;
    char              *id;
    char              *index_label;
    informer_transform transform;
    char               resource[128]; /* "configmaps", "widgets.demo.dbaas.dev" */
    rt_sub            *subs;
    int                pinned; /* asked for by rt_informer or a controller watch */
    uint64_t           seen_restarts, seen_relists, seen_list_errors, seen_watch_errors;
} rt_shared;

typedef struct rt_cleanup {
    struct rt_cleanup *next;
    void (*fn)(void *data);
    void *data;
} rt_cleanup;

struct rt_controller {
    rt             *r;
    char           *name;
    rt_reconcile_fn fn;
    void           *data;
    wq             *queue;
    hmap           *started; /* key -> start time (ns, boxed) of reconciles in flight */
    int             drained;
    int             synced;     /* every informer of the controller has listed */
    int             idle_seen;  /* the first idle moment after the sync was logged */
    uint64_t        reconciles; /* reconciles done, for the first-idle log line */
};

struct rt {
    uv_loop_t           *loop;
    rt_config            cfg;
    kcfg                 kc;
    kube_client         *client;
    events_recorder     *events;
    metrics_registry    *metrics;
    metrics_std          std;
    httpd               *http;
    leader              *lead;
    rt_controller       *controllers[RT_MAX_CONTROLLERS];
    int                  ncontrollers;
    rt_shared           *shared; /* the informers, newest first */
    kjson_pool          *pool;   /* loop_pool: informers and kops parse into it, or NULL */
    int                  informers_started;
    informer__request_fn request; /* NULL: kube_request (tests set a script) */
    void (*cancel)(kube_call *call);
    /* SIGINT and SIGTERM: blocked in every thread from rt_run's start and taken by
     * sig_thread with sigwait(3), which hands them to the loop through sig_async. */
    uv_async_t      sig_async;
    pthread_t       sig_thread;
    pthread_mutex_t sig_lock;   /* guards the two fields below */
    int             sig_last;   /* the last signal taken, for the log */
    int             sig_closed; /* sig_async is closing: the thread sends nothing more */
    sigset_t        sig_old;    /* the calling thread's mask before rt_run */
    uv_timer_t      timer;      /* version retries, then the shutdown deadline */
    uint64_t        t_start;    /* uv_hrtime() when rt_run began */
    unsigned        attempts;
    int             connected;
    int             shutting_down;
    int             after_drain_done;
    int             exit_code;
    char            identity[256];
    rt_cleanup     *cleanups; /* newest first: run in reverse order of registration */
    memtrim        *trim;     /* the heap given back once the controllers are idle, or NULL */
};


static void shutdown_begin(rt *r, int exit_code, const char *why);


/* --- controllers ------------------------------------------------------------------- */

static void
on_reconcile(wq *q, const char *key, void *data)
{
    rt_controller *ctl = data;
    uint64_t      *t0 = malloc(sizeof *t0);

    (void)q;
    if (t0) {
        *t0 = uv_hrtime();
        if (hmap_put(ctl->started, key, t0, NULL))
            free(t0);
    }
    ctl->fn(ctl, key, ctl->data);
}


int
rt_controller_add(rt *r, const char *name, rt_reconcile_fn fn, void *data, rt_controller **out)
{
    rt_controller *ctl;
    wq_opts        qo = {0};

    *out = NULL;
    if (r->ncontrollers == RT_MAX_CONTROLLERS)
        return CORE_ETOOBIG;
    ctl = calloc(1, sizeof *ctl);
    if (!ctl)
        return CORE_ENOMEM;
    ctl->r = r;
    ctl->fn = fn;
    ctl->data = data;
    qo.max_in_flight = r->cfg.concurrency ? r->cfg.concurrency : 4;
    if (!(ctl->name = strdup(name)) || hmap_new(0, &ctl->started) ||
        wq_new(r->loop, &qo, on_reconcile, ctl, &ctl->queue)) {
        hmap_free(ctl->started, NULL);
        free(ctl->name);
        free(ctl);
        return CORE_ENOMEM;
    }
    r->controllers[r->ncontrollers++] = ctl;
    *out = ctl;
    return CORE_OK;
}


/* A child's change concerns its controller owner of the right kind. */
static void
enqueue_owner(rt_sub *s, const char *key, const cJSON *obj)
{
    const cJSON *refs =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "metadata"),
                                         "ownerReferences");
    const cJSON *ref;
    char         owner[512];
    const char  *slash = strchr(key, '/');

    cJSON_ArrayForEach(ref, refs) {
        const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ref, "kind"));
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ref, "name"));

        if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ref, "controller")) || !kind || !name ||
            strcmp(kind, s->arg) != 0)
            continue;
        snprintf(owner, sizeof owner, "%.*s/%s", slash ? (int)(slash - key) : 0, key, name);
        wq_add(s->ctl->queue, slash ? owner : name);
    }
}


/* Queues "<namespace of key>/<v>"; nothing when v is NULL or key has no namespace. */
static void
enqueue_named(rt_sub *s, const char *key, const char *v)
{
    const char *slash = strchr(key, '/');
    char        owner[512];

    if (!v || !slash)
        return;
    snprintf(owner, sizeof owner, "%.*s/%s", (int)(slash - key), key, v);
    wq_add(s->ctl->queue, owner);
}


static void
on_change(informer *inf, informer_change what, const char *key, const cJSON *obj, void *data)
{
    rt_shared *sh = data;
    rt_sub    *s;

    (void)inf;
    for (s = sh->subs; s; s = s->next) {
        /* A primary object gone (or no longer selected): none of its Events will repeat.
         * Without this the recorder kept them until EVENTS_MAX_TRACKED. */
        if (what == INFORMER_DELETE && s->map == RT_MAP_OWN)
            events_forget(s->ctl->r->events,
                          cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                              cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "uid")));
        /* Before every cache has synced a reconcile would see children as missing and write. */
        if (!s->ctl->synced)
            continue;
        switch (s->map) {
        case RT_MAP_OWN: wq_add(s->ctl->queue, key); break;
        case RT_MAP_OWNER: enqueue_owner(s, key, obj); break;
        case RT_MAP_LABEL:
            enqueue_named(s, key,
                          cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                              cJSON_GetObjectItemCaseSensitive(
                                  cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "labels"),
                              s->arg)));
            break;
        case RT_MAP_KEY: wq_add(s->ctl->queue, s->arg); break;
        case RT_MAP_ABOUT:
            enqueue_named(s, key,
                          cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                              cJSON_GetObjectItemCaseSensitive(obj, "involvedObject"), "name")));
            break;
        }
    }
}


static void
enqueue_primary(const char *key, const store_obj *o, void *data)
{
    (void)o;
    wq_add(data, key);
}


/* Queues every object of ctl's primary informers. */
static void
enqueue_primaries(rt_controller *ctl)
{
    rt_shared *sh;
    rt_sub    *s;

    for (sh = ctl->r->shared; sh; sh = sh->next)
        for (s = sh->subs; s; s = s->next)
            if (s->ctl == ctl && s->map == RT_MAP_OWN)
                store_each(informer_store(sh->inf), enqueue_primary, ctl->queue);
}


/* Seconds since rt_run began, as text for a log field. */
static void
since_start(const rt *r, char *buf, size_t len)
{
    snprintf(buf, len, "%.3f", (double)(uv_hrtime() - r->t_start) / 1e9);
}


/*
 * The first moment after the sync with nothing queued or running: the initial reconcile of
 * every object is over. Logged once, for operators and for the restart benchmark.
 */
static void
check_first_idle(rt_controller *ctl)
{
    char secs[32], count[32];

    if (ctl->idle_seen || !ctl->synced || wq_ready(ctl->queue) || wq_in_flight(ctl->queue))
        return;
    ctl->idle_seen = 1;
    since_start(ctl->r, secs, sizeof secs);
    snprintf(count, sizeof count, "%llu", (unsigned long long)ctl->reconciles);
    log_obj(LOG_INFO, ctl->name, NULL, "initial reconcile done", "reconciles", count, "seconds",
            secs, NULL);
}


/* memtrim's question: does any controller have work waiting or running? */
static int
controllers_busy(void *data)
{
    const rt *r = data;
    int       i;

    for (i = 0; i < r->ncontrollers; i++)
        if (wq_ready(r->controllers[i]->queue) || wq_in_flight(r->controllers[i]->queue))
            return 1;
    return 0;
}


static int
subscribes(const rt_shared *sh, const rt_controller *ctl)
{
    const rt_sub *s;

    for (s = sh->subs; s; s = s->next)
        if (s->ctl == ctl)
            return 1;
    return 0;
}


/* Once all of a controller's caches have listed, every primary object gets reconciled. */
static void
check_synced(rt_controller *ctl)
{
    rt_shared *sh;
    char       secs[32];

    if (ctl->synced)
        return;
    for (sh = ctl->r->shared; sh; sh = sh->next)
        if (subscribes(sh, ctl) && !informer_synced(sh->inf))
            return;
    ctl->synced = 1;
    since_start(ctl->r, secs, sizeof secs);
    log_obj(LOG_INFO, ctl->name, NULL, "caches synced", "seconds", secs, NULL);
    enqueue_primaries(ctl);
    check_first_idle(ctl);
    memtrim_poke(ctl->r->trim); /* the lists' buffers are free now */
}


/*
 * The first list, or the resource served again after a time without: a controller still
 * waiting may now be synced; one already synced reconciles what the cache concerns (all
 * its primaries, or a named watch's key).
 */
static void
on_synced(informer *inf, void *data)
{
    rt_shared *sh = data;
    rt_sub    *s;

    if (informer_installed(inf))
        log_info("cache synced", "resource", sh->resource);
    /* Controllers synced before this list first, so that one synced by it is not told twice. */
    for (s = sh->subs; s; s = s->next) {
        if (!s->ctl->synced)
            continue;
        if (s->map == RT_MAP_KEY)
            wq_add(s->ctl->queue, s->arg);
        else
            enqueue_primaries(s->ctl);
    }
    for (s = sh->subs; s; s = s->next)
        check_synced(s->ctl);
}


/* Like client-go's watch error handler: one line per change of state, and the recovery. */
static void
on_error(informer *inf, const informer_error *e, void *data)
{
    rt_shared *sh = data;
    char       status[24];

    (void)inf;
    if (e->recovered && e->not_installed) {
        log_info("resource installed", "resource", sh->resource);
    } else if (e->recovered) {
        log_info("list and watch work again", "resource", sh->resource, "op", e->op);
    } else if (e->not_installed) {
        log_warn("resource not installed; waiting for its CRD", "resource", sh->resource);
    } else {
        snprintf(status, sizeof status, "%ld", e->status);
        log_warn(strcmp(e->op, "list") == 0 ? "failed to list" : "failed to watch", "resource",
                 sh->resource, "status", status, "error", e->message);
    }
}


/* --- shared informers ---------------------------------------------------------------- */

/* The identity of a watched set: group/version/resource, namespace, both selectors and
 * whether it is metadata only. */
static int
shared_id(const informer_opts *o, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s/%s/%s\x1f%s\x1f%s\x1f%s%s", o->res->group, o->res->version,
                     o->res->resource, o->namespace ? o->namespace : "",
                     o->label_selector ? o->label_selector : "",
                     o->field_selector ? o->field_selector : "", o->metadata_only ? "\x1fmeta" : "");

    return n < 0 || (size_t)n >= len ? CORE_ETOOBIG : CORE_OK;
}


static rt_shared *
shared_find(const rt *r, const informer_opts *o)
{
    char       id[RT_ID_MAX];
    rt_shared *sh;

    if (shared_id(o, id, sizeof id))
        return NULL;
    for (sh = r->shared; sh; sh = sh->next)
        if (strcmp(sh->id, id) == 0)
            return sh;
    return NULL;
}


static void
shared_free(rt_shared *sh)
{
    rt_sub *s, *next;

    for (s = sh->subs; s; s = next) {
        next = s->next;
        free(s->arg);
        free(s);
    }
    free(sh->id);
    free(sh->index_label);
    free(sh);
}


/*
 * The loop's one kjson_pool, made at its first use: the loop parses one list item, watch
 * event or API answer at a time (the informers and, through the client, kops take it in
 * turns). NULL when out of memory: they all parse on the heap then.
 */
static kjson_pool *
loop_pool(rt *r)
{
    if (!r->pool && kjson_pool_new(&r->pool) != CORE_OK)
        r->pool = NULL;
    return r->pool;
}


static int
shared_new(rt *r, const informer_opts *opts, rt_shared **out)
{
    rt_shared    *sh = calloc(1, sizeof *sh);
    informer_opts o = *opts;
    char          id[RT_ID_MAX];
    int           rc;

    if (!sh)
        return CORE_ENOMEM;
    sh->r = r;
    sh->transform = opts->transform;
    snprintf(sh->resource, sizeof sh->resource, "%s%s%s", opts->res->resource,
             *opts->res->group ? "." : "", opts->res->group);
    if ((rc = shared_id(opts, id, sizeof id)))
        goto fail;
    rc = CORE_ENOMEM;
    if (!(sh->id = strdup(id)) ||
        (opts->index_label && !(sh->index_label = strdup(opts->index_label))))
        goto fail;
    o.on_change = on_change;
    o.on_synced = on_synced;
    o.on_error = on_error;
    o.data = sh;
    if (!o.pool)
        o.pool = loop_pool(r);
    if ((rc = informer_new(r->loop, r->client, &o, &sh->inf)))
        goto fail;
    if (r->request)
        informer__set_transport(sh->inf, r->request, r->cancel);
    sh->next = r->shared;
    r->shared = sh;
    if (r->informers_started)
        informer_start(sh->inf);
    *out = sh;
    return CORE_OK;
fail:
    shared_free(sh);
    return rc;
}


/* The informer for opts' set, created on first use. A later caller may not ask for another
 * transform or index than the first did. */
static int
shared_get(rt *r, const informer_opts *opts, rt_shared **out)
{
    rt_shared *sh;

    *out = NULL;
    if (!opts || !opts->res)
        return CORE_EINVAL;
    sh = shared_find(r, opts);
    if (!sh)
        return shared_new(r, opts, out);
    if ((opts->transform && opts->transform != sh->transform) ||
        (opts->index_label && (!sh->index_label || strcmp(opts->index_label, sh->index_label))))
        return CORE_EINVAL;
    *out = sh;
    return CORE_OK;
}


static void sync_metrics_of(rt *r, rt_shared *sh);


/* Stops and forgets an informer nobody needs any more. */
static void
shared_stop(rt_shared *sh)
{
    rt         *r = sh->r;
    rt_shared **pp;

    for (pp = &r->shared; *pp; pp = &(*pp)->next)
        if (*pp == sh) {
            *pp = sh->next;
            break;
        }
    sync_metrics_of(r, sh);
    informer_stop(sh->inf, NULL, NULL);
    shared_free(sh);
}


int
rt_informer(rt *r, const informer_opts *opts, informer **out)
{
    rt_shared *sh;
    int        rc;

    *out = NULL;
    if ((rc = shared_get(r, opts, &sh)))
        return rc;
    sh->pinned = 1;
    *out = sh->inf;
    return CORE_OK;
}


int
rt_informer_installed(informer *inf)
{
    return informer_installed(inf);
}


static rt_sub *
sub_find(rt_shared *sh, const rt_controller *ctl, rt_map map, const char *arg)
{
    rt_sub *s;

    for (s = sh->subs; s; s = s->next)
        if (s->ctl == ctl && s->map == map &&
            (s->arg == arg || (s->arg && arg && strcmp(s->arg, arg) == 0)))
            return s;
    return NULL;
}


/* Adds (or counts once more) ctl's subscription to sh. */
static int
subscribe(rt_shared *sh, rt_controller *ctl, rt_map map, const char *arg)
{
    rt_sub *s = sub_find(sh, ctl, map, arg);

    if (s) {
        s->refs++;
        return CORE_OK;
    }
    if (!(s = calloc(1, sizeof *s)) || (arg && !(s->arg = strdup(arg)))) {
        free(s);
        return CORE_ENOMEM;
    }
    s->ctl = ctl;
    s->map = map;
    s->refs = 1;
    s->next = sh->subs;
    sh->subs = s;
    /* Subscribed after the cache listed: catch up now, as on_synced would have. */
    if (informer_synced(sh->inf) && sh->r->informers_started) {
        if (!ctl->synced)
            check_synced(ctl);
        else if (map == RT_MAP_KEY)
            wq_add(ctl->queue, arg);
        else if (map == RT_MAP_OWN)
            enqueue_primaries(ctl);
    }
    return CORE_OK;
}


static int
watch_pinned(rt_controller *ctl, const informer_opts *opts, rt_map map, const char *arg,
             informer **out)
{
    rt_shared *sh;
    int        rc;

    if (out)
        *out = NULL;
    if ((rc = shared_get(ctl->r, opts, &sh)))
        return rc;
    sh->pinned = 1;
    if ((rc = subscribe(sh, ctl, map, arg)))
        return rc;
    if (out)
        *out = sh->inf;
    return CORE_OK;
}


int
rt_controller_watch(rt_controller *ctl, const informer_opts *opts, const char *owner_kind,
                    informer **out)
{
    return watch_pinned(ctl, opts, owner_kind ? RT_MAP_OWNER : RT_MAP_OWN, owner_kind, out);
}


int
rt_controller_watch_by_label(rt_controller *ctl, const informer_opts *opts, const char *label,
                             informer **out)
{
    if (out)
        *out = NULL;
    return label ? watch_pinned(ctl, opts, RT_MAP_LABEL, label, out) : CORE_EINVAL;
}


int
rt_controller_watch_about(rt_controller *ctl, const informer_opts *opts, informer **out)
{
    return watch_pinned(ctl, opts, RT_MAP_ABOUT, NULL, out);
}


/* The options of a named watch; field is the caller's buffer for the selector. */
static int
named_opts(const kres *res, const char *ns, const char *name, char *field, size_t len,
           informer_opts *o)
{
    int n;

    if (!res || !name || !*name || (res->namespaced && (!ns || !*ns)))
        return CORE_EINVAL;
    n = snprintf(field, len, "metadata.name=%s", name);
    if (n < 0 || (size_t)n >= len)
        return CORE_ETOOBIG;
    memset(o, 0, sizeof *o);
    o->res = res;
    o->namespace = res->namespaced ? ns : NULL;
    o->field_selector = field;
    return CORE_OK;
}


int
rt_controller_watch_named(rt_controller *ctl, const kres *res, const char *ns, const char *name,
                          const char *for_key)
{
    informer_opts o;
    rt_shared    *sh;
    char          field[320];
    int           rc;

    if (!for_key || !*for_key)
        return CORE_EINVAL;
    if ((rc = named_opts(res, ns, name, field, sizeof field, &o)) ||
        (rc = shared_get(ctl->r, &o, &sh)))
        return rc;
    rc = subscribe(sh, ctl, RT_MAP_KEY, for_key);
    if (rc && !sh->subs && !sh->pinned)
        shared_stop(sh);
    return rc;
}


int
rt_controller_unwatch_named(rt_controller *ctl, const kres *res, const char *ns, const char *name,
                            const char *for_key)
{
    informer_opts o;
    rt_shared    *sh;
    rt_sub       *s, **pp;
    char          field[320];
    int           rc;

    if ((rc = named_opts(res, ns, name, field, sizeof field, &o)))
        return rc;
    if (!(sh = shared_find(ctl->r, &o)) || !(s = sub_find(sh, ctl, RT_MAP_KEY, for_key)))
        return CORE_ENOENT;
    if (--s->refs > 0)
        return CORE_OK;
    for (pp = &sh->subs; *pp != s; pp = &(*pp)->next)
        ;
    *pp = s->next;
    free(s->arg);
    free(s);
    if (!sh->subs && !sh->pinned)
        shared_stop(sh);
    return CORE_OK;
}


informer *
rt_named_informer(rt *r, const kres *res, const char *ns, const char *name)
{
    informer_opts o;
    rt_shared    *sh;
    char          field[320];

    if (named_opts(res, ns, name, field, sizeof field, &o) || !(sh = shared_find(r, &o)))
        return NULL;
    return sh->inf;
}


int
rt_controller_enqueue(rt_controller *ctl, const char *key)
{
    return wq_add(ctl->queue, key);
}


int
rt_controller_enqueue_after(rt_controller *ctl, const char *key, uint64_t ms)
{
    return wq_add_after(ctl->queue, key, ms);
}


void
rt_controller_done(rt_controller *ctl, const char *key, wq_result result, uint64_t requeue_after_ms)
{
    static const char *const names[] = {"success", "error", "requeue"};
    void                    *t0 = NULL;
    double                   secs = 0;

    if (hmap_del(ctl->started, key, &t0) == CORE_OK) {
        secs = (double)(uv_hrtime() - *(uint64_t *)t0) / 1e9;
        free(t0);
    }
    metrics_std_reconcile(&ctl->r->std, ctl->name, names[result], secs);
    if (log_enabled(LOG_DEBUG)) {
        char took[32];

        snprintf(took, sizeof took, "%.6f", secs);
        log_obj(LOG_DEBUG, ctl->name, key, "reconciled", "result", names[result], "seconds", took,
                NULL);
    }
    wq_done(ctl->queue, key, result, requeue_after_ms);
    ctl->reconciles++;
    check_first_idle(ctl);
    memtrim_poke(ctl->r->trim);
}


const char *
rt_controller_name(const rt_controller *ctl)
{
    return ctl->name;
}


rt *
rt_controller_runtime(rt_controller *ctl)
{
    return ctl->r;
}


metrics_registry *
rt_metrics(rt *r)
{
    return r->metrics;
}


kube_client *
rt_client(rt *r)
{
    return r->client;
}


events_recorder *
rt_events(rt *r)
{
    return r->events;
}


int
rt_on_cleanup(rt *r, void (*fn)(void *data), void *data)
{
    rt_cleanup *c = calloc(1, sizeof *c);

    if (!c)
        return CORE_ENOMEM;
    c->fn = fn;
    c->data = data;
    c->next = r->cleanups;
    r->cleanups = c;
    return CORE_OK;
}


/* Runs the cleanups, newest first, and forgets them. */
static void
run_cleanups(rt *r)
{
    rt_cleanup *c;

    while ((c = r->cleanups)) {
        r->cleanups = c->next;
        c->fn(c->data);
        free(c);
    }
}


uv_loop_t *
rt_loop(rt *r)
{
    return r->loop;
}


static void
start_informers(rt *r)
{
    rt_shared *sh;

    if (r->informers_started || r->shutting_down)
        return;
    r->informers_started = 1;
    for (sh = r->shared; sh; sh = sh->next)
        informer_start(sh->inf);
}


/* --- metrics and health ------------------------------------------------------------ */

/* The API server answers again: the informers waiting out a failure's backoff try now. */
static void
on_server_back(void *data)
{
    rt        *r = data;
    rt_shared *sh;

    for (sh = r->shared; sh; sh = sh->next)
        informer_retry_soon(sh->inf);
}


static void
on_api_request(const char *method, const char *path, long status, void *data)
{
    rt *r = data;

    metrics_std_api_request(&r->std, method, status);
    /* Paths name objects, never carry their contents: no secret reaches the log. */
    if (log_enabled(LOG_DEBUG)) {
        char code[24];

        snprintf(code, sizeof code, "%ld", status);
        log_kv(LOG_DEBUG, "api request", "verb", method, "path", path, "code", code, NULL);
    }
}


/* Adds to a resource's counter what the informer counted since the last time. */
static void
catch_up(metrics_counter_vec *vec, const char *const *labels, uint64_t now, uint64_t *seen)
{
    metrics_counter *c = NULL;

    if (now > *seen && metrics_counter_with(vec, labels, &c) == CORE_OK) {
        metrics_counter_add(c, now - *seen);
        *seen = now;
    }
}


static void
sync_metrics_of(rt *r, rt_shared *sh)
{
    const informer_stats *st = informer_get_stats(sh->inf);
    const char           *res[] = {sh->resource};
    const char           *list[] = {sh->resource, "list"}, *watch[] = {sh->resource, "watch"};

    if (!r->metrics)
        return;
    catch_up(r->std.watch_restarts, res, st->watches > 0 ? st->watches - 1 : 0, &sh->seen_restarts);
    catch_up(r->std.watch_relists, res, st->relists, &sh->seen_relists);
    catch_up(r->std.informer_errors, list, st->list_errors, &sh->seen_list_errors);
    catch_up(r->std.informer_errors, watch, st->watch_errors, &sh->seen_watch_errors);
}


/* Informers count for themselves; metrics catch up with them when scraped. */
static void
sync_watch_metrics(rt *r)
{
    rt_shared     *sh;
    metrics_gauge *g;

    for (sh = r->shared; sh; sh = sh->next)
        sync_metrics_of(r, sh);
    if (!r->metrics)
        return;
    /* Cache sizes and informers per resource: zero every resource seen, then add each
     * informer's. */
    for (sh = r->shared; sh; sh = sh->next) {
        const char *res[] = {sh->resource};

        if (metrics_gauge_with(r->std.informer_objects, res, &g) == CORE_OK)
            metrics_gauge_set(g, 0);
        if (metrics_gauge_with(r->std.informers, res, &g) == CORE_OK)
            metrics_gauge_set(g, 0);
    }
    for (sh = r->shared; sh; sh = sh->next) {
        const char *res[] = {sh->resource};

        if (metrics_gauge_with(r->std.informer_objects, res, &g) == CORE_OK)
            metrics_gauge_add(g, (double)store_len(informer_store(sh->inf)));
        if (metrics_gauge_with(r->std.informers, res, &g) == CORE_OK)
            metrics_gauge_add(g, 1);
    }
}


static int
serve_metrics(void *data, core_buf *body, const char **content_type)
{
    rt *r = data;
    int i;

    (void)content_type;
    sync_watch_metrics(r);
    for (i = 0; i < r->ncontrollers; i++) {
        const char    *labels[] = {r->controllers[i]->name};
        metrics_gauge *depth = NULL;

        if (metrics_gauge_with(r->std.queue_depth, labels, &depth) == CORE_OK)
            metrics_gauge_set(depth, (double)wq_len(r->controllers[i]->queue));
    }
    return metrics_render(r->metrics, body);
}


/* Named watches come and go with the objects that name them: they do not gate /readyz.
 * A resource not served counts as synced. */
static int
ready(void *data, char *reason, size_t len)
{
    rt        *r = data;
    rt_shared *sh;

    if (r->shutting_down) {
        snprintf(reason, len, "shutting down");
        return 0;
    }
    if (!r->connected) {
        snprintf(reason, len, "the API server has not answered yet");
        return 0;
    }
    if (r->lead && !leader_is_leader(r->lead)) {
        snprintf(reason, len, "not the leader");
        return 0;
    }
    for (sh = r->shared; sh; sh = sh->next)
        if (sh->pinned && !informer_synced(sh->inf)) {
            snprintf(reason, len, "the %s cache has not synced", sh->resource);
            return 0;
        }
    return 1;
}


/* --- start-up ------------------------------------------------------------------------ */

static void
on_started_leading(leader *l, void *data)
{
    rt *r = data;

    (void)l;
    log_info("became the leader", "lease", r->cfg.lease_name, "identity", r->identity);
    start_informers(r);
}


static void
on_lost_lease(leader *l, void *data)
{
    rt *r = data;

    (void)l;
    log_error("lost the leader lease; stopping all work", "lease", r->cfg.lease_name);
    shutdown_begin(r, 1, "lost the lease");
}


static void connect_check(rt *r);


static void
on_retry_timer(uv_timer_t *t)
{
    connect_check(t->data);
}


static void
start_election(rt *r)
{
    leader_opts lo;

    memset(&lo, 0, sizeof lo);
    lo.namespace = r->cfg.lease_namespace;
    lo.name = r->cfg.lease_name;
    lo.identity = r->identity;
    lo.lease_ms = r->cfg.lease_ms;
    lo.renew_ms = r->cfg.renew_ms;
    lo.retry_ms = r->cfg.retry_ms;
    lo.on_started = on_started_leading;
    lo.on_lost = on_lost_lease;
    lo.data = r;
    if (leader_new(r->loop, r->client, &lo, &r->lead) || leader_start(r->lead)) {
        log_error("could not start leader election", NULL);
        shutdown_begin(r, 1, "leader election failed");
    }
}


static void
on_version(const kube_response *res, void *data)
{
    rt         *r = data;
    cJSON      *v = NULL;
    const char *git;
    char        delay[32], status[16];
    uint64_t    ms;

    if (res->err == CORE_ECANCELED || r->shutting_down)
        return;
    if (res->err || res->status != 200) {
        ms = informer_backoff_ms(++r->attempts, 1.0);
        snprintf(delay, sizeof delay, "%llu", (unsigned long long)ms);
        snprintf(status, sizeof status, "%ld", res->status);
        log_warn("the API server did not answer; retrying", "error",
                 res->err ? res->message : "unexpected status", "status", status, "retry_ms", delay);
        uv_timer_start(&r->timer, on_retry_timer, ms, 0);
        return;
    }
    v = cJSON_ParseWithLength(res->body, res->body_len);
    git = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "gitVersion"));
    log_info("connected to the API server", "server", kube_client_server(r->client), "version",
             git ? git : "unknown", "http", res->http_version == 2 ? "2" : "1.1");
    cJSON_Delete(v);
    r->connected = 1;
    if (r->cfg.leader_elect)
        start_election(r);
    else
        start_informers(r);
}


static void
connect_check(rt *r)
{
    kube_req req = {.path = "/version"};

    if (kube_request(r->client, &req, on_version, r, NULL) != CORE_OK)
        uv_timer_start(&r->timer, on_retry_timer, 1000, 0);
}


/* --- shutdown ------------------------------------------------------------------------ */

/*
 * Closing the client first finishes every request still open with CORE_ECANCELED, so a
 * reconcile that outlived the grace period ends (its controller calls rt_controller_done)
 * before its queue is freed.
 */
static void
close_controllers(rt *r)
{
    rt_shared *sh;
    int        i;

    while ((sh = r->shared)) {
        r->shared = sh->next;
        informer_stop(sh->inf, NULL, NULL);
        shared_free(sh);
    }
    for (i = 0; i < r->ncontrollers; i++) {
        rt_controller *ctl = r->controllers[i];

        wq_free(ctl->queue);
        hmap_free(ctl->started, free);
        free(ctl->name);
        free(ctl);
    }
    r->ncontrollers = 0;
}


static void
close_rest(rt *r)
{
    /* First: the client's close ends reconciles in flight, and the controllers' close frees
     * the queues controllers_busy reads. */
    memtrim_close(r->trim);
    r->trim = NULL;
    kube_client_close(r->client);
    r->client = NULL;
    close_controllers(r);
    if (r->http) {
        httpd_close(r->http, NULL, NULL);
        r->http = NULL;
    }
    events_free(r->events);
    r->events = NULL;
    uv_timer_stop(&r->timer);
    uv_close((uv_handle_t *)&r->timer, NULL);
    /* Signals are still taken until the loop ends (close_signals): a second SIGTERM
     * (timeout(1) sends one to the process and one to its group) must not end a clean
     * shutdown. */
    uv_unref((uv_handle_t *)&r->sig_async);
}


/*
 * Stops the signal thread and leaves SIGINT and SIGTERM ignored: the process is exiting.
 * Until SIG_IGN is set the signals stay blocked in every thread (the loop's and libuv's or
 * libcurl's, which inherited the mask), so none can take the default action and end a clean
 * shutdown by death (exit 143); a signal pending meanwhile is discarded by SIG_IGN (POSIX,
 * sigaction: "setting a signal action to SIG_IGN for a signal that is pending shall cause
 * the pending signal to be discarded").
 */
static void
close_signals(rt *r)
{
    struct sigaction ign;

    pthread_mutex_lock(&r->sig_lock);
    r->sig_closed = 1;
    pthread_mutex_unlock(&r->sig_lock);
    /* Wakes the thread's sigwait; it sees sig_closed and returns. */
    pthread_kill(r->sig_thread, SIGTERM);
    pthread_join(r->sig_thread, NULL);
    uv_close((uv_handle_t *)&r->sig_async, NULL);
    uv_run(r->loop, UV_RUN_DEFAULT);
    pthread_mutex_destroy(&r->sig_lock);
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGINT, &ign, NULL);
    sigaction(SIGTERM, &ign, NULL);
    pthread_sigmask(SIG_SETMASK, &r->sig_old, NULL);
}


static void
on_released(void *data)
{
    rt *r = data;

    r->lead = NULL;
    log_info("released the leader lease", NULL);
    close_rest(r);
}


static void
after_drain(rt *r)
{
    if (r->after_drain_done)
        return;
    r->after_drain_done = 1;
    uv_timer_stop(&r->timer);
    if (r->lead && r->exit_code == 0) {
        leader_release(r->lead, on_released, r);
        return;
    }
    if (r->lead) {
        /* Lost: no more writes, not even a release (it is not ours any more). */
        leader_release(r->lead, NULL, NULL);
        r->lead = NULL;
    }
    close_rest(r);
}


static void
on_drained(wq *q, void *data)
{
    rt_controller *ctl = data;
    rt            *r = ctl->r;
    int            i;

    (void)q;
    ctl->drained = 1;
    for (i = 0; i < r->ncontrollers; i++)
        if (!r->controllers[i]->drained)
            return;
    after_drain(r);
}


static void
on_grace_over(uv_timer_t *t)
{
    rt *r = t->data;

    if (r->exit_code == 0)
        log_warn("reconciles still running at the end of the grace period; stopping anyway", NULL);
    after_drain(r);
}


static void
shutdown_begin(rt *r, int exit_code, const char *why)
{
    int i;

    if (r->shutting_down)
        return;
    r->shutting_down = 1;
    r->exit_code = exit_code;
    log_info("shutting down", "reason", why);
    uv_timer_stop(&r->timer);
    /* A lost lease allows no more work at all: skip the drain. */
    uv_timer_start(&r->timer, on_grace_over,
                   exit_code                  ? 0
                   : r->cfg.shutdown_grace_ms ? r->cfg.shutdown_grace_ms
                                              : RT_GRACE_MS,
                   0);
    if (r->ncontrollers == 0) {
        after_drain(r);
        return;
    }
    for (i = 0; i < r->ncontrollers; i++)
        wq_shutdown(r->controllers[i]->queue, on_drained, r->controllers[i]);
}


/* The loop's side of a signal: shutdown_begin is idempotent, so a second one is a no-op. */
static void
on_signal(uv_async_t *a)
{
    rt *r = a->data;
    int signum;

    pthread_mutex_lock(&r->sig_lock);
    signum = r->sig_last;
    pthread_mutex_unlock(&r->sig_lock);
    shutdown_begin(r, 0, signum == SIGINT ? "SIGINT" : "SIGTERM");
}


/* The signal thread: takes SIGINT and SIGTERM (blocked everywhere) with sigwait(3) and
 * hands each to the loop, until close_signals sets sig_closed. */
static void *
sig_main(void *data)
{
    rt      *r = data;
    sigset_t set;
    int      signum, closed;

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    for (;;) {
        if (sigwait(&set, &signum) != 0)
            continue;
        pthread_mutex_lock(&r->sig_lock);
        closed = r->sig_closed;
        if (!closed) {
            r->sig_last = signum;
            uv_async_send(&r->sig_async); /* thread-safe; coalesces */
        }
        pthread_mutex_unlock(&r->sig_lock);
        if (closed)
            return NULL;
    }
}


/* Blocks SIGINT and SIGTERM in this thread (so in every thread made after) and starts the
 * signal thread. 0, or -1 when the thread cannot be made (the signals are then unblocked
 * again and the default action stays). */
static int
open_signals(rt *r)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, &r->sig_old);
    pthread_mutex_init(&r->sig_lock, NULL);
    uv_async_init(r->loop, &r->sig_async, on_signal);
    r->sig_async.data = r;
    if (pthread_create(&r->sig_thread, NULL, sig_main, r) != 0) {
        uv_close((uv_handle_t *)&r->sig_async, NULL);
        uv_run(r->loop, UV_RUN_DEFAULT);
        pthread_mutex_destroy(&r->sig_lock);
        pthread_sigmask(SIG_SETMASK, &r->sig_old, NULL);
        return -1;
    }
    return 0;
}


static int
load_config(rt *r, char *err, size_t errlen)
{
    const char *path = r->cfg.kubeconfig, *env = getenv("KUBECONFIG"), *home = getenv("HOME");
    char        buf[4096];

    if (!path && env && *env) {
        /* Several files joined by ':' are not merged: the first is used. */
        snprintf(buf, sizeof buf, "%.*s", (int)strcspn(env, ":"), env);
        path = buf;
    }
    if (!path && home) {
        snprintf(buf, sizeof buf, "%s/.kube/config", home);
        if (access(buf, R_OK) == 0)
            path = buf;
    }
    if (path)
        return kcfg_load(path, r->cfg.context, &r->kc, err, errlen);
    return kcfg_in_cluster(&r->kc, err, errlen);
}


static int
start_http(rt *r, char *err, size_t errlen)
{
    httpd_config hc;
    char         host[256];
    int          port = 0;

    if (!r->cfg.metrics_addr || !*r->cfg.metrics_addr)
        return CORE_OK;
    if (httpd_split_addr(r->cfg.metrics_addr, host, sizeof host, &port)) {
        snprintf(err, errlen, "metrics address %s: expected host:port", r->cfg.metrics_addr);
        return CORE_EINVAL;
    }
    memset(&hc, 0, sizeof hc);
    hc.host = host[0] ? host : NULL;
    hc.port = port;
    hc.metrics = serve_metrics;
    hc.metrics_data = r;
    hc.ready = ready;
    hc.ready_data = r;
    return httpd_start(r->loop, &hc, &r->http, err, errlen);
}


/*
 * DBAAS_FAILPOINT (test only, see kube_failpoint in kube.h): arms a crash at one API write.
 * A malformed value stops the start-up rather than running without the crash a test wants.
 */
static int
arm_failpoint(rt *r, char *err, size_t errlen)
{
    const char    *spec = getenv("DBAAS_FAILPOINT");
    kube_failpoint fp;
    int            rc;

    if (!spec || !*spec)
        return CORE_OK;
    if ((rc = kube_failpoint_parse(spec, &fp, err, errlen)))
        return rc;
    kube_client_set_failpoint(r->client, &fp);
    log_warn("failpoint armed: the process exits 137 at this API write", "failpoint", spec);
    return CORE_OK;
}


static void
set_identity(rt *r)
{
    char host[200] = "unknown";

    if (r->cfg.identity) {
        snprintf(r->identity, sizeof r->identity, "%s", r->cfg.identity);
        return;
    }
    gethostname(host, sizeof host - 1);
    snprintf(r->identity, sizeof r->identity, "%s_%ld", host, (long)getpid());
}


static int
start(rt *r, rt_setup_fn setup, void *data, char *err, size_t errlen)
{
    int rc;

    if ((rc = load_config(r, err, errlen)))
        return rc;
    if (!r->cfg.lease_namespace)
        r->cfg.lease_namespace = r->kc.namespace;
    if (!r->cfg.lease_name)
        r->cfg.lease_name = "dbaas-operator";
    set_identity(r);
    if (r->cfg.leader_elect) {
        leader_opts lo = {.namespace = r->cfg.lease_namespace,
                          .name = r->cfg.lease_name,
                          .identity = r->identity,
                          .lease_ms = r->cfg.lease_ms,
                          .renew_ms = r->cfg.renew_ms,
                          .retry_ms = r->cfg.retry_ms};

        if ((rc = leader_validate(&lo, err, errlen)))
            return rc;
    }
    if ((rc = kube_client_new(r->loop, &r->kc, &r->client, err, errlen)))
        return rc;
    if ((rc = events_new(r->client, "dbaas-operator", r->identity, &r->events)) ||
        (rc = metrics_registry_new(&r->metrics)) || (rc = metrics_std_register(r->metrics, &r->std)) ||
        (rc = metrics_process_register(r->metrics)) ||
        (rc = memtrim_new(r->loop, NULL, controllers_busy, r, &r->trim))) {
        snprintf(err, errlen, "start-up: %s", core_strerror(rc));
        return rc;
    }
    kube_client_set_pool(r->client, loop_pool(r));
    kube_client_set_observer(r->client, on_api_request, r);
    kube_client_set_on_back(r->client, on_server_back, r);
    if ((rc = arm_failpoint(r, err, errlen)))
        return rc;
    if ((rc = start_http(r, err, errlen)))
        return rc;
    if (setup && (rc = setup(r, data))) {
        snprintf(err, errlen, "setting up the controllers: %s", core_strerror(rc));
        return rc;
    }
    log_info("dbaas-operator starting", "server", r->kc.server, "context", r->kc.context,
             "identity", r->identity, "leader_elect", r->cfg.leader_elect ? "true" : "false",
             "metrics", r->http ? r->cfg.metrics_addr : "off");
    connect_check(r);
    return CORE_OK;
}


int
rt_run(const rt_config *cfg, rt_setup_fn setup, void *data, char *err, size_t errlen)
{
    rt  r;
    int code;

    memset(&r, 0, sizeof r);
    r.cfg = *cfg;
    r.loop = uv_default_loop();
    r.t_start = uv_hrtime();
    uv_timer_init(r.loop, &r.timer);
    r.timer.data = &r;
    if (open_signals(&r) != 0) {
        snprintf(err, errlen, "cannot start the signal thread");
        uv_close((uv_handle_t *)&r.timer, NULL);
        uv_run(r.loop, UV_RUN_DEFAULT);
        uv_loop_close(r.loop);
        return 1;
    }
    if (start(&r, setup, data, err, errlen)) {
        r.exit_code = 1;
        close_rest(&r);
    }
    uv_run(r.loop, UV_RUN_DEFAULT);
    close_signals(&r);
    code = r.exit_code;
    run_cleanups(&r);
    kjson_pool_free(r.pool);
    metrics_registry_free(r.metrics);
    kcfg_free(&r.kc);
    if (uv_loop_close(r.loop) != 0 && code == 0)
        code = 1;
    return code;
}


/* --- the seam for unit tests (runtime-int.h) ----------------------------------------- */

int
rt__new(uv_loop_t *loop, kube_client *client, const rt_config *cfg, rt **out)
{
    rt *r = calloc(1, sizeof *r);

    *out = NULL;
    if (!r)
        return CORE_ENOMEM;
    if (cfg)
        r->cfg = *cfg;
    r->loop = loop;
    r->client = client;
    r->connected = 1;
    r->t_start = uv_hrtime();
    if (metrics_registry_new(&r->metrics) || metrics_std_register(r->metrics, &r->std)) {
        metrics_registry_free(r->metrics);
        free(r);
        return CORE_ENOMEM;
    }
    *out = r;
    return CORE_OK;
}


void
rt__set_transport(rt *r, informer__request_fn request, void (*cancel)(kube_call *call))
{
    r->request = request;
    r->cancel = cancel;
}


void
rt__start_informers(rt *r)
{
    start_informers(r);
}


int
rt__set_trim(rt *r, const memtrim_opts *opts)
{
    memtrim_close(r->trim);
    r->trim = NULL;
    return memtrim_new(r->loop, opts, controllers_busy, r, &r->trim);
}


uint64_t
rt__trims(const rt *r)
{
    return memtrim_count(r->trim);
}


void
rt__free(rt *r)
{
    memtrim_close(r->trim);
    r->trim = NULL;
    close_controllers(r);
    run_cleanups(r);
    kjson_pool_free(r->pool);
    metrics_registry_free(r->metrics);
    free(r);
}


size_t
rt__informer_count(const rt *r)
{
    const rt_shared *sh;
    size_t           n = 0;

    for (sh = r->shared; sh; sh = sh->next)
        n++;
    return n;
}


size_t
rt__subscription_count(const rt *r, const informer *inf)
{
    const rt_shared *sh;
    const rt_sub    *s;
    size_t           n = 0;

    for (sh = r->shared; sh; sh = sh->next)
        if (sh->inf == inf)
            for (s = sh->subs; s; s = s->next)
                n++;
    return n;
}


int
rt__controller_synced(const rt_controller *ctl)
{
    return ctl->synced;
}


int
rt__ready(rt *r, char *reason, size_t len)
{
    return ready(r, reason, len);
}


int
rt__render_metrics(rt *r, core_buf *out)
{
    sync_watch_metrics(r);
    return metrics_render(r->metrics, out);
}
