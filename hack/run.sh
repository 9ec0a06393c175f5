#!/usr/bin/env bash
# make run: installs what is missing, builds the operator, brings up the local control plane
# when no KUBECONFIG is set, installs the CRDs and runs the operator in the foreground.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash hack/install-deps.sh
make -j2 bin/dbaas-operator bin/kubectl-dbaas >/dev/null

if [ -z "${KUBECONFIG:-}" ]; then
    bash hack/cluster.sh up
    eval "$(bash hack/cluster.sh env)"
    echo "run: using the local control plane (KUBECONFIG=$KUBECONFIG)"
fi
kubectl=$(bash hack/cluster.sh kubectl-path 2>/dev/null || command -v kubectl || true)
[ -n "$kubectl" ] || { echo "run: no kubectl found" >&2; exit 1; }

shopt -s nullglob
crds=(crds/*.yaml)
if [ "${#crds[@]}" -gt 0 ]; then
    "$kubectl" apply --server-side --force-conflicts -f crds/ >/dev/null
    "$kubectl" wait --for=condition=Established --timeout=60s -f crds/ >/dev/null
    echo "run: CRDs installed: ${crds[*]}"
fi
# The admission policy behind spec.deletionProtection (built into the API server, no webhook):
# without it the field would be accepted and protect nothing.
"$kubectl" apply --server-side --force-conflicts -f deploy/deletion-protection.yaml >/dev/null
echo "run: deletion protection installed: deploy/deletion-protection.yaml"

cat <<EOM
run: starting the operator (Ctrl-C stops it). Next, in another terminal:
    export KUBECONFIG=$KUBECONFIG PATH=$(dirname "$kubectl"):$PWD/bin:\$PATH
    kubectl apply -f examples/postgresql.yaml; kubectl get dbaas   # all three kinds; -w needs one kind (dbinstances)
    kubectl dbaas status orders              # the plugin, bin/kubectl-dbaas
EOM
exec bin/dbaas-operator --log-format text --metrics-addr 127.0.0.1:8080
