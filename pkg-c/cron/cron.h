/*
 * cron: Kubernetes CronJob schedules, parsed and stepped exactly as Kubernetes does.
 *
 * Kubernetes parses spec.schedule with cron.ParseStandard of github.com/robfig/cron/v3
 * (pkg/util/parsers, called by pkg/apis/batch/validation and the CronJob controller) and finds
 * run times with its SpecSchedule.Next; spec.timeZone becomes a "TZ=<zone> " prefix read by
 * Go's time.LoadLocation. This module is a C copy of those rules, checked against the Go code
 * itself by test/cron/run.sh (the next 20 run times of thousands of generated schedules, in UTC
 * and in zones with daylight saving time). The rules, with their source (robfig/cron v3.0.1,
 * parser.go and spec.go, unless named otherwise):
 *
 * - Five fields split on Unicode white space (Go's strings.Fields): minute 0-59, hour 0-23,
 *   day of month 1-31, month 1-12 or jan-dec, day of week 0-6 or sun-sat (7 is refused).
 *   Names are matched case-insensitively as Go's strings.ToLower does.
 * - A field is a comma-separated list; empty items are skipped (strings.FieldsFunc), so "1,,2"
 *   is "1,2" and "," selects nothing: such a schedule is valid and never runs.
 * - An item is "*" or "?" (the whole range), "N", "N-M", each optionally "/step". "N/step"
 *   means "N-max/step". After "*" or "?" anything up to a "/" is ignored ("*-5" is "*").
 *   Numbers are Go's strconv.Atoi (an optional sign; "+5" is 5, a negative one is refused).
 * - The day-of-month/day-of-week rule: when the day-of-month or the day-of-week list holds
 *   "*" or "?" with no step (or step 1), a day must match both; otherwise either one. So
 *   "0 0 1 * mon" runs on the 1st and on every Monday, "0 0 * * mon" on Mondays only, and
 *   a star with a step of 2 in the day of month (no longer a star) with "mon" runs on odd
 *   days and on Mondays.
 * - Macros, matched exactly (no surrounding space): @yearly and @annually (0 0 1 1 *),
 *   @monthly (0 0 1 * *), @weekly (0 0 * * 0), @daily and @midnight (0 0 * * *), @hourly
 *   (0 * * * *).
 * - Next: the first run strictly after the given time, stepping months, days, hours and
 *   minutes in the schedule's zone as SpecSchedule.Next does, with Go's time.Date for local
 *   times that do not exist or exist twice (a daylight saving gap or overlap), and no run when
 *   none is found before the end of the fifth year after the start. So, as in a CronJob, a
 *   time the clocks skip does not run that day ("30 2 * * *" in Berlin on the last Sunday of
 *   March) and a time they repeat runs twice (the last Sunday of October).
 *
 * Refused although robfig accepts them, with a message saying so:
 * - anything containing "TZ" (Kubernetes' own validation refuses it in a new CronJob: "cannot
 *   use TZ or CRON_TZ in schedule, use timeZone field instead"); the zone is cron_zone_load's;
 * - "@every <duration>" (Kubernetes accepts it): its runs count from whenever a process
 *   started, not from the calendar, so "one run missed while the operator was down" has no
 *   meaning for it. Use a 5-field schedule.
 *
 * Time zones (cron_zone_load): the name rules of Kubernetes' validateTimeZone
 * (pkg/apis/batch/validation: each '/'-separated part 1-14 of [A-Za-z0-9._+-], not "." or "..",
 * not starting with '-'; "Local" refused), then, as Go's time.LoadLocation: "UTC" without a
 * file, else the TZif file <name> under $ZONEINFO (when it is a folder) or /usr/share/zoneinfo,
 * read with Go's rules (cron_tz.c says why not with a library): no TZ environment variable, no
 * tzset, no global state; a loaded zone is plain read-only data, safe in any thread.
 *
 * Nothing here prints, exits or keeps global state. cron_zone_load reads a small file (a few
 * KiB, at most 1 MiB) with blocking stdio: call it when a spec changes, not on every timer tick.
 */
#ifndef DBAAS_CRON_H
#define DBAAS_CRON_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

#define CRON_SPEC_MAX 1024 /* longer schedules are refused (the CRD allows 128) */
#define CRON_ERR_MAX  256  /* a buffer this size holds every message this module writes */
#define CRON_STAR_BIT (UINT64_C(1) << 63)

/* A parsed schedule: bit n of a field is set when value n is selected; CRON_STAR_BIT marks a
 * list with "*" or "?" (step 1), which decides the day rule. Plain data: copy it freely. */
typedef struct {
    uint64_t minute, hour, dom, month, dow;
} cron_sched;

/* A time zone's rules, loaded once and shared read-only; NULL everywhere means UTC. */
typedef struct cron_zone cron_zone;

/*
 * Parses a schedule. CORE_OK fills *out; CORE_EINVAL writes why to err (NUL-terminated,
 * cut to errlen), naming the field and the item ("minute field: end of range (60) above
 * maximum (59): 0-60"). spec may be NULL (refused as empty).
 */
int cron_parse(const char *spec, cron_sched *out, char *err, size_t errlen);

/*
 * Loads the zone called name ("Europe/Berlin"). CORE_OK sets *out (free it with
 * cron_zone_free); CORE_EINVAL when the name breaks Kubernetes' rules or no such zone is
 * installed, CORE_ENOMEM; err says which ("unknown time zone Mars/Base").
 */
int  cron_zone_load(const char *name, cron_zone **out, char *err, size_t errlen);
void cron_zone_free(cron_zone *z);

/* The zone's name as given to cron_zone_load, "UTC" for NULL. Lives as long as z. */
const char *cron_zone_name(const cron_zone *z);

/* Seconds east of UTC in zone z at the instant t (Unix seconds); 0 for NULL. */
int32_t cron_zone_offset(const cron_zone *z, int64_t t);

/*
 * The first run of s strictly after the instant after (Unix seconds), in zone z (NULL: UTC),
 * into *next. CORE_ENOENT when s has no run before the end of the fifth year after
 * (robfig's limit: "0 0 30 2 *" never runs), CORE_EINVAL for an instant outside the years
 * 1..9994. Pure arithmetic over the zone's rules.
 */
int cron_next(const cron_sched *s, const cron_zone *z, int64_t after, int64_t *next);

/* Breaks the instant t into the zone's calendar: year, month 1-12, day 1-31, hour, minute,
 * second, weekday 0-6 (Sunday 0). Any of the pointers may be NULL. */
void cron_civil(const cron_zone *z, int64_t t, int *year, int *mon, int *day, int *hour, int *min,
                int *sec, int *wday);

#endif
