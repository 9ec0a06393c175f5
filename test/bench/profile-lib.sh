# test/bench/profile-lib.sh: what profile-restart.sh, profile-create.sh and profile-apiserver.sh
# share. Sourced from
# the repository root with ROOT set, after set -euo pipefail.

# profile_cluster NAME PV_COUNT: valgrind and bench-dbi at hand, the control plane
# cluster-NAME (PROFILE_CLUSTER_DIR overrides) up with PV_COUNT volumes and the CRDs installed;
# sets KUBECONFIG, KUBECTL and out (build/profile). The operator a script starts goes in pid:
# killed on exit, and the control plane taken down unless PROFILE_KEEP is set.
profile_cluster() {
    out=build/profile
    mkdir -p "$out"
    command -v valgrind >/dev/null || apt-get install -y -qq valgrind >/dev/null
    make -s bin/bench-dbi
    export DBAAS_CLUSTER_DIR=${PROFILE_CLUSTER_DIR:-$HOME/.cache/dbaas-operator/cluster-$1}
    CLUSTER_PV_COUNT=$2 CLUSTER_CLIENT_QPS=500 bash hack/cluster.sh up >/dev/null
    eval "$(bash hack/cluster.sh env)"
    KUBECTL=$(bash hack/cluster.sh kubectl-path)
    export KUBECONFIG
    pid=
    trap profile_cleanup EXIT
    "$KUBECTL" apply --server-side --force-conflicts -f crds/ >/dev/null
    "$KUBECTL" wait --for=condition=Established --timeout=60s -f crds/ >/dev/null
}

# profile_wait_started LOG SECONDS: waits until the operator ($pid) says in LOG that the
# DBInstance controller's initial reconcile is done; exits 1 when it exits first, or after
# SECONDS.
profile_wait_started() {
    local t0=$SECONDS
    until grep -q '"initial reconcile done","controller":"dbinstance"' "$1"; do
        kill -0 "$pid" 2>/dev/null || { echo "profile: the operator exited, see $1" >&2; exit 1; }
        [ $((SECONDS - t0)) -lt "$2" ] || { echo "profile: no initial reconcile in $2 s" >&2; exit 1; }
        sleep 0.5
    done
}

profile_cleanup() {
    [ -z "$pid" ] || kill -9 "$pid" 2>/dev/null || true
    [ -n "${PROFILE_KEEP:-}" ] || bash hack/cluster.sh down >/dev/null 2>&1 || true
}

# profile_annotate TAG: callgrind_annotate's self and inclusive tops of $out/TAG.callgrind into
# $out/TAG-self.txt and $out/TAG-incl.txt; prints the total in millions of instructions.
profile_annotate() {
    # sed, not head: head's early exit would kill callgrind_annotate with SIGPIPE (pipefail).
    # --threshold=100: with counts zeroed at idle (callgrind_control -z) the dump opens with
    # the frames below main at 100 %, and the default (99) stopped the list right there.
    callgrind_annotate --inclusive=no --threshold=100 "$out/$1.callgrind" 2>/dev/null | sed -n 1,60p >"$out/$1-self.txt"
    callgrind_annotate --inclusive=yes "$out/$1.callgrind" 2>/dev/null | sed -n 1,150p >"$out/$1-incl.txt"
    awk '/PROGRAM TOTALS/ {gsub(",", "", $1); printf "%.0f", $1 / 1e6}' "$out/$1-self.txt"
}
