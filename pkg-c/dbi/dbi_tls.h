/*
 * dbi_tls: TLS for a DBInstance (part of dbi; pure, no I/O; issue 13).
 *
 * spec.tls: {enabled, mode: verify-full | require, secretName}. While TLS is on the server
 * requires it: PostgreSQL runs with ssl=on and a pg_hba.conf the operator renders, with only
 * hostssl lines and scram-sha-256 everywhere (no trust); MySQL and MariaDB get ssl-cert,
 * ssl-key, ssl-ca and require_secure_transport=ON. mode only says what the connection Secret
 * tells clients (sslmode in uri and jdbc-url); it gains ca.crt.
 *
 * The certificate: by default the operator's (Secret <name>-tls, issued from the namespace's
 * CA in Secret dbaas-ca: see dbi_controller-int.h and tlsca.h); with spec.tls.secretName, the
 * user's Secret (tls.crt, tls.key, ca.crt, as cert-manager writes it), which the operator only
 * checks. Either is mounted at DBI_TLS_DIR with mode 0640: the files are root's, group 999
 * (fsGroup), which PostgreSQL accepts for a key owned by root (be-secure-common.c:
 * "u=rw,g=r (0640)"), and the mysql user (999) reads through its group. The pod template
 * carries DBI_TLS_HASH, the checksum of the serving certificate, so a renewal rolls the pod.
 *
 * The default, and why an upgrade never turns TLS on (the rule, in the CRD's description too):
 * the CRD has no default for spec.tls.enabled, since a schema default is applied to every
 * stored object when it is read, and so would turn TLS on for instances made before it,
 * restarting their pods. Unset, the operator decides (dbi_tls_decide): what the live
 * StatefulSet runs, when there is one (TLS on exactly when its pod template mounts the tls
 * volume), so an existing instance keeps what it runs; else what status.tls.enabled recorded
 * (the StatefulSet was deleted: it comes back as it was); else, a new instance: on. The
 * decision is recorded in status.tls.enabled every run. Setting spec.tls.enabled turns it on
 * or off (which restarts the pod).
 *
 * Ownership: the spec's strings point into the DBInstance's cJSON; builders return new
 * objects the caller frees.
 */
#ifndef DBAAS_DBI_TLS_H
#define DBAAS_DBI_TLS_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <time.h>

#include "core/core.h"
#include "ctrl/ctrl_build.h"
#include "dbi/dbi.h"

#define DBI_TLS_UNSET      (-1)
#define DBI_TLS_DIR        "/etc/dbaas/tls"
#define DBI_TLS_VOLUME     "tls"
/* Pod template annotation: checksum of the serving certificate (tls.crt). */
#define DBI_TLS_HASH       "dbaas.dev/tls-checksum"
/* On <name>-tls: the mark that its contents passed the client's check (dbi_tls_mark). */
#define DBI_TLS_CHECKED_AN "dbaas.dev/tls-checked"
#define DBI_TLS_MARK_MAX   96
/* The namespace's CA: one Secret, no owner, labelled ours, never deleted by the operator. */
#define DBI_CA_SECRET      "dbaas-ca"
#define DBI_PG_HBA_KEY     "pg_hba.conf"
#define DBI_PG_HBA         "/etc/dbaas/pg_hba.conf"

/*
 * Reads spec.tls of obj into out: tls (DBI_TLS_UNSET when enabled is absent), tls_mode
 * (default "verify-full"), tls_secret (NULL when absent or ""). CORE_EINVAL with a message
 * naming the field for a wrong type, a mode not in the enum, a secretName that is not a DNS
 * subdomain, or secretName with enabled false.
 */
int dbi_tls_parse(const cJSON *obj, dbi_spec *out, char *err, size_t errlen);

/* Whether TLS is on for the builders: s->tls == 1. */
int dbi_tls_on(const dbi_spec *s);

/* Whether a StatefulSet (as the server has it) runs TLS: its pod template has the volume
 * DBI_TLS_VOLUME. 0 for NULL. */
int dbi_tls_running(const cJSON *sts);

/*
 * The rule above: 1 or 0 for TLS on or off. spec_tls is dbi_spec.tls; sts the live
 * StatefulSet or NULL; dbi the DBInstance (its status.tls.enabled is read).
 */
int dbi_tls_decide(int spec_tls, const cJSON *sts, const cJSON *dbi);

/*
 * The DNS names a server certificate holds (and a client may use): "<name>",
 * "<name>.<ns>", "<name>.<ns>.svc", "<name>.<ns>.svc.cluster.local", and the pod's
 * "<name>-0.<name>-headless.<ns>.svc" and "....svc.cluster.local". Written into buf
 * (NUL-separated) with pointers in names[0..*n); names needs DBI_TLS_NAMES slots.
 * CORE_ETOOBIG.
 */
#define DBI_TLS_NAMES 6
int dbi_tls_names(const dbi_spec *s, char *buf, size_t len, const char **names, size_t *n);

/* The name clients use (the connection Secret's host), which a user's certificate must
 * cover: names[DBI_TLS_HOST] of dbi_tls_names. */
#define DBI_TLS_HOST 3

/* The query the connection Secret's uri ("?sslmode=verify-full") or jdbc-url (jdbc != 0:
 * postgresql "?sslmode=verify-full", mysql "?sslMode=VERIFY_IDENTITY", mariadb
 * "?sslMode=verify-full"; require: "require", "REQUIRED", "trust") ends with; "" with TLS
 * off. A static string. */
const char *dbi_tls_query(const dbi_spec *s, int jdbc);

/* Appends the [mysqld] lines for TLS to a MySQL/MariaDB configuration text (nothing with
 * TLS off or for postgresql). core_buf rules. */
int dbi_tls_mysql_config(const dbi_spec *s, core_buf *t);

/* The pg_hba.conf text (a new string the caller frees), or NULL out of memory. */
char *dbi_tls_pg_hba(const dbi_spec *s);

/* PostgreSQL's "-c" arguments for TLS, appended to args (nothing with TLS off). */
void dbi_tls_pg_args(ctrl_bld *b, cJSON *args, const dbi_spec *s);

/* POSTGRES_INITDB_ARGS for scram-sha-256 from the start (PostgreSQL 13's default is md5),
 * appended to env (nothing with TLS off or for mysql and mariadb). */
void dbi_tls_env(ctrl_bld *b, cJSON *env, const dbi_spec *s);

/* The certificate's mount (and pg_hba.conf's) for the container's volumeMounts. */
void dbi_tls_mounts(ctrl_bld *b, cJSON *mounts, const dbi_spec *s);

/* The tls volume (Secret <name>-tls or spec.tls.secretName, mode 0640) for the pod's
 * volumes, and for postgresql the config volume pg_hba.conf comes from; the annotation
 * DBI_TLS_HASH (s->tls_checksum) on the pod template's metadata. */
void dbi_tls_pod(ctrl_bld *b, cJSON *tmpl_meta, cJSON *pod_spec, const dbi_spec *s);

/*
 * The Secret <name>-tls (type kubernetes.io/tls: tls.crt, tls.key, ca.crt, base64 in data),
 * owned by the DBInstance, with the standard labels, and mark (dbi_tls_mark; NULL: none) as
 * annotation DBI_TLS_CHECKED_AN. NULL out of memory or without an owner uid.
 */
cJSON *dbi_build_tls_secret(const dbi_spec *s, const cJSON *owner, const char *cert,
                            const char *key, const char *ca, const char *mark);

/*
 * The mark of a <name>-tls whose cert, key and ca passed tlsca_check for the names and CA
 * version in against, valid from not_before to not_after (Unix seconds): "v2 <notBefore>
 * <notAfter> <HMAC-SHA256 in hex>", the HMAC (RFC 2104) keyed with the CA's private key
 * (ca_key PEM) over the version, the dates, and against and the three PEMs each prefixed
 * with its length, so that only who holds the CA's key can make one, and any other byte,
 * or a byte moved from one field to the next, makes it fail. Why: the memo of checks is lost on a
 * restart, and parsing every certificate and key again with OpenSSL 3 was 68 % of the CPU
 * of a restart's reconciles (callgrind, 200 DBInstances); the mark carries the check over.
 * Into out (DBI_TLS_MARK_MAX bytes): CORE_OK, CORE_EINVAL (a NULL input), CORE_EINTERNAL.
 */
int dbi_tls_mark(const char *ca_key, const char *against, const char *cert, const char *key,
                 const char *ca, time_t not_before, time_t not_after, char *out, size_t len);

/* 1 when mark is exactly what dbi_tls_mark writes for these inputs (compared in constant
 * time), with its dates in *not_before and *not_after; else 0 (absent, malformed, spelled
 * otherwise, another byte). */
int dbi_tls_mark_ok(const char *mark, const char *ca_key, const char *against, const char *cert,
                    const char *key, const char *ca, time_t *not_before, time_t *not_after);

/* The namespace's CA Secret DBI_CA_SECRET (tls.crt, tls.key; no owner; labelled
 * managed-by, app.kubernetes.io/name=dbaas-ca). */
cJSON *dbi_build_ca_secret(const char *namespace, const char *cert, const char *key);

#endif
