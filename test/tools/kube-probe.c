/*
 * kube-probe: reads /version and the namespace list through the project's own kubeconfig
 * loader and client, for the integration tests to compare with kubectl.
 *
 * usage: kube-probe KUBECONFIG [CONTEXT]
 * Prints "version V", "http N", "connections N" and one "namespace NAME" per namespace.
 * On any failure prints one line to stderr and exits 1.
 *
 * usage: kube-probe --whoami COUNT INTERVAL_MS KUBECONFIG
 * Asks the server who it is (a SelfSubjectReview) COUNT times, INTERVAL_MS apart, with one
 * client, printing "user NAME" or "error MESSAGE" each time; exits 0 when the last worked.
 * For the credential tests: token rotation and exec plugins.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "core/core.h"
#include "kube/kube.h"
#include "kubeconfig/kubeconfig.h"

typedef struct {
    kube_client *client;
    int          pending;
    int          failed;
    int          http_version;
    char        *version;
    cJSON       *namespaces;
} probe;


static int
check(probe *p, const kube_response *res, const char *what)
{
    if (res->err) {
        fprintf(stderr, "%s: %s\n", what, res->message);
        p->failed = 1;
        return 0;
    }
    if (res->status != 200) {
        fprintf(stderr, "%s: HTTP %ld\n", what, res->status);
        p->failed = 1;
        return 0;
    }
    p->http_version = res->http_version;
    return 1;
}


static void
on_version(const kube_response *res, void *data)
{
    probe *p = data;
    cJSON *v;

    p->pending--;
    if (!check(p, res, "GET /version"))
        return;
    v = cJSON_ParseWithLength(res->body, res->body_len);
    if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(v, "gitVersion")))
        p->version = strdup(cJSON_GetObjectItemCaseSensitive(v, "gitVersion")->valuestring);
    cJSON_Delete(v);
}


static void
on_namespaces(const kube_response *res, void *data)
{
    probe *p = data;

    p->pending--;
    if (!check(p, res, "GET /api/v1/namespaces"))
        return;
    p->namespaces = cJSON_ParseWithLength(res->body, res->body_len);
}


typedef struct {
    kube_client *client;
    uv_timer_t   timer;
    int          to_send;   /* requests still to start */
    int          to_finish; /* requests still to end */
    int          last_ok;
} whoami;


static void whoami_next(uv_timer_t *t);


static void
on_review(const kube_response *res, void *data)
{
    whoami     *w = data;
    cJSON      *r = NULL;
    const char *user = NULL;

    if (res->err) {
        printf("error %s\n", res->message);
    } else if (res->status != 201 && res->status != 200) {
        printf("error HTTP %ld\n", res->status);
    } else {
        r = cJSON_ParseWithLength(res->body, res->body_len);
        user = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "status"), "userInfo"),
            "username"));
        printf("user %s\n", user ? user : "(none)");
    }
    fflush(stdout);
    w->last_ok = user != NULL;
    cJSON_Delete(r);
    if (--w->to_finish > 0)
        return;
    uv_close((uv_handle_t *)&w->timer, NULL);
    kube_client_close(w->client);
}


static void
whoami_next(uv_timer_t *t)
{
    static const char body[] = "{\"apiVersion\":\"authentication.k8s.io/v1\","
                               "\"kind\":\"SelfSubjectReview\"}";
    whoami           *w = t->data;
    kube_req          req = {.method = "POST",
                             .path = "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                             .body = body,
                             .body_len = sizeof body - 1};

    if (w->to_send == 0)
        return;
    w->to_send--;
    if (w->to_send == 0)
        uv_timer_stop(t);
    if (kube_request(w->client, &req, on_review, w, NULL) != CORE_OK) {
        printf("error could not start a request\n");
        w->to_finish--;
    }
}


static int
run_whoami(int count, int interval, const char *path)
{
    uv_loop_t loop;
    kcfg      cfg;
    whoami    w;
    char      err[512];

    memset(&w, 0, sizeof w);
    if (kcfg_load(path, NULL, &cfg, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    uv_loop_init(&loop);
    if (kube_client_new(&loop, &cfg, &w.client, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        kcfg_free(&cfg);
        return 1;
    }
    kcfg_free(&cfg);
    w.to_send = w.to_finish = count;
    uv_timer_init(&loop, &w.timer);
    w.timer.data = &w;
    uv_timer_start(&w.timer, whoami_next, 0, (uint64_t)interval);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return w.last_ok ? 0 : 1;
}


int
main(int argc, char **argv)
{
    uv_loop_t loop;
    kcfg      cfg;
    probe     p;
    char      err[512];
    kube_req  vreq = {.path = "/version"}, nreq = {.path = "/api/v1/namespaces"};
    cJSON    *item;
    int       rc = 1;

    memset(&p, 0, sizeof p);
    if (argc == 5 && strcmp(argv[1], "--whoami") == 0)
        return run_whoami((int)strtol(argv[2], NULL, 10), (int)strtol(argv[3], NULL, 10), argv[4]);
    if (argc < 2) {
        fprintf(stderr, "usage: kube-probe KUBECONFIG [CONTEXT]\n");
        return 2;
    }
    if (kcfg_load(argv[1], argc > 2 ? argv[2] : NULL, &cfg, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    uv_loop_init(&loop);
    if (kube_client_new(&loop, &cfg, &p.client, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        kcfg_free(&cfg);
        uv_loop_close(&loop);
        return 1;
    }
    kcfg_free(&cfg);
    /* Both at once: with HTTP/2 they must share one connection. */
    if (kube_request(p.client, &vreq, on_version, &p, NULL) == CORE_OK)
        p.pending++;
    if (kube_request(p.client, &nreq, on_namespaces, &p, NULL) == CORE_OK)
        p.pending++;
    while (p.pending && uv_run(&loop, UV_RUN_ONCE))
        ;
    if (!p.failed && p.version &&
        cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(p.namespaces, "items"))) {
        printf("version %s\n", p.version);
        printf("http %d\n", p.http_version);
        printf("connections %ld\n", kube_client_connects(p.client));
        cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(p.namespaces, "items")) {
            const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(item, "metadata"), "name"));

            if (name)
                printf("namespace %s\n", name);
        }
        rc = 0;
    } else if (!p.failed) {
        fprintf(stderr, "unexpected answer from the server\n");
    }
    kube_client_close(p.client);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    free(p.version);
    cJSON_Delete(p.namespaces);
    return rc;
}
