# Sourced by test/db/*-check.sh: install_missing PACKAGE... installs Debian packages that are
# missing (postgresql, mariadb-server, mariadb-client) with apt-get, without letting their
# packages start system services. The caller defines fail.
install_missing() {
    local missing=() p sudo='' guard=''
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    echo "$(basename "$0"): installing ${missing[*]}" >&2
    # policy-rc.d exiting 101 keeps the packages from starting their system services.
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
        $sudo chmod 755 /usr/sbin/policy-rc.d
        guard=1
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
        { $sudo apt-get update -q >/dev/null &&
          DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; } ||
        fail "apt-get install ${missing[*]} failed"
    [ -z "$guard" ] || $sudo rm -f /usr/sbin/policy-rc.d
}
