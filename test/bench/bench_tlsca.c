/*
 * What a server certificate costs (pkg-c/tlsca, issue 18): a CA is made, then COUNT server
 * certificates with four DNS names are issued from it, as the DBInstance controller issues
 * one for each new instance. Prints the mean time per certificate. Under
 * `valgrind --tool=callgrind` the instruction count per certificate does not depend on the
 * machine's load (total / COUNT, less the CA).
 *
 *   bench_tlsca [count]     (default 500)
 *
 * Exits non-zero when making the CA or issuing fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/core.h"
#include "tlsca/tlsca.h"


static double
now_s(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}


int
main(int argc, char **argv)
{
    static const char *const names[] = {"db", "db.shop", "db.shop.svc", "db.shop.svc.cluster.local"};
    long                     count = argc > 1 ? strtol(argv[1], NULL, 10) : 500;
    tlsca_pair               ca = {NULL, NULL}, srv;
    char                     err[256];
    time_t                   t = time(NULL);
    double                   t0;

    if (count < 1 || count > 1000000) {
        fprintf(stderr, "usage: bench_tlsca [count 1..1000000]\n");
        return 2;
    }
    if (tlsca_make_ca("bench ca", t, &ca, err, sizeof err) != CORE_OK) {
        fprintf(stderr, "bench_tlsca: %s\n", err);
        return 1;
    }
    t0 = now_s();
    for (long i = 0; i < count; i++) {
        srv.cert = srv.key = NULL;
        if (tlsca_issue(ca.cert, ca.key, names, 4, t, &srv, NULL, err, sizeof err) != CORE_OK) {
            fprintf(stderr, "bench_tlsca: %s\n", err);
            tlsca_pair_free(&ca);
            return 1;
        }
        tlsca_pair_free(&srv);
    }
    printf("tlsca_issue: %ld certificates, %.1f us each\n", count,
           (now_s() - t0) * 1e6 / (double)count);
    tlsca_pair_free(&ca);
    return 0;
}
