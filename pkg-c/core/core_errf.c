/*
 * core_errf: a message for the caller and an error code in one return (core.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "core/core.h"


int
core_errf(char *msg, size_t len, int rc, const char *fmt, ...)
{
    va_list ap;

    if (msg && len) {
        va_start(ap, fmt);
        vsnprintf(msg, len, fmt, ap);
        va_end(ap);
    }
    return rc;
}
