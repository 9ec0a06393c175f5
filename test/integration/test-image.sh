# The operator image (issue 14, section 1), built by `make image` (hack/image.sh: Debian's
# buildah, offline, FROM scratch; cached by make until the binary or the scripts change):
# - its config runs /usr/local/bin/dbaas-operator as 65532:65532 (skopeo inspect --config);
#   its tag is the operator's version and the one deploy/ names;
# - built again into another folder, it has the same digest (--timestamp 0);
# - unpacked (skopeo, umoci), it holds no shell, package manager or compiler: the one
#   executable that is not a shared library is the entrypoint;
# - its entrypoint, chrooted in that root filesystem as uid 65532 with what a pod has
#   (KUBERNETES_SERVICE_HOST/PORT, a TokenRequest token of deploy/'s ServiceAccount, ca.crt
#   and the namespace in /var/run/secrets/kubernetes.io/serviceaccount) and the Deployment's
#   arguments (plus --namespace, see below), uses in-cluster configuration, reconciles a
#   DBInstance whose backup schedule names a time zone (read from the image's zoneinfo) to
#   Ready, and exits 0 on SIGTERM.
. "$ROOT/test/integration/lib.sh"
. "$ROOT/test/integration/pod-lib.sh"
tmp=$(mktemp -d)
OP_PID=
trap '[ -n "$OP_PID" ] && kill -9 "$OP_PID" 2>/dev/null; deploy_cleanup; [ -n "${DEBUG:-}" ] && cat "$tmp/op.log"; rm -rf "$tmp"' EXIT
t0=$SECONDS

bash "$ROOT/hack/install-deps.sh" image
make -C "$ROOT" --no-print-directory image >"$tmp/make.log" 2>&1 || { cat "$tmp/make.log"; fail "make image failed"; }
archive=$ROOT/build/image/dbaas-operator.oci.tar
ref=$(cat "$ROOT/build/image/ref")
version=$("$ROOT/bin/dbaas-operator" --version | awk '{print $2}')
expect_eq "$ref" "dbaas-operator:$version" "the image's name and tag"
echo "make image: $ref in $((SECONDS - t0))s"

# The config a container runtime reads.
skopeo inspect --config "oci-archive:$archive" >"$tmp/config.json"
expect_eq "$(python3 -c 'import json, sys; c = json.load(open(sys.argv[1]))["config"]
print(c.get("User"), json.dumps(c.get("Entrypoint")), json.dumps(c.get("Cmd")))' "$tmp/config.json")" \
    '65532:65532 ["/usr/local/bin/dbaas-operator"] null' "User, Entrypoint and Cmd of the image config"

# deploy/ names the tag make image builds.
deploy_render "$ROOT/deploy"
named=$(python3 -c 'import sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d and d["kind"] == "Deployment":
        print(d["spec"]["template"]["spec"]["containers"][0]["image"])' "$tmp/rendered.yaml")
expect_eq "$named" "$ref" "the image deploy/deployment.yaml names"

# Reproducible: the same binary gives the same digest.
t1=$SECONDS
IMAGE_OUT=$tmp/again bash "$ROOT/hack/image.sh" >/dev/null
expect_eq "$(cat "$tmp/again/digest")" "$(cat "$ROOT/build/image/digest")" "the digest of a second build"
[ -n "$(cat "$tmp/again/digest")" ] || fail "no digest read from the archive"
echo "rebuilt with the same digest $(cat "$tmp/again/digest") in $((SECONDS - t1))s"

# Unpacked: nothing to run but the operator.
skopeo copy --quiet "oci-archive:$archive" "oci:$tmp/layout:img"
umoci unpack --image "$tmp/layout:img" "$tmp/bundle" >/dev/null
rootfs=$tmp/bundle/rootfs
[ -x "$rootfs/usr/local/bin/dbaas-operator" ] || fail "no entrypoint in the unpacked image"
for f in sh bash dash ash busybox apt apt-get dpkg rpm gcc cc ld python3 perl; do
    found=$(find "$rootfs" -name "$f" \( -type f -o -type l \) | head -1)
    [ -z "$found" ] || fail "the image holds ${found#"$rootfs"}"
done
exes=$(find "$rootfs" -type f -perm /111 ! -name '*.so' ! -name '*.so.*' | sed "s|^$rootfs||")
expect_eq "$exes" /usr/local/bin/dbaas-operator "executables in the image other than shared libraries"
if chroot "$rootfs" /bin/sh -c true 2>/dev/null; then fail "/bin/sh ran in the image"; fi
[ -s "$rootfs/usr/share/zoneinfo/Europe/Berlin" ] || fail "no zoneinfo in the image"
[ -s "$rootfs/etc/ssl/certs/ca-certificates.crt" ] || fail "no CA certificates in the image"
echo "unpacked: $(du -sh "$rootfs" | cut -f1), no shell"

# The entrypoint as the Deployment's pod runs it, with deploy/'s ServiceAccount.
install_crds
deploy_apply ServiceAccount Role RoleBinding ClusterRole ClusterRoleBinding
mapfile -t args < <(python3 -c 'import sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d and d["kind"] == "Deployment":
        print("\n".join(d["spec"]["template"]["spec"]["containers"][0].get("args", [])))' "$tmp/rendered.yaml")
pod_rootfs "$tmp/pod" "$rootfs"
# --namespace: earlier tests' namespaces, still terminating with their DBInstances, are not
# this operator's business (the ClusterRoleBinding grants the same in every namespace).
pod_start "$tmp/pod" "$tmp/op.log" "${args[@]}" --namespace "$NS"
expect_eq "$(ps -o uid= -p "$OP_PID" | tr -d ' ')" 65532 "the operator's uid"
grep -q 'in-cluster' "$tmp/op.log" || fail "the operator did not say it uses in-cluster configuration: $(head -5 "$tmp/op.log")"
k -n "$NS" apply -f - >/dev/null <<YAML
apiVersion: dbaas.dev/v1alpha1
kind: DBInstance
metadata: {name: orders}
spec:
  engine: postgresql
  version: "16"
  database: shop
  backup: {schedule: "0 3 * * *", timeZone: Europe/Berlin}
YAML
t1=$SECONDS
wait_for 120 "orders to be Ready" dbi_ready orders
next_backup() { [ -n "$(dbi_field orders '{.status.nextBackup}')" ]; }
degraded() { dbi_field orders '{.status.conditions[?(@.type=="Degraded")].reason}'; }
# The next run in Europe/Berlin, or InvalidSpec when the image lacks that zone.
zone_read() { next_backup || [ "$(degraded)" = InvalidSpec ]; }
wait_for 30 "status.nextBackup or Degraded InvalidSpec" zone_read
[ "$(degraded)" != InvalidSpec ] ||
    fail "the image lacks the zone: $(dbi_field orders '{.status.conditions[?(@.type=="Degraded")].message}')"
next_backup || fail "no status.nextBackup (Degraded: $(degraded))"
lease=$(k -n "$NS" get lease dbaas-operator -o jsonpath='{.spec.holderIdentity}' 2>/dev/null) ||
    fail "no Lease dbaas-operator in the pod's namespace $NS"
[ -n "$lease" ] || fail "the Lease has no holder"
echo "orders Ready through the image in $((SECONDS - t1))s (next backup $(dbi_field orders '{.status.nextBackup}'))"
no_forbidden "$tmp/op.log"
stop_operator # SIGTERM; fails unless it exits 0
echo "ok in $((SECONDS - t0))s"
