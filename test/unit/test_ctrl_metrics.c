#include "core/core.h"
#include "ctrl/ctrl_metrics.h"
#include "test.h"

#include <cjson/cJSON.h>
#include <string.h>


static cJSON *
parse(const char *json)
{
    cJSON *o = cJSON_Parse(json);

    ASSERT(o != NULL);
    return o;
}


TEST(ctrl_metrics_values_of_a_dbinstance)
{
    cJSON              *obj = parse("{\"spec\":{\"engine\":\"postgresql\",\"version\":\"16\","
                                                 "\"storage\":{\"size\":\"10Gi\"}}}");
    cJSON              *st = parse("{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],"
                                                "\"currentVersion\":\"16.4\",\"storageSize\":\"20Gi\",\"readyReplicas\":1,"
                                                "\"lastBackup\":\"2026-11-30T03:00:00Z\"}");
    ctrl_metrics_values v;

    ctrl_metrics_values_of(obj, st, "ignored", &v);
    ASSERT_STR(v.engine, "postgresql");
    ASSERT_STR(v.version, "16.4");
    ASSERT_EQ(v.ready, 1);
    ASSERT(v.has_requested && v.requested_bytes == 10737418240.0);
    ASSERT(v.has_storage && v.storage_bytes == 21474836480.0);
    ASSERT(!v.has_replicas);
    ASSERT(v.has_ready_replicas && v.ready_replicas == 1);
    ASSERT(v.has_snapshot && v.snapshot_time == 1796007600.0);
    cJSON_Delete(obj);
    cJSON_Delete(st);
}


/* A stopped DBInstance asks for no replicas: the alert on Ready leaves it out by that. */
TEST(ctrl_metrics_values_of_a_stopped_dbinstance)
{
    cJSON              *obj = parse("{\"spec\":{\"engine\":\"mysql\",\"version\":\"8.4\","
                                                 "\"stopped\":true}}");
    cJSON              *st = parse("{\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\","
                                                "\"reason\":\"Stopped\"}]}");
    ctrl_metrics_values v;

    ctrl_metrics_values_of(obj, st, NULL, &v);
    ASSERT_EQ(v.ready, 0);
    ASSERT(v.has_replicas && v.replicas == 0);
    cJSON_Delete(obj);
    obj = parse("{\"spec\":{\"engine\":\"mysql\",\"stopped\":false}}");
    ctrl_metrics_values_of(obj, st, NULL, &v);
    ASSERT(!v.has_replicas);
    cJSON_Delete(obj);
    cJSON_Delete(st);
}


TEST(ctrl_metrics_values_of_a_hacluster_and_bad_fields)
{
    cJSON              *obj = parse("{\"spec\":{\"version\":\"17\",\"replicas\":3,"
                                                 "\"storage\":{\"size\":\"lots\"}}}");
    cJSON              *st = parse("{\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"}],"
                                                "\"readyReplicas\":2,\"lastBackup\":\"yesterday\"}");
    ctrl_metrics_values v;

    ctrl_metrics_values_of(obj, st, "postgresql", &v);
    ASSERT_STR(v.engine, "postgresql");
    ASSERT_STR(v.version, "17");
    ASSERT_EQ(v.ready, 0);
    ASSERT(!v.has_requested && !v.has_storage && !v.has_snapshot);
    ASSERT(v.has_replicas && v.replicas == 3);
    ASSERT(v.has_ready_replicas && v.ready_replicas == 2);
    /* No status at all: not ready, nothing else, no crash. */
    ctrl_metrics_values_of(obj, NULL, NULL, &v);
    ASSERT_EQ(v.ready, 0);
    ASSERT_STR(v.engine, "");
    cJSON_Delete(obj);
    cJSON_Delete(st);
}


TEST(ctrl_metrics_snapshot_time_only_when_ready_to_use)
{
    cJSON *obj = parse("{\"spec\":{\"instanceName\":\"db\"}}");
    cJSON *taking = parse("{\"readyToUse\":false,\"creationTime\":\"2026-11-30T03:00:00Z\","
                          "\"restoreSize\":\"1Gi\"}");
    cJSON *done = parse("{\"readyToUse\":true,\"creationTime\":\"2026-11-30T03:00:00Z\"}");
    ctrl_metrics_values v;

    ctrl_metrics_values_of(obj, taking, NULL, &v);
    ASSERT(!v.has_snapshot);
    ASSERT(v.has_storage && v.storage_bytes == 1073741824.0);
    ctrl_metrics_values_of(obj, done, NULL, &v);
    ASSERT(v.has_snapshot && v.snapshot_time == 1796007600.0);
    cJSON_Delete(obj);
    cJSON_Delete(taking);
    cJSON_Delete(done);
}


static char *
render(metrics_registry *r)
{
    core_buf out;

    core_buf_init(&out, 1 << 20);
    ASSERT_EQ(metrics_render(r, &out), CORE_OK);
    return core_buf_take(&out);
}


TEST(ctrl_metrics_series_follow_the_object_and_go_with_it)
{
    metrics_registry   *r = NULL;
    ctrl_metrics        m, again;
    ctrl_metrics_values v;
    char               *text;

    ASSERT_EQ(metrics_registry_new(&r), CORE_OK);
    ASSERT_EQ(ctrl_metrics_families(r, &m), CORE_OK);
    ASSERT_EQ(ctrl_metrics_families(r, &again), CORE_OK); /* a second kind shares them */
    ASSERT(again.info == m.info && again.snapshot == m.snapshot);
    ASSERT_EQ(ctrl_metrics_build_info(r, "1.2.3"), CORE_OK);

    memset(&v, 0, sizeof v);
    v.engine = "postgresql";
    v.version = "16";
    v.ready = 0;
    v.has_requested = 1;
    v.requested_bytes = 1024;
    ctrl_metrics_observe(&m, "DBInstance", "ns", "a", &v);
    ctrl_metrics_observe(&m, "DBInstance", "ns", "b", &v);
    v.version = "17"; /* an upgrade: the old info series goes, not stays beside */
    v.ready = 1;
    v.has_requested = 0;
    ctrl_metrics_observe(&m, "DBInstance", "ns", "a", &v);
    text = render(r);
    ASSERT(strstr(text, "dbaas_build_info{version=\"1.2.3\"} 1\n"));
    ASSERT(strstr(text, "dbaas_object_info{kind=\"DBInstance\",namespace=\"ns\",name=\"a\","
                        "engine=\"postgresql\",version=\"17\"} 1\n"));
    ASSERT(!strstr(text, "name=\"a\",engine=\"postgresql\",version=\"16\""));
    ASSERT(strstr(text, "dbaas_object_ready{kind=\"DBInstance\",namespace=\"ns\",name=\"a\"} 1\n"));
    ASSERT(strstr(text, "dbaas_object_ready{kind=\"DBInstance\",namespace=\"ns\",name=\"b\"} 0\n"));
    ASSERT(!strstr(text, "dbaas_object_storage_requested_bytes{kind=\"DBInstance\","
                         "namespace=\"ns\",name=\"a\"}"));
    ASSERT(strstr(text, "dbaas_object_storage_requested_bytes{kind=\"DBInstance\","
                        "namespace=\"ns\",name=\"b\"} 1024\n"));
    free(text);

    ctrl_metrics_forget(&m, "DBInstance", "ns", "b");
    ctrl_metrics_forget(&m, "DBInstance", "ns", "a");
    text = render(r);
    ASSERT(!strstr(text, "dbaas_object_"));
    ASSERT(strstr(text, "dbaas_build_info"));
    free(text);
    metrics_registry_free(r);
}
