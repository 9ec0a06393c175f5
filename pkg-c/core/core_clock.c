/*
 * core_clock: the schedules' clock, real time plus a test-only offset (core.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"

#define OFFSET_ENV "DBAAS_CLOCK_OFFSET_SECONDS"
#define OFFSET_MAX (INT64_C(100) * 366 * 86400)

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int64_t        offset;
static int            offset_rc;


static void
read_offset(void)
{
    const char *v = getenv(OFFSET_ENV);
    char       *end = NULL;
    long long   n;

    if (!v)
        return;
    errno = 0;
    n = strtoll(v, &end, 10);
    if (!*v || errno || !end || *end || n > OFFSET_MAX || n < -OFFSET_MAX) {
        offset_rc = CORE_EINVAL;
        return;
    }
    offset = n;
}


int64_t
core_clock_now(void)
{
    pthread_once(&once, read_offset);
    return (int64_t)time(NULL) + offset;
}


int
core_clock_offset(int64_t *secs)
{
    pthread_once(&once, read_offset);
    *secs = offset;
    return offset_rc;
}


int
core_rfc3339_format(int64_t t, char *buf, size_t len)
{
    time_t    tt = (time_t)t;
    struct tm tm;

    if (t < INT64_C(-62135596800) || t > INT64_C(253402300799) || !gmtime_r(&tt, &tm) ||
        strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return CORE_EINVAL;
    return CORE_OK;
}


/* n digits at s as a number, -1 unless all are digits. */
static int
digits(const char *s, int n)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}


int
core_rfc3339_parse(const char *s, int64_t *out)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    struct tm        tm = {0};
    int              y, mo, d, h, mi, sec, off = 0;
    const char      *p;
    time_t           t;

    if (!s || strlen(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
        s[13] != ':' || s[16] != ':')
        return CORE_EINVAL;
    y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
    h = digits(s + 11, 2), mi = digits(s + 14, 2), sec = digits(s + 17, 2);
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h < 0 || h > 23 || mi < 0 ||
        mi > 59 || sec < 0 || sec > 60)
        return CORE_EINVAL;
    p = s + 19;
    if (*p == '.') {
        if (p[1] < '0' || p[1] > '9')
            return CORE_EINVAL;
        for (p++; *p >= '0' && *p <= '9'; p++)
            ;
    }
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
        off = 0;
    else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':' && digits(p + 1, 2) >= 0 &&
             digits(p + 1, 2) <= 23 && digits(p + 4, 2) >= 0 && digits(p + 4, 2) <= 59)
        off = (*p == '-' ? -1 : 1) * (digits(p + 1, 2) * 3600 + digits(p + 4, 2) * 60);
    else
        return CORE_EINVAL;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    t = timegm(&tm);
    if (tm.tm_mday != d && sec != 60) /* 29 February of a year that has none */
        return CORE_EINVAL;
    *out = (int64_t)t - off;
    return CORE_OK;
}
