#include "core/core.h"
#include "dbi/dbi.h"
#include "dbi/dbi_status.h"
#include "kjson/kjson.h"
#include "test.h"


static cJSON *
dbi_obj(const char *status)
{
    char text[2048];

    snprintf(text, sizeof text,
             "{\"apiVersion\":\"dbaas.dev/v1alpha1\",\"kind\":\"DBInstance\","
             "\"metadata\":{\"name\":\"orders\",\"namespace\":\"team-a\",\"uid\":\"u1\",\"generation\":3},"
             "\"spec\":{\"engine\":\"postgresql\",\"version\":\"16\",\"database\":\"orders\","
             "\"storage\":{\"size\":\"2Gi\"}}%s%s}",
             status ? ",\"status\":" : "", status ? status : "");
    return cJSON_Parse(text);
}


static cJSON *
sts(int ready, const char *cur, const char *upd)
{
    char text[512];

    snprintf(text, sizeof text,
             "{\"metadata\":{\"generation\":2},\"status\":{\"observedGeneration\":2,"
             "\"readyReplicas\":%d,\"currentRevision\":\"%s\",\"updateRevision\":\"%s\"}}",
             ready, cur, upd);
    return cJSON_Parse(text);
}


static const char *
cond(const cJSON *st, const char *type, const char *field)
{
    return kjson_get_str(ctrl_condition_find(st, type), field);
}


static cJSON *
build(cJSON *obj, int valid, const char *reason, const cJSON *s, const cJSON *pvc, const char *now)
{
    dbi_spec      spec;
    dbi_status_in in;
    char          err[256];

    memset(&in, 0, sizeof in);
    ASSERT_EQ(dbi_spec_parse(obj, &spec, err, sizeof err), CORE_OK);
    in.dbi = obj;
    in.spec = valid ? &spec : NULL;
    in.reason = reason;
    in.message = reason ? "spec.version: bad" : NULL;
    in.sts = s;
    in.pvc = pvc;
    in.now = now;
    in.svc_ours = in.secret_ours = 1;
    return dbi_status_build(&in);
}


TEST(dbi_status_provisioning_then_ready)
{
    cJSON *obj = dbi_obj(NULL), *st, *s = sts(1, "r1", "r1");
    cJSON *pvc = cJSON_Parse("{\"status\":{\"capacity\":{\"storage\":\"2Gi\"}}}");

    st = build(obj, 1, NULL, NULL, NULL, "T1");
    ASSERT_STR(kjson_get_str(st, "phase"), "Provisioning");
    ASSERT_STR(cond(st, "Ready", "status"), "False");
    ASSERT_STR(cond(st, "Ready", "reason"), "Provisioning");
    ASSERT_STR(cond(st, "Progressing", "status"), "True");
    ASSERT(kjson_get_str(st, "currentVersion") == NULL);
    ASSERT_STR(kjson_get_str(st, "endpoint"), "orders.team-a.svc.cluster.local:5432");
    ASSERT_STR(kjson_get_str(st, "connectionSecret"), "orders-credentials");
    cJSON_Delete(st);

    st = build(obj, 1, NULL, s, pvc, "T2");
    ASSERT_STR(kjson_get_str(st, "phase"), "Ready");
    ASSERT_STR(cond(st, "Ready", "status"), "True");
    ASSERT_STR(cond(st, "Ready", "reason"), "DatabaseReady");
    ASSERT_STR(cond(st, "Progressing", "status"), "False");
    ASSERT_STR(cond(st, "Degraded", "status"), "False");
    ASSERT_STR(kjson_get_str(st, "currentVersion"), "16");
    ASSERT_STR(kjson_get_str(st, "storageSize"), "2Gi");
    ASSERT_EQ(cJSON_GetObjectItem(st, "observedGeneration")->valuedouble, 3);
    ASSERT_EQ(cJSON_GetObjectItem(ctrl_condition_find(st, "Ready"), "observedGeneration")->valuedouble,
              3);
    cJSON_Delete(st);
    cJSON_Delete(obj);
    cJSON_Delete(s);
    cJSON_Delete(pvc);
}


TEST(dbi_status_keeps_transition_time_while_status_holds)
{
    cJSON *s = sts(1, "r1", "r1"), *first, *obj, *second;
    char  *text;

    obj = dbi_obj(NULL);
    first = build(obj, 1, NULL, s, NULL, "T1");
    cJSON_Delete(obj);
    text = cJSON_PrintUnformatted(first);
    obj = dbi_obj(text);
    cJSON_free(text);
    second = build(obj, 1, NULL, s, NULL, "T2");
    ASSERT_STR(cond(second, "Ready", "lastTransitionTime"), "T1");
    ASSERT(cJSON_Compare(first, second, 1)); /* unchanged: nothing to write */
    cJSON_Delete(second);
    /* A refused spec while the pod serves: Ready holds (and keeps its time), Degraded flips. */
    second = build(obj, 1, "InvalidSpec", s, NULL, "T3");
    ASSERT_STR(cond(second, "Ready", "lastTransitionTime"), "T1");
    ASSERT_STR(cond(second, "Ready", "status"), "True");
    ASSERT_STR(cond(second, "Ready", "reason"), "DatabaseReady");
    ASSERT_STR(cond(second, "Degraded", "status"), "True");
    ASSERT_STR(cond(second, "Degraded", "reason"), "InvalidSpec");
    ASSERT_STR(cond(second, "Degraded", "message"), "spec.version: bad");
    ASSERT_STR(cond(second, "Degraded", "lastTransitionTime"), "T3");
    ASSERT_STR(cond(second, "Stalled", "status"), "True");
    ASSERT(strcmp(kjson_get_str(second, "phase"), "Failed") != 0);
    ASSERT_STR(kjson_get_str(second, "currentVersion"), "16"); /* what runs is still known */
    cJSON_Delete(second);
    cJSON_Delete(first);
    cJSON_Delete(obj);
    cJSON_Delete(s);
}


TEST(dbi_status_rolling_and_resizing_are_updating)
{
    cJSON *obj = dbi_obj("{\"currentVersion\":\"16.1\"}"), *st;
    cJSON *rolling = sts(1, "r1", "r2"), *down = sts(0, "r1", "r2"), *done = sts(1, "r2", "r2");
    cJSON *small = cJSON_Parse("{\"status\":{\"capacity\":{\"storage\":\"1Gi\"}}}");

    st = build(obj, 1, NULL, rolling, NULL, "T");
    ASSERT_STR(kjson_get_str(st, "phase"), "Updating");
    ASSERT_STR(cond(st, "Progressing", "reason"), "RollingUpdate");
    ASSERT_STR(cond(st, "Ready", "status"), "True");
    ASSERT_STR(kjson_get_str(st, "currentVersion"), "16.1"); /* not yet the new one */
    cJSON_Delete(st);
    st = build(obj, 1, NULL, down, NULL, "T");
    ASSERT_STR(cond(st, "Ready", "reason"), "PodNotReady");
    cJSON_Delete(st);
    st = build(obj, 1, NULL, done, small, "T");
    ASSERT_STR(kjson_get_str(st, "phase"), "Updating");
    ASSERT_STR(cond(st, "Progressing", "reason"), "Resizing");
    ASSERT_CONTAINS(cond(st, "Progressing", "message"), "from 1Gi to 2Gi");
    ASSERT_STR(kjson_get_str(st, "currentVersion"), "16");
    cJSON_Delete(st);
    cJSON_Delete(obj);
    cJSON_Delete(rolling);
    cJSON_Delete(down);
    cJSON_Delete(done);
    cJSON_Delete(small);
}


TEST(dbi_status_names_only_children_that_are_ours)
{
    cJSON        *obj = dbi_obj(NULL), *st;
    dbi_spec      spec;
    dbi_status_in in;
    char          err[256];

    memset(&in, 0, sizeof in);
    ASSERT_EQ(dbi_spec_parse(obj, &spec, err, sizeof err), CORE_OK);
    in.dbi = obj;
    in.spec = &spec;
    in.now = "T";
    /* Another's Service and Secret of those names (ChildConflict): neither is named. */
    st = dbi_status_build(&in);
    ASSERT(kjson_get_str(st, "endpoint") == NULL);
    ASSERT(kjson_get_str(st, "connectionSecret") == NULL);
    cJSON_Delete(st);
    in.secret_ours = 1;
    st = dbi_status_build(&in);
    ASSERT(kjson_get_str(st, "endpoint") == NULL);
    ASSERT_STR(kjson_get_str(st, "connectionSecret"), "orders-credentials");
    cJSON_Delete(st);
    cJSON_Delete(obj);
}
