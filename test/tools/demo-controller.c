/*
 * demo-controller: a small controller on the real runtime, for the integration tests of
 * everything a controller stands on (informers, queue, writes, finalizers, Events, metrics,
 * shutdown).
 *
 * For every ConfigMap labelled demo=1 it keeps a Secret "<name>-copy" holding the same data,
 * owned by the ConfigMap (server-side apply), holds a finalizer on the ConfigMap while it
 * exists and records an Event "Copied" each time it writes the Secret. Nothing is written
 * when the Secret already matches. Flags are the operator's (see --help of dbaas-operator);
 * the first argument may be --namespace NS to watch one namespace.
 */
#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "kops/kops.h"
#include "log/log.h"
#include "runtime/runtime.h"

#define FINALIZER "dbaas.dev/demo"

typedef struct {
    const char *namespace;
    informer   *maps, *secrets;
} demo;

typedef struct {
    rt_controller *ctl;
    char           key[512];
} pending;


static void
finish(const kops_result *res, void *data)
{
    pending *p = data;

    if (res->err && res->err != CORE_ECANCELED)
        log_obj(LOG_WARN, "demo", p->key, "write failed", "error", res->message, NULL);
    rt_controller_done(p->ctl, p->key, res->err == CORE_OK || res->err == CORE_ENOENT ? WQ_OK : WQ_ERROR, 0);
    free(p);
}


static pending *
pending_new(rt_controller *ctl, const char *key)
{
    pending *p = calloc(1, sizeof *p);

    if (p) {
        p->ctl = ctl;
        snprintf(p->key, sizeof p->key, "%s", key);
    }
    return p;
}


/* The Secret we want: the ConfigMap's data, base64 in data, owned by the ConfigMap. */
static cJSON *
desired_secret(const cJSON *cm, const char *name)
{
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(cm, "metadata");
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(cm, "data"), *item;
    cJSON       *s = cJSON_CreateObject(), *m, *sd;

    cJSON_AddStringToObject(s, "apiVersion", "v1");
    cJSON_AddStringToObject(s, "kind", "Secret");
    m = cJSON_AddObjectToObject(s, "metadata");
    cJSON_AddStringToObject(m, "name", name);
    cJSON_AddStringToObject(m, "namespace",
                            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "namespace")));
    kops_set_controller(s, cm, "v1", "ConfigMap");
    sd = cJSON_AddObjectToObject(s, "stringData");
    cJSON_ArrayForEach(item, data) {
        if (cJSON_IsString(item))
            cJSON_AddStringToObject(sd, item->string, item->valuestring);
    }
    return s;
}


/* Whether the cached Secret already has the ConfigMap's data (base64 in data). */
static int
secret_matches(const store_obj *cached, const cJSON *cm)
{
    cJSON       *sec = store_parse(cached);
    const cJSON *want = cJSON_GetObjectItemCaseSensitive(cm, "data"), *item;
    const cJSON *have = cJSON_GetObjectItemCaseSensitive(sec, "data");
    int          same = sec != NULL && cJSON_GetArraySize(have) == cJSON_GetArraySize(want);

    cJSON_ArrayForEach(item, want) {
        const char    *b64 = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(have, item->string));
        unsigned char *raw = NULL;
        size_t         n = 0;

        if (!same || !b64 || !cJSON_IsString(item) || core_b64_decode(b64, strlen(b64), &raw, &n) ||
            n != strlen(item->valuestring) || memcmp(raw, item->valuestring, n) != 0)
            same = 0;
        free(raw);
    }
    cJSON_Delete(sec);
    return same;
}


static void
reconcile(rt_controller *ctl, const char *key, void *data)
{
    demo           *d = data;
    rt             *r = rt_controller_runtime(ctl);
    const store_obj *o = store_get(informer_store(d->maps), key);
    cJSON          *cm = store_parse(o), *body = NULL;
    const cJSON    *meta = cJSON_GetObjectItemCaseSensitive(cm, "metadata");
    const char     *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "name"));
    const char     *ns = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "namespace"));
    char            copy[300], skey[600];
    pending        *p = NULL;
    kops_target     t = {rt_client(r), &KRES_CONFIGMAPS, ns, name, NULL, 0};
    int             rc = CORE_OK;

    if (!cm) {  /* gone: the garbage collector removes the Secret */
        rt_controller_done(ctl, key, WQ_OK, 0);
        return;
    }
    if (!(p = pending_new(ctl, key))) {
        rc = CORE_ENOMEM;
        goto out;
    }
    if (cJSON_GetObjectItemCaseSensitive(meta, "deletionTimestamp")) {
        if (!kops_has_finalizer(cm, FINALIZER))
            goto done;
        body = kops_finalizer_patch(cm, FINALIZER, 0);
        rc = body ? kops_merge_patch(&t, body, finish, p) : CORE_ENOMEM;
        goto sent;
    }
    if (!kops_has_finalizer(cm, FINALIZER)) {
        body = kops_finalizer_patch(cm, FINALIZER, 1);
        rc = body ? kops_merge_patch(&t, body, finish, p) : CORE_ENOMEM;
        goto sent;
    }
    snprintf(copy, sizeof copy, "%s-copy", name);
    snprintf(skey, sizeof skey, "%s/%s", ns, copy);
    if (secret_matches(store_get(informer_store(d->secrets), skey), cm))
        goto done;  /* converged: no write */
    body = desired_secret(cm, copy);
    t.res = &KRES_SECRETS;
    t.name = copy;
    rc = kops_apply(&t, body, finish, p);
    if (rc == CORE_OK)
        events_record(rt_events(r), cm, "Normal", "Copied", "the data was copied to the Secret");
sent:
    if (rc == CORE_OK)
        p = NULL;
    goto out;
done:
    rt_controller_done(ctl, key, WQ_OK, 0);
    free(p);
    p = NULL;
out:
    if (p || rc) {
        free(p);
        rt_controller_done(ctl, key, WQ_ERROR, 0);
    }
    cJSON_Delete(body);
    cJSON_Delete(cm);
}


static int
setup(rt *r, void *data)
{
    demo          *d = data;
    rt_controller *ctl;
    informer_opts  maps = {.res = &KRES_CONFIGMAPS, .namespace = d->namespace, .label_selector = "demo=1"};
    informer_opts  secrets = {.res = &KRES_SECRETS, .namespace = d->namespace};
    int            rc;

    if ((rc = rt_controller_add(r, "demo", reconcile, d, &ctl)) ||
        (rc = rt_controller_watch(ctl, &maps, NULL, &d->maps)) ||
        (rc = rt_controller_watch(ctl, &secrets, "ConfigMap", &d->secrets)))
        return rc;
    return CORE_OK;
}


int
main(int argc, char **argv)
{
    rt_config cfg;
    demo      d;
    char      err[512] = "";
    int       i, rc;

    memset(&cfg, 0, sizeof cfg);
    memset(&d, 0, sizeof d);
    signal(SIGPIPE, SIG_IGN);
    for (i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--namespace") == 0)
            d.namespace = argv[i + 1];
        else if (strcmp(argv[i], "--kubeconfig") == 0)
            cfg.kubeconfig = argv[i + 1];
        else if (strcmp(argv[i], "--metrics-addr") == 0)
            cfg.metrics_addr = argv[i + 1];
        else if (strcmp(argv[i], "--shutdown-grace") == 0)
            cfg.shutdown_grace_ms = strtoull(argv[i + 1], NULL, 10) * 1000;
        else {
            fprintf(stderr, "usage: demo-controller [--namespace NS] [--kubeconfig F] [--metrics-addr A]\n");
            return 2;
        }
    }
    log_init(LOG_TEXT, LOG_INFO, STDERR_FILENO);
    rc = rt_run(&cfg, setup, &d, err, sizeof err);
    if (err[0])
        log_error(err, NULL);
    return rc;
}
