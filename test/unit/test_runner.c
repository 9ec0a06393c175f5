/*
 * Tests of the runner itself (main.c). They are hidden: they run only when
 * DBAAS_TEST_HIDDEN is set, from test/unit/runner-check.sh, which checks what the runner
 * prints about them. runner_hangs must never be part of a normal run.
 */
#include <signal.h>
#include <unistd.h>

#include "test.h"


/*
 * Hangs. With DBAAS_TEST_HANG_PIDFILE it first starts a child that hangs too and writes
 * that child's pid there, so the check can see the time limit killed the whole group. The
 * child gives up on its own after 300 s, in case nothing kills it.
 */
TEST_HIDDEN(runner_hangs)
{
    const char *pidfile = getenv("DBAAS_TEST_HANG_PIDFILE");
    FILE       *f;
    pid_t       pid;

    if (pidfile) {
        pid = fork();
        ASSERT(pid >= 0);
        if (pid == 0) {
            alarm(300);
            for (;;)
                pause();
        }
        f = fopen(pidfile, "w");
        ASSERT(f != NULL);
        fprintf(f, "%ld\n", (long)pid);
        ASSERT(fclose(f) == 0);
    }
    for (;;)
        pause();
}


/* The run goes on after a timeout, and each forked test leads a process group of its own. */
TEST_HIDDEN(runner_test_leads_its_own_group)
{
    ASSERT_EQ(getpgrp(), getpid());
}
