# What one DBInstance costs the API server from create to Ready (issue 18), read from the
# operator's debug log ("api request" names every request's verb, path and code):
# - the credentials Secret is written once (its POST), never applied again;
# - the data claim is never patched (it is made with the held-data annotations from the
#   StatefulSet's template, which also say it holds data), and read with no GET once our
#   StatefulSet exists and its pod does not yet;
# - no GET of a child that does not exist: the caches of others' objects say it is free,
#   and its two Secrets (the Secret cache holds only ours: least privilege, issue 16) are
#   created with a create the server refuses when one exists after all; but of the data
#   claim (made by the StatefulSet controller, never by us: asked of the server before our
#   StatefulSet exists);
# - no CredentialsCreated, CertificateIssued or Provisioning Event for a new instance;
# - its status is written at most three times (Provisioning, Ready, and between them a
#   change of its conditions; a field filled in meanwhile waits for the next write);
# - in all at most 15 requests in the namespace, its CA's 3 included (11 for the instance at
#   the time of writing, 14 in all; the bound leaves room for what timing may add: a third
#   status write).
# Then nothing at rest.
. "$ROOT/test/integration/lib.sh"

tmp=$(mktemp -d)
trap '[ -n "${OP_PID:-}" ] && kill -9 "$OP_PID" 2>/dev/null; [ -n "${DEBUG:-}" ] && cat "$tmp/op.log"; rm -rf "$tmp"' EXIT
install_crds
OP_LOG_LEVEL=debug start_operator "$tmp/op.log"

t0=$SECONDS
k -n "$NS" apply -f - >/dev/null <<YAML
apiVersion: dbaas.dev/v1alpha1
kind: DBInstance
metadata: {name: counted}
spec: {engine: postgresql, version: "16", database: app, storage: {size: 1Gi}}
YAML
wait_for 120 "counted Ready" dbi_ready counted
echo "    Ready after $((SECONDS - t0)) s"
settle_writes op_writes

# The requests in the namespace (not the lists and watches every cache makes): "VERB CODE PATH".
requests() {
    grep ' api request verb=' "$tmp/op.log" |
        sed -n 's/.* api request verb=\([A-Z]*\) path="\{0,1\}\([^" ]*\)"\{0,1\} code=\([0-9]*\).*/\1 \3 \2/p' |
        grep " /api[s]*/.*/namespaces/$NS/" | grep -v -E '[?&](limit|watch)=' || true
}
requests >"$tmp/requests"
[ -s "$tmp/requests" ] || { grep -m3 'api request' "$tmp/op.log"; fail "no api request lines in the debug log"; }
count() { grep -c -E "$1" "$tmp/requests" || true; }
echo "    $(wc -l <"$tmp/requests") requests in the namespace: $(awk '{print $1}' "$tmp/requests" | sort | uniq -c | tr '\n' ' ')"

expect_eq "$(count "^PATCH .*/secrets/counted-credentials")" 0 "applies of the credentials Secret after its POST"
expect_eq "$(count "^POST 201 .*/namespaces/$NS/secrets\\?")" 2 "Secrets created (the namespace's CA and the credentials)"
expect_eq "$(count "^PATCH .*/persistentvolumeclaims/data-counted-0")" 0 "patches of the data claim"
held=$(k -n "$NS" get pvc data-counted-0 -o jsonpath='{.metadata.annotations.dbaas\.dev/database}')
expect_eq "$held" app "the claim's held-data annotation"
status_writes=$(count "^PATCH .*/dbinstances/counted/status")
if [ "$status_writes" -lt 2 ] || [ "$status_writes" -gt 3 ]; then
    fail "$status_writes status writes, want 2 or 3"
fi
expect_eq "$(count "^GET 404 .*/(configmaps|services|statefulsets)/")" 0 \
    "GETs of the instance's children that do not exist"
expect_eq "$(count "^GET .*/secrets/counted-")" 0 "GETs of the instance's Secrets"
for reason in CredentialsCreated CertificateIssued Provisioning; do
    n=$(k -n "$NS" get events --field-selector "reason=$reason" --no-headers 2>/dev/null | wc -l)
    expect_eq "$n" 0 "$reason Events for a new instance"
done
[ -z "${DEBUG:-}" ] || cat "$tmp/requests"
total=$(wc -l <"$tmp/requests")
[ "$total" -le 15 ] || { cat "$tmp/requests"; fail "$total requests for one DBInstance and its CA, want at most 15"; }

# At rest: nothing more.
before=$(op_writes)
sleep 5
expect_eq "$(op_writes)" "$before" "writes at rest"
