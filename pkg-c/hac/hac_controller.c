/*
 * hac: the HACluster controller (hac_controller.h).
 *
 * A run: parse the spec (InvalidSpec) -> the postgresql CRD served? (else
 * ZalandoOperatorMissing, no write) -> check the postgresql object and our Secret are ours
 * to write -> apply the postgresql object (unless spec.version is below the version
 * running: VersionDowngrade, nothing applied) -> read Zalando's user Secret from its named
 * watch and apply ours with its password -> status from the master pod, the StatefulSet
 * and Zalando's status.
 *
 * Zalando's objects are read through shared informers selected by its label
 * application=spilo (pods and StatefulSets; one informer each, whatever the number of
 * clusters), keyed to the HACluster by its label cluster-name, and so are its Secrets
 * (the user's password). The pooler Services carry neither label and are watched by name
 * (ctrl_depend).
 *
 * Deletion (docs/design.md, "HACluster: deletion"): Delete deletes the postgresql object;
 * Retain (and deletion by the CRD's) scales it to zero instances and removes its
 * ownerReferences and our Secret's, removes the copy of ours from Zalando's Secrets (which
 * Zalando does not sync; ctrl_release), then waits until the Zalando operator has carried the
 * change to its StatefulSet (it copies the postgresql object's ownerReferences onto what it
 * makes), so the garbage collector takes none of the claims. A HACluster of the same name
 * takes both over only when HAC_HELD_ANN (version/database/user) matches.
 */
#include "hac_controller.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "core/core.h"
#include "ctrl/ctrl.h"
#include "ctrl/ctrl_status.h"
#include "hac/hac.h"
#include "hac/hac_status.h"
#include "informer/informer.h"
#include "kjson/kjson.h"
#include "log/log.h"
#include "store/store.h"

#define HAC_SPILO_SELECTOR "application=spilo"
#define HAC_CLUSTER_LABEL  "cluster-name"
#define HAC_PASSWORD_MAX   1024
#define HAC_NAME_LEN       320
#define HAC_MAX_PODS       32
#define HAC_RETAIN_POLL_MS 2000

const kres KRES_HACLUSTERS = {"dbaas.dev", "v1alpha1", "haclusters", HAC_KIND, 1};

/* Set once from the command line before the loop runs (hac_controller_zalando_wait). */
static uint64_t zalando_wait_s = HAC_ZALANDO_WAIT_S;


void
hac_controller_zalando_wait(uint64_t seconds)
{
    zalando_wait_s = seconds;
}

typedef struct {
    informer *pg, *secrets, *sts, *pods;
    informer *zsecrets; /* Zalando's Secrets (application=spilo): its user Secrets */
} hac_ctl;

typedef struct {
    hac_spec    spec;
    int         spec_ok;
    cJSON      *pg; /* the postgresql object as written, or as read */
    char        password[HAC_PASSWORD_MAX + 1];
    int         have_password;
    int         secret_ok;
    hac_poolers poolers;
} hac_run;


static hac_run *
st(ctrl_run *run)
{
    return ctrl_state(run);
}


static hac_ctl *
caches(ctrl_run *run)
{
    return ctrl_data(run);
}


static void
keep_pg(ctrl_run *run, const cJSON *child, int written)
{
    (void)written;
    if (!child)
        return;
    cJSON_Delete(st(run)->pg);
    st(run)->pg = cJSON_Duplicate(child, 1);
}


static void
on_secret(ctrl_run *run, const cJSON *child, int written)
{
    st(run)->secret_ok = child != NULL;
    if (child && written)
        ctrl_event(run, "Normal", "CredentialsWritten",
                   "wrote the connection Secret from the Zalando operator's user Secret");
}


/* --- status -------------------------------------------------------------------------- */

typedef struct {
    const char *ns;
    cJSON      *pods[HAC_MAX_PODS];
    int         n;
} pod_list;


static void
collect_pod(const char *key, const store_obj *o, void *data)
{
    pod_list *l = data;
    size_t    nl = strlen(l->ns);

    if (l->n < HAC_MAX_PODS && strncmp(key, l->ns, nl) == 0 && key[nl] == '/' &&
        (l->pods[l->n] = store_parse(o)))
        l->n++;
}


static void
run_status(ctrl_run *run)
{
    hac_run        *s = st(run);
    hac_ctl        *d = caches(run);
    hac_status_in   in;
    hac_status_note note;
    pod_list        pods = {ctrl_ns(run), {NULL}, 0};
    cJSON          *sts = NULL, *fields;
    char            now[32], today[32], msg[600];
    const char     *eol;
    int             i;

    memset(&in, 0, sizeof in);
    in.hac = ctrl_obj(run);
    in.spec = s->spec_ok ? &s->spec : NULL;
    in.crd_installed = informer_installed(d->pg);
    if (!s->pg && in.crd_installed)
        s->pg = ctrl_cached(run, d->pg, ctrl_name(run));
    in.pg = s->pg;
    sts = ctrl_cached(run, d->sts, ctrl_name(run));
    in.sts = sts;
    store_by_label(informer_store(d->pods), HAC_CLUSTER_LABEL, ctrl_name(run), collect_pod, &pods);
    in.pods = (const cJSON *const *)pods.pods;
    in.npods = pods.n;
    in.secret_ok = s->secret_ok;
    in.poolers = s->poolers;
    core_now_rfc3339(now, sizeof now);
    in.now = now;
    snprintf(today, sizeof today, "%.10s", now); /* the day: the engines' table compares ISO days */
    in.today = today;
    in.now_s = (int64_t)time(NULL);
    in.wait_s = (int64_t)zalando_wait_s;
    fields = hac_status_eval(&in, ctrl_run_conds(run), &note);
    /* A person must install Zalando: Stalled, so kstatus (Helm 4 --wait, Flux) does not take
     * Ready False without Reconciling for done. Its CRD appearing requeues the object. */
    if (!in.crd_installed)
        ctrl_refuse(run, 0, "ZalandoOperatorMissing", "%s",
                    ctrl_run_conds(run)->cond[CTRL_READY].message);
    if (note.failover) {
        snprintf(msg, sizeof msg, "the primary moved from %s to %s", note.from, note.to);
        ctrl_event_on_status(run, "Normal", "Failover", msg);
        log_obj(LOG_INFO, HAC_CTL_NAME, ctrl_key(run), "failover", "from", note.from, "to", note.to,
                NULL);
    }
    if (note.end_of_life && (eol = kjson_path_str(fields, "versionCheck", "message", NULL)))
        ctrl_event_on_status(run, "Warning", "EndOfLife", eol);
    if (note.recheck_s > 0)
        ctrl_requeue_after(run, (uint64_t)note.recheck_s * 1000);
    for (i = 0; i < pods.n; i++)
        cJSON_Delete(pods.pods[i]);
    cJSON_Delete(sts);
    ctrl_status(run, fields);
}


/* --- credentials --------------------------------------------------------------------- */

/* The object name from the named watch ctrl_depend keeps (NULL until it has listed). */
static cJSON *
named(ctrl_run *run, const kres *res, const char *name)
{
    informer *inf = rt_named_informer(ctrl_runtime(run), res, ctrl_ns(run), name);

    return inf && informer_synced(inf) ? ctrl_cached(run, inf, name) : NULL;
}


/* data.password of Zalando's user Secret into the run: present, at most HAC_PASSWORD_MAX
 * bytes, one line of printable text (what Zalando generates: letters and digits). */
static void
take_password(ctrl_run *run, const cJSON *secret)
{
    hac_run       *s = st(run);
    const char    *b64 = kjson_path_str(secret, "data", "password", NULL);
    unsigned char *raw = NULL;
    size_t         n = 0, i;

    if (!b64 || core_b64_decode(b64, strlen(b64), &raw, &n))
        return;
    for (i = 0; i < n; i++)
        if (raw[i] < 0x20 || raw[i] == 0x7f)
            break;
    if (n > 0 && n <= HAC_PASSWORD_MAX && i == n) {
        memcpy(s->password, raw, n);
        s->password[n] = '\0';
        s->have_password = 1;
    } else {
        log_obj(LOG_WARN, HAC_CTL_NAME, ctrl_key(run),
                "the Zalando operator's user Secret holds no usable password (empty, too long or "
                "with control characters)",
                NULL);
    }
    OPENSSL_cleanse(raw, n);
    free(raw);
}


static int may_adopt(ctrl_run *run, const cJSON *child);


/* Zalando's user Secret is gone (the garbage collector took it with a HACluster deleted
 * under Retain, since Zalando copied our ownerReference onto it): the password our own
 * Secret kept, when that Secret is ours or retained for this spec. Zalando makes a new
 * user Secret at its next sync, and ours then follows it. */
static void
retained_password(ctrl_run *run)
{
    char   name[HAC_NAME_LEN];
    cJSON *sec;

    if (hac_child_name(&st(run)->spec, "-credentials", name, sizeof name))
        return;
    sec = ctrl_cached(run, caches(run)->secrets, name);
    if (sec && (ctrl_controls(run, sec) || may_adopt(run, sec)))
        take_password(run, sec);
    cJSON_Delete(sec);
}


static void
credentials_step(ctrl_run *run)
{
    hac_run *s = st(run);
    hac_ctl *d = caches(run);
    char     name[HAC_NAME_LEN];
    cJSON   *o;

    if (hac_zalando_secret_name(&s->spec, name, sizeof name) == CORE_OK &&
        (o = ctrl_cached(run, d->zsecrets, name))) {
        take_password(run, o);
        cJSON_Delete(o);
    }
    if (s->spec.pooler_enabled) {
        hac_child_name(&s->spec, "-pooler", name, sizeof name);
        if ((o = named(run, &KRES_SERVICES, name)))
            s->poolers.pooler = 1;
        cJSON_Delete(o);
        hac_child_name(&s->spec, "-pooler-repl", name, sizeof name);
        if ((o = named(run, &KRES_SERVICES, name)))
            s->poolers.pooler_repl = 1;
        cJSON_Delete(o);
    }
    if (!s->have_password)
        retained_password(run);
    if (!s->have_password) {
        run_status(run);
        return;
    }
    ctrl_apply(run, &KRES_SECRETS, d->secrets,
               hac_build_secret(&s->spec, ctrl_obj(run), s->password, &s->poolers), on_secret);
    ctrl_then(run, run_status);
}


/* --- sync ---------------------------------------------------------------------------- */

static void
write_step(ctrl_run *run)
{
    hac_run    *s = st(run);
    hac_ctl    *d = caches(run);
    const char *running = kjson_path_str(ctrl_obj(run), "status", "currentVersion", NULL);

    if (ctrl_refused(run)) {
        run_status(run);
        return;
    }
    if (running && strcmp(s->spec.version, running) < 0)
        ctrl_refuse(run, 1, "VersionDowngrade",
                    "spec.version: PostgreSQL %s runs and cannot go down to %s (the Zalando "
                    "operator would ignore it); set spec.version back to %s or higher",
                    running, s->spec.version, running);
    else
        ctrl_apply(run, &HAC_KRES_POSTGRESQLS, d->pg, hac_build_postgresql(&s->spec, ctrl_obj(run)),
                   keep_pg);
    ctrl_then(run, credentials_step);
}


/* The objects this run depends on that carry none of our labels. */
static void
depend(ctrl_run *run)
{
    hac_run *s = st(run);
    char     name[HAC_NAME_LEN];

    if (s->spec.pooler_enabled) {
        if (hac_child_name(&s->spec, "-pooler", name, sizeof name) == CORE_OK)
            ctrl_depend(run, &KRES_SERVICES, name);
        if (hac_child_name(&s->spec, "-pooler-repl", name, sizeof name) == CORE_OK)
            ctrl_depend(run, &KRES_SERVICES, name);
    }
}


static void
hac_sync(ctrl_run *run)
{
    hac_run *s = st(run);
    hac_ctl *d = caches(run);
    char     msg[CTRL_MSG_MAX], name[HAC_NAME_LEN];

    if (hac_spec_parse(ctrl_obj(run), &s->spec, msg, sizeof msg)) {
        ctrl_refuse(run, 0, "InvalidSpec", "%s", msg);
        run_status(run);
        return;
    }
    s->spec_ok = 1;
    if (!informer_installed(d->pg)) {
        run_status(run);
        return;
    }
    depend(run);
    /* The postgresql object is the first write (write_step), with nothing written before
     * it: no GET for one the cache lacks; its create finds one that exists after all. */
    ctrl_check_to_create(run, &HAC_KRES_POSTGRESQLS, d->pg, ctrl_name(run), keep_pg);
    hac_child_name(&s->spec, "-credentials", name, sizeof name);
    ctrl_check(run, &KRES_SECRETS, d->secrets, name, NULL);
    ctrl_then(run, write_step);
}


/* A retained postgresql object or Secret (our labels for this name, no controller) whose
 * HAC_HELD_ANN matches the spec: same version, database and user. */
static int
may_adopt(ctrl_run *run, const cJSON *child)
{
    hac_run    *s = st(run);
    const char *inst = kjson_path_str(child, "metadata", "labels", CTRL_LABEL_INSTANCE, NULL);
    const char *by = kjson_path_str(child, "metadata", "labels", CTRL_LABEL_MANAGED, NULL);
    const char *held = kjson_path_str(child, "metadata", "annotations", HAC_HELD_ANN, NULL);
    char        want[HAC_NAME_LEN];

    if (!s->spec_ok || hac_held(&s->spec, want, sizeof want) || !inst || !by || !held)
        return 0;
    return strcmp(inst, ctrl_name(run)) == 0 && strcmp(by, CTRL_MANAGED_BY) == 0 &&
           strcmp(held, want) == 0;
}


/* What a retained child holds, from HAC_HELD_ANN ("16/payments/app"). */
static void
adopt_hint(ctrl_run *run, const cJSON *child, char *buf, size_t len)
{
    const char *held = kjson_path_str(child, "metadata", "annotations", HAC_HELD_ANN, NULL);
    char        v[64], db[64], user[64];

    (void)run;
    if (held && sscanf(held, "%63[^/]/%63[^/]/%63s", v, db, user) == 3)
        snprintf(buf, len, "PostgreSQL %s, database %s, user %s (its annotation %s)", v, db, user,
                 HAC_HELD_ANN);
}


/* --- deletion ------------------------------------------------------------------------ */

/* Whether Zalando's StatefulSet still carries an ownerReference to the run's object. */
static int
sts_owned(ctrl_run *run)
{
    cJSON       *sts = ctrl_cached(run, caches(run)->sts, ctrl_name(run));
    const cJSON *ref, *refs = kjson_path(sts, "metadata", "ownerReferences", NULL);
    const char  *uid = kjson_path_str(ctrl_obj(run), "metadata", "uid", NULL);
    int          owned = 0;

    cJSON_ArrayForEach(ref, refs) {
        const char *u = kjson_get_str(ref, "uid");

        if (u && uid && strcmp(u, uid) == 0)
            owned = 1;
    }
    cJSON_Delete(sts);
    return owned;
}


static void
after_release(ctrl_run *run)
{
    if (ctrl_refused(run) || sts_owned(run)) {
        ctrl_cond(run, CTRL_READY, 0, "Retaining",
                  "waiting for the Zalando operator to drop this HACluster's ownerReference from "
                  "the StatefulSet %s (it copies the postgresql object's), so that no claim is "
                  "deleted; is it running?",
                  ctrl_name(run));
        ctrl_cond(run, CTRL_PROGRESSING, 1, "Retaining", "keeping the data of a deleted HACluster");
        ctrl_requeue_after(run, HAC_RETAIN_POLL_MS);
        ctrl_status(run, NULL);
        return;
    }
    ctrl_finalized(run);
}


/* Zalando does not carry the postgresql object's ownerReferences to its Secrets, so the
 * copies of ours on them are removed here (ctrl_release), or the garbage collector would
 * take its users' passwords with the HACluster. */
static void
release_one(const char *key, const store_obj *o, void *data)
{
    ctrl_run *run = data;
    size_t    nl = strlen(ctrl_ns(run));
    cJSON    *obj;

    if (strncmp(key, ctrl_ns(run), nl) != 0 || key[nl] != '/' || !(obj = store_parse(o)))
        return;
    ctrl_release(run, &KRES_SECRETS, obj);
    cJSON_Delete(obj);
}


static void
release_zalando_secrets(ctrl_run *run)
{
    store_by_label(informer_store(caches(run)->zsecrets), HAC_CLUSTER_LABEL, ctrl_name(run),
                   release_one, run);
}


/* Retain: the postgresql object at zero instances and without owner, our Secret without
 * owner; then the Zalando operator's copies of the ownerReference must be gone. */
static void
keep_data(ctrl_run *run)
{
    hac_ctl *d = caches(run);
    char     name[HAC_NAME_LEN];
    cJSON   *pg = informer_installed(d->pg) ? ctrl_cached(run, d->pg, ctrl_name(run)) : NULL;
    cJSON   *sec, *patch;

    if (pg && ctrl_controls(run, pg)) {
        patch =
            cJSON_Parse("{\"metadata\":{\"ownerReferences\":null},\"spec\":{\"numberOfInstances\":0}}");
        if (patch)
            ctrl_patch(run, &HAC_KRES_POSTGRESQLS, pg, patch);
    }
    snprintf(name, sizeof name, "%s-credentials", ctrl_name(run));
    sec = ctrl_cached(run, d->secrets, name);
    if (sec && ctrl_controls(run, sec)) {
        patch = cJSON_Parse("{\"metadata\":{\"ownerReferences\":null}}");
        if (patch)
            ctrl_patch(run, &KRES_SECRETS, sec, patch);
    }
    cJSON_Delete(pg);
    cJSON_Delete(sec);
    release_zalando_secrets(run);
    ctrl_then(run, after_release);
}


static void
hac_finalize(ctrl_run *run)
{
    hac_ctl    *d = caches(run);
    const char *policy = kjson_path_str(ctrl_obj(run), "spec", "deletionPolicy", NULL);
    cJSON      *pg;

    if (policy && strcmp(policy, "Retain") == 0) {
        keep_data(run);
        return;
    }
    pg = informer_installed(d->pg) ? ctrl_cached(run, d->pg, ctrl_name(run)) : NULL;
    if (pg && ctrl_controls(run, pg))
        ctrl_delete(run, &HAC_KRES_POSTGRESQLS, pg, "Background");
    cJSON_Delete(pg);
    ctrl_then(run, ctrl_finalized);
}


static void
scrub(ctrl_run *run)
{
    hac_run *s = st(run);

    OPENSSL_cleanse(s->password, sizeof s->password);
    cJSON_Delete(s->pg);
    s->pg = NULL;
}


static const ctrl_kind hac_kind = {
    .name = HAC_CTL_NAME,
    .res = &KRES_HACLUSTERS,
    .finalizer = HAC_FINALIZER,
    .state_size = sizeof(hac_run),
    .sync = hac_sync,
    .finalize = hac_finalize,
    .retain = keep_data,
    .may_adopt = may_adopt,
    .adopt_hint = adopt_hint,
    .state_free = scrub,
    .engine = "postgresql", /* Zalando's Spilo */
};


/* Zalando's objects of res (label application=spilo), queued by their cluster-name. */
static int
watch_spilo(ctrl *c, const kres *res, informer **out)
{
    informer_opts o;

    memset(&o, 0, sizeof o);
    o.res = res;
    o.namespace = ctrl_namespace(c);
    o.label_selector = HAC_SPILO_SELECTOR;
    o.index_label = HAC_CLUSTER_LABEL;
    return rt_controller_watch_by_label(ctrl_controller(c), &o, HAC_CLUSTER_LABEL, out);
}


int
hac_controller_setup(rt *r, const char *namespace)
{
    hac_ctl *d = calloc(1, sizeof *d);
    ctrl    *c;
    int      rc;

    if (!d)
        return CORE_ENOMEM;
    if ((rc = rt_on_cleanup(r, free, d))) {
        free(d);
        return rc;
    }
    if ((rc = ctrl_new(r, &hac_kind, namespace, d, &c)) ||
        (rc = ctrl_watch_children(c, &HAC_KRES_POSTGRESQLS, &d->pg)) ||
        (rc = ctrl_watch_children(c, &KRES_SECRETS, &d->secrets)) ||
        (rc = watch_spilo(c, &KRES_STATEFULSETS, &d->sts)) ||
        (rc = watch_spilo(c, &KRES_PODS, &d->pods)) ||
        (rc = watch_spilo(c, &KRES_SECRETS, &d->zsecrets)))
        return rc;
    return CORE_OK;
}
