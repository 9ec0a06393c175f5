/*
 * dbaas-operator: flags and wiring. The process itself lives in pkg-c/runtime.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "ctrl/ctrl_metrics.h"
#include "dbi/dbi_controller.h"
#include "snap/snap_controller.h"
#include "hac/hac_controller.h"
#include "log/log.h"
#include "runtime/runtime.h"

#define OPERATOR_VERSION "0.1.0"


static void
usage(FILE *f)
{
    fprintf(f,
            "usage: dbaas-operator [flags]\n"
            "  --kubeconfig PATH       kubeconfig (default: $KUBECONFIG, ~/.kube/config, in-cluster)\n"
            "  --context NAME          kubeconfig context (default: current-context)\n"
            "  --namespace NS          watch DBInstances in NS only (default: all namespaces)\n"
            "  --metrics-addr ADDR     serve /metrics, /healthz, /readyz on ADDR (default :8080; \"\" = off)\n"
            "  --leader-elect          campaign for a Lease before doing any work\n"
            "  --lease-namespace NS    namespace of the Lease (default: the context's namespace)\n"
            "  --lease-name NAME       name of the Lease (default: dbaas-operator)\n"
            "  --identity ID           this process in the Lease (default: hostname_pid)\n"
            "  --lease-duration SEC    default 15\n"
            "  --renew-deadline SEC    default 10\n"
            "  --retry-period SEC      default 2\n"
            "  --concurrency N         reconciles in flight (default 4)\n"
            "  --shutdown-grace SEC    wait this long for reconciles at shutdown (default 30)\n"
            "  --log-format json|text  default json\n"
            "  --log-level LEVEL       debug, info, warn, error (default info)\n"
            "  --zalando-wait SEC      say a HACluster's Zalando operator is not acting after SEC (default 120)\n"
            "  --version               print the version and exit\n");
}


/* Seconds (decimals allowed) to milliseconds; -1 when not a positive number. */
static long long
seconds_ms(const char *s)
{
    char  *end = NULL;
    double v = strtod(s, &end);

    if (!end || *end || v <= 0 || v > 86400)
        return -1;
    return (long long)(v * 1000);
}


/* The controllers this binary runs. */
static int
setup(rt *r, void *data)
{
    int rc;

    if ((rc = ctrl_metrics_build_info(rt_metrics(r), OPERATOR_VERSION)) ||
        (rc = dbi_controller_setup(r, data)) || (rc = snap_controller_setup(r, data)) ||
        (rc = hac_controller_setup(r, data)))
        return rc;
    return CORE_OK;
}


int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"kubeconfig", required_argument, NULL, 'k'},
        {"namespace", required_argument, NULL, 'W'},
        {"context", required_argument, NULL, 'c'},
        {"metrics-addr", required_argument, NULL, 'm'},
        {"leader-elect", no_argument, NULL, 'L'},
        {"lease-namespace", required_argument, NULL, 'n'},
        {"lease-name", required_argument, NULL, 'N'},
        {"identity", required_argument, NULL, 'i'},
        {"lease-duration", required_argument, NULL, 'D'},
        {"renew-deadline", required_argument, NULL, 'R'},
        {"retry-period", required_argument, NULL, 'P'},
        {"concurrency", required_argument, NULL, 'C'},
        {"shutdown-grace", required_argument, NULL, 'G'},
        {"log-format", required_argument, NULL, 'f'},
        {"log-level", required_argument, NULL, 'l'},
        {"zalando-wait", required_argument, NULL, 'Z'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    rt_config  cfg;
    log_format format = LOG_JSON;
    log_level  level = LOG_INFO;
    char      *watch_ns = NULL;
    char       err[512];
    long long  ms;
    int        o;

    memset(&cfg, 0, sizeof cfg);
    err[0] = '\0';
    cfg.metrics_addr = ":8080";
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        ms = 0;
        switch (o) {
        case 'k': cfg.kubeconfig = optarg; break;
        case 'c': cfg.context = optarg; break;
        case 'W': watch_ns = optarg; break;
        case 'm': cfg.metrics_addr = optarg; break;
        case 'L': cfg.leader_elect = 1; break;
        case 'n': cfg.lease_namespace = optarg; break;
        case 'N': cfg.lease_name = optarg; break;
        case 'i': cfg.identity = optarg; break;
        case 'D':
            ms = seconds_ms(optarg);
            cfg.lease_ms = (uint64_t)ms;
            break;
        case 'R':
            ms = seconds_ms(optarg);
            cfg.renew_ms = (uint64_t)ms;
            break;
        case 'P':
            ms = seconds_ms(optarg);
            cfg.retry_ms = (uint64_t)ms;
            break;
        case 'G':
            ms = seconds_ms(optarg);
            cfg.shutdown_grace_ms = (uint64_t)ms;
            break;
        case 'Z':
            if ((ms = seconds_ms(optarg)) >= 1000)
                hac_controller_zalando_wait((uint64_t)ms / 1000);
            else
                ms = -1;
            break;
        case 'C':
            cfg.concurrency = (unsigned)strtoul(optarg, NULL, 10);
            if (cfg.concurrency == 0 || cfg.concurrency > 1024) {
                fprintf(stderr, "dbaas-operator: --concurrency must be 1-1024\n");
                return 2;
            }
            break;
        case 'f':
            if (log_format_parse(optarg, &format)) {
                fprintf(stderr, "dbaas-operator: --log-format must be json or text\n");
                return 2;
            }
            break;
        case 'l':
            if (log_level_parse(optarg, &level)) {
                fprintf(stderr, "dbaas-operator: --log-level must be debug, info, warn or error\n");
                return 2;
            }
            break;
        case 'V': printf("dbaas-operator %s\n", OPERATOR_VERSION); return 0;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
        if (ms < 0) {
            fprintf(stderr, "dbaas-operator: %s takes a positive number of seconds\n",
                    argv[optind - 1]);
            return 2;
        }
    }
    /* A client that hangs up on /metrics must not kill the process. */
    signal(SIGPIPE, SIG_IGN);
    if (log_init(format, level, STDERR_FILENO)) {
        fprintf(stderr, "dbaas-operator: cannot set up logging\n");
        return 1;
    }
    o = rt_run(&cfg, setup, watch_ns, err, sizeof err);
    if (err[0])
        log_error(err, NULL);
    return o;
}
