/*
 * dbi_tls_seen: the TLS Secrets the DBInstance controller has verified, so that one that has
 * not changed is not verified again (issue 18: parsing PEM certificates and keys with OpenSSL
 * on every run was most of the operator's CPU). Pure: no I/O, no clock of its own.
 *
 * An entry is keyed by "<namespace>/<Secret name>" and holds the Secret's uid and
 * resourceVersion when it passed (every change to an object moves its resourceVersion:
 * Kubernetes API conventions, "Concurrency Control and Consistency"; a Secret deleted and made
 * again has a new uid), what it was checked against (for a server certificate: the CA Secret's
 * uid and resourceVersion and the names it must cover; "" for a CA) and the certificate's
 * dates. A lookup matches only all of those, and only while now lies within the dates.
 * At most DBI_TLS_SEEN_MAX entries: a put into a full table empties it first (each Secret is
 * then verified once more), so it never grows without bound as instances and namespaces go.
 *
 * Ownership: the table copies what it is given; strings handed in are read during the call.
 * Not thread-safe (the controller's loop).
 */
#ifndef DBAAS_DBI_TLS_SEEN_H
#define DBAAS_DBI_TLS_SEEN_H

#include <stddef.h>
#include <time.h>

#include "tlsca/tlsca.h"

#define DBI_TLS_SEEN_MAX 65536

typedef struct dbi_tls_seen dbi_tls_seen;

/* An empty table in *out. CORE_ENOMEM. Free with dbi_tls_seen_free (NULL is fine). */
int  dbi_tls_seen_new(dbi_tls_seen **out);
void dbi_tls_seen_free(dbi_tls_seen *s);

/*
 * 1 and *info as stored when key passed with this uid, rv and against, and not_before <= now <
 * not_after; else 0 (also for a NULL table or argument).
 */
int dbi_tls_seen_get(const dbi_tls_seen *s, const char *key, const char *uid, const char *rv,
                     const char *against, time_t now, tlsca_info *info);

/*
 * Remembers that key passed with uid, rv and against, its dates in info; replaces what key
 * held (its mark too). CORE_OK, CORE_EINVAL (a NULL or empty key, uid or rv), CORE_ETOOBIG
 * (a string longer than an entry holds: nothing is remembered, so it is verified each time),
 * CORE_ENOMEM (nothing remembered).
 */
int dbi_tls_seen_put(dbi_tls_seen *s, const char *key, const char *uid, const char *rv,
                     const char *against, const tlsca_info *info);

/*
 * A mark on key's entry as it is (for a CA: a certificate issued from it passed tlsca_check,
 * so the next ones from the same version need not be parsed back). dbi_tls_seen_mark sets it
 * when key holds uid and rv (else nothing); dbi_tls_seen_marked says 1 when key holds uid and
 * rv and is marked, else 0.
 */
void dbi_tls_seen_mark(dbi_tls_seen *s, const char *key, const char *uid, const char *rv);
int  dbi_tls_seen_marked(const dbi_tls_seen *s, const char *key, const char *uid, const char *rv);

/* Forgets key (its instance is gone); nothing when absent. */
void dbi_tls_seen_forget(dbi_tls_seen *s, const char *key);

/* Entries held. */
size_t dbi_tls_seen_len(const dbi_tls_seen *s);

#endif
