# shellcheck shell=bash disable=SC2154,SC2034 # $tmp is the sourcing test's; OP_PID is for it
# Helpers to run the operator as its Deployment's pod would, without a container runtime
# (test-image.sh, test-rbac.sh, test-least-privilege.sh); sourced after lib.sh, uses $tmp.
# - deploy_render OVERLAY: `kubectl kustomize` of deploy/ or one of its overlays into
#   $tmp/rendered.yaml, with namespace $NS and every name (cluster-scoped ones too) suffixed
#   -$NS, so that tests in other namespaces cannot collide; the ServiceAccount is then
#   dbaas-operator-$NS. deploy_apply [KIND...] applies the rendered objects of those kinds (all
#   when none is named) and remembers the cluster-scoped ones for deploy_cleanup (call it at
#   exit; the CRDs stay, as install_crds leaves them).
# - pod_rootfs DIR [ROOTFS]: DIR/rootfs, a copy of ROOTFS (an unpacked image) or else what
#   hack/image-rootfs.sh assembles from bin/dbaas-operator, with what the kubelet mounts in a
#   pod: a TokenRequest token of the ServiceAccount, the cluster's ca.crt and the namespace in
#   /var/run/secrets/kubernetes.io/serviceaccount.
# - pod_start DIR LOG ARGS...: the image's entrypoint in DIR/rootfs, chrooted, as uid and gid
#   65532 with only KUBERNETES_SERVICE_HOST/PORT in its environment (in-cluster configuration,
#   as in a pod); sets OP_PID and OP_PORT (its --metrics-addr, added last) and waits for /readyz.
#   Needs root (chroot); the operator process itself runs unprivileged.
# - no_forbidden LOG: fails when the running operator counts a 403 answer
#   (dbaas_api_requests_total{code="403"}) or its log says forbidden.

SA_DIR=var/run/secrets/kubernetes.io/serviceaccount

deploy_render() {
    local overlay=$1 rel
    mkdir -p "$tmp/kz"
    rel=$(realpath --relative-to="$tmp/kz" "$overlay")
    printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [%s]\nnamespace: %s\nnameSuffix: -%s\n' \
        "$rel" "$NS" "$NS" >"$tmp/kz/kustomization.yaml"
    k kustomize "$tmp/kz" >"$tmp/rendered.yaml" || fail "kubectl kustomize $overlay failed"
    SA=dbaas-operator-$NS
}

# deploy_apply [KIND...]: the rendered objects of these kinds (all when none), server-side.
deploy_apply() {
    python3 - "$tmp/rendered.yaml" "$tmp/cluster-scoped" "$@" >"$tmp/apply.yaml" <<'PY'
import sys, yaml
kinds = set(sys.argv[3:])
ours = {"ClusterRole", "ClusterRoleBinding", "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding"}
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and (not kinds or d.get("kind") in kinds)]
with open(sys.argv[2], "a") as f:
    for d in docs:
        if d["kind"] in ours:
            f.write("%s/%s\n" % (d["kind"].lower(), d["metadata"]["name"]))
yaml.safe_dump_all(docs, sys.stdout, sort_keys=False)
PY
    grep -q '^kind:' "$tmp/apply.yaml" || fail "no object of kinds ${*:-any} in $tmp/rendered.yaml"
    k apply --server-side --force-conflicts -f "$tmp/apply.yaml" >/dev/null
}

deploy_cleanup() {
    [ -s "${tmp:-}/cluster-scoped" ] || return 0
    sort -u "$tmp/cluster-scoped" | while read -r obj; do
        k delete "$obj" --ignore-not-found --wait=false >/dev/null 2>&1 || true
    done
}

# api_server: the server of $KUBECONFIG's current context, as https://HOST:PORT.
api_server() { k config view --raw --minify -o jsonpath='{.clusters[0].cluster.server}'; }

pod_rootfs() {
    local dir=$1 from=${2:-} sa
    if [ -n "$from" ]; then
        mkdir -p "$dir"
        cp -a "$from" "$dir/rootfs"
    else
        bash "$ROOT/hack/image-rootfs.sh" "$ROOT/bin/dbaas-operator" "$dir/rootfs" >/dev/null
    fi
    sa=$dir/rootfs/$SA_DIR
    mkdir -p "$sa"
    k -n "$NS" create token "$SA" --duration=2h >"$sa/token" || fail "TokenRequest for $SA failed"
    k config view --raw --minify -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' |
        base64 -d >"$sa/ca.crt"
    [ -s "$sa/ca.crt" ] || fail "the kubeconfig has no certificate-authority-data for the pod's ca.crt"
    printf '%s' "$NS" >"$sa/namespace"
    chmod 0644 "$sa/token" "$sa/ca.crt" "$sa/namespace"
}

pod_start() {
    local dir=$1 log=$2 hostport host port entry
    shift 2
    hostport=$(api_server)
    hostport=${hostport#https://}
    host=${hostport%:*}
    port=${hostport##*:}
    host=${host#[}
    host=${host%]}
    OP_PORT=$(free_port)
    entry=/usr/local/bin/dbaas-operator
    [ -z "${POD_ENTRYPOINT:-}" ] || entry=$POD_ENTRYPOINT
    env -i KUBERNETES_SERVICE_HOST="$host" KUBERNETES_SERVICE_PORT="$port" \
        "$(command -v chroot)" --userspec=65532:65532 "$dir/rootfs" "$entry" "$@" \
        --metrics-addr "127.0.0.1:$OP_PORT" >>"$log" 2>&1 &
    OP_PID=$!
    wait_for 60 "the operator to be ready" curl -sf "http://127.0.0.1:$OP_PORT/readyz"
}

no_forbidden() {
    local metrics refused
    metrics=$(curl -sf "http://127.0.0.1:$OP_PORT/metrics") || fail "the operator's /metrics did not answer"
    grep -q '^dbaas_api_requests_total{' <<<"$metrics" || fail "no dbaas_api_requests_total in /metrics"
    refused=$(awk '/^dbaas_api_requests_total\{/ && /code="403"/ {n += $NF} END {print n + 0}' <<<"$metrics")
    if grep -niE 'forbidden|\b403\b' "$1" | head -5 | grep .; then
        fail "the operator was refused by RBAC ($refused requests with code 403; lines above from its log)"
    fi
    expect_eq "$refused" 0 "API requests the operator made that were refused with 403"
}
