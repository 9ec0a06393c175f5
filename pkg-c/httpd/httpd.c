#include "httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define HTTPD_BACKLOG      128
#define HTTPD_METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define HTTPD_TEXT_TYPE    "text/plain; charset=utf-8"

typedef struct conn_s conn_t;

typedef enum {
    CONN_READING,    /* collecting the request head */
    CONN_RESPONDING, /* writing the response; anything the client sends is discarded */
    CONN_DRAINING    /* response sent and FIN sent: wait for the client's FIN */
} conn_state;

struct httpd {
    uv_loop_t       *loop;
    uv_tcp_t         listener;
    httpd_metrics_fn metrics;
    void            *metrics_data;
    httpd_ready_fn   ready;
    void            *ready_data;
    unsigned         max_conns;
    uint64_t         timeout_ms;
    int              port;
    unsigned         nconns; /* allocated connections, closing ones included */
    conn_t          *conns;
    int              listening; /* the listener handle is not yet closed */
    int              closing;
    httpd_close_cb   close_cb;
    void            *close_data;
};

struct conn_s {
    httpd        *server;
    conn_t       *prev, *next;
    uv_tcp_t      tcp;
    uv_timer_t    timer; /* the connection's whole lifetime, not reset by traffic */
    uv_write_t    write_req;
    uv_shutdown_t shutdown_req;
    int           handles; /* open libuv handles; freed when it drops to 0 */
    int           closing;
    int           peer_eof;
    conn_state    state;
    size_t        len;
    core_buf      body;
    char          head[256];
    char          req[HTTPD_MAX_HEADER];
};


static void
server_maybe_done(httpd *s)
{
    httpd_close_cb cb;
    void          *data;

    if (!s->closing || s->listening || s->conns)
        return;
    cb = s->close_cb;
    data = s->close_data;
    free(s);
    if (cb)
        cb(data);
}


static void
on_conn_handle_closed(uv_handle_t *h)
{
    conn_t *c = h->data;
    httpd  *s = c->server;

    if (--c->handles > 0)
        return;
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->nconns--;
    core_buf_free(&c->body);
    free(c);
    server_maybe_done(s);
}


/* Closing the stream also cancels a pending write or shutdown; their callbacks run first. */
static void
conn_close(conn_t *c)
{
    if (c->closing)
        return;
    c->closing = 1;
    uv_close((uv_handle_t *)&c->tcp, on_conn_handle_closed);
    uv_close((uv_handle_t *)&c->timer, on_conn_handle_closed);
}


static void
on_timeout(uv_timer_t *t)
{
    conn_close(t->data);
}


static void
on_shutdown(uv_shutdown_t *req, int status)
{
    conn_t *c = req->data;

    if (c->closing)
        return;
    /* Waiting for the client's FIN before close(2) avoids a RST that could eat the answer. */
    if (status < 0 || c->peer_eof)
        conn_close(c);
    else
        c->state = CONN_DRAINING;
}


static void
on_write(uv_write_t *req, int status)
{
    conn_t *c = req->data;

    core_buf_free(&c->body);
    if (c->closing)
        return;
    c->shutdown_req.data = c;
    if (status < 0 || uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->tcp, on_shutdown) != 0)
        conn_close(c);
}


static const char *
status_text(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    }
    return "Unknown";
}


/* Sends head plus c->body (already filled) and moves on to closing the connection. */
static void
send_response(conn_t *c, int status, const char *content_type)
{
    uv_buf_t bufs[2];
    int      n;

    c->state = CONN_RESPONDING;
    n = snprintf(c->head, sizeof c->head,
                 "HTTP/1.1 %d %s\r\n"
                 "Content-Type: %s\r\n"
                 "Content-Length: %zu\r\n"
                 "%s"
                 "Cache-Control: no-store\r\n"
                 "Connection: close\r\n"
                 "\r\n",
                 status, status_text(status), content_type, c->body.len,
                 status == 405 ? "Allow: GET\r\n" : "");
    if (n < 0 || (size_t)n >= sizeof c->head) {
        conn_close(c);
        return;
    }
    bufs[0] = uv_buf_init(c->head, (unsigned)n);
    bufs[1] = uv_buf_init(c->body.data ? c->body.data : c->head, (unsigned)c->body.len);
    c->write_req.data = c;
    if (uv_write(&c->write_req, (uv_stream_t *)&c->tcp, bufs, c->body.len ? 2 : 1, on_write) != 0)
        conn_close(c);
}


static void
send_text(conn_t *c, int status, const char *text)
{
    core_buf_reset(&c->body);
    if (core_buf_add(&c->body, text, strlen(text)) != CORE_OK) {
        conn_close(c);
        return;
    }
    send_response(c, status, HTTPD_TEXT_TYPE);
}


static void
serve_metrics(conn_t *c)
{
    httpd      *s = c->server;
    const char *type = HTTPD_METRICS_TYPE;
    int         rc;

    if (!s->metrics) {
        send_text(c, 404, "not found\n");
        return;
    }
    core_buf_init(&c->body, HTTPD_MAX_BODY);
    rc = s->metrics(s->metrics_data, &c->body, &type);
    if (c->closing)
        return; /* the callback closed the server */
    if (rc != CORE_OK) {
        core_buf_free(&c->body);
        send_text(c, 500, "internal error\n");
        return;
    }
    send_response(c, 200, type ? type : HTTPD_METRICS_TYPE);
}


static void
serve_ready(conn_t *c)
{
    httpd *s = c->server;
    char   reason[HTTPD_MAX_REASON];

    reason[0] = '\0';
    if (!s->ready || s->ready(s->ready_data, reason, sizeof reason)) {
        if (!c->closing)
            send_text(c, 200, "ok");
        return;
    }
    if (c->closing)
        return;
    reason[sizeof reason - 1] = '\0';
    send_text(c, 503, reason[0] ? reason : "not ready");
}


static int
is_tchar(char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
           (ch && strchr("!#$%&'*+-.^_`|~", ch));
}


/*
 * Handles a complete head: "METHOD SP target SP HTTP/1.x". Only the request line
 * matters; headers are not needed for these three routes.
 */
static void
handle_request(conn_t *c)
{
    char  *line = c->req, *eol, *sp1, *sp2, *path, *end;
    size_t plen;

    eol = memchr(line, '\n', c->len);
    if (!eol)
        goto bad;
    if (eol > line && eol[-1] == '\r')
        eol--;
    *eol = '\0';
    sp1 = strchr(line, ' ');
    if (!sp1 || sp1 == line)
        goto bad;
    sp2 = strchr(sp1 + 1, ' ');
    if (!sp2 || strncmp(sp2 + 1, "HTTP/1.", 7) != 0 || strlen(sp2 + 1) != 8)
        goto bad;
    for (end = line; end < sp1; end++)
        if (!is_tchar(*end))
            goto bad;
    path = sp1 + 1;
    if (*path != '/')
        goto bad;
    plen = strcspn(path, "?# ");
    if (sp1 - line != 3 || memcmp(line, "GET", 3) != 0) {
        send_text(c, 405, "method not allowed\n");
        return;
    }
    if (plen == 8 && memcmp(path, "/metrics", 8) == 0)
        serve_metrics(c);
    else if (plen == 8 && memcmp(path, "/healthz", 8) == 0)
        send_text(c, 200, "ok");
    else if (plen == 7 && memcmp(path, "/readyz", 7) == 0)
        serve_ready(c);
    else
        send_text(c, 404, "not found\n");
    return;
bad:
    send_text(c, 400, "bad request\n");
}


/* The end of the head: a blank line, CRLF or (leniently) bare LF. */
static int
head_complete(const char *p, size_t len, size_t from)
{
    size_t i;

    for (i = from; i < len; i++) {
        if (p[i] != '\n')
            continue;
        if (i >= 1 && p[i - 1] == '\n')
            return 1;
        if (i >= 3 && p[i - 1] == '\r' && p[i - 2] == '\n' && p[i - 3] == '\r')
            return 1;
    }
    return 0;
}


static void
on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    conn_t *c = h->data;

    (void)suggested;
    /* Past the head the bytes are discarded, so the whole array serves as scratch. */
    if (c->state != CONN_READING)
        *buf = uv_buf_init(c->req, sizeof c->req);
    else
        *buf = uv_buf_init(c->req + c->len, (unsigned)(sizeof c->req - c->len));
}


static void
on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    conn_t *c = stream->data;
    size_t  from;

    (void)buf;
    if (c->closing)
        return;
    if (nread == UV_EOF && c->state == CONN_RESPONDING) {
        c->peer_eof = 1;
        uv_read_stop(stream);
        return;
    }
    if (nread < 0) {
        conn_close(c);
        return;
    }
    if (nread == 0 || c->state != CONN_READING)
        return;
    from = c->len > 3 ? c->len - 3 : 0;
    c->len += (size_t)nread;
    if (head_complete(c->req, c->len, from))
        handle_request(c);
    else if (c->len == sizeof c->req)
        send_text(c, 431, "request header fields too large\n");
}


static void
on_connection(uv_stream_t *listener, int status)
{
    httpd  *s = listener->data;
    conn_t *c = NULL;
    int     reject;

    if (status < 0 || s->closing)
        return;
    c = calloc(1, sizeof *c);
    if (!c)
        return;
    c->server = s;
    c->state = CONN_READING;
    core_buf_init(&c->body, HTTPD_MAX_BODY);
    uv_tcp_init(s->loop, &c->tcp);
    uv_timer_init(s->loop, &c->timer);
    c->tcp.data = c;
    c->timer.data = c;
    c->handles = 2;
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    reject = s->nconns >= s->max_conns;
    s->nconns++;
    /* Accepting even when full keeps libuv polling the listener; the extra one is closed. */
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0 || reject) {
        conn_close(c);
        return;
    }
    uv_timer_start(&c->timer, on_timeout, s->timeout_ms, 0);
    if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0)
        conn_close(c);
}


static void
on_listener_closed(uv_handle_t *h)
{
    httpd *s = h->data;

    s->listening = 0;
    server_maybe_done(s);
}


static void
on_start_failed(uv_handle_t *h)
{
    free(h->data);
}


int
httpd_start(uv_loop_t *loop, const httpd_config *cfg, httpd **out, char *err, size_t errlen)
{
    struct sockaddr_storage addr;
    socklen_t               alen = sizeof addr;
    const char             *host = cfg->host ? cfg->host : "0.0.0.0";
    httpd                  *s = NULL;
    int                     fd = -1, one = 1, rc;

    *out = NULL;
    if (errlen)
        err[0] = '\0';
    memset(&addr, 0, sizeof addr);
    if (cfg->port < 0 || cfg->port > 65535 ||
        (uv_ip4_addr(host, cfg->port, (struct sockaddr_in *)&addr) != 0 &&
         uv_ip6_addr(host, cfg->port, (struct sockaddr_in6 *)&addr) != 0)) {
        snprintf(err, errlen, "bad listen address %s port %d", host, cfg->port);
        return CORE_EINVAL;
    }
    fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        goto sys_error;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    alen = addr.ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    /* Bound and listening before libuv sees it, so a failure leaves no handle to close. */
    if (bind(fd, (struct sockaddr *)&addr, alen) != 0 || listen(fd, HTTPD_BACKLOG) != 0)
        goto sys_error;
    alen = sizeof addr;
    if (getsockname(fd, (struct sockaddr *)&addr, &alen) != 0)
        goto sys_error;
    s = calloc(1, sizeof *s);
    if (!s) {
        close(fd);
        snprintf(err, errlen, "out of memory");
        return CORE_ENOMEM;
    }
    s->loop = loop;
    s->metrics = cfg->metrics;
    s->metrics_data = cfg->metrics_data;
    s->ready = cfg->ready;
    s->ready_data = cfg->ready_data;
    s->max_conns = cfg->max_conns ? cfg->max_conns : HTTPD_DEFAULT_CONNS;
    s->timeout_ms = cfg->idle_timeout_ms ? cfg->idle_timeout_ms : HTTPD_DEFAULT_TIMEOUT;
    s->port = ntohs(addr.ss_family == AF_INET ? ((struct sockaddr_in *)&addr)->sin_port
                                              : ((struct sockaddr_in6 *)&addr)->sin6_port);
    uv_tcp_init(loop, &s->listener);
    s->listener.data = s;
    rc = uv_tcp_open(&s->listener, fd);
    if (rc == 0)
        fd = -1; /* the handle owns it now */
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&s->listener, HTTPD_BACKLOG, on_connection);
    if (rc != 0) {
        snprintf(err, errlen, "listen on %s:%d: %s", host, cfg->port, uv_strerror(rc));
        if (fd >= 0)
            close(fd);
        uv_close((uv_handle_t *)&s->listener, on_start_failed);
        return CORE_EIO;
    }
    s->listening = 1;
    *out = s;
    return CORE_OK;
sys_error:
    snprintf(err, errlen, "listen on %s:%d: %s", host, cfg->port, strerror(errno));
    if (fd >= 0)
        close(fd);
    return CORE_EIO;
}


int
httpd_port(const httpd *s)
{
    return s->port;
}


void
httpd_close(httpd *s, httpd_close_cb cb, void *data)
{
    conn_t *c, *next;

    if (!s || s->closing)
        return;
    s->closing = 1;
    s->close_cb = cb;
    s->close_data = data;
    uv_close((uv_handle_t *)&s->listener, on_listener_closed);
    for (c = s->conns; c; c = next) {
        next = c->next;
        conn_close(c);
    }
}


int
httpd_split_addr(const char *addr, char *host, size_t hostlen, int *port)
{
    const char *colon, *h, *p;
    size_t      hlen;
    long        v = 0;

    if (!addr)
        return CORE_EINVAL;
    if (addr[0] == '[') {
        h = addr + 1;
        colon = strchr(h, ']');
        if (!colon || colon[1] != ':')
            return CORE_EINVAL;
        hlen = (size_t)(colon - h);
        colon++;
    } else {
        h = addr;
        colon = strrchr(addr, ':');
        if (!colon || memchr(addr, ':', (size_t)(colon - addr)))
            return CORE_EINVAL; /* a bare IPv6 address needs brackets */
        hlen = (size_t)(colon - h);
    }
    p = colon + 1;
    if (*p == '\0' || strlen(p) > 5)
        return CORE_EINVAL;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return CORE_EINVAL;
        v = v * 10 + (*p - '0');
    }
    if (v > 65535)
        return CORE_EINVAL;
    if (hlen == 0) {
        h = "0.0.0.0";
        hlen = 7;
    }
    if (hlen + 1 > hostlen)
        return CORE_ETOOBIG;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (int)v;
    return CORE_OK;
}
