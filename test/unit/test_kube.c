#include "core/core.h"
#include "kjson/kjson.h"
#include "kops/kops.h"
#include "kube/kube-int.h"
#include "kube/kube.h"
#include "test.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
    int  calls;
    int  err;
    long status;
    char message[512];
    char body[128]; /* its start */
} outcome;


static void
record(const kube_response *res, void *data)
{
    outcome *o = data;

    o->calls++;
    o->err = res->err;
    o->status = res->status;
    snprintf(o->message, sizeof o->message, "%s", res->message);
    snprintf(o->body, sizeof o->body, "%.*s", (int)res->body_len, res->body ? res->body : "");
}


TEST(kube_refused_connection_reports_and_loop_closes)
{
    uv_loop_t    loop;
    kube_client *c = NULL;
    kcfg         cfg;
    char         server[64], err[256];
    outcome      o = {0};
    kube_req     req = {.path = "/version", .timeout_ms = 5000};

    memset(&cfg, 0, sizeof cfg);
    snprintf(server, sizeof server, "https://127.0.0.1:%d", test_closed_port());
    cfg.server = server;
    ASSERT_EQ(uv_loop_init(&loop), 0);
    ASSERT_EQ(kube_client_new(&loop, &cfg, &c, err, sizeof err), CORE_OK);
    ASSERT_EQ(kube_request(c, &req, record, &o, NULL), CORE_OK);
    ASSERT_EQ(o.calls, 0); /* never called back from inside kube_request */
    while (o.calls == 0 && uv_run(&loop, UV_RUN_ONCE))
        ;
    ASSERT_EQ(o.calls, 1);
    ASSERT_EQ(o.err, CORE_ECONN);
    ASSERT_EQ(o.status, 0);
    ASSERT_CONTAINS(o.message, server);
    kube_client_close(c);
    ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(uv_loop_close(&loop), 0);
}


TEST(kube_close_cancels_requests_in_flight)
{
    uv_loop_t          loop;
    kube_client       *c = NULL;
    kcfg               cfg;
    char               server[64], err[256];
    outcome            o1 = {0}, o2 = {0};
    kube_req           req = {.path = "/version"};
    struct sockaddr_in a;
    socklen_t          len = sizeof a;
    int                lfd = socket(AF_INET, SOCK_STREAM, 0);

    /* A listener that accepts into its backlog and never answers keeps requests pending. */
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT(bind(lfd, (struct sockaddr *)&a, sizeof a) == 0);
    ASSERT(listen(lfd, 8) == 0);
    ASSERT(getsockname(lfd, (struct sockaddr *)&a, &len) == 0);
    snprintf(server, sizeof server, "https://127.0.0.1:%d", ntohs(a.sin_port));
    memset(&cfg, 0, sizeof cfg);
    cfg.server = server;
    ASSERT_EQ(uv_loop_init(&loop), 0);
    ASSERT_EQ(kube_client_new(&loop, &cfg, &c, err, sizeof err), CORE_OK);
    ASSERT_EQ(kube_request(c, &req, record, &o1, NULL), CORE_OK);
    ASSERT_EQ(kube_request(c, &req, record, &o2, NULL), CORE_OK);
    uv_run(&loop, UV_RUN_NOWAIT);
    uv_run(&loop, UV_RUN_NOWAIT);
    ASSERT_EQ(o1.calls + o2.calls, 0);
    kube_client_close(c);
    ASSERT_EQ(o1.calls, 1);
    ASSERT_EQ(o2.calls, 1);
    ASSERT_EQ(o1.err, CORE_ECANCELED);
    ASSERT_EQ(o2.err, CORE_ECANCELED);
    ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(uv_loop_close(&loop), 0);
    close(lfd);
}


/*
 * A server that resets every connection before the TLS handshake ends (as after a cut, when
 * the new connection fails too): calls sent together wait for the one connection the first
 * opens and fail with it, instead of each opening one (libcurl 7.88 alone: 10 connections).
 */
TEST(kube_calls_waiting_for_a_connection_fail_with_it)
{
    uv_loop_t          loop;
    kube_client       *c = NULL;
    kcfg               cfg;
    char               server[64], err[256];
    outcome            o[10];
    kube_req           req = {.path = "/version", .timeout_ms = 5000};
    struct sockaddr_in a;
    socklen_t          len = sizeof a;
    int                lfd = socket(AF_INET, SOCK_STREAM, 0), fd, i, done = 0, spins = 0;

    memset(o, 0, sizeof o);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT(bind(lfd, (struct sockaddr *)&a, sizeof a) == 0);
    ASSERT(listen(lfd, 16) == 0);
    ASSERT(getsockname(lfd, (struct sockaddr *)&a, &len) == 0);
    ASSERT(fcntl(lfd, F_SETFL, O_NONBLOCK) == 0);
    snprintf(server, sizeof server, "https://127.0.0.1:%d", ntohs(a.sin_port));
    memset(&cfg, 0, sizeof cfg);
    cfg.server = server;
    ASSERT_EQ(uv_loop_init(&loop), 0);
    ASSERT_EQ(kube_client_new(&loop, &cfg, &c, err, sizeof err), CORE_OK);
    for (i = 0; i < 10; i++)
        ASSERT_EQ(kube_request(c, &req, record, &o[i], NULL), CORE_OK);
    while (done < 10 && spins++ < 5000) {
        uv_run(&loop, UV_RUN_NOWAIT);
        while ((fd = accept(lfd, NULL, NULL)) >= 0)
            close(fd); /* reset: the client has sent its ClientHello */
        usleep(1000);
        for (done = 0, i = 0; i < 10; i++)
            done += o[i].calls;
    }
    ASSERT_EQ(done, 10);
    for (i = 0; i < 10; i++) {
        ASSERT_EQ(o[i].calls, 1);
        ASSERT(o[i].err == CORE_ECONN || o[i].err == CORE_ETLS);
        ASSERT_CONTAINS(o[i].message, server);
    }
    ASSERT_EQ(kube_client_connects(c), 1);
    kube_client_close(c);
    ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(uv_loop_close(&loop), 0);
    close(lfd);
}


TEST(kube_rejects_bad_arguments)
{
    uv_loop_t    loop;
    kube_client *c = NULL;
    kcfg         cfg;
    char         err[256];
    kube_req     req = {.path = "version"};
    outcome      o = {0};

    memset(&cfg, 0, sizeof cfg);
    ASSERT_EQ(uv_loop_init(&loop), 0);
    ASSERT_EQ(kube_client_new(&loop, &cfg, &c, err, sizeof err), CORE_EINVAL);
    ASSERT_CONTAINS(err, "no server");
    cfg.server = "https://127.0.0.1:1";
    ASSERT_EQ(kube_client_new(&loop, &cfg, &c, err, sizeof err), CORE_OK);
    ASSERT_EQ(kube_request(c, &req, record, &o, NULL), CORE_EINVAL);
    kube_client_close(c);
    ASSERT_EQ(kube_request(c, &req, record, &o, NULL), CORE_ECANCELED);
    ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(uv_loop_close(&loop), 0);
    ASSERT_EQ(o.calls, 0);
}


TEST(kube_failpoint_parse_accepts_both_variants_and_names_errors)
{
    kube_failpoint fp;
    char           err[256];

    ASSERT_EQ(kube_failpoint_parse("write:7:sent", &fp, err, sizeof err), CORE_OK);
    ASSERT_EQ(fp.write, 7);
    ASSERT_EQ(fp.when, KUBE_FP_SENT);
    ASSERT_EQ(kube_failpoint_parse("write:1000000:answer", &fp, err, sizeof err), CORE_OK);
    ASSERT_EQ(fp.write, 1000000);
    ASSERT_EQ(fp.when, KUBE_FP_ANSWER);
    ASSERT_EQ(kube_failpoint_parse("read:7:sent", &fp, err, sizeof err), CORE_EINVAL);
    ASSERT_CONTAINS(err, "want write:N:sent or write:N:answer");
    ASSERT_EQ(kube_failpoint_parse("write:0:sent", &fp, err, sizeof err), CORE_EINVAL);
    ASSERT_CONTAINS(err, "from 1 to 1000000");
    ASSERT_EQ(kube_failpoint_parse("write:x:sent", &fp, err, sizeof err), CORE_EINVAL);
    ASSERT_EQ(kube_failpoint_parse("write:7", &fp, err, sizeof err), CORE_EINVAL);
    ASSERT_EQ(kube_failpoint_parse("write:7:exit", &fp, err, sizeof err), CORE_EINVAL);
    ASSERT_CONTAINS(err, "sent or answer");
    ASSERT_EQ(fp.write, 0);
    ASSERT_EQ(kube_failpoint_parse(NULL, &fp, err, sizeof err), CORE_EINVAL);
}


/*
 * A real TLS peer: Debian's `openssl s_server` on PORT with dir's cert.pem and key.pem.
 * mode "-www" answers every request with a status page; "-WWW" serves the files under dir
 * (HTTP/1.0, 200 even for a missing file, with openssl's error text).
 */
static pid_t
tls_peer_start(const char *dir, int port, const char *mode)
{
    char  accept_at[32], cert[512], key[512];
    pid_t pid;
    int   fd, spins = 0;

    snprintf(accept_at, sizeof accept_at, "127.0.0.1:%d", port);
    snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    snprintf(key, sizeof key, "%s/key.pem", dir);
    pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);

        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        if (chdir(dir) != 0)
            _exit(127);
        execlp("openssl", "openssl", "s_server", "-quiet", mode, "-accept", accept_at, "-cert",
               cert, "-key", key, (char *)NULL);
        _exit(127);
    }
    /* Ready once it accepts a connection. */
    for (;;) {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        int                ok;

        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        fd = socket(AF_INET, SOCK_STREAM, 0);
        ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
        close(fd);
        if (ok)
            return pid;
        ASSERT(spins++ < 1000); /* 10 s */
        usleep(10000);
    }
}


static void
tls_peer_stop(pid_t pid)
{
    int status;

    kill(pid, SIGKILL);
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
}


static void
count_back(void *data)
{
    (*(int *)data)++;
}


/* One GET / through the client; its outcome's error. */
static int
one_request(uv_loop_t *loop, kube_client *c)
{
    kube_req req = {.path = "/", .timeout_ms = 10000};
    outcome  o = {0};

    ASSERT_EQ(kube_request(c, &req, record, &o, NULL), CORE_OK);
    while (o.calls == 0 && uv_run(loop, UV_RUN_ONCE))
        ;
    ASSERT_EQ(o.calls, 1);
    return o.err;
}


/*
 * kube_client_set_on_back against a real TLS peer (openssl s_server) killed and started again
 * on the same port: told at the client's first answer, not again while the server answers,
 * and once at the first answer after each outage (the runtime relists its informers then).
 */
/* What a test against tls_peer_start needs: a directory with its key and certificate, and
 * a client on loop that trusts it. */
typedef struct {
    char         dir[64];
    int          port;
    uv_loop_t    loop;
    kube_client *c;
    char        *ca;
} tls_peer_env;


static void
tls_peer_env_open(tls_peer_env *e, const char *name)
{
    char   cmd[1024], server[64], err[256], path[600];
    kcfg   cfg;
    size_t ca_len = 0;

    memset(e, 0, sizeof *e);
    snprintf(e->dir, sizeof e->dir, "/tmp/%s-XXXXXX", name);
    ASSERT(mkdtemp(e->dir) != NULL);
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
             "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout %s/key.pem -out %s/cert.pem "
             ">/dev/null 2>&1",
             e->dir, e->dir);
    ASSERT_EQ(system(cmd), 0);
    snprintf(path, sizeof path, "%s/cert.pem", e->dir);
    ASSERT_EQ(core_read_file(path, 1 << 16, &e->ca, &ca_len), CORE_OK);
    e->port = test_closed_port();
    memset(&cfg, 0, sizeof cfg);
    snprintf(server, sizeof server, "https://127.0.0.1:%d", e->port);
    cfg.server = server;
    cfg.ca = (unsigned char *)e->ca;
    cfg.ca_len = ca_len;
    ASSERT_EQ(uv_loop_init(&e->loop), 0);
    ASSERT_EQ(kube_client_new(&e->loop, &cfg, &e->c, err, sizeof err), CORE_OK);
}


static void
tls_peer_env_close(tls_peer_env *e)
{
    char cmd[128];

    kube_client_close(e->c);
    ASSERT_EQ(uv_run(&e->loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(uv_loop_close(&e->loop), 0);
    free(e->ca);
    snprintf(cmd, sizeof cmd, "rm -rf %s", e->dir);
    ASSERT_EQ(system(cmd), 0);
}


TEST(kube_on_back_once_per_outage)
{
    tls_peer_env e;
    uv_loop_t   *loop = &e.loop;
    kube_client *c;
    int          backs = 0;
    pid_t        peer;

    tls_peer_env_open(&e, "kube-on-back");
    c = e.c;
    kube_client_set_on_back(c, count_back, &backs);

    ASSERT_EQ(one_request(loop, c), CORE_ECONN); /* nothing listens yet */
    ASSERT_EQ(backs, 0);
    peer = tls_peer_start(e.dir, e.port, "-www");
    ASSERT_EQ(one_request(loop, c), CORE_OK);
    ASSERT_EQ(backs, 1); /* the first answer */
    ASSERT_EQ(one_request(loop, c), CORE_OK);
    ASSERT_EQ(backs, 1); /* still answering: nothing to tell */

    tls_peer_stop(peer);
    ASSERT_EQ(one_request(loop, c), CORE_ECONN);
    ASSERT_EQ(one_request(loop, c), CORE_ECONN);
    ASSERT_EQ(backs, 1); /* a failure is not an answer */
    peer = tls_peer_start(e.dir, e.port, "-www");
    ASSERT_EQ(one_request(loop, c), CORE_OK);
    ASSERT_EQ(backs, 2); /* back after the outage: told once */
    ASSERT_EQ(one_request(loop, c), CORE_OK);
    ASSERT_EQ(backs, 2);
    tls_peer_stop(peer);
    tls_peer_env_close(&e);
}


/* Writes text into the file path under dir, for the -WWW peer to serve. */
static void
peer_file(const tls_peer_env *e, const char *path, const char *text)
{
    char  full[256];
    FILE *f;

    snprintf(full, sizeof full, "%s/%s", e->dir, path);
    ASSERT((f = fopen(full, "w")) != NULL);
    fputs(text, f);
    ASSERT_EQ(fclose(f), 0);
}


/*
 * A finished call's easy handle serves the next call (reset to libcurl's defaults: the next
 * answer is the next URL's), and at most KUBE__IDLE_EASY wait; ASan sees the rest freed.
 */
TEST(kube_reuses_easy_handles)
{
    tls_peer_env e;
    outcome      a[12];
    kube_req     req = {.timeout_ms = 10000};
    CURL        *first;
    pid_t        peer;
    int          i, done;

    tls_peer_env_open(&e, "kube-easy");
    peer_file(&e, "a", "{\"n\":\"a\"}");
    peer_file(&e, "b", "{\"n\":\"b\"}");
    peer = tls_peer_start(e.dir, e.port, "-WWW");
    memset(a, 0, sizeof a);

    req.path = "/a";
    ASSERT_EQ(kube_request(e.c, &req, record, &a[0], NULL), CORE_OK);
    while (a[0].calls == 0 && uv_run(&e.loop, UV_RUN_ONCE))
        ;
    ASSERT_CONTAINS(a[0].body, "\"a\"");
    ASSERT_EQ(e.c->nidle, 1);
    first = e.c->idle[0];

    /* A PUT with a body on the handle, then a GET on the same handle: reset, it asks for
     * /b as a GET (-WWW serves GETs only), not a PUT with the last body. */
    req.path = "/a";
    req.method = "PUT";
    req.body = "{}";
    req.body_len = 2;
    ASSERT_EQ(kube_request(e.c, &req, record, &a[1], NULL), CORE_OK);
    ASSERT_EQ(e.c->nidle, 0);
    while (a[1].calls == 0 && uv_run(&e.loop, UV_RUN_ONCE))
        ;
    ASSERT_EQ(e.c->nidle, 1);
    ASSERT(e.c->idle[0] == first);
    req.method = NULL;
    req.body = NULL;
    req.body_len = 0;
    a[1].calls = 0;
    req.path = "/b";
    ASSERT_EQ(kube_request(e.c, &req, record, &a[1], NULL), CORE_OK);
    ASSERT_EQ(e.c->nidle, 0); /* taken by the new call */
    while (a[1].calls == 0 && uv_run(&e.loop, UV_RUN_ONCE))
        ;
    ASSERT_CONTAINS(a[1].body, "\"b\"");
    ASSERT_EQ(e.c->nidle, 1);
    ASSERT(e.c->idle[0] == first);

    for (i = 0; i < 12; i++) {
        a[i].calls = 0;
        req.path = i % 2 ? "/a" : "/b";
        ASSERT_EQ(kube_request(e.c, &req, record, &a[i], NULL), CORE_OK);
    }
    do {
        for (done = 0, i = 0; i < 12; i++)
            done += a[i].calls;
    } while (done < 12 && uv_run(&e.loop, UV_RUN_ONCE));
    for (i = 0; i < 12; i++)
        ASSERT_CONTAINS(a[i].body, i % 2 ? "\"a\"" : "\"b\"");
    ASSERT_EQ(e.c->nidle, KUBE__IDLE_EASY);

    tls_peer_stop(peer);
    tls_peer_env_close(&e);
}


typedef struct {
    kjson_pool *pool;
    int         calls, err, taken;
    size_t      bytes; /* the pool's while the callback ran */
    char        name[64];
} got;


static void
on_got(const kops_result *r, void *data)
{
    got        *g = data;
    const char *name = kjson_path_str(r->obj, "metadata", "name", NULL);

    g->calls++;
    g->err = r->err;
    snprintf(g->name, sizeof g->name, "%s", name ? name : "(none)");
    /* Whether the answer's turn holds the pool while the callback runs, and fills it. */
    g->bytes = kjson_pool_bytes(g->pool);
    g->taken = !kjson_pool_take(g->pool);
    if (!g->taken)
        kjson_pool_give(g->pool);
}


/* One kops_get of secret name in namespace t; the callback's view of it in *g. */
static void
one_get(tls_peer_env *e, const char *name, int no_obj, got *g)
{
    kops_target t = {e->c, &KRES_SECRETS, "t", name, NULL, no_obj, 0};

    g->calls = 0;
    ASSERT_EQ(kops_get(&t, on_got, g), CORE_OK);
    while (g->calls == 0 && uv_run(&e->loop, UV_RUN_ONCE))
        ;
    ASSERT_EQ(g->calls, 1);
}


/*
 * kops parses an answer into the client's pool (kube_client_set_pool) in a turn of its own,
 * given back when the callback returns; on the heap when the pool is taken. Against a real
 * TLS peer serving a file (openssl s_server -WWW); ASan sees that nothing leaks either way.
 */
TEST(kops_answers_parse_into_the_client_pool)
{
    tls_peer_env e;
    got          g = {0};
    char         path[256];
    pid_t        peer;

    tls_peer_env_open(&e, "kops-pool");
    snprintf(path, sizeof path, "mkdir -p %s/api/v1/namespaces/t/secrets", e.dir);
    ASSERT_EQ(system(path), 0);
    peer_file(&e, "api/v1/namespaces/t/secrets/s",
              "{\"kind\":\"Secret\",\"metadata\":{\"name\":\"s\",\"labels\":{\"a\":\"b\"}}}\n");
    ASSERT_EQ(kjson_pool_new(&g.pool), CORE_OK);
    ASSERT(kube_client_pool(e.c) == NULL);
    kube_client_set_pool(e.c, g.pool);
    ASSERT(kube_client_pool(e.c) == g.pool);
    peer = tls_peer_start(e.dir, e.port, "-WWW");

    ASSERT_EQ(kjson_pool_bytes(g.pool), 0);
    one_get(&e, "s", 0, &g);
    ASSERT_EQ(g.err, CORE_OK);
    ASSERT_STR(g.name, "s");
    ASSERT_EQ(g.taken, 1);
    ASSERT(g.bytes > 0); /* the tree is in the pool */
    ASSERT_EQ(kjson_pool_turns(g.pool), 1);

    /* Not JSON (openssl's text for a missing file, with a 200): no object, nothing kept. */
    one_get(&e, "missing", 0, &g);
    ASSERT_EQ(g.err, CORE_OK);
    ASSERT_STR(g.name, "(none)");
    ASSERT_EQ(kjson_pool_turns(g.pool), 2);

    /* no_obj: not parsed at all (the one turn is the callback's own take). */
    one_get(&e, "s", 1, &g);
    ASSERT_STR(g.name, "(none)");
    ASSERT_EQ(g.taken, 0);
    ASSERT_EQ(kjson_pool_turns(g.pool), 3);

    /* Taken by someone else: parsed on the heap, the pool untouched. */
    ASSERT(kjson_pool_take(g.pool));
    one_get(&e, "s", 0, &g);
    ASSERT_STR(g.name, "s");
    ASSERT_EQ(kjson_pool_turns(g.pool), 4);
    kjson_pool_give(g.pool);

    tls_peer_stop(peer);
    tls_peer_env_close(&e);
    kjson_pool_free(g.pool);
}
