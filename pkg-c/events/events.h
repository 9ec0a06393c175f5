/*
 * events: Kubernetes Events about our objects, aggregated when they repeat.
 *
 * The first occurrence of (object, type, reason, message) creates a core/v1 Event; a repeat
 * patches that Event's count and lastTimestamp instead of creating another, as kubectl
 * describe expects. A repeat that arrives while the Event is still being written is folded
 * into the next patch. An Event that has expired on the server (404) is created afresh.
 * Reasons are CamelCase; messages are cut to one line of at most 1024 bytes. Events never
 * carry secrets: callers pass messages that name fields, never values.
 *
 * Ownership: the recorder copies what it needs; obj is read during the call only.
 * Writes are fire-and-forget: failures are counted, not reported. The Event names only the
 * object (apiVersion, kind, name, namespace, uid, resourceVersion), never its data.
 * Unit tests answer the writes through events-int.h.
 */
#ifndef DBAAS_EVENTS_H
#define DBAAS_EVENTS_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "kube/kube.h"

#define EVENTS_MAX_TRACKED 4096 /* as client-go's EventCorrelator (maxLruCacheEntries) */

typedef struct events_recorder events_recorder;

typedef struct {
    uint64_t created; /* Events created */
    uint64_t patched; /* repeats written as count updates */
    uint64_t failed;  /* writes that failed */
    uint64_t skipped; /* not sent: the object's namespace is being deleted (events_record) */
} events_stats;

/* component: source.component and reportingComponent; instance: reportingInstance. */
int events_new(kube_client *c, const char *component, const char *instance, events_recorder **out);

/*
 * Records an Event about obj (which needs apiVersion, kind and metadata name, namespace and
 * uid). type is "Normal" or "Warning". Returns CORE_EINVAL, and sends nothing, for a reason
 * that is not CamelCase, another type, or an object missing one of those fields.
 * Once the server has refused an Event because its namespace is being deleted (HTTP 403,
 * cause NamespaceTerminating: kops_ns_terminating), Events about objects there created no
 * later than that one's object (metadata.creationTimestamp) are not sent: CORE_OK, counted
 * in skipped. Objects of a namespace made again under that name are newer. One without a
 * creationTimestamp is always sent. At most 256 namespaces are remembered (then forgotten
 * at once: a forgotten one costs one more refused write).
 */
int events_record(events_recorder *r, const cJSON *obj, const char *type, const char *reason,
                  const char *message);

const events_stats *events_get_stats(const events_recorder *r);

/* Whether s is CamelCase: an upper-case letter, then letters and digits, at most 128. */
int events_reason_valid(const char *s);

/*
 * Forgets the Events tracked for the object with this uid, once it is gone (the runtime
 * calls it when a controller's primary object leaves its cache): nothing of it will repeat,
 * and without this each deleted object's Events stayed tracked until the EVENTS_MAX_TRACKED
 * reset (the 60-minute soak's RSS grew by ~1.8 MiB/h with them). One with a write in flight
 * is freed when the write ends. r or uid NULL: nothing.
 */
void events_forget(events_recorder *r, const char *uid);

/* Frees the recorder. Writes in flight finish without it (their results are dropped). */
void events_free(events_recorder *r);

#endif
