#!/usr/bin/env bash
# Wraps kumo.elf's loaded bytes in an ELF32 executable for QEMU's multiboot1 -kernel loader:
# one segment at the image's physical start, memsz covering .bss, entry at mb_entry.
set -eu
in=$1 out=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sym() { nm "$in" | awk -v s="$1" '$3 == s { print "0x" $1 }'; }
entry=$(sym mb_entry)
start=0x100000
offset=0xFFFFFFFF80000000
end=$(printf '0x%x' $(( $(sym __image_end) - offset )))
objcopy -O binary "$in" "$tmp/image.bin"
(cd "$tmp" && objcopy -I binary -O elf32-i386 -B i386 image.bin image.o)
cat > "$tmp/wrap.ld" <<LD
OUTPUT_FORMAT("elf32-i386")
OUTPUT_ARCH(i386)
ENTRY(mb_entry)
mb_entry = $entry;
SECTIONS {
    . = $start;
    .image : { *(.data) }
    .bss (NOLOAD) : { . = $end - $start - SIZEOF(.image); }
}
LD
ld -m elf_i386 -nostdlib -z max-page-size=0x1000 --no-warn-rwx-segments -T "$tmp/wrap.ld" \
   -o "$out" "$tmp/image.o"
