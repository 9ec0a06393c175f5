/*
 * kubeconfig: loads the connection settings of one context from a kubeconfig file.
 *
 * Reads clusters/users/contexts with libyaml. Certificates and keys, whether given inline
 * (*-data, base64) or as file paths (relative to the kubeconfig's folder), end up in memory
 * in the kcfg struct, so the transport hands them to libcurl as blobs: no temporary files.
 *
 * Errors are one line in the caller's buffer, naming the file and the field at fault.
 * Start-up only: reading files here uses blocking stdio.
 */
#ifndef DBAAS_KUBECONFIG_H
#define DBAAS_KUBECONFIG_H

#include <stddef.h>

/* A kubeconfig or a file it names may be at most this large. */
#define KCFG_MAX_FILE (4u * 1024 * 1024)

/* An exec credential plugin (client.authentication.k8s.io ExecCredential). */
typedef struct {
    char  *command;
    char **args;        /* NULL-terminated; NULL when none */
    char **env;         /* NULL-terminated "NAME=value" strings added to the environment */
    char  *api_version; /* e.g. client.authentication.k8s.io/v1 */
} kcfg_exec;

typedef struct {
    char *context;     /* name of the context in use */
    char *server;      /* https://host:port, without a trailing slash */
    char *namespace;   /* the context's namespace, "default" when unset */
    unsigned char *ca; /* PEM CA bundle; NULL means the system's CAs */
    size_t         ca_len;
    unsigned char *cert; /* PEM client certificate, or NULL */
    size_t         cert_len;
    unsigned char *key; /* PEM client key, or NULL */
    size_t         key_len;
    char          *token;           /* bearer token, or NULL; never to be logged */
    char          *token_file;      /* where the token came from, re-read as it rotates; or NULL */
    kcfg_exec     *exec;            /* credential plugin to run, or NULL */
    char          *tls_server_name; /* overrides the name checked in the server cert */
} kcfg;

/*
 * Loads the context named context (NULL: current-context) from the file at path.
 * On success fills *out, which the caller releases with kcfg_free. On failure *out is
 * left empty (safe to kcfg_free) and err holds one line.
 */
int kcfg_load(const char *path, const char *context, kcfg *out, char *err, size_t errlen);

/*
 * The same from text in memory; file paths inside resolve against base_dir
 * (NULL: the current directory). name is used in error messages only.
 */
int kcfg_parse(const char *text, size_t len, const char *name, const char *base_dir,
               const char *context, kcfg *out, char *err, size_t errlen);

/*
 * In-cluster configuration: the API server from KUBERNETES_SERVICE_HOST and
 * KUBERNETES_SERVICE_PORT (an IPv6 host is bracketed), and token, ca.crt and namespace
 * from the service account folder (/var/run/secrets/kubernetes.io/serviceaccount).
 */
int kcfg_in_cluster(kcfg *out, char *err, size_t errlen);

/* The same with the folder and the environment's values given, for tests. */
int kcfg_in_cluster_at(const char *sa_dir, const char *host, const char *port, kcfg *out, char *err,
                       size_t errlen);

void kcfg_free(kcfg *c);

/* A deep copy of an exec plugin's settings (NULL when out of memory); free with kcfg_exec_free. */
kcfg_exec *kcfg_exec_dup(const kcfg_exec *e);
void       kcfg_exec_free(kcfg_exec *e);

#endif
