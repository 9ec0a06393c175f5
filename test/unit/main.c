#include <errno.h>
#include <signal.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test.h"

#define MAX_TESTS       1024
#define DEFAULT_TIMEOUT 60 /* seconds; generous, since ASan and valgrind runs are slow */
#define MAX_TIMEOUT     86400

static struct {
    const char *name;
    test_fn     fn;
    int         hidden;
} tests[MAX_TESTS];
static int             ntests;
static const char     *current;
static int             nofork;
static int             inproc_failed;
static long            timeout_s = DEFAULT_TIMEOUT;
static struct timespec started;
static volatile pid_t  running; /* the forked test's pid (and process group), or 0 */
static const int       stop_signals[] = {SIGINT, SIGTERM, SIGHUP};


void
test_register(const char *name, test_fn fn, int hidden)
{
    if (ntests == MAX_TESTS) {
        fprintf(stderr, "too many tests\n");
        abort();
    }
    tests[ntests].name = name;
    tests[ntests].fn = fn;
    tests[ntests].hidden = hidden;
    ntests++;
}


void
test_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "FAIL %s: %s:%d: %s\n", current, file, line, what);
    fflush(stderr);
    if (nofork) {
        inproc_failed = 1;
        return;
    }
    _exit(1);
}


static int
selected(int i, int argc, char **argv, int show_hidden)
{
    int j;

    if (tests[i].hidden && !show_hidden)
        return 0;
    if (argc < 2)
        return 1;
    for (j = 1; j < argc; j++)
        if (strstr(tests[i].name, argv[j]))
            return 1;
    return 0;
}


static long
elapsed_s(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long)(now.tv_sec - started.tv_sec);
}


/* Writes a non-negative number with write(2) alone, for the signal handler. */
static void
write_long(long v)
{
    char buf[24];
    int  i = sizeof buf;

    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0 && i > 0);
    (void)!write(STDERR_FILENO, buf + i, sizeof buf - (size_t)i);
}


/*
 * In-process runs (valgrind) have no parent to watch them: SIGALRM names the test that hung
 * and ends the run. It reports the time measured, since a test may set alarm() itself.
 */
static void
on_alarm(int sig)
{
    (void)sig;
    (void)!write(STDERR_FILENO, "FAIL ", 5);
    (void)!write(STDERR_FILENO, current, strlen(current));
    (void)!write(STDERR_FILENO, ": timed out after ", 18);
    write_long(elapsed_s());
    (void)!write(STDERR_FILENO, " s\n", 3);
    _exit(1);
}


/*
 * The forked test is in a group of its own, so Ctrl-C or a kill of the runner would miss
 * it: end its group too, then die of the same signal.
 */
static void
on_stop(int sig)
{
    if (running > 0)
        kill(-running, SIGKILL);
    signal(sig, SIG_DFL);
    raise(sig);
}


/*
 * Waits for the child until the time limit; past it, kills the child's process group (the
 * test's own children too) and reaps the child. SIGCHLD is blocked in this process, so
 * sigtimedwait wakes when the child ends. Returns 1 and sets *status when the child ended,
 * 0 when it timed out or waiting failed.
 */
static int
wait_child(pid_t pid, int *status)
{
    sigset_t        chld;
    struct timespec now, left;
    pid_t           got;

    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    for (;;) {
        got = waitpid(pid, status, WNOHANG);
        if (got == pid)
            return 1;
        if (got < 0 && errno != EINTR) {
            fprintf(stderr, "FAIL %s: waitpid: %s\n", current, strerror(errno));
            kill(-pid, SIGKILL);
            return 0;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        left.tv_sec = started.tv_sec + timeout_s - now.tv_sec;
        left.tv_nsec = started.tv_nsec - now.tv_nsec;
        if (left.tv_nsec < 0) {
            left.tv_nsec += 1000000000L;
            left.tv_sec--;
        }
        if (left.tv_sec < 0)
            break;
        if (left.tv_sec > 0) { /* wake now and then in case a SIGCHLD was merged */
            left.tv_sec = 1;
            left.tv_nsec = 0;
        }
        sigtimedwait(&chld, NULL, &left);
    }
    kill(-pid, SIGKILL);
    waitpid(pid, status, 0);
    fprintf(stderr, "FAIL %s: timed out after %ld s\n", current, timeout_s);
    return 0;
}


static int
run_one(int i)
{
    sigset_t chld, old;
    pid_t    pid;
    int      status, ok;
    size_t   k;

    current = tests[i].name;
    clock_gettime(CLOCK_MONOTONIC, &started);
    if (nofork) {
        inproc_failed = 0;
        alarm((unsigned)timeout_s);
        tests[i].fn();
        alarm(0);
        return !inproc_failed;
    }
    fflush(stdout);
    fflush(stderr);
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, &old);
    pid = fork();
    if (pid < 0) {
        fprintf(stderr, "FAIL %s: fork: %s\n", current, strerror(errno));
        sigprocmask(SIG_SETMASK, &old, NULL);
        return 0;
    }
    if (pid == 0) {
        /* A group of its own, so a timeout also kills whatever the test started. */
        setpgid(0, 0);
        for (k = 0; k < sizeof stop_signals / sizeof stop_signals[0]; k++)
            signal(stop_signals[k], SIG_DFL);
        sigprocmask(SIG_SETMASK, &old, NULL);
        tests[i].fn();
        fflush(stdout);
        exit(0);
    }
    setpgid(pid, pid); /* both sides, so the group exists before the parent may kill it */
    running = pid;
    ok = wait_child(pid, &status);
    running = 0;
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (!ok)
        return 0;
    if (WIFSIGNALED(status))
        fprintf(stderr, "FAIL %s: killed by signal %d\n", current, WTERMSIG(status));
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}


/* DBAAS_TEST_TIMEOUT: whole seconds, 1 to MAX_TIMEOUT. */
static int
read_timeout(void)
{
    const char *v = getenv("DBAAS_TEST_TIMEOUT");
    char       *end;
    long        n;

    if (!v || !*v)
        return 0;
    errno = 0;
    n = strtol(v, &end, 10);
    if (errno || *end || n < 1 || n > MAX_TIMEOUT) {
        fprintf(stderr, "DBAAS_TEST_TIMEOUT=%s: want whole seconds from 1 to %d\n", v, MAX_TIMEOUT);
        return -1;
    }
    timeout_s = n;
    return 0;
}


int
main(int argc, char **argv)
{
    struct sigaction sa;
    int              i, passed = 0, failed = 0, show_hidden;

    if (read_timeout())
        return 2;
    nofork = getenv("DBAAS_TEST_NOFORK") != NULL;
    show_hidden = getenv("DBAAS_TEST_HIDDEN") != NULL;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = SIG_DFL; /* an inherited SIG_IGN would leave no child to wait for */
    sigaction(SIGCHLD, &sa, NULL);
    if (nofork) {
        sa.sa_handler = on_alarm;
        sigaction(SIGALRM, &sa, NULL);
    } else {
        sa.sa_handler = on_stop;
        for (i = 0; i < (int)(sizeof stop_signals / sizeof stop_signals[0]); i++)
            sigaction(stop_signals[i], &sa, NULL);
    }
    for (i = 0; i < ntests; i++) {
        if (!selected(i, argc, argv, show_hidden))
            continue;
        if (run_one(i)) {
            printf("ok   %s\n", tests[i].name);
            passed++;
        } else {
            printf("FAIL %s\n", tests[i].name);
            failed++;
        }
    }
    printf("unit: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}


int
test_closed_port(void)
{
    struct sockaddr_in a;
    socklen_t          len = sizeof a;
    int                fd = socket(AF_INET, SOCK_STREAM, 0), port;

    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT(bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
    ASSERT(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
    port = ntohs(a.sin_port);
    close(fd);
    return port;
}
