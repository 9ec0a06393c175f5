/*
 * The DBInstance controller's NetworkPolicy step (dbi_controller-int.h; the rules are in
 * dbi_netpol.h): applied while spec.networkPolicy.enabled, deleted (when it is ours) once it
 * is not. Its answer is awaited with the other children's (ctrl_then in the caller).
 */
#include "dbi_controller-int.h"

#include "ctrl/ctrl.h"
#include "dbi/dbi.h"
#include "dbi/dbi_netpol.h"


void
dbi__netpol(ctrl_run *run)
{
    dbi_run  *s = dbi__st(run);
    informer *cache = dbi__caches(run)->netpols;
    cJSON    *live;

    if (s->spec.netpol) {
        ctrl_apply(run, &KRES_NETWORKPOLICIES, cache,
                   dbi_build_networkpolicy(&s->spec, ctrl_obj(run)), NULL);
        return;
    }
    /* The cache holds only objects with our labels; ctrl_delete checks they are this one's. */
    live = ctrl_cached(run, cache, ctrl_name(run));
    if (live && ctrl_controls(run, live))
        ctrl_delete(run, &KRES_NETWORKPOLICIES, live, "Background");
    cJSON_Delete(live);
}
