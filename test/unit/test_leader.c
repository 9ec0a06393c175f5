#include "core/core.h"
#include "leader/leader.h"
#include "test.h"


TEST(leader_validate_orders_the_durations)
{
    leader_opts o = {.namespace = "ns", .name = "lease", .identity = "me"};
    char        err[256];

    ASSERT_EQ(leader_validate(&o, err, sizeof err), CORE_OK); /* 15 s / 10 s / 2 s */
    o.lease_ms = 10000;
    ASSERT_EQ(leader_validate(&o, err, sizeof err), CORE_EINVAL);
    ASSERT_CONTAINS(err,
                    "lease duration (10000 ms) must be greater than the renew deadline (10000 ms)");
    o.lease_ms = 15000;
    o.retry_ms = 9000; /* 1.2 x 9 s = 10.8 s > 10 s */
    ASSERT_EQ(leader_validate(&o, err, sizeof err), CORE_EINVAL);
    ASSERT_CONTAINS(err, "1.2 x the retry period");
    o.retry_ms = 8000; /* 9.6 s < 10 s */
    ASSERT_EQ(leader_validate(&o, err, sizeof err), CORE_OK);
    o.identity = "";
    ASSERT_EQ(leader_validate(&o, err, sizeof err), CORE_EINVAL);
}


TEST(leader_micro_time_has_microseconds)
{
    char t[40];

    leader_micro_time(t, sizeof t);
    ASSERT_EQ(strlen(t), 27); /* 2026-11-23T09:45:00.123456Z */
    ASSERT(t[4] == '-' && t[10] == 'T' && t[19] == '.' && t[26] == 'Z');
}
