#include "kops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "kjson/kjson.h"

typedef struct {
    kops_cb      cb;
    void        *data;
    int          no_obj;
    kube_client *client; /* whose pool (kube_client_pool) the answer is parsed into */
} pending;


static void
on_done(const kube_response *res, void *data)
{
    pending     *p = data;
    kops_result  r;
    cJSON       *body = NULL;
    const cJSON *obj = NULL;
    kjson_pool  *pool = NULL;
    const char  *msg = NULL;
    char         line[512];

    memset(&r, 0, sizeof r);
    r.status = res->status;
    r.message = "";
    if (res->err) {
        r.err = res->err;
        r.message = res->message;
        goto out;
    }
    if (res->status >= 200 && res->status < 300 && p->no_obj)
        goto out;
    /*
     * The tree lives as long as the callback (kops.h), so it is parsed into the client's
     * pool, in a turn of its own: no malloc per item, no cJSON_Delete walk (issue 18). When
     * there is none, or it is taken (an answer handled inside another turn), on the heap.
     * The body is NUL-terminated (core_buf), as a pooled parse needs.
     */
    if (res->body_len && kjson_pool_take(kube_client_pool(p->client))) {
        pool = kube_client_pool(p->client);
        obj = kjson_pool_parse(pool, res->body, res->body_len);
    } else if (res->body_len) {
        obj = body = cJSON_ParseWithLength(res->body, res->body_len);
    }
    r.obj = obj;
    if (res->status >= 200 && res->status < 300)
        goto out;
    msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "message"));
    snprintf(line, sizeof line, "HTTP %ld: %s", res->status, msg ? msg : "(no message)");
    r.message = line;
    r.err = res->status == 404 ? CORE_ENOENT : res->status == 409 ? CORE_ECONFLICT : CORE_EHTTP;
out:
    p->cb(&r, p->data);
    cJSON_Delete(body);
    kjson_pool_give(pool);
    free(p);
}


static int
kops_send(const kops_target *t, const char *method, const char *query, const char *content_type,
          const cJSON *body, kops_cb cb, void *data)
{
    core_buf path;
    kube_req req = {0};
    pending *p = NULL;
    char    *text = NULL;
    int      rc;

    core_buf_init(&path, 4096);
    rc = kres_path(&path, t->res, t->ns, t->name, t->sub);
    if (!rc && query)
        rc = core_buf_printf(&path, "?%s", query);
    if (rc)
        goto out;
    rc = CORE_ENOMEM;
    if (body && !(text = cJSON_PrintUnformatted(body)))
        goto out;
    if (!(p = malloc(sizeof *p)))
        goto out;
    p->cb = cb;
    p->data = data;
    p->no_obj = t->no_obj;
    p->client = t->client;
    req.method = method;
    req.path = path.data;
    req.content_type = content_type;
    req.body = text;
    req.body_len = text ? strlen(text) : 0;
    rc = kube_request(t->client, &req, on_done, p, NULL);
    if (rc == CORE_OK)
        p = NULL;
out:
    free(p);
    cJSON_free(text);
    core_buf_free(&path);
    return rc;
}


int
kops_get(const kops_target *t, kops_cb cb, void *data)
{
    return t->name ? kops_send(t, "GET", NULL, NULL, NULL, cb, data) : CORE_EINVAL;
}


int
kops_create(const kops_target *t, const cJSON *obj, kops_cb cb, void *data)
{
    kops_target collection = *t;

    collection.name = NULL;
    collection.sub = NULL;
    return kops_send(&collection, "POST", "fieldManager=" KOPS_FIELD_MANAGER, NULL, obj, cb, data);
}


int
kops_update(const kops_target *t, const cJSON *obj, kops_cb cb, void *data)
{
    return t->name ? kops_send(t, "PUT", "fieldManager=" KOPS_FIELD_MANAGER, NULL, obj, cb, data)
                   : CORE_EINVAL;
}


int
kops_delete(const kops_target *t, const char *propagation, kops_cb cb, void *data)
{
    return kops_delete_uid(t, propagation, NULL, cb, data);
}


int
kops_delete_uid(const kops_target *t, const char *propagation, const char *uid, kops_cb cb, void *data)
{
    cJSON *opts = NULL, *pre;
    int    rc = CORE_ENOMEM;

    if (!t->name)
        return CORE_EINVAL;
    if (propagation || uid) {
        if (!(opts = cJSON_CreateObject()))
            goto out;
        if (propagation && !cJSON_AddStringToObject(opts, "propagationPolicy", propagation))
            goto out;
        if (uid && (!(pre = cJSON_AddObjectToObject(opts, "preconditions")) ||
                    !cJSON_AddStringToObject(pre, "uid", uid)))
            goto out;
    }
    rc = kops_send(t, "DELETE", NULL, NULL, opts, cb, data);
out:
    cJSON_Delete(opts);
    return rc;
}


int
kops_merge_patch(const kops_target *t, const cJSON *patch, kops_cb cb, void *data)
{
    return t->name ? kops_send(t, "PATCH", "fieldManager=" KOPS_FIELD_MANAGER,
                               "application/merge-patch+json", patch, cb, data)
                   : CORE_EINVAL;
}


int
kops_apply(const kops_target *t, const cJSON *obj, kops_cb cb, void *data)
{
    /* JSON is YAML, so the apply body needs no YAML encoder. */
    const char *query = t->no_force ? "fieldManager=" KOPS_FIELD_MANAGER
                                    : "fieldManager=" KOPS_FIELD_MANAGER "&force=true";

    return t->name ? kops_send(t, "PATCH", query, "application/apply-patch+yaml", obj, cb, data)
                   : CORE_EINVAL;
}


static cJSON *
object_member(cJSON *parent, const char *key)
{
    cJSON *o = cJSON_GetObjectItemCaseSensitive(parent, key);

    if (cJSON_IsObject(o))
        return o;
    cJSON_DeleteItemFromObjectCaseSensitive(parent, key);
    return cJSON_AddObjectToObject(parent, key);
}


int
kops_ns_terminating(const kops_result *res)
{
    const cJSON *cause;

    if (!res || res->err != CORE_EHTTP || res->status != 403)
        return 0;
    cJSON_ArrayForEach(cause, kjson_path(res->obj, "details", "causes", NULL)) {
        const char *reason = kjson_get_str(cause, "reason");

        if (reason && strcmp(reason, "NamespaceTerminating") == 0)
            return 1;
    }
    return 0;
}


int
kops_set_controller(cJSON *child, const cJSON *owner, const char *api_version, const char *kind)
{
    const cJSON *ometa = cJSON_GetObjectItemCaseSensitive(owner, "metadata");
    const char  *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ometa, "name"));
    const char  *uid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ometa, "uid"));
    cJSON       *meta, *refs, *ref, *next;

    if (!name || !uid)
        return CORE_EINVAL;
    meta = object_member(child, "metadata");
    if (!meta)
        return CORE_ENOMEM;
    refs = cJSON_GetObjectItemCaseSensitive(meta, "ownerReferences");
    if (!cJSON_IsArray(refs)) {
        cJSON_DeleteItemFromObjectCaseSensitive(meta, "ownerReferences");
        if (!(refs = cJSON_AddArrayToObject(meta, "ownerReferences")))
            return CORE_ENOMEM;
    }
    /* Only one controller: drop any other. */
    for (ref = refs->child; ref; ref = next) {
        next = ref->next;
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ref, "controller")))
            cJSON_Delete(cJSON_DetachItemViaPointer(refs, ref));
    }
    ref = cJSON_CreateObject();
    if (!ref || !cJSON_AddStringToObject(ref, "apiVersion", api_version) ||
        !cJSON_AddStringToObject(ref, "kind", kind) || !cJSON_AddStringToObject(ref, "name", name) ||
        !cJSON_AddStringToObject(ref, "uid", uid) || !cJSON_AddTrueToObject(ref, "controller") ||
        !cJSON_AddTrueToObject(ref, "blockOwnerDeletion")) {
        cJSON_Delete(ref);
        return CORE_ENOMEM;
    }
    cJSON_AddItemToArray(refs, ref);
    return CORE_OK;
}


int
kops_has_finalizer(const cJSON *obj, const char *name)
{
    const cJSON *f;

    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(
                              cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "finalizers")) {
        if (cJSON_IsString(f) && strcmp(f->valuestring, name) == 0)
            return 1;
    }
    return 0;
}


cJSON *
kops_finalizer_patch(const cJSON *obj, const char *name, int add)
{
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    const char *rv = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "resourceVersion"));
    const cJSON *f;
    cJSON       *patch = cJSON_CreateObject(), *pmeta, *list;

    if (!patch || !(pmeta = cJSON_AddObjectToObject(patch, "metadata")) ||
        !(list = cJSON_AddArrayToObject(pmeta, "finalizers")))
        goto fail;
    if (rv && !cJSON_AddStringToObject(pmeta, "resourceVersion", rv))
        goto fail;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(meta, "finalizers")) {
        if (!cJSON_IsString(f) || strcmp(f->valuestring, name) == 0)
            continue;
        if (!cJSON_AddItemToArray(list, cJSON_CreateString(f->valuestring)))
            goto fail;
    }
    if (add && !cJSON_AddItemToArray(list, cJSON_CreateString(name)))
        goto fail;
    return patch;
fail:
    cJSON_Delete(patch);
    return NULL;
}


static const char *
name_of(const cJSON *e)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "name"));
}


/* The list's merge key when every element is an object with a distinct string "name" (the
 * key of containers, env, volumes, volumeMounts and named ports in the Kubernetes API). */
static int
keyed_by_name(const cJSON *list)
{
    const cJSON *e, *f;

    if (!list->child)
        return 0;
    cJSON_ArrayForEach(e, list) {
        const char *n = name_of(e);

        if (!cJSON_IsObject(e) || !n)
            return 0;
        for (f = list->child; f != e; f = f->next)
            if (strcmp(name_of(f), n) == 0)
                return 0;
    }
    return 1;
}


static const cJSON *
find_named(const cJSON *list, const char *name)
{
    const cJSON *e;

    cJSON_ArrayForEach(e, list) {
        const char *n = name_of(e);

        if (n && strcmp(n, name) == 0)
            return e;
    }
    return NULL;
}


int
kops_is_applied(const cJSON *desired, const cJSON *live)
{
    const cJSON *d, *l;

    if (!desired)
        return 1;
    if (!live)
        return 0;
    if (cJSON_IsObject(desired)) {
        if (!cJSON_IsObject(live))
            return 0;
        cJSON_ArrayForEach(d, desired) {
            if (!kops_is_applied(d, cJSON_GetObjectItemCaseSensitive(live, d->string)))
                return 0;
        }
        return 1;
    }
    if (cJSON_IsArray(desired)) {
        if (!cJSON_IsArray(live))
            return 0;
        if (keyed_by_name(desired)) {
            cJSON_ArrayForEach(d, desired) {
                if (!kops_is_applied(d, find_named(live, name_of(d))))
                    return 0;
            }
            return 1;
        }
        if (cJSON_GetArraySize(desired) != cJSON_GetArraySize(live))
            return 0;
        for (d = desired->child, l = live->child; d && l; d = d->next, l = l->next)
            if (!kops_is_applied(d, l))
                return 0;
        return 1;
    }
    if (cJSON_IsNumber(desired))
        return cJSON_IsNumber(live) && desired->valuedouble == live->valuedouble;
    if (cJSON_IsString(desired))
        return cJSON_IsString(live) && strcmp(desired->valuestring, live->valuestring) == 0;
    if (cJSON_IsBool(desired))
        return cJSON_IsBool(live) && cJSON_IsTrue(desired) == cJSON_IsTrue(live);
    return cJSON_IsNull(desired) ? cJSON_IsNull(live) : cJSON_Compare(desired, live, 1);
}
