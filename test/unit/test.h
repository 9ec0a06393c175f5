/*
 * A small unit-test harness. Each TEST(name) registers itself before main runs; the runner
 * (main.c) runs each test in a child process of its own, so a crash fails one test, not the
 * run, and prints "N passed, N failed" last. Arguments select tests whose names contain any
 * of them.
 *
 * Time limit: a test that runs past DBAAS_TEST_TIMEOUT seconds (default 60) fails with
 * "FAIL <name>: timed out after N s"; its process group (the test and whatever it started)
 * is killed with SIGKILL and the run goes on. A runner stopped by SIGINT, SIGTERM or SIGHUP
 * kills the running test's group before it dies. DBAAS_TEST_NOFORK=1 runs tests in-process
 * (for valgrind); there SIGALRM names the test that hung and ends the run with status 1.
 *
 * TEST_HIDDEN(name) registers a test that runs only when DBAAS_TEST_HIDDEN is set: tests of
 * the runner itself that must fail on purpose (test/unit/runner-check.sh runs them).
 */
#ifndef DBAAS_TEST_H
#define DBAAS_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*test_fn)(void);

void test_register(const char *name, test_fn fn, int hidden);
void test_fail(const char *file, int line, const char *what);

/* A loopback TCP port with nothing listening (bound, read, closed), for refused connects. */
int test_closed_port(void);

#define TEST_REGISTER(name, hidden) \
    static void                              test_##name(void); \
    __attribute__((constructor)) static void test_register_##name(void) \
    { \
        test_register(#name, test_##name, hidden); \
    } \
    static void test_##name(void)

#define TEST(name)        TEST_REGISTER(name, 0)
#define TEST_HIDDEN(name) TEST_REGISTER(name, 1)

#define ASSERT(expr) \
    do { \
        if (!(expr)) \
            test_fail(__FILE__, __LINE__, #expr); \
    } while (0)

#define ASSERT_EQ(a, b) \
    do { \
        long long a_ = (long long)(a), b_ = (long long)(b); \
        if (a_ != b_) { \
            char m_[1024]; \
            snprintf(m_, sizeof m_, "%.400s == %.400s (%lld != %lld)", #a, #b, a_, b_); \
            test_fail(__FILE__, __LINE__, m_); \
        } \
    } while (0)

#define ASSERT_STR(a, b) \
    do { \
        const char *a_ = (a), *b_ = (b); \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) { \
            char m_[1024]; \
            snprintf(m_, sizeof m_, "%.100s == %.100s (\"%.380s\" != \"%.380s\")", #a, #b, \
                     a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
            test_fail(__FILE__, __LINE__, m_); \
        } \
    } while (0)

#define ASSERT_CONTAINS(hay, needle) \
    do { \
        const char *h_ = (hay), *n_ = (needle); \
        if (!h_ || !strstr(h_, n_)) { \
            char m_[768]; \
            snprintf(m_, sizeof m_, "\"%.500s\" contains \"%.200s\"", h_ ? h_ : "(null)", n_); \
            test_fail(__FILE__, __LINE__, m_); \
        } \
    } while (0)

#endif
