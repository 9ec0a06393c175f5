/*
 * cron-diff: pkg-c/cron against the answers of robfig/cron (test/cron/main.go), one case a
 * line on standard input:
 *
 *   <zone> <unix start> h<schedule as hex> ERR | REFUSED | OK <next>... [NEVER]
 *
 * For each case, cron_parse must refuse the schedule (ERR, REFUSED) or accept it, and then
 * cron_next, applied again to each answer, must give the same instants, and no run where the
 * reference says NEVER. Prints each disagreement (at most 20, with the schedule in quotes),
 * then "cron-diff: N passed, N failed" over the cases; exits 1 on any disagreement.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "cron/cron.h"

#define LINE_MAX_ 8192
#define ZONES_MAX 64


typedef struct {
    char       name[64];
    cron_zone *z;
} zone_slot;

static zone_slot zones[ZONES_MAX];
static size_t    nzones;


static int
zone_get(const char *name, cron_zone **out)
{
    char err[CRON_ERR_MAX];
    int  rc;

    for (size_t i = 0; i < nzones; i++)
        if (strcmp(zones[i].name, name) == 0) {
            *out = zones[i].z;
            return CORE_OK;
        }
    if (nzones == ZONES_MAX || strlen(name) >= sizeof zones[0].name)
        return CORE_ETOOBIG;
    if ((rc = cron_zone_load(name, out, err, sizeof err))) {
        fprintf(stderr, "cron-diff: zone %s: %s\n", name, err);
        return rc;
    }
    snprintf(zones[nzones].name, sizeof zones[0].name, "%s", name);
    zones[nzones++].z = *out;
    return CORE_OK;
}


static int
unhex(const char *h, char *out, size_t max)
{
    size_t n, i;

    if (*h++ != 'h')
        return -1;
    n = strlen(h);
    if (n % 2 || n / 2 >= max)
        return -1;
    for (i = 0; i < n / 2; i++) {
        unsigned v;

        if (sscanf(h + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (char)v;
    }
    out[i] = '\0';
    return memchr(out, '\0', i) ? -1 : 0;
}


/* Compares one case; 0 when pkg-c/cron agrees, else 1 with why in msg. */
static int
check(const char *zone, long long after, const char *spec, char *rest, char *msg, size_t len)
{
    char       err[CRON_ERR_MAX], *save = NULL, *tok;
    cron_sched s;
    cron_zone *z = NULL;
    int64_t    t = after, next;
    int        rc, k = 0;

    if (zone_get(zone, &z)) {
        snprintf(msg, len, "cannot load zone %s", zone);
        return 1;
    }
    rc = cron_parse(spec, &s, err, sizeof err);
    tok = strtok_r(rest, " \n", &save);
    if (!tok) {
        snprintf(msg, len, "no verdict in the line");
        return 1;
    }
    if (strcmp(tok, "ERR") == 0 || strcmp(tok, "REFUSED") == 0) {
        if (rc == CORE_OK)
            snprintf(msg, len, "accepted; robfig/cron says %s", tok);
        return rc == CORE_OK;
    }
    if (rc) {
        snprintf(msg, len, "refused (%s); robfig/cron accepts it", err);
        return 1;
    }
    while ((tok = strtok_r(NULL, " \n", &save))) {
        k++;
        rc = cron_next(&s, z, t, &next);
        if (strcmp(tok, "NEVER") == 0) {
            if (rc != CORE_ENOENT) {
                snprintf(msg, len, "run %d: %lld; robfig/cron finds none", k, (long long)next);
                return 1;
            }
            return 0;
        }
        if (rc || next != strtoll(tok, NULL, 10)) {
            snprintf(msg, len, "run %d after %lld: %s%lld; robfig/cron: %s", k, (long long)t,
                     rc ? "none, " : "", rc ? 0LL : (long long)next, tok);
            return 1;
        }
        t = next;
    }
    return 0;
}


int
main(void)
{
    static char line[LINE_MAX_];
    long        passed = 0, failed = 0;

    while (fgets(line, sizeof line, stdin)) {
        char      zone[64], hex[LINE_MAX_], spec[LINE_MAX_ / 2], msg[512];
        long long after;
        int       off = 0;

        if (sscanf(line, "%63s %lld %8191s %n", zone, &after, hex, &off) != 3 || off == 0 ||
            unhex(hex, spec, sizeof spec)) {
            fprintf(stderr, "cron-diff: bad line: %.200s", line);
            failed++;
            continue;
        }
        msg[0] = '\0';
        if (check(zone, after, spec, line + off, msg, sizeof msg)) {
            if (failed < 20)
                printf("FAIL %s from %lld \"%s\": %s\n", zone, after, spec, msg);
            failed++;
        } else
            passed++;
    }
    for (size_t i = 0; i < nzones; i++)
        cron_zone_free(zones[i].z);
    printf("cron-diff: %ld passed, %ld failed\n", passed, failed);
    return failed ? 1 : 0;
}
