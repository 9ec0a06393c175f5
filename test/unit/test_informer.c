#include "informer/informer.h"
#include "test.h"


TEST(informer_backoff_doubles_to_cap_with_jitter)
{
    ASSERT_EQ(informer_backoff_ms(1, 1.0), 800);
    ASSERT_EQ(informer_backoff_ms(2, 1.0), 1600);
    ASSERT_EQ(informer_backoff_ms(3, 1.0), 3200);
    ASSERT_EQ(informer_backoff_ms(6, 1.0), 25600);
    ASSERT_EQ(informer_backoff_ms(7, 1.0), 30000);
    ASSERT_EQ(informer_backoff_ms(4000000000u, 1.0), 30000);
    ASSERT_EQ(informer_backoff_ms(1, 1.25), 1000);
    ASSERT_EQ(informer_backoff_ms(1, 0.2), 800); /* jitter never shortens */
}


TEST(informer_strip_drops_managed_fields_and_last_applied)
{
    cJSON *o = cJSON_Parse("{\"metadata\":{\"name\":\"a\",\"managedFields\":[{\"manager\":\"x\"}],"
                           "\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":"
                           "\"{}\",\"keep\":\"1\"}}}");
    char  *s;

    informer_strip(o);
    s = cJSON_PrintUnformatted(o);
    ASSERT_STR(s, "{\"metadata\":{\"name\":\"a\",\"annotations\":{\"keep\":\"1\"}}}");
    cJSON_free(s);
    cJSON_Delete(o);
}
