#include "hmap.h"

#include <stdlib.h>
#include <string.h>

#include "core/core.h"

#define HMAP_MIN_CAP 8u
/* Slots are indexed by a 32-bit hash; stay well inside that. */
#define HMAP_MAX_CAP ((size_t)1 << 31)
#define HMAP_SEED    0x9e3779b97f4a7c15ull
#define HMAP_MUL     0xbf58476d1ce4e5b9ull


/* One allocation per entry: the key lives inline after the header. */
typedef struct {
    void    *value;
    uint32_t hash;
    char     key[];
} hmap_entry;

struct hmap {
    hmap_entry **slots;
    size_t       cap; /* power of two */
    size_t       mask;
    size_t       len;
};


/* Murmur3's finaliser: every input bit reaches every output bit. */
static uint64_t
hmap_fmix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}


/*
 * Eight bytes per step; each step is a bijection of the state for a given word, so no
 * input collapses the state, and the finaliser spreads the last word into the low bits.
 */
uint64_t
hmap_hash(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t             h = HMAP_SEED ^ ((uint64_t)n * HMAP_MUL);
    uint64_t             w;

    while (n >= 8) {
        memcpy(&w, s, 8);
        h = (h ^ w) * HMAP_MUL;
        h ^= h >> 29;
        s += 8;
        n -= 8;
    }
    if (n) {
        w = 0;
        memcpy(&w, s, n);
        h = (h ^ w) * HMAP_MUL;
        h ^= h >> 29;
    }
    return hmap_fmix(h);
}


uint64_t
hmap_hash_str(const char *s)
{
    return hmap_hash(s, strlen(s));
}


static size_t
hmap_cap_for(size_t n)
{
    size_t cap = HMAP_MIN_CAP;

    while (cap < HMAP_MAX_CAP && n > cap / 4 * 3)
        cap *= 2;
    return cap;
}


int
hmap_new(size_t hint, hmap **out)
{
    hmap *m = NULL;

    *out = NULL;
    m = calloc(1, sizeof *m);
    if (!m)
        return CORE_ENOMEM;
    m->cap = hmap_cap_for(hint);
    m->mask = m->cap - 1;
    m->slots = calloc(m->cap, sizeof *m->slots);
    if (!m->slots) {
        free(m);
        return CORE_ENOMEM;
    }
    *out = m;
    return CORE_OK;
}


void
hmap_free(hmap *m, void (*value_free)(void *value))
{
    size_t i;

    if (!m)
        return;
    for (i = 0; i < m->cap; i++) {
        if (!m->slots[i])
            continue;
        if (value_free)
            value_free(m->slots[i]->value);
        free(m->slots[i]);
    }
    free(m->slots);
    free(m);
}


size_t
hmap_len(const hmap *m)
{
    return m->len;
}


/* The slot holding key, or the empty slot where it would go. */
static size_t
hmap_probe(const hmap *m, const char *key, uint32_t hash)
{
    size_t      i = hash & m->mask;
    hmap_entry *e;

    while ((e = m->slots[i]) != NULL) {
        if (e->hash == hash && strcmp(e->key, key) == 0)
            break;
        i = (i + 1) & m->mask;
    }
    return i;
}


static hmap_entry *
hmap_lookup(const hmap *m, const char *key)
{
    return m->slots[hmap_probe(m, key, (uint32_t)hmap_hash_str(key))];
}


void *
hmap_get(const hmap *m, const char *key)
{
    hmap_entry *e = hmap_lookup(m, key);

    return e ? e->value : NULL;
}


int
hmap_find(const hmap *m, const char *key, void **value)
{
    hmap_entry *e = hmap_lookup(m, key);

    if (!e)
        return CORE_ENOENT;
    if (value)
        *value = e->value;
    return CORE_OK;
}


const char *
hmap_key(const hmap *m, const char *key)
{
    hmap_entry *e = hmap_lookup(m, key);

    return e ? e->key : NULL;
}


/* Rehashes into twice the slots; entries keep their addresses and cached hashes. */
static int
hmap_grow(hmap *m)
{
    hmap_entry **slots;
    size_t       cap, mask, i, j;

    if (m->cap >= HMAP_MAX_CAP)
        return CORE_ENOMEM;
    cap = m->cap * 2;
    mask = cap - 1;
    slots = calloc(cap, sizeof *slots);
    if (!slots)
        return CORE_ENOMEM;
    for (i = 0; i < m->cap; i++) {
        if (!m->slots[i])
            continue;
        j = m->slots[i]->hash & mask;
        while (slots[j])
            j = (j + 1) & mask;
        slots[j] = m->slots[i];
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    m->mask = mask;
    return CORE_OK;
}


int
hmap_put(hmap *m, const char *key, void *value, void **old)
{
    uint32_t    hash = (uint32_t)hmap_hash_str(key);
    size_t      i = hmap_probe(m, key, hash), klen;
    hmap_entry *e = m->slots[i];

    if (old)
        *old = NULL;
    if (e) {
        if (old)
            *old = e->value;
        e->value = value;
        return CORE_OK;
    }
    /* Keep at least a quarter of the slots empty so probes stay short. */
    if (m->len + 1 > m->cap / 4 * 3) {
        if (hmap_grow(m) != CORE_OK)
            return CORE_ENOMEM;
        i = hmap_probe(m, key, hash);
    }
    klen = strlen(key);
    e = malloc(offsetof(hmap_entry, key) + klen + 1);
    if (!e)
        return CORE_ENOMEM;
    e->value = value;
    e->hash = hash;
    memcpy(e->key, key, klen + 1);
    m->slots[i] = e;
    m->len++;
    return CORE_OK;
}


/*
 * Empties slot i, then pulls later entries of the same cluster back into the hole when the
 * hole lies between their home slot and where they sit. Entries only ever move towards
 * lower slots (circularly) and never across an empty slot; the cursor relies on that.
 */
static void
hmap_remove_at(hmap *m, size_t i)
{
    size_t      j = i, home;
    hmap_entry *e;

    free(m->slots[i]);
    m->slots[i] = NULL;
    m->len--;
    for (;;) {
        j = (j + 1) & m->mask;
        e = m->slots[j];
        if (!e)
            break;
        home = e->hash & m->mask;
        if (((j - home) & m->mask) >= ((j - i) & m->mask)) {
            m->slots[i] = e;
            m->slots[j] = NULL;
            i = j;
        }
    }
}


int
hmap_del(hmap *m, const char *key, void **old)
{
    size_t i = hmap_probe(m, key, (uint32_t)hmap_hash_str(key));

    if (old)
        *old = NULL;
    if (!m->slots[i])
        return CORE_ENOENT;
    if (old)
        *old = m->slots[i]->value;
    hmap_remove_at(m, i);
    return CORE_OK;
}


/*
 * The cursor walks slots downwards starting just below an empty slot. Deletion only moves
 * entries downwards within a cluster, and the starting slot stays empty, so an entry moved
 * by deleting the current entry comes from a slot already visited and lands in one already
 * visited: nothing is skipped and nothing is seen twice.
 */
void
hmap_iter_init(const hmap *m, hmap_iter *it)
{
    size_t e = 0;

    it->cur = 0;
    it->left = 0;
    it->pos = 0;
    if (m->len == 0)
        return;
    while (m->slots[e])
        e++; /* the load factor guarantees an empty slot */
    it->pos = e;
    it->left = m->cap - 1;
}


int
hmap_iter_next(const hmap *m, hmap_iter *it, const char **key, void **value)
{
    hmap_entry *e;

    it->cur = 0;
    while (it->left > 0) {
        it->pos = (it->pos - 1) & m->mask;
        it->left--;
        e = m->slots[it->pos];
        if (!e)
            continue;
        if (key)
            *key = e->key;
        if (value)
            *value = e->value;
        it->cur = 1;
        return 1;
    }
    return 0;
}


int
hmap_iter_del(hmap *m, hmap_iter *it, void **old)
{
    if (old)
        *old = NULL;
    if (!it->cur || !m->slots[it->pos])
        return CORE_ENOENT;
    if (old)
        *old = m->slots[it->pos]->value;
    hmap_remove_at(m, it->pos);
    it->cur = 0;
    return CORE_OK;
}
