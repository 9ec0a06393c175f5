/*
 * dbi_final: the final DBSnapshot of deletionPolicy Snapshot (dbi_final.h).
 */
#include "dbi/dbi_final.h"

#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "ctrl/ctrl_build.h"
#include "ctrl/ctrl_named.h"
#include "ctrl/ctrl_status.h"
#include "dbi/dbi.h"
#include "dbi_controller-int.h"
#include "kjson/kjson.h"
#include "kops/kops.h"
#include "runtime/runtime.h"


/* How soon a waiting deletion looks again when no watch event comes (a safety net). */
#define FINAL_RETRY_MS 5000


int
dbi_final_name(const cJSON *dbi, char *buf, size_t len)
{
    const char *name = kjson_path_str(dbi, "metadata", "name", NULL);
    const char *uid = kjson_path_str(dbi, "metadata", "uid", NULL);
    int         n;

    if (!name || !uid || strlen(uid) < 8)
        return CORE_EINVAL;
    n = snprintf(buf, len, "%s-final-%.8s", name, uid);
    return n < 0 || (size_t)n >= len ? CORE_ETOOBIG : CORE_OK;
}


cJSON *
dbi_build_instance_snapshot(const cJSON *dbi, const char *snap, const char *label,
                            const char *policy, const char *class_name)
{
    ctrl_bld    b = {0};
    const char *name = kjson_path_str(dbi, "metadata", "name", NULL);
    const char *ns = kjson_path_str(dbi, "metadata", "namespace", NULL);
    const char *uid = kjson_path_str(dbi, "metadata", "uid", NULL);
    cJSON      *o, *meta, *labels, *spec;

    if (!name || !ns || !uid || !uid[0] || !snap || !snap[0] || !label || !policy)
        return NULL;
    o = cJSON_CreateObject();
    ctrl_b_str(&b, o, "apiVersion", DBI_API_VERSION);
    ctrl_b_str(&b, o, "kind", "DBSnapshot");
    meta = ctrl_b_obj(&b, o, "metadata");
    ctrl_b_str(&b, meta, "name", snap);
    ctrl_b_str(&b, meta, "namespace", ns);
    labels = ctrl_b_obj(&b, meta, "labels");
    ctrl_b_str(&b, labels, CTRL_LABEL_MANAGED, CTRL_MANAGED_BY);
    ctrl_b_str(&b, labels, "dbaas.dev/instance", name);
    ctrl_b_str(&b, labels, "dbaas.dev/instance-uid", uid);
    ctrl_b_str(&b, labels, label, "true");
    spec = ctrl_b_obj(&b, o, "spec");
    ctrl_b_str(&b, spec, "instanceName", name);
    ctrl_b_str(&b, spec, "deletionPolicy", policy);
    if (class_name && class_name[0])
        ctrl_b_str(&b, spec, "volumeSnapshotClassName", class_name);
    return ctrl_b_done(&b, o);
}


cJSON *
dbi_build_final_snapshot(const cJSON *dbi)
{
    char final[DBI_NAME_LEN];

    if (dbi_final_name(dbi, final, sizeof final) != CORE_OK)
        return NULL;
    return dbi_build_instance_snapshot(dbi, final, DBI_FINAL_LABEL, "Retain", NULL);
}


/* Ends the run: the deletion waits, and status says on what. */
static void
wait_status(ctrl_run *run, int failed, const char *fmt, const char *a, const char *b)
{
    char   final[DBI_NAME_LEN];
    cJSON *fields = cJSON_CreateObject();

    if (dbi_final_name(ctrl_obj(run), final, sizeof final) == CORE_OK && fields)
        cJSON_AddStringToObject(fields, "finalSnapshot", final);
    ctrl_cond(run, CTRL_READY, 0, failed ? "FinalSnapshotFailed" : "TakingFinalSnapshot", fmt, a, b);
    ctrl_cond(run, CTRL_PROGRESSING, !failed, "TakingFinalSnapshot", fmt, a, b);
    if (failed)
        ctrl_cond(run, CTRL_DEGRADED, 1, "FinalSnapshotFailed", fmt, a, b);
    ctrl_requeue_after(run, FINAL_RETRY_MS);
    ctrl_status(run, fields);
}


static void
on_created(const kops_result *res, void *data)
{
    ctrl_run *run = data;
    char      final[DBI_NAME_LEN];

    if (dbi_final_name(ctrl_obj(run), final, sizeof final) != CORE_OK)
        final[0] = '\0';
    if (res->err && res->status != 409 && (res->status < 400 || res->status >= 500)) {
        ctrl_end(run, WQ_ERROR); /* transport, 5xx: try again */
        return;
    }
    if (res->err && res->status != 409) {
        wait_status(run, 1,
                    "the final DBSnapshot %s could not be created: %s; to delete without it, set "
                    "spec.deletionPolicy to Delete (the data goes) or Retain (the volume stays)",
                    final, res->message);
        return;
    }
    ctrl_event(run, "Normal", "TakingFinalSnapshot",
               "deletionPolicy Snapshot: the final DBSnapshot was created");
    wait_status(run, 0, "waiting for the final DBSnapshot %s to be ready before the volume goes%s",
                final, "");
}


static void
on_final(ctrl_run *run, const cJSON *snap)
{
    const cJSON *st = kjson_path(snap, "status", NULL);
    const char  *ready = kjson_get_str(ctrl_condition_find(st, "Ready"), "status");
    const char  *degraded = kjson_get_str(ctrl_condition_find(st, "Degraded"), "status");
    const char  *stalled = kjson_get_str(ctrl_condition_find(st, "Stalled"), "status");
    const char  *msg = kjson_get_str(ctrl_condition_find(st, "Ready"), "message");
    kops_target  t = {
         rt_client(ctrl_runtime(run)), &DBI_KRES_DBSNAPSHOTS, ctrl_ns(run), NULL, NULL, 1, 0};
    char   final[DBI_NAME_LEN], event[CTRL_MSG_MAX];
    cJSON *desired;

    if (dbi_final_name(ctrl_obj(run), final, sizeof final) != CORE_OK) {
        ctrl_end(run, WQ_ERROR);
        return;
    }
    if (!snap) {
        desired = dbi_build_final_snapshot(ctrl_obj(run));
        if (!desired || kops_create(&t, desired, on_created, run))
            ctrl_end(run, WQ_ERROR);
        cJSON_Delete(desired);
        return;
    }
    if (ready && strcmp(ready, "True") == 0 &&
        cJSON_IsTrue(kjson_path(snap, "status", "readyToUse", NULL))) {
        snprintf(event, sizeof event,
                 "the final DBSnapshot %s is ready: it holds the data; the volume goes", final);
        ctrl_event(run, "Normal", "FinalSnapshot", event);
        dbi__st(run)->final_done = 1;
        dbi__st(run)->after_final(run);
        return;
    }
    if ((degraded && strcmp(degraded, "True") == 0) || (stalled && strcmp(stalled, "True") == 0)) {
        wait_status(run, 1,
                    "the final DBSnapshot %s failed: %s; to delete without it, set "
                    "spec.deletionPolicy to Delete (the data goes) or Retain (the volume stays)",
                    final, msg ? msg : "no message");
        return;
    }
    wait_status(run, 0, "waiting for the final DBSnapshot %s to be ready before the volume goes%s",
                final, "");
}


void
dbi__final_snapshot(ctrl_run *run, void (*done)(ctrl_run *run))
{
    char final[DBI_NAME_LEN];

    if (dbi_final_name(ctrl_obj(run), final, sizeof final) != CORE_OK) {
        ctrl_end(run, WQ_ERROR);
        return;
    }
    dbi__st(run)->after_final = done;
    ctrl_read_named(run, &DBI_KRES_DBSNAPSHOTS, final, on_final);
}
