/*
 * dbi_pass: labels, annotations and spec.podTemplate onto the children; the external
 * endpoint from the client Service. The rule and why it holds are in dbi_pass.h.
 */
#include "dbi_pass.h"

#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "ctrl/ctrl.h"
#include "kjson/kjson.h"

/* Keys of the tools that apply a DBInstance, and ours: bookkeeping about the DBInstance
 * itself that would mislead (or be acted on) on its children. */
static const char *const excluded_prefixes[] = {
    "kubectl.kubernetes.io/",       "argocd.argoproj.io/",     "dbaas.dev/", "meta.helm.sh/",
    "kustomize.toolkit.fluxcd.io/", "helm.toolkit.fluxcd.io/", NULL,
};

/* The labels the operator sets on every child and pod, which select the pod. */
static const char *const standard_labels[] = {CTRL_LABEL_NAME, CTRL_LABEL_INSTANCE,
                                              CTRL_LABEL_MANAGED, NULL};

/* The pod spec fields spec.podTemplate may set, in the order they are written. */
static const char *const pod_fields[] = {
    "imagePullSecrets",          "nodeSelector", "affinity", "tolerations", "priorityClassName",
    "topologySpreadConstraints", NULL,
};


static int
is_one_of(const char *key, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(key, *list) == 0)
            return 1;
    return 0;
}


static int
has_prefix(const char *key, const char *prefix)
{
    return strncmp(key, prefix, strlen(prefix)) == 0;
}


int
dbi_pass_excluded(const char *key)
{
    size_t i;

    if (!key || is_one_of(key, standard_labels))
        return 1;
    for (i = 0; excluded_prefixes[i]; i++)
        if (has_prefix(key, excluded_prefixes[i]))
            return 1;
    return 0;
}


static int
bad(char *err, size_t errlen, const char *field, const char *what)
{
    if (err && errlen)
        snprintf(err, errlen, "%s: %s", field, what);
    return CORE_EINVAL;
}


/* obj[key] into *out when it is an object of strings (NULL when absent or null). */
static int
string_map(const cJSON *obj, const char *key, const char *field, const cJSON **out, char *err,
           size_t errlen)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key), *v;

    *out = NULL;
    if (!it || cJSON_IsNull(it))
        return CORE_OK;
    if (!cJSON_IsObject(it))
        return bad(err, errlen, field, "must be an object of strings");
    cJSON_ArrayForEach(v, it) {
        if (!cJSON_IsString(v))
            return bad(err, errlen, field, "every value must be a string");
    }
    *out = it;
    return CORE_OK;
}


/* The types of spec.podTemplate's members, and no key of the operator's. */
static int
parse_pod_template(const cJSON *pt, char *err, size_t errlen)
{
    static const char *const arrays[] = {"imagePullSecrets", "tolerations",
                                         "topologySpreadConstraints", NULL};
    const cJSON             *map, *it;
    char                     field[96];
    size_t                   i;
    int                      rc;

    if ((rc = string_map(pt, "labels", "spec.podTemplate.labels", &map, err, errlen)))
        return rc;
    cJSON_ArrayForEach(it, map) {
        if (is_one_of(it->string, standard_labels)) {
            if (err && errlen)
                snprintf(err, errlen,
                         "spec.podTemplate.labels: \"%s\" is set by the operator (it selects the "
                         "pod); choose another key",
                         it->string);
            return CORE_EINVAL;
        }
    }
    if ((rc = string_map(pt, "annotations", "spec.podTemplate.annotations", &map, err, errlen)))
        return rc;
    cJSON_ArrayForEach(it, map) {
        if (has_prefix(it->string, "dbaas.dev/"))
            return bad(err, errlen, "spec.podTemplate.annotations",
                       "keys under dbaas.dev/ are the operator's; choose another key");
    }
    if ((rc = string_map(pt, "nodeSelector", "spec.podTemplate.nodeSelector", &map, err, errlen)))
        return rc;
    for (i = 0; arrays[i]; i++) {
        it = cJSON_GetObjectItemCaseSensitive(pt, arrays[i]);
        snprintf(field, sizeof field, "spec.podTemplate.%s", arrays[i]);
        if (it && !cJSON_IsNull(it) && !cJSON_IsArray(it))
            return bad(err, errlen, field, "must be a list");
    }
    it = cJSON_GetObjectItemCaseSensitive(pt, "affinity");
    if (it && !cJSON_IsNull(it) && !cJSON_IsObject(it))
        return bad(err, errlen, "spec.podTemplate.affinity", "must be an object");
    it = cJSON_GetObjectItemCaseSensitive(pt, "priorityClassName");
    if (it && !cJSON_IsNull(it) && !cJSON_IsString(it))
        return bad(err, errlen, "spec.podTemplate.priorityClassName", "must be a string");
    return CORE_OK;
}


int
dbi_pass_parse(const cJSON *obj, dbi_spec *out, char *err, size_t errlen)
{
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(obj, "spec");
    const cJSON *it;
    int          rc;

    if ((rc = string_map(meta, "labels", "metadata.labels", &out->labels, err, errlen)) ||
        (rc = string_map(meta, "annotations", "metadata.annotations", &out->annotations, err, errlen)))
        return rc;
    it = cJSON_GetObjectItemCaseSensitive(spec, "stopped");
    if (it && !cJSON_IsNull(it) && !cJSON_IsBool(it))
        return bad(err, errlen, "spec.stopped", "must be true or false");
    out->stopped = cJSON_IsTrue(it);
    it = cJSON_GetObjectItemCaseSensitive(spec, "podTemplate");
    out->pod_template = NULL;
    if (!it || cJSON_IsNull(it))
        return CORE_OK;
    if (!cJSON_IsObject(it))
        return bad(err, errlen, "spec.podTemplate", "must be an object");
    if ((rc = parse_pod_template(it, err, errlen)))
        return rc;
    out->pod_template = it;
    return CORE_OK;
}


/* Adds the members of src to dst[key] (made when missing and something is added), except
 * keys dst already has and those skip says to leave out. */
static void
merge_strings(ctrl_bld *b, cJSON *dst, const char *key, const cJSON *src, int (*skip)(const char *))
{
    cJSON       *to = cJSON_GetObjectItemCaseSensitive(dst, key);
    const cJSON *it;

    cJSON_ArrayForEach(it, src) {
        if (!cJSON_IsString(it) || (skip && skip(it->string)) ||
            cJSON_GetObjectItemCaseSensitive(to, it->string))
            continue;
        if (!to && !(to = ctrl_b_obj(b, dst, key)))
            return;
        ctrl_b_str(b, to, it->string, it->valuestring);
    }
}


void
dbi_pass_metadata(ctrl_bld *b, cJSON *child, const dbi_spec *s)
{
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(child, "metadata");

    if (!meta) {
        b->failed = 1;
        return;
    }
    merge_strings(b, meta, "labels", s->labels, dbi_pass_excluded);
    merge_strings(b, meta, "annotations", s->annotations, dbi_pass_excluded);
}


/* A copy of v without the members the API server would drop (null, "", {}, []), or NULL
 * when nothing is left. Array elements are kept (an empty one stays {}), so that the list
 * keeps its length and order. */
static cJSON *
pruned(const cJSON *v)
{
    const cJSON *it;
    cJSON       *out, *c;

    if (cJSON_IsNull(v) || (cJSON_IsString(v) && v->valuestring[0] == '\0'))
        return NULL;
    if (!cJSON_IsObject(v) && !cJSON_IsArray(v))
        return cJSON_Duplicate(v, 1);
    out = cJSON_IsObject(v) ? cJSON_CreateObject() : cJSON_CreateArray();
    if (!out)
        return NULL;
    cJSON_ArrayForEach(it, v) {
        c = pruned(it);
        if (!c && cJSON_IsArray(v))
            c = cJSON_CreateObject();
        if (!c)
            continue;
        if (!(cJSON_IsObject(v) ? cJSON_AddItemToObject(out, it->string, c)
                                : cJSON_AddItemToArray(out, c))) {
            cJSON_Delete(c);
            cJSON_Delete(out);
            return NULL;
        }
    }
    if (!out->child) {
        cJSON_Delete(out);
        return NULL;
    }
    return out;
}


static int
is_reserved_annotation(const char *key)
{
    return has_prefix(key, "dbaas.dev/");
}


static int
is_standard_label(const char *key)
{
    return is_one_of(key, standard_labels);
}


void
dbi_pass_pod(ctrl_bld *b, cJSON *tmpl_meta, cJSON *pod_spec, const dbi_spec *s)
{
    const cJSON *pt = s->pod_template, *it;
    cJSON       *c;
    size_t       i;

    if (!pt)
        return;
    if (!tmpl_meta || !pod_spec) {
        b->failed = 1;
        return;
    }
    merge_strings(b, tmpl_meta, "labels", cJSON_GetObjectItemCaseSensitive(pt, "labels"),
                  is_standard_label);
    merge_strings(b, tmpl_meta, "annotations", cJSON_GetObjectItemCaseSensitive(pt, "annotations"),
                  is_reserved_annotation);
    for (i = 0; pod_fields[i]; i++) {
        it = cJSON_GetObjectItemCaseSensitive(pt, pod_fields[i]);
        if (!it || cJSON_GetObjectItemCaseSensitive(pod_spec, pod_fields[i]))
            continue;
        c = pruned(it);
        if (c)
            ctrl_b_put(b, pod_spec, pod_fields[i], c);
    }
}


static int
lb_endpoint(const cJSON *svc, int port, char *buf, size_t len)
{
    const cJSON *ingress = kjson_path(svc, "status", "loadBalancer", "ingress", NULL), *it;
    const char  *ip, *host;
    int          n;

    cJSON_ArrayForEach(it, ingress) {
        ip = kjson_get_str(it, "ip");
        host = kjson_get_str(it, "hostname");
        if (ip && ip[0])
            n = snprintf(buf, len, strchr(ip, ':') ? "[%s]:%d" : "%s:%d", ip, port);
        else if (host && host[0])
            n = snprintf(buf, len, "%s:%d", host, port);
        else
            continue;
        return n < 0 || (size_t)n >= len ? CORE_ETOOBIG : CORE_OK;
    }
    return CORE_ENOENT;
}


int
dbi_external_endpoint(const cJSON *svc, char *buf, size_t len)
{
    const char  *type = kjson_path_str(svc, "spec", "type", NULL);
    const cJSON *ports = kjson_path(svc, "spec", "ports", NULL);
    const cJSON *port = cJSON_GetArrayItem(ports, 0);
    /* Ports are 1-65535 (core/v1 ServicePort); anything else reads as 0, absent. */
    int          p = kjson_int_or(cJSON_GetObjectItemCaseSensitive(port, "port"), 1, 65535, 0);
    int          np = kjson_int_or(cJSON_GetObjectItemCaseSensitive(port, "nodePort"), 1, 65535, 0);
    int          n;

    if (!buf || len == 0)
        return CORE_EINVAL;
    buf[0] = '\0';
    if (!type || p == 0)
        return CORE_ENOENT;
    if (strcmp(type, "LoadBalancer") == 0)
        return lb_endpoint(svc, p, buf, len);
    if (strcmp(type, "NodePort") != 0 || np == 0)
        return CORE_ENOENT;
    n = snprintf(buf, len, ":%d", np);
    return n < 0 || (size_t)n >= len ? CORE_ETOOBIG : CORE_OK;
}
