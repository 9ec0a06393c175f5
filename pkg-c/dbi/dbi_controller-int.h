/*
 * Internal to the DBInstance controller (dbi_controller.c and dbi_credentials.c), as
 * kube-int.h is to the client: the state one run keeps between its steps, the caches, and
 * the steps each file gives the other. Not part of the dbi module's interface.
 */
#ifndef DBAAS_DBI_CONTROLLER_INT_H
#define DBAAS_DBI_CONTROLLER_INT_H

#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "ctrl/ctrl.h"
#include "dbi/dbi.h"
#include "dbi/dbi_backup.h"
#include "dbi/dbi_tls_seen.h"
#include "informer/informer.h"

#define DBI_VERSION_AN     "dbaas.dev/version"
/* Written on the data claim, once a pod had been Ready on it, by operators before the claim
 * was taken as initialised from its DBI_HELD_UID (dbi__claim_initialised); still read. */
#define DBI_INITIALISED_AN "dbaas.dev/initialized"
#define DBI_PASSWORD_LEN   32
#define DBI_NAME_LEN       320

typedef struct {
    informer        *sts, *secrets, *configmaps, *services, *pvcs, *pods;
    informer        *netpols;    /* NetworkPolicies (dbi_netpol_step.c) */
    informer        *snaps;      /* DBSnapshots labelled with an instance (dbi_schedule.c) */
    informer        *sts_events; /* Events about StatefulSets (ctrl_watch_about) */
    struct dbi_zone *zones;      /* spec.backup.timeZone rules, loaded once per name */
    dbi_tls_seen    *tls_seen;   /* TLS Secrets verified (dbi_tls_seen.h), made when first needed */
} dbi_ctl;


/* What one run of a DBInstance keeps between its steps. */
typedef struct {
    dbi_spec           spec;
    int                spec_ok;
    /* credentials: the passwords to write, one read to compare, why ours is unusable */
    char               password[DBI_PASSWORD_MAX + 1], superuser[DBI_PASSWORD_MAX + 1];
    char               other[DBI_PASSWORD_MAX + 1];
    char               why[300];
    int                have_secret, have_superuser;
    int                secret_posted; /* this run created the Secret as built: no apply */
    char               checksum[32];  /* of the rendered configuration, for the pod template */
    const cJSON       *sts;           /* the StatefulSet: sts_answer, else as cached (ctrl_view) */
    cJSON             *sts_answer;    /* the server's answer to this run's write of it */
    int                sts_looked;    /* the cache was read for sts in this run (parsed once) */
    int                volume_done;   /* the PV step of a Retain instance ran in this run */
    int                svc_ok;        /* the client Service was written or found ours in this run */
    struct dbi_tls_st *tls;           /* the TLS step's state (dbi_tls_step.c), freed by scrub */
    /* restore (dbi_restore.c): the step after the checks, and the source's Secret */
    void (*after_restore)(ctrl_run *run);
    char restore_source[64], restore_uid[64], restore_secret[DBI_NAME_LEN];
    /* deletionPolicy Snapshot (dbi_final.c): the final DBSnapshot is ready, and what follows */
    int  final_done;
    void (*after_final)(ctrl_run *run);
    /* spec.backup (dbi_schedule.c): its step ran; what status says of it */
    int backup_ran;
    void (*after_backup)(ctrl_run *run);
    dbi_backup_spec backup;
    dbi_backup_plan plan;
    int             has_last, has_next;
    int64_t         last, next;
    const char     *backup_reason; /* Degraded's reason (a literal), or NULL */
    char            backup_msg[CTRL_MSG_MAX];
    cJSON          *snaps; /* the instance's DBSnapshots as cached (freed by scrub) */
} dbi_run;


/* The run's state and the controller's caches. */
static inline dbi_run *
dbi__st(ctrl_run *run)
{
    return ctrl_state(run);
}


static inline dbi_ctl *
dbi__caches(ctrl_run *run)
{
    return ctrl_data(run);
}


/* "<name>-credentials" into buf. */
static inline void
dbi__secret_name(ctrl_run *run, char *buf, size_t len)
{
    snprintf(buf, len, "%s-credentials", ctrl_name(run));
}


/* dbi_controller.c: write the children (the credentials are in the run), then status. */
void dbi__run_children(ctrl_run *run);

/* dbi_controller.c: end the run with its status (the PV step of Retain first). */
void dbi__run_status(ctrl_run *run);

/* dbi_credentials.c: the credentials step, once every child is known to be ours to write:
 * reads the passwords from our Secret (taking a hand edit or a credentialsSecretRef
 * change), makes them for data never initialised, or says CredentialsLost; goes on with
 * dbi__run_children, or ends with dbi__run_status. */
void dbi__credentials(ctrl_run *run);

/* dbi_credentials.c: whether the data claim data-<name>-0 (from the claim cache) holds data
 * whose passwords are the Secret's: 1 when it carries DBI_HELD_UID (made from our
 * StatefulSet's template, which has it, or annotated once adopted) or DBI_INITIALISED_AN
 * "true" (an older operator's mark); else 0 (no claim, or one made by someone else and not
 * yet adopted). The Secret is always made before the StatefulSet, and a pod may initialise
 * the data before it is Ready, so the claim's existence is the signal, not readiness. */
int dbi__claim_initialised(ctrl_run *run);

/* dbi_tls_step.c: resolves spec.tls (dbi_tls_decide) and, when on, the certificate (the
 * namespace's CA, <name>-tls, or the user's Secret, checked), sets spec.tls_ca and
 * spec.tls_checksum for the builders, and goes on with next; a bad certificate or CA is a
 * refusal and ends with dbi__run_status. */
void dbi__tls(ctrl_run *run, void (*next)(ctrl_run *run));

/* dbi_tls_step.c: status.tls into fields (the record kept when this run did not decide);
 * a run that ends well asks to run again when the certificate is due (at most 12 h away). */
void dbi__tls_status(ctrl_run *run, cJSON *fields);

/* dbi_netpol_step.c: applies the NetworkPolicy while spec.networkPolicy.enabled, else
 * deletes ours; queued with the other children. */
void dbi__netpol(ctrl_run *run);

/* dbi_tls_step.c: frees the TLS step's state, keys cleansed. */
void dbi__tls_free(ctrl_run *run);

/* dbi_schedule.c: the DBSnapshot kind. */
extern const kres DBI_KRES_DBSNAPSHOTS;

/* dbi_schedule.c: spec.backup's step (see there): takes the DBSnapshot of a run that is due,
 * deletes what retention picks, asks for the timer, then next(run). Ends the run itself
 * (WQ_ERROR) on a transport failure. Sets backup_ran. */
void dbi__backup(ctrl_run *run, void (*next)(ctrl_run *run));

/* dbi_schedule.c: status.lastBackup and nextBackup into fields (as the step found or left
 * them; as cached when it did not run), and Degraded when the step found trouble and nothing
 * else is Degraded. Call after dbi_status_eval. */
void dbi__backup_status(ctrl_run *run, cJSON *fields);

/* dbi_schedule.c: frees the controller's data (the zones, what the TLS step remembers,
 * then d), for rt_on_cleanup. */
void dbi__ctl_free(void *d);

/* dbi_tls_step.c: frees what the TLS step remembers of verified Secrets (d->tls_seen, then
 * NULL). */
void dbi__tls_seen_free(dbi_ctl *d);

/* dbi_controller.c: the StatefulSet as this run knows it: the answer to this run's write,
 * else the cached one, parsed once per run (kept in the run's state, freed by scrub); NULL
 * when there is none. Borrowed. */
const cJSON *dbi__known_sts(ctrl_run *run);

/* dbi_tls_step.c: forgets the run's <name>-tls (its instance is being finalized). */
void dbi__tls_forget(ctrl_run *run);

#endif
