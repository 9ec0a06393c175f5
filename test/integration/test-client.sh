# The C client reads /version and the namespace list through the generated kubeconfig,
# over one multiplexed HTTP/2 connection, and agrees with kubectl.
. "$ROOT/test/integration/lib.sh"

out=$("$ROOT/bin/kube-probe" "$KUBECONFIG")
want_version=$(k version -o json | sed -n 's/.*"gitVersion": "\(.*\)".*/\1/p' | tail -n 1)
. "$ROOT/hack/versions.env"
expect_eq "$want_version" "$KUBERNETES_VERSION" "kubectl's server version"
expect_eq "$(sed -n 's/^version //p' <<<"$out")" "$want_version" "server version"
expect_eq "$(sed -n 's/^http //p' <<<"$out")" "2" "HTTP version"
expect_eq "$(sed -n 's/^connections //p' <<<"$out")" "1" "TLS connections for two concurrent requests"
# The namespaces of earlier tests are still going away: compare again when the two lists
# were read on either side of a deletion. A client that is wrong differs every time.
for _ in 1 2 3; do
    ours=$(sed -n 's/^namespace //p' <<<"$out" | sort)
    theirs=$(k get namespaces -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}' | sort)
    [ "$ours" == "$theirs" ] && break
    sleep 1
    out=$("$ROOT/bin/kube-probe" "$KUBECONFIG")
done
expect_eq "$ours" "$theirs" "namespace list"
grep -qx "$NS" <<<"$ours" || fail "the test's own namespace $NS is missing"
