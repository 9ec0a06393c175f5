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
#include "kubeconfig/kubeconfig.h"
#include "leader/leader.h"
#include "log/log.h"
#include "metrics/metrics.h"
#include "store/store.h"

#define RT_GRACE_MS        30000
#define RT_MAX_CONTROLLERS 8
#define RT_MAX_WATCHES     16

typedef struct {
    rt_controller *ctl;
    informer      *inf;
    char          *owner_kind;     /* NULL: primary */
    char          *label;          /* map by this label's value instead */
    char           resource[64];
    uint64_t       seen_restarts;  /* reported to metrics so far */
    uint64_t       seen_relists;
} rt_watch;

struct rt_controller {
    rt             *r;
    char           *name;
    rt_reconcile_fn fn;
    void           *data;
    wq             *queue;
    hmap           *started;       /* key -> start time (ns, boxed) of reconciles in flight */
    int             drained;
    int             synced;        /* every informer of the controller has listed */
    int             idle_seen;     /* the first idle moment after the sync was logged */
    uint64_t        reconciles;    /* reconciles done, for the first-idle log line */
};

struct rt {
    uv_loop_t        *loop;
    rt_config         cfg;
    kcfg              kc;
    kube_client      *client;
    events_recorder  *events;
    metrics_registry *metrics;
    metrics_std       std;
    httpd            *http;
    leader           *lead;
    rt_controller    *controllers[RT_MAX_CONTROLLERS];
    int               ncontrollers;
    rt_watch          watches[RT_MAX_WATCHES];
    int               nwatches;
    int               informers_started;
    uv_signal_t       sigint, sigterm;
    uv_timer_t        timer;        /* version retries, then the shutdown deadline */
    uint64_t          t_start;      /* uv_hrtime() when rt_run began */
    unsigned          attempts;
    int               connected;
    int               shutting_down;
    int               after_drain_done;
    int               exit_code;
    char              identity[256];
    void            (*cleanup)(void *data);
    void             *cleanup_data;
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
enqueue_owner(rt_watch *w, const char *key, const cJSON *obj)
{
    const cJSON *refs = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "ownerReferences");
    const cJSON *ref;
    char         owner[512];
    const char  *slash = strchr(key, '/');

    cJSON_ArrayForEach(ref, refs) {
        const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ref, "kind"));
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ref, "name"));

        if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ref, "controller")) || !kind || !name ||
            strcmp(kind, w->owner_kind) != 0)
            continue;
        snprintf(owner, sizeof owner, "%.*s/%s", slash ? (int)(slash - key) : 0, key, name);
        wq_add(w->ctl->queue, slash ? owner : name);
    }
}


static void
enqueue_labelled(rt_watch *w, const char *key, const cJSON *obj)
{
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "labels"),
        w->label));
    const char *slash = strchr(key, '/');
    char        owner[512];

    if (!v || !slash)
        return;
    snprintf(owner, sizeof owner, "%.*s/%s", (int)(slash - key), key, v);
    wq_add(w->ctl->queue, owner);
}


static void
on_change(informer *inf, informer_change what, const char *key, const cJSON *obj, void *data)
{
    rt_watch *w = data;

    (void)inf;
    (void)what;
    /* Before every cache has synced a reconcile would see children as missing and write. */
    if (!w->ctl->synced)
        return;
    if (w->label)
        enqueue_labelled(w, key, obj);
    else if (w->owner_kind)
        enqueue_owner(w, key, obj);
    else
        wq_add(w->ctl->queue, key);
}


static void
enqueue_primary(const char *key, const store_obj *o, void *data)
{
    (void)o;
    wq_add(data, key);
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
    log_obj(LOG_INFO, ctl->name, NULL, "initial reconcile done", "reconciles", count,
            "seconds", secs, NULL);
}


/* Once all of a controller's caches have listed, every primary object gets reconciled. */
static void
on_synced(informer *inf, void *data)
{
    rt_watch      *w = data;
    rt_controller *ctl = w->ctl;
    rt            *r = ctl->r;
    int            i;

    (void)inf;
    log_obj(LOG_INFO, ctl->name, NULL, "cache synced", "resource", w->resource, NULL);
    for (i = 0; i < r->nwatches; i++)
        if (r->watches[i].ctl == ctl && !informer_synced(r->watches[i].inf))
            return;
    ctl->synced = 1;
    {
        char secs[32];

        since_start(r, secs, sizeof secs);
        log_obj(LOG_INFO, ctl->name, NULL, "caches synced", "seconds", secs, NULL);
    }
    for (i = 0; i < r->nwatches; i++)
        if (r->watches[i].ctl == ctl && !r->watches[i].owner_kind && !r->watches[i].label)
            store_each(informer_store(r->watches[i].inf), enqueue_primary, ctl->queue);
    check_first_idle(ctl);
}


static int
add_watch(rt_controller *ctl, const informer_opts *opts, const char *owner_kind,
          const char *label, informer **out);


int
rt_controller_watch(rt_controller *ctl, const informer_opts *opts, const char *owner_kind,
                    informer **out)
{
    return add_watch(ctl, opts, owner_kind, NULL, out);
}


int
rt_controller_watch_by_label(rt_controller *ctl, const informer_opts *opts, const char *label,
                             informer **out)
{
    return label ? add_watch(ctl, opts, NULL, label, out) : CORE_EINVAL;
}


static int
add_watch(rt_controller *ctl, const informer_opts *opts, const char *owner_kind,
          const char *label, informer **out)
{
    rt           *r = ctl->r;
    rt_watch     *w;
    informer_opts o = *opts;
    int           rc;

    if (out)
        *out = NULL;
    if (r->nwatches == RT_MAX_WATCHES)
        return CORE_ETOOBIG;
    w = &r->watches[r->nwatches];
    memset(w, 0, sizeof *w);
    w->ctl = ctl;
    snprintf(w->resource, sizeof w->resource, "%s", opts->res->resource);
    if ((owner_kind && !(w->owner_kind = strdup(owner_kind))) || (label && !(w->label = strdup(label)))) {
        free(w->owner_kind);
        return CORE_ENOMEM;
    }
    o.on_change = on_change;
    o.on_synced = on_synced;
    o.data = w;
    rc = informer_new(r->loop, r->client, &o, &w->inf);
    if (rc) {
        free(w->owner_kind);
        free(w->label);
        return rc;
    }
    r->nwatches++;
    if (r->informers_started)
        informer_start(w->inf);
    if (out)
        *out = w->inf;
    return CORE_OK;
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
rt_controller_done(rt_controller *ctl, const char *key, wq_result result,
                   uint64_t requeue_after_ms)
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
        log_obj(LOG_DEBUG, ctl->name, key, "reconciled", "result", names[result], "seconds", took, NULL);
    }
    wq_done(ctl->queue, key, result, requeue_after_ms);
    ctl->reconciles++;
    check_first_idle(ctl);
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


void
rt_set_cleanup(rt *r, void (*fn)(void *data), void *data)
{
    r->cleanup = fn;
    r->cleanup_data = data;
}


uv_loop_t *
rt_loop(rt *r)
{
    return r->loop;
}


static void
start_informers(rt *r)
{
    int i;

    if (r->informers_started || r->shutting_down)
        return;
    r->informers_started = 1;
    for (i = 0; i < r->nwatches; i++)
        informer_start(r->watches[i].inf);
}


/* --- metrics and health ------------------------------------------------------------ */

static void
on_api_request(const char *method, long status, void *data)
{
    rt *r = data;

    metrics_std_api_request(&r->std, method, status);
}


/* Informers count for themselves; metrics catch up with them when scraped. */
static void
sync_watch_metrics(rt *r)
{
    int i;

    for (i = 0; i < r->nwatches; i++) {
        rt_watch             *w = &r->watches[i];
        const informer_stats *st = informer_get_stats(w->inf);
        const char           *labels[] = {w->resource};
        uint64_t              restarts = st->watches > 0 ? st->watches - 1 : 0;
        metrics_counter      *c = NULL;

        if (restarts > w->seen_restarts &&
            metrics_counter_with(r->std.watch_restarts, labels, &c) == CORE_OK) {
            metrics_counter_add(c, restarts - w->seen_restarts);
            w->seen_restarts = restarts;
        }
        if (st->relists > w->seen_relists &&
            metrics_counter_with(r->std.watch_relists, labels, &c) == CORE_OK) {
            metrics_counter_add(c, st->relists - w->seen_relists);
            w->seen_relists = st->relists;
        }
    }
}


static int
serve_metrics(void *data, core_buf *body, const char **content_type)
{
    rt  *r = data;
    int  i;

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


static int
ready(void *data, char *reason, size_t len)
{
    rt *r = data;
    int i;

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
    for (i = 0; i < r->nwatches; i++)
        if (!informer_synced(r->watches[i].inf)) {
            snprintf(reason, len, "the %s cache has not synced", r->watches[i].resource);
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
close_rest(rt *r)
{
    int i;

    kube_client_close(r->client);
    r->client = NULL;
    for (i = 0; i < r->nwatches; i++) {
        informer_stop(r->watches[i].inf, NULL, NULL);
        free(r->watches[i].owner_kind);
        free(r->watches[i].label);
    }
    r->nwatches = 0;
    for (i = 0; i < r->ncontrollers; i++) {
        rt_controller *ctl = r->controllers[i];

        wq_free(ctl->queue);
        hmap_free(ctl->started, free);
        free(ctl->name);
        free(ctl);
    }
    r->ncontrollers = 0;
    if (r->http) {
        httpd_close(r->http, NULL, NULL);
        r->http = NULL;
    }
    events_free(r->events);
    r->events = NULL;
    uv_timer_stop(&r->timer);
    uv_close((uv_handle_t *)&r->timer, NULL);
    /*
     * The signal handles stay installed until the loop ends (close_signals): closing
     * them here would restore the default action, and a second SIGTERM (timeout(1)
     * sends one to the process and one to its group) would kill a clean shutdown.
     */
    uv_unref((uv_handle_t *)&r->sigint);
    uv_unref((uv_handle_t *)&r->sigterm);
}


/* Closes the signal handles and leaves SIGINT and SIGTERM ignored: the process is exiting. */
static void
close_signals(rt *r)
{
    sigset_t         set, old;
    struct sigaction ign;

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    uv_close((uv_handle_t *)&r->sigint, NULL);
    uv_close((uv_handle_t *)&r->sigterm, NULL);
    uv_run(r->loop, UV_RUN_DEFAULT);
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGINT, &ign, NULL);
    sigaction(SIGTERM, &ign, NULL);
    /* A signal that came meanwhile is pending; with SIG_IGN, unblocking discards it. */
    pthread_sigmask(SIG_SETMASK, &old, NULL);
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
                   exit_code ? 0 : r->cfg.shutdown_grace_ms ? r->cfg.shutdown_grace_ms : RT_GRACE_MS,
                   0);
    if (r->ncontrollers == 0) {
        after_drain(r);
        return;
    }
    for (i = 0; i < r->ncontrollers; i++)
        wq_shutdown(r->controllers[i]->queue, on_drained, r->controllers[i]);
}


static void
on_signal(uv_signal_t *s, int signum)
{
    shutdown_begin(s->data, 0, signum == SIGINT ? "SIGINT" : "SIGTERM");
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
        leader_opts lo = {.namespace = r->cfg.lease_namespace, .name = r->cfg.lease_name,
                          .identity = r->identity, .lease_ms = r->cfg.lease_ms,
                          .renew_ms = r->cfg.renew_ms, .retry_ms = r->cfg.retry_ms};

        if ((rc = leader_validate(&lo, err, errlen)))
            return rc;
    }
    if ((rc = kube_client_new(r->loop, &r->kc, &r->client, err, errlen)))
        return rc;
    if ((rc = events_new(r->client, "dbaas-operator", r->identity, &r->events)) ||
        (rc = metrics_registry_new(&r->metrics)) || (rc = metrics_std_register(r->metrics, &r->std)) ||
        (rc = metrics_process_register(r->metrics))) {
        snprintf(err, errlen, "start-up: %s", core_strerror(rc));
        return rc;
    }
    kube_client_set_observer(r->client, on_api_request, r);
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
    uv_signal_init(r.loop, &r.sigint);
    uv_signal_init(r.loop, &r.sigterm);
    r.timer.data = r.sigint.data = r.sigterm.data = &r;
    uv_signal_start(&r.sigint, on_signal, SIGINT);
    uv_signal_start(&r.sigterm, on_signal, SIGTERM);
    if (start(&r, setup, data, err, errlen)) {
        r.exit_code = 1;
        close_rest(&r);
    }
    uv_run(r.loop, UV_RUN_DEFAULT);
    close_signals(&r);
    code = r.exit_code;
    if (r.cleanup)
        r.cleanup(r.cleanup_data);
    metrics_registry_free(r.metrics);
    kcfg_free(&r.kc);
    if (uv_loop_close(r.loop) != 0 && code == 0)
        code = 1;
    return code;
}
