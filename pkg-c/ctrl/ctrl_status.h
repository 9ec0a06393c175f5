/*
 * ctrl_status: the status every kind writes, computed without I/O (part of ctrl).
 *
 * The kind evaluates Ready, Progressing and Degraded; these functions add kstatus'
 * Reconciling (True while Progressing is) and Stalled (True when a person must act), the
 * phase derived from the conditions (never the reverse), each condition's
 * observedGeneration and lastTransitionTime (kept while its status holds), and
 * status.observedGeneration. Sources: Kubernetes API conventions ("Typical status
 * properties"), kstatus (sigs.k8s.io/cli-utils/pkg/kstatus: Reconciling, Stalled).
 */
#ifndef DBAAS_CTRL_STATUS_H
#define DBAAS_CTRL_STATUS_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "ctrl/ctrl.h"

typedef struct {
    int         set;    /* the kind set it; unset: written Unknown, reason NotEvaluated */
    int         status; /* 1: True, 0: False */
    const char *reason; /* CamelCase, static or valid for the call */
    char        message[CTRL_MSG_MAX];
} ctrl_condition;

typedef struct {
    ctrl_condition cond[CTRL_NCOND]; /* Ready, Progressing, Degraded */
    int            deleting;
    const char    *refusal; /* a reason when a person must act, else NULL */
    char           refusal_message[CTRL_MSG_MAX];
    int            keep_ready; /* the refusal leaves Ready as the kind set it */
} ctrl_conds;

/* The run's conditions, for a kind's pure status function to fill (ctrl_cond's state). */
ctrl_conds *ctrl_run_conds(ctrl_run *run);

/* Sets a condition in c (what ctrl_cond does for a run), for a kind's pure status
 * function; message printf-formatted, cut to CTRL_MSG_MAX. reason as for ctrl_cond. */
void ctrl_conds_set(ctrl_conds *c, ctrl_cond_type type, int status, const char *reason,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* The condition of type in status.conditions, or NULL. */
const cJSON *ctrl_condition_find(const cJSON *status, const char *type);

/*
 * The phase for humans: Deleting; Failed (Stalled and not Ready); Degraded (Degraded, or
 * Ready and Stalled: something needs a look, such as a pod that cannot be scheduled or a
 * spec refused while the old pod serves); Updating (Ready and something in progress);
 * Ready (Ready, nothing in progress, nothing wrong); Provisioning (not Ready, in progress);
 * Pending otherwise. Static strings.
 */
const char *ctrl_phase(const ctrl_conds *c);

/*
 * The status to have: phase, conditions (Ready, Progressing, Degraded, Reconciling,
 * Stalled), observedGeneration, then the members of fields (taken; may be NULL). old is the
 * current status (may be NULL); now is RFC 3339. A new object, or NULL out of memory.
 */
cJSON *ctrl_status_build(const cJSON *old, int64_t generation, const ctrl_conds *c, cJSON *fields,
                         const char *now);

/*
 * How long to wait before writing status in place of old (ms; 0: write now), so that the
 * writes of provisioning fold into fewer (issue 18): while Ready has been False for less
 * than CTRL_HOLD_S (by its lastTransitionTime against now, Unix seconds), in phase
 * Provisioning before and after, at observedGeneration 1 (a new object's first provisioning,
 * so that fields a kind reads back from its status later, such as lastBackup, are never
 * held), not refused, Degraded not True, a status whose conditions and observedGeneration
 * equal old's (only a field such as the bound volume's size was filled in) waits, and the next
 * transition, or the end of the hold, writes it. Anything else is written at once: a new
 * condition, reason or message, a new generation seen, Ready True, a failure.
 */
/* 30 s: a PostgreSQL or MariaDB pod is Ready in about that once its image is pulled. With 5 s,
 * 94 of 100 DBInstances created at once had their bound volume's size written on its own,
 * a third status write each (issue 18). */
#define CTRL_HOLD_S 30
uint64_t ctrl_status_hold_ms(const cJSON *old, const cJSON *status, int refused, int64_t now);

#endif
