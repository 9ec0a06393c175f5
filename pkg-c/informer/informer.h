/*
 * informer: keeps a local cache of one resource in step with the API server.
 *
 * A paginated list (limit/continue) fills the store, then a watch from the list's
 * resourceVersion (with bookmarks, timeoutSeconds drawn from 300-600 s) keeps it current.
 * - The watch ends normally (its timeout): watch again from the last resourceVersion.
 * - A connection error or a stream cut mid-line: back off (0.8 s doubling to 30 s, with
 *   jitter) and watch again from the last resourceVersion, bookmarks included; no relist.
 * - 410 Gone, an ERROR event with code 410 (Expired), or a stream that cannot be parsed:
 *   relist. Objects that vanished meanwhile are delivered as deletes.
 * - A list answered 404: the resource is not served (its CRD is not installed, or was
 *   deleted; a watch answered 404 relists to find out). The cached objects are delivered
 *   as deletes, the informer counts as synced with an empty store, informer_installed
 *   says 0, and one list request asks again after 1 s, doubling to 5 s, until the resource
 *   is served; then the list fills the store and on_synced runs again.
 * Handlers run after the store has changed, so they see the new state.
 *
 * Errors: on_error hears of a failed list or watch when it differs from the failure before
 * (op, status, transport error, message), so a failure repeated on every retry is told
 * once; and once, with recovered set, when a list or watch succeeds after failures.
 *
 * Ownership: the informer owns its store and the objects handed to handlers (valid during
 * the call only). informer_stop cancels the watch and frees the informer from a libuv close
 * callback; keep running the loop. Handlers (on_change, on_synced, on_error) must not call
 * informer_stop on their informer.
 */
#ifndef DBAAS_INFORMER_H
#define DBAAS_INFORMER_H

#include <cjson/cJSON.h>
#include <stdint.h>
#include <uv.h>

#include "kjson/kjson.h"
#include "kres/kres.h"
#include "kube/kube.h"
#include "store/store.h"

typedef struct informer informer;

typedef enum {
    INFORMER_ADD,
    INFORMER_UPDATE,
    INFORMER_DELETE
} informer_change;

typedef void (*informer_handler)(informer *inf, informer_change what, const char *key,
                                 const cJSON *obj, void *data);

/* A failed list or watch, or (recovered) the first success after failures. */
typedef struct {
    const char *op;            /* "list" | "watch" */
    long        status;        /* HTTP status; 0 without an answer */
    int         err;           /* CORE_OK when an answer came, else the transport's error */
    const char *message;       /* the Status.message of the answer, or the transport's */
    int         recovered;     /* 1: op works again (status, err and message are empty) */
    int         not_installed; /* the resource is not served (a list answered 404); with
                                  recovered: the failure that ended was that one */
} informer_error;

/*
 * Trims an object in place before it is cached (drop what controllers never read; ctrl's
 * Events watch also adds a label to index). Returns nonzero when it changed obj: the
 * informer then caches obj printed again; when it returns 0 the text the object came as is
 * cached, unprinted. It may detach and delete items of obj and add items to it (for an
 * object in a pool, informer_opts.pool, cJSON's hooks are the pool's meanwhile) and must
 * not keep anything of obj, nor make, print or free any cJSON value outside obj: in a pool's
 * turn that memory would be the pool's.
 */
typedef int (*informer_transform)(cJSON *obj);

typedef struct {
    const kres *res;
    const char *namespace;           /* NULL: all namespaces */
    const char      *label_selector; /* NULL: everything */
    const char      *field_selector; /* e.g. "metadata.name=orders-password"; NULL: none */
    informer_handler on_change;      /* may be NULL */
    /* After the first list (or the first answer that the resource is not served), and
     * again each time the resource becomes served. May be NULL. */
    void (*on_synced)(informer *inf, void *data);
    /* Failures, once per change of state, and the recovery after them. May be NULL;
     * e and its strings are valid during the call only. */
    void (*on_error)(informer *inf, const informer_error *e, void *data);
    informer_transform transform; /* NULL: informer_strip */
    void              *data;
    unsigned           page_size;   /* 0: 500 */
    size_t             max_line;    /* 0: the watch parser's default */
    const char        *index_label; /* a label key for store_by_label, or NULL */
    /* 1: list and watch the objects' metadata only (kind PartialObjectMetadata, group
     * meta.k8s.io/v1: name, namespace, uid, resourceVersion, labels, annotations,
     * ownerReferences; no spec, status or data), as client-go's metadata informers do
     * (Kubernetes API concepts, "Receiving resources as Tables or metadata"). */
    int                metadata_only;
    /* A pool (kjson.h) the list items and watch events are parsed into, one at a time, or
     * NULL: on the heap. Informers of one loop may share one; it must outlive their use
     * (a stopped informer parses nothing more). The transform is then called inside
     * kjson_pool_edit. */
    kjson_pool        *pool;
} informer_opts;

typedef struct {
    uint64_t lists;        /* list requests (pages) sent */
    uint64_t relists;      /* full relists after the first (one however many attempts) */
    uint64_t watches;      /* watch requests started */
    uint64_t watch_errors; /* watches that ended in an error (backed off) */
    uint64_t list_errors;  /* lists that failed (a 404 repeated while not served: once) */
    uint64_t events;       /* watch events applied (bookmarks excluded) */
    uint64_t bookmarks;
} informer_stats;

/* Copies what it needs from opts. Starts nothing. */
int informer_new(uv_loop_t *loop, kube_client *client, const informer_opts *opts, informer **out);

/* Lists, then watches, forever (until informer_stop). */
int informer_start(informer *inf);

/* 1 once the first list has been applied, or the resource was found not served. */
int informer_synced(const informer *inf);

/* 0 while the resource is not served (the last list was answered 404); 1 otherwise,
 * including before the first list. */
int informer_installed(const informer *inf);

store *informer_store(informer *inf);

const informer_stats *informer_get_stats(const informer *inf);

/* The resourceVersion the next watch would start from ("" before the first list). */
const char *informer_resource_version(const informer *inf);

/* For tests: skip the first list and watch from rv (which may be stale: then it relists). */
int informer_start_from(informer *inf, const char *rv);

/* For tests (the list parser): walks the JSON text of a List (body, len; no NUL needed)
 * without building its tree. Calls on_item with the raw text of each element of the
 * top-level "items" array, in order; on_item returns 0 to go on, or a negative code that
 * stops the walk and is returned. The top-level "metadata" is parsed with cJSON into
 * *meta_out (the caller frees it; NULL when absent); other members are skipped. "items"
 * may be null or [] but must be present. Malformed or cut-short text: CORE_EPROTO, with
 * *meta_out NULL (the items of a well-formed items array may have been handed out when the
 * fault comes after it; none of one that is itself malformed or cut short). More than
 * 2^20 (1048576) items in one page: CORE_EPROTO. CORE_ENOMEM, with *meta_out NULL. Never reads
 * past len; one pass per level. */
/* clang-format 14 aligns `len` with the function-pointer parameter as if both were members. */
/* clang-format off */
int informer_list_each(const char *body, size_t len,
                       int (*on_item)(const char *p, size_t n, void *data), cJSON **meta_out,
                       void *data);
/* clang-format on */

/* Stops and frees; closed (may be NULL) runs once memory is released. */
void informer_stop(informer *inf, void (*closed)(void *data), void *data);

/* The default transform: drops metadata.managedFields and the last-applied annotation.
 * Returns 1 when it dropped either, else 0. */
int informer_strip(cJSON *obj);

/*
 * Told that the API server answers again (kube_client_set_on_back): an informer waiting out
 * the backoff of a failed list or watch tries again within 250 ms (jittered, so that the
 * informers of one process do not all start in the same instant) instead of up to 45 s
 * later; any other state is left alone (the consecutive-failure count stays, so a failure
 * right after backs off as before). An improvement on client-go's reflector, which waits
 * its backoff out however early the server comes back.
 */
void informer_retry_soon(informer *inf);

/* The delay before retry number attempt (1, 2, ...): 0.8 s doubling to 30 s, jitter in [1, 1.5). */
uint64_t informer_backoff_ms(unsigned attempt, double jitter);

#endif
