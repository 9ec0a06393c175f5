/*
 * dbi_netpol: spec.networkPolicy and the NetworkPolicy it asks for (see dbi_netpol.h).
 */
#include "dbi_netpol.h"

#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "ctrl/ctrl_build.h"
#include "dbi/dbi_pass.h"
#include "kjson/kjson.h"

const kres KRES_NETWORKPOLICIES = {"networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", 1};


static int
fail(char *err, size_t errlen, const char *msg, int i)
{
    if (i >= 0)
        snprintf(err, errlen, "spec.networkPolicy.allowFrom[%d]: %s", i, msg);
    else
        snprintf(err, errlen, "spec.networkPolicy.%s", msg);
    return CORE_EINVAL;
}


static int
check_peer(const cJSON *peer, int i, char *err, size_t errlen)
{
    const cJSON *it;
    int          selectors = 0;

    if (!cJSON_IsObject(peer))
        return fail(err, errlen, "must be an object", i);
    cJSON_ArrayForEach(it, peer) {
        if (strcmp(it->string, "namespaceSelector") != 0 && strcmp(it->string, "podSelector") != 0)
            return fail(err, errlen, "may hold only namespaceSelector and podSelector", i);
        if (!cJSON_IsObject(it))
            return fail(err, errlen, "a selector must be an object", i);
        selectors++;
    }
    return selectors ? CORE_OK : fail(err, errlen, "needs namespaceSelector or podSelector", i);
}


int
dbi_netpol_parse(const cJSON *obj, dbi_spec *out, char *err, size_t errlen)
{
    const cJSON *np = kjson_path(obj, "spec", "networkPolicy", NULL);
    const cJSON *enabled = cJSON_GetObjectItemCaseSensitive(np, "enabled");
    const cJSON *from = cJSON_GetObjectItemCaseSensitive(np, "allowFrom"), *peer;
    int          i = 0, rc;

    out->netpol = 0;
    out->netpol_from = NULL;
    if (!np || cJSON_IsNull(np))
        return CORE_OK;
    if (!cJSON_IsObject(np)) {
        snprintf(err, errlen, "spec.networkPolicy: must be an object");
        return CORE_EINVAL;
    }
    if (enabled && !cJSON_IsNull(enabled) && !cJSON_IsBool(enabled))
        return fail(err, errlen, "enabled: must be a boolean", -1);
    out->netpol = cJSON_IsTrue(enabled);
    if (!from || cJSON_IsNull(from))
        return CORE_OK;
    if (!cJSON_IsArray(from))
        return fail(err, errlen, "allowFrom: must be a list", -1);
    if (cJSON_GetArraySize(from) > DBI_NETPOL_MAX_PEERS)
        return fail(err, errlen, "allowFrom: at most 16 peers", -1);
    cJSON_ArrayForEach(peer, from) {
        if ((rc = check_peer(peer, i++, err, errlen)))
            return rc;
    }
    out->netpol_from = cJSON_GetArraySize(from) ? from : NULL;
    return CORE_OK;
}


cJSON *
dbi_build_networkpolicy(const dbi_spec *s, const cJSON *owner)
{
    ctrl_bld     b = {0};
    const cJSON *peer, *sel;
    cJSON       *o, *spec, *rule, *port, *from, *p;

    o = ctrl_b_child(&b, "networking.k8s.io/v1", "NetworkPolicy", s->name, owner, DBI_API_VERSION,
                     DBI_KIND, s->engine->name);
    if (!b.failed)
        dbi_pass_metadata(&b, o, s);
    spec = ctrl_b_obj(&b, o, "spec");
    ctrl_b_put(&b, ctrl_b_obj(&b, spec, "podSelector"), "matchLabels", dbi_labels(s));
    ctrl_b_str(&b, ctrl_b_arr(&b, spec, "policyTypes"), NULL, "Ingress");
    rule = ctrl_b_obj(&b, ctrl_b_arr(&b, spec, "ingress"), NULL);
    port = ctrl_b_obj(&b, ctrl_b_arr(&b, rule, "ports"), NULL);
    ctrl_b_str(&b, port, "protocol", "TCP");
    ctrl_b_int(&b, port, "port", s->engine->port);
    from = ctrl_b_arr(&b, rule, "from");
    if (!s->netpol_from) {
        /* the instance's own namespace: every pod in it */
        ctrl_b_obj(&b, ctrl_b_obj(&b, from, NULL), "podSelector");
        return ctrl_b_done(&b, o);
    }
    cJSON_ArrayForEach(peer, s->netpol_from) {
        p = ctrl_b_obj(&b, from, NULL);
        /* a fixed order, whatever the order the server sent */
        if ((sel = cJSON_GetObjectItemCaseSensitive(peer, "namespaceSelector")))
            ctrl_b_copy(&b, p, "namespaceSelector", sel);
        if ((sel = cJSON_GetObjectItemCaseSensitive(peer, "podSelector")))
            ctrl_b_copy(&b, p, "podSelector", sel);
    }
    return ctrl_b_done(&b, o);
}
