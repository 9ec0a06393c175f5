/*
 * The credentials step of the DBInstance controller (see dbi_controller.c for the others).
 * Passwords are read from the existing Secret, never regenerated over data that has one:
 * when the cache has no Secret and no data claim holds data (dbi__claim_initialised), a new
 * one is created with POST, which fails (409) rather than overwrite one the cache has not
 * seen; then a live GET reads the passwords from the Secret that is there, if it is ours to
 * use. On a claim that holds data, a missing or unusable Secret is CredentialsLost: the operator
 * never invents a password the data does not know. A hand edit of the password (a rotation
 * done in the database) and a change of the Secret spec.credentialsSecretRef names are taken
 * as they are, uri and jdbc-url rebuilt, nothing restarted.
 */
#include "dbi_controller-int.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/core.h"
#include "ctrl/ctrl.h"
#include "ctrl/ctrl_build.h"
#include "ctrl/ctrl_named.h"
#include "dbi/dbi.h"
#include "dbi/dbi_adopt.h"
#include "dbi/dbi_controller.h"
#include "kjson/kjson.h"
#include "kops/kops.h"
#include "log/log.h"
#include "runtime/runtime.h"


static void use_secret(ctrl_run *run, const cJSON *secret);


/*
 * The password is generated only while no data claim holds data (dbi__claim_initialised):
 * the Secret is made before the StatefulSet, so a pod may have written its password into
 * any claim made from our template, from the first start on (initdb runs before the pod
 * is Ready). When the Secret is missing then, the data holds the old password and
 * inventing another would lock every client out. Then the password comes
 * from credentialsSecretRef, or the instance is CredentialsLost until the Secret is back
 * (its name is watched meanwhile, so a restore is seen at once). A password in our Secret
 * that its uri was not built with was changed by hand: the user rotated it in the
 * database, and it is taken as it is. With credentialsSecretRef, that Secret's password
 * is taken into ours whenever it differs (its superuser-password only when ours is made).
 */

/* The key's value, checked (dbi_password_check), NUL-terminated in buf (len above
 * DBI_PASSWORD_MAX). CORE_ENOENT when absent, CORE_EINVAL: the reason is in why. */
static int
secret_value(const cJSON *secret, const char *key, char *buf, size_t len, char *why, size_t wlen)
{
    const char    *b64 = kjson_path_str(secret, "data", key, NULL);
    unsigned char *raw = NULL;
    size_t         n = 0;
    int            rc;

    if (!b64) {
        snprintf(why, wlen, "it has no key %s", key);
        return CORE_ENOENT;
    }
    rc = core_b64_decode(b64, strlen(b64), &raw, &n);
    if (rc)
        snprintf(why, wlen, "%s is not base64", key);
    else
        rc = dbi_password_check(key, raw, n, why, wlen);
    if (rc == CORE_OK && n >= len)
        rc = CORE_ETOOBIG;
    if (rc == CORE_OK)
        memcpy(buf, raw, n + 1);
    if (raw)
        OPENSSL_cleanse(raw, n);
    free(raw);
    return rc;
}


/* Whether the data claim holds data (see dbi_controller-int.h): it says which DBInstance
 * held it, or an older operator marked it initialised. */
int
dbi__claim_initialised(ctrl_run *run)
{
    char         name[DBI_NAME_LEN];
    const cJSON *pvc;
    const char  *mark;

    snprintf(name, sizeof name, "data-%s-0", ctrl_name(run));
    pvc = ctrl_view(run, dbi__caches(run)->pvcs, name);
    if (kjson_path_str(pvc, "metadata", "annotations", DBI_HELD_UID, NULL))
        return 1;
    mark = kjson_path_str(pvc, "metadata", "annotations", DBI_INITIALISED_AN, NULL);
    return mark && strcmp(mark, "true") == 0;
}


/* Our Secret is gone or unusable and nothing replaces it: say so, invent nothing. Its
 * name is watched until then, so a restored Secret (with or without our labels) is seen. */
static void
credentials_lost(ctrl_run *run, const char *why)
{
    dbi_run    *s = dbi__st(run);
    const char *keys = s->spec.engine->id == DBI_POSTGRESQL
                         ? "key password holds the current password"
                         : "keys password and superuser-password hold the current passwords";
    char        name[DBI_NAME_LEN], way[400];

    dbi__secret_name(run, name, sizeof name);
    ctrl_depend(run, &KRES_SECRETS, name);
    /* The two ways out that work: a Secret we did not make is never taken (ChildConflict),
     * so a hand-made <name>-credentials needs our labels, and the ref is the simple way. */
    if (s->spec.credentials_secret)
        snprintf(way, sizeof way, "make sure Secret %s (spec.credentialsSecretRef) exists and its %s",
                 s->spec.credentials_secret, keys);
    else
        snprintf(way, sizeof way,
                 "create a Secret of another name whose %s and set spec.credentialsSecretRef "
                 "to it",
                 keys);
    ctrl_refuse(run, 1, "CredentialsLost",
                "Secret %s: %s; no new password is made, since the data holds the old one. To "
                "heal it, %s; or restore %s from a saved copy with kubectl create -f (it must "
                "keep its labels app.kubernetes.io/managed-by=dbaas-operator and "
                "app.kubernetes.io/instance=%s)",
                name, why, way, name, ctrl_name(run));
    dbi__run_status(run);
}


/* The Secret a 409 said exists, as read: judged as the check of the children judges one
 * (check_children: ours to write, and holding what the spec asks when it was kept). */
static void
on_live_secret(const kops_result *res, void *data)
{
    ctrl_run *run = data;
    char      msg[CTRL_MSG_MAX];

    if (res->err == CORE_ENOENT) {
        /* Gone again since the 409: the next run creates it. */
        ctrl_end(run, WQ_REQUEUE_AFTER);
        return;
    }
    if (res->err) {
        ctrl_end(run, WQ_ERROR);
        return;
    }
    if (!ctrl_may_write(run, res->obj)) { /* someone else's: ChildConflict */
        dbi__run_status(run);
        return;
    }
    if (dbi_adopt_check(&dbi__st(run)->spec, res->obj, msg, sizeof msg) != CORE_OK) {
        ctrl_refuse(run, 0, "InvalidSpec", "%s", msg);
        dbi__run_status(run);
        return;
    }
    use_secret(run, res->obj);
}


static void
on_created_secret(const kops_result *res, void *data)
{
    ctrl_run   *run = data;
    char        name[DBI_NAME_LEN];
    kops_target t = {rt_client(ctrl_runtime(run)), &KRES_SECRETS, ctrl_ns(run), name, NULL, 0, 0};

    if (res->err == CORE_ECONFLICT) {
        /* It exists (kept from a deleted DBInstance, someone else's, or not cached yet). */
        dbi__secret_name(run, name, sizeof name);
        ctrl_exists(run, &KRES_SECRETS, name);
        if (kops_get(&t, on_live_secret, run))
            ctrl_end(run, WQ_ERROR);
        return;
    }
    if (ctrl_ns_refused(run, res)) {
        dbi__run_status(run);
        return;
    }
    if (res->err) {
        log_obj(LOG_WARN, DBI_CTL_NAME, ctrl_key(run), "creating the credentials Secret failed",
                "error", res->message, NULL);
        ctrl_end(run, WQ_ERROR);
        return;
    }
    ctrl_created(run, &KRES_SECRETS, res->obj);
    dbi__st(run)->secret_posted = 1;
    dbi__st(run)->have_secret = 1;
    if (!ctrl_is_new(run))
        ctrl_event(run, "Normal", "CredentialsCreated", "created the credentials Secret");
    dbi__run_children(run);
}


static void
create_secret(ctrl_run *run)
{
    dbi_run    *s = dbi__st(run);
    cJSON      *secret = dbi_build_secret(&s->spec, ctrl_obj(run), s->password, s->superuser);
    kops_target t = {rt_client(ctrl_runtime(run)), &KRES_SECRETS, ctrl_ns(run), NULL, NULL, 0, 0};
    int         rc = CORE_ENOMEM;

    /* Stamped as ctrl_apply stamps it: the next run's apply of the same finds it applied.
     * The answer is kept (no_obj 0) for ctrl_created. */
    if (secret && ctrl_stamp(secret) == CORE_OK)
        rc = kops_create(&t, secret, on_created_secret, run);
    cJSON_Delete(secret);
    if (rc)
        ctrl_end(run, WQ_ERROR);
}


/* The superuser password of a new or recovered Secret: the ref's, else the one we hold,
 * else a new one where nothing reads it from the data (postgresql, or new data). */
static int
pick_superuser(ctrl_run *run, const cJSON *ref, int data_exists, char *why, size_t wlen)
{
    dbi_run *s = dbi__st(run);
    char     skip[300];

    if (ref && secret_value(ref, "superuser-password", s->other, sizeof s->other, skip,
                            sizeof skip) == CORE_OK) {
        memcpy(s->superuser, s->other, sizeof s->superuser);
        return CORE_OK;
    }
    if (s->have_superuser)
        return CORE_OK;
    if (data_exists && s->spec.engine->id != DBI_POSTGRESQL) {
        snprintf(why, wlen,
                 "the data's %s root password is lost too: the Secret \"%s\" needs a "
                 "key superuser-password holding it",
                 s->spec.engine->name, s->spec.credentials_secret);
        return CORE_EINVAL;
    }
    return dbi_password(s->superuser, sizeof s->superuser, DBI_PASSWORD_LEN);
}


/* Ours is gone or unusable on initialised data: the password of credentialsSecretRef. */
static void
recover_from_ref(ctrl_run *run, const cJSON *ref)
{
    dbi_run *s = dbi__st(run);
    char     why[300], msg[CTRL_MSG_MAX];

    if (!ref) {
        snprintf(msg, sizeof msg, "%s, and Secret \"%s\" (spec.credentialsSecretRef) is not found",
                 s->why, s->spec.credentials_secret);
        credentials_lost(run, msg);
        return;
    }
    if (secret_value(ref, "password", s->password, sizeof s->password, why, sizeof why) ||
        pick_superuser(run, ref, 1, why, sizeof why)) {
        snprintf(msg, sizeof msg, "%s, and Secret \"%s\" (spec.credentialsSecretRef): %s", s->why,
                 s->spec.credentials_secret, why);
        credentials_lost(run, msg);
        return;
    }
    snprintf(msg, sizeof msg, "took the password of Secret \"%s\" (spec.credentialsSecretRef)",
             s->spec.credentials_secret);
    ctrl_event(run, "Normal", "CredentialsRestored", msg);
    if (s->have_secret)
        dbi__run_children(run);
    else
        create_secret(run);
}


/* Ours is usable: a password changed in credentialsSecretRef is taken into it. */
static void
take_ref_changes(ctrl_run *run, const cJSON *ref)
{
    dbi_run *s = dbi__st(run);
    char     why[300], msg[CTRL_MSG_MAX], name[DBI_NAME_LEN];

    if (!ref) {
        /* Ours still holds the current password, and the pod serves on; the spec waits. */
        dbi__secret_name(run, name, sizeof name);
        ctrl_refuse(run, 1, "InvalidSpec",
                    "spec.credentialsSecretRef.name: Secret \"%s\" not found in this namespace "
                    "(it is watched: creating it is enough); Secret %s keeps the current password",
                    s->spec.credentials_secret, name);
        dbi__run_status(run);
        return;
    }
    if (secret_value(ref, "password", s->other, sizeof s->other, why, sizeof why)) {
        ctrl_refuse(run, 1, "InvalidSpec", "spec.credentialsSecretRef.name: Secret \"%s\": %s",
                    s->spec.credentials_secret, why);
        dbi__run_status(run);
        return;
    }
    if (strcmp(s->other, s->password) != 0) {
        memcpy(s->password, s->other, sizeof s->password);
        dbi__secret_name(run, name, sizeof name);
        snprintf(msg, sizeof msg,
                 "took the changed password of Secret \"%s\" (spec.credentialsSecretRef) into "
                 "Secret %s: uri and jdbc-url rebuilt, nothing restarted",
                 s->spec.credentials_secret, name);
        ctrl_event(run, "Normal", "PasswordChanged", msg);
    }
    dbi__run_children(run);
}


/* Whether the password in our Secret is not the one its uri was built with: edited by
 * hand. A Secret without a uri is only repaired. */
static int
hand_edited(ctrl_run *run, const cJSON *secret)
{
    const char    *b64 = kjson_path_str(secret, "data", "uri", NULL);
    unsigned char *uri = NULL;
    size_t         n = 0;
    int            edited;

    if (!b64 || core_b64_decode(b64, strlen(b64), &uri, &n))
        return 0;
    edited = !dbi_uri_has_password((const char *)uri, dbi__st(run)->password);
    OPENSSL_cleanse(uri, n);
    free(uri);
    return edited;
}


/* The Secret that exists: use its passwords when it is ours; never invent new ones. */
static void
use_secret(ctrl_run *run, const cJSON *secret)
{
    dbi_run *s = dbi__st(run);
    char     name[DBI_NAME_LEN], msg[CTRL_MSG_MAX], skip[300];
    int      rc;

    if (!ctrl_may_write(run, secret)) {
        dbi__run_status(run);
        return;
    }
    s->have_secret = 1;
    s->have_superuser = secret_value(secret, "superuser-password", s->superuser,
                                     sizeof s->superuser, skip, sizeof skip) == CORE_OK;
    rc = secret_value(secret, "password", s->password, sizeof s->password, s->why, sizeof s->why);
    if (rc == CORE_OK && !s->have_superuser) {
        snprintf(s->why, sizeof s->why, "%s", skip);
        rc = CORE_EINVAL;
    }
    if (rc) {
        if (s->spec.credentials_secret)
            ctrl_read_named(run, &KRES_SECRETS, dbi__st(run)->spec.credentials_secret,
                            recover_from_ref);
        else
            credentials_lost(run, s->why);
        return;
    }
    if (s->spec.credentials_secret) {
        ctrl_read_named(run, &KRES_SECRETS, dbi__st(run)->spec.credentials_secret, take_ref_changes);
        return;
    }
    if (hand_edited(run, secret)) {
        dbi__secret_name(run, name, sizeof name);
        snprintf(msg, sizeof msg,
                 "the password in Secret %s was changed by hand: taken as the database's current "
                 "password; uri and jdbc-url rebuilt, nothing restarted",
                 name);
        ctrl_event(run, "Normal", "PasswordChanged", msg);
    }
    dbi__run_children(run);
}


static void
on_gone_secret(const kops_result *res, void *data)
{
    ctrl_run *run = data;
    char      why[300];

    if (res->err == CORE_ENOENT) {
        snprintf(why, sizeof why,
                 "not found, and the volume data-%s-0 was made for this instance: its data "
                 "may hold that password (a pod writes it at its first start)",
                 ctrl_name(run));
        credentials_lost(run, why);
        return;
    }
    if (res->err) {
        ctrl_end(run, WQ_ERROR);
        return;
    }
    use_secret(run, res->obj);
}


/* No Secret in the cache, on initialised data: one without our labels, the ref, or lost. */
static void
secret_gone(ctrl_run *run)
{
    dbi_run    *s = dbi__st(run);
    char        name[DBI_NAME_LEN];
    kops_target t = {rt_client(ctrl_runtime(run)), &KRES_SECRETS, ctrl_ns(run), name, NULL, 0, 0};

    if (s->spec.credentials_secret) {
        snprintf(s->why, sizeof s->why,
                 "not found, and the volume data-%s-0 was made for this instance: its data "
                 "may hold that password (a pod writes it at its first start)",
                 ctrl_name(run));
        ctrl_read_named(run, &KRES_SECRETS, dbi__st(run)->spec.credentials_secret,
                        recover_from_ref); /* a 409 on create reads the one that is there */
        return;
    }
    dbi__secret_name(run, name, sizeof name);
    if (kops_get(&t, on_gone_secret, run))
        ctrl_end(run, WQ_ERROR);
}


/* New data: the password of credentialsSecretRef, which must exist. */
static void
new_from_ref(ctrl_run *run, const cJSON *ref)
{
    dbi_run *s = dbi__st(run);
    char     why[300];

    if (!ref) {
        ctrl_refuse(run, 1, "InvalidSpec",
                    "spec.credentialsSecretRef.name: Secret \"%s\" not found in this namespace "
                    "(it is watched: creating it is enough)",
                    s->spec.credentials_secret);
        dbi__run_status(run);
        return;
    }
    if (secret_value(ref, "password", s->password, sizeof s->password, why, sizeof why) ||
        pick_superuser(run, ref, 0, why, sizeof why)) {
        ctrl_refuse(run, 1, "InvalidSpec", "spec.credentialsSecretRef.name: Secret \"%s\": %s",
                    s->spec.credentials_secret, why);
        dbi__run_status(run);
        return;
    }
    create_secret(run);
}


/* No Secret yet and no data: take the password from the user's Secret, or make one. */
static void
new_credentials(ctrl_run *run)
{
    dbi_run *s = dbi__st(run);

    if (s->spec.credentials_secret) {
        ctrl_read_named(run, &KRES_SECRETS, dbi__st(run)->spec.credentials_secret, new_from_ref);
        return;
    }
    if (dbi_password(s->superuser, sizeof s->superuser, DBI_PASSWORD_LEN) ||
        dbi_password(s->password, sizeof s->password, DBI_PASSWORD_LEN)) {
        ctrl_end(run, WQ_ERROR);
        return;
    }
    create_secret(run);
}


void
dbi__credentials(ctrl_run *run)
{
    char         name[DBI_NAME_LEN];
    const cJSON *secret;

    dbi__secret_name(run, name, sizeof name);
    /* The check of the children parsed it already in this run. */
    secret = ctrl_view(run, dbi__caches(run)->secrets, name);
    if (secret)
        use_secret(run, secret);
    else if (dbi__claim_initialised(run))
        secret_gone(run);
    else
        new_credentials(run); /* a 409 says one exists after all, and it is read instead */
}
