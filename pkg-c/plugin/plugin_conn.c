/* `kubectl dbaas credentials` and `connect`: Secret data decoded, masked, and the commands. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kjson/kjson.h"
#include "plugin.h"

#define TEXT_MAX (64u * 1024)
#define CA_EOF   "DBAAS_CA_EOF" /* the here-document's delimiter in connect --print */

/* Secret keys shown by `credentials`, in this order; uris have their password masked. */
static const struct {
    const char *key;
    int         secret; /* 1: the password itself; 2: a uri holding it */
} shown[] = {
    {"username", 0},        {"password", 1},    {"host", 0},       {"port", 0},
    {"database", 0},        {"uri", 2},         {"jdbc-url", 0},   {"read-host", 0},
    {"read-uri", 2},        {"pooler-host", 0}, {"pooler-uri", 2}, {"pooler-read-host", 0},
    {"pooler-read-uri", 2},
};


int
plugin_mask_uri(const char *uri, core_buf *out)
{
    const char *start = strstr(uri, "://"), *end, *at = NULL, *colon, *p;
    int         rc;

    if (!start)
        return core_buf_printf(out, "%s", uri);
    start += 3;
    end = start + strcspn(start, "/?#");
    for (p = start; p < end; p++)
        if (*p == '@')
            at = p;
    colon = at ? memchr(start, ':', (size_t)(at - start)) : NULL;
    if (!colon)
        return core_buf_printf(out, "%s", uri);
    if ((rc = core_buf_add(out, uri, (size_t)(colon + 1 - uri))) ||
        (rc = core_buf_printf(out, "%s%s", PLUGIN_MASK, at)))
        return rc;
    return CORE_OK;
}


static void
wipe_free(unsigned char *p, size_t n)
{
    if (p)
        OPENSSL_cleanse(p, n);
    free(p);
}


int
plugin_credentials(const cJSON *secret, int show_password, cJSON **out, char *err, size_t errlen)
{
    const cJSON   *data = kjson_path(secret, "data", NULL);
    const char    *name = kjson_path_str(secret, "metadata", "name", NULL);
    cJSON         *o = NULL;
    unsigned char *val = NULL;
    size_t         i, n = 0;
    core_buf       masked;
    int            rc = CORE_OK;

    *out = NULL;
    core_buf_init(&masked, TEXT_MAX);
    if (!cJSON_IsObject(data))
        return core_errf(err, errlen, CORE_EINVAL, "Secret %s has no data", name ? name : "");
    if (!(o = cJSON_CreateObject()))
        return CORE_ENOMEM;
    for (i = 0; i < sizeof shown / sizeof *shown && !rc; i++) {
        const char *b64 = kjson_get_str(data, shown[i].key);
        const char *text;

        if (!b64)
            continue;
        if (core_b64_decode(b64, strlen(b64), &val, &n)) {
            rc = core_errf(err, errlen, CORE_EINVAL, "Secret %s: %s is not base64",
                           name ? name : "", shown[i].key);
            break;
        }
        text = (const char *)val;
        if (!show_password && shown[i].secret == 1)
            text = PLUGIN_MASK;
        if (!show_password && shown[i].secret == 2) {
            if ((rc = plugin_mask_uri((const char *)val, &masked)))
                break;
            text = masked.data;
        }
        if (!cJSON_AddStringToObject(o, shown[i].key, text))
            rc = CORE_ENOMEM;
        if (masked.data)
            OPENSSL_cleanse(masked.data, masked.len);
        core_buf_reset(&masked);
        wipe_free(val, n);
        val = NULL;
    }
    if (!rc && kjson_get_str(data, "ca.crt") && !cJSON_AddStringToObject(o, "ca.crt", "present"))
        rc = CORE_ENOMEM;
    core_buf_free(&masked);
    if (rc) {
        cJSON_Delete(o);
        return rc;
    }
    *out = o;
    return CORE_OK;
}


int
plugin_kv_text(const cJSON *obj, core_buf *out)
{
    const cJSON *c;
    int          rc;

    cJSON_ArrayForEach(c, obj) {
        if (cJSON_IsString(c) && (rc = core_buf_printf(out, "%s: %s\n", c->string, c->valuestring)))
            return rc;
    }
    return CORE_OK;
}


void
plugin_cmd_free(plugin_cmd *c)
{
    int i;

    for (i = 0; i < PLUGIN_CMD_MAX; i++) {
        free(c->argv[i]);
        if (c->env[i])
            OPENSSL_cleanse(c->env[i], strlen(c->env[i]));
        free(c->env[i]);
    }
    memset(c, 0, sizeof *c);
}


/* Appends a formatted string to a NULL-terminated list of at most PLUGIN_CMD_MAX - 1. */
static int
push(char **list, const char *fmt, const char *a, const char *b)
{
    core_buf s;
    int      i, rc;

    for (i = 0; i < PLUGIN_CMD_MAX - 1 && list[i]; i++)
        ;
    if (i == PLUGIN_CMD_MAX - 1)
        return CORE_ETOOBIG;
    core_buf_init(&s, TEXT_MAX);
    if ((rc = core_buf_printf(&s, fmt, a, b ? b : "")))
        return rc;
    list[i] = core_buf_take(&s);
    return list[i] ? CORE_OK : CORE_ENOMEM;
}


int
plugin_connect_cmd(const plugin_conn *c, plugin_cmd *out)
{
    char port[16];
    int  rc = CORE_EINVAL;

    memset(out, 0, sizeof *out);
    snprintf(port, sizeof port, "%d", c->port);
    if (!c->engine || !c->host || !c->username || !c->database)
        return CORE_EINVAL;
    if (strcmp(c->engine, "postgresql") == 0) {
        if ((rc = push(out->argv, "%s%s", "psql", NULL)) ||
            (rc = push(out->env, "PGHOST=%s%s", c->host, NULL)) ||
            (rc = push(out->env, "PGPORT=%s%s", port, NULL)) ||
            (rc = push(out->env, "PGUSER=%s%s", c->username, NULL)) ||
            (rc = push(out->env, "PGDATABASE=%s%s", c->database, NULL)) ||
            (c->tls &&
             (rc = push(out->env, "PGSSLMODE=%s%s", c->ca_file ? "verify-ca" : "require", NULL))) ||
            (c->tls && c->ca_file && (rc = push(out->env, "PGSSLROOTCERT=%s%s", c->ca_file, NULL))) ||
            (c->password && (rc = push(out->env, "PGPASSWORD=%s%s", c->password, NULL))))
            goto out;
    } else if (strcmp(c->engine, "mysql") == 0 || strcmp(c->engine, "mariadb") == 0) {
        int maria = strcmp(c->engine, "mariadb") == 0;

        if ((rc = push(out->argv, "%s%s", maria ? "mariadb" : "mysql", NULL)) ||
            (rc = push(out->argv, "%s%s", "--protocol=TCP", NULL)) ||
            (rc = push(out->argv, "--host=%s%s", c->host, NULL)) ||
            (rc = push(out->argv, "--port=%s%s", port, NULL)) ||
            (rc = push(out->argv, "--user=%s%s", c->username, NULL)) ||
            (c->tls && maria && (rc = push(out->argv, "%s%s", "--ssl", NULL))) ||
            (c->tls && c->ca_file && (rc = push(out->argv, "--ssl-ca=%s%s", c->ca_file, NULL))) ||
            (c->tls && c->ca_file && maria &&
             (rc = push(out->argv, "%s%s", "--skip-ssl-verify-server-cert", NULL))) ||
            (rc = push(out->argv, "--database=%s%s", c->database, NULL)) ||
            (c->password && (rc = push(out->env, "MYSQL_PWD=%s%s", c->password, NULL))))
            goto out;
    } else {
        return CORE_EINVAL;
    }
out:
    if (rc)
        plugin_cmd_free(out);
    return rc;
}


int
plugin_forward_cmd(const char *kubeconfig, const char *context, const char *ns, const char *service,
                   int local_port, int remote_port, plugin_cmd *out)
{
    char ports[32];
    int  rc;

    memset(out, 0, sizeof *out);
    snprintf(ports, sizeof ports, "%d:%d", local_port, remote_port);
    if ((rc = push(out->argv, "%s%s", "kubectl", NULL)) ||
        (kubeconfig && (rc = push(out->argv, "--kubeconfig=%s%s", kubeconfig, NULL))) ||
        (context && (rc = push(out->argv, "--context=%s%s", context, NULL))) ||
        (rc = push(out->argv, "%s%s", "port-forward", NULL)) ||
        (rc = push(out->argv, "--namespace=%s%s", ns, NULL)) ||
        (rc = push(out->argv, "service/%s%s", service, NULL)) ||
        (rc = push(out->argv, "%s%s", ports, NULL)))
        plugin_cmd_free(out);
    return rc;
}


int
plugin_shell_quote(const char *s, core_buf *out)
{
    const char *p;
    int         rc;

    if (*s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                        "_-./:=@%+,") == strlen(s))
        return core_buf_add(out, s, strlen(s));
    if ((rc = core_buf_add(out, "'", 1)))
        return rc;
    for (p = s; *p; p++)
        if ((rc = *p == '\'' ? core_buf_add(out, "'\\''", 4) : core_buf_add(out, p, 1)))
            return rc;
    return core_buf_add(out, "'", 1);
}


/*
 * s quoted for the shell; with ca, a value ending in PLUGIN_CA_SHELL ends in "$ca" instead,
 * the script's CA file (quoted as a whole it would be the literal text $ca).
 */
static int
quote_value(const char *s, int ca, core_buf *out)
{
    size_t n = strlen(s), m = strlen(PLUGIN_CA_SHELL);
    char  *head;
    int    rc = CORE_OK;

    if (!ca || n < m || strcmp(s + n - m, PLUGIN_CA_SHELL) != 0)
        return plugin_shell_quote(s, out);
    if (n > m) {
        if (!(head = strndup(s, n - m)))
            return CORE_ENOMEM;
        rc = plugin_shell_quote(head, out);
        free(head);
    }
    return rc ? rc : core_buf_printf(out, "\"$ca\"");
}


static int
words(char *const *argv, int ca, core_buf *out)
{
    int i, rc;

    for (i = 0; argv[i]; i++)
        if ((i && (rc = core_buf_add(out, " ", 1))) || (rc = quote_value(argv[i], ca, out)))
            return rc;
    return CORE_OK;
}


/* The script's lines that write ca_pem to a new file "$ca" (mktemp: mode 0600). */
static int
ca_lines(const char *ca_pem, core_buf *out)
{
    size_t n = strlen(ca_pem);
    int    rc;

    /* A quoted here-document copies every line as it is, up to the delimiter line. */
    if (strstr(ca_pem, CA_EOF))
        return CORE_EINVAL;
    if ((rc = core_buf_printf(out,
                              "# the server's CA (the Secret's ca.crt): the client checks the "
                              "chain against it\nca=$(mktemp)\ncat >\"$ca\" <<'%s'\n%s%s%s\n",
                              CA_EOF, ca_pem, n && ca_pem[n - 1] == '\n' ? "" : "\n", CA_EOF)))
        return rc;
    return CORE_OK;
}


int
plugin_connect_script(const plugin_cmd *forward, const plugin_cmd *client, int show_password,
                      const char *ca_pem, core_buf *out)
{
    int i, rc, ca = ca_pem != NULL;

    if ((ca && (rc = ca_lines(ca_pem, out))) ||
        (rc = core_buf_printf(out, "# the forward, in the background\n")) ||
        (rc = words(forward->argv, 0, out)) ||
        (rc = core_buf_printf(out, " >/dev/null &\nforward=$!\nsleep 2  # until it listens\n")))
        return rc;
    for (i = 0; client->env[i]; i++) {
        const char *eq = strchr(client->env[i], '=');
        int         secret = strncmp(client->env[i], "PGPASSWORD=", 11) == 0 ||
                     strncmp(client->env[i], "MYSQL_PWD=", 10) == 0;

        if (!eq)
            return CORE_EINVAL;
        if ((rc = core_buf_printf(out, "export %.*s=", (int)(eq - client->env[i]), client->env[i])) ||
            (rc = secret && !show_password ? plugin_shell_quote(PLUGIN_MASK, out)
                                           : quote_value(eq + 1, ca && !secret, out)) ||
            (rc = core_buf_printf(out, "%s\n",
                                  secret && !show_password ? "  # --show-password prints it" : "")))
            return rc;
    }
    if ((rc = words(client->argv, ca, out)) ||
        (rc = core_buf_printf(out, "\nkill \"$forward\"\n%s", ca ? "rm -f \"$ca\"\n" : "")))
        return rc;
    return CORE_OK;
}
