#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "hmap/hmap.h"
#include "store_zdict.h"


/* The keys of the objects under one index value; small (an owner's children). */
typedef struct {
    size_t       n, cap;
    const char **keys; /* the main map's own key copies */
} key_set;

typedef struct {
    const char *label; /* owned */
    hmap       *sets;  /* value -> key_set */
} label_index;

/* What the main map holds per key: the object and the index values it was filed under. */
typedef struct {
    store_obj *obj;
    char      *label_values[STORE_MAX_LABEL_INDEXES]; /* NULL when the label is absent */
} entry;

struct store {
    hmap          *objects; /* key -> entry */
    hmap          *owners;  /* owner uid -> key_set */
    label_index    labels[STORE_MAX_LABEL_INDEXES];
    int            nlabels;
    size_t         bytes;
    store_zsampler sampler; /* the first objects' text, until zdict is made of it */
    store_zdict   *zdict;   /* NULL until then */
};


int
store_new(store **out)
{
    store *s = calloc(1, sizeof *s);

    *out = NULL;
    if (!s)
        return CORE_ENOMEM;
    if (hmap_new(0, &s->objects) || hmap_new(0, &s->owners)) {
        hmap_free(s->objects, NULL);
        free(s);
        return CORE_ENOMEM;
    }
    *out = s;
    return CORE_OK;
}


static void
set_free(void *p)
{
    key_set *ks = p;

    if (ks)
        free(ks->keys);
    free(ks);
}


static void
entry_free(void *p)
{
    entry *e = p;
    int    i;

    if (!e)
        return;
    free(e->obj);
    for (i = 0; i < STORE_MAX_LABEL_INDEXES; i++)
        free(e->label_values[i]);
    free(e);
}


void
store_free(store *s)
{
    int i;

    if (!s)
        return;
    hmap_free(s->objects, entry_free);
    hmap_free(s->owners, set_free);
    for (i = 0; i < s->nlabels; i++) {
        free((char *)s->labels[i].label);
        hmap_free(s->labels[i].sets, set_free);
    }
    free(s->sampler.buf);
    store_zdict_free(s->zdict); /* after the objects compressed with it */
    free(s);
}


int
store_index_label(store *s, const char *label)
{
    label_index *li;

    if (s->nlabels == STORE_MAX_LABEL_INDEXES || hmap_len(s->objects))
        return CORE_EINVAL;
    li = &s->labels[s->nlabels];
    li->label = strdup(label);
    if (!li->label || hmap_new(0, &li->sets)) {
        free((char *)li->label);
        li->label = NULL;
        return CORE_ENOMEM;
    }
    s->nlabels++;
    return CORE_OK;
}


int
store_key(const cJSON *obj, char *buf, size_t len)
{
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    const char  *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "name"));
    const char  *ns = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "namespace"));
    int          n;

    if (!name || !*name)
        return CORE_EINVAL;
    n = ns && *ns ? snprintf(buf, len, "%s/%s", ns, name) : snprintf(buf, len, "%s", name);
    return n < 0 || (size_t)n >= len ? CORE_ETOOBIG : CORE_OK;
}


static const char *
controller_uid(const cJSON *obj)
{
    const cJSON *refs =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "metadata"),
                                         "ownerReferences");
    const cJSON *ref;

    cJSON_ArrayForEach(ref, refs) {
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ref, "controller")))
            return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ref, "uid"));
    }
    return NULL;
}


static int
set_add(hmap *index, const char *value, const char *key)
{
    key_set *ks = hmap_get(index, value);

    if (!ks) {
        ks = calloc(1, sizeof *ks);
        if (!ks || hmap_put(index, value, ks, NULL)) {
            free(ks);
            return CORE_ENOMEM;
        }
    }
    if (ks->n == ks->cap) {
        size_t       cap = ks->cap ? ks->cap * 2 : 2;
        const char **k = realloc(ks->keys, cap * sizeof *k);

        if (!k)
            return CORE_ENOMEM;
        ks->keys = k;
        ks->cap = cap;
    }
    ks->keys[ks->n++] = key;
    return CORE_OK;
}


static void
set_remove(hmap *index, const char *value, const char *key)
{
    key_set *ks = hmap_get(index, value);
    size_t   i;

    if (!ks)
        return;
    for (i = 0; i < ks->n; i++)
        if (ks->keys[i] == key || strcmp(ks->keys[i], key) == 0) {
            ks->keys[i] = ks->keys[--ks->n];
            break;
        }
    if (ks->n == 0) {
        hmap_del(index, value, NULL);
        set_free(ks);
    }
}


/* Takes an entry out of every index it was filed in. */
static void
unindex(store *s, const char *key, entry *e)
{
    int i;

    if (e->obj->owner_uid)
        set_remove(s->owners, e->obj->owner_uid, key);
    for (i = 0; i < s->nlabels; i++)
        if (e->label_values[i])
            set_remove(s->labels[i].sets, e->label_values[i], key);
}


/* The text the store keeps of an object of len bytes: compressed when the store has a
 * dictionary and it gets smaller (*zlen set, else 0). While there is none, a new key's text
 * is a sample, and the samples become the dictionary once they are enough and the store
 * holds STORE_ZDICT_MIN_OBJS objects (a store of a few objects would spend more on zstd's
 * state than it saves). */
static const char *
body_of(store *s, int is_new, const char *text, size_t len, size_t *zlen)
{
    const char *z;

    *zlen = 0;
    if (!s->zdict) {
        if (is_new && !store_zsampler_full(&s->sampler))
            store_zsample(&s->sampler, text, len);
        if (store_zsampler_full(&s->sampler) && store_len(s) + is_new >= STORE_ZDICT_MIN_OBJS)
            s->zdict = store_zdict_freeze(&s->sampler);
        return text;
    }
    z = store_zcompress(s->zdict, text, len, zlen);
    return z ? z : text;
}


/* The stored form of obj (of a key new to the store: is_new): text (len bytes) when given,
 * else obj printed. */
static store_obj *
obj_new(store *s, int is_new, const cJSON *obj, const char *text, size_t len)
{
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    const char *rv = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "resourceVersion"));
    const char *owner = controller_uid(obj);
    char       *json = text ? NULL : cJSON_PrintUnformatted(obj);
    size_t      rvlen, olen, zlen, blen;
    const char *body;
    store_obj  *o = NULL;
    char       *tail;

    if (!text && !json)
        return NULL;
    if (!text) {
        text = json;
        len = strlen(json);
    }
    rvlen = rv ? strlen(rv) : 0;
    olen = owner ? strlen(owner) + 1 : 0;
    body = body_of(s, is_new, text, len, &zlen);
    blen = zlen ? zlen : len;
    /* One block: header, body (text or compressed), resourceVersion, owner UID. */
    o = malloc(sizeof *o + blen + 1 + rvlen + 1 + olen);
    if (o) {
        memcpy(o->body, body, blen);
        o->body[blen] = '\0';
        o->len = len;
        o->zlen = zlen;
        o->zdict = zlen ? s->zdict : NULL;
        o->note[0] = '\0';
        tail = o->body + blen + 1;
        memcpy(tail, rv ? rv : "", rvlen + 1);
        o->rv = tail;
        tail += rvlen + 1;
        o->owner_uid = NULL;
        if (owner) {
            memcpy(tail, owner, olen);
            o->owner_uid = tail;
        }
    }
    cJSON_free(json);
    return o;
}


static size_t
obj_size(const store_obj *o)
{
    return sizeof *o + (o->zdict ? o->zlen : o->len) + 1 + strlen(o->rv) + 1 +
           (o->owner_uid ? strlen(o->owner_uid) + 1 : 0);
}


static int
put(store *s, const char *key, const cJSON *obj, const char *text, size_t len)
{
    entry       *e = NULL, *old = NULL;
    const char  *stable;
    const cJSON *labels;
    int          i, rc = CORE_ENOMEM;

    old = hmap_get(s->objects, key);
    e = calloc(1, sizeof *e);
    if (!e || !(e->obj = obj_new(s, !old, obj, text, len)))
        goto fail;
    labels =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "labels");
    for (i = 0; i < s->nlabels; i++) {
        const char *v =
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, s->labels[i].label));

        if (v && !(e->label_values[i] = strdup(v)))
            goto fail;
    }
    if (old) {
        stable = hmap_key(s->objects, key);
        unindex(s, stable, old);
        s->bytes -= obj_size(old->obj);
    }
    if (hmap_put(s->objects, key, e, NULL))
        goto fail_unindexed;
    entry_free(old);
    old = NULL;
    stable = hmap_key(s->objects, key);
    s->bytes += obj_size(e->obj);
    if (e->obj->owner_uid && set_add(s->owners, e->obj->owner_uid, stable))
        goto fail_indexed;
    for (i = 0; i < s->nlabels; i++)
        if (e->label_values[i] && set_add(s->labels[i].sets, e->label_values[i], stable))
            goto fail_indexed;
    return CORE_OK;
fail_indexed:
    /* Keep the store consistent: drop the half-indexed object entirely. */
    store_del(s, key);
    return CORE_ENOMEM;
fail_unindexed:
    if (old) {
        /* hmap_put left the map unchanged: file the old entry again. */
        stable = hmap_key(s->objects, key);
        s->bytes += obj_size(old->obj);
        if (old->obj->owner_uid)
            set_add(s->owners, old->obj->owner_uid, stable);
        for (i = 0; i < s->nlabels; i++)
            if (old->label_values[i])
                set_add(s->labels[i].sets, old->label_values[i], stable);
    }
fail:
    entry_free(e);
    return rc;
}


int
store_put(store *s, const char *key, const cJSON *obj)
{
    return put(s, key, obj, NULL, 0);
}


int
store_put_text(store *s, const char *key, const cJSON *obj, const char *json, size_t len)
{
    return json ? put(s, key, obj, json, len) : CORE_EINVAL;
}


int
store_del(store *s, const char *key)
{
    entry      *e = hmap_get(s->objects, key);
    const char *stable;

    if (!e)
        return CORE_ENOENT;
    stable = hmap_key(s->objects, key);
    unindex(s, stable, e);
    s->bytes -= obj_size(e->obj);
    hmap_del(s->objects, key, NULL);
    entry_free(e);
    return CORE_OK;
}


const store_obj *
store_get(const store *s, const char *key)
{
    entry *e = hmap_get(s->objects, key);

    return e ? e->obj : NULL;
}


int
store_note(store *s, const char *key, const char *note)
{
    entry *e = hmap_get(s->objects, key);
    size_t n = strlen(note);

    if (!e)
        return CORE_ENOENT;
    if (n > STORE_NOTE_MAX)
        return CORE_ETOOBIG;
    memcpy(e->obj->note, note, n + 1);
    return CORE_OK;
}


const char *
store_text(const store_obj *o, char **tmp)
{
    *tmp = NULL;
    if (!o)
        return NULL;
    if (!o->zdict)
        return o->body;
    if (!(*tmp = malloc(o->len + 1)))
        return NULL;
    if (store_zdecompress(o->zdict, o->body, o->zlen, *tmp, o->len) != CORE_OK) {
        free(*tmp);
        *tmp = NULL;
    }
    return *tmp;
}


cJSON *
store_parse(const store_obj *o)
{
    char       *tmp;
    const char *text = store_text(o, &tmp);
    cJSON      *tree = text ? cJSON_ParseWithLength(text, o->len) : NULL;

    free(tmp);
    return tree;
}


size_t
store_len(const store *s)
{
    return hmap_len(s->objects);
}


size_t
store_bytes(const store *s)
{
    return s->bytes;
}


void
store_each(const store *s, store_visit_cb fn, void *data)
{
    hmap_iter   it;
    const char *key;
    void       *v;

    hmap_iter_init(s->objects, &it);
    while (hmap_iter_next(s->objects, &it, &key, &v))
        fn(key, ((entry *)v)->obj, data);
}


static void
visit_set(const store *s, const key_set *ks, store_visit_cb fn, void *data)
{
    size_t i;

    for (i = 0; ks && i < ks->n; i++)
        fn(ks->keys[i], store_get(s, ks->keys[i]), data);
}


void
store_by_owner(const store *s, const char *uid, store_visit_cb fn, void *data)
{
    visit_set(s, hmap_get(s->owners, uid), fn, data);
}


void
store_by_label(const store *s, const char *label, const char *value, store_visit_cb fn, void *data)
{
    int i;

    for (i = 0; i < s->nlabels; i++)
        if (strcmp(s->labels[i].label, label) == 0)
            visit_set(s, hmap_get(s->labels[i].sets, value), fn, data);
}
