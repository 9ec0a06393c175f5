#include "kops/kops.h"
#include "test.h"


static void
json_is(const cJSON *o, const char *want)
{
    char *s = cJSON_PrintUnformatted(o);

    ASSERT_STR(s, want);
    cJSON_free(s);
}


TEST(kops_controller_reference_replaces_the_old_controller)
{
    cJSON *owner = cJSON_Parse("{\"metadata\":{\"name\":\"orders\",\"uid\":\"u-1\"}}");
    cJSON *child = cJSON_Parse("{\"metadata\":{\"name\":\"orders-svc\",\"ownerReferences\":["
                               "{\"uid\":\"keep\"},{\"uid\":\"old\",\"controller\":true}]}}");

    ASSERT_EQ(kops_set_controller(child, owner, "dbaas.dev/v1alpha1", "DBInstance"), CORE_OK);
    json_is(child,
            "{\"metadata\":{\"name\":\"orders-svc\",\"ownerReferences\":[{\"uid\":\"keep\"},"
            "{\"apiVersion\":\"dbaas.dev/v1alpha1\",\"kind\":\"DBInstance\",\"name\":\"orders\","
            "\"uid\":\"u-1\",\"controller\":true,\"blockOwnerDeletion\":true}]}}");
    cJSON_Delete(child);
    child = cJSON_CreateObject();
    ASSERT_EQ(kops_set_controller(child, owner, "v1", "X"), CORE_OK);
    ASSERT_EQ(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(child, "metadata"),
                                                     "ownerReferences")),
              1);
    cJSON_Delete(child);
    cJSON_Delete(owner);
    owner = cJSON_Parse("{\"metadata\":{\"name\":\"no-uid\"}}");
    child = cJSON_CreateObject();
    ASSERT_EQ(kops_set_controller(child, owner, "v1", "X"), CORE_EINVAL);
    cJSON_Delete(child);
    cJSON_Delete(owner);
}


TEST(kops_finalizer_patch_adds_removes_with_precondition)
{
    cJSON *o = cJSON_Parse("{\"metadata\":{\"resourceVersion\":\"42\",\"finalizers\":[\"other\"]}}");
    cJSON *p;

    ASSERT(!kops_has_finalizer(o, "dbaas.dev/cleanup"));
    p = kops_finalizer_patch(o, "dbaas.dev/cleanup", 1);
    json_is(p,
            "{\"metadata\":{\"finalizers\":[\"other\",\"dbaas.dev/cleanup\"],\"resourceVersion\":\"42\"}}");
    cJSON_Delete(p);
    cJSON_Delete(o);
    o = cJSON_Parse(
        "{\"metadata\":{\"resourceVersion\":\"43\",\"finalizers\":[\"dbaas.dev/cleanup\",\"other\"]}}");
    ASSERT(kops_has_finalizer(o, "dbaas.dev/cleanup"));
    p = kops_finalizer_patch(o, "dbaas.dev/cleanup", 0);
    json_is(p, "{\"metadata\":{\"finalizers\":[\"other\"],\"resourceVersion\":\"43\"}}");
    cJSON_Delete(p);
    /* Adding twice keeps one. */
    p = kops_finalizer_patch(o, "dbaas.dev/cleanup", 1);
    json_is(p,
            "{\"metadata\":{\"finalizers\":[\"other\",\"dbaas.dev/cleanup\"],\"resourceVersion\":\"43\"}}");
    cJSON_Delete(p);
    cJSON_Delete(o);
}


TEST(kops_is_applied_ignores_server_fields_but_not_changes)
{
    cJSON *want = cJSON_Parse("{\"spec\":{\"replicas\":1,\"ports\":[{\"name\":\"pg\",\"port\":5432}],"
                              "\"labels\":{\"a\":\"b\"},\"flag\":true}}");
    cJSON *live = cJSON_Parse("{\"metadata\":{\"uid\":\"u\"},\"spec\":{\"replicas\":1.0,\"ports\":"
                              "[{\"name\":\"pg\",\"port\":5432,\"protocol\":\"TCP\"}],"
                              "\"labels\":{\"a\":\"b\",\"x\":\"y\"},\"flag\":true},\"status\":{}}");
    cJSON *changed = cJSON_Parse("{\"spec\":{\"replicas\":1,\"ports\":[{\"name\":\"pg\",\"port\":5433}],"
                                 "\"labels\":{\"a\":\"b\"},\"flag\":true}}");
    cJSON *extra =
        cJSON_Parse("{\"spec\":{\"ports\":[{\"name\":\"pg\",\"port\":5432},{\"name\":\"x\"}]}}");

    ASSERT(kops_is_applied(want, live));
    ASSERT(!kops_is_applied(changed, live));
    ASSERT(!kops_is_applied(extra, live)); /* a list element more is a change */
    ASSERT(!kops_is_applied(want, NULL));
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(live, "spec"), "flag", cJSON_CreateFalse());
    ASSERT(!kops_is_applied(want, live));
    cJSON_Delete(want);
    cJSON_Delete(live);
    cJSON_Delete(changed);
    cJSON_Delete(extra);
}


TEST(kops_is_applied_matches_named_lists_by_name)
{
    cJSON *want = cJSON_Parse("{\"env\":[{\"name\":\"A\",\"value\":\"1\"},"
                              "{\"name\":\"B\",\"value\":\"2\"}],\"args\":[\"-c\",\"x\"]}");
    /* A webhook added env C and the server keeps the list in another order. */
    cJSON *live = cJSON_Parse("{\"env\":[{\"name\":\"C\",\"value\":\"3\"},"
                              "{\"name\":\"B\",\"value\":\"2\"},{\"name\":\"A\",\"value\":\"1\"}],"
                              "\"args\":[\"-c\",\"x\"]}");
    cJSON *missing = cJSON_Parse("{\"env\":[{\"name\":\"C\",\"value\":\"3\"},"
                                 "{\"name\":\"A\",\"value\":\"1\"}],\"args\":[\"-c\",\"x\"]}");
    cJSON *changed = cJSON_Parse("{\"env\":[{\"name\":\"B\",\"value\":\"9\"},"
                                 "{\"name\":\"A\",\"value\":\"1\"}],\"args\":[\"-c\",\"x\"]}");
    cJSON *longer = cJSON_Parse("{\"env\":[{\"name\":\"A\",\"value\":\"1\"},"
                                "{\"name\":\"B\",\"value\":\"2\"}],\"args\":[\"-c\",\"x\",\"y\"]}");
    cJSON *dup =
        cJSON_Parse("{\"env\":[{\"name\":\"A\",\"value\":\"1\"},{\"name\":\"A\",\"value\":\"1\"}]}");

    ASSERT(kops_is_applied(want, live));
    ASSERT(!kops_is_applied(want, missing)); /* B is gone from live */
    ASSERT(!kops_is_applied(want, changed));
    ASSERT(!kops_is_applied(longer, live)); /* unkeyed lists keep their length and order */
    ASSERT(!kops_is_applied(dup, live));    /* duplicate names: compared by position */
    cJSON_Delete(want);
    cJSON_Delete(live);
    cJSON_Delete(missing);
    cJSON_Delete(changed);
    cJSON_Delete(longer);
    cJSON_Delete(dup);
}


/* A create refused because the namespace is being deleted: the Status the API server's
 * NamespaceLifecycle admission answers (as kube-apiserver v1.37.2 sent it to kubectl). An
 * RBAC 403, another cause, another status or no body is not that. */
TEST(kops_ns_terminating_reads_the_status_cause)
{
    cJSON *term = cJSON_Parse(
        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
        "\"message\":\"secrets \\\"y\\\" is forbidden: unable to create new content in namespace "
        "term because it is being terminated\",\"reason\":\"Forbidden\",\"details\":{\"name\":"
        "\"y\",\"kind\":\"secrets\",\"causes\":[{\"reason\":\"NamespaceTerminating\",\"message\":"
        "\"namespace term is being terminated\",\"field\":\"metadata.namespace\"}]},\"code\":403}");
    cJSON *rbac =
        cJSON_Parse("{\"kind\":\"Status\",\"status\":\"Failure\",\"message\":\"secrets is forbidden: User "
                    "\\\"x\\\" cannot create resource \\\"secrets\\\"\",\"reason\":\"Forbidden\","
                    "\"details\":{\"kind\":\"secrets\"},\"code\":403}");
    cJSON *other = cJSON_Parse("{\"details\":{\"causes\":[{\"reason\":\"FieldValueInvalid\"},"
                               "{\"message\":\"no reason\"}]}}");

    ASSERT(term && rbac && other);
    ASSERT_EQ(kops_ns_terminating(&(kops_result){CORE_EHTTP, 403, term, "forbidden"}), 1);
    ASSERT_EQ(kops_ns_terminating(&(kops_result){CORE_EHTTP, 422, term, "invalid"}), 0);
    ASSERT_EQ(kops_ns_terminating(&(kops_result){CORE_ECONN, 403, term, "cut"}), 0);
    ASSERT_EQ(kops_ns_terminating(&(kops_result){CORE_EHTTP, 403, rbac, "forbidden"}), 0);
    ASSERT_EQ(kops_ns_terminating(&(kops_result){CORE_EHTTP, 403, other, "forbidden"}), 0);
    ASSERT_EQ(kops_ns_terminating(&(kops_result){CORE_EHTTP, 403, NULL, "forbidden"}), 0);
    ASSERT_EQ(kops_ns_terminating(NULL), 0);
    cJSON_Delete(term);
    cJSON_Delete(rbac);
    cJSON_Delete(other);
}
