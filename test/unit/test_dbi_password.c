/* The checks of passwords taken from a Secret, and the hand-edit test on the uri. */
#include <string.h>

#include "core/core.h"
#include "dbi/dbi.h"
#include "test.h"


/* dbi_password_check of the n bytes at p: its result, the reason in err. */
static int
check(const char *p, size_t n, char *err, size_t len)
{
    err[0] = '\0';
    return dbi_password_check("password", (const unsigned char *)p, n, err, len);
}


TEST(dbi_password_check_lengths)
{
    static char big[1501];
    char        err[300];

    memset(big, 'x', sizeof big - 1);
    ASSERT_EQ(check(big, 1024, err, sizeof err), CORE_OK);
    ASSERT_EQ(check(big, 1025, err, sizeof err), CORE_EINVAL);
    ASSERT_STR(err, "password is 1025 bytes; at most 1024");
    ASSERT_EQ(check(big, 1500, err, sizeof err), CORE_EINVAL);
    ASSERT_STR(err, "password is 1500 bytes; at most 1024");
    ASSERT_EQ(check(big, 0, err, sizeof err), CORE_EINVAL);
    ASSERT_STR(err, "password is empty");
    ASSERT_EQ(check("x", 1, err, sizeof err), CORE_OK);
}


TEST(dbi_password_check_trailing_newline_and_control_characters)
{
    char err[300];

    ASSERT_EQ(check("secret\n", 7, err, sizeof err), CORE_EINVAL);
    ASSERT(strstr(err, "password ends with a newline") == err);
    ASSERT(strstr(err, "--from-file") != NULL);
    ASSERT_EQ(check("secret\r\n", 8, err, sizeof err), CORE_EINVAL);
    ASSERT(strstr(err, "ends with a newline") != NULL);
    ASSERT_EQ(check("sec\nret", 7, err, sizeof err), CORE_EINVAL);
    ASSERT(strstr(err, "password holds byte 0x0a, a control character") == err);
    ASSERT_EQ(check("sec\0ret", 7, err, sizeof err), CORE_EINVAL);
    ASSERT(strstr(err, "byte 0x00") != NULL);
    ASSERT_EQ(check("a\tb", 3, err, sizeof err), CORE_EINVAL);
    ASSERT(strstr(err, "byte 0x09") != NULL);
    ASSERT_EQ(check("a\x7f", 2, err, sizeof err), CORE_EINVAL);
    ASSERT(strstr(err, "byte 0x7f") != NULL);
    /* Printable ASCII, spaces and quotes included, and UTF-8 are fine. */
    ASSERT_EQ(check("p@ss:w/rd?#% ='\"$`\\", 19, err, sizeof err), CORE_OK);
    ASSERT_EQ(check("m\xc3\xb6t\xc3\xb6rhead", 11, err, sizeof err), CORE_OK);
    /* The value never appears in the reason. */
    ASSERT_EQ(check("hunter2\x01", 8, err, sizeof err), CORE_EINVAL);
    ASSERT(strstr(err, "hunter2") == NULL);
}


TEST(dbi_uri_has_password_tells_a_hand_edit)
{
    const char *uri = "postgresql://app:p%40ss%3Aw%2Frd@orders.team-a.svc.cluster.local:5432/orders";

    ASSERT_EQ(dbi_uri_has_password(uri, "p@ss:w/rd"), 1);
    ASSERT_EQ(dbi_uri_has_password(uri, "p@ss:w/rd2"), 0);
    ASSERT_EQ(dbi_uri_has_password(uri, "p@ss:w/r"), 0);
    ASSERT_EQ(dbi_uri_has_password("postgresql://app:x@h:1/d", "x"), 1);
    ASSERT_EQ(dbi_uri_has_password("mysql://app:@h:1/d", "x"), 0);
    ASSERT_EQ(dbi_uri_has_password("not a uri", "x"), 0);
    ASSERT_EQ(dbi_uri_has_password("postgresql://app@h:1/d", "x"), 0);
    ASSERT_EQ(dbi_uri_has_password(NULL, "x"), 0);
}


/* What dbi_build_secret writes is what dbi_uri_has_password recognises. */
TEST(dbi_uri_has_password_matches_the_built_secret)
{
    cJSON *obj =
        cJSON_Parse("{\"apiVersion\":\"dbaas.dev/v1alpha1\",\"kind\":\"DBInstance\","
                    "\"metadata\":{\"name\":\"orders\",\"namespace\":\"team-a\",\"uid\":\"u-1\"},"
                    "\"spec\":{\"engine\":\"mysql\",\"version\":\"8.4\",\"database\":\"shop\"}}");
    dbi_spec       s;
    char           err[300], pw[DBI_PASSWORD_MAX + 1];
    cJSON         *secret;
    const char    *b64;
    unsigned char *uri = NULL;
    size_t         n = 0;

    ASSERT_EQ(dbi_spec_parse(obj, &s, err, sizeof err), CORE_OK);
    memset(pw, '%', DBI_PASSWORD_MAX);
    pw[DBI_PASSWORD_MAX] = '\0';
    secret = dbi_build_secret(&s, obj, pw, "root-pw");
    ASSERT(secret != NULL);
    b64 = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(secret, "data"), "uri"));
    ASSERT(b64 != NULL);
    ASSERT_EQ(core_b64_decode(b64, strlen(b64), &uri, &n), CORE_OK);
    ASSERT_EQ(dbi_uri_has_password((const char *)uri, pw), 1);
    pw[0] = 'x';
    ASSERT_EQ(dbi_uri_has_password((const char *)uri, pw), 0);
    free(uri);
    cJSON_Delete(secret);
    cJSON_Delete(obj);
}
