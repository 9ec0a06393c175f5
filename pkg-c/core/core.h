/*
 * core: what every dbaas-operator module shares.
 *
 * - One error enum. Functions return CORE_OK (0) or a negative core_err.
 * - core_buf: a growable byte buffer with a hard cap. On any failure the buffer frees
 *   itself, so a caller that sees an error has nothing left to clean up.
 * - core_b64_decode: strict base64 (standard alphabet, padding optional, whitespace skipped).
 *
 * Nothing here prints, exits or blocks.
 */
#ifndef DBAAS_CORE_H
#define DBAAS_CORE_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    CORE_OK = 0,
    CORE_ENOMEM = -1,     /* allocation failed */
    CORE_EINVAL = -2,     /* bad argument or malformed input */
    CORE_ETOOBIG = -3,    /* a bounded buffer would exceed its cap */
    CORE_ENOENT = -4,     /* a named file, key or object does not exist */
    CORE_EIO = -5,        /* reading or writing a file failed */
    CORE_ETLS = -6,       /* TLS handshake or certificate verification failed */
    CORE_ECONN = -7,      /* could not connect, or the connection broke */
    CORE_ETIMEDOUT = -8,  /* a request ran out of time */
    CORE_EHTTP = -9,      /* the server answered with an unexpected HTTP status */
    CORE_EPROTO = -10,    /* the server's answer could not be understood */
    CORE_ECANCELED = -11, /* the operation was cancelled before it finished */
    CORE_EINTERNAL = -12, /* a library we call failed in a way we do not expect */
    CORE_EAUTH = -13,     /* credentials could not be obtained (token file, exec plugin) */
    CORE_ECONFLICT = -14  /* 409: the object changed since it was read; requeue with fresh state */
} core_err;

/* A short, static, human-readable name for an error code; never NULL. */
const char *core_strerror(int err);

/* Writes a printf-formatted message to msg (cut to len; nothing when msg is NULL or len 0)
 * and returns rc: "return core_errf(msg, len, CORE_EINVAL, "spec.x: ...", ...);". */
int core_errf(char *msg, size_t len, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

typedef struct {
    char  *data; /* NUL-terminated when non-NULL; owned by the buffer */
    size_t len;
    size_t cap; /* allocated bytes */
    size_t max; /* hard cap on len */
} core_buf;

/* Sets up an empty buffer that may hold at most max bytes. Allocates nothing. */
void core_buf_init(core_buf *b, size_t max);

/* Appends n bytes. On CORE_ETOOBIG or CORE_ENOMEM the buffer is freed and emptied. */
int core_buf_add(core_buf *b, const void *p, size_t n);

/* Appends printf-formatted text, under the same rules as core_buf_add. */
int core_buf_printf(core_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Hands the data to the caller (who frees it with free()) and empties the buffer. */
char *core_buf_take(core_buf *b);

void core_buf_reset(core_buf *b);
void core_buf_free(core_buf *b);

/*
 * Decodes base64 text of length n into a new allocation (*out, *outlen). Whitespace is
 * skipped; any other character outside the alphabet, bad padding or a truncated
 * quantum gives CORE_EINVAL. *out is NUL-terminated for convenience. Caller frees *out.
 */
int core_b64_decode(const char *in, size_t n, unsigned char **out, size_t *outlen);

/*
 * Reads a whole file of at most max bytes into a NUL-terminated allocation.
 * For start-up configuration only: it uses blocking stdio.
 */
int core_read_file(const char *path, size_t max, char **out, size_t *outlen);

/*
 * Appends s percent-encoded (RFC 3986 section 2.1): the unreserved characters (ALPHA,
 * DIGIT, "-", ".", "_", "~") as they are, every other byte as %XX with upper-case hex.
 * Right for a URI's userinfo and path segments and for query values. Buffer rules as
 * core_buf_add (CORE_ETOOBIG, CORE_ENOMEM free it).
 */
int core_pct_encode(core_buf *b, const char *s);

/*
 * 1 when enc (n bytes, not NUL-terminated) is exactly s percent-encoded as core_pct_encode
 * would write it, else 0; compares in place and builds no copy, so a secret compared this
 * way leaves nothing behind in freed memory.
 */
int core_pct_equal(const char *enc, size_t n, const char *s);

/* The current UTC time as RFC 3339 seconds ("2026-11-23T09:45:00Z"), as metav1.Time wants. */
void core_now_rfc3339(char *buf, size_t len);

/*
 * The clock of schedules (core_clock.c): Unix seconds now, plus DBAAS_CLOCK_OFFSET_SECONDS
 * when that environment variable is set, read once at the first call (thread-safe). For tests
 * only: an integration test starts the operator with an offset a day later than the last
 * start, so a day of a schedule passes in seconds. Only scheduled backups read it; conditions,
 * Events, leases and token expiry keep the real clock.
 */
int64_t core_clock_now(void);

/* The offset core_clock_now adds (0 when unset); CORE_EINVAL when the variable is set but
 * is not a whole number of seconds within 100 years (then 0 is used), for a start-up log. */
int core_clock_offset(int64_t *secs);

/* Unix seconds as RFC 3339 UTC seconds ("2026-11-30T03:00:00Z"), as metav1.Time writes them;
 * buf holds at least 21 bytes. CORE_EINVAL for a year outside 1..9999. */
int core_rfc3339_format(int64_t t, char *buf, size_t len);

/* RFC 3339 ("2026-11-30T03:00:00Z", fractions ignored, "+02:00" offsets applied) to Unix
 * seconds. CORE_EINVAL for anything else. */
int core_rfc3339_parse(const char *s, int64_t *out);

#endif
