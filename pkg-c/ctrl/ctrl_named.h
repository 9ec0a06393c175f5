/*
 * ctrl_named: read an object the run's spec names (part of ctrl).
 *
 * ctrl_read_named declares the dependency (ctrl_depend: the object is watched by name from
 * the end of this run on, and its changes reconcile the run's object) and hands the object
 * to next: from that named watch once it has listed (no request), else, on the first run,
 * from one GET. For objects no cache of ours holds because they carry none of our labels
 * (a DBInstance a DBSnapshot names, the claim a StatefulSet made).
 */
#ifndef DBAAS_CTRL_NAMED_H
#define DBAAS_CTRL_NAMED_H

#include <cjson/cJSON.h>

#include "ctrl/ctrl.h"

/* Called with the object (NULL: it does not exist), valid during the call only. next ends
 * the run or queues more work, as a step does. */
typedef void (*ctrl_named_fn)(ctrl_run *run, const cJSON *obj);

/*
 * Reads name of res in the run's namespace and calls next, now (cached) or when the GET
 * answers. A GET that fails other than with 404 ends the run (ctrl_end, WQ_ERROR: backoff)
 * without calling next. Ends the run the same way when out of memory. The run must end
 * only from next (or what it queues): call it as the last thing a step does.
 */
void ctrl_read_named(ctrl_run *run, const kres *res, const char *name, ctrl_named_fn next);

#endif
