/*
 * dbi_adopt: the rule for adopting a retained claim or Secret. See dbi_adopt.h.
 */
#include "dbi_adopt.h"

#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "dbi/dbi_version.h"
#include "kjson/kjson.h"

#define DBI_MAJOR_MAX 32


static const char *
held(const cJSON *obj, const char *key)
{
    return kjson_path_str(obj, "metadata", "annotations", key, NULL);
}


int
dbi_held_put(const dbi_spec *s, cJSON *annotations)
{
    char        major[DBI_MAJOR_MAX];
    const char *key[] = {DBI_HELD_ENGINE, DBI_HELD_MAJOR, DBI_HELD_DATABASE, DBI_HELD_USERNAME,
                         DBI_HELD_UID};
    const char *val[5];
    size_t      i;

    if (!s || !s->engine || !s->uid || !cJSON_IsObject(annotations) ||
        dbi_major(s->engine, s->version, major, sizeof major) != CORE_OK)
        return CORE_EINVAL;
    val[0] = s->engine->name;
    val[1] = major;
    val[2] = s->database;
    val[3] = s->username;
    val[4] = s->uid;
    for (i = 0; i < 5; i++) {
        cJSON_DeleteItemFromObjectCaseSensitive(annotations, key[i]);
        if (!val[i] || !cJSON_AddStringToObject(annotations, key[i], val[i]))
            return val[i] ? CORE_ENOMEM : CORE_EINVAL;
    }
    return CORE_OK;
}


static int
same(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}


int
dbi_held_current(const dbi_spec *s, const cJSON *obj)
{
    char major[DBI_MAJOR_MAX];

    return s && s->engine && dbi_major(s->engine, s->version, major, sizeof major) == CORE_OK &&
           same(held(obj, DBI_HELD_ENGINE), s->engine->name) &&
           same(held(obj, DBI_HELD_MAJOR), major) && same(held(obj, DBI_HELD_DATABASE), s->database) &&
           same(held(obj, DBI_HELD_USERNAME), s->username) && same(held(obj, DBI_HELD_UID), s->uid);
}


/* Appends one mismatch: `database "ledger" (spec.database is "other")`. */
static void
mismatch(core_buf *b, int *n, const char *what, const char *has, const char *field, const char *want)
{
    core_buf_printf(b, "%s%s \"%s\" (%s is \"%s\")", (*n)++ ? ", " : "", what, has, field, want);
}


int
dbi_adopt_check(const dbi_spec *s, const cJSON *obj, char *msg, size_t len)
{
    const char *engine = held(obj, DBI_HELD_ENGINE), *major = held(obj, DBI_HELD_MAJOR);
    const char *db = held(obj, DBI_HELD_DATABASE), *user = held(obj, DBI_HELD_USERNAME);
    const char *uid = held(obj, DBI_HELD_UID);
    const char *kind = kjson_get_str(obj, "kind");
    const char *name = kjson_path_str(obj, "metadata", "name", NULL);
    char        want_major[DBI_MAJOR_MAX];
    core_buf    b;
    int         n = 0;

    if (msg && len)
        msg[0] = '\0';
    if (!s || !s->engine || same(uid, s->uid))
        return CORE_OK;
    if (dbi_major(s->engine, s->version, want_major, sizeof want_major) != CORE_OK)
        want_major[0] = '\0';
    core_buf_init(&b, 1024);
    if (engine && !same(engine, s->engine->name))
        mismatch(&b, &n, "engine", engine, "spec.engine", s->engine->name);
    /* The in-place upgrades the engine does at start (dbi_version.h) adopt like any start. */
    if (major && !same(major, want_major) &&
        dbi_version_change(s->engine, major, s->version) != DBI_CHANGE_IN_PLACE)
        mismatch(&b, &n, "major version", major, "spec.version", s->version);
    if (db && !same(db, s->database))
        mismatch(&b, &n, "database", db, "spec.database", s->database);
    if (user && !same(user, s->username))
        mismatch(&b, &n, "user", user, "spec.username", s->username);
    if (n && msg && len)
        snprintf(msg, len,
                 "%s %s was retained from an earlier DBInstance and holds %s; it is adopted only "
                 "when engine, major version, database and username match (a major upgrade "
                 "other than the engine's own in-place ones is not done by adoption). Make the spec "
                 "match: spec.version can be changed in place; engine, database and username "
                 "only by creating this DBInstance again. Or delete the retained %s %s (its "
                 "data is lost) to start anew",
                 kind ? kind : "object", name ? name : "?", b.data ? b.data : "other data",
                 kind ? kind : "object", name ? name : "?");
    core_buf_free(&b);
    return n ? CORE_EINVAL : CORE_OK;
}
