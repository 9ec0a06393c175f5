/* dbi_tls_seen: a verified TLS Secret is remembered only as it was, and only while valid. */
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "dbi/dbi_tls_seen.h"
#include "test.h"

#define T0 1796101200 /* 2026-12-01T05:00:00Z */


static int
get(const dbi_tls_seen *s, const char *key, const char *uid, const char *rv, const char *against,
    time_t now)
{
    tlsca_info info = {0, 0};
    int        hit = dbi_tls_seen_get(s, key, uid, rv, against, now, &info);

    if (hit) {
        ASSERT_EQ(info.not_before, T0);
        ASSERT_EQ(info.not_after, T0 + 1000);
    }
    return hit;
}


TEST(dbi_tls_seen_matches_only_the_same_secret_version_and_check)
{
    dbi_tls_seen    *s = NULL;
    const tlsca_info info = {T0, T0 + 1000};

    ASSERT_EQ(dbi_tls_seen_new(&s), CORE_OK);
    ASSERT_EQ(get(s, "ns/a-tls", "u1", "10", "ca/5/sum", T0 + 1), 0);
    ASSERT_EQ(dbi_tls_seen_put(s, "ns/a-tls", "u1", "10", "ca/5/sum", &info), CORE_OK);
    ASSERT_EQ(get(s, "ns/a-tls", "u1", "10", "ca/5/sum", T0 + 1), 1);
    ASSERT_EQ(get(s, "ns/a-tls", "u1", "10", "ca/5/sum", T0), 1);
    /* Each thing that can change is a miss: the Secret's version, the Secret made again, the
     * CA or names it was checked against, another Secret, the clock outside the dates. */
    ASSERT_EQ(get(s, "ns/a-tls", "u1", "11", "ca/5/sum", T0 + 1), 0);
    ASSERT_EQ(get(s, "ns/a-tls", "u2", "10", "ca/5/sum", T0 + 1), 0);
    ASSERT_EQ(get(s, "ns/a-tls", "u1", "10", "ca/6/sum", T0 + 1), 0);
    ASSERT_EQ(get(s, "ns/a-tls", "u1", "10", "ca/5/other", T0 + 1), 0);
    ASSERT_EQ(get(s, "ns/b-tls", "u1", "10", "ca/5/sum", T0 + 1), 0);
    ASSERT_EQ(get(s, "other/a-tls", "u1", "10", "ca/5/sum", T0 + 1), 0);
    ASSERT_EQ(get(s, "ns/a-tls", "u1", "10", "ca/5/sum", T0 - 1), 0);
    ASSERT_EQ(get(s, "ns/a-tls", "u1", "10", "ca/5/sum", T0 + 1000), 0);
    ASSERT_EQ(get(s, "ns/a-tls", NULL, "10", "ca/5/sum", T0 + 1), 0);
    ASSERT_EQ(get(s, "ns/a-tls", "u1", NULL, "ca/5/sum", T0 + 1), 0);
    ASSERT_EQ(get(s, "ns/a-tls", "u1", "10", NULL, T0 + 1), 0);
    /* A new version replaces the old one. */
    ASSERT_EQ(dbi_tls_seen_put(s, "ns/a-tls", "u1", "11", "ca/5/sum", &info), CORE_OK);
    ASSERT_EQ(get(s, "ns/a-tls", "u1", "10", "ca/5/sum", T0 + 1), 0);
    ASSERT_EQ(get(s, "ns/a-tls", "u1", "11", "ca/5/sum", T0 + 1), 1);
    ASSERT_EQ(dbi_tls_seen_len(s), 1);
    dbi_tls_seen_forget(s, "ns/a-tls");
    dbi_tls_seen_forget(s, "ns/a-tls");
    ASSERT_EQ(get(s, "ns/a-tls", "u1", "11", "ca/5/sum", T0 + 1), 0);
    ASSERT_EQ(dbi_tls_seen_len(s), 0);
    dbi_tls_seen_free(s);
    dbi_tls_seen_free(NULL);
    ASSERT_EQ(get(NULL, "ns/a-tls", "u1", "11", "ca/5/sum", T0 + 1), 0);
}


TEST(dbi_tls_seen_refuses_what_it_cannot_hold_and_marks_a_version)
{
    dbi_tls_seen    *s = NULL;
    const tlsca_info info = {T0, T0 + 1000};
    char             longer[300];

    memset(longer, '9', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    ASSERT_EQ(dbi_tls_seen_new(&s), CORE_OK);
    ASSERT_EQ(dbi_tls_seen_put(s, "ns/dbaas-ca", "u1", "", "", &info), CORE_EINVAL);
    ASSERT_EQ(dbi_tls_seen_put(s, "", "u1", "1", "", &info), CORE_EINVAL);
    /* Cut, two versions could look the same: nothing is held, so it is checked each time. */
    ASSERT_EQ(dbi_tls_seen_put(s, "ns/dbaas-ca", "u1", longer, "", &info), CORE_ETOOBIG);
    ASSERT_EQ(dbi_tls_seen_put(s, "ns/dbaas-ca", "u1", "1", longer, &info), CORE_ETOOBIG);
    ASSERT_EQ(dbi_tls_seen_len(s), 0);

    ASSERT_EQ(dbi_tls_seen_put(s, "ns/dbaas-ca", "u1", "1", "", &info), CORE_OK);
    ASSERT_EQ(dbi_tls_seen_marked(s, "ns/dbaas-ca", "u1", "1"), 0);
    dbi_tls_seen_mark(s, "ns/dbaas-ca", "u1", "2"); /* another version: nothing */
    ASSERT_EQ(dbi_tls_seen_marked(s, "ns/dbaas-ca", "u1", "1"), 0);
    dbi_tls_seen_mark(s, "ns/dbaas-ca", "u1", "1");
    ASSERT_EQ(dbi_tls_seen_marked(s, "ns/dbaas-ca", "u1", "1"), 1);
    ASSERT_EQ(dbi_tls_seen_marked(s, "ns/dbaas-ca", "u2", "1"), 0);
    /* Put again (the CA checked anew): the mark goes with the old entry. */
    ASSERT_EQ(dbi_tls_seen_put(s, "ns/dbaas-ca", "u1", "1", "", &info), CORE_OK);
    ASSERT_EQ(dbi_tls_seen_marked(s, "ns/dbaas-ca", "u1", "1"), 0);
    dbi_tls_seen_free(s);
}


TEST(dbi_tls_seen_empties_itself_when_full)
{
    dbi_tls_seen    *s = NULL;
    const tlsca_info info = {T0, T0 + 1000};
    char             key[32];
    int              i;

    ASSERT_EQ(dbi_tls_seen_new(&s), CORE_OK);
    for (i = 0; i < DBI_TLS_SEEN_MAX; i++) {
        snprintf(key, sizeof key, "ns/i%d-tls", i);
        ASSERT_EQ(dbi_tls_seen_put(s, key, "u", "1", "", &info), CORE_OK);
    }
    ASSERT_EQ(dbi_tls_seen_len(s), DBI_TLS_SEEN_MAX);
    /* A key it holds is replaced in place; a new one into the full table empties it first. */
    ASSERT_EQ(dbi_tls_seen_put(s, "ns/i0-tls", "u", "2", "", &info), CORE_OK);
    ASSERT_EQ(dbi_tls_seen_len(s), DBI_TLS_SEEN_MAX);
    ASSERT_EQ(dbi_tls_seen_put(s, "ns/new-tls", "u", "1", "", &info), CORE_OK);
    ASSERT_EQ(dbi_tls_seen_len(s), 1);
    ASSERT_EQ(get(s, "ns/new-tls", "u", "1", "", T0 + 1), 1);
    ASSERT_EQ(get(s, "ns/i1-tls", "u", "1", "", T0 + 1), 0);
    dbi_tls_seen_free(s);
}
