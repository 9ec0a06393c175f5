/*
 * The transport: libcurl's multi interface on libuv (socket and timer callbacks), calls,
 * retries after 429/503 and after a 401 once credentials are fresh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kube-int.h"

#define KUBE_DEFAULT_TIMEOUT_MS 30000L
#define KUBE_CONNECT_TIMEOUT_MS 10000L
#define KUBE_USER_AGENT         "dbaas-operator/0.1"
#define KUBE_MAX_ERROR_BODY     (1u << 20)

/* One per socket libcurl asks us to watch. */
typedef struct {
    uv_poll_t     poll;
    curl_socket_t fd;
    kube_client  *client;
} sock_ctx;


static void       check_done(kube_client *c);
static kube_call *next_marked(kube_client *c, kube__call_state state, uint64_t due_before, int mark);
static void       call_send(kube_call *call);
static void       arm_retry_timer(kube_client *c);
static void       client_free(kube_client *c);


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


static int
status_ok(CURL *easy)
{
    long status = 0;

    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    return status >= 200 && status < 300;
}


static size_t
on_body(char *p, size_t size, size_t n, void *userp)
{
    kube_call *call = userp;
    size_t     len = size * n;
    int        rc;

    if (call->on_data && status_ok(call->easy))
        rc = call->on_data(p, len, call->data);
    else
        rc = core_buf_add(&call->body, p, len);
    if (rc) {
        call->body_err = rc;
        return 0; /* ends the transfer */
    }
    return len;
}


/* Remembers Retry-After (seconds; the HTTP-date form is treated as absent). */
static size_t
on_header(char *p, size_t size, size_t n, void *userp)
{
    kube_call *call = userp;
    size_t     len = size * n;
    char       num[16];
    size_t     i = 12, j = 0;

    if (call->port == 0) {
        /* Answered: its connection carries streams now, and a held call may follow. */
        curl_easy_getinfo(call->easy, CURLINFO_LOCAL_PORT, &call->port);
        if (call->port == 0)
            call->port = -1;
        if (!call->client->live && call->client->on_back)
            call->client->on_back(call->client->on_back_data);
        call->client->live = 1;
        if (call->client->opener == call) {
            call->client->opener = NULL;
            arm_retry_timer(call->client);
        }
    }
    if (len > 12 && strncasecmp(p, "retry-after:", 12) == 0) {
        while (i < len && (p[i] == ' ' || p[i] == '\t'))
            i++;
        while (i < len && j < sizeof num - 1 && p[i] >= '0' && p[i] <= '9')
            num[j++] = p[i++];
        num[j] = '\0';
        if (j > 0 && j < 7)
            call->retry_after_ms = strtol(num, NULL, 10) * 1000;
    }
    return len;
}


static int
map_curl_error(CURLcode cc)
{
    switch (cc) {
    case CURLE_OK: return CORE_OK;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH: return CORE_ETLS;
    case CURLE_OPERATION_TIMEDOUT: return CORE_ETIMEDOUT;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_PARTIAL_FILE: return CORE_ECONN;
    case CURLE_OUT_OF_MEMORY: return CORE_ENOMEM;
    default: return CORE_EINTERNAL;
    }
}


static void
call_unlink(kube_call *call)
{
    kube_client *c = call->client;

    if (call->prev)
        call->prev->next = call->next;
    else
        c->calls = call->next;
    if (call->next)
        call->next->prev = call->prev;
    call->prev = call->next = NULL;
}


/* Takes a call off the multi handle (if it is on it) and out of the connection gate. */
static void
call_detach(kube_call *call)
{
    kube_client *c = call->client;

    if (call->state == KUBE__CALL_RUNNING) {
        if (c->multi)
            curl_multi_remove_handle(c->multi, call->easy);
        c->running--;
        call->state = KUBE__CALL_AUTH_WAIT;
    }
    if (c->opener == call) {
        c->opener = NULL;
        arm_retry_timer(c);
    }
}


/*
 * A call's easy handle: one a finished call left, else a new one. Reusing one saves
 * curl_easy_init and curl_easy_cleanup, and the buffers libcurl allocates in a handle for its
 * first transfer and frees only with it (malloc's consolidation of the heap ran on each of
 * those frees: issue 18). curl_easy_reset puts every option back to its default, so a
 * reused handle starts as a new one does; it keeps what curl_easy_reset(3) lists (the TLS
 * session cache, among them), none of which carries a call's data.
 */
static CURL *
easy_get(kube_client *c)
{
    return c->nidle ? c->idle[--c->nidle] : curl_easy_init();
}


static void
easy_put(kube_client *c, CURL *easy)
{
    if (c->closing || c->nidle == KUBE__IDLE_EASY) {
        curl_easy_cleanup(easy);
        return;
    }
    curl_easy_reset(easy);
    c->idle[c->nidle++] = easy;
}


static void
call_free(kube_call *call)
{
    if (call->easy) {
        call_detach(call);
        easy_put(call->client, call->easy);
    }
    curl_slist_free_all(call->headers);
    core_buf_free(&call->body);
    free(call->req_body);
    free(call->method);
    free(call->accept);
    free(call->content_type);
    free(call);
}


/* Ends a call: unlinks it, tells the observer and the caller, frees it. */
static void
call_complete(kube_call *call, int err, const char *why)
{
    kube_client  *c = call->client;
    kube_response res;
    long          status = 0, version = 0;

    memset(&res, 0, sizeof res);
    call_unlink(call);
    if (call->state == KUBE__CALL_RUNNING) {
        curl_easy_getinfo(call->easy, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(call->easy, CURLINFO_HTTP_VERSION, &version);
    }
    res.err = err;
    res.status = err ? 0 : status;
    res.http_version = version == CURL_HTTP_VERSION_2_0 ? 2 : version ? 1 : 0;
    res.message = why ? why : "";
    res.body = call->body.data ? call->body.data : "";
    res.body_len = call->body.len;
    if (c->observer) {
        char       *url = NULL;
        const char *path = "";

        /* scheme://host:port/path?query: the path starts at the first '/' after "//". */
        if (curl_easy_getinfo(call->easy, CURLINFO_EFFECTIVE_URL, &url) == CURLE_OK && url) {
            const char *host = strstr(url, "//");
            const char *slash = host ? strchr(host + 2, '/') : NULL;

            path = slash ? slash : "";
        }
        c->observer(call->method, path, res.status, c->observer_data);
    }
    call->cb(&res, call->data);
    call_free(call);
}


/* Takes a finished transfer off the multi handle so it can be sent again later. */
static void
call_park(kube_call *call, kube__call_state state)
{
    call_detach(call);
    call->state = state;
    core_buf_reset(&call->body);
}


static void
call_finished(kube_call *call, CURLcode cc)
{
    kube_client *c = call->client;
    kube_call   *held;
    char         msg[CURL_ERROR_SIZE + 300];
    long         status = 0, delay;
    int          err, opened;

    kube__fp_on_answer(call);
    curl_easy_getinfo(call->easy, CURLINFO_RESPONSE_CODE, &status);
    /*
     * The API server may reset the stream of a request it refused (401 before it read the
     * body): libcurl then reports a partial transfer, but the status is the answer.
     */
    if (status >= 400 && !call->body_err &&
        (cc == CURLE_PARTIAL_FILE || cc == CURLE_HTTP2_STREAM || cc == CURLE_HTTP2))
        cc = CURLE_OK;
    if (cc == CURLE_OK && status == 401 && !call->auth_retried && c->auth.state != KUBE__AUTH_STATIC) {
        /* The token may have rotated: fetch it again and resend once. */
        call->auth_retried = 1;
        call_park(call, KUBE__CALL_AUTH_WAIT);
        kube__auth_refresh(c);
        return;
    }
    if (cc == CURLE_OK && call->retries < KUBE__MAX_RETRIES &&
        (status == 429 || (status == 503 && call->retry_after_ms >= 0))) {
        delay = call->retry_after_ms >= 0 ? call->retry_after_ms : 1000;
        if (delay > KUBE__MAX_RETRY_AFTER_MS)
            delay = KUBE__MAX_RETRY_AFTER_MS;
        call->retries++;
        call_park(call, KUBE__CALL_RETRY_WAIT);
        call->due = uv_now(c->loop) + (uint64_t)delay;
        arm_retry_timer(c);
        return;
    }
    err = call->body_err ? call->body_err : map_curl_error(cc);
    if (call->body_err == CORE_ETOOBIG)
        snprintf(msg, sizeof msg, "%s %s: response body over %zu bytes", call->method, c->server,
                 call->body.max);
    else if (call->body_err)
        snprintf(msg, sizeof msg, "%s %s: ended by the receiver: %s", call->method, c->server,
                 core_strerror(call->body_err));
    else if (cc != CURLE_OK)
        snprintf(msg, sizeof msg, "%s %s: %s", err == CORE_ETLS ? "TLS to" : "request to",
                 c->server, call->errbuf[0] ? call->errbuf : curl_easy_strerror(cc));
    else
        msg[0] = '\0';
    if (err != CORE_ECONN && err != CORE_ETLS) {
        call_complete(call, err, msg);
        return;
    }
    /*
     * The connection failed. Held calls were waiting for the one this call was opening: they
     * share its fate, as requests waiting on a dial do in Go's HTTP/2 client, rather than
     * each opening another (libcurl 7.88 wakes its waiters one at a time, and each opens a
     * connection of its own once the one it waited on is gone: one connection per call).
     */
    c->live = 0;
    opened = c->opener == call && call->port == 0;
    if (opened)
        next_marked(c, KUBE__CALL_HOLD, 0, 1);
    call_complete(call, err, msg);
    while (opened && !c->closing && (held = next_marked(c, KUBE__CALL_HOLD, 0, 0)))
        call_complete(held, err, msg);
}


static void
check_done(kube_client *c)
{
    CURLMsg *m;
    int      left;

    while (c->multi && (m = curl_multi_info_read(c->multi, &left))) {
        kube_call *call = NULL;

        if (m->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&call);
        if (call)
            call_finished(call, m->data.result);
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


/* Headers depend on the current token, so they are rebuilt for every attempt. */
static int
call_headers(kube_call *call, const char *content_type)
{
    kube_client       *c = call->client;
    struct curl_slist *h = NULL, *t;
    core_buf           b;

    curl_slist_free_all(call->headers);
    call->headers = NULL;
    core_buf_init(&b, 256);
    if (core_buf_printf(&b, "Accept: %s", call->accept ? call->accept : "application/json"))
        return CORE_ENOMEM;
    h = curl_slist_append(NULL, b.data);
    core_buf_free(&b);
    if (!h)
        return CORE_ENOMEM;
    call->headers = h;
    if (content_type) {
        core_buf_init(&b, 512);
        if (core_buf_printf(&b, "Content-Type: %s", content_type))
            return CORE_ENOMEM;
        t = curl_slist_append(h, b.data);
        core_buf_free(&b);
        if (!t)
            return CORE_ENOMEM;
    }
    if (c->auth.token) {
        core_buf_init(&b, 64 * 1024);
        if (core_buf_printf(&b, "Authorization: Bearer %s", c->auth.token))
            return CORE_ENOMEM;
        t = curl_slist_append(h, b.data);
        memset(b.data, 0, b.len);
        core_buf_free(&b);
        if (!t)
            return CORE_ENOMEM;
    }
    curl_easy_setopt(call->easy, CURLOPT_HTTPHEADER, call->headers);
    return CORE_OK;
}


static void
set_client_cert(kube_client *c, CURL *e)
{
    if (c->auth.cert) {
        struct curl_blob cert = {c->auth.cert, c->auth.cert_len, CURL_BLOB_COPY};
        struct curl_blob key = {c->auth.key, c->auth.key_len, CURL_BLOB_COPY};

        curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &cert);
        curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &key);
    } else if (c->cert_data) {
        curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &c->cert);
        curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &c->key);
    }
    curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
    curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
}


static int
call_setup(kube_client *c, kube_call *call, const kube_req *req)
{
    CURL    *e = call->easy;
    core_buf url;
    long     timeout = req->timeout_ms ? req->timeout_ms : KUBE_DEFAULT_TIMEOUT_MS;
    int      rc;

    core_buf_init(&url, 16384);
    rc = core_buf_printf(&url, "%s%s", c->server, req->path);
    if (rc)
        return rc;
    curl_easy_setopt(e, CURLOPT_URL, url.data);
    core_buf_free(&url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, call);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, call->errbuf);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, call);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, call);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, KUBE_USER_AGENT);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, KUBE_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout < 0 ? 0L : timeout);
    curl_easy_setopt(e, CURLOPT_SOCKOPTFUNCTION, on_sockopt);
    curl_easy_setopt(e, CURLOPT_SOCKOPTDATA, c);
    if (c->ca_data)
        curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &c->ca);
    if (req->body) {
        call->req_body = malloc(req->body_len + 1);
        if (!call->req_body)
            return CORE_ENOMEM;
        memcpy(call->req_body, req->body, req->body_len);
        call->req_body_len = req->body_len;
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, call->req_body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    }
    if (strcmp(call->method, "GET") != 0)
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, call->method);
    return CORE_OK; /* the headers are call_send's, for each attempt */
}


/*
 * Whether call may go to libcurl now. When every connection that has answered is full
 * (max_streams each), one call may open the next connection and the rest wait until it has
 * answered: libcurl 7.88 would otherwise open a connection for each of them, since PIPEWAIT
 * only waits on a host's first connection. The same holds when no connection is known to
 * work (none has answered yet, or the last one failed, as after a cut): one call opens it.
 * A live connection with no answered call running (idle) is one libcurl reuses.
 */
static int
gate_open(kube_client *c, kube_call *call)
{
    long       ports[64];
    int        n = 0, i;
    kube_call *o;

    for (o = c->calls; o && n < 64; o = o->next) {
        if (o->state != KUBE__CALL_RUNNING || o->port <= 0)
            continue;
        for (i = 0; i < n && ports[i] != o->port; i++)
            ;
        if (i == n)
            ports[n++] = o->port;
    }
    if (!n && c->live)
        n = 1;
    if (n && c->running < c->max_streams * n)
        return 1;
    if (c->opener)
        return 0;
    c->opener = call;
    return 1;
}


/* (Re)sends a call: now, or once credentials are ready. */
static void
call_send(kube_call *call)
{
    kube_client *c = call->client;

    if (!kube__auth_ready(c)) {
        call->state = KUBE__CALL_AUTH_WAIT;
        return;
    }
    if (call_headers(call, call->content_type))
        goto fail;
    if (!gate_open(c, call)) {
        call->state = KUBE__CALL_HOLD;
        return;
    }
    set_client_cert(c, call->easy);
    call->body_err = 0;
    call->retry_after_ms = -1;
    call->errbuf[0] = '\0';
    call->port = 0;
    call->state = KUBE__CALL_RUNNING;
    kube__fp_on_send(call);
    if (curl_multi_add_handle(c->multi, call->easy) == CURLM_OK) {
        c->running++;
        return;
    }
    if (c->opener == call)
        c->opener = NULL;
fail:
    call->state = KUBE__CALL_AUTH_WAIT; /* not on the multi handle */
    call_complete(call, CORE_ENOMEM, "out of memory preparing a request");
}


int
kube_request(kube_client *c, const kube_req *req, kube_done_cb cb, void *data, kube_call **out)
{
    kube_call *call;
    int        rc;

    if (out)
        *out = NULL;
    if (c->closing)
        return CORE_ECANCELED;
    if (!req->path || req->path[0] != '/' || !cb)
        return CORE_EINVAL;
    call = calloc(1, sizeof *call);
    if (!call)
        return CORE_ENOMEM;
    call->client = c;
    call->cb = cb;
    call->on_data = req->on_data;
    call->data = data;
    call->state = KUBE__CALL_AUTH_WAIT;
    call->retry_after_ms = -1;
    core_buf_init(&call->body, req->max_body  ? req->max_body
                               : req->on_data ? KUBE_MAX_ERROR_BODY
                                              : KUBE_MAX_BODY);
    call->method = strdup(req->method ? req->method : "GET");
    call->accept = req->accept ? strdup(req->accept) : NULL;
    call->content_type =
        req->body ? strdup(req->content_type ? req->content_type : "application/json") : NULL;
    call->easy = easy_get(c);
    if (!call->method || !call->easy || (req->accept && !call->accept) ||
        (req->body && !call->content_type)) {
        rc = CORE_ENOMEM;
        goto fail;
    }
    rc = call_setup(c, call, req);
    if (rc)
        goto fail;
    call->next = c->calls;
    if (c->calls)
        c->calls->prev = call;
    c->calls = call;
    if (out)
        *out = call;
    /* Sending is deferred to the loop so cb never runs inside this function. */
    call->state = KUBE__CALL_RETRY_WAIT;
    call->due = uv_now(c->loop);
    arm_retry_timer(c);
    return CORE_OK;
fail:
    call_free(call);
    return rc;
}


void
kube_cancel(kube_call *call)
{
    if (!call)
        return;
    call_unlink(call);
    call_free(call);
}


/*
 * Calls in a waiting state are visited by marking them first and then taking marked ones
 * one at a time, because a callback may add or cancel calls while we walk.
 */
static kube_call *
next_marked(kube_client *c, kube__call_state state, uint64_t due_before, int mark)
{
    kube_call *call;

    for (call = c->calls; call; call = call->next)
        if (call->state == state && (state != KUBE__CALL_RETRY_WAIT || call->due <= due_before) &&
            (mark ? !call->marked : call->marked)) {
            if (mark) {
                call->marked = 1;
                continue;
            }
            call->marked = 0;
            return call;
        }
    return NULL;
}


static void
on_retry_timer(uv_timer_t *t)
{
    kube_client *c = t->data;
    uint64_t     now = uv_now(c->loop);
    kube_call   *call;

    next_marked(c, KUBE__CALL_RETRY_WAIT, now, 1);
    while ((call = next_marked(c, KUBE__CALL_RETRY_WAIT, now, 0)))
        call_send(call);
    if (!c->opener) {
        next_marked(c, KUBE__CALL_HOLD, 0, 1);
        while ((call = next_marked(c, KUBE__CALL_HOLD, 0, 0)))
            call_send(call);
    }
    arm_retry_timer(c);
}


static void
arm_retry_timer(kube_client *c)
{
    kube_call *call;
    uint64_t   next = UINT64_MAX, now = uv_now(c->loop);

    if (c->closing)
        return;
    for (call = c->calls; call; call = call->next) {
        if (call->state == KUBE__CALL_RETRY_WAIT && call->due < next)
            next = call->due;
        if (call->state == KUBE__CALL_HOLD && !c->opener)
            next = now;
    }
    if (next == UINT64_MAX)
        uv_timer_stop(&c->retry_timer);
    else
        uv_timer_start(&c->retry_timer, on_retry_timer, next > now ? next - now : 0, 0);
}


void
kube__auth_done(kube_client *c, int err)
{
    kube_call *call;

    next_marked(c, KUBE__CALL_AUTH_WAIT, 0, 1);
    while ((call = next_marked(c, KUBE__CALL_AUTH_WAIT, 0, 0))) {
        if (err)
            call_complete(call, CORE_EAUTH, c->auth.error);
        else
            call_send(call);
    }
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
    int          rc = CORE_ENOMEM;

    *out = NULL;
    if (errlen)
        err[0] = '\0';
    if (!cfg->server) {
        if (errlen)
            snprintf(err, errlen, "kube client: no server configured");
        return CORE_EINVAL;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return CORE_EINTERNAL;
    c = calloc(1, sizeof *c);
    if (!c)
        goto out;
    c->loop = loop;
    if (!(c->server = strdup(cfg->server)))
        goto out;
    if (dup_bytes(cfg->ca, cfg->ca_len, &c->ca_data) ||
        dup_bytes(cfg->cert, cfg->cert_len, &c->cert_data) ||
        dup_bytes(cfg->key, cfg->key_len, &c->key_data))
        goto out;
    c->key_len = cfg->key_len;
    c->ca = (struct curl_blob){c->ca_data, cfg->ca_len, CURL_BLOB_NOCOPY};
    c->cert = (struct curl_blob){c->cert_data, cfg->cert_len, CURL_BLOB_NOCOPY};
    c->key = (struct curl_blob){c->key_data, cfg->key_len, CURL_BLOB_NOCOPY};
    if ((rc = kube__auth_init(c, cfg)))
        goto out;
    rc = CORE_ENOMEM;
    if (!(c->multi = curl_multi_init()))
        goto out;
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    c->max_streams = 100; /* libcurl's default cap, and the apiserver's default limit */
    uv_timer_init(loop, &c->timer);
    uv_timer_init(loop, &c->retry_timer);
    c->timer.data = c->retry_timer.data = c;
    c->open_handles += 2;
    *out = c;
    return CORE_OK;
out:
    if (c) {
        kube__auth_free(&c->auth);
        if (c->multi)
            curl_multi_cleanup(c->multi);
        c->multi = NULL;
        client_free(c);
    }
    if (errlen)
        snprintf(err, errlen, "kube client: %s", core_strerror(rc));
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


void
kube_client_set_max_streams(kube_client *c, long n)
{
    if (n > 0 && curl_multi_setopt(c->multi, CURLMOPT_MAX_CONCURRENT_STREAMS, n) == CURLM_OK)
        c->max_streams = n;
}


void
kube_client_set_on_back(kube_client *c, void (*cb)(void *data), void *data)
{
    c->on_back = cb;
    c->on_back_data = data;
}


void
kube_client_set_observer(kube_client *c, kube_observer_cb cb, void *data)
{
    c->observer = cb;
    c->observer_data = data;
}


void
kube_client_set_pool(kube_client *c, struct kjson_pool *pool)
{
    c->pool = pool;
}


struct kjson_pool *
kube_client_pool(const kube_client *c)
{
    return c ? c->pool : NULL;
}


static void
client_free(kube_client *c)
{
    free(c->server);
    free(c->ca_data);
    free(c->cert_data);
    if (c->key_data)
        memset(c->key_data, 0, c->key_len);
    free(c->key_data);
    free(c);
}


void
kube__handle_closed(uv_handle_t *h)
{
    kube__release(h->data);
}


void
kube__release(kube_client *c)
{
    if (--c->open_handles == 0 && c->closing) {
        kube__auth_free(&c->auth);
        client_free(c);
    }
}


void
kube_client_close(kube_client *c)
{
    kube_call *call;

    if (!c || c->closing)
        return;
    c->closing = 1;
    while ((call = c->calls)) {
        call_detach(call);
        call_complete(call, CORE_ECANCELED, "cancelled: the client is closing");
    }
    while (c->nidle)
        curl_easy_cleanup(c->idle[--c->nidle]);
    /* With no transfers left, cleanup closes the cached connections (CURL_POLL_REMOVE). */
    curl_multi_cleanup(c->multi);
    c->multi = NULL;
    kube__auth_close(c);
    uv_close((uv_handle_t *)&c->timer, kube__handle_closed);
    uv_close((uv_handle_t *)&c->retry_timer, kube__handle_closed);
}
