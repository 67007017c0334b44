#!/usr/bin/env bash
# Fetches the Debian packages Dom0 and the Linux guest tests are made of (D8) with apt into a
# cache under build/debs and unpacks each into build/debs/<name>/. Nothing fetched is committed.
# The kernel package is whatever linux-image-amd64 depends on today, so an archive update moves
# us to the new kernel instead of breaking the build. Prints the unpacked kernel's directory
# layout facts on stdout as shell assignments (KVER=..., VMLINUZ=..., MODDIR=..., BUSYBOX=...).
# Usage: scripts/fetch-debs.sh [build-dir]
set -eu
build=${1:-build}
cache=$build/debs
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

need_update=1
kernel_pkg() {
  apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}'
}
pkg=$(kernel_pkg || true)
if [ -z "$pkg" ]; then
  apt-get update -qq >/dev/null 2>&1 || true
  need_update=0
  pkg=$(kernel_pkg)
fi
[ -n "$pkg" ] || { echo "fetch-debs: cannot resolve linux-image-amd64" >&2; exit 1; }

fetch() {  # fetch <package>: download once, unpack once
  local p=$1
  if ! ls "$cache"/"${p}"_*.deb >/dev/null 2>&1; then
    (cd "$cache" && apt-get download -qq "$p" >/dev/null 2>&1) || {
      [ "$need_update" = 1 ] && { apt-get update -qq >/dev/null 2>&1 || true; need_update=0; }
      (cd "$cache" && apt-get download -qq "$p" >/dev/null)
    }
  fi
  local deb
  deb=$(ls "$cache"/"${p}"_*.deb | tail -n 1)
  if [ ! -f "$cache/$p/.unpacked" ] || [ "$deb" -nt "$cache/$p/.unpacked" ]; then
    rm -rf "$cache/$p"
    mkdir -p "$cache/$p"
    dpkg-deb -x "$deb" "$cache/$p"
    touch "$cache/$p/.unpacked"
  fi
}

fetch "$pkg"
fetch busybox-static

kver=${pkg#linux-image-}
echo "KVER=$kver"
echo "VMLINUZ=$cache/$pkg/boot/vmlinuz-$kver"
echo "MODDIR=$cache/$pkg/lib/modules/$kver"
echo "BUSYBOX=$cache/busybox-static/bin/busybox"
