/*
 * log: structured, one-line-per-event logs on the operator's stderr.
 *
 * This is the only module that writes to the log stream. Every line carries ts (RFC 3339,
 * UTC, milliseconds), level and msg; optionally controller, key (the object's
 * namespace/name, on every reconcile line) and extra key/value string pairs.
 *
 *   JSON (default): {"ts":"2026-11-23T09:00:00.123Z","level":"info","msg":"created",
 *                    "controller":"dbinstance","key":"team-a/orders","kind":"Secret"}
 *   text:           2026-11-23T09:00:00.123Z INFO  created controller=dbinstance key=team-a/orders kind=Secret
 *
 * A JSON line is always exactly one valid JSON object on one line: quotes, backslashes and
 * control characters are escaped and invalid UTF-8 becomes U+FFFD. A line is at most
 * LOG_LINE_MAX bytes; a single value is cut at LOG_VALUE_MAX bytes ("..." appended); a line
 * that had to be cut gets "truncated":true (text: truncated=true).
 *
 * SECRETS: callers must never pass Secret data, passwords, tokens, private keys or whole
 * objects as a message or value. This module deliberately offers nothing that dumps an
 * object; log names, keys, reasons and error codes only.
 *
 * Writing: each line is formatted completely into a stack buffer and handed to the kernel
 * with one write(2) (retried only for EINTR and short writes). stderr is allowed to block
 * briefly, so logging from the loop thread is accepted; on a non-blocking descriptor that
 * stays full for ~100 ms the line is dropped and counted (log_dropped) rather than blocking
 * the loop longer. The logging calls are safe from any thread (no shared mutable buffer);
 * call log_init before starting threads. Nothing here allocates.
 */
#ifndef DBAAS_LOG_H
#define DBAAS_LOG_H

#include <stddef.h>

#define LOG_LINE_MAX   16384 /* bytes in one line, newline included */
#define LOG_VALUE_MAX  4096  /* input bytes of one msg or value before it is cut */
#define LOG_MAX_FIELDS 32    /* extra key/value pairs per line; more are ignored */

typedef enum {
    LOG_DEBUG = 0,
    LOG_INFO = 1,
    LOG_WARN = 2,
    LOG_ERROR = 3
} log_level;

typedef enum {
    LOG_JSON = 0,
    LOG_TEXT = 1
} log_format;

/* One extra key/value pair. A NULL value is written as JSON null (text: key=null). */
typedef struct {
    const char *key;
    const char *value;
} log_field;

/*
 * Sets the format, the lowest level written and the descriptor lines go to (normally 2).
 * The descriptor stays the caller's. Before any call the defaults are JSON, info, fd 2.
 * Returns CORE_EINVAL for an unknown format or level or a negative fd.
 */
int log_init(log_format format, log_level level, int fd);

/* "debug", "info", "warn"/"warning", "error" (any case); CORE_EINVAL otherwise. */
int log_level_parse(const char *s, log_level *out);

/* "json" or "text" (any case); CORE_EINVAL otherwise. */
int log_format_parse(const char *s, log_format *out);

/* "debug", "info", "warn", "error"; "unknown" for anything else. */
const char *log_level_name(log_level level);

/* Nonzero when a line at this level would be written: skip costly field preparation. */
int log_enabled(log_level level);

/* Lines that could not be written (descriptor full or broken) since start. */
unsigned long log_dropped(void);

/*
 * Writes one line. controller and key may be NULL (then left out), as may msg ("").
 * Extra field names that would collide with ts, level, msg, controller, key or truncated
 * are written with a leading underscore (e.g. "_msg"). The strings are only read during
 * the call.
 */
void log_fields(log_level level, const char *controller, const char *key, const char *msg,
                const log_field *fields, size_t nfields);

/*
 * The same with extra fields as a list of const char * key, value pairs ending with NULL:
 *   log_kv(LOG_WARN, "watch restarted", "resource", "pods", "reason", "410 Gone", NULL);
 * The list ends at the first NULL key; a NULL value is logged as null and also ends it.
 */
void log_kv(log_level level, const char *msg, ...) __attribute__((sentinel));

/* For reconcile lines: controller and key (namespace/name) on every line. */
void log_obj(log_level level, const char *controller, const char *key, const char *msg, ...)
    __attribute__((sentinel));

#define log_debug(...) log_kv(LOG_DEBUG, __VA_ARGS__, (const char *)NULL)
#define log_info(...)  log_kv(LOG_INFO, __VA_ARGS__, (const char *)NULL)
#define log_warn(...)  log_kv(LOG_WARN, __VA_ARGS__, (const char *)NULL)
#define log_error(...) log_kv(LOG_ERROR, __VA_ARGS__, (const char *)NULL)

#endif
