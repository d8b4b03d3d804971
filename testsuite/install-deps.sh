#!/usr/bin/env bash
# Installs what the whole-program tests need on Debian/Ubuntu: the riscv64 cross
# compiler, its C library, and qemu-user (the reference we compare against).
# Idempotent: installs only what is missing and runs `apt-get update` at most once.
set -euo pipefail

PACKAGES=(gcc-riscv64-linux-gnu libc6-dev-riscv64-cross qemu-user)

missing=()
for pkg in "${PACKAGES[@]}"; do
    # dpkg-query reports "install ok installed" only for a fully installed package.
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    if [[ "$status" == "install ok installed" ]]; then
        echo "install-deps: $pkg is already installed"
    else
        echo "install-deps: $pkg is missing"
        missing+=("$pkg")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "install-deps: nothing to do"
    exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
else
    echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-deps: running apt-get update"
"${SUDO[@]}" apt-get update
echo "install-deps: installing ${missing[*]}"
"${SUDO[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
echo "install-deps: done"
