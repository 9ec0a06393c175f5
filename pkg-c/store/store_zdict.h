/*
 * store_zdict: the store's compression of cached JSON (internal to pkg-c/store).
 *
 * Objects of one resource are alike: the same keys, labels, images, probes, the namespace's
 * CA certificate. zstd with a raw-content dictionary (zstd.h, "Dictionary": any bytes may
 * serve as one) made of the first objects a store saw compresses the next ones 4 to 20
 * times (a StatefulSet of 4.7 KB to about 250 bytes), where each alone would barely halve.
 *
 * A sampler gathers the text of the first objects put (each key once); once it holds
 * STORE_ZDICT_BYTES, or STORE_ZDICT_OBJS objects, and the store holds STORE_ZDICT_MIN_OBJS,
 * it is frozen into a dictionary that never changes, so whatever was compressed with it stays
 * readable for the store's life. The dictionary keeps those first objects' text as long:
 * for the Secrets' cache, their data too, after the Secrets are gone. One compression and
 * one decompression context serve every dictionary of the process: they exist while any
 * dictionary does. Objects over STORE_ZDICT_MAX_OBJ bytes are not compressed (zstd's
 * state would grow to their size and stay so). Single-threaded, as the store: the event
 * loop's thread only.
 */
#ifndef DBAAS_STORE_ZDICT_H
#define DBAAS_STORE_ZDICT_H

#include <stddef.h>

#define STORE_ZDICT_BYTES    (16 * 1024)
#define STORE_ZDICT_OBJS     32
#define STORE_ZDICT_MIN_OBJS 64
#define STORE_ZDICT_MAX_OBJ  (64 * 1024)
/* zstd's level: -1, the first of its fast levels (zstd.h: negative levels, down to
 * ZSTD_minCLevel(), trade ratio for speed). On the objects of 200 DBInstances, against level
 * 1: compressed in about half the time and read back in a tenth to a quarter of it, for up
 * to 28 % more bytes, about 480 a DBInstance (test/bench/CHANGES.md, seventeenth round;
 * make bench-zdict). A cache put is on the watch's path, and a reconcile reads each child
 * it checks. */
#define STORE_ZDICT_LEVEL    (-1)

typedef struct store_zdict store_zdict;

typedef struct {
    char  *buf; /* the samples, grown with each (at most STORE_ZDICT_BYTES); NULL before */
    size_t len, objs;
} store_zsampler;

/* Adds the first bytes of text (as many as still fit) to the sampler; when memory runs out,
 * the sample is skipped. */
void store_zsample(store_zsampler *sm, const char *text, size_t len);

/* 1 when the sampler holds STORE_ZDICT_BYTES or STORE_ZDICT_OBJS samples (enough to freeze),
 * else 0. */
int store_zsampler_full(const store_zsampler *sm);

/*
 * The dictionary made of the sampler's bytes, for STORE_ZDICT_LEVEL, or NULL on no memory.
 * The sampler is emptied either way (after a failure, sampling may start again). Free with
 * store_zdict_free.
 */
store_zdict *store_zdict_freeze(store_zsampler *sm);

/* Frees the dictionary, and the shared contexts with the last one; NULL is ignored. */
void store_zdict_free(store_zdict *d);

/*
 * Compresses the len bytes at src with d. Returns the compressed bytes in a scratch buffer
 * the next call reuses (the caller copies them out at once), with their count in *zlen; NULL
 * when len is over STORE_ZDICT_MAX_OBJ, when compressing does not make them smaller, or on
 * error (no memory): the caller keeps the text as it is.
 */
const void *store_zcompress(const store_zdict *d, const char *src, size_t len, size_t *zlen);

/*
 * Decompresses zlen bytes at src (from store_zcompress with d) into dst, which has room for
 * len bytes and a NUL; NUL-terminates it. CORE_OK, or CORE_EINVAL when the data does not
 * decompress to exactly len bytes (the frames carry no checksum: damage inside one may give
 * other text of the same length), CORE_ENOMEM when there is no context.
 */
int store_zdecompress(const store_zdict *d, const void *src, size_t zlen, char *dst, size_t len);

#endif
