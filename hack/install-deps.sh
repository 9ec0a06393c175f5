#!/usr/bin/env bash
# Installs, with apt-get, what building and testing dbaas-operator needs and the machine lacks.
# Idempotent: a package already installed is left alone, and apt-get runs only when one is missing.
# PostgreSQL and MariaDB servers are installed by test/db/uri-check.sh when a test needs
# them, with their system services kept from starting.
# Go (only to build the test control plane) is installed when no go is on PATH or in /usr/local/go.
# Arguments add what one target needs: `image` (make image, test-image.sh) adds buildah, skopeo
# and umoci.
set -euo pipefail

pkgs=(gcc clang make pkg-config libcurl4-openssl-dev libcjson-dev libyaml-dev libssl-dev
      libuv1-dev libzstd-dev openssl valgrind curl ca-certificates libclang-rt-14-dev python3
      lua5.1 python3-yaml clang-format-14 clang-format shellcheck)
if ! command -v go >/dev/null 2>&1 && [ ! -x /usr/local/go/bin/go ]; then
    pkgs+=(golang-go)
fi
for target in "$@"; do
    case $target in
    image) pkgs+=(buildah skopeo umoci) ;;
    *) echo "install-deps: unknown target $target" >&2; exit 2 ;;
    esac
done

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >/dev/null
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
