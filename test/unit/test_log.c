#include "core/core.h"
#include "log/log.h"
#include "test.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* Lines are captured in a temporary file; the logger is pointed back at stderr afterwards. */
static FILE *cap_file;
static char  cap_buf[256 * 1024];


static void
cap_start(log_format format, log_level level)
{
    cap_file = tmpfile();
    ASSERT(cap_file != NULL);
    ASSERT_EQ(log_init(format, level, fileno(cap_file)), CORE_OK);
}


static char *
cap_end(void)
{
    ssize_t n;
    size_t  len = 0;
    int     fd = fileno(cap_file);

    log_init(LOG_JSON, LOG_INFO, 2);
    ASSERT(lseek(fd, 0, SEEK_SET) == 0);
    while ((n = read(fd, cap_buf + len, sizeof cap_buf - 1 - len)) > 0)
        len += (size_t)n;
    cap_buf[len] = '\0';
    fclose(cap_file);
    cap_file = NULL;
    return cap_buf;
}


static int
count_lines(const char *s)
{
    int n = 0;

    for (; *s; s++)
        if (*s == '\n')
            n++;
    return n;
}


/* 2026-11-23T09:00:00.123Z, UTC, and within a minute of now. */
static void
check_ts(const char *ts)
{
    struct tm   tm;
    const char *rest;
    time_t      t;

    ASSERT(ts != NULL);
    ASSERT_EQ(strlen(ts), 24);
    memset(&tm, 0, sizeof tm);
    rest = strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm);
    ASSERT(rest != NULL);
    ASSERT(rest[0] == '.' && rest[1] >= '0' && rest[1] <= '9' && rest[2] >= '0' && rest[2] <= '9' &&
           rest[3] >= '0' && rest[3] <= '9' && rest[4] == 'Z');
    t = timegm(&tm);
    ASSERT(labs((long)(t - time(NULL))) <= 60);
}


static const char *
json_str(const cJSON *obj, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);

    return cJSON_IsString(item) ? item->valuestring : NULL;
}


TEST(log_json_line_has_all_fields)
{
    cJSON *j = NULL;
    char  *out;

    cap_start(LOG_JSON, LOG_INFO);
    log_obj(LOG_INFO, "dbinstance", "team-a/orders", "created secret", "kind", "Secret", "name",
            "orders-credentials", NULL);
    out = cap_end();
    ASSERT_EQ(count_lines(out), 1);
    ASSERT(out[strlen(out) - 1] == '\n');
    j = cJSON_Parse(out);
    ASSERT(j != NULL);
    check_ts(json_str(j, "ts"));
    ASSERT_STR(json_str(j, "level"), "info");
    ASSERT_STR(json_str(j, "msg"), "created secret");
    ASSERT_STR(json_str(j, "controller"), "dbinstance");
    ASSERT_STR(json_str(j, "key"), "team-a/orders");
    ASSERT_STR(json_str(j, "kind"), "Secret");
    ASSERT_STR(json_str(j, "name"), "orders-credentials");
    ASSERT(cJSON_GetObjectItemCaseSensitive(j, "truncated") == NULL);
    ASSERT_EQ(cJSON_GetArraySize(j), 7);
    cJSON_Delete(j);
}


TEST(log_json_without_object_leaves_key_out)
{
    cJSON *j = NULL;

    cap_start(LOG_JSON, LOG_DEBUG);
    log_info("watch started", "resource", "dbinstances");
    j = cJSON_Parse(cap_end());
    ASSERT(j != NULL);
    ASSERT_STR(json_str(j, "msg"), "watch started");
    ASSERT_STR(json_str(j, "resource"), "dbinstances");
    ASSERT(cJSON_GetObjectItemCaseSensitive(j, "key") == NULL);
    ASSERT(cJSON_GetObjectItemCaseSensitive(j, "controller") == NULL);
    cJSON_Delete(j);
}


TEST(log_json_escapes_quotes_newlines_and_control_chars)
{
    const char *msg = "say \"hi\"\\ now\nline2\r\tx\x01y\x1f\x7fz";
    const char *val = "{\"json\": [1]}\n\b\f";
    cJSON      *j = NULL;
    char       *out;

    cap_start(LOG_JSON, LOG_INFO);
    log_kv(LOG_WARN, msg, "body", val, "quo\"te", "k", NULL);
    out = cap_end();
    ASSERT_EQ(count_lines(out), 1); /* the embedded newlines were escaped */
    ASSERT_CONTAINS(out, "\\u0001");
    ASSERT_CONTAINS(out, "\\u007f");
    ASSERT_CONTAINS(out, "\\n");
    j = cJSON_Parse(out);
    ASSERT(j != NULL);
    ASSERT_STR(json_str(j, "level"), "warn");
    ASSERT_STR(json_str(j, "msg"), msg);
    ASSERT_STR(json_str(j, "body"), val);
    ASSERT_STR(json_str(j, "quo\"te"), "k");
    cJSON_Delete(j);
}


TEST(log_json_replaces_invalid_utf8)
{
    /* A lone continuation, an overlong '/', a surrogate, a cut 3-byte sequence; valid ü and 😀. */
    const char *msg =
        "a\x80"
        "b\xC0\xAF"
        "c\xED\xA0\x80"
        "d\xE2\x82"
        "\xC3\xBC\xF0\x9F\x98\x80";
    cJSON      *j = NULL;
    const char *got;

    cap_start(LOG_JSON, LOG_INFO);
    log_info(msg);
    j = cJSON_Parse(cap_end());
    ASSERT(j != NULL);
    got = json_str(j, "msg");
    ASSERT_STR(got, "a\xEF\xBF\xBD"
                    "b\xEF\xBF\xBD\xEF\xBF\xBD"
                    "c\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
                    "d\xEF\xBF\xBD\xEF\xBF\xBD"
                    "\xC3\xBC\xF0\x9F\x98\x80");
    cJSON_Delete(j);
}


TEST(log_level_filter_drops_lower_levels)
{
    char  *out, *line2;
    cJSON *a = NULL, *b = NULL;

    cap_start(LOG_JSON, LOG_WARN);
    ASSERT(!log_enabled(LOG_DEBUG));
    ASSERT(!log_enabled(LOG_INFO));
    ASSERT(log_enabled(LOG_WARN));
    ASSERT(log_enabled(LOG_ERROR));
    log_debug("d");
    log_info("i");
    log_warn("w");
    log_error("e", "error", "timed out");
    log_obj(LOG_INFO, "dbinstance", "ns/x", "not shown", NULL);
    out = cap_end();
    ASSERT_EQ(count_lines(out), 2);
    line2 = strchr(out, '\n');
    ASSERT(line2 != NULL);
    *line2++ = '\0';
    a = cJSON_Parse(out);
    b = cJSON_Parse(line2);
    ASSERT(a != NULL && b != NULL);
    ASSERT_STR(json_str(a, "level"), "warn");
    ASSERT_STR(json_str(a, "msg"), "w");
    ASSERT_STR(json_str(b, "level"), "error");
    ASSERT_STR(json_str(b, "error"), "timed out");
    cJSON_Delete(a);
    cJSON_Delete(b);
}


/* Cuts the next line out of *p (NUL instead of '\n'); checks and skips its timestamp. */
static char *
text_line(char **p)
{
    char *line = *p, *nl = strchr(line, '\n');

    ASSERT(nl != NULL);
    *nl = '\0';
    *p = nl + 1;
    ASSERT(strlen(line) > 25);
    ASSERT(line[24] == ' ');
    line[24] = '\0';
    check_ts(line);
    return line + 25;
}


TEST(log_text_format)
{
    char *out;

    cap_start(LOG_TEXT, LOG_DEBUG);
    log_obj(LOG_INFO, "dbinstance", "team-a/orders", "created secret", "kind", "Secret", "note",
            "two words", "empty", "", "q", "a\"b", NULL);
    log_error("apply failed\nretrying", "code", "409");
    log_debug("x", "k v", "1");
    log_warn("say \"hi\" to C:\\tmp\x01", "bad", "\xff\t");
    out = cap_end();
    ASSERT_EQ(count_lines(out), 4);
    ASSERT_STR(text_line(&out), "INFO  created secret controller=dbinstance "
                                "key=team-a/orders kind=Secret note=\"two words\" "
                                "empty=\"\" q=\"a\\\"b\"");
    ASSERT_STR(text_line(&out), "ERROR apply failed\\nretrying code=409");
    ASSERT_STR(text_line(&out), "DEBUG x k_v=1");
    /* A bare message keeps quotes and backslashes; control bytes and bad UTF-8 do not pass. */
    ASSERT_STR(text_line(&out), "WARN  say \"hi\" to C:\\tmp\\x01 bad=\"\xEF\xBF\xBD\\t\"");
    ASSERT_STR(out, "");
}


TEST(log_reserved_field_names_are_prefixed)
{
    cJSON *j = NULL;

    cap_start(LOG_JSON, LOG_INFO);
    log_obj(LOG_INFO, "c", "ns/n", "real", "msg", "fake", "key", "other", "level", "x", NULL);
    j = cJSON_Parse(cap_end());
    ASSERT(j != NULL);
    ASSERT_STR(json_str(j, "msg"), "real");
    ASSERT_STR(json_str(j, "key"), "ns/n");
    ASSERT_STR(json_str(j, "level"), "info");
    ASSERT_STR(json_str(j, "_msg"), "fake");
    ASSERT_STR(json_str(j, "_key"), "other");
    ASSERT_STR(json_str(j, "_level"), "x");
    cJSON_Delete(j);
}


TEST(log_null_value_ends_the_list)
{
    cJSON *j = NULL;

    cap_start(LOG_JSON, LOG_INFO);
    log_kv(LOG_INFO, "m", "a", "1", "b", NULL);
    log_fields(LOG_INFO, NULL, NULL, NULL, (const log_field[]){{"x", NULL}}, 1);
    j = cJSON_Parse(cap_end()); /* the first line */
    ASSERT(j != NULL);
    ASSERT_STR(json_str(j, "a"), "1");
    ASSERT(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "b")));
    cJSON_Delete(j);
    j = cJSON_Parse(strchr(cap_buf, '\n') + 1);
    ASSERT(j != NULL);
    ASSERT_STR(json_str(j, "msg"), "");
    ASSERT(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "x")));
    cJSON_Delete(j);
}


TEST(log_long_value_is_cut_but_line_stays_valid)
{
    char       *big = NULL;
    cJSON      *j = NULL;
    char       *out;
    const char *msg;

    big = malloc(20000);
    ASSERT(big != NULL);
    memset(big, 'a', 19999);
    big[19999] = '\0';
    cap_start(LOG_JSON, LOG_INFO);
    log_obj(LOG_INFO, "dbinstance", "ns/name", big, "after", "kept", NULL);
    out = cap_end();
    ASSERT_EQ(count_lines(out), 1);
    ASSERT(strlen(out) <= LOG_LINE_MAX);
    j = cJSON_Parse(out);
    ASSERT(j != NULL);
    msg = json_str(j, "msg");
    ASSERT(msg != NULL);
    ASSERT_EQ(strlen(msg), LOG_VALUE_MAX + 3);
    ASSERT_STR(msg + LOG_VALUE_MAX, "...");
    ASSERT_STR(json_str(j, "key"), "ns/name"); /* one long value does not push the key out */
    ASSERT_STR(json_str(j, "after"), "kept");
    ASSERT(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "truncated")));
    cJSON_Delete(j);
    free(big);
}


TEST(log_line_over_the_cap_is_cut_at_a_field)
{
    char       *q = NULL;
    cJSON      *j = NULL;
    char       *out;
    const char *v;

    /* Quotes double in size when escaped: 4000 of them per value fill the line quickly. */
    q = malloc(4001);
    ASSERT(q != NULL);
    memset(q, '"', 4000);
    q[4000] = '\0';
    cap_start(LOG_JSON, LOG_INFO);
    log_kv(LOG_INFO, "m", "a", q, "b", q, "c", q, "d", q, "e", "last", NULL);
    out = cap_end();
    ASSERT_EQ(count_lines(out), 1);
    ASSERT(strlen(out) <= LOG_LINE_MAX);
    j = cJSON_Parse(out);
    ASSERT(j != NULL);
    ASSERT_STR(json_str(j, "a"), q);
    v = json_str(j, "b");
    ASSERT(v != NULL);
    ASSERT(cJSON_GetObjectItemCaseSensitive(j, "e") == NULL);
    ASSERT(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "truncated")));
    cJSON_Delete(j);
    free(q);
}


TEST(log_parse_and_init_reject_bad_input)
{
    log_level  l = LOG_INFO;
    log_format f = LOG_JSON;

    ASSERT_EQ(log_level_parse("DEBUG", &l), CORE_OK);
    ASSERT_EQ(l, LOG_DEBUG);
    ASSERT_EQ(log_level_parse("warning", &l), CORE_OK);
    ASSERT_EQ(l, LOG_WARN);
    ASSERT_EQ(log_level_parse("verbose", &l), CORE_EINVAL);
    ASSERT_EQ(log_level_parse(NULL, &l), CORE_EINVAL);
    ASSERT_EQ(log_format_parse("Text", &f), CORE_OK);
    ASSERT_EQ(f, LOG_TEXT);
    ASSERT_EQ(log_format_parse("yaml", &f), CORE_EINVAL);
    ASSERT_EQ(log_init(LOG_JSON, (log_level)7, 2), CORE_EINVAL);
    ASSERT_EQ(log_init(LOG_JSON, LOG_INFO, -1), CORE_EINVAL);
    ASSERT_STR(log_level_name(LOG_ERROR), "error");
}


TEST(log_write_to_closed_fd_counts_a_drop)
{
    unsigned long before = log_dropped();
    int           fds[2];

    ASSERT(pipe(fds) == 0);
    close(fds[1]);
    ASSERT_EQ(log_init(LOG_JSON, LOG_INFO, fds[1]), CORE_OK);
    log_info("lost");
    log_init(LOG_JSON, LOG_INFO, 2);
    close(fds[0]);
    ASSERT_EQ(log_dropped(), before + 1);
}
