#include "kubeconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/core.h"


typedef struct {
    yaml_document_t *doc;
    const char      *name; /* for messages */
    const char      *base_dir;
    char            *err;
    size_t           errlen;
} parse_ctx;


static int fail(parse_ctx *p, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
fail(parse_ctx *p, int rc, const char *fmt, ...)
{
    va_list ap;
    int     n;

    if (!p->errlen)
        return rc;
    n = snprintf(p->err, p->errlen, "kubeconfig %s: ", p->name);
    if (n < 0 || (size_t)n >= p->errlen)
        return rc;
    va_start(ap, fmt);
    vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return rc;
}


static yaml_node_t *
map_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
    yaml_node_pair_t *pair;

    if (!map || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
        yaml_node_t *k = yaml_document_get_node(doc, pair->key);

        if (k && k->type == YAML_SCALAR_NODE && strlen(key) == k->data.scalar.length &&
            memcmp(k->data.scalar.value, key, k->data.scalar.length) == 0)
            return yaml_document_get_node(doc, pair->value);
    }
    return NULL;
}


/* The scalar's text (NUL-terminated by libyaml), or NULL for a missing or non-scalar node. */
static const char *
scalar(yaml_node_t *n)
{
    if (!n || n->type != YAML_SCALAR_NODE)
        return NULL;
    return (const char *)n->data.scalar.value;
}


static const char *
map_str(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
    const char *s = scalar(map_get(doc, map, key));

    return s && *s ? s : NULL;
}


/* In a list of {name: X, <field>: {...}} entries, the <field> map of the one named name. */
static yaml_node_t *
named_entry(yaml_document_t *doc, yaml_node_t *root, const char *list, const char *field,
            const char *name)
{
    yaml_node_t      *seq = map_get(doc, root, list);
    yaml_node_item_t *it;

    if (!seq || seq->type != YAML_SEQUENCE_NODE)
        return NULL;
    for (it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
        yaml_node_t *entry = yaml_document_get_node(doc, *it);
        const char  *n = map_str(doc, entry, "name");

        if (n && strcmp(n, name) == 0) {
            yaml_node_t *body = map_get(doc, entry, field);

            return body && body->type == YAML_MAPPING_NODE ? body : NULL;
        }
    }
    return NULL;
}


static int
dup_str(const char *s, char **out)
{
    *out = strdup(s);
    return *out ? CORE_OK : CORE_ENOMEM;
}


/*
 * Fills *out from either "<field>-data" (base64) or "<field>" (a path), preferring the
 * inline data as kubectl does. Neither present leaves *out NULL.
 */
static int
load_pem(parse_ctx *p, yaml_node_t *map, const char *what, const char *field, unsigned char **out,
         size_t *outlen)
{
    char        key[64];
    const char *data, *path;
    char       *full = NULL, *text = NULL;
    int         rc;

    snprintf(key, sizeof key, "%s-data", field);
    data = map_str(p->doc, map, key);
    if (data) {
        rc = core_b64_decode(data, strlen(data), out, outlen);
        if (rc == CORE_EINVAL)
            return fail(p, rc, "%s: %s is not valid base64", what, key);
        if (rc)
            return fail(p, rc, "%s: %s: %s", what, key, core_strerror(rc));
        if (*outlen == 0)
            return fail(p, CORE_EINVAL, "%s: %s is empty", what, key);
        return CORE_OK;
    }
    path = map_str(p->doc, map, field);
    if (!path)
        return CORE_OK;
    if (path[0] != '/' && p->base_dir) {
        size_t n = strlen(p->base_dir) + strlen(path) + 2;

        full = malloc(n);
        if (!full)
            return fail(p, CORE_ENOMEM, "%s: out of memory", what);
        snprintf(full, n, "%s/%s", p->base_dir, path);
        path = full;
    }
    rc = core_read_file(path, KCFG_MAX_FILE, &text, outlen);
    if (rc) {
        fail(p, rc, "%s: %s %s: %s", what, field, path, core_strerror(rc));
        goto out;
    }
    *out = (unsigned char *)text;
out:
    free(full);
    return rc;
}


static int
load_cluster(parse_ctx *p, yaml_node_t *cluster, const char *name, kcfg *out)
{
    char        what[300];
    const char *server, *s;
    size_t      n;
    int         rc;

    snprintf(what, sizeof what, "cluster \"%s\"", name);
    server = map_str(p->doc, cluster, "server");
    if (!server)
        return fail(p, CORE_EINVAL, "%s has no server", what);
    if (strncmp(server, "https://", 8) != 0)
        return fail(p, CORE_EINVAL, "%s: server %s is not an https:// URL", what, server);
    s = scalar(map_get(p->doc, cluster, "insecure-skip-tls-verify"));
    if (s && strcmp(s, "true") == 0)
        return fail(p, CORE_EINVAL,
                    "%s sets insecure-skip-tls-verify; TLS to the API server is always verified",
                    what);
    rc = dup_str(server, &out->server);
    if (rc)
        return fail(p, rc, "out of memory");
    n = strlen(out->server);
    while (n > 8 && out->server[n - 1] == '/')
        out->server[--n] = '\0';
    s = map_str(p->doc, cluster, "tls-server-name");
    if (s && (rc = dup_str(s, &out->tls_server_name)))
        return fail(p, rc, "out of memory");
    return load_pem(p, cluster, what, "certificate-authority", &out->ca, &out->ca_len);
}


/* A NULL-terminated array of copies of the sequence's scalars (or "NAME=value" pairs). */
static int
load_strv(parse_ctx *p, yaml_node_t *seq, int env_pairs, char ***out)
{
    yaml_node_item_t *it;
    size_t            n = 0, i = 0;
    char            **v = NULL;

    *out = NULL;
    if (!seq)
        return CORE_OK;
    if (seq->type != YAML_SEQUENCE_NODE)
        return CORE_EINVAL;
    n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
    v = calloc(n + 1, sizeof *v);
    if (!v)
        return CORE_ENOMEM;
    for (it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
        yaml_node_t *node = yaml_document_get_node(p->doc, *it);
        const char  *s = scalar(node);
        core_buf     b;

        if (env_pairs) {
            const char *name = map_str(p->doc, node, "name");
            const char *value = scalar(map_get(p->doc, node, "value"));

            if (!name)
                goto bad;
            core_buf_init(&b, 64 * 1024);
            if (core_buf_printf(&b, "%s=%s", name, value ? value : ""))
                goto bad;
            v[i++] = core_buf_take(&b);
            continue;
        }
        if (!s || !(v[i++] = strdup(s)))
            goto bad;
    }
    *out = v;
    return CORE_OK;
bad:
    while (i)
        free(v[--i]);
    free(v);
    return CORE_EINVAL;
}


static void
free_strv(char **v)
{
    char **p;

    for (p = v; p && *p; p++)
        free(*p);
    free(v);
}


static int
load_exec(parse_ctx *p, yaml_node_t *exec, const char *what, kcfg *out)
{
    const char *command = map_str(p->doc, exec, "command");
    const char *api = map_str(p->doc, exec, "apiVersion");
    kcfg_exec  *e;

    if (!command)
        return fail(p, CORE_EINVAL, "%s: exec has no command", what);
    e = calloc(1, sizeof *e);
    if (!e)
        return fail(p, CORE_ENOMEM, "out of memory");
    out->exec = e;
    if (!(e->command = strdup(command)) ||
        !(e->api_version = strdup(api ? api : "client.authentication.k8s.io/v1")))
        return fail(p, CORE_ENOMEM, "out of memory");
    if (load_strv(p, map_get(p->doc, exec, "args"), 0, &e->args))
        return fail(p, CORE_EINVAL, "%s: exec args must be a list of strings", what);
    if (load_strv(p, map_get(p->doc, exec, "env"), 1, &e->env))
        return fail(p, CORE_EINVAL, "%s: exec env must be a list of {name, value}", what);
    return CORE_OK;
}


static int
load_token_file(parse_ctx *p, const char *what, const char *path, kcfg *out)
{
    char  *text = NULL;
    size_t len = 0;
    int    rc;

    rc = core_read_file(path, 64 * 1024, &text, &len);
    if (rc)
        return fail(p, rc, "%s: token file %s: %s", what, path, core_strerror(rc));
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
        text[--len] = '\0';
    out->token = text;
    if (!(out->token_file = strdup(path)))
        return fail(p, CORE_ENOMEM, "out of memory");
    return CORE_OK;
}


static int
load_user(parse_ctx *p, yaml_node_t *user, const char *name, kcfg *out)
{
    char         what[300];
    const char  *token, *token_file;
    yaml_node_t *exec;
    int          rc;

    snprintf(what, sizeof what, "user \"%s\"", name);
    if (map_get(p->doc, user, "auth-provider"))
        return fail(p, CORE_EINVAL,
                    "%s uses an auth-provider plugin, which is not supported (use exec)", what);
    rc = load_pem(p, user, what, "client-certificate", &out->cert, &out->cert_len);
    if (rc)
        return rc;
    rc = load_pem(p, user, what, "client-key", &out->key, &out->key_len);
    if (rc)
        return rc;
    if (!out->cert != !out->key)
        return fail(p, CORE_EINVAL, "%s has a client %s but no client %s", what,
                    out->cert ? "certificate" : "key", out->cert ? "key" : "certificate");
    exec = map_get(p->doc, user, "exec");
    if (exec && (rc = load_exec(p, exec, what, out)))
        return rc;
    token = map_str(p->doc, user, "token");
    token_file = map_str(p->doc, user, "tokenFile");
    if (token) {
        rc = dup_str(token, &out->token);
        return rc ? fail(p, rc, "out of memory") : CORE_OK;
    }
    if (token_file)
        return load_token_file(p, what, token_file, out);
    return CORE_OK;
}


int
kcfg_parse(const char *text, size_t len, const char *name, const char *base_dir,
           const char *context, kcfg *out, char *err, size_t errlen)
{
    yaml_parser_t   parser;
    yaml_document_t doc;
    yaml_node_t    *root, *ctx, *cluster, *user;
    const char     *cluster_name, *user_name, *ns;
    parse_ctx       p = {&doc, name, base_dir, err, errlen};
    int             parser_ok = 0, doc_ok = 0, rc = CORE_OK;

    memset(out, 0, sizeof *out);
    if (errlen)
        err[0] = '\0';
    if (!yaml_parser_initialize(&parser))
        return fail(&p, CORE_ENOMEM, "out of memory");
    parser_ok = 1;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = fail(&p, CORE_EINVAL, "not valid YAML: %s at line %zu",
                  parser.problem ? parser.problem : "parse error", parser.problem_mark.line + 1);
        goto out;
    }
    doc_ok = 1;
    root = yaml_document_get_root_node(&doc);
    if (!root || root->type != YAML_MAPPING_NODE) {
        rc = fail(&p, CORE_EINVAL, "not a kubeconfig (the top level is not a mapping)");
        goto out;
    }
    if (!context)
        context = map_str(&doc, root, "current-context");
    if (!context) {
        rc = fail(&p, CORE_EINVAL, "no current-context is set and no context was given");
        goto out;
    }
    ctx = named_entry(&doc, root, "contexts", "context", context);
    if (!ctx) {
        rc = fail(&p, CORE_ENOENT, "context \"%s\" not found", context);
        goto out;
    }
    cluster_name = map_str(&doc, ctx, "cluster");
    user_name = map_str(&doc, ctx, "user");
    if (!cluster_name) {
        rc = fail(&p, CORE_EINVAL, "context \"%s\" names no cluster", context);
        goto out;
    }
    cluster = named_entry(&doc, root, "clusters", "cluster", cluster_name);
    if (!cluster) {
        rc = fail(&p, CORE_ENOENT, "cluster \"%s\" (of context \"%s\") not found", cluster_name,
                  context);
        goto out;
    }
    rc = load_cluster(&p, cluster, cluster_name, out);
    if (rc)
        goto out;
    if (user_name) {
        user = named_entry(&doc, root, "users", "user", user_name);
        if (!user) {
            rc = fail(&p, CORE_ENOENT, "user \"%s\" (of context \"%s\") not found", user_name,
                      context);
            goto out;
        }
        rc = load_user(&p, user, user_name, out);
        if (rc)
            goto out;
    }
    ns = map_str(&doc, ctx, "namespace");
    if ((rc = dup_str(context, &out->context)) || (rc = dup_str(ns ? ns : "default", &out->namespace)))
        rc = fail(&p, rc, "out of memory");
out:
    if (rc)
        kcfg_free(out);
    if (doc_ok)
        yaml_document_delete(&doc);
    if (parser_ok)
        yaml_parser_delete(&parser);
    return rc;
}


int
kcfg_load(const char *path, const char *context, kcfg *out, char *err, size_t errlen)
{
    char  *text = NULL, *dir = NULL, *slash;
    size_t len = 0;
    int    rc;

    memset(out, 0, sizeof *out);
    rc = core_read_file(path, KCFG_MAX_FILE, &text, &len);
    if (rc) {
        if (errlen)
            snprintf(err, errlen, "kubeconfig %s: %s", path,
                     rc == CORE_ENOENT ? "no such file" : core_strerror(rc));
        return rc;
    }
    dir = strdup(path);
    if (!dir) {
        rc = CORE_ENOMEM;
        goto out;
    }
    slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = '\0'; /* a file in the root folder */
    else if (slash)
        *slash = '\0';
    rc = kcfg_parse(text, len, path, slash ? dir : NULL, context, out, err, errlen);
out:
    free(dir);
    free(text);
    return rc;
}


/* Key material is wiped before it is freed so it does not linger in freed heap. */
static void
free_secret(void *p, size_t n)
{
    if (!p)
        return;
    memset(p, 0, n);
    __asm__ __volatile__("" : : "r"(p) : "memory");
    free(p);
}


int
kcfg_in_cluster_at(const char *sa_dir, const char *host, const char *port, kcfg *out, char *err,
                   size_t errlen)
{
    parse_ctx p = {NULL, "in-cluster", NULL, err, errlen};
    char      path[4096];
    char     *ns = NULL;
    size_t    n = 0;
    core_buf  url;
    int       rc;

    memset(out, 0, sizeof *out);
    if (errlen)
        err[0] = '\0';
    if (!host || !*host || !port || !*port)
        return fail(&p, CORE_ENOENT,
                    "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set (not in a pod?)");
    core_buf_init(&url, 1024);
    /* An IPv6 literal needs brackets in a URL. */
    rc = core_buf_printf(&url, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host, port);
    if (rc)
        return fail(&p, rc, "server address too long");
    out->server = core_buf_take(&url);
    snprintf(path, sizeof path, "%s/token", sa_dir);
    rc = load_token_file(&p, "service account", path, out);
    if (rc)
        goto out;
    snprintf(path, sizeof path, "%s/ca.crt", sa_dir);
    rc = core_read_file(path, KCFG_MAX_FILE, (char **)&out->ca, &out->ca_len);
    if (rc) {
        fail(&p, rc, "service account CA %s: %s", path, core_strerror(rc));
        goto out;
    }
    snprintf(path, sizeof path, "%s/namespace", sa_dir);
    if (core_read_file(path, 1024, &ns, &n) == CORE_OK) {
        while (n && (ns[n - 1] == '\n' || ns[n - 1] == ' '))
            ns[--n] = '\0';
    }
    out->namespace = ns && *ns ? ns : strdup("default");
    if (ns && !*ns)
        free(ns);
    out->context = strdup("in-cluster");
    if (!out->namespace || !out->context)
        rc = fail(&p, CORE_ENOMEM, "out of memory");
out:
    if (rc)
        kcfg_free(out);
    return rc;
}


int
kcfg_in_cluster(kcfg *out, char *err, size_t errlen)
{
    return kcfg_in_cluster_at("/var/run/secrets/kubernetes.io/serviceaccount",
                              getenv("KUBERNETES_SERVICE_HOST"), getenv("KUBERNETES_SERVICE_PORT"),
                              out, err, errlen);
}


static char **
strv_dup(char **v)
{
    size_t n = 0, i;
    char **out;

    while (v && v[n])
        n++;
    out = calloc(n + 1, sizeof *out);
    if (!out)
        return NULL;
    for (i = 0; i < n; i++)
        if (!(out[i] = strdup(v[i]))) {
            free_strv(out);
            return NULL;
        }
    return out;
}


kcfg_exec *
kcfg_exec_dup(const kcfg_exec *e)
{
    kcfg_exec *d = calloc(1, sizeof *d);

    if (!d || !(d->command = strdup(e->command)) || !(d->api_version = strdup(e->api_version)) ||
        !(d->args = strv_dup(e->args)) || !(d->env = strv_dup(e->env))) {
        kcfg_exec_free(d);
        return NULL;
    }
    return d;
}


void
kcfg_exec_free(kcfg_exec *e)
{
    if (!e)
        return;
    free(e->command);
    free(e->api_version);
    free_strv(e->args);
    free_strv(e->env);
    free(e);
}


void
kcfg_free(kcfg *c)
{
    kcfg_exec_free(c->exec);
    free(c->token_file);
    free(c->context);
    free(c->server);
    free(c->namespace);
    free(c->ca);
    free(c->cert);
    free(c->tls_server_name);
    free_secret(c->key, c->key_len);
    free_secret(c->token, c->token ? strlen(c->token) : 0);
    memset(c, 0, sizeof *c);
}
