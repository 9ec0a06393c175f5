/*
 * dbi: the children of a DBInstance as JSON, for server-side apply.
 *
 * Each builder returns a complete object (apiVersion, kind, metadata.name and namespace,
 * the standard labels, a controller ownerReference) and is deterministic: the same input
 * gives byte-identical output, so the controller's "write only what differs" holds.
 * Fields whose zero value the API server omits (0, false) are never written, or an applied
 * object would never compare equal to what the server returns.
 */
#include "dbi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/core.h"
#include "kjson/kjson.h"
#include "ctrl/ctrl_build.h"
#include "dbi/dbi_adopt.h"
#include "dbi/dbi_pass.h"
#include "dbi/dbi_podsec.h"
#include "dbi/dbi_tls.h"
#include "kops/kops.h"

#define DBI_PGDATA         "/var/lib/postgresql/data/pgdata"
#define DBI_PG_CONF_KEY    "dbaas.conf"
#define DBI_MYSQL_CONF_KEY "dbaas.cnf"
#define DBI_MYSQL_CONF     "/etc/mysql/conf.d/" DBI_MYSQL_CONF_KEY
#define DBI_NAME_MAX       320 /* a child name or a host; DBI_MAX_NAME keeps them far below */
#define DBI_TEXT_MAX       (1024 * 1024)

static int
child_name(const dbi_spec *s, const char *suffix, char *buf)
{
    return dbi_child_name(s, suffix, buf, DBI_NAME_MAX);
}


/* apiVersion, kind and metadata (name, namespace, labels, the controller ownerReference). */
static cJSON *
new_child(ctrl_bld *b, const dbi_spec *s, const cJSON *owner, const char *api_version,
          const char *kind, const char *suffix)
{
    char   name[DBI_NAME_MAX];
    cJSON *o;

    if (child_name(s, suffix, name)) {
        b->failed = 1;
        return NULL;
    }
    o = ctrl_b_child(b, api_version, kind, name, owner, DBI_API_VERSION, DBI_KIND, s->engine->name);
    if (!b->failed)
        dbi_pass_metadata(b, o, s);
    return o;
}


/* --- Secret ------------------------------------------------------------------------ */

/* What the Secret holds, so that a DBInstance adopting it after Retain can be judged. */
static void
held_annotations(ctrl_bld *b, cJSON *o, const dbi_spec *s)
{
    cJSON *ann = ctrl_b_obj(b, cJSON_GetObjectItemCaseSensitive(o, "metadata"), "annotations");

    if (ann && dbi_held_put(s, ann) != CORE_OK)
        b->failed = 1;
}


/* s percent-encoded in a new allocation (the caller frees), or NULL. */
static char *
escaped(const char *s)
{
    core_buf b;

    core_buf_init(&b, DBI_TEXT_MAX);
    if (core_pct_encode(&b, s) || core_buf_add(&b, "", 0))
        return NULL;
    return core_buf_take(&b);
}


cJSON *
dbi_build_secret(const dbi_spec *s, const cJSON *owner, const char *password,
                 const char *superuser_password)
{
    ctrl_bld b = {0};
    cJSON   *o = NULL, *data;
    char    *user = NULL, *pass = NULL, *db = NULL;
    char     host[DBI_NAME_MAX], port[16];
    core_buf uri, jdbc;

    core_buf_init(&uri, DBI_TEXT_MAX);
    core_buf_init(&jdbc, DBI_TEXT_MAX);
    if (!s || !password || !superuser_password)
        goto out;
    user = escaped(s->username);
    pass = escaped(password);
    db = escaped(s->database);
    snprintf(port, sizeof port, "%d", s->engine->port);
    if (!user || !pass || !db ||
        snprintf(host, sizeof host, "%s.%s.svc.cluster.local", s->name, s->namespace) >=
            (int)sizeof host ||
        core_buf_printf(&uri, "%s://%s:%s@%s:%s/%s%s", s->engine->scheme, user, pass, host, port,
                        db, dbi_tls_query(s, 0)) ||
        core_buf_printf(&jdbc, "%s://%s:%s/%s%s", s->engine->jdbc, host, port, db,
                        dbi_tls_query(s, 1)) ||
        (dbi_tls_on(s) && !s->tls_ca))
        goto out;
    o = new_child(&b, s, owner, "v1", "Secret", "-credentials");
    held_annotations(&b, o, s);
    ctrl_b_str(&b, o, "type", "Opaque");
    data = ctrl_b_obj(&b, o, "data");
    if (data) {
        ctrl_b_b64(&b, data, "username", s->username);
        ctrl_b_b64(&b, data, "password", password);
        ctrl_b_b64(&b, data, "superuser-password", superuser_password);
        ctrl_b_b64(&b, data, "host", host);
        ctrl_b_b64(&b, data, "port", port);
        ctrl_b_b64(&b, data, "database", s->database);
        ctrl_b_b64(&b, data, "uri", uri.data);
        ctrl_b_b64(&b, data, "jdbc-url", jdbc.data);
        if (dbi_tls_on(s))
            ctrl_b_b64(&b, data, "ca.crt", s->tls_ca);
    }
    o = ctrl_b_done(&b, o);
out:
    if (pass)
        OPENSSL_cleanse(pass, strlen(pass));
    if (uri.data)
        OPENSSL_cleanse(uri.data, uri.len);
    free(user);
    free(pass);
    free(db);
    core_buf_free(&uri);
    core_buf_free(&jdbc);
    return o;
}


/* --- ConfigMap ----------------------------------------------------------------------- */

static int
by_key(const void *a, const void *b)
{
    return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}


/* spec.parameters sorted by name (a new array of *n items the caller frees), so that the
 * rendering never depends on the order the server happened to send. */
static int
sorted_parameters(const dbi_spec *s, const cJSON ***out, size_t *n)
{
    const cJSON  *it;
    const cJSON **v = NULL;
    size_t        i = 0, count = (size_t)cJSON_GetArraySize(s->parameters);

    *out = NULL;
    *n = 0;
    if (count == 0)
        return CORE_OK;
    if (!(v = calloc(count, sizeof *v)))
        return CORE_ENOMEM;
    cJSON_ArrayForEach(it, s->parameters) {
        if (i < count && cJSON_IsString(it))
            v[i++] = it;
    }
    qsort(v, i, sizeof *v, by_key);
    *out = v;
    *n = i;
    return CORE_OK;
}


/* Characters a MySQL option value may hold unquoted: no '#', quotes, backslash or space. */
#define MYSQL_BARE "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.,:/+-*"

/* A MySQL option value that reads back as itself: bare when plain, else double-quoted. */
static int
add_mysql_value(core_buf *t, const char *v)
{
    const char *p;
    int         plain = v[0] != '\0';
    int         rc;

    for (p = v; *p && plain; p++)
        plain = strchr(MYSQL_BARE, *p) != NULL;
    if (plain)
        return core_buf_printf(t, "%s", v);
    rc = core_buf_add(t, "\"", 1);
    for (p = v; !rc && *p; p++)
        rc = *p == '"' || *p == '\\' ? core_buf_printf(t, "\\%c", *p) : core_buf_add(t, p, 1);
    return rc ? rc : core_buf_add(t, "\"", 1);
}


/* A postgresql.conf string: single-quoted, ' doubled, \ escaped (the file parser reads escapes). */
static int
add_pg_value(core_buf *t, const char *v)
{
    const char *p;
    int         rc = core_buf_add(t, "'", 1);

    for (p = v; !rc && *p; p++)
        rc = *p == '\'' ? core_buf_add(t, "''", 2)
           : *p == '\\' ? core_buf_add(t, "\\\\", 2)
                        : core_buf_add(t, p, 1);
    return rc ? rc : core_buf_add(t, "'", 1);
}


/* The configuration file text from spec.parameters, at most max bytes; the caller frees. */
static char *
render_config_max(const dbi_spec *s, size_t max)
{
    const cJSON **params = NULL;
    size_t        n = 0, i;
    core_buf      t;
    int           pg = s->engine->id == DBI_POSTGRESQL;
    int           rc;

    core_buf_init(&t, max);
    rc = sorted_parameters(s, &params, &n);
    if (!rc)
        rc = core_buf_printf(&t,
                             "# Rendered by %s from spec.parameters of DBInstance %s; "
                             "edits are overwritten.\n",
                             DBI_MANAGED_BY, s->name);
    if (!rc && pg)
        rc = core_buf_printf(&t, "# The server gets these as -c arguments; this file shows them.\n");
    if (!rc && !pg)
        rc = core_buf_printf(&t, "[mysqld]\n");
    for (i = 0; !rc && i < n; i++) {
        rc = core_buf_printf(&t, "%s = ", params[i]->string);
        if (!rc)
            rc = pg ? add_pg_value(&t, params[i]->valuestring)
                    : add_mysql_value(&t, params[i]->valuestring);
        if (!rc)
            rc = core_buf_add(&t, "\n", 1);
    }
    free(params);
    if (!rc)
        rc = dbi_tls_mysql_config(s, &t);
    return rc ? NULL : core_buf_take(&t);
}


static char *
render_config(const dbi_spec *s)
{
    return render_config_max(s, DBI_TEXT_MAX);
}


size_t
dbi_config_len(const dbi_spec *s)
{
    /* Escaping at most doubles a value, and a request body is at most 3 MiB. */
    char  *text = render_config_max(s, 16 * DBI_TEXT_MAX);
    size_t n = text ? strlen(text) : 0;

    free(text);
    return n;
}


cJSON *
dbi_build_configmap(const dbi_spec *s, const cJSON *owner, char *checksum, size_t len)
{
    ctrl_bld b = {0};
    cJSON   *o = NULL, *data;
    char    *text = render_config(s);

    /* "" until it is known, so that a failure never leaves garbage for the StatefulSet. */
    if (checksum && len)
        checksum[0] = '\0';
    if (!text || (checksum && ctrl_checksum(text, strlen(text), checksum, len) != CORE_OK))
        goto out;
    o = new_child(&b, s, owner, "v1", "ConfigMap", "-config");
    data = ctrl_b_obj(&b, o, "data");
    ctrl_b_str(&b, data, s->engine->id == DBI_POSTGRESQL ? DBI_PG_CONF_KEY : DBI_MYSQL_CONF_KEY, text);
    if (dbi_tls_on(s) && s->engine->id == DBI_POSTGRESQL) {
        free(text);
        if (!(text = dbi_tls_pg_hba(s)))
            b.failed = 1;
        else
            ctrl_b_str(&b, data, DBI_PG_HBA_KEY, text);
    }
    o = ctrl_b_done(&b, o);
out:
    free(text);
    return o;
}


/* --- Services ------------------------------------------------------------------------ */

static void
service_ports(ctrl_bld *b, cJSON *spec, const dbi_spec *s)
{
    cJSON *port = ctrl_b_obj(b, ctrl_b_arr(b, spec, "ports"), NULL);

    ctrl_b_str(b, port, "name", s->engine->scheme);
    ctrl_b_int(b, port, "port", s->engine->port);
    ctrl_b_str(b, port, "targetPort", s->engine->scheme);
    ctrl_b_str(b, port, "protocol", "TCP");
}


cJSON *
dbi_build_service(const dbi_spec *s, const cJSON *owner)
{
    ctrl_bld b = {0};
    cJSON   *o = new_child(&b, s, owner, "v1", "Service", NULL);
    cJSON   *spec = ctrl_b_obj(&b, o, "spec");

    ctrl_b_str(&b, spec, "type", s->service_type);
    ctrl_b_put(&b, spec, "selector", dbi_labels(s));
    service_ports(&b, spec, s);
    return ctrl_b_done(&b, o);
}


cJSON *
dbi_build_headless_service(const dbi_spec *s, const cJSON *owner)
{
    ctrl_bld b = {0};
    cJSON   *o = new_child(&b, s, owner, "v1", "Service", "-headless");
    cJSON   *spec = ctrl_b_obj(&b, o, "spec");

    ctrl_b_str(&b, spec, "type", "ClusterIP");
    ctrl_b_str(&b, spec, "clusterIP", "None");
    /* The StatefulSet's pod DNS name must resolve before the database is ready. */
    ctrl_b_bool(&b, spec, "publishNotReadyAddresses", 1);
    ctrl_b_put(&b, spec, "selector", dbi_labels(s));
    service_ports(&b, spec, s);
    return ctrl_b_done(&b, o);
}


/* --- StatefulSet --------------------------------------------------------------------- */

/* A quantity as the API server writes it back ("0.5" -> "500m", "1024Mi" -> "1Gi"), so that
 * what is applied compares equal to what is read. */
static void
put_quantity(ctrl_bld *b, cJSON *parent, const char *key, const kjson_quantity *q)
{
    char text[KJSON_QTY_STRLEN];

    if (kjson_quantity_format(q, text, sizeof text) != CORE_OK) {
        b->failed = 1;
        return;
    }
    ctrl_b_str(b, parent, key, text);
}


/* src[key], a string or a number, as put_quantity writes it. */
static void
quantity(ctrl_bld *b, cJSON *parent, const char *key, const cJSON *src)
{
    kjson_quantity q;

    if (kjson_get_quantity(src, key, &q) != CORE_OK) {
        b->failed = 1;
        return;
    }
    put_quantity(b, parent, key, &q);
}


static void
resources(ctrl_bld *b, cJSON *container, const cJSON *src)
{
    const cJSON *it, *q;
    cJSON       *r;

    if (!src)
        return;
    r = ctrl_b_obj(b, container, "resources");
    cJSON_ArrayForEach(it, src) {
        if (strcmp(it->string, "requests") == 0 || strcmp(it->string, "limits") == 0) {
            cJSON *m;

            /* The server drops an empty map: writing one would never compare equal. */
            if (cJSON_GetArraySize(it) == 0)
                continue;
            m = ctrl_b_obj(b, r, it->string);
            cJSON_ArrayForEach(q, it)
                quantity(b, m, q->string, it);
        } else {
            ctrl_b_copy(b, r, it->string, it);
        }
    }
}


static void
env_secret(ctrl_bld *b, cJSON *env, const char *name, const char *secret, const char *key)
{
    cJSON *e = ctrl_b_obj(b, env, NULL), *ref;

    ctrl_b_str(b, e, "name", name);
    ref = ctrl_b_obj(b, ctrl_b_obj(b, e, "valueFrom"), "secretKeyRef");
    ctrl_b_str(b, ref, "name", secret);
    ctrl_b_str(b, ref, "key", key);
}


static void
env_value(ctrl_bld *b, cJSON *env, const char *name, const char *value)
{
    cJSON *e = ctrl_b_obj(b, env, NULL);

    ctrl_b_str(b, e, "name", name);
    ctrl_b_str(b, e, "value", value);
}


/* The official images' documented environment, every secret from the credentials Secret. */
static void
environment(ctrl_bld *b, cJSON *container, const dbi_spec *s)
{
    cJSON *env = ctrl_b_arr(b, container, "env");
    char   secret[DBI_NAME_MAX];

    if (child_name(s, "-credentials", secret)) {
        b->failed = 1;
        return;
    }
    switch (s->engine->id) {
    case DBI_POSTGRESQL:
        env_secret(b, env, "POSTGRES_USER", secret, "username");
        env_secret(b, env, "POSTGRES_PASSWORD", secret, "password");
        env_secret(b, env, "POSTGRES_DB", secret, "database");
        /* A subdirectory: initdb refuses a non-empty directory, and volume roots hold lost+found. */
        env_value(b, env, "PGDATA", DBI_PGDATA);
        dbi_tls_env(b, env, s);
        break;
    case DBI_MYSQL:
        env_secret(b, env, "MYSQL_ROOT_PASSWORD", secret, "superuser-password");
        env_secret(b, env, "MYSQL_USER", secret, "username");
        env_secret(b, env, "MYSQL_PASSWORD", secret, "password");
        env_secret(b, env, "MYSQL_DATABASE", secret, "database");
        break;
    case DBI_MARIADB:
        env_secret(b, env, "MARIADB_ROOT_PASSWORD", secret, "superuser-password");
        env_secret(b, env, "MARIADB_USER", secret, "username");
        env_secret(b, env, "MARIADB_PASSWORD", secret, "password");
        env_secret(b, env, "MARIADB_DATABASE", secret, "database");
        /* A minor version roll runs mariadb-upgrade on the existing data. */
        env_value(b, env, "MARIADB_AUTO_UPGRADE", "1");
        break;
    }
}


/* postgres, then "-c name=value" per parameter in name order: PostgreSQL has no conf.d that
 * the image reads, and -c overrides the postgresql.conf initdb wrote. */
static void
postgres_args(ctrl_bld *b, cJSON *container, const dbi_spec *s)
{
    const cJSON **params = NULL;
    size_t        n = 0, i;
    cJSON        *args = ctrl_b_arr(b, container, "args");
    core_buf      kv;

    ctrl_b_str(b, args, NULL, "postgres");
    if (sorted_parameters(s, &params, &n)) {
        b->failed = 1;
        return;
    }
    for (i = 0; i < n; i++) {
        core_buf_init(&kv, DBI_TEXT_MAX);
        if (core_buf_printf(&kv, "%s=%s", params[i]->string, params[i]->valuestring)) {
            b->failed = 1;
            break;
        }
        ctrl_b_str(b, args, NULL, "-c");
        ctrl_b_str(b, args, NULL, kv.data);
        core_buf_free(&kv);
    }
    free(params);
    dbi_tls_pg_args(b, args, s);
}


/* An exec probe. Commands read passwords from the environment, never from the pod spec. */
static void
probe(ctrl_bld *b, cJSON *container, const char *key, const char *const *command, int period,
      int failures)
{
    cJSON *p = ctrl_b_obj(b, container, key);

    ctrl_b_strs(b, ctrl_b_obj(b, p, "exec"), "command", command);
    ctrl_b_int(b, p, "periodSeconds", period);
    ctrl_b_int(b, p, "timeoutSeconds", 5);
    ctrl_b_int(b, p, "failureThreshold", failures);
}


static void
probes(ctrl_bld *b, cJSON *container, const dbi_spec *s)
{
    static const char *const pg[] = {
        "sh", "-c",
        "exec pg_isready -U \"$POSTGRES_USER\" -d \"$POSTGRES_DB\" -h 127.0.0.1 -p 5432", NULL};
    static const char *const my_ready[] = {
        "sh", "-c",
        "exec mysql --protocol=TCP -h 127.0.0.1 -P 3306 -uroot -p\"$MYSQL_ROOT_PASSWORD\" -e 'SELECT 1'",
        NULL};
    static const char *const my_live[] = {
        "sh", "-c",
        "exec mysqladmin ping --protocol=TCP -h 127.0.0.1 -P 3306 -uroot -p\"$MYSQL_ROOT_PASSWORD\"",
        NULL};
    static const char *const maria[] = {"healthcheck.sh", "--connect", "--innodb_initialized", NULL};
    const char *const       *ready = s->engine->id == DBI_POSTGRESQL ? pg
                                   : s->engine->id == DBI_MYSQL      ? my_ready
                                                                     : maria;
    const char *const       *live = s->engine->id == DBI_MYSQL ? my_live : ready;

    /* Up to 10 minutes for initialisation or crash recovery before liveness takes over. */
    probe(b, container, "startupProbe", ready, 5, 120);
    probe(b, container, "readinessProbe", ready, 10, 3);
    probe(b, container, "livenessProbe", live, 10, 6);
}


static void
container_security(ctrl_bld *b, cJSON *container, const dbi_spec *s)
{
    static const char *const all[] = {"ALL", NULL};
    cJSON                   *sc = ctrl_b_obj(b, container, "securityContext");

    ctrl_b_int(b, sc, "runAsUser", dbi_run_as_user(s));
    ctrl_b_int(b, sc, "runAsGroup", dbi_run_as_group(s));
    ctrl_b_bool(b, sc, "runAsNonRoot", 1);
    ctrl_b_bool(b, sc, "allowPrivilegeEscalation", 0);
    ctrl_b_strs(b, ctrl_b_obj(b, sc, "capabilities"), "drop", all);
    ctrl_b_str(b, ctrl_b_obj(b, sc, "seccompProfile"), "type", "RuntimeDefault");
}


static void
container(ctrl_bld *b, cJSON *containers, const dbi_spec *s)
{
    cJSON *c = ctrl_b_obj(b, containers, NULL), *port, *mounts, *m;
    char   image[1024];

    if (dbi_image(s, image, sizeof image)) {
        b->failed = 1;
        return;
    }
    ctrl_b_str(b, c, "name", s->engine->name);
    ctrl_b_str(b, c, "image", image);
    if (s->engine->id == DBI_POSTGRESQL)
        postgres_args(b, c, s);
    environment(b, c, s);
    port = ctrl_b_obj(b, ctrl_b_arr(b, c, "ports"), NULL);
    ctrl_b_str(b, port, "name", s->engine->scheme);
    ctrl_b_int(b, port, "containerPort", s->engine->port);
    ctrl_b_str(b, port, "protocol", "TCP");
    mounts = ctrl_b_arr(b, c, "volumeMounts");
    m = ctrl_b_obj(b, mounts, NULL);
    ctrl_b_str(b, m, "name", "data");
    ctrl_b_str(b, m, "mountPath", s->engine->data_dir);
    if (s->engine->id != DBI_POSTGRESQL) {
        /* One file into conf.d, leaving the image's own files there in place. */
        m = ctrl_b_obj(b, mounts, NULL);
        ctrl_b_str(b, m, "name", "config");
        ctrl_b_str(b, m, "mountPath", DBI_MYSQL_CONF);
        ctrl_b_str(b, m, "subPath", DBI_MYSQL_CONF_KEY);
        ctrl_b_bool(b, m, "readOnly", 1);
    }
    dbi_tls_mounts(b, mounts, s);
    probes(b, c, s);
    if (s->engine->id == DBI_POSTGRESQL) {
        /* SIGTERM is a smart shutdown that waits for every client; stop fast instead. */
        static const char *const stop[] = {
            "sh", "-c", "pg_ctl stop -D \"$PGDATA\" -m fast -w -t 50 || true", NULL};

        ctrl_b_strs(b, ctrl_b_obj(b, ctrl_b_obj(b, ctrl_b_obj(b, c, "lifecycle"), "preStop"), "exec"),
                    "command", stop);
    }
    resources(b, c, s->resources);
    container_security(b, c, s);
}


static void
pod_spec(ctrl_bld *b, cJSON *spec, const dbi_spec *s)
{
    cJSON *sc, *vol;
    char   config[DBI_NAME_MAX];

    /* A database needs no API access, and service links would put every Service of the
     * namespace into its environment (MYSQL_PORT …). */
    ctrl_b_bool(b, spec, "automountServiceAccountToken", 0);
    ctrl_b_bool(b, spec, "enableServiceLinks", 0);
    ctrl_b_int(b, spec, "terminationGracePeriodSeconds", 60);
    sc = ctrl_b_obj(b, spec, "securityContext");
    ctrl_b_int(b, sc, "fsGroup", dbi_fs_group(s));
    ctrl_b_str(b, sc, "fsGroupChangePolicy", "OnRootMismatch");
    container(b, ctrl_b_arr(b, spec, "containers"), s);
    if (s->engine->id == DBI_POSTGRESQL)
        return;
    if (child_name(s, "-config", config)) {
        b->failed = 1;
        return;
    }
    vol = ctrl_b_obj(b, ctrl_b_arr(b, spec, "volumes"), NULL);
    ctrl_b_str(b, vol, "name", "config");
    ctrl_b_str(b, ctrl_b_obj(b, vol, "configMap"), "name", config);
}


static void
claim_template(ctrl_bld *b, cJSON *spec, const dbi_spec *s)
{
    static const char *const rwo[] = {"ReadWriteOnce", NULL};
    cJSON                   *t = ctrl_b_obj(b, ctrl_b_arr(b, spec, "volumeClaimTemplates"), NULL);
    cJSON                   *meta = ctrl_b_obj(b, t, "metadata");
    cJSON                   *cs = ctrl_b_obj(b, t, "spec");
    cJSON                   *held;
    kjson_quantity           size;
    int                      rc;

    ctrl_b_str(b, meta, "name", "data");
    ctrl_b_put(b, meta, "labels", dbi_labels(s));
    /* What the claim holds (dbi_adopt.h), from the moment the StatefulSet makes it: the
     * controller then has no annotation to patch onto it. Without a uid (a spec not read
     * from an object: CORE_EINVAL) there is nothing to say. */
    held = cJSON_CreateObject();
    rc = held ? dbi_held_put(s, held) : CORE_ENOMEM;
    if (rc == CORE_OK) {
        ctrl_b_put(b, meta, "annotations", held);
    } else {
        cJSON_Delete(held);
        if (rc != CORE_EINVAL)
            b->failed = 1;
    }
    ctrl_b_strs(b, cs, "accessModes", rwo);
    if (s->storage_class)
        ctrl_b_str(b, cs, "storageClassName", s->storage_class);
    if (kjson_quantity_parse(s->storage_size, &size) != CORE_OK)
        b->failed = 1;
    else
        put_quantity(b, ctrl_b_obj(b, ctrl_b_obj(b, cs, "resources"), "requests"), "storage", &size);
    if (s->restore_snapshot) {
        cJSON *ds = ctrl_b_obj(b, cs, "dataSource");

        ctrl_b_str(b, ds, "apiGroup", "snapshot.storage.k8s.io");
        ctrl_b_str(b, ds, "kind", "VolumeSnapshot");
        ctrl_b_str(b, ds, "name", s->restore_snapshot);
    }
}


cJSON *
dbi_build_statefulset(const dbi_spec *s, const cJSON *owner, const char *config_checksum)
{
    ctrl_bld b = {0};
    cJSON   *o = new_child(&b, s, owner, "apps/v1", "StatefulSet", NULL);
    cJSON   *spec = ctrl_b_obj(&b, o, "spec"), *policy, *tmpl, *meta;
    char     headless[DBI_NAME_MAX];

    if (child_name(s, "-headless", headless) || (config_checksum && !config_checksum[0]))
        b.failed = 1;
    ctrl_b_str(&b, spec, "serviceName", headless);
    /* Zero keeps the claim and the Secret: spec.stopped false brings the same data back. */
    ctrl_b_int(&b, spec, "replicas", s->stopped ? 0 : 1);
    ctrl_b_put(&b, ctrl_b_obj(&b, spec, "selector"), "matchLabels", dbi_labels(s));
    /* The controller deletes claims itself, as deletionPolicy says. */
    policy = ctrl_b_obj(&b, spec, "persistentVolumeClaimRetentionPolicy");
    ctrl_b_str(&b, policy, "whenDeleted", "Retain");
    ctrl_b_str(&b, policy, "whenScaled", "Retain");
    tmpl = ctrl_b_obj(&b, spec, "template");
    meta = ctrl_b_obj(&b, tmpl, "metadata");
    ctrl_b_put(&b, meta, "labels", dbi_labels(s));
    if (config_checksum)
        ctrl_b_str(&b, ctrl_b_obj(&b, meta, "annotations"), DBI_CONFIG_HASH, config_checksum);
    pod_spec(&b, ctrl_b_obj(&b, tmpl, "spec"), s);
    dbi_tls_pod(&b, meta, cJSON_GetObjectItemCaseSensitive(tmpl, "spec"), s);
    dbi_pass_pod(&b, meta, cJSON_GetObjectItemCaseSensitive(tmpl, "spec"), s);
    claim_template(&b, spec, s);
    return ctrl_b_done(&b, o);
}
