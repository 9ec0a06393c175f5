/*
 * kcli: synchronous Kubernetes requests for command-line tools (kubectl-dbaas).
 *
 * The kube client is asynchronous on a libuv loop; a command-line tool wants one answer
 * after another. A kcli owns a private loop and a kube client on it; each call starts one
 * request and runs the loop until that request has ended, so the caller sees a plain
 * function that returns. Never use a kcli from inside a loop of your own (the operator):
 * these calls block for as long as the request takes (the client's 30 s timeout at most,
 * plus its 429/503 retries).
 *
 * Configuration as kubectl chooses it (k8s.io/client-go/tools/clientcmd, loading rules):
 * the --kubeconfig path when given; else $KUBECONFIG, a colon-separated list whose files
 * are merged as kubectl merges them (kcli_merge; one file is read as it is); else
 * ~/.kube/config; else, inside a pod
 * (KUBERNETES_SERVICE_HOST set), the in-cluster service account. The context is the one
 * named, else current-context; the default namespace is the context's ("default" unset).
 *
 * Results: every call fills a kcli_result. err is CORE_OK for a 2xx answer; CORE_ENOENT
 * for a 404; CORE_ECONFLICT for a 409; CORE_EHTTP for any other status (status holds it,
 * message the server's Status.message, which for a 403 names the user, verb and
 * resource); any other code is a transport failure, message saying which. Objects handed
 * out are the caller's to cJSON_Delete. Nothing here prints or exits.
 */
#ifndef DBAAS_KCLI_H
#define DBAAS_KCLI_H

#include <cjson/cJSON.h>

#include "kres/kres.h"

#define KCLI_MSG_MAX 512

typedef struct kcli kcli;

typedef struct {
    int  err;
    long status; /* HTTP status, 0 without an answer */
    char message[KCLI_MSG_MAX];
} kcli_result;

/*
 * Loads the configuration (kubeconfig NULL: the search above; context NULL: the current
 * one) and makes a client. On failure *out is NULL and err holds one line naming the file.
 */
int kcli_open(const char *kubeconfig, const char *context, kcli **out, char *err, size_t errlen);

/* The context's namespace ("default" when it names none). Valid until kcli_close. */
const char *kcli_namespace(const kcli *c);

/* The kubeconfig file in use ($KUBECONFIG as it is when several files were merged), or NULL
 * for in-cluster configuration. Valid until kcli_close. */
const char *kcli_kubeconfig_path(const kcli *c);

/*
 * kubectl's merge of the kubeconfig files of a colon-separated list (client-go
 * tools/clientcmd loader.go, ClientConfigLoadingRules.Load; kubectl docs "Organizing Cluster
 * Access Using kubeconfig Files", merging rules): files that do not exist and empty entries
 * are left out; clusters, users and contexts are merged by name, the first file to define a
 * name wins; current-context is the first file's that sets one; relative certificate-authority,
 * client-certificate, client-key and tokenFile paths are made absolute against their own
 * file's folder first (ResolveLocalPaths). Other top-level members (preferences, extensions)
 * are dropped: kcfg reads none of them. On CORE_OK *text is the merged kubeconfig as JSON
 * (which is YAML; for kcfg_parse, base_dir NULL), caller frees; it holds the files' tokens
 * and keys. *nfiles is how many files existed (0: *text is an empty Config). A file that
 * cannot be read or parsed: its error, naming the file, in err.
 */
int kcli_merge(const char *list, char **text, int *nfiles, char *err, size_t errlen);

/* GET one object. On CORE_OK *obj is the object (caller frees); else NULL. */
int kcli_get(kcli *c, const kres *r, const char *ns, const char *name, cJSON **obj, kcli_result *res);

/*
 * GET a collection: ns NULL for all namespaces (of a namespaced resource); query (may be
 * NULL) is appended after '?' as given, already escaped ("labelSelector=a%3Db"). On CORE_OK
 * *list is the List (items in the server's order, namespace then name); else NULL.
 */
int kcli_list(kcli *c, const kres *r, const char *ns, const char *query, cJSON **list,
              kcli_result *res);

/* POST obj to the collection. On CORE_OK *created (when not NULL) is the server's answer. */
int kcli_create(kcli *c, const kres *r, const char *ns, const cJSON *obj, cJSON **created,
                kcli_result *res);

/* Any request: method NULL for GET, path from '/', body NULL or JSON. As above for *answer. */
int kcli_request(kcli *c, const char *method, const char *path, const cJSON *body, cJSON **answer,
                 kcli_result *res);

/* Closes the client, runs the loop until it is freed, and frees c. c may be NULL. */
void kcli_close(kcli *c);

#endif
