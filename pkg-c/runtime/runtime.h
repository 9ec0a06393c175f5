/*
 * runtime: the operator process around the controllers, on one libuv loop.
 *
 * It loads the configuration (a kubeconfig, else in-cluster), connects and checks the API
 * server (retrying with backoff until it answers), serves /metrics, /healthz and /readyz,
 * campaigns for the leader Lease when asked to, and runs the controllers: their informers
 * start once this process may work (at once, or when it becomes the leader), their changes
 * become keys in the controller's work queue, and each key is reconciled by the controller.
 *
 * SIGTERM/SIGINT: stop taking work, let reconciles in flight finish (within the grace
 * period), release the lease, close watches, free everything, exit 0. Losing the lease stops
 * all work at once, without writing, and exits 1.
 *
 * /readyz is ready once the server has answered, every informer has synced and, when
 * electing, this process leads.
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
#include "wq/wq.h"

typedef struct {
    const char *kubeconfig;        /* NULL: $KUBECONFIG, ~/.kube/config, then in-cluster */
    const char *context;           /* NULL: the current context */
    const char *metrics_addr;      /* "host:port" (":8080" for all addresses); NULL: none */
    int         leader_elect;
    const char *lease_namespace;   /* NULL: the kubeconfig's namespace */
    const char *lease_name;        /* NULL: "dbaas-operator" */
    const char *identity;          /* NULL: hostname_pid */
    uint64_t    lease_ms, renew_ms, retry_ms; /* 0: 15 s, 10 s, 2 s */
    unsigned    concurrency;       /* reconciles in flight per controller; 0: 4 */
    uint64_t    shutdown_grace_ms; /* 0: 30 s */
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
 * or the lease was lost. setup may be NULL. On return SIGINT and SIGTERM are ignored, so a
 * late signal cannot turn a clean exit into death by signal.
 */
int rt_run(const rt_config *cfg, rt_setup_fn setup, void *data, char *err, size_t errlen);

int rt_controller_add(rt *r, const char *name, rt_reconcile_fn fn, void *data,
                      rt_controller **out);

/*
 * Adds an informer for ctl. With owner_kind NULL, a change to an object queues the object's
 * own key; otherwise it queues the key of its controller owner when that owner has
 * owner_kind (children such as StatefulSets and Secrets). opts->on_change, on_synced and
 * data are the runtime's. *out (may be NULL) gives access to the informer's store.
 */
int rt_controller_watch(rt_controller *ctl, const informer_opts *opts, const char *owner_kind,
                        informer **out);

/*
 * Adds an informer whose changes queue "<namespace>/<value of label>" (for objects that
 * carry their owner's name in a label but have no owner reference, such as the claims a
 * StatefulSet makes from its volumeClaimTemplates).
 */
int rt_controller_watch_by_label(rt_controller *ctl, const informer_opts *opts,
                                 const char *label, informer **out);

int  rt_controller_enqueue(rt_controller *ctl, const char *key);
int  rt_controller_enqueue_after(rt_controller *ctl, const char *key, uint64_t ms);

/* Ends a reconcile: counts it by result, observes its duration, requeues as asked. */
void rt_controller_done(rt_controller *ctl, const char *key, wq_result result,
                        uint64_t requeue_after_ms);

/* fn(data) runs once the loop has ended, to free what setup allocated. */
void rt_set_cleanup(rt *r, void (*fn)(void *data), void *data);

const char      *rt_controller_name(const rt_controller *ctl);
rt              *rt_controller_runtime(rt_controller *ctl);
kube_client     *rt_client(rt *r);
events_recorder *rt_events(rt *r);
uv_loop_t       *rt_loop(rt *r);

#endif
