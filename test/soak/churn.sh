#!/usr/bin/env bash
# Churn for the soak and its CI variant (issue 16, section 4): for MINUTES, random creates,
# updates and deletes of DBInstances (all three engines, both deletion policies) among
# OBJECTS names in namespace NS, with the operator of OP_PID sampled every SAMPLE seconds
# into CSV (seconds,rss_kib,objects). Then it stops changing things and asserts the end state:
# every DBInstance left converges (Ready at its generation), nothing of a deleted one is
# left (no labelled child of an instance that no longer exists, except the claim and
# Secret a Retain policy keeps, which must then have no owner).
#
#   churn.sh NS MINUTES OBJECTS CSV        (KUBECTL, OP_PID set by the caller)
#
# Sourced helpers come from test/integration/lib.sh. Seeded by CHURN_SEED (default: random,
# printed) so a failing run can be repeated.
set -euo pipefail
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
export ROOT
. "$ROOT/test/integration/lib.sh"
NS=$1
minutes=$2
objects=$3
csv=$4
sample=${SAMPLE:-10}
seed=${CHURN_SEED:-$RANDOM}
RANDOM=$seed
echo "churn: $objects names, $minutes min, seed $seed"

engines=(postgresql mysql mariadb)
versions=(16 8.4 11.4)
policies=(Delete Retain)
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$OP_PID/status"; }
echo "seconds,rss_kib,objects" >"$csv"
t0=$SECONDS
next_sample=0
ops=0
while [ $((SECONDS - t0)) -lt $((minutes * 60)) ]; do
    if [ $((SECONDS - t0)) -ge $next_sample ]; then
        kill -0 "$OP_PID" || fail "the operator died during the churn"
        echo "$((SECONDS - t0)),$(rss_kib),$(k -n "$NS" get dbinstances -o name | wc -l)" >>"$csv"
        next_sample=$((next_sample + sample))
    fi
    i=$((RANDOM % objects))
    n=c$i
    # The engine goes with the name: a volume kept by Retain is taken over only by an
    # instance of the same engine and version (a different one is a ChildConflict, by design).
    e=$((i % 3))
    case $((RANDOM % 4)) in
    0 | 1)
        # Create (or re-apply with another memory request: an update that rolls).
        k -n "$NS" apply -f - >/dev/null 2>&1 <<EOF || true
apiVersion: dbaas.dev/v1alpha1
kind: DBInstance
metadata: {name: $n}
spec:
  engine: ${engines[$e]}
  version: "${versions[$e]}"
  database: shop
  resources: {requests: {memory: $((256 + RANDOM % 4 * 64))Mi}}
  deletionPolicy: ${policies[$((RANDOM % 2))]}
EOF
        ;;
    2) k -n "$NS" patch dbinstance "$n" --type=merge -p "{\"spec\":{\"parameters\":{\"max_connections\":\"$((100 + RANDOM % 100))\"}}}" >/dev/null 2>&1 || true ;;
    3) k -n "$NS" delete dbinstance "$n" --wait=false >/dev/null 2>&1 || true ;;
    esac
    ops=$((ops + 1))
    sleep 0.$((RANDOM % 5))
done
echo "churn: $ops changes"

# The end state.
current() {
    local gen obs
    gen=$(dbi_field "$1" '{.metadata.generation}')
    obs=$(dbi_field "$1" '{.status.observedGeneration}')
    [ -n "$gen" ] && [ "$gen" = "$obs" ] && dbi_ready "$1"
}
all_current() {
    local n
    for n in $(k -n "$NS" get dbinstances -o jsonpath='{range .items[?(@.metadata.deletionTimestamp)]}{.metadata.name}{"\n"}{end}'); do
        return 1 # a deletion still running
    done
    for n in $(k -n "$NS" get dbinstances -o jsonpath='{.items[*].metadata.name}'); do
        current "$n" || return 1
    done
}
wait_for 300 "every DBInstance to converge after the churn" all_current
live=" $(k -n "$NS" get dbinstances -o jsonpath='{.items[*].metadata.name}') "
orphans=()
while read -r kind name inst owner; do
    [ -n "$kind" ] || continue
    [[ $live == *" $inst "* ]] && continue
    case $kind in
    PersistentVolumeClaim | Secret)
        # Kept by Retain: fine when nothing owns it any more (the collector would take it).
        [ -z "$owner" ] && continue
        ;;
    esac
    orphans+=("$kind/$name (instance $inst, owner '${owner:-}')")
done < <(k -n "$NS" get secrets,services,statefulsets,configmaps,persistentvolumeclaims \
    -l app.kubernetes.io/managed-by=dbaas-operator \
    -o jsonpath='{range .items[*]}{.kind} {.metadata.name} {.metadata.labels.app\.kubernetes\.io/instance} {.metadata.ownerReferences[0].uid}{"\n"}{end}')
# Owned objects of a deleted instance go with the garbage collector, a moment later.
if [ "${#orphans[@]}" -gt 0 ]; then
    sleep 20
    orphans=()
    live=" $(k -n "$NS" get dbinstances -o jsonpath='{.items[*].metadata.name}') "
    while read -r kind name inst owner; do
        [ -n "$kind" ] || continue
        [[ $live == *" $inst "* ]] && continue
        case $kind in PersistentVolumeClaim | Secret) [ -z "$owner" ] && continue ;; esac
        orphans+=("$kind/$name (instance $inst)")
    done < <(k -n "$NS" get secrets,services,statefulsets,configmaps,persistentvolumeclaims \
        -l app.kubernetes.io/managed-by=dbaas-operator \
        -o jsonpath='{range .items[*]}{.kind} {.metadata.name} {.metadata.labels.app\.kubernetes\.io/instance} {.metadata.ownerReferences[0].uid}{"\n"}{end}')
fi
[ "${#orphans[@]}" -eq 0 ] || fail "children of deleted instances left: ${orphans[*]}"
echo "churn: converged; $(k -n "$NS" get dbinstances -o name | wc -l) DBInstances at the end, no orphan"
