/*
 * kubectl dbaas connect: a port-forward to the database's Service and the engine's client on
 * it. The forward runs in a process group of its own, so that stopping it stops whatever the
 * forward command started; the client gets the terminal and Ctrl-C (the plugin ignores
 * SIGINT while the client runs); SIGTERM or SIGHUP to the plugin stops both. The password
 * goes only into the client's environment: the plugin's own environment and every argv stay
 * without it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/core.h"
#include "kd.h"
#include "kjson/kjson.h"
#include "plugin/plugin.h"

#define FORWARD_WAIT_MS 30000
#define LOOPBACK        "127.0.0.1"


/* A free loopback port: bound, read and closed (a small race, as kubectl's own ":0" has). */
static int
free_port(void)
{
    struct sockaddr_in a;
    socklen_t          len = sizeof a;
    int                fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}


static int
listening(int port)
{
    struct sockaddr_in a;
    int                fd = socket(AF_INET, SOCK_STREAM, 0), ok;

    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}


/* A Secret data key decoded (caller wipes and frees), or NULL. */
static char *
secret_str(const cJSON *secret, const char *key)
{
    const char    *b64 = kjson_path_str(secret, "data", key, NULL);
    unsigned char *v = NULL;
    size_t         n;

    if (!b64 || core_b64_decode(b64, strlen(b64), &v, &n))
        return NULL;
    return (char *)v;
}


static void
wipe(char *s)
{
    if (s)
        OPENSSL_cleanse(s, strlen(s));
    free(s);
}


static int
remote_port(const cJSON *obj, const char *engine)
{
    const char *ep = kjson_path_str(obj, "status", "endpoint", NULL), *colon;
    char       *end;
    long        p;

    if (ep && (colon = strrchr(ep, ':'))) {
        p = strtol(colon + 1, &end, 10);
        if (*end == '\0' && p > 0 && p < 65536)
            return (int)p;
    }
    return strcmp(engine, "postgresql") == 0 ? 5432 : 3306;
}


/* The forward's command: $KUBECTL_DBAAS_PORT_FORWARD through sh -c, else kubectl's. */
static int
forward_cmd(const kd_opts *o, const char *ns, const char *service, int local, int remote,
            plugin_cmd *out)
{
    const char *custom = getenv(PLUGIN_FORWARD_ENV);
    char        lp[16], rp[16];

    if (!custom || !*custom)
        return plugin_forward_cmd(o->kubeconfig, o->context, ns, service, local, remote, out);
    memset(out, 0, sizeof *out);
    snprintf(lp, sizeof lp, "%d", local);
    snprintf(rp, sizeof rp, "%d", remote);
    if (!(out->argv[0] = strdup("/bin/sh")) || !(out->argv[1] = strdup("-c")) ||
        !(out->argv[2] = strdup(custom)) || asprintf(&out->env[0], "DBAAS_NAMESPACE=%s", ns) < 0 ||
        asprintf(&out->env[1], "DBAAS_SERVICE=%s", service) < 0 ||
        asprintf(&out->env[2], "DBAAS_LOCAL_PORT=%s", lp) < 0 ||
        asprintf(&out->env[3], "DBAAS_REMOTE_PORT=%s", rp) < 0) {
        plugin_cmd_free(out);
        return CORE_ENOMEM;
    }
    return CORE_OK;
}


/* In a forked child: the command in place of the process; never returns. */
__attribute__((noreturn)) static void
exec_cmd(const plugin_cmd *cmd, int own_group, int quiet)
{
    int i, fd;

    if (own_group)
        setpgid(0, 0);
    if (quiet && (fd = open("/dev/null", O_WRONLY)) >= 0) {
        dup2(fd, STDOUT_FILENO);
        close(fd);
    }
    for (i = 0; cmd->env[i]; i++)
        putenv(cmd->env[i]);
    execvp(cmd->argv[0], cmd->argv);
    fprintf(stderr, "error: cannot run %s: %s\n", cmd->argv[0], strerror(errno));
    _exit(127);
}


static void
stop(pid_t pid)
{
    int st;

    if (pid <= 0)
        return;
    kill(-pid, SIGTERM);
    kill(pid, SIGTERM);
    waitpid(pid, &st, 0);
}


/* Waits until the forward listens; 0, or 1 with the error printed. */
static int
wait_forward(pid_t fwd, int port)
{
    struct timespec tick = {0, 100 * 1000 * 1000};
    int             ms, st;

    for (ms = 0; ms < FORWARD_WAIT_MS; ms += 100) {
        if (waitpid(fwd, &st, WNOHANG) == fwd)
            return kd_error("the port-forward exited (%s %d) before it listened",
                            WIFEXITED(st) ? "status" : "signal",
                            WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
        if (listening(port))
            return 0;
        nanosleep(&tick, NULL);
    }
    return kd_error("the port-forward did not listen on %s:%d within %d s", LOOPBACK, port,
                    FORWARD_WAIT_MS / 1000);
}


/* For the handler below: the forward's process group and the client, while they run. */
static volatile sig_atomic_t running_forward, running_client;
/* The CA file written for the client ("" when none), removed by the handler too. */
static char                  ca_path[4096];


/*
 * Writes the Secret's ca.crt to a new file of its own (mkstemp: mode 0600, in $TMPDIR, else
 * /tmp) named in ca_path, for the client to check the server's chain. KD_OK or the error.
 */
static int
write_ca(const char *pem)
{
    const char *dir = getenv("TMPDIR");
    size_t      len = strlen(pem), off = 0;
    ssize_t     n;
    int         fd;

    if (snprintf(ca_path, sizeof ca_path, "%s/kubectl-dbaas-ca-XXXXXX", dir && *dir ? dir : "/tmp") >=
        (int)sizeof ca_path) {
        ca_path[0] = '\0';
        return kd_error("$TMPDIR is too long");
    }
    if ((fd = mkstemp(ca_path)) < 0) {
        kd_error("cannot create a file for the CA in %s: %s", dir && *dir ? dir : "/tmp",
                 strerror(errno));
        ca_path[0] = '\0';
        return KD_FAIL;
    }
    while (off < len) {
        if ((n = write(fd, pem + off, len - off)) < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    if (close(fd) != 0 || off < len) {
        unlink(ca_path);
        ca_path[0] = '\0';
        return kd_error("cannot write the CA file: %s", strerror(errno));
    }
    return KD_OK;
}


static void
remove_ca(void)
{
    if (ca_path[0])
        unlink(ca_path);
    ca_path[0] = '\0';
}


/* SIGTERM or SIGHUP (the terminal went away): neither child may outlive the plugin. */
static void
on_term(int sig)
{
    if (running_client > 0)
        kill((pid_t)running_client, SIGTERM);
    if (running_forward > 0)
        kill(-(pid_t)running_forward, SIGTERM);
    if (ca_path[0])
        unlink(ca_path);
    _exit(128 + sig);
}


static int
run(const plugin_cmd *fwd_cmd, const plugin_cmd *client, int local)
{
    struct sigaction ign, term, old_int, old_quit;
    pid_t            fwd, cl;
    int              st = 0, rc;

    if ((fwd = fork()) == 0)
        exec_cmd(fwd_cmd, 1, 1);
    if (fwd < 0)
        return kd_error("cannot start the port-forward: %s", strerror(errno));
    setpgid(fwd, fwd); /* also here, so that stop() finds the group whoever runs first */
    running_forward = fwd;
    memset(&term, 0, sizeof term);
    term.sa_handler = on_term;
    sigaction(SIGTERM, &term, NULL);
    sigaction(SIGHUP, &term, NULL);
    if (wait_forward(fwd, local)) {
        stop(fwd);
        return KD_FAIL;
    }
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigaction(SIGINT, &ign, &old_int);
    sigaction(SIGQUIT, &ign, &old_quit);
    if ((cl = fork()) == 0) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGQUIT, &old_quit, NULL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        exec_cmd(client, 0, 0);
    }
    running_client = cl;
    if (cl < 0) {
        rc = kd_error("cannot start %s: %s", client->argv[0], strerror(errno));
    } else {
        while (waitpid(cl, &st, 0) < 0 && errno == EINTR)
            ;
        rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    running_client = 0;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGQUIT, &old_quit, NULL);
    stop(fwd);
    running_forward = 0;
    return rc;
}


int
kd_connect(const kd_opts *o, kcli *c)
{
    const char  *ns = kd_ns(o, c), *name = o->args[0];
    const kres  *res;
    cJSON       *obj = NULL, *secret = NULL;
    const cJSON *ready;
    char        *user = NULL, *pass = NULL, *db = NULL, *ca = NULL, service[300];
    const char  *engine;
    plugin_cmd   fwd, client;
    plugin_conn  conn;
    core_buf     b;
    int          rc, local, hac, tls;

    memset(&fwd, 0, sizeof fwd);
    memset(&client, 0, sizeof client);
    if ((rc = kd_get_target(c, ns, "connect", name, &obj, &res)))
        goto out;
    /* NAME of TYPE/NAME: the Service and the messages use the object's own name. */
    rc = KD_FAIL;
    if (!(name = kjson_path_str(obj, "metadata", "name", NULL))) {
        kd_error("the server's %s has no metadata.name", res->kind);
        goto out;
    }
    hac = strcmp(res->kind, "HACluster") == 0;
    engine = hac ? "postgresql" : kjson_path_str(obj, "spec", "engine", NULL);
    rc = KD_FAIL;
    if (!engine) {
        kd_error("%s \"%s\" has no spec.engine", res->kind, name);
        goto out;
    }
    if (o->read_only && !hac) {
        kd_error("dbinstance \"%s\" has no read-only endpoint (--read-only is for HACluster)", name);
        goto out;
    }
    ready = plugin_cond(obj, "Ready");
    if (!ready || !kjson_get_str(ready, "status") ||
        strcmp(kjson_get_str(ready, "status"), "True") != 0) {
        kd_error("%s \"%s\" is not Ready yet: %s: %s", hac ? "hacluster" : "dbinstance", name,
                 ready && kjson_get_str(ready, "reason") ? kjson_get_str(ready, "reason") : "NoStatus",
                 ready && kjson_get_str(ready, "message") ? kjson_get_str(ready, "message")
                                                          : "the operator has not reported");
        goto out;
    }
    if ((rc = kd_get_secret(c, obj, &secret)))
        goto out;
    rc = KD_FAIL;
    user = secret_str(secret, "username");
    pass = secret_str(secret, "password");
    db = secret_str(secret, "database");
    if (!user || !db) {
        kd_error("Secret \"%s\" has no username or database",
                 kjson_path_str(secret, "metadata", "name", NULL));
        goto out;
    }
    snprintf(service, sizeof service, "%s%s", name, o->read_only ? "-repl" : "");
    tls = kjson_path(obj, "status", "tls", "enabled", NULL) &&
          cJSON_IsTrue(kjson_path(obj, "status", "tls", "enabled", NULL));
    if ((local = free_port()) < 0) {
        kd_error("no free local port: %s", strerror(errno));
        goto out;
    }
    /* The server's CA from the Secret, so the client checks the chain: in a file of ours
     * while the client runs, or for --print in one its script writes (PLUGIN_CA_SHELL), so
     * that the printed command is as strict as the one run. */
    ca = tls ? secret_str(secret, "ca.crt") : NULL;
    if (ca && !o->print && (rc = write_ca(ca)))
        goto out;
    rc = KD_FAIL;
    conn = (plugin_conn){engine, LOOPBACK,
                         local,  user,
                         pass,   db,
                         tls,    ca && o->print ? PLUGIN_CA_SHELL : ca_path[0] ? ca_path : NULL};
    if (forward_cmd(o, ns, service, local, remote_port(obj, engine), &fwd) ||
        plugin_connect_cmd(&conn, &client)) {
        kd_error("cannot build the commands for %s \"%s\" (engine %s)", res->kind, name, engine);
        goto out;
    }
    if (o->print) {
        core_buf_init(&b, PLUGIN_OUT_MAX);
        rc = kd_print(plugin_connect_script(&fwd, &client, o->show_password,
                                            ca && o->print ? ca : NULL, &b),
                      &b);
        goto out;
    }
    wipe(pass);
    pass = NULL;
    fflush(stdout);
    rc = run(&fwd, &client, local);
out:
    remove_ca();
    free(ca);
    plugin_cmd_free(&fwd);
    plugin_cmd_free(&client);
    wipe(user);
    wipe(pass);
    wipe(db);
    cJSON_Delete(secret);
    cJSON_Delete(obj);
    return rc;
}
