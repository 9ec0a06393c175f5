/* dbi_tls: the default rule (an upgrade never turns TLS on), the names, what a template runs. */
#include <cjson/cJSON.h>
#include <string.h>

#include "core/core.h"
#include "dbi/dbi.h"
#include "dbi/dbi_tls.h"
#include "test.h"

#define STS_PLAIN "{\"spec\":{\"template\":{\"spec\":{\"volumes\":[{\"name\":\"config\"}]}}}}"
#define STS_TLS \
    "{\"spec\":{\"template\":{\"spec\":{\"volumes\":[{\"name\":\"config\"},{\"name\":\"tls\"}]}}}}"
#define DBI_NONE "{\"metadata\":{\"name\":\"a\"}}"
#define DBI_OFF  "{\"status\":{\"tls\":{\"enabled\":false}}}"
#define DBI_ON   "{\"status\":{\"tls\":{\"enabled\":true}}}"


static int
decide(int spec_tls, const char *sts, const char *dbi)
{
    cJSON *s = sts ? cJSON_Parse(sts) : NULL, *d = cJSON_Parse(dbi);
    int    v = dbi_tls_decide(spec_tls, s, d);

    cJSON_Delete(s);
    cJSON_Delete(d);
    return v;
}


TEST(dbi_tls_default_keeps_what_runs)
{
    /* spec wins, whatever runs */
    ASSERT_EQ(decide(1, STS_PLAIN, DBI_OFF), 1);
    ASSERT_EQ(decide(0, STS_TLS, DBI_ON), 0);
    /* unset, with a StatefulSet: what it runs. An instance made before TLS existed stays
     * plain after the upgrade: its pod is not restarted. */
    ASSERT_EQ(decide(DBI_TLS_UNSET, STS_PLAIN, DBI_NONE), 0);
    ASSERT_EQ(decide(DBI_TLS_UNSET, STS_PLAIN, DBI_ON), 0);
    ASSERT_EQ(decide(DBI_TLS_UNSET, STS_TLS, DBI_NONE), 1);
    /* no StatefulSet: what status recorded, else a new instance: on */
    ASSERT_EQ(decide(DBI_TLS_UNSET, NULL, DBI_OFF), 0);
    ASSERT_EQ(decide(DBI_TLS_UNSET, NULL, DBI_ON), 1);
    ASSERT_EQ(decide(DBI_TLS_UNSET, NULL, DBI_NONE), 1);
}


static int
parse(const char *tls, dbi_spec *s, char *err, size_t len)
{
    char   text[1024];
    cJSON *o;
    int    rc;

    snprintf(text, sizeof text,
             "{\"metadata\":{\"name\":\"orders\",\"namespace\":\"shop\",\"uid\":\"u\"},"
             "\"spec\":{\"engine\":\"postgresql\",\"version\":\"16\",\"database\":\"app\"%s%s}}",
             tls ? ",\"tls\":" : "", tls ? tls : "");
    o = cJSON_Parse(text);
    rc = dbi_spec_parse(o, s, err, len);
    /* the spec's strings point into o: keep only what the test reads */
    if (rc == CORE_OK) {
        ASSERT(s->tls_mode != NULL);
        ASSERT_EQ(strcmp(s->tls_mode, "require") == 0 || strcmp(s->tls_mode, "verify-full") == 0, 1);
    }
    cJSON_Delete(o);
    return rc;
}


TEST(dbi_tls_parse_fields)
{
    dbi_spec s;
    char     err[300];

    ASSERT_EQ(parse(NULL, &s, err, sizeof err), CORE_OK);
    ASSERT_EQ(s.tls, DBI_TLS_UNSET);
    ASSERT_EQ(dbi_tls_on(&s), 0);
    ASSERT_EQ(parse("{\"enabled\":true}", &s, err, sizeof err), CORE_OK);
    ASSERT_EQ(s.tls, 1);
    ASSERT_EQ(parse("{\"enabled\":false}", &s, err, sizeof err), CORE_OK);
    ASSERT_EQ(s.tls, 0);
    ASSERT_EQ(parse("{\"mode\":\"require\"}", &s, err, sizeof err), CORE_OK);
    ASSERT_EQ(s.tls, DBI_TLS_UNSET);
    ASSERT_EQ(parse("{\"enabled\":\"yes\"}", &s, err, sizeof err), CORE_EINVAL);
    ASSERT_STR(err, "spec.tls.enabled: must be a boolean");
    ASSERT_EQ(parse("{\"mode\":\"disable\"}", &s, err, sizeof err), CORE_EINVAL);
    ASSERT_STR(err, "spec.tls.mode: must be verify-full or require");
    ASSERT_EQ(parse("[]", &s, err, sizeof err), CORE_EINVAL);
    ASSERT_STR(err, "spec.tls: must be an object");
}


TEST(dbi_tls_names_cover_services_and_pod)
{
    dbi_spec    s;
    char        buf[1024];
    const char *names[DBI_TLS_NAMES];
    size_t      n = 0;

    memset(&s, 0, sizeof s);
    s.name = "orders";
    s.namespace = "shop";
    ASSERT_EQ(dbi_tls_names(&s, buf, sizeof buf, names, &n), CORE_OK);
    ASSERT_EQ(n, DBI_TLS_NAMES);
    ASSERT_STR(names[0], "orders");
    ASSERT_STR(names[1], "orders.shop");
    ASSERT_STR(names[2], "orders.shop.svc");
    ASSERT_STR(names[DBI_TLS_HOST], "orders.shop.svc.cluster.local");
    ASSERT_STR(names[4], "orders-0.orders-headless.shop.svc");
    ASSERT_STR(names[5], "orders-0.orders-headless.shop.svc.cluster.local");
    ASSERT_EQ(dbi_tls_names(&s, buf, 40, names, &n), CORE_ETOOBIG);
}


/* The mark of a checked <name>-tls: made and verified with the CA's key; any other byte of
 * the inputs, another CA key, a malformed or extended mark, or none, fails. */
TEST(dbi_tls_mark_binds_contents_dates_and_ca_key)
{
    const char *cakey = "-----BEGIN PRIVATE KEY-----\nCAKEY\n-----END PRIVATE KEY-----\n";
    const char *cert = "CERT", *key = "KEY", *ca = "CA", *against = "uid/1/abc";
    char        mark[DBI_TLS_MARK_MAX], bad[DBI_TLS_MARK_MAX + 8];
    time_t      nb = 0, na = 0;

    ASSERT_EQ(dbi_tls_mark(cakey, against, cert, key, ca, 1000, 2000, mark, sizeof mark), CORE_OK);
    ASSERT_EQ(strncmp(mark, "v2 1000 2000 ", 13), 0);
    ASSERT_EQ(strlen(mark), 13 + 64);
    /* The bytes of a mark never change with the code that makes them: Secrets marked by an
     * earlier release still verify after an upgrade (else every one is checked and written
     * again). HMAC-SHA256 of "v2\n1000\n2000\n9:uid/1/abc4:CERT3:KEY2:CA", by Python's hmac. */
    ASSERT_STR(mark, "v2 1000 2000 f6020c6d64ef88764e08cf7bc421f9e9e96caea7b79f9c0c0eb451291309d3d0");
    ASSERT_EQ(dbi_tls_mark_ok(mark, cakey, against, cert, key, ca, &nb, &na), 1);
    ASSERT_EQ((long long)nb, 1000);
    ASSERT_EQ((long long)na, 2000);
    /* Same inputs, same mark: an unchanged Secret is not rewritten. */
    ASSERT_EQ(dbi_tls_mark(cakey, against, cert, key, ca, 1000, 2000, bad, sizeof bad), CORE_OK);
    ASSERT_STR(bad, mark);

    ASSERT_EQ(dbi_tls_mark_ok(mark, "another CA key", against, cert, key, ca, &nb, &na), 0);
    ASSERT_EQ(dbi_tls_mark_ok(mark, cakey, "uid/2/abc", cert, key, ca, &nb, &na), 0);
    ASSERT_EQ(dbi_tls_mark_ok(mark, cakey, against, "CERT2", key, ca, &nb, &na), 0);
    ASSERT_EQ(dbi_tls_mark_ok(mark, cakey, against, cert, "KEX", ca, &nb, &na), 0);
    ASSERT_EQ(dbi_tls_mark_ok(mark, cakey, against, cert, key, "CB", &nb, &na), 0);
    ASSERT_EQ(dbi_tls_mark_ok(NULL, cakey, against, cert, key, ca, &nb, &na), 0);
    ASSERT_EQ(dbi_tls_mark_ok("", cakey, against, cert, key, ca, &nb, &na), 0);
    /* Other dates with the same HMAC, a mark with more after it, another version. */
    snprintf(bad, sizeof bad, "v2 1000 9999 %s", mark + 13);
    ASSERT_EQ(dbi_tls_mark_ok(bad, cakey, against, cert, key, ca, &nb, &na), 0);
    snprintf(bad, sizeof bad, "%s0", mark);
    ASSERT_EQ(dbi_tls_mark_ok(bad, cakey, against, cert, key, ca, &nb, &na), 0);
    snprintf(bad, sizeof bad, "v1%s", mark + 2);
    ASSERT_EQ(dbi_tls_mark_ok(bad, cakey, against, cert, key, ca, &nb, &na), 0);
    /* Other spellings of the same dates. */
    snprintf(bad, sizeof bad, "v2 +1000 2000 %s", mark + 13);
    ASSERT_EQ(dbi_tls_mark_ok(bad, cakey, against, cert, key, ca, &nb, &na), 0);
    snprintf(bad, sizeof bad, "v2 1000  2000 %s", mark + 13);
    ASSERT_EQ(dbi_tls_mark_ok(bad, cakey, against, cert, key, ca, &nb, &na), 0);
    snprintf(bad, sizeof bad, "v2 01000 2000 %s", mark + 13);
    ASSERT_EQ(dbi_tls_mark_ok(bad, cakey, against, cert, key, ca, &nb, &na), 0);
    /* A line moved from the certificate to the key keeps the bytes joined by newlines, not
     * the mark (fields are length-prefixed). */
    ASSERT_EQ(dbi_tls_mark(cakey, against, "CERT\nX", "KEY", ca, 1000, 2000, bad, sizeof bad),
              CORE_OK);
    ASSERT_EQ(dbi_tls_mark_ok(bad, cakey, against, "CERT\nX", "KEY", ca, &nb, &na), 1);
    ASSERT_EQ(dbi_tls_mark_ok(bad, cakey, against, "CERT", "X\nKEY", ca, &nb, &na), 0);
    ASSERT_EQ(dbi_tls_mark(NULL, against, cert, key, ca, 1, 2, mark, sizeof mark), CORE_EINVAL);
}
