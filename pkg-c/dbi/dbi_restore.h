/*
 * dbi_restore: a DBInstance that starts from a DBSnapshot (spec.restoreFrom.snapshot), checked
 * before anything is created (issue 12). Internal to the DBInstance controller.
 *
 * While the instance has neither its StatefulSet nor its data claim, dbi__restore reads the
 * DBSnapshot the spec names (watched by name from then on, ctrl_read_named) and goes on with
 * next only when it can be restored from:
 *   - missing, or not readyToUse: Ready False, Progressing True, reason WaitingForSnapshot;
 *     the run ends and the DBSnapshot's change brings the next one;
 *   - not readyToUse and Stalled or Degraded True (it cannot be taken, or its VolumeSnapshot
 *     failed): refused as SnapshotFailed (Stalled) with the snapshot's reason and message;
 *     its change still brings the next run, which proceeds once it is ready;
 *   - another engine, another major version (dbi_major), a restoreSize above spec.storage.size
 *     (an unset size counts as the 1Gi default: set it), or another username or database
 *     than the source instance had (the data holds that user and database): InvalidSpec
 *     naming both values, Ready False;
 *   - spec.storage.storageClassName other than the source's (status.source.storageClassName,
 *     "" for the default class; not checked for snapshots recorded before that field): a
 *     class of another provisioner ignores the claim's dataSource and binds an empty volume,
 *     so the restore is refused as InvalidSpec naming both classes;
 *   - credentials: the data holds the source instance's passwords, so without
 *     spec.credentialsSecretRef the run takes them from the source's Secret
 *     "<source>-credentials" when it is still the source's (its controller's uid is the
 *     snapshot's status.source.instanceUID, or it was retained and carries the source's
 *     instance label), by naming it as the run's credentials Secret (dbi_credentials.c then
 *     copies its passwords into ours, as for credentialsSecretRef); else InvalidSpec asks for
 *     spec.credentialsSecretRef.
 * The claim's dataSource is then the VolumeSnapshot of the DBSnapshot (same name; see
 * dbi_build_statefulset). Once the StatefulSet or the claim exists, nothing is checked again.
 */
#ifndef DBAAS_DBI_RESTORE_H
#define DBAAS_DBI_RESTORE_H

#include "ctrl/ctrl.h"

/* Runs next(run) at once when the instance does not restore or is already created; else
 * after the checks above pass, or ends the run with its status. */
void dbi__restore(ctrl_run *run, void (*next)(ctrl_run *run));

#endif
