/*
 * dbi_volume: what a DBInstance's PersistentVolume does when its claim goes.
 *
 * deletionPolicy Retain promises that the data outlives the DBInstance, but the promise is
 * kept only by the claim: a namespace deleted with the DBInstance in it removes the claim
 * without asking us, and a PV whose reclaim policy is Delete (most StorageClasses' default)
 * goes with it. So while the policy is Retain (or Snapshot, until snapshots exist) and the
 * claim is Bound, the operator sets the bound PV's persistentVolumeReclaimPolicy to Retain,
 * records the policy it found in DBI_PV_ORIGINAL_POLICY, and records on the PV what it holds
 * (the claim's dbaas.dev/ annotations, then the instance's namespace, name, engine, version,
 * database, username and uid where the claim has none), so a volume left Released can be told
 * apart and re-bound by hand. When a DBInstance whose policy is Delete is deleted, the PV gets
 * back the reclaim policy recorded there before its claim is deleted; a PV that was Retain
 * before we saw it is never changed to Delete.
 *
 * The pure parts (the patches) are unit-tested; dbi_volume_keep does the I/O: one GET of the
 * PV by name and, when something differs, one merge patch with the PV's resourceVersion as a
 * precondition (RBAC: get and patch on persistentvolumes). Only a PV whose claimRef names the
 * claim by uid is touched.
 */
#ifndef DBAAS_DBI_VOLUME_H
#define DBAAS_DBI_VOLUME_H

#include <cjson/cJSON.h>

#include "ctrl/ctrl.h"

/* The reclaim policy a PV had before the operator set it to Retain. */
#define DBI_PV_ORIGINAL_POLICY "dbaas.dev/original-reclaim-policy"
#define DBI_PV_NAMESPACE       "dbaas.dev/instance-namespace"
#define DBI_PV_NAME            "dbaas.dev/instance-name"
#define DBI_PV_ENGINE          "dbaas.dev/engine"
#define DBI_PV_VERSION         "dbaas.dev/version"
#define DBI_PV_DATABASE        "dbaas.dev/database"
#define DBI_PV_USERNAME        "dbaas.dev/username"
#define DBI_PV_UID             "dbaas.dev/source-uid"

extern const kres KRES_PVS;

typedef enum {
    DBI_VOLUME_RETAIN,  /* keep the data when the claim goes */
    DBI_VOLUME_RESTORE, /* give back the reclaim policy recorded in DBI_PV_ORIGINAL_POLICY */
} dbi_volume_mode;

/* Whether pv is bound to claim: its spec.claimRef has the claim's uid. */
int dbi_volume_bound_to(const cJSON *pv, const cJSON *claim);

/*
 * The merge patch (metadata.resourceVersion of pv included) that makes pv, bound to claim
 * of the DBInstance dbi, keep its data and say what it holds; *out NULL when pv is already
 * so. CORE_ENOMEM. The caller frees *out.
 */
int dbi_volume_retain_patch(const cJSON *pv, const cJSON *claim, const cJSON *dbi, cJSON **out);

/*
 * The merge patch that gives pv back the reclaim policy recorded in DBI_PV_ORIGINAL_POLICY
 * (when pv is still Retain: a policy someone set since is left alone) and drops that
 * annotation; *out NULL when there is no record. CORE_ENOMEM.
 */
int dbi_volume_restore_patch(const cJSON *pv, cJSON **out);

/*
 * Does mode to the PV bound to claim (a claim as cached: Bound with spec.volumeName, else
 * nothing to do), then runs next(run). A refused write is a refusal of the run
 * (VolumeNotRetained, with the server's message: status tells, next still runs); a
 * transport failure or a 409 ends the run with backoff instead.
 */
void dbi_volume_keep(ctrl_run *run, const cJSON *claim, dbi_volume_mode mode,
                     void (*next)(ctrl_run *run));

#endif
