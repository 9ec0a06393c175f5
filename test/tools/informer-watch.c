/*
 * informer-watch: runs one informer and reports what it sees, for the integration tests.
 *
 * usage: informer-watch KUBECONFIG NAMESPACE [PAGE_SIZE [FROM_RV [RESOURCE]]]
 * Watches ConfigMaps (or RESOURCE: configmaps or podtemplates) in NAMESPACE; PAGE_SIZE 0 is
 * the default, FROM_RV "-" a normal start. Prints "ADD key rv", "UPDATE key rv", "DELETE key" and
 * "SYNCED n" as they happen. On SIGUSR1 prints "STATS …", then the cache as "OBJ key rv"
 * lines (sorted by the caller) between "DUMP BEGIN" and "DUMP END". SIGTERM: exits 0.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "core/core.h"
#include "informer/informer.h"
#include "kube/kube.h"
#include "kubeconfig/kubeconfig.h"

typedef struct {
    kube_client *client;
    informer    *inf;
    uv_signal_t  term, usr1;
} tool;


static const char *
rv_of(const cJSON *obj)
{
    const char *rv = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "resourceVersion"));

    return rv ? rv : "";
}


static void
on_change(informer *inf, informer_change what, const char *key, const cJSON *obj, void *data)
{
    (void)inf;
    (void)data;
    if (what == INFORMER_DELETE)
        printf("DELETE %s\n", key);
    else
        printf("%s %s %s\n", what == INFORMER_ADD ? "ADD" : "UPDATE", key, rv_of(obj));
    fflush(stdout);
}


static void
on_synced(informer *inf, void *data)
{
    (void)data;
    printf("SYNCED %zu\n", store_len(informer_store(inf)));
    fflush(stdout);
}


static void
print_obj(const char *key, const store_obj *o, void *data)
{
    (void)data;
    printf("OBJ %s %s\n", key, o->rv);
}


static void
on_usr1(uv_signal_t *s, int signum)
{
    tool                 *t = s->data;
    const informer_stats *st = informer_get_stats(t->inf);

    (void)signum;
    printf("STATS lists=%llu relists=%llu watches=%llu watch_errors=%llu events=%llu "
           "bookmarks=%llu connects=%ld bytes=%zu\n",
           (unsigned long long)st->lists, (unsigned long long)st->relists,
           (unsigned long long)st->watches, (unsigned long long)st->watch_errors,
           (unsigned long long)st->events, (unsigned long long)st->bookmarks,
           kube_client_connects(t->client), store_bytes(informer_store(t->inf)));
    printf("DUMP BEGIN\n");
    store_each(informer_store(t->inf), print_obj, NULL);
    printf("DUMP END\n");
    fflush(stdout);
}


static void
on_term(uv_signal_t *s, int signum)
{
    tool *t = s->data;

    (void)signum;
    informer_stop(t->inf, NULL, NULL);
    kube_client_close(t->client);
    uv_close((uv_handle_t *)&t->term, NULL);
    uv_close((uv_handle_t *)&t->usr1, NULL);
}


int
main(int argc, char **argv)
{
    uv_loop_t     loop;
    kcfg          cfg;
    tool          t;
    char          err[512];
    informer_opts opts;

    if (argc < 3) {
        fprintf(stderr,
                "usage: informer-watch KUBECONFIG NAMESPACE [PAGE_SIZE [FROM_RV [RESOURCE]]]\n");
        return 2;
    }
    memset(&t, 0, sizeof t);
    memset(&opts, 0, sizeof opts);
    if (kcfg_load(argv[1], NULL, &cfg, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    uv_loop_init(&loop);
    if (kube_client_new(&loop, &cfg, &t.client, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    kcfg_free(&cfg);
    opts.res =
        argc > 5 && strcmp(argv[5], "podtemplates") == 0 ? &KRES_PODTEMPLATES : &KRES_CONFIGMAPS;
    opts.namespace = argv[2];
    opts.on_change = on_change;
    opts.on_synced = on_synced;
    opts.page_size = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 0;
    if (informer_new(&loop, t.client, &opts, &t.inf)) {
        fprintf(stderr, "informer_new failed\n");
        return 1;
    }
    if (argc > 4 && strcmp(argv[4], "-") != 0 ? informer_start_from(t.inf, argv[4])
                                              : informer_start(t.inf)) {
        fprintf(stderr, "informer start failed\n");
        return 1;
    }
    uv_signal_init(&loop, &t.term);
    uv_signal_init(&loop, &t.usr1);
    t.term.data = t.usr1.data = &t;
    uv_signal_start(&t.term, on_term, SIGTERM);
    uv_signal_start(&t.usr1, on_usr1, SIGUSR1);
    uv_run(&loop, UV_RUN_DEFAULT);
    return uv_loop_close(&loop) == 0 ? 0 : 1;
}
