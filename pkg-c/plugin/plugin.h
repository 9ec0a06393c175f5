/*
 * plugin: the pure parts of `kubectl dbaas` (cmd/kubectl-dbaas), testable without a server.
 *
 * Every function here is a function of its arguments: objects as the API server sent them
 * (cJSON, never modified), the current time as Unix seconds, flags. They write text into a
 * caller's core_buf (core_buf rules: on CORE_ENOMEM or CORE_ETOOBIG the buffer is freed) or
 * return new cJSON trees the caller frees. Nothing prints, reads files, or talks to a server;
 * cmd/kubectl-dbaas does that and hands the objects in. Passwords handed in or decoded here
 * are wiped (OPENSSL_cleanse) from every scratch buffer this module frees; text the caller
 * asked to hold a password (show_password, plugin_connect's env) is the caller's to wipe.
 *
 * Sources of the rules followed:
 * - plugin_age is kubectl's AGE column: k8s.io/apimachinery/pkg/util/duration.HumanDuration.
 * - plugin_table lays columns out as kubectl's printers do (text/tabwriter with minwidth 6,
 *   padding 3, blanks; k8s.io/cli-runtime/pkg/printers.GetNewTabWriter), with NAMESPACE first
 *   for -A, and "<none>" for an empty cell, as `kubectl get` prints a missing column value.
 * - plugin_json is `kubectl get -o json`'s layout (4-space indent); plugin_yaml is
 *   `-o yaml`'s (sigs.k8s.io/yaml: keys sorted, block style, sequences not indented under
 *   their key, strings quoted only where YAML would read them as something else).
 * - The Secret keys are those of docs/design.md ("Credentials"; HACluster: read-, pooler-).
 * - Clients read passwords from the environment, never argv: PGPASSWORD (libpq, "Environment
 *   Variables") and MYSQL_PWD (MariaDB client, "mariadb Options"; MySQL 8.4 still reads it).
 */
#ifndef DBAAS_PLUGIN_H
#define DBAAS_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/core.h"

#define PLUGIN_MASK        "********"
#define PLUGIN_CELL_MAX    256
#define PLUGIN_CMD_MAX     16
#define PLUGIN_OUT_MAX     (16u * 1024 * 1024)
#define PLUGIN_NO_VALUE    "<none>"
#define PLUGIN_FORWARD_ENV "KUBECTL_DBAAS_PORT_FORWARD"

/* The condition of that type in obj's status.conditions, or NULL. */
const cJSON *plugin_cond(const cJSON *obj, const char *type);

/* ---- list ------------------------------------------------------------------------------ */

/* kubectl's age of a duration in seconds ("5m3s", "2d3h", "<invalid>" below -1 s). */
void plugin_age(int64_t seconds, char *buf, size_t len);

typedef enum {
    PLUGIN_COL_NAMESPACE,
    PLUGIN_COL_KIND,
    PLUGIN_COL_NAME,
    PLUGIN_COL_ENGINE,
    PLUGIN_COL_VERSION,
    PLUGIN_COL_READY,
    PLUGIN_COL_STATUS,
    PLUGIN_COL_PRIMARY,
    PLUGIN_COL_ENDPOINT,
    PLUGIN_COL_AGE,
    PLUGIN_NCOLS
} plugin_col;

/* One line of `kubectl dbaas list`; cells are "" where the object says nothing. */
typedef struct {
    char cell[PLUGIN_NCOLS][PLUGIN_CELL_MAX];
} plugin_row;

/*
 * The row of a DBInstance, HACluster or DBSnapshot (by its "kind"), as of now (Unix s).
 * Every kind: STATUS is status.phase, the column `kubectl get` prints from the CRDs'
 * additionalPrinterColumns (crds/), so that a Degraded or Failed object whose Ready is still
 * True says so. DBInstance: engine, status.currentVersion (the version running; else
 * spec.version, which is what `kubectl get dbi` shows), Ready's status, the pod <name>-0 as
 * primary while readyReplicas is 1, status.endpoint. HACluster: "postgresql",
 * status.currentVersion (else spec.version), status.readyText (else Ready's status),
 * status.primary, status.endpoint. DBSnapshot: status.source engine and version, Ready's
 * status, no primary, the instance it copies as "instance/<name>" in ENDPOINT.
 * CORE_EINVAL for another kind or an object without metadata.name.
 */
int plugin_row_of(const cJSON *obj, int64_t now, plugin_row *row);

/* The table of rows (header first), with the NAMESPACE column when with_namespace. */
int plugin_table(const plugin_row *rows, size_t n, int with_namespace, core_buf *out);

/* ---- output formats -------------------------------------------------------------------- */

/* obj as `kubectl get -o json` writes it, with a final newline. */
int plugin_json(const cJSON *obj, core_buf *out);

/* obj as `kubectl get -o yaml` writes it. */
int plugin_yaml(const cJSON *obj, core_buf *out);

/* A v1 List of copies of items (kubectl's form for several objects). NULL: out of memory. */
cJSON *plugin_list_of(const cJSON *const *items, size_t n);

/* ---- credentials ----------------------------------------------------------------------- */

/*
 * uri with the password of its userinfo (between the first ':' after "://" and the last '@'
 * before the path) replaced by PLUGIN_MASK; a uri without one is copied as it is.
 */
int plugin_mask_uri(const char *uri, core_buf *out);

/*
 * The connection details of a credentials Secret, decoded from data, as a new JSON object
 * in a fixed order: username, password, host, port, database, uri, jdbc-url, then those an
 * HACluster adds (read-host, read-uri, pooler-host, pooler-uri, pooler-read-host,
 * pooler-read-uri) when present, and "ca.crt": "present" when the Secret has one. password
 * and the uris' passwords are PLUGIN_MASK unless show_password. superuser-password is never
 * included. CORE_EINVAL (message in err) when data is missing or not base64.
 */
int plugin_credentials(const cJSON *secret, int show_password, cJSON **out, char *err, size_t errlen);

/* Flat string members as "key: value" lines, in order. */
int plugin_kv_text(const cJSON *obj, core_buf *out);

/* ---- connect --------------------------------------------------------------------------- */

typedef struct {
    const char *engine; /* postgresql, mysql or mariadb */
    const char *host;   /* where the forward listens: 127.0.0.1 */
    int         port;   /* its local port */
    const char *username;
    const char *password; /* may be NULL: the client then asks for it */
    const char *database;
    int         tls;     /* the server requires TLS: the client must ask for it */
    const char *ca_file; /* with tls: a PEM file of the CA to check the server's chain
                            against (the Secret's ca.crt), or NULL: encryption unchecked */
} plugin_conn;

/* A command to run: argv and the variables added to the environment, each malloc'd. */
typedef struct {
    char *argv[PLUGIN_CMD_MAX]; /* NULL-terminated */
    char *env[PLUGIN_CMD_MAX];  /* "NAME=value", NULL-terminated */
} plugin_cmd;

/*
 * The client command for c: psql with PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, and
 * with tls PGSSLMODE=verify-ca and PGSSLROOTCERT=ca_file (libpq "SSL Support": verify-ca
 * checks the chain, not the name, which cannot match 127.0.0.1 where the forward ends), or
 * PGSSLMODE=require without ca_file; mariadb (engine mariadb) or mysql (engine mysql) with
 * --protocol=TCP, --host, --port, --user and the database in argv, MYSQL_PWD in env. With
 * tls, mariadb gets --ssl, and with ca_file --ssl-ca=ca_file and
 * --skip-ssl-verify-server-cert (MariaDB's client checks the chain against --ssl-ca; the
 * name check, on by default from 11.4, would refuse 127.0.0.1); mysql gets --ssl-ca=ca_file
 * alone (both clients take it; MySQL's default ssl-mode PREFERRED takes TLS from a server
 * that requires it, and `mysql` may be MariaDB's client, Debian's, which has no
 * --ssl-mode), and nothing without ca_file. The password is only ever in env. Free with plugin_cmd_free
 * (which wipes env).
 */
int plugin_connect_cmd(const plugin_conn *c, plugin_cmd *out);

/*
 * The kubectl port-forward command: kubectl [--kubeconfig K] [--context C] port-forward
 * --namespace NS service/SERVICE LOCAL:REMOTE (kubeconfig and context NULL when not given).
 */
int plugin_forward_cmd(const char *kubeconfig, const char *context, const char *ns,
                       const char *service, int local_port, int remote_port, plugin_cmd *out);

/* plugin_conn.ca_file for plugin_connect_script: the CA file its script writes. */
#define PLUGIN_CA_SHELL "$ca"

/*
 * `connect --print`: shell lines that do what connect does: with ca_pem (the Secret's
 * ca.crt, not secret) first writing it to a new file (mktemp) named $ca, the forward in the
 * background, the client's environment exported (PGPASSWORD/MYSQL_PWD as PLUGIN_MASK unless
 * show_password), the client, then stopping the forward and removing $ca. Values are
 * shell-quoted; with ca_pem, an argument or variable ending in PLUGIN_CA_SHELL ends in
 * "$ca", so a client built with ca_file PLUGIN_CA_SHELL checks the server's chain as the
 * one connect runs does. CORE_EINVAL when ca_pem holds the here-document's delimiter.
 */
int plugin_connect_script(const plugin_cmd *forward, const plugin_cmd *client, int show_password,
                          const char *ca_pem, core_buf *out);

void plugin_cmd_free(plugin_cmd *c);

/* Appends s quoted for a POSIX shell (as it is when it needs no quoting). */
int plugin_shell_quote(const char *s, core_buf *out);

/* ---- status ---------------------------------------------------------------------------- */

typedef struct {
    const cJSON *obj;         /* the DBInstance or HACluster */
    const cJSON *statefulset; /* DBInstance: its StatefulSet, or NULL */
    const cJSON *pods;        /* List of its pods, or NULL */
    const cJSON *postgresql;  /* HACluster: the Zalando postgresql object, or NULL */
    const cJSON *pvcs;        /* List of its claims, or NULL */
    int          secret;      /* 1 present, 0 absent, -1 unknown (not allowed to read) */
    const cJSON *events;      /* List of Events about obj, or NULL */
    const cJSON *snapshots;   /* List of DBSnapshots of obj, or NULL */
    /* DBSnapshot only: */
    const cJSON *volumesnapshot; /* its VolumeSnapshot, or NULL (missing or not readable) */
    int          source;         /* its DBInstance: PLUGIN_SOURCE_* */
} plugin_status_in;

#define PLUGIN_SOURCE_UNKNOWN 0 /* not looked up, or not allowed to read */
#define PLUGIN_SOURCE_PRESENT 1
#define PLUGIN_SOURCE_GONE    2

/*
 * `kubectl dbaas status`: the object's summary, its conditions with reasons and messages,
 * its children, the last 10 Events (newest last) and the latest 5 snapshots. Sizes are
 * labelled: Storage is spec.storage.size "requested" and status.storageSize (the claim's)
 * "capacity", a claim's row its request and capacity; an External ":PORT" (a NodePort, no
 * node address known) reads "NodePort PORT on any node's address". colour: ANSI
 * colours for condition states and Warning Events (the caller decides: a terminal and no
 * NO_COLOR).
 */
int plugin_status(const plugin_status_in *in, int64_t now, int colour, core_buf *out);

/*
 * `kubectl dbaas status` of a DBSnapshot (obj's kind; plugin_status hands it here): the
 * snapshot's instance and whether it still exists, engine and version from status.source,
 * phase, restore size, deletion policy, age, conditions with reasons, its VolumeSnapshot
 * (readyToUse, restoreSize, class, error.message) and the last 10 Events. The other
 * members of in are not used.
 */
int plugin_status_snapshot(const plugin_status_in *in, int64_t now, int colour, core_buf *out);

/*
 * The object an argument of status, credentials, connect or snapshot names: "NAME" (*kind
 * NULL: the caller tries the kinds the command takes, in the order DBInstance, HACluster,
 * DBSnapshot) or "TYPE/NAME" as kubectl takes it (`kubectl get dbsnapshot/s1`), TYPE any
 * of a kind's singular, plural or short name or Kind, with or without ".dbaas.dev",
 * case-insensitive (crds/: dbinstance, dbinstances, dbi; hacluster, haclusters, hac;
 * dbsnapshot, dbsnapshots, dbsnap). *kind is then "DBInstance", "HACluster" or "DBSnapshot"
 * and *name points into arg. CORE_EINVAL (message in err) for another TYPE or an empty NAME.
 */
int plugin_target(const char *arg, const char **kind, const char **name, char *err, size_t errlen);

/*
 * `kubectl dbaas status NAME -o json|yaml`: a v1 List (kubectl's form for several objects)
 * of copies of obj, then what in holds of its children: StatefulSet, postgresql,
 * VolumeSnapshot, pods, claims, snapshots, Events, each with kind and apiVersion (items of
 * a List come without them). The Secret is never in it (its data is the password).
 * NULL: out of memory.
 */
cJSON *plugin_status_doc(const plugin_status_in *in);

/* ---- flags, as kubectl reads them --------------------------------------------------------- */

/*
 * A bool flag's value as pflag takes it (spf13/pflag bool.go: boolValue.Set is Go's
 * strconv.ParseBool): 1, t, T, TRUE, true, True are true; 0, f, F, FALSE, false, False are
 * false (*out 0 or 1). CORE_EINVAL for anything else, *out untouched.
 */
int plugin_parse_bool(const char *s, int *out);

/*
 * The value of a short flag from the text attached to it ("-n=snap" gives "=snap" to
 * getopt): pflag's parseSingleShortArg (flag.go) reads "-f=arg" as "arg" when anything
 * follows the '=', and "-f=" (nothing after) as "=", like "-farg". So: attached past a
 * leading '=' when more follows, else attached as it is (NULL for NULL).
 */
const char *plugin_short_value(const char *attached);

/* ---- snapshot and restore ---------------------------------------------------------------- */

/* A DBSnapshot of instance named name (generateName <instance>- when name is NULL). */
cJSON *plugin_snapshot_obj(const char *ns, const char *instance, const char *name);

/*
 * A DBInstance new_name restored from the DBSnapshot snap: engine, version, database and
 * username from status.source, storage.size the larger of restoreSize and source.storageSize,
 * storage.storageClassName storage_class (NULL: none, the cluster's default; the caller
 * passes the source instance's, since a volume is restored by the driver that snapshotted
 * it), spec.restoreFrom.snapshot. CORE_EINVAL (message in err) when snap's status lacks them.
 */
int plugin_restore_obj(const cJSON *snap, const char *new_name, const char *storage_class,
                       cJSON **out, char *err, size_t errlen);

#endif
