/*
 * dbi_volume: the bound PersistentVolume of a DBInstance, kept when the policy says Retain.
 * See dbi_volume.h.
 */
#include "dbi_volume.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "dbi/dbi.h"
#include "dbi/dbi_controller.h"
#include "kjson/kjson.h"
#include "kops/kops.h"
#include "log/log.h"

/* How soon a refused PV write is tried again (not backoff: see ctrl_requeue_after). */
#define DBI_VOLUME_RETRY_MS 10000

#define ANN_PREFIX "dbaas.dev/"

const kres KRES_PVS = {"", "v1", "persistentvolumes", "PersistentVolume", 0};

typedef struct {
    ctrl_run       *run;
    dbi_volume_mode mode;
    cJSON          *claim;
    char            pv[256];
    void (*next)(ctrl_run *run);
} keep_op;


int
dbi_volume_bound_to(const cJSON *pv, const cJSON *claim)
{
    const char *ref = kjson_path_str(pv, "spec", "claimRef", "uid", NULL);
    const char *uid = kjson_path_str(claim, "metadata", "uid", NULL);

    return ref && uid && strcmp(ref, uid) == 0;
}


/* Puts key=value into ann when the PV (live annotations have) says otherwise. */
static int
want(cJSON *ann, const cJSON *have, const char *key, const char *value)
{
    const char *now = kjson_get_str(have, key);

    if (!value || cJSON_GetObjectItemCaseSensitive(ann, key) || (now && strcmp(now, value) == 0))
        return CORE_OK;
    return cJSON_AddStringToObject(ann, key, value) ? CORE_OK : CORE_ENOMEM;
}


/* The claim's own dbaas.dev/ annotations win: they say what the data holds. */
static int
want_claims(cJSON *ann, const cJSON *have, const cJSON *claim)
{
    const cJSON *a;
    int          rc = CORE_OK;

    cJSON_ArrayForEach(a, kjson_path(claim, "metadata", "annotations", NULL)) {
        if (rc == CORE_OK && a->string && cJSON_IsString(a) &&
            strncmp(a->string, ANN_PREFIX, strlen(ANN_PREFIX)) == 0 &&
            strcmp(a->string, DBI_PV_ORIGINAL_POLICY) != 0)
            rc = want(ann, have, a->string, a->valuestring);
    }
    return rc;
}


static int
want_instance(cJSON *ann, const cJSON *have, const cJSON *dbi)
{
    const char *version = kjson_path_str(dbi, "status", "currentVersion", NULL);

    if (!version)
        version = kjson_path_str(dbi, "spec", "version", NULL);
    return want(ann, have, DBI_PV_NAMESPACE, kjson_path_str(dbi, "metadata", "namespace", NULL)) ||
           want(ann, have, DBI_PV_NAME, kjson_path_str(dbi, "metadata", "name", NULL)) ||
           want(ann, have, DBI_PV_ENGINE, kjson_path_str(dbi, "spec", "engine", NULL)) ||
           want(ann, have, DBI_PV_VERSION, version) ||
           want(ann, have, DBI_PV_DATABASE, kjson_path_str(dbi, "spec", "database", NULL)) ||
           want(ann, have, DBI_PV_USERNAME, kjson_path_str(dbi, "spec", "username", NULL)) ||
           want(ann, have, DBI_PV_UID, kjson_path_str(dbi, "metadata", "uid", NULL));
}


/* The patch skeleton {"metadata":{"resourceVersion":rv,"annotations":{}}}. */
static cJSON *
patch_new(const cJSON *pv, cJSON **ann)
{
    cJSON      *patch = cJSON_CreateObject();
    cJSON      *meta = cJSON_AddObjectToObject(patch, "metadata");
    const char *rv = kjson_resource_version(pv);

    *ann = cJSON_AddObjectToObject(meta, "annotations");
    if (!*ann || (rv && !cJSON_AddStringToObject(meta, "resourceVersion", rv))) {
        cJSON_Delete(patch);
        return NULL;
    }
    return patch;
}


static const char *
reclaim_policy(const cJSON *pv)
{
    const char *p = kjson_path_str(pv, "spec", "persistentVolumeReclaimPolicy", NULL);

    return p ? p : "Delete";
}


int
dbi_volume_retain_patch(const cJSON *pv, const cJSON *claim, const cJSON *dbi, cJSON **out)
{
    const cJSON *have = kjson_path(pv, "metadata", "annotations", NULL);
    const char  *policy = reclaim_policy(pv);
    int          set_policy = strcmp(policy, "Retain") != 0;
    cJSON       *ann, *patch = patch_new(pv, &ann);
    cJSON       *spec;

    *out = NULL;
    if (!patch)
        return CORE_ENOMEM;
    if (set_policy && want(ann, have, DBI_PV_ORIGINAL_POLICY, policy))
        goto nomem;
    if (want_claims(ann, have, claim) || want_instance(ann, have, dbi))
        goto nomem;
    if (set_policy) {
        spec = cJSON_AddObjectToObject(patch, "spec");
        if (!spec || !cJSON_AddStringToObject(spec, "persistentVolumeReclaimPolicy", "Retain"))
            goto nomem;
    }
    if (!set_policy && cJSON_GetArraySize(ann) == 0) {
        cJSON_Delete(patch); /* already so */
        return CORE_OK;
    }
    *out = patch;
    return CORE_OK;
nomem:
    cJSON_Delete(patch);
    return CORE_ENOMEM;
}


int
dbi_volume_restore_patch(const cJSON *pv, cJSON **out)
{
    const char *orig = kjson_path_str(pv, "metadata", "annotations", DBI_PV_ORIGINAL_POLICY, NULL);
    cJSON      *ann, *patch, *spec;

    *out = NULL;
    if (!orig)
        return CORE_OK; /* not changed by us: someone's choice, left alone */
    if (!(patch = patch_new(pv, &ann)) || !cJSON_AddNullToObject(ann, DBI_PV_ORIGINAL_POLICY))
        goto nomem;
    if (strcmp(reclaim_policy(pv), "Retain") == 0 && strcmp(orig, "Retain") != 0) {
        spec = cJSON_AddObjectToObject(patch, "spec");
        if (!spec || !cJSON_AddStringToObject(spec, "persistentVolumeReclaimPolicy", orig))
            goto nomem;
    }
    *out = patch;
    return CORE_OK;
nomem:
    cJSON_Delete(patch);
    return CORE_ENOMEM;
}


/* --- the I/O ----------------------------------------------------------------------- */

static void
op_end(keep_op *op, int go_on)
{
    ctrl_run *run = op->run;
    void (*next)(ctrl_run * run) = op->next;

    cJSON_Delete(op->claim);
    free(op);
    if (go_on)
        next(run);
    else
        ctrl_end(run, WQ_ERROR);
}


/* A refusal reaches status and the run goes on; a conflict or failure backs off. */
static void
judge(keep_op *op, const kops_result *res, const char *what)
{
    if (res->err == CORE_OK || res->err == CORE_ENOENT) {
        op_end(op, 1);
        return;
    }
    if (res->err == CORE_EHTTP && res->status >= 400 && res->status < 500 && res->status != 429) {
        ctrl_refuse(op->run, 1, "VolumeNotRetained", "PersistentVolume %s could not be %s: %s",
                    op->pv, what, res->message);
        /* PVs are not watched, and a permission granted later is seen by no watch. */
        ctrl_requeue_after(op->run, DBI_VOLUME_RETRY_MS);
        op_end(op, 1);
        return;
    }
    log_obj(LOG_WARN, DBI_CTL_NAME, ctrl_key(op->run), "PersistentVolume write failed", "name",
            op->pv, "error", res->message, NULL);
    op_end(op, 0);
}


static void
on_patched(const kops_result *res, void *data)
{
    keep_op *op = data;

    if (res->err == CORE_OK)
        log_obj(LOG_INFO, DBI_CTL_NAME, ctrl_key(op->run),
                op->mode == DBI_VOLUME_RETAIN ? "PersistentVolume set to Retain"
                                              : "PersistentVolume reclaim policy restored",
                "name", op->pv, NULL);
    judge(op, res, op->mode == DBI_VOLUME_RETAIN ? "set to Retain" : "given back its reclaim policy");
}


static void
on_pv(const kops_result *res, void *data)
{
    keep_op    *op = data;
    cJSON      *patch = NULL;
    kops_target t = {rt_client(ctrl_runtime(op->run)), &KRES_PVS, NULL, op->pv, NULL, 1, 0};
    int         rc;

    if (res->err) {
        judge(op, res, "read");
        return;
    }
    if (!dbi_volume_bound_to(res->obj, op->claim)) {
        op_end(op, 1); /* bound to another claim meanwhile: not ours to change */
        return;
    }
    rc = op->mode == DBI_VOLUME_RETAIN
           ? dbi_volume_retain_patch(res->obj, op->claim, ctrl_obj(op->run), &patch)
           : dbi_volume_restore_patch(res->obj, &patch);
    if (rc || !patch) {
        op_end(op, rc == CORE_OK);
        return;
    }
    rc = kops_merge_patch(&t, patch, on_patched, op);
    cJSON_Delete(patch);
    if (rc)
        op_end(op, 0);
}


void
dbi_volume_keep(ctrl_run *run, const cJSON *claim, dbi_volume_mode mode, void (*next)(ctrl_run *run))
{
    const char *volume = kjson_path_str(claim, "spec", "volumeName", NULL);
    const char *phase = kjson_path_str(claim, "status", "phase", NULL);
    keep_op    *op;
    kops_target t = {rt_client(ctrl_runtime(run)), &KRES_PVS, NULL, NULL, NULL, 0, 0};

    if (!volume || !phase || strcmp(phase, "Bound") != 0) {
        next(run);
        return;
    }
    if (!(op = calloc(1, sizeof *op)) || !(op->claim = cJSON_Duplicate(claim, 1))) {
        free(op);
        ctrl_end(run, WQ_ERROR);
        return;
    }
    op->run = run;
    op->mode = mode;
    op->next = next;
    snprintf(op->pv, sizeof op->pv, "%s", volume);
    t.name = op->pv;
    if (kops_get(&t, on_pv, op))
        op_end(op, 0);
}
