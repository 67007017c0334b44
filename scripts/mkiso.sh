#!/usr/bin/env bash
# Builds a GRUB rescue ISO booting build/kumo.elf with multiboot2.
# usage: mkiso.sh OUT.iso "hypervisor command line" [FILE "module string"]...
set -eu
out=$1 cmdline=$2
shift 2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/boot/grub"
cp "$(dirname "$0")/../build/kumo.elf" "$dir/boot/kumo.elf"
{
  echo 'set timeout=0'
  echo 'set default=0'
  echo 'serial --unit=0 --speed=115200'
  echo 'terminal_input serial console'
  echo 'terminal_output serial console'
  echo 'menuentry "kumo" {'
  echo "  multiboot2 /boot/kumo.elf $cmdline"
  n=0
  while [ $# -ge 2 ]; do
    cp "$1" "$dir/boot/mod$n"
    echo "  module2 /boot/mod$n $2"
    n=$((n + 1))
    shift 2
  done
  echo '}'
} > "$dir/boot/grub/grub.cfg"
grub-mkrescue -o "$out" "$dir" >/dev/null 2>&1 || { echo "grub-mkrescue failed" >&2; exit 1; }
