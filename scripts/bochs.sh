#!/usr/bin/env bash
# Runs an ISO in Bochs with VT-x+EPT (corei7_skylake_x).
# usage: bochs.sh ISO NCPUS interactive            (serial on this terminal)
#        bochs.sh ISO NCPUS SERIAL_LOG [MEGS [IPS]] (no terminal: for tests)
# IPS is the emulated instructions per second of guest time (the TSC rate): a stock Linux
# needs more than the default, or its watchdogs see seconds pass in a few instructions.
set -eu
iso=$(readlink -f "$1") ncpus=$2 mode=$3 megs=${4:-256} ips=${5:-2000000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
if [ "$mode" = interactive ]; then
  serial='com1: enabled=1, mode=term, dev=/dev/tty'
else
  serial="com1: enabled=1, mode=file, dev=$(readlink -f "$mode")"
fi
cat > "$dir/bochsrc" <<RC
megs: $megs
cpu: model=corei7_skylake_x, count=$ncpus, ips=$ips, reset_on_triple_fault=0
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
ata0-master: type=cdrom, path=$iso, status=inserted
boot: cdrom
$serial
display_library: rfb, options="timeout=0"
magic_break: enabled=1
port_e9_hack: enabled=1
clock: sync=none, time0=1
speaker: enabled=0
sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy
log: $dir/bochs.log
panic: action=fatal
error: action=report
info: action=ignore
debug: action=ignore
RC
printf 'c\nquit\n' > "$dir/cmds"
cd "$dir"
if [ "$mode" = interactive ]; then
  bochs-bin -q -f "$dir/bochsrc" -rc "$dir/cmds"
else
  bochs-bin -q -f "$dir/bochsrc" -rc "$dir/cmds" </dev/null
fi
