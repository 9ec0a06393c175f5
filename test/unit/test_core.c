#include "core/core.h"
#include "test.h"

#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


static void
b64(const char *in, int want_rc, const char *want)
{
    unsigned char *out = NULL;
    size_t         n = 0;
    int            rc = core_b64_decode(in, strlen(in), &out, &n);

    ASSERT_EQ(rc, want_rc);
    if (want) {
        ASSERT_EQ(n, strlen(want));
        ASSERT_STR((char *)out, want);
    } else {
        ASSERT(out == NULL);
    }
    free(out);
}


TEST(b64_decodes_all_padding_forms)
{
    b64("", CORE_OK, "");
    b64("Zg==", CORE_OK, "f");
    b64("Zm8=", CORE_OK, "fo");
    b64("Zm9v", CORE_OK, "foo");
    b64("Zm9vYg", CORE_OK, "foob"); /* padding omitted */
    b64("Zm9v\nYmFy\r\n", CORE_OK, "foobar");
    b64("+/+/", CORE_OK, "\xfb\xff\xbf");
}


TEST(b64_rejects_malformed_input)
{
    b64("Zm9v!", CORE_EINVAL, NULL);    /* outside the alphabet */
    b64("Z", CORE_EINVAL, NULL);        /* truncated quantum */
    b64("Zg=", CORE_EINVAL, NULL);      /* short padding */
    b64("Zg===", CORE_EINVAL, NULL);    /* too much padding */
    b64("Zg==Zg==", CORE_EINVAL, NULL); /* data after padding */
    b64("=Zg", CORE_EINVAL, NULL);
    b64("Zm9v_-", CORE_EINVAL, NULL); /* URL alphabet is not standard base64 */
}


TEST(buf_grows_and_stops_at_cap)
{
    core_buf b;
    int      i;

    core_buf_init(&b, 10);
    ASSERT_EQ(core_buf_add(&b, "hello", 5), CORE_OK);
    ASSERT_EQ(core_buf_printf(&b, "%d", 1234), CORE_OK);
    ASSERT_STR(b.data, "hello1234");
    ASSERT_EQ(b.len, 9);
    ASSERT_EQ(core_buf_add(&b, "x", 1), CORE_OK);
    /* Over the cap: an error, and the buffer has freed itself. */
    ASSERT_EQ(core_buf_add(&b, "y", 1), CORE_ETOOBIG);
    ASSERT(b.data == NULL);
    ASSERT_EQ(b.len, 0);

    core_buf_init(&b, 1 << 20);
    for (i = 0; i < 10000; i++)
        ASSERT_EQ(core_buf_add(&b, "abcdefghij", 10), CORE_OK);
    ASSERT_EQ(b.len, 100000);
    ASSERT_EQ(core_buf_printf(&b, "%s", ""), CORE_OK);
    core_buf_free(&b);
}


TEST(buf_rejects_size_overflow)
{
    core_buf b;

    core_buf_init(&b, SIZE_MAX);
    ASSERT_EQ(core_buf_add(&b, "ab", 2), CORE_OK);
    ASSERT_EQ(core_buf_add(&b, "x", SIZE_MAX - 1), CORE_ETOOBIG);
    ASSERT(b.data == NULL);
}


TEST(read_file_reports_missing_and_oversized)
{
    char  *s = NULL;
    size_t n = 0;

    ASSERT_EQ(core_read_file("/nonexistent/dbaas-test", 100, &s, &n), CORE_ENOENT);
    ASSERT(s == NULL);
    ASSERT_EQ(core_read_file("/proc/self/cmdline", 1 << 16, &s, &n), CORE_OK);
    ASSERT(n > 0);
    free(s);
    ASSERT_EQ(core_read_file("/proc/self/status", 16, &s, &n), CORE_ETOOBIG);
    ASSERT(s == NULL);
}


TEST(strerror_names_every_code)
{
    int e;

    for (e = CORE_ECONFLICT; e <= CORE_OK; e++)
        ASSERT(strcmp(core_strerror(e), "unknown error") != 0);
    ASSERT_STR(core_strerror(-999), "unknown error");
}


TEST(now_rfc3339_is_utc_seconds)
{
    char t[32];

    core_now_rfc3339(t, sizeof t);
    ASSERT_EQ(strlen(t), 20);
    ASSERT(t[4] == '-' && t[7] == '-' && t[10] == 'T' && t[13] == ':' && t[19] == 'Z');
    ASSERT(strncmp(t, "20", 2) == 0);
}


/* Runs core_clock_offset in a child with DBAAS_CLOCK_OFFSET_SECONDS=v: its rc and offset. */
static int
clock_child(const char *v, int expect_rc, long long expect_secs)
{
    pid_t pid = fork();
    int   st = 0;

    if (pid == 0) {
        int64_t secs = -1;
        int     rc;

        setenv("DBAAS_CLOCK_OFFSET_SECONDS", v, 1);
        rc = core_clock_offset(&secs);
        _exit(rc == expect_rc && secs == expect_secs ? 0 : 1);
    }
    return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}


TEST(clock_offset_is_read_once_and_checked)
{
    int64_t before = (int64_t)time(NULL), secs = 0;

    ASSERT(clock_child("86400", CORE_OK, 86400));
    ASSERT(clock_child("-3600", CORE_OK, -3600));
    ASSERT(clock_child("1d", CORE_EINVAL, 0));
    ASSERT(clock_child("", CORE_EINVAL, 0));
    ASSERT(clock_child("99999999999999", CORE_EINVAL, 0));
    setenv("DBAAS_CLOCK_OFFSET_SECONDS", "172800", 1);
    ASSERT_EQ(core_clock_offset(&secs), CORE_OK);
    ASSERT_EQ(secs, 172800);
    ASSERT(core_clock_now() >= before + 172800 && core_clock_now() <= (int64_t)time(NULL) + 172800);
    setenv("DBAAS_CLOCK_OFFSET_SECONDS", "5", 1); /* read once: a later change is not seen */
    ASSERT(core_clock_now() >= before + 172800);
    unsetenv("DBAAS_CLOCK_OFFSET_SECONDS");
}
