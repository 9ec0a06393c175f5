/*
 * pkg-c/events: the recorder's writes, seen through its send seam (events-int.h). Each
 * write is kept as the request kops would make (method, path, body) and answered by the
 * test when it chooses, as the API server would: OK, 404, an error, or not yet.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/core.h"
#include "events/events-int.h"
#include "events/events.h"
#include "kres/kres.h"
#include "test.h"

typedef struct {
    const char *method; /* "POST" (create) or "PATCH" (count patch) */
    char       *path;
    cJSON      *body; /* a copy of what was sent */
    kops_cb     cb;
    void       *data;
    int         answered;
} wire_write;

/* The writes sent so far in this test; the send seam has no data pointer of its own. */
static struct {
    wire_write *w;
    int         n;
    int         cap;
    int         refuse; /* non-zero: send returns this error instead of sending */
} wire;


static void
wire_reset(void)
{
    int i;

    for (i = 0; i < wire.n; i++) {
        free(wire.w[i].path);
        cJSON_Delete(wire.w[i].body);
    }
    free(wire.w);
    memset(&wire, 0, sizeof wire);
}


static int
fake_send(const kops_target *t, const cJSON *body, int create, kops_cb cb, void *data)
{
    core_buf    path;
    wire_write *w;

    if (wire.refuse)
        return wire.refuse;
    if (wire.n == wire.cap) {
        wire.cap = wire.cap ? wire.cap * 2 : 16;
        wire.w = realloc(wire.w, (size_t)wire.cap * sizeof *wire.w);
        ASSERT(wire.w != NULL);
    }
    core_buf_init(&path, 1024);
    ASSERT_EQ(kres_path(&path, t->res, t->ns, create ? NULL : t->name, t->sub), CORE_OK);
    w = &wire.w[wire.n++];
    memset(w, 0, sizeof *w);
    w->method = create ? "POST" : "PATCH";
    w->path = core_buf_take(&path);
    w->body = cJSON_Duplicate(body, 1);
    w->cb = cb;
    w->data = data;
    return CORE_OK;
}


/* Answers write i as the server would; an error answer carries status and a message. */
static void
answer(int i, int err, long status)
{
    kops_result res = {err, status, NULL, err ? "the server said no" : ""};

    ASSERT(i < wire.n);
    ASSERT(!wire.w[i].answered);
    wire.w[i].answered = 1;
    wire.w[i].cb(&res, wire.w[i].data);
}


static void
answer_ok(int i)
{
    answer(i, CORE_OK, i < wire.n && strcmp(wire.w[i].method, "POST") == 0 ? 201 : 200);
}


/* Answers every open write with OK, and those the answers lead to, in the order sent. */
static void
answer_all(void)
{
    int i;

    for (i = 0; i < wire.n; i++)
        if (!wire.w[i].answered)
            answer_ok(i);
}


static int
in_flight(void)
{
    int i, n = 0;

    for (i = 0; i < wire.n; i++)
        n += !wire.w[i].answered;
    return n;
}


static const char *
str_at(const cJSON *o, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);

    if (b)
        v = cJSON_GetObjectItemCaseSensitive(v, b);
    return cJSON_GetStringValue(v);
}


static double
num_at(const cJSON *o, const char *a)
{
    return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, a));
}


static events_recorder *
recorder(void)
{
    events_recorder *r = NULL;

    wire_reset();
    ASSERT_EQ(events_new(NULL, "dbaas-operator", "pod-a", &r), CORE_OK);
    events__set_send(r, fake_send);
    return r;
}


/* Frees the recorder and checks every write was answered (or the test answered them). */
static void
finish(events_recorder *r)
{
    events_free(r);
    ASSERT_EQ(in_flight(), 0);
    wire_reset();
}


static cJSON *
object(const char *uid)
{
    cJSON *o = cJSON_Parse("{\"apiVersion\":\"dbaas.dev/v1alpha1\",\"kind\":\"DBInstance\","
                           "\"metadata\":{\"name\":\"orders\",\"namespace\":\"shop\","
                           "\"resourceVersion\":\"42\"},\"spec\":{\"engine\":\"postgresql\"}}");

    ASSERT(o != NULL);
    cJSON_AddStringToObject(cJSON_GetObjectItem(o, "metadata"), "uid", uid);
    return o;
}


TEST(events_reason_must_be_camel_case)
{
    char long_reason[130];

    ASSERT(events_reason_valid("Created"));
    ASSERT(events_reason_valid("BackOff2"));
    ASSERT(events_reason_valid("A"));
    ASSERT(!events_reason_valid(NULL));
    ASSERT(!events_reason_valid(""));
    ASSERT(!events_reason_valid("created"));
    ASSERT(!events_reason_valid("2Fast"));
    ASSERT(!events_reason_valid("Back Off"));
    ASSERT(!events_reason_valid("Failed-Sync"));
    ASSERT(!events_reason_valid("Failed_Sync"));
    ASSERT(!events_reason_valid("Caf\xc3\xa9"));
    memset(long_reason, 'a', sizeof long_reason);
    long_reason[0] = 'R';
    long_reason[128] = '\0';
    ASSERT(events_reason_valid(long_reason)); /* 128 characters */
    long_reason[128] = 'a';
    long_reason[129] = '\0';
    ASSERT(!events_reason_valid(long_reason)); /* 129 */
}


TEST(events_record_refuses_bad_input_and_sends_nothing)
{
    events_recorder *r = recorder();
    cJSON           *o = object("u-1");
    const char      *drop[][2] = {{"metadata", "uid"},
                                  {"metadata", "name"},
                                  {"metadata", "namespace"},
                                  {NULL, "kind"},
                                  {NULL, "apiVersion"}};
    size_t           i;

    ASSERT_EQ(events_record(r, o, "Normal", "not camel", "m"), CORE_EINVAL);
    ASSERT_EQ(events_record(r, o, "Normal", NULL, "m"), CORE_EINVAL);
    ASSERT_EQ(events_record(r, o, "Info", "Created", "m"), CORE_EINVAL);
    ASSERT_EQ(events_record(r, o, NULL, "Created", "m"), CORE_EINVAL);
    ASSERT_EQ(events_record(r, NULL, "Normal", "Created", "m"), CORE_EINVAL);
    for (i = 0; i < sizeof drop / sizeof drop[0]; i++) {
        cJSON *c = cJSON_Duplicate(o, 1);

        cJSON_DeleteItemFromObject(drop[i][0] ? cJSON_GetObjectItem(c, drop[i][0]) : c, drop[i][1]);
        ASSERT_EQ(events_record(r, c, "Warning", "Created", "m"), CORE_EINVAL);
        cJSON_Delete(c);
    }
    ASSERT_EQ(wire.n, 0);
    ASSERT_EQ(events__tracked(r), 0);
    cJSON_Delete(o);
    finish(r);
}


TEST(events_first_occurrence_creates_an_event)
{
    events_recorder *r = recorder();
    cJSON           *o = object("u-1");
    const cJSON     *b, *inv;
    const char      *name;

    ASSERT_EQ(events_record(r, o, "Warning", "ProvisioningFailed", "storage class missing"), CORE_OK);
    ASSERT_EQ(wire.n, 1);
    ASSERT_STR(wire.w[0].method, "POST");
    ASSERT_STR(wire.w[0].path, "/api/v1/namespaces/shop/events");
    b = wire.w[0].body;
    ASSERT_STR(str_at(b, "apiVersion", NULL), "v1");
    ASSERT_STR(str_at(b, "kind", NULL), "Event");
    name = str_at(b, "metadata", "name");
    ASSERT(name && strncmp(name, "orders.", 7) == 0 && strlen(name) > 7);
    ASSERT_STR(str_at(b, "metadata", "namespace"), "shop");
    inv = cJSON_GetObjectItem(b, "involvedObject");
    ASSERT_STR(str_at(inv, "apiVersion", NULL), "dbaas.dev/v1alpha1");
    ASSERT_STR(str_at(inv, "kind", NULL), "DBInstance");
    ASSERT_STR(str_at(inv, "name", NULL), "orders");
    ASSERT_STR(str_at(inv, "namespace", NULL), "shop");
    ASSERT_STR(str_at(inv, "uid", NULL), "u-1");
    ASSERT_STR(str_at(inv, "resourceVersion", NULL), "42");
    ASSERT_STR(str_at(b, "type", NULL), "Warning");
    ASSERT_STR(str_at(b, "reason", NULL), "ProvisioningFailed");
    ASSERT_STR(str_at(b, "message", NULL), "storage class missing");
    ASSERT_STR(str_at(b, "source", "component"), "dbaas-operator");
    ASSERT_STR(str_at(b, "reportingComponent", NULL), "dbaas-operator");
    ASSERT_STR(str_at(b, "reportingInstance", NULL), "pod-a");
    ASSERT_EQ(num_at(b, "count"), 1);
    ASSERT_EQ(strlen(str_at(b, "firstTimestamp", NULL)), 20); /* 2026-01-02T03:04:05Z */
    ASSERT_EQ(strlen(str_at(b, "lastTimestamp", NULL)), 20);
    ASSERT_EQ(events_get_stats(r)->created, 0); /* not until the server says so */
    answer_ok(0);
    ASSERT_EQ(events_get_stats(r)->created, 1);
    ASSERT_EQ(events_get_stats(r)->patched, 0);
    ASSERT_EQ(events_get_stats(r)->failed, 0);
    ASSERT_EQ(wire.n, 1);
    cJSON_Delete(o);
    finish(r);
}


TEST(events_message_is_one_line_of_at_most_1024_bytes)
{
    events_recorder *r = recorder();
    cJSON           *o = object("u-1");
    char             big[3000], utf[1100];

    ASSERT_EQ(events_record(r, o, "Normal", "Multi", "first line\nsecond line"), CORE_OK);
    ASSERT_STR(str_at(wire.w[0].body, "message", NULL), "first line");
    ASSERT_EQ(events_record(r, o, "Normal", "Crlf", "windows\r\nline"), CORE_OK);
    ASSERT_STR(str_at(wire.w[1].body, "message", NULL), "windows");
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ASSERT_EQ(events_record(r, o, "Normal", "Long", big), CORE_OK);
    ASSERT_EQ(strlen(str_at(wire.w[2].body, "message", NULL)), 1024);
    /* 1023 bytes, then a two-byte character across the cut: the character goes whole. */
    memset(utf, 'a', 1023);
    memcpy(utf + 1023, "\xc3\xa9tc", 5);
    ASSERT_EQ(events_record(r, o, "Normal", "Utf", utf), CORE_OK);
    ASSERT_EQ(strlen(str_at(wire.w[3].body, "message", NULL)), 1023);
    ASSERT_EQ(events_record(r, o, "Normal", "Empty", NULL), CORE_OK);
    ASSERT_STR(str_at(wire.w[4].body, "message", NULL), "");
    ASSERT_EQ(wire.n, 5);
    /* What the cut removed does not tell two Events apart: this one is a repeat. */
    answer_ok(0);
    ASSERT_EQ(events_record(r, o, "Normal", "Multi", "first line\nanother second line"), CORE_OK);
    ASSERT_EQ(wire.n, 6);
    ASSERT_STR(wire.w[5].method, "PATCH");
    answer_all();
    cJSON_Delete(o);
    finish(r);
}


TEST(events_repeat_patches_the_count)
{
    events_recorder *r = recorder();
    cJSON           *o = object("u-1"), *other = object("u-2");
    char             path[512];
    const char      *first;
    int              i;

    ASSERT_EQ(events_record(r, o, "Normal", "Ready", "ready"), CORE_OK);
    answer_ok(0);
    snprintf(path, sizeof path, "/api/v1/namespaces/shop/events/%s",
             str_at(wire.w[0].body, "metadata", "name"));
    ASSERT_EQ(events_record(r, o, "Normal", "Ready", "ready"), CORE_OK);
    ASSERT_EQ(wire.n, 2);
    ASSERT_STR(wire.w[1].method, "PATCH");
    ASSERT_STR(wire.w[1].path, path);
    ASSERT_EQ(cJSON_GetArraySize(wire.w[1].body), 2); /* count and lastTimestamp, nothing else */
    ASSERT_EQ(num_at(wire.w[1].body, "count"), 2);
    ASSERT_EQ(strlen(str_at(wire.w[1].body, "lastTimestamp", NULL)), 20);
    answer_ok(1);
    ASSERT_EQ(events_record(r, o, "Normal", "Ready", "ready"), CORE_OK);
    ASSERT_STR(wire.w[2].method, "PATCH");
    ASSERT_EQ(num_at(wire.w[2].body, "count"), 3);
    answer_ok(2);
    ASSERT_EQ(events_get_stats(r)->created, 1);
    ASSERT_EQ(events_get_stats(r)->patched, 2);
    /* Another message, type, reason or object is another Event. */
    ASSERT_EQ(events_record(r, o, "Normal", "Ready", "ready again"), CORE_OK);
    ASSERT_EQ(events_record(r, o, "Warning", "Ready", "ready"), CORE_OK);
    ASSERT_EQ(events_record(r, o, "Normal", "Updated", "ready"), CORE_OK);
    ASSERT_EQ(events_record(r, other, "Normal", "Ready", "ready"), CORE_OK);
    ASSERT_EQ(wire.n, 7);
    first = str_at(wire.w[0].body, "metadata", "name");
    for (i = 3; i < 7; i++) {
        ASSERT_STR(wire.w[i].method, "POST");
        ASSERT(strcmp(str_at(wire.w[i].body, "metadata", "name"), first) != 0);
        answer_ok(i);
    }
    ASSERT_EQ(events__tracked(r), 5);
    ASSERT_EQ(events_get_stats(r)->created, 5);
    cJSON_Delete(o);
    cJSON_Delete(other);
    finish(r);
}


TEST(events_repeats_in_flight_fold_into_the_next_patch)
{
    events_recorder *r = recorder();
    cJSON           *o = object("u-1");

    ASSERT_EQ(events_record(r, o, "Warning", "BackOff", "restarting"), CORE_OK);
    ASSERT_EQ(events_record(r, o, "Warning", "BackOff", "restarting"), CORE_OK);
    ASSERT_EQ(events_record(r, o, "Warning", "BackOff", "restarting"), CORE_OK);
    ASSERT_EQ(wire.n, 1); /* one write at a time per Event */
    answer_ok(0);
    ASSERT_EQ(wire.n, 2); /* the two repeats, in one patch */
    ASSERT_STR(wire.w[1].method, "PATCH");
    ASSERT_EQ(num_at(wire.w[1].body, "count"), 3);
    ASSERT_EQ(events_record(r, o, "Warning", "BackOff", "restarting"), CORE_OK);
    ASSERT_EQ(events_record(r, o, "Warning", "BackOff", "restarting"), CORE_OK);
    ASSERT_EQ(wire.n, 2);
    answer_ok(1);
    ASSERT_EQ(wire.n, 3);
    ASSERT_EQ(num_at(wire.w[2].body, "count"), 5);
    answer_ok(2);
    ASSERT_EQ(wire.n, 3); /* the server has every occurrence: nothing more to send */
    ASSERT_EQ(events_get_stats(r)->created, 1);
    ASSERT_EQ(events_get_stats(r)->patched, 2);
    cJSON_Delete(o);
    finish(r);
}


TEST(events_404_on_a_count_patch_creates_the_event_again)
{
    events_recorder *r = recorder();
    cJSON           *o = object("u-1");
    const char      *name;

    ASSERT_EQ(events_record(r, o, "Normal", "Ready", "ready"), CORE_OK);
    answer_ok(0);
    name = str_at(wire.w[0].body, "metadata", "name");
    ASSERT_EQ(events_record(r, o, "Normal", "Ready", "ready"), CORE_OK);
    ASSERT_STR(wire.w[1].method, "PATCH");
    answer(1, CORE_ENOENT, 404); /* the Event expired on the server (its TTL is an hour) */
    ASSERT_EQ(wire.n, 3);
    ASSERT_STR(wire.w[2].method, "POST");
    ASSERT_STR(wire.w[2].path, "/api/v1/namespaces/shop/events");
    ASSERT_STR(str_at(wire.w[2].body, "metadata", "name"), name);
    ASSERT_STR(str_at(wire.w[2].body, "reason", NULL), "Ready");
    ASSERT_STR(str_at(wire.w[2].body, "involvedObject", "uid"), "u-1");
    ASSERT_EQ(num_at(wire.w[2].body, "count"), 2); /* the count goes on */
    answer_ok(2);
    ASSERT_EQ(events_get_stats(r)->created, 2);
    ASSERT_EQ(events_get_stats(r)->patched, 0);
    ASSERT_EQ(events_get_stats(r)->failed, 0);
    ASSERT_EQ(events_record(r, o, "Normal", "Ready", "ready"), CORE_OK);
    ASSERT_STR(wire.w[3].method, "PATCH");
    ASSERT_EQ(num_at(wire.w[3].body, "count"), 3);
    answer_ok(3);
    cJSON_Delete(o);
    finish(r);
}


TEST(events_failed_writes_are_counted_and_the_next_repeat_carries_the_total)
{
    events_recorder *r = recorder();
    cJSON           *o = object("u-1");

    ASSERT_EQ(events_record(r, o, "Normal", "Ready", "ready"), CORE_OK);
    answer(0, CORE_EHTTP, 500);
    ASSERT_EQ(events_get_stats(r)->failed, 1);
    ASSERT_EQ(wire.n, 1); /* no retry of its own */
    ASSERT_EQ(events_record(r, o, "Normal", "Ready", "ready"), CORE_OK);
    ASSERT_STR(wire.w[1].method, "POST"); /* never created, so created now */
    ASSERT_EQ(num_at(wire.w[1].body, "count"), 2);
    answer_ok(1);
    ASSERT_EQ(events_record(r, o, "Normal", "Ready", "ready"), CORE_OK);
    answer(2, CORE_ECONN, 0);
    ASSERT_EQ(events_get_stats(r)->failed, 2);
    ASSERT_EQ(events_record(r, o, "Normal", "Ready", "ready"), CORE_OK);
    ASSERT_STR(wire.w[3].method, "PATCH");
    ASSERT_EQ(num_at(wire.w[3].body, "count"), 4);
    answer_ok(3);
    /* A write that cannot even start is counted too. */
    wire.refuse = CORE_ECONN;
    ASSERT_EQ(events_record(r, o, "Normal", "Other", "m"), CORE_OK);
    ASSERT_EQ(events_get_stats(r)->failed, 3);
    wire.refuse = 0;
    ASSERT_EQ(events_get_stats(r)->created, 1);
    ASSERT_EQ(events_get_stats(r)->patched, 1);
    cJSON_Delete(o);
    finish(r);
}


TEST(events_tracking_is_bounded)
{
    events_recorder *r = recorder();
    cJSON           *o = object("u-1");
    char             msg[32];
    int              i;

    for (i = 0; i < EVENTS_MAX_TRACKED; i++) {
        snprintf(msg, sizeof msg, "message %d", i);
        ASSERT_EQ(events_record(r, o, "Normal", "Many", msg), CORE_OK);
        if (i != 0) /* the first stays in flight across the reset */
            answer_ok(i);
    }
    ASSERT_EQ(events__tracked(r), EVENTS_MAX_TRACKED);
    ASSERT_EQ(events_record(r, o, "Normal", "Many", "one more"), CORE_OK);
    ASSERT_EQ(events__tracked(r), 1);
    answer_ok(wire.n - 1);
    answer_ok(0); /* answered after it was forgotten: freed, and not counted */
    ASSERT_EQ(events_get_stats(r)->created, EVENTS_MAX_TRACKED);
    /* A repeat of a forgotten Event starts a new one rather than patching the old. */
    ASSERT_EQ(events_record(r, o, "Normal", "Many", "message 1"), CORE_OK);
    ASSERT_STR(wire.w[wire.n - 1].method, "POST");
    ASSERT_EQ(num_at(wire.w[wire.n - 1].body, "count"), 1);
    answer_ok(wire.n - 1);
    ASSERT_EQ(events__tracked(r), 2);
    cJSON_Delete(o);
    finish(r);
}


TEST(events_free_with_writes_in_flight)
{
    events_recorder *r = recorder();
    cJSON           *o = object("u-1");

    ASSERT_EQ(events_record(r, o, "Normal", "Ready", "ready"), CORE_OK);
    ASSERT_EQ(events_record(r, o, "Normal", "Ready", "ready"), CORE_OK); /* waits for it */
    ASSERT_EQ(events_record(r, o, "Normal", "Other", "other"), CORE_OK);
    events_free(r);
    answer_ok(0);
    answer(1, CORE_ENOENT, 404);
    ASSERT_EQ(wire.n, 2); /* the recorder is gone: nothing follows up */
    ASSERT_EQ(in_flight(), 0);
    wire_reset();
    cJSON_Delete(o);
}


TEST(events_carry_no_object_data)
{
    events_recorder *r = recorder();
    cJSON           *s = cJSON_Parse(
                  "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"type\":\"Opaque\","
                            "\"metadata\":{\"name\":\"orders-credentials\",\"namespace\":\"shop\",\"uid\":\"u-9\","
                            "\"resourceVersion\":\"7\",\"labels\":{\"pw\":\"hunter2\"},"
                            "\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":"
                            "\"{\\\"stringData\\\":{\\\"password\\\":\\\"hunter2\\\"}}\"},"
                            "\"managedFields\":[{\"manager\":\"hunter2\"}]},"
                            "\"data\":{\"password\":\"aHVudGVyMg==\"},\"stringData\":{\"password\":\"hunter2\"}}");
    const cJSON *inv, *f;
    char        *text;
    int          n = 0;

    ASSERT(s != NULL);
    ASSERT_EQ(events_record(r, s, "Warning", "PasswordRotated",
                            "the password in key password was replaced"),
              CORE_OK);
    text = cJSON_PrintUnformatted(wire.w[0].body);
    ASSERT(text != NULL);
    ASSERT(strstr(text, "hunter2") == NULL);
    ASSERT(strstr(text, "aHVudGVyMg") == NULL);
    ASSERT(strstr(text, "Opaque") == NULL);
    cJSON_free(text);
    inv = cJSON_GetObjectItem(wire.w[0].body, "involvedObject");
    cJSON_ArrayForEach(f, inv) {
        ASSERT(strstr(" apiVersion kind name namespace uid resourceVersion ", f->string) != NULL);
        n++;
    }
    ASSERT_EQ(n, 6);
    answer_ok(0);
    cJSON_Delete(s);
    finish(r);
}


TEST(events_names_fit_kubernetes_and_differ)
{
    events_recorder *r = recorder();
    cJSON           *o = object("u-1");
    char             longname[254];
    const char      *a, *b;

    memset(longname, 'n', 253);
    longname[253] = '\0';
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(o, "metadata"), "name",
                              cJSON_CreateString(longname));
    ASSERT_EQ(events_record(r, o, "Normal", "One", "m"), CORE_OK);
    ASSERT_EQ(events_record(r, o, "Normal", "Two", "m"), CORE_OK);
    a = str_at(wire.w[0].body, "metadata", "name");
    b = str_at(wire.w[1].body, "metadata", "name");
    ASSERT(a && b);
    ASSERT(strlen(a) <= 253); /* a DNS subdomain */
    ASSERT(strncmp(a, longname, 240) == 0 && a[240] == '.');
    ASSERT(strcmp(a, b) != 0); /* two Events in the same second */
    ASSERT_STR(str_at(wire.w[0].body, "involvedObject", "name"), longname);
    answer_ok(0);
    answer_ok(1);
    cJSON_Delete(o);
    finish(r);
}


/* The recorder's own send goes through kops and the client: a refused write is counted. */
TEST(events_write_through_the_client_counts_a_failure)
{
    uv_loop_t        loop;
    kube_client     *c = NULL;
    events_recorder *r = NULL;
    kcfg             cfg;
    char             server[64], err[256];
    cJSON           *o = object("u-1");

    memset(&cfg, 0, sizeof cfg);
    snprintf(server, sizeof server, "https://127.0.0.1:%d", test_closed_port());
    cfg.server = server;
    ASSERT_EQ(uv_loop_init(&loop), 0);
    ASSERT_EQ(kube_client_new(&loop, &cfg, &c, err, sizeof err), CORE_OK);
    ASSERT_EQ(events_new(c, "dbaas-operator", NULL, &r), CORE_OK);
    ASSERT_EQ(events_record(r, o, "Normal", "Ready", "ready"), CORE_OK);
    while (events_get_stats(r)->failed == 0 && uv_run(&loop, UV_RUN_ONCE))
        ;
    ASSERT_EQ(events_get_stats(r)->failed, 1);
    ASSERT_EQ(events_get_stats(r)->created, 0);
    events_free(r);
    kube_client_close(c);
    ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(uv_loop_close(&loop), 0);
    cJSON_Delete(o);
}


TEST(events_forget_drops_one_objects_events)
{
    events_recorder *r = recorder();
    cJSON           *a = object("u-1"), *b = object("u-10");

    ASSERT_EQ(events_record(r, a, "Normal", "Ready", "ready"), CORE_OK);
    ASSERT_EQ(events_record(r, a, "Warning", "Failed", "failed"), CORE_OK);
    ASSERT_EQ(events_record(r, b, "Normal", "Ready", "ready"), CORE_OK);
    answer_ok(0);
    answer_ok(2);
    ASSERT_EQ(events__tracked(r), 3);
    events_forget(r, "u-1"); /* not u-10, whose uid it begins */
    ASSERT_EQ(events__tracked(r), 1);
    answer_ok(1); /* in flight when forgotten: freed when answered */
    /* b still aggregates: its repeat is a count patch. */
    ASSERT_EQ(events_record(r, b, "Normal", "Ready", "ready"), CORE_OK);
    ASSERT_STR(wire.w[wire.n - 1].method, "PATCH");
    answer_ok(wire.n - 1);
    /* a's repeat starts a new Event. */
    ASSERT_EQ(events_record(r, a, "Normal", "Ready", "ready"), CORE_OK);
    ASSERT_STR(wire.w[wire.n - 1].method, "POST");
    answer_ok(wire.n - 1);
    events_forget(r, NULL);
    events_forget(NULL, "u-1");
    ASSERT_EQ(events__tracked(r), 2);
    cJSON_Delete(a);
    cJSON_Delete(b);
    finish(r);
}


/* An object of namespace ns created at created (RFC 3339). */
static cJSON *
object_in(const char *uid, const char *ns, const char *created)
{
    cJSON *o = object(uid), *meta = cJSON_GetObjectItem(o, "metadata");

    cJSON_ReplaceItemInObject(meta, "namespace", cJSON_CreateString(ns));
    cJSON_AddStringToObject(meta, "creationTimestamp", created);
    return o;
}


/* The Status NamespaceLifecycle answers a create with in a namespace being deleted (as
 * kube-apiserver v1.37.2 sent it), and an RBAC refusal of the same code. */
static void
answer_status(int i, const char *status_json)
{
    cJSON      *st = cJSON_Parse(status_json);
    kops_result res = {CORE_EHTTP, 403, st, "forbidden"};

    ASSERT(st != NULL && i < wire.n && !wire.w[i].answered);
    wire.w[i].answered = 1;
    wire.w[i].cb(&res, wire.w[i].data);
    cJSON_Delete(st);
}

#define ST_TERMINATING \
    "{\"kind\":\"Status\",\"status\":\"Failure\",\"message\":\"events \\\"orders.1\\\" is forbidden: " \
    "unable to create new content in namespace shop because it is being terminated\",\"reason\":" \
    "\"Forbidden\",\"details\":{\"causes\":[{\"reason\":\"NamespaceTerminating\",\"message\":" \
    "\"namespace shop is being terminated\",\"field\":\"metadata.namespace\"}]},\"code\":403}"
#define ST_RBAC \
    "{\"kind\":\"Status\",\"status\":\"Failure\",\"message\":\"events is forbidden: User \\\"x\\\" " \
    "cannot create resource \\\"events\\\"\",\"reason\":\"Forbidden\",\"details\":{\"kind\":" \
    "\"events\"},\"code\":403}"


/* The trial: deleting a namespace of 300 DBInstances, each finalize recorded an Event the
 * server refused (403): 300 writes of the 1202 the deletion cost. */
TEST(events_in_a_namespace_being_deleted_are_not_sent_once_refused)
{
    events_recorder *r = recorder();
    cJSON           *a = object_in("u-a", "shop", "2026-12-03T10:00:00Z");
    cJSON           *b = object_in("u-b", "shop", "2026-12-03T09:00:00Z");
    cJSON           *other = object_in("u-o", "books", "2026-12-03T09:00:00Z");
    cJSON           *again = object_in("u-n", "shop", "2026-12-03T11:00:00Z");
    cJSON           *undated = object("u-x");

    /* An RBAC 403 teaches nothing: the next Event is sent. */
    ASSERT_EQ(events_record(r, b, "Normal", "Retained", "kept"), CORE_OK);
    answer_status(0, ST_RBAC);
    ASSERT_EQ(events_record(r, b, "Normal", "Other", "m"), CORE_OK);
    ASSERT_EQ(wire.n, 2);
    answer_ok(1);

    /* Refused because shop is being deleted: nothing about shop's objects as old is sent. */
    ASSERT_EQ(events_record(r, a, "Normal", "Retained", "kept"), CORE_OK);
    answer_status(2, ST_TERMINATING);
    ASSERT_EQ(events_get_stats(r)->failed, 2);
    ASSERT_EQ(events_record(r, a, "Normal", "Retained", "kept"), CORE_OK);
    ASSERT_EQ(events_record(r, b, "Normal", "Retained", "kept"), CORE_OK);
    ASSERT_EQ(wire.n, 3);
    ASSERT_EQ(events_get_stats(r)->skipped, 2);

    /* Another namespace, an object made after the refusal (shop made again), and one
     * without a creationTimestamp: sent. */
    ASSERT_EQ(events_record(r, other, "Normal", "Retained", "kept"), CORE_OK);
    ASSERT_EQ(events_record(r, again, "Normal", "Retained", "kept"), CORE_OK);
    ASSERT_EQ(events_record(r, undated, "Normal", "Retained", "kept"), CORE_OK);
    ASSERT_EQ(wire.n, 6);
    ASSERT_CONTAINS(wire.w[3].path, "/namespaces/books/");
    ASSERT_CONTAINS(wire.w[4].path, "/namespaces/shop/");
    ASSERT_EQ(events_get_stats(r)->skipped, 2);
    answer_all();
    cJSON_Delete(a);
    cJSON_Delete(b);
    cJSON_Delete(other);
    cJSON_Delete(again);
    cJSON_Delete(undated);
    finish(r);
}
