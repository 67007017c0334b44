#!/usr/bin/env bash
# Fetches the Debian packages Dom0 and the Linux guest tests are made of (D8) with apt into a
# cache under build/debs and unpacks each into build/debs/<name>/. Nothing fetched is committed.
# The kernel package is whatever linux-image-amd64 depends on today, so an archive update moves
# us to the new kernel instead of breaking the build (lists that name a kernel the archive no
# longer has are refreshed; with no archive at all, the newest cached kernel serves). Prints
# the unpacked kernel's directory layout facts on stdout as shell assignments (KVER=...,
# VMLINUZ=..., MODDIR=..., BUSYBOX=...).
# Usage: scripts/fetch-debs.sh [build-dir]
set -eu
build=${1:-build}
cache=$build/debs
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

need_update=1
update_lists() {  # once per run: a kernel update in the archive shows in fresh lists only
  if [ "$need_update" = 1 ]; then
    apt-get update -qq >/dev/null 2>&1 || true
    need_update=0
  fi
}
kernel_pkg() {
  apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}'
}
# The newest kernel package in the cache, for a build without a reachable archive.
cached_kernel_pkg() {
  ls "$cache" | sed -n 's/^\(linux-image-[0-9][^_]*-amd64\)_.*\.deb$/\1/p' | sort -V | tail -n 1
}
have() { ls "$cache"/"$1"_*.deb >/dev/null 2>&1; }
download() { (cd "$cache" && apt-get download -qq "$1" >/dev/null 2>&1); }

pkg=$(kernel_pkg || true)
if [ -z "$pkg" ]; then
  update_lists
  pkg=$(kernel_pkg || true)
fi
# Stale lists may name a kernel the archive has since replaced: fresh lists name its successor.
if [ -n "$pkg" ] && ! have "$pkg" && ! download "$pkg"; then
  update_lists
  pkg=$(kernel_pkg || true)
  if [ -n "$pkg" ] && ! have "$pkg" && ! download "$pkg"; then
    pkg=
  fi
fi
[ -n "$pkg" ] || pkg=$(cached_kernel_pkg)
[ -n "$pkg" ] || { echo "fetch-debs: cannot resolve linux-image-amd64" >&2; exit 1; }

fetch() {  # fetch <package>: download once, unpack once
  local p=$1
  if ! have "$p" && ! download "$p"; then
    update_lists
    (cd "$cache" && apt-get download -qq "$p" >/dev/null)
  fi
  local deb
  deb=$(ls "$cache"/"${p}"_*.deb | sort -V | tail -n 1)
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
