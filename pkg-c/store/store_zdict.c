#include "store_zdict.h"

#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "core/core.h"


struct store_zdict {
    ZSTD_CDict *cdict;
    size_t      len;
    char        bytes[]; /* the samples: the decompressor's prefix */
};

/* Shared by every dictionary (see the header): made with the first, freed with the last. */
static struct {
    ZSTD_CCtx *cctx;
    ZSTD_DCtx *dctx;
    void      *scratch;
    size_t     cap;
    int        users;
} zs;


int
store_zsampler_full(const store_zsampler *sm)
{
    return sm->len == STORE_ZDICT_BYTES || sm->objs >= STORE_ZDICT_OBJS;
}


void
store_zsample(store_zsampler *sm, const char *text, size_t len)
{
    size_t room = STORE_ZDICT_BYTES - sm->len;
    char  *buf;

    if (len > room)
        len = room;
    if (!(buf = realloc(sm->buf, sm->len + len + 1)))
        return;
    sm->buf = buf;
    memcpy(sm->buf + sm->len, text, len);
    sm->len += len;
    sm->objs++;
}


static void
contexts_drop(void)
{
    if (--zs.users > 0)
        return;
    ZSTD_freeCCtx(zs.cctx);
    ZSTD_freeDCtx(zs.dctx);
    free(zs.scratch);
    memset(&zs, 0, sizeof zs);
}


store_zdict *
store_zdict_freeze(store_zsampler *sm)
{
    store_zdict *d = malloc(sizeof *d + sm->len);

    zs.users++;
    if (!zs.cctx)
        zs.cctx = ZSTD_createCCtx();
    if (!zs.dctx)
        zs.dctx = ZSTD_createDCtx();
    if (d) {
        memcpy(d->bytes, sm->buf, sm->len);
        d->len = sm->len;
        d->cdict = ZSTD_createCDict(d->bytes, d->len, STORE_ZDICT_LEVEL);
    }
    free(sm->buf);
    memset(sm, 0, sizeof *sm);
    if (d && d->cdict && zs.cctx && zs.dctx)
        return d;
    if (d)
        ZSTD_freeCDict(d->cdict);
    free(d);
    contexts_drop();
    return NULL;
}


void
store_zdict_free(store_zdict *d)
{
    if (!d)
        return;
    ZSTD_freeCDict(d->cdict);
    free(d);
    contexts_drop();
}


const void *
store_zcompress(const store_zdict *d, const char *src, size_t len, size_t *zlen)
{
    size_t need = ZSTD_compressBound(len), n;

    if (len > STORE_ZDICT_MAX_OBJ)
        return NULL;
    if (need > zs.cap) {
        void *p = realloc(zs.scratch, need);

        if (!p)
            return NULL;
        zs.scratch = p;
        zs.cap = need;
    }
    n = ZSTD_compress_usingCDict(zs.cctx, zs.scratch, zs.cap, src, len, d->cdict);
    if (ZSTD_isError(n) || n >= len)
        return NULL;
    *zlen = n;
    return zs.scratch;
}


int
store_zdecompress(const store_zdict *d, const void *src, size_t zlen, char *dst, size_t len)
{
    size_t n;

    if (!zs.dctx)
        return CORE_ENOMEM;
    /* Room for one byte more than expected: a frame that holds more is caught, not cut. */
    n = ZSTD_decompress_usingDict(zs.dctx, dst, len + 1, src, zlen, d->bytes, d->len);
    if (ZSTD_isError(n) || n != len)
        return CORE_EINVAL;
    dst[len] = '\0';
    return CORE_OK;
}
