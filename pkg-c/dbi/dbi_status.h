/*
 * The DBInstance status, computed without I/O from the object, its children and what the
 * controller found wrong. Part of the dbi module; the conditions' shape and the status
 * every kind shares come from ctrl_status.
 */
#ifndef DBAAS_DBI_STATUS_H
#define DBAAS_DBI_STATUS_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "ctrl/ctrl_status.h"
#include "dbi/dbi.h"

typedef struct {
    const cJSON    *dbi;  /* the DBInstance as cached (generation, current status) */
    const dbi_spec *spec; /* parsed spec, or NULL when invalid */
    const char  *reason;  /* a refusal (Ready kept): "InvalidSpec", "UnsupportedUpgrade"; or NULL */
    const char  *message; /* its message */
    const cJSON *sts;     /* the StatefulSet as written or cached, or NULL */
    const cJSON *pvc;     /* cached data claim, or NULL */
    const cJSON *pod;     /* cached pod <name>-0, or NULL */
    const cJSON *sts_failed; /* the newest FailedCreate Event about the StatefulSet, or NULL */
    const cJSON *sts_done;   /* its newest SuccessfulCreate or SuccessfulDelete Event, or NULL */
    const cJSON *svc;        /* cached client Service (ours), or NULL */
    int          svc_ours, secret_ours; /* the client Service and credentials Secret exist
                                         * and are ours: status may name them */
    int          deleting;
    const char  *now;   /* RFC 3339, for conditions that change */
    int64_t      now_s; /* Unix seconds, for how long the pod has waited for its claim */
} dbi_status_in;

/*
 * Evaluates Ready, Progressing and Degraded into conds (a stuck pod or claim, dbi_stuck, is
 * Degraded or Progressing with its reason and the kubelet's or scheduler's message; a pod
 * the StatefulSet cannot create is Degraded, dbi_stuck_create) (a refusal in conds->refusal, or
 * in->reason, keeps what was known) and returns the DBInstance's own status members
 * (endpoint, externalEndpoint, connectionSecret, readyReplicas, currentVersion,
 * storageSize; phase Stopped, which replaces the derived one, for a spec.stopped instance
 * with nothing refused): a new object, NULL out of memory. in->now is not used; in->now_s
 * tells a claim still provisioning from one that does not bind (dbi_stuck_claim).
 */
cJSON *dbi_status_eval(const dbi_status_in *in, ctrl_conds *conds);

/* The whole status to have (dbi_status_eval, then ctrl_status_build), for tests and tools. */
cJSON *dbi_status_build(const dbi_status_in *in);

#endif
