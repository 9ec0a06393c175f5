/*
 * dbi-render: the children the dbi builders make for a DBInstance, for tests and for reading.
 *
 * usage: dbi-render FILE PASSWORD [WHAT]
 * FILE holds a DBInstance as JSON (with metadata.uid). PASSWORD is the application password,
 * or "-" for one from dbi_password, printed on a line of its own first (the superuser
 * password is fixed: "superuser-password"). WHAT is one of:
 *   a Secret key (uri, jdbc-url, host, ...)   its decoded value, one line (the default: uri)
 *   secret, configmap, service, headless, statefulset   that object as JSON
 * An invalid spec prints the parse message on stderr and exits 2; other failures exit 1.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "dbi/dbi.h"
#include "kjson/kjson.h"


static cJSON *
build(const char *what, const dbi_spec *s, const cJSON *owner, const char *password)
{
    char checksum[32];

    if (strcmp(what, "configmap") == 0)
        return dbi_build_configmap(s, owner, checksum, sizeof checksum);
    if (strcmp(what, "service") == 0)
        return dbi_build_service(s, owner);
    if (strcmp(what, "headless") == 0)
        return dbi_build_headless_service(s, owner);
    if (strcmp(what, "statefulset") == 0) {
        cJSON *cm = dbi_build_configmap(s, owner, checksum, sizeof checksum);

        cJSON_Delete(cm);
        return cm ? dbi_build_statefulset(s, owner, checksum) : NULL;
    }
    return dbi_build_secret(s, owner, password, "superuser-password");
}


int
main(int argc, char **argv)
{
    const char    *what = argc > 3 ? argv[3] : "uri";
    char          *text = NULL, err[512], *out = NULL, generated[64];
    const char    *password = NULL;
    size_t         len = 0;
    cJSON         *dbi = NULL, *child = NULL;
    dbi_spec       spec;
    const char    *b64;
    unsigned char *raw = NULL;
    int            rc = 1;

    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: dbi-render FILE PASSWORD [WHAT]\n");
        return 1;
    }
    password = argv[2];
    if (core_read_file(argv[1], 1 << 20, &text, &len) || !(dbi = cJSON_ParseWithLength(text, len))) {
        fprintf(stderr, "dbi-render: cannot read a JSON object from %s\n", argv[1]);
        goto out;
    }
    if (dbi_spec_parse(dbi, &spec, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        rc = 2;
        goto out;
    }
    if (strcmp(password, "-") == 0) {
        if (dbi_password(generated, sizeof generated, 32)) {
            fprintf(stderr, "dbi-render: no password from the CSPRNG\n");
            goto out;
        }
        password = generated;
        printf("%s\n", password);
    }
    if (!(child = build(what, &spec, dbi, password))) {
        fprintf(stderr, "dbi-render: building the %s failed\n", what);
        goto out;
    }
    if (strcmp(kjson_get_str(child, "kind"), "Secret") != 0 || strcmp(what, "secret") == 0) {
        out = cJSON_Print(child);
        printf("%s\n", out);
        rc = 0;
        goto out;
    }
    b64 = kjson_path_str(child, "data", what, NULL);
    if (!b64 || core_b64_decode(b64, strlen(b64), &raw, &len)) {
        fprintf(stderr, "dbi-render: the Secret has no key %s\n", what);
        goto out;
    }
    printf("%s\n", (char *)raw);
    rc = 0;
out:
    free(raw);
    free(out);
    cJSON_Delete(child);
    cJSON_Delete(dbi);
    free(text);
    return rc;
}
