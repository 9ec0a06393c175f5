/*
 * ctrl: one reconcile of one object, in steps that each may wait for the API server.
 * See ctrl.h for the contract; ctrl_status.c and ctrl_build.c hold the pure parts.
 */
#include "ctrl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"
#include "ctrl/ctrl_build.h"
#include "ctrl/ctrl_metrics.h"
#include "ctrl/ctrl_status.h"
#include "events/events.h"
#include "hmap/hmap.h"
#include "kjson/kjson.h"
#include "kops/kops.h"
#include "log/log.h"

#define CTRL_KEY_MAX        512
#define CTRL_CONFLICT_MS    500  /* a requeue without a delay of its own */
#define CTRL_STALE_RETRY_MS 1000 /* the cache has not seen our status write yet */

/* The named objects one primary object depends on. */
typedef struct {
    int         n;
    const kres *res[CTRL_MAX_DEPS];
    char       *name[CTRL_MAX_DEPS];
} ctrl_deps;

struct ctrl {
    rt              *r;
    hmap            *deps;           /* key -> ctrl_deps, as the last status-writing run said */
    hmap            *written;        /* key -> resourceVersion its status was last written from */
    hmap            *ahead;          /* child -> ctrl_ahead: our write the cache has not seen yet */
    hmap            *gone;           /* namespace -> ctrl_gone: seen being deleted */
    uint64_t         ahead_swept_ms; /* when ahead was last swept of entries past their time */
    const ctrl_kind *kind;
    rt_controller   *ctl;
    informer        *primary;
    char *namespace;
    char         api_version[128];
    void        *data;
    ctrl_metrics metrics; /* per-object gauges; all NULL when the registry refused them */
    /* Per child resource, the metadata of its objects without our labels (ctrl_watch_others). */
    struct {
        const kres *res;
        informer   *inf;
    } others[CTRL_OTHERS_MAX];
    int nothers;
};

#define CTRL_ABSENT_MAX 8

/* A namespace a create was refused in because it is being deleted (kops_ns_terminating). */
typedef struct {
    int64_t  created_s; /* the newest creationTimestamp of a primary seen refused there */
    uint64_t until_ms;  /* loop time after which a run there writes again, and learns anew */
} ctrl_gone;

/* Kept 10 minutes (a namespace of 5000 instances went in some 15), at most 256 namespaces:
 * a mistaken entry costs a missed run for that long, a dropped one a refused write. */
#define CTRL_GONE_MS  (10u * 60 * 1000)
#define CTRL_GONE_MAX 256

struct ctrl_run {
    ctrl        *c;
    char         key[CTRL_KEY_MAX];
    const cJSON *obj;     /* the primary object: in pool as cached, or own_obj */
    cJSON       *own_obj; /* the primary as a GET found it (let_go), freed with the run */
    const char  *ns, *name, *uid;
    int64_t      generation;
    void        *state;
    int          pending;        /* writes in flight */
    int          conflict;       /* a write answered 409 */
    int          failed;         /* a write failed in transport or with 5xx */
    int          ns_terminating; /* the namespace is being deleted (note_ns_terminating) */
    int          stale;          /* a cache lacks a child this controller just made */
    int          child_conflict; /* how many children this run found foreign */
    /* Their "Kind name"s, sorted, so that the refusal names them in one order whichever
     * write found one first (else the status changed, and was written, on every retry). */
    char         conflict_keys[CTRL_CONFLICTS_NAMED][CTRL_KEY_MAX];
    char         conflict_first[CTRL_MSG_MAX]; /* the full message of conflict_keys[0] */
    uint64_t     requeue_ms;
    void (*next)(ctrl_run *run);
    ctrl_conds conds;
    ctrl_deps  deps; /* declared by this run */
    struct {
        const char *type;
        char        reason[128];
        char        message[CTRL_MSG_MAX];
    } ev[CTRL_STATUS_EVENTS]; /* Events told once the status that shows them is written */
    int nev;
    /* Children ctrl_check found absent in this run (resource, name): ctrl_apply creates
     * them without another GET (create without force still refuses one made meanwhile). */
    struct {
        const kres *res;
        char        name[256];
        int         assumed; /* by ctrl_check_to_create, not read: read if a child conflicts */
    } absent[CTRL_ABSENT_MAX];
    int               nabsent;
    struct ctrl_view *views; /* cached objects parsed in this run (ctrl_view), newest first */
    kjson_pool       *pool;  /* their trees, freed together when the run ends */
};

/* A cached object as ctrl_view parsed it: kept until the run ends. */
struct ctrl_view {
    struct ctrl_view *next;
    const informer   *cache;
    char             *name, *rv;
    const cJSON      *obj; /* in the run's pool */
};

/* One write of the children step. */ typedef struct {
    ctrl_run      *run;
    const kres    *res;
    cJSON         *desired; /* apply: what to write once the live object is known */
    ctrl_answer_fn on_answer;
    int            existed; /* the live object existed when the write was sent */
    informer      *cache;   /* live came from it (ctrl_view), or NULL: see note_held */
    char           name[256];
} ctrl_write;

/*
 * A child this controller wrote, the desired object whose applied-checksum is sum, at loop
 * time at_ms. Until the cache shows a copy with that checksum, the cached copy is
 * older than our write (every later version carries it), and writing the same again would
 * only repeat it: after a watch outage the caches lag and replay older versions, and every
 * reconcile would rewrite every child once a second. The memory lasts CTRL_AHEAD_MS at most,
 * so that a copy whose checksum someone else changed is written again after that.
 * created: the write made the child; a cache that lacks it has not heard of it yet (for
 * CTRL_BORN_MS), and the run waits for its watch event rather than read it or make it again.
 * exists: a create of it was refused with 409 (sum ""), and no cache of ours shows it; for
 * CTRL_AHEAD_MS ctrl_check_to_create and ctrl_apply read it with a GET before they write.
 */
typedef struct {
    char     sum[24]; /* ctrl_checksum's 16 hex digits; a longer one is not remembered */
    uint64_t at_ms;
    int      created, exists;
} ctrl_ahead;

#define CTRL_AHEAD_MS  60000
#define CTRL_BORN_MS   10000
/* Past this many remembered children the memory is dropped (children of deleted objects are
 * never seen again); the cost is at most one repeated write or create each. Room for the
 * six children each of 5000 DBInstances created at once (issue 18's N=5000): about 100
 * bytes an entry while its cache catches up, 6 MiB at most. */
#define CTRL_AHEAD_MAX 65536


static void batch_answered(ctrl_run *run);


/* --- the controller -------------------------------------------------------------------- */

static void
deps_clear(ctrl_deps *d)
{
    while (d->n > 0) {
        d->n--;
        free(d->name[d->n]);
    }
}


static void
deps_free(void *p)
{
    deps_clear(p);
    free(p);
}


static int
deps_has(const ctrl_deps *d, const kres *res, const char *name)
{
    int i;

    for (i = 0; i < d->n; i++)
        if (d->res[i] == res && strcmp(d->name[i], name) == 0)
            return 1;
    return 0;
}


/* Makes the watches of key what want says (NULL: none), and remembers that. */
static void
deps_sync(ctrl *c, const char *key, ctrl_deps *want)
{
    ctrl_deps  *have = NULL;
    const char *slash = strchr(key, '/');
    char        ns[CTRL_KEY_MAX];
    int         i;

    snprintf(ns, sizeof ns, "%.*s", slash ? (int)(slash - key) : 0, key);
    hmap_find(c->deps, key, (void **)&have);
    for (i = 0; have && i < have->n; i++)
        if (!want || !deps_has(want, have->res[i], have->name[i]))
            rt_controller_unwatch_named(c->ctl, have->res[i], ns, have->name[i], key);
    for (i = 0; want && i < want->n; i++)
        if (!have || !deps_has(have, want->res[i], want->name[i]))
            if (rt_controller_watch_named(c->ctl, want->res[i], ns, want->name[i], key))
                log_obj(LOG_WARN, c->kind->name, key, "cannot watch an object the spec names",
                        "name", want->name[i], NULL);
    if (have) {
        hmap_del(c->deps, key, NULL);
        deps_free(have);
    }
    if (want && want->n > 0 && (have = malloc(sizeof *have))) {
        *have = *want;
        want->n = 0; /* the names move */
        if (hmap_put(c->deps, key, have, NULL))
            deps_free(have);
    }
}


/* The run's declared watches become the key's, except where the namespace is being deleted:
 * no watch of a Secret the deletion took, one per object, for nothing. */
static void
sync_run_deps(ctrl_run *run)
{
    deps_sync(run->c, run->key, run->ns_terminating ? NULL : &run->deps);
}


void
ctrl_depend(ctrl_run *run, const kres *res, const char *name)
{
    char *copy;

    if (!name || run->deps.n == CTRL_MAX_DEPS || deps_has(&run->deps, res, name) ||
        !(copy = strdup(name)))
        return;
    run->deps.res[run->deps.n] = res;
    run->deps.name[run->deps.n++] = copy;
}


static void
view_free(struct ctrl_view *v)
{
    if (!v)
        return;
    free(v->name);
    free(v->rv);
    free(v);
}


static void
run_free(ctrl_run *run)
{
    struct ctrl_view *v, *next;

    deps_clear(&run->deps);
    if (run->c->kind->state_free && run->state)
        run->c->kind->state_free(run);
    free(run->state);
    /* After state_free: the kind's state may point into these. */
    for (v = run->views; v; v = next) {
        next = v->next;
        view_free(v);
    }
    kjson_pool_free(run->pool);
    cJSON_Delete(run->own_obj);
    free(run);
}


void
ctrl_end(ctrl_run *run, wq_result result)
{
    uint64_t after = 0;

    if (result == WQ_OK && run->requeue_ms) {
        result = WQ_REQUEUE_AFTER;
        after = run->requeue_ms;
    } else if (result == WQ_REQUEUE_AFTER) {
        after = run->requeue_ms ? run->requeue_ms : CTRL_CONFLICT_MS;
    }
    rt_controller_done(run->c->ctl, run->key, result, after);
    run_free(run);
}


static void
on_finalizer_added(const kops_result *res, void *data)
{
    ctrl_run *run = data;

    /* The update comes back through the informer and runs the rest. */
    ctrl_end(run, res->err == CORE_OK ? WQ_OK : WQ_ERROR);
}


static kops_target
primary_target(ctrl_run *run, const char *sub)
{
    kops_target t = {rt_client(run->c->r), run->c->kind->res, run->ns, run->name, sub, 1, 0};

    return t;
}


static void
finalizer_patch(ctrl_run *run, int add, kops_cb cb)
{
    cJSON      *patch = kops_finalizer_patch(run->obj, run->c->kind->finalizer, add);
    kops_target t = primary_target(run, NULL);

    if (!patch || kops_merge_patch(&t, patch, cb, run))
        ctrl_end(run, WQ_ERROR);
    cJSON_Delete(patch);
}


static void identify(ctrl_run *run);
static void dispatch(ctrl_run *run);
static int  in_gone_namespace(ctrl_run *run);
static void note_ns_terminating(ctrl_run *run);
static void on_finalizer_removed(const kops_result *res, void *data);


/* The status of key was last written from the object at this resourceVersion. */
static void
remember_status(ctrl *c, const char *key, const char *rv)
{
    char *copy = rv ? strdup(rv) : NULL;
    void *old = NULL;

    if (!copy)
        return;
    if (hmap_put(c->written, key, copy, &old))
        free(copy);
    free(old);
}


static void
forget_status(ctrl *c, const char *key)
{
    void *old = NULL;

    if (hmap_del(c->written, key, &old) == CORE_OK)
        free(old);
}


/* The object left the cache: its series go (ctrl_metrics). */
static void
forget_metrics(ctrl *c, const char *key)
{
    const char *slash = strchr(key, '/');
    char        ns[CTRL_KEY_MAX];

    snprintf(ns, sizeof ns, "%.*s", slash ? (int)(slash - key) : 0, key);
    ctrl_metrics_forget(&c->metrics, c->kind->res->kind, ns, slash ? slash + 1 : key);
}


static void
on_let_go(const kops_result *res, void *data)
{
    ctrl_run *run = data;

    if (res->err == CORE_ENOENT) {
        ctrl_end(run, WQ_OK); /* gone indeed */
        return;
    }
    if (res->err || !res->obj) {
        ctrl_end(run, WQ_ERROR);
        return;
    }
    if (!(run->obj = run->own_obj = cJSON_Duplicate(res->obj, 1))) {
        ctrl_end(run, WQ_ERROR);
        return;
    }
    identify(run);
    if (!kops_has_finalizer(run->obj, run->c->kind->finalizer)) {
        ctrl_end(run, WQ_OK);
        return;
    }
    /* No longer selected: this controller lets go of it, finalizer and all. */
    finalizer_patch(run, 0, on_finalizer_removed);
}


/*
 * An object that left the cache of a selected primary may still exist, holding our
 * finalizer: without this, deleting it later would hang for ever. One GET tells.
 */
static void
let_go(ctrl_run *run)
{
    const char *slash = strchr(run->key, '/');
    char        ns[CTRL_KEY_MAX];
    kops_target t = {
        rt_client(run->c->r), run->c->kind->res, ns, slash ? slash + 1 : run->key, NULL, 0, 0};

    snprintf(ns, sizeof ns, "%.*s", slash ? (int)(slash - run->key) : 0, run->key);
    if (kops_get(&t, on_let_go, run))
        ctrl_end(run, WQ_ERROR);
}


/* A cached object parsed into the run's pool (the text, when decompressed, only meanwhile). */
static const cJSON *
pool_parse(kjson_pool *pool, const store_obj *o)
{
    char        *tmp;
    const char  *text = store_text(o, &tmp);
    const cJSON *tree = text ? kjson_pool_parse(pool, text, o->len) : NULL;

    free(tmp);
    return tree;
}


static void
on_reconcile(rt_controller *ctl, const char *key, void *data)
{
    ctrl            *c = data;
    const ctrl_kind *k = c->kind;
    ctrl_run        *run = calloc(1, sizeof *run);
    const store_obj *o;

    if (!run || (k->state_size && !(run->state = calloc(1, k->state_size)))) {
        free(run);
        rt_controller_done(ctl, key, WQ_ERROR, 0);
        return;
    }
    run->c = c;
    snprintf(run->key, sizeof run->key, "%s", key);
    /* Parsed into the run's pool, with the children it views (ctrl_view). */
    o = store_get(informer_store(c->primary), key);
    if (o && kjson_pool_new(&run->pool) == CORE_OK)
        run->obj = pool_parse(run->pool, o);
    if (!run->obj) {
        deps_sync(c, key, NULL);
        forget_status(c, key);
        forget_metrics(c, key);
        if (k->selector && k->finalizer) {
            let_go(run); /* it may only have stopped matching the selector */
            return;
        }
        ctrl_end(run, WQ_OK); /* gone; the garbage collector takes the children */
        return;
    }
    identify(run);
    dispatch(run);
}


/* Whether run's object is being deleted (metadata.deletionTimestamp). */
static int
deleting(const ctrl_run *run)
{
    return kjson_path(run->obj, "metadata", "deletionTimestamp", NULL) != NULL;
}


/* ns, name, uid and generation of run->obj. */
static void
identify(ctrl_run *run)
{
    const cJSON *gen;

    run->ns = kjson_path_str(run->obj, "metadata", "namespace", NULL);
    run->name = kjson_path_str(run->obj, "metadata", "name", NULL);
    run->uid = kjson_path_str(run->obj, "metadata", "uid", NULL);
    gen = kjson_path(run->obj, "metadata", "generation", NULL);
    run->generation = 0;
    (void)kjson_item_int64(gen, &run->generation);
}


/* --- deletion while the kind's CRD is being deleted ------------------------------------ */

static const kres KRES_CRDS = {"apiextensions.k8s.io", "v1", "customresourcedefinitions",
                               "CustomResourceDefinition", 0};


/* The object goes because its CRD goes: keep the data, and let the CRD deletion complete. */
static void
uninstall(ctrl_run *run, const char *crd, const char *why)
{
    const ctrl_kind *k = run->c->kind;
    char             msg[CTRL_MSG_MAX];

    snprintf(msg, sizeof msg,
             "CustomResourceDefinition %s %s: the data is kept whatever spec.deletionPolicy "
             "says, and the finalizer is removed so that the CRD deletion completes",
             crd, why);
    log_obj(LOG_WARN, k->name, run->key,
            "deleted with its CRD: keeping the data whatever the deletion policy", "crd", crd,
            "why", why, NULL);
    ctrl_event(run, "Warning", "Retained", msg);
    if (k->retain)
        k->retain(run);
    else
        ctrl_finalized(run);
}


static void
on_crd(const kops_result *res, void *data)
{
    ctrl_run        *run = data;
    const ctrl_kind *k = run->c->kind;
    char             crd[CTRL_KEY_MAX], why[CTRL_MSG_MAX / 2];

    snprintf(crd, sizeof crd, "%s.%s", k->res->resource, k->res->group);
    if (res->err == CORE_ENOENT ||
        (res->err == CORE_OK && !kjson_path(res->obj, "metadata", "deletionTimestamp", NULL))) {
        k->finalize(run); /* not a CRD (a built-in kind), or one that stays */
        return;
    }
    if (res->err == CORE_OK) {
        uninstall(run, crd, "is being deleted");
        return;
    }
    if (res->err == CORE_EHTTP && ctrl_write_refused(res->status, res->message)) {
        /* Refused (RBAC): whether it is being deleted cannot be told; data is not gambled. */
        snprintf(why, sizeof why, "could not be read (%s)", res->message);
        uninstall(run, crd, why);
        return;
    }
    ctrl_end(run, WQ_ERROR);
}


/* Before a finalize step: is the kind's own CRD being deleted? */
static void
check_crd(ctrl_run *run)
{
    const kres *res = run->c->kind->res;
    char        crd[CTRL_KEY_MAX];
    kops_target t = {rt_client(run->c->r), &KRES_CRDS, NULL, crd, NULL, 0, 0};

    if (!res->group[0]) {
        run->c->kind->finalize(run); /* the core group has no CRDs */
        return;
    }
    snprintf(crd, sizeof crd, "%s.%s", res->resource, res->group);
    if (kops_get(&t, on_crd, run))
        ctrl_end(run, WQ_ERROR);
}


/* The steps of a run whose object exists: deletion, the finalizer, or sync. */
static void
dispatch(ctrl_run *run)
{
    const ctrl_kind *k = run->c->kind;

    if (deleting(run)) {
        if (!k->finalizer || !kops_has_finalizer(run->obj, k->finalizer))
            ctrl_end(run, WQ_OK);
        else if (k->finalize)
            check_crd(run);
        else
            ctrl_finalized(run);
        return;
    }
    if (in_gone_namespace(run))
        note_ns_terminating(run);
    if (k->finalizer && !kops_has_finalizer(run->obj, k->finalizer)) {
        finalizer_patch(run, 1, on_finalizer_added);
        return;
    }
    k->sync(run);
}


static void
ctrl_free_cb(void *data)
{
    ctrl *c = data;

    hmap_free(c->deps, deps_free);
    hmap_free(c->written, free);
    hmap_free(c->ahead, free);
    hmap_free(c->gone, free);
    free(c->namespace);
    free(c);
}


int
ctrl_new(rt *r, const ctrl_kind *kind, const char *namespace, void *data, ctrl **out)
{
    ctrl         *c = calloc(1, sizeof *c);
    informer_opts o;
    int           rc = CORE_ENOMEM;

    *out = NULL;
    if (!c || (namespace && !(c->namespace = strdup(namespace))) || hmap_new(0, &c->deps) ||
        hmap_new(0, &c->written) || hmap_new(0, &c->ahead) || hmap_new(0, &c->gone))
        goto fail;
    c->r = r;
    c->kind = kind;
    c->data = data;
    if (ctrl_metrics_families(rt_metrics(r), &c->metrics))
        log_warn("per-object metrics are off: a family name is taken", "controller", kind->name);
    if ((rc = kres_api_version(kind->res, c->api_version, sizeof c->api_version)))
        goto fail;
    if ((rc = rt_controller_add(r, kind->name, on_reconcile, c, &c->ctl)))
        goto fail;
    memset(&o, 0, sizeof o);
    o.res = kind->res;
    o.namespace = c->namespace;
    o.label_selector = kind->selector;
    if ((rc = rt_controller_watch(c->ctl, &o, NULL, &c->primary)))
        goto fail;
    if ((rc = rt_on_cleanup(r, ctrl_free_cb, c)))
        goto fail;
    *out = c;
    return CORE_OK;
fail:
    if (c) {
        hmap_free(c->deps, deps_free);
        hmap_free(c->written, free);
        hmap_free(c->ahead, free);
        hmap_free(c->gone, free);
        free(c->namespace);
    }
    free(c);
    return rc;
}


int
ctrl_watch_children(ctrl *c, const kres *res, informer **out)
{
    informer_opts o;

    memset(&o, 0, sizeof o);
    o.res = res;
    o.namespace = c->namespace;
    o.label_selector = CTRL_LABEL_MANAGED "=" CTRL_MANAGED_BY;
    return rt_controller_watch(c->ctl, &o, c->kind->res->kind, out);
}


int
ctrl_watch_labelled_kept(ctrl *c, const kres *res, const char *label, informer_transform transform,
                         informer **out)
{
    informer_opts o;

    memset(&o, 0, sizeof o);
    o.res = res;
    o.namespace = c->namespace;
    o.label_selector = CTRL_LABEL_MANAGED "=" CTRL_MANAGED_BY;
    o.index_label = label;
    o.transform = transform;
    return rt_controller_watch_by_label(c->ctl, &o, label, out);
}


int
ctrl_watch_labelled(ctrl *c, const kres *res, const char *label, informer **out)
{
    return ctrl_watch_labelled_kept(c, res, label, NULL, out);
}


informer *
ctrl_primary(ctrl *c)
{
    return c->primary;
}
rt_controller *
ctrl_controller(ctrl *c)
{
    return c->ctl;
}
const char *
ctrl_namespace(const ctrl *c)
{
    return c->namespace;
}
const cJSON *
ctrl_obj(const ctrl_run *run)
{
    return run->obj;
}
const char *
ctrl_key(const ctrl_run *run)
{
    return run->key;
}
const char *
ctrl_ns(const ctrl_run *run)
{
    return run->ns;
}
const char *
ctrl_name(const ctrl_run *run)
{
    return run->name;
}
int64_t
ctrl_generation(const ctrl_run *run)
{
    return run->generation;
}
int
ctrl_is_new(const ctrl_run *run)
{
    return !ctrl_condition_find(cJSON_GetObjectItemCaseSensitive(run->obj, "status"), "Ready");
}
void *
ctrl_state(ctrl_run *run)
{
    return run->state;
}
void *
ctrl_data(ctrl_run *run)
{
    return run->c->data;
}
rt *
ctrl_runtime(ctrl_run *run)
{
    return run->c->r;
}


/* The cached object name in the run's namespace as stored, or NULL. */
static const store_obj *
cached_obj(const ctrl_run *run, informer *cache, const char *name)
{
    char key[CTRL_KEY_MAX];

    if (!cache || !name || snprintf(key, sizeof key, "%s/%s", run->ns, name) >= (int)sizeof key)
        return NULL;
    return store_get(informer_store(cache), key);
}


cJSON *
ctrl_cached(const ctrl_run *run, informer *cache, const char *name)
{
    return store_parse(cached_obj(run, cache, name));
}


const cJSON *
ctrl_view(ctrl_run *run, informer *cache, const char *name)
{
    const store_obj  *o = cached_obj(run, cache, name);
    struct ctrl_view *v;

    if (!o)
        return NULL;
    /* The same resourceVersion of the same object is the same content (an object deleted
     * and made again gets a new one); without one, nothing is shared. */
    for (v = run->views; v && *o->rv; v = v->next)
        if (v->cache == cache && strcmp(v->name, name) == 0 && strcmp(v->rv, o->rv) == 0)
            return v->obj;
    v = NULL;
    if ((!run->pool && kjson_pool_new(&run->pool) != CORE_OK) || !(v = calloc(1, sizeof *v)) ||
        !(v->name = strdup(name)) || !(v->rv = strdup(o->rv)) ||
        !(v->obj = pool_parse(run->pool, o))) {
        view_free(v);
        return NULL;
    }
    v->cache = cache;
    v->next = run->views;
    run->views = v;
    return v->obj;
}


int
ctrl_has_cached(const ctrl_run *run, informer *cache, const char *name)
{
    return cached_obj(run, cache, name) != NULL;
}


/* --- others: the objects without our labels, metadata only ----------------------------- */

/* Keeps of an object what ctrl_may_write and the kinds' checks read: see ctrl_watch_others. */
static int
others_strip(cJSON *obj)
{
    static const char *const keep[] = {
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "labels",
        "annotations",
        "ownerReferences",
        "deletionTimestamp"};
    cJSON *meta = cJSON_DetachItemFromObjectCaseSensitive(obj, "metadata");
    cJSON *it, *next, *ann;

    while (obj->child)
        cJSON_Delete(cJSON_DetachItemViaPointer(obj, obj->child));
    if (!cJSON_IsObject(meta)) {
        cJSON_Delete(meta);
        return 1;
    }
    kjson_keep(meta, keep, sizeof keep / sizeof *keep);
    ann = cJSON_GetObjectItemCaseSensitive(meta, "annotations");
    for (it = cJSON_IsObject(ann) ? ann->child : NULL; it; it = next) {
        next = it->next;
        if (!it->string || strncmp(it->string, "dbaas.dev/", 10) != 0)
            cJSON_Delete(cJSON_DetachItemViaPointer(ann, it));
    }
    if (!cJSON_AddItemToObject(obj, "metadata", meta))
        cJSON_Delete(meta);
    return 1; /* always rebuilt: the text it came as is not kept */
}


int
ctrl_watch_others(ctrl *c, const kres *res)
{
    informer_opts o;
    int           rc;

    if (c->nothers >= CTRL_OTHERS_MAX)
        return CORE_ETOOBIG;
    memset(&o, 0, sizeof o);
    o.res = res;
    o.namespace = c->namespace;
    o.label_selector = CTRL_LABEL_MANAGED "!=" CTRL_MANAGED_BY;
    o.metadata_only = 1;
    o.transform = others_strip;
    if ((rc = rt_controller_watch(c->ctl, &o, c->kind->res->kind, &c->others[c->nothers].inf)))
        return rc;
    c->others[c->nothers++].res = res;
    return CORE_OK;
}


typedef enum {
    OTHERS_UNKNOWN, /* no cache of others for the resource, or it has not listed */
    OTHERS_ABSENT,  /* neither cache holds the name: it is free */
    OTHERS_FOUND    /* someone else's, or ours without our labels */
} others_answer;


/*
 * What the cache of others of res (ctrl_watch_others) says of name, once the run's own
 * cache did not hold it. FOUND sets *meta (the caller frees it) to the object's metadata,
 * with kind set to res's for the messages that name it; otherwise *meta is NULL. meta NULL:
 * only whether it is there (nothing parsed).
 */
static others_answer
others_find(const ctrl_run *run, const kres *res, const char *name, cJSON **meta)
{
    const store_obj *o;
    informer        *inf = NULL;

    if (meta)
        *meta = NULL;
    for (int i = 0; i < run->c->nothers && !inf; i++)
        if (run->c->others[i].res == res ||
            (strcmp(run->c->others[i].res->resource, res->resource) == 0 &&
             strcmp(run->c->others[i].res->group, res->group) == 0))
            inf = run->c->others[i].inf;
    if (!inf || !name || !informer_synced(inf) || !informer_installed(inf))
        return OTHERS_UNKNOWN;
    if (!(o = cached_obj(run, inf, name)))
        return OTHERS_ABSENT;
    if (!meta)
        return OTHERS_FOUND;
    if (!(*meta = store_parse(o)))
        return OTHERS_UNKNOWN;
    cJSON_DeleteItemFromObjectCaseSensitive(*meta, "kind");
    if (!cJSON_AddStringToObject(*meta, "kind", res->kind)) {
        cJSON_Delete(*meta);
        *meta = NULL;
        return OTHERS_UNKNOWN;
    }
    return OTHERS_FOUND;
}


void
ctrl_event(ctrl_run *run, const char *type, const char *reason, const char *message)
{
    events_record(rt_events(run->c->r), run->obj, type, reason, message);
}


/* --- conditions and refusals ---------------------------------------------------------- */

void
ctrl_cond(ctrl_run *run, ctrl_cond_type type, int status, const char *reason, const char *fmt, ...)
{
    ctrl_condition *c;
    va_list         ap;

    if (type >= CTRL_NCOND)
        return;
    c = &run->conds.cond[type];
    c->set = 1;
    c->status = status;
    c->reason = reason;
    va_start(ap, fmt);
    vsnprintf(c->message, sizeof c->message, fmt, ap);
    va_end(ap);
}


/* Logs the run's refusal once per change: one the status already shows is retried quietly. */
static void
log_refusal(ctrl_run *run)
{
    const cJSON *stalled =
        ctrl_condition_find(cJSON_GetObjectItemCaseSensitive(run->obj, "status"), "Stalled");
    const char *reason = run->conds.refusal;

    if (!stalled || !kjson_get_str(stalled, "reason") || !kjson_get_str(stalled, "message") ||
        strcmp(kjson_get_str(stalled, "reason"), reason) != 0 ||
        strcmp(kjson_get_str(stalled, "message"), run->conds.refusal_message) != 0)
        log_obj(strcmp(reason, CTRL_NS_TERMINATING) == 0 ? LOG_DEBUG : LOG_WARN, run->c->kind->name,
                run->key, "refused", "reason", reason, "message", run->conds.refusal_message, NULL);
}


static void
refuse_v(ctrl_run *run, int keep_ready, const char *reason, const char *fmt, va_list ap)
{
    if (run->conds.refusal)
        return;
    run->conds.refusal = reason;
    run->conds.keep_ready = keep_ready;
    vsnprintf(run->conds.refusal_message, sizeof run->conds.refusal_message, fmt, ap);
    log_refusal(run);
}


void
ctrl_refuse(ctrl_run *run, int keep_ready, const char *reason, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    refuse_v(run, keep_ready, reason, fmt, ap);
    va_end(ap);
}


static void refuse_f(ctrl_run *run, int keep_ready, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
refuse_f(ctrl_run *run, int keep_ready, const char *reason, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    refuse_v(run, keep_ready, reason, fmt, ap);
    va_end(ap);
}


ctrl_conds *
ctrl_run_conds(ctrl_run *run)
{
    return &run->conds;
}


const char *
ctrl_refused(const ctrl_run *run)
{
    return run->conds.refusal;
}


void
ctrl_requeue_after(ctrl_run *run, uint64_t ms)
{
    if (!run->requeue_ms || ms < run->requeue_ms)
        run->requeue_ms = ms;
}


/* --- ownership ------------------------------------------------------------------------- */

static const cJSON *
controller_ref(const cJSON *obj)
{
    const cJSON *ref;

    cJSON_ArrayForEach(ref, kjson_path(obj, "metadata", "ownerReferences", NULL)) {
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ref, "controller")))
            return ref;
    }
    return NULL;
}


int
ctrl_controls(const ctrl_run *run, const cJSON *obj)
{
    const char *uid = kjson_get_str(controller_ref(obj), "uid");

    return uid && run->uid && strcmp(uid, run->uid) == 0;
}


/*
 * Whether live bears a mark of having been written by the run's object: our managed-by and
 * instance labels, or the checksum annotation ctrl_apply stamps. An ownerReference alone
 * can be copied (Zalando's operator copies its owner's onto what it creates); these marks
 * are not copied by accident. Either suffices, so that someone relabelling our own child
 * gets the label put back rather than a conflict.
 */
static int
bears_our_marks(ctrl_run *run, const cJSON *live)
{
    const cJSON *labels = kjson_path(live, "metadata", "labels", NULL);
    const char  *managed = kjson_get_str(labels, CTRL_LABEL_MANAGED);
    const char  *inst = kjson_get_str(labels, CTRL_LABEL_INSTANCE);

    if (managed && inst && run->name && strcmp(managed, CTRL_MANAGED_BY) == 0 &&
        strcmp(inst, run->name) == 0)
        return 1;
    return kjson_path_str(live, "metadata", "annotations", CTRL_APPLIED_ANN, NULL) != NULL;
}


/*
 * Records a foreign child and words the refusal: the full message of the conflict that sorts
 * first, then "; also <Kind> <name>" for the others in order. Beyond CTRL_CONFLICTS_NAMED
 * conflicts the last in order go unnamed.
 */
static void
note_conflict(ctrl_run *run, const char *kind, const char *name, const char *msg)
{
    char key[CTRL_KEY_MAX];
    int  i,
        n = run->child_conflict < CTRL_CONFLICTS_NAMED ? run->child_conflict : CTRL_CONFLICTS_NAMED;
    size_t len;

    snprintf(key, sizeof key, "%s %s", kind, name);
    for (i = 0; i < n && strcmp(run->conflict_keys[i], key) < 0; i++)
        ;
    if (i < n && strcmp(run->conflict_keys[i], key) == 0)
        return; /* judged twice in one run (a check and a read after a 409) */
    run->child_conflict++;
    if (i == CTRL_CONFLICTS_NAMED)
        return;
    if (n == CTRL_CONFLICTS_NAMED)
        n--;
    memmove(run->conflict_keys[i + 1], run->conflict_keys[i], (size_t)(n - i) * CTRL_KEY_MAX);
    snprintf(run->conflict_keys[i], CTRL_KEY_MAX, "%s", key);
    n++;
    if (i == 0)
        snprintf(run->conflict_first, sizeof run->conflict_first, "%s", msg);
    /* Another refusal came first: it stays the message. Logged once the run ends (outcome),
     * when every conflict is known, so that a retry does not log a partial list. */
    if (run->conds.refusal && strcmp(run->conds.refusal, "ChildConflict") != 0)
        return;
    run->conds.refusal = "ChildConflict";
    run->conds.keep_ready = 0;
    snprintf(run->conds.refusal_message, sizeof run->conds.refusal_message, "%s", run->conflict_first);
    for (i = 1; i < n; i++) {
        len = strlen(run->conds.refusal_message);
        snprintf(run->conds.refusal_message + len, sizeof run->conds.refusal_message - len,
                 "; also %s", run->conflict_keys[i]);
    }
}


/* live carries our managed-by label and the run's name as its instance label: an earlier
 * object of this name made it and, being deleted with Retain, let it go. */
static int
retained_here(ctrl_run *run, const cJSON *live)
{
    const cJSON *labels = kjson_path(live, "metadata", "labels", NULL);
    const char  *by = kjson_get_str(labels, CTRL_LABEL_MANAGED);
    const char  *inst = kjson_get_str(labels, CTRL_LABEL_INSTANCE);

    return by && inst && strcmp(by, CTRL_MANAGED_BY) == 0 && strcmp(inst, ctrl_name(run)) == 0;
}


int
ctrl_may_write(ctrl_run *run, const cJSON *live)
{
    const cJSON *ref;
    const char  *kind = kjson_get_str(live, "kind"), *name;
    int          copied = 0;
    char         msg[CTRL_MSG_MAX], hint[256];

    if (!live)
        return 1;
    name = kjson_path_str(live, "metadata", "name", NULL);
    ref = controller_ref(live);
    if (ctrl_controls(run, live)) {
        if (bears_our_marks(run, live))
            return 1;
        copied = 1;
    }
    if (!ref && run->c->kind->may_adopt && run->c->kind->may_adopt(run, live))
        return 1;
    if (copied)
        snprintf(msg, sizeof msg,
                 "%s %s already exists with an ownerReference to this %s but none of its "
                 "labels: it was not created by it and is not changed. Delete it or give this "
                 "%s another name",
                 kind ? kind : "object", name ? name : "?", run->c->kind->res->kind,
                 run->c->kind->res->kind);
    else if (ref)
        snprintf(msg, sizeof msg,
                 "%s %s already exists and is controlled by %s %s; it is not changed. Delete "
                 "it or give this %s another name",
                 kind ? kind : "object", name ? name : "?", kjson_get_str(ref, "kind") ?: "?",
                 kjson_get_str(ref, "name") ?: "?", run->c->kind->res->kind);
    else if (retained_here(run, live)) {
        hint[0] = '\0';
        if (run->c->kind->adopt_hint)
            run->c->kind->adopt_hint(run, live, hint, sizeof hint);
        /* Never "delete it": it may be the only copy of a database. */
        snprintf(msg, sizeof msg,
                 "%s %s was retained by an earlier %s of this name (deletionPolicy Retain) and "
                 "keeps its data; it is taken over only by a spec that matches it%s%s, and is not "
                 "changed meanwhile. Make the spec match it, or delete it only if its data is "
                 "not needed",
                 kind ? kind : "object", name ? name : "?", run->c->kind->res->kind,
                 hint[0] ? ": " : "", hint);
    } else
        snprintf(msg, sizeof msg,
                 "%s %s already exists, has no controller and was not created by this %s; "
                 "it is not changed. Delete it or give this %s another name",
                 kind ? kind : "object", name ? name : "?", run->c->kind->res->kind,
                 run->c->kind->res->kind);
    note_conflict(run, kind ? kind : "object", name ? name : "?", msg);
    return 0;
}


/* --- the children step ----------------------------------------------------------------- */

static ctrl_write *
write_new(ctrl_run *run, const kres *res, const char *name, cJSON *desired, ctrl_answer_fn fn)
{
    ctrl_write *w = calloc(1, sizeof *w);

    if (!w) {
        cJSON_Delete(desired);
        run->failed = 1;
        return NULL;
    }
    w->run = run;
    w->res = res;
    w->desired = desired;
    w->on_answer = fn;
    snprintf(w->name, sizeof w->name, "%s", name ? name : "");
    run->pending++;
    return w;
}


/* A write has answered (or could not be sent): count it, and go on when it was the last. */
static void
write_end(ctrl_write *w)
{
    ctrl_run *run = w->run;

    cJSON_Delete(w->desired);
    free(w);
    run->pending--;
    batch_answered(run);
}


int
ctrl_write_refused(long status, const char *message)
{
    if (status >= 400 && status < 500)
        return status != 429;
    return status == 500 && message && strstr(message, "failed to create typed patch object") &&
           strstr(message, "not declared in schema");
}


int
ctrl_ns_doomed(int64_t refused_created_s, uint64_t until_ms, int64_t created_s, uint64_t now_ms)
{
    return now_ms < until_ms && created_s <= refused_created_s;
}


static int
created_s(const ctrl_run *run, int64_t *out)
{
    return core_rfc3339_parse(kjson_path_str(run->obj, "metadata", "creationTimestamp", NULL), out);
}


/* Remembers run's namespace as being deleted (ctrl_gone); out of memory: not remembered. */
static void
learn_gone(ctrl_run *run)
{
    ctrl      *c = run->c;
    ctrl_gone *g;
    int64_t    t;

    if (!run->ns || created_s(run, &t) != CORE_OK)
        return;
    if (!(g = hmap_get(c->gone, run->ns))) {
        if (hmap_len(c->gone) >= CTRL_GONE_MAX) {
            hmap *fresh;

            if (hmap_new(0, &fresh) != CORE_OK)
                return;
            hmap_free(c->gone, free);
            c->gone = fresh;
        }
        if (!(g = calloc(1, sizeof *g)) || hmap_put(c->gone, run->ns, g, NULL) != CORE_OK) {
            free(g);
            return;
        }
        g->created_s = t;
    }
    if (t > g->created_s)
        g->created_s = t;
    g->until_ms = uv_now(rt_loop(c->r)) + CTRL_GONE_MS;
}


/* Whether run's object is in a namespace seen being deleted, and was there then. */
static int
in_gone_namespace(ctrl_run *run)
{
    ctrl_gone *g = run->ns ? hmap_get(run->c->gone, run->ns) : NULL;
    uint64_t   now = uv_now(rt_loop(run->c->r));
    int64_t    t;

    if (!g)
        return 0;
    if (now >= g->until_ms) {
        hmap_del(run->c->gone, run->ns, NULL);
        free(g);
        return 0;
    }
    return created_s(run, &t) == CORE_OK && ctrl_ns_doomed(g->created_s, g->until_ms, t, now);
}


/* The run's namespace is being deleted: the refusal NamespaceTerminating, once (the phase
 * Deleting; no warning logged), and no create is sent in this run (decide). */
static void
note_ns_terminating(ctrl_run *run)
{
    if (run->ns_terminating)
        return;
    run->ns_terminating = 1;
    run->conds.deleting = 1;
    refuse_f(run, 0, CTRL_NS_TERMINATING,
             "namespace %s is being deleted; what was deleted with it is not made again",
             run->ns ? run->ns : "");
}


int
ctrl_ns_refused(ctrl_run *run, const kops_result *res)
{
    if (!kops_ns_terminating(res) || deleting(run))
        return 0;
    learn_gone(run);
    note_ns_terminating(run);
    return 1;
}


/* Sorts an answer into the run: conflict, namespace being deleted, refusal
 * (ctrl_write_refused), or failure. 1 when it is good. */
static int
judge(ctrl_write *w, const kops_result *res)
{
    ctrl_run *run = w->run;

    if (res->err == CORE_OK || res->err == CORE_ENOENT)
        return res->err == CORE_OK;
    if (res->err == CORE_ECONFLICT) {
        run->conflict = 1;
        return 0;
    }
    if (ctrl_ns_refused(run, res))
        return 0;
    if (res->err == CORE_EHTTP && ctrl_write_refused(res->status, res->message)) {
        refuse_f(run, 1, "ApplyFailed", "%s %s was not written: %s", w->res->kind, w->name,
                 res->message);
        return 0;
    }
    run->failed = 1;
    log_obj(LOG_WARN, run->c->kind->name, run->key, "write failed", "object", w->name, "error",
            res->message, NULL);
    return 0;
}


static void
ahead_key(const kres *res, const char *ns, const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s\x1f%s/%s", res->resource, ns ? ns : "", name);
}


/* Remembers child key (ahead_key) as ctrl_ahead says; out of memory it is not remembered,
 * which costs a request at most. */
static void
remember(ctrl *c, const char *key, const char *sum, int created, int exists)
{
    uint64_t    now = uv_now(rt_loop(c->r));
    ctrl_ahead *a, *was;
    void       *old = NULL;

    if (!sum || strlen(sum) >= sizeof a->sum || (!c->ahead && hmap_new(0, &c->ahead)))
        return;
    /* Entries past their time, of children never written or looked at again (a
     * VolumeSnapshot made once), go once a minute, in one walk. */
    if (now - c->ahead_swept_ms >= CTRL_AHEAD_MS) {
        hmap_iter   it;
        const char *k;
        void       *v;

        c->ahead_swept_ms = now;
        hmap_iter_init(c->ahead, &it);
        while (hmap_iter_next(c->ahead, &it, &k, &v))
            if (now - ((ctrl_ahead *)v)->at_ms >= CTRL_AHEAD_MS &&
                hmap_iter_del(c->ahead, &it, &old) == CORE_OK)
                free(old);
        old = NULL;
    }
    /* An update of a child known to exist that no cache holds yet: it still exists. */
    if (!created && !exists && (was = hmap_get(c->ahead, key)) && was->exists)
        exists = 1;
    if (hmap_len(c->ahead) >= CTRL_AHEAD_MAX) {
        hmap_free(c->ahead, free);
        c->ahead = NULL;
        if (hmap_new(0, &c->ahead))
            return;
    }
    if (!(a = calloc(1, sizeof *a)))
        return;
    memcpy(a->sum, sum, strlen(sum) + 1);
    a->at_ms = now;
    a->created = created;
    a->exists = exists;
    if (hmap_put(c->ahead, key, a, &old))
        free(a);
    free(old);
}


/* What ctrl_check_to_create took for absent in this run has been written or read since:
 * no read of it when a child conflicts (read_assumed). */
static void
settle_assumed(ctrl_run *run, const kres *res, const char *name)
{
    for (int i = 0; i < run->nabsent; i++)
        if (run->absent[i].res == res && strcmp(run->absent[i].name, name) == 0)
            run->absent[i].assumed = 0;
}


/* A write of w's child went through: the cache is behind until it shows our checksum. */
static void
remember_ahead(ctrl_write *w)
{
    char key[512];

    ahead_key(w->res, w->run->ns, w->name, key, sizeof key);
    remember(w->run->c, key,
             kjson_path_str(w->desired, "metadata", "annotations", CTRL_APPLIED_ANN, NULL),
             !w->existed, 0);
}


/*
 * What the memory says of child name of res, which no cache of the run holds: AHEAD_BORN
 * when this controller made it less than CTRL_BORN_MS ago (the run is marked stale: it ends
 * at ctrl_then, and the child's watch event brings a fresh one), AHEAD_EXISTS when a create
 * of it was refused less than CTRL_AHEAD_MS ago, else AHEAD_NONE (and a memory past its
 * time ends).
 */
enum {
    AHEAD_NONE,
    AHEAD_BORN,
    AHEAD_EXISTS
};

static int
unseen(ctrl_run *run, const kres *res, const char *name)
{
    ctrl       *c = run->c;
    uint64_t    now = uv_now(rt_loop(c->r));
    char        key[512];
    ctrl_ahead *a;
    void       *old = NULL;

    if (!c->ahead || !name)
        return AHEAD_NONE;
    ahead_key(res, run->ns, name, key, sizeof key);
    if (!(a = hmap_get(c->ahead, key)))
        return AHEAD_NONE;
    if (a->created && now - a->at_ms < CTRL_BORN_MS) {
        run->stale = 1;
        return AHEAD_BORN;
    }
    if (a->exists && now - a->at_ms < CTRL_AHEAD_MS)
        return AHEAD_EXISTS;
    if (hmap_del(c->ahead, key, &old) == CORE_OK)
        free(old);
    return AHEAD_NONE;
}


void
ctrl_created(ctrl_run *run, const kres *res, const cJSON *obj)
{
    const char *name = kjson_path_str(obj, "metadata", "name", NULL);
    char        key[512];

    if (!name)
        return;
    settle_assumed(run, res, name);
    ahead_key(res, run->ns, name, key, sizeof key);
    remember(run->c, key, kjson_path_str(obj, "metadata", "annotations", CTRL_APPLIED_ANN, NULL), 1,
             0);
}


void
ctrl_exists(ctrl_run *run, const kres *res, const char *name)
{
    char key[512];

    if (!name)
        return;
    settle_assumed(run, res, name);
    ahead_key(res, run->ns, name, key, sizeof key);
    remember(run->c, key, "", 0, 1);
}


/* A GET found no child name of res: what the memory said of it no longer holds. */
static void
forget(ctrl_run *run, const kres *res, const char *name)
{
    char  key[512];
    void *old = NULL;

    if (!run->c->ahead)
        return;
    ahead_key(res, run->ns, name, key, sizeof key);
    if (hmap_del(run->c->ahead, key, &old) == CORE_OK)
        free(old);
}


/*
 * 1 when desired is what an update of ours wrote less than CTRL_AHEAD_MS ago and the cached
 * copy live does not show it yet: nothing needs writing, and the run is looked at again when
 * the memory ends (the watch event of the newer copy comes sooner). Otherwise the memory of
 * that child ends and 0.
 */
static int
cache_behind(ctrl_write *w, const cJSON *live)
{
    ctrl       *c = w->run->c;
    const char *sum = kjson_path_str(w->desired, "metadata", "annotations", CTRL_APPLIED_ANN, NULL);
    const char *cached = kjson_path_str(live, "metadata", "annotations", CTRL_APPLIED_ANN, NULL);
    uint64_t    now = uv_now(rt_loop(c->r));
    char        key[512];
    ctrl_ahead *a;
    void       *old = NULL;

    if (!c->ahead)
        return 0;
    ahead_key(w->res, w->run->ns, w->name, key, sizeof key);
    if (!(a = hmap_get(c->ahead, key)))
        return 0;
    if (sum && strcmp(sum, a->sum) == 0 && !(cached && strcmp(cached, a->sum) == 0) &&
        now - a->at_ms < CTRL_AHEAD_MS) {
        uint64_t left = CTRL_AHEAD_MS - (now - a->at_ms);

        if (!w->run->requeue_ms || w->run->requeue_ms > left)
            ctrl_requeue_after(w->run, left);
        return 1;
    }
    if (hmap_del(c->ahead, key, &old) == CORE_OK)
        free(old);
    return 0;
}


static void
on_written(const kops_result *res, void *data)
{
    ctrl_write *w = data;
    int         good = judge(w, res);

    settle_assumed(w->run, w->res, w->name);
    if (good)
        remember_ahead(w);
    else if (res->err == CORE_ECONFLICT && !w->existed)
        ctrl_exists(w->run, w->res, w->name); /* the next run reads it before it writes */

    /* Told once it happened: a refused write is told once, by the refusal. */
    if (good)
        log_obj(LOG_INFO, w->run->c->kind->name, w->run->key, w->existed ? "updated" : "created",
                "kind", w->res->kind, "name", w->name, NULL);
    if (w->on_answer)
        w->on_answer(w->run, good ? res->obj : NULL, good);
    write_end(w);
}


static void
note_absent(ctrl_run *run, const kres *res, const char *name)
{
    if (run->nabsent >= CTRL_ABSENT_MAX || strlen(name) >= sizeof run->absent[0].name)
        return;
    run->absent[run->nabsent].res = res;
    memcpy(run->absent[run->nabsent].name, name, strlen(name) + 1);
    run->absent[run->nabsent].assumed = 0;
    run->nabsent++;
}


static int
was_absent(const ctrl_run *run, const kres *res, const char *name)
{
    for (int i = 0; i < run->nabsent; i++)
        if (run->absent[i].res == res && strcmp(run->absent[i].name, name) == 0)
            return 1;
    return 0;
}


static kops_target
child_target(ctrl_write *w)
{
    kops_target t = {rt_client(w->run->c->r), w->res, w->run->ns, w->name, NULL, !w->on_answer, 0};

    return t;
}


/*
 * Makes an apply of desired a create only: an apply that carries a resourceVersion is a
 * precondition (the API server answers 409 Conflict when the live object has another), and
 * "1" is one no existing object has: resourceVersions are opaque by the API conventions,
 * but the API server takes them from etcd's revision, which is past 1 before any object is
 * written. Measured on v1.37.2: an absent object is created, an existing one is refused.
 */
static int
create_only(cJSON *desired)
{
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(desired, "metadata");

    cJSON_DeleteItemFromObjectCaseSensitive(meta, "resourceVersion");
    return meta && cJSON_AddStringToObject(meta, "resourceVersion", "1") ? CORE_OK : CORE_ENOMEM;
}


/*
 * The stamp (CTRL_APPLIED_ANN) of the desired object w's cached live object was found to
 * hold: noted on that version of it in the informer's store (store_note), so that the next
 * run that wants the same of the same version neither parses it nor compares (held_noted).
 * Whether an object holds desired and is ours to write depends on the two objects only (the
 * stamp covers every field of desired, its ownerReference and labels among them), and a
 * changed object is a new version, without the note: what anyone changes is still seen.
 * Only writes without an answer are noted, as only they skip: the one builder that stamps
 * before it adds fields from the live object (the StatefulSet's claim templates) has one.
 */
static void
note_held(ctrl_write *w)
{
    const char *sum = kjson_path_str(w->desired, "metadata", "annotations", CTRL_APPLIED_ANN, NULL);
    char        key[CTRL_KEY_MAX];

    if (!w->on_answer && w->cache && sum &&
        snprintf(key, sizeof key, "%s/%s", w->run->ns, w->name) < (int)sizeof key)
        (void)store_note(informer_store(w->cache), key, sum); /* a note too long: none */
}


/* Whether o, the cached object w writes, was found to hold w's desired object (note_held). */
static int
held_noted(const ctrl_write *w, const store_obj *o)
{
    const char *sum = kjson_path_str(w->desired, "metadata", "annotations", CTRL_APPLIED_ANN, NULL);

    return o && *o->rv && *o->note && sum && strcmp(o->note, sum) == 0;
}


/*
 * The live object is known (NULL: it does not exist): write desired when ours to write and
 * different. An object that does not exist is created without force, so that one made
 * meanwhile by someone else is not taken over.
 */
static void
decide(ctrl_write *w, const cJSON *live)
{
    ctrl_run   *run = w->run;
    kops_target t = child_target(w);
    int         behind = 0;

    /* No create where the namespace is being deleted: it would be refused (ctrl_ns_refused). */
    if (!ctrl_may_write(run, live) || (!live && run->ns_terminating)) {
        if (w->on_answer)
            w->on_answer(run, NULL, 0);
        write_end(w);
        return;
    }
    if (live && ((behind = cache_behind(w, live)) || kops_is_applied(w->desired, live))) {
        if (!behind)
            note_held(w);
        if (w->on_answer)
            w->on_answer(run, live, 0);
        write_end(w);
        return;
    }
    w->existed = live != NULL;
    t.no_force = !live;
    if ((!live && create_only(w->desired) != CORE_OK) || kops_apply(&t, w->desired, on_written, w)) {
        run->failed = 1;
        if (w->on_answer)
            w->on_answer(run, NULL, 0);
        write_end(w);
    }
}


static void
on_live(const kops_result *res, void *data)
{
    ctrl_write *w = data;

    if (res->err == CORE_OK || res->err == CORE_ENOENT) {
        if (res->err == CORE_ENOENT)
            forget(w->run, w->res, w->name);
        else
            ctrl_exists(w->run, w->res, w->name); /* no cache of ours holds it: read, not made */
        decide(w, res->err == CORE_OK ? res->obj : NULL);
        return;
    }
    judge(w, res);
    if (w->on_answer)
        w->on_answer(w->run, NULL, 0);
    write_end(w);
}


void
ctrl_apply(ctrl_run *run, const kres *res, informer *cache, cJSON *desired, ctrl_answer_fn on_answer)
{
    const char  *name = kjson_path_str(desired, "metadata", "name", NULL);
    ctrl_write  *w;
    const cJSON *live;
    kops_target  t;

    if (!desired || !name ||
        (!kjson_path_str(desired, "metadata", "annotations", CTRL_APPLIED_ANN, NULL) &&
         ctrl_stamp(desired) != CORE_OK)) {
        /* A builder gives NULL out of memory or for input it cannot render: say so. */
        ctrl_refuse(run, 1, "BuildFailed",
                    "the %s could not be built from the spec (a value it cannot render, or out "
                    "of memory)",
                    res->kind);
        cJSON_Delete(desired);
        if (on_answer)
            on_answer(run, NULL, 0);
        return;
    }
    if (!(w = write_new(run, res, name, desired, on_answer))) {
        if (on_answer)
            on_answer(run, NULL, 0);
        return;
    }
    /* Held as it is cached, by what an earlier run found: no parse, no compare, no write,
     * and none of decide's bookkeeping is due (a version that holds the stamp is no longer
     * behind a write of ours). With an answer to give, the object is parsed for it (and
     * compared) as before. */
    if (!on_answer && held_noted(w, cached_obj(run, cache, name))) {
        write_end(w);
        return;
    }
    live = ctrl_view(run, cache, name);
    if (live || was_absent(run, res, name)) {
        if (live)
            w->cache = cache;
        decide(w, live);
        return;
    }
    switch (unseen(run, res, name)) {
    case AHEAD_BORN: /* ours, made a moment ago: the run ends, its watch event starts one */
        if (on_answer)
            on_answer(run, NULL, 0);
        write_end(w);
        return;
    case AHEAD_NONE:
        if (others_find(run, res, name, NULL) != OTHERS_FOUND) {
            /* No cache of ours holds it: created without force and with resourceVersion
             * "1" (create_only), which the server refuses with 409 when it exists after
             * all; the next run then reads it first (ctrl_exists). */
            decide(w, NULL);
            return;
        }
        break;
    default: break;
    }
    /* The caches hold only objects with our labels: is there one without them? */
    t = child_target(w);
    t.no_obj = 0;
    if (kops_get(&t, on_live, w)) {
        run->failed = 1;
        if (on_answer)
            on_answer(run, NULL, 0);
        write_end(w);
    }
}


static void
on_checked(const kops_result *res, void *data)
{
    ctrl_write  *w = data;
    const cJSON *live = NULL;

    /* Found, and no cache of ours holds it: a write of it in this run or the next reads it
     * first rather than create it blindly (ctrl_apply), while it stays. */
    if (res->err == CORE_OK)
        ctrl_exists(w->run, w->res, w->name);
    else
        settle_assumed(w->run, w->res, w->name);
    if (res->err == CORE_OK && ctrl_may_write(w->run, res->obj))
        live = res->obj;
    else if (res->err == CORE_ENOENT) {
        note_absent(w->run, w->res, w->name);
        forget(w->run, w->res, w->name);
    } else if (res->err != CORE_OK)
        judge(w, res);
    if (w->on_answer)
        w->on_answer(w->run, live, 0);
    write_end(w);
}


/* One GET of the object name of res for the run, answered to done (on_checked, on_read). */
static void
get_child(ctrl_run *run, const kres *res, const char *name, ctrl_answer_fn on_answer, kops_cb done)
{
    ctrl_write *w;
    kops_target t;

    if (!name || !(w = write_new(run, res, name, NULL, on_answer)))
        return;
    t = child_target(w);
    t.no_obj = 0;
    if (kops_get(&t, done, w)) {
        run->failed = 1;
        write_end(w);
    }
}


static void
check(ctrl_run *run, const kres *res, informer *cache, const char *name, ctrl_answer_fn on_answer,
      int to_create)
{
    const cJSON *live = ctrl_view(run, cache, name);
    cJSON       *meta;
    int          memory;

    if (live) {
        if (on_answer)
            on_answer(run, ctrl_may_write(run, live) ? live : NULL, 0);
        else
            ctrl_may_write(run, live);
        return;
    }
    if ((memory = unseen(run, res, name)) == AHEAD_BORN) {
        if (on_answer)
            on_answer(run, NULL, 0);
        return;
    }
    if (memory == AHEAD_EXISTS) { /* a create was refused: the caches are behind it */
        get_child(run, res, name, on_answer, on_checked);
        return;
    }
    switch (others_find(run, res, name, &meta)) {
    case OTHERS_ABSENT:
        note_absent(run, res, name);
        if (on_answer)
            on_answer(run, NULL, 0);
        return;
    case OTHERS_FOUND:
        /* Another controller's settles it (a conflict, recorded); ours without labels, or
         * one with no controller the kind may adopt, is judged from the whole object. */
        if (controller_ref(meta) && !ctrl_controls(run, meta)) {
            ctrl_may_write(run, meta);
            cJSON_Delete(meta);
            if (on_answer)
                on_answer(run, NULL, 0);
            return;
        }
        cJSON_Delete(meta);
        break;
    case OTHERS_UNKNOWN:
        if (to_create && memory == AHEAD_NONE) {
            note_absent(run, res, name);
            if (run->nabsent > 0 && run->absent[run->nabsent - 1].res == res &&
                strcmp(run->absent[run->nabsent - 1].name, name) == 0)
                run->absent[run->nabsent - 1].assumed = 1;
            if (on_answer)
                on_answer(run, NULL, 0);
            return;
        }
        break;
    }
    get_child(run, res, name, on_answer, on_checked);
}


void
ctrl_check(ctrl_run *run, const kres *res, informer *cache, const char *name, ctrl_answer_fn on_answer)
{
    check(run, res, cache, name, on_answer, 0);
}


void
ctrl_check_to_create(ctrl_run *run, const kres *res, informer *cache, const char *name,
                     ctrl_answer_fn on_answer)
{
    check(run, res, cache, name, on_answer, 1);
}


static void
on_read(const kops_result *res, void *data)
{
    ctrl_write *w = data;

    if (res->err == CORE_ENOENT)
        note_absent(w->run, w->res, w->name);
    else
        judge(w, res);
    w->on_answer(w->run, res->err == CORE_OK ? res->obj : NULL, 0);
    write_end(w);
}


void
ctrl_read(ctrl_run *run, const kres *res, informer *cache, const char *name, ctrl_answer_fn on_answer)
{
    const cJSON *live = ctrl_view(run, cache, name);

    /* Not from the cache of others: what a deletion must find (a claim our StatefulSet's
     * controller made, on its way to our cache) is read from the server, never guessed. */
    if (live) {
        on_answer(run, live, 0);
        return;
    }
    get_child(run, res, name, on_answer, on_read);
}


static void
on_other_write(const kops_result *res, void *data)
{
    ctrl_write *w = data;

    judge(w, res);
    write_end(w);
}


static void queue_patch(ctrl_run *run, const kres *res, const cJSON *live, cJSON *patch);


void
ctrl_patch(ctrl_run *run, const kres *res, const cJSON *live, cJSON *patch)
{
    if (!patch || !ctrl_may_write(run, live)) {
        cJSON_Delete(patch);
        return;
    }
    queue_patch(run, res, live, patch);
}


void
ctrl_release(ctrl_run *run, const kres *res, const cJSON *live)
{
    const char  *uid = kjson_path_str(run->obj, "metadata", "uid", NULL), *u;
    const cJSON *ref;
    cJSON       *patch = NULL, *keep;
    int          found = 0;

    if (!uid || !live)
        return;
    if (!(patch = cJSON_CreateObject()) ||
        !(keep = cJSON_AddArrayToObject(cJSON_AddObjectToObject(patch, "metadata"),
                                        "ownerReferences"))) {
        cJSON_Delete(patch);
        run->failed = 1;
        return;
    }
    cJSON_ArrayForEach(ref, kjson_path(live, "metadata", "ownerReferences", NULL)) {
        if ((u = kjson_get_str(ref, "uid")) && strcmp(u, uid) == 0)
            found = 1;
        else if (!cJSON_AddItemToArray(keep, cJSON_Duplicate(ref, 1)))
            run->failed = 1;
    }
    if (!found || run->failed) {
        cJSON_Delete(patch);
        return;
    }
    queue_patch(run, res, live, patch);
}


/* Queues patch (taken) of live with live's resourceVersion as a precondition. */
static void
queue_patch(ctrl_run *run, const kres *res, const cJSON *live, cJSON *patch)
{
    const char *name = kjson_path_str(live, "metadata", "name", NULL);
    const char *rv = kjson_resource_version(live);
    cJSON      *meta = cJSON_GetObjectItemCaseSensitive(patch, "metadata");
    ctrl_write *w;
    kops_target t;

    if (!name) {
        cJSON_Delete(patch);
        return;
    }
    /* The object as read, or a 409: what was judged ours is what gets changed. */
    if (!meta)
        meta = cJSON_AddObjectToObject(patch, "metadata");
    cJSON_DeleteItemFromObjectCaseSensitive(meta, "resourceVersion");
    if (!rv || !meta || !cJSON_AddStringToObject(meta, "resourceVersion", rv)) {
        cJSON_Delete(patch);
        run->failed = 1;
        return;
    }
    if (!(w = write_new(run, res, name, NULL, NULL))) {
        cJSON_Delete(patch);
        return;
    }
    t = child_target(w);
    if (kops_merge_patch(&t, patch, on_other_write, w)) {
        run->failed = 1;
        write_end(w);
    }
    cJSON_Delete(patch);
}


/* Queues the delete of live (already judged ours) with its uid as a precondition; 1 when
 * queued, 0 without a name or uid, out of memory, or when the request could not start (the
 * run fails). */
static int
queue_delete(ctrl_run *run, const kres *res, const cJSON *live, const char *propagation)
{
    const char *name = kjson_path_str(live, "metadata", "name", NULL);
    const char *uid = kjson_path_str(live, "metadata", "uid", NULL);
    ctrl_write *w;
    kops_target t;

    if (!name || !uid || !(w = write_new(run, res, name, NULL, NULL)))
        return 0;
    forget(run, res, name); /* made again after this: not a copy its cache lacks */
    t = child_target(w);
    if (kops_delete_uid(&t, propagation, uid, on_other_write, w)) {
        run->failed = 1;
        write_end(w);
        return 0;
    }
    return 1;
}


void
ctrl_delete(ctrl_run *run, const kres *res, const cJSON *live, const char *propagation)
{
    if (kjson_path_str(live, "metadata", "name", NULL) &&
        kjson_path_str(live, "metadata", "uid", NULL) && ctrl_may_write(run, live))
        queue_delete(run, res, live, propagation);
}


int
ctrl_marked_for(const cJSON *live, const char *uid_label, const char *uid)
{
    const cJSON *labels = kjson_path(live, "metadata", "labels", NULL);
    const char  *managed = kjson_get_str(labels, CTRL_LABEL_MANAGED);
    const char  *marked = uid_label ? kjson_get_str(labels, uid_label) : NULL;

    return uid && uid[0] && managed && marked && strcmp(managed, CTRL_MANAGED_BY) == 0 &&
           strcmp(marked, uid) == 0;
}


int
ctrl_delete_marked(ctrl_run *run, const kres *res, const cJSON *live, const char *uid_label,
                   const char *propagation)
{
    const char *own = kjson_path_str(run->obj, "metadata", "uid", NULL);

    return ctrl_marked_for(live, uid_label, own) && queue_delete(run, res, live, propagation);
}


int
ctrl_delete_via(ctrl_run *run, const kres *res, const cJSON *live, const cJSON *parent,
                const char *propagation)
{
    const char *name = kjson_path_str(live, "metadata", "name", NULL);
    const char *uid = kjson_path_str(live, "metadata", "uid", NULL);
    const char *parent_uid = kjson_path_str(parent, "metadata", "uid", NULL);
    const char *ref_uid = kjson_get_str(controller_ref(live), "uid");

    if (!name || !uid || !parent_uid || !ref_uid || strcmp(ref_uid, parent_uid) != 0 ||
        !ctrl_may_write(run, parent))
        return 0;
    return queue_delete(run, res, live, propagation);
}


static void get_child(ctrl_run *run, const kres *res, const char *name, ctrl_answer_fn on_answer,
                      kops_cb done);
static void on_checked(const kops_result *res, void *data);


/* A child conflicts: the children ctrl_check_to_create took for absent are read now, so that
 * the refusal names every foreign one at once (1: reads queued, batch_answered comes again). */
static int
read_assumed(ctrl_run *run)
{
    if (!run->child_conflict)
        return 0;
    run->pending++; /* held while queuing, so that no answer can end the run meanwhile */
    for (int i = 0; i < run->nabsent; i++) {
        if (!run->absent[i].assumed)
            continue;
        run->absent[i].assumed = 0;
        get_child(run, run->absent[i].res, run->absent[i].name, NULL, on_checked);
    }
    run->pending--;
    return run->pending > 0;
}


static void
batch_answered(ctrl_run *run)
{
    void (*next)(ctrl_run * run) = run->next;

    if (run->pending > 0 || !next || read_assumed(run))
        return;
    run->next = NULL;
    if (run->failed) {
        ctrl_end(run, WQ_ERROR);
        return;
    }
    if (run->conflict) {
        /* Fresh state comes with the next run; backoff in case the cache stays behind. */
        ctrl_end(run, WQ_ERROR);
        return;
    }
    if (run->stale) {
        /* A child we made is not in its cache yet: its watch event brings a fresh run (this
         * requeue, should that event be lost, is the bound). */
        run->requeue_ms = CTRL_STALE_RETRY_MS;
        ctrl_end(run, WQ_REQUEUE_AFTER);
        return;
    }
    next(run);
}


void
ctrl_then(ctrl_run *run, void (*next)(ctrl_run *run))
{
    run->next = next;
    batch_answered(run);
}


/* --- the status step ------------------------------------------------------------------- */

static wq_result
outcome(ctrl_run *run)
{
    if (run->ns_terminating)
        return WQ_OK; /* the namespace controller deletes the object: that change runs it */
    if (run->child_conflict) {
        if (run->conds.refusal && strcmp(run->conds.refusal, "ChildConflict") == 0)
            log_refusal(run);
        /* The foreign object is not watched: look again soon, without backoff. */
        run->requeue_ms = CTRL_CONFLICT_RETRY_MS;
        return WQ_REQUEUE_AFTER;
    }
    if (run->conds.refusal && run->requeue_ms)
        return WQ_REQUEUE_AFTER; /* the kind asked: its cause is one no watch reports */
    return run->conds.refusal ? WQ_ERROR : WQ_OK;
}


static void
on_status_written(const kops_result *res, void *data)
{
    ctrl_run *run = data;
    int       i;

    if (res->err && res->err != CORE_ENOENT) {
        log_obj(LOG_WARN, run->c->kind->name, run->key, "status write failed", "error",
                res->message, NULL);
        ctrl_end(run, WQ_ERROR);
        return;
    }
    remember_status(run->c, run->key, kjson_resource_version(run->obj));
    for (i = 0; i < run->nev; i++)
        ctrl_event(run, run->ev[i].type, run->ev[i].reason, run->ev[i].message);
    ctrl_end(run, outcome(run));
}


static int
same_condition(const cJSON *a, const cJSON *b)
{
    const char *as = kjson_get_str(a, "status"), *ar = kjson_get_str(a, "reason");
    const char *bs = kjson_get_str(b, "status"), *br = kjson_get_str(b, "reason");

    return as && bs && ar && br && strcmp(as, bs) == 0 && strcmp(ar, br) == 0;
}


static void
queue_event(ctrl_run *run, const char *type, const char *reason, const char *message)
{
    if (run->nev == CTRL_STATUS_EVENTS || !reason)
        return;
    run->ev[run->nev].type = type;
    snprintf(run->ev[run->nev].reason, sizeof run->ev[0].reason, "%s", reason);
    snprintf(run->ev[run->nev].message, sizeof run->ev[0].message, "%s", message ? message : "");
    run->nev++;
}


void
ctrl_event_on_status(ctrl_run *run, const char *type, const char *reason, const char *message)
{
    queue_event(run, type, reason, message);
}


/* Events tell of transitions: Ready's status or reason, a new reason to be Stalled or
 * Degraded.
 * They are recorded once the status that shows them is written, so a retried write
 * does not tell them twice. A transition to not Ready is a Warning when it is a refusal or
 * Degraded is True (something failed: a snapshot, an upgrade), else Normal (progress). */
static void
transition_events(ctrl_run *run, const cJSON *old, const cJSON *now)
{
    const cJSON *r_old = ctrl_condition_find(old, "Ready"),
                *r_new = ctrl_condition_find(now, "Ready");
    const cJSON *s_old = ctrl_condition_find(old, "Stalled"),
                *s_new = ctrl_condition_find(now, "Stalled");
    const char  *reason = kjson_get_str(r_new, "reason");
    const char  *status = kjson_get_str(r_new, "status");
    const cJSON *d_old = ctrl_condition_find(old, "Degraded"),
                *d_new = ctrl_condition_find(now, "Degraded");
    const char *d_status = kjson_get_str(d_new, "status"), *d_reason = kjson_get_str(d_new, "reason");
    int         ready = status && strcmp(status, "True") == 0;
    int         degraded = d_status && strcmp(d_status, "True") == 0;
    int         bad = run->conds.refusal || degraded;

    /* A new object's first Ready, when it is progress (Provisioning, Pending): the user has
     * just asked for it, and the status says it; failures and Ready itself are told. */
    if (!r_old && !ready && !bad)
        reason = NULL;
    if (reason && !same_condition(r_old, r_new))
        queue_event(run, ready || !bad ? "Normal" : "Warning", reason,
                    kjson_get_str(r_new, "message"));
    if (run->conds.refusal && !same_condition(s_old, s_new) &&
        !(reason && strcmp(reason, run->conds.refusal) == 0))
        queue_event(run, "Warning", run->conds.refusal, run->conds.refusal_message);
    /* Degraded with a new reason that Ready's Event did not tell (a cluster that serves but
     * whose upgrade was skipped, say). */
    if (d_reason && degraded && !same_condition(d_old, d_new) &&
        !(reason && strcmp(reason, d_reason) == 0) &&
        !(run->conds.refusal && strcmp(run->conds.refusal, d_reason) == 0))
        queue_event(run, "Warning", d_reason, kjson_get_str(d_new, "message"));
}


/* A merge patch only sets what it names: members the new status lacks are set to null. */
static cJSON *
status_patch(const cJSON *old, cJSON *status)
{
    cJSON       *patch = cJSON_CreateObject();
    const cJSON *m;

    cJSON_ArrayForEach(m, old) {
        if (m->string && !cJSON_GetObjectItemCaseSensitive(status, m->string))
            cJSON_AddNullToObject(status, m->string);
    }
    if (!patch || !cJSON_AddItemToObject(patch, "status", status)) {
        cJSON_Delete(patch);
        cJSON_Delete(status);
        return NULL;
    }
    return patch;
}


void
ctrl_done(ctrl_run *run)
{
    sync_run_deps(run);
    ctrl_end(run, outcome(run));
}


/* The object's gauges follow the status this run declares (ctrl_metrics). */
static void
observe_metrics(ctrl_run *run, const cJSON *status)
{
    ctrl_metrics_values v;

    ctrl_metrics_values_of(run->obj, status, run->c->kind->engine, &v);
    ctrl_metrics_observe(&run->c->metrics, run->c->kind->res->kind, run->ns ? run->ns : "",
                         run->name ? run->name : "", &v);
}


void
ctrl_status(ctrl_run *run, cJSON *fields)
{
    const cJSON *old = cJSON_GetObjectItemCaseSensitive(run->obj, "status");
    cJSON       *status, *patch;
    char         now[32];
    kops_target  t = primary_target(run, "status");

    const char *from = hmap_get(run->c->written, run->key);
    const char *rv = kjson_resource_version(run->obj);
    uint64_t    hold;

    sync_run_deps(run);
    if (from && rv && strcmp(from, rv) == 0) {
        /* This object's status was written from this very version, and the cache has not
         * seen the write yet: its watch event brings a fresh run. Comparing with the stale
         * cache would write again with new times and tell the same Events twice. */
        cJSON_Delete(fields);
        run->requeue_ms = CTRL_STALE_RETRY_MS;
        ctrl_end(run, outcome(run));
        return;
    }
    core_now_rfc3339(now, sizeof now);
    status = ctrl_status_build(old, run->generation, &run->conds, fields, now);
    if (!status) {
        ctrl_end(run, WQ_ERROR);
        return;
    }
    observe_metrics(run, status);
    /* A condition that holds keeps its time, so an unchanged status compares equal. */
    if (old && cJSON_Compare(status, old, 1)) {
        cJSON_Delete(status);
        ctrl_end(run, outcome(run));
        return;
    }
    if (old && (hold = ctrl_status_hold_ms(old, status, run->conds.refusal != NULL,
                                           (int64_t)time(NULL))) > 0) {
        cJSON_Delete(status);
        if (!run->requeue_ms || run->requeue_ms > hold)
            run->requeue_ms = hold;
        ctrl_end(run, outcome(run));
        return;
    }
    transition_events(run, old, status);
    patch = status_patch(old, status);
    if (!patch || kops_merge_patch(&t, patch, on_status_written, run))
        ctrl_end(run, WQ_ERROR);
    cJSON_Delete(patch);
}


static void
on_finalizer_removed(const kops_result *res, void *data)
{
    ctrl_run *run = data;

    ctrl_end(run, res->err == CORE_OK || res->err == CORE_ENOENT ? WQ_OK : WQ_ERROR);
}


void
ctrl_finalized(ctrl_run *run)
{
    deps_sync(run->c, run->key, NULL);
    if (!run->c->kind->finalizer) {
        ctrl_end(run, WQ_OK);
        return;
    }
    finalizer_patch(run, 0, on_finalizer_removed);
}
