/*
 * hac: the HACluster status (hac_status.h).
 */
#include "hac_status.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/core.h"
#include "ctrl/ctrl_build.h"
#include "engine/engine.h"
#include "kjson/kjson.h"

#define HAC_SPILO_CONTAINER "postgres"
#define HAC_VOLUME          "pgdata"


static int
num(const cJSON *obj, const char *a, const char *b)
{
    const cJSON *v = kjson_path(obj, a, b, NULL);

    return kjson_int_or(v, 0, INT_MAX, 0);
}


static int
pod_ready(const cJSON *pod)
{
    const cJSON *it;

    if (kjson_path(pod, "metadata", "deletionTimestamp", NULL))
        return 0;
    const cJSON *conds = kjson_path(pod, "status", "conditions", NULL);

    cJSON_ArrayForEach(it, conds) {
        const char *type = kjson_get_str(it, "type"), *st = kjson_get_str(it, "status");

        if (type && st && strcmp(type, "Ready") == 0)
            return strcmp(st, "True") == 0;
    }
    return 0;
}


/* The value of env PGVERSION in the Spilo container of the StatefulSet's template, or NULL. */
static const char *
sts_pgversion(const cJSON *sts)
{
    const cJSON *c, *e, *containers = kjson_path(sts, "spec", "template", "spec", "containers", NULL);

    cJSON_ArrayForEach(c, containers) {
        const char *name = kjson_get_str(c, "name");

        if (!name || strcmp(name, HAC_SPILO_CONTAINER) != 0)
            continue;
        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(c, "env")) {
            const char *n = kjson_get_str(e, "name");

            if (n && strcmp(n, "PGVERSION") == 0)
                return kjson_get_str(e, "value");
        }
    }
    return NULL;
}


/* The storage the StatefulSet's volume claim template asks for, or NULL. */
static const char *
sts_storage(const cJSON *sts)
{
    const cJSON *t, *templates = kjson_path(sts, "spec", "volumeClaimTemplates", NULL);

    cJSON_ArrayForEach(t, templates) {
        const char *name = kjson_path_str(t, "metadata", "name", NULL);

        if (name && strcmp(name, HAC_VOLUME) == 0)
            return kjson_path_str(t, "spec", "resources", "requests", "storage", NULL);
    }
    return NULL;
}


/* What of the spec the StatefulSet does not have yet, in why; 1 when it matches. */
static int
sts_matches(const hac_spec *s, const cJSON *sts, char *why, size_t len)
{
    const char    *v = sts_pgversion(sts), *size = sts_storage(sts);
    kjson_quantity want, have;

    if (num(sts, "status", "observedGeneration") < num(sts, "metadata", "generation")) {
        snprintf(why, len, "the StatefulSet's controller has not seen its latest change");
        return 0;
    }
    if (num(sts, "spec", "replicas") != s->replicas) {
        snprintf(why, len, "the StatefulSet has %d replicas, the spec asks for %d",
                 num(sts, "spec", "replicas"), s->replicas);
        return 0;
    }
    if (!v || strcmp(v, s->version) != 0) {
        snprintf(why, len, "the StatefulSet runs PGVERSION %s, the spec asks for %s",
                 v ? v : "(none)", s->version);
        return 0;
    }
    if (!size || kjson_quantity_parse(size, &have) ||
        kjson_quantity_parse(s->storage_size, &want) || kjson_quantity_cmp(&have, &want) != 0) {
        snprintf(why, len, "the StatefulSet's volumes are %s, the spec asks for %s",
                 size ? size : "(none)", s->storage_size);
        return 0;
    }
    return 1;
}


/* RFC 3339 seconds of t (UTC) in buf. */
static void
rfc3339(int64_t t, char *buf, size_t len)
{
    time_t    tt = (time_t)t;
    struct tm tm;

    if (!gmtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(buf, len, "%s", "");
}


/* Whether the old status says Progressing True with reason since longer than wait_s. */
static int
waited_too_long(const hac_status_in *in, const char *reason)
{
    const cJSON *p = ctrl_condition_find(kjson_path(in->hac, "status", NULL), "Progressing");
    const char  *st = kjson_get_str(p, "status"), *r = kjson_get_str(p, "reason");
    const char  *since = kjson_get_str(p, "lastTransitionTime");
    char         limit[32];

    if (!st || !r || !since || strcmp(st, "True") != 0 || strcmp(r, reason) != 0)
        return 0;
    rfc3339(in->now_s - in->wait_s, limit, sizeof limit);
    return limit[0] && strcmp(since, limit) <= 0;
}


/* status.primary: the master pod (a Ready one first), else the old primary. */
static const cJSON *
master_pod(const hac_status_in *in)
{
    const cJSON *found = NULL;
    int          i;

    for (i = 0; i < in->npods; i++) {
        const char *role = kjson_path_str(in->pods[i], "metadata", "labels", "spilo-role", NULL);

        if (!role || strcmp(role, "master") != 0 ||
            kjson_path(in->pods[i], "metadata", "deletionTimestamp", NULL))
            continue;
        if (pod_ready(in->pods[i]))
            return in->pods[i];
        if (!found)
            found = in->pods[i];
    }
    return found;
}


static void
endpoints(const hac_status_in *in, ctrl_bld *b, cJSON *f)
{
    const hac_spec *s = in->spec;
    char            ep[400];

    snprintf(ep, sizeof ep, "%s.%s.svc.cluster.local:%d", s->name, s->namespace, HAC_PORT);
    ctrl_b_str(b, f, "endpoint", ep);
    if (s->read_replicas_service) {
        snprintf(ep, sizeof ep, "%s-repl.%s.svc.cluster.local:%d", s->name, s->namespace, HAC_PORT);
        ctrl_b_str(b, f, "readEndpoint", ep);
    }
    if (in->poolers.pooler) {
        snprintf(ep, sizeof ep, "%s-pooler.%s.svc.cluster.local:%d", s->name, s->namespace, HAC_PORT);
        ctrl_b_str(b, f, "poolerEndpoint", ep);
    }
}


/* currentVersion and the upgrade's verdict. */
static const char *
version_eval(const hac_status_in *in, ctrl_conds *c, int sts_ok)
{
    const char  *old = kjson_path_str(in->hac, "status", "currentVersion", NULL);
    const char  *running = old ? old : (sts_ok ? in->spec->version : NULL);
    const cJSON *ann = kjson_path(in->pg, "metadata", "annotations", NULL);

    if (!running || strcmp(running, in->spec->version) >= 0)
        return running;
    if (kjson_get_str(ann, HAC_UPGRADE_BAD)) {
        ctrl_conds_set(c, CTRL_DEGRADED, 1, "UpgradeFailed",
                       "the Zalando operator's major upgrade from %s to %s failed (annotation %s on the "
                       "postgresql object); PostgreSQL %s still runs; see the Zalando operator's log",
                       running, in->spec->version, HAC_UPGRADE_BAD, running);
        return running;
    }
    if (kjson_get_str(ann, HAC_UPGRADE_OK))
        return in->spec->version;
    if (sts_ok)
        ctrl_conds_set(c, CTRL_DEGRADED, 1, "UpgradeSkipped",
                       "the Zalando operator did not upgrade PostgreSQL from %s to %s: its "
                       "major_version_upgrade_mode is manual by default (set it to full, or run the "
                       "upgrade as its docs say); PostgreSQL %s still runs",
                       running, in->spec->version, running);
    return running;
}


static void
failover(const hac_status_in *in, const char *primary, ctrl_bld *b, cJSON *f, hac_status_note *note)
{
    const char  *old = kjson_path_str(in->hac, "status", "primary", NULL);
    const cJSON *last = kjson_path(in->hac, "status", "lastFailover", NULL);
    cJSON       *lf;

    if (old && primary && strcmp(old, primary) != 0) {
        note->failover = 1;
        snprintf(note->from, sizeof note->from, "%s", old);
        snprintf(note->to, sizeof note->to, "%s", primary);
        lf = ctrl_b_obj(b, f, "lastFailover");
        ctrl_b_str(b, lf, "from", old);
        ctrl_b_str(b, lf, "to", primary);
        ctrl_b_str(b, lf, "time", in->now);
        return;
    }
    ctrl_b_copy(b, f, "lastFailover", last);
}


/* Ready, Progressing and Degraded for a parsed spec with the CRD installed; eol: what
 * Ready's message adds for a version past its end of life, or NULL. */
static void
eval_cluster(const hac_status_in *in, ctrl_conds *c, const cJSON *master, int ready, int sts_ok,
             const char *why, const char *eol, hac_status_note *note)
{
    const hac_spec *s = in->spec;
    const char     *zs = kjson_path_str(in->pg, "status", "PostgresClusterStatus", NULL);
    char            zalando[CTRL_MSG_MAX];
    char            sname[400];

    snprintf(zalando, sizeof zalando, "%s%s", zs ? "; the Zalando operator says " : "", zs ? zs : "");
    if (!in->pg) {
        ctrl_conds_set(c, CTRL_READY, 0, "Provisioning", "creating the postgresql object");
        ctrl_conds_set(c, CTRL_PROGRESSING, 1, "Provisioning", "creating the postgresql object");
        return;
    }
    if (zs && strcmp(zs, "Invalid") == 0)
        ctrl_conds_set(c, CTRL_DEGRADED, 1, "ZalandoInvalid",
                       "the Zalando operator refused the postgresql object as Invalid; if its "
                       "enable_team_id_clustername_prefix is on, names must start with \"%s-\": turn "
                       "it off (the default) or rename the HACluster",
                       HAC_TEAM_ID);
    else if (zs && strstr(zs, "Failed"))
        ctrl_conds_set(c, CTRL_DEGRADED, 1, "ZalandoFailed",
                       "the Zalando operator reports %s for the postgresql object; see its log", zs);
    if (!sts_ok) {
        if (waited_too_long(in, "WaitingForZalando"))
            ctrl_conds_set(c, CTRL_PROGRESSING, 1, "WaitingForZalando",
                           "the Zalando operator has not acted on the postgresql object for %lld s "
                           "(%s): is it running and watching namespace %s?",
                           (long long)in->wait_s, why, s->namespace);
        else
            ctrl_conds_set(c, CTRL_PROGRESSING, 1, "WaitingForZalando",
                           "waiting for the Zalando operator: %s%s", why, zalando);
        note->recheck_s = in->wait_s / 4 > 0 ? in->wait_s / 4 : 1;
    } else {
        ctrl_conds_set(c, CTRL_PROGRESSING, 0, "Reconciled", "the cluster matches its spec%s",
                       zalando);
    }
    if (!master || !pod_ready(master)) {
        ctrl_conds_set(c, CTRL_READY, 0, "NoPrimary",
                       "no Ready pod labelled spilo-role=master (%d/%d pods ready)%s", ready,
                       s->replicas, zalando);
    } else if (!in->secret_ok) {
        hac_zalando_secret_name(s, sname, sizeof sname);
        ctrl_conds_set(c, CTRL_READY, 0, "WaitingForCredentials",
                       "the primary %s serves; waiting for the Zalando operator's Secret %s to write %s-credentials",
                       kjson_path_str(master, "metadata", "name", NULL), sname, s->name);
    } else {
        ctrl_conds_set(c, CTRL_READY, 1, "PrimaryReady",
                       "the primary %s serves; %d/%d pods ready%s%s%s",
                       kjson_path_str(master, "metadata", "name", NULL), ready, s->replicas,
                       s->replicas == 1 ? "; 1 replica: not highly available" : "", eol ? "; " : "",
                       eol ? eol : "");
    }
    if (!c->cond[CTRL_DEGRADED].set && ready < s->replicas && master)
        ctrl_conds_set(c, CTRL_DEGRADED, 1, "ReplicasNotReady", "%d/%d pods ready", ready,
                       s->replicas);
}


cJSON *
hac_status_eval(const hac_status_in *in, ctrl_conds *c, hac_status_note *note)
{
    ctrl_bld     b = {0};
    cJSON       *f = cJSON_CreateObject();
    const cJSON *master;
    cJSON       *vc = NULL;
    const char  *primary, *version, *zs;
    char         why[CTRL_MSG_MAX] = "", text[32], secret[400];
    int          i, ready = 0, sts_ok, eol = 0;

    memset(note, 0, sizeof *note);
    if (!f)
        return NULL;
    if (in->spec) {
        vc = engine_version_check(ENGINE_POSTGRESQL, in->spec->version, in->today, &eol);
        note->end_of_life =
            engine_version_check_news(kjson_path(in->hac, "status", "versionCheck", NULL), vc);
    }
    if (!in->crd_installed) {
        ctrl_conds_set(c, CTRL_READY, 0, "ZalandoOperatorMissing",
                       "the Zalando postgres-operator is not installed (no CRD postgresqls.acid.zalan.do): "
                       "install it (v1.15.1, https://github.com/zalando/postgres-operator, "
                       "docs/quickstart.md); this HACluster is then created without a restart");
        ctrl_conds_set(c, CTRL_PROGRESSING, 0, "ZalandoOperatorMissing",
                       "waiting for the Zalando operator");
        ctrl_b_copy(&b, f, "primary", kjson_path(in->hac, "status", "primary", NULL));
        ctrl_b_copy(&b, f, "currentVersion", kjson_path(in->hac, "status", "currentVersion", NULL));
        ctrl_b_copy(&b, f, "lastFailover", kjson_path(in->hac, "status", "lastFailover", NULL));
        if (in->spec)
            ctrl_b_put(&b, f, "versionCheck", vc);
        return ctrl_b_done(&b, f);
    }
    if (!in->spec) {
        /* The refusal says why; what was known is kept. */
        ctrl_b_copy(&b, f, "primary", kjson_path(in->hac, "status", "primary", NULL));
        ctrl_b_copy(&b, f, "currentVersion", kjson_path(in->hac, "status", "currentVersion", NULL));
        ctrl_b_copy(&b, f, "lastFailover", kjson_path(in->hac, "status", "lastFailover", NULL));
        return ctrl_b_done(&b, f);
    }
    for (i = 0; i < in->npods; i++)
        ready += pod_ready(in->pods[i]);
    master = master_pod(in);
    sts_ok = in->sts && sts_matches(in->spec, in->sts, why, sizeof why);
    if (!in->sts)
        snprintf(why, sizeof why, "no StatefulSet %s yet", in->spec->name);
    eval_cluster(in, c, master, ready, sts_ok, why, eol ? kjson_get_str(vc, "message") : NULL, note);
    version = version_eval(in, c, sts_ok);
    if (!c->cond[CTRL_DEGRADED].set)
        ctrl_conds_set(c, CTRL_DEGRADED, 0, "Healthy", "no problem found");
    primary = master ? kjson_path_str(master, "metadata", "name", NULL)
                     : kjson_path_str(in->hac, "status", "primary", NULL);
    if (primary)
        ctrl_b_str(&b, f, "primary", primary);
    ctrl_b_int(&b, f, "replicas", in->spec->replicas);
    ctrl_b_int(&b, f, "readyReplicas", ready);
    snprintf(text, sizeof text, "%d/%d", ready, in->spec->replicas);
    ctrl_b_str(&b, f, "readyText", text);
    endpoints(in, &b, f);
    if (version)
        ctrl_b_str(&b, f, "currentVersion", version);
    if (in->secret_ok && !hac_child_name(in->spec, "-credentials", secret, sizeof secret))
        ctrl_b_str(&b, f, "connectionSecret", secret);
    if ((zs = kjson_path_str(in->pg, "status", "PostgresClusterStatus", NULL)))
        ctrl_b_str(&b, f, "zalandoStatus", zs);
    ctrl_b_put(&b, f, "versionCheck", vc);
    failover(in, master ? primary : NULL, &b, f, note);
    return ctrl_b_done(&b, f);
}
