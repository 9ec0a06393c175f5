/*
 * ctrl_spec: the spec checks kinds share (ctrl_spec.h).
 */
#include "ctrl_spec.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "kjson/kjson.h"


const char *
ctrl_spec_shown(const char *v, char *buf, size_t len)
{
    size_t i, n = strlen(v);
    size_t max = len - 1 < 64 ? len - 1 : 64;

    for (i = 0; i < n && i < max; i++)
        buf[i] = (unsigned char)v[i] < 0x20 || v[i] == 0x7f ? '?' : v[i];
    buf[i] = '\0';
    if (n > max && max >= 3)
        memcpy(buf + max - 3, "...", 4);
    return buf;
}


int
ctrl_spec_str(const cJSON *obj, const char *path, const char *key, const char **out, char *err,
              size_t errlen)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

    *out = NULL;
    if (!it || cJSON_IsNull(it))
        return CORE_OK;
    if (!cJSON_IsString(it))
        return core_errf(err, errlen, CORE_EINVAL, "%s.%s: must be a string", path, key);
    if (it->valuestring[0])
        *out = it->valuestring;
    return CORE_OK;
}


int
ctrl_spec_obj(const cJSON *obj, const char *path, const char *key, const cJSON **out, char *err,
              size_t errlen)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

    *out = NULL;
    if (!it || cJSON_IsNull(it))
        return CORE_OK;
    if (!cJSON_IsObject(it))
        return core_errf(err, errlen, CORE_EINVAL, "%s.%s: must be an object", path, key);
    *out = it;
    return CORE_OK;
}


int
ctrl_spec_one_of(const char *field, const char *v, const char *const *choices, char *err, size_t errlen)
{
    char   show[80], list[160];
    size_t i, used = 0;

    for (i = 0; choices[i]; i++)
        if (strcmp(v, choices[i]) == 0)
            return CORE_OK;
    list[0] = '\0';
    for (i = 0; choices[i] && used < sizeof list; i++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", choices[i]);
    return core_errf(err, errlen, CORE_EINVAL, "%s: \"%s\" is not one of %s", field,
                     ctrl_spec_shown(v, show, sizeof show), list);
}


int
ctrl_spec_dns_label(const char *s)
{
    size_t i, n = strlen(s);

    if (n == 0 || !(s[0] >= 'a' && s[0] <= 'z') || s[n - 1] == '-')
        return 0;
    for (i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return 0;
    return 1;
}


int
ctrl_spec_quantities(const cJSON *resources, const char *path, const char *key, char *err,
                     size_t errlen)
{
    const cJSON   *map = NULL, *it;
    kjson_quantity q;
    char           show[80], value[80];
    int            rc;

    if ((rc = ctrl_spec_obj(resources, path, key, &map, err, errlen)))
        return rc;
    cJSON_ArrayForEach(it, map) {
        if (kjson_get_quantity(map, it->string, &q) != CORE_OK)
            return core_errf(err, errlen, CORE_EINVAL,
                             "%s.%s.%s: \"%s\" is not a quantity (like 500m or 1Gi)", path, key,
                             ctrl_spec_shown(it->string, show, sizeof show),
                             cJSON_IsString(it)
                                 ? ctrl_spec_shown(it->valuestring, value, sizeof value)
                                 : "(not a string)");
        if (q.nano < 0)
            return core_errf(err, errlen, CORE_EINVAL, "%s.%s.%s: must not be negative", path, key,
                             ctrl_spec_shown(it->string, show, sizeof show));
    }
    return CORE_OK;
}


int
ctrl_spec_param_value(const cJSON *it, size_t max, char *err, size_t errlen)
{
    const char *p;

    if (!cJSON_IsString(it))
        return core_errf(err, errlen, CORE_EINVAL,
                         "spec.parameters.%s: must be a string (quote numbers: \"200\")", it->string);
    if (strlen(it->valuestring) > max)
        return core_errf(err, errlen, CORE_EINVAL, "spec.parameters.%s: longer than %zu characters",
                         it->string, max);
    for (p = it->valuestring; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return core_errf(err, errlen, CORE_EINVAL,
                             "spec.parameters.%s: must be one line without control characters",
                             it->string);
    return CORE_OK;
}


int
ctrl_spec_metadata(const cJSON *obj, size_t max, const char *too_long, const char *label_need,
                   const char **name, const char **ns, const char **uid, char *err, size_t errlen)
{
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    char         show[80];

    *name = kjson_get_str(meta, "name");
    *ns = kjson_get_str(meta, "namespace");
    *uid = kjson_get_str(meta, "uid");
    if (!*name || !(*name)[0])
        return core_errf(err, errlen, CORE_EINVAL, "metadata.name: required");
    if (!*ns || !(*ns)[0])
        return core_errf(err, errlen, CORE_EINVAL, "metadata.namespace: required");
    if (strlen(*name) > max)
        return core_errf(err, errlen, CORE_EINVAL,
                         "metadata.name: \"%s\" is longer than %zu characters, too long for %s",
                         ctrl_spec_shown(*name, show, sizeof show), max, too_long);
    if (!ctrl_spec_dns_label(*name))
        return core_errf(err, errlen, CORE_EINVAL,
                         "metadata.name: \"%s\" must start with a lowercase letter and hold only "
                         "lowercase letters, digits and '-', as %s",
                         ctrl_spec_shown(*name, show, sizeof show), label_need);
    return CORE_OK;
}
