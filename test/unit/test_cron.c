/*
 * pkg-c/cron: the semantics of Kubernetes CronJob schedules. Expected instants were printed
 * by github.com/robfig/cron/v3 v3.0.1 (cron.ParseStandard with "TZ=<zone> ", then Next), the
 * code Kubernetes runs; test/cron/run.sh compares thousands more.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "cron/cron.h"
#include "test.h"


static int64_t
at(const char *rfc3339)
{
    int64_t t = 0;

    if (core_rfc3339_parse(rfc3339, &t))
        test_fail(__FILE__, __LINE__, rfc3339);
    return t;
}


static cron_sched
parsed(const char *spec)
{
    cron_sched s;
    char       err[CRON_ERR_MAX] = "";

    if (cron_parse(spec, &s, err, sizeof err)) {
        char m[512];

        snprintf(m, sizeof m, "cron_parse(\"%s\"): %s", spec, err);
        test_fail(__FILE__, __LINE__, m);
    }
    return s;
}


/* Refused, with a message containing want. */
static void
refused(const char *spec, const char *want)
{
    cron_sched s;
    char       err[CRON_ERR_MAX] = "";

    ASSERT_EQ(cron_parse(spec, &s, err, sizeof err), CORE_EINVAL);
    if (!strstr(err, want)) {
        char m[512];

        snprintf(m, sizeof m, "\"%s\": message \"%s\" lacks \"%s\"", spec, err, want);
        test_fail(__FILE__, __LINE__, m);
    }
}


/* The runs of spec in zone (NULL: UTC) after from, as RFC 3339 UTC, space-separated. */
static void
runs(const char *zone, const char *spec, const char *from, int n, const char *want)
{
    cron_sched s = parsed(spec);
    cron_zone *z = NULL;
    char       err[CRON_ERR_MAX], got[1024] = "", one[32];
    int64_t    t = at(from), next;

    if (zone)
        ASSERT_EQ(cron_zone_load(zone, &z, err, sizeof err), CORE_OK);
    for (int i = 0; i < n; i++) {
        if (cron_next(&s, z, t, &next) == CORE_ENOENT) {
            snprintf(got + strlen(got), sizeof got - strlen(got), "%sNEVER", i ? " " : "");
            break;
        }
        ASSERT_EQ(core_rfc3339_format(next, one, sizeof one), CORE_OK);
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", i ? " " : "", one);
        t = next;
    }
    cron_zone_free(z);
    ASSERT_STR(got, want);
}


TEST(cron_fields_ranges_steps_lists)
{
    cron_sched s = parsed("5,10-12 */6 1-31/10 * *");

    ASSERT_EQ(s.minute, (1ULL << 5) | (1ULL << 10) | (1ULL << 11) | (1ULL << 12));
    ASSERT_EQ(s.hour, (1ULL << 0) | (1ULL << 6) | (1ULL << 12) |
                          (1ULL << 18)); /* a stepped star is no star */
    ASSERT_EQ(s.dom, (1ULL << 1) | (1ULL << 11) | (1ULL << 21) | (1ULL << 31));
    ASSERT(s.month & CRON_STAR_BIT);
    ASSERT_EQ(parsed("50/5 * * * *").minute, (1ULL << 50) | (1ULL << 55)); /* N/step is N-max/step */
    ASSERT(parsed("*/1 * * * *").minute & CRON_STAR_BIT);
    ASSERT_EQ(parsed("*-5 * * * *").minute, parsed("* * * * *").minute); /* robfig ignores it */
    ASSERT_EQ(parsed("? ? ? ? ?").dow, parsed("* * * * *").dow);
    ASSERT_EQ(parsed("1,,2 * * * *").minute, (1ULL << 1) | (1ULL << 2));
    ASSERT_EQ(parsed("+5 * * * *").minute, 1ULL << 5); /* Go's strconv.Atoi takes a sign */
}


TEST(cron_names_of_months_and_days)
{
    ASSERT_EQ(parsed("0 0 * JAN-mar,Dec *").month,
              (1ULL << 1) | (1ULL << 2) | (1ULL << 3) | (1ULL << 12));
    ASSERT_EQ(parsed("0 0 * * mon-FRI").dow, 0x3eULL);
    ASSERT_EQ(parsed("0 0 * * sun,sat").dow, (1ULL << 0) | (1ULL << 6));
    ASSERT_EQ(parsed("0 0 * * FR\xc4\xb0").dow, 1ULL << 5); /* Go lower-cases U+0130 to 'i' */
    refused("0 0 * * 7", "end of range (7) above maximum (6)");
    refused("0 0 * * monday", "failed to parse int from \"monday\"");
    refused("0 0 * */jan *", "failed to parse int from \"jan\""); /* a step is a number */
}


TEST(cron_refusals_name_the_field)
{
    refused("", "empty schedule");
    refused("   ", "expected exactly 5 fields");
    refused("0 3 * *", "found 4");
    refused("0 0 3 * * *", "found 6");
    refused("60 * * * *", "minute field: end of range (60) above maximum (59)");
    refused("* 24 * * *", "hour field");
    refused("0 0 0 * *", "day-of-month field: beginning of range (0) below minimum (1)");
    refused("0 0 * 13 *", "month field");
    refused("5-1 * * * *", "beginning of range (5) beyond end of range (1)");
    refused("*/0 * * * *", "step of range should be a positive number");
    refused("*/-1 * * * *", "negative number (-1) not allowed");
    refused("1-2-3 * * * *", "too many hyphens");
    refused("1/2/3 * * * *", "too many slashes");
    refused("99999999999999999999 * * * *", "value out of range");
    refused("TZ=UTC 0 3 * * *", "may not contain TZ");
    refused("CRON_TZ=Europe/Berlin 0 3 * * *", "may not contain TZ");
    refused("@every 1h", "@every is not supported");
    refused("@Daily", "unrecognized macro");
    refused("@daily ", "unrecognized macro"); /* robfig matches macros exactly */
    refused(" @daily", "expected exactly 5 fields");
}


TEST(cron_macros_are_their_fields)
{
    static const char *const m[][2] = {
        {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
        {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
        {"@hourly", "0 * * * *"},
    };

    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        cron_sched a = parsed(m[i][0]), b = parsed(m[i][1]);

        ASSERT(memcmp(&a, &b, sizeof a) == 0);
    }
}


TEST(cron_white_space_is_go_unicode_space)
{
    cron_sched a = parsed("0\t3\n*\xc2\xa0*\xe2\x80\x83*"),
               b = parsed("0 3 * * *"); /* NBSP, EM SPACE */

    ASSERT(memcmp(&a, &b, sizeof a) == 0);
    refused("0 3 * *\xe2\x80*", "found 4"); /* a broken sequence is no space */
}


TEST(cron_day_of_month_or_day_of_week)
{
    /* Neither starred: the 1st or a Monday. */
    runs(NULL, "0 0 1 * mon", "2026-11-30T12:00:00Z", 4,
         "2026-12-01T00:00:00Z 2026-12-07T00:00:00Z 2026-12-14T00:00:00Z 2026-12-21T00:00:00Z");
    /* Day of month starred: Mondays only. */
    runs(NULL, "0 0 * * mon", "2026-11-30T12:00:00Z", 2, "2026-12-07T00:00:00Z 2026-12-14T00:00:00Z");
    /* A stepped star is no star: odd days or Mondays. */
    runs(NULL, "0 0 */2 * mon", "2026-11-30T12:00:00Z", 3,
         "2026-12-01T00:00:00Z 2026-12-03T00:00:00Z 2026-12-05T00:00:00Z");
    runs(NULL, "@weekly", "2026-11-30T12:00:00Z", 1, "2026-12-06T00:00:00Z");
}


TEST(cron_next_is_strictly_after_and_stops_after_five_years)
{
    runs(NULL, "0 3 * * *", "2026-11-30T03:00:00Z", 1, "2026-12-01T03:00:00Z");
    runs(NULL, "0 3 * * *", "2026-11-30T02:59:59Z", 1, "2026-11-30T03:00:00Z");
    runs(NULL, "*/15 * * * *", "2026-11-30T10:07:00Z", 2, "2026-11-30T10:15:00Z 2026-11-30T10:30:00Z");
    runs(NULL, "0 0 29 2 *", "2026-11-30T12:00:00Z", 2, "2028-02-29T00:00:00Z 2032-02-29T00:00:00Z");
    runs(NULL, "0 0 30 2 *", "2026-11-30T12:00:00Z", 1, "NEVER");
    runs(NULL, ", * * * *", "2026-11-30T12:00:00Z", 1, "NEVER"); /* valid, selects no minute */
}


TEST(cron_time_zones_and_daylight_saving)
{
    /* Kolkata is +05:30: 03:00 there is 21:30 UTC the day before. */
    runs("Asia/Kolkata", "0 3 * * *", "2026-11-30T00:00:00Z", 1, "2026-11-30T21:30:00Z");
    /* Berlin springs forward on 29 March 2026 (02:00 to 03:00): 02:30 does not exist that day
     * and robfig skips the day, as Kubernetes does. */
    runs("Europe/Berlin", "30 2 * * *", "2026-03-28T12:00:00Z", 2,
         "2026-03-30T00:30:00Z 2026-03-31T00:30:00Z");
    runs("Europe/Berlin", "0 * * * *", "2026-03-29T00:30:00Z", 3,
         "2026-03-29T01:00:00Z 2026-03-29T02:00:00Z 2026-03-29T03:00:00Z");
    /* It falls back on 25 October 2026: 02:30 exists twice and runs twice. */
    runs("Europe/Berlin", "30 2 * * *", "2026-10-24T12:00:00Z", 3,
         "2026-10-25T00:30:00Z 2026-10-25T01:30:00Z 2026-10-26T01:30:00Z");
    /* Sao Paulo's midnight did not exist on 4 November 2018: that day has no midnight run. */
    runs("America/Sao_Paulo", "0 0 * * *", "2018-11-03T12:00:00Z", 2,
         "2018-11-05T02:00:00Z 2018-11-06T02:00:00Z");
}


TEST(cron_zone_names_follow_kubernetes)
{
    cron_zone *z = NULL;
    char       err[CRON_ERR_MAX];

    ASSERT_EQ(cron_zone_load("Europe/Berlin", &z, err, sizeof err), CORE_OK);
    ASSERT_STR(cron_zone_name(z), "Europe/Berlin");
    ASSERT_EQ(cron_zone_offset(z, at("2026-07-01T00:00:00Z")), 7200);
    ASSERT_EQ(cron_zone_offset(z, at("2026-12-01T00:00:00Z")), 3600);
    cron_zone_free(z);
    ASSERT_EQ(cron_zone_load("UTC", &z, err, sizeof err), CORE_OK);
    ASSERT_EQ(cron_zone_offset(z, at("2026-07-01T00:00:00Z")), 0);
    cron_zone_free(z);
    ASSERT_STR(cron_zone_name(NULL), "UTC");
    ASSERT_EQ(cron_zone_load("Mars/Olympus_Mons", &z, err, sizeof err), CORE_EINVAL);
    ASSERT(strstr(err, "unknown time zone Mars/Olympus_Mons"));
    ASSERT(z == NULL);
    /* POSIX TZ strings are no zone names for Go's LoadLocation, and so not for Kubernetes. */
    ASSERT_EQ(cron_zone_load("ABC3", &z, err, sizeof err), CORE_EINVAL);
    ASSERT_EQ(cron_zone_load("CET-1CEST,M3.5.0,M10.5.0/3", &z, err, sizeof err), CORE_EINVAL);
    ASSERT_EQ(cron_zone_load("Local", &z, err, sizeof err), CORE_EINVAL);
    ASSERT(strstr(err, "Local is not allowed"));
    ASSERT_EQ(cron_zone_load("", &z, err, sizeof err), CORE_EINVAL);
    ASSERT_EQ(cron_zone_load("../etc/passwd", &z, err, sizeof err), CORE_EINVAL);
    ASSERT_EQ(cron_zone_load("Europe/-Berlin", &z, err, sizeof err), CORE_EINVAL);
    ASSERT_EQ(cron_zone_load("America/Argentina_Buenos_Aires", &z, err, sizeof err),
              CORE_EINVAL);                                                  /* > 14 */
    ASSERT_EQ(cron_zone_load("zone.tab", &z, err, sizeof err), CORE_EINVAL); /* a file, not TZif */
    ASSERT_EQ(cron_zone_load("Europe", &z, err, sizeof err), CORE_EINVAL);   /* a folder */
}


/* A zone file cut short or not TZif is refused; the same bytes whole load. ZONEINFO is
 * where Go (and cron_zone_load) look first. */
TEST(cron_zone_files_are_checked)
{
    char       dir[] = "/tmp/cron-zoneinfo-XXXXXX", path[256], *data = NULL, err[CRON_ERR_MAX];
    size_t     len = 0;
    cron_zone *z = NULL;
    FILE      *f;

    ASSERT(mkdtemp(dir) != NULL);
    ASSERT_EQ(core_read_file("/usr/share/zoneinfo/Europe/Berlin", 1 << 20, &data, &len), CORE_OK);
    snprintf(path, sizeof path, "%s/Cut", dir);
    ASSERT((f = fopen(path, "wb")) != NULL);
    ASSERT_EQ(fwrite(data, 1, len / 2, f), len / 2);
    fclose(f);
    snprintf(path, sizeof path, "%s/Whole", dir);
    ASSERT((f = fopen(path, "wb")) != NULL);
    ASSERT_EQ(fwrite(data, 1, len, f), len);
    fclose(f);
    setenv("ZONEINFO", dir, 1);
    ASSERT_EQ(cron_zone_load("Cut", &z, err, sizeof err), CORE_EINVAL);
    ASSERT(strstr(err, "is not a TZif file"));
    ASSERT_EQ(cron_zone_load("Whole", &z, err, sizeof err), CORE_OK);
    ASSERT_EQ(cron_zone_offset(z, at("2026-07-01T00:00:00Z")), 7200);
    cron_zone_free(z);
    unsetenv("ZONEINFO");
    snprintf(path, sizeof path, "%s/Cut", dir);
    remove(path);
    snprintf(path, sizeof path, "%s/Whole", dir);
    remove(path);
    remove(dir);
    free(data);
}
