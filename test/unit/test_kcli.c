/* pkg-c/kcli: kcli_merge, kubectl's merge of a colon-separated $KUBECONFIG. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "core/core.h"
#include "kcli/kcli.h"
#include "kubeconfig/kubeconfig.h"
#include "test.h"


static void
write_file(const char *dir, const char *name, const char *text)
{
    char  path[512];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    ASSERT((f = fopen(path, "w")) != NULL);
    fputs(text, f);
    fclose(f);
}


static void
remove_file(const char *dir, const char *name)
{
    char path[512];

    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path);
}


/* The merged kcfg of list for context (NULL: current-context). */
static int
merged(const char *list, const char *context, kcfg *c, int *nfiles)
{
    char *text = NULL, err[512];
    int   rc;

    memset(c, 0, sizeof *c);
    ASSERT_EQ(kcli_merge(list, &text, nfiles, err, sizeof err), CORE_OK);
    rc = kcfg_parse(text, strlen(text), "$KUBECONFIG", NULL, context, c, err, sizeof err);
    free(text);
    return rc;
}


TEST(kcli_merge_first_file_wins_maps_merge_by_name_paths_resolve_per_file)
{
    char tmpl[] = "/tmp/dbaas-kcli-XXXXXX", sub[64], list[1024], err[256], *text;
    kcfg c;
    int  n;

    ASSERT(mkdtemp(tmpl) != NULL);
    snprintf(sub, sizeof sub, "%s/b", tmpl);
    ASSERT_EQ(mkdir(sub, 0700), 0);
    /* a: no current-context; cluster "shared" and user "alice" with a token. */
    write_file(tmpl, "a",
               "apiVersion: v1\nkind: Config\n"
               "clusters:\n- name: shared\n  cluster: {server: 'https://a.example:6443'}\n"
               "users:\n- name: alice\n  user: {token: from-a}\n"
               "contexts:\n- name: ctx-a\n  context: {cluster: shared, user: alice, namespace: na}\n");
    /* b/config: sets current-context; redefines "shared" (a's wins); its own cluster "cb"
     * with a CA file relative to b/; a context using a's user. */
    write_file(sub, "ca.crt", "CA-OF-B");
    write_file(sub, "config",
               "apiVersion: v1\nkind: Config\ncurrent-context: ctx-b\n"
               "clusters:\n- name: shared\n  cluster: {server: 'https://b.example:6443'}\n"
               "- name: cb\n  cluster: {server: 'https://cb.example:6443', certificate-authority: ca.crt}\n"
               "users:\n- name: alice\n  user: {token: from-b}\n"
               "contexts:\n- name: ctx-b\n  context: {cluster: cb, user: alice, namespace: nb}\n"
               "- name: ctx-a\n  context: {cluster: cb, user: alice}\n");
    /* c: also sets current-context, too late to count. */
    write_file(tmpl, "c", "apiVersion: v1\nkind: Config\ncurrent-context: ctx-a\n");
    snprintf(list, sizeof list, "%s/missing::%s/a:%s/config:%s/c", tmpl, tmpl, sub, tmpl);

    /* The merged document itself: one "shared" (a's), one current-context (b's). */
    ASSERT_EQ(kcli_merge(list, &text, &n, err, sizeof err), CORE_OK);
    {
        cJSON *doc = cJSON_Parse(text);

        ASSERT(doc != NULL);
        ASSERT_EQ(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "clusters")), 2);
        ASSERT_EQ(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "users")), 1);
        ASSERT_EQ(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "contexts")), 2);
        ASSERT_CONTAINS(text, "\"current-context\":\"ctx-b\"");
        ASSERT(strstr(strstr(text, "current-context") + 1, "current-context") == NULL);
        ASSERT(strstr(text, "from-b") == NULL);
        cJSON_Delete(doc);
    }
    free(text);
    ASSERT_EQ(merged(list, NULL, &c, &n), CORE_OK);
    ASSERT_EQ(n, 3);
    ASSERT_STR(c.context, "ctx-b");
    ASSERT_STR(c.server, "https://cb.example:6443");
    ASSERT_STR(c.namespace, "nb");
    ASSERT_STR(c.token, "from-a");
    ASSERT(c.ca != NULL && c.ca_len == 7 && memcmp(c.ca, "CA-OF-B", 7) == 0);
    kcfg_free(&c);

    ASSERT_EQ(merged(list, "ctx-a", &c, &n), CORE_OK);
    ASSERT_STR(c.server, "https://a.example:6443");
    ASSERT_STR(c.namespace, "na");
    kcfg_free(&c);

    /* None of the files exists: nothing merged, no current-context. */
    snprintf(list, sizeof list, "%s/missing:%s/missing2", tmpl, tmpl);
    ASSERT_EQ(kcli_merge(list, &text, &n, err, sizeof err), CORE_OK);
    ASSERT_EQ(n, 0);
    free(text);

    /* A file that is not YAML names itself. */
    write_file(tmpl, "bad", "clusters: [\n");
    snprintf(list, sizeof list, "%s/a:%s/bad", tmpl, tmpl);
    ASSERT_EQ(kcli_merge(list, &text, &n, err, sizeof err), CORE_EINVAL);
    ASSERT_CONTAINS(err, "/bad: not valid YAML");
    ASSERT(text == NULL);

    remove_file(tmpl, "bad");
    remove_file(tmpl, "a");
    remove_file(tmpl, "c");
    remove_file(sub, "config");
    remove_file(sub, "ca.crt");
    rmdir(sub);
    rmdir(tmpl);
}
