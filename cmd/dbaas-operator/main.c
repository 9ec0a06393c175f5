/*
 * dbaas-operator: flags, configuration and wiring. No logic lives here.
 *
 * At this stage the operator connects to the API server named by the kubeconfig, reports
 * the server's version and the namespaces it can see, and then waits for SIGINT/SIGTERM.
 */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "core/core.h"
#include "kube/kube.h"
#include "kubeconfig/kubeconfig.h"

#define OPERATOR_VERSION "0.1.0"

typedef struct {
    uv_loop_t   *loop;
    kube_client *client;
    uv_signal_t  sigint, sigterm;
    int          exit_code;
} operator_t;


static void
logf_(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
logf_(const char *level, const char *fmt, ...)
{
    char       ts[32];
    time_t     now = time(NULL);
    struct tm  tm;
    va_list    ap;

    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(stderr, "%s %-5s ", ts, level);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}


static void
shutdown_operator(operator_t *op, int code)
{
    op->exit_code = code;
    kube_client_close(op->client);
    op->client = NULL;
    uv_close((uv_handle_t *)&op->sigint, NULL);
    uv_close((uv_handle_t *)&op->sigterm, NULL);
}


static void
on_signal(uv_signal_t *s, int signum)
{
    operator_t *op = s->data;

    logf_("info", "received %s, shutting down", signum == SIGINT ? "SIGINT" : "SIGTERM");
    shutdown_operator(op, 0);
}


static void
on_namespaces(const kube_response *res, void *data)
{
    operator_t *op = data;
    cJSON      *list = NULL;
    int         n;

    if (res->err == CORE_ECANCELED)
        return;
    if (res->err || res->status != 200) {
        logf_("warn", "listing namespaces: %s",
              res->err ? res->message : "the server refused (check RBAC)");
        return;
    }
    list = cJSON_ParseWithLength(res->body, res->body_len);
    n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(list, "items"));
    logf_("info", "%d namespaces visible; waiting for SIGINT or SIGTERM", n);
    cJSON_Delete(list);
    (void)op;
}


static void
on_version(const kube_response *res, void *data)
{
    operator_t  *op = data;
    cJSON       *v = NULL;
    const char  *git;
    kube_req     req = {.path = "/api/v1/namespaces?limit=500"};

    if (res->err == CORE_ECANCELED)
        return;
    if (res->err || res->status != 200) {
        if (res->err)
            logf_("error", "%s", res->message);
        else
            logf_("error", "GET /version: HTTP %ld", res->status);
        shutdown_operator(op, 1);
        return;
    }
    v = cJSON_ParseWithLength(res->body, res->body_len);
    git = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "gitVersion"));
    logf_("info", "connected to %s: Kubernetes %s over HTTP/%d", kube_client_server(op->client),
          git ? git : "(unknown version)", res->http_version);
    cJSON_Delete(v);
    if (kube_request(op->client, &req, on_namespaces, op, NULL) != CORE_OK)
        logf_("warn", "could not start the namespace list");
}


static const char *
default_kubeconfig(char *buf, size_t len)
{
    const char *env = getenv("KUBECONFIG"), *home = getenv("HOME");

    if (env && *env) {
        /* Several files joined by ':' are not merged yet: the first one is used. */
        size_t n = strcspn(env, ":");

        if (n >= len)
            return NULL;
        memcpy(buf, env, n);
        buf[n] = '\0';
        return buf;
    }
    if (!home)
        return NULL;
    snprintf(buf, len, "%s/.kube/config", home);
    return buf;
}


static void
usage(FILE *f)
{
    fprintf(f, "usage: dbaas-operator [--kubeconfig PATH] [--context NAME]\n"
               "  --kubeconfig PATH  kubeconfig to use (default: $KUBECONFIG, then ~/.kube/config)\n"
               "  --context NAME     context to use (default: the current-context)\n"
               "  --version          print the version and exit\n");
}


int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"kubeconfig", required_argument, NULL, 'k'},
        {"context", required_argument, NULL, 'c'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    operator_t  op;
    kcfg        cfg;
    char        err[512], pathbuf[4096];
    const char *path = NULL, *context = NULL;
    kube_req    req = {.path = "/version"};
    int         o;

    memset(&op, 0, sizeof op);
    memset(&cfg, 0, sizeof cfg);
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'k': path = optarg; break;
        case 'c': context = optarg; break;
        case 'V': printf("dbaas-operator %s\n", OPERATOR_VERSION); return 0;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!path)
        path = default_kubeconfig(pathbuf, sizeof pathbuf);
    if (!path) {
        logf_("error", "no kubeconfig: pass --kubeconfig or set KUBECONFIG");
        return 1;
    }
    if (kcfg_load(path, context, &cfg, err, sizeof err) != CORE_OK) {
        logf_("error", "%s", err);
        return 1;
    }
    op.loop = uv_default_loop();
    if (kube_client_new(op.loop, &cfg, &op.client, err, sizeof err) != CORE_OK) {
        logf_("error", "%s", err);
        kcfg_free(&cfg);
        return 1;
    }
    logf_("info", "dbaas-operator %s starting (kubeconfig %s, context %s)", OPERATOR_VERSION,
          path, cfg.context);
    kcfg_free(&cfg);
    uv_signal_init(op.loop, &op.sigint);
    uv_signal_init(op.loop, &op.sigterm);
    op.sigint.data = op.sigterm.data = &op;
    uv_signal_start(&op.sigint, on_signal, SIGINT);
    uv_signal_start(&op.sigterm, on_signal, SIGTERM);
    if (kube_request(op.client, &req, on_version, &op, NULL) != CORE_OK) {
        logf_("error", "could not start a request");
        shutdown_operator(&op, 1);
    }
    uv_run(op.loop, UV_RUN_DEFAULT);
    uv_loop_close(op.loop);
    return op.exit_code;
}
