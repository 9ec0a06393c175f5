#include "ctrl_build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "core/core.h"
#include "ctrl/ctrl.h"
#include "kops/kops.h"


cJSON *
ctrl_b_put(ctrl_bld *b, cJSON *parent, const char *key, cJSON *item)
{
    int ok;

    if (!item || !parent) {
        cJSON_Delete(item);
        b->failed = 1;
        return NULL;
    }
    ok = key ? cJSON_AddItemToObject(parent, key, item) : cJSON_AddItemToArray(parent, item);
    if (!ok) {
        cJSON_Delete(item);
        b->failed = 1;
        return NULL;
    }
    return item;
}


cJSON *
ctrl_b_obj(ctrl_bld *b, cJSON *parent, const char *key)
{
    cJSON *have = key && parent ? cJSON_GetObjectItemCaseSensitive(parent, key) : NULL;

    if (have && !cJSON_IsObject(have)) {
        b->failed = 1;
        return NULL;
    }
    return have ? have : ctrl_b_put(b, parent, key, cJSON_CreateObject());
}


cJSON *
ctrl_b_arr(ctrl_bld *b, cJSON *parent, const char *key)
{
    return ctrl_b_put(b, parent, key, cJSON_CreateArray());
}


void
ctrl_b_str(ctrl_bld *b, cJSON *parent, const char *key, const char *v)
{
    ctrl_b_put(b, parent, key, v ? cJSON_CreateString(v) : NULL);
}


void
ctrl_b_int(ctrl_bld *b, cJSON *parent, const char *key, int v)
{
    ctrl_b_put(b, parent, key, cJSON_CreateNumber(v));
}


void
ctrl_b_bool(ctrl_bld *b, cJSON *parent, const char *key, int v)
{
    ctrl_b_put(b, parent, key, cJSON_CreateBool(v));
}


void
ctrl_b_strs(ctrl_bld *b, cJSON *parent, const char *key, const char *const *v)
{
    cJSON *a = ctrl_b_arr(b, parent, key);

    for (; a && *v; v++)
        ctrl_b_str(b, a, NULL, *v);
}


void
ctrl_b_b64(ctrl_bld *b, cJSON *parent, const char *key, const char *v)
{
    size_t n = v ? strlen(v) : 0;
    char  *out = v ? malloc(4 * ((n + 2) / 3) + 1) : NULL;

    if (!out) {
        b->failed = 1;
        return;
    }
    EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)v, (int)n);
    ctrl_b_str(b, parent, key, out);
    OPENSSL_cleanse(out, strlen(out));
    free(out);
}

void
ctrl_b_copy(ctrl_bld *b, cJSON *parent, const char *key, const cJSON *src)
{
    if (src)
        ctrl_b_put(b, parent, key, cJSON_Duplicate(src, 1));
}


cJSON *
ctrl_b_done(ctrl_bld *b, cJSON *o)
{
    if (b->failed) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}


cJSON *
ctrl_labels(const char *app_name, const char *instance)
{
    ctrl_bld b = {0};
    cJSON   *l = cJSON_CreateObject();

    ctrl_b_str(&b, l, CTRL_LABEL_NAME, app_name);
    ctrl_b_str(&b, l, CTRL_LABEL_INSTANCE, instance);
    ctrl_b_str(&b, l, CTRL_LABEL_MANAGED, CTRL_MANAGED_BY);
    return ctrl_b_done(&b, l);
}


cJSON *
ctrl_b_child(ctrl_bld *b, const char *api_version, const char *kind, const char *name,
             const cJSON *owner, const char *owner_api_version, const char *owner_kind,
             const char *app_name)
{
    const cJSON *ometa = cJSON_GetObjectItemCaseSensitive(owner, "metadata");
    const char  *oname = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ometa, "name"));
    const char  *ons = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ometa, "namespace"));
    cJSON       *o = cJSON_CreateObject(), *meta;

    if (!o || !oname || !ons) {
        b->failed = 1;
        return o;
    }
    ctrl_b_str(b, o, "apiVersion", api_version);
    ctrl_b_str(b, o, "kind", kind);
    meta = ctrl_b_obj(b, o, "metadata");
    ctrl_b_str(b, meta, "name", name);
    ctrl_b_str(b, meta, "namespace", ons);
    ctrl_b_put(b, meta, "labels", ctrl_labels(app_name, oname));
    if (!b->failed && kops_set_controller(o, owner, owner_api_version, owner_kind) != CORE_OK)
        b->failed = 1;
    return o;
}


int
ctrl_checksum(const void *p, size_t len, char *out, size_t outlen)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char     md[EVP_MAX_MD_SIZE];
    unsigned int      n = 0, i;

    if (outlen < 17)
        return CORE_ETOOBIG;
    if (!EVP_Digest(p, len, md, &n, EVP_sha256(), NULL) || n < 8)
        return CORE_EINTERNAL;
    for (i = 0; i < 8; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[16] = '\0';
    return CORE_OK;
}


int
ctrl_stamp(cJSON *desired)
{
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(desired, "metadata");
    cJSON *ann = cJSON_GetObjectItemCaseSensitive(meta, "annotations");
    char  *text = NULL, sum[17];
    int    rc;

    if (!cJSON_IsObject(desired) || !cJSON_IsObject(meta))
        return CORE_EINVAL;
    cJSON_DeleteItemFromObjectCaseSensitive(ann, CTRL_APPLIED_ANN);
    if (!(text = cJSON_PrintUnformatted(desired)))
        return CORE_ENOMEM;
    rc = ctrl_checksum(text, strlen(text), sum, sizeof sum);
    cJSON_free(text);
    if (rc)
        return rc;
    if (!cJSON_IsObject(ann)) {
        cJSON_DeleteItemFromObjectCaseSensitive(meta, "annotations");
        if (!(ann = cJSON_AddObjectToObject(meta, "annotations")))
            return CORE_ENOMEM;
    }
    return cJSON_AddStringToObject(ann, CTRL_APPLIED_ANN, sum) ? CORE_OK : CORE_ENOMEM;
}
