# The uri in the Secret the operator writes works as given: a PostgreSQL and a MariaDB
# DBInstance whose password needs percent-encoding; each Secret's uri logs in to a real
# server from Debian's packages (test/db/uri-check.sh) as the user, in the database. Then the
# longest password the operator accepts (1024 bytes, with characters that need encoding and
# a multi-byte UTF-8 one) logs in to both engines too.
# TLS is off in these instances (spec.tls.enabled false): the subject is the password's
# encoding; test-dbinstance-tls.sh runs the uri of a TLS instance against TLS servers.
. "$ROOT/test/integration/lib.sh"

with_operator
k -n "$NS" create secret generic hard-password --from-literal=password='p@ss:w/rd?#%+ =' >/dev/null
for e in postgresql:16 mariadb:11.4; do
    printf 'apiVersion: dbaas.dev/v1alpha1\nkind: DBInstance\nmetadata: {name: u-%s}\nspec: {engine: %s, version: "%s", database: shop, username: shopper, credentialsSecretRef: {name: hard-password}, tls: {enabled: false}}\n' \
        "${e%%:*}" "${e%%:*}" "${e#*:}" | k -n "$NS" apply -f - >/dev/null
done
for e in postgresql mariadb; do
    wait_for 60 "the $e Secret" k -n "$NS" get secret "u-$e-credentials"
    s=u-$e-credentials
    bash "$ROOT/test/db/uri-check.sh" "$e" "$(secret_key "$s" uri)" "$(secret_key "$s" username)" \
        "$(secret_key "$s" password)" "$(secret_key "$s" database)" || fail "the $e uri did not work"
done

long=$(python3 -c 'import sys; sys.stdout.write(("p@ss:w/rd?#%+ =\u00e9" * 100).encode()[:1024].decode("utf-8", "ignore"))')
expect_eq "$(printf %s "$long" | wc -c)" 1024 "bytes in the long password"
k -n "$NS" create secret generic long-password --from-literal=password="$long" >/dev/null
for e in postgresql:16 mariadb:11.4; do
    printf 'apiVersion: dbaas.dev/v1alpha1\nkind: DBInstance\nmetadata: {name: l-%s}\nspec: {engine: %s, version: "%s", database: shop, username: shopper, credentialsSecretRef: {name: long-password}, tls: {enabled: false}}\n' \
        "${e%%:*}" "${e%%:*}" "${e#*:}" | k -n "$NS" apply -f - >/dev/null
done
for e in postgresql mariadb; do
    wait_for 60 "the $e Secret with the long password" k -n "$NS" get secret "l-$e-credentials"
    s=l-$e-credentials
    expect_eq "$(secret_key "$s" password)" "$long" "the $e Secret's password"
    bash "$ROOT/test/db/uri-check.sh" "$e" "$(secret_key "$s" uri)" "$(secret_key "$s" username)" \
        "$(secret_key "$s" password)" "$(secret_key "$s" database)" || fail "the $e uri with a 1024-byte password did not work"
done
stop_operator
