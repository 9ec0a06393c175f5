/*
 * hac: the HACluster spec parse, names and the builders of the postgresql object and the
 * connection Secret (hac.h).
 */
#include "hac.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "core/core.h"
#include "ctrl/ctrl_build.h"
#include "ctrl/ctrl_spec.h"
#include "kjson/kjson.h"

#define HAC_DEFAULT_USER    "app"
#define HAC_DEFAULT_STORAGE "1Gi"
#define HAC_MAX_IDENT       63
#define HAC_MAX_REPLICAS    9
#define HAC_MAX_POOLER      9
#define HAC_MAX_PARAM_NAME  128
#define HAC_MAX_PARAM_VALUE 1024
#define HAC_NAME_MAX        320
#define HAC_TEXT_MAX        (16 * 1024)

const kres HAC_KRES_POSTGRESQLS = {"acid.zalan.do", "v1", "postgresqls", "postgresql", 1};

/* Patroni's (Patroni docs, "YAML Configuration Settings", postgresql.parameters that Patroni
 * sets or ignores) and Spilo's (WAL archiving). */
static const char *const owned_parameters[] = {
    "listen_addresses",
    "port",
    "cluster_name",
    "hot_standby",
    "data_directory",
    "config_file",
    "hba_file",
    "ident_file",
    "unix_socket_directories",
    "primary_conninfo",
    "primary_slot_name",
    "restore_command",
    "recovery_target_timeline",
    "synchronous_standby_names",
    "archive_mode",
    "archive_command",
    NULL};

/* Zalando's own roles: superuser, replication user, pooler user. */
static const char *const system_users[] = {"postgres", "standby", "pooler", NULL};

static const char *const system_databases[] = {"template0", "template1", "postgres", NULL};


int
hac_owned_parameter(const char *name)
{
    size_t i;

    for (i = 0; owned_parameters[i]; i++)
        if (strcasecmp(name, owned_parameters[i]) == 0)
            return 1;
    return 0;
}


static int
in_list(const char *v, const char *const *list)
{
    size_t i;

    for (i = 0; list[i]; i++)
        if (strcmp(v, list[i]) == 0)
            return 1;
    return 0;
}


/* ^[A-Za-z_][A-Za-z0-9_]*$ when upper, ^[a-z]([a-z0-9_]*[a-z0-9])?$ (Zalando's user rule)
 * when not; the length is checked apart. */
static int
is_name(const char *s, int upper)
{
    size_t i;

    for (i = 0; s[i]; i++) {
        char c = s[i];
        int  lower = (c >= 'a' && c <= 'z'), digit = (c >= '0' && c <= '9');

        if (!(lower || (upper && c >= 'A' && c <= 'Z') || ((upper || i > 0) && c == '_') ||
              (i > 0 && digit)))
            return 0;
    }
    return i >= 1 && (upper || s[i - 1] != '_');
}


static int
parse_int(const cJSON *obj, const char *field, const char *key, int def, int min, int max, int *out,
          char *err, size_t errlen)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    int64_t      v;

    *out = def;
    if (!it || cJSON_IsNull(it))
        return CORE_OK;
    if (kjson_get_int64(obj, key, &v) != CORE_OK || v < min || v > max)
        return core_errf(err, errlen, CORE_EINVAL, "%s: must be a whole number from %d to %d",
                         field, min, max);
    *out = (int)v;
    return CORE_OK;
}


static int
parse_bool(const cJSON *obj, const char *field, const char *key, int def, int *out, char *err,
           size_t errlen)
{
    int rc = obj ? kjson_get_bool(obj, key, out) : CORE_ENOENT;

    if (rc == CORE_ENOENT ||
        (rc == CORE_EINVAL && cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(obj, key)))) {
        *out = def;
        return CORE_OK;
    }
    return rc ? core_errf(err, errlen, CORE_EINVAL, "%s: must be true or false", field) : CORE_OK;
}


static int
parse_metadata(const cJSON *obj, hac_spec *out, char *err, size_t errlen)
{
    return ctrl_spec_metadata(obj, HAC_MAX_NAME, "Zalando's Service <name>-pooler-repl",
                              "the Services named after it need", &out->name, &out->namespace,
                              &out->uid, err, errlen);
}


static int
parse_version(const cJSON *spec, hac_spec *out, char *err, size_t errlen)
{
    const char *v;
    char        show[80];
    int         rc;

    if ((rc = ctrl_spec_str(spec, "spec", "version", &v, err, errlen)))
        return rc;
    if (!v)
        return core_errf(err, errlen, CORE_EINVAL,
                         "spec.version: required (a PostgreSQL major version, %d-%d)",
                         HAC_MIN_VERSION, HAC_MAX_VERSION);
    if (strlen(v) != 2 || v[0] < '1' || v[0] > '9' || v[1] < '0' || v[1] > '9' ||
        (v[0] - '0') * 10 + (v[1] - '0') < HAC_MIN_VERSION ||
        (v[0] - '0') * 10 + (v[1] - '0') > HAC_MAX_VERSION)
        return core_errf(err, errlen, CORE_EINVAL,
                         "spec.version: \"%s\" is not a PostgreSQL major version the Zalando "
                         "operator runs (%d-%d; minor versions come with its image)",
                         ctrl_spec_shown(v, show, sizeof show), HAC_MIN_VERSION, HAC_MAX_VERSION);
    out->version = v;
    out->major = (v[0] - '0') * 10 + (v[1] - '0');
    return CORE_OK;
}


static int
parse_names(const cJSON *spec, hac_spec *out, char *err, size_t errlen)
{
    char show[80];
    int  rc;

    if ((rc = ctrl_spec_str(spec, "spec", "database", &out->database, err, errlen)))
        return rc;
    if (!out->database)
        return core_errf(err, errlen, CORE_EINVAL, "spec.database: required");
    if (!is_name(out->database, 1) || strlen(out->database) > HAC_MAX_IDENT)
        return core_errf(err, errlen, CORE_EINVAL,
                         "spec.database: \"%s\" must start with a letter or '_', hold only "
                         "letters, digits and '_', and have at most %d characters",
                         ctrl_spec_shown(out->database, show, sizeof show), HAC_MAX_IDENT);
    if (in_list(out->database, system_databases))
        return core_errf(err, errlen, CORE_EINVAL,
                         "spec.database: \"%s\" is a system database; choose another name",
                         out->database);
    if ((rc = ctrl_spec_str(spec, "spec", "username", &out->username, err, errlen)))
        return rc;
    if (!out->username)
        out->username = HAC_DEFAULT_USER;
    if (!is_name(out->username, 0) || strlen(out->username) > HAC_MAX_IDENT)
        return core_errf(err, errlen, CORE_EINVAL,
                         "spec.username: \"%s\" must start with a lowercase letter, hold only "
                         "lowercase letters, digits and '_', not end in '_', and have at "
                         "most %d characters (the Zalando operator's rule for users)",
                         ctrl_spec_shown(out->username, show, sizeof show), HAC_MAX_IDENT);
    if (in_list(out->username, system_users) || strncmp(out->username, "pg_", 3) == 0)
        return core_errf(err, errlen, CORE_EINVAL,
                         "spec.username: \"%s\" is reserved (the Zalando operator's postgres, "
                         "standby and pooler users, PostgreSQL's pg_*); choose another name",
                         out->username);
    return CORE_OK;
}


static int
parse_storage(const cJSON *spec, hac_spec *out, char *err, size_t errlen)
{
    const cJSON             *storage, *it;
    kjson_quantity           q;
    char                     show[80];
    size_t                   i;
    int                      rc;
    static const char *const keys[] = {"requests", "limits"};

    if ((rc = ctrl_spec_obj(spec, "spec", "storage", &storage, err, errlen)) ||
        (rc = ctrl_spec_str(storage, "spec.storage", "size", &out->storage_size, err, errlen)) ||
        (rc = ctrl_spec_str(storage, "spec.storage", "storageClassName", &out->storage_class, err,
                            errlen)))
        return rc;
    if (!out->storage_size)
        out->storage_size = HAC_DEFAULT_STORAGE;
    if (kjson_quantity_parse(out->storage_size, &q) != CORE_OK || q.nano <= 0)
        return core_errf(err, errlen, CORE_EINVAL,
                         "spec.storage.size: \"%s\" is not a quantity above 0 (like 5Gi)",
                         ctrl_spec_shown(out->storage_size, show, sizeof show));
    if ((rc = ctrl_spec_obj(spec, "spec", "resources", &out->resources, err, errlen)))
        return rc;
    for (i = 0; i < 2; i++) {
        if ((rc = ctrl_spec_quantities(out->resources, "spec.resources", keys[i], err, errlen)))
            return rc;
        cJSON_ArrayForEach(it, kjson_path(out->resources, keys[i], NULL)) {
            if (strcmp(it->string, "cpu") != 0 && strcmp(it->string, "memory") != 0)
                return core_errf(err, errlen, CORE_EINVAL,
                                 "spec.resources.%s.%s: only cpu and memory can be set (what "
                                 "the Zalando operator passes on)",
                                 keys[i], ctrl_spec_shown(it->string, show, sizeof show));
        }
    }
    return CORE_OK;
}


static int
parse_parameters(const cJSON *spec, hac_spec *out, char *err, size_t errlen)
{
    const cJSON *it;
    char         show[80];
    size_t       i;
    int          rc;

    if ((rc = ctrl_spec_obj(spec, "spec", "parameters", &out->parameters, err, errlen)))
        return rc;
    cJSON_ArrayForEach(it, out->parameters) {
        for (i = 0; it->string[i]; i++)
            if (!((it->string[i] >= 'a' && it->string[i] <= 'z') || it->string[i] == '_' ||
                  it->string[i] == '.' || (i > 0 && it->string[i] >= '0' && it->string[i] <= '9')))
                break;
        if (i == 0 || it->string[i] || i > HAC_MAX_PARAM_NAME)
            return core_errf(err, errlen, CORE_EINVAL,
                             "spec.parameters: \"%s\" is not a parameter name (lowercase "
                             "letters, digits, '_' and '.')",
                             ctrl_spec_shown(it->string, show, sizeof show));
        if (hac_owned_parameter(it->string))
            return core_errf(err, errlen, CORE_EINVAL,
                             "spec.parameters.%s: set by Patroni or Spilo for replication "
                             "and failover; it cannot be changed",
                             it->string);
        if ((rc = ctrl_spec_param_value(it, HAC_MAX_PARAM_VALUE, err, errlen)))
            return rc;
    }
    return CORE_OK;
}


static int
parse_features(const cJSON *spec, hac_spec *out, char *err, size_t errlen)
{
    static const char *const modes[] = {"transaction", "session", NULL};
    static const char *const policies[] = {"Delete", "Retain", NULL};
    const cJSON             *sync, *pooler;
    int                      rc;

    if ((rc = parse_int(spec, "spec.replicas", "replicas", 3, 1, HAC_MAX_REPLICAS, &out->replicas,
                        err, errlen)) ||
        (rc = ctrl_spec_obj(spec, "spec", "synchronousReplication", &sync, err, errlen)) ||
        (rc = parse_bool(sync, "spec.synchronousReplication.enabled", "enabled", 0,
                         &out->sync_enabled, err, errlen)) ||
        (rc = parse_bool(sync, "spec.synchronousReplication.strict", "strict", 0, &out->sync_strict,
                         err, errlen)) ||
        (rc = ctrl_spec_obj(spec, "spec", "pooler", &pooler, err, errlen)) ||
        (rc = parse_bool(pooler, "spec.pooler.enabled", "enabled", 0, &out->pooler_enabled, err,
                         errlen)) ||
        (rc = parse_int(pooler, "spec.pooler.replicas", "replicas", 2, 1, HAC_MAX_POOLER,
                        &out->pooler_replicas, err, errlen)) ||
        (rc = ctrl_spec_str(pooler, "spec.pooler", "mode", &out->pooler_mode, err, errlen)) ||
        (rc = parse_bool(spec, "spec.readReplicasService", "readReplicasService", 1,
                         &out->read_replicas_service, err, errlen)) ||
        (rc = ctrl_spec_str(spec, "spec", "deletionPolicy", &out->deletion_policy, err, errlen)))
        return rc;
    if (out->sync_strict && !out->sync_enabled)
        return core_errf(err, errlen, CORE_EINVAL,
                         "spec.synchronousReplication.strict: needs enabled: true");
    if (!out->pooler_mode)
        out->pooler_mode = "transaction";
    if (!out->deletion_policy)
        out->deletion_policy = "Delete";
    if ((rc = ctrl_spec_one_of("spec.pooler.mode", out->pooler_mode, modes, err, errlen)))
        return rc;
    return ctrl_spec_one_of("spec.deletionPolicy", out->deletion_policy, policies, err, errlen);
}


int
hac_spec_parse(const cJSON *obj, hac_spec *out, char *err, size_t errlen)
{
    const cJSON *spec;
    int          rc;

    memset(out, 0, sizeof *out);
    if (err && errlen)
        err[0] = '\0';
    if (!cJSON_IsObject(obj))
        return core_errf(err, errlen, CORE_EINVAL, "the HACluster is not a JSON object");
    if ((rc = parse_metadata(obj, out, err, errlen)))
        return rc;
    out->running = kjson_path_str(obj, "status", "currentVersion", NULL);
    spec = cJSON_GetObjectItemCaseSensitive(obj, "spec");
    if (!cJSON_IsObject(spec))
        return core_errf(err, errlen, CORE_EINVAL, "spec: required");
    if ((rc = parse_version(spec, out, err, errlen)) ||
        (rc = parse_names(spec, out, err, errlen)) || (rc = parse_storage(spec, out, err, errlen)) ||
        (rc = parse_parameters(spec, out, err, errlen)) ||
        (rc = parse_features(spec, out, err, errlen)))
        return rc;
    return CORE_OK;
}


int
hac_child_name(const hac_spec *s, const char *suffix, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s%s", s->name, suffix ? suffix : "");

    return n < 0 || (size_t)n >= len ? CORE_ETOOBIG : CORE_OK;
}


int
hac_zalando_secret_name(const hac_spec *s, char *buf, size_t len)
{
    size_t i;
    int n = snprintf(buf, len, "%s.%s.credentials.postgresql.acid.zalan.do", s->username, s->name);

    if (n < 0 || (size_t)n >= len)
        return CORE_ETOOBIG;
    for (i = 0; i < strlen(s->username); i++)
        if (buf[i] == '_')
            buf[i] = '-';
    return CORE_OK;
}


int
hac_held(const hac_spec *s, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s/%s/%s", s->running ? s->running : s->version, s->database,
                     s->username);

    return n < 0 || (size_t)n >= len ? CORE_ETOOBIG : CORE_OK;
}


/* --- the postgresql object ------------------------------------------------------------ */

/* resources[key] with every quantity as a string (Zalando's CRD types them as strings). */
static void
put_quantities(ctrl_bld *b, cJSON *parent, const cJSON *resources, const char *key)
{
    const cJSON *map = kjson_path(resources, key, NULL), *it;
    cJSON       *o;
    char         num[KJSON_QTY_STRLEN];

    if (!map || !map->child)
        return;
    o = ctrl_b_obj(b, parent, key);
    cJSON_ArrayForEach(it, map) {
        kjson_quantity q;

        /* Numbers as the quantity they stand for (0.5 is "500m"); the spec check parsed each. */
        if (cJSON_IsString(it))
            ctrl_b_str(b, o, it->string, it->valuestring);
        else if (kjson_get_quantity(map, it->string, &q) == CORE_OK &&
                 kjson_quantity_format(&q, num, sizeof num) == CORE_OK)
            ctrl_b_str(b, o, it->string, num);
    }
}


cJSON *
hac_build_postgresql(const hac_spec *s, const cJSON *owner)
{
    ctrl_bld b = {0};
    cJSON   *o, *spec, *pg, *vol, *res, *users, *patroni, *pooler;
    char     held[HAC_NAME_MAX];

    if (!s)
        return NULL;
    o = ctrl_b_child(&b, HAC_PG_API, "postgresql", s->name, owner, HAC_API_VERSION, HAC_KIND, HAC_APP);
    if (hac_held(s, held, sizeof held))
        b.failed = 1;
    else
        ctrl_b_str(&b, ctrl_b_obj(&b, kjson_path(o, "metadata", NULL), "annotations"), HAC_HELD_ANN,
                   held);
    spec = ctrl_b_obj(&b, o, "spec");
    ctrl_b_str(&b, spec, "teamId", HAC_TEAM_ID);
    ctrl_b_int(&b, spec, "numberOfInstances", s->replicas);
    pg = ctrl_b_obj(&b, spec, "postgresql");
    ctrl_b_str(&b, pg, "version", s->version);
    if (s->parameters && s->parameters->child)
        ctrl_b_copy(&b, pg, "parameters", s->parameters);
    vol = ctrl_b_obj(&b, spec, "volume");
    ctrl_b_str(&b, vol, "size", s->storage_size);
    if (s->storage_class)
        ctrl_b_str(&b, vol, "storageClass", s->storage_class);
    if (kjson_path(s->resources, "requests", NULL) || kjson_path(s->resources, "limits", NULL)) {
        res = ctrl_b_obj(&b, spec, "resources");
        put_quantities(&b, res, s->resources, "requests");
        put_quantities(&b, res, s->resources, "limits");
    }
    users = ctrl_b_obj(&b, spec, "users");
    ctrl_b_arr(&b, users, s->username);
    ctrl_b_str(&b, ctrl_b_obj(&b, spec, "databases"), s->database, s->username);
    if (s->sync_enabled) {
        patroni = ctrl_b_obj(&b, spec, "patroni");
        ctrl_b_bool(&b, patroni, "synchronous_mode", 1);
        if (s->sync_strict)
            ctrl_b_bool(&b, patroni, "synchronous_mode_strict", 1);
    }
    if (s->pooler_enabled) {
        ctrl_b_bool(&b, spec, "enableConnectionPooler", 1);
        if (s->read_replicas_service)
            ctrl_b_bool(&b, spec, "enableReplicaConnectionPooler", 1);
        pooler = ctrl_b_obj(&b, spec, "connectionPooler");
        ctrl_b_int(&b, pooler, "numberOfInstances", s->pooler_replicas);
        ctrl_b_str(&b, pooler, "mode", s->pooler_mode);
    }
    return ctrl_b_done(&b, o);
}


/* --- the connection Secret ------------------------------------------------------------ */

/* "<name><suffix>.<ns>.svc.cluster.local" into host. */
static int
host_of(const hac_spec *s, const char *suffix, char *host, size_t len)
{
    int n = snprintf(host, len, "%s%s.%s.svc.cluster.local", s->name, suffix, s->namespace);

    return n < 0 || (size_t)n >= len ? CORE_ETOOBIG : CORE_OK;
}


/* data[host_key] = host of suffix, data[uri_key] = its uri (scrubbed after use); query, when
 * not NULL, ends the uri ("?sslmode=require"). */
static void
put_endpoint(ctrl_bld *b, cJSON *data, const hac_spec *s, const char *password, const char *suffix,
             const char *host_key, const char *uri_key, const char *query)
{
    char     host[HAC_NAME_MAX];
    core_buf uri;

    core_buf_init(&uri, HAC_TEXT_MAX);
    if (host_of(s, suffix, host, sizeof host) || core_buf_add(&uri, "postgresql://", 13) ||
        core_pct_encode(&uri, s->username) || core_buf_add(&uri, ":", 1) ||
        core_pct_encode(&uri, password) || core_buf_printf(&uri, "@%s:%d/", host, HAC_PORT) ||
        core_pct_encode(&uri, s->database) || (query && core_buf_add(&uri, query, strlen(query)))) {
        b->failed = 1;
        goto out;
    }
    ctrl_b_b64(b, data, host_key, host);
    ctrl_b_b64(b, data, uri_key, uri.data);
out:
    if (uri.data)
        OPENSSL_cleanse(uri.data, uri.len);
    core_buf_free(&uri);
}


cJSON *
hac_build_secret(const hac_spec *s, const cJSON *owner, const char *password, const hac_poolers *p)
{
    ctrl_bld b = {0};
    cJSON   *o, *data;
    char     name[HAC_NAME_MAX], host[HAC_NAME_MAX], held[HAC_NAME_MAX], port[16];
    core_buf jdbc;

    if (!s || !password || hac_child_name(s, "-credentials", name, sizeof name) ||
        host_of(s, "", host, sizeof host) || hac_held(s, held, sizeof held))
        return NULL;
    core_buf_init(&jdbc, HAC_TEXT_MAX);
    if (core_buf_printf(&jdbc, "jdbc:postgresql://%s:%d/", host, HAC_PORT) ||
        core_pct_encode(&jdbc, s->database) || core_buf_printf(&jdbc, "%s", HAC_SSLMODE))
        return NULL;
    snprintf(port, sizeof port, "%d", HAC_PORT);
    o = ctrl_b_child(&b, "v1", "Secret", name, owner, HAC_API_VERSION, HAC_KIND, HAC_APP);
    ctrl_b_str(&b, ctrl_b_obj(&b, kjson_path(o, "metadata", NULL), "annotations"), HAC_HELD_ANN, held);
    ctrl_b_str(&b, o, "type", "Opaque");
    data = ctrl_b_obj(&b, o, "data");
    ctrl_b_b64(&b, data, "username", s->username);
    ctrl_b_b64(&b, data, "password", password);
    ctrl_b_b64(&b, data, "port", port);
    ctrl_b_b64(&b, data, "database", s->database);
    /* Spilo rejects connections without TLS by default (Zalando v1.15.1, docs/user.md: "As
     * non-encrypted connections are rejected by default set SSL mode to require"); its
     * certificate is self-signed, so require, not verify-full. The pooler's PgBouncer is
     * given a certificate only with the postgresql object's spec.tls, which we do not set:
     * its uris keep libpq's default (prefer). */
    put_endpoint(&b, data, s, password, "", "host", "uri", HAC_SSLMODE);
    ctrl_b_b64(&b, data, "jdbc-url", jdbc.data);
    if (s->read_replicas_service)
        put_endpoint(&b, data, s, password, "-repl", "read-host", "read-uri", HAC_SSLMODE);
    if (p && p->pooler)
        put_endpoint(&b, data, s, password, "-pooler", "pooler-host", "pooler-uri", NULL);
    if (p && p->pooler_repl && s->read_replicas_service)
        put_endpoint(&b, data, s, password, "-pooler-repl", "pooler-read-host", "pooler-read-uri",
                     NULL);
    core_buf_free(&jdbc);
    return ctrl_b_done(&b, o);
}
