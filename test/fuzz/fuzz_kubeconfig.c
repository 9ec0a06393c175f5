/*
 * libFuzzer target for kcfg_parse (pkg-c/kubeconfig). File paths in the input resolve
 * against a private temporary folder that holds a CA and a token file. The build links
 * with -Wl,--wrap=core_read_file so that reads outside that folder (/etc/..., /dev/...,
 * "../") fail with CORE_ENOENT instead of touching the machine's files.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "kubeconfig/kubeconfig.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int __real_core_read_file(const char *path, size_t max, char **out, size_t *outlen);
int __wrap_core_read_file(const char *path, size_t max, char **out, size_t *outlen);

static char base_dir[] = "/tmp/dbaas-fuzz-kcfg-XXXXXX";
static char ca_path[64], token_path[64];


int
__wrap_core_read_file(const char *path, size_t max, char **out, size_t *outlen)
{
    size_t n = strlen(base_dir);

    *out = NULL;
    *outlen = 0;
    if (strncmp(path, base_dir, n) != 0 || path[n] != '/' || strstr(path, ".."))
        return CORE_ENOENT;
    return __real_core_read_file(path, max, out, outlen);
}


static void
cleanup(void)
{
    unlink(ca_path);
    unlink(token_path);
    rmdir(base_dir);
}


static void
put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        abort();
}


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (!mkdtemp(base_dir))
        abort();
    snprintf(ca_path, sizeof ca_path, "%s/ca.crt", base_dir);
    snprintf(token_path, sizeof token_path, "%s/token", base_dir);
    put(ca_path, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    put(token_path, "fuzz-token\n");
    atexit(cleanup);
    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kcfg c;
    char err[256];
    int  rc;

    rc = kcfg_parse((const char *)data, size, "fuzz", base_dir, NULL, &c, err, sizeof err);
    if (rc > 0 || (rc == CORE_OK && (!c.server || !c.context || !c.namespace)))
        abort();
    if (rc && (err[0] == '\0' || memchr(err, '\0', sizeof err) == NULL))
        abort();
    kcfg_free(&c);
    /* Again with an explicit context, which takes another path through the lookups. */
    rc = kcfg_parse((const char *)data, size, "fuzz", base_dir, "robot", &c, err, sizeof err);
    if (rc > 0)
        abort();
    kcfg_free(&c);
    return 0;
}
