/*
 * The HACluster status, computed without I/O from the HACluster, the postgresql object and
 * what the Zalando operator made (part of the hac module).
 *
 * Computed, not copied: Zalando's only status is PostgresClusterStatus (Creating, Running,
 * Updating, CreateFailed, UpdateFailed, SyncFailed, Invalid) with no observedGeneration,
 * and it says Running with pods Pending or after skipping a major upgrade (zalando#2864,
 * #1698). So Ready means the primary serves: a pod labelled spilo-role=master that is
 * Ready, the StatefulSet matching what the spec implies (replicas, PGVERSION, volume size:
 * the postgresql object's generation acted on) and our Secret written. It is mirrored as
 * zalandoStatus and used as a reason or message. The master Service has no selector
 * (Patroni writes its Endpoints); nothing here waits on Endpoints.
 */
#ifndef DBAAS_HAC_STATUS_H
#define DBAAS_HAC_STATUS_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "ctrl/ctrl_status.h"
#include "hac/hac.h"

/* How long the StatefulSet may differ from the spec before "Zalando is not acting" is said. */
#define HAC_ZALANDO_WAIT_S 120

typedef struct {
    const cJSON        *hac;           /* the HACluster as cached (its current status) */
    const hac_spec     *spec;          /* parsed spec, or NULL when invalid */
    int                 crd_installed; /* the acid.zalan.do postgresql CRD is served */
    const cJSON        *pg;            /* the postgresql object, or NULL */
    const cJSON        *sts;           /* Zalando's StatefulSet <name>, or NULL */
    const cJSON *const *pods;          /* the cluster's Spilo pods (label cluster-name=<name>) */
    int                 npods;
    int                 secret_ok;      /* our Secret is written with Zalando's password */
    int                 zalando_secret; /* Zalando's user Secret exists */
    hac_poolers         poolers;        /* the pooler Services that exist */
    const char         *now;            /* RFC 3339 */
    int64_t             now_s;          /* the same, in seconds since the epoch */
    const char         *today;  /* its ISO day, for engine_version_check (NULL: none past) */
    int64_t             wait_s; /* HAC_ZALANDO_WAIT_S, or a test's */
} hac_status_in;

/* What the evaluation found beyond the conditions, for the controller's Events. */
typedef struct {
    int     failover; /* status.primary changed from one pod to another */
    char    from[254], to[254];
    int64_t recheck_s; /* > 0: evaluate again in so many seconds (a bounded wait) */
    /* spec.version is past its end of life and the old status did not say so yet
     * (engine_version_check_news): the moment for the Event, with versionCheck's message. */
    int     end_of_life;
} hac_status_note;

/*
 * Evaluates Ready, Progressing and Degraded into conds (a refusal already in conds is
 * kept) and returns the HACluster's own status members (primary, replicas,
 * readyReplicas, readyText, endpoint, readEndpoint, poolerEndpoint, currentVersion,
 * connectionSecret, zalandoStatus, lastFailover, and for a parsed spec versionCheck, which is
 * engine_version_check of spec.version on in->today): a new object, NULL out of memory.
 * spec.version past its end of life on in->today is accepted: Ready's message adds
 * versionCheck's message when the primary serves, and note->end_of_life asks for the Event.
 * Rules: the CRD missing is Ready False ZalandoOperatorMissing (the controller adds the
 * refusal that makes it Stalled); no pod labelled
 * spilo-role=master Ready is Ready False (NoPrimary); fewer ready pods than replicas is
 * Degraded ReplicasNotReady "n/m"; replicas 1 says "not highly available" in Ready's
 * message; a StatefulSet that does not match the spec is Progressing (WaitingForZalando),
 * and after wait_s since Progressing turned True, its message says the Zalando operator is
 * not acting; a change of primary keeps the old one until a new master pod exists, then
 * sets lastFailover and note->failover. currentVersion is the version running: the old
 * status's, else the StatefulSet's PGVERSION once it first matches; it moves up to the
 * spec's when the postgresql object carries HAC_UPGRADE_OK newer than the HACluster's
 * Progressing transition and not HAC_UPGRADE_BAD, else Degraded UpgradeFailed (the failure
 * annotation) or UpgradeSkipped.
 */
cJSON *hac_status_eval(const hac_status_in *in, ctrl_conds *conds, hac_status_note *note);

#endif
