/*
 * snap: DBSnapshot spec parsing, the VolumeSnapshot builder and the status verdict (snap.h).
 */
#include "snap/snap.h"

#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "ctrl/ctrl_build.h"
#include "kjson/kjson.h"

/* The longest DBInstance name (DBI_MAX_NAME in dbi.h): a longer one cannot exist. */
#define INSTANCE_NAME_MAX 45


int
snap_spec_parse(const cJSON *obj, snap_spec *out, char *err, size_t errlen)
{
    const char *policy;
    size_t      n;

    memset(out, 0, sizeof *out);
    out->name = kjson_path_str(obj, "metadata", "name", NULL);
    out->namespace = kjson_path_str(obj, "metadata", "namespace", NULL);
    out->instance = kjson_path_str(obj, "spec", "instanceName", NULL);
    out->klass = kjson_path_str(obj, "spec", "volumeSnapshotClassName", NULL);
    policy = kjson_path_str(obj, "spec", "deletionPolicy", NULL);
    if (!out->name || !out->namespace) {
        snprintf(err, errlen, "metadata.name and metadata.namespace are required");
        return CORE_EINVAL;
    }
    if (!out->instance || !out->instance[0]) {
        snprintf(err, errlen, "spec.instanceName is required");
        return CORE_EINVAL;
    }
    n = strlen(out->instance);
    /* A DNS-1035 label: lower-case letters, digits and '-', a letter first, no '-' last. */
    if (n > INSTANCE_NAME_MAX || out->instance[0] < 'a' || out->instance[0] > 'z' ||
        out->instance[n - 1] == '-' ||
        strspn(out->instance, "abcdefghijklmnopqrstuvwxyz0123456789-") != n) {
        snprintf(err, errlen,
                 "spec.instanceName: \"%.80s\" cannot name a DBInstance (a DNS-1035 "
                 "label of at most %d characters)",
                 out->instance, INSTANCE_NAME_MAX);
        return CORE_EINVAL;
    }
    if (out->klass && !out->klass[0])
        out->klass = NULL;
    if (policy && strcmp(policy, "Retain") != 0 && strcmp(policy, "Delete") != 0) {
        snprintf(err, errlen, "spec.deletionPolicy: \"%.40s\" is not Delete or Retain", policy);
        return CORE_EINVAL;
    }
    out->retain = policy && strcmp(policy, "Retain") == 0;
    return CORE_OK;
}


int
snap_source_read(const cJSON *dbi, snap_source *out)
{
    memset(out, 0, sizeof *out);
    out->uid = kjson_path_str(dbi, "metadata", "uid", NULL);
    out->engine = kjson_path_str(dbi, "spec", "engine", NULL);
    out->version = kjson_path_str(dbi, "spec", "version", NULL);
    out->storage_size = kjson_path_str(dbi, "spec", "storage", "size", NULL);
    out->database = kjson_path_str(dbi, "spec", "database", NULL);
    out->username = kjson_path_str(dbi, "spec", "username", NULL);
    out->storage_class = kjson_path_str(dbi, "spec", "storage", "storageClassName", NULL);
    if (!out->storage_class)
        out->storage_class = "";
    if (!out->storage_size || !out->storage_size[0])
        out->storage_size = "1Gi";
    if (!out->username || !out->username[0])
        out->username = "app";
    if (!out->uid || !out->engine || !out->version)
        return CORE_EINVAL;
    return CORE_OK;
}


cJSON *
snap_source_json(const snap_source *src)
{
    ctrl_bld b = {0};
    cJSON   *o = cJSON_CreateObject();

    if (!o)
        return NULL;
    if (src->engine)
        ctrl_b_str(&b, o, "engine", src->engine);
    if (src->version)
        ctrl_b_str(&b, o, "version", src->version);
    if (src->storage_size)
        ctrl_b_str(&b, o, "storageSize", src->storage_size);
    if (src->database)
        ctrl_b_str(&b, o, "database", src->database);
    if (src->username)
        ctrl_b_str(&b, o, "username", src->username);
    if (src->storage_class)
        ctrl_b_str(&b, o, "storageClassName", src->storage_class);
    if (src->uid)
        ctrl_b_str(&b, o, "instanceUID", src->uid);
    return ctrl_b_done(&b, o);
}


int
snap_claim_name(const char *instance, char *buf, size_t len)
{
    int n = snprintf(buf, len, "data-%s-0", instance);

    return n < 0 || (size_t)n >= len ? CORE_ETOOBIG : CORE_OK;
}


cJSON *
snap_build_volumesnapshot(const snap_spec *s, const cJSON *owner, const char *claim,
                          const char *instance_uid)
{
    ctrl_bld b = {0};
    cJSON   *vs, *labels, *spec;

    if (!claim || !instance_uid)
        return NULL;
    vs = ctrl_b_child(&b, SNAP_VS_API_VERSION, "VolumeSnapshot", s->name, owner, SNAP_API_VERSION,
                      SNAP_KIND, SNAP_APP);
    labels = ctrl_b_obj(&b, ctrl_b_obj(&b, vs, "metadata"), "labels");
    ctrl_b_str(&b, labels, SNAP_LABEL_INSTANCE, s->instance);
    ctrl_b_str(&b, labels, SNAP_LABEL_INSTANCE_UID, instance_uid);
    spec = ctrl_b_obj(&b, vs, "spec");
    if (s->klass)
        ctrl_b_str(&b, spec, "volumeSnapshotClassName", s->klass);
    ctrl_b_str(&b, ctrl_b_obj(&b, spec, "source"), "persistentVolumeClaimName", claim);
    return ctrl_b_done(&b, vs);
}


void
snap_status_eval(const cJSON *vs, snap_verdict *v)
{
    const char *name = kjson_path_str(vs, "metadata", "name", NULL);
    const char *size = kjson_path_str(vs, "status", "restoreSize", NULL);
    const char *error = kjson_path_str(vs, "status", "error", "message", NULL);
    int         ready = cJSON_IsTrue(kjson_path(vs, "status", "readyToUse", NULL));

    memset(v, 0, sizeof *v);
    if (!name)
        name = "?";
    if (ready) {
        v->ready = 1;
        v->reason = "SnapshotReady";
        snprintf(v->message, sizeof v->message,
                 "the VolumeSnapshot %s is ready to use (restoreSize %s)", name,
                 size ? size : "unknown");
    } else if (error) {
        v->degraded = 1;
        /* The snapshot-controller's words (external-snapshotter pkg/common-controller) when
         * no class is marked default for the driver ("cannot find default snapshot class"),
         * or the named class is not found (the API's NotFound: volumesnapshotclass...). */
        v->reason = strstr(error, "cannot find default snapshot class") ||
                            strstr(error, "volumesnapshotclass.snapshot.storage.k8s.io")
                      ? "NoSnapshotClass"
                      : "SnapshotFailed";
        snprintf(v->message, sizeof v->message, "the VolumeSnapshot %s failed: %s", name, error);
    } else {
        v->progressing = 1;
        v->reason = "SnapshotInProgress";
        snprintf(v->message, sizeof v->message,
                 "waiting for the VolumeSnapshot %s to become ready to use", name);
    }
}


cJSON *
snap_status_fields(const char *vs_name, const cJSON *vs, cJSON *source)
{
    ctrl_bld     b = {0};
    cJSON       *o = cJSON_CreateObject();
    const cJSON *ready = kjson_path(vs, "status", "readyToUse", NULL);
    const char  *size = kjson_path_str(vs, "status", "restoreSize", NULL);
    const char  *created = kjson_path_str(vs, "status", "creationTime", NULL);
    const char  *error = kjson_path_str(vs, "status", "error", "message", NULL);

    if (!o) {
        cJSON_Delete(source);
        return NULL;
    }
    ctrl_b_str(&b, o, "volumeSnapshotName", vs_name);
    if (vs)
        ctrl_b_bool(&b, o, "readyToUse", cJSON_IsTrue(ready));
    if (size)
        ctrl_b_str(&b, o, "restoreSize", size);
    if (created)
        ctrl_b_str(&b, o, "creationTime", created);
    if (error && !cJSON_IsTrue(ready))
        ctrl_b_str(&b, o, "error", error);
    if (source)
        ctrl_b_put(&b, o, "source", source);
    return ctrl_b_done(&b, o);
}
