/*
 * events-int.h: the recorder's internals that its unit tests reach; not public API.
 *
 * Every write goes through a send function: kops_create of body when create is set, else
 * kops_merge_patch of body (a count patch), both to t. The recorder's own send is exactly
 * that; a test replaces it to see each request and to answer it when and how it chooses (a
 * 404, a failure, a write still in flight). Like kops, a send must never call cb from
 * inside itself, and body is valid during the call only.
 */
#ifndef DBAAS_EVENTS_INT_H
#define DBAAS_EVENTS_INT_H

#include <stddef.h>

#include "events/events.h"
#include "kops/kops.h"

typedef int (*events__send_fn)(const kops_target *t, const cJSON *body, int create, kops_cb cb,
                               void *data);

/* Replaces the send function; call before the first events_record. */
void events__set_send(events_recorder *r, events__send_fn send);

/* Events tracked for aggregation now (at most EVENTS_MAX_TRACKED). */
size_t events__tracked(const events_recorder *r);

#endif
