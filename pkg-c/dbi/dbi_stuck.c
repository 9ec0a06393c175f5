#include "dbi_stuck.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/core.h"
#include "ctrl/ctrl_about.h"
#include "ctrl/ctrl_status.h"
#include "informer/informer.h"
#include "kjson/kjson.h"

/* Waiting reasons of the kubelet that need a person; ContainerCreating and PodInitializing
 * are the normal way to start and are not here. */
static const char *const stuck_waiting[] = {
    "ImagePullBackOff",           "ErrImagePull",         "InvalidImageName",  "CrashLoopBackOff",
    "CreateContainerConfigError", "CreateContainerError", "RunContainerError", NULL,
};


static int say(dbi_stuck *out, const char *reason, int degraded, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
say(dbi_stuck *out, const char *reason, int degraded, const char *fmt, ...)
{
    va_list ap;

    out->reason = reason;
    out->degraded = degraded;
    out->recheck_s = 0;
    va_start(ap, fmt);
    vsnprintf(out->message, sizeof out->message, fmt, ap);
    va_end(ap);
    return 1;
}


static const char *
or_empty(const char *s)
{
    return s ? s : "";
}


/* The condition of type in obj's status.conditions with that status (any when NULL), or NULL. */
static const cJSON *
condition(const cJSON *obj, const char *type, const char *status)
{
    const cJSON *c = ctrl_condition_find(cJSON_GetObjectItemCaseSensitive(obj, "status"), type);
    const char  *s = kjson_get_str(c, "status");

    return s && (!status || strcmp(s, status) == 0) ? c : NULL;
}


static const char *
stuck_reason(const char *waiting)
{
    int i;

    for (i = 0; waiting && stuck_waiting[i]; i++)
        if (strcmp(waiting, stuck_waiting[i]) == 0)
            return stuck_waiting[i];
    return NULL;
}


static int
container_stuck(const cJSON *cs, dbi_stuck *out)
{
    const char  *name = or_empty(kjson_get_str(cs, "name"));
    const char  *reason = stuck_reason(kjson_path_str(cs, "state", "waiting", "reason", NULL));
    const char  *msg = or_empty(kjson_path_str(cs, "state", "waiting", "message", NULL));
    const cJSON *last = kjson_path(cs, "lastState", "terminated", NULL);
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(last, "exitCode");
    const cJSON *restarts = cJSON_GetObjectItemCaseSensitive(cs, "restartCount");

    if (!reason)
        return 0;
    if (strcmp(reason, "CrashLoopBackOff") == 0 || cJSON_IsNumber(code))
        return say(out, reason, 1, "container %s: %s after %d restarts; last exit code %d (%s)%s%s",
                   name, reason, kjson_int_or(restarts, 0, INT_MAX, 0),
                   kjson_int_or(code, INT_MIN, INT_MAX, -1),
                   kjson_get_str(last, "reason") ? kjson_get_str(last, "reason") : "no reason given",
                   *msg ? ": " : "", msg);
    return say(out, reason, 1, "container %s: %s%s%s", name, reason, *msg ? ": " : "", msg);
}


/* kube-scheduler's VolumeBinding plugin: the pod waits for its claims to be bound. */
#define UNBOUND_CLAIMS "unbound immediate PersistentVolumeClaims"
#define CLAIM_FIELDS   "spec.storage.size, spec.storage.storageClassName"

/* The spec fields behind the scheduler's words (its predicates' messages in
 * kubernetes/pkg/scheduler/framework/plugins): a user reads which part of the DBInstance to
 * change, not only the pod's trouble. */
static const struct {
    const char *phrase;
    const char *fields;
} sched_hints[] = {
    {UNBOUND_CLAIMS, CLAIM_FIELDS},
    {"node affinity/selector",
     "spec.podTemplate.nodeSelector, spec.podTemplate.affinity.nodeAffinity"},
    {"untolerated taint", "spec.podTemplate.tolerations"},
    {"topology spread constraints", "spec.podTemplate.topologySpreadConstraints"},
    {"affinity rules", "spec.podTemplate.affinity"},
};


/* Appends s to the comma-separated list in buf (NUL-terminated, of size len); cut at len. */
static void
hint_add(char *buf, size_t len, const char *s)
{
    size_t n = strlen(buf);

    if (n + 1 < len)
        snprintf(buf + n, len - n, "%s%s", n ? ", " : "", s);
}


/* "Insufficient <resource>" names spec.resources.requests.<resource>, each once. */
static void
hint_insufficient(const char *msg, char *buf, size_t len)
{
    static const char word[] = "Insufficient ";
    const char       *p = msg;
    char              field[300];
    size_t            n;

    while ((p = strstr(p, word))) {
        p += sizeof word - 1;
        n = strcspn(p, " ,;:");
        if (n > 0 && p[n - 1] == '.') /* the sentence's end, not the name's */
            n--;
        if (n == 0 || n > 253)
            continue;
        snprintf(field, sizeof field, "spec.resources.requests.%.*s", (int)n, p);
        if (!strstr(buf, field))
            hint_add(buf, len, field);
    }
}


static int
unschedulable(const char *msg, dbi_stuck *out)
{
    char   hints[512] = "";
    size_t i;

    for (i = 0; i < sizeof sched_hints / sizeof sched_hints[0]; i++)
        if (strstr(msg, sched_hints[i].phrase))
            hint_add(hints, sizeof hints, sched_hints[i].fields);
    hint_insufficient(msg, hints, sizeof hints);
    /* The fields first: the scheduler's words can be long, and the message is cut at its end. */
    if (hints[0])
        return say(out, "Unschedulable", 1, "the pod cannot be scheduled (check %s): %s", hints, msg);
    return say(out, "Unschedulable", 1, "the pod cannot be scheduled: %s", msg);
}


int
dbi_stuck_pod(const cJSON *pod, dbi_stuck *out)
{
    const cJSON *sched = condition(pod, "PodScheduled", "False");
    const char  *lists[] = {"initContainerStatuses", "containerStatuses"};
    const cJSON *cs;
    size_t       i;

    if (!pod)
        return 0;
    if (sched && kjson_get_str(sched, "reason") &&
        strcmp(kjson_get_str(sched, "reason"), "Unschedulable") == 0) {
        /* Waiting for its claim, which dbi_stuck_claim judges (the condition also outlives
         * the binding until the scheduler's next attempt). */
        if (strstr(or_empty(kjson_get_str(sched, "message")), UNBOUND_CLAIMS))
            return 0;
        return unschedulable(or_empty(kjson_get_str(sched, "message")), out);
    }
    for (i = 0; i < sizeof lists / sizeof lists[0]; i++)
        cJSON_ArrayForEach(cs, kjson_path(pod, "status", lists[i], NULL)) {
            if (container_stuck(cs, out))
                return 1;
        }
    return 0;
}


/* A claim not bound is provisioning, or never will be (no such class, a size no volume
 * has): told apart by time, once the pod has waited DBI_CLAIM_BIND_S for it unscheduled.
 * A claim without a pod waiting (stopped, or a WaitForFirstConsumer class before the pod)
 * only waits. An age that cannot be read counts as waited long enough. */
static int
claim_pending(const cJSON *pvc, const char *name, const cJSON *sched, int64_t now_s, dbi_stuck *out)
{
    const char *msg = or_empty(kjson_get_str(sched, "message"));
    int64_t     made, left = 0;

    if (core_rfc3339_parse(kjson_path_str(pvc, "metadata", "creationTimestamp", NULL), &made) ==
        CORE_OK) {
        if (made + DBI_CLAIM_QUIET_S > now_s) {
            /* Not worth telling yet. At most the quiet time: a clock behind the API server's
             * must not put the look further off. */
            out->recheck_s = made + DBI_CLAIM_QUIET_S - now_s;
            if (out->recheck_s > DBI_CLAIM_QUIET_S)
                out->recheck_s = DBI_CLAIM_QUIET_S;
            return 0;
        }
        if (sched)
            left = made + DBI_CLAIM_BIND_S - now_s;
    }
    if (sched && left <= 0)
        return say(out, "ClaimNotBound", 1,
                   "volume claim %s is not bound after %d s and the pod waits for it (check %s)%s%s",
                   name, DBI_CLAIM_BIND_S, CLAIM_FIELDS, *msg ? ": " : "", msg);
    say(out, "ClaimPending", 0, "volume claim %s is not bound yet (%s)%s%s", name, CLAIM_FIELDS,
        *msg ? ": " : "", msg);
    out->recheck_s = left;
    return 1;
}


int
dbi_stuck_claim(const cJSON *pvc, const cJSON *pod, int64_t now_s, dbi_stuck *out)
{
    const char *name = or_empty(kjson_path_str(pvc, "metadata", "name", NULL));
    const char *phase = kjson_path_str(pvc, "status", "phase", NULL);
    const char *alloc = kjson_path_str(pvc, "status", "allocatedResourceStatuses", "storage", NULL);
    const cJSON *sched = condition(pod, "PodScheduled", "False");
    const cJSON *c;

    out->recheck_s = 0;
    if (!pvc)
        return 0;
    if ((c = condition(pvc, "ControllerResizeError", "True")) ||
        (c = condition(pvc, "NodeResizeError", "True")))
        return say(out, "StorageResizeRefused", 1, "volume claim %s: %s: %s", name,
                   kjson_get_str(c, "type"), or_empty(kjson_get_str(c, "message")));
    if (alloc && strstr(alloc, "Infeasible"))
        return say(out, "StorageResizeRefused", 1,
                   "volume claim %s: the resize cannot be done (%s); fix the cause on the "
                   "storage side (quota, the driver's limits); spec.storage.size cannot be "
                   "lowered, so the claim keeps asking for it",
                   name, alloc);
    if (phase && strcmp(phase, "Pending") == 0)
        return claim_pending(pvc, name, sched, now_s, out);
    if ((c = condition(pvc, "FileSystemResizePending", "True")))
        return say(out, "FileSystemResizePending", 0,
                   "volume claim %s: waiting for the node to grow the file system%s%s", name,
                   kjson_get_str(c, "message") ? ": " : "", or_empty(kjson_get_str(c, "message")));
    if ((c = condition(pvc, "Resizing", "True")) || (alloc && strstr(alloc, "InProgress")) ||
        (alloc && strstr(alloc, "Pending")))
        return say(out, "Resizing", 0, "volume claim %s is being resized%s%s", name,
                   c && kjson_get_str(c, "message") ? ": " : "",
                   c ? or_empty(kjson_get_str(c, "message")) : "");
    return 0;
}


/* The spec fields behind an admission plugin's refusal of a pod or claim the StatefulSet
 * creates: Priority ("no PriorityClass with name %v was found"), ResourceQuota ("exceeded
 * quota", "failed quota") and LimitRanger ("maximum cpu usage per Container is ..."), in
 * kubernetes/plugin/pkg/admission. The claim's refusals name its size. */
static const struct {
    const char *phrase;
    const char *pod_fields;
    const char *claim_fields;
} create_hints[] = {
    {"no PriorityClass with name", "spec.podTemplate.priorityClassName", NULL},
    {"exceeded quota", "spec.resources", "spec.storage.size"},
    {"failed quota", "spec.resources", "spec.storage.size"},
    {" usage per ", "spec.resources", "spec.storage.size"},
    {"limit to request ratio", "spec.resources", NULL},
};


/* 1 when sts' controller has not seen its latest spec yet (status.observedGeneration below
 * metadata.generation, or none); 0 when it has, or sts has no generation to compare. */
static int
sts_behind(const cJSON *sts)
{
    const cJSON *gen = kjson_path(sts, "metadata", "generation", NULL);
    const cJSON *seen = kjson_path(sts, "status", "observedGeneration", NULL);

    return cJSON_IsNumber(gen) && (!cJSON_IsNumber(seen) || seen->valuedouble < gen->valuedouble);
}


/* What the API server said, without the statefulset controller's framing. */
static const char *
create_cause(const char *msg)
{
    static const char framing[] = "failed error: ", pvc[] = "failed to create PVC ";
    const char       *p = strstr(msg, framing), *colon;

    if (!p)
        return msg;
    p += sizeof framing - 1;
    if (strncmp(p, pvc, sizeof pvc - 1) == 0 && (colon = strstr(p, ": ")))
        p = colon + 2;
    return p;
}


int
dbi_stuck_create(const cJSON *failed, const cJSON *done, const cJSON *sts, const cJSON *pod,
                 dbi_stuck *out)
{
    const char *msg = kjson_get_str(failed, "message");
    int         claim;
    char        hints[256] = "";
    const char *f;
    size_t      i;

    if (!msg || pod || !sts)
        return 0;
    if (sts_behind(sts))
        return 0;
    if (done && ctrl_about_when(done) >= ctrl_about_when(failed))
        return 0;
    /* "Create Claim data-x-0 for Pod x-0 ...", or "Create Pod x-0 ... failed to create PVC". */
    claim = strncasecmp(msg, "create claim ", 13) == 0 || strstr(msg, "failed to create PVC ") ||
            strstr(msg, "persistentvolumeclaims \"");
    for (i = 0; i < sizeof create_hints / sizeof create_hints[0]; i++) {
        f = claim ? create_hints[i].claim_fields : create_hints[i].pod_fields;
        if (f && strstr(msg, create_hints[i].phrase) && !strstr(hints, f))
            hint_add(hints, sizeof hints, f);
    }
    if (hints[0])
        return say(out, "PodCreateFailed", 1, "the StatefulSet cannot create the %s (check %s): %s",
                   claim ? "volume claim" : "pod", hints, create_cause(msg));
    return say(out, "PodCreateFailed", 1, "the StatefulSet cannot create the %s: %s",
               claim ? "volume claim" : "pod", create_cause(msg));
}


int
dbi_stuck_replace(const cJSON *pod, const cJSON *sts, dbi_stuck *why)
{
    const char *want = kjson_path_str(sts, "status", "updateRevision", NULL);
    const char *has = kjson_path_str(pod, "metadata", "labels", "controller-revision-hash", NULL);

    if (!pod || !want || !has || strcmp(want, has) == 0 ||
        !cJSON_IsNumber(kjson_path(sts, "metadata", "generation", NULL)) || sts_behind(sts))
        return 0;
    if (kjson_path(pod, "metadata", "deletionTimestamp", NULL) || condition(pod, "Ready", "True"))
        return 0;
    return dbi_stuck_pod(pod, why);
}


int
dbi_pod_keep(cJSON *pod)
{
    static const char *const keep[] = {"phase", "conditions", "containerStatuses",
                                       "initContainerStatuses"};

    (void)informer_strip(pod);
    cJSON_DeleteItemFromObjectCaseSensitive(pod, "spec");
    kjson_keep(cJSON_GetObjectItemCaseSensitive(pod, "status"), keep, sizeof keep / sizeof *keep);
    return 1;
}
