/*
 * hmap: a string-keyed hash map with small entries.
 *
 * Open addressing with linear probing and backward-shift deletion (no tombstones, so a map
 * with heavy churn never degrades). The slot array holds one pointer per slot; each entry is
 * a single allocation holding the value, the cached hash and the key inline. On x86-64 an
 * entry costs 12 bytes plus the key and its NUL (before malloc rounding), and the slot array
 * 8 bytes per slot at a load factor between 3/8 and 3/4 (about 11 to 21 bytes per entry).
 * Entries never move in memory, so a key pointer returned by the map stays valid until that
 * key is deleted.
 *
 * Ownership: the map copies keys and owns the copies. Values are the caller's: the map never
 * dereferences or frees them (except through the optional callback given to hmap_free).
 *
 * The map grows by doubling when it would pass 3/4 full and never shrinks on its own.
 * Not thread-safe; no function blocks.
 *
 * The hash is seeded with a fixed constant: lookups are deterministic, and the map is not
 * meant to resist keys chosen to collide (Kubernetes names are short and need RBAC to create).
 */
#ifndef DBAAS_HMAP_H
#define DBAAS_HMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct hmap hmap;

/*
 * A cursor. Iteration visits every entry exactly once, in no particular order, provided the
 * only changes made while iterating are: deleting the entry just returned (or any entry
 * already returned), and replacing the value of an existing key. Adding a new key during
 * iteration may resize the map; after that the cursor must not be used.
 */
typedef struct {
    size_t pos;  /* slot of the entry last returned */
    size_t left; /* slots still to visit */
    int    cur;  /* pos holds the entry last returned (not yet deleted) */
} hmap_iter;

/* A 64-bit hash of n bytes (non-cryptographic, fast on short keys). */
uint64_t hmap_hash(const void *p, size_t n);

/* hmap_hash of a NUL-terminated string, without the NUL. */
uint64_t hmap_hash_str(const char *s);

/*
 * Creates a map sized for about hint entries (0 is fine). Returns CORE_OK or CORE_ENOMEM;
 * *out is NULL on failure.
 */
int hmap_new(size_t hint, hmap **out);

/*
 * Frees the map and its key copies. When value_free is not NULL it is called once for each
 * value still in the map. NULL m is a no-op.
 */
void hmap_free(hmap *m, void (*value_free)(void *value));

size_t hmap_len(const hmap *m);

/*
 * The value stored under key, or NULL when absent. Use hmap_find to tell a stored NULL from
 * an absent key.
 */
void *hmap_get(const hmap *m, const char *key);

/*
 * Looks key up. Returns CORE_OK and sets *value (if value is not NULL), or CORE_ENOENT.
 */
int hmap_find(const hmap *m, const char *key, void **value);

/*
 * The map's own copy of key, or NULL when absent. Valid until the key is deleted or the map
 * freed; useful to hand out a stable key string without copying it again.
 */
const char *hmap_key(const hmap *m, const char *key);

/*
 * Stores value under key, copying the key when it is new. When the key was present its old
 * value is replaced and returned in *old (if old is not NULL), so the caller can free it;
 * otherwise *old is NULL. Returns CORE_OK, or CORE_ENOMEM with the map unchanged.
 */
int hmap_put(hmap *m, const char *key, void *value, void **old);

/*
 * Removes key and frees the map's copy of it. Its value is returned in *old (if old is not
 * NULL). Returns CORE_OK or CORE_ENOENT. Never allocates, never fails otherwise.
 */
int hmap_del(hmap *m, const char *key, void **old);

/* Starts a cursor at the beginning. */
void hmap_iter_init(const hmap *m, hmap_iter *it);

/*
 * Advances the cursor. Returns 1 and sets *key and *value (each may be NULL) to the next
 * entry, or 0 when every entry has been visited. *key is the map's copy (see hmap_key).
 */
int hmap_iter_next(const hmap *m, hmap_iter *it, const char **key, void **value);

/*
 * Deletes the entry the cursor last returned; the cursor stays usable. The same as hmap_del
 * of its key without hashing again (do one or the other, not both). Returns the value in
 * *old (if not NULL). Returns CORE_OK, or CORE_ENOENT when there is no current entry.
 */
int hmap_iter_del(hmap *m, hmap_iter *it, void **old);

#endif
