#include "core/core.h"
#include "httpd/httpd.h"
#include "test.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

/*
 * A raw HTTP client on the test's loop: connects, sends up to two chunks (each after a
 * delay, so the server sees them in separate reads), and reads until the server closes.
 */
typedef struct {
    uv_loop_t   *loop;
    uv_tcp_t     tcp;
    uv_connect_t connect_req;
    uv_write_t   write_req;
    uv_timer_t   timer;
    const char  *chunk[2];
    uint64_t     delay_ms[2];
    int          sent;
    char         resp[65536];
    size_t       len;
    int          connected;
    int          end;    /* 1 for EOF, a negative libuv error otherwise, 0 while open */
    int          closed; /* handles closed; 2 when the client is done */
} client_t;

typedef struct {
    int ready;
    int calls;
} ready_state;


static void
client_closed(uv_handle_t *h)
{
    client_t *c = h->data;

    c->closed++;
}


static void
client_finish(client_t *c, int end)
{
    if (c->end)
        return;
    c->end = end;
    uv_close((uv_handle_t *)&c->tcp, client_closed);
    uv_close((uv_handle_t *)&c->timer, client_closed);
}


static void
client_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    client_t *c = h->data;

    (void)suggested;
    *buf = uv_buf_init(c->resp + c->len, (unsigned)(sizeof c->resp - 1 - c->len));
}


static void
client_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    client_t *c = s->data;

    (void)buf;
    if (nread > 0) {
        c->len += (size_t)nread;
        c->resp[c->len] = '\0';
    } else if (nread < 0) {
        client_finish(c, nread == UV_EOF ? 1 : (int)nread);
    }
}


static void client_send(uv_timer_t *t);


static void
client_wrote(uv_write_t *req, int status)
{
    client_t *c = req->data;

    if (status < 0 || c->end)
        return;
    if (c->sent < 2 && c->chunk[c->sent])
        uv_timer_start(&c->timer, client_send, c->delay_ms[c->sent], 0);
}


static void
client_send(uv_timer_t *t)
{
    client_t *c = t->data;
    uv_buf_t  buf;

    if (c->end)
        return;
    buf = uv_buf_init((char *)c->chunk[c->sent], (unsigned)strlen(c->chunk[c->sent]));
    c->sent++;
    c->write_req.data = c;
    if (uv_write(&c->write_req, (uv_stream_t *)&c->tcp, &buf, 1, client_wrote) != 0)
        client_finish(c, -1);
}


static void
client_connected(uv_connect_t *req, int status)
{
    client_t *c = req->data;

    if (status < 0) {
        client_finish(c, status);
        return;
    }
    c->connected = 1;
    ASSERT_EQ(uv_read_start((uv_stream_t *)&c->tcp, client_alloc, client_read), 0);
    if (c->chunk[0])
        uv_timer_start(&c->timer, client_send, c->delay_ms[0], 0);
}


/* Starts a client; chunk1 may be NULL (send nothing), chunk2 follows chunk1 after delay2. */
static void
client_start(client_t *c, uv_loop_t *loop, int port, const char *chunk1, uint64_t delay1,
             const char *chunk2, uint64_t delay2)
{
    struct sockaddr_in addr;

    memset(c, 0, sizeof *c);
    c->loop = loop;
    c->chunk[0] = chunk1;
    c->chunk[1] = chunk2;
    c->delay_ms[0] = delay1;
    c->delay_ms[1] = delay2;
    ASSERT_EQ(uv_tcp_init(loop, &c->tcp), 0);
    ASSERT_EQ(uv_timer_init(loop, &c->timer), 0);
    c->tcp.data = c;
    c->timer.data = c;
    c->connect_req.data = c;
    ASSERT_EQ(uv_ip4_addr("127.0.0.1", port, &addr), 0);
    ASSERT_EQ(uv_tcp_connect(&c->connect_req, &c->tcp, (struct sockaddr *)&addr, client_connected), 0);
}


static void
client_wait(client_t *c)
{
    while (c->closed < 2)
        uv_run(c->loop, UV_RUN_ONCE);
}


static void
on_pause_done(uv_timer_t *t)
{
    *(int *)t->data = 1;
}


/* Runs the loop for ms milliseconds, so the server gets to act on what was sent. */
static void
run_for(uv_loop_t *loop, uint64_t ms)
{
    uv_timer_t t;
    int        done = 0;

    ASSERT_EQ(uv_timer_init(loop, &t), 0);
    t.data = &done;
    ASSERT_EQ(uv_timer_start(&t, on_pause_done, ms, 0), 0);
    while (!done)
        uv_run(loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
}


/* One request from connect to close. */
static void
request(uv_loop_t *loop, int port, const char *raw, client_t *c)
{
    client_start(c, loop, port, raw, 0, NULL, 0);
    client_wait(c);
}


static int
status_of(const client_t *c)
{
    if (c->len < 12 || strncmp(c->resp, "HTTP/1.1 ", 9) != 0)
        return -1;
    return (int)strtol(c->resp + 9, NULL, 10);
}


static const char *
body_of(const client_t *c)
{
    const char *p = strstr(c->resp, "\r\n\r\n");

    return p ? p + 4 : NULL;
}


/* Whether the response head has this exact header line. */
static int
has_header(const client_t *c, const char *line)
{
    const char *end = strstr(c->resp, "\r\n\r\n");
    const char *p = strstr(c->resp, line);
    size_t      n = strlen(line);

    return end && p && p < end && p[-2] == '\r' && p[-1] == '\n' && p[n] == '\r';
}


static void
on_server_closed(void *data)
{
    (*(int *)data)++;
}


/* Closes the server and checks the loop has nothing left. */
static void
finish(uv_loop_t *loop, httpd *s)
{
    int closed = 0;

    httpd_close(s, on_server_closed, &closed);
    ASSERT_EQ(closed, 0); /* freed from close callbacks, not inside httpd_close */
    ASSERT_EQ(uv_run(loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(closed, 1);
    ASSERT_EQ(uv_loop_close(loop), 0);
    alarm(0);
}


static int
render_metrics(void *data, core_buf *body, const char **content_type)
{
    int *fail = data;

    (void)content_type;
    if (*fail)
        return CORE_EINTERNAL;
    return core_buf_printf(body, "# TYPE up gauge\nup %d\n", 1);
}


static int
check_ready(void *data, char *reason, size_t len)
{
    ready_state *st = data;

    st->calls++;
    if (!st->ready)
        snprintf(reason, len, "informers not synced");
    return st->ready;
}


static void
start(uv_loop_t *loop, httpd_config *cfg, httpd **s)
{
    char err[256];

    signal(SIGPIPE, SIG_IGN);
    alarm(20); /* a hang fails the test instead of the whole run */
    ASSERT_EQ(uv_loop_init(loop), 0);
    cfg->host = "127.0.0.1";
    ASSERT_EQ(httpd_start(loop, cfg, s, err, sizeof err), CORE_OK);
    ASSERT(httpd_port(*s) > 0);
}


TEST(httpd_serves_healthz_metrics_and_readyz)
{
    uv_loop_t    loop;
    httpd       *s = NULL;
    client_t     c;
    int          fail = 0;
    ready_state  st = {0, 0};
    httpd_config cfg = {.metrics = render_metrics,
                        .metrics_data = &fail,
                        .ready = check_ready,
                        .ready_data = &st};

    start(&loop, &cfg, &s);

    request(&loop, httpd_port(s), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", &c);
    ASSERT_EQ(c.end, 1);
    ASSERT_EQ(status_of(&c), 200);
    ASSERT_STR(body_of(&c), "ok");
    ASSERT(has_header(&c, "Connection: close"));
    ASSERT(has_header(&c, "Content-Length: 2"));

    request(&loop, httpd_port(s), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &c);
    ASSERT_EQ(status_of(&c), 200);
    ASSERT_STR(body_of(&c), "# TYPE up gauge\nup 1\n");
    ASSERT(has_header(&c, "Content-Type: text/plain; version=0.0.4; charset=utf-8"));
    ASSERT(has_header(&c, "Content-Length: 21"));

    request(&loop, httpd_port(s), "GET /readyz HTTP/1.1\r\n\r\n", &c);
    ASSERT_EQ(status_of(&c), 503);
    ASSERT_STR(body_of(&c), "informers not synced");
    st.ready = 1;
    request(&loop, httpd_port(s), "GET /readyz?verbose HTTP/1.0\r\n\r\n", &c);
    ASSERT_EQ(status_of(&c), 200);
    ASSERT_STR(body_of(&c), "ok");
    ASSERT_EQ(st.calls, 2);

    fail = 1;
    request(&loop, httpd_port(s), "GET /metrics HTTP/1.1\r\n\r\n", &c);
    ASSERT_EQ(status_of(&c), 500);
    finish(&loop, s);
}


TEST(httpd_unknown_path_method_and_garbage)
{
    uv_loop_t    loop;
    httpd       *s = NULL;
    client_t     c;
    httpd_config cfg = {0};

    start(&loop, &cfg, &s);
    request(&loop, httpd_port(s), "GET /nope HTTP/1.1\r\n\r\n", &c);
    ASSERT_EQ(status_of(&c), 404);
    request(&loop, httpd_port(s), "GET /healthzz HTTP/1.1\r\n\r\n", &c);
    ASSERT_EQ(status_of(&c), 404);
    request(&loop, httpd_port(s), "GET /metrics HTTP/1.1\r\n\r\n", &c);
    ASSERT_EQ(status_of(&c), 404); /* no metrics callback configured */
    request(&loop, httpd_port(s), "GET /readyz HTTP/1.1\r\n\r\n", &c);
    ASSERT_EQ(status_of(&c), 200); /* no ready callback: ready */
    request(&loop, httpd_port(s), "POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", &c);
    ASSERT_EQ(status_of(&c), 405);
    ASSERT(has_header(&c, "Allow: GET"));
    request(&loop, httpd_port(s), "HEAD /healthz HTTP/1.1\r\n\r\n", &c);
    ASSERT_EQ(status_of(&c), 405);
    request(&loop, httpd_port(s), "HELLO\r\n\r\n", &c);
    ASSERT_EQ(status_of(&c), 400);
    request(&loop, httpd_port(s), "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", &c);
    ASSERT_EQ(status_of(&c), 400);
    request(&loop, httpd_port(s), "GET /healthz\n\n", &c);
    ASSERT_EQ(status_of(&c), 400);
    request(&loop, httpd_port(s), "GET /healthz HTTP/1.1\n\n", &c); /* bare LF is accepted */
    ASSERT_EQ(status_of(&c), 200);
    finish(&loop, s);
}


TEST(httpd_request_split_across_reads)
{
    uv_loop_t    loop;
    httpd       *s = NULL;
    client_t     c;
    httpd_config cfg = {0};
    uint64_t     t0;

    start(&loop, &cfg, &s);
    /* The second write comes 50 ms later; the split falls inside the path. */
    t0 = uv_now(&loop);
    client_start(&c, &loop, httpd_port(s), "GET /heal", 0, "thz HTTP/1.1\r\nHost: x\r\n\r\n", 50);
    client_wait(&c);
    ASSERT_EQ(c.end, 1);
    ASSERT_EQ(status_of(&c), 200);
    ASSERT_STR(body_of(&c), "ok");
    ASSERT(uv_now(&loop) - t0 >= 45); /* answered only after the second part */
    /* Split inside the blank line that ends the head. */
    client_start(&c, &loop, httpd_port(s), "GET /readyz HTTP/1.1\r\nHost: x\r\n\r", 0, "\n", 30);
    client_wait(&c);
    ASSERT_EQ(status_of(&c), 200);
    finish(&loop, s);
}


TEST(httpd_incomplete_request_times_out)
{
    uv_loop_t    loop;
    httpd       *s = NULL;
    client_t     c;
    httpd_config cfg = {.idle_timeout_ms = 50};
    uint64_t     t0;

    start(&loop, &cfg, &s);
    t0 = uv_now(&loop);
    client_start(&c, &loop, httpd_port(s), "GET /healthz HTTP/1.1\r\n", 0, NULL, 0);
    client_wait(&c);
    ASSERT_EQ(c.len, 0);
    ASSERT(c.end != 0);
    ASSERT(uv_now(&loop) - t0 >= 45);
    /* A client that never sends anything is cut off the same way. */
    client_start(&c, &loop, httpd_port(s), NULL, 0, NULL, 0);
    client_wait(&c);
    ASSERT_EQ(c.len, 0);
    ASSERT(c.end != 0);
    finish(&loop, s);
}


TEST(httpd_oversize_header_gets_431)
{
    uv_loop_t    loop;
    httpd       *s = NULL;
    client_t     c;
    httpd_config cfg = {0};
    static char  big[2 * HTTPD_MAX_HEADER];
    const char  *head = "GET /healthz HTTP/1.1\r\nX-Big: ";
    size_t       n;

    start(&loop, &cfg, &s);

    /* Just under the cap is still served. */
    n = strlen(head);
    memcpy(big, head, n);
    memset(big + n, 'a', HTTPD_MAX_HEADER - n - 4);
    memcpy(big + HTTPD_MAX_HEADER - 4, "\r\n\r\n", 5);
    ASSERT_EQ(strlen(big), HTTPD_MAX_HEADER);
    request(&loop, httpd_port(s), big, &c);
    ASSERT_EQ(status_of(&c), 200);

    /* One byte more: 431. */
    memset(big + n, 'a', HTTPD_MAX_HEADER - n - 3);
    memcpy(big + HTTPD_MAX_HEADER - 3, "\r\n\r\n", 5);
    ASSERT_EQ(strlen(big), HTTPD_MAX_HEADER + 1);
    request(&loop, httpd_port(s), big, &c);
    ASSERT_EQ(c.end, 1);
    ASSERT_EQ(status_of(&c), 431);
    ASSERT_STR(body_of(&c), "request header fields too large\n");

    /* Far more: still 431, and what the client keeps sending is drained, not reset. */
    memset(big + n, 'a', sizeof big - n - 5);
    memcpy(big + sizeof big - 5, "\r\n\r\n", 5);
    request(&loop, httpd_port(s), big, &c);
    ASSERT_EQ(c.end, 1);
    ASSERT_EQ(status_of(&c), 431);
    finish(&loop, s);
}


TEST(httpd_connection_limit_closes_extra_connections)
{
    uv_loop_t    loop;
    httpd       *s = NULL;
    client_t     a, b;
    httpd_config cfg = {.max_conns = 1};

    start(&loop, &cfg, &s);
    /* a connects first and sends its request only after b has been turned away. */
    client_start(&a, &loop, httpd_port(s), "GET /healthz HTTP/1.1\r\n\r\n", 300, NULL, 0);
    while (!a.connected)
        uv_run(&loop, UV_RUN_ONCE);
    client_start(&b, &loop, httpd_port(s), "GET /healthz HTTP/1.1\r\n\r\n", 0, NULL, 0);
    client_wait(&b);
    ASSERT_EQ(b.len, 0);
    ASSERT(b.end != 0);
    ASSERT_EQ(a.end, 0); /* still open */
    client_wait(&a);
    ASSERT_EQ(status_of(&a), 200);
    /* The slot is free again once the server has seen a's FIN. */
    run_for(&loop, 20);
    request(&loop, httpd_port(s), "GET /healthz HTTP/1.1\r\n\r\n", &b);
    ASSERT_EQ(status_of(&b), 200);
    finish(&loop, s);
}


TEST(httpd_close_drops_open_connections)
{
    uv_loop_t    loop;
    httpd       *s = NULL;
    client_t     c;
    httpd_config cfg = {0};
    int          closed = 0;

    start(&loop, &cfg, &s);
    client_start(&c, &loop, httpd_port(s), "GET /heal", 0, NULL, 0);
    run_for(&loop, 30); /* connected, and the server holds a partial request */
    ASSERT_EQ(c.sent, 1);
    ASSERT_EQ(c.end, 0);
    httpd_close(s, on_server_closed, &closed);
    client_wait(&c);
    ASSERT_EQ(c.len, 0);
    ASSERT(c.end != 0);
    ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(closed, 1);
    ASSERT_EQ(uv_loop_close(&loop), 0);
    alarm(0);
}


typedef struct {
    httpd *server;
    int    closed;
} closer;


static int
ready_closes_server(void *data, char *reason, size_t len)
{
    closer *cl = data;

    (void)reason;
    (void)len;
    httpd_close(cl->server, on_server_closed, &cl->closed);
    return 1;
}


TEST(httpd_close_from_a_callback)
{
    uv_loop_t    loop;
    client_t     c;
    closer       cl = {NULL, 0};
    httpd_config cfg = {.ready = ready_closes_server, .ready_data = &cl};

    start(&loop, &cfg, &cl.server);
    request(&loop, httpd_port(cl.server), "GET /readyz HTTP/1.1\r\n\r\n", &c);
    ASSERT_EQ(c.len, 0); /* the server went away instead of answering */
    ASSERT(c.end != 0);
    ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(cl.closed, 1);
    ASSERT_EQ(uv_loop_close(&loop), 0);
    alarm(0);
}


TEST(httpd_bind_conflict_and_bad_address)
{
    uv_loop_t    loop;
    httpd       *s = NULL, *t = NULL;
    httpd_config cfg = {0};
    char         err[256];

    start(&loop, &cfg, &s);
    cfg.port = httpd_port(s);
    ASSERT_EQ(httpd_start(&loop, &cfg, &t, err, sizeof err), CORE_EIO);
    ASSERT(t == NULL);
    ASSERT_CONTAINS(err, "in use");
    cfg.host = "not-an-address";
    ASSERT_EQ(httpd_start(&loop, &cfg, &t, err, sizeof err), CORE_EINVAL);
    cfg.host = "127.0.0.1";
    cfg.port = 70000;
    ASSERT_EQ(httpd_start(&loop, &cfg, &t, err, sizeof err), CORE_EINVAL);
    finish(&loop, s);
}


TEST(httpd_ipv6_loopback)
{
    uv_loop_t    loop;
    httpd       *s = NULL;
    httpd_config cfg = {.host = "::1"};
    char         err[256];
    int          rc;

    ASSERT_EQ(uv_loop_init(&loop), 0);
    rc = httpd_start(&loop, &cfg, &s, err, sizeof err);
    if (rc == CORE_EIO) { /* no IPv6 on this host: nothing else to check */
        ASSERT_EQ(uv_loop_close(&loop), 0);
        return;
    }
    ASSERT_EQ(rc, CORE_OK);
    ASSERT(httpd_port(s) > 0);
    finish(&loop, s);
}


TEST(httpd_split_addr_forms)
{
    char host[64];
    int  port = -1;

    ASSERT_EQ(httpd_split_addr(":8080", host, sizeof host, &port), CORE_OK);
    ASSERT_STR(host, "0.0.0.0");
    ASSERT_EQ(port, 8080);
    ASSERT_EQ(httpd_split_addr("127.0.0.1:9090", host, sizeof host, &port), CORE_OK);
    ASSERT_STR(host, "127.0.0.1");
    ASSERT_EQ(port, 9090);
    ASSERT_EQ(httpd_split_addr("[::1]:0", host, sizeof host, &port), CORE_OK);
    ASSERT_STR(host, "::1");
    ASSERT_EQ(port, 0);
    ASSERT_EQ(httpd_split_addr("::1:80", host, sizeof host, &port), CORE_EINVAL);
    ASSERT_EQ(httpd_split_addr("127.0.0.1", host, sizeof host, &port), CORE_EINVAL);
    ASSERT_EQ(httpd_split_addr(":65536", host, sizeof host, &port), CORE_EINVAL);
    ASSERT_EQ(httpd_split_addr(":8x", host, sizeof host, &port), CORE_EINVAL);
    ASSERT_EQ(httpd_split_addr(":", host, sizeof host, &port), CORE_EINVAL);
    ASSERT_EQ(httpd_split_addr("[::1]8080", host, sizeof host, &port), CORE_EINVAL);
    ASSERT_EQ(httpd_split_addr("127.0.0.1:1", host, 4, &port), CORE_ETOOBIG);
}
