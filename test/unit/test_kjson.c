#include "core/core.h"
#include "kjson/kjson.h"
#include "test.h"

#include <limits.h>
#include <stdint.h>


static cJSON *
parse(const char *text)
{
    cJSON *j = cJSON_Parse(text);

    ASSERT(j != NULL);
    return j;
}


static void
int64_is(const cJSON *obj, const char *key, int want_rc, int64_t want)
{
    int64_t v = 42;
    int     rc = kjson_get_int64(obj, key, &v);

    ASSERT_EQ(rc, want_rc);
    if (want_rc == CORE_OK)
        ASSERT_EQ(v, want);
    else
        ASSERT_EQ(v, 42); /* untouched on error */
}


TEST(kjson_get_int64_accepts_exact_integers_only)
{
    cJSON *j = parse("{\"small\": 5, \"neg\": -7, \"zero\": -0, \"int_max_plus\": 2147483648,"
                     " \"safe\": 9007199254740991, \"neg_safe\": -9007199254740991,"
                     " \"two53\": 9007199254740992, \"two53_plus\": 9007199254740993,"
                     " \"big\": 9.2e18, \"neg_big\": -9.2e18, \"over\": 9.3e18,"
                     " \"neg_over\": -9.3e18, \"huge\": 1e300, \"frac\": 1.5,"
                     " \"str\": \"5\", \"null\": null, \"bool\": true, \"arr\": [1],"
                     " \"exp\": 1e3}");

    int64_is(j, "small", CORE_OK, 5);
    int64_is(j, "neg", CORE_OK, -7);
    int64_is(j, "zero", CORE_OK, 0);
    /* cJSON's valueint would clamp this to INT_MAX. */
    int64_is(j, "int_max_plus", CORE_OK, 2147483648LL);
    int64_is(j, "safe", CORE_OK, 9007199254740991LL);
    int64_is(j, "neg_safe", CORE_OK, -9007199254740991LL);
    int64_is(j, "exp", CORE_OK, 1000);
    /* In range but a double cannot be trusted there: refused, not rounded. */
    int64_is(j, "two53", CORE_ETOOBIG, 0);
    int64_is(j, "two53_plus", CORE_ETOOBIG, 0);
    int64_is(j, "big", CORE_ETOOBIG, 0);
    int64_is(j, "neg_big", CORE_ETOOBIG, 0);
    int64_is(j, "over", CORE_EINVAL, 0);
    int64_is(j, "neg_over", CORE_EINVAL, 0);
    int64_is(j, "huge", CORE_EINVAL, 0);
    int64_is(j, "frac", CORE_EINVAL, 0);
    int64_is(j, "str", CORE_EINVAL, 0);
    int64_is(j, "null", CORE_EINVAL, 0);
    int64_is(j, "bool", CORE_EINVAL, 0);
    int64_is(j, "arr", CORE_EINVAL, 0);
    int64_is(j, "missing", CORE_ENOENT, 0);
    int64_is(NULL, "small", CORE_ENOENT, 0);
    cJSON_Delete(j);
}


TEST(kjson_int_or_takes_in_range_integers_and_nothing_else)
{
    cJSON *j = parse("{\"port\": 5432, \"lo\": 1, \"hi\": 65535, \"zero\": 0, \"over\": 65536,"
                     " \"huge\": 1e300, \"neg_huge\": -1e300, \"frac\": 2.5, \"str\": \"80\","
                     " \"int_over\": 2147483648}");

    ASSERT_EQ(kjson_int_or(cJSON_GetObjectItem(j, "port"), 1, 65535, -1), 5432);
    ASSERT_EQ(kjson_int_or(cJSON_GetObjectItem(j, "lo"), 1, 65535, -1), 1);
    ASSERT_EQ(kjson_int_or(cJSON_GetObjectItem(j, "hi"), 1, 65535, -1), 65535);
    ASSERT_EQ(kjson_int_or(cJSON_GetObjectItem(j, "zero"), 1, 65535, -1), -1);
    ASSERT_EQ(kjson_int_or(cJSON_GetObjectItem(j, "over"), 1, 65535, -1), -1);
    /* Each of these would be undefined behaviour in an (int) cast. */
    ASSERT_EQ(kjson_int_or(cJSON_GetObjectItem(j, "huge"), INT_MIN, INT_MAX, -1), -1);
    ASSERT_EQ(kjson_int_or(cJSON_GetObjectItem(j, "neg_huge"), INT_MIN, INT_MAX, -1), -1);
    ASSERT_EQ(kjson_int_or(cJSON_GetObjectItem(j, "int_over"), INT_MIN, INT_MAX, -1), -1);
    ASSERT_EQ(kjson_int_or(cJSON_GetObjectItem(j, "frac"), INT_MIN, INT_MAX, -1), -1);
    ASSERT_EQ(kjson_int_or(cJSON_GetObjectItem(j, "str"), INT_MIN, INT_MAX, -1), -1);
    ASSERT_EQ(kjson_int_or(NULL, INT_MIN, INT_MAX, 7), 7);
    cJSON_Delete(j);
}


TEST(kjson_add_int64_writes_exact_digits)
{
    static const int64_t vals[] = {
        0,
        5,
        -1,
        INT_MAX,
        INT_MIN,
        (int64_t)INT_MAX + 1,
        (int64_t)INT_MIN - 1,
        1000000000000000LL,
        9007199254740993LL,
        INT64_MAX,
        INT64_MIN,
    };
    static const char *const text[] = {
        "\"v0\":0",
        "\"v1\":5",
        "\"v2\":-1",
        "\"v3\":2147483647",
        "\"v4\":-2147483648",
        "\"v5\":2147483648",
        "\"v6\":-2147483649",
        "\"v7\":1000000000000000",
        "\"v8\":9007199254740993",
        "\"v9\":9223372036854775807",
        "\"v10\":-9223372036854775808",
    };
    cJSON *obj = cJSON_CreateObject();
    char  *out = NULL, key[32];
    size_t i;

    for (i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        snprintf(key, sizeof key, "v%zu", i);
        ASSERT_EQ(kjson_add_int64(obj, key, vals[i]), CORE_OK);
    }
    out = cJSON_PrintUnformatted(obj);
    ASSERT(out != NULL);
    for (i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        snprintf(key, sizeof key, "v%zu", i);
        ASSERT_CONTAINS(out, text[i]);
        /* Reading the tree we built gives the exact value back, over the whole range. */
        int64_is(obj, key, CORE_OK, vals[i]);
    }
    ASSERT(strstr(out, "e+") == NULL);
    free(out);
    cJSON_Delete(obj);
}


TEST(kjson_small_int64_stays_a_plain_number)
{
    cJSON *built = cJSON_CreateObject();
    cJSON *parsed = parse("{\"replicas\": 3}");
    cJSON *arr = cJSON_CreateArray();
    char  *out = NULL;

    ASSERT_EQ(kjson_add_int64(built, "replicas", 3), CORE_OK);
    ASSERT(cJSON_IsNumber(cJSON_GetObjectItem(built, "replicas")));
    /* So that comparing desired with cached JSON sees no difference. */
    ASSERT(cJSON_Compare(built, parsed, 1));

    ASSERT(cJSON_AddItemToArray(arr, kjson_create_int64(INT64_MAX)));
    ASSERT(cJSON_AddItemToArray(arr, kjson_create_int64(-2)));
    out = cJSON_PrintUnformatted(arr);
    ASSERT_STR(out, "[9223372036854775807,-2]");
    free(out);

    ASSERT_EQ(kjson_add_int64(arr, "x", 1), CORE_EINVAL);
    ASSERT_EQ(kjson_add_int64(NULL, "x", 1), CORE_EINVAL);
    cJSON_Delete(arr);
    cJSON_Delete(built);
    cJSON_Delete(parsed);
}


TEST(kjson_raw_int64_text_is_checked)
{
    cJSON *obj = cJSON_CreateObject();

    cJSON_AddRawToObject(obj, "max", "9223372036854775807");
    cJSON_AddRawToObject(obj, "over", "9223372036854775808");
    cJSON_AddRawToObject(obj, "min", "-9223372036854775808");
    cJSON_AddRawToObject(obj, "under", "-9223372036854775809");
    cJSON_AddRawToObject(obj, "frac", "1.5");
    cJSON_AddRawToObject(obj, "obj", "{}");
    cJSON_AddRawToObject(obj, "minus", "-");
    int64_is(obj, "max", CORE_OK, INT64_MAX);
    int64_is(obj, "min", CORE_OK, INT64_MIN);
    int64_is(obj, "over", CORE_EINVAL, 0);
    int64_is(obj, "under", CORE_EINVAL, 0);
    int64_is(obj, "frac", CORE_EINVAL, 0);
    int64_is(obj, "obj", CORE_EINVAL, 0);
    int64_is(obj, "minus", CORE_EINVAL, 0);
    cJSON_Delete(obj);
}


TEST(kjson_strings_paths_and_bools)
{
    cJSON *j = parse("{\"metadata\": {\"name\": \"orders\", \"namespace\": \"team-a\","
                     " \"labels\": {\"app\": \"pg\"}, \"generation\": 3},"
                     " \"spec\": {\"paused\": false, \"ha\": true, \"n\": 1}}");
    char  *dup = NULL;
    int    b = 7;

    ASSERT_STR(kjson_get_str(kjson_path(j, "metadata", NULL), "name"), "orders");
    ASSERT(kjson_get_str(kjson_path(j, "metadata", NULL), "generation") == NULL);
    ASSERT(kjson_get_str(kjson_path(j, "metadata", NULL), "missing") == NULL);
    ASSERT(kjson_get_str(NULL, "name") == NULL);

    ASSERT_STR(kjson_path_str(j, "metadata", "labels", "app", NULL), "pg");
    ASSERT(kjson_path(j, NULL) == j);
    ASSERT(kjson_path(j, "metadata", "labels", NULL) != NULL);
    ASSERT(kjson_path(j, "metadata", "nope", "app", NULL) == NULL);
    ASSERT(kjson_path(j, "metadata", "name", "x", NULL) == NULL); /* through a string */
    ASSERT(kjson_path(j, "Metadata", NULL) == NULL);              /* case-sensitive */
    ASSERT(kjson_path(NULL, "metadata", NULL) == NULL);
    ASSERT(kjson_path_str(j, "metadata", "generation", NULL) == NULL);

    dup = kjson_strdup_path(j, "metadata", "namespace", NULL);
    ASSERT_STR(dup, "team-a");
    free(dup);
    ASSERT(kjson_strdup_path(j, "metadata", "generation", NULL) == NULL);

    ASSERT_EQ(kjson_get_bool(kjson_path(j, "spec", NULL), "ha", &b), CORE_OK);
    ASSERT_EQ(b, 1);
    ASSERT_EQ(kjson_get_bool(kjson_path(j, "spec", NULL), "paused", &b), CORE_OK);
    ASSERT_EQ(b, 0);
    ASSERT_EQ(kjson_get_bool(kjson_path(j, "spec", NULL), "n", &b), CORE_EINVAL);
    ASSERT_EQ(kjson_get_bool(kjson_path(j, "spec", NULL), "x", &b), CORE_ENOENT);
    cJSON_Delete(j);
}


TEST(kjson_resource_version_is_opaque_text)
{
    cJSON *a = parse("{\"metadata\": {\"resourceVersion\": \"000123\"}}");
    cJSON *b = parse("{\"metadata\": {\"resourceVersion\":"
                     " \"123456789012345678901234567890\"}}");
    cJSON *c = parse("{\"metadata\": {\"resourceVersion\": 123}}");
    cJSON *d = parse("{\"kind\": \"Pod\"}");

    /* Verbatim: leading zeros and more digits than any integer type are kept. */
    ASSERT_STR(kjson_resource_version(a), "000123");
    ASSERT_STR(kjson_resource_version(b), "123456789012345678901234567890");
    ASSERT(kjson_resource_version(c) == NULL); /* a number is not a resourceVersion */
    ASSERT(kjson_resource_version(d) == NULL);
    ASSERT(kjson_resource_version(NULL) == NULL);
    cJSON_Delete(a);
    cJSON_Delete(b);
    cJSON_Delete(c);
    cJSON_Delete(d);
}


/* ---- quantities ------------------------------------------------------------------- */


static kjson_i128
nano(const char *s)
{
    kjson_quantity q;
    int            rc = kjson_quantity_parse(s, &q);

    if (rc != CORE_OK) {
        char m[128];

        snprintf(m, sizeof m, "parse \"%s\": %s", s, core_strerror(rc));
        test_fail(__FILE__, __LINE__, m);
        return -1;
    }
    return q.nano;
}


static void
same(const char *a, const char *b)
{
    kjson_quantity qa, qb;

    ASSERT_EQ(kjson_quantity_parse(a, &qa), CORE_OK);
    ASSERT_EQ(kjson_quantity_parse(b, &qb), CORE_OK);
    if (kjson_quantity_cmp(&qa, &qb) != 0) {
        char m[128];

        snprintf(m, sizeof m, "\"%s\" == \"%s\"", a, b);
        test_fail(__FILE__, __LINE__, m);
    }
}


static int
cmp(const char *a, const char *b)
{
    kjson_quantity qa, qb;

    ASSERT_EQ(kjson_quantity_parse(a, &qa), CORE_OK);
    ASSERT_EQ(kjson_quantity_parse(b, &qb), CORE_OK);
    return kjson_quantity_cmp(&qa, &qb);
}


static void
bytes_are(const char *s, int want_rc, int64_t want)
{
    kjson_quantity q;
    int64_t        v = 42;

    ASSERT_EQ(kjson_quantity_parse(s, &q), CORE_OK);
    ASSERT_EQ(kjson_quantity_bytes(&q, &v), want_rc);
    ASSERT_EQ(v, want_rc == CORE_OK ? want : 42);
}


static void
rejects(const char *s, int want_rc)
{
    kjson_quantity q = {12345, KJSON_QTY_BINARY_SI};

    if (kjson_quantity_parse(s, &q) != want_rc) {
        char m[160];

        snprintf(m, sizeof m, "parse \"%s\" gives %s", s ? s : "(null)", core_strerror(want_rc));
        test_fail(__FILE__, __LINE__, m);
    }
    ASSERT(q.nano == 12345 && q.format == KJSON_QTY_BINARY_SI); /* not written */
}


TEST(kjson_quantity_equal_spellings)
{
    same("1Gi", "1073741824");
    same("1.5G", "1500M");
    same("0.5", "500m");
    same(".5", "0.5");
    same("1.", "1");
    same("+1", "1");
    same("1e3", "1k");
    same("1E3", "1000");
    same("1e+3", "1000");
    same("1e-3", "1m");
    same("1.5e2", "150");
    same("100Ki", "102400");
    same("1E", "1e18");
    same("1E", "1000P");
    same("2Ei", "2305843009213693952");
    same("1Mi", "1024Ki");
    same("0.5Ki", "512");
    same("1.5Gi", "1536Mi");
    same("1000000u", "1");
    same("1000n", "1u");
    same("0", "-0");
    same("0", "0Ki");
    same("000", "0.000e5");
    same("007", "7");
    same("1.000000000", "1");
    same("-1", "-1000m");
    same("12E-1", "1.2");
    ASSERT(nano("1") == 1000000000);
    ASSERT(nano("1Ki") == (kjson_i128)1024 * 1000000000);
    ASSERT(nano("-1") == -1000000000);
    ASSERT(nano("1n") == 1);
}


TEST(kjson_quantity_orders_by_value)
{
    ASSERT_EQ(cmp("1Mi", "1M"), 1);
    ASSERT_EQ(cmp("1M", "1Mi"), -1);
    ASSERT_EQ(cmp("-1", "0"), -1);
    ASSERT_EQ(cmp("-2Gi", "-1Gi"), -1);
    ASSERT_EQ(cmp("999m", "1"), -1);
    ASSERT_EQ(cmp("2Gi", "2147483648"), 0);
    ASSERT_EQ(cmp("1000000001n", "1"), 1);
}


/* Below one nano-unit Kubernetes rounds away from zero; so do we. */
TEST(kjson_quantity_rounds_sub_nano_up)
{
    ASSERT(nano("0.1n") == 1);
    ASSERT(nano("1e-10") == 1);
    ASSERT(nano("-1e-10") == -1);
    ASSERT(nano("1.5n") == 2);
    ASSERT(nano("1e-99999") == 1);
    ASSERT(nano("1e-999999999999999999999") == 1);
    ASSERT(nano("0e999999999999") == 0);
    /* 1024 * 1e-10 = 102.4 nano: the rounding happens after scaling, not before. */
    ASSERT(nano("0.0000000001Ki") == 103);
    /* One hundred significant digits, the last far below a nano-unit. */
    ASSERT(nano("1.000000000000000000000000000000000000000000000000000000000000000000000000000"
                "000000000000000000000001") == 1000000001);
}


TEST(kjson_quantity_exact_beyond_double_precision)
{
    /* 36 significant digits: a double keeps 15-17. */
    same("123456789012345678901234567.123456789", "123456789012345678901234567123456789n");
    same("9007199254740993", "9007199254740993000000000n");
    ASSERT(cmp("9007199254740993", "9007199254740992") == 1);
    ASSERT(nano("99999999999999999999999999999.999999999") == KJSON_QTY_MAX_NANO - 1);
    bytes_are("9007199254740993", CORE_OK, 9007199254740993LL);
}


TEST(kjson_quantity_rejects_malformed)
{
    static const char *const bad[] = {
        "",    "2 Gi", " 2Gi", "2Gi ", "Gi",   "1.2.3",    "1Gb",  ".",     "+",    "-",   "1e",
        "1e+", "1E+",  "1ki",  "1K",   "1Ki1", "1e1.5",    "0x10", "1_000", "--1",  "+-1", "1i",
        "e3",  "1 ",   "1,5",  "1GiB", "1mm",  "Infinity", "NaN",  "1e3e3", "1.5.", "1/2", "１",
    };
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
        rejects(bad[i], CORE_EINVAL);
    rejects(NULL, CORE_EINVAL);
}


TEST(kjson_quantity_rejects_overflow)
{
    char   digits[128];
    size_t i;

    rejects("1e29", CORE_ETOOBIG);
    rejects("-1e29", CORE_ETOOBIG);
    rejects("100000000000000000000000000000", CORE_ETOOBIG);
    rejects("99999999999999999999999999999.9999999999", CORE_ETOOBIG); /* rounds to 10^38 */
    rejects("100000000000Ei", CORE_ETOOBIG);
    rejects("1e99999999999999999", CORE_ETOOBIG);
    ASSERT(nano("100000Ei") == (kjson_i128)100000 * ((kjson_i128)1 << 60) * 1000000000);
    /* More significant digits than the cap, even for a small value. */
    digits[0] = '0';
    digits[1] = '.';
    for (i = 2; i < 2 + KJSON_QTY_MAX_DIGITS + 1; i++)
        digits[i] = '1';
    digits[i] = '\0';
    rejects(digits, CORE_ETOOBIG);
    digits[i - 1] = '\0'; /* exactly the cap */
    ASSERT(nano(digits) == 111111112);
}


TEST(kjson_quantity_bytes_rounds_up_and_bounds)
{
    bytes_are("2Gi", CORE_OK, 2147483648LL);
    bytes_are("1.5Gi", CORE_OK, 1610612736LL);
    bytes_are("0.5", CORE_OK, 1);
    bytes_are("1.1", CORE_OK, 2);
    bytes_are("1n", CORE_OK, 1);
    bytes_are("-0.5", CORE_OK, -1);
    bytes_are("0", CORE_OK, 0);
    bytes_are("7Ei", CORE_OK, 7LL << 60);
    bytes_are("9223372036854775807", CORE_OK, INT64_MAX);
    bytes_are("-9223372036854775808", CORE_OK, INT64_MIN);
    bytes_are("-8Ei", CORE_OK, INT64_MIN);
    bytes_are("8Ei", CORE_ETOOBIG, 0);
    bytes_are("9223372036854775808", CORE_ETOOBIG, 0);
    bytes_are("9223372036854775806.5", CORE_OK, INT64_MAX);
    bytes_are("9223372036854775807.5", CORE_ETOOBIG, 0);
    bytes_are("-9223372036854775808.5", CORE_ETOOBIG, 0);
    bytes_are("1e19", CORE_ETOOBIG, 0);
}


TEST(kjson_quantity_milli)
{
    kjson_quantity q;
    int64_t        v = 0;

    ASSERT_EQ(kjson_quantity_parse("250m", &q), CORE_OK);
    ASSERT_EQ(kjson_quantity_milli(&q, &v), CORE_OK);
    ASSERT_EQ(v, 250);
    ASSERT_EQ(kjson_quantity_parse("1.5", &q), CORE_OK);
    ASSERT_EQ(kjson_quantity_milli(&q, &v), CORE_OK);
    ASSERT_EQ(v, 1500);
    ASSERT_EQ(kjson_quantity_parse("0.1m", &q), CORE_OK);
    ASSERT_EQ(kjson_quantity_milli(&q, &v), CORE_OK);
    ASSERT_EQ(v, 1);
    ASSERT_EQ(kjson_quantity_parse("10000000P", &q), CORE_OK);
    ASSERT_EQ(kjson_quantity_milli(&q, &v), CORE_ETOOBIG);
}


static void
formats_as(const char *in, const char *want)
{
    kjson_quantity q, back;
    char           buf[KJSON_QTY_STRLEN];

    ASSERT_EQ(kjson_quantity_parse(in, &q), CORE_OK);
    ASSERT_EQ(kjson_quantity_format(&q, buf, sizeof buf), CORE_OK);
    ASSERT_STR(buf, want);
    ASSERT_EQ(kjson_quantity_parse(buf, &back), CORE_OK);
    ASSERT_EQ(kjson_quantity_cmp(&q, &back), 0);
}


TEST(kjson_quantity_format_canonical)
{
    formats_as("1Gi", "1Gi");
    formats_as("1073741824Ki", "1Ti");
    formats_as("1.5Gi", "1536Mi");
    formats_as("1024Ki", "1Mi");
    formats_as("1000Ki", "1000Ki");
    formats_as("0.5Ki", "512");
    formats_as("1.1Ki", "1126400m"); /* not whole bytes: decimal */
    formats_as("-2Gi", "-2Gi");
    formats_as("8Ei", "8Ei");
    formats_as("1024Ei", "1024Ei");
    formats_as("1073741824", "1073741824"); /* written in decimal: stays decimal */
    formats_as("1.5G", "1500M");
    formats_as("0.5", "500m");
    formats_as("1500m", "1500m");
    formats_as("2000m", "2");
    formats_as("1E", "1E");
    formats_as("1000E", "1000E");
    formats_as("100n", "100n");
    formats_as("1e-10", "1e-9");
    formats_as("0.1n", "1n");
    formats_as("0", "0");
    formats_as("0Gi", "0");
    formats_as("-0.001", "-1m");
    formats_as("1e3", "1e3");
    formats_as("15e2", "1500");
    formats_as("1.5e-3", "1500e-6");
    formats_as("1e21", "1e21");
    formats_as("99999999999999999999999999999.999999999", "99999999999999999999999999999999999999n");
}


TEST(kjson_quantity_format_round_trips_and_bounds)
{
    static const char *const in[] = {
        "2Gi",
        "500m",
        "1.5G",
        "1e3",
        "0.5",
        "100Ki",
        "1E",
        "2Ei",
        "+1",
        "-1",
        "1.5Mi",
        "3.14159",
        "-7.5e-7",
        "123456789012345678901234567.123456789",
        "0.0000000001Ki",
        "-99999999999999999999999999999",
        "12345678901Ei",
    };
    kjson_quantity q, back;
    char           buf[KJSON_QTY_STRLEN], small[4];
    size_t         i;

    for (i = 0; i < sizeof in / sizeof in[0]; i++) {
        ASSERT_EQ(kjson_quantity_parse(in[i], &q), CORE_OK);
        ASSERT_EQ(kjson_quantity_format(&q, buf, sizeof buf), CORE_OK);
        ASSERT_EQ(kjson_quantity_parse(buf, &back), CORE_OK);
        ASSERT_EQ(kjson_quantity_cmp(&q, &back), 0);
    }
    ASSERT_EQ(kjson_quantity_parse("1536Mi", &q), CORE_OK);
    ASSERT_EQ(kjson_quantity_format(&q, small, sizeof small), CORE_ETOOBIG);
    ASSERT_STR(small, "");
    ASSERT_EQ(kjson_quantity_format(&q, small, 0), CORE_ETOOBIG);
    ASSERT_EQ(kjson_quantity_parse("1Gi", &q), CORE_OK);
    ASSERT_EQ(kjson_quantity_format(&q, small, sizeof small), CORE_OK); /* fits exactly */
    ASSERT_STR(small, "1Gi");
}


TEST(kjson_get_quantity_from_string_or_number)
{
    cJSON         *j = parse("{\"a\": \"2Gi\", \"b\": 1024, \"c\": 0.5, \"d\": true,"
                                     " \"e\": \"2 Gi\", \"f\": 0.1, \"g\": -3}");
    kjson_quantity q;

    ASSERT_EQ(kjson_get_quantity(j, "a", &q), CORE_OK);
    ASSERT(q.nano == (kjson_i128)2147483648LL * 1000000000);
    ASSERT_EQ(kjson_get_quantity(j, "b", &q), CORE_OK);
    ASSERT(q.nano == (kjson_i128)1024 * 1000000000);
    ASSERT_EQ(kjson_get_quantity(j, "c", &q), CORE_OK);
    ASSERT(q.nano == 500000000);
    ASSERT_EQ(kjson_get_quantity(j, "f", &q), CORE_OK);
    ASSERT(q.nano == 100000000); /* the decimal that was written, not the double */
    ASSERT_EQ(kjson_get_quantity(j, "g", &q), CORE_OK);
    ASSERT(q.nano == -3000000000LL);
    ASSERT_EQ(kjson_get_quantity(j, "d", &q), CORE_EINVAL);
    ASSERT_EQ(kjson_get_quantity(j, "e", &q), CORE_EINVAL);
    ASSERT_EQ(kjson_get_quantity(j, "z", &q), CORE_ENOENT);
    cJSON_Delete(j);
}


/* --- raw JSON text ------------------------------------------------------------------ */

static void
skip_string_is(const char *text, int want_len)
{
    const char *end = text + strlen(text), *got = kjson_skip_string(text, end);

    if (want_len < 0)
        ASSERT(got == NULL);
    else
        ASSERT_EQ(got ? (int)(got - text) : -1, want_len);
}


TEST(kjson_skip_string_tells_escaped_quotes_from_the_end)
{
    skip_string_is("\"abc\"", 5);
    skip_string_is("\"\"x", 2);
    skip_string_is("\"a\\\"b\"", 6);   /* "a\"b" */
    skip_string_is("\"a\\\\\"b", 5);   /* "a\\" then b */
    skip_string_is("\"\\\\\\\"\"", 6); /* "\\\"" */
    skip_string_is("\"\\\\\\\\\"", 6); /* "\\\\" */
    skip_string_is("\"abc", -1);       /* cut short */
    skip_string_is("\"abc\\", -1);     /* a trailing backslash */
    skip_string_is("\"abc\\\"", -1);   /* the only quote escaped */
}


static void
without_is(const char *text, const char *key, const char *want)
{
    kjson_span v, cut;
    size_t     len = 0;
    char      *out;
    int        found = kjson_member(text, text + strlen(text), key, &v, &cut);

    if (!want) {
        ASSERT_EQ(found, 0);
        return;
    }
    ASSERT_EQ(found, 1);
    out = kjson_without(text, strlen(text), &cut, &len);
    ASSERT(out != NULL);
    ASSERT_STR(out, want);
    ASSERT_EQ(len, strlen(want));
    free(out);
}


TEST(kjson_member_cuts_a_member_and_one_comma)
{
    without_is("{\"a\":1,\"b\":[2,{\"c\":\"}\"}],\"d\":3}", "b", "{\"a\":1,\"d\":3}");
    without_is("{\"b\":{\"x\":[]},\"d\":3}", "b", "{\"d\":3}");
    without_is("{\"a\":1,\"b\":\"x\\\"y\"}", "b", "{\"a\":1}");
    without_is("{\"b\":null}", "b", "{}");
    without_is(" { \"a\" : 1 , \"b\" : true , \"c\" : 2 } ", "b", " { \"a\" : 1 , \"c\" : 2 } ");
    without_is("{\"a\":{\"b\":1}}", "b", NULL); /* members only, not nested keys */
    without_is("{\"a\":1}", "b", NULL);
    without_is("{}", "b", NULL);
    without_is("[\"b\",1]", "b", NULL);
    without_is("{\"a\":[1,2,\"b\":1}", "b", NULL); /* malformed before it */
    without_is("{\"a\":1,\"b\":[1,2}", "b", NULL); /* malformed value */
    without_is("{\"a\":1 \"b\":2}", "b", NULL);    /* no comma */
    without_is("{\"b\\u0022\":1}", "b", NULL);     /* keys are compared as written */
}


TEST(kjson_managed_fields_of_an_object_only)
{
    const char *obj = "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"managedFields\":[{\"manager\":"
                      "\"kubectl\",\"fieldsV1\":{\"f:metadata\":{}}}],\"uid\":\"u\"},\"spec\":{}}";
    const char *nested = "{\"spec\":{\"template\":{\"metadata\":{\"managedFields\":[]}}}}";
    kjson_span  cut;
    size_t      len;
    char       *out;
    cJSON      *a, *b;

    ASSERT_EQ(kjson_managed_fields(obj, strlen(obj), &cut), 1);
    out = kjson_without(obj, strlen(obj), &cut, &len);
    ASSERT_STR(out, "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"uid\":\"u\"},\"spec\":{}}");
    /* The same tree as parsing everything and deleting the member. */
    a = parse(obj);
    cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(a, "metadata"),
                                            "managedFields");
    b = parse(out);
    ASSERT(cJSON_Compare(a, b, 1));
    cJSON_Delete(a);
    cJSON_Delete(b);
    free(out);
    ASSERT_EQ(kjson_managed_fields(nested, strlen(nested), &cut), 0);
    ASSERT_EQ(kjson_managed_fields("{\"metadata\":{}}", 15, &cut), 0);
    ASSERT_EQ(kjson_managed_fields("{\"metadata\":[1]}", 16, &cut), 0);
    ASSERT_EQ(kjson_managed_fields("{\"metadata\":{\"managedFields\":[", 31, &cut), 0);
}


/* A cut never makes JSON of text that was not: a missing or extra comma after the member. */
TEST(kjson_member_refuses_to_mend_malformed_text)
{
    without_is("{\"b\":[] \"a\":1}", "b", NULL);
    without_is("{\"b\":[],}", "b", NULL);
    without_is("{\"a\":1,\"b\":[],}", "b", NULL);
    without_is("{\"a\":1,\"b\":[]", "b", NULL);
    without_is("{\"a\":1,\"b\":[] , \"c\":2}", "b", "{\"a\":1 , \"c\":2}");
}


/* A pooled tree is the tree cJSON_Parse gives; a big string gets a block of its own. */
TEST(kjson_pool_parses_like_cjson)
{
    const char *text =
        "{\"metadata\":{\"name\":\"p\",\"labels\":{\"a\":\"b\"}},\"n\":[1,2.5,true,null]}";
    kjson_pool  *p;
    const cJSON *t, *u, *big;
    cJSON       *want;
    size_t       n = 3 * KJSON_POOL_BLOCK, before;
    char        *long_text = malloc(n + 16);

    ASSERT(long_text != NULL);
    ASSERT_EQ(kjson_pool_new(&p), CORE_OK);
    ASSERT_EQ(kjson_pool_bytes(p), 0);
    t = kjson_pool_parse(p, text, strlen(text));
    ASSERT(t != NULL);
    want = parse(text);
    ASSERT(cJSON_Compare(t, want, 1));
    ASSERT_EQ(kjson_pool_bytes(p), KJSON_POOL_BLOCK);
    /* Only len bytes are read: "[7" alone is no value. */
    ASSERT(kjson_pool_parse(p, "[7]", 2) == NULL);
    u = kjson_pool_parse(p, "[7]", 3);
    ASSERT(u != NULL && cJSON_GetArraySize(u) == 1);
    before = kjson_pool_bytes(p);
    long_text[0] = '"';
    memset(long_text + 1, 'x', n);
    long_text[n + 1] = '"';
    big = kjson_pool_parse(p, long_text, n + 2);
    ASSERT(cJSON_IsString(big) && strlen(big->valuestring) == n);
    ASSERT(kjson_pool_bytes(p) >= before + n);
    /* The first trees are intact after the big one, and the block being filled kept its
     * room: a small parse now takes no new block. */
    ASSERT(cJSON_Compare(t, want, 1));
    before = kjson_pool_bytes(p);
    ASSERT(kjson_pool_parse(p, "{\"x\":1}", 7) != NULL);
    ASSERT_EQ(kjson_pool_bytes(p), before);
    cJSON_Delete(want);
    free(long_text);
    kjson_pool_free(p);
    kjson_pool_free(NULL);
}


/* Bad text gives NULL, and cJSON's own allocation works as before after any pooled parse:
 * a tree made, printed (print grows its buffer with realloc) and deleted with malloc's
 * memory, which ASan and valgrind check. */
TEST(kjson_pool_restores_cjson_allocation)
{
    kjson_pool *p;
    cJSON      *o;
    char       *s;

    ASSERT_EQ(kjson_pool_new(&p), CORE_OK);
    ASSERT(kjson_pool_parse(p, "{\"a\":[1,2,", 10) == NULL);
    ASSERT(kjson_pool_parse(p, "", 0) == NULL);
    ASSERT(kjson_pool_parse(NULL, "1", 1) == NULL);
    ASSERT(kjson_pool_parse(p, NULL, 0) == NULL);
    ASSERT(kjson_pool_parse(p, "{\"ok\":true}", 11) != NULL);
    o = cJSON_CreateObject();
    ASSERT(o != NULL);
    for (int i = 0; i < 200; i++)
        ASSERT(cJSON_AddStringToObject(o, "key", "a value long enough to grow the buffer") != NULL);
    s = cJSON_PrintUnformatted(o);
    ASSERT(s != NULL && strlen(s) > 8000);
    free(s);
    cJSON_Delete(o);
    kjson_pool_free(p);
}


/* kjson_pool_edit's fn for the test below: drops "drop", adds "added", nests an edit. */
static int
edit_inner(cJSON *tree, void *data)
{
    (void)data;
    return cJSON_AddNumberToObject(tree, "inner", 2) ? 7 : -1;
}

static int
edit_tree(cJSON *tree, void *data)
{
    kjson_pool *p = data;

    int rc;

    cJSON_DeleteItemFromObjectCaseSensitive(tree, "drop");
    if (!cJSON_AddStringToObject(tree, "added", "a string the pool holds"))
        return -1;
    rc = kjson_pool_edit(p, edit_inner, tree, NULL);
    /* Still the pool's after the inner edit: were it malloc's, nothing would free it (LSan). */
    return cJSON_AddTrueToObject(tree, "after") ? rc : -1;
}


/* A pool taken in turns: one tree at a time, changed inside kjson_pool_edit (what it deletes
 * is not free()d: ASan would say so), emptied by kjson_pool_give with one block kept. */
TEST(kjson_pool_turns_and_edits)
{
    const char *text = "{\"keep\":1,\"drop\":{\"a\":[1,2,3]}} trailing";
    kjson_pool *p;
    cJSON      *t, *o;
    const char *end = NULL;
    size_t      n = 2 * KJSON_POOL_BLOCK;
    char       *long_text = malloc(n + 3);
    char       *s;

    ASSERT(long_text != NULL);
    ASSERT_EQ(kjson_pool_new(&p), CORE_OK);
    ASSERT_EQ(kjson_pool_take(NULL), 0);
    ASSERT_EQ(kjson_pool_take(p), 1);
    ASSERT_EQ(kjson_pool_take(p), 0); /* a nested user parses on the heap */
    t = kjson_pool_parse_end(p, text, strlen(text), &end);
    ASSERT(t != NULL);
    ASSERT_STR(end, " trailing");
    ASSERT_EQ(kjson_pool_edit(p, edit_tree, t, p), 7);
    s = cJSON_PrintUnformatted(t); /* cJSON's defaults again: malloc'd */
    ASSERT_STR(s, "{\"keep\":1,\"added\":\"a string the pool holds\",\"inner\":2,\"after\":true}");
    free(s);
    /* A tree larger than a block: its own block, freed by give; the standard one is kept. */
    long_text[0] = '"';
    memset(long_text + 1, 'y', n);
    long_text[n + 1] = '"';
    long_text[n + 2] = '\0';
    ASSERT(kjson_pool_parse_end(p, long_text, n + 2, NULL) != NULL);
    ASSERT(kjson_pool_bytes(p) >= KJSON_POOL_BLOCK + n);
    kjson_pool_give(p);
    ASSERT_EQ(kjson_pool_bytes(p), KJSON_POOL_BLOCK);
    ASSERT_EQ(kjson_pool_take(p), 1);
    ASSERT_EQ(kjson_pool_turns(p), 2);
    ASSERT(kjson_pool_parse_end(p, "[1", 2, &end) == NULL);
    ASSERT(end != NULL);
    kjson_pool_give(p);
    ASSERT_EQ(kjson_pool_bytes(p), KJSON_POOL_BLOCK);
    /* With no pool, fn runs on a heap tree with cJSON's defaults. */
    o = cJSON_Parse("{\"drop\":1}");
    ASSERT(o != NULL);
    ASSERT_EQ(kjson_pool_edit(NULL, edit_tree, o, NULL), 7);
    ASSERT(cJSON_GetObjectItemCaseSensitive(o, "drop") == NULL);
    cJSON_Delete(o);
    kjson_pool_give(NULL);
    free(long_text);
    kjson_pool_free(p);
}


/* kjson_member_at stops at the value: a text cut short inside it still finds it; the members
 * before it are checked as kjson_member checks them. */
TEST(kjson_member_at_stops_at_the_value)
{
    static const char text[] = "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"na";
    static const char bad[] = "{\"type\":ADDED,\"object\":{}}";
    static const char array[] = "[]";
    const char       *v = NULL;

    ASSERT_EQ(kjson_member_at(text, text + strlen(text), "object", &v), 1);
    ASSERT(v == text + 25);
    ASSERT_EQ(kjson_member_at(text, text + strlen(text), "type", &v), 1);
    ASSERT(v == text + 8);
    ASSERT_EQ(kjson_member_at(text, text + strlen(text), "missing", &v), 0);
    ASSERT_EQ(kjson_member_at(bad, bad + strlen(bad), "object", &v), 0);
    ASSERT_EQ(kjson_member_at(array, array + 2, "object", &v), 0);
}


/* Only the members named stay; a non-object or NULL is left alone. */
TEST(kjson_keep_deletes_the_members_not_named)
{
    static const char *const keep[] = {"a", "c"};
    cJSON                   *o = cJSON_Parse("{\"a\":1,\"b\":{\"x\":2},\"c\":[3],\"d\":null}"),
          *arr = cJSON_Parse("[1,2]");
    char *s;

    ASSERT(o && arr);
    kjson_keep(o, keep, 2);
    s = cJSON_PrintUnformatted(o);
    ASSERT_STR(s, "{\"a\":1,\"c\":[3]}");
    free(s);
    kjson_keep(o, keep, 0);
    ASSERT(o->child == NULL);
    kjson_keep(arr, keep, 0);
    ASSERT_EQ(cJSON_GetArraySize(arr), 2);
    kjson_keep(NULL, keep, 2);
    cJSON_Delete(o);
    cJSON_Delete(arr);
}
