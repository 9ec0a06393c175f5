/* kjson_pool: read-only trees parsed into blocks that are freed together (see kjson.h). */
#include "core/core.h"
#include "kjson/kjson.h"

#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>

typedef struct block {
    struct block *next;
    size_t        size, used;
    max_align_t   data[]; /* size bytes */
} block;

struct kjson_pool {
    block *blocks; /* the first one is the one being filled */
    size_t bytes;
    size_t turns; /* kjson_pool_take's that succeeded */
    int    taken; /* kjson_pool_take */
};

/* cJSON allocates items (pointers and a double) and strings: 8-byte alignment serves both. */
#define ALIGN alignof(double)

/* The pool of the parse under way: cJSON's hooks take no context argument. */
static kjson_pool *parsing;


static void *
pool_alloc(size_t n)
{
    kjson_pool *p = parsing;
    block      *b;
    void       *at;

    if (!p || n > SIZE_MAX - sizeof *b - ALIGN)
        return NULL;
    n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    b = p->blocks;
    if (!b || b->size - b->used < n) {
        int    own = n > KJSON_POOL_BLOCK / 4;
        size_t size = own ? n : KJSON_POOL_BLOCK;

        if (!(b = malloc(sizeof *b + size)))
            return NULL;
        b->size = size;
        b->used = 0;
        p->bytes += size;
        /* A large item's own block goes behind the one being filled, which keeps its room. */
        if (own && p->blocks) {
            b->next = p->blocks->next;
            p->blocks->next = b;
        } else {
            b->next = p->blocks;
            p->blocks = b;
        }
    }
    at = (char *)b->data + b->used;
    b->used += n;
    return at;
}


/* cJSON frees only what a failed parse took: it stays in the pool until the pool goes. */
static void
pool_keep(void *ptr)
{
    (void)ptr;
}


int
kjson_pool_new(kjson_pool **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? CORE_OK : CORE_ENOMEM;
}


/* Points cJSON's hooks at p (NULL: cJSON's defaults); returns the pool they pointed at. */
static kjson_pool *
hooks_to(kjson_pool *p)
{
    static cJSON_Hooks pooled = {pool_alloc, pool_keep};
    kjson_pool        *was = parsing;

    parsing = p;
    cJSON_InitHooks(p ? &pooled : NULL); /* NULL: malloc, free and realloc again */
    return was;
}


cJSON *
kjson_pool_parse_end(kjson_pool *p, const char *json, size_t len, const char **end)
{
    kjson_pool *was;
    cJSON      *tree;

    if (!p || !json)
        return NULL;
    was = hooks_to(p);
    tree = cJSON_ParseWithLengthOpts(json, len, end, 0);
    hooks_to(was);
    return tree;
}


const cJSON *
kjson_pool_parse(kjson_pool *p, const char *json, size_t len)
{
    return kjson_pool_parse_end(p, json, len, NULL);
}


int
kjson_pool_edit(kjson_pool *p, int (*fn)(cJSON *tree, void *data), cJSON *tree, void *data)
{
    kjson_pool *was = hooks_to(p);
    int         rc = fn(tree, data);

    hooks_to(was);
    return rc;
}


int
kjson_pool_take(kjson_pool *p)
{
    if (!p || p->taken)
        return 0;
    p->taken = 1;
    p->turns++;
    return 1;
}


void
kjson_pool_give(kjson_pool *p)
{
    block *b, *next, *keep = NULL;

    if (!p)
        return;
    for (b = p->blocks; b; b = next) {
        next = b->next;
        if (!keep && b->size == KJSON_POOL_BLOCK) {
            keep = b;
            continue;
        }
        free(b);
    }
    p->blocks = keep;
    p->bytes = 0;
    if (keep) {
        keep->next = NULL;
        keep->used = 0;
        p->bytes = keep->size;
    }
    p->taken = 0;
}


size_t
kjson_pool_turns(const kjson_pool *p)
{
    return p ? p->turns : 0;
}


size_t
kjson_pool_bytes(const kjson_pool *p)
{
    return p ? p->bytes : 0;
}


void
kjson_pool_free(kjson_pool *p)
{
    block *b, *next;

    if (!p)
        return;
    for (b = p->blocks; b; b = next) {
        next = b->next;
        free(b);
    }
    free(p);
}
