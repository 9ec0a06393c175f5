#include "kres.h"

#include <stdio.h>
#include <string.h>

const kres KRES_NAMESPACES = {"", "v1", "namespaces", "Namespace", 0};
const kres KRES_CONFIGMAPS = {"", "v1", "configmaps", "ConfigMap", 1};
const kres KRES_SECRETS = {"", "v1", "secrets", "Secret", 1};
const kres KRES_SERVICES = {"", "v1", "services", "Service", 1};
const kres KRES_PODS = {"", "v1", "pods", "Pod", 1};
const kres KRES_PODTEMPLATES = {"", "v1", "podtemplates", "PodTemplate", 1};
const kres KRES_PVCS = {"", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", 1};
const kres KRES_EVENTS = {"", "v1", "events", "Event", 1};
const kres KRES_STATEFULSETS = {"apps", "v1", "statefulsets", "StatefulSet", 1};
const kres KRES_LEASES = {"coordination.k8s.io", "v1", "leases", "Lease", 1};


int
kres_api_version(const kres *r, char *buf, size_t len)
{
    int n = r->group[0] ? snprintf(buf, len, "%s/%s", r->group, r->version)
                        : snprintf(buf, len, "%s", r->version);

    return n < 0 || (size_t)n >= len ? CORE_ETOOBIG : CORE_OK;
}


int
kres_path(core_buf *b, const kres *r, const char *ns, const char *name, const char *sub)
{
    int rc;

    if ((name && !*name) || (sub && !name))
        return CORE_EINVAL;
    rc = r->group[0] ? core_buf_printf(b, "/apis/%s/%s", r->group, r->version)
                     : core_buf_printf(b, "/api/%s", r->version);
    if (!rc && r->namespaced && ns && *ns)
        rc = core_buf_printf(b, "/namespaces/%s", ns);
    if (!rc)
        rc = core_buf_printf(b, "/%s", r->resource);
    if (!rc && name)
        rc = core_buf_printf(b, "/%s", name);
    if (!rc && sub)
        rc = core_buf_printf(b, "/%s", sub);
    return rc;
}


int
kres_escape(core_buf *b, const char *s)
{
    return core_pct_encode(b, s);
}
