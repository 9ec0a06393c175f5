/*
 * Private to the kube module: the client's layout and the interface between the transport
 * (client.c) and credentials (auth.c).
 */
#ifndef DBAAS_KUBE_INT_H
#define DBAAS_KUBE_INT_H

#include <curl/curl.h>
#include <stdint.h>

#include "core/core.h"
#include "kube.h"

#define KUBE__TOKEN_FILE_PERIOD_MS 60000
#define KUBE__MAX_RETRIES          3
#define KUBE__MAX_RETRY_AFTER_MS   30000
/* Easy handles kept for the next calls (see easy_get in client.c). */
#define KUBE__IDLE_EASY            8

typedef enum {
    KUBE__AUTH_STATIC,    /* token (or none) never changes */
    KUBE__AUTH_READY,     /* a refreshable token is current */
    KUBE__AUTH_NEEDED,    /* no token yet, or it expired: refresh before sending */
    KUBE__AUTH_REFRESHING /* a refresh is running; requests wait */
} kube__auth_state;

typedef struct {
    kube__auth_state state;
    char            *token; /* current bearer token or NULL */
    char            *token_file;
    kcfg_exec       *exec;       /* owned copy */
    uint64_t         expires_at; /* loop time (ms) the exec token expires; 0: never */
    uv_timer_t       timer;      /* periodic token file re-read */
    int              timer_live;
    uv_fs_t          fs;
    uv_file          fd;
    char             readbuf[65536];
    uv_process_t     proc;
    uv_pipe_t        out_pipe, err_pipe;
    core_buf         out, errout;
    int              open_handles; /* exec handles not yet closed */
    int64_t          exit_status;
    char             error[512]; /* why the last refresh failed */
    unsigned char   *cert, *key; /* from an exec plugin, replacing the kubeconfig's */
    size_t           cert_len, key_len;
} kube__auth;

struct kube_client {
    uv_loop_t       *loop;
    CURLM           *multi;
    uv_timer_t       timer;       /* drives curl's timeouts */
    uv_timer_t       retry_timer; /* restarts requests that wait out a Retry-After */
    char            *server;
    struct curl_blob ca, cert, key;
    unsigned char   *ca_data, *cert_data, *key_data;
    size_t           key_len;
    kube__auth       auth;
    kube_call       *calls; /* every open call, doubly linked */
    long             connects;
    long             max_streams; /* per connection, as libcurl is told (default 100) */
    long             running;     /* calls on the multi handle */
    kube_call       *opener;      /* the call opening a new connection, or NULL */
    int              live;        /* a call has answered since the last connection failure */
    int              closing;
    int              open_handles; /* client timers not yet closed */
    kube_observer_cb observer;
    void            *observer_data;
    void (*on_back)(void *data);
    void              *on_back_data;
    kube_failpoint     fp;
    long               writes;                /* counted for fp */
    struct kjson_pool *pool;                  /* kube_client_set_pool: carried, not used here */
    CURL              *idle[KUBE__IDLE_EASY]; /* reset easy handles for the next calls */
    int                nidle;
};

typedef enum {
    KUBE__CALL_RUNNING,    /* added to the multi handle */
    KUBE__CALL_AUTH_WAIT,  /* waiting for credentials */
    KUBE__CALL_RETRY_WAIT, /* waiting out a Retry-After */
    KUBE__CALL_HOLD        /* waiting for a new connection to come up (see gate_open) */
} kube__call_state;

struct kube_call {
    kube_client       *client;
    CURL              *easy;
    struct curl_slist *headers;
    kube_done_cb       cb;
    kube_data_cb       on_data;
    void              *data;
    char              *method;
    char              *accept;       /* NULL: application/json */
    char              *content_type; /* the body's, or NULL without one */
    core_buf           body;
    char              *req_body;
    char               errbuf[CURL_ERROR_SIZE];
    int                body_err;       /* set when the body callback ended the transfer */
    long               retry_after_ms; /* from the answer's Retry-After, -1 when absent */
    int                retries;
    int                auth_retried;
    int                marked;    /* see next_marked() in client.c */
    int                counted;   /* counted as a write for the failpoint */
    int                fp_hit;    /* the failpoint's write */
    int                fp_header; /* its headers went out (KUBE_FP_SENT) */
    size_t             fp_out;    /* body bytes that went out (KUBE_FP_SENT) */
    size_t             req_body_len;
    long               port; /* local port of its connection, once answered */
    uint64_t           due;  /* loop time to restart, in RETRY_WAIT */
    kube__call_state   state;
    kube_call         *prev, *next;
};

/* auth.c */
int  kube__auth_init(kube_client *c, const kcfg *cfg);
/* Starts a refresh unless one runs; kube__auth_done is called when it ends. */
void kube__auth_refresh(kube_client *c);
/* Whether a request may be sent now; starts a refresh when credentials are missing. */
int  kube__auth_ready(kube_client *c);
void kube__auth_close(kube_client *c);
void kube__auth_free(kube__auth *a);

/* failpoint.c: a call is about to go to libcurl / its transfer has ended (see kube.h). */
void kube__fp_on_send(kube_call *call);
void kube__fp_on_answer(kube_call *call);

/* client.c: credentials changed (err CORE_OK) or could not be had; wakes waiting calls. */
void kube__auth_done(kube_client *c, int err);
/* Ends one open handle or fs request (h->data is the client); the last one frees a closing client. */
void kube__handle_closed(uv_handle_t *h);
void kube__release(kube_client *c);

#endif
