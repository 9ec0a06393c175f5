/*
 * What the instance's pod and data claim say when they are stuck, read without I/O from
 * the objects as cached (part of the dbi module, used by dbi_status and, for a pod to
 * replace, by dbi_controller). The words are the
 * kubelet's, the scheduler's and the volume controllers', kept in the message; the reason
 * is one of a fixed set of static strings, so it outlives the objects.
 */
#ifndef DBAAS_DBI_STUCK_H
#define DBAAS_DBI_STUCK_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "ctrl/ctrl.h"

/*
 * How long the pod may wait for its data claim to be bound before that is Degraded
 * (ClaimNotBound) rather than Progressing (ClaimPending): a volume being provisioned takes
 * seconds, a class that does not exist or a size no volume has never binds.
 */
#define DBI_CLAIM_BIND_S 60

/*
 * A claim younger than this that is not bound yet is part of provisioning and not told in
 * status: the volume of a new instance is usually bound within seconds (a cloud's disk in
 * 10 to 30), and telling the wait costs two status writes (ClaimPending, then back to
 * Provisioning) per instance for nothing a person can act on. Past it the wait is told
 * (ClaimPending), and past DBI_CLAIM_BIND_S it is Degraded. With 10 s, 82 of 300
 * DBInstances created at once told it and went back (issue 18). test/fuzz/specfuzz.py waits
 * longer than this for status to settle.
 */
#define DBI_CLAIM_QUIET_S 30

typedef struct {
    const char *reason;    /* CamelCase, static */
    int         degraded;  /* 1: something is wrong (Degraded); 0: in progress (Progressing) */
    int64_t     recheck_s; /* > 0: judge again in this many seconds (a claim's wait ends) */
    char        message[CTRL_MSG_MAX];
} dbi_stuck;

/*
 * The pod (may be NULL) cannot run: Unschedulable (the scheduler's message, led by the
 * spec fields its words point at: "(check spec.podTemplate.nodeSelector, ...)"), a container
 * waiting in ImagePullBackOff, ErrImagePull, InvalidImageName, CrashLoopBackOff (with the
 * restart count and last exit code and reason), CreateContainerConfigError,
 * CreateContainerError or RunContainerError. 1 and out filled (always degraded), or 0.
 * Unschedulable only because its claims are not bound ("pod has unbound immediate
 * PersistentVolumeClaims", kube-scheduler's VolumeBinding plugin) is the claim's wait, not
 * the pod's trouble: 0 (dbi_stuck_claim judges it; the scheduler's condition also stays
 * until its next attempt, after the claim is bound).
 */
int dbi_stuck_pod(const cJSON *pod, dbi_stuck *out);

/*
 * The claim (may be NULL) is not bound: ClaimPending, in progress, naming spec.storage.size
 * and spec.storage.storageClassName, with the pod's scheduling message when there is one;
 * ClaimNotBound, degraded, once the pod (may be NULL) has waited unscheduled for it
 * (PodScheduled False) and the claim is DBI_CLAIM_BIND_S old at now_s (Unix seconds), with
 * out->recheck_s set to when that will be while it is not yet. Or a resize is in progress
 * (Resizing, FileSystemResizePending) or refused (StorageResizeRefused: a
 * ControllerResizeError or NodeResizeError condition, or an Infeasible
 * status.allocatedResourceStatuses.storage). 1 and out filled, or 0. A claim not bound that
 * is younger than DBI_CLAIM_QUIET_S at now_s gives 0 with out->recheck_s set to the seconds
 * until it is that old (judge again then); every other 0 leaves out->recheck_s 0.
 */
int dbi_stuck_claim(const cJSON *pvc, const cJSON *pod, int64_t now_s, dbi_stuck *out);

/*
 * The StatefulSet sts cannot create the pod or its claim: failed (may be NULL) is the
 * newest FailedCreate Event about sts (ctrl_about; kube-controller-manager's statefulset
 * controller records "Create Pod <pod> in StatefulSet <sts> failed error: ..." or "Create
 * Claim <claim> for Pod ..."), and pod (may be NULL) does not exist. Degraded, reason
 * PodCreateFailed, with the API server's words (what follows "failed error: ", and "failed
 * to create PVC <name>: ", so that the two Events of one refused claim say the same) led by
 * the spec fields they point at: "(check spec.podTemplate.priorityClassName)" for the
 * Priority admission plugin's "no PriorityClass with name", spec.resources for a
 * ResourceQuota or LimitRange refusal of the pod, spec.storage.size for one of the claim.
 * 1 and out filled, or 0. The Event is taken as current only when nothing newer happened:
 * not while sts' controller has not seen its latest spec (status.observedGeneration below
 * metadata.generation: a spec just written, an instance just started again), and not when
 * done (may be NULL), the newest SuccessfulCreate or SuccessfulDelete Event about sts, is
 * as new (a pod made or deleted since: a rolling update of an instance whose create failed
 * earlier). Events of one second are not told apart: the next failed try, seconds later,
 * tells it. An Event the recorder's spam filter dropped is not seen.
 */
int dbi_stuck_create(const cJSON *failed, const cJSON *done, const cJSON *sts, const cJSON *pod,
                     dbi_stuck *out);

/*
 * Whether pod (may be NULL) should be deleted so that the StatefulSet sts makes it again
 * from its current template: it is stuck (dbi_stuck_pod), not Ready, not being deleted,
 * and runs an older template (its controller-revision-hash label is not sts'
 * status.updateRevision, read only once sts' controller has seen its latest spec:
 * status.observedGeneration at metadata.generation). The StatefulSet does not do it
 * itself: with OrderedReady it waits for the broken pod to become Ready ("Forced
 * rollback", see ctrl_delete_via). A pod stuck on the current template is left alone, as a
 * new one would be stuck the same way. 1 and why filled (the pod's trouble), or 0.
 */
int dbi_stuck_replace(const cJSON *pod, const cJSON *sts, dbi_stuck *why);

/*
 * The pod cache's transform (informer_transform): keeps what the DBInstance controller reads
 * of a pod, here and in ctrl (metadata, as informer_strip leaves it; status.phase,
 * conditions, containerStatuses and initContainerStatuses), and drops the rest (spec, the
 * other status fields): 4.7 KB of a kwok pod's compact JSON become 1.6 KB. Returns 1 (obj
 * changed). A reader of another field must add it here; test_dbi_stuck checks that a pod so
 * trimmed is judged as the whole one.
 */
int dbi_pod_keep(cJSON *pod);

#endif
