#include "dbi_status.h"

#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "kjson/kjson.h"


const cJSON *
dbi_condition(const cJSON *status, const char *type)
{
    const cJSON *c;

    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(status, "conditions")) {
        const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "type"));

        if (t && strcmp(t, type) == 0)
            return c;
    }
    return NULL;
}


static void
add_condition(cJSON *list, const cJSON *old_status, const char *type, int status,
              const char *reason, const char *message, double generation, const char *now)
{
    const cJSON *old = dbi_condition(old_status, type);
    const char  *st = status ? "True" : "False";
    const char  *old_st = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(old, "status"));
    const char  *old_t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(old, "lastTransitionTime"));
    cJSON       *c = cJSON_CreateObject();

    cJSON_AddStringToObject(c, "type", type);
    cJSON_AddStringToObject(c, "status", st);
    cJSON_AddStringToObject(c, "reason", reason);
    cJSON_AddStringToObject(c, "message", message);
    cJSON_AddStringToObject(c, "lastTransitionTime",
                            old_st && old_t && strcmp(old_st, st) == 0 ? old_t : now);
    cJSON_AddNumberToObject(c, "observedGeneration", generation);
    cJSON_AddItemToArray(list, c);
}


static int
num(const cJSON *obj, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, a), b);

    return cJSON_IsNumber(v) ? (int)v->valuedouble : 0;
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


cJSON *
dbi_status_build(const dbi_status_in *in)
{
    const cJSON *old = cJSON_GetObjectItemCaseSensitive(in->dbi, "status");
    const cJSON *gen = kjson_path(in->dbi, "metadata", "generation", NULL);
    double       generation = cJSON_IsNumber(gen) ? gen->valuedouble : 0;
    const char  *old_version = kjson_get_str(old, "currentVersion");
    const char  *capacity = kjson_path_str(in->pvc, "status", "capacity", "storage", NULL);
    cJSON       *st = cJSON_CreateObject(), *conds;
    const char  *phase, *ready_reason, *prog_reason, *deg_reason;
    char         ready_msg[600], prog_msg[600], deg_msg[600], endpoint[400];
    int          ready = 0, progressing = 0, degraded = 0, ready_pods;

    ready_pods = in->sts ? num(in->sts, "status", "readyReplicas") : 0;
    snprintf(deg_msg, sizeof deg_msg, "no problem found");
    deg_reason = "Healthy";
    if (in->deleting) {
        phase = "Deleting";
        ready_reason = prog_reason = "Deleting";
        snprintf(ready_msg, sizeof ready_msg, "the DBInstance is being deleted");
        snprintf(prog_msg, sizeof prog_msg, "removing what the deletion policy does not keep");
        progressing = 1;
    } else if (in->reason) {
        phase = "Failed";
        ready_reason = prog_reason = deg_reason = in->reason;
        snprintf(ready_msg, sizeof ready_msg, "%s", in->message);
        snprintf(prog_msg, sizeof prog_msg, "nothing is changed until the spec is fixed");
        snprintf(deg_msg, sizeof deg_msg, "%s", in->message);
        degraded = 1;
    } else if (!in->sts || (ready_pods < 1 && !old_version)) {
        phase = "Provisioning";
        ready_reason = prog_reason = "Provisioning";
        snprintf(ready_msg, sizeof ready_msg, "waiting for the %s pod to become ready",
                 in->spec->engine->name);
        snprintf(prog_msg, sizeof prog_msg, "creating the database");
        progressing = 1;
    } else if (!sts_settled(in->sts)) {
        phase = "Updating";
        ready = ready_pods >= 1;
        ready_reason = ready ? "DatabaseReady" : "PodNotReady";
        prog_reason = "RollingUpdate";
        snprintf(ready_msg, sizeof ready_msg, ready ? "the database accepts connections"
                                                    : "the database pod is not ready");
        snprintf(prog_msg, sizeof prog_msg, "rolling the pod to version %s", in->spec->version);
        progressing = 1;
    } else {
        kjson_quantity want, have;

        ready = 1;
        phase = "Ready";
        ready_reason = "DatabaseReady";
        snprintf(ready_msg, sizeof ready_msg, "the database accepts connections");
        prog_reason = "Reconciled";
        snprintf(prog_msg, sizeof prog_msg, "the database matches its spec");
        if (capacity && kjson_quantity_parse(in->spec->storage_size, &want) == CORE_OK &&
            kjson_quantity_parse(capacity, &have) == CORE_OK && kjson_quantity_cmp(&have, &want) < 0) {
            phase = "Updating";
            prog_reason = "Resizing";
            snprintf(prog_msg, sizeof prog_msg, "waiting for the volume to grow from %s to %s",
                     capacity, in->spec->storage_size);
            progressing = 1;
        }
        if (strcmp(in->spec->deletion_policy, "Snapshot") == 0) {
            degraded = 1;
            deg_reason = "SnapshotPolicyUnsupported";
            snprintf(deg_msg, sizeof deg_msg,
                     "spec.deletionPolicy: Snapshot is not supported yet; on deletion the volume "
                     "and credentials are retained as with Retain");
        }
    }
    cJSON_AddStringToObject(st, "phase", phase);
    conds = cJSON_AddArrayToObject(st, "conditions");
    add_condition(conds, old, "Ready", ready, ready_reason, ready_msg, generation, in->now);
    add_condition(conds, old, "Progressing", progressing, prog_reason, prog_msg, generation, in->now);
    add_condition(conds, old, "Degraded", degraded, deg_reason, deg_msg, generation, in->now);
    cJSON_AddNumberToObject(st, "observedGeneration", generation);
    if (in->spec) {
        char secret[300];

        snprintf(endpoint, sizeof endpoint, "%s.%s.svc.cluster.local:%d", in->spec->name,
                 in->spec->namespace, in->spec->engine->port);
        cJSON_AddStringToObject(st, "endpoint", endpoint);
        dbi_child_name(in->spec, "-credentials", secret, sizeof secret);
        cJSON_AddStringToObject(st, "connectionSecret", secret);
    } else {
        /* Keep what was known while the spec is broken. */
        if (kjson_get_str(old, "endpoint"))
            cJSON_AddStringToObject(st, "endpoint", kjson_get_str(old, "endpoint"));
        if (kjson_get_str(old, "connectionSecret"))
            cJSON_AddStringToObject(st, "connectionSecret", kjson_get_str(old, "connectionSecret"));
    }
    cJSON_AddNumberToObject(st, "readyReplicas", ready_pods);
    if (in->spec && !in->reason && !in->deleting && in->sts && sts_settled(in->sts))
        cJSON_AddStringToObject(st, "currentVersion", in->spec->version);
    else if (old_version)
        cJSON_AddStringToObject(st, "currentVersion", old_version);
    if (capacity)
        cJSON_AddStringToObject(st, "storageSize", capacity);
    else if (kjson_get_str(old, "storageSize"))
        cJSON_AddStringToObject(st, "storageSize", kjson_get_str(old, "storageSize"));
    return st;
}
