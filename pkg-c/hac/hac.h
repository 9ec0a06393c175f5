/*
 * hac: the HACluster API (dbaas.dev/v1alpha1) and pure builders of what it writes.
 *
 * A HACluster is PostgreSQL with a primary, streaming replicas and automatic failover, run
 * by Patroni under the Zalando postgres-operator (v1.15.1, hack/versions.env). This module
 * renders the one Zalando `postgresql` object (acid.zalan.do/v1) a HACluster stands for and
 * our connection Secret `<name>-credentials`; Zalando makes the StatefulSet, Services, PDB
 * and its own user Secrets from the postgresql object, and we never write those.
 *
 * Facts from Zalando v1.15.1's sources, on which the rules below rest:
 * - its CRD (manifests/postgresql.crd.yaml) accepts postgresql.version "13" to "17" only;
 * - a cluster name need not start with the teamId unless the operator's
 *   enable_team_id_clustername_prefix is on (default off); HAC_TEAM_ID is fixed;
 * - it names the user Secret by secret_name_template
 *   "{username}.{cluster}.credentials.{tprkind}.{tprgroup}" with '_' in the user as '-'
 *   (keys username and password only), the master Service <name> (no selector: Patroni
 *   writes its Endpoints), the replica Service <name>-repl, the pooler Services
 *   <name>-pooler and <name>-pooler-repl; so a name is DNS-1035 and at most HAC_MAX_NAME;
 * - user names match its userRegexp (lowercase); postgres, standby and pooler are its own
 *   system users.
 *
 * Nothing here does I/O. Ownership: hac_spec_parse fills a hac_spec whose strings point
 * into the cJSON it was given (valid while that lives); every builder returns a new cJSON
 * tree the caller frees, or NULL (out of memory, an owner without name or uid).
 */
#ifndef DBAAS_HAC_H
#define DBAAS_HAC_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "kres/kres.h"

#define HAC_API_VERSION "dbaas.dev/v1alpha1"
#define HAC_KIND        "HACluster"
#define HAC_FINALIZER   "dbaas.dev/finalizer"
#define HAC_APP         "hacluster" /* app.kubernetes.io/name on what we write */
/* The teamId of every postgresql object we render (Zalando requires one). */
#define HAC_TEAM_ID     "dbaas"
/* `<name>-pooler-repl` must stay a DNS-1035 label of at most 63 characters. */
#define HAC_MAX_NAME    51
#define HAC_PORT        5432
/* What Zalando v1.15.1's CRD accepts; a version past its end of life (the engines' table,
 * engine/engine.h) is accepted with a warning (hac_status_eval). */
#define HAC_MIN_VERSION 13
#define HAC_MAX_VERSION 17
#define HAC_PG_API      "acid.zalan.do/v1"
/* The Zalando postgresql object's annotations after a major upgrade (majorversionupgrade.go). */
#define HAC_UPGRADE_OK  "last-major-upgrade-success"
#define HAC_UPGRADE_BAD "last-major-upgrade-failure"
/* On our Secret: what a HACluster of the same name must match to take a retained cluster
 * over (version, database, user; see docs/design.md, "HACluster: Retain"). */
#define HAC_HELD_ANN    "dbaas.dev/hacluster-held"

/* acid.zalan.do/v1 postgresqls, whose CRD may be missing (the Zalando operator not installed). */
extern const kres HAC_KRES_POSTGRESQLS;

typedef struct {
    const char *name;
    const char *namespace;
    const char  *uid;
    const char  *version; /* "13".."17" */
    int          major;   /* the same as a number */
    int          replicas;
    const char  *database;
    const char  *username;
    const char  *storage_size;
    const char  *storage_class; /* NULL: the cluster default */
    const cJSON *resources;     /* spec.resources or NULL */
    const cJSON *parameters;    /* spec.parameters or NULL */
    int          sync_enabled, sync_strict;
    int          pooler_enabled, pooler_replicas;
    const char  *pooler_mode;           /* "transaction" | "session" */
    int          read_replicas_service; /* publish the read-only endpoint */
    const char  *deletion_policy;       /* "Delete" | "Retain" */
    const char  *running;               /* status.currentVersion, NULL when not yet known:
                                         * what the data holds, for HAC_HELD_ANN */
} hac_spec;

/*
 * Reads and checks a HACluster; CORE_EINVAL with a one-line message naming the field
 * (*out is then incomplete). Defaults as the CRD's: replicas 3, username app, storage 1Gi,
 * pooler 2 replicas in transaction mode, readReplicasService true, deletionPolicy Delete.
 * Checked beyond the schema: the name (DNS-1035, at most HAC_MAX_NAME), the version
 * (HAC_MIN_VERSION..HAC_MAX_VERSION, major only), replicas 1-9, database
 * (^[A-Za-z_][A-Za-z0-9_]*$, at most 63, not template0/1 or postgres), username
 * (^[a-z]([a-z0-9_]*[a-z0-9])?$, at most 63, not a Zalando system user, not pg_*),
 * quantities, resources naming cpu and memory only (what Zalando's CRD takes), parameters
 * (one-line strings, not one Patroni or Spilo owns: hac_owned_parameter), enums.
 */
int hac_spec_parse(const cJSON *obj, hac_spec *out, char *err, size_t errlen);

/* 1 when name is a postgresql.conf parameter Patroni or Spilo sets itself (Patroni docs,
 * "PostgreSQL parameters controlled by Patroni"; Spilo's configure_spilo.py), so a value
 * given would be overwritten or cut replication; else 0. */
int hac_owned_parameter(const char *name);

/* "<name><suffix>" (suffix may be NULL). CORE_ETOOBIG when buf is too small. */
int hac_child_name(const hac_spec *s, const char *suffix, char *buf, size_t len);

/* Zalando's Secret for the application user: "<user, '_' as '-'>.<name>.credentials.
 * postgresql.acid.zalan.do". CORE_ETOOBIG. */
int hac_zalando_secret_name(const hac_spec *s, char *buf, size_t len);

/*
 * The postgresql object: teamId HAC_TEAM_ID, numberOfInstances, postgresql {version,
 * parameters}, volume {size, storageClass}, resources (cpu and memory as strings, as its
 * CRD wants), users {<user>: []}, databases {<database>: <user>}, patroni
 * {synchronous_mode, synchronous_mode_strict} when synchronousReplication is enabled,
 * enableConnectionPooler, enableReplicaConnectionPooler and connectionPooler
 * {numberOfInstances, mode} when the pooler is. Our labels and a controller
 * ownerReference to owner, HAC_HELD_ANN. Fields left at their zero value are not written.
 */
cJSON *hac_build_postgresql(const hac_spec *s, const cJSON *owner);

/* Which pooler Services exist, so their endpoints go into the Secret. */
typedef struct {
    int pooler;      /* <name>-pooler */
    int pooler_repl; /* <name>-pooler-repl */
} hac_poolers;

/*
 * The connection Secret <name>-credentials (Opaque, base64 data): username, password,
 * host (<name>.<ns>.svc.cluster.local, the master Service), port, database, uri, jdbc-url,
 * and with readReplicasService read-host (<name>-repl...) and read-uri; pooler-host and
 * pooler-uri, pooler-read-host and pooler-read-uri for the pooler Services in p. uris are
 * postgresql://<user>:<password>@host:port/<database>, user, password and database
 * percent-encoded (core_pct_encode), followed by HAC_SSLMODE for the Spilo Services (uri,
 * read-uri, jdbc-url, which pgjdbc reads the same way: Spilo rejects connections without
 * TLS by default, Zalando docs/user.md; the pooler uris have none, PgBouncer gets no
 * certificate from us); jdbc-url holds no credentials. The annotation
 * HAC_HELD_ANN records version, database and user for a later takeover (Retain).
 */
#define HAC_SSLMODE "?sslmode=require"

cJSON *hac_build_secret(const hac_spec *s, const cJSON *owner, const char *password,
                        const hac_poolers *p);

/* The value HAC_HELD_ANN has for s ("16/payments/app"), in buf: the version is the running
 * one (s->running) when known, else spec.version, so that a cluster whose major upgrade was
 * skipped or failed is retained as the version its data holds. CORE_ETOOBIG. */
int hac_held(const hac_spec *s, char *buf, size_t len);

#endif
