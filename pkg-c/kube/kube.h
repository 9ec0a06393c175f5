/*
 * kube: an asynchronous HTTP client for the Kubernetes API on a libuv loop.
 *
 * One libcurl multi handle, driven by libuv poll and timer handles, carries every request.
 * HTTP/2 is negotiated over TLS and requests wait for a multiplexed stream (PIPEWAIT), so
 * they share one connection. TLS is always verified: against the kubeconfig's CA, else the
 * system's. Client certificates and keys are handed to libcurl from memory.
 *
 * Ownership: the client copies what it needs from the kcfg; the caller may free that
 * after kube_client_new. Callbacks run on the loop thread, never inside kube_request.
 * kube_client_close cancels what is in flight (each callback then sees CORE_ECANCELED)
 * and frees the client from libuv close callbacks: keep running the loop until it is done.
 */
#ifndef DBAAS_KUBE_H
#define DBAAS_KUBE_H

#include <stddef.h>
#include <uv.h>

#include "kubeconfig/kubeconfig.h"

/* A response body may be at most this large unless the request says otherwise. */
#define KUBE_MAX_BODY (64u * 1024 * 1024)

typedef struct kube_client kube_client;

typedef struct {
    int         err;      /* CORE_OK when an HTTP answer arrived, whatever its status */
    long        status;   /* HTTP status, 0 without an answer */
    const char *body;     /* NUL-terminated; valid only during the callback */
    size_t      body_len;
    const char *message;  /* one line describing err; "" when err is CORE_OK */
    int         http_version; /* 2 for HTTP/2, 1 for HTTP/1.x, 0 unknown */
} kube_response;

typedef void (*kube_done_cb)(const kube_response *res, void *data);

typedef struct {
    const char *method;       /* "GET" when NULL */
    const char *path;         /* starts with '/', already escaped */
    const char *content_type; /* for a body; "application/json" when NULL */
    const char *body;         /* copied; may be NULL */
    size_t      body_len;
    long        timeout_ms;   /* 0: the client's default (30 s) */
} kube_req;

/*
 * Creates a client for cfg on loop. On failure *out is NULL and err holds one line.
 */
int kube_client_new(uv_loop_t *loop, const kcfg *cfg, kube_client **out, char *err,
                    size_t errlen);

/* Starts a request; cb runs exactly once when it ends, unless this returns an error. */
int kube_request(kube_client *c, const kube_req *req, kube_done_cb cb, void *data);

/* The server URL the client talks to. */
const char *kube_client_server(const kube_client *c);

/* Counts of connections libcurl opened so far (for tests and metrics). */
long kube_client_connects(const kube_client *c);

/* Cancels all requests and frees the client once the loop has run its close callbacks. */
void kube_client_close(kube_client *c);

#endif
