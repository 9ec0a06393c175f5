/*
 * dbi_podsec: spec.securityContext, the ids the pod runs as (see dbi_podsec.h).
 */
#include "dbi_podsec.h"

#include <stdint.h>
#include <stdio.h>

#include "core/core.h"
#include "kjson/kjson.h"


static int
read_id(const cJSON *sc, const char *key, int *out, char *err, size_t errlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(sc, key);
    int64_t      n = 0;

    *out = 0;
    if (!v || cJSON_IsNull(v))
        return CORE_OK;
    if (kjson_get_int64(sc, key, &n) != CORE_OK || n < 1 || n > 2147483647) {
        snprintf(err, errlen,
                 "spec.securityContext.%s: must be a whole number from 1 to 2147483647", key);
        return CORE_EINVAL;
    }
    *out = (int)n;
    return CORE_OK;
}


int
dbi_podsec_parse(const cJSON *obj, dbi_spec *out, char *err, size_t errlen)
{
    const cJSON *sc = kjson_path(obj, "spec", "securityContext", NULL);
    int          rc;

    out->run_as_user = out->run_as_group = out->fs_group = 0;
    if (!sc || cJSON_IsNull(sc))
        return CORE_OK;
    if (!cJSON_IsObject(sc)) {
        snprintf(err, errlen, "spec.securityContext: must be an object");
        return CORE_EINVAL;
    }
    if ((rc = read_id(sc, "runAsUser", &out->run_as_user, err, errlen)) ||
        (rc = read_id(sc, "runAsGroup", &out->run_as_group, err, errlen)))
        return rc;
    return read_id(sc, "fsGroup", &out->fs_group, err, errlen);
}


int
dbi_run_as_user(const dbi_spec *s)
{
    return s->run_as_user ? s->run_as_user : DBI_DEFAULT_UID;
}


int
dbi_run_as_group(const dbi_spec *s)
{
    return s->run_as_group ? s->run_as_group : DBI_DEFAULT_UID;
}


int
dbi_fs_group(const dbi_spec *s)
{
    return s->fs_group ? s->fs_group : DBI_DEFAULT_UID;
}
