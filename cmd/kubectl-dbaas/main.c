/*
 * kubectl-dbaas: `kubectl dbaas`, the plugin for DBInstance, HACluster and DBSnapshot.
 * Installed on PATH as kubectl-dbaas, kubectl runs it for `kubectl dbaas ...`.
 * See usage() and README.md ("kubectl dbaas").
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"
#include "dbi/dbi_controller.h"
#include "hac/hac_controller.h"
#include "kd.h"
#include "kjson/kjson.h"
#include "plugin/plugin.h"
#include "snap/snap_controller.h"

#ifndef KUBECTL_DBAAS_VERSION
#define KUBECTL_DBAAS_VERSION "0.1.0"
#endif
#define OPERATOR_NS     "dbaas-system"
#define OPERATOR_DEPLOY "dbaas-operator"

/* Which flags a subcommand takes, beyond the global ones (-n, --context, --kubeconfig). */
enum {
    F_ALL = 1 << 0,
    F_OUTPUT = 1 << 1,
    F_SHOW = 1 << 2,
    F_PRINT = 1 << 3,
    F_READONLY = 1 << 4,
    F_NAME = 1 << 5,
    F_TO = 1 << 6,
    F_WAIT = 1 << 7,
};

/* The flags above by bit, for usage errors. */
static const char *const flag_names[] = {
    "--all-namespaces", "--output", "--show-password", "--print", "--read-only",
    "--name",           "--to",     "--wait"};

/* The kinds a command's NAME may be (kd_get_target, completion), as bits. */
enum {
    K_DBI = 1 << 0,
    K_HAC = 1 << 1,
    K_SNAP = 1 << 2
};

typedef struct {
    const char *name;
    int         flags;
    int         kinds; /* K_*: what its NAME may be; 0: it takes none */
    int         min_args, max_args;
    const char *usage;
    int (*run)(const kd_opts *o, kcli *c);
} subcommand;

static int run_list(const kd_opts *o, kcli *c);
static int run_credentials(const kd_opts *o, kcli *c);
static int run_version(const kd_opts *o, kcli *c);

static const char global_flags[] =
    "Global flags:\n"
    "  -n, --namespace NS   the namespace (default: the context's)\n"
    "      --context NAME   the kubeconfig context to use\n"
    "      --kubeconfig F   the kubeconfig file (default: $KUBECONFIG, its files merged as\n"
    "                       kubectl merges them, else ~/.kube/config)\n"
    "  -h, --help           this help\n";

static const subcommand subcommands[] = {
    {"list", F_ALL | F_OUTPUT, 0, 0, 0,
     "kubectl dbaas list [-A] [-o json|yaml]\n"
     "  Every DBInstance, HACluster and DBSnapshot of the namespace (-A: of all namespaces) in\n"
     "  one table: kind, name, engine, version, ready, status, primary, endpoint, age.\n"
     "  VERSION is the version running (status.currentVersion; spec.version until one runs),\n"
     "  where kubectl get dbi shows the version asked for (spec.version). STATUS is the phase\n"
     "  (status.phase), as kubectl get shows it: READY True with STATUS Degraded or Failed is a\n"
     "  database that serves but needs attention (kubectl dbaas status NAME says why).\n"
     "  -A, --all-namespaces  list across all namespaces (wins over -n, as in kubectl)\n"
     "  -o, --output FORMAT   json or yaml: the objects as a v1 List\n",
     run_list},
    {"credentials", F_SHOW | F_OUTPUT, K_DBI | K_HAC, 1, 1,
     "kubectl dbaas credentials NAME|TYPE/NAME [--show-password] [-o json|yaml]\n"
     "  The connection details of the DBInstance or HACluster NAME: username, password, host,\n"
     "  port, database, uri. Passwords are masked unless --show-password. A bare NAME is\n"
     "  looked up as a DBInstance, then an HACluster; TYPE/NAME picks the kind (dbi/, hac/,\n"
     "  dbinstance/, hacluster/, their plurals).\n"
     "      --show-password   print the password and the uris as they are\n",
     run_credentials},
    {"connect", F_PRINT | F_READONLY | F_SHOW, K_DBI | K_HAC, 1, 1,
     "kubectl dbaas connect NAME|TYPE/NAME [--print [--show-password]] [--read-only]\n"
     "  Forwards a free local port to the database's Service (kubectl port-forward) and runs\n"
     "  psql, mariadb or mysql on it, the password in PGPASSWORD or MYSQL_PWD (never on the\n"
     "  command line); the forward stops when the client exits. With TLS on, the client checks\n"
     "  the server's chain against the Secret's ca.crt (a private temporary file; not the\n"
     "  name, which cannot match 127.0.0.1). NAME and TYPE/NAME as for credentials. The\n"
     "  forward needs a pod kubectl can reach (not on a cluster of simulated nodes, kwok).\n"
     "      --print           print the commands and environment instead of running them\n"
     "      --read-only       an HACluster's read-only endpoint (its replicas)\n"
     "  Environment: " PLUGIN_FORWARD_ENV " replaces the forward: a command run with\n"
     "  sh -c, given DBAAS_NAMESPACE, DBAAS_SERVICE, DBAAS_LOCAL_PORT, DBAAS_REMOTE_PORT.\n",
     kd_connect},
    {"status", F_OUTPUT, K_DBI | K_HAC | K_SNAP, 1, 1,
     "kubectl dbaas status NAME|TYPE/NAME [-o json|yaml]\n"
     "  The DBInstance, HACluster or DBSnapshot NAME in depth: conditions with reasons, its\n"
     "  children (StatefulSet or Zalando postgresql, pods, claims, Secret; a DBSnapshot's\n"
     "  VolumeSnapshot and source instance), snapshots, last Events. A bare NAME is looked up\n"
     "  as a DBInstance, then an HACluster, then a DBSnapshot; TYPE/NAME picks the kind\n"
     "  (dbinstance/, hacluster/, dbsnapshot/, their plurals, short names dbi/, hac/, dbsnap/).\n"
     "  Colour on a terminal unless NO_COLOR is set.\n"
     "  -o, --output FORMAT   json or yaml: the object and its children as one v1 List\n"
     "                        (the Secret left out)\n",
     kd_status},
    {"snapshot", F_NAME | F_WAIT, K_DBI, 1, 1,
     "kubectl dbaas snapshot NAME|dbi/NAME [--name SNAP] [--wait [--timeout S]]\n"
     "  Creates a DBSnapshot of the DBInstance NAME (named SNAP, else NAME-<random>).\n"
     "      --name SNAP       the DBSnapshot's name\n"
     "      --wait            follow it until it is ready to use (--timeout, default 600 s)\n",
     kd_snapshot},
    {"restore", F_TO | F_WAIT, 0, 1, 1,
     "kubectl dbaas restore SNAP --to NEWNAME [--wait [--timeout S]]\n"
     "  Creates the DBInstance NEWNAME from the DBSnapshot SNAP: engine, version, size,\n"
     "  database and username from the snapshot. The data holds the source's passwords: the\n"
     "  operator needs the source instance's Secret (SOURCE-credentials, still the source's)\n"
     "  or spec.credentialsSecretRef on NEWNAME naming a Secret with them (password, and\n"
     "  superuser-password for mysql and mariadb); without either NEWNAME is Stalled.\n"
     "      --to NEWNAME      the new DBInstance (required)\n"
     "      --wait            follow it until it is Ready (--timeout, default 600 s)\n",
     kd_restore},
    {"version", 0, 0, 0, 0,
     "kubectl dbaas version\n"
     "  The plugin's version, and the operator's from its Deployment " OPERATOR_NS
     "/" OPERATOR_DEPLOY ".\n",
     run_version},
    {"completion", 0, 0, 1, 1,
     "kubectl dbaas completion bash\n"
     "  A bash completion script: source <(kubectl dbaas completion bash)\n",
     NULL},
};

#define NSUB (sizeof subcommands / sizeof *subcommands)


static void
usage(FILE *f)
{
    size_t i;

    fprintf(f, "kubectl dbaas: DBInstance, HACluster and DBSnapshot from the command line.\n\n"
               "Commands:\n");
    for (i = 0; i < NSUB; i++) {
        const char *u = subcommands[i].usage;

        fprintf(f, "  %.*s\n", (int)strcspn(u, "\n"), u);
    }
    fprintf(f, "\n%s\nRun kubectl dbaas COMMAND --help for a command's flags.\n", global_flags);
}


int
kd_error(const char *fmt, ...)
{
    va_list ap;

    fputs("error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return KD_FAIL;
}


int
kd_fail(const char *verb, const kres *res, const char *ns, const char *name, const kcli_result *r)
{
    char what[512], where[320] = "";

    if (res->group[0])
        snprintf(what, sizeof what, "%s.%s", res->resource, res->group);
    else
        snprintf(what, sizeof what, "%s", res->resource);
    if (ns && res->namespaced)
        snprintf(where, sizeof where, " in namespace \"%s\"", ns);
    if (r->err == CORE_ENOENT && name)
        return kd_error("%s \"%s\" not found%s", res->kind, name, where);
    if (r->err == CORE_ENOENT)
        return kd_error("the server does not serve %s: are the dbaas.dev CRDs installed?", what);
    if (r->status == 403)
        return kd_error("forbidden: cannot %s %s%s%s%s%s: %s", verb, what, name ? " \"" : "",
                        name ? name : "", name ? "\"" : "", where, r->message);
    if (r->status == 401)
        return kd_error("unauthorized: %s", r->message);
    return kd_error("%s %s%s%s%s%s: %s", verb, what, name ? " \"" : "", name ? name : "",
                    name ? "\"" : "", where, r->message);
}


const char *
kd_ns(const kd_opts *o, kcli *c)
{
    return o->namespace ? o->namespace : kcli_namespace(c);
}


/* The kinds subcommand cmd takes (K_*), 0 for none or an unknown one. */
static int
kinds_of(const char *cmd)
{
    size_t i;

    for (i = 0; cmd && i < NSUB; i++)
        if (strcmp(subcommands[i].name, cmd) == 0)
            return subcommands[i].kinds;
    return 0;
}


int
kd_get_target(kcli *c, const char *ns, const char *cmd, const char *arg, cJSON **obj, const kres **res)
{
    static const kres *const order[] = {&KRES_DBINSTANCES, &KRES_HACLUSTERS, &KRES_DBSNAPSHOTS};
    const char              *kind, *name;
    char                     err[512], which[64] = "";
    kcli_result              r;
    size_t                   i, n = 0, left;
    int                      kinds = kinds_of(cmd);

    if (plugin_target(arg, &kind, &name, err, sizeof err)) {
        kd_error("%s", err);
        return KD_USAGE;
    }
    /* "DBInstance, HACluster or DBSnapshot": the kinds the command takes. */
    for (i = 0; i < 3; i++)
        n += (kinds & (1 << i)) != 0;
    for (i = 0, left = n; i < 3; i++) {
        if (!(kinds & (1 << i)))
            continue;
        left--;
        snprintf(which + strlen(which), sizeof which - strlen(which), "%s%s", order[i]->kind,
                 left > 1    ? ", "
                 : left == 1 ? " or "
                             : "");
    }
    for (i = 0; kind && i < 3; i++)
        if (strcmp(kind, order[i]->kind) == 0 && !(kinds & (1 << i))) {
            /* "an HACluster": said aitch-A-cluster; the other kinds start with D. */
            kd_error("%s takes a %s, not %s %s (\"%s\")", cmd, which, kind[0] == 'H' ? "an" : "a",
                     kind, arg);
            return KD_USAGE;
        }
    for (i = 0; i < 3; i++) {
        if (!(kinds & (1 << i)) || (kind && strcmp(kind, order[i]->kind) != 0))
            continue;
        *res = order[i];
        if (kcli_get(c, order[i], ns, name, obj, &r) == CORE_OK)
            return KD_OK;
        /* A kind whose CRD is not served (HACluster without Zalando) is not this one either. */
        if (kind || r.err != CORE_ENOENT)
            return kd_fail("get", order[i], ns, name, &r);
    }
    return kd_error("%s \"%s\" not found in namespace \"%s\"", which, name, ns);
}


/* Whether obj has a controller ownerReference naming uid (metav1.OwnerReference). */
static int
controlled_by(const cJSON *obj, const char *uid)
{
    const cJSON *ref;

    cJSON_ArrayForEach(ref, kjson_path(obj, "metadata", "ownerReferences", NULL)) {
        const char *u = kjson_get_str(ref, "uid");

        if (uid && u && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ref, "controller")) &&
            strcmp(u, uid) == 0)
            return 1;
    }
    return 0;
}


int
kd_get_secret(kcli *c, const cJSON *obj, cJSON **secret)
{
    const char *ns = kjson_path_str(obj, "metadata", "namespace", NULL);
    const char *name = kjson_path_str(obj, "status", "connectionSecret", NULL);
    char        def[300];
    kcli_result r;

    if (!name) {
        snprintf(def, sizeof def, "%s-credentials", kjson_path_str(obj, "metadata", "name", NULL));
        name = def;
    }
    if (kcli_get(c, &KRES_SECRETS, ns, name, secret, &r))
        return kd_fail("get", &KRES_SECRETS, ns, name, &r);
    /* Only the Secret the object controls: one of that name made by someone else is what the
     * operator refuses as ChildConflict, and its contents are not this database's. */
    if (!controlled_by(*secret, kjson_path_str(obj, "metadata", "uid", NULL))) {
        cJSON_Delete(*secret);
        *secret = NULL;
        return kd_error("Secret \"%s\" in namespace \"%s\" is not %s \"%s\"'s (no ownerReference "
                        "to it; see its Ready condition): not shown",
                        name, ns,
                        kjson_get_str(obj, "kind") ? kjson_get_str(obj, "kind") : "the object",
                        kjson_path_str(obj, "metadata", "name", NULL));
    }
    return KD_OK;
}


int
kd_print(int rc, void *buf)
{
    core_buf *b = buf;

    if (!rc && b->data)
        fwrite(b->data, 1, b->len, stdout);
    if (b->data)
        OPENSSL_cleanse(b->data, b->len);
    core_buf_free(b);
    if (rc)
        return kd_error("could not format the output: %s", core_strerror(rc));
    return fflush(stdout) == 0 ? KD_OK : KD_FAIL;
}


static int
print_obj(const char *format, const cJSON *obj)
{
    core_buf b;

    core_buf_init(&b, PLUGIN_OUT_MAX);
    return kd_print(strcmp(format, "json") == 0 ? plugin_json(obj, &b) : plugin_yaml(obj, &b), &b);
}


/* --- list ----------------------------------------------------------------------------------- */

static int
run_list(const kd_opts *o, kcli *c)
{
    static const kres *const kinds[] = {&KRES_DBINSTANCES, &KRES_HACLUSTERS, &KRES_DBSNAPSHOTS};
    const char              *ns = o->all_namespaces ? NULL : kd_ns(o, c);
    cJSON                   *lists[3] = {NULL, NULL, NULL}, *list = NULL;
    const cJSON            **items = NULL;
    plugin_row              *rows = NULL;
    size_t                   n = 0, i, k, served = 0;
    kcli_result              r;
    core_buf                 b;
    int                      rc = KD_FAIL;

    for (k = 0; k < 3; k++) {
        if (kcli_list(c, kinds[k], ns, NULL, &lists[k], &r) == CORE_OK) {
            served++;
            n += (size_t)cJSON_GetArraySize(kjson_path(lists[k], "items", NULL));
            continue;
        }
        /* A kind whose CRD is not installed (HACluster without Zalando) is left out. */
        if (r.err != CORE_ENOENT) {
            rc = kd_fail("list", kinds[k], ns, NULL, &r);
            goto out;
        }
    }
    if (!served) {
        rc = kd_fail("list", kinds[0], ns, NULL, &r);
        goto out;
    }
    if (!(items = calloc(n + 1, sizeof *items)) || !(rows = calloc(n + 1, sizeof *rows))) {
        rc = kd_error("out of memory");
        goto out;
    }
    n = 0;
    for (k = 0; k < 3; k++) {
        const cJSON *it;

        cJSON_ArrayForEach(it, kjson_path(lists[k], "items", NULL)) {
            /* Items of a List carry no kind: put it back, as kubectl does. */
            if (!cJSON_GetObjectItemCaseSensitive(it, "kind"))
                cJSON_AddStringToObject((cJSON *)it, "kind", kinds[k]->kind);
            if (!cJSON_GetObjectItemCaseSensitive(it, "apiVersion"))
                cJSON_AddStringToObject((cJSON *)it, "apiVersion", "dbaas.dev/v1alpha1");
            items[n++] = it;
        }
    }
    if (o->output) {
        if (!(list = plugin_list_of(items, n))) {
            rc = kd_error("out of memory");
            goto out;
        }
        rc = print_obj(o->output, list);
        goto out;
    }
    if (n == 0) {
        if (ns)
            fprintf(stderr, "No resources found in %s namespace.\n", ns);
        else
            fprintf(stderr, "No resources found\n");
        rc = KD_OK;
        goto out;
    }
    for (i = 0; i < n; i++)
        plugin_row_of(items[i], (int64_t)time(NULL), &rows[i]);
    core_buf_init(&b, PLUGIN_OUT_MAX);
    rc = kd_print(plugin_table(rows, n, o->all_namespaces, &b), &b);
out:
    for (k = 0; k < 3; k++)
        cJSON_Delete(lists[k]);
    cJSON_Delete(list);
    free(items);
    free(rows);
    return rc;
}


/* --- credentials ------------------------------------------------------------------------------ */

static int
run_credentials(const kd_opts *o, kcli *c)
{
    const char *ns = kd_ns(o, c);
    const kres *res;
    cJSON      *obj = NULL, *secret = NULL, *creds = NULL;
    char        err[512];
    core_buf    b;
    int         rc;

    if ((rc = kd_get_target(c, ns, "credentials", o->args[0], &obj, &res)) ||
        (rc = kd_get_secret(c, obj, &secret)))
        goto out;
    if (plugin_credentials(secret, o->show_password, &creds, err, sizeof err)) {
        rc = kd_error("%s", err);
        goto out;
    }
    if (o->output) {
        rc = print_obj(o->output, creds);
    } else {
        core_buf_init(&b, PLUGIN_OUT_MAX);
        rc = kd_print(plugin_kv_text(creds, &b), &b);
    }
out:
    if (creds) {
        char *text = cJSON_PrintUnformatted(creds);

        if (text)
            OPENSSL_cleanse(text, strlen(text));
        free(text);
    }
    cJSON_Delete(creds);
    cJSON_Delete(secret);
    cJSON_Delete(obj);
    return rc;
}


/* --- version ---------------------------------------------------------------------------------- */

static int
run_version(const kd_opts *o, kcli *c)
{
    static const kres deployments = {"apps", "v1", "deployments", "Deployment", 1};
    cJSON            *d = NULL, *ct;
    kcli_result       r;
    const char       *image = NULL;

    (void)o;
    printf("plugin: kubectl-dbaas %s\n", KUBECTL_DBAAS_VERSION);
    if (!c) {
        printf("operator: unknown (no cluster configuration)\n");
        return KD_OK;
    }
    if (kcli_get(c, &deployments, OPERATOR_NS, OPERATOR_DEPLOY, &d, &r) == CORE_OK) {
        cJSON_ArrayForEach(ct, kjson_path(d, "spec", "template", "spec", "containers", NULL)) {
            if (!image)
                image = kjson_get_str(ct, "image");
        }
        printf("operator: %s (Deployment %s/%s, %d/%d ready)\n", image ? image : "unknown",
               OPERATOR_NS, OPERATOR_DEPLOY,
               kjson_int_or(kjson_path(d, "status", "readyReplicas", NULL), 0, 1 << 20, 0),
               kjson_int_or(kjson_path(d, "spec", "replicas", NULL), 0, 1 << 20, 1));
    } else if (r.err == CORE_ENOENT) {
        printf("operator: not found (no Deployment %s/%s)\n", OPERATOR_NS, OPERATOR_DEPLOY);
    } else {
        printf("operator: unknown (%s)\n", r.message);
    }
    cJSON_Delete(d);
    return KD_OK;
}


/* --- completion ------------------------------------------------------------------------------- */

static int
completion(const char *shell)
{
    if (strcmp(shell, "bash") != 0) {
        fprintf(stderr, "error: completion for %s is not supported (bash only)\n", shell);
        return KD_USAGE;
    }
    fputs("# kubectl dbaas completion: source <(kubectl dbaas completion bash)\n"
          "_kubectl_dbaas() {\n"
          "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} sub= i ns= w t k\n"
          "    for ((i = 1; i < COMP_CWORD; i++)); do\n"
          "        case ${COMP_WORDS[i]} in\n"
          "        -n|--namespace) ns=\"-n ${COMP_WORDS[i+1]}\"; i=$((i + 1)) ;;\n"
          "        --namespace=*) ns=\"-n ${COMP_WORDS[i]#*=}\" ;;\n"
          "        -n?*) w=${COMP_WORDS[i]#-n}; ns=\"-n ${w#=}\" ;;\n"
          "        --context|--kubeconfig|-o|--output|--name|--to|--timeout) i=$((i + 1)) ;;\n"
          "        -*) ;;\n"
          "        dbaas) ;;\n"
          "        *) [ -n \"$sub\" ] || sub=${COMP_WORDS[i]} ;;\n"
          "        esac\n"
          "    done\n"
          "    case $prev in\n"
          "    -o|--output) COMPREPLY=($(compgen -W 'json yaml' -- \"$cur\")); return ;;\n"
          "    -n|--namespace) COMPREPLY=($(compgen -W \"$(kubectl get namespaces -o "
          "name 2>/dev/null | sed 's|.*/||')\" -- \"$cur\")); return ;;\n"
          "    esac\n"
          "    if [[ $cur == -* ]]; then\n"
          "        COMPREPLY=($(compgen -W '--namespace --context --kubeconfig --help "
          "--all-namespaces --output --show-password --print --read-only --name --wait "
          "--to --timeout' -- \"$cur\")); return\n"
          "    fi\n"
          "    # TYPE/NAME where the command takes TYPE's kind (kd_get_target)\n"
          "    if [[ $cur == */* ]]; then\n"
          "        t=${cur%%/*}; k=${t,,}; k=${k%.dbaas.dev}\n"
          "        case $sub:$k in\n"
          "        status:dbi|status:dbinstance|status:dbinstances|status:hac|status:hacluster|"
          "status:haclusters|status:dbsnap|status:dbsnapshot|status:dbsnapshots) ;;\n"
          "        connect:dbi|connect:dbinstance|connect:dbinstances|connect:hac|connect:hacluster|"
          "connect:haclusters) ;;\n"
          "        credentials:dbi|credentials:dbinstance|credentials:dbinstances|credentials:hac|"
          "credentials:hacluster|credentials:haclusters) ;;\n"
          "        snapshot:dbi|snapshot:dbinstance|snapshot:dbinstances) ;;\n"
          "        *) return ;;\n"
          "        esac\n"
          "        COMPREPLY=($(compgen -W \"$(kubectl get \"$k\" $ns -o name 2>/dev/null "
          "| sed \"s|.*/|$t/|\")\" -- \"$cur\")); return\n"
          "    fi\n"
          "    case $sub in\n"
          "    '') COMPREPLY=($(compgen -W 'list status connect credentials snapshot restore "
          "version completion' -- \"$cur\")) ;;\n"
          "    completion) COMPREPLY=($(compgen -W bash -- \"$cur\")) ;;\n"
          "    restore) COMPREPLY=($(compgen -W \"$(kubectl get dbsnapshots $ns -o name "
          "2>/dev/null | sed 's|.*/||')\" -- \"$cur\")) ;;\n"
          "    status) COMPREPLY=($(compgen -W \"$(kubectl get dbinstances,haclusters,dbsnapshots "
          "$ns -o name 2>/dev/null | sed 's|.*/||')\" -- \"$cur\")) ;;\n"
          "    connect|credentials|snapshot) COMPREPLY=($(compgen -W \"$(kubectl get "
          "dbinstances,haclusters $ns -o name 2>/dev/null | sed 's|.*/||')\" -- \"$cur\")) ;;\n"
          "    esac\n"
          "}\n"
          "complete -F _kubectl_dbaas kubectl-dbaas\n"
          "complete -F _kubectl_dbaas kubectl_dbaas\n",
          stdout);
    return KD_OK;
}


/* --- kubectl's completion of plugins ----------------------------------------------------------- */

static void
candidate(const char *word, const char *cur)
{
    if (strncmp(word, cur, strlen(cur)) == 0)
        printf("%s\n", word);
}


/*
 * The names of res in ns that start with cur, one a line, each after "type/" when type is
 * not NULL; nothing when they cannot be read.
 */
static void
names(const char *kubeconfig, const char *context, const char *ns, const kres *res,
      const char *type, const char *cur)
{
    kcli       *c = NULL;
    cJSON      *list = NULL, *it;
    kcli_result r;
    char        err[256];

    if (kcli_open(kubeconfig, context, &c, err, sizeof err))
        return;
    if (kcli_list(c, res, ns ? ns : kcli_namespace(c), NULL, &list, &r) == CORE_OK)
        cJSON_ArrayForEach(it, kjson_path(list, "items", NULL)) {
            const char *name = kjson_path_str(it, "metadata", "name", NULL);

            if (name && strncmp(name, cur, strlen(cur)) == 0)
                printf("%s%s%s\n", type ? type : "", type ? "/" : "", name);
        }
    cJSON_Delete(list);
    kcli_close(c);
}


/*
 * What a NAME argument of a command taking kinds (K_*) may be: the names of those kinds for
 * a bare cur, or for cur "TYPE/..." the names of TYPE's kind as "TYPE/NAME" when the
 * command takes that kind (kd_get_target's rules).
 */
static void
targets(const char *kubeconfig, const char *context, const char *ns, int kinds, const char *cur)
{
    static const kres *const order[] = {&KRES_DBINSTANCES, &KRES_HACLUSTERS, &KRES_DBSNAPSHOTS};
    const char              *slash = strchr(cur, '/'), *kind, *name;
    char                     type[64], probe[80], err[256];
    size_t                   i;

    for (i = 0; i < 3; i++) {
        if (!(kinds & (1 << i)))
            continue;
        if (!slash) {
            names(kubeconfig, context, ns, order[i], NULL, cur);
            continue;
        }
        snprintf(type, sizeof type, "%.*s", (int)(slash - cur), cur);
        snprintf(probe, sizeof probe, "%s/x", type);
        if (plugin_target(probe, &kind, &name, err, sizeof err) == CORE_OK &&
            strcmp(kind, order[i]->kind) == 0)
            names(kubeconfig, context, ns, order[i], type, slash + 1);
    }
}


/*
 * `kubectl dbaas __complete ARGS... CUR` (and the same binary named kubectl_complete-dbaas,
 * which kubectl 1.26 and later runs to complete `kubectl dbaas ...`): Cobra's protocol, one
 * candidate a line, then ":4" (no file completion).
 */
static int
complete(int argc, char **argv)
{
    static const char *const valued[] = {"-n",           "--namespace", "--context",
                                         "--kubeconfig", "-o",          "--output",
                                         "--name",       "--to",        "--timeout"};
    static const char *const flags[] = {
        "--namespace", "--context",       "--kubeconfig", "--help",      "--all-namespaces",
        "--output",    "--show-password", "--print",      "--read-only", "--name",
        "--to",        "--wait",          "--timeout"};
    const char *cur = argc > 0 ? argv[argc - 1] : "", *prev = argc > 1 ? argv[argc - 2] : "";
    const char *sub = NULL, *ns = NULL, *ctx = NULL, *kc = NULL;
    int         i, positional = 0;
    size_t      k;

    for (i = 0; i < argc - 1; i++) {
        int takes = 0;

        for (k = 0; k < sizeof valued / sizeof *valued; k++)
            takes |= strcmp(argv[i], valued[k]) == 0;
        if (takes && i + 1 < argc - 1) {
            if (strcmp(argv[i], "-n") == 0 || strcmp(argv[i], "--namespace") == 0)
                ns = argv[i + 1];
            if (strcmp(argv[i], "--context") == 0)
                ctx = argv[i + 1];
            if (strcmp(argv[i], "--kubeconfig") == 0)
                kc = argv[i + 1];
            i++;
        } else if (strncmp(argv[i], "--namespace=", 12) == 0) {
            ns = argv[i] + 12;
        } else if (strncmp(argv[i], "-n", 2) == 0 && argv[i][2]) {
            ns = plugin_short_value(argv[i] + 2);
        } else if (strncmp(argv[i], "--context=", 10) == 0) {
            ctx = argv[i] + 10;
        } else if (strncmp(argv[i], "--kubeconfig=", 13) == 0) {
            kc = argv[i] + 13;
        } else if (argv[i][0] != '-') {
            if (!sub)
                sub = argv[i];
            else
                positional++;
        }
    }
    if (strcmp(prev, "-o") == 0 || strcmp(prev, "--output") == 0) {
        candidate("json", cur);
        candidate("yaml", cur);
    } else if (cur[0] == '-') {
        for (k = 0; k < sizeof flags / sizeof *flags; k++)
            candidate(flags[k], cur);
    } else if (!sub) {
        for (k = 0; k < NSUB; k++)
            candidate(subcommands[k].name, cur);
    } else if (positional == 0 && strcmp(sub, "completion") == 0) {
        candidate("bash", cur);
    } else if (positional == 0 && strcmp(sub, "restore") == 0) {
        names(kc, ctx, ns, &KRES_DBSNAPSHOTS, NULL, cur);
    } else if (positional == 0) {
        targets(kc, ctx, ns, kinds_of(sub), cur);
    }
    printf(":4\n");
    return KD_OK;
}


/* --- options ---------------------------------------------------------------------------------- */

static int
bad_usage(const subcommand *s, const char *fmt, const char *arg)
{
    fprintf(stderr, "error: ");
    fprintf(stderr, fmt, arg);
    if (s)
        fprintf(stderr, "\nusage: %.*s\n", (int)strcspn(s->usage, "\n"), s->usage);
    else
        fprintf(stderr, "\nRun kubectl dbaas --help for the commands.\n");
    return KD_USAGE;
}


/* A bool flag's value: NULL (given bare) is true, else as pflag parses it. 0 or KD_USAGE. */
static int
bool_flag(const char *flag, const char *value, int *dst)
{
    if (!value) {
        *dst = 1;
        return 0;
    }
    if (plugin_parse_bool(value, dst) == CORE_OK)
        return 0;
    fprintf(stderr,
            "error: invalid argument \"%s\" for %s (want 1, t, T, TRUE, true, True, 0, f, F, "
            "FALSE, false or False)\nRun kubectl dbaas --help for the commands.\n",
            value, flag);
    return KD_USAGE;
}


/*
 * -A=VALUE and -h=VALUE, which pflag reads as the bool flag with that value (flag.go,
 * parseSingleShortArg: "-f=arg"), made into their long forms for getopt, which would read
 * "-A=false" as -A followed by an unknown flag "-=". Values of flags that take one and
 * everything after "--" are left alone. 0, or KD_USAGE with the error printed.
 */
static int
short_bools(int argc, char **argv)
{
    static char all_true[] = "--all-namespaces=true", all_false[] = "--all-namespaces=false";
    static char help_true[] = "--help=true", help_false[] = "--help=false";
    int         i, v;

    for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "-n") == 0 || strcmp(argv[i], "-o") == 0 ||
            (strncmp(argv[i], "--", 2) == 0 && !strchr(argv[i], '=') &&
             (strcmp(argv[i], "--namespace") == 0 || strcmp(argv[i], "--context") == 0 ||
              strcmp(argv[i], "--kubeconfig") == 0 || strcmp(argv[i], "--output") == 0 ||
              strcmp(argv[i], "--name") == 0 || strcmp(argv[i], "--to") == 0 ||
              strcmp(argv[i], "--timeout") == 0))) {
            i++;
            continue;
        }
        if ((strncmp(argv[i], "-A=", 3) != 0 && strncmp(argv[i], "-h=", 3) != 0) || !argv[i][3])
            continue;
        if (plugin_parse_bool(argv[i] + 3, &v))
            return bool_flag(argv[i][1] == 'A' ? "-A" : "-h", argv[i] + 3, &v);
        argv[i] = argv[i][1] == 'A' ? (v ? all_true : all_false) : (v ? help_true : help_false);
    }
    return 0;
}


int
main(int argc, char **argv)
{
    /* Bool flags take an optional "=VALUE" as pflag's do (NoOptDefVal "true": "--flag=false"
     * is false, "--flag false" is the flag then an argument). */
    static const struct option longs[] = {
        {"namespace", required_argument, NULL, 'n'},
        {"all-namespaces", optional_argument, NULL, 'A'},
        {"context", required_argument, NULL, 'c'},
        {"kubeconfig", required_argument, NULL, 'k'},
        {"output", required_argument, NULL, 'o'},
        {"help", optional_argument, NULL, 'h'},
        {"show-password", optional_argument, NULL, 's'},
        {"print", optional_argument, NULL, 'p'},
        {"read-only", optional_argument, NULL, 'r'},
        {"name", required_argument, NULL, 'N'},
        {"to", required_argument, NULL, 't'},
        {"wait", optional_argument, NULL, 'w'},
        {"timeout", required_argument, NULL, 'T'},
        {NULL, 0, NULL, 0},
    };
    kd_opts           o;
    const subcommand *s = NULL;
    kcli             *c = NULL;
    char              err[512], *end;
    const char       *val;
    int               opt, used = 0, help = 0, i, rc, li;
    size_t            k;

    if (strcmp(basename(argv[0]), "kubectl_complete-dbaas") == 0)
        return complete(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "__complete") == 0)
        return complete(argc - 2, argv + 2);
    memset(&o, 0, sizeof o);
    o.timeout_s = 600;
    opterr = 0;
    if ((rc = short_bools(argc, argv)))
        return rc;
    while ((li = -1, opt = getopt_long(argc, argv, ":n:Ao:h", longs, &li)) != -1) {
        /* A short flag's attached value: "-n=snap" is namespace "snap", as in kubectl. */
        val = li < 0 && optarg && optarg != argv[optind - 1] ? plugin_short_value(optarg) : optarg;
        rc = 0;
        switch (opt) {
        case 'n': o.namespace = val; break;
        case 'A': rc = bool_flag("--all-namespaces", val, &o.all_namespaces), used |= F_ALL; break;
        case 'c': o.context = val; break;
        case 'k': o.kubeconfig = val; break;
        case 'o': o.output = val, used |= F_OUTPUT; break;
        case 'h': rc = bool_flag("--help", val, &help); break;
        case 's': rc = bool_flag("--show-password", val, &o.show_password), used |= F_SHOW; break;
        case 'p': rc = bool_flag("--print", val, &o.print), used |= F_PRINT; break;
        case 'r': rc = bool_flag("--read-only", val, &o.read_only), used |= F_READONLY; break;
        case 'N': o.name = val, used |= F_NAME; break;
        case 't': o.to = val, used |= F_TO; break;
        case 'w': rc = bool_flag("--wait", val, &o.wait), used |= F_WAIT; break;
        case 'T':
            errno = 0;
            o.timeout_s = strtol(val, &end, 10);
            if (errno || *end || o.timeout_s < 1 || o.timeout_s > 86400)
                return bad_usage(NULL, "--timeout wants seconds from 1 to 86400, not \"%s\"", val);
            used |= F_WAIT;
            break;
        case ':': return bad_usage(NULL, "%s needs a value", argv[optind - 1]);
        default: return bad_usage(NULL, "unknown flag %s", argv[optind - 1]);
        }
        if (rc)
            return rc;
    }
    if (optind < argc) {
        for (k = 0; k < NSUB; k++)
            if (strcmp(argv[optind], subcommands[k].name) == 0)
                s = &subcommands[k];
        if (!s)
            return bad_usage(NULL, "unknown command \"%s\"", argv[optind]);
        optind++;
    }
    if (!s) {
        usage(help ? stdout : stderr);
        return help ? KD_OK : KD_USAGE;
    }
    if (help) {
        printf("%s\n%s", s->usage, global_flags);
        return KD_OK;
    }
    for (i = optind; i < argc; i++) {
        if (o.nargs == (int)(sizeof o.args / sizeof *o.args) || o.nargs >= s->max_args)
            return bad_usage(s, "unexpected argument \"%s\"", argv[i]);
        o.args[o.nargs++] = argv[i];
    }
    if (o.nargs < s->min_args)
        return bad_usage(s, "%s",
                         s->min_args == 1 && strcmp(s->name, "restore") == 0 ? "SNAP is required"
                         : strcmp(s->name, "completion") == 0 ? "the shell is required"
                                                              : "NAME is required");
    for (k = 0; k < sizeof flag_names / sizeof *flag_names; k++)
        if (used & ~s->flags & (1 << k) & ~F_WAIT)
            return bad_usage(s, "%s is not a flag of this command", flag_names[k]);
    if ((used & F_WAIT) && !(s->flags & F_WAIT))
        return bad_usage(s, "%s", "--wait and --timeout are for snapshot and restore");
    if (o.output && strcmp(o.output, "json") != 0 && strcmp(o.output, "yaml") != 0)
        return bad_usage(s, "--output must be json or yaml, not \"%s\"", o.output);
    if (o.show_password && strcmp(s->name, "connect") == 0 && !o.print)
        return bad_usage(s, "%s", "--show-password goes with --print");
    if (strcmp(s->name, "restore") == 0 && !o.to)
        return bad_usage(s, "%s", "--to NEWNAME is required");
    /* As kubectl does (`kubectl get pods -A -n x` lists all namespaces): -A wins over -n. */
    if (o.all_namespaces)
        o.namespace = NULL;
    if (strcmp(s->name, "completion") == 0)
        return completion(o.args[0]);
    if (kcli_open(o.kubeconfig, o.context, &c, err, sizeof err)) {
        if (strcmp(s->name, "version") == 0)
            return run_version(&o, NULL);
        return kd_error("%s", err);
    }
    rc = s->run(&o, c);
    kcli_close(c);
    return rc;
}
