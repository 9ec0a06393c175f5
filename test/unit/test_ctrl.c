#include <stdarg.h>

#include "core/core.h"
#include "ctrl/ctrl.h"
#include "ctrl/ctrl_about.h"
#include "ctrl/ctrl_build.h"
#include "ctrl/ctrl_status.h"
#include "kjson/kjson.h"
#include "kops/kops.h"
#include "test.h"


static void
set(ctrl_conds *c, ctrl_cond_type t, int status, const char *reason, const char *msg)
{
    c->cond[t].set = 1;
    c->cond[t].status = status;
    c->cond[t].reason = reason;
    snprintf(c->cond[t].message, sizeof c->cond[t].message, "%s", msg);
}


static const char *
cond(const cJSON *st, const char *type, const char *field)
{
    return kjson_get_str(ctrl_condition_find(st, type), field);
}


static void
ready_conds(ctrl_conds *c)
{
    memset(c, 0, sizeof *c);
    set(c, CTRL_READY, 1, "DatabaseReady", "the database accepts connections");
    set(c, CTRL_PROGRESSING, 0, "Reconciled", "the database matches its spec");
    set(c, CTRL_DEGRADED, 0, "Healthy", "no problem found");
}


TEST(ctrl_phase_follows_the_conditions)
{
    ctrl_conds c;

    ready_conds(&c);
    ASSERT_STR(ctrl_phase(&c), "Ready");
    c.cond[CTRL_PROGRESSING].status = 1;
    ASSERT_STR(ctrl_phase(&c), "Updating");
    c.cond[CTRL_READY].status = 0;
    ASSERT_STR(ctrl_phase(&c), "Provisioning");
    c.cond[CTRL_PROGRESSING].status = 0;
    ASSERT_STR(ctrl_phase(&c), "Pending");
    c.refusal = "InvalidSpec";
    ASSERT_STR(ctrl_phase(&c), "Failed");
    /* A refusal that leaves the serving pod Ready: the database works, the spec waits. */
    ready_conds(&c);
    c.refusal = "ApplyFailed";
    c.keep_ready = 1;
    ASSERT_STR(ctrl_phase(&c), "Degraded");
    c.keep_ready = 0;
    ASSERT_STR(ctrl_phase(&c), "Failed");
    c.deleting = 1;
    ASSERT_STR(ctrl_phase(&c), "Deleting");
    /* Degraded without a refusal (a volume resize the driver refused) while it serves. */
    ready_conds(&c);
    c.cond[CTRL_DEGRADED].status = 1;
    ASSERT_STR(ctrl_phase(&c), "Degraded");
    /* ... and a pod that cannot be scheduled, not Ready: Degraded, not Provisioning. */
    c.cond[CTRL_READY].status = 0;
    c.cond[CTRL_PROGRESSING].status = 1;
    ASSERT_STR(ctrl_phase(&c), "Degraded");
}


TEST(ctrl_status_adds_reconciling_stalled_and_generation)
{
    ctrl_conds c;
    cJSON     *fields = cJSON_Parse("{\"endpoint\":\"e:5432\"}"), *st;

    ready_conds(&c);
    c.cond[CTRL_READY].status = 0;
    c.cond[CTRL_READY].reason = "Provisioning";
    c.cond[CTRL_PROGRESSING].status = 1;
    c.cond[CTRL_PROGRESSING].reason = "Provisioning";
    st = ctrl_status_build(NULL, 4, &c, fields, "T1");
    ASSERT(st);
    ASSERT_STR(kjson_get_str(st, "endpoint"), "e:5432");
    ASSERT_EQ(cJSON_GetArraySize(cJSON_GetObjectItem(st, "conditions")), 5);
    ASSERT_STR(cond(st, "Reconciling", "status"), "True");
    ASSERT_STR(cond(st, "Reconciling", "reason"), "Provisioning");
    ASSERT_STR(cond(st, "Stalled", "status"), "False");
    ASSERT_EQ(cJSON_GetObjectItem(st, "observedGeneration")->valuedouble, 4);
    ASSERT_EQ(cJSON_GetObjectItem(ctrl_condition_find(st, "Stalled"), "observedGeneration")->valuedouble,
              4);
    ASSERT_STR(cond(st, "Ready", "lastTransitionTime"), "T1");
    cJSON_Delete(st);
}


TEST(ctrl_status_refusal_overlays_and_keeps_times)
{
    ctrl_conds c;
    cJSON     *old, *st;

    ready_conds(&c);
    old = ctrl_status_build(NULL, 1, &c, NULL, "T1");
    c.refusal = "InvalidSpec";
    snprintf(c.refusal_message, sizeof c.refusal_message, "spec.version: \"99\" is not supported");
    st = ctrl_status_build(old, 2, &c, NULL, "T2");
    ASSERT_STR(kjson_get_str(st, "phase"), "Failed");
    ASSERT_STR(cond(st, "Ready", "status"), "False");
    ASSERT_STR(cond(st, "Ready", "reason"), "InvalidSpec");
    ASSERT_STR(cond(st, "Ready", "message"), "spec.version: \"99\" is not supported");
    ASSERT_STR(cond(st, "Ready", "lastTransitionTime"), "T2");
    ASSERT_STR(cond(st, "Degraded", "status"), "True");
    ASSERT_STR(cond(st, "Stalled", "status"), "True");
    ASSERT_STR(cond(st, "Stalled", "reason"), "InvalidSpec");
    ASSERT_STR(cond(st, "Progressing", "status"), "False");
    ASSERT_STR(cond(st, "Reconciling", "status"), "False");
    /* Progressing was False before and is False now: its time holds. */
    ASSERT_STR(cond(st, "Progressing", "lastTransitionTime"), "T1");
    cJSON_Delete(st);
    /* The same again: byte-identical, so no status write. */
    ready_conds(&c);
    st = ctrl_status_build(old, 1, &c, NULL, "T3");
    ASSERT(cJSON_Compare(st, old, 1));
    cJSON_Delete(st);
    cJSON_Delete(old);
}


/* A condition the run never reached is Unknown, not False: "Degraded False" would claim a
 * check that was not made (metav1.Condition: status is True, False or Unknown). */
TEST(ctrl_status_unset_condition_is_unknown)
{
    ctrl_conds c;
    cJSON     *st;

    memset(&c, 0, sizeof c);
    ctrl_conds_set(&c, CTRL_READY, 0, "WaitingForSnapshot", "waiting for the DBSnapshot s");
    ctrl_conds_set(&c, CTRL_PROGRESSING, 1, "WaitingForSnapshot", "waiting for the DBSnapshot s");
    st = ctrl_status_build(NULL, 1, &c, NULL, "T");
    ASSERT_STR(cond(st, "Degraded", "status"), "Unknown");
    ASSERT_STR(cond(st, "Degraded", "reason"), "NotEvaluated");
    ASSERT_STR(cond(st, "Ready", "status"), "False");
    ASSERT_STR(cond(st, "Reconciling", "status"), "True");
    ASSERT_STR(cond(st, "Stalled", "status"), "False");
    ASSERT_STR(kjson_get_str(st, "phase"), "Provisioning");
    cJSON_Delete(st);
    /* A refusal sets the ones it overlays, reached or not. */
    memset(&c, 0, sizeof c);
    c.refusal = "InvalidSpec";
    snprintf(c.refusal_message, sizeof c.refusal_message, "spec.version: bad");
    st = ctrl_status_build(NULL, 1, &c, NULL, "T");
    ASSERT_STR(cond(st, "Degraded", "status"), "True");
    ASSERT_STR(cond(st, "Progressing", "status"), "False");
    ASSERT_STR(cond(st, "Ready", "status"), "False");
    ASSERT_STR(cond(st, "Reconciling", "status"), "False");
    cJSON_Delete(st);
}


TEST(ctrl_status_keep_ready_leaves_ready_alone)
{
    ctrl_conds c;
    cJSON     *st;

    ready_conds(&c);
    c.refusal = "ApplyFailed";
    c.keep_ready = 1;
    snprintf(c.refusal_message, sizeof c.refusal_message, "StatefulSet x was not written: HTTP 422");
    st = ctrl_status_build(NULL, 3, &c, NULL, "T");
    ASSERT_STR(cond(st, "Ready", "status"), "True");
    ASSERT_STR(cond(st, "Degraded", "reason"), "ApplyFailed");
    ASSERT_STR(cond(st, "Stalled", "message"), "StatefulSet x was not written: HTTP 422");
    cJSON_Delete(st);
}


TEST(ctrl_stamp_changes_when_a_field_goes)
{
    cJSON *a = cJSON_Parse("{\"metadata\":{\"name\":\"x\"},\"spec\":{\"cpu\":\"1\",\"mem\":\"2\"}}");
    cJSON      *b = cJSON_Parse("{\"metadata\":{\"name\":\"x\"},\"spec\":{\"cpu\":\"1\"}}");
    cJSON      *a2 = cJSON_Duplicate(a, 1);
    const char *sa, *sb;

    ASSERT_EQ(ctrl_stamp(a), CORE_OK);
    ASSERT_EQ(ctrl_stamp(a2), CORE_OK);
    ASSERT_EQ(ctrl_stamp(b), CORE_OK);
    sa = kjson_path_str(a, "metadata", "annotations", CTRL_APPLIED_ANN, NULL);
    sb = kjson_path_str(b, "metadata", "annotations", CTRL_APPLIED_ANN, NULL);
    ASSERT(sa && sb && strlen(sa) == 16);
    ASSERT_STR(sa, kjson_path_str(a2, "metadata", "annotations", CTRL_APPLIED_ANN, NULL));
    ASSERT(strcmp(sa, sb) != 0);
    /* The live object applied from a still holds all of b: only the stamp tells them apart. */
    ASSERT(!kops_is_applied(b, a));
    ASSERT(kops_is_applied(a2, a));
    ASSERT_EQ(ctrl_stamp(cJSON_GetObjectItem(a, "spec")), CORE_EINVAL);
    cJSON_Delete(a);
    cJSON_Delete(a2);
    cJSON_Delete(b);
}


TEST(ctrl_child_skeleton_and_labels)
{
    ctrl_bld b = {0};
    cJSON *owner = cJSON_Parse("{\"metadata\":{\"name\":\"o\",\"namespace\":\"ns\",\"uid\":\"u1\"}}");
    cJSON *c = ctrl_b_child(&b, "v1", "Secret", "o-x", owner, "dbaas.dev/v1alpha1", "DBInstance",
                            "postgresql");
    char  *text;

    c = ctrl_b_done(&b, c);
    ASSERT(c);
    text = cJSON_PrintUnformatted(c);
    ASSERT(strcmp(text,
                  "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"o-x\","
                  "\"namespace\":\"ns\",\"labels\":{\"app.kubernetes.io/name\":\"postgresql\","
                  "\"app.kubernetes.io/instance\":\"o\",\"app.kubernetes.io/managed-by\":"
                  "\"dbaas-operator\"},\"ownerReferences\":[{\"apiVersion\":\"dbaas.dev/v1alpha1\","
                  "\"kind\":\"DBInstance\",\"name\":\"o\",\"uid\":\"u1\",\"controller\":true,"
                  "\"blockOwnerDeletion\":true}]}}") == 0);
    cJSON_free(text);
    cJSON_Delete(c);
    /* An owner without a uid cannot own: the builder fails rather than make an orphan. */
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(owner, "metadata"), "uid");
    memset(&b, 0, sizeof b);
    c = ctrl_b_done(&b, ctrl_b_child(&b, "v1", "Secret", "o-x", owner, "v1", "K", "a"));
    ASSERT(c == NULL);
    /* A NULL string value is a failure, not a silent omission. */
    memset(&b, 0, sizeof b);
    c = cJSON_CreateObject();
    ctrl_b_str(&b, c, "k", NULL);
    ASSERT(ctrl_b_done(&b, c) == NULL);
    cJSON_Delete(owner);
}


TEST(ctrl_b_obj_fills_the_object_already_there)
{
    ctrl_bld b = {0};
    cJSON   *meta = cJSON_CreateObject();
    char    *out;

    ctrl_b_str(&b, ctrl_b_obj(&b, meta, "annotations"), "a", "1");
    ctrl_b_str(&b, ctrl_b_obj(&b, meta, "annotations"), "b", "2");
    ASSERT(!b.failed);
    out = cJSON_PrintUnformatted(meta);
    ASSERT_STR(out, "{\"annotations\":{\"a\":\"1\",\"b\":\"2\"}}");
    free(out);
    ctrl_b_str(&b, meta, "name", "x");
    ASSERT(ctrl_b_obj(&b, meta, "name") == NULL); /* not an object: refused, not replaced */
    ASSERT(b.failed);
    cJSON_Delete(meta);
}


/* What ctrl_delete_marked asks before it deletes an object no ownerReference ties to us. */
TEST(ctrl_marked_for_needs_our_label_and_the_uid)
{
    cJSON *o = cJSON_Parse("{\"metadata\":{\"name\":\"db-202611300300\",\"labels\":{"
                           "\"app.kubernetes.io/managed-by\":\"dbaas-operator\","
                           "\"dbaas.dev/instance\":\"db\",\"dbaas.dev/instance-uid\":\"u1\"}}}");
    cJSON *labels = kjson_path(o, "metadata", "labels", NULL);

    ASSERT(o && labels);
    ASSERT(ctrl_marked_for(o, "dbaas.dev/instance-uid", "u1") == 1);
    /* Another object of the same name, or another label, is not ours. */
    ASSERT(ctrl_marked_for(o, "dbaas.dev/instance-uid", "u2") == 0);
    ASSERT(ctrl_marked_for(o, "dbaas.dev/instance", "u1") == 0);
    ASSERT(ctrl_marked_for(o, NULL, "u1") == 0);
    ASSERT(ctrl_marked_for(o, "dbaas.dev/instance-uid", "") == 0);
    ASSERT(ctrl_marked_for(o, "dbaas.dev/instance-uid", NULL) == 0);
    ASSERT(ctrl_marked_for(NULL, "dbaas.dev/instance-uid", "u1") == 0);
    /* The uid label alone, without managed-by (someone copied it): not ours. */
    cJSON_ReplaceItemInObjectCaseSensitive(labels, "app.kubernetes.io/managed-by",
                                           cJSON_CreateString("someone"));
    ASSERT(ctrl_marked_for(o, "dbaas.dev/instance-uid", "u1") == 0);
    cJSON_DeleteItemFromObjectCaseSensitive(labels, "app.kubernetes.io/managed-by");
    ASSERT(ctrl_marked_for(o, "dbaas.dev/instance-uid", "u1") == 0);
    cJSON_Delete(o);
}


/* The server's refusals of an object are not retried as failures (ApplyFailed instead). */
TEST(ctrl_write_refused_4xx_and_schema_500)
{
    ASSERT_EQ(ctrl_write_refused(422, "StatefulSet.apps \"x\" is invalid"), 1);
    ASSERT_EQ(ctrl_write_refused(400, ""), 1);
    ASSERT_EQ(ctrl_write_refused(403, NULL), 1);
    ASSERT_EQ(ctrl_write_refused(429, "too many requests"), 0);
    ASSERT_EQ(ctrl_write_refused(500, "HTTP 500: failed to create typed patch object (ns/aff; apps/v1, "
                                      "Kind=StatefulSet): .spec.template.spec.affinity.nodeAffinity."
                                      "sometimes: field not declared in schema"),
              1);
    ASSERT_EQ(ctrl_write_refused(500, "etcdserver: request timed out"), 0);
    ASSERT_EQ(ctrl_write_refused(500, NULL), 0);
    ASSERT_EQ(ctrl_write_refused(503, "failed to create typed patch object: not declared in schema"),
              0);
    ASSERT_EQ(ctrl_write_refused(0, "connection refused"), 0);
}


/* After a refusal, the namespace's objects as old as the refused one end at once, until the
 * memory runs out; a newer one (a namespace made again under the name) runs. */
TEST(ctrl_ns_doomed_covers_older_objects_for_a_while)
{
    ASSERT_EQ(ctrl_ns_doomed(1000, 60000, 999, 1), 1);
    ASSERT_EQ(ctrl_ns_doomed(1000, 60000, 1000, 59999), 1);
    ASSERT_EQ(ctrl_ns_doomed(1000, 60000, 1001, 1), 0);
    ASSERT_EQ(ctrl_ns_doomed(1000, 60000, 999, 60000), 0);
    ASSERT_EQ(ctrl_ns_doomed(1000, 0, 999, 0), 0);
}


/* Provisioning: a field filled in waits while Ready has been False for under CTRL_HOLD_S;
 * a new message, a new generation, Ready, a refusal or the end of the hold write at once. */
TEST(ctrl_status_hold_folds_provisioning_writes)
{
    const char *t0 = "2026-12-01T10:00:00Z";
    int64_t     at;
    ctrl_conds  c;
    cJSON      *old, *now_st;

    ASSERT_EQ(core_rfc3339_parse(t0, &at), CORE_OK);
    ready_conds(&c);
    set(&c, CTRL_READY, 0, "Provisioning", "waiting for the pod");
    set(&c, CTRL_PROGRESSING, 1, "Provisioning", "creating the database");
    old = ctrl_status_build(NULL, 1, &c, cJSON_Parse("{\"endpoint\":\"e\"}"), t0);
    ASSERT(old);

    /* Only storageSize is new: held for what is left of CTRL_HOLD_S. */
    now_st =
        ctrl_status_build(old, 1, &c, cJSON_Parse("{\"endpoint\":\"e\",\"storageSize\":\"1Gi\"}"),
                          "2026-12-01T10:00:02Z");
    ASSERT_EQ(ctrl_status_hold_ms(old, now_st, 0, at + 2), (uint64_t)(CTRL_HOLD_S - 2) * 1000);
    ASSERT_EQ(ctrl_status_hold_ms(old, now_st, 0, at + CTRL_HOLD_S), 0);
    ASSERT_EQ(ctrl_status_hold_ms(old, now_st, 0, at - 1), 0); /* a clock behind: no guess */
    ASSERT_EQ(ctrl_status_hold_ms(old, now_st, 1, at + 2), 0); /* refused */
    cJSON_Delete(now_st);
    {
        /* An object edited since (observedGeneration 2): its fields are never held. */
        cJSON *old2 = ctrl_status_build(NULL, 2, &c, cJSON_Parse("{\"endpoint\":\"e\"}"), t0);
        cJSON *now2 = ctrl_status_build(old2, 2, &c, cJSON_Parse("{\"endpoint\":\"f\"}"), t0);

        ASSERT(old2 && now2);
        ASSERT_EQ(ctrl_status_hold_ms(old2, now2, 0, at + 1), 0);
        cJSON_Delete(now2);
        cJSON_Delete(old2);
    }

    /* Another message, another generation, Degraded, Ready: at once. */
    set(&c, CTRL_READY, 0, "Provisioning", "waiting for the volume");
    now_st = ctrl_status_build(old, 1, &c, NULL, "2026-12-01T10:00:01Z");
    ASSERT_EQ(ctrl_status_hold_ms(old, now_st, 0, at + 1), 0);
    cJSON_Delete(now_st);
    set(&c, CTRL_READY, 0, "Provisioning", "waiting for the pod");
    now_st =
        ctrl_status_build(old, 2, &c, cJSON_Parse("{\"endpoint\":\"e\"}"), "2026-12-01T10:00:01Z");
    ASSERT_EQ(ctrl_status_hold_ms(old, now_st, 0, at + 1), 0);
    cJSON_Delete(now_st);
    set(&c, CTRL_DEGRADED, 1, "SnapshotFailed", "x");
    now_st =
        ctrl_status_build(old, 1, &c, cJSON_Parse("{\"endpoint\":\"e\"}"), "2026-12-01T10:00:01Z");
    ASSERT_EQ(ctrl_status_hold_ms(old, now_st, 0, at + 1), 0);
    cJSON_Delete(now_st);
    ready_conds(&c);
    now_st =
        ctrl_status_build(old, 1, &c, cJSON_Parse("{\"endpoint\":\"e\"}"), "2026-12-01T10:00:01Z");
    ASSERT_EQ(ctrl_status_hold_ms(old, now_st, 0, at + 1), 0);
    /* Ready True is never held, whatever follows. */
    ASSERT_EQ(ctrl_status_hold_ms(now_st, now_st, 0, at + 1), 0);
    cJSON_Delete(now_st);
    cJSON_Delete(old);
}


/* core/v1 Events say when in lastTimestamp; those the events.k8s.io/v1 API wrote have only
 * eventTime (microseconds) and, once repeated, series.lastObservedTime. */
TEST(ctrl_about_when_reads_each_events_api)
{
    static const struct {
        const char *json;
        int64_t     want;
    } cases[] = {
        {"{\"lastTimestamp\":\"2026-12-01T05:00:10Z\",\"eventTime\":\"2026-12-01T05:00:00.000001Z\"}",
         1796101210},
        {"{\"lastTimestamp\":null,\"eventTime\":\"2026-12-01T05:00:00.123456Z\"}", 1796101200},
        {"{\"eventTime\":\"2026-12-01T05:00:00.5Z\",\"series\":{\"count\":3,"
         "\"lastObservedTime\":\"2026-12-01T05:01:00.5Z\"}}",
         1796101260},
        {"{\"lastTimestamp\":\"yesterday\"}", 0},
        {"{}", 0},
    };
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *ev = cJSON_Parse(cases[i].json);

        ASSERT(ev != NULL);
        ASSERT_EQ(ctrl_about_when(ev), cases[i].want);
        cJSON_Delete(ev);
    }
    ASSERT_EQ(ctrl_about_when(NULL), 0);
}


/* A StatefulSet's Event as kube-controller-manager v1.37.2 wrote it (from a watch: kind and
 * apiVersion included), and one the events.k8s.io/v1 API wrote (series, no lastTimestamp). */
TEST(ctrl_about_keep_trims_an_event_to_what_is_read)
{
    static const char *const events[] = {
        "{\"apiVersion\":\"v1\",\"count\":1,\"eventTime\":null,\"firstTimestamp\":\"2026-12-03T23:24:48Z\","
        "\"involvedObject\":{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"name\":\"b-00001\","
        "\"namespace\":\"rs\",\"resourceVersion\":\"2923\",\"uid\":\"5b75e1c7-6125-4d9c-ac0d-8c4355424922\"},"
        "\"kind\":\"Event\",\"lastTimestamp\":\"2026-12-03T23:24:48Z\",\"message\":\"Create Claim "
        "data-b-00001-0 Pod b-00001-0 in StatefulSet b-00001 success\",\"metadata\":{\"creationTimestamp\":"
        "\"2026-12-03T23:24:48Z\",\"name\":\"b-00001.18ede1f9a397e25b\",\"namespace\":\"rs\","
        "\"resourceVersion\":\"2973\",\"uid\":\"b501ae38-ce4d-49ae-9572-70256be4a8cd\",\"managedFields\":"
        "[{\"manager\":\"kube-controller-manager\"}]},\"reason\":\"SuccessfulCreate\",\"reportingComponent\":"
        "\"statefulset-controller\",\"reportingInstance\":\"\",\"source\":{\"component\":"
        "\"statefulset-controller\"},\"type\":\"Normal\"}",
        "{\"metadata\":{\"name\":\"b-00002.18ede1f9a397e25c\",\"namespace\":\"rs\",\"labels\":{\"a\":\"b\"}},"
        "\"involvedObject\":{\"kind\":\"StatefulSet\",\"name\":\"b-00002\",\"uid\":\"u2\"},\"reason\":"
        "\"FailedCreate\",\"message\":\"m\",\"type\":\"Warning\",\"eventTime\":\"2026-12-01T05:00:00.5Z\","
        "\"series\":{\"count\":3,\"lastObservedTime\":\"2026-12-01T05:01:00.5Z\"},\"action\":\"Create\","
        "\"related\":{\"kind\":\"Pod\",\"name\":\"b-00002-0\"},\"reportingController\":\"x\"}",
    };
    static const char *const read[] = {"reason", "message", "type", "count", "lastTimestamp"};
    size_t                   i, j;

    for (i = 0; i < sizeof events / sizeof *events; i++) {
        cJSON *whole = cJSON_Parse(events[i]), *kept = cJSON_Parse(events[i]);
        char  *a, *b;

        ASSERT(whole && kept);
        ASSERT_EQ(ctrl_about_keep(kept), 1);
        /* What is read is the same; the uid is indexed as a label. */
        ASSERT_EQ(ctrl_about_when(kept), ctrl_about_when(whole));
        ASSERT(ctrl_about_when(kept) > 0);
        for (j = 0; j < sizeof read / sizeof *read; j++)
            ASSERT(cJSON_Compare(cJSON_GetObjectItem(kept, read[j]),
                                 cJSON_GetObjectItem(whole, read[j]), 1) ||
                   !cJSON_GetObjectItem(whole, read[j]));
        ASSERT_STR(kjson_path_str(kept, "involvedObject", "uid", NULL),
                   kjson_path_str(whole, "involvedObject", "uid", NULL));
        ASSERT_STR(kjson_path_str(kept, "metadata", "labels", "dbaas.dev/involved-uid", NULL),
                   kjson_path_str(whole, "involvedObject", "uid", NULL));
        ASSERT_STR(kjson_path_str(kept, "metadata", "name", NULL),
                   kjson_path_str(whole, "metadata", "name", NULL));
        /* The name: the watch queues the primary the Event is about by it (RT_MAP_ABOUT). */
        ASSERT_STR(kjson_path_str(kept, "involvedObject", "name", NULL),
                   kjson_path_str(whole, "involvedObject", "name", NULL));
        /* What is not read is gone. */
        ASSERT(kjson_path(kept, "involvedObject", "kind", NULL) == NULL);
        ASSERT(kjson_path(kept, "involvedObject", "resourceVersion", NULL) == NULL);
        ASSERT(kjson_path(kept, "metadata", "managedFields", NULL) == NULL);
        ASSERT(cJSON_GetObjectItem(kept, "source") == NULL);
        ASSERT(cJSON_GetObjectItem(kept, "reportingComponent") == NULL);
        ASSERT(cJSON_GetObjectItem(kept, "firstTimestamp") == NULL);
        ASSERT(cJSON_GetObjectItem(kept, "related") == NULL);
        a = cJSON_PrintUnformatted(whole);
        b = cJSON_PrintUnformatted(kept);
        ASSERT(a && b);
        printf("    event %zu: %zu bytes whole, %zu kept\n", i, strlen(a), strlen(b));
        ASSERT(strlen(b) < strlen(a));
        free(a);
        free(b);
        cJSON_Delete(whole);
        cJSON_Delete(kept);
    }
    /* No involved object: nothing to index, trimmed all the same. */
    {
        cJSON *ev = cJSON_Parse("{\"metadata\":{\"name\":\"x.1\"},\"source\":{}}");

        ASSERT(ev != NULL);
        ASSERT_EQ(ctrl_about_keep(ev), 1);
        ASSERT(kjson_path(ev, "metadata", "labels", NULL) == NULL);
        ASSERT(cJSON_GetObjectItem(ev, "source") == NULL);
        cJSON_Delete(ev);
    }
}
