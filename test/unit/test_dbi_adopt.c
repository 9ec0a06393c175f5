#include "core/core.h"
#include "dbi/dbi.h"
#include "dbi/dbi_adopt.h"
#include "kjson/kjson.h"
#include "test.h"


/* A DBInstance hist/team-a (uid u-new) with the given spec members. */
static cJSON *
spec_of(const char *members, dbi_spec *s)
{
    char   text[1024], err[256] = "";
    cJSON *o;

    snprintf(text, sizeof text,
             "{\"apiVersion\":\"dbaas.dev/v1alpha1\",\"kind\":\"DBInstance\","
             "\"metadata\":{\"name\":\"hist\",\"namespace\":\"team-a\",\"uid\":\"u-new\"},"
             "\"spec\":{%s}}",
             members);
    o = cJSON_Parse(text);
    ASSERT(o != NULL);
    if (dbi_spec_parse(o, s, err, sizeof err) != CORE_OK)
        fprintf(stderr, "parse: %s\n", err);
    ASSERT_EQ(dbi_spec_parse(o, s, err, sizeof err), CORE_OK);
    return o;
}


/* A retained claim data-hist-0 with these annotations (JSON object text). */
static cJSON *
claim_with(const char *annotations)
{
    char text[1024];

    snprintf(text, sizeof text,
             "{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\","
             "\"metadata\":{\"name\":\"data-hist-0\",\"annotations\":%s}}",
             annotations);
    return cJSON_Parse(text);
}


#define HELD_15 \
    "{\"dbaas.dev/engine\":\"postgresql\",\"dbaas.dev/major-version\":\"15\"," \
    "\"dbaas.dev/database\":\"ledger\",\"dbaas.dev/username\":\"keeper\"," \
    "\"dbaas.dev/source-uid\":\"u-old\"}"
#define PG(v, db, user) \
    "\"engine\":\"postgresql\",\"version\":\"" v "\",\"database\":\"" db "\",\"username\":\"" user \
    "\""

/* The rule as a table: what the claim holds, the spec, and the verdict with what the
 * message must name (NULL: adopted, no message). */
static const struct {
    const char *annotations, *spec, *want[4];
} adopt_cases[] = {
    {HELD_15, PG("15", "ledger", "keeper"), {NULL}},
    {HELD_15, PG("15.8", "ledger", "keeper"), {NULL}}, /* a minor version is no mismatch */
    {HELD_15,
     PG("17", "other", "someone"),
     {"major version \"15\" (spec.version is \"17\")",
      "database \"ledger\" (spec.database is \"other\")",
      "user \"keeper\" (spec.username is \"someone\")",
      "delete the retained PersistentVolumeClaim data-hist-0"}},
    {HELD_15, PG("17", "ledger", "keeper"), {"major version \"15\"", "upgrade", NULL}},
    {HELD_15,
     PG("15", "ledger", "app"),
     {"user \"keeper\"", "only by creating this DBInstance again", NULL}},
    {HELD_15,
     "\"engine\":\"mysql\",\"version\":\"8.4\",\"database\":\"ledger\",\"username\":\"keeper\"",
     {"engine \"postgresql\" (spec.engine is \"mysql\")", NULL}},
    /* an in-place upgrade the engine makes at start is allowed; a downgrade is not */
    {"{\"dbaas.dev/engine\":\"mysql\",\"dbaas.dev/major-version\":\"8.0\"}",
     "\"engine\":\"mysql\",\"version\":\"8.4\",\"database\":\"d\"",
     {NULL}},
    {"{\"dbaas.dev/engine\":\"mysql\",\"dbaas.dev/major-version\":\"8.4\"}",
     "\"engine\":\"mysql\",\"version\":\"8.0\",\"database\":\"d\"",
     {"major version \"8.4\" (spec.version is \"8.0\")", NULL}},
    /* kept by an operator before these annotations: adopted as before */
    {"{}", PG("17", "other", "someone"), {NULL}},
    /* only some: judged on those */
    {"{\"dbaas.dev/database\":\"ledger\"}", PG("17", "ledger", "someone"), {NULL}},
    {"{\"dbaas.dev/database\":\"ledger\"}", PG("17", "other", "someone"), {"database \"ledger\"", NULL}},
    /* held by this very DBInstance: its own, whatever it says (an upgrade in progress) */
    {"{\"dbaas.dev/major-version\":\"15\",\"dbaas.dev/source-uid\":\"u-new\"}",
     PG("16", "a", "b"),
     {NULL}},
};


TEST(dbi_adopt_golden_table)
{
    size_t i, j;

    for (i = 0; i < sizeof adopt_cases / sizeof adopt_cases[0]; i++) {
        dbi_spec s;
        cJSON   *o = spec_of(adopt_cases[i].spec, &s);
        cJSON   *claim = claim_with(adopt_cases[i].annotations);
        char     msg[700];
        int      rc = dbi_adopt_check(&s, claim, msg, sizeof msg);

        fprintf(stderr, "case %zu: %s\n", i, msg);
        ASSERT_EQ(rc, adopt_cases[i].want[0] ? CORE_EINVAL : CORE_OK);
        if (!adopt_cases[i].want[0])
            ASSERT_STR(msg, "");
        for (j = 0; j < 4 && adopt_cases[i].want[j]; j++)
            ASSERT_CONTAINS(msg, adopt_cases[i].want[j]);
        cJSON_Delete(claim);
        cJSON_Delete(o);
    }
}


TEST(dbi_held_annotations_say_what_the_spec_holds)
{
    dbi_spec s;
    cJSON   *o = spec_of(PG("15.8", "ledger", "keeper"), &s);
    cJSON   *claim = claim_with("{\"other\":\"kept\",\"dbaas.dev/database\":\"stale\"}");
    cJSON   *ann = kjson_path(claim, "metadata", "annotations", NULL);
    char     msg[700];

    ASSERT(!dbi_held_current(&s, claim));
    ASSERT_EQ(dbi_held_put(&s, ann), CORE_OK);
    ASSERT(dbi_held_current(&s, claim));
    ASSERT_STR(kjson_get_str(ann, DBI_HELD_MAJOR), "15");
    ASSERT_STR(kjson_get_str(ann, DBI_HELD_DATABASE), "ledger");
    ASSERT_STR(kjson_get_str(ann, DBI_HELD_USERNAME), "keeper");
    ASSERT_STR(kjson_get_str(ann, DBI_HELD_ENGINE), "postgresql");
    ASSERT_STR(kjson_get_str(ann, DBI_HELD_UID), "u-new");
    ASSERT_STR(kjson_get_str(ann, "other"), "kept");
    ASSERT_EQ(cJSON_GetArraySize(ann), 6);
    /* What it now says is adopted by the same spec, from another DBInstance too. */
    cJSON_ReplaceItemInObjectCaseSensitive(ann, DBI_HELD_UID, cJSON_CreateString("u-old"));
    ASSERT(!dbi_held_current(&s, claim));
    ASSERT_EQ(dbi_adopt_check(&s, claim, msg, sizeof msg), CORE_OK);
    s.uid = NULL;
    ASSERT_EQ(dbi_held_put(&s, ann), CORE_EINVAL);
    cJSON_Delete(claim);
    cJSON_Delete(o);
}
