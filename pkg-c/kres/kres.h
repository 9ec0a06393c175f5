/*
 * kres: Kubernetes resource descriptors and the REST paths built from them.
 *
 * A kres names one resource type (group, version, plural resource, kind, scope). Paths are
 * appended to a caller's core_buf: /api/v1/... for the core group, /apis/G/V/... otherwise.
 * Names and namespaces are DNS labels and need no escaping; query values do (kres_escape).
 */
#ifndef DBAAS_KRES_H
#define DBAAS_KRES_H

#include "core/core.h"

typedef struct {
    const char *group; /* "" for the core group */
    const char *version;
    const char *resource; /* lower-case plural, as in the URL */
    const char *kind;
    int         namespaced;
} kres;

extern const kres KRES_NAMESPACES;
extern const kres KRES_CONFIGMAPS;
extern const kres KRES_SECRETS;
extern const kres KRES_SERVICES;
extern const kres KRES_PODS;
extern const kres KRES_PODTEMPLATES;
extern const kres KRES_PVCS;
extern const kres KRES_EVENTS;
extern const kres KRES_STATEFULSETS;
extern const kres KRES_LEASES;

/* "v1" or "group/version", as in an object's apiVersion. Static storage per kres. */
int kres_api_version(const kres *r, char *buf, size_t len);

/*
 * Appends the path of a collection (name NULL) or of one object, with an optional
 * subresource ("status"). ns is ignored for cluster-scoped resources and may be NULL for a
 * namespaced one to mean all namespaces (collections only).
 */
int kres_path(core_buf *b, const kres *r, const char *ns, const char *name, const char *sub);

/* Appends s percent-encoded for a URL query value: core_pct_encode, under the name paths use. */
int kres_escape(core_buf *b, const char *s);

#endif
