/*
 * The DBInstance controller's TLS step (dbi_controller-int.h; the rules are in dbi_tls.h):
 *
 *   decide (dbi_tls_decide) -> off: next
 *                           -> a user's Secret (spec.tls.secretName): read, check, next
 *                           -> ours: the namespace's CA (cached, else GET, else made and
 *                              created) -> <name>-tls (cached, else GET) -> the server
 *                              certificate kept, or issued when missing, not matching, or
 *                              due -> <name>-tls applied -> next
 *
 * The CA Secret dbaas-ca has no owner (every instance of the namespace uses it) and is
 * created, never updated nor deleted: a create that loses a race (409) ends the run in
 * backoff and the next run reads the winner's. Its private key is read to sign and never
 * leaves that Secret; keys and certificates are cleansed from the run's memory when it ends
 * (dbi__tls_free). Nothing here logs or reports key material: messages name Secrets, keys
 * and dates.
 */
#include "dbi_controller-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "core/core.h"
#include "ctrl/ctrl.h"
#include "ctrl/ctrl_named.h"
#include "ctrl/ctrl_build.h"
#include "dbi/dbi.h"
#include "dbi/dbi_controller.h"
#include "dbi/dbi_tls.h"
#include "dbi/dbi_tls_seen.h"
#include "kjson/kjson.h"
#include "kops/kops.h"
#include "log/log.h"
#include "runtime/runtime.h"
#include "tlsca/tlsca.h"

#define PEM_MAX TLSCA_PEM_MAX


/* What the TLS step keeps for the rest of the run (dbi_run.tls). */
struct dbi_tls_st {
    void (*next)(ctrl_run *run);
    int         decided, enabled;
    char       *ca_cert, *ca_key; /* the namespace's CA (ours) or the user's ca.crt */
    char       *cert, *key;       /* the serving certificate and key */
    char        checksum[17];
    char        secret[DBI_NAME_LEN];  /* the Secret the pod mounts */
    char        ca_uid[64], ca_rv[32]; /* the CA Secret's (ours), for dbi_tls_seen; "" unknown */
    char        against[128];          /* what <name>-tls is checked against, or "" */
    tlsca_info  info;                  /* of the certificate <name>-tls holds */
    time_t      not_after, renew_after;
    cJSON      *live;   /* our <name>-tls as read (cache, else GET), or NULL */
    const char *issued; /* the Event's reason for a certificate issued in this run, or NULL */
};


static void
wipe(char **p)
{
    if (*p) {
        OPENSSL_cleanse(*p, strlen(*p));
        free(*p);
        *p = NULL;
    }
}


/* Frees a copy of a Secret, its private key cleansed first. */
static void
drop_secret(cJSON **secret)
{
    cJSON *key = kjson_path(*secret, "data", "tls.key", NULL);

    if (cJSON_IsString(key))
        OPENSSL_cleanse(key->valuestring, strlen(key->valuestring));
    cJSON_Delete(*secret);
    *secret = NULL;
}


void
dbi__tls_free(ctrl_run *run)
{
    struct dbi_tls_st *t = dbi__st(run)->tls;

    if (!t)
        return;
    drop_secret(&t->live);
    wipe(&t->ca_cert);
    wipe(&t->ca_key);
    wipe(&t->cert);
    wipe(&t->key);
    free(t);
    dbi__st(run)->tls = NULL;
}


/* data[key] of secret decoded into a new string (*out), or a reason in why. */
static int
secret_pem(const cJSON *secret, const char *key, char **out, char *why, size_t wlen)
{
    const char    *b64 = kjson_path_str(secret, "data", key, NULL);
    unsigned char *raw = NULL;
    size_t         n = 0;

    *out = NULL;
    if (!b64 || !*b64) {
        snprintf(why, wlen, "it has no %s", key);
        return CORE_ENOENT;
    }
    if (strlen(b64) > 2 * PEM_MAX || core_b64_decode(b64, strlen(b64), &raw, &n) ||
        strlen((char *)raw) != n) {
        if (raw)
            OPENSSL_cleanse(raw, n);
        free(raw);
        snprintf(why, wlen, "its %s is not base64 of PEM text", key);
        return CORE_EINVAL;
    }
    *out = (char *)raw;
    return CORE_OK;
}


/* --- what was verified (dbi_tls_seen.h) ------------------------------------------------ */

static int
seen_key(ctrl_run *run, const char *name, char *key, size_t len)
{
    return snprintf(key, len, "%s/%s", ctrl_ns(run), name) < (int)len ? CORE_OK : CORE_ETOOBIG;
}


/* 1 when secret (name in the run's namespace) passed before as it is now, *info as read. */
static int
seen_get(ctrl_run *run, const char *name, const cJSON *secret, const char *against, time_t now,
         tlsca_info *info)
{
    char key[2 * DBI_NAME_LEN];

    return seen_key(run, name, key, sizeof key) == CORE_OK &&
           dbi_tls_seen_get(dbi__caches(run)->tls_seen, key,
                            kjson_path_str(secret, "metadata", "uid", NULL),
                            kjson_resource_version(secret), against, now, info);
}


/* Remembers that secret passed (info as read); nothing when it cannot. */
static void
seen_put(ctrl_run *run, const char *name, const cJSON *secret, const char *against,
         const tlsca_info *info)
{
    dbi_ctl *d = dbi__caches(run);
    char     key[2 * DBI_NAME_LEN];

    if (!d->tls_seen && dbi_tls_seen_new(&d->tls_seen) != CORE_OK)
        return;
    if (seen_key(run, name, key, sizeof key) == CORE_OK)
        dbi_tls_seen_put(d->tls_seen, key, kjson_path_str(secret, "metadata", "uid", NULL),
                         kjson_resource_version(secret), against, info);
}


void
dbi__tls_forget(ctrl_run *run)
{
    char name[DBI_NAME_LEN], key[2 * DBI_NAME_LEN];

    snprintf(name, sizeof name, "%s-tls", ctrl_name(run));
    if (seen_key(run, name, key, sizeof key) == CORE_OK)
        dbi_tls_seen_forget(dbi__caches(run)->tls_seen, key);
}


void
dbi__tls_seen_free(dbi_ctl *d)
{
    if (d) {
        dbi_tls_seen_free(d->tls_seen);
        d->tls_seen = NULL;
    }
}


/* What a server certificate is checked against, for dbi_tls_seen: the CA Secret's uid and
 * resourceVersion and a checksum of the names, in out. CORE_ETOOBIG when it cannot be said
 * (then nothing is remembered). */
static int
server_against(const struct dbi_tls_st *t, const char *const *names, size_t n, char *out, size_t len)
{
    char   sum[17], joined[2048];
    size_t used = 0, i;
    int    w;

    for (i = 0; i < n; i++) {
        w = snprintf(joined + used, sizeof joined - used, "%s\n", names[i]);
        if (w < 0 || (size_t)w >= sizeof joined - used)
            return CORE_ETOOBIG;
        used += (size_t)w;
    }
    if (!t->ca_rv[0] || !t->ca_uid[0] || ctrl_checksum(joined, used, sum, sizeof sum) != CORE_OK ||
        snprintf(out, len, "%s/%s/%s", t->ca_uid, t->ca_rv, sum) >= (int)len)
        return CORE_ETOOBIG;
    return CORE_OK;
}


/* Checks the CA (tlsca_check_ca) unless it passed before at this version: 0 or its error,
 * the reason in why. */
static int
check_ca(ctrl_run *run, const cJSON *ca, const struct dbi_tls_st *t, char *why, size_t len)
{
    time_t     now = time(NULL);
    tlsca_info info;
    int        rc;

    if (seen_get(run, DBI_CA_SECRET, ca, "", now, &info))
        return CORE_OK;
    if ((rc = tlsca_check_ca(t->ca_cert, t->ca_key, now, &info, why, len)) == CORE_OK)
        seen_put(run, DBI_CA_SECRET, ca, "", &info);
    return rc;
}


/* The next look at the certificate: when it is due (ours) or expires (a user's), at most
 * DBI_TLS_RECHECK_S away, so that a renewal never waits for some other change. Asked at
 * the end of a run (dbi__tls_status). */
#define DBI_TLS_RECHECK_S (12 * 3600)

static void
recheck(ctrl_run *run, time_t when)
{
    time_t now = time(NULL), wait = when > now ? when - now + 1 : 1;

    if (wait > DBI_TLS_RECHECK_S)
        wait = DBI_TLS_RECHECK_S;
    ctrl_requeue_after(run, (uint64_t)wait * 1000);
}


/* The builders get the CA and the certificate's checksum; then next, once what was queued
 * has answered. */
static void
ready(ctrl_run *run)
{
    dbi_run           *s = dbi__st(run);
    struct dbi_tls_st *t = s->tls;

    if (ctrl_checksum(t->cert, strlen(t->cert), t->checksum, sizeof t->checksum) != CORE_OK) {
        ctrl_refuse(run, 1, "BuildFailed", "the certificate's checksum could not be computed");
        dbi__run_status(run);
        return;
    }
    s->spec.tls_ca = t->ca_cert;
    s->spec.tls_checksum = t->checksum;
    ctrl_then(run, t->next);
}


/* --- a user's certificate ------------------------------------------------------------- */

static void
refuse_user(ctrl_run *run, const char *why)
{
    dbi_run *s = dbi__st(run);

    ctrl_refuse(run, 1, "InvalidSpec", "spec.tls.secretName: Secret %s: %s", s->spec.tls_secret, why);
    dbi__run_status(run);
}


static void
on_user_secret(ctrl_run *run, const cJSON *secret)
{
    dbi_run           *s = dbi__st(run);
    struct dbi_tls_st *t = s->tls;
    char               why[600], buf[1024];
    const char        *names[DBI_TLS_NAMES];
    size_t             n = 0;
    tlsca_info         info;

    if (!secret) {
        refuse_user(run, "not found");
        return;
    }
    if (secret_pem(secret, "tls.crt", &t->cert, why, sizeof why) ||
        secret_pem(secret, "tls.key", &t->key, why, sizeof why) ||
        secret_pem(secret, "ca.crt", &t->ca_cert, why, sizeof why)) {
        refuse_user(run, why);
        return;
    }
    if (dbi_tls_names(&s->spec, buf, sizeof buf, names, &n) != CORE_OK ||
        tlsca_check(t->cert, t->key, t->ca_cert, &names[DBI_TLS_HOST], 1, time(NULL), &info, why,
                    sizeof why) != CORE_OK) {
        refuse_user(run, why);
        return;
    }
    t->not_after = info.not_after;
    ready(run);
}


/* --- ours: the CA, then the server certificate ------------------------------------------ */

/*
 * A certificate just issued is checked as a client would (tlsca_check) the first time this
 * CA version issues one: a CA put in by hand may pass tlsca_check_ca and still sign what a
 * chain check refuses (an extended key usage without serverAuth, name constraints). Once one
 * passed, the CA's entry is marked and its later certificates, made by the same code from
 * the same CA with other names, are not parsed back. 0 or tlsca_check's error, why said.
 */
static int
issued_check(ctrl_run *run, const tlsca_pair *pair, const char *const *names, size_t n, time_t now,
             char *why, size_t len)
{
    struct dbi_tls_st *t = dbi__st(run)->tls;
    dbi_tls_seen      *seen = dbi__caches(run)->tls_seen;
    char               key[2 * DBI_NAME_LEN];
    int                rc;

    if (seen_key(run, DBI_CA_SECRET, key, sizeof key) == CORE_OK &&
        dbi_tls_seen_marked(seen, key, t->ca_uid, t->ca_rv))
        return CORE_OK;
    rc = tlsca_check(pair->cert, pair->key, t->ca_cert, names, n, now, NULL, why, len);
    if (rc == CORE_OK)
        dbi_tls_seen_mark(seen, key, t->ca_uid, t->ca_rv);
    return rc;
}


/* <name>-tls as written (or found as it is to be): what it holds was checked in this run. */
static void
on_tls_written(ctrl_run *run, const cJSON *secret, int written)
{
    struct dbi_tls_st *t = dbi__st(run)->tls;
    char               ev[CTRL_MSG_MAX];

    if (secret && t->against[0])
        seen_put(run, t->secret, secret, t->against, &t->info);
    /* Told once written: a create refused because the Secret exists after all issued nothing
     * that serves. */
    if (secret && written && t->issued) {
        snprintf(ev, sizeof ev, "issued the server certificate (Secret %s) from the namespace's CA",
                 t->secret);
        ctrl_event(run, "Normal", t->issued, ev);
    }
}


/* Whether live <name>-tls carries the mark (DBI_TLS_CHECKED_AN) of these very contents
 * having passed the check against this CA and these names, valid now: its dates in *info,
 * and the mark copied into out (of DBI_TLS_MARK_MAX): dbi_tls_mark_ok compared it whole with
 * what dbi_tls_mark writes for these inputs and dates, so it is what a new one would be.
 * t->cert and t->key hold live's. */
static int
marked(const cJSON *live, const struct dbi_tls_st *t, const char *against, time_t now,
       tlsca_info *info, char *out)
{
    const char *mark = kjson_path_str(live, "metadata", "annotations", DBI_TLS_CHECKED_AN, NULL);
    time_t      nb, na;

    if (!mark || strlen(mark) >= DBI_TLS_MARK_MAX || !t->ca_key || !t->ca_cert ||
        !dbi_tls_mark_ok(mark, t->ca_key, against, t->cert, t->key, t->ca_cert, &nb, &na) ||
        now < nb || now >= na)
        return 0;
    info->not_before = nb;
    info->not_after = na;
    memcpy(out, mark, strlen(mark) + 1);
    return 1;
}


/* Keeps the live <name>-tls when it still serves (chains to this CA, key matches, names,
 * not due), else issues a new certificate; applies <name>-tls; ready. */
static void
server_cert(ctrl_run *run)
{
    dbi_run           *s = dbi__st(run);
    struct dbi_tls_st *t = s->tls;
    const cJSON       *live = t->live;
    char               why[600], buf[1024];
    const char        *names[DBI_TLS_NAMES];
    size_t             n = 0;
    tlsca_info         info;
    tlsca_pair         pair = {NULL, NULL};
    time_t             now = time(NULL);
    int                keep = 0, had = live != NULL, memo, verified = 0;
    char               against[128], mark[DBI_TLS_MARK_MAX] = "";

    if (ctrl_refused(run)) { /* <name>-tls is someone else's: ChildConflict */
        dbi__run_status(run);
        return;
    }
    if (dbi_tls_names(&s->spec, buf, sizeof buf, names, &n) != CORE_OK) {
        ctrl_refuse(run, 1, "BuildFailed", "the certificate's names are too long");
        dbi__run_status(run);
        return;
    }
    memo = server_against(t, names, n, against, sizeof against) == CORE_OK;
    if (live && secret_pem(live, "tls.crt", &t->cert, why, sizeof why) == CORE_OK &&
        secret_pem(live, "tls.key", &t->key, why, sizeof why) == CORE_OK) {
        if (memo && seen_get(run, t->secret, live, against, now, &info)) {
            keep = !tlsca_renew_due(info.not_before, info.not_after, now);
        } else if (memo && marked(live, t, against, now, &info, mark)) {
            seen_put(run, t->secret, live, against, &info);
            keep = !tlsca_renew_due(info.not_before, info.not_after, now);
            verified = keep;
        } else if (tlsca_check(t->cert, t->key, t->ca_cert, names, n, now, &info, why, sizeof why) ==
                   CORE_OK) {
            if (memo)
                seen_put(run, t->secret, live, against, &info);
            keep = !tlsca_renew_due(info.not_before, info.not_after, now);
        }
    }
    drop_secret(&t->live);
    if (!keep) {
        wipe(&t->cert);
        wipe(&t->key);
        if (tlsca_issue(t->ca_cert, t->ca_key, names, n, now, &pair, &info, why, sizeof why) !=
                CORE_OK ||
            issued_check(run, &pair, names, n, now, why, sizeof why) != CORE_OK) {
            tlsca_pair_free(&pair);
            ctrl_refuse(run, 1, "CertificateFailed", "issuing the server certificate failed: %s", why);
            dbi__run_status(run);
            return;
        }
        t->cert = pair.cert;
        t->key = pair.key;
        if (had || !ctrl_is_new(run))
            t->issued = had ? "CertificateRenewed" : "CertificateIssued";
    }
    t->info = info;
    t->not_after = info.not_after;
    t->renew_after = tlsca_renew_at(info.not_before, info.not_after);
    if (memo)
        memcpy(t->against, against, sizeof t->against);
    /* The mark carries this check over a restart (dbi_tls_mark); without one the Secret is
     * simply checked again. One just verified is kept as it is (an HMAC less per reconcile
     * after a restart). */
    if (!memo ||
        (!verified && dbi_tls_mark(t->ca_key, against, t->cert, t->key, t->ca_cert, info.not_before,
                                   info.not_after, mark, sizeof mark) != CORE_OK))
        mark[0] = '\0';
    ctrl_apply(run, &KRES_SECRETS, dbi__caches(run)->secrets,
               dbi_build_tls_secret(&s->spec, ctrl_obj(run), t->cert, t->key, t->ca_cert,
                                    mark[0] ? mark : NULL),
               on_tls_written);
    ready(run);
}


/* Our <name>-tls as it is: a copy for server_cert. */
static void
on_tls_live(ctrl_run *run, const cJSON *live, int written)
{
    struct dbi_tls_st *t = dbi__st(run)->tls;

    (void)written;
    drop_secret(&t->live);
    t->live = live ? cJSON_Duplicate(live, 1) : NULL;
}


/* The CA Secret as read: ours (labelled), and a CA that serves; then our <name>-tls read
 * from the cache, then server_cert. One the cache lacks is not read (ctrl_check_to_create):
 * a new certificate is issued and created with a create the server refuses when the
 * Secret exists after all (a cache that has not seen it, after a watch was down), so an
 * existing certificate is never replaced that way, and the pod not restarted; the next
 * run reads it with a GET and keeps it. */
static void
use_ca(ctrl_run *run, const cJSON *ca)
{
    struct dbi_tls_st *t = dbi__st(run)->tls;
    const char        *managed = kjson_path_str(ca, "metadata", "labels", CTRL_LABEL_MANAGED, NULL);
    const char        *rv, *uid;
    char               why[600];

    if (!managed || strcmp(managed, CTRL_MANAGED_BY) != 0) {
        ctrl_refuse(run, 1, "CAConflict",
                    "Secret %s exists and was not made by %s (no label %s=%s); the operator "
                    "neither uses nor replaces it",
                    DBI_CA_SECRET, CTRL_MANAGED_BY, CTRL_LABEL_MANAGED, CTRL_MANAGED_BY);
        dbi__run_status(run);
        return;
    }
    /* Too long to hold whole: left "", which turns the memo off for this run. */
    rv = kjson_resource_version(ca);
    uid = kjson_path_str(ca, "metadata", "uid", NULL);
    if (rv && strlen(rv) < sizeof t->ca_rv && uid && strlen(uid) < sizeof t->ca_uid) {
        memcpy(t->ca_rv, rv, strlen(rv) + 1);
        memcpy(t->ca_uid, uid, strlen(uid) + 1);
    }
    if (secret_pem(ca, "tls.crt", &t->ca_cert, why, sizeof why) ||
        secret_pem(ca, "tls.key", &t->ca_key, why, sizeof why) ||
        check_ca(run, ca, t, why, sizeof why)) {
        ctrl_refuse(run, 1, "CAInvalid",
                    "Secret %s: %s; delete it (and the <name>-tls Secrets of the namespace) for "
                    "the operator to make a new CA",
                    DBI_CA_SECRET, why);
        dbi__run_status(run);
        return;
    }
    ctrl_check_to_create(run, &KRES_SECRETS, dbi__caches(run)->secrets, t->secret, on_tls_live);
    ctrl_then(run, server_cert);
}


static void
on_ca_created(const kops_result *res, void *data)
{
    ctrl_run *run = data;

    if (ctrl_ns_refused(run, res)) {
        dbi__run_status(run);
        return;
    }
    if (res->err) {
        /* A 409: another instance's run made it first; the next run reads it. */
        log_obj(LOG_INFO, DBI_CTL_NAME, ctrl_key(run), "creating the namespace's CA Secret failed",
                "secret", DBI_CA_SECRET, "error", res->message, NULL);
        ctrl_end(run, WQ_ERROR);
        return;
    }
    ctrl_event(run, "Normal", "CACreated",
               "created the namespace's CA (Secret " DBI_CA_SECRET ", ECDSA P-256, 10 years)");
    use_ca(run, res->obj);
}


static void
on_ca(ctrl_run *run, const cJSON *ca)
{
    tlsca_pair  pair = {NULL, NULL};
    char        cn[DBI_NAME_LEN], why[300];
    cJSON      *obj;
    kops_target t = {rt_client(ctrl_runtime(run)), &KRES_SECRETS, ctrl_ns(run), NULL, NULL, 0, 0};

    if (ca) {
        use_ca(run, ca);
        return;
    }
    snprintf(cn, sizeof cn, "dbaas-operator CA %.200s", ctrl_ns(run));
    if (tlsca_make_ca(cn, time(NULL), &pair, why, sizeof why) != CORE_OK ||
        !(obj = dbi_build_ca_secret(ctrl_ns(run), pair.cert, pair.key))) {
        tlsca_pair_free(&pair);
        ctrl_refuse(run, 1, "CertificateFailed", "making the namespace's CA failed: %s", why);
        dbi__run_status(run);
        return;
    }
    tlsca_pair_free(&pair);
    if (kops_create(&t, obj, on_ca_created, run))
        ctrl_end(run, WQ_ERROR);
    /* obj holds the CA key in base64: cleanse it before it goes */
    {
        cJSON *key = kjson_path(obj, "data", "tls.key", NULL);

        if (cJSON_IsString(key))
            OPENSSL_cleanse(key->valuestring, strlen(key->valuestring));
    }
    cJSON_Delete(obj);
}


void
dbi__tls(ctrl_run *run, void (*next)(ctrl_run *run))
{
    dbi_run           *s = dbi__st(run);
    const cJSON       *ca;
    struct dbi_tls_st *t;

    s->spec.tls = dbi_tls_decide(s->spec.tls, dbi__known_sts(run), ctrl_obj(run));
    if (!(t = calloc(1, sizeof *t))) {
        ctrl_end(run, WQ_ERROR);
        return;
    }
    s->tls = t;
    t->next = next;
    t->decided = 1;
    t->enabled = s->spec.tls;
    if (!dbi_tls_on(&s->spec)) {
        next(run);
        return;
    }
    if (s->spec.tls_secret) {
        snprintf(t->secret, sizeof t->secret, "%s", s->spec.tls_secret);
        ctrl_depend(run, &KRES_SECRETS, s->spec.tls_secret);
        ctrl_read_named(run, &KRES_SECRETS, s->spec.tls_secret, on_user_secret);
        return;
    }
    snprintf(t->secret, sizeof t->secret, "%s-tls", ctrl_name(run));
    if ((ca = ctrl_view(run, dbi__caches(run)->secrets, DBI_CA_SECRET))) {
        use_ca(run, ca);
        return;
    }
    /* Not cached: absent, not ours (no label), or the cache has not seen it yet. */
    ctrl_read_named(run, &KRES_SECRETS, DBI_CA_SECRET, on_ca);
}


void
dbi__tls_status(ctrl_run *run, cJSON *fields)
{
    struct dbi_tls_st *t = dbi__st(run)->tls;
    const cJSON       *old = kjson_path(ctrl_obj(run), "status", "tls", NULL);
    char               when[40];
    cJSON             *o;

    if (!fields)
        return;
    if (!t || !t->decided) {
        /* not decided in this run (a refused spec): keep the record */
        if (old)
            cJSON_AddItemToObject(fields, "tls", cJSON_Duplicate(old, 1));
        return;
    }
    if (!(o = cJSON_AddObjectToObject(fields, "tls")))
        return;
    cJSON_AddBoolToObject(o, "enabled", t->enabled == 1);
    if (t->enabled != 1 || !t->not_after)
        return;
    /* Only a run that ends well: a refusal keeps its own retry (backoff). */
    if (!ctrl_refused(run))
        recheck(run, t->renew_after ? t->renew_after : t->not_after);
    cJSON_AddStringToObject(o, "secretName", t->secret);
    tlsca_fmt_time(t->not_after, when, sizeof when);
    cJSON_AddStringToObject(o, "notAfter", when);
    if (t->renew_after) {
        tlsca_fmt_time(t->renew_after, when, sizeof when);
        cJSON_AddStringToObject(o, "renewAfter", when);
    }
}
