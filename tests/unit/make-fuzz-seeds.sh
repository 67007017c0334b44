#!/usr/bin/env bash
# Seeds the decoder fuzzers' corpora (build/fuzz-corpus/<target>/) with small streams made
# by xz and gzip, and a small bzImage around one, so fuzzing starts from valid input.
# Made at build time, never committed. Usage: make-fuzz-seeds.sh <corpus-root>
set -eu
root=$1
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
