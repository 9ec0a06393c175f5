#include "kres/kres.h"
#include "test.h"


static void
path_is(const kres *r, const char *ns, const char *name, const char *sub, const char *want)
{
    core_buf b;

    core_buf_init(&b, 1024);
    ASSERT_EQ(kres_path(&b, r, ns, name, sub), CORE_OK);
    ASSERT_STR(b.data, want);
    core_buf_free(&b);
}


TEST(kres_paths_for_core_and_named_groups)
{
    path_is(&KRES_CONFIGMAPS, "team-a", NULL, NULL, "/api/v1/namespaces/team-a/configmaps");
    path_is(&KRES_CONFIGMAPS, NULL, NULL, NULL, "/api/v1/configmaps");
    path_is(&KRES_SECRETS, "a", "db-credentials", NULL, "/api/v1/namespaces/a/secrets/db-credentials");
    path_is(&KRES_STATEFULSETS, "a", "db", "status",
            "/apis/apps/v1/namespaces/a/statefulsets/db/status");
    path_is(&KRES_NAMESPACES, "ignored", "kube-system", NULL, "/api/v1/namespaces/kube-system");
    path_is(&KRES_LEASES, "ops", "leader", NULL,
            "/apis/coordination.k8s.io/v1/namespaces/ops/leases/leader");
}


TEST(kres_rejects_subresource_without_name)
{
    core_buf b;

    core_buf_init(&b, 1024);
    ASSERT_EQ(kres_path(&b, &KRES_PODS, "a", NULL, "status"), CORE_EINVAL);
    ASSERT_EQ(kres_path(&b, &KRES_PODS, "a", "", NULL), CORE_EINVAL);
    core_buf_free(&b);
}


TEST(kres_escape_and_api_version)
{
    core_buf b;
    char     v[64];

    core_buf_init(&b, 1024);
    ASSERT_EQ(kres_escape(&b, "app.kubernetes.io/name in (a,b)=x&y"), CORE_OK);
    ASSERT_STR(b.data, "app.kubernetes.io%2Fname%20in%20%28a%2Cb%29%3Dx%26y");
    core_buf_free(&b);
    ASSERT_EQ(kres_api_version(&KRES_PODS, v, sizeof v), CORE_OK);
    ASSERT_STR(v, "v1");
    ASSERT_EQ(kres_api_version(&KRES_STATEFULSETS, v, sizeof v), CORE_OK);
    ASSERT_STR(v, "apps/v1");
    ASSERT_EQ(kres_api_version(&KRES_LEASES, v, 8), CORE_ETOOBIG);
}
