#include "ctrl_metrics.h"

#include <stdint.h>
#include <string.h>

#include "core/core.h"
#include "ctrl/ctrl_status.h"
#include "kjson/kjson.h"

#define NOBJ 3 /* kind, namespace, name: the first labels of every family */


static int
quantity_bytes(const char *s, double *out)
{
    kjson_quantity q;
    int64_t        b = 0;

    if (!s || kjson_quantity_parse(s, &q) || kjson_quantity_bytes(&q, &b))
        return 0;
    *out = (double)b;
    return 1;
}


static int
time_of(const char *s, double *out)
{
    int64_t t = 0;

    if (!s || core_rfc3339_parse(s, &t))
        return 0;
    *out = (double)t;
    return 1;
}


static int
number(const cJSON *item, double *out)
{
    if (!cJSON_IsNumber(item))
        return 0;
    *out = item->valuedouble;
    return 1;
}


void
ctrl_metrics_values_of(const cJSON *obj, const cJSON *status, const char *default_engine,
                       ctrl_metrics_values *out)
{
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(obj, "spec");
    const cJSON *ready = ctrl_condition_find(status, "Ready");
    const char  *s;
    int          usable = 0, stopped = 0;

    memset(out, 0, sizeof *out);
    s = kjson_get_str(spec, "engine");
    out->engine = s ? s : default_engine ? default_engine : "";
    s = kjson_get_str(status, "currentVersion");
    if (!s)
        s = kjson_get_str(spec, "version");
    out->version = s ? s : "";
    s = kjson_get_str(ready, "status");
    out->ready = s && strcmp(s, "True") == 0;
    out->has_requested =
        quantity_bytes(kjson_path_str(spec, "storage", "size", NULL), &out->requested_bytes);
    s = kjson_get_str(status, "storageSize");
    if (!s)
        s = kjson_get_str(status, "restoreSize");
    out->has_storage = quantity_bytes(s, &out->storage_bytes);
    out->has_replicas = number(cJSON_GetObjectItemCaseSensitive(spec, "replicas"), &out->replicas);
    if (kjson_get_bool(spec, "stopped", &stopped) == CORE_OK && stopped) {
        out->has_replicas = 1; /* stopped on purpose: asks for none */
        out->replicas = 0;
    }
    out->has_ready_replicas =
        number(cJSON_GetObjectItemCaseSensitive(status, "readyReplicas"), &out->ready_replicas);
    out->has_snapshot = time_of(kjson_get_str(status, "lastBackup"), &out->snapshot_time);
    if (!out->has_snapshot && kjson_get_bool(status, "readyToUse", &usable) == CORE_OK && usable)
        out->has_snapshot = time_of(kjson_get_str(status, "creationTime"), &out->snapshot_time);
}


static int
family(metrics_registry *r, const char *name, const char *help, int info, metrics_gauge_vec **out)
{
    static const char *const labels[] = {"kind", "namespace", "name", "engine", "version"};

    *out = metrics_gauge_vec_find(r, name);
    if (*out)
        return CORE_OK;
    return metrics_gauge_vec_new(r, name, help, labels, info ? 5 : NOBJ, out);
}


int
ctrl_metrics_families(metrics_registry *r, ctrl_metrics *out)
{
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = family(r, "dbaas_object_info",
                     "One series per object managed, its engine and version as labels.", 1,
                     &out->info)) ||
        (rc = family(r, "dbaas_object_ready", "1 when the object's condition Ready is True.", 0,
                     &out->ready)) ||
        (rc = family(r, "dbaas_object_storage_requested_bytes",
                     "The storage the object asks for (spec.storage.size).", 0, &out->requested)) ||
        (rc = family(r, "dbaas_object_storage_bytes",
                     "The storage the object has (the claim's capacity; a snapshot's size).", 0,
                     &out->storage)) ||
        (rc = family(r, "dbaas_object_replicas", "The replicas the object asks for.", 0,
                     &out->replicas)) ||
        (rc = family(r, "dbaas_object_ready_replicas", "The object's ready replicas.", 0,
                     &out->ready_replicas)) ||
        (rc = family(r, "dbaas_object_last_snapshot_timestamp_seconds",
                     "When the object's last successful backup or snapshot was taken.", 0,
                     &out->snapshot))) {
        memset(out, 0, sizeof *out);
        return rc;
    }
    return CORE_OK;
}


/* The object's series of v: set to value when has, else removed (by every label: a hash
 * lookup, not a walk of the family). */
static void
set(metrics_gauge_vec *v, const char *const *labels, int has, double value)
{
    metrics_gauge *g = NULL;

    if (!has)
        metrics_gauge_remove(v, labels, NOBJ);
    else if (metrics_gauge_with(v, labels, &g) == CORE_OK)
        metrics_gauge_set(g, value);
}


void
ctrl_metrics_forget(const ctrl_metrics *m, const char *kind, const char *ns, const char *name)
{
    const char *const obj[] = {kind, ns, name};

    if (!m->info)
        return;
    metrics_gauge_remove(m->info, obj, NOBJ);
    metrics_gauge_remove(m->ready, obj, NOBJ);
    metrics_gauge_remove(m->requested, obj, NOBJ);
    metrics_gauge_remove(m->storage, obj, NOBJ);
    metrics_gauge_remove(m->replicas, obj, NOBJ);
    metrics_gauge_remove(m->ready_replicas, obj, NOBJ);
    metrics_gauge_remove(m->snapshot, obj, NOBJ);
}


void
ctrl_metrics_observe(const ctrl_metrics *m, const char *kind, const char *ns, const char *name,
                     const ctrl_metrics_values *v)
{
    const char *const labels[] = {kind, ns, name, v->engine, v->version};

    metrics_gauge *g = NULL;

    if (!m->info)
        return;
    /* In place, since it runs on every status step: only another engine or version walks
     * the info family, to drop the object's older series. An object with no ready series
     * was never observed (or forgotten since: both go together), so it has no info series
     * to drop, and the first observe of each object does not walk the family (that was
     * O(N) per new object, O(N^2) for a create of N). The info series is made only once the
     * ready series exists (a full family or no memory may refuse it), so that an info
     * series never stands without one. */
    if (metrics_gauge_lookup(m->ready, labels, &g) == CORE_OK &&
        metrics_gauge_lookup(m->info, labels, &g) != CORE_OK)
        metrics_gauge_remove(m->info, labels, NOBJ);
    if (metrics_gauge_with(m->ready, labels, &g) == CORE_OK) {
        metrics_gauge_set(g, v->ready);
        set(m->info, labels, 1, 1);
    }
    set(m->requested, labels, v->has_requested, v->requested_bytes);
    set(m->storage, labels, v->has_storage, v->storage_bytes);
    set(m->replicas, labels, v->has_replicas, v->replicas);
    set(m->ready_replicas, labels, v->has_ready_replicas, v->ready_replicas);
    set(m->snapshot, labels, v->has_snapshot, v->snapshot_time);
}


int
ctrl_metrics_build_info(metrics_registry *r, const char *version)
{
    static const char *const labels[] = {"version"};
    metrics_gauge_vec       *v = NULL;
    metrics_gauge           *g = NULL;
    int                      rc;

    if ((rc = metrics_gauge_vec_new(r, "dbaas_build_info",
                                    "The operator's build; the value is always 1.", labels, 1, &v)) ||
        (rc = metrics_gauge_with(v, (const char *const[]){version}, &g)))
        return rc;
    metrics_gauge_set(g, 1);
    return CORE_OK;
}
