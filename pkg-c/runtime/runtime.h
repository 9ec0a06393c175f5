/*
 * runtime: the operator process around the controllers, on one libuv loop.
 *
 * It loads the configuration (a kubeconfig, else in-cluster), connects and checks the API
 * server (retrying with backoff until it answers), serves /metrics, /healthz and /readyz,
 * campaigns for the leader Lease when asked to, and runs the controllers: their informers
 * start once this process may work (at once, or when it becomes the leader), their changes
 * become keys in the controller's work queue, and each key is reconciled by the controller.
 *
 * Informers are shared, as client-go's shared informer factory shares them: there is one
 * informer (one list+watch) per distinct (group/version/resource, namespace, label selector,
 * field selector), whatever the number of controllers that watch it. A controller watch is
 * a subscription to one: the controller and how a changed object maps to keys of its queue
 * (the object's own key, its controller owner of a kind, a label's value, or a fixed key for
 * a named watch). The runtime owns every informer and frees it at shutdown (a named watch's
 * informer earlier, with its last subscription); callers read their stores, never stop them.
 * The informer of a set takes its transform, page size, line cap and index label from the
 * first caller; a later caller asking for a different transform or index gets CORE_EINVAL.
 *
 * A controller is synced once every informer it subscribes to has synced; then every object
 * of its primary informers (own-key subscriptions) is queued. Changes seen before that are
 * not queued. A resource that is not served (its CRD is not installed) counts as synced with
 * an empty cache, blocks neither its controller nor /readyz, and is asked for again every
 * few seconds; when it becomes served, every controller subscribed to it queues all its
 * primary objects again. List and watch failures are logged once per change of state with
 * the resource and the server's message, and when they recover ("resource not installed;
 * waiting for its CRD" at WARN, "resource installed" when it appears); every failed request
 * counts in dbaas_informer_errors_total{resource,op} (the lists that keep asking for a
 * resource not served count once).
 *
 * SIGTERM/SIGINT: stop taking work, let reconciles in flight finish (within the grace
 * period), release the lease, close watches, free everything, exit 0. Losing the lease stops
 * all work at once, without writing, and exits 1.
 *
 * /readyz is ready once the server has answered, every informer has synced (named watches
 * aside: they come and go with the objects that name them) and, when electing, this
 * process leads.
 *
 * Everything here runs on the loop thread; controller callbacks may call any rt_ function.
 */
#ifndef DBAAS_RUNTIME_H
#define DBAAS_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "events/events.h"
#include "informer/informer.h"
#include "kube/kube.h"
#include "metrics/metrics.h"
#include "wq/wq.h"

typedef struct {
    const char *kubeconfig;   /* NULL: $KUBECONFIG, ~/.kube/config, then in-cluster */
    const char *context;      /* NULL: the current context */
    const char *metrics_addr; /* "host:port" (":8080" for all addresses); NULL: none */
    int         leader_elect;
    const char *lease_namespace;              /* NULL: the kubeconfig's namespace */
    const char *lease_name;                   /* NULL: "dbaas-operator" */
    const char *identity;                     /* NULL: hostname_pid */
    uint64_t    lease_ms, renew_ms, retry_ms; /* 0: 15 s, 10 s, 2 s */
    unsigned    concurrency;                  /* reconciles in flight per controller; 0: 4 */
    uint64_t    shutdown_grace_ms;            /* 0: 30 s */
} rt_config;

typedef struct rt            rt;
typedef struct rt_controller rt_controller;

/* Reconciles key ("namespace/name"); ends, now or later, with rt_controller_done. */
typedef void (*rt_reconcile_fn)(rt_controller *ctl, const char *key, void *data);

/* Registers the controllers; runs once, after the client exists, before anything starts. */
typedef int (*rt_setup_fn)(rt *r, void *data);

/*
 * Runs until a signal or a lost lease. Returns the process exit code: 0 after a clean
 * shutdown, 1 when the configuration is unusable (err says why, one line), setup failed,
 * or the lease was lost, or the signal thread could not be started. setup may be NULL.
 * Call it before the process makes any other thread: it blocks SIGINT and SIGTERM in the
 * calling thread, so that every thread made after inherits the block, and a thread of its
 * own takes them with sigwait(3); no signal can then take its default action during
 * shutdown. On return SIGINT and SIGTERM are ignored (SIG_IGN; the mask is restored), so a
 * late signal cannot turn a clean exit into death by signal. Children started with
 * uv_spawn get an empty mask (libuv resets it before exec).
 */
int rt_run(const rt_config *cfg, rt_setup_fn setup, void *data, char *err, size_t errlen);

int rt_controller_add(rt *r, const char *name, rt_reconcile_fn fn, void *data, rt_controller **out);

/*
 * The shared informer for opts' set (res, namespace, label_selector, field_selector),
 * created on first use and started with the others (at once if they run already). It
 * lives until shutdown. opts->on_change, on_synced, on_error and data are ignored: the
 * runtime owns them; subscribe a controller (rt_controller_watch*) to hear of changes.
 */
int rt_informer(rt *r, const informer_opts *opts, informer **out);

/* 0 while inf's resource is not served (its CRD is not installed): informer_installed. */
int rt_informer_installed(informer *inf);

/*
 * Subscribes ctl to the shared informer of opts' set. With owner_kind NULL, a change to an
 * object queues the object's own key (ctl's primary objects); otherwise it queues the key
 * of its controller owner when that owner has owner_kind (children such as StatefulSets
 * and Secrets). *out (may be NULL) gives access to the informer's store. Subscribing twice
 * the same way is counted once for the queue.
 */
int rt_controller_watch(rt_controller *ctl, const informer_opts *opts, const char *owner_kind,
                        informer **out);

/*
 * Subscribes ctl so that changes queue "<namespace>/<value of label>" (for objects that
 * carry their owner's name in a label but have no owner reference, such as the claims a
 * StatefulSet makes from its volumeClaimTemplates).
 */
int rt_controller_watch_by_label(rt_controller *ctl, const informer_opts *opts, const char *label,
                                 informer **out);

/*
 * Subscribes ctl to Events (opts->res KRES_EVENTS, narrowed by opts->field_selector) so
 * that each queues "<namespace>/<involvedObject.name>": an Event about one of ctl's
 * primaries' namesakes (the StatefulSet a DBInstance of the same name made) wakes that
 * primary. An Event about an object no primary is named after queues a key whose reconcile
 * finds nothing. *out (may be NULL) gives the cache. CORE_ENOMEM.
 */
int rt_controller_watch_about(rt_controller *ctl, const informer_opts *opts, informer **out);

/*
 * Watches one object by name (field selector metadata.name=NAME, in namespace ns; ns is
 * ignored for a cluster-scoped res): its changes queue for_key ("namespace/name" of one of
 * ctl's primaries), and so does the first list when ctl has synced already. For objects a
 * spec names that carry none of our labels (a credentialsSecretRef), so the cache holds
 * only those. Reference-counted by (ctl, res, ns, name, for_key): each call needs one
 * rt_controller_unwatch_named with the same arguments; the informer stops when its last
 * subscription goes (unless rt_informer or a controller watch asked for the same set).
 * May be called from a reconcile. CORE_EINVAL without a name, a key, or ns for a
 * namespaced res.
 */
int rt_controller_watch_named(rt_controller *ctl, const kres *res, const char *ns, const char *name,
                              const char *for_key);

/* Drops one rt_controller_watch_named; CORE_ENOENT when there is none to drop. */
int rt_controller_unwatch_named(rt_controller *ctl, const kres *res, const char *ns,
                                const char *name, const char *for_key);

/*
 * The informer of a named watch (its store holds that one object, when it exists), or
 * NULL when nothing watches (res, ns, name). Valid until the watch's last unwatch: look it
 * up again rather than keep it.
 */
informer *rt_named_informer(rt *r, const kres *res, const char *ns, const char *name);

int rt_controller_enqueue(rt_controller *ctl, const char *key);
int rt_controller_enqueue_after(rt_controller *ctl, const char *key, uint64_t ms);

/* Ends a reconcile: counts it by result, observes its duration, requeues as asked. */
void rt_controller_done(rt_controller *ctl, const char *key, wq_result result,
                        uint64_t requeue_after_ms);

/*
 * fn(data) runs once the loop has ended, after every controller and informer is gone, to
 * free what setup allocated. Several may be registered: they run in reverse order of
 * registration. CORE_ENOMEM when it could not be recorded.
 */
int rt_on_cleanup(rt *r, void (*fn)(void *data), void *data);

const char      *rt_controller_name(const rt_controller *ctl);
rt              *rt_controller_runtime(rt_controller *ctl);
kube_client     *rt_client(rt *r);
events_recorder *rt_events(rt *r);
uv_loop_t       *rt_loop(rt *r);

/* The registry /metrics serves; setup may add families to it. */
metrics_registry *rt_metrics(rt *r);

#endif
