#!/usr/bin/env bash
# make soak (issue 16, section 4; not in CI): SOAK_MINUTES (default 60) of churn on
# SOAK_OBJECTS (default 200) DBInstances, DBSnapshots of a fifth of them and two HAClusters
# (test/soak/churn.sh; CHURN_KINDS narrows it) on a control plane of its own with the CSI
# stack and the Zalando operator,
# the operator's RSS sampled every 10 s into build/soak/rss.csv with what its informers cache
# and malloc's bytes in use and kept (from its /metrics), drawn into build/soak/rss.png
# (gnuplot, installed from Debian when missing). The churn starts from its average population
# (CHURN_PREFILL). After the first fifth (warm-up) the RSS must be flat: test/soak/slope.py
# prints the plain least-squares slope and the slope with the cached objects held constant,
# in KiB per hour; the latter must stay under SOAK_MAX_SLOPE_KIB_H (default 1024). Why not
# the plain one: RSS follows what the cluster holds (tens of KiB per cached object), and a
# random churn's population wanders; what the cluster does not explain is a leak or
# fragmentation, and malloc's in-use and kept bytes (also printed) tell which.
# SOAK_VALGRIND=1 (`make soak-valgrind`, 5 minutes by default) runs the operator under
# valgrind memcheck instead: zero definite or indirect leaks and zero errors.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export ROOT
cd "$ROOT"
minutes=${SOAK_MINUTES:-60}
objects=${SOAK_OBJECTS:-200}
out=build/soak
mkdir -p "$out"
export DBAAS_CLUSTER_DIR=${SOAK_CLUSTER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dbaas-operator/cluster-soak}
CLUSTER_PV_COUNT=$((objects + 40)) bash hack/cluster.sh up >/dev/null
eval "$(bash hack/cluster.sh env)"
KUBECTL=$(bash hack/cluster.sh kubectl-path)
export KUBECONFIG KUBECTL
NS=soak-$RANDOM
export NS
OP_PID=
# Zalando's state beside the cluster's (hack/zalando.sh); cluster.sh down stops it too.
export ZALANDO_STATE=$DBAAS_CLUSTER_DIR/zalando-state ZALANDO_OPERATOR_NAMESPACE=$NS
cleanup() {
    [ -n "$OP_PID" ] && kill -9 "$OP_PID" 2>/dev/null
    bash hack/cluster.sh down >/dev/null 2>&1 || true
}
trap cleanup EXIT
"$KUBECTL" create namespace "$NS" >/dev/null
"$KUBECTL" apply --server-side --force-conflicts -f crds/ >/dev/null
"$KUBECTL" wait --for=condition=Established --timeout=60s -f crds/ >/dev/null
kinds=" ${CHURN_KINDS:-dbinstance dbsnapshot hacluster} "
[[ $kinds != *" dbsnapshot "* ]] || bash hack/csi.sh start >/dev/null
[[ $kinds != *" hacluster "* ]] || bash hack/zalando.sh start "$NS" >/dev/null

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export METRICS_URL=http://127.0.0.1:$port/metrics
run=(bin/dbaas-operator --kubeconfig "$KUBECONFIG" --namespace "$NS" --log-format text --metrics-addr "127.0.0.1:$port")
if [ -n "${SOAK_VALGRIND:-}" ]; then
    run=(valgrind --leak-check=full "--show-leak-kinds=definite,indirect" "--errors-for-leak-kinds=definite,indirect"
        --error-exitcode=99 --log-file="$out/valgrind.log" "${run[@]}")
fi
"${run[@]}" >"$out/operator.log" 2>&1 &
OP_PID=$!
sleep "${SOAK_START_WAIT:-5}"
OP_PID=$OP_PID CHURN_PREFILL=${CHURN_PREFILL-1} bash test/soak/churn.sh "$NS" "$minutes" "$objects" "$out/rss.csv"

if [ -n "${SOAK_VALGRIND:-}" ]; then
    kill -TERM "$OP_PID"
    rc=0
    wait "$OP_PID" || rc=$?
    OP_PID=
    grep -E "definitely lost|indirectly lost|ERROR SUMMARY" "$out/valgrind.log" || true
    [ "$rc" -eq 0 ] || { echo "soak: valgrind found leaks or errors (exit $rc), see $out/valgrind.log"; exit 1; }
    echo "soak: valgrind clean after $minutes min"
    exit 0
fi

# Slopes after the warm-up, in KiB per hour (test/soak/slope.py).
fit=$(python3 test/soak/slope.py "$out/rss.csv" 0.2) || { echo "soak: too few samples for a slope"; exit 1; }
field() { awk -v k="$1" '$1 == k {printf "%.0f", $2}' <<<"$fit"; }
plain=$(field plain_kib_h)
slope=$(field adjusted_kib_h)
if ! command -v gnuplot >/dev/null; then
    apt-get install -y -qq gnuplot-nox >/dev/null 2>&1 || echo "soak: gnuplot could not be installed; no PNG" >&2
fi
if command -v gnuplot >/dev/null; then
    gnuplot <<GP
set terminal png size 900,500
set output "$out/rss.png"
set datafile separator ","
set title "dbaas-operator RSS, $minutes min of churn on $objects names (after warm-up: $plain KiB/h, $slope KiB/h at constant cached objects)"
set xlabel "seconds"
set ylabel "RSS (MiB)"
set y2label "objects cached"
set ytics nomirror
set y2tics
plot "$out/rss.csv" every ::1 using 1:(\$2/1024) with lines title "RSS", "" every ::1 using 1:(\$5/1024) with lines title "malloc in use", "" every ::1 using 1:4 axes x1y2 with lines title "objects cached"
GP
    echo "soak: $out/rss.png"
fi
echo "soak: $minutes min, $objects names (csv: $out/rss.csv), after the warm-up, per hour:"
awk '{print "soak:   " $0}' <<<"$fit"
[ "${slope#-}" -le "${SOAK_MAX_SLOPE_KIB_H:-1024}" ] || [ "$slope" -lt 0 ] ||
    { echo "soak: RSS grows by $slope KiB/h with the cached objects held constant"; exit 1; }
echo "soak: RSS flat ($slope KiB/h at constant cached objects, $plain KiB/h plain)"
