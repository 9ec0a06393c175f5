/*
 * libFuzzer target for Kubernetes quantities (kjson_quantity_*). The input is split at its
 * first NUL into two strings. Oracles besides the sanitizers: a parsed quantity formats
 * (KJSON_QTY_STRLEN always suffices) and the formatted text parses to an equal value (the
 * header's promise); comparison is antisymmetric and agrees with equality of the
 * canonical forms; bytes and milli never fail other than with CORE_ETOOBIG.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "kjson/kjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
parse_checked(const char *s, kjson_quantity *q, char *canon)
{
    kjson_quantity back;
    int64_t        v;
    int            rc;

    if (kjson_quantity_parse(s, q) != CORE_OK)
        return 0;
    if (kjson_quantity_format(q, canon, KJSON_QTY_STRLEN) != CORE_OK)
        abort();
    if (kjson_quantity_parse(canon, &back) != CORE_OK || kjson_quantity_cmp(q, &back) != 0)
        abort();
    rc = kjson_quantity_bytes(q, &v);
    if (rc != CORE_OK && rc != CORE_ETOOBIG)
        abort();
    rc = kjson_quantity_milli(q, &v);
    if (rc != CORE_OK && rc != CORE_ETOOBIG)
        abort();
    return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char          *a = malloc(size + 1), *b;
    kjson_quantity qa, qb;
    char           ca[KJSON_QTY_STRLEN], cb[KJSON_QTY_STRLEN];
    int            oka, okb;

    if (!a)
        return 0;
    memcpy(a, data, size);
    a[size] = '\0';
    b = a + strlen(a);
    if ((size_t)(b - a) < size)
        b++; /* the text after the first NUL */
    oka = parse_checked(a, &qa, ca);
    okb = parse_checked(b, &qb, cb);
    if (oka && okb) {
        int ab = kjson_quantity_cmp(&qa, &qb), ba = kjson_quantity_cmp(&qb, &qa);

        if (ab != -ba)
            abort();
        /* Equal values may keep different formats ("1Gi" and "1073741824"); the reverse
         * holds: the same canonical text is the same value. */
        if (strcmp(ca, cb) == 0 && ab != 0)
            abort();
    }
    free(a);
    return 0;
}
