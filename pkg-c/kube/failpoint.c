/*
 * kube: failpoints (see kube.h). Test machinery compiled into every build and inert unless a
 * failpoint is armed; the hooks below cost one comparison per request otherwise.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kube-int.h"


int
kube_failpoint_parse(const char *spec, kube_failpoint *out, char *err, size_t errlen)
{
    const char *p;
    char       *end = NULL;
    long        n;

    memset(out, 0, sizeof *out);
    if (!spec || strncmp(spec, "write:", 6) != 0) {
        snprintf(err, errlen, "failpoint \"%s\": want write:N:sent or write:N:answer",
                 spec ? spec : "");
        return CORE_EINVAL;
    }
    p = spec + 6;
    errno = 0;
    n = strtol(p, &end, 10);
    if (errno || end == p || *end != ':' || n < 1 || n > 1000000) {
        snprintf(err, errlen, "failpoint \"%s\": N must be a whole number from 1 to 1000000", spec);
        return CORE_EINVAL;
    }
    if (strcmp(end + 1, "sent") == 0) {
        out->when = KUBE_FP_SENT;
    } else if (strcmp(end + 1, "answer") == 0) {
        out->when = KUBE_FP_ANSWER;
    } else {
        snprintf(err, errlen, "failpoint \"%s\": the last part must be sent or answer", spec);
        return CORE_EINVAL;
    }
    out->write = n;
    return CORE_OK;
}


void
kube_client_set_failpoint(kube_client *c, const kube_failpoint *fp)
{
    c->fp = *fp;
    c->writes = 0;
}


static void
fire(const kube_call *call, const char *when)
{
    char   line[512];
    char  *url = NULL;
    size_t n;

    curl_easy_getinfo(call->easy, CURLINFO_EFFECTIVE_URL, &url);
    n = (size_t)snprintf(line, sizeof line, "failpoint write:%ld:%s: exit 137 at %s %s\n",
                         call->client->fp.write, when, call->method, url ? url : "?");
    if (n >= sizeof line)
        n = sizeof line - 1;
    if (write(STDERR_FILENO, line, n) < 0) {
        /* nothing left to tell anyone */
    }
    _exit(137);
}


/* CURLOPT_DEBUGFUNCTION of the failpoint's write: sees what goes out on the connection. */
static int
on_debug(CURL *easy, curl_infotype type, char *data, size_t size, void *userp)
{
    kube_call *call = userp;

    (void)easy;
    (void)data;
    if (type == CURLINFO_HEADER_OUT)
        call->fp_header = 1;
    else if (type == CURLINFO_DATA_OUT)
        call->fp_out += size;
    if (call->fp_header && call->fp_out >= call->req_body_len)
        fire(call, "sent");
    return 0;
}


void
kube__fp_on_send(kube_call *call)
{
    kube_client *c = call->client;

    if (!c->fp.write || call->counted || strcmp(call->method, "GET") == 0)
        return;
    call->counted = 1;
    if (++c->writes != c->fp.write)
        return;
    call->fp_hit = 1;
    if (c->fp.when == KUBE_FP_SENT) {
        curl_easy_setopt(call->easy, CURLOPT_DEBUGFUNCTION, on_debug);
        curl_easy_setopt(call->easy, CURLOPT_DEBUGDATA, call);
        curl_easy_setopt(call->easy, CURLOPT_VERBOSE, 1L);
    }
}


void
kube__fp_on_answer(kube_call *call)
{
    long status = 0;

    if (!call->fp_hit || call->client->fp.when != KUBE_FP_ANSWER)
        return;
    curl_easy_getinfo(call->easy, CURLINFO_RESPONSE_CODE, &status);
    if (status > 0)
        fire(call, "answer");
}
