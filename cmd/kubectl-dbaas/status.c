/* kubectl dbaas status, snapshot and restore. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/core.h"
#include "ctrl/ctrl.h"
#include "dbi/dbi_controller.h"
#include "hac/hac.h"
#include "hac/hac_controller.h"
#include "kd.h"
#include "kjson/kjson.h"
#include "plugin/plugin.h"
#include "snap/snap_controller.h"

#define POLL_S 2


/* A List by label or field selector (escaped here); NULL when it could not be read. */
static cJSON *
list_by(kcli *c, const kres *r, const char *ns, const char *key, const char *selector)
{
    core_buf    q;
    cJSON      *list = NULL;
    kcli_result res;

    core_buf_init(&q, 4096);
    if (core_buf_printf(&q, "%s=", key) || kres_escape(&q, selector))
        return NULL;
    kcli_list(c, r, ns, q.data, &list, &res);
    core_buf_free(&q);
    return list;
}


/* The DBSnapshots of instance (spec.instanceName) in a new List; NULL when unreadable. */
static cJSON *
snapshots_of(kcli *c, const char *ns, const char *instance)
{
    cJSON      *all = NULL, *mine = cJSON_CreateObject(), *items, *it;
    kcli_result r;

    if (!mine || !(items = cJSON_AddArrayToObject(mine, "items")) ||
        kcli_list(c, &KRES_DBSNAPSHOTS, ns, NULL, &all, &r)) {
        cJSON_Delete(mine);
        return NULL;
    }
    cJSON_ArrayForEach(it, kjson_path(all, "items", NULL)) {
        const char *inst = kjson_path_str(it, "spec", "instanceName", NULL);

        if (inst && strcmp(inst, instance) == 0)
            cJSON_AddItemToArray(items, cJSON_Duplicate(it, 1));
    }
    cJSON_Delete(all);
    return mine;
}


int
kd_status(const kd_opts *o, kcli *c)
{
    const char      *ns = kd_ns(o, c), *name, *no_colour = getenv("NO_COLOR");
    const kres      *res = &KRES_DBINSTANCES;
    cJSON           *obj = NULL, *sts = NULL, *pods = NULL, *pg = NULL, *pvcs = NULL;
    cJSON           *events = NULL, *snaps = NULL, *secret = NULL, *vs = NULL, *src = NULL;
    cJSON           *doc = NULL;
    plugin_status_in in;
    kcli_result      r;
    char             sel[600], sname[300];
    const char      *cs;
    core_buf         b;
    int              rc, hac, snap;

    if ((rc = kd_get_target(c, ns, "status", o->args[0], &obj, &res)))
        return rc;
    name = kjson_path_str(obj, "metadata", "name", NULL);
    if (!name) {
        cJSON_Delete(obj);
        return kd_error("the server's %s has no metadata.name", res->kind);
    }
    hac = strcmp(res->kind, "HACluster") == 0;
    snap = strcmp(res->kind, "DBSnapshot") == 0;
    memset(&in, 0, sizeof in);
    in.obj = obj;
    in.secret = -1;
    if (snap) {
        const char *vs_name = kjson_path_str(obj, "status", "volumeSnapshotName", NULL);
        const char *inst = kjson_path_str(obj, "spec", "instanceName", NULL);

        kcli_get(c, &KRES_VOLUMESNAPSHOTS, ns, vs_name ? vs_name : name, &vs, &r);
        if (inst && kcli_get(c, &KRES_DBINSTANCES, ns, inst, &src, &r) == CORE_OK)
            in.source = PLUGIN_SOURCE_PRESENT;
        else if (inst && r.err == CORE_ENOENT)
            in.source = PLUGIN_SOURCE_GONE;
    } else if (hac) {
        kcli_get(c, &HAC_KRES_POSTGRESQLS, ns, name, &pg, &r);
        snprintf(sel, sizeof sel, "cluster-name=%s", name);
    } else {
        kcli_get(c, &KRES_STATEFULSETS, ns, name, &sts, &r);
        snprintf(sel, sizeof sel, "%s=%s,%s=dbaas-operator", CTRL_LABEL_INSTANCE, name,
                 CTRL_LABEL_MANAGED);
        snaps = snapshots_of(c, ns, name);
    }
    if (!snap) {
        pods = list_by(c, &KRES_PODS, ns, "labelSelector", sel);
        pvcs = list_by(c, &KRES_PVCS, ns, "labelSelector", sel);
        cs = kjson_path_str(obj, "status", "connectionSecret", NULL);
        snprintf(sname, sizeof sname, "%s", cs ? cs : "");
        if (!cs)
            snprintf(sname, sizeof sname, "%s-credentials", name);
        /* Only whether it is there: the data is not needed (and the user may not read it). */
        in.secret = kcli_get(c, &KRES_SECRETS, ns, sname, &secret, &r) == CORE_OK ? 1
                  : r.err == CORE_ENOENT                                          ? 0
                                                                                  : -1;
        cJSON_Delete(secret);
    }
    snprintf(sel, sizeof sel, "involvedObject.name=%s,involvedObject.kind=%s", name, res->kind);
    events = list_by(c, &KRES_EVENTS, ns, "fieldSelector", sel);
    in.statefulset = sts, in.pods = pods, in.postgresql = pg, in.pvcs = pvcs;
    in.events = events, in.snapshots = snaps, in.volumesnapshot = vs;
    core_buf_init(&b, PLUGIN_OUT_MAX);
    if (o->output) {
        if (!(doc = plugin_status_doc(&in)))
            rc = kd_error("out of memory");
        else
            rc = kd_print(strcmp(o->output, "json") == 0 ? plugin_json(doc, &b) : plugin_yaml(doc, &b),
                          &b);
    } else {
        rc = kd_print(plugin_status(&in, (int64_t)time(NULL),
                                    isatty(STDOUT_FILENO) && !(no_colour && *no_colour), &b),
                      &b);
    }
    cJSON_Delete(doc);
    cJSON_Delete(obj);
    cJSON_Delete(sts);
    cJSON_Delete(pods);
    cJSON_Delete(pg);
    cJSON_Delete(pvcs);
    cJSON_Delete(events);
    cJSON_Delete(snaps);
    cJSON_Delete(vs);
    cJSON_Delete(src);
    return rc;
}


static const char *
cond_field(const cJSON *obj, const char *type, const char *field)
{
    return kjson_get_str(plugin_cond(obj, type), field);
}


/*
 * Polls res/name until Ready is True (KD_OK), Stalled is True (KD_FAIL, the reason told) or
 * the timeout passes, printing a progress line to stderr whenever phase or reason change.
 */
static int
follow(kcli *c, const kres *res, const char *ns, const char *name, long timeout_s)
{
    time_t      start = time(NULL);
    char        last[512] = "", now[512];
    cJSON      *obj = NULL;
    kcli_result r;
    int         rc = KD_FAIL;

    for (;;) {
        if (kcli_get(c, res, ns, name, &obj, &r))
            return kd_fail("get", res, ns, name, &r);
        snprintf(now, sizeof now, "%s/%s: %s (%s)", res->kind, name,
                 kjson_path_str(obj, "status", "phase", NULL)
                     ? kjson_path_str(obj, "status", "phase", NULL)
                     : "Pending",
                 cond_field(obj, "Ready", "reason") ? cond_field(obj, "Ready", "reason") : "-");
        if (strcmp(now, last) != 0) {
            fprintf(stderr, "%s, %lds\n", now, (long)(time(NULL) - start));
            snprintf(last, sizeof last, "%s", now);
        }
        if (cond_field(obj, "Ready", "status") &&
            strcmp(cond_field(obj, "Ready", "status"), "True") == 0) {
            rc = KD_OK;
            break;
        }
        if (cond_field(obj, "Stalled", "status") &&
            strcmp(cond_field(obj, "Stalled", "status"), "True") == 0) {
            rc = kd_error(
                "%s \"%s\" is stalled: %s: %s", res->kind, name,
                cond_field(obj, "Stalled", "reason") ? cond_field(obj, "Stalled", "reason") : "-",
                cond_field(obj, "Stalled", "message") ? cond_field(obj, "Stalled", "message") : "");
            break;
        }
        /* A snapshot the CSI driver failed (or that has no class) is reported, not waited
         * out: the snapshot-controller may retry, but nothing changes until someone acts. */
        if (res == &KRES_DBSNAPSHOTS && cond_field(obj, "Degraded", "status") &&
            strcmp(cond_field(obj, "Degraded", "status"), "True") == 0) {
            rc = kd_error(
                "%s \"%s\" failed: %s: %s", res->kind, name,
                cond_field(obj, "Degraded", "reason") ? cond_field(obj, "Degraded", "reason") : "-",
                cond_field(obj, "Degraded", "message") ? cond_field(obj, "Degraded", "message") : "");
            break;
        }
        if (time(NULL) - start >= timeout_s) {
            rc = kd_error("%s \"%s\" was not ready after %ld s: %s", res->kind, name, timeout_s,
                          cond_field(obj, "Ready", "message") ? cond_field(obj, "Ready", "message")
                                                              : "no status yet");
            break;
        }
        cJSON_Delete(obj);
        obj = NULL;
        sleep(POLL_S);
    }
    cJSON_Delete(obj);
    return rc;
}


int
kd_snapshot(const kd_opts *o, kcli *c)
{
    const char *ns = kd_ns(o, c), *name, *made;
    const kres *res;
    cJSON      *inst = NULL, *snap = NULL, *created = NULL;
    kcli_result r;
    int         rc;

    if ((rc = kd_get_target(c, ns, "snapshot", o->args[0], &inst, &res)))
        return rc;
    rc = KD_FAIL;
    if (!(name = kjson_path_str(inst, "metadata", "name", NULL))) {
        rc = kd_error("the server's DBInstance has no metadata.name");
        goto out;
    }
    if (!(snap = plugin_snapshot_obj(ns, name, o->name))) {
        rc = kd_error("out of memory");
        goto out;
    }
    if (kcli_create(c, &KRES_DBSNAPSHOTS, ns, snap, &created, &r)) {
        rc = r.err == CORE_ECONFLICT
               ? kd_error("dbsnapshots.dbaas.dev \"%s\" already exists in namespace \"%s\"",
                          o->name ? o->name : "", ns)
               : kd_fail("create", &KRES_DBSNAPSHOTS, ns, o->name, &r);
        goto out;
    }
    made = kjson_path_str(created, "metadata", "name", NULL);
    printf("dbsnapshot.dbaas.dev/%s created\n", made ? made : "?");
    fflush(stdout);
    rc = o->wait && made ? follow(c, &KRES_DBSNAPSHOTS, ns, made, o->timeout_s) : KD_OK;
out:
    cJSON_Delete(inst);
    cJSON_Delete(snap);
    cJSON_Delete(created);
    return rc;
}


int
kd_restore(const kd_opts *o, kcli *c)
{
    const char *ns = kd_ns(o, c), *snapname = o->args[0];
    cJSON      *snap = NULL, *inst = NULL, *source = NULL;
    const char *storage_class = NULL;
    kcli_result r;
    char        err[512];
    int         rc = KD_FAIL;

    if (kcli_get(c, &KRES_DBSNAPSHOTS, ns, snapname, &snap, &r))
        return kd_fail("get", &KRES_DBSNAPSHOTS, ns, snapname, &r);
    /* The source's storage class, whose driver holds the snapshot: as the DBSnapshot recorded
     * it ("" for the default class), else (recorded before that field) the source instance's,
     * while it exists. */
    storage_class = kjson_path_str(snap, "status", "source", "storageClassName", NULL);
    if (storage_class)
        storage_class = storage_class[0] ? storage_class : NULL;
    else if (kjson_path_str(snap, "spec", "instanceName", NULL) &&
             kcli_get(c, &KRES_DBINSTANCES, ns, kjson_path_str(snap, "spec", "instanceName", NULL),
                      &source, &r) == CORE_OK)
        storage_class = kjson_path_str(source, "spec", "storage", "storageClassName", NULL);
    if (plugin_restore_obj(snap, o->to, storage_class, &inst, err, sizeof err)) {
        rc = kd_error("%s", err);
        goto out;
    }
    if (kcli_create(c, &KRES_DBINSTANCES, ns, inst, NULL, &r)) {
        rc = r.err == CORE_ECONFLICT
               ? kd_error("dbinstances.dbaas.dev \"%s\" already exists in namespace \"%s\"", o->to, ns)
               : kd_fail("create", &KRES_DBINSTANCES, ns, o->to, &r);
        goto out;
    }
    printf("dbinstance.dbaas.dev/%s created from dbsnapshot %s\n", o->to, snapname);
    fflush(stdout);
    rc = o->wait ? follow(c, &KRES_DBINSTANCES, ns, o->to, o->timeout_s) : KD_OK;
out:
    cJSON_Delete(snap);
    cJSON_Delete(inst);
    cJSON_Delete(source);
    return rc;
}
