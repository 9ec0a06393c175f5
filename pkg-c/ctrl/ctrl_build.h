/*
 * ctrl_build: pure helpers for the builders of every kind's children (part of ctrl).
 *
 * ctrl_bld accumulates allocation failures so that a builder reads straight and checks
 * once at the end (ctrl_b_done). Every helper adds a new item to parent under key (an
 * object member) or at the end (key NULL: parent is an array) and returns the item, or
 * NULL after recording the failure; a NULL parent is a failure recorded earlier and is
 * passed over. Nothing here does I/O.
 */
#ifndef DBAAS_CTRL_BUILD_H
#define DBAAS_CTRL_BUILD_H

#include <cjson/cJSON.h>
#include <stddef.h>

typedef struct {
    int failed;
} ctrl_bld;

/* Takes item (freed on failure). */
cJSON *ctrl_b_put(ctrl_bld *b, cJSON *parent, const char *key, cJSON *item);
/* parent[key] as an object: the one already there (so two builders can fill the same
 * "annotations" without writing the key twice, which JSON parsers resolve differently), else
 * a new one. NULL (and b->failed) when parent is NULL, parent[key] is not an object, or out of
 * memory. */
cJSON *ctrl_b_obj(ctrl_bld *b, cJSON *parent, const char *key);
cJSON *ctrl_b_arr(ctrl_bld *b, cJSON *parent, const char *key);
/* v NULL is a failure: callers pass only values they have. */
void   ctrl_b_str(ctrl_bld *b, cJSON *parent, const char *key, const char *v);
void   ctrl_b_int(ctrl_bld *b, cJSON *parent, const char *key, int v);
void   ctrl_b_bool(ctrl_bld *b, cJSON *parent, const char *key, int v);
/* The string array of a NULL-terminated list. */
void   ctrl_b_strs(ctrl_bld *b, cJSON *parent, const char *key, const char *const *v);
/* A deep copy of src under key; nothing when src is NULL. */
void   ctrl_b_copy(ctrl_bld *b, cJSON *parent, const char *key, const cJSON *src);
/* parent[key] = base64(v) (standard alphabet, padded), as a Secret's data holds it; the
 * scratch copy is scrubbed (OPENSSL_cleanse), since v is often a password. */
void   ctrl_b_b64(ctrl_bld *b, cJSON *parent, const char *key, const char *v);
/* o, or NULL (o freed) when anything failed on the way. */
cJSON *ctrl_b_done(ctrl_bld *b, cJSON *o);

/* The standard labels: app.kubernetes.io/name=app_name, instance, managed-by=dbaas-operator.
 * A new object the caller frees; NULL when out of memory. */
cJSON *ctrl_labels(const char *app_name, const char *instance);

/*
 * A child's skeleton: apiVersion, kind, metadata {name, namespace, labels (the standard
 * ones for app_name and the owner's name), ownerReferences [controller: owner]}. owner needs
 * metadata.name and metadata.uid; owner_api_version and owner_kind name its type. Failures
 * are recorded in b (an owner without uid is one: a child must be owned).
 */
cJSON *ctrl_b_child(ctrl_bld *b, const char *api_version, const char *kind, const char *name,
                    const cJSON *owner, const char *owner_api_version, const char *owner_kind,
                    const char *app_name);

/*
 * Stamps desired with the checksum of itself (the first 16 hex digits of the SHA-256 of its
 * compact JSON) in metadata.annotations[CTRL_APPLIED_ANN]. Stamp a builder's fresh output
 * once: a stamped object stamped again gets another checksum.
 * A live object whose stamp differs was applied from another desired state. CORE_ENOMEM,
 * CORE_EINVAL (desired is not an object).
 */
int ctrl_stamp(cJSON *desired);

/* The first 16 hex digits of the SHA-256 of len bytes of p, in out (len >= 17). */
int ctrl_checksum(const void *p, size_t len, char *out, size_t outlen);

#endif
