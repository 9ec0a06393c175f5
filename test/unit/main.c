#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

#define MAX_TESTS 1024

static struct {
    const char *name;
    test_fn     fn;
} tests[MAX_TESTS];
static int         ntests;
static const char *current;
static int         nofork;
static int         inproc_failed;


void
test_register(const char *name, test_fn fn)
{
    if (ntests == MAX_TESTS) {
        fprintf(stderr, "too many tests\n");
        abort();
    }
    tests[ntests].name = name;
    tests[ntests].fn = fn;
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
selected(const char *name, int argc, char **argv)
{
    int i;

    if (argc < 2)
        return 1;
    for (i = 1; i < argc; i++)
        if (strstr(name, argv[i]))
            return 1;
    return 0;
}


static int
run_one(int i)
{
    pid_t pid;
    int   status;

    current = tests[i].name;
    if (nofork) {
        inproc_failed = 0;
        tests[i].fn();
        return !inproc_failed;
    }
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0)
        return 0;
    if (pid == 0) {
        tests[i].fn();
        fflush(stdout);
        exit(0);
    }
    if (waitpid(pid, &status, 0) < 0)
        return 0;
    if (WIFSIGNALED(status))
        fprintf(stderr, "FAIL %s: killed by signal %d\n", current, WTERMSIG(status));
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}


int
main(int argc, char **argv)
{
    int i, passed = 0, failed = 0;

    nofork = getenv("DBAAS_TEST_NOFORK") != NULL;
    for (i = 0; i < ntests; i++) {
        if (!selected(tests[i].name, argc, argv))
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
