/* The TLS Secrets verified (dbi_tls_seen.h). */
#include "dbi_tls_seen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "hmap/hmap.h"

typedef struct {
    char       uid[64], rv[32];
    char       against[128];
    tlsca_info info;
    int        marked;
} entry;

struct dbi_tls_seen {
    hmap *m;
};


int
dbi_tls_seen_new(dbi_tls_seen **out)
{
    dbi_tls_seen *s = calloc(1, sizeof *s);

    *out = NULL;
    if (!s || hmap_new(16, &s->m) != CORE_OK) {
        free(s);
        return CORE_ENOMEM;
    }
    *out = s;
    return CORE_OK;
}


void
dbi_tls_seen_free(dbi_tls_seen *s)
{
    if (!s)
        return;
    hmap_free(s->m, free);
    free(s);
}


static const entry *
find(const dbi_tls_seen *s, const char *key, const char *uid, const char *rv)
{
    const entry *e;

    if (!s || !key || !uid || !rv || !(e = hmap_get(s->m, key)) || strcmp(e->uid, uid) != 0 ||
        strcmp(e->rv, rv) != 0)
        return NULL;
    return e;
}


int
dbi_tls_seen_get(const dbi_tls_seen *s, const char *key, const char *uid, const char *rv,
                 const char *against, time_t now, tlsca_info *info)
{
    const entry *e = find(s, key, uid, rv);

    if (!e || !against || strcmp(e->against, against) != 0 || now < e->info.not_before ||
        now >= e->info.not_after)
        return 0;
    *info = e->info;
    return 1;
}


int
dbi_tls_seen_put(dbi_tls_seen *s, const char *key, const char *uid, const char *rv,
                 const char *against, const tlsca_info *info)
{
    entry *e;
    void  *old = NULL;

    if (!s || !key || !*key || !uid || !*uid || !rv || !*rv || !against || !info)
        return CORE_EINVAL;
    if (strlen(uid) >= sizeof e->uid || strlen(rv) >= sizeof e->rv ||
        strlen(against) >= sizeof e->against)
        return CORE_ETOOBIG;
    if (!(e = calloc(1, sizeof *e)))
        return CORE_ENOMEM;
    memcpy(e->uid, uid, strlen(uid) + 1);
    memcpy(e->rv, rv, strlen(rv) + 1);
    memcpy(e->against, against, strlen(against) + 1);
    e->info = *info;
    if (!hmap_get(s->m, key) && hmap_len(s->m) >= DBI_TLS_SEEN_MAX) {
        hmap_iter   it;
        const char *k;
        void       *v;

        hmap_iter_init(s->m, &it);
        while (hmap_iter_next(s->m, &it, &k, &v))
            if (hmap_iter_del(s->m, &it, &old) == CORE_OK)
                free(old);
    }
    if (hmap_put(s->m, key, e, &old) != CORE_OK) {
        free(e);
        return CORE_ENOMEM;
    }
    free(old);
    return CORE_OK;
}


void
dbi_tls_seen_mark(dbi_tls_seen *s, const char *key, const char *uid, const char *rv)
{
    entry *e = (entry *)find(s, key, uid, rv);

    if (e)
        e->marked = 1;
}


int
dbi_tls_seen_marked(const dbi_tls_seen *s, const char *key, const char *uid, const char *rv)
{
    const entry *e = find(s, key, uid, rv);

    return e && e->marked;
}


void
dbi_tls_seen_forget(dbi_tls_seen *s, const char *key)
{
    void *old = NULL;

    if (s && key && hmap_del(s->m, key, &old) == CORE_OK)
        free(old);
}


size_t
dbi_tls_seen_len(const dbi_tls_seen *s)
{
    return s ? hmap_len(s->m) : 0;
}
