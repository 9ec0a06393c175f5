# Input the schema lets through but the operator cannot use: Ready=False, reason InvalidSpec,
# a message naming the field, no children, no hot loop; recovery once the input is fixed.
. "$ROOT/test/integration/lib.sh"

with_operator

dbi() { # dbi NAME VERSION [EXTRA_SPEC_YAML]
    printf 'apiVersion: dbaas.dev/v1alpha1\nkind: DBInstance\nmetadata: {name: %s}\nspec:\n  engine: postgresql\n  version: "%s"\n  database: app\n%s\n' "$1" "$2" "${3:-}"
}

# A version the pattern allows but no image exists for.
dbi old 12 | k -n "$NS" apply -f - >/dev/null
wait_for 30 "InvalidSpec for the version" dbi_reason old InvalidSpec
msg=$(dbi_field old '{.status.conditions[?(@.type=="Ready")].message}')
grep -q '^spec.version' <<<"$msg" || fail "message does not name spec.version: $msg"
expect_eq "$(dbi_field old '{.status.phase}')" "Failed" "phase"
k -n "$NS" get statefulset old >/dev/null 2>&1 && fail "children were made for an invalid spec"
k -n "$NS" get secret old-credentials >/dev/null 2>&1 && fail "a Secret was made for an invalid spec"

# A credentials Secret that does not exist yet.
dbi ext 16 "  credentialsSecretRef: {name: ext-password}" | k -n "$NS" apply -f - >/dev/null
wait_for 30 "InvalidSpec for the Secret" dbi_reason ext InvalidSpec
msg=$(dbi_field ext '{.status.conditions[?(@.type=="Ready")].message}')
grep -q 'spec.credentialsSecretRef.name: Secret "ext-password" not found' <<<"$msg" || fail "message: $msg"

# No hot loop: a few seconds of retries cost few requests. The backoff doubles from 5 ms, so
# about 3 runs fall in the window; 10 leaves room for a loaded machine and still catches a
# retry every second.
sleep 2
reconciles() { curl -sf "http://127.0.0.1:$OP_PORT/metrics" | awk '/^dbaas_reconciles_total/ {n += $NF} END {print n + 0}'; }
r1=$(reconciles)
sleep 6
r2=$(reconciles)
[ $((r2 - r1)) -le 10 ] || fail "$((r2 - r1)) reconciles in 6 s for two broken objects: a hot loop"
events=$(k -n "$NS" get events --field-selector involvedObject.name=ext,reason=InvalidSpec -o jsonpath='{range .items[*]}{.count}{"\n"}{end}')
[ "$(wc -l <<<"$events")" -eq 1 ] || fail "the refusal made several Events: $events"

# Fixing the input recovers: the Secret appears, the version is fixed.
# The named Secret is watched (by name only), so its creation is noticed at once rather
# than at the end of a backoff; the time is reported, not asserted.
t0=$SECONDS
k -n "$NS" create secret generic ext-password --from-literal=password='s3cr3t:p@ss/word?#' >/dev/null
wait_for 120 "ext to recover" dbi_ready ext
echo "ext recovered $((SECONDS - t0)) s after its Secret was created"
expect_eq "$(secret_key ext-credentials password)" 's3cr3t:p@ss/word?#' "password from credentialsSecretRef"
uri=$(secret_key ext-credentials uri)
[[ $uri == *'s3cr3t%3Ap%40ss%2Fword%3F%23'* ]] || fail "uri not encoded: $uri"
dbi old 16 | k -n "$NS" apply -f - >/dev/null
wait_for 60 "old to recover" dbi_ready old
stop_operator
