/*
 * The engines' release table (pkg-c/engine/engine.h) as tables: each row a version on a day
 * and where it stands. A change of a date is a change of a row here and in the README's
 * "Supported versions", read in review.
 */
#include "test.h"

#include "core/core.h"
#include "engine/engine.h"
#include "kjson/kjson.h"

#define TODAY "2026-11-30"

static const char *const support_names[] = {"supported", "eol", "unknown", "malformed"};


TEST(engine_version_support_table)
{
    static const struct {
        const char *engine, *version, *today, *want, *eol;
    } rows[] = {
        {"postgresql", "13", TODAY, "eol", "2025-11-13"},
        {"postgresql", "13.22", TODAY, "eol", "2025-11-13"},
        {"postgresql", "14", TODAY, "eol", "2026-11-12"},
        /* The last day of support is still supported. */
        {"postgresql", "14", "2026-11-12", "supported", "2026-11-12"},
        {"postgresql", "14", "2026-11-13", "eol", "2026-11-12"},
        {"postgresql", "15", TODAY, "supported", "2027-11-11"},
        {"postgresql", "16.4", TODAY, "supported", "2028-11-09"},
        {"postgresql", "17", TODAY, "supported", "2029-11-08"},
        {"postgresql", "18", TODAY, "supported", "2030-11-14"},
        {"postgresql", "18.1", TODAY, "supported", "2030-11-14"},
        {"postgresql", "12", TODAY, "unknown", NULL},
        {"postgresql", "19", TODAY, "unknown", NULL},
        {"postgresql", "16.04", TODAY, "malformed", NULL},
        {"postgresql", "016", TODAY, "malformed", NULL},
        {"postgresql", "16.4.1", TODAY, "malformed", NULL},
        {"postgresql", "16.", TODAY, "malformed", NULL},
        {"postgresql", "latest", TODAY, "malformed", NULL},
        {"postgresql", "", TODAY, "malformed", NULL},
        {"mysql", "8.0", TODAY, "eol", "2026-04-30"},
        {"mysql", "8.0.40", "2026-04-30", "supported", "2026-04-30"},
        {"mysql", "8.4", TODAY, "supported", "2032-04-30"},
        {"mysql", "8.4.3", TODAY, "supported", "2032-04-30"},
        {"mysql", "9.1", TODAY, "eol", "2026-04-21"},
        {"mysql", "9.7", TODAY, "supported", "2034-04-30"},
        {"mysql", "9.8", TODAY, "supported", NULL},
        {"mysql", "8.1", TODAY, "unknown", NULL},
        {"mysql", "5.7", TODAY, "unknown", NULL},
        {"mysql", "8", TODAY, "malformed", NULL},
        {"mysql", "8.04", TODAY, "malformed", NULL},
        {"mysql", "8.4-oracle", TODAY, "malformed", NULL},
        {"mariadb", "10.6", TODAY, "eol", "2026-07-06"},
        {"mariadb", "10.6.21", "2026-07-01", "supported", "2026-07-06"},
        {"mariadb", "10.11", TODAY, "supported", "2028-02-16"},
        {"mariadb", "11.4.3", TODAY, "supported", "2029-05-29"},
        {"mariadb", "11.8", TODAY, "supported", "2028-06-04"},
        {"mariadb", "11.5", TODAY, "unknown", NULL},
        {"mariadb", "10.5", TODAY, "unknown", NULL},
        {"mariadb", "11", TODAY, "malformed", NULL},
        /* Without a day (the spec parse), nothing is past its end of life. */
        {"postgresql", "13", NULL, "supported", "2025-11-13"},
        /* An engine the table does not know. */
        {"oracle", "19", TODAY, "malformed", NULL},
        {NULL, "16", TODAY, "malformed", NULL},
    };
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const engine_release *rel = (const engine_release *)1;
        engine_support        got =
            engine_version_support(rows[i].engine, rows[i].version, rows[i].today, &rel);
        char what[128];

        snprintf(what, sizeof what, "%s %s on %s: %s", rows[i].engine ? rows[i].engine : "(null)",
                 rows[i].version, rows[i].today ? rows[i].today : "(no day)", support_names[got]);
        if (strcmp(support_names[got], rows[i].want) != 0)
            test_fail(__FILE__, __LINE__, what);
        if (rows[i].eol) {
            ASSERT(rel != NULL);
            ASSERT_STR(rel->eol, rows[i].eol);
            ASSERT_STR(rel->engine, rows[i].engine);
            ASSERT_CONTAINS(rel->source, "https://");
        } else if (got == ENGINE_SUPPORTED) {
            ASSERT(rel != NULL && rel->eol == NULL);
        } else {
            ASSERT(rel == NULL);
        }
    }
}


TEST(engine_table_has_a_source_for_every_row)
{
    static const char *const majors[] = {"13",   "14",   "15",    "16",      "17",
                                         "18",   "8.0",  "8.4",   "9.0-9.6", "9.7",
                                         "9.8+", "10.6", "10.11", "11.4",    "11.8"};
    const engine_release    *r;
    size_t                   i;

    for (i = 0; (r = engine_release_row(i)); i++) {
        ASSERT(i < sizeof majors / sizeof majors[0]);
        ASSERT_STR(r->major, majors[i]);
        ASSERT_CONTAINS(r->source, "https://");
        ASSERT(!r->eol || strlen(r->eol) == 10);
    }
    ASSERT_EQ(i, sizeof majors / sizeof majors[0]);
}


TEST(engine_major_of_each_form)
{
    static const struct {
        const char *engine, *version, *major;
        int         rc;
    } rows[] = {
        {"postgresql", "16", "16", CORE_OK},      {"postgresql", "16.4", "16", CORE_OK},
        {"mysql", "8.4", "8.4", CORE_OK},         {"mysql", "8.4.3", "8.4", CORE_OK},
        {"mariadb", "10.11.9", "10.11", CORE_OK}, {"postgresql", "16.4.1", NULL, CORE_EINVAL},
        {"mysql", "8", NULL, CORE_EINVAL},        {"oracle", "19.3", NULL, CORE_EINVAL},
    };
    char   buf[16], small[4];
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ASSERT_EQ(engine_major(rows[i].engine, rows[i].version, buf, sizeof buf), rows[i].rc);
        if (rows[i].major)
            ASSERT_STR(buf, rows[i].major);
    }
    ASSERT_EQ(engine_major("mariadb", "10.11", small, sizeof small), CORE_ETOOBIG);
    ASSERT_EQ(engine_major_parts("postgresql"), 1);
    ASSERT_EQ(engine_major_parts("mariadb"), 2);
    ASSERT_EQ(engine_major_parts("oracle"), 0);
}


TEST(engine_version_check_says_the_date_and_its_source)
{
    int    eol = -1;
    cJSON *vc = engine_version_check("postgresql", "14.9", "2026-11-13", &eol);

    ASSERT_EQ(eol, 1);
    ASSERT_STR(kjson_get_str(vc, "major"), "14");
    ASSERT_STR(kjson_get_str(vc, "support"), "EndOfLife");
    ASSERT_STR(kjson_get_str(vc, "endOfLife"), "2026-11-12");
    ASSERT_STR(kjson_get_str(vc, "source"), "https://www.postgresql.org/support/versioning/");
    ASSERT_STR(kjson_get_str(vc, "message"),
               "postgresql 14 reached its end of life on 2026-11-12 "
               "(https://www.postgresql.org/support/versioning/): it gets no more fixes, security "
               "fixes included; plan an upgrade");
    ASSERT(cJSON_GetObjectItemCaseSensitive(vc, "image") == NULL);
    cJSON_Delete(vc);

    vc = engine_version_check("postgresql", "14", "2026-11-12", &eol);
    ASSERT_EQ(eol, 0);
    ASSERT_STR(kjson_get_str(vc, "support"), "Supported");
    ASSERT_STR(kjson_get_str(vc, "message"), "postgresql 14 is supported until 2026-11-12");
    cJSON_Delete(vc);

    vc = engine_version_check("mysql", "9.8", TODAY, NULL);
    ASSERT_STR(kjson_get_str(vc, "support"), "Supported");
    ASSERT(kjson_get_str(vc, "endOfLife") == NULL);
    ASSERT_STR(kjson_get_str(vc, "message"), "mysql 9.8 has no announced end of life");
    cJSON_Delete(vc);

    vc = engine_version_check("postgresql", "12", TODAY, &eol);
    ASSERT_EQ(eol, 0);
    ASSERT_STR(kjson_get_str(vc, "support"), "Unknown");
    ASSERT(kjson_get_str(vc, "source") == NULL);
    cJSON_Delete(vc);
}


/* The Warning Event EndOfLife is told once: when the status first says EndOfLife for a major. */
TEST(engine_version_check_news_once_per_major)
{
    static const struct {
        const char *was, *now;
        int         news;
    } rows[] = {
        {NULL, "{\"major\":\"14\",\"support\":\"EndOfLife\"}", 1},
        {"{\"major\":\"14\",\"support\":\"Supported\"}",
         "{\"major\":\"14\",\"support\":\"EndOfLife\"}", 1},
        {"{\"major\":\"14\",\"support\":\"EndOfLife\"}",
         "{\"major\":\"14\",\"support\":\"EndOfLife\"}", 0},
        {"{\"major\":\"13\",\"support\":\"EndOfLife\"}",
         "{\"major\":\"14\",\"support\":\"EndOfLife\"}", 1},
        {NULL, "{\"major\":\"15\",\"support\":\"Supported\"}", 0},
        {"{\"major\":\"14\",\"support\":\"EndOfLife\"}",
         "{\"major\":\"15\",\"support\":\"Supported\"}", 0},
    };
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        cJSON *was = rows[i].was ? cJSON_Parse(rows[i].was) : NULL;
        cJSON *now = cJSON_Parse(rows[i].now);

        ASSERT_EQ(engine_version_check_news(was, now), rows[i].news);
        cJSON_Delete(was);
        cJSON_Delete(now);
    }
}
