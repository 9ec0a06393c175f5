/*
 * ctrl_named: objects a spec names, from their named watch or one GET (ctrl_named.h).
 */
#include "ctrl/ctrl_named.h"

#include <stdlib.h>

#include "core/core.h"
#include "kops/kops.h"
#include "runtime/runtime.h"

typedef struct {
    ctrl_run     *run;
    ctrl_named_fn next;
} pending;


static void
on_get(const kops_result *res, void *data)
{
    pending      *p = data;
    ctrl_run     *run = p->run;
    ctrl_named_fn next = p->next;

    free(p);
    if (res->err && res->err != CORE_ENOENT) {
        ctrl_end(run, WQ_ERROR);
        return;
    }
    next(run, res->err ? NULL : res->obj);
}


void
ctrl_read_named(ctrl_run *run, const kres *res, const char *name, ctrl_named_fn next)
{
    informer   *inf;
    kops_target t = {rt_client(ctrl_runtime(run)), res, ctrl_ns(run), name, NULL, 0, 0};
    pending    *p;
    cJSON      *obj;

    ctrl_depend(run, res, name);
    inf = rt_named_informer(ctrl_runtime(run), res, ctrl_ns(run), name);
    if (inf && informer_synced(inf)) {
        obj = ctrl_cached(run, inf, name);
        next(run, obj);
        cJSON_Delete(obj);
        return;
    }
    p = malloc(sizeof *p);
    if (!p) {
        ctrl_end(run, WQ_ERROR);
        return;
    }
    p->run = run;
    p->next = next;
    if (kops_get(&t, on_get, p)) {
        free(p);
        ctrl_end(run, WQ_ERROR);
    }
}
