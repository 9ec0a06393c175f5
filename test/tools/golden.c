/*
 * golden: builder tests as data (test/golden/README.md).
 *
 * usage: golden [--update] [DIR]
 * DIR (default test/golden) holds one folder per kind, and in it one folder per case:
 * DIR/<kind>/<case>/input.json plus the files the kind's real builders make from it (for an
 * invalid input, error.txt with the parse message). Checking, every case whose files all
 * match passes; a mismatch prints the case, the file and a unified diff (diff -u). The last
 * line is "golden: N passed, N failed". --update (or GOLDEN_UPDATE=1) writes what the
 * builders make instead, removes expected files they no longer make, and names each file it
 * changed: the diff is then read in review.
 *
 * A new kind adds a render function and a line in kinds[] below; the driver is the same.
 * This is a test tool: it prints, blocks and spawns diff, which library code never does.
 */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/core.h"
#include "dbi/dbi.h"
#include "dbi/dbi_backup.h"
#include "dbi/dbi_final.h"
#include "hac/hac.h"
#include "snap/snap.h"
#include "dbi/dbi_netpol.h"
#include "dbi/dbi_tls.h"
#include "kjson/kjson.h"
#include "plugin/plugin.h"

#define GOLDEN_MAX_FILES 16
#define GOLDEN_FILE_MAX  (1 << 20)
#define GOLDEN_PATH_MAX  4096
#define GOLDEN_INPUT     "input.json"
#define GOLDEN_ERROR     "error.txt"
#define GOLDEN_INVALID   "invalid-" /* the prefix of a case whose input must be refused */

/* What a kind's builders made from one input: named texts, each owned here. */
typedef struct {
    const char *name[GOLDEN_MAX_FILES];
    char       *text[GOLDEN_MAX_FILES];
    size_t      n;
} golden_files;

/*
 * A kind's renderer: fills out from input and returns 0, an invalid input being one more
 * file (error.txt); returns a negative core_err with a message in err when a builder failed,
 * which fails the case whatever the expected files say.
 */
typedef int (*golden_render_fn)(const cJSON *input, golden_files *out, char *err, size_t errlen);

typedef struct {
    const char      *kind; /* the folder under DIR */
    golden_render_fn render;
} golden_kind;


static void
files_free(golden_files *f)
{
    size_t i;

    for (i = 0; i < f->n; i++)
        free(f->text[i]);
    f->n = 0;
}


/* Adds text (taken over, freed here on failure) as file name. */
static int
files_add_text(golden_files *f, const char *name, char *text)
{
    if (!text)
        return CORE_ENOMEM;
    if (f->n == GOLDEN_MAX_FILES) {
        free(text);
        return CORE_ETOOBIG;
    }
    f->name[f->n] = name;
    f->text[f->n] = text;
    f->n++;
    return CORE_OK;
}


/* v as JSON text without layout (a string escaped as cJSON escapes it) appended to b. */
static int
add_scalar(core_buf *b, const cJSON *v)
{
    char *text = cJSON_PrintUnformatted(v);
    int   rc = text ? core_buf_printf(b, "%s", text) : CORE_ENOMEM;

    free(text);
    return rc;
}


static int
add_key(core_buf *b, const char *key)
{
    cJSON *k = cJSON_CreateString(key);
    int    rc = k ? add_scalar(b, k) : CORE_ENOMEM;

    cJSON_Delete(k);
    return rc ? rc : core_buf_add(b, ": ", 2);
}


/*
 * v laid out for review: two spaces a level, one member or element a line, keys in the order
 * the builder added them (as kubectl and JSON.stringify(v, null, 2) show JSON), so that a
 * change to one field is a change to one line of the diff.
 */
static int
add_json(core_buf *b, const cJSON *v, int depth)
{
    const cJSON *it;
    int          obj = cJSON_IsObject(v), rc;

    if (depth > 64)
        return CORE_ETOOBIG;
    if (!obj && !cJSON_IsArray(v))
        return add_scalar(b, v);
    if (!v->child)
        return core_buf_add(b, obj ? "{}" : "[]", 2);
    if ((rc = core_buf_add(b, obj ? "{\n" : "[\n", 2)))
        return rc;
    cJSON_ArrayForEach(it, v) {
        if ((rc = core_buf_printf(b, "%*s", 2 * (depth + 1), "")) ||
            (obj && (rc = add_key(b, it->string))) || (rc = add_json(b, it, depth + 1)) ||
            (rc = core_buf_add(b, it->next ? ",\n" : "\n", it->next ? 2 : 1)))
            return rc;
    }
    if ((rc = core_buf_printf(b, "%*s", 2 * depth, "")))
        return rc;
    return core_buf_add(b, obj ? "}" : "]", 1);
}


/* Adds obj laid out by add_json with a final newline. obj is deleted here; NULL (the builder
 * failed) gives CORE_ENOMEM. */
static int
files_add_json(golden_files *f, const char *name, cJSON *obj)
{
    core_buf b;
    int      rc = CORE_ENOMEM;

    core_buf_init(&b, GOLDEN_FILE_MAX);
    if (obj && !(rc = add_json(&b, obj, 0)) && !(rc = core_buf_add(&b, "\n", 1)))
        rc = files_add_text(f, name, core_buf_take(&b));
    core_buf_free(&b);
    cJSON_Delete(obj);
    return rc;
}


/* --- dbinstance ---------------------------------------------------------------------- */

/* Fixed, so the Secret is reproducible; the application password holds every character of
 * DBI_PASSWORD_ALPHABET that a URI must percent-encode, so the uri shows the encoding. */
#define GOLDEN_PASSWORD           "G0lden-pass_word.~!*@#%^+=:/?"
#define GOLDEN_SUPERUSER_PASSWORD "golden-superuser-password-0001"
/* Stand-ins for the PEM texts of a TLS case: the builders copy them and never parse them. */
#define GOLDEN_CA                 "-----BEGIN CERTIFICATE-----\ngolden CA\n-----END CERTIFICATE-----\n"
#define GOLDEN_CERT               "-----BEGIN CERTIFICATE-----\ngolden server\n-----END CERTIFICATE-----\n"
#define GOLDEN_KEY                "-----BEGIN PRIVATE KEY-----\ngolden key\n-----END PRIVATE KEY-----\n"

/*
 * The data of a Secret (decoded) or a ConfigMap as plain text, in the builder's order, so that
 * a change to a value (the uri's encoding, a quoted parameter) reads plainly in review rather
 * than as base64 or one long JSON string: "key: value" a line for a Secret, and for a
 * ConfigMap each key on a "=== key" line followed by its text.
 */
static int
data_text(const cJSON *child, int secret, char **out)
{
    const cJSON   *data = cJSON_GetObjectItemCaseSensitive(child, "data"), *it;
    unsigned char *raw = NULL;
    size_t         len;
    const char    *v;
    core_buf       b;
    int            rc = CORE_OK;

    *out = NULL;
    core_buf_init(&b, GOLDEN_FILE_MAX);
    cJSON_ArrayForEach(it, data) {
        v = cJSON_IsString(it) ? it->valuestring : NULL;
        if (v && secret)
            v = core_b64_decode(v, strlen(v), &raw, &len) ? NULL : (const char *)raw;
        if (secret)
            rc = core_buf_printf(&b, "%s: %s\n", it->string, v ? v : "(not a base64 string)");
        else
            rc = core_buf_printf(&b, "=== %s\n%s%s", it->string, v ? v : "(not a string)",
                                 v && v[0] && v[strlen(v) - 1] == '\n' ? "" : "\n(no final newline)\n");
        free(raw);
        raw = NULL;
        if (rc)
            goto out;
    }
    *out = b.data ? core_buf_take(&b) : strdup("");
    rc = *out ? CORE_OK : CORE_ENOMEM;
out:
    core_buf_free(&b);
    return rc;
}


/* Adds the data view of child (see data_text) as name, then child as json_name; child is
 * deleted here. */
static int
add_with_data(golden_files *out, const char *name, const char *json_name, cJSON *child, int secret)
{
    char *text = NULL;
    int   rc;

    if (!child)
        return CORE_ENOMEM;
    if ((rc = data_text(child, secret, &text)) || (rc = files_add_text(out, name, text))) {
        cJSON_Delete(child);
        return rc;
    }
    return files_add_json(out, json_name, child);
}


static int
render_dbinstance(const cJSON *input, golden_files *out, char *err, size_t errlen)
{
    dbi_spec spec;
    char     msg[512], checksum[32];
    core_buf b;
    int      rc;

    if (dbi_spec_parse(input, &spec, msg, sizeof msg)) {
        core_buf_init(&b, sizeof msg + 2);
        if ((rc = core_buf_printf(&b, "%s\n", msg)))
            return rc;
        return files_add_text(out, GOLDEN_ERROR, core_buf_take(&b));
    }
    /* TLS on: what the controller would hand the builders, fixed (the real ones are random). */
    if (dbi_tls_on(&spec)) {
        spec.tls_ca = GOLDEN_CA;
        spec.tls_checksum = "0123456789abcdef";
        if (!spec.tls_secret &&
            (rc = add_with_data(out, "tls-secret-data.txt", "tls-secret.json",
                                dbi_build_tls_secret(&spec, input, GOLDEN_CERT, GOLDEN_KEY,
                                                     GOLDEN_CA, NULL),
                                1))) {
            snprintf(err, errlen, "dbi_build_tls_secret or its data failed");
            return rc;
        }
    }
    if ((rc = add_with_data(out, "secret-data.txt", "secret.json",
                            dbi_build_secret(&spec, input, GOLDEN_PASSWORD, GOLDEN_SUPERUSER_PASSWORD),
                            1))) {
        snprintf(err, errlen, "dbi_build_secret or its data failed");
        return rc;
    }
    if ((rc = add_with_data(out, "configmap-data.txt", "configmap.json",
                            dbi_build_configmap(&spec, input, checksum, sizeof checksum), 0))) {
        snprintf(err, errlen, "dbi_build_configmap or its data failed");
        return rc;
    }
    if ((rc = files_add_json(out, "service.json", dbi_build_service(&spec, input)))) {
        snprintf(err, errlen, "dbi_build_service failed");
        return rc;
    }
    if ((rc = files_add_json(out, "headless.json", dbi_build_headless_service(&spec, input)))) {
        snprintf(err, errlen, "dbi_build_headless_service failed");
        return rc;
    }
    if (spec.netpol &&
        (rc = files_add_json(out, "networkpolicy.json", dbi_build_networkpolicy(&spec, input)))) {
        snprintf(err, errlen, "dbi_build_networkpolicy failed");
        return rc;
    }
    if ((rc = files_add_json(out, "statefulset.json", dbi_build_statefulset(&spec, input, checksum)))) {
        snprintf(err, errlen, "dbi_build_statefulset failed");
        return rc;
    }
    return CORE_OK;
}


/* input.json: {"dbsnapshot": a DBSnapshot, "instance": the DBInstance it names}. Out: the
 * VolumeSnapshot, the status.source recorded of the instance, and the final DBSnapshot the
 * instance's deletionPolicy Snapshot would make (dbi_final.h). */
static int
render_dbsnapshot(const cJSON *input, golden_files *out, char *err, size_t errlen)
{
    const cJSON *obj = cJSON_GetObjectItemCaseSensitive(input, "dbsnapshot");
    snap_spec    spec;
    snap_source  src;
    char         msg[512], claim[SNAP_NAME_LEN], sched[DBI_BACKUP_NAME_MAX + 8];
    core_buf     b;
    int          rc;

    if (snap_spec_parse(obj, &spec, msg, sizeof msg)) {
        core_buf_init(&b, sizeof msg + 2);
        if ((rc = core_buf_printf(&b, "%s\n", msg)))
            return rc;
        return files_add_text(out, GOLDEN_ERROR, core_buf_take(&b));
    }
    if (snap_source_read(cJSON_GetObjectItemCaseSensitive(input, "instance"), &src) ||
        snap_claim_name(spec.instance, claim, sizeof claim)) {
        snprintf(err, errlen, "the instance in input.json lacks a uid, engine or version");
        return CORE_EINVAL;
    }
    if ((rc = files_add_json(out, "volumesnapshot.json",
                             snap_build_volumesnapshot(&spec, obj, claim, src.uid)))) {
        snprintf(err, errlen, "snap_build_volumesnapshot failed");
        return rc;
    }
    if ((rc = files_add_json(out, "source.json", snap_source_json(&src)))) {
        snprintf(err, errlen, "snap_source_json failed");
        return rc;
    }
    if ((rc = files_add_json(
             out, "final-snapshot.json",
             dbi_build_final_snapshot(cJSON_GetObjectItemCaseSensitive(input, "instance"))))) {
        snprintf(err, errlen, "dbi_build_final_snapshot failed");
        return rc;
    }
    /* A scheduled DBSnapshot of the same instance (spec.backup), with this case's class. */
    snprintf(sched, sizeof sched, "%s-202611300300", spec.instance);
    if ((rc = files_add_json(
             out, "scheduled-snapshot.json",
             dbi_build_instance_snapshot(cJSON_GetObjectItemCaseSensitive(input, "instance"), sched,
                                         DBI_BACKUP_SCHEDULED_LABEL, "Delete", spec.klass)))) {
        snprintf(err, errlen, "dbi_build_instance_snapshot failed");
        return rc;
    }
    return CORE_OK;
}


/* --- hacluster ----------------------------------------------------------------------- */

/* The Secret with both pooler Services present, so every endpoint the builder can write shows. */
static int
render_hacluster(const cJSON *input, golden_files *out, char *err, size_t errlen)
{
    static const hac_poolers poolers = {1, 1};
    hac_spec                 spec;
    char                     msg[512];
    core_buf                 b;
    int                      rc;

    if (hac_spec_parse(input, &spec, msg, sizeof msg)) {
        core_buf_init(&b, sizeof msg + 2);
        if ((rc = core_buf_printf(&b, "%s\n", msg)))
            return rc;
        return files_add_text(out, GOLDEN_ERROR, core_buf_take(&b));
    }
    if ((rc = files_add_json(out, "postgresql.json", hac_build_postgresql(&spec, input)))) {
        snprintf(err, errlen, "hac_build_postgresql failed");
        return rc;
    }
    if ((rc = add_with_data(out, "secret-data.txt", "secret.json",
                            hac_build_secret(&spec, input, GOLDEN_PASSWORD,
                                             spec.pooler_enabled ? &poolers : NULL),
                            1))) {
        snprintf(err, errlen, "hac_build_secret or its data failed");
        return rc;
    }
    return CORE_OK;
}

/*
 * kubectl dbaas (pkg-c/plugin): input.json is {"now": RFC 3339, "objects": [...] (list.txt,
 * list-all.txt), "status": {"obj", "statefulset", "pods", "postgresql", "pvcs", "secret"
 * (1/0/-1), "events", "snapshots", for a DBSnapshot "volumesnapshot" and "source"
 * (PLUGIN_SOURCE_*)} (status.txt), "secret": a credentials Secret
 * (credentials.txt, masked), "connect": {"engine", "port", "tls"} with the Secret's
 * username, password and database (connect.txt, `connect --print`, masked)}.
 */
static int
render_plugin(const cJSON *input, golden_files *out, char *err, size_t errlen)
{
    const cJSON *objs = cJSON_GetObjectItemCaseSensitive(input, "objects"), *it;
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(input, "status");
    const cJSON *secret = cJSON_GetObjectItemCaseSensitive(input, "secret");
    const cJSON *conn = cJSON_GetObjectItemCaseSensitive(input, "connect");
    plugin_row  *rows = NULL;
    cJSON       *creds = NULL;
    int64_t      now;
    size_t       n = 0;
    core_buf     b;
    int          rc = CORE_OK, all;

    if (core_rfc3339_parse(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(input, "now")), &now))
        return core_errf(err, errlen, CORE_EINVAL, "input.json: no \"now\"");
    if (objs) {
        if (!(rows = calloc((size_t)cJSON_GetArraySize(objs) + 1, sizeof *rows)))
            return CORE_ENOMEM;
        cJSON_ArrayForEach(it, objs)
            if ((rc = plugin_row_of(it, now, &rows[n++])))
                break;
        for (all = 0; all < 2 && !rc; all++) {
            core_buf_init(&b, PLUGIN_OUT_MAX);
            if (!(rc = plugin_table(rows, n, all, &b)))
                rc = files_add_text(out, all ? "list-all.txt" : "list.txt", core_buf_take(&b));
        }
        free(rows);
        if (rc)
            return core_errf(err, errlen, rc, "plugin_row_of or plugin_table failed");
    }
    if (st) {
        plugin_status_in in = {
            .obj = cJSON_GetObjectItemCaseSensitive(st, "obj"),
            .statefulset = cJSON_GetObjectItemCaseSensitive(st, "statefulset"),
            .pods = cJSON_GetObjectItemCaseSensitive(st, "pods"),
            .postgresql = cJSON_GetObjectItemCaseSensitive(st, "postgresql"),
            .pvcs = cJSON_GetObjectItemCaseSensitive(st, "pvcs"),
            .secret = kjson_int_or(cJSON_GetObjectItemCaseSensitive(st, "secret"), -1, 1, 1),
            .events = cJSON_GetObjectItemCaseSensitive(st, "events"),
            .snapshots = cJSON_GetObjectItemCaseSensitive(st, "snapshots"),
            .volumesnapshot = cJSON_GetObjectItemCaseSensitive(st, "volumesnapshot"),
            .source = kjson_int_or(cJSON_GetObjectItemCaseSensitive(st, "source"), 0, 2, 0),
        };

        core_buf_init(&b, PLUGIN_OUT_MAX);
        if ((rc = plugin_status(&in, now, 0, &b)) ||
            (rc = files_add_text(out, "status.txt", core_buf_take(&b))))
            return core_errf(err, errlen, rc, "plugin_status failed");
    }
    if (secret) {
        core_buf_init(&b, PLUGIN_OUT_MAX);
        if ((rc = plugin_credentials(secret, 0, &creds, err, errlen)) ||
            (rc = plugin_kv_text(creds, &b)) ||
            (rc = files_add_text(out, "credentials.txt", core_buf_take(&b)))) {
            cJSON_Delete(creds);
            return rc;
        }
    }
    if (conn && creds) {
        plugin_cmd  fwd, client;
        plugin_conn c = {
            .engine = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(conn, "engine")),
            .host = "127.0.0.1",
            .port = kjson_int_or(cJSON_GetObjectItemCaseSensitive(conn, "port"), 1, 65535, 1),
            .username = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(creds, "username")),
            .password = GOLDEN_PASSWORD,
            .database = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(creds, "database")),
            .tls = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(conn, "tls")),
        };
        const char    *ca_b64 = kjson_path_str(secret, "data", "ca.crt", NULL);
        unsigned char *ca = NULL;
        size_t         ca_len = 0;
        const char    *ca_pem = NULL;

        /* As connect --print: with TLS and the Secret's ca.crt, the script's CA file. */
        if (c.tls && ca_b64 && core_b64_decode(ca_b64, strlen(ca_b64), &ca, &ca_len) == CORE_OK) {
            c.ca_file = PLUGIN_CA_SHELL;
            ca_pem = (const char *)ca;
        }

        memset(&fwd, 0, sizeof fwd);
        core_buf_init(&b, PLUGIN_OUT_MAX);
        if ((rc = plugin_forward_cmd(NULL, NULL, "team-a", "orders", c.port,
                                     c.engine && strcmp(c.engine, "postgresql") == 0 ? 5432 : 3306,
                                     &fwd)) ||
            (rc = plugin_connect_cmd(&c, &client))) {
            plugin_cmd_free(&fwd);
            free(ca);
            cJSON_Delete(creds);
            return core_errf(err, errlen, rc, "plugin_connect_cmd failed");
        }
        rc = plugin_connect_script(&fwd, &client, 0, ca_pem, &b);
        free(ca);
        plugin_cmd_free(&fwd);
        plugin_cmd_free(&client);
        if (rc || (rc = files_add_text(out, "connect.txt", core_buf_take(&b)))) {
            cJSON_Delete(creds);
            return core_errf(err, errlen, rc, "plugin_connect_script failed");
        }
    }
    cJSON_Delete(creds);
    return CORE_OK;
}


static const golden_kind kinds[] = {
    {"dbinstance", render_dbinstance},
    {"dbsnapshot", render_dbsnapshot},
    {"hacluster", render_hacluster},
    {"plugin", render_plugin},
};


/* --- the driver ---------------------------------------------------------------------- */

typedef struct {
    int update;
    int passed; /* cases whose files match (updating: whose files are now written) */
    int failed;
    int changed; /* updating: files written or removed */
} golden_run;


static int
join(char *buf, size_t len, const char *a, const char *b)
{
    int n = snprintf(buf, len, "%s/%s", a, b);

    return n < 0 || (size_t)n >= len ? CORE_ETOOBIG : CORE_OK;
}


static int
is_dir(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}


static int
not_hidden(const struct dirent *d)
{
    return d->d_name[0] != '.';
}


/* The entries of dir (no dot files) sorted by name in *list (free with free_list); the count,
 * or -1 with errno set. */
static int
list_dir(const char *dir, struct dirent ***list)
{
    return scandir(dir, list, not_hidden, alphasort);
}


static void
free_list(struct dirent **list, int n)
{
    int i;

    for (i = 0; i < n; i++)
        free(list[i]);
    free(list);
}


static int
write_file(const char *path, const char *text)
{
    FILE  *f = fopen(path, "w");
    size_t n = strlen(text);
    int    ok;

    if (!f)
        return CORE_EIO;
    ok = fwrite(text, 1, n, f) == n;
    ok = fclose(f) == 0 && ok;
    return ok ? CORE_OK : CORE_EIO;
}


/* Prints `diff -u` of the expected file (or nothing, when it is missing) against text. */
static void
print_diff(const char *expected, const char *text)
{
    char  tmp[] = "/tmp/golden-actual-XXXXXX";
    int   fd = mkstemp(tmp), status;
    pid_t pid;

    if (fd < 0 || close(fd) || write_file(tmp, text)) {
        printf("  (cannot write a temporary file for diff: %s)\n", strerror(errno));
        goto out;
    }
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid == 0) {
        dup2(STDOUT_FILENO, STDERR_FILENO);
        execlp("diff", "diff", "-u", "--label", expected, "--label", "made by the builders",
               access(expected, F_OK) == 0 ? expected : "/dev/null", tmp, (char *)NULL);
        fprintf(stderr, "  (cannot run diff: %s)\n", strerror(errno));
        _exit(127);
    }
    if (pid < 0 || waitpid(pid, &status, 0) < 0)
        printf("  (cannot run diff: %s)\n", strerror(errno));
out:
    if (fd >= 0)
        unlink(tmp);
}


/* The text made as file name, or NULL when none was. */
static const char *
produced(const golden_files *f, const char *name)
{
    size_t i;

    for (i = 0; i < f->n; i++)
        if (strcmp(f->name[i], name) == 0)
            return f->text[i];
    return NULL;
}


/*
 * Compares (or, updating, writes) each file made against the case folder, then looks for
 * expected files nothing made. The number of differences; -1 when the folder could not be
 * read or written.
 */
static int
compare_case(const golden_run *run, const char *casedir, const golden_files *made)
{
    struct dirent **list = NULL;
    char            path[GOLDEN_PATH_MAX], *expected = NULL;
    size_t          len, i;
    int             n = -1, k, differ = 0;

    for (i = 0; i < made->n; i++) {
        if (join(path, sizeof path, casedir, made->name[i]))
            goto out;
        if (core_read_file(path, GOLDEN_FILE_MAX, &expected, &len) == CORE_OK &&
            strlen(made->text[i]) == len && memcmp(expected, made->text[i], len) == 0) {
            free(expected);
            expected = NULL;
            continue;
        }
        free(expected);
        expected = NULL;
        differ++;
        if (run->update) {
            if (write_file(path, made->text[i])) {
                printf("golden: cannot write %s: %s\n", path, strerror(errno));
                goto out;
            }
            printf("updated %s\n", path);
            continue;
        }
        printf("FAIL %s: %s %s\n", casedir, made->name[i],
               access(path, F_OK) == 0 ? "differs" : "is missing (run make golden)");
        print_diff(path, made->text[i]);
    }
    if ((n = list_dir(casedir, &list)) < 0)
        goto out;
    for (k = 0; k < n; k++) {
        if (strcmp(list[k]->d_name, GOLDEN_INPUT) == 0 || produced(made, list[k]->d_name))
            continue;
        differ++;
        if (join(path, sizeof path, casedir, list[k]->d_name))
            goto out;
        if (run->update) {
            if (unlink(path)) {
                printf("golden: cannot remove %s: %s\n", path, strerror(errno));
                goto out;
            }
            printf("removed %s\n", path);
            continue;
        }
        printf("FAIL %s: %s is expected but the builders no longer make it\n", casedir,
               list[k]->d_name);
        print_diff(path, "");
    }
    free_list(list, n);
    return differ;
out:
    if (list)
        free_list(list, n);
    return -1;
}


/*
 * A case named invalid-* must be refused (error.txt only) and any other accepted, so that a
 * typo in an input cannot turn a case meant to cover a field into one more refusal.
 */
static int
refused_as_named(const char *casedir, const char *name, const golden_files *made)
{
    int         invalid = strncmp(name, GOLDEN_INVALID, strlen(GOLDEN_INVALID)) == 0;
    const char *refusal = produced(made, GOLDEN_ERROR);

    if (invalid && (!refusal || made->n != 1)) {
        printf("FAIL %s: the builders accepted an input the case name says is invalid\n", casedir);
        return 0;
    }
    if (!invalid && refusal) {
        printf("FAIL %s: the input was refused: %s", casedir, refusal);
        printf("  (name the case %s* if that is intended)\n", GOLDEN_INVALID);
        return 0;
    }
    return 1;
}


static void
run_case(golden_run *run, const golden_kind *kind, const char *casedir, const char *name)
{
    golden_files made = {0};
    char         path[GOLDEN_PATH_MAX], *text = NULL, err[512] = "";
    size_t       len;
    cJSON       *input = NULL;
    int          rc, differ = -1;

    if (join(path, sizeof path, casedir, GOLDEN_INPUT) ||
        core_read_file(path, GOLDEN_FILE_MAX, &text, &len) ||
        !(input = cJSON_ParseWithLength(text, len))) {
        printf("FAIL %s: cannot read a JSON object from %s\n", casedir, path);
        goto out;
    }
    if ((rc = kind->render(input, &made, err, sizeof err))) {
        printf("FAIL %s: the %s builders failed: %s (%s)\n", casedir, kind->kind, err,
               core_strerror(rc));
        goto out;
    }
    if (!refused_as_named(casedir, name, &made))
        goto out;
    differ = compare_case(run, casedir, &made);
    if (differ < 0)
        printf("FAIL %s: cannot read the folder\n", casedir);
out:
    if (differ == 0 || (run->update && differ > 0)) {
        run->passed++;
        run->changed += differ;
    } else {
        run->failed++;
    }
    files_free(&made);
    cJSON_Delete(input);
    free(text);
}


static const golden_kind *
find_kind(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i].kind, name) == 0)
            return &kinds[i];
    return NULL;
}


/* Every case of one kind folder. */
static void
run_kind(golden_run *run, const golden_kind *kind, const char *kinddir)
{
    struct dirent **list = NULL;
    char            casedir[GOLDEN_PATH_MAX];
    int             n, i, cases = 0;

    if ((n = list_dir(kinddir, &list)) < 0) {
        printf("FAIL %s: cannot list: %s\n", kinddir, strerror(errno));
        run->failed++;
        return;
    }
    for (i = 0; i < n; i++) {
        if (join(casedir, sizeof casedir, kinddir, list[i]->d_name) || !is_dir(casedir))
            continue;
        run_case(run, kind, casedir, list[i]->d_name);
        cases++;
    }
    if (cases == 0) {
        printf("FAIL %s: no cases\n", kinddir);
        run->failed++;
    }
    free_list(list, n);
}


int
main(int argc, char **argv)
{
    golden_run         run = {0};
    const char        *root = "test/golden", *env = getenv("GOLDEN_UPDATE");
    struct dirent    **list = NULL;
    char               kinddir[GOLDEN_PATH_MAX];
    const golden_kind *kind;
    int                i, n;

    run.update = env && strcmp(env, "1") == 0;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--update") == 0) {
            run.update = 1;
        } else if (argv[i][0] == '-' || i != argc - 1) {
            fprintf(stderr, "usage: golden [--update] [DIR]\n");
            return 2;
        } else {
            root = argv[i];
        }
    }
    if ((n = list_dir(root, &list)) < 0) {
        printf("golden: cannot list %s: %s\n", root, strerror(errno));
        printf("golden: 0 passed, 1 failed\n");
        return 1;
    }
    for (i = 0; i < n; i++) {
        if (join(kinddir, sizeof kinddir, root, list[i]->d_name) || !is_dir(kinddir))
            continue;
        if (!(kind = find_kind(list[i]->d_name))) {
            printf("FAIL %s: no renderer for the kind \"%s\" (add one to test/tools/golden.c)\n",
                   kinddir, list[i]->d_name);
            run.failed++;
            continue;
        }
        run_kind(&run, kind, kinddir);
    }
    free_list(list, n);
    if (run.update) {
        printf("golden: %d cases up to date, %d files changed, %d failed\n", run.passed,
               run.changed, run.failed);
    } else {
        if (run.passed + run.failed == 0)
            run.failed++;
        if (run.failed)
            printf("golden: if the change is intended, run make golden and read git diff %s\n", root);
        printf("golden: %d passed, %d failed\n", run.passed, run.failed);
    }
    return run.failed ? 1 : 0;
}
