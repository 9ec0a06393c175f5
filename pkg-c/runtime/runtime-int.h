/*
 * runtime internals for the unit tests (test/unit/test_runtime.c): an rt without a
 * configuration, server, HTTP endpoint or signals, so that controller registration and the
 * shared-informer bookkeeping run on a loop of the test's own, against scripted answers.
 */
#ifndef DBAAS_RUNTIME_INT_H
#define DBAAS_RUNTIME_INT_H

#include "informer/informer-int.h"
#include "memtrim/memtrim.h"
#include "runtime.h"

/* An rt on loop with client (may be NULL while the informers send through a script), and
 * its metrics registry. cfg may be NULL. Informers start with rt__start_informers. */
int rt__new(uv_loop_t *loop, kube_client *client, const rt_config *cfg, rt **out);

/* Every informer created afterwards sends its requests through request and cancel. */
void rt__set_transport(rt *r, informer__request_fn request, void (*cancel)(kube_call *call));

/* What the loop does once the API server answered (and, when electing, leads). */
void rt__start_informers(rt *r);

/* Stops the informers, frees the controllers and runs the cleanups, then frees r; the
 * queues and informers finish closing as the loop runs (keep running it). */
void rt__free(rt *r);

/* The number of informers (distinct watched sets), and of subscriptions to inf. */
size_t rt__informer_count(const rt *r);
size_t rt__subscription_count(const rt *r, const informer *inf);

int rt__controller_synced(const rt_controller *ctl);

/* /readyz's verdict, with the reason when not ready. */
int rt__ready(rt *r, char *reason, size_t len);

/* Gives r a heap trimmer of opts (the tests' fake heap), as a real run gets glibc's; the
 * trims it has done. CORE_OK, or memtrim_new's errors. */
int      rt__set_trim(rt *r, const memtrim_opts *opts);
uint64_t rt__trims(const rt *r);

/* The metrics text /metrics would serve; the caller frees out. */
int rt__render_metrics(rt *r, core_buf *out);

#endif
