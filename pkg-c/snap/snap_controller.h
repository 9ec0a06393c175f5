/*
 * The DBSnapshot controller: registers with the runtime and turns each DBSnapshot into a
 * VolumeSnapshot of its DBInstance's data claim, owned by the DBSnapshot, and mirrors that
 * VolumeSnapshot in the DBSnapshot's status (snap.h).
 *
 * Before the VolumeSnapshot exists it reads, by name (ctrl_read_named, so a change of either
 * reconciles the DBSnapshot), the DBInstance and its claim: a missing DBInstance
 * (InstanceNotFound), one being deleted (InstanceDeleting; unless this is its final
 * snapshot: SNAP_LABEL_FINAL and its uid in SNAP_LABEL_INSTANCE_UID), a claim that is not the
 * instance's (VolumeNotOwned) are refused with Ready False, Stalled; a claim not there or not
 * bound yet waits (WaitingForVolume); the VolumeSnapshot CRD not served gives
 * SnapshotCRDMissing, and the runtime reconciles again when it appears. Once the
 * VolumeSnapshot exists only it is looked at: the DBInstance may go.
 *
 * Deletion: Delete leaves the VolumeSnapshot to the garbage collector (its ownerReference);
 * Retain, and a deletion because the DBSnapshot CRD is being deleted, cut it loose (the
 * ownerReference is removed) and keep it.
 */
#ifndef DBAAS_SNAP_CONTROLLER_H
#define DBAAS_SNAP_CONTROLLER_H

#include "kres/kres.h"
#include "runtime/runtime.h"

#define SNAP_CTL_NAME "dbsnapshot"

extern const kres KRES_DBSNAPSHOTS;
extern const kres KRES_VOLUMESNAPSHOTS;

/* namespace NULL: all namespaces. Call from the runtime's setup callback. CORE_ENOMEM and
 * what ctrl_new and ctrl_watch_children return. */
int snap_controller_setup(rt *r, const char *namespace);

#endif
