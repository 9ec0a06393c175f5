#include <stdint.h>

#include "core/core.h"
#include "dbi/dbi.h"
#include "kjson/kjson.h"
#include "test.h"

#define HARD_PASSWORD "p@ss:w/rd?#%"
#define HARD_ESCAPED  "p%40ss%3Aw%2Frd%3F%23%25"


/* A DBInstance orders/team-a with the given spec members (JSON text without braces). */
static cJSON *
dbi_with(const char *spec)
{
    char text[4096];

    snprintf(text, sizeof text,
             "{\"apiVersion\":\"dbaas.dev/v1alpha1\",\"kind\":\"DBInstance\","
             "\"metadata\":{\"name\":\"orders\",\"namespace\":\"team-a\",\"uid\":\"u-1\"},"
             "\"spec\":{%s}}",
             spec);
    return cJSON_Parse(text);
}


/* Parses spec members that must be valid into *s; the caller deletes the returned object. */
static cJSON *
parsed(const char *spec, dbi_spec *s)
{
    cJSON *o = dbi_with(spec);
    char   err[256] = "";
    int    rc = dbi_spec_parse(o, s, err, sizeof err);

    if (rc != CORE_OK)
        fprintf(stderr, "parse: %s\n", err);
    ASSERT_EQ(rc, CORE_OK);
    return o;
}


/* The message for spec members that must be refused. */
static void
refused(const char *spec, const char *want)
{
    cJSON   *o = dbi_with(spec);
    dbi_spec s;
    char     err[512] = "";

    ASSERT(o != NULL);
    ASSERT_EQ(dbi_spec_parse(o, &s, err, sizeof err), CORE_EINVAL);
    ASSERT_CONTAINS(err, want);
    ASSERT(strchr(err, '\n') == NULL);
    cJSON_Delete(o);
}


/* Shorter paths: P(o, "spec", "type") is the item, PS(...) its string, PI(...) its int. */
#define P(...)  kjson_path(__VA_ARGS__, NULL)
#define PS(...) kjson_path_str(__VA_ARGS__, NULL)
#define PI(...) (P(__VA_ARGS__) ? P(__VA_ARGS__)->valueint : -1)


/* The string at index i of an array. */
static const char *
str_at(const cJSON *a, int i)
{
    return cJSON_GetStringValue(cJSON_GetArrayItem(a, i));
}


static char *
text_of(const cJSON *o)
{
    return cJSON_PrintUnformatted(o);
}


/* data[key] of a Secret, decoded into buf. */
static const char *
secret_value(const cJSON *secret, const char *key, char *buf, size_t len)
{
    const char    *b64 = PS(secret, "data", key);
    unsigned char *raw = NULL;
    size_t         n = 0;

    buf[0] = '\0';
    if (b64 && core_b64_decode(b64, strlen(b64), &raw, &n) == CORE_OK && n < len)
        memcpy(buf, raw, n + 1);
    free(raw);
    return buf;
}


static const cJSON *
container_of(const cJSON *sts)
{
    return cJSON_GetArrayItem(P(sts, "spec", "template", "spec", "containers"), 0);
}


/* The env entry called name, or NULL. */
static const cJSON *
env_of(const cJSON *container, const char *name)
{
    const cJSON *e;

    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(container, "env")) {
        if (strcmp(kjson_get_str(e, "name"), name) == 0)
            return e;
    }
    return NULL;
}


static void
has_standard_metadata(const cJSON *o, const char *api_version, const char *kind, const char *name)
{
    const cJSON *ref = cJSON_GetArrayItem(P(o, "metadata", "ownerReferences"), 0);

    ASSERT_STR(kjson_get_str(o, "apiVersion"), api_version);
    ASSERT_STR(kjson_get_str(o, "kind"), kind);
    ASSERT_STR(PS(o, "metadata", "name"), name);
    ASSERT_STR(PS(o, "metadata", "namespace"), "team-a");
    ASSERT_STR(PS(o, "metadata", "labels", "app.kubernetes.io/instance"), "orders");
    ASSERT_STR(PS(o, "metadata", "labels", "app.kubernetes.io/managed-by"), "dbaas-operator");
    ASSERT(PS(o, "metadata", "labels", "app.kubernetes.io/name") != NULL);
    ASSERT_EQ(cJSON_GetArraySize(P(o, "metadata", "ownerReferences")), 1);
    ASSERT_STR(kjson_get_str(ref, "apiVersion"), "dbaas.dev/v1alpha1");
    ASSERT_STR(kjson_get_str(ref, "kind"), "DBInstance");
    ASSERT_STR(kjson_get_str(ref, "name"), "orders");
    ASSERT_STR(kjson_get_str(ref, "uid"), "u-1");
    ASSERT(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ref, "controller")));
}


TEST(dbi_spec_defaults_for_a_minimal_postgresql)
{
    dbi_spec s;
    cJSON   *o = parsed("\"engine\":\"postgresql\",\"version\":\"16\",\"database\":\"orders\"", &s);

    ASSERT_STR(s.name, "orders");
    ASSERT_STR(s.namespace, "team-a");
    ASSERT_STR(s.uid, "u-1");
    ASSERT_STR(s.engine->name, "postgresql");
    ASSERT_STR(s.version, "16");
    ASSERT_STR(s.database, "orders");
    ASSERT_STR(s.username, "app");
    ASSERT_STR(s.storage_size, "1Gi");
    ASSERT_STR(s.service_type, "ClusterIP");
    ASSERT_STR(s.deletion_policy, "Delete");
    ASSERT(s.image == NULL && s.storage_class == NULL && s.credentials_secret == NULL);
    ASSERT(s.restore_snapshot == NULL && s.resources == NULL && s.parameters == NULL);
    cJSON_Delete(o);
}


TEST(dbi_spec_reads_every_field_for_mysql_and_mariadb)
{
    dbi_spec s;
    cJSON   *o =
        parsed("\"engine\":\"mysql\",\"version\":\"8.4.3\","
               "\"image\":\"registry.local/mysql:8.4.3\","
               "\"database\":\"shop\",\"username\":\"shop_app\","
               "\"credentialsSecretRef\":{\"name\":\"shop-pw\"},"
               "\"storage\":{\"size\":\"20Gi\",\"storageClassName\":\"fast\"},"
               "\"resources\":{\"requests\":{\"cpu\":\"250m\",\"memory\":\"256Mi\"}},"
               "\"parameters\":{\"max_connections\":\"200\"},"
               "\"service\":{\"type\":\"LoadBalancer\"},"
               "\"restoreFrom\":{\"snapshot\":\"nightly\"},\"deletionPolicy\":\"Retain\","
               "\"backup\":{\"schedule\":\"0 3 * * *\",\"keep\":7}",
               &s);

    ASSERT_EQ(s.engine->id, DBI_MYSQL);
    ASSERT_EQ(s.engine->port, 3306);
    ASSERT_STR(s.image, "registry.local/mysql:8.4.3");
    ASSERT_STR(s.username, "shop_app");
    ASSERT_STR(s.credentials_secret, "shop-pw");
    ASSERT_STR(s.storage_size, "20Gi");
    ASSERT_STR(s.storage_class, "fast");
    ASSERT_STR(PS(s.resources, "requests", "cpu"), "250m");
    ASSERT_STR(kjson_get_str(s.parameters, "max_connections"), "200");
    ASSERT_STR(s.service_type, "LoadBalancer");
    ASSERT_STR(s.restore_snapshot, "nightly");
    ASSERT_STR(s.deletion_policy, "Retain");
    cJSON_Delete(o);
    /* "" is unset, as the schema's defaults write it. */
    o = parsed("\"engine\":\"mariadb\",\"version\":\"11.4\",\"database\":\"wiki\",\"image\":\"\","
               "\"credentialsSecretRef\":{\"name\":\"\"},\"storage\":{\"storageClassName\":\"\"},"
               "\"restoreFrom\":{\"snapshot\":\"\"}",
               &s);
    ASSERT_EQ(s.engine->id, DBI_MARIADB);
    ASSERT_STR(s.engine->jdbc, "jdbc:mariadb");
    ASSERT_STR(s.engine->scheme, "mysql");
    ASSERT(s.image == NULL && s.credentials_secret == NULL && s.storage_class == NULL &&
           s.restore_snapshot == NULL);
    ASSERT_STR(s.storage_size, "1Gi");
    cJSON_Delete(o);
}


TEST(dbi_spec_refuses_bad_metadata_with_the_field)
{
    cJSON   *o;
    dbi_spec s;
    char     err[256], spec[512];

    refused("\"engine\":\"postgresql\"", "spec.version: required");
    o = cJSON_Parse("{\"metadata\":{\"namespace\":\"a\"},\"spec\":{}}");
    ASSERT_EQ(dbi_spec_parse(o, &s, err, sizeof err), CORE_EINVAL);
    ASSERT_STR(err, "metadata.name: required");
    cJSON_Delete(o);
    o = cJSON_Parse("{\"metadata\":{\"name\":\"a\",\"namespace\":\"a\"}}");
    ASSERT_EQ(dbi_spec_parse(o, &s, err, sizeof err), CORE_EINVAL);
    ASSERT_STR(err, "spec: required");
    cJSON_Delete(o);
    ASSERT_EQ(dbi_spec_parse(NULL, &s, err, sizeof err), CORE_EINVAL);
    /* 45 characters pass, 46 do not. */
    snprintf(spec, sizeof spec,
             "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"a\"},\"spec\":{\"engine\":\"mysql\","
             "\"version\":\"8.0\",\"database\":\"d\"}}",
             "a23456789012345678901234567890123456789012345");
    o = cJSON_Parse(spec);
    ASSERT_EQ(dbi_spec_parse(o, &s, err, sizeof err), CORE_OK);
    cJSON_Delete(o);
    snprintf(spec, sizeof spec,
             "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"a\"},\"spec\":{\"engine\":\"mysql\","
             "\"version\":\"8.0\",\"database\":\"d\"}}",
             "a234567890123456789012345678901234567890123456");
    o = cJSON_Parse(spec);
    ASSERT_EQ(dbi_spec_parse(o, &s, err, sizeof err), CORE_EINVAL);
    ASSERT_CONTAINS(err, "metadata.name: \"a234567890123456789012345678901234567890123456\" is longer "
                         "than 45 characters, too long for the names derived from it");
    cJSON_Delete(o);
    o = cJSON_Parse("{\"metadata\":{\"name\":\"1st.db\",\"namespace\":\"a\"},\"spec\":{}}");
    ASSERT_EQ(dbi_spec_parse(o, &s, err, sizeof err), CORE_EINVAL);
    ASSERT_CONTAINS(err, "metadata.name: \"1st.db\" must start with a lowercase letter");
    cJSON_Delete(o);
}


TEST(dbi_spec_refuses_bad_spec_fields_with_the_field)
{
#define PG "\"engine\":\"postgresql\",\"version\":\"16\","
#define MY "\"engine\":\"mysql\",\"version\":\"8.4\","
    refused("\"version\":\"16\"", "spec.engine: required (postgresql, mysql or mariadb)");
    refused("\"engine\":\"oracle\"",
            "spec.engine: \"oracle\" is not supported (postgresql, mysql or mariadb)");
    refused("\"engine\":7", "spec.engine: must be a string");
    refused("\"engine\":\"postgresql\",\"version\":\"99\",\"database\":\"d\"",
            "spec.version: \"99\" is not a supported postgresql version (13-18)");
    refused("\"engine\":\"postgresql\",\"version\":\"12\",\"database\":\"d\"",
            "spec.version: \"12\" is not a supported postgresql version (13-18)");
    refused("\"engine\":\"postgresql\",\"version\":\"latest\",\"database\":\"d\"",
            "spec.version: \"latest\" is not a postgresql version: use a major version such as "
            "\"16\"");
    refused("\"engine\":\"mysql\",\"version\":\"5.7\",\"database\":\"d\"",
            "spec.version: \"5.7\" is not a supported mysql version (8.0, 8.4, 9.x)");
    refused("\"engine\":\"mysql\",\"version\":\"8\",\"database\":\"d\"",
            "spec.version: \"8\" is not a mysql version: use major.minor such as \"8.4\"");
    refused("\"engine\":\"mariadb\",\"version\":\"10.5\",\"database\":\"d\"",
            "spec.version: \"10.5\" is not a supported mariadb version (10.6, 10.11, 11.4, 11.8)");
    refused(PG "\"image\":5,\"database\":\"d\"", "spec.image: must be a string");
    refused(PG "\"username\":\"x\"", "spec.database: required");
    refused(PG "\"database\":\"my-db\"", "spec.database: \"my-db\" must start with a letter or '_'");
    refused(PG "\"database\":\"1db\"", "spec.database: \"1db\"");
    refused(PG "\"database\":\"a234567890123456789012345678901234567890123456789012345678901234\"",
            "spec.database: \"a234567890123456789012345678901234567890123456789012345678901234\" is "
            "longer than 63 characters");
    refused(PG "\"database\":\"a-34567890123456789012345678901234567890123456789012345678901234567\"",
            "spec.database: \"a-34567890123456789012345678901234567890123456789012345678901...\" must");
    refused(PG "\"database\":\"template1\"",
            "spec.database: \"template1\" is a system database of postgresql");
    refused(MY "\"database\":\"MySQL\"", "spec.database: \"MySQL\" is a system database of mysql");
    refused(PG "\"database\":\"d\",\"username\":\"a b\"",
            "spec.username: \"a b\" must start with a letter or '_'");
    refused(PG "\"database\":\"d\",\"username\":\"postgres\"",
            "spec.username: \"postgres\" is the postgresql superuser");
    refused(PG "\"database\":\"d\",\"username\":\"pg_monitor\"",
            "spec.username: \"pg_monitor\" starts with pg_, which postgresql reserves");
    refused(MY "\"database\":\"d\",\"username\":\"root\"",
            "spec.username: \"root\" is the mysql superuser");
    refused("\"engine\":\"mariadb\",\"version\":\"11.8\",\"database\":\"d\",\"username\":\"root\"",
            "spec.username: \"root\" is the mariadb superuser");
    refused(MY "\"database\":\"d\",\"username\":\"a23456789012345678901234567890123\"",
            "spec.username: \"a23456789012345678901234567890123\" is longer than 32 characters, "
            "the mysql limit");
    refused(PG "\"database\":\"d\",\"storage\":{\"size\":\"lots\"}",
            "spec.storage.size: \"lots\" is not a quantity");
    refused(PG "\"database\":\"d\",\"storage\":{\"size\":\"0\"}",
            "spec.storage.size: \"0\" must be more than 0");
    refused(PG "\"database\":\"d\",\"storage\":\"2Gi\"", "spec.storage: must be an object");
    refused(PG "\"database\":\"d\",\"resources\":{\"limits\":{\"memory\":\"1 GB\"}}",
            "spec.resources.limits.memory: \"1 GB\" is not a quantity");
    refused(PG "\"database\":\"d\",\"parameters\":{\"max_connections\":200}",
            "spec.parameters.max_connections: must be a string");
    refused(PG "\"database\":\"d\",\"parameters\":{\"port\":\"5433\"}",
            "spec.parameters.port: set by the operator; it cannot be changed");
    refused(MY "\"database\":\"d\",\"parameters\":{\"loose-bind-address\":\"::\"}",
            "spec.parameters.loose-bind-address: set by the operator");
    refused(PG "\"database\":\"d\",\"parameters\":{\"a=b\":\"1\"}",
            "spec.parameters: \"a=b\" is not a parameter name");
    refused(PG "\"database\":\"d\",\"parameters\":{\"x\":\"1\\nlisten_addresses = '*'\"}",
            "spec.parameters.x: must be one line");
    refused(PG "\"database\":\"d\",\"service\":{\"type\":\"ExternalName\"}",
            "spec.service.type: \"ExternalName\" is not one of ClusterIP, NodePort, LoadBalancer");
    refused(PG "\"database\":\"d\",\"deletionPolicy\":\"Orphan\"",
            "spec.deletionPolicy: \"Orphan\" is not one of Delete, Retain, Snapshot");
    refused(PG "\"database\":\"d\",\"credentialsSecretRef\":{\"name\":3}",
            "spec.credentialsSecretRef.name: must be a string");
    refused(PG "\"database\":\"d\",\"restoreFrom\":{\"snapshot\":[]}",
            "spec.restoreFrom.snapshot: must be a string");
    /* A control character in a value is not echoed into the one-line message. */
    refused("\"engine\":\"postgresql\",\"version\":\"1\\n6\"", "spec.version: \"1?6\" is not");
#undef PG
#undef MY
}


TEST(dbi_versions_majors_and_images)
{
    static const struct {
        const char *engine, *version, *major;
        int         supported;
    } cases[] = {
        {"postgresql", "13", "13", 1},     {"postgresql", "16.4", "16", 1},
        {"postgresql", "17", "17", 1},     {"postgresql", "18", "18", 1},
        {"postgresql", "16.4.1", NULL, 0}, {"postgresql", "016", NULL, 0},
        {"mysql", "8.0", "8.0", 1},        {"mysql", "8.4.3", "8.4", 1},
        {"mysql", "9.1", "9.1", 1},        {"mysql", "8.1", "8.1", 0},
        {"mysql", "8.4.3.1", NULL, 0},     {"mysql", "8.4-oracle", NULL, 0},
        {"mariadb", "10.11", "10.11", 1},  {"mariadb", "11.4.2", "11.4", 1},
        {"mariadb", "11.8", "11.8", 1},    {"mariadb", "10.6.21", "10.6", 1},
        {"mariadb", "11.5", "11.5", 0},    {"mariadb", "11", NULL, 0},
    };
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const dbi_engine *e = dbi_engine_find(cases[i].engine);
        char              major[16], spec[256], image[64], err[256];
        dbi_spec          s;
        cJSON            *o;
        int               rc;

        ASSERT(e != NULL);
        rc = dbi_major(e, cases[i].version, major, sizeof major);
        if (cases[i].major) {
            ASSERT_EQ(rc, CORE_OK);
            ASSERT_STR(major, cases[i].major);
        } else {
            ASSERT_EQ(rc, CORE_EINVAL);
        }
        snprintf(spec, sizeof spec, "\"engine\":\"%s\",\"version\":\"%s\",\"database\":\"d\"",
                 cases[i].engine, cases[i].version);
        o = dbi_with(spec);
        rc = dbi_spec_parse(o, &s, err, sizeof err);
        if (cases[i].supported) {
            ASSERT_EQ(rc, CORE_OK);
            snprintf(spec, sizeof spec, "%s:%s", e->image, cases[i].version);
            ASSERT_EQ(dbi_image(&s, image, sizeof image), CORE_OK);
            ASSERT_STR(image, spec);
        } else {
            ASSERT_EQ(rc, CORE_EINVAL);
            ASSERT_CONTAINS(err, "spec.version: ");
        }
        cJSON_Delete(o);
    }
    ASSERT(dbi_engine_find("postgres") == NULL);
    ASSERT(dbi_engine_find(NULL) == NULL);
    ASSERT_STR(dbi_engine_find("postgresql")->image, "postgres");
    ASSERT_STR(dbi_engine_find("mariadb")->data_dir, "/var/lib/mysql");
    {
        char small[2];

        ASSERT_EQ(dbi_major(dbi_engine_find("mariadb"), "10.11", small, sizeof small), CORE_ETOOBIG);
    }
}


TEST(dbi_image_override_and_child_names)
{
    dbi_spec s;
    char     buf[64], tiny[8];
    cJSON   *o = parsed("\"engine\":\"mariadb\",\"version\":\"11.4\",\"database\":\"d\","
                          "\"image\":\"quay.io/mariadb/mariadb:11.4-ubi\"",
                        &s);
    cJSON   *labels;

    ASSERT_EQ(dbi_image(&s, buf, sizeof buf), CORE_OK);
    ASSERT_STR(buf, "quay.io/mariadb/mariadb:11.4-ubi");
    ASSERT_EQ(dbi_image(&s, tiny, sizeof tiny), CORE_ETOOBIG);
    ASSERT_EQ(dbi_child_name(&s, "-credentials", buf, sizeof buf), CORE_OK);
    ASSERT_STR(buf, "orders-credentials");
    ASSERT_EQ(dbi_child_name(&s, NULL, buf, sizeof buf), CORE_OK);
    ASSERT_STR(buf, "orders");
    ASSERT_EQ(dbi_child_name(&s, "-headless", tiny, sizeof tiny), CORE_ETOOBIG);
    labels = dbi_labels(&s);
    ASSERT_EQ(cJSON_GetArraySize(labels), 3);
    ASSERT_STR(kjson_get_str(labels, "app.kubernetes.io/name"), "mariadb");
    ASSERT_STR(kjson_get_str(labels, "app.kubernetes.io/instance"), "orders");
    ASSERT_STR(kjson_get_str(labels, "app.kubernetes.io/managed-by"), "dbaas-operator");
    cJSON_Delete(labels);
    cJSON_Delete(o);
}


TEST(dbi_password_length_alphabet_and_uniqueness)
{
    char   a[64], b[64], small[24];
    size_t i, run;
    int    needs_encoding = 0;

    ASSERT_EQ(dbi_password(a, sizeof a, 32), CORE_OK);
    ASSERT_EQ(strlen(a), 32);
    for (i = 0; a[i]; i++)
        ASSERT(strchr(DBI_PASSWORD_ALPHABET, a[i]) != NULL);
    ASSERT_EQ(dbi_password(b, sizeof b, 32), CORE_OK);
    ASSERT(strcmp(a, b) != 0);
    ASSERT_EQ(dbi_password(a, sizeof a, 23), CORE_EINVAL);
    ASSERT_EQ(dbi_password(small, sizeof small, 24), CORE_ETOOBIG);
    ASSERT_EQ(dbi_password(a, sizeof a, 63), CORE_OK);
    ASSERT_EQ(strlen(a), 63);
    /* None of the characters the images' entrypoints or a shell would trip over. */
    ASSERT(strpbrk(DBI_PASSWORD_ALPHABET, "'\"\\$` &;") == NULL);
    /* Over many passwords, characters that need percent-encoding do show up. */
    for (run = 0; run < 20 && !needs_encoding; run++) {
        core_buf esc;

        core_buf_init(&esc, 200);
        ASSERT_EQ(dbi_password(a, sizeof a, 32), CORE_OK);
        ASSERT_EQ(core_pct_encode(&esc, a), CORE_OK);
        needs_encoding = strchr(esc.data, '%') != NULL;
        core_buf_free(&esc);
    }
    ASSERT(needs_encoding);
}


/*
 * Uniformity: 300,000 characters over a 77-character alphabet, about 3,896 each (sigma 62).
 * Taking bytes modulo 77 would give 25 characters 4/256 and the rest 3/256: +20% and -10%,
 * far outside the +-8% (5 sigma) allowed here.
 */
TEST(dbi_password_has_no_modulo_bias)
{
    const size_t alphabet = sizeof DBI_PASSWORD_ALPHABET - 1;
    const size_t per = 60, rounds = 5000;
    size_t       count[256] = {0}, i, j;
    double       expected = (double)(per * rounds) / (double)alphabet;
    char         buf[64];

    for (i = 0; i < rounds; i++) {
        ASSERT_EQ(dbi_password(buf, sizeof buf, per), CORE_OK);
        for (j = 0; j < per; j++)
            count[(unsigned char)buf[j]]++;
    }
    for (i = 0; i < alphabet; i++) {
        double c = (double)count[(unsigned char)DBI_PASSWORD_ALPHABET[i]];

        if (c < expected * 0.92 || c > expected * 1.08) {
            char m[128];

            snprintf(m, sizeof m, "'%c' drawn %.0f times, expected about %.0f",
                     DBI_PASSWORD_ALPHABET[i], c, expected);
            test_fail(__FILE__, __LINE__, m);
        }
    }
}


TEST(core_pct_equal_matches_what_core_pct_encode_writes)
{
    const char *enc = HARD_ESCAPED;

    ASSERT(core_pct_equal(enc, strlen(enc), HARD_PASSWORD));
    ASSERT(core_pct_equal("%2B%20%C3%A9", 12, "+ \xc3\xa9"));
    ASSERT(core_pct_equal("", 0, ""));
    ASSERT(!core_pct_equal("%2b", 3, "+"));    /* upper-case hex only, as written */
    ASSERT(!core_pct_equal("+", 1, "+"));      /* '+' must be encoded */
    ASSERT(!core_pct_equal("%2B", 2, "+"));    /* cut short */
    ASSERT(!core_pct_equal("ab", 2, "abc"));   /* enc shorter */
    ASSERT(!core_pct_equal("abcd", 4, "abc")); /* enc longer */
    ASSERT(!core_pct_equal("%2", 2, "+"));     /* a truncated escape, no overread */
}


TEST(core_pct_encode_encodes_all_but_unreserved)
{
    core_buf b, tiny;

    core_buf_init(&b, 128);
    ASSERT_EQ(core_pct_encode(&b, HARD_PASSWORD), CORE_OK);
    ASSERT_STR(b.data, HARD_ESCAPED);
    core_buf_reset(&b);
    ASSERT_EQ(core_pct_encode(&b, "aZ09-._~"), CORE_OK);
    ASSERT_STR(b.data, "aZ09-._~");
    core_buf_reset(&b);
    ASSERT_EQ(core_pct_encode(&b, "+ =!*^/\xc3\xa9"), CORE_OK);
    ASSERT_STR(b.data, "%2B%20%3D%21%2A%5E%2F%C3%A9");
    core_buf_free(&b);
    core_buf_init(&tiny, 3);
    ASSERT_EQ(core_pct_encode(&tiny, "ab@"), CORE_ETOOBIG);
    ASSERT(tiny.data == NULL);
    core_buf_init(&tiny, 3);
    ASSERT_EQ(core_pct_encode(&tiny, "abc"), CORE_OK);
    core_buf_free(&tiny);
}


TEST(dbi_secret_holds_every_key_with_an_encoded_uri)
{
    static const struct {
        const char *engine, *version, *uri, *jdbc;
    } cases[] = {
        {"postgresql", "16",
         "postgresql://app:" HARD_ESCAPED "@orders.team-a.svc.cluster.local:5432/orders",
         "jdbc:postgresql://orders.team-a.svc.cluster.local:5432/orders"},
        {"mysql", "8.4", "mysql://app:" HARD_ESCAPED "@orders.team-a.svc.cluster.local:3306/orders",
         "jdbc:mysql://orders.team-a.svc.cluster.local:3306/orders"},
        {"mariadb", "11.4", "mysql://app:" HARD_ESCAPED "@orders.team-a.svc.cluster.local:3306/orders",
         "jdbc:mariadb://orders.team-a.svc.cluster.local:3306/orders"},
    };
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char     spec[256], v[512];
        dbi_spec s;
        cJSON   *o, *sec;

        snprintf(spec, sizeof spec, "\"engine\":\"%s\",\"version\":\"%s\",\"database\":\"orders\"",
                 cases[i].engine, cases[i].version);
        o = parsed(spec, &s);
        sec = dbi_build_secret(&s, o, HARD_PASSWORD, "root-pw");
        ASSERT(sec != NULL);
        has_standard_metadata(sec, "v1", "Secret", "orders-credentials");
        ASSERT_STR(PS(sec, "metadata", "labels", "app.kubernetes.io/name"), cases[i].engine);
        ASSERT_STR(kjson_get_str(sec, "type"), "Opaque");
        ASSERT(cJSON_GetObjectItem(sec, "stringData") == NULL);
        ASSERT_EQ(cJSON_GetArraySize(cJSON_GetObjectItem(sec, "data")), 8);
        ASSERT_STR(secret_value(sec, "username", v, sizeof v), "app");
        ASSERT_STR(secret_value(sec, "password", v, sizeof v), HARD_PASSWORD);
        ASSERT_STR(secret_value(sec, "superuser-password", v, sizeof v), "root-pw");
        ASSERT_STR(secret_value(sec, "host", v, sizeof v), "orders.team-a.svc.cluster.local");
        ASSERT_STR(secret_value(sec, "port", v, sizeof v),
                   cases[i].engine[0] == 'p' ? "5432" : "3306");
        ASSERT_STR(secret_value(sec, "database", v, sizeof v), "orders");
        ASSERT_STR(secret_value(sec, "uri", v, sizeof v), cases[i].uri);
        ASSERT_STR(secret_value(sec, "jdbc-url", v, sizeof v), cases[i].jdbc);
        cJSON_Delete(sec);
        ASSERT(dbi_build_secret(&s, o, NULL, "x") == NULL);
        cJSON_Delete(o);
    }
}


TEST(dbi_secret_base64_of_every_length)
{
    static const char *const pw[] = {"a", "ab", "abc", "abcd", "abcde"};
    static const char *const b64[] = {"YQ==", "YWI=", "YWJj", "YWJjZA==", "YWJjZGU="};
    dbi_spec                 s;
    cJSON *o = parsed("\"engine\":\"postgresql\",\"version\":\"15\",\"database\":\"d\"", &s);
    size_t i;

    for (i = 0; i < 5; i++) {
        cJSON *sec = dbi_build_secret(&s, o, pw[i], "x");

        ASSERT_STR(PS(sec, "data", "password"), b64[i]);
        cJSON_Delete(sec);
    }
    cJSON_Delete(o);
}


static cJSON *
configmap_of(const char *spec, char *checksum, size_t len)
{
    dbi_spec s;
    cJSON   *o = parsed(spec, &s);
    cJSON   *cm = dbi_build_configmap(&s, o, checksum, len);

    cJSON_Delete(o);
    return cm;
}


TEST(dbi_configmap_renders_sorted_quoted_parameters)
{
    char   sum[17];
    cJSON *cm =
        configmap_of("\"engine\":\"postgresql\",\"version\":\"16\",\"database\":\"d\","
                     "\"parameters\":{\"work_mem\":\"8MB\",\"log_line_prefix\":\"%m it's \\\\ ok\","
                     "\"max_connections\":\"200\"}",
                     sum, sizeof sum);
    const char *conf = PS(cm, "data", "dbaas.conf");

    has_standard_metadata(cm, "v1", "ConfigMap", "orders-config");
    ASSERT_EQ(strlen(sum), 16);
    ASSERT_EQ(strspn(sum, "0123456789abcdef"), 16);
    ASSERT_CONTAINS(conf, "\nlog_line_prefix = '%m it''s \\\\ ok'\nmax_connections = '200'\n"
                          "work_mem = '8MB'\n");
    cJSON_Delete(cm);
    cm = configmap_of("\"engine\":\"mysql\",\"version\":\"8.0\",\"database\":\"d\","
                      "\"parameters\":{\"sql_mode\":\"STRICT_ALL_TABLES\","
                      "\"init_connect\":\"SET x=\\\"#1\\\"\","
                      "\"max_connections\":\"200\"}",
                      sum, sizeof sum);
    conf = PS(cm, "data", "dbaas.cnf");
    ASSERT_CONTAINS(conf, "\n[mysqld]\ninit_connect = \"SET x=\\\"#1\\\"\"\nmax_connections = 200\n"
                          "sql_mode = STRICT_ALL_TABLES\n");
    ASSERT(P(cm, "data", "dbaas.conf") == NULL);
    cJSON_Delete(cm);
    /* No parameters: still a file, with only its header. */
    cm = configmap_of("\"engine\":\"mariadb\",\"version\":\"10.11\",\"database\":\"d\"", sum,
                      sizeof sum);
    conf = PS(cm, "data", "dbaas.cnf");
    ASSERT(conf != NULL && strstr(conf, " = ") == NULL);
    ASSERT_CONTAINS(conf, "[mysqld]\n");
    cJSON_Delete(cm);
    /* Too small for the checksum: no ConfigMap, and "" that the StatefulSet refuses. */
    memset(sum, 'x', sizeof sum);
    ASSERT(configmap_of("\"engine\":\"mariadb\",\"version\":\"10.11\",\"database\":\"d\"", sum, 16) ==
           NULL);
    ASSERT_STR(sum, "");
}


TEST(dbi_checksum_follows_parameters_only)
{
    char   base[17], same[17], reordered[17], changed[17], added[17];
    cJSON *cm;

#define SPEC(params, extra) \
    "\"engine\":\"postgresql\",\"version\":\"16\",\"database\":\"d\",\"parameters\":{" params \
    "}" extra
    cm = configmap_of(SPEC("\"a\":\"1\",\"b\":\"2\"", ""), base, sizeof base);
    cJSON_Delete(cm);
    cm = configmap_of(SPEC("\"a\":\"1\",\"b\":\"2\"",
                           ",\"version\":\"16.4\",\"storage\":{\"size\":\"9Gi\"}"),
                      same, sizeof same);
    cJSON_Delete(cm);
    cm = configmap_of(SPEC("\"b\":\"2\",\"a\":\"1\"", ""), reordered, sizeof reordered);
    cJSON_Delete(cm);
    cm = configmap_of(SPEC("\"a\":\"1\",\"b\":\"3\"", ""), changed, sizeof changed);
    cJSON_Delete(cm);
    cm = configmap_of(SPEC("\"a\":\"1\",\"b\":\"2\",\"c\":\"\"", ""), added, sizeof added);
    cJSON_Delete(cm);
#undef SPEC
    ASSERT_STR(same, base);
    ASSERT_STR(reordered, base);
    ASSERT(strcmp(changed, base) != 0);
    ASSERT(strcmp(added, base) != 0);
}


TEST(dbi_services_client_and_headless)
{
    dbi_spec     s;
    cJSON       *o = parsed("\"engine\":\"mariadb\",\"version\":\"11.4\",\"database\":\"d\","
                                  "\"service\":{\"type\":\"NodePort\"}",
                            &s);
    cJSON       *svc = dbi_build_service(&s, o);
    cJSON       *hl = dbi_build_headless_service(&s, o);
    const cJSON *port = cJSON_GetArrayItem(P(svc, "spec", "ports"), 0);
    cJSON       *labels = dbi_labels(&s);

    has_standard_metadata(svc, "v1", "Service", "orders");
    ASSERT_STR(PS(svc, "spec", "type"), "NodePort");
    ASSERT(cJSON_Compare(P(svc, "spec", "selector"), labels, 1));
    ASSERT_STR(kjson_get_str(port, "name"), "mysql");
    ASSERT_STR(kjson_get_str(port, "targetPort"), "mysql");
    ASSERT_EQ(PI(port, "port"), 3306);
    ASSERT(P(svc, "spec", "clusterIP") == NULL);
    has_standard_metadata(hl, "v1", "Service", "orders-headless");
    ASSERT_STR(PS(hl, "spec", "clusterIP"), "None");
    ASSERT_STR(PS(hl, "spec", "type"), "ClusterIP");
    ASSERT(cJSON_IsTrue(P(hl, "spec", "publishNotReadyAddresses")));
    ASSERT(cJSON_Compare(P(hl, "spec", "selector"), labels, 1));
    ASSERT(cJSON_Compare(P(hl, "spec", "ports"), P(svc, "spec", "ports"), 1));
    cJSON_Delete(labels);
    cJSON_Delete(svc);
    cJSON_Delete(hl);
    cJSON_Delete(o);
}


static cJSON *
sts_of(const char *spec, const char *checksum)
{
    dbi_spec s;
    cJSON   *o = parsed(spec, &s);
    cJSON   *sts = dbi_build_statefulset(&s, o, checksum);

    cJSON_Delete(o);
    ASSERT(sts != NULL);
    return sts;
}


static void
env_from_secret(const cJSON *c, const char *name, const char *key)
{
    const cJSON *e = env_of(c, name);

    ASSERT(e != NULL);
    ASSERT(cJSON_GetObjectItem(e, "value") == NULL);
    ASSERT_STR(PS(e, "valueFrom", "secretKeyRef", "name"), "orders-credentials");
    ASSERT_STR(PS(e, "valueFrom", "secretKeyRef", "key"), key);
}


TEST(dbi_statefulset_postgresql)
{
    cJSON *sts = sts_of("\"engine\":\"postgresql\",\"version\":\"16.4\",\"database\":\"orders\","
                        "\"parameters\":{\"shared_buffers\":\"128MB\",\"max_connections\":\"200\"}",
                        "0123456789abcdef");
    const cJSON *c = container_of(sts), *args;
    const char *want_args[] = {"postgres", "-c", "max_connections=200", "-c", "shared_buffers=128MB"};
    size_t      i;

    has_standard_metadata(sts, "apps/v1", "StatefulSet", "orders");
    ASSERT_STR(PS(sts, "spec", "serviceName"), "orders-headless");
    ASSERT_EQ(PI(sts, "spec", "replicas"), 1);
    ASSERT_STR(PS(sts, "spec", "selector", "matchLabels", "app.kubernetes.io/instance"), "orders");
    ASSERT(cJSON_Compare(P(sts, "spec", "selector", "matchLabels"),
                         P(sts, "spec", "template", "metadata", "labels"), 1));
    ASSERT_STR(PS(sts, "spec", "template", "metadata", "annotations", DBI_CONFIG_HASH),
               "0123456789abcdef");
    ASSERT_STR(PS(sts, "spec", "persistentVolumeClaimRetentionPolicy", "whenDeleted"), "Retain");
    ASSERT_STR(PS(sts, "spec", "persistentVolumeClaimRetentionPolicy", "whenScaled"), "Retain");
    ASSERT_STR(kjson_get_str(c, "name"), "postgresql");
    ASSERT_STR(kjson_get_str(c, "image"), "postgres:16.4");
    args = cJSON_GetObjectItem(c, "args");
    ASSERT_EQ(cJSON_GetArraySize(args), 5);
    for (i = 0; i < 5; i++)
        ASSERT_STR(str_at(args, (int)i), want_args[i]);
    env_from_secret(c, "POSTGRES_USER", "username");
    env_from_secret(c, "POSTGRES_PASSWORD", "password");
    env_from_secret(c, "POSTGRES_DB", "database");
    ASSERT_STR(kjson_get_str(env_of(c, "PGDATA"), "value"), "/var/lib/postgresql/data/pgdata");
    ASSERT_STR(kjson_get_str(cJSON_GetArrayItem(cJSON_GetObjectItem(c, "volumeMounts"), 0),
                             "mountPath"),
               "/var/lib/postgresql/data");
    ASSERT_EQ(cJSON_GetArraySize(cJSON_GetObjectItem(c, "volumeMounts")), 1);
    ASSERT_CONTAINS(str_at(P(c, "readinessProbe", "exec", "command"), 2),
                    "pg_isready -U \"$POSTGRES_USER\"");
    ASSERT(P(c, "livenessProbe", "exec") != NULL);
    ASSERT(P(c, "startupProbe", "exec") != NULL);
    ASSERT_EQ(PI(cJSON_GetArrayItem(P(c, "ports"), 0), "containerPort"), 5432);
    ASSERT(P(sts, "spec", "template", "spec", "volumes") == NULL);
    ASSERT(P(c, "resources") == NULL);
    /* Restricted: non-root, no escalation, no capabilities, the runtime's seccomp profile. */
    ASSERT_EQ(PI(c, "securityContext", "runAsUser"), 999);
    ASSERT(cJSON_IsTrue(P(c, "securityContext", "runAsNonRoot")));
    ASSERT(cJSON_IsFalse(P(c, "securityContext", "allowPrivilegeEscalation")));
    ASSERT_STR(str_at(P(c, "securityContext", "capabilities", "drop"), 0), "ALL");
    ASSERT_STR(PS(c, "securityContext", "seccompProfile", "type"), "RuntimeDefault");
    ASSERT_EQ(PI(sts, "spec", "template", "spec", "securityContext", "fsGroup"), 999);
    cJSON_Delete(sts);
}


TEST(dbi_statefulset_mysql_and_mariadb)
{
    cJSON       *sts = sts_of("\"engine\":\"mysql\",\"version\":\"8.4\",\"database\":\"shop\","
                                    "\"resources\":{\"requests\":{\"cpu\":\"0.25\",\"memory\":\"1024Mi\"},"
                                    "\"limits\":{\"memory\":1073741824}}",
                              "aaaa");
    const cJSON *c = container_of(sts), *m;
    char        *probes;

    ASSERT_STR(kjson_get_str(c, "name"), "mysql");
    ASSERT_STR(kjson_get_str(c, "image"), "mysql:8.4");
    ASSERT(cJSON_GetObjectItem(c, "args") == NULL);
    env_from_secret(c, "MYSQL_ROOT_PASSWORD", "superuser-password");
    env_from_secret(c, "MYSQL_USER", "username");
    env_from_secret(c, "MYSQL_PASSWORD", "password");
    env_from_secret(c, "MYSQL_DATABASE", "database");
    ASSERT(env_of(c, "PGDATA") == NULL);
    m = cJSON_GetArrayItem(cJSON_GetObjectItem(c, "volumeMounts"), 1);
    ASSERT_STR(kjson_get_str(m, "name"), "config");
    ASSERT_STR(kjson_get_str(m, "mountPath"), "/etc/mysql/conf.d/dbaas.cnf");
    ASSERT_STR(kjson_get_str(m, "subPath"), "dbaas.cnf");
    ASSERT_STR(kjson_get_str(cJSON_GetArrayItem(cJSON_GetObjectItem(c, "volumeMounts"), 0),
                             "mountPath"),
               "/var/lib/mysql");
    ASSERT_STR(kjson_path_str(cJSON_GetArrayItem(P(sts, "spec", "template", "spec", "volumes"), 0),
                              "configMap", "name", NULL),
               "orders-config");
    /* Resources as the API server writes them back; it drops empty maps (below). */
    ASSERT_STR(PS(c, "resources", "requests", "cpu"), "250m");
    ASSERT_STR(PS(c, "resources", "requests", "memory"), "1Gi");
    ASSERT_STR(PS(c, "resources", "limits", "memory"), "1073741824");
    /* Probes take the root password from the environment, never inline. */
    probes = text_of(P(c, "livenessProbe"));
    ASSERT_CONTAINS(probes, "mysqladmin ping");
    ASSERT_CONTAINS(probes, "-p\\\"$MYSQL_ROOT_PASSWORD\\\"");
    cJSON_free(probes);
    probes = text_of(P(c, "readinessProbe"));
    ASSERT_CONTAINS(probes, "-p\\\"$MYSQL_ROOT_PASSWORD\\\"");
    cJSON_free(probes);
    cJSON_Delete(sts);

    sts = sts_of("\"engine\":\"mariadb\",\"version\":\"11.4.2\",\"database\":\"wiki\","
                 "\"resources\":{\"requests\":{},\"limits\":{\"cpu\":\"1000m\"}}",
                 "bbbb");
    c = container_of(sts);
    ASSERT(P(c, "resources", "requests") == NULL);
    ASSERT_STR(PS(c, "resources", "limits", "cpu"), "1");
    ASSERT_STR(kjson_get_str(c, "name"), "mariadb");
    ASSERT_STR(kjson_get_str(c, "image"), "mariadb:11.4.2");
    env_from_secret(c, "MARIADB_ROOT_PASSWORD", "superuser-password");
    env_from_secret(c, "MARIADB_USER", "username");
    env_from_secret(c, "MARIADB_PASSWORD", "password");
    env_from_secret(c, "MARIADB_DATABASE", "database");
    ASSERT(env_of(c, "MYSQL_USER") == NULL);
    ASSERT_STR(str_at(P(c, "readinessProbe", "exec", "command"), 0), "healthcheck.sh");
    ASSERT_STR(kjson_path_str(cJSON_GetArrayItem(P(c, "ports"), 0), "name", NULL), "mysql");
    cJSON_Delete(sts);
}


TEST(dbi_statefulset_claim_template)
{
    cJSON *sts = sts_of("\"engine\":\"postgresql\",\"version\":\"17\",\"database\":\"d\"", NULL);
    const cJSON *t = cJSON_GetArrayItem(P(sts, "spec", "volumeClaimTemplates"), 0);

    ASSERT_EQ(cJSON_GetArraySize(P(sts, "spec", "volumeClaimTemplates")), 1);
    ASSERT_STR(PS(t, "metadata", "name"), "data");
    ASSERT_STR(PS(t, "metadata", "labels", "app.kubernetes.io/instance"), "orders");
    ASSERT_STR(str_at(P(t, "spec", "accessModes"), 0), "ReadWriteOnce");
    ASSERT_STR(PS(t, "spec", "resources", "requests", "storage"), "1Gi");
    ASSERT(P(t, "spec", "storageClassName") == NULL);
    ASSERT(P(t, "spec", "dataSource") == NULL);
    /* No checksum given: no annotation. */
    ASSERT(P(sts, "spec", "template", "metadata", "labels") != NULL);
    ASSERT(P(sts, "spec", "template", "metadata", "annotations") == NULL);
    cJSON_Delete(sts);

    sts = sts_of("\"engine\":\"postgresql\",\"version\":\"17\",\"database\":\"d\","
                 "\"storage\":{\"size\":\"2048Mi\",\"storageClassName\":\"fast\"},"
                 "\"restoreFrom\":{\"snapshot\":\"nightly\"}",
                 "x");
    t = cJSON_GetArrayItem(P(sts, "spec", "volumeClaimTemplates"), 0);
    ASSERT_STR(PS(t, "spec", "resources", "requests", "storage"), "2Gi");
    ASSERT_STR(PS(t, "spec", "storageClassName"), "fast");
    ASSERT_STR(PS(t, "spec", "dataSource", "apiGroup"), "snapshot.storage.k8s.io");
    ASSERT_STR(PS(t, "spec", "dataSource", "kind"), "VolumeSnapshot");
    ASSERT_STR(PS(t, "spec", "dataSource", "name"), "nightly");
    cJSON_Delete(sts);
}


/* Whether the tree holds a number 0 anywhere. */
static int
has_zero(const cJSON *o)
{
    const cJSON *it;

    if (cJSON_IsNumber(o) && o->valuedouble == 0)
        return 1;
    cJSON_ArrayForEach(it, o) {
        if (has_zero(it))
            return 1;
    }
    return 0;
}


/*
 * The API server omits zero numbers: a desired 0 would never be found in what it returns,
 * and the controller would write on every reconcile.
 */
TEST(dbi_builders_write_no_zero_numbers)
{
    static const char *const specs[] = {
        "\"engine\":\"postgresql\",\"version\":\"16\",\"database\":\"d\",\"parameters\":{\"a\":\"0\"}",
        "\"engine\":\"mysql\",\"version\":\"9.1\",\"database\":\"d\",\"service\":{\"type\":\"NodePort\"}",
        "\"engine\":\"mariadb\",\"version\":\"10.6\",\"database\":\"d\"",
    };
    size_t i;

    for (i = 0; i < 3; i++) {
        dbi_spec s;
        cJSON   *o = parsed(specs[i], &s);
        cJSON   *sts = dbi_build_statefulset(&s, o, "x");
        cJSON   *svc = dbi_build_service(&s, o);
        cJSON   *hl = dbi_build_headless_service(&s, o);

        ASSERT(sts && svc && hl);
        ASSERT(!has_zero(sts));
        ASSERT(!has_zero(svc));
        ASSERT(!has_zero(hl));
        cJSON_Delete(sts);
        cJSON_Delete(svc);
        cJSON_Delete(hl);
        cJSON_Delete(o);
    }
}


TEST(dbi_builders_are_deterministic)
{
    static const char *const specs[] = {
        ("\"engine\":\"postgresql\",\"version\":\"16\",\"database\":\"d\","
         "\"parameters\":{\"b\":\"2\",\"a\":\"1\"},\"resources\":{\"limits\":{\"cpu\":\"1\"}}"),
        ("\"engine\":\"mysql\",\"version\":\"8.0\",\"database\":\"d\","
         "\"parameters\":{\"b\":\"2\",\"a\":\"1\"}"),
        ("\"engine\":\"mariadb\",\"version\":\"11.8\",\"database\":\"d\","
         "\"restoreFrom\":{\"snapshot\":\"s\"}"),
    };
    size_t i, k;

    for (i = 0; i < 3; i++) {
        char    *first[5] = {0}, sum1[17], sum2[17];
        dbi_spec s;
        cJSON   *o = parsed(specs[i], &s);

        for (k = 0; k < 2; k++) {
            cJSON *objs[5];
            char  *sum = k ? sum2 : sum1;
            size_t j;

            objs[0] = dbi_build_secret(&s, o, "pw", "root");
            objs[1] = dbi_build_configmap(&s, o, sum, 17);
            objs[2] = dbi_build_service(&s, o);
            objs[3] = dbi_build_headless_service(&s, o);
            objs[4] = dbi_build_statefulset(&s, o, sum);
            for (j = 0; j < 5; j++) {
                char *t = text_of(objs[j]);

                ASSERT(t != NULL);
                if (!k)
                    first[j] = t;
                else {
                    ASSERT_STR(t, first[j]);
                    cJSON_free(t);
                }
                cJSON_Delete(objs[j]);
            }
        }
        ASSERT_STR(sum1, sum2);
        for (k = 0; k < 5; k++)
            cJSON_free(first[k]);
        cJSON_Delete(o);
    }
}


TEST(dbi_builders_need_an_owner_with_a_uid)
{
    dbi_spec s;
    cJSON   *o = parsed("\"engine\":\"postgresql\",\"version\":\"16\",\"database\":\"d\"", &s);
    cJSON   *anon = cJSON_Parse("{\"metadata\":{\"name\":\"orders\"}}");
    char     sum[17];

    ASSERT(dbi_build_secret(&s, anon, "pw", "root") == NULL);
    ASSERT(dbi_build_configmap(&s, anon, sum, sizeof sum) == NULL);
    ASSERT(dbi_build_service(&s, anon) == NULL);
    ASSERT(dbi_build_headless_service(&s, anon) == NULL);
    ASSERT(dbi_build_statefulset(&s, anon, "abc") == NULL);
    ASSERT(dbi_build_statefulset(&s, o, "") == NULL);
    cJSON_Delete(anon);
    cJSON_Delete(o);
}


/* Parameters stored under older, looser CRD limits whose configuration cannot fit its
 * ConfigMap: refused with the size, before anything is written. */
TEST(dbi_parameters_that_no_configmap_holds_are_refused)
{
    cJSON *o = dbi_with("\"engine\":\"postgresql\",\"version\":\"16\",\"database\":\"d\"");
    cJSON *params = cJSON_AddObjectToObject(cJSON_GetObjectItemCaseSensitive(o, "spec"), "parameters");
    char     name[32], value[4097], err[256] = "";
    dbi_spec s;
    int      i;

    memset(value, 'x', sizeof value - 1);
    value[sizeof value - 1] = '\0';
    for (i = 0; i < 200; i++) {
        snprintf(name, sizeof name, "custom.p%03d", i);
        cJSON_AddStringToObject(params, name, value);
    }
    /* 200 x 4 KiB fits. */
    ASSERT_EQ(dbi_spec_parse(o, &s, err, sizeof err), CORE_OK);
    ASSERT(dbi_config_len(&s) > 200 * 4096);
    for (; i < 256; i++) {
        snprintf(name, sizeof name, "custom.p%03d", i);
        cJSON_AddStringToObject(params, name, value);
    }
    ASSERT_EQ(dbi_spec_parse(o, &s, err, sizeof err), CORE_EINVAL);
    ASSERT_CONTAINS(err, "spec.parameters: the configuration they render is ");
    ASSERT_CONTAINS(err, "bytes, more than a ConfigMap holds (1048560 bytes)");
    cJSON_Delete(o);
}


TEST(dbi_security_context_ids_are_whole_numbers_in_range)
{
    static const char *const bad[] = {"1.5", "0", "-1", "2147483648", "\"999\""};
    static const char *const good[] = {"1", "999", "2147483647"};
    char                     buf[512], err[256];
    dbi_spec                 s;
    size_t                   i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cJSON *o;

        snprintf(buf, sizeof buf,
                 "{\"metadata\":{\"name\":\"a\",\"namespace\":\"n\",\"uid\":\"u\"},\"spec\":{\"engine\":"
                 "\"postgresql\",\"version\":\"16\",\"database\":\"d\",\"securityContext\":{"
                 "\"runAsUser\":%s}}}",
                 bad[i]);
        o = cJSON_Parse(buf);
        ASSERT(o != NULL);
        ASSERT_EQ(dbi_spec_parse(o, &s, err, sizeof err), CORE_EINVAL);
        ASSERT_CONTAINS(err, "spec.securityContext.runAsUser: must be a whole number");
        cJSON_Delete(o);
    }
    for (i = 0; i < sizeof good / sizeof good[0]; i++) {
        cJSON *o;

        snprintf(buf, sizeof buf,
                 "{\"metadata\":{\"name\":\"a\",\"namespace\":\"n\",\"uid\":\"u\"},\"spec\":{\"engine\":"
                 "\"postgresql\",\"version\":\"16\",\"database\":\"d\",\"securityContext\":{"
                 "\"runAsUser\":%s}}}",
                 good[i]);
        o = cJSON_Parse(buf);
        ASSERT(o != NULL);
        ASSERT_EQ(dbi_spec_parse(o, &s, err, sizeof err), CORE_OK);
        cJSON_Delete(o);
    }
}
