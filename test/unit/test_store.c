#include "core/core.h"
#include "store/store.h"
#include "store/store_zdict.h"
#include "test.h"


static cJSON *
obj(const char *ns, const char *name, const char *rv, const char *owner, const char *instance)
{
    char   text[1024];
    cJSON *o;

    snprintf(text, sizeof text,
             "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\",\"resourceVersion\":\"%s\","
             "\"labels\":{%s%s%s},\"ownerReferences\":[%s%s%s]},\"data\":{\"k\":\"v\"}}",
             name, ns, rv, instance ? "\"app.kubernetes.io/instance\":\"" : "",
             instance ? instance : "", instance ? "\"" : "",
             owner ? "{\"uid\":\"other\"},{\"controller\":true,\"uid\":\"" : "", owner ? owner : "",
             owner ? "\"}" : "");
    o = cJSON_Parse(text);
    ASSERT(o != NULL);
    return o;
}


static void
put(store *s, cJSON *o)
{
    char key[256];

    ASSERT_EQ(store_key(o, key, sizeof key), CORE_OK);
    ASSERT_EQ(store_put(s, key, o), CORE_OK);
    cJSON_Delete(o);
}


#define ACC_SIZE 256


/* Appends "key;" to the ACC_SIZE buffer in data; a key that does not fit is cut short. */
static void
collect(const char *key, const store_obj *o, void *data)
{
    char  *acc = data;
    size_t len = strlen(acc);

    (void)o;
    snprintf(acc + len, ACC_SIZE - len, "%s;", key);
}


TEST(store_put_get_replace_delete)
{
    store           *s;
    const store_obj *o;
    cJSON           *back;

    ASSERT_EQ(store_new(&s), CORE_OK);
    put(s, obj("a", "x", "10", NULL, NULL));
    o = store_get(s, "a/x");
    ASSERT(o != NULL);
    ASSERT_STR(o->rv, "10");
    ASSERT(o->owner_uid == NULL);
    back = store_parse(o);
    ASSERT_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(back, "data"), "k")->valuestring, "v");
    cJSON_Delete(back);
    put(s, obj("a", "x", "11", NULL, NULL));
    ASSERT_EQ(store_len(s), 1);
    ASSERT_STR(store_get(s, "a/x")->rv, "11");
    ASSERT(store_bytes(s) > 0);
    ASSERT_EQ(store_del(s, "a/x"), CORE_OK);
    ASSERT_EQ(store_del(s, "a/x"), CORE_ENOENT);
    ASSERT(store_get(s, "a/x") == NULL);
    ASSERT_EQ(store_bytes(s), 0);
    store_free(s);
}


TEST(store_owner_index_follows_changes)
{
    store *s;
    char   acc[ACC_SIZE] = "";

    ASSERT_EQ(store_new(&s), CORE_OK);
    put(s, obj("a", "db-svc", "1", "uid-db", NULL));
    put(s, obj("a", "db-sts", "1", "uid-db", NULL));
    put(s, obj("a", "other", "1", "uid-other", NULL));
    store_by_owner(s, "uid-db", collect, acc);
    ASSERT(strstr(acc, "a/db-svc;") && strstr(acc, "a/db-sts;") && !strstr(acc, "other"));
    /* Re-owned: it leaves the old owner's set. */
    put(s, obj("a", "db-svc", "2", "uid-other", NULL));
    acc[0] = '\0';
    store_by_owner(s, "uid-db", collect, acc);
    ASSERT_STR(acc, "a/db-sts;");
    store_del(s, "a/db-sts");
    acc[0] = '\0';
    store_by_owner(s, "uid-db", collect, acc);
    ASSERT_STR(acc, "");
    acc[0] = '\0';
    store_by_owner(s, "uid-other", collect, acc);
    ASSERT(strstr(acc, "a/db-svc;") && strstr(acc, "a/other;"));
    store_free(s);
}


TEST(store_label_index_follows_changes)
{
    store *s;
    char   acc[ACC_SIZE] = "";

    ASSERT_EQ(store_new(&s), CORE_OK);
    ASSERT_EQ(store_index_label(s, "app.kubernetes.io/instance"), CORE_OK);
    put(s, obj("a", "p1", "1", NULL, "orders"));
    put(s, obj("b", "p1", "1", NULL, "orders"));
    put(s, obj("a", "p2", "1", NULL, "users"));
    ASSERT_EQ(store_index_label(s, "late"), CORE_EINVAL);
    store_by_label(s, "app.kubernetes.io/instance", "orders", collect, acc);
    ASSERT(strstr(acc, "a/p1;") && strstr(acc, "b/p1;") && !strstr(acc, "p2"));
    put(s, obj("a", "p1", "2", NULL, NULL)); /* label removed */
    acc[0] = '\0';
    store_by_label(s, "app.kubernetes.io/instance", "orders", collect, acc);
    ASSERT_STR(acc, "b/p1;");
    store_free(s);
}


TEST(store_key_forms)
{
    char   key[8];
    cJSON *o = cJSON_Parse("{\"metadata\":{\"name\":\"node-1\"}}");

    ASSERT_EQ(store_key(o, key, sizeof key), CORE_OK);
    ASSERT_STR(key, "node-1");
    cJSON_Delete(o);
    o = cJSON_Parse("{\"metadata\":{\"namespace\":\"a\"}}");
    ASSERT_EQ(store_key(o, key, sizeof key), CORE_EINVAL);
    cJSON_Delete(o);
    o = cJSON_Parse("{\"metadata\":{\"name\":\"long-name\",\"namespace\":\"a\"}}");
    ASSERT_EQ(store_key(o, key, sizeof key), CORE_ETOOBIG);
    cJSON_Delete(o);
}


TEST(store_many_objects_and_bytes_return_to_zero)
{
    store *s;
    char   name[32];
    int    i;

    ASSERT_EQ(store_new(&s), CORE_OK);
    for (i = 0; i < 5000; i++) {
        snprintf(name, sizeof name, "o%d", i);
        put(s, obj("ns", name, "1", i % 2 ? "uid-odd" : NULL, NULL));
    }
    ASSERT_EQ(store_len(s), 5000);
    for (i = 0; i < 5000; i++) {
        snprintf(name, sizeof name, "ns/o%d", i);
        ASSERT_EQ(store_del(s, name), CORE_OK);
    }
    ASSERT_EQ(store_len(s), 0);
    ASSERT_EQ(store_bytes(s), 0);
    store_free(s);
}


/* A note lives as long as the version it was put on: any put of the key starts without one. */
TEST(store_note_lives_with_the_version)
{
    store           *s;
    const store_obj *o;

    ASSERT_EQ(store_new(&s), CORE_OK);
    put(s, obj("ns", "a", "5", NULL, NULL));
    ASSERT_STR(store_get(s, "ns/a")->note, "");
    ASSERT_EQ(store_note(s, "ns/a", "0123456789abcdef"), CORE_OK);
    ASSERT_STR(store_get(s, "ns/a")->note, "0123456789abcdef");
    ASSERT_EQ(store_note(s, "ns/a", "0123456789abcdef0"), CORE_ETOOBIG);
    ASSERT_STR(store_get(s, "ns/a")->note, "0123456789abcdef");
    ASSERT_EQ(store_note(s, "ns/b", "x"), CORE_ENOENT);

    put(s, obj("ns", "a", "5", NULL, NULL)); /* listed again */
    o = store_get(s, "ns/a");
    ASSERT_STR(o->note, "");
    ASSERT_EQ(store_note(s, "ns/a", "x"), CORE_OK);
    put(s, obj("ns", "a", "6", NULL, NULL)); /* changed */
    ASSERT_STR(store_get(s, "ns/a")->note, "");
    store_free(s);
}


/* The text of a StatefulSet-like object i (about 1.3 KB): the same keys and values as its
 * neighbours but for the name, uid, resourceVersion and a checksum. */
static void
alike(char *buf, size_t len, int i)
{
    snprintf(
        buf, len,
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{\"name\":\"db-%05d\","
        "\"namespace\":\"team-a\",\"uid\":\"%08x-1d2c-4b7a-9e0f-%012x\",\"resourceVersion\":\"%d\","
        "\"labels\":{\"app.kubernetes.io/instance\":\"db-%05d\",\"app.kubernetes.io/managed-by\":"
        "\"dbaas-operator\",\"app.kubernetes.io/name\":\"postgresql\"},\"annotations\":{"
        "\"dbaas.dev/config-checksum\":\"%016llx\"}},\"spec\":{\"replicas\":1,\"serviceName\":"
        "\"db-%05d-headless\",\"selector\":{\"matchLabels\":{\"app.kubernetes.io/instance\":"
        "\"db-%05d\"}},\"template\":{\"spec\":{\"containers\":[{\"name\":\"postgresql\",\"image\":"
        "\"postgres:17\",\"args\":[\"-c\",\"config_file=/etc/postgresql/postgresql.conf\"],"
        "\"env\":[{\"name\":\"POSTGRES_USER\",\"valueFrom\":{\"secretKeyRef\":{\"name\":"
        "\"db-%05d-credentials\",\"key\":\"username\"}}},{\"name\":\"POSTGRES_PASSWORD\","
        "\"valueFrom\":{\"secretKeyRef\":{\"name\":\"db-%05d-credentials\",\"key\":\"password\"}}}],"
        "\"readinessProbe\":{\"exec\":{\"command\":[\"pg_isready\",\"-U\",\"postgres\"]},"
        "\"periodSeconds\":5,\"timeoutSeconds\":1.50},\"volumeMounts\":[{\"name\":\"data\","
        "\"mountPath\":\"/var/lib/postgresql/data\"},{\"name\":\"config\",\"mountPath\":"
        "\"/etc/postgresql\"}]}]}}},\"status\":{\"replicas\":1,\"readyReplicas\":%d}}",
        i, (unsigned)(i * 2654435761u), (unsigned)(i * 40503u), 1000 + i, i,
        (unsigned long long)i * 0x9e3779b97f4a7c15ull, i, i, i, i, i % 2);
}


static void
put_text(store *s, const char *text)
{
    cJSON *o = cJSON_Parse(text);
    char   key[256];

    ASSERT(o != NULL);
    ASSERT_EQ(store_key(o, key, sizeof key), CORE_OK);
    ASSERT_EQ(store_put_text(s, key, o, text, strlen(text)), CORE_OK);
    cJSON_Delete(o);
}


/* Checks that the object under key gives back text exactly; returns whether it is held
 * compressed. */
static int
gives_back(const store *s, const char *key, const char *text)
{
    const store_obj *o = store_get(s, key);
    char            *tmp;
    const char      *got;
    cJSON           *tree;

    ASSERT(o != NULL);
    got = store_text(o, &tmp);
    ASSERT(got != NULL);
    ASSERT_EQ(o->len, strlen(text));
    ASSERT_STR(got, text);
    ASSERT((tmp != NULL) == (o->zdict != NULL));
    free(tmp);
    tree = store_parse(o);
    ASSERT(tree != NULL);
    ASSERT_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(tree, "metadata"), "name")),
               strchr(key, '/') + 1);
    cJSON_Delete(tree);
    return o->zdict != NULL;
}


/* Once the store holds 64 objects it keeps alike objects compressed, several times smaller,
 * and each gives back its text byte for byte (1.50 as it came); the first 64 stay text
 * until they are put again. */
TEST(store_compresses_alike_objects_and_gives_each_text_back)
{
    store           *s;
    const store_obj *o;
    char             text[2048], key[64];
    size_t           text_len = 0, held = 0;
    int              i, compressed = 0, first_raw = 0;

    ASSERT_EQ(store_new(&s), CORE_OK);
    for (i = 0; i < 200; i++) {
        alike(text, sizeof text, i);
        put_text(s, text);
    }
    for (i = 0; i < 200; i++) {
        alike(text, sizeof text, i);
        snprintf(key, sizeof key, "team-a/db-%05d", i);
        if (gives_back(s, key, text)) {
            o = store_get(s, key);
            compressed++;
            text_len += o->len;
            held += o->zlen;
        } else if (compressed == 0) {
            first_raw++;
        }
    }
    printf("    %d of 200 compressed (the first %d not), into %zu bytes of %zu\n", compressed,
           first_raw, held, text_len);
    ASSERT_EQ(first_raw, STORE_ZDICT_MIN_OBJS);
    ASSERT_EQ(compressed, 200 - first_raw);
    ASSERT(held * 4 < text_len);
    /* Listed again: a sample is now compressed too. */
    alike(text, sizeof text, 0);
    put_text(s, text);
    ASSERT(gives_back(s, "team-a/db-00000", text));
    store_free(s);
}


static void
small(char *buf, size_t len, const char *name, int i)
{
    snprintf(buf, len,
             "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"team-a\",\"resourceVersion\":\"%d\"},"
             "\"reason\":\"SuccessfulCreate\",\"count\":%d}",
             name, 7000 + i, i % 5);
}


/* Small objects: 32 of them are samples enough (far from 16 KiB), and the dictionary is made
 * once the store holds 64; puts of one key again and again are not samples, nor make a
 * store of one object compress. */
TEST(store_compresses_once_it_holds_64_objects)
{
    store *s;
    char   text[256], key[64], name[32];
    int    i;

    ASSERT_EQ(store_new(&s), CORE_OK);
    for (i = 0; i < 100; i++) {
        small(text, sizeof text, "same", i);
        put_text(s, text);
        ASSERT_EQ(gives_back(s, "team-a/same", text), 0);
    }
    ASSERT_EQ(store_del(s, "team-a/same"), CORE_OK);
    for (i = 0; i < 70; i++) {
        snprintf(name, sizeof name, "ev-%d", i);
        small(text, sizeof text, name, i);
        put_text(s, text);
        snprintf(key, sizeof key, "team-a/%s", name);
        ASSERT_EQ(gives_back(s, key, text), i >= STORE_ZDICT_MIN_OBJS);
    }
    store_free(s);
}


/* Two stores, two dictionaries, one pair of zstd contexts: each object is read with its own
 * store's dictionary, and the other store works on after one is freed. An object over
 * STORE_ZDICT_MAX_OBJ stays text. */
TEST(store_dictionaries_are_per_store_and_outlive_each_other)
{
    store *a, *b;
    char   text[2048], name[32], *big;
    int    i;
    size_t n;

    ASSERT_EQ(store_new(&a), CORE_OK);
    ASSERT_EQ(store_new(&b), CORE_OK);
    for (i = 0; i < 100; i++) {
        alike(text, sizeof text, i);
        put_text(a, text);
        snprintf(name, sizeof name, "ev-%d", i);
        small(text, sizeof text, name, i);
        put_text(b, text);
    }
    for (i = 70; i < 100; i++) {
        alike(text, sizeof text, i);
        snprintf(name, sizeof name, "team-a/db-%05d", i);
        ASSERT(gives_back(a, name, text));
        snprintf(name, sizeof name, "team-a/ev-%d", i);
        small(text, sizeof text, name + strlen("team-a/"), i);
        ASSERT(gives_back(b, name, text));
    }
    store_free(b);
    alike(text, sizeof text, 500);
    put_text(a, text);
    ASSERT(gives_back(a, "team-a/db-00500", text));
    /* Over 64 KiB: text, however alike. */
    n = STORE_ZDICT_MAX_OBJ + 100;
    big = malloc(n + 128);
    ASSERT(big != NULL);
    i = snprintf(big, n + 128, "{\"metadata\":{\"name\":\"big\",\"namespace\":\"team-a\"},\"v\":\"");
    memset(big + i, 'x', n);
    snprintf(big + i + n, 64, "\"}");
    put_text(a, big);
    ASSERT_EQ(gives_back(a, "team-a/big", big), 0);
    free(big);
    store_free(a);
}


/* A compressed body that is damaged gives nothing back rather than other text. */
TEST(store_damaged_body_gives_no_text)
{
    store     *s;
    char       text[2048], *tmp = (char *)"x";
    store_obj *o;
    int        i;

    ASSERT_EQ(store_new(&s), CORE_OK);
    for (i = 0; i < 70; i++) {
        alike(text, sizeof text, i);
        put_text(s, text);
    }
    o = (store_obj *)store_get(s, "team-a/db-00069");
    ASSERT(o->zdict != NULL);
    o->body[0] ^= 0x5a; /* no longer a zstd frame */
    ASSERT(store_text(o, &tmp) == NULL);
    ASSERT(tmp == NULL);
    ASSERT(store_parse(o) == NULL);
    ASSERT(store_text(NULL, &tmp) == NULL);
    store_free(s);
}
