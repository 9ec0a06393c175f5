/*
 * dbi_schedule: DBInstance spec.backup on the controller (issue 12, "Schedules"). The pure
 * part (the spec, the plan at an instant, retention) is dbi_backup.h; this file does what it
 * says, as the last step of a sync before status (dbi__backup, dbi_controller-int.h):
 *
 * - No spec.backup: nothing runs; status keeps lastBackup and drops nextBackup. A spec the
 *   schema let through that cannot be read (the cron grammar) or a time zone the image lacks:
 *   Degraded, reason InvalidSpec, with the field in the message; Ready is the database's.
 * - The zone rules are read once per zone name (cron_zone_load) and kept in the controller's
 *   data for the life of the process.
 * - now is core_clock_now (the test-only offset); since is dbi_backup_since of status.
 * - A due run creates the DBSnapshot plan.name (POST, no force; pure builder
 *   dbi_build_instance_snapshot: labels instance, instance-uid, scheduled=true, deletionPolicy
 *   Delete, spec.backup.volumeSnapshotClassName). 201, or an existing one carrying our
 *   scheduled label and this instance's uid (the cache, else a 409 and one GET): the run is
 *   taken, status.lastBackup is its scheduled time; an Event BackupTaken when this run made
 *   it, naming the runs skipped for it. Another object of that name: Degraded,
 *   BackupNameTaken, and the run is not taken (the next scheduled one will be). A create the
 *   server refuses (4xx): Degraded, BackupFailed with its message, tried again in a minute.
 *   Transport and 5xx end the run with backoff.
 * - Retention: the DBSnapshots of the namespace labelled with this instance's name (watched
 *   through ctrl_watch_labelled, so readyToUse changes reconcile the instance) go through
 *   dbi_backup_prune; those it picks are deleted by ctrl_delete_marked, which checks the
 *   instance-uid label (scheduled DBSnapshots have no owner on purpose: they outlive it).
 * - The timer: ctrl_requeue_after(run, plan.delay_ms), status.nextBackup when plan.has_next.
 * - Nothing of this while the instance is being deleted (nextBackup dropped) or while its spec
 *   is refused (status keeps both fields). At rest a run writes nothing: the same plan, the
 *   same status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "ctrl/ctrl.h"
#include "ctrl/ctrl_status.h"
#include "dbi/dbi.h"
#include "dbi/dbi_backup.h"
#include "dbi/dbi_final.h"
#include "dbi_controller-int.h"
#include "dbi_controller.h"
#include "informer/informer.h"
#include "kjson/kjson.h"
#include "kops/kops.h"
#include "log/log.h"
#include "runtime/runtime.h"
#include "store/store.h"

/* The DBSnapshot kind, named here because a kind does not include another (pkg-c/README). */
const kres DBI_KRES_DBSNAPSHOTS = {"dbaas.dev", "v1alpha1", "dbsnapshots", "DBSnapshot", 1};

/* How soon a create the server refused is tried again (a webhook, a quota, RBAC). */
#define BACKUP_RETRY_MS 60000
/* The timer never fires sooner than this (the clock has whole seconds). */
#define BACKUP_MIN_MS   1000

struct dbi_zone {
    struct dbi_zone *next;
    cron_zone       *zone;
    char             name[];
};


void
dbi__ctl_free(void *p)
{
    dbi_ctl         *d = p;
    struct dbi_zone *z, *next;

    if (!d)
        return;
    for (z = d->zones; z; z = next) {
        next = z->next;
        cron_zone_free(z->zone);
        free(z);
    }
    dbi__tls_seen_free(d);
    free(d);
}


/* The zone called name, loaded once per name. CORE_EINVAL (err says why), CORE_ENOMEM. */
static int
zone_get(dbi_ctl *d, const char *name, const cron_zone **out, char *err, size_t len)
{
    struct dbi_zone *z;
    cron_zone       *loaded;
    size_t           n = strlen(name);
    int              rc;

    for (z = d->zones; z; z = z->next) {
        if (strcmp(z->name, name) == 0) {
            *out = z->zone;
            return CORE_OK;
        }
    }
    if ((rc = cron_zone_load(name, &loaded, err, len)))
        return rc;
    if (!(z = malloc(sizeof *z + n + 1))) {
        cron_zone_free(loaded);
        return CORE_ENOMEM;
    }
    memcpy(z->name, name, n + 1);
    z->zone = loaded;
    z->next = d->zones;
    d->zones = z;
    *out = loaded;
    return CORE_OK;
}


/* A status time field into *t; 0 when absent or not RFC 3339. */
static int
status_time(ctrl_run *run, const char *key, int64_t *t)
{
    const char *v = kjson_path_str(ctrl_obj(run), "status", key, NULL);

    return v && core_rfc3339_parse(v, t) == CORE_OK;
}


/* Says what is wrong in status (Degraded; Ready stays the database's) and goes on. */
static void
trouble(ctrl_run *run, const char *reason, const char *msg)
{
    dbi_run *s = dbi__st(run);

    s->backup_reason = reason;
    snprintf(s->backup_msg, sizeof s->backup_msg, "%s", msg);
}


static void
finish(ctrl_run *run)
{
    dbi__st(run)->after_backup(run);
}


/* --- retention --------------------------------------------------------------------- */

typedef struct {
    const char *prefix; /* "namespace/" */
    const char *name;   /* the instance */
    cJSON      *found;
} snap_scan;


static void
snap_visit(const char *key, const store_obj *obj, void *data)
{
    snap_scan  *sc = data;
    cJSON      *snap;
    const char *inst;

    if (strncmp(key, sc->prefix, strlen(sc->prefix)) != 0 || !(snap = store_parse(obj)))
        return;
    inst = kjson_path_str(snap, "metadata", "labels", DBI_BACKUP_INSTANCE_LABEL, NULL);
    if (!inst || strcmp(inst, sc->name) != 0 || !cJSON_AddItemToArray(sc->found, snap))
        cJSON_Delete(snap);
}


/* A DBSnapshot that failed and will not become ready without a change: not ready, and its
 * VolumeSnapshot reported an error (no class, a driver error, a volume that is not CSI) or
 * its phase is Failed. */
static int
failed_phase(const cJSON *snap)
{
    const char  *phase = kjson_path_str(snap, "status", "phase", NULL);
    const char  *error = kjson_path_str(snap, "status", "error", NULL);
    const cJSON *ready = kjson_path(snap, "status", "readyToUse", NULL);

    if (cJSON_IsTrue(ready))
        return 0;
    return (error && *error) || (phase && strcmp(phase, "Failed") == 0);
}


/*
 * Scheduled DBSnapshots of this instance (uid) that failed: the newest one is reported as
 * Degraded BackupFailed with its message, so a broken schedule does not look healthy; the
 * older failed ones are marked in del, so that one failure a run does not pile up (retention
 * alone waits for a ready one, which may never come). A ready newer one ends the report.
 */
static void
failed_backups(ctrl_run *run, const dbi_backup_snap *snaps, const cJSON **objs, size_t n,
               const char *uid, unsigned char *del)
{
    size_t      i, newest = n;
    char        msg[CTRL_MSG_MAX];
    const char *why;

    for (i = 0; i < n; i++)
        if (snaps[i].scheduled && !snaps[i].deleting && snaps[i].instance_uid &&
            strcmp(snaps[i].instance_uid, uid) == 0 &&
            (newest == n || snaps[i].created > snaps[newest].created ||
             (snaps[i].created == snaps[newest].created &&
              strcmp(snaps[i].name, snaps[newest].name) > 0)))
            newest = i;
    if (newest == n || !failed_phase(objs[newest]))
        return;
    why = kjson_path_str(objs[newest], "status", "error", NULL);
    if (!why) {
        const cJSON *c;

        cJSON_ArrayForEach(c, kjson_path(objs[newest], "status", "conditions", NULL)) {
            if (strcmp(kjson_get_str(c, "type") ?: "", "Ready") == 0)
                why = kjson_get_str(c, "message");
        }
    }
    snprintf(msg, sizeof msg,
             "the scheduled DBSnapshot %s failed: %s; check spec.backup.volumeSnapshotClassName "
             "and that the volume's StorageClass is a CSI driver's with snapshots",
             snaps[newest].name, why ? why : "(no message)");
    trouble(run, "BackupFailed", msg);
    for (i = 0; i < n; i++)
        if (i != newest && snaps[i].scheduled && !snaps[i].deleting && snaps[i].instance_uid &&
            strcmp(snaps[i].instance_uid, uid) == 0 && failed_phase(objs[i]))
            del[i] = 1;
}


static void
prune(ctrl_run *run)
{
    dbi_run         *s = dbi__st(run);
    const char      *uid = kjson_path_str(ctrl_obj(run), "metadata", "uid", NULL);
    char             prefix[DBI_NAME_LEN], msg[CTRL_MSG_MAX];
    snap_scan        sc;
    dbi_backup_snap *snaps = NULL;
    unsigned char   *del = NULL;
    const cJSON     *it;
    const cJSON    **objs = NULL;
    size_t           n = 0, i, ndel = 0;

    snprintf(prefix, sizeof prefix, "%s/", ctrl_ns(run));
    sc.prefix = prefix;
    sc.name = ctrl_name(run);
    if (!uid || !(sc.found = cJSON_CreateArray()))
        goto out;
    store_by_label(informer_store(dbi__caches(run)->snaps), DBI_BACKUP_INSTANCE_LABEL, sc.name,
                   snap_visit, &sc);
    s->snaps = sc.found;
    i = (size_t)cJSON_GetArraySize(sc.found);
    if (i == 0)
        goto out;
    snaps = calloc(i, sizeof *snaps);
    objs = calloc(i, sizeof *objs);
    del = calloc(i, 1);
    if (!snaps || !objs || !del)
        goto out;
    cJSON_ArrayForEach(it, sc.found) {
        if (dbi_backup_snap_read(it, &snaps[n]) == CORE_OK)
            objs[n++] = it;
    }
    if (dbi_backup_prune(snaps, n, uid, s->backup.keep, del, &ndel) != CORE_OK)
        goto out;
    failed_backups(run, snaps, objs, n, uid, del);
    for (i = 0; i < n; i++) {
        if (!del[i] || !ctrl_delete_marked(run, &DBI_KRES_DBSNAPSHOTS, objs[i],
                                           DBI_BACKUP_INSTANCE_UID_LABEL, NULL))
            continue;
        snprintf(msg, sizeof msg, "deleting the scheduled DBSnapshot %s: %s", snaps[i].name,
                 failed_phase(objs[i]) ? "it failed, and a newer scheduled one says why"
                                       : "more than spec.backup.keep are kept and a newer one is "
                                         "ready");
        log_obj(LOG_INFO, DBI_CTL_NAME, ctrl_key(run), "retention: deleting a scheduled DBSnapshot",
                "dbsnapshot", snaps[i].name, NULL);
        ctrl_event(run, "Normal", "BackupPruned", msg);
    }
out:
    free(snaps);
    free(objs);
    free(del);
    ctrl_then(run, finish); /* once the deletes have answered */
}


/* --- the run that is due ----------------------------------------------------------- */

static void
taken(ctrl_run *run, int created)
{
    dbi_run *s = dbi__st(run);
    char     at[32], msg[CTRL_MSG_MAX];

    s->has_last = 1;
    s->last = s->plan.due_at;
    if (created) {
        core_rfc3339_format(s->plan.due_at, at, sizeof at);
        if (s->plan.missed > 0)
            snprintf(msg, sizeof msg,
                     "created the scheduled DBSnapshot %s for the run at %s; %d earlier run%s missed "
                     "while the operator was down %s skipped: one catch-up, not a burst",
                     s->plan.name, at, s->plan.missed, s->plan.missed == 1 ? "" : "s",
                     s->plan.missed == 1 ? "was" : "were");
        else
            snprintf(msg, sizeof msg, "created the scheduled DBSnapshot %s for the run at %s",
                     s->plan.name, at);
        log_obj(LOG_INFO, DBI_CTL_NAME, ctrl_key(run), "scheduled DBSnapshot created", "dbsnapshot",
                s->plan.name, NULL);
        ctrl_event(run, "Normal", "BackupTaken", msg);
    }
    prune(run);
}


/* An object named as the due run's DBSnapshot exists: ours (taken) or someone else's. */
static void
judge(ctrl_run *run, const cJSON *live)
{
    dbi_run    *s = dbi__st(run);
    const char *uid = kjson_path_str(ctrl_obj(run), "metadata", "uid", NULL);
    const char *sched = kjson_path_str(live, "metadata", "labels", DBI_BACKUP_SCHEDULED_LABEL, NULL);
    char        msg[CTRL_MSG_MAX];

    if (sched && strcmp(sched, "true") == 0 &&
        ctrl_marked_for(live, DBI_BACKUP_INSTANCE_UID_LABEL, uid)) {
        taken(run, 0);
        return;
    }
    snprintf(msg, sizeof msg,
             "spec.backup: the DBSnapshot %s of the run due now exists and was not taken by this "
             "schedule; it is left alone and this run is skipped (rename or delete it)",
             s->plan.name);
    trouble(run, "BackupNameTaken", msg);
    prune(run);
}


static void
on_got(const kops_result *res, void *data)
{
    ctrl_run *run = data;

    if (res->err || !res->obj) {
        ctrl_end(run, WQ_ERROR); /* gone meanwhile, transport, 5xx: the next run looks again */
        return;
    }
    judge(run, res->obj);
}


static void
on_created(const kops_result *res, void *data)
{
    ctrl_run   *run = data;
    dbi_run    *s = dbi__st(run);
    kops_target t = {rt_client(ctrl_runtime(run)),
                     &DBI_KRES_DBSNAPSHOTS,
                     ctrl_ns(run),
                     s->plan.name,
                     NULL,
                     0,
                     0};
    char        msg[CTRL_MSG_MAX];

    if (!res->err) {
        taken(run, 1);
        return;
    }
    if (ctrl_ns_refused(run, res)) {
        prune(run);
        return;
    }
    if (res->status == 409) { /* whose? */
        if (kops_get(&t, on_got, run))
            ctrl_end(run, WQ_ERROR);
        return;
    }
    if (res->status < 400 || res->status >= 500) {
        ctrl_end(run, WQ_ERROR);
        return;
    }
    snprintf(msg, sizeof msg, "spec.backup: the scheduled DBSnapshot %s could not be created: %s",
             s->plan.name, res->message);
    trouble(run, "BackupFailed", msg);
    ctrl_requeue_after(run, BACKUP_RETRY_MS);
    prune(run);
}


static void
take(ctrl_run *run)
{
    dbi_run    *s = dbi__st(run);
    kops_target t = {
        rt_client(ctrl_runtime(run)), &DBI_KRES_DBSNAPSHOTS, ctrl_ns(run), NULL, NULL, 1, 0};
    cJSON *live = ctrl_cached(run, dbi__caches(run)->snaps, s->plan.name);
    cJSON *desired;

    if (live) { /* a restart between the create and the status write */
        judge(run, live);
        cJSON_Delete(live);
        return;
    }
    desired = dbi_build_instance_snapshot(ctrl_obj(run), s->plan.name, DBI_BACKUP_SCHEDULED_LABEL,
                                          "Delete", s->backup.class_name);
    if (!desired || kops_create(&t, desired, on_created, run))
        ctrl_end(run, WQ_ERROR);
    cJSON_Delete(desired);
}


/* --- entry ------------------------------------------------------------------------- */

void
dbi__backup(ctrl_run *run, void (*next)(ctrl_run *run))
{
    dbi_run         *s = dbi__st(run);
    const cJSON     *spec = kjson_path(ctrl_obj(run), "spec", NULL);
    const cron_zone *zone = NULL;
    char             err[CTRL_MSG_MAX], msg[CTRL_MSG_MAX];
    int64_t          now, since;
    int              rc;

    s->after_backup = next;
    s->backup_ran = 1;
    s->has_last = status_time(run, "lastBackup", &s->last);
    s->has_next = status_time(run, "nextBackup", &s->next);
    if (!s->spec_ok) {
        next(run); /* what was known stays while the spec is refused */
        return;
    }
    if (kjson_path(ctrl_obj(run), "metadata", "deletionTimestamp", NULL)) {
        s->has_next = 0;
        next(run);
        return;
    }
    rc = dbi_backup_spec_parse(spec, &s->backup, err, sizeof err);
    if (rc == CORE_OK && s->backup.time_zone[0] &&
        (rc = zone_get(dbi__caches(run), s->backup.time_zone, &zone, msg, sizeof msg)) == CORE_EINVAL)
        snprintf(err, sizeof err, "spec.backup.timeZone: %.900s", msg);
    if (rc == CORE_ENOENT) {
        s->has_next = 0;
        next(run);
        return;
    }
    if (rc == CORE_EINVAL) {
        s->has_next = 0;
        trouble(run, "InvalidSpec", err);
        next(run);
        return;
    }
    if (rc) {
        ctrl_end(run, WQ_ERROR);
        return;
    }
    now = core_clock_now();
    since = dbi_backup_since(s->has_last, s->last, s->has_next, s->next, now);
    if (dbi_backup_plan_at(ctrl_name(run), &s->backup, zone, since, now, &s->plan) != CORE_OK) {
        s->has_next = 0;
        trouble(run, "InvalidSpec", "spec.backup: the schedule cannot be planned for this instance");
        next(run);
        return;
    }
    s->has_next = s->plan.has_next;
    s->next = s->plan.next_at;
    if (s->plan.has_next)
        ctrl_requeue_after(run, s->plan.delay_ms < BACKUP_MIN_MS ? BACKUP_MIN_MS : s->plan.delay_ms);
    if (s->plan.due)
        take(run);
    else
        prune(run);
}


void
dbi__backup_status(ctrl_run *run, cJSON *fields)
{
    dbi_run    *s = dbi__st(run);
    ctrl_conds *c = ctrl_run_conds(run);
    char        at[32];

    if (!fields)
        return;
    if (!s->backup_ran) {
        s->has_last = status_time(run, "lastBackup", &s->last);
        s->has_next = status_time(run, "nextBackup", &s->next);
    }
    if (s->has_last && core_rfc3339_format(s->last, at, sizeof at) == CORE_OK)
        cJSON_AddStringToObject(fields, "lastBackup", at);
    if (s->has_next && core_rfc3339_format(s->next, at, sizeof at) == CORE_OK)
        cJSON_AddStringToObject(fields, "nextBackup", at);
    if (s->backup_reason && c && !(c->cond[CTRL_DEGRADED].set && c->cond[CTRL_DEGRADED].status))
        ctrl_cond(run, CTRL_DEGRADED, 1, s->backup_reason, "%s", s->backup_msg);
}
