#!/usr/bin/env bash
# Installs every build and test dependency of kumo with apt-get. Idempotent: when everything
# is already present it prints nothing and touches nothing.
set -eu
pkgs="gcc make nasm binutils grub-pc-bin grub-common xorriso mtools qemu-system-x86 bochs
bochsbios vgabios libxen-dev cpio python3 xz-utils gzip zstd clang libclang-rt-14-dev
liblzma-dev zlib1g-dev libzstd-dev"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "deps.sh: missing packages:$missing (run as root to install them)" >&2
  exit 1
fi
echo "deps.sh: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
