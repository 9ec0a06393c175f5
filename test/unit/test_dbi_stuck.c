#include "core/core.h"
#include "dbi/dbi.h"
#include "dbi/dbi_status.h"
#include "dbi/dbi_stuck.h"
#include "kjson/kjson.h"
#include "test.h"

/* Pods and claims as the kubelet, the scheduler and the volume controllers leave them. */
#define POD_PULL \
    "{\"status\":{\"phase\":\"Pending\",\"conditions\":[{\"type\":\"PodScheduled\",\"status\":\"True\"}]," \
    "\"containerStatuses\":[{\"name\":\"postgresql\",\"restartCount\":0,\"state\":{\"waiting\":" \
    "{\"reason\":\"ImagePullBackOff\",\"message\":\"Back-off pulling image \\\"r.invalid/pg:1\\\"\"}}}]}}"
#define POD_CRASH \
    "{\"status\":{\"phase\":\"Running\",\"containerStatuses\":[{\"name\":\"postgresql\"," \
    "\"restartCount\":5,\"state\":{\"waiting\":{\"reason\":\"CrashLoopBackOff\",\"message\":" \
    "\"back-off 2m40s\"}},\"lastState\":{\"terminated\":{\"exitCode\":137,\"reason\":\"OOMKilled\"}}}]}}"
#define POD_UNSCHEDULABLE \
    "{\"status\":{\"phase\":\"Pending\",\"conditions\":[{\"type\":\"PodScheduled\",\"status\":\"False\"," \
    "\"reason\":\"Unschedulable\",\"message\":\"0/1 nodes are available: 1 Insufficient cpu.\"}]}}"
#define POD_STARTING \
    "{\"status\":{\"phase\":\"Pending\",\"containerStatuses\":[{\"name\":\"postgresql\",\"state\":" \
    "{\"waiting\":{\"reason\":\"ContainerCreating\"}}}]}}"
#define POD_READY \
    "{\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"PodScheduled\",\"status\":\"True\"}," \
    "{\"type\":\"Ready\",\"status\":\"True\"}],\"containerStatuses\":[{\"name\":\"postgresql\"," \
    "\"restartCount\":2,\"state\":{\"running\":{}},\"lastState\":{\"terminated\":{\"exitCode\":1}}}]}}"


static int
stuck_pod(const char *text, dbi_stuck *out)
{
    cJSON *pod = cJSON_Parse(text);
    int    r;

    ASSERT(pod != NULL);
    memset(out, 0, sizeof *out);
    r = dbi_stuck_pod(pod, out);
    cJSON_Delete(pod);
    return r;
}


/* The clock of the claim tests: claims are made at MADE_S ("2026-12-01T05:00:00Z"). */
#define MADE   "2026-12-01T05:00:00Z"
#define MADE_S 1796101200
/* ... and judged past their quiet time (DBI_CLAIM_QUIET_S), 5 s into the wait they tell. */
#define WAIT_S (MADE_S + DBI_CLAIM_QUIET_S + 5)
/* A claim not bound yet, and a pod waiting for it (kube-scheduler's VolumeBinding words). */
#define CLAIM_PENDING \
    "{\"metadata\":{\"name\":\"data-o-0\",\"creationTimestamp\":\"" MADE "\"}," \
    "\"status\":{\"phase\":\"Pending\"}}"
#define CLAIM_BOUND \
    "{\"metadata\":{\"name\":\"data-o-0\",\"creationTimestamp\":\"" MADE "\"}," \
    "\"status\":{\"phase\":\"Bound\"}}"
#define POD_UNBOUND \
    "{\"status\":{\"phase\":\"Pending\",\"conditions\":[{\"type\":\"PodScheduled\",\"status\":\"False\"," \
    "\"reason\":\"Unschedulable\",\"message\":\"0/1 nodes are available: pod has unbound immediate " \
    "PersistentVolumeClaims. preemption: 0/1 nodes are available: 1 Preemption is not helpful for " \
    "scheduling.\"}]}}"


static int
stuck_claim_at(const char *text, const char *pod_text, int64_t now_s, dbi_stuck *out)
{
    cJSON *pvc = cJSON_Parse(text), *pod = pod_text ? cJSON_Parse(pod_text) : NULL;
    int    r;

    ASSERT(pvc != NULL);
    memset(out, 0, sizeof *out);
    r = dbi_stuck_claim(pvc, pod, now_s, out);
    cJSON_Delete(pvc);
    cJSON_Delete(pod);
    return r;
}


static int
stuck_claim(const char *text, const char *pod_text, dbi_stuck *out)
{
    return stuck_claim_at(text, pod_text, WAIT_S, out);
}


TEST(dbi_stuck_pod_reasons_and_the_kubelets_words)
{
    dbi_stuck s;

    ASSERT_EQ(stuck_pod(POD_PULL, &s), 1);
    ASSERT_STR(s.reason, "ImagePullBackOff");
    ASSERT_EQ(s.degraded, 1);
    ASSERT_STR(s.message,
               "container postgresql: ImagePullBackOff: Back-off pulling image \"r.invalid/pg:1\"");

    ASSERT_EQ(stuck_pod(POD_CRASH, &s), 1);
    ASSERT_STR(s.reason, "CrashLoopBackOff");
    ASSERT_STR(s.message, "container postgresql: CrashLoopBackOff after 5 restarts; last exit code "
                          "137 (OOMKilled): back-off 2m40s");

    ASSERT_EQ(stuck_pod(POD_UNSCHEDULABLE, &s), 1);
    ASSERT_STR(s.reason, "Unschedulable");
    ASSERT_STR(s.message, "the pod cannot be scheduled (check spec.resources.requests.cpu): 0/1 "
                          "nodes are available: 1 Insufficient cpu.");

    /* Starting, and running after earlier restarts, are not stuck. */
    ASSERT_EQ(stuck_pod(POD_STARTING, &s), 0);
    ASSERT_EQ(stuck_pod(POD_READY, &s), 0);
    ASSERT_EQ(dbi_stuck_pod(NULL, &s), 0);
}


/* The scheduler's words lead to the spec fields behind them (found by test/fuzz/specfuzz.py:
 * a nodeSelector no node has, or a 10Pi volume, gave a message that named no field). */
static void
expect_unschedulable(const char *sched_msg, const char *want)
{
    char      pod[1024];
    dbi_stuck s;

    snprintf(pod, sizeof pod,
             "{\"status\":{\"conditions\":[{\"type\":\"PodScheduled\",\"status\":\"False\","
             "\"reason\":\"Unschedulable\",\"message\":\"%s\"}]}}",
             sched_msg);
    ASSERT_EQ(stuck_pod(pod, &s), 1);
    ASSERT_STR(s.reason, "Unschedulable");
    ASSERT_STR(s.message, want);
}


TEST(dbi_stuck_unschedulable_names_the_spec_fields)
{
    expect_unschedulable("0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.",
                         "the pod cannot be scheduled (check spec.podTemplate.nodeSelector, "
                         "spec.podTemplate.affinity.nodeAffinity): 0/1 nodes are available: 1 "
                         "node(s) didn't match Pod's node affinity/selector.");
    expect_unschedulable("0/3 nodes are available: 1 Insufficient memory, 2 Insufficient cpu, "
                         "1 Insufficient example.com/widget, 1 Insufficient cpu.",
                         "the pod cannot be scheduled (check spec.resources.requests.memory, "
                         "spec.resources.requests.cpu, spec.resources.requests.example.com/widget): "
                         "0/3 nodes are available: 1 Insufficient memory, 2 Insufficient cpu, 1 "
                         "Insufficient example.com/widget, 1 Insufficient cpu.");
    expect_unschedulable("0/1 nodes are available: 1 node(s) had untolerated taint {a: b}, 1 node(s) "
                         "didn't match pod topology spread constraints, 1 node(s) didn't match pod "
                         "anti-affinity rules.",
                         "the pod cannot be scheduled (check spec.podTemplate.tolerations, "
                         "spec.podTemplate.topologySpreadConstraints, spec.podTemplate.affinity): 0/1 "
                         "nodes are available: 1 node(s) had untolerated taint {a: b}, 1 node(s) "
                         "didn't match pod topology spread constraints, 1 node(s) didn't match pod "
                         "anti-affinity rules.");
    /* Words it does not know: the scheduler's message alone. */
    expect_unschedulable("0/1 nodes are available: 1 node(s) were unschedulable.",
                         "the pod cannot be scheduled: 0/1 nodes are available: 1 node(s) were "
                         "unschedulable.");
}


TEST(dbi_stuck_claim_binding_and_resizing)
{
    dbi_stuck s;

    ASSERT_EQ(stuck_claim(CLAIM_PENDING, POD_UNBOUND, &s), 1);
    ASSERT_STR(s.reason, "ClaimPending");
    ASSERT_EQ(s.degraded, 0);
    ASSERT_EQ(s.recheck_s, DBI_CLAIM_BIND_S - DBI_CLAIM_QUIET_S - 5);
    ASSERT_STR(s.message,
               "volume claim data-o-0 is not bound yet (spec.storage.size, "
               "spec.storage.storageClassName): 0/1 nodes are available: pod has unbound "
               "immediate PersistentVolumeClaims. preemption: 0/1 nodes are available: 1 "
               "Preemption is not helpful for scheduling.");

    ASSERT_EQ(stuck_claim("{\"metadata\":{\"name\":\"data-o-0\"},\"status\":{\"phase\":\"Bound\","
                          "\"conditions\":[{\"type\":\"ControllerResizeError\",\"status\":\"True\","
                          "\"message\":\"resize volume failed: quota exceeded\"}]}}",
                          NULL, &s),
              1);
    ASSERT_STR(s.reason, "StorageResizeRefused");
    ASSERT_EQ(s.degraded, 1);
    ASSERT_STR(s.message,
               "volume claim data-o-0: ControllerResizeError: resize volume failed: quota exceeded");

    ASSERT_EQ(stuck_claim("{\"metadata\":{\"name\":\"data-o-0\"},\"status\":{\"phase\":\"Bound\","
                          "\"allocatedResourceStatuses\":{\"storage\":\"NodeResizeInfeasible\"}}}",
                          NULL, &s),
              1);
    ASSERT_STR(s.reason, "StorageResizeRefused");
    ASSERT(strstr(s.message, "NodeResizeInfeasible") != NULL);

    ASSERT_EQ(stuck_claim("{\"metadata\":{\"name\":\"data-o-0\"},\"status\":{\"phase\":\"Bound\","
                          "\"conditions\":[{\"type\":\"FileSystemResizePending\",\"status\":\"True\"}]}}",
                          NULL, &s),
              1);
    ASSERT_STR(s.reason, "FileSystemResizePending");
    ASSERT_EQ(s.degraded, 0);

    ASSERT_EQ(stuck_claim("{\"metadata\":{\"name\":\"data-o-0\"},\"status\":{\"phase\":\"Bound\","
                          "\"allocatedResourceStatuses\":{\"storage\":\"ControllerResizeInProgress\"}}}",
                          NULL, &s),
              1);
    ASSERT_STR(s.reason, "Resizing");

    ASSERT_EQ(stuck_claim("{\"metadata\":{\"name\":\"data-o-0\"},\"status\":{\"phase\":\"Bound\"}}",
                          NULL, &s),
              0);
}


/* The FailedCreate Event status_at hands over (dbi_status_in.sts_failed); NULL: none. */
static const cJSON *failed_event;


static cJSON *
status_at(cJSON *obj, const char *reason, const cJSON *sts, const cJSON *pvc, const cJSON *pod,
          int64_t now_s)
{
    dbi_spec      spec;
    dbi_status_in in;
    char          err[256];

    memset(&in, 0, sizeof in);
    ASSERT_EQ(dbi_spec_parse(obj, &spec, err, sizeof err), CORE_OK);
    in.dbi = obj;
    in.spec = &spec;
    in.reason = reason;
    in.message = reason ? "spec.version: changing the major version" : NULL;
    in.sts = sts;
    in.pvc = pvc;
    in.pod = pod;
    in.sts_failed = failed_event;
    in.now = "T1";
    in.now_s = now_s;
    return dbi_status_build(&in);
}


static cJSON *
status_with(cJSON *obj, const char *reason, const cJSON *sts, const cJSON *pvc, const cJSON *pod)
{
    return status_at(obj, reason, sts, pvc, pod, WAIT_S);
}


static const char *
cond(const cJSON *st, const char *type, const char *field)
{
    return kjson_get_str(ctrl_condition_find(st, type), field);
}


TEST(dbi_status_tells_a_stuck_pod_and_keeps_ready_for_a_refused_spec)
{
    cJSON *obj =
        cJSON_Parse("{\"metadata\":{\"name\":\"o\",\"namespace\":\"n\",\"generation\":2},"
                    "\"spec\":{\"engine\":\"postgresql\",\"version\":\"16\",\"database\":\"o\"}}");
    cJSON *down = cJSON_Parse("{\"metadata\":{\"generation\":1},\"status\":{\"observedGeneration\":1,"
                              "\"readyReplicas\":0}}");
    cJSON *up = cJSON_Parse("{\"metadata\":{\"generation\":1},\"status\":{\"observedGeneration\":1,"
                            "\"readyReplicas\":1}}");
    cJSON *pull = cJSON_Parse(POD_PULL), *ready = cJSON_Parse(POD_READY), *st;

    st = status_with(obj, NULL, down, NULL, pull);
    ASSERT_STR(cond(st, "Degraded", "status"), "True");
    ASSERT_STR(cond(st, "Degraded", "reason"), "ImagePullBackOff");
    ASSERT_CONTAINS(cond(st, "Degraded", "message"), "r.invalid/pg:1");
    ASSERT_STR(cond(st, "Ready", "status"), "False");
    ASSERT_STR(cond(st, "Stalled", "status"), "False"); /* it may heal by itself */
    cJSON_Delete(st);

    st = status_with(obj, NULL, up, NULL, ready);
    ASSERT_STR(cond(st, "Degraded", "status"), "False");
    ASSERT_STR(kjson_get_str(st, "phase"), "Ready");
    cJSON_Delete(st);

    /* A major upgrade refused while the old pod serves: Ready, Degraded, Stalled, not Failed;
     * no condition claims the generation was applied. */
    st = status_with(obj, "UnsupportedUpgrade", up, NULL, ready);
    ASSERT_STR(cond(st, "Ready", "status"), "True");
    ASSERT_STR(cond(st, "Degraded", "reason"), "UnsupportedUpgrade");
    ASSERT_STR(cond(st, "Stalled", "status"), "True");
    ASSERT_STR(cond(st, "Progressing", "reason"), "UnsupportedUpgrade");
    ASSERT(strcmp(kjson_get_str(st, "phase"), "Failed") != 0);
    ASSERT(kjson_get_str(st, "currentVersion") == NULL);
    cJSON_Delete(st);

    /* The same with no pod serving is Failed. */
    st = status_with(obj, "UnsupportedUpgrade", down, NULL, NULL);
    ASSERT_STR(cond(st, "Ready", "status"), "False");
    ASSERT_STR(cond(st, "Ready", "reason"), "UnsupportedUpgrade");
    ASSERT_STR(kjson_get_str(st, "phase"), "Failed");
    cJSON_Delete(st);

    cJSON_Delete(obj);
    cJSON_Delete(down);
    cJSON_Delete(up);
    cJSON_Delete(pull);
    cJSON_Delete(ready);
}


/* A pod that waits for its claim to be bound (a volume being provisioned, or a PV not bound
 * yet) is in progress, not Degraded: Argo CD showed a healthy DBInstance Degraded for the
 * seconds the csi-mock provisioner took (test-gitops). It is the claim's wait, Degraded
 * (ClaimNotBound) only once the pod has waited DBI_CLAIM_BIND_S for it. */
TEST(dbi_status_a_pod_waiting_for_its_claim_is_progressing_until_the_claim_waits_too_long)
{
    cJSON *obj =
        cJSON_Parse("{\"metadata\":{\"name\":\"o\",\"namespace\":\"n\",\"generation\":1},"
                    "\"spec\":{\"engine\":\"postgresql\",\"version\":\"16\",\"database\":\"o\"}}");
    cJSON *sts = cJSON_Parse("{\"metadata\":{\"generation\":1},\"status\":{\"observedGeneration\":1,"
                             "\"readyReplicas\":0}}");
    cJSON    *pending = cJSON_Parse(CLAIM_PENDING), *bound = cJSON_Parse(CLAIM_BOUND);
    cJSON    *pod = cJSON_Parse(POD_UNBOUND), *st;
    dbi_stuck s;

    ASSERT_EQ(stuck_pod(POD_UNBOUND, &s), 0);

    /* A young claim is part of provisioning: nothing told, judged again when it is older. */
    ASSERT_EQ(stuck_claim_at(CLAIM_PENDING, POD_UNBOUND, MADE_S + 3, &s), 0);
    ASSERT_EQ(s.recheck_s, DBI_CLAIM_QUIET_S - 3);
    st = status_at(obj, NULL, sts, pending, pod, MADE_S + 3);
    ASSERT_STR(cond(st, "Progressing", "reason"), "Provisioning");
    ASSERT_STR(cond(st, "Degraded", "status"), "False");
    cJSON_Delete(st);
    ASSERT_EQ(stuck_claim_at(CLAIM_PENDING, POD_UNBOUND, MADE_S + DBI_CLAIM_QUIET_S, &s), 1);
    ASSERT_STR(s.reason, "ClaimPending");
    /* Bound: no quiet time to wait out. */
    ASSERT_EQ(stuck_claim_at(CLAIM_BOUND, POD_UNBOUND, MADE_S + 3, &s), 0);
    ASSERT_EQ(s.recheck_s, 0);

    st = status_at(obj, NULL, sts, pending, pod, WAIT_S);
    ASSERT_STR(cond(st, "Degraded", "status"), "False");
    ASSERT_STR(cond(st, "Stalled", "status"), "False");
    ASSERT_STR(cond(st, "Progressing", "status"), "True");
    ASSERT_STR(cond(st, "Progressing", "reason"), "ClaimPending");
    ASSERT_CONTAINS(cond(st, "Progressing", "message"), "spec.storage.size");
    cJSON_Delete(st);

    /* Bound, while the pod still carries the scheduler's last word until its next try. */
    st = status_at(obj, NULL, sts, bound, pod, WAIT_S);
    ASSERT_STR(cond(st, "Degraded", "status"), "False");
    ASSERT_STR(cond(st, "Progressing", "reason"), "Provisioning");
    cJSON_Delete(st);

    /* Waited too long: no such class, a size no volume has. */
    ASSERT_EQ(stuck_claim_at(CLAIM_PENDING, POD_UNBOUND, MADE_S + DBI_CLAIM_BIND_S, &s), 1);
    ASSERT_STR(s.reason, "ClaimNotBound");
    ASSERT_EQ(s.degraded, 1);
    ASSERT_EQ(s.recheck_s, 0);
    st = status_at(obj, NULL, sts, pending, pod, MADE_S + DBI_CLAIM_BIND_S + 1);
    ASSERT_STR(cond(st, "Degraded", "status"), "True");
    ASSERT_STR(cond(st, "Degraded", "reason"), "ClaimNotBound");
    ASSERT_CONTAINS(cond(st, "Degraded", "message"),
                    "volume claim data-o-0 is not bound after 60 s and the pod waits for it (check "
                    "spec.storage.size, spec.storage.storageClassName): 0/1 nodes are available");
    cJSON_Delete(st);

    /* No pod waiting (stopped, or a WaitForFirstConsumer class): only waiting, however long. */
    ASSERT_EQ(stuck_claim_at(CLAIM_PENDING, NULL, MADE_S + 3600, &s), 1);
    ASSERT_STR(s.reason, "ClaimPending");
    ASSERT_EQ(s.degraded, 0);
    ASSERT_EQ(s.recheck_s, 0);

    cJSON_Delete(obj);
    cJSON_Delete(sts);
    cJSON_Delete(pending);
    cJSON_Delete(bound);
    cJSON_Delete(pod);
}


/* dbi_stuck_replace on the pod text given, labelled with revision hash (NULL: no label),
 * being deleted when deleting, against a StatefulSet wanting want at generation gen of
 * which its controller has seen seen. */
static int
replace(const char *pod_text, const char *hash, int deleting, const char *want, int gen, int seen,
        dbi_stuck *why)
{
    cJSON *pod = cJSON_Parse(pod_text), *sts = cJSON_CreateObject(), *meta, *status;
    int    r;

    ASSERT(pod != NULL && sts != NULL);
    meta = cJSON_AddObjectToObject(pod, "metadata");
    if (hash)
        cJSON_AddStringToObject(cJSON_AddObjectToObject(meta, "labels"), "controller-revision-hash",
                                hash);
    if (deleting)
        cJSON_AddStringToObject(meta, "deletionTimestamp", "2025-01-01T00:00:00Z");
    cJSON_AddNumberToObject(cJSON_AddObjectToObject(sts, "metadata"), "generation", gen);
    status = cJSON_AddObjectToObject(sts, "status");
    if (want)
        cJSON_AddStringToObject(status, "updateRevision", want);
    cJSON_AddNumberToObject(status, "observedGeneration", seen);
    memset(why, 0, sizeof *why);
    r = dbi_stuck_replace(pod, sts, why);
    cJSON_Delete(pod);
    cJSON_Delete(sts);
    return r;
}


TEST(dbi_stuck_replace_only_a_stuck_pod_of_an_older_template)
{
    dbi_stuck why;

    /* Stuck on an older template than the one the StatefulSet wants: replaced, and why. */
    ASSERT_EQ(replace(POD_PULL, "db-old", 0, "db-new", 3, 3, &why), 1);
    ASSERT_STR(why.reason, "ImagePullBackOff");
    ASSERT_EQ(replace(POD_UNSCHEDULABLE, "db-old", 0, "db-new", 3, 3, &why), 1);
    ASSERT_STR(why.reason, "Unschedulable");
    ASSERT_EQ(replace(POD_CRASH, "db-old", 0, "db-new", 3, 4, &why), 1);
    ASSERT_STR(why.reason, "CrashLoopBackOff");

    /* Stuck on the current template: a new pod would be stuck the same way (a loop). */
    ASSERT_EQ(replace(POD_CRASH, "db-new", 0, "db-new", 3, 3, &why), 0);
    ASSERT_EQ(replace(POD_PULL, "db-new", 0, "db-new", 3, 3, &why), 0);
    /* Ready, or only starting, or already going: never. */
    ASSERT_EQ(replace(POD_READY, "db-old", 0, "db-new", 3, 3, &why), 0);
    ASSERT_EQ(replace(POD_STARTING, "db-old", 0, "db-new", 3, 3, &why), 0);
    ASSERT_EQ(replace(POD_PULL, "db-old", 1, "db-new", 3, 3, &why), 0);
    /* The StatefulSet's controller has not seen its latest spec: updateRevision may be
     * stale, and the pod's template the one now wanted. */
    ASSERT_EQ(replace(POD_PULL, "db-old", 0, "db-new", 4, 3, &why), 0);
    /* Nothing to compare: no label, no updateRevision, no pod or StatefulSet. */
    ASSERT_EQ(replace(POD_PULL, NULL, 0, "db-new", 3, 3, &why), 0);
    ASSERT_EQ(replace(POD_PULL, "db-old", 0, NULL, 3, 3, &why), 0);
    ASSERT_EQ(dbi_stuck_replace(NULL, NULL, &why), 0);
}


/* The statefulset controller's FailedCreate Events (stateful_pod_control.go, as
 * kube-controller-manager v1.37 writes them: "Create Pod", capitalised), with the refusals of
 * kube-apiserver's admission plugins (Priority, ResourceQuota, LimitRanger). */
#define EV(msg, at) \
    "{\"reason\":\"FailedCreate\",\"lastTimestamp\":\"" at "\",\"message\":\"" msg "\"}"
#define AT     "2026-12-01T05:00:00Z"
#define BEFORE "2026-12-01T04:59:00Z"
#define EV_PRIORITY \
    EV("Create Pod o-0 in StatefulSet o failed error: pods \\\"o-0\\\" is forbidden: no " \
       "PriorityClass with name gold was found", \
       AT)
#define EV_CLAIM_QUOTA \
    EV("Create Claim data-o-0 for Pod o-0 in StatefulSet o failed error: persistentvolumeclaims " \
       "\\\"data-o-0\\\" is forbidden: exceeded quota: q, requested: requests.storage=10Gi, used: " \
       "requests.storage=0, limited: requests.storage=1Gi", \
       AT)
/* The same refusal, in the Event of the pod the claim was for. */
#define EV_POD_PVC_QUOTA \
    EV("Create Pod o-0 in StatefulSet o failed error: failed to create PVC data-o-0: " \
       "persistentvolumeclaims \\\"data-o-0\\\" is forbidden: exceeded quota: q, requested: " \
       "requests.storage=10Gi, used: requests.storage=0, limited: requests.storage=1Gi", \
       AT)
#define EV_POD_LIMIT \
    EV("Create Pod o-0 in StatefulSet o failed error: pods \\\"o-0\\\" is forbidden: maximum cpu " \
       "usage per Container is 2, but limit is 4", \
       AT)
#define EV_OTHER \
    EV("Create Pod o-0 in StatefulSet o failed error: pods \\\"o-0\\\" is forbidden: violates " \
       "PodSecurity \\\"restricted:latest\\\"", \
       AT)
/* A StatefulSet its controller has seen, and one it has not seen since its last write. */
#define STS_SEEN  "{\"metadata\":{\"generation\":2},\"status\":{\"observedGeneration\":2}}"
#define STS_AHEAD "{\"metadata\":{\"generation\":3},\"status\":{\"observedGeneration\":2}}"
#define DONE(at) \
    "{\"reason\":\"SuccessfulDelete\",\"lastTimestamp\":\"" at "\",\"message\":\"delete Pod o-0 " \
    "in StatefulSet o successful\"}"


static int
stuck_create_with(const char *ev_text, const char *done_text, const char *sts_text,
                  const char *pod_text, dbi_stuck *out)
{
    cJSON *ev = ev_text ? cJSON_Parse(ev_text) : NULL, *pod = pod_text ? cJSON_Parse(pod_text) : NULL;
    cJSON *done = done_text ? cJSON_Parse(done_text) : NULL;
    cJSON *sts = sts_text ? cJSON_Parse(sts_text) : NULL;
    int    r;

    ASSERT(!ev_text || ev != NULL);
    ASSERT(!done_text || done != NULL);
    memset(out, 0, sizeof *out);
    r = dbi_stuck_create(ev, done, sts, pod, out);
    cJSON_Delete(ev);
    cJSON_Delete(done);
    cJSON_Delete(sts);
    cJSON_Delete(pod);
    return r;
}


static int
stuck_create(const char *ev_text, const char *pod_text, dbi_stuck *out)
{
    return stuck_create_with(ev_text, NULL, STS_SEEN, pod_text, out);
}


/* spec fuzzing found it (issue 16): a PriorityClass that does not exist left the instance
 * Provisioning for good, as the reason was only in an Event on the StatefulSet. */
TEST(dbi_stuck_create_names_the_field_the_admission_refusal_points_at)
{
    dbi_stuck s;
    char      first[CTRL_MSG_MAX];

    ASSERT_EQ(stuck_create(EV_PRIORITY, NULL, &s), 1);
    ASSERT_STR(s.reason, "PodCreateFailed");
    ASSERT_EQ(s.degraded, 1);
    ASSERT_EQ(s.recheck_s, 0);
    ASSERT_STR(s.message,
               "the StatefulSet cannot create the pod (check spec.podTemplate.priorityClassName): "
               "pods \"o-0\" is forbidden: no PriorityClass with name gold was found");

    /* A claim's refusal names its size, whichever of its two Events is newest, in the same
     * words (the trial saw the message alternate between them, a status write each). */
    ASSERT_EQ(stuck_create(EV_CLAIM_QUOTA, NULL, &s), 1);
    ASSERT_CONTAINS(s.message, "cannot create the volume claim (check spec.storage.size): "
                               "persistentvolumeclaims \"data-o-0\" is forbidden: exceeded quota: q");
    snprintf(first, sizeof first, "%s", s.message);
    ASSERT_EQ(stuck_create(EV_POD_PVC_QUOTA, NULL, &s), 1);
    ASSERT_STR(s.message, first);

    ASSERT_EQ(stuck_create(EV_POD_LIMIT, NULL, &s), 1);
    ASSERT_CONTAINS(s.message,
                    "the pod (check spec.resources): pods \"o-0\" is forbidden: maximum cpu");

    /* Words no hint knows: the server's message alone, no field guessed. */
    ASSERT_EQ(stuck_create(EV_OTHER, NULL, &s), 1);
    ASSERT(strstr(s.message, "check") == NULL);
    ASSERT_CONTAINS(s.message,
                    "cannot create the pod: pods \"o-0\" is forbidden: violates PodSecurity");

    /* The pod exists: a create that failed before has succeeded since. No Event, nothing. */
    ASSERT_EQ(stuck_create(EV_PRIORITY, POD_STARTING, &s), 0);
    ASSERT_EQ(stuck_create(NULL, NULL, &s), 0);
    ASSERT_EQ(stuck_create("{\"reason\":\"FailedCreate\"}", NULL, &s), 0);
}


/* The trial: an Event outlives its cause by up to an hour, so a rolling update (the pod
 * deleted, then made again) or an instance started again showed Degraded for a moment. */
TEST(dbi_stuck_create_ignores_an_event_older_than_what_happened_since)
{
    dbi_stuck s;

    /* The controller has not seen the StatefulSet's latest spec: it has not tried it yet. */
    ASSERT_EQ(stuck_create_with(EV_PRIORITY, NULL, STS_AHEAD, NULL, &s), 0);
    /* A pod deleted (or made) since the failure, or in the same second: not current. */
    ASSERT_EQ(stuck_create_with(EV_PRIORITY, DONE("2026-12-01T05:00:30Z"), STS_SEEN, NULL, &s), 0);
    ASSERT_EQ(stuck_create_with(EV_PRIORITY, DONE(AT), STS_SEEN, NULL, &s), 0);
    /* A failure after the last success is. */
    ASSERT_EQ(stuck_create_with(EV_PRIORITY, DONE(BEFORE), STS_SEEN, NULL, &s), 1);
    ASSERT_STR(s.reason, "PodCreateFailed");
    /* No StatefulSet, nothing to be about. */
    ASSERT_EQ(stuck_create_with(EV_PRIORITY, NULL, NULL, NULL, &s), 0);
}


TEST(dbi_status_a_pod_the_statefulset_cannot_create_is_degraded_unless_stopped)
{
    cJSON *obj =
        cJSON_Parse("{\"metadata\":{\"name\":\"o\",\"namespace\":\"n\",\"generation\":1},"
                    "\"spec\":{\"engine\":\"postgresql\",\"version\":\"16\",\"database\":\"o\"}}");
    cJSON *stopped =
        cJSON_Parse("{\"metadata\":{\"name\":\"o\",\"namespace\":\"n\",\"generation\":2},"
                    "\"spec\":{\"engine\":\"postgresql\",\"version\":\"16\",\"database\":\"o\","
                    "\"stopped\":true}}");
    cJSON *sts = cJSON_Parse("{\"metadata\":{\"generation\":1},\"status\":{\"observedGeneration\":1,"
                             "\"replicas\":0,\"readyReplicas\":0}}");
    cJSON *ev = cJSON_Parse(EV_PRIORITY), *st;

    failed_event = ev;
    st = status_with(obj, NULL, sts, NULL, NULL);
    ASSERT_STR(cond(st, "Degraded", "status"), "True");
    ASSERT_STR(cond(st, "Degraded", "reason"), "PodCreateFailed");
    ASSERT_CONTAINS(cond(st, "Degraded", "message"), "spec.podTemplate.priorityClassName");
    ASSERT_STR(cond(st, "Ready", "status"), "False");
    cJSON_Delete(st);

    /* Without the StatefulSet there is nothing the Event can be about. */
    st = status_with(obj, NULL, NULL, NULL, NULL);
    ASSERT_STR(cond(st, "Degraded", "status"), "False");
    cJSON_Delete(st);

    /* A stopped instance has no pod on purpose: an Event from before says nothing now. */
    st = status_with(stopped, NULL, sts, NULL, NULL);
    ASSERT_STR(cond(st, "Degraded", "status"), "False");
    ASSERT_STR(cond(st, "Ready", "reason"), "Stopped");
    cJSON_Delete(st);
    failed_event = NULL;

    st = status_with(obj, NULL, sts, NULL, NULL);
    ASSERT_STR(cond(st, "Degraded", "status"), "False");
    ASSERT_STR(cond(st, "Ready", "reason"), "Provisioning");
    cJSON_Delete(st);

    cJSON_Delete(obj);
    cJSON_Delete(stopped);
    cJSON_Delete(sts);
    cJSON_Delete(ev);
}


/* The pod cache keeps what the controller reads: a pod so trimmed is judged as the whole one
 * (stuck, replaced or not, the claim's wait), and loses its spec and the rest of its status. */
TEST(dbi_pod_keep_trims_a_pod_to_what_is_read)
{
    static const char *const pods[] = {POD_PULL, POD_CRASH, POD_UNSCHEDULABLE, POD_STARTING, POD_READY};
    static const char *const extra =
        "{\"metadata\":{\"name\":\"db-0\",\"namespace\":\"n\",\"uid\":\"u\",\"resourceVersion\":\"7\","
        "\"deletionTimestamp\":\"2026-12-03T10:00:00Z\",\"labels\":{\"controller-revision-hash\":\"db-old\"},"
        "\"ownerReferences\":[{\"kind\":\"StatefulSet\",\"name\":\"db\",\"uid\":\"s\",\"controller\":true}],"
        "\"managedFields\":[{\"manager\":\"kube-controller-manager\"}]},"
        "\"spec\":{\"containers\":[{\"name\":\"postgresql\",\"image\":\"postgres:16\"}],\"nodeName\":\"kwok\"},"
        "\"status\":{\"hostIP\":\"127.0.0.1\",\"podIPs\":[{\"ip\":\"127.0.0.2\"}],\"qosClass\":\"BestEffort\","
        "\"startTime\":\"2026-12-03T09:00:00Z\",\"initContainerStatuses\":[{\"name\":\"init\",\"state\":"
        "{\"waiting\":{\"reason\":\"ErrImagePull\",\"message\":\"no such image\"}}}]}}";
    cJSON *sts = cJSON_Parse("{\"metadata\":{\"generation\":3},\"status\":{\"observedGeneration\":3,"
                             "\"updateRevision\":\"db-new\"}}");
    cJSON    *pvc = cJSON_Parse(CLAIM_PENDING);
    dbi_stuck a, b;
    size_t    i;
    int       ra, rb;

    ASSERT(sts && pvc);
    for (i = 0; i < sizeof pods / sizeof *pods; i++) {
        cJSON *whole = cJSON_Parse(pods[i]), *kept;

        ASSERT(whole != NULL);
        /* Each test pod with a spec, metadata and status fields nothing reads. */
        cJSON *more = cJSON_Parse(extra);
        ASSERT(more != NULL);
        cJSON_AddItemToObject(whole, "spec", cJSON_DetachItemFromObject(more, "spec"));
        cJSON_AddItemToObject(whole, "metadata", cJSON_DetachItemFromObject(more, "metadata"));
        if (i == 0)
            cJSON_AddItemToObject(cJSON_GetObjectItem(whole, "status"), "initContainerStatuses",
                                  cJSON_DetachItemFromObject(cJSON_GetObjectItem(more, "status"),
                                                             "initContainerStatuses"));
        cJSON_AddStringToObject(cJSON_GetObjectItem(whole, "status"), "hostIP", "127.0.0.1");
        cJSON_AddStringToObject(cJSON_GetObjectItem(whole, "status"), "qosClass", "BestEffort");
        cJSON_Delete(more);
        if (i == 1) /* one not being deleted, for dbi_stuck_replace */
            cJSON_DeleteItemFromObject(cJSON_GetObjectItem(whole, "metadata"), "deletionTimestamp");
        kept = cJSON_Duplicate(whole, 1);
        ASSERT(kept != NULL);
        ASSERT_EQ(dbi_pod_keep(kept), 1);

        memset(&a, 0, sizeof a);
        memset(&b, 0, sizeof b);
        ASSERT_EQ(dbi_stuck_pod(kept, &b), dbi_stuck_pod(whole, &a));
        ASSERT_STR(b.reason ? b.reason : "", a.reason ? a.reason : "");
        ASSERT_STR(b.message, a.message);
        memset(&a, 0, sizeof a);
        memset(&b, 0, sizeof b);
        ASSERT_EQ(dbi_stuck_claim(pvc, kept, 1000, &b), dbi_stuck_claim(pvc, whole, 1000, &a));
        ASSERT_STR(b.message, a.message);
        ra = dbi_stuck_replace(whole, sts, &a);
        rb = dbi_stuck_replace(kept, sts, &b);
        ASSERT_EQ(rb, ra);

        ASSERT(cJSON_GetObjectItem(kept, "spec") == NULL);
        ASSERT(kjson_path(kept, "metadata", "managedFields", NULL) == NULL);
        ASSERT(kjson_path(kept, "status", "hostIP", NULL) == NULL);
        ASSERT(kjson_path(kept, "status", "qosClass", NULL) == NULL);
        ASSERT_STR(kjson_path_str(kept, "metadata", "labels", "controller-revision-hash", NULL),
                   "db-old");
        ASSERT_STR(kjson_path_str(kept, "metadata", "uid", NULL), "u");
        ASSERT(cJSON_GetArraySize(kjson_path(kept, "metadata", "ownerReferences", NULL)) == 1);
        ASSERT_STR(kjson_path_str(kept, "status", "phase", NULL),
                   kjson_path_str(whole, "status", "phase", NULL));
        if (i == 0)
            ASSERT(kjson_path(kept, "status", "initContainerStatuses", NULL) != NULL);
        cJSON_Delete(whole);
        cJSON_Delete(kept);
    }
    /* The one replaced: stuck (CrashLoopBackOff), older template, not being deleted. */
    {
        cJSON *p = cJSON_Parse(POD_CRASH), *m = cJSON_AddObjectToObject(p, "metadata");

        cJSON_AddItemToObject(m, "labels", cJSON_Parse("{\"controller-revision-hash\":\"db-old\"}"));
        cJSON_AddItemToObject(p, "spec", cJSON_Parse("{\"containers\":[]}"));
        ASSERT_EQ(dbi_pod_keep(p), 1);
        ASSERT_EQ(dbi_stuck_replace(p, sts, &a), 1);
        ASSERT_STR(a.reason, "CrashLoopBackOff");
        cJSON_Delete(p);
    }
    cJSON_Delete(sts);
    cJSON_Delete(pvc);
}
