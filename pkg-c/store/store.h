/*
 * store: the informer's local cache of one resource, keyed "namespace/name" (or "name").
 *
 * Each object is held as its compact JSON text in one allocation together with its
 * resourceVersion, controller owner UID and a short note (store_note): text is several
 * times smaller than a cJSON tree, and controllers parse the few objects they reconcile.
 * Once the store holds 64 objects, the text of each one put after is kept compressed (zstd,
 * with the first 16 KiB of objects, or 32 of them, as the dictionary: store_zdict.h), 4 to
 * 20 times smaller; store_text and store_parse give it back. Secondary indexes answer "children
 * of owner UID" and "objects whose label L has value V" for the label keys asked for with
 * store_index_label.
 *
 * Ownership: the store owns every store_obj; a pointer from store_get stays valid until that
 * key is put again or deleted, or the store is freed. Callers never free them.
 */
#ifndef DBAAS_STORE_H
#define DBAAS_STORE_H

#include <cjson/cJSON.h>
#include <stddef.h>

#define STORE_MAX_LABEL_INDEXES 4

typedef struct store store;

#define STORE_NOTE_MAX 16

struct store_zdict;

typedef struct {
    const char               *rv;        /* metadata.resourceVersion, "" when absent */
    const char               *owner_uid; /* UID of the controller ownerReference, or NULL */
    size_t                    len;       /* of the JSON text (store_text) */
    const struct store_zdict *zdict;     /* what body is compressed with; NULL: not */
    size_t                    zlen;      /* bytes in body when compressed */
    char note[STORE_NOTE_MAX + 1];       /* store_note: "" until set; gone with this version */
    char body[]; /* the JSON text of the object, NUL-terminated (printed compact, or the text
                    it came as: store_put_text), or it compressed: read it with store_text */
} store_obj;

typedef void (*store_visit_cb)(const char *key, const store_obj *obj, void *data);

int  store_new(store **out);
void store_free(store *s);

/* Indexes the label key (e.g. "app.kubernetes.io/instance"); before the first put only. */
int store_index_label(store *s, const char *label);

/*
 * The cache key of an object: "namespace/name", or "name" for a cluster-scoped object.
 * Returns CORE_EINVAL when metadata.name is missing.
 */
int store_key(const cJSON *obj, char *buf, size_t len);

/* Stores obj under key (replacing what was there); obj is not kept or changed. */
int store_put(store *s, const char *key, const cJSON *obj);

/*
 * The same with the text to keep given: json (len bytes, need not be NUL-terminated) must be
 * the JSON of obj itself (any spacing), as an object that came as text and was parsed into obj
 * unchanged; obj still gives the indexes. Saves printing obj again. json is copied.
 */
int store_put_text(store *s, const char *key, const cJSON *obj, const char *json, size_t len);

/* Removes key; CORE_ENOENT when absent. */
int store_del(store *s, const char *key);

const store_obj *store_get(const store *s, const char *key);

/*
 * Attaches a note of at most STORE_NOTE_MAX characters to the object now under key: what a
 * reader learnt about this version of it (ctrl: the stamp of a desired object it was found
 * to hold), so that the next reader need not parse it to learn it again. The note lives as
 * long as this version: a put of the key (a changed object, or the same one listed again)
 * starts with none. CORE_OK, CORE_ENOENT (no such key) or CORE_ETOOBIG (note too long).
 */
int store_note(store *s, const char *key, const char *note);

/*
 * The JSON text of o: len bytes (o->len) and a NUL. When o holds it as text, that is o's own
 * (valid as o is) and *tmp is set to NULL; else it is decompressed into a new allocation
 * that *tmp points at too, for the caller to free. NULL (and *tmp NULL) when o is NULL, on
 * no memory, or when the compressed body does not decompress to len bytes (no checksum:
 * see store_zdict.h).
 */
const char *store_text(const store_obj *o, char **tmp);

/* Parses the stored object into a new cJSON tree (caller frees), or NULL. */
cJSON *store_parse(const store_obj *o);

size_t store_len(const store *s);

/* Bytes the store holds for its objects, as stored (compressed or not): allocation sizes,
 * not RSS. Not counted: the indexes; the samples (at most 16 KiB) and then the dictionary
 * made of them (with zstd's digest, some 60 to 160 KB), which stays for the store's life;
 * the process's one pair of zstd contexts (some 150 KB, while any store has a dictionary). */
size_t store_bytes(const store *s);

/* Calls fn for every object, in no order. fn must not change the store. */
void store_each(const store *s, store_visit_cb fn, void *data);

/* Calls fn for each object whose controller owner has uid. */
void store_by_owner(const store *s, const char *uid, store_visit_cb fn, void *data);

/* Calls fn for each object with label=value; label must have been indexed. */
void store_by_label(const store *s, const char *label, const char *value, store_visit_cb fn,
                    void *data);

#endif
