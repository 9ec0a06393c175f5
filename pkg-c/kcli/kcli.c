#include "kcli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <uv.h>

#include "core/core.h"
#include "kube/kube.h"
#include "kubeconfig/kubeconfig.h"

#define PATH_MAX_LEN 4096

struct kcli {
    uv_loop_t    loop;
    kube_client *client;
    char *namespace;
    char *path; /* the kubeconfig read, NULL in-cluster */
};

typedef struct {
    int          done;
    kcli_result *res;
    cJSON      **answer;
} waiter;


/* The first file of a colon-separated $KUBECONFIG that exists, copied into buf. */
static int
first_existing(const char *list, char *buf, size_t len)
{
    const char *p = list, *end;
    size_t      n;

    while (p && *p) {
        end = strchr(p, ':');
        n = end ? (size_t)(end - p) : strlen(p);
        if (n > 0 && n < len) {
            memcpy(buf, p, n);
            buf[n] = '\0';
            if (access(buf, R_OK) == 0)
                return 1;
        }
        p = end ? end + 1 : NULL;
    }
    return 0;
}


/* The kubeconfig path kubectl would read into buf; 0 when there is none (in-cluster). */
static int
find_kubeconfig(const char *flag, char *buf, size_t len)
{
    const char *env = getenv("KUBECONFIG"), *home = getenv("HOME");

    if (flag && *flag)
        return snprintf(buf, len, "%s", flag) < (int)len;
    if (env && *env && first_existing(env, buf, len))
        return 1;
    if (home && snprintf(buf, len, "%s/.kube/config", home) < (int)len && access(buf, R_OK) == 0)
        return 1;
    if (getenv("KUBERNETES_SERVICE_HOST"))
        return 0;
    /* Nothing found: name the default file, so the error says which one is missing. */
    return home && snprintf(buf, len, "%s/.kube/config", home) < (int)len;
}


int
kcli_open(const char *kubeconfig, const char *context, kcli **out, char *err, size_t errlen)
{
    kcli       *c = NULL;
    kcfg        cfg;
    const char *env = getenv("KUBECONFIG");
    char        path[PATH_MAX_LEN], *merged = NULL;
    int         rc, have_file, loop_ok = 0, nfiles = 0;

    *out = NULL;
    memset(&cfg, 0, sizeof cfg);
    if (!(kubeconfig && *kubeconfig) && env && strchr(env, ':')) {
        /* Several files: merged as kubectl does, when at least one of them exists. */
        if ((rc = kcli_merge(env, &merged, &nfiles, err, errlen)))
            goto out;
    }
    if (nfiles > 1) {
        have_file = snprintf(path, sizeof path, "%s", env) < (int)sizeof path;
        rc = kcfg_parse(merged, strlen(merged), "$KUBECONFIG", NULL, context, &cfg, err, errlen);
    } else if ((have_file = find_kubeconfig(kubeconfig, path, sizeof path))) {
        rc = kcfg_load(path, context, &cfg, err, errlen);
    } else {
        rc = kcfg_in_cluster(&cfg, err, errlen);
    }
    if (rc)
        goto out;
    rc = CORE_ENOMEM;
    if (!(c = calloc(1, sizeof *c)) ||
        !(c->namespace = strdup(cfg.namespace && *cfg.namespace ? cfg.namespace : "default")) ||
        (have_file && !(c->path = strdup(path)))) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (uv_loop_init(&c->loop)) {
        rc = core_errf(err, errlen, CORE_EINTERNAL, "uv_loop_init failed");
        goto out;
    }
    loop_ok = 1;
    if ((rc = kube_client_new(&c->loop, &cfg, &c->client, err, errlen)))
        goto out;
    *out = c;
    c = NULL;
out:
    if (merged)
        OPENSSL_cleanse(merged, strlen(merged));
    free(merged);
    kcfg_free(&cfg);
    if (c) {
        if (loop_ok)
            uv_loop_close(&c->loop);
        free(c->namespace);
        free(c->path);
        free(c);
    }
    return rc;
}


const char *
kcli_namespace(const kcli *c)
{
    return c->namespace;
}


const char *
kcli_kubeconfig_path(const kcli *c)
{
    return c->path;
}


static void
on_done(const kube_response *r, void *data)
{
    waiter     *w = data;
    cJSON      *body = NULL;
    const char *msg;

    w->done = 1;
    w->res->status = r->status;
    if (r->err) {
        w->res->err = r->err;
        snprintf(w->res->message, sizeof w->res->message, "%s", r->message);
        return;
    }
    body = r->body_len ? cJSON_ParseWithLength(r->body, r->body_len) : NULL;
    if (r->status >= 200 && r->status < 300) {
        if (!body && w->answer) {
            w->res->err = CORE_EPROTO;
            snprintf(w->res->message, sizeof w->res->message, "the server's answer is not JSON");
            return;
        }
        if (w->answer) {
            *w->answer = body;
            body = NULL;
        }
        w->res->err = CORE_OK;
        goto out;
    }
    msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "message"));
    snprintf(w->res->message, sizeof w->res->message, "%s", msg ? msg : "(no message)");
    w->res->err = r->status == 404 ? CORE_ENOENT : r->status == 409 ? CORE_ECONFLICT : CORE_EHTTP;
out:
    cJSON_Delete(body);
}


int
kcli_request(kcli *c, const char *method, const char *path, const cJSON *body, cJSON **answer,
             kcli_result *res)
{
    kube_req req = {.method = method, .path = path};
    waiter   w = {.res = res, .answer = answer};
    char    *text = NULL;
    int      rc;

    memset(res, 0, sizeof *res);
    if (answer)
        *answer = NULL;
    if (body) {
        if (!(text = cJSON_PrintUnformatted(body))) {
            res->err = CORE_ENOMEM;
            snprintf(res->message, sizeof res->message, "out of memory");
            return res->err;
        }
        req.body = text;
        req.body_len = strlen(text);
    }
    rc = kube_request(c->client, &req, on_done, &w, NULL);
    free(text);
    if (rc) {
        res->err = rc;
        snprintf(res->message, sizeof res->message, "could not start the request: %s",
                 core_strerror(rc));
        return rc;
    }
    while (!w.done && uv_run(&c->loop, UV_RUN_ONCE))
        ;
    if (!w.done) {
        res->err = CORE_EINTERNAL;
        snprintf(res->message, sizeof res->message, "the request never ended");
    }
    return res->err;
}


static int
with_path(kcli *c, const char *method, const kres *r, const char *ns, const char *name,
          const char *query, const cJSON *body, cJSON **answer, kcli_result *res)
{
    core_buf path;
    int      rc;

    core_buf_init(&path, PATH_MAX_LEN);
    if ((rc = kres_path(&path, r, ns, name, NULL)) ||
        (query && *query && (rc = core_buf_printf(&path, "?%s", query)))) {
        memset(res, 0, sizeof *res);
        res->err = rc;
        snprintf(res->message, sizeof res->message, "could not build the path: %s", core_strerror(rc));
        if (answer)
            *answer = NULL;
        return rc;
    }
    rc = kcli_request(c, method, path.data, body, answer, res);
    core_buf_free(&path);
    return rc;
}


int
kcli_get(kcli *c, const kres *r, const char *ns, const char *name, cJSON **obj, kcli_result *res)
{
    return with_path(c, "GET", r, ns, name, NULL, NULL, obj, res);
}


int
kcli_list(kcli *c, const kres *r, const char *ns, const char *query, cJSON **list, kcli_result *res)
{
    return with_path(c, "GET", r, ns, NULL, query, NULL, list, res);
}


int
kcli_create(kcli *c, const kres *r, const char *ns, const cJSON *obj, cJSON **created,
            kcli_result *res)
{
    return with_path(c, "POST", r, ns, NULL, NULL, obj, created, res);
}


void
kcli_close(kcli *c)
{
    if (!c)
        return;
    kube_client_close(c->client);
    uv_run(&c->loop, UV_RUN_DEFAULT);
    uv_loop_close(&c->loop);
    free(c->namespace);
    free(c->path);
    free(c);
}
