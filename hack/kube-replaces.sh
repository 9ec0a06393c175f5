# shellcheck shell=bash
# Sourced by hack/build-control-plane.sh and hack/build-csi.sh (which define log and source
# versions.env first).
#
# kube_replaces DIR: k8s.io/kubernetes replaces every staging module with ./staging/src/...;
# a module (in DIR) that imports it must replace each with the published module at the
# matching v0 version. Prints one `go mod edit` -replace flag a line; the list comes from the
# module's own go.mod, never typed by hand.
kube_replaces() {
    local gomod staging
    gomod=$(cd "$1" && go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" |
        sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
    [ -f "$gomod" ] || { log "no go.mod for k8s.io/kubernetes@$KUBERNETES_VERSION"; return 1; }
    staging=v0.${KUBERNETES_VERSION#v1.}
    awk '$2 == "=>" && $3 ~ /^\.\/staging\// {print $1}' "$gomod" |
        while read -r m; do printf -- '-replace=%s=%s@%s\n' "$m" "$m" "$staging"; done
}
