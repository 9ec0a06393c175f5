/*
 * dbi_adopt: what a volume and a credentials Secret hold, and whether a DBInstance may take
 * over ones a deleted DBInstance retained (deletionPolicy Retain).
 *
 * The data claim and the Secret carry what they hold in annotations (DBI_HELD_*): the engine,
 * its major version, the database, the username, and the uid of the DBInstance that holds
 * them (or last held them). The StatefulSet builder puts them in the claim template (the
 * claim is made with them; the controller patches a claim made from an older template once
 * it exists) and the Secret builder writes them on the Secret. A DBInstance of the same name adopts a retained
 * claim or Secret only when engine, major version, database and username all match: a
 * volume initialised as database "ledger" for user "keeper" by PostgreSQL 15 cannot serve
 * another database, user, or major version; a major change goes through the upgrade rules
 * (dbi_version.h): only the upgrades the engine makes in place at start (mysql 8.0 -> 8.4,
 * mariadb 11.4 -> 11.8) are adopted across majors. A claim or Secret retained by an operator older than these
 * annotations carries none of them: it is adopted as before (our labels for this instance
 * and engine are the rule, ctrl's may_adopt) and annotated once adopted. One that carries
 * only some is judged on those it carries.
 *
 * Pure: no I/O. Strings point into the objects given.
 */
#ifndef DBAAS_DBI_ADOPT_H
#define DBAAS_DBI_ADOPT_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "dbi/dbi.h"

#define DBI_HELD_ENGINE   "dbaas.dev/engine"
#define DBI_HELD_MAJOR    "dbaas.dev/major-version"
#define DBI_HELD_DATABASE "dbaas.dev/database"
#define DBI_HELD_USERNAME "dbaas.dev/username"
#define DBI_HELD_UID      "dbaas.dev/source-uid"

/*
 * Adds the DBI_HELD_* annotations for s (uid: s->uid) to annotations, an object (replacing
 * any there). CORE_OK, CORE_EINVAL (a version dbi_major cannot read, no uid), CORE_ENOMEM.
 */
int dbi_held_put(const dbi_spec *s, cJSON *annotations);

/* 1 when obj's annotations already say what s holds (all five, equal), else 0. */
int dbi_held_current(const dbi_spec *s, const cJSON *obj);

/*
 * Whether s may adopt obj, a claim or Secret that exists. CORE_OK: it may (obj is already
 * held by s's DBInstance, carries no DBI_HELD_* annotation, or every one it carries matches
 * s). CORE_EINVAL: it may not, with a message in msg naming obj's kind and name, each
 * mismatch (what it holds, and the spec field that differs) and the way out.
 */
int dbi_adopt_check(const dbi_spec *s, const cJSON *obj, char *msg, size_t len);

#endif
