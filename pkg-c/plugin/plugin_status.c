/* `kubectl dbaas status`: one object in depth, and the snapshot and restore objects. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kjson/kjson.h"
#include "plugin-int.h"
#include "plugin.h"

#define MAX_COLS     6
#define MAX_ROWS     64
#define LAST_EVENTS  10
#define LAST_SNAPS   5
#define RED          "\033[31m"
#define GREEN        "\033[32m"
#define YELLOW       "\033[33m"
#define BOLD         "\033[1m"
#define RESET        "\033[0m"
#define CELL         PLUGIN_CELL_MAX
#define MESSAGE_CELL 1024

/* A small table: cells copied in, an optional colour per cell, laid out as plugin_table. */
typedef struct {
    int         ncols;
    int         nrows;
    char        cell[MAX_ROWS][MAX_COLS][MESSAGE_CELL]; /* a condition's or Event's message whole */
    const char *colour[MAX_ROWS][MAX_COLS];
} table;


/*
 * "1Gi requested, 10Gi capacity": a claim gets at least what it requests and may get more
 * (core/v1 PersistentVolumeClaimStatus.capacity; a local provisioner hands out whole
 * disks), so the two are named, never shown bare side by side. Either may be NULL.
 */
static void
sizes(const char *requested, const char *capacity, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s%s%s%s", requested ? requested : "", requested ? " requested" : "",
             requested && capacity ? ", " : "", capacity ? capacity : "",
             capacity ? " capacity" : "");
}


/*
 * status.externalEndpoint as a user can read it: the operator writes ":PORT" for a NodePort
 * Service (dbi_external_endpoint: no node address is known to it), which is the port on
 * every node's address (core/v1 ServiceSpec "NodePort").
 */
static void
external_text(const char *ep, char *buf, size_t len)
{
    snprintf(buf, len, "%s", ep ? ep : "");
    if (ep && ep[0] == ':' && ep[1])
        snprintf(buf, len, "NodePort %s on any node's address", ep + 1);
}


static void
row_add(table *t, const char *const *cells, const char *const *colours)
{
    int c;

    if (t->nrows == MAX_ROWS)
        return;
    for (c = 0; c < t->ncols; c++) {
        snprintf(t->cell[t->nrows][c], MESSAGE_CELL, "%s", cells[c] && *cells[c] ? cells[c] : "-");
        t->colour[t->nrows][c] = colours ? colours[c] : NULL;
    }
    t->nrows++;
}


static int
table_out(const table *t, int colour, core_buf *out)
{
    size_t w[MAX_COLS] = {0}, len;
    int    r, c, rc;

    for (c = 0; c < t->ncols; c++)
        for (r = 0; r < t->nrows; r++)
            if ((len = strlen(t->cell[r][c]) + 3) > w[c])
                w[c] = len;
    for (r = 0; r < t->nrows; r++) {
        if ((rc = core_buf_add(out, "  ", 2)))
            return rc;
        for (c = 0; c < t->ncols; c++) {
            const char *on = colour ? t->colour[r][c] : NULL;
            int         last = c == t->ncols - 1;

            if ((rc = core_buf_printf(out, "%s%-*s%s", on ? on : "", last ? 0 : (int)w[c],
                                      t->cell[r][c], on ? RESET : "")))
                return rc;
        }
        if ((rc = core_buf_add(out, "\n", 1)))
            return rc;
    }
    return CORE_OK;
}


/* A titled section: the table below its header, or "none" when it has no rows. */
static int
section(const char *title, const table *t, int colour, core_buf *out)
{
    int rc = core_buf_printf(out, "\n%s%s:%s\n", colour ? BOLD : "", title, colour ? RESET : "");

    if (rc)
        return rc;
    return t->nrows > 1 ? table_out(t, colour, out) : core_buf_printf(out, "  none\n");
}


static const char *
state_colour(const char *type, const char *status)
{
    int good;

    if (!status)
        return NULL;
    if (strcmp(status, "Unknown") == 0)
        return YELLOW;
    /* Degraded, Reconciling and Stalled are good when False. */
    good = (strcmp(status, "True") == 0) ==
           (strcmp(type, "Ready") == 0 || strcmp(type, "Progressing") == 0);
    if (strcmp(type, "Progressing") == 0)
        return NULL;
    return good ? GREEN : RED;
}


static int
conditions(const cJSON *obj, int64_t now, int colour, core_buf *out)
{
    static const char *const head[] = {"TYPE", "STATUS", "REASON", "AGE", "MESSAGE"};
    table                   *t = calloc(1, sizeof *t);
    const cJSON             *c;
    int                      rc;

    if (!t)
        return CORE_ENOMEM;
    t->ncols = 5;
    row_add(t, head, NULL);
    cJSON_ArrayForEach(c, kjson_path(obj, "status", "conditions", NULL)) {
        const char *type = kjson_get_str(c, "type"), *st = kjson_get_str(c, "status");
        char        age[32] = "";
        int64_t     at;
        const char *cells[5], *colours[5] = {NULL, NULL, NULL, NULL, NULL};

        if (!type)
            continue;
        if (!core_rfc3339_parse(kjson_get_str(c, "lastTransitionTime"), &at))
            plugin_age(now - at, age, sizeof age);
        cells[0] = type, cells[1] = st, cells[2] = kjson_get_str(c, "reason"), cells[3] = age;
        cells[4] = kjson_get_str(c, "message");
        colours[1] = state_colour(type, st);
        row_add(t, cells, colours);
    }
    rc = section("Conditions", t, colour, out);
    free(t);
    return rc;
}


static int
pods_rows(table *t, const cJSON *pods)
{
    const cJSON *p;
    char         what[CELL];

    cJSON_ArrayForEach(p, kjson_path(pods, "items", NULL)) {
        const char  *name = kjson_path_str(p, "metadata", "name", NULL);
        const char  *role = kjson_path_str(p, "metadata", "labels", "spilo-role", NULL);
        const cJSON *ready = NULL, *c;
        const char  *cells[3];

        cJSON_ArrayForEach(c, kjson_path(p, "status", "conditions", NULL)) {
            const char *type = kjson_get_str(c, "type");

            if (type && strcmp(type, "Ready") == 0)
                ready = c;
        }
        snprintf(what, sizeof what, "%s%s%s%s",
                 kjson_path_str(p, "status", "phase", NULL)
                     ? kjson_path_str(p, "status", "phase", NULL)
                     : "Pending",
                 ready && strcmp(kjson_get_str(ready, "status") ? kjson_get_str(ready, "status") : "",
                                 "True") == 0
                     ? ", Ready"
                     : ", not Ready",
                 role ? ", " : "", role ? role : "");
        cells[0] = "Pod", cells[1] = name, cells[2] = what;
        row_add(t, cells, NULL);
    }
    return CORE_OK;
}


static int
children(const plugin_status_in *in, int colour, core_buf *out)
{
    static const char *const head[] = {"KIND", "NAME", "STATE"};
    table                   *t = calloc(1, sizeof *t);
    const cJSON             *c;
    const char              *secret = kjson_path_str(in->obj, "status", "connectionSecret", NULL);
    const char              *name = kjson_path_str(in->obj, "metadata", "name", NULL);
    char                     what[CELL], secret_name[CELL];
    const char              *cells[3];
    int                      rc;

    if (!t)
        return CORE_ENOMEM;
    t->ncols = 3;
    row_add(t, head, NULL);
    if (in->statefulset) {
        snprintf(what, sizeof what, "%d/%d ready",
                 kjson_int_or(kjson_path(in->statefulset, "status", "readyReplicas", NULL), 0,
                              1 << 20, 0),
                 kjson_int_or(kjson_path(in->statefulset, "spec", "replicas", NULL), 0, 1 << 20, 1));
        cells[0] = "StatefulSet";
        cells[1] = kjson_path_str(in->statefulset, "metadata", "name", NULL);
        cells[2] = what;
        row_add(t, cells, NULL);
    }
    if (in->postgresql) {
        cells[0] = "postgresql";
        cells[1] = kjson_path_str(in->postgresql, "metadata", "name", NULL);
        cells[2] = kjson_path_str(in->postgresql, "status", "PostgresClusterStatus", NULL);
        row_add(t, cells, NULL);
    }
    pods_rows(t, in->pods);
    cJSON_ArrayForEach(c, kjson_path(in->pvcs, "items", NULL)) {
        char size[CELL / 2]; /* two quantities and their labels */

        sizes(kjson_path_str(c, "spec", "resources", "requests", "storage", NULL),
              kjson_path_str(c, "status", "capacity", "storage", NULL), size, sizeof size);
        snprintf(what, sizeof what, "%s, %s", size[0] ? size : "size unknown",
                 kjson_path_str(c, "status", "phase", NULL)
                     ? kjson_path_str(c, "status", "phase", NULL)
                     : "Pending");
        cells[0] = "PersistentVolumeClaim";
        cells[1] = kjson_path_str(c, "metadata", "name", NULL);
        cells[2] = what;
        row_add(t, cells, NULL);
    }
    snprintf(secret_name, sizeof secret_name, "%s", secret ? secret : "");
    if (!secret && name)
        snprintf(secret_name, sizeof secret_name, "%s-credentials", name);
    cells[0] = "Secret", cells[1] = secret_name;
    cells[2] = in->secret > 0 ? "present" : in->secret == 0 ? "missing" : "not readable";
    {
        const char *colours[3] = {NULL, NULL, in->secret == 0 ? RED : NULL};

        row_add(t, cells, colours);
    }
    rc = section("Children", t, colour, out);
    free(t);
    return rc;
}


static int64_t
event_time(const cJSON *e)
{
    static const char *const keys[] = {"lastTimestamp", "eventTime", "firstTimestamp"};
    int64_t                  t;
    size_t                   i;

    for (i = 0; i < 3; i++)
        if (!core_rfc3339_parse(kjson_get_str(e, keys[i]), &t))
            return t;
    if (!core_rfc3339_parse(kjson_path_str(e, "metadata", "creationTimestamp", NULL), &t))
        return t;
    return 0;
}


static int
by_event_time(const void *a, const void *b)
{
    int64_t x = event_time(*(const cJSON *const *)a), y = event_time(*(const cJSON *const *)b);

    return x < y ? -1 : x > y;
}


static int
by_creation_desc(const void *a, const void *b)
{
    const char *x = kjson_path_str(*(const cJSON *const *)a, "metadata", "creationTimestamp", NULL);
    const char *y = kjson_path_str(*(const cJSON *const *)b, "metadata", "creationTimestamp", NULL);
    int         c = strcmp(y ? y : "", x ? x : "");

    if (c)
        return c;
    x = kjson_path_str(*(const cJSON *const *)a, "metadata", "name", NULL);
    y = kjson_path_str(*(const cJSON *const *)b, "metadata", "name", NULL);
    return strcmp(y ? y : "", x ? x : "");
}


/* The items of a List as a sorted array of pointers (caller frees); *n their count. */
static const cJSON **
sorted(const cJSON *list, int (*cmp)(const void *, const void *), size_t *n)
{
    const cJSON  *items = kjson_path(list, "items", NULL), *c;
    const cJSON **v;
    size_t        i = 0;

    *n = (size_t)cJSON_GetArraySize(items);
    if (!(v = calloc(*n + 1, sizeof *v)))
        return NULL;
    cJSON_ArrayForEach(c, items)
        v[i++] = c;
    qsort(v, *n, sizeof *v, cmp);
    return v;
}


static int
events(const plugin_status_in *in, int64_t now, int colour, core_buf *out)
{
    static const char *const head[] = {"AGE", "TYPE", "REASON", "MESSAGE"};
    table                   *t = calloc(1, sizeof *t);
    const cJSON            **v = NULL;
    size_t                   n = 0, i;
    int                      rc = CORE_ENOMEM;

    if (!t || !(v = sorted(in->events, by_event_time, &n)))
        goto out;
    t->ncols = 4;
    row_add(t, head, NULL);
    for (i = n > LAST_EVENTS ? n - LAST_EVENTS : 0; i < n; i++) {
        char        age[32];
        const char *type = kjson_get_str(v[i], "type");
        const char *cells[4], *colours[4] = {NULL, NULL, NULL, NULL};

        plugin_age(now - event_time(v[i]), age, sizeof age);
        cells[0] = age, cells[1] = type, cells[2] = kjson_get_str(v[i], "reason");
        cells[3] = kjson_get_str(v[i], "message");
        colours[1] = type && strcmp(type, "Warning") == 0 ? YELLOW : NULL;
        row_add(t, cells, colours);
    }
    rc = section("Events", t, colour, out);
out:
    free(v);
    free(t);
    return rc;
}


static int
snapshots(const plugin_status_in *in, int64_t now, int colour, core_buf *out)
{
    static const char *const head[] = {"NAME", "READY", "SIZE", "AGE"};
    table                   *t = calloc(1, sizeof *t);
    const cJSON            **v = NULL;
    size_t                   n = 0, i;
    int                      rc = CORE_ENOMEM;

    if (!t || !(v = sorted(in->snapshots, by_creation_desc, &n)))
        goto out;
    t->ncols = 4;
    row_add(t, head, NULL);
    for (i = 0; i < n && i < LAST_SNAPS; i++) {
        char        age[32];
        const char *ready = kjson_get_str(plugin_cond(v[i], "Ready"), "status");
        const char *cells[4], *colours[4] = {NULL, state_colour("Ready", ready), NULL, NULL};

        plugin__obj_age(v[i], now, age, sizeof age);
        cells[0] = kjson_path_str(v[i], "metadata", "name", NULL), cells[1] = ready;
        cells[2] = kjson_path_str(v[i], "status", "restoreSize", NULL), cells[3] = age;
        row_add(t, cells, colours);
    }
    rc = section("Snapshots", t, colour, out);
out:
    free(v);
    free(t);
    return rc;
}


static int
line(core_buf *out, const char *label, const char *value)
{
    if (!value || !*value)
        return CORE_OK;
    return core_buf_printf(out, "%-16s%s\n", label, value);
}


int
plugin_status(const plugin_status_in *in, int64_t now, int colour, core_buf *out)
{
    const cJSON *o = in->obj, *st = kjson_path(o, "status", NULL);
    const char  *kind = kjson_get_str(o, "kind");
    const char  *ready = kjson_get_str(plugin_cond(o, "Ready"), "status");
    int          hac = kind && strcmp(kind, "HACluster") == 0, rc;
    char         engine[CELL], age[32], storage[CELL], external[CELL];

    if (!kind || !kjson_path_str(o, "metadata", "name", NULL))
        return CORE_EINVAL;
    if (strcmp(kind, "DBSnapshot") == 0)
        return plugin_status_snapshot(in, now, colour, out);
    /* status.storageSize is the claim's capacity (dbi_status_eval), not the spec's size. */
    sizes(kjson_path_str(o, "spec", "storage", "size", NULL), kjson_get_str(st, "storageSize"),
          storage, sizeof storage);
    external_text(kjson_get_str(st, "externalEndpoint"), external, sizeof external);
    snprintf(engine, sizeof engine, "%s %s",
             hac                                         ? "postgresql"
             : kjson_path_str(o, "spec", "engine", NULL) ? kjson_path_str(o, "spec", "engine", NULL)
                                                         : "?",
             kjson_path_str(o, "spec", "version", NULL) ? kjson_path_str(o, "spec", "version", NULL)
                                                        : "?");
    plugin__obj_age(o, now, age, sizeof age);
    if ((rc = core_buf_printf(out, "%s%s %s/%s%s\n", colour ? BOLD : "", kind,
                              kjson_path_str(o, "metadata", "namespace", NULL)
                                  ? kjson_path_str(o, "metadata", "namespace", NULL)
                                  : "",
                              kjson_path_str(o, "metadata", "name", NULL), colour ? RESET : "")) ||
        (rc = line(out, "Engine:", engine)) ||
        (rc = line(out, "Running:", kjson_get_str(st, "currentVersion"))) ||
        (rc = core_buf_printf(out, "%-16s%s%s%s (Ready %s)\n", "Phase:",
                              colour ? (state_colour("Ready", ready) ? state_colour("Ready", ready) : "")
                                     : "",
                              kjson_get_str(st, "phase") ? kjson_get_str(st, "phase") : "Unknown",
                              colour ? RESET : "", ready ? ready : "Unknown")) ||
        (rc = line(out, "Primary:", kjson_get_str(st, "primary"))) ||
        (rc = line(out, "Replicas:", kjson_get_str(st, "readyText"))) ||
        (rc = line(out, "Endpoint:", kjson_get_str(st, "endpoint"))) ||
        (rc = line(out, "Read endpoint:", kjson_get_str(st, "readEndpoint"))) ||
        (rc = line(out, "Pooler:", kjson_get_str(st, "poolerEndpoint"))) ||
        (rc = line(out, "External:", external)) || (rc = line(out, "Storage:", storage)) ||
        (rc = line(out, "Last backup:", kjson_get_str(st, "lastBackup"))) ||
        (rc = line(out, "Next backup:", kjson_get_str(st, "nextBackup"))) ||
        (rc = line(out, "Age:", age)) || (rc = conditions(o, now, colour, out)) ||
        (rc = children(in, colour, out)) || (rc = snapshots(in, now, colour, out)) ||
        (rc = events(in, now, colour, out)))
        return rc;
    return CORE_OK;
}


int
plugin_status_snapshot(const plugin_status_in *in, int64_t now, int colour, core_buf *out)
{
    static const char *const head[] = {"NAME", "READYTOUSE", "RESTORESIZE", "CLASS", "ERROR"};
    const cJSON *o = in->obj, *st = kjson_path(o, "status", NULL), *vs = in->volumesnapshot;
    const char  *ready = kjson_get_str(plugin_cond(o, "Ready"), "status");
    const char  *inst = kjson_path_str(o, "spec", "instanceName", NULL);
    const char  *policy = kjson_path_str(o, "spec", "deletionPolicy", NULL);
    const char  *vs_name = kjson_get_str(st, "volumeSnapshotName");
    const char  *error = kjson_path_str(vs, "status", "error", "message", NULL);
    const char  *cells[5], *colours[5] = {NULL, NULL, NULL, NULL, NULL};
    const cJSON *rtu = kjson_path(vs, "status", "readyToUse", NULL);
    char         engine[CELL], instance[CELL], age[32];
    table       *t;
    int          rc;

    if (!kjson_path_str(o, "metadata", "name", NULL))
        return CORE_EINVAL;
    snprintf(instance, sizeof instance, "%s%s", inst ? inst : "?",
             in->source == PLUGIN_SOURCE_PRESENT ? " (present)"
             : in->source == PLUGIN_SOURCE_GONE  ? " (deleted)"
                                                 : "");
    snprintf(engine, sizeof engine, "%s %s",
             kjson_path_str(st, "source", "engine", NULL)
                 ? kjson_path_str(st, "source", "engine", NULL)
                 : "?",
             kjson_path_str(st, "source", "version", NULL)
                 ? kjson_path_str(st, "source", "version", NULL)
                 : "?");
    plugin__obj_age(o, now, age, sizeof age);
    if ((rc = core_buf_printf(out, "%sDBSnapshot %s/%s%s\n", colour ? BOLD : "",
                              kjson_path_str(o, "metadata", "namespace", NULL)
                                  ? kjson_path_str(o, "metadata", "namespace", NULL)
                                  : "",
                              kjson_path_str(o, "metadata", "name", NULL), colour ? RESET : "")) ||
        (rc = line(out, "Instance:", instance)) || (rc = line(out, "Engine:", engine)) ||
        (rc = core_buf_printf(out, "%-16s%s%s%s (Ready %s)\n", "Phase:",
                              colour ? (state_colour("Ready", ready) ? state_colour("Ready", ready) : "")
                                     : "",
                              kjson_get_str(st, "phase") ? kjson_get_str(st, "phase") : "Unknown",
                              colour ? RESET : "", ready ? ready : "Unknown")) ||
        (rc = line(out, "Restore size:", kjson_get_str(st, "restoreSize"))) ||
        (rc = line(out, "Source size:", kjson_path_str(st, "source", "storageSize", NULL))) ||
        (rc = line(out, "Database:", kjson_path_str(st, "source", "database", NULL))) ||
        (rc = line(out, "Username:", kjson_path_str(st, "source", "username", NULL))) ||
        (rc = line(out, "Created:", kjson_get_str(st, "creationTime"))) ||
        (rc = line(out, "Policy:", policy ? policy : "Delete")) || (rc = line(out, "Age:", age)) ||
        (rc = conditions(o, now, colour, out)))
        return rc;
    if (!(t = calloc(1, sizeof *t)))
        return CORE_ENOMEM;
    t->ncols = 5;
    row_add(t, head, NULL);
    cells[0] = vs ? kjson_path_str(vs, "metadata", "name", NULL) : vs_name;
    cells[1] = !vs ? "missing" : !rtu ? "-" : cJSON_IsTrue(rtu) ? "true" : "false";
    colours[1] = !vs || !cJSON_IsTrue(rtu) ? RED : GREEN;
    cells[2] = kjson_path_str(vs, "status", "restoreSize", NULL);
    cells[3] = kjson_path_str(vs, "spec", "volumeSnapshotClassName", NULL);
    cells[4] = error;
    colours[4] = error ? RED : NULL;
    if (vs || vs_name)
        row_add(t, cells, colours);
    rc = section("VolumeSnapshot", t, colour, out);
    free(t);
    if (rc)
        return rc;
    return events(in, now, colour, out);
}


int
plugin_target(const char *arg, const char **kind, const char **name, char *err, size_t errlen)
{
    static const struct {
        const char *kind, *names[3];
    } kinds[] = {
        {"DBInstance", {"dbinstance", "dbinstances", "dbi"}},
        {"HACluster", {"hacluster", "haclusters", "hac"}},
        {"DBSnapshot", {"dbsnapshot", "dbsnapshots", "dbsnap"}},
    };
    const char *slash = strchr(arg, '/');
    size_t      len, i, j;

    *kind = NULL;
    *name = arg;
    if (!slash)
        goto named;
    len = (size_t)(slash - arg);
    if (len > 10 && strncasecmp(arg + len - 10, ".dbaas.dev", 10) == 0)
        len -= 10;
    for (i = 0; i < sizeof kinds / sizeof *kinds && !*kind; i++)
        for (j = 0; j < 3; j++)
            if (strlen(kinds[i].names[j]) == len && strncasecmp(arg, kinds[i].names[j], len) == 0)
                *kind = kinds[i].kind;
    if (!*kind)
        return core_errf(err, errlen, CORE_EINVAL,
                         "\"%.*s\" is not a kind of kubectl dbaas: use dbinstance/NAME, "
                         "hacluster/NAME or dbsnapshot/NAME",
                         (int)(slash - arg), arg);
    *name = slash + 1;
named:
    if (!**name || strchr(*name, '/'))
        return core_errf(err, errlen, CORE_EINVAL, "\"%s\" is not NAME or TYPE/NAME", arg);
    return CORE_OK;
}


/* Copies of the items of list into arr, with kind and apiVersion where they lack them. */
static int
doc_items(cJSON *arr, const cJSON *list, const char *api, const char *kind)
{
    const cJSON *it;

    cJSON_ArrayForEach(it, kjson_path(list, "items", NULL)) {
        cJSON *c = cJSON_Duplicate(it, 1);

        if (!c)
            return CORE_ENOMEM;
        if (!cJSON_AddItemToArray(arr, c)) {
            cJSON_Delete(c);
            return CORE_ENOMEM;
        }
        if ((!cJSON_GetObjectItemCaseSensitive(c, "kind") &&
             !cJSON_AddStringToObject(c, "kind", kind)) ||
            (!cJSON_GetObjectItemCaseSensitive(c, "apiVersion") &&
             !cJSON_AddStringToObject(c, "apiVersion", api)))
            return CORE_ENOMEM;
    }
    return CORE_OK;
}


cJSON *
plugin_status_doc(const plugin_status_in *in)
{
    const cJSON             *one[] = {in->obj, in->statefulset, in->postgresql, in->volumesnapshot};
    static const char *const one_api[] = {"dbaas.dev/v1alpha1", "apps/v1", "acid.zalan.do/v1",
                                          "snapshot.storage.k8s.io/v1"};
    static const char *const one_kind[] = {NULL, "StatefulSet", "postgresql", "VolumeSnapshot"};
    cJSON *list = plugin_list_of(NULL, 0), *arr = cJSON_GetObjectItemCaseSensitive(list, "items");
    size_t i;

    if (!list)
        return NULL;
    for (i = 0; i < sizeof one / sizeof *one; i++) {
        cJSON *c;

        if (!one[i])
            continue;
        if (!(c = cJSON_Duplicate(one[i], 1)) || !cJSON_AddItemToArray(arr, c)) {
            cJSON_Delete(c);
            goto fail;
        }
        if ((one_kind[i] && !cJSON_GetObjectItemCaseSensitive(c, "kind") &&
             !cJSON_AddStringToObject(c, "kind", one_kind[i])) ||
            (!cJSON_GetObjectItemCaseSensitive(c, "apiVersion") &&
             !cJSON_AddStringToObject(c, "apiVersion", one_api[i])))
            goto fail;
    }
    if (doc_items(arr, in->pods, "v1", "Pod") ||
        doc_items(arr, in->pvcs, "v1", "PersistentVolumeClaim") ||
        doc_items(arr, in->snapshots, "dbaas.dev/v1alpha1", "DBSnapshot") ||
        doc_items(arr, in->events, "v1", "Event"))
        goto fail;
    return list;
fail:
    cJSON_Delete(list);
    return NULL;
}


cJSON *
plugin_snapshot_obj(const char *ns, const char *instance, const char *name)
{
    cJSON *o = cJSON_CreateObject(), *meta, *spec;
    char   prefix[CELL];

    snprintf(prefix, sizeof prefix, "%s-", instance);
    if (!o || !cJSON_AddStringToObject(o, "apiVersion", "dbaas.dev/v1alpha1") ||
        !cJSON_AddStringToObject(o, "kind", "DBSnapshot") ||
        !(meta = cJSON_AddObjectToObject(o, "metadata")) ||
        !cJSON_AddStringToObject(meta, name ? "name" : "generateName", name ? name : prefix) ||
        !cJSON_AddStringToObject(meta, "namespace", ns) ||
        !(spec = cJSON_AddObjectToObject(o, "spec")) ||
        !cJSON_AddStringToObject(spec, "instanceName", instance)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}


int
plugin_restore_obj(const cJSON *snap, const char *new_name, const char *storage_class, cJSON **out,
                   char *err, size_t errlen)
{
    const cJSON   *src = kjson_path(snap, "status", "source", NULL);
    const char    *sname = kjson_path_str(snap, "metadata", "name", NULL);
    const char    *ns = kjson_path_str(snap, "metadata", "namespace", NULL);
    const char    *keys[] = {"engine", "version", "database", "username"};
    const char    *size = kjson_path_str(snap, "status", "restoreSize", NULL);
    const char    *ssize = kjson_get_str(src, "storageSize");
    kjson_quantity a, b;
    cJSON         *o = NULL, *meta, *spec, *storage, *rf;
    size_t         i;

    *out = NULL;
    for (i = 0; i < 4; i++)
        if (!kjson_get_str(src, keys[i]))
            return core_errf(err, errlen, CORE_EINVAL,
                             "dbsnapshot \"%s\" has no status.source.%s yet: is it ready?",
                             sname ? sname : "", keys[i]);
    if (ssize && (!size || (!kjson_quantity_parse(size, &a) && !kjson_quantity_parse(ssize, &b) &&
                            kjson_quantity_cmp(&b, &a) > 0)))
        size = ssize;
    if (!size)
        return core_errf(err, errlen, CORE_EINVAL,
                         "dbsnapshot \"%s\" has no restoreSize yet: is it ready?",
                         sname ? sname : "");
    if (!(o = cJSON_CreateObject()) ||
        !cJSON_AddStringToObject(o, "apiVersion", "dbaas.dev/v1alpha1") ||
        !cJSON_AddStringToObject(o, "kind", "DBInstance") ||
        !(meta = cJSON_AddObjectToObject(o, "metadata")) ||
        !cJSON_AddStringToObject(meta, "name", new_name) ||
        (ns && !cJSON_AddStringToObject(meta, "namespace", ns)) ||
        !(spec = cJSON_AddObjectToObject(o, "spec")))
        goto fail;
    for (i = 0; i < 4; i++)
        if (!cJSON_AddStringToObject(spec, keys[i], kjson_get_str(src, keys[i])))
            goto fail;
    if (!(storage = cJSON_AddObjectToObject(spec, "storage")) ||
        !cJSON_AddStringToObject(storage, "size", size) ||
        (storage_class && !cJSON_AddStringToObject(storage, "storageClassName", storage_class)) ||
        !(rf = cJSON_AddObjectToObject(spec, "restoreFrom")) ||
        !cJSON_AddStringToObject(rf, "snapshot", sname ? sname : ""))
        goto fail;
    *out = o;
    return CORE_OK;
fail:
    cJSON_Delete(o);
    return CORE_ENOMEM;
}
