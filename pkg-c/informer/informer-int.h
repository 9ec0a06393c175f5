/*
 * informer internals shared with the unit tests (test/unit/test_informer.c): a seam in
 * place of the HTTP client, so the list/watch state machine runs against scripted answers.
 */
#ifndef DBAAS_INFORMER_INT_H
#define DBAAS_INFORMER_INT_H

#include "informer.h"

typedef int (*informer__request_fn)(kube_client *c, const kube_req *req, kube_done_cb cb,
                                    void *data, kube_call **call);

/*
 * Sends the informer's requests through request and cancels them with cancel instead of
 * kube_request and kube_cancel. The same contract: cb runs later from the loop, never
 * inside request, and never after cancel. Before informer_start.
 */
void informer__set_transport(informer *inf, informer__request_fn request,
                             void (*cancel)(kube_call *call));

/* While the informer waits to retry: the ms until it does (else 0), and retrying at once. */
uint64_t informer__retry_due_ms(const informer *inf);
void     informer__retry_now(informer *inf);

/* The delay before list number attempt (1, 2, ...) of a resource not served: 1 s doubling to 5 s. */
uint64_t informer__absent_backoff_ms(unsigned attempt);

#endif
