#include <string.h>

#include "core/core.h"
#include "kjson/kjson.h"
#include "snap/snap.h"
#include "test.h"


static cJSON *
vs(const char *status)
{
    char text[1024];

    snprintf(text, sizeof text, "{\"metadata\":{\"name\":\"before\"}%s%s}",
             status ? ",\"status\":" : "", status ? status : "");
    return cJSON_Parse(text);
}


TEST(snap_status_in_progress_then_ready)
{
    cJSON       *v = vs("{\"readyToUse\":false}"), *f;
    snap_verdict out;

    snap_status_eval(v, &out);
    ASSERT(!out.ready && out.progressing && !out.degraded);
    ASSERT_STR(out.reason, "SnapshotInProgress");
    ASSERT(strstr(out.message, "before") != NULL);
    cJSON_Delete(v);

    v = vs("{\"readyToUse\":true,\"restoreSize\":\"2Gi\",\"creationTime\":\"2026-11-30T18:00:00Z\"}");
    snap_status_eval(v, &out);
    ASSERT(out.ready && !out.progressing && !out.degraded);
    ASSERT_STR(out.reason, "SnapshotReady");
    ASSERT(strstr(out.message, "2Gi") != NULL);
    f = snap_status_fields("before", v, NULL);
    ASSERT(cJSON_IsTrue(cJSON_GetObjectItem(f, "readyToUse")));
    ASSERT_STR(kjson_get_str(f, "restoreSize"), "2Gi");
    ASSERT_STR(kjson_get_str(f, "creationTime"), "2026-11-30T18:00:00Z");
    ASSERT_STR(kjson_get_str(f, "volumeSnapshotName"), "before");
    ASSERT(kjson_get_str(f, "error") == NULL);
    cJSON_Delete(f);
    cJSON_Delete(v);
}


TEST(snap_status_driver_error_and_missing_class)
{
    cJSON *v = vs("{\"readyToUse\":false,\"error\":{\"message\":\"rpc error: disk on fire\"}}"), *f;
    snap_verdict out;

    snap_status_eval(v, &out);
    ASSERT(!out.ready && !out.progressing && out.degraded);
    ASSERT_STR(out.reason, "SnapshotFailed");
    ASSERT(strstr(out.message, "disk on fire") != NULL);
    f = snap_status_fields("before", v, NULL);
    ASSERT_STR(kjson_get_str(f, "error"), "rpc error: disk on fire");
    cJSON_Delete(f);
    cJSON_Delete(v);

    v = vs("{\"error\":{\"message\":\"Failed to set default snapshot class with error cannot find "
           "default snapshot class\"}}");
    snap_status_eval(v, &out);
    ASSERT_STR(out.reason, "NoSnapshotClass");
    cJSON_Delete(v);

    /* The same wrapper around another cause is not a missing class. */
    v = vs("{\"error\":{\"message\":\"Failed to set default snapshot class with error "
           "snapshotting non-CSI volumes is not supported\"}}");
    snap_status_eval(v, &out);
    ASSERT_STR(out.reason, "SnapshotFailed");
    cJSON_Delete(v);
}


TEST(snap_spec_defaults_and_refusals)
{
    cJSON *o =
        cJSON_Parse("{\"metadata\":{\"name\":\"s\",\"namespace\":\"n\"},"
                    "\"spec\":{\"instanceName\":\"orders\",\"volumeSnapshotClassName\":\"\"}}");
    snap_spec s;
    char      err[256];

    ASSERT_EQ(snap_spec_parse(o, &s, err, sizeof err), CORE_OK);
    ASSERT_STR(s.instance, "orders");
    ASSERT(s.klass == NULL && !s.retain);
    cJSON_Delete(o);
    o = cJSON_Parse("{\"metadata\":{\"name\":\"s\",\"namespace\":\"n\"},"
                    "\"spec\":{\"instanceName\":\"orders-\"}}");
    ASSERT_EQ(snap_spec_parse(o, &s, err, sizeof err), CORE_EINVAL);
    ASSERT_CONTAINS(err, "spec.instanceName");
    cJSON_Delete(o);
}


TEST(snap_source_needs_uid_engine_version)
{
    cJSON      *o = cJSON_Parse("{\"metadata\":{\"uid\":\"u\"},\"spec\":{\"engine\":\"mysql\"}}");
    snap_source s;
    char        buf[8];

    ASSERT_EQ(snap_source_read(o, &s), CORE_EINVAL);
    cJSON_Delete(o);
    ASSERT_EQ(snap_claim_name("orders-with-a-long-name", buf, sizeof buf), CORE_ETOOBIG);
}
