/*
 * kops: object operations on the Kubernetes API, on top of the kube client.
 *
 * get, create, update (PUT), delete, JSON merge patch, server-side apply (fieldManager
 * dbaas-operator, force unless the target says no_force), each optionally on a subresource ("status"). Every call ends in one
 * kops_cb with a verdict:
 *   CORE_OK         2xx; obj is the server's answer (the object, or a Status)
 *   CORE_ENOENT     404
 *   CORE_ECONFLICT  409 (a stale resourceVersion, or AlreadyExists on create): requeue
 *   CORE_EHTTP      any other status; message holds the server's Status.message
 *   other           a transport failure (message says which)
 * obj is valid during the callback only, and may be NULL. It is read-only: it may sit in the
 * client's pool (kube_client_set_pool), where cJSON_Delete, detaching, adding or replacing
 * would corrupt the heap; cJSON_Duplicate what you keep.
 *
 * Also pure helpers for what controllers write: controller ownerReferences and finalizers.
 */
#ifndef DBAAS_KOPS_H
#define DBAAS_KOPS_H

#include <cjson/cJSON.h>

#include "kres/kres.h"
#include "kube/kube.h"

#define KOPS_FIELD_MANAGER "dbaas-operator"

typedef struct {
    int          err;
    long         status; /* HTTP status, 0 without an answer */
    const cJSON *obj;
    const char  *message; /* one line; "" on success */
} kops_result;

typedef void (*kops_cb)(const kops_result *r, void *data);

typedef struct {
    kube_client *client;
    const kres  *res;
    const char  *ns;       /* ignored for cluster-scoped resources */
    const char  *name;     /* NULL for create */
    const char  *sub;      /* subresource, e.g. "status", or NULL */
    int          no_obj;   /* the callback ignores obj on success: a 2xx answer is not
                              parsed (obj NULL); errors still carry their message */
    int          no_force; /* kops_apply without force: a field another manager owns with
                              another value gives a 409 instead of being taken over */
} kops_target;

int kops_get(const kops_target *t, kops_cb cb, void *data);
int kops_create(const kops_target *t, const cJSON *obj, kops_cb cb, void *data);
int kops_update(const kops_target *t, const cJSON *obj, kops_cb cb, void *data);
/* propagation: "Foreground", "Background", "Orphan", or NULL for the server's default. */
int kops_delete(const kops_target *t, const char *propagation, kops_cb cb, void *data);
/* The same, refused by the server (409) unless the object still has this uid (NULL: any):
 * DeleteOptions.preconditions, so a newer object of the same name is never deleted. */
int kops_delete_uid(const kops_target *t, const char *propagation, const char *uid, kops_cb cb,
                    void *data);
int kops_merge_patch(const kops_target *t, const cJSON *patch, kops_cb cb, void *data);
int kops_apply(const kops_target *t, const cJSON *obj, kops_cb cb, void *data);

/*
 * 1 when res is a write refused because its namespace is being deleted: CORE_EHTTP, HTTP 403,
 * and a Status (res->obj) listing a cause of reason "NamespaceTerminating" (the API server's
 * NamespaceLifecycle admission refuses every create there; k8s.io/api/core/v1
 * NamespaceTerminatingCause, which client-go's controllers test with
 * apierrors.HasStatusCause). An RBAC 403 has no such cause. res NULL: 0. Pure.
 */
int kops_ns_terminating(const kops_result *res);

/*
 * Adds (or replaces) child's controller ownerReference to owner, with controller and
 * blockOwnerDeletion true. owner needs metadata.name and metadata.uid.
 */
int kops_set_controller(cJSON *child, const cJSON *owner, const char *api_version, const char *kind);

/* Whether obj's metadata.finalizers holds name. */
int kops_has_finalizer(const cJSON *obj, const char *name);

/*
 * A merge patch that sets metadata.finalizers to obj's list plus (add) or minus (!add)
 * name, with obj's resourceVersion as a precondition so a concurrent change gives a 409
 * instead of losing someone else's finalizer. Caller frees; NULL when out of memory.
 */
cJSON *kops_finalizer_patch(const cJSON *obj, const char *name, int add);

/*
 * Whether live already holds everything desired says: every field of desired is in live
 * with an equal value (objects compared field by field, recursively; numbers by value).
 * A list whose elements are all objects with distinct "name"s (containers, env, volumes,
 * volumeMounts: listType map keyed by name in the Kubernetes API) is compared by that key:
 * each desired element must be in live under its name, in any order, and live elements of
 * other names (a webhook's sidecar or env) do not matter, as server-side apply would keep
 * them anyway. Other lists are compared element by element and must have the same length.
 * Fields only in live (defaults, status, other managers' fields) do not matter. Reconcilers
 * apply desired only when this is false, so an unchanged object costs no write; an element
 * the desired object dropped is found by ctrl's applied-checksum stamp, not here.
 */
int kops_is_applied(const cJSON *desired, const cJSON *live);

#endif
