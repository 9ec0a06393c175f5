/*
 * dbi_backup: spec.backup, what the schedule asks at an instant (an injected "now"), and
 * retention.
 */
#include <cjson/cJSON.h>
#include <string.h>

#include "core/core.h"
#include "dbi/dbi_backup.h"
#include "test.h"


static int64_t
at(const char *rfc3339)
{
    int64_t t = 0;

    if (core_rfc3339_parse(rfc3339, &t))
        test_fail(__FILE__, __LINE__, rfc3339);
    return t;
}


/* spec.backup from JSON text: the rc, the spec and the message. */
static int
parse(const char *json, dbi_backup_spec *b, char *msg, size_t len)
{
    cJSON *spec = cJSON_Parse(json);
    int    rc;

    ASSERT(spec != NULL);
    msg[0] = '\0';
    rc = dbi_backup_spec_parse(spec, b, msg, len);
    cJSON_Delete(spec);
    return rc;
}


static dbi_backup_spec
spec_of(const char *schedule)
{
    dbi_backup_spec b;
    char            json[512], msg[256];

    snprintf(json, sizeof json, "{\"backup\":{\"schedule\":\"%s\",\"keep\":2}}", schedule);
    ASSERT_EQ(parse(json, &b, msg, sizeof msg), CORE_OK);
    return b;
}


TEST(dbi_backup_spec_parse_reads_and_refuses)
{
    dbi_backup_spec b;
    char            msg[256];

    ASSERT_EQ(parse("{\"engine\":\"postgresql\"}", &b, msg, sizeof msg), CORE_ENOENT);
    ASSERT_EQ(parse("{\"backup\":{\"schedule\":\"0 3 * * *\",\"keep\":3,\"timeZone\":\"Europe/Berlin\","
                    "\"volumeSnapshotClassName\":\"fast\"}}",
                    &b, msg, sizeof msg),
              CORE_OK);
    ASSERT_STR(b.schedule, "0 3 * * *");
    ASSERT_EQ(b.keep, 3);
    ASSERT_STR(b.time_zone, "Europe/Berlin");
    ASSERT_STR(b.class_name, "fast");
    ASSERT_EQ(b.sched.hour, 1ULL << 3);
    ASSERT_EQ(parse("{\"backup\":{\"schedule\":\"@daily\"}}", &b, msg, sizeof msg), CORE_OK);
    ASSERT_EQ(b.keep, 7); /* the CRD's default */
    ASSERT_STR(b.time_zone, "");
    ASSERT_EQ(parse("{\"backup\":{\"keep\":3}}", &b, msg, sizeof msg), CORE_EINVAL);
    ASSERT(strstr(msg, "spec.backup.schedule: required"));
    ASSERT_EQ(parse("{\"backup\":{\"schedule\":\"0 3 * *\"}}", &b, msg, sizeof msg), CORE_EINVAL);
    ASSERT(strstr(msg, "spec.backup.schedule: \"0 3 * *\": expected exactly 5 fields"));
    ASSERT_EQ(parse("{\"backup\":{\"schedule\":\"TZ=UTC 0 3 * * *\"}}", &b, msg, sizeof msg),
              CORE_EINVAL);
    ASSERT(strstr(msg, "may not contain TZ"));
    ASSERT_EQ(parse("{\"backup\":{\"schedule\":\"@daily\",\"keep\":0}}", &b, msg, sizeof msg),
              CORE_EINVAL);
    ASSERT(strstr(msg, "spec.backup.keep: must be a whole number from 1 to 1000"));
    ASSERT_EQ(parse("{\"backup\":{\"schedule\":\"@daily\",\"keep\":2.5}}", &b, msg, sizeof msg),
              CORE_EINVAL);
    ASSERT_EQ(parse("{\"backup\":{\"schedule\":\"@daily\",\"keep\":1001}}", &b, msg, sizeof msg),
              CORE_EINVAL);
    ASSERT_EQ(parse("{\"backup\":{\"schedule\":\"@daily\",\"timeZone\":\"\"}}", &b, msg, sizeof msg),
              CORE_EINVAL);
    ASSERT(strstr(msg, "spec.backup.timeZone: empty"));
    ASSERT_EQ(parse("{\"backup\":{\"schedule\":7}}", &b, msg, sizeof msg), CORE_EINVAL);
    ASSERT(strstr(msg, "spec.backup.schedule: must be a string"));
    ASSERT_EQ(parse("{\"backup\":\"daily\"}", &b, msg, sizeof msg), CORE_EINVAL);
    ASSERT_EQ(parse("{\"backup\":{\"schedule\":\"0 0 31 2 *\"}}", &b, msg, sizeof msg), CORE_EINVAL);
    ASSERT(strstr(msg, "spec.backup.schedule: \"0 0 31 2 *\" never runs"));
    ASSERT_EQ(parse("{\"backup\":{\"schedule\":\"0 0 31 4,6,9,11 *\"}}", &b, msg, sizeof msg),
              CORE_EINVAL);
    /* Rare is not never: leap days, and the 31st in a list with one long month. */
    ASSERT_EQ(parse("{\"backup\":{\"schedule\":\"0 0 29 2 *\"}}", &b, msg, sizeof msg), CORE_OK);
    ASSERT_EQ(parse("{\"backup\":{\"schedule\":\"0 0 31 2,4,12 *\"}}", &b, msg, sizeof msg), CORE_OK);
}


TEST(dbi_backup_plan_new_schedule_waits_for_its_first_run)
{
    dbi_backup_spec b = spec_of("0 3 * * *");
    dbi_backup_plan p;
    int64_t         now = at("2026-11-30T10:20:30Z");

    /* Neither status.lastBackup nor status.nextBackup: counting starts now, nothing is due. */
    ASSERT_EQ(dbi_backup_plan_at("orders", &b, NULL, dbi_backup_since(0, 0, 0, 0, now), now, &p),
              CORE_OK);
    ASSERT_EQ(p.due, 0);
    ASSERT_EQ(p.has_next, 1);
    ASSERT_EQ(p.next_at, at("2026-12-01T03:00:00Z"));
    ASSERT_EQ(p.delay_ms, (uint64_t)(at("2026-12-01T03:00:00Z") - now) * 1000);
}


TEST(dbi_backup_plan_takes_the_run_that_came)
{
    dbi_backup_spec b = spec_of("0 3 * * *");
    dbi_backup_plan p;
    int64_t         next = at("2026-12-01T03:00:00Z"), now = next; /* the timer fired on time */

    ASSERT_EQ(dbi_backup_plan_at("orders", &b, NULL, dbi_backup_since(0, 0, 1, next, now), now, &p),
              CORE_OK);
    ASSERT_EQ(p.due, 1);
    ASSERT_EQ(p.due_at, next);
    ASSERT_EQ(p.missed, 0);
    ASSERT_STR(p.name, "orders-202612010300");
    ASSERT_EQ(p.next_at, at("2026-12-02T03:00:00Z"));
    /* Taken (status.lastBackup = 03:00): the same instant asks for nothing more. */
    ASSERT_EQ(dbi_backup_plan_at("orders", &b, NULL, dbi_backup_since(1, next, 1, next, now), now, &p),
              CORE_OK);
    ASSERT_EQ(p.due, 0);
    /* A timer that fired a little early (loop time behind the clock) finds nothing due yet
     * and a short delay. */
    ASSERT_EQ(dbi_backup_plan_at("orders", &b, NULL, dbi_backup_since(0, 0, 1, next, next - 1),
                                 next - 1, &p),
              CORE_OK);
    ASSERT_EQ(p.due, 0);
    ASSERT_EQ(p.delay_ms, 1000);
}


TEST(dbi_backup_plan_one_catch_up_after_downtime_never_a_burst)
{
    dbi_backup_spec b = spec_of("0 * * * *");
    dbi_backup_plan p;
    int64_t         last = at("2026-11-30T03:00:00Z"), now = at("2026-11-30T09:41:00Z");

    /* Down from 03:10 to 09:41: runs at 04:00..09:00 were missed; one is taken, for 09:00. */
    ASSERT_EQ(dbi_backup_plan_at("orders", &b, NULL, dbi_backup_since(1, last, 1, last + 3600, now),
                                 now, &p),
              CORE_OK);
    ASSERT_EQ(p.due, 1);
    ASSERT_EQ(p.due_at, at("2026-11-30T09:00:00Z"));
    ASSERT_EQ(p.missed, 5);
    ASSERT_STR(p.name, "orders-202611300900");
    ASSERT_EQ(p.next_at, at("2026-11-30T10:00:00Z"));
    /* Once it is taken, the next look at 09:42 asks for nothing. */
    ASSERT_EQ(dbi_backup_plan_at("orders", &b, NULL, p.due_at, now + 60, &p), CORE_OK);
    ASSERT_EQ(p.due, 0);
    /* Down for three weeks with a weekly schedule: one catch-up, the latest Sunday. */
    b = spec_of("@weekly");
    ASSERT_EQ(dbi_backup_plan_at("orders", &b, NULL, at("2026-11-01T00:00:00Z"),
                                 at("2026-11-25T12:00:00Z"), &p),
              CORE_OK);
    ASSERT_EQ(p.due, 1);
    ASSERT_EQ(p.due_at, at("2026-11-22T00:00:00Z"));
    ASSERT_EQ(p.missed, 2);
    /* A monthly schedule down for a year and a half still takes just the latest one. */
    b = spec_of("0 0 1 * *");
    ASSERT_EQ(dbi_backup_plan_at("orders", &b, NULL, at("2025-05-01T00:00:00Z"),
                                 at("2026-11-30T12:00:00Z"), &p),
              CORE_OK);
    ASSERT_EQ(p.due_at, at("2026-11-01T00:00:00Z"));
    ASSERT_EQ(p.missed, 17); /* June 2025 to October 2026 */
}


TEST(dbi_backup_plan_in_a_time_zone_names_in_utc)
{
    dbi_backup_spec b = spec_of("0 3 * * *");
    dbi_backup_plan p;
    cron_zone      *z = NULL;
    char            err[CRON_ERR_MAX];
    int64_t         now = at("2026-11-30T02:00:30Z"); /* 03:00:30 in Berlin */

    ASSERT_EQ(cron_zone_load("Europe/Berlin", &z, err, sizeof err), CORE_OK);
    ASSERT_EQ(dbi_backup_plan_at("orders", &b, z, at("2026-11-29T02:00:00Z"), now, &p), CORE_OK);
    ASSERT_EQ(p.due, 1);
    ASSERT_STR(p.name, "orders-202611300200");
    ASSERT_EQ(p.next_at, at("2026-12-01T02:00:00Z"));
    cron_zone_free(z);
}


TEST(dbi_backup_plan_limits)
{
    dbi_backup_spec b;
    dbi_backup_plan p;
    char            name[64], err[128];
    int64_t         now = at("2026-11-30T12:00:00Z");

    /* dbi_backup_parse refuses a schedule that never runs; the plan copes with one anyway. */
    memset(&b, 0, sizeof b);
    b.keep = 2;
    ASSERT_EQ(cron_parse("0 0 30 2 *", &b.sched, err, sizeof err), CORE_OK);
    ASSERT_EQ(dbi_backup_plan_at("orders", &b, NULL, now - 86400 * 400, now, &p), CORE_OK);
    ASSERT_EQ(p.due, 0);
    ASSERT_EQ(p.has_next, 0); /* 30 February: never; the caller says so in a condition */
    ASSERT_EQ(p.delay_ms, 0);
    b = spec_of("@daily");
    memset(name, 'a', 45);
    name[45] = '\0';
    ASSERT_EQ(dbi_backup_plan_at(name, &b, NULL, now - 86400, now, &p), CORE_OK);
    ASSERT_EQ(strlen(p.name), 58); /* a DNS-1123 label, no cut needed */
    name[45] = 'a';
    name[46] = '\0';
    ASSERT_EQ(dbi_backup_plan_at(name, &b, NULL, now - 86400, now, &p), CORE_EINVAL);
    /* A clock that went back (since after now): nothing due, the next run still known. */
    ASSERT_EQ(dbi_backup_plan_at("orders", &b, NULL, now + 86400, now, &p), CORE_OK);
    ASSERT_EQ(p.due, 0);
    ASSERT_EQ(p.next_at, at("2026-12-01T00:00:00Z"));
}


#define UID   "uid-orders-1"
#define OTHER "uid-orders-0" /* an earlier instance of the same name */


static size_t
prune(const dbi_backup_snap *s, size_t n, int keep, unsigned char *del)
{
    size_t ndel = 99;

    ASSERT_EQ(dbi_backup_prune(s, n, UID, keep, del, &ndel), CORE_OK);
    return ndel;
}


TEST(dbi_backup_prune_keeps_the_newest_scheduled_of_this_instance)
{
    dbi_backup_snap s[] = {
        {"orders-202611270300", 1000, UID, 1, 1, 0},
        {"orders-202611300300", 4000, UID, 1, 1, 0},
        {"orders-202611280300", 2000, UID, 1, 1, 0},
        {"orders-before-migration", 500, UID, 0, 1, 0}, /* manual: never */
        {"orders-202611010300", 10, OTHER, 1, 1, 0},    /* another instance of that name */
        {"orders-202611290300", 3000, UID, 1, 1, 0},
        {"orders-202611260300", 900, UID, 1, 1, 1},        /* already being deleted */
        {"payments-202611300300", 4000, "uid-p", 1, 1, 0}, /* another instance */
        {"orders-202611250300", 800, NULL, 1, 1, 0},       /* no uid label: not provably ours */
    };
    unsigned char del[9];

    ASSERT_EQ(prune(s, 9, 2, del), 2);
    ASSERT_EQ(del[0] + del[2], 2); /* 27th and 28th go */
    ASSERT_EQ(del[1] + del[5], 0); /* 30th and 29th stay */
    ASSERT_EQ(del[3] + del[4] + del[6] + del[7] + del[8], 0);
    ASSERT_EQ(prune(s, 9, 4, del), 0);
    ASSERT_EQ(prune(s, 9, 1, del), 3);
    ASSERT_EQ(del[1], 0);
}


TEST(dbi_backup_prune_waits_for_the_newest_to_be_ready)
{
    dbi_backup_snap s[] = {
        {"orders-202611300300", 4000, UID, 1, 0, 0}, /* newest, not readyToUse yet */
        {"orders-202611290300", 3000, UID, 1, 1, 0},
        {"orders-202611280300", 2000, UID, 1, 1, 0},
    };
    unsigned char del[3];

    ASSERT_EQ(prune(s, 3, 1, del), 0);
    s[0].ready = 1;
    ASSERT_EQ(prune(s, 3, 1, del), 2);
    ASSERT_EQ(del[0], 0);
    /* Same creation second: the name (its minute) decides. */
    s[1].created = s[0].created;
    ASSERT_EQ(prune(s, 3, 1, del), 2);
    ASSERT_EQ(del[0], 0);
}


TEST(dbi_backup_prune_refuses_bad_arguments)
{
    dbi_backup_snap s[] = {{"orders-202611300300", 4000, UID, 1, 1, 0}};
    unsigned char   del[1];
    size_t          ndel;

    ASSERT_EQ(dbi_backup_prune(s, 1, UID, 0, del, &ndel), CORE_EINVAL);
    ASSERT_EQ(dbi_backup_prune(s, 1, "", 1, del, &ndel), CORE_EINVAL);
    ASSERT_EQ(dbi_backup_prune(s, 1, NULL, 1, del, &ndel), CORE_EINVAL);
    ASSERT_EQ(dbi_backup_prune(NULL, 0, UID, 1, del, &ndel), CORE_OK);
    ASSERT_EQ(ndel, 0);
}


TEST(dbi_backup_snap_read_takes_what_retention_needs)
{
    cJSON          *o = cJSON_Parse("{\"metadata\":{\"name\":\"orders-202611300300\","
                                             "\"creationTimestamp\":\"2026-11-30T03:00:02Z\",\"labels\":{"
                                             "\"dbaas.dev/instance\":\"orders\",\"dbaas.dev/instance-uid\":\"u-1\","
                                             "\"dbaas.dev/scheduled\":\"true\"}},\"status\":{\"readyToUse\":true}}");
    dbi_backup_snap s;

    ASSERT(o != NULL);
    ASSERT_EQ(dbi_backup_snap_read(o, &s), CORE_OK);
    ASSERT_STR(s.name, "orders-202611300300");
    ASSERT_EQ(s.created, at("2026-11-30T03:00:02Z"));
    ASSERT_STR(s.instance_uid, "u-1");
    ASSERT(s.scheduled && s.ready && !s.deleting);
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "metadata"), "labels"),
                              "dbaas.dev/scheduled", cJSON_CreateString("false"));
    cJSON_AddStringToObject(cJSON_GetObjectItem(o, "metadata"), "deletionTimestamp",
                            "2026-11-30T04:00:00Z");
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(o, "status"), "readyToUse",
                              cJSON_CreateString("true"));
    ASSERT_EQ(dbi_backup_snap_read(o, &s), CORE_OK);
    ASSERT(!s.scheduled && !s.ready && s.deleting); /* only the boolean true is ready */
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(o, "metadata"), "creationTimestamp",
                              cJSON_CreateString("today"));
    ASSERT_EQ(dbi_backup_snap_read(o, &s), CORE_EINVAL);
    cJSON_Delete(o);
}
