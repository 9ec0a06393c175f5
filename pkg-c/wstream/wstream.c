#include "wstream.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kjson/kjson.h"


static const struct {
    const char *name;
    ws_type     type;
} ws_types[] = {
    {"ADDED", WS_ADDED},       {"MODIFIED", WS_MODIFIED}, {"DELETED", WS_DELETED},
    {"BOOKMARK", WS_BOOKMARK}, {"ERROR", WS_ERROR},
};


void
ws_init(ws_parser *p, size_t max_line, ws_event_cb on_event, void *data)
{
    memset(p, 0, sizeof *p);
    p->max_line = max_line ? max_line : WS_DEFAULT_MAX_LINE;
    p->on_event = on_event;
    p->data = data;
    core_buf_init(&p->line, p->max_line);
}


void
ws_reset(ws_parser *p)
{
    /* Freed rather than kept: one long line must not pin its memory for the next stream. */
    core_buf_free(&p->line);
    p->lineno = 0;
    p->events = 0;
    p->err = CORE_OK;
    p->errmsg[0] = '\0';
}


void
ws_free(ws_parser *p)
{
    core_buf_free(&p->line);
}


const char *
ws_errmsg(const ws_parser *p)
{
    return p->errmsg;
}


const char *
ws_type_name(ws_type t)
{
    size_t i;

    for (i = 0; i < sizeof ws_types / sizeof ws_types[0]; i++)
        if (ws_types[i].type == t)
            return ws_types[i].name;
    return "UNKNOWN";
}


/* Records err (sticky) and a message naming the line at fault; returns err. */
__attribute__((format(printf, 3, 4))) static int
ws_fail(ws_parser *p, int err, const char *fmt, ...)
{
    va_list ap;
    int     n;

    p->err = err;
    n = snprintf(p->errmsg, sizeof p->errmsg, "watch line %lu: ", p->lineno);
    if (n < 0 || (size_t)n >= sizeof p->errmsg)
        n = 0;
    va_start(ap, fmt);
    vsnprintf(p->errmsg + n, sizeof p->errmsg - (size_t)n, fmt, ap);
    va_end(ap);
    core_buf_reset(&p->line);
    return err;
}


/*
 * Eight bytes at a time while the text is printable ASCII (0x20..0x7f): subtracting 0x20
 * from each byte borrows, setting its top bit, exactly when a byte is below 0x20 (a borrow
 * into the next byte can only add false alarms, which the byte loop then clears), and a
 * byte of 0x80 or more has its top bit set already.
 */
int
ws_text_valid(const char *s, size_t n, size_t *bad)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t               i = 0, len, k;
    unsigned char        c, lo, hi;
    uint64_t             w;

    while (i < n) {
        while (n - i >= 8) {
            memcpy(&w, u + i, 8);
            if (((w - 0x2020202020202020ull) | w) & 0x8080808080808080ull)
                break;
            i += 8;
        }
        if (i == n)
            break;
        c = u[i];
        if (c < 0x80) {
            if (c < 0x20 && c != '\t' && c != '\r')
                goto bad;
            i++;
            continue;
        }
        /* RFC 3629's table; lo..hi bound the second byte, which rules out overlong
         * forms (E0, F0), surrogates (ED) and code points past U+10FFFF (F4). */
        lo = 0x80;
        hi = 0xbf;
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            if (c == 0xe0)
                lo = 0xa0;
            else if (c == 0xed)
                hi = 0x9f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            if (c == 0xf0)
                lo = 0x90;
            else if (c == 0xf4)
                hi = 0x8f;
        } else {
            goto bad;
        }
        if (n - i < len || u[i + 1] < lo || u[i + 1] > hi)
            goto bad;
        for (k = 2; k < len; k++)
            if ((u[i + k] & 0xc0) != 0x80)
                goto bad;
        i += len;
    }
    return 1;
bad:
    if (bad)
        *bad = i;
    return 0;
}


static int
ws_is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}


/* Fills the event's shortcuts from the object; every pointer stays inside it. */
static void
ws_event_fill(ws_event *ev)
{
    cJSON *meta, *item;

    meta = cJSON_GetObjectItemCaseSensitive(ev->object, "metadata");
    ev->resource_version =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "resourceVersion"));
    if (ev->type != WS_ERROR)
        return;
    item = cJSON_GetObjectItemCaseSensitive(ev->object, "code");
    /* Range-checked: a hostile 1e400 must not become undefined behaviour in a cast. */
    if (cJSON_IsNumber(item) && isfinite(item->valuedouble) && item->valuedouble >= 0 &&
        item->valuedouble <= 999)
        ev->code = (int)item->valuedouble;
    ev->reason = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ev->object, "reason"));
    ev->message = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ev->object, "message"));
}


/* Whether the event has exactly one member named "object" (as cJSON decodes names). */
static int
one_object(const cJSON *root)
{
    const cJSON *it;
    int          n = 0;

    for (it = root->child; it; it = it->next)
        n += it->string && strcmp(it->string, "object") == 0;
    return n == 1;
}


/* Sets obj->n to the length of the object's text that starts at obj->p in the event text
 * (len bytes, parsed whole into root, whose only "object" member it is): when that member is
 * the event's last, as the API server writes it, it ends where the event's '}' and the
 * blanks before it begin; else it is scanned for. 0 when it cannot be said. */
static int
object_end(const cJSON *root, const char *text, size_t len, kjson_span *obj)
{
    const cJSON *last = root->child;
    const char  *q = text + len, *p = obj->p;
    kjson_span   found, unused;

    while (last && last->next)
        last = last->next;
    if (!last || !last->string || strcmp(last->string, "object") != 0) {
        if (!kjson_member(text, text + len, "object", &found, &unused) || found.p != p)
            return 0;
        obj->n = found.n;
        return 1;
    }
    while (q > p && ws_is_blank(q[-1]))
        q--;
    if (q == p || q[-1] != '}')
        return 0;
    q--; /* the event's own '}' */
    while (q > p && ws_is_blank(q[-1]))
        q--;
    if (q == p || q[-1] != '}')
        return 0;
    obj->n = (size_t)(q - p);
    return 1;
}


/* The offset in the line as received (s) of at, a position in text: the line itself, or its
 * copy without cut. */
static size_t
line_offset(const char *text, const char *at, const char *s, const kjson_span *cut)
{
    size_t off = (size_t)(at - text);

    if (text != s && off >= (size_t)(cut->p - s))
        off += cut->n;
    return off;
}


/*
 * Handles one complete line s[0..n), without its '\n'. s may point into the caller's chunk:
 * cJSON is told the length, so nothing past s[n - 1] is read as part of the line.
 */
static int
ws_line(ws_parser *p, const char *s, size_t n)
{
    cJSON      *root = NULL, *type;
    const char *end = NULL, *name, *text;
    char       *copy = NULL;
    kjson_span  obj, cut = {NULL, 0};
    ws_event    ev;
    size_t      i, bad, len;
    int         rc = CORE_OK, has_obj, pooled = 0;

    p->lineno++;
    for (i = 0; i < n && ws_is_blank(s[i]); i++)
        ;
    if (i == n)
        return CORE_OK;
    if (!ws_text_valid(s, n, &bad))
        return ws_fail(p, CORE_EPROTO, "invalid UTF-8 or a raw control byte at byte %zu", bad);

    text = s;
    len = n;
    /* Nobody reads managedFields, often half an object's bytes: it is left out before the
     * parse rather than parsed and deleted (kjson_managed_fields). Out of memory, the whole
     * line is parsed as before. The object is taken to run to the line's end until the parse
     * has said where it ends (object_end): here only the members before its metadata and
     * metadata's up to managedFields are scanned. */
    has_obj = kjson_member_at(s, s + n, "object", &obj.p);
    obj.n = has_obj ? (size_t)(s + n - obj.p) : 0;
    if (has_obj && kjson_managed_fields(obj.p, obj.n, &cut) &&
        (copy = kjson_without(s, n, &cut, &len))) {
        text = copy;
        obj.p = copy + (obj.p - s); /* the cut lies inside the object */
        obj.n -= cut.n;
    }
    pooled = kjson_pool_take(p->pool);
    root = pooled ? kjson_pool_parse_end(p->pool, text, len, &end)
                  : cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!root) {
        rc = ws_fail(p, CORE_EPROTO, "invalid JSON near byte %zu",
                     end && end >= text && end <= text + len ? line_offset(text, end, s, &cut)
                                                             : (size_t)0);
        goto out;
    }
    while (end < text + len && ws_is_blank(*end))
        end++;
    if (end != text + len) {
        rc = ws_fail(p, CORE_EPROTO, "data after the event at byte %zu",
                     line_offset(text, end, s, &cut));
        goto out;
    }
    if (!cJSON_IsObject(root)) {
        rc = ws_fail(p, CORE_EPROTO, "the event is not a JSON object");
        goto out;
    }

    memset(&ev, 0, sizeof ev);
    type = cJSON_GetObjectItemCaseSensitive(root, "type");
    name = cJSON_GetStringValue(type);
    for (i = 0; name && i < sizeof ws_types / sizeof ws_types[0]; i++) {
        if (strcmp(name, ws_types[i].name) == 0) {
            ev.type = ws_types[i].type;
            break;
        }
    }
    if (!ev.type) {
        rc = ws_fail(p, CORE_EPROTO, "missing or unknown event type");
        goto out;
    }
    ev.object = cJSON_GetObjectItemCaseSensitive(root, "object");
    if (!cJSON_IsObject(ev.object)) {
        rc = ws_fail(p, CORE_EPROTO, "%s event without an object", ws_types[i].name);
        goto out;
    }
    ws_event_fill(&ev);
    ev.pool = pooled ? p->pool : NULL;
    /* The scanner found the first member written "object"; cJSON the first whose name
     * decodes to it ("obj\u0065ct"): the same one only if there is one of them. */
    if (has_obj && one_object(root) && object_end(root, text, len, &obj)) {
        ev.object_text = obj.p;
        ev.object_len = obj.n;
    }

    p->in_callback = 1;
    rc = p->on_event(&ev, p->data);
    p->in_callback = 0;
    if (rc == WS_TAKE && pooled) {
        rc = ws_fail(p, CORE_EINVAL, "the event handler took a pooled object");
        goto out;
    }
    if (rc == WS_TAKE) {
        cJSON_DetachItemViaPointer(root, ev.object);
        rc = CORE_OK;
    }
    if (rc < 0) {
        rc = ws_fail(p, rc, "the event handler stopped the stream (%s)", core_strerror(rc));
        goto out;
    }
    rc = CORE_OK;
    p->events++;
out:
    if (pooled)
        kjson_pool_give(p->pool);
    else
        cJSON_Delete(root);
    free(copy);
    return rc;
}


int
ws_feed(ws_parser *p, const char *chunk, size_t n)
{
    const char *s = chunk, *end = chunk + n, *nl;
    size_t      take;
    int         rc;

    if (p->in_callback)
        return CORE_EINVAL;
    if (p->err)
        return p->err;
    if (n == 0)
        return CORE_OK;

    if (p->line.len) {
        /* Finish the carried line; only the new bytes are searched for its end. */
        nl = memchr(s, '\n', n);
        take = nl ? (size_t)(nl - s) : n;
        if (take > p->max_line - p->line.len) {
            p->lineno++;
            return ws_fail(p, CORE_ETOOBIG, "longer than %zu bytes", p->max_line);
        }
        rc = core_buf_add(&p->line, s, take);
        if (rc) {
            p->lineno++;
            return ws_fail(p, rc, "cannot buffer the line (%s)", core_strerror(rc));
        }
        if (!nl)
            return CORE_OK;
        rc = ws_line(p, p->line.data, p->line.len);
        core_buf_reset(&p->line);
        if (rc)
            return rc;
        s = nl + 1;
    }

    /* Whole lines inside the chunk are parsed where they lie. */
    while (s < end && (nl = memchr(s, '\n', (size_t)(end - s))) != NULL) {
        if ((size_t)(nl - s) > p->max_line) {
            p->lineno++;
            return ws_fail(p, CORE_ETOOBIG, "longer than %zu bytes", p->max_line);
        }
        rc = ws_line(p, s, (size_t)(nl - s));
        if (rc)
            return rc;
        s = nl + 1;
    }

    if (s < end) {
        if ((size_t)(end - s) > p->max_line) {
            p->lineno++;
            return ws_fail(p, CORE_ETOOBIG, "longer than %zu bytes", p->max_line);
        }
        rc = core_buf_add(&p->line, s, (size_t)(end - s));
        if (rc) {
            p->lineno++;
            return ws_fail(p, rc, "cannot buffer the line (%s)", core_strerror(rc));
        }
    }
    return CORE_OK;
}


int
ws_finish(ws_parser *p)
{
    static const char cut[] = "stream ended inside a line: ";
    char              msg[sizeof p->errmsg];
    int               rc;

    if (p->in_callback)
        return CORE_EINVAL;
    if (p->err)
        return p->err;
    if (p->line.len) {
        rc = ws_line(p, p->line.data, p->line.len);
        core_buf_reset(&p->line);
        if (rc == CORE_EPROTO) {
            /* Most likely the connection broke mid-event: say so. */
            memcpy(msg, p->errmsg, sizeof msg);
            snprintf(p->errmsg, sizeof p->errmsg, "%s%.*s", cut,
                     (int)(sizeof p->errmsg - sizeof cut), msg);
        }
        if (rc)
            return rc;
    }
    ws_reset(p);
    return CORE_OK;
}
