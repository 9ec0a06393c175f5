#include "kjson.h"

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

/* 2^53: from here on a double no longer holds every integer. */
#define KJSON_EXACT_LIMIT 9007199254740992.0
#define KJSON_TWO_63      9223372036854775808.0
#define KJSON_INT64_CHARS 24

/* Exponents beyond this cannot matter: 10^29 units is the cap, 10^-9 the resolution. */
#define QTY_EXP_CLAMP      100000L
#define QTY_NANO_PER_UNIT  1000000000u
#define QTY_NANO_PER_MILLI 1000000u

__extension__ typedef unsigned __int128 kjson_u128;


/* Parses an optional '-' and decimal digits, nothing else, without overflow. */
static int
kjson_parse_int64_text(const char *s, int64_t *out)
{
    uint64_t mag = 0, limit = (uint64_t)INT64_MAX;
    int      neg = 0;

    if (*s == '-') {
        neg = 1;
        limit += 1;
        s++;
    }
    if (*s < '0' || *s > '9')
        return CORE_EINVAL;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return CORE_EINVAL;
        if (mag > (limit - (uint64_t)(*s - '0')) / 10)
            return CORE_EINVAL;
        mag = mag * 10 + (uint64_t)(*s - '0');
    }
    if (neg)
        *out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    else
        *out = (int64_t)mag;
    return CORE_OK;
}


int
kjson_get_int64(const cJSON *obj, const char *key, int64_t *out)
{
    if (!obj || !key)
        return CORE_ENOENT;
    return kjson_item_int64(cJSON_GetObjectItemCaseSensitive(obj, key), out);
}


int
kjson_item_int64(const cJSON *item, int64_t *out)
{
    double d;

    if (!item)
        return CORE_ENOENT;
    if (cJSON_IsRaw(item))
        return item->valuestring ? kjson_parse_int64_text(item->valuestring, out) : CORE_EINVAL;
    if (!cJSON_IsNumber(item))
        return CORE_EINVAL;
    d = item->valuedouble;
    /* The range check comes first so that the cast below is defined; NaN fails it too. */
    if (!(d >= -KJSON_TWO_63 && d < KJSON_TWO_63))
        return CORE_EINVAL;
    if ((double)(int64_t)d != d)
        return CORE_EINVAL;
    if (d >= KJSON_EXACT_LIMIT || d <= -KJSON_EXACT_LIMIT)
        return CORE_ETOOBIG;
    *out = (int64_t)d;
    return CORE_OK;
}


int
kjson_int_or(const cJSON *item, int lo, int hi, int dflt)
{
    int64_t v;

    if (kjson_item_int64(item, &v) != CORE_OK || v < lo || v > hi)
        return dflt;
    return (int)v;
}


cJSON *
kjson_create_int64(int64_t v)
{
    char buf[KJSON_INT64_CHARS];

    /* cJSON prints a number exactly only while it equals its clamped valueint. */
    if (v >= INT_MIN && v <= INT_MAX)
        return cJSON_CreateNumber((double)v);
    snprintf(buf, sizeof buf, "%" PRId64, v);
    return cJSON_CreateRaw(buf);
}


int
kjson_add_int64(cJSON *obj, const char *key, int64_t v)
{
    cJSON *item = NULL;

    if (!cJSON_IsObject(obj) || !key)
        return CORE_EINVAL;
    item = kjson_create_int64(v);
    if (!item)
        return CORE_ENOMEM;
    if (!cJSON_AddItemToObject(obj, key, item)) {
        cJSON_Delete(item);
        return CORE_ENOMEM;
    }
    return CORE_OK;
}


const char *
kjson_get_str(const cJSON *obj, const char *key)
{
    const cJSON *item;

    if (!obj || !key)
        return NULL;
    item = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}


int
kjson_get_bool(const cJSON *obj, const char *key, int *out)
{
    const cJSON *item;

    if (!obj || !key)
        return CORE_ENOENT;
    item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!item)
        return CORE_ENOENT;
    if (!cJSON_IsBool(item))
        return CORE_EINVAL;
    *out = cJSON_IsTrue(item) ? 1 : 0;
    return CORE_OK;
}


static cJSON *
kjson_vpath(const cJSON *obj, va_list ap)
{
    const char *key;
    cJSON      *cur = (cJSON *)obj; /* like strchr: the tree is the caller's */

    while (cur && (key = va_arg(ap, const char *)) != NULL) {
        if (!cJSON_IsObject(cur))
            return NULL;
        cur = cJSON_GetObjectItemCaseSensitive(cur, key);
    }
    return cur;
}


cJSON *
kjson_path(const cJSON *obj, ...)
{
    va_list ap;
    cJSON  *item;

    va_start(ap, obj);
    item = kjson_vpath(obj, ap);
    va_end(ap);
    return item;
}


void
kjson_keep(cJSON *obj, const char *const *keep, size_t n)
{
    cJSON *it, *next;
    size_t i;

    for (it = cJSON_IsObject(obj) ? obj->child : NULL; it; it = next) {
        next = it->next;
        for (i = 0; it->string && i < n && strcmp(it->string, keep[i]) != 0; i++)
            ;
        if (i == n)
            cJSON_Delete(cJSON_DetachItemViaPointer(obj, it));
    }
}


const char *
kjson_path_str(const cJSON *obj, ...)
{
    va_list ap;
    cJSON  *item;

    va_start(ap, obj);
    item = kjson_vpath(obj, ap);
    va_end(ap);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}


char *
kjson_strdup_path(const cJSON *obj, ...)
{
    va_list ap;
    cJSON  *item;

    va_start(ap, obj);
    item = kjson_vpath(obj, ap);
    va_end(ap);
    return cJSON_IsString(item) ? strdup(item->valuestring) : NULL;
}


const char *
kjson_resource_version(const cJSON *obj)
{
    return kjson_path_str(obj, "metadata", "resourceVersion", NULL);
}


/* ---- quantities ------------------------------------------------------------------- */


static int
qty_is_digit(char c)
{
    return c >= '0' && c <= '9';
}


/*
 * Reads the suffix at s: a power of ten (*exp10) and/or of 1024 (*bin). The suffix must
 * run to the end of the string.
 */
static int
qty_suffix(const char *s, long *exp10, int *bin, kjson_qty_format *fmt)
{
    static const char binary[] = "KMGTPE";
    const char       *b;
    long              e = 0;
    int               neg = 0;

    *exp10 = 0;
    *bin = 0;
    *fmt = KJSON_QTY_DECIMAL_SI;
    if (s[0] == '\0')
        return CORE_OK;
    if (s[1] == 'i' && s[2] == '\0' && (b = strchr(binary, s[0])) != NULL) {
        *bin = (int)(b - binary) + 1;
        *fmt = KJSON_QTY_BINARY_SI;
        return CORE_OK;
    }
    if (s[1] == '\0') {
        switch (s[0]) {
        case 'n': *exp10 = -9; return CORE_OK;
        case 'u': *exp10 = -6; return CORE_OK;
        case 'm': *exp10 = -3; return CORE_OK;
        case 'k': *exp10 = 3; return CORE_OK;
        case 'M': *exp10 = 6; return CORE_OK;
        case 'G': *exp10 = 9; return CORE_OK;
        case 'T': *exp10 = 12; return CORE_OK;
        case 'P': *exp10 = 15; return CORE_OK;
        case 'E': *exp10 = 18; return CORE_OK;
        default: return CORE_EINVAL;
        }
    }
    if (s[0] != 'e' && s[0] != 'E')
        return CORE_EINVAL;
    s++;
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    if (!qty_is_digit(*s))
        return CORE_EINVAL;
    for (; *s; s++) {
        if (!qty_is_digit(*s))
            return CORE_EINVAL;
        if (e < QTY_EXP_CLAMP)
            e = e * 10 + (*s - '0');
    }
    if (e > QTY_EXP_CLAMP)
        e = QTY_EXP_CLAMP;
    *exp10 = neg ? -e : e;
    *fmt = KJSON_QTY_DECIMAL_EXP;
    return CORE_OK;
}


/*
 * The value is the significant digits D times 10^p10 times 1024^bin, in nano-units. D is
 * kept as decimal digits (least significant first) so that multiplying by 2^(10*bin) and
 * splitting off the sub-nano fraction are exact whatever the length: no double, no
 * intermediate overflow. The fraction, if any, rounds the magnitude up.
 */
int
kjson_quantity_parse(const char *s, kjson_quantity *q)
{
    unsigned char    d[KJSON_QTY_MAX_DIGITS + 20];
    const char      *p, *ip, *fp = "";
    size_t           ilen, flen = 0, total, first, last, n, i;
    long             exp10, p10, k;
    int              neg = 0, bin, carry, frac = 0, rc;
    kjson_qty_format fmt;
    kjson_u128       mag = 0;

    if (!s)
        return CORE_EINVAL;
    p = s;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    ip = p;
    while (qty_is_digit(*p))
        p++;
    ilen = (size_t)(p - ip);
    if (*p == '.') {
        fp = ++p;
        while (qty_is_digit(*p))
            p++;
        flen = (size_t)(p - fp);
    }
    if (ilen + flen == 0)
        return CORE_EINVAL;
    rc = qty_suffix(p, &exp10, &bin, &fmt);
    if (rc)
        return rc;

    /* Locate the significant digits in int part followed by fraction part. */
    total = ilen + flen;
#define QTY_DIGIT(j) ((j) < ilen ? ip[(j)] : fp[(j)-ilen])
    for (first = 0; first < total && QTY_DIGIT(first) == '0'; first++)
        ;
    if (first == total) {
        q->nano = 0;
        q->format = fmt;
        return CORE_OK;
    }
    for (last = total - 1; QTY_DIGIT(last) == '0'; last--)
        ;
    n = last - first + 1;
    if (n > KJSON_QTY_MAX_DIGITS)
        return CORE_ETOOBIG;
    for (i = 0; i < n; i++)
        d[i] = (unsigned char)(QTY_DIGIT(last - i) - '0');
#undef QTY_DIGIT
    p10 = exp10 + 9 - (long)flen + (long)(total - 1 - last);

    /* Times 2^(10*bin), one doubling at a time: at most 60 passes over 120 digits. */
    for (k = 0; k < 10L * bin; k++) {
        carry = 0;
        for (i = 0; i < n; i++) {
            int v = d[i] * 2 + carry;

            d[i] = (unsigned char)(v % 10);
            carry = v / 10;
        }
        if (carry)
            d[n++] = (unsigned char)carry;
    }

    /* n + p10 integer digits: more than 38 means 10^38 nano or more. */
    if ((long)n + p10 > 38)
        return CORE_ETOOBIG;
    for (i = n; i-- > 0;) {
        if (p10 < 0 && (long)i < -p10)
            frac |= d[i];
        else
            mag = mag * 10 + d[i];
    }
    for (k = 0; k < p10; k++)
        mag *= 10;
    if (frac)
        mag++;
    if (mag >= (kjson_u128)KJSON_QTY_MAX_NANO)
        return CORE_ETOOBIG;
    q->nano = neg ? -(kjson_i128)mag : (kjson_i128)mag;
    q->format = fmt;
    return CORE_OK;
}


int
kjson_quantity_cmp(const kjson_quantity *a, const kjson_quantity *b)
{
    if (a->nano < b->nano)
        return -1;
    return a->nano > b->nano ? 1 : 0;
}


/* |nano| / per, rounded away from zero, into an int64. */
static int
qty_scaled(const kjson_quantity *q, kjson_u128 per, int64_t *out)
{
    int        neg = q->nano < 0;
    kjson_u128 mag = neg ? (kjson_u128)(-q->nano) : (kjson_u128)q->nano;
    kjson_u128 whole = mag / per + (mag % per != 0);

    if (whole > (kjson_u128)INT64_MAX + neg)
        return CORE_ETOOBIG;
    if (neg)
        *out = whole == (kjson_u128)INT64_MAX + 1 ? INT64_MIN : -(int64_t)whole;
    else
        *out = (int64_t)whole;
    return CORE_OK;
}


int
kjson_quantity_bytes(const kjson_quantity *q, int64_t *out)
{
    return qty_scaled(q, QTY_NANO_PER_UNIT, out);
}


int
kjson_quantity_milli(const kjson_quantity *q, int64_t *out)
{
    return qty_scaled(q, QTY_NANO_PER_MILLI, out);
}


/* Appends the decimal digits of v at *pos; the caller checked the room. */
static void
qty_put_u128(char *buf, size_t *pos, kjson_u128 v)
{
    char   tmp[40];
    size_t n = 0;

    do {
        tmp[n++] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v);
    while (n)
        buf[(*pos)++] = tmp[--n];
}


int
kjson_quantity_format(const kjson_quantity *q, char *buf, size_t len)
{
    static const char *const bin_sfx[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    static const char *const dec_sfx[] = {"n", "u", "m", "", "k", "M", "G", "T", "P", "E"};
    char                     out[KJSON_QTY_STRLEN];
    const char              *sfx = "";
    char                     exp_sfx[16];
    size_t                   pos = 0, slen;
    int                      neg = q->nano < 0, k = 0, e = -9;
    kjson_u128               mag = neg ? (kjson_u128)(-q->nano) : (kjson_u128)q->nano;

    if (neg)
        out[pos++] = '-';
    if (mag == 0) {
        pos = 0;
    } else if (q->format == KJSON_QTY_BINARY_SI && mag % QTY_NANO_PER_UNIT == 0) {
        mag /= QTY_NANO_PER_UNIT;
        while (k < 6 && mag % 1024 == 0) {
            mag /= 1024;
            k++;
        }
        sfx = bin_sfx[k];
    } else {
        while (mag % 1000 == 0 && (q->format == KJSON_QTY_DECIMAL_EXP || e < 18)) {
            mag /= 1000;
            e += 3;
        }
        if (q->format == KJSON_QTY_DECIMAL_EXP) {
            exp_sfx[0] = '\0';
            if (e != 0)
                snprintf(exp_sfx, sizeof exp_sfx, "e%d", e);
            sfx = exp_sfx;
        } else {
            sfx = dec_sfx[(e + 9) / 3];
        }
    }
    qty_put_u128(out, &pos, mag);
    slen = strlen(sfx);
    memcpy(out + pos, sfx, slen + 1);
    pos += slen;
    if (pos + 1 > len) {
        if (len)
            buf[0] = '\0';
        return CORE_ETOOBIG;
    }
    memcpy(buf, out, pos + 1);
    return CORE_OK;
}


int
kjson_get_quantity(const cJSON *obj, const char *key, kjson_quantity *q)
{
    const cJSON *item;
    char         num[40];

    if (!obj || !key)
        return CORE_ENOENT;
    item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!item)
        return CORE_ENOENT;
    if (cJSON_IsString(item))
        return kjson_quantity_parse(item->valuestring, q);
    if (!cJSON_IsNumber(item))
        return CORE_EINVAL;
    /* The shortest of 15 or 17 digits that gives the double back, as cJSON prints it. */
    snprintf(num, sizeof num, "%.15g", item->valuedouble);
    if (strtod(num, NULL) != item->valuedouble)
        snprintf(num, sizeof num, "%.17g", item->valuedouble);
    return kjson_quantity_parse(num, q);
}
