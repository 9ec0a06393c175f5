/*
 * engine: the release series of the database engines the operator runs, shared by every kind
 * that runs one (DBInstance on all three engines, HACluster on PostgreSQL): the form of a
 * version, the series a version belongs to, and each series' end of life with the policy
 * page the date comes from.
 *
 * Pure: no I/O and no clock. Days are ISO 8601 days ("2026-11-30") given by the caller (a
 * controller passes its clock's day, a test a fixed one); ISO days compare as strings.
 * Everything returned points into static tables or into the caller's buffers, except
 * engine_version_check's new object. The table is the README's ("Supported versions"):
 * change both together. Which series a kind accepts is the kind's rule (dbi: every row;
 * hac: what the Zalando operator runs); this module only says where a version stands.
 */
#ifndef DBAAS_ENGINE_H
#define DBAAS_ENGINE_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* The engines' names, as spec.engine spells them. Any other name is known to no function
 * here (engine_version_split: -1, engine_version_support: MALFORMED). */
#define ENGINE_POSTGRESQL "postgresql"
#define ENGINE_MYSQL      "mysql"
#define ENGINE_MARIADB    "mariadb"

/* One release series of an engine, as its publisher's policy states its end of life. */
typedef struct {
    const char *engine; /* ENGINE_POSTGRESQL, ENGINE_MYSQL or ENGINE_MARIADB */
    const char *major;  /* "16", "8.4"; MySQL's innovation releases "9.0-9.6", "9.8+" */
    const char *eol;    /* last day of support (ISO day), or NULL: not announced */
    const char *source; /* the publisher's policy page the date comes from */
} engine_release;

typedef enum {
    ENGINE_SUPPORTED, /* a known series, on or before its end of life */
    ENGINE_EOL,       /* a known series past its end of life: accepted, warned */
    ENGINE_UNKNOWN,   /* well formed, but not a series in the table */
    ENGINE_MALFORMED  /* not of the engine's form (engine_version_split) */
} engine_support;

/*
 * Splits "8.4.3" into at most max numbers (no empty parts, no leading zeros, at most 5
 * digits a part). The count, or -1 when v is NULL or not of that form.
 */
int engine_version_parts(const char *v, unsigned *part, int max);

/* The parts that make a major version: 1 for PostgreSQL ("16"), 2 for MySQL and MariaDB
 * ("8.4"); 0 for an unknown engine. */
int engine_major_parts(const char *engine);

/*
 * v as the engine writes it: PostgreSQL major or major.minor, MySQL and MariaDB major.minor
 * or major.minor.patch. The count of parts in part, or -1 (not of that form, unknown engine).
 */
int engine_version_split(const char *engine, const char *v, unsigned part[3]);

/* The major version of v ("16" of "16.4", "8.4" of "8.4.3") in buf. CORE_EINVAL (not of the
 * engine's form, an unknown engine, no buffer), CORE_ETOOBIG (buf too small). */
int engine_major(const char *engine, const char *v, char *buf, size_t len);

/*
 * Where version stands on day today (ISO day; NULL: never past an end of life, for a spec
 * check that must not depend on the date). *rel (may be NULL) is set to the series' row for
 * SUPPORTED and EOL, else NULL. The last day of support is still SUPPORTED.
 */
engine_support engine_version_support(const char *engine, const char *version, const char *today,
                                      const engine_release **rel);

/* Row i of the table, in the README's order; NULL past its end. */
const engine_release *engine_release_row(size_t i);

/*
 * What a status says of version on day today, the same for every kind: {major, support
 * (Supported | EndOfLife | Unknown), endOfLife, source, message} (endOfLife and source only
 * for a known series, endOfLife only when announced; major only for a well-formed version).
 * The message: "postgresql 14 reached its end of life on 2026-11-12 (<source>): it gets no
 * more fixes, security fixes included; plan an upgrade", "postgresql 16 is supported until
 * 2028-11-09", or "... has no announced end of life". A new object the caller frees, NULL
 * out of memory. *eol (may be NULL) is set when the series is past its end of life.
 */
cJSON *engine_version_check(const char *engine, const char *version, const char *today, int *eol);

/*
 * 1 when now (engine_version_check's object) says EndOfLife and was (the versionCheck the
 * status held before, may be NULL) did not say so for the same major: the moment to record
 * the Warning Event EndOfLife, once; else 0.
 */
int engine_version_check_news(const cJSON *was, const cJSON *now);

#endif
