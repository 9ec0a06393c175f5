/*
 * wstream: an incremental parser for Kubernetes watch responses (GET ...?watch=1).
 *
 * The body is newline-delimited JSON, one event per line:
 *     {"type":"ADDED"|"MODIFIED"|"DELETED"|"BOOKMARK"|"ERROR","object":{...}}
 * libcurl hands it over in arbitrary chunks: an event may span many chunks, a chunk may hold
 * many events and the head of another. ws_feed takes each chunk as it comes and calls the
 * event callback once per complete line, in order.
 *
 * Cost is linear in the input: every byte is scanned for '\n' once and checked as UTF-8 once.
 * A line that lies wholly inside one chunk is parsed in place (zero copy); only the partial
 * line at a chunk's end is copied, into a buffer of at most max_line bytes.
 *
 * Any error means "end this watch and relist": the stream can no longer be trusted.
 *   CORE_ETOOBIG  a line is longer than max_line bytes (its '\n' not counted, a '\r' counted);
 *                 found as soon as the partial line passes the cap, before its end arrives
 *   CORE_EPROTO   a line is not valid UTF-8, holds a raw control character, is not one JSON
 *                 object (syntax, nesting deeper than cJSON's limit of 1000), has a missing or
 *                 unknown "type", or an "object" that is missing or not a JSON object;
 *                 also a stream that ends in the middle of a line (ws_finish)
 *   CORE_ENOMEM   an allocation failed
 *   CORE_EINVAL   the callback returned WS_TAKE for an event parsed into a pool
 *   < 0           whatever the event callback returned to stop the stream
 * Errors are sticky: once ws_feed or ws_finish has failed, both return the same code again
 * until ws_reset. ws_errmsg says what went wrong, with the line number.
 *
 * Lines that are empty or hold only blanks (space, tab, CR) are skipped; a CR before the
 * '\n' is tolerated. Numbers are cJSON doubles: 1e400 or a 30-digit integer is kept, not
 * rejected (exact int64 values are for the caller to read from the text if it needs them).
 *
 * Ownership: the caller allocates the ws_parser (often inside its own struct) and releases
 * it with ws_free. Events and the cJSON trees in them belong to the parser and are freed
 * when the callback returns, unless the callback returns WS_TAKE (not for an event parsed
 * into a pool, ws_parser.pool): then ev->object (only the
 * "object" member, already detached from the event's envelope) belongs to the callback,
 * which frees it with cJSON_Delete. A store keeps objects this way without copying them.
 * The callback must not call ws_feed, ws_finish, ws_reset or ws_free on its own parser
 * (ws_feed and ws_finish refuse with CORE_EINVAL); to stop, it returns a negative code.
 * Nothing here prints or blocks. One parser per stream; one thread at a time (cJSON keeps
 * its last parse error in a global, and a parse into a pool points cJSON's process-wide
 * allocation hooks at it meanwhile).
 */
#ifndef DBAAS_WSTREAM_H
#define DBAAS_WSTREAM_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "core/core.h"
#include "kjson/kjson.h"

/* A sane cap for max_line: Kubernetes refuses objects over 1.5 MiB; allow for escaping. */
#define WS_DEFAULT_MAX_LINE (8u * 1024 * 1024)

/* Returned by the event callback to take ownership of ev->object. */
#define WS_TAKE 1

typedef enum {
    WS_ADDED = 1,
    WS_MODIFIED,
    WS_DELETED,
    WS_BOOKMARK,
    WS_ERROR
} ws_type;

typedef struct {
    ws_type     type;
    cJSON      *object; /* the "object" member; always a JSON object */
    /*
     * The fields below point into object: they stay valid while object lives, that is
     * until the callback returns, or for as long as the callback keeps it (WS_TAKE).
     */
    const char *resource_version; /* object.metadata.resourceVersion, or NULL; for a
                                     BOOKMARK this is the whole point of the event */
    int         code;             /* ERROR: the Status's HTTP code (410: relist); 0 when
                                     absent or not a number in 0..999, and for other types */
    const char *reason;           /* ERROR: Status.reason ("Expired", "Gone"), or NULL */
    const char *message;          /* ERROR: Status.message, or NULL */
    /* The text object was parsed from (managedFields left out), object_len bytes, not NUL-
     * terminated, valid until the callback returns; NULL when not known. */
    const char *object_text;
    size_t      object_len;
    /* The pool object was parsed into (ws_parser.pool), or NULL for a tree on the heap:
     * the callback changes object only through kjson_pool_edit(pool, ...). */
    kjson_pool *pool;
} ws_event;

/*
 * Called once per event. Returns 0 (the parser frees the event), WS_TAKE (the callback
 * keeps ev->object; only when ev->pool is NULL: a pooled object is gone once the callback
 * returns, and WS_TAKE then fails the stream with CORE_EINVAL) or a negative code (the
 * parser frees the event, stops, and ws_feed returns that code).
 */
typedef int (*ws_event_cb)(ws_event *ev, void *data);

typedef struct {
    core_buf      line; /* the partial line carried from one chunk to the next */
    size_t        max_line;
    ws_event_cb   on_event;
    void         *data;   /* for the callback; the parser never touches it */
    unsigned long lineno; /* lines completed in this stream, for messages */
    unsigned long events; /* events delivered in this stream */
    int           err;    /* sticky error, CORE_OK while healthy */
    int           in_callback;
    char          errmsg[160];
    /* NULL (ws_init): events are parsed on the heap. Else the caller's pool (kjson.h), which
     * the parser takes for each event (kjson_pool_take) and gives back when the callback has
     * returned; while someone else has it taken, the event is parsed on the heap. Events
     * parsed into it cannot be taken (WS_TAKE fails the stream with CORE_EINVAL). */
    kjson_pool   *pool;
} ws_parser;

/* Sets up p. Allocates nothing; max_line 0 means WS_DEFAULT_MAX_LINE. */
void ws_init(ws_parser *p, size_t max_line, ws_event_cb on_event, void *data);

/*
 * Consumes n bytes of the stream, calling on_event for each complete line. Returns CORE_OK,
 * or an error (see above) after which the watch is to be ended.
 */
int ws_feed(ws_parser *p, const char *chunk, size_t n);

/*
 * Ends the stream. A last line without '\n' is delivered if it is a complete, valid event
 * (a JSON object cannot be valid before its closing brace arrives), otherwise the stream
 * was cut and this returns CORE_EPROTO. On success the parser is empty and ready for
 * another stream, as after ws_reset.
 */
int ws_finish(ws_parser *p);

/* Forgets the partial line, any error and the counts, for a new stream; frees the buffer. */
void ws_reset(ws_parser *p);

/* Frees the buffer. p itself is the caller's; ws_init makes it usable again. */
void ws_free(ws_parser *p);

/* What went wrong, after an error; "" otherwise. Never NULL. */
const char *ws_errmsg(const ws_parser *p);

/* "ADDED", "MODIFIED", ... ; "UNKNOWN" for anything else. */
const char *ws_type_name(ws_type t);

/*
 * Checks that s[0..n) is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates,
 * nothing above U+10FFFF, no truncated sequence) and holds no control character below
 * 0x20 other than tab and CR, which JSON text never carries raw. Returns 1 when it does;
 * else 0, with the offset of the first offending byte in *bad (when bad is not NULL).
 */
int ws_text_valid(const char *s, size_t n, size_t *bad);

#endif
