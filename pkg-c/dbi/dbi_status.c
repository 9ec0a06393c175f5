#include "dbi_status.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "dbi/dbi_pass.h"
#include "dbi/dbi_stuck.h"
#include "kjson/kjson.h"


static int
num(const cJSON *obj, const char *a, const char *b)
{
    const cJSON *v = kjson_path(obj, a, b, NULL);

    return kjson_int_or(v, 0, INT_MAX, 0);
}


/* The StatefulSet has rolled out its current template and its pod is ready. */
static int
sts_settled(const cJSON *sts)
{
    const char *cur = kjson_path_str(sts, "status", "currentRevision", NULL);
    const char *upd = kjson_path_str(sts, "status", "updateRevision", NULL);

    return num(sts, "status", "observedGeneration") >= num(sts, "metadata", "generation") &&
           (!cur || !upd || strcmp(cur, upd) == 0) && num(sts, "status", "readyReplicas") >= 1;
}


/* Ready and Progressing from the StatefulSet and the claim. */
static void
eval_rollout(const dbi_status_in *in, ctrl_conds *c, const char *old_version, int ready_pods)
{
    const char    *capacity = kjson_path_str(in->pvc, "status", "capacity", "storage", NULL);
    kjson_quantity want, have;
    int            ready;

    if (!in->sts || (ready_pods < 1 && !old_version)) {
        ctrl_conds_set(c, CTRL_READY, 0, "Provisioning", "waiting for the %s pod to become ready",
                       in->spec->engine->name);
        ctrl_conds_set(c, CTRL_PROGRESSING, 1, "Provisioning", "creating the database");
        return;
    }
    if (!sts_settled(in->sts)) {
        ready = ready_pods >= 1;
        ctrl_conds_set(c, CTRL_READY, ready, ready ? "DatabaseReady" : "PodNotReady",
                       ready ? "the database accepts connections" : "the database pod is not ready");
        ctrl_conds_set(c, CTRL_PROGRESSING, 1, "RollingUpdate",
                       "rolling the pod to its new template (version %s)", in->spec->version);
        return;
    }
    ctrl_conds_set(c, CTRL_READY, 1, "DatabaseReady", "the database accepts connections");
    ctrl_conds_set(c, CTRL_PROGRESSING, 0, "Reconciled", "the database matches its spec");
    if (capacity && kjson_quantity_parse(in->spec->storage_size, &want) == CORE_OK &&
        kjson_quantity_parse(capacity, &have) == CORE_OK && kjson_quantity_cmp(&have, &want) < 0)
        ctrl_conds_set(c, CTRL_PROGRESSING, 1, "Resizing",
                       "waiting for the volume to grow from %s to %s", capacity,
                       in->spec->storage_size);
}


/* spec.stopped: Ready False (reason Stopped) at once; Progressing until no pod is left. */
static void
eval_stopped(const dbi_status_in *in, ctrl_conds *c)
{
    int gone =
        !in->sts ||
        (num(in->sts, "status", "observedGeneration") >= num(in->sts, "metadata", "generation") &&
         num(in->sts, "status", "replicas") == 0);

    ctrl_conds_set(c, CTRL_READY, 0, "Stopped",
                   "the database is stopped (spec.stopped); its volume and "
                   "credentials are kept");
    if (gone)
        ctrl_conds_set(c, CTRL_PROGRESSING, 0, "Stopped", "the database is stopped");
    else
        ctrl_conds_set(c, CTRL_PROGRESSING, 1, "Stopping", "scaling the database to zero");
}


/* What the pod and the claim say when they are stuck: the words of the kubelet, the
 * scheduler or the volume controllers, under a reason of their own. */
static void
eval_stuck(const dbi_status_in *in, ctrl_conds *c)
{
    dbi_stuck s;

    if (dbi_stuck_claim(in->pvc, in->pod, in->now_s, &s))
        ctrl_conds_set(c, s.degraded ? CTRL_DEGRADED : CTRL_PROGRESSING, 1, s.reason, "%s", s.message);
    if (dbi_stuck_pod(in->pod, &s))
        ctrl_conds_set(c, CTRL_DEGRADED, 1, s.reason, "%s", s.message);
    if (!in->spec->stopped && dbi_stuck_create(in->sts_failed, in->sts_done, in->sts, in->pod, &s))
        ctrl_conds_set(c, CTRL_DEGRADED, 1, s.reason, "%s", s.message);
}


static void
eval_conditions(const dbi_status_in *in, ctrl_conds *c, const char *old_version, int ready_pods)
{
    ctrl_conds_set(c, CTRL_DEGRADED, 0, "Healthy", "no problem found");
    if (in->deleting) {
        c->deleting = 1;
        ctrl_conds_set(c, CTRL_READY, 0, "Deleting", "the DBInstance is being deleted");
        ctrl_conds_set(c, CTRL_PROGRESSING, 1, "Deleting",
                       "removing what the deletion policy does not keep");
        return;
    }
    if (c->refusal || !in->spec) {
        /* ctrl lays the refusal over these; Ready keeps what the pod says when allowed. */
        if (ready_pods >= 1)
            ctrl_conds_set(c, CTRL_READY, 1, "DatabaseReady", "the database accepts connections");
        else
            ctrl_conds_set(c, CTRL_READY, 0, c->refusal ? c->refusal : "InvalidSpec", "%s",
                           c->refusal ? c->refusal_message : "the spec cannot be applied");
        ctrl_conds_set(c, CTRL_PROGRESSING, 0, "Refused",
                       "nothing is changed until the spec is fixed");
        return;
    }
    if (in->spec->stopped)
        eval_stopped(in, c);
    else
        eval_rollout(in, c, old_version, ready_pods);
    eval_stuck(in, c);
}


static void
keep_old(cJSON *st, const cJSON *old, const char *key)
{
    const char *v = kjson_get_str(old, key);

    if (v && !cJSON_GetObjectItemCaseSensitive(st, key))
        cJSON_AddStringToObject(st, key, v);
}


cJSON *
dbi_status_eval(const dbi_status_in *in, ctrl_conds *c)
{
    const cJSON *old = cJSON_GetObjectItemCaseSensitive(in->dbi, "status");
    const char  *old_version = kjson_get_str(old, "currentVersion");
    const char  *capacity = kjson_path_str(in->pvc, "status", "capacity", "storage", NULL);
    int          ready_pods = in->sts ? num(in->sts, "status", "readyReplicas") : 0;
    cJSON       *st = cJSON_CreateObject();
    char         text[400];

    if (!st)
        return NULL;
    if (in->reason && !c->refusal) {
        /* A spec refusal leaves Ready to the pod: the old one may still serve. */
        c->refusal = in->reason;
        c->keep_ready = 1;
        snprintf(c->refusal_message, sizeof c->refusal_message, "%s", in->message ? in->message : "");
    }
    eval_conditions(in, c, old_version, ready_pods);
    /* Named only once they are ours: a Service or Secret of the same name that belongs to
     * someone else (ChildConflict) is not where this database is reached. */
    if (in->spec && in->svc_ours) {
        snprintf(text, sizeof text, "%s.%s.svc.cluster.local:%d", in->spec->name,
                 in->spec->namespace, in->spec->engine->port);
        cJSON_AddStringToObject(st, "endpoint", text);
    }
    if (in->spec && in->secret_ours) {
        dbi_child_name(in->spec, "-credentials", text, sizeof text);
        cJSON_AddStringToObject(st, "connectionSecret", text);
    }
    if (in->spec && dbi_external_endpoint(in->svc, text, sizeof text) == CORE_OK)
        cJSON_AddStringToObject(st, "externalEndpoint", text);
    if (!in->spec)
        keep_old(st, old, "externalEndpoint");
    if (in->spec && in->spec->stopped && !c->refusal && !in->deleting)
        cJSON_AddStringToObject(st, "phase", "Stopped");
    /* What was known stays while the spec is broken. */
    keep_old(st, old, "endpoint");
    keep_old(st, old, "connectionSecret");
    cJSON_AddNumberToObject(st, "readyReplicas", ready_pods);
    if (in->spec && !c->refusal && !in->deleting && in->sts && sts_settled(in->sts))
        cJSON_AddStringToObject(st, "currentVersion", in->spec->version);
    keep_old(st, old, "currentVersion");
    if (capacity)
        cJSON_AddStringToObject(st, "storageSize", capacity);
    keep_old(st, old, "storageSize");
    return st;
}


cJSON *
dbi_status_build(const dbi_status_in *in)
{
    ctrl_conds c;
    int64_t    gen = 0;
    cJSON     *fields;

    memset(&c, 0, sizeof c);
    if (!(fields = dbi_status_eval(in, &c)))
        return NULL;
    /* generation stays 0 when absent or not an exact integer (never from a server). */
    (void)kjson_item_int64(kjson_path(in->dbi, "metadata", "generation", NULL), &gen);
    return ctrl_status_build(cJSON_GetObjectItemCaseSensitive(in->dbi, "status"), gen, &c, fields,
                             in->now);
}
