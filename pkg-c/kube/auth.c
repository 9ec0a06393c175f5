/*
 * Credentials that change while the process runs: a token file that rotates (re-read
 * every 60 s and after a 401) and exec credential plugins (run with uv_spawn).
 * All I/O is asynchronous on the loop.
 */
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kube-int.h"

#define EXEC_MAX_OUTPUT   (1u << 20)
#define EXEC_MAX_STDERR   4096
#define EXEC_EXPIRY_SLACK 10000 /* refresh this many ms before the token expires */

extern char **environ;


static void
wipe_free(char *p)
{
    if (!p)
        return;
    memset(p, 0, strlen(p));
    free(p);
}


int
kube__auth_init(kube_client *c, const kcfg *cfg)
{
    kube__auth *a = &c->auth;

    a->state = KUBE__AUTH_STATIC;
    if (cfg->token && !(a->token = strdup(cfg->token)))
        return CORE_ENOMEM;
    if (cfg->exec) {
        if (!(a->exec = kcfg_exec_dup(cfg->exec)))
            return CORE_ENOMEM;
        a->state = KUBE__AUTH_NEEDED;
    } else if (cfg->token_file) {
        if (!(a->token_file = strdup(cfg->token_file)))
            return CORE_ENOMEM;
        a->state = KUBE__AUTH_READY;
    }
    core_buf_init(&a->out, EXEC_MAX_OUTPUT);
    core_buf_init(&a->errout, EXEC_MAX_STDERR);
    return CORE_OK;
}


static void
on_period(uv_timer_t *t)
{
    kube__auth_refresh(t->data);
}


/* The periodic re-read starts with the first request, when the loop surely runs. */
static void
start_period(kube_client *c)
{
    kube__auth *a = &c->auth;

    if (a->timer_live || !a->token_file || c->closing)
        return;
    uv_timer_init(c->loop, &a->timer);
    a->timer.data = c;
    a->timer_live = 1;
    c->open_handles++;
    uv_timer_start(&a->timer, on_period, KUBE__TOKEN_FILE_PERIOD_MS, KUBE__TOKEN_FILE_PERIOD_MS);
}


int
kube__auth_ready(kube_client *c)
{
    kube__auth *a = &c->auth;

    start_period(c);
    if (a->state == KUBE__AUTH_READY && a->exec && a->expires_at &&
        uv_now(c->loop) + EXEC_EXPIRY_SLACK >= a->expires_at)
        a->state = KUBE__AUTH_NEEDED;
    switch (a->state) {
    case KUBE__AUTH_STATIC:
    case KUBE__AUTH_READY: return 1;
    case KUBE__AUTH_NEEDED: kube__auth_refresh(c); return 0;
    case KUBE__AUTH_REFRESHING: return 0;
    }
    return 0;
}


/* Ends a refresh. A failed token-file re-read keeps the old token: it may still be good. */
static void
refresh_done(kube_client *c, int err)
{
    kube__auth *a = &c->auth;

    if (c->closing)
        return;
    if (err && a->token_file && a->token)
        err = CORE_OK;
    a->state = err ? KUBE__AUTH_NEEDED : KUBE__AUTH_READY;
    kube__auth_done(c, err);
}


/* --- token file ------------------------------------------------------------------ */

static void
on_file_closed(uv_fs_t *req)
{
    kube_client *c = req->data;
    int          err = c->auth.exit_status ? CORE_EAUTH : CORE_OK;

    uv_fs_req_cleanup(req);
    if (c->closing) {
        kube__release(c);
        return;
    }
    c->open_handles--;
    refresh_done(c, err);
}


static void
file_finish(kube_client *c, int failed)
{
    kube__auth *a = &c->auth;

    a->exit_status = failed;
    uv_fs_close(c->loop, &a->fs, a->fd, on_file_closed);
}


static void
on_file_read(uv_fs_t *req)
{
    kube_client *c = req->data;
    kube__auth  *a = &c->auth;
    ssize_t      n = req->result;
    char        *tok;

    uv_fs_req_cleanup(req);
    if (c->closing || n <= 0 || (size_t)n >= sizeof a->readbuf) {
        if (!c->closing)
            snprintf(a->error, sizeof a->error, "token file %s: %s", a->token_file,
                     n < 0    ? uv_strerror((int)n)
                     : n == 0 ? "empty"
                              : "too large");
        file_finish(c, 1);
        return;
    }
    while (n > 0 &&
           (a->readbuf[n - 1] == '\n' || a->readbuf[n - 1] == '\r' || a->readbuf[n - 1] == ' '))
        n--;
    tok = malloc((size_t)n + 1);
    if (!tok) {
        file_finish(c, 1);
        return;
    }
    memcpy(tok, a->readbuf, (size_t)n);
    tok[n] = '\0';
    memset(a->readbuf, 0, sizeof a->readbuf);
    wipe_free(a->token);
    a->token = tok;
    file_finish(c, 0);
}


static void
on_file_open(uv_fs_t *req)
{
    kube_client *c = req->data;
    kube__auth  *a = &c->auth;
    uv_buf_t     buf = uv_buf_init(a->readbuf, sizeof a->readbuf);
    ssize_t      fd = req->result;

    uv_fs_req_cleanup(req);
    if (fd < 0) {
        snprintf(a->error, sizeof a->error, "token file %s: %s", a->token_file, uv_strerror((int)fd));
        if (c->closing) {
            kube__release(c);
            return;
        }
        c->open_handles--;
        refresh_done(c, CORE_EAUTH);
        return;
    }
    a->fd = (uv_file)fd;
    uv_fs_read(c->loop, &a->fs, a->fd, &buf, 1, 0, on_file_read);
}


static void
file_refresh(kube_client *c)
{
    kube__auth *a = &c->auth;

    a->fs.data = c;
    c->open_handles++; /* an fs request counts as open until it ends */
    if (uv_fs_open(c->loop, &a->fs, a->token_file, O_RDONLY | O_CLOEXEC, 0, on_file_open)) {
        c->open_handles--;
        snprintf(a->error, sizeof a->error, "token file %s: cannot open", a->token_file);
        refresh_done(c, CORE_EAUTH);
    }
}


/* --- exec plugin ----------------------------------------------------------------- */

/* RFC 3339 UTC ("2026-11-23T10:00:00Z") to loop time; 0 when absent or unreadable. */
static uint64_t
expiry_to_loop_time(kube_client *c, const char *ts)
{
    struct tm tm;
    time_t    when;
    double    left;

    if (!ts)
        return 0;
    memset(&tm, 0, sizeof tm);
    if (!strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm))
        return 0;
    when = timegm(&tm);
    left = difftime(when, time(NULL));
    if (left < 0)
        left = 0;
    return uv_now(c->loop) + (uint64_t)(left * 1000);
}


static int
exec_parse(kube_client *c)
{
    kube__auth *a = &c->auth;
    cJSON      *root = NULL, *status;
    const char *token, *cert, *key;
    int         rc = CORE_EAUTH;

    root = cJSON_ParseWithLength(a->out.data ? a->out.data : "", a->out.len);
    status = cJSON_GetObjectItemCaseSensitive(root, "status");
    if (!cJSON_IsObject(status)) {
        snprintf(a->error, sizeof a->error,
                 "exec plugin \"%s\" printed no ExecCredential with a status", a->exec->command);
        goto out;
    }
    token = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(status, "token"));
    cert = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(status, "clientCertificateData"));
    key = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(status, "clientKeyData"));
    if (!token && !(cert && key)) {
        snprintf(a->error, sizeof a->error,
                 "exec plugin \"%s\" returned neither a token nor a client certificate and key",
                 a->exec->command);
        goto out;
    }
    wipe_free(a->token);
    a->token = token ? strdup(token) : NULL;
    free(a->cert);
    wipe_free((char *)a->key);
    a->cert = cert ? (unsigned char *)strdup(cert) : NULL;
    a->key = key ? (unsigned char *)strdup(key) : NULL;
    a->cert_len = cert ? strlen(cert) : 0;
    a->key_len = key ? strlen(key) : 0;
    if ((token && !a->token) || (cert && (!a->cert || !a->key))) {
        rc = CORE_ENOMEM;
        goto out;
    }
    a->expires_at = expiry_to_loop_time(
        c, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(status, "expirationTimestamp")));
    rc = CORE_OK;
out:
    if (a->out.data)
        memset(a->out.data, 0, a->out.len);
    core_buf_free(&a->out);
    cJSON_Delete(root);
    return rc;
}


static void
exec_finish(kube_client *c)
{
    kube__auth *a = &c->auth;
    int         err = CORE_EAUTH;
    size_t      n;

    if (c->closing) {
        core_buf_free(&a->out);
        core_buf_free(&a->errout);
        return;
    }
    if (a->exit_status != 0) {
        n = a->errout.data ? strcspn(a->errout.data, "\r\n") : 0;
        snprintf(a->error, sizeof a->error, "exec plugin \"%s\" exited with status %lld%s%.*s",
                 a->exec->command, (long long)a->exit_status, n ? ": " : "", (int)n,
                 a->errout.data ? a->errout.data : "");
        core_buf_free(&a->out);
    } else {
        err = exec_parse(c);
    }
    core_buf_free(&a->errout);
    refresh_done(c, err);
}


static void
on_exec_handle_closed(uv_handle_t *h)
{
    kube_client *c = h->data;

    if (--c->auth.open_handles == 0)
        exec_finish(c);
    kube__handle_closed(h);
}


static void
exec_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    static char scratch[16384];

    (void)h;
    (void)suggested;
    *buf = uv_buf_init(scratch, sizeof scratch);
}


static void
on_exec_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    kube_client *c = s->data;
    kube__auth  *a = &c->auth;
    core_buf    *dst = s == (uv_stream_t *)&a->out_pipe ? &a->out : &a->errout;

    if (n > 0) {
        /* Output past the cap is dropped; the parse then fails with a clear message. */
        if (dst->len + (size_t)n <= dst->max)
            core_buf_add(dst, buf->base, (size_t)n);
        return;
    }
    if (n < 0)
        uv_close((uv_handle_t *)s, on_exec_handle_closed);
}


static void
on_exec_exit(uv_process_t *p, int64_t status, int signal)
{
    kube_client *c = p->data;

    c->auth.exit_status = signal ? 128 + signal : status;
    uv_close((uv_handle_t *)p, on_exec_handle_closed);
}


static char **
exec_environment(kube__auth *a)
{
    size_t n = 0, m = 0, i, j = 0;
    char **env;
    char   info[512];

    while (environ[n])
        n++;
    while (a->exec->env && a->exec->env[m])
        m++;
    env = calloc(n + m + 2, sizeof *env);
    if (!env)
        return NULL;
    for (i = 0; i < n; i++)
        env[j++] = environ[i];
    for (i = 0; i < m; i++)
        env[j++] = a->exec->env[i];
    snprintf(info, sizeof info,
             "KUBERNETES_EXEC_INFO={\"apiVersion\":\"%s\",\"kind\":\"ExecCredential\","
             "\"spec\":{\"interactive\":false}}",
             a->exec->api_version);
    env[j] = strdup(info);
    if (!env[j]) {
        free(env);
        return NULL;
    }
    return env;
}


static void
exec_refresh(kube_client *c)
{
    kube__auth          *a = &c->auth;
    uv_process_options_t opts;
    uv_stdio_container_t stdio[3];
    char               **argv = NULL, **env = NULL;
    size_t               nargs = 0, i;
    int                  rc;

    while (a->exec->args && a->exec->args[nargs])
        nargs++;
    argv = calloc(nargs + 2, sizeof *argv);
    env = exec_environment(a);
    if (!argv || !env) {
        snprintf(a->error, sizeof a->error, "exec plugin \"%s\": out of memory", a->exec->command);
        goto fail;
    }
    argv[0] = a->exec->command;
    for (i = 0; i < nargs; i++)
        argv[i + 1] = a->exec->args[i];
    uv_pipe_init(c->loop, &a->out_pipe, 0);
    uv_pipe_init(c->loop, &a->err_pipe, 0);
    a->out_pipe.data = a->err_pipe.data = a->proc.data = c;
    memset(&opts, 0, sizeof opts);
    stdio[0].flags = UV_IGNORE;
    stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
    stdio[1].data.stream = (uv_stream_t *)&a->out_pipe;
    stdio[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
    stdio[2].data.stream = (uv_stream_t *)&a->err_pipe;
    opts.file = a->exec->command;
    opts.args = argv;
    opts.env = env;
    opts.stdio = stdio;
    opts.stdio_count = 3;
    opts.exit_cb = on_exec_exit;
    core_buf_init(&a->out, EXEC_MAX_OUTPUT);
    core_buf_init(&a->errout, EXEC_MAX_STDERR);
    a->exit_status = 0;
    a->open_handles = 3;
    c->open_handles += 3;
    rc = uv_spawn(c->loop, &a->proc, &opts);
    if (rc) {
        /* All three handles are closed; the last close ends the refresh with this error. */
        a->exit_status = 127;
        core_buf_printf(&a->errout, "%s", uv_strerror(rc));
        uv_close((uv_handle_t *)&a->proc, on_exec_handle_closed);
        uv_close((uv_handle_t *)&a->out_pipe, on_exec_handle_closed);
        uv_close((uv_handle_t *)&a->err_pipe, on_exec_handle_closed);
        goto out;
    }
    uv_read_start((uv_stream_t *)&a->out_pipe, exec_alloc, on_exec_read);
    uv_read_start((uv_stream_t *)&a->err_pipe, exec_alloc, on_exec_read);
    goto out;
fail:
    free(argv);
    argv = NULL;
    refresh_done(c, CORE_EAUTH);
out:
    free(argv);
    if (env) {
        size_t k = 0;

        while (env[k])
            k++;
        free(env[k - 1]); /* the KUBERNETES_EXEC_INFO string; the rest is borrowed */
        free(env);
    }
}


void
kube__auth_refresh(kube_client *c)
{
    kube__auth *a = &c->auth;

    if (c->closing || a->state == KUBE__AUTH_REFRESHING || a->state == KUBE__AUTH_STATIC)
        return;
    a->state = KUBE__AUTH_REFRESHING;
    a->error[0] = '\0';
    if (a->exec)
        exec_refresh(c);
    else
        file_refresh(c);
}


void
kube__auth_close(kube_client *c)
{
    kube__auth *a = &c->auth;

    if (a->timer_live) {
        uv_timer_stop(&a->timer);
        uv_close((uv_handle_t *)&a->timer, kube__handle_closed);
        a->timer_live = 0;
    }
    if (a->exec && a->state == KUBE__AUTH_REFRESHING && a->open_handles) {
        if (!uv_is_closing((uv_handle_t *)&a->proc)) {
            uv_process_kill(&a->proc, SIGTERM);
            uv_close((uv_handle_t *)&a->proc, on_exec_handle_closed);
        }
        if (!uv_is_closing((uv_handle_t *)&a->out_pipe))
            uv_close((uv_handle_t *)&a->out_pipe, on_exec_handle_closed);
        if (!uv_is_closing((uv_handle_t *)&a->err_pipe))
            uv_close((uv_handle_t *)&a->err_pipe, on_exec_handle_closed);
    }
}


void
kube__auth_free(kube__auth *a)
{
    wipe_free(a->token);
    a->token = NULL;
    free(a->token_file);
    a->token_file = NULL;
    kcfg_exec_free(a->exec);
    a->exec = NULL;
    free(a->cert);
    wipe_free((char *)a->key);
    a->cert = NULL;
    a->key = NULL;
    core_buf_free(&a->out);
    core_buf_free(&a->errout);
}
