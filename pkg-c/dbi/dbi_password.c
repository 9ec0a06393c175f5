/*
 * dbi: the passwords we take from a Secret (ours, or the one credentialsSecretRef names),
 * checked before they reach an environment variable or a uri, and the test that tells a
 * hand-edited password from the one our uri was built with. Pure: no I/O, no logging;
 * messages name the key, a length or a byte, never the value.
 */
#include "dbi.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/core.h"


int
dbi_password_check(const char *key, const unsigned char *p, size_t n, char *err, size_t errlen)
{
    size_t i;

    if (n == 0) {
        snprintf(err, errlen, "%s is empty", key);
        return CORE_EINVAL;
    }
    if (n > DBI_PASSWORD_MAX) {
        snprintf(err, errlen, "%s is %zu bytes; at most %d", key, n, DBI_PASSWORD_MAX);
        return CORE_EINVAL;
    }
    if (p[n - 1] == '\n') {
        snprintf(err, errlen,
                 "%s ends with a newline (kubectl create secret --from-file keeps the one at the "
                 "end of the file); write the file without it (printf '%%s') or use --from-literal",
                 key);
        return CORE_EINVAL;
    }
    for (i = 0; i < n; i++) {
        if (p[i] < 0x20 || p[i] == 0x7f) {
            snprintf(err, errlen,
                     "%s holds byte 0x%02x, a control character; 0x00-0x1f and 0x7f cannot be used "
                     "in a password",
                     key, p[i]);
            return CORE_EINVAL;
        }
    }
    return CORE_OK;
}


/* The password segment of "<scheme>://<user>:<password>@...", or NULL; *n its length.
 * The user and password are percent-encoded, so the first ':' and '@' delimit them. */
static const char *
uri_password(const char *uri, size_t *n)
{
    const char *start = uri ? strstr(uri, "://") : NULL;
    const char *at, *colon;

    if (!start)
        return NULL;
    start += 3;
    at = strchr(start, '@');
    colon = at ? memchr(start, ':', (size_t)(at - start)) : NULL;
    if (!colon)
        return NULL;
    *n = (size_t)(at - colon - 1);
    return colon + 1;
}


int
dbi_uri_has_password(const char *uri, const char *password)
{
    const char *seg;
    size_t      n = 0;

    seg = uri_password(uri, &n);
    return seg && password && core_pct_equal(seg, n, password);
}
