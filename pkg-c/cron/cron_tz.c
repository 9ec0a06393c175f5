/*
 * cron_tz: time zone rules for cron, from GLib's GTimeZone (Debian's libglib2.0).
 *
 * Why GLib: libc only knows the zone of the TZ environment variable (tzset and localtime_r),
 * which is one per process and not safe to switch while other threads read it; Debian
 * packages no C library for zone rules besides GLib (libcctz is C++, ICU carries its own copy
 * of the data instead of the system's zoneinfo that Go, and so Kubernetes, reads). GTimeZone
 * parses the TZif file, POSIX TZ footer included, into a value of its own, reference-counted
 * and thread-safe. What GLib adds beyond Go's time.LoadLocation is kept out: it would take a
 * name it cannot find as a POSIX TZ rule ("ABC3"), so a zone is loaded only from a TZif file
 * (first four bytes "TZif") under $TZDIR or /usr/share/zoneinfo, where both look.
 */
#include "cron/cron.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#define ZONE_NAME_MAX 255
#define PART_MAX      14

struct cron_zone {
    GTimeZone *tz; /* NULL for "UTC", which Go never reads from a file */
    char       name[ZONE_NAME_MAX + 1];
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


/* 1 when <zoneinfo>/name is a regular file that starts with "TZif". */
static int
tzif_file(const char *name)
{
    const char *dir = getenv("TZDIR");
    char        path[4096], magic[4];
    struct stat st;
    int         fd, ok = 0;

    if (!dir || !*dir)
        dir = "/usr/share/zoneinfo";
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return 0;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return 0;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && read(fd, magic, 4) == 4 &&
        memcmp(magic, "TZif", 4) == 0)
        ok = 1;
    close(fd);
    return ok;
}


int
cron_zone_load(const char *name, cron_zone **out, char *err, size_t errlen)
{
    cron_zone *z = NULL;

    *out = NULL;
    if (!name || !*name) {
        snprintf(err, errlen, "empty time zone: omit it for UTC");
        return CORE_EINVAL;
    }
    if (strlen(name) > ZONE_NAME_MAX || !name_ok(name)) {
        snprintf(err, errlen, "unknown time zone %.64s: use an IANA name such as Europe/Berlin", name);
        return CORE_EINVAL;
    }
    if (strcasecmp(name, "Local") == 0) {
        snprintf(err, errlen,
                 "time zone Local is not allowed: name an IANA time zone such as Europe/Berlin");
        return CORE_EINVAL;
    }
    if (!(z = calloc(1, sizeof *z)))
        return CORE_ENOMEM;
    memcpy(z->name, name, strlen(name) + 1);
    if (strcmp(name, "UTC") != 0) {
        if (!tzif_file(name) || !(z->tz = g_time_zone_new_identifier(name))) {
            snprintf(err, errlen, "unknown time zone %.64s: no such zone in %s", name,
                     getenv("TZDIR") && *getenv("TZDIR") ? "$TZDIR" : "/usr/share/zoneinfo");
            free(z);
            return CORE_EINVAL;
        }
    }
    *out = z;
    return CORE_OK;
}


void
cron_zone_free(cron_zone *z)
{
    if (!z)
        return;
    if (z->tz)
        g_time_zone_unref(z->tz);
    free(z);
}


const char *
cron_zone_name(const cron_zone *z)
{
    return z ? z->name : "UTC";
}


int32_t
cron_zone_offset(const cron_zone *z, int64_t t)
{
    gint i;

    if (!z || !z->tz)
        return 0;
    i = g_time_zone_find_interval(z->tz, G_TIME_TYPE_UNIVERSAL, t);
    return i < 0 ? 0 : g_time_zone_get_offset(z->tz, i);
}
