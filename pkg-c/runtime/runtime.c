#include "runtime.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "core/core.h"
#include "httpd/httpd.h"
#include "informer/informer.h"
#include "kube/kube.h"
#include "kubeconfig/kubeconfig.h"
#include "leader/leader.h"
#include "log/log.h"
#include "metrics/metrics.h"
#include "wq/wq.h"

#define RT_GRACE_MS 30000

typedef struct {
    uv_loop_t        *loop;
    rt_config         cfg;
    kcfg              kc;
    kube_client      *client;
    metrics_registry *metrics;
    metrics_std       std;
    httpd            *http;
    leader           *lead;
    wq               *queue;
    uv_signal_t       sigint, sigterm;
    uv_timer_t        timer;        /* version retries, then the shutdown deadline */
    unsigned          attempts;
    int               connected;
    int               shutting_down;
    int               exit_code;
    char              identity[256];
} rt;


static void shutdown_begin(rt *r, int exit_code, const char *why);


static void
on_api_request(const char *method, long status, void *data)
{
    rt *r = data;

    metrics_std_api_request(&r->std, method, status);
}


static int
serve_metrics(void *data, core_buf *body, const char **content_type)
{
    static const char *const queue[] = {"operator"};
    rt            *r = data;
    metrics_gauge *depth = NULL;

    (void)content_type;
    if (metrics_gauge_with(r->std.queue_depth, queue, &depth) == CORE_OK)
        metrics_gauge_set(depth, r->queue ? (double)wq_len(r->queue) : 0);
    return metrics_render(r->metrics, body);
}


static int
ready(void *data, char *reason, size_t len)
{
    rt *r = data;

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
    return 1;
}


/* Nothing to reconcile yet: controllers register with the queue as they are added. */
static void
reconcile(wq *q, const char *key, void *data)
{
    (void)data;
    wq_done(q, key, WQ_OK, 0);
}


static void
on_started_leading(leader *l, void *data)
{
    rt *r = data;

    (void)l;
    log_info("became the leader", "lease", r->cfg.lease_name, "identity", r->identity);
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
on_version(const kube_response *res, void *data)
{
    rt         *r = data;
    cJSON      *v = NULL;
    const char *git;
    char        delay[32], status[16];
    uint64_t    ms;
    leader_opts lo;

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
    if (!r->cfg.leader_elect)
        return;
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
connect_check(rt *r)
{
    kube_req req = {.path = "/version"};

    if (kube_request(r->client, &req, on_version, r, NULL) != CORE_OK)
        uv_timer_start(&r->timer, on_retry_timer, 1000, 0);
}


/* --- shutdown ------------------------------------------------------------------------ */

static void
close_rest(rt *r)
{
    if (r->http) {
        httpd_close(r->http, NULL, NULL);
        r->http = NULL;
    }
    if (r->queue) {
        wq_free(r->queue);
        r->queue = NULL;
    }
    kube_client_close(r->client);
    r->client = NULL;
    uv_timer_stop(&r->timer);
    uv_close((uv_handle_t *)&r->timer, NULL);
    uv_close((uv_handle_t *)&r->sigint, NULL);
    uv_close((uv_handle_t *)&r->sigterm, NULL);
}


static void
on_released(void *data)
{
    rt *r = data;

    r->lead = NULL;
    if (r->exit_code == 0)
        log_info("released the leader lease", NULL);
    close_rest(r);
}


static void
after_drain(rt *r)
{
    uv_timer_stop(&r->timer);
    if (r->lead && r->exit_code == 0) {
        leader_release(r->lead, on_released, r);
        return;
    }
    if (r->lead) {
        /* Lost: no more writes, not even a release. */
        leader_release(r->lead, NULL, NULL);
        r->lead = NULL;
    }
    close_rest(r);
}


static void
on_drained(wq *q, void *data)
{
    (void)q;
    after_drain(data);
}


static void
on_grace_over(uv_timer_t *t)
{
    rt *r = t->data;

    log_warn("reconciles still running at the end of the grace period; stopping anyway", NULL);
    after_drain(r);
}


static void
shutdown_begin(rt *r, int exit_code, const char *why)
{
    if (r->shutting_down)
        return;
    r->shutting_down = 1;
    r->exit_code = exit_code;
    log_info("shutting down", "reason", why);
    uv_timer_stop(&r->timer);
    uv_timer_start(&r->timer, on_grace_over,
                   exit_code ? 0 : r->cfg.shutdown_grace_ms ? r->cfg.shutdown_grace_ms : RT_GRACE_MS, 0);
    if (!r->queue || wq_shutdown(r->queue, on_drained, r) != CORE_OK)
        after_drain(r);
}


static void
on_signal(uv_signal_t *s, int signum)
{
    shutdown_begin(s->data, 0, signum == SIGINT ? "SIGINT" : "SIGTERM");
}


/* --- start-up ------------------------------------------------------------------------ */

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


static int
start(rt *r, char *err, size_t errlen)
{
    wq_opts qo = {0};
    int     rc;

    if ((rc = load_config(r, err, errlen)))
        return rc;
    if (!r->cfg.lease_namespace)
        r->cfg.lease_namespace = r->kc.namespace;
    if (!r->cfg.lease_name)
        r->cfg.lease_name = "dbaas-operator";
    if (r->cfg.identity) {
        snprintf(r->identity, sizeof r->identity, "%s", r->cfg.identity);
    } else {
        char host[200] = "unknown";

        gethostname(host, sizeof host - 1);
        snprintf(r->identity, sizeof r->identity, "%s_%ld", host, (long)getpid());
    }
    if (r->cfg.leader_elect) {
        leader_opts lo = {.namespace = r->cfg.lease_namespace, .name = r->cfg.lease_name,
                          .identity = r->identity, .lease_ms = r->cfg.lease_ms,
                          .renew_ms = r->cfg.renew_ms, .retry_ms = r->cfg.retry_ms};

        if ((rc = leader_validate(&lo, err, errlen)))
            return rc;
    }
    if ((rc = kube_client_new(r->loop, &r->kc, &r->client, err, errlen)))
        return rc;
    if ((rc = metrics_registry_new(&r->metrics)) || (rc = metrics_std_register(r->metrics, &r->std)) ||
        (rc = metrics_process_register(r->metrics))) {
        snprintf(err, errlen, "metrics: %s", core_strerror(rc));
        return rc;
    }
    kube_client_set_observer(r->client, on_api_request, r);
    if ((rc = start_http(r, err, errlen)))
        return rc;
    qo.max_in_flight = r->cfg.concurrency ? r->cfg.concurrency : 4;
    if ((rc = wq_new(r->loop, &qo, reconcile, r, &r->queue))) {
        snprintf(err, errlen, "work queue: %s", core_strerror(rc));
        return rc;
    }
    log_info("dbaas-operator starting", "server", r->kc.server, "context", r->kc.context,
             "identity", r->identity, "leader_elect", r->cfg.leader_elect ? "true" : "false",
             "metrics", r->http ? r->cfg.metrics_addr : "off");
    connect_check(r);
    return CORE_OK;
}


int
rt_run(const rt_config *cfg, char *err, size_t errlen)
{
    rt  r;
    int rc, code;

    memset(&r, 0, sizeof r);
    r.cfg = *cfg;
    r.loop = uv_default_loop();
    uv_timer_init(r.loop, &r.timer);
    uv_signal_init(r.loop, &r.sigint);
    uv_signal_init(r.loop, &r.sigterm);
    r.timer.data = r.sigint.data = r.sigterm.data = &r;
    uv_signal_start(&r.sigint, on_signal, SIGINT);
    uv_signal_start(&r.sigterm, on_signal, SIGTERM);
    rc = start(&r, err, errlen);
    if (rc) {
        r.exit_code = 1;
        if (r.http)
            httpd_close(r.http, NULL, NULL);
        if (r.queue)
            wq_free(r.queue);
        kube_client_close(r.client);
        uv_close((uv_handle_t *)&r.timer, NULL);
        uv_close((uv_handle_t *)&r.sigint, NULL);
        uv_close((uv_handle_t *)&r.sigterm, NULL);
    }
    uv_run(r.loop, UV_RUN_DEFAULT);
    code = r.exit_code;
    metrics_registry_free(r.metrics);
    kcfg_free(&r.kc);
    if (uv_loop_close(r.loop) != 0 && code == 0)
        code = 1;
    return code;
}
