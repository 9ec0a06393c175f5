# The uri in the Secret the operator writes works as given: a PostgreSQL and a MariaDB
# DBInstance whose password needs percent-encoding; each Secret's uri logs in to a real
# server from Debian's packages (test/db/uri-check.sh) as the user, in the database.
. "$ROOT/test/integration/lib.sh"

with_operator
k -n "$NS" create secret generic hard-password --from-literal=password='p@ss:w/rd?#%+ =' >/dev/null
for e in postgresql:16 mariadb:11.4; do
    printf 'apiVersion: dbaas.dev/v1alpha1\nkind: DBInstance\nmetadata: {name: u-%s}\nspec: {engine: %s, version: "%s", database: shop, username: shopper, credentialsSecretRef: {name: hard-password}}\n' \
        "${e%%:*}" "${e%%:*}" "${e#*:}" | k -n "$NS" apply -f - >/dev/null
done
for e in postgresql mariadb; do
    wait_for 60 "the $e Secret" k -n "$NS" get secret "u-$e-credentials"
    s=u-$e-credentials
    bash "$ROOT/test/db/uri-check.sh" "$e" "$(secret_key "$s" uri)" "$(secret_key "$s" username)" \
        "$(secret_key "$s" password)" "$(secret_key "$s" database)" || fail "the $e uri did not work"
done
stop_operator
