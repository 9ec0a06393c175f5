#include "core/core.h"
#include "dbi/dbi_volume.h"
#include "kjson/kjson.h"
#include "test.h"

static const char *PV =
    "{\"metadata\":{\"name\":\"pv-1\",\"resourceVersion\":\"7\"},"
    "\"spec\":{\"persistentVolumeReclaimPolicy\":\"Delete\","
    "\"claimRef\":{\"namespace\":\"team\",\"name\":\"data-orders-0\","
    "\"uid\":\"c-1\"}}}";
static const char *CLAIM =
    "{\"metadata\":{\"name\":\"data-orders-0\",\"uid\":\"c-1\","
    "\"annotations\":{\"dbaas.dev/engine\":\"postgresql\","
    "\"dbaas.dev/initialized\":\"true\",\"other.io/x\":\"y\"}},"
    "\"spec\":{\"volumeName\":\"pv-1\"},\"status\":{\"phase\":\"Bound\"}}";
static const char *DBI =
    "{\"metadata\":{\"name\":\"orders\",\"namespace\":\"team\",\"uid\":\"u-1\"},"
    "\"spec\":{\"engine\":\"postgresql\",\"version\":\"16\","
    "\"database\":\"orders\",\"username\":\"app\"},"
    "\"status\":{\"currentVersion\":\"16.4\"}}";


static const char *
ann(const cJSON *patch, const char *key)
{
    return kjson_path_str(patch, "metadata", "annotations", key, NULL);
}


TEST(dbi_volume_retain_sets_retain_and_records_what_it_holds)
{
    cJSON *pv = cJSON_Parse(PV), *claim = cJSON_Parse(CLAIM), *dbi = cJSON_Parse(DBI);
    cJSON *patch = NULL, *again = NULL;

    ASSERT(dbi_volume_bound_to(pv, claim));
    ASSERT_EQ(dbi_volume_retain_patch(pv, claim, dbi, &patch), CORE_OK);
    ASSERT(patch);
    ASSERT_STR(kjson_path_str(patch, "spec", "persistentVolumeReclaimPolicy", NULL), "Retain");
    ASSERT_STR(kjson_path_str(patch, "metadata", "resourceVersion", NULL), "7");
    ASSERT_STR(ann(patch, DBI_PV_ORIGINAL_POLICY), "Delete");
    ASSERT_STR(ann(patch, DBI_PV_NAMESPACE), "team");
    ASSERT_STR(ann(patch, DBI_PV_NAME), "orders");
    ASSERT_STR(ann(patch, DBI_PV_VERSION), "16.4"); /* what runs, not what is asked */
    ASSERT_STR(ann(patch, DBI_PV_DATABASE), "orders");
    ASSERT_STR(ann(patch, DBI_PV_USERNAME), "app");
    ASSERT_STR(ann(patch, DBI_PV_UID), "u-1");
    ASSERT_STR(ann(patch, "dbaas.dev/initialized"), "true"); /* the claim's, copied */
    ASSERT(!ann(patch, "other.io/x"));

    /* Applied, nothing more to do: no write on the next run. */
    cJSON_ReplaceItemInObjectCaseSensitive(
        pv, "metadata", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(patch, "metadata"), 1));
    cJSON_ReplaceItemInObjectCaseSensitive(kjson_path(pv, "spec", NULL),
                                           "persistentVolumeReclaimPolicy",
                                           cJSON_CreateString("Retain"));
    ASSERT_EQ(dbi_volume_retain_patch(pv, claim, dbi, &again), CORE_OK);
    ASSERT(!again);
    cJSON_Delete(patch);
    cJSON_Delete(pv);
    cJSON_Delete(claim);
    cJSON_Delete(dbi);
}


TEST(dbi_volume_retain_leaves_a_retain_pv_without_a_record_of_delete)
{
    cJSON *pv = cJSON_Parse(PV), *claim = cJSON_Parse(CLAIM), *dbi = cJSON_Parse(DBI);
    cJSON *patch = NULL;

    cJSON_ReplaceItemInObjectCaseSensitive(kjson_path(pv, "spec", NULL),
                                           "persistentVolumeReclaimPolicy",
                                           cJSON_CreateString("Retain"));
    ASSERT_EQ(dbi_volume_retain_patch(pv, claim, dbi, &patch), CORE_OK);
    ASSERT(patch);
    ASSERT(!kjson_path(patch, "spec", NULL));
    ASSERT(!ann(patch, DBI_PV_ORIGINAL_POLICY)); /* so it is never set to Delete by us */
    ASSERT_STR(ann(patch, DBI_PV_NAME), "orders");
    cJSON_Delete(patch);
    cJSON_Delete(pv);
    cJSON_Delete(claim);
    cJSON_Delete(dbi);
}


TEST(dbi_volume_restore_gives_back_only_what_we_changed)
{
    cJSON *pv = cJSON_Parse("{\"metadata\":{\"resourceVersion\":\"9\",\"annotations\":"
                            "{\"dbaas.dev/original-reclaim-policy\":\"Delete\"}},"
                            "\"spec\":{\"persistentVolumeReclaimPolicy\":\"Retain\"}}");
    cJSON *plain = cJSON_Parse("{\"spec\":{\"persistentVolumeReclaimPolicy\":\"Retain\"}}");
    cJSON *claim = cJSON_Parse(CLAIM);
    cJSON *patch = NULL;

    ASSERT_EQ(dbi_volume_restore_patch(pv, &patch), CORE_OK);
    ASSERT(patch);
    ASSERT_STR(kjson_path_str(patch, "spec", "persistentVolumeReclaimPolicy", NULL), "Delete");
    ASSERT(cJSON_IsNull(kjson_path(patch, "metadata", "annotations", DBI_PV_ORIGINAL_POLICY, NULL)));
    cJSON_Delete(patch);
    patch = NULL;

    /* Someone set another policy since: only our record goes. */
    cJSON_ReplaceItemInObjectCaseSensitive(kjson_path(pv, "spec", NULL),
                                           "persistentVolumeReclaimPolicy",
                                           cJSON_CreateString("Recycle"));
    ASSERT_EQ(dbi_volume_restore_patch(pv, &patch), CORE_OK);
    ASSERT(patch && !kjson_path(patch, "spec", NULL));
    cJSON_Delete(patch);
    patch = NULL;

    /* Retain from its StorageClass: not ours to change. */
    ASSERT_EQ(dbi_volume_restore_patch(plain, &patch), CORE_OK);
    ASSERT(!patch);
    ASSERT(!dbi_volume_bound_to(plain, claim));
    cJSON_Delete(pv);
    cJSON_Delete(plain);
    cJSON_Delete(claim);
}
