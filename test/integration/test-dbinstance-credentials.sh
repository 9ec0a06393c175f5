# Credentials never disagree with the data (issue 10, section 2). On a Ready instance whose
# data claim says it holds its data (dbaas.dev/source-uid): a deleted Secret gives
# CredentialsLost (Degraded, a Warning Event, Ready as the pod says) and no new password, and
# restoring the Secret heals it; a password edited by hand is taken, its uri rebuilt, an
# Event told, nothing rolled. A credentialsSecretRef whose password changes later is taken
# within seconds; a password of 1500 bytes or with a trailing newline is refused, saying so;
# one of 1024 bytes works.
. "$ROOT/test/integration/lib.sh"

with_operator
cond() { dbi_field "$1" "{.status.conditions[?(@.type==\"$2\")].$3}"; }
degraded_is() { [ "$(cond "$1" Degraded status)/$(cond "$1" Degraded reason)" = "$2" ]; }
not_degraded() { [ "$(cond "$1" Degraded status)" = False ]; }
event_type() {
    k -n "$NS" get events --field-selector "involvedObject.name=$1,reason=$2" \
        -o jsonpath='{.items[0].type}'
}
event_msgs() {
    k -n "$NS" get events --field-selector "involvedObject.name=$1,reason=$2" \
        -o jsonpath='{range .items[*]}{.message}{"\n"}{end}'
}
has_event() { [ "$(event_type "$1" "$2")" = "$3" ]; }
initialised() {
    [ "$(k -n "$NS" get pvc "data-$1-0" -o jsonpath='{.metadata.annotations.dbaas\.dev/source-uid}')" = \
        "$(dbi_field "$1" '{.metadata.uid}')" ]
}
uri_is() { [ "$(secret_key "$1-credentials" uri)" = "$2" ]; }
pod_state() {
    echo "$(k -n "$NS" get statefulset "$1" -o jsonpath='{.status.updateRevision}')/$(k -n "$NS" get pod "$1-0" -o jsonpath='{.metadata.uid}')"
}

k -n "$NS" apply -f "$ROOT/examples/postgresql.yaml" >/dev/null
wait_for 90 "orders to be Ready" dbi_ready orders
wait_for 30 "the data claim to say it holds orders' data" initialised orders
password=$(secret_key orders-credentials password)
k -n "$NS" get secret orders-credentials -o json |
    python3 -c 'import json,sys; o=json.load(sys.stdin); m=o["metadata"]
for f in ("resourceVersion","uid","creationTimestamp","managedFields"): m.pop(f, None)
print(json.dumps(o))' >"$tmp/saved.json"

# The Secret deleted: CredentialsLost, no new password, Ready as the pod says.
k -n "$NS" delete secret orders-credentials >/dev/null
wait_for 30 "Degraded CredentialsLost" degraded_is orders True/CredentialsLost
sleep 5
k -n "$NS" get secret orders-credentials >/dev/null 2>&1 &&
    fail "a new Secret was made over initialised data (password $(
        [ "$(secret_key orders-credentials password)" = "$password" ] && echo same || echo different))"
dbi_ready orders || fail "Ready went False while the pod serves: $(cond orders Ready reason)"
msg=$(cond orders Degraded message)
[[ $msg == *"kubectl create -f"* && $msg == *"set spec.credentialsSecretRef"* ]] ||
    fail "the CredentialsLost message does not say what to do: $msg"
wait_for 30 "a Warning Event CredentialsLost" has_event orders CredentialsLost Warning

# Restored from the saved copy: healed within seconds, with the same password.
k -n "$NS" create -f "$tmp/saved.json" >/dev/null
wait_for 20 "Degraded to clear after the restore" not_degraded orders
expect_eq "$(secret_key orders-credentials password)" "$password" "password after the restore"
dbi_ready orders || fail "not Ready after the restore"

# A hand edit of the password: taken, uri rebuilt, an Event, nothing rolled.
before=$(pod_state orders)
new='n3w:p@ss/word'
k -n "$NS" patch secret orders-credentials --type=merge \
    -p "{\"data\":{\"password\":\"$(printf %s "$new" | base64 -w0)\"}}" >/dev/null
# (TLS is on by default for a new instance: the uri and jdbc-url say sslmode, issue 13.)
want_uri="postgresql://app:n3w%3Ap%40ss%2Fword@orders.$NS.svc.cluster.local:5432/orders?sslmode=verify-full"
wait_for 20 "the uri rebuilt from the edited password" uri_is orders "$want_uri"
expect_eq "$(secret_key orders-credentials password)" "$new" "password after the hand edit"
expect_eq "$(secret_key orders-credentials jdbc-url)" \
    "jdbc:postgresql://orders.$NS.svc.cluster.local:5432/orders?sslmode=verify-full" "jdbc-url after the hand edit"
wait_for 20 "a Normal Event PasswordChanged" has_event orders PasswordChanged Normal
event_msgs orders PasswordChanged | grep -qF "n3w" && fail "an Event holds the password"
sleep 3
expect_eq "$(pod_state orders)" "$before" "StatefulSet revision/pod uid after the hand edit"
not_degraded orders || fail "Degraded after the hand edit: $(cond orders Degraded message)"

# credentialsSecretRef: a change later is taken within seconds.
k -n "$NS" create secret generic refd-pw --from-literal=password=first-password >/dev/null
printf 'apiVersion: dbaas.dev/v1alpha1\nkind: DBInstance\nmetadata: {name: refd}\nspec: {engine: postgresql, version: "16", database: shop, credentialsSecretRef: {name: refd-pw}}\n' |
    k -n "$NS" apply -f - >/dev/null
wait_for 90 "refd to be Ready" dbi_ready refd
expect_eq "$(secret_key refd-credentials password)" first-password "password from the ref"
set_ref() { k -n "$NS" create secret generic refd-pw "$@" --dry-run=client -o yaml | k -n "$NS" apply -f - >/dev/null; }
password_is() { [ "$(secret_key "$1-credentials" password)" = "$2" ]; }
before=$(pod_state refd)
set_ref --from-literal=password=second-password
wait_for 15 "the changed ref password to be taken" password_is refd second-password
wait_for 10 "the uri rebuilt from the ref" uri_is refd \
    "postgresql://app:second-password@refd.$NS.svc.cluster.local:5432/shop?sslmode=verify-full"
wait_for 20 "a PasswordChanged Event for the ref" has_event refd PasswordChanged Normal

# Passwords we cannot use are refused, naming why; the current one stays.
degraded_says() { degraded_is refd True/InvalidSpec && [[ $(cond refd Degraded message) == *"$1"* ]]; }
set_ref --from-literal=password="$(head -c 1500 /dev/zero | tr '\0' x)"
wait_for 15 "a 1500-byte password refused" degraded_says "password is 1500 bytes; at most 1024"
printf 'third-password\n' >"$tmp/pw"
set_ref --from-file=password="$tmp/pw"
wait_for 15 "a trailing newline refused" degraded_says "password ends with a newline"
expect_eq "$(secret_key refd-credentials password)" second-password "password while refused"
dbi_ready refd || fail "refd not Ready while a bad ref password is refused"
long=$(head -c 1024 /dev/zero | tr '\0' y)
set_ref --from-literal=password="$long"
wait_for 15 "a 1024-byte password taken" password_is refd "$long"
wait_for 15 "Degraded to clear with a 1024-byte password" not_degraded refd
# The ref pointed at a Secret that does not exist: said, the current password kept.
k -n "$NS" patch dbi refd --type=merge -p '{"spec":{"credentialsSecretRef":{"name":"nope"}}}' >/dev/null
wait_for 15 "a missing ref Secret said" degraded_says 'Secret "nope" not found'
password_is refd "$long" || fail "the password changed while the ref named a missing Secret"
dbi_ready refd || fail "refd not Ready while the ref names a missing Secret"
k -n "$NS" patch dbi refd --type=merge -p '{"spec":{"credentialsSecretRef":{"name":"refd-pw"}}}' >/dev/null
wait_for 15 "Degraded to clear with the ref back" not_degraded refd
expect_eq "$(pod_state refd)" "$before" "StatefulSet revision/pod uid after the ref changes"

# Our own Secret edited to an unusable password: CredentialsLost naming it.
k -n "$NS" patch secret orders-credentials --type=merge \
    -p "{\"data\":{\"password\":\"$(head -c 1500 /dev/zero | tr '\0' z | base64 -w0)\"}}" >/dev/null
wait_for 20 "CredentialsLost for a 1500-byte password" degraded_is orders True/CredentialsLost
[[ $(cond orders Degraded message) == *"password is 1500 bytes; at most 1024"* ]] ||
    fail "the message does not name the length: $(cond orders Degraded message)"
stop_operator
