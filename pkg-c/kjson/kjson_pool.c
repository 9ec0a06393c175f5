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


const cJSON *
kjson_pool_parse(kjson_pool *p, const char *json, size_t len)
{
    cJSON_Hooks hooks = {pool_alloc, pool_keep};
    cJSON      *tree;

    if (!p || !json)
        return NULL;
    parsing = p;
    cJSON_InitHooks(&hooks);
    tree = cJSON_ParseWithLength(json, len);
    cJSON_InitHooks(NULL); /* malloc, free and realloc again */
    parsing = NULL;
    return tree;
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
