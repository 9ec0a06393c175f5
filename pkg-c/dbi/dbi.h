/*
 * dbi: the DBInstance API (dbaas.dev/v1alpha1) and pure builders of its children.
 *
 * Nothing here does I/O: every function is a function of the DBInstance (and, where named,
 * existing state) and is unit-tested without a server. The controller (dbi_controller.c)
 * reads caches, calls these, and writes only what differs.
 *
 * Ownership: dbi_spec_parse fills a dbi_spec whose strings point into the cJSON it was given
 * (valid while that lives); every builder returns a new cJSON tree the caller frees.
 */
#ifndef DBAAS_DBI_H
#define DBAAS_DBI_H

#include <cjson/cJSON.h>
#include <stddef.h>

#define DBI_GROUP        "dbaas.dev"
#define DBI_VERSION      "v1alpha1"
#define DBI_API_VERSION  "dbaas.dev/v1alpha1"
#define DBI_KIND         "DBInstance"
#define DBI_FINALIZER    "dbaas.dev/finalizer"
#define DBI_MANAGED_BY   "dbaas-operator"
/* Pod template annotation holding a checksum of the rendered configuration. */
#define DBI_CONFIG_HASH  "dbaas.dev/config-checksum"
/* Longest DBInstance name whose derived child names all stay valid (pods, PVCs, labels). */
#define DBI_MAX_NAME     45
/* Generated passwords: at least this long, drawn uniformly from this alphabet. It holds
 * characters a URI must percent-encode on purpose, and none that trips the images'
 * entrypoints or shell quoting (no quotes, backslash, $, `, space, &, ;). */
#define DBI_PASSWORD_MIN 24
#define DBI_PASSWORD_ALPHABET \
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~!*@#%^+=:/?"

typedef enum {
    DBI_POSTGRESQL,
    DBI_MYSQL,
    DBI_MARIADB
} dbi_engine_id;

typedef struct {
    dbi_engine_id id;
    const char   *name;     /* "postgresql" */
    const char   *image;    /* "postgres" */
    int           port;     /* 5432 */
    const char   *scheme;   /* "postgresql" | "mysql" (for the uri) */
    const char   *jdbc;     /* "jdbc:postgresql" | "jdbc:mysql" | "jdbc:mariadb" */
    const char   *data_dir; /* where the volume is mounted */
} dbi_engine;

typedef struct {
    const char *name;
    const char *namespace;
    const char       *uid; /* NULL when absent (then the builders cannot own children) */
    const dbi_engine *engine;
    const char       *version; /* e.g. "16", "16.4", "8.4", "11.4" */
    const char       *image;   /* full override or NULL */
    const char       *database;
    const char       *username;           /* default "app" */
    const char       *credentials_secret; /* credentialsSecretRef.name or NULL */
    const char       *storage_size;       /* e.g. "2Gi" */
    const char       *storage_class;      /* NULL: the cluster default */
    const cJSON      *resources;          /* spec.resources or NULL */
    const cJSON      *parameters;         /* spec.parameters (object of strings) or NULL */
    const char       *service_type;       /* ClusterIP | NodePort | LoadBalancer */
    const char       *restore_snapshot;   /* NULL unless restoring */
    const char       *deletion_policy;    /* Delete | Retain | Snapshot */
    /* Passed through to the children (dbi_pass.h): */
    const cJSON      *labels;       /* metadata.labels or NULL */
    const cJSON      *annotations;  /* metadata.annotations or NULL */
    const cJSON      *pod_template; /* spec.podTemplate or NULL */
    int               stopped;      /* spec.stopped: the StatefulSet at zero replicas */
    /* TLS (dbi_tls.h). tls is spec.tls.enabled as parsed (-1 unset); the controller resolves
     * it (dbi_tls_decide) and sets tls_ca and tls_checksum before building. */
    int               tls;          /* 1 on, 0 off, DBI_TLS_UNSET (-1): the builders say off */
    const char       *tls_mode;     /* spec.tls.mode: "verify-full" (default) | "require" */
    const char       *tls_secret;   /* spec.tls.secretName (a user's certificate) or NULL */
    const char       *tls_ca;       /* the CA (PEM) for the connection Secret's ca.crt */
    const char       *tls_checksum; /* of the serving certificate, on the pod template */
    /* spec.securityContext (dbi_podsec.h); 0: the images' 999 */
    int               run_as_user, run_as_group, fs_group;
    /* spec.networkPolicy (dbi_netpol.h) */
    int               netpol;      /* enabled */
    const cJSON      *netpol_from; /* allowFrom, NULL: the instance's namespace */
} dbi_spec;

/* The engine named s, or NULL. */
const dbi_engine *dbi_engine_find(const char *s);

/*
 * Reads and checks a DBInstance. On a problem returns CORE_EINVAL with a one-line message
 * naming the field ("spec.version: \"99\" is not a supported postgresql version (13-18)");
 * *out is then incomplete and must not be used. Fills in the defaults: username "app",
 * storage size "1Gi", service type ClusterIP, deletionPolicy Delete; "" counts as unset
 * (image, storageClassName, credentialsSecretRef.name, restoreFrom.snapshot are then NULL).
 * Checked beyond the schema: metadata.name (a DNS-1035 label of at most DBI_MAX_NAME), the
 * engine, a supported version (dbi_version.h: postgresql 13-18 as "16" or "16.4"; mysql 8.0,
 * 8.4, 9.x and mariadb 10.6, 10.11, 11.4, 11.8 as "8.4" or "8.4.3"; a malformed one such as
 * "16.04" gets a message saying the form), an image override whose tag names another engine
 * or major version (dbi_version_image), database and username identifiers
 * (^[A-Za-z_][A-Za-z0-9_]{0,62}$, mysql users at most 32; not the superuser, not a system
 * database), quantities in storage.size and resources, parameters (names of letters,
 * digits, '_', '.', '-', not one the operator sets such as port or datadir; one-line string
 * values), service type and deletionPolicy enums, and what dbi_pass_parse (spec.stopped,
 * spec.podTemplate), dbi_tls_parse (spec.tls), dbi_podsec_parse (spec.securityContext) and
 * dbi_netpol_parse (spec.networkPolicy) check.
 */
int dbi_spec_parse(const cJSON *obj, dbi_spec *out, char *err, size_t errlen);

/*
 * The major version of a version string ("16.4" -> "16", "8.4.2" -> "8.4", "11.4.2" -> "11.4"):
 * PostgreSQL's first number, MySQL's and MariaDB's first two (engine_major). CORE_EINVAL when
 * version is not of that form (support is dbi_spec_parse's business), CORE_ETOOBIG when buf is
 * too small.
 */
int dbi_major(const dbi_engine *e, const char *version, char *buf, size_t len);

/* The image for the spec: the override, else "<engine image>:<version>". CORE_ETOOBIG. */
int dbi_image(const dbi_spec *s, char *buf, size_t len);

/* Child names: "<name>-credentials", "<name>-config", "<name>", "<name>-headless".
 * suffix may be NULL. CORE_ETOOBIG when buf is too small. */
int dbi_child_name(const dbi_spec *s, const char *suffix, char *buf, size_t len);

/* Standard labels: app.kubernetes.io/name=<engine>, instance=<name>, managed-by.
 * A new object the caller frees; NULL when out of memory. */
cJSON *dbi_labels(const dbi_spec *s);

/*
 * A password from OpenSSL's CSPRNG: n characters (n >= DBI_PASSWORD_MIN) drawn uniformly
 * (rejection sampling, no modulo bias) from DBI_PASSWORD_ALPHABET, NUL-terminated in buf
 * (len > n). CORE_EINVAL (n too small), CORE_ETOOBIG (len), CORE_EINTERNAL (the CSPRNG failed).
 */
int dbi_password(char *buf, size_t len, size_t n);

/*
 * Passwords taken from a Secret (ours after a hand edit, or the one credentialsSecretRef
 * names) hold at most DBI_PASSWORD_MAX bytes: 1024 fits every engine we run, and a uri
 * percent-encodes it to at most three times that.
 */
#define DBI_PASSWORD_MAX 1024

/*
 * Whether the n bytes at p can be the password under key ("password",
 * "superuser-password"); CORE_EINVAL with a one-line reason in err that names the key and
 * the length or byte, never the value:
 *   empty; longer than DBI_PASSWORD_MAX ("password is 1500 bytes; at most 1024");
 *   ending in a newline: the trap of `kubectl create secret --from-file`, which keeps the
 *   newline editors and echo put at the end of a file, so the database would get one
 *   password and a person typing it another;
 *   any other ASCII control character (0x00-0x1f, 0x7f), because the images receive the
 *   password in an environment variable (POSTGRES_PASSWORD, MYSQL_PASSWORD, ...), which
 *   cannot hold NUL; the postgres image hands it to initdb in a password file read up to
 *   the first line end, so CR or LF inside would cut it silently; and the rest (tab,
 *   escape, ...) are invisible, never typed on purpose, and read differently by clients
 *   that take a password from a line of a file (.pgpass, my.cnf).
 * Bytes 0x80-0xff (UTF-8) and every printable ASCII character are accepted: the uri
 * percent-encodes them and the probes pass the variable quoted.
 */
int dbi_password_check(const char *key, const unsigned char *p, size_t n, char *err, size_t errlen);

/*
 * Whether uri (as dbi_build_secret writes it: "<scheme>://<user>:<password>@...", user and
 * password percent-encoded) was built with password. 0 when it was not, or when uri is not
 * of that form: a password edited by hand in the Secret no longer matches its uri.
 */
int dbi_uri_has_password(const char *uri, const char *password);

/*
 * Every builder below returns a complete object for server-side apply (apiVersion, kind,
 * metadata.name and namespace, the standard labels, a controller ownerReference to owner,
 * which needs metadata.name and metadata.uid), deterministic (same input, byte-identical
 * output, no timestamps), or NULL when out of memory or owner has no name or uid.
 */

/*
 * The credentials Secret (type Opaque, values base64 in data, never stringData): username,
 * password, superuser-password, host, port, database, uri, jdbc-url; host is
 * "<name>.<namespace>.svc.cluster.local"; uri is "<scheme>://<user>:<password>@host:port/
 * <database>" with user and password percent-encoded; jdbc-url holds no credentials.
 * superuser-password is the root password of mysql and mariadb; the postgres image makes the
 * application user its superuser, so for postgresql it is kept but unused.
 */
cJSON *dbi_build_secret(const dbi_spec *s, const cJSON *owner, const char *password,
                        const char *superuser_password);

/*
 * The config ConfigMap from spec.parameters (sorted by name), and the checksum of its data
 * (the first 16 hex digits of its SHA-256) in checksum, which needs len >= 17 (NULL: none);
 * when NULL is returned, checksum is "" (and dbi_build_statefulset refuses it).
 * mysql and mariadb: key "dbaas.cnf", a [mysqld] section mounted into /etc/mysql/conf.d.
 * postgresql: key "dbaas.conf" in postgresql.conf syntax, for reading only: the image has
 * no conf.d, so the StatefulSet passes the same parameters as "-c name=value" arguments.
 */
cJSON *dbi_build_configmap(const dbi_spec *s, const cJSON *owner, char *checksum, size_t len);

/* The API server's limit on a ConfigMap's data (keys and values), which dbi_spec_parse
 * checks the rendered configuration against. */
#define DBI_CONFIGMAP_MAX (1024 * 1024)

/* The length in bytes of the configuration dbi_build_configmap renders from s, or 0 out of
 * memory. Pure; any size the API server could have stored is measured. */
size_t dbi_config_len(const dbi_spec *s);

/* The client Service and the headless governing Service. */
cJSON *dbi_build_service(const dbi_spec *s, const cJSON *owner);
cJSON *dbi_build_headless_service(const dbi_spec *s, const cJSON *owner);

/*
 * The StatefulSet: one replica (none when spec.stopped), the image, env from the credentials Secret, PGDATA in a
 * subdirectory, probes, resources, security context, the config mounted, the checksum on
 * the pod template, volumeClaimTemplate "data" (with a dataSource when restoring).
 * Quantities (resources, storage) are written in the API server's canonical form, so that
 * what is applied compares equal to what is read back. The security context assumes the
 * images' uid 999 unless spec.securityContext says otherwise (dbi_podsec.h); with TLS on,
 * the certificate, its checksum and the engine's TLS settings (dbi_tls.h).
 * config_checksum NULL leaves the annotation out, "" (from a failed dbi_build_configmap)
 * gives NULL.
 */
cJSON *dbi_build_statefulset(const dbi_spec *s, const cJSON *owner, const char *config_checksum);

#endif
