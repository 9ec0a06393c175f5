/*
 * cron_tz: time zone rules for cron, read from the TZif file (RFC 8536) as Go's time package
 * reads it, because Kubernetes is Go and agreement with it is the point.
 *
 * Why not a library: libc knows only the zone of the TZ environment variable (tzset and
 * localtime_r), one per process and not safe to switch while other threads read it. Of what
 * Debian packages for C, ICU carries its own copy of the zone data rather than the system
 * zoneinfo Go reads, libcctz is C++, and GLib's GTimeZone (2.74 in Debian 12), tried first,
 * reads the POSIX TZ footer of Europe/Dublin ("IST-1GMT0,M10.5.0,M3.5.0/1", daylight saving
 * time with the lower offset) two hours off: test/cron/run.sh showed it disagreeing with Go
 * past the file's last transition (2037, or 1996 in a "slim" file). So this file is a copy of
 * Go 1.26's rules, checked against Go itself by test/cron/run.sh with fat and slim files:
 * - time/zoneinfo_read.go LoadLocationFromTZData: version 1 data, or the 64-bit data of
 *   versions 2 and 3, and the footer "\n<TZ string>\n"; a file without transitions gets one
 *   at the beginning of time to its first type;
 * - time/zoneinfo.go lookup: before the first transition, lookupFirstZone's type; else the
 *   type of the last transition at or before the instant; after the last one, the footer's
 *   rule when it parses (tzset, tzsetName, tzsetOffset, tzsetRule, tzruleTime), else the last
 *   transition's type.
 * Name checks (cron.h) keep the path inside the zoneinfo folder, as Go's containsDotDot does.
 */
#include "cron/cron.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define ZONE_NAME_MAX 255
#define PART_MAX      14
#define FILE_MAX      (1024 * 1024)
#define SECS_DAY      86400

typedef struct {
    int kind; /* 'J' Julian day 1-365 without 29 Feb, 'D' day 0-365, 'M' month.week.day */
    int day, week, mon;
    int time; /* seconds after local midnight, default 02:00 */
} tz_rule;

struct cron_zone {
    char     name[ZONE_NAME_MAX + 1];
    size_t   ntx, ntypes;
    int64_t *when;  /* transition instants, ascending as the file lists them */
    uint8_t *index; /* the type of each transition */
    int32_t *off;   /* each type's offset east of UTC */
    uint8_t *isdst;
    size_t   first; /* lookupFirstZone */
    int      ext;   /* the footer parsed: the fields below apply after the last transition */
    int      ext_dst;
    int32_t  std_off, dst_off;
    tz_rule  start, end;
};


/* validateTimeZone's rule for one '/'-separated part (pkg/apis/batch/validation). */
static int
part_ok(const char *p, size_t n)
{
    if (n < 1 || n > PART_MAX || p[0] == '-' || (n == 1 && p[0] == '.') ||
        (n == 2 && p[0] == '.' && p[1] == '.'))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_' || c == '+'))
            return 0;
    }
    return 1;
}


static int
name_ok(const char *name)
{
    const char *p = name;

    for (;;) {
        const char *slash = strchr(p, '/');
        size_t      n = slash ? (size_t)(slash - p) : strlen(p);

        if (!part_ok(p, n))
            return 0;
        if (!slash)
            return 1;
        p = slash + 1;
    }
}


/* ---- the POSIX TZ footer, as Go's tzset* functions read it ---- */

/* tzsetNum: digits within [min, max], at least one. */
static int
tz_num(const char **s, int min, int max, int *out)
{
    const char *p = *s;
    int         n = 0;

    if (!(*p >= '0' && *p <= '9'))
        return 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        n = n * 10 + (*p - '0');
        if (n > max)
            return 0;
    }
    if (n < min)
        return 0;
    *s = p;
    *out = n;
    return 1;
}


static int
tz_name(const char **s)
{
    const char *p = *s;

    if (!*p)
        return 0;
    if (*p == '<') {
        const char *close = strchr(p, '>');

        if (!close)
            return 0;
        *s = close + 1;
        return 1;
    }
    for (; *p; p++)
        if ((*p >= '0' && *p <= '9') || *p == ',' || *p == '-' || *p == '+') {
            if (p - *s < 3)
                return 0;
            *s = p;
            return 1;
        }
    if (p - *s < 3)
        return 0;
    *s = p;
    return 1;
}


/* tzsetOffset: [+-]hh[:mm[:ss]], as written (west of UTC positive). */
static int
tz_offset(const char **s, int *out)
{
    const char *p = *s;
    int         neg = 0, h, m = 0, sec = 0;

    if (*p == '+')
        p++;
    else if (*p == '-') {
        neg = 1;
        p++;
    }
    if (!tz_num(&p, 0, 24 * 7, &h))
        return 0;
    if (*p == ':') {
        p++;
        if (!tz_num(&p, 0, 59, &m))
            return 0;
        if (*p == ':') {
            p++;
            if (!tz_num(&p, 0, 59, &sec))
                return 0;
        }
    }
    *out = (neg ? -1 : 1) * (h * 3600 + m * 60 + sec);
    *s = p;
    return 1;
}


static int
tz_rule_parse(const char **s, tz_rule *r)
{
    const char *p = *s;

    memset(r, 0, sizeof *r);
    if (*p == 'J') {
        p++;
        r->kind = 'J';
        if (!tz_num(&p, 1, 365, &r->day))
            return 0;
    } else if (*p == 'M') {
        p++;
        r->kind = 'M';
        if (!tz_num(&p, 1, 12, &r->mon) || *p++ != '.' || !tz_num(&p, 1, 5, &r->week) ||
            *p++ != '.' || !tz_num(&p, 0, 6, &r->day))
            return 0;
    } else {
        r->kind = 'D';
        if (!tz_num(&p, 0, 365, &r->day))
            return 0;
    }
    r->time = 2 * 3600;
    if (*p == '/') {
        p++;
        if (!tz_offset(&p, &r->time))
            return 0;
    }
    *s = p;
    return 1;
}


/* tzset's parse; 0 when Go would not use the footer. */
static int
footer_parse(cron_zone *z, const char *s)
{
    int off;

    if (!tz_name(&s) || !tz_offset(&s, &off))
        return 0;
    z->std_off = -off;
    if (!*s || *s == ',') {
        z->ext_dst = 0;
        return 1;
    }
    if (!tz_name(&s))
        return 0;
    if (!*s || *s == ',')
        z->dst_off = z->std_off + 3600;
    else {
        if (!tz_offset(&s, &off))
            return 0;
        z->dst_off = -off;
    }
    if (!*s)
        s = ",M3.2.0,M11.1.0"; /* tzcode's default rules */
    if (*s != ',' && *s != ';')
        return 0;
    s++;
    if (!tz_rule_parse(&s, &z->start) || *s++ != ',' || !tz_rule_parse(&s, &z->end) || *s)
        return 0;
    z->ext_dst = 1;
    return 1;
}


static int
leap(int64_t y)
{
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}


static const int days_before[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365};


/* tzruleTime: seconds from the start of the year (UTC) to the rule's moment. */
static int64_t
rule_time(int64_t year, const tz_rule *r, int32_t off)
{
    int64_t s = 0;

    if (r->kind == 'J') {
        s = (int64_t)(r->day - 1) * SECS_DAY;
        if (leap(year) && r->day >= 60)
            s += SECS_DAY;
    } else if (r->kind == 'D')
        s = (int64_t)r->day * SECS_DAY;
    else {
        int64_t m1 = (r->mon + 9) % 12 + 1, yy0 = year - (r->mon <= 2), yy1 = yy0 / 100,
                yy2 = yy0 % 100;
        int64_t dow = ((26 * m1 - 2) / 10 + 1 + yy2 + yy2 / 4 + yy1 / 4 - 2 * yy1) % 7, d;
        int     dim = days_before[r->mon] - days_before[r->mon - 1] + (r->mon == 2 && leap(year));

        if (dow < 0)
            dow += 7;
        d = r->day - dow;
        if (d < 0)
            d += 7;
        for (int i = 1; i < r->week; i++) {
            if (d + 7 >= dim)
                break;
            d += 7;
        }
        d += days_before[r->mon - 1];
        if (leap(year) && r->mon > 2)
            d++;
        s = d * SECS_DAY;
    }
    return s + r->time - off;
}


static int64_t
floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}


/* The offset the footer gives at t (Go's tzset after its parse). */
static int32_t
footer_offset(const cron_zone *z, int64_t t)
{
    int64_t days = floor_div(t, SECS_DAY), y, start_of_year, ysec, start, end;
    int32_t std = z->std_off, dst = z->dst_off;
    int     year;

    if (!z->ext_dst)
        return std;
    cron_civil(NULL, t, &year, NULL, NULL, NULL, NULL, NULL, NULL);
    y = year;
    start_of_year = 365 * (y - 1970) + floor_div(y - 1969, 4) - floor_div(y - 1901, 100) +
                    floor_div(y - 1601, 400);
    ysec = (days - start_of_year) * SECS_DAY + t % SECS_DAY;
    start = rule_time(y, &z->start, std);
    end = rule_time(y, &z->end, dst);
    if (end < start) {
        int64_t tmp = start;
        int32_t o = std;

        start = end;
        end = tmp;
        std = dst;
        dst = o;
    }
    return ysec < start || ysec >= end ? std : dst;
}


/* ---- the TZif file ---- */

static uint32_t
be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}


static int64_t
be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}


/* LoadLocationFromTZData; 0 for data Go calls malformed. */
static int
tzif_parse(cron_zone *z, const unsigned char *d, size_t len)
{
    size_t   n[6], pos = 0, size = 4, need;
    int      version;
    uint32_t v;

    if (len < 44 || memcmp(d, "TZif", 4) != 0)
        return 0;
    version = d[4] == 0 ? 1 : d[4] == '2' ? 2 : d[4] == '3' ? 3 : 0;
    if (!version)
        return 0;
    for (int i = 0; i < 6; i++)
        n[i] = be32(d + 20 + 4 * i);
    pos = 44;
    if (version > 1) {
        need = n[3] * 4 + n[3] + n[4] * 6 + n[5] + n[2] * 8 + n[1] + n[0];
        if (need > len - pos || len - pos - need < 44)
            return 0;
        pos += need;
        for (int i = 0; i < 6; i++)
            n[i] = be32(d + pos + 20 + 4 * i);
        pos += 44;
        size = 8;
    }
    /* n: isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt */
    if (n[3] > FILE_MAX || n[4] > 256 || n[5] > FILE_MAX || n[2] > FILE_MAX || n[1] > FILE_MAX ||
        n[0] > FILE_MAX)
        return 0;
    need = n[3] * size + n[3] + n[4] * 6 + n[5] + n[2] * (size + 4) + n[1] + n[0];
    if (need > len - pos || n[4] == 0)
        return 0;
    z->ntypes = n[4];
    z->ntx = n[3] ? n[3] : 1;
    if (!(z->when = calloc(z->ntx, sizeof *z->when)) || !(z->index = calloc(z->ntx, 1)) ||
        !(z->off = calloc(z->ntypes, sizeof *z->off)) || !(z->isdst = calloc(z->ntypes, 1)))
        return -1;
    for (size_t i = 0; i < z->ntypes; i++) {
        const unsigned char *t = d + pos + n[3] * size + n[3] + i * 6;

        if (t[5] >= n[5])
            return 0;
        v = be32(t);
        z->off[i] = (int32_t)v;
        z->isdst[i] = t[4] != 0;
    }
    if (n[3] == 0) {
        z->when[0] = INT64_MIN; /* a fake transition covering all time, to type 0 */
        z->index[0] = 0;
    }
    for (size_t i = 0; i < n[3]; i++) {
        z->when[i] = size == 8 ? be64(d + pos + i * 8) : (int64_t)(int32_t)be32(d + pos + i * 4);
        z->index[i] = d[pos + n[3] * size + i];
        if (z->index[i] >= z->ntypes)
            return 0;
    }
    pos += need;
    if (len - pos > 2 && d[pos] == '\n' && d[len - 1] == '\n') {
        char   footer[256];
        size_t fl = len - pos - 2;

        if (fl < sizeof footer && !memchr(d + pos + 1, '\0', fl)) {
            memcpy(footer, d + pos + 1, fl);
            footer[fl] = '\0';
            z->ext = footer_parse(z, footer);
        }
    }
    /* lookupFirstZone */
    z->first = 0;
    {
        int used = 0;

        for (size_t i = 0; i < z->ntx; i++)
            used |= z->index[i] == 0;
        if (used) {
            size_t k = z->ntypes;

            if (z->isdst[z->index[0]])
                for (size_t j = z->index[0]; j-- > 0;)
                    if (!z->isdst[j]) {
                        k = j;
                        break;
                    }
            if (k == z->ntypes)
                for (k = 0; k < z->ntypes && z->isdst[k]; k++)
                    ;
            z->first = k < z->ntypes ? k : 0;
        }
    }
    return 1;
}


void
cron_zone_free(cron_zone *z)
{
    if (!z)
        return;
    free(z->when);
    free(z->index);
    free(z->off);
    free(z->isdst);
    free(z);
}


int
cron_zone_load(const char *name, cron_zone **out, char *err, size_t errlen)
{
    const char *dir = NULL;
    cron_zone  *z = NULL;
    char        path[4096];
    char       *data = NULL;
    size_t      len = 0;
    struct stat st;
    int         rc;

    *out = NULL;
    if (!name || !*name)
        return core_errf(err, errlen, CORE_EINVAL, "empty time zone: omit it for UTC");
    if (strlen(name) > ZONE_NAME_MAX || !name_ok(name))
        return core_errf(err, errlen, CORE_EINVAL,
                         "unknown time zone %.64s: use an IANA name such as Europe/Berlin", name);
    if (strcasecmp(name, "Local") == 0)
        return core_errf(err, errlen, CORE_EINVAL,
                         "time zone Local is not allowed: name an IANA time zone such as Europe/Berlin");
    if (!(z = calloc(1, sizeof *z)))
        return CORE_ENOMEM;
    memcpy(z->name, name, strlen(name) + 1);
    if (strcmp(name, "UTC") == 0) { /* Go's LoadLocation answers UTC without a file */
        *out = z;
        return CORE_OK;
    }
    /* Go looks in $ZONEINFO (when it is a folder) first, then in /usr/share/zoneinfo. */
    for (int i = 0; i < 2 && !data; i++) {
        dir = i == 0 ? getenv("ZONEINFO") : "/usr/share/zoneinfo";
        if (!dir || !*dir || (size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path ||
            stat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
            core_read_file(path, FILE_MAX, &data, &len) != CORE_OK)
            data = NULL;
    }
    if (!data) {
        cron_zone_free(z);
        return core_errf(err, errlen, CORE_EINVAL, "unknown time zone %.64s: not in the zoneinfo",
                         name);
    }
    rc = tzif_parse(z, (const unsigned char *)data, len);
    free(data);
    if (rc <= 0) {
        cron_zone_free(z);
        if (rc < 0)
            return CORE_ENOMEM;
        return core_errf(err, errlen, CORE_EINVAL,
                         "unknown time zone %.64s: %.200s is not a TZif file", name, path);
    }
    *out = z;
    return CORE_OK;
}


const char *
cron_zone_name(const cron_zone *z)
{
    return z ? z->name : "UTC";
}


int32_t
cron_zone_offset(const cron_zone *z, int64_t t)
{
    size_t lo = 0, hi;

    if (!z || !z->ntx)
        return 0;
    if (t < z->when[0])
        return z->off[z->first];
    for (hi = z->ntx; hi - lo > 1;) {
        size_t m = lo + (hi - lo) / 2;

        if (t < z->when[m])
            hi = m;
        else
            lo = m;
    }
    if (lo == z->ntx - 1 && z->ext)
        return footer_offset(z, t);
    return z->off[z->index[lo]];
}
