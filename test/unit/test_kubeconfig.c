#include "core/core.h"
#include "kubeconfig/kubeconfig.h"
#include "test.h"

#include <unistd.h>

/* base64 of "CA-PEM", "CERT-PEM", "KEY-PEM" */
#define CA_B64   "Q0EtUEVN"
#define CERT_B64 "Q0VSVC1QRU0="
#define KEY_B64  "S0VZLVBFTQ=="

static const char *good =
    "apiVersion: v1\n"
    "kind: Config\n"
    "current-context: local\n"
    "clusters:\n"
    "- name: other\n"
    "  cluster: {server: 'https://10.9.9.9:6443'}\n"
    "- name: c1\n"
    "  cluster:\n"
    "    server: https://127.0.0.1:6443/\n"
    "    certificate-authority-data: " CA_B64 "\n"
    "users:\n"
    "- name: admin\n"
    "  user:\n"
    "    client-certificate-data: " CERT_B64 "\n"
    "    client-key-data: " KEY_B64 "\n"
    "- name: bot\n"
    "  user: {token: s3cr3t}\n"
    "contexts:\n"
    "- name: local\n"
    "  context: {cluster: c1, user: admin}\n"
    "- name: robot\n"
    "  context: {cluster: other, user: bot, namespace: team-a}\n";


static int
parse(const char *text, const char *context, kcfg *c, char *err, size_t errlen)
{
    return kcfg_parse(text, strlen(text), "test", NULL, context, c, err, errlen);
}


TEST(kubeconfig_current_context_with_inline_data)
{
    kcfg c;
    char err[256];

    ASSERT_EQ(parse(good, NULL, &c, err, sizeof err), CORE_OK);
    ASSERT_STR(c.context, "local");
    ASSERT_STR(c.server, "https://127.0.0.1:6443"); /* trailing slash dropped */
    ASSERT_STR(c.namespace, "default");
    ASSERT_EQ(c.ca_len, 6);
    ASSERT_STR((char *)c.ca, "CA-PEM");
    ASSERT_STR((char *)c.cert, "CERT-PEM");
    ASSERT_STR((char *)c.key, "KEY-PEM");
    ASSERT(c.token == NULL);
    kcfg_free(&c);
}


TEST(kubeconfig_explicit_context_with_token_and_namespace)
{
    kcfg c;
    char err[256];

    ASSERT_EQ(parse(good, "robot", &c, err, sizeof err), CORE_OK);
    ASSERT_STR(c.server, "https://10.9.9.9:6443");
    ASSERT_STR(c.token, "s3cr3t");
    ASSERT_STR(c.namespace, "team-a");
    ASSERT(c.ca == NULL && c.cert == NULL);
    kcfg_free(&c);
}


TEST(kubeconfig_missing_context_is_named)
{
    kcfg c;
    char err[256];

    ASSERT_EQ(parse(good, "nope", &c, err, sizeof err), CORE_ENOENT);
    ASSERT_STR(err, "kubeconfig test: context \"nope\" not found");
    ASSERT(c.server == NULL);
    kcfg_free(&c);
}


static void
expect_error(const char *text, int want_rc, const char *want_msg)
{
    kcfg c;
    char err[256];

    ASSERT_EQ(parse(text, NULL, &c, err, sizeof err), want_rc);
    ASSERT_CONTAINS(err, want_msg);
    ASSERT(strchr(err, '\n') == NULL);
    kcfg_free(&c);
}


TEST(kubeconfig_broken_base64_names_the_field)
{
    expect_error("current-context: x\n"
                 "clusters: [{name: c, cluster: {server: 'https://h:1', certificate-authority-data: 'Q0E*'}}]\n"
                 "contexts: [{name: x, context: {cluster: c}}]\n",
                 CORE_EINVAL, "cluster \"c\": certificate-authority-data is not valid base64");
    expect_error("current-context: x\n"
                 "clusters: [{name: c, cluster: {server: 'https://h:1'}}]\n"
                 "users: [{name: u, user: {client-certificate-data: " CERT_B64
                 ", client-key-data: '!!'}}]\n"
                 "contexts: [{name: x, context: {cluster: c, user: u}}]\n",
                 CORE_EINVAL, "user \"u\": client-key-data is not valid base64");
}


TEST(kubeconfig_structural_errors_are_one_line)
{
    expect_error("clusters: []\n", CORE_EINVAL, "no current-context");
    expect_error("- a\n- b\n", CORE_EINVAL, "top level is not a mapping");
    expect_error("a: [b\n", CORE_EINVAL, "not valid YAML");
    expect_error("current-context: x\ncontexts: [{name: x, context: {cluster: gone}}]\n",
                 CORE_ENOENT, "cluster \"gone\" (of context \"x\") not found");
    expect_error("current-context: x\n"
                 "clusters: [{name: c, cluster: {server: 'https://h:1'}}]\n"
                 "contexts: [{name: x, context: {cluster: c, user: gone}}]\n",
                 CORE_ENOENT, "user \"gone\" (of context \"x\") not found");
    expect_error("current-context: x\n"
                 "clusters: [{name: c, cluster: {}}]\n"
                 "contexts: [{name: x, context: {cluster: c}}]\n",
                 CORE_EINVAL, "cluster \"c\" has no server");
    expect_error("current-context: x\n"
                 "clusters: [{name: c, cluster: {server: 'http://h:1'}}]\n"
                 "contexts: [{name: x, context: {cluster: c}}]\n",
                 CORE_EINVAL, "is not an https:// URL");
}


TEST(kubeconfig_refuses_insecure_and_half_credentials)
{
    expect_error("current-context: x\n"
                 "clusters: [{name: c, cluster: {server: 'https://h:1', insecure-skip-tls-verify: true}}]\n"
                 "contexts: [{name: x, context: {cluster: c}}]\n",
                 CORE_EINVAL, "TLS to the API server is always verified");
    expect_error("current-context: x\n"
                 "clusters: [{name: c, cluster: {server: 'https://h:1'}}]\n"
                 "users: [{name: u, user: {client-certificate-data: " CERT_B64 "}}]\n"
                 "contexts: [{name: x, context: {cluster: c, user: u}}]\n",
                 CORE_EINVAL, "has a client certificate but no client key");
    expect_error("current-context: x\n"
                 "clusters: [{name: c, cluster: {server: 'https://h:1'}}]\n"
                 "users: [{name: u, user: {auth-provider: {name: gcp}}}]\n"
                 "contexts: [{name: x, context: {cluster: c, user: u}}]\n",
                 CORE_EINVAL, "auth-provider plugin, which is not supported");
    expect_error("current-context: x\n"
                 "clusters: [{name: c, cluster: {server: 'https://h:1'}}]\n"
                 "users: [{name: u, user: {exec: {args: [a]}}}]\n"
                 "contexts: [{name: x, context: {cluster: c, user: u}}]\n",
                 CORE_EINVAL, "user \"u\": exec has no command");
}


static void
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    ASSERT(f != NULL);
    fputs(text, f);
    fclose(f);
}


TEST(kubeconfig_file_paths_resolve_next_to_the_kubeconfig)
{
    char tmpl[] = "/tmp/dbaas-kcfg-XXXXXX", path[256], err[256];
    kcfg c;

    ASSERT(mkdtemp(tmpl) != NULL);
    snprintf(path, sizeof path, "%s/ca.crt", tmpl);
    write_file(path, "FILE-CA");
    snprintf(path, sizeof path, "%s/tok", tmpl);
    write_file(path, "file-token\n");
    snprintf(path, sizeof path, "%s/config", tmpl);
    {
        char text[1024];

        snprintf(text, sizeof text,
                 "current-context: x\n"
                 "clusters: [{name: c, cluster: {server: 'https://h:1', certificate-authority: ca.crt}}]\n"
                 "users: [{name: u, user: {tokenFile: %s/tok}}]\n"
                 "contexts: [{name: x, context: {cluster: c, user: u}}]\n",
                 tmpl);
        write_file(path, text);
    }
    ASSERT_EQ(kcfg_load(path, NULL, &c, err, sizeof err), CORE_OK);
    ASSERT_STR((char *)c.ca, "FILE-CA");
    ASSERT_STR(c.token, "file-token"); /* trailing newline trimmed */
    kcfg_free(&c);

    /* A CA file that does not exist is named with its resolved path. */
    snprintf(path, sizeof path, "%s/ca.crt", tmpl);
    unlink(path);
    snprintf(path, sizeof path, "%s/config", tmpl);
    ASSERT_EQ(kcfg_load(path, NULL, &c, err, sizeof err), CORE_ENOENT);
    ASSERT_CONTAINS(err, "certificate-authority");
    ASSERT_CONTAINS(err, "/ca.crt: not found");
    kcfg_free(&c);
    unlink(path);
    snprintf(path, sizeof path, "%s/tok", tmpl);
    unlink(path);
    rmdir(tmpl);
}


TEST(kubeconfig_missing_file_is_one_line)
{
    kcfg c;
    char err[256];

    ASSERT_EQ(kcfg_load("/nonexistent/kubeconfig", NULL, &c, err, sizeof err), CORE_ENOENT);
    ASSERT_STR(err, "kubeconfig /nonexistent/kubeconfig: no such file");
    kcfg_free(&c);
}


TEST(kubeconfig_exec_plugin_is_loaded)
{
    kcfg c;
    char err[256];

    ASSERT_EQ(parse("current-context: x\n"
                    "clusters: [{name: c, cluster: {server: 'https://h:1'}}]\n"
                    "users: [{name: u, user: {exec: {command: get-token, args: [--a, b],\n"
                    "  env: [{name: REGION, value: eu}], apiVersion: client.authentication.k8s.io/v1beta1}}}]\n"
                    "contexts: [{name: x, context: {cluster: c, user: u}}]\n",
                    NULL, &c, err, sizeof err),
              CORE_OK);
    ASSERT(c.exec != NULL);
    ASSERT_STR(c.exec->command, "get-token");
    ASSERT_STR(c.exec->args[0], "--a");
    ASSERT_STR(c.exec->args[1], "b");
    ASSERT(c.exec->args[2] == NULL);
    ASSERT_STR(c.exec->env[0], "REGION=eu");
    ASSERT(c.exec->env[1] == NULL);
    ASSERT_STR(c.exec->api_version, "client.authentication.k8s.io/v1beta1");
    kcfg_free(&c);
}


TEST(kubeconfig_in_cluster_reads_the_service_account)
{
    char tmpl[] = "/tmp/dbaas-sa-XXXXXX", path[256], err[256];
    kcfg c;

    ASSERT(mkdtemp(tmpl) != NULL);
    ASSERT_EQ(kcfg_in_cluster_at(tmpl, NULL, "443", &c, err, sizeof err), CORE_ENOENT);
    ASSERT_CONTAINS(err, "KUBERNETES_SERVICE_HOST");
    ASSERT_EQ(kcfg_in_cluster_at(tmpl, "10.0.0.1", "443", &c, err, sizeof err), CORE_ENOENT);
    ASSERT_CONTAINS(err, "/token: not found");
    snprintf(path, sizeof path, "%s/token", tmpl);
    write_file(path, "sa-token\n");
    snprintf(path, sizeof path, "%s/ca.crt", tmpl);
    write_file(path, "SA-CA");
    snprintf(path, sizeof path, "%s/namespace", tmpl);
    write_file(path, "dbaas-system\n");
    ASSERT_EQ(kcfg_in_cluster_at(tmpl, "fd00::1", "6443", &c, err, sizeof err), CORE_OK);
    ASSERT_STR(c.server, "https://[fd00::1]:6443");
    ASSERT_STR(c.token, "sa-token");
    ASSERT_CONTAINS(c.token_file, "/token");
    ASSERT_STR((char *)c.ca, "SA-CA");
    ASSERT_STR(c.namespace, "dbaas-system");
    kcfg_free(&c);
    ASSERT_EQ(kcfg_in_cluster_at(tmpl, "10.0.0.1", "443", &c, err, sizeof err), CORE_OK);
    ASSERT_STR(c.server, "https://10.0.0.1:443");
    kcfg_free(&c);
    unlink(path);
    snprintf(path, sizeof path, "%s/ca.crt", tmpl);
    unlink(path);
    snprintf(path, sizeof path, "%s/token", tmpl);
    unlink(path);
    rmdir(tmpl);
}
