/*
 * leader: leader election on a coordination.k8s.io/v1 Lease, as client-go does it.
 *
 * Every retry period the candidate reads the Lease. It takes it when it is free or when the
 * holder has not renewed it for a whole lease duration, measured on our own clock from the
 * moment we saw the record change (so clock skew between machines does not matter). The
 * leader renews every retry period; when it has not renewed within the renew deadline it has
 * lost the lease and on_lost runs (the operator then stops all writes and exits non-zero).
 * Updates carry the Lease's resourceVersion, so two candidates never both win.
 * leader_release gives the lease up at a clean shutdown (holder cleared), so another
 * candidate takes over at once rather than after the lease duration.
 */
#ifndef DBAAS_LEADER_H
#define DBAAS_LEADER_H

#include <stdint.h>
#include <uv.h>

#include "kube/kube.h"

typedef struct leader leader;

typedef struct {
    const char *namespace;
    const char *name;
    const char *identity; /* unique per process, e.g. hostname_pid */
    uint64_t    lease_ms; /* 0: 15 s */
    uint64_t    renew_ms; /* 0: 10 s (renew deadline) */
    uint64_t    retry_ms; /* 0: 2 s */
    void (*on_started)(leader *l, void *data);
    void (*on_lost)(leader *l, void *data);
    void *data;
} leader_opts;

/* Checks lease > renew > 1.2 × retry (after defaults); err gets one line. */
int leader_validate(const leader_opts *opts, char *err, size_t errlen);

int leader_new(uv_loop_t *loop, kube_client *client, const leader_opts *opts, leader **out);
int leader_start(leader *l);
int leader_is_leader(const leader *l);

/*
 * Stops campaigning; when leading, clears the holder first. done runs once that write has
 * ended (or at once when not leading) and the leader's memory is released.
 */
void leader_release(leader *l, void (*done)(void *data), void *data);

/* "2026-11-23T09:45:00.123456Z": a MicroTime for now. */
void leader_micro_time(char *buf, size_t len);

#endif
