/*
 * The DBSnapshot controller (snap_controller.h) on the ctrl toolkit.
 */
#include "snap/snap_controller.h"

#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "ctrl/ctrl.h"
#include "ctrl/ctrl_named.h"
#include "kjson/kjson.h"
#include "kops/kops.h"
#include "log/log.h"
#include "runtime/runtime.h"
#include "snap/snap.h"

const kres        KRES_DBSNAPSHOTS = {"dbaas.dev", "v1alpha1", "dbsnapshots", SNAP_KIND, 1};
const kres        KRES_VOLUMESNAPSHOTS = {"snapshot.storage.k8s.io", "v1", "volumesnapshots",
                                          "VolumeSnapshot", 1};
/* The DBInstance kind, named here because a kind does not include another (pkg-c/README). */
static const kres DBINSTANCES = {"dbaas.dev", "v1alpha1", "dbinstances", "DBInstance", 1};

typedef struct {
    informer *vs;
} snap_ctl;

typedef struct {
    snap_spec spec;
    cJSON    *vs;       /* the live VolumeSnapshot when it exists and is ours */
    cJSON    *instance; /* the DBInstance, once read */
    char      claim[SNAP_NAME_LEN];
} snap_run;


static snap_run *
st(ctrl_run *run)
{
    return ctrl_state(run);
}


static void
state_free(ctrl_run *run)
{
    snap_run *s = st(run);

    cJSON_Delete(s->vs);
    cJSON_Delete(s->instance);
    s->vs = s->instance = NULL;
}


/* status.source: as recorded, else from the instance when it is the one the VolumeSnapshot
 * copied (uid label), else none. */
static cJSON *
source_of(ctrl_run *run, const cJSON *vs)
{
    const cJSON *old = kjson_path(ctrl_obj(run), "status", "source", NULL);
    const char  *uid = kjson_path_str(vs, "metadata", "labels", SNAP_LABEL_INSTANCE_UID, NULL);
    snap_source  src;

    if (cJSON_IsObject(old))
        return cJSON_Duplicate(old, 1);
    if (st(run)->instance && snap_source_read(st(run)->instance, &src) == CORE_OK && uid &&
        strcmp(uid, src.uid) == 0)
        return snap_source_json(&src);
    return NULL;
}


/* Ends the run with the conditions and fields the VolumeSnapshot vs (NULL: none yet) says. */
static void
mirror(ctrl_run *run, const cJSON *vs)
{
    snap_verdict v;

    if (vs) {
        snap_status_eval(vs, &v);
        ctrl_cond(run, CTRL_READY, v.ready, v.reason, "%s", v.message);
        ctrl_cond(run, CTRL_PROGRESSING, v.progressing, v.reason, "%s", v.message);
        ctrl_cond(run, CTRL_DEGRADED, v.degraded, v.reason, "%s", v.message);
        if (!v.ready && !v.degraded)
            ctrl_requeue_after(run, 30000); /* the watch tells; this is a safety net */
    }
    ctrl_status(run, snap_status_fields(ctrl_name(run), vs, vs ? source_of(run, vs) : NULL));
}


static void
waiting(ctrl_run *run, const char *reason, const char *what)
{
    ctrl_cond(run, CTRL_READY, 0, reason, "%s", what);
    ctrl_cond(run, CTRL_PROGRESSING, 1, reason, "%s", what);
    ctrl_status(run, NULL);
}


static void
on_applied(ctrl_run *run, const cJSON *vs, int written)
{
    snap_run *s = st(run);

    if (vs && !s->vs)
        s->vs = cJSON_Duplicate(vs, 1);
    if (vs && written)
        ctrl_event(run, "Normal", "SnapshotCreated", "the VolumeSnapshot was created");
}


static void
on_labelled(const kops_result *res, void *data)
{
    ctrl_run *run = data;

    if (res->err) {
        ctrl_end(run, WQ_ERROR); /* a 409: changed meanwhile; the next run reads it fresh */
        return;
    }
    mirror(run, st(run)->vs);
}


/* The DBSnapshot carries its instance's name and uid in labels too (SNAP_LABEL_INSTANCE,
 * SNAP_LABEL_INSTANCE_UID), so that snapshots are found by instance uid, never by name
 * alone: one merge patch with the resourceVersion as precondition, when they are missing. */
static int
label_self(ctrl_run *run, const char *uid)
{
    const cJSON *labels = kjson_path(ctrl_obj(run), "metadata", "labels", NULL);
    const char  *rv = kjson_resource_version(ctrl_obj(run));
    kops_target  t = {
         rt_client(ctrl_runtime(run)), &KRES_DBSNAPSHOTS, ctrl_ns(run), ctrl_name(run), NULL, 1, 0};
    cJSON *patch, *meta, *l;
    int    rc;

    if (kjson_get_str(labels, SNAP_LABEL_INSTANCE) && kjson_get_str(labels, SNAP_LABEL_INSTANCE_UID))
        return 0;
    patch = cJSON_CreateObject();
    meta = cJSON_AddObjectToObject(patch, "metadata");
    l = cJSON_AddObjectToObject(meta, "labels");
    if (!l || !rv || !cJSON_AddStringToObject(l, SNAP_LABEL_INSTANCE, st(run)->spec.instance) ||
        !cJSON_AddStringToObject(l, SNAP_LABEL_INSTANCE_UID, uid) ||
        !cJSON_AddStringToObject(meta, "resourceVersion", rv)) {
        cJSON_Delete(patch);
        return 0; /* out of memory: the next run tries again */
    }
    rc = kops_merge_patch(&t, patch, on_labelled, run);
    cJSON_Delete(patch);
    return rc == CORE_OK;
}


static void
after_apply(ctrl_run *run)
{
    snap_source src;

    if (ctrl_refused(run)) {
        ctrl_status(run, NULL);
        return;
    }
    if (!st(run)->vs) {
        /* Not written and not refused: the resource went away under the apply (its CRD was
         * deleted: a 404). Try again; the next run sees what the informer says. */
        ctrl_end(run, WQ_ERROR);
        return;
    }
    if (snap_source_read(st(run)->instance, &src) == CORE_OK && label_self(run, src.uid))
        return; /* on_labelled ends the run */
    mirror(run, st(run)->vs);
}


static void
on_claim(ctrl_run *run, const cJSON *claim)
{
    snap_run   *s = st(run);
    const char *owner = kjson_path_str(claim, "metadata", "labels", CTRL_LABEL_INSTANCE, NULL);
    const char *phase = kjson_path_str(claim, "status", "phase", NULL);
    char        msg[CTRL_MSG_MAX];
    snap_source src;

    if (!claim) {
        snprintf(msg, sizeof msg,
                 "the DBInstance %s has no data volume yet (PersistentVolumeClaim %s)",
                 s->spec.instance, s->claim);
        waiting(run, "WaitingForVolume", msg);
        return;
    }
    if (!owner || strcmp(owner, s->spec.instance) != 0 ||
        !kjson_path_str(claim, "metadata", "labels", CTRL_LABEL_MANAGED, NULL)) {
        ctrl_refuse(run, 0, "VolumeNotOwned",
                    "the PersistentVolumeClaim %s is not the data volume of the DBInstance %s "
                    "(label %s is %s)",
                    s->claim, s->spec.instance, CTRL_LABEL_INSTANCE, owner ? owner : "missing");
        ctrl_status(run, NULL);
        return;
    }
    if (!phase || strcmp(phase, "Bound") != 0) {
        snprintf(msg, sizeof msg,
                 "waiting for the PersistentVolumeClaim %s of the DBInstance %s to be bound",
                 s->claim, s->spec.instance);
        waiting(run, "WaitingForVolume", msg);
        return;
    }
    snap_source_read(s->instance, &src); /* checked in on_instance */
    ctrl_apply(run, &KRES_VOLUMESNAPSHOTS, ((snap_ctl *)ctrl_data(run))->vs,
               snap_build_volumesnapshot(&s->spec, ctrl_obj(run), s->claim, src.uid), on_applied);
    ctrl_then(run, after_apply);
}


/* Whether the DBSnapshot is dbi's own final snapshot (its deletionPolicy Snapshot made it):
 * labelled final and with dbi's uid. */
static int
final_of(ctrl_run *run, const cJSON *dbi)
{
    const cJSON *labels = kjson_path(ctrl_obj(run), "metadata", "labels", NULL);
    const char  *final = kjson_get_str(labels, SNAP_LABEL_FINAL);
    const char  *uid = kjson_get_str(labels, SNAP_LABEL_INSTANCE_UID);
    const char  *own = kjson_path_str(dbi, "metadata", "uid", NULL);

    return final && strcmp(final, "true") == 0 && uid && own && strcmp(uid, own) == 0;
}


static void
on_instance(ctrl_run *run, const cJSON *dbi)
{
    snap_run   *s = st(run);
    snap_source src;

    if (!dbi) {
        ctrl_refuse(run, 0, "InstanceNotFound",
                    "the DBInstance %s does not exist in namespace %s; the snapshot is taken once it does",
                    s->spec.instance, ctrl_ns(run));
        ctrl_status(run, NULL);
        return;
    }
    if (kjson_path(dbi, "metadata", "deletionTimestamp", NULL) && !final_of(run, dbi)) {
        ctrl_refuse(run, 0, "InstanceDeleting",
                    "the DBInstance %s is being deleted; only its own deletionPolicy Snapshot "
                    "takes a snapshot of it now",
                    s->spec.instance);
        ctrl_status(run, NULL);
        return;
    }
    if (snap_source_read(dbi, &src) != CORE_OK) {
        ctrl_refuse(run, 0, "InvalidInstance", "the DBInstance %s has no uid, engine or version",
                    s->spec.instance);
        ctrl_status(run, NULL);
        return;
    }
    s->instance = cJSON_Duplicate(dbi, 1);
    if (!s->instance) {
        ctrl_end(run, WQ_ERROR);
        return;
    }
    ctrl_read_named(run, &KRES_PVCS, s->claim, on_claim);
}


/* A VolumeSnapshot of ours with no status.source recorded yet: the instance tells it. */
static void
on_instance_for_source(ctrl_run *run, const cJSON *dbi)
{
    snap_run *s = st(run);

    if (dbi)
        s->instance = cJSON_Duplicate(dbi, 1);
    mirror(run, s->vs);
}


static void
on_vs(ctrl_run *run, const cJSON *vs, int written)
{
    (void)written;
    if (vs && !st(run)->vs)
        st(run)->vs = cJSON_Duplicate(vs, 1);
}


static void
after_vs(ctrl_run *run)
{
    snap_run *s = st(run);

    if (ctrl_refused(run)) {
        ctrl_status(run, NULL);
        return;
    }
    if (s->vs && kjson_path(ctrl_obj(run), "status", "source", NULL)) {
        mirror(run, s->vs);
        return;
    }
    ctrl_read_named(run, &DBINSTANCES, s->spec.instance, s->vs ? on_instance_for_source : on_instance);
}


static void
snap_sync(ctrl_run *run)
{
    snap_run *s = st(run);
    snap_ctl *d = ctrl_data(run);
    char      err[600];

    if (snap_spec_parse(ctrl_obj(run), &s->spec, err, sizeof err) != CORE_OK) {
        ctrl_refuse(run, 0, "InvalidSpec", "%s", err);
        ctrl_status(run, NULL);
        return;
    }
    if (!informer_installed(d->vs)) {
        ctrl_refuse(run, 0, "SnapshotCRDMissing",
                    "the VolumeSnapshot CRD (volumesnapshots.snapshot.storage.k8s.io) is not "
                    "installed: install the CSI external-snapshotter's CRDs and "
                    "snapshot-controller; the snapshot is taken once it is");
        ctrl_status(run, NULL);
        return;
    }
    if (snap_claim_name(s->spec.instance, s->claim, sizeof s->claim) != CORE_OK) {
        ctrl_refuse(run, 0, "InvalidSpec", "spec.instanceName is too long");
        ctrl_status(run, NULL);
        return;
    }
    /* A GET for a VolumeSnapshot the cache lacks (not ctrl_check_to_create): a taken one
     * decides more than its create (mirror), and an absence would be reported wrongly. */
    ctrl_check(run, &KRES_VOLUMESNAPSHOTS, d->vs, ctrl_name(run), on_vs);
    ctrl_then(run, after_vs);
}


/* --- deletion ---------------------------------------------------------------------- */

static void
after_cleanup(ctrl_run *run)
{
    if (ctrl_refused(run)) {
        ctrl_status(run, NULL);
        return;
    }
    ctrl_finalized(run);
}


/* Keep the VolumeSnapshot (and so its content): cut it loose from the DBSnapshot. */
static void
keep(ctrl_run *run, const char *why)
{
    snap_ctl *d = ctrl_data(run);
    cJSON    *live = ctrl_cached(run, d->vs, ctrl_name(run));

    if (live && ctrl_controls(run, live)) {
        ctrl_patch(run, &KRES_VOLUMESNAPSHOTS, live,
                   cJSON_Parse("{\"metadata\":{\"ownerReferences\":null}}"));
        ctrl_event(run, "Normal", "Retained", why);
    }
    cJSON_Delete(live);
    ctrl_then(run, after_cleanup);
}


static void
finalize(ctrl_run *run)
{
    const char *policy = kjson_path_str(ctrl_obj(run), "spec", "deletionPolicy", NULL);

    if (policy && strcmp(policy, "Retain") == 0) {
        keep(run, "deletionPolicy Retain: the VolumeSnapshot and its content are kept");
        return;
    }
    /* Delete: the garbage collector removes the VolumeSnapshot it owns. */
    log_obj(LOG_INFO, SNAP_CTL_NAME, ctrl_key(run),
            "the VolumeSnapshot goes with it (deletionPolicy Delete)", NULL);
    ctrl_finalized(run);
}


static void
retain(ctrl_run *run)
{
    keep(run, "the DBSnapshot CRD is being deleted: the VolumeSnapshot and its content are kept");
}


static const ctrl_kind snap_kind = {
    .name = SNAP_CTL_NAME,
    .res = &KRES_DBSNAPSHOTS,
    .finalizer = SNAP_FINALIZER,
    .state_size = sizeof(snap_run),
    .sync = snap_sync,
    .finalize = finalize,
    .retain = retain,
    .state_free = state_free,
};


int
snap_controller_setup(rt *r, const char *namespace)
{
    snap_ctl *d = calloc(1, sizeof *d);
    ctrl     *c;
    int       rc;

    if (!d)
        return CORE_ENOMEM;
    if ((rc = rt_on_cleanup(r, free, d))) {
        free(d);
        return rc;
    }
    if ((rc = ctrl_new(r, &snap_kind, namespace, d, &c)) ||
        (rc = ctrl_watch_children(c, &KRES_VOLUMESNAPSHOTS, &d->vs)))
        return rc;
    return CORE_OK;
}
