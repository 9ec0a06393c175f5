/*
 * cron: the parser and SpecSchedule.Next of robfig/cron v3.0.1, as cron.h describes.
 * Zone rules are in cron_tz.c; this file only asks them for an offset at an instant.
 */
#include "cron/cron.h"

#include <stdio.h>
#include <string.h>

#define FIELDS   5
#define ITEM_MAX CRON_SPEC_MAX
#define SECS_DAY 86400
#define YEAR_MIN 1
#define YEAR_MAX 9994 /* cron_next may look five years ahead and step a month past that */

typedef struct {
    const char        *name;
    unsigned           min, max;
    const char *const *names; /* index = value - names_base; NULL: numbers only */
    unsigned           names_base;
    size_t             nnames;
} bounds;

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                          "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const dow_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

static const bounds field_bounds[FIELDS] = {
    {"minute", 0, 59, NULL, 0, 0},          {"hour", 0, 23, NULL, 0, 0},
    {"day-of-month", 1, 31, NULL, 0, 0},    {"month", 1, 12, month_names, 1, 12},
    {"day-of-week", 0, 6, dow_names, 0, 7},
};


/*
 * The length of the white space rune at s (Go's unicode.IsSpace), 0 when s starts with none.
 * Every rune matched starts with a byte that is never a UTF-8 continuation byte, so a match
 * is always where Go's decoder would start a rune, invalid sequences included.
 */
static size_t
space_len(const unsigned char *s, size_t n)
{
    if (n >= 1 && (*s == ' ' || (*s >= '\t' && *s <= '\r')))
        return 1;
    if (n >= 2 && s[0] == 0xc2 && (s[1] == 0x85 || s[1] == 0xa0))
        return 2;
    if (n < 3)
        return 0;
    if ((s[0] == 0xe1 && s[1] == 0x9a && s[2] == 0x80) ||
        (s[0] == 0xe2 && s[1] == 0x80 &&
         ((s[2] >= 0x80 && s[2] <= 0x8a) || s[2] == 0xa8 || s[2] == 0xa9 || s[2] == 0xaf)) ||
        (s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0x9f) ||
        (s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80))
        return 3;
    return 0;
}


/*
 * strconv.Atoi on a 64-bit machine: an optional sign, then one or more ASCII digits, within
 * int64. 0 and the value in *v, or -1 (syntax) or -2 (out of range).
 */
static int
go_atoi(const char *s, size_t n, long long *v)
{
    size_t             i = 0;
    int                neg = 0;
    unsigned long long acc = 0, lim;

    if (n > 0 && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == n)
        return -1;
    lim = neg ? (unsigned long long)INT64_MAX + 1 : (unsigned long long)INT64_MAX;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        if (acc > (lim - (unsigned long long)(s[i] - '0')) / 10)
            return -2; /* ParseUint stops at the first digit that overflows */
        acc = acc * 10 + (unsigned long long)(s[i] - '0');
    }
    *v = neg ? (long long)(0 - acc) : (long long)acc;
    return 0;
}


/*
 * Go's strings.ToLower(expr) == name, for the ASCII names here: ASCII letters fold, and the
 * two non-ASCII runes whose lower case is ASCII (U+0130 to 'i', U+212A to 'k') count as it.
 */
static int
name_equal(const char *s, size_t n, const char *name)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t               i = 0;

    for (; *name; name++) {
        int c;

        if (i >= n)
            return 0;
        if (i + 2 <= n && u[i] == 0xc4 && u[i + 1] == 0xb0) {
            c = 'i';
            i += 2;
        } else if (i + 3 <= n && u[i] == 0xe2 && u[i + 1] == 0x84 && u[i + 2] == 0xaa) {
            c = 'k';
            i += 3;
        } else {
            c = u[i] >= 'A' && u[i] <= 'Z' ? u[i] + 32 : u[i];
            i++;
        }
        if (c != *name)
            return 0;
    }
    return i == n;
}


/* parseIntOrName: a name of the field, else a non-negative number. */
static int
int_or_name(const bounds *b, const char *s, size_t n, unsigned long long *out, char *err,
            size_t errlen)
{
    long long v = 0;
    int       rc;

    for (size_t k = 0; b->names && k < b->nnames; k++)
        if (name_equal(s, n, b->names[k])) {
            *out = b->names_base + k;
            return CORE_OK;
        }
    if ((rc = go_atoi(s, n, &v)) < 0)
        return core_errf(err, errlen, CORE_EINVAL, "%s field: failed to parse int from \"%.*s\"%s",
                         b->name, (int)(n > 64 ? 64 : n), s, rc == -2 ? ": value out of range" : "");
    if (v < 0)
        return core_errf(err, errlen, CORE_EINVAL,
                         "%s field: negative number (%lld) not allowed: %.*s", b->name, v,
                         (int)(n > 64 ? 64 : n), s);
    *out = (unsigned long long)v;
    return CORE_OK;
}


/* Where c next occurs in s[0..n), or n. */
static size_t
find(const char *s, size_t n, char c)
{
    const char *p = memchr(s, c, n);

    return p ? (size_t)(p - s) : n;
}


static size_t
count(const char *s, size_t n, char c)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++)
        k += s[i] == c;
    return k;
}


/* getRange: one item of a list, "number | number-number [/number]" or a star. */
static int
range_bits(const bounds *b, const char *s, size_t n, uint64_t *bits, char *err, size_t errlen)
{
    size_t             slash = find(s, n, '/'), head = slash, dash = find(s, head, '-');
    size_t             hyphens = count(s, head, '-');
    unsigned long long start, end, step = 1;
    uint64_t           extra = 0;
    int                single = hyphens == 0, rc;
    int                item = (int)(n > 64 ? 64 : n);

    if ((dash == 1 && (s[0] == '*' || s[0] == '?'))) {
        start = b->min;
        end = b->max;
        extra = CRON_STAR_BIT;
    } else {
        if ((rc = int_or_name(b, s, dash, &start, err, errlen)))
            return rc;
        if (hyphens == 0)
            end = start;
        else if (hyphens == 1) {
            if ((rc = int_or_name(b, s + dash + 1, head - dash - 1, &end, err, errlen)))
                return rc;
        } else
            return core_errf(err, errlen, CORE_EINVAL, "%s field: too many hyphens: %.*s", b->name,
                             item, s);
    }
    if (slash < n) {
        if (count(s + slash + 1, n - slash - 1, '/') > 0)
            return core_errf(err, errlen, CORE_EINVAL, "%s field: too many slashes: %.*s", b->name,
                             item, s);
        long long v = 0;
        if ((rc = go_atoi(s + slash + 1, n - slash - 1, &v)) < 0)
            return core_errf(err, errlen, CORE_EINVAL, "%s field: failed to parse int from \"%.*s\"%s",
                             b->name, (int)(n - slash - 1 > 64 ? 64 : n - slash - 1), s + slash + 1,
                             rc == -2 ? ": value out of range" : "");
        if (v < 0)
            return core_errf(err, errlen, CORE_EINVAL,
                             "%s field: negative number (%lld) not allowed: %.*s", b->name, v, item,
                             s);
        step = (unsigned long long)v;
        if (single)
            end = b->max; /* "N/step" means "N-max/step" */
        if (step > 1)
            extra = 0;
    }
    if (start < b->min)
        return core_errf(err, errlen, CORE_EINVAL,
                         "%s field: beginning of range (%llu) below minimum (%u): %.*s", b->name,
                         start, b->min, item, s);
    if (end > b->max)
        return core_errf(err, errlen, CORE_EINVAL,
                         "%s field: end of range (%llu) above maximum (%u): %.*s", b->name, end,
                         b->max, item, s);
    if (start > end)
        return core_errf(err, errlen, CORE_EINVAL,
                         "%s field: beginning of range (%llu) beyond end of range (%llu): %.*s",
                         b->name, start, end, item, s);
    if (step == 0)
        return core_errf(err, errlen, CORE_EINVAL,
                         "%s field: step of range should be a positive number: %.*s", b->name, item,
                         s);
    for (unsigned long long i = start; i <= end; i += step)
        *bits |= UINT64_C(1) << i;
    *bits |= extra;
    return CORE_OK;
}


/* getField: a comma-separated list; empty items are skipped, as strings.FieldsFunc does. */
static int
field_bits(const bounds *b, const char *s, size_t n, uint64_t *bits, char *err, size_t errlen)
{
    size_t i = 0;
    int    rc;

    *bits = 0;
    while (i < n) {
        size_t len = find(s + i, n - i, ',');

        if (len > 0 && (rc = range_bits(b, s + i, len, bits, err, errlen)))
            return rc;
        i += len + 1;
    }
    return CORE_OK;
}


static const struct {
    const char *name;
    const char *fields;
} macros[] = {
    {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
};


static int
parse_fields(const char *spec, size_t n, cron_sched *out, char *err, size_t errlen)
{
    const unsigned char *u = (const unsigned char *)spec;
    const char          *start[FIELDS + 1];
    size_t               len[FIELDS + 1], nf = 0, i = 0, sp;
    uint64_t *bits[FIELDS] = {&out->minute, &out->hour, &out->dom, &out->month, &out->dow};
    int       rc;

    while (i < n) {
        size_t j;

        while (i < n && (sp = space_len(u + i, n - i)))
            i += sp;
        if (i >= n)
            break;
        for (j = i; j < n && !space_len(u + j, n - j); j++)
            ;
        if (nf <= FIELDS) {
            start[nf] = spec + i;
            len[nf] = j - i;
        }
        nf++;
        i = j;
    }
    if (nf != FIELDS)
        return core_errf(err, errlen, CORE_EINVAL,
                         "expected exactly 5 fields (minute hour day-of-month month day-of-week), found %zu",
                         nf);
    for (i = 0; i < FIELDS; i++)
        if ((rc = field_bits(&field_bounds[i], start[i], len[i], bits[i], err, errlen)))
            return rc;
    return CORE_OK;
}


int
cron_parse(const char *spec, cron_sched *out, char *err, size_t errlen)
{
    size_t n = spec ? strlen(spec) : 0;

    memset(out, 0, sizeof *out);
    if (n == 0)
        return core_errf(err, errlen, CORE_EINVAL, "empty schedule");
    if (n > CRON_SPEC_MAX)
        return core_errf(err, errlen, CORE_EINVAL, "schedule is longer than %d bytes", CRON_SPEC_MAX);
    if (strstr(spec, "TZ"))
        return core_errf(err, errlen, CORE_EINVAL,
                         "a schedule may not contain TZ (no TZ= or CRON_TZ= prefix): give the time zone "
                         "in its own field, as Kubernetes' CronJob timeZone");
    if (spec[0] == '@') {
        for (size_t i = 0; i < sizeof macros / sizeof macros[0]; i++)
            if (strcmp(spec, macros[i].name) == 0)
                return parse_fields(macros[i].fields, strlen(macros[i].fields), out, err, errlen);
        if (strncmp(spec, "@every ", 7) == 0)
            return core_errf(err, errlen, CORE_EINVAL,
                             "@every is not supported (its runs count from when the operator started, not "
                             "from the calendar): use a 5-field schedule such as \"0 */6 * * *\"");
        return core_errf(err, errlen, CORE_EINVAL,
                         "unrecognized macro %.40s: use @yearly, @annually, @monthly, @weekly, @daily, "
                         "@midnight or @hourly",
                         spec);
    }
    return parse_fields(spec, n, out, err, errlen);
}


/* ---- civil time: days from 1970-01-01 and back (proleptic Gregorian calendar) ---- */

static int64_t
floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}


static int64_t
days_from_civil(int64_t y, int m, int d)
{
    int64_t  era;
    unsigned yoe, doy, doe;

    y -= m <= 2;
    era = floor_div(y, 400);
    yoe = (unsigned)(y - era * 400);
    doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}


static void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
    int64_t  era;
    unsigned doe, yoe, doy, mp;

    z += 719468;
    era = floor_div(z, 146097);
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}


typedef struct {
    int year, mon, day, hour, min, sec, wday;
} civil;


static civil
local(const cron_zone *z, int64_t t)
{
    civil   c;
    int64_t l = t + cron_zone_offset(z, t), days = floor_div(l, SECS_DAY), s = l - days * SECS_DAY;

    civil_from_days(days, &c.year, &c.mon, &c.day);
    c.hour = (int)(s / 3600);
    c.min = (int)(s / 60 % 60);
    c.sec = (int)(s % 60);
    c.wday = (int)(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday (4) */
    return c;
}


void
cron_civil(const cron_zone *z, int64_t t, int *year, int *mon, int *day, int *hour, int *min,
           int *sec, int *wday)
{
    civil c = local(z, t);

    if (year)
        *year = c.year;
    if (mon)
        *mon = c.mon;
    if (day)
        *day = c.day;
    if (hour)
        *hour = c.hour;
    if (min)
        *min = c.min;
    if (sec)
        *sec = c.sec;
    if (wday)
        *wday = c.wday;
}


/*
 * Go's time.Date(year, mon, day, hour, min, sec, 0, loc): the month overflows into the year,
 * the rest is seconds from the month's first day; then the local time is taken back to an
 * instant with the offset in force at (local - offset at local), which is what Go's lookup
 * and its "utc < start || utc >= end" second lookup amount to. So a time in a gap moves
 * forward by the gap, and one that exists twice is the earlier instant unless the later
 * offset is found first.
 */
static int64_t
go_date(const cron_zone *z, int year, int mon, int day, int hour, int min, int sec)
{
    int64_t y = year, m0 = mon - 1, l;

    y += floor_div(m0, 12);
    m0 -= floor_div(m0, 12) * 12;
    l = (days_from_civil(y, (int)m0 + 1, 1) + day - 1) * SECS_DAY + (int64_t)hour * 3600 +
        min * 60 + sec;
    return l - cron_zone_offset(z, l - cron_zone_offset(z, l));
}


static int
bit(uint64_t set, int v)
{
    return (set >> v) & 1;
}


static int
day_matches(const cron_sched *s, const civil *c)
{
    int dom = bit(s->dom, c->day), dow = bit(s->dow, c->wday);

    if ((s->dom & CRON_STAR_BIT) || (s->dow & CRON_STAR_BIT))
        return dom && dow;
    return dom || dow;
}


/* A field with no value in its range can never match: Next would only run to its limit. */
static int
never(const cron_sched *s)
{
    return !(s->minute & ((UINT64_C(1) << 60) - 1)) || !(s->hour & ((UINT64_C(1) << 24) - 1)) ||
           !(s->month & (((UINT64_C(1) << 13) - 1) & ~UINT64_C(1)));
}


int
cron_next(const cron_sched *s, const cron_zone *z, int64_t after, int64_t *next)
{
    int64_t t = after + 1;
    int     added = 0, limit;
    civil   c;

    /* Years 1..9994 in every zone (offsets stay within a day). */
    if (after < INT64_C(-62135596800) + SECS_DAY || after > INT64_C(253214918400))
        return CORE_EINVAL;
    if (never(s))
        return CORE_ENOENT;
    c = local(z, t);
    limit = c.year + 5;
wrap:
    c = local(z, t);
    if (c.year > limit)
        return CORE_ENOENT;
    while (!bit(s->month, c.mon)) {
        if (!added) {
            added = 1;
            t = go_date(z, c.year, c.mon, 1, 0, 0, 0);
            c = local(z, t);
        }
        t = go_date(z, c.year, c.mon + 1, c.day, c.hour, c.min, c.sec);
        c = local(z, t);
        if (c.mon == 1)
            goto wrap;
    }
    while (!day_matches(s, &c)) {
        if (!added) {
            added = 1;
            t = go_date(z, c.year, c.mon, c.day, 0, 0, 0);
            c = local(z, t);
        }
        t = go_date(z, c.year, c.mon, c.day + 1, c.hour, c.min, c.sec);
        c = local(z, t);
        /* robfig: a day that does not start at midnight (DST) is moved to the nearest one. */
        if (c.hour != 0) {
            t += c.hour > 12 ? (int64_t)(24 - c.hour) * 3600 : -(int64_t)c.hour * 3600;
            c = local(z, t);
        }
        if (c.day == 1)
            goto wrap;
    }
    while (!bit(s->hour, c.hour)) {
        if (!added) {
            added = 1;
            t = go_date(z, c.year, c.mon, c.day, c.hour, 0, 0);
        }
        t += 3600;
        c = local(z, t);
        if (c.hour == 0)
            goto wrap;
    }
    while (!bit(s->minute, c.min)) {
        if (!added) {
            added = 1;
            t -= t - floor_div(t, 60) * 60; /* Go's Truncate counts from year 1, a whole minute */
        }
        t += 60;
        c = local(z, t);
        if (c.min == 0)
            goto wrap;
    }
    /* The standard parser's seconds field is "0". */
    while (c.sec != 0) {
        added = 1;
        t += 1;
        c = local(z, t);
        if (c.sec == 0)
            goto wrap;
    }
    *next = t;
    return CORE_OK;
}
