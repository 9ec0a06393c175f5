#include "core.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


const char *
core_strerror(int err)
{
    switch (err) {
    case CORE_OK: return "ok";
    case CORE_ENOMEM: return "out of memory";
    case CORE_EINVAL: return "invalid input";
    case CORE_ETOOBIG: return "too large";
    case CORE_ENOENT: return "not found";
    case CORE_EIO: return "i/o error";
    case CORE_ETLS: return "tls error";
    case CORE_ECONN: return "connection error";
    case CORE_ETIMEDOUT: return "timed out";
    case CORE_EHTTP: return "unexpected http status";
    case CORE_EPROTO: return "protocol error";
    case CORE_ECANCELED: return "cancelled";
    case CORE_EINTERNAL: return "internal error";
    case CORE_EAUTH: return "authentication failed";
    case CORE_ECONFLICT: return "conflict";
    }
    return "unknown error";
}


void
core_buf_init(core_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}


void
core_buf_free(core_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}


void
core_buf_reset(core_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}


/* Makes room for n more bytes plus a NUL; doubles so appends stay linear overall. */
static int
buf_grow(core_buf *b, size_t n)
{
    size_t need, cap;
    char  *p;

    if (n > b->max || b->len > b->max - n) {
        core_buf_free(b);
        return CORE_ETOOBIG;
    }
    need = b->len + n + 1;
    if (need <= b->cap)
        return CORE_OK;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    p = realloc(b->data, cap);
    if (!p) {
        core_buf_free(b);
        return CORE_ENOMEM;
    }
    b->data = p;
    b->cap = cap;
    return CORE_OK;
}


int
core_buf_add(core_buf *b, const void *p, size_t n)
{
    int rc = buf_grow(b, n);

    if (rc)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return CORE_OK;
}


int
core_buf_printf(core_buf *b, const char *fmt, ...)
{
    va_list ap;
    int     n, rc;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        core_buf_free(b);
        return CORE_EINVAL;
    }
    rc = buf_grow(b, (size_t)n);
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return CORE_OK;
}


char *
core_buf_take(core_buf *b)
{
    char *p = b->data;

    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}


static int
b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}


int
core_b64_decode(const char *in, size_t n, unsigned char **out, size_t *outlen)
{
    unsigned char *dst = NULL;
    size_t         i, o = 0, pad = 0, quantum = 0;
    uint32_t       acc = 0;
    int            rc = CORE_EINVAL;

    *out = NULL;
    *outlen = 0;
    dst = malloc(n / 4 * 3 + 4);
    if (!dst)
        return CORE_ENOMEM;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        int           v;

        if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            continue;
        if (c == '=') {
            /* Padding only completes a quantum of 2 or 3 symbols. */
            if (quantum < 2 || quantum + pad >= 4)
                goto out;
            pad++;
            continue;
        }
        if (pad)
            goto out; /* data after padding */
        v = b64_value(c);
        if (v < 0)
            goto out;
        acc = (acc << 6) | (uint32_t)v;
        if (++quantum == 4) {
            dst[o++] = (unsigned char)(acc >> 16);
            dst[o++] = (unsigned char)(acc >> 8);
            dst[o++] = (unsigned char)acc;
            acc = 0;
            quantum = 0;
        }
    }
    if (pad && quantum + pad != 4)
        goto out;
    if (quantum == 1)
        goto out;
    if (quantum == 2) {
        dst[o++] = (unsigned char)(acc >> 4);
    } else if (quantum == 3) {
        dst[o++] = (unsigned char)(acc >> 10);
        dst[o++] = (unsigned char)(acc >> 2);
    }
    dst[o] = '\0';
    *out = dst;
    *outlen = o;
    dst = NULL;
    rc = CORE_OK;
out:
    free(dst);
    return rc;
}


int
core_read_file(const char *path, size_t max, char **out, size_t *outlen)
{
    FILE    *f = NULL;
    core_buf b;
    char     chunk[8192];
    size_t   n;
    int      rc = CORE_OK;

    *out = NULL;
    *outlen = 0;
    core_buf_init(&b, max);
    f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? CORE_ENOENT : CORE_EIO;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        rc = core_buf_add(&b, chunk, n);
        if (rc)
            goto out;
    }
    if (ferror(f)) {
        rc = CORE_EIO;
        goto out;
    }
    if (!b.data) {
        rc = core_buf_add(&b, "", 0);
        if (rc)
            goto out;
    }
    *outlen = b.len;
    *out = core_buf_take(&b);
out:
    core_buf_free(&b);
    fclose(f);
    return rc;
}


void
core_now_rfc3339(char *buf, size_t len)
{
    time_t    now = time(NULL);
    struct tm tm;

    gmtime_r(&now, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}


static const char pct_hex[] = "0123456789ABCDEF";


/* RFC 3986 section 2.3. */
static int
unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}


int
core_pct_equal(const char *enc, size_t n, const char *s)
{
    size_t i = 0;

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (unreserved(c)) {
            if (i >= n || (unsigned char)enc[i] != c)
                return 0;
            i++;
        } else {
            if (n - i < 3 || enc[i] != '%' || enc[i + 1] != pct_hex[c >> 4] ||
                enc[i + 2] != pct_hex[c & 15])
                return 0;
            i += 3;
        }
    }
    return i == n;
}


int
core_pct_encode(core_buf *b, const char *s)
{
    const char *hex = pct_hex;
    int         rc = CORE_OK;

    for (; *s && !rc; s++) {
        unsigned char c = (unsigned char)*s;

        if (unreserved(c)) {
            rc = core_buf_add(b, s, 1);
        } else {
            char enc[3] = {'%', hex[c >> 4], hex[c & 15]};

            rc = core_buf_add(b, enc, 3);
        }
    }
    return rc;
}
