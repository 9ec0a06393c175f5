/*
 * dbi_tls: spec.tls, the default rule, and the TLS parts of the children (see dbi_tls.h).
 */
#include "dbi_tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ctrl/ctrl.h"
#include "dbi/dbi_pass.h"
#include "kjson/kjson.h"

#define NAME_MAX_ 320


static int
fail(char *err, size_t errlen, const char *msg)
{
    snprintf(err, errlen, "%s", msg);
    return CORE_EINVAL;
}


/* A DNS-1123 subdomain, as a Secret's name must be. */
static int
subdomain(const char *s)
{
    size_t n = strlen(s);

    return n > 0 && n <= 253 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-.") == n &&
           s[0] != '-' && s[0] != '.' && s[n - 1] != '-' && s[n - 1] != '.';
}


int
dbi_tls_parse(const cJSON *obj, dbi_spec *out, char *err, size_t errlen)
{
    const cJSON *tls = kjson_path(obj, "spec", "tls", NULL);
    const cJSON *enabled = cJSON_GetObjectItemCaseSensitive(tls, "enabled");
    const cJSON *mode = cJSON_GetObjectItemCaseSensitive(tls, "mode");
    const cJSON *secret = cJSON_GetObjectItemCaseSensitive(tls, "secretName");

    out->tls = DBI_TLS_UNSET;
    out->tls_mode = "verify-full";
    out->tls_secret = NULL;
    if (!tls || cJSON_IsNull(tls))
        return CORE_OK;
    if (!cJSON_IsObject(tls))
        return fail(err, errlen, "spec.tls: must be an object");
    if (enabled && !cJSON_IsNull(enabled)) {
        if (!cJSON_IsBool(enabled))
            return fail(err, errlen, "spec.tls.enabled: must be a boolean");
        out->tls = cJSON_IsTrue(enabled);
    }
    if (mode && !cJSON_IsNull(mode)) {
        if (!cJSON_IsString(mode) || (strcmp(mode->valuestring, "verify-full") != 0 &&
                                      strcmp(mode->valuestring, "require") != 0))
            return fail(err, errlen, "spec.tls.mode: must be verify-full or require");
        out->tls_mode = mode->valuestring;
    }
    if (secret && !cJSON_IsNull(secret)) {
        if (!cJSON_IsString(secret))
            return fail(err, errlen, "spec.tls.secretName: must be a string");
        if (secret->valuestring[0] && !subdomain(secret->valuestring)) {
            snprintf(err, errlen, "spec.tls.secretName: \"%.253s\" is not a Secret name",
                     secret->valuestring);
            return CORE_EINVAL;
        }
        if (secret->valuestring[0])
            out->tls_secret = secret->valuestring;
    }
    if (out->tls_secret && out->tls == 0)
        return fail(err, errlen, "spec.tls.secretName: set while spec.tls.enabled is false");
    return CORE_OK;
}


int
dbi_tls_on(const dbi_spec *s)
{
    return s->tls == 1;
}


int
dbi_tls_running(const cJSON *sts)
{
    const cJSON *vols = kjson_path(sts, "spec", "template", "spec", "volumes", NULL), *v;

    cJSON_ArrayForEach(v, vols) {
        const char *name = kjson_get_str(v, "name");

        if (name && strcmp(name, DBI_TLS_VOLUME) == 0)
            return 1;
    }
    return 0;
}


int
dbi_tls_decide(int spec_tls, const cJSON *sts, const cJSON *dbi)
{
    const cJSON *recorded = kjson_path(dbi, "status", "tls", "enabled", NULL);

    if (spec_tls != DBI_TLS_UNSET)
        return spec_tls;
    if (sts)
        return dbi_tls_running(sts);
    if (cJSON_IsBool(recorded))
        return cJSON_IsTrue(recorded);
    return 1;
}


int
dbi_tls_names(const dbi_spec *s, char *buf, size_t len, const char **names, size_t *n)
{
    static const char *const fmt[DBI_TLS_NAMES] = {
        "%s",
        "%s.%s",
        "%s.%s.svc",
        "%s.%s.svc.cluster.local",
        "%s-0.%s-headless.%s.svc",
        "%s-0.%s-headless.%s.svc.cluster.local",
    };
    size_t used = 0, i;
    int    k;

    for (i = 0; i < DBI_TLS_NAMES; i++) {
        if (i < 4)
            k = snprintf(buf + used, len - used, fmt[i], s->name, s->namespace);
        else
            k = snprintf(buf + used, len - used, fmt[i], s->name, s->name, s->namespace);
        if (k < 0 || (size_t)k >= len - used)
            return CORE_ETOOBIG;
        names[i] = buf + used;
        used += (size_t)k + 1;
    }
    *n = DBI_TLS_NAMES;
    return CORE_OK;
}


const char *
dbi_tls_query(const dbi_spec *s, int jdbc)
{
    int full = strcmp(s->tls_mode ? s->tls_mode : "verify-full", "require") != 0;

    if (!dbi_tls_on(s))
        return "";
    if (s->engine->id == DBI_POSTGRESQL || !jdbc) {
        /* libpq's sslmode; the mysql clients' URI form (MySQL Shell) is ssl-mode */
        if (s->engine->id == DBI_POSTGRESQL)
            return full ? "?sslmode=verify-full" : "?sslmode=require";
        return full ? "?ssl-mode=VERIFY_IDENTITY" : "?ssl-mode=REQUIRED";
    }
    if (s->engine->id == DBI_MYSQL) /* Connector/J */
        return full ? "?sslMode=VERIFY_IDENTITY" : "?sslMode=REQUIRED";
    return full ? "?sslMode=verify-full" : "?sslMode=trust"; /* MariaDB Connector/J */
}


int
dbi_tls_mysql_config(const dbi_spec *s, core_buf *t)
{
    if (!dbi_tls_on(s) || s->engine->id == DBI_POSTGRESQL)
        return CORE_OK;
    return core_buf_printf(t,
                           "# TLS (spec.tls): the server refuses connections without it.\n"
                           "ssl-ca = %s/ca.crt\n"
                           "ssl-cert = %s/tls.crt\n"
                           "ssl-key = %s/tls.key\n"
                           "require_secure_transport = ON\n",
                           DBI_TLS_DIR, DBI_TLS_DIR, DBI_TLS_DIR);
}


char *
dbi_tls_pg_hba(const dbi_spec *s)
{
    core_buf t;

    core_buf_init(&t, 4096);
    if (core_buf_printf(&t,
                        "# Rendered by %s for DBInstance %s (spec.tls): TLS is required for every\n"
                        "# TCP connection, and every connection authenticates with scram-sha-256.\n"
                        "# TYPE  DATABASE USER ADDRESS   METHOD\n"
                        "local   all      all            scram-sha-256\n"
                        "hostssl all      all  0.0.0.0/0 scram-sha-256\n"
                        "hostssl all      all  ::/0      scram-sha-256\n",
                        DBI_MANAGED_BY, s->name))
        return NULL;
    return core_buf_take(&t);
}


void
dbi_tls_pg_args(ctrl_bld *b, cJSON *args, const dbi_spec *s)
{
    static const char *const on[] = {"-c", "ssl=on",
                                     "-c", "ssl_cert_file=" DBI_TLS_DIR "/tls.crt",
                                     "-c", "ssl_key_file=" DBI_TLS_DIR "/tls.key",
                                     "-c", "hba_file=" DBI_PG_HBA,
                                     "-c", "password_encryption=scram-sha-256",
                                     NULL};
    size_t                   i;

    if (!dbi_tls_on(s) || s->engine->id != DBI_POSTGRESQL)
        return;
    for (i = 0; on[i]; i++)
        ctrl_b_str(b, args, NULL, on[i]);
}


void
dbi_tls_env(ctrl_bld *b, cJSON *env, const dbi_spec *s)
{
    cJSON *e;

    if (!dbi_tls_on(s) || s->engine->id != DBI_POSTGRESQL)
        return;
    e = ctrl_b_obj(b, env, NULL);
    ctrl_b_str(b, e, "name", "POSTGRES_INITDB_ARGS");
    ctrl_b_str(b, e, "value", "--auth-local=scram-sha-256 --auth-host=scram-sha-256");
}


static void
mount(ctrl_bld *b, cJSON *mounts, const char *name, const char *path, const char *sub)
{
    cJSON *m = ctrl_b_obj(b, mounts, NULL);

    ctrl_b_str(b, m, "name", name);
    ctrl_b_str(b, m, "mountPath", path);
    if (sub)
        ctrl_b_str(b, m, "subPath", sub);
    ctrl_b_bool(b, m, "readOnly", 1);
}


void
dbi_tls_mounts(ctrl_bld *b, cJSON *mounts, const dbi_spec *s)
{
    if (!dbi_tls_on(s))
        return;
    mount(b, mounts, DBI_TLS_VOLUME, DBI_TLS_DIR, NULL);
    if (s->engine->id == DBI_POSTGRESQL)
        mount(b, mounts, "config", DBI_PG_HBA, DBI_PG_HBA_KEY);
}


void
dbi_tls_pod(ctrl_bld *b, cJSON *tmpl_meta, cJSON *pod_spec, const dbi_spec *s)
{
    char   name[NAME_MAX_];
    cJSON *vols, *v, *src;

    if (!dbi_tls_on(s))
        return;
    if (!s->tls_checksum || !s->tls_checksum[0]) {
        b->failed = 1;
        return;
    }
    ctrl_b_str(b, ctrl_b_obj(b, tmpl_meta, "annotations"), DBI_TLS_HASH, s->tls_checksum);
    vols = cJSON_GetObjectItemCaseSensitive(pod_spec, "volumes");
    if (!vols)
        vols = ctrl_b_arr(b, pod_spec, "volumes");
    if (s->engine->id == DBI_POSTGRESQL) {
        if (dbi_child_name(s, "-config", name, sizeof name)) {
            b->failed = 1;
            return;
        }
        v = ctrl_b_obj(b, vols, NULL);
        ctrl_b_str(b, v, "name", "config");
        ctrl_b_str(b, ctrl_b_obj(b, v, "configMap"), "name", name);
    }
    if (s->tls_secret)
        snprintf(name, sizeof name, "%s", s->tls_secret);
    else if (dbi_child_name(s, "-tls", name, sizeof name)) {
        b->failed = 1;
        return;
    }
    v = ctrl_b_obj(b, vols, NULL);
    ctrl_b_str(b, v, "name", DBI_TLS_VOLUME);
    src = ctrl_b_obj(b, v, "secret");
    ctrl_b_str(b, src, "secretName", name);
    ctrl_b_int(b, src, "defaultMode", 0640);
}


cJSON *
dbi_build_tls_secret(const dbi_spec *s, const cJSON *owner, const char *cert, const char *key,
                     const char *ca, const char *mark)
{
    ctrl_bld b = {0};
    char     name[NAME_MAX_];
    cJSON   *o, *data;

    if (!cert || !key || !ca || dbi_child_name(s, "-tls", name, sizeof name))
        return NULL;
    o = ctrl_b_child(&b, "v1", "Secret", name, owner, DBI_API_VERSION, DBI_KIND, s->engine->name);
    if (!b.failed)
        dbi_pass_metadata(&b, o, s);
    if (mark && !b.failed) {
        cJSON *meta = cJSON_GetObjectItemCaseSensitive(o, "metadata");
        cJSON *ann = cJSON_GetObjectItemCaseSensitive(meta, "annotations");

        if (!ann)
            ann = ctrl_b_obj(&b, meta, "annotations");
        ctrl_b_str(&b, ann, DBI_TLS_CHECKED_AN, mark);
    }
    ctrl_b_str(&b, o, "type", "kubernetes.io/tls");
    data = ctrl_b_obj(&b, o, "data");
    ctrl_b_b64(&b, data, "tls.crt", cert);
    ctrl_b_b64(&b, data, "tls.key", key);
    ctrl_b_b64(&b, data, "ca.crt", ca);
    return ctrl_b_done(&b, o);
}


cJSON *
dbi_build_ca_secret(const char *namespace, const char *cert, const char *key)
{
    ctrl_bld b = {0};
    cJSON   *o = cJSON_CreateObject(), *meta, *labels, *data;

    if (!o || !namespace || !cert || !key) {
        cJSON_Delete(o);
        return NULL;
    }
    ctrl_b_str(&b, o, "apiVersion", "v1");
    ctrl_b_str(&b, o, "kind", "Secret");
    meta = ctrl_b_obj(&b, o, "metadata");
    ctrl_b_str(&b, meta, "name", DBI_CA_SECRET);
    ctrl_b_str(&b, meta, "namespace", namespace);
    labels = ctrl_b_obj(&b, meta, "labels");
    ctrl_b_str(&b, labels, CTRL_LABEL_NAME, DBI_CA_SECRET);
    ctrl_b_str(&b, labels, CTRL_LABEL_MANAGED, CTRL_MANAGED_BY);
    ctrl_b_str(&b, ctrl_b_obj(&b, meta, "annotations"), "dbaas.dev/description",
               "The CA of the dbaas-operator's DBInstances in this namespace. Not deleted by the "
               "operator; delete it (and every <name>-tls Secret) to get a new one.");
    ctrl_b_str(&b, o, "type", "kubernetes.io/tls");
    data = ctrl_b_obj(&b, o, "data");
    ctrl_b_b64(&b, data, "tls.crt", cert);
    ctrl_b_b64(&b, data, "tls.key", key);
    return ctrl_b_done(&b, o);
}


/* The HMAC of a mark in hex (65 bytes with the NUL) into hex: over "v2", the dates, and each
 * field as its length, ':', its bytes, so that no byte can move from one field to another. */
static int
mark_hmac(const char *ca_key, const char *against, const char *cert, const char *key,
          const char *ca, long long nb, long long na, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    const char *const fields[] = {against, cert, key, ca};
    unsigned char     md[EVP_MAX_MD_SIZE];
    unsigned int      mdlen = 0;
    core_buf          msg;
    int               rc = CORE_EINTERNAL, ok;

    core_buf_init(&msg, 5 * 64 * 1024);
    ok = core_buf_printf(&msg, "v2\n%lld\n%lld\n", nb, na) == CORE_OK;
    /* The bytes of a field are added as they are: printf's %s walks a PEM key or
     * certificate a byte at a time, and this runs in every reconcile. */
    for (size_t i = 0; ok && i < sizeof fields / sizeof *fields; i++) {
        size_t n = strlen(fields[i]);

        ok = core_buf_printf(&msg, "%zu:", n) == CORE_OK &&
             core_buf_add(&msg, fields[i], n) == CORE_OK;
    }
    if (ok &&
        HMAC(EVP_sha256(), ca_key, (int)strlen(ca_key), (const unsigned char *)msg.data, msg.len,
             md, &mdlen) &&
        mdlen == 32) {
        for (unsigned int i = 0; i < mdlen; i++) {
            hex[2 * i] = digits[md[i] >> 4];
            hex[2 * i + 1] = digits[md[i] & 15];
        }
        hex[64] = '\0';
        rc = CORE_OK;
    }
    if (msg.data)
        OPENSSL_cleanse(msg.data, msg.len); /* it held the server's key */
    core_buf_free(&msg);
    return rc;
}


int
dbi_tls_mark(const char *ca_key, const char *against, const char *cert, const char *key,
             const char *ca, time_t not_before, time_t not_after, char *out, size_t len)
{
    char hex[65];
    int  rc;

    if (!ca_key || !against || !cert || !key || !ca || !out)
        return CORE_EINVAL;
    if ((rc = mark_hmac(ca_key, against, cert, key, ca, (long long)not_before, (long long)not_after,
                        hex)) != CORE_OK)
        return rc;
    if (snprintf(out, len, "v2 %lld %lld %s", (long long)not_before, (long long)not_after, hex) >=
        (int)len)
        return CORE_ETOOBIG;
    return CORE_OK;
}


int
dbi_tls_mark_ok(const char *mark, const char *ca_key, const char *against, const char *cert,
                const char *key, const char *ca, time_t *not_before, time_t *not_after)
{
    long long nb, na;
    char     *end;
    char      want[DBI_TLS_MARK_MAX];
    size_t    n;

    if (!mark || strncmp(mark, "v2 ", 3) != 0 || (n = strlen(mark)) >= sizeof want)
        return 0;
    /* The dates as written, then the whole mark written again from them and compared: a
     * mark in any other spelling (signs, spaces, leading zeros, more after it) fails. */
    nb = strtoll(mark + 3, &end, 10);
    if (*end != ' ')
        return 0;
    na = strtoll(end + 1, &end, 10);
    if (*end != ' ' ||
        dbi_tls_mark(ca_key, against, cert, key, ca, (time_t)nb, (time_t)na, want, sizeof want) !=
            CORE_OK ||
        strlen(want) != n || CRYPTO_memcmp(want, mark, n) != 0)
        return 0;
    *not_before = (time_t)nb;
    *not_after = (time_t)na;
    return 1;
}
