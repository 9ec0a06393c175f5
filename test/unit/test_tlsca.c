/* tlsca: the CA, server certificates and their checks, read back with OpenSSL itself. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/core.h"
#include "test.h"
#include "tlsca/tlsca.h"
#include "tlsca/tlsca-int.h"

#define T0  ((time_t)1800000000) /* 2027-01-15: the injected clock */
#define DAY ((time_t)86400)

static const char *const names[] = {"db", "db.shop", "db.shop.svc", "db.shop.svc.cluster.local",
                                    "db-0.db-headless.shop.svc.cluster.local"};
#define NNAMES (sizeof names / sizeof names[0])


static X509 *
parse_cert(const char *pem)
{
    BIO  *b = BIO_new_mem_buf(pem, -1);
    X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);

    BIO_free(b);
    return x;
}


static time_t
when(const ASN1_TIME *t)
{
    struct tm tm;

    memset(&tm, 0, sizeof tm);
    ASSERT(ASN1_TIME_to_tm(t, &tm) == 1);
    return timegm(&tm);
}


/* The EC curve of x's key is P-256. */
static int
is_p256(X509 *x)
{
    char   curve[64];
    size_t n = 0;

    return EVP_PKEY_get_utf8_string_param(X509_get0_pubkey(x), "group", curve, sizeof curve, &n) &&
           strcmp(curve, "prime256v1") == 0;
}


static void
make_ca(tlsca_pair *ca, time_t now)
{
    char err[256];

    memset(ca, 0, sizeof *ca);
    ASSERT_EQ(tlsca_make_ca("dbaas-ca shop", now, ca, err, sizeof err), CORE_OK);
}


static void
issue(const tlsca_pair *ca, time_t now, tlsca_pair *srv)
{
    char       err[256];
    tlsca_info said = {0, 0}, read = {0, 0};

    memset(srv, 0, sizeof *srv);
    ASSERT_EQ(tlsca_issue(ca->cert, ca->key, names, NNAMES, now, srv, &said, err, sizeof err),
              CORE_OK);
    /* The dates it says it gave are those the certificate holds (callers skip the check). */
    ASSERT_EQ(tlsca_check(srv->cert, srv->key, ca->cert, names, NNAMES, now, &read, err, sizeof err),
              CORE_OK);
    ASSERT_EQ(said.not_before, read.not_before);
    ASSERT_EQ(said.not_after, read.not_after);
}


TEST(tlsca_ca_is_p256_ten_years_and_signs_only_leaves)
{
    tlsca_pair ca;
    tlsca_info info;
    char       err[256];
    X509      *x;

    make_ca(&ca, T0);
    ASSERT_CONTAINS(ca.key, "-----BEGIN PRIVATE KEY-----");
    x = parse_cert(ca.cert);
    ASSERT(x != NULL);
    ASSERT(is_p256(x));
    ASSERT_EQ(X509_check_ca(x), 1);
    ASSERT_EQ(X509_get_pathlen(x), 0);
    ASSERT(X509_get_key_usage(x) == (KU_KEY_CERT_SIGN | KU_CRL_SIGN));
    ASSERT_EQ(when(X509_get0_notBefore(x)), T0 - TLSCA_BACKDATE);
    ASSERT_EQ(when(X509_get0_notAfter(x)), T0 + 3650 * DAY);
    ASSERT_EQ(X509_check_issued(x, x), X509_V_OK);
    ASSERT_EQ(tlsca_check_ca(ca.cert, ca.key, T0, &info, err, sizeof err), CORE_OK);
    ASSERT_EQ(info.not_after, T0 + 3650 * DAY);
    ASSERT_EQ(tlsca_check_ca(ca.cert, ca.key, T0 + 3651 * DAY, NULL, err, sizeof err), CORE_EINVAL);
    ASSERT_CONTAINS(err, "expired on 2037-01-12T08:00:00Z");
    X509_free(x);
    tlsca_pair_free(&ca);
    ASSERT(ca.cert == NULL && ca.key == NULL);
}


TEST(tlsca_server_cert_chains_names_and_usage)
{
    tlsca_pair         ca, srv;
    tlsca_info         info;
    char               err[512];
    X509              *x, *cax;
    size_t             i;
    int                crit = -1;
    BASIC_CONSTRAINTS *bc;
    GENERAL_NAMES     *sans;

    make_ca(&ca, T0);
    issue(&ca, T0, &srv);
    x = parse_cert(srv.cert);
    cax = parse_cert(ca.cert);
    ASSERT(x && cax);
    ASSERT(is_p256(x));
    /* signed by the CA, and OpenSSL's own check of the issuer link */
    ASSERT_EQ(X509_verify(x, X509_get0_pubkey(cax)), 1);
    ASSERT_EQ(X509_check_issued(cax, x), X509_V_OK);
    ASSERT_EQ(X509_check_ca(x), 0);
    bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
    ASSERT(bc && !bc->ca && crit == 1);
    BASIC_CONSTRAINTS_free(bc);
    ASSERT(X509_get_key_usage(x) == KU_DIGITAL_SIGNATURE);
    ASSERT(X509_get_extended_key_usage(x) == XKU_SSL_SERVER);
    ASSERT_EQ(X509_check_purpose(x, X509_PURPOSE_SSL_SERVER, 0), 1);
    ASSERT_EQ(X509_check_purpose(x, X509_PURPOSE_SSL_CLIENT, 0), 0);
    sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    ASSERT_EQ(sk_GENERAL_NAME_num(sans), (int)NNAMES);
    for (i = 0; i < NNAMES; i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, (int)i);

        ASSERT_EQ(g->type, GEN_DNS);
        ASSERT_STR((const char *)ASN1_STRING_get0_data(g->d.dNSName), names[i]);
        ASSERT_EQ(X509_check_host(x, names[i], 0, 0, NULL), 1);
    }
    GENERAL_NAMES_free(sans);
    ASSERT_EQ(X509_check_host(x, "other.shop.svc", 0, 0, NULL), 0);
    ASSERT_EQ(when(X509_get0_notBefore(x)), T0 - TLSCA_BACKDATE);
    ASSERT_EQ(when(X509_get0_notAfter(x)), T0 + 90 * DAY);
    /* two issues make two keys and two serials */
    {
        tlsca_pair again;
        X509      *y;

        issue(&ca, T0, &again);
        y = parse_cert(again.cert);
        ASSERT(strcmp(again.key, srv.key) != 0);
        ASSERT(ASN1_INTEGER_cmp(X509_get0_serialNumber(x), X509_get0_serialNumber(y)) != 0);
        X509_free(y);
        tlsca_pair_free(&again);
    }
    ASSERT_EQ(tlsca_check(srv.cert, srv.key, ca.cert, names, NNAMES, T0, &info, err, sizeof err),
              CORE_OK);
    ASSERT_EQ(info.not_before, T0 - TLSCA_BACKDATE);
    ASSERT_EQ(info.not_after, T0 + 90 * DAY);
    X509_free(x);
    X509_free(cax);
    tlsca_pair_free(&srv);
    tlsca_pair_free(&ca);
}


TEST(tlsca_check_says_what_is_wrong)
{
    tlsca_pair  ca, other, srv, srv2;
    char        err[512];
    const char *extra[] = {"db", "replica.shop.svc"};

    make_ca(&ca, T0);
    make_ca(&other, T0);
    issue(&ca, T0, &srv);
    issue(&ca, T0, &srv2);
    ASSERT_EQ(tlsca_check(srv.cert, srv2.key, ca.cert, names, NNAMES, T0, NULL, err, sizeof err),
              CORE_EINVAL);
    ASSERT_STR(err, "the key does not match the certificate");
    ASSERT_EQ(tlsca_check(srv.cert, srv.key, other.cert, names, NNAMES, T0, NULL, err, sizeof err),
              CORE_EINVAL);
    ASSERT_CONTAINS(err, "the certificate is not signed by the CA: ");
    ASSERT_EQ(tlsca_check(srv.cert, srv.key, ca.cert, extra, 2, T0, NULL, err, sizeof err),
              CORE_EINVAL);
    ASSERT_CONTAINS(err, "does not cover replica.shop.svc (its names: db, db.shop, db.shop.svc,");
    ASSERT_EQ(tlsca_check(srv.cert, srv.key, ca.cert, names, NNAMES, T0 + 91 * DAY, NULL, err,
                          sizeof err),
              CORE_EINVAL);
    ASSERT_STR(err, "the certificate expired on 2027-04-15T08:00:00Z");
    ASSERT_EQ(tlsca_check(srv.cert, srv.key, ca.cert, names, NNAMES, T0 - DAY, NULL, err, sizeof err),
              CORE_EINVAL);
    ASSERT_CONTAINS(err, "is not valid before 2027-01-15T07:");
    ASSERT_EQ(tlsca_check("not a certificate", srv.key, ca.cert, names, NNAMES, T0, NULL, err,
                          sizeof err),
              CORE_EINVAL);
    ASSERT_STR(err, "the certificate is not a PEM certificate");
    ASSERT_EQ(tlsca_check(srv.cert, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                          ca.cert, names, NNAMES, T0, NULL, err, sizeof err),
              CORE_EINVAL);
    ASSERT_STR(err, "the key is not a PEM private key");
    /* the CA as a server certificate: not for serverAuth */
    ASSERT_EQ(tlsca_check(ca.cert, ca.key, ca.cert, NULL, 0, T0, NULL, err, sizeof err), CORE_EINVAL);
    ASSERT_CONTAINS(err, "not signed by the CA: unsuitable certificate purpose");
    /* key and chain are optional */
    ASSERT_EQ(tlsca_check(srv.cert, NULL, NULL, names, NNAMES, T0, NULL, err, sizeof err), CORE_OK);
    ASSERT_EQ(tlsca_check_ca(ca.cert, other.key, T0, NULL, err, sizeof err), CORE_EINVAL);
    ASSERT_STR(err, "the CA key does not match the CA certificate");
    ASSERT_EQ(tlsca_check_ca(srv.cert, srv.key, T0, NULL, err, sizeof err), CORE_EINVAL);
    ASSERT_STR(err, "the CA certificate is not a CA (basicConstraints)");
    /* no message carries key material */
    ASSERT(!strstr(err, "BEGIN"));
    tlsca_pair_free(&srv);
    tlsca_pair_free(&srv2);
    tlsca_pair_free(&other);
    tlsca_pair_free(&ca);
}


TEST(tlsca_issue_refuses_bad_input_and_stays_inside_the_ca)
{
    tlsca_pair  ca, other, srv;
    tlsca_info  info;
    char        err[512];
    const char *bad[] = {"db,DNS:evil.example"};
    const char *many[TLSCA_MAX_NAMES + 1];
    size_t      i;

    for (i = 0; i < TLSCA_MAX_NAMES + 1; i++)
        many[i] = "db";
    make_ca(&ca, T0);
    make_ca(&other, T0);
    memset(&srv, 0, sizeof srv);
    ASSERT_EQ(tlsca_issue(ca.cert, ca.key, bad, 1, T0, &srv, NULL, err, sizeof err), CORE_EINVAL);
    ASSERT_EQ(tlsca_issue(ca.cert, ca.key, many, TLSCA_MAX_NAMES + 1, T0, &srv, NULL, err, sizeof err),
              CORE_EINVAL);
    ASSERT_EQ(tlsca_issue(ca.cert, ca.key, names, 0, T0, &srv, NULL, err, sizeof err), CORE_EINVAL);
    ASSERT_EQ(tlsca_issue(ca.cert, other.key, names, NNAMES, T0, &srv, NULL, err, sizeof err),
              CORE_EINVAL);
    ASSERT_STR(err, "the CA key does not match the CA certificate");
    ASSERT(srv.cert == NULL && srv.key == NULL);
    /* 30 days before the CA ends: the certificate ends with the CA, not 90 days later */
    issue(&ca, T0 + 3620 * DAY, &srv);
    ASSERT_EQ(tlsca_check(srv.cert, srv.key, ca.cert, names, NNAMES, T0 + 3620 * DAY, &info, err,
                          sizeof err),
              CORE_OK);
    ASSERT_EQ(info.not_after, T0 + 3650 * DAY);
    tlsca_pair_free(&srv);
    tlsca_pair_free(&other);
    tlsca_pair_free(&ca);
}


TEST(tlsca_renewal_at_two_thirds_of_life)
{
    tlsca_pair ca, srv;
    tlsca_info info;
    char       err[256];
    time_t     due;

    ASSERT_EQ(tlsca_renew_due(0, 90, 59), 0);
    ASSERT_EQ(tlsca_renew_due(0, 90, 60), 1);
    ASSERT_EQ(tlsca_renew_due(0, 90, 91), 1);
    ASSERT_EQ(tlsca_renew_due(100, 100, 100), 1); /* no life at all */
    make_ca(&ca, T0);
    issue(&ca, T0, &srv);
    ASSERT_EQ(tlsca_check(srv.cert, srv.key, ca.cert, names, NNAMES, T0, &info, err, sizeof err),
              CORE_OK);
    /* 90 days and the backdate: due 60 days and 200 s after notBefore */
    due = info.not_before + 60 * DAY + 200;
    ASSERT_EQ(tlsca_renew_due(info.not_before, info.not_after, T0), 0);
    ASSERT_EQ(tlsca_renew_due(info.not_before, info.not_after, due - 1), 0);
    ASSERT_EQ(tlsca_renew_due(info.not_before, info.not_after, due), 1);
    ASSERT_EQ(tlsca_renew_due(info.not_before, info.not_after, T0 + 89 * DAY), 1);
    tlsca_pair_free(&srv);
    tlsca_pair_free(&ca);
}


/* tlsca_issue keeps the last CA parsed: certificates from two CAs in turn each chain to
 * their own, and a CA whose key was swapped for another's is refused after a good one. */
TEST(tlsca_issue_follows_the_ca_it_is_given)
{
    tlsca_pair a, b, srv, mixed;
    char       err[256];
    X509      *x, *ax, *bx;

    make_ca(&a, T0);
    make_ca(&b, T0);
    ax = parse_cert(a.cert);
    bx = parse_cert(b.cert);
    for (int i = 0; i < 4; i++) {
        const tlsca_pair *ca = i % 2 ? &b : &a;

        issue(ca, T0, &srv);
        x = parse_cert(srv.cert);
        ASSERT(x);
        ASSERT_EQ(X509_verify(x, X509_get0_pubkey(i % 2 ? bx : ax)), 1);
        ASSERT(X509_verify(x, X509_get0_pubkey(i % 2 ? ax : bx)) != 1);
        X509_free(x);
        tlsca_pair_free(&srv);
    }
    mixed.cert = a.cert;
    mixed.key = b.key;
    memset(&srv, 0, sizeof srv);
    ASSERT_EQ(tlsca_issue(mixed.cert, mixed.key, names, 1, T0, &srv, NULL, err, sizeof err),
              CORE_EINVAL);
    ASSERT(strstr(err, "does not match"));
    ASSERT(srv.cert == NULL);
    X509_free(ax);
    X509_free(bx);
    tlsca_pair_free(&a);
    tlsca_pair_free(&b);
}


/* BIO b's bytes as a new string. */
static char *
bio_string(BIO *b)
{
    char *data = NULL, *out;
    long  n = BIO_get_mem_data(b, &data);

    ASSERT(n > 0);
    out = malloc((size_t)n + 1);
    ASSERT(out);
    memcpy(out, data, (size_t)n);
    out[n] = '\0';
    return out;
}


/* key as tlsca writes it and as OpenSSL's encoders do: the same bytes, for the private key
 * (PEM PKCS#8) and the certificate's subjectPublicKeyInfo (DER). */
static void
same_as_openssl(EVP_PKEY *key)
{
    BIO           *ours = BIO_new(BIO_s_mem()), *theirs = BIO_new(BIO_s_mem());
    X509          *x = X509_new();
    unsigned char *a = NULL, *b = NULL;
    int            na, nb;
    char          *sa, *sb;

    ASSERT(ours && theirs && x);
    ASSERT_EQ(tlsca__write_ec_key(ours, key), 1);
    ASSERT_EQ(PEM_write_bio_PrivateKey(theirs, key, NULL, NULL, 0, NULL, NULL), 1);
    sa = bio_string(ours);
    sb = bio_string(theirs);
    ASSERT_STR(sa, sb);
    ASSERT_EQ(tlsca__set_ec_pubkey(x, key), 1);
    na = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &a);
    nb = i2d_PUBKEY(key, &b);
    ASSERT(na > 0 && na == nb && memcmp(a, b, (size_t)na) == 0);
    {
        const unsigned char *p = a;
        X509_PUBKEY         *back = d2i_X509_PUBKEY(NULL, &p, na);

        ASSERT(back);
        ASSERT_EQ(EVP_PKEY_eq(X509_PUBKEY_get0(back), key), 1);
        X509_PUBKEY_free(back);
    }
    OPENSSL_free(a);
    OPENSSL_free(b);
    OPENSSL_cleanse(sa, strlen(sa));
    OPENSSL_cleanse(sb, strlen(sb));
    free(sa);
    free(sb);
    X509_free(x);
    BIO_free(ours);
    BIO_free(theirs);
}


TEST(tlsca_writes_p256_keys_byte_for_byte_as_openssl_does)
{
    EVP_PKEY *key, *other;
    BIO      *b = BIO_new(BIO_s_mem());
    X509     *x = X509_new();
    int       seen_zero = 0, tries;

    /* Keys until one whose scalar's first byte is 0 (1 in 256): the padding case. */
    for (tries = 0; tries < 8192 && !seen_zero; tries++) {
        BIGNUM *d = NULL;

        key = EVP_EC_gen("P-256");
        ASSERT(key && EVP_PKEY_get_bn_param(key, "priv", &d));
        seen_zero = BN_num_bytes(d) < 32;
        BN_clear_free(d);
        if (tries < 4 || seen_zero)
            same_as_openssl(key);
        EVP_PKEY_free(key);
    }
    ASSERT(seen_zero);
    /* Another curve with 65-byte points, and a longer one, are refused. */
    ASSERT(b && x);
    other = EVP_EC_gen("secp256k1");
    ASSERT(other);
    ASSERT_EQ(tlsca__write_ec_key(b, other), 0);
    ASSERT_EQ(tlsca__set_ec_pubkey(x, other), 0);
    EVP_PKEY_free(other);
    other = EVP_EC_gen("P-384");
    ASSERT(other);
    ASSERT_EQ(tlsca__write_ec_key(b, other), 0);
    ASSERT_EQ(tlsca__set_ec_pubkey(x, other), 0);
    EVP_PKEY_free(other);
    ASSERT_EQ(BIO_ctrl_pending(b), 0);
    X509_free(x);
    BIO_free(b);
}
