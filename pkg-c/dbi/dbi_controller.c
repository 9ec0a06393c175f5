/*
 * The DBInstance kind on the ctrl toolkit: its steps are
 *   spec  ->  credentials  ->  children  ->  status        (sync)
 *   the volume deleted, or the volume and Secret cut loose (finalize)
 * ctrl compares, applies, judges ownership and writes status; this file decides what the
 * children are. Passwords are read from the existing Secret, never regenerated: when the
 * cache has no Secret a new one is created with POST, which fails (409) rather than
 * overwrite one the cache has not seen; then a live GET reads the passwords from the
 * Secret that is there, if it is ours to use.
 */
#include "dbi_controller.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/core.h"
#include "ctrl/ctrl.h"
#include "ctrl/ctrl_build.h"
#include "ctrl/ctrl_status.h"
#include "dbi/dbi.h"
#include "dbi/dbi_adopt.h"
#include "dbi/dbi_status.h"
#include "kjson/kjson.h"
#include "kops/kops.h"
#include "log/log.h"

#define DBI_VERSION_AN   "dbaas.dev/version"
#define DBI_PASSWORD_LEN 32
#define DBI_NAME_LEN     320

const kres KRES_DBINSTANCES = {DBI_GROUP, DBI_VERSION, "dbinstances", DBI_KIND, 1};

typedef struct {
    informer *sts, *secrets, *configmaps, *services, *pvcs;
} dbi_ctl;

/* What one run of a DBInstance keeps between its steps. */
typedef struct {
    dbi_spec spec;
    int      spec_ok;
    char     password[128], superuser[128];
    char     checksum[32]; /* of the rendered configuration, for the pod template */
    cJSON   *sts;          /* the StatefulSet as written in this run, or as cached */
} dbi_run;


static void run_children(ctrl_run *run);
static void run_status(ctrl_run *run);


static dbi_run *
st(ctrl_run *run)
{
    return ctrl_state(run);
}


static dbi_ctl *
caches(ctrl_run *run)
{
    return ctrl_data(run);
}


static void
scrub(ctrl_run *run)
{
    dbi_run *s = st(run);

    OPENSSL_cleanse(s->password, sizeof s->password);
    OPENSSL_cleanse(s->superuser, sizeof s->superuser);
    cJSON_Delete(s->sts);
}


static void
secret_name(ctrl_run *run, char *buf, size_t len)
{
    snprintf(buf, len, "%s-credentials", ctrl_name(run));
}


/*
 * An orphan child (no controller) is ours to adopt when it carries our labels for this
 * instance and engine: what deletionPolicy Retain leaves behind for a DBInstance of the
 * same name.
 */
static int
may_adopt(ctrl_run *run, const cJSON *child)
{
    const cJSON *labels = kjson_path(child, "metadata", "labels", NULL);
    const char  *managed = kjson_get_str(labels, CTRL_LABEL_MANAGED);
    const char  *inst = kjson_get_str(labels, CTRL_LABEL_INSTANCE);
    const char  *app = kjson_get_str(labels, CTRL_LABEL_NAME);
    const char  *engine = kjson_path_str(ctrl_obj(run), "spec", "engine", NULL);

    return managed && inst && app && engine && strcmp(managed, CTRL_MANAGED_BY) == 0 &&
           strcmp(inst, ctrl_name(run)) == 0 && strcmp(app, engine) == 0;
}


/* --- status ------------------------------------------------------------------------ */

static void
run_status(ctrl_run *run)
{
    dbi_run      *s = st(run);
    dbi_status_in in;
    char          pvc[DBI_NAME_LEN];
    cJSON        *sts = s->sts ? NULL : ctrl_cached(run, caches(run)->sts, ctrl_name(run));
    cJSON        *claim, *fields;

    snprintf(pvc, sizeof pvc, "data-%s-0", ctrl_name(run));
    claim = ctrl_cached(run, caches(run)->pvcs, pvc);
    memset(&in, 0, sizeof in);
    in.dbi = ctrl_obj(run);
    in.spec = s->spec_ok ? &s->spec : NULL;
    in.sts = s->sts ? s->sts : sts;
    in.pvc = claim;
    in.deleting = kjson_path(ctrl_obj(run), "metadata", "deletionTimestamp", NULL) != NULL;
    fields = dbi_status_eval(&in, ctrl_run_conds(run));
    cJSON_Delete(sts);
    cJSON_Delete(claim);
    ctrl_status(run, fields);
}


/* --- children ---------------------------------------------------------------------- */

/* The StatefulSet just written: its answer, not the cache (which has not seen the write
 * yet), tells status whether the new template has rolled out. */
static void
on_sts(ctrl_run *run, const cJSON *sts, int written)
{
    dbi_run *s = st(run);

    (void)written;
    if (sts && !s->sts)
        s->sts = cJSON_Duplicate(sts, 1);
}


/* The StatefulSet's claim template is immutable: keep the existing one. */
static void
keep_claims(cJSON *desired, const cJSON *live)
{
    const cJSON *old = kjson_path(live, "spec", "volumeClaimTemplates", NULL);
    cJSON       *spec = cJSON_GetObjectItemCaseSensitive(desired, "spec");

    if (old)
        cJSON_ReplaceItemInObjectCaseSensitive(spec, "volumeClaimTemplates", cJSON_Duplicate(old, 1));
}


static cJSON *
desired_sts(ctrl_run *run, const char *checksum, const cJSON *live)
{
    dbi_run *s = st(run);
    cJSON   *desired = dbi_build_statefulset(&s->spec, ctrl_obj(run), checksum);
    cJSON   *meta, *ann;

    if (!desired)
        return NULL;
    meta = cJSON_GetObjectItemCaseSensitive(desired, "metadata");
    ann = cJSON_GetObjectItemCaseSensitive(meta, "annotations");
    if (!ann)
        ann = cJSON_AddObjectToObject(meta, "annotations");
    cJSON_DeleteItemFromObjectCaseSensitive(ann, DBI_VERSION_AN);
    cJSON_AddStringToObject(ann, DBI_VERSION_AN, s->spec.version);
    /* Stamped as built, before the claim template is taken from the live object (with the
     * server's defaults in it), so that the next run, copying the same, sees no change. */
    if (ctrl_stamp(desired) != CORE_OK) {
        cJSON_Delete(desired);
        return NULL;
    }
    if (live)
        keep_claims(desired, live);
    return desired;
}


/* Claims are made by the StatefulSet controller from the template: grow ours in place. */
static void
grow_claim(ctrl_run *run)
{
    dbi_run       *s = st(run);
    char           name[DBI_NAME_LEN], msg[300];
    cJSON         *pvc, *patch;
    const char    *req;
    kjson_quantity want, have;

    snprintf(name, sizeof name, "data-%s-0", ctrl_name(run));
    pvc = ctrl_cached(run, caches(run)->pvcs, name);
    req = kjson_path_str(pvc, "spec", "resources", "requests", "storage", NULL);
    if (req && kjson_quantity_parse(req, &have) == CORE_OK &&
        kjson_quantity_parse(s->spec.storage_size, &want) == CORE_OK &&
        kjson_quantity_cmp(&want, &have) > 0) {
        patch = cJSON_Parse("{\"spec\":{\"resources\":{\"requests\":{}}}}");
        cJSON_AddStringToObject(kjson_path(patch, "spec", "resources", "requests", NULL), "storage",
                                s->spec.storage_size);
        ctrl_patch(run, &KRES_PVCS, pvc, patch);
        snprintf(msg, sizeof msg, "growing the volume from %s to %s", req, s->spec.storage_size);
        ctrl_event(run, "Normal", "Resizing", msg);
    }
    cJSON_Delete(pvc);
}


/* The data claim says what it holds (dbi_adopt.h), once the StatefulSet has made it. */
static void
annotate_claim(ctrl_run *run)
{
    dbi_run *s = st(run);
    char     name[DBI_NAME_LEN];
    cJSON   *pvc, *patch = NULL, *ann;

    snprintf(name, sizeof name, "data-%s-0", ctrl_name(run));
    pvc = ctrl_cached(run, caches(run)->pvcs, name);
    if (pvc && !dbi_held_current(&s->spec, pvc)) {
        patch = cJSON_Parse("{\"metadata\":{\"annotations\":{}}}");
        ann = kjson_path(patch, "metadata", "annotations", NULL);
        if (ann && dbi_held_put(&s->spec, ann) == CORE_OK)
            ctrl_patch(run, &KRES_PVCS, pvc, patch);
        else
            cJSON_Delete(patch);
    }
    cJSON_Delete(pvc);
}


/* A major version change needs a dump and restore: refused, nothing changed. */
static int
major_change(ctrl_run *run, const cJSON *sts_live)
{
    dbi_run    *s = st(run);
    const char *prev = kjson_path_str(ctrl_obj(run), "status", "currentVersion", NULL);
    char        prev_major[32], want_major[32];

    if (!prev)
        prev = kjson_path_str(sts_live, "metadata", "annotations", DBI_VERSION_AN, NULL);
    if (!prev || dbi_major(s->spec.engine, prev, prev_major, sizeof prev_major) != CORE_OK ||
        dbi_major(s->spec.engine, s->spec.version, want_major, sizeof want_major) != CORE_OK ||
        strcmp(prev_major, want_major) == 0)
        return 0;
    ctrl_refuse(run, 0, "UnsupportedUpgrade",
                "spec.version: changing the major version (%s to %s) needs a dump and restore; "
                "set it back to the running major version or create a new DBInstance",
                prev, s->spec.version);
    return 1;
}


/* The pod comes last: it mounts the ConfigMap and is reached through the Services, so it is
 * written only once they are ours and written. */
static void
run_pod(ctrl_run *run)
{
    dbi_run *s = st(run);
    cJSON   *sts_live;

    if (ctrl_refused(run)) {
        run_status(run);
        return;
    }
    sts_live = ctrl_cached(run, caches(run)->sts, ctrl_name(run));
    ctrl_apply(run, &KRES_STATEFULSETS, caches(run)->sts, desired_sts(run, s->checksum, sts_live),
               on_sts);
    grow_claim(run);
    annotate_claim(run);
    cJSON_Delete(sts_live);
    ctrl_then(run, run_status);
}


static void
run_children(ctrl_run *run)
{
    dbi_run     *s = st(run);
    dbi_ctl     *d = caches(run);
    const cJSON *owner = ctrl_obj(run);
    cJSON       *sts_live = ctrl_cached(run, d->sts, ctrl_name(run));
    int          refused = major_change(run, sts_live);

    cJSON_Delete(sts_live);
    if (refused) {
        run_status(run);
        return;
    }
    ctrl_apply(run, &KRES_SECRETS, d->secrets,
               dbi_build_secret(&s->spec, owner, s->password, s->superuser), NULL);
    ctrl_apply(run, &KRES_CONFIGMAPS, d->configmaps,
               dbi_build_configmap(&s->spec, owner, s->checksum, sizeof s->checksum), NULL);
    ctrl_apply(run, &KRES_SERVICES, d->services, dbi_build_service(&s->spec, owner), NULL);
    ctrl_apply(run, &KRES_SERVICES, d->services, dbi_build_headless_service(&s->spec, owner), NULL);
    ctrl_then(run, run_pod);
}


/* --- ownership: every child checked before any is written ------------------------ */

/* A retained claim or Secret that exists and is ours by labels: adopted only when it holds
 * what the spec asks for (dbi_adopt.h). */
static void
on_held_checked(ctrl_run *run, const cJSON *live, int written)
{
    dbi_run *s = st(run);
    char     msg[CTRL_MSG_MAX];

    (void)written;
    if (live && dbi_adopt_check(&s->spec, live, msg, sizeof msg) != CORE_OK)
        ctrl_refuse(run, 0, "InvalidSpec", "%s", msg);
}


/*
 * Checks every child (ctrl_check: the caches, and a GET for a name they do not hold) and
 * runs next once all have answered, so that nothing is written while any is someone
 * else's. The data claim is checked too: the StatefulSet controller would mount a claim
 * data-<name>-0 that exists whoever made it.
 */
static void
check_children(ctrl_run *run, void (*next)(ctrl_run *run))
{
    dbi_run *s = st(run);
    dbi_ctl *d = caches(run);
    char     name[DBI_NAME_LEN];

    /* The data first: a mismatch of the retained claim is what status names. */
    snprintf(name, sizeof name, "data-%s-0", ctrl_name(run));
    ctrl_check(run, &KRES_PVCS, d->pvcs, name, on_held_checked);
    secret_name(run, name, sizeof name);
    ctrl_check(run, &KRES_SECRETS, d->secrets, name, on_held_checked);
    if (dbi_child_name(&s->spec, "-config", name, sizeof name) == CORE_OK)
        ctrl_check(run, &KRES_CONFIGMAPS, d->configmaps, name, NULL);
    ctrl_check(run, &KRES_SERVICES, d->services, ctrl_name(run), NULL);
    if (dbi_child_name(&s->spec, "-headless", name, sizeof name) == CORE_OK)
        ctrl_check(run, &KRES_SERVICES, d->services, name, NULL);
    ctrl_check(run, &KRES_STATEFULSETS, d->sts, ctrl_name(run), NULL);
    ctrl_then(run, next);
}


/* --- credentials ------------------------------------------------------------------- */

static int
secret_value(const cJSON *secret, const char *key, char *buf, size_t len)
{
    const char    *b64 = kjson_path_str(secret, "data", key, NULL);
    unsigned char *raw = NULL;
    size_t         n = 0;
    int            rc;

    if (!b64)
        return CORE_ENOENT;
    rc = core_b64_decode(b64, strlen(b64), &raw, &n);
    if (rc == CORE_OK && (n == 0 || n >= len || memchr(raw, '\0', n)))
        rc = CORE_EINVAL;
    if (rc == CORE_OK)
        memcpy(buf, raw, n + 1);
    if (raw)
        OPENSSL_cleanse(raw, n);
    free(raw);
    return rc;
}


static int
take_passwords(ctrl_run *run, const cJSON *secret)
{
    dbi_run *s = st(run);

    return secret_value(secret, "password", s->password, sizeof s->password) ||
           secret_value(secret, "superuser-password", s->superuser, sizeof s->superuser);
}


/* The Secret that exists: use its passwords when it is ours; never invent new ones. */
static void
use_secret(ctrl_run *run, const cJSON *secret)
{
    char name[DBI_NAME_LEN];

    if (!ctrl_may_write(run, secret)) {
        run_status(run);
        return;
    }
    if (take_passwords(run, secret)) {
        secret_name(run, name, sizeof name);
        ctrl_refuse(run, 1, "CredentialsLost",
                    "Secret %s has no usable password or superuser-password; restore it, or set "
                    "spec.credentialsSecretRef to a Secret with the current password",
                    name);
        run_status(run);
        return;
    }
    run_children(run);
}


static void
on_live_secret(const kops_result *res, void *data)
{
    ctrl_run *run = data;

    if (res->err == CORE_ENOENT) {
        /* Gone again since the 409: the next run creates it. */
        ctrl_end(run, WQ_REQUEUE_AFTER);
        return;
    }
    if (res->err) {
        ctrl_end(run, WQ_ERROR);
        return;
    }
    use_secret(run, res->obj);
}


static void
on_created_secret(const kops_result *res, void *data)
{
    ctrl_run   *run = data;
    char        name[DBI_NAME_LEN];
    kops_target t = {rt_client(ctrl_runtime(run)), &KRES_SECRETS, ctrl_ns(run), name, NULL, 0, 0};

    if (res->err == CORE_ECONFLICT) {
        /* It exists (kept from a deleted DBInstance, someone else's, or not cached yet). */
        secret_name(run, name, sizeof name);
        if (kops_get(&t, on_live_secret, run))
            ctrl_end(run, WQ_ERROR);
        return;
    }
    if (res->err) {
        log_obj(LOG_WARN, DBI_CTL_NAME, ctrl_key(run), "creating the credentials Secret failed",
                "error", res->message, NULL);
        ctrl_end(run, WQ_ERROR);
        return;
    }
    ctrl_event(run, "Normal", "CredentialsCreated", "created the credentials Secret");
    run_children(run);
}


static void
create_secret(ctrl_run *run)
{
    dbi_run    *s = st(run);
    cJSON      *secret = dbi_build_secret(&s->spec, ctrl_obj(run), s->password, s->superuser);
    kops_target t = {rt_client(ctrl_runtime(run)), &KRES_SECRETS, ctrl_ns(run), NULL, NULL, 1, 0};
    int         rc = secret ? kops_create(&t, secret, on_created_secret, run) : CORE_ENOMEM;

    cJSON_Delete(secret);
    if (rc)
        ctrl_end(run, WQ_ERROR);
}


static void
on_user_secret(const kops_result *res, void *data)
{
    ctrl_run *run = data;
    dbi_run  *s = st(run);

    if (res->err == CORE_ENOENT ||
        (res->err == CORE_OK && secret_value(res->obj, "password", s->password, sizeof s->password))) {
        ctrl_refuse(run, 0, "InvalidSpec",
                    res->err
                        ? "spec.credentialsSecretRef.name: Secret \"%s\" not found in this namespace "
                          "(it is watched: creating it is enough)"
                        : "spec.credentialsSecretRef.name: Secret \"%s\" has no usable key \"password\"",
                    s->spec.credentials_secret);
        run_status(run);
        return;
    }
    if (res->err) {
        ctrl_end(run, WQ_ERROR);
        return;
    }
    create_secret(run);
}


/* No Secret yet: take the password from the user's Secret, or make one. */
static void
new_credentials(ctrl_run *run)
{
    dbi_run    *s = st(run);
    kops_target t = {rt_client(ctrl_runtime(run)),
                     &KRES_SECRETS,
                     ctrl_ns(run),
                     s->spec.credentials_secret,
                     NULL,
                     0,
                     0};

    if (dbi_password(s->superuser, sizeof s->superuser, DBI_PASSWORD_LEN)) {
        ctrl_end(run, WQ_ERROR);
        return;
    }
    if (s->spec.credentials_secret) {
        if (kops_get(&t, on_user_secret, run))
            ctrl_end(run, WQ_ERROR);
        return;
    }
    if (dbi_password(s->password, sizeof s->password, DBI_PASSWORD_LEN)) {
        ctrl_end(run, WQ_ERROR);
        return;
    }
    create_secret(run);
}


static void after_checks(ctrl_run *run);


static void
dbi_sync(ctrl_run *run)
{
    dbi_run *s = st(run);
    char     err[600];

    if (dbi_spec_parse(ctrl_obj(run), &s->spec, err, sizeof err) != CORE_OK) {
        ctrl_refuse(run, 0, "InvalidSpec", "%s", err);
        run_status(run);
        return;
    }
    s->spec_ok = 1;
    /* A Secret the spec names may appear or change later: watch it, and only it. */
    ctrl_depend(run, &KRES_SECRETS, s->spec.credentials_secret);
    check_children(run, after_checks);
}


/* Every child is ours to write: on to the credentials, then the children. */
static void
after_checks(ctrl_run *run)
{
    char   name[DBI_NAME_LEN];
    cJSON *secret;

    if (ctrl_refused(run)) {
        run_status(run);
        return;
    }
    secret_name(run, name, sizeof name);
    secret = ctrl_cached(run, caches(run)->secrets, name);
    if (secret)
        use_secret(run, secret);
    else
        new_credentials(run); /* a 409 says one exists after all, and it is read instead */
    cJSON_Delete(secret);
}


/* --- deletion ---------------------------------------------------------------------- */

static void
after_cleanup(ctrl_run *run)
{
    if (ctrl_refused(run)) {
        run_status(run); /* say why; the finalizer stays until cleanup is done */
        return;
    }
    ctrl_finalized(run);
}


/* A claim this DBInstance holds: labelled for it (may_adopt), and it says it holds it, or says
 * nothing (made before the annotations, or not annotated yet). Any other claim is left
 * alone, without a conflict that would keep the finalizer for ever. */
static int
holds_claim(ctrl_run *run, const cJSON *claim)
{
    const char *uid = kjson_path_str(claim, "metadata", "annotations", DBI_HELD_UID, NULL);
    const char *own = kjson_path_str(ctrl_obj(run), "metadata", "uid", NULL);

    return may_adopt(run, claim) && (!uid || (own && strcmp(uid, own) == 0));
}


/* The Secret carries this DBInstance's controller ownerReference: ours to cut loose. */
static int
controls_secret(ctrl_run *run, const cJSON *secret)
{
    const cJSON *ref;
    const char  *own = kjson_path_str(ctrl_obj(run), "metadata", "uid", NULL);
    const char  *uid;

    cJSON_ArrayForEach(ref, kjson_path(secret, "metadata", "ownerReferences", NULL)) {
        uid = kjson_get_str(ref, "uid");
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ref, "controller")) && uid && own &&
            strcmp(uid, own) == 0)
            return 1;
    }
    return 0;
}


/*
 * Delete: remove the claim too (children owned by the DBInstance are collected).
 * Retain (and Snapshot, until snapshots exist): keep the claim and the credentials Secret,
 * cut loose so the collector leaves them and a new DBInstance of the same name adopts them.
 * Only what is ours is touched: the claim and Secret come from the caches, which hold only
 * objects with our labels, and ctrl_delete and ctrl_patch check whose they are.
 */
static void
finalize(ctrl_run *run)
{
    const char *policy = kjson_path_str(ctrl_obj(run), "spec", "deletionPolicy", NULL);
    char        name[DBI_NAME_LEN];
    cJSON      *live;

    if (!policy || strcmp(policy, "Delete") == 0) {
        snprintf(name, sizeof name, "data-%s-0", ctrl_name(run));
        live = ctrl_cached(run, caches(run)->pvcs, name);
        if (live && !holds_claim(run, live)) {
            log_obj(LOG_INFO, DBI_CTL_NAME, ctrl_key(run),
                    "the volume was retained by another DBInstance and never adopted: kept",
                    "claim", name, NULL);
        } else if (live) {
            log_obj(LOG_INFO, DBI_CTL_NAME, ctrl_key(run),
                    "deleting the volume (deletionPolicy Delete)", NULL);
            ctrl_delete(run, &KRES_PVCS, live, "Background");
        }
    } else {
        secret_name(run, name, sizeof name);
        live = ctrl_cached(run, caches(run)->secrets, name);
        if (live && controls_secret(run, live))
            ctrl_patch(run, &KRES_SECRETS, live,
                       cJSON_Parse("{\"metadata\":{\"ownerReferences\":null}}"));
        ctrl_event(run, "Normal", "Retained",
                   strcmp(policy, "Retain") == 0
                       ? "the volume and the credentials Secret are kept for a DBInstance of the "
                         "same name"
                       : "deletionPolicy Snapshot is not supported yet: the volume and credentials "
                         "are kept");
    }
    cJSON_Delete(live);
    ctrl_then(run, after_cleanup);
}


/* --- entry ------------------------------------------------------------------------- */

static const ctrl_kind dbi_kind = {
    .name = DBI_CTL_NAME,
    .res = &KRES_DBINSTANCES,
    .finalizer = DBI_FINALIZER,
    .state_size = sizeof(dbi_run),
    .sync = dbi_sync,
    .finalize = finalize,
    .may_adopt = may_adopt,
    .state_free = scrub,
};


int
dbi_controller_setup(rt *r, const char *namespace)
{
    dbi_ctl *d = calloc(1, sizeof *d);
    ctrl    *c;
    int      rc;

    if (!d)
        return CORE_ENOMEM;
    if ((rc = rt_on_cleanup(r, free, d))) {
        free(d);
        return rc;
    }
    if ((rc = ctrl_new(r, &dbi_kind, namespace, d, &c)) ||
        (rc = ctrl_watch_children(c, &KRES_STATEFULSETS, &d->sts)) ||
        (rc = ctrl_watch_children(c, &KRES_SECRETS, &d->secrets)) ||
        (rc = ctrl_watch_children(c, &KRES_CONFIGMAPS, &d->configmaps)) ||
        (rc = ctrl_watch_children(c, &KRES_SERVICES, &d->services)) ||
        (rc = ctrl_watch_labelled(c, &KRES_PVCS, CTRL_LABEL_INSTANCE, &d->pvcs)))
        return rc;
    return CORE_OK;
}
