/*
 * The DBInstance kind on the ctrl toolkit: its steps are
 *   spec  ->  ownership checks  ->  credentials  ->  children  ->  status        (sync)
 *   the volume deleted, or the volume and Secret cut loose (finalize)
 * ctrl compares, applies, judges ownership and writes status; this file decides what the
 * children are. The credentials step is in dbi_credentials.c; what the two files share is
 * in dbi_controller-int.h.
 */
#include "dbi_controller.h"
#include "dbi_controller-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "core/core.h"
#include "ctrl/ctrl.h"
#include "ctrl/ctrl_about.h"
#include "ctrl/ctrl_build.h"
#include "ctrl/ctrl_status.h"
#include "dbi/dbi.h"
#include "dbi/dbi_adopt.h"
#include "dbi/dbi_final.h"
#include "dbi/dbi_restore.h"
#include "dbi/dbi_netpol.h"
#include "dbi/dbi_status.h"
#include "dbi/dbi_stuck.h"
#include "dbi/dbi_version.h"
#include "dbi/dbi_volume.h"
#include "engine/engine.h"
#include "informer/informer.h"
#include "kjson/kjson.h"
#include "kops/kops.h"
#include "log/log.h"
#include "store/store.h"

const kres KRES_DBINSTANCES = {DBI_GROUP, DBI_VERSION, "dbinstances", DBI_KIND, 1};

static void write_status(ctrl_run *run);
static int  retains(ctrl_run *run);
static void with_volume(ctrl_run *run, dbi_volume_mode mode, void (*next)(ctrl_run *run));


static void
scrub(ctrl_run *run)
{
    dbi_run *s = dbi__st(run);

    OPENSSL_cleanse(s->password, sizeof s->password);
    OPENSSL_cleanse(s->superuser, sizeof s->superuser);
    OPENSSL_cleanse(s->other, sizeof s->other);
    cJSON_Delete(s->sts_answer);
    dbi__tls_free(run);
    cJSON_Delete(s->snaps);
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


/* What a retained claim or Secret holds: its engine (may_adopt wants spec.engine). */
static void
adopt_hint(ctrl_run *run, const cJSON *child, char *buf, size_t len)
{
    const char *app = kjson_path_str(child, "metadata", "labels", CTRL_LABEL_NAME, NULL);

    (void)run;
    if (app)
        snprintf(buf, len, "engine %s (its label %s)", app, CTRL_LABEL_NAME);
}


/* obj.part.replicas (0 when absent). */
static int64_t
replicas(const cJSON *obj, const char *part)
{
    int64_t n = 0;

    kjson_get_int64(cJSON_GetObjectItemCaseSensitive(obj, part), "replicas", &n);
    return n;
}


/* --- status ------------------------------------------------------------------------ */

/* status.versionCheck; a series past its end of life is told in a Warning Event once, when
 * the status first says so (engine_version_check_news). */
static void
version_status(ctrl_run *run, cJSON *fields)
{
    char   today[32];
    cJSON *vc;

    core_now_rfc3339(today, sizeof today);
    today[10] = '\0'; /* the day: the engines' table compares ISO days */
    vc = dbi_version_status(&dbi__st(run)->spec, today, NULL);
    if (!vc)
        return;
    if (engine_version_check_news(kjson_path(ctrl_obj(run), "status", "versionCheck", NULL), vc))
        ctrl_event_on_status(run, "Warning", "EndOfLife", kjson_get_str(vc, "message"));
    cJSON_AddItemToObject(fields, "versionCheck", vc);
}


/*
 * Every sync ends here. For Retain the bound PV is set to Retain first, as soon as the claim
 * is bound (a namespace deletion asks no one); last, so that a PV the operator may not patch
 * (VolumeNotRetained in status) does not hold back the children of this run.
 */
void
dbi__run_status(ctrl_run *run)
{
    if (!dbi__st(run)->volume_done && retains(run) &&
        !kjson_path(ctrl_obj(run), "metadata", "deletionTimestamp", NULL)) {
        dbi__st(run)->volume_done = 1;
        with_volume(run, DBI_VOLUME_RETAIN, dbi__run_status);
        return;
    }
    if (!dbi__st(run)->backup_ran) {
        dbi__backup(run, dbi__run_status); /* spec.backup (dbi_schedule.c) */
        return;
    }
    write_status(run);
}


/* The StatefulSet as this run knows it: the server's answer to this run's write (kept in the
 * run's state, freed by scrub), else the cached one (ctrl_view: the run's); NULL when there
 * is none. */
const cJSON *
dbi__known_sts(ctrl_run *run)
{
    dbi_run *s = dbi__st(run);

    if (!s->sts && !s->sts_looked) {
        s->sts = ctrl_view(run, dbi__caches(run)->sts, ctrl_name(run));
        s->sts_looked = 1;
    }
    return s->sts;
}


static void
write_status(ctrl_run *run)
{
    dbi_run      *s = dbi__st(run);
    dbi_status_in in;
    char          pvc[DBI_NAME_LEN], pod_name[DBI_NAME_LEN];
    const cJSON  *claim, *pod, *svc;
    cJSON        *fields;
    dbi_stuck     wait;

    snprintf(pvc, sizeof pvc, "data-%s-0", ctrl_name(run));
    snprintf(pod_name, sizeof pod_name, "%s-0", ctrl_name(run));
    claim = ctrl_view(run, dbi__caches(run)->pvcs, pvc);
    svc = ctrl_view(run, dbi__caches(run)->services, ctrl_name(run));
    pod = ctrl_view(run, dbi__caches(run)->pods, pod_name);
    memset(&in, 0, sizeof in);
    in.dbi = ctrl_obj(run);
    in.spec = s->spec_ok ? &s->spec : NULL;
    in.sts = dbi__known_sts(run);
    in.pvc = claim;
    in.svc = svc;
    in.svc_ours = s->svc_ok || svc;
    in.secret_ours = s->have_secret;
    in.pod = pod;
    /* Only while the pod is missing: the Events are walked for nothing otherwise. */
    if (!pod && in.sts) {
        static const char *const failed[] = {"FailedCreate", NULL};
        static const char *const done[] = {"SuccessfulCreate", "SuccessfulDelete", NULL};

        in.sts_failed = ctrl_about(run, dbi__caches(run)->sts_events, in.sts, failed);
        in.sts_done = ctrl_about(run, dbi__caches(run)->sts_events, in.sts, done);
    }
    in.deleting = kjson_path(ctrl_obj(run), "metadata", "deletionTimestamp", NULL) != NULL;
    in.now_s = (int64_t)time(NULL);
    fields = dbi_status_eval(&in, ctrl_run_conds(run));
    /* No event marks the end of a claim's quiet time or wait (ClaimPending becoming
     * ClaimNotBound). */
    dbi_stuck_claim(claim, pod, in.now_s, &wait);
    if (wait.recheck_s > 0)
        ctrl_requeue_after(run, (uint64_t)wait.recheck_s * 1000);
    if (fields && s->spec_ok)
        version_status(run, fields);
    dbi__tls_status(run, fields);
    dbi__backup_status(run, fields);
    ctrl_status(run, fields);
}


/* --- children ---------------------------------------------------------------------- */

/* The StatefulSet just written: its answer, not the cache (which has not seen the write
 * yet), tells status whether the new template has rolled out. */
static void
on_sts(ctrl_run *run, const cJSON *sts, int written)
{
    dbi_run *s = dbi__st(run);
    cJSON   *copy;

    /* An answer without a write is the object run_pod already holds: keep that one. */
    if (!sts || (!written && s->sts) || !(copy = cJSON_Duplicate(sts, 1)))
        return;
    cJSON_Delete(s->sts_answer);
    s->sts = s->sts_answer = copy;
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
    dbi_run *s = dbi__st(run);
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


/* Claims are made by the StatefulSet controller from the template: grow ours in place.
 * Whether a patch was queued. */
static int
grow_claim(ctrl_run *run)
{
    dbi_run       *s = dbi__st(run);
    char           name[DBI_NAME_LEN], msg[300];
    const cJSON   *pvc;
    cJSON         *patch;
    const char    *req;
    kjson_quantity want, have;

    snprintf(name, sizeof name, "data-%s-0", ctrl_name(run));
    pvc = ctrl_view(run, dbi__caches(run)->pvcs, name);
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
        return 1;
    }
    return 0;
}


/* Claims data-<name>-<n> (n >= 1) of this instance, found in the claim cache. */
typedef struct {
    const char *prefix; /* "<namespace>/data-<name>-" */
    ctrl_run   *run;
    cJSON      *found; /* an array of parsed claims */
} stray_scan;


static void
stray_visit(const char *key, const store_obj *obj, void *data)
{
    stray_scan *sc = data;
    size_t      n = strlen(sc->prefix);
    const char *ord;
    cJSON      *claim;

    if (strncmp(key, sc->prefix, n) != 0)
        return;
    ord = key + n;
    if (ord[0] < '1' || ord[0] > '9' || strspn(ord, "0123456789") != strlen(ord) ||
        !(claim = store_parse(obj)))
        return;
    if (kjson_path(claim, "metadata", "deletionTimestamp", NULL) || !may_adopt(sc->run, claim) ||
        !cJSON_AddItemToArray(sc->found, claim))
        cJSON_Delete(claim);
}


/*
 * A StatefulSet scaled up by hand (and put back to one replica by the apply) leaves the
 * claims of the extra pods, which keep a second, empty database's files: once the
 * StatefulSet runs at most one pod again, they are deleted. Only claims of this instance
 * (name data-<name>-<n>, n >= 1, and our instance and engine labels), through ctrl_delete,
 * which checks whose they are; data-<name>-0 is never touched here.
 */
static void
drop_stray_claims(ctrl_run *run, const cJSON *sts_live)
{
    stray_scan sc;
    char       prefix[DBI_NAME_LEN], msg[DBI_NAME_LEN + 120];
    cJSON     *claim;

    if (!sts_live || replicas(sts_live, "spec") > 1 || replicas(sts_live, "status") > 1 ||
        snprintf(prefix, sizeof prefix, "%s/data-%s-", ctrl_ns(run), ctrl_name(run)) >=
            (int)sizeof prefix)
        return;
    sc.prefix = prefix;
    sc.run = run;
    if (!(sc.found = cJSON_CreateArray()))
        return;
    store_by_label(informer_store(dbi__caches(run)->pvcs), CTRL_LABEL_INSTANCE, ctrl_name(run),
                   stray_visit, &sc);
    cJSON_ArrayForEach(claim, sc.found) {
        snprintf(msg, sizeof msg, "deleting claim %s, left by a scale-up beyond one replica",
                 kjson_path_str(claim, "metadata", "name", NULL));
        log_obj(LOG_INFO, DBI_CTL_NAME, ctrl_key(run), msg, NULL);
        ctrl_event(run, "Normal", "StrayClaimDeleted", msg);
        ctrl_delete(run, &KRES_PVCS, claim, "Background");
    }
    cJSON_Delete(sc.found);
}


/* The data claim says what it holds (dbi_adopt.h), once the StatefulSet has made it. Returns
 * whether it patched the claim. */
static int
annotate_claim(ctrl_run *run)
{
    dbi_run     *s = dbi__st(run);
    char         name[DBI_NAME_LEN];
    const cJSON *pvc;
    cJSON       *patch = NULL, *ann;
    int          patched = 0;

    snprintf(name, sizeof name, "data-%s-0", ctrl_name(run));
    pvc = ctrl_view(run, dbi__caches(run)->pvcs, name);
    if (pvc && !dbi_held_current(&s->spec, pvc)) {
        patch = cJSON_Parse("{\"metadata\":{\"annotations\":{}}}");
        ann = kjson_path(patch, "metadata", "annotations", NULL);
        if (ann && dbi_held_put(&s->spec, ann) == CORE_OK) {
            ctrl_patch(run, &KRES_PVCS, pvc, patch);
            patched = 1;
        } else {
            cJSON_Delete(patch);
        }
    }
    return patched;
}


/* A version change the engine cannot make on its data (dbi_version_refusal): refused, nothing
 * changed, the old pod serves on. Judged against what runs, never by a CEL transition rule,
 * so that setting a refused version back is always accepted. */
static int
version_refused(ctrl_run *run, const cJSON *sts_live)
{
    dbi_run    *s = dbi__st(run);
    const char *prev = kjson_path_str(ctrl_obj(run), "status", "currentVersion", NULL);
    const char *reason;
    char        msg[400];

    if (!prev)
        prev = kjson_path_str(sts_live, "metadata", "annotations", DBI_VERSION_AN, NULL);
    if (!prev ||
        !(reason = dbi_version_refusal(s->spec.engine, prev, s->spec.version, msg, sizeof msg)))
        return 0;
    ctrl_refuse(run, 1, reason, "%s", msg);
    return 1;
}


/*
 * Once the StatefulSet has answered: its pod stuck on an older template is deleted, so
 * that the StatefulSet makes it again from the current one (dbi_stuck_replace; a revert of
 * a bad spec heals without a person deleting the pod).
 */
static void
replace_stuck_pod(ctrl_run *run)
{
    const cJSON *sts = dbi__known_sts(run), *pod;
    char         name[DBI_NAME_LEN], msg[CTRL_MSG_MAX];
    dbi_stuck    why;

    snprintf(name, sizeof name, "%s-0", ctrl_name(run));
    pod = ctrl_view(run, dbi__caches(run)->pods, name);
    if (!ctrl_refused(run) && dbi_stuck_replace(pod, sts, &why) &&
        ctrl_delete_via(run, &KRES_PODS, pod, sts, NULL)) {
        snprintf(msg, sizeof msg,
                 "deleting pod %s so that the StatefulSet makes it from its current template: "
                 "it runs an older one and is stuck (%.500s)",
                 name, why.message);
        log_obj(LOG_INFO, DBI_CTL_NAME, ctrl_key(run), "replacing a stuck pod of an older template",
                "pod", name, "reason", why.reason, NULL);
        ctrl_event(run, "Normal", "StuckPodReplaced", msg);
    }
    ctrl_then(run, dbi__run_status);
}


/* The pod comes last: it mounts the ConfigMap and is reached through the Services, so it is
 * written only once they are ours and written. */
static void
run_pod(ctrl_run *run)
{
    dbi_run     *s = dbi__st(run);
    const cJSON *sts_live;

    if (ctrl_refused(run)) {
        dbi__run_status(run);
        return;
    }
    sts_live = dbi__known_sts(run); /* before the write: its answer comes later */
    ctrl_apply(run, &KRES_STATEFULSETS, dbi__caches(run)->sts,
               desired_sts(run, s->checksum, sts_live), on_sts);
    /* One patch of the claim per run (each carries its resourceVersion): the next run makes
     * the next one. The annotations that keep a password from being made over the data
     * (dbi__claim_initialised) come first: a resize the server refuses on every run must
     * not keep them off. */
    if (!annotate_claim(run))
        grow_claim(run);
    drop_stray_claims(run, sts_live);
    ctrl_then(run, replace_stuck_pod);
}


/* The client Service and the Secret exist and are ours: status may name them. */
static void
on_service(ctrl_run *run, const cJSON *svc, int written)
{
    (void)written;
    if (svc)
        dbi__st(run)->svc_ok = 1;
}


static void
on_secret(ctrl_run *run, const cJSON *secret, int written)
{
    (void)written;
    if (secret)
        dbi__st(run)->have_secret = 1;
}


void
dbi__run_children(ctrl_run *run)
{
    dbi_run     *s = dbi__st(run);
    dbi_ctl     *d = dbi__caches(run);
    const cJSON *owner = ctrl_obj(run);
    if (version_refused(run, dbi__known_sts(run))) {
        dbi__run_status(run);
        return;
    }
    if (!s->secret_posted)
        ctrl_apply(run, &KRES_SECRETS, d->secrets,
                   dbi_build_secret(&s->spec, owner, s->password, s->superuser), on_secret);
    ctrl_apply(run, &KRES_CONFIGMAPS, d->configmaps,
               dbi_build_configmap(&s->spec, owner, s->checksum, sizeof s->checksum), NULL);
    ctrl_apply(run, &KRES_SERVICES, d->services, dbi_build_service(&s->spec, owner), on_service);
    ctrl_apply(run, &KRES_SERVICES, d->services, dbi_build_headless_service(&s->spec, owner), NULL);
    dbi__netpol(run);
    ctrl_then(run, run_pod);
}


/* --- ownership: every child checked before any is written ------------------------ */

/* A retained claim or Secret that exists and is ours by labels: adopted only when it holds
 * what the spec asks for (dbi_adopt.h). */
static void
on_held_checked(ctrl_run *run, const cJSON *live, int written)
{
    dbi_run *s = dbi__st(run);
    char     msg[CTRL_MSG_MAX];

    (void)written;
    if (live && dbi_adopt_check(&s->spec, live, msg, sizeof msg) != CORE_OK)
        ctrl_refuse(run, 0, "InvalidSpec", "%s", msg);
}


/*
 * Checks every child (ctrl_check: the caches, ours and the metadata of others', and a GET
 * for a name they do not settle: the Secrets, the data claim) and
 * runs next once all have answered, so that nothing is written while any is someone
 * else's. The data claim is checked too: the StatefulSet controller would mount a claim
 * data-<name>-0 that exists whoever made it.
 */
static void
check_children(ctrl_run *run, void (*next)(ctrl_run *run))
{
    dbi_run     *s = dbi__st(run);
    dbi_ctl     *d = dbi__caches(run);
    const cJSON *sts = dbi__known_sts(run);
    char         name[DBI_NAME_LEN], pod[DBI_NAME_LEN];

    /* The data first: a mismatch of the retained claim is what status names. While our
     * StatefulSet exists (made after this check found no claim, or ours) and its pod 0 does
     * not yet, the claim is the one the StatefulSet controller is making from our template,
     * labelled, on its way to the claim cache: no GET for it. Once the pod exists (the
     * controller makes the claim first), a claim the cache lacks has lost our labels or was
     * made by someone else, and the GET finds it. */
    snprintf(name, sizeof name, "data-%s-0", ctrl_name(run));
    snprintf(pod, sizeof pod, "%s-0", ctrl_name(run));
    if (!sts || !ctrl_controls(run, sts) || ctrl_has_cached(run, d->pvcs, name) ||
        ctrl_has_cached(run, d->pods, pod))
        ctrl_check(run, &KRES_PVCS, d->pvcs, name, on_held_checked);
    /* No GET for the Secret the cache lacks: its POST (dbi_credentials.c) finds one that
     * exists after all, and judges it as this check would. */
    dbi__secret_name(run, name, sizeof name);
    ctrl_check_to_create(run, &KRES_SECRETS, d->secrets, name, on_held_checked);
    if (dbi_child_name(&s->spec, "-config", name, sizeof name) == CORE_OK)
        ctrl_check(run, &KRES_CONFIGMAPS, d->configmaps, name, NULL);
    ctrl_check(run, &KRES_SERVICES, d->services, ctrl_name(run), NULL);
    if (dbi_child_name(&s->spec, "-headless", name, sizeof name) == CORE_OK)
        ctrl_check(run, &KRES_SERVICES, d->services, name, NULL);
    ctrl_check(run, &KRES_STATEFULSETS, d->sts, ctrl_name(run), NULL);
    ctrl_then(run, next);
}


static void after_checks(ctrl_run *run);


static void
checks(ctrl_run *run)
{
    check_children(run, after_checks);
}


static void
dbi_sync(ctrl_run *run)
{
    dbi_run *s = dbi__st(run);
    char     err[600];

    if (dbi_spec_parse(ctrl_obj(run), &s->spec, err, sizeof err) != CORE_OK) {
        ctrl_refuse(run, 1, "InvalidSpec", "%s", err);
        dbi__run_status(run);
        return;
    }
    s->spec_ok = 1;
    /* A Secret the spec names may appear or change later: watch it, and only it. */
    ctrl_depend(run, &KRES_SECRETS, s->spec.credentials_secret);
    dbi__restore(run, checks); /* checks at once unless a restore must wait or is refused */
}


/* Every child is ours to write: on to the credentials, then the children. */
static void
after_checks(ctrl_run *run)
{
    if (ctrl_refused(run)) {
        dbi__run_status(run);
        return;
    }
    dbi__tls(run, dbi__credentials);
}


/* --- deletion ---------------------------------------------------------------------- */

static void
after_cleanup(ctrl_run *run)
{
    if (ctrl_refused(run)) {
        dbi__run_status(run); /* say why; the finalizer stays until cleanup is done */
        return;
    }
    dbi__tls_forget(run);
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


/* Retain: keep the claim and the credentials Secret, cut loose so the collector leaves them
 * and a new DBInstance of the same name adopts them. event NULL: the caller told already. */
static void
on_keep_secret(ctrl_run *run, const cJSON *live, int written)
{
    (void)written;
    if (live && ctrl_controls(run, live)) /* ours to cut loose */
        ctrl_patch(run, &KRES_SECRETS, live, cJSON_Parse("{\"metadata\":{\"ownerReferences\":null}}"));
}


/* The Secret from the cache, else with a GET (ctrl_read): a cache that has not seen it yet
 * (a watch that was down) must not let the collector take the passwords. */
static void
keep_secret(ctrl_run *run)
{
    char name[DBI_NAME_LEN];

    dbi__secret_name(run, name, sizeof name);
    ctrl_read(run, &KRES_SECRETS, dbi__caches(run)->secrets, name, on_keep_secret);
}


static void
keep_data(ctrl_run *run, const char *event)
{
    keep_secret(run);
    if (event)
        ctrl_event(run, "Normal", "Retained", event);
    ctrl_then(run, after_cleanup);
}


static void
on_claim_to_delete(ctrl_run *run, const cJSON *live, int written)
{
    (void)written;
    if (live && !holds_claim(run, live)) {
        log_obj(LOG_INFO, DBI_CTL_NAME, ctrl_key(run),
                "the volume was retained by another DBInstance and never adopted: kept", "claim",
                kjson_path_str(live, "metadata", "name", NULL), NULL);
    } else if (live) {
        log_obj(LOG_INFO, DBI_CTL_NAME, ctrl_key(run),
                "deleting the volume (deletionPolicy Delete)", NULL);
        ctrl_delete(run, &KRES_PVCS, live, "Background");
    }
}


/*
 * Delete: remove the claim too (children owned by the DBInstance are collected), when this
 * DBInstance holds it (holds_claim); Snapshot, once its final DBSnapshot is ready
 * (dbi_final.h), does the same but keeps the credentials Secret. Retain: keep_data.
 * Only what is ours is touched: the claim and Secret come from the caches, else with a GET
 * (ctrl_read), and ctrl_delete and ctrl_patch check whose they are.
 */
static void
finalize(ctrl_run *run)
{
    const char *policy = kjson_path_str(ctrl_obj(run), "spec", "deletionPolicy", NULL);
    char        name[DBI_NAME_LEN];

    if (policy && strcmp(policy, "Retain") == 0) {
        keep_data(run, "the volume and the credentials Secret are kept for a DBInstance of "
                       "the same name");
        return;
    }
    if (policy && strcmp(policy, "Snapshot") == 0)
        keep_secret(run); /* the final snapshot's data holds its passwords (dbi_final.h) */
    snprintf(name, sizeof name, "data-%s-0", ctrl_name(run));
    /* From the cache, else with a GET: a claim the cache has not seen yet is not left behind. */
    ctrl_read(run, &KRES_PVCS, dbi__caches(run)->pvcs, name, on_claim_to_delete);
    ctrl_then(run, after_cleanup);
}


/* --- the volume outlives its claim (dbi_volume.h) ------------------------------------ */

static int
retains(ctrl_run *run)
{
    const char *policy = kjson_path_str(ctrl_obj(run), "spec", "deletionPolicy", NULL);

    return policy && strcmp(policy, "Delete") != 0;
}


/* Does mode to the bound PV of the instance's claim, then next. Only a claim this
 * DBInstance holds (holds_claim): the PV of a claim retained by an earlier DBInstance and
 * never adopted keeps what that one set (a Delete here must not give its PV back Delete). */
static void
with_volume(ctrl_run *run, dbi_volume_mode mode, void (*next)(ctrl_run *run))
{
    char         name[DBI_NAME_LEN];
    const cJSON *claim;

    snprintf(name, sizeof name, "data-%s-0", ctrl_name(run));
    claim = ctrl_view(run, dbi__caches(run)->pvcs, name);
    if (claim && !holds_claim(run, claim))
        claim = NULL;
    dbi_volume_keep(run, claim, mode, next); /* next(run) at once without a bound claim */
}


/* Retain: the PV keeps Retain. Delete: the PV gets back the reclaim policy we changed. */
static void
finalize_volume(ctrl_run *run)
{
    const char *policy = kjson_path_str(ctrl_obj(run), "spec", "deletionPolicy", NULL);
    int         snapshot = policy && strcmp(policy, "Snapshot") == 0;

    if (snapshot && !dbi__st(run)->final_done) {
        dbi__final_snapshot(run, finalize_volume); /* back here once it is ready */
        return;
    }
    with_volume(run, retains(run) && !snapshot ? DBI_VOLUME_RETAIN : DBI_VOLUME_RESTORE, finalize);
}


static void
retain_all(ctrl_run *run)
{
    keep_data(run, NULL);
}


/* Deleted with the CRD: everything is kept as for Retain, the PV included. */
static void
retain_volume(ctrl_run *run)
{
    with_volume(run, DBI_VOLUME_RETAIN, retain_all);
}


/* --- entry ------------------------------------------------------------------------- */

static const ctrl_kind dbi_kind = {
    .name = DBI_CTL_NAME,
    .res = &KRES_DBINSTANCES,
    .finalizer = DBI_FINALIZER,
    .state_size = sizeof(dbi_run),
    .sync = dbi_sync,
    .finalize = finalize_volume,
    .retain = retain_volume,
    .may_adopt = may_adopt,
    .adopt_hint = adopt_hint,
    .state_free = scrub,
};


int
dbi_controller_setup(rt *r, const char *namespace)
{
    /* Not Secrets: the Secret cache holds only ours and the ones our objects name (least
     * privilege, issue 16); the credentials and TLS Secrets are read with a GET each. Not
     * claims: we never create data-<name>-0 (the StatefulSet controller does, and mounts
     * whatever claim has that name), so its absence is asked of the server, not of a cache
     * that may lag behind a claim applied with the DBInstance. */
    static const kres *const others[] = {&KRES_STATEFULSETS, &KRES_CONFIGMAPS, &KRES_SERVICES};
    dbi_ctl                 *d = calloc(1, sizeof *d);
    ctrl                    *c;
    int                      rc;

    if (!d)
        return CORE_ENOMEM;
    if ((rc = rt_on_cleanup(r, dbi__ctl_free, d))) {
        free(d);
        return rc;
    }
    if ((rc = ctrl_new(r, &dbi_kind, namespace, d, &c)) ||
        (rc = ctrl_watch_children(c, &KRES_STATEFULSETS, &d->sts)) ||
        (rc = ctrl_watch_children(c, &KRES_SECRETS, &d->secrets)) ||
        (rc = ctrl_watch_children(c, &KRES_CONFIGMAPS, &d->configmaps)) ||
        (rc = ctrl_watch_children(c, &KRES_SERVICES, &d->services)) ||
        (rc = ctrl_watch_children(c, &KRES_NETWORKPOLICIES, &d->netpols)) ||
        (rc = ctrl_watch_labelled(c, &KRES_PVCS, CTRL_LABEL_INSTANCE, &d->pvcs)) ||
        (rc = ctrl_watch_labelled_kept(c, &KRES_PODS, CTRL_LABEL_INSTANCE, dbi_pod_keep, &d->pods)) ||
        (rc = ctrl_watch_labelled(c, &DBI_KRES_DBSNAPSHOTS, DBI_BACKUP_INSTANCE_LABEL, &d->snaps)) ||
        /* The StatefulSet controller tells a pod it cannot create only in an Event (and
         * that it made or deleted one since, in others). */
        (rc = ctrl_watch_about(c, "StatefulSet", NULL, &d->sts_events)))
        return rc;
    /* A new instance's children are known free from these, without a GET each (issue 18). */
    for (size_t i = 0; i < sizeof others / sizeof *others; i++)
        if ((rc = ctrl_watch_others(c, others[i])))
            return rc;
    return CORE_OK;
}
