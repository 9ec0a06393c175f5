/*
 * engine: the engines' release series and their end of life (engine.h). The dates come from
 * each publisher's policy page (the source of each row); the README's table "Supported
 * versions" shows the same rows.
 */
#include "engine.h"

#include <stdio.h>
#include <string.h>

#include "core/core.h"

#define VERSION_PART_DIGITS 5

#define SRC_POSTGRESQL "https://www.postgresql.org/support/versioning/"
#define SRC_MYSQL      "https://www.oracle.com/us/support/library/lifetime-support-technology-069183.pdf"
#define SRC_MYSQL_REL  "https://dev.mysql.com/doc/refman/8.4/en/mysql-releases.html"
#define SRC_MARIADB    "https://mariadb.org/about/#maintenance-policy"

/* A row: the series a.b for b in [lo, hi] (PostgreSQL: a alone, lo = hi = 0). */
typedef struct {
    engine_release rel;
    unsigned       a, lo, hi;
} series;

static const series table[] = {
    {{ENGINE_POSTGRESQL, "13", "2025-11-13", SRC_POSTGRESQL}, 13, 0, 0},
    {{ENGINE_POSTGRESQL, "14", "2026-11-12", SRC_POSTGRESQL}, 14, 0, 0},
    {{ENGINE_POSTGRESQL, "15", "2027-11-11", SRC_POSTGRESQL}, 15, 0, 0},
    {{ENGINE_POSTGRESQL, "16", "2028-11-09", SRC_POSTGRESQL}, 16, 0, 0},
    {{ENGINE_POSTGRESQL, "17", "2029-11-08", SRC_POSTGRESQL}, 17, 0, 0},
    {{ENGINE_POSTGRESQL, "18", "2030-11-14", SRC_POSTGRESQL}, 18, 0, 0},
    {{ENGINE_MYSQL, "8.0", "2026-04-30", SRC_MYSQL}, 8, 0, 0},
    {{ENGINE_MYSQL, "8.4", "2032-04-30", SRC_MYSQL}, 8, 4, 4},
    /* Innovation releases are supported until the next one; 9.7 LTS ended the run. */
    {{ENGINE_MYSQL, "9.0-9.6", "2026-04-21", SRC_MYSQL_REL}, 9, 0, 6},
    {{ENGINE_MYSQL, "9.7", "2034-04-30", SRC_MYSQL_REL}, 9, 7, 7},
    {{ENGINE_MYSQL, "9.8+", NULL, SRC_MYSQL_REL}, 9, 8, 99999},
    {{ENGINE_MARIADB, "10.6", "2026-07-06", SRC_MARIADB}, 10, 6, 6},
    {{ENGINE_MARIADB, "10.11", "2028-02-16", SRC_MARIADB}, 10, 11, 11},
    {{ENGINE_MARIADB, "11.4", "2029-05-29", SRC_MARIADB}, 11, 4, 4},
    {{ENGINE_MARIADB, "11.8", "2028-06-04", SRC_MARIADB}, 11, 8, 8},
};


int
engine_version_parts(const char *v, unsigned *part, int max)
{
    int    n = 0;
    size_t digits;

    if (!v)
        return -1;
    for (;;) {
        if (n == max)
            return -1;
        part[n] = 0;
        for (digits = 0; v[digits] >= '0' && v[digits] <= '9'; digits++)
            part[n] = part[n] * 10 + (unsigned)(v[digits] - '0');
        /* No empty parts, no leading zeros ("8.04"), nothing that could overflow. */
        if (digits == 0 || digits > VERSION_PART_DIGITS || (digits > 1 && v[0] == '0'))
            return -1;
        n++;
        v += digits;
        if (*v == '\0')
            return n;
        if (*v++ != '.')
            return -1;
    }
}


static int
is(const char *engine, const char *name)
{
    return engine && strcmp(engine, name) == 0;
}


int
engine_major_parts(const char *engine)
{
    if (is(engine, ENGINE_POSTGRESQL))
        return 1;
    return is(engine, ENGINE_MYSQL) || is(engine, ENGINE_MARIADB) ? 2 : 0;
}


int
engine_version_split(const char *engine, const char *v, unsigned part[3])
{
    int m = engine_major_parts(engine), n;

    if (m == 0)
        return -1;
    /* One part beyond the major: PostgreSQL's minor, MySQL's and MariaDB's patch. */
    n = engine_version_parts(v, part, m + 1);
    return n >= m ? n : -1;
}


int
engine_major(const char *engine, const char *v, char *buf, size_t len)
{
    unsigned part[3];
    int      n = engine_version_split(engine, v, part), w;

    if (n < 0 || !buf || len == 0)
        return CORE_EINVAL;
    if (engine_major_parts(engine) == 1)
        w = snprintf(buf, len, "%u", part[0]);
    else
        w = snprintf(buf, len, "%u.%u", part[0], part[1]);
    return w < 0 || (size_t)w >= len ? CORE_ETOOBIG : CORE_OK;
}


const engine_release *
engine_release_row(size_t i)
{
    return i < sizeof table / sizeof table[0] ? &table[i].rel : NULL;
}


static const series *
find_series(const char *engine, const unsigned *part)
{
    int    major_only = engine_major_parts(engine) == 1;
    size_t i;

    for (i = 0; i < sizeof table / sizeof table[0]; i++) {
        const series *s = &table[i];

        if (!is(engine, s->rel.engine) || s->a != part[0])
            continue;
        if (major_only || (part[1] >= s->lo && part[1] <= s->hi))
            return s;
    }
    return NULL;
}


engine_support
engine_version_support(const char *engine, const char *version, const char *today,
                       const engine_release **rel)
{
    unsigned      part[3];
    const series *s;

    if (rel)
        *rel = NULL;
    if (engine_version_split(engine, version, part) < 0)
        return ENGINE_MALFORMED;
    if (!(s = find_series(engine, part)))
        return ENGINE_UNKNOWN;
    if (rel)
        *rel = &s->rel;
    return today && s->rel.eol && strcmp(today, s->rel.eol) > 0 ? ENGINE_EOL : ENGINE_SUPPORTED;
}


static const char *const support_names[] = {"Supported", "EndOfLife", "Unknown", "Unknown"};


cJSON *
engine_version_check(const char *engine, const char *version, const char *today, int *eol)
{
    const engine_release *rel = NULL;
    engine_support        sup = engine_version_support(engine, version, today, &rel);
    char                  major[32] = "", text[400];
    cJSON                *vc = cJSON_CreateObject();
    int                   ok = 0;

    if (eol)
        *eol = sup == ENGINE_EOL;
    if (!vc)
        goto out;
    if (engine_major(engine, version, major, sizeof major) == CORE_OK &&
        !cJSON_AddStringToObject(vc, "major", major))
        goto out;
    if (!cJSON_AddStringToObject(vc, "support", support_names[sup]) ||
        (rel && rel->eol && !cJSON_AddStringToObject(vc, "endOfLife", rel->eol)) ||
        (rel && !cJSON_AddStringToObject(vc, "source", rel->source)))
        goto out;
    if (sup == ENGINE_EOL)
        snprintf(text, sizeof text,
                 "%s %s reached its end of life on %s (%s): it gets no more fixes, security fixes "
                 "included; plan an upgrade",
                 engine, major, rel->eol, rel->source);
    else if (rel && rel->eol)
        snprintf(text, sizeof text, "%s %s is supported until %s", engine, major, rel->eol);
    else
        snprintf(text, sizeof text, "%s %s has no announced end of life", engine ? engine : "",
                 version ? version : "");
    ok = cJSON_AddStringToObject(vc, "message", text) != NULL;

out:
    if (!ok) {
        cJSON_Delete(vc);
        vc = NULL;
    }
    return vc;
}


static const char *
member(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}


int
engine_version_check_news(const cJSON *was, const cJSON *now)
{
    const char *support = member(now, "support"), *major = member(now, "major");
    const char *was_support = member(was, "support"), *was_major = member(was, "major");

    if (!support || strcmp(support, "EndOfLife") != 0)
        return 0;
    return !was_support || strcmp(was_support, "EndOfLife") != 0 || !was_major || !major ||
           strcmp(was_major, major) != 0;
}
