#include "core/core.h"
#include "hmap/hmap.h"
#include "test.h"

#include <stdint.h>


/* A deterministic pseudo-random sequence (xorshift64) so failures reproduce. */
static uint64_t
rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}


static void
key_of(char *buf, size_t len, unsigned i)
{
    snprintf(buf, len, "ns-%u/object-%u", i % 37, i);
}


TEST(hmap_put_get_del_len)
{
    hmap *m = NULL;
    void *old = (void *)1;
    int   a = 1, b = 2;

    ASSERT_EQ(hmap_new(0, &m), CORE_OK);
    ASSERT_EQ(hmap_len(m), 0);
    ASSERT(hmap_get(m, "x") == NULL);
    ASSERT_EQ(hmap_find(m, "x", NULL), CORE_ENOENT);

    ASSERT_EQ(hmap_put(m, "team-a/orders", &a, &old), CORE_OK);
    ASSERT(old == NULL);
    ASSERT_EQ(hmap_put(m, "team-b/orders", &b, NULL), CORE_OK);
    ASSERT_EQ(hmap_len(m), 2);
    ASSERT(hmap_get(m, "team-a/orders") == &a);
    ASSERT(hmap_get(m, "team-b/orders") == &b);
    ASSERT(hmap_get(m, "team-a/order") == NULL);
    ASSERT(hmap_get(m, "") == NULL);

    /* Replacing hands back the old value and keeps the count. */
    ASSERT_EQ(hmap_put(m, "team-a/orders", &b, &old), CORE_OK);
    ASSERT(old == &a);
    ASSERT_EQ(hmap_len(m), 2);
    ASSERT(hmap_get(m, "team-a/orders") == &b);

    ASSERT_EQ(hmap_del(m, "team-a/orders", &old), CORE_OK);
    ASSERT(old == &b);
    ASSERT_EQ(hmap_del(m, "team-a/orders", &old), CORE_ENOENT);
    ASSERT(old == NULL);
    ASSERT_EQ(hmap_len(m), 1);
    ASSERT(hmap_get(m, "team-a/orders") == NULL);
    ASSERT(hmap_get(m, "team-b/orders") == &b);
    hmap_free(m, NULL);
}


TEST(hmap_null_values_and_empty_key)
{
    hmap *m = NULL;
    void *v = (void *)1;

    ASSERT_EQ(hmap_new(0, &m), CORE_OK);
    ASSERT_EQ(hmap_put(m, "", NULL, NULL), CORE_OK);
    ASSERT_EQ(hmap_find(m, "", &v), CORE_OK);
    ASSERT(v == NULL);
    ASSERT_EQ(hmap_find(m, "missing", &v), CORE_ENOENT);
    ASSERT_STR(hmap_key(m, ""), "");
    ASSERT_EQ(hmap_len(m), 1);
    hmap_free(m, NULL);
}


TEST(hmap_key_is_copied_and_stable_across_growth)
{
    hmap       *m = NULL;
    char        key[64], buf[64];
    const char *stored;
    unsigned    i;

    ASSERT_EQ(hmap_new(0, &m), CORE_OK);
    snprintf(key, sizeof key, "default/first");
    ASSERT_EQ(hmap_put(m, key, NULL, NULL), CORE_OK);
    stored = hmap_key(m, "default/first");
    ASSERT(stored != NULL && stored != key);
    memset(key, 'x', sizeof key - 1); /* the caller's buffer is not referenced */
    for (i = 0; i < 5000; i++) {
        key_of(buf, sizeof buf, i);
        ASSERT_EQ(hmap_put(m, buf, NULL, NULL), CORE_OK);
    }
    ASSERT(hmap_key(m, "default/first") == stored);
    ASSERT_STR(stored, "default/first");
    hmap_free(m, NULL);
}


TEST(hmap_many_entries_grow_and_delete)
{
    hmap    *m = NULL;
    char     buf[64];
    unsigned i, n = 50000;
    void    *v;

    ASSERT_EQ(hmap_new(0, &m), CORE_OK);
    for (i = 0; i < n; i++) {
        key_of(buf, sizeof buf, i);
        ASSERT_EQ(hmap_put(m, buf, (void *)(uintptr_t)(i + 1), NULL), CORE_OK);
    }
    ASSERT_EQ(hmap_len(m), n);
    for (i = 0; i < n; i++) {
        key_of(buf, sizeof buf, i);
        ASSERT(hmap_get(m, buf) == (void *)(uintptr_t)(i + 1));
    }
    /* Delete the even ones; the odd ones must still be found past the holes. */
    for (i = 0; i < n; i += 2) {
        key_of(buf, sizeof buf, i);
        ASSERT_EQ(hmap_del(m, buf, &v), CORE_OK);
        ASSERT(v == (void *)(uintptr_t)(i + 1));
    }
    ASSERT_EQ(hmap_len(m), n / 2);
    for (i = 0; i < n; i++) {
        key_of(buf, sizeof buf, i);
        if (i % 2)
            ASSERT(hmap_get(m, buf) == (void *)(uintptr_t)(i + 1));
        else
            ASSERT_EQ(hmap_find(m, buf, NULL), CORE_ENOENT);
    }
    hmap_free(m, NULL);
}


/* Random operations against a plain array as the reference. */
TEST(hmap_matches_reference_under_random_churn)
{
    enum {
        KEYS = 600,
        OPS = 60000
    };
    hmap    *m = NULL;
    int      ref[KEYS];
    uint64_t seed = 0x1234567;
    char     buf[64];
    unsigned i, k;
    size_t   live = 0;
    void    *v;

    memset(ref, 0, sizeof ref);
    ASSERT_EQ(hmap_new(0, &m), CORE_OK);
    for (i = 0; i < OPS; i++) {
        k = (unsigned)(rnd(&seed) % KEYS);
        key_of(buf, sizeof buf, k);
        if (rnd(&seed) % 3) {
            ASSERT_EQ(hmap_put(m, buf, (void *)(uintptr_t)(i + 1), &v), CORE_OK);
            ASSERT(v == (ref[k] ? (void *)(uintptr_t)ref[k] : NULL));
            if (!ref[k])
                live++;
            ref[k] = (int)i + 1;
        } else {
            ASSERT_EQ(hmap_del(m, buf, NULL), ref[k] ? CORE_OK : CORE_ENOENT);
            if (ref[k])
                live--;
            ref[k] = 0;
        }
        ASSERT_EQ(hmap_len(m), live);
    }
    for (k = 0; k < KEYS; k++) {
        key_of(buf, sizeof buf, k);
        ASSERT(hmap_get(m, buf) == (ref[k] ? (void *)(uintptr_t)ref[k] : NULL));
    }
    hmap_free(m, NULL);
}


TEST(hmap_iterates_each_entry_once)
{
    enum {
        N = 3000
    };
    hmap       *m = NULL;
    hmap_iter   it;
    static char seen[N];
    char        buf[64];
    const char *key;
    void       *v;
    unsigned    i, count = 0;

    ASSERT_EQ(hmap_new(0, &m), CORE_OK);
    hmap_iter_init(m, &it);
    ASSERT_EQ(hmap_iter_next(m, &it, &key, &v), 0);
    for (i = 0; i < N; i++) {
        key_of(buf, sizeof buf, i);
        ASSERT_EQ(hmap_put(m, buf, (void *)(uintptr_t)i, NULL), CORE_OK);
    }
    memset(seen, 0, sizeof seen);
    hmap_iter_init(m, &it);
    while (hmap_iter_next(m, &it, &key, &v)) {
        i = (unsigned)(uintptr_t)v;
        ASSERT(i < N);
        key_of(buf, sizeof buf, i);
        ASSERT_STR(key, buf);
        ASSERT_EQ(seen[i], 0);
        seen[i] = 1;
        count++;
    }
    ASSERT_EQ(count, N);
    ASSERT_EQ(hmap_iter_next(m, &it, &key, &v), 0);
    hmap_free(m, NULL);
}


/*
 * Deleting the current entry (by cursor or by key) must neither skip an entry nor show one
 * twice, whatever the table layout: try many sizes and seeds, deleting about half.
 */
TEST(hmap_iteration_tolerates_deleting_current)
{
    enum {
        MAXN = 700
    };
    static char seen[MAXN];
    hmap       *m = NULL;
    hmap_iter   it;
    char        buf[64];
    const char *key;
    void       *v;
    uint64_t    seed = 99;
    unsigned    n, i, round, count, kept;

    for (round = 0; round < 60; round++) {
        n = 1 + (unsigned)(rnd(&seed) % MAXN);
        ASSERT_EQ(hmap_new(0, &m), CORE_OK);
        for (i = 0; i < n; i++) {
            snprintf(buf, sizeof buf, "r%u/k%u", round, i);
            ASSERT_EQ(hmap_put(m, buf, (void *)(uintptr_t)i, NULL), CORE_OK);
        }
        memset(seen, 0, sizeof seen);
        count = 0;
        kept = 0;
        hmap_iter_init(m, &it);
        while (hmap_iter_next(m, &it, &key, &v)) {
            i = (unsigned)(uintptr_t)v;
            ASSERT(i < n);
            ASSERT_EQ(seen[i], 0);
            seen[i] = 1;
            count++;
            switch (rnd(&seed) % 3) {
            case 0:
                ASSERT_EQ(hmap_iter_del(m, &it, &v), CORE_OK);
                ASSERT_EQ((uintptr_t)v, i);
                ASSERT_EQ(hmap_iter_del(m, &it, NULL), CORE_ENOENT);
                break;
            case 1:
                snprintf(buf, sizeof buf, "%s", key); /* key dies with the entry */
                ASSERT_EQ(hmap_del(m, buf, NULL), CORE_OK);
                break;
            default:
                /* Replacing the value in place is allowed too. */
                ASSERT_EQ(hmap_put(m, key, (void *)(uintptr_t)(i + 100000), NULL), CORE_OK);
                seen[i] = 2;
                kept++;
            }
        }
        ASSERT_EQ(count, n);
        ASSERT_EQ(hmap_len(m), kept);
        for (i = 0; i < n; i++) {
            snprintf(buf, sizeof buf, "r%u/k%u", round, i);
            if (seen[i] == 2)
                ASSERT(hmap_get(m, buf) == (void *)(uintptr_t)(i + 100000));
            else
                ASSERT_EQ(hmap_find(m, buf, NULL), CORE_ENOENT);
        }
        hmap_free(m, NULL);
        m = NULL;
    }
}


TEST(hmap_delete_all_while_iterating_empties_map)
{
    hmap     *m = NULL;
    hmap_iter it;
    char      buf[64];
    unsigned  i, count = 0;

    ASSERT_EQ(hmap_new(16, &m), CORE_OK);
    for (i = 0; i < 1000; i++) {
        key_of(buf, sizeof buf, i);
        ASSERT_EQ(hmap_put(m, buf, NULL, NULL), CORE_OK);
    }
    hmap_iter_init(m, &it);
    while (hmap_iter_next(m, &it, NULL, NULL)) {
        ASSERT_EQ(hmap_iter_del(m, &it, NULL), CORE_OK);
        count++;
    }
    ASSERT_EQ(count, 1000);
    ASSERT_EQ(hmap_len(m), 0);
    hmap_free(m, NULL);
}


static int freed_values;


static void
count_free(void *v)
{
    freed_values++;
    free(v);
}


TEST(hmap_free_calls_value_free_for_each_value)
{
    hmap    *m = NULL;
    char     buf[64];
    unsigned i;

    ASSERT_EQ(hmap_new(0, &m), CORE_OK);
    for (i = 0; i < 100; i++) {
        key_of(buf, sizeof buf, i);
        ASSERT_EQ(hmap_put(m, buf, malloc(8), NULL), CORE_OK);
    }
    freed_values = 0;
    hmap_free(m, count_free);
    ASSERT_EQ(freed_values, 100);
    hmap_free(NULL, NULL);
}


TEST(hmap_hash_is_stable_and_spreads)
{
    enum {
        N = 65536,
        BUCKETS = 256
    };
    static unsigned hist[BUCKETS];
    char            buf[64];
    unsigned        i, max = 0;

    ASSERT(hmap_hash_str("team-a/orders") == hmap_hash("team-a/orders", 13));
    ASSERT(hmap_hash_str("team-a/orders") != hmap_hash_str("team-a/orderz"));
    ASSERT(hmap_hash("", 0) != hmap_hash("\0", 1)); /* length counts */
    ASSERT(hmap_hash("abcdefgh", 8) != hmap_hash("abcdefgh\0", 9));
    /* Sequential names must spread evenly over the low bits the table uses. */
    memset(hist, 0, sizeof hist);
    for (i = 0; i < N; i++) {
        key_of(buf, sizeof buf, i);
        hist[hmap_hash_str(buf) % BUCKETS]++;
    }
    for (i = 0; i < BUCKETS; i++)
        if (hist[i] > max)
            max = hist[i];
    ASSERT(max < N / BUCKETS * 3 / 2);
}
