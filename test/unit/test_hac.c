/* HACluster: the spec parse beyond the golden cases, and the status evaluation. */
#include <string.h>

#include "core/core.h"
#include "ctrl/ctrl_status.h"
#include "hac/hac.h"
#include "hac/hac_status.h"
#include "kjson/kjson.h"
#include "test.h"

#define NOW   "2026-11-30T12:00:00Z"
#define NOW_S 1796040000LL /* 2026-11-30T12:00:00Z */
#define TODAY "2026-11-30" /* the day of NOW */


static cJSON *
hac_obj(const char *spec, const char *status)
{
    char text[4096];

    snprintf(text, sizeof text,
             "{\"apiVersion\":\"dbaas.dev/v1alpha1\",\"kind\":\"HACluster\","
             "\"metadata\":{\"name\":\"payments\",\"namespace\":\"team-a\",\"uid\":\"u1\",\"generation\":2},"
             "\"spec\":{\"version\":\"16\",\"database\":\"payments\"%s}%s%s}",
             spec ? spec : "", status ? ",\"status\":" : "", status ? status : "");
    return cJSON_Parse(text);
}


/* Zalando's StatefulSet as it makes it: replicas, PGVERSION, the pgdata claim template. */
static cJSON *
zsts(int replicas, const char *pgversion, const char *size)
{
    char text[1024];

    snprintf(text, sizeof text,
             "{\"metadata\":{\"name\":\"payments\",\"generation\":1},\"spec\":{\"replicas\":%d,"
             "\"template\":{\"spec\":{\"containers\":[{\"name\":\"postgres\",\"env\":[{\"name\":\"PGVERSION\","
             "\"value\":\"%s\"}]}]}},\"volumeClaimTemplates\":[{\"metadata\":{\"name\":\"pgdata\"},"
             "\"spec\":{\"resources\":{\"requests\":{\"storage\":\"%s\"}}}}]},"
             "\"status\":{\"observedGeneration\":1}}",
             replicas, pgversion, size);
    return cJSON_Parse(text);
}


static cJSON *
pod(int i, const char *role, int ready)
{
    char text[512];

    snprintf(text, sizeof text,
             "{\"metadata\":{\"name\":\"payments-%d\",\"labels\":{\"spilo-role\":\"%s\"}},"
             "\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"%s\"}]}}",
             i, role, ready ? "True" : "False");
    return cJSON_Parse(text);
}


typedef struct {
    ctrl_conds      conds;
    hac_status_note note;
    cJSON          *fields;
} result;


/* Evaluates obj with npods pods (pod 0 master when master, ready as given) and the sts, on
 * day today. */
static void
eval_on(result *r, cJSON *obj, const cJSON *s, cJSON **pods, int npods, int crd, int secret_ok,
        const char *zstatus, const char *today)
{
    hac_spec      spec;
    hac_status_in in;
    char          err[256], pgtext[256];
    cJSON        *pg;

    memset(r, 0, sizeof *r);
    memset(&in, 0, sizeof in);
    ASSERT_EQ(hac_spec_parse(obj, &spec, err, sizeof err), CORE_OK);
    snprintf(pgtext, sizeof pgtext,
             "{\"metadata\":{\"name\":\"payments\"},\"status\":{\"PostgresClusterStatus\":\"%s\"}}",
             zstatus);
    pg = cJSON_Parse(pgtext);
    in.hac = obj;
    in.spec = &spec;
    in.crd_installed = crd;
    in.pg = pg;
    in.sts = s;
    in.pods = (const cJSON *const *)pods;
    in.npods = npods;
    in.secret_ok = secret_ok;
    in.now = NOW;
    in.today = today;
    in.now_s = NOW_S;
    in.wait_s = HAC_ZALANDO_WAIT_S;
    r->fields = hac_status_eval(&in, &r->conds, &r->note);
    ASSERT(r->fields != NULL);
    cJSON_Delete(pg);
}


static void
eval(result *r, cJSON *obj, const cJSON *s, cJSON **pods, int npods, int crd, int secret_ok,
     const char *zstatus)
{
    eval_on(r, obj, s, pods, npods, crd, secret_ok, zstatus, TODAY);
}


TEST(hac_spec_defaults)
{
    cJSON   *o = hac_obj(NULL, NULL);
    hac_spec s;
    char     err[256];

    ASSERT_EQ(hac_spec_parse(o, &s, err, sizeof err), CORE_OK);
    ASSERT_EQ(s.replicas, 3);
    ASSERT_STR(s.username, "app");
    ASSERT_STR(s.storage_size, "1Gi");
    ASSERT_EQ(s.read_replicas_service, 1);
    ASSERT_EQ(s.pooler_enabled, 0);
    ASSERT_STR(s.pooler_mode, "transaction");
    ASSERT_STR(s.deletion_policy, "Delete");
    ASSERT_EQ(s.major, 16);
    cJSON_Delete(o);
}


/* The held annotation records the version the data holds: the running one once known. */
TEST(hac_held_records_the_running_version)
{
    const char *v17 = "{\"metadata\":{\"name\":\"payments\",\"namespace\":\"team-a\",\"uid\":\"u1\"},"
                      "\"spec\":{\"version\":\"17\",\"database\":\"payments\"}%s}";
    char        text[512];
    cJSON      *fresh, *skipped;
    hac_spec    s;
    char        err[256], held[128];

    snprintf(text, sizeof text, v17, "");
    fresh = cJSON_Parse(text);
    snprintf(text, sizeof text, v17, ",\"status\":{\"currentVersion\":\"16\"}");
    skipped = cJSON_Parse(text);
    ASSERT_EQ(hac_spec_parse(fresh, &s, err, sizeof err), CORE_OK);
    ASSERT_EQ(hac_held(&s, held, sizeof held), CORE_OK);
    ASSERT_STR(held, "17/payments/app");
    ASSERT_EQ(hac_spec_parse(skipped, &s, err, sizeof err), CORE_OK);
    ASSERT_STR(s.version, "17");
    ASSERT_EQ(hac_held(&s, held, sizeof held), CORE_OK);
    ASSERT_STR(held, "16/payments/app");
    ASSERT_EQ(hac_held(&s, held, 8), CORE_ETOOBIG);
    cJSON_Delete(fresh);
    cJSON_Delete(skipped);
}


TEST(hac_zalando_secret_name_dashes)
{
    cJSON   *o = hac_obj(",\"username\":\"pay_app\"", NULL);
    hac_spec s;
    char     err[256], name[256];

    ASSERT_EQ(hac_spec_parse(o, &s, err, sizeof err), CORE_OK);
    ASSERT_EQ(hac_zalando_secret_name(&s, name, sizeof name), CORE_OK);
    ASSERT_STR(name, "pay-app.payments.credentials.postgresql.acid.zalan.do");
    cJSON_Delete(o);
}


TEST(hac_owned_parameters_refused)
{
    cJSON   *o = hac_obj(",\"parameters\":{\"Port\":\"5433\"}", NULL);
    hac_spec s;
    char     err[256];

    ASSERT_EQ(hac_spec_parse(o, &s, err, sizeof err), CORE_EINVAL);
    ASSERT_CONTAINS(err, "spec.parameters");
    ASSERT(hac_owned_parameter("synchronous_standby_names"));
    ASSERT(!hac_owned_parameter("max_connections"));
    cJSON_Delete(o);
}


TEST(hac_status_crd_missing)
{
    cJSON *o = hac_obj(NULL, NULL);
    result r;

    eval(&r, o, NULL, NULL, 0, 0, 0, "Running");
    ASSERT_EQ(r.conds.cond[CTRL_READY].status, 0);
    ASSERT_STR(r.conds.cond[CTRL_READY].reason, "ZalandoOperatorMissing");
    ASSERT(strstr(r.conds.cond[CTRL_READY].message, "install it") != NULL);
    cJSON_Delete(r.fields);
    cJSON_Delete(o);
}


TEST(hac_status_ready_and_degraded)
{
    cJSON *o = hac_obj(NULL, NULL), *s = zsts(3, "16", "1Gi");
    cJSON *pods[3] = {pod(0, "master", 1), pod(1, "replica", 1), pod(2, "replica", 0)};
    result r;
    int    i;

    eval(&r, o, s, pods, 3, 1, 1, "Running");
    ASSERT_EQ(r.conds.cond[CTRL_READY].status, 1);
    ASSERT_EQ(r.conds.cond[CTRL_DEGRADED].status, 1);
    ASSERT_STR(r.conds.cond[CTRL_DEGRADED].reason, "ReplicasNotReady");
    ASSERT_STR(r.conds.cond[CTRL_DEGRADED].message, "2/3 pods ready");
    ASSERT_STR(kjson_get_str(r.fields, "readyText"), "2/3");
    ASSERT_STR(kjson_get_str(r.fields, "primary"), "payments-0");
    ASSERT_STR(kjson_get_str(r.fields, "currentVersion"), "16");
    ASSERT_STR(kjson_get_str(r.fields, "zalandoStatus"), "Running");
    ASSERT_EQ(r.conds.cond[CTRL_PROGRESSING].status, 0);
    for (i = 0; i < 3; i++)
        cJSON_Delete(pods[i]);
    cJSON_Delete(r.fields);
    cJSON_Delete(s);
    cJSON_Delete(o);
}


/* Zalando says Running while the pods are not ready: not Ready (zalando#2864). */
TEST(hac_status_running_is_not_ready)
{
    cJSON *o = hac_obj(NULL, NULL), *s = zsts(3, "16", "1Gi");
    cJSON *pods[1] = {pod(0, "master", 0)};
    result r;

    eval(&r, o, s, pods, 1, 1, 1, "Running");
    ASSERT_EQ(r.conds.cond[CTRL_READY].status, 0);
    ASSERT_STR(r.conds.cond[CTRL_READY].reason, "NoPrimary");
    cJSON_Delete(pods[0]);
    cJSON_Delete(r.fields);
    cJSON_Delete(s);
    cJSON_Delete(o);
}


TEST(hac_status_single_replica_not_ha)
{
    cJSON *o = hac_obj(",\"replicas\":1", NULL), *s = zsts(1, "16", "1Gi");
    cJSON *pods[1] = {pod(0, "master", 1)};
    result r;

    eval(&r, o, s, pods, 1, 1, 1, "Running");
    ASSERT_EQ(r.conds.cond[CTRL_READY].status, 1);
    ASSERT(strstr(r.conds.cond[CTRL_READY].message, "not highly available") != NULL);
    ASSERT_EQ(r.conds.cond[CTRL_DEGRADED].status, 0);
    cJSON_Delete(pods[0]);
    cJSON_Delete(r.fields);
    cJSON_Delete(s);
    cJSON_Delete(o);
}


TEST(hac_status_failover)
{
    cJSON *o = hac_obj(NULL, "{\"primary\":\"payments-0\",\"currentVersion\":\"16\"}"),
          *s = zsts(3, "16", "1Gi");
    cJSON *pods[2] = {pod(0, "replica", 1), pod(1, "master", 1)};
    result r;

    eval(&r, o, s, pods, 2, 1, 1, "Running");
    ASSERT_EQ(r.note.failover, 1);
    ASSERT_STR(r.note.from, "payments-0");
    ASSERT_STR(r.note.to, "payments-1");
    ASSERT_STR(kjson_path_str(r.fields, "lastFailover", "time", NULL), NOW);
    ASSERT_STR(kjson_get_str(r.fields, "primary"), "payments-1");
    cJSON_Delete(pods[0]);
    cJSON_Delete(pods[1]);
    cJSON_Delete(r.fields);
    cJSON_Delete(s);
    cJSON_Delete(o);
}


/* No master for a moment: the old primary stays, no failover yet. */
TEST(hac_status_no_master_keeps_primary)
{
    cJSON *o = hac_obj(NULL, "{\"primary\":\"payments-0\"}"), *s = zsts(3, "16", "1Gi");
    cJSON *pods[1] = {pod(1, "replica", 1)};
    result r;

    eval(&r, o, s, pods, 1, 1, 1, "Running");
    ASSERT_EQ(r.note.failover, 0);
    ASSERT_STR(kjson_get_str(r.fields, "primary"), "payments-0");
    ASSERT_EQ(r.conds.cond[CTRL_READY].status, 0);
    cJSON_Delete(pods[0]);
    cJSON_Delete(r.fields);
    cJSON_Delete(s);
    cJSON_Delete(o);
}


/* The StatefulSet behind the spec: WaitingForZalando; after the bounded wait, "not acted". */
TEST(hac_status_zalando_not_acting)
{
    cJSON *o = hac_obj(",\"replicas\":5", NULL), *s = zsts(3, "16", "1Gi");
    cJSON *late =
        hac_obj(",\"replicas\":5",
                "{\"conditions\":[{\"type\":\"Progressing\",\"status\":\"True\","
                "\"reason\":\"WaitingForZalando\",\"lastTransitionTime\":\"2026-11-30T11:57:59Z\"}]}");
    cJSON *soon =
        hac_obj(",\"replicas\":5",
                "{\"conditions\":[{\"type\":\"Progressing\",\"status\":\"True\","
                "\"reason\":\"WaitingForZalando\",\"lastTransitionTime\":\"2026-11-30T11:58:30Z\"}]}");
    cJSON *pods[1] = {pod(0, "master", 1)};
    result r;

    eval(&r, o, s, pods, 1, 1, 1, "Running");
    ASSERT_STR(r.conds.cond[CTRL_PROGRESSING].reason, "WaitingForZalando");
    ASSERT(strstr(r.conds.cond[CTRL_PROGRESSING].message, "3 replicas, the spec asks for 5") != NULL);
    ASSERT(r.note.recheck_s > 0);
    cJSON_Delete(r.fields);
    eval(&r, soon, s, pods, 1, 1, 1, "Running");
    ASSERT(strstr(r.conds.cond[CTRL_PROGRESSING].message, "has not acted") == NULL);
    cJSON_Delete(r.fields);
    eval(&r, late, s, pods, 1, 1, 1, "Running");
    ASSERT(strstr(r.conds.cond[CTRL_PROGRESSING].message,
                  "has not acted on the postgresql object for 120 s") != NULL);
    cJSON_Delete(r.fields);
    cJSON_Delete(pods[0]);
    cJSON_Delete(s);
    cJSON_Delete(o);
    cJSON_Delete(late);
    cJSON_Delete(soon);
}


TEST(hac_status_upgrade_skipped)
{
    cJSON *o = hac_obj(NULL, "{\"currentVersion\":\"15\"}"), *s = zsts(3, "16", "1Gi");
    cJSON *pods[1] = {pod(0, "master", 1)};
    result r;

    eval(&r, o, s, pods, 1, 1, 1, "Running");
    ASSERT_STR(r.conds.cond[CTRL_DEGRADED].reason, "UpgradeSkipped");
    ASSERT_STR(kjson_get_str(r.fields, "currentVersion"), "15");
    cJSON_Delete(r.fields);
    cJSON_Delete(pods[0]);
    cJSON_Delete(s);
    cJSON_Delete(o);
}


TEST(hac_status_zalando_invalid)
{
    cJSON *o = hac_obj(NULL, NULL);
    result r;

    eval(&r, o, NULL, NULL, 0, 1, 0, "Invalid");
    ASSERT_STR(r.conds.cond[CTRL_DEGRADED].reason, "ZalandoInvalid");
    ASSERT(strstr(r.conds.cond[CTRL_DEGRADED].message, "enable_team_id_clustername_prefix") != NULL);
    cJSON_Delete(r.fields);
    cJSON_Delete(o);
}


/* Fails unless Ready's message contains want, and shows the message. */
static void
ready_says(const result *r, const char *want, int line)
{
    const char *msg = r->conds.cond[CTRL_READY].message;
    char        what[700];

    if (strstr(msg, want))
        return;
    snprintf(what, sizeof what, "Ready's message \"%.300s\" contains \"%.300s\"", msg, want);
    test_fail(__FILE__, line, what);
}


/* obj with spec.version v and spec.replicas n. */
static void
set_spec(cJSON *obj, const char *v, int n)
{
    cJSON *spec = cJSON_GetObjectItemCaseSensitive(obj, "spec");

    ASSERT(cJSON_ReplaceItemInObjectCaseSensitive(spec, "version", cJSON_CreateString(v)));
    cJSON_DeleteItemFromObjectCaseSensitive(spec, "replicas");
    ASSERT(cJSON_AddNumberToObject(spec, "replicas", n) != NULL);
}


/* 13 runs with a warning: in Ready's message, versionCheck, and an Event once (not again
 * when the status already says EndOfLife for 13). */
TEST(hac_status_end_of_life)
{
    cJSON *o = hac_obj(NULL, NULL), *s = zsts(1, "13", "1Gi");
    cJSON *told = hac_obj(NULL, "{\"versionCheck\":{\"major\":\"13\",\"support\":\"EndOfLife\"}}");
    cJSON *pods[1] = {pod(0, "master", 1)};
    result r;

    set_spec(o, "13", 1);
    set_spec(told, "13", 1);
    eval(&r, o, s, pods, 1, 1, 1, "Running");
    ASSERT_STR(r.conds.cond[CTRL_READY].reason, "PrimaryReady");
    ready_says(&r,
               "; postgresql 13 reached its end of life on 2025-11-13 "
               "(https://www.postgresql.org/support/versioning/)",
               __LINE__);
    ASSERT_EQ(r.note.end_of_life, 1);
    ASSERT_STR(kjson_path_str(r.fields, "versionCheck", "support", NULL), "EndOfLife");
    ASSERT_STR(kjson_path_str(r.fields, "versionCheck", "endOfLife", NULL), "2025-11-13");
    cJSON_Delete(r.fields);
    eval(&r, told, s, pods, 1, 1, 1, "Running");
    ready_says(&r, "reached its end of life", __LINE__);
    ASSERT_EQ(r.note.end_of_life, 0);
    cJSON_Delete(r.fields);
    cJSON_Delete(pods[0]);
    cJSON_Delete(s);
    cJSON_Delete(o);
    cJSON_Delete(told);
}


/* The end of life is the engines' table's (engine/engine.h) on the day given: PostgreSQL 14
 * is supported up to 2026-11-12 inclusive, so a HACluster on 14 is warned from 2026-11-13. */
TEST(hac_status_end_of_life_by_day)
{
    static const struct {
        const char *today;
        int         warned;
    } days[] = {{"2026-11-13", 1}, {TODAY, 1}, {"2026-11-12", 0}, {"2026-11-11", 0}};
    cJSON *o = hac_obj(NULL, NULL), *s = zsts(3, "14", "1Gi");
    cJSON *pods[1] = {pod(0, "master", 1)};
    size_t i;
    result r;

    set_spec(o, "14", 3);
    for (i = 0; i < sizeof days / sizeof days[0]; i++) {
        const char *ready;

        eval_on(&r, o, s, pods, 1, 1, 1, "Running", days[i].today);
        ready = r.conds.cond[CTRL_READY].message;
        ASSERT_STR(r.conds.cond[CTRL_READY].reason, "PrimaryReady");
        if (days[i].warned) {
            ready_says(&r,
                       "; postgresql 14 reached its end of life on 2026-11-12 "
                       "(https://www.postgresql.org/support/versioning/)",
                       __LINE__);
            ASSERT_EQ(r.note.end_of_life, 1);
            ASSERT_STR(kjson_path_str(r.fields, "versionCheck", "support", NULL), "EndOfLife");
        } else {
            ASSERT(strstr(ready, "end of life") == NULL);
            ASSERT_EQ(r.note.end_of_life, 0);
            ASSERT_STR(kjson_path_str(r.fields, "versionCheck", "support", NULL), "Supported");
            ASSERT_STR(kjson_path_str(r.fields, "versionCheck", "message", NULL),
                       "postgresql 14 is supported until 2026-11-12");
        }
        ASSERT_STR(kjson_path_str(r.fields, "versionCheck", "major", NULL), "14");
        ASSERT_STR(kjson_path_str(r.fields, "versionCheck", "endOfLife", NULL), "2026-11-12");
        ASSERT_STR(kjson_path_str(r.fields, "versionCheck", "source", NULL),
                   "https://www.postgresql.org/support/versioning/");
        cJSON_Delete(r.fields);
    }
    cJSON_Delete(pods[0]);
    cJSON_Delete(s);
    cJSON_Delete(o);
}
