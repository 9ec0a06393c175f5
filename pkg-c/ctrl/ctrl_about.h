/*
 * ctrl_about: what others record about a run's children in Events (part of ctrl).
 *
 * Some controllers tell a failure only in an Event: the StatefulSet controller that cannot
 * create a pod or its claim (an admission plugin, a quota, a missing PriorityClass) records
 * a Warning FailedCreate Event on the StatefulSet (kube-controller-manager,
 * pkg/controller/statefulset/stateful_pod_control.go) and has no status condition for it.
 * A kind watches those Events (ctrl_watch_about) and finds the newest about a child
 * (ctrl_about) to say why in its own status.
 */
#ifndef DBAAS_CTRL_ABOUT_H
#define DBAAS_CTRL_ABOUT_H

#include <cjson/cJSON.h>

#include "ctrl/ctrl.h"

/*
 * Watches core/v1 Events in the controller's namespace (all when none) with the field
 * selector involvedObject.kind=involved_kind (a plain identifier), and reason=reason when
 * reason is not NULL; each change queues the primary named as the Event's involved object
 * (a child named after its primary). Needs RBAC list and watch on events. *out (may be
 * NULL) gives the cache; each Event in it carries its involvedObject.uid as an indexed label
 * (dbaas.dev/involved-uid, in the cache only) for ctrl_about. CORE_EINVAL (involved_kind missing, or either empty or with a ','
 * '=' or ' '), CORE_ENOMEM.
 */
int ctrl_watch_about(ctrl *c, const char *involved_kind, const char *reason, informer **out);

/*
 * The newest Event in cache (from ctrl_watch_about) about child, an object in the run's
 * namespace, whose reason is one of reasons (NULL-terminated; NULL: any):
 * involvedObject.uid is child's metadata.uid, and the Event is named "<child's
 * name>.<suffix>", as client-go's recorders name them (so only those are parsed). Newest by
 * ctrl_about_when; of equals, the first found. Read-only, owned by the run (ctrl_view), freed
 * when the run ends. NULL when there is none, child has no uid, or out of memory. At most
 * 16 Events named after child are looked at (a recorder folds repeats into one, count).
 */
const cJSON *ctrl_about(ctrl_run *run, informer *cache, const cJSON *child,
                        const char *const *reasons);

/*
 * The Events watch's transform (informer_transform): ev's involvedObject.uid as the label
 * dbaas.dev/involved-uid, then ev trimmed to what is read: metadata, involvedObject's uid
 * (ctrl_about) and name (the watch queues the primary of that name), reason, message, type,
 * count, lastTimestamp, series and eventTime.
 * Returns 1 (ev changed). ev stays the caller's.
 */
int ctrl_about_keep(cJSON *ev);

/* When the Event ev happened last, in Unix seconds (lastTimestamp, else
 * series.lastObservedTime, else eventTime), or 0 when none can be read. */
int64_t ctrl_about_when(const cJSON *ev);

#endif
