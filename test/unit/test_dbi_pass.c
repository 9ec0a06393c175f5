#include "core/core.h"
#include "dbi/dbi.h"
#include "dbi/dbi_pass.h"
#include "dbi/dbi_status.h"
#include "kjson/kjson.h"
#include "test.h"


static cJSON *
dbi_obj(const char *spec_extra)
{
    char text[2048];

    snprintf(text, sizeof text,
             "{\"apiVersion\":\"dbaas.dev/v1alpha1\",\"kind\":\"DBInstance\","
             "\"metadata\":{\"name\":\"orders\",\"namespace\":\"team-a\",\"uid\":\"u1\",\"generation\":3},"
             "\"spec\":{\"engine\":\"postgresql\",\"version\":\"16\",\"database\":\"orders\"%s}}",
             spec_extra);
    return cJSON_Parse(text);
}


static const char *
cond(const cJSON *st, const char *type, const char *field)
{
    return kjson_get_str(ctrl_condition_find(st, type), field);
}


/* The status of obj with the StatefulSet sts and the client Service svc (either may be NULL). */
static cJSON *
status_of(const cJSON *obj, const char *sts, const char *svc)
{
    dbi_spec      spec;
    dbi_status_in in;
    char          err[256];
    cJSON        *s = sts ? cJSON_Parse(sts) : NULL, *v = svc ? cJSON_Parse(svc) : NULL, *st;

    memset(&in, 0, sizeof in);
    ASSERT_EQ(dbi_spec_parse(obj, &spec, err, sizeof err), CORE_OK);
    in.dbi = obj;
    in.spec = &spec;
    in.sts = s;
    in.svc = v;
    in.now = "T1";
    st = dbi_status_build(&in);
    cJSON_Delete(s);
    cJSON_Delete(v);
    return st;
}


TEST(dbi_pass_excluded_keys)
{
    ASSERT(dbi_pass_excluded("kubectl.kubernetes.io/last-applied-configuration"));
    ASSERT(dbi_pass_excluded("argocd.argoproj.io/tracking-id"));
    ASSERT(dbi_pass_excluded("app.kubernetes.io/instance"));
    ASSERT(dbi_pass_excluded("app.kubernetes.io/managed-by"));
    ASSERT(dbi_pass_excluded("dbaas.dev/applied-checksum"));
    ASSERT(!dbi_pass_excluded("team"));
    ASSERT(!dbi_pass_excluded("app.kubernetes.io/part-of"));
    ASSERT(!dbi_pass_excluded("example.com/dbaas.dev/x"));
}


TEST(dbi_status_stopped_is_ready_false_stopped)
{
    cJSON *obj = dbi_obj(",\"stopped\":true"), *st;

    /* Pods still running: stopping. */
    st = status_of(obj,
                   "{\"metadata\":{\"generation\":2},\"spec\":{\"replicas\":0},\"status\":"
                   "{\"observedGeneration\":2,\"replicas\":1,\"readyReplicas\":1}}",
                   NULL);
    ASSERT_STR(kjson_get_str(st, "phase"), "Stopped");
    ASSERT_STR(cond(st, "Ready", "status"), "False");
    ASSERT_STR(cond(st, "Ready", "reason"), "Stopped");
    ASSERT_STR(cond(st, "Progressing", "reason"), "Stopping");
    ASSERT_STR(cond(st, "Progressing", "status"), "True");
    cJSON_Delete(st);
    /* No pod left. */
    st = status_of(obj,
                   "{\"metadata\":{\"generation\":2},\"spec\":{\"replicas\":0},\"status\":"
                   "{\"observedGeneration\":2,\"replicas\":0}}",
                   NULL);
    ASSERT_STR(kjson_get_str(st, "phase"), "Stopped");
    ASSERT_STR(cond(st, "Ready", "reason"), "Stopped");
    ASSERT_STR(cond(st, "Progressing", "status"), "False");
    ASSERT_STR(cond(st, "Stalled", "status"), "False");
    cJSON_Delete(st);
    cJSON_Delete(obj);
}


TEST(dbi_status_external_endpoint)
{
    cJSON *obj = dbi_obj(",\"service\":{\"type\":\"NodePort\"}"), *st;
    char   buf[64];

    st = status_of(obj, NULL,
                   "{\"spec\":{\"type\":\"NodePort\",\"ports\":[{\"port\":5432,\"nodePort\":30123}]}}");
    ASSERT_STR(kjson_get_str(st, "externalEndpoint"), ":30123");
    cJSON_Delete(st);
    st = status_of(obj, NULL, "{\"spec\":{\"type\":\"ClusterIP\",\"ports\":[{\"port\":5432}]}}");
    ASSERT(kjson_get_str(st, "externalEndpoint") == NULL);
    cJSON_Delete(st);
    cJSON_Delete(obj);

    obj = cJSON_Parse(
        "{\"spec\":{\"type\":\"LoadBalancer\",\"ports\":[{\"port\":3306,\"nodePort\":31000}]}}");
    ASSERT_EQ(dbi_external_endpoint(obj, buf, sizeof buf), CORE_ENOENT); /* no ingress yet */
    cJSON_AddItemToObject(
        obj, "status",
        cJSON_Parse("{\"loadBalancer\":{\"ingress\":[{\"hostname\":\"db.example.com\"}]}}"));
    ASSERT_EQ(dbi_external_endpoint(obj, buf, sizeof buf), CORE_OK);
    ASSERT_STR(buf, "db.example.com:3306");
    cJSON_ReplaceItemInObject(
        obj, "status", cJSON_Parse("{\"loadBalancer\":{\"ingress\":[{\"ip\":\"2001:db8::7\"}]}}"));
    ASSERT_EQ(dbi_external_endpoint(obj, buf, sizeof buf), CORE_OK);
    ASSERT_STR(buf, "[2001:db8::7]:3306");
    ASSERT_EQ(dbi_external_endpoint(obj, buf, 6), CORE_ETOOBIG);
    cJSON_Delete(obj);
}
