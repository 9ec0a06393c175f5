/*
 * ctrl_metrics: per-object gauges for /metrics, fed by ctrl's status step for every kind
 * (part of ctrl). One object's series, all labelled kind, namespace, name:
 *
 *   dbaas_object_info{kind,namespace,name,engine,version} 1
 *   dbaas_object_ready                               1 when condition Ready is True, else 0
 *   dbaas_object_storage_requested_bytes             spec.storage.size
 *   dbaas_object_storage_bytes                       status.storageSize (the claim's
 *                                                    capacity), or a snapshot's restoreSize
 *   dbaas_object_replicas                            spec.replicas (HACluster); 0 when
 *                                                    spec.stopped is true (a DBInstance
 *                                                    stopped on purpose)
 *   dbaas_object_ready_replicas                      status.readyReplicas
 *   dbaas_object_last_snapshot_timestamp_seconds     status.lastBackup (DBInstance), or
 *                                                    status.creationTime of a DBSnapshot
 *                                                    that is readyToUse
 *
 * A series whose source field is absent is absent. The series are set (or removed) each
 * time the status step runs, with a hash lookup each, and removed when the object leaves the cache (deleted), so cardinality
 * is bounded by the number of objects (at most METRICS_MAX_SERIES per family; past that
 * new objects go unmeasured). The engine label is spec.engine, else the kind's
 * ctrl_kind.engine; version is status.currentVersion, else spec.version.
 * Threads: the loop thread, as metrics.
 */
#ifndef DBAAS_CTRL_METRICS_H
#define DBAAS_CTRL_METRICS_H

#include <cjson/cJSON.h>

#include "metrics/metrics.h"

typedef struct {
    const char *engine, *version; /* point into obj or status, or "" */
    int         ready;
    int         has_requested, has_storage, has_replicas, has_ready_replicas, has_snapshot;
    double      requested_bytes, storage_bytes, replicas, ready_replicas;
    double      snapshot_time; /* Unix seconds */
} ctrl_metrics_values;

typedef struct {
    metrics_gauge_vec *info, *ready, *requested, *storage, *replicas, *ready_replicas, *snapshot;
} ctrl_metrics;

/* The values for obj (the primary object) with status (the status being written; may be
 * NULL). default_engine may be NULL. Pure; fields that do not parse are absent. */
void ctrl_metrics_values_of(const cJSON *obj, const cJSON *status, const char *default_engine,
                            ctrl_metrics_values *out);

/* The families in r, registered by the first caller and found by the next (every
 * controller of one runtime shares them). CORE_EINVAL (a name taken by another type),
 * CORE_ENOMEM. */
int ctrl_metrics_families(metrics_registry *r, ctrl_metrics *out);

/* Sets the object's series to v's (absent fields: removed; an info series of another engine
 * or version: replaced). Errors (a full family) leave it unmeasured. */
void ctrl_metrics_observe(const ctrl_metrics *m, const char *kind, const char *ns, const char *name,
                          const ctrl_metrics_values *v);

/* Removes every series of the object. */
void ctrl_metrics_forget(const ctrl_metrics *m, const char *kind, const char *ns, const char *name);

/* dbaas_build_info{version} 1, once per registry. CORE_EINVAL when already registered. */
int ctrl_metrics_build_info(metrics_registry *r, const char *version);

#endif
