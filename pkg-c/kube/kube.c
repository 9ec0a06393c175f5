#include "kube.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

#define KUBE_DEFAULT_TIMEOUT_MS 30000L
#define KUBE_CONNECT_TIMEOUT_MS 10000L
#define KUBE_USER_AGENT         "dbaas-operator/0.1"


typedef struct kube_request_s kube_request_t;

struct kube_client {
    uv_loop_t      *loop;
    CURLM          *multi;
    uv_timer_t      timer;      /* drives curl's timeouts; freed with the client */
    char           *server;
    char           *tls_server_name;
    struct curl_blob ca, cert, key;
    unsigned char  *ca_data, *cert_data, *key_data;
    size_t          key_len;
    struct curl_slist *auth;    /* "Authorization: Bearer …" or NULL */
    kube_request_t *requests;   /* in flight, doubly linked */
    long            connects;
    int             closing;
};

struct kube_request_s {
    kube_client       *client;
    CURL              *easy;
    struct curl_slist *headers;
    kube_done_cb       cb;
    void              *data;
    core_buf           body;
    char              *req_body;
    char               errbuf[CURL_ERROR_SIZE];
    int                body_err;  /* CORE_ETOOBIG when the answer overflowed */
    kube_request_t    *prev, *next;
};

/* One per socket libcurl asks us to watch. */
typedef struct {
    uv_poll_t    poll;
    curl_socket_t fd;
    kube_client *client;
} sock_ctx;


static void check_done(kube_client *c);


static void
poll_closed(uv_handle_t *h)
{
    free(h->data);
}


static void
on_poll(uv_poll_t *h, int status, int events)
{
    sock_ctx *s = h->data;
    int       flags = 0, running;

    if (status < 0)
        flags = CURL_CSELECT_ERR;
    else {
        if (events & UV_READABLE)
            flags |= CURL_CSELECT_IN;
        if (events & UV_WRITABLE)
            flags |= CURL_CSELECT_OUT;
    }
    curl_multi_socket_action(s->client->multi, s->fd, flags, &running);
    check_done(s->client);
}


static int
on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    kube_client *c = userp;
    sock_ctx    *s = socketp;
    int          events = 0;

    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        if (s) {
            uv_poll_stop(&s->poll);
            uv_close((uv_handle_t *)&s->poll, poll_closed);
            curl_multi_assign(c->multi, fd, NULL);
        }
        return 0;
    }
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s)
            return -1;
        s->fd = fd;
        s->client = c;
        if (uv_poll_init_socket(c->loop, &s->poll, fd) != 0) {
            free(s);
            return -1;
        }
        s->poll.data = s;
        curl_multi_assign(c->multi, fd, s);
    }
    if (what & CURL_POLL_IN)
        events |= UV_READABLE;
    if (what & CURL_POLL_OUT)
        events |= UV_WRITABLE;
    uv_poll_start(&s->poll, events, on_poll);
    return 0;
}


static void
on_timer(uv_timer_t *t)
{
    kube_client *c = t->data;
    int          running;

    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(c);
}


/* libcurl asks for a timeout; acting on it from the loop avoids re-entering curl. */
static int
on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    kube_client *c = userp;

    (void)multi;
    if (timeout_ms < 0)
        uv_timer_stop(&c->timer);
    else
        uv_timer_start(&c->timer, on_timer, (uint64_t)timeout_ms, 0);
    return 0;
}


static size_t
on_body(char *p, size_t size, size_t n, void *userp)
{
    kube_request_t *r = userp;
    size_t          len = size * n;
    int             rc;

    rc = core_buf_add(&r->body, p, len);
    if (rc) {
        r->body_err = rc;
        return 0;  /* aborts the transfer */
    }
    return len;
}


static int
map_curl_error(CURLcode cc)
{
    switch (cc) {
    case CURLE_OK:
        return CORE_OK;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        return CORE_ETLS;
    case CURLE_OPERATION_TIMEDOUT:
        return CORE_ETIMEDOUT;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_PARTIAL_FILE:
        return CORE_ECONN;
    case CURLE_OUT_OF_MEMORY:
        return CORE_ENOMEM;
    default:
        return CORE_EINTERNAL;
    }
}


static void
request_unlink(kube_request_t *r)
{
    kube_client *c = r->client;

    if (r->prev)
        r->prev->next = r->next;
    else
        c->requests = r->next;
    if (r->next)
        r->next->prev = r->prev;
    r->prev = r->next = NULL;
}


static void
request_free(kube_request_t *r)
{
    if (r->easy) {
        curl_multi_remove_handle(r->client->multi, r->easy);
        curl_easy_cleanup(r->easy);
    }
    curl_slist_free_all(r->headers);
    core_buf_free(&r->body);
    free(r->req_body);
    free(r);
}


/* Ends a request: unlinks it, tells the caller, frees it. */
static void
request_finish(kube_request_t *r, CURLcode cc)
{
    kube_response res;
    char          msg[CURL_ERROR_SIZE + 64];
    long          status = 0, version = 0;

    memset(&res, 0, sizeof res);
    request_unlink(r);
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(r->easy, CURLINFO_HTTP_VERSION, &version);
    res.status = status;
    res.http_version = version == CURL_HTTP_VERSION_2_0 ? 2 : version ? 1 : 0;
    res.err = r->body_err ? r->body_err : map_curl_error(cc);
    res.message = "";
    if (r->body_err) {
        snprintf(msg, sizeof msg, "response body over %zu bytes", r->body.max);
        res.message = msg;
    } else if (cc == CURLE_ABORTED_BY_CALLBACK || r->client->closing) {
        res.err = CORE_ECANCELED;
        res.message = "cancelled: the client is closing";
    } else if (cc != CURLE_OK) {
        snprintf(msg, sizeof msg, "%s %s: %s", res.err == CORE_ETLS ? "TLS to" : "request to",
                 r->client->server, r->errbuf[0] ? r->errbuf : curl_easy_strerror(cc));
        res.message = msg;
    }
    res.body = r->body.data ? r->body.data : "";
    res.body_len = r->body.len;
    r->cb(&res, r->data);
    request_free(r);
}


static void
check_done(kube_client *c)
{
    CURLMsg *m;
    int      left;

    while ((m = curl_multi_info_read(c->multi, &left))) {
        kube_request_t *r = NULL;

        if (m->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        if (r)
            request_finish(r, m->data.result);
    }
}


/* Counts fresh connections, so tests can see that requests share one. */
static int
on_sockopt(void *userp, curl_socket_t fd, curlsocktype purpose)
{
    kube_client *c = userp;

    (void)fd;
    if (purpose == CURLSOCKTYPE_IPCXN)
        c->connects++;
    return CURL_SOCKOPT_OK;
}


static int
dup_bytes(const unsigned char *p, size_t n, unsigned char **out)
{
    *out = NULL;
    if (!p)
        return CORE_OK;
    *out = malloc(n + 1);
    if (!*out)
        return CORE_ENOMEM;
    memcpy(*out, p, n);
    (*out)[n] = '\0';
    return CORE_OK;
}


int
kube_client_new(uv_loop_t *loop, const kcfg *cfg, kube_client **out, char *err, size_t errlen)
{
    kube_client *c = NULL;
    char        *hdr = NULL;
    size_t       n;
    int          rc = CORE_ENOMEM;

    *out = NULL;
    if (errlen)
        err[0] = '\0';
    if (!cfg->server) {
        if (errlen)
            snprintf(err, errlen, "kube client: no server configured");
        return CORE_EINVAL;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        rc = CORE_EINTERNAL;
        goto out;
    }
    c = calloc(1, sizeof *c);
    if (!c)
        goto out;
    c->loop = loop;
    c->server = strdup(cfg->server);
    if (!c->server)
        goto out;
    if (cfg->tls_server_name && !(c->tls_server_name = strdup(cfg->tls_server_name)))
        goto out;
    if (dup_bytes(cfg->ca, cfg->ca_len, &c->ca_data) ||
        dup_bytes(cfg->cert, cfg->cert_len, &c->cert_data) ||
        dup_bytes(cfg->key, cfg->key_len, &c->key_data))
        goto out;
    c->key_len = cfg->key_len;
    c->ca = (struct curl_blob){c->ca_data, cfg->ca_len, CURL_BLOB_NOCOPY};
    c->cert = (struct curl_blob){c->cert_data, cfg->cert_len, CURL_BLOB_NOCOPY};
    c->key = (struct curl_blob){c->key_data, cfg->key_len, CURL_BLOB_NOCOPY};
    if (cfg->token) {
        n = strlen(cfg->token) + sizeof "Authorization: Bearer ";
        hdr = malloc(n);
        if (!hdr)
            goto out;
        snprintf(hdr, n, "Authorization: Bearer %s", cfg->token);
        c->auth = curl_slist_append(NULL, hdr);
        memset(hdr, 0, n);
        if (!c->auth)
            goto out;
    }
    c->multi = curl_multi_init();
    if (!c->multi)
        goto out;
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    if (uv_timer_init(loop, &c->timer) != 0) {
        rc = CORE_EINTERNAL;
        goto out;
    }
    c->timer.data = c;
    *out = c;
    c = NULL;
    rc = CORE_OK;
out:
    free(hdr);
    if (c) {
        /* The timer was never initialised on these paths, so plain frees suffice. */
        if (c->multi)
            curl_multi_cleanup(c->multi);
        curl_slist_free_all(c->auth);
        free(c->server);
        free(c->tls_server_name);
        free(c->ca_data);
        free(c->cert_data);
        if (c->key_data)
            memset(c->key_data, 0, c->key_len);
        free(c->key_data);
        free(c);
    }
    if (rc && errlen && !err[0])
        snprintf(err, errlen, "kube client: %s", core_strerror(rc));
    return rc;
}


static int
setup_easy(kube_client *c, kube_request_t *r, const kube_req *req)
{
    CURL       *e = r->easy;
    const char *method = req->method ? req->method : "GET";
    core_buf    url;
    int         rc;

    core_buf_init(&url, 8192);
    rc = core_buf_printf(&url, "%s%s", c->server, req->path);
    if (rc)
        return rc;
    curl_easy_setopt(e, CURLOPT_URL, url.data);
    core_buf_free(&url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, KUBE_USER_AGENT);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, KUBE_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, req->timeout_ms ? req->timeout_ms
                                                            : KUBE_DEFAULT_TIMEOUT_MS);
    curl_easy_setopt(e, CURLOPT_SOCKOPTFUNCTION, on_sockopt);
    curl_easy_setopt(e, CURLOPT_SOCKOPTDATA, c);
    if (c->ca_data)
        curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &c->ca);
    if (c->cert_data) {
        curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &c->cert);
        curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
        curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &c->key);
        curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
    }
    r->headers = curl_slist_append(NULL, "Accept: application/json");
    if (!r->headers)
        return CORE_ENOMEM;
    if (req->body) {
        char ct[128];

        snprintf(ct, sizeof ct, "Content-Type: %s",
                 req->content_type ? req->content_type : "application/json");
        if (!curl_slist_append(r->headers, ct))
            return CORE_ENOMEM;
        r->req_body = malloc(req->body_len + 1);
        if (!r->req_body)
            return CORE_ENOMEM;
        memcpy(r->req_body, req->body, req->body_len);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->req_body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    }
    if (strcmp(method, "GET") != 0)
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    if (c->auth) {
        struct curl_slist *a;

        for (a = c->auth; a; a = a->next)
            if (!curl_slist_append(r->headers, a->data))
                return CORE_ENOMEM;
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
    return CORE_OK;
}


int
kube_request(kube_client *c, const kube_req *req, kube_done_cb cb, void *data)
{
    kube_request_t *r;
    int             rc;

    if (c->closing)
        return CORE_ECANCELED;
    if (!req->path || req->path[0] != '/')
        return CORE_EINVAL;
    r = calloc(1, sizeof *r);
    if (!r)
        return CORE_ENOMEM;
    r->client = c;
    r->cb = cb;
    r->data = data;
    core_buf_init(&r->body, KUBE_MAX_BODY);
    r->easy = curl_easy_init();
    if (!r->easy) {
        rc = CORE_ENOMEM;
        goto fail;
    }
    rc = setup_easy(c, r, req);
    if (rc)
        goto fail;
    if (curl_multi_add_handle(c->multi, r->easy) != CURLM_OK) {
        rc = CORE_EINTERNAL;
        goto fail;
    }
    r->next = c->requests;
    if (c->requests)
        c->requests->prev = r;
    c->requests = r;
    return CORE_OK;
fail:
    if (r->easy) {
        curl_easy_cleanup(r->easy);
        r->easy = NULL;
    }
    request_free(r);
    return rc;
}


const char *
kube_client_server(const kube_client *c)
{
    return c->server;
}


long
kube_client_connects(const kube_client *c)
{
    return c->connects;
}


static void
timer_closed(uv_handle_t *h)
{
    kube_client *c = h->data;

    free(c->server);
    free(c->tls_server_name);
    free(c->ca_data);
    free(c->cert_data);
    if (c->key_data)
        memset(c->key_data, 0, c->key_len);
    free(c->key_data);
    curl_slist_free_all(c->auth);
    free(c);
}


void
kube_client_close(kube_client *c)
{
    if (!c || c->closing)
        return;
    c->closing = 1;
    while (c->requests)
        request_finish(c->requests, CURLE_ABORTED_BY_CALLBACK);
    /* Removing the last handles makes curl report CURL_POLL_REMOVE for its sockets. */
    curl_multi_cleanup(c->multi);
    c->multi = NULL;
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->timer, timer_closed);
}
