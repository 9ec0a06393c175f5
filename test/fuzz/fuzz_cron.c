/*
 * libFuzzer target for pkg-c/cron and the schedule logic of dbi_backup. Input: 8 bytes of a
 * start instant (taken into 1970..2100), 1 byte picking a zone (UTC, Berlin, Sao Paulo,
 * Lord Howe), 1 byte of downtime in hours, the rest the schedule (up to a NUL). Besides the
 * sanitizers, the oracles are:
 * - cron_next answers CORE_OK or CORE_ENOENT, strictly after the start and within six years;
 * - in UTC, where no daylight saving moves a field, the run matches every field and the day
 *   rule, no minute in between matches (checked for the first 2000 minutes), and the run is
 *   the first after the second before it;
 * - dbi_backup_plan_at's run, when due, lies in (since, now] and the run after it is later
 *   than now: one catch-up, the latest.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "cron/cron.h"
#include "dbi/dbi_backup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const zone_names[] = {"UTC", "Europe/Berlin", "America/Sao_Paulo",
                                         "Australia/Lord_Howe"};
static cron_zone        *zones[4];
static int               loaded;


static void
load_zones(void)
{
    char err[CRON_ERR_MAX];

    for (size_t i = 1; i < 4; i++)
        if (cron_zone_load(zone_names[i], &zones[i], err, sizeof err)) {
            fprintf(stderr, "fuzz_cron: %s: %s\n", zone_names[i], err);
            abort();
        }
    loaded = 1;
}


static int
matches(const cron_sched *s, int64_t t)
{
    int mo, d, h, mi, sec, wd, dom, dow;

    cron_civil(NULL, t, NULL, &mo, &d, &h, &mi, &sec, &wd);
    dom = (int)((s->dom >> d) & 1);
    dow = (int)((s->dow >> wd) & 1);
    if (sec != 0 || !((s->minute >> mi) & 1) || !((s->hour >> h) & 1) || !((s->month >> mo) & 1))
        return 0;
    return (s->dom & CRON_STAR_BIT) || (s->dow & CRON_STAR_BIT) ? dom && dow : dom || dow;
}


static void
check_utc(const cron_sched *s, int64_t start, int64_t next)
{
    int64_t again = 0;

    if (!matches(s, next))
        abort();
    for (int64_t m = (start / 60 + 1) * 60, k = 0; m < next && k < 2000; m += 60, k++)
        if (matches(s, m))
            abort();
    if (cron_next(s, NULL, next - 1, &again) != CORE_OK || again != next)
        abort();
}


static void
check_plan(const cron_sched *s, const cron_zone *z, int64_t since, int64_t now)
{
    dbi_backup_spec b;
    dbi_backup_plan p;
    int64_t         after = 0;

    memset(&b, 0, sizeof b);
    b.sched = *s;
    b.keep = 1;
    if (dbi_backup_plan_at("fuzz", &b, z, since, now, &p))
        abort();
    if (p.has_next && p.next_at <= now)
        abort();
    if (!p.due)
        return;
    if (p.due_at <= since || p.due_at > now || strncmp(p.name, "fuzz-", 5) != 0 ||
        strlen(p.name) != 17)
        abort();
    if (cron_next(s, z, p.due_at, &after) == CORE_OK && after <= now)
        abort();
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char       spec[CRON_SPEC_MAX + 1], err[CRON_ERR_MAX];
    cron_sched s;
    uint64_t   raw = 0;
    int64_t    start, next = 0;
    size_t     n;
    int        zi, rc;

    if (!loaded)
        load_zones();
    if (size < 10)
        return 0;
    memcpy(&raw, data, 8);
    start = (int64_t)(raw % (UINT64_C(4102444800)));
    zi = data[8] % 4;
    n = size - 10 < CRON_SPEC_MAX ? size - 10 : CRON_SPEC_MAX;
    memcpy(spec, data + 10, n);
    spec[n] = '\0';
    if (cron_parse(spec, &s, err, sizeof err)) {
        if (!memchr(err, '\0', sizeof err) || !err[0])
            abort();
        return 0;
    }
    rc = cron_next(&s, zones[zi], start, &next);
    if (rc != CORE_OK && rc != CORE_ENOENT)
        abort();
    if (rc == CORE_OK && (next <= start || next - start > INT64_C(6) * 367 * 86400))
        abort();
    if (rc == CORE_OK && zi == 0)
        check_utc(&s, start, next);
    check_plan(&s, zones[zi], start, start + (int64_t)data[9] * 3600);
    return 0;
}
