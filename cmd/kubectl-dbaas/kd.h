/*
 * kubectl-dbaas: the plugin's command-line layer (cmd/kubectl-dbaas). main.c parses the
 * options and runs one subcommand; each subcommand reads objects through kcli (synchronous
 * requests), hands them to the pure functions of pkg-c/plugin, and prints. Exit codes:
 * KD_OK, KD_FAIL (one line on stderr naming the object and the cause), KD_USAGE.
 * This is a program, not library code: it prints, blocks, forks and exits.
 */
#ifndef KUBECTL_DBAAS_KD_H
#define KUBECTL_DBAAS_KD_H

#include <cjson/cJSON.h>

#include "kcli/kcli.h"
#include "kres/kres.h"

#define KD_OK    0
#define KD_FAIL  1
#define KD_USAGE 2

typedef struct {
    const char *namespace; /* -n, or NULL: the context's */
    int         all_namespaces;
    const char *context;
    const char *kubeconfig;
    const char *output; /* NULL, "json" or "yaml" */
    int         show_password;
    int         print;
    int         read_only;
    const char *name; /* snapshot --name */
    const char *to;   /* restore --to */
    int         wait;
    long        timeout_s;
    const char *args[4]; /* positional arguments after the subcommand */
    int         nargs;
} kd_opts;

/* The namespace to use: -n, else the context's. */
const char *kd_ns(const kd_opts *o, kcli *c);

/* Prints "error: ..." for a failed request about res/name in ns (name NULL: the collection)
 * and returns KD_FAIL. verb is what was tried ("get", "list", "create"). A missing object
 * is `KIND "NAME" not found in namespace "NS"`, as kd_get_target says it. */
int kd_fail(const char *verb, const kres *res, const char *ns, const char *name, const kcli_result *r);

/* Prints "error: <fmt>" and returns KD_FAIL. */
int kd_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * The object arg names in ns for the command cmd ("status", "connect", ...): arg is NAME or
 * TYPE/NAME (plugin_target), and the kinds the command takes are those of its entry in
 * main.c's table (the one shell completion offers too). TYPE/NAME reads that kind; a TYPE
 * the command does not take is refused (KD_USAGE, saying which it takes). A bare NAME tries
 * the kinds in the order DBInstance, HACluster, DBSnapshot. A miss is, for either form,
 * `error: KIND[, KIND or KIND] "NAME" not found in namespace "NS"` (kd_fail's form). On KD_OK
 * *obj is the object (the caller frees it) and *res its kres; otherwise the error is printed.
 */
int kd_get_target(kcli *c, const char *ns, const char *cmd, const char *arg, cJSON **obj,
                  const kres **res);

/* Reads the Secret with the connection details of obj (status.connectionSecret, else
 * <name>-credentials). KD_OK or the error printed. */
int kd_get_secret(kcli *c, const cJSON *obj, cJSON **secret);

/* Prints the text of b to stdout, wipes and frees it; KD_OK, or KD_FAIL when rc says so. */
int kd_print(int rc, void *buf);

int kd_connect(const kd_opts *o, kcli *c);
int kd_status(const kd_opts *o, kcli *c);
int kd_snapshot(const kd_opts *o, kcli *c);
int kd_restore(const kd_opts *o, kcli *c);

#endif
