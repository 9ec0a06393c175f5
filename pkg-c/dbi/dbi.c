/*
 * dbi: engines, versions, the spec parse, names, labels, passwords and URI escaping.
 * The children themselves are built in dbi_build.c.
 */
#include "dbi.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "core/core.h"
#include "ctrl/ctrl_build.h"
#include "ctrl/ctrl_spec.h"
#include "dbi/dbi_pass.h"
#include "dbi/dbi_netpol.h"
#include "dbi/dbi_podsec.h"
#include "dbi/dbi_tls.h"
#include "dbi/dbi_version.h"
#include "engine/engine.h"
#include "kjson/kjson.h"

#define DBI_DEFAULT_USER    "app"
#define DBI_DEFAULT_STORAGE "1Gi"
#define DBI_MAX_IDENT       63 /* PostgreSQL's NAMEDATALEN - 1; MySQL allows 64 */
#define DBI_MAX_MYSQL_USER  32
#define DBI_MAX_PARAM_NAME  128
#define DBI_MAX_PARAM_VALUE 4096

static const dbi_engine engines[] = {
    {DBI_POSTGRESQL, "postgresql", "postgres", 5432, "postgresql", "jdbc:postgresql",
     "/var/lib/postgresql/data"},
    {DBI_MYSQL, "mysql", "mysql", 3306, "mysql", "jdbc:mysql", "/var/lib/mysql"},
    {DBI_MARIADB, "mariadb", "mariadb", 3306, "mysql", "jdbc:mariadb", "/var/lib/mysql"},
};

/* Parameters the operator sets itself, or that would cut it off (probes, Service, volume). */
static const char *const managed_parameters[][9] = {
    {"port", "listen_addresses", "data_directory", "config_file", "hba_file", "ident_file",
     "unix_socket_directories", NULL},
    {"port", "datadir", "socket", "bind_address", "user", "skip_networking", "pid_file", NULL},
    {"port", "datadir", "socket", "bind_address", "user", "skip_networking", "pid_file", NULL},
};

/* Databases the engine creates itself: granting the app user all of one would hand it the server. */
static const char *const system_databases[][5] = {
    {"template0", "template1", NULL},
    {"mysql", "information_schema", "performance_schema", "sys", NULL},
    {"mysql", "information_schema", "performance_schema", "sys", NULL},
};


const dbi_engine *
dbi_engine_find(const char *s)
{
    size_t i;

    for (i = 0; s && i < sizeof engines / sizeof engines[0]; i++)
        if (strcmp(engines[i].name, s) == 0)
            return &engines[i];
    return NULL;
}


int
dbi_major(const dbi_engine *e, const char *version, char *buf, size_t len)
{
    return engine_major(e ? e->name : NULL, version, buf, len);
}


/* ^[A-Za-z_][A-Za-z0-9_]*$ (the length is checked apart): safe unquoted in SQL, in env and
 * in a URI path. */
static int
is_identifier(const char *s)
{
    size_t i;

    for (i = 0; s[i]; i++) {
        char c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9')))
            return 0;
    }
    return i >= 1;
}


/* A configuration option name: letters, digits, '_', '.', '-'; no spaces, no '='. */
static int
is_param_name(const char *s)
{
    size_t i;

    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_'))
        return 0;
    for (i = 1; s[i]; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '.' || s[i] == '-'))
            return 0;
    return i <= DBI_MAX_PARAM_NAME;
}


static int
parse_metadata(const cJSON *obj, dbi_spec *out, char *err, size_t errlen)
{
    return ctrl_spec_metadata(obj, DBI_MAX_NAME, "the names derived from it",
                              "the Service named after it needs", &out->name, &out->namespace,
                              &out->uid, err, errlen);
}


/* A version of the engine's form (dbi_version.h) in a series the operator runs. */
static int
check_version(const dbi_engine *e, const char *version, char *err, size_t errlen)
{
    char show[80];

    switch (engine_version_support(e->name, version, NULL, NULL)) {
    case ENGINE_MALFORMED:
        return core_errf(err, errlen, CORE_EINVAL, "spec.version: \"%s\" is not a %s version: use %s",
                         ctrl_spec_shown(version, show, sizeof show), e->name, dbi_version_form(e));
    case ENGINE_UNKNOWN:
        return core_errf(err, errlen, CORE_EINVAL,
                         "spec.version: \"%s\" is not a supported %s version (%s)",
                         ctrl_spec_shown(version, show, sizeof show), e->name, dbi_version_list(e));
    default: return CORE_OK;
    }
}


static int
parse_engine(const cJSON *spec, dbi_spec *out, char *err, size_t errlen)
{
    const char *engine, *version;
    char        show[80];
    int         rc;

    if ((rc = ctrl_spec_str(spec, "spec", "engine", &engine, err, errlen)))
        return rc;
    if (!engine)
        return core_errf(err, errlen, CORE_EINVAL,
                         "spec.engine: required (postgresql, mysql or mariadb)");
    out->engine = dbi_engine_find(engine);
    if (!out->engine)
        return core_errf(err, errlen, CORE_EINVAL,
                         "spec.engine: \"%s\" is not supported (postgresql, mysql or mariadb)",
                         ctrl_spec_shown(engine, show, sizeof show));
    if ((rc = ctrl_spec_str(spec, "spec", "version", &version, err, errlen)))
        return rc;
    if (!version)
        return core_errf(err, errlen, CORE_EINVAL, "spec.version: required (a %s version: %s)",
                         out->engine->name, dbi_version_list(out->engine));
    if ((rc = check_version(out->engine, version, err, errlen)))
        return rc;
    out->version = version;
    if ((rc = ctrl_spec_str(spec, "spec", "image", &out->image, err, errlen)))
        return rc;
    if (dbi_version_image(out->engine, version, out->image, err, errlen) == DBI_IMAGE_MISMATCH)
        return CORE_EINVAL;
    if (err && errlen)
        err[0] = '\0'; /* an unchecked image is said in status, not here */
    return CORE_OK;
}


/* An identifier for field, or a message saying what is wrong with it. */
static int
check_identifier(const char *field, const char *v, size_t max, const char *whose, char *err,
                 size_t errlen)
{
    char show[80];

    if (!is_identifier(v))
        return core_errf(err, errlen, CORE_EINVAL,
                         "%s: \"%s\" must start with a letter or '_' and hold only letters, digits and '_'",
                         field, ctrl_spec_shown(v, show, sizeof show));
    if (strlen(v) > max)
        return core_errf(err, errlen, CORE_EINVAL, "%s: \"%s\" is longer than %zu characters%s",
                         field, ctrl_spec_shown(v, show, sizeof show), max, whose);
    return CORE_OK;
}


static int
parse_names(const cJSON *spec, dbi_spec *out, char *err, size_t errlen)
{
    const dbi_engine *e = out->engine;
    size_t            i;
    int               rc;

    if ((rc = ctrl_spec_str(spec, "spec", "database", &out->database, err, errlen)))
        return rc;
    if (!out->database)
        return core_errf(err, errlen, CORE_EINVAL, "spec.database: required");
    if ((rc = check_identifier("spec.database", out->database, DBI_MAX_IDENT, "", err, errlen)))
        return rc;
    for (i = 0; system_databases[e->id][i]; i++)
        if (strcasecmp(out->database, system_databases[e->id][i]) == 0)
            return core_errf(err, errlen, CORE_EINVAL,
                             "spec.database: \"%s\" is a system database of %s; choose another name",
                             out->database, e->name);
    if ((rc = ctrl_spec_str(spec, "spec", "username", &out->username, err, errlen)))
        return rc;
    if (!out->username)
        out->username = DBI_DEFAULT_USER;
    if ((rc = e->id == DBI_MYSQL
                ? check_identifier("spec.username", out->username, DBI_MAX_MYSQL_USER,
                                   ", the mysql limit", err, errlen)
                : check_identifier("spec.username", out->username, DBI_MAX_IDENT, "", err, errlen)))
        return rc;
    /* The superuser accounts: the images refuse them as the application user, or would make it one. */
    if (e->id == DBI_POSTGRESQL ? strcmp(out->username, "postgres") == 0
                                : strcasecmp(out->username, "root") == 0)
        return core_errf(err, errlen, CORE_EINVAL,
                         "spec.username: \"%s\" is the %s superuser; choose another name for the "
                         "application user",
                         out->username, e->name);
    if (e->id == DBI_POSTGRESQL && strncmp(out->username, "pg_", 3) == 0)
        return core_errf(err, errlen, CORE_EINVAL,
                         "spec.username: \"%s\" starts with pg_, which postgresql reserves for its own "
                         "roles",
                         out->username);
    return CORE_OK;
}


static int
parse_storage(const cJSON *spec, dbi_spec *out, char *err, size_t errlen)
{
    const cJSON   *storage;
    kjson_quantity q;
    char           show[80];
    int            rc;

    if ((rc = ctrl_spec_obj(spec, "spec", "storage", &storage, err, errlen)) ||
        (rc = ctrl_spec_str(storage, "spec.storage", "size", &out->storage_size, err, errlen)) ||
        (rc = ctrl_spec_str(storage, "spec.storage", "storageClassName", &out->storage_class, err,
                            errlen)))
        return rc;
    if (!out->storage_size)
        out->storage_size = DBI_DEFAULT_STORAGE;
    if (kjson_quantity_parse(out->storage_size, &q) != CORE_OK)
        return core_errf(err, errlen, CORE_EINVAL,
                         "spec.storage.size: \"%s\" is not a quantity (like 2Gi)",
                         ctrl_spec_shown(out->storage_size, show, sizeof show));
    if (q.nano <= 0)
        return core_errf(err, errlen, CORE_EINVAL, "spec.storage.size: \"%s\" must be more than 0",
                         out->storage_size);
    if ((rc = ctrl_spec_obj(spec, "spec", "resources", &out->resources, err, errlen)) ||
        (rc = ctrl_spec_quantities(out->resources, "spec.resources", "requests", err, errlen)) ||
        (rc = ctrl_spec_quantities(out->resources, "spec.resources", "limits", err, errlen)))
        return rc;
    return CORE_OK;
}


static int
parse_refs(const cJSON *spec, dbi_spec *out, char *err, size_t errlen)
{
    const cJSON *ref;
    int          rc;

    if ((rc = ctrl_spec_obj(spec, "spec", "credentialsSecretRef", &ref, err, errlen)) ||
        (rc = ctrl_spec_str(ref, "spec.credentialsSecretRef", "name", &out->credentials_secret, err,
                            errlen)))
        return rc;
    if ((rc = ctrl_spec_obj(spec, "spec", "restoreFrom", &ref, err, errlen)) ||
        (rc = ctrl_spec_str(ref, "spec.restoreFrom", "snapshot", &out->restore_snapshot, err, errlen)))
        return rc;
    return CORE_OK;
}


/* Whether name is one of the engine's managed parameters; MySQL reads '-' in an option as '_'. */
static int
is_managed_parameter(const dbi_engine *e, const char *name)
{
    char   norm[DBI_MAX_PARAM_NAME + 1];
    size_t i;

    for (i = 0; name[i] && i < DBI_MAX_PARAM_NAME; i++)
        norm[i] = e->id != DBI_POSTGRESQL && name[i] == '-' ? '_' : name[i];
    norm[i] = '\0';
    if (e->id != DBI_POSTGRESQL && strncmp(norm, "loose_", 6) == 0)
        memmove(norm, norm + 6, strlen(norm + 6) + 1);
    for (i = 0; managed_parameters[e->id][i]; i++)
        if (strcasecmp(norm, managed_parameters[e->id][i]) == 0)
            return 1;
    return 0;
}


static int
parse_parameters(const cJSON *spec, dbi_spec *out, char *err, size_t errlen)
{
    const cJSON *it;
    char         show[80];
    int          rc;

    if ((rc = ctrl_spec_obj(spec, "spec", "parameters", &out->parameters, err, errlen)))
        return rc;
    cJSON_ArrayForEach(it, out->parameters) {
        if (!is_param_name(it->string))
            return core_errf(err, errlen, CORE_EINVAL,
                             "spec.parameters: \"%s\" is not a parameter name (letters, digits, '_', '.', '-')",
                             ctrl_spec_shown(it->string, show, sizeof show));
        if (is_managed_parameter(out->engine, it->string))
            return core_errf(err, errlen, CORE_EINVAL,
                             "spec.parameters.%s: set by the operator; it cannot be changed",
                             it->string);
        if ((rc = ctrl_spec_param_value(it, DBI_MAX_PARAM_VALUE, err, errlen)))
            return rc;
    }
    return CORE_OK;
}


/* The rendered configuration must fit its ConfigMap; the CRD's limits keep it well under,
 * but an object stored under older, looser limits is told exactly what is wrong. */
static int
check_config_size(const dbi_spec *s, char *err, size_t errlen)
{
    size_t n;

    if (!s->parameters || !s->parameters->child)
        return CORE_OK;
    if (!(n = dbi_config_len(s)))
        return CORE_ENOMEM;
    /* 16 bytes for the data key ("dbaas.conf"). */
    if (n + 16 > DBI_CONFIGMAP_MAX)
        return core_errf(err, errlen, CORE_EINVAL,
                         "spec.parameters: the configuration they render is %zu bytes, more than a "
                         "ConfigMap holds (%d bytes); shorten or remove parameters",
                         n, DBI_CONFIGMAP_MAX - 16);
    return CORE_OK;
}


static int
parse_choices(const cJSON *spec, dbi_spec *out, char *err, size_t errlen)
{
    static const char *const service_types[] = {"ClusterIP", "NodePort", "LoadBalancer", NULL};
    static const char *const policies[] = {"Delete", "Retain", "Snapshot", NULL};
    const cJSON             *service;
    int                      rc;

    if ((rc = ctrl_spec_obj(spec, "spec", "service", &service, err, errlen)) ||
        (rc = ctrl_spec_str(service, "spec.service", "type", &out->service_type, err, errlen)))
        return rc;
    if (!out->service_type)
        out->service_type = "ClusterIP";
    if ((rc = ctrl_spec_one_of("spec.service.type", out->service_type, service_types, err, errlen)))
        return rc;
    if ((rc = ctrl_spec_str(spec, "spec", "deletionPolicy", &out->deletion_policy, err, errlen)))
        return rc;
    if (!out->deletion_policy)
        out->deletion_policy = "Delete";
    return ctrl_spec_one_of("spec.deletionPolicy", out->deletion_policy, policies, err, errlen);
}


int
dbi_spec_parse(const cJSON *obj, dbi_spec *out, char *err, size_t errlen)
{
    const cJSON *spec;
    int          rc;

    memset(out, 0, sizeof *out);
    if (err && errlen)
        err[0] = '\0';
    if (!cJSON_IsObject(obj))
        return core_errf(err, errlen, CORE_EINVAL, "the DBInstance is not a JSON object");
    if ((rc = parse_metadata(obj, out, err, errlen)))
        return rc;
    spec = cJSON_GetObjectItemCaseSensitive(obj, "spec");
    if (!cJSON_IsObject(spec))
        return core_errf(err, errlen, CORE_EINVAL, "spec: required");
    if ((rc = parse_engine(spec, out, err, errlen)) || (rc = parse_names(spec, out, err, errlen)) ||
        (rc = parse_storage(spec, out, err, errlen)) || (rc = parse_refs(spec, out, err, errlen)) ||
        (rc = parse_parameters(spec, out, err, errlen)) ||
        (rc = parse_choices(spec, out, err, errlen)) ||
        (rc = dbi_pass_parse(obj, out, err, errlen)) || (rc = dbi_tls_parse(obj, out, err, errlen)) ||
        (rc = dbi_podsec_parse(obj, out, err, errlen)) ||
        (rc = dbi_netpol_parse(obj, out, err, errlen)) || (rc = check_config_size(out, err, errlen)))
        return rc;
    return CORE_OK;
}


int
dbi_image(const dbi_spec *s, char *buf, size_t len)
{
    int n;

    if (s->image)
        n = snprintf(buf, len, "%s", s->image);
    else
        n = snprintf(buf, len, "%s:%s", s->engine->image, s->version);
    return n < 0 || (size_t)n >= len ? CORE_ETOOBIG : CORE_OK;
}


int
dbi_child_name(const dbi_spec *s, const char *suffix, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s%s", s->name, suffix ? suffix : "");

    return n < 0 || (size_t)n >= len ? CORE_ETOOBIG : CORE_OK;
}


cJSON *
dbi_labels(const dbi_spec *s)
{
    return ctrl_labels(s->engine->name, s->name);
}


int
dbi_password(char *buf, size_t len, size_t n)
{
    static const char alphabet[] = DBI_PASSWORD_ALPHABET;
    const size_t      size = sizeof alphabet - 1;
    /* Bytes at or above the largest multiple of size would favour the first characters. */
    const unsigned    limit = 256 - 256 % size;
    unsigned char     rnd[64];
    size_t            have = 0, i = sizeof rnd;
    int               rc = CORE_OK;

    if (!buf || n < DBI_PASSWORD_MIN)
        return CORE_EINVAL;
    if (len <= n)
        return CORE_ETOOBIG;
    while (have < n) {
        if (i == sizeof rnd) {
            if (RAND_bytes(rnd, sizeof rnd) != 1) {
                rc = CORE_EINTERNAL;
                goto out;
            }
            i = 0;
        }
        if (rnd[i] < limit)
            buf[have++] = alphabet[rnd[i] % size];
        i++;
    }
    buf[n] = '\0';
out:
    OPENSSL_cleanse(rnd, sizeof rnd);
    if (rc)
        OPENSSL_cleanse(buf, len);
    return rc;
}
