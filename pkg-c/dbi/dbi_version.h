/*
 * dbi_version: the engine versions a DBInstance may run (every series of the engines'
 * release table, engine/engine.h, which also holds their end of life), which version changes
 * the operator rolls out, and whether an image override agrees with spec.version.
 *
 * Pure: no I/O and no clock. Dates are ISO 8601 days ("2026-11-30") given by the caller,
 * so that tests fix them. Everything returned points into static tables or into the
 * caller's buffers, except dbi_version_status's new object.
 */
#ifndef DBAAS_DBI_VERSION_H
#define DBAAS_DBI_VERSION_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "dbi/dbi.h"
#include "engine/engine.h"

/* The form the engine's versions take, for messages: "a major version such as \"16\" ...". */
const char *dbi_version_form(const dbi_engine *e);

/* The supported series for messages: "13-18", "8.0, 8.4, 9.x", ... */
const char *dbi_version_list(const dbi_engine *e);

typedef enum {
    DBI_CHANGE_NONE,      /* the same version, or one the operator cannot order ("16" -> "16.2") */
    DBI_CHANGE_MINOR,     /* a newer minor or patch of the same series: rolls */
    DBI_CHANGE_IN_PLACE,  /* a major upgrade the engine does itself at start: rolls */
    DBI_CHANGE_UPGRADE,   /* a major upgrade that needs a dump and restore: refused */
    DBI_CHANGE_DOWNGRADE, /* any older version, minor included: refused */
    DBI_CHANGE_INVALID    /* from or to is not a version of the engine */
} dbi_change;

/*
 * What moving the running version from (status.currentVersion) to to (spec.version) is.
 * Versions are compared on the parts both name: "16" -> "16.2" is NONE (a floating tag
 * cannot be ordered), "16.4" -> "16.2" a DOWNGRADE. In place: mysql 8.0 -> 8.4 (the server
 * upgrades its data dictionary at start) and mariadb 11.4 -> 11.8 (mariadb-upgrade at start:
 * dbi_build_statefulset has always set MARIADB_AUTO_UPGRADE=1 in mariadb pods).
 */
dbi_change dbi_version_change(const dbi_engine *e, const char *from, const char *to);

/*
 * The refusal for a change: its reason ("UnsupportedUpgrade", "UnsupportedDowngrade") and a
 * message naming both versions and the way out in msg; NULL (msg untouched) when the change
 * rolls or needs nothing.
 */
const char *dbi_version_refusal(const dbi_engine *e, const char *from, const char *to, char *msg,
                                size_t len);

typedef enum {
    DBI_IMAGE_OFFICIAL,  /* no override: the official image of spec.version */
    DBI_IMAGE_MATCHES,   /* the override's tag names the same engine and major version */
    DBI_IMAGE_UNCHECKED, /* a digest, a custom tag or repository: nothing to compare */
    DBI_IMAGE_MISMATCH   /* another engine or major version: InvalidSpec */
} dbi_image_check;

/*
 * Checks an image override against the engine and version. The engine family is the
 * repository's last path element (postgres or postgresql, mysql, mariadb); the tag names a
 * version when it starts with digits and dots ("17.2", "11.4.3-noble"). A tag is checked
 * even beside a digest. msg (may be NULL) gets a one-line explanation for MISMATCH and
 * UNCHECKED, "" otherwise.
 */
dbi_image_check dbi_version_image(const dbi_engine *e, const char *version, const char *image,
                                  char *msg, size_t len);

/*
 * The status member versionCheck for a parsed spec on day today: engine_version_check's
 * {major, support (Supported | EndOfLife | Unknown), endOfLife, source, message} and image
 * (Official | Matches | Unchecked), with an unchecked image's note added to message. A new
 * object the caller frees, NULL out of memory. *eol is set when the series is past its end
 * of life (may be NULL).
 */
cJSON *dbi_version_status(const dbi_spec *s, const char *today, int *eol);

#endif
