/*
 * dbi_backup: the pure part of DBInstance spec.backup (issue 12, "Schedules"): what the
 * schedule asks for at a given instant, and which scheduled DBSnapshots retention deletes.
 * No I/O and no clock: the caller passes "now" (core_clock_now in the operator, any instant
 * in tests) and the zone (cron_zone_load, which reads a file).
 *
 * Rules, and where they come from:
 * - spec.backup.schedule is a Kubernetes CronJob schedule (pkg-c/cron), in UTC or in
 *   spec.backup.timeZone (an IANA name, as CronJob's spec.timeZone).
 * - A run due while the operator was down is taken once, when it is back: only the most recent
 *   scheduled time since the last one taken counts, never a burst (CronJob does the same with
 *   its most recent missed time).
 * - The DBSnapshot of the run at instant T is named "<instance>-<yyyymmddhhmm>", T in UTC, so
 *   the name is the same whoever computes it (an operator restarted between the create and its
 *   status write finds its own snapshot, 409, and takes no second one), unique per minute, and
 *   sorts by time. The DBInstance name is at most 45 characters (CRD), so the name is at most
 *   58: a DNS-1123 label, no cutting needed (longer instance names are refused, not cut).
 * - Retention: among the DBSnapshots labelled scheduled=true whose instance uid label is this
 *   instance's uid (never by name alone: a new instance of the same name is another one), not
 *   already being deleted, newest first (creation time, then name), those beyond keep are
 *   deleted, and only once the newest is readyToUse. Manual DBSnapshots carry no scheduled
 *   label and are never candidates.
 */
#ifndef DBAAS_DBI_BACKUP_H
#define DBAAS_DBI_BACKUP_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "cron/cron.h"
#include "dbi/dbi.h"

#define DBI_BACKUP_SCHEDULED_LABEL "dbaas.dev/scheduled" /* "true" on scheduled DBSnapshots */
#define DBI_BACKUP_KEEP_MAX        1000                  /* as the CRD's maximum */
#define DBI_BACKUP_SUFFIX          13                    /* "-yyyymmddhhmm" */
#define DBI_BACKUP_MISSED_MAX      1000 /* dbi_backup_plan.missed counts this far */
#define DBI_BACKUP_NAME_MAX        (DBI_MAX_NAME + DBI_BACKUP_SUFFIX + 1)

typedef struct {
    char       schedule[CRON_SPEC_MAX + 1];
    int        keep;            /* 1..DBI_BACKUP_KEEP_MAX; 7 when absent, as the CRD's default */
    char       time_zone[256];  /* "" for UTC */
    char       class_name[254]; /* volumeSnapshotClassName; "" for the driver's default class */
    cron_sched sched;
} dbi_backup_spec;

/*
 * Reads spec.backup of a DBInstance's spec object. CORE_ENOENT when spec has no backup (no
 * schedule to run); CORE_EINVAL with a message naming the field ("spec.backup.schedule: ...")
 * for what the schema should have refused or cannot check (the cron grammar); CORE_OK fills
 * *out. The time zone is only copied: cron_zone_load checks it.
 */
int dbi_backup_spec_parse(const cJSON *spec, dbi_backup_spec *out, char *msg, size_t len);

typedef struct {
    int      due;    /* 1: take the DBSnapshot `name` now, for the run at due_at */
    int64_t  due_at; /* Unix seconds: the scheduled time it stands for (status.lastBackup) */
    int      missed; /* runs due since `since` and skipped for this one (at least; capped) */
    char     name[DBI_BACKUP_NAME_MAX];
    int      has_next; /* 0: the schedule has no run in the next five years */
    int64_t  next_at;  /* the first run after now (status.nextBackup) */
    uint64_t delay_ms; /* next_at - now, for a one-shot uv timer; 0 when !has_next */
} dbi_backup_plan;

/*
 * What the schedule asks at instant now. since is the scheduled time of the last run taken
 * (status.lastBackup), or, when none was taken, status.nextBackup - 1 (so a first run missed
 * while down is still taken), or now when neither is set (a new schedule starts counting now).
 * A run is due when its time t satisfies since < t <= now; only the latest such t is taken.
 * CORE_EINVAL for an instance name longer than DBI_MAX_NAME or instants out of range.
 */
int dbi_backup_plan_at(const char *instance, const dbi_backup_spec *b, const cron_zone *z,
                       int64_t since, int64_t now, dbi_backup_plan *out);

/* since for dbi_backup_plan_at from the two status fields (has_* 0 when absent). */
int64_t dbi_backup_since(int has_last, int64_t last, int has_next, int64_t next, int64_t now);

typedef struct {
    const char *name;
    int64_t     created;      /* metadata.creationTimestamp, Unix seconds */
    const char *instance_uid; /* the DBSnapshot's instance uid label; NULL when absent */
    int         scheduled;    /* label DBI_BACKUP_SCHEDULED_LABEL is "true" */
    int         ready;        /* status.readyToUse */
    int         deleting;     /* metadata.deletionTimestamp is set */
} dbi_backup_snap;

/* The labels a scheduled DBSnapshot carries besides DBI_BACKUP_SCHEDULED_LABEL, as the
 * DBSnapshot kind and dbi_final write them (snap.h: SNAP_LABEL_INSTANCE, _INSTANCE_UID). */
#define DBI_BACKUP_INSTANCE_LABEL     "dbaas.dev/instance"
#define DBI_BACKUP_INSTANCE_UID_LABEL "dbaas.dev/instance-uid"

/*
 * What retention needs of a DBSnapshot object: strings point into obj (valid while it is).
 * CORE_EINVAL without metadata.name or with a creationTimestamp that is not RFC 3339.
 */
int dbi_backup_snap_read(const cJSON *obj, dbi_backup_snap *out);

/*
 * Retention over n DBSnapshots of the namespace (any instance, manual ones included): sets
 * del[i] to 1 for each one to delete and 0 for the rest, and *ndel to how many. Nothing is
 * deleted while the newest candidate is not readyToUse. CORE_ENOMEM, CORE_EINVAL (keep < 1,
 * uid NULL or empty).
 */
int dbi_backup_prune(const dbi_backup_snap *snaps, size_t n, const char *uid, int keep,
                     unsigned char *del, size_t *ndel);

#endif
