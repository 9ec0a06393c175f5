/*
 * dbi_version: the versions a DBInstance runs, version changes, image overrides. The series
 * and their end of life are the engines' table (engine/engine.c).
 */
#include "dbi_version.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "kjson/kjson.h"

#define VERSION_MAX_PARTS 4

static const char *const lists[] = {
    "13-18",
    "8.0, 8.4, 9.x",
    "10.6, 10.11, 11.4, 11.8",
};

static const char *const forms[] = {
    "a major version such as \"16\" or major.minor such as \"16.4\", numbers without leading "
    "zeros",
    "major.minor such as \"8.4\" or major.minor.patch such as \"8.4.3\", numbers without "
    "leading zeros",
    "major.minor such as \"11.4\" or major.minor.patch such as \"11.4.4\", numbers without "
    "leading zeros",
};


const char *
dbi_version_form(const dbi_engine *e)
{
    return forms[e->id];
}


const char *
dbi_version_list(const dbi_engine *e)
{
    return lists[e->id];
}


/* Parts in a major version: PostgreSQL's first number, MySQL's and MariaDB's first two. */
static int
major_len(const dbi_engine *e)
{
    return engine_major_parts(e->name);
}


/* v as the engine writes it: the count of parts, or -1. */
static int
engine_parts(const dbi_engine *e, const char *v, unsigned part[3])
{
    return engine_version_split(e->name, v, part);
}


/* The upgrades engines do in place at start, from one major to the next. */
static int
in_place(const dbi_engine *e, const unsigned *from, const unsigned *to)
{
    if (e->id == DBI_MYSQL)
        return from[0] == 8 && from[1] == 0 && to[0] == 8 && to[1] == 4;
    if (e->id == DBI_MARIADB)
        return from[0] == 11 && from[1] == 4 && to[0] == 11 && to[1] == 8;
    return 0;
}


dbi_change
dbi_version_change(const dbi_engine *e, const char *from, const char *to)
{
    unsigned f[3], t[3];
    int      nf = engine_parts(e, from, f), nt = engine_parts(e, to, t);
    int      m = major_len(e), n, i;

    if (nf < 0 || nt < 0)
        return DBI_CHANGE_INVALID;
    for (i = 0; i < m; i++) {
        if (t[i] < f[i])
            return DBI_CHANGE_DOWNGRADE;
        if (t[i] > f[i])
            return in_place(e, f, t) ? DBI_CHANGE_IN_PLACE : DBI_CHANGE_UPGRADE;
    }
    n = nf < nt ? nf : nt;
    for (i = m; i < n; i++) {
        if (t[i] < f[i])
            return DBI_CHANGE_DOWNGRADE;
        if (t[i] > f[i])
            return DBI_CHANGE_MINOR;
    }
    return DBI_CHANGE_NONE;
}


const char *
dbi_version_refusal(const dbi_engine *e, const char *from, const char *to, char *msg, size_t len)
{
    switch (dbi_version_change(e, from, to)) {
    case DBI_CHANGE_UPGRADE:
        snprintf(msg, len,
                 "spec.version: changing the major version of %s (%s to %s) needs a dump and "
                 "restore; set it back to the running major version or create a new DBInstance%s",
                 e->name, from, to,
                 e->id == DBI_MYSQL     ? " (in place, mysql upgrades only 8.0 to 8.4)"
                 : e->id == DBI_MARIADB ? " (in place, mariadb upgrades only 11.4 to 11.8)"
                                        : "");
        return "UnsupportedUpgrade";
    case DBI_CHANGE_DOWNGRADE:
        snprintf(msg, len,
                 "spec.version: %s is older than the running %s %s (status.currentVersion); %s "
                 "cannot open its data files with an older server: set spec.version back to %s "
                 "or newer, or restore a dump into a new DBInstance",
                 to, e->name, from, e->name, from);
        return "UnsupportedDowngrade";
    default: return NULL;
    }
}


/* The engine an image's repository names (its last path element), or NULL. */
static const dbi_engine *
image_family(const char *repo, size_t n)
{
    static const struct {
        const char *name;
        const char *engine;
    } names[] = {{"postgres", "postgresql"},
                 {"postgresql", "postgresql"},
                 {"mysql", "mysql"},
                 {"mariadb", "mariadb"}};
    size_t i;

    for (i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i].name) == n && memcmp(names[i].name, repo, n) == 0)
            return dbi_engine_find(names[i].engine);
    return NULL;
}


/* The version at the start of a tag ("17.2", "11.4.3-noble"): its parts, or -1. */
static int
tag_version(const char *tag, size_t n, unsigned *part)
{
    char   v[64];
    size_t i;

    for (i = 0; i < n && ((tag[i] >= '0' && tag[i] <= '9') || tag[i] == '.'); i++)
        ;
    if (i == 0 || i >= sizeof v || (i < n && tag[i] != '-'))
        return -1;
    memcpy(v, tag, i);
    v[i] = '\0';
    return engine_version_parts(v, part, VERSION_MAX_PARTS);
}


static dbi_image_check say(dbi_image_check r, char *msg, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static dbi_image_check
say(dbi_image_check r, char *msg, size_t len, const char *fmt, ...)
{
    va_list ap;

    if (msg && len) {
        va_start(ap, fmt);
        vsnprintf(msg, len, fmt, ap);
        va_end(ap);
    }
    return r;
}


dbi_image_check
dbi_version_image(const dbi_engine *e, const char *version, const char *image, char *msg, size_t len)
{
    const char       *at, *slash, *colon, *repo, *tag = NULL;
    const dbi_engine *family;
    size_t            name_len, repo_len, tag_len = 0;
    unsigned          want[3], have[VERSION_MAX_PARTS];
    int               nt, nw, m = major_len(e), i;

    if (msg && len)
        msg[0] = '\0';
    if (!image)
        return DBI_IMAGE_OFFICIAL;
    at = strchr(image, '@');
    name_len = at ? (size_t)(at - image) : strlen(image);
    slash = memrchr(image, '/', name_len);
    repo = slash ? slash + 1 : image;
    colon = memchr(repo, ':', name_len - (size_t)(repo - image));
    repo_len = colon ? (size_t)(colon - repo) : name_len - (size_t)(repo - image);
    if (colon) {
        tag = colon + 1;
        tag_len = name_len - (size_t)(tag - image);
    }
    family = image_family(repo, repo_len);
    if (family && family != e)
        return say(DBI_IMAGE_MISMATCH, msg, len,
                   "spec.image: \"%.200s\" is a %s image (repository %.*s), but spec.engine is %s",
                   image, family->name, (int)repo_len, repo, e->name);
    nt = tag ? tag_version(tag, tag_len, have) : -1;
    if (!family || nt < 0)
        return say(DBI_IMAGE_UNCHECKED, msg, len,
                   "spec.image \"%.200s\" %s: the operator could not check that it runs %s %s", image,
                   !family ? "has a repository name that is not postgres, mysql or mariadb"
                           : "names no version (a digest or a custom tag)",
                   e->name, version);
    if ((nw = engine_parts(e, version, want)) < 0)
        return say(DBI_IMAGE_MISMATCH, msg, len, "spec.version: \"%.40s\" is not a %s version",
                   version, e->name);
    for (i = 0; i < m && i < nt; i++)
        if (have[i] != want[i])
            return say(DBI_IMAGE_MISMATCH, msg, len,
                       "spec.image: tag %.*s of \"%.200s\" is another major version than "
                       "spec.version %s; set both to the same %s major version",
                       (int)tag_len, tag, image, version, e->name);
    /* The minor too, where both name it: spec.version is what the upgrade and downgrade
     * rules judge, so it must be what runs (16.4 with postgres:16.2 would downgrade). */
    for (; i < nw && i < nt; i++)
        if (have[i] != want[i])
            return say(DBI_IMAGE_MISMATCH, msg, len,
                       "spec.image: tag %.*s of \"%.200s\" is another version than spec.version "
                       "%s; remove spec.image, or give it a tag of version %s (the upgrade and "
                       "downgrade rules judge spec.version, so the image must run it)",
                       (int)tag_len, tag, image, version, version);
    if (nt < m)
        return say(DBI_IMAGE_UNCHECKED, msg, len,
                   "spec.image \"%.200s\": its tag names no minor version, so the operator could "
                   "not check that it runs %s %s",
                   image, e->name, version);
    return DBI_IMAGE_MATCHES;
}


static const char *const image_names[] = {"Official", "Matches", "Unchecked", "Mismatch"};


cJSON *
dbi_version_status(const dbi_spec *s, const char *today, int *eol)
{
    cJSON          *vc = engine_version_check(s->engine->name, s->version, today, eol);
    dbi_image_check img;
    char            text[800], note[400];
    int             ok = 0;

    if (!vc)
        return NULL;
    img = dbi_version_image(s->engine, s->version, s->image, note, sizeof note);
    if (!cJSON_AddStringToObject(vc, "image", image_names[img]))
        goto out;
    if (img == DBI_IMAGE_UNCHECKED) {
        snprintf(text, sizeof text, "%s; %s", kjson_get_str(vc, "message"), note);
        if (!cJSON_ReplaceItemInObjectCaseSensitive(vc, "message", cJSON_CreateString(text)))
            goto out;
    }
    ok = 1;

out:
    if (!ok) {
        cJSON_Delete(vc);
        vc = NULL;
    }
    return vc;
}
