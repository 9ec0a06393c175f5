/*
 * tlsca: a small certificate authority on OpenSSL 3, PEM in and PEM out.
 *
 * What it does: makes a CA (ECDSA P-256, self-signed, TLSCA_CA_DAYS), issues a server
 * certificate signed by it (ECDSA P-256, TLSCA_SERVER_DAYS, DNS SANs), checks a certificate
 * (it parses, its key matches, it chains to a CA, its SANs cover the names a client will use,
 * it is valid now), and says when a certificate is due for renewal (TLSCA_RENEW_NUM /
 * TLSCA_RENEW_DEN of its life). Time is always a parameter (`now`, seconds since the epoch),
 * never read here, so tests inject a clock.
 *
 * Rules followed and their sources:
 * - ECDSA P-256 with SHA-256: accepted by libpq/OpenSSL, the JDK (JSSE), MariaDB
 *   Connector/C and MySQL clients alike (issue 13 names it).
 * - The CA: basicConstraints critical CA:TRUE, pathlen:0 (it signs only leaves); keyUsage
 *   critical keyCertSign, cRLSign; subjectKeyIdentifier (RFC 5280 4.2.1.9, 4.2.1.3, 4.2.1.2).
 * - A server certificate: basicConstraints critical CA:FALSE; keyUsage critical
 *   digitalSignature (an ECDHE-ECDSA handshake signs with the key; no keyEncipherment, which
 *   is for RSA key transport: RFC 5480 3, RFC 8446 4.4.3); extendedKeyUsage serverAuth; the
 *   names in subjectAltName dNSName entries (RFC 6125 6.4.4: clients match SANs, not the CN);
 *   authorityKeyIdentifier; a 128-bit random serial (CA/B Forum BR 7.1 asks for 64 bits of
 *   entropy at least; positive, below 2^159, RFC 5280 4.1.2.2).
 * - notBefore is backdated TLSCA_BACKDATE seconds, so that a client whose clock runs a
 *   little behind does not reject a certificate issued a second ago.
 * - The check verifies the chain with X509_verify_cert at time `now` for purpose
 *   sslserver, and the names with X509_check_host (wildcards allowed, as clients allow them,
 *   so that a user's cert-manager certificate for *.ns.svc passes).
 *
 * Ownership: a tlsca_pair's two strings are malloc'd, owned by the caller and released with
 * tlsca_pair_free, which cleanses the private key's bytes first. Inputs are borrowed.
 * Nothing here logs, and no message written to err ever holds key material: messages name
 * the problem, the SAN or the dates, never PEM text. Thread-safe as OpenSSL 3 is; no I/O.
 */
#ifndef DBAAS_TLSCA_H
#define DBAAS_TLSCA_H

#include <stddef.h>
#include <time.h>

#define TLSCA_CA_DAYS     3650 /* 10 years */
#define TLSCA_SERVER_DAYS 90
#define TLSCA_BACKDATE    300 /* seconds notBefore lies before now */
#define TLSCA_RENEW_NUM   2   /* renewal is due after 2/3 of the validity period */
#define TLSCA_RENEW_DEN   3
#define TLSCA_MAX_NAMES   8
#define TLSCA_PEM_MAX     (64 * 1024) /* a longer PEM input is refused */

typedef struct {
    char *cert; /* PEM "CERTIFICATE" */
    char *key;  /* PEM "PRIVATE KEY" (PKCS#8, unencrypted) */
} tlsca_pair;

/* What tlsca_check read from a certificate that passed, or the dates tlsca_issue gave one. */
typedef struct {
    time_t not_before;
    time_t not_after;
} tlsca_info;

/* Frees both strings (the key cleansed first) and NULLs them; p may be NULL. */
void tlsca_pair_free(tlsca_pair *p);

/*
 * A new self-signed CA with subject CN=cn, valid from now - TLSCA_BACKDATE for
 * TLSCA_CA_DAYS. out is filled on success and untouched otherwise. CORE_EINVAL (cn empty or
 * over 64 bytes), CORE_ENOMEM, CORE_EINTERNAL (OpenSSL failed; err says which step).
 */
int tlsca_make_ca(const char *cn, time_t now, tlsca_pair *out, char *err, size_t errlen);

/*
 * A server certificate for names[0..n) (n 1..TLSCA_MAX_NAMES; CN=names[0], every name a
 * dNSName SAN), signed by the CA (ca_cert, ca_key as tlsca_make_ca wrote them), valid from
 * now - TLSCA_BACKDATE for TLSCA_SERVER_DAYS, never past the CA's notAfter. A fresh key
 * each time. On success *info (may be NULL) holds the dates it was given, as tlsca_check
 * would read them; on failure it is untouched. CORE_EINVAL (a name empty or over 253 bytes, n out of range, a CA that
 * does not parse or whose key does not match), CORE_ENOMEM, CORE_EINTERNAL.
 * The last CA it signed with stays parsed (one, found by its PEM texts, under a lock; a
 * copy of its key is kept until another CA replaces it, cleansed then): OpenSSL 3's PEM
 * decoding costs more than the signature.
 */
int tlsca_issue(const char *ca_cert, const char *ca_key, const char *const *names, size_t n,
                time_t now, tlsca_pair *out, tlsca_info *info, char *err, size_t errlen);

/*
 * Checks cert (PEM; more certificates after the first are intermediates, as cert-manager
 * writes tls.crt) against key (PEM, may be NULL: not checked), ca (PEM bundle, may be NULL:
 * the chain is not checked) and names[0..n) (each must be covered by a SAN; n may be 0),
 * at time now. 0 when all hold, *info (may be NULL) then filled; else CORE_EINVAL with one
 * line in err saying what is wrong ("the certificate expired on 2026-01-01T00:00:00Z",
 * "the key does not match the certificate", "the certificate does not cover db.ns.svc (its
 * names: a.example, b.example)", "the certificate is not signed by the CA: ..."),
 * CORE_ENOMEM.
 */
int tlsca_check(const char *cert, const char *key, const char *ca, const char *const *names,
                size_t n, time_t now, tlsca_info *info, char *err, size_t errlen);

/*
 * Checks a CA as tlsca_make_ca wrote it (or one a person put in its place): ca_cert parses,
 * is a CA (basicConstraints CA:TRUE), is signed by its own key, is valid at now; ca_key
 * matches it. 0 with *info (may be NULL) filled, else CORE_EINVAL with the reason in err,
 * CORE_ENOMEM.
 */
int tlsca_check_ca(const char *ca_cert, const char *ca_key, time_t now, tlsca_info *info, char *err,
                   size_t errlen);

/* t as RFC 3339 UTC ("2027-01-15T08:00:00Z") into buf (len >= 21; "" when it does not fit). */
void tlsca_fmt_time(time_t t, char *buf, size_t len);

/* When a certificate valid from not_before to not_after is due for renewal: not_before +
 * 2/3 of its life (not_before itself for a life of zero or less). */
time_t tlsca_renew_at(time_t not_before, time_t not_after);

/* Whether it is due at now: at or past tlsca_renew_at, or past not_after. 1 or 0. */
int tlsca_renew_due(time_t not_before, time_t not_after, time_t now);

#endif
