#!/usr/bin/env bash
# Churn for the soak and its CI variant (issue 16, section 4): for MINUTES, random creates,
# updates and deletes among OBJECTS DBInstance names in namespace NS (all three engines,
# both deletion policies), and with CHURN_KINDS naming them (default: all three kinds) of
# DBSnapshots of the DBInstances on the CSI mock (every fifth name: storageClassName
# csi-mock) and of CHURN_HACLUSTERS (default 2) HAClusters through the Zalando operator,
# with the operator of OP_PID sampled every SAMPLE seconds into CSV (seconds,rss_kib,objects:
# of the three kinds; with METRICS_URL, the operator's /metrics, also cached: all informers'
# objects, heap_kib and heap_free_kib: malloc's in use and kept, dbaas_heap_*_bytes). Then it stops changing things and asserts the end state:
# - every DBInstance and HACluster left converges (Ready at its generation);
# - every DBSnapshot left is ready, or (its DBInstance gone before it was taken) says
#   InstanceNotFound at its generation;
# - nothing of a deleted object is left: no labelled child of an object that no longer
#   exists, except the claim and Secret a Retain policy keeps, which must then have no owner.
#
#   churn.sh NS MINUTES OBJECTS CSV        (KUBECTL, OP_PID set by the caller; the CSI stack
#                                           and the Zalando operator started by it when the
#                                           kinds need them: hack/csi.sh, start_zalando)
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
kinds=" ${CHURN_KINDS:-dbinstance dbsnapshot hacluster} "
hacs=${CHURN_HACLUSTERS:-2}
[[ $kinds == *" hacluster "* ]] || hacs=0
RANDOM=$seed
echo "churn: $objects names,${kinds% }, $hacs HAClusters, $minutes min, seed $seed"

engines=(postgresql mysql mariadb)
versions=(16 8.4 11.4)
policies=(Delete Retain)
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$OP_PID/status"; }
# ",cached,heap_kib,heap_free_kib" from the operator's /metrics (empty fields when it does
# not answer).
from_metrics() {
    local text
    text=$(curl -fsS --max-time 5 "$METRICS_URL" 2>/dev/null) || { echo ",,,"; return; }
    awk '/^dbaas_informer_objects\{/ {cached += $2}
        /^dbaas_heap_inuse_bytes / {heap = $2 / 1024}
        /^dbaas_heap_free_bytes / {free = $2 / 1024}
        END {printf ",%d,%d,%d\n", cached, heap, free}' <<<"$text"
}
if [ -n "${METRICS_URL:-}" ]; then
    echo "seconds,rss_kib,objects,cached,heap_kib,heap_free_kib" >"$csv"
else
    echo "seconds,rss_kib,objects" >"$csv"
fi
# CHURN_PREFILL=1: start from the population the churn keeps on average (creates are 2 of
# the 8 turns, deletes 1, so two names in three exist), so RSS after the warm-up measures the
# operator and not a cluster still filling up. One apply, before the clock starts.
if [ -n "${CHURN_PREFILL:-}" ]; then
    for ((i = 0; i < objects; i++)); do
        [ $((i / 3 % 3)) -eq 2 ] && continue # a third of each engine
        e=$((i % 3))
        class=
        [ $((i % 5)) -eq 0 ] && [[ $kinds == *" dbsnapshot "* ]] && class=", storageClassName: csi-mock"
        printf -- '---\napiVersion: dbaas.dev/v1alpha1\nkind: DBInstance\nmetadata: {name: c%s}\n' "$i"
        printf 'spec: {engine: %s, version: "%s", database: shop, storage: {size: 1Gi%s}, deletionPolicy: %s}\n' \
            "${engines[$e]}" "${versions[$e]}" "$class" "${policies[$((i % 2))]}"
    done | k -n "$NS" apply -f - >/dev/null
    echo "churn: prefilled $(k -n "$NS" get dbinstances -o name | wc -l) DBInstances"
fi
t0=$SECONDS
next_sample=0
ops=0
per_op=()
while [ $((SECONDS - t0)) -lt $((minutes * 60)) ]; do
    if [ $((SECONDS - t0)) -ge $next_sample ]; then
        kill -0 "$OP_PID" || fail "the operator died during the churn"
        line="$((SECONDS - t0)),$(rss_kib),$(k -n "$NS" get dbinstances,dbsnapshots,haclusters -o name | wc -l)"
        [ -z "${METRICS_URL:-}" ] || line+=$(from_metrics)
        echo "$line" >>"$csv"
        next_sample=$((next_sample + sample))
    fi
    i=$((RANDOM % objects))
    n=c$i
    # The engine goes with the name: a volume kept by Retain is taken over only by an
    # instance of the same engine and version (a different one is a ChildConflict, by design).
    # So does the class: every fifth name is on the CSI mock, the others on the pool.
    e=$((i % 3))
    class=
    [ $((i % 5)) -eq 0 ] && [[ $kinds == *" dbsnapshot "* ]] && class=", storageClassName: csi-mock"
    op=$((RANDOM % 8))
    # The other kinds' turns, when they are not churned, go to the DBInstances.
    [[ $op -ge 4 && $op -le 5 && $kinds != *" dbsnapshot "* ]] && op=$((op - 4))
    [[ $op -ge 6 && $hacs -eq 0 ]] && op=$((op - 6))
    case $op in
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
  storage: {size: 1Gi$class}
  resources: {requests: {memory: $((256 + RANDOM % 4 * 64))Mi}}
  deletionPolicy: ${policies[$((RANDOM % 2))]}
EOF
        ;;
    2) k -n "$NS" patch dbinstance "$n" --type=merge -p "{\"spec\":{\"parameters\":{\"max_connections\":\"$((100 + RANDOM % 100))\"}}}" >/dev/null 2>&1 || true ;;
    3) k -n "$NS" delete dbinstance "$n" --wait=false >/dev/null 2>&1 || true ;;
    4)
        # A DBSnapshot of a name on the CSI mock (whether or not the DBInstance exists now).
        j=$((RANDOM % ((objects + 4) / 5) * 5))
        k -n "$NS" apply -f - >/dev/null 2>&1 <<EOF || true
apiVersion: dbaas.dev/v1alpha1
kind: DBSnapshot
metadata: {name: s$j}
spec: {instanceName: c$j}
EOF
        ;;
    5) k -n "$NS" delete dbsnapshot "s$((RANDOM % ((objects + 4) / 5) * 5))" --wait=false >/dev/null 2>&1 || true ;;
    6)
        k -n "$NS" apply -f - >/dev/null 2>&1 <<EOF || true
apiVersion: dbaas.dev/v1alpha1
kind: HACluster
metadata: {name: h$((RANDOM % hacs))}
spec: {version: "16", replicas: $((1 + RANDOM % 2)), database: shop, storage: {size: 1Gi}}
EOF
        ;;
    7) k -n "$NS" delete hacluster "h$((RANDOM % hacs))" --wait=false >/dev/null 2>&1 || true ;;
    esac
    ops=$((ops + 1))
    per_op[op]=$((${per_op[op]:-0} + 1))
    sleep 0.$((RANDOM % 5))
done
echo "churn: $ops changes: DBInstance $((${per_op[0]:-0} + ${per_op[1]:-0})) applies," \
    "${per_op[2]:-0} patches, ${per_op[3]:-0} deletes; DBSnapshot ${per_op[4]:-0} applies," \
    "${per_op[5]:-0} deletes; HACluster ${per_op[6]:-0} applies, ${per_op[7]:-0} deletes"

# The end state.
current() {
    local gen obs
    gen=$(dbi_field "$1" '{.metadata.generation}')
    obs=$(dbi_field "$1" '{.status.observedGeneration}')
    [ -n "$gen" ] && [ "$gen" = "$obs" ] && dbi_ready "$1"
}
settled_snapshot() { # NAME INSTANCE
    local gen obs st reason
    gen=$(k -n "$NS" get dbsnapshot "$1" -o jsonpath='{.metadata.generation}' 2>/dev/null)
    obs=$(k -n "$NS" get dbsnapshot "$1" -o jsonpath='{.status.observedGeneration}' 2>/dev/null)
    st=$(k -n "$NS" get dbsnapshot "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)
    reason=$(k -n "$NS" get dbsnapshot "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].reason}' 2>/dev/null)
    [ -n "$gen" ] && [ "$gen" = "$obs" ] || return 1
    [ "$st" = True ] && return 0
    # Never taken: its DBInstance went first. Fine only while that one is gone.
    [ "$reason" = InstanceNotFound ] && ! k -n "$NS" get dbinstance "$2" >/dev/null 2>&1
}
hac_current() {
    [ "$(hac_field "$1" '{.metadata.generation}')" = "$(hac_field "$1" '{.status.observedGeneration}')" ] &&
        hac_ready "$1"
}
all_current() {
    local n src
    # A deletion still running.
    [ -z "$(k -n "$NS" get dbinstances,dbsnapshots,haclusters -o jsonpath='{range .items[?(@.metadata.deletionTimestamp)]}{.metadata.name}{"\n"}{end}')" ] ||
        return 1
    for n in $(k -n "$NS" get dbinstances -o jsonpath='{.items[*].metadata.name}'); do
        current "$n" || return 1
    done
    while read -r n src; do
        [ -z "$n" ] || settled_snapshot "$n" "$src" || return 1
    done < <(k -n "$NS" get dbsnapshots -o jsonpath='{range .items[*]}{.metadata.name} {.spec.instanceName}{"\n"}{end}')
    for n in $(k -n "$NS" get haclusters -o jsonpath='{.items[*].metadata.name}'); do
        hac_current "$n" || return 1
    done
}
# Not wait_for: on a timeout, say which objects did not converge and what they say.
deadline=$((SECONDS + 300))
until all_current; do
    if [ $SECONDS -ge $deadline ]; then
        echo "churn: not converged after 300 s; the objects as they are:"
        k -n "$NS" get dbinstances,dbsnapshots,haclusters -o custom-columns='KIND:.kind,NAME:.metadata.name,GEN:.metadata.generation,OBSERVED:.status.observedGeneration,DELETING:.metadata.deletionTimestamp,READY:.status.conditions[?(@.type=="Ready")].status,REASON:.status.conditions[?(@.type=="Ready")].reason,MESSAGE:.status.conditions[?(@.type=="Ready")].message' || true
        fail "the objects did not converge within 300 s of the churn's end"
    fi
    sleep 2
done
echo "churn: converged $((SECONDS - deadline + 300)) s after the last change"
# Labelled children of objects that no longer exist, a "kind/name (instance, owner)" line
# each. The instance label names the DBInstance, DBSnapshot or HACluster of the child (the
# name label says which kind); a Retain policy keeps a DBInstance's claim and Secret, which
# must then have no owner.
orphans_now() {
    local live kind name inst owner app
    live=" $(k -n "$NS" get dbinstances,dbsnapshots,haclusters -o jsonpath='{range .items[*]}{.kind}/{.metadata.name} {end}') "
    # The owner last: read collapses an empty field, and a kept claim has none.
    while read -r kind name inst app owner; do
        [ -n "$kind" ] || continue
        case $app in
        dbsnapshot) [[ $live == *" DBSnapshot/$inst "* ]] && continue ;;
        hacluster) [[ $live == *" HACluster/$inst "* ]] && continue ;;
        *) [[ $live == *" DBInstance/$inst "* ]] && continue ;;
        esac
        # A DBInstance's children are named for its engine.
        if [[ $app != dbsnapshot && $app != hacluster ]] && [ -z "$owner" ] &&
            [[ $kind == PersistentVolumeClaim || $kind == Secret ]]; then
            continue
        fi
        echo "$kind/$name (instance $inst, owner '${owner:-}')"
    done < <(k -n "$NS" get "$children_kinds" -l app.kubernetes.io/managed-by=dbaas-operator \
        -o jsonpath='{range .items[*]}{.kind} {.metadata.name} {.metadata.labels.app\.kubernetes\.io/instance} {.metadata.labels.app\.kubernetes\.io/name} {.metadata.ownerReferences[0].uid}{"\n"}{end}')
}
children_kinds=secrets,services,statefulsets,configmaps,persistentvolumeclaims
[[ $kinds == *" dbsnapshot "* ]] && children_kinds+=,volumesnapshots.snapshot.storage.k8s.io
[ "$hacs" -gt 0 ] && children_kinds+=,postgresqls.acid.zalan.do
mapfile -t orphans < <(orphans_now)
# Owned objects of a deleted instance go with the garbage collector, a moment later.
if [ "${#orphans[@]}" -gt 0 ]; then
    sleep 20
    mapfile -t orphans < <(orphans_now)
fi
[ "${#orphans[@]}" -eq 0 ] || fail "children of deleted objects left: ${orphans[*]}"
echo "churn: converged; at the end $(k -n "$NS" get dbinstances -o name | wc -l) DBInstances," \
    "$(k -n "$NS" get dbsnapshots -o name | wc -l) DBSnapshots, $(k -n "$NS" get haclusters -o name | wc -l) HAClusters; no orphan"
