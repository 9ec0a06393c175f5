/* kcli: kubectl's merge of a colon-separated $KUBECONFIG (kcli.h, kcli_merge). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "core/core.h"
#include "kcli.h"
#include "kjson/kjson.h"
#include "kubeconfig/kubeconfig.h"

#define MAX_DEPTH 32
#define PATH_LEN  4096


/* The node as cJSON: mappings as objects (first key wins), sequences as arrays, scalars as
 * strings (kubeconfig reads every value as text). NULL: out of memory or too deep. */
static cJSON *
to_json(yaml_document_t *doc, yaml_node_t *n, int depth)
{
    cJSON *o = NULL, *v;

    if (!n || depth > MAX_DEPTH)
        return NULL;
    if (n->type == YAML_SCALAR_NODE)
        return cJSON_CreateString((const char *)n->data.scalar.value);
    if (n->type == YAML_SEQUENCE_NODE) {
        yaml_node_item_t *it;

        if (!(o = cJSON_CreateArray()))
            return NULL;
        for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
            if (!(v = to_json(doc, yaml_document_get_node(doc, *it), depth + 1)) ||
                !cJSON_AddItemToArray(o, v))
                goto fail;
        }
        return o;
    }
    if (n->type == YAML_MAPPING_NODE) {
        yaml_node_pair_t *p;

        if (!(o = cJSON_CreateObject()))
            return NULL;
        for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
            yaml_node_t *k = yaml_document_get_node(doc, p->key);

            if (!k || k->type != YAML_SCALAR_NODE ||
                cJSON_GetObjectItemCaseSensitive(o, (const char *)k->data.scalar.value))
                continue;
            if (!(v = to_json(doc, yaml_document_get_node(doc, p->value), depth + 1)))
                goto fail;
            if (!cJSON_AddItemToObject(o, (const char *)k->data.scalar.value, v)) {
                cJSON_Delete(v);
                goto fail;
            }
        }
        return o;
    }
    return cJSON_CreateNull();
fail:
    cJSON_Delete(o);
    return NULL;
}


/* The file at path as cJSON (NULL: an empty file). */
static int
read_yaml(const char *path, cJSON **out, char *err, size_t errlen)
{
    yaml_parser_t   parser;
    yaml_document_t doc;
    yaml_node_t    *root;
    char           *text = NULL;
    size_t          len = 0;
    int             rc;

    *out = NULL;
    if ((rc = core_read_file(path, KCFG_MAX_FILE, &text, &len)))
        return core_errf(err, errlen, rc, "kubeconfig %s: %s", path, core_strerror(rc));
    if (!yaml_parser_initialize(&parser)) {
        free(text);
        return core_errf(err, errlen, CORE_ENOMEM, "out of memory");
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = core_errf(err, errlen, CORE_EINVAL, "kubeconfig %s: not valid YAML: %s at line %zu",
                       path, parser.problem ? parser.problem : "parse error",
                       parser.problem_mark.line + 1);
        yaml_parser_delete(&parser);
        free(text);
        return rc;
    }
    root = yaml_document_get_root_node(&doc);
    if (root && root->type != YAML_MAPPING_NODE)
        rc = core_errf(err, errlen, CORE_EINVAL,
                       "kubeconfig %s: not a kubeconfig (the top level is not a mapping)", path);
    else if (root && !(*out = to_json(&doc, root, 0)))
        rc = core_errf(err, errlen, CORE_ENOMEM, "kubeconfig %s: out of memory or nested too deep",
                       path);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    free(text);
    return rc;
}


/* entry[field] made absolute against dir when it is a relative path (clientcmd
 * ResolveLocalPaths: each file's paths are relative to that file's folder). */
static int
resolve(cJSON *entry, const char *field, const char *dir)
{
    cJSON *f = cJSON_GetObjectItemCaseSensitive(entry, field);
    char   full[PATH_LEN];

    if (!cJSON_IsString(f) || !f->valuestring[0] || f->valuestring[0] == '/')
        return CORE_OK;
    if (snprintf(full, sizeof full, "%s/%s", dir, f->valuestring) >= (int)sizeof full)
        return CORE_ETOOBIG;
    return cJSON_ReplaceItemInObjectCaseSensitive(entry, field, cJSON_CreateString(full))
             ? CORE_OK
             : CORE_ENOMEM;
}


/* Whether list holds an entry named name. */
static int
has_name(const cJSON *list, const char *name)
{
    const cJSON *it;

    cJSON_ArrayForEach(it, list) {
        const char *n = kjson_get_str(it, "name");

        if (n && strcmp(n, name) == 0)
            return 1;
    }
    return 0;
}


/* Adds the named entries of file's list that merged lacks, paths resolved against dir. */
static int
merge_list(cJSON *merged, const cJSON *file, const char *list, const char *inner, const char *dir)
{
    static const char *const paths[] = {"certificate-authority", "client-certificate", "client-key",
                                        "tokenFile"};
    cJSON                   *to = cJSON_GetObjectItemCaseSensitive(merged, list);
    const cJSON             *it;
    size_t                   i;
    int                      rc;

    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(file, list)) {
        const char *name = kjson_get_str(it, "name");
        cJSON      *c;

        if (!name || has_name(to, name))
            continue;
        if (!(c = cJSON_Duplicate(it, 1)))
            return CORE_ENOMEM;
        if (!cJSON_AddItemToArray(to, c)) {
            cJSON_Delete(c);
            return CORE_ENOMEM;
        }
        for (i = 0; i < sizeof paths / sizeof *paths; i++)
            if ((rc = resolve(cJSON_GetObjectItemCaseSensitive(c, inner), paths[i], dir)))
                return rc;
    }
    return CORE_OK;
}


int
kcli_merge(const char *list, char **text, int *nfiles, char *err, size_t errlen)
{
    cJSON      *merged = cJSON_CreateObject(), *file = NULL;
    const char *p = list, *end, *cur;
    char        path[PATH_LEN], dir[PATH_LEN], *slash;
    size_t      n;
    int         rc = CORE_ENOMEM;

    *text = NULL;
    *nfiles = 0;
    if (!merged || !cJSON_AddStringToObject(merged, "apiVersion", "v1") ||
        !cJSON_AddStringToObject(merged, "kind", "Config") ||
        !cJSON_AddArrayToObject(merged, "clusters") || !cJSON_AddArrayToObject(merged, "users") ||
        !cJSON_AddArrayToObject(merged, "contexts")) {
        core_errf(err, errlen, rc, "out of memory");
        goto out;
    }
    for (; p && *p; p = end ? end + 1 : NULL) {
        end = strchr(p, ':');
        n = end ? (size_t)(end - p) : strlen(p);
        if (n == 0)
            continue;
        if (n >= sizeof path) {
            rc = core_errf(err, errlen, CORE_ETOOBIG, "$KUBECONFIG: a path is too long");
            goto out;
        }
        memcpy(path, p, n);
        path[n] = '\0';
        /* As kubectl: files of the list that do not exist are left out. */
        if (access(path, F_OK) != 0)
            continue;
        (*nfiles)++;
        if ((rc = read_yaml(path, &file, err, errlen)))
            goto out;
        if (!file)
            continue;
        snprintf(dir, sizeof dir, "%s", path);
        slash = strrchr(dir, '/');
        if (!slash)
            snprintf(dir, sizeof dir, ".");
        else if (slash == dir)
            slash[1] = '\0';
        else
            *slash = '\0';
        cur = kjson_get_str(file, "current-context");
        if (cur && *cur && !kjson_get_str(merged, "current-context") &&
            !cJSON_AddStringToObject(merged, "current-context", cur)) {
            rc = core_errf(err, errlen, CORE_ENOMEM, "out of memory");
            goto out;
        }
        if ((rc = merge_list(merged, file, "clusters", "cluster", dir)) ||
            (rc = merge_list(merged, file, "users", "user", dir)) ||
            (rc = merge_list(merged, file, "contexts", "context", dir))) {
            core_errf(err, errlen, rc, "kubeconfig %s: %s", path, core_strerror(rc));
            goto out;
        }
        cJSON_Delete(file);
        file = NULL;
    }
    rc = CORE_OK;
    if (!(*text = cJSON_PrintUnformatted(merged)))
        rc = core_errf(err, errlen, CORE_ENOMEM, "out of memory");
out:
    cJSON_Delete(file);
    cJSON_Delete(merged);
    return rc;
}
