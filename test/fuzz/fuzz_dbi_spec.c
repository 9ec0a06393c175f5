/*
 * libFuzzer target for DBInstance spec parsing and validation (dbi_spec_parse) and the pure
 * builders behind it. The input is a JSON document taken as the DBInstance object. Oracles
 * besides the sanitizers: a refusal always says why (a non-empty message); an accepted spec
 * builds every child, and building twice gives byte-identical objects (the builders are
 * deterministic); the rendered configuration fits the size dbi_spec_parse promised.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "dbi/dbi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef cJSON *(*builder)(const dbi_spec *s, const cJSON *owner);

static cJSON *
build_secret(const dbi_spec *s, const cJSON *owner)
{
    return dbi_build_secret(s, owner, "a-password-of-24-chars..", "another-password-24-char");
}

static cJSON *
build_configmap(const dbi_spec *s, const cJSON *owner)
{
    char sum[17];

    return dbi_build_configmap(s, owner, sum, sizeof sum);
}

static cJSON *
build_statefulset(const dbi_spec *s, const cJSON *owner)
{
    return dbi_build_statefulset(s, owner, "0123456789abcdef");
}

/* Builds twice and compares; aborts on a difference. NULL (a value it cannot render) is
 * allowed, as long as both builds agree on it. */
static void
twice(builder b, const dbi_spec *s, const cJSON *owner)
{
    cJSON *x = b(s, owner), *y = b(s, owner);
    char  *px = x ? cJSON_PrintUnformatted(x) : NULL, *py = y ? cJSON_PrintUnformatted(y) : NULL;

    if (!x != !y || (px && py && strcmp(px, py) != 0))
        abort();
    free(px);
    free(py);
    cJSON_Delete(x);
    cJSON_Delete(y);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON   *obj = cJSON_ParseWithLength((const char *)data, size);
    dbi_spec s;
    char     err[512];
    int      rc;

    if (!obj)
        return 0;
    err[0] = '\0';
    rc = dbi_spec_parse(obj, &s, err, sizeof err);
    if (rc != CORE_OK) {
        if (!err[0])
            abort(); /* a refusal must say why */
    } else if (s.uid) {
        twice(build_secret, &s, obj);
        twice(build_configmap, &s, obj);
        twice(dbi_build_service, &s, obj);
        twice(dbi_build_headless_service, &s, obj);
        twice(build_statefulset, &s, obj);
        if (dbi_config_len(&s) > DBI_CONFIGMAP_MAX)
            abort();
    }
    cJSON_Delete(obj);
    return 0;
}
