# TLS everywhere (issue 13): a new DBInstance gets TLS without asking. The namespace's CA
# (Secret dbaas-ca: labelled ours, no owner, ECDSA P-256, 10 years), the server certificate
# in <name>-tls (owned by the instance, the Service and pod names as SANs, 90 days), the
# connection Secret with ca.crt and sslmode, the StatefulSet mounting it with the
# certificate's checksum on the pod template; then real servers from Debian's packages
# (PostgreSQL 15, MariaDB) run with the operator's certificate, key and configuration, and
# real clients connect with what the Secret holds, verify-full, plain text refused
# (test/db/tls-check.sh). Then: TLS off by choice; a user's certificate that does not cover
# the Service is InvalidSpec with the reason, a good one is used; a certificate the operator
# must issue again rolls the pod; a restart writes nothing; no key reaches the log, Events
# or status.
. "$ROOT/test/integration/lib.sh"

with_operator
started=$SECONDS
for e in postgresql:16 mariadb:11.4; do
    printf 'apiVersion: dbaas.dev/v1alpha1\nkind: DBInstance\nmetadata: {name: t-%s}\nspec: {engine: %s, version: "%s", database: shop, username: shopper}\n' \
        "${e%%:*}" "${e%%:*}" "${e#*:}" | k -n "$NS" apply -f - >/dev/null
done
tls_key() { k -n "$NS" get secret "$1" -o jsonpath="{.data.${2//./\\.}}" | base64 -d; }
sts_ann() { k -n "$NS" get statefulset "$1" -o jsonpath='{.spec.template.metadata.annotations.dbaas\.dev/tls-checksum}'; }
# Conditions for wait_for, read again on every poll.
tls_enabled_is() { [ "$(dbi_field "$1" '{.status.tls.enabled}')" = "$2" ]; }
tls_volume_is() { [ "$(k -n "$NS" get statefulset "$1" -o jsonpath='{.spec.template.spec.volumes[?(@.name=="tls")].secret.secretName}' 2>/dev/null)" = "$2" ]; }
ann_changed() { [ "$(sts_ann "$1")" != "$2" ]; }

for e in postgresql mariadb; do
    n=t-$e
    wait_for 60 "the $e StatefulSet" k -n "$NS" get statefulset "$n"
    expect_eq "$(dbi_field "$n" '{.spec.tls}')" "" "$n's spec.tls (nothing was written into the spec)"
    wait_for 30 "$n's status.tls.enabled" tls_enabled_is "$n" true
    expect_eq "$(dbi_field "$n" '{.status.tls.secretName}')" "$n-tls" "$n's status.tls.secretName"
    expect_eq "$(k -n "$NS" get secret "$n-tls" -o jsonpath='{.type}/{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}')" \
        "kubernetes.io/tls/DBInstance/$n" "$n-tls type and owner"
    [ -n "$(sts_ann "$n")" ] || fail "$n's pod template has no tls checksum"
    expect_eq "$(k -n "$NS" get statefulset "$n" -o jsonpath='{.spec.template.spec.volumes[?(@.name=="tls")].secret.secretName}')" \
        "$n-tls" "$n's tls volume"
done

# The CA: one per namespace, ours by label, owned by nobody, P-256, ten years.
expect_eq "$(k -n "$NS" get secret dbaas-ca -o jsonpath='{.metadata.labels.app\.kubernetes\.io/managed-by}/{.metadata.ownerReferences}')" \
    "dbaas-operator/" "dbaas-ca's label and owners"
expect_eq "$(k -n "$NS" get secrets -l app.kubernetes.io/name=dbaas-ca -o name | wc -l)" 1 "CA Secrets"
tmp_ca=$tmp/ca.crt
tls_key dbaas-ca tls.crt >"$tmp_ca"
openssl x509 -in "$tmp_ca" -noout -text >"$tmp/ca.txt"
grep -q 'ASN1 OID: prime256v1' "$tmp/ca.txt" || fail "the CA key is not P-256"
grep -q 'CA:TRUE, pathlen:0' "$tmp/ca.txt" || fail "the CA is not a CA with pathlen 0"
ca_days=$(python3 -c 'import sys,datetime as d; f=lambda s: d.datetime.strptime(s.split("=",1)[1].strip(), "%b %d %H:%M:%S %Y %Z"); a,b=sys.argv[1:]; print(round((f(b)-f(a)).total_seconds()/86400))' \
    "$(openssl x509 -in "$tmp_ca" -noout -startdate)" "$(openssl x509 -in "$tmp_ca" -noout -enddate)")
{ [ "$ca_days" -ge 3650 ] && [ "$ca_days" -le 3651 ]; } || fail "the CA is valid for $ca_days days, want 10 years"

for e in postgresql mariadb; do
    n=t-$e
    d=$tmp/$e
    mkdir -p "$d"
    tls_key "$n-tls" tls.crt >"$d/tls.crt"
    tls_key "$n-tls" tls.key >"$d/tls.key"
    tls_key "$n-credentials" ca.crt >"$d/ca.crt"
    cmp -s "$d/ca.crt" "$tmp_ca" || fail "$n-credentials' ca.crt is not the namespace's CA"
    openssl verify -CAfile "$d/ca.crt" -purpose sslserver "$d/tls.crt" >/dev/null || fail "$n-tls does not chain to the CA"
    sans=$(openssl x509 -in "$d/tls.crt" -noout -ext subjectAltName | tail -n 1 | tr -d ' ')
    expect_eq "$sans" "DNS:$n,DNS:$n.$NS,DNS:$n.$NS.svc,DNS:$n.$NS.svc.cluster.local,DNS:$n-0.$n-headless.$NS.svc,DNS:$n-0.$n-headless.$NS.svc.cluster.local" "$n's SANs"
    for key in uri host username password database; do secret_key "$n-credentials" "$key" >"$d/$key"; done
    if [ "$e" = postgresql ]; then
        k -n "$NS" get configmap "$n-config" -o jsonpath='{.data.pg_hba\.conf}' >"$d/config"
        grep -q '^host ' "$d/config" && fail "pg_hba.conf has a host line (only hostssl)"
        grep -q 'trust' "$d/config" && fail "pg_hba.conf has a trust line"
        expect_eq "$(secret_key "$n-credentials" jdbc-url)" "jdbc:postgresql://$n.$NS.svc.cluster.local:5432/shop?sslmode=verify-full" "$n's jdbc-url"
    else
        k -n "$NS" get configmap "$n-config" -o jsonpath='{.data.dbaas\.cnf}' >"$d/config"
        expect_eq "$(secret_key "$n-credentials" jdbc-url)" "jdbc:mariadb://$n.$NS.svc.cluster.local:3306/shop?sslMode=verify-full" "$n's jdbc-url"
    fi
    bash "$ROOT/test/db/tls-check.sh" "$e" "$d" || fail "the $e server with the operator's certificate"
done

# TLS off by choice: nothing of it anywhere.
printf 'apiVersion: dbaas.dev/v1alpha1\nkind: DBInstance\nmetadata: {name: plain}\nspec: {engine: postgresql, version: "16", database: shop, tls: {enabled: false}}\n' |
    k -n "$NS" apply -f - >/dev/null
wait_for 60 "plain's Secret" k -n "$NS" get secret plain-credentials
wait_for 30 "plain's status.tls.enabled false" tls_enabled_is plain false
expect_eq "$(secret_key plain-credentials uri | sed 's/.*@//')" "plain.$NS.svc.cluster.local:5432/shop" "plain's uri"
k -n "$NS" get secret plain-tls >/dev/null 2>&1 && fail "plain has a tls Secret"
[ -z "$(k -n "$NS" get statefulset plain -o jsonpath='{.spec.template.spec.volumes[?(@.name=="tls")].name}')" ] ||
    fail "plain's pod mounts a certificate"

# A user's certificate that does not cover the Service: InvalidSpec, with the reason.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=user-ca -days 30 \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign \
    -keyout "$tmp/uca.key" -out "$tmp/uca.crt" 2>/dev/null
user_cert() { # user_cert NAME SAN: a server certificate from the user's CA into $tmp/NAME.*
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$2" -keyout "$tmp/$1.key" \
        -out "$tmp/$1.csr" 2>/dev/null
    openssl x509 -req -in "$tmp/$1.csr" -CA "$tmp/uca.crt" -CAkey "$tmp/uca.key" -CAcreateserial -days 30 \
        -extfile <(printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n' "$2") \
        -out "$tmp/$1.crt" 2>/dev/null
    k -n "$NS" create secret generic "$1" --from-file=tls.crt="$tmp/$1.crt" --from-file=tls.key="$tmp/$1.key" \
        --from-file=ca.crt="$tmp/uca.crt" --dry-run=client -o yaml | k -n "$NS" apply -f - >/dev/null
}
user_cert mine wrong.example
printf 'apiVersion: dbaas.dev/v1alpha1\nkind: DBInstance\nmetadata: {name: byo}\nspec: {engine: postgresql, version: "16", database: shop, tls: {enabled: true, secretName: mine}}\n' |
    k -n "$NS" apply -f - >/dev/null
wait_for 60 "byo to be InvalidSpec" dbi_reason byo InvalidSpec
msg=$(dbi_field byo '{.status.conditions[?(@.type=="Ready")].message}')
[[ $msg == *"spec.tls.secretName: Secret mine: the certificate does not cover byo.$NS.svc.cluster.local (its names: wrong.example)"* ]] ||
    fail "the InvalidSpec message does not say why: $msg"
k -n "$NS" get statefulset byo >/dev/null 2>&1 && fail "byo got a StatefulSet with a bad certificate"
# The same Secret, now right: taken within seconds (the operator watches it), mounted.
user_cert mine "byo.$NS.svc.cluster.local"
wait_for 60 "byo's StatefulSet with the user's certificate" tls_volume_is byo mine
k -n "$NS" get secret byo-tls >/dev/null 2>&1 && fail "byo got an operator certificate beside the user's"
cmp -s <(tls_key byo-credentials ca.crt) "$tmp/uca.crt" || fail "byo-credentials' ca.crt is not the user's ca.crt"

# A certificate issued again (here: its Secret deleted) rolls the pod by the checksum.
before=$(sts_ann t-postgresql)
k -n "$NS" delete secret t-postgresql-tls >/dev/null
wait_for 60 "a new certificate in t-postgresql-tls" k -n "$NS" get secret t-postgresql-tls
wait_for 30 "the pod template's checksum to change" ann_changed t-postgresql "$before"
tls_key t-postgresql-tls tls.crt | openssl verify -CAfile "$tmp_ca" >/dev/null || fail "the new certificate does not chain to the same CA"

# A restart: the certificates are kept, nothing is written.
settle_writes op_writes
maria_ann=$(sts_ann t-mariadb)
stop_operator
start_operator "$tmp/op.log"
settle_writes op_writes
w=$(op_writes)
sleep 3
expect_eq "$(op_writes)" "$w" "writes after a restart settled"
expect_eq "$(sts_ann t-mariadb)" "$maria_ann" "t-mariadb's checksum across the restart"
stop_operator

# A <name>-tls no cache of the operator holds (our label removed while it was down): it is not
# read first, and the new certificate's create is refused (409, resourceVersion "1"); the next
# run reads it, keeps its certificate and puts the label back; the pod is not rolled.
crt=$(tls_key t-mariadb-tls tls.crt | sha256sum)
k -n "$NS" label secret t-mariadb-tls app.kubernetes.io/managed-by- >/dev/null
start_operator "$tmp/op.log"
relabelled() { [ "$(k -n "$NS" get secret t-mariadb-tls -o jsonpath='{.metadata.labels.app\.kubernetes\.io/managed-by}')" = dbaas-operator ]; }
wait_for 60 "t-mariadb-tls's label put back" relabelled
expect_eq "$(tls_key t-mariadb-tls tls.crt | sha256sum)" "$crt" "t-mariadb-tls's certificate once the label is back"
expect_eq "$(k -n "$NS" get events --field-selector involvedObject.name=t-mariadb,reason=CertificateIssued --no-headers 2>/dev/null | wc -l)" 0 \
    "CertificateIssued Events for t-mariadb (the refused create issued nothing that serves)"
settle_writes op_writes
expect_eq "$(sts_ann t-mariadb)" "$maria_ann" "t-mariadb's checksum once t-mariadb-tls has its label again"
stop_operator

# Nothing secret in the log, the Events or the status: no line of any private key's body.
k -n "$NS" get events -o json >"$tmp/events.json"
k -n "$NS" get dbinstances -o json >"$tmp/dbis.json"
for s in dbaas-ca t-postgresql-tls t-mariadb-tls; do
    tls_key "$s" tls.key | grep -v -e '-----' >"$tmp/key-lines"
    [ -s "$tmp/key-lines" ] || fail "$s has no tls.key"
    for f in "$tmp/op.log" "$tmp/events.json" "$tmp/dbis.json"; do
        grep -qF -f "$tmp/key-lines" "$f" && fail "$(basename "$f") holds a line of $s's tls.key"
    done
done
echo "TLS end to end: $((SECONDS - started)) s"
