/*
 * runtime: the operator process around the controllers, on one libuv loop.
 *
 * It loads the configuration (a kubeconfig, else in-cluster), connects and checks the API
 * server (retrying with backoff until it answers), serves /metrics, /healthz and /readyz,
 * campaigns for the leader Lease when asked to, runs the work queue, and handles
 * SIGTERM/SIGINT: stop taking work, let reconciles in flight finish (within the grace
 * period), release the lease, close watches, free everything, exit 0.
 * Losing the lease stops all work at once, without writing, and exits 1.
 *
 * /readyz is ready once the server has answered, every informer has synced and, when
 * electing, this process leads.
 */
#ifndef DBAAS_RUNTIME_H
#define DBAAS_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *kubeconfig;        /* NULL: $KUBECONFIG, ~/.kube/config, then in-cluster */
    const char *context;           /* NULL: the current context */
    const char *metrics_addr;      /* "host:port" (":8080" for all addresses); NULL: none */
    int         leader_elect;
    const char *lease_namespace;   /* NULL: the kubeconfig's namespace */
    const char *lease_name;        /* NULL: "dbaas-operator" */
    const char *identity;          /* NULL: hostname_pid */
    uint64_t    lease_ms, renew_ms, retry_ms; /* 0: 15 s, 10 s, 2 s */
    unsigned    concurrency;       /* reconciles in flight; 0: 4 */
    uint64_t    shutdown_grace_ms; /* 0: 30 s */
} rt_config;

/*
 * Runs until a signal or a lost lease. Returns the process exit code: 0 after a clean
 * shutdown, 1 when the configuration is unusable (err says why, one line) or the lease
 * was lost.
 */
int rt_run(const rt_config *cfg, char *err, size_t errlen);

#endif
