#!/usr/bin/env bash
# Assembles the operator image's root filesystem in DEST from BINARY and the machine it runs on:
#   usr/local/bin/dbaas-operator   the binary
#   <each library ldd lists>       at the path ldd gives (the loader included), symlinks
#                                  followed, with lib and lib64 linked to usr/ as on Debian 12
#   etc/ssl/certs/ca-certificates.crt   CA certificates (libcurl's and OpenSSL's default bundle)
#   usr/share/zoneinfo             time zones: spec.backup.timeZone (pkg-c/cron/cron_tz.c reads it)
#   etc/passwd, etc/group          root and nonroot (65532), for tools that map the uid
# and nothing else: no shell, no package manager, no compiler. Both image builds use it
# (deploy/image/Containerfile in its build stage, hack/image.sh on this machine), so the two
# cannot hold different files. Every file is root-owned and world-readable.
# usage: hack/image-rootfs.sh BINARY DEST   (DEST is emptied first)
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 BINARY DEST" >&2; exit 2; }
bin=$1
dest=$2
[ -x "$bin" ] || { echo "image-rootfs: no executable at $bin" >&2; exit 1; }

rm -rf "$dest"
mkdir -p "$dest"
# Merged /usr, as the build machine: the loader and ldd's paths are under /lib and /lib64.
for d in lib lib64; do
    if [ -L "/$d" ]; then
        ln -s "$(readlink "/$d")" "$dest/$d"
        mkdir -p "$dest/$(readlink "/$d")"
    fi
done

install -D -m 0755 "$bin" "$dest/usr/local/bin/dbaas-operator"

# "libx.so.1 => /lib/.../libx.so.1 (0x...)" and "/lib64/ld-linux-x86-64.so.2 (0x...)"; the
# vdso has no file. A library ldd cannot find fails the build rather than the pod.
libs=$(ldd "$bin")
if grep -q 'not found' <<<"$libs"; then
    echo "image-rootfs: $bin links libraries this machine lacks:" >&2
    grep 'not found' <<<"$libs" >&2
    exit 1
fi
n=0
while read -r path; do
    mkdir -p "$dest$(dirname "$path")"
    cp -L "$path" "$dest$path"
    chmod 0755 "$dest$path"
    n=$((n + 1))
done < <(awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' <<<"$libs" | sort -u)
[ "$n" -gt 1 ] || { echo "image-rootfs: ldd listed no libraries for $bin" >&2; exit 1; }

ca=/etc/ssl/certs/ca-certificates.crt
[ -s "$ca" ] || { echo "image-rootfs: no $ca (Debian's ca-certificates)" >&2; exit 1; }
install -D -m 0644 "$ca" "$dest$ca"

zi=/usr/share/zoneinfo
[ -s "$zi/Europe/Berlin" ] || { echo "image-rootfs: no $zi (Debian's tzdata)" >&2; exit 1; }
mkdir -p "$dest/usr/share"
cp -a "$zi" "$dest/usr/share/"
# A link out of the folder would point at nothing in the image.
if find "$dest$zi" -type l -lname '/*' | grep -q .; then
    find "$dest$zi" -type l -lname '/*' -delete
fi

mkdir -p "$dest/etc"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' \
    >"$dest/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' >"$dest/etc/group"
chmod 0644 "$dest/etc/passwd" "$dest/etc/group"
# Pods mount their token here; an empty folder keeps a rootfs run (test-image.sh) simple.
mkdir -p "$dest/var/run/secrets/kubernetes.io/serviceaccount"
chown -R 0:0 "$dest" 2>/dev/null || true
echo "image-rootfs: $dest: the binary, $n libraries, CA certificates, zoneinfo ($(du -sh "$dest" | cut -f1))"
