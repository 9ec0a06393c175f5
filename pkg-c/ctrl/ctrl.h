/*
 * ctrl: the reconcile toolkit every controller of dbaas-operator shares.
 *
 * A kind (DBInstance, HACluster, DBSnapshot, a test's mirror) describes itself in a
 * ctrl_kind: its primary resource, its finalizer and two steps, sync and finalize. ctrl
 * does the rest of every reconcile, the same way for every kind:
 *
 *   cached object -> gone: done | deleting: finalize, then the finalizer is removed
 *                 -> no finalizer yet: add it (the update comes back through the informer)
 *                 -> sync: the children step, then the status step
 *
 * Uninstalling. `kubectl delete crd` (and `kubectl delete -k deploy/`, which holds the CRDs)
 * deletes every object of the kind; nobody asked for their data to go. So before a finalize
 * step runs, ctrl reads the kind's own CRD (<plural>.<group>) with one GET, live, since a
 * watch of it could lag behind the deletions it causes: while the CRD has a
 * deletionTimestamp (or cannot be read for a 4xx other than 404), finalize is not run;
 * ctrl logs it, records a Warning Event "Retained" on the object, runs the kind's retain
 * step and removes the finalizer as usual, so that the CRD deletion completes. A 404 means
 * the resource is not a CRD (a built-in kind) and finalize runs.
 *
 * The children step. ctrl_apply takes a desired child (from a pure builder) and writes it
 * with server-side apply only when it differs: ctrl stamps the desired object with a
 * checksum of itself (annotation CTRL_APPLIED_ANN) and applies when the live object's
 * checksum differs (the builders' output changed, so fields the desired object no longer
 * has are removed by the apply) or when a field of the desired object has another value
 * in the live one (someone edited it: the drift is put back). An existing object is written
 * only when this object controls it (a controller ownerReference with its uid, and our
 * labels or checksum: see ctrl_may_write) or when it is an orphan the kind may adopt; anything else is a ChildConflict, reported in status,
 * never written. A child no cache holds is created without force and with resourceVersion
 * "1", with no GET first: one that exists after all (the caches hold only objects with our
 * labels) gives a 409, not a takeover, and the next run reads it with a GET before it
 * writes (ctrl_exists). A child the cache of others' metadata (ctrl_watch_others) holds is
 * read with a GET first. A child this controller made a moment ago that its cache has not
 * shown yet is neither read nor made again: the run waits for its watch event (ctrl_created).
 * ctrl_check
 * judges a child the same way without writing, so a kind can check all its children
 * before it writes any.
 * ctrl_patch and ctrl_delete follow the same ownership rule, with the object's
 * resourceVersion or uid as a precondition; ctrl_delete_via deletes what a child of ours
 * controls (a StatefulSet's pod), by the child's ownership. ctrl_then runs the next step once every write
 * queued so far has answered.
 *
 * The status step. The kind sets Ready, Progressing and Degraded (ctrl_cond); ctrl adds
 * kstatus' Reconciling (while Progressing) and Stalled (when a person must act: a refused
 * spec, a write the API server refused, a child conflict), the phase derived from them,
 * lastTransitionTime kept while a condition holds, observedGeneration (the generation
 * evaluated; whether it was applied is what the conditions say), writes /status only when
 * it changed (and, during a new object's provisioning, holds a change of fields alone for
 * up to CTRL_HOLD_S: ctrl_status_hold_ms), and records an Event when Ready changes (not
 * for a new object's first Ready that is progress: the user has just asked for it).
 * Conventions: Kubernetes API
 * conventions, "Typical status properties" (conditions, observedGeneration), and kstatus
 * (sigs.k8s.io/cli-utils/pkg/kstatus) for Reconciling and Stalled.
 *
 * Errors. A 409 on any write ends the run, with backoff and no status write: the next run
 * reads fresh state. A write refused with another 4xx is ApplyFailed: Degraded and Stalled
 * with the server's message, backoff. A transport failure or 5xx ends the run with backoff.
 * A builder that returns NULL is BuildFailed. A status write is skipped while the cache has
 * not seen the previous one (the run is retried a second later), and its Events are
 * recorded only once that write has succeeded.
 *
 * Threading and ownership: everything runs on the runtime's loop. A ctrl lives as long as
 * the process (freed by the runtime's cleanup; the kind's data is the kind's to free, with
 * rt_on_cleanup). A ctrl_run lives from the reconcile until it ends (ctrl_status, ctrl_done,
 * ctrl_finalized or ctrl_end, exactly once, and only with no write pending: end it from the
 * step ctrl_then runs); every pointer ctrl hands out about a run (the object, state,
 * strings) is valid until then, and the run itself may be gone as soon as a call that can
 * end it returns (ctrl_then, ctrl_status, ...). An answer callback may run inside
 * ctrl_apply (the child was cached and needed no write) and must not end the run. Objects
 * passed to ctrl_apply and ctrl_patch are taken (freed by ctrl). Reasons are CamelCase
 * strings that outlive the run (literals); messages are copied.
 */
#ifndef DBAAS_CTRL_H
#define DBAAS_CTRL_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "informer/informer.h"
#include "kops/kops.h"
#include "kres/kres.h"
#include "runtime/runtime.h"
#include "wq/wq.h"

#define CTRL_MANAGED_BY        "dbaas-operator"
#define CTRL_LABEL_NAME        "app.kubernetes.io/name"
#define CTRL_LABEL_INSTANCE    "app.kubernetes.io/instance"
#define CTRL_LABEL_MANAGED     "app.kubernetes.io/managed-by"
/* The checksum of what this manager last applied, on every child it applies. */
#define CTRL_APPLIED_ANN       "dbaas.dev/applied-checksum"
/* A condition or status message is cut to this many bytes. */
#define CTRL_MSG_MAX           1024
/* How soon a run in ChildConflict looks again (the foreign object is not watched). */
#define CTRL_CONFLICT_RETRY_MS 5000
/* Foreign children a ChildConflict refusal names (the rest are counted, not named). */
#define CTRL_CONFLICTS_NAMED   8

typedef struct ctrl     ctrl;
typedef struct ctrl_run ctrl_run;

typedef struct {
    const char *name;       /* the controller's name in logs and metrics: "dbinstance" */
    const kres *res;        /* the primary resource; its kind names owners */
    const char *selector;   /* a label selector for the primary objects; NULL: all */
    const char *finalizer;  /* held on every primary object while it exists; NULL: none */
    size_t      state_size; /* bytes of per-run state for the kind, zeroed (ctrl_state) */
    /* The object exists, is not being deleted and holds the finalizer. Ends the run, now or
     * later, with ctrl_status, ctrl_done or ctrl_end. */
    void (*sync)(ctrl_run *run);
    /* The object is being deleted and holds the finalizer. Ends with ctrl_finalized once
     * cleanup is complete, or with ctrl_status (say why not, keeping the finalizer) or
     * ctrl_end to try again. NULL: ctrl_finalized at once. */
    void (*finalize)(ctrl_run *run);
    /* The object is being deleted because its CRD is (see Uninstalling): keep whatever
     * finalize would delete and cut loose what the garbage collector would take, then end
     * as finalize does. NULL: ctrl_finalized at once. Never deletes data. */
    void (*retain)(ctrl_run *run);
    /* Whether child, which has no controller ownerReference, may be adopted by the run's
     * object (a retained claim or Secret). NULL: never. */
    int (*may_adopt)(ctrl_run *run, const cJSON *child);
    /* For the ChildConflict over a child an earlier object of this name retained (our
     * managed-by and instance labels, no controller) that may_adopt refused: writes into buf
     * (len bytes, NUL-terminated, may be cut) what the child holds, which the spec must
     * match, e.g. "PostgreSQL 16, database payments, user app". NULL: nothing said. */
    void (*adopt_hint)(ctrl_run *run, const cJSON *child, char *buf, size_t len);
    /* Scrubs the kind's state at the end of a run (passwords). NULL: nothing to do. */
    void (*state_free)(ctrl_run *run);
    /* The engine label of dbaas_object_info when spec.engine is absent (ctrl_metrics.h).
     * NULL: "". */
    const char *engine;
} ctrl_kind;

/* Condition types the kind sets; ctrl derives Reconciling and Stalled from them. */
typedef enum {
    CTRL_READY,
    CTRL_PROGRESSING,
    CTRL_DEGRADED,
    CTRL_NCOND
} ctrl_cond_type;

/*
 * Registers a controller for kind with the runtime and watches its primary resource in
 * namespace (NULL: all). kind must outlive the process (a static). data is handed to the
 * kind's steps (ctrl_data). Call from the runtime's setup callback. CORE_ENOMEM,
 * CORE_ETOOBIG (the runtime's limits).
 */
int ctrl_new(rt *r, const ctrl_kind *kind, const char *namespace, void *data, ctrl **out);

/* Watches a child resource: objects labelled managed-by=dbaas-operator whose controller
 * is of this kind; a change queues the owner. *out (may be NULL) gives the cache. */
int ctrl_watch_children(ctrl *c, const kres *res, informer **out);

/* Watches objects that name their owner in label (claims a StatefulSet made); the cache is
 * indexed by label (store_by_label finds one owner's objects without a walk). One label per
 * resource: another label for the same resource is CORE_EINVAL (a shared cache has one
 * index). */
int ctrl_watch_labelled(ctrl *c, const kres *res, const char *label, informer **out);

/* The same, with transform (informer.h; NULL: informer_strip) trimming each object before it
 * is cached: what the kind never reads need not be held (a pod's spec, at N=5000 some 15 MiB).
 * One transform per resource, as one label. */
int ctrl_watch_labelled_kept(ctrl *c, const kres *res, const char *label,
                             informer_transform transform, informer **out);

/*
 * Watches the metadata (only: PartialObjectMetadata, informer_opts.metadata_only) of the
 * objects of res that lack the label managed-by=dbaas-operator, so that a child name no
 * cache holds is known to be free without a GET: ctrl_check and ctrl_apply ask the server
 * only for a name this cache holds (someone else's object, or ours with its labels
 * removed; a change to one whose controller is of this kind queues it). ctrl_read always
 * asks: what a deletion must find is never guessed. What is kept of each object: name,
 * namespace, uid, resourceVersion, labels, ownerReferences, deletionTimestamp and the
 * dbaas.dev/ annotations, so a cluster's others cost little memory. The controller
 * waits for its list as for its other caches. A create of a child judged absent this way
 * carries metadata.resourceVersion "1", which the API server refuses with 409 when the
 * object exists (one made since the cache last heard): the run ends as for any 409 and
 * the next one reads fresh state. So ctrl_check's promise (nothing written while a name is
 * someone else's) holds for what the caches have heard: an object made a moment ago, or
 * relabelled (between the two caches), may be in neither, and then children checked
 * otherwise (Secrets) can be written before that one's create is refused. Not for a name
 * the kind never creates but something else consumes (a StatefulSet's claim), since no
 * create would be refused there. At most CTRL_OTHERS_MAX resources (CORE_ETOOBIG), one
 * call each. Same set for every controller, so the informer is shared. Not for Secrets,
 * whose cache holds only ours and the named ones (least privilege: even names of others'
 * Secrets stay out of memory).
 */
#define CTRL_OTHERS_MAX 6
int ctrl_watch_others(ctrl *c, const kres *res);

informer      *ctrl_primary(ctrl *c);
rt_controller *ctrl_controller(ctrl *c);
const char    *ctrl_namespace(const ctrl *c); /* the watched namespace, or NULL for all */

/* --- a run ----------------------------------------------------------------------------- */

const cJSON *ctrl_obj(const ctrl_run *run); /* the primary object as cached */
const char  *ctrl_key(const ctrl_run *run); /* "namespace/name" */
const char  *ctrl_ns(const ctrl_run *run);
const char  *ctrl_name(const ctrl_run *run);
int64_t      ctrl_generation(const ctrl_run *run);
void        *ctrl_state(ctrl_run *run); /* kind->state_size bytes, or NULL */
void        *ctrl_data(ctrl_run *run);  /* the data given to ctrl_new */
rt          *ctrl_runtime(ctrl_run *run);

/* The cached object name in the run's namespace, parsed (the caller frees), or NULL. */
cJSON *ctrl_cached(const ctrl_run *run, informer *cache, const char *name);

/*
 * The same, read-only and owned by the run: parsed at most once per run for each
 * resourceVersion (the steps of one run look at the same claim, pod or child several times),
 * into the run's pool (kjson_pool: never cJSON_Delete'd, detached from or added to), freed
 * when the run ends. A newer version cached meanwhile is parsed anew; a pointer handed
 * out earlier stays valid, unchanged, until the run ends. An object without a
 * resourceVersion is parsed at each call (each copy kept until the run ends). NULL when
 * absent or out of memory.
 */
const cJSON *ctrl_view(ctrl_run *run, informer *cache, const char *name);

/* Whether cache holds the object name in the run's namespace (1 or 0), without parsing it. */
int ctrl_has_cached(const ctrl_run *run, informer *cache, const char *name);

/* An Event about the run's object (events_record); messages never hold secrets. */
void ctrl_event(ctrl_run *run, const char *type, const char *reason, const char *message);

/*
 * Whether the object is new: its cached status has no Ready condition, so no run has
 * written its status yet. What a run makes for a new object (its first Secret, its first
 * certificate) is told by the status the first status write brings (no Event: see the
 * status step), not by an Event each: every Event is a write, and these would
 * repeat for every object created. An object restored without its status (a backup tool
 * that drops it) counts as new: what is made for it then is told by status alone.
 */
int ctrl_is_new(const ctrl_run *run);

/* An Event told once the status this run writes is written: for something the status
 * shows from now on (say it only when the cached status does not yet). Dropped when the
 * status needs no write, is held (ctrl_status_hold_ms) or its write fails; at most
 * CTRL_STATUS_EVENTS a run. */
#define CTRL_STATUS_EVENTS 4
void ctrl_event_on_status(ctrl_run *run, const char *type, const char *reason, const char *message);

/* --- the children step ---------------------------------------------------------------- */

/* Called with the child as it now is: the server's answer when it was written (written 1),
 * the live object when it already matched (written 0); NULL when it was not written
 * (refused, conflict, failure, or made by this controller a moment ago and not in its cache
 * yet: then the run ends at ctrl_then). Valid during the call only. */
typedef void (*ctrl_answer_fn)(ctrl_run *run, const cJSON *child, int written);

/*
 * Queues desired (taken; from a builder, with apiVersion, kind, metadata.name) for
 * server-side apply to res when it differs from the live object in cache (see above).
 * desired is stamped here unless the kind stamped it already (ctrl_stamp), which it does
 * when it adds what it copies from the live object after building (an immutable field
 * kept as the server holds it): the copy then does not change the stamp.
 * on_answer may be NULL. Never fails: trouble is recorded in the run and reaches status.
 */
void ctrl_apply(ctrl_run *run, const kres *res, informer *cache, cJSON *desired,
                ctrl_answer_fn on_answer);

/*
 * Queues a JSON merge patch (taken) of live, an object of res in the run's namespace as
 * read (a cached claim, say), when ctrl_may_write allows it (else a ChildConflict, no
 * write). live's resourceVersion goes with it as a precondition: a change since it was
 * read gives a 409 and the run is retried on fresh state. A 404 counts as done. For
 * objects ctrl_apply does not write (claims made by a StatefulSet, a retained Secret).
 */
void ctrl_patch(ctrl_run *run, const kres *res, const cJSON *live, cJSON *patch);

/*
 * Queues a JSON merge patch of live, an object of res in the run's namespace that is not the
 * run's child but carries a copy of its ownerReference (another operator copied it there, as
 * Zalando's does onto its Secrets), that removes only the ownerReferences with the run's
 * object's uid and keeps the others; live's resourceVersion as a precondition. Nothing when
 * live has none. The one write allowed to an object the run does not control, for a kind's
 * retain step: the garbage collector would otherwise delete live with the run's object.
 */
void ctrl_release(ctrl_run *run, const kres *res, const cJSON *live);

/* Queues a delete of live (propagation "Background", "Foreground", "Orphan" or NULL) under
 * the same ownership rule, with live's uid as a precondition; a 404 counts as done. */
void ctrl_delete(ctrl_run *run, const kres *res, const cJSON *live, const char *propagation);

/*
 * Whether live is marked as the run's object's by label alone: it carries the label
 * managed-by=dbaas-operator and its label uid_label holds uid (non-empty). Pure. For objects
 * that must outlive their maker and so have no ownerReference (a scheduled DBSnapshot keeps
 * its instance's uid in a label): never by name, which a new object of the same name shares.
 */
int ctrl_marked_for(const cJSON *live, const char *uid_label, const char *uid);

/*
 * Queues a delete of live (propagation as for ctrl_delete) when ctrl_marked_for(live,
 * uid_label, the run's object's uid), with live's uid as a precondition; a 404 counts as
 * done. Returns 1 when queued, 0 when live is not so marked (nothing recorded, nothing
 * written) or the request could not be queued (the run then fails as ctrl_then says).
 */
int ctrl_delete_marked(ctrl_run *run, const kres *res, const cJSON *live, const char *uid_label,
                       const char *propagation);

/*
 * Queues a delete of live, an object that is not the run's child but parent's (a pod of
 * our StatefulSet), with live's uid as a precondition; a 404 counts as done. The rule:
 * live is deleted only when its controller ownerReference carries parent's uid and parent
 * may be written by the run's object (ctrl_may_write: parent is ours). For the one case
 * where the parent's own controller will not act: a StatefulSet with the default
 * OrderedReady policy waits for a broken pod to become Ready before it replaces it, so
 * reverting its template is not enough, and its pods made from the bad template must be
 * deleted ("Forced rollback", https://kubernetes.io/docs/concepts/workloads/controllers/
 * statefulset/#forced-rollback; kubernetes/kubernetes#67250). Returns 1 when the delete
 * was queued; 0 when live is not parent's (nothing recorded) or parent is not ours (a
 * ChildConflict, as ctrl_may_write records).
 */
int ctrl_delete_via(ctrl_run *run, const kres *res, const cJSON *live, const cJSON *parent,
                    const char *propagation);

/*
 * Runs next once every write queued so far has answered (at once when none is pending).
 * A conflict (409) or a transport failure ends the run instead (backoff); so does a child
 * this controller made a moment ago that its cache lacks (ctrl_created: a requeue after 1 s,
 * no backoff; its watch event comes sooner). A refused write or a child conflict is
 * recorded and next still runs, so that status tells; with a child conflict, the children
 * ctrl_check_to_create took for absent are read first, so that it names them too.
 */
void ctrl_then(ctrl_run *run, void (*next)(ctrl_run *run));

/*
 * Whether live (the child as read) may be written by the run's object: live is NULL,
 * controlled by the object, or an orphan the kind may adopt. Controlled means a controller
 * ownerReference with the object's uid and a mark that this object wrote it: the labels
 * managed-by=dbaas-operator and instance=<its name>, or CTRL_APPLIED_ANN. An ownerReference
 * alone is not enough, since others copy one (Zalando's operator copies its owner's onto
 * what it makes); either mark is, so that a person editing our labels has them put back.
 * Otherwise records a ChildConflict (Ready False) naming live and its controller and
 * returns 0.
 */
/* 1 when obj's controller ownerReference carries the run's object's uid (an ownerReference
 * alone, which others may copy: ctrl_may_write also asks for our marks), else 0. */
int ctrl_controls(const ctrl_run *run, const cJSON *obj);

int ctrl_may_write(ctrl_run *run, const cJSON *live);

/*
 * Queues a check that the child name of res is ours to write (ctrl_may_write), from cache
 * or, when the cache does not hold it, with one GET (none for a child this controller made
 * a moment ago: see ctrl_created); nothing is written. Check every child
 * first and write after ctrl_then, when ctrl_refused says there is no conflict: then nothing
 * is written while one exists. on_answer (may be NULL, may run inside ctrl_check) gets the
 * live object when it exists and is ours to write, else NULL (absent, in conflict, or the
 * GET failed: a failure ends the run as ctrl_then says). A child found absent is
 * remembered for the run (up to 8), and ctrl_apply of it in the same run creates it without
 * a second GET.
 */
void ctrl_check(ctrl_run *run, const kres *res, informer *cache, const char *name,
                ctrl_answer_fn on_answer);

/*
 * ctrl_check for a child the run goes on to create when it is absent, with a create the
 * server refuses when it exists (ctrl_apply's, or kops_create's POST): a name no cache
 * settles is answered absent with no GET (one request less per new child), and the create
 * is what finds an object that exists without our labels; ctrl_apply then records it
 * (ctrl_exists; a direct POST calls ctrl_exists itself), and for CTRL_AHEAD_MS (60 s) the
 * check reads it with a GET as ctrl_check does. So the promise of ctrl_check (nothing
 * written while a child is someone else's) holds here only for what the caches know:
 * children written before this one's create was refused stay (they are ours, and go with
 * the object). For children whose absence is only known from the caches (Secrets).
 */
void ctrl_check_to_create(ctrl_run *run, const kres *res, informer *cache, const char *name,
                          ctrl_answer_fn on_answer);

/*
 * Tells ctrl that the run created obj (a child of res, the server's answer to a POST that
 * did not go through ctrl_apply): for CTRL_BORN_MS (10 s), until its cache shows it, a
 * ctrl_check, ctrl_check_to_create or ctrl_apply of that name ends the run at ctrl_then
 * with a requeue after 1 s, instead of reading or making it again (its watch event comes
 * sooner). ctrl_apply's creates are remembered so by ctrl itself. Memory: one entry per
 * child (about 100 bytes) until the next ctrl_apply of it finds it in its cache, or for
 * 60 s at most (entries past their time are swept once a minute); the whole memory is
 * dropped past 65536 entries, which costs one request per child dropped.
 */
void ctrl_created(ctrl_run *run, const kres *res, const cJSON *obj);

/* Tells ctrl that a create of the child name of res was refused with 409 (it exists) and
 * no cache of ours holds it: ctrl_check, ctrl_check_to_create and ctrl_apply read it with a
 * GET for CTRL_AHEAD_MS (60 s; a GET that finds it again renews that), until a GET finds it
 * gone or ctrl_apply finds it in its cache. ctrl records the same itself when a GET of its
 * finds a child no cache holds. */
void ctrl_exists(ctrl_run *run, const kres *res, const char *name);

/*
 * Queues a read of the object name of res: from cache or, when the cache does not hold it,
 * with one GET (the caches hold only objects with our labels, and one whose watch was down
 * may not have seen it yet). Unlike ctrl_check it judges nothing (no ChildConflict for an
 * object that is not the run's): the caller decides, and ctrl_patch and ctrl_delete check
 * whose it is before they write. For what a deletion must find: a Secret to cut loose, a
 * claim to delete. on_answer (not NULL; may run inside ctrl_read) gets the live object,
 * borrowed for the call, or NULL when it does not exist or the GET failed (a failure ends
 * the run as ctrl_then says). name NULL: nothing is queued, on_answer is not called.
 */
void ctrl_read(ctrl_run *run, const kres *res, informer *cache, const char *name,
               ctrl_answer_fn on_answer);

/*
 * The run's object depends on the object name of res in its namespace (a Secret its spec
 * names, say): ctrl watches that one object by name (a field selector, so the cache holds
 * nothing else) and reconciles the run's object when it appears, changes or goes. The set
 * is what the last run that reached ctrl_status or ctrl_done declared (at most
 * CTRL_MAX_DEPS; more are dropped); a run that ends otherwise leaves it as it was, and an
 * object that is gone or finalized drops it.
 */
#define CTRL_MAX_DEPS 4
void ctrl_depend(ctrl_run *run, const kres *res, const char *name);

/* --- the status step ------------------------------------------------------------------ */

/* Sets a condition for this run; message is printf-formatted, cut to CTRL_MSG_MAX. */
void ctrl_cond(ctrl_run *run, ctrl_cond_type type, int status, const char *reason, const char *fmt,
               ...) __attribute__((format(printf, 5, 6)));

/*
 * Records that the spec or a child cannot be applied and a person must act: Degraded and
 * Stalled become True with reason and message, Progressing False; Ready becomes False with
 * them too unless keep_ready (the old pod still serves). The first refusal of a run wins.
 * Ends in backoff (a ChildConflict: a retry every CTRL_CONFLICT_RETRY_MS).
 */
void ctrl_refuse(ctrl_run *run, int keep_ready, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Whether the run has recorded a refusal (its reason), or NULL. */
const char *ctrl_refused(const ctrl_run *run);

/*
 * Whether a write's error answer (HTTP status, the server's message) refuses the object
 * itself, so the same write will be refused again (ApplyFailed, a person must act), rather
 * than a failure to retry: a 4xx but 429, or the 500 the API server's field manager answers
 * for a field its schema lacks ("failed to create typed patch object ...: field not declared
 * in schema", k8s.io/apiserver/pkg/endpoints/handlers/fieldmanager; test/fuzz/specfuzz.py
 * found an unknown key under spec.podTemplate.affinity retried forever, no status).
 */
int ctrl_write_refused(long status, const char *message);

/* The refusal of a run whose namespace is being deleted (ctrl_ns_refused). */
#define CTRL_NS_TERMINATING "NamespaceTerminating"

/*
 * When res is such an answer and the run's object is not being deleted itself (its finalize
 * step is left as it is: a final DBSnapshot refused there waits, saying so): records the
 * refusal CTRL_NS_TERMINATING (Stalled, phase Deleting, message "namespace N is being
 * deleted; what was deleted with it is not made again"; logged at debug, not as a warning),
 * and returns 1; the caller goes on to its status step, as after any refusal. 0 otherwise,
 * nothing done. ctrl_apply's answers are judged with it.
 *
 * The run then sends no create (ctrl_apply skips them), declares no watch of a named object
 * (ctrl_depend's are dropped: a Secret the deletion took is not watched, one per object), and
 * ends with no retry: the namespace controller deletes the object next, and that change
 * brings the next run (the finalize step), as client-go's ReplicaSet controller does.
 * Before, every instance of a namespace being deleted was reported ApplyFailed, warned of
 * in the log and retried with backoff, its children tried again at each run.
 *
 * ctrl also remembers the namespace for 10 minutes: a later run there, of an object not
 * being deleted and created no later than the refused one, starts with that refusal and
 * sends no create at all. A namespace made again under the same name holds only newer
 * objects, which run as usual. This is the rule (times in seconds and loop milliseconds):
 * ctrl_ns_doomed is 1 when now_ms < until_ms and created_s <= refused_created_s.
 */
int ctrl_ns_refused(ctrl_run *run, const kops_result *res);
int ctrl_ns_doomed(int64_t refused_created_s, uint64_t until_ms, int64_t created_s, uint64_t now_ms);

/* Asks that the object be reconciled again after ms when the run ends well; also when it
 * ends with a refusal, which then looks again after ms instead of backing off: for a cause
 * no watch reports (a permission, an object of another kind that is not watched). Asked
 * more than once in a run, the shortest delay counts (each step's reason still holds). */
void ctrl_requeue_after(ctrl_run *run, uint64_t ms);

/*
 * Ends the run with its status: fields (taken; the kind's own status members, may be NULL)
 * plus the conditions, observedGeneration and phase, written to /status only when they
 * differ from the cached status.
 */
void ctrl_status(ctrl_run *run, cJSON *fields);

/* Ends the run without a status write, for kinds whose objects have no status: the
 * dependencies are kept as declared, a refusal backs off, a ChildConflict looks again
 * every CTRL_CONFLICT_RETRY_MS, as with ctrl_status. */
void ctrl_done(ctrl_run *run);

/* Ends the run as result says (WQ_REQUEUE_AFTER: after ctrl_requeue_after's delay, else
 * half a second), touching neither status nor dependencies. */
void ctrl_end(ctrl_run *run, wq_result result);

/* Cleanup is complete: removes the finalizer (resourceVersion as precondition) and ends. */
void ctrl_finalized(ctrl_run *run);

#endif
