#include "core/core.h"
#include "kjson/kjson.h"
#include "test.h"
#include "wstream/wstream.h"

#include <math.h>

#define MAX_SEEN 64

/* What the callback saw, copied out so that the tests can look after the feed. */
typedef struct {
    int        n;
    int        type[MAX_SEEN];
    char       name[MAX_SEEN][64];
    char       rv[MAX_SEEN][32];
    int        code[MAX_SEEN];
    char       reason[MAX_SEEN][32];
    char       message[MAX_SEEN][96];
    char       text[MAX_SEEN][96]; /* object_text, cut to fit; "" when NULL */
    int        take;               /* return WS_TAKE and keep the objects */
    int        pooled[MAX_SEEN];   /* ev->pool was set */
    cJSON     *kept[MAX_SEEN];
    int        stop_at;    /* return CORE_ECANCELED at this event (1-based); 0: never */
    int        reenter_rc; /* what ws_feed / ws_finish said when called from the callback */
    int        reenter;
    ws_parser *self;
} seen;


static int
on_event(ws_event *ev, void *data)
{
    seen       *s = data;
    const char *name;
    int         i = s->n;

    if (s->reenter) {
        s->reenter_rc = ws_feed(s->self, "\n", 1);
        if (s->reenter_rc == CORE_EINVAL)
            s->reenter_rc = ws_finish(s->self);
    }
    if (i >= MAX_SEEN)
        return CORE_ETOOBIG;
    s->n++;
    s->type[i] = (int)ev->type;
    name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(ev->object, "metadata"), "name"));
    snprintf(s->name[i], sizeof s->name[i], "%s", name ? name : "-");
    snprintf(s->rv[i], sizeof s->rv[i], "%s", ev->resource_version ? ev->resource_version : "-");
    s->code[i] = ev->code;
    s->pooled[i] = ev->pool != NULL;
    snprintf(s->reason[i], sizeof s->reason[i], "%s", ev->reason ? ev->reason : "-");
    snprintf(s->message[i], sizeof s->message[i], "%s", ev->message ? ev->message : "-");
    snprintf(s->text[i], sizeof s->text[i], "%.*s", ev->object_text ? (int)ev->object_len : 0,
             ev->object_text ? ev->object_text : "");
    if (s->stop_at && s->n == s->stop_at)
        return CORE_ECANCELED;
    if (s->take) {
        s->kept[i] = ev->object;
        return WS_TAKE;
    }
    return 0;
}


static void
seen_free(seen *s)
{
    int i;

    for (i = 0; i < MAX_SEEN; i++)
        cJSON_Delete(s->kept[i]);
}


/* Feeds text in one chunk and ends the stream; returns the first error. */
static int
feed_all(ws_parser *p, const char *text, size_t n)
{
    int rc = ws_feed(p, text, n);

    return rc ? rc : ws_finish(p);
}


/* Runs text through a fresh parser in one chunk; returns the result, fills *s. */
static int
run(const char *text, size_t max_line, seen *s)
{
    ws_parser p;
    int       rc;

    memset(s, 0, sizeof *s);
    ws_init(&p, max_line, on_event, s);
    rc = feed_all(&p, text, strlen(text));
    ws_free(&p);
    return rc;
}


#define EV(type, name, rv) \
    "{\"type\":\"" type "\",\"object\":{\"kind\":\"Pod\",\"metadata\":" \
    "{\"name\":\"" name "\",\"namespace\":\"team-a\",\"resourceVersion\":\"" rv "\"}," \
    "\"spec\":{\"x\":[1,2.5,true,null,\"caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80\"]}}}"

static const char three[] =
    EV("ADDED", "a", "11") "\n" EV("MODIFIED", "b", "12") "\n" EV("DELETED", "c", "13") "\n";


static void
assert_three(const seen *s)
{
    ASSERT_EQ(s->n, 3);
    ASSERT_EQ(s->type[0], WS_ADDED);
    ASSERT_EQ(s->type[1], WS_MODIFIED);
    ASSERT_EQ(s->type[2], WS_DELETED);
    ASSERT_STR(s->name[0], "a");
    ASSERT_STR(s->name[1], "b");
    ASSERT_STR(s->name[2], "c");
    ASSERT_STR(s->rv[0], "11");
    ASSERT_STR(s->rv[2], "13");
}


TEST(wstream_events_and_fields)
{
    seen s;

    ASSERT_EQ(run(three, 0, &s), CORE_OK);
    assert_three(&s);
    ASSERT_EQ(s.code[0], 0);
    ASSERT_STR(s.reason[0], "-");
    ASSERT_STR(ws_type_name(WS_BOOKMARK), "BOOKMARK");
    ASSERT_STR(ws_type_name((ws_type)0), "UNKNOWN");
}


/* Every split point of a three-event stream into two chunks gives the same events. */
TEST(wstream_split_at_every_offset)
{
    size_t    len = strlen(three), k;
    ws_parser p;
    seen      s;

    for (k = 0; k <= len; k++) {
        memset(&s, 0, sizeof s);
        ws_init(&p, 0, on_event, &s);
        ASSERT_EQ(ws_feed(&p, three, k), CORE_OK);
        ASSERT_EQ(ws_feed(&p, three + k, len - k), CORE_OK);
        ASSERT_EQ(ws_finish(&p), CORE_OK);
        ws_free(&p);
        assert_three(&s);
    }
}


/* Every pair of split points (three chunks) on a short two-event stream. */
TEST(wstream_split_into_three_chunks)
{
    static const char two[] =
        "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"\xe4\xb8\xad\"}}}\r\n"
        "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"7\"}}}\n";
    size_t    len = strlen(two), i, j;
    ws_parser p;
    seen      s;

    for (i = 0; i <= len; i++) {
        for (j = i; j <= len; j++) {
            memset(&s, 0, sizeof s);
            ws_init(&p, 0, on_event, &s);
            ASSERT_EQ(ws_feed(&p, two, i), CORE_OK);
            ASSERT_EQ(ws_feed(&p, two + i, j - i), CORE_OK);
            ASSERT_EQ(ws_feed(&p, two + j, len - j), CORE_OK);
            ASSERT_EQ(ws_finish(&p), CORE_OK);
            ws_free(&p);
            ASSERT_EQ(s.n, 2);
            ASSERT_STR(s.name[0], "\xe4\xb8\xad");
            ASSERT_EQ(s.type[1], WS_BOOKMARK);
            ASSERT_STR(s.rv[1], "7");
        }
    }
}


TEST(wstream_one_byte_chunks)
{
    size_t    len = strlen(three), k;
    ws_parser p;
    seen      s;

    memset(&s, 0, sizeof s);
    ws_init(&p, 0, on_event, &s);
    for (k = 0; k < len; k++) {
        ASSERT_EQ(ws_feed(&p, three + k, 1), CORE_OK);
        /* An event is delivered exactly when its newline arrives, not before. */
        if (k == len - 1)
            ASSERT_EQ(s.n, 3);
        else if (k < strlen(EV("ADDED", "a", "11")))
            ASSERT_EQ(s.n, 0);
    }
    ASSERT_EQ(ws_finish(&p), CORE_OK);
    ws_free(&p);
    assert_three(&s);
}


/* Random chunk sizes, over a longer stream, deliver the same sequence as one chunk. */
TEST(wstream_random_chunks)
{
    core_buf  b;
    ws_parser p;
    seen      s;
    size_t    off, step;
    unsigned  x = 12345, round, i;

    core_buf_init(&b, 1u << 20);
    for (i = 0; i < 40; i++)
        ASSERT_EQ(core_buf_printf(&b,
                                  "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":"
                                  "{\"name\":\"n%u\",\"resourceVersion\":\"%u\"}}}\n",
                                  i, 1000 + i),
                  CORE_OK);
    for (round = 0; round < 50; round++) {
        memset(&s, 0, sizeof s);
        ws_init(&p, 4096, on_event, &s);
        for (off = 0; off < b.len; off += step) {
            x = x * 1103515245u + 12345u;
            step = (x >> 16) % 97 + 1;
            if (step > b.len - off)
                step = b.len - off;
            ASSERT_EQ(ws_feed(&p, b.data + off, step), CORE_OK);
        }
        ASSERT_EQ(ws_finish(&p), CORE_OK);
        ws_free(&p);
        ASSERT_EQ(s.n, 40);
        ASSERT_STR(s.name[0], "n0");
        ASSERT_STR(s.name[39], "n39");
        ASSERT_STR(s.rv[17], "1017");
    }
    core_buf_free(&b);
}


/* One chunk with many events and the head of another; the next chunk completes it. */
TEST(wstream_many_events_in_one_chunk)
{
    core_buf  b;
    ws_parser p;
    seen      s;
    unsigned  i;
    size_t    cut;

    core_buf_init(&b, 1u << 20);
    for (i = 0; i < 50; i++)
        ASSERT_EQ(core_buf_printf(&b,
                                  "{\"type\":\"ADDED\",\"object\":{\"metadata\":"
                                  "{\"name\":\"p%u\"}}}\n",
                                  i),
                  CORE_OK);
    cut = b.len - 10; /* inside the last event */
    memset(&s, 0, sizeof s);
    ws_init(&p, 0, on_event, &s);
    ASSERT_EQ(ws_feed(&p, b.data, cut), CORE_OK);
    ASSERT_EQ(s.n, 49);
    ASSERT_EQ(ws_feed(&p, b.data + cut, b.len - cut), CORE_OK);
    ASSERT_EQ(s.n, 50);
    ASSERT_STR(s.name[49], "p49");
    ASSERT_EQ(ws_finish(&p), CORE_OK);
    ws_free(&p);
    core_buf_free(&b);
}


TEST(wstream_bookmark_resource_version)
{
    seen s;

    ASSERT_EQ(run("{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"DBInstance\",\"apiVersion\":"
                  "\"dbaas.dev/v1alpha1\",\"metadata\":{\"resourceVersion\":\"98765\","
                  "\"annotations\":{\"k8s.io/initial-events-end\":\"true\"}}}}\n",
                  0, &s),
              CORE_OK);
    ASSERT_EQ(s.n, 1);
    ASSERT_EQ(s.type[0], WS_BOOKMARK);
    ASSERT_STR(s.rv[0], "98765");

    /* A bookmark without a resourceVersion is delivered with NULL, not refused. */
    ASSERT_EQ(run("{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{}}}\n", 0, &s), CORE_OK);
    ASSERT_EQ(s.n, 1);
    ASSERT_STR(s.rv[0], "-");
}


TEST(wstream_error_410_expired)
{
    seen s;

    ASSERT_EQ(run("{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\","
                  "\"metadata\":{},\"status\":\"Failure\",\"message\":\"too old resource "
                  "version: 100 (200)\",\"reason\":\"Expired\",\"code\":410}}\n",
                  0, &s),
              CORE_OK);
    ASSERT_EQ(s.n, 1);
    ASSERT_EQ(s.type[0], WS_ERROR);
    ASSERT_EQ(s.code[0], 410);
    ASSERT_STR(s.reason[0], "Expired");
    ASSERT_STR(s.message[0], "too old resource version: 100 (200)");

    ASSERT_EQ(run("{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"reason\":\"Gone\","
                  "\"code\":410}}\n",
                  0, &s),
              CORE_OK);
    ASSERT_EQ(s.code[0], 410);
    ASSERT_STR(s.reason[0], "Gone");

    /* A code that is not a sane HTTP status reads as 0, whatever its size. */
    ASSERT_EQ(run("{\"type\":\"ERROR\",\"object\":{\"code\":1e400}}\n"
                  "{\"type\":\"ERROR\",\"object\":{\"code\":-5}}\n"
                  "{\"type\":\"ERROR\",\"object\":{\"code\":\"410\"}}\n",
                  0, &s),
              CORE_OK);
    ASSERT_EQ(s.n, 3);
    ASSERT_EQ(s.code[0], 0);
    ASSERT_EQ(s.code[1], 0);
    ASSERT_EQ(s.code[2], 0);
    ASSERT_STR(s.reason[0], "-");
}


TEST(wstream_huge_numbers_are_kept)
{
    static const char line[] =
        "{\"type\":\"ADDED\",\"object\":{\"a\":1e400,\"b\":123456789012345678901234567890,"
        "\"c\":-1e400,\"d\":1e-400,\"e\":-9223372036854775809}}\n";
    ws_parser p;
    seen      s;
    cJSON    *o;

    memset(&s, 0, sizeof s);
    s.take = 1;
    ws_init(&p, 0, on_event, &s);
    ASSERT_EQ(feed_all(&p, line, strlen(line)), CORE_OK);
    ws_free(&p);
    ASSERT_EQ(s.n, 1);
    o = s.kept[0];
    ASSERT(o != NULL);
    if (o) {
        ASSERT(cJSON_IsNumber(cJSON_GetObjectItem(o, "a")));
        ASSERT(isinf(cJSON_GetObjectItem(o, "a")->valuedouble));
        ASSERT(cJSON_GetObjectItem(o, "b")->valuedouble > 1.2e29);
        ASSERT(cJSON_GetObjectItem(o, "c")->valuedouble < 0);
        ASSERT(cJSON_IsNumber(cJSON_GetObjectItem(o, "d")));
        ASSERT(cJSON_IsNumber(cJSON_GetObjectItem(o, "e")));
    }
    seen_free(&s);
}


/* An event whose object holds depth nested arrays. */
static char *
nested_arrays(int depth)
{
    size_t cap = (size_t)depth * 2 + 64;
    char  *t = malloc(cap);
    int    n, i;

    if (!t)
        abort();
    n = snprintf(t, cap, "{\"type\":\"ADDED\",\"object\":{\"x\":");
    for (i = 0; i < depth; i++)
        t[n++] = '[';
    for (i = 0; i < depth; i++)
        t[n++] = ']';
    snprintf(t + n, cap - (size_t)n, "}}\n");
    return t;
}


TEST(wstream_deep_nesting_is_an_error)
{
    char *arrays = nested_arrays(2000);
    char *shallow = nested_arrays(100);
    seen  s;

    ASSERT_EQ(run(arrays, 0, &s), CORE_EPROTO);
    ASSERT_EQ(s.n, 0);
    ASSERT_EQ(run(shallow, 0, &s), CORE_OK);
    ASSERT_EQ(s.n, 1);
    free(arrays);
    free(shallow);
}


TEST(wstream_deep_objects_are_an_error)
{
    core_buf b;
    seen     s;
    int      i;

    core_buf_init(&b, 1u << 20);
    ASSERT_EQ(core_buf_printf(&b, "{\"type\":\"ADDED\",\"object\":"), CORE_OK);
    for (i = 0; i < 2000; i++)
        ASSERT_EQ(core_buf_add(&b, "{\"a\":", 5), CORE_OK);
    ASSERT_EQ(core_buf_add(&b, "1", 1), CORE_OK);
    for (i = 0; i < 2001; i++)
        ASSERT_EQ(core_buf_add(&b, "}", 1), CORE_OK);
    ASSERT_EQ(core_buf_add(&b, "\n", 1), CORE_OK);
    ASSERT_EQ(run(b.data, 0, &s), CORE_EPROTO);
    ASSERT_EQ(s.n, 0);
    core_buf_free(&b);
}


TEST(wstream_invalid_lines_are_protocol_errors)
{
    static const char *bad[] = {
        "{\"type\":\"ADDED\",\"object\":{}\n",    /* truncated */
        "{\"type\":\"ADDED\",\"object\":{}} x\n", /* trailing data */
        "{\"type\":\"ADDED\",\"object\":{}}{\"type\":\"ADDED\",\"object\":{}}\n",
        "not json\n",
        "[1,2]\n",
        "\"ADDED\"\n",
        "42\n",
        "null\n",
        "{}\n",
        "{\"type\":\"ADDED\"}\n",                 /* no object */
        "{\"object\":{}}\n",                      /* no type */
        "{\"type\":\"CREATED\",\"object\":{}}\n", /* unknown type */
        "{\"type\":\"added\",\"object\":{}}\n",   /* types are exact */
        "{\"type\":1,\"object\":{}}\n",
        "{\"type\":\"ADDED\",\"object\":[]}\n",
        "{\"type\":\"ADDED\",\"object\":null}\n",
        "{\"type\":\"ADDED\",\"object\":\"x\"}\n",
        "{\"type\":\"ADDED\",\"object\":{\"a\":\"\x01\"}}\n", /* raw control byte */
        "{\"type\":\"ADDED\",\"object\":{\"a\":1,}}\n",
        "{\"type\":\"ADDED\",\"object\":{\"a\":\"\\ud800\"}}\n", /* escaped lone surrogate */
    };
    static const char good[] = "{\"type\":\"ADDED\",\"object\":{}}\n";
    ws_parser         p;
    seen              s;
    size_t            i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&s, 0, sizeof s);
        ws_init(&p, 0, on_event, &s);
        ASSERT_EQ(ws_feed(&p, good, strlen(good)), CORE_OK);
        if (ws_feed(&p, bad[i], strlen(bad[i])) != CORE_EPROTO) {
            fprintf(stderr, "accepted: %s", bad[i]);
            ASSERT(0);
        }
        ASSERT_CONTAINS(ws_errmsg(&p), "watch line 2: ");
        /* The error sticks: nothing more is delivered until a reset. */
        ASSERT_EQ(ws_feed(&p, good, strlen(good)), CORE_EPROTO);
        ASSERT_EQ(ws_finish(&p), CORE_EPROTO);
        ASSERT_EQ(s.n, 1);
        ws_reset(&p);
        ASSERT_STR(ws_errmsg(&p), "");
        ASSERT_EQ(ws_feed(&p, good, strlen(good)), CORE_OK);
        ASSERT_EQ(s.n, 2);
        ws_free(&p);
    }
}


TEST(wstream_invalid_utf8_is_a_protocol_error)
{
    static const char *bad[] = {
        "\xc0\x80",         /* overlong NUL */
        "\xc1\xbf",         /* overlong 2-byte */
        "\xe0\x80\x80",     /* overlong 3-byte */
        "\xe0\x9f\xbf",     /* overlong 3-byte, top */
        "\xf0\x80\x80\x80", /* overlong 4-byte */
        "\xf0\x8f\xbf\xbf", /* overlong 4-byte, top */
        "\xed\xa0\x80",     /* U+D800, a surrogate */
        "\xed\xbf\xbf",     /* U+DFFF */
        "\xf4\x90\x80\x80", /* U+110000 */
        "\xf5\x80\x80\x80",
        "\xf8\x88\x80\x80\x80",
        "\xfe",
        "\xff",
        "\x80", /* lone continuation */
        "\xbf",
        "\xc3",         /* truncated 2-byte, then a quote */
        "\xe4\xb8",     /* truncated 3-byte */
        "\xf0\x9f\x98", /* truncated 4-byte */
        "\xe4\x41\x80", /* bad continuation */
        "\xf0\x9f\x41\x80",
    };
    char   line[128];
    seen   s;
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(line, sizeof line, "{\"type\":\"ADDED\",\"object\":{\"a\":\"x%sy\"}}\n", bad[i]);
        if (run(line, 0, &s) != CORE_EPROTO) {
            fprintf(stderr, "accepted variant %zu\n", i);
            ASSERT(0);
        }
        ASSERT_EQ(s.n, 0);
    }
    /* A sequence cut by the end of the line. */
    ASSERT_EQ(run("{\"type\":\"ADDED\",\"object\":{}}\xe4\xb8\n", 0, &s), CORE_EPROTO);
    ASSERT_EQ(run("{\"type\":\"ADDED\",\"object\":{}}\xc3", 0, &s), CORE_EPROTO);
}


TEST(wstream_valid_multibyte_utf8)
{
    static const char *ok[] = {
        "\xc3\xa9",         /* é */
        "\xe4\xb8\xad",     /* 中 */
        "\xf0\x9f\x98\x80", /* 😀 */
        "\xc2\x80",         /* U+0080, the smallest 2-byte */
        "\xe0\xa0\x80",     /* U+0800 */
        "\xed\x9f\xbf",     /* U+D7FF, just below the surrogates */
        "\xee\x80\x80",     /* U+E000, just above */
        "\xef\xbf\xbf",     /* U+FFFF */
        "\xf0\x90\x80\x80", /* U+10000 */
        "\xf4\x8f\xbf\xbf", /* U+10FFFF, the largest */
        "\x7f",
    };
    char      line[128], want[32];
    ws_parser p;
    seen      s;
    size_t    i;

    for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        memset(&s, 0, sizeof s);
        s.take = 1;
        ws_init(&p, 0, on_event, &s);
        snprintf(line, sizeof line,
                 "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"%s\"},\"a\":\"x%sy\"}}\n",
                 ok[i], ok[i]);
        snprintf(want, sizeof want, "x%sy", ok[i]);
        ASSERT_EQ(feed_all(&p, line, strlen(line)), CORE_OK);
        ws_free(&p);
        ASSERT_EQ(s.n, 1);
        ASSERT_STR(s.name[0], ok[i]);
        if (s.kept[0])
            ASSERT_STR(cJSON_GetStringValue(cJSON_GetObjectItem(s.kept[0], "a")), want);
        seen_free(&s);
    }
}


/* Exercises the eight-byte fast path: a bad byte at any position and alignment is found. */
TEST(wstream_text_valid_finds_every_position)
{
    static const unsigned char bad[] = {0x00, 0x01, 0x0a, 0x1f, 0x80, 0xbf, 0xc0, 0xff};
    static const unsigned char good[] = {0x20, 0x7e, 0x7f, '\t', '\r', 'A'};
    char                       t[41];
    size_t                     pos, i, at;

    for (pos = 0; pos < sizeof t; pos++) {
        for (i = 0; i < sizeof bad; i++) {
            memset(t, 'a', sizeof t);
            t[pos] = (char)bad[i];
            at = 999;
            ASSERT_EQ(ws_text_valid(t, sizeof t, &at), 0);
            ASSERT_EQ(at, pos);
        }
        for (i = 0; i < sizeof good; i++) {
            memset(t, ' ', sizeof t);
            t[pos] = (char)good[i];
            ASSERT_EQ(ws_text_valid(t, sizeof t, NULL), 1);
        }
    }
    ASSERT_EQ(ws_text_valid("", 0, NULL), 1);
    ASSERT_EQ(ws_text_valid("abcdefgh\xe4\xb8\xad"
                            "abcdefgh",
                            19, NULL),
              1);
    ASSERT_EQ(ws_text_valid("abcdefgh\xe4\xb8", 10, &at), 0);
    ASSERT_EQ(at, 8);
}


TEST(wstream_line_over_cap_then_reset)
{
    static const char good[] = "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"ok\"}}}\n";
    char              big[200];
    ws_parser         p;
    seen              s;
    size_t            cap = strlen(good) - 1; /* exactly the good line, without '\n' */

    memset(big, ' ', sizeof big);
    memset(&s, 0, sizeof s);
    ws_init(&p, cap, on_event, &s);

    /* Exactly max_line bytes pass, in one chunk and split. */
    ASSERT_EQ(ws_feed(&p, good, strlen(good)), CORE_OK);
    ASSERT_EQ(ws_feed(&p, good, 10), CORE_OK);
    ASSERT_EQ(ws_feed(&p, good + 10, strlen(good) - 10), CORE_OK);
    ASSERT_EQ(s.n, 2);

    /* Growing across chunks: refused as soon as the cap is passed, before any newline. */
    ASSERT_EQ(ws_feed(&p, big, 40), CORE_OK);
    ASSERT_EQ(ws_feed(&p, big, 40), CORE_ETOOBIG);
    ASSERT_CONTAINS(ws_errmsg(&p), "longer than");
    ASSERT_EQ(ws_feed(&p, good, strlen(good)), CORE_ETOOBIG);
    ws_reset(&p);
    ASSERT_EQ(ws_feed(&p, good, strlen(good)), CORE_OK);
    ASSERT_EQ(s.n, 3);

    /* A whole line inside one chunk. */
    big[sizeof big - 1] = '\n';
    ASSERT_EQ(ws_feed(&p, big, sizeof big), CORE_ETOOBIG);
    ws_reset(&p);

    /* The unterminated tail of a chunk. */
    ASSERT_EQ(ws_feed(&p, big, cap + 1), CORE_ETOOBIG);
    ws_reset(&p);

    ASSERT_EQ(feed_all(&p, good, strlen(good)), CORE_OK);
    ASSERT_EQ(s.n, 4);
    ws_free(&p);
}


TEST(wstream_empty_lines_are_skipped)
{
    seen s;

    ASSERT_EQ(run("\n\n   \n\t\r\n\r\n" EV("ADDED", "a", "1") "\n\n\n" EV("DELETED", "a", "2") "\n \n",
                  0, &s),
              CORE_OK);
    ASSERT_EQ(s.n, 2);
    ASSERT_EQ(s.type[1], WS_DELETED);
    ASSERT_EQ(run("", 0, &s), CORE_OK);
    ASSERT_EQ(s.n, 0);
}


TEST(wstream_crlf_line_ends)
{
    static const char crlf[] =
        EV("ADDED", "a", "11") "\r\n" EV("MODIFIED", "b", "12") "\r\n" EV("DELETED", "c", "13") "\r\n";
    size_t    len = strlen(crlf), k;
    ws_parser p;
    seen      s;

    for (k = 0; k <= len; k++) {
        memset(&s, 0, sizeof s);
        ws_init(&p, 0, on_event, &s);
        ASSERT_EQ(ws_feed(&p, crlf, k), CORE_OK);
        ASSERT_EQ(ws_feed(&p, crlf + k, len - k), CORE_OK);
        ASSERT_EQ(ws_finish(&p), CORE_OK);
        ws_free(&p);
        assert_three(&s);
    }
}


TEST(wstream_finish_with_a_last_line_without_newline)
{
    static const char last[] = "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"z\"}}}";
    ws_parser         p;
    seen              s;

    /* Complete: delivered by ws_finish, not before. */
    memset(&s, 0, sizeof s);
    ws_init(&p, 0, on_event, &s);
    ASSERT_EQ(ws_feed(&p, last, strlen(last)), CORE_OK);
    ASSERT_EQ(s.n, 0);
    ASSERT_EQ(ws_finish(&p), CORE_OK);
    ASSERT_EQ(s.n, 1);
    ASSERT_STR(s.name[0], "z");

    /* The parser is ready for another stream after ws_finish. */
    ASSERT_EQ(ws_feed(&p, last, strlen(last)), CORE_OK);
    ASSERT_EQ(ws_feed(&p, "\n", 1), CORE_OK);
    ASSERT_EQ(s.n, 2);

    /* Cut in the middle: a protocol error that says the stream ended inside a line. */
    ASSERT_EQ(ws_feed(&p, last, strlen(last) - 3), CORE_OK);
    ASSERT_EQ(ws_finish(&p), CORE_EPROTO);
    ASSERT_CONTAINS(ws_errmsg(&p), "stream ended inside a line");
    ASSERT_EQ(s.n, 2);
    ws_free(&p);
}


/* WS_TAKE hands the object over: it outlives the parser and the event's envelope. */
TEST(wstream_callback_takes_ownership)
{
    ws_parser p;
    seen      s;

    memset(&s, 0, sizeof s);
    s.take = 1;
    ws_init(&p, 0, on_event, &s);
    ASSERT_EQ(feed_all(&p, three, strlen(three)), CORE_OK);
    ws_free(&p);
    ASSERT_EQ(s.n, 3);
    ASSERT(s.kept[2] != NULL);
    if (s.kept[2]) {
        ASSERT_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(s.kept[2], "metadata"),
                                                            "name")),
                   "c");
        /* Detached: no longer tied to the {"type":..,"object":..} envelope. */
        ASSERT(s.kept[2]->next == NULL && s.kept[2]->prev == NULL);
        ASSERT(s.kept[2]->string == NULL || strcmp(s.kept[2]->string, "object") == 0);
    }
    seen_free(&s);
}


/* With a pool, each event is parsed into it and the pool is given back after the callback;
 * while someone else has it taken, events parse on the heap; a pooled object cannot be
 * taken. */
TEST(wstream_events_parse_into_a_pool)
{
    ws_parser   p;
    seen        s;
    kjson_pool *pool;
    int         i;

    ASSERT_EQ(kjson_pool_new(&pool), CORE_OK);
    memset(&s, 0, sizeof s);
    ws_init(&p, 0, on_event, &s);
    p.pool = pool;
    ASSERT_EQ(feed_all(&p, three, strlen(three)), CORE_OK);
    ASSERT_EQ(s.n, 3);
    for (i = 0; i < 3; i++)
        ASSERT_EQ(s.pooled[i], 1);
    ASSERT_STR(s.name[2], "c");
    ASSERT_EQ(kjson_pool_bytes(pool), KJSON_POOL_BLOCK);
    ASSERT_EQ(kjson_pool_turns(pool), 3);

    /* Taken by another user: the heap, and the pool left taken. */
    memset(&s, 0, sizeof s);
    ASSERT_EQ(kjson_pool_take(pool), 1);
    ASSERT_EQ(feed_all(&p, three, strlen(three)), CORE_OK);
    ASSERT_EQ(s.n, 3);
    ASSERT_EQ(s.pooled[0] + s.pooled[1] + s.pooled[2], 0);
    ASSERT_EQ(kjson_pool_take(pool), 0);
    kjson_pool_give(pool);

    /* WS_TAKE of a pooled object ends the stream. */
    memset(&s, 0, sizeof s);
    s.take = 1;
    ASSERT_EQ(feed_all(&p, three, strlen(three)), CORE_EINVAL);
    ASSERT_EQ(s.n, 1);
    ASSERT(strstr(ws_errmsg(&p), "pooled") != NULL);
    s.kept[0] = NULL;                    /* the pool's, not the test's */
    ASSERT_EQ(kjson_pool_take(pool), 1); /* given back after the failed event too */
    kjson_pool_give(pool);
    ws_free(&p);
    kjson_pool_free(pool);
}


TEST(wstream_callback_stops_the_stream)
{
    ws_parser p;
    seen      s;

    memset(&s, 0, sizeof s);
    s.stop_at = 2;
    ws_init(&p, 0, on_event, &s);
    ASSERT_EQ(ws_feed(&p, three, strlen(three)), CORE_ECANCELED);
    ASSERT_EQ(s.n, 2);
    ASSERT_CONTAINS(ws_errmsg(&p), "stopped");
    ASSERT_EQ(ws_finish(&p), CORE_ECANCELED);
    ws_free(&p);
}


TEST(wstream_feed_from_callback_is_refused)
{
    ws_parser p;
    seen      s;

    memset(&s, 0, sizeof s);
    s.reenter = 1;
    s.reenter_rc = 1;
    s.self = &p;
    ws_init(&p, 0, on_event, &s);
    ASSERT_EQ(feed_all(&p, three, strlen(three)), CORE_OK);
    ASSERT_EQ(s.reenter_rc, CORE_EINVAL);
    ASSERT_EQ(s.n, 3);
    ws_free(&p);
}


/* managedFields never reaches the handler (left out before the parse); an error past it is
 * still placed at its byte in the line as received. */
TEST(wstream_leaves_managed_fields_out)
{
    static const char ev[] = "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"m\","
                             "\"managedFields\":[{\"manager\":\"x\",\"fieldsV1\":{\"f:data\":{}}}],"
                             "\"resourceVersion\":\"9\"},\"data\":{\"managedFields\":\"kept\"}}}\n";
    static const char bad[] =
        "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"managedFields\":[1]},"
        "\"x\":tru}}\n";
    ws_parser    p;
    seen         s;
    const cJSON *meta;

    memset(&s, 0, sizeof s);
    s.take = 1;
    ws_init(&p, 0, on_event, &s);
    ASSERT_EQ(ws_feed(&p, ev, strlen(ev)), CORE_OK);
    ASSERT_EQ(s.n, 1);
    meta = cJSON_GetObjectItemCaseSensitive(s.kept[0], "metadata");
    ASSERT(meta != NULL);
    ASSERT(cJSON_GetObjectItemCaseSensitive(meta, "managedFields") == NULL);
    ASSERT_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "resourceVersion")), "9");
    ASSERT_STR(kjson_path_str(s.kept[0], "data", "managedFields", NULL), "kept");
    ws_free(&p);
    seen_free(&s);

    memset(&s, 0, sizeof s);
    ws_init(&p, 0, on_event, &s);
    ASSERT_EQ(ws_feed(&p, bad, strlen(bad)), CORE_EPROTO);
    /* "tru" is at byte 66 of the line as received (47 of the copy without the cut). */
    ASSERT_CONTAINS(ws_errmsg(&p), "invalid JSON near byte 66");
    ws_free(&p);
}


/* Two members that both decode to "object": the text handed on is the tree's only when the
 * scanner (which compares names as written) and cJSON agree on the member; else none. */
TEST(wstream_object_text_only_when_unambiguous)
{
    static const char two[] = "{\"type\":\"ADDED\",\"obj\\u0065ct\":{\"metadata\":{\"name\":\"a\"}},"
                              "\"object\":{\"metadata\":{\"name\":\"b\"}}}\n";
    static const char one[] = "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"c\"}}}\n";
    ws_parser         p;
    seen              s;

    memset(&s, 0, sizeof s);
    ws_init(&p, 0, on_event, &s);
    ASSERT_EQ(ws_feed(&p, two, strlen(two)), CORE_OK);
    ASSERT_EQ(ws_feed(&p, one, strlen(one)), CORE_OK);
    ASSERT_EQ(s.n, 2);
    ASSERT_STR(s.name[0], "a");
    ASSERT_STR(s.text[0], "");
    ASSERT_STR(s.text[1], "{\"metadata\":{\"name\":\"c\"}}");
    ws_free(&p);
}


/* The object's text ends where the event's closing brace and the blanks before it begin; an
 * "object" that is not the event's last member is scanned for. With managedFields cut, the
 * text is the object without it. */
TEST(wstream_object_text_ends_where_the_event_ends)
{
    static const char three_lines[] =
        /* blanks between the object, the event's '}' and the line's end */
        "{\"type\":\"ADDED\", \"object\" : {\"metadata\":{\"name\":\"d\"},\"x\":[1,{}]} \t } \r\n"
        /* "object" first, managedFields cut */
        "{\"object\":{\"metadata\":{\"name\":\"e\",\"managedFields\":[1]},\"a\":1} ,\"type\":\"ADDED\"}\n"
        /* braces inside strings */
        "{\"type\":\"ADDED\",\"object\":{\"kind\":\"K\",\"metadata\":{\"name\":\"f\",\"managedFields\":"
        "[{\"m\":\"}\"}],\"uid\":\"u\"},\"s\":\"}\"}}\n";
    seen s;

    ASSERT_EQ(run(three_lines, 0, &s), CORE_OK);
    ASSERT_EQ(s.n, 3);
    ASSERT_STR(s.text[0], "{\"metadata\":{\"name\":\"d\"},\"x\":[1,{}]}");
    ASSERT_STR(s.text[1], "{\"metadata\":{\"name\":\"e\"},\"a\":1}");
    ASSERT_STR(s.text[2], "{\"kind\":\"K\",\"metadata\":{\"name\":\"f\",\"uid\":\"u\"},\"s\":\"}\"}");
    ASSERT_STR(s.name[2], "f");
}
