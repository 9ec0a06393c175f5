/*
 * demo-controller: a small controller on the ctrl toolkit, for the integration tests of
 * everything a controller stands on (informers, queue, writes, finalizers, Events, metrics,
 * shutdown), and the proof that a second kind needs only its builders and steps.
 *
 * For every ConfigMap labelled demo=1 it keeps a Secret "<name>-copy" holding the same data,
 * owned by the ConfigMap, holds a finalizer on the ConfigMap while it exists and records an
 * Event "Copied" each time it writes the Secret. Nothing is written when the Secret already
 * matches. With --widgets it also keeps a Widget "<name>-widget" (widgets.demo.dbaas.dev,
 * a CRD the tests install) with the same data, and while that CRD is not installed records
 * a Warning Event "WidgetCRDMissing" and copies the Secret all the same.
 *
 * usage: demo-controller [--namespace NS] [--kubeconfig F] [--metrics-addr A]
 *                        [--shutdown-grace S] [--widgets]
 */
#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/core.h"
#include "ctrl/ctrl.h"
#include "ctrl/ctrl_build.h"
#include "kjson/kjson.h"
#include "log/log.h"
#include "runtime/runtime.h"

#define DEMO_FINALIZER "dbaas.dev/demo"
#define DEMO_APP       "demo"
#define DEMO_NAME_MAX  320

static const kres KRES_WIDGETS = {"demo.dbaas.dev", "v1", "widgets", "Widget", 1};

typedef struct {
    const char *namespace;
    int       widgets;
    informer *secrets, *widget_cache;
} demo;


/* The ConfigMap's data (strings only) as a new object, values base64 when encode is set. */
static cJSON *
data_of(ctrl_bld *b, const cJSON *cm, int encode)
{
    const cJSON *item;
    cJSON       *out = cJSON_CreateObject();
    char         buf[4096];

    if (!out)
        b->failed = 1;
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(cm, "data")) {
        const char *v = cJSON_GetStringValue(item);

        if (!v)
            continue;
        if (encode && strlen(v) <= 3 * (sizeof buf / 4) - 3) {
            EVP_EncodeBlock((unsigned char *)buf, (const unsigned char *)v, (int)strlen(v));
            v = buf;
        } else if (encode) {
            b->failed = 1;
            continue;
        }
        ctrl_b_str(b, out, item->string, v);
    }
    return out;
}


static cJSON *
desired_secret(const cJSON *cm, const char *name)
{
    ctrl_bld b = {0};
    cJSON   *s = ctrl_b_child(&b, "v1", "Secret", name, cm, "v1", "ConfigMap", DEMO_APP);

    ctrl_b_str(&b, s, "type", "Opaque");
    ctrl_b_put(&b, s, "data", data_of(&b, cm, 1));
    return ctrl_b_done(&b, s);
}


static cJSON *
desired_widget(const cJSON *cm, const char *name)
{
    ctrl_bld b = {0};
    cJSON *w = ctrl_b_child(&b, "demo.dbaas.dev/v1", "Widget", name, cm, "v1", "ConfigMap", DEMO_APP);

    ctrl_b_put(&b, ctrl_b_obj(&b, w, "spec"), "data", data_of(&b, cm, 0));
    return ctrl_b_done(&b, w);
}


static void
on_secret(ctrl_run *run, const cJSON *secret, int written)
{
    if (secret && written)
        ctrl_event(run, "Normal", "Copied", "the data was copied to the Secret");
}


static void
status_step(ctrl_run *run)
{
    /* ConfigMaps have no status: a refusal shows in the log only. */
    ctrl_done(run);
}


static void
demo_sync(ctrl_run *run)
{
    demo *d = ctrl_data(run);
    char  name[DEMO_NAME_MAX];

    snprintf(name, sizeof name, "%s-copy", ctrl_name(run));
    ctrl_apply(run, &KRES_SECRETS, d->secrets, desired_secret(ctrl_obj(run), name), on_secret);
    if (d->widgets && !informer_installed(d->widget_cache)) {
        ctrl_event(run, "Warning", "WidgetCRDMissing",
                   "the Widget CRD (widgets.demo.dbaas.dev) is not installed; the Widget is made "
                   "once it is");
    } else if (d->widgets) {
        snprintf(name, sizeof name, "%s-widget", ctrl_name(run));
        ctrl_apply(run, &KRES_WIDGETS, d->widget_cache, desired_widget(ctrl_obj(run), name), NULL);
    }
    ctrl_then(run, status_step);
}


static const ctrl_kind demo_kind = {
    .name = "demo",
    .res = &KRES_CONFIGMAPS,
    .selector = "demo=1",
    .finalizer = DEMO_FINALIZER,
    .sync = demo_sync,
};


static int
setup(rt *r, void *data)
{
    demo *d = data;
    ctrl *c;
    int   rc;

    if ((rc = ctrl_new(r, &demo_kind, d->namespace, d, &c)) ||
        (rc = ctrl_watch_children(c, &KRES_SECRETS, &d->secrets)))
        return rc;
    if (d->widgets && (rc = ctrl_watch_children(c, &KRES_WIDGETS, &d->widget_cache)))
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
    for (i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (strcmp(argv[i], "--widgets") == 0)
            d.widgets = 1;
        else if (strcmp(argv[i], "--namespace") == 0 && v)
            d.namespace = argv[++i];
        else if (strcmp(argv[i], "--kubeconfig") == 0 && v)
            cfg.kubeconfig = argv[++i];
        else if (strcmp(argv[i], "--metrics-addr") == 0 && v)
            cfg.metrics_addr = argv[++i];
        else if (strcmp(argv[i], "--shutdown-grace") == 0 && v)
            cfg.shutdown_grace_ms = strtoull(argv[++i], NULL, 10) * 1000;
        else {
            fprintf(stderr, "usage: demo-controller [--namespace NS] [--kubeconfig F] "
                            "[--metrics-addr A] [--shutdown-grace S] [--widgets]\n");
            return 2;
        }
    }
    log_init(LOG_TEXT, LOG_INFO, STDERR_FILENO);
    rc = rt_run(&cfg, setup, &d, err, sizeof err);
    if (err[0])
        log_error(err, NULL);
    return rc;
}
