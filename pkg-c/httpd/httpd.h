/*
 * httpd: the operator's own small HTTP/1.1 server for /metrics, /healthz and /readyz,
 * on the caller's libuv loop.
 *
 *   GET /metrics  200, body from the metrics callback (500 if it fails; 404 without one)
 *   GET /healthz  200 "ok" as long as the loop runs
 *   GET /readyz   200 "ok" when the ready callback says so (or there is none), else 503
 *                 with the callback's short reason
 *   other paths   404; any method but GET: 405; a malformed request: 400;
 *   headers over HTTPD_MAX_HEADER bytes: 431
 *
 * One request per connection: every response says Connection: close, and the server
 * closes after sending it. A request body is ignored. A connection lives at most
 * idle_timeout_ms from accept to close, however slowly the client sends or reads, and
 * at most max_conns are open at once (more are accepted and closed at once).
 *
 * Ownership: httpd_start allocates the server; httpd_close ends it and frees everything
 * from libuv close callbacks, then calls its callback: keep running the loop until then.
 * Callbacks run on the loop thread and must not block. They may call httpd_close.
 *
 * The process must ignore SIGPIPE (signal(SIGPIPE, SIG_IGN)): libuv writes to sockets
 * with write(2), and a client that goes away would otherwise kill the process.
 */
#ifndef DBAAS_HTTPD_H
#define DBAAS_HTTPD_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "core/core.h"

#define HTTPD_MAX_HEADER      8192                /* request line and headers */
#define HTTPD_MAX_BODY        (16u * 1024 * 1024) /* a response body */
#define HTTPD_DEFAULT_CONNS   64
#define HTTPD_DEFAULT_TIMEOUT 10000 /* ms */
#define HTTPD_MAX_REASON      256   /* bytes of a /readyz reason */

typedef struct httpd httpd;

/*
 * Fills body (initialised empty with cap HTTPD_MAX_BODY; e.g. with metrics_render) and
 * returns CORE_OK, or an error for a 500. *content_type is preset to the Prometheus text
 * format ("text/plain; version=0.0.4; charset=utf-8") and may be pointed at another
 * string that outlives the call. The server frees body.
 */
typedef int (*httpd_metrics_fn)(void *data, core_buf *body, const char **content_type);

/*
 * Returns nonzero when ready. When not, writes a short reason (at most len bytes with
 * the NUL) for the 503 body; "not ready" is used when it writes nothing.
 */
typedef int (*httpd_ready_fn)(void *data, char *reason, size_t len);

typedef void (*httpd_close_cb)(void *data);

typedef struct {
    const char      *host; /* "127.0.0.1", "0.0.0.0", "::1", "::"; NULL: 0.0.0.0 */
    int              port; /* 0: an ephemeral port, see httpd_port */
    httpd_metrics_fn metrics;
    void            *metrics_data;
    httpd_ready_fn   ready;
    void            *ready_data;
    unsigned         max_conns;       /* 0: HTTPD_DEFAULT_CONNS */
    uint64_t         idle_timeout_ms; /* 0: HTTPD_DEFAULT_TIMEOUT */
} httpd_config;

/*
 * Binds, listens and starts accepting on loop. The host must be a numeric address (no
 * name lookups on the loop); cfg is not kept. On failure *out is NULL, err holds one
 * line (e.g. "listen on 0.0.0.0:8080: Address already in use") and the caller has
 * nothing to free. CORE_EINVAL for a bad address, CORE_EIO when the socket cannot be
 * bound or listened on, CORE_ENOMEM.
 */
int httpd_start(uv_loop_t *loop, const httpd_config *cfg, httpd **out, char *err, size_t errlen);

/* The port actually bound (useful with port 0). */
int httpd_port(const httpd *s);

/*
 * Stops listening, drops every open connection (responses in flight are cut), and frees
 * the server once the loop has run the close callbacks; cb (may be NULL) runs after that.
 * Call once; the server must not be used afterwards.
 */
void httpd_close(httpd *s, httpd_close_cb cb, void *data);

/*
 * Splits a bind address flag: ":8080" -> "0.0.0.0", 8080; "127.0.0.1:9090";
 * "[::1]:8080" -> "::1". The port must be 0..65535. CORE_EINVAL otherwise,
 * CORE_ETOOBIG when host does not fit in hostlen.
 */
int httpd_split_addr(const char *addr, char *host, size_t hostlen, int *port);

#endif
