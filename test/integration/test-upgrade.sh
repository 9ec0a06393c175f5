# Operator upgrade: the operator built from the previous landed commit (test/upgrade/FROM)
# creates a DBInstance of each engine and a HACluster (through the real Zalando operator);
# this tree's operator takes the same objects over. No pod template may change (a change
# restarts the database) except at the paths listed in test/upgrade/expected-template-changes,
# no pod is replaced, no password or uri changes. For the HACluster the postgresql object's
# spec must stay as it was (Zalando rolls its pods on a change), its pods stay, and the
# password stays.
# Other writes are allowed (a new annotation on a child, say); their count is printed. Last,
# the new operator deletes the objects the old one created (their finalizers included).
#
# Bumping FROM: test/upgrade/FROM holds the full hash of the commit main pointed at before
# the change being landed. When you land a change, first set it to main's current commit
#     git rev-parse origin/main >test/upgrade/FROM     # or main, in a local clone
# and delete the lines of test/upgrade/expected-template-changes that belonged to the older
# upgrade (the test names them: "listed but unchanged"). The old operator is built once from
# `git archive` of that commit into ~/.cache/dbaas-operator/operator-<commit>/ (outside the
# repository) and reused; a shallow clone lacks the commit (git fetch --unshallow).
# tools: zalando
. "$ROOT/test/integration/lib.sh"

tmp=$(mktemp -d)
OP_PID=
on_exit() {
    local rc=$?
    set +e
    [ -n "$OP_PID" ] && { kill -9 "$OP_PID" && wait "$OP_PID"; } 2>/dev/null
    stop_zalando
    if [ "$rc" -ne 0 ] || [ -n "${DEBUG:-}" ]; then
        for l in old new; do
            [ -s "$tmp/$l.log" ] && { echo "--- $l operator log (last 30 lines)"; tail -n 30 "$tmp/$l.log"; }
        done
    fi
    rm -rf "$tmp"
}
trap on_exit EXIT

# ---- the old operator: built from FROM, cached outside the repository
from=$(tr -d '[:space:]' <"$ROOT/test/upgrade/FROM")
[[ $from =~ ^[0-9a-f]{40}$ ]] || fail "test/upgrade/FROM must hold a full commit hash, has '$from'"
cache=${XDG_CACHE_HOME:-$HOME/.cache}/dbaas-operator/operator-$from
if [ ! -x "$cache/dbaas-operator" ] || [ ! -d "$cache/crds" ]; then
    git -C "$ROOT" cat-file -e "$from^{commit}" 2>/dev/null ||
        fail "commit $from (test/upgrade/FROM) is not in this clone (a shallow clone needs git fetch --unshallow)"
    start=$SECONDS
    mkdir -p "$tmp/src"
    git -C "$ROOT" archive "$from" | tar -x -C "$tmp/src"
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$tmp/src" -j2 bin/dbaas-operator >"$tmp/build.log" 2>&1 ||
        { tail -n 40 "$tmp/build.log"; fail "building the operator of $from"; }
    mkdir -p "$(dirname "$cache")"
    stage=$(mktemp -d "$cache.XXXXXX")
    chmod 755 "$stage"
    cp "$tmp/src/bin/dbaas-operator" "$stage/"
    cp -r "$tmp/src/crds" "$stage/"
    rm -rf "$cache"
    mv -T "$stage" "$cache"
    rm -rf "$tmp/src"
    echo "built the operator of ${from:0:12} in $((SECONDS - start)) s"
fi

# ---- the old operator creates one DBInstance per engine
k apply --server-side --force-conflicts -f "$cache/crds/" >/dev/null
k wait --for=condition=Established --timeout=60s -f "$cache/crds/" >/dev/null
OP_BIN=$cache/dbaas-operator start_operator "$tmp/old.log"

k -n "$NS" apply -f - >/dev/null <<'EOF'
apiVersion: dbaas.dev/v1alpha1
kind: DBInstance
metadata:
  name: orders
  # Labels and annotations reach the children's metadata under the new operator, never the
  # pod template: the takeover must leave the pod alone (checked below).
  labels: {team: payments, app.kubernetes.io/part-of: shop}
  annotations: {example.com/owner: payments@example.com}
spec:
  engine: postgresql
  version: "16.4"
  database: orders
  username: shop
  storage: {size: 1Gi}
  resources:
    requests: {cpu: 100m, memory: 128Mi}
    limits: {cpu: 500m, memory: 512Mi}
  parameters: {max_connections: "150", shared_buffers: 64MB}
---
apiVersion: dbaas.dev/v1alpha1
kind: DBInstance
metadata: {name: inventory}
spec: {engine: mysql, version: "8.4", database: inventory, storage: {size: 1Gi}}
---
apiVersion: v1
kind: Secret
metadata: {name: catalog-password}
stringData: {password: "chosen-by-the-user-and-long-enough"}
---
apiVersion: dbaas.dev/v1alpha1
kind: DBInstance
metadata: {name: catalog}
spec:
  engine: mariadb
  version: "11.4"
  database: catalog
  credentialsSecretRef: {name: catalog-password}
  storage: {size: 1Gi}
EOF
names="orders inventory catalog"
# A HACluster, through the real Zalando operator.
start_zalando
k -n "$NS" apply -f - >/dev/null <<'EOF'
apiVersion: dbaas.dev/v1alpha1
kind: HACluster
metadata: {name: ledger}
spec:
  version: "16"
  replicas: 2
  database: ledger
  storage: {size: 1Gi}
  resources: {requests: {cpu: 10m, memory: 100Mi}}
  parameters: {max_connections: "120"}
EOF
# hac_converged NAME: Ready with every pod, for the generation last evaluated, Zalando Running.
hac_converged() {
    hac_ready "$1" && hac_is "$1" '{.status.readyText}' 2/2 && hac_is "$1" '{.status.zalandoStatus}' Running &&
        [ "$(hac_field "$1" '{.status.observedGeneration}')" = "$(hac_field "$1" '{.metadata.generation}')" ]
}
# converged NAME: Ready, for the generation the operator last evaluated.
converged() {
    dbi_ready "$1" &&
        [ "$(dbi_field "$1" '{.status.observedGeneration}')" = "$(dbi_field "$1" '{.metadata.generation}')" ]
}
pod_uid() { k -n "$NS" get pod "$1-0" -o jsonpath='{.metadata.uid}'; }
for n in $names; do
    wait_for 90 "$n to be Ready under the old operator" converged "$n"
    wait_for 30 "$n's pod" pod_uid "$n"
done
wait_for 240 "ledger to be Ready 2/2 under the old operator" hac_converged ledger
settle_writes op_writes

# template NAME: the StatefulSet's pod template as JSON with sorted keys.
template() {
    k -n "$NS" get statefulset "$1" -o json |
        python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["spec"]["template"], sort_keys=True, indent=1))'
}
sts_field() { k -n "$NS" get statefulset "$1" -o jsonpath="$2"; }
# record NAME WHEN: what must survive the upgrade, in $tmp/NAME.WHEN.*
record() {
    template "$1" >"$tmp/$1.$2.template"
    sts_field "$1" '{.metadata.generation}' >"$tmp/$1.$2.generation"
    sts_field "$1" '{.status.updateRevision}' >"$tmp/$1.$2.revision"
    pod_uid "$1" >"$tmp/$1.$2.pod"
    for key in password superuser-password uri; do
        secret_key "$1-credentials" "$key" >"$tmp/$1.$2.$key"
        [ -s "$tmp/$1.$2.$key" ] || fail "$1-credentials has no $key"
    done
}
for n in $names; do record "$n" old; done
# hac_record WHEN: the postgresql object's spec and generation, Zalando's pod template, the
# pods' uids and the password, in $tmp/ledger.WHEN.*
hac_record() {
    k -n "$NS" get postgresql ledger -o json | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["spec"], sort_keys=True, indent=1))' \
        >"$tmp/ledger.$1.pgspec"
    k -n "$NS" get postgresql ledger -o jsonpath='{.metadata.generation}' >"$tmp/ledger.$1.pggen"
    template ledger >"$tmp/ledger.$1.template"
    k -n "$NS" get pods -l cluster-name=ledger -o jsonpath='{range .items[*]}{.metadata.name}={.metadata.uid}{"\n"}{end}' |
        sort >"$tmp/ledger.$1.pods"
    secret_key ledger-credentials password >"$tmp/ledger.$1.password"
    [ -s "$tmp/ledger.$1.password" ] || fail "ledger-credentials has no password"
    [ "$(wc -l <"$tmp/ledger.$1.pods")" -eq 2 ] || fail "ledger has not 2 pods: $(cat "$tmp/ledger.$1.pods")"
}
hac_record old
stop_operator

# ---- this tree's operator takes over
install_crds
start=$(date +%s.%N)
start_operator "$tmp/new.log"
for n in $names; do wait_for 90 "$n to be Ready under the new operator" converged "$n"; done
wait_for 90 "ledger to be Ready 2/2 under the new operator" hac_converged ledger
settle_writes op_writes
for n in $names; do converged "$n" || fail "$n is no longer Ready with its generation observed"; done
took=$(python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$start" "$(date +%s.%N)")
echo "takeover of ${from:0:12}'s objects: $took s (including the 2 s quiet window of settle_writes)"
echo "writes by the new operator: $(op_writes)"
curl -sf "http://127.0.0.1:$OP_PORT/metrics" | grep '^dbaas_api_requests_total' | grep -v 'verb="GET"' |
    sed 's/^/    /' || true

# ---- judge: template paths against the expected list, pods, revisions, credentials
allowed=$(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$ROOT/test/upgrade/expected-template-changes" || true)
is_allowed() {
    local a
    for a in $allowed; do
        [[ $1 == "$a" || $1 == "$a"/* ]] && return 0
    done
    return 1
}
problems=()
seen=()
for n in $names; do
    record "$n" new
    changed=0 expected=0
    while IFS=$'\t' read -r path was now; do
        [ -n "$path" ] || continue
        changed=1
        if is_allowed "$path"; then
            echo "$n: expected template change $path: $was -> $now"
            expected=1
            seen+=("$path")
        else
            problems+=("$n: pod template changed at $path: $was -> $now")
        fi
    done < <(python3 "$ROOT/test/upgrade/template-diff.py" "$tmp/$n.old.template" "$tmp/$n.new.template")
    # An expected template change rolls the pod; otherwise the pod must be the same one.
    if [ "$expected" -eq 0 ]; then
        cmp -s "$tmp/$n.old.pod" "$tmp/$n.new.pod" ||
            problems+=("$n: pod $n-0 was replaced (uid $(cat "$tmp/$n.old.pod") -> $(cat "$tmp/$n.new.pod"))")
        cmp -s "$tmp/$n.old.revision" "$tmp/$n.new.revision" ||
            problems+=("$n: StatefulSet updateRevision $(cat "$tmp/$n.old.revision") -> $(cat "$tmp/$n.new.revision")")
    fi
    [ "$changed" -eq 1 ] || cmp -s "$tmp/$n.old.generation" "$tmp/$n.new.generation" ||
        echo "$n: StatefulSet generation $(cat "$tmp/$n.old.generation") -> $(cat "$tmp/$n.new.generation") (a spec change outside the pod template)"
    for key in password superuser-password uri; do
        cmp -s "$tmp/$n.old.$key" "$tmp/$n.new.$key" || problems+=("$n: the Secret's $key changed")
    done
done
# The HACluster: what Zalando acts on is untouched, so its pods stay.
hac_record new
for what in pgspec pggen template pods password; do
    cmp -s "$tmp/ledger.old.$what" "$tmp/ledger.new.$what" ||
        problems+=("ledger: $what changed: $(diff "$tmp/ledger.old.$what" "$tmp/ledger.new.$what" | head -n 20 | tr '\n' ' ' || true)")
done
for a in $allowed; do
    used=0
    for s in "${seen[@]}"; do [[ $s == "$a" || $s == "$a"/* ]] && used=1; done
    [ "$used" -eq 1 ] ||
        problems+=("$a is listed in test/upgrade/expected-template-changes but unchanged: delete it (FROM is past that change)")
done
if [ "${#problems[@]}" -gt 0 ]; then
    printf '%s\n' "${problems[@]}" >&2
    fail "upgrading from ${from:0:12}: ${#problems[@]} problem(s); a pod template change that is meant must be listed in test/upgrade/expected-template-changes and README.md's upgrade notes"
fi
# The labelled instance's labels reached its children (so the check above covered them).
[ "$(sts_field orders '{.metadata.labels.team}')" = payments ] ||
    fail "orders: the StatefulSet lacks the DBInstance's label team under the new operator"
# The new operator also finishes what the old one started: deletion through its finalizer.
for n in $names; do k -n "$NS" delete dbinstance "$n" --timeout=60s >/dev/null; done
gone() { ! k -n "$NS" get "$@" >/dev/null 2>&1; }
for n in $names; do wait_for 30 "$n's claim to go" gone pvc "data-$n-0"; done
k -n "$NS" delete hacluster ledger --timeout=60s >/dev/null
wait_for 60 "ledger's postgresql object to go" gone postgresql ledger
stop_operator
echo "upgrade from ${from:0:12}: pod templates unchanged but for the expected list (${#seen[@]} change(s)), credentials kept; the HACluster's postgresql spec, pods and password unchanged"
