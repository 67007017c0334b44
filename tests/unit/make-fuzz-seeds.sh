#!/usr/bin/env bash
# Seeds the decoder fuzzers' corpora (build/fuzz-corpus/<target>/) with small streams made
# by xz and gzip, and a small bzImage around one, so fuzzing starts from valid input.
# Made at build time, never committed. Usage: make-fuzz-seeds.sh <corpus-root>
set -eu
root=$1
# The kernel-image reader's seeds (a PVH ELF, bzImages around it packed four ways) have a
# marker of their own, so corpora seeded before it existed get them too.
if [ ! -e "$root/.seeded-kimage" ]; then
  mkdir -p "$root/fuzz_kimage"
  ktmp=$(mktemp -d)
  python3 - "$ktmp/elf" <<'PY'
import struct, sys
# ELF64, one PT_LOAD at 1 MiB (256 bytes of file, 8 KiB in memory), a PT_NOTE with Xen's
# PHYS32_ENTRY (type 18).
e = bytearray(512)
e[0:7] = b"\x7fELF\x02\x01\x01"
struct.pack_into("<HHIQQQIHHHHHH", e, 16, 2, 62, 1, 0x100010, 64, 0, 0, 64, 56, 2, 0, 0, 0)
struct.pack_into("<IIQQQQQQ", e, 64, 1, 5, 256, 0x100000, 0x100000, 256, 256 + 8192, 4096)
struct.pack_into("<IIQQQQQQ", e, 120, 4, 4, 176, 0, 0, 20, 20, 4)
struct.pack_into("<III4sI", e, 176, 4, 4, 18, b"Xen\0", 0x100010)
e[256:272] = b"KUMO-TEST-KERNEL"
open(sys.argv[1], "wb").write(bytes(e))
PY
  cp "$ktmp/elf" "$root/fuzz_kimage/elf"
  xz -c --check=crc32 < "$ktmp/elf" > "$ktmp/elf.xz"
  gzip -c -n -9 < "$ktmp/elf" > "$ktmp/elf.gz"
  zstd -q -c < "$ktmp/elf" > "$ktmp/elf.zst"
  for p in elf elf.xz elf.gz elf.zst; do
    python3 - "$ktmp/$p" "$ktmp/elf" "$root/fuzz_kimage/bz-$p" <<'PY'
import struct, sys
payload = open(sys.argv[1], "rb").read()
if sys.argv[1] != sys.argv[2]:
    payload += struct.pack("<I", len(open(sys.argv[2], "rb").read()))
hdr = bytearray(2 * 512)
hdr[0x1F1] = 1
hdr[0x202:0x206] = b"HdrS"
struct.pack_into("<H", hdr, 0x206, 0x020F)
struct.pack_into("<II", hdr, 0x248, 0, len(payload))
open(sys.argv[3], "wb").write(bytes(hdr) + payload)
PY
  done
  rm -rf "$ktmp"
  touch "$root/.seeded-kimage"
fi
# Streams of the options the unit tests cover (a marker of their own, as above): several
# blocks, SHA-256, concatenated and padded xz; gzip stored blocks, every optional header
# field, two members.
if [ ! -e "$root/.seeded-streams" ]; then
  mkdir -p "$root/fuzz_unxz" "$root/fuzz_gunzip"
  stmp=$(mktemp -d)
  head -c 4000 /bin/sh > "$stmp/code"
  head -c 2000 /dev/urandom > "$stmp/random"
  xz -c --x86 --lzma2 --block-size=1000 < "$stmp/code" > "$root/fuzz_unxz/blocks.xz"
  xz -c --check=sha256 < "$stmp/code" > "$root/fuzz_unxz/sha256.xz"
  xz -c -e < "$stmp/random" > "$stmp/r.xz"
  cat "$root/fuzz_unxz/blocks.xz" "$stmp/r.xz" > "$root/fuzz_unxz/concat.xz"
  { cat "$stmp/r.xz"; printf '\0\0\0\0'; cat "$stmp/r.xz"; } > "$root/fuzz_unxz/padded.xz"
  gzip -c -n -9 < "$stmp/random" > "$root/fuzz_gunzip/stored.gz"
  gzip -c -n -1 < "$stmp/code" > "$stmp/c.gz"
  cat "$stmp/c.gz" "$root/fuzz_gunzip/stored.gz" > "$root/fuzz_gunzip/members.gz"
  python3 - "$stmp/c.gz" "$root/fuzz_gunzip/fields.gz" <<'PY'
import sys, zlib
z = open(sys.argv[1], "rb").read()
hdr = bytearray(z[:10])
hdr[3] = 0x1E   # FHCRC, FEXTRA, FNAME, FCOMMENT (RFC 1952 2.3.1)
hdr += b"\x08\x00KU\x04\x00kumo" + b"vmlinux\0" + b"kumo test\0"
hdr += (zlib.crc32(hdr) & 0xFFFF).to_bytes(2, "little")
open(sys.argv[2], "wb").write(bytes(hdr) + z[10:])
PY
  rm -rf "$stmp"
  touch "$root/.seeded-streams"
fi
[ -e "$root/.seeded" ] && exit 0
mkdir -p "$root/fuzz_unxz" "$root/fuzz_gunzip" "$root/fuzz_bzimage"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
head -c 3000 /bin/sh > "$tmp/code"
yes 'kumo xen domain vcpu' | head -c 5000 > "$tmp/text"
i=0
for src in "$tmp/code" "$tmp/text"; do
  for opt in "--check=crc32" "--check=crc64" "--check=none" "--x86 --lzma2 --check=crc32" "-0"; do
    xz -c $opt < "$src" > "$root/fuzz_unxz/seed$i.xz"
    i=$((i + 1))
  done
  for lvl in -1 -9; do
    gzip -c -n $lvl < "$src" > "$root/fuzz_gunzip/seed$i.gz"
    i=$((i + 1))
  done
done
# A bzImage: setup header fields Xen reads (setup_sects 4, "HdrS", version 2.15, payload
# offset and length), then the xz payload with its unpacked size appended.
python3 - "$root/fuzz_unxz/seed3.xz" "$tmp/code" "$root/fuzz_bzimage/seed.bz" <<'PY'
import struct, sys
payload = open(sys.argv[1], "rb").read() + struct.pack("<I", len(open(sys.argv[2], "rb").read()))
hdr = bytearray(5 * 512)
hdr[0x1F1] = 4
hdr[0x202:0x206] = b"HdrS"
struct.pack_into("<HII", hdr, 0x206, 0x020F, 0, 0)
struct.pack_into("<II", hdr, 0x248, 0, len(payload))
open(sys.argv[3], "wb").write(bytes(hdr) + payload)
PY
touch "$root/.seeded"
