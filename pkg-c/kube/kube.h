/*
 * kube: an asynchronous HTTP client for the Kubernetes API on a libuv loop.
 *
 * One libcurl multi handle, driven by libuv poll and timer handles, carries every request.
 * HTTP/2 is negotiated over TLS and requests wait for a multiplexed stream (PIPEWAIT), so
 * they share one connection; libcurl opens another only past the server's stream limit.
 * While no connection is known to work (none has answered yet, or the last one failed),
 * one request opens it and the others wait for its answer; if it fails to connect (reset,
 * refused, TLS), the waiting requests end with its error (CORE_ECONN or CORE_ETLS) rather
 * than each opening a connection of its own.
 * TLS is always verified: against the kubeconfig's CA, else the system's. Client
 * certificates and keys are handed to libcurl from memory.
 *
 * Credentials: a static token, a token file (re-read every 60 s and after a 401, so a
 * rotated token is used without a restart), or an exec plugin (run with uv_spawn when the
 * client first needs a token, again before the token expires and after a 401). Requests
 * made while credentials are being fetched wait for them.
 *
 * Retries: a 429, or a 503 with Retry-After, is retried after the delay the server asks for
 * (capped at 30 s), at most 3 times. Other failures go to the caller.
 *
 * Ownership: the client copies what it needs from the kcfg; the caller may free that after
 * kube_client_new. Callbacks run on the loop thread, never inside kube_request. After
 * kube_cancel the callback is never called. kube_client_close finishes every request still
 * open with CORE_ECANCELED and frees the client from libuv close callbacks: keep running
 * the loop until it returns.
 */
#ifndef DBAAS_KUBE_H
#define DBAAS_KUBE_H

#include <stddef.h>
#include <uv.h>

#include "kubeconfig/kubeconfig.h"

/* A buffered response body may be at most this large unless the request says otherwise. */
#define KUBE_MAX_BODY (64u * 1024 * 1024)

typedef struct kube_client kube_client;
typedef struct kube_call   kube_call;

typedef struct {
    int         err;    /* CORE_OK when an HTTP answer arrived, whatever its status */
    long        status; /* HTTP status, 0 without an answer */
    const char *body;   /* NUL-terminated; valid only during the callback; "" when streamed */
    size_t      body_len;
    const char *message;      /* one line describing err; "" when err is CORE_OK */
    int         http_version; /* 2 for HTTP/2, 1 for HTTP/1.x, 0 unknown */
} kube_response;

typedef void (*kube_done_cb)(const kube_response *res, void *data);

/*
 * Receives the body of a 2xx answer as it arrives, for watches. Returns CORE_OK to go on or
 * a negative code to end the request, which then completes with that code as res->err.
 */
typedef int (*kube_data_cb)(const char *p, size_t n, void *data);

typedef struct {
    const char  *method;       /* "GET" when NULL */
    const char  *path;         /* starts with '/', query already escaped */
    const char  *content_type; /* for a body; "application/json" when NULL */
    /* The Accept header's value; "application/json" when NULL. A metadata-only list or
     * watch asks "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
     * (Kubernetes API concepts, "Receiving resources as Tables or metadata"). Copied. */
    const char  *accept;
    const char  *body; /* copied; may be NULL */
    size_t       body_len;
    long         timeout_ms; /* 0: the client's default (30 s); -1: none (watches) */
    size_t       max_body;   /* 0: KUBE_MAX_BODY */
    kube_data_cb on_data;    /* stream a 2xx body here instead of buffering it */
} kube_req;

/*
 * Told of every answer (or failure, status 0): for request metrics and the debug log. path is
 * the request's path and query (borrowed, valid during the call; "" when unknown).
 */
typedef void (*kube_observer_cb)(const char *method, const char *path, long status, void *data);

/*
 * Creates a client for cfg on loop. On failure *out is NULL and err holds one line.
 */
int kube_client_new(uv_loop_t *loop, const kcfg *cfg, kube_client **out, char *err, size_t errlen);

/*
 * Starts a request. cb runs exactly once when it ends, unless this returns an error or the
 * call is cancelled. *call (when call is not NULL) identifies it for kube_cancel and is
 * valid until cb starts.
 */
int kube_request(kube_client *c, const kube_req *req, kube_done_cb cb, void *data, kube_call **call);

/*
 * Stops a request; its callback is not called. The call handle is invalid afterwards.
 * Not from inside a kube_data_cb: return an error code from it instead.
 */
void kube_cancel(kube_call *call);

const char *kube_client_server(const kube_client *c);

/* Connections libcurl opened so far (for tests and metrics). */
long kube_client_connects(const kube_client *c);

/*
 * Streams libcurl may open on one connection (its default is 100). A server allowing more
 * (kube-apiserver --http2-max-streams-per-connection) then carries more watches on one
 * connection. Past the limit libcurl 7.88 opens connections eagerly; see test/bench.
 */
void kube_client_set_max_streams(kube_client *c, long n);

void kube_client_set_observer(kube_client *c, kube_observer_cb cb, void *data);

/*
 * cb(data) runs on the loop each time an answer arrives after a connection failed (the
 * server is reachable again), once per outage; also for the first answer of the client's
 * life. It must not call back into the client synchronously (start timers, queue work).
 * NULL: nothing is told.
 */
void kube_client_set_on_back(kube_client *c, void (*cb)(void *data), void *data);

/*
 * A pool (pkg-c/kjson: kjson_pool) that the client's users may parse its answers into, in
 * turns (kjson_pool_take, kjson_pool_give): kops does, for the object a callback is given.
 * The client only carries it and never frees it; the pool must outlive the client's calls
 * (kube_client_close ends them). NULL (the default): answers are parsed on the heap.
 */
struct kjson_pool;
void               kube_client_set_pool(kube_client *c, struct kjson_pool *pool);
struct kjson_pool *kube_client_pool(const kube_client *c); /* NULL when none was set */

/* Cancels all requests (callbacks see CORE_ECANCELED) and frees the client asynchronously. */
void kube_client_close(kube_client *c);

/*
 * Failpoints, for the crash tests of the reliability suite (test/integration/
 * test-failpoints.sh): the process ends with _exit(137), as if killed by SIGKILL (no
 * cleanup, no flush, no SIGTERM handling), at one chosen API write. A write is any request
 * but GET, counted from 1 in the order the client first sends them (a resend after a 401 or
 * a Retry-After is the same write). Inert unless armed.
 *   KUBE_FP_SENT:   right after libcurl has handed the write's headers and whole body to the
 *                   connection; whether the server acted on it is unknown, as after a crash.
 *   KUBE_FP_ANSWER: right after its answer has arrived, before anyone has seen it: the
 *                   server acted on it, the operator never learns so. A write that ends
 *                   without an answer (connection lost) does not fire it.
 * Before exiting it writes one line naming the failpoint, method and path to stderr (paths
 * carry no secrets); this is the only place kube writes to stderr.
 */
typedef enum {
    KUBE_FP_SENT = 1,
    KUBE_FP_ANSWER = 2
} kube_fp_when;

typedef struct {
    long         write; /* 1-based; 0: disarmed */
    kube_fp_when when;
} kube_failpoint;

/*
 * Parses "write:N:sent" or "write:N:answer" (N from 1 to 1000000) into *out. Returns CORE_OK,
 * or CORE_EINVAL with one line in err naming what is wrong.
 */
int kube_failpoint_parse(const char *spec, kube_failpoint *out, char *err, size_t errlen);

/* Arms fp (copied) on c, counting writes from now on; a zero fp->write disarms. */
void kube_client_set_failpoint(kube_client *c, const kube_failpoint *fp);

#endif
