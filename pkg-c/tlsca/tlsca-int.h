/*
 * Internal to tlsca (tlsca.c), for its unit tests: the two encodings it writes itself,
 * because OpenSSL 3.0's encoders cost more than the rest of a certificate (tlsca.c says how
 * much). Not part of the tlsca module's interface.
 */
#ifndef DBAAS_TLSCA_INT_H
#define DBAAS_TLSCA_INT_H

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

/* key's public point (P-256) into x's subjectPublicKeyInfo, as X509_set_pubkey would write
 * it. 1, or 0 (key is not P-256, or out of memory; x unchanged). key is borrowed. */
int tlsca__set_ec_pubkey(X509 *x, const EVP_PKEY *key);

/* key (P-256) appended to b as PEM "PRIVATE KEY" (PKCS#8), byte for byte what
 * PEM_write_bio_PrivateKey writes. 1, or 0 (not P-256, out of memory). key is borrowed; the
 * DER held on the way is cleansed. */
int tlsca__write_ec_key(BIO *b, const EVP_PKEY *key);

#endif
