/* kjson_scan: JSON text walked without building a tree (see kjson.h, "Raw JSON text"). */
#include "kjson/kjson.h"

#include <stdlib.h>
#include <string.h>


const char *
kjson_skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}


const char *
kjson_skip_string(const char *p, const char *end)
{
    const char *start = ++p, *q, *b;

    /* Strings are most of an object's bytes: find each quote with memchr, then tell an
     * escaped one (an odd run of backslashes before it) from the end. */
    while (p < end && (q = memchr(p, '"', (size_t)(end - p)))) {
        for (b = q; b > start && b[-1] == '\\'; b--)
            ;
        if ((q - b) % 2 == 0)
            return q + 1;
        p = q + 1;
    }
    return NULL;
}


static int
is_scalar_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' ||
           c == 'E';
}


const char *
kjson_skip_value(const char *p, const char *end)
{
    char   closer[KJSON_SCAN_DEPTH_MAX]; /* the bracket that closes each open level */
    size_t depth = 0;

    do {
        if (p >= end)
            return NULL;
        if (*p == '"') {
            if (!(p = kjson_skip_string(p, end)))
                return NULL;
        } else if (*p == '{' || *p == '[') {
            if (depth == KJSON_SCAN_DEPTH_MAX)
                return NULL;
            closer[depth++] = *p == '{' ? '}' : ']';
            p++;
        } else if (*p == '}' || *p == ']') {
            if (depth == 0 || closer[--depth] != *p)
                return NULL;
            p++;
        } else if (is_scalar_char(*p)) {
            while (p < end && is_scalar_char(*p))
                p++;
        } else if (depth > 0 &&
                   (*p == ',' || *p == ':' || *p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) {
            p++;
        } else {
            return NULL;
        }
    } while (depth > 0);
    return p;
}


int
kjson_key_is(const char *k, size_t n, const char *want)
{
    return n == strlen(want) && memcmp(k, want, n) == 0;
}


/* Walks the members of the object at p up to the first named key, skipping the values of
 * those before it: 1 with *member at its key's opening quote, *v at its value (not scanned)
 * and *prev_end at the end of the value before it (NULL for the first member); 0 as
 * kjson_member says, for the text up to the member's value. */
static int
find_member(const char *p, const char *end, const char *key, const char **member, const char **v,
            const char **prev_end)
{
    const char *k, *kend, *vend, *after;

    *prev_end = NULL;
    p = kjson_skip_ws(p, end);
    if (p >= end || *p != '{')
        return 0;
    p = kjson_skip_ws(p + 1, end);
    if (p < end && *p == '}')
        return 0;
    for (;;) {
        if (p >= end || *p != '"' || !(kend = kjson_skip_string(p, end)))
            return 0;
        k = p + 1;
        *v = kjson_skip_ws(kend, end);
        if (*v >= end || **v != ':')
            return 0;
        *v = kjson_skip_ws(*v + 1, end);
        if (kjson_key_is(k, (size_t)(kend - 1 - k), key)) {
            *member = p;
            return 1;
        }
        if (!(vend = kjson_skip_value(*v, end)))
            return 0;
        after = kjson_skip_ws(vend, end);
        if (after >= end || *after != ',')
            return 0;
        *prev_end = vend;
        p = kjson_skip_ws(after + 1, end);
    }
}


int
kjson_member(const char *p, const char *end, const char *key, kjson_span *value, kjson_span *cut)
{
    const char *m, *v, *vend, *after, *next = NULL, *prev_end;

    if (!find_member(p, end, key, &m, &v, &prev_end) || !(vend = kjson_skip_value(v, end)))
        return 0;
    after = kjson_skip_ws(vend, end);
    value->p = v;
    value->n = (size_t)(vend - v);
    /* What follows must be another member or the end: a cut never turns text that is not
     * JSON (a comma missing, one too many) into JSON. */
    if (after < end && *after == ',') {
        next = kjson_skip_ws(after + 1, end);
        if (next >= end || *next != '"')
            return 0;
    } else if (after >= end || *after != '}') {
        return 0;
    }
    if (prev_end) { /* `, "key": value` */
        cut->p = prev_end;
        cut->n = (size_t)(vend - prev_end);
    } else if (*after == ',') { /* `"key": value, ` */
        cut->p = m;
        cut->n = (size_t)(next - m);
    } else { /* the only member */
        cut->p = m;
        cut->n = (size_t)(vend - m);
    }
    return 1;
}


int
kjson_member_at(const char *p, const char *end, const char *key, const char **value)
{
    const char *m, *prev_end;

    return find_member(p, end, key, &m, value, &prev_end);
}


int
kjson_managed_fields(const char *obj, size_t n, kjson_span *cut)
{
    const char *meta;
    kjson_span  mf;

    /* metadata's members are walked only up to managedFields: its end is not looked for. */
    return kjson_member_at(obj, obj + n, "metadata", &meta) &&
           kjson_member(meta, obj + n, "managedFields", &mf, cut);
}


char *
kjson_without(const char *s, size_t n, const kjson_span *cut, size_t *len)
{
    size_t head;
    char  *out;

    if (!cut->p || cut->p < s || cut->p > s + n)
        return NULL;
    head = (size_t)(cut->p - s);
    if (cut->n > n - head || !(out = malloc(n - cut->n + 1)))
        return NULL;
    memcpy(out, s, head);
    memcpy(out + head, cut->p + cut->n, n - head - cut->n);
    out[n - cut->n] = '\0';
    *len = n - cut->n;
    return out;
}
