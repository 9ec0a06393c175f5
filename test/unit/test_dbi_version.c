/*
 * The version rules as tables (pkg-c/dbi/dbi_version.h): each row an input and the outcome a
 * user sees. A change to a rule is a change to a row here, read in review. The series and
 * their end of life are the engines' table, tested in test_engine.c.
 */
#include "test.h"

#include "core/core.h"
#include "dbi/dbi.h"
#include "dbi/dbi_version.h"
#include "kjson/kjson.h"

#define TODAY "2026-11-30"

static const char *const change_names[] = {"none",    "minor",     "in-place",
                                           "upgrade", "downgrade", "invalid"};


TEST(dbi_version_change_table)
{
    static const struct {
        const char *engine, *from, *to, *want, *reason;
    } rows[] = {
        {"postgresql", "16.4", "16.4", "none", NULL},
        {"postgresql", "16.2", "16.4", "minor", NULL},
        {"postgresql", "16.4", "16.2", "downgrade", "UnsupportedDowngrade"},
        {"postgresql", "16.10", "16.9", "downgrade", "UnsupportedDowngrade"},
        /* A floating tag cannot be ordered against a minor: nothing to refuse. */
        {"postgresql", "16", "16.2", "none", NULL},
        {"postgresql", "16.4", "16", "none", NULL},
        {"postgresql", "16", "17", "upgrade", "UnsupportedUpgrade"},
        {"postgresql", "13.5", "18", "upgrade", "UnsupportedUpgrade"},
        {"postgresql", "17", "16.4", "downgrade", "UnsupportedDowngrade"},
        {"postgresql", "16", "x", "invalid", NULL},
        {"mysql", "8.4.2", "8.4.3", "minor", NULL},
        {"mysql", "8.4.3", "8.4.2", "downgrade", "UnsupportedDowngrade"},
        {"mysql", "8.0", "8.4", "in-place", NULL},
        {"mysql", "8.0.39", "8.4.3", "in-place", NULL},
        {"mysql", "8.4", "8.0", "downgrade", "UnsupportedDowngrade"},
        {"mysql", "8.0", "9.7", "upgrade", "UnsupportedUpgrade"},
        {"mysql", "8.4", "9.1", "upgrade", "UnsupportedUpgrade"},
        {"mysql", "9.1", "9.2", "upgrade", "UnsupportedUpgrade"},
        {"mysql", "8.4", "8.4.3", "none", NULL},
        {"mariadb", "11.4", "11.8", "in-place", NULL},
        {"mariadb", "11.4.3", "11.8.2", "in-place", NULL},
        {"mariadb", "11.8", "11.4", "downgrade", "UnsupportedDowngrade"},
        {"mariadb", "10.11", "11.4", "upgrade", "UnsupportedUpgrade"},
        {"mariadb", "10.6", "10.11", "upgrade", "UnsupportedUpgrade"},
        {"mariadb", "11.4.5", "11.4.4", "downgrade", "UnsupportedDowngrade"},
        {"mariadb", "11.4.4", "11.4.5", "minor", NULL},
    };
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const dbi_engine *e = dbi_engine_find(rows[i].engine);
        dbi_change        got = dbi_version_change(e, rows[i].from, rows[i].to);
        char              what[128], msg[400] = "";
        const char *reason = dbi_version_refusal(e, rows[i].from, rows[i].to, msg, sizeof msg);

        snprintf(what, sizeof what, "%s %s -> %s: %s", rows[i].engine, rows[i].from, rows[i].to,
                 change_names[got]);
        if (strcmp(change_names[got], rows[i].want) != 0)
            test_fail(__FILE__, __LINE__, what);
        if (!rows[i].reason) {
            ASSERT(reason == NULL);
            ASSERT_STR(msg, "");
            continue;
        }
        ASSERT_STR(reason, rows[i].reason);
        /* The message names the field and both versions. */
        ASSERT_CONTAINS(msg, "spec.version: ");
        ASSERT_CONTAINS(msg, rows[i].from);
        ASSERT_CONTAINS(msg, rows[i].to);
    }
}


TEST(dbi_version_refusal_messages)
{
    char msg[400];

    dbi_version_refusal(dbi_engine_find("postgresql"), "16.4", "16.2", msg, sizeof msg);
    ASSERT_STR(msg, "spec.version: 16.2 is older than the running postgresql 16.4 "
                    "(status.currentVersion); postgresql cannot open its data files with an older "
                    "server: set spec.version back to 16.4 or newer, or restore a dump into a new "
                    "DBInstance");
    dbi_version_refusal(dbi_engine_find("postgresql"), "16.4", "17", msg, sizeof msg);
    ASSERT_STR(msg, "spec.version: changing the major version of postgresql (16.4 to 17) needs a "
                    "dump and restore; set it back to the running major version or create a new "
                    "DBInstance");
    dbi_version_refusal(dbi_engine_find("mysql"), "8.0", "9.7", msg, sizeof msg);
    ASSERT_CONTAINS(msg, "(in place, mysql upgrades only 8.0 to 8.4)");
}


static const char *const image_names[] = {"official", "matches", "unchecked", "mismatch"};


TEST(dbi_version_image_table)
{
    static const struct {
        const char *engine, *version, *image, *want, *says;
    } rows[] = {
        {"postgresql", "16", NULL, "official", ""},
        {"postgresql", "16", "postgres:16", "matches", ""},
        {"postgresql", "16", "registry.example.com/postgres:16.4", "matches", ""},
        {"postgresql", "16.4", "postgres:16.4-alpine3.20", "matches", ""},
        /* A minor both name must agree: 16.4 running postgres:16.2 would be a downgrade. */
        {"postgresql", "16.4", "postgres:16.2", "mismatch",
         "spec.image: tag 16.2 of \"postgres:16.2\" is another version than spec.version 16.4"},
        {"postgresql", "16.2", "postgres:16.4-alpine3.20", "mismatch", "another version than"},
        {"mysql", "8.4.3", "mysql:8.4.2", "mismatch", "another version than"},
        {"mysql", "8.4", "mysql:8.4.2", "matches", ""},
        {"postgresql", "16", "registry.example.com/postgres:17.2", "mismatch",
         "spec.image: tag 17.2 of \"registry.example.com/postgres:17.2\" is another "
         "major version than spec.version 16"},
        {"postgresql", "16", "registry.example.com:5000/library/postgresql:15", "mismatch", "tag 15"},
        {"postgresql", "16", "mysql:8.4", "mismatch",
         "spec.image: \"mysql:8.4\" is a mysql image (repository mysql), but spec.engine is "
         "postgresql"},
        {"postgresql", "16",
         "registry.example.com/postgres@sha256:"
         "4c2ee9c5e6a8f4dd0c7d5bb0c1f0a0e2c57ab3a0b64d3b4f3c7e8f9a0b1c2d3e",
         "unchecked",
         "names no version (a digest or a custom tag): the operator could not check "
         "that it runs postgresql 16"},
        {"postgresql", "16", "postgres:latest-patched", "unchecked", "names no version"},
        {"postgresql", "16", "registry.example.com:5000/postgres", "unchecked", "names no version"},
        /* A tag beside a digest is still checked. */
        {"postgresql", "16", "postgres:17.2@sha256:abc", "mismatch", "tag 17.2"},
        {"postgresql", "16", "postgres:16.4@sha256:abc", "matches", ""},
        {"postgresql", "13", "ghcr.io/example/postgres-with-extensions:13.16-1", "unchecked",
         "repository name that is not postgres, mysql or mariadb"},
        {"mysql", "8.4", "mysql:8.4", "matches", ""},
        {"mysql", "8.4", "registry.example.com/mirror/mysql:8.4.3", "matches", ""},
        {"mysql", "8.4", "mysql:8.0", "mismatch", "tag 8.0"},
        {"mysql", "8.4", "mysql:9", "mismatch", "tag 9"},
        {"mysql", "8.4", "mysql:8", "unchecked", "its tag names no minor version"},
        {"mysql", "8.4", "mariadb:11.4", "mismatch", "is a mariadb image"},
        {"mariadb", "11.4", "mariadb:11.4.3", "matches", ""},
        {"mariadb", "11.4", "quay.io/mariadb/mariadb:11.4-ubi", "matches", ""},
        {"mariadb", "11.4", "mariadb:11.8", "mismatch", "tag 11.8"},
        {"mariadb", "11.4", "mariadb:lts", "unchecked", "names no version"},
        {"mariadb", "11.4", "quay.io/mariadb-foundation/mariadb-devel:11.4.2", "unchecked",
         "repository name"},
    };
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const dbi_engine *e = dbi_engine_find(rows[i].engine);
        char              msg[400], what[512];
        dbi_image_check got = dbi_version_image(e, rows[i].version, rows[i].image, msg, sizeof msg);

        snprintf(what, sizeof what, "%s %s image %s: %s (%s)", rows[i].engine, rows[i].version,
                 rows[i].image ? rows[i].image : "(none)", image_names[got], msg);
        if (strcmp(image_names[got], rows[i].want) != 0)
            test_fail(__FILE__, __LINE__, what);
        if (rows[i].says[0])
            ASSERT_CONTAINS(msg, rows[i].says);
        else
            ASSERT_STR(msg, "");
    }
}


static cJSON *
version_status(const char *engine, const char *version, const char *image, const char *today, int *eol)
{
    dbi_spec s;

    memset(&s, 0, sizeof s);
    s.engine = dbi_engine_find(engine);
    s.version = version;
    s.image = image;
    return dbi_version_status(&s, today, eol);
}


TEST(dbi_version_status_says_end_of_life_and_unchecked_images)
{
    int    eol = -1;
    cJSON *vc = version_status("postgresql", "13", NULL, TODAY, &eol);

    ASSERT_EQ(eol, 1);
    ASSERT_STR(kjson_get_str(vc, "major"), "13");
    ASSERT_STR(kjson_get_str(vc, "support"), "EndOfLife");
    ASSERT_STR(kjson_get_str(vc, "endOfLife"), "2025-11-13");
    ASSERT_STR(kjson_get_str(vc, "source"), "https://www.postgresql.org/support/versioning/");
    ASSERT_STR(kjson_get_str(vc, "image"), "Official");
    ASSERT_STR(kjson_get_str(vc, "message"),
               "postgresql 13 reached its end of life on 2025-11-13 "
               "(https://www.postgresql.org/support/versioning/): it gets no more fixes, security "
               "fixes included; plan an upgrade");
    cJSON_Delete(vc);

    vc = version_status("postgresql", "16", "registry.example.com/postgres@sha256:abc", TODAY, &eol);
    ASSERT_EQ(eol, 0);
    ASSERT_STR(kjson_get_str(vc, "support"), "Supported");
    ASSERT_STR(kjson_get_str(vc, "image"), "Unchecked");
    ASSERT_STR(kjson_get_str(vc, "message"),
               "postgresql 16 is supported until 2028-11-09; spec.image "
               "\"registry.example.com/postgres@sha256:abc\" names no version (a digest or a "
               "custom tag): the operator could not check that it runs postgresql 16");
    cJSON_Delete(vc);

    vc = version_status("mysql", "9.8", "mysql:9.8", TODAY, NULL);
    ASSERT_STR(kjson_get_str(vc, "support"), "Supported");
    ASSERT(kjson_get_str(vc, "endOfLife") == NULL);
    ASSERT_STR(kjson_get_str(vc, "image"), "Matches");
    ASSERT_STR(kjson_get_str(vc, "message"), "mysql 9.8 has no announced end of life");
    cJSON_Delete(vc);
}
