/*
 * One reconcile of a DBInstance, in steps that each may wait for the API server:
 *   deletion (finalizer)  ->  finalizer  ->  spec  ->  credentials  ->  children  ->  status
 * Children are compared with the caches and applied (server-side apply) only when they
 * differ; status is written only when it differs. Passwords are read from the existing
 * Secret, never regenerated: when the cache has no Secret a new one is created with POST,
 * which fails (409) rather than overwrite one the cache has not seen; then a live GET reads
 * the passwords from the Secret that is there.
 */
#include "dbi_controller.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"
#include "dbi/dbi.h"
#include "dbi/dbi_status.h"
#include "kjson/kjson.h"
#include "kops/kops.h"
#include "log/log.h"

#define DBI_CTL        "dbinstance"
#define DBI_VERSION_AN "dbaas.dev/version"
#define DBI_PASSWORD_LEN 32

const kres KRES_DBINSTANCES = {DBI_GROUP, DBI_VERSION, "dbinstances", DBI_KIND, 1};

typedef struct {
    rt       *r;
    informer *dbis, *sts, *secrets, *configmaps, *services, *pvcs;
} dbi_ctl;

typedef struct {
    dbi_ctl       *d;
    rt_controller *ctl;
    char           key[512];
    cJSON         *obj;          /* the DBInstance (parsed from the cache) */
    dbi_spec       spec;
    int            spec_ok;
    const char    *reason;       /* a refusal reported in status */
    char           message[600];
    char           password[128], superuser[128];
    int            pending;      /* writes in flight */
    int            failed;       /* a write failed: retry with backoff */
    int            conflict;
    int            stage;
    cJSON         *sts_written;  /* the server's answer to this run's StatefulSet write */
} recon;

enum { STAGE_CHILDREN, STAGE_STATUS, STAGE_DONE };


static void run_children(recon *c);
static void run_status(recon *c);


static recon *
recon_new(dbi_ctl *d, rt_controller *ctl, const char *key)
{
    recon *c = calloc(1, sizeof *c);

    if (!c)
        return NULL;
    c->d = d;
    c->ctl = ctl;
    snprintf(c->key, sizeof c->key, "%s", key);
    return c;
}


static void
recon_end(recon *c, wq_result res)
{
    rt_controller_done(c->ctl, c->key, res, 0);
    cJSON_Delete(c->obj);
    cJSON_Delete(c->sts_written);
    memset(c->password, 0, sizeof c->password);
    memset(c->superuser, 0, sizeof c->superuser);
    free(c);
}


static cJSON *
cached(informer *inf, const char *ns, const char *name)
{
    char key[512];

    snprintf(key, sizeof key, "%s/%s", ns, name);
    return store_parse(store_get(informer_store(inf), key));
}


static kops_target
target(recon *c, const kres *res, const char *name, const char *sub)
{
    kops_target t = {rt_client(c->d->r), res, c->spec.namespace, name, sub, 0};

    return t;
}


static void
event(recon *c, const char *type, const char *reason, const char *message)
{
    events_record(rt_events(c->d->r), c->obj, type, reason, message);
}


/* --- a batch of writes: the next step runs when the last one answers ---------------- */

static void
after_writes(recon *c)
{
    if (c->pending > 0)
        return;
    if (c->conflict || c->failed) {
        /* Fresh state comes with the next run; status waits for it. */
        recon_end(c, c->conflict && !c->failed ? WQ_REQUEUE_AFTER : WQ_ERROR);
        return;
    }
    if (c->stage == STAGE_CHILDREN) {
        c->stage = STAGE_STATUS;
        run_status(c);
    } else {
        /* A refusal is retried with backoff: a missing Secret may appear, a spec be fixed. */
        recon_end(c, c->reason ? WQ_ERROR : WQ_OK);
    }
}


static void
on_write(const kops_result *res, void *data)
{
    recon *c = data;

    c->pending--;
    if (res->err == CORE_ECONFLICT)
        c->conflict = 1;
    else if (res->err && res->err != CORE_ENOENT) {
        c->failed = 1;
        log_obj(LOG_WARN, DBI_CTL, c->key, "write failed", "error", res->message, NULL);
    }
    after_writes(c);
}


/*
 * The StatefulSet just written: its answer, not the cache (which has not seen the write
 * yet), tells status whether the new template has rolled out. Without it a changed spec
 * would be reported Ready for its new generation while the old pod still runs.
 */
static void
on_sts_write(const kops_result *res, void *data)
{
    recon *c = data;

    if (res->err == CORE_OK && res->obj && !c->sts_written)
        c->sts_written = cJSON_Duplicate(res->obj, 1);
    on_write(res, data);
}


static void
sent(recon *c, int rc)
{
    if (rc == CORE_OK)
        c->pending++;
    else
        c->failed = 1;
}


/* Applies desired unless the cached object already says all of it. Takes desired. */
static void
apply_if_needed(recon *c, const kres *res, informer *inf, cJSON *desired, const char *what)
{
    const char *name = kjson_path_str(desired, "metadata", "name", NULL);
    cJSON      *live = cached(inf, c->spec.namespace, name);
    kops_target t = target(c, res, name, NULL);
    char        msg[300];

    t.no_obj = res != &KRES_STATEFULSETS;   /* only the StatefulSet's answer is read */
    if (!kops_is_applied(desired, live)) {
        snprintf(msg, sizeof msg, "%s %s %s", live ? "updated" : "created", what, name);
        log_obj(LOG_INFO, DBI_CTL, c->key, msg, NULL);
        sent(c, kops_apply(&t, desired, res == &KRES_STATEFULSETS ? on_sts_write : on_write, c));
    }
    cJSON_Delete(live);
    cJSON_Delete(desired);
}


/* --- status ------------------------------------------------------------------------ */

/* Events tell of transitions: the Ready condition's status or reason changing. */
static void
ready_transition(recon *c, const cJSON *old_status, const cJSON *new_status)
{
    const cJSON *o = dbi_condition(old_status, "Ready"), *n = dbi_condition(new_status, "Ready");
    const char  *os = kjson_get_str(o, "status"), *orsn = kjson_get_str(o, "reason");
    const char  *ns = kjson_get_str(n, "status"), *nrsn = kjson_get_str(n, "reason");

    if (!ns || !nrsn || (os && orsn && strcmp(os, ns) == 0 && strcmp(orsn, nrsn) == 0))
        return;
    event(c, strcmp(ns, "True") == 0 || strcmp(nrsn, "Provisioning") == 0 ? "Normal" : "Warning",
          nrsn, kjson_get_str(n, "message"));
}


static void
run_status(recon *c)
{
    dbi_status_in in;
    char          now[32], sts_name[300], pvc_name[320];
    cJSON        *sts = NULL, *pvc = NULL, *status, *patch;
    const cJSON  *old = cJSON_GetObjectItemCaseSensitive(c->obj, "status");
    const char   *ns = kjson_path_str(c->obj, "metadata", "namespace", NULL);
    const char   *name = kjson_path_str(c->obj, "metadata", "name", NULL);
    kops_target   t = {rt_client(c->d->r), &KRES_DBINSTANCES, ns, name, "status", 1};

    core_now_rfc3339(now, sizeof now);
    snprintf(sts_name, sizeof sts_name, "%s", name);
    snprintf(pvc_name, sizeof pvc_name, "data-%s-0", name);
    sts = c->sts_written ? cJSON_Duplicate(c->sts_written, 1) : cached(c->d->sts, ns, sts_name);
    pvc = cached(c->d->pvcs, ns, pvc_name);
    memset(&in, 0, sizeof in);
    in.dbi = c->obj;
    in.spec = c->spec_ok ? &c->spec : NULL;
    in.reason = c->reason;
    in.message = c->message;
    in.sts = sts;
    in.pvc = pvc;
    in.now = now;
    status = dbi_status_build(&in);
    /* Compare without the times: a condition that holds keeps its old time anyway. */
    if (old && cJSON_Compare(status, old, 1)) {
        cJSON_Delete(status);
        cJSON_Delete(sts);
        cJSON_Delete(pvc);
        recon_end(c, c->reason ? WQ_ERROR : WQ_OK);
        return;
    }
    ready_transition(c, old, status);
    patch = cJSON_CreateObject();
    cJSON_AddItemToObject(patch, "status", status);
    c->stage = STAGE_DONE;
    sent(c, kops_merge_patch(&t, patch, on_write, c));
    cJSON_Delete(patch);
    cJSON_Delete(sts);
    cJSON_Delete(pvc);
    after_writes(c);
}


/* A refusal: report it in status and touch nothing else. */
static void
refuse(recon *c, const char *reason, const char *fmt, const char *detail)
{
    c->reason = reason;
    snprintf(c->message, sizeof c->message, fmt, detail);
    log_obj(LOG_WARN, DBI_CTL, c->key, "refused", "reason", reason, "message", c->message, NULL);
    c->stage = STAGE_STATUS;
    run_status(c);
}


/* --- children ---------------------------------------------------------------------- */

/* The StatefulSet's claim template is immutable: keep the existing one, grow the claim. */
static void
keep_claims(cJSON *desired, const cJSON *live)
{
    const cJSON *old = kjson_path(live, "spec", "volumeClaimTemplates", NULL);
    cJSON       *spec = cJSON_GetObjectItemCaseSensitive(desired, "spec");

    if (old)
        cJSON_ReplaceItemInObjectCaseSensitive(spec, "volumeClaimTemplates", cJSON_Duplicate(old, 1));
}


static void
grow_claim(recon *c)
{
    char           name[320];
    cJSON         *pvc, *patch;
    const char    *req;
    kjson_quantity want, have;
    kops_target    t;

    snprintf(name, sizeof name, "data-%s-0", c->spec.name);
    pvc = cached(c->d->pvcs, c->spec.namespace, name);
    req = kjson_path_str(pvc, "spec", "resources", "requests", "storage", NULL);
    if (req && kjson_quantity_parse(req, &have) == CORE_OK &&
        kjson_quantity_parse(c->spec.storage_size, &want) == CORE_OK &&
        kjson_quantity_cmp(&want, &have) > 0) {
        char msg[300];

        patch = cJSON_Parse("{\"spec\":{\"resources\":{\"requests\":{}}}}");
        cJSON_AddStringToObject(kjson_path(patch, "spec", "resources", "requests", NULL), "storage",
                                c->spec.storage_size);
        t = target(c, &KRES_PVCS, name, NULL);
        t.no_obj = 1;
        sent(c, kops_merge_patch(&t, patch, on_write, c));
        cJSON_Delete(patch);
        snprintf(msg, sizeof msg, "growing the volume from %s to %s", req, c->spec.storage_size);
        event(c, "Normal", "Resizing", msg);
    }
    cJSON_Delete(pvc);
}


static void
run_children(recon *c)
{
    cJSON      *owner = c->obj, *sts_live, *desired;
    char        checksum[32], sts_name[300];
    const char *prev, *live_version;
    char        prev_major[32], want_major[32];

    snprintf(sts_name, sizeof sts_name, "%s", c->spec.name);
    sts_live = cached(c->d->sts, c->spec.namespace, sts_name);
    /* A major version change needs a dump and restore: refuse it, change nothing. */
    live_version = kjson_path_str(sts_live, "metadata", "annotations", DBI_VERSION_AN, NULL);
    prev = kjson_path_str(c->obj, "status", "currentVersion", NULL);
    if (!prev)
        prev = live_version;
    if (prev && dbi_major(c->spec.engine, prev, prev_major, sizeof prev_major) == CORE_OK &&
        dbi_major(c->spec.engine, c->spec.version, want_major, sizeof want_major) == CORE_OK &&
        strcmp(prev_major, want_major) != 0) {
        char detail[200];

        cJSON_Delete(sts_live);
        snprintf(detail, sizeof detail, "%s to %s", prev, c->spec.version);
        refuse(c, "UnsupportedUpgrade",
               "spec.version: changing the major version (%s) needs a dump and restore; set it "
               "back to the running major version or create a new DBInstance",
               detail);
        return;
    }
    c->pending++;  /* holds the batch open while it is being filled */
    apply_if_needed(c, &KRES_SECRETS, c->d->secrets,
                    dbi_build_secret(&c->spec, owner, c->password, c->superuser), "Secret");
    apply_if_needed(c, &KRES_CONFIGMAPS, c->d->configmaps,
                    dbi_build_configmap(&c->spec, owner, checksum, sizeof checksum), "ConfigMap");
    apply_if_needed(c, &KRES_SERVICES, c->d->services, dbi_build_service(&c->spec, owner), "Service");
    apply_if_needed(c, &KRES_SERVICES, c->d->services, dbi_build_headless_service(&c->spec, owner),
                    "Service");
    desired = dbi_build_statefulset(&c->spec, owner, checksum);
    if (desired) {
        cJSON *meta = cJSON_GetObjectItemCaseSensitive(desired, "metadata");
        cJSON *ann = cJSON_GetObjectItemCaseSensitive(meta, "annotations");

        if (!ann)
            ann = cJSON_AddObjectToObject(meta, "annotations");
        cJSON_DeleteItemFromObjectCaseSensitive(ann, DBI_VERSION_AN);
        cJSON_AddStringToObject(ann, DBI_VERSION_AN, c->spec.version);
        if (sts_live)
            keep_claims(desired, sts_live);
    }
    apply_if_needed(c, &KRES_STATEFULSETS, c->d->sts, desired, "StatefulSet");
    grow_claim(c);
    cJSON_Delete(sts_live);
    c->pending--;
    after_writes(c);
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
        memset(raw, 0, n);
    free(raw);
    return rc;
}


static void on_live_secret(const kops_result *res, void *data);


static void
on_created_secret(const kops_result *res, void *data)
{
    recon *c = data;

    if (res->err == CORE_ECONFLICT) {
        /* It exists (kept from a deleted DBInstance, or not cached yet): read it. */
        char        name[300];
        kops_target t;

        dbi_child_name(&c->spec, "-credentials", name, sizeof name);
        t = target(c, &KRES_SECRETS, name, NULL);
        if (kops_get(&t, on_live_secret, c))
            recon_end(c, WQ_ERROR);
        return;
    }
    if (res->err) {
        recon_end(c, WQ_ERROR);
        return;
    }
    event(c, "Normal", "CredentialsCreated", "created the credentials Secret");
    c->stage = STAGE_CHILDREN;
    run_children(c);
}


static void
create_secret(recon *c)
{
    cJSON      *s = dbi_build_secret(&c->spec, c->obj, c->password, c->superuser);
    kops_target t = target(c, &KRES_SECRETS, NULL, NULL);

    t.no_obj = 1;
    int         rc = s ? kops_create(&t, s, on_created_secret, c) : CORE_ENOMEM;

    cJSON_Delete(s);
    if (rc)
        recon_end(c, WQ_ERROR);
}


static void
on_user_secret(const kops_result *res, void *data)
{
    recon *c = data;

    if (res->err == CORE_ENOENT || (res->err == CORE_OK &&
                                    secret_value(res->obj, "password", c->password, sizeof c->password))) {
        char detail[300];

        snprintf(detail, sizeof detail, "%s", c->spec.credentials_secret);
        refuse(c, "InvalidSpec",
               res->err ? "spec.credentialsSecretRef.name: Secret \"%s\" not found in this namespace"
                        : "spec.credentialsSecretRef.name: Secret \"%s\" has no usable key \"password\"",
               detail);
        return;
    }
    if (res->err) {
        recon_end(c, WQ_ERROR);
        return;
    }
    create_secret(c);
}


/* No Secret yet: take the password from the user's Secret, or make one. */
static void
new_credentials(recon *c)
{
    kops_target t = target(c, &KRES_SECRETS, c->spec.credentials_secret, NULL);

    if (dbi_password(c->superuser, sizeof c->superuser, DBI_PASSWORD_LEN)) {
        recon_end(c, WQ_ERROR);
        return;
    }
    if (c->spec.credentials_secret) {
        if (kops_get(&t, on_user_secret, c))
            recon_end(c, WQ_ERROR);
        return;
    }
    if (dbi_password(c->password, sizeof c->password, DBI_PASSWORD_LEN)) {
        recon_end(c, WQ_ERROR);
        return;
    }
    create_secret(c);
}


static int
take_passwords(recon *c, const cJSON *secret)
{
    return secret_value(secret, "password", c->password, sizeof c->password) ||
           secret_value(secret, "superuser-password", c->superuser, sizeof c->superuser);
}


static void
on_live_secret(const kops_result *res, void *data)
{
    recon *c = data;

    if (res->err == CORE_ENOENT) {
        /* Gone again since the 409: the next run creates it. */
        recon_end(c, WQ_REQUEUE_AFTER);
        return;
    }
    if (res->err || take_passwords(c, res->obj)) {
        recon_end(c, WQ_ERROR);
        return;
    }
    c->stage = STAGE_CHILDREN;
    run_children(c);
}


static void
run_credentials(recon *c)
{
    char   name[300];
    cJSON *secret;

    dbi_child_name(&c->spec, "-credentials", name, sizeof name);
    secret = cached(c->d->secrets, c->spec.namespace, name);
    if (secret && take_passwords(c, secret) == CORE_OK) {
        cJSON_Delete(secret);
        c->stage = STAGE_CHILDREN;
        run_children(c);
        return;
    }
    cJSON_Delete(secret);
    /* Not cached: create one; a 409 says one exists after all, and it is read instead. */
    new_credentials(c);
}


/* --- deletion ---------------------------------------------------------------------- */

static void
on_finalizer_removed(const kops_result *res, void *data)
{
    recon *c = data;

    recon_end(c, res->err && res->err != CORE_ENOENT ? WQ_ERROR : WQ_OK);
}


static void
remove_finalizer(recon *c)
{
    const char *ns = kjson_path_str(c->obj, "metadata", "namespace", NULL);
    const char *name = kjson_path_str(c->obj, "metadata", "name", NULL);
    kops_target t = {rt_client(c->d->r), &KRES_DBINSTANCES, ns, name, NULL, 1};
    cJSON      *patch = kops_finalizer_patch(c->obj, DBI_FINALIZER, 0);

    if (!patch || kops_merge_patch(&t, patch, on_finalizer_removed, c))
        recon_end(c, WQ_ERROR);
    cJSON_Delete(patch);
}


static void
on_cleanup(const kops_result *res, void *data)
{
    recon *c = data;

    c->pending--;
    if (res->err && res->err != CORE_ENOENT)
        c->failed = 1;
    if (c->pending)
        return;
    if (c->failed)
        recon_end(c, WQ_ERROR);
    else
        remove_finalizer(c);
}


/*
 * Delete: remove the claim too (children owned by the DBInstance are collected).
 * Retain (and Snapshot, until snapshots exist): keep the claim and the credentials Secret,
 * cut loose so the collector leaves them and a new DBInstance of the same name adopts them.
 */
static void
run_deletion(recon *c)
{
    const char *ns = kjson_path_str(c->obj, "metadata", "namespace", NULL);
    const char *name = kjson_path_str(c->obj, "metadata", "name", NULL);
    const char *policy = kjson_path_str(c->obj, "spec", "deletionPolicy", NULL);
    char        pvc[320], secret[320];
    kops_target t = {rt_client(c->d->r), &KRES_PVCS, ns, pvc, NULL, 0};
    int         rc;

    if (!kops_has_finalizer(c->obj, DBI_FINALIZER)) {
        recon_end(c, WQ_OK);
        return;
    }
    snprintf(pvc, sizeof pvc, "data-%s-0", name);
    snprintf(secret, sizeof secret, "%s-credentials", name);
    if (!policy || strcmp(policy, "Delete") == 0) {
        log_obj(LOG_INFO, DBI_CTL, c->key, "deleting the volume (deletionPolicy Delete)", NULL);
        rc = kops_delete(&t, "Background", on_cleanup, c);
    } else {
        cJSON *patch = cJSON_Parse("{\"metadata\":{\"ownerReferences\":null}}");

        t.res = &KRES_SECRETS;
        t.name = secret;
        rc = patch ? kops_merge_patch(&t, patch, on_cleanup, c) : CORE_ENOMEM;
        cJSON_Delete(patch);
        event(c, "Normal", "Retained",
              strcmp(policy, "Retain") == 0
                  ? "the volume and the credentials Secret are kept for a DBInstance of the same name"
                  : "deletionPolicy Snapshot is not supported yet: the volume and credentials are kept");
    }
    if (rc) {
        recon_end(c, WQ_ERROR);
        return;
    }
    c->pending = 1;
}


/* --- entry ------------------------------------------------------------------------- */

static void
on_finalizer_added(const kops_result *res, void *data)
{
    recon *c = data;

    /* The update comes back through the informer and runs the rest. */
    recon_end(c, res->err ? (res->err == CORE_ECONFLICT ? WQ_REQUEUE_AFTER : WQ_ERROR) : WQ_OK);
}


static void
reconcile(rt_controller *ctl, const char *key, void *data)
{
    dbi_ctl    *d = data;
    recon      *c = recon_new(d, ctl, key);
    char        err[600];
    kops_target t;

    if (!c) {
        rt_controller_done(ctl, key, WQ_ERROR, 0);
        return;
    }
    c->obj = store_parse(store_get(informer_store(d->dbis), key));
    if (!c->obj) {
        recon_end(c, WQ_OK);  /* gone */
        return;
    }
    if (kjson_path(c->obj, "metadata", "deletionTimestamp", NULL)) {
        run_deletion(c);
        return;
    }
    if (!kops_has_finalizer(c->obj, DBI_FINALIZER)) {
        cJSON *patch = kops_finalizer_patch(c->obj, DBI_FINALIZER, 1);

        t = (kops_target){rt_client(d->r), &KRES_DBINSTANCES,
                          kjson_path_str(c->obj, "metadata", "namespace", NULL),
                          kjson_path_str(c->obj, "metadata", "name", NULL), NULL, 1};
        if (!patch || kops_merge_patch(&t, patch, on_finalizer_added, c))
            recon_end(c, WQ_ERROR);
        cJSON_Delete(patch);
        return;
    }
    if (dbi_spec_parse(c->obj, &c->spec, err, sizeof err) != CORE_OK) {
        refuse(c, "InvalidSpec", "%s", err);
        return;
    }
    c->spec_ok = 1;
    run_credentials(c);
}


int
dbi_controller_setup(rt *r, const char *namespace)
{
    static const char sel[] = "app.kubernetes.io/managed-by=" DBI_MANAGED_BY;
    dbi_ctl          *d = calloc(1, sizeof *d);
    rt_controller    *ctl;
    informer_opts     o;
    int               rc;

    if (!d)
        return CORE_ENOMEM;
    d->r = r;
    /* The controller lives as long as the process; d is freed with it. */
    if ((rc = rt_controller_add(r, DBI_CTL, reconcile, d, &ctl)))
        goto fail;
    memset(&o, 0, sizeof o);
    o.namespace = namespace;
    o.res = &KRES_DBINSTANCES;
    if ((rc = rt_controller_watch(ctl, &o, NULL, &d->dbis)))
        goto fail;
    o.label_selector = sel;
    o.res = &KRES_STATEFULSETS;
    if ((rc = rt_controller_watch(ctl, &o, DBI_KIND, &d->sts)))
        goto fail;
    o.res = &KRES_SECRETS;
    if ((rc = rt_controller_watch(ctl, &o, DBI_KIND, &d->secrets)))
        goto fail;
    o.res = &KRES_CONFIGMAPS;
    if ((rc = rt_controller_watch(ctl, &o, DBI_KIND, &d->configmaps)))
        goto fail;
    o.res = &KRES_SERVICES;
    if ((rc = rt_controller_watch(ctl, &o, DBI_KIND, &d->services)))
        goto fail;
    o.res = &KRES_PVCS;
    if ((rc = rt_controller_watch_by_label(ctl, &o, "app.kubernetes.io/instance", &d->pvcs)))
        goto fail;
    if ((rc = rt_on_cleanup(r, free, d)))
        goto fail;
    return CORE_OK;
fail:
    free(d);
    return rc;
}
