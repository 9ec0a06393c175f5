/* pkg-c/plugin: the pure parts of kubectl dbaas (test/golden/plugin has whole outputs). */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "plugin/plugin.h"
#include "test.h"

#define NOW 1764547200 /* 2025-12-01T00:00:00Z */


static void
age_is(int64_t s, const char *want)
{
    char buf[32];

    plugin_age(s, buf, sizeof buf);
    ASSERT_STR(buf, want);
}


TEST(plugin_age_is_kubectls_human_duration)
{
    age_is(-5, "<invalid>");
    age_is(-1, "0s");
    age_is(0, "0s");
    age_is(119, "119s");
    age_is(120, "2m");
    age_is(125, "2m5s");
    age_is(599, "9m59s");
    age_is(600, "10m");
    age_is(179 * 60 + 59, "179m");
    age_is(3 * 3600, "3h");
    age_is(3 * 3600 + 5 * 60, "3h5m");
    age_is(8 * 3600 + 5 * 60, "8h");
    age_is(47 * 3600, "47h");
    age_is(49 * 3600, "2d1h");
    age_is(72 * 3600, "3d");
    age_is(8 * 86400, "8d");
    age_is(730LL * 86400, "2y");
    age_is(733LL * 86400, "2y3d");
    age_is(9 * 365LL * 86400, "9y");
}


static cJSON *
parse(const char *s)
{
    cJSON *j = cJSON_Parse(s);

    ASSERT(j != NULL);
    return j;
}


static const char dbi_json[] =
    "{\"kind\":\"DBInstance\",\"metadata\":{\"name\":\"orders\",\"namespace\":\"team-a\","
    "\"creationTimestamp\":\"2025-11-30T23:55:00Z\"},\"spec\":{\"engine\":\"postgresql\","
    "\"version\":\"16\"},\"status\":{\"phase\":\"Degraded\",\"currentVersion\":\"16.4\",\"readyReplicas\":1,"
    "\"endpoint\":\"orders.team-a.svc:5432\",\"conditions\":[{\"type\":\"Ready\","
    "\"status\":\"True\",\"reason\":\"PodReady\"}]}}";


TEST(plugin_rows_of_each_kind)
{
    cJSON     *dbi = parse(dbi_json);
    cJSON     *hac = parse("{\"kind\":\"HACluster\",\"metadata\":{\"name\":\"pay\"},\"spec\":"
                               "{\"version\":\"17\"},\"status\":{\"readyText\":\"2/3\",\"primary\":"
                               "\"pay-1\",\"endpoint\":\"pay.b.svc:5432\"}}");
    cJSON     *snap = parse("{\"kind\":\"DBSnapshot\",\"metadata\":{\"name\":\"s1\"},\"spec\":"
                                "{\"instanceName\":\"orders\"},\"status\":{\"source\":{\"engine\":"
                                "\"mysql\",\"version\":\"8.4\"}}}");
    cJSON     *other = parse("{\"kind\":\"Pod\",\"metadata\":{\"name\":\"x\"}}");
    plugin_row r;

    ASSERT_EQ(plugin_row_of(dbi, NOW, &r), CORE_OK);
    ASSERT_STR(r.cell[PLUGIN_COL_VERSION], "16.4");
    ASSERT_STR(r.cell[PLUGIN_COL_READY], "True");
    /* A Degraded instance whose pod still serves: READY True alone would hide it. */
    ASSERT_STR(r.cell[PLUGIN_COL_STATUS], "Degraded");
    ASSERT_STR(r.cell[PLUGIN_COL_PRIMARY], "orders-0");
    ASSERT_STR(r.cell[PLUGIN_COL_AGE], "5m");
    ASSERT_EQ(plugin_row_of(hac, NOW, &r), CORE_OK);
    ASSERT_STR(r.cell[PLUGIN_COL_ENGINE], "postgresql");
    ASSERT_STR(r.cell[PLUGIN_COL_VERSION], "17");
    ASSERT_STR(r.cell[PLUGIN_COL_READY], "2/3");
    ASSERT_STR(r.cell[PLUGIN_COL_PRIMARY], "pay-1");
    ASSERT_STR(r.cell[PLUGIN_COL_AGE], "<none>");
    ASSERT_EQ(plugin_row_of(snap, NOW, &r), CORE_OK);
    ASSERT_STR(r.cell[PLUGIN_COL_ENGINE], "mysql");
    ASSERT_STR(r.cell[PLUGIN_COL_STATUS], "");
    ASSERT_STR(r.cell[PLUGIN_COL_PRIMARY], "");
    ASSERT_STR(r.cell[PLUGIN_COL_ENDPOINT], "instance/orders");
    ASSERT_EQ(plugin_row_of(other, NOW, &r), CORE_EINVAL);
    cJSON_Delete(dbi);
    cJSON_Delete(hac);
    cJSON_Delete(snap);
    cJSON_Delete(other);
}


TEST(plugin_table_pads_like_kubectl)
{
    plugin_row rows[1];
    cJSON     *dbi = parse(dbi_json);
    core_buf   b;

    ASSERT_EQ(plugin_row_of(dbi, NOW, &rows[0]), CORE_OK);
    core_buf_init(&b, 4096);
    ASSERT_EQ(plugin_table(rows, 1, 0, &b), CORE_OK);
    ASSERT_STR(b.data, "KIND         NAME     ENGINE       VERSION   READY   STATUS     PRIMARY    "
                       "ENDPOINT                 AGE\n"
                       "DBInstance   orders   postgresql   16.4      True    Degraded   orders-0   "
                       "orders.team-a.svc:5432   5m\n");
    core_buf_reset(&b);
    ASSERT_EQ(plugin_table(rows, 1, 1, &b), CORE_OK);
    ASSERT(strncmp(b.data, "NAMESPACE   KIND", 16) == 0);
    ASSERT_CONTAINS(b.data, "\nteam-a      DBInstance");
    core_buf_free(&b);
    cJSON_Delete(dbi);
}


static void
masked_is(const char *uri, const char *want)
{
    core_buf b;

    core_buf_init(&b, 4096);
    ASSERT_EQ(plugin_mask_uri(uri, &b), CORE_OK);
    ASSERT_STR(b.data, want);
    core_buf_free(&b);
}


TEST(plugin_mask_uri_hides_only_the_password)
{
    masked_is("postgresql://app:p%40ss%3Aw@orders.a.svc:5432/orders?sslmode=verify-full",
              "postgresql://app:********@orders.a.svc:5432/orders?sslmode=verify-full");
    masked_is("mysql://u:p@ss@h:3306/db", "mysql://u:********@h:3306/db");
    masked_is("jdbc:postgresql://h:5432/db?user=x", "jdbc:postgresql://h:5432/db?user=x");
    masked_is("postgresql://app@h/db", "postgresql://app@h/db");
    masked_is("not a uri", "not a uri");
}


/* A Secret with base64 data: username app, password s3cr:t@pw, superuser-password root-pw. */
static const char secret_json[] =
    "{\"metadata\":{\"name\":\"orders-credentials\"},\"data\":{"
    "\"username\":\"YXBw\",\"password\":\"czNjcjp0QHB3\",\"superuser-password\":\"cm9vdC1wdw==\","
    "\"host\":\"aA==\",\"port\":\"NTQzMg==\",\"database\":\"b3JkZXJz\","
    "\"uri\":\"cG9zdGdyZXNxbDovL2FwcDpzM2NyJTNBdCU0MHB3QGg6NTQzMi9vcmRlcnM=\","
    "\"ca.crt\":\"eA==\"}}";


TEST(plugin_credentials_masks_unless_asked)
{
    cJSON   *s = parse(secret_json), *c = NULL;
    char     err[256], *text;
    core_buf b;

    ASSERT_EQ(plugin_credentials(s, 0, &c, err, sizeof err), CORE_OK);
    core_buf_init(&b, 4096);
    ASSERT_EQ(plugin_kv_text(c, &b), CORE_OK);
    ASSERT_STR(b.data, "username: app\npassword: ********\nhost: h\nport: 5432\n"
                       "database: orders\nuri: postgresql://app:********@h:5432/orders\n"
                       "ca.crt: present\n");
    text = cJSON_PrintUnformatted(c);
    ASSERT(!strstr(text, "s3cr") && !strstr(text, "root-pw"));
    free(text);
    cJSON_Delete(c);
    ASSERT_EQ(plugin_credentials(s, 1, &c, err, sizeof err), CORE_OK);
    ASSERT_STR(cJSON_GetStringValue(cJSON_GetObjectItem(c, "password")), "s3cr:t@pw");
    ASSERT_STR(cJSON_GetStringValue(cJSON_GetObjectItem(c, "uri")),
               "postgresql://app:s3cr%3At%40pw@h:5432/orders");
    ASSERT(cJSON_GetObjectItem(c, "superuser-password") == NULL);
    cJSON_Delete(c);
    core_buf_free(&b);
    cJSON_Delete(s);
    s = parse("{\"metadata\":{\"name\":\"x\"},\"data\":{\"password\":\"!!!\"}}");
    ASSERT_EQ(plugin_credentials(s, 0, &c, err, sizeof err), CORE_EINVAL);
    ASSERT_CONTAINS(err, "password is not base64");
    cJSON_Delete(s);
}


static int
holds(char *const *list, const char *needle)
{
    int i;

    for (i = 0; list[i]; i++)
        if (strstr(list[i], needle))
            return 1;
    return 0;
}


TEST(plugin_connect_keeps_the_password_out_of_argv)
{
    plugin_conn pg = {"postgresql", "127.0.0.1", 40001, "app", "s3cret", "orders", 1, NULL};
    plugin_conn my = {"mariadb", "127.0.0.1", 40002, "app", "s3cret", "orders", 0, NULL};
    plugin_cmd  c, f;
    core_buf    b;

    ASSERT_EQ(plugin_connect_cmd(&pg, &c), CORE_OK);
    ASSERT_STR(c.argv[0], "psql");
    ASSERT(c.argv[1] == NULL);
    ASSERT(holds(c.env, "PGPASSWORD=s3cret") && holds(c.env, "PGPORT=40001") &&
           holds(c.env, "PGSSLMODE=require") && holds(c.env, "PGDATABASE=orders"));
    ASSERT(!holds(c.argv, "s3cret"));
    ASSERT_EQ(plugin_forward_cmd(NULL, "kind-a", "team a", "orders", 40001, 5432, &f), CORE_OK);
    core_buf_init(&b, 4096);
    ASSERT_EQ(plugin_connect_script(&f, &c, 0, NULL, &b), CORE_OK);
    ASSERT_CONTAINS(b.data, "kubectl --context=kind-a port-forward '--namespace=team a' "
                            "service/orders 40001:5432 >/dev/null &\n");
    ASSERT_CONTAINS(b.data, "export PGPASSWORD='********'");
    ASSERT(!strstr(b.data, "s3cret"));
    ASSERT_CONTAINS(b.data, "\npsql\nkill \"$forward\"\n");
    core_buf_reset(&b);
    ASSERT_EQ(plugin_connect_script(&f, &c, 1, NULL, &b), CORE_OK);
    ASSERT_CONTAINS(b.data, "export PGPASSWORD=s3cret\n");
    core_buf_free(&b);
    plugin_cmd_free(&c);
    plugin_cmd_free(&f);
    ASSERT_EQ(plugin_connect_cmd(&my, &c), CORE_OK);
    ASSERT_STR(c.argv[0], "mariadb");
    ASSERT(holds(c.argv, "--port=40002") && holds(c.argv, "--user=app") &&
           holds(c.argv, "--database=orders") && !holds(c.argv, "--ssl"));
    ASSERT(!holds(c.argv, "s3cret") && holds(c.env, "MYSQL_PWD=s3cret"));
    plugin_cmd_free(&c);
    my.tls = 1;
    ASSERT_EQ(plugin_connect_cmd(&my, &c), CORE_OK);
    ASSERT(holds(c.argv, "--ssl"));
    plugin_cmd_free(&c);
    my.engine = "mysql";
    ASSERT_EQ(plugin_connect_cmd(&my, &c), CORE_OK);
    ASSERT_STR(c.argv[0], "mysql");
    ASSERT(!holds(c.argv, "--ssl") && holds(c.env, "MYSQL_PWD=s3cret"));
    plugin_cmd_free(&c);
    my.engine = "oracle";
    ASSERT_EQ(plugin_connect_cmd(&my, &c), CORE_EINVAL);
}


TEST(plugin_connect_checks_the_servers_chain_against_the_ca_file)
{
    plugin_conn pg = {"postgresql", "127.0.0.1", 40001, "app", "s3cret", "orders", 1, "/t/ca"};
    plugin_conn my = {"mariadb", "127.0.0.1", 40002, "app", "s3cret", "orders", 1, "/t/ca"};
    plugin_cmd  c;

    ASSERT_EQ(plugin_connect_cmd(&pg, &c), CORE_OK);
    ASSERT(holds(c.env, "PGSSLMODE=verify-ca") && holds(c.env, "PGSSLROOTCERT=/t/ca"));
    ASSERT(!holds(c.env, "PGSSLMODE=require"));
    plugin_cmd_free(&c);
    ASSERT_EQ(plugin_connect_cmd(&my, &c), CORE_OK);
    ASSERT(holds(c.argv, "--ssl") && holds(c.argv, "--ssl-ca=/t/ca") &&
           holds(c.argv, "--skip-ssl-verify-server-cert"));
    plugin_cmd_free(&c);
    my.engine = "mysql";
    ASSERT_EQ(plugin_connect_cmd(&my, &c), CORE_OK);
    ASSERT(holds(c.argv, "--ssl-ca=/t/ca") && !holds(c.argv, "--skip-ssl-verify-server-cert"));
    plugin_cmd_free(&c);
    /* Without TLS the CA is not used. */
    pg.tls = 0;
    ASSERT_EQ(plugin_connect_cmd(&pg, &c), CORE_OK);
    ASSERT(!holds(c.env, "PGSSLROOTCERT=/t/ca") && !holds(c.env, "PGSSLMODE=verify-ca"));
    plugin_cmd_free(&c);
}


/* connect --print is as strict as connect: the client checks the chain against the CA. */
TEST(plugin_connect_script_checks_the_chain_as_connect_does)
{
    static const char pem[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    plugin_conn       pg = {"postgresql", "127.0.0.1", 40001, "app",
                            "s3cret",     "orders",    1,     PLUGIN_CA_SHELL};
    plugin_conn my = {"mysql", "127.0.0.1", 40002, "app", "s3cret", "orders", 1, PLUGIN_CA_SHELL};
    plugin_cmd  c, f;
    core_buf    b;

    ASSERT_EQ(plugin_forward_cmd(NULL, NULL, "a", "orders", 40001, 5432, &f), CORE_OK);
    ASSERT_EQ(plugin_connect_cmd(&pg, &c), CORE_OK);
    core_buf_init(&b, 4096);
    ASSERT_EQ(plugin_connect_script(&f, &c, 0, pem, &b), CORE_OK);
    ASSERT_CONTAINS(b.data, "ca=$(mktemp)\ncat >\"$ca\" <<'DBAAS_CA_EOF'\n-----BEGIN CERTIFICATE-----\n"
                            "MIIB\n-----END CERTIFICATE-----\nDBAAS_CA_EOF\n# the forward");
    ASSERT_CONTAINS(b.data, "export PGSSLMODE=verify-ca\nexport PGSSLROOTCERT=\"$ca\"\n");
    ASSERT_CONTAINS(b.data, "kill \"$forward\"\nrm -f \"$ca\"\n");
    plugin_cmd_free(&c);
    core_buf_reset(&b);
    ASSERT_EQ(plugin_connect_cmd(&my, &c), CORE_OK);
    ASSERT_EQ(plugin_connect_script(&f, &c, 0, pem, &b), CORE_OK);
    ASSERT_CONTAINS(b.data, "mysql --protocol=TCP --host=127.0.0.1 --port=40002 --user=app "
                            "--ssl-ca=\"$ca\" --database=orders\n");
    core_buf_reset(&b);
    /* Without the CA the same value is only text, quoted. */
    ASSERT_EQ(plugin_connect_script(&f, &c, 0, NULL, &b), CORE_OK);
    ASSERT_CONTAINS(b.data, "'--ssl-ca=$ca'");
    core_buf_reset(&b);
    ASSERT_EQ(plugin_connect_script(&f, &c, 0, "x\nDBAAS_CA_EOF\nrm -rf /\n", &b), CORE_EINVAL);
    core_buf_free(&b);
    plugin_cmd_free(&c);
    plugin_cmd_free(&f);
}


static void
quoted_is(const char *s, const char *want)
{
    core_buf b;

    core_buf_init(&b, 256);
    ASSERT_EQ(plugin_shell_quote(s, &b), CORE_OK);
    ASSERT_STR(b.data, want);
    core_buf_free(&b);
}


TEST(plugin_shell_quote_is_safe)
{
    quoted_is("psql", "psql");
    quoted_is("--port=5432", "--port=5432");
    quoted_is("", "''");
    quoted_is("a b", "'a b'");
    quoted_is("it's $HOME", "'it'\\''s $HOME'");
}


TEST(plugin_output_json_and_yaml)
{
    cJSON   *o = parse("{\"kind\":\"X\",\"spec\":{\"version\":\"16\",\"n\":3,\"on\":true,"
                         "\"list\":[\"a\",\"yes\"],\"empty\":{}}}");
    core_buf b;

    core_buf_init(&b, 4096);
    ASSERT_EQ(plugin_json(o, &b), CORE_OK);
    ASSERT_CONTAINS(b.data, "{\n    \"kind\": \"X\",\n    \"spec\": {\n        \"version\": \"16\"");
    core_buf_reset(&b);
    ASSERT_EQ(plugin_yaml(o, &b), CORE_OK);
    ASSERT_STR(b.data, "kind: X\nspec:\n  empty: {}\n  list:\n  - a\n  - \"yes\"\n  \"n\": 3\n"
                       "  \"on\": true\n  version: \"16\"\n");
    core_buf_free(&b);
    cJSON_Delete(o);
}


TEST(plugin_status_colours_only_when_asked)
{
    cJSON           *dbi = parse(dbi_json);
    plugin_status_in in = {.obj = dbi, .secret = 0};
    core_buf         b;

    core_buf_init(&b, 1 << 20);
    ASSERT_EQ(plugin_status(&in, NOW, 0, &b), CORE_OK);
    ASSERT(!strchr(b.data, '\033'));
    ASSERT_CONTAINS(b.data, "DBInstance team-a/orders\n");
    ASSERT_CONTAINS(b.data, "  Ready   True     PodReady");
    ASSERT_CONTAINS(b.data, "  Secret   orders-credentials   missing");
    core_buf_reset(&b);
    ASSERT_EQ(plugin_status(&in, NOW, 1, &b), CORE_OK);
    ASSERT_CONTAINS(b.data, "\033[32mTrue");
    core_buf_free(&b);
    cJSON_Delete(dbi);
}


TEST(plugin_status_shows_a_long_condition_message_whole)
{
    cJSON           *dbi = parse(dbi_json);
    cJSON           *conds = cJSON_GetObjectItem(cJSON_GetObjectItem(dbi, "status"), "conditions");
    cJSON           *c = cJSON_CreateObject();
    char             msg[700];
    plugin_status_in in = {.obj = dbi, .secret = 0};
    core_buf         b;

    /* The part a message ends with says what to do; a trial saw it cut at 256 characters. */
    memset(msg, 'x', sizeof msg - 10);
    snprintf(msg + sizeof msg - 10, 10, "%s", " the end");
    cJSON_AddStringToObject(c, "type", "Stalled");
    cJSON_AddStringToObject(c, "status", "True");
    cJSON_AddStringToObject(c, "reason", "CredentialsLost");
    cJSON_AddStringToObject(c, "message", msg);
    cJSON_AddItemToArray(conds, c);
    core_buf_init(&b, 1 << 20);
    ASSERT_EQ(plugin_status(&in, NOW, 0, &b), CORE_OK);
    ASSERT_CONTAINS(b.data, "xxx the end");
    core_buf_free(&b);
    cJSON_Delete(dbi);
}


TEST(plugin_restore_takes_the_snapshots_source)
{
    cJSON *snap = parse("{\"metadata\":{\"name\":\"s1\",\"namespace\":\"a\"},\"status\":{"
                        "\"restoreSize\":\"1Gi\",\"source\":{\"engine\":\"postgresql\","
                        "\"version\":\"16\",\"database\":\"orders\",\"username\":\"app\","
                        "\"storageSize\":\"2Gi\"}}}");
    cJSON *bare = parse("{\"metadata\":{\"name\":\"s2\"},\"status\":{}}");
    cJSON *o = NULL;
    char   err[256], *text;

    ASSERT_EQ(plugin_restore_obj(snap, "orders2", "csi-mock", &o, err, sizeof err), CORE_OK);
    text = cJSON_PrintUnformatted(o);
    ASSERT_STR(text,
               "{\"apiVersion\":\"dbaas.dev/v1alpha1\",\"kind\":\"DBInstance\","
               "\"metadata\":{\"name\":\"orders2\",\"namespace\":\"a\"},\"spec\":{"
               "\"engine\":\"postgresql\",\"version\":\"16\",\"database\":\"orders\","
               "\"username\":\"app\",\"storage\":{\"size\":\"2Gi\",\"storageClassName\":\"csi-mock\"},\"restoreFrom\":{"
               "\"snapshot\":\"s1\"}}}");
    free(text);
    cJSON_Delete(o);
    ASSERT_EQ(plugin_restore_obj(bare, "x", NULL, &o, err, sizeof err), CORE_EINVAL);
    ASSERT_CONTAINS(err, "dbsnapshot \"s2\" has no status.source.engine");
    cJSON_Delete(snap);
    cJSON_Delete(bare);
}


static void
target_is(const char *arg, const char *kind, const char *name)
{
    const char *k = "unset", *n = NULL;
    char        err[256];

    ASSERT_EQ(plugin_target(arg, &k, &n, err, sizeof err), CORE_OK);
    if (kind)
        ASSERT_STR(k, kind);
    else
        ASSERT(k == NULL);
    ASSERT_STR(n, name);
}


TEST(plugin_target_takes_name_or_type_slash_name_as_kubectl)
{
    const char *k, *n;
    char        err[256];

    target_is("orders", NULL, "orders");
    target_is("dbsnapshot/orders", "DBSnapshot", "orders");
    target_is("DBSnapshots.dbaas.dev/s1", "DBSnapshot", "s1");
    target_is("dbsnap/s1", "DBSnapshot", "s1");
    target_is("hacluster/pg", "HACluster", "pg");
    target_is("hac/pg", "HACluster", "pg");
    target_is("dbi/orders", "DBInstance", "orders");
    target_is("DBInstance/orders", "DBInstance", "orders");
    ASSERT_EQ(plugin_target("pod/orders-0", &k, &n, err, sizeof err), CORE_EINVAL);
    ASSERT_CONTAINS(err, "\"pod\" is not a kind of kubectl dbaas");
    ASSERT_EQ(plugin_target("dbsnapshots.dbaas.devx/s1", &k, &n, err, sizeof err), CORE_EINVAL);
    ASSERT_EQ(plugin_target("dbi/", &k, &n, err, sizeof err), CORE_EINVAL);
    ASSERT_EQ(plugin_target("dbi/a/b", &k, &n, err, sizeof err), CORE_EINVAL);
    ASSERT_EQ(plugin_target("", &k, &n, err, sizeof err), CORE_EINVAL);
}


TEST(plugin_status_doc_is_a_list_of_the_object_and_its_children_without_the_secret)
{
    cJSON           *dbi = parse(dbi_json);
    cJSON           *sts = parse("{\"metadata\":{\"name\":\"orders\"}}");
    cJSON           *pods = parse("{\"items\":[{\"metadata\":{\"name\":\"orders-0\"}}]}");
    cJSON           *events = parse("{\"items\":[{\"kind\":\"Event\",\"apiVersion\":\"v1\","
                                              "\"metadata\":{\"name\":\"e1\"}}]}");
    plugin_status_in in = {.obj = dbi, .statefulset = sts, .pods = pods, .events = events, .secret = 1};
    cJSON           *doc = plugin_status_doc(&in);
    char            *text;

    ASSERT(doc != NULL);
    text = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(doc, "items"));
    ASSERT_CONTAINS(text, "[{\"kind\":\"DBInstance\",\"metadata\":{\"name\":\"orders\"");
    ASSERT_CONTAINS(text, "{\"metadata\":{\"name\":\"orders\"},\"kind\":\"StatefulSet\","
                          "\"apiVersion\":\"apps/v1\"}");
    ASSERT_CONTAINS(text, "{\"metadata\":{\"name\":\"orders-0\"},\"kind\":\"Pod\","
                          "\"apiVersion\":\"v1\"}");
    ASSERT_CONTAINS(text,
                    "{\"kind\":\"Event\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"e1\"}}]");
    ASSERT_EQ(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "items")), 4);
    ASSERT_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "kind")), "List");
    ASSERT(strstr(text, "Secret") == NULL);
    free(text);
    cJSON_Delete(doc);
    cJSON_Delete(dbi);
    cJSON_Delete(sts);
    cJSON_Delete(pods);
    cJSON_Delete(events);
}


/* spf13/pflag: strconv.ParseBool's spellings, "-n=snap" as namespace "snap". */
TEST(plugin_flags_read_as_pflag_does)
{
    static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
    size_t                   i;
    int                      v;

    for (i = 0; i < sizeof yes / sizeof *yes; i++) {
        v = 0;
        ASSERT_EQ(plugin_parse_bool(yes[i], &v), CORE_OK);
        ASSERT_EQ(v, 1);
        ASSERT_EQ(plugin_parse_bool(no[i], &v), CORE_OK);
        ASSERT_EQ(v, 0);
    }
    v = 7;
    ASSERT_EQ(plugin_parse_bool("yes", &v), CORE_EINVAL);
    ASSERT_EQ(plugin_parse_bool("tRUE", &v), CORE_EINVAL);
    ASSERT_EQ(plugin_parse_bool("", &v), CORE_EINVAL);
    ASSERT_EQ(v, 7);
    ASSERT_STR(plugin_short_value("=snap"), "snap");
    ASSERT_STR(plugin_short_value("=json"), "json");
    ASSERT_STR(plugin_short_value("="), "=");
    ASSERT_STR(plugin_short_value("snap"), "snap");
    ASSERT_STR(plugin_short_value("==x"), "=x");
    ASSERT(plugin_short_value(NULL) == NULL);
}
