#include "log.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/core.h"

/* Room kept after the limit for a closing quote, ,"truncated":true, } and \n. */
#define LOG_RESERVE     32
#define LOG_WRITE_TRIES 10
#define LOG_POLL_MS     10

/* How a string is escaped: inside JSON quotes, inside text quotes, or bare in a text line. */
typedef enum {
    ESC_JSON,
    ESC_QUOTED,
    ESC_BARE
} esc_mode;

typedef struct {
    char   buf[LOG_LINE_MAX];
    size_t len;
    size_t limit; /* content stops here; the reserve is for closing the line */
    int    full;  /* the limit was hit: nothing more is added */
    int    cut;   /* something was shortened or left out: say so on the line */
} line_t;

static struct {
    log_format format;
    log_level  level;
    int        fd;
} log_cfg = {LOG_JSON, LOG_INFO, 2};

static unsigned long log_ndropped;

static const char *const reserved[] = {"ts",  "level",     "msg", "controller",
                                       "key", "truncated", NULL};


int
log_init(log_format format, log_level level, int fd)
{
    if ((format != LOG_JSON && format != LOG_TEXT) || level < LOG_DEBUG || level > LOG_ERROR || fd < 0)
        return CORE_EINVAL;
    log_cfg.format = format;
    log_cfg.level = level;
    log_cfg.fd = fd;
    return CORE_OK;
}


int
log_level_parse(const char *s, log_level *out)
{
    if (!s)
        return CORE_EINVAL;
    if (strcasecmp(s, "debug") == 0)
        *out = LOG_DEBUG;
    else if (strcasecmp(s, "info") == 0)
        *out = LOG_INFO;
    else if (strcasecmp(s, "warn") == 0 || strcasecmp(s, "warning") == 0)
        *out = LOG_WARN;
    else if (strcasecmp(s, "error") == 0)
        *out = LOG_ERROR;
    else
        return CORE_EINVAL;
    return CORE_OK;
}


int
log_format_parse(const char *s, log_format *out)
{
    if (!s)
        return CORE_EINVAL;
    if (strcasecmp(s, "json") == 0)
        *out = LOG_JSON;
    else if (strcasecmp(s, "text") == 0)
        *out = LOG_TEXT;
    else
        return CORE_EINVAL;
    return CORE_OK;
}


const char *
log_level_name(log_level level)
{
    switch (level) {
    case LOG_DEBUG: return "debug";
    case LOG_INFO: return "info";
    case LOG_WARN: return "warn";
    case LOG_ERROR: return "error";
    }
    return "unknown";
}


int
log_enabled(log_level level)
{
    return level >= log_cfg.level;
}


unsigned long
log_dropped(void)
{
    return __atomic_load_n(&log_ndropped, __ATOMIC_RELAXED);
}


/*
 * Length of the valid UTF-8 sequence at p (at most n bytes), or 0 when it is invalid:
 * overlong forms, surrogates and code points above U+10FFFF are all rejected.
 */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
    size_t   len, i;
    uint32_t cp;

    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xC2 && p[0] <= 0xDF) {
        len = 2;
        cp = p[0] & 0x1F;
    } else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
        len = 3;
        cp = p[0] & 0x0F;
    } else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
        len = 4;
        cp = p[0] & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}


/* Appends n bytes if they fit before the limit; otherwise marks the line cut. */
static int
put(line_t *l, const char *s, size_t n)
{
    if (l->full || n > l->limit - l->len) {
        l->full = 1;
        l->cut = 1;
        return -1;
    }
    memcpy(l->buf + l->len, s, n);
    l->len += n;
    return 0;
}


/* Appends into the reserve: only for the few closing bytes LOG_RESERVE accounts for. */
static void
put_tail(line_t *l, const char *s, size_t n)
{
    if (n > sizeof l->buf - l->len)
        n = sizeof l->buf - l->len;
    memcpy(l->buf + l->len, s, n);
    l->len += n;
}


static int
puts_(line_t *l, const char *s)
{
    return put(l, s, strlen(s));
}


/*
 * Escapes one character of s into out. Returns how many input bytes it consumed;
 * *outlen is set to the bytes written to out. A bare text message keeps quotes and
 * backslashes as they are: only what would break the line is escaped.
 */
static size_t
escape_one(const unsigned char *s, size_t n, esc_mode mode, char *out, size_t *outlen)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char     c = s[0];
    size_t            len;

    if ((c == '"' || c == '\\') && mode != ESC_BARE) {
        out[0] = '\\';
        out[1] = (char)c;
        *outlen = 2;
        return 1;
    }
    switch (c) {
    case '\n':
        memcpy(out, "\\n", 2);
        *outlen = 2;
        return 1;
    case '\r':
        memcpy(out, "\\r", 2);
        *outlen = 2;
        return 1;
    case '\t':
        memcpy(out, "\\t", 2);
        *outlen = 2;
        return 1;
    }
    if (c < 0x20 || c == 0x7F) {
        if (mode == ESC_JSON) {
            memcpy(out, "\\u00", 4);
            out[4] = hex[c >> 4];
            out[5] = hex[c & 0xF];
            *outlen = 6;
        } else {
            memcpy(out, "\\x", 2);
            out[2] = hex[c >> 4];
            out[3] = hex[c & 0xF];
            *outlen = 4;
        }
        return 1;
    }
    len = utf8_len(s, n);
    if (len == 0) {
        memcpy(out, "\xEF\xBF\xBD", 3); /* U+FFFD REPLACEMENT CHARACTER */
        *outlen = 3;
        return 1;
    }
    memcpy(out, s, len);
    *outlen = len;
    return len;
}


/*
 * Appends s escaped, without quotes, cutting at LOG_VALUE_MAX input bytes or at the line
 * limit; never splits an escape or a UTF-8 sequence. Returns -1 when cut.
 */
static int
put_escaped(line_t *l, const char *s, esc_mode mode)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t               n = strlen(s), i = 0, used, outlen;
    char                 tmp[8];

    while (i < n) {
        if (i >= LOG_VALUE_MAX) {
            l->cut = 1;
            put(l, "...", 3);
            return -1;
        }
        used = escape_one(p + i, n - i, mode, tmp, &outlen);
        if (put(l, tmp, outlen) != 0)
            return -1;
        i += used;
    }
    return 0;
}


static int
is_reserved(const char *key)
{
    size_t i;

    for (i = 0; reserved[i]; i++)
        if (strcmp(key, reserved[i]) == 0)
            return 1;
    return 0;
}


/* Appends ,"key":"value" as a unit: either the key and some of the value, or nothing. */
static void
json_field(line_t *l, const char *key, const char *value, int check_reserved)
{
    size_t mark = l->len;

    if (l->full)
        return;
    if (put(l, ",\"", 2) != 0)
        goto undo;
    if (check_reserved && is_reserved(key) && put(l, "_", 1) != 0)
        goto undo;
    if (put_escaped(l, key, ESC_JSON) != 0 || put(l, "\":", 2) != 0)
        goto undo;
    if (!value) {
        if (put(l, "null", 4) != 0)
            goto undo;
        return;
    }
    if (put(l, "\"", 1) != 0)
        goto undo;
    put_escaped(l, value, ESC_JSON);
    put_tail(l, "\"", 1);
    return;
undo:
    l->len = mark;
    l->full = 1;
    l->cut = 1;
}


/* A text value is quoted when it is empty or holds a space, '=', '"' or anything escaped. */
static int
text_needs_quotes(const char *s)
{
    const unsigned char *p;

    if (*s == '\0')
        return 1;
    for (p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p == '=' || *p == '"' || *p == '\\' || *p == 0x7F)
            return 1;
    return 0;
}


/* A text key must stay one token: anything that would break k=v parsing becomes '_'. */
static int
text_key(line_t *l, const char *key)
{
    const unsigned char *p;
    char                 c;

    for (p = (const unsigned char *)key; *p && p - (const unsigned char *)key < 128; p++) {
        c = (*p <= ' ' || *p == '=' || *p == '"' || *p == '\\' || *p >= 0x7F) ? '_' : (char)*p;
        if (put(l, &c, 1) != 0)
            return -1;
    }
    return 0;
}


static void
text_field(line_t *l, const char *key, const char *value, int check_reserved)
{
    size_t mark = l->len;

    if (l->full)
        return;
    if (put(l, " ", 1) != 0)
        goto undo;
    if (check_reserved && is_reserved(key) && put(l, "_", 1) != 0)
        goto undo;
    if (text_key(l, key) != 0 || put(l, "=", 1) != 0)
        goto undo;
    if (!value) {
        if (put(l, "null", 4) != 0)
            goto undo;
        return;
    }
    if (!text_needs_quotes(value)) {
        put_escaped(l, value, ESC_BARE);
        return;
    }
    if (put(l, "\"", 1) != 0)
        goto undo;
    put_escaped(l, value, ESC_QUOTED);
    put_tail(l, "\"", 1);
    return;
undo:
    l->len = mark;
    l->full = 1;
    l->cut = 1;
}


/* 2026-11-23T09:00:00.123Z into buf (at least 32 bytes). */
static void
format_ts(char *buf, size_t len)
{
    struct timespec ts;
    struct tm       tm;
    char            sec[24];

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(sec, sizeof sec, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%03ldZ", sec, ts.tv_nsec / 1000000L);
}


static const char *
text_level(log_level level)
{
    switch (level) {
    case LOG_DEBUG: return "DEBUG";
    case LOG_INFO: return "INFO ";
    case LOG_WARN: return "WARN ";
    case LOG_ERROR: return "ERROR";
    }
    return "?????";
}


static void
format_json(line_t *l, const char *ts, log_level level, const char *controller, const char *key,
            const char *msg, const log_field *fields, size_t nfields)
{
    size_t i;

    /* The head always fits: ts and level are short and fixed. */
    puts_(l, "{\"ts\":\"");
    puts_(l, ts);
    puts_(l, "\",\"level\":\"");
    puts_(l, log_level_name(level));
    puts_(l, "\",\"msg\":\"");
    put_escaped(l, msg, ESC_JSON);
    put_tail(l, "\"", 1);
    if (controller)
        json_field(l, "controller", controller, 0);
    if (key)
        json_field(l, "key", key, 0);
    for (i = 0; i < nfields && i < LOG_MAX_FIELDS; i++)
        if (fields[i].key)
            json_field(l, fields[i].key, fields[i].value, 1);
    if (nfields > LOG_MAX_FIELDS)
        l->cut = 1;
    if (l->cut)
        put_tail(l, ",\"truncated\":true", 17);
    put_tail(l, "}\n", 2);
}


static void
format_text(line_t *l, const char *ts, log_level level, const char *controller, const char *key,
            const char *msg, const log_field *fields, size_t nfields)
{
    size_t i;

    puts_(l, ts);
    puts_(l, " ");
    puts_(l, text_level(level));
    puts_(l, " ");
    put_escaped(l, msg, ESC_BARE);
    if (controller)
        text_field(l, "controller", controller, 0);
    if (key)
        text_field(l, "key", key, 0);
    for (i = 0; i < nfields && i < LOG_MAX_FIELDS; i++)
        if (fields[i].key)
            text_field(l, fields[i].key, fields[i].value, 1);
    if (nfields > LOG_MAX_FIELDS)
        l->cut = 1;
    if (l->cut)
        put_tail(l, " truncated=true", 15);
    put_tail(l, "\n", 1);
}


/*
 * One write(2) for the whole line. A short write or EINTR continues where it stopped; a
 * full non-blocking descriptor gets a few short polls, then the line is dropped.
 */
static void
write_line(int fd, const char *p, size_t n)
{
    struct pollfd pfd;
    ssize_t       w;
    int           tries = 0;

    while (n > 0) {
        w = write(fd, p, n);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && tries++ < LOG_WRITE_TRIES) {
            pfd.fd = fd;
            pfd.events = POLLOUT;
            pfd.revents = 0;
            poll(&pfd, 1, LOG_POLL_MS);
            continue;
        }
        __atomic_add_fetch(&log_ndropped, 1, __ATOMIC_RELAXED);
        return;
    }
}


void
log_fields(log_level level, const char *controller, const char *key, const char *msg,
           const log_field *fields, size_t nfields)
{
    line_t l;
    char   ts[40];
    int    saved_errno = errno;

    if (level < log_cfg.level || level > LOG_ERROR)
        return;
    l.len = 0;
    l.limit = sizeof l.buf - LOG_RESERVE;
    l.full = 0;
    l.cut = 0;
    format_ts(ts, sizeof ts);
    if (!msg)
        msg = "";
    if (log_cfg.format == LOG_TEXT)
        format_text(&l, ts, level, controller, key, msg, fields, nfields);
    else
        format_json(&l, ts, level, controller, key, msg, fields, nfields);
    write_line(log_cfg.fd, l.buf, l.len);
    errno = saved_errno; /* callers often log and then report errno */
}


/* Collects NULL-terminated key, value pairs from ap into fields. */
static size_t
collect(va_list ap, log_field *fields)
{
    size_t      n = 0;
    const char *k, *v;

    while (n < LOG_MAX_FIELDS && (k = va_arg(ap, const char *)) != NULL) {
        v = va_arg(ap, const char *);
        fields[n].key = k;
        fields[n].value = v;
        n++;
        if (!v)
            break;
    }
    return n;
}


void
log_kv(log_level level, const char *msg, ...)
{
    log_field fields[LOG_MAX_FIELDS];
    size_t    n;
    va_list   ap;

    if (level < log_cfg.level)
        return;
    va_start(ap, msg);
    n = collect(ap, fields);
    va_end(ap);
    log_fields(level, NULL, NULL, msg, fields, n);
}


void
log_obj(log_level level, const char *controller, const char *key, const char *msg, ...)
{
    log_field fields[LOG_MAX_FIELDS];
    size_t    n;
    va_list   ap;

    if (level < log_cfg.level)
        return;
    va_start(ap, msg);
    n = collect(ap, fields);
    va_end(ap);
    log_fields(level, controller, key, msg, fields, n);
}
