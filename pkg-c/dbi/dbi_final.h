/*
 * dbi_final: deletionPolicy Snapshot, the final DBSnapshot taken before a DBInstance's volume
 * goes (issue 12). Internal to the DBInstance controller.
 *
 * The final DBSnapshot is "<name>-final-<first 8 characters of the DBInstance's uid>" (one per
 * DBInstance, so a restart or a second run makes no second one), deletionPolicy Retain, not
 * owned by the DBInstance (it must outlive it), labelled with the instance's name and uid and
 * DBI_FINAL_LABEL, which lets the DBSnapshot controller snapshot an instance being deleted.
 * It is created without force (POST; a 409 means it exists). While it is not ready the
 * deletion waits (Progressing, TakingFinalSnapshot; status.finalSnapshot names it). When the
 * DBSnapshot is Degraded or Stalled (no class, the driver's error, its CRD missing) the
 * deletion waits with Degraded, reason FinalSnapshotFailed and the DBSnapshot's message; the
 * way out is to set spec.deletionPolicy to Delete or Retain on the DBInstance being deleted,
 * which the next run follows. Once it is ready, an Event FinalSnapshot names it and the
 * deletion goes on (the claim is deleted, the credentials Secret kept, cut loose, so that a
 * restore from the snapshot finds the passwords of its data).
 */
#ifndef DBAAS_DBI_FINAL_H
#define DBAAS_DBI_FINAL_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "ctrl/ctrl.h"

/* On the final DBSnapshot; the DBSnapshot controller reads the same literal (snap.h). */
#define DBI_FINAL_LABEL "dbaas.dev/final-snapshot"

/* The final DBSnapshot's name for the DBInstance dbi. CORE_EINVAL without name or uid,
 * CORE_ETOOBIG. */
int dbi_final_name(const cJSON *dbi, char *buf, size_t len);

/* The final DBSnapshot of dbi (pure): a new object, NULL out of memory or without name,
 * namespace or uid. dbi_build_instance_snapshot with DBI_FINAL_LABEL, Retain, no class. */
cJSON *dbi_build_final_snapshot(const cJSON *dbi);

/*
 * A DBSnapshot of the DBInstance dbi (pure; the final one and the scheduled ones,
 * dbi_schedule.c): named snap in dbi's namespace, not owned by dbi (it outlives it), labelled
 * managed-by, dbaas.dev/instance (dbi's name), dbaas.dev/instance-uid (dbi's uid: what
 * retention and ctrl_delete_marked go by) and label=true; spec.deletionPolicy policy;
 * spec.volumeSnapshotClassName class_name unless NULL or "" (the driver's default class).
 * A new object; NULL out of memory or without dbi's name, namespace or uid, snap or label.
 */
cJSON *dbi_build_instance_snapshot(const cJSON *dbi, const char *snap, const char *label,
                                   const char *policy, const char *class_name);

/* Runs done(run) once the final DBSnapshot is ready; else ends the run with its status
 * (see above). */
void dbi__final_snapshot(ctrl_run *run, void (*done)(ctrl_run *run));

#endif
