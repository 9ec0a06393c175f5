/*
 * snap: the DBSnapshot API (dbaas.dev/v1alpha1), the pure builder of its VolumeSnapshot and
 * the evaluation of its status from the VolumeSnapshot.
 *
 * A DBSnapshot is a crash-consistent copy of a DBInstance's data volume (the claim
 * "data-<instance>-0" its StatefulSet made) as a CSI VolumeSnapshot of the same name, owned by
 * the DBSnapshot. The DBSnapshot is not owned by its DBInstance (a backup outlives it): the
 * instance's name and uid travel in labels (SNAP_LABEL_INSTANCE, SNAP_LABEL_INSTANCE_UID) on
 * the VolumeSnapshot, and its engine, version, size, database, username and uid in
 * status.source, read once when the VolumeSnapshot is made.
 *
 * Nothing here does I/O. snap_spec_parse fills a snap_spec whose strings point into the cJSON
 * it was given; snap_source_read likewise into the DBInstance. Builders return a new cJSON
 * tree the caller frees, or NULL when out of memory or the owner has no name or uid.
 * VolumeSnapshot API: snapshot.storage.k8s.io/v1 (kubernetes-csi/external-snapshotter,
 * client/v8 config/crd).
 */
#ifndef DBAAS_SNAP_H
#define DBAAS_SNAP_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "ctrl/ctrl.h"

#define SNAP_API_VERSION        "dbaas.dev/v1alpha1"
#define SNAP_KIND               "DBSnapshot"
#define SNAP_FINALIZER          "dbaas.dev/dbsnapshot"
#define SNAP_APP                "dbsnapshot"
#define SNAP_VS_API_VERSION     "snapshot.storage.k8s.io/v1"
/* On the VolumeSnapshot: the DBInstance it copies, by name and by uid (a DBInstance of the
 * same name made later is another one). */
#define SNAP_LABEL_INSTANCE     "dbaas.dev/instance"
#define SNAP_LABEL_INSTANCE_UID "dbaas.dev/instance-uid"
/* On a DBInstance's final DBSnapshot (deletionPolicy Snapshot; dbi_final.h writes the same
 * literal): the one snapshot taken of an instance being deleted. */
#define SNAP_LABEL_FINAL        "dbaas.dev/final-snapshot"
/* Room for "data-<63 characters>-0". */
#define SNAP_NAME_LEN           80

typedef struct {
    const char *name;
    const char *namespace;
    const char *instance; /* spec.instanceName */
    const char *klass;    /* spec.volumeSnapshotClassName or NULL (the driver's default) */
    int         retain;   /* spec.deletionPolicy Retain (default Delete) */
} snap_spec;

/* What status.source records of the DBInstance; strings point into the DBInstance. */
typedef struct {
    const char *engine;
    const char *version;
    const char *storage_size;  /* spec.storage.size, "1Gi" when unset (the DBInstance default) */
    const char *database;      /* NULL when unset */
    const char *username;      /* "app" when unset (the DBInstance default) */
    const char *storage_class; /* spec.storage.storageClassName, "" when unset (the default
                                * class): a restore must use the same class, whose CSI driver
                                * holds the snapshot */
    const char *uid;
} snap_source;

/*
 * Reads and checks a DBSnapshot. CORE_EINVAL with a one-line message naming the field when
 * metadata.name is missing, spec.instanceName is missing or not a DNS-1035 label, or
 * spec.deletionPolicy is neither Delete nor Retain (what the schema lets through, it checks
 * again: the operator refuses with InvalidSpec what slipped past).
 */
int snap_spec_parse(const cJSON *obj, snap_spec *out, char *err, size_t errlen);

/* What status.source keeps of the DBInstance dbi. CORE_EINVAL when it has no uid, engine
 * or version. */
int snap_source_read(const cJSON *dbi, snap_source *out);

/* status.source as an object (members only for what is set), or NULL out of memory. */
cJSON *snap_source_json(const snap_source *src);

/* The data claim of a DBInstance: "data-<instance>-0" (its StatefulSet "<instance>" with the
 * volumeClaimTemplate "data", ordinal 0). CORE_ETOOBIG. */
int snap_claim_name(const char *instance, char *buf, size_t len);

/*
 * The VolumeSnapshot "<DBSnapshot name>" of claim, controlled by owner (the DBSnapshot),
 * with the standard labels plus the instance's name and uid (instance_uid), and the class
 * when the spec names one. Deterministic.
 */
cJSON *snap_build_volumesnapshot(const snap_spec *s, const cJSON *owner, const char *claim,
                                 const char *instance_uid);

/* What the VolumeSnapshot says, for the Ready, Progressing and Degraded conditions: one
 * reason (a static CamelCase string) and one message for all three. */
typedef struct {
    int         ready, progressing, degraded;
    const char *reason;
    char        message[CTRL_MSG_MAX];
} snap_verdict;

/*
 * The verdict on the VolumeSnapshot vs (not NULL): ready (SnapshotReady) when
 * status.readyToUse; degraded (SnapshotFailed, or NoSnapshotClass when the snapshot-controller
 * found no class for the volume's driver) with status.error.message while it is not ready;
 * else in progress (SnapshotInProgress).
 */
void snap_status_eval(const cJSON *vs, snap_verdict *v);

/* The status members mirrored from vs (may be NULL): volumeSnapshotName, readyToUse,
 * restoreSize, creationTime, error; plus source (taken; may be NULL). NULL out of memory. */
cJSON *snap_status_fields(const char *vs_name, const cJSON *vs, cJSON *source);

#endif
