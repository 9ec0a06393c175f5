#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# A real Argo CD beside the local control plane of hack/cluster.sh, as plain local processes
# with the cluster's admin kubeconfig (no pods): Argo CD's application controller and repo
# server (built by hack/build-argocd.sh at ARGOCD_VERSION), Redis from Debian's packages, and
# a bare Git repository served by Debian's git daemon on 127.0.0.1. No API server, no UI:
# tests create Application objects with kubectl and read their status.
#
#   hack/argocd.sh build      build the binary when missing (cached under ~/.cache/dbaas-operator)
#   hack/argocd.sh start      install Argo CD's CRDs and configuration, start every process
#                             (idempotent; when one is down, all are restarted together)
#   hack/argocd.sh stop       stop every process (the namespace and the repository stay)
#   hack/argocd.sh status     show each process; exit non-zero unless all run
#   hack/argocd.sh env        print ARGOCD_NS, ARGOCD_REPO_URL (what an Application's source
#                             names), ARGOCD_REPO_DIR (the bare repository: push to it) and
#                             ARGOCD_DEST_SERVER (what an Application's destination names)
#
# What start installs: the Application and AppProject CRDs, read from the argo-cd module in the
# Go module cache (manifests/crds); the namespace argocd; ConfigMap argocd-cm (labelled as Argo
# CD's settings manager requires) with a 10 s reconciliation timeout, then patched with
# deploy/argocd-cm-health.yaml exactly as that file's header tells users to (kubectl patch
# --type merge): our health checks in the form Argo CD reads in production; Secret
# argocd-secret; AppProject default (any source, any destination), which Argo CD's API server
# would create; a cluster Secret for the cluster's API server (see cluster_secret).
#
# The processes: redis-server (no persistence), git-daemon (--export-all, read-only: tests
# push to the bare repository on disk), argocd-repo-server (plain gRPC: --disable-tls, GPG
# off, its ask-pass socket, temp dirs and Argo CD's git-verify-wrapper.sh here) and argocd-application-controller (namespace
# argocd, --repo-server-plaintext, --persist-resource-health so that each resource's health
# is in the Application's status.resources, where kubectl reads it). Ports are free ones picked at start, kept in files.
#
# State (pids, logs, ports, the repository, temp dirs) lives in $DBAAS_CLUSTER_DIR/argocd,
# so that copies for other clusters do not collide.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=proc.sh
. "$here/proc.sh"

STATE=${DBAAS_CLUSTER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dbaas-operator/cluster}
DIR=$STATE/argocd
KUBECONFIG_FILE=$STATE/kubeconfig
NS=argocd
# Start order; stopped in reverse.
COMPONENTS=(redis-server git-daemon argocd-repo-server argocd-application-controller)

log() { printf 'argocd: %s\n' "$*" >&2; }

fail() { proc_fail "$@"; }

load_bins() {
    local line
    while IFS= read -r line; do
        case $line in ARGOCD_*=*) declare -g "$line" ;; esac
    done < <(bash "$here/build-argocd.sh" || echo BUILD_FAILED)
    if ! [ -x "${ARGOCD_BIN:-}/argocd" ] || ! [ -d "${ARGOCD_CRD_DIR:-}" ]; then
        fail "" "hack/build-argocd.sh failed"
    fi
}

kc() { "$(bash "$here/cluster.sh" kubectl-path)" --kubeconfig "$KUBECONFIG_FILE" "$@"; }

# Redis rewrites its process title, so it is recognised by its executable instead.
alive() {
    local pid=$1 name=$2
    if [ "$name" = redis-server ]; then
        [ -r "/proc/$pid/exe" ] &&
            [ "$(readlink "/proc/$pid/exe")" = "$(readlink -f "$(command -v redis-server)")" ]
    else
        proc_alive "$pid" "$name"
    fi
}

cmd_stop() {
    local i
    for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do proc_stop_one "${COMPONENTS[$i]}"; done
}

cmd_status() {
    local c ok=0
    for c in "${COMPONENTS[@]}"; do
        if proc_running "$c"; then
            printf '%-32s running (pid %s)\n' "$c" "$(proc_pid_of "$c")"
        else
            printf '%-32s NOT running\n' "$c"
            ok=1
        fi
    done
    return $ok
}

all_running() {
    local c
    for c in "${COMPONENTS[@]}"; do proc_running "$c" || return 1; done
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# port NAME: the port kept for NAME, picked once.
port() {
    [ -s "$DIR/$1.port" ] || free_port >"$DIR/$1.port"
    cat "$DIR/$1.port"
}

# Redis (and git) from Debian's packages, their system services kept from starting.
install_packages() {
    command -v redis-server >/dev/null 2>&1 && [ -x /usr/lib/git-core/git-daemon ] && return 0
    # shellcheck source=../test/db/install.sh
    . "$root/test/db/install.sh"
    install_missing redis-server git
}

config() {
    cat <<YAML
apiVersion: v1
kind: Namespace
metadata: {name: $NS}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
  namespace: $NS
  labels: {app.kubernetes.io/name: argocd-cm, app.kubernetes.io/part-of: argocd}
data:
  timeout.reconciliation: 10s
---
apiVersion: v1
kind: Secret
metadata:
  name: argocd-secret
  namespace: $NS
  labels: {app.kubernetes.io/name: argocd-secret, app.kubernetes.io/part-of: argocd}
stringData:
  server.secretkey: $(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
---
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata: {name: default, namespace: $NS}
spec:
  sourceRepos: ['*']
  destinations: [{server: '*', namespace: '*'}]
  clusterResourceWhitelist: [{group: '*', kind: '*'}]
YAML
}

# kubeconfig_field JSONPATH: a field of the cluster's admin kubeconfig.
kubeconfig_field() { kc config view --raw --minify -o jsonpath="$1"; }

# The cluster as Argo CD's declarative cluster Secret. The built-in in-cluster destination
# (https://kubernetes.default.svc) reads a pod's service account, which a local process does
# not have: Applications name this server instead (`env` prints it as ARGOCD_DEST_SERVER),
# reached with the admin client certificate of the cluster's kubeconfig.
cluster_secret() {
    local config
    config=$(printf '{"tlsClientConfig":{"caData":"%s","certData":"%s","keyData":"%s"}}' \
        "$(kubeconfig_field '{.clusters[0].cluster.certificate-authority-data}')" \
        "$(kubeconfig_field '{.users[0].user.client-certificate-data}')" \
        "$(kubeconfig_field '{.users[0].user.client-key-data}')")
    cat <<YAML
apiVersion: v1
kind: Secret
metadata:
  name: cluster-local
  namespace: $NS
  labels: {argocd.argoproj.io/secret-type: cluster}
stringData:
  name: local
  server: $(kubeconfig_field '{.clusters[0].cluster.server}')
  config: '$config'
YAML
}

install() {
    local f
    for f in application-crd.yaml appproject-crd.yaml; do
        kc apply --server-side --force-conflicts -f "$ARGOCD_CRD_DIR/$f" >/dev/null ||
            fail "" "installing $f failed"
    done
    # kubectl wait fails at once, rather than waiting, on a CRD so new that it has no
    # status.conditions yet (".status.conditions accessor error: <nil> is of the type <nil>"):
    # asked again until a minute has passed.
    local t0=$SECONDS
    until kc wait --for=condition=Established --timeout=10s crd/applications.argoproj.io \
        crd/appprojects.argoproj.io >/dev/null 2>&1; do
        [ $((SECONDS - t0)) -lt 60 ] || fail "" "Argo CD's CRDs were not established in 60 s"
        sleep 0.5
    done
    if kc -n "$NS" get secret argocd-secret >/dev/null 2>&1; then
        config | kc apply -f - -l 'app.kubernetes.io/name!=argocd-secret' >/dev/null
    else
        config | kc apply -f - >/dev/null
    fi || fail "" "installing Argo CD's configuration failed"
    cluster_secret | kc apply -f - >/dev/null || fail "" "declaring the cluster to Argo CD failed"
    # Our health checks, the way deploy/argocd-cm-health.yaml's header says to install them.
    kc -n "$NS" patch configmap argocd-cm --type merge \
        --patch-file "$root/deploy/argocd-cm-health.yaml" >/dev/null ||
        fail "" "patching argocd-cm with deploy/argocd-cm-health.yaml failed"
}

# The bare repository the Applications read; created empty once.
init_repo() {
    [ -d "$DIR/git/gitops.git" ] && return 0
    mkdir -p "$DIR/git"
    git init -q --bare -b main "$DIR/git/gitops.git"
}

cmd_env() {
    printf 'ARGOCD_NS=%s\n' "$NS"
    printf 'ARGOCD_REPO_URL=git://127.0.0.1:%s/gitops.git\n' "$(port git)"
    printf 'ARGOCD_REPO_DIR=%s\n' "$DIR/git/gitops.git"
    printf 'ARGOCD_DEST_SERVER=%s\n' "$(kubeconfig_field '{.clusters[0].cluster.server}')"
}

cmd_start() {
    local t0=$SECONDS
    [ -s "$KUBECONFIG_FILE" ] || fail "" "no cluster in $STATE (hack/cluster.sh up first)"
    mkdir -p "$DIR/tmp" "$DIR/home"
    install_packages
    load_bins
    install
    init_repo
    if all_running; then
        log "already running"
        return 0
    fi
    cmd_stop
    local redis git repo metrics ctl
    redis=$(port redis) git=$(port git) repo=$(port repo-server) metrics=$(port repo-metrics)
    ctl=$(port controller-metrics)
    proc_start_one redis-server redis-server --bind 127.0.0.1 --port "$redis" --save '' \
        --appendonly no --dir "$DIR"
    proc_start_one git-daemon /usr/lib/git-core/git-daemon --reuseaddr --listen=127.0.0.1 \
        --port="$git" --base-path="$DIR/git" --export-all --informative-errors "$DIR/git"
    # The repo server runs git-verify-wrapper.sh (Argo CD's image has it on PATH) on every
    # revision, GPG or not: taken from the module, as the CRDs are.
    mkdir -p "$DIR/bin" "$DIR/gnupg"
    cp "$ARGOCD_CRD_DIR/../../hack/git-verify-wrapper.sh" "$DIR/bin/" ||
        fail "" "no hack/git-verify-wrapper.sh in the argo-cd module"
    chmod 755 "$DIR/bin/git-verify-wrapper.sh"
    local -a envs=(env "HOME=$DIR/home" "TMPDIR=$DIR/tmp" "PATH=$DIR/bin:$ARGOCD_BIN:$PATH"
        ARGOCD_GPG_ENABLED=false "ARGOCD_GNUPGHOME=$DIR/gnupg" "ARGOCD_ASK_PASS_SOCK=$DIR/askpass.sock")
    proc_start_one argocd-repo-server "${envs[@]}" "$ARGOCD_BIN/argocd-repo-server" --disable-tls --client-ca-path "" \
        --address 127.0.0.1 --port "$repo" --metrics-address 127.0.0.1 --metrics-port "$metrics" \
        --redis "127.0.0.1:$redis" --loglevel info
    proc_start_one argocd-application-controller "${envs[@]}" \
        "$ARGOCD_BIN/argocd-application-controller" --kubeconfig "$KUBECONFIG_FILE" \
        --namespace "$NS" --repo-server "127.0.0.1:$repo" --repo-server-plaintext \
        --redis "127.0.0.1:$redis" --metrics-port "$ctl" --app-resync 10 \
        --status-processors 2 --operation-processors 2 --persist-resource-health \
        --loglevel info
    local i c
    for ((i = 0; i < 300; i++)); do
        curl -sf "http://127.0.0.1:$ctl/healthz" >/dev/null 2>&1 && break
        for c in "${COMPONENTS[@]}"; do proc_running "$c" || fail "$c" "$c exited at start"; done
        sleep 0.2
    done
    for c in "${COMPONENTS[@]}"; do proc_running "$c" || fail "$c" "$c exited at start"; done
    curl -sf "http://127.0.0.1:$ctl/healthz" >/dev/null 2>&1 ||
        fail argocd-application-controller "the application controller is not healthy after 60 s"
    log "running (repository $(cmd_env | sed -n 's/^ARGOCD_REPO_URL=//p')) in $((SECONDS - t0))s"
}

case ${1:-} in
build) load_bins; log "built" ;;
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
env) mkdir -p "$DIR"; cmd_env ;;
*)
    echo "usage: $0 build|start|stop|status|env" >&2
    exit 2
    ;;
esac
