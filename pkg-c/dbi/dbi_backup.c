/*
 * dbi_backup: spec.backup, the schedule's plan at an instant, and retention (dbi_backup.h).
 */
#include "dbi/dbi_backup.h"

#include "kjson/kjson.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEEP_DEFAULT 7
#define SEARCH_MAX   100000 /* runs stepped in one window, far more than any window holds */


/* A string member into buf (absent or null: ""); CORE_EINVAL when not a string or too long. */
static int
str_member(const cJSON *obj, const char *key, char *buf, size_t size, char *msg, size_t len)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

    buf[0] = '\0';
    if (!it || cJSON_IsNull(it))
        return CORE_OK;
    if (!cJSON_IsString(it))
        return core_errf(msg, len, CORE_EINVAL, "spec.backup.%s: must be a string", key);
    if (strlen(it->valuestring) >= size)
        return core_errf(msg, len, CORE_EINVAL, "spec.backup.%s: longer than %zu characters", key,
                         size - 1);
    memcpy(buf, it->valuestring, strlen(it->valuestring) + 1);
    return CORE_OK;
}


int
dbi_backup_spec_parse(const cJSON *spec, dbi_backup_spec *out, char *msg, size_t len)
{
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(spec, "backup"), *keep;
    char         err[CRON_ERR_MAX];
    int          rc;
    int64_t      first;

    memset(out, 0, sizeof *out);
    if (!b || cJSON_IsNull(b))
        return CORE_ENOENT;
    if (!cJSON_IsObject(b))
        return core_errf(msg, len, CORE_EINVAL, "spec.backup: must be an object");
    if ((rc = str_member(b, "schedule", out->schedule, sizeof out->schedule, msg, len)) ||
        (rc = str_member(b, "timeZone", out->time_zone, sizeof out->time_zone, msg, len)) ||
        (rc = str_member(b, "volumeSnapshotClassName", out->class_name, sizeof out->class_name, msg,
                         len)))
        return rc;
    if (!out->schedule[0])
        return core_errf(msg, len, CORE_EINVAL,
                         "spec.backup.schedule: required, in cron syntax such as \"0 3 * * *\" or @daily");
    if (cron_parse(out->schedule, &out->sched, err, sizeof err))
        return core_errf(msg, len, CORE_EINVAL, "spec.backup.schedule: \"%.128s\": %s",
                         out->schedule, err);
    /* robfig, and so a CronJob, accepts a date that never comes ("0 0 31 2 *") and never runs
     * it. Refused here, where the user sees it: the five years from 1970 hold a 29 February,
     * so only a schedule that never runs at all has no run in them. */
    if (cron_next(&out->sched, NULL, 0, &first) == CORE_ENOENT)
        return core_errf(msg, len, CORE_EINVAL,
                         "spec.backup.schedule: \"%.128s\" never runs (no month it names has "
                         "that day)",
                         out->schedule);
    if (cJSON_GetObjectItemCaseSensitive(b, "timeZone") &&
        !cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(b, "timeZone")) && !out->time_zone[0])
        return core_errf(msg, len, CORE_EINVAL, "spec.backup.timeZone: empty; omit it for UTC");
    out->keep = KEEP_DEFAULT;
    keep = cJSON_GetObjectItemCaseSensitive(b, "keep");
    if (keep && !cJSON_IsNull(keep)) {
        out->keep = kjson_int_or(keep, 1, DBI_BACKUP_KEEP_MAX, 0);
        if (out->keep == 0)
            return core_errf(msg, len, CORE_EINVAL,
                             "spec.backup.keep: must be a whole number from 1 to %d",
                             DBI_BACKUP_KEEP_MAX);
    }
    return CORE_OK;
}


int64_t
dbi_backup_since(int has_last, int64_t last, int has_next, int64_t next, int64_t now)
{
    if (has_last)
        return last;
    if (has_next)
        return next - 1;
    return now;
}


/*
 * The latest run t with since < t <= now, into *due, and how many runs before it were due
 * (since < t' < t), at most DBI_BACKUP_MISSED_MAX. The latest is found in windows growing from
 * a minute to six years, so the search steps through the runs of one window only, after the
 * smaller one held none; a schedule with no run in six years never runs (cron_next looks five
 * years ahead). CORE_ENOENT when none is due.
 */
static int
latest_due(const cron_sched *s, const cron_zone *z, int64_t since, int64_t now, int64_t *due,
           int *missed)
{
    static const int64_t windows[] = {60, 3600, 86400, 32 * 86400, 367 * 86400, 6 * 367 * 86400};
    int64_t              t, last;
    int                  rc, n;

    if (since >= now)
        return CORE_ENOENT;
    for (size_t i = 0; i < sizeof windows / sizeof windows[0]; i++) {
        int64_t from = now - windows[i] > since ? now - windows[i] : since;

        rc = cron_next(s, z, from, &t);
        if (rc && rc != CORE_ENOENT)
            return rc;
        if (rc == CORE_ENOENT || t > now) {
            if (from == since)
                return CORE_ENOENT;
            continue;
        }
        for (n = 0, last = t;
             n < SEARCH_MAX && (rc = cron_next(s, z, last, &t)) == CORE_OK && t <= now; n++)
            last = t;
        if (rc && rc != CORE_ENOENT)
            return rc;
        *due = last;
        for (n = 0, t = since;
             n < DBI_BACKUP_MISSED_MAX && cron_next(s, z, t, &t) == CORE_OK && t < last; n++)
            ;
        *missed = n;
        return CORE_OK;
    }
    return CORE_ENOENT;
}


int
dbi_backup_plan_at(const char *instance, const dbi_backup_spec *b, const cron_zone *z,
                   int64_t since, int64_t now, dbi_backup_plan *out)
{
    int y, mo, d, h, mi, rc;

    memset(out, 0, sizeof *out);
    if (!instance || !*instance || strlen(instance) > DBI_MAX_NAME)
        return CORE_EINVAL;
    rc = latest_due(&b->sched, z, since, now, &out->due_at, &out->missed);
    if (rc == CORE_OK) {
        out->due = 1;
        cron_civil(NULL, out->due_at, &y, &mo, &d, &h, &mi, NULL, NULL);
        if (y < 1000 || y > 9999)
            return CORE_EINVAL;
        snprintf(out->name, sizeof out->name, "%s-%04d%02d%02d%02d%02d", instance, y, mo, d, h, mi);
    } else if (rc != CORE_ENOENT)
        return rc;
    rc = cron_next(&b->sched, z, now, &out->next_at);
    if (rc == CORE_OK) {
        out->has_next = 1;
        out->delay_ms = (uint64_t)(out->next_at - now) * 1000;
    } else if (rc != CORE_ENOENT)
        return rc;
    return CORE_OK;
}


typedef struct {
    const dbi_backup_snap *s;
    size_t                 i;
} cand;


/* Newest first: the later creation time, then the greater name (names carry the minute). */
static int
newest_first(const void *a, const void *b)
{
    const dbi_backup_snap *x = ((const cand *)a)->s, *y = ((const cand *)b)->s;

    if (x->created != y->created)
        return x->created > y->created ? -1 : 1;
    return -strcmp(x->name ? x->name : "", y->name ? y->name : "");
}


int
dbi_backup_prune(const dbi_backup_snap *snaps, size_t n, const char *uid, int keep,
                 unsigned char *del, size_t *ndel)
{
    cand  *c = NULL;
    size_t k = 0;

    *ndel = 0;
    if (keep < 1 || !uid || !*uid)
        return CORE_EINVAL;
    memset(del, 0, n);
    if (n == 0)
        return CORE_OK;
    if (!(c = calloc(n, sizeof *c)))
        return CORE_ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (snaps[i].scheduled && !snaps[i].deleting && snaps[i].instance_uid &&
            strcmp(snaps[i].instance_uid, uid) == 0)
            c[k++] = (cand){&snaps[i], i};
    if (k > (size_t)keep) {
        qsort(c, k, sizeof *c, newest_first);
        if (c[0].s->ready)
            for (size_t i = (size_t)keep; i < k; i++) {
                del[c[i].i] = 1;
                (*ndel)++;
            }
    }
    free(c);
    return CORE_OK;
}


int
dbi_backup_snap_read(const cJSON *obj, dbi_backup_snap *out)
{
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    const cJSON *labels = cJSON_GetObjectItemCaseSensitive(meta, "labels");
    const cJSON *ready = kjson_path(obj, "status", "readyToUse", NULL);
    const char  *created = kjson_get_str(meta, "creationTimestamp"), *scheduled;

    memset(out, 0, sizeof *out);
    if (!(out->name = kjson_get_str(meta, "name")))
        return CORE_EINVAL;
    if (created && core_rfc3339_parse(created, &out->created))
        return CORE_EINVAL;
    out->instance_uid = kjson_get_str(labels, DBI_BACKUP_INSTANCE_UID_LABEL);
    scheduled = kjson_get_str(labels, DBI_BACKUP_SCHEDULED_LABEL);
    out->scheduled = scheduled && strcmp(scheduled, "true") == 0;
    out->ready = cJSON_IsTrue(ready);
    out->deleting = kjson_get_str(meta, "deletionTimestamp") != NULL;
    return CORE_OK;
}
