#!/usr/bin/env bash
# make image: the operator image, built without pulling anything, as an OCI archive:
#   build/image/dbaas-operator.oci.tar   image dbaas-operator:<version> (bin/dbaas-operator --version)
#   build/image/ref, build/image/digest  that name and the manifest's digest
# The root filesystem is hack/image-rootfs.sh's; the image config is the final stage of
# deploy/image/Containerfile (FROM scratch on), its one COPY --from=build pointed at that
# folder, built by Debian's buildah as root with --isolation chroot and the vfs storage driver
# (no daemon, no overlay mounts, no user namespaces needed). --timestamp 0 sets the creation
# time and every file's time in the layer, so the same binary gives the same digest.
# Load it elsewhere with skopeo (Debian's), e.g.:
#   skopeo copy oci-archive:build/image/dbaas-operator.oci.tar docker://REGISTRY/dbaas-operator:<version>
# IMAGE_BIN names another binary (default bin/dbaas-operator); IMAGE_OUT another folder.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bin=${IMAGE_BIN:-bin/dbaas-operator}
out=${IMAGE_OUT:-build/image}
if [ "$(id -u)" -ne 0 ]; then
    exec sudo IMAGE_BIN="$bin" IMAGE_OUT="$out" bash "$0" "$@"
fi
command -v buildah >/dev/null || { echo "image: no buildah (bash hack/install-deps.sh image)" >&2; exit 1; }
version=$("$bin" --version | awk '{print $2}')
[ -n "$version" ] || { echo "image: $bin --version printed no version" >&2; exit 1; }
ref=dbaas-operator:$version
t0=$SECONDS

mkdir -p "$out"
ctx=$out/context
storage=$(realpath -m "$out/storage")
rm -rf "$ctx" "$storage"
bash hack/image-rootfs.sh "$bin" "$ctx/rootfs"

# The Containerfile's runtime stage, with its files taken from the folder just assembled.
from='COPY --from=build /rootfs/ /'
stage=$(sed -n '/^FROM scratch$/,$p' deploy/image/Containerfile)
[ "$(grep -cxF "$from" <<<"$stage")" -eq 1 ] ||
    { echo "image: deploy/image/Containerfile's runtime stage must hold the line '$from' once" >&2; exit 1; }
[ "$(grep -c '^FROM ' <<<"$stage")" -eq 1 ] ||
    { echo "image: deploy/image/Containerfile must end with one stage FROM scratch" >&2; exit 1; }
printf '%s\n' "${stage/"$from"/COPY rootfs/ /}" >"$ctx/Containerfile"

ba() { buildah --root "$storage/root" --runroot "$storage/run" --storage-driver vfs "$@"; }
ba build --quiet --isolation chroot --timestamp 0 --layers=false -f "$ctx/Containerfile" \
    -t "localhost/$ref" "$ctx" >/dev/null
rm -f "$out/dbaas-operator.oci.tar"
ba push --quiet "localhost/$ref" "oci-archive:$out/dbaas-operator.oci.tar:$ref"
ba rmi --all >/dev/null 2>&1 || true
rm -rf "$storage" "$ctx"

digest=$(skopeo inspect "oci-archive:$out/dbaas-operator.oci.tar" --format '{{.Digest}}' 2>/dev/null || true)
echo "$ref" >"$out/ref"
echo "$digest" >"$out/digest"
echo "image: $ref ${digest:-(no skopeo to read the digest)} in $out/dbaas-operator.oci.tar" \
    "($(du -h "$out/dbaas-operator.oci.tar" | cut -f1), $((SECONDS - t0)) s)"
