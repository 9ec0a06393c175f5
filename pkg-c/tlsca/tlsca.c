/*
 * tlsca: the CA, server certificates and their checks on OpenSSL 3 (see tlsca.h for the
 * rules and their sources).
 */
#include "tlsca.h"
#include "tlsca-int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/core.h"

#define CN_MAX             64  /* ub-common-name, RFC 5280 appendix A */
#define NAME_MAX_          253 /* a DNS name */
#define SERIAL_BITS        128
#define P256_SCALAR        32 /* bytes of a private key (SEC 1 2.3.7) */
#define P256_POINT         65 /* bytes of an uncompressed public point (SEC 1 2.3.3) */
#define POINT_UNCOMPRESSED 0x04


void
tlsca_pair_free(tlsca_pair *p)
{
    if (!p)
        return;
    if (p->key) {
        OPENSSL_cleanse(p->key, strlen(p->key));
        free(p->key);
    }
    free(p->cert);
    p->cert = NULL;
    p->key = NULL;
}


static int
fail(char *err, size_t errlen, int rc, const char *msg)
{
    snprintf(err, errlen, "%s", msg);
    return rc;
}


/* The text of a memory BIO as a new NUL-terminated string (NULL out of memory). */
static char *
bio_text(BIO *b)
{
    char *data = NULL, *out;
    long  n = BIO_get_mem_data(b, &data);

    if (n < 0 || !(out = malloc((size_t)n + 1)))
        return NULL;
    memcpy(out, data, (size_t)n);
    out[n] = '\0';
    return out;
}


static EVP_PKEY *
read_key(const char *pem)
{
    BIO      *b;
    EVP_PKEY *k;

    if (!pem || strlen(pem) > TLSCA_PEM_MAX || !(b = BIO_new_mem_buf(pem, -1)))
        return NULL;
    k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    BIO_free(b);
    return k;
}


/* Every certificate in pem, in order, or NULL when there is none or one does not parse. */
static STACK_OF(X509) * read_certs(const char *pem)
{
    STACK_OF(X509) *sk = NULL;
    BIO  *b;
    X509 *x;

    if (!pem || strlen(pem) > TLSCA_PEM_MAX || !(b = BIO_new_mem_buf(pem, -1)))
        return NULL;
    if (!(sk = sk_X509_new_null()))
        goto out;
    while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
        if (!sk_X509_push(sk, x)) {
            X509_free(x);
            break;
        }
    }
    /* The loop ends on "no start line" at the end of the text; anything else is garbage. */
    if (ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE || sk_X509_num(sk) == 0) {
        sk_X509_pop_free(sk, X509_free);
        sk = NULL;
    }
out:
    ERR_clear_error();
    BIO_free(b);
    return sk;
}


static int
asn1_to_time(const ASN1_TIME *t, time_t *out)
{
    struct tm tm;

    memset(&tm, 0, sizeof tm);
    if (!ASN1_TIME_to_tm(t, &tm))
        return CORE_EINVAL;
    *out = timegm(&tm);
    return CORE_OK;
}


void
tlsca_fmt_time(time_t t, char *buf, size_t len)
{
    struct tm tm;

    if (len && (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm)))
        buf[0] = '\0';
}


static int
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX      ctx;
    X509_EXTENSION *ext;
    int             ok;

    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    if (!(ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)))
        return 0;
    ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok;
}


static int
set_serial(X509 *x)
{
    BIGNUM       *bn = BN_new();
    ASN1_INTEGER *ai = NULL;
    int           ok = 0;

    if (bn && BN_rand(bn, SERIAL_BITS, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ODD) &&
        (ai = BN_to_ASN1_INTEGER(bn, NULL)))
        ok = X509_set_serialNumber(x, ai);
    ASN1_INTEGER_free(ai);
    BN_free(bn);
    return ok;
}


/* key's public point, uncompressed (SEC 1 2.3.3), into out: 1 when key is an EC key on
 * P-256 (prime256v1), else 0. */
static int
p256_point(const EVP_PKEY *key, unsigned char out[P256_POINT])
{
    char   group[32];
    size_t n = 0;

    return EVP_PKEY_is_a(key, "EC") &&
           EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &n) &&
           strcmp(group, "prime256v1") == 0 &&
           EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, out, P256_POINT, &n) &&
           n == P256_POINT && out[0] == POINT_UNCOMPRESSED;
}


/*
 * The key's public point into x's subjectPublicKeyInfo: id-ecPublicKey with the named curve
 * prime256v1 and the uncompressed point (RFC 5480 2.1.1 and 2.2), the bytes X509_set_pubkey
 * writes. X509_set_pubkey gets there through OpenSSL 3.0's encoder and decoder (an encoder
 * and a decoder context made for each key): 2.2 M instructions of the 4.1 M a certificate
 * costs (test/bench/bench_tlsca.c under callgrind); this is a copy of 65 bytes. 1 or 0.
 */
int
tlsca__set_ec_pubkey(X509 *x, const EVP_PKEY *key)
{
    X509_PUBKEY   *pk = X509_get_X509_PUBKEY(x);
    unsigned char *point = OPENSSL_malloc(P256_POINT);

    if (!pk || !point || !p256_point(key, point) ||
        !X509_PUBKEY_set0_param(pk, OBJ_nid2obj(NID_X9_62_id_ecPublicKey), V_ASN1_OBJECT,
                                OBJ_nid2obj(NID_X9_62_prime256v1), point, P256_POINT)) {
        OPENSSL_free(point);
        return 0;
    }
    return 1; /* point is pk's now */
}


/* A new certificate for key with subject CN=cn, valid from now - TLSCA_BACKDATE to
 * not_after. */
static X509 *
new_cert(EVP_PKEY *key, const char *cn, time_t now, time_t not_after)
{
    X509      *x = X509_new();
    X509_NAME *name;
    time_t     start = now - TLSCA_BACKDATE;

    if (!x || !X509_set_version(x, 2) || !set_serial(x) || !tlsca__set_ec_pubkey(x, key) ||
        !X509_time_adj_ex(X509_getm_notBefore(x), 0, 0, &start) ||
        !X509_time_adj_ex(X509_getm_notAfter(x), 0, 0, &not_after) ||
        !(name = X509_get_subject_name(x)) ||
        !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0)) {
        X509_free(x);
        return NULL;
    }
    return x;
}


/*
 * key (P-256) as PEM "PRIVATE KEY" into b: PKCS#8 PrivateKeyInfo (RFC 5208 5) of algorithm
 * id-ecPublicKey with the named curve prime256v1, holding the ECPrivateKey (RFC 5915 3;
 * version 1, the 32-byte scalar, the public point, no parameters: they are in the
 * algorithm). These are the bytes PEM_write_bio_PrivateKey writes (a unit test compares
 * them), without OpenSSL 3.0's encoder context, which costs 0.8 M instructions a key. The
 * DER of the ECPrivateKey has one layout for every P-256 key: its header bytes, the scalar
 * at offset 7 and the point at offset 44. 1 or 0.
 */
int
tlsca__write_ec_key(BIO *b, const EVP_PKEY *key)
{
    static const unsigned char head[7] = {0x30, 0x6b, 0x02, 0x01, 0x01, 0x04, P256_SCALAR};
    static const unsigned char mid[5] = {0xa1, 0x44, 0x03, 0x42, 0x00};
    enum {
        SCALAR_AT = 7,
        POINT_AT = 7 + P256_SCALAR + 5,
        DER_LEN = POINT_AT + P256_POINT
    };
    unsigned char       *der = OPENSSL_zalloc(DER_LEN);
    BIGNUM              *d = NULL;
    PKCS8_PRIV_KEY_INFO *p8 = NULL;
    int                  ok = 0;

    if (!der || !p256_point(key, der + POINT_AT) ||
        !EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &d) ||
        BN_bn2binpad(d, der + SCALAR_AT, P256_SCALAR) != P256_SCALAR ||
        !(p8 = PKCS8_PRIV_KEY_INFO_new()))
        goto out;
    memcpy(der, head, sizeof head);
    memcpy(der + SCALAR_AT + P256_SCALAR, mid, sizeof mid);
    if (!PKCS8_pkey_set0(p8, OBJ_nid2obj(NID_X9_62_id_ecPublicKey), 0, V_ASN1_OBJECT,
                         OBJ_nid2obj(NID_X9_62_prime256v1), der, DER_LEN))
        goto out;
    der = NULL; /* p8's, cleansed when it is freed */
    ok = PEM_write_bio_PKCS8_PRIV_KEY_INFO(b, p8) == 1;
out:
    OPENSSL_clear_free(der, DER_LEN);
    BN_clear_free(d);
    PKCS8_PRIV_KEY_INFO_free(p8);
    return ok;
}


/* cert and key as PEM into out. */
static int
write_pair(X509 *x, EVP_PKEY *key, tlsca_pair *out)
{
    BIO  *cb = BIO_new(BIO_s_mem()), *kb = BIO_new(BIO_s_secmem());
    char *cert = NULL, *k = NULL;
    int   rc = CORE_ENOMEM;

    if (!cb || !kb || !PEM_write_bio_X509(cb, x) || !tlsca__write_ec_key(kb, key))
        goto out;
    if (!(cert = bio_text(cb)) || !(k = bio_text(kb)))
        goto out;
    out->cert = cert;
    out->key = k;
    cert = k = NULL;
    rc = CORE_OK;
out:
    if (k) {
        OPENSSL_cleanse(k, strlen(k));
        free(k);
    }
    free(cert);
    BIO_free(cb);
    BIO_free(kb); /* secure memory: cleansed on free */
    return rc;
}


int
tlsca_make_ca(const char *cn, time_t now, tlsca_pair *out, char *err, size_t errlen)
{
    EVP_PKEY *key = NULL;
    X509     *x = NULL;
    int       rc = CORE_EINTERNAL;

    if (!cn || !*cn || strlen(cn) > CN_MAX)
        return fail(err, errlen, CORE_EINVAL, "the CA's common name must be 1 to 64 bytes");
    if (!(key = EVP_EC_gen("P-256"))) {
        rc = fail(err, errlen, rc, "generating the CA's P-256 key failed");
        goto out;
    }
    if (!(x = new_cert(key, cn, now, now + (time_t)TLSCA_CA_DAYS * 86400)) ||
        !X509_set_issuer_name(x, X509_get_subject_name(x)) ||
        !add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
        !add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") ||
        !add_ext(x, x, NID_subject_key_identifier, "hash") ||
        !add_ext(x, x, NID_authority_key_identifier, "keyid:always") ||
        !X509_sign(x, key, EVP_sha256())) {
        rc = fail(err, errlen, rc, "building or signing the CA certificate failed");
        goto out;
    }
    if ((rc = write_pair(x, key, out)))
        fail(err, errlen, rc, "writing the CA as PEM failed");
out:
    ERR_clear_error();
    X509_free(x);
    EVP_PKEY_free(key);
    return rc;
}


/* A DNS name we issue for: letters, digits, '-' and '.', 1..253 bytes. */
static int
dns_name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;

    return n > 0 && n <= NAME_MAX_ &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") == n;
}


/* "DNS:a,DNS:b" for names[0..n) into b. */
static int
san_value(const char *const *names, size_t n, core_buf *b)
{
    size_t i;
    int    rc = CORE_OK;

    for (i = 0; i < n && rc == CORE_OK; i++)
        rc = core_buf_printf(b, "%sDNS:%s", i ? "," : "", names[i]);
    return rc;
}


/*
 * The CA tlsca_issue signed with last, parsed and checked: OpenSSL 3's PEM decoders cost
 * more than the signature itself (perf: 60 % of an issue), and a namespace's certificates
 * all come from one CA. One entry, found by the PEM texts, under a lock; its key copy is
 * cleansed when replaced. Lives until exit (still reachable, not a leak).
 */
static struct {
    pthread_mutex_t lock;
    char           *cert, *key;
    STACK_OF(X509) * cas;
    EVP_PKEY *cakey;
} ca_memo = {PTHREAD_MUTEX_INITIALIZER, NULL, NULL, NULL, NULL};


static void
ca_memo_clear(void)
{
    if (ca_memo.key)
        OPENSSL_cleanse(ca_memo.key, strlen(ca_memo.key));
    free(ca_memo.key);
    free(ca_memo.cert);
    sk_X509_pop_free(ca_memo.cas, X509_free);
    EVP_PKEY_free(ca_memo.cakey);
    ca_memo.key = ca_memo.cert = NULL;
    ca_memo.cas = NULL;
    ca_memo.cakey = NULL;
}


/* With ca_memo.lock held: ca_memo holds ca_cert and ca_key parsed, their key matching the
 * first certificate; CORE_EINVAL when they do not parse or match (the memo is then empty). */
static int
ca_memo_load(const char *ca_cert, const char *ca_key, char *err, size_t errlen)
{
    if (ca_memo.cert && strcmp(ca_memo.cert, ca_cert) == 0 && strcmp(ca_memo.key, ca_key) == 0)
        return CORE_OK;
    ca_memo_clear();
    if (!(ca_memo.cas = read_certs(ca_cert)) || !(ca_memo.cakey = read_key(ca_key))) {
        ca_memo_clear();
        return fail(err, errlen, CORE_EINVAL, "the CA certificate or key does not parse");
    }
    if (EVP_PKEY_eq(X509_get0_pubkey(sk_X509_value(ca_memo.cas, 0)), ca_memo.cakey) != 1) {
        ca_memo_clear();
        return fail(err, errlen, CORE_EINVAL, "the CA key does not match the CA certificate");
    }
    if (!(ca_memo.cert = strdup(ca_cert)) || !(ca_memo.key = strdup(ca_key))) {
        ca_memo_clear();
        return fail(err, errlen, CORE_ENOMEM, "out of memory");
    }
    return CORE_OK;
}


int
tlsca_issue(const char *ca_cert, const char *ca_key, const char *const *names, size_t n, time_t now,
            tlsca_pair *out, tlsca_info *info, char *err, size_t errlen)
{
    X509     *ca, *x = NULL;
    EVP_PKEY *cakey, *key = NULL;
    core_buf  san;
    time_t    not_after = now + (time_t)TLSCA_SERVER_DAYS * 86400, ca_end;
    size_t    i;
    int       rc = CORE_EINVAL;

    core_buf_init(&san, 4096);
    if (n == 0 || n > TLSCA_MAX_NAMES)
        return fail(err, errlen, rc, "a server certificate needs 1 to 8 names");
    for (i = 0; i < n; i++)
        if (!dns_name_ok(names[i]))
            return fail(err, errlen, rc, "a server certificate's names must be DNS names");
    if (!ca_cert || !ca_key || strlen(ca_cert) > TLSCA_PEM_MAX || strlen(ca_key) > TLSCA_PEM_MAX)
        return fail(err, errlen, rc, "the CA certificate or key does not parse");
    pthread_mutex_lock(&ca_memo.lock);
    if ((rc = ca_memo_load(ca_cert, ca_key, err, errlen)) != CORE_OK)
        goto out;
    ca = sk_X509_value(ca_memo.cas, 0);
    cakey = ca_memo.cakey;
    if (asn1_to_time(X509_get0_notAfter(ca), &ca_end) == CORE_OK && ca_end < not_after)
        not_after = ca_end;
    rc = CORE_EINTERNAL;
    if (!(key = EVP_EC_gen("P-256"))) {
        rc = fail(err, errlen, rc, "generating the server's P-256 key failed");
        goto out;
    }
    if ((rc = san_value(names, n, &san)) != CORE_OK) {
        fail(err, errlen, rc, "the server certificate's names are too long");
        goto out;
    }
    rc = CORE_EINTERNAL;
    if (!(x = new_cert(key, names[0], now, not_after)) ||
        !X509_set_issuer_name(x, X509_get_subject_name(ca)) ||
        !add_ext(x, ca, NID_basic_constraints, "critical,CA:FALSE") ||
        !add_ext(x, ca, NID_key_usage, "critical,digitalSignature") ||
        !add_ext(x, ca, NID_ext_key_usage, "serverAuth") ||
        !add_ext(x, ca, NID_subject_key_identifier, "hash") ||
        !add_ext(x, ca, NID_authority_key_identifier, "keyid:always") ||
        !add_ext(x, ca, NID_subject_alt_name, san.data) || !X509_sign(x, cakey, EVP_sha256())) {
        rc = fail(err, errlen, rc, "building or signing the server certificate failed");
        goto out;
    }
    if ((rc = write_pair(x, key, out)))
        fail(err, errlen, rc, "writing the server certificate as PEM failed");
    else if (info) {
        info->not_before = now - TLSCA_BACKDATE; /* as new_cert wrote them */
        info->not_after = not_after;
    }
out:
    pthread_mutex_unlock(&ca_memo.lock);
    ERR_clear_error();
    core_buf_free(&san);
    X509_free(x);
    EVP_PKEY_free(key);
    return rc;
}


/* Its dNSName SANs, ", " between them, into buf. */
static void
list_names(X509 *x, char *buf, size_t len)
{
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    size_t         used = 0;
    int            i, k;

    buf[0] = '\0';
    for (i = 0; gens && i < sk_GENERAL_NAME_num(gens); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

        if (g->type != GEN_DNS)
            continue;
        k = snprintf(buf + used, len - used, "%s%.*s", used ? ", " : "",
                     ASN1_STRING_length(g->d.dNSName),
                     (const char *)ASN1_STRING_get0_data(g->d.dNSName));
        if (k < 0 || (size_t)k >= len - used)
            break;
        used += (size_t)k;
    }
    if (!used)
        snprintf(buf, len, "none");
    GENERAL_NAMES_free(gens);
}


/* Valid at now: not before notBefore, not after notAfter. */
static int
check_dates(X509 *x, time_t now, tlsca_info *info, char *err, size_t errlen)
{
    tlsca_info t;
    char       when[40];

    if (asn1_to_time(X509_get0_notBefore(x), &t.not_before) ||
        asn1_to_time(X509_get0_notAfter(x), &t.not_after))
        return fail(err, errlen, CORE_EINVAL, "the certificate's validity dates do not parse");
    if (now > t.not_after) {
        tlsca_fmt_time(t.not_after, when, sizeof when);
        snprintf(err, errlen, "the certificate expired on %s", when);
        return CORE_EINVAL;
    }
    if (now < t.not_before) {
        tlsca_fmt_time(t.not_before, when, sizeof when);
        snprintf(err, errlen, "the certificate is not valid before %s", when);
        return CORE_EINVAL;
    }
    if (info)
        *info = t;
    return CORE_OK;
}


/* leaf with the intermediates in chain verifies against the certificates of ca at now. */
static int
check_chain(X509 *leaf, STACK_OF(X509) * chain, STACK_OF(X509) * ca, time_t now, int purpose,
            char *err, size_t errlen)
{
    X509_STORE     *st = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    int             i, rc = CORE_ENOMEM;

    if (!st || !ctx)
        goto out;
    for (i = 0; i < sk_X509_num(ca); i++)
        if (!X509_STORE_add_cert(st, sk_X509_value(ca, i)))
            goto out;
    if (!X509_STORE_CTX_init(ctx, st, leaf, chain))
        goto out;
    X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), now);
    if (purpose && !X509_STORE_CTX_set_purpose(ctx, purpose))
        goto out;
    if (X509_verify_cert(ctx) == 1) {
        rc = CORE_OK;
    } else {
        snprintf(err, errlen, "the certificate is not signed by the CA: %s",
                 X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
        rc = CORE_EINVAL;
    }
out:
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(st);
    return rc;
}


int
tlsca_check(const char *cert, const char *key, const char *ca, const char *const *names, size_t n,
            time_t now, tlsca_info *info, char *err, size_t errlen)
{
    STACK_OF(X509) *certs = NULL, *cas = NULL;
    EVP_PKEY *k = NULL;
    X509     *leaf;
    char      have[512];
    size_t    i;
    int       rc = CORE_EINVAL;

    if (!(certs = read_certs(cert))) {
        rc = fail(err, errlen, rc, "the certificate is not a PEM certificate");
        goto out;
    }
    leaf = sk_X509_shift(certs); /* now ours to free; certs holds the intermediates */
    if (key && !(k = read_key(key))) {
        rc = fail(err, errlen, rc, "the key is not a PEM private key");
        goto leaf;
    }
    if (k && EVP_PKEY_eq(X509_get0_pubkey(leaf), k) != 1) {
        rc = fail(err, errlen, rc, "the key does not match the certificate");
        goto leaf;
    }
    if ((rc = check_dates(leaf, now, info, err, errlen)))
        goto leaf;
    for (i = 0; i < n; i++) {
        if (X509_check_host(leaf, names[i], 0, 0, NULL) != 1) {
            list_names(leaf, have, sizeof have);
            snprintf(err, errlen, "the certificate does not cover %.253s (its names: %s)", names[i],
                     have);
            rc = CORE_EINVAL;
            goto leaf;
        }
    }
    if (ca && !(cas = read_certs(ca))) {
        rc = fail(err, errlen, CORE_EINVAL, "the CA is not a PEM certificate");
        goto leaf;
    }
    if (cas)
        rc = check_chain(leaf, certs, cas, now, X509_PURPOSE_SSL_SERVER, err, errlen);
leaf:
    X509_free(leaf);
out:
    ERR_clear_error();
    EVP_PKEY_free(k);
    sk_X509_pop_free(certs, X509_free);
    sk_X509_pop_free(cas, X509_free);
    return rc;
}


int
tlsca_check_ca(const char *ca_cert, const char *ca_key, time_t now, tlsca_info *info, char *err,
               size_t errlen)
{
    STACK_OF(X509) *certs = NULL;
    EVP_PKEY *k = NULL;
    X509     *x;
    int       rc = CORE_EINVAL;

    if (!(certs = read_certs(ca_cert)) || !(k = read_key(ca_key))) {
        rc = fail(err, errlen, rc, "the CA certificate or key does not parse");
        goto out;
    }
    x = sk_X509_value(certs, 0);
    if (EVP_PKEY_eq(X509_get0_pubkey(x), k) != 1)
        rc = fail(err, errlen, rc, "the CA key does not match the CA certificate");
    else if (X509_check_ca(x) != 1)
        rc = fail(err, errlen, rc, "the CA certificate is not a CA (basicConstraints)");
    else if (X509_verify(x, k) != 1)
        rc = fail(err, errlen, rc, "the CA certificate is not signed by its own key");
    else
        rc = check_dates(x, now, info, err, errlen);
out:
    ERR_clear_error();
    EVP_PKEY_free(k);
    sk_X509_pop_free(certs, X509_free);
    return rc;
}


time_t
tlsca_renew_at(time_t not_before, time_t not_after)
{
    time_t life = not_after - not_before;

    if (life <= 0)
        return not_before;
    /* life * NUM / DEN without overflow for any life */
    return not_before + life / TLSCA_RENEW_DEN * TLSCA_RENEW_NUM +
           (life % TLSCA_RENEW_DEN) * TLSCA_RENEW_NUM / TLSCA_RENEW_DEN;
}


int
tlsca_renew_due(time_t not_before, time_t not_after, time_t now)
{
    return now >= not_after || now >= tlsca_renew_at(not_before, not_after);
}
